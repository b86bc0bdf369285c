"""The words and phrase shapes claim extraction reads around a trigger.

Word lists (negation, modals, clause breaks, locative prepositions, attribute words …) and
small functions over a Doc's tokens and entity spans: clause starts, the subject of a clause,
coordination, settings ("in ALS mice"), measured attributes ("Treg levels"), negation and
stated aims. `claims.py` puts them together into facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from pipeline.components import doc_text, lower_words
from pipeline.components.context import load_cues
from pipeline.components.mention_phrases import TRIGGER_WORDS

NEGATION_CUES = {"not", "no", "n't", "never", "neither", "nor", "without", "none", "cannot", "fail", "fails", "failed", "lack", "lacked", "unable"}
MODALS = {"may", "might", "could"}
BE_VERBS = {"is", "are", "was", "were", "be", "been", "being", "remain", "remained", "appear", "appeared", "seem", "seemed"}
LINKING_VERBS = {"remain", "remained", "appear", "appeared", "seem", "seemed"}  # take adjectives, make no passive
HAVE_VERBS = {"have", "has", "had", "showed", "show", "shows", "exhibited", "exhibit", "displayed", "display", "demonstrated", "revealed", "presented"}
CLAUSE_BREAKS = {";", "whereas", "while", "but", "although", "though", "however", "whilst"}
RELATIVE_PRONOUNS = {"that", "which", "who"}
CLAUSE_SUBJECT_WORDS = {"the", "a", "an", "this", "these", "those", "its", "their", "our", "we", "they", "it", "he", "she", "i"}
EXISTENTIAL_VERBS = {"is", "are", "was", "were", "remain", "remains", "remained", "exist", "exists", "existed"}  # "…, and there are still no treatments to slow …"
# Nouns that name the giving of an agent: "Mg2Si treatment ameliorates", "riluzole therapy slowed".
TREATMENT_NOUNS = {"treatment", "treatments", "therapy", "therapies", "intervention", "administration", "supplementation",
                   "feed", "injection", "injections", "infusion", "infusions", "exposure", "overexpression", "knockdown", "deletion"}
# Nouns that, after a disease, name what is given for it ("dementia medications", "ALS therapies").
DRUG_NOUNS = TREATMENT_NOUNS | {"medication", "medications", "drug", "drugs", "therapeutics", "medicines", "trial", "trials"}
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
OBJECT_STOPS = {"through", "via", "by", "because", "due", "compared", "comparison", "unlike", "than", "versus", "vs.", "whereas",
                "despite", "without", "before", "after", "during", "once", "when", "until", "unless", "if", "whether"}
# Words before a trigger that make it a noun ("a genetic cause of"), not a verb.
NOUN_MARKERS = {"a", "an", "the", "genetic", "common", "major", "main", "leading", "primary", "underlying", "this", "its", "their"}
AIM_CUES = {"assess", "assessed", "evaluate", "evaluated", "investigate", "investigated", "determine", "examine", "examined",
            "explore", "identify", "test", "aims", "aimed", "aim", "aiming", "discuss", "review", "summarize", "summarise", "describe", "outline"}
LOCATIVE_PREPOSITIONS = {"in", "among", "from", "during", "across", "including", "at", "on", "within", "after", "regarding",
                         "concerning", "underneath", "beneath", "inside", "throughout"}
POPULATION_NOUNS = {"patients", "patient", "participants", "participant", "people", "individuals", "subjects", "cases", "carriers", "volunteers", "adults", "children", "persons"}
SUBJECT_TYPES_EXCLUDED = {"ORGANISM", "TRIAL"}
OBJECT_TYPES_EXCLUDED = {"ORGANISM", "TRIAL"}
# Hosts and model organisms: the species a study is done in (the context step's species cues, and
# humans), never what acts in a claim ("studies on murine models revealed that …", "ALS mice").
# Pathogens and microbiota can act.
HOST_SPECIES = frozenset({"NCBITaxon:9606"} | {cue.value for cue in load_cues() if cue.field == "species"})

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
# nouns that say a quantity went down ("STMN2 loss"), for an effect named before its cause
LOSS_WORDS = {"loss", "depletion", "deficiency", "reduction", "decrease"}
SHRINK_WORDS = LOSS_WORDS | {"thinning", "atrophy", "hypometabolism", "hypoperfusion", "shrinkage"}
RATE_OUTCOME_WORDS = {"progression", "decline", "loss", "deterioration", "worsening"}


@dataclass(frozen=True)
class Trigger:
    start: int  # token index in the doc
    end: int
    predicate: str
    kind: str
    strength: str


def arguments_of(doc: Doc, ents: list[Span]) -> list[Span]:
    """The mentions that can be a claim's arguments: not a bracketed short form repeating the
    mention before it ("amyotrophic lateral sclerosis (ALS)"), not a body site or species
    naming where the next mention is measured ("plasma NfL", "mouse SOD1")."""
    ents = [e for i, e in enumerate(ents) if not (
        e.label_ in ("ANATOMY", "ORGANISM") and i + 1 < len(ents) and ents[i + 1].start == e.end)]
    return without_repeated_short_forms(doc, ents)


def without_repeated_short_forms(doc: Doc, ents: list[Span]) -> list[Span]:
    out = []
    for ent in ents:
        if out and ent.start - out[-1].end == 1 and doc[ent.start - 1].text == "(" \
                and (ent.kb_id_ == out[-1].kb_id_ or (Span.has_extension("abbreviation_of") and ent._.abbreviation_of)):
            continue
        out.append(ent)
    return out


def score(span: Span) -> float:
    return float(span._.score) if Span.has_extension("score") and span._.score is not None else 1.0


def unique(spans: list[Span]) -> list[Span]:
    seen, out = set(), []
    for span in spans:
        if span.start not in seen:
            seen.add(span.start)
            out.append(span)
    return out


def clause_starts(sent: Span) -> list[int]:
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
                               or (word == "characterized" and i + 1 < sent.end and words[i + 1] == "by")
                               or (word == "there" and i + 1 < sent.end and words[i + 1] in EXISTENTIAL_VERBS)):
            starts.append(i + 1 if word == ";" else i)
    return starts


def antecedent(doc: Doc, clause_start: int, ents: list[Span]) -> list[Span]:
    """The mention a relative clause ("reactive astrocytes that contribute to …") is about."""
    if doc[clause_start].lower_ not in RELATIVE_PRONOUNS:
        return []
    if clause_start + 1 < len(doc) and doc[clause_start + 1].lower_ in CLAUSE_SUBJECT_WORDS:
        # "we show using … motor neurons that the repeat expansion impairs …": the clause has its
        # own subject ("that" opens a complement, or the mention before it is the verb's object)
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
    if before[-1].label_ == "ANATOMY" and in_locative_phrase(doc, before[-1]):
        return []  # "a disease of motor neurons in the brain and spinal cord that leads to …": not the place
    # "Regulatory T-cells are a type of white blood cells that …": the clause is about the first.
    words = [t.lower_ for t in doc[max(0, before[-1].start - 4):before[-1].start]]
    if len(words) >= 3 and words[-1] == "of" and words[-2] in CATEGORY_NOUNS:
        earlier = [e for e in ents if e.end <= before[-1].start - 3]
        if earlier:
            return earlier[-1:]
    return before[-1:]


def preceding_word(doc: Doc, span: Span, skip=("the", "a", "an", "their", "its", "his", "her")) -> str:
    i = span.start - 1
    while i >= 0 and doc[i].lower_ in skip:
        i -= 1
    return doc[i].lower_ if i >= 0 else ""


VARIANT_NOUNS = {"mutation", "mutations", "variant", "variants", "expansion", "expansions", "deletion", "deletions",
                 "duplication", "duplications", "polymorphism", "polymorphisms", "substitution", "substitutions",
                 "insertion", "insertions"}


def treated_ones_before(doc: Doc, with_index: int, reach: int = 5) -> bool:
    """'Treatment of SOD1 mice with rapamycin': a treatment noun and "of" before the treated ones
    make what follows "with" the treatment, not a setting."""
    for j in range(with_index - 1, max(-1, with_index - 1 - reach), -1):
        if doc[j].is_punct:
            return False
        if doc[j].lower_ == "of" and j > 0 and doc[j - 1].lower_ in TREATMENT_NOUNS:
            return True
    return False


def in_locative_phrase(doc: Doc, span: Span, reach: int = 6, floor: int = 0) -> bool:
    """'in transgenic ALS mice', 'in a mouse model of ALS', 'people with ALS': a setting, not an agent."""
    for tok in reversed(doc[max(floor, span.start - reach):span.start]):
        if tok.is_punct or tok.lower_ in BE_VERBS:
            return False
        if tok.lower_ in LOCATIVE_PREPOSITIONS:
            # "mutations in SOD1", "a repeat expansion in C9ORF72": the gene carries the variant
            return not (tok.lower_ == "in" and tok.i > 0 and doc[tok.i - 1].lower_ in VARIANT_NOUNS)
        if tok.lower_ == "with":  # "people with ALS" is a setting; "treatment with riluzole" is not
            return tok.i > 0 and doc[tok.i - 1].lower_ not in TREATMENT_NOUNS and doc[tok.i - 1].lower_ not in ("treated", "combined") \
                and not treated_ones_before(doc, tok.i)
    return False


# a registry record's field of names ("Condition: Amyotrophic Lateral Sclerosis; Angina, Stable;
# Anxiety; Asthma; …", "Keywords: …"): a list, no claim between its items
NAME_LIST_FIELD_RE = re.compile(r"\s*(?:conditions?|keywords?|mesh terms?|status|phase|enrollment)\s*:", re.IGNORECASE)


def is_name_list_field(sent: Span) -> bool:
    return NAME_LIST_FIELD_RE.match(doc_text(sent.doc), sent.start_char, sent.end_char) is not None


def names_host_species(span: Span) -> bool:
    """'mice', 'murine', 'humans', 'zebrafish': the mention names the species a study is done in."""
    return span.label_ == "ORGANISM" and span.kb_id_ in HOST_SPECIES


def names_population(doc: Doc, span: Span) -> bool:
    """'human subjects', 'ALS patients', 'participants': the mention names a group of people."""
    return doc[span.end - 1].lower_ in POPULATION_NOUNS


SETTING_HEADS = POPULATION_NOUNS | {"mice", "rats", "animals", "model", "models"}
# Predicates whose subject acts on its object.
AGENT_PREDICATES = frozenset({"increases", "decreases", "causes", "treats"})
AMOUNT_PREDICATES = frozenset({"increases", "decreases"})
# what is taken from patients and studied ("MMN sera", "ALS fibroblasts", "ALS spinal cord samples")
MATERIAL_NOUNS = {"sera", "serum", "plasma", "sample", "samples", "tissue", "tissues", "cell", "cells", "fibroblasts",
                  "line", "lines", "biopsies", "biopsy", "brain", "brains", "csf", "ipscs", "neurons", "muscle", "muscles"}


def names_material(doc: Doc, span: Span) -> bool:
    """'IgG purified from MMN sera': a disease mention naming where a material comes from."""
    return span.label_ == "DISEASE" and span.end < len(doc) and lower_words(doc)[span.end] in MATERIAL_NOUNS


def in_population_setting(doc: Doc, span: Span, reach: int = 4) -> bool:
    """'people with ALS', 'patients with SOD1 mutations', 'a mouse model of ALS': the mention names
    whom the study is about, not an agent. Narrower than `in_locative_phrase`."""
    for tok in reversed(doc[max(0, span.start - reach):span.start]):
        if tok.is_punct:
            return False
        if tok.lower_ in ("with", "of") and tok.i > 0 and doc[tok.i - 1].lower_ in SETTING_HEADS:
            return True
    return False


# nouns that name a role in a claim: "the causes of X include Y", "risk factors for X are Y"
ROLE_NOUNS = {"cause", "causes", "risk", "driver", "drivers", "determinant", "determinants"}
NAMING_VERBS = {"include", "includes", "included", "including", "are", "is", "was", "were", "remain", "remains"}


def named_after(doc: Doc, effect: Span, right: list[Span], reach: int = 6) -> list[Span]:
    """The mentions that a verb such as "include" names after `effect`, the subject of a link
    trigger ("The causes of ALS include SOD1 mutations and …"): the first with those coordinated to it."""
    for i in range(effect.end, min(len(doc), effect.end + reach)):
        word = doc[i].lower_
        if word in NAMING_VERBS:
            after = [e for e in right if e.start > i]
            if after and all(not t.is_punct for t in doc[i + 1:after[0].start]) and after[0].start - i <= 4:
                return [e for e in coordination(doc, after[0], after) if e.label_ not in SUBJECT_TYPES_EXCLUDED]
            return []
        if doc[i].is_punct or word in RELATIVE_PRONOUNS or any(e.start == i for e in right):
            return []
    return []


def apposition_comma(doc: Doc, sent: Span, index: int, reach: int = 6) -> int | None:
    """The comma that opens an apposition ending at token `index` (", the most common genetic
    cause of …", ", a hallmark of …"), or None."""
    for i in range(index - 1, max(sent.start, index - reach) - 1, -1):
        word = doc[i].lower_
        if word == ",":
            return i if i + 1 < index and doc[i + 1].lower_ in ("the", "a", "an", "one") else None
        if word in BE_VERBS or word in RELATIVE_PRONOUNS or doc[i].is_punct:
            return None
    return None


def choose_subjects(doc: Doc, left: list[Span]) -> list[Span]:
    """The clause's grammatical subject: its first mention not inside a locative phrase,
    with the mentions coordinated to it ("nanoparticles and exosomes")."""
    candidates = [e for e in left if e.label_ not in SUBJECT_TYPES_EXCLUDED]
    free = [e for e in candidates if not in_locative_phrase(doc, e)]
    if not free:
        return []
    head = free[0]
    after = candidates[candidates.index(head) + 1:]
    between = [t.lower_ for t in doc[head.end:after[0].start]] if after else []
    if head.label_ == "OUTCOME" and between == ["of"] or head.label_ == "ANATOMY" and len(between) == 2 \
            and between[1] == "of" and ATTRIBUTE_WORDS.get(between[0]) == "level":
        head = after[0]  # "the preliminary efficacy of RNS60 in slowing …", "CSF levels of Abeta": what is measured
    elif head.label_ == "DISEASE" and [w for w in between if not w.startswith("-")][-2:] in (["mutation", "in"], ["mutations", "in"]) \
            and len(between) <= 3 and after[0].label_ == "GENE_OR_PROTEIN":
        head = after[0]  # "a novel ALS mutation in OPTN induces …": the gene's mutation does
    elif is_modifier(doc, head) and after and after[0].start - head.end <= 1:
        head = after[0]  # "bone marrow-derived stem cells … could slow down": the cells do
    elif is_adjective(head) and after and after[0].start == head.end:
        head = after[0]  # "Overexpression of neuronal HGF … result in": HGF does
    elif head.label_ == "DISEASE" and head.end < len(doc) and doc[head.end].lower_ in DRUG_NOUNS:
        return []  # "Current dementia medications have minimal impact on function": the drugs, no mention
    elif is_adjective(head) and head.end < len(doc) and doc[head.end].is_alpha and doc[head.end].is_lower \
            and doc[head.end].lower_ not in TRIGGER_WORDS:
        return []  # "neuronal primary cilia … their impacts on obesity": the cilia, which are no mention
    group = [head]
    for ent in candidates[candidates.index(head) + 1:]:
        if coordinated(doc, group[-1], ent):
            group.append(ent)
        else:
            break
    return group


def adjacent_before(doc: Doc, index: int, left: list[Span], gap: int = 2, allow_locative: bool = False) -> list[Span]:
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
    if last.label_ in SUBJECT_TYPES_EXCLUDED or (not allow_locative and in_locative_phrase(doc, last)):
        return []
    return [e for e in coordination(doc, last, left) if e.label_ not in SUBJECT_TYPES_EXCLUDED]


ADJECTIVE_ENDINGS = ("al", "ic", "ar", "ous", "ive", "ory")


def is_adjective(span: Span) -> bool:
    """A one-word lower-case mention shaped like an adjective ("neuronal", "astrocytic")."""
    return len(span) == 1 and span.text.islower() and span.text.isalpha() and span.text.endswith(ADJECTIVE_ENDINGS)


def is_modifier(doc: Doc, span: Span) -> bool:
    """'astrocyte-mediated neurotoxicity': the mention modifies the noun after it."""
    after = doc[span.end:span.end + 3]
    if after and after[0].text == "/" and len(after) == 3:  # "ALS/FTD-associated RNA binding proteins"
        after = after[2:]
    return bool(after) and after[0].text.startswith("-") and len(after[0].text) > 2


def has_members(doc: Doc, span: Span, objects: list[Span]) -> bool:
    """'neuronal genes such as STMN2 and UNC13A': the members are the objects, not the category."""
    window = [t.lower_ for t in doc[span.end:span.end + 4]]
    for marker in MEMBER_MARKERS:
        for i in range(len(window) - len(marker) + 1):
            if tuple(window[i:i + len(marker)]) == marker:
                after = span.end + i + len(marker)
                return any(o.start >= after for o in objects)
    return False


def pronoun_before(doc: Doc, index: int, floor: int) -> bool:
    i = index - 1
    while i > floor and (doc[i].lower_ in MODALS or doc[i].lower_ in ("also", "further", "then", "not") or doc[i].lower_.endswith("ly")):
        i -= 1
    return i >= floor and doc[i].lower_ in ("it", "they")


def until_stop(doc: Doc, trig: Trigger, right: list[Span]) -> list[Span]:
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


def coordination(doc: Doc, ent: Span, ents: list[Span]) -> list[Span]:
    """A mention with the mentions coordinated with it on both sides ("CXCL10, CCL3, and CCL19")."""
    ordered = sorted(ents, key=lambda e: e.start)
    index = next((i for i, e in enumerate(ordered) if e.start == ent.start), None)
    if index is None:
        return [ent]
    lo = hi = index
    while lo > 0 and coordinated(doc, ordered[lo - 1], ordered[lo]):
        lo -= 1
    while hi + 1 < len(ordered) and coordinated(doc, ordered[hi], ordered[hi + 1]):
        hi += 1
    if in_locative_phrase(doc, ordered[lo]):
        # "In ALS, SMA, LGMD and Pompe disease, SDB is usually caused by …": the setting's list ends
        # at a bare comma before a mention of another type
        for k in range(lo, hi):
            if _words_between(doc, ordered[k], ordered[k + 1]) == [","] and ordered[k].label_ != ordered[k + 1].label_:
                if k < index:
                    lo = k + 1
                else:
                    hi = k
                    break
    return ordered[lo:hi + 1]


def _words_between(doc: Doc, a: Span, b: Span) -> list[str]:
    """The lower-cased words between two mentions, bracketed asides left out."""
    words, depth = [], 0
    for tok in doc[a.end:b.start]:
        if tok.text == "(":
            depth += 1
        elif tok.text == ")" and depth:
            depth -= 1
        elif not depth:
            words.append(tok.lower_)
    return words


def coordinated(doc: Doc, a: Span, b: Span) -> bool:
    """Only list punctuation and conjunctions between the two ("A, B and C", "A (a.k.a.), B")."""
    if a.end == b.start and (b.label_ == "ORGANISM" or (a.label_, b.label_) == ("CHEMICAL_OR_DRUG", "DISEASE")):
        return False  # "SOD-1 transgenic mice" (a model named by its gene), "manganese toxicity": not a list
    words = _words_between(doc, a, b)
    if words == [","] and a.label_ != b.label_ and in_locative_phrase(doc, a):
        # a bare comma after a setting, before a mention of another type, ends the setting: "in ALS
        # without severe bulbar dysfunction, NIV improves survival"
        return False
    return len(words) <= 3 and b.start - a.end <= 12 and all(w in COORDINATORS for w in words)


# what a study improves or increases about a topic, not the topic itself ("improve our understanding of ALS")
KNOWLEDGE_NOUNS = {"understanding", "knowledge", "insight", "insights", "awareness", "comprehension"}


def improves_knowledge(doc: Doc, trig: Trigger, first_object: Span) -> bool:
    """What the trigger acts on is knowledge ("improve our understanding of ALS"), named before
    its first mention."""
    return any(t.lower_ in KNOWLEDGE_NOUNS for t in doc[trig.end:first_object.start])


def object_type_allowed(ent: Span) -> bool:
    """A species or a trial is a setting, never what a claim acts on; a microbiota (MeSH-linked) can be
    affected. Gold/train, dev and seed have no fact that increases, decreases or causes an organism,
    and one that treats one ("MPTP mouse")."""
    return ent.label_ not in OBJECT_TYPES_EXCLUDED or ent.label_ == "ORGANISM" and ent.kb_id_.startswith("MESH:")


# Singular heads that, like a plural noun, name what a participle after them does ("the mechanism
# leading to", "a cascade causing").
PROCESS_NOUNS = {"mechanism", "pathway", "process", "cascade", "event", "factor", "signal", "signaling", "signalling"}
NOT_NOUNS = {"thus", "this", "these", "those", "its", "has", "was", "does", "is", "as", "always", "perhaps", "whereas",
             "sometimes", "besides", "towards", "afterwards", "nevertheless"}


def noun_phrase_acts(doc: Doc, trig: Trigger) -> bool:
    """'the molecular pathways leading to neurodegeneration': an "-ing" trigger right after a noun
    phrase that holds no mention ("pathways", "the mechanism") says what that phrase does, and no
    mention earlier in the sentence is its subject. A mention modifying the noun ("SOD1 mutations
    causing ALS") still acts, and so does the subject of a copula before the noun ("Oxidative
    stress is one of the factors contributing to …")."""
    i = trig.start
    if not doc[i].lower_.endswith("ing") or i < 2 or any(t.lower_ in BE_VERBS for t in doc[doc[i].sent.start:i]):
        return False
    noun = doc[i - 1]
    low = noun.lower_
    plural = low.endswith("s") and not low.endswith(("ss", "us", "is")) and not low.endswith("ly")
    if not (noun.is_alpha and noun.is_lower and len(low) > 3 and not noun.ent_type_ and low not in NOT_NOUNS
            and (plural or low in PROCESS_NOUNS)):
        return False
    # the words before the noun, back to a function word: none of them in a mention
    # ("type VII collagen gene mutations resulting in …" is the gene's)
    j = i - 2
    while j >= max(0, i - 5) and not doc[j].is_stop and not doc[j].is_punct:
        if doc[j].ent_type_:
            return False
        j -= 1
    return True


def passive_without_agent(doc: Doc, trig: Trigger) -> bool:
    """'Initial response was slowed … with antidepressants', 'When the PWC is delayed, …': a passive
    "-ed" trigger with no "by" after it names what was acted on before it and no agent."""
    if not doc[trig.start].lower_.endswith("ed") or trig.end - trig.start > 1:
        return False
    i = trig.start - 1
    while i >= 0 and (doc[i].lower_.endswith("ly") or doc[i].lower_ in ("not", "also", "further")):
        i -= 1
    return i >= 0 and doc[i].lower_ in BE_VERBS - LINKING_VERBS


def names_model_organism(doc: Doc, ent: Span) -> bool:
    """'SOD1 rats', 'SOD1 transgenic mice': the mention names an animal model; it is not the agent
    of what the animals show (gold/train, dev and seed have one such subject in 2,823 facts)."""
    i = ent.end + (1 if ent.end < len(doc) and doc[ent.end].lower_ == "transgenic" else 0)
    return i < len(doc) and doc[i].ent_iob_ == "B" and doc[i].ent_type_ == "ORGANISM"


def kept_from_acting(doc: Doc, ent: Span) -> bool:
    """'prevented cardiomyocytes from undergoing apoptosis', 'prevents animals from developing the
    disease': the mention is kept from doing something; what the trigger lowers follows the "-ing"."""
    return ent.end + 1 < len(doc) and doc[ent.end].lower_ == "from" and doc[ent.end + 1].is_alpha \
        and doc[ent.end + 1].lower_.endswith("ing") and len(doc[ent.end + 1]) > 4


def can_be_acted_on(doc: Doc, predicate: str, ent: Span) -> bool:
    """The object tests the rules and the claim classifier's facts share: no species or trial, no
    mention kept "from undergoing" something, no disease naming a material ("… enhanced by
    lactate" does not act on the "cancer" of "cancer cells"), and no disease naming whose outcome
    is raised or lowered ("AD progression")."""
    return object_type_allowed(ent) and not kept_from_acting(doc, ent) \
        and not (predicate in AGENT_PREDICATES and names_material(doc, ent)) \
        and not (predicate in AMOUNT_PREDICATES and names_outcome_of(doc, ent))


def object_allowed(doc: Doc, trig: Trigger, ent: Span) -> bool:
    if not can_be_acted_on(doc, trig.predicate, ent):
        return False
    before = preceding_word(doc, ent)
    if ent.label_ == "ANATOMY" and doc[trig.start].lower_.startswith("target"):
        return False  # "TMS targeting the dorsolateral prefrontal cortex": where it acts, not what it lowers
    if trig.predicate == "treats":
        return ent.label_ in ("DISEASE", "OUTCOME") or before in ("for", "against", "in")
    if trig.kind != "link" and in_locative_phrase(doc, ent, floor=trig.end) and not follows_trigger(doc, trig, ent):
        return False  # "reduced FUS accumulation in astrocytes": a setting, not an object
    return not qualifies_head(doc, ent)


def qualifies_head(doc: Doc, ent: Span) -> bool:
    """'the progression of ALS': the disease qualifies the outcome before it, which is what a claim
    acts on; 'improve our understanding of ALS': what is improved is the understanding; 'the side
    effects of the minocycline': what is reduced is the side effects."""
    if preceding_word(doc, ent) != "of":
        return False
    j = _head_before_of(doc, ent)
    return j >= 0 and (doc[j].lower_ in KNOWLEDGE_NOUNS or ent.label_ == "DISEASE" and doc[j].ent_type_ == "OUTCOME"
                       or ent.label_ == "CHEMICAL_OR_DRUG" and doc[j].ent_type_ == "DISEASE")


def names_outcome_of(doc: Doc, ent: Span) -> bool:
    """'attenuating AD progression': a disease right before an outcome mention names whose outcome
    it is; what is raised or lowered is the outcome. (A correlation's or an association's object
    keeps it: gold reads "correlated with muscle cramp severity" as the cramp's severity.)"""
    return ent.label_ == "DISEASE" and ent.end < len(doc) and doc[ent.end].ent_iob_ == "B" \
        and doc[ent.end].ent_type_ == "OUTCOME"


def _head_before_of(doc: Doc, ent: Span) -> int:
    """The index of the noun before "of <determiner>" ent (-1 at the document start)."""
    j = ent.start - 1
    while j >= 0 and doc[j].lower_ in ("the", "a", "an", "our", "their", "its"):
        j -= 1
    return j - 1  # doc[j] is the "of"


def topic_of_knowledge(doc: Doc, ent: Span) -> bool:
    """'a better understanding of ALS disease progression': the mention is what is known about,
    neither an agent nor an object of the claim verb around it."""
    j = _head_before_of(doc, ent)
    return preceding_word(doc, ent) == "of" and j >= 0 and doc[j].lower_ in KNOWLEDGE_NOUNS


def follows_trigger(doc: Doc, trig: Trigger, ent: Span) -> bool:
    """'increase in Tregs', 'improvements mainly in X': the preposition belongs to the trigger."""
    return all(t.lower_ in ("the", "a", "an", "of", "in") or t.i < trig.end for t in doc[trig.end:ent.start]) \
        and doc[trig.end - 1].lower_ in ("in", "of", "on")


def negated(doc: Doc, sent: Span, index: int, end: int | None = None) -> bool:
    """A negation cue just before the trigger ("did not slow"), or right after it ("showed no loss")."""
    window, i = [], index - 1
    while i >= sent.start and len(window) < 4:
        if not (doc[i].is_alpha and doc[i].lower_.endswith("ly") and doc[i].lower_ != "only"):
            window.append(doc[i])  # adverbs do not count: "is not clinically used in the treatment of"
        i -= 1
    if end is not None:
        window += [t for t in doc[end:min(end + 2, sent.end)] if t.lower_ in ("no", "not", "neither", "none")]
    return any(tok.lower_ in NEGATION_CUES and not _not_only(doc, tok) for tok in window)


def _not_only(doc: Doc, tok) -> bool:
    """'not only … but also' adds, it does not deny."""
    return tok.lower_ == "not" and tok.i + 1 < len(doc) and doc[tok.i + 1].lower_ == "only"


def is_aim(doc: Doc, sent: Span, trig: Trigger) -> bool:
    """'to assess whether X reduces Y', 'to discuss how X may affect Y': stated aims are not facts."""
    window = doc[max(sent.start, trig.start - 10):trig.start]
    return any(tok.lower_ in AIM_CUES for tok in window) and any(tok.lower_ in ("to", "whether", "if", "how") for tok in window)


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


# words after which a past participle describes the noun after it ("with elevated NfL",
# "exhibited impaired adaptation", "showed largely preserved brain volumes")
ATTRIBUTIVE_BEFORE = FINDING_VERBS | {"with", "of", "in", "for", "from", "on", "to", "by", "show", "shows", "exhibit",
                                      "exhibits", "display", "displays", "revealed", "include", "includes",
                                      "included", "including"}


def is_attributive_participle(doc: Doc, sent: Span, trig: Trigger, previous_end: int = None) -> bool:
    """A one-word "-ed" verb trigger used as an adjective: before "release" (a drug's formulation),
    after a preposition, a finding verb or a claim verb ("restores inhibited …"; adverbs between
    them skipped), or coordinated ("and", "or", ",") after such a participle that ended at
    `previous_end` within ten words: not the verb of a claim."""
    if trig.end - trig.start != 1 or not doc[trig.start].lower_.endswith("ed"):
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
    return previous_end is not None and doc[i].lower_ in ("and", "or", ",") and trig.start - previous_end <= 10


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
                    and not any(t.lower_ in TRIGGER_WORDS and t.lower_ not in cue_words
                                for t in doc[max(cue + 1, measured.end):ent.start]):
                return ent  # not "Increased PLS3 levels suppress symptoms in SMA patients": a claim verb's setting
            break
    # "ALS patients (were found to) have lower levels of X"
    for ent in reversed([e for e in ents if e.end <= min(cue, measured.start)]):
        if ent.label_ == "DISEASE":
            between = [t.lower_ for t in doc[ent.end:min(cue, measured.start)]]
            if any(w in HAVE_VERBS for w in between) and any(w in POPULATION_NOUNS for w in between[:2]):
                return ent
        break
    return None


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


def argument_key(span: Span) -> str:
    return span.kb_id_ or span.text.lower()
