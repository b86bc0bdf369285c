"""Tests for pipeline.ingest: real text, every supported format, and each kind of bad input."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import types
from pathlib import Path

import pytest

from pipeline import ingest
from pipeline.ingest import Document, iter_documents, sniff_format

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "corpora" / "als_news_tregs.txt"
FIXTURES = REPO / "tests" / "fixtures" / "ingest"
SHARED = REPO.parent / "shared"
GOLD_DEV = SHARED / "gold" / "dev"
BIORED_DEV = SHARED / "data" / "biored" / "Dev.PubTator"
BC5CDR_DEV = SHARED / "data" / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt"


def needs(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (expected ../shared beside the repo)")


def by_id(docs: list[Document]) -> dict[str, Document]:
    return {doc.doc_id: doc for doc in docs}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------
# real text

def test_seed_article_as_a_file():
    docs = list(iter_documents([SEED]))
    assert len(docs) == 1
    doc = docs[0]
    assert doc.doc_id == "als_news_tregs.txt"
    assert doc.status == "ok" and doc.error == ""
    assert doc.source == SEED.as_posix()
    assert doc.text == SEED.read_bytes().decode("utf-8")
    assert doc.text.startswith("Amyotrophic lateral sclerosis (ALS)")
    assert doc.sha256 == sha(doc.text)


def test_seed_article_in_a_folder_gets_its_relative_path(tmp_path):
    nested = tmp_path / "news" / "2024"
    nested.mkdir(parents=True)
    shutil.copy(SEED, nested / "als_news_tregs.txt")
    docs = list(iter_documents([tmp_path]))
    assert [d.doc_id for d in docs] == ["news/2024/als_news_tregs.txt"]
    assert docs[0].source == (nested / "als_news_tregs.txt").as_posix()
    assert docs[0].text == SEED.read_text(encoding="utf-8")
    # the repo's corpora folder: relative to the folder given
    assert [d.doc_id for d in iter_documents([SEED.parent])] == ["als_news_tregs.txt", "als_therapies_overview.md"]


def test_gold_dev_jsonl_matches_the_gold_sentences():
    needs(GOLD_DEV)
    docs = list(iter_documents([GOLD_DEV / "docs.jsonl"]))
    assert len(docs) == 11
    assert all(d.status == "ok" and d.doc_id.startswith("PMID:") for d in docs)
    records = [json.loads(line) for line in (GOLD_DEV / "docs.jsonl").read_text().splitlines()]
    for doc, record in zip(docs, records):
        assert doc.doc_id == record["id"]
        assert doc.title == record["title"]
        assert doc.text == record["title"] + "\n\n" + record["text"]
        assert doc.source == (GOLD_DEV / "docs.jsonl").as_posix()
    texts = by_id(docs)
    facts = [json.loads(line) for line in (GOLD_DEV / "facts.jsonl").read_text().splitlines()]
    dev_facts = [f for f in facts if f["doc_id"] in texts]
    assert dev_facts
    for fact in dev_facts:
        assert fact["sentence"] in texts[fact["doc_id"]].text


def pubtator_annotations(path: Path) -> list[tuple[str, int, int, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) >= 4 and fields[1].isdigit() and fields[2].isdigit():
            rows.append((fields[0], int(fields[1]), int(fields[2]), fields[3]))
    return rows


@pytest.mark.parametrize("path, n_docs", [(BIORED_DEV, 100), (BC5CDR_DEV, 500)])
def test_pubtator_offsets_line_up(path, n_docs):
    needs(path)
    docs = list(iter_documents([path]))
    assert len(docs) == n_docs
    assert all(d.status == "ok" for d in docs), [d.error for d in docs if d.status != "ok"][:3]
    texts = by_id(docs)
    annotations = pubtator_annotations(path)
    assert len(annotations) > 3000
    for pmid, start, end, mention in annotations:
        assert texts[pmid].text[start:end] == mention
    first = docs[0]
    title_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert title_line == f"{first.doc_id}|t|{first.title}"
    assert first.text.startswith(first.title + " ")


def test_sniff_format():
    assert sniff_format(SEED) == "text"
    assert sniff_format(FIXTURES / "sample.html") == "html"
    assert sniff_format(FIXTURES / "pubmed_sample.xml") == "pubmed_xml"
    assert sniff_format("notes.pdf") == "unsupported"
    if BC5CDR_DEV.exists():
        assert sniff_format(BC5CDR_DEV) == "pubtator"  # a .txt whose content is PubTator
        assert sniff_format(BIORED_DEV) == "pubtator"
    if GOLD_DEV.exists():
        assert sniff_format(GOLD_DEV / "docs.jsonl") == "jsonl"


def test_sniff_format_by_content(tmp_path):
    (tmp_path / "notes.md").write_text("# Notes\n\nALS text.\n", encoding="utf-8")
    (tmp_path / "other.xml").write_text("<?xml version='1.0'?><!-- c --><rss><item/></rss>")
    (tmp_path / "set.xml").write_text("<!-- <fake> --><PubmedArticleSet></PubmedArticleSet>")
    (tmp_path / "records.txt").write_text("123|t|Title\n123|a|Abstract\n\n")
    assert sniff_format(tmp_path / "notes.md") == "markdown"
    assert sniff_format(tmp_path / "other.xml") == "unsupported"
    assert sniff_format(tmp_path / "set.xml") == "pubmed_xml"
    assert sniff_format(tmp_path / "records.txt") == "pubtator"


# ---------------------------------------------------------------------------
# formats from fixtures written for these tests

def test_pubmed_xml_fixture():
    docs = list(iter_documents([FIXTURES / "pubmed_sample.xml"]))
    assert [d.doc_id for d in docs] == ["PMID:90000001", "PMID:90000002", "PMID:90000003"]
    assert all(d.status == "ok" for d in docs)
    first, second, third = docs
    assert first.title == "Regulatory T cells and SOD1 expression in ALS."
    assert first.text == (
        "Regulatory T cells and SOD1 expression in ALS.\n\n"
        "BACKGROUND: Tregs may slow disease progression.\n"
        "RESULTS: Lower FOXP3 levels were linked to faster decline (p < 0.05)."
    )
    assert second.text == (
        "Low-dose interleukin-2 in amyotrophic lateral sclerosis.\n\n"
        "Low-dose IL-2 was safe and well tolerated in ALS patients."
    )
    assert third.text == "A title-only record about motor neurons."
    assert first.sha256 == sha(first.text)


def test_html_fixture_visible_text_and_title():
    (doc,) = iter_documents([FIXTURES / "sample.html"])
    assert doc.status == "ok"
    assert doc.doc_id == "sample.html"
    assert doc.title == "Tregs & ALS: a short note"
    assert "script text" not in doc.text and "nor this" not in doc.text
    assert "color: red" not in doc.text
    assert "Tregs & ALS" not in doc.text  # the head's title is not body text
    assert doc.text == (
        "Treg\u00a0therapy in ALS\n\n"
        "Regulatory T cells (Tregs) suppress inflammation & may slow progression "
        "<in some patients>.\n\n"
        "IL-2 \u2192 Treg expansion\n"
        "Caf\u00e9 au lait\n\n"
        "Last paragraph with bold and italic words."
    )


def test_html_without_closing_head_and_deep_nesting(tmp_path):
    (tmp_path / "nohead.html").write_text(
        "<html><head><title>T</title><body><p>Body text stays.</p></body></html>")
    depth = 100_000
    (tmp_path / "deep.htm").write_text("<div>" * depth + "Deep ALS text." + "</div>" * depth)
    docs = by_id(list(iter_documents([tmp_path])))
    assert docs["nohead.html"].text == "Body text stays."
    assert docs["nohead.html"].title == "T"
    assert docs["deep.htm"].status == "ok"
    assert docs["deep.htm"].text == "Deep ALS text."


def test_text_is_exact_bom_dropped_crlf_kept(tmp_path):
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfTregs\r\nand ALS \xe2\x80\x94 caf\xc3\xa9\n")
    (tmp_path / "notes.md").write_text("Intro line\n\n# ALS and Tregs #\n\nBody.\n", encoding="utf-8")
    docs = by_id(list(iter_documents([tmp_path])))
    assert docs["bom.txt"].text == "Tregs\r\nand ALS \u2014 caf\u00e9\n"
    assert docs["notes.md"].text == "Intro line\n\n# ALS and Tregs #\n\nBody.\n"
    assert docs["notes.md"].title == "ALS and Tregs"


def test_jsonl_titles_and_ids(tmp_path):
    lines = [
        {"id": "a", "text": "No title here."},
        {"id": 42, "title": "Numeric id", "text": "Body."},
        {"id": "c", "title": "", "text": "Empty title is no title."},
    ]
    (tmp_path / "docs.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    docs = list(iter_documents([tmp_path / "docs.jsonl"]))
    assert [(d.doc_id, d.title, d.text) for d in docs] == [
        ("a", "", "No title here."),
        ("42", "Numeric id", "Numeric id\n\nBody."),
        ("c", "", "Empty title is no title."),
    ]


# ---------------------------------------------------------------------------
# API behaviour

def test_streaming_generator_and_input_order(tmp_path):
    (tmp_path / "b.txt").write_text("B text")
    (tmp_path / "a.txt").write_text("A text")
    result = iter_documents([tmp_path / "b.txt", tmp_path / "a.txt"])
    assert isinstance(result, types.GeneratorType)
    assert next(result).doc_id == "b.txt"
    assert next(result).doc_id == "a.txt"
    assert next(result, None) is None


def test_folder_order_is_sorted_recursive_and_repeatable(tmp_path):
    for rel in ["z.txt", "a/2.txt", "a/1.txt", "m.md", "a/b/0.txt", ".hidden.txt", ".git/x.txt"]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"text of {rel}")
    ids = [d.doc_id for d in iter_documents([tmp_path])]
    assert ids == ["a/1.txt", "a/2.txt", "a/b/0.txt", "m.md", "z.txt"]
    assert [d.doc_id for d in iter_documents([tmp_path])] == ids


def test_missing_path_and_duplicates_do_not_stop_the_batch(tmp_path):
    (tmp_path / "one.txt").write_text("ALS text")
    docs = list(iter_documents([tmp_path / "nope.txt", tmp_path / "one.txt", tmp_path / "one.txt"]))
    assert [(d.doc_id, d.status) for d in docs] == [
        ("nope.txt", "error"), ("one.txt", "ok"), ("one.txt", "error")]
    assert docs[0].error == "path does not exist"
    assert docs[2].error == f"duplicate doc_id, first seen in {(tmp_path / 'one.txt').as_posix()}"
    assert docs[2].text == ""


def test_huge_single_line_files(tmp_path):
    body = "ALS progression " * 3_200_000  # 51 MB on one line
    (tmp_path / "huge.txt").write_text(body)
    (tmp_path / "huge.jsonl").write_text(json.dumps({"id": "huge", "text": body}) + "\n")
    docs = by_id(list(iter_documents([tmp_path])))
    assert docs["huge.txt"].text == body
    assert docs["huge"].text == body


# ---------------------------------------------------------------------------
# bad input: each case next to good documents

GOOD_PUBTATOR = "111|t|Good title.\n111|a|ALS abstract.\n111\t0\t4\tGood\tX\tD1\n\n"


def write_mixed_folder(root: Path) -> None:
    root.mkdir()
    (root / "good.txt").write_text("Tregs protect motor neurons in ALS.")
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"ALS\x00\x01\x02 data")
    (root / "latin1.txt").write_bytes("Caf\u00e9 ALS".encode("latin-1"))
    (root / "docs.jsonl").write_text("\n".join([
        json.dumps({"id": "j1", "text": "First good line."}),
        '{"id": "j2", "text": "unterminated',
        "",
        json.dumps({"text": "no id"}),
        json.dumps({"id": "j4", "text": ["not", "a", "string"]}),
        json.dumps({"id": "j5", "title": "T", "text": "Last good line."}),
    ]) + "\n")
    (root / "records.pubtator").write_text(
        GOOD_PUBTATOR
        + "222|t|Shifted record.\n222|a|Abstract.\n222\t0\t7\tWRONG!!\tX\tD2\n\n"
        + "333|t|Truncated record, no abstract line\n")
    (root / "broken.xml").write_text(
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
        "<ArticleTitle>Kept title.</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
        "<PubmedArticle><MedlineCitation></Article>")
    (root / "report.pdf").write_bytes(b"%PDF-1.4 fake")
    (root / "dup.jsonl").write_text(json.dumps({"id": "j1", "text": "Same id again."}) + "\n")
    (root / ".hidden.txt").write_text("never read")
    os.symlink("loop_file.txt", root / "loop_file.txt")           # a link to itself
    os.symlink("missing_target.txt", root / "broken_link.txt")
    os.symlink(".", root / "loop_dir")                              # a folder link back to root


def test_bad_files_become_error_documents_next_to_good_ones(tmp_path):
    root = tmp_path / "corpus"
    write_mixed_folder(root)
    docs = list(iter_documents([root]))
    ok = {d.doc_id for d in docs if d.status == "ok"}
    assert ok == {"good.txt", "j1", "j5", "111", "PMID:1"}
    errors = {d.doc_id: d.error for d in docs if d.status == "error"}
    assert errors["empty.txt"] == "empty file"
    assert errors["binary.txt"].startswith("binary content: NUL byte at byte offset 3")
    assert errors["latin1.txt"].startswith("not UTF-8: byte 0xe9 at byte offset 3")
    assert errors["docs.jsonl:2"].startswith("invalid JSON on line 2")
    assert errors["docs.jsonl:4"] == "line 4: missing or empty 'id' (a string is required)"
    assert errors["docs.jsonl:5"] == "line 5: 'text' must be a string, not list"
    assert "docs.jsonl:3" not in errors  # blank line skipped
    assert "text[0:7] is 'Shifted'" in errors["222"]
    assert errors["333"].startswith("truncated PubTator record 333")
    assert errors["broken.xml"].startswith("malformed XML: mismatched tag")
    assert errors["report.pdf"] == "unsupported file type '.pdf'"
    assert errors["loop_file.txt"].startswith("symlink loop")
    assert errors["broken_link.txt"] == "broken symbolic link: target 'missing_target.txt' does not exist"
    assert errors["loop_dir"].startswith("symlink loop: folder link points back to")
    assert "duplicate doc_id, first seen in" in errors["j1"]
    assert errors["j1"].endswith("docs.jsonl")
    assert all(d.source for d in docs)
    assert not any("hidden" in d.doc_id for d in docs)
    # error sha256 is of the raw bytes when they were read
    latin1 = next(d for d in docs if d.doc_id == "latin1.txt")
    assert latin1.sha256 == hashlib.sha256((root / "latin1.txt").read_bytes()).hexdigest()
    assert latin1.text == ""


def test_more_bad_inputs(tmp_path):
    (tmp_path / "utf16.txt").write_text("ALS text", encoding="utf-16")
    (tmp_path / "blank.jsonl").write_text("\n\n  \n")
    (tmp_path / "spaces.txt").write_text("   \n\t\n")
    (tmp_path / "rss.xml").write_text("<rss><item>ALS</item></rss>")
    (tmp_path / "bomb.xml").write_text(
        '<!DOCTYPE PubmedArticleSet [<!ENTITY a "ALS ALS ALS">]>'
        "<PubmedArticleSet><PubmedArticle/></PubmedArticleSet>")
    (tmp_path / "noext").write_text("plain text without an extension")
    (tmp_path / "surrogate.jsonl").write_text('{"id": "s", "text": "bad \\ud800 here"}\n')
    (tmp_path / "deep.jsonl").write_text("[" * 200_000 + "]" * 200_000 + "\n"
                                         + json.dumps({"id": "after-deep", "text": "kept"}) + "\n")
    (tmp_path / "together.pubtator").write_text(
        "1|t|A\n1|a|B\n2|t|C\n2|a|D\n")  # records without a blank line between
    docs = list(iter_documents([tmp_path]))
    errors = {d.doc_id: d.error for d in docs if d.status == "error"}
    assert errors["utf16.txt"].startswith("UTF-16 encoded")
    assert errors["blank.jsonl"] == "no documents: the file has only blank lines"
    assert errors["spaces.txt"].startswith("no text")
    assert errors["rss.xml"] == "unsupported XML: root element <rss>, expected <PubmedArticleSet>"
    assert errors["bomb.xml"].startswith("XML declares entities")
    assert errors["noext"] == "unsupported file type (no file extension)"
    assert "unpaired surrogate" in errors["surrogate.jsonl:1"]
    assert errors["deep.jsonl:1"] == "invalid JSON on line 1: nested too deeply"
    assert [d.doc_id for d in docs if d.status == "ok"] == ["after-deep", "1", "2"]
    texts = by_id(docs)
    assert texts["1"].text == "A B" and texts["2"].text == "C D"


def test_unreadable_file(tmp_path):
    locked = tmp_path / "locked.txt"
    locked.write_text("secret ALS text")
    (tmp_path / "open.txt").write_text("readable ALS text")
    locked.chmod(0)
    try:
        try:
            locked.read_bytes()
        except PermissionError:
            pass
        else:
            pytest.skip("running as root: chmod cannot make a file unreadable "
                        "(the symlink-loop and monkeypatched cases cover unreadable paths)")
        docs = by_id(list(iter_documents([tmp_path])))
        assert docs["locked.txt"].status == "error"
        assert docs["locked.txt"].error == "permission denied: cannot read file"
        assert docs["open.txt"].status == "ok"
    finally:
        locked.chmod(0o644)


def test_permission_error_on_open_is_reported(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("ALS a")
    (tmp_path / "b.txt").write_text("ALS b")

    def refuse_a(path, *args, **kwargs):
        if Path(path).name == "a.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(ingest, "open", refuse_a, raising=False)
    docs = list(iter_documents([tmp_path]))
    assert [(d.doc_id, d.status, d.error) for d in docs] == [
        ("a.txt", "error", "permission denied: cannot read file"),
        ("b.txt", "ok", ""),
    ]


def test_empty_folder_is_reported(tmp_path):
    (tmp_path / ".only_hidden").write_text("x")
    (doc,) = iter_documents([tmp_path])
    assert doc.status == "error"
    assert doc.error.startswith("no files found in folder")
