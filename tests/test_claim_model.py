"""The claim classifier: gold alignment, training on a slice end to end, the shipped model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.training.gold import GOLD, align_entities, align_fact, load_gold_documents, occurrences

ROOT = Path(__file__).resolve().parents[1]
SEED_ARTICLE = ROOT / "corpora" / "als_news_tregs.txt"

needs_gold = pytest.mark.skipif(not (GOLD / "train" / "docs.jsonl").is_file(), reason="../shared/gold is not beside the repo")


def test_occurrences_are_at_word_boundaries():
    text = "In fALS and sporadic ALS, ALS-linked genes; ALS."
    assert [text[a:b] for a, b in occurrences(text, "ALS")] == ["ALS", "ALS", "ALS"]
    assert all(text[a - 1] != "f" for a, _ in occurrences(text, "ALS"))
    assert occurrences("IL-2 and IL-21", "IL-2") == [(0, 4)]
    assert occurrences("regulatory  T\ncells", "regulatory T cells") == [(0, 19)]


@needs_gold
def test_gold_mentions_and_facts_align_to_offsets():
    docs = load_gold_documents(GOLD / "dev")
    mentions = [m for d in docs for m in align_entities(d)]
    assert len(mentions) > 250
    for doc in docs:
        for m in align_entities(doc):
            assert doc.text[m.start:m.end].lower() in {e["text"].lower() for e in doc.entities} or \
                " " in doc.text[m.start:m.end] or "\n" in doc.text[m.start:m.end]
    train = load_gold_documents(GOLD / "train")
    facts = [(d, f) for d in train for f in d.facts]
    aligned = [align_fact(d.text, f) for d, f in facts]
    assert sum(a is not None for a in aligned) / len(facts) > 0.99  # every sentence is in its document
    both = [a for a in aligned if a is not None and a.subject and a.object]
    assert len(both) / len(facts) > 0.8
    for a in both[:200]:
        assert a.sentence_start <= a.subject[0] < a.subject[1] <= a.sentence_end


@needs_gold
def test_gold_train_documents_by_kind():
    """gold/README: 260 PubMed abstracts, 12 news articles and press releases, 6 trial records."""
    from collections import Counter

    from pipeline.training.gold import genre_of

    kinds = Counter(genre_of(d.doc_id) for d in load_gold_documents(GOLD / "train"))
    assert kinds == {"abstract": 260, "news": 12, "trial record": 6}


@needs_gold
def test_train_on_a_slice_end_to_end_is_deterministic(tmp_path):
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run([sys.executable, str(ROOT / "scripts" / "train_claims.py"), "--limit", "12", "--out", str(out)],
                       check=True, capture_output=True, text=True)
        outs.append(out)
    first, second = (np.load(o / "heads.npz") for o in outs)
    assert sorted(first.files) == sorted(second.files)
    for key in first.files:
        assert np.array_equal(first[key], second[key]), key
    assert first["relation_rows"].size > 100  # features were learned

    from pipeline.nlp import build_nlp

    nlp = build_nlp()
    nlp.replace_pipe("claim_model", "alsfacts_claim_model", config={"model_path": str(outs[0])})
    doc = nlp(SEED_ARTICLE.read_text(encoding="utf-8"))
    assert all(f.extractor.startswith(("model", "rule")) for f in doc._.facts)


def test_shipped_model_reads_claims_in_the_seed_article():
    from pipeline.nlp import build_nlp

    nlp = build_nlp()
    assert "claim_model" in nlp.pipe_names
    classifier = nlp.get_pipe("claim_model")
    assert classifier.model is not None, "pipeline/models/claims/ should ship a trained model"
    doc = nlp(SEED_ARTICLE.read_text(encoding="utf-8"))
    facts = doc._.facts
    assert len(facts) >= 5
    triples = {(f.subject.text.lower(), f.predicate, f.object.text.lower()) for f in facts}
    assert any(p == "safe_in" and "treg" in s for s, p, o in triples), triples
    assert all(0.0 <= f.confidence <= 1.0 for f in facts)
    for f in facts:  # offsets stay exact
        assert doc.text[f.subject.start_char:f.subject.end_char] == f.subject.text


def test_fast_extraction_runs_without_the_trained_models(tmp_path):
    from pipeline.nlp import LEARNED_PIPES, build_nlp

    fast = build_nlp(without=LEARNED_PIPES)
    assert not set(LEARNED_PIPES) & set(fast.pipe_names)
    out = tmp_path / "fast"
    subprocess.run([sys.executable, "-m", "pipeline.cli", "extract", str(SEED_ARTICLE), "--out", str(out), "--fast", "-q"],
                   check=True, capture_output=True, text=True, cwd=ROOT)
    import pandas as pd

    facts = pd.read_csv(out / "facts.csv")
    assert len(facts) >= 5
    assert not facts["extractor"].str.startswith(("model", "rule+")).any()


def test_per_predicate_thresholds_decide_after_the_predicate():
    from pipeline.components.claim_model import decide, threshold_for
    from pipeline.schema import PREDICATES

    polarity = np.zeros((1, 4))
    polarity[0, 0] = 1.0  # positive
    predicate = np.full((1, len(PREDICATES)), 0.01)
    predicate[0, PREDICATES.index("higher_in")] = 0.9
    scores = {"relation": np.array([0.3]), "polarity": polarity, "predicate": predicate,
              "direction": np.array([0.8]), "negated": np.array([0.1])}
    assert decide(scores, 0, PREDICATES, 0.35) is None
    assert decide(scores, 0, PREDICATES, {"*": 0.35, "higher_in": 0.25}) == ("higher_in", True, False)
    assert decide(scores, 0, PREDICATES, {"*": 0.2, "higher_in": 0.4}) is None
    assert threshold_for({"*": 0.35, "causes": 0.5}, "treats") == 0.35


def test_candidates_carry_mention_confidence_and_what_the_document_says_elsewhere():
    from pipeline.nlp import build_nlp
    from pipeline.training.claims import rule_pipeline

    nlp = build_nlp()
    with nlp.select_pipes(enable=rule_pipeline(nlp)):
        doc = nlp(SEED_ARTICLE.read_text(encoding="utf-8"))
    threshold = nlp.get_pipe("mention_filter").threshold
    assert doc.ents and all(e._.mention_p is not None and e._.mention_p >= threshold for e in doc.ents)
    cands = nlp.get_pipe("claim_model").doc_candidates(doc)
    assert cands
    for cand in cands:
        conf = [f for f in cand.features if f.startswith("conf_")]
        assert len(conf) == 2 and "conf_a=none" not in conf, conf
        assert sum(f.startswith("pair_sents=") for f in cand.features) == 1
    # Tregs and ALS meet in many sentences of the article; a rule fact about a pair shows in its
    # candidates in the other sentences
    repeated = [c for c in cands if "pair_sents=4" in c.features]
    assert any({c.first.text.lower(), c.second.text.lower()} & {"tregs", "regulatory t cells"} for c in repeated)
    elsewhere = [c for c in cands if any(f.startswith("rule_elsewhere=") for f in c.features)]
    assert elsewhere
    for cand in elsewhere:
        key = {cand.first.kb_id_ or cand.first.text.lower(), cand.second.kb_id_ or cand.second.text.lower()}
        others = [c for c in cands if c.rule is not None and c.sentence.start != cand.sentence.start
                  and {c.first.kb_id_ or c.first.text.lower(), c.second.kb_id_ or c.second.text.lower()} == key]
        assert others


def test_candidates_read_their_own_sentence_words():
    from pipeline.nlp import build_nlp
    from pipeline.training.claims import rule_pipeline

    nlp = build_nlp()
    with nlp.select_pipes(enable=rule_pipeline(nlp)):
        doc = nlp(SEED_ARTICLE.read_text(encoding="utf-8"))
    cands = nlp.get_pipe("claim_model").doc_candidates(doc)
    assert cands
    for cand in cands:
        words = {f[3:] for f in cand.features if f.startswith("sw=")}
        sentence = {t.lower_ for t in cand.sentence if t.is_alpha}
        assert words and words <= sentence  # the candidate's own sentence, nothing from elsewhere
        assert not words & {"the", "of", "and", "was"}  # function words are left out
    # the "inverse link" sentence: its words reach every pair in it, whichever pair
    inverse = [c for c in cands if "sw=inverse" in c.features]
    assert inverse and all("sw=link" in c.features for c in inverse)


@needs_gold
def test_crossval_learning_curve_and_gold_mention_ceiling_on_a_slice(tmp_path):
    """`scripts/crossval.py --learning-curve --gold-mentions` on 20 gold/train documents: gold's
    mentions cover the gold facts' arguments (the pipeline's do not), and the extra systems leave
    the pipeline's own documents untouched."""
    import json

    out = tmp_path / "lc.json"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "crossval.py"), "--limit", "20", "--learning-curve",
                    "--gold-mentions", "--json", str(out)], check=True, capture_output=True, text=True)
    folds = json.loads(out.read_text())["train_5fold"]
    assert {"claims trained on 25%", "claims trained on 75%", "entity steps trained on 50%",
            "gold mentions first", "gold mentions only"} <= set(folds)
    pipeline, oracle = folds["model+rules"], folds["gold mentions only"]
    assert oracle["argument_coverage"] > 0.95 > pipeline["argument_coverage"]
    assert oracle["entity_f1"] > 0.95 > pipeline["entity_f1"]
    assert oracle["fact_r"] > pipeline["fact_r"]
    # the learning-curve systems score the same documents' facts (claims) or their own mentions (terms)
    assert folds["claims trained on 25%"]["entity_f1"] == pipeline["entity_f1"]
    assert 0 < folds["claims trained on 25%"]["fact_f1"] < 1
    assert folds["entity steps trained on 50%"]["fact_f1"] > 0
    # the default system per kind of document: the slice's 20 documents are all abstracts
    by_genre = json.loads(out.read_text())["train_5fold_default_by_genre"]
    assert set(by_genre) == {"abstract"} and by_genre["abstract"]["documents"] == 20
    assert {k: v for k, v in by_genre["abstract"].items() if k != "documents"} == pipeline


def test_an_outcome_does_not_lower_the_population_a_sentence_is_about():
    """The seed article: "This suggests that enhancing the Tregs level in people with ALS could
    delay the disease's progression." Whatever the classifier scores, "progression — decreases —
    ALS" is not a fact (ALS names whom the study is about); a pair whose subject is no outcome
    stays the classifier's call."""
    from pipeline.components.claim_model import PREDICATES as MODEL_PREDICATES, facts_from_scores
    from pipeline.components.claim_features import Candidate
    from pipeline.nlp import shared_nlp

    text = SEED_ARTICLE.read_text(encoding="utf-8")
    doc = shared_nlp()(text)
    sent = next(s for s in doc.sents if "in people with ALS could delay" in s.text)
    mentions = {e.text: e for e in doc.ents if sent.start <= e.start and e.end <= sent.end}
    assert {"ALS", "disease’s progression", "Tregs"} <= set(mentions)
    pairs = [Candidate(mentions["disease’s progression"], mentions["ALS"], sent, []),
             Candidate(mentions["Tregs"], mentions["ALS"], sent, [])]
    negative = np.zeros((2, 4))
    negative[:, 1] = 1.0
    predicate = np.zeros((2, len(MODEL_PREDICATES)))
    predicate[:, MODEL_PREDICATES.index("decreases")] = 1.0
    scores = {"relation": np.array([0.9, 0.9]), "polarity": negative, "predicate": predicate,
              "direction": np.array([1.0, 1.0]), "negated": np.array([0.0, 0.0])}
    facts = facts_from_scores(doc, pairs, scores, MODEL_PREDICATES, 0.35)
    assert [(f.subject.text, f.predicate, f.object.text) for f in facts] == [("Tregs", "decreases", "ALS")]
