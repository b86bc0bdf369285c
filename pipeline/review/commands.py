"""CLI commands of the curation side: `load`, `review`, `export` (registered on the main typer app)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def split_values(values: Optional[List[str]]) -> list[str]:
    """`--status accepted --status edited` and `--status accepted,edited` alike."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def register(app: typer.Typer) -> None:
    @app.command("load")
    def load(
        out: Path = typer.Argument(..., exists=True, file_okay=False, help="Extractor output folder."),
        db: Path = typer.Option(..., "--db", help="SQLite store to create or update."),
    ) -> None:
        """Load an extraction run into the curation store (idempotent; decisions are kept)."""
        from pipeline.store import load_run

        summary = load_run(out, db)
        typer.echo(json.dumps(summary, indent=2, sort_keys=True))

    @app.command("review")
    def review(
        db: Path = typer.Argument(..., help="SQLite store made by `alsfacts load` or `extract --db`."),
        host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (local only by default)."),
        port: int = typer.Option(8765, "--port", help="Port to listen on."),
    ) -> None:
        """Start the review web app and print its URL."""
        import uvicorn

        from pipeline.review.app import LOCAL_HOSTS, create_app

        if not db.exists():
            typer.echo(f"{db}: no such store; run `alsfacts load OUT --db {db}` first.", err=True)
            raise typer.Exit(2)
        if host in LOOPBACK:
            allowed = LOCAL_HOSTS
        elif host in {"0.0.0.0", "::"}:
            allowed = ["*"]
        else:
            allowed = LOCAL_HOSTS + [host]
        if host not in LOOPBACK:
            typer.echo(f"warning: listening on {host}, reachable from other machines.", err=True)
        shown = f"[{host}]" if ":" in host else host
        typer.echo(f"alsfacts review: http://{shown}:{port}/  (Ctrl-C to stop)")
        uvicorn.run(create_app(db, allowed_hosts=allowed), host=host, port=port, log_level="warning")

    @app.command("export")
    def export(
        db: Path = typer.Argument(..., exists=True, help="SQLite store (or, for --format kgx/bioc, a run folder)."),
        out: Path = typer.Option(..., "--out", help="Folder for curated_facts.parquet and .csv (or the KGX/BioC files)."),
        status: Optional[List[str]] = typer.Option(None, "--status", help="Keep these statuses (pending, accepted, rejected, edited); repeat or comma-separate."),
        predicate: Optional[List[str]] = typer.Option(None, "--predicate", help="Keep these (curated) predicates."),
        min_confidence: Optional[float] = typer.Option(None, "--min-confidence", help="Keep facts at least this confident."),
        include_orphaned: bool = typer.Option(False, "--include-orphaned", help="Also export decided facts the latest extraction no longer produces."),
        format: str = typer.Option("table", "--format", help="table (curated_facts), kgx (nodes.tsv, edges.tsv) or bioc (documents.bioc.xml and .json)."),
        curated_only: bool = typer.Option(False, "--curated-only", help="kgx/bioc: only accepted and edited facts (needs a review database)."),
    ) -> None:
        """Write the curated facts table (Parquet and CSV), or the facts as KGX or BioC."""
        from pipeline.export import export_facts

        if format != "table":  # KGX and BioC exports (issue 9)
            from pipeline.export import export_formats

            try:
                typer.echo(export_formats(db, out, format, curated_only=curated_only))
            except ValueError as error:
                typer.echo(str(error), err=True)
                raise typer.Exit(2) from None
            return
        if db.is_dir():
            typer.echo(f"{db}: the curated table is exported from a review database, not a run folder", err=True)
            raise typer.Exit(2)

        try:
            result = export_facts(db, out, statuses=split_values(status) or None,
                                  predicates=split_values(predicate) or None,
                                  min_confidence=min_confidence, include_orphaned=include_orphaned)
        except ValueError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(2) from None
        typer.echo(f"{result['rows']} facts → {result['parquet']}, {result['csv']}")
