"""Column order of the four output tables. One place, used by writers, store and tests."""

ENTITY_COLUMNS = [
    "doc_id", "sentence_id", "start", "end", "text", "type",
    "concept_id", "concept_name", "score", "abbreviation_of",
]

FACT_COLUMNS = [
    "fact_id", "claim_key", "doc_id", "sentence_id", "sentence",
    "sentence_start", "sentence_end",
    "subject_text", "subject_type", "subject_id", "subject_name", "subject_attribute",
    "subject_start", "subject_end",
    "predicate",
    "object_text", "object_type", "object_id", "object_name", "object_attribute",
    "object_start", "object_end",
    "negated", "certainty", "strength",
    "species", "study_type", "trial_id", "trial_phase", "sample_size",
    "population", "comparator", "cited_source",
    "confidence", "extractor",
]

SENTENCE_COLUMNS = ["doc_id", "sentence_id", "start", "end", "text", "strength"]

DOCUMENT_COLUMNS = ["doc_id", "source", "sha256", "title", "n_chars", "n_sentences", "status", "error"]

TABLES = {
    "entities": ENTITY_COLUMNS,
    "facts": FACT_COLUMNS,
    "sentences": SENTENCE_COLUMNS,
    "documents": DOCUMENT_COLUMNS,
}

ENTITY_TYPES = [
    "CELL_TYPE", "GENE_OR_PROTEIN", "DISEASE", "CHEMICAL_OR_DRUG", "INTERVENTION",
    "ANATOMY", "ORGANISM", "OUTCOME", "TRIAL",
]

PREDICATES = [
    "increases", "decreases", "positively_correlated_with", "negatively_correlated_with",
    "higher_in", "lower_in", "treats", "causes", "associated_with", "safe_in",
]

# spec §2: polarity class of each predicate; a negated fact has class None.
POLARITY = {
    "increases": "positive",
    "decreases": "negative",
    "positively_correlated_with": "positive",
    "negatively_correlated_with": "negative",
    "higher_in": "positive",
    "lower_in": "negative",
    "treats": "negative",
    "causes": "positive",
    "associated_with": "association",
    "safe_in": "safety",
}

SYMMETRIC_PREDICATES = {"positively_correlated_with", "negatively_correlated_with", "associated_with"}

# Arrow type of every column that is not a string.
INT_COLUMNS = {
    "sentence_id", "start", "end", "sentence_start", "sentence_end", "subject_start", "subject_end",
    "object_start", "object_end", "n_chars", "n_sentences", "sample_size",
}
FLOAT_COLUMNS = {"score", "confidence"}
BOOL_COLUMNS = {"negated"}


def arrow_schema(table: str):
    """The pyarrow schema of one output table, so every chunk and every run agree."""
    import pyarrow as pa

    def arrow_type(column: str):
        if column in INT_COLUMNS:
            return pa.int64()
        if column in FLOAT_COLUMNS:
            return pa.float64()
        if column in BOOL_COLUMNS:
            return pa.bool_()
        return pa.string()

    return pa.schema([(column, arrow_type(column)) for column in TABLES[table]])


# The claims table (pipeline/evidence.py): one row per claim key across documents.
CLAIM_COLUMNS = [
    "claim_key", "subject_key", "subject_id", "subject_name", "subject_type",
    "predicate", "polarity", "object_key", "object_id", "object_name", "object_type",
    "agreement", "n_documents", "n_sentences", "n_facts",
    "n_supporting_documents", "n_contradicting_documents", "n_negated",
    "n_direct_causal", "n_conditional_causal", "n_correlational", "n_no_strength",
    "n_asserted", "n_hedged", "n_hypothetical",
    "species", "study_types", "fact_ids", "doc_ids", "contradicting_claims", "contradicting_fact_ids",
]
CLAIM_INT_COLUMNS = {c for c in CLAIM_COLUMNS if c.startswith("n_")}
# lists of strings in Parquet, JSON arrays in CSV
CLAIM_LIST_COLUMNS = {"species", "study_types", "fact_ids", "doc_ids", "contradicting_claims",
                      "contradicting_fact_ids"}


def claims_arrow_schema():
    import pyarrow as pa

    def arrow_type(column: str):
        if column in CLAIM_INT_COLUMNS:
            return pa.int64()
        if column in CLAIM_LIST_COLUMNS:
            return pa.list_(pa.string())
        return pa.string()

    return pa.schema([(column, arrow_type(column)) for column in CLAIM_COLUMNS])
