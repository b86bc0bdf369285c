"""Sentence claim strength: the shipped model on real sentences, its folded inference against the
training-time features, and the training script end to end on a slice of ../shared."""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

warnings.filterwarnings("ignore", category=FutureWarning)

from pipeline.components.strength import (  # noqa: E402
    LABELS, MODEL_PATH, YU_LABELS, StrengthModel, cue_classes, sentence_features, strength_of,
)
from pipeline.nlp import make_base_nlp  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
YU = SHARED / "data" / "causal_language" / "yu2020_annotated_pubmed.csv"
needs_shared = pytest.mark.skipif(not (YU.exists() and (SHARED / "gold" / "train").exists()),
                                  reason="../shared data is absent")


@pytest.fixture(scope="module")
def nlp():
    nlp = make_base_nlp()
    nlp.add_pipe("alsfacts_strength")
    return nlp


def test_manifest_describes_the_shipped_model():
    manifest = json.loads(MODEL_PATH.with_suffix(".json").read_text(encoding="utf-8"))
    assert manifest["version"] and "gold/dev" in " ".join(manifest["never_trained_on"])
    assert manifest["evaluation"]["yu_pubmed_5fold"]["macro_f1"] > 0.7
    assert MODEL_PATH.stat().st_size < 3_000_000
    model = StrengthModel.load(MODEL_PATH)
    assert len(model.feature_names) == manifest["features"]["count"]


@pytest.mark.parametrize("text, expected", [
    ("The IFN score significantly correlated with the ALSFRS-R slope in this genetic ALS cohort.", "correlational"),
    ("In Drosophila models, DHE significantly improved locomotor function and extended survival.", "direct_causal"),
    ("This suggests that enhancing the Tregs level in people with ALS could delay the disease’s progression.",
     "conditional_causal"),
    ("Patients were recruited at three centres between 2019 and 2022.", "none"),
])
def test_real_sentences(nlp, text, expected):
    doc = nlp(text)
    sent = next(doc.sents)
    assert doc._.sentence_strength[sent.start_char] == expected
    assert strength_of(doc, sent) == expected


def test_has_claim_never_none(nlp):
    doc = nlp("The results showed that Treg infusions were safe and well-tolerated by all three patients.")
    assert strength_of(doc, doc[:], has_claim=True) in {"correlational", "conditional_causal", "direct_causal"}


def test_every_sentence_of_the_news_article_labelled(nlp):
    text = (ROOT / "corpora" / "als_news_tregs.txt").read_text(encoding="utf8")
    doc = nlp(text)
    labels = doc._.sentence_strength
    assert set(labels) == {s.start_char for s in doc.sents}
    assert set(labels.values()) <= set(LABELS)
    assert {"none", "direct_causal"} <= set(labels.values())
    # The whole-doc path and the single-span path give the same scores.
    for sent in list(doc.sents)[:8]:
        row = doc._.sentence_strength_scores[sent.start_char]
        assert np.allclose(row, StrengthModel.load(MODEL_PATH).score_words([t.lower_ for t in sent]), atol=1e-4)


def test_cue_classes_come_from_the_tables():
    classes = cue_classes()
    assert classes["may"] == "hedged" and classes["whether"] == "hypothetical"
    assert classes["correlated"].startswith("correlational")
    features = sentence_features("riluzole may slow disease progression".split())
    assert "c:hedged" in features and "p:hedged>direct_causal_verb" in features
    assert "b:may slow" in features and "w:riluzole" in features


@needs_shared
def test_folded_inference_equals_the_fitted_classifier():
    """The shipped inference (one row per word, pair tables) scores exactly what sklearn fitted."""
    pd = pytest.importorskip("pandas")
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    table = pd.read_csv(YU).sample(n=400, random_state=3)
    tokenizer = make_base_nlp().tokenizer
    words = [[t.lower_ for t in doc] for doc in tokenizer.pipe(table["sentence"].astype(str))]
    y = [LABELS.index(YU_LABELS[int(v)]) for v in table["label"]]
    vectorizer = CountVectorizer(analyzer=lambda f: f, min_df=2, lowercase=False)
    X = vectorizer.fit_transform([sentence_features(w) for w in words])
    fitted = LogisticRegression(C=0.3, max_iter=2000).fit(X[:300], y[:300])
    model = StrengthModel(vectorizer.get_feature_names_out().tolist(), fitted.coef_.T, fitted.intercept_,
                          [LABELS[c] for c in fitted.classes_])
    expected = fitted.decision_function(X[300:])
    got = np.array([model.score_words(w) for w in words[300:]])
    assert np.allclose(got, expected, atol=1e-3)


@needs_shared
def test_the_shipped_model_was_trained_on_the_sentences_the_pipeline_gives_now():
    # The model reads sentences as the pipeline splits them and the cue classes of the trigger and
    # certainty tables. A change to either changes its training data, and the shipped model is then
    # no longer what `scripts/train_models.py` builds (session 32 found one two days stale).
    sys.path.insert(0, str(ROOT / "scripts"))
    import train_strength

    recorded = json.loads(MODEL_PATH.with_suffix(".json").read_text(encoding="utf-8"))["training_features"]
    now = train_strength.training_fingerprint(train_strength.load_data())
    assert now["sentences"] == recorded["sentences"] == 6232
    assert now["sha256"] == recorded["sha256"], (
        "the sentences or cue tables the strength model was trained on have changed: "
        "run python scripts/train_models.py --only strength --only claims")


@needs_shared
def test_training_script_on_a_slice(tmp_path):
    """scripts/train_strength.py end to end on a slice: data from ../shared, a model that loads and labels."""
    out = tmp_path / "strength.npz"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "train_strength.py"), "--limit", "150",
                    "--no-eval", "--out", str(out)], check=True, cwd=ROOT, capture_output=True)
    manifest = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert manifest["training_data"]["limit"] == 150
    assert manifest["training_data"]["sentences"]["train"]["none"] > 0  # gold/train sentences were used
    held_out = manifest["evaluation"]["seed_dev_heldout"]
    assert held_out["facts"] > 150 and 0 <= held_out["fact_strength_accuracy"] <= 1
    model = StrengthModel.load(out)
    nlp = make_base_nlp()
    nlp.add_pipe("alsfacts_strength", config={"model_path": str(out)})
    doc = nlp("Riluzole may slow disease progression. Serum NfL correlated with survival.")
    assert set(doc._.sentence_strength.values()) <= set(model.labels)
    assert len(doc._.sentence_strength) == 2
