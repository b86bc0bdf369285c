"""Gene symbols written the mouse and rat way ("Farsb", "Cltc", "Nsf") in a list of such genes.

Mouse and rat nomenclature capitalises only a symbol's first letter. The dictionary matches a
human gene symbol as written (upper case), so "Farsb" is no gene to it, and the NER finds such
symbols only some of the time: "aminoacyl-tRNA biosynthesis (Farsb, Nars, Txnrd1)" gave Nars and
Txnrd1 but not Farsb. Where a list (members one token each, between commas, "and", "or" and
brackets) already holds a gene mention written that way, each other member written that way,
with no mention of its own, whose upper-cased form is an official HGNC symbol is that gene: one
sense per list. A symbol so found is that gene at its other uses in the document too, and anchors
their lists ("synaptic vesicle cycle (Cltc, Nsf), Wnt signalling (Cltc, Plcb3, …)"). FACTS_SPEC §1
and gold/train give a rodent gene's symbol the human gene's HGNC id.

Runs after the NER and the mention filter, as `alsfacts_trial_registries` does, so that both
models read what they were trained on.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.components import span_extension
from pipeline.kb import load_kb

GENE = "GENE_OR_PROTEIN"
RODENT_SYMBOL = re.compile(r"[A-Z][a-z][a-z0-9]{1,7}")  # "Nsf", "Ca3", "Txnrd1", "Sqstm1"
LIST_SEPARATORS = {",", ";", "and", "or", "(", ")", "/"}
MAX_MEMBERS = 12  # members looked at on each side of a word


def _rodent_gene(span: Span) -> bool:
    return span.label_ == GENE and RODENT_SYMBOL.fullmatch(span.text) is not None


def _list_members(doc: Doc, i: int, lo: int, hi: int) -> list[int]:
    """Token indices of the one-token members of the list around token i, inside tokens [lo, hi)
    (its sentence): from i, each way, separators then a member, until a member is not followed by
    a separator."""
    members = [i]
    for step in (-1, 1):
        j = i
        while len(members) < 2 * MAX_MEMBERS:
            k = j + step
            while lo <= k < hi and doc[k].lower_ in LIST_SEPARATORS:
                k += step
            if k == j + step or not lo <= k < hi:
                break  # no separator, or the sentence ends
            members.append(k)
            j = k
    return members


class GeneLists:
    def __init__(self):
        self.kb = None

    def _symbol(self, word: str):
        """(HGNC id, symbol) when the upper-cased word is an HGNC gene's official symbol."""
        if self.kb is None:
            self.kb = load_kb()
        hit = self.kb.lookup(word.upper())
        if hit and hit[0].startswith("HGNC:") and hit[1] == GENE and hit[2] == word.upper():
            return hit[0], hit[2]
        return None

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)  # read once: each read of doc.ents walks every token
        anchors = [e for e in ents if _rodent_gene(e) and len(e) == 1]
        if not anchors:
            return doc
        covered = {i for e in ents for i in range(e.start, e.end)}
        uses: dict[str, list[int]] = {}  # each rodent-style word's tokens
        for token in doc:
            if RODENT_SYMBOL.fullmatch(token.text):
                uses.setdefault(token.text, []).append(token.i)
        new: dict[int, tuple] = {}  # token -> (its span, (HGNC id, symbol)) of the genes found here

        def add(i: int, gene: tuple, score: float) -> None:
            span = Span(doc, i, i + 1, label=GENE, kb_id=gene[0])
            doc.user_data[("._.", "concept_name", span.start_char, span.end_char)] = gene[1]
            doc.user_data[("._.", "score", span.start_char, span.end_char)] = score
            new[i] = (span, gene)
            covered.add(i)
            anchors.append(span)

        while anchors:  # a gene found here anchors its own list and its other uses: "(Cltc, Nsf)"
            anchor = anchors.pop()
            score = span_extension(doc, "score", anchor.start_char, anchor.end_char, 1.0)  # the anchor's link score
            if anchor.start in new:
                for i in uses[anchor.text]:
                    if i not in covered:
                        add(i, new[anchor.start][1], score)
            sent = doc[anchor.start].sent
            for i in _list_members(doc, anchor.start, sent.start, sent.end):
                if i not in covered and RODENT_SYMBOL.fullmatch(doc[i].text):
                    gene = self._symbol(doc[i].text)
                    if gene is not None:
                        add(i, gene, score)
        if new:
            doc.ents = sorted(ents + [span for span, _ in new.values()], key=lambda span: span.start)
        return doc


@Language.factory("alsfacts_gene_lists")
def make_gene_lists(nlp: Language, name: str) -> GeneLists:
    return GeneLists()


__all__ = ["GeneLists", "RODENT_SYMBOL"]
