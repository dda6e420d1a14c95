"""Mixed tables for clustering (k-prototypes, Gower) and segment labels as codes."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import type_of_target

from ..errors import InvalidInputError, InvalidTypeError
from .measured import ORDINAL, UNSEEN_CODE, MixedEncoding, measured_table
from .table import MISSING_CODE, MISSING_POLICIES, Rows, to_pandas


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
    unseen: str = "missing",
) -> ClusterData:
    """Encode `X` for mixed-data clustering.

    Categorical columns: those named (or numbered) in `categorical`, else every category, text
    and bool column; the others must be numeric. With the fitted `encoding` (new data), a
    category not seen in the fit matches no prototype (`unseen="missing"`) or raises an error
    naming the column and the category (`unseen="raise"`). Missing values: "raise" names the
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
    if unseen == "raise":
        _raise_unseen(X, data.codes, data.encoding, what)
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


def _raise_unseen(X: Any, codes: np.ndarray, enc: MixedEncoding, what: str) -> None:
    """An error naming the first categorical column with a category not seen in the fit."""
    unseen = codes == UNSEEN_CODE
    if not unseen.any():
        return
    k = int(np.flatnonzero(unseen.any(axis=0))[0])
    name = enc.columns[enc.categorical[k]]
    row = int(np.flatnonzero(unseen[:, k])[0])
    value: Any = None
    frame = to_pandas(X, what=what)
    if frame is not None and name in frame.columns:
        value = frame[name].iloc[row]
    shown = f" ({value!r})" if value is not None else ""
    raise InvalidInputError(
        f"{what}: column {name!r} has a category{shown} not seen in the fit "
        f"({int(unseen[:, k].sum())} row(s)); map it to a known category or drop those rows",
        name,
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
        # pandas has no float16 index, so no float16 categories: widen first (exact).
        c: (frame[c].astype(np.float64) if frame[c].dtype == np.float16 else frame[c]).astype(
            "category"
        )
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


def aligned_labels(labels: Any, index: pd.Index, what: str) -> np.ndarray:
    """One label per row of X: a Series aligned on `index` (it must cover every row), any other
    sequence taken in order; the shape checked."""
    if isinstance(labels, pd.Series):
        if not labels.index.equals(index):
            if not labels.index.is_unique or not index.isin(labels.index).all():
                raise InvalidInputError(
                    f"{what}: the Series' index does not cover the rows of X", what
                )
            labels = labels.reindex(index)
        values = labels.to_numpy()
    else:
        values = np.asarray(labels)
        if values.ndim == 2 and values.shape[1] == 1 and what == "y":
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please change the "
                "shape of y to (n_samples, ), for example using ravel().",
                DataConversionWarning,
                stacklevel=5,  # aligned_labels, class_codes, fit, its wrapper, the caller
            )
            values = values.ravel()
    if values.ndim != 1 or len(values) != len(index):
        raise InvalidInputError(
            f"{what}: expected {len(index)} labels (one per row of X), got shape {values.shape}",
            what,
        )
    return values


def segment_codes(
    labels: Any, index: pd.Index, *, negative_is_none: bool
) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """Segment labels -> codes 0..k-1 (sorted labels), the labels, and the mask of rows that
    have a segment. A Series is aligned on `index`; missing labels (and, with
    `negative_is_none`, negative integers such as the -1 of rows left out) mean "no segment"."""
    values = aligned_labels(labels, index, "labels")
    has = ~pd.isna(values)
    if negative_is_none and values.dtype.kind in "iu":
        has &= values >= 0
    if not has.any():
        raise InvalidInputError("labels: no row has a segment", "labels")
    cat = pd.Categorical(values[has])
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[has] = cat.codes
    return codes, pd.Index(cat.categories, name="segment"), has


def observed_classes(values: Any, dtype: Any) -> np.ndarray:
    """The classes :func:`class_codes` gives labels of dtype `dtype` whose distinct values are
    `values` (e.g. gathered from the partitions of a Dask Series): observed categories in
    category order, other labels sorted as ``np.unique`` sorts them; missing values left out."""
    values = np.asarray(values)
    if isinstance(dtype, pd.CategoricalDtype):
        observed = set(pd.Series(values).dropna().tolist())
        return np.asarray([c for c in dtype.categories if c in observed])
    try:
        return np.unique(values[~pd.isna(values)])
    except TypeError as e:
        raise InvalidInputError(f"y: labels of mixed types cannot be ordered ({e})", "y") from e


def class_codes(
    y: Any, index: pd.Index, classes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Class labels of a classifier's y -> (codes 0..g-1, classes); every row needs a class.
    A Series is aligned on `index`; categories keep their order (observed ones only), other
    labels are sorted as ``np.unique`` does. With `classes` (a superset of the labels, e.g. all
    partitions' classes) the codes index into those and they are returned."""
    if classes is not None:
        local, seen = class_codes(y, index)
        return pd.Index(classes).get_indexer(seen)[local], np.asarray(classes)
    categories = None
    if y is None:
        raise InvalidInputError(
            "y: DiscriminantAnalysis requires y to be passed, but the target y is None", "y"
        )
    if isinstance(y, pd.Series) and isinstance(y.dtype, pd.CategoricalDtype):
        categories = y.cat.categories
    values = aligned_labels(y, index, "y")
    missing = pd.isna(values)
    if missing.any():
        raise InvalidInputError(
            f"y: Input y contains NaN: {int(missing.sum())} row(s) have no segment (missing "
            "label); leave them out of the fit and score them with predict_proba",
            "y",
        )
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise InvalidInputError("y: Input y contains infinity", "y")
    if categories is None:
        with np.errstate(invalid="ignore"):  # labels like 1e300: scikit-learn's int cast
            kind = type_of_target(values)
        if kind not in ("binary", "multiclass"):
            if kind == "unknown" and values.dtype == object:
                pass
            else:
                raise InvalidInputError(
                    f"y: Unknown label type: {kind!r}; discriminant analysis needs segment "
                    "labels (classes), not a continuous target",
                    "y",
                )
        try:
            classes, codes = np.unique(values, return_inverse=True)
        except TypeError as e:
            raise InvalidInputError(
                f"y: labels of mixed types cannot be ordered ({e})", "y"
            ) from e
    else:
        cat = pd.Categorical(values, categories=categories)
        present = np.bincount(cat.codes, minlength=len(categories)) > 0
        classes = np.asarray(categories[present])
        remap = np.cumsum(present) - 1
        codes = remap[cat.codes]
    return np.ascontiguousarray(codes, dtype=np.int64), classes
