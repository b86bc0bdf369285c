"""BioRED document-level relation pairs (scripts/eval_biored.py): ids as BioRED writes them, and
the whole pipeline finding a development-split relation end to end."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pipeline.nlp import build_nlp
from pipeline.records import facts_of
from pipeline.training.claim_corpora import read_pubtator

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("eval_biored", ROOT / "scripts" / "eval_biored.py")
eval_biored = importlib.util.module_from_spec(spec)
spec.loader.exec_module(eval_biored)

needs_data = pytest.mark.skipif(not eval_biored.BIORED_DEV.is_file(), reason="../shared/data is not beside the repo")


def test_concept_ids_are_written_as_biored_writes_them():
    assert eval_biored.biored_id("HGNC:11179") == "6647"        # SOD1, through HGNC's NCBI Gene cross-reference
    assert eval_biored.biored_id("HGNC:6001") == "3558"         # IL2
    assert eval_biored.biored_id("MESH:D000690") == "D000690"   # ALS
    assert eval_biored.biored_id("MESH:C000589078") == "C000589078"
    assert eval_biored.biored_id("NCBITaxon:9606") == ""         # BioRED relates no organisms
    assert eval_biored.biored_id("") == ""


def test_pairs_are_scored_without_order_and_typed_by_their_facts_majority():
    gold = {"1": {frozenset(("A", "B")): {"Association"}, frozenset(("A", "C")): {"Positive_Correlation"}}}
    predicted = {"1": {frozenset(("B", "A")): "Positive_Correlation", frozenset(("A", "D")): "Association"}}
    scores = eval_biored.score_pairs(gold, predicted)
    assert scores["pairs"]["correct"] == 1 and scores["pairs"]["precision"] == 0.5 and scores["pairs"]["recall"] == 0.5
    assert scores["pairs_and_type"]["correct"] == 0


@needs_data
def test_a_gene_disease_association_of_biored_dev_is_found_end_to_end():
    document = next(d for d in read_pubtator(eval_biored.BIORED_DEV, "biored") if d.pmid == "21054465")
    doc = build_nlp()(document.text)
    predicted = eval_biored.predicted_pairs(facts_of(doc))
    pair = frozenset(("1558", "D006973"))  # CYP2C8 (NCBI Gene) and hypertension (MeSH)
    # the type is the classifier's reading of "Genotypes and allelic frequencies of CYP2C8 between the
    # healthy controls and patients with hypertension were compared": gold says Association, and
    # the December 7 classifier reads higher_in (Positive_Correlation); the pair is found either way
    assert predicted[pair] in set(eval_biored.RELATION_OF_POLARITY.values())
    assert "Association" in eval_biored.gold_pairs(document.relations)[pair]
    scores = eval_biored.score_pairs({"21054465": eval_biored.gold_pairs(document.relations)},
                                     {"21054465": predicted})
    assert scores["pairs"]["correct"] >= 1
