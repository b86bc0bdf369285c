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
from pipeline.schema import FACT_COLUMNS, PREDICATES

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
