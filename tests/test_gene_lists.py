"""Rodent-style gene symbols in a list of such genes (`alsfacts_gene_lists`), on real text."""

from __future__ import annotations

import json

from pipeline.nlp import shared_nlp
from shared_records import SHARED, TRAIN_DOCS, record_text

AFTER_CONTEXT = ["strength", "claims", "claim_model"]


def _genes(text: str, without: tuple = ()) -> list[tuple[str, str]]:
    nlp = shared_nlp()
    with nlp.select_pipes(disable=AFTER_CONTEXT + list(without)):
        doc = nlp(text)
    return [(e.text, e.kb_id_) for e in doc.ents if e.label_ == "GENE_OR_PROTEIN"]


def test_a_rodent_symbol_in_a_list_of_genes_is_that_gene():
    # gold/train PMID:28453527: "aminoacyl-tRNA biosynthesis (Farsb, Nars, Txnrd1), synaptic vesicle
    # cycle (Cltc, Nsf), Wnt signalling (Cltc, Plcb3, …)": the NER found Nars, Txnrd1 and Plcb3, and
    # gold lists Farsb, Cltc and Nsf with their HGNC ids
    gold = [json.loads(line) for line in (TRAIN_DOCS.parent / "entities.jsonl").open(encoding="utf-8")]
    listed = {(g["text"], g["concept_id"]) for g in gold if g["doc_id"] == "PMID:28453527"}
    wanted = {("Farsb", "HGNC:17800"), ("Cltc", "HGNC:2092"), ("Nsf", "HGNC:8016")}
    assert wanted <= listed
    text = record_text(TRAIN_DOCS, "PMID:28453527")
    without = set(_genes(text, without=("gene_lists",)))
    assert not wanted & without
    genes = _genes(text)
    assert wanted <= set(genes)
    assert sum(1 for g in genes if g[0] == "Cltc") == 2  # both uses, one in each list
    assert ("Nars", "HGNC:7643") in genes  # the NER's own mentions stay


def test_only_words_that_are_official_symbols_and_only_in_lists_of_genes():
    # a study-type abstract of ../shared/data (PMID 23924461) compares groups "Nc" and "Sch"
    # ("Nc 6.6 ± 0.8, Sch 5.0 ± 0.9"): no list of genes, so no new gene; in gold/train PMID:42503607
    # "including Ca3, Gan, Cplx2, Lrp4, Sqstm1" Ca3 is CA3, and "Gan", whose upper-cased form is
    # no official HGNC symbol in the knowledge base, stays unlinked
    path = SHARED / "data" / "studytypeteller" / "study_types.jsonl"
    record = next(json.loads(line) for line in path.open(encoding="utf-8") if '"23924461"' in line)
    text = record["title"] + "\n\n" + record["abstract"]
    assert set(_genes(text)) == set(_genes(text, without=("gene_lists",)))
    genes = _genes(record_text(TRAIN_DOCS, "PMID:42503607"))
    assert ("Ca3", "HGNC:1374") in genes
    assert not [g for g in genes if g[0] == "Gan"]
