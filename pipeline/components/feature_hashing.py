"""Hashed feature vectors, the same as scikit-learn's `FeatureHasher(input_type="string",
alternate_sign=False)` without importing scikit-learn at run time.

`import sklearn` (1.9) imports scipy.stats and pandas: about 130 MB of resident memory and a few
seconds in every worker process, for one hash function. The hash is MurmurHash3 (x86, 32-bit,
seed 0) of each feature's UTF-8 bytes, as a signed integer; the column is its absolute value
modulo the number of features (scikit-learn's rule for -2**31 included), every feature counts 1,
and repeats within a row are summed. `murmurhash` (spaCy's own dependency) computes the same
hash; tests/test_memory.py checks the matrices against scikit-learn's, entry for entry.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
from murmurhash.mrmr import hash_unicode
from scipy.sparse import csr_matrix


class FeatureHashing:
    """`transform(rows of feature strings)` -> CSR matrix (n rows, n_features), float64 counts."""

    def __init__(self, n_features: int):
        self.n_features = n_features

    def transform(self, raw_rows: Iterable[Iterable[str]]) -> csr_matrix:
        hashes: list[int] = []
        indptr = [0]
        for features in raw_rows:
            if isinstance(features, str):
                raise ValueError("Samples can not be a single string. The input must be an iterable"
                                 " over iterables of strings.")
            hashes.extend([hash_unicode(feature, 0) for feature in features])
            indptr.append(len(hashes))
        if len(indptr) == 1:
            raise ValueError("Cannot vectorize empty sequence.")
        # |h| mod n in 64 bits: for h = -2**31 this is 2**31 mod n, which is what scikit-learn's
        # special case for that value, (2**31 - 1 - (n - 1)) mod n, comes to
        columns = np.abs(np.array(hashes, dtype=np.int64)) % self.n_features
        X = csr_matrix((np.ones(len(hashes)), columns.astype(np.int32), np.array(indptr, dtype=np.int32)),
                       shape=(len(indptr) - 1, self.n_features))
        X.sum_duplicates()  # also sorts the indices
        return X
