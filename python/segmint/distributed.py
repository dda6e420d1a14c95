"""Fitting segmint's estimators on Dask collections, with the in-memory fit's results.

The estimators accept a ``dask.dataframe.DataFrame`` or a ``dask.array.Array`` in their usual
``fit`` (there is no second set of classes); this module holds the mechanics. Distributed so
far: ``KMeans`` (fit, predict, transform), ``FactorAnalysis`` (fit from the correlation pass,
transform) and ``DiscriminantAnalysis`` (fit from the class scatter pass, predict,
predict_proba, transform). A fit needs a
running ``dask.distributed`` client (the current one by default: ``Client()`` or
``Client(LocalCluster(...))``); install the extra with ``pip install segmint[dask]``. Importing
segmint never imports Dask.

How a distributed fit reproduces the in-memory one to the last bit
-------------------------------------------------------------------
The in-memory Rust kernels cut the rows into chunks of 1,024 and add the chunks' partial
statistics along a binary tree whose shape depends only on the number of chunks (that is why
their results do not depend on the thread count). A distributed fit first re-cuts the
partitions so that each starts on a multiple of 1,024 rows of the whole data set (boundaries move
by at most 512 rows; only those rows travel between neighbours), then every Lloyd step runs a
Rust kernel on each partition that returns the statistics (per-cluster sums of ``x − mean``,
weights; the inertia in the final pass) of the *maximal nodes of that same tree* lying inside the
partition, at most about 2 log₂(chunks) of them. The client adds those nodes up the rest of the
tree in the in-memory order. Sums, weights, inertia and the column moments are therefore the
same floating-point numbers as in memory, whatever the number of partitions and workers, and the
fitted centres, labels, inertia and iteration count are bit-identical to
``KMeans(init=<the same centres>).fit`` on the same rows in memory.

Two details make the loop itself identical: the in-memory fit stops when no label changed, which
the partitions report as a 64-bit hash of their labels (a change that leaves every partition's
hash equal has probability about 2⁻⁶⁴ per partition and step); an empty cluster takes the row
farthest from its centre, which each partition proposes from its own rows and the client picks
with the in-memory tie rule (lowest row index).

Initial centres
---------------
``init="k-means++"`` / ``"random"`` run segmint's in-memory ``KMeans`` (``n_init`` runs from
``random_state``) on a uniform sample, without replacement, of ``min(n, max(50_000,
100 × n_clusters))`` rows drawn with ``numpy.random.default_rng(random_state)`` by global row
position (so the sample does not depend on the partitioning); its centres start the distributed
Lloyd run. :func:`kmeans_sample_init` returns those centres. An explicit array of centres is used
as given.

Cost per Lloyd iteration
------------------------
Each worker reads its rows once (n_rows × d × 8 bytes) and sends the client, per partition, about
2 log₂(rows / 1,024) nodes of k × (d + 1) × 8 bytes (the sums and weights) plus 8 bytes of label
hash; the client's merge costs as many k × d additions. With 10⁹ rows of 16 features, k = 8, on
100 workers (one partition of 10⁷ rows each): 1.28 GB read per worker, at most 28 nodes × 1,088
bytes ≈ 30 kB per partition, ≈ 3 MB to the client per step (``benchmarks/dask_kmeans.py`` prints
this model next to its timings).

Threads
-------
Each worker thread runs one partition kernel at a time; a kernel uses ``n_jobs`` threads when
the estimator sets ``n_jobs``, else ``max(1, cores // dask_threads)`` where ``dask_threads`` is
the number of Dask worker threads on that host, so workers × threads per worker × kernel threads
never exceeds the cores. Results never depend on it.

Robustness
----------
A worker that dies mid-fit (its nanny restarts it) loses its partitions; the scheduler recomputes
them from the collection's graph and the kernels are deterministic, so the fit ends with the same
model. If the data cannot be recomputed, the fit raises (never a different model). Bad input
raises on the client, as in memory, naming the column.
"""

from __future__ import annotations

import copy
import functools
import itertools
import os
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from . import _core, _frame, _validation
from .errors import InternalError, InvalidInputError, InvalidTypeError

#: Rows per chunk of the in-memory kernels (``crate::parallel::CHUNK_ROWS``).
CHUNK_ROWS = 1024

#: Rows of the sample the initial centres are chosen on: ``max(_SAMPLE_MIN, 100 × k)``.
_SAMPLE_MIN = 50_000


# --- Client, threads ---------------------------------------------------------------------------


def get_client(client: Any = None) -> Any:
    """The given client, else the current ``dask.distributed`` client.

    Parameters
    ----------
    client : distributed.Client or None, default None
        Returned as given when not None.

    Returns
    -------
    distributed.Client
        The client distributed fits run on.

    Raises
    ------
    ImportError
        When dask.distributed is not installed (``pip install segmint[dask]``).
    InvalidInputError
        When no client is running.

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
    >>> distributed.get_client() is client
    True
    >>> client.close()
    """
    if client is not None:
        return client
    try:
        from distributed import default_client
    except ImportError as e:  # pragma: no cover - the extra is installed in the tests
        raise ImportError(
            "fitting on a Dask collection needs dask.distributed: pip install segmint[dask]"
        ) from e
    try:
        return default_client()
    except ValueError as e:
        raise InvalidInputError(
            "client: fitting on a Dask collection needs a running dask.distributed Client; "
            "start one with Client() or Client(LocalCluster(...))",
            "client",
        ) from e


def kernel_threads(client: Any, n_jobs: Any = None) -> int:
    """Threads of each partition kernel: ``n_jobs`` when set, else ``max(1, cores //
    dask_threads)`` on the most loaded host, where ``dask_threads`` is the number of Dask worker
    threads on that host (workers × threads per worker), so that kernels never oversubscribe
    the cores.

    Parameters
    ----------
    client : distributed.Client
        The client whose workers run the kernels.
    n_jobs : int or None, default None
        The estimator's ``n_jobs``; None applies the rule above.

    Returns
    -------
    int
        Threads per kernel.

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
    >>> distributed.kernel_threads(client, n_jobs=1)
    1
    >>> client.close()
    """
    if n_jobs is not None:
        return _validation.n_threads(n_jobs)
    workers = client.scheduler_info(n_workers=-1)["workers"]
    cores = client.run(os.cpu_count)
    load: dict[str, int] = defaultdict(int)
    host_cores: dict[str, int] = {}
    for addr, info in workers.items():
        host = info.get("host", addr)
        load[host] += int(info.get("nthreads", 1))
        host_cores[host] = int(cores.get(addr) or 1)
    if not load:
        return 1
    return max(1, min(host_cores[h] // max(1, load[h]) for h in load))


def _gather(client: Any, futures: list[Any]) -> list[Any]:
    """Results of `futures` in order (one place, so tests can interrupt a fit here)."""
    return list(client.gather(futures))


# --- Partitions ---------------------------------------------------------------------------------


def _delayed_parts(X: Any, what: str) -> list[Any]:
    """The partitions of a dask DataFrame / Series / Array as a list of Delayed, in order."""
    if hasattr(X, "divisions"):  # DataFrame / Series
        return list(X.to_delayed())
    if hasattr(X, "chunks") and hasattr(X, "to_delayed"):
        if X.ndim == 2:
            X = X.rechunk({1: -1})
            return list(X.to_delayed().ravel())
        if X.ndim == 1:
            return list(X.to_delayed().ravel())
        raise InvalidInputError(f"{what}: expected a 2-dimensional array, got {X.ndim}-d", what)
    raise InvalidTypeError(f"{what}: not a Dask DataFrame or Array ({type(X).__name__})", what)


def _worker_task(func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` with a Rust panic re-raised as :class:`InternalError`. pyo3's ``PanicException``
    derives from ``BaseException``, which a Dask worker does not report as a task error: the
    client would wait for the result forever instead of raising."""

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception:
            raise
        except BaseException as e:
            if type(e).__name__ != "PanicException":
                raise
            raise InternalError(f"segmint: a Rust kernel panicked on a worker: {e}") from None

    return run


@_worker_task
def _convert(part: Any, weights: Any, missing: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Worker side: a partition -> (C-contiguous float64 block of the kept rows, weights)."""
    if len(part) == 0:
        n_cols = part.shape[1] if getattr(part, "ndim", 2) == 2 else 0
        return np.empty((0, n_cols)), None if weights is None else np.empty(0)
    try:
        data = _frame.numeric(part, missing=missing)
    except InvalidInputError as e:
        if missing == "drop" and "every row has a missing value" in str(e):
            return np.empty((0, part.shape[1])), None if weights is None else np.empty(0)
        raise
    w = None
    if weights is not None:
        w = np.asarray(weights)
        if w.dtype.kind not in "biuf":
            raise InvalidTypeError(
                f"sample_weight: must be numeric, got dtype {w.dtype}", "sample_weight"
            )
        w = w.astype(np.float64)
        if w.shape != (len(part),):
            raise InvalidInputError(
                "sample_weight: must be partitioned like X (one weight per row)", "sample_weight"
            )
        if not np.isfinite(w).all():
            raise InvalidInputError("sample_weight: contains NaN or inf", "sample_weight")
        if (w < 0).any():
            raise InvalidInputError(
                f"sample_weight: weights must be non-negative; {int((w < 0).sum())} are negative",
                "sample_weight",
            )
        if data.kept is not None:
            w = w[data.kept]
        w = np.ascontiguousarray(w)
    return data.values, w


def _n_rows(block: tuple[np.ndarray, np.ndarray | None]) -> int:
    return int(block[0].shape[0])


def _assemble(
    blocks: list[tuple[np.ndarray, np.ndarray | None]], ranges: list[tuple[int, int]]
) -> tuple[np.ndarray, np.ndarray | None]:
    """Worker side: rows `lo:hi` of consecutive blocks, concatenated."""
    xs = [b[0][lo:hi] for b, (lo, hi) in zip(blocks, ranges, strict=True)]
    ws = [b[1][lo:hi] for b, (lo, hi) in zip(blocks, ranges, strict=True) if b[1] is not None]
    x = xs[0] if len(xs) == 1 else np.concatenate(xs)
    w = None if not ws else ws[0] if len(ws) == 1 else np.concatenate(ws)
    return np.ascontiguousarray(x), None if w is None else np.ascontiguousarray(w)


class Partitions:
    """Rows of a Dask collection converted and held on the workers, each partition starting on
    a multiple of :data:`CHUNK_ROWS` rows of the whole data set.

    Attributes
    ----------
    futures : list of Future of (values, weights)
    starts : list of int, global index of each partition's first row
    n_total : int, rows (kept rows when missing="drop")
    columns : list of str
    """

    def __init__(
        self,
        client: Any,
        X: Any,
        sample_weight: Any,
        missing: str,
        convert: Callable[..., Any] | None = None,
    ) -> None:
        import dask

        self.client = client
        self.columns = _check_columns(X)
        parts = _delayed_parts(X, "X")
        wparts: list[Any] = [None] * len(parts)
        if sample_weight is not None:
            if not _frame.is_dask(sample_weight):
                raise InvalidInputError(
                    "sample_weight: with a Dask X, pass weights as a Dask Series or Array "
                    "partitioned like X",
                    "sample_weight",
                )
            wparts = _delayed_parts(sample_weight, "sample_weight")
            if len(wparts) != len(parts):
                raise InvalidInputError(
                    f"sample_weight: has {len(wparts)} partitions, X has {len(parts)}; "
                    "partition them alike",
                    "sample_weight",
                )
        convert = dask.delayed(convert or _convert, pure=True)
        converted = client.compute(
            [convert(p, w, missing) for p, w in zip(parts, wparts, strict=True)]
        )
        lengths = _gather(client, client.map(_n_rows, converted, pure=False))
        self.n_total = int(sum(lengths))
        self.weighted = sample_weight is not None
        if self.n_total == 0:
            raise InvalidInputError("X: has no rows (n_samples=0)", "X")
        # Boundaries rounded to the nearest multiple of CHUNK_ROWS.
        old = np.concatenate([[0], np.cumsum(lengths)])
        cuts = [0]
        for b in old[1:-1]:
            r = round(b / CHUNK_ROWS) * CHUNK_ROWS
            if cuts[-1] < r < self.n_total:
                cuts.append(r)
        cuts.append(self.n_total)
        self.starts = cuts[:-1]
        self.futures = []
        for lo, hi in itertools.pairwise(cuts):
            pieces, ranges = [], []
            for i, (a, b) in enumerate(itertools.pairwise(old.tolist())):
                if b > lo and a < hi and b > a:
                    pieces.append(converted[i])
                    ranges.append((int(max(lo, a) - a), int(min(hi, b) - a)))
            self.futures.append(client.submit(_assemble, pieces, ranges, pure=False))
        self.lengths = [hi - lo for lo, hi in itertools.pairwise(cuts)]

    def map(self, func: Callable[..., Any], **kwargs: Any) -> list[Any]:
        """`func(block, row_start=..., n_total=..., **kwargs)` on every partition, results in
        partition order."""
        futures = [
            self.client.submit(func, f, row_start=s, n_total=self.n_total, pure=False, **kwargs)
            for f, s in zip(self.futures, self.starts, strict=True)
        ]
        return _gather(self.client, futures)


def _check_columns(X: Any) -> list[str]:
    """Column names, with the dtype check of the in-memory conversion run on the (empty)
    metadata, so a text column is named on the client before any work is sent."""
    meta = getattr(X, "_meta", None)
    if isinstance(meta, pd.DataFrame):
        for name in meta.columns:
            _frame.check_numeric_dtype(meta[name], name, "X")
        return [str(c) for c in meta.columns]
    if isinstance(meta, pd.Series):
        raise InvalidInputError(
            "X: expected a 2-dimensional table, got a Series; use series.to_frame()", "X"
        )
    if getattr(X, "ndim", 2) != 2:
        raise InvalidInputError(f"X: expected a 2-dimensional array, got {X.ndim}-d", "X")
    dtype = np.dtype(X.dtype)
    if dtype.kind not in "biuf":
        raise InvalidTypeError(f"X: the array holds {dtype}; this method needs numbers", "X")
    return [f"x{j}" for j in range(X.shape[1])]


# --- Exact merges along the chunk tree ----------------------------------------------------------


def merge_tree(nodes: dict[tuple[int, int], Any], n_total: int, merge: Callable[..., Any]) -> Any:
    """The root of the chunk tree of ``n_total`` rows from its maximal nodes held by the
    partitions, adding children in the order of the in-memory fold.

    Parameters
    ----------
    nodes : dict of (first chunk, chunk count) -> statistic
        The maximal tree nodes each partition returned.
    n_total : int
        Rows of the whole data set (chunks of ``CHUNK_ROWS``).
    merge : callable
        ``merge(left, right)`` adds two nodes' statistics.

    Returns
    -------
    object
        The root's statistic: ``merge`` applied in the in-memory order.

    Examples
    --------
    >>> from segmint.distributed import CHUNK_ROWS, merge_tree
    >>> nodes = {(0, 1): "a", (1, 2): "bc"}  # two partitions: chunk 0, chunks 1-2
    >>> merge_tree(nodes, 3 * CHUNK_ROWS, lambda a, b: f"({a}+{b})")
    '(a+bc)'
    >>> nodes = {(0, 1): "a", (1, 1): "b", (2, 1): "c"}  # one chunk per partition
    >>> merge_tree(nodes, 3 * CHUNK_ROWS, lambda a, b: f"({a}+{b})")
    '(a+(b+c))'
    """
    n_chunks = max(1, -(-n_total // CHUNK_ROWS))

    def rec(first: int, count: int) -> Any:
        value = nodes.get((first, count))
        if value is not None:
            return value
        if count == 1:
            raise InternalError(f"segmint.distributed: chunk {first} is in no partition")
        mid = count // 2
        return merge(rec(first, mid), rec(first + mid, count - mid))

    return rec(0, n_chunks)


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
    taken = _gather(parts.client, futures)
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


def _set_features(estimator: Any, X: Any, d: int) -> None:
    meta = getattr(X, "_meta", None)
    if isinstance(meta, pd.DataFrame):
        _frame.check_features(estimator, meta, reset=True)
    else:
        estimator.n_features_in_ = d
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_


# --- factor analysis ----------------------------------------------------------------------------

#: The fields of a partition's correlation-pass nodes (``_core.MomentNodes``).
_MOMENT_FIELDS = (
    "node_first",
    "node_count",
    "n",
    "sum",
    "cross",
    "has_pairwise",
    "pw_count",
    "pw_psum",
    "pw_psq",
)


@_worker_task
def _convert_items(part: Any, weights: Any, missing: str) -> tuple[np.ndarray, None]:
    """Worker side: a partition -> its items as float64 with NaN for missing values, incomplete
    rows left out for ``missing="listwise"`` (the in-memory ``FactorAnalysis`` conversion)."""
    from ._frame.factor import items

    if len(part) == 0:
        return np.empty((0, part.shape[1] if getattr(part, "ndim", 2) == 2 else 0)), None
    values = items(part).values
    if missing == "listwise":
        values = np.ascontiguousarray(values[~np.isnan(values).any(axis=1)])
    return values, None


@_worker_task
def _first_present_task(block: Any, *, row_start: int, n_total: int) -> tuple[Any, Any]:
    """Each column's first present value in the partition, and whether it has one."""
    x, _ = block
    present = ~np.isnan(x)
    has = present.any(axis=0)
    first = x[present.argmax(axis=0), np.arange(x.shape[1])] if len(x) else np.zeros(x.shape[1])
    return has, np.where(has, first, 0.0)


@_worker_task
def _factor_moments_task(
    block: Any, *, row_start: int, n_total: int, shift: np.ndarray, n_threads: int
) -> dict[str, Any]:
    x, _ = block
    r = _core.factor_partition_moments(
        x, shift=shift, row_start=row_start, n_total=n_total, n_threads=n_threads
    )
    return {name: getattr(r, name) for name in _MOMENT_FIELDS}


def factor_correlation(
    X: Any, *, missing: str = "pairwise", n_jobs: Any = None, client: Any = None
) -> Any:
    """The correlation pass of ``FactorAnalysis`` over a Dask collection: per-partition sums
    of the shifted items and their cross-products (pairwise-complete with missing values) at
    the nodes of the in-memory chunk tree, merged in Rust in the in-memory order. The
    correlation, covariance and means are the in-memory pass's numbers to the last bit.

    Parameters
    ----------
    X : dask DataFrame or Array
        Numeric items, NaN for missing values.
    missing : {"pairwise", "listwise"}, default "pairwise"
        As ``FactorAnalysis(missing=...)``.
    n_jobs : int or None, default None
        Threads per partition kernel (see :func:`kernel_threads`).
    client : distributed.Client, default None
        The current client when None.

    Returns
    -------
    object
        The checked correlation pass (``r``, ``cov``, ``mean``, ``n_obs``, ``data.columns``)
        ``FactorAnalysis`` fits from.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dask.dataframe as dd
    >>> from distributed import Client
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(3000, 3)), columns=list("abc"))
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> from segmint import distributed
    >>> c = distributed.factor_correlation(dd.from_pandas(X, npartitions=3))
    >>> c.r.shape, c.n_obs
    ((3, 3), 3000)
    >>> bool(np.allclose(c.r, np.corrcoef(X.to_numpy(), rowvar=False)))
    True
    >>> client.close()
    """
    from ._factor_diagnostics import MISSING, _checked
    from ._frame.factor import Items

    if missing not in MISSING:
        raise InvalidInputError(f"missing: must be one of {MISSING}, got {missing!r}", "missing")
    client = get_client(client)
    threads = kernel_threads(client, n_jobs)
    parts = Partitions(client, X, None, missing, convert=_convert_items)
    n, p = parts.n_total, len(parts.columns)
    if n < p + 1:
        raise InvalidInputError(
            f"X: {n} rows for {p} items; factor analysis needs more rows than items", "X"
        )
    # The in-memory shift: each column's first present value (0 when it has none).
    shift, found = np.zeros(p), np.zeros(p, dtype=bool)
    for has, first in parts.map(_first_present_task):
        take = np.asarray(has) & ~found
        shift[take] = np.asarray(first)[take]
        found |= np.asarray(has)
    res = parts.map(_factor_moments_task, shift=shift, n_threads=threads)
    cat = {f: np.concatenate([np.asarray(r[f]) for r in res]) for f in _MOMENT_FIELDS}
    cp = _core.factor_merge_moments(**cat, shift=shift, n_total=n)
    data = Items(np.empty((0, p)), pd.RangeIndex(0), parts.columns, hasattr(X, "divisions"))
    return _checked(cp, data, n, None)


def fit_factor(estimator: Any, X: Any, *, client: Any = None) -> Any:
    """``FactorAnalysis.fit`` on a Dask DataFrame or Array: the correlation pass from
    :func:`factor_correlation`, then the in-memory extraction and rotation on the (small)
    correlation matrix, so every fitted attribute equals the in-memory fit's to the last bit.
    ``FactorAnalysis.fit`` calls it for a Dask collection. ``n_factors`` must be given: parallel
    analysis simulates data sets of the data's size (run :func:`segmint.factor.
    parallel_analysis` on a sample, e.g. ``X.sample(frac=0.01).compute()``).

    Parameters
    ----------
    estimator : FactorAnalysis
        The estimator to fit.
    X : dask DataFrame or Array
        Numeric items, NaN for missing values.
    client : distributed.Client, default None
        The current client when None.

    Returns
    -------
    FactorAnalysis
        The fitted estimator.

    Raises
    ------
    InvalidInputError
        ``n_factors=None`` (see above), or the in-memory fit's errors (naming the column).

    Examples
    --------
    >>> import numpy as np, pandas as pd, dask.dataframe as dd
    >>> from distributed import Client
    >>> import segmint as sg
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(3000, 2))
    >>> X = pd.DataFrame(np.hstack([f[:, [0]] + 0.5 * rng.normal(size=(3000, 3)),
    ...                             f[:, [1]] + 0.5 * rng.normal(size=(3000, 3))]),
    ...                  columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> fa = sg.FactorAnalysis(2, rotation="varimax").fit(dd.from_pandas(X, npartitions=3))
    >>> fa.loadings_.equals(sg.FactorAnalysis(2, rotation="varimax").fit(X).loadings_)
    True
    >>> client.close()
    """
    rotation = estimator._check_params()
    if estimator.n_factors is None:
        raise InvalidInputError(
            "n_factors: give the number of factors for a Dask collection (parallel analysis "
            "simulates data sets of the data's size; run segmint.factor.parallel_analysis on a "
            "sample, e.g. X.sample(frac=0.01).compute())",
            "n_factors",
        )
    client = get_client(client)
    c = factor_correlation(X, missing=estimator.missing, n_jobs=estimator.n_jobs, client=client)
    _set_features(estimator, X, len(c.data.columns))
    return estimator._fit_correlation(c, None, rotation, _validation.n_threads(estimator.n_jobs))


# --- discriminant analysis ----------------------------------------------------------------------

_CLASS_FIELDS = ("node_first", "node_count", "counts", "mean", "m2")


@_worker_task
def _convert_labelled(
    part: Any, labels: Any, missing: str, *, classes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Worker side: a partition and its labels -> (float64 block, global class codes as
    float64), labels aligned on the rows as in memory."""
    if len(part) == 0:
        return np.empty((0, part.shape[1] if getattr(part, "ndim", 2) == 2 else 0)), np.empty(0)
    data = _frame.numeric(part, missing=missing)
    local, local_classes = _frame.class_codes(labels, data.index)
    codes = pd.Index(classes).get_indexer(local_classes)[local]
    return data.values, np.ascontiguousarray(codes, dtype=np.float64)


def _global_classes(y: Any) -> np.ndarray:
    """The classes of labels `y` in the in-memory order: observed categories in category order,
    other labels sorted as ``np.unique`` sorts them."""
    meta = getattr(y, "_meta", None)
    values = np.asarray(y.unique().compute() if hasattr(y, "divisions") else _unique(y))
    if isinstance(meta, pd.Series) and isinstance(meta.dtype, pd.CategoricalDtype):
        observed = set(pd.Series(values).dropna().tolist())
        return np.asarray([c for c in meta.cat.categories if c in observed])
    try:
        return np.unique(values[~pd.isna(values)])
    except TypeError as e:
        raise InvalidInputError(f"y: labels of mixed types cannot be ordered ({e})", "y") from e


def _unique(y: Any) -> Any:
    import dask.array

    return dask.array.unique(y).compute()


@_worker_task
def _discriminant_stats_task(
    block: Any, *, row_start: int, n_total: int, n_groups: int, n_threads: int
) -> dict[str, Any]:
    x, codes = block
    r = _core.discriminant_partition_stats(
        x,
        np.asarray(codes, dtype=np.int64),
        n_groups=n_groups,
        row_start=row_start,
        n_total=n_total,
        n_threads=n_threads,
    )
    return {name: getattr(r, name) for name in _CLASS_FIELDS}


@_worker_task
def _discriminant_tables_task(
    block: Any, *, row_start: int, n_total: int, **fit: Any
) -> tuple[np.ndarray, np.ndarray]:
    x, codes = block
    return _core.discriminant_partition_tables(x, np.asarray(codes, dtype=np.int64), **fit)


def fit_discriminant(estimator: Any, X: Any, y: Any, *, client: Any = None) -> Any:
    """``DiscriminantAnalysis.fit`` on a Dask DataFrame or Array with labels `y` partitioned
    like it: per-partition class counts, means and centred scatter at the nodes of the
    in-memory chunk tree, merged in Rust in the in-memory order, then the in-memory analysis
    (stepwise selection, canonical functions, classification functions) on those statistics;
    the classification tables (and the leave-one-out table with ``cross_validate``) are counted
    per partition. Every fitted attribute equals the in-memory fit's to the last bit.
    ``DiscriminantAnalysis.fit`` calls it for a Dask collection.

    Parameters
    ----------
    estimator : DiscriminantAnalysis
        The estimator to fit.
    X : dask DataFrame or Array
        Numeric criteria, no missing values.
    y : dask Series or Array
        Segment labels, partitioned like `X` (a Series is aligned on X's index within each
        partition).
    client : distributed.Client, default None
        The current client when None.

    Returns
    -------
    DiscriminantAnalysis
        The fitted estimator.

    Raises
    ------
    InvalidInputError
        `y` missing, not a Dask collection or partitioned unlike `X`; the in-memory fit's
        errors (naming the column or segment).

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> from distributed import Client
    >>> from sklearn.datasets import load_iris
    >>> import segmint as sg
    >>> iris = load_iris(as_frame=True)
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> X = dd.from_pandas(iris.data, npartitions=3)
    >>> y = dd.from_pandas(iris.target, npartitions=3)
    >>> da = sg.DiscriminantAnalysis().fit(X, y)
    >>> da.eigenvalues_.equals(sg.DiscriminantAnalysis().fit(iris.data, iris.target).eigenvalues_)
    True
    >>> client.close()
    """
    import functools as ft

    method, f_in, f_out, tol = estimator._check_params()
    if y is None:
        raise InvalidInputError(
            "y: DiscriminantAnalysis requires y to be passed, but the target y is None", "y"
        )
    if not _frame.is_dask(y):
        raise InvalidInputError(
            "y: with a Dask X, pass the labels as a Dask Series or Array partitioned like X", "y"
        )
    if getattr(y, "npartitions", None) != getattr(X, "npartitions", None):
        raise InvalidInputError(
            f"y: has {y.npartitions} partitions, X has {X.npartitions}; partition them alike",
            "y",
        )
    client = get_client(client)
    threads = kernel_threads(client, estimator.n_jobs)
    classes = _global_classes(y)
    g = len(classes)
    convert = ft.partial(_convert_labelled, classes=classes)
    parts = Partitions(client, X, y, "raise", convert=convert)
    res_nodes = parts.map(_discriminant_stats_task, n_groups=g, n_threads=threads)
    cat = {f: np.concatenate([np.asarray(r[f]) for r in res_nodes]) for f in _CLASS_FIELDS}
    counts = cat["counts"].sum(axis=0).astype(np.int64)
    estimator._check_classes(classes, counts)
    priors = estimator._priors(classes, counts)
    res = _core.discriminant_fit_nodes(
        **cat,
        n_features=len(parts.columns),
        n_total=parts.n_total,
        priors=[float(v) for v in priors],
        stepwise=method == "wilks",
        f_in=f_in,
        f_out=f_out,
        tolerance=tol,
    )
    cross = bool(estimator.cross_validate)
    found = parts.map(
        _discriminant_tables_task,
        coef=np.asarray(res.class_coef),
        intercept=[float(v) for v in res.class_const],
        counts=np.asarray(res.counts),
        means=np.asarray(res.means),
        scatter=np.asarray(res.scatter),
        selected=[int(j) for j in res.selected],
        priors=[float(v) for v in priors],
        cross_validate=cross,
        n_threads=threads,
    )
    tables = {"original": sum(np.asarray(t[0], dtype=np.int64) for t in found)}
    if cross:
        tables["cross-validated"] = sum(np.asarray(t[1], dtype=np.int64) for t in found)
    _set_features(estimator, X, len(parts.columns))
    return estimator._fitted(res, classes, counts, parts.columns, priors, tables)


# --- Scoring ------------------------------------------------------------------------------------


@_worker_task
def _predict_part(part: Any, estimator: Any, method: str) -> Any:
    out = getattr(estimator, method)(part)
    if isinstance(part, np.ndarray):
        return np.asarray(out)
    return out


def _local(estimator: Any, threads: int) -> Any:
    local = copy.copy(estimator)
    local.n_jobs = threads
    return local


def predict(estimator: Any, X: Any) -> Any:
    """``estimator.predict`` mapped over the partitions of a Dask collection: a lazy Dask
    Series (DataFrame input) or Array of labels; nothing is computed.

    Parameters
    ----------
    estimator : KMeans
        A fitted estimator.
    X : dask DataFrame or Array
        The rows to label.

    Returns
    -------
    dask Series or Array
        Lazy labels.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dask.dataframe as dd
    >>> from distributed import Client
    >>> import segmint as sg
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(3000, 2)), columns=["a", "b"])
    >>> ddf = dd.from_pandas(X, npartitions=3)
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> km = sg.KMeans(3, random_state=0).fit(X)
    >>> lazy = km.predict(ddf)  # segmint.distributed.predict
    >>> (lazy.compute() == km.predict(X)).all()
    np.True_
    >>> client.close()
    """
    return _map(estimator, X, "predict")


def transform(estimator: Any, X: Any) -> Any:
    """``estimator.transform`` mapped over the partitions: a lazy Dask DataFrame or Array.

    Parameters
    ----------
    estimator : KMeans
        A fitted estimator.
    X : dask DataFrame or Array
        The rows.

    Returns
    -------
    dask DataFrame or Array
        Lazy distances to the centres.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dask.dataframe as dd
    >>> from distributed import Client
    >>> import segmint as sg
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(3000, 2)), columns=["a", "b"])
    >>> ddf = dd.from_pandas(X, npartitions=3)
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> km = sg.KMeans(3, random_state=0).fit(X)
    >>> lazy = km.transform(ddf)  # segmint.distributed.transform
    >>> np.allclose(lazy.compute(), km.transform(X))
    True
    >>> client.close()
    """
    return _map(estimator, X, "transform")


def _map(estimator: Any, X: Any, method: str) -> Any:
    """`estimator.<method>` mapped lazily over the partitions; the output's type, columns and
    dtype come from the method's own output on Dask's placeholder rows."""
    local = _local(estimator, 1)
    if hasattr(X, "map_partitions"):
        meta = getattr(local, method)(X._meta_nonempty)
        meta = meta.iloc[:0]
        return X.map_partitions(_predict_part, local, method, meta=meta)
    X = X.rechunk({1: -1})
    probe = np.asarray(getattr(local, method)(np.zeros((1, X.shape[1]))))
    if probe.ndim == 1:
        return X.map_blocks(
            _predict_part, local, method, drop_axis=1, dtype=probe.dtype, meta=probe[:0]
        )
    return X.map_blocks(
        _predict_part,
        local,
        method,
        chunks=(X.chunks[0], (probe.shape[1],)),
        dtype=probe.dtype,
        meta=probe[:0],
    )


def predict_proba(estimator: Any, X: Any) -> Any:
    """``estimator.predict_proba`` mapped over the partitions: a lazy Dask DataFrame or Array.

    Parameters
    ----------
    estimator : DiscriminantAnalysis
        A fitted classifier.
    X : dask DataFrame or Array
        The rows.

    Returns
    -------
    dask DataFrame or Array
        Lazy posterior probabilities, one column per class.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dask.dataframe as dd
    >>> from distributed import Client
    >>> from sklearn.datasets import load_iris
    >>> import segmint as sg
    >>> iris = load_iris(as_frame=True)
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> da = sg.DiscriminantAnalysis().fit(iris.data, iris.target)
    >>> lazy = da.predict_proba(dd.from_pandas(iris.data, npartitions=3))
    >>> bool(np.allclose(lazy.compute(), da.predict_proba(iris.data)))
    True
    >>> client.close()
    """
    return _map(estimator, X, "predict_proba")


__all__ = [
    "CHUNK_ROWS",
    "factor_correlation",
    "fit_discriminant",
    "fit_factor",
    "fit_kmeans",
    "get_client",
    "kernel_threads",
    "kmeans_sample_init",
    "merge_tree",
    "predict",
    "predict_proba",
    "transform",
]
