"""`alsfacts_descriptor_ids`: a MeSH id for the kept mentions that no term links.

MeSH has descriptors for processes, functions, techniques and care that no tree rule of the
knowledge base types ("Cognition", "Proteostasis", "Caregiver Burden", "Whole Genome
Sequencing"): matched in running text they would be noise, so the dictionary does not match
them. But once the entity steps have found and typed a mention ("caregiver burden", OUTCOME)
that no term links, such a descriptor with exactly that written form names it.
`scripts/build_kb.py` writes the written forms that belong to one such descriptor and to no
typed term (`KB.descriptor`).

A multi-word outcome, disease or intervention phrase with no such descriptor takes the concept
of its head, the longest run of its last words that the KB links with the phrase's type or that
is one untyped descriptor: "cellular apoptosis" -> Apoptosis, "chronic inflammation" ->
Inflammation, as gold/train gives such phrases their head's id. On gold/train 5-fold CV
(`scripts/crossval_entities.py`) that raised entity F1 from 0.7140 to 0.7154 (seed+dev 0.886 ->
0.891).

The step runs after the mention filter, so the filter judges a mention as the entity steps
proposed it. On gold/train 5-fold CV (`scripts/crossval.py`) the ids raised entity F1 from 0.708
to 0.711 (OUTCOME recall 0.498 -> 0.512) with fact F1 0.334 -> 0.333; given before the filter,
which then learned from them, they gave entity F1 0.712 but fact F1 0.329.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.kb import load_kb

# phrase types whose head names the concept ("chronic inflammation", "stress-induced apoptosis")
HEAD_TYPES = {"OUTCOME", "DISEASE", "INTERVENTION"}
# heads that do not name what a phrase of them is: "motor neuron death" is not an organism's Death
NOT_HEAD_CONCEPTS = {"MESH:D003643"}


class DescriptorIds:
    def __init__(self):
        self.kb = load_kb()

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        changed = False
        for i, ent in enumerate(ents):
            if ent.kb_id_:
                continue
            found = self.kb.descriptor(ent.text) or self.head_concept(ent)
            if found is None:
                continue
            concept_id, name = found
            ents[i] = Span(doc, ent.start, ent.end, label=ent.label_, kb_id=concept_id)
            doc.user_data[("._.", "concept_name", ent.start_char, ent.end_char)] = name
            changed = True
        if changed:
            doc.ents = ents
        return doc

    def head_concept(self, ent: Span):
        """(id, name) of the phrase's head: the longest run of its last words that the KB links
        with the mention's type, or that is one untyped descriptor ("cellular apoptosis" ->
        Apoptosis, "progressive weakness" -> Muscle Weakness)."""
        if ent.label_ not in HEAD_TYPES or len(ent) < 2:
            return None
        for i in range(ent.start + 1, ent.end):
            tail = ent.doc[i:ent.end]
            if not tail[0].is_alpha or len(tail.text) < 4:
                continue
            found = self.kb.lookup(tail.text)
            if found is not None and found[1] == ent.label_ and found[0] not in NOT_HEAD_CONCEPTS:
                return found[0], found[2]
            found = self.kb.descriptor(tail.text)
            if found is not None:
                return found
        return None


@Language.factory("alsfacts_descriptor_ids")
def make_descriptor_ids(nlp: Language, name: str) -> DescriptorIds:
    return DescriptorIds()


__all__ = ["DescriptorIds"]
