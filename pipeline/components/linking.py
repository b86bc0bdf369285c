"""Concept lookup over the shipped KB.

`DictionaryMatcher` finds exact/variant term matches in a Doc. It never touches Token
objects: a Doc is read as arrays (`doc.to_array([ORTH, IDX])`), and everything it needs
about a token's written form (its pieces, which pieces can start a term, the pattern
flags of `alsfacts_entities`) is computed once per vocabulary entry and cached. A
candidate is extended piece by piece only while the KB's prefix set says some term can
still continue it (see pipeline.kb).

`TfidfLinker` links free mention strings as scispaCy's `CandidateGenerator` does, over the
shipped KB: TF-IDF char 3-gram vectors (whose vocabulary and idf ship in linker.npz) searched
in an nmslib HNSW graph, and EntityLinker's rule (the best candidate at or above a similarity
threshold); results are cached per mention text.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy
from spacy.attrs import IDX, ORTH

from pipeline.components import doc_text  # noqa: F401  (re-exported for entities.py)
from pipeline.kb import ANN_INDEX_FILE, LINKER_FILE, load_kb, term_keys, token_pieces

MAX_TOKENS = 12  # a term spans at most this many tokens

# a match that ends inside a hyphenated token is kept when the rest of the token is one of these
MODIFIER_SUFFIXES = {
    "based", "derived", "associated", "mediated", "induced", "treated", "dependent", "related",
    "driven", "expressing", "positive", "negative", "linked", "specific", "targeted", "like",
    "deficient", "mutant", "knockout", "ko", "null", "reactive", "rich", "enriched", "containing",
    "producing", "secreting", "infused", "loaded", "conditioned", "activated", "directed",
}
MODIFIER_PREFIXES = {"nano", "mutant", "human", "recombinant", "misfolded", "phospho", "anti"}
_WHITESPACE_PIECES = ((0, 1, None, None),)  # a line break or space token: no term crosses it
# function words start no term ("in", "the", "and" are first words of a few MeSH/HGNC
# names, and would make every other token a candidate)
FUNCTION_WORDS = frozenset("""
a an the and or but nor of in on at by for from to with within without into onto as is are was were be
been being has have had do does did we our us it its this that these those which who whom whose than then
there their they them he she his her i you your not may might can could would should will shall must also
both either neither such so very via per vs versus after before during between among through about if
whether while when where how what all any each every some most more less other only same own
although though whereas whilst however because since unless despite thus therefore hence moreover furthermore
""".split())


# gene symbols matched ignoring case ("FoxP3", "Sod1") when the shape or a nearby word says gene
GENE_CASE_SCORE = 0.9
GENE_CONTEXT_WORDS = frozenset("""
gene genes protein proteins expression expressed mrna mrnas mutation mutations mutant mutants variant variants
knockdown knockout overexpression overexpressing transcript transcripts transcription phosphorylation
receptor receptors kinase kinases allele alleles locus encoding encoded isoform isoforms
""".split())
GENE_CONTEXT_WINDOW = 3
FORMULA_FLAGS = 64 | 128  # entities.F_FORMULA | entities.F_ELEMENT (set by the entity component's flagger)
_MIXED_CASE_RE = re.compile(r"[a-z][A-Z]")


def gene_shape_or_context(infos: list, start: int, first_piece: int, end: int, last_piece: int) -> bool:
    """Accept a gene symbol written in another case, as one token: letters and digits together ("p53", "Sod1"),
    a capital after a small letter ("FoxP3", "mTOR"), or, for other shapes except plain
    lower-case/title-case words, a gene word within GENE_CONTEXT_WINDOW tokens."""
    if end != start:
        return False  # one written token ("Mg 2" is magnesium, not MG2)
    pieces = infos[start].pieces
    text = infos[start].text[pieces[first_piece][0]:pieces[last_piece][1]]  # "gov" of "ClinicalTrials.gov"
    if infos[start].flags & FORMULA_FLAGS:
        return False  # "Ca2+", "Mg2": a formula or an ion, not CA2
    has_digit = any(c.isdigit() for c in text)
    has_alpha = any(c.isalpha() for c in text)
    if has_digit and has_alpha or _MIXED_CASE_RE.search(text):
        return len(text) >= 3
    if not text.isupper() or len(text) < 3:
        return False
    lo, hi = max(0, start - GENE_CONTEXT_WINDOW), min(len(infos), end + 1 + GENE_CONTEXT_WINDOW)
    return any(infos[t].text.lower() in GENE_CONTEXT_WORDS for t in range(lo, hi))


def token_offsets(doc, text: str = None) -> list:
    """[(start char, text)] of every token, without creating Token objects."""
    strings = doc.vocab.strings
    return [(s, strings[o]) for o, s in doc.to_array([ORTH, IDX]).tolist()]


@dataclass
class Match:
    start_char: int
    end_char: int
    concept_id: str
    label: str
    name: str
    score: float
    abbreviation_of: str = ""


class LexInfo:
    """What the matcher and the entity patterns need to know about one written form."""
    __slots__ = ("text", "pieces", "starts", "flags")

    def __init__(self, text: str, pieces: tuple, starts: tuple, flags: int):
        self.text = text
        self.pieces = pieces
        self.starts = starts
        self.flags = flags


class DictionaryMatcher:
    """Exact/variant matches of KB terms; `flagger(text) -> int` adds the caller's own
    per-word flags to the cached LexInfo."""

    def __init__(self, flagger=None, kb=None, gene_case_fallback: bool = False):
        self.kb = load_kb() if kb is None else kb
        self.flagger = flagger
        self.gene_case_fallback = gene_case_fallback
        self.lexicon: dict = {}
        self.dead_pairs: set = set()  # (word, next word) pairs that start no term

    # ------------------------------------------------------------ per word
    def lexinfo(self, orth: int, strings) -> LexInfo:
        text = strings[orth]
        pieces = _WHITESPACE_PIECES if text.isspace() else token_pieces(text)
        terms, prefixes = self.kb.terms, self.kb.prefixes
        starts = ()  # (piece, key, the key is a term, some term continues the key)
        for j, p in enumerate(pieces):
            norm = p[2]
            if norm is None or (norm in FUNCTION_WORDS and not p[3][1:].isupper()):
                continue
            is_term, is_prefix = norm in terms, norm in prefixes
            if is_term or is_prefix:
                starts += ((j, norm, is_term, is_prefix),)
        info = LexInfo(text, pieces, starts, self.flagger(text) if self.flagger else 0)
        self.lexicon[orth] = info
        return info

    def read(self, doc):
        """(LexInfo per token, start char per token) for a Doc."""
        arr = doc.to_array([ORTH, IDX])
        get = self.lexicon.get
        strings = doc.vocab.strings
        lexinfo = self.lexinfo
        infos = [get(o) or lexinfo(o, strings) for o in arr[:, 0].tolist()]
        return infos, arr[:, 1].tolist()

    # ------------------------------------------------------------ matching
    def match(self, infos: list, idxs: list) -> list:
        kb = self.kb
        terms, prefixes = kb.terms, kb.prefixes
        n = len(infos)
        found = []
        dead = self.dead_pairs
        if len(dead) > 1_000_000:
            dead.clear()
        for i in [i for i, info in enumerate(infos) if info.starts]:
            info = infos[i]
            pcs = info.pieces
            last = len(pcs) - 1
            for j, key, is_term, is_prefix in info.starts:
                best = (i, j, key) if is_term else None
                if is_prefix:
                    # a word and the next one that no term spans: known from an earlier scan
                    pair = (info, infos[i + 1]) if j == last and i + 1 < n else None
                    if pair is not None and not is_term and pair in dead:
                        continue
                    ti, tj, tp = i, j, pcs
                    while True:
                        tj += 1
                        if tj >= len(tp):
                            ti += 1
                            while ti < n and not infos[ti].pieces:  # possessive 's
                                ti += 1
                            if ti >= n or ti - i >= MAX_TOKENS:
                                break
                            tp = infos[ti].pieces
                            tj = 0
                        norm = tp[tj][2]
                        if norm is None:
                            if pair is not None and ti == i + 1 and tj == 0 and not is_term:
                                dead.add(pair)
                            break
                        key += norm
                        if key in terms and not (tj == 0 and len(tp) == 1 and norm in FUNCTION_WORDS
                                                 and infos[ti].text.islower()):
                            # keys join words without a space: "act in" is "actin", "clusters in"
                            # "clusterin"; a term never ends with a separate lower-case function word
                            best = (ti, tj, key)
                        if key not in prefixes:
                            if pair is not None and ti == i + 1 and tj == 0 and best is None:
                                dead.add(pair)
                            break
                if best is not None:
                    m = self._resolve(infos, idxs, i, j, best)
                    if m is not None:
                        found.append(m)
        return found

    def _resolve(self, infos, idxs, i, j, best):
        kb = self.kb
        bi, bj, key = best
        case_key = None
        gene = None  # an HGNC entry whose case did not match
        for ci, ck in kb.entries(key):
            if ck:
                if case_key is None:
                    case_key = self._case_key(infos, i, j, bi, bj)
                if ck != case_key:
                    if gene is None and self.gene_case_fallback and kb.concept_ids[ci].startswith("HGNC:"):
                        gene = ci
                    continue
            if not self._boundaries_ok(infos, i, j, bi, bj, bool(ck)):
                return None
            cid, label, name = kb.concept(ci)
            return Match(idxs[i] + infos[i].pieces[j][0], idxs[bi] + infos[bi].pieces[bj][1],
                         "" if cid.startswith("ALSFACTS:") else cid, label, name, 1.0)
        if gene is not None and gene_shape_or_context(infos, i, j, bi, bj) \
                and self._boundaries_ok(infos, i, j, bi, bj, True):
            cid, label, name = kb.concept(gene)
            return Match(idxs[i] + infos[i].pieces[j][0], idxs[bi] + infos[bi].pieces[bj][1], cid, label, name,
                         GENE_CASE_SCORE)
        return None

    @staticmethod
    def _case_key(infos, i, j, bi, bj) -> str:
        parts = []
        for t in range(i, bi + 1):
            pcs = infos[t].pieces
            lo = j if t == i else 0
            hi = bj if t == bi else len(pcs) - 1
            parts.extend(p[3] for p in pcs[lo:hi + 1])
        return "".join(parts)

    @staticmethod
    def _boundaries_ok(infos, i, j, bi, bj, case_sensitive) -> bool:
        """A match inside a hyphenated token is kept for symbols/acronyms, multi-token
        matches, punctuation boundaries and known modifier words ("SOD1-mediated", "nano-X")."""
        start_partial = j > 0
        end_pieces = infos[bi].pieces
        end_partial = bj < len(end_pieces) - 1
        if not start_partial and not end_partial:
            return True
        if case_sensitive or bi != i:
            return True
        if start_partial:
            prev = infos[i].pieces[j - 1][2]
            if prev is not None and prev not in MODIFIER_PREFIXES:
                return False
        if end_partial:
            nxt = end_pieces[bj + 1][2]
            if nxt is not None and nxt not in MODIFIER_SUFFIXES:
                return False
        return True


# ---------------------------------------------------------------- TF-IDF linker

_SPACES_RE = re.compile(r"\s\s+")


def trigram_rows(texts: list, column: dict) -> list:
    """Per text, {column: count} of the char 3-grams of each word padded with spaces
    (scikit-learn's `char_wb` analyzer, lower-cased)."""
    rows = []
    for text in texts:
        row: dict = {}
        for word in _SPACES_RE.sub(" ", text.lower()).split():
            w = " " + word + " "
            for o in range(len(w) - 2):
                c = column.get(w[o:o + 3])
                if c is not None:
                    row[c] = row.get(c, 0) + 1
        rows.append(row)
    return rows


def char_trigram_counts(texts: list, column: dict):
    """The trigram counts of `trigram_rows` as a CSR matrix over `column`'s vocabulary."""
    from scipy.sparse import csr_matrix

    indptr, indices, data = [0], [], []
    for row in trigram_rows(texts, column):
        for c in sorted(row):
            indices.append(c)
            data.append(row[c])
        indptr.append(len(indices))
    return csr_matrix((numpy.array(data, dtype=numpy.float32), numpy.array(indices, dtype=numpy.int32),
                       numpy.array(indptr, dtype=numpy.int32)), shape=(len(texts), len(column)))


def tfidf_rows(counts, idf):
    """L2-normalised tf-idf rows from raw counts (what TfidfVectorizer.transform gives)."""
    m = counts.copy()
    m.data = (m.data * idf[m.indices]).astype(numpy.float32)
    rows = numpy.repeat(numpy.arange(m.shape[0]), numpy.diff(m.indptr))
    norms = numpy.sqrt(numpy.bincount(rows, weights=m.data.astype(numpy.float64) ** 2, minlength=m.shape[0]))
    m.data = (m.data / norms[rows]).astype(numpy.float32)
    return m


class TrigramTfidf:
    """The vectorizer scispaCy's CandidateGenerator calls (`transform`): char 3-gram tf-idf,
    L2-normalised, exactly as scripts/build_kb.py built the index vectors (scikit-learn's
    `char_wb` analyzer, re-implemented on plain dicts because mention batches are tiny)."""

    def __init__(self, column: dict, idf: numpy.ndarray):
        self.column = column
        self.idf = idf.astype(numpy.float64).tolist()

    def transform(self, texts: list):
        from scipy.sparse import csr_matrix

        idf = self.idf
        indptr, indices, data = [0], [], []
        for row in trigram_rows(texts, self.column):
            cols = sorted(row)
            vals = [row[c] * idf[c] for c in cols]
            norm = sum(v * v for v in vals) ** 0.5 or 1.0
            indices.extend(cols)
            data.extend(v / norm for v in vals)
            indptr.append(len(indices))
        return csr_matrix((numpy.array(data, dtype=numpy.float32), numpy.array(indices, dtype=numpy.int32),
                           numpy.array(indptr, dtype=numpy.int32)), shape=(len(texts), len(self.column)))


class TfidfLinker:
    """Links free mention strings: TF-IDF char 3-gram vectors of the mentions, their `k` nearest
    aliases in the shipped nmslib HNSW index, each alias's concepts with similarity 1 - cosine
    distance (the best alias per concept), and scispaCy's `EntityLinker` rule: the best candidate
    whose similarity reaches `threshold`.

    This is what scispaCy's `CandidateGenerator` does with the same index; its module is not
    imported because it imports scikit-learn (for a TfidfVectorizer we do not use), which costs
    about 120 MB of memory in every worker process (scipy.stats, pandas)."""

    def __init__(self, threshold: float = 0.82, k: int = 10, ef_search: int = 50):
        logging.getLogger("nmslib").setLevel(logging.WARNING)  # its index logs every factory at INFO
        import nmslib
        from scipy.sparse import csr_matrix

        self.threshold = threshold
        self.k = k
        self.kb = load_kb()
        data = numpy.load(LINKER_FILE)
        vocab = data["vocab"].tolist()
        column = {g: i for i, g in enumerate(vocab)}
        idf = data["idf"]
        indptr = data["indptr"]
        counts = csr_matrix((data["counts"].astype(numpy.float32), data["indices"].astype(numpy.int32), indptr),
                            shape=(len(indptr) - 1, len(vocab)))
        index = nmslib.init(method="hnsw", space="cosinesimil_sparse", data_type=nmslib.DataType.SPARSE_VECTOR)
        index.addDataPointBatch(tfidf_rows(counts, idf))
        del counts
        index.loadIndex(str(ANN_INDEX_FILE), load_data=False)
        index.setQueryTimeParams({"efSearch": ef_search})
        self.index = index
        self.vectorizer = TrigramTfidf(column, idf)
        self.concept_indptr = data["concept_indptr"]  # alias (its row in the index) -> its concepts
        self.concepts = data["concepts"]
        self.cache: dict = {}  # lower-cased mention -> [(concept id, similarity)], best first

    def alias_concepts(self, alias: int) -> list:
        """Concept indices of one alias of the index."""
        return self.concepts[self.concept_indptr[alias]:self.concept_indptr[alias + 1]].tolist()

    def _candidates(self, texts: list) -> None:
        vectors = self.vectorizer.transform(texts)
        found = numpy.flatnonzero(vectors.getnnz(axis=1))  # nmslib fails on an all-zero vector
        neighbours = dict(zip(found.tolist(), self.index.knnQueryBatch(vectors[found], k=self.k))) if len(found) else {}
        ids = self.kb.concept_ids
        for i, text in enumerate(texts):
            best: dict = {}
            if i in neighbours:
                aliases, distances = neighbours[i]
                for alias, distance in zip(aliases.tolist(), distances.tolist()):
                    similarity = 1.0 - distance
                    for ci in self.alias_concepts(alias):
                        cid = ids[ci]
                        if similarity > best.get(cid, -1.0):
                            best[cid] = similarity
            self.cache[text] = sorted(((cid, sim) for cid, sim in best.items() if sim >= self.threshold),
                                      key=lambda x: (-x[1], x[0]))

    def link(self, mentions: list, allowed_types=None) -> list:
        """For each mention text: (concept id, type, name, similarity) or None."""
        if not mentions:
            return []
        lowered = [m.lower() for m in mentions]
        uncached = sorted({m for m in lowered if m not in self.cache})
        if uncached:
            self._candidates(uncached)
        kb = self.kb
        out = []
        for m in lowered:
            hit = None
            for cid, sim in self.cache[m]:
                _, typ, name = kb.concept(kb.index_of[cid])
                if allowed_types and typ not in allowed_types:
                    continue
                hit = ("" if cid.startswith("ALSFACTS:") else cid, typ, name, float(sim))
                break
            out.append(hit)
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


__all__ = ["DictionaryMatcher", "TfidfLinker", "Match", "LexInfo", "doc_text", "get_tfidf_linker",
           "lookup", "term_keys", "token_offsets"]
