"""`alsfacts_mention_repeats`: every other use of a kept mention's name is a mention too.

One sense per document: once the entity steps and the mention filter have kept a mention, the
same name elsewhere in the document names the same thing. The steps before do not always see
it there: the NER reads context and finds a name in one sentence and not in the next ("TDP43",
"ARPP", "the scFv B1" in gold/train abstracts), and the mention filter judges each use on its own
words. A fact in a sentence whose use was missed then has no argument to stand on.

So after the filter (and the ids `alsfacts_descriptor_ids` gives), each kept name is looked for
again in the whole document, as the same run of tokens, and each use that no mention covers
becomes one, with the kept mention's type, id, concept name, score and long form. What the entities table
lists per document (its `(type, id or text)` items, FACTS_SPEC §4) does not change; the
sentences the claim steps can read do.

Which names repeat:
* names with a capital letter after the first, a digit, or of more than one word ("TDP43",
  "TJ-68", "GM", "motor neuron"): written that way, a name is a name wherever it stands. Names
  of up to four characters, and names with a capital after the first, are matched as written
  ("GM" is not "gm"); other names in any case ("Motor neuron" at a sentence start);
* not one plain lower-case word ("lead", "infection", "mouse"): English uses those words in their
  other senses too, and the filter judged each use;
* not a population noun ("patients", typed as the document's disease), which is a mention only
  where a fact takes it (`records.table_entities`);
* not a name the document's mentions give two readings (two types or two ids).
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.components import doc_text, lower_words
from pipeline.components.mention_phrases import stands_for_population

# the Span extensions a repeated use copies from the kept mention (entities.py, mention_filter.py)
COPIED_EXTENSIONS = ("concept_name", "score", "abbreviation_of", "mention_p")
CASED_LENGTH = 4  # names this short are matched as written
DIGIT_RE = re.compile(r"\d")


def has_inner_capital(name: str) -> bool:
    return name[1:] != name[1:].lower()


def repeats_anywhere(name: str) -> bool:
    """A name that names the same thing wherever it is written (see the module's docstring)."""
    return len(name) >= 2 and (" " in name or has_inner_capital(name) or DIGIT_RE.search(name) is not None)


def matched_as_written(name: str) -> bool:
    return len(name) <= CASED_LENGTH or has_inner_capital(name)


def kept_names(ents, text: str | None = None) -> dict[str, Span]:
    """Each name that repeats, keyed as it is matched (lower-cased unless matched as written),
    with one of its mentions; names given two readings are left out. `text`: the doc's text."""
    names: dict[str, Span] = {}
    readings: dict[str, set] = {}
    for ent in ents:
        name = " ".join((ent.text if text is None else text[ent.start_char:ent.end_char]).split())
        if not repeats_anywhere(name) or stands_for_population(ent):
            continue
        key = name if matched_as_written(name) else name.lower()
        readings.setdefault(key, set()).add((ent.label_, ent.kb_id_))
        names.setdefault(key, ent)
    return {key: ent for key, ent in names.items() if len(readings[key]) == 1}


def mention_like(doc: Doc, start: int, end: int, source: Span, extensions: tuple = COPIED_EXTENSIONS) -> Span:
    """Tokens start..end as a mention with `source`'s type and id, and its `extensions` values."""
    span = Span(doc, start, end, label=source.label_, kb_id=source.kb_id_)
    for name in extensions:
        value = doc.user_data.get(("._.", name, source.start_char, source.end_char))
        if value is not None:
            doc.user_data[("._.", name, span.start_char, span.end_char)] = value
    return span


def add_mentions(doc: Doc, ents: list[Span], added: list[Span]) -> Doc:
    """`doc` with the mentions `added` beside its entities `ents` (none of them overlapping)."""
    if added:
        doc.ents = sorted(ents + added, key=lambda span: span.start)
    return doc


class MentionRepeats:
    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        names = kept_names(ents, doc_text(doc))
        if not names:
            return doc
        words = lower_words(doc)
        # each name as its lower-cased tokens, by its first token, longest first
        by_first: dict[str, list] = {}
        for key, source in sorted(names.items(), key=lambda item: -len(item[1])):
            by_first.setdefault(words[source.start], []).append((tuple(words[source.start:source.end]), key, source))
        taken = bytearray(len(doc))
        for ent in ents:
            taken[ent.start:ent.end] = b"\x01" * len(ent)
        added = []
        for i, word in enumerate(words):
            if taken[i] or word not in by_first:
                continue
            for tokens, key, source in by_first[word]:
                end = i + len(tokens)
                if tuple(words[i:end]) != tokens or any(taken[i:end]):
                    continue
                if matched_as_written(key) and [t.text for t in doc[i:end]] != [t.text for t in source]:
                    continue  # "GM" is not "gm"
                added.append(mention_like(doc, i, end, source))
                taken[i:end] = b"\x01" * (end - i)
                break
        return add_mentions(doc, ents, added)


@Language.factory("alsfacts_mention_repeats")
def make_mention_repeats(nlp: Language, name: str) -> MentionRepeats:
    return MentionRepeats()


__all__ = ["MentionRepeats", "add_mentions", "kept_names", "mention_like", "repeats_anywhere"]
