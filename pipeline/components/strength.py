"""Sentence claim strength after Yu et al. (2019/2020).

Each sentence gets one of `direct_causal`, `conditional_causal`, `correlational`
or `none` from a linear model over lower-cased word unigrams and bigrams
(trained by `scripts/train_strength.py` on Yu et al.'s annotated PubMed
conclusion sentences). The model ships as plain arrays (`pipeline/models/
strength_linear.npz`: feature strings, a weight matrix, biases, labels), and
inference is vectorised: token hashes from `doc.to_array`, a sorted-key lookup
with `numpy.searchsorted`, and one sum of weight rows per sentence.

Sets `doc._.sentence_strength` (sentence start char -> label); `strength_of(doc,
sent)` reads it (or classifies the span when the component did not run).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from spacy.attrs import IS_SPACE, LOWER, SENT_START
from spacy.language import Language
from spacy.strings import StringStore
from spacy.tokens import Doc, Span

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "strength_linear.npz"
LABELS = ("none", "correlational", "conditional_causal", "direct_causal")
# Yu et al. 2020 label map (annotated_pubmed.csv): 0 no claim, 1 correlational,
# 2 conditional causal, 3 direct causal.
YU_LABELS = {0: "none", 1: "correlational", 2: "conditional_causal", 3: "direct_causal"}

BIGRAM_MIX = np.uint64(0x9E3779B97F4A7C15)

CLAIM_LABELS = ("correlational", "conditional_causal", "direct_causal")

if not Doc.has_extension("sentence_strength"):
    Doc.set_extension("sentence_strength", default=None)
if not Doc.has_extension("sentence_strength_scores"):
    Doc.set_extension("sentence_strength_scores", default=None)


def feature_strings(lower_tokens: list[str]) -> list[str]:
    """The features of one sentence: its words and its adjacent word pairs (space-joined).

    Training uses these strings; inference computes the same features as hashes.
    """
    words = [w for w in lower_tokens if w.strip()]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def _hash_words(words) -> np.ndarray:
    strings = StringStore()
    return np.fromiter((strings[w] if w else 0 for w in words), dtype=np.uint64, count=len(words))


def _bigram_keys(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return left * BIGRAM_MIX + right


class StrengthModel:
    """A linear classifier over hashed unigram/bigram features."""

    def __init__(self, features: list[str], weights: np.ndarray, bias: np.ndarray, labels: list[str]):
        keys = np.empty(len(features), dtype=np.uint64)
        is_bigram = np.array([" " in f for f in features])
        uni_idx = np.flatnonzero(~is_bigram)
        bi_idx = np.flatnonzero(is_bigram)
        keys[uni_idx] = _hash_words([features[i] for i in uni_idx])
        pairs = [features[i].split(" ", 1) for i in bi_idx]
        keys[bi_idx] = _bigram_keys(_hash_words([p[0] for p in pairs]), _hash_words([p[1] for p in pairs]))
        order = np.argsort(keys)
        self.keys = keys[order]
        self.weights = np.asarray(weights, dtype=np.float32)[order]
        self.bias = np.asarray(bias, dtype=np.float32)
        self.labels = list(labels)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "StrengthModel":
        with np.load(path, allow_pickle=False) as data:
            return cls(data["features"].tolist(), data["weights"], data["bias"], data["labels"].tolist())

    def _rows(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in `keys` that are known features, and their weight rows."""
        idx = np.searchsorted(self.keys, keys)
        idx[idx >= len(self.keys)] = 0
        hit = self.keys[idx] == keys
        return np.flatnonzero(hit), idx[hit]

    def sentence_scores(self, lower: np.ndarray, sent_id: np.ndarray, n_sents: int) -> np.ndarray:
        """Scores (n_sents x labels) from per-token LOWER hashes and sentence ids (spaces removed)."""
        scores = np.tile(self.bias, (n_sents, 1))
        if not len(lower):
            return scores
        pos, rows = self._rows(lower)
        np.add.at(scores, sent_id[pos], self.weights[rows])
        if len(lower) > 1:
            same = sent_id[1:] == sent_id[:-1]
            bigrams = _bigram_keys(lower[:-1], lower[1:])
            pos, rows = self._rows(bigrams)
            keep = same[pos]
            np.add.at(scores, sent_id[pos[keep]], self.weights[rows[keep]])
        return scores

    def score_doc(self, doc: Doc) -> dict[int, np.ndarray]:
        """Sentence start char -> label scores (in `self.labels` order) for every sentence."""
        if not len(doc):
            return {}
        arr = doc.to_array([LOWER, IS_SPACE, SENT_START])
        starts = arr[:, 2].astype(np.int64) == 1
        starts[0] = True
        sent_id = np.cumsum(starts) - 1
        token_ok = arr[:, 1] == 0
        scores = self.sentence_scores(arr[token_ok, 0], sent_id[token_ok], int(sent_id[-1]) + 1)
        start_tokens = np.flatnonzero(starts)
        return {doc[int(t)].idx: row for t, row in zip(start_tokens, scores)}

    def score_words(self, lower_tokens: list[str]) -> np.ndarray:
        words = [w for w in lower_tokens if w.strip()]
        keys = _hash_words(words)
        return self.sentence_scores(keys, np.zeros(len(keys), dtype=np.int64), 1)[0]

    def label(self, scores: np.ndarray, has_claim: bool = False) -> str:
        """The best label; with `has_claim`, the best of the three claim labels (never `none`)."""
        allowed = CLAIM_LABELS if has_claim else self.labels
        return max(allowed, key=lambda name: scores[self.labels.index(name)])


@lru_cache(maxsize=1)
def default_model() -> StrengthModel:
    return StrengthModel.load(MODEL_PATH)


class SentenceStrength:
    def __init__(self, model: StrengthModel):
        self.model = model

    def __call__(self, doc: Doc) -> Doc:
        scores = self.model.score_doc(doc)
        best = {start: self.model.labels[int(row.argmax())] for start, row in scores.items()}
        doc._.sentence_strength = best
        doc._.sentence_strength_scores = scores
        return doc


@Language.factory("alsfacts_strength", default_config={"model_path": ""})
def create_strength(nlp: Language, name: str, model_path: str):
    model = StrengthModel.load(Path(model_path)) if model_path else default_model()
    return SentenceStrength(model)


def strength_scores(doc: Doc, sent: Span) -> dict[str, float]:
    """Label -> linear score for `sent` (a sentence of `doc`, or any span)."""
    model = default_model()
    table = doc._.sentence_strength_scores
    is_sentence = sent.start == 0 or doc[sent.start].is_sent_start
    if table is not None and is_sentence and sent.start_char in table:
        row = table[sent.start_char]
    else:
        row = model.score_words([t.lower_ for t in sent])
    return {label: float(score) for label, score in zip(model.labels, row)}


def strength_of(doc: Doc, sent: Span, has_claim: bool = False) -> str:
    """The claim strength of `sent`.

    A caller that already found a claim in the sentence passes `has_claim=True`
    and gets the best of `correlational` / `conditional_causal` / `direct_causal`
    (the gold gives `none` only to claims without any relation language).
    """
    table = doc._.sentence_strength
    is_sentence = sent.start == 0 or doc[sent.start].is_sent_start
    if not has_claim and table is not None and is_sentence and sent.start_char in table:
        return table[sent.start_char]
    scores = strength_scores(doc, sent)
    allowed = CLAIM_LABELS if has_claim else LABELS
    return max(allowed, key=scores.__getitem__)
