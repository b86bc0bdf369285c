"""Sentence claim strength after Yu et al. (2019/2020).

Each sentence gets one of `direct_causal`, `conditional_causal`, `correlational`
or `none` from a linear model (trained by `scripts/train_strength.py` on Yu et
al.'s PubMed sentences plus sentences derived from `../shared/gold/train`, news
and press releases included). Its features (`sentence_features`) carry across
genres:

- lower-cased words and adjacent word pairs (`w:`, `b:`);
- cue classes from the pipeline's own tables: each word that opens a certainty
  cue (`data/certainty_cues.tsv`: hedged, hypothetical) or a claim trigger
  (`data/claim_triggers.tsv`: the trigger's strength and kind) counts for its
  class (`c:`), and two classed words at most `CUE_WINDOW` tokens apart count for
  their ordered class pair (`p:`, e.g. hedged > direct_causal_verb: "may slow");
- optionally character n-grams of each word (`h:`), when the manifest says so.

The model ships as plain arrays (`pipeline/models/strength_linear.npz`: feature
strings, weights, biases, labels; `strength_linear.json` is its manifest). At
load, every per-word feature (word, its class, its character n-grams) is folded
into one weight row per word, so inference is vectorised: token hashes from
`doc.to_array`, a sorted-key lookup with `numpy.searchsorted` for words and word
pairs, a small class-pair table, and one sum of rows per sentence.

Sets `doc._.sentence_strength` (sentence start char -> label) and
`doc._.sentence_strength_scores`; `strength_of(doc, sent, has_claim)` reads them
(or classifies the span when the component did not run) and gives a fact the
strength of its sentence's claim.
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from spacy.attrs import IS_SPACE, LOWER, SENT_START
from spacy.language import Language
from spacy.strings import StringStore
from spacy.tokens import Doc, Span

MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "strength_linear.npz"
DATA_DIR = Path(__file__).with_name("data")
LABELS = ("none", "correlational", "conditional_causal", "direct_causal")
# Yu et al. 2020 label map (annotated_pubmed.csv): 0 no claim, 1 correlational,
# 2 conditional causal, 3 direct causal.
YU_LABELS = {0: "none", 1: "correlational", 2: "conditional_causal", 3: "direct_causal"}
CLAIM_LABELS = ("correlational", "conditional_causal", "direct_causal")
CUE_WINDOW = 3

BIGRAM_MIX = np.uint64(0x9E3779B97F4A7C15)

if not Doc.has_extension("sentence_strength"):
    Doc.set_extension("sentence_strength", default=None)
if not Doc.has_extension("sentence_strength_scores"):
    Doc.set_extension("sentence_strength_scores", default=None)


def _table_rows(name: str) -> list[dict]:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    return list(csv.reader(lines, delimiter="\t"))


@lru_cache(maxsize=1)
def cue_classes() -> dict[str, str]:
    """Word -> cue class: the certainty (hedged, hypothetical) of the certainty cues it opens and the
    strength_kind of the claim triggers it opens, joined with '+' when a word opens several."""
    classes: dict[str, set[str]] = {}
    for row in _table_rows("certainty_cues.tsv"):
        pattern, certainty = row[0], row[1]
        first = pattern.split()[0].rstrip("?")
        if certainty == "asserted" or first[:1] in "={":
            continue
        for word in filter(None, first.split("|")):
            classes.setdefault(word, set()).add(certainty)
    triggers = _table_rows("claim_triggers.tsv")
    header = triggers[0]
    for values in triggers[1:]:
        row = dict(zip(header, values))
        first = row["phrase"].split()[0]
        if first != "*":
            kind = "none_trigger" if row["strength"] == "none" else f"{row['strength']}_{row['kind']}"
            classes.setdefault(first, set()).add(kind)
    return {word: "+".join(sorted(names)) for word, names in classes.items()}


def char_ngrams(word: str, sizes: tuple[int, ...]) -> list[str]:
    padded = f" {word} "
    return [padded[i:i + n] for n in sizes for i in range(len(padded) - n + 1)]


def sentence_features(lower_tokens: list[str], char_sizes: tuple[int, ...] = ()) -> list[str]:
    """The feature strings of one sentence (see the module docstring); training uses these,
    inference computes the same sums from hashes."""
    words = [w for w in lower_tokens if w.strip()]
    features = [f"w:{w}" for w in words] + [f"b:{a} {b}" for a, b in zip(words, words[1:])]
    classes = cue_classes()
    classed = [(i, classes[w]) for i, w in enumerate(words) if w in classes]
    features += [f"c:{name}" for _, name in classed]
    for a, (i, first) in enumerate(classed):
        for j, second in classed[a + 1:]:
            if j - i > CUE_WINDOW:
                break
            features.append(f"p:{first}>{second}")
    for word in words if char_sizes else ():
        features += [f"h:{gram}" for gram in char_ngrams(word, char_sizes)]
    return features


def _hash_words(words) -> np.ndarray:
    strings = StringStore()
    return np.fromiter((strings[w] if w else 0 for w in words), dtype=np.uint64, count=len(words))


def _bigram_keys(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return left * BIGRAM_MIX + right


class _SortedTable:
    """uint64 keys -> weight rows, looked up with `numpy.searchsorted`."""

    def __init__(self, keys: np.ndarray, rows: np.ndarray):
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.rows = rows[order]

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in `keys` that are in the table, and the values stored for them."""
        if not len(self.keys):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        idx = np.searchsorted(self.keys, keys)
        idx[idx >= len(self.keys)] = 0
        hit = self.keys[idx] == keys
        return np.flatnonzero(hit), self.rows[idx[hit]]


class StrengthModel:
    """A linear classifier over the features of `sentence_features`, folded for fast inference."""

    def __init__(self, features: list[str], weights: np.ndarray, bias: np.ndarray, labels: list[str],
                 char_sizes: tuple[int, ...] = ()):
        weights = np.asarray(weights, dtype=np.float32)
        self.feature_names, self.feature_weights = list(features), weights
        self.bias = np.asarray(bias, dtype=np.float32)
        self.labels = list(labels)
        self.char_sizes = tuple(char_sizes)
        n_labels = len(self.labels)
        by_kind: dict[str, dict[str, np.ndarray]] = {"w": {}, "b": {}, "c": {}, "p": {}, "h": {}}
        for name, row in zip(features, weights):
            kind, _, value = name.partition(":")
            if kind not in by_kind:
                raise ValueError(f"strength model: unknown feature kind in {name!r}")
            by_kind[kind][value] = row
        self.char_weights = by_kind["h"]
        zero = np.zeros(n_labels, dtype=np.float32)

        # Classes: id 0 = no class; the class-pair table is dense (classes x classes x labels).
        classes = cue_classes()
        class_names = sorted(set(classes.values()))
        class_id = {name: i + 1 for i, name in enumerate(class_names)}
        self.class_words = _SortedTable(_hash_words(list(classes)),
                                        np.array([class_id[c] for c in classes.values()], dtype=np.int64))
        self.n_classes = len(class_names) + 1
        self.pair_rows = np.zeros((self.n_classes * self.n_classes, n_labels), dtype=np.float32)
        for name, row in by_kind["p"].items():
            first, _, second = name.partition(">")
            if first in class_id and second in class_id:
                self.pair_rows[class_id[first] * self.n_classes + class_id[second]] = row

        # One row per known word: its word weight, its class weight and its character n-grams.
        words = sorted(set(by_kind["w"]) | set(classes))
        rows = np.stack([
            by_kind["w"].get(w, zero) + by_kind["c"].get(classes.get(w, ""), zero) + self._char_row(w)
            for w in words
        ]) if words else np.zeros((0, n_labels), dtype=np.float32)
        self.words = _SortedTable(_hash_words(words), np.arange(len(words)))
        self.word_rows = rows.astype(np.float32)
        pairs = [name.split(" ", 1) for name in by_kind["b"]]
        self.bigrams = _SortedTable(
            _bigram_keys(_hash_words([p[0] for p in pairs]), _hash_words([p[1] for p in pairs])),
            np.arange(len(pairs)))
        self.bigram_rows = np.array(list(by_kind["b"].values()), dtype=np.float32).reshape(len(pairs), n_labels)
        self._unknown_rows: dict[int, np.ndarray] = {}

    def _char_row(self, word: str) -> np.ndarray:
        row = np.zeros(len(self.labels), dtype=np.float32)
        for gram in char_ngrams(word, self.char_sizes) if self.char_sizes else ():
            weight = self.char_weights.get(gram)
            if weight is not None:
                row += weight
        return row

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "StrengthModel":
        path = Path(path)
        manifest_path = path.with_suffix(".json")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
        char_sizes = tuple(manifest.get("features", {}).get("char_ngram_sizes", ()))
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(data["features"].tolist(), data["weights"], data["bias"], data["labels"].tolist(),
                           char_sizes=char_sizes)
        except (OSError, KeyError, ValueError) as error:
            raise ValueError(f"{path}: not a strength model ({error})") from error

    def _unknown_word_rows(self, keys: np.ndarray, strings) -> np.ndarray:
        """Rows of words the model has no word weight for: their character n-grams (memoised)."""
        out = np.zeros((len(keys), len(self.labels)), dtype=np.float32)
        if not self.char_sizes:
            return out
        for i, key in enumerate(keys.tolist()):
            row = self._unknown_rows.get(key)
            if row is None:
                row = self._char_row(strings[key])
                if len(self._unknown_rows) < 500_000:
                    self._unknown_rows[key] = row
            out[i] = row
        return out

    def sentence_scores(self, lower: np.ndarray, sent_id: np.ndarray, n_sents: int, strings=None) -> np.ndarray:
        """Scores (n_sents x labels) from per-token LOWER hashes and sentence ids (spaces removed).

        `strings` (a StringStore holding the words) is needed only for character n-grams."""
        scores = np.tile(self.bias, (n_sents, 1))
        if not len(lower):
            return scores
        pos, rows = self.words.find(lower)
        np.add.at(scores, sent_id[pos], self.word_rows[rows])
        if self.char_sizes and strings is not None:
            missing = np.ones(len(lower), dtype=bool)
            missing[pos] = False
            unknown, inverse = np.unique(lower[missing], return_inverse=True)
            np.add.at(scores, sent_id[missing], self._unknown_word_rows(unknown, strings)[inverse])
        if len(lower) > 1:
            same = sent_id[1:] == sent_id[:-1]
            pos, rows = self.bigrams.find(_bigram_keys(lower[:-1], lower[1:]))
            keep = same[pos]
            np.add.at(scores, sent_id[pos[keep]], self.bigram_rows[rows[keep]])
        token_class = np.zeros(len(lower), dtype=np.int64)
        pos, classes = self.class_words.find(lower)
        token_class[pos] = classes
        for distance in range(1, CUE_WINDOW + 1):
            if len(lower) <= distance:
                break
            first, second = token_class[:-distance], token_class[distance:]
            both = np.flatnonzero((first > 0) & (second > 0) & (sent_id[:-distance] == sent_id[distance:]))
            if len(both):
                np.add.at(scores, sent_id[both], self.pair_rows[first[both] * self.n_classes + second[both]])
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
        scores = self.sentence_scores(arr[token_ok, 0], sent_id[token_ok], int(sent_id[-1]) + 1,
                                      strings=doc.vocab.strings)
        start_tokens = np.flatnonzero(starts)
        return {doc[int(t)].idx: row for t, row in zip(start_tokens, scores)}

    def score_words(self, lower_tokens: list[str]) -> np.ndarray:
        words = [w for w in lower_tokens if w.strip()]
        strings = StringStore(words)
        keys = np.fromiter((strings[w] for w in words), dtype=np.uint64, count=len(words))
        return self.sentence_scores(keys, np.zeros(len(keys), dtype=np.int64), 1, strings=strings)[0]

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
