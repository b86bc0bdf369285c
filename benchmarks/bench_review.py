"""Render time of the review app's pages over a store of 5,000 facts (a benchmark, not a test).

    python benchmarks/bench_review.py                 # 625 copies × 8 facts = 5,000 facts
    python benchmarks/bench_review.py --copies 1250   # 10,000 facts

The store holds the seed article's real rows (tests/fixtures/review), replicated
under new document ids. Times: the server's answer to GET /queue (100 rows of the
first page, counts, filters), a search, a fact page ("n of N" walks the whole queue)
and a bulk accept of 50 facts, each the median of --repeat runs in process
(FastAPI TestClient); then the queue in headless Chromium (/usr/bin/chromium), from
navigation start to the load event. Writes benchmarks/review_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "fixtures" / "review")]

from big_run import FACTS_PER_COPY, write_big_run  # noqa: E402

from pipeline import store  # noqa: E402
from pipeline.review import create_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def median_seconds(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 4)


def server_times(db: Path, repeat: int) -> dict:
    from fastapi.testclient import TestClient

    client = TestClient(create_app(db), base_url="http://127.0.0.1")
    token = re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', client.get("/curator").text).group(1)
    client.post("/curator", data={"csrf_token": token, "name": "Bench"})
    first = client.get("/queue").text
    key = re.search(r'class="fact-row" data-key="([0-9a-f]+)"', first).group(1)

    def ok(response):
        assert response.status_code in (200, 303), response.status_code
        return response

    times = {
        "queue": median_seconds(lambda: ok(client.get("/queue")), repeat),
        "queue_all_sorted_by_document": median_seconds(lambda: ok(client.get("/queue?status=all&sort=document")),
                                                       repeat),
        "search": median_seconds(lambda: ok(client.get("/queue?q=infusions+safe")), repeat),
        "fact_page": median_seconds(lambda: ok(client.get(f"/facts/{key}")), repeat),
    }
    items = re.findall(r'name="item" value="([0-9a-f]+:\d+)"', first)[:50]
    start = time.perf_counter()
    ok(client.post("/bulk/accept", data={"csrf_token": token, "item": items}, follow_redirects=False))
    times["bulk_accept_50"] = round(time.perf_counter() - start, 4)
    return times


def browser_time(db: Path, repeat: int) -> float | None:
    try:
        import uvicorn
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page()
            page.goto(f"{base}/curator?next=/queue")
            page.fill("#curator-input", "Bench")
            page.press("#curator-input", "Enter")
            page.wait_for_url(f"{base}/queue")
            loads = []
            for _ in range(repeat):
                page.goto(f"{base}/queue", wait_until="load")
                loads.append(page.evaluate(
                    "() => { const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd - t.startTime; }"))
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return round(statistics.median(loads) / 1000, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=625)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "review_results.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.perf_counter()
        summary = store.load_run(write_big_run(tmp / "run", args.copies), tmp / "review.db")
        load_seconds = round(time.perf_counter() - start, 2)
        result = {
            "facts": summary["facts"]["new"], "documents": summary["documents"]["added"],
            "facts_per_document": FACTS_PER_COPY, "load_seconds": load_seconds,
            "server_seconds": server_times(tmp / "review.db", args.repeat),
            "browser_queue_load_seconds": browser_time(tmp / "review.db", args.repeat),
            "repeat": args.repeat, "measured": "median; server in process (TestClient), browser headless Chromium",
            "cpu_count": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2),
        }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
