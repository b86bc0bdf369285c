"""5-fold document-level cross-validation of the entity step on ../shared/gold/train.

    python scripts/crossval_entities.py                       # CV on gold/train, then seed+dev
    python scripts/crossval_entities.py --no-mined            # the same without the mined layer
    python scripts/crossval_entities.py --json benchmarks/entities_cv.json

Per fold, the mined term layer is built from the other four folds only (with its own inner
cross-validated selection, as scripts/mine_gold_terms.py does on all of gold/train), the
pipeline extracts the held-out fold, and the pooled predictions of the five folds are scored
with pipeline.evaluate against gold/train. Argument coverage is the share of gold facts whose
subject and object both match (FACTS_SPEC §4 argument rule: equal ids, word-boundary token
containment, or content-word Jaccard >= 0.5) some predicted mention inside the fact's sentence.
seed+dev, never mined, are then scored with the layer mined from all of gold/train.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from pipeline.training.blas import use_one_blas_thread  # noqa: E402
use_one_blas_thread()  # before numpy and scipy load: the same models and figures on any machine

import pandas as pd  # noqa: E402

from pipeline.evaluate import Predictions, content_words, evaluate, load_gold  # noqa: E402
from pipeline.extract import run_extract  # noqa: E402
from pipeline.kb.mining import (  # noqa: E402
    assign_folds, cross_validated_terms, document_text, load_gold_docs, read_jsonl, select_terms, tokens_contain,
)
from pipeline.components.mention_filter import MODEL_DIR as MENTION_MODEL_DIR  # noqa: E402
from pipeline.nlp import build_nlp  # noqa: E402
from pipeline.training import mentions  # noqa: E402
from pipeline.training.gold import load_gold_documents  # noqa: E402
from mine_gold_terms import MIN_PRECISION, MINE_SILVER, silver_mining_docs  # noqa: E402

GOLD = ROOT / ".." / "shared" / "gold"
FOLDS = 5


def arguments_match(gold_text: str, gold_id: str, text: str, concept_id: str) -> bool:
    """FACTS_SPEC §4 argument matching."""
    if gold_id and gold_id == concept_id:
        return True
    if tokens_contain(gold_text, text):
        return True
    a, b = content_words(gold_text.lower()), content_words(text.lower())
    return bool(a | b) and len(a & b) * 2 >= len(a | b)


def argument_coverage(gold_dir: Path, entities: pd.DataFrame, doc_ids=None) -> dict:
    """Gold facts whose two arguments are both among the predicted mentions of their sentence."""
    docs = {d["id"]: document_text(d) for d in gold_documents(gold_dir)}
    mentions = defaultdict(list)
    for r in entities.itertuples(index=False):
        mentions[r.doc_id].append((int(r.start), int(r.end), r.text, r.concept_id or ""))
    total = covered = 0
    missing = Counter()
    for fact in read_jsonl(gold_dir / "facts.jsonl"):
        if doc_ids is not None and fact["doc_id"] not in doc_ids:
            continue
        text = docs.get(fact["doc_id"], "")
        at = text.find(fact["sentence"])
        lo, hi = (at, at + len(fact["sentence"])) if at >= 0 else (0, len(text))
        inside = [m for m in mentions[fact["doc_id"]] if lo <= m[0] and m[1] <= hi]
        ok = True
        for side in ("subject", "object"):
            arg = fact[side]
            if not any(arguments_match(arg["text"], arg.get("concept_id") or "", m[2], m[3]) for m in inside):
                ok = False
                missing[arg["type"]] += 1
        total += 1
        covered += ok
    return {"facts": total, "covered": covered, "coverage": round(covered / total, 4) if total else None,
            "missing_arguments_by_type": dict(missing.most_common())}


def gold_documents(gold_dir: Path) -> list:
    """docs.jsonl of a gold set; the seed set's one document is ../shared/seed/als_news_tregs.txt."""
    if (gold_dir / "docs.jsonl").exists():
        return read_jsonl(gold_dir / "docs.jsonl")
    doc_ids = sorted({e["doc_id"] for e in read_jsonl(gold_dir / "entities.jsonl")})
    return [{"id": i, "title": "", "text": (GOLD / ".." / "seed" / i).read_text(encoding="utf-8")} for i in doc_ids]


def extract(nlp, docs: list, out_dir: Path) -> tuple:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "docs.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d) + "\n")
    run_extract(path, out_dir / "pred", nlp=nlp, cache=False)
    read = lambda name: pd.read_parquet(out_dir / "pred" / f"{name}.parquet")  # noqa: E731
    return read("entities"), read("facts")


def summary(report: dict, coverage: dict) -> dict:
    ents = report["entities"]
    return {
        "entity": {k: round(ents["overall"][k], 4) for k in ("precision", "recall", "f1")},
        "entity_by_type": {t: {k: round(v[k], 4) if v[k] is not None else None for k in ("precision", "recall", "f1")}
                           for t, v in ents["by_type"].items()},
        "fact_f1_strict_rules": round(report["facts"]["strict"]["f1"] or 0.0, 4),
        "argument_coverage": coverage,
    }


def crossval(nlp, use_mined: bool, work: Path, min_precision: float = MIN_PRECISION, silver: list = ()) -> dict:
    """`silver`: mining documents whose terms join every fold's layer (never held out)."""
    train_dir = GOLD / "train"
    raw_docs = read_jsonl(train_dir / "docs.jsonl")
    gold_docs = load_gold_docs(train_dir)
    folds = assign_folds([d["id"] for d in raw_docs], FOLDS)
    entities = nlp.get_pipe("entities")
    ent_frames, fact_frames, kept_sizes = [], [], []
    # the mention filter of fold f is trained without fold f (nested, pipeline/training/mentions.py)
    filters = None
    if use_mined and "mention_filter" in nlp.pipe_names:
        filters = mentions.fold_filters(nlp, load_gold_documents(train_dir), gold_docs + list(silver),
                                        {**folds, **{d.doc_id: mentions.ALWAYS_MINED for d in silver}})
    for f in range(FOLDS):
        if filters is not None:
            mentions.use_filter(nlp, filters[f])
        if use_mined:
            rows = cross_validated_terms([d for d in gold_docs if folds[d.doc_id] != f], extra=silver)
            kept = select_terms(rows, min_precision=min_precision)
            kept_sizes.append(len(kept))
            entities.use_mined_terms(kept)
        else:
            entities.use_mined_terms([])
        held = [d for d in raw_docs if folds[d["id"]] == f]
        e, fa = extract(nlp, held, work / f"fold{f}")
        ent_frames.append(e)
        fact_frames.append(fa)
        print(f"fold {f}: {len(held)} documents, {kept_sizes[-1] if kept_sizes else 0} mined terms", flush=True)
    ents, facts = pd.concat(ent_frames), pd.concat(fact_frames)
    report = evaluate(load_gold(train_dir), Predictions.from_frames(ents, facts, source="crossval"))
    out = summary(report, argument_coverage(train_dir, ents))
    out["mined_terms_per_fold"] = kept_sizes
    if filters is not None:
        nlp.get_pipe("mention_filter").from_disk(MENTION_MODEL_DIR)
    return out


def seed_dev(nlp, use_mined: bool, work: Path) -> dict:
    from pipeline.kb.mining import shipped_terms

    nlp.get_pipe("entities").use_mined_terms(shipped_terms() if use_mined else [])
    ent_frames, fact_frames = [], []
    dirs = [GOLD / "seed", GOLD / "dev"]
    coverage_total = Counter()
    for d in dirs:
        e, fa = extract(nlp, gold_documents(d), work / d.name)
        ent_frames.append(e)
        fact_frames.append(fa)
        cov = argument_coverage(d, e)
        coverage_total["facts"] += cov["facts"]
        coverage_total["covered"] += cov["covered"]
    ents, facts = pd.concat(ent_frames), pd.concat(fact_frames)
    report = evaluate(load_gold(dirs), Predictions.from_frames(ents, facts, source="seed+dev"))
    cov = dict(coverage_total, coverage=round(coverage_total["covered"] / coverage_total["facts"], 4))
    return summary(report, cov)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-mined", action="store_true", help="without the mined term layer")
    parser.add_argument("--no-phrases", action="store_true", help="without phrase and population mentions")
    parser.add_argument("--no-filter", action="store_true", help="without the mention filter (implied by "
                        "--no-mined and --no-phrases: the filter is trained on what the full entity step proposes)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--min-precision", type=float, default=MIN_PRECISION,
                        help="cross-validated precision a mined term needs (as scripts/mine_gold_terms.py)")
    parser.add_argument("--keep", type=Path, help="keep each fold's predictions in this folder")
    parser.add_argument("--silver", action=argparse.BooleanOptionalAction, default=MINE_SILVER,
                        help="also mine the silver documents (as scripts/mine_gold_terms.py --silver)")
    args = parser.parse_args(argv)
    silver = silver_mining_docs() if args.silver else []
    # facts here are the rules' (the shipped claim classifier has seen gold/train: scripts/crossval.py
    # cross-validates it)
    leave_out = ("claim_model",) + (("mention_filter",) if (args.no_filter or args.no_mined or args.no_phrases) else ())
    nlp = build_nlp(without=leave_out)
    nlp.get_pipe("entities").phrases = not args.no_phrases
    with tempfile.TemporaryDirectory() as tmp:
        if args.keep:
            tmp = args.keep
        result = {
            "train_crossval": crossval(nlp, not args.no_mined, Path(tmp) / "cv", args.min_precision, silver),
            "seed_dev": seed_dev(nlp, not args.no_mined, Path(tmp) / "sd"),
            "settings": {"mined": not args.no_mined, "phrases": not args.no_phrases, "folds": FOLDS,
                         "mention_filter": "mention_filter" in nlp.pipe_names, "min_precision": args.min_precision,
                         "silver_documents": len(silver)},
        }
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
