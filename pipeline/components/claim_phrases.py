"""The words and phrase shapes every claim step reads around a trigger.

Word lists (negation, modals, clause breaks, locative prepositions, attribute words …), the
`Trigger` record, and small functions over a Doc's tokens and entity spans: clause starts, the
mention a relative clause is about, settings ("in ALS mice"), coordination, negation, stated
aims. Which mentions a trigger takes as subject and object is in `claim_arguments.py`;
comparisons ("lower Treg levels in ALS") are in `claim_comparisons.py`. `claims.py` puts them
together into facts.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from spacy.tokens import Doc, Span

from pipeline.components import doc_text, lower_words
from pipeline.components.context import load_cues

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
# Nouns that name a test or a means of diagnosis: "X for ALS" with one of these is no treatment.
DIAGNOSTIC_NOUNS = {"test", "tests", "testing", "biopsy", "biopsies", "criteria", "criterion", "screening", "diagnosis",
                    "diagnostics", "imaging", "assessment", "assessments", "biomarker", "biomarkers", "marker", "markers",
                    "counseling", "counselling", "scale", "scales"}
# Nouns that, after a disease, name what is given for it ("dementia medications", "ALS therapies").
DRUG_NOUNS = TREATMENT_NOUNS | {"medication", "medications", "drug", "drugs", "therapeutics", "medicines", "trial", "trials"}
# Participles that make the mention right before them their agent ("mutant SOD1 induced oxidative stress").
PARTICIPLE_MODIFIERS = {"induced", "mediated", "driven", "triggered", "caused", "derived", "dependent"}
COORDINATORS = {",", "and", "or", "/", "as", "well", "-", "and/or"}


def _comparison_signs() -> dict:
    """data/comparison_cues.tsv: comparison word -> "+" or "-" ("higher", "shorter")."""
    with open(Path(__file__).with_name("data") / "comparison_cues.tsv", encoding="utf-8") as handle:
        rows = (line for line in handle if line.strip() and not line.startswith("#"))
        return {row["word"]: row["sign"] for row in csv.DictReader(rows, delimiter="\t")}


COMPARISON_SIGNS = _comparison_signs()
# words that sign the outcome after them without being comparisons: "associated with a poor prognosis"
OUTCOME_SIGNS = {"poor": "-", "fast": "+", "favorable": "+", "favourable": "+", "unfavorable": "-", "unfavourable": "-"}
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
            "explore", "identify", "test", "aims", "aimed", "aim", "aiming", "discuss", "review", "summarize", "summarise", "describe", "outline",
            "learn", "understand", "characterize", "characterise", "elucidate", "clarify", "estimate", "quantify", "establish", "analyze", "analyse", "measure", "compare"}
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


def an_example(doc: Doc, ent: Span, floor: int) -> bool:
    """'ALS samples exhibited … programs, including TNF-α/NF-κB', 'induce cytoprotective pathways
    including Nrf2-mediated antioxidant response and autophagy': the mention follows "including"
    with no other preposition between, so it is one of the things named, not a setting."""
    for tok in reversed(doc[floor:ent.start]):
        if tok.lower_ in LOCATIVE_PREPOSITIONS:
            return tok.lower_ == "including"
    return False


def in_locative_phrase(doc: Doc, span: Span, reach: int = 6, floor: int = 0) -> bool:
    """'in transgenic ALS mice', 'in a mouse model of ALS', 'people with ALS': a setting, not an agent."""
    for tok in reversed(doc[max(floor, span.start - reach):span.start]):
        if tok.text in ("-", "/") and not tok.whitespace_ and tok.i > 0 and not doc[tok.i - 1].whitespace_:
            continue  # inside one written word: "in C9ORF72-FTD/ALS"
        if tok.is_punct or tok.lower_ in BE_VERBS or tok.lower_ in RELATIVE_PRONOUNS:
            return False  # "in which tongue atrophy contributes to …": the preposition takes "which"
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


# A direct question asks; it claims nothing ("Does the treatment of breathlessness with morphine have
# any effect on quality of life?"). A title that ends in "?" without asking ("Dementia and aphasia in
# motor neuron disease: an underrecognised association?") still proposes its link, as gold reads it.
QUESTION_WORDS = {"do", "does", "did", "is", "are", "was", "were", "can", "could", "should", "would", "will", "shall",
                  "may", "might", "must", "has", "have", "had", "how", "what", "which", "why", "when", "where", "who",
                  "whom", "whose"}
_FIRST_WORD_RE = re.compile(r"[^\W\d_]+")


def is_direct_question(sent: Span) -> bool:
    """The sentence ends in "?" and its last clause (after any "Title:" or "[brief summary]" label)
    opens with an auxiliary or a wh-word."""
    text = doc_text(sent.doc)[sent.start_char:sent.end_char].rstrip()
    if not text.endswith("?"):
        return False
    clause = re.sub(r"^\s*\[[^\]]*\]", "", text[text.rfind(":") + 1:])
    first = _FIRST_WORD_RE.search(clause)
    return first is not None and first.group(0).lower() in QUESTION_WORDS


def states_no_claim(sent: Span) -> bool:
    """Sentences that give neither rule facts nor classifier candidates: a registry record's list
    of names, and a direct question."""
    return is_name_list_field(sent) or is_direct_question(sent)


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
    if len(words) > 1 and b.label_ == "OUTCOME" and words[-1] in OUTCOME_SIGNS:
        # "advanced stage, fast progression and poor survival": the word says how much of b (a
        # comparison word still ends a list: "increased excitability and reduced inhibition")
        words = words[:-1]
    if words == [","] and a.label_ != b.label_ and in_locative_phrase(doc, a):
        # a bare comma after a setting, before a mention of another type, ends the setting: "in ALS
        # without severe bulbar dysfunction, NIV improves survival"
        return False
    return len(words) <= 3 and b.start - a.end <= 12 and all(w in COORDINATORS for w in words)


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


def argument_key(span: Span) -> str:
    return span.kb_id_ or span.text.lower()
