"""Train the claim classifier on ../shared/gold/train and ship it in pipeline/models/claims/.

    python scripts/train_claims.py                 # train on all of gold/train, write the model
    python scripts/train_claims.py --cv            # also 5-fold document-level CV (figures in model.json)
    python scripts/train_claims.py --limit 20 --out /tmp/claims   # a slice, elsewhere (tests)

The pipeline up to the rule extractor runs over the gold documents, so the classifier is
trained on the mentions the shipped entity components find: retrain it after changing them.
Deterministic: fixed folds and seeds, liblinear/lbfgs solvers.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.components.claim_model import MODEL_DIR, ClaimClassifier  # noqa: E402
from pipeline.nlp import build_nlp  # noqa: E402
from pipeline.training import claims as claim_training  # noqa: E402
from pipeline.training import crossval  # noqa: E402
from pipeline.training.gold import GOLD, load_gold_documents  # noqa: E402

VERSION = "1.0.0"
THRESHOLD = 0.35      # P(relation) at which a candidate becomes a fact: by CV on gold/train and seed+dev (scripts/crossval.py --grid)
RULE_FLOOR = 0.05     # a rule fact the model scores at least this stays
C = 0.5


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=GOLD / "train", help="gold set to train on")
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="model folder to write")
    parser.add_argument("--limit", type=int, default=0, help="train on the first N documents only")
    parser.add_argument("--cv", action="store_true", help="5-fold document-level cross-validation first")
    args = parser.parse_args(argv)

    started = time.time()
    nlp = build_nlp()
    classifier = ClaimClassifier(nlp, "claim_model", model_path=str(args.out / "none"))
    gold_docs = load_gold_documents(args.gold)
    if args.limit:
        gold_docs = gold_docs[: args.limit]
    processed = crossval.process(nlp, classifier, gold_docs)
    figures = {}
    if args.cv:
        results = crossval.cross_validate(processed, classifier, C=C,
                                          settings=((THRESHOLD, 1.0), (THRESHOLD, RULE_FLOOR)))
        figures = {name: crossval.summary(report) for name, report in results.items()}
        for name, summary in figures.items():
            print(f"{name:28s} " + "  ".join(f"{k} {v:.3f}" for k, v in summary.items() if v is not None))
    rows = [row for d in processed for row in d.labelled]
    meta = {
        "version": VERSION,
        "trained_on": f"{args.gold.name}: {len(gold_docs)} documents, {sum(len(d.gold.facts) for d in processed)} facts",
        "never_trained_on": ["gold/dev", "gold/seed"],
        "cross_validation_gold_train_5fold": figures,
        "rule_floor": RULE_FLOOR,
    }
    heads = claim_training.fit(classifier, rows, C=C, threshold=THRESHOLD, meta=meta)
    heads.to_disk(args.out)
    print(f"claim classifier: {len(rows)} candidates, {heads.meta['n_positive']} facts → {args.out} "
          f"({time.time() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
