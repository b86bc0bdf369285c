"""Progress while extracting: a live bar on a terminal, plain log lines otherwise.

The bar's total is the size in bytes of the input files (a cheap `stat` walk, no
reading), and progress is the characters of the documents done so far, so the ETA
is an estimate that needs no second pass over the corpus.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

log = logging.getLogger("alsfacts")

LOG_EVERY_SECONDS = 10.0
FAILURES_SHOWN = 100


def input_bytes(paths) -> int:
    """Total size of the (non-hidden) files under `paths`; unreadable entries count 0."""
    total = 0
    for given in paths:
        path = Path(given)
        try:
            if path.is_file():
                total += path.stat().st_size
                continue
            if not path.is_dir():
                continue
        except OSError:
            continue
        for folder, folders, files in os.walk(path):
            folders[:] = [name for name in folders if not name.startswith(".")]
            for name in files:
                if not name.startswith("."):
                    try:
                        total += os.stat(os.path.join(folder, name)).st_size
                    except OSError:
                        pass
    return total


class ProgressReporter:
    """Counts documents and words per chunk; `update` is called by the extractor."""

    def __init__(self, quiet: bool = False, total: int | None = None, stream=None, total_bytes: int | None = None):
        self.quiet = quiet
        self.total = total
        self.total_bytes = total_bytes
        self.stream = stream or sys.stderr
        self.console = Console(file=self.stream)
        self.live = not quiet and self.stream.isatty()
        self.documents = 0
        self.processed = 0
        self.cached = 0
        self.failed = 0
        self.words = 0
        self.chars = 0
        self.started = time.perf_counter()
        self._last_log = self.started
        self._progress = None
        self._task = None

    def __enter__(self):
        if self.live:
            self._progress = Progress(
                TextColumn("[bold]extracting"), BarColumn(), TextColumn("{task.fields[counts]}"),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
                TimeRemainingColumn(), console=self.console, transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("extract", total=self.total_bytes or None, counts="", rate="")
        return self

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
        return False

    def rates(self) -> tuple[float, float]:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        return self.documents / elapsed, self.words / elapsed

    def update(self, report) -> None:
        """Take one finished chunk (`extract.ChunkReport`, or a plain list of Documents)."""
        if isinstance(report, list):
            self.documents += len(report)
            words = sum(len(d.text.split()) for d in report)
            self.words += words
            self.chars += sum(len(d.text) for d in report)
        else:
            self.documents += len(report.documents)
            self.processed += report.processed
            self.cached += report.cached
            self.failed += report.failed
            self.words += report.words
            self.chars += report.chars
        docs_per_s, words_per_s = self.rates()
        counts = f"{self.documents:,} docs ({self.cached:,} cached, {self.failed:,} failed)"
        rate = f"{docs_per_s:,.1f} docs/s  {words_per_s:,.0f} words/s"
        if self._progress is not None:
            completed = min(self.chars, self.total_bytes) if self.total_bytes else self.chars
            self._progress.update(self._task, completed=completed, counts=counts, rate=rate)
        elif not self.quiet:
            now = time.perf_counter()
            if now - self._last_log >= LOG_EVERY_SECONDS:
                self._last_log = now
                log.info("%s, %s%s", counts, rate, self._eta())

    def _eta(self) -> str:
        if not self.total_bytes or not self.chars:
            return ""
        elapsed = time.perf_counter() - self.started
        remaining = max(self.total_bytes - self.chars, 0) * elapsed / self.chars
        return f", ETA {remaining:,.0f} s"

    def print_summary(self, summary) -> None:
        docs_per_s, words_per_s = (summary.documents_ok / max(summary.seconds.get("total", 0), 1e-9),
                                   summary.words / max(summary.seconds.get("total", 0), 1e-9))
        lines = [
            f"unchanged: 0 documents processed, {summary.documents_cached} cached; "
            "the tables from the last run are still current and were left as they are",
        ] if getattr(summary, "unchanged", False) else []
        lines += [
            f"documents ok: {summary.documents_ok} (processed {summary.documents_processed}, "
            f"skipped (cached) {summary.documents_cached}), failed: {summary.documents_failed}",
            f"{summary.words:,} words in {summary.seconds.get('total', 0):.1f} s "
            f"({docs_per_s:,.1f} docs/s, {words_per_s:,.0f} words/s; {summary.runner})",
            "rows: " + ", ".join(f"{name} {count}" for name, count in summary.rows.items()),
            (f"kept {summary.out_dir}/ as it was (updated manifest.json)" if getattr(summary, "unchanged", False) else
             f"wrote {summary.out_dir}/ (entities, facts, sentences, documents, claims as .parquet and .csv; manifest.json)"),
        ]
        for doc_id, source, error in summary.failures[:FAILURES_SHOWN]:
            lines.append(f"  failed: {source} ({doc_id}): {error}")
        if len(summary.failures) > FAILURES_SHOWN:
            lines.append(f"  … and {len(summary.failures) - FAILURES_SHOWN} more failures: "
                         f"all are listed in {summary.out_dir}/manifest.json and documents.csv")
        self.console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)
