"""CHAID on a Dask DataFrame: the labels and classes merged from the partitions, continuous
predictors binned from exact weighted ranks, the partitions re-cut at the in-memory chunk
boundaries, then one pass over them per level of the tree, each building its rows' tables per
open node and maximal chunk-tree node (the Rust ``partition_tables`` kernel), the client merging
them in the in-memory order and splitting the nodes with the in-memory merging code (see
:func:`fit_chaid`)."""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np
import pandas as pd

from .. import _core, _frame, _validation
from .._chaid_tree import TreeArrays, class_array
from ..errors import InvalidInputError
from . import _partitions
from ._chaid_bins import _breaks, _sum_parts
from ._partitions import Partitions, _delayed_parts, _worker_task, get_client, kernel_threads

# --- worker side --------------------------------------------------------------------------------


@_worker_task
def _summary(part: Any, y: Any, levels: list[str], target_type: str) -> dict[str, Any]:
    if len(part) != len(y):
        raise InvalidInputError(
            f"y: a partition has {len(y)} values for {len(part)} rows of X; partition y like X",
            "y",
        )
    return {"X": _frame.label_summary(part, levels), "y": _frame.target_summary(y, target_type)}


@_worker_task
def _encode(
    part: Any,
    y: Any,
    w: Any,
    case: Any,
    encoding: Any,
    classes: list[Any],
    continuous: bool,
) -> tuple[np.ndarray | None, ...]:
    """A partition encoded as in memory, all its rows (those of weight zero take no part later):
    category codes, continuous values, class codes or target values, frequency and case
    weights."""
    n = len(part)
    if n == 0:  # an empty partition takes no part
        p_cat, p_num = len(encoding.categorical), len(encoding.continuous)
        codes = np.empty((0, p_cat), dtype=np.uint32)
        numeric = np.empty((0, p_num), order="F")
    else:
        data = _frame.measured_table(part, encoding=encoding)
        codes = np.ascontiguousarray(data.codes)
        numeric = np.asfortranarray(data.numeric)
    if continuous:
        yv: np.ndarray = _frame.target_values(y)
    elif n == 0:
        yv = np.empty(0, dtype=np.uint32)
    else:
        yv = _frame.target_codes(y, classes)

    def weights(v: Any) -> np.ndarray | None:
        if v is None:
            return None
        return np.ascontiguousarray(np.asarray(v, dtype=np.float64).reshape(n))

    return (codes, numeric, yv, weights(w), weights(case))


@_worker_task
def _weights_check(w: Any, what: str = "sample_weight") -> tuple[int, int, int, float, int]:
    """Rows, non-finite, negative and zero weights, and the sum of one partition's weights."""
    v = np.asarray(w)
    if v.dtype.kind not in "biuf":
        _frame.positive_weights(v, len(v), what)  # raises the in-memory error
    v = v.astype(np.float64).reshape(-1)
    finite = np.isfinite(v)
    fv = v[finite]
    return len(v), int((~finite).sum()), int((fv < 0).sum()), float(fv.sum()), int((fv == 0).sum())


@_worker_task
def _target_sums(block: tuple[Any, ...], row_start: int, n_total: int, n_threads: int) -> Any:
    """Σw and Σw·y of a continuous target per maximal chunk-tree node of the partition."""
    return _core.chaid_target_sums(
        block[2],
        sample_weight=block[3],
        case_weight=block[4],
        row_start=row_start,
        n_total=n_total,
        n_threads=n_threads,
    )


@_worker_task
def _start(
    block: tuple[Any, ...],
    breaks: list[np.ndarray],
    mean: float | None,
    row_start: int,
    n_total: int,
    n_threads: int,
) -> dict[str, Any]:
    """The rows as the tree grows on them: every predictor's code (categorical codes, then the
    continuous bins; missing as MISSING_CODE), class codes or the target centred on its
    weighted mean (as in memory), weights, the rows of positive weight in the root."""
    codes_in, numeric, y, w, case = block
    offsets = np.concatenate([[0], np.cumsum([len(b) for b in breaks])]).astype(np.int64)
    codes = _core.chaid_code_block(
        codes_in,
        numeric=numeric,
        breaks_offsets=offsets,
        breaks=np.concatenate(breaks) if breaks else np.zeros(0),
        n_threads=n_threads,
    )
    nodes = np.zeros(len(y), dtype=np.int64)
    if w is not None:
        nodes[w <= 0] = -1
    return {
        "codes": codes,
        "y": y if mean is None else y - mean,
        "continuous": mean is not None,
        "w": w,
        "case": case,
        "nodes": nodes,
        "children": np.zeros(0, dtype=np.int64),
        "row_start": row_start,
        "n_total": n_total,
    }


@_worker_task
def _advance(
    state: dict[str, Any],
    predictor: np.ndarray,
    offsets: np.ndarray,
    child: np.ndarray,
    open_index: np.ndarray,
    n_levels: list[int],
    n_threads: int,
) -> dict[str, Any]:
    """Routes every row of a split node to its child: `predictor[node]` (-1: no split),
    `child[offsets[node] + slot]` the child, `open_index[child]` its place among the next
    level's open nodes (-1: a leaf). Counts the rows of every child."""
    r = _core.chaid_route(
        state["codes"],
        n_levels=n_levels,
        nodes=state["nodes"],
        predictor=predictor,
        offsets=offsets,
        child=child,
        open_index=open_index,
        n_threads=n_threads,
    )
    return {**state, "nodes": r.nodes, "children": r.counts}


@_worker_task
def _level_tables(
    state: dict[str, Any], n_levels: list[int], n_classes: int, n_open: int, n_threads: int
) -> tuple[Any, np.ndarray, int]:
    """This partition's tables of the open nodes per maximal chunk-tree node, its row count per
    child, and its rows in the tree."""
    tables = None
    if n_open > 0 and len(state["y"]):
        continuous = state["continuous"]
        tables = _core.chaid_partition_tables(
            state["codes"],
            n_levels=n_levels,
            y_codes=None if continuous else state["y"],
            n_classes=n_classes,
            y_values=state["y"] if continuous else None,
            sample_weight=state["w"],
            case_weight=state["case"],
            nodes=state["nodes"],
            n_nodes=n_open,
            row_start=state["row_start"],
            n_total=state["n_total"],
            n_threads=n_threads,
        )
    return tables, state["children"], int((state["nodes"] >= 0).sum())


# --- client side --------------------------------------------------------------------------------


class _Node:
    """A node of the growing tree, numbered in the order it was created (level by level)."""

    def __init__(
        self, parent: int, depth: int, counts: np.ndarray, weight: float, pure: bool
    ) -> None:
        self.parent, self.depth = parent, depth
        self.counts, self.weight, self.pure = counts, weight, pure
        self.n_rows = 0
        self.split: Any = None
        self.children: list[int] = []


def _head(counts: np.ndarray) -> tuple[float, bool]:
    """Weight and purity of a node from its class counts, as the in-memory ``value``."""
    weight = 0.0
    for c in counts.tolist():  # in class order, as the Rust sum
        weight += c
    return weight, int((counts > 0).sum()) < 2


def _head_continuous(tot: np.ndarray, mean: float) -> tuple[np.ndarray, float, bool]:
    """Value ``[Σf, Σw, mean, within-node sum of squares]``, size and purity of a node from
    its sums of the centred target, as the in-memory ``value`` computes them."""
    f, w, s, q = (float(v) for v in tot[:4])
    m = s / w if w > 0.0 else 0.0
    ss = max(q - s * m, 0.0)
    pure = ss <= sys.float_info.epsilon * max(abs(q), 1e-300)
    return np.array([f, w, m + mean, ss]), f, pure


def _totals(block: np.ndarray, slots: Any) -> np.ndarray:
    """Class totals over the given slots, added in slot order as in memory."""
    tot = np.zeros(block.shape[1])
    for s in slots:
        tot = tot + block[s]
    return tot


def fit_chaid(
    estimator: Any,
    X: Any,
    y: Any,
    sample_weight: Any = None,
    case_weight: Any = None,
    *,
    client: Any = None,
) -> Any:
    """``CHAID.fit`` on a Dask DataFrame of predictors with a target `y` (and frequency or case
    weights) partitioned like it; ``CHAID.fit`` calls it for a Dask `X`.

    The category labels and classes are merged from the partitions (as one pass over all rows
    would find them); continuous predictors are binned once with the in-memory rule, from
    exact cumulative weights at the values around each bin boundary (three small passes: evenly
    spaced samples per partition, exact ranks of the samples, the values between the two
    samples around each boundary). The rows are re-cut so that every partition starts on a
    1,024-row chunk of the in-memory fit. A continuous target is centred on its weighted mean,
    added per chunk and merged along the in-memory chunk tree. Then, per level of the tree,
    every partition routes its rows to the nodes of that level and builds the tables of the
    nodes that may split — class counts, case-weighted counts, or a continuous target's
    ``[Σf, Σw, Σw·y, Σw·y²]`` per category — per maximal node of the chunk tree it holds (the
    Rust ``partition_tables`` kernel, GIL released); the client merges them in the in-memory
    order and splits the nodes with the in-memory merging, tests (χ², G², F) and choice of
    predictor.

    The in-memory fit adds the same partials in the same order, so the tree (splits, merged
    groups, node sizes, class counts or means and sums of squares, statistics and p-values) is
    bit-identical to the in-memory fit on the same rows whatever the partitioning, with or
    without frequency and case weights. One caveat with fractional frequency weights and
    continuous predictors: the cumulative weights that place the bin boundaries are added per
    partition, so they may differ from the in-memory ones by about n × 2⁻⁵³ relative, and a
    boundary could move only where a value's cumulative share lies within that of a bin edge
    (the rule's 10⁻⁹ margin makes this practically unreachable; whole-number weights are exact).

    Parameters
    ----------
    estimator : CHAID
        The estimator to fit.
    X : dask DataFrame or 2-D Array
        Predictors: numbers (binned), categoricals (with known categories), text, booleans;
        missing values allowed. An Array's columns are named x0, x1, ... as in memory.
    y : dask Series or Array
        The target (classes, or numbers for a continuous target as ``target_type`` decides in
        memory), partitioned like `X` (row by row within each partition; an Array is cut into
        X's row chunks).
    sample_weight : dask Series or Array, optional
        Frequency weights, partitioned like `X`.
    case_weight : dask Series or Array, optional
        Case weights (positive), partitioned like `X`.
    client : distributed.Client, default None
        The current client when None.

    Returns
    -------
    CHAID
        The fitted estimator.

    Raises
    ------
    InvalidInputError
        The in-memory fit's errors (naming the column), `y` or the weights not partitioned
        like `X`.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from distributed import Client
    >>> import segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> ddf = dd.from_pandas(customers, npartitions=3)
    >>> tree = sg.CHAID(max_depth=2).fit(ddf.drop(columns="Channel"), ddf["Channel"])
    >>> mem = sg.CHAID(max_depth=2).fit(customers.drop(columns="Channel"), customers["Channel"])
    >>> tree.tree_.equals(mem.tree_)
    True
    >>> client.close()
    """
    p = _validation.validate_params(estimator)
    ordinal = estimator.ordinal
    if isinstance(ordinal, str):
        ordinal = [ordinal]
    if ordinal is not None:
        ordinal = [str(c) for c in ordinal]
    features: Any = getattr(X, "_meta", None)
    if not isinstance(features, pd.DataFrame) and hasattr(X, "chunks"):
        case_weight = _aligned(case_weight, X, "case_weight")
        X, y, sample_weight, features = _array_frames(X, y, sample_weight)
    meta = X._meta if hasattr(X, "_meta") else None
    levels = _frame.column_levels(meta, ordinal)
    n_parts = X.npartitions
    yparts = _partitions._parts_like(y, n_parts, "y", "the target as a Dask Series")
    xparts = _delayed_parts(X, "X")
    wparts = _partitions._weight_parts(sample_weight, n_parts)
    cparts = [None] * n_parts
    if case_weight is not None:
        cparts = _partitions._parts_like(
            case_weight, n_parts, "case_weight", "case weights as a Dask Series or Array"
        )
    client = get_client(client)
    threads = kernel_threads(client, estimator.n_jobs)
    import dask

    summaries = _partitions._gather(
        client,
        client.compute(
            [
                dask.delayed(_summary)(xp, yp, levels, p["target_type"])
                for xp, yp in zip(xparts, yparts, strict=True)
            ]
        ),
    )
    encoding = _frame.merged_encoding(meta, levels, [s["X"] for s in summaries])
    target = _frame.merged_target([s["y"] for s in summaries], p["target_type"])
    continuous = target.values is not None
    classes = list(target.classes)
    n_rows = sum(s["y"]["n"] for s in summaries)
    if n_rows == 0:
        raise InvalidInputError("X: has no rows (n_samples=0)", "X")
    for what, weights in (("sample_weight", wparts), ("case_weight", cparts)):
        if weights[0] is None:
            continue
        checks = _partitions._gather(
            client, client.compute([dask.delayed(_weights_check)(w, what) for w in weights])
        )
        _check_weights(checks, n_rows, what)
    encode = dask.delayed(_encode, pure=False)
    encoded = client.compute(
        [
            encode(xp, yp, wp, cp, encoding, classes, continuous)
            for xp, yp, wp, cp in zip(xparts, yparts, wparts, cparts, strict=True)
        ]
    )
    p["exhaustive"], p["split_merged"] = bool(estimator.exhaustive), bool(estimator.split_merged)
    parts = Partitions.from_blocks(client, encoded, list(encoding.columns))
    del encoded
    try:
        p_num = len(encoding.continuous)
        breaks = _breaks(client, parts.futures, p_num, p["max_bins"])
        mean = None
        if continuous:
            found = parts.map(_target_sums, n_threads=threads)
            sums = _partitions.merge_tree(
                {
                    (f, c): row
                    for first, count, rows in found
                    for f, c, row in zip(first.tolist(), count.tolist(), rows, strict=True)
                },
                parts.n_total,
                _add,
            )
            mean = float(sums[1]) / float(sums[0])
        sums_kind = "continuous" if continuous else "counts" if case_weight is None else "case"
        tree = _grow(
            parts, breaks, encoding, classes, p, threads, estimator.n_jobs, mean, sums_kind
        )
    finally:
        client.cancel(parts.futures)
    estimator._tree = tree
    estimator._encoding = encoding
    estimator._target_name = target.name or "y"
    estimator._continuous = continuous
    estimator.classes_ = class_array(classes)
    _frame.check_features(estimator, features, reset=True)
    estimator._build_summary()
    return estimator


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b


def _check_weights(checks: list[tuple[int, int, int, float, int]], n_rows: int, what: str) -> None:
    """The in-memory checks of frequency or case weights, from every partition's counts."""
    if sum(c[0] for c in checks) != n_rows:
        raise InvalidInputError(f"{what}: must be partitioned like X (one weight per row)", what)
    if sum(c[1] for c in checks):
        raise InvalidInputError(f"{what}: contains NaN or inf", what)
    if negative := sum(c[2] for c in checks):
        raise InvalidInputError(
            f"{what}: weights must be non-negative; {negative} are negative", what
        )
    if not sum(c[3] for c in checks) > 0:
        raise InvalidInputError(f"{what}: the weights sum to zero", what)
    if what == "case_weight" and sum(c[4] for c in checks) > 0:
        raise InvalidInputError("case_weight: must be positive", "case_weight")


def _array_frames(X: Any, y: Any, sample_weight: Any) -> tuple[Any, Any, Any, np.ndarray]:
    """A 2-D Dask Array of predictors as a Dask DataFrame with the in-memory names x0, x1, ...,
    and `y` / the weights (Dask Arrays) cut into the same row chunks."""
    import dask.dataframe as dd

    if X.ndim != 2:
        raise InvalidInputError(f"X: expected a 2-dimensional array, got {X.ndim}-d", "X")
    d = int(X.shape[1])
    X = X.rechunk({1: -1})
    frame = dd.from_dask_array(X, columns=[f"x{j}" for j in range(d)])
    return (
        frame,
        _aligned(y, X, "y"),
        _aligned(sample_weight, X, "sample_weight"),
        np.empty((0, d)),
    )


def _aligned(v: Any, X: Any, what: str) -> Any:
    """`v` (a 1-D Dask Array) cut into the row chunks of the 2-D Dask Array `X`, as a Dask
    Series; anything else as it is."""
    import dask.dataframe as dd

    if v is None or not hasattr(v, "chunks"):
        return v
    if v.ndim != 1 or v.shape[0] != X.shape[0]:
        raise InvalidInputError(f"{what}: expected {X.shape[0]} values (one per row)", what)
    return dd.from_dask_array(v.rechunk((X.chunks[0],)))


def _grow(
    parts: Partitions,
    breaks: list[np.ndarray],
    encoding: Any,
    classes: list[Any],
    p: dict[str, Any],
    threads: int,
    n_jobs: Any,
    mean: float | None,
    sums_kind: str,
) -> TreeArrays:
    """The tree, grown level by level from the partitions' tables merged along the chunk
    tree."""
    client = parts.client
    cat = encoding.categorical
    n_levels = [len(encoding.labels[j] or []) for j in cat] + [len(b) for b in breaks]
    n_slots = np.array([k + 1 for k in n_levels], dtype=np.int64)
    ordinal = np.array(
        [encoding.levels[j] == "ordinal" for j in cat] + [True] * len(breaks), dtype=bool
    )
    rank = np.asarray(encoding.predictor_columns(), dtype=np.int64)
    n_classes = len(classes)
    max_depth = math.inf if p["max_depth"] is None else p["max_depth"]
    split_args = {
        "alpha_merge": p["alpha_merge"],
        "alpha_split": p["alpha_split"],
        "alpha_split_merged": p["alpha_split_merged"],
        "min_child_size": p["min_child_size"],
        "exhaustive": bool(p["exhaustive"]),
        "split_merged": bool(p["split_merged"]),
        "statistic": p["test"],
        "n_threads": _validation.n_threads(n_jobs),
        "sums": sums_kind,
    }

    def head(tot: np.ndarray) -> tuple[np.ndarray, float, bool]:
        if mean is None:
            counts = tot[:n_classes]
            return (counts, *_head(counts))
        return _head_continuous(tot, mean)

    def merged(results: list[Any]) -> np.ndarray:
        nodes: dict[tuple[int, int], np.ndarray] = {}
        shape = None
        for r in results:
            if r[0] is None:
                continue
            first, count, tables, shape = r[0]
            for f, c, row in zip(first.tolist(), count.tolist(), tables, strict=True):
                nodes[(f, c)] = row
        if shape is None:  # pragma: no cover - the open nodes have rows
            raise AssertionError("no partition holds rows of the open nodes")
        return _partitions.merge_tree(nodes, parts.n_total, _add).reshape(shape)

    def may_split(node: _Node) -> bool:
        return node.depth < max_depth and node.weight >= p["min_parent_size"] and not node.pure

    states = [
        client.submit(_start, f, breaks, mean, st, parts.n_total, threads, pure=False)
        for f, st in zip(parts.futures, parts.starts, strict=True)
    ]
    nodes: list[_Node] = []
    open_ids = [0]  # the nodes whose tables this level counts
    level_children: list[int] = []  # the nodes created by the last split (row counts)
    while True:
        results = _partitions._gather(
            client,
            [
                client.submit(
                    _level_tables, s, n_levels, n_classes, len(open_ids), threads, pure=False
                )
                for s in states
            ],
        )
        counts = _sum_parts([r[1] for r in results])
        for k, v in enumerate(level_children):
            nodes[v].n_rows = int(counts[k])
        tables = merged(results)
        if not nodes:  # the root: its totals from its own table
            tot = _totals(tables[0, 0, : n_slots[0]], range(n_slots[0]))
            value, weight, pure = head(tot)
            if mean is None and int((value > 0).sum()) < 2:
                raise InvalidInputError(
                    "y: has a single class; CHAID needs at least two target classes", "y"
                )
            root = _Node(-1, 0, value, weight, pure)
            root.n_rows = int(sum(r[2] for r in results))
            nodes.append(root)
            if not may_split(root):
                break
        splits = _core.chaid_split_nodes(
            tables, n_slots=n_slots, ordinal=ordinal, rank=rank, **split_args
        )
        predictor = np.full(len(open_ids), -1, dtype=np.int64)
        offsets = np.zeros(len(open_ids) + 1, dtype=np.int64)
        child_of: list[np.ndarray] = []
        level_children = []
        next_open: list[int] = []
        open_index: list[int] = []
        for k, (v, s) in enumerate(zip(open_ids, splits, strict=True)):
            offsets[k + 1] = offsets[k]
            if s is None:
                continue
            node = nodes[v]
            node.split = s
            j = int(s.predictor)
            slot_child = np.asarray(s.slot_child)
            first = len(level_children)
            for g in range(int(s.n_children)):
                tot = _totals(tables[k, j], np.flatnonzero(slot_child == g))
                value, weight, pure = head(tot)
                child = _Node(v, node.depth + 1, value, weight, pure)
                node.children.append(len(nodes))
                level_children.append(len(nodes))
                open_index.append(len(next_open) if may_split(child) else -1)
                if may_split(child):
                    next_open.append(len(nodes))
                nodes.append(child)
            predictor[k] = j
            child_of.append(first + slot_child)
            offsets[k + 1] = offsets[k] + len(slot_child)
        if not level_children:
            break
        states = [
            client.submit(
                _advance,
                st,
                predictor,
                offsets,
                np.concatenate(child_of).astype(np.int64),
                np.asarray(open_index, dtype=np.int64),
                n_levels,
                threads,
                pure=False,
            )
            for st in states
        ]
        open_ids = next_open
        if not open_ids:
            # Only the children's row counts are left to count.
            results = _partitions._gather(
                client,
                [
                    client.submit(_level_tables, s, n_levels, n_classes, 0, threads, pure=False)
                    for s in states
                ],
            )
            counts = _sum_parts([r[1] for r in results])
            for k, v in enumerate(level_children):
                nodes[v].n_rows = int(counts[k])
            break
    client.cancel(states)
    return _tree_arrays(nodes, breaks, n_classes, len(nodes[0].counts))


def _tree_arrays(
    nodes: list[_Node], breaks: list[np.ndarray], n_classes: int, width: int
) -> TreeArrays:
    """The tree in the in-memory layout: nodes in pre-order (children in group order)."""
    order: list[int] = []
    stack = [0]
    while stack:
        v = stack.pop()
        order.append(v)
        stack.extend(reversed(nodes[v].children))
    new_id = {v: i for i, v in enumerate(order)}
    n = len(order)
    nan = np.nan
    parent = np.full(n, -1, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    n_rows = np.zeros(n, dtype=np.int64)
    weight = np.zeros(n)
    value = np.zeros((n, width))
    split = np.full(n, -1, dtype=np.int64)
    stat, df1, df2 = np.full(n, nan), np.full(n, nan), np.full(n, nan)
    ln_p, ln_p_adj = np.full(n, nan), np.full(n, nan)
    n_categories = np.zeros(n, dtype=np.int64)
    merging = np.full(n, -1, dtype=np.int64)
    default_child = np.full(n, -1, dtype=np.int64)
    map_offsets = np.zeros(n + 1, dtype=np.int64)
    maps: list[np.ndarray] = []
    present: list[np.ndarray] = []
    for i, v in enumerate(order):
        node = nodes[v]
        parent[i] = -1 if node.parent < 0 else new_id[node.parent]
        depth[i], n_rows[i], weight[i] = node.depth, node.n_rows, node.weight
        value[i] = node.counts
        s = node.split
        size = 0
        if s is not None:
            kids = np.array([new_id[c] for c in node.children], dtype=np.int64)
            split[i] = s.predictor
            stat[i], df1[i], df2[i] = s.statistic, s.df1, s.df2
            ln_p[i], ln_p_adj[i] = s.ln_p, s.ln_p_adj
            n_categories[i], merging[i] = s.n_categories, s.merging
            default_child[i] = kids[s.default_child]
            maps.append(kids[np.asarray(s.slot_child)])
            present.append(np.asarray(s.present))
            size = len(maps[-1])
        map_offsets[i + 1] = map_offsets[i] + size
    breaks_offsets = np.concatenate([[0], np.cumsum([len(b) for b in breaks])]).astype(np.int64)
    return TreeArrays(
        parent=parent,
        depth=depth,
        n_rows=n_rows,
        weight=weight,
        value=value,
        split=split,
        statistic=stat,
        df1=df1,
        df2=df2,
        ln_p=ln_p,
        ln_p_adj=ln_p_adj,
        n_categories=n_categories,
        merging=merging,
        default_child=default_child,
        map_offsets=map_offsets,
        map=np.concatenate(maps) if maps else np.zeros(0, dtype=np.int64),
        present=np.concatenate(present) if present else np.zeros(0, dtype=bool),
        breaks_offsets=breaks_offsets,
        breaks=np.concatenate(breaks) if breaks else np.zeros(0),
        n_classes=n_classes,
    )
