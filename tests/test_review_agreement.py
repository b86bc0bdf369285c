"""Agreement across documents in the review app: claim view side by side, fact page counts, queue.

The run: two documents say riluzole slows disease progression, a third says it does not;
two disagree about the direction of IL-2's effect on Tregs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pipeline import store
from pipeline.extract import run_extract
from pipeline.nlp import shared_nlp
from pipeline.review import create_app

from test_claims_table import RILUZOLE, write_corpus  # noqa: E402  (the same small corpus)

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("agreement")
    run_extract([write_corpus(root / "corpus")], root / "out", nlp=shared_nlp(), cache=False)
    return root / "out"


@pytest.fixture
def client(run, tmp_path):
    db = tmp_path / "facts.db"
    store.load_run(run, db)
    client = TestClient(create_app(db), base_url="http://127.0.0.1")
    token = TOKEN.search(client.get("/curator").text).group(1)
    client.post("/curator", data={"csrf_token": token, "name": "Ann Curator", "next": "/queue"})
    client.db, client.token = db, token
    return client


def key_of(db: Path, doc_id: str, predicate: str) -> str:
    conn = store.connect(db)
    try:
        return conn.execute("SELECT content_key FROM facts WHERE doc_id = ? AND predicate = ?",
                            (doc_id, predicate)).fetchone()[0]
    finally:
        conn.close()


def test_claim_view_shows_supporting_and_contradicting_evidence_side_by_side(client):
    html = client.get(f"/claims/{RILUZOLE}").text
    assert "2 documents agree" in html and "1 contradicts" in html
    assert f"<code>not {RILUZOLE}</code>" in html
    supporting, contradicting = html.split('id="supporting"')[1].split('id="contradicting"')
    keys = {doc: key_of(client.db, doc, "decreases") for doc in ("a.txt", "b.txt", "c.txt")}
    assert keys["a.txt"] in supporting and keys["b.txt"] in supporting and keys["c.txt"] not in supporting
    assert keys["c.txt"] in contradicting.split("All facts of this claim")[0]
    assert "NOT decreases" in contradicting and "direct_causal" in supporting and "pending" in supporting


def test_fact_page_says_how_many_documents_agree_and_contradict(client):
    key = key_of(client.db, "a.txt", "decreases")
    html = client.get(f"/facts/{key}").text
    agreement = html[html.index('id="agreement"'):]
    assert re.search(r">2 documents agree</a>,\s*<a [^>]*>1 contradicts</a>", agreement)
    assert f'href="/claims/{RILUZOLE.replace("|", "%7C").replace(":", "%3A")}#contradicting"' in agreement
    assert f'href="/facts/{key_of(client.db, "c.txt", "decreases")}?status=all"' in agreement


def test_queue_filters_and_sorts_by_agreement(client):
    def rows(query):
        return re.findall(r'<tr class="fact-row" data-key="([0-9a-f]+)"', client.get(f"/queue?{query}").text)

    everything = rows("status=all")
    contradicted = rows("status=all&agreement=contradicted")
    supported = rows("status=all&agreement=supported")
    # riluzole's three facts and IL-2's two contradict; the rest of d.txt's facts are said once
    assert len(contradicted) == 5 and len(supported) == len(everything) - 5 >= 1
    assert set(contradicted + supported) == set(everything)
    assert key_of(client.db, "d.txt", "higher_in") in supported
    first = rows("status=all&agreement_sort=contradicted_first")
    assert set(first[:5]) == set(contradicted)
    assert 'value="contradicted" selected' in client.get("/queue?status=all&agreement=contradicted").text
    page = client.get("/queue?status=all&agreement=contradicted").text
    assert re.search(r'id="total">5 facts<', page)
    assert re.search(r'class="badge agreement contradicted" title="\d+ documents? agrees?, 1 contradicts?">contradicted<', page)
    assert client.get("/queue?status=all&agreement=disputed").status_code == 400
    assert client.get("/queue?status=all&agreement_sort=" + "x" * 300).status_code == 400
    fact = client.get(f"/facts/{first[0]}?status=all&agreement_sort=contradicted_first").text
    assert f'<span id="position">1 of {len(everything)}</span>' in fact
    fact = client.get(f"/facts/{supported[0]}?status=all&agreement=supported").text
    assert f'<span id="position">1 of {len(supported)}</span>' in fact


def test_a_rejected_fact_stops_contradicting(client):
    rejected = key_of(client.db, "c.txt", "decreases")
    response = client.post(f"/facts/{rejected}/reject", data={"csrf_token": client.token, "version": "0",
                                                              "reason": "negation_certainty", "queue": ""})
    assert response.status_code in (200, 303)
    html = client.get(f"/facts/{key_of(client.db, 'a.txt', 'decreases')}").text
    assert re.search(r">2 documents agree</a>,\s*<a [^>]*>0 contradict</a>", html)


def test_queue_agreement_table_matches_each_facts_agreement(client):
    """The queue's agreement table (worked out per claim) equals the fact page's agreement, fact by fact."""
    from pipeline.review import agreement

    def check(conn):
        agreement.prepare_filter(conn, store.FactFilter(status="all", agreement="supported"))
        table = {row[0]: tuple(row[1:]) for row in conn.execute("SELECT * FROM temp.fact_agreement")}
        facts = store.list_facts(conn, store.FactFilter(status="all"))
        assert set(table) == {f["content_key"] for f in facts} and len(facts) >= 6
        for fact in facts:
            view = agreement.fact_agreement(conn, fact)
            assert table[fact["content_key"]] == (view["agreement"], len(view["agree_documents"]),
                                                  len(view["contradict_documents"])), fact["sentence"]
        return table

    conn = store.connect(client.db)
    try:
        before = check(conn)
        rejected = key_of(client.db, "c.txt", "decreases")
        store.decide(conn, rejected, "reject", 0, "tester", {"reason": "negation_certainty"})
        after = check(conn)
    finally:
        conn.close()
    assert before[rejected] == ("contradicted", 1, 2) and after[rejected] == ("contradicted", 0, 2)
    assert sum(a == "contradicted" for a, _, _ in before.values()) == 5
    assert sum(a == "contradicted" for a, _, _ in after.values()) == 3  # c.txt itself and the IL-2 pair


def test_queue_badges_are_cached_until_a_decision_changes_the_store(client, monkeypatch):
    """Agreement is worked out once per store state: repeated pages reuse it, a decision renews it."""
    from pipeline.review import agreement

    builds = []
    build = agreement._build_index
    monkeypatch.setattr(agreement, "_build_index", lambda conn: builds.append(1) or build(conn))
    agreement.CACHE.clear()
    supported = key_of(client.db, "a.txt", "decreases")

    def badge() -> str:
        page = client.get("/queue?status=all&sort=document").text
        row = page[page.index(f'data-key="{supported}"'):]
        return re.search(r'class="badge agreement (\w+)" title="([^"]+)"', row).groups()

    assert badge() == ("contradicted", "2 documents agree, 1 contradicts")
    assert badge() == ("contradicted", "2 documents agree, 1 contradicts")
    assert len(builds) == 1
    rejected = key_of(client.db, "c.txt", "decreases")
    response = client.post(f"/facts/{rejected}/reject", data={"csrf_token": client.token, "version": "0",
                                                              "reason": "negation_certainty", "queue": ""})
    assert response.status_code in (200, 303)
    assert badge() == ("supported", "2 documents agree, 0 contradict")
    assert len(builds) == 2
    response = client.post(f"/facts/{rejected}/reset", data={"csrf_token": client.token, "version": "1", "queue": ""})
    assert response.status_code in (200, 303)
    assert badge() == ("contradicted", "2 documents agree, 1 contradicts")
    assert len(builds) == 3
