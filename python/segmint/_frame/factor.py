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
    values: np.ndarray  # (n, p) float64, C-contiguous, NaN = missing (a fresh copy)
    index: pd.Index
    columns: list[str]
    is_frame: bool


def items(X: Any, *, what: str = "X") -> Items:
    """The numeric items of `X` (a data frame or a 2-D array) with NaN for missing values.
    Infinite values are an error; the caller's data are copied, never modified."""
    frame = to_pandas(X, what=what)
    if frame is not None:
        n, p = frame.shape
        values = np.empty((n, p), dtype=np.float64)
        for j, name in enumerate(frame.columns):
            values[:, j] = _numeric_column(frame.iloc[:, j], name, what)
        index = frame.index
        columns = [str(c) for c in frame.columns]
        is_frame = True
    else:
        values = np.array(_array_to_float(X, what), dtype=np.float64, order="C", copy=True)
        n, p = values.shape
        index = pd.RangeIndex(n)
        columns = [f"x{j}" for j in range(p)]
        is_frame = False
    if n == 0 or p == 0:
        raise InvalidInputError(f"{what}: empty table (shape=({n}, {p}))", what)
    if np.isinf(values).any():
        bad = [columns[j] for j in np.flatnonzero(np.isinf(values).any(axis=0))]
        raise InvalidInputError(f"{what}: infinite values in columns {quote(bad)}", bad[0])
    missing = np.isnan(values)
    empty = [columns[j] for j in np.flatnonzero(missing.all(axis=0))]
    if empty:
        raise InvalidInputError(
            f"{what}: columns {quote(empty)} are entirely missing; drop them", empty[0]
        )
    with np.errstate(invalid="ignore"):
        spread = np.nanmax(values, axis=0) - np.nanmin(values, axis=0)
    constant = [columns[j] for j in np.flatnonzero(spread == 0)]
    if constant:
        raise InvalidInputError(
            f"{what}: columns {quote(constant)} are constant (no variance); drop them",
            constant[0],
        )
    return Items(values=values, index=index, columns=columns, is_frame=is_frame)
