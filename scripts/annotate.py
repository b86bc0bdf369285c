"""Tools for annotating documents under FACTS_SPEC (docs/ANNOTATION_BRIEF.md) and turning the
annotations into training/silver_annotations.jsonl.gz (offsets only, no corpus text).

    python scripts/annotate.py show PMID:42391458            # a gold/train document: the style to copy
    python scripts/annotate.py lookup "motor neurons" IL-6    # concept ids from the knowledge base
    python scripts/annotate.py check FOLDER                   # FACTS_SPEC §3 problems of a folder's lines
    python scripts/annotate.py build FOLDER [FOLDER ...]      # write training/silver_annotations.jsonl.gz

A folder holds one annotator's `entities.jsonl`, `facts.jsonl` (gold format) and `done.txt`
(finished doc ids, one a line). `build` keeps finished documents only and leaves out, by name,
every line with a problem.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.training.gold import GOLD, document_text, load_gold_documents, read_jsonl  # noqa: E402
from pipeline.training.silver import (  # noqa: E402
    SILVER_FILE, SOURCES, check_annotations, source_texts, to_offsets, write_offsets,
)

LINE = re.compile(r"^(entities|facts) line (\d+):")


def show(doc_id: str) -> None:
    for doc in load_gold_documents(GOLD / "train"):
        if doc.doc_id == doc_id:
            print(f"=== TEXT ===\n{doc.text}\n=== ENTITIES ===")
            for line in doc.entities + [None] + doc.facts:
                print("=== FACTS ===" if line is None else json.dumps({k: v for k, v in line.items() if k != "doc_id"}))
            return
    print(f"{doc_id} is not a gold/train document")


def lookup(terms: list[str]) -> None:
    from pipeline.kb import load_kb

    kb = load_kb()
    for term in terms:
        hit = kb.lookup(term)
        descriptor = kb.descriptor(term)
        if hit and not hit[0].startswith("ALSFACTS"):
            print(f"{term!r}: {hit[0]}  {hit[1]}  ({hit[2]})")
        elif descriptor:
            print(f"{term!r}: {descriptor[0]}  (untyped MeSH descriptor: {descriptor[1]})")
        else:
            print(f"{term!r}: not found (leave concept_id empty unless you are sure)")


def read_folder(folder: Path) -> tuple[list[str], list[dict], list[dict]]:
    done = (folder / "done.txt").read_text().split() if (folder / "done.txt").is_file() else []
    lines = [read_jsonl(folder / name) if (folder / name).is_file() else [] for name in ("entities.jsonl", "facts.jsonl")]
    return list(dict.fromkeys(done)), *lines


def source_of(doc_id: str, folder: Path, texts: dict[str, dict[str, str]]) -> str | None:
    """The source whose text of `doc_id` the annotator saw (the folder's input_docs.jsonl, when
    there is one), else the first source that has it."""
    shown = {r["id"]: document_text(r) for r in read_jsonl(folder / "input_docs.jsonl")} \
        if (folder / "input_docs.jsonl").is_file() else {}
    having = [name for name, by_id in texts.items() if doc_id in by_id]
    matching = [name for name in having if doc_id not in shown or texts[name][doc_id] == shown[doc_id]]
    return (matching or [None])[0]


def build(folders: list[Path], texts: dict[str, dict[str, str]], out: Path | None) -> int:
    records, problems_total = [], 0
    for folder in folders:
        done, entities, facts = read_folder(folder)
        sources = {doc_id: source_of(doc_id, folder, texts) for doc_id in {line["doc_id"] for line in entities + facts} | set(done)}
        problems = check_annotations({d: texts[s][d] for d, s in sources.items() if s}, entities, facts)
        for problem in problems:
            print(f"{folder}: {problem}")
        problems_total += len(problems)
        flagged = {m.groups() for m in map(LINE.match, problems) if m}
        entities = [e for n, e in enumerate(entities, 1) if ("entities", str(n)) not in flagged]
        facts = [f for n, f in enumerate(facts, 1) if ("facts", str(n)) not in flagged]
        for doc_id in done:
            source = sources[doc_id]
            if source is None:
                print(f"{folder}: done.txt names {doc_id}, which no source in ../shared/data has with this text")
                continue
            records.append(to_offsets(doc_id, texts[source][doc_id], [e for e in entities if e["doc_id"] == doc_id],
                                      [f for f in facts if f["doc_id"] == doc_id], annotator=folder.name, source=source))
    print(f"{len(records)} documents done, {sum(len(r['entities']) for r in records)} entities, "
          f"{sum(len(r['facts']) for r in records)} facts; {problems_total} problems")
    if out is not None:
        write_offsets(sorted(records, key=lambda r: r["doc_id"]), out)
        print(f"→ {out}")
    return 1 if problems_total and out is None else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("show").add_argument("doc_id")
    sub.add_parser("lookup").add_argument("terms", nargs="+")
    sub.add_parser("check").add_argument("folders", nargs="+", type=Path)
    build_parser = sub.add_parser("build")
    build_parser.add_argument("folders", nargs="+", type=Path)
    build_parser.add_argument("--out", type=Path, default=SILVER_FILE)
    args = parser.parse_args(argv)
    if args.command == "show":
        show(args.doc_id)
    elif args.command == "lookup":
        lookup(args.terms)
    else:
        texts = {name: source_texts(name) for name in SOURCES}
        return build(args.folders, texts, args.out if args.command == "build" else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
