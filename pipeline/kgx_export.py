"""KGX TSV export: `nodes.tsv` and `edges.tsv` in the Biolink Model.

One node per argument concept (its concept id; an argument without one gets an
`alsfacts:` id made from its normalized text), one edge per claim and polarity
(claim key, negated or not) with its publications (documents), evidence count and
supporting sentences. Our predicates map to Biolink predicates and qualifiers as
the table below says; `original_predicate` keeps ours. Multi-valued cells are
separated by `|`, the KGX TSV convention.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections import Counter, defaultdict
from pathlib import Path

from pipeline.evidence import Evidence, EvidenceIndex

CATEGORY_BY_TYPE = {
    "CELL_TYPE": "biolink:Cell",
    "GENE_OR_PROTEIN": "biolink:Gene",
    "DISEASE": "biolink:Disease",
    "CHEMICAL_OR_DRUG": "biolink:ChemicalEntity",
    "INTERVENTION": "biolink:Procedure",
    "ANATOMY": "biolink:AnatomicalEntity",
    "ORGANISM": "biolink:OrganismTaxon",
    "OUTCOME": "biolink:PhenotypicFeature",
    "TRIAL": "biolink:ClinicalTrial",
}
DEFAULT_CATEGORY = "biolink:NamedThing"

# our predicate -> (Biolink predicate, qualified predicate, object direction qualifier)
PREDICATE_MAP = {
    "increases": ("biolink:affects", "biolink:causes", "increased"),
    "decreases": ("biolink:affects", "biolink:causes", "decreased"),
    "positively_correlated_with": ("biolink:positively_correlated_with", "", ""),
    "negatively_correlated_with": ("biolink:negatively_correlated_with", "", ""),
    "higher_in": ("biolink:positively_correlated_with", "", ""),
    "lower_in": ("biolink:negatively_correlated_with", "", ""),
    "treats": ("biolink:treats", "", ""),
    "causes": ("biolink:causes", "", ""),
    "associated_with": ("biolink:associated_with", "", ""),
    "safe_in": ("biolink:treats_or_applied_or_studied_to_treat", "", ""),
}
# the measured attribute of an argument -> Biolink aspect qualifier (GeneOrGeneProductOrChemicalEntityAspectEnum)
ASPECT_BY_ATTRIBUTE = {
    "level": "abundance", "levels": "abundance", "number": "abundance", "amount": "abundance",
    "count": "abundance", "concentration": "abundance", "activity": "activity", "expression": "expression",
    "function": "activity",
}
PUBLICATION_PREFIXES = ("PMID:", "PMC", "DOI:", "doi:")

NODE_COLUMNS = ["id", "category", "name", "provided_by"]
EDGE_COLUMNS = [
    "id", "subject", "predicate", "object", "category", "qualified_predicate", "subject_aspect_qualifier",
    "object_aspect_qualifier", "object_direction_qualifier", "negated", "original_predicate",
    "knowledge_level", "agent_type", "primary_knowledge_source", "publications", "evidence_count",
    "supporting_text", "agreement", "strength", "certainty",
]
KNOWLEDGE_SOURCE = "infores:alsfacts"
PROVIDER = "alsfacts"


def node_id(concept_id: str, text: str) -> str:
    if concept_id:
        return concept_id
    slug = re.sub(r"[^a-z0-9]+", "_", (text or "").lower()).strip("_")
    return f"alsfacts:{slug or 'unnamed'}"


def edge_id(claim_key: str, negated: bool) -> str:
    """A stable id per claim and polarity (claim keys hold `|`, KGX's list separator)."""
    raw = f"{'not ' if negated else ''}{claim_key}"
    return f"alsfacts.claim:{hashlib.sha1(raw.encode('utf-8')).hexdigest()[:16]}"


def publication(doc_id: str) -> str:
    return doc_id if doc_id.startswith(PUBLICATION_PREFIXES) else f"alsfacts.document:{doc_id}"


def _cell(value) -> str:
    if isinstance(value, (list, tuple)):
        return "|".join(_cell(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return re.sub(r"[\t\r\n|]+", " ", str(value if value is not None else ""))


def kgx_rows(facts: list[dict]) -> tuple[list[dict], list[dict]]:
    """(nodes, edges) as dicts keyed by NODE_COLUMNS and EDGE_COLUMNS."""
    names: dict[str, Counter] = defaultdict(Counter)
    categories: dict[str, Counter] = defaultdict(Counter)
    index = EvidenceIndex(facts)
    for fact in facts:
        for role in ("subject", "object"):
            nid = node_id(fact[f"{role}_id"], fact[f"{role}_text"])
            names[nid][fact[f"{role}_name"] or fact[f"{role}_text"]] += 1
            categories[nid][CATEGORY_BY_TYPE.get(fact[f"{role}_type"], DEFAULT_CATEGORY)] += 1
    nodes = [{"id": nid, "category": categories[nid].most_common(1)[0][0],
              "name": names[nid].most_common(1)[0][0], "provided_by": PROVIDER} for nid in names]

    groups: dict[tuple[str, bool], list[Evidence]] = defaultdict(list)
    for item in index.evidence:
        groups[(item.claim_key, item.negated)].append(item)
    edges = []
    for (key, negated), items in groups.items():
        first = items[0].fact
        predicate, qualified, direction = PREDICATE_MAP[first["predicate"]]
        agreement = index.of_fact(first)
        aspect = {role: ASPECT_BY_ATTRIBUTE.get((first[f"{role}_attribute"] or "").lower(), "")
                  for role in ("subject", "object")}
        edges.append({
            "id": edge_id(key, negated),
            "subject": node_id(first["subject_id"], first["subject_text"]),
            "predicate": predicate,
            "object": node_id(first["object_id"], first["object_text"]),
            "category": "biolink:Association",
            "qualified_predicate": qualified,
            "subject_aspect_qualifier": aspect["subject"] if qualified else "",
            "object_aspect_qualifier": aspect["object"] if qualified else "",
            "object_direction_qualifier": direction,
            "negated": negated,
            "original_predicate": f"alsfacts:{first['predicate']}",
            "knowledge_level": "knowledge_assertion",
            "agent_type": "text_mining_agent",
            "primary_knowledge_source": KNOWLEDGE_SOURCE,
            "publications": list(dict.fromkeys(publication(i.fact["doc_id"]) for i in items)),
            "evidence_count": len(items),
            "supporting_text": list(dict.fromkeys(i.fact["sentence"] for i in items)),
            "agreement": "contradicted" if agreement.contradict else "supported",
            "strength": Counter(i.fact["strength"] or "none" for i in items).most_common(1)[0][0],
            "certainty": Counter(i.fact["certainty"] or "asserted" for i in items).most_common(1)[0][0],
        })
    return nodes, edges


def _write_tsv(path: Path, columns: list[str], rows: list[dict]) -> Path:
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
        writer.writerow(columns)
        writer.writerows([[_cell(row[c]) for c in columns] for row in rows])
    return partial


def export_kgx(facts: list[dict], out_dir: str | Path) -> dict:
    """Write nodes.tsv and edges.tsv into out_dir (both or neither); returns the counts and paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nodes, edges = kgx_rows(facts)
    finals = {"nodes": out_dir / "nodes.tsv", "edges": out_dir / "edges.tsv"}
    partials = {}
    try:
        partials["nodes"] = _write_tsv(finals["nodes"], NODE_COLUMNS, nodes)
        partials["edges"] = _write_tsv(finals["edges"], EDGE_COLUMNS, edges)
        for name, partial in partials.items():
            os.replace(partial, finals[name])
    finally:
        for partial in partials.values():
            partial.unlink(missing_ok=True)
    return {"nodes": len(nodes), "edges": len(edges), "nodes_tsv": str(finals["nodes"]),
            "edges_tsv": str(finals["edges"])}
