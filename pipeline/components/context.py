"""Study context: what the text says about the study behind each claim.

Fields (spec §2): species (NCBITaxon id), study_type, trial_id, trial_phase,
sample_size, population, comparator, cited_source.

Cue phrases live in `data/context_cues.tsv` (study-type, species, design,
comparator and cited-source cues) and are matched with a spaCy `Matcher`; the
code below only reads numbers, noun phrases around person nouns, and decides how
far a sentence's context reaches, following the gold annotation:

* A sentence's own cues come first (`doc._.sentence_context`). Where a sentence
  names two study types in different clauses ("in animal models (MPTP mouse),
  while ... in vitro"), `context_for(doc, sent, span)` takes the clause of `span`.
* A review (review / meta-analysis in the title or a review statement) gives
  `study_type: review` to every sentence; only strong cues (mice, in vitro, a
  Phase 1/2 trial) override it in their own sentence.
* A document reporting its own study (abstract): the study type and species of
  the latest sentence with a study-type cue carry on to the following sentences
  (background sentences before any such cue get none); the title gets the
  document's dominant type unless the document mixes types. The first named
  population (and a comparator / sample size named with it) carries on to later
  sentences of human studies (observational, clinical trial, review); a
  subgroup count ("six treated with tofersen") gives the size of its subgroup.
* A report on other people's studies (news): a registered trial (its NCT or other
  registration number, trial_registries.py) carries its id, phase, sample size and
  `clinical_trial` to the rest of its section (until a heading); a cited journal
  carries to the next sentence when that one refers back to "the study"; other cues
  stay in their sentence.

Extensions: `doc._.doc_context` (document-level defaults), `doc._.sentence_context`
(sentence start char -> its own fields), `doc._.context_scope` (sentence start
char -> fields inherited from the document and earlier sentences),
`doc._.context_clauses` (sentence start char -> [(start_char, end_char, fields)]
for clauses naming a study type) and `doc._.study_document_kind`
(`review` / `primary` / `report`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from spacy.attrs import SENT_START
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from pipeline.components import doc_text, lower_words
from pipeline.components.certainty import CueMatcher, clause_ids_of, folded_text, read_table
from pipeline.components.trial_registries import REGISTRY_WORD, may_start_number, registry_numbers

DATA_DIR = Path(__file__).with_name("data")
CUE_TABLE = DATA_DIR / "context_cues.tsv"

FIELDS = ("species", "study_type", "trial_id", "trial_phase", "sample_size", "population", "comparator", "cited_source")
HUMAN_STUDY_TYPES = {"observational", "clinical_trial", "review", "case_report"}
PRIMARY_TYPES = ("clinical_trial", "case_report", "observational", "animal_model", "in_vitro")

PERSON_NOUNS = {
    "patients", "patient", "participants", "people", "individuals", "subjects", "persons", "carriers",
    "adults", "children", "adolescents", "men", "women", "volunteers", "controls", "donors", "cases",
}
POPULATION_NOUNS = PERSON_NOUNS - {"controls", "donors", "cases", "patient", "volunteers"}
NOT_MODIFIERS = STOP_WORDS | {
    "all", "these", "those", "such", "other", "most", "many", "several", "remaining", "eligible",
    "enrolled", "included", "treated", "untreated", "male", "female", "healthy", "control", "older",
    "younger", "adult", "consecutive", "total", "individual", "affected", "our", "whose", "both",
}
HEALTHY_WORDS = {"healthy", "control", "unaffected", "normal"}
SUBTYPE_MENTION = re.compile(r"\b(sporadic|familial) (ALS|amyotrophic lateral sclerosis)\b", re.I)
WITH_STOP = STOP_WORDS | {"who", "were", "was", "showed", "had", "exhibited", "demonstrated", "treated", "receiving"}
ANAPHORIC_STARTS = re.compile(r"^(the|this|that|these) (same )?(study|studies|research|researchers|team|authors|findings|work)\b", re.I)
PHASE_VALUE = re.compile(r"^(i{1,3}|iv|[0-4])([ab])?(/(i{1,3}|iv|[0-4])([ab])?)?$", re.I)
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "0": "0", "1": "1", "2": "2", "3": "3", "4": "4"}
WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
SOURCE_CONNECTORS = {"of", "and", "&", "the", "in", "for", "-"}
COMPARATOR_STOP = STOP_WORDS - {"previously", "healthy"} | {",", ".", ";", ":", "(", ")", "[", "]", "during", "after"}
HEADING_MAX_TOKENS = 12

for _name, _default in (("doc_context", None), ("sentence_context", None), ("context_scope", None),
                        ("context_clauses", None), ("study_document_kind", None)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)


# ----------------------------------------------------------------------------- cue table

@dataclass(frozen=True)
class ContextCue:
    pattern: str
    field: str
    value: str
    weight: int


def load_cues(path: Path = CUE_TABLE) -> list[ContextCue]:
    cues = []
    for row in read_table(path):
        pattern, field, value, weight = (row + ["", "", "", "1"])[:4]
        cues.append(ContextCue(pattern.strip(), field.strip(), value.strip(), int(weight or 1)))
    return cues


@lru_cache(maxsize=4)
def _matcher(vocab: Vocab) -> tuple[CueMatcher, list[ContextCue]]:
    cues = load_cues()
    return CueMatcher(vocab, [cue.pattern for cue in cues]), cues


@dataclass(slots=True)
class Hit:
    start: int  # token index in the doc
    end: int
    cue: ContextCue


def _doc_hits(doc: Doc) -> list[Hit]:
    """All cue matches of the doc (one matcher pass), in doc token offsets."""
    matcher, cues = _matcher(doc.vocab)
    return [Hit(s, e, cues[index]) for index, s, e in matcher(doc)]


def _hits(sent: Span, doc_hits: list[Hit] | None = None) -> list[Hit]:
    """Cue matches in `sent`, longest first where they overlap; `not_a_cue` matches removed."""
    if doc_hits is None:
        matcher, cues = _matcher(sent.doc.vocab)
        raw = [Hit(sent.start + s, sent.start + e, cues[index]) for index, s, e in matcher(sent)]
    else:
        raw = [h for h in doc_hits if sent.start <= h.start and h.end <= sent.end]
    blocked = [h for h in raw if h.cue.field == "not_a_cue"]
    raw = [h for h in raw if h.cue.field != "not_a_cue"
           and not any(b.start <= h.start and h.end <= b.end for b in blocked)]
    raw.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    for hit in raw:
        if any(k.start <= hit.start < k.end and k.cue.field == hit.cue.field for k in kept):
            continue
        kept.append(hit)
    return kept


# ----------------------------------------------------------------------------- small readers

def parse_count(text: str) -> int | None:
    cleaned = text.replace(",", "").lower()
    if cleaned.isdigit():
        return int(cleaned)
    return WORD_NUMBERS.get(cleaned)


def _phase(sent: Span, lower: list[str]) -> str | None:
    """The trial phase named in `sent` ("phase 1/2", "Phase IIa"); `lower` holds the doc's lower-cased tokens."""
    doc, end = sent.doc, sent.end
    for i in range(sent.start, end - 1):
        if lower[i] != "phase":
            continue
        value = doc[i + 1].text
        if i + 3 < end and lower[i + 2] == "/" and PHASE_VALUE.match(doc[i + 3].text):
            value = f"{value}/{doc[i + 3].text}"
        match = PHASE_VALUE.match(value)
        if match:
            parts = []
            for part in value.lower().split("/"):
                m = re.match(r"^(i{1,3}|iv|[0-4])([ab])?$", part)
                parts.append(ROMAN[m.group(1)] + (m.group(2) or ""))
            return "/".join(parts)
    return None


def _left_modifiers(doc: Doc, noun_index: int, limit: int, floor: int) -> int:
    """Start index of the modifier run before doc[noun_index] (noun_index when there is none)."""
    i = noun_index
    while i - 1 >= floor and noun_index - (i - 1) <= limit:
        tok = doc[i - 1]
        if tok.is_punct or tok.is_space or tok.like_num or tok.lower_ in NOT_MODIFIERS or not any(c.isalnum() for c in tok.text):
            break
        i -= 1
    return i


def _with_phrase_end(doc: Doc, start: int, stop: int) -> int:
    """End of the disease phrase after "with" (at most 4 words, up to punctuation or a function word)."""
    j = start
    while j < stop and j - start < 4:
        tok = doc[j]
        if tok.is_punct or tok.is_space or tok.lower_ in WITH_STOP:
            break
        j += 1
    return j


@dataclass
class PersonMention:
    start: int
    end: int
    noun: int
    text: str
    count: int | None
    healthy: bool


def person_mentions(sent: Span, lower: list[str] | None = None) -> list[PersonMention]:
    """Noun phrases around person nouns: "three ALS patients", "people with ALS", "two healthy individuals".
    `lower`: the doc's lower-cased tokens (punctuation reads the same lower-cased)."""
    doc = sent.doc
    lower = lower_words(doc) if lower is None else lower
    text = doc_text(doc)
    mentions = []
    for i in range(sent.start, sent.end):
        if lower[i] not in PERSON_NOUNS:
            continue
        mod_start = _left_modifiers(doc, i, 3, sent.start)
        start, end = mod_start, i + 1
        if mod_start == i and i + 1 < sent.end and lower[i + 1] in {"with", "having"}:
            end = _with_phrase_end(doc, i + 2, sent.end)
            if end == i + 2:
                end = i + 1
        healthy = any(lower[k] in HEALTHY_WORDS for k in range(max(sent.start, mod_start - 2), mod_start)) \
            or lower[i] in {"controls", "donors", "volunteers"}
        count = None
        j = mod_start - 1
        while j >= sent.start and lower[j] in HEALTHY_WORDS:
            j -= 1
        if j >= sent.start and doc[j].like_num:
            count = parse_count(doc[j].text)
            if j - 1 >= sent.start and lower[j - 1] in {"%", "·"}:
                count = None
        elif j - 2 >= sent.start and lower[j] in {"these", "the", "those"} and lower[j - 1] == "of" \
                and doc[j - 2].like_num:
            count = parse_count(doc[j - 2].text)  # "18 of these patients"
        if j + 1 < len(doc) and lower[j + 1] == "%":
            count = None
        first, last = doc[start], doc[end - 1]
        mentions.append(PersonMention(start, end, i, text[first.idx:last.idx + len(last)], count, healthy))
    return mentions


def _population(mention: PersonMention, lower: list[str]) -> str | None:
    if mention.healthy or lower[mention.noun] not in POPULATION_NOUNS:
        return None
    if mention.start == mention.noun and mention.end == mention.noun + 1:
        return None  # a bare "patients" names no population
    return mention.text


def _sample_size(sent: Span, mentions: list[PersonMention], words: list[str], may_have_n: bool = True) -> int | None:
    """The sample size: "n = 24", "n=24", or the count of the first person mention(s).
    `may_have_n=False`: the text holds no "n=" (a cheap check on the text before the words)."""
    doc = sent.doc
    has_n = "n" in words or (may_have_n and any(w[:2] == "n=" for w in set(words)))
    for k, word in enumerate(words if has_n else ()):
        i = sent.start + k
        if word == "n" and i + 2 < sent.end and words[k + 1] == "=" and doc[i + 2].like_num:
            return parse_count(doc[i + 2].text)
        m = re.match(r"^n=(\d+)$", word)
        if m:
            return int(m.group(1))
    counted = [m for m in mentions if m.count]
    if not counted:
        return None
    total = counted[0].count
    for prev, nxt in zip(counted, counted[1:]):
        between = doc[prev.end:nxt.start]
        if len(between) <= 3 and all(t.lower_ in {"and", ",", "plus"} or t.like_num or t.lower_ in HEALTHY_WORDS for t in between):
            total += nxt.count
        else:
            break
    return total


def _phrase_after(doc: Doc, start: int, stop: int, max_words: int = 5) -> str | None:
    j = start
    while j < stop and doc[j].lower_ in {"the", "those", "that", "in", "of", "a", "an"}:
        j += 1
    k = j
    while k < stop and k - j < max_words and doc[k].lower_ not in COMPARATOR_STOP and not doc[k].is_space:
        k += 1
    if k == j or doc[j].like_num:
        return None
    return doc[j:k].text


def _source_after(doc: Doc, start: int, stop: int) -> str | None:
    j = start
    while j < stop and doc[j].lower_ in {"the", "journal"}:
        j += 1
    k = j
    while k < stop:
        tok = doc[k]
        if tok.text[:1].isupper() or (tok.text[:1].isdigit() and k > j):
            k += 1
        elif tok.lower_ in SOURCE_CONNECTORS and k > j and k + 1 < stop and doc[k + 1].text[:1].isupper():
            k += 1
        else:
            break
    if k == j:
        return None
    return doc[j:k].text


# ----------------------------------------------------------------------------- one sentence

@dataclass
class SentenceReading:
    own: dict
    clauses: list  # (start_char, end_char, {"study_type":..., "species":...})
    strong_types: set
    weak_types: set
    type_weights: Counter
    design: set
    subgroups: dict  # "tofersen" -> 6
    population_at: tuple | None = None  # char offsets of the population phrase
    person_population: bool = False  # the population is a person phrase, not a bare disease subtype


# What a sentence without cues or reader words says (shared: readings are read, never changed).
NOTHING_SAID = SentenceReading({}, [], frozenset(), frozenset(), Counter(), frozenset(), {})
# Words that make `read_sentence` look closer (person nouns, "phase", "n", subgroup verbs).
SUBGROUP_VERBS = frozenset({"treated", "receiving"})  # "six treated with tofersen"
READER_WORDS = frozenset(PERSON_NOUNS | SUBGROUP_VERBS | {"phase", "n"})

def _clause_types(sent: Span, hits: list[Hit], words: list[str]) -> list[tuple[int, int, dict, int]]:
    """Per clause with study-type cues: (first token, last token + 1, fields, weight)."""
    if not any(hit.cue.field in ("study_type", "species") for hit in hits):
        return []
    ids = clause_ids_of(words)
    per_clause: dict[int, list[Hit]] = {}
    for hit in hits:
        if hit.cue.field in ("study_type", "species"):
            per_clause.setdefault(ids[hit.start - sent.start], []).append(hit)
    result = []
    for clause, clause_hits in sorted(per_clause.items()):
        typed = [(h.cue.weight, -h.start, "animal_model" if h.cue.field == "species" else h.cue.value, h)
                 for h in clause_hits]
        weight, _, study_type, _ = max(typed)
        fields = {"study_type": study_type}
        if study_type == "animal_model":
            species = [h.cue.value for h in clause_hits if h.cue.field == "species"]
            if species:
                fields["species"] = species[0]
        tokens = [i for i, c in enumerate(ids) if c == clause]
        result.append((sent.start + tokens[0], sent.start + tokens[-1] + 1, fields, weight))
    return result


def read_sentence(sent: Span, doc_hits: list[Hit] | None = None, words: list[str] | None = None) -> SentenceReading:
    """What one sentence itself says. `words` (the sentence's lower-cased tokens) lets cheap
    checks skip the token-level readers that cannot find anything."""
    doc = sent.doc
    text = doc_text(doc)[sent.start_char:sent.end_char]
    folded = folded_text(doc)[sent.start_char:sent.end_char]
    hits = _hits(sent, doc_hits)
    lower = lower_words(doc)
    if words is None:
        words = lower[sent.start:sent.end]
    own: dict = {}
    clauses = _clause_types(sent, hits, words)
    if clauses:
        best = max(clauses, key=lambda c: (c[3], -c[0]))
        own.update(best[2])
    type_weights: Counter = Counter()
    strong, weak = set(), set()
    for hit in hits:
        if hit.cue.field in ("study_type", "species"):
            study_type = "animal_model" if hit.cue.field == "species" else hit.cue.value
            type_weights[study_type] += hit.cue.weight
            (strong if hit.cue.weight >= 2 else weak).add(study_type)
    numbers = registry_numbers(text) if may_start_number(text) else ()
    if numbers:
        own["trial_id"] = numbers[0].trial_id
        own.setdefault("study_type", "clinical_trial")
        strong.add("clinical_trial")
        type_weights["clinical_trial"] += 2
    phase = _phase(sent, lower) if "phase" in words else None
    if phase:
        own["trial_phase"] = phase
    mentions = person_mentions(sent, lower) if not PERSON_NOUNS.isdisjoint(words) else []
    size = _sample_size(sent, mentions, words, "n=" in folded)
    if size:
        own["sample_size"] = size
    populations = [p for p in (_population(m, lower) for m in mentions) if p]
    if populations:
        own["population"] = populations[0]
    elif "sporadic " in folded or "familial " in folded:
        subtype = SUBTYPE_MENTION.search(text)
        if subtype:
            own["population"] = subtype.group(0)
    comparators = []
    for hit in hits:
        if hit.cue.field == "comparator":
            if hit.cue.value == "after":
                phrase = _phrase_after(doc, hit.end, sent.end)
                if phrase:
                    comparators.append((0, hit.start, phrase))
            elif hit.cue.value == "=":
                comparators.append((1, hit.start, doc[hit.start:hit.end].text))
            else:
                comparators.append((1, hit.start, hit.cue.value))
        elif hit.cue.field == "cited_source" and "cited_source" not in own:
            source = _source_after(doc, hit.end, sent.end)
            if source:
                own["cited_source"] = source
    if comparators:
        own["comparator"] = min(comparators)[2]
    subgroups = {}
    for k in range(len(words) - 2 if not SUBGROUP_VERBS.isdisjoint(words) else 0):
        following = words[k + 1]
        if following in SUBGROUP_VERBS and doc[sent.start + k].like_num:
            target = k + 2 if words[k + 2] != "with" else (k + 3 if k + 3 < len(words) else None)
            count = parse_count(doc[sent.start + k].text)
            if target is not None and count:
                subgroups[words[target]] = count
        elif following == "with" and subgroups and doc[sent.start + k].like_num:
            count = parse_count(doc[sent.start + k].text)
            if count:
                subgroups[words[k + 2]] = count  # "... and 15 with nusinersen"
    design = {hit.cue.value for hit in hits if hit.cue.field == "design"}
    clause_spans = [(doc[s].idx, doc[e - 1].idx + len(doc[e - 1]), fields) for s, e, fields, _ in clauses]
    population_at = None
    if populations:
        first = next(m for m in mentions if _population(m, lower) == populations[0])
        population_at = (doc[first.start].idx, doc[first.end - 1].idx + len(doc[first.end - 1]))
    other_studies = any(hit.cue.field == "other_studies" for hit in hits)
    if other_studies and "cited_source" not in own:
        for field in ("population", "comparator", "sample_size"):
            own.pop(field, None)
    return SentenceReading(own, clause_spans, strong, weak, type_weights, design, subgroups,
                           population_at, bool(populations))


# ----------------------------------------------------------------------------- the document

def _is_heading(sent: Span, sent_text: str) -> bool:
    text = sent_text.strip()
    return bool(text) and text[-1] not in ".!?:;)\"”" and len(sent) <= HEADING_MAX_TOKENS and "\n" in sent_text


def _title_sentence(doc: Doc, sents: list[Span]) -> Span | None:
    if len(sents) < 2:
        return None
    first = sents[0]
    return first if "\n\n" in doc_text(doc)[first.start_char:first.end_char + 2] else None


def _document_type(readings: list[SentenceReading], title_reading: SentenceReading | None) -> tuple[str | None, bool]:
    """The dominant study type and whether the document mixes primary types."""
    totals: Counter = Counter()
    for reading in readings:
        totals.update(reading.type_weights)
    if (title_reading and "review" in title_reading.strong_types) or totals["review"] >= 2 or \
            any("review" in r.design for r in readings):
        return "review", False
    primary = [(totals[t], -PRIMARY_TYPES.index(t), t) for t in PRIMARY_TYPES if totals[t] > 0]
    if not primary:
        return None, False
    primary.sort(reverse=True)
    best_weight, _, best = primary[0]
    if best == "observational" and totals["clinical_trial"] >= 2:
        best = "clinical_trial"
    mixed = len(primary) > 1 and primary[1][0] * 2 >= best_weight
    return best, mixed


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what `\w` matches in a str pattern


def _names_word(doc: Doc, words: tuple[str, ...]) -> bool:
    """Whether the text holds one of `words` (lower-case ASCII) as a whole word in any case: what
    `re.search(r"\b(word|...)\b", text, re.I)` finds, read from the folded text with str.find
    (a case-insensitive regex over a whole document is slow)."""
    text, folded = doc_text(doc), folded_text(doc)
    for word in words:
        at = folded.find(word)
        while at != -1:
            end = at + len(word)
            if (at == 0 or not _is_word_char(text[at - 1])) and (end == len(text) or not _is_word_char(text[end])):
                return True
            at = folded.find(word, at + 1)
    return False


def _document_kind(doc: Doc, readings: list[SentenceReading], doc_type: str | None) -> str:
    if doc_type == "review":
        return "review"
    first_person = _names_word(doc, ("we", "our"))
    if not first_person and (any("cited_source" in r.own for r in readings) or
                             _names_word(doc, ("researchers", "scientists", "the team"))):
        return "report"
    return "primary"


def _sentences(doc: Doc) -> list[Span]:
    """The doc's sentences, read from the SENT_START array (cheaper than `doc.sents`)."""
    if not len(doc):
        return []
    if "sents" not in doc.user_hooks and doc.has_annotation("SENT_START"):
        return list(doc.sents)  # the same boundaries, read in Cython
    starts = np.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
    if not starts or starts[0] != 0:
        starts = [0] + starts
    bounds = starts + [len(doc)]
    return [doc[a:b] for a, b in zip(bounds, bounds[1:])]


def _sentences_to_read(doc: Doc, sents: list[Span], hits: list[list[Hit]]) -> list[bool]:
    """Which sentences can say anything: those with cue matches, a word a token-level reader
    looks for, or a piece of text a text-level reader looks for. `read_sentence` finds nothing
    in the others."""
    lowers = lower_words(doc)
    needed = [bool(h) or not READER_WORDS.isdisjoint(lowers[s.start:s.end]) for s, h in zip(sents, hits)]
    text, folded = doc_text(doc), folded_text(doc)
    checks = [(text, word) for word in sorted({match.group(0) for match in REGISTRY_WORD.finditer(text)})]
    checks += [(folded, piece) for piece in ("n=", "sporadic ", "familial ") if piece in folded]
    for k, sent in enumerate(sents if checks else ()):
        if not needed[k]:
            needed[k] = any(piece in source[sent.start_char:sent.end_char] for source, piece in checks)
    return needed


def analyse(doc: Doc) -> Doc:
    sents = _sentences(doc)
    hits = _doc_hits(doc)
    by_sentence: list[list[Hit]] = [[] for _ in sents]
    sentence_starts = [s.start for s in sents]
    for hit in hits:
        by_sentence[bisect_right(sentence_starts, hit.start) - 1].append(hit)
    lowers = lower_words(doc)  # without making a Token per word
    text = doc_text(doc)
    readings = [read_sentence(s, h, lowers[s.start:s.end]) if needed else NOTHING_SAID
                for s, h, needed in zip(sents, by_sentence, _sentences_to_read(doc, sents, by_sentence))]
    title = _title_sentence(doc, sents)
    title_reading = readings[0] if title is not None else None
    doc_type, mixed = _document_type(readings, title_reading)
    kind = _document_kind(doc, readings, doc_type)

    doc_species = None
    if doc_type == "animal_model":
        species = Counter(r.own.get("species") for r in readings if r.own.get("species"))
        doc_species = species.most_common(1)[0][0] if species else None
    doc_context: dict = {}
    if doc_type and not mixed:
        doc_context["study_type"] = doc_type
        if doc_species:
            doc_context["species"] = doc_species

    sentence_context, scope, clauses = {}, {}, {}
    running: dict = {}  # study type / species carried from the latest sentence that named one
    trial: dict = {}  # a registered trial carried to the rest of its section
    population: dict = {}  # the first named population (with comparator and sample size)
    sample_size: int | None = None
    subgroups: dict = {}
    previous_source = None
    design_seen = False
    for index, (sent, reading) in enumerate(zip(sents, readings)):
        sent_text = text[sent.start_char:sent.end_char]
        own = dict(reading.own)
        is_title = title is not None and index == 0
        if reading.subgroups:
            subgroups.update(reading.subgroups)
        # In a review only strong cues speak for the sentence itself.
        if kind == "review" and "study_type" in own and own["study_type"] != "review" \
                and own["study_type"] not in reading.strong_types:
            own.pop("study_type", None)
            own.pop("species", None)
        if own.get("study_type") != "animal_model":
            own.pop("species", None)
        if subgroups and own.get("population"):
            for key, count in subgroups.items():
                if own["population"].lower().startswith(f"{key}-") or own["population"].lower().startswith(f"{key} "):
                    own.setdefault("sample_size", count)
        sentence_context[sent.start_char] = own
        clauses[sent.start_char] = {"typed": list(reading.clauses), "population_at": reading.population_at}

        inherited: dict = {}
        if _is_heading(sent, sent_text) and not is_title:
            running, trial = {}, {}
        if kind == "review":
            inherited["study_type"] = "review"
            if reading.design:
                design_seen = True
            if design_seen and population:
                inherited.update(population)
        elif kind == "primary":
            if is_title:
                inherited.update(doc_context)
            else:
                inherited.update(running)
                study_type = own.get("study_type") or running.get("study_type")
                if population and study_type in HUMAN_STUDY_TYPES:
                    inherited.update(population)
                if sample_size and study_type in HUMAN_STUDY_TYPES:
                    inherited["sample_size"] = sample_size
            if "trial_id" in trial:
                inherited.update(trial)
        else:  # a report on other studies
            inherited.update(trial)
            if previous_source and ANAPHORIC_STARTS.match(sent_text.strip()):
                inherited["cited_source"] = previous_source
        scope[sent.start_char] = {k: v for k, v in inherited.items() if v is not None}

        # Update what later sentences inherit.
        if is_title:
            if kind == "review" and own.get("population") and reading.person_population:
                population = {"population": own["population"]}
            continue
        if "study_type" in own and kind == "primary":
            running = {"study_type": own["study_type"]}
            if own.get("species"):
                running["species"] = own["species"]
        if own.get("trial_id"):
            # A registered trial's id, phase and size hold for the rest of its section.
            trial = {"trial_id": own["trial_id"], "study_type": "clinical_trial"}
            trial.update({k: own[k] for k in ("trial_phase", "sample_size") if own.get(k)})
        is_subgroup = bool(subgroups) and any(own.get("population", "").lower().startswith(f"{key}-") for key in subgroups)
        if kind == "primary" and not population and own.get("population") and not is_subgroup and \
                (running or reading.design):
            population = {"population": own["population"]}
            if own.get("comparator"):
                population["comparator"] = own["comparator"]
        if kind == "primary" and reading.own.get("sample_size") and (running or reading.design):
            sample_size = reading.own["sample_size"]
        previous_source = own.get("cited_source") or (scope[sent.start_char].get("cited_source") if previous_source else None)

    if population:
        doc_context.update({k: v for k, v in population.items() if k not in doc_context})
    first_trial = next((r.own for r in readings if r.own.get("trial_id")), None)
    if first_trial:
        doc_context.setdefault("trial_id", first_trial["trial_id"])
        if first_trial.get("trial_phase"):
            doc_context.setdefault("trial_phase", first_trial["trial_phase"])
    doc._.doc_context = doc_context
    doc._.sentence_context = sentence_context
    doc._.context_scope = scope
    doc._.context_clauses = clauses
    doc._.study_document_kind = kind
    return doc


class StudyContext:
    def __call__(self, doc: Doc) -> Doc:
        return analyse(doc)


@Language.factory("alsfacts_context")
def create_context(nlp: Language, name: str):
    return StudyContext()


def _ensure(doc: Doc) -> None:
    if doc._.sentence_context is None:
        analyse(doc)


def _clause_for(typed: list, char: int, kind: str | None):
    """The typed clause that governs position `char`: its own clause; else, in a review, none
    (the review speaks); else the nearest clause before it, or after it."""
    for clause in typed:
        if clause[0] <= char < clause[1]:
            return clause
    if kind == "review":
        return None
    before = [c for c in typed if c[1] <= char]
    if before:
        return before[-1]
    return typed[0]


def context_for(doc: Doc, sent: Span, span: Span | None = None) -> dict:
    """The context of a claim in `sent`: the sentence's own fields over what it inherits.

    With `span` (the claim's arguments or trigger), a study type named in another
    clause of the sentence gives way to the one in the clause of `span`.
    """
    _ensure(doc)
    start = sent.start_char
    if start not in doc._.sentence_context:
        # A span that is not one of the doc's sentences: use the sentence it starts in.
        sent = doc[sent.start].sent if doc.has_annotation("SENT_START") else sent
        start = sent.start_char
    own = dict(doc._.sentence_context.get(start, {}))
    inherited = dict(doc._.context_scope.get(start, {}))
    clause_info = doc._.context_clauses.get(start) or {}
    typed = clause_info.get("typed") or []
    if span is not None and typed:
        chosen = _clause_for(typed, span.start_char, doc._.study_document_kind)
        own.pop("species", None)
        own.pop("study_type", None)
        if chosen is None:  # the review's own voice: the cited study's details stay in their clause
            for field in ("trial_id", "trial_phase", "population", "comparator", "sample_size"):
                own.pop(field, None)
        else:
            own.update(chosen[2])
            where = clause_info.get("population_at")
            if where and not (chosen[0] <= where[0] < chosen[1]) and chosen[2].get("study_type") not in HUMAN_STUDY_TYPES:
                for field in ("population", "comparator", "sample_size"):
                    own.pop(field, None)
    if own.get("study_type") and own["study_type"] != inherited.get("study_type"):
        inherited.pop("species", None)
    merged = {**inherited, **own}
    if merged.get("study_type") != "animal_model":
        merged.pop("species", None)
    return {field: merged[field] for field in FIELDS if merged.get(field) not in (None, "")}
