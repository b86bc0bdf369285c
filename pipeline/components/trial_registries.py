"""Trial registration numbers: ClinicalTrials.gov's NCT ids and those of the other WHO primary
registries (ISRCTN, EudraCT, ANZCTR, ChiCTR, CTRI, DRKS, jRCT, UMIN, CRIS, TCTR, PACTR, IRCT, NTR).

FACTS_SPEC §1 gives a TRIAL mention the id `clinicaltrials:NCT…` and names no prefix for the other
registries; gold/train lists their numbers ("ISRCTN10105285") as TRIAL mentions without an id.
So an NCT number is linked and the others are TRIAL mentions keyed by their text. A sentence's
`trial_id` (study context, `alsfacts_context`) is `clinicaltrials:NCT…`, or the other registry's
number as it writes it, without the space some texts put after the prefix ("ISRCTN 73571031" ->
"ISRCTN73571031"; "EudraCT 2011-000439-10" for a EudraCT number, which has no letters of its own).

`alsfacts_entities` finds NCT ids among its patterns; `alsfacts_trial_registries` adds the other
registries' numbers after the NER and the mention filter, so that what those two models read is
what they were trained on (the NER's dictionary feature, the filter's proposals). A registration
number is certain: no filter needs to judge it, and it replaces a mention it overlaps.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.components import doc_text

NCT_NUMBER = re.compile(r"NCT\d{8}")

REGISTRY_NUMBER = re.compile(r"""
    (?<![A-Za-z0-9])
    (?: (?P<nct>NCT)\s?(?P<nct_number>\d{8})
      | (?P<prefix>ISRCTN|ACTRN|DRKS|UMIN|KCT|TCTR|PACTR|NTR)\s?(?P<number>\d+)
      | (?P<joined>ChiCTR(?:-[A-Z]{2,4}-)?\d{6,10}|jRCT[a-z]?\d{7,10}|IRCT\d{6,}N\d{1,3}|CTRI/\d{4}/\d{2,3}/\d{6})
      | EudraCT(?:\s(?:[Nn]umber|[Nn]o\.?))?[:,]?\s*(?P<eudract>\d{4}-\d{6}-\d{2})
    )
    (?![A-Za-z0-9])
""", re.X)
# how many digits each registry's numbers have
NUMBER_DIGITS = {"ISRCTN": {8}, "ACTRN": {14}, "DRKS": {8}, "UMIN": {9}, "KCT": {7}, "TCTR": {11}, "PACTR": {15},
                 "NTR": {3, 4}}
# a word that may start one: checked once per vocabulary entry before the pattern reads the text
REGISTRY_WORD = re.compile(r"(?<![A-Za-z])(?:NCT|ISRCTN|ACTRN|DRKS|UMIN|KCT|TCTR|PACTR|NTR|ChiCTR|CTRI|jRCT|IRCT|EudraCT)")


class RegistryNumber(NamedTuple):
    start: int        # character offsets of the number in the text searched
    end: int
    trial_id: str     # the study-context value
    concept_id: str   # the TRIAL mention's id ("" for registries FACTS_SPEC gives no prefix)


def registry_numbers(text: str, start: int = 0, end: int | None = None) -> list[RegistryNumber]:
    """Every registration number in `text[start:end]` (offsets in `text`)."""
    out = []
    for m in REGISTRY_NUMBER.finditer(text, start, len(text) if end is None else end):
        if m.group("nct"):
            nct = "NCT" + m.group("nct_number")
            out.append(RegistryNumber(m.start(), m.end(), f"clinicaltrials:{nct}", f"clinicaltrials:{nct}"))
        elif m.group("prefix"):
            if len(m.group("number")) in NUMBER_DIGITS[m.group("prefix")]:
                out.append(RegistryNumber(m.start(), m.end(), m.group("prefix") + m.group("number"), ""))
        elif m.group("joined"):
            out.append(RegistryNumber(m.start(), m.end(), m.group("joined"), ""))
        else:
            out.append(RegistryNumber(m.start("eudract"), m.end(), "EudraCT " + m.group("eudract"), ""))
    return out


def may_start_number(word: str) -> bool:
    """Whether a token's text may begin a registration number (or hold an NCT id)."""
    return REGISTRY_WORD.search(word) is not None


class TrialRegistries:
    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        if not may_start_number(text):
            return doc
        numbers = [n for n in registry_numbers(text) if not n.concept_id]  # NCT ids: alsfacts_entities
        ents = list(doc.ents)  # read once: each read of doc.ents walks every token
        present = {(e.start_char, e.end_char) for e in ents if e.label_ == "TRIAL"}
        spans = (doc.char_span(n.start, n.end, label="TRIAL") for n in numbers if (n.start, n.end) not in present)
        new = [span for span in spans if span is not None]
        if not new:
            return doc
        kept = [e for e in ents if not any(e.start < span.end and span.start < e.end for span in new)]
        for span in new:
            doc.user_data[("._.", "concept_name", span.start_char, span.end_char)] = span.text
            doc.user_data[("._.", "score", span.start_char, span.end_char)] = 1.0
        doc.ents = sorted(kept + new, key=lambda span: span.start)
        return doc


@Language.factory("alsfacts_trial_registries")
def make_trial_registries(nlp: Language, name: str) -> TrialRegistries:
    return TrialRegistries()


__all__ = ["NCT_NUMBER", "RegistryNumber", "TrialRegistries", "may_start_number", "registry_numbers"]
