"""`alsfacts_mention_filter`: drops entity mentions that curators would not annotate.

The dictionary, the mined terms, the phrase patterns and the NER propose mentions; many are
right words in the wrong place for FACTS_SPEC §3 ("muscle" in "muscle biopsy", "copper" in a
methods list, "efficacy" as an outcome). A logistic regression over hashed features of each
mention — its words, type, id, where it came from (the linking score), its neighbours, how often
the document repeats it — gives P(a curator keeps it); mentions below `threshold` are removed
from `doc.ents` before the study-context and claim pipes read them.

Shaped like spaCy's trainable pipes: `predict` returns the probabilities, `set_annotations`
applies them, `initialize` takes fitted weights, `to_disk`/`from_disk` read and write them.
Trained by `pipeline/training/mentions.py` (`scripts/train_mention_filter.py`) on mentions the
pipeline proposed for gold/train documents it had not mined terms from, labelled by the
FACTS_SPEC §4 entity rule; weights live in `pipeline/models/mentions/`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import FeatureHasher
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.components.linking import doc_text

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "mentions"
N_FEATURES = 2 ** 18
WORD_RE = re.compile(r"\w+")


def hasher() -> FeatureHasher:
    return FeatureHasher(n_features=N_FEATURES, input_type="string", alternate_sign=False)


def _extension(doc: Doc, name: str, span: Span, default):
    return doc.user_data.get(("._.", name, span.start_char, span.end_char), default)


def _item_key(span: Span) -> tuple:
    return (span.label_, span.kb_id_ or span.text.lower())


def mention_features(doc: Doc) -> list[list[str]]:
    """One list of feature strings per entity in `doc.ents` (in that order)."""
    ents = list(doc.ents)
    if not ents:
        return []
    text = doc_text(doc)
    counts = Counter(_item_key(e) for e in ents)
    first_sentence_end = next(doc.sents).end_char if doc.has_annotation("SENT_START") else 0
    out = []
    for span in ents:
        label = span.label_
        words = WORD_RE.findall(span.text.lower())
        head = words[-1] if words else ""
        left = WORD_RE.findall(text[max(0, span.start_char - 40):span.start_char].lower())
        right = WORD_RE.findall(text[span.end_char:span.end_char + 40].lower())
        prefix = span.kb_id_.split(":")[0] if span.kb_id_ else "none"
        score = float(_extension(doc, "score", span, 1.0) or 0.0)
        features = [
            f"type={label}",
            f"text={span.text.lower()}|{label}",
            f"head={head}|{label}",
            f"first={words[0] if words else ''}|{label}",
            f"id={span.kb_id_}",
            f"prefix={prefix}|{label}",
            f"score={score:.1f}|{label}",
            f"words={min(len(words), 5)}|{label}",
            f"repeats={min(counts[_item_key(span)], 4)}|{label}",
            f"caps={span.text.isupper()}|{label}",
            f"abbreviation={bool(_extension(doc, 'abbreviation_of', span, ''))}|{label}",
            f"title={span.end_char <= first_sentence_end}|{label}",
            f"left={left[-1] if left else '<s>'}|{label}",
            f"right={right[0] if right else '</s>'}|{label}",
            f"left+head={left[-1] if left else '<s>'}|{head}",
            f"head+right={head}|{right[0] if right else '</s>'}",
        ]
        out.append(features)
    return out


class MentionFilter:
    def __init__(self, nlp: Language, name: str, model_path: str = "", threshold: float | None = None):
        self.name = name
        self.weights: np.ndarray | None = None
        self.bias = 0.0
        self.threshold = 0.5 if threshold is None else threshold
        self.meta: dict = {}
        self._threshold_override = threshold
        path = Path(model_path) if model_path else MODEL_DIR
        if (path / "weights.npy").is_file():
            self.from_disk(path)

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc], self.predict([doc]))
        return doc

    def pipe(self, docs, batch_size: int = 64):
        for doc in docs:
            yield self(doc)

    def predict(self, docs: list[Doc]) -> list[np.ndarray]:
        """P(kept) per entity of each doc; all ones when no model is loaded."""
        out = []
        for doc in docs:
            feats = mention_features(doc)
            if self.weights is None or not feats:
                out.append(np.ones(len(feats)))
                continue
            z = hasher().transform(feats) @ self.weights + self.bias
            out.append(1.0 / (1.0 + np.exp(-z)))
        return out

    def set_annotations(self, docs: list[Doc], scores: list[np.ndarray]) -> None:
        for doc, p in zip(docs, scores):
            ents = list(doc.ents)
            kept = [e for e, keep in zip(ents, p >= self.threshold) if keep]
            if len(kept) < len(ents):
                doc.set_ents(kept, default="outside")

    def initialize(self, get_examples=None, nlp=None, *, weights: np.ndarray, bias: float,
                   threshold: float, meta: dict | None = None) -> None:
        """Take weights fitted by pipeline/training/mentions.py."""
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = float(bias)
        self.threshold = float(threshold)
        self.meta = meta or {}

    def to_disk(self, path, exclude=tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "weights.npy", self.weights.astype(np.float32))
        meta = dict(self.meta, bias=self.bias, threshold=self.threshold, n_features=N_FEATURES)
        (path / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    def from_disk(self, path, exclude=tuple()) -> "MentionFilter":
        path = Path(path)
        meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
        weights = np.load(path / "weights.npy", mmap_mode="r")
        if weights.shape != (N_FEATURES,):
            raise ValueError(f"{path / 'weights.npy'}: expected {N_FEATURES} weights, found {weights.shape}")
        self.weights = weights
        self.bias = float(meta["bias"])
        self.threshold = float(meta["threshold"]) if self._threshold_override is None else self._threshold_override
        self.meta = meta
        return self


@Language.factory("alsfacts_mention_filter", default_config={"model_path": "", "threshold": None})
def create_mention_filter(nlp: Language, name: str, model_path: str, threshold: float | None):
    return MentionFilter(nlp, name, model_path=model_path, threshold=threshold)
