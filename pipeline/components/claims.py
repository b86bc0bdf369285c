"""Claim extraction: subject — predicate — object facts between entity mentions.

No parser is needed: a sentence is cut into clauses, trigger phrases from
`data/claim_triggers.tsv` are found with spaCy's Matcher, and each trigger takes
its subject from the clause before it and its objects from the text after it
(up to the next trigger). Comparisons ("X was elevated in ALS patients",
"faster progression in patients with lower Treg levels") are read from the signed
cue words of `data/comparison_cues.tsv`. Negation, certainty, strength and the
measured attribute of each argument come from small word tables.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from pipeline.components import lower_words, sentence_spans
from pipeline.components.certainty import certainty_of

DATA = Path(__file__).with_name("data")

NEGATION_CUES = {"not", "no", "n't", "never", "neither", "nor", "without", "none", "cannot", "fail", "fails", "failed", "lack", "lacked", "unable"}
MODALS = {"may", "might", "could"}
BE_VERBS = {"is", "are", "was", "were", "be", "been", "being", "remain", "remained", "appear", "appeared", "seem", "seemed"}
HAVE_VERBS = {"have", "has", "had", "showed", "show", "shows", "exhibited", "exhibit", "displayed", "display", "demonstrated", "revealed", "presented"}
CLAUSE_BREAKS = {";", "whereas", "while", "but", "although", "though", "however", "whilst"}
RELATIVE_PRONOUNS = {"that", "which", "who"}
# Nouns that name the giving of an agent: "Mg2Si treatment ameliorates", "riluzole therapy slowed".
TREATMENT_NOUNS = {"treatment", "treatments", "therapy", "therapies", "intervention", "administration", "supplementation",
                   "feed", "injection", "injections", "infusion", "infusions", "exposure", "overexpression", "knockdown", "deletion"}
# Participles that make the mention right before them their agent ("mutant SOD1 induced oxidative stress").
PARTICIPLE_MODIFIERS = {"induced", "mediated", "driven", "triggered", "caused", "derived", "dependent"}
COORDINATORS = {",", "and", "or", "/", "as", "well", "-", "and/or"}
# "X is a type of Y": Y names the category X belongs to.
CATEGORY_NOUNS = {"type", "kind", "class", "subset", "subtype", "group", "population", "form", "family"}
# Words after which the mentions that follow are members of the mention before ("genes such as STMN2").
MEMBER_MARKERS = {("such", "as"), ("including",), ("like",), ("e.g.",), ("namely",)}
# Words before a gerund trigger that continue the previous clause's subject ("…, enhancing X and lowering Y").
CONTINUATIONS = {",", "and", "while", "thereby", "thus", "by", "further", "also", "or", "whilst"}
# Words after which the mentions of a trigger's region are means or circumstances, not objects.
OBJECT_STOPS = {"through", "via", "by", "because", "due", "compared", "than", "versus", "vs.", "whereas", "despite", "before", "after",
                "during", "once", "when", "until", "unless", "if", "whether"}
# Words before a trigger that make it a noun ("a genetic cause of"), not a verb.
NOUN_MARKERS = {"a", "an", "the", "genetic", "common", "major", "main", "leading", "primary", "underlying", "this", "its", "their"}
AIM_CUES = {"assess", "assessed", "evaluate", "evaluated", "investigate", "investigated", "determine", "examine", "examined",
            "explore", "test", "aims", "aimed", "aim", "discuss", "review", "summarize", "summarise", "describe", "outline"}
LOCATIVE_PREPOSITIONS = {"in", "among", "from", "during", "across", "including", "at", "on", "within", "after"}
POPULATION_NOUNS = {"patients", "patient", "participants", "participant", "people", "individuals", "subjects", "cases", "carriers", "volunteers", "adults", "children", "persons"}
SUBJECT_TYPES_EXCLUDED = {"ORGANISM", "TRIAL"}
OBJECT_TYPES_EXCLUDED = {"ORGANISM", "TRIAL"}

# Word next to a mention → the measured property of that argument (spec §2 `attribute`).
ATTRIBUTE_WORDS = {
    "level": "level", "levels": "level", "concentration": "level", "concentrations": "level",
    "number": "number", "numbers": "number", "count": "number", "counts": "number", "frequency": "number",
    "function": "function", "functions": "function",
    "activity": "activity", "activation": "activity", "signaling": "activity", "signalling": "activity",
    "expression": "expression", "rate": "rate", "rates": "rate", "survival": "survival",
    "accumulation": "accumulation", "aggregation": "aggregation", "production": "production",
    "mutation": "mutation", "mutations": "mutation", "mutant": "mutation",
    "dysfunction": "dysfunction", "degeneration": "degeneration", "damage": "damage", "injury": "injury",
    "release": "release", "secretion": "secretion", "survive": "survival", "survives": "survival", "score": "score", "scores": "score", "slope": "slope",
}
# Verbs by which a patient group shows a finding, and the nouns that name such a group.
FINDING_VERBS = {"showed", "exhibited", "demonstrated", "displayed", "presented", "harbored", "harboured"}
GROUP_NOUNS = {"patients", "patient", "samples", "cases", "carriers", "participants", "subjects", "individuals", "cohort", "brains", "tissue", "tissues", "cells"}
# Comparison words that are nouns: "the increase in Tregs".
NOUN_CUES = {"increase", "decline", "rise", "reduction", "decrease", "loss"}
RATE_OUTCOME_WORDS = {"progression", "decline", "loss", "deterioration", "worsening"}


@dataclass
class Fact:
    subject: Span
    object: Span
    predicate: str
    negated: bool = False
    certainty: str = "asserted"
    strength: str = "direct_causal"
    subject_attribute: str = ""
    object_attribute: str = ""
    confidence: float = 0.5
    extractor: str = ""
    sentence: Span | None = None


@dataclass
class _SentenceState:
    """What earlier triggers of a sentence found: carried to the triggers after them."""
    previous: list = field(default_factory=list)  # subjects of the last trigger
    main: list = field(default_factory=list)      # subjects of the first trigger (the sentence's agent)
    objects: list = field(default_factory=list)   # objects of the triggers so far
    pending: list = field(default_factory=list)   # a subject-less gerund's objects: the next verb's subject


@dataclass(frozen=True)
class Trigger:
    start: int  # token index in the doc
    end: int
    predicate: str
    kind: str
    strength: str


def _read_table(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as handle:
        rows = (line for line in handle if line.strip() and not line.startswith("#"))
        return list(csv.DictReader(rows, delimiter="\t"))


@Language.factory("alsfacts_claims")
def create_claim_extractor(nlp: Language, name: str):
    return ClaimExtractor(nlp)


class ClaimExtractor:
    """Sets `doc._.facts`: a list of `Fact` in text order."""

    def __init__(self, nlp: Language):
        if not Doc.has_extension("facts"):
            Doc.set_extension("facts", default=None)
        self.triggers = _read_table("claim_triggers.tsv")
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for index, row in enumerate(self.triggers):
            self.matcher.add(f"trigger{index}", [nlp.make_doc(row["phrase"])])
        self.trigger_of_key = {nlp.vocab.strings[f"trigger{i}"]: row for i, row in enumerate(self.triggers)}
        self.cue_sign = {row["word"]: row["sign"] for row in _read_table("comparison_cues.tsv")}

    # ---- the component -------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        facts: list[Fact] = []
        doc_ents = doc.ents
        if len(doc_ents) >= 1:
            sentences = sentence_spans(doc)
            starts = [sent.start for sent in sentences]
            ents_by_sentence: dict[int, list[Span]] = {}
            for ent in doc_ents:
                ents_by_sentence.setdefault(starts[bisect_right(starts, ent.start) - 1], []).append(ent)
            triggers_by_sentence = self._triggers(doc, doc_ents, starts)
            for sent in sentences:
                ents = _arguments_of(doc, ents_by_sentence.get(sent.start, []))
                if len(ents) < 2 and not (ents and any(t.kind == "safety" for t in triggers_by_sentence.get(sent.start, []))):
                    continue
                for fact in self._sentence_facts(doc, sent, ents, triggers_by_sentence.get(sent.start, [])):
                    fact.sentence = sent
                    facts.append(fact)
        doc._.facts = _deduplicate(facts)
        return doc

    def _triggers(self, doc: Doc, doc_ents, sentence_starts: list[int]) -> dict[int, list[Trigger]]:
        inside_entity = set()
        for ent in doc_ents:
            inside_entity.update(range(ent.start, ent.end))
        found = []
        for key, start, end in self.matcher(doc):
            if any(i in inside_entity for i in range(start, end)):
                continue
            row = self.trigger_of_key[key]
            found.append(Trigger(start, end, row["predicate"], row["kind"], row["strength"]))
        # Longest match wins where triggers overlap.
        found.sort(key=lambda t: (t.start, -(t.end - t.start)))
        chosen: list[Trigger] = []
        for trig in found:
            if chosen and trig.start < chosen[-1].end:
                continue
            chosen.append(trig)
        by_sentence: dict[int, list[Trigger]] = {}
        for trig in chosen:
            by_sentence.setdefault(sentence_starts[bisect_right(sentence_starts, trig.start) - 1], []).append(trig)
        return by_sentence

    # ---- one sentence ----------------------------------------------------
    def _sentence_facts(self, doc: Doc, sent: Span, ents: list[Span], triggers: list[Trigger]) -> list[Fact]:
        certainty = _certainty(sent)
        clause_starts = _clause_starts(sent)
        facts: list[Fact] = []
        signed_links = self._signed_links(doc, triggers)
        consumed = {cue for cue, _ in signed_links.values()}
        triggers = [t for t in triggers if t.start not in consumed]
        comparisons = self._comparisons(doc, sent, ents, skip=consumed)
        facts.extend(comparisons)
        compared = {(f.subject.start, f.object.start) for f in comparisons}
        facts.extend(self._treatments_for(doc, sent, ents, certainty))
        facts.extend(self._group_findings(doc, sent, ents, certainty, compared))
        state = _SentenceState()
        for index, trig in enumerate(triggers):
            if _is_aim(doc, sent, trig) or (trig.kind == "verb" and trig.start > sent.start
                                            and doc[trig.start - 1].lower_ in NOUN_MARKERS):
                continue
            clause_start = max(s for s in clause_starts if s <= trig.start)
            next_start = triggers[index + 1].start if index + 1 < len(triggers) else sent.end
            clause_end = min([s for s in clause_starts if s > trig.start] + [sent.end])
            region_end = min(next_start, clause_end)
            left = [e for e in ents if clause_start <= e.start and e.end <= trig.start]
            right = [e for e in ents if trig.end <= e.start and e.end <= region_end]
            if self._is_group_comparison(doc, trig, right):
                continue
            subjects, objects, confidence, pairing = self._arguments(doc, trig, left, right, ents, state, sent, clause_start)
            pairs = list(zip(subjects, objects)) if pairing == "zip" else [(a, b) for a in subjects for b in objects]
            for subject, obj in pairs:
                if subject.start == obj.start or (subject.start, obj.start) in compared \
                        or _argument_key(subject) == _argument_key(obj):  # "SOD1 … increased SOD1 activity"
                    continue
                fact = self._fact(doc, sent, trig, subject, obj, certainty, confidence)
                if trig.start in signed_links:
                    fact.predicate = _signed_correlation(doc, subject, signed_links[trig.start][1], self.cue_sign)
                    fact.strength = "correlational"
                facts.append(fact)
            passive = trig.end < len(doc) and doc[trig.end].lower_ in ("by", "with")
            if subjects and not passive and trig.kind != "link" and pairing == "product":
                state.previous = _unique(subjects)
                state.main = state.main or state.previous
            if not subjects and doc[trig.start].lower_.endswith("ing") and trig.kind == "verb":
                # "increasing the number of Tregs … slowed the progression": a gerund phrase is the
                # subject of the verb after it.
                state.pending = objects
                continue
            state.pending = []
            state.objects.extend(o for o in objects if all(o.start != k.start for k in state.objects))
        return facts

    def _arguments(self, doc, trig, left, right, ents, state, sent, clause_start):
        """Subjects, objects, confidence and how to pair them ("product" or "zip") for one trigger."""
        by_index = trig.end < len(doc) and doc[trig.end].lower_ == "by"
        if trig.kind == "link" and doc[trig.end - 1].lower_ == "between":
            return right[:1], right[1:2], 0.7, "zip"
        if trig.kind == "safety":
            population = _population(doc, sent, trig, right)
            return _choose_subjects(doc, left), [population] if population is not None else [], 0.8, "product"
        if trig.kind == "noun" and doc[trig.end - 1].lower_ == "of" and trig.predicate == "treats":
            # "neuroprotective potential of resveratrol in PD, ALS …": the agent follows the trigger.
            return right[:1], [e for e in right[1:] if e.label_ == "DISEASE"], 0.7, "product"
        with_index = trig.end < len(doc) and doc[trig.end].lower_ == "with" and trig.predicate == "treats"
        if (by_index or with_index) and trig.kind in ("verb", "adjective"):
            agents = [e for e in right if e.start > trig.end and not _is_modifier(doc, e)][:1]
            agents = _coordination(doc, agents[0], right) if agents else []
            patients = _adjacent_before(doc, trig.start, left, gap=4, allow_locative=True) or _choose_subjects(doc, left) \
                or _antecedent(doc, clause_start, ents)
            return agents, [p for p in patients if _object_allowed(doc, trig, p)], 0.7, "product"
        subjects, confidence = self._subjects(doc, trig, left, ents, state, sent, clause_start)
        objects = [e for e in _until_stop(doc, trig, right) if _object_allowed(doc, trig, e)]
        objects = [e for e in objects if not _is_modifier(doc, e) and not _has_members(doc, e, objects)]
        if doc[trig.start].text.startswith("-") and objects:
            # "FUS-driven neuroinflammatory signaling": the modifier's object is the noun it modifies.
            objects = _coordination(doc, objects[0], objects) if objects[0].start - trig.end <= 1 else []
        if trig.kind == "link" and objects:
            objects = _coordination(doc, objects[0], objects)
        return subjects, objects, confidence, "product"

    def _subjects(self, doc, trig, left, ents, state, sent, clause_start) -> tuple[list[Span], float]:
        """Who does what the trigger says: the mention right before it, the clause's subject,
        the antecedent of a relative clause, or the subject carried over from earlier in the sentence."""
        before = doc[trig.start - 1].lower_ if trig.start > sent.start else ""
        if trig.kind == "noun":
            adjacent = _adjacent_before(doc, trig.start, left, gap=0, allow_locative=True)
            if adjacent:
                return adjacent, 0.85
        if trig.kind == "link" and doc[trig.start].lower_.endswith("ed") and before not in BE_VERBS and before not in ("been", "significantly", "strongly", "closely", "inversely", "positively", "negatively") \
                and not before.endswith("ly"):
            # "genes linked to …", "neurotoxicity associated with …": a modifier of the noun before it.
            return _adjacent_before(doc, trig.start, left, gap=0, allow_locative=True), 0.75
        if before == "by" and state.main:
            return state.main, 0.7  # "… by suppressing X": the sentence's agent does it
        if state.previous and _pronoun_before(doc, trig.start, sent.start):
            return state.previous, 0.75  # "…, and it enhances mitochondrial function"
        adjacent = _adjacent_before(doc, trig.start, left,
                                    allow_locative=doc[trig.start].lower_.lstrip("-") in PARTICIPLE_MODIFIERS)
        if adjacent and not any(e.start in {p.start for p in state.pending} for e in adjacent):
            return adjacent, 0.85
        if state.pending:
            return state.pending, 0.75
        continuing = trig.kind == "verb" and trig.start > sent.start + 1 \
            and (before in CONTINUATIONS or doc[trig.start - 2].lower_ in (",", "and"))
        if state.previous and continuing:
            return state.previous, 0.7
        earlier_objects = {o.start for o in state.objects}
        subjects = _choose_subjects(doc, [e for e in left if e.start not in earlier_objects]) \
            or _antecedent(doc, clause_start, ents)
        if subjects:
            return subjects, 0.85
        words = {t.lower_ for t in doc[clause_start:trig.start]}
        if state.main and words & {"they", "it"}:
            return state.main, 0.65  # "…; thus, they could serve as a biomarker"
        if state.objects and words & {"both", "these", "which", "all"}:
            return state.objects, 0.6  # "…; both markers of PD"
        if state.previous:
            return state.previous, 0.65
        return [], 0.0

    def _fact(self, doc, sent, trig, subject, obj, certainty, confidence) -> Fact:
        predicate = _refine_predicate(trig.predicate, doc[trig.start].lower_, subject, obj)
        strength = trig.strength
        if any(doc[i].lower_ in MODALS for i in range(max(sent.start, trig.start - 3), trig.start)) \
                and strength == "direct_causal":
            strength = "conditional_causal"
        if predicate.endswith("correlated_with") or predicate in ("higher_in", "lower_in"):
            strength = "correlational"
        return Fact(
            subject=subject, object=obj, predicate=predicate,
            negated=_negated(doc, sent, trig.start, trig.end),
            certainty=certainty, strength=strength,
            subject_attribute=_attribute(doc, subject), object_attribute=_attribute(doc, obj),
            confidence=confidence * min(_score(subject), _score(obj)),
            extractor=f"trigger:{trig.kind}:{doc[trig.start:trig.end].text.lower()}",
        )

    def _treatments_for(self, doc: Doc, sent: Span, ents: list[Span], certainty: str) -> list[Fact]:
        """'hydrogen therapy for ALS', 'riluzole treatment for ALS and FTD': a therapy named for a disease."""
        facts = []
        for i, ent in enumerate(ents):
            if ent.label_ not in ("INTERVENTION", "CHEMICAL_OR_DRUG"):
                continue
            j = ent.end
            while j < sent.end and doc[j].lower_ in TREATMENT_NOUNS:
                j += 1
            if j >= sent.end or doc[j].lower_ not in ("for", "against"):
                continue
            targets = [e for e in ents[i + 1:] if e.start > j and e.start - j <= 4 and e.label_ == "DISEASE"]
            for target in (_coordination(doc, targets[0], ents) if targets else []):
                if target.label_ == "DISEASE":
                    facts.append(Fact(
                        subject=ent, object=target, predicate="treats", negated=_negated(doc, sent, ent.start),
                        certainty=certainty, strength="direct_causal",
                        subject_attribute="", object_attribute=_attribute(doc, target),
                        confidence=0.7 * min(_score(ent), _score(target)), extractor="pattern:treatment_for",
                    ))
        return facts

    def _group_findings(self, doc: Doc, sent: Span, ents: list[Span], certainty: str, compared: set) -> list[Fact]:
        """'ALS samples exhibited TNF-α, IFN-γ …', '56.5% of genetic ALS patients showed IFN activation':
        what a patient group shows is higher in that group."""
        facts = []
        words = lower_words(doc)
        verbs = [i for i in range(sent.start, sent.end) if words[i] in FINDING_VERBS]
        clause_starts = _clause_starts(sent) if verbs else []
        for i in verbs:
            tok = doc[i]
            clause_start = max(s for s in clause_starts if s <= tok.i)
            clause_end = min([s for s in clause_starts if s > tok.i] + [sent.end])
            groups = [e for e in ents if clause_start <= e.start and e.end <= tok.i and e.label_ == "DISEASE"]
            if not groups:
                continue
            group = groups[-1]
            between = [t.lower_ for t in doc[group.end:tok.i]]
            if len(between) > 3 or not any(w in GROUP_NOUNS for w in between):
                continue
            shown = [e for e in ents if tok.i < e.start and e.end <= clause_end and e.label_ not in ("ORGANISM", "TRIAL")
                     and e.kb_id_ != group.kb_id_ and not _in_locative_phrase(doc, e)]
            for measured in _until_stop(doc, Trigger(tok.i, tok.i + 1, "higher_in", "group", "correlational"), shown):
                if (measured.start, group.start) in compared or (group.start, measured.start) in compared:
                    continue
                facts.append(Fact(
                    subject=measured, object=group, predicate="higher_in", negated=_negated(doc, sent, tok.i, tok.i + 1),
                    certainty=certainty, strength="correlational",
                    subject_attribute=_attribute(doc, measured), object_attribute="",
                    confidence=0.6 * min(_score(measured), _score(group)), extractor=f"comparison:group_finding:{tok.lower_}",
                ))
        return facts

    # ---- comparisons -------------------------------------------------------
    def _is_group_comparison(self, doc: Doc, trig: Trigger, right: list[Span]) -> bool:
        """'X were elevated in ALS patients' is a comparison, read by `_comparisons`."""
        word = doc[trig.start].lower_
        if word not in self.cue_sign or trig.start == 0:
            return False
        after = doc[trig.end].lower_ if trig.end < len(doc) else ""
        return doc[trig.start - 1].lower_ in BE_VERBS and after in ("in", "among")

    def _signed_links(self, doc: Doc, triggers: list[Trigger]) -> dict[int, tuple[int, str]]:
        """'associated with shorter survival', 'linked to increased risk': a link followed by a
        comparative is a signed correlation. Trigger start -> (comparative's index, its sign)."""
        words = lower_words(doc)
        signed = {}
        for trig in triggers:
            if trig.kind != "link" or trig.predicate not in ("associated_with", "positively_correlated_with"):
                continue
            i = trig.end
            while i < len(words) and words[i] in ("a", "an", "the", "significantly", "much"):
                i += 1
            if i < len(words) and words[i] in self.cue_sign:
                signed[trig.start] = (i, self.cue_sign[words[i]])
        return signed

    def _comparisons(self, doc: Doc, sent: Span, ents: list[Span], skip: set = frozenset()) -> list[Fact]:
        words = lower_words(doc)
        cues = [(i, self.cue_sign[words[i]]) for i in range(sent.start, sent.end)
                if words[i] in self.cue_sign and i not in skip]
        if skip:  # a signed link reads the comparatives of its sentence itself
            return []
        if not cues:
            return []
        certainty = _certainty(sent)
        paired = self._the_more_the_more(doc, sent, ents, cues, words, certainty)
        if paired:
            return paired
        attached = []  # (cue index, sign, entity)
        for i, sign in cues:
            ent = _entity_measured_by(doc, i, ents)
            if ent is not None and all(ent.start != a[2].start for a in attached):
                attached.append((i, sign, ent))
        facts = []
        measured = [a for a in attached if a[2].label_ not in ("DISEASE", "ORGANISM")]
        if len(measured) >= 2 and not _coordinated(doc, *sorted((measured[0][2], measured[1][2]), key=lambda e: e.start)):
            (_, sign_a, a), (_, sign_b, b) = measured[0], measured[1]
            predicate = "positively_correlated_with" if sign_a == sign_b else "negatively_correlated_with"
            first, second = sorted((a, b), key=lambda e: e.start)
            facts.append(self._comparison_fact(doc, sent, first, second, predicate, certainty, "comparison:correlation"))
            for _, sign_c, c in measured[2:]:
                if _coordinated(doc, second, c):
                    predicate = "positively_correlated_with" if sign_a == sign_c else "negatively_correlated_with"
                    facts.append(self._comparison_fact(doc, sent, first, c, predicate, certainty, "comparison:correlation"))
            return facts
        for i, sign, ent in attached:
            group = _compared_group(doc, sent, i, ent, ents)
            if group is None:
                continue
            predicate = "higher_in" if sign == "+" else "lower_in"
            for measured_ent in _coordination(doc, ent, ents):
                facts.append(self._comparison_fact(doc, sent, measured_ent, group, predicate, certainty, "comparison:group"))
        return facts

    def _the_more_the_more(self, doc, sent, ents, cues, words, certainty) -> list[Fact]:
        """'The larger the increase in Tregs, the slower the loss of function and rate of ALS
        progression': a correlation between the two halves, its sign from their comparatives."""
        first = sent.start
        while first < sent.end and not words[first].isalnum():
            first += 1
        if first + 1 >= sent.end or words[first] != "the" or words[first + 1] not in self.cue_sign:
            return []
        second = next((i for i in range(first + 2, sent.end - 1)
                       if words[i] == "," and words[i + 1] == "the" and words[i + 2] in self.cue_sign), None)
        if second is None:
            return []
        sign_a, sign_b = self.cue_sign[words[first + 1]], self.cue_sign[words[second + 2]]
        signs_a = [sign for i, sign in cues if first + 1 < i < second]  # "the larger the increase"
        if signs_a.count("-") % 2:
            sign_a = "+" if sign_a == "-" else "-"
        subjects = [e for e in ents if first < e.start and e.end <= second][:1]
        objects = [e for e in ents if e.start > second + 2 and e.label_ not in ("ORGANISM", "TRIAL")]
        predicate = "positively_correlated_with" if sign_a == sign_b else "negatively_correlated_with"
        return [self._comparison_fact(doc, sent, a, b, predicate, certainty, "comparison:the_more_the_more")
                for a in subjects for b in objects]

    def _comparison_fact(self, doc, sent, subject, obj, predicate, certainty, extractor) -> Fact:
        return Fact(
            subject=subject, object=obj, predicate=predicate,
            negated=_negated(doc, sent, min(subject.start, obj.start)),
            certainty=certainty, strength="correlational",
            subject_attribute=_attribute(doc, subject), object_attribute=_attribute(doc, obj),
            confidence=0.75 * min(_score(subject), _score(obj)), extractor=extractor,
        )


# ---- helpers over tokens and spans -----------------------------------------

def _arguments_of(doc: Doc, ents: list[Span]) -> list[Span]:
    """The mentions that can be a claim's arguments: not a bracketed short form repeating the
    mention before it ("amyotrophic lateral sclerosis (ALS)"), not a body site or species
    naming where the next mention is measured ("plasma NfL", "mouse SOD1")."""
    ents = [e for i, e in enumerate(ents) if not (
        e.label_ in ("ANATOMY", "ORGANISM") and i + 1 < len(ents) and ents[i + 1].start == e.end)]
    return _without_repeated_short_forms(doc, ents)


def _without_repeated_short_forms(doc: Doc, ents: list[Span]) -> list[Span]:
    out = []
    for ent in ents:
        if out and ent.start - out[-1].end == 1 and doc[ent.start - 1].text == "(" \
                and (ent.kb_id_ == out[-1].kb_id_ or (Span.has_extension("abbreviation_of") and ent._.abbreviation_of)):
            continue
        out.append(ent)
    return out


def _score(span: Span) -> float:
    return float(span._.score) if Span.has_extension("score") and span._.score is not None else 1.0


def _unique(spans: list[Span]) -> list[Span]:
    seen, out = set(), []
    for span in spans:
        if span.start not in seen:
            seen.add(span.start)
            out.append(span)
    return out


def _clause_starts(sent: Span) -> list[int]:
    words = lower_words(sent.doc)
    starts = [sent.start]
    depth = 0
    for i in range(sent.start, sent.end):
        word = words[i]
        depth += word in ("(", "[")
        depth -= word in (")", "]") and depth > 0
        if depth:  # "(MEP; SMD 0.387, 95% CI …)" is an aside, not a clause
            continue
        if i > sent.start and (word in CLAUSE_BREAKS or word in RELATIVE_PRONOUNS
                               or (word == "characterized" and i + 1 < sent.end and words[i + 1] == "by")):
            starts.append(i + 1 if word == ";" else i)
    return starts


def _antecedent(doc: Doc, clause_start: int, ents: list[Span]) -> list[Span]:
    """The mention a relative clause ("reactive astrocytes that contribute to …") is about."""
    if doc[clause_start].lower_ not in RELATIVE_PRONOUNS:
        return []
    before = [e for e in ents if e.end <= clause_start and clause_start - e.end <= 2]
    if not before:
        # "interleukin-2 (IL-2) — a protein that helps …": through an apposition to the mention.
        i = clause_start - 1
        while i >= 0 and i >= clause_start - 5 and doc[i].lower_ not in ("—", "–", ",", "-"):
            i -= 1
        if i >= 0 and doc[i].lower_ in ("—", "–", ",", "-") and i + 1 < clause_start and doc[i + 1].lower_ in ("a", "an"):
            before = [e for e in ents if e.end <= i and (i - e.end <= 1 or (
                i - e.end <= 4 and doc[e.end].text == "(" and doc[i - 1].text == ")"))]
    if not before:
        return []
    # "Regulatory T-cells are a type of white blood cells that …": the clause is about the first.
    words = [t.lower_ for t in doc[max(0, before[-1].start - 4):before[-1].start]]
    if len(words) >= 3 and words[-1] == "of" and words[-2] in CATEGORY_NOUNS:
        earlier = [e for e in ents if e.end <= before[-1].start - 3]
        if earlier:
            return earlier[-1:]
    return before[-1:]


def _preceding_word(doc: Doc, span: Span, skip=("the", "a", "an", "their", "its", "his", "her")) -> str:
    i = span.start - 1
    while i >= 0 and doc[i].lower_ in skip:
        i -= 1
    return doc[i].lower_ if i >= 0 else ""


def _in_locative_phrase(doc: Doc, span: Span, reach: int = 6, floor: int = 0) -> bool:
    """'in transgenic ALS mice', 'in a mouse model of ALS', 'people with ALS': a setting, not an agent."""
    for tok in reversed(doc[max(floor, span.start - reach):span.start]):
        if tok.is_punct or tok.lower_ in BE_VERBS:
            return False
        if tok.lower_ in LOCATIVE_PREPOSITIONS:
            return True
        if tok.lower_ == "with":  # "people with ALS" is a setting; "treatment with riluzole" is not
            return tok.i > 0 and doc[tok.i - 1].lower_ not in TREATMENT_NOUNS and doc[tok.i - 1].lower_ not in ("treated", "combined")
    return False


def _choose_subjects(doc: Doc, left: list[Span]) -> list[Span]:
    """The clause's grammatical subject: its first mention not inside a locative phrase,
    with the mentions coordinated to it ("nanoparticles and exosomes")."""
    candidates = [e for e in left if e.label_ not in SUBJECT_TYPES_EXCLUDED]
    free = [e for e in candidates if not _in_locative_phrase(doc, e)]
    if not free:
        return []
    head = free[0]
    group = [head]
    for ent in candidates[candidates.index(head) + 1:]:
        if _coordinated(doc, group[-1], ent):
            group.append(ent)
        else:
            break
    return group


def _adjacent_before(doc: Doc, index: int, left: list[Span], gap: int = 2, allow_locative: bool = False) -> list[Span]:
    """A mention right before the trigger ("SOD1 induced", "TDP-43-driven") is its subject."""
    if not left:
        return []
    last = left[-1]
    end = index
    if end > 0 and doc[end - 1].text == ")":  # skip a bracketed short form: "superoxide dismutase 1 (SOD1) induced"
        opening = next((t.i for t in reversed(doc[last.end:end - 1]) if t.text == "("), None)
        if opening is not None and opening - last.end <= 1:
            end = opening
    between = [t for t in doc[last.end:end] if t.text not in ("(", ")", "-", "’s", "'s")]
    if len(between) > gap or any(t.lower_ in RELATIVE_PRONOUNS or t.is_punct for t in between):
        return []
    if between and not all(t.lower_ in BE_VERBS or t.lower_ in ATTRIBUTE_WORDS or t.lower_ in MODALS
                           or t.lower_ in TREATMENT_NOUNS or (t.lower_.endswith("ly") and t.is_alpha)
                           or t.lower_ in ("not", "then", "has", "have", "had", "can")
                           for t in between):
        return []
    if last.label_ in SUBJECT_TYPES_EXCLUDED or (not allow_locative and _in_locative_phrase(doc, last)):
        return []
    return [e for e in _coordination(doc, last, left) if e.label_ not in SUBJECT_TYPES_EXCLUDED]


def _is_modifier(doc: Doc, span: Span) -> bool:
    """'astrocyte-mediated neurotoxicity': the mention modifies the noun after it."""
    after = doc[span.end:span.end + 3]
    if after and after[0].text == "/" and len(after) == 3:  # "ALS/FTD-associated RNA binding proteins"
        after = after[2:]
    return bool(after) and after[0].text.startswith("-") and len(after[0].text) > 2


def _has_members(doc: Doc, span: Span, objects: list[Span]) -> bool:
    """'neuronal genes such as STMN2 and UNC13A': the members are the objects, not the category."""
    window = [t.lower_ for t in doc[span.end:span.end + 4]]
    for marker in MEMBER_MARKERS:
        for i in range(len(window) - len(marker) + 1):
            if tuple(window[i:i + len(marker)]) == marker:
                after = span.end + i + len(marker)
                return any(o.start >= after for o in objects)
    return False


def _pronoun_before(doc: Doc, index: int, floor: int) -> bool:
    i = index - 1
    while i > floor and (doc[i].lower_ in MODALS or doc[i].lower_ in ("also", "further", "then", "not") or doc[i].lower_.endswith("ly")):
        i -= 1
    return i >= floor and doc[i].lower_ in ("it", "they")


def _until_stop(doc: Doc, trig: Trigger, right: list[Span]) -> list[Span]:
    """The mentions of a trigger's region up to a word that starts a means or circumstance."""
    out = []
    last = trig.end
    for ent in right:
        between = doc[last:ent.start]
        if any(t.lower_ in OBJECT_STOPS or (t.lower_ == "as" and t.i + 1 < len(doc) and t.nbor().lower_ not in ("well", "such")
                                              and doc[t.i - 1].lower_ not in ("well", "such")) for t in between):
            break
        out.append(ent)
        last = ent.end
    return out


def _coordination(doc: Doc, ent: Span, ents: list[Span]) -> list[Span]:
    """A mention with the mentions coordinated with it on both sides ("CXCL10, CCL3, and CCL19")."""
    ordered = sorted(ents, key=lambda e: e.start)
    index = next((i for i, e in enumerate(ordered) if e.start == ent.start), None)
    if index is None:
        return [ent]
    lo = hi = index
    while lo > 0 and _coordinated(doc, ordered[lo - 1], ordered[lo]):
        lo -= 1
    while hi + 1 < len(ordered) and _coordinated(doc, ordered[hi], ordered[hi + 1]):
        hi += 1
    return ordered[lo:hi + 1]


def _coordinated(doc: Doc, a: Span, b: Span) -> bool:
    """Only list punctuation and conjunctions between the two ("A, B and C", "A (a.k.a.), B")."""
    words, depth = [], 0
    for tok in doc[a.end:b.start]:
        if tok.text == "(":
            depth += 1
        elif tok.text == ")" and depth:
            depth -= 1
        elif not depth:
            words.append(tok.lower_)
    return len(words) <= 3 and b.start - a.end <= 12 and all(w in COORDINATORS for w in words)


def _object_allowed(doc: Doc, trig: Trigger, ent: Span) -> bool:
    if ent.label_ in OBJECT_TYPES_EXCLUDED and not (ent.label_ == "ORGANISM" and ent.kb_id_.startswith("MESH:")):
        return False  # a species is a setting; a microbiota (MeSH-linked) can be affected
    before = _preceding_word(doc, ent)
    if trig.predicate == "treats":
        return ent.label_ in ("DISEASE", "OUTCOME") or before in ("for", "against", "in")
    if trig.kind != "link" and _in_locative_phrase(doc, ent, floor=trig.end) and not _follows_trigger(doc, trig, ent):
        return False  # "reduced FUS accumulation in astrocytes": a setting, not an object
    if before == "of" and ent.label_ == "DISEASE":
        # "the progression of ALS": the disease qualifies the outcome before it.
        j = ent.start - 2
        while j >= 0 and doc[j].lower_ in ("the", "a", "an"):
            j -= 1
        if j >= 0 and doc[j].ent_type_ in ("OUTCOME",):
            return False
    return True


def _follows_trigger(doc: Doc, trig: Trigger, ent: Span) -> bool:
    """'increase in Tregs', 'improvements mainly in X': the preposition belongs to the trigger."""
    return all(t.lower_ in ("the", "a", "an", "of", "in") or t.i < trig.end for t in doc[trig.end:ent.start]) \
        and doc[trig.end - 1].lower_ in ("in", "of", "on")


def _signed_correlation(doc: Doc, subject: Span, object_sign: str, cue_sign: dict) -> str:
    """'Higher NfL levels were associated with shorter survival': the sign of a comparative
    just before the subject (default: more of it) times the sign of the object's."""
    subject_sign = "+"
    for tok in doc[max(0, subject.start - 3):subject.start]:
        if tok.lower_ in cue_sign:
            subject_sign = cue_sign[tok.lower_]
    return "positively_correlated_with" if subject_sign == object_sign else "negatively_correlated_with"


def _refine_predicate(predicate: str, word: str, subject: Span, obj: Span) -> str:
    """The trigger's predicate, read with the argument types: improving a disease treats it,
    increasing a disease causes it."""
    if word.startswith(("protect", "rescue", "preserv")) and obj.label_ not in ("DISEASE",):
        return "increases"
    if predicate == "increases" and obj.label_ == "DISEASE" and subject.label_ in ("GENE_OR_PROTEIN", "DISEASE", "CELL_TYPE", "CHEMICAL_OR_DRUG"):
        return "causes"
    return predicate


def _negated(doc: Doc, sent: Span, index: int, end: int | None = None) -> bool:
    """A negation cue just before the trigger ("did not slow"), or right after it ("showed no loss")."""
    window = list(doc[max(sent.start, index - 4):index])
    if end is not None:
        window += [t for t in doc[end:min(end + 2, sent.end)] if t.lower_ in ("no", "not", "neither", "none")]
    return any(tok.lower_ in NEGATION_CUES for tok in window)


def _is_aim(doc: Doc, sent: Span, trig: Trigger) -> bool:
    """'to assess whether X reduces Y', 'to discuss how X may affect Y': stated aims are not facts."""
    window = doc[max(sent.start, trig.start - 10):trig.start]
    return any(tok.lower_ in AIM_CUES for tok in window) and any(tok.lower_ in ("to", "whether", "if", "how") for tok in window)


def _attribute(doc: Doc, span: Span) -> str:
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


def _entity_measured_by(doc: Doc, cue: int, ents: list[Span]) -> Span | None:
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


def _compared_group(doc: Doc, sent: Span, cue: int, measured: Span, ents: list[Span]) -> Span | None:
    """The population or condition a measured quantity is higher or lower in."""
    if measured.label_ in ("DISEASE", "ORGANISM"):
        return None
    # "X was elevated in (plasma from) (patients with) ALS"
    for ent in ents:
        if ent.start > max(cue, measured.end) and ent.label_ == "DISEASE":
            between = [t.lower_ for t in doc[max(cue, measured.end):ent.start]]
            if "in" in between or "among" in between:
                if len(between) <= 8:
                    return ent
            break
    # "ALS patients (were found to) have lower levels of X"
    for ent in reversed([e for e in ents if e.end <= min(cue, measured.start)]):
        if ent.label_ == "DISEASE":
            between = [t.lower_ for t in doc[ent.end:min(cue, measured.start)]]
            if any(w in HAVE_VERBS for w in between) and any(w in POPULATION_NOUNS for w in between[:2]):
                return ent
        break
    return None


def _population(doc: Doc, sent: Span, trig: Trigger, right: list[Span]) -> Span | None:
    """The group a treatment was safe in: a disease mention, or the patients of the document's disease."""
    diseases = [e for e in right if e.label_ == "DISEASE"]
    if diseases:
        return diseases[0]
    for tok in doc[trig.end:sent.end]:
        if tok.lower_ in POPULATION_NOUNS:
            disease = _main_disease(doc)
            span = Span(doc, tok.i, tok.i + 1, label="DISEASE", kb_id=disease.kb_id_ if disease is not None else "")
            return span
    return None


def _main_disease(doc: Doc) -> Span | None:
    counts: dict[str, list[Span]] = {}
    for ent in doc.ents:
        if ent.label_ == "DISEASE" and ent.kb_id_:
            counts.setdefault(ent.kb_id_, []).append(ent)
    if not counts:
        return None
    return max(counts.values(), key=len)[0]


def _certainty(sent: Span) -> str:
    return certainty_of(sent)


def _argument_key(span: Span) -> str:
    return span.kb_id_ or span.text.lower()


def _deduplicate(facts: list[Fact]) -> list[Fact]:
    """One fact per sentence, subject concept, predicate class and object concept: the best-supported one."""
    best: dict[tuple, Fact] = {}
    for fact in facts:
        key = (fact.sentence.start, _argument_key(fact.subject), _argument_key(fact.object), fact.negated)
        if key not in best or fact.confidence > best[key].confidence:
            best[key] = fact
    return sorted(best.values(), key=lambda f: (f.subject.start_char, f.object.start_char, f.predicate))
