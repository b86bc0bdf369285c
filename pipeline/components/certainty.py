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
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from pipeline.components import doc_text, lower_words

DATA_DIR = Path(__file__).with_name("data")
CUE_TABLE = DATA_DIR / "certainty_cues.tsv"
FOLDED_TEXT_KEY = "alsfacts.folded_text"  # doc.user_data: the doc's text lower-cased, see folded_text
CASE_FOLD_CHARS = "\u0130\u0131\u017f\u212a"
CASE_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
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


def _required_word(sequence: list[str]) -> tuple[str, int] | None:
    """The lower-cased text of the first literal token of a pattern sequence and its position
    (None: all wildcards)."""
    for i, word in enumerate(sequence):
        if word not in WILDCARDS:
            return (word[1:].lower() if word.startswith("=") and len(word) > 1 else word.lower()), i
    return None


class CueMatcher:
    """Matches table patterns: literal ones with a `PhraseMatcher` on LOWER (indexed, fast), the
    few with wildcards or exact-case tokens with `Matcher`s. Those are grouped by a word each needs
    (or, for `{AGE}`, a part of a word), and a group's Matcher runs only around tokens holding it."""

    def __init__(self, vocab: Vocab, patterns: list[str]):
        self.phrases = PhraseMatcher(vocab, attr="LOWER")
        self.vocab = vocab
        self.by_word: dict[str, WildcardGroup] = {}
        self.by_part: dict[str, WildcardGroup] = {}
        self.anywhere = WildcardGroup(Matcher(vocab))  # patterns with nothing to look for
        self.index_of: dict[int, int] = {}  # match id -> pattern index
        for i, pattern in enumerate(patterns):
            key = f"cue_{i}"
            self.index_of[vocab.strings.add(key)] = i
            literal = []
            for seq in expand_cue_pattern(pattern):
                if all(w not in WILDCARDS and not w.startswith("=") for w in seq):
                    literal.append(seq)
                    continue
                required = _required_word(seq)
                if required is not None:
                    self.by_word.setdefault(required[0], WildcardGroup(Matcher(vocab))).add(key, seq, required[1])
                elif "{AGE}" in seq:
                    self.by_part.setdefault("-old", WildcardGroup(Matcher(vocab))).add(key, seq, seq.index("{AGE}"))
                else:
                    self.anywhere.add(key, seq)
            if literal:
                self.phrases.add(key, [Doc(vocab, words=[w.lower() for w in seq]) for seq in literal])
        # Whether the folded doc text (see `folded_text`) can rule a group out.
        self.text_gate = all(hint.isascii() for hint in [*self.by_word, *self.by_part])

    def __call__(self, doclike) -> list[tuple[int, int, int]]:
        """(pattern index, start, end) for every match, offsets relative to `doclike`."""
        if isinstance(doclike, Span):
            shift = doclike.start
            found = self.find(doclike.doc, doclike.start, doclike.end)
        else:
            shift = 0
            found = self.find(doclike)
        return [(index, start - shift, end - shift) for index, start, end in found]

    def find(self, doc: Doc, start: int = 0, end: int | None = None) -> list[tuple[int, int, int]]:
        """(pattern index, start, end) for every match inside doc[start:end], in doc offsets,
        sorted by (start, end, index)."""
        end = len(doc) if end is None else end
        if end <= start:
            return []
        found = set()
        index_of = self.index_of
        if len(self.phrases):
            # On a Span the PhraseMatcher gives doc offsets.
            for match_id, s, e in self.phrases(doc[start:end] if start or end < len(doc) else doc):
                found.add((index_of[match_id], s, e))
        for matcher, a, b in self._windows(doc, start, end):
            for match_id, s, e in matcher(doc[a:b]):  # the Matcher gives span offsets
                found.add((index_of[match_id], a + s, a + e))
        return sorted(found, key=lambda m: (m[1], m[2], m[0]))

    def _windows(self, doc: Doc, start: int, end: int) -> list[tuple[Matcher, int, int]]:
        """(Matcher, first token, end token) for every token range a wildcard group must read:
        around each token holding the group's word (a match holds one, at most `before` tokens
        after its start and `after` tokens before its end)."""
        windows = [(self.anywhere.matcher, start, end)] if len(self.anywhere.matcher) else []
        words_needed, parts_needed = list(self.by_word), list(self.by_part)
        if self.text_gate:
            text = folded_text(doc)
            words_needed = [word for word in words_needed if word in text]
            parts_needed = [part for part in parts_needed if part in text]
        if not words_needed and not parts_needed:
            return windows
        words = lower_words(doc)
        targets = [(self.by_word[word], [word]) for word in words_needed]
        if parts_needed:
            vocabulary = set(words[start:end])
            targets += [(self.by_part[part], [w for w in vocabulary if part in w]) for part in parts_needed]
        for group, holders in targets:
            positions = []
            for word in holders:
                i = start - 1
                while True:
                    try:
                        i = words.index(word, i + 1, end)
                    except ValueError:
                        break
                    positions.append(i)
            ranges: list[list[int]] = []
            for i in sorted(positions):
                a, b = max(start, i - group.before), min(end, i + group.after + 1)
                if ranges and a <= ranges[-1][1]:
                    ranges[-1][1] = b
                else:
                    ranges.append([a, b])
            windows.extend((group.matcher, a, b) for a, b in ranges)
        return windows


@dataclass
class WildcardGroup:
    """A Matcher for the wildcard patterns that share a required word, and how many tokens a
    match reaches before and after that word."""
    matcher: Matcher
    before: int = 0
    after: int = 0

    def add(self, key: str, sequence: list[str], required: int = 0) -> None:
        """Add a pattern whose required word is its token `required`."""
        self.matcher.add(key, [[_token_spec(w) for w in sequence]])
        self.before = max(self.before, required)
        self.after = max(self.after, len(sequence) - required - 1)


def folded_text(doc: Doc) -> str:
    """The doc's text lower-cased character for character (same length, same offsets), once per
    Doc (kept in `doc.user_data`). "İ", "ı", "ſ" and the Kelvin sign are folded to i, i, s, k
    first, so an ASCII letter in it stands for exactly the characters `re.IGNORECASE` matches
    to that letter: a case-insensitive ASCII literal can only match where the folded text holds
    it. Every token's lower-cased text holds only ASCII pieces the folded text holds too."""
    folded = doc.user_data.get(FOLDED_TEXT_KEY)
    if folded is None:
        text = doc_text(doc)
        if any(char in text for char in CASE_FOLD_CHARS):
            text = text.translate(CASE_FOLD)
        folded = doc.user_data[FOLDED_TEXT_KEY] = text.lower()
    return folded


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


CUES_KEY = "alsfacts.certainty_cues"  # doc.user_data: the doc's cue matches, found once


def _doc_matches(doc: Doc) -> tuple[list[int], list[tuple[int, int, str, str]]]:
    """Every cue match of the doc (start, end, certainty, scope), sorted by (start, end, pattern),
    and their starts: one matcher pass per Doc, kept in `doc.user_data`."""
    cached = doc.user_data.get(CUES_KEY)
    if cached is not None and cached[0] == len(doc):
        return cached[1], cached[2]
    matcher, cues = _matcher(doc.vocab)
    matches = [(s, e, cues[index].certainty, cues[index].scope) for index, s, e in matcher.find(doc)]
    starts = [m[0] for m in matches]
    doc.user_data[CUES_KEY] = (len(doc), starts, matches)
    return starts, matches


def _cues_between(doc: Doc, start: int, end: int) -> list[tuple[int, int, str, str]]:
    """The cues inside doc[start:end] as (start, end, certainty, scope): the matches lying wholly
    inside (what matching the span alone finds), blockers removed, the longest where they overlap."""
    starts, matches = _doc_matches(doc)
    found = [m for m in matches[bisect_left(starts, start):bisect_left(starts, end)] if m[1] <= end]
    if not found:
        return found
    blockers = [m for m in found if m[2] == "asserted"]
    kept = [m for m in found if m[2] != "asserted"
            and not any(b[0] < m[1] and m[0] < b[1] for b in blockers)]
    # Longest match wins where cues overlap.
    kept.sort(key=lambda m: (m[0], m[0] - m[1]))
    result: list[tuple[int, int, str, str]] = []
    for cue in kept:
        if result and cue[0] < result[-1][1]:
            continue
        result.append(cue)
    return result


def certainty_cues(span: Span | Doc) -> list[Span]:
    """Cue spans inside `span` (label_ = certainty, kb_id_ = scope), blockers removed."""
    doc, start, end = (span, 0, len(span)) if isinstance(span, Doc) else (span.doc, span.start, span.end)
    return [Span(doc, s, e, label=certainty, kb_id=scope) for s, e, certainty, scope in _cues_between(doc, start, end)]


def clause_ids(sent: Span) -> list[int]:
    """A clause number for every token of `sent` (0-based, relative to sent.start)."""
    return clause_ids_of(lower_words(sent.doc)[sent.start:sent.end])


def clause_ids_of(words: list[str]) -> list[int]:
    """A clause number for every token, given the tokens' lower-cased texts (punctuation
    has no case, so ";" ":" "," read the same as the tokens' texts)."""
    ids, current = [], 0
    opens_with_subordinator = bool(words) and words[0] in SUBORDINATORS
    first_comma_seen = False
    last = len(words) - 1
    for i, word in enumerate(words):
        ids.append(current)
        if word == ";" or word == ":":
            current += 1
        elif word == ",":
            nxt = words[i + 1] if i < last else ""
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
    if isinstance(span, Doc):
        cues = _cues_between(span, 0, len(span))
    else:
        doc, start, end = span.doc, span.start, span.end
        cached = doc.user_data.get(CUES_KEY)
        if cached is not None and cached[0] == len(doc):
            starts = cached[1]  # most sentences hold no cue: answer them without the general path
            if bisect_left(starts, start) == bisect_left(starts, end):
                return "asserted"
        cues = _cues_between(doc, start, end)
    if not cues:
        return "asserted"
    if around is not None:
        sent = _sentence_of(around)
        ids = clause_ids(sent)
        wanted = {ids[i - sent.start] for i in range(around.start, around.end) if sent.start <= i < sent.end}
        cues = [c for c in cues if c[3] == "sentence"
                or (sent.start <= c[0] < sent.end and ids[c[0] - sent.start] in wanted)]
    best = "asserted"
    for cue in cues:
        if RANK[cue[2]] > RANK[best]:
            best = cue[2]
    return best
