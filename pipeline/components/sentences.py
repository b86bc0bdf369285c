"""Rule-based sentence segmentation that survives biomedical text.

Decides sentence starts from the tokens scispaCy's tokenizer gives: a sentence
ends at a terminal punctuation token (or a blank line / a line with no final
punctuation, such as a heading) unless the next word cannot start a sentence
or the period belongs to an abbreviation ("et al.", "e.g.", "vs.", "approx.").
Decimals ("p < 0.05", "56.5%") are single tokens, so they never split.
"""

from __future__ import annotations

import re

import numpy
from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.components import doc_text

TERMINATORS = {".", "!", "?", "...", "…"}
CLOSERS = {")", "]", "”", "’", '"', "'", "»"}
# Words whose trailing period the tokenizer splits off but which do not end a sentence.
ABBREVIATIONS = {
    "al", "approx", "ca", "cf", "fig", "figs", "eq", "ref", "refs", "no", "nos", "vol", "vs",
    "sp", "spp", "resp", "dr", "prof", "mr", "mrs", "ms", "st", "inc", "ltd", "co", "jr",
    "e.g", "i.e", "etc", "viz", "n", "mg", "wk", "wks", "yr", "yrs", "min", "max", "mo",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "univ", "dept",
}


def _can_start_sentence(text: str) -> bool:
    """Anything but a plain lower-case word ("iPSC-derived", "α-synuclein", "56.5" can start one)."""
    return not (text[0].islower() and text.isalpha() and text.islower())


@Language.factory("alsfacts_sentences")
def create_sentence_segmenter(nlp: Language, name: str):
    return SentenceSegmenter()


class SentenceSegmenter:
    """Sets the sentence starts of the doc in one array write.

    Only the tokens at candidate boundaries (terminal punctuation, line breaks) are
    looked at, found with a regular expression over the text; every other token is
    marked "not a start" in bulk, which keeps the component far cheaper than the tokenizer.
    """

    candidates = re.compile(r"[.!?…]|\n")

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if not n:
            return doc
        starts = numpy.full((n, 1), -1, dtype="int64")
        starts[0, 0] = 1
        token_starts = doc.to_array(IDX)
        seen = -1
        for match in self.candidates.finditer(doc_text(doc)):
            i = int(numpy.searchsorted(token_starts, match.start(), side="right")) - 1
            if i <= seen:
                continue
            seen = i
            j = self._next_start(doc, i, n)
            if j is not None:
                starts[j, 0] = 1
        doc.from_array([SENT_START], starts.astype("uint64"))
        return doc

    @staticmethod
    def _next_start(doc: Doc, i: int, n: int) -> int | None:
        """The token that starts a sentence after a boundary candidate at token i, if any."""
        tok = doc[i]
        text = tok.text
        if tok.is_space:
            # A blank line always breaks; a single line break breaks when the line
            # before it did not end in a way that continues (a heading, a list item).
            if "\n" in text and i + 1 < n:
                prev = doc[i - 1].text if i else ""
                if text.count("\n") >= 2 or prev not in {",", ";", ":", "-", "(", "and", "or"}:
                    return i + 1
            return None
        if i + 1 >= n:
            return None
        if text not in TERMINATORS:
            # "… scored by the ALSFRS-R. Resveratrol …": a word that kept its period.
            stem = text[:-1].lower()
            if not text.endswith(".") or len(text) < 3 or stem in ABBREVIATIONS or "." in stem \
                    or not doc[i + 1].is_space and i + 1 < n and doc[i].whitespace_ == "":
                return None
            j = i + 1
            while j < n and doc[j].is_space:
                j += 1
            return j if j < n and doc[j].is_title else None
        prev = doc[i - 1].lower_ if i else ""
        j = i + 1
        while j < n and (doc[j].text in CLOSERS or doc[j].text in TERMINATORS):
            j += 1
        while j < n and doc[j].is_space:
            j += 1
        if j < n and not (text == "." and prev in ABBREVIATIONS and not doc[j].is_title) \
                and _can_start_sentence(doc[j].text):
            return j
        return None
