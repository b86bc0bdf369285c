"""Evidence across documents: the `claims` table, agreement and contradictions.

A *claim* is everything said with one `claim_key` (subject, predicate, object; each
argument by its concept id, by its lower-cased text when it has none; symmetric
predicates in a fixed order), whatever the document. Its evidence is the facts with
that key. Two facts on the same argument pair (in the same direction, or in either
direction when one of the predicates is symmetric) *conflict* when

- they have the same predicate and one is negated and the other is not, or
- neither is negated and their predicates have opposite polarity classes
  (`positive` vs `negative`, FACTS_SPEC §2; e.g. `increases` vs `decreases`,
  `higher_in` vs `lower_in`).

A claim is `contradicted` when some fact conflicts with what the claim says (its
non-negated facts, or its negated ones when it is only ever said negated); otherwise
`supported`. Curator decisions count when a review database is given: a rejected fact
is not evidence, an edited fact counts with its edited values.

The same functions serve the claims table, the report and the review app.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.schema import CLAIM_COLUMNS, CLAIM_LIST_COLUMNS, FACT_COLUMNS, POLARITY, SYMMETRIC_PREDICATES

CLAIMS_TABLE = "claims"
STRENGTH_COUNTS = {"direct_causal": "n_direct_causal", "conditional_causal": "n_conditional_causal",
                   "correlational": "n_correlational", "none": "n_no_strength"}
CERTAINTY_COUNTS = {"asserted": "n_asserted", "hedged": "n_hedged", "hypothetical": "n_hypothetical"}
OPPOSITE = {"positive": "negative", "negative": "positive"}


class EvidenceError(ValueError):
    """Input that the claims table cannot be built from (named file, what is wrong)."""


def argument_key(concept_id, text) -> str:
    """How an argument is grouped: the same rule as `pipeline.records.argument_key`."""
    return concept_id or (text or "").lower()


def claim_key(subject_key: str, predicate: str, object_key: str) -> str:
    """The same rule as `pipeline.records.claim_key` (recomputed for curator-edited facts)."""
    if predicate in SYMMETRIC_PREDICATES and object_key < subject_key:
        subject_key, object_key = object_key, subject_key
    return f"{subject_key}|{predicate}|{object_key}"


@dataclass
class Evidence:
    """One fact as evidence: its keys, polarity and the fact row itself."""

    fact: dict
    subject_key: str
    object_key: str
    claim_key: str
    predicate: str
    negated: bool

    @classmethod
    def of(cls, fact: dict) -> "Evidence":
        subject_key = argument_key(fact.get("subject_id"), fact.get("subject_text"))
        object_key = argument_key(fact.get("object_id"), fact.get("object_text"))
        predicate = fact.get("predicate") or ""
        return cls(fact, subject_key, object_key, claim_key(subject_key, predicate, object_key), predicate,
                   bool(fact.get("negated")))

    @property
    def pair(self) -> tuple[str, str]:
        return self.subject_key, self.object_key

    @property
    def polarity(self) -> str | None:
        return POLARITY.get(self.predicate)

    def conflicts_with(self, other: "Evidence") -> bool:
        same_direction = self.pair == other.pair
        reversed_ok = ((self.predicate in SYMMETRIC_PREDICATES or other.predicate in SYMMETRIC_PREDICATES)
                       and self.pair == (other.object_key, other.subject_key))
        if not (same_direction or reversed_ok):
            return False
        if self.predicate == other.predicate:
            return self.negated != other.negated
        if self.negated or other.negated:
            return False
        return OPPOSITE.get(self.polarity) == other.polarity


@dataclass
class FactAgreement:
    """Who agrees with a fact and who contradicts it (other facts, with their documents)."""

    agree: list[dict] = field(default_factory=list)
    contradict: list[dict] = field(default_factory=list)

    @property
    def agree_documents(self) -> list[str]:
        return sorted({f["doc_id"] for f in self.agree})

    @property
    def contradict_documents(self) -> list[str]:
        return sorted({f["doc_id"] for f in self.contradict})


class EvidenceIndex:
    """Facts indexed by argument pair, for agreement questions about a fact or a claim."""

    def __init__(self, facts: list[dict]):
        self.evidence = [Evidence.of(f) for f in facts]
        self._by_pair: dict[frozenset, list[Evidence]] = defaultdict(list)
        self.by_claim: dict[str, list[Evidence]] = defaultdict(list)
        for item in self.evidence:
            self._by_pair[frozenset(item.pair)].append(item)
            self.by_claim[item.claim_key].append(item)

    def conflicting(self, item: Evidence) -> list[Evidence]:
        return [other for other in self._by_pair[frozenset(item.pair)] if item.conflicts_with(other)]

    def of_fact(self, fact: dict) -> FactAgreement:
        """Facts that say the same (same claim, same negation) and facts that conflict with `fact`."""
        item = Evidence.of(fact)
        same = [o.fact for o in self.by_claim[item.claim_key]
                if o.negated == item.negated and o.fact.get("fact_id") != fact.get("fact_id")]
        return FactAgreement(agree=same, contradict=[o.fact for o in self.conflicting(item)])

    def stance(self, key: str) -> Evidence | None:
        """The fact that stands for what claim `key` says: a non-negated one, else a negated one."""
        items = self.by_claim.get(key) or []
        return next((i for i in items if not i.negated), items[0] if items else None)

    def of_claim(self, key: str) -> FactAgreement:
        """Supporting and contradicting facts of a claim (what its stance fact agrees and conflicts with)."""
        stance = self.stance(key)
        if stance is None:
            return FactAgreement()
        support = [o.fact for o in self.by_claim[key] if o.negated == stance.negated]
        return FactAgreement(agree=support, contradict=[o.fact for o in self.conflicting(stance)])


def _most_common(values) -> str:
    values = [v for v in values if v]
    return Counter(values).most_common(1)[0][0] if values else ""


def _ordered_unique(values) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def claim_rows(facts: list[dict]) -> list[dict]:
    """One row per claim key (in order of first appearance) with its evidence and agreement."""
    index = EvidenceIndex(facts)
    rows = []
    for key, items in index.by_claim.items():
        stance = index.stance(key)
        agreement = index.of_claim(key)
        row_facts = [i.fact for i in items]
        contradicting_claims = _ordered_unique(("not " if i.negated else "") + i.claim_key
                                               for i in map(Evidence.of, agreement.contradict))
        strengths = Counter(f.get("strength") or "none" for f in row_facts)
        certainties = Counter(f.get("certainty") or "asserted" for f in row_facts)
        row = {
            "claim_key": key,
            "subject_key": stance.subject_key,
            "subject_id": stance.fact.get("subject_id") or "",
            "subject_name": _most_common(f.get("subject_name") for f in row_facts)
            or _most_common(f.get("subject_text") for f in row_facts),
            "subject_type": _most_common(f.get("subject_type") for f in row_facts),
            "predicate": stance.predicate,
            "polarity": stance.polarity or "",
            "object_key": stance.object_key,
            "object_id": stance.fact.get("object_id") or "",
            "object_name": _most_common(f.get("object_name") for f in row_facts)
            or _most_common(f.get("object_text") for f in row_facts),
            "object_type": _most_common(f.get("object_type") for f in row_facts),
            "agreement": "contradicted" if agreement.contradict else "supported",
            "n_documents": len({f["doc_id"] for f in row_facts}),
            "n_sentences": len({(f["doc_id"], f.get("sentence_id")) for f in row_facts}),
            "n_facts": len(row_facts),
            "n_supporting_documents": len(agreement.agree_documents),
            "n_contradicting_documents": len(agreement.contradict_documents),
            "n_negated": sum(1 for i in items if i.negated),
            **{column: strengths.get(value, 0) for value, column in STRENGTH_COUNTS.items()},
            **{column: certainties.get(value, 0) for value, column in CERTAINTY_COUNTS.items()},
            "species": sorted({f["species"] for f in row_facts if f.get("species")}),
            "study_types": sorted({f["study_type"] for f in row_facts if f.get("study_type")}),
            "fact_ids": [f["fact_id"] for f in row_facts],
            "doc_ids": _ordered_unique(f["doc_id"] for f in row_facts),
            "contradicting_claims": contradicting_claims,
            "contradicting_fact_ids": [f["fact_id"] for f in agreement.contradict],
        }
        rows.append(row)
    return rows


# ---------------------------------------------------------------- reading a run

def read_run_table(out_dir: str | Path, name: str, columns: list[str] | None = None) -> list[dict]:
    """Table `name` of a run folder as dicts (only `columns`, which must all be there, when given);
    a clear EvidenceError when the folder or table is missing or unreadable."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    path = out_dir / f"{name}.parquet"
    if not out_dir.is_dir():
        raise EvidenceError(f"{out_dir}: no such run folder; run `alsfacts extract PATH --out {out_dir}` first")
    if not path.exists():
        raise EvidenceError(f"{out_dir}: no {name}.parquet here; is this an `alsfacts extract` output folder? "
                            f"Run `alsfacts extract PATH --out {out_dir}` (which writes it) first")
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise EvidenceError(f"{path}: not a readable Parquet file ({error}); run `alsfacts extract` again "
                            "to rewrite it") from None
    if columns is None:
        return table.to_pylist()
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise EvidenceError(f"{path}: lacks the columns {missing}; it was not written by this alsfacts version")
    return table.select(columns).to_pylist()


def read_run_facts(out_dir: str | Path) -> list[dict]:
    """The facts table of a run folder as dicts."""
    return read_run_table(out_dir, "facts", FACT_COLUMNS)


def curated_facts(facts: list[dict], db_path: str | Path) -> tuple[list[dict], int]:
    """The run's facts as curated in the review database: rejected ones dropped, edits applied.

    Returns (facts, number rejected). A database that holds none of the run's facts was
    loaded from another run: EvidenceError.
    """
    from pipeline.export import curated_rows

    db_path = Path(db_path)
    if not db_path.is_file():
        raise EvidenceError(f"{db_path}: no such review database")
    try:
        rows = curated_rows(db_path)
    except Exception as error:  # sqlite3.DatabaseError and friends: not a store of ours
        raise EvidenceError(f"{db_path}: not an alsfacts review database ({error})") from None
    by_id = {(r["doc_id"], r["fact_id"]): r for r in rows}
    if facts and not any((f["doc_id"], f["fact_id"]) in by_id for f in facts):
        raise EvidenceError(f"{db_path} holds none of this run's {len(facts)} facts: it was loaded from another "
                            "run. Load this run into it first (`alsfacts load OUT --db DB`) or name the right database")
    curated, rejected = [], 0
    for fact in facts:
        row = by_id.get((fact["doc_id"], fact["fact_id"]))
        if row is None:
            curated.append(fact)
        elif row["status"] == "rejected":
            rejected += 1
        else:
            curated.append({column: row[column] for column in FACT_COLUMNS} | {"status": row["status"]})
    return curated, rejected


# ---------------------------------------------------------------- writing the table

def claims_arrow_table(rows: list[dict]):
    import pyarrow as pa

    from pipeline.schema import claims_arrow_schema

    schema = claims_arrow_schema()
    return pa.Table.from_pylist([{c: row[c] for c in CLAIM_COLUMNS} for row in rows], schema=schema)


def _csv_value(column: str, value):
    if column in CLAIM_LIST_COLUMNS:
        return json.dumps(list(value), ensure_ascii=False)
    return value


def write_claims(out_dir: str | Path, db: str | Path | None = None) -> dict:
    """Build the claims table of a run folder and write claims.parquet and claims.csv atomically.

    Both files are written as hidden partial files first and moved into place only when
    both are complete. Returns the row count, agreement counts and the rejected facts left out.
    """
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    facts = read_run_facts(out_dir)
    rejected = 0
    if db is not None:
        facts, rejected = curated_facts(facts, db)
    rows = claim_rows(facts)
    final = {ext: out_dir / f"{CLAIMS_TABLE}.{ext}" for ext in ("parquet", "csv")}
    partial = {ext: path.with_name(f".{path.name}.partial") for ext, path in final.items()}
    try:
        pq.write_table(claims_arrow_table(rows), partial["parquet"])
        with open(partial["csv"], "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(CLAIM_COLUMNS)
            writer.writerows([[_csv_value(c, row[c]) for c in CLAIM_COLUMNS] for row in rows])
        for ext in final:
            os.replace(partial[ext], final[ext])
    finally:
        for path in partial.values():
            path.unlink(missing_ok=True)
    agreement = Counter(row["agreement"] for row in rows)
    return {"rows": len(rows), "supported": agreement.get("supported", 0),
            "contradicted": agreement.get("contradicted", 0), "rejected_facts": rejected,
            "parquet": str(final["parquet"]), "csv": str(final["csv"])}


def claims_rows_kept(out_dir: str | Path) -> int:
    """For an unchanged rerun: the row count of the claims table there, written first if it is missing."""
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    parquet, csv_path = out_dir / f"{CLAIMS_TABLE}.parquet", out_dir / f"{CLAIMS_TABLE}.csv"
    if parquet.exists() and csv_path.exists():
        try:
            return pq.ParquetFile(parquet).metadata.num_rows
        except Exception:  # a damaged file: rewrite it below
            pass
    return write_claims(out_dir)["rows"]


def read_claims(out_dir: str | Path) -> list[dict]:
    """claims.parquet of a run folder as dicts (lists as Python lists)."""
    return read_run_table(out_dir, CLAIMS_TABLE)

