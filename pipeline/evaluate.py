"""Scores of FACTS_SPEC §4: predicted entities and facts against gold annotations.

Python use::

    gold = load_gold(["../shared/gold/seed", "../shared/gold/dev"])  # set folders, or folders of them
    pred = load_predictions("outputs/run1")       # entities/facts .parquet (or .csv), texts.jsonl
    report = evaluate(gold, pred)                 # JSON-ready dict
    print(render_report(report))

    # cross-validation: one fold's documents, predictions held in memory
    report = score_predictions(gold, entities_frame, facts_frame, texts={doc_id: text}, doc_ids=fold)

Command line (through ``register(app)``)::

    alsfacts eval --gold ../shared/gold --pred outputs/run1 [--json FILE]

Matching rules, as implemented (texts are compared as token sequences; a token is a run of
letters and digits, lower-cased, so "IL-2" is ``("il", "2")``):

* Scored documents: those of the gold (doc_ids of its entities, facts and docs.jsonl), or
  exactly the ``doc_ids`` asked for.
* Entities, per document, are items ``(type, key)``; key = concept id, else lower-cased
  text. Each item keeps the texts of its mentions.
  - A gold item with an id is *found* (recall) only by a predicted item of the same type
    and id. A text-keyed gold item is found by a predicted item of the same type with a
    mention text that contains, or is contained in, a gold text at word boundaries
    ("ALS" is in "familial ALS", not in "fALS").
  - A predicted item is *correct* (precision) when some gold item of the same type has the
    same id, or, when either side is text-keyed, when a mention text of one contains a
    mention text of the other at word boundaries.
* Facts: a predicted fact matches a gold fact of the same document when both arguments
  match — in either order when the gold predicate is ``*_correlated_with`` or
  ``associated_with``, in the gold order otherwise — and the polarity classes are equal (a
  negated fact has class None). Arguments match on equal non-empty ids, on token
  containment either way, or on content words (stop words removed) with Jaccard >= 0.5.
  Pairs are chosen by a maximum bipartite matching per document; among the maximum
  matchings, the one agreeing most on predicate, certainty and strength. The relaxed
  "pairs" score is the same without the polarity condition.
* Argument coverage: the share of gold facts whose sentence (located in the document
  text) holds two distinct predicted entity mentions (by their character offsets), one
  matching the subject and one the object under the argument rule above. Document texts
  come from the prediction folder's texts.jsonl, else from the gold's docs.jsonl.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Iterable, Optional, Union

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from scipy.optimize import linear_sum_assignment
from spacy.lang.en.stop_words import STOP_WORDS

from pipeline.schema import ENTITY_TYPES, POLARITY, PREDICATES, SYMMETRIC_PREDICATES
from pipeline.training.gold import read_jsonl

PathLike = Union[str, Path]

GOLD_ENTITY_FILE = "entities.jsonl"
GOLD_FACT_FILE = "facts.jsonl"
PREDICTION_TABLES = ("entities", "facts")
DEFAULT_REPORT_NAME = "eval.json"
GOLD_DOCS_FILE = "docs.jsonl"
TEXTS_FILE = "texts.jsonl"  # written by `alsfacts extract` (pipeline.outputs)

# The columns evaluation reads; gold rows are flattened to the same names.
ENTITY_FIELDS = ["doc_id", "text", "type", "concept_id"]
ARGUMENT_FIELDS = ["text", "type", "id", "attribute"]
FACT_FIELDS = (
    ["doc_id", "sentence"]
    + [f"subject_{name}" for name in ARGUMENT_FIELDS]
    + ["predicate"]
    + [f"object_{name}" for name in ARGUMENT_FIELDS]
    + ["negated", "certainty", "strength"]
)
OFFSET_FIELDS = ["start", "end"]
REQUIRED_ENTITY_FIELDS = ["doc_id", "text", "type"]
REQUIRED_FACT_FIELDS = ["doc_id", "subject_text", "predicate", "object_text"]

TRUE_STRINGS = {"true", "1", "yes", "y", "t"}
TOKEN_PATTERN = re.compile(r"[^\W_]+")  # runs of letters and digits
SPACE_PATTERN = re.compile(r"\s+")


# ----------------------------------------------------------------------------- data sets


@dataclass
class GoldSet:
    """Gold entities and facts, flattened to ENTITY_FIELDS / FACT_FIELDS columns, and document texts."""

    entities: pd.DataFrame
    facts: pd.DataFrame
    sources: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def doc_ids(self) -> set[str]:
        return set(self.entities["doc_id"]) | set(self.facts["doc_id"]) | set(self.texts)

    @classmethod
    def from_records(cls, entities: Iterable[dict], facts: Iterable[dict], sources=(), texts=None) -> "GoldSet":
        """Build from gold-format records (spec §3: facts with nested subject/object)."""
        entity_frame = _clean_frame(pd.DataFrame(list(entities)), ENTITY_FIELDS, REQUIRED_ENTITY_FIELDS)
        fact_frame = _clean_frame(
            pd.DataFrame([_flatten_gold_fact(fact) for fact in facts]), FACT_FIELDS, REQUIRED_FACT_FIELDS
        )
        return cls(entity_frame, fact_frame, [str(source) for source in sources], dict(texts or {}))

    def subset(self, doc_ids: Iterable[str]) -> "GoldSet":
        """The gold of these documents only (e.g. one cross-validation fold)."""
        keep = set(doc_ids)
        return GoldSet(
            self.entities[self.entities["doc_id"].isin(keep)].reset_index(drop=True),
            self.facts[self.facts["doc_id"].isin(keep)].reset_index(drop=True),
            list(self.sources),
            {doc_id: text for doc_id, text in self.texts.items() if doc_id in keep},
        )


@dataclass
class Predictions:
    """Predicted entities and facts (pipeline.schema columns, at least the evaluated ones).

    Entity ``start``/``end`` (character offsets into ``texts[doc_id]``) are optional; without
    them, or without the text, argument coverage cannot be computed for that document.
    """

    entities: pd.DataFrame
    facts: pd.DataFrame
    source: str = ""
    notes: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_frames(
        cls, entities: Optional[pd.DataFrame], facts: Optional[pd.DataFrame], source="",
        texts: Optional[dict[str, str]] = None,
    ) -> "Predictions":
        entity_frame = _clean_frame(entities, ENTITY_FIELDS, REQUIRED_ENTITY_FIELDS)
        entity_frame[OFFSET_FIELDS] = _offsets(entities, len(entity_frame))
        fact_frame = _clean_frame(facts, FACT_FIELDS, REQUIRED_FACT_FIELDS)
        return cls(entity_frame, fact_frame, str(source), texts=dict(texts or {}))


def _offsets(frame: Optional[pd.DataFrame], length: int) -> pd.DataFrame:
    """start/end as ints, -1 where a table has no such column or no value."""
    columns = {}
    for name in OFFSET_FIELDS:
        if frame is None or name not in frame.columns:
            columns[name] = np.full(length, -1, dtype=np.int64)
        else:
            values = pd.to_numeric(pd.Series(frame[name].to_numpy()), errors="coerce")
            columns[name] = values.fillna(-1).astype(np.int64).to_numpy()
    return pd.DataFrame(columns)


def _flatten_gold_fact(fact: dict) -> dict:
    row = {name: fact.get(name) for name in ("doc_id", "sentence", "predicate", "negated", "certainty", "strength")}
    for role in ("subject", "object"):
        argument = fact.get(role) or {}
        row[f"{role}_text"] = argument.get("text")
        row[f"{role}_type"] = argument.get("type")
        row[f"{role}_id"] = argument.get("concept_id")
        row[f"{role}_attribute"] = argument.get("attribute")
    return row


def _as_bool(value) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return False
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return bool(value)
    return str(value).strip().lower() in TRUE_STRINGS


def _as_text(value) -> str:
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value).strip()


def _clean_frame(frame: Optional[pd.DataFrame], columns: list[str], required: list[str]) -> pd.DataFrame:
    """Keep `columns` (missing optional ones become ""), strings stripped, nulls as "", negated bool."""
    if frame is None or (len(frame) == 0 and not set(required) <= set(frame.columns)):
        return pd.DataFrame({name: pd.Series(dtype=bool if name == "negated" else object) for name in columns})
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise ValueError(f"table lacks required columns {missing}; has {list(frame.columns)}")
    cleaned = {}
    for name in columns:
        values = frame[name].tolist() if name in frame.columns else [None] * len(frame)
        if name == "negated":
            cleaned[name] = pd.Series([_as_bool(value) for value in values], dtype=bool)
        else:
            cleaned[name] = pd.Series([_as_text(value) for value in values], dtype=object)
    return pd.DataFrame(cleaned, columns=columns)


# ----------------------------------------------------------------------------- loading


def gold_set_folders(directory: PathLike) -> list[Path]:
    """The folder itself when it holds gold files, else its sub-folders that do (sorted)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"gold folder not found: {directory}")

    def holds_gold(folder: Path) -> bool:
        return (folder / GOLD_ENTITY_FILE).is_file() or (folder / GOLD_FACT_FILE).is_file()

    if holds_gold(directory):
        return [directory]
    folders = sorted(child for child in directory.iterdir() if child.is_dir() and holds_gold(child))
    if not folders:
        raise FileNotFoundError(
            f"no {GOLD_ENTITY_FILE} or {GOLD_FACT_FILE} in {directory} or its sub-folders"
        )
    return folders


def _read_jsonl(path: Path) -> list[dict]:
    """A gold file's records; a set may leave a file out (no facts.jsonl: no facts)."""
    return read_jsonl(path) if path.is_file() else []


def load_gold(dirs: Union[PathLike, Iterable[PathLike]]) -> GoldSet:
    """Gold of one or several folders (each a gold set or a folder of gold sets)."""
    if isinstance(dirs, (str, Path)):
        dirs = [dirs]
    folders: list[Path] = []
    for directory in dirs:
        for folder in gold_set_folders(directory):
            if folder.resolve() not in {known.resolve() for known in folders}:
                folders.append(folder)
    entities, facts, texts = [], [], {}
    for folder in folders:
        entities += _read_jsonl(folder / GOLD_ENTITY_FILE)
        facts += _read_jsonl(folder / GOLD_FACT_FILE)
        texts.update(_gold_texts(folder / GOLD_DOCS_FILE))
    return GoldSet.from_records(entities, facts, sources=folders, texts=texts)


def _gold_texts(path: Path) -> dict[str, str]:
    """docs.jsonl of a gold set: the document text is title + blank line + text (gold README)."""
    texts = {}
    for number, record in enumerate(_read_jsonl(path), start=1):
        doc_id, text, title = record.get("id"), record.get("text") or "", record.get("title") or ""
        if not doc_id:
            raise ValueError(f"{path}:{number}: document without an id")
        texts[str(doc_id)] = f"{title}\n\n{text}" if title else text
    return texts


def read_texts(path: PathLike) -> dict[str, str]:
    """A texts.jsonl of an extraction run ({doc_id, title, text}; text is the full document)."""
    return {str(record["doc_id"]): record.get("text") or "" for record in _read_jsonl(Path(path))}


def parquet_engine_error() -> Optional[str]:
    """Why pandas cannot read parquet here (None when it can)."""
    try:
        pd.io.parquet.get_engine("auto")
    except ImportError:
        try:
            import pyarrow  # noqa: F401  (pandas' first choice: give its own reason)
        except ImportError as error:
            return f"pyarrow: {error}"
        return "no usable parquet engine (pyarrow or fastparquet)"
    return None


def _read_table(directory: Path, name: str, notes: list[str]) -> Optional[pd.DataFrame]:
    """`name`.parquet, else `name`.csv (also when parquet cannot be read here)."""
    parquet, csv = directory / f"{name}.parquet", directory / f"{name}.csv"
    if parquet.is_file():
        engine_error = parquet_engine_error()
        if engine_error is None:
            return pd.read_parquet(parquet)
        if not csv.is_file():
            raise ValueError(f"cannot read {parquet}: {engine_error}")
        notes.append(f"read {csv.name} instead of {parquet.name}: {engine_error}")
    if csv.is_file():
        return pd.read_csv(csv, dtype=str, keep_default_na=False)
    return None


def load_predictions(pred_dir: PathLike) -> Predictions:
    """entities/facts tables of an extraction output folder (.parquet, else .csv)."""
    directory = Path(pred_dir)
    if not directory.is_dir():
        raise FileNotFoundError(f"prediction folder not found: {directory}")
    notes: list[str] = []
    tables = {name: _read_table(directory, name, notes) for name in PREDICTION_TABLES}
    if all(table is None for table in tables.values()):
        raise FileNotFoundError(f"no entities or facts table (.parquet/.csv) in {directory}")
    predictions = Predictions.from_frames(
        tables["entities"], tables["facts"], source=directory, texts=read_texts(directory / TEXTS_FILE)
    )
    predictions.notes = notes + [
        f"no {name} table in {directory}; scored as empty" for name, table in tables.items() if table is None
    ]
    return predictions


# ----------------------------------------------------------------------------- text rules


def normalize_text(text: str) -> str:
    return SPACE_PATTERN.sub(" ", text).strip().lower()


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[str, ...]:
    """Runs of letters and digits, lower-cased: "IL-2 levels" -> ("il", "2", "levels")."""
    return tuple(TOKEN_PATTERN.findall(text.lower()))


def tokens_contain(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    """One non-empty token sequence occurs, contiguous, inside the other."""
    if not first or not second:
        return False
    shorter, longer = (first, second) if len(first) <= len(second) else (second, first)
    width = len(shorter)
    return any(longer[start:start + width] == shorter for start in range(len(longer) - width + 1))


def texts_contain(first: str, second: str) -> bool:
    """One text contains the other at word boundaries (equal texts without tokens also match)."""
    if first and first == second:
        return True
    return tokens_contain(tokens(first), tokens(second))


@lru_cache(maxsize=65536)
def content_words(text: str) -> frozenset[str]:
    """Tokens that are not English stop words (spaCy's list)."""
    return frozenset(word for word in tokens(text) if word not in STOP_WORDS)


def content_words_overlap(first: frozenset[str], second: frozenset[str]) -> bool:
    """Jaccard >= 0.5: shared content words are at least half of their union."""
    union = len(first | second)
    return union > 0 and len(first & second) * 2 >= union


def polarity_class(predicate: str, negated: bool) -> Optional[str]:
    """Spec §2 polarity class; None for a negated fact; unknown predicates keep their own class."""
    if negated:
        return None
    return POLARITY.get(predicate, f"unknown:{predicate}")


# ----------------------------------------------------------------------------- entities


@dataclass(frozen=True)
class EntityItem:
    type: str
    concept_id: str
    key: str
    texts: frozenset[str]


def entity_items(frame: pd.DataFrame) -> dict[str, list[EntityItem]]:
    """Per document, the (type, key) items with the mention texts behind each."""
    mentions: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for doc_id, text, entity_type, concept_id in frame[ENTITY_FIELDS].itertuples(index=False):
        text = normalize_text(text)
        if not (concept_id or text):
            continue
        group = (doc_id, entity_type, concept_id, "" if concept_id else text)
        mentions[group].update({text} if text else set())
    items: dict[str, list[EntityItem]] = defaultdict(list)
    for (doc_id, entity_type, concept_id, text_key), texts in sorted(mentions.items()):
        items[doc_id].append(EntityItem(entity_type, concept_id, concept_id or text_key, frozenset(texts)))
    return items


def _mentions_contain(first: EntityItem, second: EntityItem) -> bool:
    return any(texts_contain(a, b) for a in first.texts for b in second.texts)


def gold_entity_found(gold: EntityItem, pred: EntityItem) -> bool:
    """Recall side: an id-keyed gold item needs the same id; a text-keyed one, containment."""
    if gold.type != pred.type:
        return False
    if gold.concept_id:
        return pred.concept_id == gold.concept_id
    return _mentions_contain(gold, pred)


def predicted_entity_correct(pred: EntityItem, gold: EntityItem) -> bool:
    """Precision side: same id, or (either side text-keyed) mention-text containment."""
    if gold.type != pred.type:
        return False
    if gold.concept_id and pred.concept_id:
        return gold.concept_id == pred.concept_id
    return _mentions_contain(gold, pred)


# ----------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class Argument:
    text: str
    concept_id: str
    words: frozenset[str]


@dataclass(frozen=True)
class FactItem:
    subject: Argument
    object: Argument
    predicate: str
    polarity: Optional[str]
    certainty: str
    strength: str
    sentence: str = ""


def _argument(text: str, concept_id: str) -> Argument:
    text = normalize_text(text)
    return Argument(text, concept_id, content_words(text))


def fact_items(frame: pd.DataFrame) -> dict[str, list[FactItem]]:
    items: dict[str, list[FactItem]] = defaultdict(list)
    for row in frame[FACT_FIELDS].itertuples(index=False):
        items[row.doc_id].append(
            FactItem(
                subject=_argument(row.subject_text, row.subject_id),
                object=_argument(row.object_text, row.object_id),
                predicate=row.predicate,
                polarity=polarity_class(row.predicate, row.negated),
                certainty=row.certainty.lower(),
                strength=row.strength.lower(),
                sentence=row.sentence,
            )
        )
    return items


def arguments_match(gold: Argument, pred: Argument) -> bool:
    if gold.concept_id and gold.concept_id == pred.concept_id:
        return True
    if texts_contain(gold.text, pred.text):
        return True
    return content_words_overlap(gold.words, pred.words)


def facts_match(gold: FactItem, pred: FactItem, use_polarity: bool = True) -> bool:
    if use_polarity and gold.polarity != pred.polarity:
        return False
    if arguments_match(gold.subject, pred.subject) and arguments_match(gold.object, pred.object):
        return True
    # Spec §4: the gold predicate decides whether argument order counts.
    unordered = gold.predicate in SYMMETRIC_PREDICATES
    return unordered and arguments_match(gold.subject, pred.object) and arguments_match(gold.object, pred.subject)


def match_facts(gold: list[FactItem], pred: list[FactItem], use_polarity: bool = True) -> list[tuple[int, int]]:
    """Maximum bipartite matching (gold index, pred index); ties go to agreeing predicate/certainty/strength."""
    if not gold or not pred:
        return []
    edges = np.array([[facts_match(g, p, use_polarity) for p in pred] for g in gold], dtype=bool)
    if not edges.any():
        return []
    agreement = np.array(
        [
            [(g.predicate == p.predicate) + (g.certainty == p.certainty) + (g.strength == p.strength) for p in pred]
            for g in gold
        ],
        dtype=float,
    )
    # Each edge weighs more than the agreement bonus of all pairs together, so the
    # best assignment is first of all a maximum-cardinality matching.
    edge_weight = 3 * min(len(gold), len(pred)) + 1
    weights = np.where(edges, edge_weight + agreement, 0.0)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if edges[r, c]]


# ----------------------------------------------------------------------------- argument coverage


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    argument: Argument


@dataclass(frozen=True)
class CoverageItem:
    """One gold fact: its predicate and whether its arguments are among the sentence's mentions."""

    predicate: str
    located: bool
    subject_found: bool
    object_found: bool
    covered: bool


def entity_mentions(frame: pd.DataFrame) -> dict[str, list[Mention]]:
    """Per document, the predicted mentions that have character offsets."""
    mentions: dict[str, list[Mention]] = defaultdict(list)
    rows = frame[["doc_id", "text", "concept_id", *OFFSET_FIELDS]].itertuples(index=False)
    for doc_id, text, concept_id, start, end in rows:
        if 0 <= start < end:
            mentions[doc_id].append(Mention(int(start), int(end), _argument(text, concept_id)))
    return mentions


@lru_cache(maxsize=4096)
def _sentence_pattern(sentence: str) -> re.Pattern:
    return re.compile(r"\s+".join(re.escape(piece) for piece in sentence.split()))


def sentence_spans(text: str, sentence: str) -> list[tuple[int, int]]:
    """Every place of `sentence` in `text`: exact, else with any run of white space between words."""
    sentence = sentence.strip()
    if not sentence:
        return []
    spans, start = [], text.find(sentence)
    while start >= 0:
        spans.append((start, start + len(sentence)))
        start = text.find(sentence, start + 1)
    if not spans:
        spans = [match.span() for match in _sentence_pattern(sentence).finditer(text)]
    return spans


def _two_distinct(subject_hits: list[int], object_hits: list[int]) -> bool:
    return any(s != o for s in subject_hits for o in object_hits)


def fact_coverage(fact: FactItem, sentence: str, text: str, mentions: list[Mention]) -> CoverageItem:
    """Whether two distinct predicted mentions inside the fact's sentence match its two arguments."""
    spans = sentence_spans(text, sentence)
    inside = [
        index for index, mention in enumerate(mentions)
        if any(start <= mention.start and mention.end <= end for start, end in spans)
    ]
    subject_hits = [index for index in inside if arguments_match(fact.subject, mentions[index].argument)]
    object_hits = [index for index in inside if arguments_match(fact.object, mentions[index].argument)]
    return CoverageItem(
        predicate=fact.predicate,
        located=bool(spans),
        subject_found=bool(subject_hits),
        object_found=bool(object_hits),
        covered=_two_distinct(subject_hits, object_hits),
    )


def _coverage_counts(items: list[CoverageItem]) -> dict:
    total = len(items)
    covered = sum(item.covered for item in items)
    return {
        "share": _ratio(covered, total),
        "facts": total,
        "covered": covered,
        "subject_found": sum(item.subject_found for item in items),
        "object_found": sum(item.object_found for item in items),
        "sentence_not_located": sum(not item.located for item in items),
    }


def coverage_items(gold: pd.DataFrame, pred: Predictions, texts: dict[str, str]) -> tuple[dict[str, list[CoverageItem]], list[str]]:
    """Per document, one CoverageItem per gold fact; documents without a text are left out (listed)."""
    mentions = entity_mentions(pred.entities)
    facts = fact_items(gold)
    items: dict[str, list[CoverageItem]] = {}
    without_text = []
    for doc_id in sorted(facts):
        text = texts.get(doc_id)
        if text is None:
            without_text.append(doc_id)
            continue
        doc_mentions = mentions.get(doc_id, [])
        items[doc_id] = [fact_coverage(fact, fact.sentence, text, doc_mentions) for fact in facts[doc_id]]
    return items, without_text


def evaluate_coverage(gold: pd.DataFrame, pred: Predictions, texts: dict[str, str]) -> tuple[dict, dict[str, dict]]:
    """Argument coverage overall and per gold predicate, and per document."""
    items, without_text = coverage_items(gold, pred, texts)
    has_offsets = bool(len(pred.entities)) and bool((pred.entities["start"] >= 0).any())
    every = [item for doc_items in items.values() for item in doc_items]
    by_predicate: dict[str, list[CoverageItem]] = defaultdict(list)
    for item in every:
        by_predicate[item.predicate].append(item)
    result = {
        "overall": _coverage_counts(every),
        "by_predicate": {
            predicate: _coverage_counts(by_predicate[predicate])
            for predicate in _ordered(by_predicate, PREDICATES)
        },
        "documents_without_text": without_text,
        "predicted_offsets": has_offsets,
    }
    per_document = {doc_id: _coverage_counts(doc_items) for doc_id, doc_items in items.items()}
    return result, per_document


# ----------------------------------------------------------------------------- scores


def _ratio(numerator: int, denominator: int) -> Optional[float]:
    return numerator / denominator if denominator else None


def scores(gold_total: int, gold_found: int, pred_total: int, pred_correct: int) -> dict:
    precision = _ratio(pred_correct, pred_total)
    recall = _ratio(gold_found, gold_total)
    if precision is None and recall is None:
        f1 = None
    elif not precision or not recall:
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return {
        "precision": precision, "recall": recall, "f1": f1,
        "gold": gold_total, "found": gold_found, "predicted": pred_total, "correct": pred_correct,
    }


def _ordered(names: Iterable[str], preferred: list[str]) -> list[str]:
    names = set(names)
    return [name for name in preferred if name in names] + sorted(names - set(preferred))


def evaluate_entities(gold: pd.DataFrame, pred: pd.DataFrame, per_document: Optional[dict] = None) -> dict:
    """Entity scores overall and per type; `per_document`, when given, receives each document's counts."""
    gold_items, pred_items = entity_items(gold), entity_items(pred)
    gold_count, found_count, pred_count, correct_count = Counter(), Counter(), Counter(), Counter()
    for doc_id in sorted(set(gold_items) | set(pred_items)):
        golds, preds = gold_items.get(doc_id, []), pred_items.get(doc_id, [])
        found = [item for item in golds if any(gold_entity_found(item, p) for p in preds)]
        correct = [item for item in preds if any(predicted_entity_correct(item, g) for g in golds)]
        gold_count.update(item.type for item in golds)
        found_count.update(item.type for item in found)
        pred_count.update(item.type for item in preds)
        correct_count.update(item.type for item in correct)
        if per_document is not None:
            per_document[doc_id] = scores(len(golds), len(found), len(preds), len(correct))

    def total(counter: Counter) -> int:
        return sum(counter.values())

    return {
        "overall": scores(total(gold_count), total(found_count), total(pred_count), total(correct_count)),
        "by_type": {
            entity_type: scores(
                gold_count[entity_type], found_count[entity_type],
                pred_count[entity_type], correct_count[entity_type],
            )
            for entity_type in _ordered(set(gold_count) | set(pred_count), ENTITY_TYPES)
        },
    }


def _attribute_accuracy(pairs: list[tuple[FactItem, FactItem]], name: str) -> dict:
    confusion: dict[str, Counter] = defaultdict(Counter)
    correct = 0
    for gold, pred in pairs:
        gold_value, pred_value = getattr(gold, name), getattr(pred, name)
        confusion[gold_value][pred_value] += 1
        correct += gold_value == pred_value
    return {
        "accuracy": _ratio(correct, len(pairs)),
        "correct": correct,
        "total": len(pairs),
        "confusion": {gold_value: dict(sorted(row.items())) for gold_value, row in sorted(confusion.items())},
    }


def evaluate_facts(gold: pd.DataFrame, pred: pd.DataFrame, per_document: Optional[dict] = None) -> dict:
    """Strict and pairs scores, per predicate, certainty/strength accuracy; `per_document` gets strict counts."""
    gold_items, pred_items = fact_items(gold), fact_items(pred)
    counts = {mode: {side: Counter() for side in ("gold", "found", "predicted", "correct")} for mode in ("strict", "pairs")}
    strict_pairs: list[tuple[FactItem, FactItem]] = []
    for doc_id in sorted(set(gold_items) | set(pred_items)):
        golds, preds = gold_items.get(doc_id, []), pred_items.get(doc_id, [])
        for mode, use_polarity in (("strict", True), ("pairs", False)):
            matched = match_facts(golds, preds, use_polarity)
            tally = counts[mode]
            tally["gold"].update(item.predicate for item in golds)
            tally["predicted"].update(item.predicate for item in preds)
            tally["found"].update(golds[g].predicate for g, _ in matched)
            tally["correct"].update(preds[p].predicate for _, p in matched)
            if use_polarity:
                strict_pairs += [(golds[g], preds[p]) for g, p in matched]
                if per_document is not None:
                    per_document[doc_id] = scores(len(golds), len(matched), len(preds), len(matched))

    def mode_scores(mode: str, predicate: Optional[str] = None) -> dict:
        tally = counts[mode]
        pick = (lambda c: sum(c.values())) if predicate is None else (lambda c: c[predicate])
        return scores(pick(tally["gold"]), pick(tally["found"]), pick(tally["predicted"]), pick(tally["correct"]))

    predicates = _ordered(set(counts["strict"]["gold"]) | set(counts["strict"]["predicted"]), PREDICATES)
    return {
        "strict": mode_scores("strict"),
        "pairs": mode_scores("pairs"),
        "by_predicate": {
            predicate: {"strict": mode_scores("strict", predicate), "pairs": mode_scores("pairs", predicate)}
            for predicate in predicates
        },
        "certainty": _attribute_accuracy(strict_pairs, "certainty"),
        "strength": _attribute_accuracy(strict_pairs, "strength"),
    }


def evaluate(
    gold: Union[GoldSet, PathLike, Iterable[PathLike]],
    pred: Union[Predictions, PathLike],
    doc_ids: Optional[Iterable[str]] = None,
) -> dict:
    """All §4 scores and argument coverage as a JSON-ready dict.

    Scored documents are `doc_ids` when given (e.g. one cross-validation fold), else every
    gold document; predictions on other documents are ignored.
    """
    if not isinstance(gold, GoldSet):
        gold = load_gold(gold)
    if not isinstance(pred, Predictions):
        pred = load_predictions(pred)
    notes = list(pred.notes)
    if doc_ids is None:
        scored = gold.doc_ids
    else:
        scored = {str(doc_id) for doc_id in doc_ids}
        unknown = scored - gold.doc_ids
        if unknown:
            notes.append(f"{len(unknown)} of the documents asked for have no gold annotations, e.g. {sorted(unknown)[0]}")
        gold = gold.subset(scored)
    pred_entities = pred.entities[pred.entities["doc_id"].isin(scored)]
    pred_facts = pred.facts[pred.facts["doc_id"].isin(scored)]
    predicted_docs = set(pred.entities["doc_id"]) | set(pred.facts["doc_id"])
    texts = {**gold.texts, **pred.texts}
    in_scope = Predictions(pred_entities, pred_facts, pred.source, texts=texts)

    entity_docs: dict[str, dict] = {}
    fact_docs: dict[str, dict] = {}
    entities = evaluate_entities(gold.entities, pred_entities, entity_docs)
    facts = evaluate_facts(gold.facts, pred_facts, fact_docs)
    coverage, coverage_docs = evaluate_coverage(gold.facts, in_scope, texts)
    if coverage["documents_without_text"]:
        notes.append(
            f"argument coverage leaves out {len(coverage['documents_without_text'])} documents without a text "
            f"(no texts.jsonl entry or gold docs.jsonl), e.g. {coverage['documents_without_text'][0]}"
        )
    if len(pred_entities) and not coverage["predicted_offsets"]:
        notes.append("predicted entities have no start/end offsets: argument coverage is 0")
    empty = scores(0, 0, 0, 0)
    by_document = {
        doc_id: {
            "entities": entity_docs.get(doc_id, empty),
            "facts": fact_docs.get(doc_id, empty),
            "argument_coverage": coverage_docs.get(doc_id),
        }
        for doc_id in sorted(scored)
    }
    return {
        "gold": gold.sources,
        "pred": pred.source,
        "notes": notes,
        "documents": {
            "gold": len(scored),
            "predicted_in_gold": len(predicted_docs & scored),
            "predicted_ignored": len(predicted_docs - scored),
            "ignored_entity_rows": int(len(pred.entities) - len(pred_entities)),
            "ignored_fact_rows": int(len(pred.facts) - len(pred_facts)),
        },
        "entities": entities,
        "facts": facts,
        "argument_coverage": coverage,
        "by_document": by_document,
    }


def score_predictions(
    gold: Union[GoldSet, PathLike, Iterable[PathLike]],
    entities: Optional[pd.DataFrame],
    facts: Optional[pd.DataFrame],
    texts: Optional[dict[str, str]] = None,
    doc_ids: Optional[Iterable[str]] = None,
) -> dict:
    """`evaluate` on predictions held in memory (pipeline.schema frames, texts by doc_id); writes nothing."""
    return evaluate(gold, Predictions.from_frames(entities, facts, source="in memory", texts=texts), doc_ids=doc_ids)


# ----------------------------------------------------------------------------- report


def _number(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.3f}"


def _score_table(title: str, label: str, rows: dict[str, dict]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(label)
    for name in ("gold", "found", "pred", "correct", "P", "R", "F1"):
        table.add_column(name, justify="right")
    for row_name, row in rows.items():
        table.add_row(
            row_name, str(row["gold"]), str(row["found"]), str(row["predicted"]), str(row["correct"]),
            _number(row["precision"]), _number(row["recall"]), _number(row["f1"]),
        )
    return table


def _fact_table(facts: dict) -> Table:
    table = Table(title="Facts (strict: arguments and polarity; pairs: arguments only)", title_justify="left")
    table.add_column("predicate")
    for name in ("gold", "found", "pred", "correct", "P", "R", "F1", "pair P", "pair R", "pair F1"):
        table.add_column(name, justify="right")
    rows = {"ALL": {"strict": facts["strict"], "pairs": facts["pairs"]}, **facts["by_predicate"]}
    for predicate, result in rows.items():
        strict, pairs = result["strict"], result["pairs"]
        table.add_row(
            predicate, str(strict["gold"]), str(strict["found"]), str(strict["predicted"]), str(strict["correct"]),
            _number(strict["precision"]), _number(strict["recall"]), _number(strict["f1"]),
            _number(pairs["precision"]), _number(pairs["recall"]), _number(pairs["f1"]),
        )
    return table


def _coverage_table(coverage: dict) -> Table:
    table = Table(
        title="Argument coverage (gold facts whose two arguments are among the predicted mentions of their sentence)",
        title_justify="left",
    )
    table.add_column("predicate")
    for name in ("facts", "covered", "share", "subject found", "object found", "sentence not found"):
        table.add_column(name, justify="right")
    for predicate, row in {"ALL": coverage["overall"], **coverage["by_predicate"]}.items():
        table.add_row(
            predicate, str(row["facts"]), str(row["covered"]), _number(row["share"]),
            str(row["subject_found"]), str(row["object_found"]), str(row["sentence_not_located"]),
        )
    return table


def _accuracy_line(name: str, result: dict) -> str:
    return f"{name} accuracy over strict matches: {_number(result['accuracy'])} ({result['correct']}/{result['total']})"


def render_report(report: dict) -> str:
    """The report as a plain-text table (rich, no colour)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None, force_terminal=False, legacy_windows=False)
    documents = report["documents"]
    console.print(
        f"gold documents: {documents['gold']}; predicted documents scored: {documents['predicted_in_gold']}, "
        f"ignored: {documents['predicted_ignored']}"
    )
    for note in report.get("notes", []):
        console.print(f"note: {note}")
    entities = report["entities"]
    console.print(_score_table("Entities", "type", {"ALL": entities["overall"], **entities["by_type"]}))
    facts = report["facts"]
    console.print(_fact_table(facts))
    console.print(_accuracy_line("certainty", facts["certainty"]))
    console.print(_accuracy_line("strength", facts["strength"]))
    console.print(_coverage_table(report["argument_coverage"]))
    return buffer.getvalue()


def write_report(report: dict, path: PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- command line


def register(app: typer.Typer) -> None:
    """Add the `eval` command to a typer app."""

    @app.command("eval")
    def eval_command(
        gold: Annotated[
            list[Path],
            typer.Option(
                "--gold", metavar="DIR",
                help="Gold folder (entities.jsonl/facts.jsonl, or sub-folders with them); repeatable.",
            ),
        ],
        pred: Annotated[
            Path, typer.Option("--pred", metavar="DIR", help="Extraction output folder (entities/facts .parquet or .csv).")
        ],
        json_path: Annotated[
            Optional[Path],
            typer.Option("--json", metavar="FILE", help=f"Where to write the JSON report (default: PRED/{DEFAULT_REPORT_NAME})."),
        ] = None,
    ) -> None:
        """Score predicted entities and facts against gold (FACTS_SPEC §4)."""
        try:
            report = evaluate(load_gold(gold), load_predictions(pred))
        except (FileNotFoundError, ValueError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=2) from error
        typer.echo(render_report(report))
        written = write_report(report, json_path or pred / DEFAULT_REPORT_NAME)
        typer.echo(f"wrote {written}")
