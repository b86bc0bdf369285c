"""Memory cuts that must not change a single output (issue 7: two workers under 2 GB).

The claim model hashes its features without scikit-learn, the TF-IDF linker queries its nmslib
index without scispaCy's CandidateGenerator module (both imported scikit-learn: ~120 MB in every
worker), and the extraction runs the NER on smaller batches. Each is checked against what it
replaced, on real text.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.batch import PIPE_BATCH_SIZES, extract_payloads
from pipeline.cache import decode_values, encode_rows
from pipeline.ingest import iter_documents

ROOT = Path(__file__).resolve().parents[1]
SEED_ARTICLE = ROOT / "corpora" / "als_news_tregs.txt"
ABSTRACTS = ROOT / ".." / "shared" / "data" / "als_corpus" / "abstracts.jsonl"
needs_corpus = pytest.mark.skipif(not ABSTRACTS.is_file(), reason=f"shared corpus not found at {ABSTRACTS}")


def _abstract_documents(tmp_path: Path, count: int, start: int = 0) -> list:
    lines = ABSTRACTS.read_text(encoding="utf-8").splitlines()[start:start + count]
    corpus = tmp_path / "abstracts.jsonl"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [d for d in iter_documents([corpus]) if d.status == "ok"]


@pytest.fixture(scope="module")
def nlp():
    from pipeline.nlp import shared_nlp

    return shared_nlp()


@needs_corpus
def test_claim_features_hash_as_scikit_learn_does(nlp, tmp_path):
    from sklearn.feature_extraction import FeatureHasher

    from pipeline.components.claim_model import N_FEATURES, hasher

    classifier = nlp.get_pipe("claim_model")
    texts = [SEED_ARTICLE.read_text(encoding="utf-8")] + [d.text for d in _abstract_documents(tmp_path, 15)]
    docs = list(nlp.pipe(texts, disable=["claim_model"]))
    rows = [list(c.features) for doc in docs for c in classifier.doc_candidates(doc)]
    assert len(rows) > 500 and sum(map(len, rows)) > 10_000
    ours = hasher().transform(rows)
    theirs = FeatureHasher(n_features=N_FEATURES, input_type="string", alternate_sign=False).transform(rows)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert (ours.indptr == theirs.indptr).all() and (ours.indices == theirs.indices).all()
    assert (ours.data == theirs.data).all()
    scores, expected = classifier.model.scores(ours), classifier.model.scores(theirs)
    for head in scores:
        assert (scores[head] == expected[head]).all(), head
    with pytest.raises(ValueError):
        hasher().transform(["one string, not a row of features"])


def test_tfidf_linker_gives_scispacys_candidates(nlp):
    from scispacy.candidate_generation import CandidateGenerator
    from scispacy.linking_utils import KnowledgeBase

    from pipeline.components.linking import get_tfidf_linker

    linker = get_tfidf_linker()

    class AliasConcepts(dict):
        def __missing__(self, alias):
            return {linker.kb.concept_ids[ci] for ci in linker.alias_concepts(alias)}

    class ShippedKnowledgeBase(KnowledgeBase):
        def __init__(self):
            self.alias_to_cuis = AliasConcepts()
            self.cui_to_entity = {}

    generator = CandidateGenerator(ann_index=linker.index, tfidf_vectorizer=linker.vectorizer,
                                   ann_concept_aliases_list=range(len(linker.concept_indptr) - 1),
                                   kb=ShippedKnowledgeBase())
    doc = nlp(SEED_ARTICLE.read_text(encoding="utf-8"))
    mentions = sorted({e.text.lower() for e in doc.ents}
                      | {"amyotrophic lateral sclerosis", "superoxide dismutase-1", "regulatroy t cells",
                         "motor neuron death", "riluzol", "xq", "!!", "interleukin 2"})
    assert len(mentions) > 30
    for mention, candidates in zip(mentions, generator(mentions, linker.k)):
        best = {c.concept_id: max(c.similarities) for c in candidates}
        expected = sorted(((cid, sim) for cid, sim in best.items() if sim >= linker.threshold),
                          key=lambda x: (-x[1], x[0]))
        linker.cache.pop(mention, None)
        linker._candidates([mention])
        assert linker.cache[mention] == expected, mention
    assert linker.link(["amyotrophic lateral sclerosis"])[0][0].startswith("MESH:")


@needs_corpus
def test_extraction_batches_give_the_rows_of_plain_nlp_pipe(nlp, tmp_path):
    assert PIPE_BATCH_SIZES["ner"] < nlp.batch_size
    documents = _abstract_documents(tmp_path, 20, start=100)
    results = extract_payloads(nlp, documents)
    from pipeline.components import remember_text
    from pipeline.records import doc_rows

    made = (remember_text(nlp.make_doc(d.text), d.text) for d in documents)
    for document, result, doc in zip(documents, results, nlp.pipe(made)):
        assert result.payload == encode_rows(doc_rows(doc, document)), document.doc_id
    assert sum(len(decode_values(r.payload)[0]["entities"]) for r in results) > 100


def test_the_pipeline_loads_without_scikit_learn():
    code = ("import sys, json; from pipeline.nlp import build_nlp; nlp = build_nlp(); "
            "nlp('Riluzole slowed ALS progression in SOD1 mice.'); "
            "print(json.dumps(sorted(m for m in ('sklearn', 'pandas', 'scipy.stats') if m in sys.modules)))")
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(found.stdout.strip().splitlines()[-1]) == []
