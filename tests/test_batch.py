"""Parallel runs: worker processes and Dask give exactly the tables of a one-process run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.batch import ChunkResult, process_documents, resolve_factory
from pipeline.cache import decode_rows, pipeline_fingerprint
from pipeline.extract import run_extract
from pipeline.ingest import iter_documents
from pipeline.records import doc_rows
from test_extract import (CORPUS_SIZE, abstracts_lines, assert_same_tables, baseline, needs_corpus,
                          pipeline_spec, pipeline_under_test, read_tables, write_corpus)


@needs_corpus
def test_two_worker_processes_match_one_process(tmp_path):
    corpus, expected = baseline()
    summary = run_extract([corpus], tmp_path / "out", workers=2, pipeline=pipeline_spec(), chunk_size=4)
    assert summary.runner == "2 processes"
    assert summary.documents_processed == CORPUS_SIZE
    assert_same_tables(read_tables(tmp_path / "out"), expected)


@needs_corpus
def test_dask_local_cluster_matches_one_process(tmp_path):
    pytest.importorskip("distributed")
    corpus, expected = baseline()
    summary = run_extract([corpus], tmp_path / "out", workers=2, dask="local", pipeline=pipeline_spec(),
                          chunk_size=4)
    assert summary.runner.startswith("dask ") and summary.runner.endswith(", 2 workers)")
    assert "LocalCluster of processes" in summary.runner
    assert summary.documents_processed == CORPUS_SIZE
    assert_same_tables(read_tables(tmp_path / "out"), expected)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["runner"] == summary.runner


@needs_corpus
def test_a_worker_sends_back_rows_not_docs(tmp_path):
    corpus = write_corpus(tmp_path, abstracts_lines(3))
    documents = list(iter_documents([corpus]))
    result = process_documents(pipeline_spec(), documents)
    assert isinstance(result, ChunkResult)
    assert result.fingerprint == pipeline_fingerprint(pipeline_spec())
    assert [r.doc_id for r in result.documents] == [d.doc_id for d in documents]
    nlp = pipeline_under_test()
    for document, sent in zip(documents, result.documents):
        assert isinstance(sent.payload, bytes) and not sent.error
        rows, n_sentences = decode_rows(sent.payload)
        direct = doc_rows(nlp(document.text), document)
        assert n_sentences == direct["documents"][0]["n_sentences"]
        for name in ("entities", "facts", "sentences"):
            assert rows[name] == direct[name]


def test_pipeline_spec_must_name_a_function():
    with pytest.raises(ValueError, match="module:function"):
        resolve_factory("pipeline.nlp")
    assert resolve_factory("pipeline.nlp:build_nlp").__name__ == "build_nlp"


def test_fingerprint_depends_on_the_pipeline_description():
    assert pipeline_fingerprint("pipeline.nlp:shared_nlp") == pipeline_fingerprint("pipeline.nlp:shared_nlp")
    assert pipeline_fingerprint("pipeline.nlp:shared_nlp") != pipeline_fingerprint("pipeline.nlp:build_nlp")
    assert pipeline_fingerprint("object", "config A") != pipeline_fingerprint("object", "config B")


def test_documents_are_processed_with_one_blas_thread():
    """Workers are one per core: the NER's matrix products must not start a BLAS thread per core
    in each of them (`one_blas_thread`). A probe component reads the BLAS limits while the seed
    article is processed, and they are back to what they were afterwards."""
    from spacy.language import Language
    from threadpoolctl import threadpool_info

    from pipeline.batch import extract_payloads
    from pipeline.ingest import Document
    from pipeline.nlp import build_nlp

    seen: list[int] = []

    @Language.component("blas_threads_probe")
    def probe(doc):
        seen.extend(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")
        return doc

    before = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    nlp = build_nlp()
    nlp.add_pipe("blas_threads_probe", after="ner")
    text = (Path(__file__).resolve().parents[1] / "corpora" / "als_news_tregs.txt").read_text(encoding="utf-8")
    [result] = extract_payloads(nlp, [Document("seed", "seed/als_news_tregs.txt", text)])
    assert result.payload and not result.error
    assert seen and set(seen) == {1}
    assert [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"] == before
