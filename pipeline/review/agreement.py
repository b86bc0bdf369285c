"""Agreement across documents in the review app (issue 9): who agrees with a fact, who contradicts it.

Uses `pipeline.evidence` (the rules of the claims table) on the store's present facts with
their curated values; a rejected fact is not evidence. The app calls three things:
`fact_agreement` for the fact page, `claim_agreement` for the claim view and
`arrange_queue` for the queue's agreement filter and sort.
"""

from __future__ import annotations

from pipeline import store
from pipeline.evidence import Evidence, EvidenceIndex

AGREEMENT_FILTERS = ["supported", "contradicted"]
AGREEMENT_SORTS = {
    "contradicted_first": "contradicted first",
    "most_agreeing": "most agreeing documents first",
}


def _evidence_fact(fact: dict) -> dict:
    """The curated values of a store fact, with what the views show about it."""
    return {**fact["effective"], "content_key": fact["content_key"], "status": fact["status"],
            "doc_title": fact.get("doc_title"), "original": fact}


def store_index(conn) -> EvidenceIndex:
    facts = store.list_facts(conn, store.FactFilter(status="all", sort="document"))
    return EvidenceIndex([_evidence_fact(f) for f in facts if f["status"] != "rejected"])


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


def arrange_queue(conn, flt, params, facts: list[dict], total: int, page: int, page_size: int):
    """The queue page's facts with their agreement, filtered and sorted by it when asked.

    Without an agreement filter or sort the page stays as the store listed it; with one,
    the whole filtered queue is ranked here and paginated. Returns (facts, total).
    """
    wanted = (params.get("agreement") or "").strip()
    sort = (params.get("agreement_sort") or "").strip()
    index = store_index(conn)
    if wanted not in AGREEMENT_FILTERS and sort not in AGREEMENT_SORTS:
        for fact in facts:
            fact["agreement_view"] = _agreement(index, fact)
        return facts, total
    everything = store.list_facts(conn, flt)
    for fact in everything:
        fact["agreement_view"] = _agreement(index, fact)
    if wanted in AGREEMENT_FILTERS:
        everything = [f for f in everything if f["agreement_view"]["agreement"] == wanted]
    if sort == "contradicted_first":
        everything.sort(key=lambda f: (f["agreement_view"]["agreement"] != "contradicted",
                                       -len(f["agreement_view"]["contradict_documents"])))
    elif sort == "most_agreeing":
        everything.sort(key=lambda f: -len(f["agreement_view"]["agree_documents"]))
    start = (page - 1) * page_size
    return everything[start:start + page_size], len(everything)
