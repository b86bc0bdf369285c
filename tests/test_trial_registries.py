"""Trial registration numbers of ClinicalTrials.gov and the other WHO registries, on real text:
TRIAL mentions (linked only for NCT ids, as FACTS_SPEC §1 and gold/train give them) and the
sentence's `trial_id`."""

from __future__ import annotations

import csv
import json

import pytest

from pipeline.components.context import context_for
from pipeline.components.trial_registries import registry_numbers
from pipeline.nlp import shared_nlp
from shared_records import SHARED, TRAIN_DOCS, record_text

AFTER_CONTEXT = ["strength", "claims", "claim_model"]


def _trials(doc) -> list[tuple[str, str]]:
    return [(e.text, e.kb_id_) for e in doc.ents if e.label_ == "TRIAL"]


def _sentence_of(doc, words: str):
    start = doc.text.index(words)
    return next(s for s in doc.sents if s.start_char <= start < s.end_char)


def test_an_isrctn_number_is_a_trial_mention_and_the_sentences_trial_id():
    # gold/train PMID:42323648 ends "… wider NHS digital transformation. ISRCTN10105285. 16/04/2025."
    # and gold lists "ISRCTN10105285" as a TRIAL without an id
    gold = [json.loads(line) for line in (TRAIN_DOCS.parent / "entities.jsonl").open(encoding="utf-8")]
    assert {"doc_id": "PMID:42323648", "text": "ISRCTN10105285", "type": "TRIAL", "concept_id": ""} in gold
    nlp = shared_nlp()
    with nlp.select_pipes(disable=AFTER_CONTEXT):
        doc = nlp(record_text(TRAIN_DOCS, "PMID:42323648"))
    assert ("ISRCTN10105285", "") in _trials(doc)
    assert context_for(doc, _sentence_of(doc, "ISRCTN10105285"))["trial_id"] == "ISRCTN10105285"


def test_three_registries_in_one_sentence():
    # Yu et al.'s PubMed sentences (../shared/data/causal_language): "… ISRCTN48678192 ; ClinicalTrials.gov
    # number, NCT01252953 ; and EudraCT number, 2010-023467-18 .)"
    path = SHARED / "data" / "causal_language" / "yu2020_annotated_pubmed.csv"
    if not path.exists():
        pytest.skip(f"{path} is not beside the repository")
    with path.open(encoding="utf-8") as fh:
        sentence = next(row["sentence"] for row in csv.DictReader(fh) if "EudraCT number, 2010-023467-18" in row["sentence"])
    found = [(sentence[n.start:n.end], n.trial_id, n.concept_id) for n in registry_numbers(sentence)]
    assert found == [("ISRCTN48678192", "ISRCTN48678192", ""),
                     ("NCT01252953", "clinicaltrials:NCT01252953", "clinicaltrials:NCT01252953"),
                     ("2010-023467-18", "EudraCT 2010-023467-18", "")]
    nlp = shared_nlp()
    with nlp.select_pipes(disable=AFTER_CONTEXT):
        doc = nlp(sentence)
    assert {("ISRCTN48678192", ""), ("NCT01252953", "clinicaltrials:NCT01252953")} <= set(_trials(doc))
    # the first number the sentence gives is its trial
    assert context_for(doc, _sentence_of(doc, "ISRCTN48678192"))["trial_id"] == "ISRCTN48678192"


def test_a_chinese_registry_number_and_numbers_that_are_not_trials():
    # StudyTypeTeller abstract PMID 33736678: "… Chictr.org.cn ChiCTR1900021774 . Registered on 8 March 2019."
    path = SHARED / "data" / "studytypeteller" / "study_types.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is not beside the repository")
    record = next(r for r in map(json.loads, path.open(encoding="utf-8")) if str(r["pmid"]) == "33736678")
    nlp = shared_nlp()
    with nlp.select_pipes(disable=AFTER_CONTEXT):
        doc = nlp(record["title"] + "\n\n" + record["abstract"])
    assert ("ChiCTR1900021774", "") in _trials(doc)
    # a gene family that starts like a registry (KCTD), a receptor (NTR1) and a number of the wrong
    # length are no registration numbers
    assert registry_numbers("KCTD13 and NTR1 were expressed; ISRCTN1234567 was withdrawn.") == []
    # the Indian and Australian registries' formats (none of ../shared has one)
    text = "registered with CTRI (CTRI/2019/03/018120) and ANZCTR (ACTRN12618000534280)"
    assert [n.trial_id for n in registry_numbers(text)] == ["CTRI/2019/03/018120", "ACTRN12618000534280"]
