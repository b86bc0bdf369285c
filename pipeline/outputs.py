"""Write the output tables (Parquet and CSV) and the run manifest.

Tables are written chunk by chunk into hidden `.<name>.partial` files (flushed to
disk) and moved into place with `os.replace` only when the run completes, so a
reader never sees a half-written table: it sees the previous run's file or the
new one. A run that dies leaves at most stale `.partial` files, which the next
run overwrites.
"""

from __future__ import annotations

import csv
import io
import json
import os
from functools import lru_cache
from pathlib import Path

from pipeline.schema import TABLES, arrow_schema

TEXTS_FILE = "texts.jsonl"
ROW_GROUP_ROWS = 50_000  # rows buffered before a Parquet row group is written


def _replace_durably(partial: Path, final: Path) -> None:
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, final)


def table_files(name: str) -> list[str]:
    return [f"{name}.parquet", f"{name}.csv"]


def file_state(path: Path) -> list[int] | None:
    """(size, mtime in ns, inode) of a file, None if it is not there: a rewrite changes it."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


@lru_cache(maxsize=None)
def _schema(name: str):
    return arrow_schema(name)


def csv_text(rows: list[list]) -> str:
    """Rows as the CSV lines `TableWriter` writes for them."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def arrow_table(name: str, rows: list[list]):
    """Rows (value lists in column order) of table `name` as a pyarrow Table."""
    import pyarrow as pa

    schema = _schema(name)
    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    arrays = [pa.array(values, type=field.type) for values, field in zip(columns, schema)]
    return pa.Table.from_arrays(arrays, schema=schema)


class TableWriter:
    """Appends row chunks to `<name>.parquet` and `<name>.csv` (atomically replaced on close)."""

    def __init__(self, out_dir: Path, name: str):
        import pyarrow.parquet as pq

        self.name = name
        self.columns = TABLES[name]
        self.schema = _schema(name)
        self.final = {ext: out_dir / f"{name}.{ext}" for ext in ("parquet", "csv")}
        self.partial = {ext: path.with_name(f".{path.name}.partial") for ext, path in self.final.items()}
        self._parquet = pq.ParquetWriter(self.partial["parquet"], self.schema)
        self._csv_file = open(self.partial["csv"], "w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(self.columns)
        self.rows = 0
        self._buffer: list[list] = []   # rows given as values, not yet converted
        self._pieces: list = []         # Arrow tables waiting for the next row group
        self._pending = 0               # rows in _buffer and _pieces

    def write(self, rows: list[dict]) -> None:
        """Append rows given as dicts keyed by column (a missing column is null)."""
        self.write_values([[row.get(column) for column in self.columns] for row in rows])

    def write_values(self, rows: list[list]) -> None:
        """Append rows given as lists of values in column order."""
        if not rows:
            return
        self._csv.writerows(rows)
        self._buffer.extend(rows)
        self._added(len(rows))

    def write_encoded(self, csv_lines: str, table) -> None:
        """Append rows already encoded: their CSV lines and the same rows as an Arrow table."""
        if not table.num_rows:
            return
        self._csv_file.write(csv_lines)
        self._seal_buffer()
        self._pieces.append(table)
        self._added(table.num_rows)

    def _added(self, count: int) -> None:
        self.rows += count
        self._pending += count
        if self._pending >= ROW_GROUP_ROWS:
            self._flush()

    def _seal_buffer(self) -> None:
        if self._buffer:
            self._pieces.append(arrow_table(self.name, self._buffer))
            self._buffer = []

    def _flush(self) -> None:
        import pyarrow as pa

        self._seal_buffer()
        if self._pieces:
            # one contiguous table: the file's bytes do not depend on how rows arrived
            table = self._pieces[0] if len(self._pieces) == 1 else pa.concat_tables(self._pieces).combine_chunks()
            self._parquet.write_table(table)
            self._pieces = []
        self._pending = 0

    def close(self) -> None:
        self._flush()
        self._parquet.close()
        self._csv_file.close()
        for ext, partial in self.partial.items():
            _replace_durably(partial, self.final[ext])

    def abort(self) -> None:
        self._buffer, self._pieces = [], []
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
