"""`alsfacts_abbreviations`: abbreviation definitions (Schwartz & Hearst) with long forms repaired.

The Schwartz–Hearst step is scispaCy's own (`scispacy.abbreviation.filter_matches`, which
applies `short_form_filter`, and `find_abbreviation`), fed the same "( … )" candidates its
AbbreviationDetector's Matcher finds, but located from the bracket positions of the Doc's
arrays, so documents without "(" cost almost nothing.
The detector returns e.g. "therapy using regulatory T-cells" for "Tregs" and misses
"regulatory T cells (Tregs)" where the short form's first letter is not a word start of
the long form. This component
  * trims each long form to its longest suffix that is a KB term, else to the shortest
    suffix whose words spell the short form's letters in order;
  * adds "LONG (SHORT)" definitions the detector missed, when a suffix of the words before
    the parenthesis is a KB term or spells the short form;
  * finds every later mention of a defined short form in the document.
`doc._.abbreviations` is a list of dicts (serializable, as with make_serializable=True):
short_text, short_start, short_end (tokens), short_start_char, short_end_char,
long_text, long_start, long_end, long_start_char, long_end_char.
"""
from __future__ import annotations

import re

import numpy
from spacy.attrs import IDX, IS_PUNCT, IS_STOP, ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from scispacy.abbreviation import filter_matches, find_abbreviation

from pipeline.components.linking import lookup

if not Doc.has_extension("abbreviations"):
    Doc.set_extension("abbreviations", default=[])

SHORT_FORM_RE = re.compile(r"^(?=.*[A-Z])[A-Za-z][A-Za-z0-9\-αβγδκ]{1,9}$")
MAX_LONG_WORDS = 10
MAX_INSIDE = 8  # tokens inside the parentheses (scispaCy's limit)


def letters_spelled(short: str, words: list) -> bool:
    """Short form letters appear in order in the words, the first letter starting the first word."""
    letters = [c.lower() for c in short if c.isalnum()]
    if not letters or not words or words[0][:1].lower() != letters[0]:
        return False
    text = " ".join(w.lower() for w in words)
    pos = 0
    for c in letters:
        pos = text.find(c, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def _may_be_short_form(words: list) -> bool:
    """scispaCy's `short_form_filter`, on plain strings (the candidate's token texts)."""
    if not words or not all(2 <= len(w) < 10 for w in words):
        return False
    text = "".join(words)  # without spaces: never stricter than the filter on the span's text
    return text[0].isalpha() and sum(c.isalpha() for c in text) / len(text) >= 0.5


class DocArrays:
    """A Doc read once as arrays: token texts come from the vocabulary on demand."""

    def __init__(self, doc: Doc, orths: numpy.ndarray):
        arr = doc.to_array([IDX, IS_PUNCT, IS_STOP, SENT_START])
        self.doc = doc
        self.orths = orths
        self.idx = arr[:, 0].tolist()
        self.punct = arr[:, 1].tolist()
        self.stop = arr[:, 2].tolist()
        self.sent_start = arr[:, 3].astype(numpy.int64).tolist()
        self.n = len(self.idx)
        self._strings = doc.vocab.strings
        self._orth_list = orths.tolist()
        self._texts: dict = {}

    def text(self, i: int) -> str:
        t = self._texts.get(i)
        if t is None:
            t = self._texts[i] = self._strings[self._orth_list[i]]
        return t

    def span_text(self, start: int, end: int) -> str:
        parts = []
        for k in range(start, end - 1):
            t = self.text(k)
            parts.append(t + " " * (self.idx[k + 1] - self.idx[k] - len(t)))
        parts.append(self.text(end - 1))
        return "".join(parts)

    def end_char(self, i: int) -> int:
        return self.idx[i] + len(self.text(i))

    def sentence_start(self, i: int) -> int:
        ss = self.sent_start
        while i > 0 and ss[i] != 1:
            i -= 1
        return i


def best_long_form(short: str, arrays: DocArrays, start: int, end: int):
    """The first token of the repaired long form among tokens start..end-1, or None."""
    # longest suffix that is a KB term
    for i in range(start, end):
        if arrays.punct[i] or arrays.stop[i]:
            continue
        if lookup(arrays.span_text(i, end)) is not None:
            return i
    # shortest suffix spelling the short form
    for i in range(end - 1, start - 1, -1):
        if letters_spelled(short, [arrays.text(k) for k in range(i, end)]):
            return i
    return None


class AlsAbbreviations:
    def __init__(self, nlp: Language, name: str):
        strings = nlp.vocab.strings
        self.open_paren = strings.add("(")
        self.close_paren = strings.add(")")
        self.after_short = {strings.add(")"), strings.add(";"), strings.add(",")}

    def __call__(self, doc: Doc) -> Doc:
        orths = doc.to_array(ORTH)
        opens = numpy.flatnonzero(orths == self.open_paren)
        if len(opens) == 0:
            doc._.abbreviations = []
            return doc
        arrays = DocArrays(doc, orths)
        closes = numpy.flatnonzero(orths == self.close_paren).tolist()
        pairs = self._detected(arrays, opens.tolist(), closes)
        for short, span in self._missed_definitions(arrays, opens.tolist(), pairs).items():
            pairs[short] = span
        doc._.abbreviations = self._all_mentions(arrays, pairs)
        return doc

    # ------------------------------------------------------------ Schwartz & Hearst
    @staticmethod
    def _parenthesis_matches(arrays: DocArrays, opens: list, closes: list) -> list:
        """What scispaCy's "(" … ")" Matcher gives its detector (brackets stripped),
        found from the bracket positions instead of a Matcher pass over every token, less
        the candidates whose short form `short_form_filter` would refuse anyway."""
        matches = []
        for a in opens:
            for b in closes:
                if b > a + 1:
                    if b - a - 1 > MAX_INSIDE:
                        break
                    short = range(a - 1, a) if b - a - 1 > 3 else range(a + 1, b)
                    if short.start >= 0 and _may_be_short_form([arrays.text(k) for k in short]):
                        matches.append((0, a + 1, b))
        return matches

    def _detected(self, arrays: DocArrays, opens: list, closes: list) -> dict:
        """short text -> (long start, long end): scispaCy's `filter_matches` and
        `find_abbreviation` (Schwartz & Hearst), then long forms trimmed by best_long_form."""
        pairs = {}
        seen_long = set()
        doc = arrays.doc
        for long_candidate, short_candidate in filter_matches(self._parenthesis_matches(arrays, opens, closes), doc):
            short, long = find_abbreviation(long_candidate, short_candidate)
            if long is None or not len(long):
                continue
            short_text, long_text = short.text, long.text
            if short_text in pairs or long_text in seen_long:
                continue
            seen_long.add(long_text)
            fixed = best_long_form(short_text, arrays, long.start, long.end)
            pairs[short_text] = (fixed if fixed is not None else long.start, long.end)
        return pairs

    def _missed_definitions(self, arrays: DocArrays, opens: list, known: dict) -> dict:
        found = {}
        n = arrays.n
        orths = arrays._orth_list
        for i in opens:
            if i + 2 >= n or orths[i + 2] not in self.after_short:
                continue
            short = arrays.text(i + 1)
            if short in known or short in found or not SHORT_FORM_RE.match(short):
                continue
            start = max(arrays.sentence_start(i), i - MAX_LONG_WORDS)
            # stop at punctuation: the long form is a contiguous phrase
            cut = max((j + 1 for j in range(start, i) if arrays.punct[j]), default=start)
            if cut >= i:
                continue
            k = best_long_form(short, arrays, cut, i)
            if k is not None:
                found[short] = (k, i)
        return found

    @staticmethod
    def _all_mentions(arrays: DocArrays, pairs: dict) -> list:
        strings = arrays.doc.vocab.strings
        out = []
        for short, (ls, le) in pairs.items():
            if short not in strings:
                continue
            positions = numpy.flatnonzero(arrays.orths == strings[short]).tolist()
            if not positions:
                continue
            long_text = arrays.span_text(ls, le)
            long_start_char, long_end_char = arrays.idx[ls], arrays.end_char(le - 1)
            for i in positions:
                if ls <= i < le:
                    continue
                idx = arrays.idx[i]
                out.append({
                    "short_text": short, "short_start": i, "short_end": i + 1,
                    "short_start_char": idx, "short_end_char": idx + len(short),
                    "long_text": long_text, "long_start": ls, "long_end": le,
                    "long_start_char": long_start_char, "long_end_char": long_end_char,
                })
        return out


@Language.factory("alsfacts_abbreviations")
def make_alsfacts_abbreviations(nlp: Language, name: str):
    return AlsAbbreviations(nlp, name)
