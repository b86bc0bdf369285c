"""`alsfacts_entities`: typed, linked entity mentions in `doc.ents`.

Sources of mentions, in order of trust:
  1. the KB dictionary (exact/variant forms, see pipeline.kb and linking.DictionaryMatcher);
  2. abbreviations: a short form takes the concept and type of its long form
     (doc._.abbreviations from alsfacts_abbreviations);
  3. patterns for mentions the dictionary does not know, linked with the TF-IDF linker
     when similar enough and otherwise kept typed with an empty concept id:
     drug-like words and drug codes, "<modifier> cells/therapy/disease" phrases;
  4. trial registry ids (NCT########).
Overlaps are resolved longest-first. Tokens are split where a mention ends inside a
hyphenated or slashed token ("TNF-α/NF-κB"), so spans keep exact character offsets.
Span extensions: concept_name (str), score (float), abbreviation_of (str).
"""
from __future__ import annotations

import re
from bisect import bisect_right

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.components.linking import DictionaryMatcher, Match, get_tfidf_linker, token_offsets

for _name, _default in (("concept_name", ""), ("score", 0.0), ("abbreviation_of", "")):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=_default)
if not Doc.has_extension("abbreviations"):
    Doc.set_extension("abbreviations", default=[])

NCT_RE = re.compile(r"NCT\d{8}")
DRUG_SUFFIX_RE = re.compile(
    r"^[a-z]{3,}(?:mab|nib|ersen|rsen|tide|stat|semtiv|parib|ciclib|zomib|lisib|tinib|vir|"
    r"pril|sartan|olol|azole|cycline|mycin|floxacin|dronate|gliptin|glutide|setron|triptan|"
    r"prazole|vastatin|oxetine|afil|dipine|caine|zepam|barbital|profen|lukast|platin)$"
)
# drug codes: letters + digits ("QRL-201", "AMX0035", "BIIB067", "CNM-Au8"), not mutations ("G93A")
DRUG_CODE_RE = re.compile(r"^(?=(?:.*[A-Z]){2})(?=(?:.*\d){2})[A-Z][A-Za-z]{1,6}-?\d{2,6}[A-Za-z]?$")
MUTATION_RE = re.compile(r"^[A-Z]\d+[A-Z]$|^p\.|^c\.")
CODE_WORD_RE = re.compile(r"^[A-Z]{3,6}$")
NUMBER_CODE_RE = re.compile(r"^(?!(?:19|20)\d\d$)\d{3,4}$")
CODE_MODIFIER_RE = re.compile(r"[A-Z].*\d|\d.*[A-Z]")
HEAD_TYPES = {
    "cells": "CELL_TYPE", "cell": "CELL_TYPE", "therapy": "INTERVENTION", "therapies": "INTERVENTION",
    "disease": "DISEASE", "diseases": "DISEASE", "disorder": "DISEASE", "syndrome": "DISEASE",
}
MODIFIER_TYPES = {"CHEMICAL_OR_DRUG", "GENE_OR_PROTEIN", "CELL_TYPE"}
TFIDF_TYPES = {"CHEMICAL_OR_DRUG", "GENE_OR_PROTEIN", "CELL_TYPE", "INTERVENTION", "DISEASE"}


class AlsEntities:
    def __init__(self, nlp: Language, name: str, use_tfidf: bool = True, tfidf_threshold: float = 0.82):
        self.matcher = DictionaryMatcher()
        self.use_tfidf = use_tfidf
        self.tfidf_threshold = tfidf_threshold

    # ------------------------------------------------------------------ main
    def __call__(self, doc: Doc) -> Doc:
        text = doc.text  # spaCy rebuilds doc.text on every access: read it once
        offsets = token_offsets(doc, text)
        matches = self.matcher.match(doc, offsets)
        matches = self._apply_abbreviations(doc, text, matches)
        matches += self._pattern_mentions(text, offsets, matches)
        for m in NCT_RE.finditer(text):
            matches.append(Match(m.start(), m.end(), "clinicaltrials:" + m.group(0), "TRIAL", m.group(0), 1.0))
        chosen = self._longest_first(matches)
        self._split_tokens(doc, offsets, chosen)
        ents = []
        for m in chosen:
            span = doc.char_span(m.start_char, m.end_char, label=m.label, kb_id=m.concept_id)
            if span is None:
                continue
            span._.concept_name = m.name
            span._.score = m.score
            span._.abbreviation_of = m.abbreviation_of
            ents.append(span)
        doc.ents = ents
        return doc

    # ------------------------------------------------------------ abbreviations
    def _apply_abbreviations(self, doc: Doc, doc_text: str, matches: list) -> list:
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
            if cands:  # the longest dictionary match that ends the long form
                long_forms[key] = min(cands, key=lambda m: m.start_char)
                continue
            text = doc_text[key[0]:key[1]]
            words = text.split()
            typ = HEAD_TYPES.get(words[-1].lower()) if words else None
            if typ is None and words:
                typ = OUTCOME_HEADS.get(words[-1].lower())
            long_forms[key] = Match(key[0], key[1], "", typ, text, 0.5) if typ else None
            if typ:
                unresolved.append((key, text, typ))
        if unresolved and self.use_tfidf:
            linked = get_tfidf_linker().link([t for _k, t, _ty in unresolved])
            for (key, _text, typ), res in zip(unresolved, linked):
                if res is not None and res[1] == typ:
                    long_forms[key] = Match(key[0], key[1], res[0], res[1], res[2], round(res[3], 3))
        short_spans = set()
        out = list(matches)
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
    def _pattern_mentions(self, doc_text: str, offsets: list, matches: list) -> list:
        covered = {}
        for m in matches:
            for c in range(m.start_char, m.end_char):
                covered[c] = m
        cands = []  # (start, end, type)
        n = len(offsets)
        for i, (idx, t) in enumerate(offsets):
            if idx in covered:
                continue
            low = t.lower()
            if DRUG_SUFFIX_RE.match(low) or (DRUG_CODE_RE.match(t) and not MUTATION_RE.match(t)):
                cands.append((idx, idx + len(t), "CHEMICAL_OR_DRUG"))
            elif i + 1 < n and CODE_WORD_RE.match(t) and NUMBER_CODE_RE.match(offsets[i + 1][1]) \
                    and offsets[i + 1][0] == idx + len(t) + 1 and offsets[i + 1][0] not in covered:
                nidx, ntext = offsets[i + 1]
                cands.append((idx, nidx + len(ntext), "CHEMICAL_OR_DRUG"))
            if low in HEAD_TYPES and i > 0:
                pidx, ptext = offsets[i - 1]
                pm = covered.get(pidx)
                code_like = pm is None and bool(CODE_MODIFIER_RE.search(ptext))
                if (pm is not None and pm.label in MODIFIER_TYPES and pm.end_char == pidx + len(ptext)
                        and HEAD_TYPES[low] == "INTERVENTION") or code_like:
                    start = pidx if code_like else pm.start_char
                    cands.append((start, idx + len(t), HEAD_TYPES[low]))
        if not cands:
            return []
        texts = [doc_text[s:e] for s, e, _ in cands]
        linked = get_tfidf_linker().link(texts) if self.use_tfidf else [None] * len(cands)
        out = []
        for (s, e, typ), text, res in zip(cands, texts, linked):
            if res is not None and (typ is None or res[1] == typ):
                out.append(Match(s, e, res[0], res[1], res[2], round(res[3], 3)))
            elif typ:
                out.append(Match(s, e, "", typ, text, 0.5))
        return out

    # ----------------------------------------------------------------- spans
    @staticmethod
    def _longest_first(matches: list) -> list:
        taken = set()
        chosen = []
        for m in sorted(matches, key=lambda m: (-(m.end_char - m.start_char), m.start_char)):
            rng = range(m.start_char, m.end_char)
            if any(c in taken for c in rng):
                continue
            taken.update(rng)
            chosen.append(m)
        return sorted(chosen, key=lambda m: m.start_char)

    @staticmethod
    def _split_tokens(doc: Doc, offsets: list, chosen: list):
        """Split tokens so every chosen mention starts and ends on a token boundary."""
        starts = [o[0] for o in offsets]
        cuts = {}
        for m in chosen:
            for c in (m.start_char, m.end_char):
                i = bisect_right(starts, c) - 1
                if i >= 0 and starts[i] < c < starts[i] + len(offsets[i][1]):
                    cuts.setdefault(i, set()).add(c - starts[i])
        if not cuts:
            return
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


OUTCOME_HEADS = {"pressure": "OUTCOME", "capacity": "OUTCOME", "score": "OUTCOME", "scale": "OUTCOME",
                 "flow": "OUTCOME", "function": "OUTCOME", "survival": "OUTCOME"}


@Language.factory("alsfacts_entities", default_config={"use_tfidf": True, "tfidf_threshold": 0.82})
def make_alsfacts_entities(nlp: Language, name: str, use_tfidf: bool, tfidf_threshold: float):
    return AlsEntities(nlp, name, use_tfidf=use_tfidf, tfidf_threshold=tfidf_threshold)
