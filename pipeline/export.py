"""Export the curated facts table: the extractor's columns, curated, plus the curation columns.

Parquet and CSV side by side. CSV cells that a spreadsheet would read as a formula
(starting with = + - @, a tab or a carriage return) get a leading single quote, as
OWASP recommends for CSV injection; Parquet keeps every value as it is.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

from pipeline import store
from pipeline.schema import ENTITY_COLUMNS, FACT_COLUMNS, PREDICATES

CURATION_COLUMNS = ["status", "curator", "decided_at", "reason", "note", "edited_fields", "comment",
                    "orphaned", "document_gone", "content_key"]
EXPORT_COLUMNS = FACT_COLUMNS + CURATION_COLUMNS
EXPORT_NAME = "curated_facts"
EXPORT_STATUSES = store.STATUSES
# What to export: curated facts (accepted, edited), every decided one (also rejected), or everything.
SCOPES = {
    "curated": {"accepted", "edited"},
    "decided": {"accepted", "edited", "rejected"},
    "all": set(store.STATUSES),
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value):
    """A CSV cell a spreadsheet will not run: text starting with a formula character gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def check_filters(statuses, predicates, min_confidence, scope) -> None:
    """ValueError naming the allowed values for any filter value that cannot match."""
    for name, values, allowed in (("status", statuses, EXPORT_STATUSES), ("predicate", predicates, PREDICATES)):
        unknown = sorted(set(values or ()) - set(allowed))
        if unknown:
            raise ValueError(f"unknown {name} {', '.join(unknown)}; choose from {', '.join(allowed)}")
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope}; choose from {', '.join(SCOPES)}")
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise ValueError(f"min-confidence must be between 0 and 1, not {min_confidence}")


def curated_rows(db_path: str | Path, statuses: list[str] | None = None, predicates: list[str] | None = None,
                 min_confidence: float | None = None, include_orphaned: bool = False,
                 scope: str = "all") -> list[dict]:
    """One row per fact in the store with its decision; fields a curator edited carry the edited value.

    `edited_fields` is a JSON object {field: {"from": extracted value, "to": curated value}}.
    Facts the latest extraction no longer produces (orphaned decisions, documents gone)
    only with include_orphaned.
    """
    check_filters(statuses, predicates, min_confidence, scope)
    conn = store.connect(db_path)
    try:
        where = "" if include_orphaned else " WHERE f.present = 1"
        facts = [store.fact_state(r) for r in conn.execute(
            f"{store.FACT_SELECT}{where} ORDER BY {store.SORTS['document']}")]
    finally:
        conn.close()
    rows = []
    for fact in facts:
        curated = fact["effective"]
        if fact["status"] not in SCOPES[scope] or (statuses and fact["status"] not in statuses):
            continue
        if predicates and curated["predicate"] not in predicates:
            continue
        if min_confidence is not None and (fact["confidence"] or 0.0) < min_confidence:
            continue
        row = {column: curated[column] for column in FACT_COLUMNS}
        row["negated"] = None if row["negated"] is None else bool(row["negated"])
        row.update(
            status=fact["status"], curator=fact["curator"], decided_at=fact["decided_at"],
            reason=fact["reason"], note=fact["note"], comment=fact["comment"], orphaned=fact["orphaned"],
            document_gone=fact["doc_gone"], content_key=fact["content_key"],
            edited_fields=json.dumps({field: {"from": fact[field] if field != "negated" else bool(fact[field]),
                                              "to": value}
                                      for field, value in sorted(fact["edits"].items())}) if fact["edits"] else "",
        )
        rows.append(row)
    return rows


def arrow_schema():
    import pyarrow as pa

    from pipeline.schema import arrow_schema as table_schema

    fields = list(table_schema("facts"))
    fields += [pa.field(c, pa.bool_() if c in {"orphaned", "document_gone"} else pa.string())
               for c in CURATION_COLUMNS]
    return pa.schema(fields)


def export_facts(db_path: str | Path, out_dir: str | Path, **filters) -> dict:
    """Write curated_facts.parquet and curated_facts.csv into out_dir; returns their paths and the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = curated_rows(db_path, **filters)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"parquet": out_dir / f"{EXPORT_NAME}.parquet", "csv": out_dir / f"{EXPORT_NAME}.csv"}
    partial = {ext: path.with_name(f".{path.name}.partial") for ext, path in paths.items()}
    pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema()), partial["parquet"])
    with open(partial["csv"], "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows({column: neutralize(value) for column, value in row.items()} for row in rows)
    for ext, path in paths.items():
        os.replace(partial[ext], path)
    counts = {status: sum(1 for row in rows if row["status"] == status) for status in store.STATUSES}
    return {"rows": len(rows), "parquet": str(paths["parquet"]), "csv": str(paths["csv"]), "statuses": counts}


# ---------------------------------------------------------------- sources for the KGX and BioC exports

CURATED_STATUSES = ["accepted", "edited"]


class ExportError(ValueError):
    """A source that cannot be exported (named file, what is wrong)."""


def export_source(source: str | Path, curated_only: bool = False):
    """Documents, entities and facts to export, from a run folder or a review database.

    From a database, facts carry their curated values; a rejected fact is never exported,
    and with `curated_only` only accepted and edited ones are. A run folder has no
    decisions, so `curated_only` needs a database. Returns (documents, entities, facts):
    documents as dicts with doc_id, title, text, source; entities and facts as table rows.
    """
    source = Path(source)
    if source.is_dir():
        if curated_only:
            raise ExportError(f"{source}: a run folder has no curator decisions; export curated facts "
                              "from the review database (alsfacts export facts.db --curated-only ...)")
        return _run_folder_source(source)
    if source.is_file():
        return _database_source(source, curated_only)
    raise ExportError(f"{source}: no such run folder or review database")


def _run_folder_source(out_dir: Path):
    from pipeline.evidence import EvidenceError, read_run_facts

    try:
        facts = read_run_facts(out_dir)
        documents = store.read_table(out_dir, "documents", ["doc_id", "title", "source", "status"])
        entities = store.read_table(out_dir, "entities", ENTITY_COLUMNS)
    except (EvidenceError, FileNotFoundError, OSError, ValueError) as error:
        raise ExportError(str(error)) from None
    except Exception as error:  # pyarrow errors on a damaged table file
        raise ExportError(f"{out_dir}: a table cannot be read ({error})") from None
    texts = store.read_texts(out_dir)
    docs = [{"doc_id": d["doc_id"], "title": d["title"] or "", "source": d["source"] or "",
             "text": texts.get(d["doc_id"], "")} for d in documents if d["status"] == "ok"]
    return docs, entities, facts


def _database_source(db_path: Path, curated_only: bool):
    import sqlite3

    try:
        rows = curated_rows(db_path, statuses=CURATED_STATUSES if curated_only else None)
        conn = store.connect(db_path)
        try:
            documents = [dict(r) for r in conn.execute(
                "SELECT doc_id, title, source, text FROM documents WHERE status = 'ok' ORDER BY rowid")]
            entities = [dict(r) for r in conn.execute(
                f'SELECT {", ".join(chr(34) + c + chr(34) for c in ENTITY_COLUMNS)} FROM entities '
                'ORDER BY doc_id, "start"')]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise ExportError(f"{db_path}: not an alsfacts review database ({error})") from None
    facts = [{c: r[c] for c in FACT_COLUMNS} for r in rows if r["status"] != "rejected"]
    for document in documents:
        document["title"], document["text"] = document["title"] or "", document["text"] or ""
    return documents, entities, facts


EXPORT_FORMATS = ["table", "kgx", "bioc"]


def export_formats(source: str | Path, out_dir: str | Path, fmt: str, curated_only: bool = False) -> str:
    """Write the KGX or BioC export of a run folder or review database; returns a one-line summary."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
    documents, entities, facts = export_source(source, curated_only)
    if fmt == "kgx":
        from pipeline.kgx_export import export_kgx

        result = export_kgx(facts, out_dir)
        return f"{result['nodes']} nodes, {result['edges']} edges → {result['nodes_tsv']}, {result['edges_tsv']}"
    from pipeline.bioc_io import export_bioc

    result = export_bioc(documents, entities, facts, out_dir)
    return (f"{result['documents']} documents, {result['annotations']} annotations, {result['relations']} "
            f"relations → {result['xml']}, {result['json']}")
