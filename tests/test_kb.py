"""The shipped KB artifacts: load offline, versioned, typed, no alias flooding."""
import socket

import pytest

from pipeline.kb import kb_version, load_kb, term_keys


def test_kb_loads_from_shipped_artifacts_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the KB must not touch the network")
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    kb = load_kb()
    assert kb.version == kb_version()
    assert kb_version().startswith("alsfacts-kb-")
    assert len(kb.concept_ids) > 100_000 and len(kb.terms) > 100_000


@pytest.mark.parametrize("text,expected", [
    ("IL-2", ("HGNC:6001", "GENE_OR_PROTEIN")),
    ("IL2", ("HGNC:6001", "GENE_OR_PROTEIN")),
    ("interleukin 2", ("HGNC:6001", "GENE_OR_PROTEIN")),
    ("TNF-α", ("HGNC:11892", "GENE_OR_PROTEIN")),
    ("TNF-alpha", ("HGNC:11892", "GENE_OR_PROTEIN")),
    ("TNFα", ("HGNC:11892", "GENE_OR_PROTEIN")),
    ("TDP-43", ("HGNC:11571", "GENE_OR_PROTEIN")),
    ("regulatory T-cells", ("MESH:D050378", "CELL_TYPE")),
    ("regulatory T cell", ("MESH:D050378", "CELL_TYPE")),
    ("Amyotrophic Lateral Sclerosis", ("MESH:D000690", "DISEASE")),
    ("ALS", ("MESH:D000690", "DISEASE")),
    ("Parkinson's disease", ("MESH:D010300", "DISEASE")),
    ("disease progression", ("MESH:D018450", "OUTCOME")),
    ("leukapheresis", ("MESH:D007937", "INTERVENTION")),
    ("tofersen", ("MESH:C000709090", "CHEMICAL_OR_DRUG")),
    ("bosutinib", ("MESH:C471992", "CHEMICAL_OR_DRUG")),
    ("mice", ("NCBITaxon:10090", "ORGANISM")),
    ("spinal cord", ("MESH:D013116", "ANATOMY")),
    ("apoptosis", ("MESH:D017209", "OUTCOME")),
    ("schizophrenia", ("MESH:D012559", "DISEASE")),   # MeSH F03, mental disorders
    ("insomnia", ("MESH:D007319", "DISEASE")),
    ("depression", ("MESH:D003863", "DISEASE")),      # F01, typed by pipeline/kb/mesh_overrides.tsv
    ("apathy", ("MESH:D057565", "DISEASE")),
    ("cancer", ("MESH:D009369", "DISEASE")),          # pipeline/kb/als_terms.tsv
    ("breast cancer", ("MESH:D001943", "DISEASE")),   # "Breast Neoplasms" named as texts name it (build_kb.cancer_names)
    ("lung cancers", ("MESH:D008175", "DISEASE")),
    ("spasticity", ("MESH:D009128", "DISEASE")),
])
def test_variant_lookup(text, expected):
    hit = load_kb().lookup(text)
    assert hit is not None and hit[:2] == expected


@pytest.mark.parametrize("text", ["als", "CAT", "SET", "ACE", "MS", "PD", "Patients", "treatment",
                                  "disease", "cells", "Time", "Role", "Aged", "Methods"])
def test_generic_words_and_clashing_abbreviations_are_not_terms(text):
    assert load_kb().lookup(text) is None


def test_als_is_never_a_gene():
    kb = load_kb()
    key = term_keys("ALS")[0]
    types = {kb.concept(ci)[1] for ci, _ck in kb.entries(key)}
    assert types == {"DISEASE"}


def test_manifest_counts_match_artifacts():
    kb = load_kb()
    assert kb.manifest["n_concepts"] == len(kb.concept_ids)
    assert kb.manifest["n_keys"] == len(kb.terms)


def test_prefixes_let_the_matcher_extend_only_live_candidates():
    kb = load_kb()
    assert "regulatoryt" in kb.prefixes and "amyotrophiclateral" in kb.prefixes
    assert "il" in kb.prefixes          # "IL 2" / "IL-2" reach the term "il2"
    assert "tnf" in kb.prefixes         # "TNF-α" reaches "tnfalpha"
    assert "amyotrophiclateralsclerosi" not in kb.prefixes or \
        any(k.startswith("amyotrophiclateralsclerosi") and len(k) > 26 for k in kb.terms)


def test_formula_table_links_to_kept_chemicals():
    from pipeline.components.formulas import FORMULAS
    kb = load_kb()
    assert len(FORMULAS.rows) > 40
    for formula, (cid, _name) in FORMULAS.rows.items():
        i = kb.index_of.get(cid)
        assert i is not None and kb.concept(i)[1] == "CHEMICAL_OR_DRUG", formula
