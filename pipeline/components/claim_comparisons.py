"""Comparisons: what a comparison word measures, in which group, and when it is a claim at all.

"lower Treg levels", "the rate of disease progression is faster", "elevated in patients with
ALS": the measured mention (`entity_measured_by`) and its attribute (`attribute`: level, rate,
mutation …), the group it is higher or lower in (`compared_group`), the population a treatment
was safe in (`population`), and the shapes that are no comparison: "lower limb" names a body
part, "with elevated NfL" describes a noun (`is_attributive_participle`). `claims.py` builds
`higher_in`, `lower_in`, `*_correlated_with` and `safe_in` facts from them.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from pipeline.components.claim_phrases import (
    ATTRIBUTE_WORDS, BE_VERBS, FINDING_VERBS, HAVE_VERBS, NOUN_CUES,
    POPULATION_NOUNS, RATE_OUTCOME_WORDS, Trigger,
)
from pipeline.components.mention_phrases import TRIGGER_WORDS


# a word between two signed quantities that makes one the condition of the other ("progression is
# faster in patients with lower Treg levels", "the risk increased if progression was faster");
# without one they are two findings side by side ("increased tryptophan but reduced serotonin")
CORRELATION_LINKS = {"with", "if", "when", "as", "whenever"}
# "lower" and "upper" that name a part of the body, not a quantity ("upper and lower motoneurons",
# "lower limb weakness", "lower urinary tract")
BODY_PART_WORDS = {"motor", "motoneuron", "motoneurons", "mn", "mns", "umn", "lmn", "limb", "limbs", "extremity",
                   "extremities", "body", "back", "leg", "legs", "arm", "arms", "jaw", "lip", "airway", "airways",
                   "urinary", "gastrointestinal", "respiratory", "brainstem", "cervical", "lumbar", "spinal"}


def names_body_part(words: list, i: int) -> bool:
    """Whether the comparative at `i` ("lower", "upper") is part of the name of a body part."""
    if words[i] not in ("lower", "upper"):
        return False
    following = words[i + 1] if i + 1 < len(words) else ""
    return following.split("-")[0] in BODY_PART_WORDS or (i >= 2 and words[i - 2] in ("upper", "lower")
                                                           and words[i - 1] in ("and", "or"))


def conditions_the_other(words: list, first_cue: int, second_cue: int) -> bool:
    lo, hi = sorted((first_cue, second_cue))
    return any(w in CORRELATION_LINKS for w in words[lo + 1:hi])


# words that open a list of findings ("deficits that included an absence of recovery, increased
# extensor tone, paralysis …"); not "with": "associated with faster progression, reduced physical
# functioning" signs each item, and gold reads them as facts
LIST_OPENERS = {"included", "including", "include", "includes"}


# words after which a past participle describes the noun after it ("with elevated NfL",
# "exhibited impaired adaptation", "showed largely preserved brain volumes")
ATTRIBUTIVE_BEFORE = FINDING_VERBS | LIST_OPENERS | {"with", "of", "in", "for", "from", "on", "to", "by", "show",
                                                     "shows", "exhibit", "exhibits", "display", "displays", "revealed",
                                                     "reveal", "reveals", "demonstrate", "demonstrates", "showing",
                                                     "exhibiting", "displaying", "demonstrating", "revealing"}


# verbs whose object is a list of findings ("mutated neurons showed alterations of membrane
# potential, reduced spontaneous synaptic activity, …"): a participle among the items describes one
FINDING_OPENERS = FINDING_VERBS | {"show", "shows", "exhibit", "exhibits", "display", "displays", "revealed", "reveal",
                                   "reveals", "demonstrate", "demonstrates"}


# nouns after "in increasing" / "in decreasing" that name the order of a list
ORDER_NOUNS = {"order", "frequency", "frequencies", "severity", "importance", "rank", "prevalence"}


def is_attributive_participle(doc: Doc, sent: Span, trig: Trigger, previous_end: int = None) -> bool:
    """A one-word "-ed" verb trigger used as an adjective: before "release" (a drug's formulation),
    after a preposition, a finding verb or a claim verb ("restores inhibited …"; adverbs between
    them skipped), or coordinated ("and", "or", ",") after such a participle that ended at
    `previous_end` within ten words: not the verb of a claim."""
    if trig.end - trig.start != 1:
        return False
    if doc[trig.start].lower_.endswith("ing") and trig.start > sent.start and trig.end < sent.end:
        # "in decreasing frequency", "in increasing order of": the order of a list, no claim
        return doc[trig.start - 1].lower_ in ("in", "of", "by") and doc[trig.end].lower_ in ORDER_NOUNS
    if not doc[trig.start].lower_.endswith("ed"):
        return False
    after = doc[trig.end:min(trig.end + 2, sent.end)]
    if any(t.lower_ == "release" for t in after) and after[0].lower_ in ("release", "-"):
        return True  # a drug's formulation: "extended release morphine", "delayed-release"
    i = trig.start - 1
    while i >= sent.start and doc[i].is_alpha and doc[i].lower_.endswith("ly"):
        i -= 1
    if i < sent.start:
        return False
    if doc[i].lower_ in ATTRIBUTIVE_BEFORE:
        return True
    if doc[i].lower_ in TRIGGER_WORDS and doc[i].lower_.endswith("s") and not doc[i].lower_.endswith("ss"):
        return True  # right after a claim verb: "TENS restores inhibited quadriceps motor function"
    if previous_end is not None and doc[i].lower_ in ("and", "or", ",") and trig.start - previous_end <= 10:
        return True
    return doc[i].lower_ in (",", "and", "or") and in_listed_items(doc, sent, i)


def in_listed_items(doc: Doc, sent: Span, comma: int, reach: int = 30) -> bool:
    """Whether the comma (or conjunction) at `comma` separates items of a list that a list opener
    or a finding verb started ("… revealed global cognitive deficits … and reduced verbal IQ"),
    with no claim word or verb between them."""
    for j in range(comma - 1, max(sent.start, comma - reach) - 1, -1):
        word = doc[j].lower_
        if word in FINDING_OPENERS or (word in LIST_OPENERS and doc[comma].text == ","):
            return True  # "including A, B, and increased C": "and" may join a verb to the sentence's verb
        if j > sent.start and doc[j - 1].lower_ in FINDING_OPENERS:
            return True  # "ALS fasciculations showed prolonged total duration (…), reduced …"
        if word in TRIGGER_WORDS or word in BE_VERBS or word in (";", ".", ":") or word.endswith("ed"):
            return False
    return False


def attribute(doc: Doc, span: Span) -> str:
    words = span.text.lower().split()
    if span.label_ == "OUTCOME" and RATE_OUTCOME_WORDS.intersection(words):
        return "rate"
    after = doc[span.end].lower_ if span.end < len(doc) else ""
    if after in ATTRIBUTE_WORDS:
        return ATTRIBUTE_WORDS[after]
    i = span.start - 1
    while i >= 0 and doc[i].lower_ in ("the", "a", "an", "of", "in"):
        i -= 1
    if i >= 0 and doc[i].lower_ in ATTRIBUTE_WORDS and i < span.start - 1 and doc[i + 1].lower_ in ("of", "in", "the"):
        return ATTRIBUTE_WORDS[doc[i].lower_]
    if span.start > 0 and doc[span.start - 1].lower_ == "mutant":
        return "mutation"
    return ""


def entity_measured_by(doc: Doc, cue: int, ents: list[Span]) -> Span | None:
    """The mention a comparison word describes: 'lower Treg levels', 'lower levels of Tregs',
    'the rate of disease progression is faster', 'the slower the loss of function'."""
    for ent in ents:  # after the cue, through an attribute phrase
        if ent.start > cue:
            between = [t.lower_ for t in doc[cue + 1:ent.start]]
            bridges = ("of", "the", "and", "disease") + (("in",) if doc[cue].lower_ in NOUN_CUES else ())
            if len(between) <= 4 and ent.label_ not in ("DISEASE", "ORGANISM") \
                    and all(w in ATTRIBUTE_WORDS or w in bridges for w in between):
                return ent
            break
    before = [e for e in ents if e.end <= cue]
    if before:
        ent = before[-1]
        between = [t.lower_ for t in doc[ent.end:cue]]
        if len(between) <= 3 and all(w in BE_VERBS or w in ATTRIBUTE_WORDS or w in ("significantly", "also", "much", "the") for w in between):
            return ent
    return None


# the words of link triggers ("associated with", "linked to"): a setting after them is the link's
LINK_WORDS = {"associated", "linked", "correlated", "related", "association", "associations", "correlation",
              "correlations"}


def compared_group(doc: Doc, sent: Span, cue: int, measured: Span, ents: list[Span],
                   cue_words: frozenset = frozenset()) -> Span | None:
    """The population or condition a measured quantity is higher or lower in (`cue_words`: the
    comparison cues, which may lie between the two: "increased X and reduced Y in ALS")."""
    if measured.label_ in ("DISEASE", "ORGANISM"):
        return None
    # "X was elevated in (plasma from) (patients with) ALS"
    for ent in ents:
        if ent.start > max(cue, measured.end) and ent.label_ == "DISEASE":
            between = [t.lower_ for t in doc[max(cue, measured.end):ent.start]]
            if ("in" in between or "among" in between) and len(between) <= 8 \
                    and not any(t.lower_ in TRIGGER_WORDS and t.lower_ not in cue_words or t.lower_ in LINK_WORDS
                                or (t.lower_.endswith("ing") and doc[t.i - 1].text == ",")
                                for t in doc[max(cue + 1, measured.end):ent.start]):
                # not "Increased PLS3 levels suppress symptoms in SMA patients": a claim verb's setting;
                # not "Lower SDNN was associated with poor survival in ALS": a link's setting; not
                # "… were observed in both phenotypes, suggesting … hyperexcitability": another clause
                return condition_of_group(doc, ent, ents)
            break
    # "ALS patients (were found to) have lower levels of X"
    for ent in reversed([e for e in ents if e.end <= min(cue, measured.start)]):
        if ent.label_ == "DISEASE":
            between = [t.lower_ for t in doc[ent.end:min(cue, measured.start)]]
            if any(w in HAVE_VERBS for w in between) and any(w in POPULATION_NOUNS for w in between[:2]):
                return ent
        break
    return None


def condition_of_group(doc: Doc, group: Span, ents: list[Span]) -> Span:
    """The condition that defines a group named by a population noun: "participants with apathy"
    is the apathy group, not the document's patients."""
    if group.end - group.start == 1 and group.text.lower() in POPULATION_NOUNS \
            and group.end < len(doc) and doc[group.end].lower_ == "with":
        return next((e for e in ents if e.start == group.end + 1 and e.label_ == "DISEASE"), group)
    return group


def population(doc: Doc, sent: Span, trig: Trigger, right: list[Span]) -> Span | None:
    """The group a treatment was safe in: a disease mention, or the patients of the document's disease."""
    diseases = [e for e in right if e.label_ == "DISEASE"]
    if diseases:
        return diseases[0]
    for tok in doc[trig.end:sent.end]:
        if tok.lower_ in POPULATION_NOUNS:
            disease = main_disease(doc)
            span = Span(doc, tok.i, tok.i + 1, label="DISEASE", kb_id=disease.kb_id_ if disease is not None else "")
            return span
    return None


def main_disease(doc: Doc) -> Span | None:
    counts: dict[str, list[Span]] = {}
    for ent in doc.ents:
        if ent.label_ == "DISEASE" and ent.kb_id_:
            counts.setdefault(ent.kb_id_, []).append(ent)
    if not counts:
        return None
    return max(counts.values(), key=len)[0]
