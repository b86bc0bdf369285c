"""alsfacts_entities on real text: seed article ids, exact offsets, no gene flooding,
TF-IDF linking of unknown/variant mentions, speed."""
import json
from pathlib import Path

import pytest

from pipeline.nlp import make_base_nlp
from shared_records import TRAIN_DOCS, TRIALS, record_text
from pipeline.components.linking import get_tfidf_linker

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpora" / "als_news_tregs.txt"
ABSTRACTS = ROOT / ".." / "shared" / "data" / "als_corpus" / "abstracts.jsonl"
DEV_DOCS = ROOT / ".." / "shared" / "gold" / "dev" / "docs.jsonl"


def dev_text(doc_id):
    if not DEV_DOCS.exists():
        pytest.skip("shared gold not present: ../shared/gold/dev/docs.jsonl")
    for line in DEV_DOCS.read_text().splitlines():
        d = json.loads(line)
        if d["id"] == doc_id:
            return d["title"] + "\n\n" + d["text"]
    pytest.skip(f"{doc_id} not in the dev documents")


@pytest.fixture(scope="module")
def nlp():
    """The base pipeline (scispaCy tokenizer, sentence segmenter) with the components under test."""
    nlp = make_base_nlp()
    for name in ("alsfacts_abbreviations", "alsfacts_entities",):
        nlp.add_pipe(name)
    return nlp


@pytest.fixture(scope="module")
def seed_doc(nlp):
    return nlp(SEED.read_text())


def ents_by_text(doc):
    out = {}
    for e in doc.ents:
        out.setdefault(e.text, set()).add((e.label_, e.kb_id_))
    return out


def test_seed_entities_and_ids(seed_doc):
    by_text = ents_by_text(seed_doc)
    assert by_text["Tregs"] == {("CELL_TYPE", "MESH:D050378")}
    assert by_text["regulatory T-cells"] == {("CELL_TYPE", "MESH:D050378")}
    assert by_text["IL-2"] == {("GENE_OR_PROTEIN", "HGNC:6001")}
    assert by_text["ALS"] == {("DISEASE", "MESH:D000690")}
    assert by_text["NCT03241784"] == {("TRIAL", "clinicaltrials:NCT03241784")}
    assert ("INTERVENTION", "MESH:D016219") in by_text["Treg infusions"]
    assert by_text["leukapheresis"] == {("INTERVENTION", "MESH:D007937")}
    assert by_text["mouse"] == {("ORGANISM", "NCBITaxon:10090")}
    # the disease is never the ALS gene family
    assert not any(e.text == "ALS" and e.label_ != "DISEASE" for e in seed_doc.ents)


def test_a_word_used_as_a_verb_is_no_mention(seed_doc):
    # "white blood cells that function to suppress the body's immune response": "function" is a
    # mined outcome term, but here it is the verb of the relative clause
    start = seed_doc.text.index("that function to suppress") + len("that ")
    assert not any(e.start_char <= start < e.end_char for e in seed_doc.ents)
    assert any(e.text == "immune response" for e in seed_doc.ents)


def test_reads_as_verb_needs_both_neighbours():
    from pipeline.components.entities import reads_as_verb

    text = "cells that function to suppress; a protein which serves as a scaffold; the function to be restored"
    assert reads_as_verb(text, text.index("function"), text.index("function") + len("function"))
    assert reads_as_verb(text, text.index("serves"), text.index("serves") + len("serves"))
    last = text.rindex("function")
    assert not reads_as_verb(text, last, last + len("function"))  # "the function to be restored": a noun


def test_a_study_inclusion_is_no_inclusion_body(nlp):
    # ALS trial record NCT01747993 (in no gold set): "Inclusion criteria:", "Non-inclusion criteria:",
    # "the evening inclusion (day 0)", "35 months of inclusion" were Inclusion Bodies (ANATOMY), matched
    # by the plural mined term "inclusions"; gold/train's "TDP43 inclusion" (PMID:42373582) still is one
    trial = nlp(record_text(TRIALS, "NCT01747993"))
    assert "Inclusion criteria" in trial.text
    assert not [e.text for e in trial.ents if e.text.lower() == "inclusion"]
    pathology = nlp(record_text(TRAIN_DOCS, "PMID:42373582"))
    assert any(e.text == "inclusion" and e.kb_id_ == "MESH:D002479" for e in pathology.ents)


STUDY_TYPES = ROOT / ".." / "shared" / "data" / "studytypeteller" / "study_types.jsonl"


def test_abbreviations_of_methods_and_scales_are_no_genes(nlp):
    # ALS trial records in no gold set: HGNC symbols or aliases that name something else there
    # (scripts/build_kb.py, ABBREVIATION_CLASHES)
    for doc_id, sentence_word, word in [("NCT02869048", "one way ANOVA", "ANOVA"), ("NCT03293394", "MRC scale", "MRC"),
                                        ("NCT02290886", "1 million MSC", "MSC"), ("NCT03356288", "carbon dioxide (CO2)", "CO2"),
                                        ("NCT02833168", "REM sleep", "REM")]:
        doc = nlp(record_text(TRIALS, doc_id))
        assert sentence_word in doc.text
        assert not [e for e in doc.ents if e.text == word and e.label_ == "GENE_OR_PROTEIN"], (doc_id, word)


def test_a_one_word_gene_name_links_to_its_gene(nlp):
    # HGNC's approved names of one word were left out of the KB; "huntingtin" linked to nothing
    # (StudyTypeTeller abstract 29883458: "a mutation in the huntingtin (HTT) gene")
    if not STUDY_TYPES.exists():
        pytest.skip(f"{STUDY_TYPES} is not beside the repository")
    record = next(r for r in map(json.loads, STUDY_TYPES.open(encoding="utf-8")) if r["pmid"] == "29883458")
    doc = nlp(record["title"] + "\n\n" + record["abstract"])
    assert ("huntingtin", "HGNC:4851") in {(e.text, e.kb_id_) for e in doc.ents}
    # an approved one-word name that is an English word stays out ("noggin": NOG)
    assert nlp("The noggin of the matter.").ents == ()


def test_abbreviation_extensions(seed_doc):
    tregs = [e for e in seed_doc.ents if e.text == "Tregs"]
    assert tregs and all(e._.abbreviation_of == "regulatory T-cells" for e in tregs)
    long_form = [e for e in seed_doc.ents if e.text == "regulatory T-cells"][0]
    assert long_form._.abbreviation_of == "" and long_form._.score == 1.0
    assert long_form._.concept_name


def test_offsets_exact_and_tokens_split_inside_compounds(nlp, seed_doc):
    for e in seed_doc.ents:
        assert seed_doc.text[e.start_char:e.end_char] == e.text
    doc = nlp("Pathways included TNF-α/NF-κB and AMPK/SIRT1/PGC-1α, and ALS/FTD-associated proteins.")
    texts = {e.text: (e.label_, e.kb_id_) for e in doc.ents}
    assert texts["TNF-α"] == ("GENE_OR_PROTEIN", "HGNC:11892")
    assert texts["SIRT1"] == ("GENE_OR_PROTEIN", "HGNC:14929")
    assert texts["PGC-1α"] == ("GENE_OR_PROTEIN", "HGNC:9237")
    assert texts["FTD"][0] == "DISEASE"
    assert doc.text == "Pathways included TNF-α/NF-κB and AMPK/SIRT1/PGC-1α, and ALS/FTD-associated proteins."
    # "human" inside "first-in-human" is not an organism mention
    doc = nlp("The drug entered first-in-human trials.")
    assert not any(e.label_ == "ORGANISM" for e in doc.ents)


def test_gene_alias_flooding_prevented_on_abstracts(nlp):
    if not ABSTRACTS.exists():
        pytest.skip("shared data not present: ../shared/data/als_corpus/abstracts.jsonl")
    lines = ABSTRACTS.read_text().splitlines()[:60]
    texts = [(lambda d: d["title"] + "\n\n" + d["text"])(json.loads(ln)) for ln in lines]
    genes, words = [], 0
    for doc in nlp.pipe(texts):
        words += len(doc)
        genes += [e.text for e in doc.ents if e.label_ == "GENE_OR_PROTEIN"]
    clashes = {"ALS", "MS", "PD", "CI", "OR", "HR", "SD", "CAT", "SET", "ACE", "CNS", "CSF",
               "FVC", "BMI", "MRI", "II", "III", "IV", "FDA", "RNA", "DNA", "AD", "HD"}
    assert not [g for g in genes if g in clashes]
    assert all(len(g) > 2 for g in genes)
    assert len(genes) < words / 40  # no flood: genes are a small share of the words


def test_tfidf_linker_on_misspelled_and_variant_mentions():
    linker = get_tfidf_linker()
    res = linker.link(["amyotrophic lateral sclerosys", "regulatory T lymphocyte cells", "zzqx"])
    assert res[0] is not None and res[0][0] == "MESH:D000690"
    assert res[1] is not None and res[1][0] == "MESH:D050378"
    assert res[2] is None


def test_unknown_drug_codes_and_drug_names_are_typed(nlp):
    doc = nlp("Patients received QRL-201, COYA 302 or the new antisense drug ulefnersen and vixotrimab.")
    by_text = {e.text: e for e in doc.ents}
    assert by_text["QRL-201"].label_ == "CHEMICAL_OR_DRUG"
    assert by_text["COYA 302"].label_ == "CHEMICAL_OR_DRUG"
    assert by_text["vixotrimab"].label_ == "CHEMICAL_OR_DRUG" and by_text["vixotrimab"].kb_id_ == ""


def test_formulas_in_a_dev_abstract(nlp):
    """PubMed's flattened subscripts: "H 2", "Mg 2 Si", "·OH" (PMID:42398690)."""
    doc = nlp(dev_text("PMID:42398690"))
    chem = {}
    for e in doc.ents:
        if e.label_ == "CHEMICAL_OR_DRUG":
            chem.setdefault(e.text, set()).add(e.kb_id_)
        assert doc.text[e.start_char:e.end_char] == e.text
    assert chem["H 2"] == {"MESH:D006859"}          # Hydrogen
    assert chem["·OH"] == {"MESH:D017665"}          # Hydroxyl Radical
    assert chem["Mg 2 Si"] == {""}                  # typed, no MeSH entry
    therapies = {e.text for e in doc.ents if e.label_ == "INTERVENTION"}
    assert "H 2 therapy" in therapies
    # "Mg 2 Si-derived H 2": the formula ends inside a hyphenated token, offsets stay exact
    assert all(e.text != "Si-derived" for e in doc.ents)
    # no flooding: the mutation, the gene and single letters are not chemicals
    assert not {"G93A", "SOD1", "hSOD1", "H", "Si", "2"} & set(chem)


@pytest.mark.parametrize("text,mention,concept_id", [
    ("Glutamate raised intracellular Ca2+ in motor neurons.", "Ca2+", "MESH:D002118"),
    ("Zn 2+ and Cu 2+ bind to SOD1.", "Zn 2+", "MESH:D015032"),
    ("Microglia released H2O2 and O 2 •− after the injury.", "H2O2", "MESH:D006861"),
    ("Microglia released H2O2 and O 2 •− after the injury.", "O 2 •−", "MESH:D013481"),
    ("Peroxynitrite (ONOO−) nitrates tyrosine residues.", "ONOO−", "MESH:D030421"),
])
def test_formulas_and_ions_are_linked(nlp, text, mention, concept_id):
    by_text = {e.text: e for e in nlp(text).ents}
    assert by_text[mention].label_ == "CHEMICAL_OR_DRUG" and by_text[mention].kb_id_ == concept_id


@pytest.mark.parametrize("text", [
    "In 2019, As noted, No difference was found in Table S2 or Figure S 2.",
    "CI 95% overlapped; SD was 2; patients with type II 2 diabetes and vitamin B12 deficiency.",
    "H1N1 infection and CD4+ T cells in C9orf72 carriers with NF2 variants.",
])
def test_formula_recognizer_does_not_flood(nlp, text):
    assert not [e.text for e in nlp(text).ents if e.label_ == "CHEMICAL_OR_DRUG"]


def test_mercury_is_no_pressure_unit(nlp):
    """"mm Hg" in a BC5CDR development abstract (19923525, blood pressures) is a unit, not
    mercury; mercury written "Hg" elsewhere is still found."""
    bc5cdr_dev = ROOT.parent / "shared" / "data" / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt"
    if not bc5cdr_dev.exists():
        pytest.skip("shared corpora not present: ../shared/data")
    lines = [line for line in bc5cdr_dev.read_text(encoding="utf-8").splitlines() if line.startswith("19923525|")]
    text = lines[0].split("|", 2)[2] + " " + lines[1].split("|", 2)[2]
    assert "mm Hg" in text
    assert not [e.text for e in nlp(text).ents if e.text == "Hg"]
    by_text = {e.text: e for e in nlp("Workers exposed to mercury (Hg) vapour had tremor.").ents}
    assert by_text["Hg"].kb_id_ == "MESH:D008628"


def test_a_found_mention_no_term_links_takes_an_untyped_mesh_descriptors_id():
    """MeSH descriptors that no tree rule types (processes, techniques) are never matched in text,
    but `alsfacts_descriptor_ids` gives their id to a mention the entity steps found, typed and
    could not link: "proteostasis" (OUTCOME) in a gold/train abstract, "whole-genome sequencing"
    (INTERVENTION) in a dev abstract."""
    from pipeline.kb import load_kb

    nlp = make_base_nlp()
    for name in ("alsfacts_abbreviations", "alsfacts_entities", "alsfacts_descriptor_ids"):
        nlp.add_pipe(name)
    without = make_base_nlp()
    for name in ("alsfacts_abbreviations", "alsfacts_entities"):
        without.add_pipe(name)

    kb = load_kb()
    assert kb.descriptor("Caregiver Burden") == ("MESH:D000084802", "Caregiver Burden")
    assert kb.lookup("caregiver burden") is None       # not a term the dictionary matches
    assert kb.descriptor("placebo") is None             # a typed (curated) term is no descriptor form
    train_docs = ROOT / ".." / "shared" / "gold" / "train" / "docs.jsonl"
    if not train_docs.exists():
        pytest.skip("shared gold not present: ../shared/gold/train/docs.jsonl")
    record = next(json.loads(line) for line in train_docs.read_text().splitlines() if '"PMID:42332177"' in line)
    text = record["title"] + "\n\n" + record["text"]
    assert ents_by_text(without(text))["proteostasis"] == {("OUTCOME", "")}  # the entity steps leave it unlinked
    assert ents_by_text(nlp(text))["proteostasis"] == {("OUTCOME", "MESH:D000074702")}
    assert ents_by_text(without(dev_text("PMID:42466415")))["whole-genome sequencing"] == {("INTERVENTION", "")}
    assert ents_by_text(nlp(dev_text("PMID:42466415")))["whole-genome sequencing"] == {("INTERVENTION", "MESH:D000073336")}


def test_drug_codes_in_a_dev_abstract(nlp):
    """"(QRL-201)" in PMID:42359165 is a drug code; "Phase 1/2" and years are not."""
    doc = nlp(dev_text("PMID:42359165"))
    chem = {e.text for e in doc.ents if e.label_ == "CHEMICAL_OR_DRUG"}
    assert "QRL-201" in chem
    assert not {"1/2", "2026", "2020", "STMN2", "TDP-43"} & chem


@pytest.mark.parametrize("code", ["AMX0035", "BIIB067", "MN-166", "CK-2127107", "ION363"])
def test_drug_code_patterns(nlp, code):
    doc = nlp(f"Participants were randomised to {code} or placebo.")
    assert {(e.text, e.label_) for e in doc.ents} >= {(code, "CHEMICAL_OR_DRUG")}


@pytest.mark.parametrize("text", [
    "HEK293 and NSC-34 cells expressed CD133.", "The SF-36 and ALSAQ-40 scores after COVID-19.",
    "The G93A mutation of SOD1 and the 2021 guidelines.",
])
def test_cell_lines_scales_and_mutations_are_not_drug_codes(nlp, text):
    assert not [e.text for e in nlp(text).ents if e.label_ == "CHEMICAL_OR_DRUG"]


def test_mental_disorders_are_diseases_in_a_train_abstract(nlp):
    """MeSH's mental disorders (F03) and the behaviour descriptors the gold annotates as diseases
    (apathy, depression, anxiety: pipeline/kb/mesh_overrides.tsv) are DISEASE mentions with ids."""
    train_docs = DEV_DOCS.parents[1] / "train" / "docs.jsonl"
    if not train_docs.is_file():
        pytest.skip("../shared/gold/train is not beside the repo")
    texts = {d["id"]: d["title"] + "\n\n" + d["text"] for d in map(json.loads, train_docs.read_text().splitlines())}
    found = ents_by_text(nlp(texts["PMID:42347833"]))
    assert ("DISEASE", "MESH:D057565") in found["apathy"]
    assert ("DISEASE", "MESH:D003863") in found["depression"]
    assert ("DISEASE", "MESH:D001007") in found["anxiety"]
    found = ents_by_text(nlp(texts["PMID:42489904"]))
    assert ("DISEASE", "MESH:D012559") in found["schizophrenia"]


def _abstract(words: str) -> str:
    if not ABSTRACTS.exists():
        pytest.skip("shared data not present: ../shared/data/als_corpus/abstracts.jsonl")
    for line in ABSTRACTS.read_text().splitlines():
        d = json.loads(line)
        text = d["title"] + "\n\n" + d["text"]
        if words in text:
            return text
    raise AssertionError(f"no abstract has {words!r}")


@pytest.mark.parametrize("words", ["hnRNP F/H act in the same protein complex", "the largest clusters in the bilateral"])
def test_a_term_never_ends_with_a_separate_function_word(nlp, words):
    # the KB's keys join words without a space, so "act in" read as "actin" and "clusters in" as
    # "clusterin" (CLU); the written names keep matching
    doc = nlp(_abstract(words))
    start = doc.text.index(words)
    inside = [e for e in doc.ents if start <= e.start_char < start + len(words)]
    assert not [e.text for e in inside if e.text.endswith(" in")]
    found = ents_by_text(nlp("Clusterin and actin levels"))
    assert ("GENE_OR_PROTEIN", "HGNC:2095") in found["Clusterin"] and "actin" in found


def test_a_gene_symbol_defined_by_its_family_name_is_the_gene(nlp):
    # ALS abstract (gold/train's source text): "copper/zinc-dependent superoxide dismutase (SOD1)".
    # The long form's dictionary match is MeSH's family Superoxide Dismutase (D013482), which the
    # short form had taken; SOD1 is the official HGNC symbol, so both are the gene, as gold gives
    doc = nlp(_abstract("copper/zinc-dependent superoxide dismutase (SOD1)"))
    found = ents_by_text(doc)
    assert found["SOD1"] == {("GENE_OR_PROTEIN", "HGNC:11179")}
    assert found["superoxide dismutase"] == {("GENE_OR_PROTEIN", "HGNC:11179")}
    # a short form that is only an alias of some gene keeps its long form's concept
    found = ents_by_text(nlp("Levels of heat shock protein (HSP) rose."))
    assert found["HSP"] == {("GENE_OR_PROTEIN", "MESH:D006360")}


def test_death_is_an_outcome_and_a_process_of_cells_is_not_death(nlp):
    # FACTS_SPEC §1 lists survival among outcomes; gold types a lone "death" as the outcome Death
    # (MESH:D003643) in 11 of the 14 gold/train documents that have one. NCT00580593 (in no gold
    # set): "Respiratory failure is the most common cause of death in persons with ALS".
    doc = nlp(_trial_text("NCT00580593"))
    found = ents_by_text(doc)
    assert ("OUTCOME", "MESH:D003643") in found["death"]
    # "neuronal cell death" is Cell Death (gold/train's PMID:26757674), and a cell's death is not
    # the organism's: "motor neuron death" takes no Death id from its head
    found = ents_by_text(nlp(_abstract("reduced the rate of neuronal cell death")))
    assert found["neuronal cell death"] == {("OUTCOME", "MESH:D016923")}
    found = ents_by_text(nlp("ALS leads to motor neuron death."))
    assert ("OUTCOME", "MESH:D003643") not in found.get("motor neuron death", set())
    # "end of life" is not death ("end-of-life care")
    assert not [e for e in nlp("Patients discussed end-of-life care and the end of life.").ents
                if e.kb_id_ == "MESH:D003643"]


def _trial_text(nct_id: str) -> str:
    """Title and text of an ALS trial record of ../shared/data/als_corpus/trials.jsonl."""
    path = ABSTRACTS.with_name("trials.jsonl")
    if not path.exists():
        pytest.skip("shared data not present: ../shared/data/als_corpus/trials.jsonl")
    record = next(d for d in map(json.loads, path.read_text().splitlines()) if d["id"] == nct_id)
    return record["title"] + "\n\n" + record["text"]


def test_a_phrase_mention_never_starts_with_a_clause_connective(nlp):
    # NCT00409747 (../shared/data/als_corpus, in no gold set): "Although behavioral therapies have
    # improved some symptoms of autism" gave the mention "Although behavioral therapies"
    found = ents_by_text(nlp(_trial_text("NCT00409747")))
    assert "behavioral therapies" in found
    assert not [t for t in found if t.split()[0].lower() in ("although", "whereas", "whilst", "however")]


def test_a_gene_defined_as_its_name_and_gene_keeps_its_symbol(nlp):
    # gold/train PMID:27534431: "Mutations in the optineurin gene (OPTN) …" defines OPTN by a long
    # form no dictionary match ends ("… gene"), so every "OPTN" of the abstract, the title's
    # included, was dropped as an abbreviation of nothing; gold lists OPTN as the gene
    doc = nlp(record_text(TRAIN_DOCS, "PMID:27534431"))
    symbols = [e for e in doc.ents if e.text == "OPTN"]
    assert len(symbols) >= 5
    assert {(e.label_, e.kb_id_) for e in symbols} == {("GENE_OR_PROTEIN", "HGNC:17142")}
    title = next(doc.sents)
    assert any(e.text == "OPTN" for e in title.ents)


@pytest.mark.parametrize("words,mention,taxon", [
    ("species of plant, fungi, insects and viruses", "insects", "NCBITaxon:50557"),
    ("species of plant, fungi, insects and viruses", "viruses", "NCBITaxon:10239"),
    ("Intrathecal delivery of PC-OxPL-VecTab in minipigs", "minipigs", "NCBITaxon:9823"),
    ("consist of transgenic rodents overexpressing", "rodents", "NCBITaxon:9989"),
])
def test_organisms_take_ncbi_taxonomy_ids(nlp, words, mention, taxon):
    # FACTS_SPEC §1: an organism's id is NCBITaxon. Descriptors take the taxon their MeSH record
    # lists ("Insecta", "Viruses"); mesh_overrides.tsv gives the ones it lists none or several of
    # ("Rodentia", "Swine, Miniature"). These had been MESH:D007313, D014780, D013556, D012377.
    doc = nlp(_abstract(words))
    start = doc.text.index(words)
    found = {(e.text, e.label_, e.kb_id_) for e in doc.ents if start <= e.start_char < start + len(words)}
    assert (mention, "ORGANISM", taxon) in found


def test_a_phrase_mention_never_starts_with_a_verb(nlp):
    # NCT02730598 (../shared/data/als_corpus, in no gold set): "treatment for pain associated with
    # knee osteoarthritis includes exercise" gave the intervention "includes exercise", and
    # "Muscular strength improvement protects joints and relieves nociceptive stimulation" the
    # intervention "relieves nociceptive stimulation": a word running text uses as a verb
    # (pipeline/components/data/verb_forms.txt, scripts/build_verb_forms.py) starts no phrase
    from pipeline.components.mention_phrases import VERB_FORMS

    found = ents_by_text(nlp(_trial_text("NCT02730598")))
    assert ("INTERVENTION", "") in found["nociceptive stimulation"]
    assert not [t for t in found if len(t.split()) > 1 and t.split()[0].lower() in VERB_FORMS]
    # the list holds verbs, not the nouns a phrase is made of
    assert {"includes", "reflect", "inform", "relieves"} <= VERB_FORMS
    assert not {"control", "treatment", "exercise", "survival", "support", "function"} & VERB_FORMS


def test_an_unlinked_phrase_takes_the_id_of_its_head():
    # gold/train PMID:42156174: "… ultimately induces cellular apoptosis" — gold gives the phrase
    # its head's concept (Apoptosis), as FACTS_SPEC §1 asks for an outcome "when one fits"; the
    # entity steps found and typed the phrase but no term links it
    nlp = make_base_nlp()
    for name in ("alsfacts_abbreviations", "alsfacts_entities", "alsfacts_descriptor_ids"):
        nlp.add_pipe(name)
    found = ents_by_text(nlp(record_text(TRAIN_DOCS, "PMID:42156174")))
    assert found["cellular apoptosis"] == {("OUTCOME", "MESH:D017209")}
    found = ents_by_text(nlp("Patients had chronic inflammation and a long-term prognosis."))
    assert found["chronic inflammation"] == {("DISEASE", "MESH:D007249")}      # Inflammation
    assert found["long-term prognosis"] == {("OUTCOME", "MESH:D011379")}       # Prognosis
    # "poor" says how much, as a comparative does: the outcome is "prognosis"
    found = ents_by_text(nlp("Patients had a poor prognosis."))
    assert found["prognosis"] == {("OUTCOME", "MESH:D011379")} and "poor prognosis" not in found
    # a cell's death is not the organism's: "motor neuron death" takes no Death from its head
    found = ents_by_text(nlp("Riluzole reduced motor neuron death."))
    assert found["motor neuron death"] == {("OUTCOME", "")}


def test_silver_names_lengthen_mentions_without_changing_what_the_ner_reads(nlp):
    # NCT00580593 (../shared/data/als_corpus, in no gold or silver set): the dictionary knows
    # "positive pressure ventilation"; the silver documents also name "noninvasive positive pressure
    # ventilation" (pipeline/kb/silver_terms.tsv), which wins by length. The NER's dictionary
    # feature is what the entity step chose without the silver names, token for token.
    from pipeline.components.ner import dictionary_tags
    from pipeline.kb.mining import MINED_TERMS_FILE, read_terms, shipped_terms

    trials = ROOT / ".." / "shared" / "data" / "als_corpus" / "trials.jsonl"
    text = record_text(trials, "NCT00580593")
    entities = nlp.get_pipe("alsfacts_entities")
    with_silver = nlp(text)
    entities.use_mined_terms(read_terms(MINED_TERMS_FILE))
    try:
        without = nlp(text)
    finally:
        entities.use_mined_terms(shipped_terms())
    assert ("noninvasive positive pressure ventilation", "INTERVENTION") in \
        {(e.text, e.label_) for e in with_silver.ents}
    assert "noninvasive positive pressure ventilation" not in {e.text for e in without.ents}
    assert "positive pressure ventilation" in {e.text for e in without.ents}
    assert [t.text for t in with_silver] == [t.text for t in without]
    assert dictionary_tags(with_silver) == dictionary_tags(without)
    # a silver name never takes the span of another match nor lengthens a mention of its own
    # concept: the seed article's "mouse" (NCBITaxon:10090) stays "mouse", not "mouse model"
    seed = nlp(SEED.read_text())
    assert ("ORGANISM", "NCBITaxon:10090") in ents_by_text(seed)["mouse"]
