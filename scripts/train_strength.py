"""Train the sentence claim-strength model (Yu et al.) and ship it as plain arrays.

    python scripts/train_strength.py [--data ../shared/data/causal_language/yu2020_annotated_pubmed.csv]

Reads Yu et al. 2020's annotated PubMed conclusion sentences (label map of the
2020 paper: 0 no claim, 1 correlational, 2 conditional causal, 3 direct causal),
tokenizes them with the pipeline's tokenizer, and fits a multinomial logistic
regression over lower-cased unigram + bigram counts. Reports stratified 5-fold
cross-validated accuracy and macro-F1 for a few regularisation strengths, refits
the best on all sentences, and writes `pipeline/models/strength_linear.npz`
(feature strings, weights, biases, labels) plus a small JSON report beside it.
No text of the corpus is written; only feature strings that occur in at least
`--min-count` sentences.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.components.strength import LABELS, MODEL_PATH, YU_LABELS, feature_strings  # noqa: E402
from pipeline.nlp import make_base_nlp  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "causal_language" / "yu2020_annotated_pubmed.csv"


def load_sentences(path: Path) -> tuple[list[str], list[str]]:
    table = pd.read_csv(path)
    return table["sentence"].astype(str).tolist(), [YU_LABELS[int(v)] for v in table["label"]]


def featurize(sentences: list[str]) -> list[list[str]]:
    nlp = make_base_nlp()
    return [feature_strings([t.lower_ for t in doc]) for doc in nlp.tokenizer.pipe(sentences)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--min-count", type=int, default=2)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    sentences, labels = load_sentences(args.data)
    features = featurize(sentences)
    vectorizer = CountVectorizer(analyzer=lambda feats: feats, min_df=args.min_count)
    X = vectorizer.fit_transform(features)
    y = np.array([LABELS.index(label) for label in labels])
    majority = np.bincount(y).max() / len(y)
    print(f"{len(y)} sentences, {X.shape[1]} features (min count {args.min_count}); majority baseline {majority:.3f}")

    folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    results = {}
    for C in (0.3, 1.0, 3.0, 10.0):
        model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
        predicted = cross_val_predict(model, X, y, cv=folds)
        results[C] = {
            "accuracy": round(float(accuracy_score(y, predicted)), 4),
            "macro_f1": round(float(f1_score(y, predicted, average="macro")), 4),
            "per_label_f1": {LABELS[i]: round(float(f), 4)
                             for i, f in enumerate(f1_score(y, predicted, average=None))},
        }
        print(f"C={C}: {results[C]}")
    best_C = max(results, key=lambda c: results[c]["macro_f1"])

    model = LogisticRegression(C=best_C, max_iter=3000, class_weight="balanced").fit(X, y)
    names = vectorizer.get_feature_names_out()
    weights = model.coef_.T.astype(np.float32)  # features x labels
    keep = np.abs(weights).max(axis=1) > 1e-4
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        features=np.array(names[keep], dtype=str),
        weights=weights[keep],
        bias=model.intercept_.astype(np.float32),
        labels=np.array([LABELS[c] for c in model.classes_], dtype=str),
    )
    report = {
        "data": "Yu et al. 2020 annotated_pubmed.csv",
        "sentences": len(y),
        "features": int(keep.sum()),
        "majority_baseline": round(float(majority), 4),
        "cross_validation": {"folds": args.folds, "by_C": {str(c): r for c, r in results.items()}},
        "chosen_C": best_C,
        "trained": time.strftime("%Y-%m-%d"),
    }
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB), C={best_C}")


if __name__ == "__main__":
    main()
