"""Concept lookup over the shipped KB.

`DictionaryMatcher` finds exact/variant term matches in a Doc (a trie-like scan over
the token pieces, keyed by the normalised concatenation of pieces, see pipeline.kb).
`TfidfLinker` links free mention strings with scispaCy's CandidateGenerator over the
TF-IDF char-3-gram + nmslib index built by scripts/build_kb.py, with EntityLinker-style
thresholding.
"""
from __future__ import annotations

import gzip
import pickle
from dataclasses import dataclass

from pipeline.kb import ANN_INDEX_FILE, LINKER_FILE, load_kb, term_keys, token_pieces

MAX_PIECES = 12


def token_offsets(doc, text: str = None) -> list:
    """[(start char, text)] of every token, without creating Token objects
    (pass doc.text when you have it: spaCy rebuilds it on every access)."""
    from spacy.attrs import IDX, LENGTH
    arr = doc.to_array([IDX, LENGTH]).tolist()
    if text is None:
        text = doc.text
    return [(s, text[s:s + n]) for s, n in arr]
# a match that ends inside a hyphenated token is kept when the rest of the token is one of these
MODIFIER_SUFFIXES = {
    "based", "derived", "associated", "mediated", "induced", "treated", "dependent", "related",
    "driven", "expressing", "positive", "negative", "linked", "specific", "targeted", "like",
    "deficient", "mutant", "knockout", "ko", "null", "reactive", "rich", "enriched", "containing",
    "producing", "secreting", "infused", "loaded", "conditioned", "activated", "directed",
}
MODIFIER_PREFIXES = {"nano", "mutant", "human", "recombinant", "misfolded", "phospho", "anti"}


@dataclass
class Match:
    start_char: int
    end_char: int
    concept_id: str
    label: str
    name: str
    score: float
    abbreviation_of: str = ""


class DictionaryMatcher:
    def __init__(self):
        self.kb = load_kb()

    def pieces(self, offsets: list):
        """Flat piece stream: (norm, case key, start char, end char, token i, first, last)."""
        out = []
        append = out.append
        for i, (base, text) in enumerate(offsets):
            tp = token_pieces(text)
            last = len(tp) - 1
            for j, (s, e, norm, ck) in enumerate(tp):
                append((norm, ck, base + s, base + e, i, j == 0, j == last))
        return out

    def match(self, doc, offsets: list = None) -> list:
        kb = self.kb
        terms, starts, entries = kb.terms, kb.starts, kb.entries
        pcs = self.pieces(offsets if offsets is not None else token_offsets(doc))
        n = len(pcs)
        found = []
        for p in range(n):
            norm = pcs[p][0]
            if norm is None:
                continue
            # the first 4 characters of the key decide whether any term can start here
            # (keys shorter than 4 characters are indexed under themselves)
            head = norm
            limit = starts.get(head) if len(head) < 4 else 0
            q = p
            while len(head) < 4 and q + 1 < n and pcs[q + 1][0] is not None and q + 1 - p < MAX_PIECES:
                q += 1
                head += pcs[q][0]
                if len(head) < 4:
                    limit = max(limit or 0, starts.get(head, 0))
            limit = max(limit or 0, starts.get(head[:4], 0))
            if not limit:
                continue
            best = None
            key = ""
            for q in range(p, min(n, p + MAX_PIECES)):
                pq = pcs[q]
                if pq[0] is None:
                    break  # punctuation other than hyphens: no term crosses it
                key += pq[0]
                if len(key) > limit:
                    break
                if key in terms:
                    best = (q, key)
            if best is None:
                continue
            q, key = best
            case_key = None
            for ci, ck in entries(key):
                if ck:
                    if case_key is None:
                        case_key = "".join(pcs[r][1] for r in range(p, q + 1))
                    if ck != case_key:
                        continue
                if not self._boundaries_ok(pcs, p, q, bool(ck)):
                    break
                cid, label, name = kb.concept(ci)
                found.append(Match(pcs[p][2], pcs[q][3], "" if cid.startswith("ALSFACTS:") else cid,
                                   label, name, 1.0))
                break
        return found

    @staticmethod
    def _boundaries_ok(pcs, p, q, case_sensitive):
        """A match inside a hyphenated token is kept for symbols/acronyms, multi-token
        matches, punctuation boundaries and known modifier words ("SOD1-mediated", "nano-X")."""
        start_partial = not pcs[p][5]
        end_partial = not pcs[q][6]
        if not start_partial and not end_partial:
            return True
        if case_sensitive or pcs[p][4] != pcs[q][4]:
            return True
        if start_partial:
            prev = pcs[p - 1][0]
            if prev is not None and prev not in MODIFIER_PREFIXES:
                return False
        if end_partial:
            nxt = pcs[q + 1][0]
            if nxt is not None and nxt not in MODIFIER_SUFFIXES:
                return False
        return True


class TfidfLinker:
    """scispaCy CandidateGenerator over our own TF-IDF/nmslib index; returns the best
    concept above `threshold` (cosine similarity), EntityLinker-style."""

    def __init__(self, threshold: float = 0.82, k: int = 10):
        import nmslib
        from scispacy.candidate_generation import CandidateGenerator
        from scispacy.linking_utils import Entity, KnowledgeBase

        self.threshold = threshold
        self.k = k
        self.kb_terms = load_kb()
        with gzip.open(LINKER_FILE, "rb") as fh:
            data = pickle.load(fh)
        index = nmslib.init(method="hnsw", space="cosinesimil_sparse",
                            data_type=nmslib.DataType.SPARSE_VECTOR)
        index.addDataPointBatch(data["matrix"])
        index.loadIndex(str(ANN_INDEX_FILE), load_data=False)
        index.setQueryTimeParams({"efSearch": 100})
        by_concept: dict = {}
        for alias, cids in zip(data["aliases"], data["concepts"]):
            for cid in cids:
                by_concept.setdefault(cid, []).append(alias)
        entities = [Entity(concept_id=cid, canonical_name=al[0], aliases=al) for cid, al in by_concept.items()]
        self.kb = KnowledgeBase(entities)
        self.generator = CandidateGenerator(ann_index=index, tfidf_vectorizer=data["vectorizer"],
                                            ann_concept_aliases_list=data["aliases"], kb=self.kb)

    def link(self, mentions: list, allowed_types=None) -> list:
        """For each mention text: (concept id, type, name, similarity) or None."""
        if not mentions:
            return []
        kbt = self.kb_terms
        out = []
        for cands in self.generator([m.lower() for m in mentions], self.k):
            best = None
            for c in cands:
                sim = max(c.similarities)
                i = kbt.index_of.get(c.concept_id)
                if i is None or sim < self.threshold:
                    continue
                cid, typ, name = kbt.concept(i)
                if allowed_types and typ not in allowed_types:
                    continue
                if best is None or sim > best[3]:
                    best = (cid, typ, name, float(sim))
            out.append(best)
        return out


_LINKER = None


def get_tfidf_linker() -> TfidfLinker:
    global _LINKER
    if _LINKER is None:
        _LINKER = TfidfLinker()
    return _LINKER


def lookup(text: str):
    """Exact/variant lookup of a whole string: (concept id, type, name) or None."""
    return load_kb().lookup(text)


__all__ = ["DictionaryMatcher", "TfidfLinker", "Match", "get_tfidf_linker", "lookup", "term_keys"]
