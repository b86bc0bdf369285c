"""Study context on the seed article and dev gold sentences."""

import json
import warnings
from pathlib import Path

import pytest

warnings.filterwarnings("ignore", category=FutureWarning)

from pipeline.components.context import context_for  # noqa: E402
from pipeline.nlp import make_base_nlp  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = ROOT / "corpora" / "als_news_tregs.txt"


@pytest.fixture(scope="module")
def nlp():
    nlp = make_base_nlp()
    nlp.add_pipe("alsfacts_context")
    return nlp


@pytest.fixture(scope="module")
def seed(nlp):
    return nlp(SEED.read_text(encoding="utf8"))


def sentence_with(doc, words):
    for sent in doc.sents:
        if words in sent.text:
            return sent
    raise AssertionError(f"no sentence with {words!r}")


def dev_doc(nlp, doc_id):
    path = SHARED / "gold" / "dev" / "docs.jsonl"
    if not path.exists():
        pytest.skip("../shared/gold/dev is absent")
    for line in path.open(encoding="utf8"):
        row = json.loads(line)
        if row["id"] == doc_id:
            return nlp(row["title"] + "\n\n" + row["text"])
    pytest.skip(f"{doc_id} not in dev docs")


def test_seed_cited_source_population_and_comparator(seed):
    sent = sentence_with(seed, "JAMA Neurology")
    context = context_for(seed, sent)
    assert context["cited_source"] == "JAMA Neurology"
    assert context["population"] == "ALS patients"
    assert context["comparator"] == "healthy people"
    assert "study_type" not in context
    # "The study also showed ..." refers back to the cited study.
    follow = context_for(seed, sentence_with(seed, "The study also showed"))
    assert follow == {"population": "ALS patients", "cited_source": "JAMA Neurology"}


def test_seed_mouse_model_sentence(seed):
    context = context_for(seed, sentence_with(seed, "in a mouse model of ALS"))
    assert context == {"species": "NCBITaxon:10090", "study_type": "animal_model"}
    # The next paragraph is not about mice.
    assert context_for(seed, sentence_with(seed, "Scientists now think")) == {}
    assert context_for(seed, sentence_with(seed, "people with ALS could"))["population"] == "people with ALS"


def test_seed_trial_section(seed):
    trial = context_for(seed, sentence_with(seed, "NCT03241784"))
    assert trial["trial_id"] == "clinicaltrials:NCT03241784"
    assert trial["trial_phase"] == "1"
    assert trial["sample_size"] == 3
    assert trial["study_type"] == "clinical_trial"
    safe = context_for(seed, sentence_with(seed, "safe and well-tolerated"))
    assert safe["trial_id"] == "clinicaltrials:NCT03241784"
    assert safe["study_type"] == "clinical_trial"
    assert safe["sample_size"] == 3
    # Background before the trial section has no context.
    assert context_for(seed, sentence_with(seed, "is thought to be one of the factors")) == {}


def test_seed_doc_extensions(seed):
    assert seed._.study_document_kind == "report"
    assert seed._.doc_context["trial_id"] == "clinicaltrials:NCT03241784"
    start = sentence_with(seed, "NCT03241784").start_char
    assert seed._.sentence_context[start]["trial_phase"] == "1"


def test_review_with_animal_and_in_vitro_clauses(nlp):
    doc = dev_doc(nlp, "PMID:42400730")
    assert doc._.doc_context["study_type"] == "review"
    sent = sentence_with(doc, "MPTP mouse")
    animal = doc.char_span(sent.start_char, sent.start_char + len("Combining"))
    in_vitro_at = sent.text.index("co‑administration")
    in_vitro = doc.char_span(sent.start_char + in_vitro_at, sent.start_char + in_vitro_at + 1, alignment_mode="expand")
    assert context_for(doc, sent, animal) == {"species": "NCBITaxon:10090", "study_type": "animal_model"}
    assert context_for(doc, sent, in_vitro) == {"study_type": "in_vitro"}
    assert context_for(doc, sentence_with(doc, "in preclinical models"))["study_type"] == "review"


def test_review_phase_trial_clause(nlp):
    doc = dev_doc(nlp, "PMID:42359165")
    sent = sentence_with(doc, "ANQUR")
    assert context_for(doc, sent)["trial_phase"] == "1/2"
    start = sent.text.index("QRL-201")
    qrl = doc.char_span(sent.start_char + start, sent.start_char + start + 7, alignment_mode="expand")
    assert context_for(doc, sent, qrl)["study_type"] == "clinical_trial"
    assert context_for(doc, sent, sent[:3]) == {"study_type": "review"}


def test_observational_population_comparator_sample(nlp):
    doc = dev_doc(nlp, "PMID:42466415")
    expected = {"study_type": "observational", "population": "ALS patients",
                "comparator": "healthy individuals", "sample_size": 5}
    assert context_for(doc, sentence_with(doc, "Single-cell profiling")) == expected
    assert context_for(doc, sentence_with(doc, "Across immune subsets")) == expected


def test_subgroup_sizes_and_background(nlp):
    doc = dev_doc(nlp, "PMID:42399152")
    assert context_for(doc, sentence_with(doc, "some studies reported")) == {}
    tofersen = context_for(doc, sentence_with(doc, "In tofersen-treated patients, macrophagic"))
    assert tofersen == {"study_type": "observational", "sample_size": 6, "population": "tofersen-treated patients"}
    assert context_for(doc, sentence_with(doc, "In nusinersen-treated"))["sample_size"] == 15
    assert context_for(doc, sentence_with(doc, "An inflammatory CSF profile"))["sample_size"] == 18


def test_animal_and_drosophila(nlp):
    doc = dev_doc(nlp, "PMID:42398690")
    assert context_for(doc, sentence_with(doc, "Histopathologically")) == {
        "species": "NCBITaxon:10090", "study_type": "animal_model"}
    assert context_for(doc, sentence_with(doc, "is a fatal neurodegenerative disease")) == {}
    fly = dev_doc(nlp, "PMID:42458512")
    assert context_for(fly, sentence_with(fly, "In Drosophila models, DHE")) == {
        "species": "NCBITaxon:7227", "study_type": "animal_model"}
    assert context_for(fly, sentence_with(fly, "conditioned-medium assays")) == {"study_type": "in_vitro"}


def test_meta_analysis_title_population(nlp):
    doc = dev_doc(nlp, "PMID:42455190")
    context = context_for(doc, sentence_with(doc, "RMT improved maximal expiratory pressure"))
    assert context == {"study_type": "review", "population": "patients with amyotrophic lateral sclerosis"}


def test_works_without_the_component():
    nlp = make_base_nlp()
    doc = nlp("We enrolled 24 participants (n = 24) in a randomized, placebo-controlled phase II trial.")
    context = context_for(doc, next(doc.sents))
    assert context["study_type"] == "clinical_trial"
    assert context["trial_phase"] == "2"
    assert context["sample_size"] == 24
    assert context["comparator"] == "placebo"
