"""`alsfacts report`: the self-contained HTML page, in real Chromium, and its bad inputs.

The run: the embedded corpus plus three short documents written here (two say riluzole
slows disease progression, one says it does not) and one whose sentence carries HTML.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipeline.extract import run_extract
from pipeline.nlp import shared_nlp
from pipeline.report import ReportError, report_context, write_report

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EXTRA = {
    "a.txt": "Riluzole slowed disease progression in patients with ALS.\n",
    "b.txt": "In a phase 3 trial of 959 patients, riluzole slowed disease progression.\n",
    "c.txt": "In mice, riluzole did not slow disease progression.\n",
    "x.txt": "Edaravone slowed functional decline <script>alert('x')</script> in <b>ALS</b>.\n",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in ("als_news_tregs.txt", "als_therapies_overview.md"):
        shutil.copy(ROOT / "corpora" / name, corpus / name)
    for name, text in EXTRA.items():
        (corpus / name).write_text(text, encoding="utf-8")
    out = root / "out"
    run_extract([corpus], out, nlp=shared_nlp(), cache=False)
    return out


@pytest.fixture(scope="module")
def page_file(run) -> Path:
    return write_report(run)


def test_report_sections_and_escaping(run, page_file):
    html = page_file.read_text(encoding="utf-8")
    assert page_file == run / "report.html" and not list(run.glob(".*partial"))
    for anchor in ("summary", "plots", "best", "contradicted", "entities"):
        assert f'id="{anchor}"' in html
    assert html.count("<svg") == 4  # predicates, entity types, evidence per claim, network
    # the document's HTML is shown as text, never as markup
    assert "<script>" not in html and "&lt;script&gt;alert(" in html and "&lt;b&gt;ALS&lt;/b&gt;" in html
    assert "<b>ALS</b>" not in html
    # every sentence links to its document with character offsets
    links = re.findall(r'<a class="src" href="([^"]+)"[^>]*>([^<]+)</a>', html)
    assert links and all(re.search(r"#char=\d+,\d+$", href) for href, _ in links)
    assert any(text.startswith("c.txt [") for _, text in links)
    context = report_context(run)
    riluzole = next(c for c in context["contradicted"] if c["claim_key"] == "MESH:D019782|decreases|MESH:D018450")
    assert [e["doc_id"] for e in riluzole["support"]] == ["a.txt", "b.txt"]
    assert [e["doc_id"] for e in riluzole["against"]] == ["c.txt"]
    assert "2 document(s) agree" in html
    assert context["summary"]["documents"] == 6 and context["summary"]["errors"] == 0


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_report_loads_in_chromium_without_errors_or_network(page_file, tmp_path):
    screenshot = tmp_path / "report.png"  # run pytest with --basetemp=DIR to keep it
    playwright_api = pytest.importorskip("playwright.sync_api")
    console_errors, requests = [], []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
            page.on("pageerror", lambda error: console_errors.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_file.as_uri(), wait_until="load")
            assert page.title().startswith("alsfacts report")
            assert page.locator("#plot-network svg").count() == 1
            assert page.locator(".contradiction").count() >= 1
            assert page.evaluate("document.querySelectorAll('script').length") == 0
            page.screenshot(path=str(screenshot), full_page=False)
        finally:
            browser.close()
    assert console_errors == []
    assert requests == [page_file.as_uri()]  # the page itself, nothing else
    assert screenshot.stat().st_size > 10_000


def test_report_bad_inputs_get_clear_messages(run, tmp_path):
    with pytest.raises(ReportError, match="no such run folder"):
        write_report(tmp_path / "missing")
    with pytest.raises(ReportError, match="no documents.parquet"):
        write_report(tmp_path)
    # an empty corpus: the run has no readable documents, nothing is written
    empty = tmp_path / "empty"
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "blank.txt").write_text("", encoding="utf-8")
    run_extract([tmp_path / "corpus"], empty, nlp=shared_nlp(), cache=False)
    with pytest.raises(ReportError, match="no readable documents"):
        write_report(empty)
    assert not (empty / "report.html").exists()
    # a corrupted facts table
    broken = tmp_path / "broken"
    shutil.copytree(run, broken)
    (broken / "report.html").unlink()
    (broken / "facts.parquet").write_bytes(b"PAR1 garbage")
    with pytest.raises(ReportError, match="facts.parquet: not a readable Parquet file"):
        write_report(broken)
    assert not (broken / "report.html").exists() and not list(broken.glob(".*partial"))


def test_report_and_export_commands_exit_with_a_message(run, tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no such run folder" in result.output
    result = runner.invoke(app, ["report", str(run), "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no such review database" in result.output
    result = runner.invoke(app, ["export", str(run), "--format", "kgx", "--curated-only", "--out", str(tmp_path / "k")])
    assert result.exit_code == 2 and "run folder has no curator decisions" in result.output
    assert not (tmp_path / "k").exists()
    result = runner.invoke(app, ["report", str(run), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 0 and (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
