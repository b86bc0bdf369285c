"""Texts of records in `../shared` (gold sets, ALS trial records) that tests read by id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TRIALS = SHARED / "data" / "als_corpus" / "trials.jsonl"
TRAIN_DOCS = SHARED / "gold" / "train" / "docs.jsonl"


def record_text(path: Path, doc_id: str) -> str:
    """The text (title, blank line, text) of the record `doc_id` of a JSONL file; skips the test
    when the file is not beside the repository."""
    if not path.exists():
        pytest.skip(f"{path} is not beside the repository")
    for line in path.open(encoding="utf-8"):
        record = json.loads(line)
        if record["id"] == doc_id:
            return record["title"] + "\n\n" + record["text"]
    raise AssertionError(f"{doc_id} not in {path}")
