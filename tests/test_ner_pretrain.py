"""Pretraining of the NER's tok2vec (scripts/train_ner.py pretrain) on unlabelled text."""
import importlib.util
from pathlib import Path

import numpy
import pytest
import spacy
import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab

from pipeline.components.ner import load_ner_model

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
GOLD_DEV = ROOT / ".." / "shared" / "gold" / "dev" / "docs.jsonl"


@pytest.fixture(scope="module")
def train_ner():
    if not (DATA / "bc5cdr").exists():
        pytest.skip("shared corpora not present: ../shared/data")
    spec = importlib.util.spec_from_file_location("train_ner", ROOT / "scripts" / "train_ner.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def unlabelled(train_ner):
    return train_ner.unlabelled_texts(DATA)


def test_pretraining_text_holds_no_sentence_we_report_or_select_on(train_ner, unlabelled):
    texts, counts = unlabelled
    squeeze = train_ner.squeeze
    sentences = {squeeze(s) for text in texts for s in train_ner.SEGMENT_RE.split(text)}
    bc5_dev = train_ner.read_pubtator(DATA / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt")
    dev_sentences = {squeeze(s) for _, text, _ in bc5_dev for s in train_ner.SEGMENT_RE.split(text)} - {""}
    assert len(dev_sentences) > 4000
    assert not sentences & dev_sentences
    for gold in (GOLD_DEV, GOLD_DEV.parents[1] / "train" / "docs.jsonl"):  # model selection; cross-validated
        docs = [train_ner.SEGMENT_RE.split(d["title"] + "\n\n" + d["text"]) for d in srsly.read_jsonl(gold)]
        assert not sentences & ({squeeze(s) for doc in docs for s in doc} - {""})
    # the BC5CDR training abstracts are used, the 500 development PMIDs CDR_TrainingSet repeats are not
    assert 480 <= counts["bc5cdr/CDR_TrainingSet.PubTator.txt"] <= 500  # some are BioRED Dev abstracts
    assert counts["studytypeteller/study_types.jsonl"] > 1500
    assert counts["sentences_dropped"] > 0


def test_pretrains_and_starts_training_from_the_weights(train_ner, tmp_path):
    dict_nlp = train_ner.dictionary_nlp()
    out = tmp_path / "pretrain"
    report = train_ner.build_pretrain_corpus(DATA, out, nlp=dict_nlp, limit=8)
    assert report["documents"] == 8
    docs = list(DocBin().from_disk(out / "pretrain.spacy").get_docs(Vocab()))
    assert any(t.tag_.startswith("B-") for doc in docs for t in doc)  # dictionary TAGs carried
    weights = train_ner.pretrain_tok2vec(out, {"pretraining.max_epochs": 1})
    assert weights.exists() and weights.stat().st_size > 100_000
    corpus = tmp_path / "corpus"
    train_ner.convert_corpora(DATA, corpus, limit=4, nlp=dict_nlp)
    best = train_ner.train_model(corpus, tmp_path / "model", init_tok2vec=weights, overrides={
        "training.max_steps": 2, "training.eval_frequency": 1, "corpora.dev.limit": 2})
    model = load_ner_model(str(best))
    assert set(model.get_pipe("ner").labels) == {"CHEMICAL_OR_DRUG", "DISEASE"}
    # the trained tok2vec started from the pretrained weights: after 2 steps its embeddings are still close
    trained = model.get_pipe("tok2vec").model
    pretrained = spacy.load(best).get_pipe("tok2vec").model.from_bytes(weights.read_bytes())
    gaps = [numpy.abs(a.get_param("E") - b.get_param("E")).mean()
            for a, b in zip(trained.walk(), pretrained.walk()) if a.name == "hashembed"]
    assert len(gaps) == 5 and max(gaps) < 0.005, gaps
    fresh = train_ner.train_model(corpus, tmp_path / "fresh", overrides={
        "training.max_steps": 2, "training.eval_frequency": 1, "corpora.dev.limit": 2})
    fresh_model = spacy.load(fresh).get_pipe("tok2vec").model
    gaps = [numpy.abs(a.get_param("E") - b.get_param("E")).mean()
            for a, b in zip(fresh_model.walk(), pretrained.walk()) if a.name == "hashembed"]
    assert min(gaps) > 0.01, gaps
    with pytest.raises(FileNotFoundError, match="none.bin: no pretrained tok2vec weights"):
        train_ner.train_model(corpus, tmp_path / "model2", init_tok2vec=tmp_path / "none.bin",
                              overrides={"training.max_steps": 2})
