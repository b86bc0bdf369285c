"""`alsfacts_entities`: typed, linked entity mentions in `doc.ents`.

Sources of mentions, in order of trust:
  1. the KB dictionary (exact/variant forms, see pipeline.kb and linking.DictionaryMatcher);
  2. abbreviations: a short form takes the concept and type of its long form
     (doc._.abbreviations from alsfacts_abbreviations); a gene's official symbol defined by
     its protein family's name makes both the gene ("superoxide dismutase (SOD1)");
  3. chemical formulas and element/ion mentions ("H 2", "Mg 2 Si", "Ca2+", "·OH"),
     linked through pipeline/kb/formulas.tsv (see formulas.py);
  4. patterns for mentions the dictionary does not know, linked with the TF-IDF linker
     when similar enough and otherwise kept typed with an empty concept id:
     drug-like words and drug codes ("QRL-201", "AMX0035", "COYA 302"),
     "<modifier> cells/therapy/disease" phrases;
  5. ClinicalTrials.gov ids (NCT########); the other registries' numbers are added after the
     NER and the mention filter (trial_registries.py), whose inputs stay as they were trained.
Overlaps are resolved longest-first. Tokens are split where a mention ends inside a
hyphenated or slashed token ("TNF-α/NF-κB"), so spans keep exact character offsets.
Span extensions: concept_name (str), score (float), abbreviation_of (str).

Speed: a Doc is read as arrays, never as Token objects; what the patterns need to know
about a word is computed once per vocabulary entry (`word_flags`, cached with the
matcher's LexInfo); the TF-IDF linker is loaded with the pipeline and only queried for
the few pattern candidates, with results cached per mention text.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import replace

from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.components.claim_phrases import RELATIVE_PRONOUNS
from pipeline.components.formulas import FORMULAS, COUNT_TOKEN_RE, find_formula, token_role
from pipeline.components.linking import DictionaryMatcher, Match, doc_text, get_tfidf_linker
from pipeline.components.mention_phrases import HEADS, PHRASE_HEAD_FLAG, is_phrase_head, phrase_mentions
from pipeline.components.trial_registries import NCT_NUMBER
from pipeline.kb.mining import MinedLayer, shipped_terms

for _name, _default in (("concept_name", ""), ("score", 0.0), ("abbreviation_of", "")):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=_default)
if not Doc.has_extension("abbreviations"):
    Doc.set_extension("abbreviations", default=[])

DRUG_SUFFIX_RE = re.compile(
    r"^[a-z]{3,}(?:mab|nib|ersen|rsen|tide|stat|semtiv|parib|ciclib|zomib|lisib|tinib|vir|"
    r"pril|sartan|olol|azole|cycline|mycin|floxacin|dronate|gliptin|glutide|setron|triptan|"
    r"prazole|vastatin|oxetine|afil|dipine|caine|zepam|barbital|profen|lukast|platin)$"
)
DRUG_ENDINGS = tuple(DRUG_SUFFIX_RE.pattern.split("(?:")[1].split(")")[0].split("|"))
# drug codes: 2+ capitals, then 3-7 digits ("QRL-201", "AMX0035", "BIIB067", "MN-166");
# two digits are a scale, a cell line or a gene far more often ("SF-36", "NSC-34", "IL17")
DRUG_CODE_RE = re.compile(r"^(?=(?:.*[A-Z]){2})([A-Z][A-Za-z]{1,5})-?\d{3,7}[A-Za-z]?$")
# letter prefixes of codes that are not drugs: cell lines, gene families, accessions, registries
NOT_DRUG_CODE_PREFIXES = {
    "HEK", "CYP", "GSE", "GSM", "GPL", "SRR", "ERR", "PRJNA", "ISO", "ICD", "MIR", "CD", "ZNF",
    "TMEM", "CCDC", "FAM", "KIAA", "LINC", "LOC", "SNORD", "RNU", "NCT", "ISRCTN", "ACTRN",
    "CHICTR", "JPRN", "UMIN", "DRKS", "IRCT", "CTRI", "EUCTR", "KCT", "PACTR", "SLC", "OR", "HLA",
    "COVID", "SARS", "WHO", "PMID", "PMC", "DOI", "EC", "ATCC", "RRID", "UPF", "ABCA", "ABCB",
}
MUTATION_RE = re.compile(r"^[A-Z]\d+[A-Z]$|^p\.|^c\.")
CODE_WORD_RE = re.compile(r"^[A-Z]{3,6}$")
NOT_CODE_WORDS = {"ALS", "DNA", "RNA", "ICU", "MRI", "FDA", "EMA", "NIH", "WHO", "USA", "CSF", "CNS", "BMI",
                  "AUC", "SEM", "IQR", "PMID", "DOI", "ISBN", "ISSN", "AND", "THE", "FOR", "WITH"}
NUMBER_CODE_RE = re.compile(r"^(?!(?:19|20)\d\d$)\d{3,4}$")
CODE_MODIFIER_RE = re.compile(r"[A-Z].*\d|\d.*[A-Z]")
HEAD_TYPES = {
    "cells": "CELL_TYPE", "cell": "CELL_TYPE", "therapy": "INTERVENTION", "therapies": "INTERVENTION",
    "disease": "DISEASE", "diseases": "DISEASE", "disorder": "DISEASE", "syndrome": "DISEASE",
}
OUTCOME_HEADS = {"pressure": "OUTCOME", "capacity": "OUTCOME", "score": "OUTCOME", "scale": "OUTCOME",
                 "flow": "OUTCOME", "function": "OUTCOME", "survival": "OUTCOME"}
MODIFIER_TYPES = {"CHEMICAL_OR_DRUG", "GENE_OR_PROTEIN", "CELL_TYPE"}
CHEMICAL = "CHEMICAL_OR_DRUG"

# per-word flags
F_DRUG = 1          # drug-like word or drug code
F_CODE_WORD = 2     # "COYA" of "COYA 302"
F_NUMBER_CODE = 4   # "302"
F_HEAD = 8          # cells / therapy / disease ...
F_CODE_MODIFIER = 16  # "CD4+"-like modifier of a head word
F_NCT = 32          # a trial registry id inside the word
F_FORMULA = 64      # a formula starts here by itself ("H2O2", "·", "Zn")
F_ELEMENT = 128     # a formula starts here when a count follows ("H", "Mg", "CO")
F_COUNT = 256       # a count, charge or radical ("2", "2+", "•−")
F_SHORT_CODE = 512  # a code with two digits ("RAG-17", "TJ-68"): a drug only next to a drug word
F_DRUG_CONTEXT = 1024  # "compound", "agonist", "treatment", ... (see DRUG_CONTEXT_WORDS)
F_PHRASE_HEAD = PHRASE_HEAD_FLAG  # a head of mention_phrases (outcome/process head or population noun)
TRIGGERS = F_DRUG | F_CODE_WORD | F_HEAD | F_NCT | F_FORMULA | F_ELEMENT | F_SHORT_CODE  # the others only qualify a neighbour


# codes with two digits are scales, cell lines and genes more often than drugs ("SF-36", "NSC-34",
# "IL17"): a drug when a drug word is near
SHORT_CODE_RE = re.compile(r"^([A-Z]{2,4})-?\d{2}[A-Za-z]?$")
NOT_SHORT_CODE_PREFIXES = {"SF", "NSC", "IL", "CD", "ALSFRS", "EQ", "HADS", "PHQ", "GAD", "BDI", "MMSE", "MOCA",
                           "ECAS", "ALSAQ", "COVID", "HEK", "HCT", "ACTB", "UK", "US", "NF", "TNF", "CCL", "CXCL",
                           "TLR", "HLA", "MIR", "SOD", "TDP", "DPR", "KIF", "COX", "TAU", "BMI", "QOL", "ICD"}
DRUG_CONTEXT_WORDS = frozenset("""
compound compounds drug drugs agonist agonists antagonist antagonists inhibitor inhibitors treatment treated
administered administration dose doses dosing mg formula formulation medicine medication molecule molecules
candidate peptide analogue analog derivative
""".split())
DRUG_CONTEXT_WINDOW = 4


def is_short_code(text: str) -> bool:
    m = SHORT_CODE_RE.match(text)
    return bool(m) and m.group(1) not in NOT_SHORT_CODE_PREFIXES and m.group(1) not in NOT_DRUG_CODE_PREFIXES


# one or two capitals and five to seven digits: research compounds ("T0901317", "SB203580")
COMPOUND_CODE_RE = re.compile(r"^[A-Z]{1,2}\d{5,7}$")


def is_drug_code(text: str) -> bool:
    if COMPOUND_CODE_RE.match(text):
        return text[:1] not in "DCQP" or len(text) != 7  # not a MeSH/UniProt-like accession ("D000690")
    m = DRUG_CODE_RE.match(text)
    return bool(m) and not MUTATION_RE.match(text) and m.group(1).upper() not in NOT_DRUG_CODE_PREFIXES


def word_flags(text: str) -> int:
    """The pattern flags of one written form (computed once per vocabulary entry)."""
    flags = 0
    low = text.lower()
    if text.isalpha() and (text == low or (len(text) > 4 and text[1:] == low[1:])):
        # most words: only the drug-suffix and head rules apply
        if len(text) > 5 and low.endswith(DRUG_ENDINGS) and DRUG_SUFFIX_RE.match(low):
            flags |= F_DRUG
        if low in DRUG_CONTEXT_WORDS:
            flags |= F_DRUG_CONTEXT
        if is_phrase_head(low):
            flags |= F_PHRASE_HEAD
        return flags | F_HEAD if low in HEAD_TYPES else flags
    if (len(text) > 5 and low.endswith(DRUG_ENDINGS) and DRUG_SUFFIX_RE.match(low)) or \
            (not text.isalpha() and is_drug_code(text)):
        flags |= F_DRUG
    if CODE_WORD_RE.match(text) and text not in NOT_CODE_WORDS:
        flags |= F_CODE_WORD
    if NUMBER_CODE_RE.match(text):
        flags |= F_NUMBER_CODE
    if low in HEAD_TYPES:
        flags |= F_HEAD
    if not text.isalpha() and CODE_MODIFIER_RE.search(text):
        flags |= F_CODE_MODIFIER
    if "NCT" in text and NCT_NUMBER.search(text):
        flags |= F_NCT
    role = token_role(text)
    if role == 2:
        flags |= F_FORMULA
    elif role == 1:
        flags |= F_ELEMENT
    if not flags & F_DRUG and is_short_code(text):
        flags |= F_SHORT_CODE
    if COUNT_TOKEN_RE.match(text):
        flags |= F_COUNT
    return flags


def merge_layers(kb_matches: list, mined_matches: list) -> list:
    """KB matches plus the mined layer's: on the same span a mined term wins when it has another
    type or an id (both validated on held-out gold: "glutamate" is annotated Glutamic Acid);
    of the same type without an id, the KB's reading is kept."""
    if not mined_matches:
        return kb_matches
    by_span = {(m.start_char, m.end_char): i for i, m in enumerate(kb_matches)}
    out = list(kb_matches)
    for m in mined_matches:
        i = by_span.get((m.start_char, m.end_char))
        if i is None:
            out.append(m)
        elif out[i].label != m.label or m.concept_id:
            out[i] = m
    return out


# a one-word mention between a relative pronoun and one of these is a verb: "white blood cells
# that function to suppress", "a protein which serves as a scaffold" (the mined outcome
# "function" is a noun elsewhere)
VERB_USE_AFTER = frozenset({"to", "as"})


def reads_as_verb(text: str, start: int, end: int) -> bool:
    """Whether the one-word mention text[start:end] is used as a verb (see VERB_USE_AFTER)."""
    if not text[start:end].isalpha():
        return False
    before = text[max(0, start - 20):start].split()
    after = text[end:end + 4].split()
    return bool(before and after) and before[-1].lower() in RELATIVE_PRONOUNS and after[0].lower() in VERB_USE_AFTER


# the singular "inclusion" is an inclusion body only after what makes it one ("TDP43 inclusion",
# "TDP43-positive inclusion", "cytoplasmic inclusion"); elsewhere it is a study's act of including
# ("Inclusion criteria", "inclusion sites", "35 months of inclusion", "following inclusion of
# SCM-MEP abnormalities"), which the plural mined term "inclusions" would otherwise match
INCLUSION_BODY_BEFORE_RE = re.compile(r"(?:[A-Za-z]*[A-Z0-9][\w-]*|\w*positive|cytoplasmic|nuclear|intranuclear|"
                                      r"neuronal|glial|protein|aggregate)\s+$")


def reads_as_study_inclusion(text: str, start: int, end: int) -> bool:
    return text[start:end].lower() == "inclusion" and not INCLUSION_BODY_BEFORE_RE.search(text[max(0, start - 40):start])


GENE_LONG_FORM_RE = re.compile(
    r"(?:ase|ases)(?:[\s-]?\d+[a-z]?)?$|\b(?:protein|receptor|factor|kinase|channel|transporter|ligand|"
    r"enzyme|antigen|subunit|chain)(?:[\s-]?\d+[a-z]?)?$", re.IGNORECASE)


# a long form that names a gene by its name and the word "gene" or "protein" ("optineurin gene")
GENE_WORD_RE = re.compile(r"\s+(?:gene|genes|protein|proteins)$", re.IGNORECASE)


def names_its_gene(short, short_text: str) -> bool:
    """Whether a short form's own match is the HGNC gene whose official symbol it is ("SOD1"),
    not an alias that happens to be written the same way."""
    if short.label != "GENE_OR_PROTEIN" or not short.concept_id.startswith("HGNC:"):
        return False
    return short.name.replace("-", "").lower() == short_text.replace("-", "").lower()


def long_form_type(text: str):
    """The type of an abbreviation's long form that no dictionary knows, from its last word:
    a head of HEAD_TYPES/OUTCOME_HEADS/the phrase table, or a gene/protein word
    ("chitotriosidase-1", "neurotrophic factor", "tyrosine kinase")."""
    words = text.split()
    if not words:
        return None
    last = words[-1].lower()
    typ = HEAD_TYPES.get(last) or OUTCOME_HEADS.get(last)
    if typ is None and last in HEADS and len(words) > 1:
        typ = HEADS[last][0]
    if typ is None and GENE_LONG_FORM_RE.search(text):
        typ = "GENE_OR_PROTEIN"
    return typ


# doc.user_data key: (start, end, type) of the mentions chosen before the silver terms, what the
# NER's dictionary feature reads (ner.dictionary_tags)
NER_VIEW_KEY = "alsfacts.ner_view"


class AlsEntities:
    def __init__(self, nlp: Language, name: str, use_tfidf: bool = True, tfidf_threshold: float = 0.82,
                 mined_terms: bool = True, gene_case_fallback: bool = True, phrases: bool = True,
                 silver_terms: bool = True):
        self.matcher = DictionaryMatcher(flagger=word_flags, gene_case_fallback=gene_case_fallback)
        self.use_tfidf = use_tfidf
        self.tfidf_threshold = tfidf_threshold
        self.phrases = phrases
        self.mined_matcher = None
        self.silver_matcher = None
        self.silver_terms = silver_terms  # False: the silver documents' names are never matched (`--fast`)
        if mined_terms:
            self.use_mined_terms(shipped_terms())
        # loaded with the pipeline, so its cost shows in start-up rather than in the first document
        self.linker = get_tfidf_linker() if use_tfidf else None

    def use_mined_terms(self, rows: list) -> None:
        """Match these mined terms from now on ([] = none): the rows gold/train has (`source` "gold",
        the default: pipeline/kb/mined_terms.tsv) merged with the dictionary's matches, the rows only
        the silver documents have (`source` "silver": pipeline/kb/silver_terms.tsv) after them."""
        from pipeline.kb import load_kb

        kb = load_kb()
        gold = MinedLayer([r for r in rows if r.get("source", "gold") != "silver"], preferred_names=kb)
        silver = MinedLayer([r for r in rows if r.get("source") == "silver" and self.silver_terms], preferred_names=kb)
        self.mined_matcher = DictionaryMatcher(kb=gold) if len(gold) else None
        self.silver_matcher = DictionaryMatcher(kb=silver) if len(silver) else None

    def link(self, texts: list) -> list:
        return self.linker.link(texts) if self.linker is not None else [None] * len(texts)

    # ------------------------------------------------------------------ main
    def __call__(self, doc: Doc) -> Doc:
        infos, idxs = self.matcher.read(doc)
        matches = self.matcher.match(infos, idxs)
        if self.mined_matcher is not None:
            matches = merge_layers(matches, self.mined_matcher.match(*self.mined_matcher.read(doc)))
        matches = self._apply_abbreviations(doc, matches)
        matches += self._pattern_mentions(doc, infos, idxs, matches)
        text = doc_text(doc)
        if self.phrases:
            starts = doc.to_array(SENT_START).tolist()
            matches += phrase_mentions(text, infos, idxs, matches,
                                       [idxs[t] for t, v in enumerate(starts) if v == 1])
        chosen = self._chosen(text, matches)
        if self._split_tokens(doc, infos, idxs, chosen):
            infos, idxs = self.matcher.read(doc)
        self._set_ents(doc, infos, idxs, chosen)
        if self.silver_matcher is not None:
            self._add_silver_terms(doc, text, matches, chosen)
        return doc

    def _add_silver_terms(self, doc: Doc, text: str, matches: list, chosen: list) -> None:
        """The silver documents' names, competing by length with the mentions chosen so far. They
        never take a span another match has, never split a token, never lengthen a mention of their
        own concept, and the NER reads the mentions chosen without them (NER_VIEW_KEY), the
        dictionary feature it was trained on."""
        ents = doc.ents
        doc.user_data[NER_VIEW_KEY] = [(e.start_char, e.end_char, e.label_) for e in ents]
        infos, idxs = self.silver_matcher.read(doc)
        spans = {(m.start_char, m.end_char) for m in matches}
        starts, ends = set(idxs), {i + len(info.text) for i, info in zip(idxs, infos)}
        # a silver name that only adds words to a mention of the same concept leaves it as it is
        # ("mouse model" around "mouse", both NCBITaxon:10090)
        same = [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in ents if e.kb_id_]
        silver = [m for m in self.silver_matcher.match(infos, idxs)
                  if (m.start_char, m.end_char) not in spans and m.start_char in starts and m.end_char in ends
                  and not any(m.start_char <= s and e <= m.end_char and m.label == label and m.concept_id == kb_id
                              for s, e, label, kb_id in same)]
        if silver:
            kept = {(e.start_char, e.end_char) for e in ents}
            base = [m for m in chosen if (m.start_char, m.end_char) in kept]
            self._set_ents(doc, infos, idxs, self._chosen(text, base + silver))

    @staticmethod
    def _set_ents(doc: Doc, infos: list, idxs: list, chosen: list) -> None:
        """doc.ents and the span extensions, without char_span or Underscore objects
        (the extension values go where Span._ keeps them: doc.user_data)."""
        n = len(idxs)
        user_data = doc.user_data
        spans = []
        for m in chosen:
            s, e = m.start_char, m.end_char
            ts = bisect_left(idxs, s)
            if ts >= n or idxs[ts] != s:
                continue
            te = bisect_left(idxs, e, ts + 1)
            if idxs[te - 1] + len(infos[te - 1].text) != e:
                continue
            spans.append(Span(doc, ts, te, label=m.label, kb_id=m.concept_id))
            user_data[("._.", "concept_name", s, e)] = m.name
            user_data[("._.", "score", s, e)] = m.score
            if m.abbreviation_of:
                user_data[("._.", "abbreviation_of", s, e)] = m.abbreviation_of
        doc.set_ents(spans, default="outside")

    # ------------------------------------------------------------ abbreviations
    def _apply_abbreviations(self, doc: Doc, matches: list) -> list:
        abbrs = doc._.abbreviations or []
        if not abbrs:
            return matches
        by_end = {}
        for m in matches:
            by_end.setdefault(m.end_char, []).append(m)
        long_forms = {}
        unresolved = []
        for a in abbrs:
            key = (a["long_start_char"], a["long_end_char"])
            if key in long_forms:
                continue
            cands = [m for m in by_end.get(key[1], []) if m.start_char >= key[0]]
            if cands:  # the longest dictionary (or mined) match that ends the long form
                long_forms[key] = min(cands, key=lambda m: m.start_char)
                continue
            text = a["long_text"]
            gene = GENE_WORD_RE.search(text)
            named = [m for m in by_end.get(key[0] + gene.start(), []) if m.start_char >= key[0]
                     and m.label == "GENE_OR_PROTEIN"] if gene else []
            if named:  # "the optineurin gene (OPTN)": the short form is the gene the long form names
                long_forms[key] = min(named, key=lambda m: m.start_char)
                continue
            typ = long_form_type(text)
            long_forms[key] = Match(key[0], key[1], "", typ, text, 0.5) if typ else None
            if typ:
                unresolved.append((key, text, typ))
        if unresolved and self.linker is not None:
            linked = self.link([t for _k, t, _ty in unresolved])
            for (key, _text, typ), res in zip(unresolved, linked):
                if res is not None and res[1] == typ:
                    long_forms[key] = Match(key[0], key[1], res[0], res[1], res[2], round(res[3], 3))
        # a long form typed only by its words takes the id of its short form when the two agree on
        # the type ("chitotriosidase-1 (CHIT1)": a gene word, and CHIT1 is an HGNC symbol)
        by_span = {(m.start_char, m.end_char): m for m in matches}
        for a in abbrs:
            key = (a["long_start_char"], a["long_end_char"])
            short = by_span.get((a["short_start_char"], a["short_end_char"]))
            concept = long_forms.get(key)
            if concept is not None and not concept.concept_id and short is not None and short.concept_id \
                    and short.label == concept.label:
                long_forms[key] = Match(key[0], key[1], short.concept_id, short.label, short.name, short.score)
        # a gene's official symbol defined by its protein family's name is that gene: "copper/zinc
        # superoxide dismutase (SOD1)" is SOD1 (HGNC), not MeSH's family Superoxide Dismutase
        to_gene = {}
        for a in abbrs:
            key = (a["long_start_char"], a["long_end_char"])
            short = by_span.get((a["short_start_char"], a["short_end_char"]))
            concept = long_forms.get(key)
            if concept is not None and short is not None and names_its_gene(short, a["short_text"]) \
                    and concept.label == "GENE_OR_PROTEIN" and concept.concept_id.startswith("MESH:"):
                gene = replace(concept, concept_id=short.concept_id, name=short.name, score=short.score)
                long_forms[key] = to_gene[(concept.start_char, concept.end_char)] = gene
        short_spans = set()
        out = [to_gene.get((m.start_char, m.end_char), m) for m in matches]
        for key, concept in long_forms.items():  # long forms typed here are mentions themselves
            if concept is not None and (concept.start_char, concept.end_char) == key and key not in by_span:
                out.append(concept)
        for a in abbrs:
            concept = long_forms[(a["long_start_char"], a["long_end_char"])]
            short_spans.add((a["short_start_char"], a["short_end_char"]))
            if concept is None:
                continue
            out.append(Match(a["short_start_char"], a["short_end_char"], concept.concept_id, concept.label,
                             concept.name, concept.score, abbreviation_of=a["long_text"]))
        # a defined short form is only what its long form is: drop other readings of it
        return [m for m in out if m.abbreviation_of or (m.start_char, m.end_char) not in short_spans]

    # ----------------------------------------------------------------- patterns
    def _pattern_mentions(self, doc: Doc, infos: list, idxs: list, matches: list) -> list:
        flagged = [i for i, info in enumerate(infos) if info.flags & TRIGGERS]
        if not flagged:
            return []
        n = len(infos)
        covered = bytearray(idxs[-1] + len(infos[-1].text) + 1)
        ending = {}  # end char -> the longest match ending there
        for m in matches:
            covered[m.start_char:m.end_char] = b"\x01" * (m.end_char - m.start_char)
            other = ending.get(m.end_char)
            if other is None or other.start_char > m.start_char:
                ending[m.end_char] = m
        text = None
        out = []
        cands = []  # (start, end, type) for the TF-IDF linker
        formula_end = -1
        for i in flagged:
            idx = idxs[i]
            if covered[idx] or idx < formula_end:
                continue
            info = infos[i]
            flags = info.flags
            if flags & F_NCT:
                for m in re.finditer(NCT_NUMBER, info.text):
                    out.append(Match(idx + m.start(), idx + m.end(), "clinicaltrials:" + m.group(0), "TRIAL",
                                     m.group(0), 1.0))
                continue
            if flags & F_FORMULA or (flags & F_ELEMENT and i + 1 < n and infos[i + 1].flags & F_COUNT):
                if text is None:
                    text = doc_text(doc)
                found = find_formula(text, idx)
                if found is not None:
                    end, formula = found
                    hit = FORMULAS.concept(formula)
                    m = Match(idx, end, hit[0], CHEMICAL, hit[1], 1.0) if hit else \
                        Match(idx, end, "", CHEMICAL, text[idx:end], 0.5)
                    out.append(m)
                    covered[idx:end] = b"\x01" * (end - idx)
                    ending[end] = m
                    formula_end = end
                    continue
            if flags & F_SHORT_CODE:
                lo, hi = max(0, i - DRUG_CONTEXT_WINDOW), min(n, i + DRUG_CONTEXT_WINDOW + 1)
                if any(infos[k].flags & F_DRUG_CONTEXT for k in range(lo, hi)):
                    cands.append((idx, idx + len(info.text), CHEMICAL))
                continue
            if flags & F_DRUG:
                cands.append((idx, idx + len(info.text), CHEMICAL))
            elif flags & F_CODE_WORD and i + 1 < n and infos[i + 1].flags & F_NUMBER_CODE \
                    and idxs[i + 1] == idx + len(info.text) + 1 and not covered[idxs[i + 1]]:
                cands.append((idx, idxs[i + 1] + len(infos[i + 1].text), CHEMICAL))
            if flags & F_HEAD and i > 0:
                head = HEAD_TYPES[info.text.lower()]
                pidx = idxs[i - 1]
                prev = infos[i - 1]
                pm = ending.get(pidx + len(prev.text)) if covered[pidx] else None
                if pm is not None and pm.start_char > pidx:
                    pm = None
                code_like = not covered[pidx] and bool(prev.flags & F_CODE_MODIFIER)
                if (pm is not None and pm.label in MODIFIER_TYPES and head == "INTERVENTION") or code_like:
                    cands.append((pidx if code_like else pm.start_char, idx + len(info.text), head))
        if cands:
            if text is None:
                text = doc_text(doc)
            texts = [text[s:e] for s, e, _ in cands]
            for (s, e, typ), mention, res in zip(cands, texts, self.link(texts)):
                if res is not None and res[1] == typ:
                    out.append(Match(s, e, res[0], res[1], res[2], round(res[3], 3)))
                else:
                    out.append(Match(s, e, "", typ, mention, 0.5))
        return out

    # ----------------------------------------------------------------- spans
    def _chosen(self, text: str, matches: list) -> list:
        """The longest of overlapping matches, less one-word verbs and study inclusions."""
        return [m for m in self._longest_first(matches) if not reads_as_verb(text, m.start_char, m.end_char)
                and not reads_as_study_inclusion(text, m.start_char, m.end_char)]

    @staticmethod
    def _longest_first(matches: list) -> list:
        if not matches:
            return []
        taken = bytearray(max(m.end_char for m in matches))
        chosen = []
        for m in sorted(matches, key=lambda m: (m.start_char - m.end_char, m.start_char)):
            s, e = m.start_char, m.end_char
            if any(taken[s:e]):
                continue
            taken[s:e] = b"\x01" * (e - s)
            chosen.append(m)
        chosen.sort(key=lambda m: m.start_char)
        return chosen

    @staticmethod
    def _split_tokens(doc: Doc, infos: list, idxs: list, chosen: list) -> bool:
        """Split tokens so every chosen mention starts and ends on a token boundary (`infos[i].text`:
        token i's text; a list of the tokens, or the Doc itself)."""
        cuts = {}
        for m in chosen:
            for c in (m.start_char, m.end_char):
                i = bisect_right(idxs, c) - 1
                if i >= 0 and idxs[i] < c < idxs[i] + len(infos[i].text):
                    cuts.setdefault(i, set()).add(c - idxs[i])
        if not cuts:
            return False
        abbrs = doc._.abbreviations or []
        with doc.retokenize() as retok:
            for i, offs in cuts.items():
                tok = doc[i]
                bounds = [0] + sorted(offs) + [len(tok)]
                orths = [tok.text[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]
                heads = [(tok, 0)] * len(orths)
                retok.split(tok, orths, heads=heads)
        for a in abbrs:  # token indices moved: recompute them from character offsets
            for part in ("short", "long"):
                span = doc.char_span(a[f"{part}_start_char"], a[f"{part}_end_char"], alignment_mode="expand")
                if span is not None:
                    a[f"{part}_start"], a[f"{part}_end"] = span.start, span.end
        return True


@Language.factory("alsfacts_entities", default_config={
    "use_tfidf": True, "tfidf_threshold": 0.82, "mined_terms": True, "gene_case_fallback": True, "phrases": True,
    "silver_terms": True,
})
def make_alsfacts_entities(nlp: Language, name: str, use_tfidf: bool, tfidf_threshold: float, mined_terms: bool,
                           gene_case_fallback: bool, phrases: bool, silver_terms: bool):
    return AlsEntities(nlp, name, use_tfidf=use_tfidf, tfidf_threshold=tfidf_threshold, mined_terms=mined_terms,
                       gene_case_fallback=gene_case_fallback, phrases=phrases, silver_terms=silver_terms)
