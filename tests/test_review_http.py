"""The review app over HTTP (FastAPI TestClient), the CLI commands and the export."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "review"))
import seed_run  # noqa: E402
from review_client import BASE, TOKEN, csrf, login, open_review  # noqa: E402,F401

from pipeline import store  # noqa: E402
from pipeline.export import EXPORT_COLUMNS  # noqa: E402
from pipeline.review import create_app  # noqa: E402
from pipeline.review.commands import register  # noqa: E402
from pipeline.schema import FACT_COLUMNS  # noqa: E402



@pytest.fixture
def setup(tmp_path):
    return open_review(tmp_path)


def key_of(db: Path, opening: str, predicate: str) -> str:
    conn = store.connect(db)
    try:
        return conn.execute("SELECT content_key FROM facts WHERE sentence LIKE ? AND predicate = ?",
                            (f"%{opening}%", predicate)).fetchone()[0]
    finally:
        conn.close()


def queue_keys(client: TestClient, query: str = "") -> list[str]:
    response = client.get(f"/queue?{query}")
    assert response.status_code == 200
    return re.findall(r'class="fact-row" data-key="([0-9a-f]+)"', response.text)


def post(client, key, action, token, version=0, **fields):
    return client.post(f"/facts/{key}/{action}", data={"csrf_token": token, "version": version, **fields},
                       follow_redirects=False)


def test_curator_name_is_asked_once_and_shown(tmp_path, setup):
    fresh = TestClient(setup["app"], base_url=BASE)
    response = fresh.get("/queue?status=all", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/curator?next=")
    token = csrf(fresh)
    assert fresh.post("/curator", data={"csrf_token": token, "name": "  "}).status_code == 400
    response = fresh.post("/curator", data={"csrf_token": token, "name": "Bo", "next": "/queue?status=all"})
    assert response.url.path == "/queue" and 'id="curator-name">Bo<' in response.text
    assert fresh.get("/documents", follow_redirects=False).status_code == 200
    # an off-site "next" is not followed
    response = fresh.post("/curator", data={"csrf_token": token, "name": "Bo", "next": "//evil.example/"},
                          follow_redirects=False)
    assert response.headers["location"] == "/queue"


def test_every_page_renders(setup):
    client, db = setup["client"], setup["db"]
    key = key_of(db, "Treg infusions were safe", "safe_in")
    claim = "MESH:D050378|lower_in|MESH:D000690"
    pages = {
        "/queue": "Facts to review", "/queue?status=all&sort=document": "Facts to review",
        f"/facts/{key}": "Treg infusions", f"/documents/als_news_tregs.txt": "Facts in text order",
        "/documents": "Treg cell therapy for ALS", f"/claims/{claim}": "2 facts in 2 documents",
        "/audit": "Audit log", "/curator": "Who is curating?",
        "/static/review.js": "keydown", "/static/review.css": "mark.subj",
    }
    for url, expected in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert expected in response.text, url
    assert client.get("/", follow_redirects=False).headers["location"] == "/queue"
    api = client.get(f"/api/facts/{key}").json()
    assert api["fact"]["predicate"] == "safe_in" and api["state"]["version"] == 0
    assert set(api["fact"]) == set(FACT_COLUMNS)
    for missing in ("/facts/0000", "/api/facts/0000", "/documents/nope.txt", "/claims/a|b|c"):
        assert client.get(missing).status_code == 404, missing


def test_fact_page_shows_evidence_paragraph_source_and_all_fields(setup):
    key = key_of(setup["db"], "ALS patients were found", "lower_in")
    page = setup["client"].get(f"/facts/{key}?status=all").text
    evidence = re.search(r'<blockquote id="evidence">(.*?)</blockquote>', page, re.S).group(1)
    assert '<mark class="subj">Tregs</mark>' in evidence and '<mark class="obj">ALS</mark>' in evidence
    paragraph = re.search(r'<div id="paragraph" class="paragraph">(.*?)</div>', page, re.S).group(1)
    assert "slowed the progression of the disease." in paragraph  # the neighbouring sentences
    assert "Treg cell therapy for ALS" in page and str(seed_run.SEED) in page
    assert "JAMA Neurology" in page and "healthy people" in page
    for column in FACT_COLUMNS:
        assert f"<th>{column}</th>" in page
    assert 'rel="next"' in page and 'id="accept-form"' in page and 'id="reject-reason"' in page


def test_queue_filters_and_sort(setup):
    client = setup["client"]
    everything = queue_keys(client, "status=all")
    assert len(everything) == len(seed_run.SEED_FACTS) + len(seed_run.PAYLOAD_FACTS)
    assert queue_keys(client) == everything  # all pending at first
    assert len(queue_keys(client, "status=all&predicate=safe_in")) == 1
    assert len(queue_keys(client, "status=all&certainty=hedged")) == 2
    assert len(queue_keys(client, "status=all&doc=payload.html")) == 2
    assert len(queue_keys(client, "status=all&entity=riluzole")) == 1
    assert len(queue_keys(client, "status=all&entity=MESH:D018450")) == 5
    page = client.get("/queue?status=all&sort=confidence_asc").text
    confidences = [float(c) for c in re.findall(r'<td class="num">([0-9.]+)</td>', page)]
    assert confidences == sorted(confidences) and len(confidences) == len(everything)
    page = client.get("/queue?status=all").text
    assert [float(c) for c in re.findall(r'<td class="num">([0-9.]+)</td>', page)] == sorted(confidences, reverse=True)
    key = everything[0]
    post(client, key, "accept", setup["token"])
    assert queue_keys(client, "status=accepted") == [key]
    assert key not in queue_keys(client, "status=pending")
    assert queue_keys(client, "status=rejected") == []


def test_accept_reject_edit_comment_and_the_audit_log(setup):
    client, token, db = setup["client"], setup["token"], setup["db"]
    keys = queue_keys(client)
    response = post(client, keys[0], "accept", token, queue="status=pending")
    assert response.status_code == 303 and response.headers["location"] == f"/facts/{keys[1]}?status=pending"

    response = post(client, keys[1], "reject", token, reason="not_a_claim", note="a background statement")
    assert response.status_code == 303
    response = post(client, keys[2], "edit", token, predicate="associated_with", certainty="hedged",
                    negated="true", population="people with ALS", sample_size="12")
    assert response.status_code == 303
    response = post(client, keys[2], "comment", token, version=1, comment="predicate checked with Bob")
    assert response.headers["location"].startswith(f"/facts/{keys[2]}")

    states = {k: client.get(f"/api/facts/{k}").json() for k in keys[:3]}
    assert states[keys[0]]["state"]["status"] == "accepted"
    assert (states[keys[1]]["state"]["status"], states[keys[1]]["state"]["reason"]) == ("rejected", "not_a_claim")
    edited = states[keys[2]]
    assert edited["state"]["status"] == "edited" and edited["state"]["version"] == 2
    assert edited["state"]["edits"] == {"predicate": "associated_with", "certainty": "hedged", "negated": True,
                                        "population": "people with ALS", "sample_size": 12,
                                        "claim_key": "patients|associated_with|treg infusions"}
    assert edited["state"]["comment"] == "predicate checked with Bob"
    assert edited["effective"]["predicate"] == "associated_with"
    assert edited["state"]["curator"] == "Ann Curator"

    page = client.get(f"/facts/{keys[2]}?status=all").text
    assert "NOT associated_with" in page and "people with ALS" in page and "predicate checked with Bob" in page
    audit = client.get("/audit").text
    assert audit.count("<td>Ann Curator</td>") == 4
    assert "<strong>status</strong>: pending &rarr; rejected" in audit
    assert "<strong>reason</strong>: — &rarr; not_a_claim" in audit
    assert client.get(f"/audit?key={keys[1]}").text.count("<td>Ann Curator</td>") == 1
    # bad requests change nothing
    assert post(client, keys[3], "reject", token).status_code == 400
    assert post(client, keys[3], "edit", token, predicate="cures").status_code == 400
    assert post(client, keys[3], "launch", token).status_code == 404
    assert client.get(f"/api/facts/{keys[3]}").json()["state"]["version"] == 0


def test_stale_write_gets_409_with_the_current_state(setup):
    app, token, key = setup["app"], setup["token"], queue_keys(setup["client"])[0]
    ann = setup["client"]
    bob = TestClient(app, base_url=BASE)
    bob_token = login(bob, "Bob")
    # both read version 0; Ann writes first
    assert post(ann, key, "accept", token).status_code == 303
    response = bob.post(f"/facts/{key}/reject", data={"csrf_token": bob_token, "version": 0, "reason": "duplicate"},
                        headers={"accept": "application/json"})
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "conflict" and "Ann Curator" in body["message"]
    assert body["current"]["status"] == "accepted" and body["current"]["version"] == 1
    # the HTML form gets the same, as a page that carries the current version
    response = post(bob, key, "reject", bob_token, reason="duplicate")
    assert response.status_code == 409
    assert "Not saved" in response.text and "Current state: <strong>accepted</strong> by Ann Curator" in response.text
    assert 'name="version" value="1"' in response.text
    assert ann.get(f"/api/facts/{key}").json()["state"]["status"] == "accepted"
    # re-submitting with the version just read works
    assert post(bob, key, "reject", bob_token, version=1, reason="duplicate").status_code == 303
    assert ann.get(f"/api/facts/{key}").json()["state"]["curator"] == "Bob"


def test_writes_need_the_csrf_token_of_the_session(setup):
    client, key = setup["client"], queue_keys(setup["client"])[0]
    assert client.post(f"/facts/{key}/accept", data={"version": 0}).status_code == 403
    assert client.post(f"/facts/{key}/accept", data={"version": 0, "csrf_token": "0" * 64}).status_code == 403
    other = TestClient(setup["app"], base_url=BASE)
    other_token = csrf(other)
    assert client.post(f"/facts/{key}/accept", data={"version": 0, "csrf_token": other_token}).status_code == 403
    assert TestClient(setup["app"], base_url=BASE).post(
        "/curator", data={"csrf_token": setup["token"], "name": "Mallory"}).status_code == 403
    assert client.get(f"/api/facts/{key}").json()["state"]["version"] == 0
    assert client.post(f"/facts/{key}/accept", data={"version": 0},
                       headers={"x-csrf-token": setup["token"]}, follow_redirects=False).status_code == 303


def test_only_local_host_names_and_safe_headers(setup):
    client = setup["client"]
    assert TestClient(setup["app"], base_url="http://evil.example").get("/queue").status_code == 400
    headers = client.get("/queue").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    cookie = next(c for c in client.cookies.jar if c.name == "alsfacts_session")
    assert cookie.has_nonstandard_attr("HttpOnly")


def test_untrusted_text_is_escaped_everywhere(setup):
    client, token, db = setup["client"], setup["token"], setup["db"]
    key = key_of(db, "Riluzole slowed", "decreases")
    other = key_of(db, "Tregs were lower", "lower_in")
    post(client, key, "comment", token, comment='<b onmouseover="alert(3)">x</b>')
    evil = TestClient(setup["app"], base_url=BASE)
    evil_token = csrf(evil)
    evil.post("/curator", data={"csrf_token": evil_token, "name": "<script>alert(4)</script>"})
    post(evil, other, "accept", evil_token)
    for url in (f"/facts/{key}?status=all", f"/facts/{other}?status=all", "/documents/payload.html",
                "/documents", "/queue?status=all", "/audit", "/claims/MESH:D050378|lower_in|MESH:D000690"):
        page = client.get(url).text
        assert "<script>alert" not in page and "<img" not in page and "onmouseover=\"" not in page, url
        assert page.count("<script") == 1, url  # only the app's own script tag
    doc = client.get("/documents/payload.html").text
    assert html.escape(seed_run.SCRIPT, quote=False) in doc and html.escape(seed_run.IMG, quote=False) in doc
    assert "Hostile &lt;script&gt;alert(1)&lt;/script&gt; title" in doc
    fact = client.get(f"/facts/{key}?status=all").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in fact  # in the sentence and in the population field
    assert "&lt;b onmouseover=&#34;alert(3)&#34;&gt;x&lt;/b&gt;" in fact
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in client.get("/audit").text


def test_reloading_the_same_run_keeps_everything(setup):
    client, token = setup["client"], setup["token"]
    keys = queue_keys(client)
    post(client, keys[0], "accept", token)
    before = (client.get("/audit").text, [client.get(f"/api/facts/{k}").json() for k in keys])
    summary = store.load_run(setup["run"], setup["db"])
    assert summary["changed"] is False
    after = (client.get("/audit").text, [client.get(f"/api/facts/{k}").json() for k in keys])
    assert after == before


def test_decisions_survive_a_changed_run_and_orphans_are_shown(setup):
    client, token, db = setup["client"], setup["token"], setup["db"]
    gone = key_of(db, "in a mouse model of ALS", "decreases")
    accepted = key_of(db, "Treg infusions were safe", "safe_in")
    rejected = key_of(db, "Scientists now think", "negatively_correlated_with")
    post(client, gone, "accept", token)
    post(client, accepted, "accept", token)
    post(client, rejected, "reject", token, reason="negation_certainty")

    store.load_run(seed_run.write_run(setup["tmp"] / "run2", drop_facts=(2,)), db)
    assert queue_keys(client, "status=orphaned") == [gone]
    assert gone not in queue_keys(client, "status=all")
    page = client.get(f"/facts/{gone}?status=orphaned").text
    assert "is <strong>orphaned</strong>" in page and '<dd id="status">accepted</dd>' in page
    assert client.get(f"/api/facts/{gone}").json()["orphaned"] is True
    assert client.get(f"/api/facts/{accepted}").json()["state"]["status"] == "accepted"
    assert client.get(f"/api/facts/{rejected}").json()["state"]["reason"] == "negation_certainty"
    claim = client.get("/claims/MESH:D050378|decreases|MESH:D018450").text
    assert f'data-key="{gone}"' in claim and "orphaned" in claim


def test_document_view_lists_facts_in_text_order(setup):
    page = setup["client"].get("/documents/als_news_tregs.txt").text
    keys = re.findall(r'class="fact-row" data-key="([0-9a-f]+)"', page)
    conn = store.connect(setup["db"])
    starts = [store.get_fact(conn, k)["sentence_start"] for k in keys]
    assert len(keys) == len(seed_run.SEED_FACTS) and starts == sorted(starts)
    text = re.search(r'<div id="doc-text" class="doc-text">(.*?)</div>', page, re.S).group(1)
    assert '<mark class="subj">Treg infusions</mark>' in text
    assert html.unescape(re.sub(r"</?mark[^>]*>", "", text)) == seed_run.SEED.read_text(encoding="utf-8")


# ---------------------------------------------------------------- CLI and export

@pytest.fixture
def cli():
    app = typer.Typer()
    register(app)
    return app


def test_cli_load_and_export_with_filters(tmp_path, cli, setup):
    runner, client, token = CliRunner(), setup["client"], setup["token"]
    db = tmp_path / "cli.db"
    result = runner.invoke(cli, ["load", str(setup["run"]), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["facts"]["new"] == len(seed_run.SEED_FACTS) + len(seed_run.PAYLOAD_FACTS)
    assert json.loads(runner.invoke(cli, ["load", str(setup["run"]), "--db", str(db)]).output)["changed"] is False

    keys = queue_keys(client)
    post(client, keys[0], "accept", token)
    post(client, keys[1], "reject", token, reason="duplicate", note="same as the trial fact")
    post(client, keys[2], "edit", token, predicate="treats", certainty="hedged")
    post(client, keys[2], "comment", token, version=1, comment="checked")

    out = tmp_path / "export"
    result = runner.invoke(cli, ["export", str(setup["db"]), "--out", str(out), "--status", "accepted,edited"])
    assert result.exit_code == 0, result.output
    parquet = pd.read_parquet(out / "curated_facts.parquet")
    csv = pd.read_csv(out / "curated_facts.csv", keep_default_na=False)
    assert list(parquet.columns) == EXPORT_COLUMNS == list(csv.columns)
    assert sorted(parquet["status"]) == ["accepted", "edited"]
    edited = parquet[parquet["status"] == "edited"].iloc[0]
    assert edited["predicate"] == "treats" and edited["certainty"] == "hedged" and edited["comment"] == "checked"
    assert edited["curator"] == "Ann Curator" and edited["decided_at"]
    assert json.loads(edited["edited_fields"])["predicate"]["to"] == "treats"
    assert parquet["negated"].dtype == bool and parquet["subject_start"].dtype == "int64"

    runner.invoke(cli, ["export", str(setup["db"]), "--out", str(out), "--status", "rejected"])
    rejected = pd.read_parquet(out / "curated_facts.parquet")
    assert list(rejected["reason"]) == ["duplicate"] and list(rejected["note"]) == ["same as the trial fact"]
    runner.invoke(cli, ["export", str(setup["db"]), "--out", str(out), "--predicate", "treats"])
    assert list(pd.read_parquet(out / "curated_facts.parquet")["content_key"]) == [keys[2]]  # the curated value
    runner.invoke(cli, ["export", str(setup["db"]), "--out", str(out), "--predicate", "decreases",
                        "--min-confidence", "0.7"])
    assert sorted(pd.read_parquet(out / "curated_facts.parquet")["confidence"]) == [0.71, 0.77, 0.95]
    runner.invoke(cli, ["export", str(setup["db"]), "--out", str(out)])
    assert len(pd.read_parquet(out / "curated_facts.parquet")) == len(keys)
    result = runner.invoke(cli, ["export", str(setup["db"]), "--out", str(out), "--status", "approved"])
    assert result.exit_code == 2

    # a decision whose fact the latest run no longer has is exported only on request
    gone = key_of(setup["db"], "in a mouse model of ALS", "decreases")
    post(client, gone, "accept", token)
    store.load_run(seed_run.write_run(tmp_path / "run2", drop_facts=(2,)), setup["db"])
    runner.invoke(cli, ["export", str(setup["db"]), "--out", str(out), "--status", "accepted"])
    assert list(pd.read_parquet(out / "curated_facts.parquet")["content_key"]) == [keys[0]]
    runner.invoke(cli, ["export", str(setup["db"]), "--out", str(out), "--status", "accepted", "--include-orphaned"])
    exported = pd.read_parquet(out / "curated_facts.parquet").set_index("content_key")
    assert sorted(exported.index) == sorted([keys[0], gone]) and bool(exported.loc[gone, "orphaned"])


def test_review_command_binds_localhost_and_prints_its_url(tmp_path, cli, setup, monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: calls.append((host, port)))
    result = CliRunner().invoke(cli, ["review", str(setup["db"])])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8765/" in result.output and calls == [("127.0.0.1", 8765)]
    result = CliRunner().invoke(cli, ["review", str(setup["db"]), "--port", "9001", "--host", "0.0.0.0"])
    assert "http://0.0.0.0:9001/" in result.output and calls[-1] == ("0.0.0.0", 9001)
    assert CliRunner().invoke(cli, ["review", str(tmp_path / "missing.db")]).exit_code == 2
