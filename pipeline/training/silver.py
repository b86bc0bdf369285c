"""Silver annotations: extra claim training data, annotated under FACTS_SPEC the way gold was.

gold/train's learning curve (README, "What limits these figures") says the claim classifier
is short of annotated documents. `training/silver_annotations.jsonl.gz` holds annotations of
abstracts from `../shared/data`: StudyTypeTeller's neurology abstracts and the training
abstracts of BioRED and BC5CDR (none about ALS, none in a gold set, BioRED Dev or BC5CDR dev), made by
language-model annotators with `docs/ANNOTATION_BRIEF.md`, the procedure gold/README
describes, but not reviewed by a second annotator: hence "silver".

The file holds no corpus text, only offsets into it: each document is named by its source and
PMID, each entity and fact argument by its character span, each fact's sentence by its span.
The texts are read back from `../shared/data` (`load_silver_documents`), so the repository
carries none.

`check_annotations` is the validator the annotators ran after every document;
`scripts/build_silver.py` turns their gold-format folders into the offsets file.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from pipeline.schema import PREDICATES
from pipeline.training.gold import SHARED, GoldDocument, align_fact, document_text, find_sentence, occurrences, read_jsonl

ROOT = Path(__file__).resolve().parents[2]
SILVER_FILE = ROOT / "training" / "silver_annotations.jsonl.gz"
SOURCE_FILE = SHARED / "data" / "studytypeteller" / "study_types.jsonl"
BIORED_TRAIN_FILE = SHARED / "data" / "biored" / "Train.PubTator"
CDR_TRAIN_FILE = SHARED / "data" / "bc5cdr" / "CDR_TrainingSet.PubTator.txt"

TYPES = ("CELL_TYPE", "GENE_OR_PROTEIN", "DISEASE", "CHEMICAL_OR_DRUG", "INTERVENTION", "ANATOMY",
         "ORGANISM", "OUTCOME", "TRIAL")
CERTAINTY = ("asserted", "hedged", "hypothetical")
STRENGTH = ("direct_causal", "conditional_causal", "correlational", "none")
STUDY_TYPES = ("clinical_trial", "observational", "animal_model", "in_vitro", "review", "case_report")
CONCEPT_ID = re.compile(r"^(MESH:[DC]\d+|HGNC:\d+|NCBITaxon:\d+|clinicaltrials:NCT\d+)$")
# context fields kept: the free-text ones (population, comparator, cited source) would be corpus text
CONTEXT_KEPT = ("study_type", "species", "sample_size", "trial_phase")


def _studytypeteller(path: Path) -> dict[str, str]:
    return {f"PMID:{r['pmid']}": document_text({"title": r.get("title"), "text": r.get("abstract")})
            for r in read_jsonl(path)}


def _pubtator(path: Path) -> dict[str, str]:
    titles, abstracts = {}, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        pmid, kind, rest = (line.split("|", 2) + ["", ""])[:3]
        if kind == "t":
            titles.setdefault(pmid, rest)  # BC5CDR's training file repeats the dev records
        elif kind == "a":
            abstracts.setdefault(pmid, rest)
    return {f"PMID:{pmid}": document_text({"title": title, "text": abstracts.get(pmid, "")})
            for pmid, title in titles.items()}


# source name -> (file, reader); the silver documents' texts, `title + "\n\n" + abstract` as in gold
SOURCES = {"studytypeteller": (SOURCE_FILE, _studytypeteller), "biored_train": (BIORED_TRAIN_FILE, _pubtator),
           "bc5cdr_train": (CDR_TRAIN_FILE, _pubtator)}


def source_texts(source: str = "studytypeteller", path: Path | None = None) -> dict[str, str]:
    """PMID:… → document text of one source's abstracts (`path`: another copy of its file)."""
    default, reader = SOURCES[source]
    return reader(Path(path or default))


def check_annotations(texts: dict[str, str], entities: list[dict], facts: list[dict]) -> list[str]:
    """FACTS_SPEC §3 problems of gold-format lines, one message each (empty: none)."""
    problems = []
    listed: dict[str, set] = {}
    for n, e in enumerate(entities, 1):
        where, text = f"entities line {n}", texts.get(e.get("doc_id"))
        if text is None:
            problems.append(f"{where}: unknown doc_id {e.get('doc_id')!r}")
            continue
        if e.get("type") not in TYPES:
            problems.append(f"{where}: type {e.get('type')!r}")
        if (e.get("concept_id") or "") and not CONCEPT_ID.match(e["concept_id"]):
            problems.append(f"{where}: concept_id {e['concept_id']!r}")
        if not occurrences(text, e.get("text") or ""):
            problems.append(f"{where}: {e.get('text')!r} is not in the document at word boundaries")
        listed.setdefault(e["doc_id"], set()).add((e.get("text") or "").lower())
    for n, f in enumerate(facts, 1):
        where, text = f"facts line {n}", texts.get(f.get("doc_id"))
        if text is None:
            problems.append(f"{where}: unknown doc_id {f.get('doc_id')!r}")
            continue
        for key, allowed in (("predicate", PREDICATES), ("certainty", CERTAINTY), ("strength", STRENGTH)):
            if f.get(key) not in allowed:
                problems.append(f"{where}: {key} {f.get(key)!r}")
        if not isinstance(f.get("negated"), bool):
            problems.append(f"{where}: negated must be true or false")
        if f.get("certainty") == "hedged" and f.get("strength") == "direct_causal":
            problems.append(f"{where}: a hedged causal claim is conditional_causal")
        study = (f.get("context") or {}).get("study_type")
        if study and study not in STUDY_TYPES:
            problems.append(f"{where}: study_type {study!r}")
        bounds = find_sentence(text, f.get("sentence") or "")
        if bounds is None:
            problems.append(f"{where}: the sentence is not in the document")
            continue
        for role in ("subject", "object"):
            arg = f.get(role) or {}
            if arg.get("type") not in TYPES:
                problems.append(f"{where}: {role} type {arg.get('type')!r}")
            if (arg.get("concept_id") or "") and not CONCEPT_ID.match(arg["concept_id"]):
                problems.append(f"{where}: {role} concept_id {arg['concept_id']!r}")
            if not occurrences(text, arg.get("text") or "", *bounds):
                problems.append(f"{where}: {role} {arg.get('text')!r} is not in its sentence")
    return problems


def _argument_record(arg: dict, span: tuple[int, int]) -> dict:
    out = {"start": span[0], "end": span[1], "type": arg["type"], "concept_id": arg.get("concept_id") or ""}
    if arg.get("attribute"):
        out["attribute"] = arg["attribute"]
    return out


def to_offsets(doc_id: str, text: str, entities: list[dict], facts: list[dict], annotator: str,
               source: str = "studytypeteller") -> dict:
    """One document's gold-format lines as an offsets record (no corpus text): every entity by
    its first occurrence, every fact by its sentence's and arguments' spans."""
    record = {"doc_id": doc_id, "source": source, "annotator": annotator, "entities": [], "facts": []}
    for e in entities:
        found = occurrences(text, e["text"])
        if found:
            record["entities"].append({"start": found[0][0], "end": found[0][1], "type": e["type"],
                                       "concept_id": e.get("concept_id") or ""})
    for f in facts:
        aligned = align_fact(text, f)
        if aligned is None or aligned.subject is None or aligned.object is None:
            continue
        context = {k: v for k, v in (f.get("context") or {}).items() if k in CONTEXT_KEPT and v not in (None, "")}
        record["facts"].append({
            "sentence": [aligned.sentence_start, aligned.sentence_end],
            "subject": _argument_record(f["subject"], aligned.subject),
            "predicate": f["predicate"],
            "object": _argument_record(f["object"], aligned.object),
            "negated": f["negated"], "certainty": f["certainty"], "strength": f["strength"],
            "context": context,
        })
    return record


def _argument_line(text: str, arg: dict) -> dict:
    out = {"text": text[arg["start"]:arg["end"]], "type": arg["type"], "concept_id": arg["concept_id"]}
    if arg.get("attribute"):
        out["attribute"] = arg["attribute"]
    return out


def from_offsets(record: dict, text: str) -> GoldDocument:
    """The gold-format document an offsets record describes, its texts read from `text`."""
    doc = GoldDocument(record["doc_id"], text)
    for e in record["entities"]:
        doc.entities.append({"doc_id": doc.doc_id, "text": text[e["start"]:e["end"]], "type": e["type"],
                             "concept_id": e["concept_id"]})
    for f in record["facts"]:
        start, end = f["sentence"]
        doc.facts.append({
            "doc_id": doc.doc_id, "sentence": text[start:end],
            "subject": _argument_line(text, f["subject"]), "predicate": f["predicate"],
            "object": _argument_line(text, f["object"]),
            "negated": f["negated"], "certainty": f["certainty"], "strength": f["strength"],
            "context": dict(f.get("context") or {}),
        })
    return doc


def load_silver_documents(path: Path = SILVER_FILE) -> list[GoldDocument]:
    """The silver documents as GoldDocuments (texts from `../shared/data`), in file order. A
    record whose source abstract is missing is named and skipped."""
    if not Path(path).is_file():
        return []
    records = read_offsets(path)
    texts = {name: source_texts(name) for name in sorted({r.get("source", "studytypeteller") for r in records})}
    docs = []
    for record in records:
        source = record.get("source", "studytypeteller")
        text = texts[source].get(record["doc_id"])
        if text is None:
            print(f"silver: {record['doc_id']} is not in {SOURCES[source][0]}; skipped")
            continue
        docs.append(from_offsets(record, text))
    return docs


def write_offsets(records: list[dict], path: Path = SILVER_FILE) -> None:
    """One JSON line per record, gzipped without a time stamp (the same records, the same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(record, sort_keys=True) + "\n" for record in records).encode("utf-8")
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
        handle.write(body)


def read_offsets(path: Path = SILVER_FILE) -> list[dict]:
    """The offsets records of a silver file (gzipped or plain JSON lines)."""
    path = Path(path)
    if path.suffix != ".gz":
        return read_jsonl(path)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


__all__ = ["SILVER_FILE", "SOURCES", "check_annotations", "from_offsets", "load_silver_documents", "read_offsets",
           "source_texts", "to_offsets", "write_offsets"]
