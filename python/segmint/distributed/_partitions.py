"""The mechanics every distributed fit shares: the client and thread rule, the partitions
re-cut to the in-memory chunk boundaries and held on the workers, the exact merge along the chunk
tree, the worker-task wrapper and the lazy scoring maps."""

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

from .. import _frame, _validation
from ..errors import InternalError, InvalidInputError, InvalidTypeError

#: Rows per chunk of the in-memory kernels (``crate::parallel::CHUNK_ROWS``).
CHUNK_ROWS = 1024


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


def _parts_like(obj: Any, n_parts: int, what: str, kind: str) -> list[Any]:
    """The partitions of `obj`, which must be a Dask collection partitioned like X (`n_parts`
    partitions); `kind` says what the caller should pass instead ("weights as a Dask Series")."""
    if not _frame.is_dask(obj):
        raise InvalidInputError(f"{what}: with a Dask X, pass {kind} partitioned like X", what)
    parts = _delayed_parts(obj, what)
    if len(parts) != n_parts:
        raise InvalidInputError(
            f"{what}: has {len(parts)} partitions, X has {n_parts}; partition them alike", what
        )
    return parts


def _weight_parts(sample_weight: Any, n_parts: int) -> list[Any]:
    """The partitions of `sample_weight` (one None per partition without weights)."""
    if sample_weight is None:
        return [None] * n_parts
    return _parts_like(
        sample_weight, n_parts, "sample_weight", "weights as a Dask Series or Array"
    )


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


def _weights(weights: Any, n_rows: int, kept: np.ndarray | None) -> np.ndarray | None:
    """Worker side: a partition's weights checked as in memory, for its kept rows."""
    if weights is None:
        return None
    w = np.asarray(weights)
    if w.dtype.kind not in "biuf":
        raise InvalidTypeError(
            f"sample_weight: must be numeric, got dtype {w.dtype}", "sample_weight"
        )
    w = w.astype(np.float64)
    if w.shape != (n_rows,):
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
    if kept is not None:
        w = w[kept]
    return np.ascontiguousarray(w)


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
    w = _weights(weights, len(part), data.kept)
    return data.values, w


def _n_rows(block: tuple[np.ndarray | None, ...]) -> int:
    first = block[0]
    if first is None:  # pragma: no cover - every block starts with its rows
        raise InternalError("segmint.distributed: a block without rows")
    return int(first.shape[0])


def _assemble(
    blocks: list[tuple[np.ndarray | None, ...]], ranges: list[tuple[int, int]]
) -> tuple[np.ndarray | None, ...]:
    """Worker side: rows `lo:hi` of consecutive blocks (tuples of arrays sharing their rows,
    or None), concatenated array by array, aligned; a column-major array stays column-major."""
    out: list[np.ndarray | None] = []
    for i in range(len(blocks[0])):
        pieces = [b[i] for b in blocks]
        if any(p is None for p in pieces):
            out.append(None)
            continue
        xs = [p[lo:hi] for p, (lo, hi) in zip(pieces, ranges, strict=True)]  # type: ignore[index]
        x = xs[0] if len(xs) == 1 else np.concatenate(xs)
        fortran = x.ndim == 2 and bool(pieces[0].flags.f_contiguous) and x.shape[1] > 1  # type: ignore[union-attr]
        # Aligned too: a block that travelled between workers can start at any byte (pickle
        # protocol 5 frames), and the kernels would copy it again at every pass.
        out.append(np.require(x, requirements=["F" if fortran else "C", "A"]))
    return tuple(out)


class Partitions:
    """Rows of a Dask collection converted and held on the workers, each partition starting on
    a multiple of :data:`CHUNK_ROWS` rows of the whole data set.

    Attributes
    ----------
    futures : list of Future of (values, weights), or of the tuples of arrays given to
        :meth:`from_blocks`
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
        columns: list[str] | None = None,
    ) -> None:
        import dask

        self.client = client
        # A `convert` of mixed columns (KPrototypes) checks them itself and names the columns.
        self.columns = _check_columns(X) if columns is None else columns
        parts = _delayed_parts(X, "X")
        wparts = _weight_parts(sample_weight, len(parts))
        convert = dask.delayed(convert or _convert, pure=True)
        converted = client.compute(
            [convert(p, w, missing) for p, w in zip(parts, wparts, strict=True)]
        )
        self.weighted = sample_weight is not None
        self._recut(converted)

    @classmethod
    def from_blocks(cls, client: Any, converted: list[Any], columns: list[str]) -> Partitions:
        """Partitions from futures of blocks already converted on the workers (tuples of arrays
        sharing their rows, in partition order), re-cut to the chunk boundaries."""
        self = cls.__new__(cls)
        self.client, self.columns, self.weighted = client, columns, False
        self._recut(converted)
        return self

    def _recut(self, converted: list[Any]) -> None:
        client = self.client
        lengths = _gather(client, client.map(_n_rows, converted, pure=False))
        self.n_total = int(sum(lengths))
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
                    r0, r1 = int(max(lo, a) - a), int(min(hi, b) - a)
                    if r1 - r0 < (b - a) // 2:
                        # A few rows of a neighbour: cut them where the block lives, so that
                        # only they travel.
                        pieces.append(client.submit(_assemble, [converted[i]], [(r0, r1)]))
                        ranges.append((0, r1 - r0))
                    else:
                        pieces.append(converted[i])
                        ranges.append((r0, r1))
            self.futures.append(client.submit(_assemble, pieces, ranges, pure=False))
        self.lengths = [hi - lo for lo, hi in itertools.pairwise(cuts)]

    def map(self, func: Callable[..., Any], **kwargs: Any) -> list[Any]:
        """`func(block, row_start=..., n_total=..., **kwargs)` on every partition, results in
        partition order."""
        futures = [
            self.client.submit(func, f, row_start=s, n_total=self.n_total, pure=False, **kwargs)
            for f, s in zip(self.futures, self.starts, strict=True)
        ]
        return self.gather(futures)

    def gather(self, futures: list[Any]) -> list[Any]:
        """The results of `futures` (tasks on the partitions), in order."""
        return _gather(self.client, futures)


def cum_weight(ws: np.ndarray | None, pos: np.ndarray) -> np.ndarray:
    """Weight of the first `pos` sorted values (their count when unweighted)."""
    if ws is None:
        return pos.astype(np.float64)
    cw = np.concatenate([[0.0], np.cumsum(ws)])
    return cw[pos]


def sorted_run(
    values: list[np.ndarray], weights: list[np.ndarray] | None, below: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The partitions' `values` (with their `weights`, or ones when None) sorted (stable), the
    cumulative weight from `below` at each value, and where each run of equal values ends (a
    value's cumulative weight is the one after its last tie): the weighted rank search of the
    exact Dask quantiles and bin boundaries."""
    vals = np.concatenate(values)
    ws = np.ones(len(vals)) if weights is None else np.concatenate(weights)
    order = np.argsort(vals, kind="stable")
    vals, ws = vals[order], ws[order]
    return vals, below + np.cumsum(ws), np.r_[vals[1:] != vals[:-1], True]


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


def _set_features(estimator: Any, X: Any, d: int) -> None:
    meta = getattr(X, "_meta", None)
    if isinstance(meta, pd.DataFrame):
        _frame.check_features(estimator, meta, reset=True)
    else:
        estimator.n_features_in_ = d
        if hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_


# --- Scoring ------------------------------------------------------------------------------------


@_worker_task
def _predict_part(part: Any, estimator: Any, method: str, empty: Any = None) -> Any:
    if empty is not None and len(part) == 0:  # an empty partition scores to no rows
        return empty.set_axis(part.index, axis=0)
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


def apply(estimator: Any, X: Any) -> Any:
    """``estimator.apply`` mapped over the partitions: a lazy Dask Series of leaf (node) ids.

    Parameters
    ----------
    estimator : CHAID
        A fitted tree.
    X : dask DataFrame
        The rows.

    Returns
    -------
    dask Series
        Lazy node ids, named "node".

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from distributed import Client
    >>> import segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> X, y = customers.drop(columns="Channel"), customers["Channel"]
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> tree = sg.CHAID(max_depth=2).fit(X, y)
    >>> lazy = tree.apply(dd.from_pandas(X, npartitions=3))
    >>> bool((lazy.compute() == tree.apply(X)).all())
    True
    >>> client.close()
    """
    return _map(estimator, X, "apply")


def _map(estimator: Any, X: Any, method: str) -> Any:
    """`estimator.<method>` mapped lazily over the partitions; the output's type, columns and
    dtype come from the method's own output on Dask's placeholder rows."""
    local = _local(estimator, 1)
    if hasattr(X, "map_partitions"):
        fake = X._meta_nonempty
        try:
            meta = getattr(local, method)(fake)
        except InvalidInputError:  # Dask's second placeholder row is missing (text columns)
            meta = getattr(local, method)(fake.iloc[:1])
        meta = meta.iloc[:0]
        return X.map_partitions(_predict_part, local, method, empty=meta, meta=meta)
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
