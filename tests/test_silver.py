"""Silver annotations: checked like gold, stored as offsets only, read back from ../shared."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.training.gold import GOLD, align_fact, load_gold_documents
from pipeline.training.silver import (
    BIORED_TRAIN_FILE, SILVER_FILE, SOURCE_FILE, check_annotations, from_offsets, load_silver_documents, read_offsets,
    source_texts, to_offsets,
)

ROOT = Path(__file__).resolve().parents[1]
needs_source = pytest.mark.skipif(not SOURCE_FILE.is_file(), reason="../shared/data is not beside the repo")
ALS = re.compile(r"amyotrophic|\bALS\b|motor neuron disease", re.IGNORECASE)


def _abstract_with(words: tuple[str, ...]) -> tuple[str, str]:
    """A real StudyTypeTeller abstract whose text has all of `words` (doc id, text)."""
    for doc_id, text in source_texts().items():
        if all(re.search(rf"\b{re.escape(w)}\b", text) for w in words) and not ALS.search(text):
            return doc_id, text
    pytest.skip(f"no abstract with {words}")


@needs_source
def test_annotations_are_checked_and_stored_as_offsets_only(tmp_path):
    doc_id, text = _abstract_with(("Parkinson's disease", "patients"))
    sentence = next(s for s in re.split(r"(?<=\.)\s+", text) if "Parkinson's disease" in s and "patients" in s)
    entity = {"doc_id": doc_id, "text": "Parkinson's disease", "type": "DISEASE", "concept_id": "MESH:D010300"}
    fact = {"doc_id": doc_id, "sentence": sentence,
            "subject": {"text": "Parkinson's disease", "type": "DISEASE", "concept_id": "MESH:D010300"},
            "predicate": "associated_with",
            "object": {"text": "patients", "type": "DISEASE", "concept_id": "MESH:D010300", "attribute": "number"},
            "negated": False, "certainty": "asserted", "strength": "correlational",
            "context": {"study_type": "observational", "population": "patients with PD"}}
    texts = {doc_id: text}
    assert check_annotations(texts, [entity], [fact]) == []
    bad = dict(fact, predicate="improves", certainty="hedged", strength="direct_causal",
               sentence=sentence + " Not in the text.")
    problems = check_annotations(texts, [dict(entity, text="levodopa-unrelated phrase", concept_id="D010300")], [bad])
    assert any("predicate 'improves'" in p for p in problems)
    assert any("conditional_causal" in p for p in problems)
    assert any("sentence is not in the document" in p for p in problems)
    assert any("concept_id 'D010300'" in p for p in problems)
    assert any("not in the document at word boundaries" in p for p in problems)

    record = to_offsets(doc_id, text, [entity], [fact], annotator="test")
    stored = json.dumps(record)
    assert "Parkinson" not in stored and sentence[:30] not in stored and "patients with PD" not in stored
    back = from_offsets(json.loads(stored), text)
    assert back.entities[0]["text"] == "Parkinson's disease"
    assert back.facts[0]["sentence"] == sentence
    assert back.facts[0]["object"] == {"text": "patients", "type": "DISEASE", "concept_id": "MESH:D010300",
                                       "attribute": "number"}
    assert back.facts[0]["context"] == {"study_type": "observational"}
    aligned = align_fact(text, back.facts[0])
    assert text[slice(*aligned.subject)] == "Parkinson's disease"


@needs_source
def test_annotate_build_keeps_finished_documents_and_names_bad_lines(tmp_path):
    doc_id, text = _abstract_with(("dementia",))
    folder = tmp_path / "batch"
    folder.mkdir()
    lines = [{"doc_id": doc_id, "text": "dementia", "type": "DISEASE", "concept_id": "MESH:D003704"},
             {"doc_id": doc_id, "text": "dementia", "type": "ILLNESS", "concept_id": ""}]
    (folder / "entities.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    (folder / "done.txt").write_text(doc_id + "\n")
    out = tmp_path / "silver.jsonl.gz"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "annotate.py"), "build", str(folder), "--out", str(out)],
                         check=True, capture_output=True, text=True)
    assert "entities line 2: type 'ILLNESS'" in run.stdout
    docs = load_silver_documents(out)
    assert [(d.doc_id, [e["type"] for e in d.entities]) for d in docs] == [(doc_id, ["DISEASE"])]
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "annotate.py"), "check", str(folder)],
                           capture_output=True, text=True)
    assert check.returncode == 1


@needs_source
def test_biored_training_abstracts_read_as_gold_reads_a_document():
    texts = source_texts("biored_train")
    assert len(texts) == 400
    first = BIORED_TRAIN_FILE.read_text(encoding="utf-8").splitlines()[:2]
    pmid, title, abstract = first[0].split("|")[0], first[0].split("|", 2)[2], first[1].split("|", 2)[2]
    assert texts[f"PMID:{pmid}"] == f"{title}\n\n{abstract}"


@needs_source
def test_shipped_silver_documents_are_new_abstracts_that_align():
    docs = load_silver_documents()
    assert len(docs) >= 100
    gold_ids = {d.doc_id for name in ("train", "dev") for d in load_gold_documents(GOLD / name)}
    assert not gold_ids & {d.doc_id for d in docs}  # never a gold document, so never a CV test fold
    biored_dev = {f"PMID:{line.split('|')[0]}" for line in (BIORED_TRAIN_FILE.parent / "Dev.PubTator").read_text().splitlines()
                  if "|t|" in line}
    assert not biored_dev & {d.doc_id for d in docs}
    assert not [d.doc_id for d in docs if ALS.search(d.text)]  # no ALS text: unseen ALS documents stay unseen
    facts = [(d, f) for d in docs for f in d.facts]
    assert len(facts) > 5 * len(docs)
    for d, f in facts:
        aligned = align_fact(d.text, f)
        assert aligned is not None and aligned.subject and aligned.object, (d.doc_id, f)
    # the file holds offsets, never the abstracts' text
    raw = json.dumps(read_offsets(SILVER_FILE))
    assert not any(len(s) > 60 for s in re.findall(r'"((?:[^"\\]|\\.)*)"', raw))
