"""CLI commands of the curation side: `load`, `review`, `export`, `audit verify` (registered on the main typer app)."""

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
        curators: Optional[Path] = typer.Option(
            None, "--curators", dir_okay=False,
            help="File of curator names, one a line: only they may decide, each through a personal link."),
    ) -> None:
        """Start the review web app and print its URL."""
        import uvicorn

        from pipeline.review.app import LOCAL_HOSTS, create_app, read_curators

        if not db.exists():
            typer.echo(f"{db}: no such store; run `alsfacts load OUT --db {db}` first.", err=True)
            raise typer.Exit(2)
        names = None
        if curators is not None:
            try:
                names = read_curators(curators)
            except (OSError, UnicodeDecodeError, ValueError) as error:
                typer.echo(f"{curators}: {error}", err=True)
                raise typer.Exit(2) from None
        if host in LOOPBACK:
            allowed = LOCAL_HOSTS
        elif host in {"0.0.0.0", "::"}:
            allowed = ["*"]
        else:
            allowed = LOCAL_HOSTS + [host]
        if host not in LOOPBACK:
            typer.echo(f"warning: listening on {host}, reachable from other machines.", err=True)
        shown = f"[{host}]" if ":" in host else host
        app = create_app(db, allowed_hosts=allowed, curators=names)
        typer.echo(f"alsfacts review: http://{shown}:{port}/  (Ctrl-C to stop)")
        for name, link in app.state.curator_links.items():
            typer.echo(f"  {name}: http://{shown}:{port}{link}")
        uvicorn.run(app, host=host, port=port, log_level="warning")

    @app.command("export")
    def export(
        db: Path = typer.Argument(..., exists=True, help="SQLite store (or, for --format kgx/bioc, a run folder)."),
        out: Path = typer.Option(..., "--out", help="Folder for curated_facts.parquet and .csv (or the KGX/BioC files)."),
        status: Optional[List[str]] = typer.Option(None, "--status", help="Keep these statuses (pending, accepted, rejected, edited); repeat or comma-separate."),
        predicate: Optional[List[str]] = typer.Option(None, "--predicate", help="Keep these (curated) predicates."),
        min_confidence: Optional[float] = typer.Option(None, "--min-confidence", help="Keep facts at least this confident."),
        include_orphaned: bool = typer.Option(False, "--include-orphaned", help="Also export decided facts the latest extraction no longer produces."),
        scope: str = typer.Option("all", "--scope", help="curated (accepted and edited), decided (also rejected) or all (also pending)."),
        format: str = typer.Option("table", "--format", help="table (curated_facts), kgx (nodes.tsv, edges.tsv) or bioc (documents.bioc.xml and .json)."),
        curated_only: bool = typer.Option(False, "--curated-only", help="Only accepted and edited facts (the same as --scope curated; kgx/bioc need a review database)."),
    ) -> None:
        """Write the curated facts table (Parquet and CSV) with each fact's state and curator, or the facts as KGX or BioC."""
        from pipeline.export import export_facts

        if curated_only and scope not in ("all", "curated"):
            typer.echo(f"--curated-only contradicts --scope {scope}", err=True)
            raise typer.Exit(2)
        if curated_only:
            scope = "curated"
        if format != "table":  # KGX and BioC exports (issue 9); rejected facts are never exported there
            from pipeline.export import SCOPES, export_formats

            if scope not in SCOPES:
                typer.echo(f"unknown scope {scope}; choose from {', '.join(SCOPES)}", err=True)
                raise typer.Exit(2)
            table_only = [name for name, value in (("--status", status), ("--predicate", predicate),
                                                   ("--min-confidence", min_confidence),
                                                   ("--include-orphaned", include_orphaned)) if value]
            if scope == "decided":
                table_only.append("--scope decided")
            try:
                if table_only:
                    raise ValueError(f"{', '.join(table_only)}: only for --format table "
                                     "(kgx and bioc take --curated-only or --scope curated|all)")
                typer.echo(export_formats(db, out, format, curated_only=scope == "curated"))
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
                                  min_confidence=min_confidence, include_orphaned=include_orphaned, scope=scope)
        except ValueError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(2) from None
        counts = ", ".join(f"{n} {status}" for status, n in result["statuses"].items() if n)
        typer.echo(f"{result['rows']} facts ({counts or 'none'}) → {result['parquet']}, {result['csv']}")

    audit = typer.Typer(help="The curation audit log.", no_args_is_help=True)
    app.add_typer(audit, name="audit")

    @audit.command("verify")
    def verify(db: Path = typer.Argument(..., exists=True, dir_okay=False, help="SQLite store.")) -> None:
        """Check the hash chain of the audit log: report deleted (gaps, a cut end) or edited rows."""
        from pipeline.store import connect, verify_audit

        conn = connect(db)
        try:
            problems = verify_audit(conn)
            rows = conn.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
            last = conn.execute("SELECT row_hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        finally:
            conn.close()
        if problems:
            for problem in problems:
                typer.echo(f"{db}: {problem}", err=True)
            raise typer.Exit(1)
        typer.echo(f"{db}: audit log intact ({rows} rows, each chained to the one before; "
                   f"last hash {last[0] if last else '-'})")
