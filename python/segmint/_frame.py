"""The single conversion layer between user data and the Rust core.

Everything that knows about pandas / polars / numpy dtypes lives here. Inputs are turned into the
arrays Rust consumes (a C-contiguous float64 numeric block with NaN for missing values, uint32
categorical codes with one reserved code for missing, float64 weights) and the index and column
names are remembered so results can be put back on the caller's rows and labels. The caller's
data is never modified: every array handed to Rust is either a fresh copy or a read-only view.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from .errors import InvalidInputError, InvalidTypeError

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


def _quote(names: Sequence[Any]) -> str:
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


def _array_to_float(X: Any, what: str) -> np.ndarray:
    if hasattr(X, "tocsr") or type(X).__module__.startswith("scipy.sparse"):
        raise InvalidTypeError(
            f"{what}: sparse input is not supported; pass a dense array (X.toarray())", what
        )
    try:
        arr = np.asarray(X)
    except ValueError as e:
        raise InvalidInputError(f"{what}: not a rectangular table of numbers ({e})", what) from e
    if np.iscomplexobj(arr):
        raise InvalidInputError(f"{what}: Complex data not supported", what)
    if arr.dtype.kind in "USO" and arr.dtype != object:
        raise InvalidTypeError(
            f"{what}: the array holds text ({arr.dtype}); this method needs numbers", what
        )
    try:
        arr = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError) as e:
        raise InvalidTypeError(f"{what}: {e}", what) from e
    if arr.ndim != 2:
        raise InvalidInputError(
            f"{what}: Expected a 2-dimensional array, got {arr.ndim} dimension(s). "
            "Reshape your data either using array.reshape(-1, 1) if your data has a single "
            "feature or array.reshape(1, -1) if it contains a single sample.",
            what,
        )
    return arr


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
    try:
        validate_data(estimator, X, reset=reset, skip_check_array=True)
    except ValueError as e:
        raise InvalidInputError(f"{what}: {e}", what) from e
    except TypeError as e:  # e.g. column names of mixed types
        raise InvalidTypeError(f"{what}: {e}", what) from e
    return data


def sample_weight(weights: Any, data: Rows) -> np.ndarray | None:
    """Frequency weights aligned with the rows handed to Rust (None = unweighted)."""
    w = positive_weights(weights, data.n_rows, "sample_weight")
    if w is None or data.kept is None:
        return w
    w = np.ascontiguousarray(w[data.kept])
    if not w.sum() > 0:
        raise InvalidInputError("sample_weight: the weights sum to zero", "sample_weight")
    return w


def seed(random_state: Any) -> int:
    """A u64 seed from scikit-learn's `random_state` (None, int or RandomState)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise InvalidInputError(
                f"random_state: must be non-negative, got {random_state}", "random_state"
            )
        return int(random_state) & 0xFFFF_FFFF_FFFF_FFFF
    rng = check_random_state(random_state)
    return int(rng.randint(0, 2**63 - 1, dtype=np.int64))


def check_int(
    value: Any, name: str, minimum: int, maximum: int | None = None, why: str = ""
) -> int:
    """An integer parameter as a Python int in [minimum, maximum] (bools and floats refused);
    `why` is appended to the message when it is too small."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool | np.bool_):
        raise InvalidInputError(f"{name}: must be an integer, got {value!r}", name)
    v = int(value)
    if v < minimum:
        raise InvalidInputError(f"{name}: must be at least {minimum}{why}, got {v}", name)
    if maximum is not None and v > maximum:
        raise InvalidInputError(f"{name}: must be at most {maximum}, got {v}", name)
    return v


def check_positive(value: Any, name: str) -> float:
    """A finite positive number parameter as a float."""
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool | np.bool_)
        or not (np.isfinite(float(value)) and float(value) > 0)
    ):
        raise InvalidInputError(f"{name}: must be a positive number, got {value!r}", name)
    return float(value)


def n_threads(n_jobs: Any) -> int:
    """Threads for the Rust pool: 0 lets rayon decide (RAYON_NUM_THREADS or all cores)."""
    if n_jobs is None:
        return 0
    if not isinstance(n_jobs, numbers.Integral) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise InvalidInputError(
            f"n_jobs: must be None or a non-zero integer, got {n_jobs!r}", "n_jobs"
        )
    cpus = os.cpu_count() or 1
    jobs = int(n_jobs)
    return jobs if jobs > 0 else max(1, cpus + 1 + jobs)


def labels_series(labels: np.ndarray, data: Rows, name: str = "segment") -> pd.Series:
    """Segment labels on the caller's rows; rows left out for missing values get -1."""
    return pd.Series(data.expand(labels, -1), index=data.index, name=name)


def frame(values: np.ndarray, data: Rows, columns: Sequence[Any]) -> pd.DataFrame:
    """A per-row result on the caller's rows; rows left out for missing values get NaN."""
    return pd.DataFrame(data.expand(values, np.nan), index=data.index, columns=list(columns))


# --- Tables with measurement levels (nominal / ordinal / continuous), for CHAID ----------------

#: Code of a category that was not seen when fitting (any code >= n_levels other than missing).
UNSEEN_CODE = MISSING_CODE - 1

#: Measurement levels of a predictor.
NOMINAL, ORDINAL, CONTINUOUS = "nominal", "ordinal", "continuous"


@dataclass(frozen=True)
class MixedEncoding:
    """How the predictors of a mixed table were encoded when fitting; reused for new data so that
    the same label always gets the same code."""

    columns: list[str]  # predictor names, in the caller's order
    levels: list[str]  # NOMINAL / ORDINAL / CONTINUOUS per column
    labels: list[list[Any] | None]  # category labels per categorical column (None: continuous)

    @property
    def categorical(self) -> list[int]:
        return [j for j, lv in enumerate(self.levels) if lv != CONTINUOUS]

    @property
    def continuous(self) -> list[int]:
        return [j for j, lv in enumerate(self.levels) if lv == CONTINUOUS]

    def predictor_columns(self) -> list[int]:
        """Column position of each predictor in the core's numbering (categorical, then
        continuous)."""
        return self.categorical + self.continuous


@dataclass(frozen=True)
class MeasuredTable:
    """A table with measurement levels ready for Rust: category codes and continuous values,
    with the encoding."""

    codes: np.ndarray  # (n, p_cat) uint32, column-major; MISSING_CODE / UNSEEN_CODE
    n_levels: np.ndarray  # (p_cat,) uint32
    ordinal: np.ndarray  # (p_cat,) bool
    numeric: np.ndarray  # (n, p_num) float64, column-major, NaN = missing
    index: pd.Index
    encoding: MixedEncoding

    @property
    def rank(self) -> np.ndarray:
        """The caller's column position of each predictor (ties are broken by column order)."""
        return np.asarray(self.encoding.predictor_columns(), dtype=np.int64)


def _is_text(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _sorted_labels(values: pd.Series) -> list[Any]:
    uniq = pd.unique(values.dropna())
    try:
        return sorted(uniq.tolist())
    except TypeError:  # mixed types: keep the order of first appearance
        return list(uniq.tolist())


def _column_level(col: pd.Series, name: str, ordinal: set[str], what: str) -> str:
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return ORDINAL if (dtype.ordered or name in ordinal) else NOMINAL
    if pd.api.types.is_bool_dtype(dtype) or _is_text(dtype):
        return ORDINAL if name in ordinal else NOMINAL
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return ORDINAL if name in ordinal else CONTINUOUS
    raise InvalidTypeError(
        f"{what}: column {name!r} has unsupported dtype {dtype}; pass categories, text, "
        "booleans or numbers",
        name,
    )


def _category_codes(col: pd.Series, labels: list[Any]) -> np.ndarray:
    if isinstance(col.dtype, pd.CategoricalDtype) and list(col.cat.categories) == labels:
        # Already coded this way; a missing value's -1 wraps to MISSING_CODE when the caller
        # assigns these (signed) codes into its uint32 block.
        return col.cat.codes.to_numpy()
    else:
        values = col.astype(object) if isinstance(col.dtype, pd.CategoricalDtype) else col
        codes = pd.Index(labels, dtype=object).get_indexer(values).astype(np.int64)
    out = codes.astype(np.uint32)
    missing = np.asarray(col.isna())
    out[codes < 0] = UNSEEN_CODE
    out[missing] = MISSING_CODE
    return out


def measured_table(
    X: Any,
    *,
    ordinal: Sequence[str] | None = None,
    encoding: MixedEncoding | None = None,
    what: str = "X",
) -> MeasuredTable:
    """Encodes a data frame (or 2-D array) of predictors for CHAID.

    When fitting (`encoding` None) each column gets a measurement level: ordered categoricals and
    columns named in `ordinal` are ordinal (categories in their order; numbers and text sorted),
    other categoricals, text and booleans nominal, numbers continuous. With an `encoding` (new
    data) the fitted columns are taken by name and mapped to the fitted labels; labels never seen
    get ``UNSEEN_CODE``.
    """
    frame = to_pandas(X, what=what)
    if frame is None:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise InvalidInputError(
                f"{what}: Expected a 2-dimensional array, got {arr.ndim} dimension(s)", what
            )
        frame = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
        if arr.dtype == object:  # numbers stored as objects are numbers, not categories
            frame = frame.infer_objects()
    n, p = frame.shape
    if n == 0:
        raise InvalidInputError(f"{what}: Found array with 0 sample(s) (shape=({n}, {p}))", what)
    if encoding is None:
        if p == 0:
            raise InvalidInputError(
                f"{what}: Found array with 0 feature(s) (shape=({n}, 0))", what
            )
        columns = [str(c) for c in frame.columns]
        if len(set(columns)) != len(columns):
            raise InvalidInputError(f"{what}: column names must be unique", what)
        wanted = set(ordinal or ())
        unknown = sorted(wanted - set(columns))
        if unknown:
            raise InvalidInputError(
                f"ordinal: unknown column(s) {_quote(unknown)}; X has {_quote(columns)}",
                "ordinal",
            )
        levels: list[str] = []
        labels: list[list[Any] | None] = []
        for j, name in enumerate(columns):
            col = frame.iloc[:, j]
            level = _column_level(col, name, wanted, what)
            all_missing = (
                bool(col.cat.codes.to_numpy().max(initial=-1) < 0)
                if isinstance(col.dtype, pd.CategoricalDtype)
                else bool(col.isna().all())
            )
            if all_missing:
                raise InvalidInputError(
                    f"{what}: column {name!r} has only missing values; drop it", name
                )
            levels.append(level)
            if level == CONTINUOUS:
                labels.append(None)
            elif isinstance(col.dtype, pd.CategoricalDtype):
                labels.append(list(col.cat.categories))
            else:
                labels.append(_sorted_labels(col))
        encoding = MixedEncoding(columns, levels, labels)
        series = [frame.iloc[:, j] for j in range(p)]
    else:
        names = [str(c) for c in frame.columns]
        missing = [c for c in encoding.columns if c not in names]
        if missing:
            raise InvalidInputError(
                f"{what}: column(s) {_quote(missing)} seen when fitting are missing", missing[0]
            )
        pos = {c: j for j, c in enumerate(names)}
        series = [frame.iloc[:, pos[c]] for c in encoding.columns]
    cat = encoding.categorical
    num = encoding.continuous
    # Column-major blocks: each column is written (and, by the per-column kernels, read) in one
    # contiguous run; consumers that want rows call np.ascontiguousarray.
    codes = np.empty((n, len(cat)), dtype=np.uint32, order="F")
    n_levels = np.empty(len(cat), dtype=np.uint32)
    for k, j in enumerate(cat):
        labs = encoding.labels[j] or []
        np.copyto(codes[:, k], _category_codes(series[j], labs), casting="unsafe")
        n_levels[k] = len(labs)
    numeric = np.empty((n, len(num)), dtype=np.float64, order="F")
    for k, j in enumerate(num):
        col = series[j]
        if not (pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype)):
            raise InvalidTypeError(
                f"{what}: column {encoding.columns[j]!r} was numeric when fitting, now "
                f"{col.dtype}",
                encoding.columns[j],
            )
        numeric[:, k] = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(numeric).any():
        bad = [encoding.columns[num[k]] for k in np.flatnonzero(np.isinf(numeric).any(axis=0))]
        raise InvalidInputError(f"{what}: infinite values in column(s) {_quote(bad)}", bad[0])
    ordinal_mask = np.array([encoding.levels[j] == ORDINAL for j in cat], dtype=bool)
    return MeasuredTable(codes, n_levels, ordinal_mask, numeric, frame.index, encoding)


@dataclass(frozen=True)
class TargetData:
    """An encoded target: class codes with their labels, or continuous values."""

    codes: np.ndarray | None  # uint32 class codes
    values: np.ndarray | None  # float64 values
    classes: list[Any]  # class labels (empty for a continuous target)
    name: str | None


def target(y: Any, n_rows: int, *, target_type: str = "auto") -> TargetData:
    """Encodes the target. "auto": categoricals, text, booleans and integers are classes,
    floats with a fractional part continuous."""
    if target_type not in ("auto", "categorical", "continuous"):
        raise InvalidInputError(
            f"target_type: must be 'auto', 'categorical' or 'continuous', got {target_type!r}",
            "target_type",
        )
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise InvalidInputError(f"y: expected one column, got {y.shape[1]}", "y")
        y = y.iloc[:, 0]
    s = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    name = None if s.name is None else str(s.name)
    if s.ndim != 1 or len(s) != n_rows:
        raise InvalidInputError(f"y: expected {n_rows} values (one per row), got {len(s)}", "y")
    dtype = s.dtype
    integer = isinstance(dtype, np.dtype) and dtype.kind in "iu"
    if not integer and s.isna().any():
        raise InvalidInputError(
            f"y: contains {int(s.isna().sum())} missing values; drop those rows", "y"
        )
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if target_type == "continuous" or (
        target_type == "auto"
        and numeric
        and pd.api.types.is_float_dtype(dtype)
        and not np.all(np.mod(s.to_numpy(dtype=np.float64), 1) == 0)
    ):
        if not numeric:
            raise InvalidTypeError(f"y: a continuous target must be numeric, got {dtype}", "y")
        values = np.ascontiguousarray(s.to_numpy(dtype=np.float64))
        if not np.isfinite(values).all():
            raise InvalidInputError("y: contains inf", "y")
        return TargetData(None, values, [], name)
    if isinstance(dtype, pd.CategoricalDtype):
        present = set(pd.unique(s).tolist())
        classes = [c for c in s.cat.categories if c in present]
        codes = pd.Categorical(s, categories=classes).codes.astype(np.uint32)
    elif isinstance(dtype, np.dtype) and dtype.kind in "iu":
        # Small-range integers (the usual class coding): a lookup table instead of a sort.
        values = s.to_numpy()
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 1 << 20:
            shifted = values - lo if lo != 0 else values
            seen = np.bincount(shifted, minlength=hi - lo + 1) > 0
            if seen.all():  # classes lo..hi all present: the codes are the shifted values
                codes = shifted.astype(np.uint32)
            else:
                codes = (np.cumsum(seen) - 1)[shifted].astype(np.uint32)
            classes = [int(v) + lo for v in np.flatnonzero(seen)]
        else:
            raw, uniques = pd.factorize(s, sort=True)
            classes, codes = [_py_scalar(c) for c in uniques], raw.astype(np.uint32)
    else:
        try:
            raw, uniques = pd.factorize(s, sort=True)
        except TypeError:  # mixed types: order of first appearance
            raw, uniques = pd.factorize(s)
        classes = [_py_scalar(c) for c in uniques]
        codes = raw.astype(np.uint32)
    if len(classes) < 2:
        raise InvalidInputError(
            f"y: has a single class ({classes[0]!r}); CHAID needs at least two", "y"
        )
    return TargetData(np.ascontiguousarray(codes), None, classes, name)


def _py_scalar(v: Any) -> Any:
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


# ---------------------------------------------------------------------------------------------
# Mixed tables for clustering (k-prototypes): `mixed` plus a missing-value policy


@dataclass(frozen=True)
class ClusterData(Rows):
    """A mixed table for clustering: complete rows only, unseen categories as MISSING_CODE
    (they match no prototype's mode)."""

    numeric: np.ndarray  # (n_kept, p) float64, C-contiguous, finite
    codes: np.ndarray  # (n_kept, q) uint32, C-contiguous
    n_levels: np.ndarray  # (q,) uint32
    encoding: MixedEncoding
    index: pd.Index
    kept: np.ndarray | None
    is_frame: bool

    @property
    def numeric_columns(self) -> list[str]:
        return [self.encoding.columns[j] for j in self.encoding.continuous]

    @property
    def categorical_columns(self) -> list[str]:
        return [self.encoding.columns[j] for j in self.encoding.categorical]


def cluster_table(
    X: Any,
    *,
    categorical: Sequence[Any] | None = None,
    encoding: MixedEncoding | None = None,
    missing: str = "raise",
    what: str = "X",
) -> ClusterData:
    """Encode `X` for mixed-data clustering.

    Categorical columns: those named (or numbered) in `categorical`, else every category, text
    and bool column; the others must be numeric. With the fitted `encoding` (new data), a
    category not seen in the fit matches no prototype. Missing values: "raise" names the
    columns and counts, "drop" leaves those rows out.
    """
    if missing not in MISSING_POLICIES:
        raise InvalidInputError(
            f"missing: must be one of {MISSING_POLICIES}, got {missing!r}", "missing"
        )
    is_frame = hasattr(X, "columns")
    if encoding is None and categorical is not None:
        X, declared = _declare_categorical(X, categorical, what)
        data = measured_table(X, what=what)
        stray = [
            data.encoding.columns[j]
            for j in data.encoding.categorical
            if data.encoding.columns[j] not in declared
        ]
        if stray:
            raise InvalidTypeError(
                f"{what}: column {stray[0]!r} is not numeric; list it in categorical= or drop it",
                stray[0],
            )
    else:
        data = measured_table(X, encoding=encoding, what=what)
    codes = np.where(data.codes == UNSEEN_CODE, MISSING_CODE, data.codes).astype(np.uint32)
    numeric = data.numeric
    enc = data.encoding
    absent = np.isnan(numeric).any(axis=1)
    counts = {
        enc.columns[j]: int(np.isnan(numeric[:, k]).sum()) for k, j in enumerate(enc.continuous)
    }
    was_missing = data.codes == MISSING_CODE
    absent |= was_missing.any(axis=1)
    counts.update(
        {enc.columns[j]: int(was_missing[:, k].sum()) for k, j in enumerate(enc.categorical)}
    )
    counts = {c: k for c, k in counts.items() if k}
    kept = None
    if counts:
        if missing == "raise":
            raise InvalidInputError(
                f"{what}: missing values (NaN) in "
                + ", ".join(f"column {c!r} ({k} missing)" for c, k in counts.items())
                + "; impute them, or pass missing='drop' to leave those rows out",
                next(iter(counts)),
            )
        kept = ~absent
        if not kept.any():
            raise InvalidInputError(f"{what}: every row has a missing value", what)
        numeric, codes = numeric[kept], codes[kept]
    return ClusterData(
        numeric=np.ascontiguousarray(numeric),
        codes=np.ascontiguousarray(codes),
        n_levels=data.n_levels,
        encoding=enc,
        index=data.index,
        kept=kept,
        is_frame=is_frame,
    )


def _declare_categorical(X: Any, categorical: Sequence[Any], what: str) -> tuple[Any, list[str]]:
    """A frame in which the columns named (or numbered) in `categorical` are unordered
    categoricals (the caller's frame is not modified), and their names."""
    frame = to_pandas(X, what=what)
    if frame is None:
        frame = pd.DataFrame(np.asarray(X)).infer_objects()
        frame.columns = [f"x{j}" for j in range(frame.shape[1])]
    names = [str(c) for c in frame.columns]
    declared = []
    for c in categorical:
        name = str(c)
        if name not in names and isinstance(c, numbers.Integral) and 0 <= int(c) < len(names):
            name = names[int(c)]
        if name not in names:
            raise InvalidInputError(f"categorical: no column {c!r} in {what}", "categorical")
        declared.append(name)
    frame = frame.set_axis(names, axis=1)
    converted = {
        c: frame[c].astype("category")
        for c in declared
        if not isinstance(frame[c].dtype, pd.CategoricalDtype)
    }
    return (frame.assign(**converted) if converted else frame), declared


@dataclass(frozen=True)
class GowerData:
    """A table in Gower's terms: interval columns (numbers, and ordinal categories as ranks;
    NaN = missing) and nominal codes (MISSING_CODE = missing, UNSEEN_CODE = a category not
    seen in the fit, unequal to every other)."""

    numeric: np.ndarray  # (n, p) float64
    codes: np.ndarray  # (n, q) uint32
    numeric_columns: list[str]
    nominal_columns: list[str]
    encoding: MixedEncoding
    index: pd.Index
    is_frame: bool


def gower_table(
    X: Any,
    *,
    categorical: Sequence[Any] | None = None,
    encoding: MixedEncoding | None = None,
    what: str = "X",
) -> GowerData:
    """Encode `X` for Gower distances (R daisy): numbers interval-scaled, ordered categoricals
    by rank, other categoricals / text / bool (and columns named in `categorical`) nominal."""
    is_frame = hasattr(X, "columns")
    if encoding is None and categorical is not None:
        X, _ = _declare_categorical(X, categorical, what)
    data = measured_table(X, encoding=encoding, what=what)
    enc = data.encoding
    cat_pos = {j: k for k, j in enumerate(enc.categorical)}
    numeric_parts, numeric_names, nominal_parts, nominal_names = [], [], [], []
    for k, j in enumerate(enc.continuous):
        numeric_parts.append(data.numeric[:, k])
        numeric_names.append(enc.columns[j])
    for j in enc.categorical:
        codes = data.codes[:, cat_pos[j]]
        if enc.levels[j] == ORDINAL:
            ranks = codes.astype(np.float64)
            ranks[(codes == MISSING_CODE) | (codes == UNSEEN_CODE)] = np.nan
            numeric_parts.append(ranks)
            numeric_names.append(enc.columns[j])
        else:
            nominal_parts.append(codes)
            nominal_names.append(enc.columns[j])
    n = len(data.index)
    numeric = np.column_stack(numeric_parts) if numeric_parts else np.empty((n, 0))
    nominal = np.column_stack(nominal_parts) if nominal_parts else np.empty((n, 0), np.uint32)
    return GowerData(
        numeric=np.ascontiguousarray(numeric, dtype=np.float64),
        codes=np.ascontiguousarray(nominal, dtype=np.uint32),
        numeric_columns=numeric_names,
        nominal_columns=nominal_names,
        encoding=enc,
        index=data.index,
        is_frame=is_frame,
    )


def segment_codes(
    labels: Any, index: pd.Index, *, negative_is_none: bool
) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """Segment labels -> codes 0..k-1 (sorted labels), the labels, and the mask of rows that
    have a segment. A Series is aligned on `index`; missing labels (and, with
    `negative_is_none`, negative integers such as the -1 of rows left out) mean "no segment"."""
    if isinstance(labels, pd.Series):
        if not labels.index.equals(index):
            if not labels.index.is_unique or not index.isin(labels.index).all():
                raise InvalidInputError(
                    "labels: the Series' index does not cover the rows of X", "labels"
                )
            labels = labels.reindex(index)
        values = labels.to_numpy()
    else:
        values = np.asarray(labels)
    if values.ndim != 1 or len(values) != len(index):
        raise InvalidInputError(
            f"labels: expected {len(index)} labels (one per row of X), got shape {values.shape}",
            "labels",
        )
    has = ~pd.isna(values)
    if negative_is_none and values.dtype.kind in "iu":
        has &= values >= 0
    if not has.any():
        raise InvalidInputError("labels: no row has a segment", "labels")
    cat = pd.Categorical(values[has])
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[has] = cat.codes
    return codes, pd.Index(cat.categories, name="segment"), has


# --- Conjoint: attributes, effects coding, long choice data -------------------------------------


def attribute_levels(col: pd.Series, name: str, what: str) -> list[Any]:
    """The levels of a conjoint attribute: a categorical's categories in order, else the sorted
    distinct values (missing values are not a level)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = list(col.cat.categories)
    else:
        levels = _sorted_labels(col)
    if len(levels) < 2:
        raise InvalidInputError(
            f"{what}: attribute {name!r} has {len(levels)} level(s); an attribute needs at "
            "least two levels to have part-worths",
            name,
        )
    return levels


def level_codes(col: pd.Series, levels: list[Any], name: str, what: str) -> np.ndarray:
    """0-based level codes (int64) of an attribute column; unknown or missing values raise."""
    if isinstance(col.dtype, pd.CategoricalDtype) and list(col.cat.categories) == list(levels):
        codes = col.cat.codes.to_numpy().astype(np.int64)
    elif len(col) <= 256:
        # A handful of profiles: a dict lookup beats pandas' hashing machinery.
        position = {lv: i for i, lv in enumerate(levels)}
        codes = np.array([position.get(v, -1) for v in col.tolist()], dtype=np.int64)
    else:
        # Factorize once (hashing), then map the few distinct values to level positions.
        uniq_codes, uniques = pd.factorize(col, use_na_sentinel=True)
        uniq_values = (
            uniques.astype(object) if isinstance(uniques, pd.CategoricalIndex) else uniques
        )
        pos = pd.Index(levels, dtype=object).get_indexer(pd.Index(uniq_values, dtype=object))
        codes = np.where(uniq_codes >= 0, pos[np.maximum(uniq_codes, 0)], -1).astype(np.int64)
    values = col.astype(object) if isinstance(col.dtype, pd.CategoricalDtype) else col
    if (codes < 0).any():
        bad = pd.unique(pd.Series(np.asarray(values, dtype=object)[codes < 0]))[:5]
        if pd.isna(bad).all():
            raise InvalidInputError(f"{what}: attribute {name!r} has missing values", name)
        raise InvalidInputError(
            f"{what}: attribute {name!r} has level(s) {list(bad)!r} that are not among its "
            f"levels {levels!r}",
            name,
        )
    return np.asarray(codes, dtype=np.int64)


def effects_coding(codes: np.ndarray, n_levels: int) -> np.ndarray:
    """Effects (sum-to-zero) coding: level l < L-1 -> unit vector e_l, the last level -> -1s."""
    out = np.zeros((len(codes), n_levels - 1))
    last = codes == n_levels - 1
    rows = np.flatnonzero(~last)
    out[rows, codes[rows]] = 1.0
    out[last] = -1.0
    return out


def numeric_attribute(col: pd.Series, name: str, what: str) -> np.ndarray:
    """A linear (numeric) attribute as float64; text and categories are a type error."""
    dtype = col.dtype
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or _is_text(dtype)
        or not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
        or pd.api.types.is_complex_dtype(dtype)
    ):
        raise InvalidTypeError(
            f"{what}: linear attribute {name!r} must be numeric, got dtype {dtype}", name
        )
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(values).all():
        raise InvalidInputError(
            f"{what}: linear attribute {name!r} has missing or infinite values", name
        )
    return values


@dataclass(frozen=True)
class ChoiceCoding:
    """How long choice data are turned into model-matrix columns; reused for new scenarios."""

    attributes: list[str]  # effects-coded categorical attributes
    levels: list[list[Any]]  # their levels
    linear: list[str]  # numeric attributes, one coefficient each
    alternative: str | None  # column of alternative labels (ASCs), if any
    asc_levels: list[Any]  # alternative labels that get a constant (all but the reference)
    none: str | None  # boolean column marking "none" rows, if any

    @property
    def names(self) -> list[str]:
        names = [
            f"{a}[{lv}]"
            for a, lv_all in zip(self.attributes, self.levels, strict=True)
            for lv in lv_all[:-1]
        ]
        names += list(self.linear)
        names += [f"ASC[{a}]" for a in self.asc_levels]
        if self.none is not None:
            names.append("NONE")
        return names

    @property
    def n_effects(self) -> int:
        """The effects-coded parameters come first: Σ (L − 1) of them."""
        return sum(len(lv) - 1 for lv in self.levels)

    def level_index(self) -> pd.MultiIndex:
        """(attribute, level) of every level of the effects-coded attributes."""
        pairs = [
            (a, lv) for a, lvs in zip(self.attributes, self.levels, strict=True) for lv in lvs
        ]
        return pd.MultiIndex.from_arrays(
            [[a for a, _ in pairs], [lv for _, lv in pairs]], names=["attribute", "level"]
        )

    def expand(self, beta: np.ndarray) -> np.ndarray:
        """Every level's part-worth from coefficients (..., K) in `names` order: each attribute's
        last level is minus the sum of the others."""
        parts, j = [], 0
        for levels in self.levels:
            c = beta[..., j : j + len(levels) - 1]
            parts += [c, -c.sum(axis=-1, keepdims=True)]
            j += len(levels) - 1
        if not parts:
            return np.zeros((*beta.shape[:-1], 0))
        return np.concatenate(parts, axis=-1)

    def matrix(
        self, data: pd.DataFrame, what: str, none_rows: np.ndarray | None = None
    ) -> np.ndarray:
        """The model matrix of `data` (rows in the given order); `none_rows` marks rows that are
        the "none" option (all zero but the NONE column)."""
        for name in [*self.attributes, *self.linear]:
            if name not in data.columns:
                raise InvalidInputError(f"{what}: attribute column {name!r} is missing", name)
        n = len(data)
        is_none = np.zeros(n, dtype=bool) if none_rows is None else none_rows
        real = ~is_none
        blocks = []
        every = bool(real.all())
        for name, levels in zip(self.attributes, self.levels, strict=True):
            if every:
                blocks.append(
                    effects_coding(level_codes(data[name], levels, name, what), len(levels))
                )
                continue
            block = np.zeros((n, len(levels) - 1))
            if real.any():
                codes = level_codes(data[name][real], levels, name, what)
                block[real] = effects_coding(codes, len(levels))
            blocks.append(block)
        for name in self.linear:
            if every:
                blocks.append(numeric_attribute(data[name], name, what)[:, None])
                continue
            col = np.zeros(n)
            if real.any():
                col[real] = numeric_attribute(data[name][real], name, what)
            blocks.append(col[:, None])
        if self.asc_levels:
            assert self.alternative is not None
            alt = data[self.alternative].to_numpy(dtype=object)
            for a in self.asc_levels:
                blocks.append(((alt == a) & real).astype(np.float64)[:, None])
        if self.none is not None:
            blocks.append(is_none.astype(np.float64)[:, None])
        if not blocks:
            raise InvalidInputError(f"{what}: no attributes to estimate", "attributes")
        return np.ascontiguousarray(np.hstack(blocks))


@dataclass(frozen=True)
class ChoiceData:
    """Long choice data sorted by respondent and task, ready for the Rust kernels."""

    x: np.ndarray  # (n_rows, K) model matrix
    starts: np.ndarray  # (n_tasks + 1,) int64 row offsets of the tasks
    chosen: np.ndarray  # (n_tasks,) int64 absolute row of each task's choice
    respondent_starts: np.ndarray  # (n_respondents + 1,) int64 task offsets of the respondents
    respondents: pd.Index  # respondent ids, in order of first appearance
    coding: ChoiceCoding


def _boolean_column(col: pd.Series, name: str, what: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col.dtype):
        if col.isna().any():
            raise InvalidInputError(f"{what}: column {name!r} has missing values", name)
        return col.to_numpy(dtype=bool)
    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_complex_dtype(col.dtype):
        raise InvalidTypeError(
            f"{what}: column {name!r} must be boolean or 0/1, got dtype {col.dtype}", name
        )
    v = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isin(v, (0.0, 1.0)).all():
        raise InvalidInputError(f"{what}: column {name!r} must hold only 0/1 (or booleans)", name)
    return v == 1.0


def choice_data(
    data: Any,
    *,
    respondent: str,
    task: str,
    chosen: str,
    attributes: Sequence[str] | None,
    linear: Sequence[str] | None,
    alternative: str | None,
    asc_reference: Any,
    none: str | None,
    what: str = "data",
) -> ChoiceData:
    """Validates and encodes long choice data (one row per respondent x task x alternative)."""
    frame = to_pandas(data, what=what)
    if frame is None:
        raise InvalidTypeError(f"{what}: must be a data frame in long format", what)
    if len(frame) == 0:
        raise InvalidInputError(f"{what}: has no rows", what)
    linear = [] if linear is None else list(linear)
    special = {respondent, task, chosen}
    for name, role in (
        (respondent, "respondent"),
        (task, "task"),
        (chosen, "chosen"),
        (alternative, "alternative"),
        (none, "none"),
    ):
        if name is not None and name not in frame.columns:
            raise InvalidInputError(f"{role}: column {name!r} is not in {what}", role)
    if alternative is not None:
        special.add(alternative)
    if none is not None:
        special.add(none)
    for name in linear:
        if name not in frame.columns:
            raise InvalidInputError(f"linear: column {name!r} is not in {what}", "linear")
    if attributes is None:
        attributes = [c for c in frame.columns if c not in special and c not in linear]
    else:
        attributes = list(attributes)
        for name in attributes:
            if name not in frame.columns:
                raise InvalidInputError(
                    f"attributes: column {name!r} is not in {what}", "attributes"
                )
    overlap = set(attributes) & set(linear)
    if overlap:
        raise InvalidInputError(
            f"attributes: {sorted(overlap)!r} are named both as attributes and as linear",
            "attributes",
        )
    for col in (respondent, task):
        if frame[col].isna().any():
            raise InvalidInputError(f"{what}: column {col!r} has missing values", col)
    is_chosen = _boolean_column(frame[chosen], chosen, what)
    none_rows = None if none is None else _boolean_column(frame[none], none, what)
    real = slice(None) if none_rows is None else ~none_rows
    levels = [attribute_levels(frame[a][real], a, what) for a in attributes]
    asc_levels: list[Any] = []
    if alternative is not None:
        alt_col = frame[alternative][real]
        alts = (
            [a for a in alt_col.cat.categories if (alt_col == a).any()]
            if isinstance(alt_col.dtype, pd.CategoricalDtype)
            else _sorted_labels(alt_col)
        )
        if asc_reference is None:
            ref = alts[-1]
        elif asc_reference in alts:
            ref = asc_reference
        else:
            raise InvalidInputError(
                f"asc_reference: {asc_reference!r} is not an alternative of column "
                f"{alternative!r} ({alts!r})",
                "asc_reference",
            )
        asc_levels = [a for a in alts if a != ref]
    coding = ChoiceCoding(attributes, levels, linear, alternative, asc_levels, none)
    resp_codes, respondents = pd.factorize(frame[respondent], sort=False)
    task_raw, task_uniques = pd.factorize(frame[task], sort=False)
    task_codes, _ = pd.factorize(
        resp_codes.astype(np.int64) * max(len(task_uniques), 1) + task_raw, sort=False
    )
    # Respondents in order of first appearance, each one's tasks contiguous and in order of
    # first appearance; tasks renumbered in that order.
    order = np.lexsort((task_codes, resp_codes))
    sorted_tasks = task_codes[order]
    first = np.flatnonzero(np.r_[True, sorted_tasks[1:] != sorted_tasks[:-1]])
    n_tasks = len(first)
    starts = np.append(first, len(order)).astype(np.int64)
    task_codes = np.empty_like(task_codes)
    task_codes[order] = np.repeat(np.arange(n_tasks), np.diff(starts))
    sizes = np.diff(starts)
    n_chosen = np.bincount(task_codes, weights=is_chosen, minlength=n_tasks)
    bad = np.flatnonzero(n_chosen != 1)
    if len(bad):
        t = bad[0]
        row = order[starts[t]]
        raise InvalidInputError(
            f"{chosen}: {len(bad)} task(s) do not have exactly one chosen alternative, e.g. "
            f"{respondent}={frame[respondent].iloc[row]!r}, {task}={frame[task].iloc[row]!r} "
            f"has {int(n_chosen[t])}",
            chosen,
        )
    small = np.flatnonzero(sizes < 2)
    if len(small):
        row = order[starts[small[0]]]
        raise InvalidInputError(
            f"{task}: {len(small)} task(s) have a single alternative, e.g. "
            f"{respondent}={frame[respondent].iloc[row]!r}, {task}={frame[task].iloc[row]!r}",
            task,
        )
    x = np.ascontiguousarray(coding.matrix(frame, what, none_rows)[order])
    chosen_rows = np.flatnonzero(is_chosen[order])
    groups = np.asarray(resp_codes[order][starts[:-1]], dtype=np.int64)
    return ChoiceData(
        x=x,
        starts=starts,
        chosen=chosen_rows.astype(np.int64),
        respondent_starts=np.searchsorted(groups, np.arange(len(respondents) + 1)).astype(
            np.int64
        ),
        respondents=pd.Index(respondents, name=respondent),
        coding=coding,
    )


def profiles_frame(profiles: Any, what: str = "profiles") -> pd.DataFrame:
    """Conjoint profiles or scenario products: a non-empty data frame, column names as str."""
    frame = to_pandas(profiles, what=what)
    if frame is None:
        raise InvalidTypeError(f"{what}: must be a data frame of attribute columns", what)
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InvalidInputError(f"{what}: is empty (shape {frame.shape})", what)
    return frame.set_axis([str(c) for c in frame.columns], axis=1)


def rating_matrix(
    ratings: Any,
    profiles: pd.Index,
    respondent: str | None,
    profile: str | None,
    rating: str | None,
) -> tuple[np.ndarray, pd.Index]:
    """Ratings as a respondents × profiles float block (in the order of `profiles`, the profiles'
    row labels) with the respondent ids: wide (one column per profile) or long (the columns
    named by `respondent`, `profile`, `rating`). Every respondent rates every profile once."""
    long = (respondent, profile, rating)
    if any(v is not None for v in long):
        if any(v is None for v in long):
            raise InvalidInputError(
                "ratings: long format needs all of respondent=, profile= and rating=",
                "ratings",
            )
        frame = to_pandas(ratings, what="ratings")
        if frame is None:
            raise InvalidTypeError("ratings: long format needs a data frame", "ratings")
        for col in long:
            if col not in frame.columns:
                raise InvalidInputError(f"ratings: column {col!r} is missing", col)
        pos = profiles.get_indexer(frame[profile])
        if (pos < 0).any():
            bad = frame[profile][pos < 0].iloc[0]
            raise InvalidInputError(
                f"ratings: profile {bad!r} is not a row label of profiles", profile
            )
        resp_codes, respondents = pd.factorize(frame[respondent], sort=False)
        if (resp_codes < 0).any():
            raise InvalidInputError(
                f"ratings: column {respondent!r} has missing values", respondent
            )
        counts = np.zeros((len(respondents), len(profiles)), dtype=np.int64)
        np.add.at(counts, (resp_codes, pos), 1)
        if (counts != 1).any():
            r, p = np.argwhere(counts != 1)[0]
            raise InvalidInputError(
                f"ratings: respondent {respondents[r]!r} rated profile "
                f"{profiles[p]!r} {counts[r, p]} times; every respondent must rate "
                "every profile once",
                "ratings",
            )
        values = _numeric_ratings(frame[rating], rating)
        y = np.empty((len(respondents), len(profiles)))
        y[resp_codes, pos] = values
        return y, pd.Index(respondents, name=respondent)
    frame = to_pandas(ratings, what="ratings")
    if frame is None:
        arr = np.asarray(ratings)
        if arr.ndim != 2:
            raise InvalidInputError(
                "ratings: must be respondents × profiles (2-D) or long format", "ratings"
            )
        frame = pd.DataFrame(arr)
    if frame.shape[1] != len(profiles):
        raise InvalidInputError(
            f"ratings: {frame.shape[1]} columns for {len(profiles)} profiles; pass one "
            "column per profile (in the order of the profiles' rows) or long format",
            "ratings",
        )
    if frame.shape[0] == 0:
        raise InvalidInputError("ratings: has no respondents", "ratings")
    numeric = all(
        pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
        for t in frame.dtypes
    )
    fast: np.ndarray | None = (
        frame.to_numpy(dtype=np.float64, na_value=np.nan) if numeric else None
    )
    if fast is not None and np.isfinite(fast.sum()):
        return fast, frame.index
    # Slow path: finds the column to name in the error.
    y = np.column_stack(
        [_numeric_ratings(frame.iloc[:, j], frame.columns[j]) for j in range(frame.shape[1])]
    )
    return y, frame.index


def _numeric_ratings(col: pd.Series, name: Any) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        raise InvalidTypeError(
            f"ratings: column {name!r} must be numeric, got dtype {col.dtype}", str(name)
        )
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(values).all():
        raise InvalidInputError(
            f"ratings: column {name!r} has missing or infinite ratings; every respondent must "
            "rate every profile",
            str(name),
        )
    return values


def covariate_matrix(covariates: Any, respondents: pd.Index) -> tuple[np.ndarray, list[str]]:
    """Upper-level covariates of a hierarchical model aligned with `respondents`: (1, z_i) rows
    (a column of ones first) and their names."""
    if covariates is None:
        return np.ones((len(respondents), 1)), ["intercept"]
    frame = to_pandas(covariates, what="covariates")
    if frame is None:
        raise InvalidInputError(
            "covariates: must be a data frame indexed by respondent id", "covariates"
        )
    missing = respondents.difference(frame.index)
    if len(missing):
        raise InvalidInputError(
            f"covariates: no row for {len(missing)} respondent(s), e.g. {missing[0]!r}",
            "covariates",
        )
    if frame.index.has_duplicates:
        raise InvalidInputError("covariates: respondent ids must be unique", "covariates")
    frame = frame.loc[respondents]
    cols = []
    for c in frame.columns:
        col = frame[c]
        if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            if pd.api.types.is_bool_dtype(col.dtype):
                col = col.astype(np.float64)
            else:
                raise InvalidInputError(
                    f"covariates: column {c!r} must be numeric (dummy-code categories)", str(c)
                )
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.isfinite(v).all():
            raise InvalidInputError(f"covariates: column {c!r} has missing values", str(c))
        cols.append(v)
    z = np.column_stack([np.ones(len(respondents)), *cols])
    return np.ascontiguousarray(z), ["intercept", *[str(c) for c in frame.columns]]
