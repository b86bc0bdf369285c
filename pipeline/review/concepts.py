"""Concept look-up for the review app's id picker, over the shipped knowledge base (pipeline.kb).

The knowledge base (about 300,000 concepts) is loaded on first use, once per process.
`get` checks an id; `search` finds concepts by id, by a written form the extractor
knows (exact or variant), then by name prefix and by a word of the name.
"""

from __future__ import annotations

import threading

from pipeline.schema import ENTITY_TYPES

MAX_RESULTS = 20


class Concepts:
    def __init__(self):
        self._kb = None
        self._lock = threading.Lock()

    @property
    def kb(self):
        if self._kb is None:
            with self._lock:
                if self._kb is None:
                    from pipeline.kb import load_kb

                    self._kb = load_kb()
        return self._kb

    def get(self, concept_id: str) -> tuple[str, str, str] | None:
        """(id, type, name) of a concept whose type FACTS_SPEC knows, or None."""
        index = self.kb.index_of.get(concept_id)
        if index is None:
            return None
        concept = self.kb.concept(index)
        return concept if concept[1] in ENTITY_TYPES else None

    def search(self, text: str, entity_type: str = "", limit: int = MAX_RESULTS) -> list[dict]:
        """Concepts matching text, best first: [{"id", "type", "name"}]."""
        text = " ".join(text.split())[:100]
        if len(text) < 2:
            return []
        kb, found = self.kb, {}

        def add(concept):
            if concept and concept[1] in ENTITY_TYPES and (not entity_type or concept[1] == entity_type):
                found.setdefault(concept[0], {"id": concept[0], "type": concept[1], "name": concept[2]})

        add(self.get(text))
        add(kb.lookup(text))
        needle = text.lower()
        word = " " + needle
        for prefix_only in (True, False):
            for index, name in enumerate(kb.concept_names):
                if len(found) >= limit:
                    return list(found.values())
                lowered = name.lower()
                if lowered.startswith(needle) if prefix_only else (word in lowered):
                    add(kb.concept(index))
        return list(found.values())
