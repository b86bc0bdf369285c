"""Rule-based sentence segmentation that survives biomedical text.

Decides sentence starts from the tokens scispaCy's tokenizer gives: a sentence
ends at a terminal punctuation token (or a blank line / a line with no final
punctuation, such as a heading) unless the next word cannot start a sentence
or the period belongs to an abbreviation ("et al.", "e.g.", "vs.", "approx.").
Decimals ("p < 0.05", "56.5%") are single tokens, so they never split.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

TERMINATORS = {".", "!", "?", "...", "…"}
CLOSERS = {")", "]", "”", "’", '"', "'", "»"}
# Words whose trailing period the tokenizer splits off but which do not end a sentence.
ABBREVIATIONS = {
    "al", "approx", "ca", "cf", "fig", "figs", "eq", "ref", "refs", "no", "nos", "vol", "vs",
    "sp", "spp", "resp", "dr", "prof", "mr", "mrs", "ms", "st", "inc", "ltd", "co", "jr",
    "e.g", "i.e", "etc", "viz", "n", "mg", "wk", "wks", "yr", "yrs", "min", "max", "mo",
}


def _can_start_sentence(text: str) -> bool:
    """Anything but a plain lower-case word ("iPSC-derived", "α-synuclein", "56.5" can start one)."""
    return not (text[0].islower() and text.isalpha() and text.islower())


@Language.factory("alsfacts_sentences")
def create_sentence_segmenter(nlp: Language, name: str):
    return SentenceSegmenter()


class SentenceSegmenter:
    """Sets `token.is_sent_start` for every token of the doc."""

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if not n:
            return doc
        starts = [False] * n
        starts[0] = True
        i = 0
        while i < n:
            tok = doc[i]
            text = tok.text
            if tok.is_space:
                # A blank line always breaks; a single line break breaks when the line
                # before it did not end in a way that continues (a heading, a list item).
                if "\n" in text and i + 1 < n:
                    prev = doc[i - 1].text if i else ""
                    if text.count("\n") >= 2 or prev not in {",", ";", ":", "-", "(", "and", "or"}:
                        starts[i + 1] = True
                i += 1
                continue
            if text in TERMINATORS and i + 1 < n:
                prev = doc[i - 1].lower_ if i else ""
                j = i + 1
                while j < n and (doc[j].text in CLOSERS or doc[j].text in TERMINATORS):
                    j += 1
                while j < n and doc[j].is_space:
                    j += 1
                if j < n and not (text == "." and prev in ABBREVIATIONS and not doc[j].is_title) \
                        and _can_start_sentence(doc[j].text):
                    starts[j] = True
                i = j
                continue
            i += 1
        for tok, start in zip(doc, starts):
            tok.is_sent_start = start
        return doc
