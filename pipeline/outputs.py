"""Write the output tables (Parquet and CSV) and the run manifest.

Tables are written chunk by chunk into hidden `.<name>.partial` files (flushed to
disk) and moved into place with `os.replace` only when the run completes, so a
reader never sees a half-written table: it sees the previous run's file or the
new one. A run that dies leaves at most stale `.partial` files, which the next
run overwrites.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.schema import TABLES, arrow_schema

TEXTS_FILE = "texts.jsonl"
ROW_GROUP_ROWS = 50_000  # rows buffered before a Parquet row group is written


def _replace_durably(partial: Path, final: Path) -> None:
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, final)


class TableWriter:
    """Appends row chunks to `<name>.parquet` and `<name>.csv` (atomically replaced on close)."""

    def __init__(self, out_dir: Path, name: str):
        self.name = name
        self.columns = TABLES[name]
        self.schema = arrow_schema(name)
        self.final = {ext: out_dir / f"{name}.{ext}" for ext in ("parquet", "csv")}
        self.partial = {ext: path.with_name(f".{path.name}.partial") for ext, path in self.final.items()}
        self._parquet = pq.ParquetWriter(self.partial["parquet"], self.schema)
        self._csv_file = open(self.partial["csv"], "w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(self.columns)
        self.rows = 0
        self._buffer: list[list] = []

    def write(self, rows: list[dict]) -> None:
        """Append rows given as dicts keyed by column (a missing column is null)."""
        self.write_values([[row.get(column) for column in self.columns] for row in rows])

    def write_values(self, rows: list[list]) -> None:
        """Append rows given as lists of values in column order."""
        if not rows:
            return
        self._csv.writerows(rows)
        self._buffer.extend(rows)
        self.rows += len(rows)
        if len(self._buffer) >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            columns = zip(*self._buffer)
            arrays = [pa.array(values, type=field.type) for values, field in zip(columns, self.schema)]
            self._parquet.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
            self._buffer = []

    def close(self) -> None:
        self._flush()
        self._parquet.close()
        self._csv_file.close()
        for ext, partial in self.partial.items():
            _replace_durably(partial, self.final[ext])

    def abort(self) -> None:
        self._buffer = []
        self._parquet.close()
        self._csv_file.close()
        for partial in self.partial.values():
            partial.unlink(missing_ok=True)


class TextWriter:
    """Document texts as JSON lines, for the review app's paragraph view."""

    def __init__(self, out_dir: Path):
        self.final = out_dir / TEXTS_FILE
        self.partial = out_dir / f".{TEXTS_FILE}.partial"
        self._file = open(self.partial, "w", encoding="utf-8")

    def write(self, doc_id: str, title: str, text: str) -> None:
        self._file.write(json.dumps({"doc_id": doc_id, "title": title, "text": text}, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._file.close()
        _replace_durably(self.partial, self.final)

    def abort(self) -> None:
        self._file.close()
        self.partial.unlink(missing_ok=True)


def write_manifest(out_dir: Path, manifest: dict) -> Path:
    path = out_dir / "manifest.json"
    partial = out_dir / ".manifest.json.partial"
    partial.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    _replace_durably(partial, path)
    return path
