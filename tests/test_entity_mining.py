"""Terms mined from gold/train with cross-validated precision, abbreviations typed from
their long form, gene symbols written in another case, outcome phrases and population nouns
(issue 7, items 2 and 3) — on real text from ../shared."""
import json
from pathlib import Path

import pytest

from pipeline.kb.mining import (
    MINED_TERMS_FILE, NEVER_TERMS, TermFinder, candidate_terms, cross_validated_terms, load_gold_docs,
    names_its_concept, read_terms, select_terms, term_pattern, tokens_contain,
)
from pipeline.nlp import make_base_nlp

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
TRAIN = SHARED / "gold" / "train"
ABSTRACTS = SHARED / "data" / "als_corpus" / "abstracts.jsonl"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    return path


@pytest.fixture(scope="module")
def nlp():
    nlp = make_base_nlp()
    nlp.add_pipe("alsfacts_abbreviations")
    nlp.add_pipe("alsfacts_entities")
    return nlp


@pytest.fixture(scope="module")
def train_slice():
    return load_gold_docs(need(TRAIN))[:80]


def ents(doc) -> dict:
    out = {}
    for e in doc.ents:
        out.setdefault(e.text, set()).add((e.label_, e.kb_id_))
        assert doc.text[e.start_char:e.end_char] == e.text
    return out


def abstract(doc_id: str) -> str:
    for line in need(ABSTRACTS).read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["id"] == doc_id:
            return (d.get("title") or "") + "\n\n" + d["text"]
    pytest.skip(f"{doc_id} not in {ABSTRACTS}")


# ------------------------------------------------------------------ mining

def test_term_finder_finds_what_the_term_pattern_finds(train_slice):
    """The first-word index gives, term for term, what a regex per term gives (word boundaries,
    plural "s"/"es", hyphens, Greek letters), on real gold/train text."""
    terms = sorted(candidate_terms(train_slice)) + ["als", "tdp-43", "α-synuclein", "microglia", "box", "t cell"]
    finder = TermFinder(terms)
    for doc in train_slice[:40]:
        expected = {t for t in terms if t in doc.lower and term_pattern(t).search(doc.lower)}
        assert finder.found(doc.lower) == expected, doc.doc_id
    few = TermFinder(["als", "box", "t cell", "cells", "α-synuclein"])
    assert few.found("boxes of t cells; fals and als-linked α-synucleins") == {"box", "t cell", "cells", "als",
                                                                               "α-synuclein"}


def test_token_containment_is_at_word_boundaries():
    assert tokens_contain("familial ALS", "ALS")
    assert not tokens_contain("fALS", "ALS")
    assert not tokens_contain("IL-2", "IL-6")


def test_gold_slice_aligns_and_mines_typed_terms(train_slice):
    terms = candidate_terms(train_slice)
    assert terms["amyotrophic lateral sclerosis"][:2] == ("DISEASE", "MESH:D000690")
    assert not NEVER_TERMS & set(terms)  # pronoun arguments are never terms
    # every gold mention text that the document writes is found in it at word boundaries
    doc = train_slice[0]
    found = [low for _t, _c, low in doc.items if low in doc.lower]
    assert found and all(tokens_contain(doc.lower, low) for low in found)


def test_cross_validated_precision_keeps_names_and_drops_generic_words(train_slice):
    rows = {r["term"].lower(): r for r in cross_validated_terms(train_slice)}
    als = rows["amyotrophic lateral sclerosis"]
    assert als["heldout_docs"] > 20 and als["precision"] >= 0.9
    kept = {r["term"].lower() for r in select_terms(list(rows.values()))}
    assert "amyotrophic lateral sclerosis" in kept
    # gold ties "disease" and "risk" to the document's ALS id: generic words, never mined terms
    assert not names_its_concept("disease", "MESH:D000690") and not names_its_concept("risk", "MESH:D000690")
    assert names_its_concept("neuronal", "MESH:D009474")
    shipped = {r["term"].lower() for r in read_terms(MINED_TERMS_FILE)}
    assert "amyotrophic lateral sclerosis" in shipped and not {"disease", "risk", "it"} & shipped


def test_shipped_layer_is_matched(nlp):
    rows = read_terms(MINED_TERMS_FILE)
    assert len(rows) > 500 and all(r["type"] for r in rows)
    entities = nlp.get_pipe("alsfacts_entities")
    text = "Caregiver burden rose as the Edinburgh Cognitive and Behavioural ALS Screen score fell."
    try:
        entities.use_mined_terms([])
        without = ents(nlp(text))
        entities.use_mined_terms([{"term": "Edinburgh Cognitive and Behavioural ALS Screen", "type": "OUTCOME",
                                   "concept_id": ""}])
        layer = ents(nlp(text))
    finally:
        entities.use_mined_terms(rows)
    assert "Edinburgh Cognitive and Behavioural ALS Screen" not in without
    assert layer["Edinburgh Cognitive and Behavioural ALS Screen"] == {("OUTCOME", "")}


# ------------------------------------------------------------ abbreviations

def test_abbreviation_carries_its_long_forms_type_to_every_use(nlp):
    """PMID:42407013: "continuous theta-burst stimulation (cTBS)", then "cTBS" four more times."""
    doc = nlp(abstract("PMID:42407013"))
    uses = [e for e in doc.ents if e.text == "cTBS"]
    assert len(uses) >= 4 and {e.label_ for e in uses} == {"INTERVENTION"}
    assert sum(e._.abbreviation_of == "continuous theta-burst stimulation" for e in uses) >= 3
    assert {t for t, _ in ents(doc)["continuous theta-burst stimulation"]} == {"INTERVENTION"}


def test_gene_long_form_takes_the_symbols_id(nlp):
    doc = nlp("Serum chitotriosidase-1 (CHIT1) was elevated in ALS patients. CHIT1 levels rose over time.")
    by_text = ents(doc)
    assert by_text["chitotriosidase-1"] == {("GENE_OR_PROTEIN", "HGNC:1936")}
    assert by_text["CHIT1"] == {("GENE_OR_PROTEIN", "HGNC:1936")}


def test_an_untyped_long_form_gives_no_reading(nlp):
    """"analysis of variance (ANOVA)": ANOVA is no gene even though an HGNC alias spells it."""
    by_text = ents(nlp("Groups were compared by analysis of variance (ANOVA). ANOVA showed no effect."))
    assert "ANOVA" not in by_text


# ---------------------------------------------------------- gene symbols in another case

def test_gene_symbols_in_another_case(nlp):
    by_text = ents(nlp("FoxP3 and p53 were reduced in knockout mice, and Sod1 mRNA rose."))
    assert by_text["FoxP3"] == {("GENE_OR_PROTEIN", "HGNC:6106")}
    assert by_text["p53"] == {("GENE_OR_PROTEIN", "HGNC:11998")}
    assert ("GENE_OR_PROTEIN", "HGNC:11179") in by_text["Sod1"]


def test_no_gene_from_formulas_or_plain_words(nlp):
    by_text = ents(nlp("Glutamate raised intracellular Ca2+ and Mg 2 Si released H 2; the cat rested "
                       "(ClinicalTrials.gov)."))
    assert not any(label == "GENE_OR_PROTEIN" for readings in by_text.values() for label, _ in readings)


# --------------------------------------------------- outcome phrases and population nouns

def test_outcome_and_process_phrases(nlp):
    by_text = ents(nlp("Treatment reduced motor neuron death and slowed cognitive decline; "
                       "disease duration and caregiver burden were recorded, and SOD1 expression fell."))
    for phrase in ("motor neuron death", "cognitive decline", "disease duration", "caregiver burden"):
        assert phrase in by_text and {t for t, _ in by_text[phrase]} <= {"OUTCOME"}, phrase
    # an attribute head after an entity is the entity's attribute, not a phrase
    assert "SOD1 expression" not in by_text and ("GENE_OR_PROTEIN", "HGNC:11179") in by_text["SOD1"]
    # trigger verbs stay outside mentions
    assert not any(t.startswith(("reduced", "slowed")) for t in by_text)


def test_population_nouns_take_the_documents_disease(nlp):
    by_text = ents(nlp("Tofersen was safe in ALS patients. Female patients and participants reported fatigue."))
    # a sentence that names the disease needs no population mention
    assert by_text["ALS"] == {("DISEASE", "MESH:D000690")} and "ALS patients" not in by_text
    assert by_text["Female patients"] == {("DISEASE", "MESH:D000690")}
    assert by_text["participants"] == {("DISEASE", "MESH:D000690")}


def test_drug_codes(nlp):
    by_text = ents(nlp("The compound RAG-17 and SF-36 scores in NSC-34 cells."))
    assert by_text["RAG-17"] == {("CHEMICAL_OR_DRUG", "")}
    assert not {"SF-36", "NSC-34"} & set(by_text)
    by_text = ents(nlp("The LXR agonist T0901317 and SB203580 were given; D000690 is a MeSH id."))
    assert by_text["T0901317"] == {("CHEMICAL_OR_DRUG", "")}
    assert ("CHEMICAL_OR_DRUG", "") in by_text["SB203580"]
    assert "D000690" not in by_text


def test_extra_documents_add_names_but_gold_decides_readings_and_precision(train_slice):
    """`cross_validated_terms(gold, extra=silver)`: silver names become candidates, a term gold has
    keeps gold's reading, and only gold's held-out folds count (mine_gold_terms.py --silver)."""
    from pipeline.kb.mining import mining_documents
    from pipeline.training.silver import load_silver_documents

    silver = mining_documents(load_silver_documents()[:60])
    if not silver:
        pytest.skip("no silver documents")
    gold_only = {r["term"].lower(): r for r in cross_validated_terms(train_slice)}
    both = {r["term"].lower(): r for r in cross_validated_terms(train_slice, extra=silver)}
    silver_names = set(candidate_terms(silver))
    new = silver_names - set(gold_only)
    assert new and new <= set(both)
    for low in set(gold_only) & silver_names:  # gold's reading wins
        assert (both[low]["type"], both[low]["concept_id"]) == (gold_only[low]["type"], gold_only[low]["concept_id"])
    gold_text = " ".join(d.lower for d in train_slice)
    for low in new:
        if low not in gold_text:  # a name gold's documents never contain is never counted
            assert both[low]["heldout_docs"] == 0
    # the rows of gold's own terms are what gold alone gives (mined_terms.tsv does not move), and
    # the names only silver has are marked for the silver layer (pipeline/kb/silver_terms.tsv)
    assert {low: r for low, r in both.items() if r["source"] == "gold"} == \
        {low: dict(r, source="gold") for low, r in gold_only.items()}
    assert {low for low, r in both.items() if r["source"] == "silver"} == new
