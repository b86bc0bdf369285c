"""alsfacts_ner: the dictionary feature on the model's tokens, corpus conversion with missing
types, training on a slice end to end, and the shipped model on real text."""
import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from pipeline.components.ner import MODEL_DIR, POPULATION_NOUNS, AlsNer, feature_doc, load_ner_model, relation

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
SEED = ROOT / "corpora" / "als_news_tregs.txt"
OVERVIEW = ROOT / "corpora" / "als_therapies_overview.md"


def load_script():
    spec = importlib.util.spec_from_file_location("train_ner", ROOT / "scripts" / "train_ner.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def train_ner():
    if not (DATA / "bc5cdr").exists():
        pytest.skip("shared corpora not present: ../shared/data")
    return load_script()


@pytest.fixture(scope="module")
def dict_nlp():
    return load_script().dictionary_nlp()


def test_feature_doc_keeps_text_and_carries_dictionary_types(dict_nlp):
    text = "Doxorubicin-induced cardiomyopathy and ALS/FTD were compared with riluzole and SOD1 mutations."
    doc = dict_nlp(text)
    copy = feature_doc(Vocab(), doc)
    assert copy.text == doc.text
    words = [t.text for t in copy]
    assert words[:3] == ["Doxorubicin", "-", "induced"]
    assert "/" in words and "FTD" in words
    tags = {t.text: t.tag_ for t in copy}
    assert tags["riluzole"] == "B-CHEMICAL_OR_DRUG"
    assert tags["SOD1"] == "B-GENE_OR_PROTEIN"
    assert tags["were"] == "O"


def test_conversion_marks_unannotated_types_missing(train_ner, dict_nlp):
    """NCBI disease annotates diseases only: gene-like words are unknown, not 'outside'."""
    sentences = [(t, sp) for t, sp in train_ner.read_iob(DATA / "ncbi_disease" / "train.tsv")[:60] if sp]
    unknown = 0
    for text, spans in sentences:
        ref = train_ner.to_reference(Vocab(), dict_nlp(text), "ncbi_disease", spans, "expand", Counter())
        assert {e.label_ for e in ref.ents} == {"DISEASE"}
        assert any(t.ent_iob_ == "O" for t in ref)
        for t in ref:
            if t.ent_iob_ not in ("B", "I") and train_ner.GENE_LIKE_RE.search(t.text):
                assert t.ent_iob_ == "", (t.text, text)
                unknown += 1
    assert unknown > 5
    # BioRED annotates all three types: nothing is missing
    pmid, text, spans = train_ner.read_pubtator(DATA / "biored" / "Train.PubTator")[0]
    ref = train_ner.to_reference(Vocab(), dict_nlp(text), "biored", spans, "expand", Counter())
    assert all(t.ent_iob_ for t in ref)
    assert {"GENE_OR_PROTEIN", "DISEASE"} <= {e.label_ for e in ref.ents}


def test_bc5cdr_dev_is_never_in_training(train_ner):
    splits = train_ner.collect(DATA)
    dev_ids = {r[1] for r in splits["bc5cdr_dev"]}
    assert len(dev_ids) == 500
    assert not dev_ids & {r[1] for r in splits["train"]}
    assert not dev_ids & {r[1] for r in splits["dev"]}
    assert sum(r[0] == "bc5cdr" for r in splits["train"]) == 500


def test_trains_on_a_slice_end_to_end(train_ner, dict_nlp, tmp_path):
    corpus = tmp_path / "corpus"
    report = train_ner.convert_corpora(DATA, corpus, limit=6, nlp=dict_nlp)
    assert report["splits"]["train"]["documents"] == {"bc5cdr": 6}
    assert len(list(DocBin().from_disk(corpus / "train.spacy").get_docs(Vocab()))) == 6
    best = train_ner.train_model(corpus, tmp_path / "model", overrides={
        "training.max_steps": 4, "training.eval_frequency": 2, "corpora.dev.limit": 2})
    model = load_ner_model(str(best))
    assert set(model.get_pipe("ner").labels) == {"CHEMICAL_OR_DRUG", "DISEASE"}
    ner = AlsNer(model, "ner", model_path=str(best), use_tfidf=False)
    spans = ner.predict_spans([model.make_doc(SEED.read_text()[:500])])
    assert isinstance(spans[0], list)


def test_the_shipped_model_was_trained_on_the_features_the_entity_steps_give_now(train_ner, dict_nlp):
    # The NER reads what the dictionary found at each token. A change to the entity steps (a
    # dictionary rule, a phrase pattern, the sentence splitter) changes its training data, and the
    # shipped model is then no longer what `scripts/train_models.py` builds: rebuild it (and the
    # mention filter and claim classifier after it) with `--only ner --only mentions --only claims`.
    recorded = json.loads((MODEL_DIR / "manifest.json").read_text())["dictionary_features"]
    now = train_ner.feature_fingerprint(DATA, nlp=dict_nlp)
    assert now["records"] == recorded["records"] == 11183
    assert now["sha256"] == recorded["sha256"], (
        "the entity steps no longer give the dictionary features the shipped NER was trained on: "
        "run python scripts/train_models.py --only ner --only mentions --only claims")


@pytest.fixture(scope="module")
def shipped(dict_nlp):
    if not (MODEL_DIR / "config.cfg").exists():
        pytest.fail(f"no shipped NER model in {MODEL_DIR}")
    return AlsNer(dict_nlp, "ner")


def test_shipped_model_finds_drugs_and_diseases_in_real_text(shipped, dict_nlp):
    text = next(line for line in OVERVIEW.read_text().splitlines() if "Riluzole was the first drug" in line)
    spans = shipped.predict_spans([dict_nlp(text)])[0]
    found = {(text[s:e], label) for s, e, label in spans}
    assert ("Riluzole", "CHEMICAL_OR_DRUG") in found
    assert ("amyotrophic lateral sclerosis", "DISEASE") in found
    assert ("ALS", "DISEASE") in found


def test_shipped_model_adds_only_where_the_dictionary_found_nothing(shipped, dict_nlp):
    text = SEED.read_text()
    doc = dict_nlp(text)
    before = {(e.start_char, e.end_char, e.label_, e.kb_id_) for e in doc.ents}
    spans = shipped.predict_spans([doc])[0]
    shipped.add_spans(doc, spans)
    after = {(e.start_char, e.end_char, e.label_, e.kb_id_) for e in doc.ents}
    assert before <= after  # dictionary entities are kept as they were
    added = after - before
    for s, e, _, _ in added:
        assert not any(bs < e and s < be for bs, be, _, _ in before)
    # deterministic: the same text gives the same spans
    assert shipped.predict_spans([dict_nlp(text)])[0] == spans


def test_filtered_merge_keeps_lone_words_only_when_linked(shipped, dict_nlp):
    # (words neither the KB, the mined gold terms nor the phrase rules know)
    text = "Levels of QRX were measured; QRX was low in hereditary sensory neuronopathy."
    doc = dict_nlp(text)
    before = {(e.start_char, e.end_char) for e in doc.ents}
    first, phrase = text.index("QRX"), text.index("hereditary sensory neuronopathy")
    spans = [(first, first + 3, "DISEASE"), (phrase, phrase + len("hereditary sensory neuronopathy"), "DISEASE")]
    assert all((s, e) not in before for s, e, _ in spans)
    shipped.add_spans(doc, spans)
    added = {e.text for e in doc.ents if (e.start_char, e.end_char) not in before}
    assert "QRX" not in added                           # a lone word the KB does not link
    assert "hereditary sensory neuronopathy" in added   # several words
    # ids come from the KB: exact form first, then TF-IDF restricted to the span's type
    (riluzole_id, name, _), (other_id, _, _) = shipped.link(["Riluzole", "Riluzole"], ["CHEMICAL_OR_DRUG", "DISEASE"])
    assert riluzole_id == "MESH:D019782" and name == "Riluzole"
    assert other_id == ""


def test_lone_drug_and_disease_names_stay_when_the_kb_lacks_them(shipped, dict_nlp, train_ner):
    # BC5CDR development abstract 17042884 (never trained on): "akathisia" is in no KB term list,
    # so only the model finds it; as a lowercase lone word that is no adjective, it stays unlinked
    records = {pmid: text for pmid, text, _ in train_ner.read_pubtator(DATA / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt")}
    doc = dict_nlp(records["17042884"])
    assert not any(e.text.lower() == "akathisia" for e in doc.ents)
    shipped.add_spans(doc, shipped.predict_spans([doc])[0])
    akathisia = [e for e in doc.ents if e.text.lower() == "akathisia"]
    assert akathisia and {e.label_ for e in akathisia} == {"DISEASE"} and not any(e.kb_id_ for e in akathisia)
    # the model's abbreviation-like and adjective-like lone words still need the KB's link
    text = "Serum QRX was inflammatory in hereditary motor neuronopathy."
    doc = dict_nlp(text)
    spans = [(text.index("QRX"), text.index("QRX") + 3, "DISEASE"),
             (text.index("inflammatory"), text.index("inflammatory") + len("inflammatory"), "DISEASE")]
    shipped.add_spans(doc, spans)
    assert not {"QRX", "inflammatory"} & {e.text for e in doc.ents}


def test_merge_off_loads_no_model(dict_nlp):
    ner = AlsNer(dict_nlp, "ner", merge="off")
    assert ner.model is None
    doc = dict_nlp("Riluzole slows ALS.")
    ents = [(e.text, e.label_) for e in doc.ents]
    assert [(e.text, e.label_) for e in ner(doc).ents] == ents
    with pytest.raises(ValueError, match="merge must be one of"):
        AlsNer(dict_nlp, "ner", merge="everything")


def test_shipped_manifest_records_data_and_figures(shipped):
    manifest = json.loads((MODEL_DIR / "manifest.json").read_text())
    assert manifest["version"] and manifest["training_data"]["train"]
    assert manifest["bc5cdr_dev_strict"]["model"]["all"]["f"] > 0.8
    size = sum(p.stat().st_size for p in MODEL_DIR.rglob("*") if p.is_file())
    assert size < 15e6


def test_resolve_merge_lets_the_model_win_where_the_table_says(shipped, dict_nlp):
    """`resolve` (default): the model's span replaces an overlapping dictionary entity only for
    the (relation, dictionary type, model type) rows of MODEL_WINS, and a gene or protein typed so
    by MeSH alone (not an HGNC gene) on the model's same chemical span; otherwise the dictionary stays."""
    text = ("Women with breast tumours received riluzole hydrochloride, lithium therapy and cyclosporine; "
            "serum NfL fell.")
    doc = dict_nlp(text)
    before = {e.text: (e.label_, e.kb_id_) for e in doc.ents}
    assert before["breast"][0] == "ANATOMY" and before["lithium therapy"][0] == "INTERVENTION"
    assert before["riluzole"][0] == "CHEMICAL_OR_DRUG"
    assert before["cyclosporine"] == ("GENE_OR_PROTEIN", "MESH:D003524") and before["NfL"][1].startswith("HGNC:")

    def at(phrase, label):
        start = text.index(phrase)
        return (start, start + len(phrase), label)

    spans = [at("breast tumours", "DISEASE"), at("riluzole hydrochloride", "CHEMICAL_OR_DRUG"),
             at("lithium", "CHEMICAL_OR_DRUG"), at("cyclosporine", "CHEMICAL_OR_DRUG"), at("NfL", "CHEMICAL_OR_DRUG")]
    assert shipped.merge == "resolve"
    shipped.add_spans(doc, spans)
    after = {e.text: (e.label_, e.kb_id_) for e in doc.ents}
    assert after["riluzole hydrochloride"][0] == "CHEMICAL_OR_DRUG" and "riluzole" not in after  # longer chemical
    assert after["cyclosporine"] == ("CHEMICAL_OR_DRUG", "MESH:D003524")  # a peptide drug, the same concept
    for kept in ("breast", "lithium therapy", "NfL"):   # where ALS gold follows the dictionary
        assert after[kept] == before[kept]
    assert "breast tumours" not in after and "lithium" not in after
    assert relation(0, 5, 0, 5) == "same" and relation(0, 9, 2, 5) == "longer" and relation(1, 3, 0, 5) == "shorter"


def test_supported_merge_drops_dictionary_chemicals_the_model_does_not_see(dict_nlp):
    text = "Women with breast cancer received lithium therapy, riluzole and placebo; ALS patients were excluded."
    doc = dict_nlp(text)
    dictionary = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
    patients = text.index("patients")
    dictionary.append((patients, patients + len("patients"), "DISEASE"))  # FACTS_SPEC's population noun
    start = text.index("riluzole")
    found = [(start, start + len("riluzole"), "CHEMICAL_OR_DRUG")]
    dropped = {text[s:e] for s, e in AlsNer.unsupported(doc, dictionary, found)}
    # riluzole: the model found it; lithium therapy: another type; "breast cancer" and ALS: diseases it did not see
    assert dropped == {"placebo", "ALS", "breast cancer"}
    assert "patients" in POPULATION_NOUNS


def test_an_abbreviation_defined_in_the_text_keeps_its_long_forms_type(shipped, dict_nlp, train_ner):
    """BC5CDR development abstract 6436733 (never trained on) defines "valproic acid (VPA)": the KB
    does not link the letters "VPA", so the model's "VPA" would be dropped as an unlinked
    abbreviation-like word; the long form ends with the dictionary's valproic acid, so every
    "VPA" stays, a chemical with valproic acid's id."""
    records = {pmid: text for pmid, text, _ in train_ner.read_pubtator(DATA / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt")}
    doc = dict_nlp(records["6436733"])
    assert any(a["short_text"] == "VPA" for a in doc._.abbreviations)
    acid = [e for e in doc.ents if e.text.lower() == "valproic acid"]
    occurrences = len(re.findall(r"\bVPA\b", doc.text))
    assert acid and len([e for e in doc.ents if e.text == "VPA"]) < occurrences
    spans = shipped.predict_spans([doc])[0]
    shipped.add_spans(doc, spans)
    vpa = [e for e in doc.ents if e.text == "VPA"]
    assert len(vpa) == occurrences and {(e.label_, e.kb_id_) for e in vpa} == {("CHEMICAL_OR_DRUG", acid[0].kb_id_)}
    # an undefined abbreviation-like word the KB does not link still needs the link
    text = "Serum QRX rose in hereditary motor neuronopathy."
    doc = dict_nlp(text)
    shipped.add_spans(doc, [(text.index("QRX"), text.index("QRX") + 3, "CHEMICAL_OR_DRUG")])
    assert "QRX" not in {e.text for e in doc.ents}


def test_a_number_or_ratio_is_no_unlinked_mention(shipped, dict_nlp):
    # ALS trial record NCT02869048 (../shared/data/als_corpus, in no gold set): the model reads
    # "1-2/100" in "the incidence of ALS is 1-2/100. 000" as a chemical; a span whose first word
    # has no letter is kept only where the KB links it
    path = DATA / "als_corpus" / "trials.jsonl"
    record = next(r for r in map(json.loads, path.open(encoding="utf-8")) if r["id"] == "NCT02869048")
    text = record["title"] + "\n\n" + record["text"]
    doc = dict_nlp(text)
    ratio = text.index("1-2/100")
    # what the model proposed there (December 6), whatever the shipped model now proposes
    spans = shipped.predict_spans([doc])[0] + [(ratio, ratio + len("1-2/100"), "CHEMICAL_OR_DRUG")]
    shipped.add_spans(doc, spans)
    assert not [e.text for e in doc.ents if not any(c.isalpha() for c in e.text.split()[0])]
    assert {"riluzole", "ALS"} <= {e.text for e in doc.ents}
