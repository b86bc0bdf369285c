"""Sentence segmentation of hard-wrapped text: a line break inside a sentence does not end it,
while blank lines, headings, title lines, list items and field labels still do; the text and
its offsets are never changed.

Texts are the seed article (corpora/als_news_tregs.txt), the overview in corpora/ and the dev
gold documents (../shared/gold/dev), wrapped the way editors and `textwrap` wrap them.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from pipeline.components import sentence_spans
from pipeline.nlp import make_base_nlp

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpora" / "als_news_tregs.txt"
OVERVIEW = ROOT / "corpora" / "als_therapies_overview.md"
DEV_DOCS = ROOT.parent / "shared" / "gold" / "dev" / "docs.jsonl"


@pytest.fixture(scope="module")
def nlp():
    return make_base_nlp()


def sentences(nlp, text: str) -> list[str]:
    """The sentences of `text`, each checked to be the text at its own offsets."""
    doc = nlp(text)
    assert doc.text == text
    spans = sentence_spans(doc)
    for span in spans:
        assert text[span.start_char:span.end_char] == span.text
    return [span.text.strip() for span in spans if span.text.strip()]


def flat(sentence: str) -> str:
    """The sentence without white space (wrapping may break a line after a hyphen)."""
    return re.sub(r"\s+", "", sentence)


def wrap_paragraphs(text: str, width: int) -> str:
    """Hard-wrap every paragraph (blank-line separated) at `width` columns."""
    return "\n\n".join(textwrap.fill(p, width) for p in text.split("\n\n") if p.strip())


def test_the_wrapped_negated_sentence_of_the_overview_is_one_sentence(nlp):
    text = OVERVIEW.read_text(encoding="utf-8")
    found = sentences(nlp, text)
    assert ("In the Phase 3 VALOR trial (NCT02623699),\ntofersen reduced neurofilament light chain levels "
            "in plasma, although it did not significantly\nimprove the ALSFRS-R score at 28 weeks.") in found
    assert ("In SOD1-G93A mice, regulatory T cells slowed disease progression, and low-dose IL-2 therapy "
            "increased\nTreg numbers in patients with ALS.") in found
    assert found[0] == "# Approved and experimental ALS therapies: a short overview"
    assert len(found) == 10


@pytest.mark.parametrize("width", [60, 72, 80, 100])
def test_the_seed_article_wrapped_at_any_width_keeps_its_sentences(nlp, width):
    text = SEED.read_text(encoding="utf-8")
    wrapped = wrap_paragraphs(text, width)
    assert max(len(line) for line in wrapped.splitlines()) <= width
    assert [flat(s) for s in sentences(nlp, wrapped)] == [flat(s) for s in sentences(nlp, text)]


def test_wrapped_dev_abstracts_keep_their_sentences(nlp):
    if not DEV_DOCS.exists():
        pytest.skip("../shared/gold/dev is absent")
    for line in DEV_DOCS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text = record["title"] + "\n\n" + record["text"]
        wrapped = record["title"] + "\n\n" + textwrap.fill(record["text"], 76)
        assert [flat(s) for s in sentences(nlp, wrapped)] == [flat(s) for s in sentences(nlp, text)], record["id"]


def test_title_lines_headings_and_list_items_still_end_sentences(nlp):
    text = (
        "Tregs and ALS\n"
        "Regulatory T-cells are a type of white blood cells that function to suppress\n"
        "the body's immune response and prevent unnecessary inflammation once an\n"
        "infection has been cleared. These T-cells also can enter the brain and the\n"
        "spinal cord to mitigate neuroinflammation.\n"
        "## Tregs in clinical trials\n"
        "A small Phase 1 clinical trial (NCT03241784) assessed the safety and tolerability of Treg\n"
        "infusions in three ALS patients, ages 46 to 56. The participants received:\n"
        "- eight intravenous infusions of their own Tregs over a period of six months\n"
        "- injections of interleukin-2 (IL-2) three times per week for the duration of the\n"
        "  study\n"
        "* interleukin-2 alone\n"
        "1. Treg infusions were safe and well-tolerated by all three patients\n"
        "2) Treg numbers, as well as their function, was significantly enhanced\n"
        "(a) The improved Treg numbers also preserved functional ability\n"
        "RESULTS: The larger the increase in Tregs, the slower the loss of function\n"
    )
    assert sentences(nlp, text) == [
        "Tregs and ALS",
        "Regulatory T-cells are a type of white blood cells that function to suppress\nthe body's "
        "immune response and prevent unnecessary inflammation once an\ninfection has been cleared.",
        "These T-cells also can enter the brain and the\nspinal cord to mitigate neuroinflammation.",
        "## Tregs in clinical trials",
        "A small Phase 1 clinical trial (NCT03241784) assessed the safety and tolerability of Treg\n"
        "infusions in three ALS patients, ages 46 to 56.",
        "The participants received:",
        "- eight intravenous infusions of their own Tregs over a period of six months",
        "- injections of interleukin-2 (IL-2) three times per week for the duration of the\n  study",
        "* interleukin-2 alone",
        "1. Treg infusions were safe and well-tolerated by all three patients",
        "2) Treg numbers, as well as their function, was significantly enhanced",
        "(a) The improved Treg numbers also preserved functional ability",
        "RESULTS: The larger the increase in Tregs, the slower the loss of function",
    ]


def test_blank_lines_and_short_lines_end_sentences(nlp):
    # a title above its paragraph, and a list of short lines without markers
    text = ("Riluzole and edaravone in ALS\n"
            "Riluzole was the first drug approved for amyotrophic lateral sclerosis (ALS)\n\n"
            "Approved drugs\nRiluzole\nEdaravone\nTofersen\n")
    assert sentences(nlp, text) == [
        "Riluzole and edaravone in ALS",
        "Riluzole was the first drug approved for amyotrophic lateral sclerosis (ALS)",
        "Approved drugs", "Riluzole", "Edaravone", "Tofersen",
    ]


def test_windows_line_ends_wrap_the_same_way(nlp):
    text = OVERVIEW.read_text(encoding="utf-8")
    crlf = text.replace("\n", "\r\n")
    assert [flat(s) for s in sentences(nlp, crlf)] == [flat(s) for s in sentences(nlp, text)]


def test_a_short_hard_wrapped_sentence_continues_on_a_lower_case_line(nlp):
    assert sentences(nlp, "Tofersen did not significantly\nimprove the ALSFRS-R score.") == [
        "Tofersen did not significantly\nimprove the ALSFRS-R score."]


def test_a_colon_list_of_verb_phrases_is_one_sentence(nlp):
    # gold/train's InFlectis press release: "The study shows that IFB-088:" and four lines that each
    # start with a verb ("Reduces …", "Improves …"); gold reads them as one sentence with IFB-088
    # as the subject of every line. A list of other lines still ends a sentence at each line.
    train_docs = ROOT.parent / "shared" / "gold" / "train" / "docs.jsonl"
    if not train_docs.exists():
        pytest.skip(f"{train_docs} is not beside the repository")
    record = next(r for r in map(json.loads, train_docs.open(encoding="utf-8"))
                  if "The study shows that IFB-088:" in r["text"])
    found = [s for s in sentences(nlp, record["title"] + "\n\n" + record["text"]) if "IFB-088:" in s]
    assert len(found) == 1 and found[0].startswith("The study shows that IFB-088:\nReduces")
    assert found[0].endswith("Enhances motor function and survival in TDP-43 transgenic zebrafish")
    text = "The participants received:\nRiluzole\nImproves nothing here\n\nThe aims were:\nReduces falls.\nImproves speech"
    assert sentences(nlp, text) == ["The participants received:\nRiluzole", "Improves nothing here",
                                    "The aims were:\nReduces falls.", "Improves speech"]


def test_a_bracketed_section_label_starts_a_sentence(nlp):
    # ALS trial record NCT00677768 (../shared/data/als_corpus, in no gold set) repeats its title
    # inside one line: "… ALS. . Validation of Biomarkers in Amyotrophic Lateral Sclerosis (ALS)
    # [brief summary] The purpose of this study is …". The title and the first sentence were one
    # sentence; a bracketed word inside a sentence ("living with [these] diseases") is no label.
    trials = ROOT.parent / "shared" / "data" / "als_corpus" / "trials.jsonl"
    if not trials.exists():
        pytest.skip(f"{trials} is not beside the repository")
    record = next(r for r in map(json.loads, trials.open(encoding="utf-8")) if r["id"] == "NCT00677768")
    found = sentences(nlp, record["title"] + "\n\n" + record["text"])
    assert "Validation of Biomarkers in Amyotrophic Lateral Sclerosis (ALS)" in found
    assert any(s.startswith("[brief summary] The purpose of this study is to collect") for s in found)
    assert sentences(nlp, "Veterans living with [these] neurodegenerative diseases. [Results] Fewer falls.") == [
        "Veterans living with [these] neurodegenerative diseases.", "[Results] Fewer falls."]
