"""Agreement across documents in the review app (issue 9): who agrees with a fact, who contradicts it.

Uses `pipeline.evidence` (the rules of the claims table) on the store's present facts with
their curated values; a rejected fact is not evidence. The app calls four things:
`fact_agreement` for the fact page, `claim_agreement` for the claim view,
`queue_agreement` for the queue's badges and `prepare_filter` before a queue query
that filters or sorts by agreement (store.FactFilter's `agreement` and `agreement_sort`).

What is worked out over all facts (the evidence index, each fact's agreement, the queue's
agreement table) is kept per database file while `store.state_signature` stays the same: a
decision or a newly loaded run changes the signature, and the next request works it out anew.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict, defaultdict

from pipeline import store
from pipeline.evidence import Evidence, EvidenceIndex

AGREEMENT_FILTERS = store.AGREEMENTS
AGREEMENT_SORTS = store.AGREEMENT_SORTS


def _evidence_fact(fact: dict) -> dict:
    """The curated values of a store fact, with what the views show about it."""
    return {**fact["effective"], "content_key": fact["content_key"], "status": fact["status"],
            "doc_title": fact.get("doc_title"), "original": fact}


class StateCache:
    """Values worked out over a whole store, per database file, for as long as its state signature
    holds (a few databases at most; thread-safe: the app answers requests from a thread pool)."""

    def __init__(self, databases: int = 4):
        self.databases = databases
        self.lock = threading.Lock()
        self.entries: OrderedDict = OrderedDict()  # database file -> (signature, {name: value})

    def values(self, conn) -> dict:
        """The cached values of this connection's database in its present state (a dict to fill)."""
        database = next((row[2] for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
        signature = store.state_signature(conn)
        with self.lock:
            entry = self.entries.get(database)
            if entry is None or entry[0] != signature:
                entry = self.entries[database] = (signature, {})
            self.entries.move_to_end(database)
            while len(self.entries) > self.databases:
                self.entries.popitem(last=False)
            return entry[1]

    def get(self, conn, name: str, compute):
        values = self.values(conn)
        if name not in values:  # two threads may both compute it: same state, same value
            values[name] = compute(conn)
        return values[name]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


CACHE = StateCache()


def _build_index(conn) -> EvidenceIndex:
    facts = store.list_facts(conn, store.FactFilter(status="all", sort="document"))
    return EvidenceIndex([_evidence_fact(f) for f in facts if f["status"] != "rejected"])


def store_index(conn) -> EvidenceIndex:
    """The evidence index of the store's present facts (cached while the store is unchanged)."""
    return CACHE.get(conn, "index", _build_index)


def _agreement(index: EvidenceIndex, fact: dict) -> dict:
    view = index.of_fact(_evidence_fact(fact))
    agree_documents = sorted({fact["doc_id"], *view.agree_documents}) if fact["status"] != "rejected" \
        else view.agree_documents
    return {"agree": view.agree, "contradict": view.contradict, "agree_documents": agree_documents,
            "contradict_documents": view.contradict_documents,
            "agreement": "contradicted" if view.contradict else "supported"}


def fact_agreement(conn, fact: dict) -> dict:
    """For the fact page: the documents that say the same (this one included) and those that contradict it."""
    return _agreement(store_index(conn), fact)


def claim_agreement(conn, claim_key: str) -> dict | None:
    """For the claim view: supporting and contradicting facts of a claim, side by side."""
    index = store_index(conn)
    view = index.of_claim(claim_key)
    if not view.agree and not view.contradict:
        return None
    stance = index.stance(claim_key)
    return {"support": [f["original"] for f in view.agree], "against": [f["original"] for f in view.contradict],
            "agree_documents": view.agree_documents, "contradict_documents": view.contradict_documents,
            "negated": stance.negated,
            "contradicting_claims": list(dict.fromkeys((("not " if e.negated else "") + e.claim_key, e.claim_key)
                                                       for e in map(Evidence.of, view.contradict)))}


def queue_agreement(conn, facts: list[dict]) -> None:
    """The agreement of each of the queue page's facts, as its `agreement_view` (cached per fact)."""
    values = CACHE.values(conn)
    if "index" not in values:
        values["index"] = _build_index(conn)
    index = values["index"]
    views = values.setdefault("views", {})
    for fact in facts:
        key = fact["content_key"]
        if key not in views:
            views[key] = _agreement(index, fact)
        fact["agreement_view"] = views[key]


def prepare_filter(conn, flt: store.FactFilter) -> None:
    """Before a queue query (list, count, position) whose filter or sort uses agreement:
    the agreement of every fact the queue can show, in the store's agreement table.

    The same numbers as `_agreement` for each fact, worked out once per claim and negation
    (facts copied across many documents would otherwise cost the square of their number).
    """
    if not flt.needs_agreement:
        return
    store.set_fact_agreement(conn, CACHE.get(conn, "agreement_rows", _agreement_rows))


def _agreement_rows(conn) -> list[tuple]:
    """(content key, agreement, n agree, n contradict) of every fact the queue can show."""
    index = store_index(conn)
    groups: dict[tuple, dict] = {}
    for item in index.evidence:
        group = groups.setdefault((item.claim_key, item.negated), {"docs": Counter(), "by_fact_id": defaultdict(Counter)})
        group["docs"][item.fact["doc_id"]] += 1
        group["by_fact_id"][item.fact.get("fact_id")][item.fact["doc_id"]] += 1
    conflicting: dict[tuple, int] = {}
    rows = []
    for status in ("all", "orphaned", "gone"):
        for fact in store.list_facts(conn, store.FactFilter(status=status, sort="document")):
            item = Evidence.of(_evidence_fact(fact))
            group = groups.get((item.claim_key, item.negated), {"docs": Counter(), "by_fact_id": {}})
            own = group["by_fact_id"].get(fact.get("fact_id"), {})  # of_fact leaves out the fact itself
            agree = {doc for doc, n in group["docs"].items() if n > own.get(doc, 0)}
            if fact["status"] != "rejected":
                agree.add(fact["doc_id"])
            signature = (item.subject_key, item.object_key, item.predicate, item.negated)
            if signature not in conflicting:
                conflicting[signature] = len({other.fact["doc_id"] for other in index.conflicting(item)})
            n_contradict = conflicting[signature]
            rows.append((fact["content_key"], "contradicted" if n_contradict else "supported", len(agree), n_contradict))
    return rows
