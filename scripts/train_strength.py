"""Train the sentence claim-strength model (Yu et al. classes) and ship it as plain arrays.

    python scripts/train_strength.py                 # evaluate, train on everything, write the model
    python scripts/train_strength.py --compare       # also measure the alternatives (old model, textcat)
    python scripts/train_strength.py --limit 300 --out /tmp/strength.npz   # a quick run on a slice

Training data (all from ../shared, nothing is copied into the repository):
- Yu et al. 2020's annotated PubMed sentences (`data/causal_language/yu2020_annotated_pubmed.csv`,
  0 no claim, 1 correlational, 2 conditional causal, 3 direct causal);
- sentences of `gold/train` (PubMed abstracts, trial records, news and press releases): a sentence
  with facts takes its facts' most frequent strength (ties go to the stronger), the other sentences
  of a document that has facts are `none` (documents without any fact are left out: their
  sentences were not annotated, not found claim-free). Never `gold/dev` or `gold/seed`.

Features: `pipeline.components.strength.sentence_features` (words, word pairs, certainty-cue and
claim-trigger classes and class pairs). Model: multinomial logistic regression, balanced classes.

Evaluation (fixed seeds, deterministic), written to the manifest `strength_linear.json`:
- 5-fold stratified cross-validation on Yu et al. (each fold trained with all gold/train sentences);
- 5-fold document-level cross-validation on the gold/train sentences (documents dealt to folds
  round-robin after sorting by genre and id, so news sits in every fold; each fold trained with all
  of Yu et al. and the other folds' documents), news and press-release sentences also separately;
- trained on everything: seed+dev (never trained on) sentence macro-F1 and fact strength accuracy
  (a fact takes its sentence's best claim label, as `strength_of(..., has_claim=True)` gives it).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from pipeline.training.blas import use_one_blas_thread  # noqa: E402
use_one_blas_thread()  # before numpy and scipy load: the same models and figures on any machine

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.feature_extraction.text import CountVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from pipeline.components.strength import (  # noqa: E402
    CLAIM_LABELS, LABELS, MODEL_PATH, YU_LABELS, StrengthModel, sentence_features,
)
from pipeline.nlp import make_base_nlp  # noqa: E402
from pipeline.training.gold import genre_of, read_jsonl  # noqa: E402

SHARED = ROOT.parent / "shared"
YU_DATA = SHARED / "data" / "causal_language" / "yu2020_annotated_pubmed.csv"
GOLD = SHARED / "gold"
SEED_TEXT = SHARED / "seed" / "als_news_tregs.txt"
TEXTCAT_CONFIG = ROOT / "training" / "strength_textcat.cfg"
RANK = {label: i for i, label in enumerate(LABELS)}  # none < correlational < conditional < direct
VERSION = "2.0.0"
SEED = 13
FOLDS = 5


def sentence_label(strengths: list[str]) -> str:
    """The most frequent strength of a sentence's facts; ties go to the stronger."""
    counts = collections.Counter(strengths)
    return max(counts, key=lambda s: (counts[s], RANK[s]))


def yu_units(nlp, limit: int | None = None) -> list[dict]:
    table = pd.read_csv(YU_DATA)
    if limit:  # a random (seeded) slice: the file is sorted by label
        table = table.sample(n=min(limit, len(table)), random_state=SEED).sort_index()
    docs = nlp.tokenizer.pipe(table["sentence"].astype(str))
    return [{"doc_id": f"yu:{i}", "words": [t.lower_ for t in doc], "label": YU_LABELS[int(value)], "facts": []}
            for i, (doc, value) in enumerate(zip(docs, table["label"]))]


def gold_units(nlp, docs: list[dict], facts: list[dict]) -> list[dict]:
    """Labelled sentences of gold documents: the fact sentences, and the fact-free sentences (`none`)
    of documents that have facts."""
    by_doc: dict[str, dict[str, list[str]]] = collections.defaultdict(lambda: collections.defaultdict(list))
    for fact in facts:
        by_doc[fact["doc_id"]][fact["sentence"]].append(fact["strength"])
    units = []
    for record in docs:
        sentences = by_doc.get(record["id"])
        if not sentences:
            continue
        text = f"{record['title']}\n\n{record['text']}" if record.get("title") else record["text"]
        doc = nlp(text)
        covered = []
        for sentence, strengths in sentences.items():
            found = re.search(r"\s+".join(map(re.escape, sentence.split())), text)
            if not found:
                print(f"{record['id']}: fact sentence not in the text: {sentence[:60]!r}", file=sys.stderr)
                continue
            span = doc.char_span(*found.span(), alignment_mode="expand")
            covered.append(found.span())
            units.append({"doc_id": record["id"], "words": [t.lower_ for t in span],
                          "label": sentence_label(strengths), "facts": strengths})
        for sent in doc.sents:
            if not any(a < sent.end_char and sent.start_char < b for a, b in covered):
                units.append({"doc_id": record["id"], "words": [t.lower_ for t in sent], "label": "none",
                              "facts": []})
    return units


def load_data(limit: int | None = None) -> dict[str, list[dict]]:
    """Yu et al., gold/train and the held-out seed+dev sentences; `limit` keeps a seeded sample of
    `limit` Yu sentences and the first ~limit/10 gold/train documents (a slice for quick runs and tests)."""
    nlp = make_base_nlp()
    train_docs = read_jsonl(GOLD / "train" / "docs.jsonl")
    if limit:
        news = [d for d in train_docs if is_news(d["id"])]
        other = [d for d in train_docs if not is_news(d["id"])]
        train_docs = news[: max(2, limit // 100)] + other[: max(8, limit // 10)]
    heldout = gold_units(nlp, read_jsonl(GOLD / "dev" / "docs.jsonl"), read_jsonl(GOLD / "dev" / "facts.jsonl"))
    seed_doc = {"id": SEED_TEXT.name, "title": "", "text": SEED_TEXT.read_text(encoding="utf-8")}
    heldout += gold_units(nlp, [seed_doc], read_jsonl(GOLD / "seed" / "facts.jsonl"))
    return {
        "yu": yu_units(nlp, limit),
        "train": gold_units(nlp, train_docs, read_jsonl(GOLD / "train" / "facts.jsonl")),
        "heldout": heldout,
    }


def training_fingerprint(data: dict[str, list[dict]]) -> dict:
    """A SHA-256 of the training sentences as the model reads them (label and features: words, word
    pairs, cue classes). It changes when the sentence splitter, the cue tables or the gold change,
    and the shipped model is then no longer what this script builds (tests/test_strength.py)."""
    units = data["yu"] + data["train"]
    digest = hashlib.sha256()
    for unit in units:
        digest.update(json.dumps([unit["label"], sentence_features(unit["words"])]).encode("utf-8"))
    return {"sentences": len(units), "sha256": digest.hexdigest()}


def is_news(doc_id: str) -> bool:
    return genre_of(doc_id) == "news"


class LinearRecipe:
    """Feature strings -> counts -> balanced multinomial logistic regression."""

    def __init__(self, C: float = 0.3, min_count: int = 2, use_cues: bool = True):
        self.C, self.min_count, self.use_cues = C, min_count, use_cues

    def features(self, units: list[dict]) -> list[list[str]]:
        if self.use_cues:
            return [sentence_features(u["words"]) for u in units]
        return [[f for f in sentence_features(u["words"]) if f[:2] in ("w:", "b:")] for u in units]

    def fit(self, units: list[dict]) -> StrengthModel:
        vectorizer = CountVectorizer(analyzer=lambda feats: feats, min_df=self.min_count, lowercase=False)
        X = vectorizer.fit_transform(self.features(units))
        y = np.array([LABELS.index(u["label"]) for u in units])
        model = LogisticRegression(C=self.C, max_iter=3000, class_weight="balanced").fit(X, y)
        weights = model.coef_.T.astype(np.float32)  # features x labels
        if len(model.classes_) == 2:  # a tiny slice may hold two labels: sklearn then keeps one row
            weights = np.hstack([-weights / 2, weights / 2])
            bias = np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2], dtype=np.float32)
        else:
            bias = model.intercept_.astype(np.float32)
        names = vectorizer.get_feature_names_out()
        keep = np.abs(weights).max(axis=1) > 1e-4
        return StrengthModel(names[keep].tolist(), weights[keep], bias, [LABELS[c] for c in model.classes_])


def predict(model: StrengthModel, units: list[dict]) -> np.ndarray:
    """Score rows (units x LABELS order) with the shipped inference code."""
    out = np.full((len(units), len(LABELS)), -np.inf, dtype=np.float32)
    columns = [LABELS.index(label) for label in model.labels]
    for i, unit in enumerate(units):
        out[i, columns] = model.score_words(unit["words"])
    return out


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    return round(float(f1_score(gold, predicted, labels=list(LABELS), average="macro", zero_division=0)), 4)


def summary(gold: list[str], predicted: list[str]) -> dict:
    per_label = f1_score(gold, predicted, labels=list(LABELS), average=None, zero_division=0)
    return {"sentences": len(gold), "macro_f1": macro_f1(gold, predicted),
            "accuracy": round(float(accuracy_score(gold, predicted)), 4),
            "per_label_f1": {label: round(float(f), 4) for label, f in zip(LABELS, per_label)}}


def document_folds(units: list[dict]) -> dict[str, int]:
    docs = sorted({u["doc_id"] for u in units}, key=lambda d: (not is_news(d), d))
    return {doc: i % FOLDS for i, doc in enumerate(docs)}


def cross_validate(fit_predict, data: dict[str, list[dict]], use_gold: bool = True) -> dict:
    """`fit_predict(train_units, test_units) -> label strings`; the two cross-validations."""
    yu, train = data["yu"], data["train"]
    yu_labels = [u["label"] for u in yu]
    predicted = [""] * len(yu)
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for fit_idx, test_idx in splitter.split(np.zeros(len(yu)), yu_labels):
        labels = fit_predict([yu[i] for i in fit_idx] + (train if use_gold else []), [yu[i] for i in test_idx])
        for i, label in zip(test_idx, labels):
            predicted[i] = label
    result = {"yu_pubmed_5fold": summary(yu_labels, predicted)}

    fold_of = document_folds(train)
    gold_labels = [u["label"] for u in train]
    predicted = [""] * len(train)
    for fold in range(FOLDS):
        test_idx = [i for i, u in enumerate(train) if fold_of[u["doc_id"]] == fold]
        if not test_idx:
            continue
        fit_units = yu + ([u for u in train if fold_of[u["doc_id"]] != fold] if use_gold else [])
        for i, label in zip(test_idx, fit_predict(fit_units, [train[i] for i in test_idx])):
            predicted[i] = label
    news = [i for i, u in enumerate(train) if is_news(u["doc_id"])]
    result["gold_train_5fold_documents"] = summary(gold_labels, predicted)
    result["gold_train_5fold_news"] = summary([gold_labels[i] for i in news], [predicted[i] for i in news])
    result["gold_train_5fold_news"]["documents"] = len({train[i]["doc_id"] for i in news})
    return result


def heldout_scores(units: list[dict], scores: np.ndarray) -> dict:
    """seed+dev: sentence labels, and each gold fact's strength against its sentence's best claim label."""
    predicted = [LABELS[int(row.argmax())] for row in scores]
    claim_columns = [LABELS.index(label) for label in CLAIM_LABELS]
    fact_hits = [CLAIM_LABELS[int(np.argmax(row[claim_columns]))] == strength
                 for unit, row in zip(units, scores) for strength in unit["facts"]]
    result = summary([u["label"] for u in units], predicted)
    result["fact_strength_accuracy"] = round(float(np.mean(fact_hits)), 4) if fact_hits else None
    result["facts"] = len(fact_hits)
    return result


def linear_fit_predict(recipe: LinearRecipe):
    def run(fit_units, test_units):
        model = recipe.fit(fit_units)
        return [LABELS[int(row.argmax())] for row in predict(model, test_units)]
    return run


def textcat_scores(fit_units: list[dict], test_units: list[dict], workdir: Path) -> np.ndarray:
    """Train spaCy textcat with `training/strength_textcat.cfg` (`spacy train`) and score `test_units`."""
    import spacy
    from spacy.tokens import Doc, DocBin

    vocab = spacy.blank("en").vocab

    def write(units, path):
        docbin = DocBin()
        for unit in units:
            doc = Doc(vocab, words=[w for w in unit["words"] if w.strip()] or ["."])
            doc.cats = {label: float(label == unit.get("label")) for label in LABELS}
            docbin.add(doc)
        docbin.to_disk(path)

    write(fit_units, workdir / "train.spacy")
    write(test_units, workdir / "dev.spacy")
    command = [sys.executable, "-m", "spacy", "train", str(TEXTCAT_CONFIG), "--code", str(ROOT / "pipeline" / "nlp.py"),
               "--paths.train", str(workdir / "train.spacy"), "--paths.dev", str(workdir / "dev.spacy"),
               "--output", str(workdir / "out")]
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True)
    nlp = spacy.load(workdir / "out" / "model-last")
    textcat = nlp.get_pipe("textcat")
    rows = []
    for unit in test_units:
        doc = textcat(Doc(nlp.vocab, words=[w for w in unit["words"] if w.strip()] or ["."]))
        rows.append([doc.cats[label] for label in LABELS])
    return np.array(rows, dtype=np.float32)


def textcat_fit_predict(workdir: Path):
    def run(fit_units, test_units):
        return [LABELS[int(row.argmax())] for row in textcat_scores(fit_units, test_units, workdir)]
    return run


def comparison_runs(data: dict[str, list[dict]], C: float):
    """(name, run) of the alternatives measured with the same protocol."""
    words_only = LinearRecipe(C=C, use_cues=False)

    def textcat():
        with tempfile.TemporaryDirectory() as tmp:
            result = cross_validate(textcat_fit_predict(Path(tmp)), data)
            result["seed_dev_heldout"] = heldout_scores(
                data["heldout"], textcat_scores(data["yu"] + data["train"], data["heldout"], Path(tmp)))
        return result

    def linear(recipe, use_gold):
        def run():
            result = cross_validate(linear_fit_predict(recipe), data, use_gold=use_gold)
            fit_units = data["yu"] + (data["train"] if use_gold else [])
            result["seed_dev_heldout"] = heldout_scores(data["heldout"], predict(recipe.fit(fit_units), data["heldout"]))
            return result
        return run

    return [
        ("spaCy textcat (TextCatBOW.v3, word bigrams), Yu et al. + gold/train", textcat),
        ("previous model: words only, Yu et al. only", linear(words_only, use_gold=False)),
        ("words only, Yu et al. + gold/train", linear(words_only, use_gold=True)),
    ]


def save(model: StrengthModel, out: Path, manifest: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, features=np.array(model.feature_names, dtype=str), weights=model.feature_weights,
                        bias=model.bias, labels=np.array(model.labels, dtype=str))
    out.with_suffix(".json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--limit", type=int, default=None,
                        help="train and evaluate on a slice: LIMIT Yu sentences (seeded sample), ~LIMIT/10 gold documents")
    parser.add_argument("--C", type=float, default=0.3, help="inverse regularisation strength")
    parser.add_argument("--compare", action="store_true",
                        help="also cross-validate the old recipe (Yu only, words) and spaCy textcat")
    parser.add_argument("--no-eval", action="store_true", help="skip the cross-validations")
    args = parser.parse_args(argv)

    started = time.time()
    data = load_data(args.limit)
    counts = {name: dict(collections.Counter(u["label"] for u in units)) for name, units in data.items()}
    print(f"sentences: {json.dumps(counts)}", flush=True)
    recipe = LinearRecipe(C=args.C)
    figures: dict = {}
    if not args.no_eval:
        figures = cross_validate(linear_fit_predict(recipe), data)
        print(f"cross-validation: {json.dumps(figures)}", flush=True)
    model = recipe.fit(data["yu"] + data["train"])
    figures["seed_dev_heldout"] = heldout_scores(data["heldout"], predict(model, data["heldout"]))
    print(f"seed+dev: {json.dumps(figures['seed_dev_heldout'])}", flush=True)

    manifest = {
        "model": "alsfacts sentence claim strength (Yu et al. classes)",
        "version": VERSION,
        "trained": time.strftime("%Y-%m-%d"),
        "recipe": {"classifier": "sklearn LogisticRegression (multinomial, class_weight=balanced)",
                   "C": args.C, "min_count": recipe.min_count, "seed": SEED, "folds": FOLDS},
        "features": {"kinds": ["w: word", "b: word pair", "c: cue class", "p: cue class pair"],
                     "cue_tables": ["pipeline/components/data/certainty_cues.tsv",
                                    "pipeline/components/data/claim_triggers.tsv"],
                     "char_ngram_sizes": [], "count": len(model.feature_names)},
        "training_data": {
            "yu_et_al": "../shared/data/causal_language/yu2020_annotated_pubmed.csv",
            "gold_train": "../shared/gold/train (fact sentences: most frequent fact strength; fact-free "
                          "sentences of documents with facts: none)",
            "limit": args.limit, "sentences": counts,
        },
        "training_features": training_fingerprint(data),
        "never_trained_on": ["../shared/gold/dev", "../shared/gold/seed"],
        "evaluation": figures,
        "comparison": {},
        "training_seconds": round(time.time() - started, 1),
    }
    save(model, args.out, manifest)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)", flush=True)
    if args.compare:
        for name, run in comparison_runs(data, args.C):
            manifest["comparison"][name] = run()
            print(f"{name}: {json.dumps(manifest['comparison'][name])}", flush=True)
            save(model, args.out, manifest)
    return manifest


if __name__ == "__main__":
    main()
