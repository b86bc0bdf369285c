"""`alsfacts_anaphora`: opening pronouns, "this mutation" and "the disease" take their referent's id, on real text."""

from __future__ import annotations

from pipeline.components import span_extension
from pipeline.components.anaphora import refers_back
from pipeline.nlp import shared_nlp
from pipeline.records import table_entities
from shared_records import TRAIN_DOCS, TRIALS, record_text

AFTER_ANAPHORA = ["context", "strength", "claims", "claim_model"]


def _trial_texts(*nct_ids: str) -> dict[str, str]:
    return {nct_id: record_text(TRIALS, nct_id) for nct_id in nct_ids}


def _mentions_at(doc, words: str) -> list:
    start = doc.text.index(words)
    return [e for e in doc.ents if e.start_char == start]


def test_an_opening_pronoun_names_the_previous_sentences_gene_or_drug():
    # ALS trial records in no gold set
    texts = _trial_texts("NCT01823380", "NCT03456882", "NCT00847847")
    nlp = shared_nlp()
    with nlp.select_pipes(disable=AFTER_ANAPHORA):
        vitamin_d, rns60, unknown_cause = (nlp(texts[i]) for i in ("NCT01823380", "NCT03456882", "NCT00847847"))
    # "… vitamin D was a major regulator of immunity. It regulates particularly the function of dendritic cells"
    (it,) = _mentions_at(vitamin_d, "It regulates particularly")
    assert it.text == "It" and (it.label_, it.kb_id_) == ("CHEMICAL_OR_DRUG", "MESH:D014807")
    assert span_extension(vitamin_d, "concept_name", it.start_char, it.end_char) == "Vitamin D"
    # "RNS60 presents itself as a promising candidate … Its exceptional safety profile"
    (its,) = _mentions_at(rns60, "Its exceptional safety")
    assert its.text == "Its" and its.kb_id_ == next(e.kb_id_ for e in rns60.ents if e.text == "RNS60")
    # "ALS is a progressive neurodegenerative disorder involving motor neurons … Its pathogenesis remains
    # unknown": the previous sentence is about ALS, which no pronoun argument names
    assert not _mentions_at(unknown_cause, "Its pathogenesis")
    # "The cause of the disease is unknown, but an immunologically factor is more precisely suspected in ALS"
    (disease,) = _mentions_at(vitamin_d, "disease is unknown")
    assert disease.text == "disease" and (disease.label_, disease.kb_id_) == ("DISEASE", "MESH:D000690")
    # and the items of each document (FACTS_SPEC §4) are the same as without the step
    for doc in (vitamin_d, rns60):
        with nlp.select_pipes(disable=["anaphora", *AFTER_ANAPHORA]):
            before = nlp(doc.text)
        assert {(e.label_, e.kb_id_) for e in doc.ents} == {(e.label_, e.kb_id_) for e in before.ents}
        kept = {(e.start_char, e.end_char) for e in before.ents}
        assert kept <= {(e.start_char, e.end_char) for e in doc.ents}
        assert {e.text for e in doc.ents if (e.start_char, e.end_char) not in kept} <= {"It", "Its", "disease"}


def test_the_entities_table_lists_a_referring_word_only_as_a_facts_argument():
    # as a population noun: gold lists "It" as a fact's argument, never as an entity mention
    text = _trial_texts("NCT01823380")["NCT01823380"]
    doc = shared_nlp()(text)
    referring = [e for e in doc.ents if refers_back(e)]
    expected = {("It", "vitamin D"), ("disease", "Amyotrophic Lateral Sclerosis")}
    assert {(e.text, e._.refers_to) for e in referring} >= expected
    arguments = {(s.start_char, s.end_char) for f in doc._.facts for s in (f.subject, f.object)}
    listed = {(e.start_char, e.end_char) for e in table_entities(doc)}
    assert any((e.start_char, e.end_char) in arguments for e in referring)  # "It regulates … dendritic cells"
    for e in referring:
        assert ((e.start_char, e.end_char) in listed) == ((e.start_char, e.end_char) in arguments)


def test_a_study_and_an_expletive_it_name_nothing():
    # "It has been demonstrated …" (NCT03085706); "It will also evaluate whether this device …" (NCT03356288)
    texts = _trial_texts("NCT03085706", "NCT03356288")
    nlp = shared_nlp()
    with nlp.select_pipes(disable=AFTER_ANAPHORA):
        for text, words in ((texts["NCT03085706"], "It has been demonstrated"),
                            (texts["NCT03356288"], "It will also evaluate")):
            assert not _mentions_at(nlp(text), words)


def test_this_mutation_is_the_genes_in_a_claim():
    # gold/train PMID:27534431: "… a novel heterozygous missense mutation in OPTN (c.883G > T,
    # p.Val295Phe) in a single familial ALS case. This mutation induced recognized cellular features
    # of ALS pathogenesis including Golgi fragmentation and ER stress in NSC-34 cells."
    doc = shared_nlp()(record_text(TRAIN_DOCS, "PMID:27534431"))
    (mutation,) = _mentions_at(doc, "mutation induced")
    assert mutation.text == "mutation" and mutation.kb_id_ == "HGNC:17142"  # OPTN
    assert any(f.subject.start_char == mutation.start_char for f in doc._.facts)
