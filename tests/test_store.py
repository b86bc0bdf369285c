"""The curation store: loading runs, content-keyed decisions, conflicts, audit log."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "review"))
import seed_run  # noqa: E402

from pipeline import store  # noqa: E402

DATA_TABLES = ["documents", "sentences", "entities", "facts", "decisions", "audit", "runs"]


def dump(db_path: Path) -> dict:
    conn = sqlite3.connect(db_path)
    try:
        return {t: sorted(map(tuple, conn.execute(f"SELECT * FROM {t}").fetchall()), key=repr) for t in DATA_TABLES}
    finally:
        conn.close()


@pytest.fixture
def run_dir(tmp_path) -> Path:
    return seed_run.write_run(tmp_path / "run1")


@pytest.fixture
def db(tmp_path, run_dir) -> Path:
    path = tmp_path / "facts.db"
    store.load_run(run_dir, path)
    return path


def keys_by_sentence(conn) -> dict[str, str]:
    return {f"{r['sentence'][:30]}|{r['predicate']}": r["content_key"]
            for r in conn.execute("SELECT sentence, predicate, content_key FROM facts")}


def test_load_creates_a_wal_store_with_every_row(tmp_path, run_dir):
    db_path = tmp_path / "facts.db"
    summary = store.load_run(run_dir, db_path)
    n_facts = len(seed_run.SEED_FACTS) + len(seed_run.PAYLOAD_FACTS)
    assert summary["documents"] == {"added": 2, "updated": 0, "unchanged": 0}
    assert summary["facts"]["new"] == n_facts and summary["changed"] is True
    conn = store.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT COUNT(*) FROM facts WHERE present = 1").fetchone()[0] == n_facts
    seed = store.get_document(conn, "als_news_tregs.txt")
    assert seed["text"] == seed_run.SEED.read_text(encoding="utf-8")
    # offsets survive the round trip: the document text at the stored offsets is the argument
    for fact in conn.execute("SELECT * FROM facts WHERE doc_id = 'als_news_tregs.txt'"):
        assert seed["text"][fact["subject_start"]:fact["subject_end"]] == fact["subject_text"]
        assert seed["text"][fact["object_start"]:fact["object_end"]] == fact["object_text"]
    conn.close()


def test_loading_the_same_run_twice_changes_nothing(db, run_dir):
    conn = store.connect(db)
    key = next(iter(keys_by_sentence(conn).values()))
    store.decide(conn, key, "accept", 0, "Ann")
    conn.close()
    before = dump(db)
    summary = store.load_run(run_dir, db)
    assert summary["changed"] is False
    assert summary["facts"]["new"] == summary["facts"]["updated"] == summary["facts"]["gone"] == 0
    assert dump(db) == before


def test_csv_only_output_loads_to_the_same_content_keys(tmp_path, db, run_dir):
    csv_only = tmp_path / "csv_only"
    shutil.copytree(run_dir, csv_only)
    for parquet in csv_only.glob("*.parquet"):
        parquet.unlink()
    other = tmp_path / "other.db"
    store.load_run(csv_only, other)
    a, b = store.connect(db), store.connect(other)
    assert keys_by_sentence(a) == keys_by_sentence(b)
    assert [dict(r) for r in a.execute("SELECT * FROM facts ORDER BY content_key")] == \
           [dict(r) for r in b.execute("SELECT * FROM facts ORDER BY content_key")]


def test_decisions_follow_content_across_a_changed_run(tmp_path, db):
    conn = store.connect(db)
    keys = keys_by_sentence(conn)
    dropped = keys["Further, in a mouse model of A|decreases"]
    kept = keys["ALS patients were found to hav|lower_in"]
    store.decide(conn, dropped, "accept", 0, "Ann")
    store.decide(conn, kept, "reject", 0, "Ann", {"reason": "not_a_claim", "note": "background"})

    summary = store.load_run(seed_run.write_run(tmp_path / "run2", drop_facts=(2,)), db)
    assert summary["facts"]["gone"] == 1
    assert summary["decisions"] == {"attached": 1, "orphaned": 1}
    assert store.get_fact(conn, kept)["status"] == "rejected"
    orphan = store.get_fact(conn, dropped)
    assert orphan["orphaned"] and orphan["status"] == "accepted"
    assert [f["content_key"] for f in store.list_facts(conn, store.FactFilter(status="orphaned"))] == [dropped]
    assert dropped not in store.queue_keys(conn, store.FactFilter(status="all"))

    # the fact comes back in a later extraction: its decision is attached again
    summary = store.load_run(seed_run.write_run(tmp_path / "run3"), db)
    assert summary["decisions"] == {"attached": 2, "orphaned": 0}
    assert not store.get_fact(conn, dropped)["orphaned"]


def test_a_changed_document_text_orphans_its_decisions_but_keeps_them(tmp_path, db):
    conn = store.connect(db)
    key = keys_by_sentence(conn)["The results showed that Treg i|safe_in"]
    store.decide(conn, key, "accept", 0, "Ann")
    changed = seed_run.SEED.read_text(encoding="utf-8") + "\nAn added closing line.\n"
    summary = store.load_run(seed_run.write_run(tmp_path / "run2", seed_text=changed), db)
    assert summary["documents"]["updated"] == 1
    assert store.get_fact(conn, key)["orphaned"]
    assert store.get_fact(conn, key)["status"] == "accepted"
    assert store.paragraph_of(conn, store.get_fact(conn, key)) is None  # old offsets, new text
    new_key = keys_by_sentence(conn)["The results showed that Treg i|safe_in"]
    assert new_key != key and store.get_fact(conn, new_key)["status"] == "pending"


def test_stale_version_raises_conflict_with_current_state(db):
    conn = store.connect(db)
    key = next(iter(keys_by_sentence(conn).values()))
    store.decide(conn, key, "accept", 0, "Ann")
    with pytest.raises(store.Conflict) as raised:
        store.decide(conn, key, "reject", 0, "Bob", {"reason": "duplicate"})
    assert raised.value.current["status"] == "accepted"
    assert raised.value.current["curator"] == "Ann" and raised.value.current["version"] == 1
    assert "Ann" in str(raised.value)
    assert store.get_fact(conn, key)["status"] == "accepted"
    assert store.decide(conn, key, "reject", 1, "Bob", {"reason": "duplicate"})["status"] == "rejected"


def test_edit_stores_only_changed_fields_and_validates(db):
    conn = store.connect(db)
    key = keys_by_sentence(conn)["The results showed that Treg i|safe_in"]
    form = {"predicate": "safe_in", "negated": "false", "certainty": "hedged", "sample_size": "3",
            "population": "ALS patients", "subject_id": ""}
    state = store.decide(conn, key, "edit", 0, "Ann", form)
    assert state["status"] == "edited"
    assert state["edits"] == {"certainty": "hedged", "population": "ALS patients"}
    fact = store.get_fact(conn, key)
    assert fact["effective"]["certainty"] == "hedged" and fact["certainty"] == "asserted"
    assert [f["content_key"] for f in store.list_facts(conn, store.FactFilter(status="all", certainty="hedged"))
            if f["content_key"] == key] == [key]
    with pytest.raises(store.InvalidDecision):
        store.decide(conn, key, "edit", 1, "Ann", {"predicate": "cures"})
    with pytest.raises(store.InvalidDecision):
        store.decide(conn, key, "edit", 1, "Ann", {"sample_size": "three"})
    with pytest.raises(store.InvalidDecision):
        store.decide(conn, key, "reject", 1, "Ann", {"reason": "because"})
    with pytest.raises(store.InvalidDecision):
        store.decide(conn, key, "accept", 1, "  ")
    assert store.get_fact(conn, key)["version"] == 1


def test_audit_log_records_who_what_when_and_is_append_only(db):
    conn = store.connect(db)
    key = next(iter(keys_by_sentence(conn).values()))
    store.decide(conn, key, "accept", 0, "Ann")
    store.decide(conn, key, "reject", 1, "Bob", {"reason": "wrong_argument", "note": "object is the trial"})
    store.decide(conn, key, "comment", 2, "Bob", {"comment": "check the figure"})
    entries = store.audit_entries(conn, key=key)
    assert [(e["curator"], e["action"]) for e in entries] == [("Bob", "comment"), ("Bob", "reject"), ("Ann", "accept")]
    assert ("status", "accepted", "rejected") in entries[1]["changes"]
    assert ("reason", "", "wrong_argument") in entries[1]["changes"]
    assert entries[0]["changes"] == [("comment", "", "check the figure")]
    assert all(e["at"] for e in entries)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("UPDATE audit SET curator = 'Eve'")
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("DELETE FROM audit")
    assert len(store.audit_entries(conn, key=key)) == 3


def test_paragraph_comes_from_text_or_neighbouring_sentences(tmp_path, db):
    conn = store.connect(db)
    fact = store.get_fact(conn, keys_by_sentence(conn)["ALS patients were found to hav|lower_in"])
    text, start = store.paragraph_of(conn, fact)
    seed = seed_run.SEED.read_text(encoding="utf-8")
    assert text.startswith("ALS patients were found") and text.endswith("slowed the progression of the disease.")
    assert seed[start:start + len(text)] == text

    no_texts = tmp_path / "no_texts.db"
    store.load_run(seed_run.write_run(tmp_path / "bare", with_texts=False), no_texts)
    bare = store.connect(no_texts)
    fact = store.get_fact(bare, fact["content_key"])
    text, start = store.paragraph_of(bare, fact)
    assert fact["sentence"] in text and start < fact["sentence_start"]
    assert "Regulatory T-cells are a type" in text  # two sentences before, across a blank line


def test_racing_writers_with_the_same_version_lose_nothing(db):
    """Curators writing at once from their own connections: one write wins, the others get a Conflict."""
    from concurrent.futures import ThreadPoolExecutor

    conn = store.connect(db)
    key = next(iter(keys_by_sentence(conn).values()))

    def write(name: str) -> str:
        own = store.connect(db)
        try:
            store.decide(own, key, "comment", 0, name, {"comment": f"seen by {name}"})
            return "saved"
        except store.Conflict:
            return "conflict"
        finally:
            own.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(write, [f"curator{i}" for i in range(8)]))
    assert sorted(outcomes) == ["conflict"] * 7 + ["saved"]
    state = store.current_state(conn, key)
    assert state["version"] == 1
    assert [e["curator"] for e in store.audit_entries(conn, key=key)] == [state["comment"].removeprefix("seen by ")]
