"""pipeline.evaluate: FACTS_SPEC §4 scores, on the real gold and perturbations of its rows."""

import copy
import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from pipeline import evaluate as ev
from pipeline.schema import ENTITY_COLUMNS, FACT_COLUMNS

GOLD_ROOT = Path(__file__).resolve().parents[1] / ".." / "shared" / "gold"
SEED, DEV = GOLD_ROOT / "seed", GOLD_ROOT / "dev"
SEED_TEXT = GOLD_ROOT / ".." / "seed" / "als_news_tregs.txt"

pytestmark = pytest.mark.skipif(
    not (SEED / "facts.jsonl").is_file() or not (DEV / "facts.jsonl").is_file(),
    reason=f"shared gold (seed and dev) not found under {GOLD_ROOT}",
)


# ----------------------------------------------------------------------------- helpers


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def entity_frame(records: list[dict], null_empty_ids: bool = False) -> pd.DataFrame:
    """Gold entity records as a prediction table with the schema columns."""
    rows = []
    for record in records:
        row = dict.fromkeys(ENTITY_COLUMNS)
        row.update(doc_id=record["doc_id"], text=record["text"], type=record["type"])
        row["concept_id"] = (record["concept_id"] or None) if null_empty_ids else record["concept_id"]
        rows.append(row)
    return pd.DataFrame(rows, columns=ENTITY_COLUMNS)


def fact_frame(records: list[dict], null_empty_ids: bool = False) -> pd.DataFrame:
    """Gold fact records as a prediction table with the schema columns."""
    rows = []
    for number, record in enumerate(records):
        row = dict.fromkeys(FACT_COLUMNS)
        row.update(
            fact_id=f"f{number}", doc_id=record["doc_id"], sentence=record.get("sentence"),
            predicate=record["predicate"], negated=bool(record["negated"]),
            certainty=record["certainty"], strength=record["strength"],
        )
        for role in ("subject", "object"):
            argument = record[role]
            concept_id = argument.get("concept_id", "")
            row[f"{role}_text"] = argument["text"]
            row[f"{role}_type"] = argument["type"]
            row[f"{role}_id"] = (concept_id or None) if null_empty_ids else concept_id
            row[f"{role}_attribute"] = argument.get("attribute", "")
        rows.append(row)
    return pd.DataFrame(rows, columns=FACT_COLUMNS)


def write_prediction_folder(folder: Path, entities: list[dict], facts: list[dict], suffix=".parquet") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (("entities", entity_frame(entities, True)), ("facts", fact_frame(facts, True))):
        if suffix == ".parquet":
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def changed(record: dict, **changes) -> dict:
    """A deep copy of a gold record; `subject`/`object` changes merge into the argument."""
    result = copy.deepcopy(record)
    for key, value in changes.items():
        if key in ("subject", "object"):
            result[key].update(value)
        else:
            result[key] = value
    return result


def score_facts(gold_facts: list[dict], pred_facts: list[dict]) -> dict:
    gold = ev.GoldSet.from_records([], gold_facts)
    return ev.evaluate(gold, ev.Predictions.from_frames(None, fact_frame(pred_facts)))["facts"]


def score_entities(gold_entities: list[dict], pred_entities: list[dict]) -> dict:
    gold = ev.GoldSet.from_records(gold_entities, [])
    return ev.evaluate(gold, ev.Predictions.from_frames(entity_frame(pred_entities), None))["entities"]


@pytest.fixture(scope="module")
def seed_entities():
    return read_jsonl(SEED / "entities.jsonl")


@pytest.fixture(scope="module")
def seed_facts():
    return read_jsonl(SEED / "facts.jsonl")


@pytest.fixture(scope="module")
def dev_facts():
    return read_jsonl(DEV / "facts.jsonl")


def pick(facts: list[dict], subject: str, predicate: str, obj: str, negated: bool = False) -> dict:
    for fact in facts:
        if (fact["subject"]["text"], fact["predicate"], fact["object"]["text"], fact["negated"]) == (
            subject, predicate, obj, negated
        ):
            return fact
    raise LookupError(f"no gold fact {subject} {predicate} {obj}")


def entity(entities: list[dict], text: str) -> dict:
    return next(record for record in entities if record["text"] == text)


# ----------------------------------------------------------------------------- whole gold


PARQUET_ERROR = ev.parquet_engine_error()
TABLE_FORMATS = [
    pytest.param(".parquet", marks=pytest.mark.skipif(
        PARQUET_ERROR is not None, reason=f"pandas cannot write/read parquet here: {PARQUET_ERROR}")),
    ".csv",
]


@pytest.fixture(scope="module", params=TABLE_FORMATS)
def gold_as_predictions(request, tmp_path_factory):
    """seed+dev gold written as a prediction folder (schema columns, empty ids as nulls)."""
    entities = read_jsonl(SEED / "entities.jsonl") + read_jsonl(DEV / "entities.jsonl")
    facts = read_jsonl(SEED / "facts.jsonl") + read_jsonl(DEV / "facts.jsonl")
    folder = tmp_path_factory.mktemp("gold_pred" + request.param.replace(".", "_"))
    return write_prediction_folder(folder, entities, facts, suffix=request.param)


def all_ratios(report: dict):
    entities, facts = report["entities"], report["facts"]
    yield from (entities["overall"][k] for k in ("precision", "recall", "f1"))
    for result in entities["by_type"].values():
        yield from (result[k] for k in ("precision", "recall", "f1"))
    for mode in ("strict", "pairs"):
        yield from (facts[mode][k] for k in ("precision", "recall", "f1"))
        for result in facts["by_predicate"].values():
            yield from (result[mode][k] for k in ("precision", "recall", "f1"))
    yield facts["certainty"]["accuracy"]
    yield facts["strength"]["accuracy"]


def test_gold_against_itself_scores_one_over_seed_and_dev(gold_as_predictions):
    gold = ev.load_gold([SEED, DEV])
    predictions = ev.load_predictions(gold_as_predictions)
    assert predictions.notes == []
    report = ev.evaluate(gold, predictions)
    assert len(gold.sources) == 2
    assert report["documents"]["gold"] == 12 and report["documents"]["predicted_ignored"] == 0
    assert report["facts"]["strict"]["gold"] == len(read_jsonl(SEED / "facts.jsonl")) + len(read_jsonl(DEV / "facts.jsonl"))
    assert set(report["entities"]["by_type"]) >= {"CELL_TYPE", "DISEASE", "OUTCOME", "TRIAL"}
    assert set(report["facts"]["by_predicate"]) >= {"increases", "decreases", "associated_with", "safe_in"}
    assert all(value == 1.0 for value in all_ratios(report))
    json.dumps(report)  # JSON-ready


def test_null_and_empty_ids_are_the_same(seed_entities, seed_facts):
    gold = ev.load_gold(SEED)
    prediction = ev.Predictions.from_frames(entity_frame(seed_entities, True), fact_frame(seed_facts, True))
    assert prediction.entities["concept_id"].tolist().count("") == 3
    assert all(value == 1.0 for value in all_ratios(ev.evaluate(gold, prediction)))


def test_csv_is_read_when_parquet_cannot_be(monkeypatch, tmp_path, seed_entities, seed_facts):
    folder = write_prediction_folder(tmp_path, seed_entities, seed_facts, suffix=".csv")
    (folder / "facts.parquet").write_bytes(b"not read")
    monkeypatch.setattr(ev, "parquet_engine_error", lambda: "no engine in this test")
    prediction = ev.load_predictions(folder)
    assert prediction.notes == ["read facts.csv instead of facts.parquet: no engine in this test"]
    assert len(prediction.facts) == len(seed_facts)
    (folder / "facts.csv").unlink()
    with pytest.raises(ValueError, match="no engine in this test"):
        ev.load_predictions(folder)


def test_gold_folders_repeat_or_nest_without_double_counting():
    set_folders = ev.gold_set_folders(GOLD_ROOT)  # seed, dev and any other set in ../shared/gold
    assert {SEED.name, DEV.name} <= {folder.name for folder in set_folders}
    each = ev.load_gold(set_folders)
    nested = ev.load_gold([GOLD_ROOT, SEED, DEV])
    assert len(nested.sources) == len(set_folders)
    assert len(nested.facts) == len(each.facts) and len(nested.entities) == len(each.entities)
    assert len(nested.facts) == sum(len(read_jsonl(folder / "facts.jsonl")) for folder in set_folders)
    assert ev.load_gold(SEED).doc_ids == {"als_news_tregs.txt"}


# ----------------------------------------------------------------------------- entities


def test_entity_with_wrong_id_is_missed(seed_entities):
    il2 = entity(seed_entities, "IL-2")
    result = score_entities([il2], [changed(il2, concept_id="HGNC:6002")])
    assert result["overall"]["recall"] == 0.0 and result["overall"]["precision"] == 0.0
    assert score_entities([il2], [changed(il2, text="interleukin 2")])["overall"]["recall"] == 1.0


def test_mentions_of_one_concept_are_one_item(seed_entities):
    tregs = [entity(seed_entities, "regulatory T-cells"), entity(seed_entities, "Tregs")]
    result = score_entities(tregs, tregs[:1])
    assert result["overall"]["gold"] == 1 and result["overall"]["recall"] == 1.0


def test_text_keyed_entity_matches_by_containment_either_way(seed_entities):
    decline = entity(seed_entities, "functional decline")  # OUTCOME without id
    for text in ("rapid functional decline", "decline", "Functional  Decline", "functional-decline"):
        result = score_entities([decline], [changed(decline, text=text)])
        assert result["overall"]["recall"] == 1.0 and result["overall"]["precision"] == 1.0, text
    for text in ("motor decline", "dysfunctional decline", "functional declines"):
        result = score_entities([decline], [changed(decline, text=text)])
        assert result["overall"]["recall"] == 0.0 and result["overall"]["precision"] == 0.0, text
    other_type = score_entities([decline], [changed(decline, type="DISEASE")])
    assert other_type["overall"]["recall"] == 0.0 and other_type["overall"]["precision"] == 0.0


def test_entity_containment_is_at_word_boundaries(seed_entities):
    als = changed(entity(seed_entities, "ALS"), concept_id="")  # text-keyed on both sides
    assert score_entities([als], [changed(als, text="familial ALS")])["overall"]["f1"] == 1.0
    assert score_entities([changed(als, text="familial ALS")], [als])["overall"]["f1"] == 1.0
    assert score_entities([als], [changed(als, text="fALS")])["overall"]["f1"] == 0.0
    assert score_entities([changed(als, text="fALS")], [als])["overall"]["f1"] == 0.0


def test_predicted_id_item_matches_text_keyed_gold_through_its_mentions(seed_entities):
    decline = entity(seed_entities, "functional decline")
    prediction = [
        changed(decline, text="decline of function", concept_id="MESH:D018450"),
        changed(decline, text="functional decline in ALS", concept_id="MESH:D018450"),
    ]
    result = score_entities([decline], prediction)
    assert result["overall"]["predicted"] == 1  # two mentions, one id: one item
    assert result["overall"]["recall"] == 1.0 and result["overall"]["precision"] == 1.0


def test_gold_id_item_is_found_only_by_the_same_id(seed_entities):
    il2 = entity(seed_entities, "IL-2")
    text_only = score_entities([il2], [changed(il2, concept_id="")])
    # not found (recall) without the id, yet the prediction names a gold item (precision)
    assert text_only["overall"]["recall"] == 0.0
    assert text_only["overall"]["precision"] == 1.0


def test_entity_scores_per_type(seed_entities):
    microglia = {"doc_id": "als_news_tregs.txt", "text": "microglia", "type": "CELL_TYPE", "concept_id": "MESH:D017628"}
    prediction = [record for record in seed_entities if record["type"] != "OUTCOME"] + [microglia]
    result = score_entities(seed_entities, prediction)
    cell_type, outcome = result["by_type"]["CELL_TYPE"], result["by_type"]["OUTCOME"]
    assert (cell_type["gold"], cell_type["predicted"], cell_type["correct"]) == (3, 4, 3)
    assert cell_type["precision"] == 0.75 and cell_type["recall"] == 1.0
    assert (outcome["gold"], outcome["recall"], outcome["precision"], outcome["f1"]) == (4, 0.0, None, 0.0)
    overall = result["overall"]
    assert overall["recall"] == (overall["gold"] - 4) / overall["gold"]


# ----------------------------------------------------------------------------- facts


def test_fact_argument_text_containment(seed_facts):
    gold = pick(seed_facts, "Treg numbers", "decreases", "functional decline")
    contained = changed(gold, subject={"concept_id": "", "text": "Treg numbers in blood"},
                        object={"text": "decline"})
    assert score_facts([gold], [contained])["strict"]["recall"] == 1.0


def test_fact_argument_content_words_jaccard_at_least_half(seed_facts):
    gold = pick(seed_facts, "Treg levels", "negatively_correlated_with", "rate of disease progression")
    # gold object content words: {rate, disease, progression}; neither text below contains the other
    half = changed(gold, object={"concept_id": "", "text": "disease progression speed"})  # 2 of 4
    less = changed(gold, object={"concept_id": "", "text": "progression speed"})  # 1 of 4
    assert ev.content_words("rate of disease progression") == {"rate", "disease", "progression"}
    assert score_facts([gold], [half])["strict"]["recall"] == 1.0
    assert score_facts([gold], [less])["strict"]["recall"] == 0.0


def test_fact_arguments_match_as_tokens_not_characters(seed_facts, dev_facts):
    il2 = pick(seed_facts, "IL-2", "increases", "Tregs")
    for text in ("IL-6", "IL-21", "IL-2R"):  # one shared token of three: no containment, Jaccard 1/3
        other = changed(il2, subject={"concept_id": "", "text": text})
        assert score_facts([il2], [other])["strict"]["recall"] == 0.0, text
    for text in ("low-dose IL-2", "IL 2", "il-2 therapy"):
        same = changed(il2, subject={"concept_id": "", "text": text})
        assert score_facts([il2], [same])["strict"]["recall"] == 1.0, text
    association = pick(dev_facts, "TDP-43", "associated_with", "STMN2")
    aggregation = changed(association, subject={"concept_id": "", "text": "TDP-43 aggregation"})
    assert score_facts([association], [aggregation])["strict"]["recall"] == 1.0
    assert ev.tokens("TDP-43 aggregation") == ("tdp", "43", "aggregation")


def test_equal_ids_match_whatever_the_text(seed_facts):
    gold = pick(seed_facts, "Tregs", "decreases", "progression of the disease")
    renamed = changed(gold, subject={"text": "regulatory T cells"}, object={"text": "ALSFRS-R slope"})
    assert score_facts([gold], [renamed])["strict"]["recall"] == 1.0
    wrong_id = changed(renamed, object={"concept_id": "MESH:D000001"})
    assert score_facts([gold], [wrong_id])["strict"]["recall"] == 0.0


def reversed_fact(fact: dict, **changes) -> dict:
    return changed(fact, subject=copy.deepcopy(fact["object"]), object=copy.deepcopy(fact["subject"]), **changes)


def test_reversed_arguments_match_only_when_the_gold_predicate_is_symmetric(seed_facts, dev_facts):
    association = pick(dev_facts, "TDP-43", "associated_with", "STMN2")
    increase = pick(seed_facts, "IL-2", "increases", "Tregs")
    correlation = pick(seed_facts, "Treg levels", "negatively_correlated_with", "rate of disease progression")
    assert score_facts([association], [reversed_fact(association)])["strict"]["recall"] == 1.0
    assert score_facts([correlation], [reversed_fact(correlation)])["strict"]["recall"] == 1.0
    result = score_facts([increase], [reversed_fact(increase)])
    assert result["strict"]["recall"] == 0.0 and result["pairs"]["recall"] == 0.0
    # the gold predicate decides: a reversed predicted correlation does not find a gold increase ...
    predicted_correlation = reversed_fact(increase, predicate="positively_correlated_with", strength="correlational")
    result = score_facts([increase], [predicted_correlation])
    assert result["strict"]["recall"] == 0.0 and result["pairs"]["recall"] == 0.0
    # ... while a reversed predicted decrease finds a gold correlation of the same class
    decrease = reversed_fact(correlation, predicate="decreases", strength="direct_causal")
    assert score_facts([correlation], [decrease])["strict"]["recall"] == 1.0
    # and a reversed predicted increase finds a gold association as a pair only (other class)
    result = score_facts([association], [reversed_fact(association, predicate="increases")])
    assert result["strict"]["recall"] == 0.0 and result["pairs"]["recall"] == 1.0


def test_negated_fact_has_no_polarity_class(dev_facts):
    negated = pick(dev_facts, "SIRT1", "decreases", "inflammation", negated=True)
    affirmed = changed(negated, negated=False)
    result = score_facts([negated], [affirmed])
    assert result["strict"]["recall"] == 0.0 and result["strict"]["precision"] == 0.0
    assert result["pairs"]["recall"] == 1.0 and result["pairs"]["precision"] == 1.0
    assert score_facts([negated], [negated])["strict"]["f1"] == 1.0
    assert score_facts([affirmed], [negated])["strict"]["recall"] == 0.0


def test_predicates_of_one_polarity_class_match(seed_facts):
    gold = pick(seed_facts, "Cell therapy", "decreases", "inflammation")
    assert score_facts([gold], [changed(gold, predicate="treats")])["strict"]["f1"] == 1.0
    opposite = score_facts([gold], [changed(gold, predicate="increases")])
    assert opposite["strict"]["f1"] == 0.0 and opposite["pairs"]["f1"] == 1.0


def test_each_gold_fact_is_matched_once(seed_facts):
    gold = pick(seed_facts, "IL-2", "increases", "Tregs")
    result = score_facts([gold], [gold, gold])["strict"]
    assert (result["precision"], result["recall"]) == (0.5, 1.0)
    assert result["f1"] == pytest.approx(2 / 3)


def test_matching_is_maximum_not_greedy(seed_facts):
    tregs = pick(seed_facts, "Tregs", "decreases", "progression of the disease")
    therapy = pick(seed_facts, "Cell therapy", "decreases", "progression of ALS")
    # matches both gold facts (subject text contains both subjects, same object id),
    # and agrees with the Tregs fact (asserted, direct_causal) on certainty and strength ...
    broad = changed(therapy, subject={"text": "cell therapy with Tregs", "concept_id": ""},
                    certainty=tregs["certainty"], strength=tregs["strength"])
    # ... while this one matches only the Tregs fact, agreeing on nothing else
    narrow = changed(tregs, predicate="treats", certainty="hypothetical", strength="correlational")
    for prediction in ([broad, narrow], [narrow, broad]):
        result = score_facts([tregs, therapy], prediction)
        assert result["strict"]["recall"] == 1.0 and result["strict"]["precision"] == 1.0
        # broad went to the therapy fact (hedged, conditional_causal), narrow to the Tregs fact
        assert result["strength"]["confusion"] == {
            "conditional_causal": {"direct_causal": 1}, "direct_causal": {"correlational": 1}
        }


def test_ties_between_maximum_matchings_go_to_agreeing_attributes(seed_facts):
    tregs = pick(seed_facts, "Tregs", "decreases", "progression of the disease")
    therapy = pick(seed_facts, "Cell therapy", "decreases", "progression of ALS")
    assert (tregs["strength"], therapy["strength"]) == ("direct_causal", "conditional_causal")
    broad = {"text": "cell therapy with Tregs", "concept_id": ""}  # matches both gold facts
    like_tregs = changed(therapy, subject=broad, certainty=tregs["certainty"], strength=tregs["strength"])
    like_therapy = changed(tregs, subject=broad, certainty=therapy["certainty"], strength=therapy["strength"])
    for prediction in ([like_tregs, like_therapy], [like_therapy, like_tregs]):
        result = score_facts([tregs, therapy], prediction)
        assert result["strict"]["f1"] == 1.0
        assert result["strength"]["confusion"] == {
            "conditional_causal": {"conditional_causal": 1}, "direct_causal": {"direct_causal": 1}
        }


def test_fact_scores_per_predicate(seed_facts, dev_facts):
    increase = pick(seed_facts, "IL-2", "increases", "Tregs")
    decrease = pick(seed_facts, "Cell therapy", "decreases", "inflammation")
    association = pick(dev_facts, "TDP-43", "associated_with", "STMN2")
    prediction = [increase, changed(decrease, predicate="treats"), changed(association, predicate="increases")]
    result = score_facts([increase, decrease, association], prediction)
    strict, by_predicate = result["strict"], result["by_predicate"]
    assert strict["precision"] == pytest.approx(2 / 3) and strict["recall"] == pytest.approx(2 / 3)
    assert by_predicate["increases"]["strict"]["recall"] == 1.0
    assert by_predicate["increases"]["strict"]["precision"] == 0.5
    assert by_predicate["decreases"]["strict"]["recall"] == 1.0
    assert by_predicate["decreases"]["strict"]["precision"] is None
    assert by_predicate["treats"]["strict"]["precision"] == 1.0
    assert by_predicate["associated_with"]["strict"]["recall"] == 0.0
    assert by_predicate["associated_with"]["pairs"]["recall"] == 1.0
    assert by_predicate["increases"]["pairs"]["precision"] == 1.0
    assert result["pairs"]["f1"] == 1.0


def test_certainty_and_strength_accuracy_over_strict_matches(seed_facts):
    first = pick(seed_facts, "IL-2", "increases", "Tregs")
    second = pick(seed_facts, "Cell therapy", "decreases", "inflammation")
    third = pick(seed_facts, "Treg numbers", "decreases", "functional decline")
    prediction = [
        changed(first, certainty="hedged"),
        changed(second, strength="correlational"),
        changed(third, predicate="increases", certainty="hypothetical"),  # no strict match: not counted
    ]
    result = score_facts([first, second, third], prediction)
    assert result["certainty"]["accuracy"] == 0.5 and result["certainty"]["total"] == 2
    assert result["certainty"]["confusion"] == {"asserted": {"hedged": 1}, "hedged": {"hedged": 1}}
    assert result["strength"]["accuracy"] == 0.5


def test_documents_outside_the_gold_are_ignored(seed_entities, seed_facts, dev_facts):
    dev_entities = read_jsonl(DEV / "entities.jsonl")
    gold = ev.load_gold(SEED)
    prediction = ev.Predictions.from_frames(
        entity_frame(seed_entities + dev_entities), fact_frame(seed_facts + dev_facts)
    )
    report = ev.evaluate(gold, prediction)
    assert report["documents"]["predicted_ignored"] == 11
    assert report["documents"]["ignored_fact_rows"] == len(dev_facts)
    assert report["entities"]["overall"]["precision"] == 1.0
    assert report["facts"]["strict"]["precision"] == 1.0


# ----------------------------------------------------------------------------- command line


@pytest.fixture()
def cli_app():
    app = typer.Typer()

    @app.callback()
    def main():
        """Test app."""

    ev.register(app)
    return app


def test_cli_prints_table_and_writes_default_json(cli_app, gold_as_predictions):
    result = CliRunner().invoke(
        cli_app, ["eval", "--gold", str(SEED), "--gold", str(DEV), "--pred", str(gold_as_predictions)]
    )
    assert result.exit_code == 0, result.output
    assert "Entities" in result.output and "associated_with" in result.output and "1.000" in result.output
    report = json.loads((gold_as_predictions / "eval.json").read_text())
    assert report["facts"]["strict"]["f1"] == 1.0 and report["documents"]["gold"] == 12


def test_cli_reads_csv_and_writes_json_where_asked(cli_app, tmp_path, seed_entities, seed_facts):
    facts = [changed(fact, negated=True) if n == 0 else fact for n, fact in enumerate(seed_facts)]
    folder = write_prediction_folder(tmp_path / "pred", seed_entities, facts, suffix=".csv")
    out = tmp_path / "reports" / "seed.json"
    result = CliRunner().invoke(cli_app, ["eval", "--gold", str(SEED), "--pred", str(folder), "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["facts"]["strict"]["recall"] == pytest.approx(15 / 16)
    assert report["facts"]["pairs"]["recall"] == 1.0
    assert not (folder / "eval.json").exists()


def test_cli_fails_clearly_without_predictions(cli_app, tmp_path):
    result = CliRunner().invoke(cli_app, ["eval", "--gold", str(SEED), "--pred", str(tmp_path)])
    assert result.exit_code == 2
    assert "no entities or facts table" in result.output


# ----------------------------------------------------------------------------- argument coverage


@pytest.fixture(scope="module")
def seed_text():
    return SEED_TEXT.read_text(encoding="utf-8")


def mention(doc_id: str, text: str, start: int, mention_text: str = "", concept_id: str = "") -> dict:
    """An entity row with offsets (the argument rule ignores the type)."""
    mention_text = mention_text or text[start:]
    return {"doc_id": doc_id, "text": mention_text, "type": "DISEASE", "concept_id": concept_id,
            "start": start, "end": start + len(mention_text)}


def at(text: str, phrase: str, after: int = 0) -> int:
    position = text.find(phrase, after)
    assert position >= 0, phrase
    return position


def coverage_of(gold_facts: list[dict], rows: list[dict], texts: dict) -> dict:
    gold = ev.GoldSet.from_records([], gold_facts)
    frame = pd.DataFrame(rows, columns=["doc_id", "text", "type", "concept_id", "start", "end"])
    return ev.score_predictions(gold, frame, None, texts=texts)["argument_coverage"]


def test_argument_coverage_needs_both_arguments_in_the_sentence(seed_facts, seed_text):
    fact = pick(seed_facts, "IL-2", "increases", "Tregs")
    doc, sentence = fact["doc_id"], fact["sentence"]
    begin = at(seed_text, sentence)
    il2 = mention(doc, seed_text, at(seed_text, "IL-2", begin), "IL-2")
    tregs = mention(doc, seed_text, at(seed_text, "Tregs", begin), "Tregs")
    assert tregs["end"] <= begin + len(sentence)
    texts = {doc: seed_text}
    covered = coverage_of([fact], [il2, tregs], texts)
    assert covered["overall"]["covered"] == 1 and covered["by_predicate"]["increases"]["share"] == 1.0
    only_subject = coverage_of([fact], [il2], texts)["overall"]
    assert (only_subject["covered"], only_subject["subject_found"], only_subject["object_found"]) == (0, 1, 0)
    # the object named only in another sentence of the document does not count
    elsewhere = mention(doc, seed_text, at(seed_text, "Tregs"), "Tregs")
    assert elsewhere["start"] < begin
    assert coverage_of([fact], [il2, elsewhere], texts)["overall"]["covered"] == 0
    # one mention that contains both arguments is not a pair of arguments
    both = mention(doc, seed_text, begin, sentence)
    assert coverage_of([fact], [both], texts)["overall"]["covered"] == 0
    # matched by the argument rule: a same-id mention, whatever its text
    by_id = dict(tregs, text="regulatory cells", concept_id=fact["object"]["concept_id"])
    assert coverage_of([fact], [il2, by_id], texts)["overall"]["covered"] == 1


def test_argument_coverage_locates_sentences_across_white_space(seed_facts, seed_text):
    fact = pick(seed_facts, "IL-2", "increases", "Tregs")
    begin = at(seed_text, fact["sentence"])
    # the document breaks the sentence over lines; offsets shift by nothing (one space -> one newline)
    text = seed_text[:begin] + fact["sentence"].replace(" ", "\n") + seed_text[begin + len(fact["sentence"]):]
    rows = [mention(fact["doc_id"], text, at(text, "IL-2", begin), "IL-2"),
            mention(fact["doc_id"], text, at(text, "Tregs", begin), "Tregs")]
    result = coverage_of([fact], rows, {fact["doc_id"]: text})["overall"]
    assert (result["covered"], result["sentence_not_located"]) == (1, 0)
    moved = coverage_of([changed(fact, sentence="IL-2 raised Tregs.")], rows, {fact["doc_id"]: text})["overall"]
    assert (moved["covered"], moved["sentence_not_located"]) == (0, 1)


def test_argument_coverage_on_seed_and_dev_with_mentions_at_every_argument(seed_facts, dev_facts, seed_text):
    """Mentions placed at each gold argument's text inside its sentence cover those facts, and only them."""
    texts = {**ev.load_gold(DEV).texts, "als_news_tregs.txt": seed_text}
    facts = seed_facts + dev_facts
    rows, verbatim = [], []
    for fact in facts:
        text = texts[fact["doc_id"]]
        spans = ev.sentence_spans(text, fact["sentence"])  # the seed text has a no-break space in one
        assert spans, fact["sentence"]
        begin, end = spans[0]
        places = {}
        for role in ("subject", "object"):
            found = text.lower().find(fact[role]["text"].lower(), begin, end)
            if found >= 0:
                places[role] = mention(fact["doc_id"], text, found, text[found:found + len(fact[role]["text"])])
        rows += places.values()
        verbatim.append(len(places) == 2 and places["subject"]["start"] != places["object"]["start"])
    assert sum(verbatim) >= 0.8 * len(facts)  # most gold arguments are verbatim text of their sentence
    result = coverage_of(facts, rows, texts)
    assert result["overall"]["facts"] == len(facts) and result["overall"]["sentence_not_located"] == 0
    assert result["overall"]["covered"] >= sum(verbatim)
    assert set(result["by_predicate"]) == {fact["predicate"] for fact in facts}
    nothing = coverage_of(facts, [], texts)["overall"]
    assert (nothing["covered"], nothing["subject_found"], nothing["object_found"]) == (0, 0, 0)


def test_argument_coverage_leaves_out_documents_without_text(seed_facts):
    gold = ev.GoldSet.from_records([], seed_facts)
    report = ev.score_predictions(gold, None, None, texts={})
    assert report["argument_coverage"]["overall"]["facts"] == 0
    assert report["argument_coverage"]["documents_without_text"] == ["als_news_tregs.txt"]
    assert any("without a text" in note for note in report["notes"])


# ----------------------------------------------------------------------------- python API for cross-validation


def test_doc_ids_restrict_gold_and_predictions(seed_entities, seed_facts, dev_facts):
    gold = ev.load_gold([SEED, DEV])
    prediction = ev.Predictions.from_frames(
        entity_frame(seed_entities), fact_frame(seed_facts + [changed(dev_facts[0], negated=True)])
    )
    fold = ["als_news_tregs.txt", dev_facts[0]["doc_id"]]
    report = ev.evaluate(gold, prediction, doc_ids=fold)
    assert report["documents"]["gold"] == 2 and set(report["by_document"]) == set(fold)
    facts_in_fold = [fact for fact in seed_facts + dev_facts if fact["doc_id"] in fold]
    assert report["facts"]["strict"]["gold"] == len(facts_in_fold)
    assert report["facts"]["strict"]["found"] == len(seed_facts)
    dev_doc = report["by_document"][dev_facts[0]["doc_id"]]
    assert dev_doc["facts"]["found"] == 0 and dev_doc["facts"]["predicted"] == 1
    assert report["by_document"]["als_news_tregs.txt"]["facts"]["f1"] == 1.0
    assert sum(doc["facts"]["gold"] for doc in report["by_document"].values()) == len(facts_in_fold)
    assert sum(doc["entities"]["found"] for doc in report["by_document"].values()) == report["entities"]["overall"]["found"]
    unknown = ev.evaluate(gold, prediction, doc_ids=["als_news_tregs.txt", "PMID:0"])
    assert any("no gold annotations" in note for note in unknown["notes"])
    assert unknown["documents"]["gold"] == 2 and unknown["facts"]["strict"]["gold"] == len(seed_facts)


def test_in_memory_scores_equal_the_scores_of_a_written_folder(tmp_path, seed_entities, seed_facts, seed_text):
    entities = entity_frame(seed_entities)
    begin = at(seed_text, "IL-2")
    il2_row = entities.index[entities["text"] == "IL-2"][0]
    entities.loc[il2_row, ["start", "end"]] = [begin, begin + 4]  # one mention with offsets
    facts = fact_frame(seed_facts[:10])
    folder = tmp_path / "run"
    folder.mkdir()
    entities.to_csv(folder / "entities.csv", index=False)
    facts.to_csv(folder / "facts.csv", index=False)
    (folder / "texts.jsonl").write_text(
        json.dumps({"doc_id": "als_news_tregs.txt", "title": "", "text": seed_text}) + "\n", encoding="utf-8"
    )
    from_folder = ev.evaluate(ev.load_gold(SEED), ev.load_predictions(folder))
    in_memory = ev.score_predictions(ev.load_gold(SEED), entities, facts, texts={"als_news_tregs.txt": seed_text})
    for key in ("entities", "facts", "argument_coverage", "by_document"):
        assert from_folder[key] == in_memory[key], key
    assert in_memory["facts"]["strict"]["recall"] == pytest.approx(10 / 16)
    assert in_memory["argument_coverage"]["overall"]["subject_found"] >= 1
