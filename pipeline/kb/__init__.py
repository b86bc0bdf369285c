"""The alsfacts knowledge base: term normalisation (shared by the builder and the matcher)
and loading of the artifacts that `scripts/build_kb.py` writes into this folder.

A written form is cut into *pieces*: runs of word characters. Hyphens, spaces and
apostrophes only glue pieces together, so "IL-2", "IL2" and "IL 2", or "T-cells" and
"T cells", get the same key. Other punctuation is a barrier that no term crosses.
Each piece is lower-cased, Greek letters are spelled out (α -> alpha) and a plural "s"
is dropped, so the key of "TNF-α" is "tnfalpha" and of "regulatory T-cells" is
"regulatorytcell". Case-sensitive terms (symbols and acronyms) also keep a case key
in which only the first letter of each piece is lower-cased ("ALS" -> "aLS").

The term dictionary ships with the set of its *prefixes*: the keys of the leading pieces
of every term ("regulatory", "regulatoryt" for "regulatory T cells"), also split where
letters meet digits or Greek letters ("il" for "IL2"), so a matcher extends a candidate
only while some term can still continue it.
"""
from __future__ import annotations

import gc
import gzip
import json
import os
import pickle
import re
import time
from functools import lru_cache
from pathlib import Path

KB_DIR = Path(__file__).resolve().parent            # curated tables (and shipped artifacts)
# the built artifacts; ALSFACTS_KB_DIR points at another build (to try one before shipping it)
ARTIFACT_DIR = Path(os.environ.get("ALSFACTS_KB_DIR") or KB_DIR)
TERMS_FILE = ARTIFACT_DIR / "terms.pkl.gz"
LINKER_FILE = ARTIFACT_DIR / "linker.npz"
ANN_INDEX_FILE = ARTIFACT_DIR / "linker_ann.bin"
MANIFEST_FILE = ARTIFACT_DIR / "manifest.json"
XREFS_FILE = ARTIFACT_DIR / "xrefs.tsv.gz"       # HGNC id -> NCBI Gene id

GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu",
    "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi",
    "χ": "chi", "ψ": "psi", "ω": "omega", "Α": "alpha", "Β": "beta", "Γ": "gamma",
    "Δ": "delta", "Κ": "kappa",
}
GLUE_CHARS = "-‐‑‒–—'’ \u00a0"  # join pieces without breaking a term
POSSESSIVES = {"'s", "’s", "'", "’"}
PIECE_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_GREEK_RE = re.compile("|".join(GREEK))
# pieces that are symbols inside a term (kept in the key, e.g. "CD4+")
SYMBOL_PIECES = {"+"}


def spell_greek(text: str) -> str:
    if text.isascii():
        return text
    return _GREEK_RE.sub(lambda m: GREEK[m.group(0)], text) if _GREEK_RE.search(text) else text


def norm_piece(piece: str) -> str:
    """Lower-case, spell Greek letters, drop a plural s ("cells" -> "cell", not "ALS"/"FUS")."""
    p = spell_greek(piece).lower()
    if len(p) > 3 and p[-1] == "s" and p[-2] not in "siuy" and not p[-2].isdigit():
        p = p[:-1]
    return p


def case_piece(piece: str) -> str:
    p = spell_greek(piece)
    return p[:1].lower() + p[1:]


@lru_cache(maxsize=200_000)
def token_pieces(text: str) -> tuple:
    """Pieces of one token: tuple of (start offset in token, end offset, norm, case key).
    norm is None for a barrier piece (punctuation other than glue)."""
    if text in POSSESSIVES:
        return ()
    if text.isascii() and text.isalnum():
        return ((0, len(text), norm_piece(text), case_piece(text)),)
    out = []
    for m in PIECE_RE.finditer(text):
        s = m.group(0)
        if s in GLUE_CHARS:
            continue
        if len(s) == 1 and not (s.isalnum() or s == "_") and s not in SYMBOL_PIECES:
            if s in GREEK:
                out.append((m.start(), m.end(), GREEK[s], GREEK[s]))
            else:
                out.append((m.start(), m.end(), None, None))  # barrier
            continue
        out.append((m.start(), m.end(), norm_piece(s), case_piece(s)))
    return tuple(out)


def term_norms(term: str):
    """The norms of a written form's pieces, or None when it crosses a barrier."""
    term = re.sub(r"['’]s\b", "", term)
    norms, cases = [], []
    for word in term.split():
        for _s, _e, n, c in token_pieces(word):
            if n is None:
                return None
            norms.append(n)
            cases.append(c)
    return (norms, cases) if norms else None


def term_keys(term: str):
    """(key, case key) of a written form, or None when it crosses a barrier."""
    pieces = term_norms(term)
    if pieces is None:
        return None
    return "".join(pieces[0]), "".join(pieces[1])


_DIGIT_CUT_RE = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_GREEK_NAMES = sorted(set(GREEK.values()))


def _inner_cuts(norm: str) -> set:
    """Positions inside a piece's norm where a text may split it: letters meeting digits,
    and the start of a spelled Greek letter ("tnf|alpha")."""
    cuts = {m.start() for m in _DIGIT_CUT_RE.finditer(norm)}
    for name in _GREEK_NAMES:
        at = norm.find(name, 1)
        if at > 0:
            cuts.add(at)
    return cuts


def term_prefixes(term: str) -> set:
    """Proper prefixes of a written form's key at piece boundaries and inner cuts."""
    pieces = term_norms(term)
    if pieces is None:
        return set()
    out = set()
    key = ""
    for norm in pieces[0]:
        for cut in _inner_cuts(norm):
            out.add(key + norm[:cut])
        key += norm
        out.add(key)
    out.discard(key)
    return out


def needs_case(term: str, case_key: str) -> bool:
    """Symbols and acronyms (an upper-case letter after a piece's first letter) and very
    short forms are matched case-sensitively."""
    compact = re.sub(r"[\W_]", "", term)
    return case_key != case_key.lower() or len(compact) <= 3


# ---------------------------------------------------------------- loading

_KB = None


class KB:
    """Loaded artifacts: concepts, the term dictionary and the first-piece index."""

    def __init__(self, data: dict, manifest: dict):
        self.concept_ids: list = data["concept_ids"]
        self.concept_types: list = data["concept_types"]
        self.concept_names: list = data["concept_names"]
        self.terms: dict = data["terms"]          # key -> int | tuple of (concept, case key)
        self.prefixes: set = set(data["prefixes"])  # keys that some longer term continues (stored sorted)
        # untyped MeSH descriptors (processes, techniques): ids for mentions found otherwise, never matched
        self.descriptors: list = data.get("descriptors", [])
        self.descriptor_terms: dict = data.get("descriptor_terms", {})
        self.version: str = manifest["version"]
        self.manifest = manifest
        self._index_of = None
        self.load_seconds = 0.0

    @property
    def index_of(self) -> dict:
        """concept id -> concept index (built on first use)."""
        if self._index_of is None:
            self._index_of = {cid: i for i, cid in enumerate(self.concept_ids)}
        return self._index_of

    def entries(self, key: str):
        """[(concept index, case key or "")] for a key."""
        v = self.terms.get(key)
        if v is None:
            return ()
        if isinstance(v, int):
            return ((v, ""),)
        return v

    def concept(self, i: int):
        return self.concept_ids[i], self.concept_types[i], self.concept_names[i]

    def lookup(self, text: str):
        """Exact/variant lookup of a whole written form: (id, type, name) or None."""
        keys = term_keys(text)
        if keys is None:
            return None
        key, case_key = keys
        for ci, ck in self.entries(key):
            if not ck or ck == case_key:
                return self.concept(ci)
        return None

    def descriptor(self, text: str):
        """(MeSH id, name) of the one untyped descriptor that has this written form, or None."""
        keys = term_keys(text)
        i = self.descriptor_terms.get(keys[0]) if keys else None
        return None if i is None else tuple(self.descriptors[i])


def load_kb() -> KB:
    """Load the shipped artifacts once per process (no network, no build)."""
    global _KB
    if _KB is None:
        t0 = time.perf_counter()
        manifest = json.loads(MANIFEST_FILE.read_text())
        with gzip.open(TERMS_FILE, "rb") as fh:
            data = pickle.load(fh)
        _KB = KB(data, manifest)
        # millions of long-lived objects: keep them out of the cyclic garbage collector's
        # scans, which would otherwise walk them all on every full collection
        gc.freeze()
        _KB.load_seconds = time.perf_counter() - t0
    return _KB


@lru_cache(maxsize=1)
def ncbi_gene_ids() -> dict:
    """HGNC id -> "NCBIGene:<id>" (scripts/build_kb.py writes the table from HGNC's own
    cross-references), for comparing with corpora that key genes by NCBI Gene (BioRED)."""
    with gzip.open(XREFS_FILE, "rt", encoding="utf-8") as fh:
        next(fh)
        return dict(line.rstrip("\n").split("\t") for line in fh)


def kb_version() -> str:
    return json.loads(MANIFEST_FILE.read_text())["version"]
