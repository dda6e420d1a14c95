"""Segment profiles on a Dask DataFrame (see :func:`profile_stats`): the row sums of the
in-memory kernel merged along its chunk tree, medians by exact selection, Kruskal–Wallis from
exact integer rank sums."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .. import _core, _frame
from .._frame.cluster import aligned_labels
from ..errors import InvalidInputError
from . import _partitions
from ._chaid import _array_frames, _weights_check
from ._partitions import (
    Partitions,
    _delayed_parts,
    _worker_task,
    cum_weight,
    get_client,
    kernel_threads,
    merge_tree,
)

#: Samples per partition and sorted group (segment × numeric column) that bracket a median:
#: the values fetched to settle one are about 2 × rows / SAMPLES per partition.
SAMPLES = 512

_SIGN = np.int64(0x7FFF_FFFF_FFFF_FFFF)
#: Total-order keys of -0.0 and 0.0 (Kruskal–Wallis ranks them as one tie, as ``==`` does).
_NEG_ZERO = np.int64(-(2**63)) ^ _SIGN
_POS_ZERO = np.int64(0)


def _keys(v: np.ndarray) -> np.ndarray:
    """Float64 values (no NaN) as int64 keys in IEEE total order (Rust's ``total_cmp``)."""
    bits = v.view(np.int64)
    return bits ^ ((bits >> 63) & _SIGN)


def _values(keys: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_keys`."""
    keys = np.asarray(keys, dtype=np.int64)
    return (keys ^ ((keys >> 63) & _SIGN)).view(np.float64)


# --- worker side --------------------------------------------------------------------------------


@_worker_task
def _summary(part: Any, labels: Any, w: Any, levels: list[str]) -> dict[str, Any]:
    """One partition: its columns' labels (as the in-memory encoding needs them), its distinct
    segment labels, and its weights' checks."""
    values = aligned_labels(labels, part.index, "labels")
    if w is not None and len(w) != len(part):
        raise InvalidInputError(
            "sample_weight: must be partitioned like X (one weight per row)", "sample_weight"
        )
    return {
        "X": _frame.label_summary(part, levels),
        "labels": pd.Series(values).dropna().drop_duplicates(),
        "weights": None if w is None else _weights_check(w),
    }


@_worker_task
def _encode(part: Any, labels: Any, w: Any, encoding: Any, segments: pd.Index) -> tuple[Any, ...]:
    """A partition as the in-memory profile reads it: (numeric block, category codes, segment
    codes, weights) of the rows that have a segment."""
    p_num, p_cat = len(encoding.continuous), len(encoding.categorical)
    if len(part) == 0:
        return (
            np.empty((0, p_num), order="F"),
            np.empty((0, p_cat), dtype=np.uint32, order="F"),
            np.empty(0, dtype=np.int64),
            None if w is None else np.empty(0),
        )
    table = _frame.measured_table(part, encoding=encoding)
    values = aligned_labels(labels, part.index, "labels")
    has = ~pd.isna(values)
    if values.dtype.kind in "iu":
        has &= values >= 0
    codes = pd.Index(segments).get_indexer(values[has]).astype(np.int64)
    weights = None if w is None else np.asarray(w, dtype=np.float64)[has]
    return (
        np.asfortranarray(table.numeric[has]),
        np.asfortranarray(table.codes[has]),
        np.ascontiguousarray(codes),
        None if weights is None else np.ascontiguousarray(weights),
    )


@_worker_task
def _sums(
    block: tuple[Any, ...],
    *,
    row_start: int,
    n_total: int,
    n_levels: list[int],
    k: int,
    means: np.ndarray | None,
    n_threads: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    numeric, codes, labels, w = block
    return _core.profile_partition_sums(
        numeric,
        codes,
        n_levels=n_levels,
        sample_weight=w,
        labels=labels,
        k=k,
        means=means,
        row_start=row_start,
        n_total=n_total,
        n_threads=n_threads,
    )


@_worker_task
def _sorted(block: tuple[Any, ...], k: int) -> dict[str, Any]:
    """Per numeric column and segment: the non-missing values as total-order keys, sorted (ties
    in row order when weighted), with their weights. The median selection reads them as groups:
    each segment (one part), then the whole column (the k segments' parts together)."""
    numeric, _, labels, w = block
    small = labels.astype(np.int16 if k < 2**15 else np.int64)
    by_segment = np.argsort(small, kind="stable")  # a radix sort: rows grouped by segment
    bounds = np.searchsorted(small[by_segment], np.arange(k + 1))
    columns: list[list[tuple[np.ndarray, np.ndarray | None]]] = []
    minimum = []
    for j in range(numeric.shape[1]):
        x = numeric[by_segment, j]
        ws_all = None if w is None else w[by_segment]
        parts: list[tuple[np.ndarray, np.ndarray | None]] = []
        for g in range(k):
            v = x[bounds[g] : bounds[g + 1]]
            ok = ~np.isnan(v)
            keys = _keys(np.ascontiguousarray(v[ok]))
            if ws_all is None:
                parts.append((np.sort(keys), None))
            else:
                order = np.argsort(keys, kind="stable")
                parts.append((keys[order], ws_all[bounds[g] : bounds[g + 1]][ok][order]))
        columns.append(parts)
        firsts = [int(v[0]) for v, _ in parts if len(v)]
        minimum.append(float(_values(np.array([min(firsts)]))[0]) if firsts else math.inf)
    return {"columns": columns, "min": np.asarray(minimum)}


@_worker_task
def _groups(state: dict[str, Any]) -> list[list[tuple[np.ndarray, np.ndarray | None]]]:
    """The median selection's groups: per column, each segment, then the whole column."""
    out: list[list[tuple[np.ndarray, np.ndarray | None]]] = []
    for parts in state["columns"]:
        out.extend([part] for part in parts)
        out.append(parts)
    return out


@_worker_task
def _rank_slice(state: dict[str, Any], bounds: list[tuple[int | None, int | None]]) -> list[Any]:
    """Per numeric column, this partition's (keys, segments) in [lo, hi) (None: unbounded),
    -0.0 and 0.0 as one key (Kruskal–Wallis ranks them as one tie, as ``==`` does; the bounds
    are such keys)."""

    def at(v: np.ndarray, key: int) -> int:
        # -0.0 sorts just before 0.0: a bound at 0.0 takes the -0.0 values with it.
        return int(np.searchsorted(v, _NEG_ZERO if key == _POS_ZERO else key, side="left"))

    out = []
    for parts, (lo, hi) in zip(state["columns"], bounds, strict=True):
        keys, lab = [], []
        for g, (v, _) in enumerate(parts):
            i = 0 if lo is None else at(v, lo)
            j = len(v) if hi is None else at(v, hi)
            piece = v[i:j]
            keys.append(np.where(piece == _NEG_ZERO, _POS_ZERO, piece))
            lab.append(np.full(j - i, g, dtype=np.int64))
        out.append((np.concatenate(keys), np.concatenate(lab)))
    return out


def _tie_sum(t: np.ndarray) -> int:
    """Σ(t³ − t) as an exact integer."""
    small = t[t < 1024]
    total = int((small**3 - small).sum())
    return total + sum(int(v) ** 3 - int(v) for v in t[t >= 1024])


@_worker_task
def _rank_bucket(*slices: list[Any], k: int) -> list[tuple[list[int], list[int], int]]:
    """Per numeric column, one value range gathered from every partition: per segment the count
    and twice the rank sum within the range (ties take their average rank), and Σ(t³ − t)."""
    out = []
    for j in range(len(slices[0])):
        keys = np.concatenate([s[j][0] for s in slices])
        lab = np.concatenate([s[j][1] for s in slices])
        order = np.argsort(keys)  # ties share their rank: their order does not matter
        keys, lab = keys[order], lab[order]
        n = len(keys)
        if n == 0:
            out.append(([0] * k, [0] * k, 0))
            continue
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], n] - 1
        t = ends - starts + 1
        r2 = np.repeat(starts + ends + 2, t)  # twice the average rank, ranks from 1
        if n < 2**26:  # every partial sum below 2^53: float64 adds these integers exactly
            rank2 = [int(v) for v in np.bincount(lab, weights=r2, minlength=k)]
        else:
            rank2 = [int(r2[lab == g].sum()) for g in range(k)]
        count = [int(v) for v in np.bincount(lab, minlength=k)]
        out.append((count, rank2, _tie_sum(t)))
    return out


# --- client side --------------------------------------------------------------------------------


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b


def _merged(parts: Partitions, results: list[Any]) -> np.ndarray:
    nodes = {}
    for first, count, sums in results:
        for f, c, row in zip(first.tolist(), count.tolist(), sums, strict=True):
            nodes[(f, c)] = row
    return merge_tree(nodes, parts.n_total, _add)


@_worker_task
def _samples(groups: list[Any]) -> list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """Worker side, per group and part (sorted keys with weights): keys at evenly spaced
    positions (first and last included) and the weight (count when unweighted) of the values
    before each sample and up to and including it."""
    out = []
    for parts in groups:
        found = []
        for v, ws in parts:
            n = len(v)
            step = max(1, n // SAMPLES)
            idx = np.unique(np.r_[np.arange(0, n, step), n - 1]) if n else np.zeros(0, np.int64)
            found.append((v[idx], cum_weight(ws, idx), cum_weight(ws, idx + 1)))
        out.append(found)
    return out


@_worker_task
def _window(
    groups: list[Any], queries: list[list[tuple[int, int]]]
) -> list[list[tuple[float, np.ndarray, np.ndarray | None]]]:
    """Worker side, per group and query (a, b): the weight (count) of the values <= a and the
    values in (a, b] with their weights."""
    out = []
    for parts, qs in zip(groups, queries, strict=True):
        found = []
        for a, b in qs:
            below, vals, wts = 0.0, [], []
            for v, ws in parts:
                i = int(np.searchsorted(v, a, side="right"))
                j = int(np.searchsorted(v, b, side="right"))
                below += float(cum_weight(ws, np.array([i]))[0])
                vals.append(v[i:j])
                wts.append(None if ws is None else ws[i:j])
            weights: np.ndarray | None = None
            if wts[0] is not None:
                weights = np.concatenate(wts)  # type: ignore[arg-type]
            found.append((below, np.concatenate(vals), weights))
        out.append(found)
    return out


_LOWEST, _HIGHEST = -(2**63), 2**63 - 1


def _bounds(samples: list[Any], i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Group `i`'s candidate keys (the samples of every partition and part) and, for each,
    bounds on the weight of the values <= it: at least the weight through each part's last
    sample <= it, at most the weight before each part's first sample > it; and the group's
    total weight."""
    sources = [src for s in samples for src in s[i] if len(src[0])]
    if not sources:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0), 0.0
    cands = np.unique(np.concatenate([src[0] for src in sources]))
    low = np.zeros(len(cands))
    high = np.zeros(len(cands))
    total = 0.0
    for keys, before, through in sources:
        at = np.searchsorted(keys, cands, side="right")  # samples <= candidate
        low = low + np.where(at > 0, through[np.maximum(at - 1, 0)], 0.0)
        high = high + np.where(at < len(keys), before[np.minimum(at, len(keys) - 1)], through[-1])
        total += float(through[-1])
    return cands, low, high, total


def _select(
    client: Any, groups: list[Any], weighted: bool
) -> tuple[list[float], list[tuple[np.ndarray, np.ndarray]]]:
    """Per sorted group (spread over the partitions): its median, as the in-memory kernel
    finds it, from the smallest values whose cumulative weight (count when unweighted) reaches
    the middle. Two rounds: evenly spaced samples per partition bound the cumulative weight at
    every sampled key, which brackets each middle between two sampled keys (a, b]; then each
    partition sends its weight up to a and its values in (a, b], and the client walks them in
    order. Also returns each group's candidate keys with a lower bound of their counts (the
    Kruskal–Wallis value ranges are cut there)."""

    def on_groups(f: Any, *a: Any) -> list[Any]:
        return _partitions._gather(client, [client.submit(f, g, *a, pure=False) for g in groups])

    samples = on_groups(_samples)
    m = len(samples[0])
    targets: list[list[float]] = []
    brackets: list[tuple[np.ndarray, np.ndarray]] = []
    queries: list[list[tuple[int, int]]] = []
    for i in range(m):
        cands, low, high, total = _bounds(samples, i)
        brackets.append((cands, low))
        if len(cands) == 0:
            targets.append([])
        elif weighted:
            targets.append([total / 2.0])
        else:
            n = int(total)
            targets.append([n // 2 + 1] if n % 2 else [n // 2, n // 2 + 1])
        qs = []
        for target in targets[-1]:
            below = np.flatnonzero(high < target)  # surely below the target
            above = np.flatnonzero(low >= target)  # surely at or above it
            a = int(cands[below[-1]]) if len(below) else _LOWEST
            b = int(cands[above[0]]) if len(above) else _HIGHEST
            qs.append((a, b))
        queries.append(qs)
    windows = on_groups(_window, client.scatter(queries, hash=False))
    medians = []
    for i, ts in enumerate(targets):
        keys = []
        for q, target in enumerate(ts):
            below = _add_up([w[i][q][0] for w in windows])
            vals, run, last = _partitions.sorted_run(
                [w[i][q][1] for w in windows],
                None if windows[0][i][q][2] is None else [w[i][q][2] for w in windows],
                below,
            )
            reach = np.flatnonzero(last & (run >= target))
            # Rounding of fractional weights only: the bracket's top.
            keys.append(int(vals[reach[0]]) if len(reach) else queries[i][q][1])
        vals = _values(np.asarray(keys, dtype=np.int64))
        medians.append(
            math.nan if len(vals) == 0 else vals[0] if len(vals) == 1 else (vals[0] + vals[1]) / 2
        )
    return medians, brackets


def _add_up(parts: list[Any]) -> Any:
    """Partition results added in partition order."""
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


@_worker_task
def _minimum(state: dict[str, Any]) -> np.ndarray:
    return state["min"]


def _medians(
    client: Any, states: list[Any], p: int, k: int, weighted: bool
) -> tuple[np.ndarray, list[Any]]:
    """Medians (p × (k + 1)) as the in-memory kernel finds them: the middle order statistic
    (the mean of the two middle ones for an even count), or the weighted median; and the whole
    columns' candidate keys with their exact counts (the Kruskal–Wallis ranges)."""
    groups = [client.submit(_groups, s, pure=False) for s in states]
    medians, brackets = _select(client, groups, weighted)
    client.cancel(groups)
    overall = [brackets[j * (k + 1) + k] for j in range(p)]
    return np.asarray(medians, dtype=np.float64).reshape(p, k + 1), overall


def _ranks(
    client: Any, states: list[Any], overall: list[Any], p: int, k: int, n_buckets: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Twice the rank sums and the counts per column and segment (p × k), and Σ(t³ − t) per
    column (p), as exact integers rounded once to float64: the values are regrouped by value
    range (one range per worker task, ties never split), ranked within their range, and the
    ranges' offsets added on the client."""
    bounds: list[list[Any]] = []  # per column: the range starts (keys) after the first
    for cands, le in overall:
        n = float(le[-1]) if len(le) else 0.0
        cuts: list[int] = []
        for b in range(1, n_buckets):
            at = int(np.searchsorted(le, b * n / n_buckets, side="left"))
            if at < len(cands):
                key = int(cands[at])
                key = int(_POS_ZERO) if key == int(_NEG_ZERO) else key
                if (not cuts or key > cuts[-1]) and key > int(cands[0]):
                    cuts.append(key)
        bounds.append(cuts)
    n_ranges = max(len(c) for c in bounds) + 1
    buckets = []
    for b in range(n_ranges):
        per_col: list[tuple[int | None, int | None]] = []
        for cuts in bounds:
            edges: list[int | None] = [None, *cuts, None]
            if b < len(edges) - 1:
                per_col.append((edges[b], edges[b + 1]))
            else:
                per_col.append((0, 0))  # an empty range
        slices = [client.submit(_rank_slice, s, per_col, pure=False) for s in states]
        buckets.append(client.submit(_rank_bucket, *slices, k=k, pure=False))
    results = _partitions._gather(client, buckets)
    rank2 = np.zeros((p, k))
    count = np.zeros((p, k))
    ties = np.zeros(p)
    for j in range(p):
        below = 0
        r2 = [0] * k
        c = [0] * k
        t = 0
        for res in results:
            cnt, rs, ts = res[j]
            for g in range(k):
                r2[g] += rs[g] + 2 * below * cnt[g]
                c[g] += cnt[g]
            t += ts
            below += sum(cnt)
        rank2[j] = [float(v) for v in r2]
        count[j] = [float(v) for v in c]
        ties[j] = float(t)
    return rank2, count, ties


def profile_stats(
    X: Any,
    labels: Any,
    sample_weight: Any = None,
    kruskal: bool = False,
    n_jobs: Any = None,
    criteria: Any = None,
    *,
    client: Any = None,
) -> tuple[Any, pd.Index, tuple[Any, ...]]:
    """The statistics ``segmint.profile`` builds its tables from, computed on the partitions
    of a Dask DataFrame; :func:`segmint.profile` calls it for a Dask `X`.

    How it matches the in-memory profile: the rows with a segment are re-cut so that every
    partition starts on a 1,024-row chunk of the in-memory kernel; the segment sizes, the
    per-segment Σw, Σw·y, Σw·y² (the ANOVA, means), the sums of squares about the segment means
    (a second pass: standard deviations, η²) and the category counts come from the chunk-tree
    nodes each partition holds, added up the rest of the tree in the in-memory order, so they
    are the in-memory floating-point numbers. Medians are order statistics selected exactly in
    IEEE total order: 512 evenly spaced samples per partition and segment of each column bound
    the rank of every sampled value, which brackets each middle rank between two samples; then
    only the values inside the bracket (about 2 × rows / 512 per partition and segment) and
    each partition's count below it travel to the client.
    Kruskal–Wallis regroups each numeric column by value range across the workers (a range is
    ranked whole by one task, ties are never split) and adds exact integer rank sums and tie
    sums Σ(t³ − t), rounded once to float64 as the in-memory kernel does; this moves each
    numeric column once between the workers (16 bytes per value), only when ``kruskal``.

    Everything is bit-identical to the in-memory profile on the same rows, whatever the
    partitioning, with one documented exception: with fractional ``sample_weight`` the
    cumulative weights of a *weighted median* are added in another order than in memory
    (relative difference at most about n × 2⁻⁵³ for n values), so a weighted median can differ
    only where a value's cumulative weight lies within that of half the segment's weight.
    Integer weights (frequency weights) sum exactly: their medians are identical.

    Parameters
    ----------
    X : dask DataFrame or 2-D Array
        The describing variables.
    labels : dask Series or Array, or str
        Segment of each row, partitioned like X (row by row within each partition; a Series
        partition is aligned on X's index within the partition), or the name of a column of X.
        In-memory labels are refused: put them on the cluster (``model.predict(ddf)``, a
        column of X).
    sample_weight : dask Series or Array, optional
        Weight of each row, partitioned like X.
    kruskal : bool, default False
        Also the Kruskal–Wallis rank sums.
    n_jobs : int or None, default None
        Threads of each partition kernel (see :func:`kernel_threads`).
    criteria : Criteria or None, default None
        Ordinal columns take the criteria's order (as in memory).
    client : distributed.Client, default None
        The current client when None.

    Returns
    -------
    tuple
        (encoding, segments, statistics) as :func:`segmint.profile` reads them.

    Raises
    ------
    InvalidInputError
        The in-memory profile's errors (naming the column), labels or weights that are not
        Dask collections partitioned like X.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from distributed import Client
    >>> import segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> ddf = dd.from_pandas(customers, npartitions=3)
    >>> km = sg.KMeans(3, random_state=0).fit(customers[sg.datasets.SPEND_COLUMNS])
    >>> dist = sg.profile(ddf, km.predict(ddf[sg.datasets.SPEND_COLUMNS]), kruskal=True)
    >>> mem = sg.profile(customers, km.labels_, kruskal=True)
    >>> dist.numeric.equals(mem.numeric) and dist.tests.equals(mem.tests)
    True
    >>> client.close()
    """
    import dask

    if not isinstance(getattr(X, "_meta", None), pd.DataFrame) and hasattr(X, "chunks"):
        X, labels, sample_weight, _ = _array_frames(X, labels, sample_weight)
    if isinstance(labels, str) and labels in X.columns:
        labels, X = X[labels], X.drop(columns=labels)
    if criteria is not None:
        X = X.map_partitions(criteria.apply_order, meta=criteria.apply_order(X._meta))
    meta = X._meta
    levels = _frame.column_levels(meta, None, "X")
    xparts = _delayed_parts(X, "X")
    lparts = _partitions._parts_like(
        labels,
        len(xparts),
        "labels",
        "the segments (or name a column of X) as a Dask Series, such as model.predict(ddf),",
    )
    wparts = _partitions._weight_parts(sample_weight, len(xparts))
    client = get_client(client)
    threads = kernel_threads(client, n_jobs)
    summaries = _partitions._gather(
        client,
        client.compute(
            [
                dask.delayed(_summary)(xp, lp, wp, levels)
                for xp, lp, wp in zip(xparts, lparts, wparts, strict=True)
            ]
        ),
    )
    encoding = _frame.merged_encoding(meta, levels, [s["X"] for s in summaries])
    seen = pd.concat([s["labels"] for s in summaries], ignore_index=True).to_numpy()
    _, segments, _ = _frame.segment_codes(seen, pd.RangeIndex(len(seen)), negative_is_none=True)
    if sample_weight is not None:
        checks = [s["weights"] for s in summaries]
        if sum(c[1] for c in checks):
            raise InvalidInputError("sample_weight: contains NaN or inf", "sample_weight")
        if negative := sum(c[2] for c in checks):
            raise InvalidInputError(
                f"sample_weight: weights must be non-negative; {negative} are negative",
                "sample_weight",
            )
        if not sum(c[3] for c in checks) > 0:
            raise InvalidInputError("sample_weight: the weights sum to zero", "sample_weight")
    k = len(segments)
    if k < 2:
        raise InvalidInputError(
            f"labels: a profile compares segments, but there is only one ({segments[0]!r})",
            "labels",
        )
    encode = dask.delayed(_encode, pure=False)
    converted = client.compute(
        [
            encode(xp, lp, wp, encoding, segments)
            for xp, lp, wp in zip(xparts, lparts, wparts, strict=True)
        ]
    )
    parts = Partitions.from_blocks(client, converted, encoding.columns)
    del converted
    n_levels = [len(encoding.labels[j] or []) for j in encoding.categorical]
    p = len(encoding.continuous)
    run = {"n_levels": n_levels, "k": k, "n_threads": threads}
    try:
        # The sorted values are prepared while the sums passes run.
        states = [client.submit(_sorted, f, k, pure=False) for f in parts.futures] if p else []
        sums = _merged(parts, parts.map(_sums, means=None, **run))
        w, s = sums[k : k + 3 * p * k : 3], sums[k + 1 : k + 3 * p * k : 3]
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(w > 0, s / np.where(w > 0, w, 1.0), np.nan).reshape(p, k)
        squares = _merged(parts, parts.map(_sums, means=means, **run)) if p else np.zeros(0)
        minimum = np.full(p, math.inf)
        median = np.zeros((p, k + 1))
        ranks: dict[str, Any] = {}
        if p:
            mins = _partitions._gather(
                client, [client.submit(_minimum, s, pure=False) for s in states]
            )
            minimum = np.minimum.reduce(mins)
            median, overall = _medians(client, states, p, k, sample_weight is not None)
            if kruskal:
                rank2, count, ties = _ranks(client, states, overall, p, k, len(parts.futures))
                ranks = {"rank2": rank2, "rank_count": count, "ties": ties}
        client.cancel(states)
    finally:
        client.cancel(parts.futures)
    stats = _core.profile_finish(
        sums,
        squares,
        n_levels=n_levels,
        k=k,
        minimum=np.ascontiguousarray(minimum, dtype=np.float64),
        median=np.ascontiguousarray(median),
        **ranks,
    )
    return encoding, segments, stats
