"""`alsfacts_ner`: a trained spaCy NER for chemicals, diseases and genes, merged with the dictionary.

The model (pipeline/models/ner/, trained by scripts/train_ner.py with training/ner.cfg) is a
small tok2vec + transition-based NER. Besides the words it reads one more token attribute:
what the dictionary (`alsfacts_entities`) found at each token, written into the token's TAG
("B-DISEASE", "I-GENE_OR_PROTEIN", "O"; nothing else in the NER's own pipeline sets TAG).
The same encoding is written when training data is converted and when the component runs,
so the model learns how far to trust the dictionary.

At run time the component copies the tokens of each Doc, with the dictionary TAGs, into a Doc
of the model's vocabulary, runs the model over a batch and merges its spans into `doc.ents`
per `merge`:
  - "add": a model span is added only where no dictionary entity overlaps it; its id comes
    from the KB (exact/variant lookup, then the TF-IDF linker restricted to the span's type);
    unlinked spans keep their type with an empty id, like the dictionary's pattern mentions.
  - "filtered": as "add", but a lone word (one word, no digit) that looks like an abbreviation or
    a name (two or more capitals) or an adjective is kept only if the KB links it. That is where
    the model errs on ALS text: undefined abbreviations ("MEP", "AUC", "ACP" as diseases),
    adjectives ("inflammatory"), names ("PubMed"); on gold/train 13% of added all-capital words
    were right, against 54-63% of multi-word, letter-and-digit ("PGK1") and linked spans. Other
    lone words stay unlinked: drug and disease names the KB lacks ("quetiapine", "akathisia";
    BC5CDR development strict F1 of the default pipeline 0.765 → 0.775, gold/train CV entity F1
    0.708 → 0.707, seed+dev unchanged). An abbreviation defined in the text whose long form ends
    with an entity or model span of the same type is kept, with that entity's id ("valproic acid
    (VPA)").
  - "linked": as "add", but only spans the KB links (exact/variant form or TF-IDF) to a concept
    of the span's type.
  - "longer": as "add", and a model span that covers dictionary entities entirely and is longer
    replaces them ("motor neuron death" over the dictionary's "motor neuron").
  - "resolve" (default): as "filtered", and where a model span overlaps dictionary entities,
    the row of `MODEL_WINS` for how they lie (same span, model longer, model shorter) and
    their two types decides whether the model's span replaces them ("5-fluorouracil" over the
    dictionary's "fluorouracil"), as does `model_wins` for a MeSH-typed protein the model calls
    a chemical ("cyclosporine"); otherwise the dictionary's entities stay. An unlinked model span
    never replaces a linked entity that contains it ("non-dioxin" of "non-dioxin like PCBs").
  - "supported": as "resolve", and a dictionary chemical or disease that no model span overlaps
    is dropped (population nouns such as "patients", typed DISEASE by FACTS_SPEC, are kept).
  - "off": the model is not loaded and the Doc is left as the dictionary made it.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple, Optional

import spacy
from spacy.attrs import IDX, ORTH, SPACY
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.training import Example
from spacy.vocab import Vocab
from spacy.util import minibatch
from thinc.api import NumpyOps

from pipeline.components import doc_text
from pipeline.components.entities import NER_VIEW_KEY, AlsEntities
from pipeline.components.linking import get_tfidf_linker, lookup

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "ner"
NER_TYPES = ("CHEMICAL_OR_DRUG", "DISEASE", "GENE_OR_PROTEIN")
CHEMICAL, DISEASE, GENE = NER_TYPES
OUTSIDE_TAG = "O"
MERGE_RULES = ("resolve", "supported", "filtered", "add", "linked", "longer", "off")

# Where a model span overlaps a dictionary entity, the model's span (boundaries and type)
# replaces it for these (how the model span lies against the entity, dictionary type, model
# type); everywhere else the dictionary's entity stays. Chosen by measurement on two corpora
# (shipped model of 2026-12-04): overlaps where the model's / the dictionary's mention was
# right on BC5CDR dev (strict span) and on gold/train (FACTS_SPEC entity items). Only rows that
# win on BC5CDR and lose nothing on gold/train are here.
MODEL_WINS = {
    ("longer", CHEMICAL, CHEMICAL): "BC5CDR 63 / 35, gold/train 1 / 1",
    ("shorter", CHEMICAL, DISEASE): "BC5CDR 2 / 0, gold/train 0 / 0",
    ("shorter", DISEASE, CHEMICAL): "BC5CDR 5 / 0, gold/train 2 / 2",
}
# And one row that depends on where the dictionary's type comes from: a dictionary gene or
# protein that MeSH alone types so (no HGNC gene behind it: peptide drugs such as
# "cyclosporine", "enalapril", "vancomycin", "oxytocin") yields to the model's chemical on the
# same span (BC5CDR dev 75 / 0, 15 neither; gold/train 1 / 0, "rituximab", 5 neither); an HGNC
# gene stays (gold/train 0 / 32, "NfL").
def model_wins(how: str, dictionary_label: str, model_label: str, dictionary_id: str) -> bool:
    """Whether the model's span replaces an overlapping dictionary entity (see MODEL_WINS)."""
    if (how, dictionary_label, model_label) in MODEL_WINS:
        return True
    return how == "same" and (dictionary_label, model_label) == (GENE, CHEMICAL) and \
        not dictionary_id.startswith("HGNC:")


# Rows left to the dictionary because ALS gold follows it where BC5CDR does not:
# ("longer", DISEASE, DISEASE) BC5CDR 125 / 107, gold/train 4 / 22; ("shorter", DISEASE, DISEASE)
# 50 / 31 vs 102 / 148; ("shorter", CHEMICAL, CHEMICAL) 31 / 14 vs 4 / 21; ("longer", ANATOMY,
# DISEASE) "breast cancer" 73 / 0 vs 0 / 7; ("same", GENE, CHEMICAL) "cyclosporine" 93 / 0 vs
# 1 / 44; ("shorter", INTERVENTION, CHEMICAL) "lithium therapy" 74 / 0 vs 7 / 11; and BC5CDR's
# "NMDA" inside "NMDA receptor" (63 / 0), a gene product in FACTS_SPEC.
# a population noun ends the mention: FACTS_SPEC types it DISEASE, BC5CDR does not annotate it
POPULATION_NOUNS = frozenset({"patients", "patient", "participants", "individuals", "subjects"})


class CharSpan(NamedTuple):
    start_char: int
    end_char: int
    label: str
    replaces: tuple = ()  # (start, end) of the dictionary entities this span replaces


def relation(start: int, end: int, other_start: int, other_end: int) -> str:
    """How span [start, end) lies against an overlapping span: same, longer, shorter or crossing."""
    if (start, end) == (other_start, other_end):
        return "same"
    if start <= other_start and other_end <= end:
        return "longer"
    if other_start <= start and end <= other_end:
        return "shorter"
    return "crossing"


def dictionary_entities(doc: Doc) -> list:
    """(start char, end char, type) of what the NER reads as the dictionary's mentions: those the
    entity step chose before the silver documents' names (entities.NER_VIEW_KEY), else doc.ents."""
    view = doc.user_data.get(NER_VIEW_KEY)
    return list(view) if view is not None else [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def dictionary_tags(doc: Doc) -> list:
    """The dictionary feature: per token, B-/I- plus the type of the mention covering it, else "O"."""
    tags = [OUTSIDE_TAG] * len(doc)
    starts = doc.to_array(IDX).tolist()
    for s, e, label in dictionary_entities(doc):
        start, end = bisect_left(starts, s), bisect_left(starts, e)
        if start >= end:
            continue
        tags[start] = "B-" + label
        for i in range(start + 1, end):
            tags[i] = "I-" + label
    return tags


# The model reads finer tokens than the pipeline's: hyphens, slashes and square brackets are
# tokens of their own, so "doxorubicin-induced", "Li/DVP" and "[3H]spiperone" hold mention
# boundaries (3% of BC5CDR mentions end inside a scispaCy token), and the word-per-line
# corpora (NCBI disease, BioNLP13CG), which split there, look like the rest.
SPLIT_RE = re.compile(r"([-/\[\]])")


@lru_cache(maxsize=200_000)
def word_pieces(word: str) -> tuple:
    if len(word) < 2 or not SPLIT_RE.search(word):
        return (word,)
    return tuple(p for p in SPLIT_RE.split(word) if p)


ADJECTIVE_ENDINGS = ("ory", "al", "ic", "ive", "ous", "ar", "ed", "ing", "ant", "ent", "ible", "able")


def lone_word(text: str) -> bool:
    """One word without a digit ("MEP", "inflammatory"), as opposed to "PGK1" or "motor neuropathy"."""
    return " " not in text and not any(c.isdigit() for c in text)


def needs_link(text: str) -> bool:
    """A span the model's reading is kept for only when the KB links it: a lone word that is
    abbreviation- or name-like ("MEP", "PubMed") or adjective-like ("inflammatory"), not
    "quetiapine"; or a span whose first word has no letter, a number or ratio ("1-2/100,000 per
    year", "20 mg"), where "5-fluorouracil" or "17beta-estradiol" have theirs."""
    if not any(c.isalpha() for c in text.split(None, 1)[0]):
        return True
    if not lone_word(text):
        return False
    return sum(c.isupper() for c in text) >= 2 or text.lower().endswith(ADJECTIVE_ENDINGS)


def feature_doc(vocab, doc: Doc, tags: list = None) -> Doc:
    """A copy of `doc` in `vocab` on the model's finer tokens, with the dictionary feature in TAG
    (a split token's pieces continue its tag: B-X, I-X, I-X)."""
    strings = doc.vocab.strings
    rows = doc.to_array([ORTH, SPACY]).tolist()
    if tags is None:
        tags = dictionary_tags(doc)
    words, spaces, piece_tags = [], [], []
    for (orth, space), tag in zip(rows, tags):
        pieces = word_pieces(strings[orth])
        words.extend(pieces)
        spaces.extend([False] * (len(pieces) - 1))
        spaces.append(bool(space))
        piece_tags.append(tag)
        if len(pieces) > 1:
            piece_tags.extend([tag if tag == OUTSIDE_TAG else "I-" + tag[2:]] * (len(pieces) - 1))
    return Doc(vocab, words=words, spaces=spaces, tags=piece_tags)


@spacy.registry.readers("alsfacts.ner_corpus.v1")
def create_ner_corpus(path: Optional[Path], limit: int = 0):
    """Training examples from a DocBin written by scripts/train_ner.py (Docs already on the model's
    tokens, see `feature_doc`). The predicted side keeps the reference's tokens and dictionary TAGs
    (spaCy's own Corpus would re-tokenize the text and drop them). `path` may be unset for a
    corpus the command does not read (`spacy train` resolves corpora.pretrain too)."""

    def read(nlp: Language) -> Iterator[Example]:
        if path is None:
            raise ValueError("alsfacts.ner_corpus.v1: no path given for this corpus (set it in [paths])")
        docs = DocBin().from_disk(path).get_docs(nlp.vocab)
        for n, reference in enumerate(docs):
            if limit and n >= limit:
                break
            if len(reference):
                words = [t.text for t in reference]
                spaces = [bool(t.whitespace_) for t in reference]
                yield Example(Doc(nlp.vocab, words=words, spaces=spaces, tags=[t.tag_ for t in reference]),
                              reference)

    return read


@lru_cache(maxsize=4)
def load_ner_model(path: str, use_blis: bool = False, vocab: Optional[Vocab] = None) -> Language:
    """The trained tok2vec + NER pipeline (its tokenizer is the project's, registered by pipeline.nlp).
    `use_blis=False` (default) makes thinc multiply with numpy (OpenBLAS) instead of BLIS: the NER ran
    at 16.7k words per CPU second with numpy and 11.2k with BLIS where the bare tokenizer ran at 142k
    (`scripts/train_ner.py speed`, shared machine).
    `vocab`: load into this vocabulary (the pipeline's own), so that the copies `feature_doc` makes
    reuse the lexemes the tokenizer already made instead of creating a second set. The model's
    features (NORM, PREFIX, SUFFIX, SHAPE, TAG) are string hashes, the same in either vocabulary."""
    import pipeline.nlp  # noqa: F401  (registers alsfacts.scispacy_tokenizer.v1)

    model_dir = Path(path)
    if not (model_dir / "config.cfg").exists():
        raise FileNotFoundError(f"{model_dir}: no trained NER model here (run scripts/train_ner.py)")
    nlp = spacy.load(model_dir) if vocab is None else spacy.load(model_dir, vocab=vocab)
    ops = NumpyOps(use_blis=use_blis)
    for _, proc in nlp.pipeline:
        for node in proc.model.walk():
            node.ops = ops
    return nlp


class AlsNer:
    def __init__(self, nlp: Language, name: str, merge: str = "resolve", model_path: str = "",
                 batch_size: int = 64, use_tfidf: bool = True, use_blis: bool = False):
        if merge not in MERGE_RULES:
            raise ValueError(f"alsfacts_ner: merge must be one of {MERGE_RULES}, not {merge!r}")
        self.merge = merge
        self.batch_size = batch_size
        self.model = None if merge == "off" else load_ner_model(str(model_path or MODEL_DIR), use_blis, nlp.vocab)
        self.linker = get_tfidf_linker() if (use_tfidf and merge != "off") else None

    # ------------------------------------------------------------------ running
    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = None) -> Iterator[Doc]:
        for batch in minibatch(docs, size=batch_size or self.batch_size):
            if self.model is None:
                yield from batch
                continue
            predicted = self.predict_spans(batch)
            for doc, spans in zip(batch, predicted):
                self.add_spans(doc, spans)
                yield doc

    def predict_spans(self, docs: list) -> list:
        """For each Doc: the model's (start char, end char, label) spans."""
        model = self.model
        copies = [feature_doc(model.vocab, doc) for doc in docs]
        for _, proc in model.pipeline:
            copies = list(proc.pipe(copies, batch_size=len(copies)))
        return [[(e.start_char, e.end_char, e.label_) for e in copy.ents] for copy in copies]

    # ------------------------------------------------------------------ merging
    def add_spans(self, doc: Doc, spans: list) -> None:
        """Merge the model's spans into doc.ents (rule `self.merge`), linked to the KB."""
        doc_ents = doc.ents  # read once: each read of doc.ents walks every token
        dictionary = [(e.start_char, e.end_char, e.label_) for e in doc_ents]
        dropped = self.unsupported(doc, dictionary, spans) if self.merge == "supported" else set()
        if not spans and not dropped:
            return
        taken = bytearray(len(doc_text(doc)))
        for s, e, _ in dictionary:
            taken[s:e] = b"\x01" * (e - s)
        if self.merge == "longer":
            # a model span that covers dictionary entities entirely and is longer replaces them
            new = []
            for s, e, label in spans:
                inside = [(ds, de) for ds, de, _ in dictionary if ds < e and s < de]
                if not inside:
                    new.append(CharSpan(s, e, label))
                elif all(s <= ds and de <= e for ds, de in inside) and (s, e) not in inside:
                    new.append(CharSpan(s, e, label, tuple(inside)))
        elif self.merge in ("resolve", "supported"):
            ids = {(e.start_char, e.end_char): e.kb_id_ for e in doc_ents}
            new = []
            for s, e, label in spans:
                inside = [(ds, de, dl) for ds, de, dl in dictionary if ds < e and s < de]
                if not inside:
                    new.append(CharSpan(s, e, label))
                elif all(model_wins(relation(s, e, ds, de), dl, label, ids[(ds, de)]) for ds, de, dl in inside):
                    new.append(CharSpan(s, e, label, tuple((ds, de) for ds, de, _ in inside)))
        else:
            new = [CharSpan(s, e, label) for s, e, label in spans if not any(taken[s:e])]
        text = doc_text(doc)
        texts = [text[m.start_char:m.end_char] for m in new]
        links = self.link(texts, [m.label for m in new])
        # the same span with another type keeps the dictionary's concept ("cyclosporine", MESH:D003524)
        same = {(e.start_char, e.end_char): (e.kb_id_, e._.concept_name, e._.score) for e in doc_ents}
        links = [same[m.replaces[0]] if m.replaces == ((m.start_char, m.end_char),) else link
                 for m, link in zip(new, links)]
        long_forms = defined_long_forms(doc, spans, doc_ents)
        kept = []
        for m, span_text, (concept_id, name, score) in zip(new, texts, links):
            long_form = long_forms.get((span_text, m.label))
            if not name and long_form is not None:
                concept_id, name, score = long_form
            if self.merge in ("resolve", "supported") and not name and any(
                    ids.get(r) and relation(m.start_char, m.end_char, *r) == "shorter" for r in m.replaces):
                continue  # an unlinked part never replaces a linked whole ("non-dioxin" of "non-dioxin like PCBs")
            if name or self.merge in ("add", "longer") or long_form is not None or \
                    (self.merge in ("filtered", "resolve", "supported") and not needs_link(span_text)):
                kept.append((m, concept_id, name, score))
        replaced = dropped | {r for m, _, _, _ in kept for r in m.replaces}
        # a replaced entity is gone; a model span still overlapping a kept entity is not added
        taken = bytearray(len(text))
        for s, e, _ in dictionary:
            if (s, e) not in replaced:
                taken[s:e] = b"\x01" * (e - s)
        kept = [k for k in kept if not any(taken[k[0].start_char:k[0].end_char])]
        if not kept and not replaced:
            return
        # a span that starts or ends inside a pipeline token: split the token, as alsfacts_entities does
        if AlsEntities._split_tokens(doc, doc, doc.to_array(IDX).tolist(), [k[0] for k in kept]):
            doc_ents = doc.ents  # token indices moved
        user_data = doc.user_data
        ents = [e for e in doc_ents if (e.start_char, e.end_char) not in replaced]
        for m, concept_id, name, score in kept:
            span = doc.char_span(m.start_char, m.end_char, label=m.label, kb_id=concept_id)
            if span is None:
                continue
            ents.append(span)
            user_data[("._.", "concept_name", m.start_char, m.end_char)] = name
            user_data[("._.", "score", m.start_char, m.end_char)] = score
        doc.set_ents(sorted(ents, key=lambda x: x.start), default="outside")

    @staticmethod
    def unsupported(doc: Doc, dictionary: list, spans: list) -> set:
        """(start, end) of the dictionary's chemicals and diseases that no model span overlaps,
        population nouns ("patients", "ALS patients") aside."""
        text = doc_text(doc)
        out = set()
        for s, e, label in dictionary:
            if label not in (CHEMICAL, DISEASE) or any(ms < e and s < me for ms, me, _ in spans):
                continue
            if text[s:e].rsplit(None, 1)[-1].lower() not in POPULATION_NOUNS:
                out.add((s, e))
        return out

    def link(self, texts: list, labels: list) -> list:
        """(concept id, name, score) per text: exact KB lookup of the same type, then TF-IDF
        restricted to that type; ("", "", 0.0) when neither links it."""
        out = []
        for text, label in zip(texts, labels):
            hit = lookup(text)
            out.append((public_id(hit[0]), hit[2], 1.0) if hit and hit[1] == label else None)
        if self.linker is not None:
            for label in sorted({label for label, o in zip(labels, out) if o is None}):
                pending = [i for i, (lab, o) in enumerate(zip(labels, out)) if o is None and lab == label]
                for i, hit in zip(pending, self.linker.link([texts[i] for i in pending], allowed_types={label})):
                    if hit is not None:
                        out[i] = (hit[0], hit[2], hit[3])
        return [o if o is not None else ("", "", 0.0) for o in out]


def defined_long_forms(doc: Doc, spans: list, ents: tuple = None) -> dict:
    """(short form, type) -> (concept id, name, score) of its long form, for each abbreviation
    defined in the text whose long form ends with a dictionary entity or a model span of that
    type ("valproic acid (VPA)": a model span "VPA" is kept although the KB does not link the
    letters, with the long form's dictionary concept; "unfractionated heparin (UFH)" takes
    heparin's, not that of a word inside the long form). `ents`: doc.ents, when already read."""
    out = {}
    if ents is None:
        ents = doc.ents
    # the abbreviation step lists every use of a short form: each definition is read once
    definitions = dict.fromkeys((a.get("short_text"), a.get("long_start_char"), a.get("long_end_char"))
                                for a in getattr(doc._, "abbreviations", None) or [])
    for short, start, end in definitions:
        if not short or start is None:
            continue
        for e in ents:
            if start <= e.start_char and e.end_char == end:
                out.setdefault((short, e.label_), (e.kb_id_, e._.concept_name or "", e._.score or 0.0))
        for s, e, label in spans:
            if start <= s and e == end:
                out.setdefault((short, label), ("", "", 0.0))
    return out


def public_id(concept_id: str) -> str:
    """The curated layer's internal ids are not ontology ids (as in linking.py)."""
    return "" if concept_id.startswith("ALSFACTS:") else concept_id


@Language.factory("alsfacts_ner", default_config={"merge": "resolve", "model_path": "", "batch_size": 64,
                                                  "use_tfidf": True, "use_blis": False})
def make_alsfacts_ner(nlp: Language, name: str, merge: str, model_path: str, batch_size: int, use_tfidf: bool,
                      use_blis: bool):
    return AlsNer(nlp, name, merge=merge, model_path=model_path, batch_size=batch_size, use_tfidf=use_tfidf,
                  use_blis=use_blis)
