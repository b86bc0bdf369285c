"""The extraction cache: rows of every processed document, keyed by document and pipeline.

A document's rows depend only on its doc_id, its text and the pipeline, so the
cache key is (pipeline fingerprint, text sha256, doc_id). The fingerprint hashes
the package, spaCy, scispaCy and KB versions, the pipeline description and the
content of every file that shapes the rows (config, components, KB, models,
records). Change any of them and every document is processed again.

The cache is one SQLite database (`<out>/.cache/rows.sqlite`, WAL journal). Rows
are committed chunk by chunk, so a run killed at any point keeps what it finished
and the next run resumes from there. After a completed run, entries that run did
not use (removed or changed documents, older pipelines) are deleted.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import sqlite3
import zlib
from functools import lru_cache
from pathlib import Path

from pipeline.schema import TABLES

log = logging.getLogger("alsfacts")

PACKAGE_DIR = Path(__file__).resolve().parent
CACHE_DIR_NAME = ".cache"
DATABASE_NAME = "rows.sqlite"
LOCK_NAME = "extract.lock"
# What shapes a document's rows (relative to the package folder).
FINGERPRINT_PATHS = ("config.cfg", "nlp.py", "records.py", "schema.py", "components", "kb", "models")
# Tables whose rows are cached; the documents row is rebuilt from the Document.
CACHED_TABLES = ("entities", "facts", "sentences")


class CacheLocked(RuntimeError):
    """Another extraction is writing to the same output folder."""


def document_key(doc_id: str, sha256: str) -> str:
    return f"{sha256}:{doc_id}"


# ---------------------------------------------------------------------------
# pipeline fingerprint

def package_version(name: str) -> str:
    """An installed package's version, read from its metadata (importing spaCy takes 0.5 s)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return getattr(importlib.import_module(name), "__version__", "unknown")


def _versions() -> list[str]:
    from pipeline import __version__

    try:
        from pipeline.kb import kb_version

        kb = kb_version()
    except (ImportError, OSError, KeyError, ValueError):
        kb = "none"
    return [__version__, package_version("spacy"), package_version("scispacy"), kb]


def _files_under(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(
        p for p in path.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")
    )


def _factory_module_file(spec: str) -> Path | None:
    module = spec.partition(":")[0]
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if found is None or not found.origin or not os.path.isfile(found.origin):
        return None
    return Path(found.origin)


@lru_cache(maxsize=16)
def pipeline_fingerprint(spec: str, extra: str = "") -> str:
    """A short hash that changes whenever the rows of any document could change.

    `spec` names the pipeline factory ("module:function"); `extra` is any further
    description (the config of an nlp object handed in directly).
    """
    digest = hashlib.sha256()
    for part in [*_versions(), spec, extra]:
        digest.update(part.encode("utf-8") + b"\0")
    files = [f for name in FINGERPRINT_PATHS for f in _files_under(PACKAGE_DIR / name)]
    factory_file = _factory_module_file(spec)
    if factory_file is not None and factory_file not in files:
        files.append(factory_file)
    for path in files:
        name = path.relative_to(PACKAGE_DIR).as_posix() if path.is_relative_to(PACKAGE_DIR) else path.name
        digest.update(name.encode("utf-8") + b"\0")
        with open(path, "rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()[:24]


def nlp_description(nlp) -> str:
    """What an nlp object handed in directly is, for its fingerprint."""
    try:
        return nlp.config.to_str()
    except Exception:  # a component with settings that do not serialise
        return json.dumps([[name, type(pipe).__qualname__] for name, pipe in nlp.pipeline])


# ---------------------------------------------------------------------------
# payloads: one document's rows, compact and safe to store (JSON, not pickle)

def encode_rows(tables: dict[str, list[dict]], with_values: bool = False):
    """The cached form of a document's rows (from `records.doc_rows`).

    With `with_values`: (payload, rows of the cached tables as value lists, number of sentences).
    """
    body = {name: [[row[column] for column in TABLES[name]] for row in tables[name]] for name in CACHED_TABLES}
    n_sentences = tables["documents"][0]["n_sentences"] if tables.get("documents") else len(tables["sentences"])
    body["n_sentences"] = n_sentences
    payload = zlib.compress(json.dumps(body, separators=(",", ":")).encode("utf-8"), 1)
    if with_values:
        return payload, {name: body[name] for name in CACHED_TABLES}, n_sentences
    return payload


def decode_values(payload: bytes) -> tuple[dict[str, list[list]], int]:
    """(rows of the cached tables as value lists in column order, number of sentences)."""
    body = json.loads(zlib.decompress(payload))
    return {name: body[name] for name in CACHED_TABLES}, body["n_sentences"]


def decode_rows(payload: bytes) -> tuple[dict[str, list[dict]], int]:
    """(rows of the cached tables as dicts, number of sentences) from `encode_rows` output."""
    values, n_sentences = decode_values(payload)
    return {name: [dict(zip(TABLES[name], row)) for row in values[name]] for name in CACHED_TABLES}, n_sentences


# ---------------------------------------------------------------------------
# the store

class RowCache:
    """Rows of processed documents for one pipeline fingerprint, in SQLite."""

    def __init__(self, directory: Path, fingerprint: str):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.fingerprint = fingerprint
        self._lock_file = open(self.directory / LOCK_NAME, "a+")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise CacheLocked(f"another extraction is using {self.directory}") from None
        self.path = self.directory / DATABASE_NAME
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:  # not a database any more: start a new one
            log.warning("cache %s is unreadable (%s): starting a new cache", self.path, exc)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.db = self._open()
        self.hits = 0
        self.stored = 0

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            self._create(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA temp_store=FILE")
        db.execute(
            "CREATE TABLE IF NOT EXISTS rows (fingerprint TEXT NOT NULL, key TEXT NOT NULL, "
            "payload BLOB NOT NULL, PRIMARY KEY (fingerprint, key)) WITHOUT ROWID")
        db.execute(
            "CREATE TABLE IF NOT EXISTS pipelines (fingerprint TEXT PRIMARY KEY, pipe_names TEXT NOT NULL)")
        db.execute("CREATE TEMP TABLE used (key TEXT PRIMARY KEY) WITHOUT ROWID")
        db.execute("SELECT count(*) FROM rows WHERE fingerprint = ''").fetchone()

    def get(self, key: str) -> bytes | None:
        row = self.db.execute("SELECT payload FROM rows WHERE fingerprint = ? AND key = ?",
                              (self.fingerprint, key)).fetchone()
        if row is not None:
            self.hits += 1
        return row[0] if row else None

    def count_present(self, keys: list[str]) -> int:
        """How many of `keys` (distinct) are cached, without reading their payloads."""
        found = 0
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            found += self.db.execute(
                f"SELECT count(*) FROM rows WHERE fingerprint = ? AND key IN ({','.join('?' * len(part))})",
                (self.fingerprint, *part)).fetchone()[0]
        return found

    def commit_chunk(self, stored: list[tuple[str, bytes]], used: list[str]) -> None:
        """Store new payloads and mark the keys a chunk used, in one transaction."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO rows VALUES (?, ?, ?)",
                                [(self.fingerprint, key, payload) for key, payload in stored])
            self.db.executemany("INSERT OR IGNORE INTO temp.used VALUES (?)", [(key,) for key in used])
        self.stored += len(stored)

    def remember_pipeline(self, pipe_names: list[str]) -> None:
        self.db.execute("INSERT OR REPLACE INTO pipelines VALUES (?, ?)",
                        (self.fingerprint, json.dumps(pipe_names)))

    def pipe_names(self) -> list[str] | None:
        row = self.db.execute("SELECT pipe_names FROM pipelines WHERE fingerprint = ?",
                              (self.fingerprint,)).fetchone()
        return json.loads(row[0]) if row else None

    def prune(self) -> int:
        """Delete what the completed run did not use; the number of documents deleted."""
        with self.db:
            self.db.execute("BEGIN")
            removed = self.db.execute(
                "DELETE FROM rows WHERE fingerprint != ? OR key NOT IN (SELECT key FROM temp.used)",
                (self.fingerprint,)).rowcount
            self.db.execute("DELETE FROM pipelines WHERE fingerprint != ?", (self.fingerprint,))
        return removed

    def close(self) -> None:
        self.db.close()
        fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        self._lock_file.close()
