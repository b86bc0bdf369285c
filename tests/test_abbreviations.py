"""alsfacts_abbreviations repairs scispaCy's long forms (seed article, real text)."""
from pathlib import Path

import pytest

from pipeline.nlp import make_base_nlp
from pipeline.components.abbreviations import letters_spelled

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpora" / "als_news_tregs.txt"


@pytest.fixture(scope="module")
def nlp():
    """The base pipeline (scispaCy tokenizer, sentence segmenter) with the components under test."""
    nlp = make_base_nlp()
    for name in ("alsfacts_abbreviations",):
        nlp.add_pipe(name)
    return nlp


def long_forms(doc):
    return {a["short_text"]: a["long_text"] for a in doc._.abbreviations}


def test_seed_long_forms_are_trimmed(nlp):
    doc = nlp(SEED.read_text())
    forms = long_forms(doc)
    assert forms["Tregs"] == "regulatory T-cells"          # scispaCy says "therapy using regulatory T-cells"
    assert forms["ALS"] == "Amyotrophic lateral sclerosis"
    assert forms["IL-2"] == "interleukin-2"


def test_short_form_applies_to_all_its_mentions(nlp):
    doc = nlp(SEED.read_text())
    tregs = [a for a in doc._.abbreviations if a["short_text"] == "Tregs"]
    assert len(tregs) >= 8
    for a in tregs:
        assert doc.text[a["short_start_char"]:a["short_end_char"]] == "Tregs"
        assert doc.text[a["long_start_char"]:a["long_end_char"]] == "regulatory T-cells"


@pytest.mark.parametrize("text,short,long", [
    ("Infusions of regulatory T cells (Tregs) slowed decline.", "Tregs", "regulatory T cells"),
    ("Cell therapy using regulatory T-cells (Tregs) was safe.", "Tregs", "regulatory T-cells"),
    ("RMT improved maximal expiratory pressure (MEP; SMD 0.387) in ALS.", "MEP", "maximal expiratory pressure"),
])
def test_missed_and_wrong_definitions_are_fixed(nlp, text, short, long):
    assert long_forms(nlp(text)).get(short) == long


def test_letters_spelled():
    assert letters_spelled("FVC", ["forced", "vital", "capacity"])
    assert not letters_spelled("FVC", ["vital", "capacity"])


def test_short_form_before_its_long_form_and_docs_without_parentheses(nlp):
    # a long form of more than three tokens inside the parentheses (scispaCy's rule)
    doc = nlp("Serum NfL (neurofilament light chain protein) rose. NfL predicted decline.")
    assert long_forms(doc).get("NfL") == "neurofilament light chain protein"
    assert len([a for a in doc._.abbreviations if a["short_text"] == "NfL"]) == 2
    assert nlp("No parentheses here, so no definitions.")._.abbreviations == []


def test_offsets_of_every_mention_are_exact(nlp):
    text = SEED.read_text()
    doc = nlp(text)
    assert doc._.abbreviations
    for a in doc._.abbreviations:
        assert text[a["short_start_char"]:a["short_end_char"]] == a["short_text"] == doc[a["short_start"]].text
        assert text[a["long_start_char"]:a["long_end_char"]] == a["long_text"] == \
            doc[a["long_start"]:a["long_end"]].text
