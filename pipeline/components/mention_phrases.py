"""Phrase mentions the dictionary does not list, for `alsfacts_entities`.

* Outcome, process and intervention phrases: a head noun from data/phrase_heads.tsv
  ("death", "decline", "duration", "burden", "ventilation", ...) with up to MAX_MODIFIERS plain
  words before it ("motor neuron death", "disease duration", "caregiver burden"). Cell and
  anatomy mentions before a process head are taken in whole ("motor neuron death"); an
  attribute head after an entity makes no phrase ("SOD1 expression" stays SOD1, FACTS_SPEC §3:
  the measured property is the fact's attribute).
* Population nouns ("patients", "female patients", "participants"; not after a disease mention): typed
  DISEASE with the id of the document's disease (its most frequent disease concept), as
  FACTS_SPEC §3 annotates a population noun that stands for the document's patients.

There is no parser: a modifier is recognised from its written form alone (per vocabulary
entry, cached): no function word, no verb form in -ed/-ing, no adverb in -ly, no claim
trigger word, no comparative or word of how much ("poor", "fast": "poor survival" is the outcome
"survival", which a claim signs), no number or punctuation; and a phrase does not start with a
word that running text uses as a verb (data/verb_forms.txt: "reflect", "inform", "includes").
"""
from __future__ import annotations

import csv
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from functools import lru_cache
from pathlib import Path

from pipeline.components.claim_phrases import OUTCOME_SIGNS
from pipeline.components.linking import FUNCTION_WORDS, Match

DATA_DIR = Path(__file__).resolve().parent / "data"
HEADS_FILE = DATA_DIR / "phrase_heads.tsv"
TRIGGERS_FILE = DATA_DIR / "claim_triggers.tsv"
VERB_FORMS_FILE = DATA_DIR / "verb_forms.txt"  # built by scripts/build_verb_forms.py
MAX_MODIFIERS = 3
PHRASE_SCORE = 0.6
ABSORBED_TYPES = {"CELL_TYPE", "ANATOMY"}
DISEASE = "DISEASE"

POPULATION_NOUNS = {"patients", "patient", "participants", "individuals", "subjects"}
POPULATION_MODIFIERS = {
    "female", "male", "older", "younger", "elderly", "adult", "sporadic", "familial", "affected", "treated",
    "untreated", "symptomatic", "presymptomatic", "pre-symptomatic", "asymptomatic", "bulbar-onset", "spinal-onset",
    "limb-onset", "early-onset", "late-onset", "young-onset", "our", "enrolled", "all", "eligible", "consecutive",
}
# words that never modify a head: comparisons, quantities and evaluative words
NOT_MODIFIERS = {
    "higher", "lower", "greater", "faster", "slower", "better", "worse", "poorer", "longer", "shorter", "more", "less",
    "high", "low", "increase", "decrease", "significant", "mean", "median", "average", "total", "overall", "change",
    "changes", "further", "other", "new", "novel", "key", "major", "main", "potential", "possible", "different",
    "similar", "several", "many", "various", "whose", "patients", "patient", "group", "groups", "study", "studies",
    "respectively", "vs", "versus", "i.e.", "e.g.", "et", "al", "baseline", "year", "years", "months", "weeks",
    # words that say how much of an outcome, as the comparatives above do: "poor survival" is the
    # outcome "survival", and "poor" the sign a claim about it carries (claim_phrases.OUTCOME_SIGNS)
    *OUTCOME_SIGNS, "rapid",
}
MODIFIER_SHAPE_RE = re.compile(r"^[A-Za-z][A-Za-z'’\-]*[A-Za-z]$")


def read_heads(path: Path = HEADS_FILE) -> dict:
    """head -> (type, kind, alone)."""
    with open(path, encoding="utf-8") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return {r["head"]: (r["type"], r["kind"], r["alone"] == "yes") for r in rows}


def trigger_words(path: Path = TRIGGERS_FILE) -> frozenset:
    """Single-word claim triggers ("reduced", "improves"): never part of a mention."""
    with open(path, encoding="utf-8") as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        return frozenset(r["phrase"] for r in rows if r.get("phrase") and " " not in r["phrase"])


def read_verb_forms(path: Path = VERB_FORMS_FILE) -> frozenset:
    """Words that are verbs in running text ("reflect", "inform", "includes")."""
    with open(path, encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip() and not line.startswith("#"))


HEADS = read_heads()
TRIGGER_WORDS = trigger_words()
VERB_FORMS = read_verb_forms()
PHRASE_HEAD_FLAG = 2048  # set by the entity component's per-word flagger on head words


def is_phrase_head(low: str) -> bool:
    return low in HEADS or low in POPULATION_NOUNS


@lru_cache(maxsize=100_000)
def is_modifier(text: str) -> bool:
    low = text.lower()
    if len(low) < 3 or not MODIFIER_SHAPE_RE.match(text):
        return False
    if low in FUNCTION_WORDS or low in NOT_MODIFIERS or low in TRIGGER_WORDS or low in HEADS \
            or low in POPULATION_NOUNS:
        return False
    hyphenated = "-" in low
    if low.endswith("ly") or (not hyphenated and (low.endswith("ed") or low.endswith("ing"))):
        return False
    return True


class TokenOwners:
    """Which match covers each token (matches are char spans; tokens are start chars)."""

    def __init__(self, idxs: list, matches: list):
        self.owner = [None] * len(idxs)
        for m in matches:
            a = bisect_left(idxs, m.start_char)
            b = bisect_left(idxs, m.end_char)
            for t in range(a, b):
                cur = self.owner[t]
                if cur is None or (cur.end_char - cur.start_char) < (m.end_char - m.start_char):
                    self.owner[t] = m
        # a match that starts inside a token also covers it
        for m in matches:
            t = bisect_right(idxs, m.start_char) - 1
            if t >= 0 and self.owner[t] is None:
                self.owner[t] = m

    def __getitem__(self, t: int):
        return self.owner[t]


def dominant_disease(matches: list):
    """The document's most frequent disease concept (id, name), or None."""
    counts = Counter((m.concept_id, m.name) for m in matches if m.label == DISEASE and m.concept_id)
    return counts.most_common(1)[0][0] if counts else None


def disease_in_sentence(concept_id: str, at: int, matches: list, sentence_starts: list) -> bool:
    k = bisect_right(sentence_starts, at) - 1
    lo = sentence_starts[k] if k >= 0 else 0
    hi = sentence_starts[k + 1] if k + 1 < len(sentence_starts) else float("inf")
    return any(m.label == DISEASE and m.concept_id == concept_id and lo <= m.start_char < hi for m in matches)


def adjacent(infos: list, idxs: list, left: int, right: int) -> bool:
    """Token `left` is followed by token `right` with at most one space between them."""
    return idxs[right] - (idxs[left] + len(infos[left].text)) <= 1 and not infos[left].text.isspace()


def phrase_mentions(text: str, infos: list, idxs: list, matches: list, sentence_starts: list = ()) -> list:
    """Outcome/process/intervention phrases and population nouns (see the module docstring).
    `sentence_starts`: start chars of the sentences; a population noun is made only in a sentence
    that does not name the disease itself ("patients with ALS": ALS already stands for them)."""
    heads = [t for t, info in enumerate(infos) if info.flags & PHRASE_HEAD_FLAG]
    if not heads:
        return []
    owners = TokenOwners(idxs, matches)
    disease = None
    disease_known = False
    out = []
    for h in heads:
        low = infos[h].text.lower()
        end = idxs[h] + len(infos[h].text)
        owner = owners[h]
        if owner is not None and (low in POPULATION_NOUNS or owner.start_char != idxs[h] or owner.end_char != end):
            continue  # inside a longer mention (a head matched by itself may still take modifiers)
        if low in POPULATION_NOUNS:
            if not disease_known:
                disease, disease_known = dominant_disease(matches), True
            if disease is None:
                continue
            start = population_start(infos, idxs, owners, h)
            if start is None or disease_in_sentence(disease[0], idxs[h], matches, sentence_starts):
                continue
            out.append(Match(idxs[start], end, disease[0], DISEASE, disease[1], PHRASE_SCORE))
            continue
        typ, kind, alone = HEADS[low]
        start = phrase_start(infos, idxs, owners, h, kind)
        if start is None or (start == h and (not alone or owner is not None)):
            continue
        out.append(Match(idxs[start], end, "", typ, text[idxs[start]:end], PHRASE_SCORE))
    return out


def phrase_start(infos: list, idxs: list, owners: TokenOwners, h: int, kind: str):
    """First token of the phrase headed by token h, or None when no phrase should be made."""
    start, j, mods = h, h - 1, 0
    while j >= 0 and mods < MAX_MODIFIERS and adjacent(infos, idxs, j, j + 1):
        m = owners[j]
        if m is not None:
            if kind == "attribute" and start == h:
                return None  # "SOD1 expression": the entity is the argument, expression its attribute
            if kind == "process" and m.label in ABSORBED_TYPES and m.end_char <= idxs[start]:
                k = bisect_left(idxs, m.start_char)
                if k < len(idxs) and idxs[k] == m.start_char:
                    start, j, mods = k, k - 1, mods + 1
                    continue
            break
        if not is_modifier(infos[j].text):
            break
        start, j, mods = j, j - 1, mods + 1
    while start < h and infos[start].text.lower() in VERB_FORMS:
        start += 1  # "… may reflect temporal lobe dysfunction", "… includes exercise": a verb, no modifier
    return start


def stands_for_population(span) -> bool:
    """A DISEASE mention that names the patients rather than the disease ("patients", "female
    patients"): FACTS_SPEC §3 gives it the disease's type and id as the object of `safe_in`,
    `higher_in` or `lower_in`, but it is no disease mention of its own."""
    return span.label_ == DISEASE and span[-1].lower_ in POPULATION_NOUNS


def population_start(infos: list, idxs: list, owners: TokenOwners, h: int) -> int:
    """"female patients", "participants"; None after a disease mention ("ALS patients")."""
    start, j = h, h - 1
    while j >= 0 and h - j <= MAX_MODIFIERS and adjacent(infos, idxs, j, j + 1):
        m = owners[j]
        if m is not None and m.label == DISEASE:
            return None  # "ALS patients": the disease mention already stands for them
        if m is None and infos[j].text.lower() in POPULATION_MODIFIERS:
            start, j = j, j - 1
            continue
        break
    return start
