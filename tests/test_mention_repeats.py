"""`alsfacts_mention_repeats`: a kept name is a mention at each of its uses, on real ALS text."""

from __future__ import annotations

import re
from pathlib import Path

from spacy.tokens import Span

from pipeline.components import span_extension
from pipeline.components.mention_repeats import MentionRepeats, kept_names
from pipeline.nlp import shared_nlp
from shared_records import TRIALS, record_text

ROOT = Path(__file__).resolve().parents[1]
SEED_ARTICLE = ROOT / "corpora" / "als_news_tregs.txt"
AFTER_REPEATS = ["context", "strength", "claims", "claim_model"]


def _items(doc) -> set:
    """What the entities table scores per document (FACTS_SPEC §4): (type, id or lower-cased text)."""
    return {(ent.label_, ent.kb_id_ or ent.text.lower()) for ent in doc.ents}


def test_a_drug_code_found_once_is_a_mention_at_each_use():
    # ALS trial record NCT03474263 (in no gold set) names its drug "IC14" five times; the
    # steps before the repeats find it in the title alone
    text = record_text(TRIALS, "NCT03474263")
    nlp = shared_nlp()
    with nlp.select_pipes(disable=["mention_repeats", *AFTER_REPEATS]):
        before = nlp(text)
    with nlp.select_pipes(disable=AFTER_REPEATS):
        after = nlp(text)
    uses = [m.span() for m in re.finditer(r"\bIC14\b", text)]
    found_before = [e for e in before.ents if e.text == "IC14"]
    assert len(uses) == 5 and 0 < len(found_before) < len(uses)
    kept = found_before[0]
    found = {(e.start_char, e.end_char): e for e in after.ents if e.text == "IC14"}
    assert sorted(found) == uses
    for (start, end), ent in found.items():
        assert (ent.label_, ent.kb_id_) == (kept.label_, kept.kb_id_) == ("CHEMICAL_OR_DRUG", ent.kb_id_)
        kept_score = span_extension(before, "score", kept.start_char, kept.end_char)
        assert span_extension(after, "score", start, end) == kept_score
    # "assess response to IC14 treatment": the claim steps now have the drug in this sentence
    sentence = next(s for s in after.sents if "assess response to IC14" in s.text)
    assert any(e.text == "IC14" for e in sentence.ents)
    # the mentions before are all still there, and the table's items are the same
    assert {(e.start_char, e.end_char) for e in before.ents} <= {(e.start_char, e.end_char) for e in after.ents}
    assert _items(before) == _items(after)


def test_plain_words_population_nouns_and_names_read_two_ways_do_not_repeat():
    nlp = shared_nlp()
    with nlp.select_pipes(disable=["mention_repeats", *AFTER_REPEATS]):
        doc = nlp(SEED_ARTICLE.read_text(encoding="utf-8"))
    names = kept_names(doc.ents)
    assert {"IL-2", "NCT03241784", "regulatory T-cells", "cell therapy"} <= set(names)
    for key in names:
        assert " " in key or key != key.lower() or any(c.isdigit() for c in key), key
    assert "patients" not in names and "mouse" not in names
    # give one use of "ALS" a second reading: the name no longer repeats
    ents = list(doc.ents)
    first = next(i for i, e in enumerate(ents) if e.text == "ALS")
    ents[first] = Span(doc, ents[first].start, ents[first].end, label="OUTCOME")
    assert "ALS" not in kept_names(ents)
    # and the step adds nothing where every use is already inside a mention ("ALS progression")
    for start, end in (m.span() for m in re.finditer(r"\bALS\b", doc.text)):
        assert any(e.start_char <= start and end <= e.end_char for e in doc.ents)
    before = [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in doc.ents]
    assert [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in MentionRepeats()(doc).ents] == before
