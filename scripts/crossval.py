"""End-to-end 5-fold document-level cross-validation on ../shared/gold/train, scored by
`alsfacts eval`'s rules (FACTS_SPEC §4), and the same systems on seed+dev.

For each fold, everything learned from gold/train is rebuilt from the other four folds only:
the mined gold terms (pipeline/kb/mining.py), the mention filter (nested: its training mentions
come from folds processed without their own mined terms) and the claim classifier. The held-out fold's
documents are then extracted and scored; the five folds' predictions are scored together.
Three claim systems are scored on the same mentions (the ablation): the rules alone, the
model alone (rules as features only) and the model merged with the rules (the default).

    python scripts/crossval.py                     # figures → benchmarks/crossval.json
    python scripts/crossval.py --limit 40 --json /tmp/cv.json   # a quick slice
    python scripts/crossval.py --corpus-weight 0.3 --corpus-heads fact   # with BioRED/BC5CDR pairs
    python scripts/crossval.py --grid --tune --override --variants      # other decodes and fits too
    python scripts/crossval.py --learning-curve --gold-mentions --json benchmarks/learning_curve.json

`--learning-curve` trains on a share of gold/train (its documents outside the held-out fold; one
seeded order, so the smaller sets lie inside the larger): the claim classifier alone, on the
full run's mentions; and the entity steps alone (mined terms and mention filter, nested as
above), scored by entity F1 and argument coverage with the rule facts. `--gold-mentions`
gives the claim classifier gold's mentions as candidates, in training and in the held-out fold:
what the claim steps reach when argument coverage is complete.

The NER and strength models are trained on public corpora, never on gold/train, so they
need no per-fold retraining here.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pipeline.training.blas import use_one_blas_thread  # noqa: E402
use_one_blas_thread()  # before numpy and scipy load: the same models and figures on any machine

import pandas as pd  # noqa: E402
from pipeline.components.claim_model import ClaimClassifier, facts_from_scores  # noqa: E402
from pipeline.components.mention_filter import MODEL_DIR as MENTION_MODEL_DIR  # noqa: E402
from pipeline.kb.mining import (  # noqa: E402
    cross_validated_terms, load_gold_docs, mining_documents, select_terms, shipped_terms,
)
from pipeline.nlp import build_nlp  # noqa: E402
from pipeline.training import claims as claim_training  # noqa: E402
from pipeline.training import crossval  # noqa: E402
from pipeline.training import mentions  # noqa: E402
from pipeline.training.gold import GENRES, GOLD, document_folds, genre_of, load_gold_documents  # noqa: E402
from pipeline.training.silver import SILVER_FILE, load_silver_documents  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from mine_gold_terms import MIN_PRECISION, MINE_SILVER  # noqa: E402
from train_claims import C, CORPUS_HEADS, CORPUS_WEIGHT, RULE_FLOOR, SILVER_WEIGHT, THRESHOLD  # noqa: E402
from pipeline.training import claim_corpora  # noqa: E402

SYSTEMS = {"rules": None, "model": (THRESHOLD, 1.0), "model+rules": (THRESHOLD, RULE_FLOOR)}
# --variants: other fits of the merged system in the same run: (C per head, with the public-corpus rows)
VARIANTS = {
    "variant:fact-heads-C2": ({"polarity": 2.0, "predicate": 2.0, "direction": 2.0}, True),
    "variant:fact-heads-C0.2": ({"polarity": 0.2, "predicate": 0.2, "direction": 0.2}, True),
    "variant:relation-C1": ({"relation": 1.0}, True),
    "variant:relation-C0.25": ({"relation": 0.25}, True),
}


LEARNING_CURVE = (0.25, 0.5, 0.75)  # shares of gold/train whose documents outside the held-out fold train
LEARNING_CURVE_SEED = 29


THRESHOLD_STEPS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)


def tune_thresholds(processed_all, scored, predicates, floor: float = RULE_FLOOR) -> dict:
    """One P(relation) cut-off per predicate, chosen on the folds' held-out predictions (one
    pass of coordinate search from THRESHOLD, by strict fact F1)."""
    table = {"*": THRESHOLD}

    def f1(candidate_table):
        return crossval.summary(crossval._score(processed_all, {
            d.gold.doc_id: facts_from_scores(d.doc, d.candidates, scored[d.gold.doc_id], predicates,
                                             candidate_table, floor) if scored.get(d.gold.doc_id) else []
            for d in processed_all}))["fact_f1"]

    best = f1(table)
    for predicate in predicates:
        for step in THRESHOLD_STEPS:
            trial = dict(table, **{predicate: step})
            value = f1(trial)
            if value > best + 1e-9:
                best, table = value, trial
    print(f"per-predicate thresholds (CV fact F1 {best:.3f}): {table}", flush=True)
    return table


def run_folds(nlp, classifier, gold_docs, k: int = 5, grid=(), extra_rows=(), tune: bool = False,
              variants: dict | None = None, learning_curve=(), gold_mentions: bool = False,
              silver_docs=(), silver_weight: float = 0.0, silver_terms=(), keep: Path | None = None) -> dict:
    """The systems' reports on the pooled held-out folds. Per fold: terms mined from the other
    folds, the fold's mention filter, the claim heads fitted on the other folds' candidates (and
    `extra_rows`, the silver candidates through this fold's entity steps); then the optional studies
    (`variants`, `learning_curve`, `gold_mentions`) on the same fold, and after the folds the other
    decoding settings (`grid`, `tune`) of the merged system. `keep`: write each system's pooled
    held-out facts there (`keep_facts`)."""
    entities = nlp.get_pipe("entities")
    mining_docs = {d.doc_id: d for d in load_gold_docs(GOLD / "train")}
    folds = document_folds([d.doc_id for d in gold_docs], k)
    fold_of = {doc_id: f for f, ids in enumerate(folds) for doc_id in ids}
    filters = _fold_mention_filters(nlp, gold_docs, mining_docs, fold_of, silver_terms)
    curve = LearningCurve(nlp, classifier, gold_docs, mining_docs, fold_of, learning_curve, k, filters is not None)
    variants = variants or {}
    predictions = defaultdict(dict, {name: {} for name in list(SYSTEMS) + list(variants)})
    processed_all, scored = [], {}
    # systems scored on documents of their own (other mentions than processed_all's)
    own_docs, own_predictions = defaultdict(list), defaultdict(dict)
    for f, held_ids in enumerate(folds):
        started = time.time()
        held = set(held_ids)
        train_ids = [d.doc_id for d in gold_docs if d.doc_id not in held]
        terms = select_terms(cross_validated_terms([mining_docs[i] for i in train_ids if i in mining_docs],
                                                   extra=silver_terms), min_precision=MIN_PRECISION)
        entities.use_mined_terms(terms)
        if filters is not None:
            mentions.use_filter(nlp, filters[f])
        processed = crossval.process(nlp, classifier, gold_docs)
        # silver documents through this fold's entity steps: public-corpus rows of their own
        fold_extra = list(extra_rows) + (claim_training.silver_dataset(nlp, classifier, silver_docs, silver_weight)
                                         if silver_docs and silver_weight > 0 else [])
        rows = [row for d in processed if d.gold.doc_id not in held for row in d.labelled] + fold_extra
        heads = claim_training.fit(classifier, rows, C=C, threshold=THRESHOLD)
        held_docs = [d for d in processed if d.gold.doc_id in held]
        for d in held_docs:
            processed_all.append(d)
            scores = heads.scores(classifier.featurize(d.candidates)) if d.candidates else None
            scored[d.gold.doc_id] = scores
            for name, setting in SYSTEMS.items():
                if setting is None:
                    predictions[name][d.gold.doc_id] = list(d.doc._.facts or [])
                else:
                    predictions[name][d.gold.doc_id] = facts_from_scores(
                        d.doc, d.candidates, scores, heads.predicates, *setting) if scores else []
        for name, (head_C, with_extra) in variants.items():
            variant = claim_training.fit(classifier, rows[: len(rows) - len(fold_extra)] + (fold_extra if with_extra else []),
                                         C=C, threshold=THRESHOLD, head_C=head_C)
            predictions[name].update({d.gold.doc_id: _default_facts(classifier, variant, d) for d in held_docs})
        if curve.shares:
            curve.fold(f, processed, held, predictions, own_docs, own_predictions)
            entities.use_mined_terms(terms)  # back to this fold's own terms and filter
            if filters is not None:
                mentions.use_filter(nlp, filters[f])
        if gold_mentions:
            _gold_mention_fold(nlp, classifier, processed, held, own_docs, own_predictions)
        print(f"fold {f}: {len(held)} documents, {len(terms)} mined terms, {len(rows)} training candidates "
              f"({time.time() - started:.0f} s)", flush=True)
    results = {name: crossval._score(processed_all, facts) for name, facts in predictions.items()}
    if keep is not None:
        keep_facts(keep, processed_all, predictions)
    # the default system per kind of document (the held-out documents ALS users bring are of all three)
    results["_by_genre"] = {genre: (len(docs), crossval._score(docs, predictions["model+rules"])) for genre in GENRES
                            if (docs := [d for d in processed_all if genre_of(d.gold.doc_id) == genre])}
    results.update({name: crossval._score(docs, own_predictions[name]) for name, docs in own_docs.items()})
    if filters is not None:
        nlp.get_pipe("mention_filter").from_disk(MENTION_MODEL_DIR)
    results.update(_other_settings(processed_all, scored, heads.predicates, grid, tune))
    return results


def keep_facts(directory: Path, processed: list, predictions: dict) -> None:
    """One CSV per system (`rules.csv`, `model.csv`, `model+rules.csv`...) of its held-out facts,
    with the sentence, the extractor and the confidence, for reading the errors."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, facts_of in predictions.items():
        rows = [{**row, "sentence": f.sentence.text if f.sentence is not None else "", "extractor": f.extractor,
                 "confidence": round(f.confidence, 3)}
                for d in processed for f, row in zip(facts_of.get(d.gold.doc_id, []),
                                                     crossval.fact_rows(facts_of.get(d.gold.doc_id, []), d.gold.doc_id))]
        pd.DataFrame(rows).to_csv(directory / f"{name}.csv", index=False)


def _fold_mention_filters(nlp, gold_docs, mining_docs, fold_of, silver_terms):
    """The mention filter of each fold, trained without that fold (nested: pipeline/training/mentions.py);
    silver documents (`silver_terms`: mining documents) add terms to every fold and are never held out.
    None when the pipeline has no mention filter."""
    if "mention_filter" not in nlp.pipe_names:
        return None
    started = time.time()
    silver_fold = {d.doc_id: mentions.ALWAYS_MINED for d in silver_terms}
    filters = mentions.fold_filters(nlp, gold_docs, [mining_docs[i] for i in fold_of] + list(silver_terms),
                                    {**fold_of, **silver_fold})
    print(f"mention filters: {len(filters)} folds ({time.time() - started:.0f} s)", flush=True)
    return filters


class LearningCurve:
    """--learning-curve: the claim classifier, and separately the entity steps (mined terms, nested
    mention filter), trained on a share of gold/train. One seeded order of the documents, so the
    smaller sets lie inside the larger; a share's training documents are that set minus the fold."""

    def __init__(self, nlp, classifier, gold_docs, mining_docs, fold_of, shares, k, with_filter):
        self.nlp, self.classifier, self.gold_docs, self.mining_docs = nlp, classifier, gold_docs, mining_docs
        order = sorted(fold_of)
        random.Random(LEARNING_CURVE_SEED).shuffle(order)
        self.shares = {share: set(order[: round(share * len(order))]) for share in shares}
        self.filters = {share: mentions.fold_filters(nlp, [g for g in gold_docs if g.doc_id in subset],
                                                     [mining_docs[i] for i in sorted(subset)],
                                                     {i: fold_of[i] for i in subset}, fold_ids=range(k))
                        for share, subset in self.shares.items() if with_filter}

    def fold(self, f, processed, held, predictions, own_docs, own_predictions) -> None:
        classifier = self.classifier
        for share, subset in self.shares.items():
            part = claim_training.fit(classifier, [row for d in processed if d.gold.doc_id in subset - held
                                                   for row in d.labelled], C=C, threshold=THRESHOLD)
            predictions[f"claims trained on {share:.0%}"].update(
                {d.gold.doc_id: _default_facts(classifier, part, d) for d in processed if d.gold.doc_id in held})
            name = f"entity steps trained on {share:.0%}"
            for d in _entity_steps_on(self.nlp, classifier, self.gold_docs, self.mining_docs, subset - held, held,
                                      self.filters[share][f] if self.filters else None):
                own_docs[name].append(d)
                own_predictions[name][d.gold.doc_id] = list(d.doc._.facts or [])


def _gold_mention_fold(nlp, classifier, processed, held, own_docs, own_predictions) -> None:
    """--gold-mentions: the claim classifier given gold's mentions as candidates (with the pipeline's
    where no gold mention lies, or gold's only), in training and in the held-out fold."""
    for keep_predicted, name in ((True, "gold mentions first"), (False, "gold mentions only")):
        oracle = crossval.with_gold_mentions(nlp, classifier, processed, keep_predicted)
        heads = claim_training.fit(classifier, [row for d in oracle if d.gold.doc_id not in held
                                                for row in d.labelled], C=C, threshold=THRESHOLD)
        for d in oracle:
            if d.gold.doc_id in held:
                own_docs[name].append(d)
                own_predictions[name][d.gold.doc_id] = _default_facts(classifier, heads, d)


def _other_settings(processed_all, scored, predicates, grid, tune) -> dict:
    """The merged system at other thresholds and rule floors (`grid`), and with one threshold per
    predicate chosen on these folds (`tune`), on the same fold models' scores."""
    results = {}
    if tune:
        table = tune_thresholds(processed_all, scored, predicates)
        grid = list(grid) + [(table, RULE_FLOOR)]
    for threshold, floor in grid:
        results[_setting_name(threshold, floor)] = crossval._score(processed_all, {
            d.gold.doc_id: _decode(d, scored[d.gold.doc_id], predicates, threshold, floor)
            if scored.get(d.gold.doc_id) else [] for d in processed_all})
    if tune:
        results["_tuned"] = [(table, RULE_FLOOR)]
    return results


def _default_facts(classifier, heads, d) -> list:
    """One processed document's facts from `heads` at the shipped threshold and rule floor."""
    if not d.candidates:
        return []
    return facts_from_scores(d.doc, d.candidates, heads.scores(classifier.featurize(d.candidates)), heads.predicates,
                             THRESHOLD, RULE_FLOOR)


def _entity_steps_on(nlp, classifier, gold_docs, mining_docs, train_ids: set, held: set, mention_filter) -> list:
    """The held-out documents processed with terms mined from `train_ids` and `mention_filter`
    (weights and bias; None: the pipeline's)."""
    nlp.get_pipe("entities").use_mined_terms(select_terms(cross_validated_terms(
        [mining_docs[i] for i in sorted(train_ids) if i in mining_docs]), min_precision=MIN_PRECISION))
    if mention_filter is not None:
        mentions.use_filter(nlp, mention_filter)
    return crossval.process(nlp, classifier, [g for g in gold_docs if g.doc_id in held])


def _setting_name(threshold, floor) -> str:
    if isinstance(threshold, dict):
        return "model+rules@per-predicate"
    if isinstance(floor, tuple):
        return f"grid@{threshold}/{floor[0]}/override{floor[1]}"
    return f"grid@{threshold}/{floor}"


def _decode(d, scores, predicates, threshold, floor):
    """Facts of one processed document at one setting; `floor` may be (rule floor, rule override)."""
    floor, override = floor if isinstance(floor, tuple) else (floor, 1.01)
    return facts_from_scores(d.doc, d.candidates, scores, predicates, threshold, floor, override)


def seed_dev(nlp, classifier, gold_docs=(), extra_rows=(), grid=(), variants: dict | None = None,
             silver_docs=(), silver_weight: float = 0.0, terms=None) -> dict:
    """The claim model trained on all of `gold_docs` (gold/train, with the shipped mined terms or
    `terms`) and `extra_rows`, or the shipped one when `gold_docs` is empty, scored on seed+dev:
    never trained on."""
    nlp.get_pipe("entities").use_mined_terms(shipped_terms() if terms is None else terms)
    model, variant_models = classifier.model, {}
    if gold_docs:
        gold_rows = [row for d in crossval.process(nlp, classifier, gold_docs) for row in d.labelled]
        if silver_docs and silver_weight > 0:
            extra_rows = list(extra_rows) + claim_training.silver_dataset(nlp, classifier, silver_docs, silver_weight)
        model = claim_training.fit(classifier, gold_rows + list(extra_rows), C=C, threshold=THRESHOLD)
        for name, (head_C, with_extra) in (variants or {}).items():
            variant_models[name] = claim_training.fit(classifier, gold_rows + (list(extra_rows) if with_extra else []),
                                                      C=C, threshold=THRESHOLD, head_C=head_C)
    docs = crossval.process(nlp, classifier, load_gold_documents(GOLD / "seed") + load_gold_documents(GOLD / "dev"))
    out = {"rules": crossval._score(docs, {d.gold.doc_id: list(d.doc._.facts or []) for d in docs})}
    settings = {name: s for name, s in SYSTEMS.items() if s is not None}
    settings.update({_setting_name(t, f): (t, f) for t, f in grid})
    for name, setting in settings.items():
        if setting is not None:
            out[name] = crossval._score(docs, {
                d.gold.doc_id: _decode(d, model.scores(classifier.featurize(d.candidates)), model.predicates, *setting)
                if d.candidates else [] for d in docs})
    for name, variant in variant_models.items():
        out[name] = crossval._score(docs, {d.gold.doc_id: _default_facts(classifier, variant, d) for d in docs})
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
    parser.add_argument("--override", action="store_true",
                        help="also score letting the model's polarity replace a rule fact's where it is this sure")
    parser.add_argument("--variants", action="store_true", help="also score the VARIANTS fits in the same run")
    parser.add_argument("--tune", action="store_true", help="also choose one threshold per predicate on the folds")
    parser.add_argument("--corpus-weight", type=float, default=CORPUS_WEIGHT,
                        help="sample weight of the BioRED/BC5CDR training pairs (0: gold/train only)")
    parser.add_argument("--shipped", action="store_true",
                        help="score the shipped claim model on seed+dev (default: one trained here on all of gold/train)")
    parser.add_argument("--corpus-heads", choices=("all", "fact", "predicate"), default=CORPUS_HEADS,
                        help="which heads the public-corpus pairs train: all; only those that read a fact; "
                             "those, from the pairs whose predicate follows from the corpus")
    parser.add_argument("--silver-weight", type=float, default=SILVER_WEIGHT,
                        help="sample weight of the silver documents' candidates (training/silver_annotations.jsonl.gz; "
                             "0: gold/train only)")
    parser.add_argument("--silver", type=Path, default=SILVER_FILE, help="the silver annotations file")
    parser.add_argument("--silver-terms", action=argparse.BooleanOptionalAction, default=MINE_SILVER,
                        help="mine each fold's terms (and the mention filter's) from the silver documents too")
    parser.add_argument("--learning-curve", action="store_true",
                        help=f"also train on {', '.join(f'{s * 100:.0f}%%' for s in LEARNING_CURVE)} of gold/train "
                             "(the claim classifier; the entity steps)")
    parser.add_argument("--gold-mentions", action="store_true",
                        help="also score the claim classifier given gold's mentions as candidates (its ceiling)")
    parser.add_argument("--keep", type=Path, help="write each system's held-out facts to this folder (CSV)")
    args = parser.parse_args(argv)
    nlp = build_nlp()
    shipped = nlp.get_pipe("claim_model")
    classifier = ClaimClassifier(nlp, "claim_model_cv", model_path=str(ROOT / "no-model"))
    gold_docs = load_gold_documents(GOLD / "train")
    if args.limit:
        gold_docs = gold_docs[: args.limit]
    grid = [(t, f) for t in (0.25, 0.3, 0.35, 0.4, 0.5) for f in (0.0, 0.05, 0.1)] if args.grid else []
    if args.override:
        grid += [(THRESHOLD, (RULE_FLOOR, o)) for o in (0.6, 0.75, 0.9)]
    extra_rows = []
    if args.corpus_weight > 0:
        extra_rows = claim_training.corpus_dataset(nlp, classifier, claim_corpora.load_corpora(), args.corpus_weight,
                                                    relation_head=args.corpus_heads == "all",
                                                    known_predicate_only=args.corpus_heads == "predicate")
        print(f"public corpora: {len(extra_rows)} candidates, {sum(r.relation for r in extra_rows)} relations", flush=True)
    silver_docs = load_silver_documents(args.silver) if args.silver_weight > 0 else []
    if args.limit and silver_docs:
        silver_docs = silver_docs[: args.limit]
    variants = VARIANTS if args.variants else None
    silver_terms = [] if not args.silver_terms else \
        mining_documents(load_silver_documents(args.silver)[: args.limit or None])
    folds = run_folds(nlp, classifier, gold_docs, grid=grid, extra_rows=extra_rows, tune=args.tune, variants=variants,
                      learning_curve=LEARNING_CURVE if args.learning_curve else (), gold_mentions=args.gold_mentions,
                      silver_docs=silver_docs, silver_weight=args.silver_weight, silver_terms=silver_terms,
                      keep=args.keep)
    for name, report in folds.items():
        if not name.startswith("_"):
            print(f"train_5fold  {name:12s} " + "  ".join(f"{k} {v:.4f}" for k, v in crossval.summary(report).items()),
                  flush=True)
    tuned = [(t, f) for t, f in folds.pop("_tuned", ())]
    by_genre = {genre: {"documents": n, **compact(report)} for genre, (n, report) in folds.pop("_by_genre").items()}
    grid = grid + tuned
    if args.shipped:
        held_out = seed_dev(nlp, shipped, grid=grid)
    else:
        # the terms the shipped layer would have: mined from all of gold/train (and the silver documents)
        terms = select_terms(cross_validated_terms(load_gold_docs(GOLD / "train"), extra=silver_terms),
                             min_precision=MIN_PRECISION) if silver_terms else None
        held_out = seed_dev(nlp, classifier, gold_docs, extra_rows, grid=grid, variants=variants,
                            silver_docs=silver_docs, silver_weight=args.silver_weight, terms=terms)
    results = {"train_5fold": {k: compact(v) for k, v in folds.items()},
               "train_5fold_default_by_genre": by_genre,
               "seed_dev": {k: compact(v) for k, v in held_out.items()},
               "settings": {"threshold": THRESHOLD, "rule_floor": RULE_FLOOR, "C": C, "documents": len(gold_docs),
                            "corpus_weight": args.corpus_weight, "corpus_heads": args.corpus_heads,
                            "silver_documents": len(silver_docs), "silver_weight": args.silver_weight,
                            "seed_dev_model": "shipped" if args.shipped else "trained on all of gold/train here"}}
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
