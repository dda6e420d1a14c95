"""Tables with measurement levels (nominal / ordinal / continuous) and targets, for CHAID and the
mixed-type clusterers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidInputError, InvalidTypeError
from .table import MISSING_CODE, check_shape, plain_array, py_scalar, quote, to_pandas

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


def is_text(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def sorted_labels(values: pd.Series, name: Any = None, what: str = "X") -> list[Any]:
    try:
        uniq = pd.unique(values.dropna())
    except TypeError as e:  # unhashable cells (lists, dicts)
        raise InvalidTypeError(
            f"{what}: column {name!r} holds values that cannot be category labels ({e}); "
            "argument must be a string or a number",
            str(name),
        ) from e
    try:
        return sorted(uniq.tolist())
    except TypeError:  # mixed types: keep the order of first appearance
        return list(uniq.tolist())


def _column_level(col: pd.Series, name: str, ordinal: set[str], what: str) -> str:
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return ORDINAL if (dtype.ordered or name in ordinal) else NOMINAL
    if pd.api.types.is_bool_dtype(dtype) or is_text(dtype):
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
        if values.dtype == np.float16:  # pandas has no float16 index; float64 holds them exactly
            values = values.astype(np.float64)
        codes = pd.Index(labels, dtype=object).get_indexer(values).astype(np.int64)
    out = codes.astype(np.uint32)
    missing = np.asarray(col.isna())
    out[codes < 0] = UNSEEN_CODE
    out[missing] = MISSING_CODE
    return out


def ordinal_columns(columns: list[str], ordinal: Sequence[str] | None, what: str) -> set[str]:
    """The columns named ordinal, after checking that the column names are unique and that every
    ordinal column exists (the checks before any value is read)."""
    if len(set(columns)) != len(columns):
        raise InvalidInputError(f"{what}: column names must be unique", what)
    wanted = set(ordinal or ())
    unknown = sorted(wanted - set(columns))
    if unknown:
        raise InvalidInputError(
            f"ordinal: unknown column(s) {quote(unknown)}; X has {quote(columns)}", "ordinal"
        )
    return wanted


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
        arr = plain_array(X, what)
        frame = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
        if arr.dtype == object:  # numbers stored as objects are numbers, not categories
            frame = frame.infer_objects()
    n, p = frame.shape
    check_shape(n, p if encoding is None else max(p, 1), what)
    if encoding is None:
        columns = [str(c) for c in frame.columns]
        wanted = ordinal_columns(columns, ordinal, what)
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
                labels.append(sorted_labels(col, name, what))
        encoding = MixedEncoding(columns, levels, labels)
        positions = list(range(p))
    else:
        names = [str(c) for c in frame.columns]
        missing = [c for c in encoding.columns if c not in names]
        if missing:
            raise InvalidInputError(
                f"{what}: column(s) {quote(missing)} seen when fitting are missing", missing[0]
            )
        pos = {c: j for j, c in enumerate(names)}
        positions = [pos[c] for c in encoding.columns]
    series = [frame.iloc[:, j] for j in positions]
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
    for j in num:
        col = series[j]
        if not (pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype)):
            raise InvalidTypeError(
                f"{what}: column {encoding.columns[j]!r} was numeric when fitting, now "
                f"{col.dtype}",
                encoding.columns[j],
            )
    if num and all(series[j].dtype == np.float64 for j in num):
        # Plain float64 columns: pandas hands over the caller's own block (a zero-copy,
        # read-only, column-major view) when it holds these columns together in this order,
        # else one copy. The kernels only read it.
        numeric = np.asfortranarray(
            frame.iloc[:, [positions[j] for j in num]].to_numpy(dtype=np.float64, copy=False)
        )
    else:
        numeric = np.empty((n, len(num)), dtype=np.float64, order="F")
        for k, j in enumerate(num):
            numeric[:, k] = series[j].to_numpy(dtype=np.float64, na_value=np.nan)
    # One column at a time: a temporary of n bytes, not n × columns.
    bad = [encoding.columns[j] for k, j in enumerate(num) if np.isinf(numeric[:, k]).any()]
    if bad:
        raise InvalidInputError(f"{what}: infinite values in column(s) {quote(bad)}", bad[0])
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
    numeric = _numeric_target(dtype)
    if is_continuous_target(s, target_type):
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
            classes, codes = [py_scalar(c) for c in uniques], raw.astype(np.uint32)
    else:
        try:
            raw, uniques = pd.factorize(s, sort=True)
        except TypeError:  # mixed types: order of first appearance
            raw, uniques = pd.factorize(s)
        classes = [py_scalar(c) for c in uniques]
        codes = raw.astype(np.uint32)
    if len(classes) < 2:
        raise InvalidInputError(
            f"y: has a single class ({classes[0]!r}), 1 class; CHAID needs at least two", "y"
        )
    return TargetData(np.ascontiguousarray(codes), None, classes, name)


def _numeric_target(dtype: Any) -> bool:
    """Numbers a continuous target may hold (booleans are classes)."""
    return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


def is_continuous_target(s: pd.Series, target_type: str) -> bool:
    """The rule of :func:`target`: "continuous", or under "auto" floats with a fractional part
    (missing values aside)."""
    return target_type == "continuous" or (
        target_type == "auto"
        and _numeric_target(s.dtype)
        and pd.api.types.is_float_dtype(s.dtype)
        and not _whole(s.dropna().to_numpy(dtype=np.float64))
    )


def _whole(values: np.ndarray) -> bool:
    """Every value a whole number (inf is not; no numpy warning for it)."""
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.mod(values, 1) == 0))
