"""Turn processed spaCy Docs into table rows (entities, facts, sentences, documents).

Rows are plain dicts keyed by the columns of `pipeline.schema`; offsets are
character offsets into the document text, so `text[start:end]` is the mention.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right

from spacy.tokens import Doc, Span

from pipeline.components import sentence_spans, span_extension
from pipeline.components.anaphora import refers_back
from pipeline.components.mention_phrases import stands_for_population
from pipeline.ingest import Document
from pipeline.schema import SYMMETRIC_PREDICATES


def sentence_bounds(sent: Span, text: str) -> tuple[int, int]:
    """Character bounds of a sentence without its surrounding white space."""
    start, end = sent.start_char, sent.end_char
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentences(doc: Doc, text: str) -> list[tuple[int, Span, int, int]]:
    """(sentence_id, span, start, end) for every sentence with any text."""
    out = []
    for sent in sentence_spans(doc):
        start, end = sentence_bounds(sent, text)
        if end > start:
            out.append((len(out), sent, start, end))
    return out


def _strengths(doc: Doc) -> dict:
    """Sentence start char -> claim strength, as the strength component set it."""
    return (doc._.sentence_strength or {}) if Doc.has_extension("sentence_strength") else {}


def _context(doc: Doc, sent: Span, span: Span | None = None) -> dict:
    if Doc.has_extension("doc_context"):
        from pipeline.components.context import context_for

        return context_for(doc, sent, span)
    return {}


def argument_key(concept_id: str, text: str) -> str:
    return concept_id or text.lower()


def claim_key(subject_key: str, predicate: str, object_key: str) -> str:
    """Same subject, predicate and object → same key, whatever the document."""
    if predicate in SYMMETRIC_PREDICATES and object_key < subject_key:
        subject_key, object_key = object_key, subject_key
    return f"{subject_key}|{predicate}|{object_key}"


def fact_id(doc_id: str, predicate: str, subject: Span, obj: Span) -> str:
    raw = f"{doc_id}\t{predicate}\t{subject.start_char}:{subject.end_char}\t{obj.start_char}:{obj.end_char}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


def facts_of(doc: Doc) -> list:
    return (doc._.facts or []) if Doc.has_extension("facts") else []


def table_entities(doc: Doc, facts: list | None = None) -> list[Span]:
    """The mentions the entities table lists: every entity of the Doc except a population noun
    ("patients") or a word standing for its referent ("It", "this mutation", "the disease":
    `alsfacts_anaphora`) that no fact takes as an argument. FACTS_SPEC §3 types such a noun DISEASE
    only as the object of `safe_in`, `higher_in` or `lower_in`; annotators do not list it as a
    disease mention (BC5CDR does not either: 520 of the pipeline's 2,144 false positives on its
    development split were these nouns), nor a pronoun, whose referent is listed already.
    `facts`: the Doc's facts when not `doc._.facts`."""
    facts = facts_of(doc) if facts is None else facts
    arguments = {(span.start_char, span.end_char) for fact in facts for span in (fact.subject, fact.object)}
    return [ent for ent in doc.ents
            if not (stands_for_population(ent) or refers_back(ent)) or (ent.start_char, ent.end_char) in arguments]


def doc_rows(doc: Doc, document: Document) -> dict[str, list[dict]]:
    """All rows that one processed document contributes to the four tables."""
    doc_id = document.doc_id
    text = document.text
    sentences = _sentences(doc, text)
    sentence_of_char = {}
    sentence_rows, entity_rows, fact_rows = [], [], []
    strengths = _strengths(doc)
    for sentence_id, sent, start, end in sentences:
        sentence_of_char[sent.start_char] = (sentence_id, start, end)
        sentence_rows.append({
            "doc_id": doc_id, "sentence_id": sentence_id, "start": start, "end": end,
            "text": text[start:end], "strength": strengths.get(sent.start_char, "none"),
        })
    sentence_starts = [sent.start_char for _, sent, _, _ in sentences]
    for ent in table_entities(doc):
        start, end = ent.start_char, ent.end_char
        position = bisect_right(sentence_starts, start) - 1
        entity_rows.append({
            "doc_id": doc_id, "sentence_id": sentences[position][0] if position >= 0 else -1,
            "start": start, "end": end, "text": text[start:end],
            "type": ent.label_, "concept_id": ent.kb_id_,
            "concept_name": span_extension(doc, "concept_name", start, end, ""),
            "score": float(span_extension(doc, "score", start, end, 1.0)),
            "abbreviation_of": span_extension(doc, "abbreviation_of", start, end, ""),
        })
    for fact in facts_of(doc):
        sent = fact.sentence
        sentence_id, start, end = sentence_of_char[sent.start_char]
        context = _context(doc, sent, fact.subject)
        subject_key = argument_key(fact.subject.kb_id_, fact.subject.text)
        object_key = argument_key(fact.object.kb_id_, fact.object.text)
        fact_rows.append({
            "fact_id": fact_id(doc_id, fact.predicate, fact.subject, fact.object),
            "claim_key": claim_key(subject_key, fact.predicate, object_key),
            "doc_id": doc_id, "sentence_id": sentence_id, "sentence": text[start:end],
            "sentence_start": start, "sentence_end": end,
            **_argument_columns("subject", fact.subject, fact.subject_attribute),
            "predicate": fact.predicate,
            **_argument_columns("object", fact.object, fact.object_attribute),
            "negated": bool(fact.negated), "certainty": fact.certainty, "strength": fact.strength,
            "species": context.get("species", ""), "study_type": context.get("study_type", ""),
            "trial_id": context.get("trial_id", ""), "trial_phase": context.get("trial_phase", ""),
            "sample_size": context.get("sample_size"),
            "population": context.get("population", ""), "comparator": context.get("comparator", ""),
            "cited_source": context.get("cited_source", ""),
            "confidence": round(float(fact.confidence), 3), "extractor": fact.extractor,
        })
    fact_rows.sort(key=lambda r: (r["sentence_start"], r["subject_start"], r["object_start"], r["predicate"]))
    return {
        "documents": [document.row(len(sentences))],
        "sentences": sentence_rows,
        "entities": entity_rows,
        "facts": fact_rows,
    }


def _argument_columns(role: str, span: Span, attribute: str) -> dict:
    return {
        f"{role}_text": span.text,
        f"{role}_type": span.label_,
        f"{role}_id": span.kb_id_,
        f"{role}_name": span_extension(span.doc, "concept_name", span.start_char, span.end_char, ""),
        f"{role}_attribute": attribute or "",
        f"{role}_start": span.start_char,
        f"{role}_end": span.end_char,
    }
