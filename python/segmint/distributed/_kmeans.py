"""KMeans on a Dask collection: Lloyd steps from per-partition Rust kernels merged along the
in-memory chunk tree (see :mod:`segmint.distributed`)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from .. import _core, _validation
from ..errors import InvalidInputError
from ._partitions import (
    Partitions,
    _set_features,
    _worker_task,
    get_client,
    kernel_threads,
    merge_tree,
    predict,
)

#: Rows of the sample the initial centres are chosen on: ``max(_SAMPLE_MIN, 100 × k)``.
_SAMPLE_MIN = 50_000


def _nodes(results: list[dict[str, Any]], fields: tuple[str, ...]) -> dict[tuple[int, int], Any]:
    out: dict[tuple[int, int], Any] = {}
    for r in results:
        for i, (f, c) in enumerate(zip(r["first"].tolist(), r["count"].tolist(), strict=True)):
            out[(f, c)] = tuple(r[name][i] for name in fields)
    return out


def _merge_moments(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    """Chan et al.'s pairwise update, with the in-memory kernel's operation order."""
    ca, ma, m2a = a
    cb, mb, m2b = b
    with np.errstate(all="ignore"):
        total = ca + cb
        delta = mb - ma
        keep = cb == 0
        mean = np.where(keep, ma, ma + delta * cb / total)
        m2 = np.where(keep, m2a, m2a + (m2b + delta * delta * ca * cb / total))
        count = np.where(keep, ca, total)
    return count, mean, m2


def _add(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _seq_sum(values: Any) -> float:
    """Left-to-right sum (Rust's ``Iterator::sum``), not numpy's pairwise one."""
    s = 0.0
    for v in values:
        s += v
    return s


# --- k-means partition tasks (run on the workers) -----------------------------------------------


@_worker_task
def _moments_task(block: Any, *, row_start: int, n_total: int, n_threads: int) -> dict[str, Any]:
    x, w = block
    r = _core.kmeans_partition_moments(
        x, sample_weight=w, row_start=row_start, n_total=n_total, n_threads=n_threads
    )
    return {
        "first": r.node_first,
        "count": r.node_count,
        "n": r.count,
        "mean": r.mean,
        "m2": r.m2,
        "weight": r.total_weight,
    }


@_worker_task
def _lloyd_task(
    block: Any,
    *,
    row_start: int,
    n_total: int,
    centers: np.ndarray,
    offset: np.ndarray,
    accumulate: bool,
    n_threads: int,
) -> dict[str, Any]:
    x, w = block
    r = _core.kmeans_partition_lloyd(
        x,
        sample_weight=w,
        centers=centers,
        offset=offset,
        row_start=row_start,
        n_total=n_total,
        accumulate=accumulate,
        n_threads=n_threads,
    )
    return {
        "first": r.node_first,
        "count": r.node_count,
        "sums": r.sums,
        "weights": r.weights,
        "inertia": r.inertia,
        "hash": r.label_hash,
    }


@_worker_task
def _farthest_task(
    block: Any,
    *,
    row_start: int,
    n_total: int,
    centers: np.ndarray,
    offset: np.ndarray,
    m: int,
    n_threads: int,
) -> dict[str, Any]:
    x, w = block
    r = _core.kmeans_partition_farthest(
        x,
        sample_weight=w,
        centers=centers,
        offset=offset,
        row_start=row_start,
        n_total=n_total,
        m=m,
        n_threads=n_threads,
    )
    return {
        "index": r.index,
        "distance": r.distance,
        "rows": r.rows,
        "weight": r.weight,
        "label": r.label,
    }


def _take_task(block: Any, *, row_start: int, n_total: int, rows: np.ndarray) -> Any:
    x, w = block
    local = rows - row_start
    return x[local], None if w is None else w[local]


# --- k-means ------------------------------------------------------------------------------------


def _sample(parts: Partitions, n_clusters: int, seed: int) -> tuple[np.ndarray, Any]:
    n = parts.n_total
    m = min(n, max(_SAMPLE_MIN, 100 * n_clusters))
    rows = np.sort(np.random.default_rng(seed).choice(n, size=m, replace=False))
    bounds = [*parts.starts, n]
    futures = []
    for f, (lo, hi) in zip(parts.futures, itertools.pairwise(bounds), strict=True):
        sel = rows[(rows >= lo) & (rows < hi)]
        futures.append(
            parts.client.submit(_take_task, f, row_start=lo, n_total=n, rows=sel, pure=False)
        )
    taken = parts.gather(futures)
    x = np.ascontiguousarray(np.concatenate([t[0] for t in taken]))
    w = None if not parts.weighted else np.ascontiguousarray(np.concatenate([t[1] for t in taken]))
    if w is not None and not w.sum() > 0:
        w = None
    return x, w


def kmeans_sample_init(
    estimator: Any, X: Any, sample_weight: Any = None, *, client: Any = None
) -> np.ndarray:
    """The initial centres a distributed ``KMeans.fit`` starts from for ``init="k-means++"`` or
    ``"random"``: an in-memory fit on a seeded uniform sample of the rows (see the module
    notes). Fitting ``KMeans(init=<these>)`` in memory on the same rows gives the distributed
    model to the last bit.

    Parameters
    ----------
    estimator : KMeans
        An unfitted estimator (its ``n_clusters``, ``init``, ``n_init``, ``random_state``).
    X : dask DataFrame or Array
        The rows.
    sample_weight : dask Series or Array, default None
        Row weights.
    client : distributed.Client, default None
        The current client when None.

    Returns
    -------
    ndarray of shape (n_clusters, n_features)
        The initial centres.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dask.dataframe as dd
    >>> from distributed import Client
    >>> import segmint as sg
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(3000, 2)), columns=["a", "b"])
    >>> ddf = dd.from_pandas(X, npartitions=3)
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> from segmint import distributed
    >>> centres = distributed.kmeans_sample_init(sg.KMeans(3, random_state=0), ddf)
    >>> km = sg.KMeans(3, random_state=0).fit(ddf)
    >>> in_memory = sg.KMeans(3, init=centres, n_init=1).fit(X)
    >>> km.inertia_ == in_memory.inertia_
    True
    >>> client.close()
    """
    client = get_client(client)
    p = _validation.validate_params(estimator)
    parts = Partitions(client, X, sample_weight, estimator.missing)
    return _init_centres(estimator, parts, p)


def _init_centres(estimator: Any, parts: Partitions, p: dict[str, Any]) -> np.ndarray:
    init, centres = estimator._init_args(len(parts.columns))
    if centres is not None:
        return np.asarray(centres)
    x, w = _sample(parts, p["n_clusters"], p["random_state"])
    centered, offset, _, _, _ = _core.kmeans_fit(
        x,
        w,
        n_clusters=p["n_clusters"],
        init=init,
        init_centers=None,
        n_init=p["n_init"],
        max_iter=p["max_iter"],
        tol=p["tol"],
        seed=p["random_state"],
        n_threads=p["n_jobs"],
    )
    return np.asarray(centered + offset)


def _relocate(
    parts: Partitions,
    centres: np.ndarray,
    offset: np.ndarray,
    sums: np.ndarray,
    weights: np.ndarray,
    threads: int,
) -> None:
    """In-memory ``relocate_empty``: each empty cluster takes one of the rows farthest from
    their assigned centre (lower row index first on ties)."""
    empty = [c for c in range(len(weights)) if weights[c] == 0.0]
    if not empty:
        return
    m = min(len(empty), parts.n_total)
    found = parts.map(_farthest_task, centers=centres, offset=offset, m=m, n_threads=threads)
    cands = [
        (float(r["distance"][i]), int(r["index"][i]), r, i)
        for r in found
        for i in range(len(r["index"]))
    ]
    cands.sort(key=lambda c: (-c[0], c[1]))
    for c, (_, _, r, i) in zip(empty, cands[:m], strict=False):
        wi = float(r["weight"][i])
        src = int(r["label"][i])
        v = (r["rows"][i] - offset) * wi
        sums[src] -= v
        sums[c] = v
        weights[c] = wi
        weights[src] -= wi


def fit_kmeans(estimator: Any, X: Any, sample_weight: Any = None, *, client: Any = None) -> Any:
    """``KMeans.fit`` on a Dask DataFrame or Array (see the module notes): Lloyd steps from
    per-partition Rust kernels merged exactly, bit-identical to the in-memory fit from the same
    initial centres.

    ``labels_`` is lazy (the model's ``predict`` on `X` mapped over its partitions).
    ``KMeans.fit`` calls it for a Dask collection.

    Parameters
    ----------
    estimator : KMeans
        The estimator to fit (its parameters are validated as in memory).
    X : dask DataFrame or Array
        The rows (numeric columns).
    sample_weight : dask Series or Array, default None
        Non-negative row weights.
    client : distributed.Client, default None
        The current client when None.

    Returns
    -------
    KMeans
        The fitted estimator.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dask.dataframe as dd
    >>> from distributed import Client
    >>> import segmint as sg
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(3000, 2)), columns=["a", "b"])
    >>> ddf = dd.from_pandas(X, npartitions=3)
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> from segmint import distributed
    >>> km = distributed.fit_kmeans(sg.KMeans(3, random_state=0), ddf)
    >>> km.cluster_centers_.shape
    (3, 2)
    >>> client.close()
    """
    p = _validation.validate_params(estimator)
    n_clusters, max_iter = p["n_clusters"], p["max_iter"]
    client = get_client(client)
    threads = kernel_threads(client, estimator.n_jobs)
    parts = Partitions(client, X, sample_weight, estimator.missing)
    d = len(parts.columns)
    if parts.n_total < n_clusters:
        raise InvalidInputError(
            f"n_clusters: n_samples={parts.n_total} should be >= n_clusters={n_clusters}",
            "n_clusters",
        )
    moments = parts.map(_moments_task, n_threads=threads)
    if parts.weighted and not sum(r["weight"] for r in moments) > 0:
        raise InvalidInputError("sample_weight: the weights sum to zero", "sample_weight")
    count, mean, m2 = merge_tree(
        _nodes(moments, ("n", "mean", "m2")), parts.n_total, _merge_moments
    )
    with np.errstate(all="ignore"):
        tol = p["tol"] * _seq_sum((m2 / count).tolist()) / d
    offset = np.ascontiguousarray(mean, dtype=np.float64)
    start = _init_centres(estimator, parts, p)
    centres = np.ascontiguousarray(start - offset)
    k = n_clusters
    hashes: list[int] | None = None
    n_iter = 0
    for it in range(max_iter):
        n_iter = it + 1
        res = parts.map(
            _lloyd_task, centers=centres, offset=offset, accumulate=True, n_threads=threads
        )
        sums, weights, _ = merge_tree(
            _nodes(res, ("sums", "weights", "inertia")), parts.n_total, _add
        )
        sums, weights = np.array(sums, copy=True), np.array(weights, copy=True)
        new_hashes = [int(r["hash"]) for r in res]
        changed = hashes is None or new_hashes != hashes
        hashes = new_hashes
        _relocate(parts, centres, offset, sums, weights, threads)
        new = sums.reshape(k, d)
        for c in range(k):
            wc = float(weights[c])
            if wc > 0.0:
                new[c] = new[c] * (1.0 / wc)
        shift = 0.0
        for ra, rb in zip(new.tolist(), centres.tolist(), strict=True):
            inner = 0.0
            for a, b in zip(ra, rb, strict=True):
                inner += (a - b) * (a - b)
            shift += inner
        centres = np.ascontiguousarray(new)
        if not changed or shift <= tol:
            break
    final = parts.map(
        _lloyd_task, centers=centres, offset=offset, accumulate=False, n_threads=threads
    )
    (inertia,) = merge_tree(_nodes(final, ("inertia",)), parts.n_total, _add)
    estimator._centered, estimator._offset = centres, offset
    estimator._columns = parts.columns
    _set_features(estimator, X, d)
    estimator.inertia_ = float(inertia)
    estimator.n_iter_ = int(n_iter)
    estimator.labels_ = predict(estimator, X)
    return estimator
