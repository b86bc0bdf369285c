"""Run the extraction: documents in, four tables and a manifest out."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import scispacy
import spacy

from pipeline import __version__
from pipeline.ingest import Document, iter_documents
from pipeline.outputs import TableWriter, TextWriter, write_manifest
from pipeline.records import doc_rows, document_row
from pipeline.schema import TABLES

log = logging.getLogger("alsfacts")

CHUNK_DOCUMENTS = 64


@dataclass
class RunSummary:
    out_dir: Path
    documents_ok: int = 0
    documents_failed: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (doc_id, source, error)
    rows: dict[str, int] = field(default_factory=dict)
    words: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def kb_version() -> str:
    try:
        from pipeline.kb import kb_version as version
    except ImportError:
        return "none"
    return version()


def _chunks(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    chunk: list[Document] = []
    for document in documents:
        chunk.append(document)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def process_chunk(nlp, documents: list[Document]) -> dict[str, list[dict]]:
    """Rows of all four tables for a chunk of documents, in input order."""
    tables: dict[str, list[dict]] = {name: [] for name in TABLES}
    ok = [d for d in documents if d.status == "ok"]
    processed = dict(zip((d.doc_id for d in ok), nlp.pipe(d.text for d in ok)))
    for document in documents:
        if document.status != "ok":
            tables["documents"].append(document_row(document))
            continue
        for name, rows in doc_rows(processed[document.doc_id], document).items():
            tables[name].extend(rows)
    return tables


def run_extract(paths: Iterable[str | Path], out_dir: str | Path, nlp=None, on_chunk=None) -> RunSummary:
    """Extract entities and facts from every document under `paths` into `out_dir`."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if nlp is None:
        from pipeline.nlp import shared_nlp

        nlp = shared_nlp()
    loaded = time.perf_counter()
    summary = RunSummary(out_dir=out_dir)
    writers = {name: TableWriter(out_dir, name) for name in TABLES}
    texts = TextWriter(out_dir)
    try:
        for chunk in _chunks(iter_documents(paths), CHUNK_DOCUMENTS):
            tables = process_chunk(nlp, chunk)
            for name, rows in tables.items():
                writers[name].write(rows)
            for document in chunk:
                if document.status == "ok":
                    summary.documents_ok += 1
                    summary.words += len(document.text.split())
                    texts.write(document.doc_id, document.title, document.text)
                else:
                    summary.documents_failed += 1
                    summary.failures.append((document.doc_id, document.source, document.error))
                    log.warning("%s: %s", document.source, document.error)
            if on_chunk:
                on_chunk(chunk)
    except BaseException:
        for writer in writers.values():
            writer.abort()
        texts.abort()
        raise
    for writer in writers.values():
        writer.close()
    texts.close()
    finished = time.perf_counter()
    summary.rows = {name: writer.rows for name, writer in writers.items()}
    summary.seconds = {"load": loaded - started, "extract": finished - loaded, "total": finished - started}
    write_manifest(out_dir, manifest(summary, nlp, paths))
    return summary


def manifest(summary: RunSummary, nlp, paths) -> dict:
    return {
        "alsfacts_version": __version__,
        "spacy_version": spacy.__version__,
        "scispacy_version": scispacy.__version__,
        "kb_version": kb_version(),
        "pipeline": list(nlp.pipe_names),
        "inputs": [str(p) for p in paths],
        "documents": {"ok": summary.documents_ok, "failed": summary.documents_failed},
        "failures": [{"doc_id": d, "source": s, "error": e} for d, s, e in summary.failures],
        "rows": summary.rows,
        "words": summary.words,
        "seconds": {k: round(v, 3) for k, v in summary.seconds.items()},
    }
