"""Conversion for factor analysis: the items as float64 with NaN kept (pairwise-complete
correlations need them), the caller's index and column names, and the checks that name columns
(constant or entirely missing items)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidInputError
from .table import _array_to_float, _numeric_column, quote, to_pandas


@dataclass(frozen=True)
class Items:
    values: np.ndarray  # (n, p) float64, C-contiguous, NaN = missing; read only by Rust
    index: pd.Index
    columns: list[str]
    is_frame: bool


def items(X: Any, *, what: str = "X") -> Items:
    """The numeric items of `X` (a data frame or a 2-D array) with NaN for missing values.
    Infinite values are an error (naming the column); the caller's data are never modified."""
    frame = to_pandas(X, what=what)
    if frame is not None:
        n, p = frame.shape
        if all(isinstance(d, np.dtype) and d.kind in "fiub" for d in frame.dtypes):
            # All plain numpy numbers: one conversion (a fresh C-contiguous copy).
            values = np.ascontiguousarray(frame.to_numpy(dtype=np.float64))
        else:
            values = np.empty((n, p), dtype=np.float64)
            for j, name in enumerate(frame.columns):
                values[:, j] = _numeric_column(frame.iloc[:, j], name, what)
        index = frame.index
        columns = [str(c) for c in frame.columns]
        is_frame = True
    else:
        # Rust only reads the block: a C-contiguous float64 array is used as is (no copy).
        values = np.ascontiguousarray(_array_to_float(X, what))
        n, p = values.shape
        index = pd.RangeIndex(n)
        columns = [f"x{j}" for j in range(p)]
        is_frame = False
    if n == 0 or p == 0:
        raise InvalidInputError(f"{what}: empty table (shape=({n}, {p}))", what)
    # One pass: a column's sum is finite iff it has no NaN and no infinite value.
    with np.errstate(over="ignore", invalid="ignore"):
        sums = values.sum(axis=0)
    for col in np.flatnonzero(~np.isfinite(sums)).tolist():
        if np.isinf(values[:, col]).any():
            raise InvalidInputError(
                f"{what}: infinite values in column {columns[col]!r}", columns[col]
            )
    return Items(values=values, index=index, columns=columns, is_frame=is_frame)


def check_variances(
    variances: np.ndarray, counts: np.ndarray, columns: list[str], what: str
) -> None:
    """Names the entirely missing and the constant columns (from the correlation pass)."""
    empty = [columns[j] for j in np.flatnonzero(counts == 0)]
    if empty:
        raise InvalidInputError(
            f"{what}: columns {quote(empty)} are entirely missing; drop them", empty[0]
        )
    constant = [columns[j] for j in np.flatnonzero(~(variances > 0))]
    if constant:
        raise InvalidInputError(
            f"{what}: columns {quote(constant)} are constant (no variance); drop them",
            constant[0],
        )
