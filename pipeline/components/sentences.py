"""Rule-based sentence segmentation that survives biomedical text.

Decides sentence starts from the tokens scispaCy's tokenizer gives: a sentence
ends at a terminal punctuation token unless the next word cannot start a sentence
or the period belongs to an abbreviation ("et al.", "e.g.", "vs.", "approx.").
Decimals ("p < 0.05", "56.5%") are single tokens, so they never split.

Line breaks: a blank line always ends a sentence. A single line break ends one
when the next line starts a block (a bullet, numbered or lettered item, Markdown
heading, quote, table row, or a field label such as "METHODS:") or the line before
is a Markdown heading. Otherwise the sentence goes on across the line break when
the line before ends in a word that continues (",", "and", …), when the next line
starts with a lower-case word, or when the line before is full: hard-wrapped text
breaks a line where the next word would not have fitted, so a line that the next
line's first word would have made longer than the document's wrap width (its
second-longest line) was wrapped. The items of a list that a line ending in ":"
opens stay in its sentence while each starts with a claim verb ("The study shows
that IFB-088:\nReduces …\nImproves …"). Other single line breaks (a short title line
above a paragraph, lines of a list without markers) end the sentence. A bracketed
section label inside a line starts a sentence: registry records joined into one line
read "… (ALS) [brief summary] The purpose of …". The text is never changed: only
where sentences start.
"""

from __future__ import annotations

import heapq
import re

import numpy
from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from pipeline.components import doc_text
from pipeline.components.mention_phrases import trigger_words as claim_trigger_words

TERMINATORS = {".", "!", "?", "...", "…"}
CLOSERS = {")", "]", "”", "’", '"', "'", "»"}
# Words whose trailing period the tokenizer splits off but which do not end a sentence.
ABBREVIATIONS = {
    "al", "approx", "ca", "cf", "fig", "figs", "eq", "ref", "refs", "no", "nos", "vol", "vs",
    "sp", "spp", "resp", "dr", "prof", "mr", "mrs", "ms", "st", "inc", "ltd", "co", "jr",
    "e.g", "i.e", "etc", "viz", "n", "mg", "wk", "wks", "yr", "yrs", "min", "max", "mo",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "univ", "dept",
}

# A line that ends in one of these continues on the next line.
CONTINUING_LINE_ENDS = {",", ";", ":", "-", "(", "and", "or"}
# A line that starts like this begins a new block, so the line break before it ends a sentence,
# unless the line before is full and does not end a sentence: then hard wrapping moved
# "- a critical factor", "56. They" or ">45 years" to the start of this line.
BLOCK_STARTS = {
    "bullet": r"[-*+•◦▪‣·][ \t]",
    "numbered item": r"\d{1,3}[.)][ \t]",
    "lettered item": r"\(?(?:[a-z]|[ivx]{1,4})\)[ \t]",
    "markdown heading": r"#{1,6}(?:[ \t]|\r?$)",
    "quote": r">",
    "table row": r"\|",
    "code fence": r"```|~~~",
    "rule or heading underline": r"(?:={3,}|-{3,}|\*{3,})[ \t\r]*$",
    "field label": r"[A-Z][A-Z /&-]{3,}:",
}
BLOCK_START = re.compile(r"[ \t]*(?:" + "|".join(f"(?:{p})" for p in BLOCK_STARTS.values()) + ")", re.M)
ITEM_NUMBER = re.compile(r"[ \t]*\d{1,3}\.")
SENTENCE_ENDS = ".!?:;"
# Wrapping breaks lines at spaces, not at no-break or thin spaces ("50\u2009mg").
FIRST_WORD = re.compile(r"[ \t]*([^ \t\r\n]*)")
# A line like this (a Markdown heading or its underline) ends whatever comes before the next line.
HEADING_LINE = re.compile(r"[ \t]*(?:#{1,6}(?:[ \t]|\r?$)|(?:={3,}|-{3,})[ \t\r]*$)", re.M)
# The items of a list that a line ending in ":" opens continue its sentence when each starts with a
# verb that makes a claim, in the third person: "The study shows that IFB-088:\nReduces …\nImproves …".
LIST_ITEM_VERBS = frozenset(w for w in claim_trigger_words() if w.endswith("s") and w.isalpha())
MAX_LIST_ITEMS = 12
# A bracketed section label inside a line starts a sentence: registry records joined into one line
# read "… (ALS) [brief summary] The purpose of this study is …", the title before the label.
SECTION_LABEL = re.compile(r"\[(?:brief summary|detailed description|summary|description|background|abstract"
                           r"|methods?|results?|conclusions?|objectives?|purpose|introduction|design|aims?)\]"
                           r"[ \t]+(\S+)", re.I)
# Wrap widths below this are not taken for hard wrapping (a list of short lines is not wrapped text).
MIN_WRAP_WIDTH = 30
# How much longer than the wrap width (the second-longest line) a wrapped line may be.
WRAP_SLACK = 0.1


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
        text = doc_text(doc)
        lines = _Lines(text)
        offsets = [match.start() for match in self.candidates.finditer(text)]
        seen = -1
        for i in (numpy.searchsorted(token_starts, offsets, side="right") - 1).tolist():
            if i <= seen:
                continue
            seen = i
            j = self._next_start(doc, i, n, lines)
            if j is not None:
                starts[j, 0] = 1
        for label in SECTION_LABEL.finditer(text):
            i = int(numpy.searchsorted(token_starts, label.start(), side="right")) - 1
            if 0 < i and token_starts[i] == label.start() and _can_start_sentence(label.group(1)):
                starts[i, 0] = 1
        doc.from_array([SENT_START], starts.astype("uint64"))
        return doc

    @staticmethod
    def _next_start(doc: Doc, i: int, n: int, lines: "_Lines") -> int | None:
        """The token that starts a sentence after a boundary candidate at token i, if any."""
        tok = doc[i]
        text = tok.text
        if tok.is_space:
            if "\n" in text and i + 1 < n:
                if text.count("\n") >= 2:
                    return i + 1  # a blank line
                line_end = tok.idx + text.index("\n")
                if lines.ends_sentence(line_end, doc[i - 1].text if i else "", doc[i + 1].text):
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
        if text == "." and lines.ends_item_number(tok.idx):
            return None  # "1. Riluzole …": the period of a numbered item
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


class _Lines:
    """Line-level decisions: whether a single line break ends a sentence, and list item numbers.

    The wrap width (the document's second-longest line, so that one long title does
    not set it) is measured only when a line break needs it."""

    def __init__(self, text: str):
        self.text = text
        self._width: int | None = None

    @property
    def width(self) -> int:
        if self._width is None:
            longest = heapq.nlargest(2, (len(line.rstrip()) for line in self.text.split("\n")))
            self._width = longest[-1] if len(longest) == 2 else 0
        return self._width

    def ends_sentence(self, line_end: int, last_word: str, next_word: str) -> bool:
        """True when the line break at `line_end` ends a sentence (`last_word`, `next_word`:
        the tokens around it)."""
        text = self.text
        next_start = line_end + 1
        if BLOCK_START.match(text, next_start) and not self._after_wrapped_line(next_start):
            return True
        line_start = text.rfind("\n", 0, line_end) + 1
        if HEADING_LINE.match(text, line_start):
            return True
        if last_word in CONTINUING_LINE_ENDS or not _can_start_sentence(next_word):
            return False
        if next_word.lower() in LIST_ITEM_VERBS and self._in_colon_list(line_start):
            return False
        return not self._wrapped(len(text[line_start:line_end].rstrip()), next_start)

    def _in_colon_list(self, line_start: int) -> bool:
        """Whether the line at `line_start` is an item of a list of verb phrases that a line ending
        in ":" opened ("The study shows that IFB-088:\nReduces …\nImproves …"), with no item
        ended by a full stop."""
        text = self.text
        for _ in range(MAX_LIST_ITEMS):
            line_end = text.find("\n", line_start)
            line = text[line_start:line_end if line_end >= 0 else len(text)].strip()
            first = FIRST_WORD.match(line).group(1).lower()
            if not line or line[-1] in SENTENCE_ENDS or first not in LIST_ITEM_VERBS:
                return False
            if line_start == 0:
                return False
            previous_start = text.rfind("\n", 0, line_start - 1) + 1
            previous = text[previous_start:line_start - 1].rstrip()
            if previous.endswith(":"):
                return True
            line_start = previous_start
        return False

    def ends_item_number(self, period: int) -> bool:
        """True when the period at offset `period` ends the number of a numbered item ("2. …")."""
        line_start = self.text.rfind("\n", 0, period) + 1
        number = ITEM_NUMBER.match(self.text, line_start)
        return number is not None and number.end() == period + 1 \
            and BLOCK_START.match(self.text, line_start) is not None and not self._after_wrapped_line(line_start)

    def _after_wrapped_line(self, line_start: int) -> bool:
        """Whether the line before `line_start` is full and does not end a sentence (so it was wrapped)."""
        if line_start == 0:
            return False
        text = self.text
        previous_line = text[text.rfind("\n", 0, line_start - 1) + 1:line_start - 1].rstrip()
        if not previous_line:
            return False
        if previous_line[-1] in SENTENCE_ENDS:
            last_word = previous_line.rsplit(None, 1)[-1][:-1].lstrip("(").lower()
            if last_word not in ABBREVIATIONS:  # "(MAb No.\n9)" was wrapped
                return False
        return self._wrapped(len(previous_line), line_start)

    def _wrapped(self, line_length: int, next_start: int) -> bool:
        """Whether a line of `line_length` was broken because the next line's first word did not fit."""
        width = self.width
        if width < MIN_WRAP_WIDTH or line_length > width * (1 + WRAP_SLACK):
            return False
        first_word = FIRST_WORD.match(self.text, next_start)
        return line_length + 1 + len(first_word.group(1)) > width
