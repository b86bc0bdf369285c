"""`alsfacts_anaphora`: a pronoun that opens a sentence, "this mutation" and "the disease" name
what the text was about.

"TREM2 actively drives the state remodeling of pathology-associated microglia. It profoundly
influences the onset and progression of neurodegenerative diseases": the second sentence's
claims are TREM2's. FACTS_SPEC's gold gives such an argument its referent's id (gold/README.md:
"pronoun arguments carry their referent's id"), so the claim steps need the pronoun as a
mention with that id. There is no parser and no coreference model here; the rules are narrow:

* **Pronouns** "It", "They", "Its", "Their" as a sentence's first word, or after one opening
  word and a comma ("Meanwhile, its protective effects"), not before a form of "be", "seem" or
  "appear", "will" or "would", or "has been" ("It is unclear whether …", "It has been shown …",
  "It will also evaluate …" name nothing, or the study). The referent is the linked mention of
  the previous sentence whose concept the document names most often (the earliest on a tie),
  if it is a gene, chemical, cell type or intervention.
* **"this mutation"**, "this variant", "the mutation", "the variant": the nearest gene mention with
  an id before it, in its sentence or the previous one ("a novel … mutation in OPTN (c.883G > T).
  This mutation induced …" is OPTN's).
* **"the disease"**, "this disease" standing alone (before a function word or punctuation, not
  "the disease course"): the disease the document names most often, as a population noun takes
  it (`mention_phrases`): "… the first time that the disease can be detected in an ALS mouse".

The new mention is the pronoun or the noun itself, with its referent's type, id, concept name and
score, and the referent's text as `Span._.refers_to`. Like a population noun, it is listed in the
entities table only where a fact takes it as an argument (`records.table_entities`): gold lists
such words as fact arguments, not as entity mentions, and the referent is listed already.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.components import lower_words, sentence_spans, span_extension
from pipeline.components.linking import FUNCTION_WORDS
from pipeline.components.mention_repeats import add_mentions, mention_like

if not Span.has_extension("refers_to"):
    Span.set_extension("refers_to", default="")

PRONOUNS = {"it", "its", "they", "their"}
# "It is unclear …", "It has been shown …", "It will also evaluate …" (the study), "They will receive …"
NOT_REFERRING_NEXT = {"is", "was", "are", "were", "be", "been", "seems", "seemed", "appears", "appeared", "remains",
                      "will", "would", "shall", "should"}
REFERENT_TYPES = {"GENE_OR_PROTEIN", "CHEMICAL_OR_DRUG", "CELL_TYPE", "INTERVENTION"}
VARIANT_NOUNS = {"mutation", "variant"}
DISEASE_NOUN = "disease"
DETERMINERS = {"this", "the", "that"}
GENE, DISEASE = "GENE_OR_PROTEIN", "DISEASE"
REFERRING_EXTENSIONS = ("concept_name", "score", "mention_p")


def refers_back(span: Span) -> bool:
    """A mention this step made: a pronoun, "this mutation" or "the disease" standing for its referent."""
    return bool(span_extension(span.doc, "refers_to", span.start_char, span.end_char, ""))


def referring(doc: Doc, at: int, referent: Span) -> Span:
    """Token `at` as a mention standing for `referent` (its type, id, concept name and score; a
    pronoun is no abbreviation even where its referent is one)."""
    span = mention_like(doc, at, at + 1, referent, REFERRING_EXTENSIONS)
    doc.user_data[("._.", "refers_to", span.start_char, span.end_char)] = referent.text
    return span


def opening_pronoun(words: list[str], start: int, end: int) -> int | None:
    """The index of a pronoun that opens the sentence of tokens start..end ("It …", "Meanwhile,
    its …"), if one refers; `words` are the doc's lower-cased tokens."""
    opening = words[start:min(start + 3, end)]
    if opening and opening[0] in PRONOUNS:
        at = start
    elif len(opening) == 3 and opening[1] == "," and opening[2] in PRONOUNS and opening[0].isalpha():
        at = start + 2
    else:
        return None
    following = words[at + 1:min(at + 3, end)]
    if not following or following[0] in NOT_REFERRING_NEXT or following[-1] == "been":
        return None
    return at


def topic_referent(mentions: list[Span], concept_counts: Counter) -> Span | None:
    """Of a sentence's linked mentions, the one the document names most often (the earliest on a
    tie), if it is of a type a pronoun argument takes: "Its pathogenesis remains unknown" after
    a sentence about ALS names no gene or drug."""
    topic = most_named([m for m in mentions if m.kb_id_], concept_counts)
    return topic if topic is not None and topic.label_ in REFERENT_TYPES else None


def most_named(mentions: list[Span], concept_counts: Counter) -> Span | None:
    """The mention whose concept the document names most often, the earliest on a tie."""
    return max(mentions, key=lambda m: (concept_counts[m.kb_id_], -m.start)) if mentions else None


def standing_alone(words: list[str], i: int) -> bool:
    """"the disease" / "this disease" with no noun after it ("the disease.", "the disease can")."""
    return 0 < i and words[i - 1] in DETERMINERS and (
        i + 1 == len(words) or words[i + 1] in FUNCTION_WORDS or not words[i + 1].isalpha())


def mentions_by_sentence(sents: list[Span], ents: list[Span]) -> list[list[Span]]:
    """The mentions that start in each sentence (both lists in text order)."""
    out, position = [], 0
    for sent in sents:
        mentions = []
        while position < len(ents) and ents[position].start < sent.end:
            if ents[position].start >= sent.start:
                mentions.append(ents[position])
            position += 1
        out.append(mentions)
    return out


class Anaphora:
    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        if not ents:
            return doc
        concept_counts = Counter(e.kb_id_ for e in ents if e.kb_id_)
        taken = {i for e in ents for i in range(e.start, e.end)}
        sents = sentence_spans(doc)
        by_sentence = mentions_by_sentence(sents, ents)
        words = lower_words(doc)
        variant_nouns = [i for i, word in enumerate(words) if word in VARIANT_NOUNS]
        disease_nouns = [i for i, word in enumerate(words) if word == DISEASE_NOUN]
        main_disease = most_named([e for e in ents if e.label_ == DISEASE and e.kb_id_], concept_counts)
        added = []
        for index in range(1, len(sents)):
            at = opening_pronoun(words, sents[index].start, sents[index].end)
            referent = topic_referent(by_sentence[index - 1], concept_counts) if at is not None else None
            if referent is not None and at not in taken:
                added.append(referring(doc, at, referent))
                taken.add(at)
        sentence_starts = [sent.start for sent in sents]
        for i in variant_nouns:
            index = bisect_right(sentence_starts, i) - 1
            if index < 1 or i == sents[index].start or words[i - 1] not in DETERMINERS or i in taken:
                continue
            before = [m for m in by_sentence[index - 1] + by_sentence[index] if m.end <= i - 1]
            genes = [m for m in before if m.label_ == GENE and m.kb_id_]
            if genes:
                added.append(referring(doc, i, genes[-1]))
                taken.add(i)
        if main_disease is not None:
            for i in disease_nouns:
                if i not in taken and standing_alone(words, i):
                    added.append(referring(doc, i, main_disease))
                    taken.add(i)
        return add_mentions(doc, ents, added)


@Language.factory("alsfacts_anaphora")
def make_anaphora(nlp: Language, name: str) -> Anaphora:
    return Anaphora()


__all__ = ["Anaphora", "opening_pronoun", "refers_back", "topic_referent"]
