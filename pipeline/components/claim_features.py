"""Candidate argument pairs of a sentence and the features a claim classifier reads.

Every pair of argument mentions in a sentence (in text order, `first` before `second`,
at most `MAX_GAP` tokens apart) is a candidate. Its features are strings: the entity
types and their order, the distance, the words between and around the pair, the
trigger-table classes and comparison signs found between and around it, brackets,
coordination, clause breaks, negation and hedge cues, and the rule fact (predicate and
direction) that the hand-written extractor proposed for the same pair, if any, and the
sentence's own words (`sw=`: what the sentence is about, e.g. "efficacy", "risk",
"correlated", whichever pair it concerns).
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span

from pipeline.components import claim_comparisons as comparisons
from pipeline.components import claim_phrases as phrases

MAX_GAP = 50          # tokens between two arguments of one candidate
MAX_BETWEEN_WORDS = 8  # all words between a close pair; the first and last four otherwise
TRIGGERS_KEY = "alsfacts.triggers"

CLAUSE_WORDS = phrases.CLAUSE_BREAKS | phrases.RELATIVE_PRONOUNS | {"whether", "if", "than", "compared", "versus", "vs."}
MEMBER_WORDS = {"such", "including", "like", "e.g.", "namely"}
COORDINATION_WORDS = {",", "and", "or", "/", "as", "well", "and/or", "the", "both", "either"}
# function words left out of the sentence's bag of words; not linking.FUNCTION_WORDS, which also holds
# the negations, comparatives and modals ("not", "more", "may", "without") this bag keeps as cues
SENTENCE_STOP_WORDS = {"the", "a", "an", "of", "in", "and", "or", "to", "with", "for", "was", "were", "is", "are",
                       "be", "by", "on", "at", "as", "that", "this", "from", "we", "our", "these", "which"}


@dataclass
class Candidate:
    first: Span
    second: Span
    sentence: Span
    features: list[str]
    rule: object = None        # the rule Fact proposed for this pair, if any
    rule_forward: bool = True  # the rule fact's subject is `first`


def _confidence(doc: Doc, span: Span) -> str:
    """The mention filter's P(kept) of a mention, in tenths ("none" when no filter ran)."""
    p = doc.user_data.get(("._.", "mention_p", span.start_char, span.end_char))
    return "none" if p is None else f"{min(int(p * 10), 9)}"


def _bucket(n: int, edges=(0, 1, 2, 3, 5, 8, 13, 21, 34)) -> str:
    for edge in edges:
        if n <= edge:
            return str(edge)
    return "more"


def sentence_triggers(doc: Doc, sent: Span) -> list:
    """The claim triggers (spaCy PhraseMatcher over the trigger table) inside a sentence,
    as the rule extractor found them."""
    return [t for t in doc.user_data.get(TRIGGERS_KEY, ()) if sent.start <= t.start < sent.end]


def candidates(doc: Doc, sent: Span, ents: list[Span], rule_facts: list, cue_sign: dict) -> list[Candidate]:
    """All candidate pairs of one sentence with their features."""
    if len(ents) < 2:
        return []
    words = phrases.lower_words(doc)
    triggers = sentence_triggers(doc, sent)
    trigger_at = {}
    for trig in triggers:
        for i in range(trig.start, trig.end):
            trigger_at[i] = trig
    rules = {}
    for fact in rule_facts:
        forward = fact.subject.start <= fact.object.start
        key = (fact.subject.start, fact.object.start) if forward else (fact.object.start, fact.subject.start)
        if key not in rules or fact.confidence > rules[key][0].confidence:
            rules[key] = (fact, forward)
    negation_in_sentence = any(words[i] in phrases.NEGATION_CUES for i in range(sent.start, sent.end))
    from pipeline.components.certainty import certainty_of

    certainty = certainty_of(sent)
    shared = [f"cert={certainty}", f"ntrig={_bucket(len(triggers), (0, 1, 2, 3))}",
              f"nents={_bucket(len(ents), (2, 3, 4, 6, 9))}"]
    if negation_in_sentence:
        shared.append("neg_sent")
    shared += sorted({f"sw={words[i]}" for i in range(sent.start, sent.end)
                      if words[i].isalpha() and words[i] not in SENTENCE_STOP_WORDS})
    # what each mention brings to every pair it is in, worked out once per mention
    mentions = [_Mention(e.start, e.end, e.label_, *_mention_features(doc, e)) for e in ents]
    bounds = [(m.start, m.end) for m in mentions]
    sent_start, sent_end = sent.start, sent.end
    out = []
    for i, first in enumerate(mentions):
        for j in range(i + 1, len(mentions)):
            second = mentions[j]
            if second.start - first.end > MAX_GAP:
                break
            if second.start < first.end:  # overlapping mentions
                continue
            feats = list(shared)
            feats.extend(_pair_features(words, sent_start, sent_end, first, second, bounds, trigger_at, cue_sign))
            rule = rules.get((first.start, second.start))
            if rule is not None:
                fact, forward = rule
                direction = "fwd" if forward else "rev"
                kind = fact.extractor.split(":")[0] + ":" + fact.extractor.split(":")[1] if ":" in fact.extractor else fact.extractor
                feats += ["rule", f"rule={fact.predicate}", f"rule={fact.predicate}:{direction}", f"rule_kind={kind}",
                          f"rule_neg={fact.negated}", f"rule={fact.predicate}:{first.label}:{second.label}"]
                out.append(Candidate(ents[i], ents[j], sent, feats, fact, forward))
            else:
                feats.append("norule")
                out.append(Candidate(ents[i], ents[j], sent, feats))
    return out


@dataclass(frozen=True)
class _Mention:
    """What the pair features read of one mention, read once: a Span's attributes are slow to
    read again for every pair."""
    start: int
    end: int
    label: str
    confidence: str
    source: str
    attribute: str


def _mention_features(doc: Doc, span: Span) -> tuple[str, str, str]:
    """(mention-step confidence, id source, attribute) of one mention."""
    return (_confidence(doc, span), span.kb_id_.split(":")[0] if span.kb_id_ else "none",
            comparisons.attribute(doc, span))


NEGATED_TRIGGER_CUES = phrases.NEGATION_CUES | {"not"}
TRIGGER_PREPOSITIONS = ("by", "with", "in", "to", "of", "between")


def _pair_features(words: list[str], sent_start: int, sent_end: int, a: _Mention, b: _Mention, bounds: list,
                   trigger_at: dict, cue_sign: dict) -> list[str]:
    ta, tb = a.label, b.label
    a_start, a_end, b_start, b_end = a.start, a.end, b.start, b.end
    between = range(a_end, b_start)
    bw = words[a_end:b_start]
    gap = len(bw)
    inside = [(s, e) for s, e in bounds if a_end <= s and e <= b_start]
    f = [f"ta={ta}", f"tb={tb}", f"tab={ta}|{tb}", f"gap={_bucket(gap)}",
         f"ha={words[a_end - 1]}", f"hb={words[b_end - 1]}",
         f"ents_between={_bucket(len(inside), (0, 1, 2, 4))}"]
    if gap <= MAX_BETWEEN_WORDS:
        f += [f"bw={w}" for w in bw]
        f += [f"bb={w}_{v}" for w, v in zip(bw, bw[1:])]
        f.append("bseq=" + "_".join(bw))
    else:
        f += [f"bwl={w}" for w in bw[:4]] + [f"bwr={w}" for w in bw[-4:]]
    if gap:
        f += [f"b1={bw[0]}", f"bl={bw[-1]}"]
    for k in (1, 2, 3):
        if a_start - k >= sent_start:
            f.append(f"pa{k}={words[a_start - k]}")
        if b_end + k - 1 < sent_end:
            f.append(f"nb{k}={words[b_end + k - 1]}")
    if a_start - 1 >= sent_start and b_end < sent_end:
        f.append(f"around={words[a_start - 1]}_{words[b_end]}")
    # trigger classes between, before and after the pair
    seen = set()
    if trigger_at:
        for i in between:
            trig = trigger_at.get(i)
            if trig is not None and trig.start not in seen:
                seen.add(trig.start)
                f += [f"trb={trig.predicate}:{trig.kind}", f"trb={trig.predicate}", f"trbw={words[trig.start]}",
                      f"trb={trig.predicate}|{ta}|{tb}", f"trb_strength={trig.strength}"]
                if trig.start > sent_start and words[trig.start - 1] in NEGATED_TRIGGER_CUES:
                    f.append("trb_negated")
                if trig.end < len(words) and words[trig.end] in TRIGGER_PREPOSITIONS:
                    f.append(f"trb_prep={trig.predicate}:{words[trig.end]}")
    if not seen:
        f.append("no_trigger_between")
    if trigger_at:
        for i in range(max(sent_start, a_start - 6), a_start):
            trig = trigger_at.get(i)
            if trig is not None:
                f += [f"trbefore={trig.predicate}:{trig.kind}", f"trbeforew={words[trig.start]}"]
                break
        for i in range(b_end, min(sent_end, b_end + 6)):
            trig = trigger_at.get(i)
            if trig is not None:
                f += [f"trafter={trig.predicate}:{trig.kind}", f"trafterw={words[trig.start]}"]
                break
    # comparison signs
    for w in bw:
        if w in cue_sign:
            f.append(f"cmpb={cue_sign[w]}")
    for i in range(max(sent_start, a_start - 3), a_start):
        if words[i] in cue_sign:
            f.append(f"cmpa={cue_sign[words[i]]}")
    for i in range(b_end, min(sent_end, b_end + 3)):
        if words[i] in cue_sign:
            f.append(f"cmpa2={cue_sign[words[i]]}")
    for i in range(max(sent_start, b_start - 3), b_start):
        if words[i] in cue_sign:
            f.append(f"cmpbb={cue_sign[words[i]]}")
    # structure: brackets, coordination, clause breaks, negation
    if "(" in bw or ")" in bw:
        f.append("paren_between")
    if a_start > sent_start and words[a_start - 1] == "(":
        f.append("a_in_paren")
    if b_start > sent_start and words[b_start - 1] == "(":
        f.append("b_in_paren")
    if bw and all(w in COORDINATION_WORDS for w in bw):
        f.append("coordinated")
    if inside and all(w in COORDINATION_WORDS or any(s <= i < e for s, e in inside)
                      for w, i in zip(bw, between)):
        f.append("coordinated_list")
    for w in bw:
        if w in CLAUSE_WORDS:
            f.append(f"clause={w}")
        if w in phrases.NEGATION_CUES:
            f.append("neg_between")
        if w in phrases.MODALS:
            f.append("modal_between")
        if w in MEMBER_WORDS:
            f.append("member_marker")
    if bw.count(",") >= 2:
        f.append("commas_between")
    if any(words[i] in phrases.NEGATION_CUES for i in range(max(sent_start, a_start - 4), a_start)):
        f.append("neg_before")
    if words[b_start - 1] in ("in", "among") and tb == "DISEASE":
        f.append("b_setting")
    if words[b_start] in phrases.POPULATION_NOUNS or words[b_end - 1] in phrases.POPULATION_NOUNS:
        f.append("b_population")
    if words[a_end - 1] in phrases.POPULATION_NOUNS:
        f.append("a_population")
    if any(w in phrases.TREATMENT_NOUNS for w in bw[:2]):
        f.append("a_treatment_noun")
    for side, m in (("a", a), ("b", b)):  # how sure the mention steps were of each argument
        f.append(f"conf_{side}={m.confidence}")
        f.append(f"src_{side}={m.source}")
    if a.attribute:
        f.append(f"attr_a={a.attribute}")
    if b.attribute:
        f.append(f"attr_b={b.attribute}")
    return f
