"""FactorAnalysis on a Dask collection: the correlation pass per partition, merged in Rust along
the in-memory chunk tree (see :mod:`segmint.distributed`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _core, _validation
from .._factor_diagnostics import MISSING, _checked
from .._frame.factor import Items, items
from ..errors import InvalidInputError
from ._partitions import Partitions, _set_features, _worker_task, get_client, kernel_threads

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
