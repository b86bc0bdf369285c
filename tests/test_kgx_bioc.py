"""KGX (Biolink) and BioC exports of a real extraction of the embedded corpus, and BioC input.

KGX files are checked against the Biolink Model shipped in the `biolink-model` package,
with the Biolink Model Toolkit (`bmt`), offline: categories, predicates, qualifier values,
enum values and every column a Biolink slot or one of our documented extra properties.
(The `kgx` package itself cannot be installed next to typer: it pins click<8.2.)
"""

from __future__ import annotations

import csv
import importlib.resources
import json
import shutil
from pathlib import Path

import pytest

from pipeline import store
from pipeline.export import ExportError, export_formats, export_source
from pipeline.extract import run_extract
from pipeline.ingest import iter_documents
from pipeline.nlp import shared_nlp

ROOT = Path(__file__).resolve().parents[1]
EXTRA_EDGE_PROPERTIES = {"agreement", "strength", "certainty"}  # ours, documented in the README


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("kgx") / "out"
    run_extract([ROOT / "corpora"], out, nlp=shared_nlp(), cache=False)
    return out


@pytest.fixture(scope="module")
def toolkit():
    from bmt import Toolkit

    schema = importlib.resources.files("biolink_model") / "schema" / "biolink_model.yaml"
    return Toolkit(str(schema), predicate_map={"predicate mappings": []})


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_kgx_export_is_valid_biolink(run, tmp_path, toolkit):
    summary = export_formats(run, tmp_path, "kgx")
    nodes, edges = read_tsv(tmp_path / "nodes.tsv"), read_tsv(tmp_path / "edges.tsv")
    claims = json.loads((run / "manifest.json").read_text())["rows"]["claims"]
    assert summary.startswith(f"{len(nodes)} nodes, {len(edges)} edges") and len(edges) == claims
    node_ids = {n["id"] for n in nodes}
    assert len(node_ids) == len(nodes)
    for column in list(nodes[0]) + list(edges[0]):
        assert column in EXTRA_EDGE_PROPERTIES or toolkit.get_element(column) is not None, column
    for node in nodes:
        assert toolkit.is_category(node["category"]), node
    assert {n["category"] for n in nodes} >= {"biolink:Cell", "biolink:Disease", "biolink:Gene",
                                              "biolink:ChemicalEntity"}
    for edge in edges:
        assert edge["subject"] in node_ids and edge["object"] in node_ids
        assert toolkit.is_predicate(edge["predicate"]) and toolkit.is_predicate(edge["original_predicate"]) is False
        for qualifier in ("qualified_predicate", "object_direction_qualifier", "object_aspect_qualifier",
                          "subject_aspect_qualifier"):
            if edge[qualifier]:
                assert toolkit.is_qualifier(qualifier)
                if qualifier == "qualified_predicate":
                    assert toolkit.is_predicate(edge[qualifier])
                else:
                    assert toolkit.validate_qualifier(f"biolink:{qualifier}", edge[qualifier]), edge
        assert toolkit.is_permissible_value_of_enum("KnowledgeLevelEnum", edge["knowledge_level"])
        assert toolkit.is_permissible_value_of_enum("AgentTypeEnum", edge["agent_type"])
        assert int(edge["evidence_count"]) == len(edge["supporting_text"].split("|")) or "|" not in edge["supporting_text"]
    il2 = next(e for e in edges if e["subject"] == "HGNC:6001")
    assert (il2["predicate"], il2["qualified_predicate"], il2["object_direction_qualifier"]) == (
        "biolink:affects", "biolink:causes", "increased")
    treg_progression = next(e for e in edges if (e["subject"], e["object"]) == ("MESH:D050378", "MESH:D018450")
                            and e["original_predicate"] == "alsfacts:decreases")
    # at least three sentences in two documents say that Tregs slow progression (the claim classifier
    # may also read "cell therapy using regulatory T-cells … slowing the progression of ALS" so)
    assert int(treg_progression["evidence_count"]) >= 3
    assert treg_progression["publications"].split("|") == ["alsfacts.document:als_news_tregs.txt",
                                                           "alsfacts.document:als_therapies_overview.md"]


def test_kgx_curated_only_from_the_review_database(run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(run, out)
    db = tmp_path / "facts.db"
    store.load_run(out, db)
    conn = store.connect(db)
    keys = [r[0] for r in conn.execute("SELECT content_key FROM facts WHERE claim_key = ?",
                                       ("HGNC:6001|increases|MESH:D050378",))]
    rejected = conn.execute("SELECT content_key FROM facts WHERE claim_key = ?",
                            ("MESH:D019782|treats|MESH:D000690",)).fetchone()[0]
    store.decide(conn, keys[0], "accept", 0, "tester")
    store.decide(conn, rejected, "reject", 0, "tester", {"reason": "not_a_claim"})
    conn.close()
    export_formats(db, tmp_path / "curated", "kgx", curated_only=True)
    edges = read_tsv(tmp_path / "curated" / "edges.tsv")
    assert [(e["subject"], e["object"]) for e in edges] == [("HGNC:6001", "MESH:D050378")]
    export_formats(db, tmp_path / "all", "kgx")
    everything = read_tsv(tmp_path / "all" / "edges.tsv")
    assert len(everything) == len(read_tsv(_kgx_of_run(run, tmp_path))) - 1  # the rejected claim is gone
    with pytest.raises(ExportError, match="run folder has no curator decisions"):
        export_formats(run, tmp_path / "x", "kgx", curated_only=True)


def _kgx_of_run(run: Path, tmp_path: Path) -> Path:
    export_formats(run, tmp_path / "run_kgx", "kgx")
    return tmp_path / "run_kgx" / "edges.tsv"


def test_bioc_export_round_trips(run, tmp_path):
    from bioc import biocjson, biocxml

    export_formats(run, tmp_path, "bioc")
    documents, entities, facts = export_source(run)
    texts = {d["doc_id"]: d["text"] for d in documents}
    with open(tmp_path / "documents.bioc.xml", encoding="utf-8") as handle:
        from_xml = biocxml.load(handle)
    with open(tmp_path / "documents.bioc.json", encoding="utf-8") as handle:
        from_json = biocjson.load(handle)
    for collection in (from_xml, from_json):
        assert [d.id for d in collection.documents] == list(texts)
        relations = 0
        for document in collection.documents:
            passage = document.passages[0]
            assert passage.text == texts[document.id] and passage.offset == 0
            annotations = {a.id: a for a in passage.annotations}
            for annotation in passage.annotations:
                location = annotation.total_span
                assert passage.text[location.offset:location.end] == annotation.text
            for relation in passage.relations:
                relations += 1
                fact = next(f for f in facts if f["doc_id"] == document.id
                            and f["fact_id"] == relation.infons["fact_id"])
                assert relation.infons["type"] == fact["predicate"]
                roles = {node.role: annotations[node.refid] for node in relation.nodes}
                assert roles["subject"].text == fact["subject_text"] and roles["object"].text == fact["object_text"]
        assert relations == len(facts)
        n_entities = sum(1 for a in collection.documents[0].passages[0].annotations if "role" not in a.infons)
        assert n_entities == sum(1 for e in entities if e["doc_id"] == collection.documents[0].id)
    # and our own reader takes the export back as input, with the same texts and offsets
    for name in ("documents.bioc.xml", "documents.bioc.json"):
        read_back = list(iter_documents([tmp_path / name]))
        assert {d.doc_id: d.text for d in read_back} == texts and all(d.status == "ok" for d in read_back)


def test_bioc_input_keeps_passage_offsets(tmp_path):
    title, abstract = "Tregs in ALS.", "Interleukin-2 increased Treg levels in patients with ALS."
    collection = {"source": "PubTator", "date": "", "key": "", "infons": {}, "documents": [{
        "id": "34567890", "infons": {}, "relations": [], "annotations": [], "passages": [
            {"offset": 0, "infons": {"type": "title"}, "text": title, "sentences": [], "annotations": [],
             "relations": []},
            {"offset": 20, "infons": {"type": "abstract"}, "text": abstract, "sentences": [],
             "annotations": [{"id": "1", "infons": {"type": "Gene", "identifier": "3558"},
                              "text": "Interleukin-2", "locations": [{"offset": 20, "length": 13}]}],
             "relations": []}]}]}
    path = tmp_path / "pubtator.json"
    path.write_text(json.dumps(collection), encoding="utf-8")
    (document,) = iter_documents([path])
    assert document.status == "ok" and document.doc_id == "34567890" and document.title == title
    assert document.text[20:33] == "Interleukin-2" and document.text == title + "\n" * 7 + abstract
    out = tmp_path / "out"
    run_extract([path], out, nlp=shared_nlp(), cache=False)
    facts, = (export_source(out)[2],)
    il2 = next(f for f in facts if f["subject_id"] == "HGNC:6001")
    assert (il2["subject_start"], il2["subject_end"]) == (20, 33)


def test_bad_bioc_files_become_error_documents(tmp_path):
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "broken.xml").write_text("<collection><document><id>1</id>", encoding="utf-8")
    (tmp_path / "empty.xml").write_text("<collection><source/><date/><key/></collection>", encoding="utf-8")
    documents = {d.doc_id: d for d in iter_documents([tmp_path])}
    assert documents["list.json"].status == "error" and "not a BioC JSON collection" in documents["list.json"].error
    assert "malformed BioC XML" in documents["broken.xml"].error
    assert "collection is empty" in documents["empty.xml"].error


def test_export_command_takes_scope_and_format_together(run, tmp_path):
    """`export`: --curated-only is --scope curated for every format; table-only filters are refused for kgx."""
    import typer
    from typer.testing import CliRunner

    from pipeline.review.commands import register

    cli = typer.Typer()
    register(cli)
    db = tmp_path / "facts.db"
    store.load_run(run, db)
    conn = store.connect(db)
    accepted, rejected = [r[0] for r in conn.execute("SELECT content_key FROM facts ORDER BY content_key LIMIT 2")]
    store.decide(conn, accepted, "accept", 0, "tester")
    store.decide(conn, rejected, "reject", 0, "tester", {"reason": "not_a_claim"})
    conn.close()
    runner = CliRunner()

    def export(*args):
        return runner.invoke(cli, ["export", str(db), *args])

    assert export("--out", str(tmp_path / "scope"), "--format", "kgx", "--scope", "curated").exit_code == 0
    assert export("--out", str(tmp_path / "only"), "--format", "kgx", "--curated-only").exit_code == 0
    scoped = read_tsv(tmp_path / "scope" / "edges.tsv")
    assert len(scoped) == 1 and scoped == read_tsv(tmp_path / "only" / "edges.tsv")
    result = export("--out", str(tmp_path / "table"), "--curated-only")
    assert result.exit_code == 0 and "1 facts (1 accepted)" in result.output
    with open(tmp_path / "table" / "curated_facts.csv", newline="", encoding="utf-8") as handle:
        assert [row["content_key"] for row in csv.DictReader(handle)] == [accepted]
    for args, message in ((["--format", "kgx", "--status", "accepted"], "--status: only for --format table"),
                          (["--format", "bioc", "--scope", "decided"], "--scope decided: only for --format table"),
                          (["--format", "kgx", "--scope", "every"], "unknown scope every"),
                          (["--curated-only", "--scope", "decided"], "--curated-only contradicts --scope decided"),
                          (["--format", "rdf"], "unknown format 'rdf'")):
        result = export("--out", str(tmp_path / "bad"), *args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    assert not (tmp_path / "bad").exists()
