"""Chemical formulas and element/ion mentions as PubMed writes them.

PubMed flattens subscripts and superscripts into spaced text: "H 2", "Mg 2 Si",
"Zn 2+", "O 2 •−", next to compact "H2O2", "Ca2+", "·OH". `find_formula(text, pos)`
reads one formula starting at `pos` and accepts it only when it is chemistry beyond
doubt, so capitals, acronyms and gene symbols do not flood the output:
  * a radical ("·OH", "NO•") or a charge ("Ca2+", "Zn 2+", "ONOO−"; a lone capital only
    as "H+"/"K+");
  * a count inside the formula ("H 2 O 2", "Mg 2 Si", "Fe3O4", "H2S");
  * two or more elements, one of them two-lettered, with a count ("MgSO4", "TiO2");
  * a formula of the table pipeline/kb/formulas.tsv ("H 2", "CO2", "NaCl", "Zn");
and never a lone capital letter, a Roman numeral, or an element symbol that is also a
word ("In", "As", "No"), unless charged or counted as above.
`FORMULAS.concept(formula)` gives the MeSH id (an ion falls back to its element), or None.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

TABLE = Path(__file__).resolve().parents[1] / "kb" / "formulas.tsv"

# elements 1-83 and uranium; two-letter symbols first so the regex prefers them
ELEMENTS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se "
    "Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb "
    "Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi U"
).split()
_ELEMENT = "(?:" + "|".join(sorted(ELEMENTS, key=len, reverse=True)) + ")"
_UNIT = rf"{_ELEMENT}+(?![a-z])"
_SP = r"[ \u2009\u00a0]?"
_COUNT = r"\d{1,2}(?![\d.,]?\d)"
_CHARGE = r"\d?[+−](?![\w+])|\d?-(?![\w-])"
_RADICAL = r"[·•∙]"
FORMULA_RE = re.compile(
    rf"(?:{_RADICAL})?{_UNIT}(?:{_SP}{_COUNT}{_SP}{_UNIT})*(?:{_SP}{_COUNT})?"
    rf"(?:{_SP}(?:{_RADICAL}))?(?:{_SP}(?:{_CHARGE}))?(?:{_SP}(?:{_RADICAL}))?"
    rf"(?![A-Za-z0-9])"
)
_PART_RE = re.compile(rf"({_ELEMENT})|(\d+)|([+\-])|(·)")
# lone element symbols that name the element in running text (not words, names or units)
STANDALONE = {"Zn", "Cu", "Fe", "Mn", "Mg", "Hg", "Pb", "Cd", "Se", "Ni", "Cr", "Au", "Ag"}
CHARGED_CAPITALS = {"H", "K"}
ROMAN = {"I", "V", "II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "CI", "CV"}
NOT_FORMULA_RE = re.compile(r"H\d+N\d+")  # influenza subtypes (H1N1, H5N1)


# token-level prefilters (cached per word by alsfacts_entities)
TOKEN_FORMULA_RE = re.compile(rf"^(?:{_RADICAL})?(?:{_ELEMENT}\d{{0,2}})+[+\-−·•∙]*$|^{_RADICAL}[+\-−]?$")
COUNT_TOKEN_RE = re.compile(r"^(?:\d{1,2}[+\-−]?|\d?[+−][·•∙]?|[·•∙][+\-−]?)$")


def token_role(text: str) -> int:
    """2: a formula can start at this token on its own ("H2O2", "Ca2", "·", "Zn");
    1: only when a count, charge or radical token follows ("H", "Mg", "CO");
    0: never."""
    if not TOKEN_FORMULA_RE.match(text):
        return 0
    if re.search(r"[\d+\-−·•∙]", text) or text in STANDALONE or (text in FORMULAS.rows and len(text) > 2):
        return 2
    return 1


def compact(text: str) -> str:
    """Spaces out, one radical dot, ASCII charges: "O 2 •−" -> "O2·-"."""
    return re.sub(r"[ \u2009\u00a0]", "", text).replace("•", "·").replace("∙", "·").replace("−", "-")


class FormulaTable:
    def __init__(self, path: Path = TABLE):
        with open(path, encoding="utf-8") as fh:
            rows = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
        self.rows = {r["formula"]: (r["concept_id"], r["concept_name"])
                     for r in csv.DictReader(rows, delimiter="\t")}

    def concept(self, formula: str):
        """(concept id, name) of a compact formula, an ion falling back to its element."""
        hit = self.rows.get(formula)
        if hit is None:
            bare = re.sub(r"\d*[+\-]$", "", formula)
            if bare != formula and re.fullmatch(_ELEMENT, bare):
                hit = self.rows.get(bare)
        return hit


FORMULAS = FormulaTable()


def is_chemistry(text: str) -> bool:
    """Whether a FORMULA_RE match is a formula beyond doubt (see the module doc)."""
    f = compact(text)
    elements, counts, charge, radical = [], [], False, False
    last = None
    count_inside = False
    for el, num, sign, dot in _PART_RE.findall(f):
        if el:
            if last == "count":
                count_inside = True
            elements.append(el)
            last = "el"
        elif num:
            counts.append(num)
            last = "count"
        elif sign:
            charge = True
        elif dot:
            radical = True
    if not elements:
        return False
    letters = "".join(elements)
    if (letters in ROMAN and not (charge or radical)) or NOT_FORMULA_RE.fullmatch(f):
        return False
    if radical:
        return True
    if charge:
        return len(elements) > 1 or len(letters) == 2 or letters in CHARGED_CAPITALS
    if f in FORMULAS.rows:
        return len(elements) > 1 or counts != [] or f in STANDALONE
    if count_inside and len(elements) > 1:
        return True
    return len(elements) > 1 and counts != [] and any(len(e) == 2 for e in elements)


# a pressure unit: "135 mm Hg" names no mercury
PRESSURE_UNITS = {"Hg"}
LENGTH_UNIT_BEFORE_RE = re.compile(r"(?<![A-Za-z])[cm]m[ \u2009\u00a0]?$")


def find_formula(text: str, pos: int):
    """(end, compact formula) of a formula at `pos`, or None."""
    m = FORMULA_RE.match(text, pos)
    if m is None or not is_chemistry(m.group(0)):
        return None
    formula = compact(m.group(0))
    if formula in PRESSURE_UNITS and LENGTH_UNIT_BEFORE_RE.search(text, max(0, pos - 4), pos):
        return None
    return m.end(), formula
