"""The registered spaCy components of the alsfacts pipeline, and what they share."""

from spacy.attrs import LOWER, ORTH, SENT_START, SPACY

_TEXT_KEY = "alsfacts.text"
_LOWER_KEY = "alsfacts.lower_words"


def doc_text(doc) -> str:
    """The text of a Doc, built once per Doc from the vocabulary and kept in `doc.user_data`.

    spaCy's `doc.text` joins a new Token object per token on every access, which made it
    the most expensive line of several components."""
    text = doc.user_data.get(_TEXT_KEY)
    if text is None:
        strings = doc.vocab.strings
        text = "".join([strings[o] + " " if s else strings[o] for o, s in doc.to_array([ORTH, SPACY]).tolist()])
        doc.user_data[_TEXT_KEY] = text
    return text


def span_extension(doc, name: str, start_char: int, end_char: int, default=None):
    """A Span extension's value read straight from where spaCy keeps it (`doc.user_data`),
    without making the Span and its Underscore object; entities.py writes them the same way."""
    return doc.user_data.get(("._.", name, start_char, end_char), default)


def remember_text(doc, text: str):
    """Keep the text a Doc was made from, so `doc_text` need not rebuild it."""
    doc.user_data[_TEXT_KEY] = text
    return doc


def sentence_spans(doc) -> list:
    """The doc's sentences as Spans, read from the SENT_START array (`doc.sents` walks every token)."""
    if not len(doc):
        return []
    starts = (doc.to_array(SENT_START) == 1).nonzero()[0].tolist()
    if not starts or starts[0] != 0:
        starts = [0] + starts
    bounds = starts + [len(doc)]
    return [doc[a:b] for a, b in zip(bounds, bounds[1:])]


def lower_words(doc) -> list:
    """Every token's lower-cased text, read once per Doc from its arrays (no Token objects)
    and kept in `doc.user_data` (rebuilt if the Doc was retokenized since)."""
    words = doc.user_data.get(_LOWER_KEY)
    if words is None or len(words) != len(doc):
        strings = doc.vocab.strings
        words = [strings[key] for key in doc.to_array(LOWER).tolist()]
        doc.user_data[_LOWER_KEY] = words
    return words
