"""Processing chunks of documents: in this process, in worker processes, or on Dask.

A worker gets a chunk of `Document`s and the name of the pipeline factory
("module:function", picklable), builds that pipeline once per process, and sends
back one compact payload of rows per document (see `pipeline.cache.encode_rows`),
never spaCy Docs, together with the same rows already encoded for the table
writers (CSV lines and Arrow tables, see `encode_tables`), so that the process
writing the tables does no per-row work for them. All three runners return results in the order chunks were
submitted, so outputs do not depend on how many workers there are.
"""

from __future__ import annotations

import concurrent.futures
import importlib
import logging
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from pipeline.cache import CACHED_TABLES, encode_rows, pipeline_fingerprint
from pipeline.ingest import Document

log = logging.getLogger("alsfacts")

DEFAULT_PIPELINE = "pipeline.nlp:shared_nlp"

# Documents per call of a pipe, where it is not `nlp.batch_size`. The NER's tok2vec keeps every
# layer's activations of a batch until the batch ends (about 14 KB per token): 64 abstracts held
# about 300 MB at once in each worker; 8 hold about 40 MB, at the same speed and with the same spans.
PIPE_BATCH_SIZES = {"ner": 8}


@dataclass
class DocumentResult:
    doc_id: str
    payload: bytes | None  # encoded rows, or None when the pipeline failed on the document
    error: str = ""
    n_sentences: int = 0
    csv: dict[str, str] = field(default_factory=dict)     # table -> this document's rows as CSV lines
    counts: dict[str, int] = field(default_factory=dict)  # table -> number of rows
    values: dict[str, list[list]] | None = None           # the rows themselves (dropped by `encode_tables`)


@dataclass
class ChunkResult:
    documents: list[DocumentResult]
    fingerprint: str = ""
    pipe_names: list[str] = field(default_factory=list)
    worker: str = ""
    seconds: float = 0.0
    tables: dict = field(default_factory=dict)  # table -> pyarrow Table of the rows of all documents, in order


def encode_tables(results: list[DocumentResult]) -> dict:
    """Turn the results' rows into what the table writers take: CSV text per document and one
    Arrow table per output table for the chunk. Done where the rows were made (in a worker),
    so that the process writing the tables neither decodes payloads nor converts rows."""
    from pipeline.outputs import arrow_table, csv_text

    tables: dict[str, list[list]] = {name: [] for name in CACHED_TABLES}
    for result in results:
        if result.values is None:
            continue
        for name in CACHED_TABLES:
            rows = result.values[name]
            result.csv[name] = csv_text(rows)
            result.counts[name] = len(rows)
            tables[name].extend(rows)
        result.values = None
    return {name: arrow_table(name, rows) for name, rows in tables.items()}


# ---------------------------------------------------------------------------
# the pipeline in a worker

_pipelines: dict[str, object] = {}
_pipelines_lock = threading.Lock()


def resolve_factory(spec: str) -> Callable:
    """The function a "module:function" pipeline spec names."""
    module_name, _, function_name = spec.partition(":")
    if not module_name or not function_name:
        raise ValueError(f"pipeline spec must look like 'module:function', got {spec!r}")
    return getattr(importlib.import_module(module_name), function_name)


def worker_pipeline(spec: str):
    """The pipeline `spec` names, built once per process (thread-safe)."""
    with _pipelines_lock:
        if spec not in _pipelines:
            started = time.perf_counter()
            _pipelines[spec] = resolve_factory(spec)()
            log.debug("pid %d loaded %s in %.1f s", os.getpid(), spec, time.perf_counter() - started)
        return _pipelines[spec]


def one_blas_thread():
    """A context in which BLAS (OpenBLAS under numpy: the NER's matrix products) uses one thread.

    Parallelism here is one process per core; a BLAS that also starts a thread per core makes the
    workers' threads spin against each other. On the 2-core machine of `benchmarks/bench.py`, two
    workers ran its distinct texts in 41 s instead of 46 s, and one process in the same time with
    about 45 s less CPU time. Setting the limit costs about 0.2 ms, so it is set per chunk."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def process_documents(spec: str, documents: list[Document]) -> ChunkResult:
    """Worker entry point: rows of every document of a chunk, built by pipeline `spec`."""
    started = time.perf_counter()
    nlp = worker_pipeline(spec)
    with _pipelines_lock:  # a spaCy pipeline is not made for concurrent use by threads
        results = extract_payloads(nlp, documents)
    tables = encode_tables(results)
    return ChunkResult(results, pipeline_fingerprint(spec), list(nlp.pipe_names),
                       f"{os.uname().nodename}:{os.getpid()}", time.perf_counter() - started, tables)


def extract_payloads(nlp, documents: list[Document]) -> list[DocumentResult]:
    """Run `nlp` over the documents (one `nlp.pipe` call); a failing document fails alone."""
    from pipeline.components import remember_text  # imports spaCy: only where documents are processed

    results: list[DocumentResult] = []
    component_cfg = {name: {"batch_size": size} for name, size in PIPE_BATCH_SIZES.items() if name in nlp.pipe_names}
    with one_blas_thread():
        try:
            made = (remember_text(nlp.make_doc(d.text), d.text) for d in documents)
            for document, doc in zip(documents, nlp.pipe(made, component_cfg=component_cfg)):
                results.append(_rows_result(document, doc))
        except Exception:  # find the document that broke the batch; the others go on
            for document in documents[len(results):]:
                try:
                    doc = nlp(remember_text(nlp.make_doc(document.text), document.text))
                except Exception as exc:
                    results.append(DocumentResult(document.doc_id, None, _pipeline_error(exc)))
                    continue
                results.append(_rows_result(document, doc))
    return results


def _rows_result(document: Document, doc) -> DocumentResult:
    from pipeline.records import doc_rows  # imports spaCy: only where documents are processed

    try:
        payload, values, n_sentences = encode_rows(doc_rows(doc, document), with_values=True)
        return DocumentResult(document.doc_id, payload, n_sentences=n_sentences, values=values)
    except Exception as exc:
        return DocumentResult(document.doc_id, None, _pipeline_error(exc))


def _pipeline_error(exc: Exception) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"pipeline failed: {type(exc).__name__}: {message[:300]}"


# ---------------------------------------------------------------------------
# runners: submit(documents) -> future with .result() -> ChunkResult

class InlineRunner:
    """Processes chunks in this process, with an nlp object or a spec built on first use."""

    description = "inline"

    def __init__(self, spec: str, nlp=None, fingerprint: str = ""):
        self.spec = spec
        self.nlp = nlp
        self.fingerprint = fingerprint
        self.slots = 1
        self.load_seconds = 0.0

    def submit(self, documents: list[Document]) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            if self.nlp is None:
                started = time.perf_counter()
                self.nlp = worker_pipeline(self.spec)
                self.load_seconds = time.perf_counter() - started
            started = time.perf_counter()
            results = extract_payloads(self.nlp, documents)
            tables = encode_tables(results)
            future.set_result(ChunkResult(results, self.fingerprint, list(self.nlp.pipe_names),
                                          "inline", time.perf_counter() - started, tables))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future

    def close(self) -> None:
        pass


def _warm_worker(spec: str) -> None:
    worker_pipeline(spec)
    pipeline_fingerprint(spec)


class ProcessRunner:
    """A pool of `workers` processes (spawned: no forked copies of pyarrow or SQLite state)."""

    def __init__(self, spec: str, workers: int):
        self.description = f"{workers} processes"
        self.slots = workers
        self.pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm_worker, initargs=(spec,))
        self.spec = spec
        self.load_seconds = 0.0

    def submit(self, documents: list[Document]) -> concurrent.futures.Future:
        return self.pool.submit(process_documents, self.spec, documents)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskRunner:
    """Chunks as tasks on a Dask distributed cluster ("local": a LocalCluster of `workers`)."""

    def __init__(self, spec: str, address: str, workers: int):
        from distributed import Client, LocalCluster

        for name in ("distributed", "tornado", "bokeh"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self.spec = spec
        self.cluster = None
        kind = ""
        if address == "local":
            self.cluster = self._local_cluster(LocalCluster, workers)
            self.client = Client(self.cluster)
            kind = "LocalCluster of processes, " if self.cluster.processes else "LocalCluster of threads, "
        else:
            self.client = Client(address)
        nthreads = self.client.nthreads()
        self.slots = max(1, sum(nthreads.values()))
        self.description = f"dask {self.client.scheduler.address} ({kind}{len(nthreads)} workers)"
        self.load_seconds = 0.0

    @staticmethod
    def _local_cluster(LocalCluster, workers: int):
        settings = dict(n_workers=workers, threads_per_worker=1, dashboard_address=None,
                        silence_logs=logging.WARNING)
        try:
            return LocalCluster(processes=True, **settings)
        except Exception as exc:  # e.g. no way to start processes here
            log.warning("Dask LocalCluster with processes failed (%s); using threads", exc)
            return LocalCluster(processes=False, **settings)

    def submit(self, documents: list[Document]):
        return self.client.submit(process_documents, self.spec, documents, pure=False)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_runner(spec: str, workers: int, dask: str | None, nlp=None, fingerprint: str = ""):
    if dask:
        return DaskRunner(spec, dask, workers)
    if nlp is not None or workers <= 1:
        return InlineRunner(spec, nlp, fingerprint)
    return ProcessRunner(spec, workers)
