"""Public relation corpora mapped onto our predicates, as extra training data for the claim
classifier (`pipeline/training/claims.py`).

* **BioRED** (`../shared/data/biored/Train.PubTator`): document-level relations between concept
  ids. A relation is instantiated on every sentence where mentions of both concepts occur.
* **BC5CDR** (`../shared/data/bc5cdr/CDR_TrainingSet.PubTator.txt`, less every PMID of
  `CDR_DevelopmentSet`): chemical-induced disease (CID) relations, i.e. `causes` with the
  chemical as subject.

Candidates are the corpora's own entity mentions (types mapped by `TYPE_MAP`), the rule
extractor runs over them as in the pipeline so the rule features mean the same, and each
relation type maps to what it says about our predicates (`RELATION_MAP`): always a polarity
class; the predicate and the subject only where they follow from the relation and the
argument types (a chemical negatively correlated with a disease `treats` it). BioRED's
binding, co-treatment, comparison, conversion and drug-interaction pairs are left out (no
predicate of ours says them), and so are BC5CDR pairs that are not chemical–disease (the
corpus annotates nothing else) and its chemical–disease pairs without a CID relation (a
treatment is not annotated there, so they are not `no fact`).

Documents that are also gold documents (any split) or BC5CDR development documents are skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.training.gold import GOLD, SHARED

DATA = SHARED / "data"
BIORED_TRAIN = DATA / "biored" / "Train.PubTator"
CDR_TRAIN = DATA / "bc5cdr" / "CDR_TrainingSet.PubTator.txt"
CDR_DEV = DATA / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt"

CHEMICAL, DISEASE, GENE = "CHEMICAL_OR_DRUG", "DISEASE", "GENE_OR_PROTEIN"
TYPE_MAP = {"ChemicalEntity": CHEMICAL, "Chemical": CHEMICAL, "DiseaseOrPhenotypicFeature": DISEASE,
            "Disease": DISEASE, "GeneOrGeneProduct": GENE}

# relation type -> (polarity class, predicate by (subject type, object type) where it follows)
RELATION_MAP = {
    "Positive_Correlation": ("positive", {(CHEMICAL, DISEASE): "causes"}),
    "Negative_Correlation": ("negative", {(CHEMICAL, DISEASE): "treats"}),
    "Association": ("association", {"*": "associated_with"}),
    "CID": ("positive", {(CHEMICAL, DISEASE): "causes"}),
}
LEFT_OUT_RELATIONS = {"Bind", "Cotreatment", "Comparison", "Conversion", "Drug_Interaction"}


@dataclass
class CorpusDocument:
    corpus: str
    pmid: str
    text: str
    mentions: list[tuple[int, int, str, frozenset]] = field(default_factory=list)  # start, end, our type, ids
    relations: list[tuple[str, str, str]] = field(default_factory=list)             # type, id1, id2


@dataclass
class PairLabel:
    """What a corpus says about a pair of mentions: no relation (polarity ""), or a polarity
    class with the predicate and subject where they follow (else "" and None)."""
    polarity: str = ""
    predicate: str = ""
    first_is_subject: bool | None = None


def read_pubtator(path: Path, corpus: str) -> list[CorpusDocument]:
    """Documents of a PubTator file: text is title + " " + abstract, mentions of the mapped
    types with their (possibly several) concept ids, and the relation lines."""
    docs: list[CorpusDocument] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if "|t|" in line[:20]:
            pmid, _, title = line.split("|", 2)
            docs.append(CorpusDocument(corpus, pmid, title))
        elif "|a|" in line[:20]:
            docs[-1].text += " " + line.split("|", 2)[2]
        elif line.strip():
            cols = line.split("\t")
            if not docs or cols[0] != docs[-1].pmid:
                raise ValueError(f"{path}:{number}: annotation line of {cols[0]} outside its document")
            if len(cols) >= 6 and cols[1].isdigit() and cols[2].isdigit():
                our_type = TYPE_MAP.get(cols[4])
                ids = frozenset(i for part in cols[5].replace(";", ",").replace("|", ",").split(",")
                                if (i := part.strip()) and i != "-1")
                if our_type and ids:
                    docs[-1].mentions.append((int(cols[1]), int(cols[2]), our_type, ids))
            elif len(cols) >= 4:
                docs[-1].relations.append((cols[1], cols[2], cols[3]))
    return docs


def excluded_pmids() -> set[str]:
    """PMIDs that must not be trained on: gold documents of every split and BC5CDR dev."""
    out = {line.split("|", 1)[0] for line in CDR_DEV.read_text(encoding="utf-8").splitlines() if "|t|" in line[:20]}
    for split in ("train", "dev", "seed"):
        path = GOLD / split / "docs.jsonl"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    out.add(json.loads(line)["id"].removeprefix("PMID:"))
    return out


def load_corpora(limit: int = 0) -> list[CorpusDocument]:
    """BioRED train and BC5CDR train (deduplicated), less the excluded PMIDs."""
    skip = excluded_pmids()
    out, seen = [], set()
    for path, corpus in ((BIORED_TRAIN, "biored"), (CDR_TRAIN, "bc5cdr")):
        for doc in read_pubtator(path, corpus):
            if doc.pmid in skip or doc.pmid in seen:
                continue
            seen.add(doc.pmid)
            out.append(doc)
    return out[:limit] if limit else out


def pair_label(doc: CorpusDocument, first: tuple, second: tuple) -> PairLabel | None:
    """The label of the candidate (first, second) — each (type, ids) — or None to leave it out."""
    (type_a, ids_a), (type_b, ids_b) = first, second
    if doc.corpus == "bc5cdr" and {type_a, type_b} != {CHEMICAL, DISEASE}:
        return None
    found = None
    for relation, id1, id2 in doc.relations:
        if (id1 in ids_a and id2 in ids_b) or (id2 in ids_a and id1 in ids_b):
            if relation not in RELATION_MAP or found is not None:
                return None  # a relation we do not map, or two relations for one pair
            polarity, by_types = RELATION_MAP[relation]
            if "*" in by_types:
                found = PairLabel(polarity, by_types["*"], True)
            elif (type_a, type_b) in by_types:
                found = PairLabel(polarity, by_types[(type_a, type_b)], True)
            elif (type_b, type_a) in by_types:
                found = PairLabel(polarity, by_types[(type_b, type_a)], False)
            else:
                found = PairLabel(polarity)
    if found is None and doc.corpus == "bc5cdr":
        return None
    return found or PairLabel()


__all__ = ["CorpusDocument", "PairLabel", "RELATION_MAP", "load_corpora", "pair_label", "read_pubtator"]
