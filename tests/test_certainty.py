"""Certainty cues on real sentences from the seed article and the dev gold."""

import warnings

import pytest

warnings.filterwarnings("ignore", category=FutureWarning)

from pipeline.components.certainty import certainty_cues, certainty_of, load_cues  # noqa: E402
from pipeline.nlp import make_base_nlp  # noqa: E402


@pytest.fixture(scope="module")
def nlp():
    return make_base_nlp()


@pytest.mark.parametrize("text, expected", [
    ("An uncontrolled and misdirected inflammatory response by the body’s immune system is thought to be one "
     "of the factors that cause damage to the neurons.", "hedged"),
    ("Cell therapy using regulatory T-cells (Tregs) recently has shown promise in suppressing inflammation and "
     "slowing the progression of ALS.", "hedged"),
    ("This suggests that enhancing the Tregs level in people with ALS could delay the disease’s progression.", "hedged"),
    ("Macrophagic inclusions appear more frequent in the CSF of tofersen-treated patients than previously reported.",
     "hedged"),
    ("Cell therapies targeting neuroinflammation through regulatory T cells are being actively explored as "
     "immunomodulatory strategies, although efficacy remains to be established in adequately powered trials.",
     "hypothetical"),
    ("Next, we propose a plausible mechanism of ALS pathogenesis through the gut-microbiome-brain axis.", "hypothetical"),
    ("After each infusion, Treg numbers, as well as their function, was significantly enhanced.", "asserted"),
    ("IFN + patients were more likely to be male, showed more rapid disease progression and higher neurofilament "
     "levels.", "asserted"),
    ("The FDA's accelerated approval of tofersen (Qalsody) in May 2023 marked the first treatment.", "asserted"),
])
def test_sentence_certainty(nlp, text, expected):
    assert certainty_of(nlp(text)[:]) == expected


def test_cue_spans_and_clause_scope(nlp):
    doc = nlp("Extracellular vesicles released from the degenerative milieu contribute to ALS propagation and "
              "progression by shuttling misfolded proteins; thus, they could serve as a biomarker for diagnosis.")
    cues = certainty_cues(doc[:])
    assert [(c.text, c.label_) for c in cues] == [("could", "hedged")]
    first_clause = doc[0:2]  # "Extracellular vesicles ... contribute"
    second_clause = doc[[t.text for t in doc].index("serve"):][:1]
    assert certainty_of(doc[:], around=first_clause) == "asserted"
    assert certainty_of(doc[:], around=second_clause) == "hedged"


def test_cue_table_is_valid(nlp):
    cues = load_cues()
    assert len(cues) > 20
    for cue in cues:
        for word in cue.pattern.split():
            if word.startswith("{") or word.startswith("="):
                continue
            for alternative in word.rstrip("?").split("|"):
                assert len(nlp.make_doc(alternative)) == 1, f"{alternative!r} is not one token"
