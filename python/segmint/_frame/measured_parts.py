"""Measured tables and targets whose rows come in partitions (a Dask DataFrame): what each
partition reports about its labels, and the encoding of the whole table merged from those
reports, equal to :func:`measured.measured_table` / :func:`measured.target` on all rows at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidInputError, InvalidTypeError
from .measured import (
    CONTINUOUS,
    MixedEncoding,
    TargetData,
    _column_level,
    _numeric_target,
    is_continuous_target,
    ordinal_columns,
    sorted_labels,
    target,
)
from .table import quote


def column_levels(meta: Any, ordinal: Sequence[str] | None, what: str = "X") -> list[str]:
    """The measurement level of every column of an (empty) frame with the data's dtypes, with
    the checks :func:`measured_table` makes before reading values (unique names, known ordinal
    columns, supported dtypes), so bad input is named before any partition is read."""
    if not isinstance(meta, pd.DataFrame):
        raise InvalidInputError(
            f"{what}: expected a Dask DataFrame of predictors, got {type(meta).__name__}", what
        )
    columns = [str(c) for c in meta.columns]
    if not columns:
        raise InvalidInputError(f"{what}: has no columns (n_features=0)", what)
    wanted = ordinal_columns(columns, ordinal, what)
    return [_column_level(meta.iloc[:, j], name, wanted, what) for j, name in enumerate(columns)]


def label_summary(part: pd.DataFrame, levels: Sequence[str]) -> list[dict[str, Any]]:
    """Per column of one partition: non-missing and infinite value counts, and the distinct
    labels (categorical columns; in order of first appearance, with the column's dtype) or the
    categories (categorical dtype)."""
    out = []
    for j, level in enumerate(levels):
        col = part.iloc[:, j]
        info: dict[str, Any] = {"present": int(col.notna().sum())}
        if level == CONTINUOUS:
            values = col.to_numpy(dtype=np.float64, na_value=np.nan)
            info["inf"] = int(np.isinf(values).sum())
        elif isinstance(col.dtype, pd.CategoricalDtype):
            info["categories"] = list(col.cat.categories)
        else:
            info["labels"] = col.dropna().drop_duplicates()
        out.append(info)
    return out


def merged_encoding(
    meta: pd.DataFrame, levels: list[str], summaries: list[list[dict[str, Any]]], what: str = "X"
) -> MixedEncoding:
    """The encoding :func:`measured_table` gives all rows, from every partition's
    :func:`label_summary` (in partition order)."""
    columns = [str(c) for c in meta.columns]
    labels: list[list[Any] | None] = []
    for j, name in enumerate(columns):
        infos = [s[j] for s in summaries]
        if sum(i["present"] for i in infos) == 0:
            raise InvalidInputError(
                f"{what}: column {name!r} has only missing values; drop it", name
            )
        if levels[j] == CONTINUOUS:
            labels.append(None)
        elif "categories" in infos[0]:
            cats = infos[0]["categories"]
            if any(i["categories"] != cats for i in infos):
                raise InvalidInputError(
                    f"{what}: column {name!r} has different categories in different "
                    "partitions; make them known with ddf.categorize() or astype a "
                    "CategoricalDtype",
                    name,
                )
            labels.append(list(cats))
        else:
            # Distinct values of all partitions in order of first appearance: what pd.unique
            # sees on the whole column.
            seen = pd.concat([i["labels"] for i in infos], ignore_index=True)
            labels.append(sorted_labels(seen, name, what))
    bad = [
        columns[j]
        for j in range(len(columns))
        if levels[j] == CONTINUOUS and sum(s[j]["inf"] for s in summaries) > 0
    ]
    if bad:
        raise InvalidInputError(f"{what}: infinite values in column(s) {quote(bad)}", bad[0])
    return MixedEncoding(columns, list(levels), labels)


def target_summary(y: Any, target_type: str = "auto") -> dict[str, Any]:
    """One partition of the target: rows, missing values (not counted for integer dtypes, as
    :func:`target` does) and whether :func:`target`'s rule makes it continuous; for classes its
    distinct values in order of first appearance with y's dtype, for a continuous target no
    values, only what :func:`target` checks (numeric dtype, infinities)."""
    s = y.iloc[:, 0] if isinstance(y, pd.DataFrame) else y
    if not isinstance(s, pd.Series):
        s = pd.Series(np.asarray(s))
    dtype = s.dtype
    integer = isinstance(dtype, np.dtype) and dtype.kind in "iu"
    summary = {
        "n": len(s),
        "missing": 0 if integer else int(s.isna().sum()),
        "name": None if s.name is None else str(s.name),
        "continuous": is_continuous_target(s, target_type),
    }
    if not summary["continuous"]:
        return {**summary, "labels": s.dropna().drop_duplicates()}
    numeric = _numeric_target(dtype)
    inf = int(np.isinf(s.dropna().to_numpy(dtype=np.float64)).sum()) if numeric else 0
    return {**summary, "numeric": numeric, "dtype": dtype, "inf": inf}


def merged_target(summaries: list[dict[str, Any]], target_type: str) -> TargetData:
    """The target :func:`target` finds on all rows, from every partition's
    :func:`target_summary` (its errors in its order): the classes, or for a continuous target
    ``values`` set to an empty array (the values stay on the partitions)."""
    missing = sum(s["missing"] for s in summaries)
    if missing:
        raise InvalidInputError(f"y: contains {missing} missing values; drop those rows", "y")
    if any(s["continuous"] for s in summaries):
        bad = [s["dtype"] for s in summaries if s["continuous"] and not s["numeric"]]
        if bad:
            raise InvalidTypeError(f"y: a continuous target must be numeric, got {bad[0]}", "y")
        if sum(s["inf"] for s in summaries if s["continuous"]):
            raise InvalidInputError("y: contains inf", "y")
        return TargetData(None, np.zeros(0), [], summaries[0]["name"])
    distinct = pd.concat([s["labels"] for s in summaries], ignore_index=True)
    distinct = distinct.drop_duplicates().reset_index(drop=True)
    distinct.name = summaries[0]["name"]
    if len(distinct) == 0:
        raise InvalidInputError("y: has no values", "y")
    return target(distinct, len(distinct), target_type=target_type)


def target_values(y: Any) -> np.ndarray:
    """One partition's values of a continuous target (float64, contiguous)."""
    s = y.iloc[:, 0] if isinstance(y, pd.DataFrame) else y
    return np.ascontiguousarray(np.asarray(s, dtype=np.float64))


def target_codes(y: Any, classes: Sequence[Any]) -> np.ndarray:
    """One partition's class codes (uint32) for the merged `classes`."""
    s = y.iloc[:, 0] if isinstance(y, pd.DataFrame) else y
    if not isinstance(s, pd.Series):
        s = pd.Series(np.asarray(s))
    # The partition's distinct labels looked up once, then spread to the rows.
    raw, uniques = pd.factorize(s)
    lut = pd.Index(list(classes), dtype=object).get_indexer(pd.Index(uniques).astype(object))
    if (lut < 0).any() or (raw < 0).any():
        raise InvalidTypeError(
            f"y: labels {quote(list(uniques[lut < 0])[:3])} are not among the classes "
            f"{list(classes)}",
            "y",
        )
    return np.ascontiguousarray(lut[raw], dtype=np.uint32)
