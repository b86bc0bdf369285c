"""The `alsfacts` command line."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

# Commands defined in other modules, imported only when one of them runs (or for --help):
# `eval` needs pandas and spaCy, the review commands FastAPI; `extract` needs neither.
LAZY_COMMANDS = {
    "eval": "pipeline.evaluate",
    "load": "pipeline.review.commands",
    "review": "pipeline.review.commands",
    "export": "pipeline.review.commands",
    "audit": "pipeline.review.commands",
    "report": "pipeline.report",
}


class LazyCommands(TyperGroup):
    """A command group that imports a command's module (and calls its `register`) on first use."""

    def list_commands(self, ctx) -> list[str]:
        names = list(super().list_commands(ctx))
        return names + [name for name in LAZY_COMMANDS if name not in names and self._load(name)]

    def get_command(self, ctx, name: str):
        command = super().get_command(ctx, name)
        if command is None and self._load(name):
            command = super().get_command(ctx, name)
        return command

    def _load(self, name: str) -> bool:
        """Add the commands of the module that defines `name`; False if it cannot be imported."""
        if name in self.commands:
            return True
        module_name = LAZY_COMMANDS.get(name)
        if module_name is None:
            return False
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # an optional extra (the review app) is not installed
            return False
        holder = typer.Typer()
        module.register(holder)
        for command_name, command in typer.main.get_group(holder).commands.items():
            self.commands.setdefault(command_name, command)
        return name in self.commands


app = typer.Typer(
    cls=LazyCommands,
    add_completion=False,
    no_args_is_help=True,
    help="Entities and claims, with exact sources, from ALS literature.",
)



@app.callback()
def commands() -> None:
    # A callback makes `app` a group of commands even though only `extract` is defined here.
    pass


DEFAULT_CORPUS = Path("corpora")
DEFAULT_OUT = Path("outputs")
# Below about 150k words one process finishes before a second one has loaded the pipeline.
SMALL_INPUT_BYTES = 1_000_000
# Exit status of `extract` when not one document could be read (2 is a usage error).
NOTHING_READ_EXIT = 1
FAST_PIPELINE = "pipeline.nlp:shared_fast_nlp"


@app.command()
def extract(
    paths: List[Path] = typer.Argument(None, help="Files and folders to read (default: the embedded corpus in corpora/)."),
    out: Path = typer.Option(DEFAULT_OUT, "--out", "-o", help="Output folder for the tables and the manifest."),
    db: Optional[Path] = typer.Option(None, "--db", help="Also load the run into this SQLite review database."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary."),
    workers: int = typer.Option(0, "--workers", "-j", min=0, help="Worker processes (0: one per available core; one for inputs under 1 MB)."),
    dask: Optional[str] = typer.Option(None, "--dask", metavar="SCHEDULER_ADDRESS",
                                       help="Run on a Dask cluster (e.g. tcp://host:8786), or 'local' for a LocalCluster of --workers processes."),
    force: bool = typer.Option(False, "--force", help="Ignore cached rows: process every document again."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache folder (default: OUT/.cache)."),
    chunk_size: int = typer.Option(64, "--chunk-size", min=1, help="Documents per unit of work."),
    pipeline: Optional[str] = typer.Option(None, "--pipeline", metavar="MODULE:FUNCTION",
                                           help="Function that builds the spaCy pipeline (default: pipeline/config.cfg)."),
    fast: bool = typer.Option(False, "--fast", help="Dictionary and rules only, without the trained models: "
                                                    "several times faster, less accurate (for very large corpora)."),
) -> None:
    """Extract entities and facts from text files into tables (Parquet and CSV).

    Exit status 1 when no input could be read (every input failed); failed inputs are listed
    in the summary, in documents.csv and in manifest.json.
    """
    import os

    from rich.logging import RichHandler

    from pipeline.extract import run_extract
    from pipeline.progress import ProgressReporter, input_bytes

    paths = list(paths or [DEFAULT_CORPUS])
    if fast and pipeline is None:
        pipeline = FAST_PIPELINE
    total_bytes = input_bytes(paths)
    if not workers:  # one per core, unless the input is too small to repay starting them
        workers = len(os.sched_getaffinity(0)) if total_bytes > SMALL_INPUT_BYTES else 1
    with ProgressReporter(quiet=quiet, total_bytes=total_bytes) as progress:
        handler = RichHandler(console=progress.console, show_time=False, show_path=False) if progress.live else None
        logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s",
                            handlers=[handler] if handler else None, force=True)
        summary = run_extract(paths, out, on_chunk=progress.update, workers=workers, dask=dask, force=force,
                              cache_dir=cache_dir, pipeline=pipeline, chunk_size=chunk_size)
    progress.print_summary(summary)
    if not summary.documents_ok:
        typer.echo(f"error: no input could be read ({summary.documents_failed} failed, listed above); "
                   "nothing was extracted" + (f" and {db} was left as it was" if db is not None else ""), err=True)
        raise typer.Exit(code=NOTHING_READ_EXIT)
    if db is not None:
        from pipeline.store import load_run

        result = load_run(out, db)
        facts, decisions = result["facts"], result["decisions"]
        typer.echo(
            f"review database {db}: {facts['new']} new facts, {facts['updated']} updated, "
            f"{facts['unchanged']} unchanged, {facts['gone']} gone; decisions kept {decisions['attached']}, "
            f"re-attached {len(result['reattached'])}, orphaned {decisions['orphaned']}, "
            f"in gone documents {decisions['in_gone_documents']}. Review them with: alsfacts review {db}"
        )
        from pipeline.evidence import write_claims  # claims table with the curators' decisions (issue 9)

        claims = write_claims(out, db=db)
        typer.echo(f"claims: {claims['rows']} ({claims['supported']} supported, {claims['contradicted']} "
                   f"contradicted; {claims['rejected_facts']} rejected facts left out)")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="alsfacts")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
