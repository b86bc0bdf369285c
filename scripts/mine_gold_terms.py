"""Mine names and phrases with their type and concept id from ../shared/gold/train.

    python scripts/mine_gold_terms.py                 # writes pipeline/kb/mined_terms.tsv
    python scripts/mine_gold_terms.py --min-precision 0.6 --out /tmp/mined.tsv

Each gold entity line and fact argument is a candidate; a candidate is kept when its
5-fold document-level cross-validated precision holds (see pipeline/kb/mining.py).
Only gold/train is read: gold/dev and gold/seed are the model-selection sets.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.kb.mining import (  # noqa: E402
    MINED_TERMS_FILE, cross_validated_terms, load_gold_docs, select_terms, write_terms,
)

TRAIN_DIR = ROOT / ".." / "shared" / "gold" / "train"
MIN_PRECISION = 0.5


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=TRAIN_DIR, help="gold set to mine (default: gold/train)")
    parser.add_argument("--out", type=Path, default=MINED_TERMS_FILE)
    parser.add_argument("--min-precision", type=float, default=MIN_PRECISION)
    args = parser.parse_args(argv)
    if args.gold.resolve().name in ("dev", "seed"):
        parser.error(f"{args.gold}: gold/dev and gold/seed are never mined")
    docs = load_gold_docs(args.gold)
    rows = cross_validated_terms(docs)
    kept = select_terms(rows, min_precision=args.min_precision)
    write_terms(kept, args.out)
    seen = [r for r in rows if r["heldout_docs"]]
    print(f"{len(docs)} documents, {len(rows)} candidate terms ({len(seen)} seen in held-out documents); "
          f"kept {len(kept)} -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
