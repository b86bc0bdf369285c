"""The shipped KB artifacts: load offline, versioned, typed, no alias flooding."""
import socket

import pytest

from pipeline.kb import kb_version, load_kb, term_keys
from pipeline.training.silver import SOURCE_FILE as STUDY_TYPETELLER, source_texts


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


# (abstract, written form, the id every mention of that form must carry) from real abstracts of
# ../shared/data/studytypeteller; before the fix these linked to the gene in the comment, or to none
WRONG_SENSES = [
    ("31926295", "iNOS", "HGNC:7873"),       # NOS2; was ISYNA1, whose all-capital alias "INOS" shares the case key
    ("20845405", "tissue plasminogen activator", "MESH:D010959"),  # was TTPA: MeSH's synonym "TTPA" is its symbol
    ("20845405", "tPA", "MESH:D010959"),     # the abbreviation carries its long form's id
    ("27812760", "iNOS", "MESH:D052247"),    # defined there as "inducible nitric oxide synthase (iNOS)"
    ("23768781", "COX-2", "HGNC:9605"),      # PTGS2; had no id (curated)
]


@pytest.mark.skipif(not STUDY_TYPETELLER.is_file(), reason="needs ../shared/data")
def test_short_forms_take_their_literature_sense_in_real_abstracts():
    from pipeline.nlp import shared_nlp

    abstracts = source_texts("studytypeteller")
    texts = {pmid: abstracts[f"PMID:{pmid}"] for pmid in {p for p, _, _ in WRONG_SENSES} | {"21951913", "19353731"}}
    docs = dict(zip(texts, shared_nlp().pipe(texts.values())))
    for pmid, form, concept_id in WRONG_SENSES:
        ids = {ent.kb_id_ for ent in docs[pmid].ents if ent.text == form}
        assert ids == {concept_id}, (pmid, form, ids)
    # human neural stem/progenitor cells; "HNSPC" is an HGNC alias of KCNQ2
    assert {ent.label_ for ent in docs["21951913"].ents if ent.text == "hNSPCs"} == {"CELL_TYPE"}
    # "pH 4"-like values are not the genes whose HGNC aliases are "PH1", "PH-4" (AGXT, P4HTM)
    ph = docs["19353731"]
    assert "pH" in ph.text and not any(ent.text.startswith("pH") for ent in ph.ents)


def test_prefixed_aliases_win_over_their_all_capital_namesakes():
    kb = load_kb()
    assert kb.lookup("iNOS")[0] == "HGNC:7873"    # NOS2, not ISYNA1 ("INOS")
    assert kb.lookup("aP2")[0] == "HGNC:3559"     # FABP4
    assert kb.lookup("cPLA2")[0] == "HGNC:9035"   # PLA2G4A (curated: HGNC lists "cPLA2" under KAT5)
    assert kb.lookup("HLA-A antigens")[0] == "HGNC:4931"  # a short-synonym remap that shares a word
