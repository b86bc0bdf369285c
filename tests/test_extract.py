"""The extraction runner: streaming chunks, the cache, kill-and-resume, atomic outputs.

These tests (and tests/test_batch.py, tests/test_bad_inputs.py, which import the
helpers below) run the real pipeline from pipeline/config.cfg when `shared_nlp()`
builds, and otherwise the same configured components on `make_base_nlp()`.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from functools import lru_cache
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import spacy
from spacy.language import Language

from pipeline.batch import resolve_factory
from pipeline.cache import CACHE_DIR_NAME, DATABASE_NAME
from pipeline.extract import ChunkReport, PipelineMismatch, run_extract
from pipeline.progress import ProgressReporter
from pipeline.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
ABSTRACTS = ROOT / ".." / "shared" / "data" / "als_corpus" / "abstracts.jsonl"
CORPUS_SIZE = 30
PAUSE_SECONDS = 0.12

needs_corpus = pytest.mark.skipif(not ABSTRACTS.is_file(), reason=f"shared corpus not found at {ABSTRACTS}")


# ---------------------------------------------------------------------------
# helpers shared with test_batch.py and test_bad_inputs.py

def dev_nlp():
    """The configured components that build, on make_base_nlp(): for while build_nlp() fails.

    The runner's tests need a realistic pipeline, not every component: a component that
    is missing or does not build is left out here (its own tests report it).
    """
    from pipeline.nlp import CONFIG_PATH, make_base_nlp

    config = spacy.util.load_config(CONFIG_PATH)
    nlp = make_base_nlp()
    for name in config["nlp"]["pipeline"]:
        block = dict(config["components"][name])
        factory = block.pop("factory")
        if any(nlp.get_pipe_meta(p).factory == factory for p in nlp.pipe_names):
            continue
        try:
            nlp.add_pipe(factory, name=name, config=block)
        except Exception as exc:  # noqa: BLE001 - a component still being written
            warnings.warn(f"dev_nlp leaves out {name}: {type(exc).__name__}: {exc}")
    return nlp


@lru_cache(maxsize=1)
def pipeline_spec() -> str:
    """"pipeline.nlp:shared_nlp" once the full pipeline builds, else this module's dev_nlp."""
    try:
        from pipeline.nlp import shared_nlp

        shared_nlp()
        return "pipeline.nlp:shared_nlp"
    except Exception:
        return f"{__name__}:dev_nlp"


@lru_cache(maxsize=1)
def pipeline_under_test():
    return resolve_factory(pipeline_spec())()


@Language.component("alsfacts_test_pause")
def pause(doc):
    time.sleep(PAUSE_SECONDS)
    return doc


def fresh_nlp():
    """A new copy of the test pipeline (not the shared one), to add test components to."""
    if pipeline_spec() == "pipeline.nlp:shared_nlp":
        from pipeline.nlp import build_nlp

        return build_nlp()
    return dev_nlp()


def slow_nlp():
    """The test pipeline, slowed down so that a subprocess can be killed mid-run."""
    nlp = fresh_nlp()
    nlp.add_pipe("alsfacts_test_pause")
    return nlp


def abstracts_lines(count: int, start: int = 0) -> list[str]:
    with open(ABSTRACTS, encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip()]
    return lines[start:start + count]


def write_corpus(folder: Path, lines: list[str], name: str = "abstracts.jsonl") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join(lines), encoding="utf-8")
    return path


def read_tables(out_dir: Path) -> dict:
    """Every output table as Parquet rows and CSV bytes, and texts.jsonl."""
    tables = {}
    for name in TABLES:
        tables[name] = pq.read_table(out_dir / f"{name}.parquet").to_pylist()
        tables[f"{name}.csv"] = (out_dir / f"{name}.csv").read_bytes()
    tables["texts"] = (out_dir / "texts.jsonl").read_bytes()
    return tables


_scratch = Path(tempfile.mkdtemp(prefix="alsfacts-test-extract-"))
atexit.register(shutil.rmtree, _scratch, ignore_errors=True)


@lru_cache(maxsize=4)
def baseline(count: int = CORPUS_SIZE) -> tuple[Path, dict]:
    """A clean run (this process, no cache) of the first `count` abstracts: (corpus, tables)."""
    corpus = write_corpus(_scratch / f"corpus{count}", abstracts_lines(count))
    out = _scratch / f"baseline{count}"
    run_extract([corpus], out, nlp=pipeline_under_test(), cache=False)
    return corpus, read_tables(out)


def assert_same_tables(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for name in left:
        assert left[name] == right[name], f"{name} differs"


# ---------------------------------------------------------------------------
# tests

@needs_corpus
def test_rerun_on_unchanged_corpus_does_no_nlp_work(tmp_path):
    corpus, expected = baseline()
    first = run_extract([corpus], tmp_path / "out", nlp=pipeline_under_test())
    assert first.documents_processed == CORPUS_SIZE and first.documents_cached == 0
    assert_same_tables(read_tables(tmp_path / "out"), expected)

    class NoNLP:  # any use of the pipeline fails the test
        pipe_names = pipeline_under_test().pipe_names
        max_length = pipeline_under_test().max_length
        config = pipeline_under_test().config

        def pipe(self, texts):
            raise AssertionError("the pipeline ran on a cached document")

        __call__ = pipe

    again = run_extract([corpus], tmp_path / "out", nlp=NoNLP())
    assert (again.documents_processed, again.documents_cached, again.documents_ok) == (0, CORPUS_SIZE, CORPUS_SIZE)
    assert again.runner.startswith("none")
    assert_same_tables(read_tables(tmp_path / "out"), expected)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["documents"] == {"ok": CORPUS_SIZE, "failed": 0, "processed": 0, "cached": CORPUS_SIZE}
    assert manifest["cache"]["hits"] == CORPUS_SIZE and manifest["cache"]["stored"] == 0
    assert manifest["pipeline"] == list(pipeline_under_test().pipe_names)
    for key in ("alsfacts_version", "spacy_version", "scispacy_version", "kb_version", "rows", "words", "seconds"):
        assert key in manifest


def _file_states(out_dir: Path) -> dict:
    states = {}
    for path in sorted(out_dir.iterdir()):
        if path.is_file() and path.name != "manifest.json":
            stat = path.stat()
            states[path.name] = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    return states


@needs_corpus
def test_unchanged_rerun_leaves_the_tables_untouched_and_a_changed_text_rewrites_them(tmp_path):
    lines = abstracts_lines(6)
    corpus = write_corpus(tmp_path / "in", lines)
    out = tmp_path / "out"
    first = run_extract([corpus], out, nlp=pipeline_under_test())
    assert not first.unchanged and first.documents_processed == 6
    before = _file_states(out)
    assert {"entities.parquet", "facts.csv", "texts.jsonl"} <= set(before)

    again = run_extract([corpus], out, nlp=pipeline_under_test())
    assert again.unchanged and again.runner.startswith("none")
    assert (again.documents_processed, again.documents_cached, again.documents_ok) == (0, 6, 6)
    assert again.rows == first.rows and again.words == first.words
    assert _file_states(out) == before  # same size, mtime and inode: not rewritten
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["documents"] == {"ok": 6, "failed": 0, "processed": 0, "cached": 6}
    assert manifest["unchanged"] is True and manifest["rows"] == first.rows

    stream = io.StringIO()
    ProgressReporter(quiet=True, stream=stream).print_summary(again)
    assert "unchanged: 0 documents processed, 6 cached" in stream.getvalue()

    # one input's text changes: that document is processed again and every table is rewritten
    edited = json.loads(lines[2])
    edited["text"] = "Riluzole slowed disease progression in patients with ALS. " + edited["text"]
    lines[2] = json.dumps(edited) + "\n"
    write_corpus(tmp_path / "in", lines)
    changed = run_extract([corpus], out, nlp=pipeline_under_test())
    assert not changed.unchanged and (changed.documents_processed, changed.documents_cached) == (1, 5)
    after = _file_states(out)
    assert all(after[name][2] != before[name][2] for name in before)  # every file replaced
    run_extract([corpus], tmp_path / "clean", nlp=pipeline_under_test(), cache=False)
    assert_same_tables(read_tables(out), read_tables(tmp_path / "clean"))

    # a damaged output (here: a table deleted) is rewritten even though no input changed
    (out / "facts.csv").unlink()
    repaired = run_extract([corpus], out, nlp=pipeline_under_test())
    assert not repaired.unchanged and repaired.documents_cached == 6
    assert_same_tables(read_tables(out), read_tables(tmp_path / "clean"))
    # removing a document is a change too, and --force always redoes everything
    write_corpus(tmp_path / "in", lines[:5])
    assert not run_extract([corpus], out, nlp=pipeline_under_test()).unchanged
    forced = run_extract([corpus], out, nlp=pipeline_under_test(), force=True)
    assert not forced.unchanged and forced.documents_processed == 5


def test_cli_start_up_imports_no_heavy_module():
    """`alsfacts extract` on a cached corpus must start fast: eval and review load on use."""
    code = ("import sys, pipeline.cli; "
            "print(sorted(m for m in ('pandas', 'fastapi', 'spacy', 'pyarrow', 'pipeline.evaluate') if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
    from typer.testing import CliRunner

    from pipeline.cli import app

    listed = CliRunner().invoke(app, ["--help"])
    assert listed.exit_code == 0
    for command in ("extract", "eval", "load", "review", "export"):
        assert command in listed.output
    assert "--gold" in CliRunner().invoke(app, ["eval", "--help"]).output


@needs_corpus
def test_changed_new_and_removed_documents(tmp_path):
    corpus, _ = baseline()
    out = tmp_path / "out"
    run_extract([corpus], out, nlp=pipeline_under_test())
    lines = abstracts_lines(CORPUS_SIZE)
    removed = json.loads(lines[3])["id"]
    changed = json.loads(lines[5])
    changed["text"] = "Riluzole slowed disease progression in patients with ALS. " + changed["text"]
    new_line = abstracts_lines(1, start=CORPUS_SIZE)[0]
    edited = lines[:3] + lines[4:5] + [json.dumps(changed) + "\n"] + lines[6:] + [new_line]
    write_corpus(corpus.parent.parent / "edited", edited)
    edited_corpus = corpus.parent.parent / "edited" / corpus.name

    summary = run_extract([edited_corpus], out, nlp=pipeline_under_test())
    assert (summary.documents_processed, summary.documents_cached) == (2, CORPUS_SIZE - 2)
    assert summary.cache["pruned"] == 2  # the removed document and the old version of the changed one
    clean_out = tmp_path / "clean"
    run_extract([edited_corpus], clean_out, nlp=pipeline_under_test(), cache=False)
    tables = read_tables(out)
    assert_same_tables(tables, read_tables(clean_out))
    assert removed not in {row["doc_id"] for row in tables["documents"]}
    assert removed not in {row["doc_id"] for row in tables["entities"]}
    assert [row["doc_id"] for row in tables["documents"]] == [json.loads(line)["id"] for line in edited]

    forced = run_extract([edited_corpus], out, nlp=pipeline_under_test(), force=True)
    assert (forced.documents_processed, forced.documents_cached) == (CORPUS_SIZE, 0)
    assert_same_tables(read_tables(out), read_tables(clean_out))


@needs_corpus
def test_run_extract_default_pipeline_keeps_its_signature(tmp_path):
    if pipeline_spec() != "pipeline.nlp:shared_nlp":
        pytest.skip("the full pipeline (pipeline.nlp.build_nlp) does not build yet")
    corpus = write_corpus(tmp_path / "in", abstracts_lines(3))
    summary = run_extract([corpus], tmp_path / "out")
    assert summary.documents_ok == 3
    for name in TABLES:
        assert (tmp_path / "out" / f"{name}.parquet").is_file() and (tmp_path / "out" / f"{name}.csv").is_file()


def test_corpora_facts_table_has_the_negated_claim_of_a_hard_wrapped_sentence(tmp_path):
    summary = run_extract([ROOT / "corpora"], tmp_path / "out", nlp=pipeline_under_test(), cache=False)
    assert summary.documents_ok == 2
    text = (ROOT / "corpora" / "als_therapies_overview.md").read_text(encoding="utf-8")
    facts = [f for f in pq.read_table(tmp_path / "out" / "facts.parquet").to_pylist()
             if f["doc_id"] == "als_therapies_overview.md"]
    negated = [f for f in facts if f["subject_text"] == "tofersen" and f["negated"]]
    assert [(f["predicate"], f["object_text"]) for f in negated] == [("increases", "ALSFRS-R")]
    fact = negated[0]
    assert fact["sentence"] == text[fact["sentence_start"]:fact["sentence_end"]]
    assert "did not significantly\nimprove the ALSFRS-R score at 28 weeks." in fact["sentence"]
    assert text[fact["object_start"]:fact["object_end"]] == "ALSFRS-R"
    sentences = pq.read_table(tmp_path / "out" / "sentences.parquet").to_pylist()
    assert not [s for s in sentences if s["text"].endswith("did not significantly")]


def test_a_document_the_pipeline_fails_on_fails_alone(tmp_path):
    @Language.component("alsfacts_test_explode")
    def explode(doc):
        if "EXPLODE" in doc.text:
            raise ValueError("cannot handle this one")
        return doc

    nlp = fresh_nlp()
    nlp.add_pipe("alsfacts_test_explode", first=True)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Riluzole is used in ALS. It is approved.", encoding="utf-8")
    (folder / "b.txt").write_text("This one will EXPLODE in the pipeline.", encoding="utf-8")
    (folder / "c.txt").write_text("Edaravone is another drug.", encoding="utf-8")
    summary = run_extract([folder], tmp_path / "out", nlp=nlp)
    assert (summary.documents_ok, summary.documents_failed) == (2, 1), summary.failures
    assert summary.failures[0][0] == "b.txt"
    assert "pipeline failed: ValueError: cannot handle this one" in summary.failures[0][2]
    documents = pq.read_table(tmp_path / "out" / "documents.parquet").to_pylist()
    assert [(d["doc_id"], d["status"]) for d in documents] == [("a.txt", "ok"), ("b.txt", "error"), ("c.txt", "ok")]
    assert [d["n_sentences"] for d in documents] == [2, 0, 1]
    again = run_extract([folder], tmp_path / "out", nlp=nlp)  # failures are not cached: tried again
    assert (again.documents_cached, again.documents_failed) == (2, 1)


def test_worker_running_another_pipeline_is_refused(tmp_path, monkeypatch):
    import pipeline.extract as extract_module
    from pipeline.batch import InlineRunner

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    monkeypatch.setattr(extract_module, "make_runner",
                        lambda spec, workers, dask, nlp_, fingerprint: InlineRunner(spec, nlp_, "another"))
    (tmp_path / "a.txt").write_text("Riluzole is used in ALS.", encoding="utf-8")
    with pytest.raises(PipelineMismatch):
        run_extract([tmp_path / "a.txt"], tmp_path / "out", nlp=nlp)
    assert not (tmp_path / "out" / "entities.parquet").exists()
    assert not list((tmp_path / "out").glob(".*.partial"))


def test_an_nlp_object_cannot_go_to_workers(tmp_path):
    with pytest.raises(ValueError, match="pipeline factory"):
        run_extract([tmp_path], tmp_path / "out", nlp=spacy.blank("en"), workers=2)


def test_progress_log_lines_and_summary_lists_failures(caplog):
    from pipeline.extract import RunSummary

    stream = io.StringIO()
    with ProgressReporter(stream=stream, total_bytes=2000) as progress:
        progress._last_log = 0.0
        with caplog.at_level("INFO", logger="alsfacts"):
            progress.update(ChunkReport(documents=[None] * 3, processed=2, cached=0, failed=1, words=500, chars=1000))
    assert not progress.live
    assert "3 docs (0 cached, 1 failed)" in caplog.text and "words/s" in caplog.text and "ETA" in caplog.text
    summary = RunSummary(out_dir=Path("out"), documents_ok=2, documents_failed=1, documents_processed=1,
                         documents_cached=1, failures=[("x.bin", "in/x.bin", "binary content: NUL byte at byte offset 3")],
                         rows={"entities": 4}, words=500, seconds={"total": 1.0}, runner="inline")
    progress.print_summary(summary)
    text = stream.getvalue()
    assert "documents ok: 2 (processed 1, skipped (cached) 1), failed: 1" in text
    assert "failed: in/x.bin (x.bin): binary content: NUL byte at byte offset 3" in text


def _cached_documents(cache_db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{cache_db}?mode=ro", uri=True, timeout=0.5) as db:
            return db.execute("SELECT count(*) FROM rows").fetchone()[0]
    except sqlite3.Error:
        return 0


@needs_corpus
def test_run_killed_with_sigkill_then_restarted_equals_clean_run(tmp_path):
    corpus, expected = baseline()
    out = tmp_path / "out"
    earlier = write_corpus(tmp_path / "earlier", abstracts_lines(2))
    run_extract([earlier], out, nlp=pipeline_under_test())
    earlier_tables = read_tables(out)
    command = [sys.executable, "-m", "pipeline.cli", "extract", str(corpus), "--out", str(out),
               "--workers", "1", "--chunk-size", "2", "--pipeline", f"{__name__}:slow_nlp", "--quiet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(ROOT)])}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    cache_db = out / CACHE_DIR_NAME / DATABASE_NAME
    deadline = time.monotonic() + 120
    while _cached_documents(cache_db) < 2 + 6 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()[1].decode()[-2000:]
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Killed mid-run: the previous outputs are intact and whole; the new ones exist only as partials.
    assert list(out.glob(".*.partial"))
    assert_same_tables(read_tables(out), earlier_tables)

    restarted = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["documents"]["ok"] == CORPUS_SIZE
    assert 6 <= manifest["documents"]["cached"] < CORPUS_SIZE  # resumed from what the killed run stored
    assert manifest["documents"]["processed"] == CORPUS_SIZE - manifest["documents"]["cached"]
    assert not list(out.glob(".*.partial"))
    assert_same_tables(read_tables(out), expected)


def test_cache_keeps_payloads_and_recovers_from_a_corrupt_file(tmp_path):
    from pipeline.cache import CacheLocked, RowCache

    cache = RowCache(tmp_path, "fp1")
    cache.commit_chunk([("sha:a", b"rows of a"), ("sha:b", b"rows of b")], ["sha:a", "sha:b"])
    with pytest.raises(CacheLocked):
        RowCache(tmp_path, "fp1")  # one extraction at a time per cache
    cache.close()
    other = RowCache(tmp_path, "fp2")  # another pipeline sees nothing, and prunes the rest
    assert other.get("sha:a") is None
    assert other.prune() == 2
    other.close()
    (tmp_path / DATABASE_NAME).write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp_path / DATABASE_NAME}{suffix}").unlink(missing_ok=True)
    fresh = RowCache(tmp_path, "fp1")
    assert fresh.get("sha:a") is None
    fresh.commit_chunk([("sha:a", b"again")], ["sha:a"])
    assert fresh.get("sha:a") == b"again" and fresh.hits == 1
    fresh.close()
