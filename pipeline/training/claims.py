"""Train the claim classifier (`pipeline/components/claim_model.py`) on gold facts.

1. The pipeline, up to the rule extractor, runs over the gold documents (`nlp.pipe`).
2. Every candidate pair of a sentence is labelled from the gold facts of that sentence: a
   gold fact labels the candidate whose two mentions match its arguments (FACTS_SPEC §4
   argument rule) best — exact text first, then equal ids, then containment or shared
   content words. Other candidates that also match a gold fact are left out of training
   (ambiguous), and all remaining candidates are `no fact`.
3. Five scikit-learn logistic regressions, one per head, on hashed features; fixed seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from pipeline.components.claim_model import HEADS, N_FEATURES, POLARITIES, ClaimClassifier, LinearHeads
from pipeline.training import claim_corpora
from pipeline.evaluate import _argument, arguments_match
from pipeline.schema import POLARITY, PREDICATES, SYMMETRIC_PREDICATES
from pipeline.training.gold import GoldDocument, find_sentence

SEED = 7


@dataclass
class LabelledCandidate:
    doc_id: str
    candidate: object
    relation: bool
    predicate: str = ""            # "" when only the polarity class is known (public corpora)
    forward: bool | None = True    # None when the subject is not known
    negated: bool | None = False   # None when not annotated
    polarity: str = ""             # the predicate's polarity class (POLARITY), or set alone
    weight: float = 1.0            # sample weight in fitting
    for_relation: bool = True      # trains the relation head (else only the heads given a fact)

    def __post_init__(self):
        if self.relation and not self.polarity:
            self.polarity = POLARITY[self.predicate]


def _match_quality(gold_arg: dict, span) -> int:
    text, concept = span.text, span.kb_id_
    if text.lower() == (gold_arg.get("text") or "").lower():
        return 3
    if concept and concept == (gold_arg.get("concept_id") or ""):
        return 2
    if arguments_match(_argument(gold_arg.get("text") or "", gold_arg.get("concept_id") or ""), _argument(text, concept)):
        return 1
    return 0


def label_candidates(doc, gold: GoldDocument, cands: list) -> list[LabelledCandidate]:
    """Candidates of one document with their gold labels (ambiguous ones dropped)."""
    by_sentence: dict[tuple[int, int], list[dict]] = {}
    for fact in gold.facts:
        bounds = find_sentence(gold.text, fact["sentence"])
        if bounds is not None:
            by_sentence.setdefault(bounds, []).append(fact)
    positive: dict[int, tuple] = {}
    ambiguous: set[int] = set()
    for (g_start, g_end), facts in by_sentence.items():
        inside = [i for i, c in enumerate(cands)
                  if c.sentence.start_char < g_end and c.sentence.end_char > g_start]
        for fact in facts:
            best, best_score = None, 0
            matching = []
            for i in inside:
                c = cands[i]
                fwd = (_match_quality(fact["subject"], c.first), _match_quality(fact["object"], c.second))
                rev = (_match_quality(fact["subject"], c.second), _match_quality(fact["object"], c.first))
                for forward, (qs, qo) in ((True, fwd), (False, rev)):
                    if qs and qo:
                        matching.append(i)
                        score = qs + qo - 0.001 * (c.second.start - c.first.end)
                        if score > best_score:
                            best, best_score = (i, forward), score
            if best is None:
                continue
            i, forward = best
            if fact["predicate"] in SYMMETRIC_PREDICATES:
                forward = True
            positive.setdefault(i, (fact["predicate"], forward, bool(fact.get("negated"))))
            ambiguous.update(j for j in matching if j != i)
    out = []
    for i, cand in enumerate(cands):
        if i in positive:
            predicate, forward, negated = positive[i]
            out.append(LabelledCandidate(gold.doc_id, cand, True, predicate, forward, negated))
        elif i not in ambiguous:
            out.append(LabelledCandidate(gold.doc_id, cand, False))
    return out


def rule_pipeline(nlp):
    """The names of the pipes to run before the classifier (everything but it)."""
    return [name for name in nlp.pipe_names if name != "claim_model"]


def labelled_dataset(nlp, classifier: ClaimClassifier, gold_docs: list[GoldDocument],
                     weight: float = 1.0) -> list[LabelledCandidate]:
    """The labelled candidates of annotated documents, each with sample weight `weight`."""
    rows = []
    with nlp.select_pipes(enable=rule_pipeline(nlp)):
        for doc, gold in zip(nlp.pipe(g.text for g in gold_docs), gold_docs):
            rows.extend(label_candidates(doc, gold, classifier.doc_candidates(doc)))
    for row in rows:
        row.weight = weight
    return rows


def silver_dataset(nlp, classifier: ClaimClassifier, silver_docs: list[GoldDocument],
                   weight: float = 1.0) -> list[LabelledCandidate]:
    """`labelled_dataset` of the silver documents, read without the entity step's silver names: those
    were mined from these very documents, and would give their candidates the annotators' own
    mentions, which unseen text does not have."""
    entities = nlp.get_pipe("entities")
    matcher, entities.silver_matcher = entities.silver_matcher, None
    try:
        return labelled_dataset(nlp, classifier, silver_docs, weight)
    finally:
        entities.silver_matcher = matcher


def corpus_dataset(nlp, classifier: ClaimClassifier, corpus_docs: list, weight: float = 1.0,
                   relation_head: bool = True, known_predicate_only: bool = False) -> list[LabelledCandidate]:
    """Labelled candidates of public relation corpora (`claim_corpora.py`): the corpus's own
    mentions are the entities, the rule extractor runs over them, and each pair is labelled
    by `claim_corpora.pair_label`. With `relation_head` False they teach only the heads that
    read a fact (polarity, predicate, direction): a document-level relation does not say
    that a given sentence states it. With `known_predicate_only` only the pairs whose
    directed predicate follows from the corpus (a chemical that causes or treats a disease)
    are kept."""
    from spacy.util import filter_spans

    after_entities = [name for name in rule_pipeline(nlp)
                      if name not in ("sentences", "abbreviations", "entities", "ner")]
    rows = []
    with nlp.select_pipes(enable=["sentences"]):
        texts = (d.text for d in corpus_docs)
        for doc, source in zip(nlp.pipe(texts), corpus_docs):
            ids_at, spans = {}, []
            for start, end, label, ids in source.mentions:
                span = doc.char_span(start, end, label=label, kb_id=min(ids), alignment_mode="expand")
                if span is not None:
                    spans.append(span)
                    ids_at.setdefault((span.start, span.end), (label, ids))
            doc.ents = filter_spans(spans)
            for name in after_entities:
                doc = nlp.get_pipe(name)(doc)
            for cand in classifier.doc_candidates(doc):
                first, second = ids_at.get((cand.first.start, cand.first.end)), ids_at.get((cand.second.start, cand.second.end))
                if first is None or second is None:
                    continue
                label = claim_corpora.pair_label(source, first, second)
                if label is None:
                    continue
                if not label.polarity:
                    if relation_head:
                        rows.append(LabelledCandidate(source.pmid, cand, False, weight=weight))
                elif not known_predicate_only or (label.predicate and label.predicate not in SYMMETRIC_PREDICATES):
                    rows.append(LabelledCandidate(source.pmid, cand, True, label.predicate, label.first_is_subject,
                                                  None, label.polarity, weight, relation_head))
    return rows


def _active(X):
    """The hashed columns that occur (fitting on them only is many times faster)."""
    cols = np.unique(X.indices)
    return X[:, cols], cols


def _binary_head(X, y, C: float, weights=None) -> tuple[np.ndarray, np.ndarray]:
    w = np.zeros((N_FEATURES, 1), dtype=np.float32)
    if len(set(y)) < 2:  # a slice with one class: a constant head
        return w, np.array([8.0 if y and y[0] else -8.0], dtype=np.float32)
    Xa, cols = _active(X)
    model = LogisticRegression(C=C, max_iter=3000, random_state=SEED, solver="liblinear")
    model.fit(Xa, y, sample_weight=weights)
    w[cols, 0] = model.coef_[0]
    return w, model.intercept_.astype(np.float32)


def _multiclass_head(X, labels: list[str], classes: list[str], C: float, weights=None) -> tuple[np.ndarray, np.ndarray]:
    w = np.zeros((N_FEATURES, len(classes)), dtype=np.float32)
    b = np.full(len(classes), -20.0, dtype=np.float32)
    present = sorted(set(labels))
    if len(present) == 1:
        b[classes.index(present[0])] = 0.0
    elif present:
        Xa, cols = _active(X)
        model = LogisticRegression(C=C, max_iter=3000, random_state=SEED).fit(Xa, labels, sample_weight=weights)
        for k, label in enumerate(model.classes_):
            w[cols, classes.index(label)] = model.coef_[k]
            b[classes.index(label)] = model.intercept_[k]
    return w, b


def fit(classifier: ClaimClassifier, rows: list[LabelledCandidate], C: float = 0.5,
        threshold: float = 0.4, meta: dict | None = None, head_C: dict | None = None) -> LinearHeads:
    """The five heads from labelled candidates; `head_C` gives some heads their own C."""
    head_C = dict(head_C or {})
    c = {head: head_C.get(head, C) for head in HEADS}
    X = classifier.featurize([r.candidate for r in rows]).tocsr()
    sample_weight = np.array([r.weight for r in rows], dtype=np.float64)

    def head_rows(keep):
        index = [i for i, r in enumerate(rows) if keep(r)]
        return index, X[index], sample_weight[index]

    weights, bias = {}, {}
    relation, Xr, wr = head_rows(lambda r: r.for_relation)
    weights["relation"], bias["relation"] = _binary_head(Xr, [rows[i].relation for i in relation], c["relation"], wr)
    pos, Xp, wp = head_rows(lambda r: r.relation)
    weights["polarity"], bias["polarity"] = _multiclass_head(Xp, [rows[i].polarity for i in pos], POLARITIES, c["polarity"], wp)
    known, Xk, wk = head_rows(lambda r: r.relation and r.predicate)
    weights["predicate"], bias["predicate"] = _multiclass_head(Xk, [rows[i].predicate for i in known], list(PREDICATES), c["predicate"], wk)
    directed, Xd, wd = head_rows(lambda r: r.relation and r.predicate and r.predicate not in SYMMETRIC_PREDICATES
                                 and r.forward is not None)
    weights["direction"], bias["direction"] = _binary_head(Xd, [rows[i].forward for i in directed], c["direction"], wd)
    negation, Xn, wn = head_rows(lambda r: r.relation and r.negated is not None)
    weights["negated"], bias["negated"] = _binary_head(Xn, [rows[i].negated for i in negation], c["negated"], wn)
    info = dict(meta or {}, threshold=threshold, C=C, n_candidates=len(rows), n_positive=len(pos))
    if head_C:
        info["head_C"] = head_C
    return LinearHeads(weights, bias, list(PREDICATES), info)


__all__ = ["HEADS", "LabelledCandidate", "fit", "corpus_dataset", "label_candidates", "labelled_dataset"]
