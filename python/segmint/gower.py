"""Gower distances (R `cluster::daisy` conventions) and the memory guard of distance matrices."""

from __future__ import annotations

import numbers
import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _core, _frame, _validation
from .errors import InvalidInputError

__all__ = ["gower_distances"]

_BYTES = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_bytes(value: Any) -> int:
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


def physical_memory() -> int | None:
    """Bytes of RAM of this machine, or None when the platform does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def check_allocation(need: float, what: str) -> None:
    """Raises MemoryError, saying how much is needed, when an allocation of `need` bytes
    cannot succeed on this machine (more than its RAM): a clean error instead of an abort."""
    ram = physical_memory()
    if ram is not None and need > ram:
        raise MemoryError(
            f"{what} needs {need / 2**30:,.2f} GiB, more than this machine's "
            f"{ram / 2**30:,.2f} GiB of memory"
        )


def check_memory(n: int, m: int, dtype: str, max_memory: Any, advice: str = "") -> None:
    """An n × m distance matrix must fit in `max_memory` (InvalidInputError) and in the
    machine's memory (MemoryError); both messages say how much it needs."""
    itemsize = 4 if dtype == "float32" else 8
    need, limit = n * m * itemsize, parse_bytes(max_memory)
    if need > limit:
        advice = advice or (
            "raise max_memory, use dtype='float32', or use KMedoids(method='clara'), which "
            "never builds the n × n matrix"
        )
        raise InvalidInputError(
            f"max_memory: a {n:,} × {m:,} {dtype} distance matrix needs {need / 2**30:.2f} GiB, "
            f"more than max_memory={max_memory!r}; {advice}",
            "max_memory",
        )
    check_allocation(need, f"a {n:,} × {m:,} {dtype} distance matrix")


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


@dataclass(frozen=True)
class GowerScale:
    """Per interval column: the range Gower divides differences by, and whether values are
    halved before differencing (a column whose max − min overflows float64; its range is then
    that of the halved values, so every term stays finite)."""

    ranges: np.ndarray
    halved: np.ndarray

    def args(self) -> dict[str, Any]:
        return {
            "ranges": [float(r) for r in self.ranges],
            "halved": [bool(h) for h in self.halved],
        }


def gower_block(
    a: _frame.GowerData, b: _frame.GowerData, scale: GowerScale, weights, dtype, n_jobs
):
    return _core.gower_matrix(
        a.numeric,
        a.codes,
        b.numeric,
        b.codes,
        **scale.args(),
        weights=weights,
        float32=dtype == "float32",
        n_threads=_validation.n_threads(n_jobs),
    )


def gower_ranges(*blocks: np.ndarray) -> GowerScale:
    """Ranges of the interval columns over the blocks together (missing values ignored; an
    all-missing column has range 0, as in daisy)."""
    p = blocks[0].shape[1]
    if p == 0:
        return GowerScale(np.zeros(0), np.zeros(0, dtype=bool))

    def extreme(b: np.ndarray, plain: Any, nan_aware: Any) -> np.ndarray:
        if not len(b):
            return np.full(p, np.nan)
        # Column by column: along axis 0 of a row-major block with few columns numpy is about
        # 7x slower. The plain reduction is NaN only where a column has a missing value.
        value = np.array([plain(b[:, j]) for j in range(p)], dtype=np.float64)
        for j in np.flatnonzero(np.isnan(value)):
            value[j] = nan_aware(b[:, j])
        return value

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        hi = np.nanmax([extreme(b, np.max, np.nanmax) for b in blocks], axis=0)
        lo = np.nanmin([extreme(b, np.min, np.nanmin) for b in blocks], axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        span = hi - lo
    halved = np.isinf(span)
    span = np.where(halved, hi * 0.5 - lo * 0.5, span)
    return GowerScale(np.nan_to_num(span, nan=0.0), halved)


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

    Warns
    -----
    UserWarning
        When some pair of rows shares no non-missing column: its distance is NaN.

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
    scale = gower_ranges(a.numeric) if Y is None else gower_ranges(a.numeric, b.numeric)
    d = gower_block(a, b, scale, gower_weights(weights, a), dtype, n_jobs)
    undefined = int(np.count_nonzero(np.isnan(d)))
    if undefined:
        warnings.warn(
            f"gower_distances: {undefined} distance(s) are NaN: those pairs of rows share no "
            "non-missing column, so their Gower distance is undefined (R's daisy returns NA)",
            UserWarning,
            stacklevel=2,
        )
    if a.is_frame:  # a view on the matrix, not a copy
        return pd.DataFrame(d, index=a.index, columns=b.index, copy=False)
    return d
