"""The mention filter: labels from gold, training on a slice end to end, the shipped model on text it never saw."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.components.mention_filter import MODEL_DIR, MentionFilter, mention_features
from pipeline.evaluate import entity_items, load_gold, predicted_entity_correct
from pipeline.training.gold import GOLD, load_gold_documents
from pipeline.training import mentions
from pipeline.training.mentions import labelled_mentions, mention_item

ROOT = Path(__file__).resolve().parents[1]
SEED_ARTICLE = ROOT / "corpora" / "als_news_tregs.txt"

needs_gold = pytest.mark.skipif(not (GOLD / "train" / "docs.jsonl").is_file(), reason="../shared/gold is not beside the repo")


@pytest.fixture(scope="module")
def proposing_nlp():
    return mentions.proposing_nlp()


@needs_gold
def test_proposed_mentions_are_labelled_by_the_spec_entity_rule(proposing_nlp):
    golds = load_gold_documents(GOLD / "dev")[:4]
    labels = {}
    for gold, doc in zip(golds, proposing_nlp.pipe(g.text for g in golds)):
        rows = labelled_mentions(doc, gold)
        assert len(rows) == len(doc.ents) > 10
        for span, (features, label) in zip(doc.ents, rows):
            labels.setdefault(span.text.lower(), set()).add(label)
            assert features[0] == f"type={span.label_}" and any(x.startswith("left=") for x in features)
    # ALS is annotated in every dev abstract, so its mentions are kept
    assert labels.get("als") == {True} or labels.get("amyotrophic lateral sclerosis") == {True}
    # and the entity steps propose words the gold does not list
    assert sum(1 for v in labels.values() if v == {False}) >= 3


@needs_gold
def test_train_on_a_slice_end_to_end_is_deterministic(tmp_path):
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run([sys.executable, str(ROOT / "scripts" / "train_mention_filter.py"), "--limit", "15",
                        "--no-cv", "--threshold", "0.4", "--out", str(out)], check=True, cwd=ROOT,
                       capture_output=True, text=True)
        outs.append(out)
    a, b = (np.load(o / "weights.npy") for o in outs)
    assert a.dtype == np.float32 and np.count_nonzero(a) > 100
    assert np.array_equal(a, b)
    loaded = MentionFilter(None, "mention_filter", model_path=str(outs[0]))
    assert loaded.threshold == 0.4 and loaded.weights.shape == a.shape


@needs_gold
def test_shipped_filter_drops_mostly_mentions_the_dev_gold_does_not_list(proposing_nlp):
    """gold/dev was never used to train the filter: of the mentions it removes there, most are
    not gold entities, and it keeps most of those that are."""
    assert (MODEL_DIR / "weights.npy").is_file()
    shipped = MentionFilter(None, "mention_filter")
    gold = load_gold(GOLD / "dev")
    items = entity_items(gold.entities)
    dropped_wrong = dropped = kept_right = right = 0
    for g in load_gold_documents(GOLD / "dev"):
        doc = proposing_nlp(g.text)
        probs = shipped.predict([doc])[0]
        for span, p in zip(doc.ents, probs):
            correct = any(predicted_entity_correct(mention_item(span), x) for x in items.get(g.doc_id, []))
            right += correct
            if p < shipped.threshold:
                dropped += 1
                dropped_wrong += not correct
            else:
                kept_right += correct
    assert dropped >= 10
    assert dropped_wrong / dropped > 0.6
    assert kept_right / right > 0.9


def test_the_pipeline_keeps_the_seed_articles_entities():
    from pipeline.nlp import shared_nlp

    nlp = shared_nlp()
    assert "mention_filter" in nlp.pipe_names
    doc = nlp(SEED_ARTICLE.read_text(encoding="utf-8"))
    texts = {e.text.lower() for e in doc.ents}
    assert {"als", "regulatory t-cells", "il-2"} <= texts
