"""`alsfacts_abbreviations`: scispaCy's AbbreviationDetector with long forms repaired.

The detector (Schwartz & Hearst) returns e.g. "therapy using regulatory T-cells" for
"Tregs" and misses "regulatory T cells (Tregs)" where the short form's first letter is
not a word start of the long form. This component
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

from scispacy.abbreviation import AbbreviationDetector
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.components.linking import lookup

SHORT_FORM_RE = re.compile(r"^(?=.*[A-Z])[A-Za-z][A-Za-z0-9\-αβγδκ]{1,9}$")
MAX_LONG_WORDS = 10


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


def best_long_form(short: str, tokens: list):
    """tokens: the candidate long-form tokens (spaCy Tokens, in order). Returns the index
    of the first token of the repaired long form, or None."""
    n = len(tokens)
    # longest suffix that is a KB term
    for i in range(n):
        span_text = tokens[i].doc.text[tokens[i].idx:tokens[-1].idx + len(tokens[-1])]
        if tokens[i].is_punct or tokens[i].is_stop:
            continue
        if lookup(span_text) is not None:
            return i
    # shortest suffix spelling the short form
    for i in range(n - 1, -1, -1):
        if letters_spelled(short, [t.text for t in tokens[i:]]):
            return i
    return None


class AlsAbbreviations:
    def __init__(self, nlp: Language, name: str):
        self.detector = AbbreviationDetector(nlp, name=name, make_serializable=True)

    def __call__(self, doc: Doc) -> Doc:
        doc = self.detector(doc)
        raw = doc._.abbreviations or []
        pairs = {}  # short text -> (long start token, long end token)
        for a in raw:
            short = a["short_text"]
            if short in pairs:
                continue
            ls, le = a["long_start"], a["long_end"]
            toks = [doc[i] for i in range(ls, le)]
            k = best_long_form(short, toks)
            if k is not None:
                ls = ls + k
            pairs[short] = (ls, le)
        for short, (ls, le) in self._missed_definitions(doc, pairs).items():
            pairs[short] = (ls, le)
        doc._.abbreviations = self._all_mentions(doc, pairs)
        return doc

    @staticmethod
    def _missed_definitions(doc: Doc, known: dict) -> dict:
        found = {}
        for tok in doc[:-2]:
            if tok.text != "(" or doc[tok.i + 2].text not in (")", ";", ","):
                continue
            short = doc[tok.i + 1].text
            if short in known or short in found or not SHORT_FORM_RE.match(short):
                continue
            start = max(tok.sent.start if doc.has_annotation("SENT_START") else 0, tok.i - MAX_LONG_WORDS)
            toks = [t for t in doc[start:tok.i]]
            # stop at punctuation: the long form is a contiguous phrase
            cut = max((j + 1 for j, t in enumerate(toks) if t.is_punct), default=0)
            toks = toks[cut:]
            if not toks:
                continue
            k = best_long_form(short, toks)
            if k is not None:
                found[short] = (toks[k].i, tok.i)
        return found

    @staticmethod
    def _all_mentions(doc: Doc, pairs: dict) -> list:
        out = []
        for short, (ls, le) in pairs.items():
            long_span = doc[ls:le]
            for tok in doc:
                if tok.text == short and not (ls <= tok.i < le):
                    out.append({
                        "short_text": short, "short_start": tok.i, "short_end": tok.i + 1,
                        "short_start_char": tok.idx, "short_end_char": tok.idx + len(tok),
                        "long_text": long_span.text, "long_start": ls, "long_end": le,
                        "long_start_char": long_span.start_char, "long_end_char": long_span.end_char,
                    })
        return out


@Language.factory("alsfacts_abbreviations")
def make_alsfacts_abbreviations(nlp: Language, name: str):
    return AlsAbbreviations(nlp, name)
