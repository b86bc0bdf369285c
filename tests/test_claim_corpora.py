"""Public relation corpora (BioRED, BC5CDR) mapped onto our predicates as claim training data."""

from __future__ import annotations

import pytest

from pipeline.training import claim_corpora as corpora
from pipeline.training.claim_corpora import CHEMICAL, DISEASE, GENE, CorpusDocument, pair_label

needs_data = pytest.mark.skipif(not corpora.BIORED_TRAIN.is_file(), reason="../shared/data is not beside the repo")


def _ids(*ids):
    return frozenset(ids)


def test_relation_types_map_by_polarity_and_argument_types():
    doc = CorpusDocument("biored", "1", "", relations=[
        ("Negative_Correlation", "D1", "C1"), ("Positive_Correlation", "G1", "D1"), ("Association", "G2", "D1"),
        ("Bind", "G1", "C1")])
    # a chemical negatively correlated with a disease treats it, whichever comes first in the text
    assert pair_label(doc, (DISEASE, _ids("D1")), (CHEMICAL, _ids("C1"))) == corpora.PairLabel("negative", "treats", False)
    assert pair_label(doc, (CHEMICAL, _ids("C1", "C9")), (DISEASE, _ids("D1"))) == corpora.PairLabel("negative", "treats", True)
    # a gene positively correlated with a disease: the polarity is known, the predicate is not
    assert pair_label(doc, (GENE, _ids("G1")), (DISEASE, _ids("D1"))) == corpora.PairLabel("positive", "", None)
    assert pair_label(doc, (DISEASE, _ids("D1")), (GENE, _ids("G2"))).predicate == "associated_with"
    assert pair_label(doc, (GENE, _ids("G1")), (CHEMICAL, _ids("C1"))) is None        # binding: left out
    assert pair_label(doc, (GENE, _ids("G2")), (CHEMICAL, _ids("C1"))) == corpora.PairLabel()  # no relation


def test_bc5cdr_labels_only_chemical_disease_pairs_with_a_cid_relation():
    doc = CorpusDocument("bc5cdr", "2", "", relations=[("CID", "C1", "D1")])
    assert pair_label(doc, (DISEASE, _ids("D1")), (CHEMICAL, _ids("C1"))) == corpora.PairLabel("positive", "causes", False)
    assert pair_label(doc, (CHEMICAL, _ids("C2")), (DISEASE, _ids("D1"))) is None  # a treatment is not annotated there
    assert pair_label(doc, (DISEASE, _ids("D1")), (DISEASE, _ids("D2"))) is None


@needs_data
def test_training_pmids_leave_out_bc5cdr_dev_and_gold_documents():
    docs = corpora.load_corpora()
    pmids = [d.pmid for d in docs]
    assert len(pmids) == len(set(pmids)) > 700
    dev = {line.split("|", 1)[0] for line in corpora.CDR_DEV.read_text(encoding="utf-8").splitlines() if "|t|" in line[:20]}
    assert not dev & set(pmids)
    assert not corpora.excluded_pmids() & set(pmids)
    assert {d.corpus for d in docs} == {"biored", "bc5cdr"}
    for doc in docs[:50]:
        for start, end, label, ids in doc.mentions:
            assert 0 <= start < end <= len(doc.text) and label in (CHEMICAL, DISEASE, GENE) and ids


@needs_data
def test_three_biored_abstracts_become_labelled_candidate_pairs():
    from pipeline.components.claim_model import ClaimClassifier
    from pipeline.nlp import build_nlp
    from pipeline.training.claims import corpus_dataset

    nlp = build_nlp()
    classifier = ClaimClassifier(nlp, "claim_model_test", model_path="/nonexistent")
    docs = corpora.read_pubtator(corpora.BIORED_TRAIN, "biored")[:3]
    assert [d.pmid for d in docs] == ["10491763", "10661407", "10788334"]
    rows = corpus_dataset(nlp, classifier, docs, weight=0.5)
    assert all(r.weight == 0.5 for r in rows)
    labelled = {(r.doc_id, r.candidate.first.text, r.candidate.second.text): (r.polarity, r.predicate, r.forward)
                for r in rows if r.relation}
    # Association of HNF-6 (NCBI gene 3175) with type II diabetes (D003924), in the title
    assert labelled[("10491763", "Hepatocyte nuclear factor-6", "type II diabetes")] == ("association", "associated_with", True)
    # glucose (D005947) positively correlated with insulin (3630): polarity only
    assert labelled[("10491763", "insulin", "glucose")] == ("positive", "", None)
    # the only relation of 10661407 is a binding: no positive pairs there
    assert not any(doc_id == "10661407" for doc_id, _, _ in labelled)
    # BRCA1 (672) associated with breast-ovarian cancer; the variants' relations have no mapped mention
    assert labelled[("10788334", "BRCA1", "breast-ovarian cancer")] == ("association", "associated_with", True)
    negatives = [r for r in rows if not r.relation]
    assert len(negatives) > 20 and all(r.polarity == "" for r in negatives)
    for r in rows:  # the corpus's own mentions, exact offsets
        text = r.candidate.first.doc.text
        assert text[r.candidate.first.start_char:r.candidate.first.end_char] == r.candidate.first.text
