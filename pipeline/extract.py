"""Run the extraction: documents in, four tables and a manifest out.

Documents stream from `ingest.iter_documents` in chunks. For each chunk, documents
already in the cache (same doc_id, same text, same pipeline) take their rows from
it; the others go to a runner (this process, a pool of worker processes, or Dask)
that sends back rows, not Docs. Chunks are written in input order whatever order
they finish in, so outputs do not depend on the number of workers. New rows are
committed to the cache chunk by chunk, which makes a killed run resumable; the
tables are replaced atomically only at the end (see `pipeline.outputs`).

Unchanged reruns: the manifest records a digest of the ordered documents (doc_id,
source, title, sha256, status, error), the pipeline fingerprint and the size, mtime
and inode of every output file. When those still hold, a rerun only reads and
hashes the inputs and checks that every document's rows are in the cache (without
reading them); then it leaves the tables as they are and rewrites only the manifest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from pipeline import __version__
from pipeline.batch import DEFAULT_PIPELINE, ChunkResult, make_runner
from pipeline.cache import (CACHE_DIR_NAME, CACHED_TABLES, RowCache, decode_values,
                            document_key, nlp_description, package_version, pipeline_fingerprint)
from pipeline.evidence import claims_rows_kept, write_claims
from pipeline.ingest import Document, iter_documents
from pipeline.outputs import TEXTS_FILE, TableWriter, TextWriter, file_state, table_files, write_manifest
from pipeline.schema import TABLES

log = logging.getLogger("alsfacts")

CHUNK_DOCUMENTS = 64        # documents per chunk (a unit of work for one worker)
CHUNK_CHARS = 400_000       # a chunk also ends once its texts reach this many characters
MAX_DOCUMENT_CHARS = 1_000_000  # spaCy's default nlp.max_length: longer texts are refused


MANIFEST_FILE = "manifest.json"
OUTPUT_FILES = tuple(f for name in TABLES for f in table_files(name)) + (TEXTS_FILE,)


class PipelineMismatch(RuntimeError):
    """A worker runs a different pipeline (code, config or KB) than this process."""


@dataclass
class RunSummary:
    out_dir: Path
    documents_ok: int = 0
    documents_failed: int = 0
    documents_processed: int = 0  # ok documents run through the pipeline in this run
    documents_cached: int = 0     # ok documents whose rows came from the cache (skipped)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (doc_id, source, error)
    rows: dict[str, int] = field(default_factory=dict)
    words: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    pipeline: list[str] = field(default_factory=list)
    runner: str = ""
    cache: dict = field(default_factory=dict)
    unchanged: bool = False       # nothing changed since the last run: outputs left as they were
    inputs_digest: str = ""       # of the ordered documents (see `InputsDigest`)


@dataclass
class ChunkReport:
    """What one finished chunk contributed; handed to `on_chunk`."""

    documents: list[Document]
    processed: int = 0
    cached: int = 0
    failed: int = 0
    words: int = 0
    chars: int = 0


@dataclass
class _Chunk:
    documents: list[Document]
    cached: dict[str, bytes] = field(default_factory=dict)  # doc_id -> payload
    future: object = None

    def ready(self) -> bool:
        return self.future is None or self.future.done()


class InputsDigest:
    """A hash of the ordered list of documents: what the outputs depend on besides the pipeline."""

    def __init__(self):
        self._hash = hashlib.sha256()
        self.documents = 0

    def add(self, document: Document) -> None:
        fields = [document.doc_id, document.source, document.title, document.sha256, document.status,
                  document.error]
        self._hash.update(json.dumps(fields, ensure_ascii=False).encode("utf-8") + b"\n")
        self.documents += 1

    def hexdigest(self) -> str:
        return f"{self.documents}:{self._hash.hexdigest()}"


def kb_version() -> str:
    try:
        from pipeline.kb import kb_version as version
    except ImportError:
        return "none"
    try:
        return version()
    except (OSError, KeyError, ValueError):
        return "none"


def _chunks(documents: Iterable[Document], size: int, max_chars: int = CHUNK_CHARS) -> Iterator[list[Document]]:
    chunk: list[Document] = []
    chars = 0
    for document in documents:
        chunk.append(document)
        chars += len(document.text)
        if len(chunk) >= size or chars >= max_chars:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def _refuse_too_long(document: Document, limit: int) -> Document:
    if document.status == "ok" and len(document.text) > limit:
        return replace(document, status="error",
                       error=f"text too long for the pipeline: {len(document.text):,} characters "
                             f"(limit {limit:,}); split the document")
    return document


def run_extract(
    paths: Iterable[str | Path] | str | Path,
    out_dir: str | Path,
    nlp=None,
    on_chunk: Callable[[ChunkReport], None] | None = None,
    *,
    workers: int = 1,
    dask: str | None = None,
    force: bool = False,
    cache: bool = True,
    cache_dir: str | Path | None = None,
    pipeline: str | None = None,
    chunk_size: int = CHUNK_DOCUMENTS,
) -> RunSummary:
    """Extract entities and facts from every document under `paths` into `out_dir`.

    `nlp`: a pipeline object to use in this process (then `workers` must be 1 and no Dask).
    Otherwise the pipeline is built by `pipeline` ("module:function", default
    `pipeline.nlp:shared_nlp`) in this process, in `workers` processes, or on the Dask
    cluster `dask` (an address, or "local"). `force` ignores cached rows; `cache=False`
    neither reads nor writes the cache (default folder: `<out_dir>/.cache`).
    """
    started = time.perf_counter()
    paths = [paths] if isinstance(paths, (str, bytes, os.PathLike)) else list(paths)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = pipeline or DEFAULT_PIPELINE
    if nlp is not None and (workers > 1 or dask):
        raise ValueError("an nlp object can only run in this process; for workers or Dask name a "
                         "pipeline factory instead (pipeline='module:function')")
    fingerprint = (pipeline_fingerprint("object", nlp_description(nlp)) if nlp is not None
                   else pipeline_fingerprint(spec))
    max_chars = nlp.max_length if nlp is not None else MAX_DOCUMENT_CHARS
    store = RowCache(Path(cache_dir) if cache_dir else out_dir / CACHE_DIR_NAME, fingerprint) if cache else None
    summary = RunSummary(out_dir=out_dir, pipeline=list(nlp.pipe_names) if nlp is not None else [])
    if store is not None and not force:
        try:
            if _unchanged_since_last_run(paths, out_dir, fingerprint, max_chars, store, summary):
                summary.seconds = {"load": 0.0, "extract": time.perf_counter() - started,
                                   "total": time.perf_counter() - started}
                store.close()
                summary.rows["claims"] = claims_rows_kept(out_dir)  # claims table (issue 9): kept, or written if missing
                write_manifest(out_dir, manifest(summary, paths))
                log.info("unchanged: 0 documents processed, %d cached", summary.documents_cached)
                return summary
        except BaseException:
            store.close()
            raise
    digest = InputsDigest()
    runner = None
    writers: dict[str, TableWriter] = {}
    texts = None
    pending: deque[_Chunk] = deque()

    def finish(chunk: _Chunk) -> None:
        report = _finish_chunk(chunk, fingerprint, store, writers, texts, summary)
        if on_chunk:
            on_chunk(report)

    try:
        writers = {name: TableWriter(out_dir, name) for name in TABLES}
        texts = TextWriter(out_dir)
        for documents in _chunks(iter_documents(paths), chunk_size):
            chunk = _Chunk([_refuse_too_long(d, max_chars) for d in documents])
            to_process = []
            for document in chunk.documents:
                digest.add(document)
                if document.status != "ok":
                    continue
                payload = None
                if store is not None and not force:
                    payload = store.get(document_key(document.doc_id, document.sha256))
                if payload is None:
                    to_process.append(document)
                else:
                    chunk.cached[document.doc_id] = payload
            if to_process:
                if runner is None:
                    runner = make_runner(spec, workers, dask, nlp, fingerprint)
                chunk.future = runner.submit(to_process)
            pending.append(chunk)
            max_pending = 2 * (runner.slots if runner is not None else 1)
            while pending and (pending[0].ready() or len(pending) > max_pending):
                finish(pending.popleft())
        while pending:
            finish(pending.popleft())
        if runner is not None:
            runner.close()  # the workers' memory is free before the tables are finished below
    except BaseException:
        for writer in writers.values():
            writer.abort()
        if texts is not None:
            texts.abort()
        _close(runner, store)
        raise
    for writer in writers.values():
        writer.close()
    texts.close()
    pruned = store.prune() if store is not None else 0
    if not summary.pipeline:
        summary.pipeline = (store.pipe_names() if store is not None else None) or _configured_pipe_names(spec)
    finished = time.perf_counter()
    load_seconds = runner.load_seconds if runner is not None else 0.0
    summary.runner = runner.description if runner is not None else "none (nothing to process)"
    summary.inputs_digest = digest.hexdigest()
    summary.rows = {name: writer.rows for name, writer in writers.items()}
    summary.rows["claims"] = write_claims(out_dir)["rows"]  # claims table (issue 9), from the new facts
    summary.seconds = {"load": load_seconds, "extract": finished - started - load_seconds,
                       "total": finished - started}
    summary.cache = {
        "enabled": store is not None, "path": str(store.path) if store is not None else "",
        "fingerprint": fingerprint, "force": force, "hits": summary.documents_cached,
        "stored": store.stored if store is not None else 0, "pruned": pruned,
    }
    _close(None, store)
    write_manifest(out_dir, manifest(summary, paths))
    return summary


def _close(runner, store) -> None:
    if runner is not None:
        runner.close()
    if store is not None:
        store.close()


def _finish_chunk(chunk: _Chunk, fingerprint: str, store: RowCache | None,
                  writers: dict[str, TableWriter], texts: TextWriter, summary: RunSummary) -> ChunkReport:
    """Write a chunk's rows (in input order), store what was new, count everything.

    Rows of processed documents arrive encoded for the writers (CSV lines and Arrow
    tables made by the worker); only cached documents' payloads are decoded here.
    """
    results = {}
    tables = {}
    if chunk.future is not None:
        result: ChunkResult = chunk.future.result()
        if result.fingerprint != fingerprint:
            raise PipelineMismatch(
                f"worker {result.worker} runs pipeline {result.fingerprint}, this process {fingerprint}: "
                "install the same alsfacts version, config and knowledge base on every worker")
        if result.pipe_names and not summary.pipeline:
            summary.pipeline = result.pipe_names
            if store is not None:
                store.remember_pipeline(result.pipe_names)
        results = {r.doc_id: r for r in result.documents}
        tables = result.tables
    report = ChunkReport(chunk.documents)
    output = _ChunkOutput(writers, tables)
    document_rows: list[dict] = []
    stored: list[tuple[str, bytes]] = []
    used: list[str] = []
    for document in chunk.documents:
        payload = chunk.cached.get(document.doc_id) if document.status == "ok" else None
        processed = None
        if document.status == "ok" and payload is None:
            processed = results[document.doc_id]
            if processed.payload is None:
                document = replace(document, status="error", error=processed.error)
            else:
                stored.append((document_key(document.doc_id, document.sha256), processed.payload))
                report.processed += 1
        elif payload is not None:
            report.cached += 1
        if document.status != "ok":
            report.failed += 1
            summary.failures.append((document.doc_id, document.source, document.error))
            # listed once, by the run's summary (and in manifest.json): not logged as it happens
            log.debug("failed: %s (%s): %s", document.source, document.doc_id, document.error)
            document_rows.append(document.row())
            continue
        used.append(document_key(document.doc_id, document.sha256))
        if processed is not None:
            output.add_encoded(processed)
            n_sentences = processed.n_sentences
        else:
            rows, n_sentences = decode_values(payload)
            output.add_values(rows)
        document_rows.append(document.row(n_sentences))
        texts.write(document.doc_id, document.title, document.text)
        report.words += len(document.text.split())
        report.chars += len(document.text)
    if store is not None:
        store.commit_chunk(stored, used)
    output.close()
    writers["documents"].write(document_rows)
    summary.documents_processed += report.processed
    summary.documents_cached += report.cached
    summary.documents_ok += report.processed + report.cached
    summary.documents_failed += report.failed
    summary.words += report.words
    return report


class _ChunkOutput:
    """Hands a chunk's rows to the table writers in input order, in runs of the same kind:
    decoded cached rows as value lists, processed documents' rows as slices of the worker's
    Arrow tables with their CSV lines."""

    def __init__(self, writers: dict[str, TableWriter], tables: dict):
        self.writers = writers
        self.tables = tables
        self.offsets = {name: 0 for name in CACHED_TABLES}       # rows of `tables` written so far
        self.encoded: dict[str, list[str]] = {name: [] for name in CACHED_TABLES}
        self.encoded_rows = {name: 0 for name in CACHED_TABLES}
        self.values: dict[str, list[list]] = {name: [] for name in CACHED_TABLES}

    def add_values(self, rows: dict[str, list[list]]) -> None:
        self._write_encoded()
        for name in CACHED_TABLES:
            self.values[name].extend(rows[name])

    def add_encoded(self, result) -> None:
        self._write_values()
        for name in CACHED_TABLES:
            self.encoded[name].append(result.csv[name])
            self.encoded_rows[name] += result.counts[name]

    def close(self) -> None:
        self._write_values()
        self._write_encoded()

    def _write_values(self) -> None:
        for name in CACHED_TABLES:
            if self.values[name]:
                self.writers[name].write_values(self.values[name])
                self.values[name] = []

    def _write_encoded(self) -> None:
        for name in CACHED_TABLES:
            count = self.encoded_rows[name]
            if count:
                start = self.offsets[name]
                self.writers[name].write_encoded("".join(self.encoded[name]), self.tables[name].slice(start, count))
                self.offsets[name] = start + count
            self.encoded[name], self.encoded_rows[name] = [], 0


def _unchanged_since_last_run(paths: list, out_dir: Path, fingerprint: str, max_chars: int,
                              store: RowCache, summary: RunSummary) -> bool:
    """True (and `summary` filled in from the last run) when a run would rewrite the same outputs."""
    try:
        previous = json.loads((out_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
        state = previous["outputs"]
        if state["fingerprint"] != fingerprint or not state["inputs_digest"]:
            return False
        if any(file_state(out_dir / name) != state["files"].get(name) for name in OUTPUT_FILES):
            return False
        documents, rows = previous["documents"], previous["rows"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False
    digest = InputsDigest()
    for documents_chunk in _chunks(iter_documents(paths), CHUNK_DOCUMENTS):
        keys = set()
        for document in documents_chunk:
            document = _refuse_too_long(document, max_chars)
            digest.add(document)
            if document.status == "ok":
                keys.add(document_key(document.doc_id, document.sha256))
        if store.count_present(list(keys)) != len(keys):
            return False  # a new or changed document, or one the pipeline failed on last time
    if digest.hexdigest() != state["inputs_digest"]:
        return False  # documents removed, reordered, renamed or moved
    summary.unchanged = True
    summary.inputs_digest = digest.hexdigest()
    summary.documents_ok = summary.documents_cached = documents["ok"]
    summary.documents_failed = documents["failed"]
    summary.failures = [(f["doc_id"], f["source"], f["error"]) for f in previous.get("failures", [])]
    summary.rows = {name: rows[name] for name in TABLES if name in rows}
    summary.words = previous["words"]
    summary.pipeline = summary.pipeline or list(previous.get("pipeline", []))
    summary.runner = "none (unchanged: outputs kept)"
    summary.cache = {"enabled": True, "path": str(store.path), "fingerprint": fingerprint, "force": False,
                     "hits": summary.documents_cached, "stored": 0, "pruned": 0}
    return True


def _configured_pipe_names(spec: str) -> list[str]:
    if spec != DEFAULT_PIPELINE:
        return []
    import spacy

    from pipeline.nlp import CONFIG_PATH

    return list(spacy.util.load_config(CONFIG_PATH)["nlp"]["pipeline"])


def manifest(summary: RunSummary, paths) -> dict:
    return {
        "alsfacts_version": __version__,
        "spacy_version": package_version("spacy"),
        "scispacy_version": package_version("scispacy"),
        "kb_version": kb_version(),
        "pipeline": list(summary.pipeline),
        "inputs": [str(p) for p in paths],
        "documents": {"ok": summary.documents_ok, "failed": summary.documents_failed,
                      "processed": summary.documents_processed, "cached": summary.documents_cached},
        "failures": [{"doc_id": d, "source": s, "error": e} for d, s, e in summary.failures],
        "rows": summary.rows,
        "words": summary.words,
        "runner": summary.runner,
        "cache": summary.cache,
        "seconds": {k: round(v, 3) for k, v in summary.seconds.items()},
        "unchanged": summary.unchanged,
        # what an unchanged rerun checks (see `_unchanged_since_last_run`)
        "outputs": {"inputs_digest": summary.inputs_digest if summary.cache.get("enabled") else "",
                    "fingerprint": summary.cache.get("fingerprint", ""),
                    "files": {name: file_state(summary.out_dir / name) for name in OUTPUT_FILES}},
    }
