"""DiscriminantAnalysis on a Dask collection: per-partition class statistics merged in Rust along
the in-memory chunk tree, classification tables counted per partition (see
:mod:`segmint.distributed`)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import _core, _frame
from ..errors import InvalidInputError
from ._partitions import Partitions, _set_features, _worker_task, get_client, kernel_threads

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
    codes, _ = _frame.class_codes(labels, data.index, classes)
    return data.values, np.ascontiguousarray(codes, dtype=np.float64)


def _global_classes(y: Any) -> np.ndarray:
    """The classes of the labels of all partitions of `y`, in the in-memory order."""
    if hasattr(y, "divisions"):  # Series
        return _frame.observed_classes(y.unique().compute(), y.dtype)
    import dask.array

    return _frame.observed_classes(dask.array.unique(y).compute(), y.dtype)


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
    convert = functools.partial(_convert_labelled, classes=classes)
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
