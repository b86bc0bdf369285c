"""Document-level k-fold cross-validation of the claim classifier on a gold set, scored
with `alsfacts eval`'s own rules (FACTS_SPEC §4).

For each fold the classifier is trained on the other folds' documents only and predicts
the fold's documents; the predictions of all folds are scored together. Three systems are
scored on the same documents: the rules alone, the model alone (rules as features), and
their union, so the ablation table comes from one run.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from spacy.tokens import Doc
from spacy.util import filter_spans

from pipeline.components.claim_model import ClaimClassifier, facts_from_scores
from pipeline.evaluate import GoldSet, score_predictions
from pipeline.records import table_entities
from pipeline.training import claims as claim_training
from pipeline.training.gold import GoldDocument, align_entities, align_fact, document_folds


@dataclass
class ProcessedDocument:
    gold: GoldDocument
    doc: object
    candidates: list
    labelled: list


def process(nlp, classifier: ClaimClassifier, gold_docs: list[GoldDocument]) -> list[ProcessedDocument]:
    out = []
    with nlp.select_pipes(enable=claim_training.rule_pipeline(nlp)):
        for doc, gold in zip(nlp.pipe(g.text for g in gold_docs), gold_docs):
            cands = classifier.doc_candidates(doc)
            out.append(ProcessedDocument(gold, doc, cands, claim_training.label_candidates(doc, gold, cands)))
    return out


def gold_mention_spans(doc, gold: GoldDocument) -> list:
    """Gold's entity mentions and fact arguments as spans of `doc` (expanded to whole tokens),
    the longest kept where two overlap. A fact argument takes its own type, else OUTCOME."""
    found = [(m.start, m.end, m.type, m.concept_id) for m in align_entities(gold)]
    for fact in gold.facts:
        aligned = align_fact(gold.text, fact)
        for role, offsets in ((("subject", aligned.subject), ("object", aligned.object)) if aligned else ()):
            if offsets:
                found.append((*offsets, fact[role].get("type") or "OUTCOME", fact[role].get("concept_id") or ""))
    spans = [doc.char_span(a, b, label=label, kb_id=concept, alignment_mode="expand") for a, b, label, concept in found]
    return filter_spans([s for s in spans if s is not None and len(s)])


def with_gold_mentions(nlp, classifier: ClaimClassifier, processed: list[ProcessedDocument],
                       keep_predicted: bool = True) -> list[ProcessedDocument]:
    """Copies of processed documents whose mentions are gold's (and, with `keep_predicted`, the
    pipeline's where no gold mention lies), with the rule facts found again and the candidates
    relabelled: what the claim steps reach when every gold argument is a mention."""
    claims = nlp.get_pipe("claims")
    out = []
    for d in processed:
        # Doc.copy would deep-copy user_data, whose spans cannot be copied; the copy shares them
        # (same tokens, so their offsets hold) and gets facts and triggers of its own from `claims`
        doc = Doc(d.doc.vocab).from_bytes(d.doc.to_bytes(exclude=["user_data"]))
        doc.user_data = dict(d.doc.user_data)
        gold_spans = gold_mention_spans(doc, d.gold)
        taken = {i for span in gold_spans for i in range(span.start, span.end)}
        predicted = [e for e in doc.ents if not taken.intersection(range(e.start, e.end))] if keep_predicted else []
        doc.ents = sorted(gold_spans + predicted, key=lambda span: span.start)
        claims(doc)
        cands = classifier.doc_candidates(doc)
        out.append(ProcessedDocument(d.gold, doc, cands, claim_training.label_candidates(doc, d.gold, cands)))
    return out


def entity_rows(doc, doc_id: str, facts: list | None = None) -> list[dict]:
    """The entities table's mentions (`records.table_entities`: `facts` are the Doc's facts), as
    `alsfacts eval` reads them."""
    return [{"doc_id": doc_id, "text": e.text, "type": e.label_, "concept_id": e.kb_id_,
             "start": e.start_char, "end": e.end_char} for e in table_entities(doc, facts)]


def fact_rows(facts, doc_id: str) -> list[dict]:
    rows = []
    for f in facts:
        rows.append({
            "doc_id": doc_id, "predicate": f.predicate, "negated": f.negated, "certainty": f.certainty,
            "strength": f.strength,
            "subject_text": f.subject.text, "subject_type": f.subject.label_, "subject_id": f.subject.kb_id_,
            "subject_attribute": f.subject_attribute,
            "object_text": f.object.text, "object_type": f.object.label_, "object_id": f.object.kb_id_,
            "object_attribute": f.object_attribute,
        })
    return rows


def _gold_set(docs: list[ProcessedDocument]) -> GoldSet:
    return GoldSet.from_records([e for d in docs for e in d.gold.entities], [f for d in docs for f in d.gold.facts])


def _score(docs: list[ProcessedDocument], facts_of: dict[str, list]) -> dict:
    entities = pd.DataFrame([r for d in docs for r in entity_rows(d.doc, d.gold.doc_id, facts_of[d.gold.doc_id])])
    facts = pd.DataFrame([r for d in docs for r in fact_rows(facts_of[d.gold.doc_id], d.gold.doc_id)])
    if facts.empty:
        facts = None
    return score_predictions(_gold_set(docs), entities, facts, texts={d.gold.doc_id: d.gold.text for d in docs})


def cross_validate(docs: list[ProcessedDocument], classifier: ClaimClassifier, k: int = 5,
                   C: float = 0.5, settings=((0.3, 1.0),), extra_rows=()) -> dict:
    """Scores of the rules alone and of the model at each (threshold, rule floor) setting,
    over k document-level folds (a rule floor of 1.0: the model alone); `extra_rows` (public
    corpora) join every fold's training rows."""
    folds = document_folds([d.gold.doc_id for d in docs], k)
    fold_of = {doc_id: i for i, fold in enumerate(folds) for doc_id in fold}
    scored = {}  # doc_id -> (candidates, scores)
    for i in range(k):
        train_rows = [row for d in docs if fold_of[d.gold.doc_id] != i for row in d.labelled] + list(extra_rows)
        heads = claim_training.fit(classifier, train_rows, C=C)
        for d in docs:
            if fold_of[d.gold.doc_id] == i and d.candidates:
                scored[d.gold.doc_id] = heads.scores(classifier.featurize(d.candidates))
    predicates = heads.predicates
    results = {"rules": _score(docs, {d.gold.doc_id: list(d.doc._.facts or []) for d in docs})}
    for threshold, floor in settings:
        model_facts = {d.gold.doc_id: facts_from_scores(d.doc, d.candidates, scored[d.gold.doc_id], predicates,
                                                        threshold, floor)
                       if d.gold.doc_id in scored else [] for d in docs}
        results[f"model@{threshold}" + (f"+rules@{floor}" if floor < 1 else "")] = _score(docs, model_facts)
    return results


def summary(report: dict) -> dict:
    ents, facts = report["entities"]["overall"], report["facts"]["strict"]
    return {"entity_f1": ents["f1"], "fact_p": facts["precision"], "fact_r": facts["recall"],
            "fact_f1": facts["f1"], "pairs_f1": report["facts"]["pairs"]["f1"],
            "argument_coverage": report["argument_coverage"]["overall"]["share"]}
