"""Terms mined from annotated documents, kept where cross-validated precision holds.

A gold set (FACTS_SPEC §3: docs.jsonl, entities.jsonl, facts.jsonl) gives mention texts
with their type and concept id, but no offsets. Every entity line and every fact argument
is a candidate term (lower-cased text -> its most frequent (type, concept id)).

Whether a term is safe to match everywhere is measured, not assumed: documents are split
into folds by document; a term mined from the other folds is looked up in each held-out
document's text (word boundaries, an optional plural "s"), and every document where it
occurs counts as a hit when that document's gold has an item the scorer would match
(same type, and the same concept id or one text containing the other as tokens). A term's
cross-validated precision is hits / held-out documents where it occurs.

`scripts/mine_gold_terms.py` writes the selected terms to `pipeline/kb/mined_terms.tsv`,
which `alsfacts_entities` matches next to the KB (see `MinedLayer`).
"""
from __future__ import annotations

import csv
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from pipeline.kb import KB_DIR, needs_case, term_keys, term_prefixes
from pipeline.training.gold import document_text, load_gold_documents, read_jsonl  # noqa: F401  (re-exported)

MINED_TERMS_FILE = KB_DIR / "mined_terms.tsv"
SILVER_TERMS_FILE = KB_DIR / "silver_terms.tsv"  # the terms only the silver documents have (AlsEntities._add_silver_terms)
MINED_COLUMNS = ["term", "type", "concept_id", "support_docs", "heldout_docs", "heldout_hits", "precision"]
WORD_RE = re.compile(r"[a-z0-9]+")
# mentions that stand for something else (FACTS_SPEC: pronoun arguments carry their referent's id)
NEVER_TERMS = {
    "it", "its", "they", "them", "this", "these", "those", "that", "which", "both", "we", "he", "she",
    "one", "ones", "the", "a", "an",
}
MIN_TERM_CHARS = 2


@dataclass
class GoldDoc:
    doc_id: str
    text: str
    lower: str
    items: list  # (type, concept id, lower text)


def gold_mentions(entities: list, facts: list) -> list:
    """(doc id, text, type, concept id) of every entity line and fact argument."""
    out = [(e["doc_id"], e.get("text") or "", e.get("type") or "", e.get("concept_id") or "") for e in entities]
    for f in facts:
        for side in ("subject", "object"):
            arg = f.get(side) or {}
            out.append((f["doc_id"], arg.get("text") or "", arg.get("type") or "", arg.get("concept_id") or ""))
    return [m for m in out if m[1].strip() and m[2]]


def mining_documents(gold_documents: list) -> list:
    """Annotated documents (pipeline.training.gold.GoldDocument: gold or silver) with their
    lower-cased items: every entity line and fact argument."""
    out = []
    for gold in gold_documents:
        items = [(typ, cid, " ".join(text.lower().split()))
                 for _doc_id, text, typ, cid in gold_mentions(gold.entities, gold.facts)]
        out.append(GoldDoc(gold.doc_id, gold.text, gold.text.lower(), items))
    return out


def load_gold_docs(directory: Path) -> list:
    """The documents of a gold set (read by pipeline.training.gold) with their lower-cased
    gold items: every entity line and fact argument."""
    return mining_documents(load_gold_documents(directory))


def assign_folds(doc_ids: list, k: int = 5, seed: int = 7) -> dict:
    """doc id -> fold, a fixed shuffle of the sorted ids (document-level folds)."""
    ids = sorted(doc_ids)
    random.Random(seed).shuffle(ids)
    return {doc_id: i % k for i, doc_id in enumerate(ids)}


def words(text: str) -> list:
    return WORD_RE.findall(text.lower())


def tokens_contain(first: str, second: str) -> bool:
    """One text contains the other as a token sequence (FACTS_SPEC §4)."""
    a, b = words(first), words(second)
    if not a or not b:
        return False
    if len(a) < len(b):
        a, b = b, a
    n = len(b)
    return any(a[i:i + n] == b for i in range(len(a) - n + 1))


def minable(text: str) -> bool:
    low = text.lower()
    return len(low) >= MIN_TERM_CHARS and low not in NEVER_TERMS and any(c.isalpha() for c in low) \
        and term_keys(text) is not None


def candidate_terms(docs: list) -> dict:
    """lower text -> (type, concept id, written form, support docs): each text's most frequent
    reading over the documents (ties: the one with an id, then alphabetical)."""
    readings = defaultdict(Counter)
    forms = defaultdict(Counter)
    support = defaultdict(set)
    for d in docs:
        seen = set()
        for typ, cid, low in d.items:
            if (typ, cid, low) in seen or not minable(low):
                continue
            seen.add((typ, cid, low))
            readings[low][(typ, cid)] += 1
        for typ, cid, low in seen:
            forms[low][written_form(d.text, low)] += 1
            support[low].add(d.doc_id)
    out = {}
    for low, counter in readings.items():
        (typ, cid), _count = sorted(counter.items(), key=lambda kv: (-kv[1], not kv[0][1], kv[0]))[0]
        form = forms[low].most_common(1)[0][0]
        out[low] = (typ, cid, form, len(support[low]))
    return out


def written_form(text: str, low: str) -> str:
    """The term as the document writes it (first occurrence), else the lower-cased text."""
    at = text.lower().find(low)
    return text[at:at + len(low)] if at >= 0 else low


def term_pattern(low: str) -> re.Pattern:
    return re.compile(r"(?<![a-z0-9])" + re.escape(low) + r"(?:e?s)?(?![a-z0-9])")


def occurs(low: str, pattern: re.Pattern, doc: GoldDoc) -> bool:
    return low in doc.lower and pattern.search(doc.lower) is not None


def gold_has(doc: GoldDoc, typ: str, cid: str, low: str) -> bool:
    """Would the scorer count a prediction (typ, cid, low) in this document as correct?"""
    for gtyp, gcid, gtext in doc.items:
        if gtyp != typ:
            continue
        if cid and gcid:
            if cid == gcid:
                return True
            continue
        if tokens_contain(gtext, low):
            return True
    return False


RUN_RE = re.compile(r"[a-z0-9]+")
ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class TermFinder:
    """Which of many lower-cased terms occur in a lower-cased text, as `term_pattern` finds them
    (word boundaries, an optional plural "s"/"es"), without a regex per term: terms are indexed by
    their first run of letters and digits and tried only where the text has that run."""

    def __init__(self, terms):
        self.by_run = defaultdict(list)
        self.others = []  # terms that do not start with a letter or digit ("α-synuclein")
        for low in terms:
            first = RUN_RE.match(low)
            (self.by_run[first.group()] if first else self.others).append(low)

    @staticmethod
    def _ends_at_boundary(lower: str, end: int) -> bool:
        for suffix in ("es", "s", ""):
            if lower.startswith(suffix, end):
                after = end + len(suffix)
                if after >= len(lower) or lower[after] not in ALNUM:
                    return True
        return False

    def found(self, lower: str) -> set:
        out = set()
        for run in RUN_RE.finditer(lower):
            start, word = run.start(), run.group()
            keys = [word] + ([word[:-1]] if word.endswith("s") else []) + ([word[:-2]] if word.endswith("es") else [])
            for key in keys:
                for low in self.by_run.get(key, ()):
                    if low not in out and lower.startswith(low, start) and self._ends_at_boundary(lower, start + len(low)):
                        out.add(low)
        out.update(low for low in self.others if low in lower and term_pattern(low).search(lower))
        return out


def gold_first_terms(docs: list, extra: list) -> dict:
    """`candidate_terms` of `docs` and `extra` together, a term `docs` have taking their reading
    (gold's conventions decide; the extra documents, silver ones, only add names)."""
    out = candidate_terms(extra) if extra else {}
    out.update(candidate_terms(docs))
    return out


def cross_validated_terms(docs: list, k: int = 5, seed: int = 7, extra: list = ()) -> list:
    """Every candidate term of `docs` (and of `extra`) with its held-out counts, summed over the
    k folds of `docs` in which it was mined from the other folds and `extra` (the counts of fold
    f are taken on fold f only: `extra` documents are never held out, never counted)."""
    extra = list(extra)
    folds = assign_folds([d.doc_id for d in docs], k, seed)
    by_fold = defaultdict(list)
    for d in docs:
        by_fold[folds[d.doc_id]].append(d)
    stats = defaultdict(lambda: [0, 0])  # (low, type, cid) -> [held-out docs, hits]
    gold_terms = candidate_terms(docs) if extra else None
    extra_terms = candidate_terms(extra) if extra else {}
    for f in range(k):
        train = [d for d in docs if folds[d.doc_id] != f]
        train_terms = candidate_terms(train)
        candidates = {**extra_terms, **train_terms}  # gold_first_terms(train, extra)
        # a term gold/train has is counted only in the folds whose training documents have it, as
        # without the extra documents: they add terms, and change nothing about gold's own
        not_counted = set(gold_terms) - set(train_terms) if extra else set()
        finder = TermFinder(candidates)
        for d in by_fold[f]:
            for low in finder.found(d.lower):
                if low in not_counted:
                    continue
                typ, cid, _form, _support = candidates[low]
                s = stats[(low, typ, cid)]
                s[0] += 1
                s[1] += gold_has(d, typ, cid, low)
    rows = []
    for low, (typ, cid, form, support) in sorted(gold_first_terms(docs, extra).items()):
        n, hits = stats.get((low, typ, cid), (0, 0))
        rows.append({"term": form, "type": typ, "concept_id": cid, "support_docs": support,
                     "heldout_docs": n, "heldout_hits": hits, "precision": round(hits / n, 3) if n else "",
                     # a term gold/train has, or one only the extra (silver) documents have
                     "source": "gold" if gold_terms is None or low in gold_terms else "silver"})
    return rows


def specific(term: str) -> bool:
    """A term that names one thing even without held-out evidence: several words, or a
    symbol/code shape (a digit, or a capital after the first letter)."""
    return len(term.split()) > 1 or any(c.isdigit() for c in term) or any(c.isupper() for c in term[1:])


def names_its_concept(term: str, concept_id: str) -> bool:
    """A single lower-case word with an id must name that concept (share a word stem with the
    concept's name): "neuronal" -> Neurons, not "disease"/"risk"/"groups" -> the document's ALS."""
    if not concept_id or len(term.split()) > 1 or term != term.lower() or specific(term):
        return True
    from pipeline.kb import load_kb

    kb = load_kb()
    index = kb.index_of.get(concept_id)
    if index is None:
        return False
    stems = {w[:5] for w in words(kb.concept(index)[2])}
    return term.lower()[:5] in stems


def select_terms(rows: list, min_precision: float = 0.5, min_heldout: int = 1, keep_unseen: bool = True) -> list:
    """Terms whose cross-validated precision holds; terms never seen in a held-out document are
    kept only when `specific` (they occur rarely, so they cost little precision). Generic words
    that gold ties to the document's concept ("the disease", "risk") are dropped."""
    out = []
    for r in rows:
        if not names_its_concept(r["term"], r["concept_id"]):
            continue
        n = r["heldout_docs"]
        if n >= min_heldout:
            if r["heldout_hits"] / n >= min_precision:
                out.append(r)
        elif keep_unseen and specific(r["term"]):
            out.append(r)
    return out


def write_terms(rows: list, path: Path, source: str = "../shared/gold/train") -> Path:
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(f"# Terms mined from {source} by scripts/mine_gold_terms.py (do not edit by hand).\n")
        fh.write("# precision: held-out documents where the term occurs and gold lists it / where it occurs "
                 "(5-fold document-level cross-validation; empty = never seen in a held-out document).\n")
        writer = csv.DictWriter(fh, fieldnames=MINED_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({c: r.get(c, "") for c in MINED_COLUMNS})
    return path


def shipped_terms() -> list:
    """The shipped mined terms: pipeline/kb/mined_terms.tsv (gold/train's) and silver_terms.tsv (the
    silver documents' only, `source` "silver"), as `AlsEntities.use_mined_terms` takes them."""
    return read_terms(MINED_TERMS_FILE) + [dict(r, source="silver") for r in read_terms(SILVER_TERMS_FILE)]


def read_terms(path: Path) -> list:
    path = Path(path)
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return [r for r in csv.DictReader(lines, delimiter="\t") if r.get("term")]


class MinedLayer:
    """The mined terms in the shape DictionaryMatcher reads from the KB: a term dictionary
    (key -> ((concept index, case key or "")...)), its prefixes and the concepts."""

    def __init__(self, rows: list, preferred_names=None):
        """`preferred_names`: a KB whose name for a concept id wins over the mined written form."""
        self.concept_ids, self.concept_types, self.concept_names = [], [], []
        index_of = preferred_names.index_of if preferred_names is not None else {}
        self.terms: dict = {}
        self.prefixes: set = set()
        for r in rows:
            keys = term_keys(r["term"])
            if keys is None:
                continue
            key, case_key = keys
            if key in self.terms:
                continue
            self.concept_ids.append(r.get("concept_id") or "")
            self.concept_types.append(r["type"])
            known = index_of.get(r.get("concept_id") or "")
            self.concept_names.append(preferred_names.concept_names[known] if known is not None else r["term"])
            ci = len(self.concept_ids) - 1
            self.terms[key] = ((ci, case_key if needs_case(r["term"], case_key) else ""),)
            self.prefixes |= term_prefixes(r["term"])

    def __len__(self) -> int:
        return len(self.terms)

    def entries(self, key: str):
        return self.terms.get(key, ())

    def concept(self, i: int):
        return self.concept_ids[i], self.concept_types[i], self.concept_names[i]
