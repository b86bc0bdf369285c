"""SQLite store of extraction runs and curation decisions.

One database holds the documents, sentences, entities and facts of the runs
loaded into it, the curators' decisions and an append-only audit log.

A decision is keyed by the fact's *content*, not by a row id:
`content_key = sha256(claim_key, document sha256, sentence text, argument offsets)`.
Re-extracting the same or an updated corpus therefore gives unchanged facts the
same key and they keep their decisions; a decision whose fact is no longer
extracted is kept and reported as orphaned.

Every decision write carries the version it read; a stale write raises
`Conflict` with the current state (optimistic concurrency).
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from pipeline.schema import (
    BOOL_COLUMNS, DOCUMENT_COLUMNS, ENTITY_COLUMNS, FACT_COLUMNS, FLOAT_COLUMNS, INT_COLUMNS, PREDICATES,
    SENTENCE_COLUMNS,
)

TEXTS_FILE = "texts.jsonl"

STATUSES = ["pending", "accepted", "rejected", "edited"]
CERTAINTIES = ["asserted", "hedged", "hypothetical"]
STRENGTHS = ["direct_causal", "conditional_causal", "correlational", "none"]
STUDY_TYPES = ["", "clinical_trial", "observational", "animal_model", "in_vitro", "review", "case_report"]

REJECT_REASONS = {
    "wrong_predicate": "Wrong predicate or direction",
    "wrong_argument": "Wrong subject or object",
    "entity_error": "Wrong entity type or concept id",
    "negation_certainty": "Negation or hedging missed",
    "not_a_claim": "Not a claim (background, aim or design)",
    "duplicate": "Duplicate of another fact",
    "other": "Other (see note)",
}

# Fields a curator may change, and how a submitted form value becomes a stored value.
EDITABLE_FIELDS = [
    "predicate", "negated", "certainty", "strength",
    "subject_id", "subject_attribute", "object_id", "object_attribute",
    "species", "study_type", "trial_id", "trial_phase", "sample_size",
    "population", "comparator", "cited_source",
]
CONTEXT_FIELDS = ["species", "study_type", "trial_id", "trial_phase", "sample_size",
                  "population", "comparator", "cited_source"]
FIELD_CHOICES = {
    "predicate": PREDICATES,
    "certainty": CERTAINTIES,
    "strength": STRENGTHS,
    "study_type": STUDY_TYPES,
}

INT_FACT_COLUMNS = {"sentence_id", "sentence_start", "sentence_end", "subject_start", "subject_end",
                    "object_start", "object_end", "sample_size"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_hash TEXT PRIMARY KEY, out_dir TEXT, loaded_at TEXT, manifest TEXT, summary TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT, sha256 TEXT, title TEXT, n_chars INTEGER,
    n_sentences INTEGER, status TEXT, error TEXT, text TEXT, rows_hash TEXT
);
CREATE TABLE IF NOT EXISTS sentences (
    doc_id TEXT, sentence_id INTEGER, "start" INTEGER, "end" INTEGER, text TEXT, strength TEXT,
    PRIMARY KEY (doc_id, sentence_id)
);
CREATE TABLE IF NOT EXISTS entities (
    doc_id TEXT, sentence_id INTEGER, "start" INTEGER, "end" INTEGER, text TEXT, type TEXT,
    concept_id TEXT, concept_name TEXT, score REAL, abbreviation_of TEXT
);
CREATE INDEX IF NOT EXISTS entities_doc ON entities (doc_id, "start");
CREATE TABLE IF NOT EXISTS facts (
    content_key TEXT PRIMARY KEY,
    {fact_columns},
    doc_sha256 TEXT,
    present INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS facts_claim ON facts (claim_key);
CREATE INDEX IF NOT EXISTS facts_doc ON facts (doc_id, sentence_start);
CREATE TABLE IF NOT EXISTS decisions (
    content_key TEXT PRIMARY KEY,
    fact_id TEXT, claim_key TEXT, doc_id TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    reason TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
    edits TEXT NOT NULL DEFAULT '{{}}', comment TEXT NOT NULL DEFAULT '',
    curator TEXT NOT NULL DEFAULT '', decided_at TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL, curator TEXT NOT NULL, action TEXT NOT NULL,
    content_key TEXT, fact_id TEXT, claim_key TEXT,
    before TEXT, after TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
""".format(fact_columns=",\n    ".join(
    f'"{c}" {"INTEGER" if c in INT_FACT_COLUMNS or c == "negated" else "REAL" if c == "confidence" else "TEXT"}'
    for c in FACT_COLUMNS))


class Conflict(Exception):
    """A write carried a version that is no longer current."""

    def __init__(self, current: dict, sent_version: int):
        self.current = current
        self.sent_version = sent_version
        super().__init__(
            f"This fact was changed by {current.get('curator') or 'someone else'} "
            f"(version {current['version']}, you had version {sent_version}). "
            "Your change was not saved; review the current state and try again."
        )


class InvalidDecision(ValueError):
    """A decision request that cannot be applied (bad reason, bad field value)."""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def connect(db_path: str | Path) -> sqlite3.Connection:
    """Open (and create if needed) the store; WAL mode, autocommit, rows as dicts."""
    conn = sqlite3.connect(str(db_path), timeout=10, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT: writers are serialised, a read-then-write is atomic."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def content_key(fact: dict, doc_sha256: str) -> str:
    """Claim key plus evidence key (document hash, sentence text, argument offsets)."""
    parts = [
        fact["claim_key"], doc_sha256 or f"doc:{fact['doc_id']}", fact["sentence"],
        str(fact["subject_start"]), str(fact["subject_end"]),
        str(fact["object_start"]), str(fact["object_end"]),
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


# ---------------------------------------------------------------- loading a run

def _clean(value):
    """Plain Python value for SQLite: NaN/NA → None, numpy scalars → int/float, bool → int."""
    if value is None:
        return None
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool):
        return int(value)
    return value


def _from_csv_cell(column: str, value: str):
    if value == "":
        return None if column in INT_COLUMNS | FLOAT_COLUMNS | BOOL_COLUMNS else ""
    if column in INT_COLUMNS:
        return int(float(value))
    if column in FLOAT_COLUMNS:
        return float(value)
    if column in BOOL_COLUMNS:
        return int(value.strip().lower() in {"true", "1", "yes"})
    return value


def read_table(out_dir: Path, name: str, columns: list[str]) -> list[dict]:
    """Rows of one output table (Parquet preferred, CSV as fallback) as dicts of the schema columns."""
    import pandas as pd

    parquet, csv = out_dir / f"{name}.parquet", out_dir / f"{name}.csv"
    if parquet.exists():
        frame = pd.read_parquet(parquet)
    elif csv.exists():
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    else:
        raise FileNotFoundError(f"{out_dir} has no {name}.parquet or {name}.csv")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} table in {out_dir} lacks columns {missing}")
    convert = (lambda c, v: _from_csv_cell(c, v)) if not parquet.exists() else (lambda c, v: _clean(v))
    return [{c: convert(c, record[c]) for c in columns} for record in frame[columns].to_dict("records")]


def read_texts(out_dir: Path) -> dict[str, str]:
    path = out_dir / TEXTS_FILE
    texts: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                texts[record["doc_id"]] = record.get("text") or ""
    return texts


def _hash_rows(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _normalise_fact(row: dict) -> dict:
    out = dict(row)
    if out.get("negated") is not None:
        out["negated"] = int(bool(out["negated"]))
    for column in INT_FACT_COLUMNS:
        if out.get(column) is not None:
            out[column] = int(out[column])
    if out.get("confidence") is not None:
        out["confidence"] = float(out["confidence"])
    for column in FACT_COLUMNS:
        if out.get(column) is None and column not in INT_FACT_COLUMNS and column not in {"confidence", "negated"}:
            out[column] = ""
    return out


def _insert(conn, table: str, row: dict) -> None:
    columns = list(row)
    conn.execute(
        f'INSERT OR REPLACE INTO {table} ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
        f'VALUES ({", ".join("?" for _ in columns)})',
        [row[c] for c in columns],
    )


def load_run(out_dir: str | Path, db_path: str | Path) -> dict:
    """Create or update the store from an extractor output folder; returns a summary.

    Loading is idempotent: loading the same run twice changes nothing. For every
    document in the run, its sentences and entities are replaced when they
    changed, its facts are upserted by content key, and facts of that document
    that the run no longer has are marked absent (their decisions become orphaned).
    Documents that are not in the run are left as they are.
    """
    out_dir = Path(out_dir)
    documents = read_table(out_dir, "documents", DOCUMENT_COLUMNS)
    sentences = read_table(out_dir, "sentences", SENTENCE_COLUMNS)
    entities = read_table(out_dir, "entities", ENTITY_COLUMNS)
    facts = [_normalise_fact(f) for f in read_table(out_dir, "facts", FACT_COLUMNS)]
    texts = read_texts(out_dir)
    manifest_path = out_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}

    by_doc: dict[str, dict[str, list]] = {d["doc_id"]: {"sentences": [], "entities": [], "facts": []}
                                          for d in documents}
    for table, rows in (("sentences", sentences), ("entities", entities), ("facts", facts)):
        for row in rows:
            by_doc.setdefault(row["doc_id"], {"sentences": [], "entities": [], "facts": []})[table].append(row)
    doc_rows = {d["doc_id"]: d for d in documents}
    run_hash = _hash_rows(documents, sentences, entities, facts, texts)

    summary = {
        "out_dir": str(out_dir), "run_hash": run_hash[:16],
        "documents": {"added": 0, "updated": 0, "unchanged": 0},
        "facts": {"new": 0, "updated": 0, "unchanged": 0, "gone": 0},
        "decisions": {"attached": 0, "orphaned": 0},
    }
    conn = connect(db_path)
    try:
        with transaction(conn):
            for doc_id, parts in by_doc.items():
                doc = doc_rows.get(doc_id) or {c: None for c in DOCUMENT_COLUMNS} | {"doc_id": doc_id}
                doc_sha = doc.get("sha256") or ""
                rows_hash = _hash_rows(parts["sentences"], parts["entities"])
                new_doc = {**doc, "text": texts.get(doc_id), "rows_hash": rows_hash}
                old = conn.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
                if old is None:
                    summary["documents"]["added"] += 1
                elif any(old[k] != v for k, v in new_doc.items() if not (k == "text" and v is None)):
                    summary["documents"]["updated"] += 1
                else:
                    summary["documents"]["unchanged"] += 1
                if old is None or any(old[k] != v for k, v in new_doc.items() if not (k == "text" and v is None)):
                    if new_doc["text"] is None and old is not None and old["sha256"] == doc_sha:
                        new_doc["text"] = old["text"]
                    _insert(conn, "documents", new_doc)
                if old is None or old["rows_hash"] != rows_hash:
                    conn.execute("DELETE FROM sentences WHERE doc_id = ?", (doc_id,))
                    conn.execute("DELETE FROM entities WHERE doc_id = ?", (doc_id,))
                    for row in parts["sentences"]:
                        _insert(conn, "sentences", row)
                    for row in parts["entities"]:
                        _insert(conn, "entities", row)
                _load_doc_facts(conn, doc_id, doc_sha, parts["facts"], summary)
            summary["decisions"] = decision_counts(conn)
            changed = (summary["documents"]["added"] + summary["documents"]["updated"]
                       + summary["facts"]["new"] + summary["facts"]["updated"] + summary["facts"]["gone"])
            summary["changed"] = bool(changed)
            known = conn.execute("SELECT 1 FROM runs WHERE run_hash = ?", (run_hash,)).fetchone()
            if not known:
                conn.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?)",
                             (run_hash, str(out_dir), now(), json.dumps(manifest, sort_keys=True),
                              json.dumps(summary, sort_keys=True)))
    finally:
        conn.close()
    return summary


def _load_doc_facts(conn, doc_id: str, doc_sha: str, facts: list[dict], summary: dict) -> None:
    existing = {r["content_key"]: dict(r) for r in conn.execute("SELECT * FROM facts WHERE doc_id = ?", (doc_id,))}
    seen = set()
    for fact in facts:
        key = content_key(fact, doc_sha)
        if key in seen:
            continue
        seen.add(key)
        row = {"content_key": key, **{c: fact[c] for c in FACT_COLUMNS}, "doc_sha256": doc_sha, "present": 1}
        old = existing.get(key)
        if old is None:
            summary["facts"]["new"] += 1
            _insert(conn, "facts", row)
        elif any(old[k] != v for k, v in row.items()):
            summary["facts"]["updated"] += 1
            _insert(conn, "facts", row)
        else:
            summary["facts"]["unchanged"] += 1
    for key, old in existing.items():
        if key not in seen and old["present"]:
            summary["facts"]["gone"] += 1
            conn.execute("UPDATE facts SET present = 0 WHERE content_key = ?", (key,))


def decision_counts(conn) -> dict:
    row = conn.execute(
        "SELECT SUM(CASE WHEN f.present = 1 THEN 1 ELSE 0 END) AS attached, "
        "SUM(CASE WHEN f.present = 1 THEN 0 ELSE 1 END) AS orphaned "
        "FROM decisions d LEFT JOIN facts f ON f.content_key = d.content_key"
    ).fetchone()
    return {"attached": row["attached"] or 0, "orphaned": row["orphaned"] or 0}


# ---------------------------------------------------------------- reading facts

# Effective value of an editable field: the curator's edit when there is one, else the extracted value.
def _effective_sql(field: str) -> str:
    return f"COALESCE(json_extract(d.edits, '$.{field}'), f.\"{field}\")"


STATUS_SQL = "COALESCE(d.status, 'pending')"
FACT_SELECT = (
    "SELECT f.*, " + STATUS_SQL + " AS status, COALESCE(d.version, 0) AS version, "
    "COALESCE(d.reason, '') AS reason, COALESCE(d.note, '') AS note, COALESCE(d.edits, '{}') AS edits, "
    "COALESCE(d.comment, '') AS comment, COALESCE(d.curator, '') AS curator, "
    "COALESCE(d.decided_at, '') AS decided_at, doc.title AS doc_title, doc.source AS doc_source "
    "FROM facts f LEFT JOIN decisions d ON d.content_key = f.content_key "
    "LEFT JOIN documents doc ON doc.doc_id = f.doc_id"
)

SORTS = {
    "confidence_desc": "f.confidence DESC, f.doc_id, f.sentence_start, f.subject_start, f.content_key",
    "confidence_asc": "f.confidence ASC, f.doc_id, f.sentence_start, f.subject_start, f.content_key",
    "document": "f.doc_id, f.sentence_start, f.subject_start, f.object_start, f.content_key",
}


@dataclass
class FactFilter:
    status: str = "pending"        # one of STATUSES, "all" or "orphaned"
    predicate: str = ""
    entity: str = ""               # concept id or a piece of argument text
    doc_id: str = ""
    certainty: str = ""
    sort: str = "confidence_desc"

    def where(self) -> tuple[str, list]:
        clauses, params = [], []
        if self.status == "orphaned":
            clauses.append("f.present = 0 AND d.content_key IS NOT NULL")
        else:
            clauses.append("f.present = 1")
            if self.status in STATUSES:
                clauses.append(STATUS_SQL + " = ?")
                params.append(self.status)
        if self.predicate:
            clauses.append(_effective_sql("predicate") + " = ?")
            params.append(self.predicate)
        if self.certainty:
            clauses.append(_effective_sql("certainty") + " = ?")
            params.append(self.certainty)
        if self.doc_id:
            clauses.append("f.doc_id = ?")
            params.append(self.doc_id)
        if self.entity:
            needle = f"%{self.entity.lower()}%"
            clauses.append(
                "(" + _effective_sql("subject_id") + " = ? OR " + _effective_sql("object_id") + " = ? "
                "OR lower(f.subject_text) LIKE ? OR lower(f.object_text) LIKE ? "
                "OR lower(f.subject_name) LIKE ? OR lower(f.object_name) LIKE ?)"
            )
            params += [self.entity, self.entity, needle, needle, needle, needle]
        return " AND ".join(clauses), params

    def order(self) -> str:
        return SORTS.get(self.sort, SORTS["confidence_desc"])


def fact_state(row: sqlite3.Row | dict) -> dict:
    """A fact row with its decision, the parsed edits and the effective (curated) values."""
    fact = dict(row)
    fact["edits"] = json.loads(fact.get("edits") or "{}")
    fact["negated"] = bool(fact["negated"]) if fact.get("negated") is not None else None
    fact["effective"] = {c: fact["edits"].get(c, fact[c]) for c in FACT_COLUMNS}
    fact["orphaned"] = not fact.get("present", 1)
    return fact


def list_facts(conn, flt: FactFilter, limit: int | None = None, offset: int = 0) -> list[dict]:
    where, params = flt.where()
    sql = f"{FACT_SELECT} WHERE {where} ORDER BY {flt.order()}"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params = params + [limit, offset]
    return [fact_state(r) for r in conn.execute(sql, params)]


def count_facts(conn, flt: FactFilter) -> int:
    where, params = flt.where()
    return conn.execute(
        f"SELECT COUNT(*) FROM facts f LEFT JOIN decisions d ON d.content_key = f.content_key WHERE {where}",
        params).fetchone()[0]


def queue_keys(conn, flt: FactFilter) -> list[str]:
    where, params = flt.where()
    return [r[0] for r in conn.execute(
        f"SELECT f.content_key FROM facts f LEFT JOIN decisions d ON d.content_key = f.content_key "
        f"WHERE {where} ORDER BY {flt.order()}", params)]


def get_fact(conn, key: str) -> dict | None:
    row = conn.execute(f"{FACT_SELECT} WHERE f.content_key = ?", (key,)).fetchone()
    return fact_state(row) if row else None


def facts_of_document(conn, doc_id: str) -> list[dict]:
    return [fact_state(r) for r in conn.execute(
        f"{FACT_SELECT} WHERE f.doc_id = ? AND f.present = 1 ORDER BY {SORTS['document']}", (doc_id,))]


def facts_of_claim(conn, claim_key: str) -> list[dict]:
    return [fact_state(r) for r in conn.execute(
        f"{FACT_SELECT} WHERE f.claim_key = ? AND (f.present = 1 OR d.content_key IS NOT NULL) "
        f"ORDER BY f.present DESC, {SORTS['document']}", (claim_key,))]


def get_document(conn, doc_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
    return dict(row) if row else None


def list_documents(conn) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT doc.doc_id, doc.title, doc.source, doc.status, doc.n_sentences, "
        "COUNT(f.content_key) AS n_facts, "
        "SUM(CASE WHEN COALESCE(d.status, 'pending') = 'pending' THEN 1 ELSE 0 END) AS n_pending "
        "FROM documents doc LEFT JOIN facts f ON f.doc_id = doc.doc_id AND f.present = 1 "
        "LEFT JOIN decisions d ON d.content_key = f.content_key "
        "GROUP BY doc.doc_id ORDER BY doc.doc_id")]


def sentences_of_document(conn, doc_id: str) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT * FROM sentences WHERE doc_id = ? ORDER BY sentence_id", (doc_id,))]


def paragraph_of(conn, fact: dict, neighbours: int = 2) -> tuple[str, int] | None:
    """(paragraph text, its start offset in the document) around the fact's sentence.

    From the document text when the store has it (the block between blank lines),
    else from the neighbouring sentences of the same document. None when the
    document changed since this fact was extracted.
    """
    doc = get_document(conn, fact["doc_id"])
    if doc is None or (fact.get("doc_sha256") and doc["sha256"] != fact["doc_sha256"]):
        return None
    start, end = fact["sentence_start"], fact["sentence_end"]
    text = doc.get("text")
    if text:
        para_start = text.rfind("\n\n", 0, start)
        para_start = 0 if para_start < 0 else para_start + 2
        para_end = text.find("\n\n", end)
        para_end = len(text) if para_end < 0 else para_end
        return text[para_start:para_end], para_start
    rows = conn.execute(
        'SELECT "start", "end", text FROM sentences WHERE doc_id = ? AND sentence_id BETWEEN ? AND ? '
        "ORDER BY sentence_id",
        (fact["doc_id"], fact["sentence_id"] - neighbours, fact["sentence_id"] + neighbours)).fetchall()
    if not rows:
        return None
    para_start, pieces, cursor = rows[0]["start"], [], rows[0]["start"]
    for row in rows:
        pieces.append(" " * max(0, row["start"] - cursor) + row["text"])
        cursor = row["end"]
    return "".join(pieces), para_start


# ---------------------------------------------------------------- decisions

def _decision_row(conn, key: str) -> dict:
    row = conn.execute("SELECT * FROM decisions WHERE content_key = ?", (key,)).fetchone()
    if row:
        out = dict(row)
        out["edits"] = json.loads(out["edits"] or "{}")
        return out
    return {"content_key": key, "status": "pending", "reason": "", "note": "", "edits": {},
            "comment": "", "curator": "", "decided_at": "", "version": 0}


def current_state(conn, key: str) -> dict:
    """What a client needs after a conflict: the decision as it is now."""
    state = _decision_row(conn, key)
    return {k: state[k] for k in ("status", "reason", "note", "edits", "comment", "curator", "decided_at",
                                  "version")}


def parse_edits(fact: dict, form: dict) -> dict:
    """Changed editable fields (submitted value differs from the extracted one) → new values."""
    edits = {}
    for field in EDITABLE_FIELDS:
        if field not in form:
            continue
        raw = form[field]
        raw = raw.strip() if isinstance(raw, str) else raw
        if field == "negated":
            value = raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "on", "yes"}
            original = bool(fact["negated"])
        elif field == "sample_size":
            if raw in ("", None):
                value = None
            else:
                try:
                    value = int(raw)
                except (TypeError, ValueError):
                    raise InvalidDecision(f"sample_size must be a whole number, not {raw!r}") from None
            original = fact["sample_size"]
        else:
            value = "" if raw is None else str(raw)
            original = fact[field] or ""
            choices = FIELD_CHOICES.get(field)
            if choices is not None and value not in choices:
                raise InvalidDecision(f"{field} must be one of {', '.join(c or '(empty)' for c in choices)}")
        if value != original:
            edits[field] = value
    return edits


ACTIONS = {"accept", "reject", "edit", "comment", "reset"}


def decide(conn, key: str, action: str, version: int, curator: str, form: dict | None = None) -> dict:
    """Apply one curator action to a fact, if `version` is still current; log it in the audit table.

    action: accept | reject (form: reason, note) | edit (form: editable fields) |
    comment (form: comment) | reset (back to pending). Returns the new state.
    Raises Conflict on a stale version, InvalidDecision on a bad request, KeyError for an unknown fact.
    """
    form = form or {}
    if action not in ACTIONS:
        raise InvalidDecision(f"unknown action {action!r}")
    curator = (curator or "").strip()
    if not curator:
        raise InvalidDecision("a curator name is required")
    with transaction(conn):
        fact_row = conn.execute("SELECT * FROM facts WHERE content_key = ?", (key,)).fetchone()
        if fact_row is None:
            raise KeyError(key)
        fact = dict(fact_row)
        before = _decision_row(conn, key)
        if int(version) != before["version"]:
            raise Conflict(current_state(conn, key), int(version))
        after = dict(before)
        if action == "accept":
            after.update(status="accepted", reason="", note="", edits={})
        elif action == "reject":
            reason = (form.get("reason") or "").strip()
            if reason not in REJECT_REASONS:
                raise InvalidDecision("choose a reject reason: " + ", ".join(REJECT_REASONS))
            after.update(status="rejected", reason=reason, note=(form.get("note") or "").strip(), edits={})
        elif action == "edit":
            edits = parse_edits(fact, form)
            after.update(status="edited" if edits else "accepted", reason="", note="", edits=edits)
        elif action == "comment":
            after["comment"] = (form.get("comment") or "").strip()
        elif action == "reset":
            after.update(status="pending", reason="", note="", edits={})
        if action != "comment":
            after.update(curator=curator, decided_at=now())
        after["version"] = before["version"] + 1
        conn.execute(
            "INSERT OR REPLACE INTO decisions (content_key, fact_id, claim_key, doc_id, status, reason, note, "
            "edits, comment, curator, decided_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (key, fact["fact_id"], fact["claim_key"], fact["doc_id"], after["status"], after["reason"],
             after["note"], json.dumps(after["edits"], sort_keys=True), after["comment"], after["curator"],
             after["decided_at"], after["version"]))
        audited = ("status", "reason", "note", "edits", "comment")
        conn.execute(
            "INSERT INTO audit (at, curator, action, content_key, fact_id, claim_key, before, after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (now(), curator, action, key, fact["fact_id"], fact["claim_key"],
             json.dumps({k: before[k] for k in audited}, sort_keys=True),
             json.dumps({k: after[k] for k in audited}, sort_keys=True)))
    return current_state(conn, key)


def audit_entries(conn, key: str | None = None, curator: str | None = None, limit: int = 500) -> list[dict]:
    clauses, params = [], []
    if key:
        clauses.append("content_key = ?")
        params.append(key)
    if curator:
        clauses.append("curator = ?")
        params.append(curator)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    entries = []
    for row in conn.execute(f"SELECT * FROM audit {where} ORDER BY id DESC LIMIT ?", params + [limit]):
        entry = dict(row)
        before, after = json.loads(entry["before"] or "{}"), json.loads(entry["after"] or "{}")
        entry["changes"] = [(field, before.get(field), after.get(field))
                            for field in sorted(set(before) | set(after)) if before.get(field) != after.get(field)]
        entries.append(entry)
    return entries


def meta_value(conn, key: str, default_factory) -> str:
    """A value from the meta table, created once with default_factory()."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    if row:
        return row[0]
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, default_factory()))
    return conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]
