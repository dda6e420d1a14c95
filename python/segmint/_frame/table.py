"""The general table conversion: numeric blocks, weights and per-row results on the caller's rows.

Inputs are turned into the arrays Rust consumes (a C-contiguous float64 numeric block with NaN for
missing values) and the index and column names are remembered so results can be put back on the
caller's rows and labels. The caller's data is never modified: every array handed to Rust is
either a fresh copy or a read-only view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import validate_data

from ..errors import InvalidInputError, InvalidTypeError

#: Code of a missing categorical value (u32::MAX in Rust).
MISSING_CODE = np.iinfo(np.uint32).max

MISSING_POLICIES = ("raise", "drop")


class Rows:
    """The caller's rows behind an encoded block: `index` (all rows) and `kept` (the rows handed
    to Rust, None = all), to put per-row results back."""

    index: pd.Index
    kept: np.ndarray | None

    @property
    def n_rows(self) -> int:
        return len(self.index)

    def expand(self, values: np.ndarray, fill: Any) -> np.ndarray:
        """Values for the kept rows -> values for all rows, `fill` where a row was dropped."""
        if self.kept is None:
            return values
        out = np.full((self.n_rows, *values.shape[1:]), fill, dtype=np.result_type(values, fill))
        out[self.kept] = values
        return out


@dataclass(frozen=True)
class NumericData(Rows):
    """A numeric block ready for Rust, with what is needed to put results back."""

    values: np.ndarray  # (n_kept, p) float64, C-contiguous, finite
    index: pd.Index  # the caller's index, all rows
    columns: list[str]  # column names (x0, x1, ... for arrays)
    kept: np.ndarray | None  # boolean mask of rows handed to Rust; None = all rows
    is_frame: bool  # the input was a data frame (results may be frames too)


def quote(names: Sequence[Any]) -> str:
    return ", ".join(repr(n) for n in names)


def to_pandas(X: Any, *, what: str = "X") -> pd.DataFrame | None:
    """A pandas view of a data frame (pandas itself, or polars / pyarrow through narwhals);
    None when `X` is not a data frame."""
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        raise InvalidInputError(
            f"{what}: expected a 2-dimensional table, got a Series; use series.to_frame()",
            what,
        )
    try:
        import narwhals.stable.v1 as nw
    except ImportError:  # pragma: no cover - narwhals comes with scikit-learn
        return None
    try:
        frame = nw.from_native(X, eager_only=True)
    except TypeError:
        return None
    if isinstance(frame, nw.Series):
        raise InvalidInputError(f"{what}: expected a 2-dimensional table, got a series", what)
    try:
        # Through Arrow, column by column in native code (polars and pyarrow need pyarrow for
        # this); polars' Enum arrives as an ordered categorical, Categorical as an unordered one.
        return frame.to_pandas()
    except ImportError:
        pass
    # Without pyarrow: one column at a time (text element by element).
    columns: dict[str, Any] = {}
    for name in frame.columns:
        s = frame[name]
        if s.dtype in (nw.Categorical, nw.Enum):
            cats = list(s.cat.get_categories().to_list())
            columns[name] = pd.Categorical(
                s.to_list(), categories=cats, ordered=s.dtype == nw.Enum
            )
        elif s.dtype == nw.String:
            columns[name] = pd.array(s.to_list(), dtype=object)
        else:
            columns[name] = s.to_numpy()
    return pd.DataFrame(columns)


def _numeric_column(col: pd.Series, name: Any, what: str) -> np.ndarray:
    dtype = col.dtype
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    ):
        kind = "categorical" if isinstance(dtype, pd.CategoricalDtype) else "text"
        raise InvalidTypeError(
            f"{what}: column {name!r} is {kind} ({dtype}); this method needs numeric columns. "
            "Encode it, drop it, or use a method for mixed data (KPrototypes, KMedoids "
            "with Gower distance).",
            str(name),
        )
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_complex_dtype(dtype):
            raise InvalidTypeError(
                f"{what}: column {name!r}: Complex data not supported", str(name)
            )
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    raise InvalidTypeError(
        f"{what}: column {name!r} has unsupported dtype {dtype}; pass numbers", str(name)
    )


def is_dask(X: Any) -> bool:
    """Whether `X` is a Dask collection (checked without importing Dask)."""
    root = type(X).__module__.split(".")[0]
    return root in ("dask", "dask_expr") and hasattr(X, "__dask_graph__")


def check_numeric_dtype(col: pd.Series, name: Any, what: str) -> None:
    """The dtype check of `numeric` on one column (e.g. a Dask frame's empty metadata)."""
    _numeric_column(col, name, what)


def check_shape(n: int, p: int, what: str) -> None:
    """At least one row and one column, in scikit-learn's words."""
    if n == 0:
        raise InvalidInputError(
            f"{what}: Found array with 0 sample(s) (shape=({n}, {p})) while a minimum of 1 "
            "is required.",
            what,
        )
    if p == 0:
        raise InvalidInputError(
            f"{what}: Found array with 0 feature(s) (shape=({n}, 0)) while a minimum of 1 is "
            "required.",
            what,
        )


def plain_array(X: Any, what: str) -> np.ndarray:
    """A non-frame input as a 2-D numpy array (any dtype), refusing sparse matrices, complex
    numbers and other shapes with the messages scikit-learn users know."""
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise InvalidTypeError(
            f"{what}: sparse input is not supported; pass a dense array (X.toarray())", what
        )
    try:
        arr = np.asarray(X)
    except ValueError as e:
        raise InvalidInputError(f"{what}: not a rectangular table ({e})", what) from e
    if np.iscomplexobj(arr):
        raise InvalidInputError(f"{what}: Complex data not supported", what)
    if arr.ndim != 2:
        raise InvalidInputError(
            f"{what}: Expected a 2-dimensional array, got {arr.ndim} dimension(s). "
            "Reshape your data either using array.reshape(-1, 1) if your data has a single "
            "feature or array.reshape(1, -1) if it contains a single sample.",
            what,
        )
    return arr


def _array_to_float(X: Any, what: str) -> np.ndarray:
    arr = plain_array(X, what)
    if arr.dtype.kind in "USO" and arr.dtype != object:
        raise InvalidTypeError(
            f"{what}: the array holds text ({arr.dtype}); this method needs numbers", what
        )
    try:
        return arr.astype(np.float64, copy=False)
    except (TypeError, ValueError) as e:
        raise InvalidTypeError(f"{what}: {e}", what) from e


def numeric(X: Any, *, what: str = "X", missing: str = "raise") -> NumericData:
    """The numeric block of `X` (a data frame or a 2-D array).

    `missing="raise"` rejects NaN/None with an error naming the columns and counts;
    `missing="drop"` leaves incomplete rows out (``kept`` marks the others). Infinite values are
    always an error.
    """
    if missing not in MISSING_POLICIES:
        raise InvalidInputError(
            f"missing: must be one of {MISSING_POLICIES}, got {missing!r}", "missing"
        )
    frame = to_pandas(X, what=what)
    if frame is not None:
        n, p = frame.shape
        values = np.empty((n, p), dtype=np.float64)
        for j, name in enumerate(frame.columns):
            values[:, j] = _numeric_column(frame.iloc[:, j], name, what)
        index = frame.index
        columns = [str(c) for c in frame.columns]
    else:
        values = _array_to_float(X, what)
        n, p = values.shape
        index = pd.RangeIndex(n)
        columns = [f"x{j}" for j in range(p)]
        # Rust reads the array only; make it contiguous without touching the caller's copy.
        values = np.ascontiguousarray(values)
    check_shape(n, p, what)
    kept: np.ndarray | None = None
    # The sum is finite iff every value is (barring overflow, which the slow path handles).
    with np.errstate(over="ignore", invalid="ignore"):
        total = values.sum()
    finite = None if np.isfinite(total) else np.isfinite(values)
    if finite is not None and not finite.all():
        nan = np.isnan(values)
        inf = ~finite & ~nan
        if inf.any():
            bad = [(columns[j], int(c)) for j, c in enumerate(inf.sum(axis=0)) if c]
            raise InvalidInputError(
                f"{what}: infinite values (inf) in "
                + ", ".join(f"column {c!r} ({k} inf)" for c, k in bad),
                bad[0][0],
            )
        if missing == "raise":
            bad = [(columns[j], int(c)) for j, c in enumerate(nan.sum(axis=0)) if c]
            raise InvalidInputError(
                f"{what}: missing values (NaN) in "
                + ", ".join(f"column {c!r} ({k} missing)" for c, k in bad)
                + "; impute them, or pass missing='drop' to leave those rows out",
                bad[0][0],
            )
        kept = np.asarray(~nan.any(axis=1))
        if not kept.any():
            raise InvalidInputError(f"{what}: every row has a missing value", what)
        values = np.ascontiguousarray(values[kept])
    return NumericData(values, index, columns, kept, frame is not None)


def numeric_input(
    estimator: Any, X: Any, *, reset: bool, missing: str = "raise", what: str = "X"
) -> NumericData:
    """`numeric` plus scikit-learn's bookkeeping of `n_features_in_` / `feature_names_in_`
    (set when `reset`, checked otherwise)."""
    data = numeric(X, what=what, missing=missing)
    check_features(estimator, X, reset=reset, what=what)
    return data


def check_features(
    estimator: Any, X: Any, *, reset: bool, by_name: bool = False, what: str = "X"
) -> None:
    """scikit-learn's bookkeeping of `n_features_in_` / `feature_names_in_`: set when `reset`,
    checked against the fit otherwise. Inputs that are not 2-D tables are left to the
    conversion, which says how to reshape them. `by_name`: the estimator takes a frame's
    columns by name (mixed tables; any order, extra columns ignored, a missing one named by
    the conversion), so only arrays are checked, by their number of columns."""
    if by_name and not reset and hasattr(X, "columns"):
        return
    if not hasattr(X, "columns") and not hasattr(X, "tocsr"):
        try:
            ndim = len(X.shape) if hasattr(X, "shape") else np.asarray(X).ndim
        except (TypeError, ValueError):
            return
        if ndim != 2:
            return
    try:
        validate_data(estimator, X, reset=reset, skip_check_array=True)
    except ValueError as e:
        raise InvalidInputError(f"{what}: {e}", what) from e
    except TypeError as e:  # e.g. column names of mixed types
        raise InvalidTypeError(f"{what}: {e}", what) from e


def sample_weight(weights: Any, data: Rows) -> np.ndarray | None:
    """Frequency weights aligned with the rows handed to Rust (None = unweighted)."""
    w = positive_weights(weights, data.n_rows, "sample_weight")
    if w is None or data.kept is None:
        return w
    w = np.ascontiguousarray(w[data.kept])
    if not w.sum() > 0:
        raise InvalidInputError("sample_weight: the weights sum to zero", "sample_weight")
    return w


def py_scalar(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def positive_weights(weights: Any, n_rows: int, what: str) -> np.ndarray | None:
    """Per-row weights as float64 (None = unweighted): finite, non-negative, positive sum."""
    if weights is None:
        return None
    try:
        w = np.asarray(weights)
    except ValueError as e:
        raise InvalidInputError(f"{what}: not an array of numbers ({e})", what) from e
    if w.dtype.kind not in "biuf":
        raise InvalidTypeError(f"{what}: must be numeric, got dtype {w.dtype}", what)
    if w.ndim == 0:
        w = np.full(n_rows, float(w))
    w = w.astype(np.float64)
    if w.shape != (n_rows,):
        raise InvalidInputError(
            f"{what}: expected {n_rows} weights (one per row), got shape {w.shape}", what
        )
    if not np.isfinite(w).all():
        raise InvalidInputError(f"{what}: contains NaN or inf", what)
    if (w < 0).any():
        raise InvalidInputError(
            f"{what}: weights must be non-negative; {int((w < 0).sum())} are negative", what
        )
    if not w.sum() > 0:
        raise InvalidInputError(f"{what}: the weights sum to zero", what)
    return np.ascontiguousarray(w)


def labels_series(labels: np.ndarray, data: Rows, name: str = "segment") -> pd.Series:
    """Segment labels on the caller's rows; rows left out for missing values get -1."""
    return pd.Series(data.expand(labels, -1), index=data.index, name=name)


def frame(values: np.ndarray, data: Rows, columns: Sequence[Any]) -> pd.DataFrame:
    """A per-row result on the caller's rows; rows left out for missing values get NaN."""
    return pd.DataFrame(data.expand(values, np.nan), index=data.index, columns=list(columns))
