"""BioC in and out (XML and JSON), with the `bioc` package.

In: a BioC collection's documents become input documents. Passage offsets are
document offsets, so the document text puts every passage at its offset (gaps become
newlines): an offset in the input file is the same offset in our tables.

Out: one BioC document per input document with one passage (offset 0, the whole text),
our entity mentions as annotations (type, concept id and name) and our facts as
relations between the annotations of their subject and object (predicate, negation,
certainty, strength, context). A fact argument that is not exactly an entity mention
gets an annotation of its own (infon `role` = `argument`).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

TITLE_PASSAGE_TYPES = {"title", "front"}
FACT_INFONS = ["fact_id", "claim_key", "predicate", "certainty", "strength", "species", "study_type",
               "trial_id", "trial_phase", "sample_size", "population", "comparator", "cited_source",
               "confidence", "extractor"]


class BioCProblem(ValueError):
    """A BioC document that cannot become an input document (the message says why)."""


def passages_text(passages) -> str:
    """The document text: every passage's text at its offset, gaps filled with newlines."""
    text = ""
    for passage in sorted(passages, key=lambda p: p.offset):
        body = passage.text
        if body is None:  # a passage given as sentences
            body = passages_text(passage.sentences) if passage.sentences else ""
            body = body[passage.offset:] if len(body) > passage.offset else ""
        if not body:
            continue
        if passage.offset < len(text):
            raise BioCProblem(f"passage at offset {passage.offset} overlaps the text before it "
                              f"(which ends at {len(text)})")
        text += "\n" * (passage.offset - len(text)) + body
    return text


def document_fields(document) -> tuple[str, str]:
    """(title, text) of a BioC document."""
    title = document.infons.get("title") or next((p.text or "" for p in document.passages
                  if (p.infons.get("type") or p.infons.get("section_type") or "").lower() in TITLE_PASSAGE_TYPES), "")
    return title, passages_text(document.passages)


def load_collection(handle, fmt: str):
    """A BioC collection from an open binary file; fmt 'xml' or 'json'. BioCProblem when it is not one."""
    import io
    import json

    from bioc import biocjson, biocxml
    from lxml import etree

    try:
        if fmt == "xml":
            return biocxml.load(handle)
        return biocjson.load(io.StringIO(handle.read().decode("utf-8")))
    except etree.XMLSyntaxError as error:
        raise BioCProblem(f"malformed BioC XML: {error}") from None
    except json.JSONDecodeError as error:
        raise BioCProblem(f"malformed JSON: {error}") from None
    except UnicodeDecodeError as error:
        raise BioCProblem(f"not UTF-8: {error}") from None
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise BioCProblem(f"not a BioC {fmt.upper()} collection ({type(error).__name__}: {error})") from None


# ---------------------------------------------------------------- export

def _annotation(bioc, ann_id: str, start: int, end: int, text: str, infons: dict):
    annotation = bioc.BioCAnnotation()
    annotation.id = ann_id
    annotation.text = text
    annotation.add_location(bioc.BioCLocation(start, end - start))
    for key, value in infons.items():
        if value not in (None, ""):
            annotation.infons[key] = str(value)
    return annotation


def build_collection(documents: list[dict], entities: list[dict], facts: list[dict]):
    """A BioCCollection of the documents with our entities as annotations and facts as relations."""
    import bioc

    collection = bioc.BioCCollection()
    collection.source = "alsfacts"
    collection.date = date.today().isoformat()
    collection.key = "alsfacts.key"
    entities_by_doc: dict[str, list[dict]] = {}
    for entity in entities:
        entities_by_doc.setdefault(entity["doc_id"], []).append(entity)
    facts_by_doc: dict[str, list[dict]] = {}
    for fact in facts:
        facts_by_doc.setdefault(fact["doc_id"], []).append(fact)
    for doc in documents:
        document = bioc.BioCDocument()
        document.id = doc["doc_id"]
        if doc.get("title"):
            document.infons["title"] = doc["title"]
        passage = bioc.BioCPassage()
        passage.offset = 0
        passage.text = doc["text"]
        passage.infons["type"] = "document"
        by_span: dict[tuple[int, int], str] = {}
        for entity in entities_by_doc.get(doc["doc_id"], []):
            ann_id = f"T{len(passage.annotations) + 1}"
            by_span.setdefault((entity["start"], entity["end"]), ann_id)
            passage.add_annotation(_annotation(bioc, ann_id, entity["start"], entity["end"], entity["text"], {
                "type": entity["type"], "identifier": entity["concept_id"], "name": entity["concept_name"],
                "abbreviation_of": entity["abbreviation_of"]}))
        for number, fact in enumerate(facts_by_doc.get(doc["doc_id"], []), start=1):
            relation = bioc.BioCRelation()
            relation.id = f"R{number}"
            relation.infons["type"] = fact["predicate"]
            relation.infons["negated"] = "true" if fact["negated"] else "false"
            for key in FACT_INFONS:
                if fact.get(key) not in (None, ""):
                    relation.infons[key] = str(fact[key])
            for role in ("subject", "object"):
                span = (fact[f"{role}_start"], fact[f"{role}_end"])
                if span not in by_span:
                    by_span[span] = f"T{len(passage.annotations) + 1}"
                    passage.add_annotation(_annotation(bioc, by_span[span], *span, fact[f"{role}_text"], {
                        "type": fact[f"{role}_type"], "identifier": fact[f"{role}_id"],
                        "name": fact[f"{role}_name"], "role": "argument"}))
                relation.add_node(bioc.BioCNode(by_span[span], role))
                if fact.get(f"{role}_attribute"):
                    relation.infons[f"{role}_attribute"] = fact[f"{role}_attribute"]
            passage.add_relation(relation)
        document.add_passage(passage)
        collection.add_document(document)
    return collection


def export_bioc(documents: list[dict], entities: list[dict], facts: list[dict], out_dir: str | Path) -> dict:
    """Write documents.bioc.xml and documents.bioc.json into out_dir (both or neither)."""
    from bioc import biocjson, biocxml

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    collection = build_collection(documents, entities, facts)
    finals = {"xml": out_dir / "documents.bioc.xml", "json": out_dir / "documents.bioc.json"}
    partials = {ext: path.with_name(f".{path.name}.partial") for ext, path in finals.items()}
    try:
        with open(partials["xml"], "w", encoding="utf-8") as handle:
            biocxml.dump(collection, handle)
        with open(partials["json"], "w", encoding="utf-8") as handle:
            biocjson.dump(collection, handle, indent=1)
        for ext, partial in partials.items():
            os.replace(partial, finals[ext])
    finally:
        for partial in partials.values():
            partial.unlink(missing_ok=True)
    passages = [p for d in collection.documents for p in d.passages]
    return {"documents": len(collection.documents), "annotations": sum(len(p.annotations) for p in passages),
            "relations": sum(len(p.relations) for p in passages), "xml": str(finals["xml"]),
            "json": str(finals["json"])}
