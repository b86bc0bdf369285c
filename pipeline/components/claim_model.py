"""The claim classifier: decides, for every candidate pair of mentions in a sentence,
whether the sentence states a fact about them, which of the ten predicates, which
argument is the subject, and whether it is denied.

A registered pipe shaped like spaCy's trainable ones (`predict` → scores,
`set_annotations` writes `doc._.facts`, `initialize` fits, `to_disk`/`from_disk`): four
linear heads over hashed features (`claim_features.py`), learned with scikit-learn by
`pipeline/training/claims.py` from `../shared/gold/train`:

* `relation`  — is there a fact (binary);
* `polarity`  — the predicate's polarity class, given a fact (positive, negative, association,
  safety: learned across predicates, so `lower_in` borrows from `decreases`);
* `predicate` — which predicate of that class;
* `direction` — is the first mention the subject (binary, shared by all directed predicates,
  so rare predicates learn direction from the frequent ones);
* `negated`   — does the sentence deny it (binary).

The hand-written extractor (`claims.py`) runs first; its facts are features and candidates
here, not a second output. Certainty comes from the certainty cues; strength follows the
predicate and certainty (FACTS_SPEC §2: a hedged causal claim is `conditional_causal`).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from pathlib import Path

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from pipeline.components import claim_arguments as arguments
from pipeline.components import claim_comparisons as comparisons
from pipeline.components import claim_phrases as phrases
from pipeline.components import sentence_spans
from pipeline.components.claim_features import Candidate, candidates
from pipeline.components.feature_hashing import FeatureHashing
from pipeline.components.claims import Fact, _deduplicate, _read_table
from pipeline.schema import POLARITY, PREDICATES, SYMMETRIC_PREDICATES

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "claims"
N_FEATURES = 2 ** 18
HEADS = ("relation", "predicate", "polarity", "direction", "negated")
POLARITIES = ["positive", "negative", "association", "safety"]
CAUSAL = {"increases", "decreases", "treats", "causes"}
CORRELATIONAL = {"positively_correlated_with", "negatively_correlated_with", "higher_in", "lower_in", "associated_with"}


def hasher() -> FeatureHashing:
    """scikit-learn's FeatureHasher(n_features=N_FEATURES, input_type="string", alternate_sign=False)."""
    return FeatureHashing(N_FEATURES)


def strength_for(predicate: str, certainty: str) -> str:
    if predicate in CORRELATIONAL:
        return "correlational"
    if predicate == "safe_in":
        return "none"
    return "conditional_causal" if certainty == "hedged" else "direct_causal"


class LinearHeads:
    """Weights of the four heads: `weights[head]` is (N_FEATURES, n_classes), `bias[head]` (n_classes,)."""

    def __init__(self, weights: dict, bias: dict, predicates: list[str], meta: dict | None = None):
        self.weights = weights
        self.bias = bias
        self.predicates = predicates
        self.meta = meta or {}

    def scores(self, X) -> dict[str, np.ndarray]:
        """Probabilities per head: relation/direction/negated → P(true), predicate → (n, 10),
        polarity → (n, 4)."""
        out = {}
        X = X.astype(np.float32)  # as the weights: a float64 X would make scipy copy every weight matrix to float64
        for head in HEADS:
            z = X @ self.weights[head] + self.bias[head]
            if head in ("predicate", "polarity"):
                z = z - z.max(axis=1, keepdims=True)
                e = np.exp(z)
                out[head] = e / e.sum(axis=1, keepdims=True)
            else:
                out[head] = 1.0 / (1.0 + np.exp(-z[:, 0]))
        return out

    def to_disk(self, path: Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays = {}
        for head in HEADS:
            w = self.weights[head]
            rows = np.flatnonzero(np.abs(w).sum(axis=1))
            arrays[f"{head}_rows"] = rows.astype(np.int32)
            arrays[f"{head}_w"] = w[rows].astype(np.float32)
            arrays[f"{head}_b"] = np.asarray(self.bias[head], dtype=np.float32)
        np.savez_compressed(path / "heads.npz", **arrays)
        meta = dict(self.meta, predicates=self.predicates, n_features=N_FEATURES)
        (path / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    @classmethod
    def from_disk(cls, path: Path) -> "LinearHeads":
        path = Path(path)
        meta = json.loads((path / "model.json").read_text(encoding="utf-8"))
        data = np.load(path / "heads.npz")
        weights, bias = {}, {}
        for head in HEADS:
            rows, w = data[f"{head}_rows"], data[f"{head}_w"]
            full = np.zeros((N_FEATURES, w.shape[1]), dtype=np.float32)
            full[rows] = w
            weights[head] = full
            bias[head] = data[f"{head}_b"]
        return cls(weights, bias, meta["predicates"], meta)


class ClaimClassifier:
    """Sets `doc._.facts` from the candidate pairs the model accepts."""

    def __init__(self, nlp: Language, name: str, model_path: str = "", threshold: float | None = None,
                 rule_floor: float | None = None):
        if not Doc.has_extension("facts"):
            Doc.set_extension("facts", default=None)
        self.name = name
        self.hasher = hasher()
        self.cue_sign = {row["word"]: row["sign"] for row in _read_table("comparison_cues.tsv")}
        self.model: LinearHeads | None = None
        path = Path(model_path) if model_path else MODEL_DIR
        if (path / "heads.npz").is_file():
            self.model = LinearHeads.from_disk(path)
        self.threshold = threshold if threshold is not None else \
            (self.model.meta.get("thresholds") or self.model.meta.get("threshold", 0.5) if self.model else 0.5)
        self.rule_floor = rule_floor if rule_floor is not None else \
            (self.model.meta.get("rule_floor", 1.0) if self.model else 1.0)

    # ---- candidates ------------------------------------------------------
    def doc_candidates(self, doc: Doc) -> list[Candidate]:
        rule_facts = doc._.facts or []
        sentences = sentence_spans(doc)
        if not sentences:
            return []
        starts = [s.start for s in sentences]
        ents_by_sentence: dict[int, list[Span]] = {}
        for ent in doc.ents:
            ents_by_sentence.setdefault(bisect_right(starts, ent.start) - 1, []).append(ent)
        facts_by_sentence: dict[int, list] = {}
        for fact in rule_facts:
            facts_by_sentence.setdefault(bisect_right(starts, fact.subject.start) - 1, []).append(fact)
        out = []
        for index, sent in enumerate(sentences):
            if phrases.states_no_claim(sent):
                continue  # "Condition: ALS; Anxiety; Asthma; …", "Does X have any effect on Y?"
            ents = phrases.arguments_of(doc, ents_by_sentence.get(index, []))
            rules = facts_by_sentence.get(index, [])
            if rules:  # mentions only the rules found ("patients" of a safety claim) are candidates too
                known = {(e.start, e.end) for e in ents}
                extra = [s for f in rules for s in (f.subject, f.object) if (s.start, s.end) not in known]
                if extra:
                    unique = {(s.start, s.end): s for s in extra}
                    ents = sorted(ents + list(unique.values()), key=lambda s: (s.start, s.end))
            out.extend(candidates(doc, sent, ents, rules, self.cue_sign))
        add_document_features(out, sentences[0])
        return out

    def featurize(self, cands: list[Candidate]):
        return self.hasher.transform(c.features for c in cands)

    # ---- spaCy pipe shape --------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc], self.predict([doc]))
        return doc

    def pipe(self, docs, batch_size: int = 64):
        for batch in minibatch(docs, size=batch_size):
            self.set_annotations(batch, self.predict(batch))
            yield from batch

    def predict(self, docs: list[Doc]) -> list[tuple[list[Candidate], dict]]:
        """Per Doc: its candidates and the heads' scores of them (one hashing pass and one product
        per head for the whole batch: the rows are scored independently)."""
        per_doc = [self.doc_candidates(doc) for doc in docs]
        sizes = [len(cands) for cands in per_doc]
        if self.model is None or not sum(sizes):
            return [(cands, {}) for cands in per_doc]
        scores = self.model.scores(self.featurize([c for cands in per_doc for c in cands]))
        out, start = [], 0
        for cands, n in zip(per_doc, sizes):
            out.append((cands, {head: value[start:start + n] for head, value in scores.items()} if n else {}))
            start += n
        return out

    def set_annotations(self, docs: list[Doc], predictions) -> None:
        for doc, (cands, scores) in zip(docs, predictions):
            if self.model is None:
                continue  # no trained model: the rule facts stay
            doc._.facts = facts_from_scores(doc, cands, scores, self.model.predicates, self.threshold, self.rule_floor)

    def initialize(self, get_examples=None, nlp=None, *, heads: LinearHeads | None = None) -> None:
        """Take trained heads (fitting needs gold facts, which spaCy Examples do not carry:
        `pipeline.training.claims.fit` does it and passes them here)."""
        if heads is not None:
            self.model = heads
            self.threshold = heads.meta.get("thresholds") or heads.meta.get("threshold", self.threshold)
            self.rule_floor = heads.meta.get("rule_floor", self.rule_floor)

    def to_disk(self, path, exclude=tuple()) -> None:
        if self.model is not None:
            self.model.to_disk(Path(path))

    def from_disk(self, path, exclude=tuple()) -> "ClaimClassifier":
        if (Path(path) / "heads.npz").is_file():
            self.model = LinearHeads.from_disk(Path(path))
        return self


def _concept_key(span: Span) -> str:
    return span.kb_id_ or span.text.lower()


def add_document_features(cands: list[Candidate], title: Span) -> None:
    """What the rest of the document says about each candidate's two concepts: in how many
    sentences they meet, whether the title names both, and which predicate a rule fact gave
    them in another sentence (a paper repeats its main findings)."""
    sentences_of: dict[frozenset, set] = {}
    rule_elsewhere: dict[frozenset, set] = {}
    keys = []
    for cand in cands:
        key = frozenset((_concept_key(cand.first), _concept_key(cand.second)))
        keys.append(key)
        sentences_of.setdefault(key, set()).add(cand.sentence.start)
        if cand.rule is not None:
            rule_elsewhere.setdefault(key, set()).add((cand.sentence.start, cand.rule.predicate))
    for cand, key in zip(cands, keys):
        n = len(sentences_of[key])
        cand.features.append(f"pair_sents={min(n, 4)}")
        if cand.sentence.start != title.start and title.start in sentences_of[key]:
            cand.features.append("pair_in_title")
        for start, predicate in sorted(rule_elsewhere.get(key, ())):
            if start != cand.sentence.start:
                cand.features.append(f"rule_elsewhere={predicate}")


def threshold_for(threshold, predicate: str) -> float:
    """`threshold` is one P(relation) cut-off or a {predicate: cut-off} table with a "*" default."""
    if isinstance(threshold, dict):
        return threshold.get(predicate, threshold["*"])
    return threshold


def decide(scores: dict, index: int, predicates: list[str], threshold) -> tuple[str, bool, bool] | None:
    """(predicate, first-is-subject, negated) for candidate `index`, or None."""
    relation = scores["relation"][index]
    if relation < (min(threshold.values()) if isinstance(threshold, dict) else threshold):
        return None
    polarity = POLARITIES[int(np.argmax(scores["polarity"][index]))]
    allowed = np.array([POLARITY.get(p) == polarity for p in predicates])
    predicate = predicates[int(np.argmax(np.where(allowed, scores["predicate"][index], -1.0)))]
    if relation < threshold_for(threshold, predicate):
        return None
    forward = predicate in SYMMETRIC_PREDICATES or scores["direction"][index] >= 0.5
    return predicate, bool(forward), bool(scores["negated"][index] >= 0.5)


def _model_disagrees(scores: dict, index: int, rule_predicate: str, rule_override: float) -> bool:
    polarity = POLARITY.get(rule_predicate)
    return any(p >= rule_override for k, p in enumerate(scores["polarity"][index]) if POLARITIES[k] != polarity)


# predicates whose subject acts on the object: a mention in a setting phrase is never their subject
AGENT_PREDICATES = arguments.AGENT_PREDICATES
AMOUNT_PREDICATES = arguments.AMOUNT_PREDICATES


def _setting_as_argument(doc: Doc, predicate: str, subject: Span, obj: Span) -> bool:
    """A mention that names whom a study is about ("in people with ALS", "a mouse model of ALS")
    is not the agent of a causal fact (as the rules read it), and an outcome does not raise or
    lower it ("enhancing Tregs in people with ALS could delay the disease's progression" is no
    "progression decreases ALS"). Of gold/train's facts none takes such a mention as the object
    of `increases` or `decreases`; a drug's or a therapy's fact on it is kept, as gold's `treats`
    reads it. What the rules never act on is not acted on here either: a disease naming a
    material ("MMN sera"), a species, a mention kept "from undergoing" something, and the disease
    that qualifies an outcome ("the progression of ALS")."""
    if predicate in AGENT_PREDICATES and (arguments.in_population_setting(doc, subject)
                                          or arguments.names_model_organism(doc, subject)):
        return True  # "… reduced neuroinflammation in SOD1 rats" is no "SOD1 — decreases — …"
    if arguments.names_material(doc, subject):
        return True  # "IgG purified from MMN sera decreased claudin-5" is no "IgG — decreases — MMN"
    if predicate in AGENT_PREDICATES and (not arguments.can_be_acted_on(doc, predicate, obj) or arguments.qualifies_head(doc, obj)):
        return True  # "… in TIEG1 KO mice" is no "TIEG1 — increases — mice", as the rules read it
    if predicate in ("causes", "increases") and subject.label_ in ("CHEMICAL_OR_DRUG", "INTERVENTION") \
            and obj.label_ == "DISEASE" and arguments.in_population_setting(doc, obj):
        return True  # "A Study of NP001 in Subjects With ALS": the patients studied, not what the drug causes
    return predicate in AMOUNT_PREDICATES and subject.label_ == "OUTCOME" and arguments.in_population_setting(doc, obj)


def facts_from_scores(doc: Doc, cands: list[Candidate], scores: dict, predicates: list[str], threshold,
                      rule_floor: float = 1.0, rule_override: float = 1.01) -> list[Fact]:
    """Facts of the candidates the model accepts. A rule fact whose candidate the model scores
    at or above `rule_floor` is kept as the rule read it (the rules' comparison and safety
    patterns are precise where they fire); other candidates are the model's at `threshold`
    (one cut-off, or one per predicate: see `threshold_for`). Where the model gives a polarity
    other than the rule fact's a probability of at least `rule_override`, the model's reading
    replaces the rule's."""
    from pipeline.components.certainty import certainty_of

    facts = []
    doc_ents = list(doc.ents) if cands else []
    for i, cand in enumerate(cands):
        if cand.rule is not None and scores["relation"][i] >= rule_floor and not _model_disagrees(
                scores, i, cand.rule.predicate, rule_override):
            decision, extractor = (cand.rule.predicate, cand.rule_forward, cand.rule.negated), "rule"
        else:
            decision, extractor = decide(scores, i, predicates, threshold), "model"
            if decision is None and cand.rule is not None and scores["relation"][i] >= rule_floor:
                decision, extractor = (cand.rule.predicate, cand.rule_forward, cand.rule.negated), "rule"
            if decision is None:
                continue
        predicate, forward, negated = decision
        subject, obj = (cand.first, cand.second) if forward else (cand.second, cand.first)
        if extractor == "model":
            if _setting_as_argument(doc, predicate, subject, obj):
                continue
            defined = arguments.defined_by(doc, cand.sentence, subject, doc_ents)  # as the rules read it
            subject = defined if defined is not None and defined.start != obj.start else subject
            attributes = comparisons.attribute(doc, subject), comparisons.attribute(doc, obj)
        else:
            attributes = cand.rule.subject_attribute, cand.rule.object_attribute
        certainty = certainty_of(cand.sentence)
        if cand.rule is not None:
            extractor += "+" + cand.rule.extractor
        facts.append(Fact(
            subject=subject, object=obj, predicate=predicate, negated=negated, certainty=certainty,
            strength=strength_for(predicate, certainty),
            subject_attribute=attributes[0], object_attribute=attributes[1],
            confidence=round(float(scores["relation"][i]), 3), extractor=extractor, sentence=cand.sentence,
        ))
    return _deduplicate(facts)


@Language.factory("alsfacts_claim_model", default_config={"model_path": "", "threshold": None, "rule_floor": None})
def create_claim_classifier(nlp: Language, name: str, model_path: str, threshold: float | None, rule_floor: float | None):
    return ClaimClassifier(nlp, name, model_path, threshold, rule_floor)


__all__ = ["ClaimClassifier", "LinearHeads", "PREDICATES", "strength_for"]
