"""Training data and fitting for the mention filter (`pipeline/components/mention_filter.py`).

A mention the pipeline proposes is labelled *kept* when the entity item it makes (type and id,
or type and text) is correct under FACTS_SPEC §4 against the document's gold entities — the
same rule `alsfacts eval` counts precision with. Only mentions of documents whose gold the
mined-term layer did not learn from are used (the caller runs folds), so the filter learns
what the pipeline gets wrong on unseen text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from pipeline.components.mention_filter import hasher, mention_features
from pipeline.evaluate import (
    Argument, EntityItem, _argument, arguments_match, entity_items, normalize_text, predicted_entity_correct,
)
from pipeline.training.gold import GoldDocument, align_fact

ENTITY_FIELDS = ["doc_id", "text", "type", "concept_id"]


def gold_items(gold: GoldDocument) -> list[EntityItem]:
    frame = pd.DataFrame([{"doc_id": gold.doc_id, "text": e.get("text") or "", "type": e.get("type") or "",
                           "concept_id": e.get("concept_id") or ""} for e in gold.entities], columns=ENTITY_FIELDS)
    return entity_items(frame).get(gold.doc_id, [])


def mention_item(span) -> EntityItem:
    text = normalize_text(span.text)
    return EntityItem(span.label_, span.kb_id_, span.kb_id_ or text, frozenset({text}))


def fact_arguments(gold: GoldDocument) -> list[tuple[int, int, Argument]]:
    """(sentence start, sentence end, argument) of every gold fact argument of the document."""
    out = []
    for fact in gold.facts:
        aligned = align_fact(gold.text, fact)
        if aligned is not None:
            out += [(aligned.sentence_start, aligned.sentence_end,
                     _argument(fact[side]["text"], fact[side].get("concept_id") or "")) for side in ("subject", "object")]
    return out


def labelled_mentions(doc, gold: GoldDocument) -> list[tuple[list[str], bool]]:
    """(features, kept) for every entity of a processed `doc` of gold document `gold`: kept when
    the entity item it makes is correct (FACTS_SPEC §4 entity rule), or when it matches (§4
    argument rule) a gold fact argument of its sentence — the claim steps need it."""
    items = gold_items(gold)
    arguments = fact_arguments(gold)
    rows = []
    for span, features in zip(doc.ents, mention_features(doc)):
        kept = any(predicted_entity_correct(mention_item(span), g) for g in items)
        if not kept:
            mention = _argument(span.text, span.kb_id_)
            kept = any(s <= span.start_char and span.end_char <= e and arguments_match(arg, mention)
                       for s, e, arg in arguments)
        rows.append((features, kept))
    return rows


def fit(rows: list[tuple[list[str], bool]], C: float = 0.5) -> tuple[np.ndarray, float]:
    """Dense weights over the hashed features and the bias of a logistic regression (liblinear:
    deterministic)."""
    X = hasher().transform(features for features, _ in rows)
    y = np.array([label for _, label in rows], dtype=int)
    if len(set(y)) < 2:
        raise ValueError(f"mention filter: need kept and dropped mentions to train, got {len(y)} of one kind")
    model = LogisticRegression(C=C, solver="liblinear", max_iter=1000).fit(X, y)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


# the fold of documents that only ever add terms (silver annotations): never held out, never excluded
ALWAYS_MINED = -1


def mined_terms_without(mining_docs: list, folds: dict, excluded: set) -> list:
    """The mined-term layer built from the documents outside the `excluded` folds (documents of
    fold ALWAYS_MINED, the silver ones, are always in it)."""
    from pipeline.kb.mining import cross_validated_terms, select_terms

    return select_terms(cross_validated_terms(
        [d for d in mining_docs if folds[d.doc_id] not in excluded and folds[d.doc_id] != ALWAYS_MINED],
        extra=[d for d in mining_docs if folds[d.doc_id] == ALWAYS_MINED]))


def heldout_mentions(nlp, gold_docs: list[GoldDocument], mining_docs: list, folds: dict,
                     excluded: frozenset = frozenset()) -> list[tuple[list[str], bool]]:
    """Labelled mentions of every fold outside `excluded`, each fold processed with mined terms
    learned without it (and without the excluded folds): mentions as on unseen text."""
    entities = nlp.get_pipe("entities")
    rows = []
    with nlp.select_pipes(enable=proposing_pipes(nlp)):
        for fold in sorted(set(folds.values()) - set(excluded) - {ALWAYS_MINED}):
            entities.use_mined_terms(mined_terms_without(mining_docs, folds, set(excluded) | {fold}))
            held = [g for g in gold_docs if folds[g.doc_id] == fold]
            for doc, gold in zip(nlp.pipe(g.text for g in held), held):
                rows.extend(labelled_mentions(doc, gold))
    return rows


def proposing_nlp():
    """The pipeline up to the mention filter (the filter itself and what follows it left out)."""
    import spacy

    from pipeline.nlp import CONFIG_PATH, build_nlp

    names = spacy.util.load_config(CONFIG_PATH)["nlp"]["pipeline"]
    return build_nlp(without=tuple(names[names.index("mention_filter"):]))


def proposing_pipes(nlp) -> list[str]:
    """The pipes that propose mentions: those before the mention filter."""
    names = nlp.pipe_names
    return names[:names.index("mention_filter")] if "mention_filter" in names else list(names)


def use_filter(nlp, weights_and_bias: tuple) -> None:
    """Let the pipeline's mention filter use these weights (a fold's filter in cross-validation),
    at the shipped threshold."""
    weights, bias = weights_and_bias
    pipe = nlp.get_pipe("mention_filter")
    pipe.initialize(weights=weights, bias=bias, threshold=pipe.threshold, meta=pipe.meta)


def fold_filters(nlp, gold_docs: list[GoldDocument], mining_docs: list, folds: dict,
                 C: float = 0.5, fold_ids=None) -> dict:
    """fold -> (weights, bias) of a filter trained without that fold's documents (nested: the
    training mentions come from folds processed without their own mined terms either); for the
    folds of `folds`, or for `fold_ids` (folds none of `gold_docs` may lie in)."""
    return {fold: fit(heldout_mentions(nlp, gold_docs, mining_docs, folds, frozenset({fold})), C=C)
            for fold in (sorted(set(folds.values()) - {ALWAYS_MINED}) if fold_ids is None else fold_ids)}
