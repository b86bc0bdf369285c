"""Which mentions a claim trigger can take as its subject and its object.

The subject of a clause and what stands with it ("nanoparticles and exosomes"), a mention right
before its trigger ("SOD1 induced"), what a role noun names ("the causes of ALS include …"), and
the tests that keep a mention out: a species or a trial, a population or a setting ("in ALS
mice"), a material ("MMN sera"), an animal model ("SOD1 rats"), a passive with no agent, a noun
phrase that acts by itself ("pathways leading to …"), what is kept from acting ("prevented X from
undergoing …") and what only qualifies an outcome ("the progression of ALS"). `claims.py` reads
them to build facts; `claim_model.py` applies the shared object tests to the classifier's facts.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from pipeline.components import lower_words
from pipeline.components.claim_phrases import (
    ATTRIBUTE_WORDS, BE_VERBS, DRUG_NOUNS, HOST_SPECIES, LOCATIVE_PREPOSITIONS,
    MEMBER_MARKERS, MODALS, OBJECT_STOPS, OBJECT_TYPES_EXCLUDED, POPULATION_NOUNS,
    RELATIVE_PRONOUNS, SUBJECT_TYPES_EXCLUDED, TREATMENT_NOUNS, Trigger, coordinated,
    an_example, coordination, in_locative_phrase, preceding_word,
)
from pipeline.components.linking import FUNCTION_WORDS
from pipeline.components.mention_phrases import TRIGGER_WORDS


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


def opens_sentence_setting(doc: Doc, span: Span) -> bool:
    """'In ALS, SMA and Pompe disease, …': the mention comes right after a locative preposition
    that starts the sentence."""
    i = span.start - 1
    while i >= 0 and doc[i].lower_ in ("the", "a", "an"):
        i -= 1
    return i >= 0 and doc[i].lower_ in LOCATIVE_PREPOSITIONS and doc[i].is_sent_start


def choose_subjects(doc: Doc, left: list[Span]) -> list[Span]:
    """The clause's grammatical subject: its first mention not inside a locative phrase,
    with the mentions coordinated to it ("nanoparticles and exosomes")."""
    candidates = [e for e in left if e.label_ not in SUBJECT_TYPES_EXCLUDED]
    # not in a setting, nor listed in one that opens the sentence ("In ALS, SMA and Pompe disease, SDB …")
    free = [e for e in candidates if not in_locative_phrase(doc, e)
            and not opens_sentence_setting(doc, coordination(doc, e, candidates)[0])]
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
    elif between == ["with"] and after[0].label_ == "CHEMICAL_OR_DRUG" and head.label_ != "CHEMICAL_OR_DRUG":
        head = after[0]  # "chronic peripheral FAAH inhibition with URB937 did not improve …": the drug does
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


def qualifies_next(span: Span, ents: list[Span]) -> bool:
    """'loss of neuronal MAP-2': an adjective-shaped mention right before another mention
    qualifies it; what the trigger acts on is the mention after it."""
    return is_adjective(span) and any(e.start == span.end for e in ents)


def site_of(doc: Doc, span: Span, objects: list[Span]) -> bool:
    """'weakness of the arms, legs and respiratory muscles': body parts after "of" and an object
    are where that object is, not objects of their own."""
    if span.label_ != "ANATOMY":
        return False
    fillers = ("the", "both", ",", "and", "or")
    i = span.start - 1
    while i >= 0 and (doc[i].lower_ in fillers or doc[i].ent_type_ == "ANATOMY"):
        i -= 1  # back over the list it ends: "arms, legs and respiratory muscles"
    return i >= 1 and doc[i].lower_ == "of" and any(o.end == i and o.label_ != "ANATOMY" for o in objects)


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


MODAL_VERBS = {"may", "might", "could", "can", "will", "would", "should", "must"}
# words after "and" that open a second verb phrase, which the first verb's objects do not cross
CLAUSE_AUXILIARIES = MODAL_VERBS | {"is", "are", "was", "were", "has", "have", "had", "did", "does", "do"}


def until_stop(doc: Doc, trig: Trigger, right: list[Span]) -> list[Span]:
    """The mentions of a trigger's region up to a word that starts a means or circumstance."""
    out = []
    last = trig.end
    for ent in right:
        between = doc[last:ent.start]
        if any(t.lower_ in OBJECT_STOPS or (t.lower_ == "as" and t.i + 1 < len(doc) and t.nbor().lower_ not in ("well", "such")
                                              and doc[t.i - 1].lower_ not in ("well", "such"))
               or (t.lower_ in ("and", "or", "but") and t.i + 1 < len(doc) and t.nbor().lower_ in CLAUSE_AUXILIARIES)
               for t in between):
            break  # "… improves survival in ALS and may be provided non-invasively (NIV)": a second verb phrase
        out.append(ent)
        last = ent.end
    return out


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
    """'Initial response was slowed … with antidepressants', 'When the PWC is delayed, …', 'While
    structural connectivity remained largely preserved, …': a passive or a state ("-ed" after a form
    of "be" or a linking verb) with no "by" after it names what was acted on before it and no agent."""
    if not doc[trig.start].lower_.endswith("ed") or trig.end - trig.start > 1:
        return False
    i = trig.start - 1
    while i >= 0 and (doc[i].lower_.endswith("ly") or doc[i].lower_ in ("not", "also", "further")):
        i -= 1
    return i >= 0 and doc[i].lower_ in BE_VERBS


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
    if trig.kind != "link" and in_locative_phrase(doc, ent, floor=trig.end) and not follows_trigger(doc, trig, ent) \
            and not an_example(doc, ent, trig.end):
        return False  # "reduced FUS accumulation in astrocytes": a setting, not an object (but "induce
        # cytoprotective pathways including … autophagy": an example of what is induced)
    return not qualifies_head(doc, ent)


def listed_in_setting(doc: Doc, trig: Trigger, ent: Span, region: list[Span]) -> bool:
    """'a reduction in immunoreactivity in the substantia nigra, ventral tegmental area and dorsal
    striatum': a mention listed after one that opens a setting belongs to the setting too. Diseases
    stay objects: gold reads "neuroprotection in models of AD, PD, HD, ALS" as acting on each."""
    if ent.label_ == "DISEASE":
        return False
    first = coordination(doc, ent, region)[0]
    return first.start < ent.start and in_locative_phrase(doc, first, floor=trig.end) \
        and not follows_trigger(doc, trig, first)


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


DEFINING_VERBS = {"defined", "considered", "described", "characterized", "characterised", "known", "regarded", "recognized",
                  "recognised"}


def defined_by(doc: Doc, sent: Span, ent: Span, ents: list[Span]) -> Span | None:
    """The disease a class mention defines: "Amyotrophic lateral sclerosis (ALS) is a progressive
    neurodegenerative disease that primarily affects motor neurons" — what the sentence says of "a
    neurodegenerative disease" it says of ALS (gold/train: "ALS — associated_with — motor neurons")."""
    if ent.label_ != "DISEASE":
        return None
    i = ent.start - 1
    while i > sent.start and ent.start - i <= 4 and (doc[i].lower_ == "and" or (
            doc[i].is_alpha and doc[i].is_lower and doc[i].lower_ not in FUNCTION_WORDS)):
        i -= 1  # "a rare and fatal", "a rapidly progressive"
    if i <= sent.start + 1 or doc[i].lower_ not in ("a", "an"):
        return None
    end = i - 1
    while end - 1 > sent.start and doc[end].lower_.endswith("ly") and doc[end].is_alpha:
        end -= 1  # "is primarily a lower motor neuron disorder"
    if doc[end].lower_ == "as" and end - 2 > sent.start and doc[end - 1].lower_ in DEFINING_VERBS \
            and doc[end - 2].lower_ in ("is", "was", "been"):
        end -= 2  # "ALS has been defined as a …", "ALS is considered as a …"
        if doc[end].lower_ == "been" and doc[end - 1].lower_ in ("has", "have", "had"):
            end -= 1
    elif doc[end].lower_ in DEFINING_VERBS and doc[end - 1].lower_ in ("is", "was"):
        end -= 1  # "ALS is considered a …"
    if doc[end].lower_ not in ("is", "was", "remains", "represents", "has", "had"):
        return None
    if doc[end - 1].text == ")":  # "Amyotrophic lateral sclerosis (ALS) is"
        end = next((j for j in range(end - 2, max(sent.start, end - 8) - 1, -1) if doc[j].text == "("), end)
    return next((e for e in ents if e.end == end and e.label_ == "DISEASE"), None)


# nouns of finding out or handling something: "improve detection of X" says nothing of X itself
METHOD_NOUNS = {"detection", "monitoring", "identification", "diagnosis", "recognition", "prediction", "assessment",
                "characterization", "characterisation", "stratification", "classification", "measurement",
                "tracking", "evaluation", "quantification", "screening", "understanding", "imaging", "delivery"}


def method_acted_on(doc: Doc, trig) -> str:
    """The method noun a verb trigger acts on, with "of" after it ("improve detection of", "enhances
    the monitoring of"), or ""."""
    i = trig.end
    while i < len(doc) and doc[i].lower_ in ("the", "a", "an", "early", "earlier", "accurate", "timely"):
        i += 1
    return doc[i].lower_ if i + 1 < len(doc) and doc[i].lower_ in METHOD_NOUNS and doc[i + 1].lower_ == "of" else ""
