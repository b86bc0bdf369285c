"""The repository itself: no unresolved merge left in any tracked text file, scripts that answer
--help, training steps that run on one BLAS thread."""

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


def test_training_steps_run_with_one_blas_thread():
    """scripts/train_models.py runs each step with one BLAS thread in numpy's and scipy's OpenBLAS:
    on two threads a rebuild's solvers ended a few ulps apart and changed some facts."""
    import importlib.util
    import subprocess as sp

    spec = importlib.util.spec_from_file_location("train_models", ROOT / "scripts" / "train_models.py")
    train_models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_models)
    check = ("from threadpoolctl import threadpool_info; import numpy, scipy.linalg; "
             "blas = [i for i in threadpool_info() if i['user_api'] == 'blas']; "
             "assert blas and all(i['num_threads'] == 1 for i in blas), blas")
    try:
        train_models.run_step("blas threads", ["-c", check])
    except sp.CalledProcessError as error:
        raise AssertionError("a training step ran with more than one BLAS thread") from error


def test_training_and_cross_validation_scripts_ask_for_one_blas_thread_before_numpy_loads():
    """OpenBLAS reads its thread count when it loads: each script that fits a model must call
    use_one_blas_thread() before any line that imports numpy, pandas, scipy, sklearn or a
    pipeline module (which may import them)."""
    heavy = re.compile(r"^(import|from) (numpy|pandas|scipy|sklearn|pipeline(?!\.training\.blas))\b")
    late = {}
    for name in ("crossval.py", "crossval_entities.py", "train_claims.py", "train_mention_filter.py",
                 "train_strength.py"):
        lines = (ROOT / "scripts" / name).read_text(encoding="utf-8").splitlines()
        call = next((i for i, line in enumerate(lines) if line.startswith("use_one_blas_thread()")), None)
        first = next((i for i, line in enumerate(lines) if heavy.match(line)), len(lines))
        if call is None or call > first:
            late[name] = lines[first] if first < len(lines) else "no call"
    assert not late, f"these scripts load numpy or scipy before use_one_blas_thread(): {late}"
