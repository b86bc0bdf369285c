"""Claim extraction: subject — predicate — object facts between entity mentions.

No parser is needed: a sentence is cut into clauses, trigger phrases from
`data/claim_triggers.tsv` are found with spaCy's PhraseMatcher, and each trigger takes
its subject from the clause before it and its objects from the text after it
(up to the next trigger). Comparisons ("X was elevated in ALS patients",
"faster progression in patients with lower Treg levels") are read from the signed
cue words of `data/comparison_cues.tsv`. Negation, certainty, strength and the
measured attribute of each argument come from small word tables; the word lists and
phrase shapes read around a trigger are in `claim_phrases.py`, the choice of subjects and
objects in `claim_arguments.py`, the reading of comparisons in `claim_comparisons.py`.
"""

from __future__ import annotations

import csv
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from pipeline.components import claim_arguments as arguments
from pipeline.components import claim_comparisons as comparisons
from pipeline.components import claim_phrases as phrases
from pipeline.components import lower_words, sentence_spans
from pipeline.components.claim_phrases import Trigger
from pipeline.components.claim_features import TRIGGERS_KEY
from pipeline.components.linking import FUNCTION_WORDS
from pipeline.components.certainty import certainty_of

DATA = Path(__file__).with_name("data")
TREATMENT_TYPES = ("INTERVENTION", "CHEMICAL_OR_DRUG")  # what FACTS_SPEC §2 lets `treats` take as subject
SIGNABLE_LINKS = ("associated_with", "positively_correlated_with")  # a comparison word after them signs the link
SIGN_SKIPPED = ("a", "an", "the", "significantly", "much")  # between a link and its comparison word


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
        self.cue_sign = phrases.COMPARISON_SIGNS
        self.cue_words = frozenset(self.cue_sign)

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
                if phrases.states_no_claim(sent):
                    continue
                ents = phrases.arguments_of(doc, ents_by_sentence.get(sent.start, []))
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
        doc.user_data[TRIGGERS_KEY] = chosen  # the claim classifier reads them as features
        by_sentence: dict[int, list[Trigger]] = {}
        for trig in chosen:
            by_sentence.setdefault(sentence_starts[bisect_right(sentence_starts, trig.start) - 1], []).append(trig)
        return by_sentence

    # ---- one sentence ----------------------------------------------------
    def _sentence_facts(self, doc: Doc, sent: Span, ents: list[Span], triggers: list[Trigger]) -> list[Fact]:
        certainty = _certainty(sent)
        clause_starts = phrases.clause_starts(sent)
        facts: list[Fact] = []
        signed_links = self._signed_links(doc, triggers)
        consumed = {cue for cue, _ in signed_links.values()}
        triggers = [t for t in triggers if t.start not in consumed]
        comparison_facts = self._comparisons(doc, sent, ents, skip=consumed)
        facts.extend(comparison_facts)
        compared = {(f.subject.start, f.object.start) for f in comparison_facts}
        facts.extend(self._treatments_for(doc, sent, ents, certainty))
        group_findings = self._group_findings(doc, sent, ents, certainty, compared)
        facts.extend(group_findings)
        # "the ALS cohort showed widespread decreases of CT": a pair read as a group finding is not
        # also a claim of the group's verb-like words
        compared |= {(a.start, b.start) for f in group_findings for a, b in ((f.subject, f.object), (f.object, f.subject))}
        state = _SentenceState()
        part_of_cause: set[int] = set()  # nominal triggers read with the cause before them
        attributive = None  # the end of the last participle read as an adjective
        for index, trig in enumerate(triggers):
            if trig.start in part_of_cause:
                continue
            if trig.kind == "verb" and comparisons.is_attributive_participle(doc, sent, trig, attributive):
                attributive = trig.end  # "exhibited elevated HR-min and decreased RR intervals"
                continue
            if phrases.is_aim(doc, sent, trig) or (trig.kind == "verb" and trig.start > sent.start
                                            and doc[trig.start - 1].lower_ in phrases.NOUN_MARKERS):
                continue
            if trig.kind == "noun" and doc[trig.start].lower_ in NOUN_TRIGGERS_NEEDING_VERB \
                    and not (index and trig.start - triggers[index - 1].end <= 2):
                continue  # "TDP-43 loss of nuclear function", "with loss of": a description, not what a cause does
            clause_start = max(s for s in clause_starts if s <= trig.start)
            if trig.kind == "verb" and trig.predicate == "causes" and doc[trig.end - 1].lower_ in ("to", "in"):
                attributive = trig.end  # "leads to spasticity, impaired reflexes, …": a list of what it leads to
            following = index + 1
            if trig.kind == "reverse":
                # "paralysis due to the continued loss of motoneurons": "loss of" names what the cause
                # does (its attribute), it is not a second claim about paralysis
                while following < len(triggers) and triggers[following].kind == "noun" and \
                        not any(trig.end <= e.start < triggers[following].start for e in ents):
                    part_of_cause.add(triggers[following].start)
                    following += 1
            next_start = triggers[following].start if following < len(triggers) else sent.end
            clause_end = min([s for s in clause_starts if s > trig.start] + [sent.end])
            region_end = min(next_start, clause_end)
            left = [e for e in ents if clause_start <= e.start and e.end <= trig.start]
            right = [e for e in ents if trig.end <= e.start and e.end <= region_end]
            if self._is_group_comparison(doc, trig, right):
                continue
            subjects, objects, confidence, pairing = self._arguments(doc, trig, left, right, ents, state, sent, clause_start)
            if objects and {_singular_key(o) for o in objects} <= {_singular_key(a) for a in subjects}:
                objects = []  # "prevalence of PD, MS, and MNDs increased (PD: …; MS: …)": the list restated
            pairs = list(zip(subjects, objects)) if pairing == "zip" else [(a, b) for a in subjects for b in objects]
            for subject, obj in pairs:
                if subject.start == obj.start or (subject.start, obj.start) in compared \
                        or arguments.names_host_species(subject) \
                        or phrases.argument_key(subject) == phrases.argument_key(obj):  # "SOD1 … increased SOD1 activity"
                    continue
                fact = self._fact(doc, sent, trig, subject, obj, certainty, confidence)
                object_sign = self._object_sign(doc, trig, obj) or signed_links.get(trig.start, (None, None))[1]
                if object_sign:
                    fact.predicate = _signed_correlation(doc, subject, object_sign, self.cue_sign)
                    fact.strength = "correlational"
                facts.append(fact)
            passive = trig.kind == "reverse" or (trig.end < len(doc) and doc[trig.end].lower_ in ("by", "with"))
            if subjects and not passive and trig.kind != "link" and pairing == "product":
                state.previous = phrases.unique(subjects)
                state.main = state.main or state.previous
            if not subjects and doc[trig.start].lower_.endswith("ing") and trig.kind == "verb":
                # "increasing the number of Tregs … slowed the progression": a gerund phrase is the
                # subject of the verb after it.
                state.pending = objects
                continue
            state.pending = []
            state.objects.extend(o for o in objects if all(o.start != k.start for k in state.objects))
        for fact in facts:
            defined = arguments.defined_by(doc, sent, fact.subject, ents)
            if defined is not None and defined.start != fact.object.start:
                fact.subject = defined
        return facts

    def _arguments(self, doc, trig, left, right, ents, state, sent, clause_start):
        """Subjects, objects, confidence and how to pair them ("product" or "zip") for one trigger."""
        by_index = trig.end < len(doc) and doc[trig.end].lower_ == "by"
        if trig.kind == "link" and doc[trig.end - 1].lower_ == "between":
            return right[:1], right[1:2], 0.7, "zip"
        if trig.kind == "safety":
            population = comparisons.population(doc, sent, trig, right)
            return arguments.choose_subjects(doc, left), [population] if population is not None else [], 0.8, "product"
        if trig.kind == "noun" and doc[trig.end - 1].lower_ == "of" and trig.predicate == "treats" \
                and right and right[0].label_ != "DISEASE":  # "treatment of cerebral edema": the disease treated
            # "neuroprotective potential of resveratrol in PD, ALS …": the agent follows the trigger.
            return right[:1], [e for e in right[1:] if e.label_ == "DISEASE"], 0.7, "product"
        if trig.kind == "reverse":
            # "paralysis due to the loss of motoneurons": the cause is the mention right after the
            # connective, modifier or not ("TDP-43 nuclear condensation"); the effect stands right
            # before it, or there is no claim
            near = right and right[0].start - trig.end <= MAX_WORDS_BEFORE_CAUSE
            causes = phrases.coordination(doc, right[0], right) if near else []
            return causes, [e for e in _effect_before(doc, trig, left) if arguments.object_allowed(doc, trig, e)], 0.7, "product"
        if trig.kind == "link" and not left and right and doc[trig.start].lower_ in arguments.ROLE_NOUNS:
            named = arguments.named_after(doc, right[0], right)
            if named:
                # "Underlying causes of breathlessness in ALS include COPD, …": what follows the
                # verb is the cause (or the risk factor); the mention after the trigger its effect
                return named, right[:1], 0.7, "product"
        if by_index and trig.kind == "verb" and _an_amount_after(doc, trig.end + 1):
            return [], [], 0.0, "product"  # "CSF SOD1 protein decreased by 47%, CSF NfL by 55%": no agent
        with_index = trig.end < len(doc) and doc[trig.end].lower_ == "with" and trig.predicate == "treats"
        if (by_index or with_index) and trig.kind in ("verb", "adjective"):
            agents = [e for e in right if e.start > trig.end and not arguments.is_modifier(doc, e)][:1]
            agents = phrases.coordination(doc, agents[0], right) if agents else []
            patients = (arguments.adjacent_before(doc, trig.start, left, gap=4)
                        or arguments.choose_subjects(doc, left) or phrases.antecedent(doc, clause_start, ents))
            return agents, [p for p in patients if arguments.object_allowed(doc, trig, p)], 0.7, "product"
        if trig.kind == "verb" and arguments.passive_without_agent(doc, trig):
            return [], [], 0.0, "product"
        subjects, confidence = self._subjects(doc, trig, left, ents, state, sent, clause_start)
        region = arguments.until_stop(doc, trig, right)
        objects = [e for e in region if arguments.object_allowed(doc, trig, e)
                   and (trig.kind == "link" or not arguments.listed_in_setting(doc, trig, e, region))]
        if objects and arguments.improves_knowledge(doc, trig, objects[0]):
            objects = []  # "could improve our understanding of ALS and … monitor its progression"
        objects = [e for e in objects if not arguments.is_modifier(doc, e) and not arguments.has_members(doc, e, objects)
                   and not arguments.qualifies_next(e, right) and not arguments.site_of(doc, e, objects)]
        if objects and (doc[trig.start].text.startswith("-") or trig.start > 0 and doc[trig.start - 1].text == "-"):
            # "FUS-driven neuroinflammatory signaling": the modifier's object is the noun it modifies.
            objects = phrases.coordination(doc, objects[0], objects) if objects[0].start - trig.end <= 1 else []
        if trig.kind == "link" and objects:
            objects = phrases.coordination(doc, objects[0], objects)
        return subjects, objects, confidence, "product"

    def _subjects(self, doc, trig, left, ents, state, sent, clause_start) -> tuple[list[Span], float]:
        """Who does what the trigger says: the mention right before it, the clause's subject,
        the antecedent of a relative clause, or the subject carried over from earlier in the sentence."""
        before = doc[trig.start - 1].lower_ if trig.start > sent.start else ""
        left = [e for e in left if not arguments.topic_of_knowledge(doc, e)]
        previous = [] if doc[clause_start].lower_ == "there" else state.previous  # "…, and there are no treatments to slow …"
        if trig.kind == "verb" and arguments.noun_phrase_acts(doc, trig):
            return [], 0.0  # "the molecular pathways leading to neurodegeneration in prion disease"
        if trig.kind == "verb":
            # a population does not act ("cortisol treatment of human subjects significantly reduced
            # nitrite", "participants reported reduced immobility"): the group finding rules read it
            left = [e for e in left if not arguments.names_population(doc, e)]
        if trig.predicate in arguments.AGENT_PREDICATES:
            left = [e for e in left if not arguments.names_material(doc, e)]  # "cancer cells … upregulate mTOR"
        if trig.kind == "noun":
            adjacent = arguments.adjacent_before(doc, trig.start, left, gap=0, allow_locative=True)
            if adjacent:
                return adjacent, 0.85
            item_start = _modifiers_start(doc, trig.start, sent.start)
            if item_start > sent.start + 1 and doc[item_start - 1].lower_ in ("and", "or") \
                    and doc[item_start - 2].text == ",":
                item_start -= 1  # the serial comma: "A, B, and C"
            if item_start > sent.start and doc[item_start - 1].lower_ in (",", "and", "or") \
                    and any(e.end == item_start - 1 for e in left):
                # "free radicals, excitotoxicity, activation of cell death pathways and inflammation",
                # "severe LMP, mitochondrial depolarization, and specific transcriptional downregulation
                # of ACTR10": an item of a list, not something the item before it does
                return [], 0.0
        if trig.kind == "link" and doc[trig.start].lower_.endswith("ed") and before not in phrases.BE_VERBS \
                and before != "been" and not before.endswith("ly"):
            # "genes linked to …", "neurotoxicity associated with …": a modifier of the noun before it.
            return arguments.adjacent_before(doc, trig.start, left, gap=0, allow_locative=True), 0.75
        if trig.kind == "link":
            comma = arguments.apposition_comma(doc, sent, trig.start)
            if comma is not None:
                # "… carrying the C9ORF72 repeat expansion, the most common genetic cause of ALS"
                adjacent = arguments.adjacent_before(doc, comma, left, allow_locative=True)
                if adjacent:
                    return adjacent, 0.8
        if trig.kind == "verb" and before == "," and doc[trig.start].lower_ in ("leading", "resulting") and left \
                and left[-1].end == trig.start - 1 and not arguments.in_locative_phrase(doc, left[-1]) \
                and doc[left[-1].start - 1].lower_ not in ("this", "these", "that", "those", "such"):
            # "… contributing to neurodegeneration, leading to fatal neurodegenerative diseases": the
            # participle after a comma says what the mention just before it leads to (not a mention
            # that points back, "exacerbated this toxicity, leading to …": the sentence's agent does)
            return phrases.coordination(doc, left[-1], left), 0.7
        if before == "by" and state.main:
            return state.main, 0.7  # "… by suppressing X": the sentence's agent does it
        if previous and arguments.pronoun_before(doc, trig.start, sent.start):
            return previous, 0.75  # "…, and it enhances mitochondrial function"
        if trig.kind == "verb" and _possessed_subject(doc, trig.start, sent.start, left):
            # "While these responses are crucial for CNS health, their dysregulation can contribute
            # to …": the subject is what "their" points back to, which no mention here names
            return previous, 0.65
        adjacent = arguments.adjacent_before(doc, trig.start, left,
                                    allow_locative=doc[trig.start].lower_.lstrip("-") in phrases.PARTICIPLE_MODIFIERS)
        if adjacent and not any(e.start in {p.start for p in state.pending} for e in adjacent):
            return adjacent, 0.85
        if state.pending and before != "to":  # "protecting neuronal function to treat …": a purpose
            return state.pending, 0.75
        continuing = trig.kind == "verb" and trig.start > sent.start + 1 \
            and (before in phrases.CONTINUATIONS or doc[trig.start - 2].lower_ in (",", "and"))
        if previous and continuing:
            return previous, 0.7
        earlier_objects = {o.start for o in state.objects}
        subjects = arguments.choose_subjects(doc, [e for e in left if e.start not in earlier_objects]) \
            or phrases.antecedent(doc, clause_start, ents)
        if subjects:
            return subjects, 0.85
        words = {t.lower_ for t in doc[clause_start:trig.start]}
        if state.main and words & {"they", "it"}:
            return state.main, 0.65  # "…; thus, they could serve as a biomarker"
        if state.objects and words & {"both", "these", "which", "all"}:
            return state.objects, 0.6  # "…; both markers of PD"
        if previous:
            return previous, 0.65
        return [], 0.0

    def _fact(self, doc, sent, trig, subject, obj, certainty, confidence) -> Fact:
        predicate = _refine_predicate(trig.predicate, doc[trig.start].lower_, subject, obj,
                                      phrases.lower_words(doc)[trig.end:obj.start])
        if trig.kind == "reverse":
            predicate = _effect_predicate(doc, obj, self.cue_sign)
        if trig.kind == "verb" and predicate in ("causes", "increases") and _lost(doc, obj):
            # "stress can lead to STMN2 loss"; a lowering verb keeps its sign: gold reads "alleviated
            # motor neuron loss" as decreases
            predicate = "decreases"
        method = arguments.method_acted_on(doc, trig) if trig.kind == "verb" else ""
        if method and predicate == "treats":
            predicate = trig.predicate  # "may improve detection of LMN dysfunction" does not treat it
        strength = trig.strength
        if any(doc[i].lower_ in phrases.MODALS for i in range(max(sent.start, trig.start - 3), trig.start)) \
                and strength == "direct_causal":
            strength = "conditional_causal"
        if predicate.endswith("correlated_with") or predicate in ("higher_in", "lower_in"):
            strength = "correlational"
        return Fact(
            subject=subject, object=obj, predicate=predicate,
            negated=phrases.negated(doc, sent, trig.start, trig.end),
            certainty=certainty, strength=strength,
            subject_attribute=comparisons.attribute(doc, subject),
            object_attribute=comparisons.attribute(doc, obj) or method,  # what improves is its detection
            confidence=confidence * min(phrases.score(subject), phrases.score(obj)),
            extractor=f"trigger:{trig.kind}:{doc[trig.start:trig.end].text.lower()}",
        )

    def _treatments_for(self, doc: Doc, sent: Span, ents: list[Span], certainty: str) -> list[Fact]:
        """'hydrogen therapy for ALS', 'riluzole treatment for ALS and FTD': a therapy named for a disease."""
        facts = []
        for i, ent in enumerate(ents):
            if ent.label_ not in TREATMENT_TYPES or doc[ent.end - 1].lower_ in phrases.DIAGNOSTIC_NOUNS:
                continue  # "a liquid biopsy for ALS", "genetic testing for ALS": a test finds a disease
            j = ent.end
            if j < sent.end and doc[j].text == "(":  # "Escitalopram (Lexapro) for Depression"
                closing = next((t.i for t in doc[j:min(j + 6, sent.end)] if t.text == ")"), None)
                j = closing + 1 if closing is not None else j
            while j < sent.end and doc[j].lower_ in phrases.TREATMENT_NOUNS:
                j += 1
            if j >= sent.end or doc[j].lower_ not in ("for", "against"):
                continue
            targets = [e for e in ents[i + 1:] if e.start > j and e.start - j <= 4 and e.label_ == "DISEASE"]
            for target in (phrases.coordination(doc, targets[0], ents) if targets else []):
                if target.label_ == "DISEASE":
                    facts.append(Fact(
                        subject=ent, object=target, predicate="treats", negated=phrases.negated(doc, sent, ent.start),
                        certainty=certainty, strength="direct_causal",
                        subject_attribute="", object_attribute=comparisons.attribute(doc, target),
                        confidence=0.7 * min(phrases.score(ent), phrases.score(target)), extractor="pattern:treatment_for",
                    ))
        return facts

    def _group_findings(self, doc: Doc, sent: Span, ents: list[Span], certainty: str, compared: set) -> list[Fact]:
        """'ALS samples exhibited TNF-α, IFN-γ …', '56.5% of genetic ALS patients showed IFN activation':
        what a patient group shows is higher in that group."""
        facts = []
        words = lower_words(doc)
        verbs = [i for i in range(sent.start, sent.end) if words[i] in phrases.FINDING_VERBS]
        clause_starts = phrases.clause_starts(sent) if verbs else []
        for i in verbs:
            tok = doc[i]
            clause_start = max(s for s in clause_starts if s <= tok.i)
            clause_end = min([s for s in clause_starts if s > tok.i] + [sent.end])
            groups = [e for e in ents if clause_start <= e.start and e.end <= tok.i and e.label_ == "DISEASE"]
            if not groups:
                continue
            group = groups[-1]
            between = [t.lower_ for t in doc[group.end:tok.i]]
            if len(between) > 3 or not any(w in phrases.GROUP_NOUNS for w in between):
                continue
            shown = [e for e in ents if tok.i < e.start and e.end <= clause_end and e.label_ not in ("ORGANISM", "TRIAL")
                     and e.kb_id_ != group.kb_id_ and not (phrases.in_locative_phrase(doc, e) and not phrases.an_example(doc, e, tok.i))]
            for measured in arguments.until_stop(doc, Trigger(tok.i, tok.i + 1, "higher_in", "group", "correlational"), shown):
                if (measured.start, group.start) in compared or (group.start, measured.start) in compared:
                    continue
                predicate = _finding_predicate(words[tok.i + 1:measured.start], self.cue_sign)
                facts.append(Fact(
                    subject=measured, object=group, predicate=predicate, negated=phrases.negated(doc, sent, tok.i, tok.i + 1),
                    certainty=certainty, strength="correlational",
                    subject_attribute=comparisons.attribute(doc, measured), object_attribute="",
                    confidence=0.6 * min(phrases.score(measured), phrases.score(group)),
                    extractor=f"comparison:group_finding:{tok.lower_}",
                ))
        return facts

    # ---- comparisons -------------------------------------------------------
    def _is_group_comparison(self, doc: Doc, trig: Trigger, right: list[Span]) -> bool:
        """'X were elevated in ALS patients' is a comparison, read by `_comparisons`."""
        word = doc[trig.start].lower_
        if word not in self.cue_sign or trig.start == 0:
            return False
        after = doc[trig.end].lower_ if trig.end < len(doc) else ""
        return doc[trig.start - 1].lower_ in phrases.BE_VERBS and after in ("in", "among")

    def _signed_links(self, doc: Doc, triggers: list[Trigger]) -> dict[int, tuple[int, str]]:
        """'associated with shorter survival', 'linked to increased risk': a link followed by a
        comparative is a signed correlation. Trigger start -> (comparative's index, its sign)."""
        words = lower_words(doc)
        signed = {}
        for trig in triggers:
            if trig.kind != "link" or trig.predicate not in SIGNABLE_LINKS:
                continue
            i = trig.end
            while i < len(words) and words[i] in SIGN_SKIPPED:
                i += 1
            sign = self._sign_at(words, i) if i < len(words) else None
            if sign:
                signed[trig.start] = (i, sign)
        return signed

    def _object_sign(self, doc: Doc, trig: Trigger, obj: Span):
        """'associated with severe disease, higher mortality rate, and greater length of stay',
        'associated with advanced stage, fast progression and poor survival': a comparison word
        (or "poor", "fast" …) just before one object of a link signs that object alone. The phrase
        mentions leave such words out ("survival", not "poor survival"), as gold does."""
        if trig.kind != "link" or trig.predicate not in SIGNABLE_LINKS:
            return None
        words = lower_words(doc)
        i = obj.start - 1
        while i >= trig.end and words[i] in SIGN_SKIPPED:
            i -= 1
        if i < trig.end:
            return None
        j = i - 1 if words[i] == "both" else i
        if j > trig.end and words[j] in ("of", "in") and words[j - 1] in phrases.SHRINK_WORDS \
                and not doc[j - 1].ent_type_:  # a loss word of its own, not the end of a mention
            return "-"  # "associated with thinning in both oral motor cortices"
        return self._sign_at(words, i) or phrases.OUTCOME_SIGNS.get(words[i])

    def _sign_at(self, words: list, i: int):
        """The sign of the comparison word at `i`, or None: not a cue, or a "lower" or "upper"
        naming a body part ("associated with lower limbs", "upper and lower motoneurons")."""
        sign = self.cue_sign.get(words[i])
        return None if sign is None or comparisons.names_body_part(words, i) else sign

    def _comparisons(self, doc: Doc, sent: Span, ents: list[Span], skip: set = frozenset()) -> list[Fact]:
        words = lower_words(doc)
        cues = [(i, sign) for i in range(sent.start, sent.end) if i not in skip
                for sign in [self._sign_at(words, i)] if sign]
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
            ent = comparisons.entity_measured_by(doc, i, ents)
            if ent is not None and all(ent.start != a[2].start for a in attached):
                attached.append((i, sign, ent))
        facts = []
        measured = [a for a in attached if a[2].label_ not in ("DISEASE", "ORGANISM")]
        if len(measured) >= 2 and not phrases.coordinated(doc, *sorted((measured[0][2], measured[1][2]), key=lambda e: e.start)) \
                and comparisons.conditions_the_other(words, measured[0][0], measured[1][0]):
            (_, sign_a, a), (_, sign_b, b) = measured[0], measured[1]
            predicate = "positively_correlated_with" if sign_a == sign_b else "negatively_correlated_with"
            first, second = sorted((a, b), key=lambda e: e.start)
            facts.append(self._comparison_fact(doc, sent, first, second, predicate, certainty, "comparison:correlation"))
            for _, sign_c, c in measured[2:]:
                if phrases.coordinated(doc, second, c):
                    predicate = "positively_correlated_with" if sign_a == sign_c else "negatively_correlated_with"
                    facts.append(self._comparison_fact(doc, sent, first, c, predicate, certainty, "comparison:correlation"))
            return facts
        for i, sign, ent in attached:
            group = comparisons.compared_group(doc, sent, i, ent, ents, self.cue_words)
            if group is None:
                continue
            predicate = "higher_in" if sign == "+" else "lower_in"
            groups = [g for g in phrases.coordination(doc, group, ents) if g.label_ == group.label_] \
                if group.start > ent.start else [group]
            for measured_ent in phrases.coordination(doc, ent, ents):
                for each_group in groups:  # "less frequent in participants with apathy, depression, and FTD"
                    facts.append(self._comparison_fact(doc, sent, measured_ent, each_group, predicate, certainty, "comparison:group"))
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
            negated=phrases.negated(doc, sent, min(subject.start, obj.start)),
            certainty=certainty, strength="correlational",
            subject_attribute=comparisons.attribute(doc, subject), object_attribute=comparisons.attribute(doc, obj),
            confidence=0.75 * min(phrases.score(subject), phrases.score(obj)), extractor=extractor,
        )


def _signed_correlation(doc: Doc, subject: Span, object_sign: str, cue_sign: dict) -> str:
    """'Higher NfL levels were associated with shorter survival': the sign of a comparative
    just before the subject (default: more of it) times the sign of the object's."""
    subject_sign = "+"
    for tok in doc[max(0, subject.start - 3):subject.start]:
        if tok.lower_ in cue_sign:
            subject_sign = cue_sign[tok.lower_]
        elif tok.lower_ in phrases.SHRINK_WORDS and doc[tok.i + 1].lower_ in ("of", "in") and not tok.ent_type_:
            subject_sign = "-"  # "Thinning of the oral motor cortex … was linked to reduced oral motor function"
    return "positively_correlated_with" if subject_sign == object_sign else "negatively_correlated_with"


# outcomes of which more is better: what worsens them lowers them
GOOD_OUTCOME_WORDS = {"outcome", "outcomes", "survival", "function", "functioning", "prognosis", "quality",
                      "performance", "strength", "recovery", "well-being", "wellbeing", "independence", "mobility",
                      "cognition", "autonomy"}


def _refine_predicate(predicate: str, word: str, subject: Span, obj: Span, between: list = ()) -> str:
    """The trigger's predicate, read with the argument types and the words `between` the trigger
    and the object: what is protected against is lowered ("melatonin protects the cerebellum
    against the effects of BCNU"), what is protected is raised; improving or helping a disease
    treats it ("more effective than placebo at improving breathlessness", "breathlessness is helped
    by morphine"), increasing a disease causes it."""
    if (word.startswith("protect") or "protection" in between) and ("against" in between or "from" in between):
        return "decreases"  # also "contributing to the protection against oxidative stress"
    if (word.startswith(("protect", "rescue", "preserv")) or "protection" in between) and obj.label_ not in ("DISEASE",):
        return "increases"
    if word.startswith("worsen") and GOOD_OUTCOME_WORDS.intersection(obj.text.lower().split()):
        return "decreases"  # "worsens clinical outcomes", "worsened survival": less of a good thing
    if word.startswith(("improv", "help")) and obj.label_ == "DISEASE":  # FACTS_SPEC §2: improving a disease treats it
        return "treats"
    if predicate == "increases" and obj.label_ == "DISEASE" \
            and subject.label_ in ("GENE_OR_PROTEIN", "DISEASE", "CELL_TYPE", "CHEMICAL_OR_DRUG"):
        return "causes"
    return predicate


# "due to the loss of motoneurons": the cause stands a few words after the connective; one further
# off ("due to a reduction in dose of radiation to the major salivary glands") is inside a phrase
# that names the cause, and no mention names it.
MAX_WORDS_BEFORE_CAUSE = 5


def _effect_before(doc: Doc, trig: Trigger, left: list[Span]) -> list[Span]:
    """The effect a cause is named after: the mention at most three words before "due to"
    ("STMN2 loss due to", "protein aggregation due to", "cognitive impairment thought to be due
    to", "ALS, probably due to"), with what is coordinated with it."""
    if not left:
        return []
    between = doc[left[-1].end:trig.start]
    if len(between) > 3 or any((t.is_punct and t.text != ",") or t.lower_ in phrases.RELATIVE_PRONOUNS for t in between):
        return []
    return phrases.coordination(doc, left[-1], left)  # the caller keeps the allowed objects


def _possessed_subject(doc: Doc, index: int, floor: int, left: list[Span]) -> bool:
    """'their dysregulation can contribute', 'its loss leads': a pronoun's noun right before the verb."""
    i = index - 1
    while i > floor and (doc[i].lower_ in arguments.MODAL_VERBS or doc[i].lower_ in ("also", "further", "not")
                         or doc[i].lower_.endswith("ly")):
        i -= 1
    return i - 1 >= floor and doc[i].is_alpha and doc[i].is_lower and doc[i - 1].lower_ in ("their", "its") \
        and not any(e.end > i - 1 for e in left)


def _modifiers_start(doc: Doc, i: int, floor: int) -> int:
    """The first of up to three plain lower-case words before token i ("specific transcriptional")."""
    start = i
    while start > floor and i - start < 3 and doc[start - 1].is_alpha and doc[start - 1].is_lower \
            and doc[start - 1].lower_ not in FUNCTION_WORDS and not doc[start - 1].lower_.endswith(("ing", "ed")):
        start -= 1
    return start


def _an_amount_after(doc: Doc, i: int) -> bool:
    """Whether an amount opens the words at `i` ("47%", "approximately 30 %", "half", "twofold")."""
    for tok in doc[i:min(i + 3, len(doc))]:
        if tok.like_num or tok.lower_ in ("half", "twofold", "threefold", "%"):
            return True
        if tok.lower_ not in ("approximately", "about", "around", "nearly", "almost", "roughly", "up", "to", "over",
                              "more", "less", "than", "a", "an", "only", "~"):
            return False
    return False


def _lost(doc: Doc, obj: Span) -> bool:
    """Whether a loss word follows the mention ("STMN2 loss", "SOD1 deficiency")."""
    return obj.end < len(doc) and doc[obj.end].lower_ in phrases.LOSS_WORDS


def _singular_key(span: Span) -> str:
    """A mention's concept, or its text without a plural "s" ("MNDs" is "MND")."""
    return span.kb_id_ or span.text.lower().removesuffix("s")


# nominal triggers read as a claim only right after a verb trigger ("drives loss of muscle strength")
NOUN_TRIGGERS_NEEDING_VERB = {"loss"}


def _finding_predicate(words: list, cue_sign: dict) -> str:
    """What a patient group shows is higher in it, unless the signed word nearest before what is
    shown lowers it ("ALS patients showed reduced FA", "… a bilateral cortical thinning of the
    primary motor … cortices", "widespread decreases of CT"; "reduced activity in central WM
    regions, accompanied by elevated activity in anterior WM territories": the second is higher)."""
    for i in range(len(words) - 1, -1, -1):
        word = words[i]
        singular = word.removesuffix("s")  # "decreases", "reductions"
        sign = cue_sign.get(word) or cue_sign.get(singular)
        if sign is None and (word in phrases.SHRINK_WORDS or singular in phrases.SHRINK_WORDS) \
                and i + 1 < len(words) and words[i + 1] in ("of", "in"):
            sign = "-"  # "thinning of", not "atrophy and hypometabolism" (two findings)
        if sign is not None:
            return "lower_in" if sign == "-" else "higher_in"
    return "higher_in"


def _effect_predicate(doc: Doc, effect: Span, cue_sign: dict) -> str:
    """What a cause named after its effect does to it ("Y due to X"): a signed word just before
    or after the effect says which way ("STMN2 loss due to TDP-43 condensation": decreases; "longer
    life spans due to ...": increases); otherwise X causes Y."""
    words = [t.lower_ for t in doc[max(0, effect.start - 2):effect.start]]
    if effect.end < len(doc):
        words.append(doc[effect.end].lower_)
    signs = {cue_sign[w] for w in words if w in cue_sign} | {"-" for w in words if w in phrases.LOSS_WORDS}
    if signs == {"-"}:
        return "decreases"
    if signs == {"+"} and effect.label_ != "DISEASE":
        return "increases"
    return "causes"


def _certainty(sent: Span) -> str:
    return certainty_of(sent)


def _deduplicate(facts: list[Fact]) -> list[Fact]:
    """One fact per sentence, subject concept, predicate class and object concept: the best-supported one.
    A fact that relates a concept to itself ("complement ... increased complement activity") is
    dropped: gold relates a concept to itself in 6 of its 2,823 facts."""
    best: dict[tuple, Fact] = {}
    for fact in facts:
        subject_key, object_key = phrases.argument_key(fact.subject), phrases.argument_key(fact.object)
        if subject_key == object_key:
            continue
        key = (fact.sentence.start, subject_key, object_key, fact.negated)
        if key not in best or fact.confidence > best[key].confidence:
            best[key] = fact
    return sorted(best.values(), key=lambda f: (f.subject.start_char, f.object.start_char, f.predicate))
