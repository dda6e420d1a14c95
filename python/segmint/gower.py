"""Gower distances (R `cluster::daisy` conventions) and the memory guard of distance matrices."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd

from . import _core, _frame, _validation
from .errors import InvalidInputError

__all__ = ["gower_distances"]

_BYTES = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def _parse_bytes(value: Any) -> int:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) > 0:
        return int(value)
    text = str(value).strip().lower().removesuffix("b").removesuffix("i")
    unit = text[-1] if text and text[-1] in _BYTES else ""
    try:
        amount = float(text[: len(text) - len(unit)])
    except ValueError:
        amount = -1.0
    if not amount > 0:
        raise InvalidInputError(
            f"max_memory: expected bytes or a size like '4GiB', got {value!r}", "max_memory"
        )
    return int(amount * _BYTES[unit])


def check_memory(n: int, m: int, dtype: str, max_memory: Any) -> None:
    itemsize = 4 if dtype == "float32" else 8
    need, limit = n * m * itemsize, _parse_bytes(max_memory)
    if need > limit:
        raise InvalidInputError(
            f"max_memory: a {n:,} × {m:,} {dtype} distance matrix needs {need / 2**30:.2f} GiB, "
            f"more than max_memory={max_memory!r}; raise max_memory, use dtype='float32', or "
            "cluster a sample (KPrototypes scales to millions of rows)",
            "max_memory",
        )


def gower_weights(weights: Any, data: _frame.GowerData) -> np.ndarray:
    names = data.numeric_columns + data.nominal_columns
    if weights is None:
        return np.ones(len(names))
    if isinstance(weights, dict):
        unknown = [c for c in weights if str(c) not in names]
        if unknown:
            raise InvalidInputError(f"weights: no column {unknown[0]!r}", "weights")
        w = np.array([float(weights.get(c, 1.0)) for c in names])
    else:
        given = np.asarray(weights, dtype=np.float64)
        columns = data.encoding.columns
        if given.shape != (len(columns),):
            raise InvalidInputError(
                f"weights: expected {len(columns)} weights (one per column), got {given.shape}",
                "weights",
            )
        by_name = dict(zip(columns, given, strict=True))
        w = np.array([by_name[c] for c in names])
    if not np.isfinite(w).all() or (w < 0).any():
        raise InvalidInputError("weights: must be finite and non-negative", "weights")
    return w


def gower_block(a: _frame.GowerData, b: _frame.GowerData, ranges, weights, dtype, n_jobs):
    return _core.gower_matrix(
        a.numeric,
        a.codes,
        b.numeric,
        b.codes,
        ranges=[float(r) for r in ranges],
        weights=weights,
        float32=dtype == "float32",
        n_threads=_validation.n_threads(n_jobs),
    )


def gower_ranges(*blocks: np.ndarray) -> np.ndarray:
    stacked = np.vstack(blocks)
    if stacked.shape[1] == 0:
        return np.zeros(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: range 0
        span = np.nanmax(stacked, axis=0) - np.nanmin(stacked, axis=0)
    return np.nan_to_num(span, nan=0.0)


def gower_distances(
    X: Any,
    Y: Any = None,
    *,
    weights: Any = None,
    categorical: Any = None,
    dtype: str = "float64",
    max_memory: Any = "4GiB",
    n_jobs: int | None = None,
) -> Any:
    """Gower distances between the rows of X (and of Y), as R's ``cluster::daisy``.

    Numbers are scaled by their range (over X and Y together, as the ``gower`` package),
    ordered categoricals are compared by rank, other categoricals / text / bool (and the columns
    named in ``categorical``) by simple matching; a missing value leaves that variable out of
    the pair's average. ``weights`` per column (array in column order or dict by name). A
    DataFrame indexed by X's rows with Y's rows as columns when X is a data frame, else an array.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        Numeric, ordered categorical, categorical, text and bool columns; missing values
        allowed.
    Y : DataFrame or array-like of shape (n_other, n_features), default None
        Rows to measure X against (the same columns); None for X against itself.
    weights : array-like of shape (n_features,) or dict, default None
        Weight of each column (in column order, or by name; missing names weigh 1).
    categorical : list of column names or positions, default None
        Columns to compare by simple matching even when they hold numbers.
    dtype : {"float64", "float32"}, default "float64"
        Precision of the result.
    max_memory : int or str, default "4GiB"
        Largest matrix built, in bytes or as text ("500MB", "4GiB").
    n_jobs : int or None, default None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores.

    Returns
    -------
    DataFrame or ndarray of shape (n_samples, n_other)
        Distances in [0, 1].

    Raises
    ------
    InvalidInputError
        A matrix larger than ``max_memory``, an unknown ``dtype``, weights that are negative or
        do not match the columns.

    See Also
    --------
    KMedoids : k-medoids on these distances.

    References
    ----------
    .. [1] Gower, J. C. (1971). A general coefficient of similarity and some of its
       properties. Biometrics, 27(4), 857-871.
    .. [2] Kaufman, L. and Rousseeuw, P. J. (1990). Finding Groups in Data. Wiley (R's
       ``cluster::daisy``).

    Examples
    --------
    >>> import pandas as pd
    >>> import segmint as sg
    >>> df = pd.DataFrame({"revenue": [10.0, 20.0, 40.0], "sector": ["retail", "retail", "b2b"]})
    >>> sg.gower_distances(df).round(3)
           0      1      2
    0  0.000  0.167  1.000
    1  0.167  0.000  0.833
    2  1.000  0.833  0.000
    """
    if dtype not in ("float64", "float32"):
        raise InvalidInputError(f"dtype: must be 'float64' or 'float32', got {dtype!r}", "dtype")
    a = _frame.gower_table(X, categorical=categorical)
    b = a if Y is None else _frame.gower_table(Y, encoding=a.encoding, what="Y")
    check_memory(len(a.index), len(b.index), dtype, max_memory)
    ranges = gower_ranges(a.numeric) if Y is None else gower_ranges(a.numeric, b.numeric)
    d = gower_block(a, b, ranges, gower_weights(weights, a), dtype, n_jobs)
    if a.is_frame:  # a view on the matrix, not a copy
        return pd.DataFrame(d, index=a.index, columns=b.index, copy=False)
    return d
