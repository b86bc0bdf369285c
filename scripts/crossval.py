"""End-to-end 5-fold document-level cross-validation on ../shared/gold/train, scored by
`alsfacts eval`'s rules (FACTS_SPEC §4), and the same systems on seed+dev.

For each fold, everything learned from gold/train is rebuilt from the other four folds only:
the mined gold terms (pipeline/kb/mining.py) and the claim classifier. The held-out fold's
documents are then extracted and scored; the five folds' predictions are scored together.
Three claim systems are scored on the same mentions (the ablation): the rules alone, the
model alone (rules as features only) and the model merged with the rules (the default).

    python scripts/crossval.py                     # figures → benchmarks/crossval.json
    python scripts/crossval.py --limit 40 --json /tmp/cv.json   # a quick slice

The NER and strength models are trained on public corpora, never on gold/train, so they
need no per-fold retraining here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.components.claim_model import ClaimClassifier, facts_from_scores  # noqa: E402
from pipeline.kb.mining import MINED_TERMS_FILE, cross_validated_terms, load_gold_docs, read_terms, select_terms  # noqa: E402
from pipeline.nlp import build_nlp  # noqa: E402
from pipeline.training import claims as claim_training  # noqa: E402
from pipeline.training import crossval  # noqa: E402
from pipeline.training.gold import GOLD, document_folds, load_gold_documents  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from mine_gold_terms import MIN_PRECISION  # noqa: E402
from train_claims import C, RULE_FLOOR, THRESHOLD  # noqa: E402

SYSTEMS = {"rules": None, "model": (THRESHOLD, 1.0), "model+rules": (THRESHOLD, RULE_FLOOR)}


def run_folds(nlp, classifier, gold_docs, k: int = 5, grid=()) -> dict:
    entities = nlp.get_pipe("entities")
    mining_docs = {d.doc_id: d for d in load_gold_docs(GOLD / "train")}
    folds = document_folds([d.doc_id for d in gold_docs], k)
    predictions = {name: {} for name in SYSTEMS}
    processed_all, scored = [], {}
    for f, held_ids in enumerate(folds):
        started = time.time()
        held = set(held_ids)
        train_ids = [d.doc_id for d in gold_docs if d.doc_id not in held]
        terms = select_terms(cross_validated_terms([mining_docs[i] for i in train_ids if i in mining_docs]),
                             min_precision=MIN_PRECISION)
        entities.use_mined_terms(terms)
        processed = crossval.process(nlp, classifier, gold_docs)
        rows = [row for d in processed if d.gold.doc_id not in held for row in d.labelled]
        heads = claim_training.fit(classifier, rows, C=C, threshold=THRESHOLD)
        for d in processed:
            if d.gold.doc_id not in held:
                continue
            processed_all.append(d)
            scores = heads.scores(classifier.featurize(d.candidates)) if d.candidates else None
            scored[d.gold.doc_id] = scores
            for name, setting in SYSTEMS.items():
                if setting is None:
                    predictions[name][d.gold.doc_id] = list(d.doc._.facts or [])
                else:
                    predictions[name][d.gold.doc_id] = facts_from_scores(
                        d.doc, d.candidates, scores, heads.predicates, *setting) if scores else []
        print(f"fold {f}: {len(held)} documents, {len(terms)} mined terms, {len(rows)} training candidates "
              f"({time.time() - started:.0f} s)", flush=True)
    results = {name: crossval._score(processed_all, facts) for name, facts in predictions.items()}
    for threshold, floor in grid:  # other settings of the merged system, on the same fold models
        results[f"grid@{threshold}/{floor}"] = crossval._score(processed_all, {
            d.gold.doc_id: facts_from_scores(d.doc, d.candidates, scored[d.gold.doc_id], heads.predicates, threshold, floor)
            if scored.get(d.gold.doc_id) else [] for d in processed_all})
    return results


def seed_dev(nlp, classifier, grid=()) -> dict:
    """The shipped models (trained on all of gold/train) on seed+dev, never trained on."""
    nlp.get_pipe("entities").use_mined_terms(read_terms(MINED_TERMS_FILE))
    docs = crossval.process(nlp, classifier, load_gold_documents(GOLD / "seed") + load_gold_documents(GOLD / "dev"))
    model = classifier.model
    out = {"rules": crossval._score(docs, {d.gold.doc_id: list(d.doc._.facts or []) for d in docs})}
    settings = {name: s for name, s in SYSTEMS.items() if s is not None}
    settings.update({f"grid@{t}/{f}": (t, f) for t, f in grid})
    for name, setting in settings.items():
        if setting is not None:
            out[name] = crossval._score(docs, {
                d.gold.doc_id: facts_from_scores(d.doc, d.candidates, model.scores(classifier.featurize(d.candidates)),
                                                 model.predicates, *setting) if d.candidates else [] for d in docs})
    return out


def compact(report: dict) -> dict:
    out = crossval.summary(report)
    out["entity_recall_by_type"] = {t: v["recall"] for t, v in report["entities"]["by_type"].items()}
    out["fact_recall_by_predicate"] = {p: v["strict"]["recall"] for p, v in report["facts"]["by_predicate"].items()}
    out["strength_accuracy"] = report["facts"]["strength"]["accuracy"]
    out["certainty_accuracy"] = report["facts"]["certainty"]["accuracy"]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N gold/train documents")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "crossval.json")
    parser.add_argument("--grid", action="store_true", help="also score other thresholds and rule floors")
    args = parser.parse_args(argv)
    nlp = build_nlp()
    shipped = nlp.get_pipe("claim_model")
    classifier = ClaimClassifier(nlp, "claim_model_cv", model_path=str(ROOT / "no-model"))
    gold_docs = load_gold_documents(GOLD / "train")
    if args.limit:
        gold_docs = gold_docs[: args.limit]
    grid = [(t, f) for t in (0.25, 0.3, 0.35, 0.4, 0.5) for f in (0.0, 0.05, 0.1)] if args.grid else []
    results = {"train_5fold": {k: compact(v) for k, v in run_folds(nlp, classifier, gold_docs, grid=grid).items()},
               "seed_dev": {k: compact(v) for k, v in seed_dev(nlp, shipped, grid=grid).items()},
               "settings": {"threshold": THRESHOLD, "rule_floor": RULE_FLOOR, "C": C, "documents": len(gold_docs)}}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for split, systems in results.items():
        if split == "settings":
            continue
        for name, s in systems.items():
            print(f"{split:12s} {name:12s} entity F1 {s['entity_f1']:.3f}  coverage {s['argument_coverage']:.3f}  "
                  f"fact P {s['fact_p']:.3f} R {s['fact_r']:.3f} F1 {s['fact_f1']:.3f}  pairs F1 {s['pairs_f1']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
