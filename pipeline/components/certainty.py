"""Certainty of a claim: `asserted`, `hedged` or `hypothetical`.

Cues come from `data/certainty_cues.tsv` (a table a curator can read and edit)
compiled into a spaCy `Matcher` over LOWER/ORTH token patterns; no tagger or
lemmas are needed. `certainty_cues(span)` returns the matched cue spans (label =
certainty, `kb_id_` = the cue's scope) so a claim extractor can check whether a
cue governs its trigger; `certainty_of(span, around=None)` reduces them to one
value (hypothetical over hedged over asserted), counting with `around` only the
cues in the clause(s) that `around` touches.

`CueMatcher` compiles the small pattern language shared with the context
component's tables.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

DATA_DIR = Path(__file__).with_name("data")
CUE_TABLE = DATA_DIR / "certainty_cues.tsv"
CERTAINTIES = ("asserted", "hedged", "hypothetical")
RANK = {name: i for i, name in enumerate(CERTAINTIES)}

# Clause boundaries: ";" and ":" always; a comma when the next word opens a new clause.
CLAUSE_OPENERS = {
    "while", "whereas", "although", "though", "but", "thus", "thereby", "hence", "which",
    "with", "yet", "however", "so", "therefore", "suggesting", "indicating", "supporting",
    "were", "was", "are", "is",
}
SUBORDINATORS = {"while", "whereas", "although", "though", "if", "whether", "when", "because", "since", "as"}


WILDCARDS = {"{NUM}": {"LIKE_NUM": True}, "{ANY}": {}, "{CAP}": {"TEXT": {"REGEX": r"^[A-Z]"}},
             "{AGE}": {"LOWER": {"REGEX": r"^\d+-(year|month|week)-old$"}}}


def expand_cue_pattern(pattern: str) -> list[list[str]]:
    """Every token sequence a table pattern stands for: alternatives and optional tokens spelled out."""
    sequences: list[list[str]] = [[]]
    for raw in pattern.split():
        optional = raw.endswith("?") and len(raw) > 1
        word = raw[:-1] if optional else raw
        choices = [word] if word in WILDCARDS or word.startswith("=") else [w for w in word.split("|") if w]
        extended = [seq + [choice] for seq in sequences for choice in choices]
        sequences = extended + (sequences if optional else [])
    return [seq for seq in sequences if seq]


def _token_spec(word: str) -> dict:
    if word in WILDCARDS:
        return dict(WILDCARDS[word])
    if word.startswith("=") and len(word) > 1:
        return {"ORTH": word[1:]}
    return {"LOWER": word.lower()}


class CueMatcher:
    """Matches table patterns: literal ones with a `PhraseMatcher` on LOWER (indexed, fast),
    the few with wildcards or exact-case tokens with a `Matcher`."""

    def __init__(self, vocab: Vocab, patterns: list[str]):
        self.phrases = PhraseMatcher(vocab, attr="LOWER")
        self.tokens = Matcher(vocab)
        self.vocab = vocab
        # Text every wildcard pattern needs, so the (unindexed) Matcher runs only where one can match.
        self.hints: set[str] = set()
        self.always = False
        for i, pattern in enumerate(patterns):
            key = f"cue_{i}"
            literal, special = [], []
            for seq in expand_cue_pattern(pattern):
                is_literal = all(w not in WILDCARDS and not w.startswith("=") for w in seq)
                (literal if is_literal else special).append(seq)
            if literal:
                self.phrases.add(key, [Doc(vocab, words=[w.lower() for w in seq]) for seq in literal])
            if special:
                self.tokens.add(key, [[_token_spec(w) for w in seq] for seq in special])
                for seq in special:
                    hint = next((w.lstrip("=").lower() for w in seq if w not in WILDCARDS), None)
                    if hint is None and "{AGE}" in seq:
                        hint = "-old"
                    if hint is None:
                        self.always = True
                    else:
                        self.hints.add(hint)

    def __call__(self, doclike) -> list[tuple[int, int, int]]:
        """(pattern index, start, end) for every match, offsets relative to `doclike`."""
        found = set()
        # The PhraseMatcher gives doc offsets for a Span, the Matcher span offsets.
        shift = doclike.start if isinstance(doclike, Span) else 0
        if len(self.phrases):
            for match_id, start, end in self.phrases(doclike):
                found.add((int(self.vocab.strings[match_id][4:]), start - shift, end - shift))
        text = doclike.text.lower()
        if len(self.tokens) and (self.always or any(hint in text for hint in self.hints)):
            for match_id, start, end in self.tokens(doclike):
                found.add((int(self.vocab.strings[match_id][4:]), start, end))
        return sorted(found, key=lambda m: (m[1], m[2], m[0]))


def read_table(path: Path) -> list[list[str]]:
    """Rows of a tab-separated table, skipping blank lines and `#` comments."""
    with open(path, encoding="utf8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    return [row for row in csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)]


@dataclass(frozen=True)
class Cue:
    pattern: str
    certainty: str
    scope: str


def load_cues(path: Path = CUE_TABLE) -> list[Cue]:
    cues = []
    for row in read_table(path):
        pattern, certainty, scope = (row + ["", "", ""])[:3]
        if certainty not in CERTAINTIES or scope not in ("clause", "sentence"):
            raise ValueError(f"{path.name}: bad row {row!r}")
        cues.append(Cue(pattern.strip(), certainty, scope))
    return cues


@lru_cache(maxsize=4)
def _matcher(vocab: Vocab) -> tuple[CueMatcher, list[Cue]]:
    cues = load_cues()
    return CueMatcher(vocab, [cue.pattern for cue in cues]), cues


def certainty_cues(span: Span | Doc) -> list[Span]:
    """Cue spans inside `span` (label_ = certainty, kb_id_ = scope), blockers removed."""
    doc = span if isinstance(span, Doc) else span.doc
    start = 0 if isinstance(span, Doc) else span.start
    matcher, cues = _matcher(doc.vocab)
    found = []
    for index, s, e in matcher(span):
        cue = cues[index]
        found.append(Span(doc, start + s, start + e, label=cue.certainty, kb_id=cue.scope))
    blockers = [c for c in found if c.label_ == "asserted"]
    kept = [c for c in found if c.label_ != "asserted"
            and not any(b.start < c.end and c.start < b.end for b in blockers)]
    # Longest match wins where cues overlap.
    kept.sort(key=lambda c: (c.start, -(c.end - c.start)))
    result: list[Span] = []
    for cue in kept:
        if result and cue.start < result[-1].end:
            continue
        result.append(cue)
    return result


def clause_ids(sent: Span) -> list[int]:
    """A clause number for every token of `sent` (0-based, relative to sent.start)."""
    ids, current = [], 0
    tokens = list(sent)
    opens_with_subordinator = bool(tokens) and tokens[0].lower_ in SUBORDINATORS
    first_comma_seen = False
    for i, tok in enumerate(tokens):
        ids.append(current)
        if tok.text in {";", ":"}:
            current += 1
        elif tok.text == ",":
            nxt = tokens[i + 1].lower_ if i + 1 < len(tokens) else ""
            if nxt in CLAUSE_OPENERS or (opens_with_subordinator and not first_comma_seen):
                current += 1
            first_comma_seen = True
    return ids


def _sentence_of(span: Span | Doc) -> Span:
    if isinstance(span, Doc):
        return span[:]
    if span.doc.has_annotation("SENT_START"):
        return span.sent if len(span) else span
    return span


def certainty_of(span: Span | Doc, around: Span | None = None) -> str:
    """`hypothetical`, `hedged` or `asserted` for `span` (a sentence or any span).

    With `around` (e.g. a claim's trigger or its argument extent, inside `span`),
    only cues in the clauses `around` touches count, plus sentence-scope cues.
    """
    cues = certainty_cues(span)
    if around is not None and cues:
        sent = _sentence_of(around)
        ids = clause_ids(sent)
        wanted = {ids[i - sent.start] for i in range(around.start, around.end) if sent.start <= i < sent.end}
        cues = [c for c in cues if c.kb_id_ == "sentence"
                or (sent.start <= c.start < sent.end and ids[c.start - sent.start] in wanted)]
    best = "asserted"
    for cue in cues:
        if RANK[cue.label_] > RANK[best]:
            best = cue.label_
    return best
