"""`alsfacts report OUT`: one self-contained HTML page about a run, for a researcher.

Run summary, best-supported and contradicted claims (with their evidence side by
side), the top entities and what is claimed about them, and plots made with
matplotlib (facts per predicate and strength, entities per type, evidence per claim)
and a networkx/matplotlib network of the top claims, all inlined as SVG: the file
opens from disk and requests nothing. Text is escaped by Jinja2's autoescaping; every
sentence links to its document (the source file, with an RFC 5147 `#char=start,end`
fragment) and shows its character offsets.
"""

from __future__ import annotations

import io
import json
import os
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from pipeline import __version__
from pipeline.evidence import EvidenceError, EvidenceIndex, claim_rows, curated_facts, read_run_facts, read_run_table
from pipeline.schema import PREDICATES

TEMPLATE = Path(__file__).with_name("templates") / "report.html"
STRENGTH_ORDER = ["direct_causal", "conditional_causal", "correlational", "none"]
STRENGTH_COLOURS = {"direct_causal": "#b2182b", "conditional_causal": "#ef8a62", "correlational": "#67a9cf",
                    "none": "#bababa"}
POLARITY_COLOURS = {"positive": "#1a9850", "negative": "#d73027", "association": "#4575b4", "safety": "#7b3294"}
TYPE_COLOURS = {"CELL_TYPE": "#66c2a5", "GENE_OR_PROTEIN": "#fc8d62", "DISEASE": "#e78ac3",
                "CHEMICAL_OR_DRUG": "#8da0cb", "INTERVENTION": "#a6d854", "ANATOMY": "#ffd92f",
                "ORGANISM": "#e5c494", "OUTCOME": "#b3b3b3", "TRIAL": "#1f78b4"}
TOP_CLAIMS = 15
TOP_ENTITIES = 8
NETWORK_CLAIMS = 25


class ReportError(ValueError):
    """A run folder the report cannot be made from (the message names it and says why)."""


# ---------------------------------------------------------------- plots

def _svg(figure) -> str:
    """A matplotlib figure as inline SVG markup (no XML prolog, no external references)."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "path", "font.size": 9})
    return plt.subplots(figsize=(width, height))


def plot_facts_per_predicate(facts: list[dict]) -> str:
    counts = Counter((f["predicate"], f["strength"] or "none") for f in facts)
    predicates = [p for p in PREDICATES if any(counts[(p, s)] for s in STRENGTH_ORDER)]
    figure, axes = _figure(6.5, 0.35 * len(predicates) + 1.2)
    left = [0] * len(predicates)
    for strength in STRENGTH_ORDER:
        values = [counts[(p, strength)] for p in predicates]
        axes.barh(predicates, values, left=left, color=STRENGTH_COLOURS[strength], label=strength)
        left = [a + b for a, b in zip(left, values)]
    axes.invert_yaxis()
    axes.set_xlabel("facts")
    axes.legend(title="claim strength", fontsize=7, title_fontsize=8, loc="lower right")
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def plot_entities_per_type(entities: list[dict]) -> str:
    counts = Counter(e["type"] for e in entities).most_common()
    figure, axes = _figure(6.5, 0.35 * len(counts) + 1.0)
    axes.barh([t for t, _ in counts], [n for _, n in counts], color=[TYPE_COLOURS.get(t, "#999") for t, _ in counts])
    axes.invert_yaxis()
    axes.set_xlabel("entity mentions")
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def plot_evidence_per_claim(claims: list[dict]) -> str:
    from matplotlib.ticker import MaxNLocator

    counts = Counter(c["n_documents"] for c in claims)
    documents = list(range(1, max(counts) + 1))
    figure, axes = _figure(6.5, 2.4)
    supported = Counter(c["n_documents"] for c in claims if c["agreement"] == "supported")
    axes.bar(documents, [supported[d] for d in documents], color="#1a9850", label="supported")
    axes.bar(documents, [counts[d] - supported[d] for d in documents], bottom=[supported[d] for d in documents],
             color="#d73027", label="contradicted")
    axes.set_xlabel("documents per claim")
    axes.set_ylabel("claims")
    axes.set_xticks(documents)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(fontsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def plot_claim_network(claims: list[dict]) -> str:
    """The top claims as a graph: nodes coloured by entity type, edges by polarity (dashed: contradicted)."""
    import networkx as nx
    from matplotlib.lines import Line2D

    graph = nx.MultiDiGraph()
    for claim in claims:
        for role in ("subject", "object"):
            graph.add_node(claim[f"{role}_key"], label=claim[f"{role}_name"], type=claim[f"{role}_type"])
        graph.add_edge(claim["subject_key"], claim["object_key"], polarity=claim["polarity"],
                       weight=claim["n_documents"], contradicted=claim["agreement"] == "contradicted")
    figure, axes = _figure(7.5, 5.5)
    positions = nx.kamada_kawai_layout(nx.Graph(graph))
    degree = dict(graph.degree())
    nx.draw_networkx_nodes(graph, positions, ax=axes, node_size=[250 + 120 * degree[n] for n in graph.nodes],
                           node_color=[TYPE_COLOURS.get(graph.nodes[n]["type"], "#999") for n in graph.nodes],
                           edgecolors="#333333", linewidths=0.5)
    for style, contradicted in (("solid", False), ("dashed", True)):
        edges = [(u, v) for u, v, data in graph.edges(data=True) if data["contradicted"] == contradicted]
        if edges:
            nx.draw_networkx_edges(
                graph, positions, ax=axes, edgelist=edges, style=style, arrows=True, arrowsize=12,
                connectionstyle="arc3,rad=0.08", node_size=400,
                edge_color=[POLARITY_COLOURS.get(graph.edges[u, v, 0]["polarity"], "#999") for u, v in edges],
                width=[0.8 + 0.8 * graph.edges[u, v, 0]["weight"] for u, v in edges])
    nx.draw_networkx_labels(graph, positions, ax=axes, font_size=7,
                            labels={n: _short(graph.nodes[n]["label"], 24) for n in graph.nodes})
    handles = [Line2D([], [], color=c, label=p) for p, c in POLARITY_COLOURS.items()]
    handles += [Line2D([], [], marker="o", linestyle="", markerfacecolor=TYPE_COLOURS[t], markeredgecolor="#333",
                       label=t.lower().replace("_", " ")) for t in sorted({graph.nodes[n]["type"] for n in graph.nodes}
                                                                         & set(TYPE_COLOURS))]
    axes.legend(handles=handles, fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    axes.axis("off")
    return _svg(figure)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- the page

def _read_table(out_dir: Path, name: str) -> list[dict]:
    try:
        return read_run_table(out_dir, name)
    except EvidenceError as error:
        raise ReportError(str(error)) from None


def _evidence(fact: dict, sources: dict[str, str], decisions: dict) -> dict:
    """A fact as shown in the report: sentence split around its arguments, link to document and offsets."""
    start, sentence = fact["sentence_start"], fact["sentence"]
    marks = sorted([(fact["subject_start"] - start, fact["subject_end"] - start, "subject"),
                    (fact["object_start"] - start, fact["object_end"] - start, "object")])
    pieces, cursor = [], 0
    for begin, end, role in marks:
        if begin < cursor or begin < 0 or end > len(sentence):
            continue
        pieces += [(sentence[cursor:begin], ""), (sentence[begin:end], role)]
        cursor = end
    pieces.append((sentence[cursor:], ""))
    source = sources.get(fact["doc_id"], "")
    href = (Path(source).resolve().as_uri() if source else "") + f"#char={start},{fact['sentence_end']}"
    return {"pieces": pieces, "doc_id": fact["doc_id"], "start": start, "end": fact["sentence_end"], "href": href,
            "strength": fact["strength"], "certainty": fact["certainty"], "negated": bool(fact["negated"]),
            "predicate": fact["predicate"], "status": decisions.get(fact.get("fact_id"), "")}


def report_context(out_dir: str | Path, db: str | Path | None = None) -> dict:
    """Everything the report shows, computed from the run folder (and the review database, if given)."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ReportError(f"{out_dir}: no such run folder; run `alsfacts extract PATH --out {out_dir}` first")
    documents = _read_table(out_dir, "documents")
    ok_documents = [d for d in documents if d["status"] == "ok"]
    if not ok_documents:
        raise ReportError(f"{out_dir}: the run has no readable documents ({len(documents)} failed): nothing to "
                          "report. Check the inputs (see the documents table's error column)")
    try:
        facts = read_run_facts(out_dir)
        rejected, decisions = 0, {}
        if db is not None:
            facts, rejected = curated_facts(facts, db)
            decisions = {f["fact_id"]: f.get("status", "") for f in facts}
    except EvidenceError as error:
        raise ReportError(str(error)) from None
    entities = _read_table(out_dir, "entities")
    manifest_path = out_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    claims = claim_rows(facts)
    index = EvidenceIndex(facts)
    sources = {d["doc_id"]: d["source"] for d in documents}
    facts_by_id = {f["fact_id"]: f for f in facts}

    def show(fact_list):
        return [_evidence(f, sources, decisions) for f in fact_list]

    ranked = sorted(claims, key=lambda c: (-c["n_supporting_documents"], -c["n_facts"], c["claim_key"]))
    best = [dict(c, evidence=show([facts_by_id[i] for i in c["fact_ids"]])) for c in ranked
            if c["agreement"] == "supported"][:TOP_CLAIMS]
    contradicted = []
    for claim in ranked:
        if claim["agreement"] == "contradicted":
            view = index.of_claim(claim["claim_key"])
            contradicted.append(dict(claim, support=show(view.agree), against=show(view.contradict)))

    mentions: dict[str, Counter] = defaultdict(Counter)
    kinds: dict[str, Counter] = defaultdict(Counter)
    for entity in entities:
        key = entity["concept_id"] or entity["text"].lower()
        mentions[key][entity["concept_name"] or entity["text"]] += 1
        kinds[key][entity["type"]] += 1
    about: dict[str, list[dict]] = defaultdict(list)
    for claim in claims:
        about[claim["subject_key"]].append(claim)
        if claim["object_key"] != claim["subject_key"]:
            about[claim["object_key"]].append(claim)
    top_entities = sorted(about, key=lambda k: (-sum(c["n_facts"] for c in about[k]),
                                                -sum(mentions[k].values()), k))[:TOP_ENTITIES]
    entity_sections = [{
        "key": key,
        "name": (mentions[key].most_common(1)[0][0] if mentions[key] else
                 next(c["subject_name"] if c["subject_key"] == key else c["object_name"] for c in about[key])),
        "type": kinds[key].most_common(1)[0][0] if kinds[key] else "",
        "mentions": sum(mentions[key].values()),
        "documents": len({d for c in about[key] for d in c["doc_ids"]}),
        "claims": sorted(about[key], key=lambda c: (-c["n_facts"], c["claim_key"])),
    } for key in top_entities]

    network_claims = ranked[:NETWORK_CLAIMS]
    plots = {}
    if facts:
        plots["predicates"] = plot_facts_per_predicate(facts)
        plots["evidence"] = plot_evidence_per_claim(claims)
        plots["network"] = plot_claim_network(network_claims)
    if entities:
        plots["entities"] = plot_entities_per_type(entities)
    failures = [d for d in documents if d["status"] != "ok"]
    return {
        "out_dir": str(out_dir), "db": str(db) if db else "", "version": __version__,
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "manifest": manifest,
        "summary": {"documents": len(ok_documents), "errors": len(failures), "facts": len(facts),
                    "entities": len(entities), "claims": len(claims), "rejected": rejected,
                    "contradicted": sum(1 for c in claims if c["agreement"] == "contradicted"),
                    "multi_document": sum(1 for c in claims if c["n_documents"] > 1),
                    "words": manifest.get("words")},
        "failures": failures, "best": best, "contradicted": contradicted, "entities": entity_sections,
        "plots": plots, "network_size": len(network_claims),
        "polarity_colours": POLARITY_COLOURS,
    }


def render_report(context: dict) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    environment = Environment(loader=FileSystemLoader(TEMPLATE.parent), autoescape=select_autoescape(["html"]))
    context = dict(context, plots={name: Markup(svg) for name, svg in context["plots"].items()})
    return environment.get_template(TEMPLATE.name).render(**context)


def write_report(out_dir: str | Path, html: str | Path | None = None, db: str | Path | None = None) -> Path:
    """Write the report (default OUT/report.html) atomically; returns its path."""
    path = Path(html) if html else Path(out_dir) / "report.html"
    page = render_report(report_context(out_dir, db))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(page, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def register(app) -> None:
    import typer

    @app.command("report")
    def report(
        out: Path = typer.Argument(Path("outputs"), help="Extractor output folder."),
        html: Path = typer.Option(None, "--html", help="Where to write the page (default: OUT/report.html)."),
        db: Path = typer.Option(None, "--db", help="Count curator decisions from this review database."),
    ) -> None:
        """Write a self-contained HTML report of a run: claims, contradictions, entities, plots."""
        try:
            path = write_report(out, html, db)
        except ReportError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(2) from None
        typer.echo(f"wrote {path} (open it in a browser; it needs no network)")
