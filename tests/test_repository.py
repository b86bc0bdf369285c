"""The repository itself: no unresolved merge left in any tracked text file."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFLICT = re.compile(r"^(<{7}|>{7})( |$)|^={7}$", re.MULTILINE)
TEXT_SUFFIXES = {".py", ".md", ".cfg", ".toml", ".tsv", ".json", ".html", ".js", ".css", ".txt", ".yml", ".yaml", ""}


def test_no_merge_conflict_markers():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not files:  # not a git checkout (an sdist): read the package and docs instead
        files = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]
    bad = []
    for name in files:
        path = ROOT / name
        if path.suffix not in TEXT_SUFFIXES or not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        bad += [f"{name}:{text.count(chr(10), 0, m.start()) + 1}" for m in CONFLICT.finditer(text)]
    assert not bad, f"unresolved merge markers: {bad}"


def test_every_script_prints_its_help():
    """Each training and evaluation script answers --help (its options documented, none broken)."""
    import sys

    scripts = sorted((ROOT / "scripts").glob("*.py")) + sorted((ROOT / "benchmarks").glob("*.py"))
    failed = {}
    for script in scripts:
        run = subprocess.run([sys.executable, str(script), "--help"], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
        if run.returncode != 0 or "usage" not in run.stdout.lower():
            failed[script.name] = (run.stderr or run.stdout).strip().splitlines()[-1:]
    assert not failed, f"--help failed: {failed}"
