"""Rebuild every shipped model from ../shared, in order, deterministically (fixed seeds).

    python scripts/train_models.py            # all steps
    python scripts/train_models.py --list     # the steps and what each writes
    python scripts/train_models.py --only claims

Order matters: the verb list, the mined gold terms and the NER change which mentions the pipeline finds
(and the mention filter is trained on what they propose), and the claim classifier is trained on the mentions the pipeline finds, so it comes last.
Each step is its own script (runnable alone); this one runs them and writes
pipeline/models/manifest.json: per model its version, training data and evaluation figures,
read from the model's own JSON file. Every step runs with one BLAS thread
(pipeline/training/blas.py), which makes a rebuild give the same bytes on any machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "pipeline" / "models"
sys.path.insert(0, str(ROOT))

from pipeline.training.blas import ONE_THREAD  # noqa: E402  (each step's process: one BLAS thread)

# (name, script and arguments, the JSON file that describes what it wrote)
STEPS = [
    ("verb_forms", ["scripts/build_verb_forms.py"], "pipeline/components/data/verb_forms.txt"),
    ("gold_terms", ["scripts/mine_gold_terms.py"], "pipeline/kb/mined_terms.tsv"),
    ("ner", ["scripts/train_ner.py", "all"], "pipeline/models/ner/manifest.json"),
    ("mentions", ["scripts/train_mention_filter.py"], "pipeline/models/mentions/model.json"),
    ("strength", ["scripts/train_strength.py"], "pipeline/models/strength_linear.json"),
    ("claims", ["scripts/train_claims.py", "--cv"], "pipeline/models/claims/model.json"),
]


# what each table or word list is built from
TABLE_SOURCES = {
    "verb_forms": "unlabelled text of ../shared/data (the NER's pretraining text: no sentence of gold/train, "
                  "gold/dev, the seed article, BC5CDR dev or BioRED Dev)",
    "gold_terms": "gold/train (terms kept by 5-fold cross-validated precision)",
    "silver_terms": "the silver annotations (training/silver_annotations.jsonl.gz): the names gold/train does not "
                    "have, kept by the same cross-validated precision on gold/train (written by the gold_terms step)",
}
# tables a step writes besides its own file: (step, name in the manifest, file)
EXTRA_TABLES = [("gold_terms", "silver_terms", "pipeline/kb/silver_terms.tsv")]


def run_step(name: str, command: list[str]) -> float:
    started = time.time()
    print(f"== {name}: {' '.join(command)}", flush=True)
    subprocess.run([sys.executable, *command], cwd=ROOT, check=True, env={**os.environ, **ONE_THREAD})
    return time.time() - started


def table_entry(name: str, description: str) -> dict:
    """A table's or word list's manifest entry: how many entries it holds, and from what."""
    path = ROOT / description
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    entries = max(0, len(lines) - 1) if path.suffix == ".tsv" else len(lines)  # a table's first line is its header
    return {"file": description, "entries": entries, "trained_on": TABLE_SOURCES[name]}


def write_manifest(seconds: dict[str, float]) -> Path:
    target = MODELS / "manifest.json"
    previous = json.loads(target.read_text(encoding="utf-8")) if target.is_file() else {}
    manifest = {}
    for name, _, description in STEPS:
        path = ROOT / description
        if path.suffix == ".json" and path.is_file():
            entry = json.loads(path.read_text(encoding="utf-8"))
            manifest[name] = {"file": description, **{k: entry[k] for k in sorted(entry) if k not in ("features", "vocabulary")}}
        elif path.is_file():
            manifest[name] = table_entry(name, description)
            if name in seconds:
                manifest[name]["training_seconds"] = round(seconds[name])
            elif "training_seconds" in previous.get(name, {}):  # a step not run this time keeps its figure
                manifest[name]["training_seconds"] = previous[name]["training_seconds"]
    for step, name, description in EXTRA_TABLES:
        if (ROOT / description).is_file():
            manifest[name] = {**table_entry(name, description), "written_by": step}
    target.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=[s[0] for s in STEPS], help="run only these steps")
    parser.add_argument("--list", action="store_true", help="list the steps")
    parser.add_argument("--manifest-only", action="store_true", help="only rewrite pipeline/models/manifest.json")
    args = parser.parse_args(argv)
    if args.list:
        for name, command, description in STEPS:
            print(f"{name:12s} python {' '.join(command):40s} → {description}")
        return 0
    seconds = {}
    for name, command, _ in ([] if args.manifest_only else STEPS):
        if args.only and name not in args.only:
            continue
        if not (ROOT / command[0]).is_file():
            sys.exit(f"{command[0]} is missing")
        seconds[name] = run_step(name, command)
    path = write_manifest(seconds)
    print(f"manifest: {path} ({sum(seconds.values()):.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
