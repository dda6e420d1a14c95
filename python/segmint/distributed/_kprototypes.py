"""KPrototypes(update="batch") on a Dask DataFrame: batch passes from per-partition Rust kernels
merged along the in-memory chunk tree (see :func:`fit_kprototypes`)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from .. import _core, _frame, _validation
from .._frame.measured_parts import column_levels, label_summary, merged_encoding
from ..errors import InvalidInputError
from . import _kmeans, _partitions
from ._partitions import (
    Partitions,
    _delayed_parts,
    _set_features,
    _weights,
    _worker_task,
    get_client,
    kernel_threads,
    merge_tree,
    predict,
)

# --- worker side --------------------------------------------------------------------------------


@_worker_task
def _labels(part: Any, levels: list[str]) -> list[dict[str, Any]]:
    return label_summary(part, levels)


@_worker_task
def _convert(
    part: Any, weights: Any, missing: str, *, encoding: Any
) -> tuple[np.ndarray, np.ndarray | None]:
    """A partition as one float64 block: the numeric columns, then the category codes (exact in
    float64), as in memory (``cluster_table`` with the merged encoding)."""
    p, q = len(encoding.continuous), len(encoding.categorical)
    if len(part) == 0:
        return np.empty((0, p + q)), None if weights is None else np.empty(0)
    data = _frame.cluster_table(part, encoding=encoding, missing=missing)
    _validation.check_squares(data.numeric, data.numeric_columns)
    block = np.empty((len(data.numeric), p + q))
    block[:, :p] = data.numeric
    block[:, p:] = data.codes
    return block, _weights(weights, len(part), data.kept)


def _split(block: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    return np.ascontiguousarray(block[:, :p]), np.ascontiguousarray(block[:, p:], dtype=np.uint32)


@_worker_task
def _moments_task(block: Any, *, row_start: int, n_total: int, p: int, n_threads: int) -> Any:
    x, _ = _split(block[0], p)
    r = _core.kmeans_partition_moments(
        x, sample_weight=None, row_start=row_start, n_total=n_total, n_threads=n_threads
    )
    return {"first": r.node_first, "count": r.node_count, "n": r.count, "mean": r.mean, "m2": r.m2}


@_worker_task
def _stats_task(
    block: Any,
    *,
    row_start: int,
    n_total: int,
    p: int,
    n_levels: list[int],
    centers: np.ndarray,
    modes: np.ndarray,
    gamma: float,
    n_threads: int,
) -> dict[str, Any]:
    x, codes = _split(block[0], p)
    r = _core.kprototypes_partition_stats(
        x,
        codes,
        n_levels=n_levels,
        sample_weight=block[1],
        centers=centers,
        modes=modes,
        gamma=gamma,
        row_start=row_start,
        n_total=n_total,
        n_threads=n_threads,
    )
    return {
        "first": r.node_first,
        "count": r.node_count,
        "sums": r.sums,
        "weights": r.weights,
        "counts": r.counts,
        "members": r.members,
        "cost": r.cost,
        "hash": r.label_hash,
    }


@_worker_task
def _farthest_task(
    block: Any,
    *,
    row_start: int,
    n_total: int,
    p: int,
    n_levels: list[int],
    centers: np.ndarray,
    modes: np.ndarray,
    gamma: float,
    m: int,
    n_threads: int,
) -> dict[str, Any]:
    x, codes = _split(block[0], p)
    r = _core.kprototypes_partition_farthest(
        x,
        codes,
        n_levels=n_levels,
        centers=centers,
        modes=modes,
        gamma=gamma,
        row_start=row_start,
        n_total=n_total,
        m=m,
        n_threads=n_threads,
    )
    return {"index": r.index, "distance": r.distance, "numeric": r.numeric, "codes": r.codes}


# --- client side --------------------------------------------------------------------------------


def _add(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(x + y for x, y in zip(a, b, strict=True))


class _Fit:
    """The partitions of one fit and the passes over them."""

    def __init__(self, estimator: Any, X: Any, sample_weight: Any, p: dict[str, Any]) -> None:
        import dask

        client = get_client()
        self.threads = kernel_threads(client, estimator.n_jobs)
        meta = getattr(X, "_meta", None)
        levels = column_levels(meta, None)
        label = dask.delayed(_labels, pure=True)
        summaries = client.compute([label(part, levels) for part in _delayed_parts(X, "X")])
        enc = merged_encoding(meta, levels, _partitions._gather(client, summaries))
        self.encoding = enc
        self.p, self.q = len(enc.continuous), len(enc.categorical)
        self.n_levels = [len(enc.labels[j] or []) for j in enc.categorical]
        self.parts = Partitions(
            client,
            X,
            sample_weight,
            "raise",
            convert=functools.partial(_convert, encoding=enc),
            columns=list(enc.columns),
        )

    def gamma(self, given: float | None) -> float:
        """As in memory: 0.5 × the mean population sd of the numeric columns (their moments
        merged along the chunk tree), or the given value."""
        if given is not None:
            return float(given)
        if self.p == 0:
            return 1.0
        res = self.parts.map(_moments_task, p=self.p, n_threads=self.threads)
        count, _, m2 = merge_tree(
            _kmeans._nodes(res, ("n", "mean", "m2")), self.parts.n_total, _kmeans._merge_moments
        )
        with np.errstate(all="ignore"):
            sd = _kmeans._seq_sum(np.sqrt(m2 / count).tolist())
        return 0.5 * sd / self.p

    def stats(self, centres: np.ndarray, modes: np.ndarray, gamma: float) -> tuple[Any, ...]:
        res = self.parts.map(
            _stats_task,
            p=self.p,
            n_levels=self.n_levels,
            centers=centres,
            modes=modes,
            gamma=gamma,
            n_threads=self.threads,
        )
        merged = merge_tree(
            _kmeans._nodes(res, ("sums", "weights", "counts", "members", "cost")),
            self.parts.n_total,
            _add,
        )
        return (*merged, [int(r["hash"]) for r in res])

    def farthest(
        self, centres: np.ndarray, modes: np.ndarray, gamma: float, m: int
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """The `m` rows farthest from their nearest prototype (lowest row index on ties)."""
        found = self.parts.map(
            _farthest_task,
            p=self.p,
            n_levels=self.n_levels,
            centers=centres,
            modes=modes,
            gamma=gamma,
            m=m,
            n_threads=self.threads,
        )
        cands = [
            (float(r["distance"][i]), int(r["index"][i]), r["numeric"][i], r["codes"][i])
            for r in found
            for i in range(len(r["index"]))
        ]
        cands.sort(key=lambda c: (-c[0], c[1]))
        return [(c[2], c[3]) for c in cands[:m]]


def _start(
    estimator: Any, fit: _Fit, p: dict[str, Any], gamma: float
) -> tuple[np.ndarray, np.ndarray]:
    """The initial prototypes: given ones, or an in-memory fit on the documented sample."""
    probe = _frame.ClusterData(
        numeric=np.empty((0, fit.p)),
        codes=np.empty((0, fit.q), dtype=np.uint32),
        n_levels=np.asarray(fit.n_levels, dtype=np.uint32),
        encoding=fit.encoding,
        index=pd.RangeIndex(0),
        kept=None,
        is_frame=True,
    )
    init, centres, modes = estimator._init_args(probe)
    if centres is not None:
        return np.ascontiguousarray(centres), np.ascontiguousarray(modes, dtype=np.uint32)
    block, w = _kmeans._sample(fit.parts, p["n_clusters"], p["random_state"])
    x, codes = _split(block, fit.p)
    numeric, modes, *_ = _core.kprototypes_fit(
        x,
        codes,
        n_levels=fit.n_levels,
        sample_weight=w,
        n_clusters=p["n_clusters"],
        gamma=gamma,
        init=init,
        init_numeric=None,
        init_modes=None,
        update="batch",
        n_init=p["n_init"],
        max_iter=p["max_iter"],
        seed=p["random_state"],
        n_threads=p["n_jobs"],
    )
    return np.ascontiguousarray(numeric), np.ascontiguousarray(modes, dtype=np.uint32)


def kprototypes_sample_init(
    estimator: Any, X: Any, sample_weight: Any = None
) -> tuple[np.ndarray, list[list[Any]]]:
    """The initial prototypes a distributed ``KPrototypes(update="batch").fit`` starts from for
    a named ``init``: an in-memory batch fit (the estimator's ``init``, ``n_init``,
    ``random_state``, and the ``gamma`` of the whole data) on the uniform sample of
    :func:`kmeans_sample_init` (``min(n, max(50,000, 100 × n_clusters))`` rows drawn with
    ``numpy.random.default_rng(random_state)`` by global row position). Fitting
    ``KPrototypes(init=<these>, update="batch")`` in memory on the same rows gives the
    distributed model to the last bit.

    Parameters
    ----------
    estimator : KPrototypes
        An unfitted estimator.
    X : dask DataFrame
        The rows.
    sample_weight : dask Series, default None
        Row weights.

    Returns
    -------
    (ndarray of shape (n_clusters, n_numeric), list of lists of labels)
        Numeric centres and modes (category labels), in the form ``init`` accepts.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from distributed import Client
    >>> import segmint as sg
    >>> customers = sg.datasets.load_wholesale().astype({"Channel": str, "Region": str})
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> kp = sg.KPrototypes(3, update="batch", random_state=0)
    >>> start = sg.distributed.kprototypes_sample_init(kp, dd.from_pandas(customers, 3))
    >>> dist = sg.KPrototypes(3, update="batch", random_state=0).fit(
    ...     dd.from_pandas(customers, 3))
    >>> mem = sg.KPrototypes(3, update="batch", init=start).fit(customers)
    >>> mem.cost_ == dist.cost_
    True
    >>> client.close()
    """
    p = _validation.validate_params(estimator)
    _check(estimator, p)
    fit = _Fit(estimator, X, sample_weight, p)
    numeric, modes = _start(estimator, fit, p, fit.gamma(p["gamma"]))
    levels = [list(fit.encoding.labels[j] or []) for j in fit.encoding.categorical]
    labels = [[lv[c] for lv, c in zip(levels, row, strict=True)] for row in modes.tolist()]
    return numeric, labels


def _check(estimator: Any, p: dict[str, Any]) -> None:
    if p["update"] != "batch":
        raise InvalidInputError(
            "update: a Dask fit runs the batch updates; pass update='batch'", "update"
        )
    if estimator.categorical is not None:
        raise InvalidInputError(
            "categorical: on a Dask DataFrame the categorical columns are those of category, "
            "text or bool dtype; convert the others with astype('category')",
            "categorical",
        )
    if estimator.missing != "raise":
        raise InvalidInputError(
            "missing: a Dask fit supports missing='raise'; drop incomplete rows first",
            "missing",
        )


def fit_kprototypes(estimator: Any, X: Any, sample_weight: Any = None) -> Any:
    """``KPrototypes(update="batch").fit`` on a Dask DataFrame: every batch pass from
    per-partition Rust kernels (numeric sums, weights, category counts, cost per node of the
    in-memory chunk tree) merged in the in-memory order, so prototypes, cost, iteration count,
    ``gamma_`` and labels equal the in-memory fit from the same initial prototypes to the last
    bit. ``KPrototypes.fit`` calls it for a Dask DataFrame; ``labels_`` is lazy.

    Categorical columns are those of category, text or bool dtype (``categorical=None``);
    their labels are merged from the partitions into the in-memory encoding. Named inits start
    from :func:`kprototypes_sample_init`.

    Parameters
    ----------
    estimator : KPrototypes
        The estimator to fit (``update="batch"``, ``missing="raise"``).
    X : dask DataFrame
        The rows.
    sample_weight : dask Series, default None
        Row weights, partitioned like X.

    Returns
    -------
    KPrototypes
        The fitted estimator.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from distributed import Client
    >>> import segmint as sg
    >>> customers = sg.datasets.load_wholesale().astype({"Channel": str, "Region": str})
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> kp = sg.KPrototypes(3, update="batch", random_state=0).fit(dd.from_pandas(customers, 3))
    >>> kp.cluster_centers_.shape
    (3, 8)
    >>> client.close()
    """
    p = _validation.validate_params(estimator)
    _check(estimator, p)
    k, max_iter = p["n_clusters"], p["max_iter"]
    fit = _Fit(estimator, X, sample_weight, p)
    n = fit.parts.n_total
    if n < k:
        raise InvalidInputError(
            f"n_clusters: n_samples={n} should be >= n_clusters={k}", "n_clusters"
        )
    gamma = fit.gamma(p["gamma"])
    centres, modes = _start(estimator, fit, p, gamma)
    offsets = np.concatenate([[0], np.cumsum(fit.n_levels)]).astype(np.int64)
    sums, weights, counts, _, cost, hashes = fit.stats(centres, modes, gamma)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        nxt_c, nxt_m = centres.copy(), modes.copy()
        for c in range(k):
            if weights[c] > 0.0:
                nxt_c[c] = sums[c] / weights[c]
                for a in range(fit.q):
                    nxt_m[c, a] = int(np.argmax(counts[c, offsets[a] : offsets[a + 1]]))
        empty = [c for c in range(k) if weights[c] == 0.0]
        if empty:
            rows = fit.farthest(centres, modes, gamma, min(len(empty), n))
            for c, (num, cat) in zip(empty, rows, strict=False):
                nxt_c[c], nxt_m[c] = num, cat
        nxt_c, nxt_m = np.ascontiguousarray(nxt_c), np.ascontiguousarray(nxt_m)
        new = fit.stats(nxt_c, nxt_m, gamma)
        done = new[5] == hashes or new[4] >= cost
        centres, modes = nxt_c, nxt_m
        sums, weights, counts, _, cost, hashes = new
        if done:
            break
    estimator._numeric, estimator._modes = centres, modes
    estimator._encoding, estimator._n_levels = fit.encoding, fit.n_levels
    estimator.cost_, estimator.n_iter_, estimator.gamma_ = float(cost), int(n_iter), float(gamma)
    _set_features(estimator, X, len(fit.encoding.columns))
    estimator.labels_ = predict(estimator, X)
    return estimator
