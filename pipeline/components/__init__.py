"""The registered spaCy components of the alsfacts pipeline, and what they share."""

from spacy.attrs import ORTH, SPACY

_TEXT_KEY = "alsfacts.text"


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
