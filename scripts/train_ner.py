"""Train the statistical NER (CHEMICAL_OR_DRUG, DISEASE, GENE_OR_PROTEIN) shipped in pipeline/models/ner/.

    python scripts/train_ner.py convert  [--data ../shared/data] [--out training/corpus]
    python scripts/train_ner.py pretrain [--data ../shared/data] [--out /tmp/alsfacts-ner/pretrain]
    python scripts/train_ner.py train    [--corpus training/corpus] [--out /tmp/ner] [--no-dictionary]
                                         [--init-tok2vec /tmp/alsfacts-ner/pretrain/model-last.bin]
    python scripts/train_ner.py evaluate MODEL [--corpus training/corpus]
    python scripts/train_ner.py all      (convert, pretrain the tok2vec, train, evaluate, copy the best
                                          model and manifest into pipeline/models/ner/; --no-pretrain)

Training data (all from ../shared/data, nothing copied into the repository):
  - BC5CDR training abstracts (Chemical, Disease), *without* the 500 development PMIDs that
    CDR_TrainingSet.PubTator.txt repeats: the BC5CDR development split is what we report on;
  - BioRED Train (GeneOrGeneProduct, ChemicalEntity, DiseaseOrPhenotypicFeature), without the
    abstracts that are also in BC5CDR (train or development);
  - NCBI disease train + devel (Disease), BioNLP13CG train + devel (Gene_or_gene_product,
    Simple_chemical, Cancer), sentences also found in a BC5CDR development abstract dropped.
spaCy's dev set during training (checkpoint choice) is BioRED Dev without BC5CDR abstracts.
A corpus that does not annotate a type cannot say a word is *not* of that type: tokens the
dictionary matched as such a type, and gene-symbol-like tokens where genes are not annotated,
are marked missing (`Doc.set_ents(missing=...)`), so the NER gets no gradient there.
Each token carries the dictionary's match in TAG (see pipeline/components/ner.py).

With `--pretrain` (or the `pretrain` command, then `train --init-tok2vec`) the tok2vec is first
pretrained (`spacy pretrain`, characters objective, the
`[pretraining]` block of training/ner.cfg) on unlabelled text of ../shared/data (PRETRAIN_TEXTS),
with the dictionary TAGs as at run time; every sentence that is also in a BC5CDR development
abstract, a BioRED Dev abstract, gold/dev, gold/train or the seed article is dropped first. The architecture
at inference is the same, so pretraining costs no speed. `all` pretrains by default (since
December 6, evening): chosen by BioRED Dev, the training's own checkpoint set, where the best
checkpoint reached 0.8027 with pretraining against 0.8019 without (same config and seed). BC5CDR dev,
which we report on, played no part in that choice. `--no-pretrain` trains from random weights.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import typer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT / ".." / "shared" / "data"
CONFIG = ROOT / "training" / "ner.cfg"
CORPUS = Path("/tmp/alsfacts-ner/corpus")  # derived from ../shared/data: never in the repository
SHIPPED = ROOT / "pipeline" / "models" / "ner"

CHEMICAL, DISEASE, GENE = "CHEMICAL_OR_DRUG", "DISEASE", "GENE_OR_PROTEIN"
ALL_TYPES = {CHEMICAL, DISEASE, GENE}
# corpus type -> our type; types not listed are not entities for this NER
TYPE_MAPS = {
    "bc5cdr": {"Chemical": CHEMICAL, "Disease": DISEASE},
    "biored": {"ChemicalEntity": CHEMICAL, "DiseaseOrPhenotypicFeature": DISEASE, "GeneOrGeneProduct": GENE},
    "ncbi_disease": {"Disease": DISEASE},
    "bionlp13cg": {"Gene_or_gene_product": GENE, "Simple_chemical": CHEMICAL, "Cancer": DISEASE},
}
# sentence-per-block IOB files trained on (their development splits too: we report on none of them)
IOB_FILES = (("ncbi_disease", "train.tsv"), ("ncbi_disease", "devel.tsv"),
             ("bionlp13cg", "train.tsv"), ("bionlp13cg", "devel.tsv"))
# types each corpus annotates completely; the others are missing (unknown), not "outside"
COMPLETE_TYPES = {
    "bc5cdr": {CHEMICAL, DISEASE},
    "biored": {CHEMICAL, DISEASE, GENE},
    "ncbi_disease": {DISEASE},
    "bionlp13cg": {CHEMICAL, GENE},  # Cancer only: other diseases are not annotated
}
# unlabelled text for `spacy pretrain`: (folder, file, reader); none of it is reported on
PRETRAIN_TEXTS = (
    ("bc5cdr", "CDR_TrainingSet.PubTator.txt", "pubtator"), ("biored", "Train.PubTator", "pubtator"),
    ("ncbi_disease", "train.tsv", "iob"), ("ncbi_disease", "devel.tsv", "iob"),
    ("bionlp13cg", "train.tsv", "iob"), ("bionlp13cg", "devel.tsv", "iob"), ("jnlpba", "devel.tsv", "iob"),
    ("studytypeteller", "study_types.jsonl", "jsonl"), ("als_corpus", "abstracts.jsonl", "jsonl"),
    ("als_corpus", "trials.jsonl", "jsonl"),
    ("neurotrialner", "ct_neuro_final_target_annotated_ds_bio_format_1093.jsonl", "jsonl"),
)
PRETRAIN = Path("/tmp/alsfacts-ner/pretrain")  # derived: the pretraining corpus and tok2vec weights
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")
SEGMENT_RE = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")  # sentences, and titles apart from their text
# a word that may well be a gene symbol: letters and digits mixed, or two capitals
GENE_LIKE_RE = re.compile(r"[A-Za-z].*\d|\d.*[A-Za-z]|[A-Z].*[A-Z]")

app = typer.Typer(add_completion=False, help=__doc__)


# ---------------------------------------------------------------------------- reading corpora
def read_pubtator(path: Path) -> list:
    """[(pmid, text, [(start, end, corpus type)])] from a PubTator file (title + " " + abstract)."""
    docs, current = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if "|t|" in line[:20]:
            pmid, _, title = line.split("|", 2)
            current = [pmid, title, []]
            docs.append(current)
        elif "|a|" in line[:20]:
            current[1] += " " + line.split("|", 2)[2]
        elif line.strip():
            cols = line.split("\t")
            if len(cols) >= 5 and cols[1].isdigit() and cols[2].isdigit():
                current[2].append((int(cols[1]), int(cols[2]), cols[4]))
    return [tuple(d) for d in docs]


def read_iob(path: Path) -> list:
    """[(text, [(start, end, corpus type)])] per sentence from a token-per-line IOB file; the
    text is the tokens joined by single spaces (the files keep no original spacing)."""
    sentences, words, tags = [], [], []

    def flush():
        if words:
            text, spans, pos, open_span = "", [], 0, None
            for word, tag in zip(words, tags):
                start = len(text) + (1 if text else 0)
                text = text + (" " if text else "") + word
                if tag.startswith("B-") or (tag.startswith("I-") and open_span is None):
                    open_span = [start, start + len(word), tag[2:]]
                    spans.append(open_span)
                elif tag.startswith("I-"):
                    open_span[1] = start + len(word)
                else:
                    open_span = None
            sentences.append((text, [tuple(s) for s in spans]))
        words.clear()
        tags.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) < 2 or not cols[0]:
            flush()
            continue
        words.append(cols[0])
        tags.append(cols[1].strip())
    flush()
    return sentences


def squeeze(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def collect(data: Path, with_bc5cdr_dev: bool = False) -> dict:
    """{"train": [...], "dev": [...], "bc5cdr_dev": [...]} of (corpus, id, text, spans)."""
    bc5_train = read_pubtator(data / "bc5cdr" / "CDR_TrainingSet.PubTator.txt")
    bc5_dev = read_pubtator(data / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt")
    dev_ids = {d[0] for d in bc5_dev}
    bc5_ids = dev_ids | {d[0] for d in bc5_train}
    seen, train = set(), []
    for pmid, text, spans in bc5_train:
        if pmid in seen or (pmid in dev_ids and not with_bc5cdr_dev):
            continue
        seen.add(pmid)
        train.append(("bc5cdr", pmid, text, spans))
    for pmid, text, spans in read_pubtator(data / "biored" / "Train.PubTator"):
        if pmid not in bc5_ids:
            train.append(("biored", pmid, text, spans))
    dev_sentences = {squeeze(sentence) for _, t, _ in bc5_dev for sentence in SENTENCE_END_RE.split(t)}
    dropped = Counter()
    for corpus, name in IOB_FILES:
        for n, (text, spans) in enumerate(read_iob(data / corpus / name)):
            key = squeeze(text)
            if not with_bc5cdr_dev and key in dev_sentences:
                dropped[corpus] += 1
                continue
            train.append((corpus, f"{corpus}:{name}:{n}", text, spans))
    dev = [("biored", pmid, text, spans) for pmid, text, spans in read_pubtator(data / "biored" / "Dev.PubTator")
           if pmid not in bc5_ids]
    bc5cdr_dev = [("bc5cdr", pmid, text, spans) for pmid, text, spans in bc5_dev]
    typer.echo(f"sentences dropped because a BC5CDR development abstract contains them: {dict(dropped)}")
    return {"train": train, "dev": dev, "bc5cdr_dev": bc5cdr_dev}


# ---------------------------------------------------------------------------- converting
def dictionary_nlp():
    """The project's pipeline up to the dictionary entities (same tokenizer, same token splits)."""
    from pipeline.nlp import build_nlp

    nlp = build_nlp()
    keep = ["sentences", "abbreviations", "entities"]
    nlp.select_pipes(enable=[name for name in nlp.pipe_names if name in keep])
    return nlp


def to_reference(vocab, doc, corpus: str, spans: list, alignment: str, losses: Counter):
    """A training Doc: `doc`'s tokens, the dictionary TAGs, gold entities, missing tokens."""
    from spacy.tokens import Span
    from spacy.util import filter_spans

    from pipeline.components.ner import dictionary_entities, dictionary_tags, feature_doc

    ref = feature_doc(vocab, doc, dictionary_tags(doc))
    type_map = TYPE_MAPS[corpus]
    ents = []
    for start, end, corpus_type in spans:
        label = type_map.get(corpus_type)
        if label is None:
            continue
        losses["spans"] += 1
        exact = ref.char_span(start, end, label=label)
        span = exact or ref.char_span(start, end, label=label, alignment_mode=alignment)
        if exact is None:
            losses["not_on_token_boundaries"] += 1
        if span is None or not len(span):
            losses["dropped"] += 1
            continue
        ents.append(span)
    kept = filter_spans(ents)
    losses["overlapping_dropped"] += len(ents) - len(kept)
    covered = set()
    for span in kept:
        covered.update(range(span.start, span.end))
    # character ranges where a type this corpus does not annotate may be: unknown, not outside
    unknown = ALL_TYPES - COMPLETE_TYPES[corpus]
    ranges = [(s, e) for s, e, label in dictionary_entities(doc) if label in unknown]
    if GENE in unknown:
        ranges += [(t.idx, t.idx + len(t)) for t in doc if GENE_LIKE_RE.search(t.text)]
    missing = set()
    for start, end in ranges:
        span = ref.char_span(start, end, alignment_mode="expand")
        if span is not None:
            missing.update(range(span.start, span.end))
    missing -= covered
    losses["missing_tokens"] += len(missing)
    losses["tokens"] += len(ref)
    ref.set_ents(kept, missing=[Span(ref, i, i + 1) for i in sorted(missing)], default="outside")
    return ref


@app.command()
def convert(data: Path = typer.Option(DATA, help="../shared/data"),
            out: Path = typer.Option(CORPUS, help="Folder for train.spacy, dev.spacy, bc5cdr_dev.spacy"),
            alignment: str = typer.Option("expand", help="expand or contract spans not on token boundaries"),
            with_bc5cdr_dev: bool = typer.Option(False, help="Also train on the BC5CDR development split"),
            limit: int = typer.Option(0, help="Only the first N documents of each split (tests)")) -> dict:
    """Convert the corpora to DocBin files with the dictionary feature and missing-type masks."""
    return convert_corpora(data, out, alignment, with_bc5cdr_dev, limit)


def convert_corpora(data: Path, out: Path, alignment: str = "expand", with_bc5cdr_dev: bool = False,
                    limit: int = 0, nlp=None) -> dict:
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    t0 = time.time()
    splits = collect(data, with_bc5cdr_dev=with_bc5cdr_dev)
    nlp = nlp or dictionary_nlp()
    out.mkdir(parents=True, exist_ok=True)
    report = {"alignment": alignment, "with_bc5cdr_dev": with_bc5cdr_dev, "splits": {}}
    for split, records in splits.items():
        if limit:
            records = records[:limit]
        vocab, losses, per_corpus = Vocab(), Counter(), Counter()
        bin_ = DocBin(attrs=["ORTH", "SPACY", "TAG", "ENT_IOB", "ENT_TYPE"], store_user_data=False)
        for (corpus, _, _, spans), doc in zip(records, nlp.pipe([r[2] for r in records], batch_size=64)):
            bin_.add(to_reference(vocab, doc, corpus, spans, alignment, losses))
            per_corpus[corpus] += 1
        bin_.to_disk(out / f"{split}.spacy")
        report["splits"][split] = {"documents": dict(per_corpus), "alignment": dict(losses)}
        typer.echo(f"{split}: {dict(per_corpus)} {dict(losses)}")
    (out / "conversion.json").write_text(json.dumps(report, indent=1))
    typer.echo(f"converted in {time.time() - t0:.0f} s -> {out}")
    return report


def feature_fingerprint(data: Path = DATA, nlp=None) -> dict:
    """A SHA-256 of the training Docs (tokens, dictionary TAGs, gold and missing entity marks) as
    this code converts them (about 8 s): stored in the NER's manifest, so that a test can tell
    when the entity steps no longer give the features the shipped NER was trained on."""
    from spacy.vocab import Vocab

    records = collect(data)["train"]
    nlp = nlp or dictionary_nlp()
    digest, losses, vocab = hashlib.sha256(), Counter(), Vocab()
    for (corpus, _, _, spans), doc in zip(records, nlp.pipe([r[2] for r in records], batch_size=64)):
        ref = to_reference(vocab, doc, corpus, spans, "expand", losses)
        for token in ref:
            digest.update(f"{token.text}\t{token.tag_}\t{token.ent_iob_}\t{token.ent_type_}\n".encode())
    return {"records": len(records), "sha256": digest.hexdigest()}


# ---------------------------------------------------------------------------- training
def train_model(corpus: Path, out: Path, dictionary_feature: bool = True, overrides: dict = None,
                init_tok2vec: Path = None) -> Path:
    """`spacy train` with training/ner.cfg (tok2vec started from `init_tok2vec` if given, the
    weights `pretrain` writes); returns the best model's folder."""
    from spacy.cli.train import train as spacy_train

    import pipeline.components.ner  # noqa: F401  (registers the corpus reader)
    import pipeline.nlp  # noqa: F401  (registers the tokenizer)

    settings = {"paths.train": str(corpus / "train.spacy"), "paths.dev": str(corpus / "dev.spacy")}
    if not dictionary_feature:
        settings["components.tok2vec.model.embed.attrs"] = ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
        settings["components.tok2vec.model.embed.rows"] = [20000, 2000, 5000, 1000]
    if init_tok2vec is not None:
        if not Path(init_tok2vec).is_file():
            raise FileNotFoundError(f"{init_tok2vec}: no pretrained tok2vec weights (run `train_ner.py pretrain`)")
        settings["paths.init_tok2vec"] = str(init_tok2vec)
    settings.update(overrides or {})
    spacy_train(CONFIG, out, overrides=settings)
    return out / "model-best"


@app.command()
def train(corpus: Path = typer.Option(CORPUS), out: Path = typer.Option(Path("/tmp/alsfacts-ner")),
          dictionary_feature: bool = typer.Option(True, "--dictionary/--no-dictionary"),
          max_steps: int = typer.Option(0, help="Override [training] max_steps"),
          seed: int = typer.Option(0, help="Override [system] seed"),
          init_tok2vec: Path = typer.Option(None, help="Pretrained tok2vec weights (`pretrain` writes them)")) -> None:
    """Train with spaCy (one process, fixed seed)."""
    overrides = {"training.max_steps": max_steps} if max_steps else {}
    if seed:
        overrides["system.seed"] = seed
    train_model(corpus, out, dictionary_feature, overrides, init_tok2vec)


# ---------------------------------------------------------------------------- pretraining
def read_jsonl_texts(path: Path) -> list:
    """Texts of a JSON-lines file: title + abstract/text, or the tokens of a token-per-field record."""
    from pipeline.training.gold import read_jsonl

    texts = []
    for record in read_jsonl(path):
        if "tokens" in record:
            texts.append(" ".join(record["tokens"]))
        else:
            body = record.get("abstract") or record.get("text") or ""
            texts.append("\n".join(part for part in (record.get("title") or "", body) if part))
    return texts


def excluded_sentences(data: Path) -> set:
    """Squeezed sentences of the text we report on or choose checkpoints with: BC5CDR development,
    BioRED Dev, gold/dev, gold/train (cross-validated end to end) and the seed article."""
    texts = [r[1] for r in read_pubtator(data / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt")]
    texts += [r[1] for r in read_pubtator(data / "biored" / "Dev.PubTator")]
    for split in ("dev", "train"):
        texts += read_jsonl_texts(data.parent / "gold" / split / "docs.jsonl")
    seed = data.parent / "seed" / "als_news_tregs.txt"
    if seed.exists():
        texts.append(seed.read_text(encoding="utf-8"))
    return {squeeze(sentence) for text in texts for sentence in SEGMENT_RE.split(text)} - {""}


def unlabelled_texts(data: Path) -> tuple:
    """(texts, counts) for pretraining: PRETRAIN_TEXTS without the BC5CDR development PMIDs and
    without any sentence of `excluded_sentences`."""
    excluded = excluded_sentences(data)
    dev_ids = {r[0] for r in read_pubtator(data / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt")}
    texts, counts, seen = [], Counter(), set()
    for folder, name, reader in PRETRAIN_TEXTS:
        path = data / folder / name
        if not path.exists():
            typer.echo(f"{path}: missing; not used for pretraining", err=True)
            continue
        if reader == "pubtator":
            found = [text for pmid, text, _ in read_pubtator(path) if pmid not in dev_ids]
        elif reader == "iob":
            found = [text for text, _ in read_iob(path)]
        else:
            found = read_jsonl_texts(path)
        for text in found:
            sentences = [s for s in SEGMENT_RE.split(text) if squeeze(s)]
            kept = [s for s in sentences if squeeze(s) not in excluded]
            counts["sentences_dropped"] += len(sentences) - len(kept)
            key = squeeze(text)
            if not kept or key in seen:
                continue
            seen.add(key)
            texts.append(" ".join(kept))
            counts[f"{folder}/{name}"] += 1
    return texts, counts


def build_pretrain_corpus(data: Path, out: Path, nlp=None, limit: int = 0) -> dict:
    """pretrain.spacy: the unlabelled texts (the first `limit` if given) as the model's feature
    Docs (dictionary TAGs included)."""
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    from pipeline.components.ner import feature_doc

    texts, counts = unlabelled_texts(data)
    texts = texts[:limit] if limit else texts
    nlp = nlp or dictionary_nlp()
    vocab, bin_, words = Vocab(), DocBin(attrs=["ORTH", "SPACY", "TAG"], store_user_data=False), 0
    for doc in nlp.pipe(texts, batch_size=64):
        ref = feature_doc(vocab, doc)
        words += len(ref)
        bin_.add(ref)
    out.mkdir(parents=True, exist_ok=True)
    bin_.to_disk(out / "pretrain.spacy")
    report = {"texts": dict(counts), "documents": len(texts), "words": words}
    typer.echo(f"pretraining corpus: {report}")
    return report


def pretrain_tok2vec(out: Path, overrides: dict = None) -> Path:
    """`spacy pretrain` of the tok2vec with the [pretraining] block of training/ner.cfg on
    out/pretrain.spacy (fixed seed); returns the weights file for [initialize] init_tok2vec."""
    from spacy.training.pretrain import pretrain
    from spacy.util import load_config

    import pipeline.components.ner  # noqa: F401  (registers the corpus reader)
    import pipeline.nlp  # noqa: F401  (registers the tokenizer)

    settings = {"paths.pretrain": str(out / "pretrain.spacy")}
    settings.update(overrides or {})
    config = load_config(CONFIG, overrides=settings, interpolate=False).interpolate()
    for old in out.glob("model*.bin"):
        old.unlink()
    (out / "log.jsonl").unlink(missing_ok=True)
    pretrain(config, out, silent=False)
    return out / "model-last.bin"


@app.command(name="pretrain")
def pretrain_command(data: Path = typer.Option(DATA, help="../shared/data"),
                     out: Path = typer.Option(PRETRAIN, help="Folder for pretrain.spacy and the weights"),
                     max_epochs: int = typer.Option(0, help="Override [pretraining] max_epochs")) -> None:
    """Build the unlabelled corpus and pretrain the tok2vec (characters objective)."""
    build_pretrain_corpus(data, out)
    t0 = time.time()
    weights = pretrain_tok2vec(out, {"pretraining.max_epochs": max_epochs} if max_epochs else {})
    typer.echo(f"pretrained in {(time.time() - t0) / 60:.1f} min -> {weights}")


# ---------------------------------------------------------------------------- evaluating
def strict_scores(gold: list, predicted: list) -> dict:
    """Entity-level exact span + type P/R/F1, overall and per type; items are (doc, start, end, type)."""
    def prf(g, p):
        tp = len(g & p)
        prec = tp / len(p) if p else 0.0
        rec = tp / len(g) if g else 0.0
        return {"p": round(prec, 4), "r": round(rec, 4), "f": round(2 * prec * rec / (prec + rec), 4) if tp else 0.0,
                "gold": len(g), "predicted": len(p)}

    gold, predicted = set(gold), set(predicted)
    scores = {"all": prf(gold, predicted)}
    for label in sorted({x[3] for x in gold | predicted}):
        scores[label] = prf({x for x in gold if x[3] == label}, {x for x in predicted if x[3] == label})
    return scores


def pipeline_mentions(records: list, wanted: set) -> list:
    """(pmid, start, end, type) of the entities table the whole default pipeline (shipped models)
    writes for each abstract, as `alsfacts extract` would."""
    from pipeline.nlp import build_nlp
    from pipeline.records import table_entities

    nlp = build_nlp()
    return [(pmid, e.start_char, e.end_char, e.label_)
            for (pmid, _, _), doc in zip(records, nlp.pipe([r[1] for r in records], batch_size=64))
            for e in table_entities(doc) if e.label_ in wanted]


def evaluate_bc5cdr(model_dir: Path, data: Path = DATA, merges: tuple = ("model",)) -> dict:
    """Strict mention P/R/F1 on the BC5CDR development split (chemicals + diseases), per merge:
    the NER alone ("model"), the dictionary alone ("dictionary"), the dictionary plus the NER
    under a merge rule of pipeline/components/ner.py ("resolve", "supported", "filtered", "add", ...),
    or the entities table of the whole default pipeline with the shipped models ("pipeline")."""
    from pipeline.components.ner import AlsNer

    records = read_pubtator(data / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt")
    type_map = TYPE_MAPS["bc5cdr"]
    gold = [(pmid, s, e, type_map[t]) for pmid, _, spans in records for s, e, t in spans if t in type_map]
    texts = [r[1] for r in records]
    nlp = dictionary_nlp()
    wanted = {CHEMICAL, DISEASE}
    spans_per_doc = None
    results = {}
    for merge in merges:
        if merge == "pipeline":
            results[merge] = strict_scores(gold, pipeline_mentions(records, wanted))
            continue
        docs = list(nlp.pipe(texts, batch_size=64))
        if merge != "dictionary" and spans_per_doc is None:
            ner = AlsNer(nlp, "ner", model_path=str(model_dir), use_tfidf=False)
            t0 = time.process_time()
            spans_per_doc = ner.predict_spans(docs)
            seconds = time.process_time() - t0
        predicted = []
        if merge not in ("model", "dictionary"):
            merger = AlsNer(nlp, "ner", merge=merge, model_path=str(model_dir))
        for (pmid, _, _), doc, spans in zip(records, docs, spans_per_doc or [[]] * len(docs)):
            if merge == "model":
                found = spans
            else:
                if merge != "dictionary":
                    merger.add_spans(doc, spans)
                found = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
            predicted += [(pmid, start, end, label) for start, end, label in found if label in wanted]
        results[merge] = strict_scores(gold, predicted)
        if merge == "model":
            words = sum(len(doc) for doc in docs)
            results[merge]["ner_words_per_cpu_s"] = round(words / seconds)
    return results


@app.command()
def evaluate(model: Path = typer.Argument(SHIPPED), data: Path = typer.Option(DATA),
             merge: str = typer.Option("model,dictionary,filtered,resolve,supported",
                                       help="comma-separated: model, dictionary, a merge rule of "
                                            "pipeline/components/ner.py (resolve, supported, filtered, add, linked, "
                                            "longer), or pipeline (the whole default pipeline's entities table)"),
             update_manifest: bool = typer.Option(False, help="also record the merge rules' scores in the model's "
                                                             "manifest.json (after a change to a merge rule: the model "
                                                             "and its own scores are unchanged)")) -> None:
    """Print strict BC5CDR development-split scores as JSON."""
    scores = evaluate_bc5cdr(model, data, tuple(merge.split(",")))
    typer.echo(json.dumps(scores, indent=1))
    if update_manifest:
        path = Path(model) / "manifest.json"
        manifest = json.loads(path.read_text())
        manifest["bc5cdr_dev_strict"].update({merge: v for merge, v in scores.items() if merge != "model"})
        path.write_text(json.dumps(manifest, indent=1))


@app.command()
def speed(model: Path = typer.Argument(SHIPPED), data: Path = typer.Option(DATA)) -> None:
    """Words per CPU second (process time: the machine is shared) of spaCy's bare tokenizer, the
    dictionary pipeline and the NER (BLIS or numpy matmul) on distinct texts (BC5CDR development
    + BioRED Train abstracts), in this process."""
    typer.echo(json.dumps(measure_speed(model, data), indent=1))


def measure_speed(model: Path, data: Path = DATA) -> dict:
    import spacy

    from pipeline.components.ner import AlsNer

    texts = [r[1] for r in read_pubtator(data / "bc5cdr" / "CDR_DevelopmentSet.PubTator.txt")]
    texts += [r[1] for r in read_pubtator(data / "biored" / "Train.PubTator")]
    t0 = time.process_time()
    bare = spacy.blank("en")
    words = sum(len(doc) for doc in bare.tokenizer.pipe(texts, batch_size=256))
    tokenizer_wps = words / (time.process_time() - t0)
    nlp = dictionary_nlp()
    t0 = time.process_time()
    docs = list(nlp.pipe(texts, batch_size=64))
    dictionary_wps = words / (time.process_time() - t0)
    out = {"texts": len(texts), "words (bare tokenizer)": words, "tokenizer_wps": round(tokenizer_wps),
           "dictionary_pipeline_wps": round(dictionary_wps)}
    for use_blis in (True, False, True, False):
        ner = AlsNer(nlp, "ner", model_path=str(model), use_tfidf=False, use_blis=use_blis)
        t0 = time.process_time()
        for start in range(0, len(docs), 64):
            ner.predict_spans(docs[start:start + 64])
        wps = words / (time.process_time() - t0)
        key = f"ner_wps_{'blis' if use_blis else 'numpy'}"
        out[key] = max(out.get(key, 0), round(wps))
    out.update(whole_pipeline_speed(texts[500:] + texts[:200]))  # BioRED Train, 200 BC5CDR dev
    return out


def whole_pipeline_speed(texts: list) -> dict:
    """The whole pipeline of pipeline/config.cfg, start-up included, with and without the NER,
    as a share of the bare tokenizer's words per CPU second (the better of two tokenizer runs)."""
    import spacy

    from pipeline.nlp import build_nlp

    def tokenizer_wps():
        t0 = time.process_time()
        words = sum(len(doc) for doc in spacy.blank("en").tokenizer.pipe(texts))
        return words, words / (time.process_time() - t0)

    words, first = tokenizer_wps()
    out = {"whole_pipeline_words": words}
    for merge in ("off", "filtered"):
        t0 = time.process_time()
        nlp = build_nlp()
        if merge == "off":
            nlp.remove_pipe("ner")
        for _ in nlp.pipe(texts, batch_size=64):
            pass
        out[f"pipeline_{merge}_wps"] = round(words / (time.process_time() - t0))
    best = max(first, tokenizer_wps()[1])
    for merge in ("off", "filtered"):
        out[f"pipeline_{merge}_share_of_tokenizer"] = f"1/{best / out[f'pipeline_{merge}_wps']:.1f}"
    return out


# ---------------------------------------------------------------------------- everything
@app.command(name="all")
def train_all(data: Path = typer.Option(DATA), corpus: Path = typer.Option(CORPUS),
              work: Path = typer.Option(Path("/tmp/alsfacts-ner/train")), ship: Path = typer.Option(SHIPPED),
              pretrain_dir: Path = typer.Option(PRETRAIN, help="Folder for the pretraining corpus and weights"),
              pretrain: bool = typer.Option(True, "--pretrain/--no-pretrain",
                                            help="Pretrain the tok2vec first (about 5 minutes; BioRED Dev 0.8027 "
                                                 "against 0.8019 without)")) -> None:
    """Convert, pretrain the tok2vec, train, evaluate on BC5CDR dev and ship the model with its manifest."""
    conversion = convert_corpora(data, corpus)
    extra, weights = {}, None
    if pretrain:
        t0 = time.time()
        unlabelled = build_pretrain_corpus(data, pretrain_dir)
        weights = pretrain_tok2vec(pretrain_dir)
        extra["pretraining"] = {"corpus": unlabelled, "objective": "characters ([pretraining] of training/ner.cfg)",
                                "excluded": "sentences of BC5CDR development, BioRED Dev, gold/dev, gold/train, the seed article",
                                "minutes_wall": round((time.time() - t0) / 60, 1)}
    t0 = time.time()
    best = train_model(corpus, work, dictionary_feature=True, init_tok2vec=weights)
    minutes = (time.time() - t0) / 60
    scores = evaluate_bc5cdr(best, data, ("model", "dictionary", "add", "filtered", "resolve", "supported"))
    extra["dictionary_features"] = feature_fingerprint(data)
    ship_model(best, ship, conversion, scores, minutes, extra)


def ship_model(best: Path, ship: Path, conversion: dict, scores: dict, minutes: float, extra: dict = None) -> None:
    """Copy the trained model into the package and write its manifest."""
    if ship.exists():
        shutil.rmtree(ship)
    shutil.copytree(best, ship)
    # the pretrained weights seeded training only: the shipped config names no file outside the package
    config = ship / "config.cfg"
    config.write_text(re.sub(r"^init_tok2vec = .*$", "init_tok2vec = null", config.read_text(encoding="utf-8"),
                             flags=re.MULTILINE), encoding="utf-8")
    write_manifest(ship, conversion, scores, minutes, extra)
    typer.echo(f"shipped {ship}")


def write_manifest(ship: Path, conversion: dict, scores: dict, minutes: float, extra: dict = None) -> dict:
    meta = json.loads((ship / "meta.json").read_text())
    size = sum(f.stat().st_size for f in ship.rglob("*") if f.is_file() and f.name != "manifest.json")
    manifest = {
        "name": "alsfacts-ner",
        "version": f"alsfacts-ner-{time.strftime('%Y%m%d')}",
        "spacy": meta.get("spacy_version"),
        "labels": meta.get("labels", {}).get("ner", []),
        "config": "training/ner.cfg",
        "command": "python scripts/train_ner.py all",
        "size_bytes": size,
        "training_data": {
            "train": conversion["splits"]["train"]["documents"],
            "spacy_dev_set": "BioRED Dev without BC5CDR abstracts (checkpoint choice)",
            "excluded": "BC5CDR development PMIDs (also in CDR_TrainingSet); BioRED abstracts that are in "
                        "BC5CDR; NCBI disease / BioNLP13CG sentences found in a BC5CDR development abstract",
            "missing_types": {corpus: sorted(ALL_TYPES - types) for corpus, types in COMPLETE_TYPES.items()},
            "alignment": conversion["alignment"],
            "alignment_counts": conversion["splits"]["train"]["alignment"],
        },
        "training_minutes_wall": round(minutes, 1),
        "bc5cdr_dev_strict": scores,
    }
    manifest.update(extra or {})
    (ship / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


if __name__ == "__main__":
    app()
