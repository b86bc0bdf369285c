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


def _head(span: Span, words: list[str]) -> str:
    return words[span.end - 1]


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
    own = {(e.start, e.end): _mention_features(doc, e) for e in ents}
    out = []
    for i, first in enumerate(ents):
        for second in ents[i + 1:]:
            if second.start - first.end > MAX_GAP:
                break
            if second.start < first.end:  # overlapping mentions
                continue
            feats = list(shared)
            feats.extend(_pair_features(doc, words, sent, first, second, ents, trigger_at, cue_sign,
                                        own[(first.start, first.end)], own[(second.start, second.end)]))
            rule = rules.get((first.start, second.start))
            if rule is not None:
                fact, forward = rule
                direction = "fwd" if forward else "rev"
                kind = fact.extractor.split(":")[0] + ":" + fact.extractor.split(":")[1] if ":" in fact.extractor else fact.extractor
                feats += ["rule", f"rule={fact.predicate}", f"rule={fact.predicate}:{direction}", f"rule_kind={kind}",
                          f"rule_neg={fact.negated}", f"rule={fact.predicate}:{first.label_}:{second.label_}"]
                out.append(Candidate(first, second, sent, feats, fact, forward))
            else:
                feats.append("norule")
                out.append(Candidate(first, second, sent, feats))
    return out


def _mention_features(doc: Doc, span: Span) -> tuple[str, str, str]:
    """(mention-step confidence, id source, attribute) of one mention."""
    return (_confidence(doc, span), span.kb_id_.split(":")[0] if span.kb_id_ else "none",
            comparisons.attribute(doc, span))


def _pair_features(doc, words, sent, a: Span, b: Span, ents, trigger_at, cue_sign,
                   own_a: tuple, own_b: tuple) -> list[str]:
    ta, tb = a.label_, b.label_
    between = list(range(a.end, b.start))
    gap = len(between)
    f = [f"ta={ta}", f"tb={tb}", f"tab={ta}|{tb}", f"gap={_bucket(gap)}",
         f"ha={_head(a, words)}", f"hb={_head(b, words)}",
         f"ents_between={_bucket(sum(1 for e in ents if a.end <= e.start and e.end <= b.start), (0, 1, 2, 4))}"]
    if gap <= MAX_BETWEEN_WORDS:
        f += [f"bw={words[i]}" for i in between]
        f += [f"bb={words[i]}_{words[i + 1]}" for i in between[:-1]]
        f.append("bseq=" + "_".join(words[i] for i in between))
    else:
        f += [f"bwl={words[i]}" for i in between[:4]] + [f"bwr={words[i]}" for i in between[-4:]]
    if between:
        f += [f"b1={words[between[0]]}", f"bl={words[between[-1]]}"]
    for k in (1, 2, 3):
        if a.start - k >= sent.start:
            f.append(f"pa{k}={words[a.start - k]}")
        if b.end + k - 1 < sent.end:
            f.append(f"nb{k}={words[b.end + k - 1]}")
    if a.start - 1 >= sent.start and b.end < sent.end:
        f.append(f"around={words[a.start - 1]}_{words[b.end]}")
    # trigger classes between, before and after the pair
    seen = set()
    for i in between:
        trig = trigger_at.get(i)
        if trig is not None and trig.start not in seen:
            seen.add(trig.start)
            f += [f"trb={trig.predicate}:{trig.kind}", f"trb={trig.predicate}", f"trbw={words[trig.start]}",
                  f"trb={trig.predicate}|{ta}|{tb}", f"trb_strength={trig.strength}"]
            if trig.start > sent.start and words[trig.start - 1] in phrases.NEGATION_CUES | {"not"}:
                f.append("trb_negated")
            if trig.end < len(words) and words[trig.end] in ("by", "with", "in", "to", "of", "between"):
                f.append(f"trb_prep={trig.predicate}:{words[trig.end]}")
    if not seen:
        f.append("no_trigger_between")
    for i in range(max(sent.start, a.start - 6), a.start):
        trig = trigger_at.get(i)
        if trig is not None:
            f += [f"trbefore={trig.predicate}:{trig.kind}", f"trbeforew={words[trig.start]}"]
            break
    for i in range(b.end, min(sent.end, b.end + 6)):
        trig = trigger_at.get(i)
        if trig is not None:
            f += [f"trafter={trig.predicate}:{trig.kind}", f"trafterw={words[trig.start]}"]
            break
    # comparison signs
    for i in between:
        if words[i] in cue_sign:
            f.append(f"cmpb={cue_sign[words[i]]}")
    for i in range(max(sent.start, a.start - 3), a.start):
        if words[i] in cue_sign:
            f.append(f"cmpa={cue_sign[words[i]]}")
    for i in range(b.end, min(sent.end, b.end + 3)):
        if words[i] in cue_sign:
            f.append(f"cmpa2={cue_sign[words[i]]}")
    for i in range(max(sent.start, b.start - 3), b.start):
        if words[i] in cue_sign:
            f.append(f"cmpbb={cue_sign[words[i]]}")
    # structure: brackets, coordination, clause breaks, negation
    bw = [words[i] for i in between]
    if "(" in bw or ")" in bw:
        f.append("paren_between")
    if a.start > sent.start and words[a.start - 1] == "(":
        f.append("a_in_paren")
    if b.start > sent.start and words[b.start - 1] == "(":
        f.append("b_in_paren")
    if between and all(w in COORDINATION_WORDS for w in bw):
        f.append("coordinated")
    inside = [e for e in ents if a.end <= e.start and e.end <= b.start]
    if inside and all(w in COORDINATION_WORDS or any(e.start <= i < e.end for e in inside)
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
    if any(words[i] in phrases.NEGATION_CUES for i in range(max(sent.start, a.start - 4), a.start)):
        f.append("neg_before")
    if words[b.start - 1] in ("in", "among") and tb == "DISEASE":
        f.append("b_setting")
    if words[b.start] in phrases.POPULATION_NOUNS or words[b.end - 1] in phrases.POPULATION_NOUNS:
        f.append("b_population")
    if words[a.end - 1] in phrases.POPULATION_NOUNS:
        f.append("a_population")
    if any(w in phrases.TREATMENT_NOUNS for w in bw[:2]):
        f.append("a_treatment_noun")
    for side, (confidence, source, _) in (("a", own_a), ("b", own_b)):  # how sure the mention steps were of each argument
        f.append(f"conf_{side}={confidence}")
        f.append(f"src_{side}={source}")
    attr_a, attr_b = own_a[2], own_b[2]
    if attr_a:
        f.append(f"attr_a={attr_a}")
    if attr_b:
        f.append(f"attr_b={attr_b}")
    return f
