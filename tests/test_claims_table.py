"""The cross-document claims table: agreement, contradictions, curator decisions, bad input.

A small corpus written here: two documents say riluzole slows disease progression, a
third says it does not (negation); two more disagree about the direction of IL-2's
effect on Tregs (opposite polarity). The real pipeline extracts it once per module.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline import store
from pipeline.evidence import EvidenceError, EvidenceIndex, claim_rows, read_run_facts, write_claims
from pipeline.extract import run_extract
from pipeline.nlp import shared_nlp
from pipeline.schema import CLAIM_COLUMNS

CORPUS = {
    "a.txt": "Riluzole slowed disease progression in patients with ALS.\n",
    "b.txt": "In a phase 3 trial of 959 patients, riluzole slowed disease progression.\n",
    "c.txt": "In mice, riluzole did not slow disease progression.\n",
    "d.txt": "Interleukin-2 increased Treg levels in patients with ALS.\n",
    "e.txt": "In our cohort, interleukin-2 decreased Treg levels.\n",
}
RILUZOLE = "MESH:D019782|decreases|MESH:D018450"
IL2_UP = "HGNC:6001|increases|MESH:D050378"
IL2_DOWN = "HGNC:6001|decreases|MESH:D050378"


def write_corpus(folder: Path, documents: dict[str, str] = CORPUS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("claims")
    out = root / "out"
    run_extract([write_corpus(root / "corpus")], out, nlp=shared_nlp(), cache=False)
    return out


def claims_by_key(out: Path) -> dict[str, dict]:
    return {row["claim_key"]: row for row in pd.read_parquet(out / "claims.parquet").to_dict("records")}


def test_extract_writes_the_claims_table_with_exact_counts(run):
    claims = claims_by_key(run)
    assert list(pd.read_parquet(run / "claims.parquet").columns) == CLAIM_COLUMNS
    riluzole = claims[RILUZOLE]
    # two documents agree, one (negated, in mice) contradicts
    assert riluzole["agreement"] == "contradicted"
    assert (riluzole["n_documents"], riluzole["n_sentences"], riluzole["n_facts"]) == (3, 3, 3)
    assert (riluzole["n_supporting_documents"], riluzole["n_contradicting_documents"]) == (2, 1)
    assert riluzole["n_negated"] == 1 and riluzole["n_direct_causal"] == 3 and riluzole["n_asserted"] == 3
    assert list(riluzole["doc_ids"]) == ["a.txt", "b.txt", "c.txt"]
    assert list(riluzole["contradicting_claims"]) == [f"not {RILUZOLE}"]
    assert list(riluzole["species"]) == ["NCBITaxon:10090"]
    assert list(riluzole["study_types"]) == ["animal_model", "clinical_trial"]
    assert (riluzole["subject_name"], riluzole["subject_type"], riluzole["polarity"]) == (
        "Riluzole", "CHEMICAL_OR_DRUG", "negative")
    # opposite polarity on the same pair: each contradicts the other
    assert claims[IL2_UP]["agreement"] == claims[IL2_DOWN]["agreement"] == "contradicted"
    assert list(claims[IL2_UP]["contradicting_claims"]) == [IL2_DOWN]
    assert list(claims[IL2_DOWN]["contradicting_claims"]) == [IL2_UP]
    # the rest (what a.txt and d.txt say about the patients with ALS) is said once, so nothing disputes it
    supported = [k for k, row in claims.items() if row["agreement"] == "supported"]
    assert supported and set(supported) == set(claims) - {RILUZOLE, IL2_UP, IL2_DOWN}
    for k in supported:
        assert claims[k]["n_documents"] == 1 and list(claims[k]["doc_ids"])[0] in ("a.txt", "d.txt")
        assert claims[k]["object_id"] == "MESH:D000690" and not list(claims[k]["contradicting_claims"])
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["rows"]["claims"] == len(claims) == 3 + len(supported)


def test_claims_csv_matches_parquet_with_json_lists(run):
    csv_rows = pd.read_csv(run / "claims.csv", keep_default_na=False).to_dict("records")
    parquet_rows = pd.read_parquet(run / "claims.parquet").to_dict("records")
    assert [r["claim_key"] for r in csv_rows] == [r["claim_key"] for r in parquet_rows]
    for csv_row, parquet_row in zip(csv_rows, parquet_rows):
        assert json.loads(csv_row["fact_ids"]) == list(parquet_row["fact_ids"])
        assert csv_row["n_documents"] == parquet_row["n_documents"]


def test_claim_keys_are_the_facts_claim_keys(run):
    facts = read_run_facts(run)
    assert {row["claim_key"] for row in claim_rows(facts)} == {f["claim_key"] for f in facts}


def test_fact_agreement_is_symmetric(run):
    facts = read_run_facts(run)
    index = EvidenceIndex(facts)
    negated = next(f for f in facts if f["negated"])
    view = index.of_fact(negated)
    assert view.agree == [] and view.contradict_documents == ["a.txt", "b.txt"]
    asserted = next(f for f in facts if f["doc_id"] == "a.txt")
    view = index.of_fact(asserted)
    assert view.agree_documents == ["b.txt"] and view.contradict_documents == ["c.txt"]


def test_a_rejected_fact_is_not_evidence(run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(run, out)
    db = tmp_path / "facts.db"
    store.load_run(out, db)
    conn = store.connect(db)
    key = conn.execute("SELECT content_key FROM facts WHERE doc_id = 'c.txt'").fetchone()[0]
    store.decide(conn, key, "reject", 0, "tester", {"reason": "negation_certainty"})
    conn.close()
    result = write_claims(out, db=db)
    assert result["rejected_facts"] == 1 and result["contradicted"] == 2
    riluzole = claims_by_key(out)[RILUZOLE]
    assert riluzole["agreement"] == "supported"
    assert (riluzole["n_documents"], riluzole["n_supporting_documents"], riluzole["n_negated"]) == (2, 2, 0)


def test_a_database_from_another_run_is_refused(run, tmp_path):
    other = tmp_path / "other"
    run_extract([write_corpus(tmp_path / "other_corpus", {"x.txt": "Edaravone slowed functional decline.\n"})],
                other, nlp=shared_nlp(), cache=False)
    db = tmp_path / "other.db"
    store.load_run(other, db)
    out = tmp_path / "out"
    shutil.copytree(run, out)
    before = (out / "claims.parquet").read_bytes()
    with pytest.raises(EvidenceError, match="another run"):
        write_claims(out, db=db)
    assert (out / "claims.parquet").read_bytes() == before
    assert not list(out.glob(".*partial"))


def test_bad_run_folders_get_clear_messages(run, tmp_path):
    with pytest.raises(EvidenceError, match="no facts.parquet"):
        write_claims(tmp_path)
    out = tmp_path / "out"
    shutil.copytree(run, out)
    (out / "facts.parquet").write_bytes(b"PAR1 this is not parquet")
    before = (out / "claims.csv").read_bytes()
    with pytest.raises(EvidenceError, match="facts.parquet: not a readable Parquet file"):
        write_claims(out)
    assert (out / "claims.csv").read_bytes() == before and not list(out.glob(".*partial"))
