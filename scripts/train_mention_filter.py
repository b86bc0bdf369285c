"""Train the mention filter on ../shared/gold/train and ship it in pipeline/models/mentions/.

    python scripts/train_mention_filter.py            # nested 5-fold CV (figures per threshold), then train and ship
    python scripts/train_mention_filter.py --no-cv --threshold 0.4
    python scripts/train_mention_filter.py --limit 30 --out /tmp/mentions   # a slice, elsewhere (tests)

Training mentions are what the pipeline (sentences → abbreviations → entities → NER) proposes
for each gold/train fold with a mined-term layer learned from the other folds only, labelled
by FACTS_SPEC §4 against that document's gold. Cross-validation is nested: the filter scored
on fold f was trained on mentions of the other folds, each produced without fold f's terms.
Deterministic: fixed folds (pipeline.kb.mining.assign_folds), liblinear.
Retrain after changing the entity components or the NER (scripts/train_models.py does, in order).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pipeline.training.blas import use_one_blas_thread  # noqa: E402
use_one_blas_thread()  # before numpy and scipy load: the same models and figures on any machine

import pandas as pd  # noqa: E402

from pipeline.components.mention_filter import MODEL_DIR, MentionFilter  # noqa: E402
from pipeline.evaluate import GoldSet, score_predictions  # noqa: E402
from pipeline.kb.mining import assign_folds, load_gold_docs  # noqa: E402
from pipeline.training import mentions  # noqa: E402
from pipeline.training.gold import GOLD, load_gold_documents  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from mine_gold_terms import MINE_SILVER, silver_mining_docs  # noqa: E402

VERSION = "1.0.0"
C = 0.5
THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6)
# P(kept) below which a mention goes. By the nested CV: entity F1 0.704 at 0.40, 0.709 at 0.50, but 0.50
# costs two points of argument coverage (0.646 -> 0.626) that the claim steps need.
THRESHOLD = 0.40


def entity_frame(docs_and_ids) -> pd.DataFrame:
    return pd.DataFrame([{"doc_id": doc_id, "text": e.text, "type": e.label_, "concept_id": e.kb_id_,
                          "start": e.start_char, "end": e.end_char} for doc, doc_id in docs_and_ids for e in doc.ents],
                        columns=["doc_id", "text", "type", "concept_id", "start", "end"])


def cross_validate(nlp, gold_docs, mining_docs, folds, thresholds=THRESHOLDS) -> dict:
    """Entity precision/recall/F1 and argument coverage over all folds at each threshold (0.0 = no filter)."""
    filters = mentions.fold_filters(nlp, gold_docs, mining_docs, folds, C=C)
    entities = nlp.get_pipe("entities")
    scorer = MentionFilter(nlp, "mention_filter", model_path="/nonexistent")
    kept = {t: [] for t in thresholds}
    for fold, (weights, bias) in filters.items():
        entities.use_mined_terms(mentions.mined_terms_without(mining_docs, folds, {fold}))
        held = [g for g in gold_docs if folds[g.doc_id] == fold]
        scorer.initialize(weights=weights, bias=bias, threshold=0.0)
        for doc, gold in zip(nlp.pipe(g.text for g in held), held):
            probs = scorer.predict([doc])[0]
            for t in thresholds:
                kept[t].extend({"doc_id": gold.doc_id, "text": e.text, "type": e.label_, "concept_id": e.kb_id_,
                                "start": e.start_char, "end": e.end_char}
                               for e, p in zip(doc.ents, probs) if p >= t)
    gold = GoldSet.from_records([e for g in gold_docs for e in g.entities], [f for g in gold_docs for f in g.facts])
    out = {}
    for t in thresholds:
        report = score_predictions(gold, pd.DataFrame(kept[t]), None, texts={g.doc_id: g.text for g in gold_docs})
        overall = report["entities"]["overall"]
        out[f"{t:.2f}"] = {k: round(overall[k], 4) for k in ("precision", "recall", "f1")}
        out[f"{t:.2f}"]["argument_coverage"] = round(report["argument_coverage"]["overall"]["share"], 4)
        print(f"threshold {t:.2f}: " + "  ".join(f"{k} {v:.4f}" for k, v in out[f"{t:.2f}"].items()), flush=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="model folder to write")
    parser.add_argument("--limit", type=int, default=0, help="the first N gold/train documents only")
    parser.add_argument("--no-cv", action="store_true", help="skip the nested cross-validation")
    parser.add_argument("--threshold", type=float, default=THRESHOLD, help="P(kept) below which a mention goes")
    parser.add_argument("--silver", action=argparse.BooleanOptionalAction, default=MINE_SILVER,
                        help="mine terms from the silver documents too (as scripts/mine_gold_terms.py --silver)")
    args = parser.parse_args(argv)

    started = time.time()
    gold_docs = load_gold_documents(GOLD / "train")
    mining_docs = load_gold_docs(GOLD / "train")
    if args.limit:
        gold_docs, mining_docs = gold_docs[: args.limit], mining_docs[: args.limit]
    folds = assign_folds([g.doc_id for g in gold_docs], 5)
    if args.silver:  # silver documents add terms to every fold's layer, never held out
        silver = silver_mining_docs()[: args.limit or None]
        mining_docs = mining_docs + silver
        folds.update({d.doc_id: mentions.ALWAYS_MINED for d in silver})
    nlp = mentions.proposing_nlp()
    figures = {} if args.no_cv else cross_validate(nlp, gold_docs, mining_docs, folds)
    threshold = args.threshold
    rows = mentions.heldout_mentions(nlp, gold_docs, mining_docs, folds)
    weights, bias = mentions.fit(rows, C=C)
    meta = {
        "version": VERSION,
        "C": C,
        "trained_on": f"gold/train: {len(gold_docs)} documents, {len(rows)} proposed mentions "
                      f"({sum(label for _, label in rows)} kept by the gold)",
        "never_trained_on": ["gold/dev", "gold/seed"],
        "terms_mined_from": f"gold/train and {sum(f == mentions.ALWAYS_MINED for f in folds.values())} silver documents",
        "cross_validation_gold_train_5fold_nested": figures,
        "training_seconds": round(time.time() - started),
    }
    model = MentionFilter(nlp, "mention_filter", model_path="/nonexistent")
    model.initialize(weights=weights, bias=bias, threshold=threshold, meta=meta)
    model.to_disk(args.out)
    print(f"wrote {args.out} (threshold {threshold:.2f}, {len(rows)} mentions, {meta['training_seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
