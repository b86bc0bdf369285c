"""End to end in a real headless Chromium: keyboard review, re-load, decisions kept, payloads inert.

Needs Debian's chromium at /usr/bin/chromium and the playwright Python package
(never `playwright install`). Screenshots go to the test's tmp_path; their paths are printed.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "review"))
import seed_run  # noqa: E402, I001

from pipeline import store  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CURATOR = "Dana Curator"

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None, reason="needs the playwright package"),
]


def extract_run(corpus: Path, out_dir: Path) -> Path:
    from pipeline.extract import run_extract

    run_extract([corpus], out_dir)
    return out_dir


def make_runs(source: str, tmp_path: Path) -> tuple[Path, Path]:
    """(first run, re-extracted run) from the hand-made fixture or from the real extractor."""
    if source == "fixture":
        return seed_run.write_run(tmp_path / "run1"), seed_run.write_run(tmp_path / "run2")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(seed_run.SEED, corpus / seed_run.SEED.name)
    (corpus / "payload.txt").write_text(seed_run.PAYLOAD_TEXT, encoding="utf-8")
    first = extract_run(corpus, tmp_path / "run1")
    n_facts = len(store.read_table(first, "facts", ["fact_id"]))
    assert n_facts >= 3, f"the extractor found {n_facts} facts in the seed article; the review flow needs 3"
    return first, extract_run(corpus, tmp_path / "run2")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """Start the app over a fresh store with uvicorn in a thread; yields (base url, db path)."""
    import uvicorn

    from pipeline.review import create_app

    db = tmp_path / "facts.db"
    store.connect(db).close()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", db
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def current_key(page) -> str:
    return page.url.split("/facts/")[1].split("?")[0]


@pytest.mark.parametrize("source", ["fixture", "extracted"])
def test_keyboard_review_survives_reload_and_payloads_stay_inert(source, tmp_path, server, browser):
    base, db = server
    first, second = make_runs(source, tmp_path)
    store.load_run(first, db)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    dialogs: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # the curator name is asked once
    page.goto(f"{base}/queue")
    assert "/curator" in page.url
    page.fill("#curator-input", CURATOR)
    page.press("#curator-input", "Enter")
    page.wait_for_url(f"{base}/queue")
    assert page.text_content("#curator-name") == CURATOR
    page.screenshot(path=str(shots / "queue.png"), full_page=True)

    # open the first fact with the keyboard, show the keys, accept with `a`
    page.keyboard.press("Enter")
    page.wait_for_url("**/facts/**")
    page.keyboard.press("?")
    assert page.is_visible("#keys-help")
    page.screenshot(path=str(shots / "keys.png"))
    page.keyboard.press("Escape")
    assert not page.is_visible("#keys-help")
    accepted = current_key(page)
    page.screenshot(path=str(shots / "fact.png"), full_page=True)
    page.keyboard.press("a")
    page.wait_for_url(lambda url: accepted not in url)

    # edit the next one with `e`
    edited = current_key(page)
    page.keyboard.press("e")
    assert page.is_visible("#edit-form")
    assert page.evaluate("document.activeElement.id") == "edit-predicate"
    certainty = "hypothetical" if page.input_value("#edit-certainty") != "hypothetical" else "hedged"
    page.select_option("#edit-certainty", certainty)
    # a population the fact does not already have (an unchanged field is no edit)
    population = "people with ALS" if page.input_value("#edit-population") != "people with ALS" else "adults with ALS"
    page.fill("#edit-population", population)
    page.press("#edit-population", "Enter")
    page.wait_for_url(lambda url: edited not in url)

    # reject the next one with `r` and a reason
    rejected = current_key(page)
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reject-reason"
    page.select_option("#reject-reason", "not_a_claim")
    page.fill("#reject-note", "background, not a finding")
    page.press("#reject-note", "Enter")
    page.wait_for_url(lambda url: rejected not in url)

    # `k` and `j` walk the queue (all statuses, so decided facts stay listed, in the same order)
    page.goto(f"{base}/facts/{rejected}?status=all")
    page.keyboard.press("k")
    page.wait_for_url(f"**/facts/{edited}?status=all")
    page.keyboard.press("j")
    page.wait_for_url(f"**/facts/{rejected}?status=all")

    # re-load the re-extracted output, reload the pages: the three decisions are still there
    summary = store.load_run(second, db)
    assert summary["decisions"]["orphaned"] == 0
    page.goto(f"{base}/queue?status=all")
    page.reload()
    expected = {accepted: "accepted", edited: "edited", rejected: "rejected"}
    for key, status in expected.items():
        row = page.locator(f'tr.fact-row[data-key="{key}"]')
        assert row.locator(f".status-{status}").count() == 1, (key, status)
    page.goto(f"{base}/facts/{edited}?status=all")
    assert page.text_content("#status") == "edited"
    assert population in page.text_content("#edits")
    assert certainty in page.text_content("#edits")
    page.screenshot(path=str(shots / "edited_fact.png"), full_page=True)
    page.goto(f"{base}/facts/{rejected}?status=all")
    assert "background, not a finding" in page.text_content("#reason")
    page.goto(f"{base}/audit")
    assert page.locator("#audit tbody tr", has_text=CURATOR).count() == 3
    page.screenshot(path=str(shots / "audit.png"), full_page=True)

    # the document with a script payload renders as text, and nothing runs
    conn = store.connect(db)
    payload_doc = next(d["doc_id"] for d in store.list_documents(conn) if "payload" in d["doc_id"])
    conn.close()
    page.goto(f"{base}/documents/{payload_doc}")
    text = page.text_content("#doc-text")
    assert seed_run.SCRIPT in text and seed_run.IMG in text
    assert page.locator("main script, main img").count() == 0
    page.screenshot(path=str(shots / "payload_document.png"), full_page=True)
    page.wait_for_timeout(300)
    assert dialogs == []
    for shot in sorted(shots.iterdir()):
        print(f"screenshot: {shot}")


# ---------------------------------------------------------------- a queue of thousands (issue 8)

BIG_COPIES = 625  # × 8 facts = 5,000


@pytest.fixture
def big_server(tmp_path):
    """The app over a store of 5,000 facts (the seed article's rows replicated), served by uvicorn."""
    import uvicorn

    from big_run import write_big_run

    from pipeline.review import create_app

    db = tmp_path / "big.db"
    store.load_run(write_big_run(tmp_path / "big_run", BIG_COPIES), db)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", db
    server.should_exit = True
    thread.join(timeout=10)


def counts(page) -> dict[str, int]:
    return {status: int(page.text_content(f'#counts .count[data-status="{status}"] .n'))
            for status in store.STATUSES}


def test_a_queue_of_five_thousand_facts_by_keyboard(tmp_path, big_server, browser):
    base, db = big_server
    n = BIG_COPIES * 8
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{base}/curator?next=/queue")
    page.fill("#curator-input", CURATOR)
    page.press("#curator-input", "Enter")
    page.wait_for_url(f"{base}/queue")
    assert page.text_content("#total") == f"{n} facts"
    assert counts(page) == {"pending": n, "accepted": 0, "rejected": 0, "edited": 0}
    assert page.locator("tr.fact-row").count() == 100
    heights = page.eval_on_selector_all("tr.fact-row", "rows => rows.slice(0, 50).map(r => r.offsetHeight)")
    assert max(heights) <= 40, heights  # one line a fact
    page.keyboard.press("v")  # the highlighted fact's sentence, below its line
    assert "expanded" in page.get_attribute("tr.fact-row >> nth=0", "class")
    assert page.evaluate("getComputedStyle(document.querySelector('tr.expanded td.line'), '::after').content") \
        .startswith('"')
    page.keyboard.press("v")
    page.screenshot(path=str(tmp_path / "big_queue.png"))

    # `a` accepts the highlighted fact in place and moves on
    first = page.get_attribute("tr.fact-row >> nth=0", "data-key")
    page.keyboard.press("a")
    page.wait_for_selector(f'tr.fact-row[data-key="{first}"] .status-accepted')
    assert "selected" in page.get_attribute("tr.fact-row >> nth=1", "class")

    # x selects, A accepts the selection: one audit row per fact
    picked = []
    for _ in range(3):
        picked.append(page.get_attribute("tr.fact-row.selected", "data-key"))
        page.keyboard.press("x")
        page.keyboard.press("j")
    assert page.text_content("#selected-count") == "3 selected"
    with page.expect_navigation():
        page.keyboard.press("A")
    assert "3 facts decided" in page.text_content("#bulk-message")
    assert counts(page) == {"pending": n - 4, "accepted": 4, "rejected": 0, "edited": 0}
    assert page.text_content("#total") == f"{n - 4} facts"

    # x twice more, R: choose a reason, Enter in the note rejects both
    rejected = []
    for _ in range(2):
        rejected.append(page.get_attribute("tr.fact-row.selected", "data-key"))
        page.keyboard.press("x")
        page.keyboard.press("j")
    page.keyboard.press("R")
    assert page.evaluate("document.activeElement.id") == "bulk-reason"
    page.select_option("#bulk-reason", "duplicate")
    page.fill("#bulk-note", "copies of one article")
    with page.expect_navigation():
        page.press("#bulk-note", "Enter")
    assert "2 facts decided" in page.text_content("#bulk-message")
    assert counts(page)["rejected"] == 2
    conn = store.connect(db)
    entries = store.audit_entries(conn)
    conn.close()
    assert sorted(e["content_key"] for e in entries if e["action"] == "reject") == sorted(rejected)
    assert sorted(e["content_key"] for e in entries if e["action"] == "accept") == sorted(picked + [first])

    # search: `/` focuses it, Enter applies it; a select applies on change, without a button
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type("infusions safe")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=infusions+safe**")
    assert page.text_content("#total") == f"{BIG_COPIES} facts"
    assert not page.is_visible("#filter-button")
    page.select_option('#filters select[name="status"]', "all")
    page.wait_for_url("**status=all**")
    assert page.text_content("#total") == f"{BIG_COPIES} facts"

    # `r` on the queue opens the highlighted fact with the reject form; the fact page says where it is
    page.select_option('#filters select[name="status"]', "pending")
    page.wait_for_url("**status=pending**")
    page.keyboard.press("r")
    page.wait_for_url("**/facts/**#reject")
    assert page.evaluate("document.activeElement.id") == "reject-reason"
    assert page.text_content("#position") == f"1 of {BIG_COPIES}"
    assert page.text_content("#fact-line").startswith("Treg infusions — safe_in — patients (asserted)")
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.wait_for_url(lambda url: "#reject" not in url)
    assert page.text_content("#position") == f"2 of {BIG_COPIES}"

    # the edit form looks concept names up in the knowledge base
    page.keyboard.press("e")
    page.fill("#edit-subject_id", "edaravone")
    page.wait_for_selector('#subject_id-choices option[value="MESH:D000077553"]', state="attached", timeout=60_000)
    # an untyped MeSH descriptor (the ids alsfacts_descriptor_ids gives) is offered as such
    page.fill("#edit-object_id", "proteostasis")
    page.wait_for_selector('#object_id-choices option[value="MESH:D000074702"]', state="attached", timeout=60_000)
    assert page.text_content('#object_id-choices option[value="MESH:D000074702"]') == "Proteostasis (MeSH descriptor)"
    page.wait_for_timeout(200)
    assert dialogs == []
