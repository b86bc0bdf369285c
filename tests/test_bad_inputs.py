"""Bad input at volume: over a thousand broken files mixed with good ones.

The run must finish, report every broken file with its reason, and give every
good document exactly the rows it gets in a clean run of the good documents alone.
"""

from __future__ import annotations

import io
import json
import logging
import os
import random
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline import ingest
from pipeline.extract import MAX_DOCUMENT_CHARS, run_extract
from pipeline.progress import ProgressReporter
from test_extract import CORPUS_SIZE, abstracts_lines, baseline, needs_corpus, pipeline_under_test

PER_KIND = 100
DEEP_HTML = "<html><body>" + "<div>" * 30_000 + "</div>" * 30_000 + "</body></html>"

# kind -> (file name pattern, reason pattern)
REASONS = {
    "binary": r"binary content: NUL byte|not UTF-8",
    "latin1": r"not UTF-8: byte 0x[0-9a-f]{2} at byte offset \d+",
    "utf16": r"UTF-16 encoded",
    "nul": r"binary content: NUL byte at byte offset \d+",
    "empty": r"empty file|no text|no documents",
    "jsonl": r"invalid JSON on line|not a JSON object|missing|must be a string|nested too deeply",
    "pubtator": r"truncated PubTator record|malformed PubTator|past the end of the text",
    "html": r"no visible text in HTML",
    "xml": r"malformed XML|unsupported XML|XML declares entities|no documents",
    "unsupported": r"unsupported file type",
    "unreadable": r"permission denied",
    "links": r"symlink loop|broken symbolic link",
    "huge": r"text too long for the pipeline: 5\d,\d{3},\d{3} characters",
}


def _write_bad_files(root: Path, rng: random.Random) -> dict[str, str]:
    """Broken files under root/bad; returns {path as posix: kind}."""
    bad = root / "bad"
    for kind in REASONS:
        (bad / kind).mkdir(parents=True)
    made: dict[str, str] = {}

    def put(kind: str, name: str, data: bytes) -> None:
        path = bad / kind / name
        path.write_bytes(data)
        made[path.as_posix()] = kind

    words = "ALS patients riluzole motor neuron decline".split()
    for i in range(PER_KIND):
        text = " ".join(rng.choice(words) for _ in range(20))
        put("binary", f"random_{i}.txt", bytes(rng.getrandbits(8) for _ in range(300)) + b"\x00")
        put("latin1", f"latin1_{i}.txt", f"Caf\u00e9 {text} na\u00efve \u00b5g".encode("latin-1"))
        put("utf16", f"utf16_{i}.md", text.encode("utf-16"))
        put("nul", f"nul_{i}.html", f"<p>{text}</p>".encode() + b"\x00" * (i + 1) + b"<p>more</p>")
        put("empty", f"empty_{i}.{['txt', 'md', 'jsonl', 'html'][i % 4]}", b"" if i % 2 else b" \n\t\n ")
        put("jsonl", f"lines_{i}.jsonl", "\n".join([
            '{"id": "x", "text": "unterminated',
            "[1, 2, 3]",
            json.dumps({"text": "no id"}),
            json.dumps({"id": f"list-{i}", "text": ["not", "text"]}),
            "[" * 5000 + "]" * 5000,
        ]).encode() + b"\n")
        put("pubtator", f"records_{i}.pubtator",
            (f"{9000 + i}|t|A title only, the abstract line is missing\n" if i % 2 else
             f"{9000 + i}|t|Short.\n{9000 + i}|a|Text.\n{9000 + i}\t0\t99\tShort. Text and more\tX\tD1\n").encode())
        put("xml", f"article_{i}.xml", [
            b"<PubmedArticleSet><PubmedArticle><MedlineCitation>",
            b"<rss><item>ALS</item></rss>",
            b'<!DOCTYPE PubmedArticleSet [<!ENTITY a "ALS">]><PubmedArticleSet></PubmedArticleSet>',
            b"<PubmedArticleSet></PubmedArticleSet>",
        ][i % 4])
        put("unsupported", f"report_{i}.{['pdf', 'docx', 'png'][i % 3]}", b"%PDF-1.4 " + text.encode())
        (bad / "links" / f"self_{i}.txt").symlink_to(f"self_{i}.txt")
        made[(bad / "links" / f"self_{i}.txt").as_posix()] = "links"
        (bad / "links" / f"ping_{i}.txt").symlink_to(f"pong_{i}.txt")
        (bad / "links" / f"pong_{i}.txt").symlink_to(f"ping_{i}.txt")
        made[(bad / "links" / f"ping_{i}.txt").as_posix()] = "links"
        made[(bad / "links" / f"pong_{i}.txt").as_posix()] = "links"
        (bad / "links" / f"gone_{i}.txt").symlink_to(f"missing_{i}.txt")
        made[(bad / "links" / f"gone_{i}.txt").as_posix()] = "links"
    (bad / "links" / "up").symlink_to("..")
    made[(bad / "links" / "up").as_posix()] = "links"
    for i in range(20):
        put("html", f"deep_{i}.html", DEEP_HTML.encode())
        put("unreadable", f"unreadable_{i}.txt", b"Riluzole slowed decline in ALS patients.")
        (bad / "unreadable" / f"unreadable_{i}.txt").chmod(0)
    put("huge", "one_line.txt", ("ALS progression " * 3_200_000).encode())  # 51 MB on one line
    return made


@pytest.fixture
def refuse_unreadable(monkeypatch):
    """chmod 0 does not stop root: make opening those files fail as it would for anyone else."""
    real_open = open

    def guarded_open(path, *args, **kwargs):
        if Path(path).name.startswith("unreadable_"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(ingest, "open", guarded_open, raising=False)


@needs_corpus
def test_a_thousand_broken_files_among_good_ones(tmp_path, refuse_unreadable):
    good_corpus, expected = baseline()
    root = tmp_path / "corpus"
    (root / "good").mkdir(parents=True)
    (root / "good" / good_corpus.name).write_bytes(good_corpus.read_bytes())
    extra_lines = abstracts_lines(2, start=CORPUS_SIZE)
    (root / "good" / "mixed.jsonl").write_bytes(
        extra_lines[0].encode() + b'{"id": "broken-line", "text": \n'
        + b'{"id": "latin1-line", "text": "caf\xe9"}\n' + extra_lines[1].encode())
    made = _write_bad_files(root, random.Random(4))
    assert len(made) >= 1000

    summary = run_extract([root], tmp_path / "out", nlp=pipeline_under_test())
    documents = pq.read_table(tmp_path / "out" / "documents.parquet").to_pylist()
    errors_by_source: dict[str, list[str]] = {}
    for row in documents:
        if row["status"] == "error":
            errors_by_source.setdefault(row["source"], []).append(row["error"])

    # every broken file is reported, with the reason for its kind
    for path, kind in made.items():
        reasons = errors_by_source.get(path)
        assert reasons, f"{path} ({kind}) not reported"
        assert all(re.search(REASONS[kind], reason) for reason in reasons), (path, reasons)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert len(manifest["failures"]) == summary.documents_failed == sum(map(len, errors_by_source.values()))
    assert {f["source"] for f in manifest["failures"]} >= set(made)
    huge = next(row for row in documents if row["source"].endswith("huge/one_line.txt"))
    assert huge["n_chars"] > MAX_DOCUMENT_CHARS

    # the broken lines of the mixed file are reported, its good lines processed
    mixed = root.joinpath("good", "mixed.jsonl").as_posix()
    assert len(errors_by_source[mixed]) == 2
    ok_ids = [row["doc_id"] for row in documents if row["status"] == "ok"]
    assert ok_ids == [row["doc_id"] for row in expected["documents"]] + [json.loads(line)["id"] for line in extra_lines]
    assert summary.documents_ok == CORPUS_SIZE + 2

    # every good document has exactly its clean-run rows
    good_ids = {row["doc_id"] for row in expected["documents"]}
    for name in ("entities", "facts", "sentences"):
        rows = pq.read_table(tmp_path / "out" / f"{name}.parquet").to_pylist()
        assert [row for row in rows if row["doc_id"] in good_ids] == expected[name], name
    assert [row for row in documents if row["doc_id"] in good_ids] == [
        {**row, "source": root.joinpath("good", good_corpus.name).as_posix()} for row in expected["documents"]]

    # the summary lists failures with their reasons
    stream = io.StringIO()
    ProgressReporter(quiet=True, stream=stream).print_summary(summary)
    text = stream.getvalue()
    assert f"failed: {summary.documents_failed}" in text
    assert re.search(r"failed: \S+ \(\S+\): \S", text) and "more failures" in text


def test_unreadable_files_without_the_emulation(tmp_path):
    """With real permissions (not root), chmod 0 alone gives the reason."""
    locked = tmp_path / "locked.txt"
    locked.write_text("Riluzole slowed decline in ALS patients.")
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("running as root: chmod 0 does not make a file unreadable "
                        "(the large test emulates it by refusing open())")
        summary = run_extract([tmp_path], tmp_path / "out", nlp=pipeline_under_test(), cache=False)
        assert summary.failures == [("locked.txt", locked.as_posix(), "permission denied: cannot read file")]
    finally:
        locked.chmod(0o644)


# ---------------------------------------------------------------------------
# the `alsfacts extract` command: exit status and the failure summary

ROOT = Path(__file__).resolve().parents[1]


def _bad_inputs(folder: Path) -> list[str]:
    """A folder of inputs none of which can be read; returns the failures' reasons."""
    folder.mkdir()
    (folder / "cut.jsonl").write_bytes(b'{"id": "cut", "text": "Riluzole slowed')  # cut off mid-string
    (folder / "latin1.txt").write_bytes("Riluzole in ALS, caf\xe9".encode("latin-1"))
    return ["invalid JSON on line 1: Unterminated string starting at column 23",
            "not UTF-8: byte 0xe9 at byte offset 20"]


@pytest.fixture
def keep_logging():
    """The CLI configures the root logger for its run: give the next tests theirs back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def test_extract_exits_1_when_no_input_can_be_read_and_lists_each_failure_once(tmp_path, keep_logging):
    from typer.testing import CliRunner

    from pipeline.cli import app

    reasons = _bad_inputs(tmp_path / "in")
    db = tmp_path / "facts.db"
    result = CliRunner().invoke(app, ["extract", str(tmp_path / "in"), str(tmp_path / "missing"),
                                      "--out", str(tmp_path / "out"), "--db", str(db)])
    assert result.exit_code == 1, result.output
    for reason in reasons + ["missing): path does not exist"]:
        assert result.output.count(reason) == 1, (reason, result.output)
    assert " at at " not in result.output
    assert "error: no input could be read (3 failed" in result.stderr
    assert not db.exists()  # an empty run is not loaded into the review database


def test_extract_exits_0_when_some_inputs_were_read(tmp_path, keep_logging):
    from typer.testing import CliRunner

    from pipeline.cli import app

    reasons = _bad_inputs(tmp_path / "in")
    (tmp_path / "in" / "good.txt").write_text("Riluzole prolonged survival in patients with ALS.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "documents ok: 1 (processed 1, skipped (cached) 0), failed: 2" in result.output
    for reason in reasons:
        assert result.output.count(reason) == 1, (reason, result.output)
