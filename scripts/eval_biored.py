"""Document-level relation pairs on BioRED's development split, end to end.

    python scripts/eval_biored.py                      # all 100 Dev abstracts, prints JSON
    python scripts/eval_biored.py --limit 10 --json benchmarks/biored_dev.json

BioRED annotates, per abstract, relations between concepts (genes by NCBI Gene id, chemicals and
diseases by MeSH id) whatever sentence states them. The whole default pipeline (shipped models)
reads each abstract (title + " " + text, as BioRED's offsets do); each fact it states becomes the
unordered pair of its arguments' concept ids: MeSH ids without their prefix, HGNC genes through
HGNC's NCBI Gene cross-reference (`pipeline.kb.ncbi_gene_ids`). A pair is found when the gold
lists a relation of any type between the same two ids (*pairs*); *pairs + type* also needs the
relation type, which the polarity class of most of the pair's facts gives: positive -> Positive_Correlation, negative
-> Negative_Correlation, association -> Association (a fact whose polarity is safety or which is
negated says none of them). An argument without such an id cannot match: BioRED's genes of other
species (mouse, rat) and its sequence variants are not reachable this way.

Nothing of BioRED is trained on by the claim classifier (`CORPUS_WEIGHT = 0`); the NER's
training used BioRED Train and chose its checkpoint on BioRED Dev, for mentions only.
"""
from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.evaluate import polarity_class  # noqa: E402
from pipeline.kb import ncbi_gene_ids  # noqa: E402
from pipeline.training.claim_corpora import DATA, read_pubtator  # noqa: E402

BIORED_DEV = DATA / "biored" / "Dev.PubTator"
RELATION_OF_POLARITY = {"positive": "Positive_Correlation", "negative": "Negative_Correlation",
                        "association": "Association"}

app = typer.Typer(add_completion=False, help=__doc__)


def biored_id(concept_id: str) -> str:
    """Our concept id as BioRED writes it ("" when BioRED has no such id)."""
    if concept_id.startswith("MESH:"):
        return concept_id[len("MESH:"):]
    if concept_id.startswith("HGNC:"):
        return ncbi_gene_ids().get(concept_id, "").removeprefix("NCBIGene:")
    return ""


def predicted_pairs(facts: list) -> dict:
    """{frozenset of two BioRED ids: relation type}: the type most of the pair's facts give
    (the first stated on a tie; "" when none gives one, e.g. only negated facts)."""
    votes: dict = {}
    for fact in facts:
        first, second = biored_id(fact.subject.kb_id_), biored_id(fact.object.kb_id_)
        if not first or not second or first == second:
            continue
        counts = votes.setdefault(frozenset((first, second)), Counter())
        relation = RELATION_OF_POLARITY.get(polarity_class(fact.predicate, fact.negated) or "")
        if relation:
            counts[relation] += 1
    return {pair: (counts.most_common(1)[0][0] if counts else "") for pair, counts in votes.items()}


def gold_pairs(relations: list) -> dict:
    """{frozenset of two ids: set of relation types} of a BioRED document's relation lines."""
    pairs: dict = {}
    for relation, first, second in relations:
        pairs.setdefault(frozenset((first, second)), set()).add(relation)
    return pairs


def score_pairs(gold: dict, predicted: dict) -> dict:
    """Micro P/R/F1 over documents, of pairs and of pairs with their relation type.
    `gold`: {doc id: {pair: set of types}}, `predicted`: {doc id: {pair: type}}."""
    counts = Counter()
    for doc_id in set(gold) | set(predicted):
        g, p = gold.get(doc_id, {}), predicted.get(doc_id, {})
        counts["gold"] += len(g)
        counts["predicted"] += len(p)
        counts["pairs"] += len(g.keys() & p.keys())
        counts["typed"] += sum(1 for k in g.keys() & p.keys() if p[k] in g[k])

    def prf(correct, predicted, gold):
        precision = correct / predicted if predicted else 0.0
        recall = correct / gold if gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if correct else 0.0
        return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                "correct": correct, "predicted": predicted, "gold": gold}

    return {"pairs": prf(counts["pairs"], counts["predicted"], counts["gold"]),
            "pairs_and_type": prf(counts["typed"], counts["predicted"], counts["gold"])}


def reachable(doc, pairs: dict) -> int:
    """How many of a document's gold pairs have both ids among the pipeline's entity ids."""
    ids = {biored_id(e.kb_id_) for e in doc.ents} - {""}
    return sum(1 for pair in pairs if pair <= ids)


def evaluate_biored(path: Path = BIORED_DEV, limit: int = 0) -> dict:
    from pipeline.nlp import build_nlp
    from pipeline.records import facts_of

    documents = read_pubtator(path, "biored")
    if limit:
        documents = documents[:limit]
    nlp = build_nlp()
    gold, predicted, covered, total = {}, {}, 0, 0
    t0 = time.time()
    for document, doc in zip(documents, nlp.pipe((d.text for d in documents), batch_size=32)):
        gold[document.pmid] = pairs = gold_pairs(document.relations)
        predicted[document.pmid] = predicted_pairs(facts_of(doc))
        covered, total = covered + reachable(doc, pairs), total + len(pairs)
    scores = score_pairs(gold, predicted)
    scores.update({"documents": len(documents), "gold_pairs_with_both_ids_found": round(covered / total, 4) if total else 0.0,
                   "seconds": round(time.time() - t0, 1), "data": str(path.name)})
    return scores


@app.command()
def main(data: Path = typer.Option(BIORED_DEV, help="A BioRED PubTator file"),
         limit: int = typer.Option(0, help="Only the first N documents"),
         json_out: Path = typer.Option(None, "--json", help="Also write the scores here")) -> None:
    """Score the default pipeline's facts as BioRED document-level relation pairs."""
    if not data.is_file():
        typer.echo(f"{data}: no such file (BioRED's Dev.PubTator is expected under ../shared/data/biored)", err=True)
        raise typer.Exit(1)
    scores = evaluate_biored(data, limit)
    text = json.dumps(scores, indent=1)
    typer.echo(text)
    if json_out:
        json_out.write_text(text + "\n")


if __name__ == "__main__":
    app()
