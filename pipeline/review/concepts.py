"""Concept look-up for the review app's id picker, over the shipped knowledge base (pipeline.kb).

The knowledge base (about 300,000 concepts) is loaded on first use, once per process.
`get` checks an id; `search` finds concepts by id, by a written form the extractor
knows (exact or variant), then by name prefix and by a word of the name. The MeSH descriptors
no type rule covers ("Proteostasis", "Caregiver Burden"), whose ids `alsfacts_descriptor_ids`
gives to outcome and process mentions, are concepts too, with no type of their own ("").
"""

from __future__ import annotations

import threading

from pipeline.schema import ENTITY_TYPES

MAX_RESULTS = 20


class Concepts:
    def __init__(self):
        self._kb = None
        self._descriptor_names = None
        self._descriptor_name_list = None
        self._lock = threading.Lock()

    @property
    def kb(self):
        if self._kb is None:
            with self._lock:
                if self._kb is None:
                    from pipeline.kb import load_kb

                    self._kb = load_kb()
        return self._kb

    @property
    def descriptor_names(self) -> dict:
        """MeSH id -> name of the untyped descriptors (built on first use)."""
        if self._descriptor_names is None:
            self._descriptor_names = dict(self.kb.descriptors)
        return self._descriptor_names

    @property
    def descriptor_name_list(self) -> list:
        """The untyped descriptors' names, in the KB's order (for the name search; built on first use)."""
        if self._descriptor_name_list is None:
            self._descriptor_name_list = [name for _, name in self.kb.descriptors]
        return self._descriptor_name_list

    def get(self, concept_id: str) -> tuple[str, str, str] | None:
        """(id, type, name) of a concept whose type FACTS_SPEC knows, or of an untyped MeSH
        descriptor (type ""), or None."""
        index = self.kb.index_of.get(concept_id)
        if index is None:
            name = self.descriptor_names.get(concept_id)
            return (concept_id, "", name) if name else None
        concept = self.kb.concept(index)
        return concept if concept[1] in ENTITY_TYPES else None

    def search(self, text: str, entity_type: str = "", limit: int = MAX_RESULTS) -> list[dict]:
        """Concepts matching text, best first: [{"id", "type", "name"}]. Untyped descriptors come
        after the typed concepts, and only when no type is asked for."""
        text = " ".join(text.split())[:100]
        if len(text) < 2:
            return []
        kb, found = self.kb, {}

        def add(concept):
            if not concept or len(found) >= limit:
                return
            typ = concept[1]
            if (typ in ENTITY_TYPES and (not entity_type or typ == entity_type)) or (typ == "" and not entity_type):
                found.setdefault(concept[0], {"id": concept[0], "type": typ, "name": concept[2]})

        add(self.get(text))
        add(kb.lookup(text))
        descriptor = kb.descriptor(text)
        if descriptor:
            add((descriptor[0], "", descriptor[1]))
        for index in _name_matches(kb.concept_names, text.lower()):
            if len(found) >= limit:
                return list(found.values())
            add(kb.concept(index))
        if not entity_type:
            descriptors = self.kb.descriptors
            for index in _name_matches(self.descriptor_name_list, text.lower()):
                if len(found) >= limit:
                    break
                add((descriptors[index][0], "", descriptors[index][1]))
        return list(found.values())


def _name_matches(names: list, needle: str):
    """Indexes of the names that start with `needle`, then of those with a word that does."""
    word = " " + needle
    for prefix_only in (True, False):
        for index, name in enumerate(names):
            lowered = name.lower()
            if lowered.startswith(needle) if prefix_only else (word in lowered):
                yield index
