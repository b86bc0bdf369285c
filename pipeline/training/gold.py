"""Gold annotations (FACTS_SPEC §3) read for training, and aligned to character offsets.

Gold gives mention texts, not offsets. `occurrences` finds every occurrence of a text at
word boundaries; `align_entities` does it for every gold mention of a document, and
`align_fact` finds a fact's sentence in the document and its two arguments inside that
sentence (the occurrence pair closest together when a text repeats).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
GOLD = SHARED / "gold"


@dataclass
class GoldDocument:
    doc_id: str
    text: str
    entities: list[dict] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    type: str
    concept_id: str


@dataclass(frozen=True)
class AlignedFact:
    fact: dict
    sentence_start: int
    sentence_end: int
    subject: tuple[int, int] | None   # character offsets in the document
    object: tuple[int, int] | None


def read_jsonl(path: Path) -> list[dict]:
    """The records of a JSON-lines file; a bad line is named by file and line number."""
    records = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not a JSON line ({error.msg})") from error
    return records


def document_text(record: dict) -> str:
    """The text gold offsets point into: `title + "\\n\\n" + text` when there is a title."""
    title, text = record.get("title") or "", record.get("text") or ""
    return f"{title}\n\n{text}" if title else text


def load_gold_documents(folder: str | Path) -> list[GoldDocument]:
    """The documents of one gold set, in file order, with their entity and fact lines."""
    folder = Path(folder)
    if (folder / "docs.jsonl").is_file():
        docs = {r["id"]: GoldDocument(r["id"], document_text(r)) for r in read_jsonl(folder / "docs.jsonl")}
    else:  # the seed set annotates a file of ../shared/seed, named by its doc_id
        ids = dict.fromkeys(r["doc_id"] for name in ("entities.jsonl", "facts.jsonl")
                            if (folder / name).is_file() for r in read_jsonl(folder / name))
        docs = {i: GoldDocument(i, (SHARED / "seed" / i).read_text(encoding="utf-8")) for i in ids
                if (SHARED / "seed" / i).is_file()}
    for name, attr in (("entities.jsonl", "entities"), ("facts.jsonl", "facts")):
        path = folder / name
        if path.is_file():
            for record in read_jsonl(path):
                if record.get("doc_id") in docs:
                    getattr(docs[record["doc_id"]], attr).append(record)
    return list(docs.values())


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


def occurrences(text: str, phrase: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Every (start, end) of `phrase` in `text[start:end]`, case-insensitively, at word
    boundaries: no letter or digit glued to either side ("ALS" is not found in "fALS").
    White space in the phrase matches any run of white space."""
    phrase = phrase.strip()
    if not phrase:
        return []
    end = len(text) if end is None else end
    pattern = re.compile(r"\s+".join(re.escape(part) for part in phrase.split()), re.IGNORECASE)
    found = []
    for match in pattern.finditer(text, start, end):
        a, b = match.span()
        if (a > 0 and _is_word_char(text[a - 1]) and _is_word_char(text[a])) or \
                (b < len(text) and _is_word_char(text[b]) and _is_word_char(text[b - 1])):
            continue
        found.append((a, b))
    return found


def align_entities(doc: GoldDocument) -> list[Mention]:
    """Every occurrence of every gold mention text, with its type and id (longest first
    where two gold texts overlap: "regulatory T cells" over "T cells")."""
    spans: dict[tuple[int, int], Mention] = {}
    for record in doc.entities:
        for a, b in occurrences(doc.text, record["text"]):
            spans.setdefault((a, b), Mention(a, b, record["type"], record.get("concept_id") or ""))
    chosen: list[Mention] = []
    for mention in sorted(spans.values(), key=lambda m: (-(m.end - m.start), m.start)):
        if all(mention.end <= c.start or mention.start >= c.end for c in chosen):
            chosen.append(mention)
    return sorted(chosen, key=lambda m: m.start)


_SPACE = re.compile(r"\s+")


def find_sentence(text: str, sentence: str) -> tuple[int, int] | None:
    """Offsets of a gold sentence in the document: exact, else with white space runs equated."""
    index = text.find(sentence)
    if index >= 0:
        return index, index + len(sentence)
    pattern = re.compile(r"\s+".join(re.escape(part) for part in sentence.split()))
    match = pattern.search(text)
    return match.span() if match else None


def align_fact(text: str, fact: dict) -> AlignedFact | None:
    """The fact's sentence and argument offsets; None when its sentence is not in the text.
    An argument not found in its sentence gets None (gold noise: pronouns resolved, paraphrases)."""
    bounds = find_sentence(text, fact["sentence"])
    if bounds is None:
        return None
    start, end = bounds
    subjects = occurrences(text, fact["subject"]["text"], start, end)
    objects = occurrences(text, fact["object"]["text"], start, end)
    subject = obj = None
    if subjects and objects:
        pairs = [(s, o) for s in subjects for o in objects if s[1] <= o[0] or o[1] <= s[0]] or \
                [(s, o) for s in subjects for o in objects]
        subject, obj = min(pairs, key=lambda p: abs(p[0][0] - p[1][0]))
    else:
        subject = subjects[0] if subjects else None
        obj = objects[0] if objects else None
    return AlignedFact(fact, start, end, subject, obj)


GENRES = ("abstract", "news", "trial record")


def genre_of(doc_id: str) -> str:
    """What kind of document a gold id names: a news article or press release ("news:..."), a
    trial registry record ("NCT..."), else a PubMed abstract."""
    if doc_id.startswith("news:"):
        return "news"
    if doc_id.startswith("NCT"):
        return "trial record"
    return "abstract"


def document_folds(doc_ids: list[str], k: int = 5, seed: int = 13) -> list[list[str]]:
    """k document-level folds, the same for the same ids and seed."""
    import random

    ordered = sorted(doc_ids)
    random.Random(seed).shuffle(ordered)
    return [ordered[i::k] for i in range(k)]
