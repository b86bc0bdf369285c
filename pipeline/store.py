"""SQLite store of extraction runs and curation decisions.

One database holds the documents, sentences, entities and facts of the runs
loaded into it, the curators' decisions and an append-only, hash-chained audit log.

A decision is keyed by what the curator judged, not by a row id or the whole
document: `content_key = sha256(doc id, sentence text, both arguments' text and
offsets within the sentence, claim key)`. Re-extracting a corpus after unrelated
edits therefore gives every untouched fact the same key and it keeps its decision.
A decided fact whose sentence changed but whose arguments and claim did not is
re-attached to the new sentence (and reported); any other decided fact the run no
longer produces is kept and reported as orphaned. Documents missing from a run are
marked gone: their facts leave the queue and their decisions wait for their return.

Every decision write carries the version it read; a stale write raises
`Conflict` with the current state (optimistic concurrency). Every audit row
carries the hash of the previous one (`verify_audit` finds gaps and edits).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from pipeline.schema import (
    BOOL_COLUMNS, DOCUMENT_COLUMNS, ENTITY_COLUMNS, ENTITY_TYPES, FACT_COLUMNS, FLOAT_COLUMNS, INT_COLUMNS,
    PREDICATES, SENTENCE_COLUMNS,
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

SCHEMA_VERSION = 2
LOADER = "alsfacts load"        # the "curator" of audit rows the loader writes (re-attachments, migration)

# Bounds on what a curator may write (the review app refuses more with a message).
MAX_TEXT = 10_000               # a comment or a reject note
MAX_FIELD = 500                 # one edited field

# Fields a curator may change, and how a submitted form value becomes a stored value.
EDITABLE_FIELDS = [
    "predicate", "negated", "certainty", "strength",
    "subject_id", "subject_type", "subject_attribute", "object_id", "object_type", "object_attribute",
    "species", "study_type", "trial_id", "trial_phase", "sample_size",
    "population", "comparator", "cited_source",
]
# Fields an edit derives from the curator's: an argument's name and type from its new id, the claim key.
DERIVED_FIELDS = ["subject_name", "object_name", "claim_key"]
CONTEXT_FIELDS = ["species", "study_type", "trial_id", "trial_phase", "sample_size",
                  "population", "comparator", "cited_source"]
FIELD_CHOICES = {
    "predicate": PREDICATES,
    "certainty": CERTAINTIES,
    "strength": STRENGTHS,
    "study_type": STUDY_TYPES,
    "subject_type": ENTITY_TYPES,
    "object_type": ENTITY_TYPES,
}
# Free-text fields with a fixed shape (FACTS_SPEC: species is an NCBITaxon id, attributes are one short word).
FIELD_PATTERNS = {
    "species": (r"(NCBITaxon:[0-9]+)?", "an NCBITaxon id such as NCBITaxon:10090, or empty"),
    "subject_attribute": (r"([a-z][a-z0-9_ -]{0,39})?", "a short lower-case word such as level or rate"),
    "object_attribute": (r"([a-z][a-z0-9_ -]{0,39})?", "a short lower-case word such as level or rate"),
}
MAX_SAMPLE_SIZE = 100_000_000

INT_FACT_COLUMNS = {"sentence_id", "sentence_start", "sentence_end", "subject_start", "subject_end",
                    "object_start", "object_end", "sample_size"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_hash TEXT PRIMARY KEY, out_dir TEXT, loaded_at TEXT, manifest TEXT, summary TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT, sha256 TEXT, title TEXT, n_chars INTEGER,
    n_sentences INTEGER, status TEXT, error TEXT, text TEXT, rows_hash TEXT,
    present INTEGER NOT NULL DEFAULT 1
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
    before TEXT, after TEXT, prev_hash TEXT, row_hash TEXT
);
""".format(fact_columns=",\n    ".join(
    f'"{c}" {"INTEGER" if c in INT_FACT_COLUMNS or c == "negated" else "REAL" if c == "confidence" else "TEXT"}'
    for c in FACT_COLUMNS))


AUDIT_TRIGGERS = {
    name: f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON audit "
          "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
    for name, event in (("audit_no_update", "UPDATE"), ("audit_no_delete", "DELETE"))
}
SCHEMA += ";\n".join(AUDIT_TRIGGERS.values()) + ";\n"


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
    """Open (and create or migrate if needed) the store; WAL mode, autocommit, rows as dicts."""
    conn = sqlite3.connect(str(db_path), timeout=10, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    if _schema_version(conn) != SCHEMA_VERSION:
        migrate(conn)
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


def content_key(fact: dict) -> str:
    """What a curator judged: document, sentence text, both arguments (text, offsets in the sentence), claim key."""
    base = fact["sentence_start"]
    parts = [
        fact["doc_id"], fact["sentence"],
        fact["subject_text"], str(fact["subject_start"] - base), str(fact["subject_end"] - base),
        fact["object_text"], str(fact["object_start"] - base), str(fact["object_end"] - base),
        fact["claim_key"],
    ]
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:32]


def reattach_anchor(fact: dict) -> tuple:
    """What must stay the same for a decision to follow its fact into a changed sentence."""
    return (fact["doc_id"], fact["claim_key"], fact["subject_text"], fact["object_text"], bool(fact["negated"]))


# ---------------------------------------------------------------- the audit chain

AUDIT_FIELDS = ("at", "curator", "action", "content_key", "fact_id", "claim_key", "before", "after")


def _audit_hash(row: dict, prev_hash: str) -> str:
    payload = json.dumps([prev_hash] + [row[f] for f in AUDIT_FIELDS], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append_audit(conn, curator: str, action: str, key: str | None, fact_id: str | None, claim_key: str | None,
                 before: dict, after: dict) -> None:
    """One audit row chained to the previous one (call inside a transaction)."""
    last = conn.execute("SELECT row_hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev_hash = (last[0] or "") if last else ""
    row = {"at": now(), "curator": curator, "action": action, "content_key": key, "fact_id": fact_id,
           "claim_key": claim_key, "before": json.dumps(before, sort_keys=True),
           "after": json.dumps(after, sort_keys=True)}
    row_hash = _audit_hash(row, prev_hash)
    conn.execute(
        "INSERT INTO audit (at, curator, action, content_key, fact_id, claim_key, before, after, prev_hash, row_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [row[f] for f in AUDIT_FIELDS] + [prev_hash, row_hash])
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('audit_head', ?)",
                 (json.dumps({"rows": _audit_rows(conn), "hash": row_hash}),))


def _audit_rows(conn) -> int:
    return conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0]


def verify_audit(conn) -> list[str]:
    """Problems in the audit chain: missing rows (gaps, a cut tail), edited rows, dropped triggers. [] = intact."""
    problems, prev_hash, prev_id = [], "", 0
    for row in conn.execute("SELECT * FROM audit ORDER BY id"):
        row = dict(row)
        if row["id"] != prev_id + 1:
            missing = f"{prev_id + 1}" if row["id"] == prev_id + 2 else f"{prev_id + 1}–{row['id'] - 1}"
            problems.append(f"rows {missing} are missing (deleted) before row {row['id']}")
        if (row["prev_hash"] or "") != prev_hash:
            problems.append(f"row {row['id']} does not follow the row before it (a row was deleted or edited)")
        if row["row_hash"] != _audit_hash(row, row["prev_hash"] or ""):
            problems.append(f"row {row['id']} was edited after it was written "
                            f"({row['at']}, {row['curator']}, {row['action']})")
        prev_hash, prev_id = row["row_hash"] or "", row["id"]
    sequence = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit'").fetchone()
    if sequence and sequence[0] > prev_id:
        problems.append(f"rows {prev_id + 1}–{sequence[0]} at the end of the log are missing (deleted)")
    head = conn.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone()
    if head:
        head = json.loads(head[0])
        if head["hash"] != prev_hash or head["rows"] != prev_id:
            problems.append(f"the log should end with row {head['rows']} (hash {head['hash'][:12]}…); "
                            f"it ends with row {prev_id}")
    elif prev_id:
        problems.append("the log's recorded end is missing")
    return problems


# ---------------------------------------------------------------- migration

def _schema_version(conn) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _columns(conn, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def migrate(conn) -> dict:
    """Bring a store of an older layout to SCHEMA_VERSION without losing a decision; returns what changed.

    Version 1 (before decision identity): decisions keyed with the whole document's hash,
    no document presence, an audit log without a hash chain. Facts and decisions are
    re-keyed, the audit rows are re-pointed to the new keys and chained, and one audit
    row records the migration.
    """
    report = {"from": 0, "to": SCHEMA_VERSION, "facts": 0, "decisions": 0, "merged": []}
    with transaction(conn):
        version = _schema_version(conn)
        if version == SCHEMA_VERSION:
            return report
        report["from"] = version
        if "present" not in _columns(conn, "documents"):
            conn.execute("ALTER TABLE documents ADD COLUMN present INTEGER NOT NULL DEFAULT 1")
        for column in ("prev_hash", "row_hash"):
            if column not in _columns(conn, "audit"):
                conn.execute(f"ALTER TABLE audit ADD COLUMN {column} TEXT")
        has_rows = conn.execute("SELECT EXISTS (SELECT 1 FROM facts) OR EXISTS (SELECT 1 FROM audit)").fetchone()[0]
        if has_rows:
            _rekey(conn, report)
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    return report


def _rekey(conn, report: dict) -> None:
    facts = [dict(r) for r in conn.execute("SELECT * FROM facts ORDER BY present DESC, content_key")]
    new_key, kept = {}, {}
    for fact in facts:
        key = content_key(fact)
        new_key[fact["content_key"]] = key
        kept.setdefault(key, fact | {"content_key": key})  # a present fact wins over an older orphaned one
    decisions = [dict(r) for r in conn.execute("SELECT * FROM decisions")]
    rekeyed: dict[str, dict] = {}
    for decision in sorted(decisions, key=lambda d: (d["decided_at"], d["version"])):
        key = new_key.get(decision["content_key"], decision["content_key"])
        if key in rekeyed:  # two versions of one fact were both decided: the later decision stands
            report["merged"].append({"kept": decision["content_key"], "over": rekeyed[key]["old_key"]})
        rekeyed[key] = decision | {"content_key": key, "old_key": decision["content_key"]}
    conn.execute("DELETE FROM facts")
    for row in kept.values():
        _insert(conn, "facts", row)
    conn.execute("DELETE FROM decisions")
    for row in rekeyed.values():
        row.pop("old_key")
        _insert(conn, "decisions", row)
    report["facts"], report["decisions"] = len(kept), len(rekeyed)
    # the audit rows follow their facts to the new keys and are chained, once, here
    for name in AUDIT_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    prev_hash = ""
    for row in [dict(r) for r in conn.execute("SELECT * FROM audit ORDER BY id")]:
        row["content_key"] = new_key.get(row["content_key"], row["content_key"])
        row_hash = _audit_hash(row, prev_hash)
        conn.execute("UPDATE audit SET content_key = ?, prev_hash = ?, row_hash = ? WHERE id = ?",
                     (row["content_key"], prev_hash, row_hash, row["id"]))
        prev_hash = row_hash
    for statement in AUDIT_TRIGGERS.values():
        conn.execute(statement)
    append_audit(conn, LOADER, "migrate", None, None, None, {"schema": report["from"]},
                 {"schema": SCHEMA_VERSION, "facts": report["facts"], "decisions": report["decisions"],
                  "merged": len(report["merged"])})


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
    that the run no longer has are marked absent; a decision on one of them moves
    to the new fact when only its sentence changed (`reattached`), else it is
    orphaned. Documents not in the run are marked gone, with their facts.
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
        "documents": {"added": 0, "updated": 0, "unchanged": 0, "gone": 0, "returned": 0},
        "facts": {"new": 0, "updated": 0, "unchanged": 0, "gone": 0},
        "decisions": {"attached": 0, "orphaned": 0, "in_gone_documents": 0},
        "reattached": [], "orphaned_decisions": [],
    }
    conn = connect(db_path)
    try:
        with transaction(conn):
            for doc_id, parts in by_doc.items():
                doc = doc_rows.get(doc_id) or {c: None for c in DOCUMENT_COLUMNS} | {"doc_id": doc_id}
                doc_sha = doc.get("sha256") or ""
                rows_hash = _hash_rows(parts["sentences"], parts["entities"])
                new_doc = {**doc, "text": texts.get(doc_id), "rows_hash": rows_hash, "present": 1}
                old = conn.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
                if old is None:
                    summary["documents"]["added"] += 1
                elif not old["present"]:
                    summary["documents"]["returned"] += 1
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
            _mark_gone_documents(conn, set(by_doc), summary)
            summary["decisions"] = decision_counts(conn)
            changed = (summary["documents"]["added"] + summary["documents"]["updated"]
                       + summary["documents"]["gone"] + summary["documents"]["returned"]
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
    seen: dict[str, dict] = {}
    for fact in facts:
        key = content_key(fact)
        if key in seen:
            continue
        row = {"content_key": key, **{c: fact[c] for c in FACT_COLUMNS}, "doc_sha256": doc_sha, "present": 1}
        seen[key] = row
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
    new_facts = {key: row for key, row in seen.items() if key not in existing}
    _reattach(conn, doc_id, new_facts, {row["sentence"] for row in seen.values()}, summary)


def _reattach(conn, doc_id: str, new_facts: dict[str, dict], sentences: set[str], summary: dict) -> None:
    """Move each orphaned decision of this document whose sentence changed to the one new fact that keeps
    its arguments and claim; the others stay orphaned and are listed."""
    orphans: dict[tuple, list[dict]] = {}
    for row in conn.execute("SELECT f.* FROM facts f JOIN decisions d ON d.content_key = f.content_key "
                            "WHERE f.doc_id = ? AND f.present = 0", (doc_id,)):
        orphans.setdefault(reattach_anchor(dict(row)), []).append(dict(row))
    if not orphans:
        return
    candidates: dict[tuple, list[dict]] = {}
    for fact in new_facts.values():
        candidates.setdefault(reattach_anchor(fact), []).append(fact)
    for anchor, olds in orphans.items():
        news = candidates.get(anchor, [])
        if len(olds) == 1 and len(news) == 1 and olds[0]["sentence"] not in sentences:
            old, new = olds[0], news[0]
            conn.execute("UPDATE decisions SET content_key = ?, fact_id = ?, claim_key = ? WHERE content_key = ?",
                         (new["content_key"], new["fact_id"], new["claim_key"], old["content_key"]))
            append_audit(conn, LOADER, "reattach", new["content_key"], new["fact_id"], new["claim_key"],
                         {"content_key": old["content_key"], "sentence": old["sentence"]},
                         {"content_key": new["content_key"], "sentence": new["sentence"]})
            summary["reattached"].append({"from": old["content_key"], "to": new["content_key"], "doc_id": doc_id,
                                          "old_sentence": old["sentence"], "new_sentence": new["sentence"]})
        else:
            summary["orphaned_decisions"] += [{"content_key": o["content_key"], "doc_id": doc_id, "sentence": o["sentence"]}
                                        for o in olds]


def _mark_gone_documents(conn, loaded: set[str], summary: dict) -> None:
    """Documents of earlier runs that this run lacks: gone, with their facts (decisions are kept)."""
    for row in conn.execute("SELECT doc_id FROM documents WHERE present = 1").fetchall():
        if row[0] in loaded:
            continue
        summary["documents"]["gone"] += 1
        summary["facts"]["gone"] += conn.execute(
            "UPDATE facts SET present = 0 WHERE doc_id = ? AND present = 1", (row[0],)).rowcount
        conn.execute("UPDATE documents SET present = 0 WHERE doc_id = ?", (row[0],))


def decision_counts(conn) -> dict:
    """Decisions on facts of the latest run (attached), on facts it lacks (orphaned), in documents it lacks."""
    row = conn.execute(
        "SELECT SUM(CASE WHEN f.present = 1 THEN 1 ELSE 0 END) AS attached, "
        "SUM(CASE WHEN f.present = 1 OR doc.present = 0 THEN 0 ELSE 1 END) AS orphaned, "
        "SUM(CASE WHEN f.present = 0 AND doc.present = 0 THEN 1 ELSE 0 END) AS in_gone_documents "
        "FROM decisions d LEFT JOIN facts f ON f.content_key = d.content_key "
        "LEFT JOIN documents doc ON doc.doc_id = f.doc_id"
    ).fetchone()
    return {"attached": row["attached"] or 0, "orphaned": row["orphaned"] or 0,
            "in_gone_documents": row["in_gone_documents"] or 0}


# ---------------------------------------------------------------- reading facts

# Effective value of an editable field: the curator's edit when there is one, else the extracted value.
def _effective_sql(field: str) -> str:
    return f"COALESCE(json_extract(d.edits, '$.{field}'), f.\"{field}\")"


STATUS_SQL = "COALESCE(d.status, 'pending')"
FACT_FROM = ("FROM facts f LEFT JOIN decisions d ON d.content_key = f.content_key "
             "LEFT JOIN documents doc ON doc.doc_id = f.doc_id")
FACT_SELECT = (
    "SELECT f.*, " + STATUS_SQL + " AS status, COALESCE(d.version, 0) AS version, "
    "COALESCE(d.reason, '') AS reason, COALESCE(d.note, '') AS note, COALESCE(d.edits, '{}') AS edits, "
    "COALESCE(d.comment, '') AS comment, COALESCE(d.curator, '') AS curator, "
    "COALESCE(d.decided_at, '') AS decided_at, doc.title AS doc_title, doc.source AS doc_source, "
    "COALESCE(doc.present, 1) AS doc_present " + FACT_FROM
)

SORTS = {
    "confidence_desc": "f.confidence DESC, f.doc_id, f.sentence_start, f.subject_start, f.content_key",
    "confidence_asc": "f.confidence ASC, f.doc_id, f.sentence_start, f.subject_start, f.content_key",
    "document": "f.doc_id, f.sentence_start, f.subject_start, f.object_start, f.content_key",
}
# What the queue can show besides the statuses: decisions whose fact the latest run lacks, or whose document.
QUEUE_STATUSES = STATUSES + ["all", "orphaned", "gone"]
MAX_QUERY = 200                  # a search text or an entity filter
# Agreement across documents (pipeline/review/agreement.py) is worked out in Python over every fact;
# `set_fact_agreement` puts it in a per-connection table that the agreement filter and sorts read.
AGREEMENTS = ["supported", "contradicted"]
AGREEMENT_SORTS = {
    "contradicted_first": "contradicted first",
    "most_agreeing": "most agreeing documents first",
}
_AGREEMENT_ORDER = {
    "contradicted_first": "(SELECT a.n_contradict FROM temp.fact_agreement a WHERE a.content_key = f.content_key) DESC",
    "most_agreeing": "(SELECT a.n_agree FROM temp.fact_agreement a WHERE a.content_key = f.content_key) DESC",
}
SEARCH_COLUMNS = ("f.sentence", "f.subject_text", "f.object_text", _effective_sql("subject_name"),
                  _effective_sql("object_name"), _effective_sql("subject_id"), _effective_sql("object_id"))


@dataclass
class FactFilter:
    """The queue's filters. Each field adds one clause in `where`; a new filter is a field and a clause."""

    status: str = "pending"        # one of QUEUE_STATUSES
    predicate: str = ""
    entity: str = ""               # concept id or a piece of argument text
    doc_id: str = ""
    certainty: str = ""
    search: str = ""               # words that must all occur in the sentence or the arguments' text, name or id
    sort: str = "confidence_desc"
    agreement: str = ""            # supported or contradicted across documents (needs set_fact_agreement)
    agreement_sort: str = ""       # one of AGREEMENT_SORTS, before `sort` (needs set_fact_agreement)

    @property
    def needs_agreement(self) -> bool:
        return bool(self.agreement or self.agreement_sort)

    def status_clause(self, status: str) -> tuple[list[str], list]:
        if status == "orphaned":
            return ["f.present = 0 AND d.content_key IS NOT NULL AND COALESCE(doc.present, 1) = 1"], []
        if status == "gone":
            return ["f.present = 0 AND d.content_key IS NOT NULL AND doc.present = 0"], []
        if status in STATUSES:
            return ["f.present = 1", STATUS_SQL + " = ?"], [status]
        return ["f.present = 1"], []

    def where(self, with_status: bool = True) -> tuple[str, list]:
        clauses, params = self.status_clause(self.status if with_status else "all")
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
        for word in self.search.lower().split():
            clauses.append("(" + " OR ".join(f"instr(lower({column}), ?) > 0" for column in SEARCH_COLUMNS) + ")")
            params += [word] * len(SEARCH_COLUMNS)
        if self.agreement:
            clauses.append("f.content_key IN (SELECT content_key FROM temp.fact_agreement WHERE agreement = ?)")
            params.append(self.agreement)
        return " AND ".join(clauses), params

    def order(self) -> str:
        order = SORTS.get(self.sort, SORTS["confidence_desc"])
        if self.agreement_sort in _AGREEMENT_ORDER:
            order = _AGREEMENT_ORDER[self.agreement_sort] + ", " + order
        return order


def state_signature(conn) -> tuple:
    """A value that changes whenever facts, documents or decisions change (a run loaded, a decision,
    a reattachment, a migration), for caches of what is worked out over all facts. Cheap: counts and
    sums of row ids (a replaced row gets a new row id; every decision also appends an audit row)."""
    row = conn.execute(
        "SELECT (SELECT COUNT(*) || ':' || IFNULL(MAX(id), 0) FROM audit), "
        "(SELECT COUNT(*) FROM runs), "
        "(SELECT COUNT(*) || ':' || TOTAL(present) || ':' || TOTAL(rowid * present) || ':' || IFNULL(MAX(rowid), 0) "
        " FROM facts), "
        "(SELECT COUNT(*) || ':' || TOTAL(rowid) || ':' || TOTAL(present) FROM documents), "
        "(SELECT COUNT(*) || ':' || TOTAL(rowid) || ':' || TOTAL(version) || ':' || IFNULL(MAX(rowid), 0) "
        " FROM decisions)").fetchone()
    return tuple(row)


def set_fact_agreement(conn, rows) -> None:
    """Fill this connection's agreement table: rows of (content_key, agreement, n_agree, n_contradict),
    the numbers counting documents."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS fact_agreement (content_key TEXT PRIMARY KEY, "
                 "agreement TEXT NOT NULL, n_agree INTEGER NOT NULL, n_contradict INTEGER NOT NULL)")
    conn.execute("DELETE FROM temp.fact_agreement")
    conn.executemany("INSERT OR REPLACE INTO temp.fact_agreement VALUES (?, ?, ?, ?)", rows)


def fact_state(row: sqlite3.Row | dict) -> dict:
    """A fact row with its decision, the parsed edits and the effective (curated) values."""
    fact = dict(row)
    fact["edits"] = json.loads(fact.get("edits") or "{}")
    fact["negated"] = bool(fact["negated"]) if fact.get("negated") is not None else None
    fact["effective"] = {c: fact["edits"].get(c, fact[c]) for c in FACT_COLUMNS}
    fact["orphaned"] = not fact.get("present", 1)
    fact["doc_gone"] = not fact.get("doc_present", 1)
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
    return conn.execute(f"SELECT COUNT(*) {FACT_FROM} WHERE {where}", params).fetchone()[0]


def status_counts(conn, flt: FactFilter | None = None) -> dict[str, int]:
    """Facts per status (pending, accepted, rejected, edited) under a filter's other fields; None: everything."""
    where, params = flt.where(with_status=False) if flt else ("f.present = 1", [])
    counts = dict.fromkeys(STATUSES, 0)
    for status, n in conn.execute(f"SELECT {STATUS_SQL}, COUNT(*) {FACT_FROM} WHERE {where} GROUP BY 1", params):
        counts[status] = n
    return counts


def queue_keys(conn, flt: FactFilter) -> list[str]:
    where, params = flt.where()
    return [r[0] for r in conn.execute(f"SELECT f.content_key {FACT_FROM} WHERE {where} ORDER BY {flt.order()}",
                                       params)]


def get_fact(conn, key: str) -> dict | None:
    row = conn.execute(f"{FACT_SELECT} WHERE f.content_key = ?", (key,)).fetchone()
    return fact_state(row) if row else None


def facts_of_document(conn, doc_id: str) -> list[dict]:
    return [fact_state(r) for r in conn.execute(
        f"{FACT_SELECT} WHERE f.doc_id = ? AND f.present = 1 ORDER BY {SORTS['document']}", (doc_id,))]


def facts_of_claim(conn, claim_key: str) -> list[dict]:
    """Facts whose (curated) claim key is claim_key, across documents, with decided orphans."""
    return [fact_state(r) for r in conn.execute(
        f"{FACT_SELECT} WHERE {_effective_sql('claim_key')} = ? AND (f.present = 1 OR d.content_key IS NOT NULL) "
        f"ORDER BY f.present DESC, {SORTS['document']}", (claim_key,))]


def get_document(conn, doc_id: str) -> dict | None:
    row = conn.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
    return dict(row) if row else None


def list_documents(conn) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT doc.doc_id, doc.title, doc.source, doc.status, doc.n_sentences, doc.present, "
        "COUNT(f.content_key) AS n_facts, "
        "SUM(CASE WHEN COALESCE(d.status, 'pending') = 'pending' THEN 1 ELSE 0 END) AS n_pending "
        "FROM documents doc LEFT JOIN facts f ON f.doc_id = doc.doc_id AND f.present = 1 "
        "LEFT JOIN decisions d ON d.content_key = f.content_key "
        "GROUP BY doc.doc_id ORDER BY doc.present DESC, doc.doc_id")]


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


def _text_value(form: dict, field: str, limit: int) -> str:
    value = form.get(field)
    value = "" if value is None else value
    if not isinstance(value, str):
        raise InvalidDecision(f"{field} must be text")
    value = value.strip()
    if len(value) > limit:
        raise InvalidDecision(f"{field} is {len(value):,} characters long; at most {limit:,} are kept")
    return value


def parse_edits(fact: dict, form: dict, concepts=None) -> dict:
    """Changed editable fields (submitted value differs from the extracted one) → new values, validated.

    concepts(id) → (id, type, name) or None: the knowledge base. With it, an edited
    subject_id/object_id must be one of its concepts, and the argument's name and
    type follow the new id. A changed id or predicate gives a new claim key.
    """
    edits = {}
    for field in EDITABLE_FIELDS:
        if field not in form:
            continue
        raw = form[field]
        if raw is not None and not isinstance(raw, (str, bool, int)):
            raise InvalidDecision(f"{field} must be text")
        raw = raw.strip() if isinstance(raw, str) else raw
        if field == "negated":
            value = raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "on", "yes"}
            original = bool(fact["negated"])
        elif field == "sample_size":
            if raw in ("", None):
                value = None
            else:
                try:
                    value = int(str(raw)) if len(str(raw)) <= 12 else None
                except ValueError:
                    value = None
                if value is None or not 0 < value <= MAX_SAMPLE_SIZE:
                    raise InvalidDecision(f"sample_size must be a whole number from 1 to {MAX_SAMPLE_SIZE:,}, "
                                          f"not {str(raw)[:40]!r}")
            original = fact["sample_size"]
        else:
            value = _text_value(form, field, MAX_FIELD)
            original = fact[field] or ""
            choices = FIELD_CHOICES.get(field)
            if choices is not None and value not in choices:
                raise InvalidDecision(f"{field} must be one of {', '.join(c or '(empty)' for c in choices)}")
            pattern = FIELD_PATTERNS.get(field)
            if pattern is not None and value != original and not re.fullmatch(pattern[0], value):
                raise InvalidDecision(f"{field} must be {pattern[1]}, not {value[:40]!r}")
        if value != original:
            edits[field] = value
    for role in ("subject", "object"):
        field = f"{role}_id"
        if field not in edits:
            continue
        new_id = edits[field]
        if new_id:
            concept = concepts(new_id) if concepts is not None else None
            if concept is None:
                raise InvalidDecision(f"{field} {new_id[:60]!r} is not a concept of the knowledge base; "
                                      "pick one by name")
            _, concept_type, concept_name = concept
            edits[f"{role}_name"] = concept_name
            if f"{role}_type" not in edits and concept_type != fact[f"{role}_type"] and concept_type in ENTITY_TYPES:
                edits[f"{role}_type"] = concept_type
        elif fact[f"{role}_name"]:
            edits[f"{role}_name"] = ""
    if {"subject_id", "object_id", "predicate"} & set(edits):
        from pipeline.records import argument_key, claim_key

        effective = {**fact, **edits}
        new_claim = claim_key(argument_key(effective["subject_id"] or "", effective["subject_text"]),
                              effective["predicate"],
                              argument_key(effective["object_id"] or "", effective["object_text"]))
        if new_claim != fact["claim_key"]:
            edits["claim_key"] = new_claim
    return edits


# accept keeps a fact's edits (accept-as-edited); only discard_edits and reset drop them.
ACTIONS = {"accept", "reject", "edit", "discard_edits", "comment", "reset"}
AUDITED = ("status", "reason", "note", "edits", "comment")


def decide(conn, key: str, action: str, version: int, curator: str, form: dict | None = None,
           concepts=None) -> dict:
    """Apply one curator action to a fact, if `version` is still current; log it in the audit table.

    action: accept (keeps edits already made) | reject (form: reason, note) | edit (form: editable
    fields, validated; `concepts` looks ids up in the knowledge base) | discard_edits (back to the
    extracted values, pending) | comment (form: comment) | reset (back to pending, edits dropped).
    Returns the new state. Raises Conflict on a stale version, InvalidDecision on a bad request,
    KeyError for an unknown fact.
    """
    form = form or {}
    if action not in ACTIONS:
        raise InvalidDecision(f"unknown action {str(action)[:40]!r}")
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
            after.update(status="edited" if before["edits"] else "accepted", reason="", note="")
        elif action == "reject":
            reason = _text_value(form, "reason", 40)
            if reason not in REJECT_REASONS:
                raise InvalidDecision("choose a reject reason: " + ", ".join(REJECT_REASONS))
            after.update(status="rejected", reason=reason, note=_text_value(form, "note", MAX_TEXT))
        elif action == "edit":
            edits = parse_edits(fact, form, concepts)
            after.update(status="edited" if edits else "accepted", reason="", note="", edits=edits)
        elif action == "discard_edits":
            after.update(status="pending", reason="", note="", edits={})
        elif action == "comment":
            after["comment"] = _text_value(form, "comment", MAX_TEXT)
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
        append_audit(conn, curator, action, key, fact["fact_id"], fact["claim_key"],
                     {k: before[k] for k in AUDITED}, {k: after[k] for k in AUDITED})
    return current_state(conn, key)


def decide_many(conn, items: list[tuple[str, int]], action: str, curator: str, form: dict | None = None) -> dict:
    """One action on many facts [(key, version)], one decision and one audit row each; stale ones are skipped."""
    if action == "reject" and (form or {}).get("reason") not in REJECT_REASONS:
        raise InvalidDecision("choose a reject reason: " + ", ".join(REJECT_REASONS))
    done, conflicts, missing = [], [], []
    for key, version in items:
        try:
            decide(conn, key, action, version, curator, form)
            done.append(key)
        except Conflict:
            conflicts.append(key)
        except KeyError:
            missing.append(key)
    return {"done": done, "conflicts": conflicts, "missing": missing}


def _diff(before: dict, after: dict) -> list[tuple[str, object, object]]:
    """Field-by-field changes of an audit row; the edits object is opened into one line per edited field."""
    changes = []
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field), after.get(field)
        if field == "edits" and isinstance(old or {}, dict) and isinstance(new or {}, dict):
            old, new = old or {}, new or {}
            changes += [(f"edit {name}", old.get(name), new.get(name)) for name in sorted(set(old) | set(new))
                        if old.get(name) != new.get(name)]
        elif old != new:
            changes.append((field, old, new))
    return changes


def audit_entries(conn, key: str | None = None, curator: str | None = None, limit: int = 500) -> list[dict]:
    """Audit rows, newest first, with a readable diff and the fact's triple; a key's history follows re-attachments."""
    clauses, params = [], []
    if key:
        keys, frontier = {key}, [key]
        while frontier:  # earlier keys of a re-attached decision
            rows = conn.execute("SELECT before FROM audit WHERE action = 'reattach' AND content_key = ?",
                                (frontier.pop(),)).fetchall()
            for row in rows:
                old = json.loads(row[0] or "{}").get("content_key")
                if old and old not in keys:
                    keys.add(old)
                    frontier.append(old)
        clauses.append(f"a.content_key IN ({', '.join('?' for _ in keys)})")
        params += sorted(keys)
    if curator:
        clauses.append("a.curator = ?")
        params.append(curator)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    entries = []
    for row in conn.execute(
            "SELECT a.*, f.subject_text, f.object_text, f.predicate, f.negated, f.subject_name, f.object_name "
            f"FROM audit a LEFT JOIN facts f ON f.content_key = a.content_key {where} ORDER BY a.id DESC LIMIT ?",
            params + [limit]):
        entry = dict(row)
        before, after = json.loads(entry["before"] or "{}"), json.loads(entry["after"] or "{}")
        entry["changes"] = _diff(before, after)
        entries.append(entry)
    return entries


def meta_value(conn, key: str, default_factory) -> str:
    """A value from the meta table, created once with default_factory()."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    if row:
        return row[0]
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, default_factory()))
    return conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]
