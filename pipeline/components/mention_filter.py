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
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.components.feature_hashing import FeatureHashing
from pipeline.components.linking import doc_text

if not Span.has_extension("mention_p"):
    Span.set_extension("mention_p", default=None)

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "mentions"
N_FEATURES = 2 ** 18
WORD_RE = re.compile(r"\w+")


def hasher() -> FeatureHashing:
    """scikit-learn's FeatureHasher(n_features=N_FEATURES, input_type="string", alternate_sign=False)."""
    return FeatureHashing(N_FEATURES)


def mention_features(doc: Doc) -> list[list[str]]:
    """One list of feature strings per entity in `doc.ents` (in that order)."""
    ents = doc.ents
    if not ents:
        return []
    text = doc_text(doc)
    user_data = doc.user_data
    spans = [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in ents]
    keys = [(label, kb_id or text[s:e].lower()) for s, e, label, kb_id in spans]
    counts = Counter(keys)
    first_sentence_end = next(doc.sents).end_char if doc.has_annotation("SENT_START") else 0
    out = []
    for (start, end, label, kb_id), key in zip(spans, keys):
        mention = text[start:end]
        low = mention.lower()
        words = WORD_RE.findall(low)
        head = words[-1] if words else ""
        left = WORD_RE.findall(text[max(0, start - 40):start].lower())
        right = WORD_RE.findall(text[end:end + 40].lower())
        left_word = left[-1] if left else "<s>"
        right_word = right[0] if right else "</s>"
        prefix = kb_id.split(":")[0] if kb_id else "none"
        score = float(user_data.get(("._.", "score", start, end), 1.0) or 0.0)
        abbreviation = bool(user_data.get(("._.", "abbreviation_of", start, end), ""))
        out.append([
            f"type={label}",
            f"text={low}|{label}",
            f"head={head}|{label}",
            f"first={words[0] if words else ''}|{label}",
            f"id={kb_id}",
            f"prefix={prefix}|{label}",
            f"score={score:.1f}|{label}",
            f"words={min(len(words), 5)}|{label}",
            f"repeats={min(counts[key], 4)}|{label}",
            f"caps={mention.isupper()}|{label}",
            f"abbreviation={abbreviation}|{label}",
            f"title={end <= first_sentence_end}|{label}",
            f"left={left_word}|{label}",
            f"right={right_word}|{label}",
            f"left+head={left_word}|{head}",
            f"head+right={head}|{right_word}",
        ])
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
        batch = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                self.set_annotations(batch, self.predict(batch))
                yield from batch
                batch = []
        if batch:
            self.set_annotations(batch, self.predict(batch))
            yield from batch

    def predict(self, docs: list[Doc]) -> list[np.ndarray]:
        """P(kept) per entity of each doc (one hashing pass for the batch); all ones when no
        model is loaded."""
        per_doc = [mention_features(doc) for doc in docs]
        sizes = [len(f) for f in per_doc]
        if self.weights is None or not sum(sizes):
            return [np.ones(n) for n in sizes]
        X = hasher().transform(f for feats in per_doc for f in feats).astype(np.float32)  # the weights' type
        z = X @ self.weights + self.bias
        probs = 1.0 / (1.0 + np.exp(-z))
        return np.split(probs, np.cumsum(sizes)[:-1])

    def set_annotations(self, docs: list[Doc], scores: list[np.ndarray]) -> None:
        """Keeps the mentions at or above the threshold; each kept one's P(kept) is its
        `Span._.mention_p` (the claim model reads it)."""
        for doc, p in zip(docs, scores):
            ents = list(doc.ents)
            user_data = doc.user_data
            for e, prob in zip(ents, p):
                user_data[("._.", "mention_p", e.start_char, e.end_char)] = float(prob)
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
        weights = np.load(path / "weights.npy")
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
