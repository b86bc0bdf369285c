"""One BLAS thread for training and cross-validation.

OpenBLAS (under numpy, and its own copy under scipy) splits a matrix product across its threads,
and the sums then come out in another order: the solvers of the mention filter and the claim
classifier ended a few ulps apart on two threads, which changed 5 of 6,568 facts of a clean-clone
rebuild and the third decimal of cross-validated fact F1. OpenBLAS reads these variables when it
loads, so `use_one_blas_thread()` must run before numpy or scipy is imported; the training and
cross-validation scripts call it first, and `scripts/train_models.py` passes `ONE_THREAD` to every
step's process. (Extraction limits BLAS at run time instead, `pipeline.batch.one_blas_thread`: numpy
is loaded by then, and it only needs the threads not to fight. A run-time limit would miss scipy's
OpenBLAS here, which scikit-learn loads later, in the middle of a fit.)
"""

from __future__ import annotations

import os

ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def use_one_blas_thread() -> None:
    os.environ.update(ONE_THREAD)


__all__ = ["ONE_THREAD", "use_one_blas_thread"]
