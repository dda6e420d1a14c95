"""CHAID's sufficient statistics for partitioned (group-by) builds: the per-node contingency
tables of a level (:func:`node_tables`), summed over partitions, and SPSS's merge of one
predictor's categories from such a table (:func:`merge_table`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _core, _frame, _validation
from .errors import InvalidInputError

#: A significance level: strictly between 0 and 1.
_ALPHA = _validation.Interval(0.0, 1.0, closed="neither")

# --- The sufficient statistics, for partitioned (group-by) builds -------------------------------


def node_tables(
    codes: np.ndarray,
    n_levels: Sequence[int],
    y: np.ndarray,
    n_classes: int,
    nodes: np.ndarray,
    n_nodes: int,
    *,
    sample_weight: np.ndarray | None = None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """CHAID's sufficient statistics: weighted contingency tables per node and predictor.

    ``codes`` (rows × predictors, integer category codes ``0..n_levels[j]``, negative = missing),
    ``y`` (class codes ``0..n_classes``), ``nodes`` (each row's node ``0..n_nodes``, negative =
    not in an open node). NaN codes in float input count as missing; codes that are not whole
    numbers, or too large for 32 bits, are refused (``InvalidInputError``), as is a table too
    large to allocate. Returns an array ``(n_nodes, predictors, max(n_levels) + 1,
    n_classes)``; slot ``n_levels[j]`` of predictor j holds its missing values. Tables of
    disjoint row partitions add up to the tables of all rows, so a distributed driver (e.g. Dask:
    one call per partition, then a sum) can grow the tree level by level and decide every split
    with :func:`merge_table` on the summed tables.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_predictors)
        Integer category codes per predictor, negative for missing.
    n_levels : sequence of int
        Number of categories of each predictor.
    y : ndarray of shape (n_samples,)
        Class codes ``0..n_classes``.
    n_classes : int
        Number of classes.
    nodes : ndarray of shape (n_samples,)
        Each row's open node ``0..n_nodes``, negative when the row is in no open node.
    n_nodes : int
        Number of open nodes.
    sample_weight : ndarray of shape (n_samples,), default None
        Frequency weights.
    n_jobs : int or None, default None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores.

    Returns
    -------
    ndarray of shape (n_nodes, n_predictors, max(n_levels) + 1, n_classes)
        Weighted counts.

    See Also
    --------
    merge_table : the merge and the test of one predictor on a table.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.chaid import node_tables
    >>> codes = np.array([[0], [0], [1], [1], [-1]])
    >>> y = np.array([0, 1, 1, 1, 0])
    >>> t = node_tables(codes, [2], y, 2, np.zeros(5, dtype=np.int64), 1)
    >>> t.shape
    (1, 1, 3, 2)
    >>> t[0, 0]
    array([[1., 1.],
           [0., 2.],
           [1., 0.]])
    """
    c = _integer_codes(codes, "codes", missing_ok=True)
    if c.ndim != 2:
        raise InvalidInputError("codes: must be 2-D (rows × predictors)", "codes")
    if isinstance(n_levels, str | bytes) or not isinstance(n_levels, Sequence | np.ndarray):
        raise InvalidInputError("n_levels: must be a sequence of integers", "n_levels")
    levels = [
        _validation.check_int(v, f"n_levels[{j}]", 1, _frame.MISSING_CODE - 1)
        for j, v in enumerate(n_levels)
    ]
    k = _validation.check_int(n_classes, "n_classes", 1)
    m = _validation.check_int(n_nodes, "n_nodes", 0)
    c32 = np.where(c < 0, _frame.MISSING_CODE, c).astype(np.uint32)
    yc = _integer_codes(y, "y", missing_ok=False)
    node = _integer_codes(nodes, "nodes", missing_ok=True)
    if yc.ndim != 1 or node.ndim != 1:
        raise InvalidInputError("y and nodes: must be 1-D, one value per row", "y")
    w = None if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
    return _core.chaid_node_tables(
        c32,
        n_levels=levels,
        y=np.ascontiguousarray(yc, dtype=np.uint32),
        n_classes=k,
        sample_weight=w,
        nodes=np.ascontiguousarray(np.where(node < 0, -1, node), dtype=np.int64),
        n_nodes=m,
        n_threads=_validation.n_threads(n_jobs),
    )


def _integer_codes(values: Any, name: str, *, missing_ok: bool) -> np.ndarray:
    """Integer codes as int64, checked: whole numbers below ``MISSING_CODE``; a negative value
    (or NaN, for float input) is missing where ``missing_ok``, an error otherwise. Never wraps
    (2**32 is not code 0) and never counts NaN as code 0."""
    a = np.asarray(values)
    if a.dtype == np.bool_:
        a = a.astype(np.int64)
    if a.dtype.kind not in "iuf":
        raise InvalidInputError(f"{name}: must hold integer codes, got dtype {a.dtype}", name)
    if a.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            bad = np.isinf(a) | (np.isfinite(a) & (a != np.floor(a)))
        if bad.any() or (not missing_ok and np.isnan(a).any()):
            raise InvalidInputError(f"{name}: must hold whole numbers (codes)", name)
        a = np.where(np.isnan(a), -1.0, a)
    if a.size and (a.max() >= _frame.MISSING_CODE or (not missing_ok and a.min() < 0)):
        raise InvalidInputError(
            f"{name}: codes must be in [0, {_frame.MISSING_CODE - 1}]"
            + (" (negative = missing)" if missing_ok else ""),
            name,
        )
    return np.where(a < 0, -1, a).astype(np.int64)  # any negative (even -1e300) is missing


def merge_table(
    table: np.ndarray,
    *,
    ordinal: bool = False,
    test: str = "pearson",
    alpha_merge: float = 0.05,
    alpha_split_merged: float = 0.05,
    exhaustive: bool = False,
    split_merged: bool = False,
    min_child_size: float = 0.0,
) -> dict[str, Any] | None:
    """Merge one predictor's categories on its table (slots × classes, the last slot missing)
    exactly as :class:`CHAID` does in a node: returns None (fewer than two categories, or all
    merged) or a dict with ``groups`` (lists of slots), ``statistic``, ``df``, ``ln_p``,
    ``ln_p_adjusted`` (Bonferroni, SPSS's multipliers) and ``merging``. The node splits on the
    predictor with the smallest ``ln_p_adjusted`` if it is at most ``ln(alpha_split)``.

    Parameters
    ----------
    table : ndarray of shape (n_slots, n_classes)
        Weighted counts per category (the last slot: missing values).
    ordinal : bool, default False
        Merge adjacent categories only (missing values float).
    test : {"pearson", "likelihood_ratio"}, default "pearson"
        The χ² statistic.
    alpha_merge, alpha_split_merged : float, default 0.05
        As in :class:`CHAID`.
    exhaustive, split_merged : bool, default False
        As in :class:`CHAID`.
    min_child_size : float, default 0.0
        Groups smaller than this merge with their most similar group.

    Returns
    -------
    dict or None
        The merged groups and the test, or None.

    Raises
    ------
    InvalidInputError
        Unknown ``test``, an alpha outside (0, 1].

    See Also
    --------
    node_tables : the tables, summed over row partitions.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.chaid import merge_table
    >>> table = np.array([[40.0, 10], [38, 12], [10, 40], [0, 0]])
    >>> result = merge_table(table)
    >>> result["groups"], round(result["statistic"], 2), result["df"]
    ([[0, 1], [2]], 46.24, 1.0)
    """
    if test not in ("pearson", "likelihood_ratio"):
        raise InvalidInputError(
            f"test: must be 'pearson' or 'likelihood_ratio', got {test!r}", "test"
        )
    merged = _core.chaid_merge_table(
        np.ascontiguousarray(table, dtype=np.float64),
        ordinal=bool(ordinal),
        statistic=test,
        alpha_merge=_ALPHA(alpha_merge, "alpha_merge"),
        alpha_split_merged=_ALPHA(alpha_split_merged, "alpha_split_merged"),
        exhaustive=bool(exhaustive),
        split_merged=bool(split_merged),
        min_child_size=float(min_child_size),
    )
    if merged is None:
        return None
    return {
        "groups": merged.groups,
        "statistic": merged.statistic,
        "df": merged.df,
        "ln_p": merged.ln_p,
        "ln_p_adjusted": merged.ln_p_adjusted,
        "merging": merged.merging,
    }
