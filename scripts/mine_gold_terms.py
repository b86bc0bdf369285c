"""Mine names and phrases with their type and concept id from ../shared/gold/train and the silver
annotations (training/silver_annotations.jsonl.gz).

    python scripts/mine_gold_terms.py                 # writes pipeline/kb/mined_terms.tsv and silver_terms.tsv
    python scripts/mine_gold_terms.py --min-precision 0.6 --out /tmp/mined.tsv --silver-out /tmp/silver.tsv
    python scripts/mine_gold_terms.py --no-silver     # gold/train alone (no silver_terms.tsv)

Each entity line and fact argument is a candidate; a candidate is kept when its 5-fold
document-level cross-validated precision on gold/train holds (see pipeline/kb/mining.py; a silver
document adds names, never counts). A term gold/train has takes gold's reading and goes to
mined_terms.tsv (the dictionary step); a term only the silver documents have goes to
silver_terms.tsv, which the entity step matches last (`AlsEntities._add_silver_terms`: by length,
never over another match's span; the NER reads the mentions chosen without them). gold/dev and
gold/seed, the model-selection sets, are never read.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.kb.mining import (  # noqa: E402
    MINED_TERMS_FILE, SILVER_TERMS_FILE, cross_validated_terms, load_gold_docs, mining_documents, select_terms,
    write_terms,
)
from pipeline.training.silver import load_silver_documents  # noqa: E402

TRAIN_DIR = ROOT / ".." / "shared" / "gold" / "train"
MIN_PRECISION = 0.5
# mine the silver documents' names too? Since December 7 (session 29), yes: the terms only they have are
# matched last in the entity step, never over another match's span, and the NER does not read them. Merged
# with the dictionary's matches instead (December 6), they had overridden its handling of drug codes,
# formulas and defined abbreviations, and changed the NER's features.
MINE_SILVER = True


def silver_mining_docs() -> list:
    """The silver documents as mining documents (empty when there are none)."""
    return mining_documents(load_silver_documents())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=TRAIN_DIR, help="gold set to mine (default: gold/train)")
    parser.add_argument("--out", type=Path, default=MINED_TERMS_FILE)
    parser.add_argument("--silver-out", type=Path, default=SILVER_TERMS_FILE)
    parser.add_argument("--min-precision", type=float, default=MIN_PRECISION)
    parser.add_argument("--silver", action=argparse.BooleanOptionalAction, default=MINE_SILVER,
                        help="also mine the silver documents (training/silver_annotations.jsonl.gz)")
    args = parser.parse_args(argv)
    if args.gold.resolve().name in ("dev", "seed"):
        parser.error(f"{args.gold}: gold/dev and gold/seed are never mined")
    docs = load_gold_docs(args.gold)
    silver = silver_mining_docs() if args.silver else []
    rows = cross_validated_terms(docs, extra=silver)
    kept = select_terms(rows, min_precision=args.min_precision)
    gold_kept = [r for r in kept if r["source"] == "gold"]
    write_terms(gold_kept, args.out)
    seen = [r for r in rows if r["heldout_docs"]]
    print(f"{len(docs)} gold and {len(silver)} silver documents, {len(rows)} candidate terms ({len(seen)} seen in held-out documents); "
          f"kept {len(gold_kept)} -> {args.out}")
    if silver:
        silver_kept = [r for r in kept if r["source"] == "silver"]
        write_terms(silver_kept, args.silver_out, source="the silver annotations (training/silver_annotations.jsonl.gz), "
                    "terms ../shared/gold/train does not have, precision counted on gold/train")
        print(f"kept {len(silver_kept)} terms only the silver documents have -> {args.silver_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
