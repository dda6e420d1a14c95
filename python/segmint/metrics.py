"""Choosing the number of segments: internal validity indices (silhouette, Calinski–Harabasz,
Davies–Bouldin) computed in Rust with scikit-learn's conventions."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from . import _core, _frame
from .errors import InvalidInputError


def _prepare(X: Any, labels: Any) -> tuple[_frame.NumericData, np.ndarray]:
    data = _frame.numeric(X)
    if isinstance(labels, pd.Series) and data.is_frame and not labels.index.equals(data.index):
        if not labels.index.isin(data.index).all() or len(labels) != data.n_rows:
            raise InvalidInputError(
                "labels: the Series' index does not match the rows of X", "labels"
            )
        labels = labels.reindex(data.index)
    values = np.asarray(labels)
    if values.ndim != 1 or len(values) != data.n_rows:
        raise InvalidInputError(
            f"labels: expected {data.n_rows} labels (one per row of X), got shape {values.shape}",
            "labels",
        )
    if pd.isna(values).any():
        raise InvalidInputError("labels: contains missing values", "labels")
    _, codes = np.unique(values, return_inverse=True)
    return data, np.ascontiguousarray(codes, dtype=np.int64)


def silhouette_samples(X: Any, labels: Any, *, n_jobs: int | None = None) -> pd.Series:
    """Silhouette width of every row (exact Euclidean distances), on X's index."""
    data, codes = _prepare(X, labels)
    s = _core.silhouette_samples(data.values, codes, _frame.n_threads(n_jobs))
    return pd.Series(s, index=data.index, name="silhouette")


def silhouette_score(
    X: Any,
    labels: Any,
    *,
    sample_size: int | None = None,
    random_state: Any = None,
    n_jobs: int | None = None,
) -> float:
    """Mean silhouette width. With `sample_size`, computed exactly on a random subset of rows
    drawn as scikit-learn draws it (the same subset for the same `random_state`)."""
    data, codes = _prepare(X, labels)
    values = data.values
    if sample_size is not None:
        if not isinstance(sample_size, int | np.integer) or not 2 <= sample_size:
            raise InvalidInputError(
                f"sample_size: must be an integer >= 2, got {sample_size!r}", "sample_size"
            )
        rng = check_random_state(random_state)
        rows = rng.permutation(len(codes))[:sample_size]
        values, codes = np.ascontiguousarray(values[rows]), codes[rows]
        _, codes = np.unique(codes, return_inverse=True)
    s = _core.silhouette_samples(values, codes.astype(np.int64), _frame.n_threads(n_jobs))
    return float(np.mean(s))


def calinski_harabasz_score(X: Any, labels: Any) -> float:
    """Calinski–Harabasz index (higher is better)."""
    data, codes = _prepare(X, labels)
    return float(_core.calinski_harabasz_score(data.values, codes, 0))


def davies_bouldin_score(X: Any, labels: Any) -> float:
    """Davies–Bouldin index (lower is better)."""
    data, codes = _prepare(X, labels)
    return float(_core.davies_bouldin_score(data.values, codes, 0))


__all__ = [
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "silhouette_samples",
    "silhouette_score",
]
