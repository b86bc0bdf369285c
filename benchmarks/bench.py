"""Throughput, scaling, cache and memory of `alsfacts extract` (a benchmark, not a test).

    python benchmarks/bench.py                      # distinct texts: default and --fast runs, 1 and 2 workers
    python benchmarks/bench.py --repeated           # also the repeated-corpus runs: 1M-word and 5M-word corpora
    python benchmarks/bench.py --repeated --words 100000 --scale 5   # quick: 100k and 500k words

The main figures (issue 7) run on distinct texts only, no repeated document (repeats flatter
the tokenizer's cache): the ALS abstracts and trial records, the study-type abstracts, and the
BC5CDR and BioRED training and development abstracts of ../shared/data, each PMID once.

The corpus is /work/shared/data/als_corpus (abstracts.jsonl + trials.jsonl), repeated
until it has the requested number of words. Copy r of a record gets the id
"<id>#r<r>" and a first line "Copy r." in its text, so every copy is a distinct
document with a distinct sha256: the cache cannot treat copies as one document.

Every extraction runs from a snapshot of the package (copied at the start, so edits
to the tree meanwhile change nothing) as a subprocess (`python -m pipeline.cli extract ... --quiet`),
start-up and pipeline loading included; peak memory is the largest total RSS of
that process and its children (workers), sampled every 50 ms. Speeds are words/s
(whitespace-separated words of the document texts) and are given as ratios to spaCy's
bare English tokenizer (`spacy.blank("en").tokenizer`) over the same texts, timed in
this process. Prints a table and writes JSON (default benchmarks/results.json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = ROOT / ".." / "shared" / "data" / "als_corpus"
SOURCES = ("abstracts.jsonl", "trials.jsonl")
SHARED_DATA = ROOT / ".." / "shared" / "data"
PUBTATOR_SOURCES = ("bc5cdr/CDR_TrainingSet.PubTator.txt", "bc5cdr/CDR_DevelopmentSet.PubTator.txt",
                    "biored/Train.PubTator", "biored/Dev.PubTator")
TARGETS = {"tokenizer_ratio": 1 / 8, "peak_mb": 2048, "speedup": 1.7, "rerun_fraction": 0.05, "memory_growth": 0.20}


def load_records() -> list[dict]:
    records = []
    for name in SOURCES:
        with open(SHARED_CORPUS / name, encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle if line.strip())
    return records


def record_words(record: dict) -> int:
    return len((record.get("title") or "").split()) + len(record["text"].split())


def distinct_records() -> list[dict]:
    """Every distinct abstract and record of ../shared/data, once (by id and by text)."""
    records = load_records()
    with open(SHARED_DATA / "studytypeteller" / "study_types.jsonl", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                records.append({"id": f"PMID:{row['pmid']}", "title": row.get("title") or "", "text": row.get("abstract") or ""})
    for name in PUBTATOR_SOURCES:
        title = {}
        with open(SHARED_DATA / name, encoding="utf-8") as handle:
            for line in handle:
                parts = line.rstrip("\n").split("|", 2)
                if len(parts) == 3 and parts[1] == "t":
                    title[parts[0]] = parts[2]
                elif len(parts) == 3 and parts[1] == "a":
                    records.append({"id": f"PMID:{parts[0]}", "title": title.get(parts[0], ""), "text": parts[2]})
    seen_ids, seen_texts, out = set(), set(), []
    for record in records:
        if record["id"] in seen_ids or record["text"] in seen_texts or not record["text"].strip():
            continue
        seen_ids.add(record["id"])
        seen_texts.add(record["text"])
        out.append(record)
    return out


def write_records(records: list[dict], path: Path) -> int:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return sum(record_words(r) for r in records)


def write_corpus(records: list[dict], words: int, path: Path) -> int:
    """Repeat the records into `path` until it holds at least `words` words; returns the copies."""
    per_pass = sum(record_words(r) for r in records)
    copies = max(1, -(-words // per_pass))
    with open(path, "w", encoding="utf-8") as handle:
        for copy in range(copies):
            for record in records:
                repeated = dict(record)
                if copy:
                    repeated["id"] = f"{record['id']}#r{copy}"
                    repeated["text"] = f"Copy {copy}.\n{record['text']}"
                handle.write(json.dumps(repeated, ensure_ascii=False) + "\n")
    return copies


def tokenizer_speed(corpus: Path) -> dict:
    import spacy

    from pipeline.ingest import iter_documents

    tokenizer = spacy.blank("en").tokenizer
    words = 0
    seconds = 0.0
    for document in iter_documents([corpus]):
        if document.status != "ok":
            continue
        words += len(document.text.split())
        started = time.perf_counter()
        tokenizer(document.text)
        seconds += time.perf_counter() - started
    return {"words": words, "seconds": round(seconds, 3), "words_per_s": words / seconds}


def snapshot(work: Path) -> Path:
    """A copy of the package, so that edits to the tree during the benchmark change nothing."""
    target = work / "snapshot"
    shutil.copytree(ROOT / "pipeline", target / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def run_extract(code: Path, corpus: Path, out: Path, workers: int, extra: list[str]) -> dict:
    """One `alsfacts extract` subprocess: wall time, peak RSS of its process tree, manifest."""
    command = [sys.executable, "-m", "pipeline.cli", "extract", str(corpus), "--out", str(out),
               "--workers", str(workers), "--quiet", *extra]
    env = {**os.environ, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    process = psutil.Popen(command, cwd=code, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        total = 0
        try:
            for member in [process, *process.children(recursive=True)]:
                try:
                    total += member.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"extract failed ({process.returncode}):\n{stderr.decode()[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    words = manifest["words"]
    return {
        "workers": workers, "seconds": round(seconds, 2), "words": words, "words_per_s": words / seconds,
        "peak_mb": round(peak / 2**20, 1), "documents": manifest["documents"], "runner": manifest["runner"],
        "pipeline": manifest["pipeline"], "unchanged": manifest.get("unchanged", False),
    }


RAW_PIPE = """
import json, sys, time
from pipeline.ingest import iter_documents
from pipeline.nlp import build_nlp
part, parts = int(sys.argv[1]), int(sys.argv[2])
texts = [d.text for i, d in enumerate(iter_documents([sys.argv[3]])) if d.status == "ok" and i % parts == part]
nlp = build_nlp()
nlp("Riluzole slowed ALS progression (warm-up: components that load lazily do it here).")
started = time.perf_counter()
for doc in nlp.pipe(texts):
    pass
print(time.perf_counter() - started)
"""


def parallel_ceiling(code: Path, corpus: Path, workers: int) -> dict:
    """The machine's own limit: `nlp.pipe` alone in 1 process vs `workers` independent processes.

    No alsfacts runner, no I/O, loading excluded: if this speed-up is low, the cores are
    busy or memory-bound, not the runner.
    """
    env = {**os.environ, "PYTHONPATH": str(code)}

    def run(parts: int) -> float:
        processes = [subprocess.Popen([sys.executable, "-c", RAW_PIPE, str(part), str(parts), str(corpus)],
                                      cwd=code, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                     for part in range(parts)]
        return max(float(process.communicate()[0]) for process in processes)

    one, many = run(1), run(workers)
    return {"seconds_1": round(one, 2), f"seconds_{workers}": round(many, 2), "speedup": one / many}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=1_000_000, help="words of the 1x corpus (issue 2 run)")
    parser.add_argument("--scale", type=int, default=5, help="the scaling corpus is this many times larger")
    parser.add_argument("--workers", type=int, default=2, help="workers of the parallel run")
    parser.add_argument("--skip-scaling", action="store_true", help="with --repeated: only the 1x runs")
    parser.add_argument("--repeated", action="store_true", help="also the repeated-corpus runs of issues 2 and 4")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument("--code", type=Path, help="run the package copy in this folder (holding pipeline/) "
                        "instead of a fresh snapshot of the tree")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora and outputs")
    args = parser.parse_args(argv)
    if not SHARED_CORPUS.is_dir():
        sys.exit(f"corpus not found: {SHARED_CORPUS}")

    work = Path(tempfile.mkdtemp(prefix="alsfacts-bench-"))
    results: dict = {"targets": TARGETS, "cpu_count": os.cpu_count()}
    try:
        code = args.code.resolve() if args.code else snapshot(work)
        distinct = work / "corpus_distinct.jsonl"
        words = write_records(distinct_records(), distinct)
        tokenizer = tokenizer_speed(distinct)
        runs = {}
        for name, extra in (("default", []), ("fast", ["--fast"])):
            for workers in (1, args.workers):
                runs[f"{name}_{workers}"] = run_extract(code, distinct, work / f"out_{name}_{workers}", workers, extra)
        results["issue7"] = {
            "corpus_words": words, "tokenizer": tokenizer, "runs": runs,
            "ratios": {key: run["words_per_s"] / tokenizer["words_per_s"] for key, run in runs.items()},
            "targets": {"default_1": 1 / 25, f"default_{args.workers}": 1 / 15, "peak_mb": 2048},
        }
        if not args.repeated:
            return _finish(results, args, work)
        records = load_records()
        small = work / "corpus_1x.jsonl"
        results["copies_1x"] = write_corpus(records, args.words, small)
        tokenizer = tokenizer_speed(small)
        single = run_extract(code, small, work / "out_1x", 1, [])
        parallel = run_extract(code, small, work / "out_1x_n", args.workers, [])
        results["issue2"] = {
            "tokenizer": tokenizer, "extract_1_worker": single,
            "ratio_to_tokenizer": single["words_per_s"] / tokenizer["words_per_s"],
            "peak_mb": single["peak_mb"],
            # what `alsfacts extract` does by default on this machine (one worker per core)
            f"extract_{args.workers}_workers": parallel,
            f"ratio_to_tokenizer_{args.workers}_workers": parallel["words_per_s"] / tokenizer["words_per_s"],
            f"peak_mb_{args.workers}_workers": parallel["peak_mb"],
        }
        if not args.skip_scaling:
            big = work / "corpus_scaled.jsonl"
            results["copies_scaled"] = write_corpus(records, args.words * args.scale, big)
            big_tokenizer = tokenizer_speed(big)
            one = run_extract(code, big, work / "out_1", 1, [])
            many = run_extract(code, big, work / "out_n", args.workers, [])
            rerun = run_extract(code, big, work / "out_n", args.workers, [])
            ceiling = parallel_ceiling(code, small, args.workers)
            results["issue4"] = {
                "raw_nlp_pipe_ceiling": ceiling,
                "tokenizer": big_tokenizer, "extract_1_worker": one, f"extract_{args.workers}_workers": many,
                "unchanged_rerun": rerun,
                "ratio_1_worker": one["words_per_s"] / big_tokenizer["words_per_s"],
                f"ratio_{args.workers}_workers": many["words_per_s"] / big_tokenizer["words_per_s"],
                "speedup": one["seconds"] / many["seconds"],
                "rerun_fraction": rerun["seconds"] / many["seconds"],
                "peak_mb_1x": single["peak_mb"], f"peak_mb_{args.scale}x": one["peak_mb"],
                "memory_growth": one["peak_mb"] / single["peak_mb"] - 1,
            }
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return _finish(results, args, work)


def _finish(results: dict, args, work: Path) -> dict:
    if args.keep:
        print(f"kept {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results, args)
    return results


def print_distinct_table(results: dict) -> None:
    issue7 = results["issue7"]
    tok = issue7["tokenizer"]
    print(f"distinct texts: {issue7['corpus_words']:,} words; spaCy's bare tokenizer {tok['words_per_s']:,.0f} words/s")
    for key, run in issue7["runs"].items():
        print(f"  extract {key.replace('_', ', workers '):<22} {run['words_per_s']:>10,.0f} words/s  "
              f"ratio 1/{1 / issue7['ratios'][key]:.1f}  {run['seconds']:>7} s  peak {run['peak_mb']:,.0f} MB")


def print_table(results: dict, args) -> None:
    if "issue7" in results:
        print_distinct_table(results)
    if "issue2" not in results:
        return
    rows = []
    issue2 = results["issue2"]
    rows.append(("tokenizer (1x)", f"{issue2['tokenizer']['words_per_s']:,.0f} words/s", ""))
    rows.append(("extract 1 worker (1x)", f"{issue2['extract_1_worker']['words_per_s']:,.0f} words/s",
                 f"{issue2['extract_1_worker']['words']:,} words, {issue2['extract_1_worker']['seconds']} s"))
    rows.append(("  ratio to tokenizer", f"1/{1 / issue2['ratio_to_tokenizer']:.1f}", "target >= 1/8"))
    rows.append(("  peak memory", f"{issue2['peak_mb']:,.0f} MB", "target < 2048 MB"))
    n = args.workers
    if f"extract_{n}_workers" in issue2:
        parallel = issue2[f"extract_{n}_workers"]
        rows.append((f"extract {n} workers (1x)", f"{parallel['words_per_s']:,.0f} words/s",
                     f"{parallel['seconds']} s, ratio 1/{1 / issue2[f'ratio_to_tokenizer_{n}_workers']:.1f}, "
                     f"peak {parallel['peak_mb']:,.0f} MB (the CLI default on {results['cpu_count']} cores)"))
    if "issue4" in results:
        issue4 = results["issue4"]
        n = args.workers
        one, many, rerun = issue4["extract_1_worker"], issue4[f"extract_{n}_workers"], issue4["unchanged_rerun"]
        rows.append((f"tokenizer ({args.scale}x)", f"{issue4['tokenizer']['words_per_s']:,.0f} words/s", ""))
        rows.append((f"extract 1 worker ({args.scale}x)", f"{one['words_per_s']:,.0f} words/s",
                     f"{one['words']:,} words, {one['seconds']} s, ratio 1/{1 / issue4['ratio_1_worker']:.1f}"))
        rows.append((f"extract {n} workers ({args.scale}x)", f"{many['words_per_s']:,.0f} words/s",
                     f"{many['seconds']} s, ratio 1/{1 / issue4[f'ratio_{n}_workers']:.1f}"))
        rows.append(("  speed-up", f"{issue4['speedup']:.2f}x", "target >= 1.7x"))
        ceiling = issue4["raw_nlp_pipe_ceiling"]
        rows.append(("  machine ceiling", f"{ceiling['speedup']:.2f}x",
                     f"bare nlp.pipe in {n} processes vs 1, loading excluded (1x corpus)"))
        rows.append(("  unchanged rerun", f"{issue4['rerun_fraction']:.1%} of first run",
                     f"{rerun['seconds']} s, processed {rerun['documents']['processed']}, tables "
                     f"{'kept' if rerun['unchanged'] else 'rewritten'}; target <= 5%"))
        rows.append(("  peak memory 1x -> scaled", f"{issue4['peak_mb_1x']:,.0f} -> {one['peak_mb']:,.0f} MB",
                     f"growth {issue4['memory_growth']:+.0%}; target within 20%"))
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>24}  {note}")
    print(f"pipeline: {', '.join(issue2['extract_1_worker']['pipeline'])}")


if __name__ == "__main__":
    main()
