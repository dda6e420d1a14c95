"""Before and beside factor analysis: the correlation matrix of the items, KMO, Bartlett's
test of sphericity, and parallel analysis with its scree plot."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._frame.factor import Items, check_variances, items
from ._frame.table import quote
from ._validation import check_int, n_threads, seed
from .errors import InvalidInputError
from .plot import Display

__all__ = [
    "BartlettResult",
    "KMOResult",
    "ParallelAnalysis",
    "ScreeDisplay",
    "bartlett_sphericity",
    "kmo",
    "parallel_analysis",
]

MISSING = ("pairwise", "listwise")


# --------------------------------------------------------------------------------------------
# Data -> correlation matrix


@dataclass(frozen=True)
class _Correlation:
    data: Items
    r: np.ndarray
    cov: np.ndarray
    mean: np.ndarray
    n_obs: int
    rows: np.ndarray | None  # rows used (listwise), None = all


def _correlation(X: Any, missing: str, threads: int, *, what: str = "X") -> _Correlation:
    if missing not in MISSING:
        raise InvalidInputError(f"missing: must be one of {MISSING}, got {missing!r}", "missing")
    data = items(X, what=what)
    values = data.values
    rows = None
    if missing == "listwise":
        complete = ~np.isnan(values).any(axis=1)
        if not complete.all():
            rows = complete
            values = np.ascontiguousarray(values[complete])
    n, p = values.shape
    if n < p + 1:
        raise InvalidInputError(
            f"{what}: {n} rows for {p} items; factor analysis needs more rows than items",
            what,
        )
    cp = _core.factor_correlation(values, n_threads=threads)
    return _checked(cp, data, n, rows, what)


def _checked(
    cp: Any, data: Items, n: int, rows: np.ndarray | None, what: str = "X"
) -> _Correlation:
    """The correlation pass `cp` of `data` (n rows used) as a :class:`_Correlation`, refused
    when an item is constant or a pair has fewer than 2 rows in common (naming the columns)."""
    count = np.asarray(cp.count)
    check_variances(np.diag(np.asarray(cp.cov)), np.diag(count), data.columns, what)
    r = np.asarray(cp.cor)
    bad = np.argwhere(~np.isfinite(r))
    if len(bad):
        j, k = bad[0]
        names = [data.columns[j], data.columns[k]]
        raise InvalidInputError(
            f"{what}: columns {quote(names)} have fewer than 2 rows where both are present; "
            "their correlation is undefined",
            names[0],
        )
    return _Correlation(data, r, np.asarray(cp.cov), np.asarray(cp.mean), n, rows)


def _frame(values: np.ndarray, index: Any, columns: Any) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(values), index=index, columns=columns)


# --------------------------------------------------------------------------------------------
# Adequacy


@dataclass(frozen=True)
class KMOResult:
    """Kaiser–Meyer–Olkin measure of sampling adequacy: ``overall`` and ``per_item`` (MSA).

    Attributes
    ----------
    overall : float
        The overall KMO (above 0.6: factorable; above 0.8: good).
    per_item : Series
        Each item's measure of sampling adequacy, named "MSA".

    See Also
    --------
    kmo : computes it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from segmint.factor import kmo
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(500, 1))
    >>> X = pd.DataFrame(f + rng.normal(size=(500, 4)), columns=list("abcd"))
    >>> result = kmo(X)
    >>> round(result.overall, 3), result.per_item.round(3).tolist()
    (0.8, [0.804, 0.796, 0.79, 0.812])
    """

    overall: float
    per_item: pd.Series


@dataclass(frozen=True)
class BartlettResult:
    """Bartlett's test of sphericity: ``chi2`` on ``df`` degrees of freedom, ``p_value``.

    Attributes
    ----------
    chi2 : float
        The test statistic.
    df : int
        Degrees of freedom, p(p − 1)/2.
    p_value : float
        Upper-tail χ² probability.

    See Also
    --------
    bartlett_sphericity : computes it.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from segmint.factor import bartlett_sphericity
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(500, 1))
    >>> X = pd.DataFrame(f + rng.normal(size=(500, 4)), columns=list("abcd"))
    >>> result = bartlett_sphericity(X)
    >>> round(result.chi2, 1), result.df, result.p_value < 1e-10
    (624.4, 6, True)
    """

    chi2: float
    df: int
    p_value: float


def kmo(X: Any, *, missing: str = "pairwise", n_jobs: int | None = None) -> KMOResult:
    """Kaiser–Meyer–Olkin measure of sampling adequacy.

    KMO = Σ r² / (Σ r² + Σ q²) over the pairs of distinct items, with q the partial
    correlations; per item (MSA) the same sums over its row (psych ``KMO``, SPSS FACTOR).

    Parameters
    ----------
    X : DataFrame or array of shape (n_samples, n_items)
        Numeric items.
    missing : {"pairwise", "listwise"}, default "pairwise"
        Correlations from pairwise-complete or complete rows.
    n_jobs : int or None
        Threads of the correlation pass.

    Returns
    -------
    KMOResult
        ``overall`` (float) and ``per_item`` (Series named "MSA").

    Raises
    ------
    InvalidInputError
        Constant or entirely missing columns, a singular correlation matrix (naming the
        columns), fewer rows than items.

    See Also
    --------
    bartlett_sphericity, FactorAnalysis

    References
    ----------
    Kaiser, H. F. (1974). An index of factorial simplicity. Psychometrika 39, 31–36.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from segmint.factor import kmo
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(500, 1))
    >>> X = pd.DataFrame(f + rng.normal(size=(500, 4)), columns=list("abcd"))
    >>> round(kmo(X).overall, 2)
    0.8
    """
    threads = n_threads(n_jobs)
    c = _correlation(X, missing, threads)
    res = _core.factor_kmo(c.r, names=c.data.columns, n_threads=threads)
    return KMOResult(
        float(res.overall), pd.Series(np.asarray(res.per_item), index=c.data.columns, name="MSA")
    )


def bartlett_sphericity(
    X: Any, *, missing: str = "pairwise", n_jobs: int | None = None
) -> BartlettResult:
    """Bartlett's test that the correlation matrix is the identity.

    χ² = −(n − 1 − (2p + 5)/6) ln|R| on p(p − 1)/2 degrees of freedom (SPSS FACTOR, psych
    ``cortest.bartlett``).

    Parameters
    ----------
    X : DataFrame or array of shape (n_samples, n_items)
        Numeric items.
    missing : {"pairwise", "listwise"}, default "pairwise"
        Correlations from pairwise-complete or complete rows.
    n_jobs : int or None
        Threads of the correlation pass.

    Returns
    -------
    BartlettResult

    Raises
    ------
    InvalidInputError
        As :func:`kmo`.

    See Also
    --------
    kmo

    References
    ----------
    Bartlett, M. S. (1950). Tests of significance in factor analysis. British Journal of
    Statistical Psychology 3, 77–85.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.factor import bartlett_sphericity
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> bartlett_sphericity(X).df
    3
    """
    threads = n_threads(n_jobs)
    c = _correlation(X, missing, threads)
    res = _core.factor_bartlett(c.r, names=c.data.columns, n_obs=float(c.n_obs), n_threads=threads)
    return BartlettResult(float(res.chi2), int(res.df), float(res.p_value))


# --------------------------------------------------------------------------------------------
# Parallel analysis


class ScreeDisplay(Display):
    """A scree plot of a :class:`ParallelAnalysis`: observed eigenvalues of components and
    factors against their simulated thresholds.

    Parameters
    ----------
    table : DataFrame
        :attr:`ParallelAnalysis.table`.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from segmint.factor import ScreeDisplay
    >>> t = pd.DataFrame({"pc_observed": [3.0, 1.2, 0.5], "pc_simulated": [1.3, 1.1, 0.9],
    ...                   "fa_observed": [2.5, 0.7, 0.1], "fa_simulated": [0.4, 0.2, 0.1]},
    ...                  index=[1, 2, 3])
    >>> ScreeDisplay(t).plot().ax_.get_ylabel()
    'eigenvalue'
    """

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        x = self.table.index.to_numpy()
        t = self.table
        ax.plot(x, t["pc_observed"], "o-", label="components: data", **kwargs)
        ax.plot(x, t["pc_simulated"], "--", label="components: simulated", **kwargs)
        ax.plot(x, t["fa_observed"], "^-", label="factors: data", **kwargs)
        ax.plot(x, t["fa_simulated"], ":", label="factors: simulated", **kwargs)
        ax.axhline(1.0, color="grey", lw=0.5)
        ax.set_xlabel("factor / component number")
        ax.set_ylabel("eigenvalue")
        ax.set_title("Parallel analysis scree plot")
        ax.legend()


@dataclass(frozen=True)
class ParallelAnalysis:
    """Result of :func:`parallel_analysis`.

    ``table`` has one row per position with the observed eigenvalues of R
    (``pc_observed``) and of the reduced matrix of a one-factor solution (``fa_observed``)
    next to the thresholds from simulated normal data and column-resampled data; ``n_factors``
    and ``n_components`` are the suggested numbers.

    Attributes
    ----------
    table : DataFrame
        Observed eigenvalues and their simulated / resampled thresholds, one row per position.
    n_factors : int
        Suggested number of factors.
    n_components : int
        Suggested number of principal components.

    See Also
    --------
    parallel_analysis : computes it.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.factor import parallel_analysis
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(400, 2))
    >>> X = np.hstack([f[:, [0]] + 0.6 * rng.normal(size=(400, 4)),
    ...                f[:, [1]] + 0.6 * rng.normal(size=(400, 4))])
    >>> pa = parallel_analysis(X, random_state=0)
    >>> pa.n_factors, pa.n_components
    (2, 2)
    >>> pc = ["pc_observed", "pc_simulated"]
    >>> pa.table[pc].head(3).round(2)  # doctest: +NORMALIZE_WHITESPACE
            pc_observed  pc_simulated
    number
    1              3.36          1.27
    2              3.02          1.19
    3              0.32          1.10
    """

    table: pd.DataFrame
    n_factors: int
    n_components: int

    def __repr__(self) -> str:
        from ._views import short_repr

        return short_repr(
            self,
            f"{self.n_factors} factors and {self.n_components} components suggested "
            f"({len(self.table)} positions)",
        )

    def plot(self, ax: Any = None, **kwargs: Any) -> ScreeDisplay:
        """Scree plot (needs matplotlib); returns the display with ``figure_`` and ``ax_``.

        Parameters
        ----------
        ax : matplotlib Axes, default None
            Axes to draw into; None makes a new figure.
        **kwargs
            Passed to ``Axes.plot`` for the four curves.

        Returns
        -------
        ScreeDisplay
            The display, with ``figure_`` and ``ax_``.

        Examples
        --------
        >>> import numpy as np, matplotlib.pyplot as plt
        >>> from segmint.factor import parallel_analysis
        >>> rng = np.random.default_rng(1)
        >>> X = rng.normal(size=(200, 1)) + rng.normal(size=(200, 5))
        >>> display = parallel_analysis(X, random_state=0).plot()
        >>> display.ax_.get_ylabel()
        'eigenvalue'
        >>> plt.close("all")
        """
        return ScreeDisplay(self.table).plot(ax, **kwargs)  # type: ignore[no-any-return]


def _eigen_pair(r: np.ndarray, method: str, threads: int) -> tuple[np.ndarray, np.ndarray]:
    p = r.shape[0]
    fit = _core.factor_fit(
        r,
        names=[f"x{j}" for j in range(p)],
        n_factors=1,
        method=method if method != "principal" else "minres",
        rotation="none",
        kaiser_normalize=False,
        max_iter=1000,
        n_obs=0.0,
        n_threads=threads,
    )
    return np.asarray(fit.eigen_r), np.asarray(fit.eigen_reduced)


def _first_not_above(observed: np.ndarray, threshold: np.ndarray) -> int:
    above = observed > threshold
    return int(len(above) if above.all() else np.argmin(above))


def parallel_analysis(
    X: Any,
    *,
    n_iter: int = 20,
    quantile: float | None = 0.95,
    method: str = "minres",
    missing: str = "pairwise",
    random_state: Any = None,
    n_jobs: int | None = None,
) -> ParallelAnalysis:
    """Horn's parallel analysis with psych ``fa.parallel`` semantics.

    The eigenvalues of R (components) and of the reduced correlation matrix of a one-factor
    solution (factors, ``SMC = FALSE`` as psych's default) are compared with the same
    eigenvalues of ``n_iter`` data sets of the same size drawn from independent normals
    (simulated) and made by permuting every column independently (resampled). The suggested
    number is the count of leading observed eigenvalues above the simulated threshold.

    Parameters
    ----------
    X : DataFrame or array of shape (n_samples, n_items)
        Numeric items.
    n_iter : int, default 20
        Simulated and resampled data sets.
    quantile : float in (0, 1) or None, default 0.95
        The threshold is this quantile of the simulated eigenvalues; None uses their mean
        (what ``fa.parallel`` does when ``quant`` is not given).
    method : {"minres", "ml", "pa"}, default "minres"
        Extraction for the factor eigenvalues.
    missing : {"pairwise", "listwise"}, default "pairwise"
        Correlations from pairwise-complete or complete rows.
    random_state : int, Generator or None
        Seed of the simulations and resamples.
    n_jobs : int or None
        Threads.

    Returns
    -------
    ParallelAnalysis

    Raises
    ------
    InvalidInputError
        Bad parameters or data (see :func:`kmo`).

    See Also
    --------
    FactorAnalysis : ``n_factors=None`` runs this.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    Psychometrika 30, 179–185. Revelle, W. psych: ``fa.parallel``.

    Examples
    --------
    >>> import numpy as np
    >>> from segmint.factor import parallel_analysis
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(400, 2))
    >>> X = np.hstack([f[:, [0]] + 0.6 * rng.normal(size=(400, 4)),
    ...                f[:, [1]] + 0.6 * rng.normal(size=(400, 4))])
    >>> parallel_analysis(X, random_state=0).n_factors
    2
    """
    n_iter = check_int(n_iter, "n_iter", 1)
    if quantile is not None and not (
        isinstance(quantile, numbers.Real) and 0.0 < float(quantile) < 1.0
    ):
        raise InvalidInputError(
            f"quantile: must be in (0, 1) or None, got {quantile!r}", "quantile"
        )
    if method not in ("minres", "ml", "pa"):
        raise InvalidInputError(
            f"method: must be one of ('minres', 'ml', 'pa'), got {method!r}", "method"
        )
    threads = n_threads(n_jobs)
    c = _correlation(X, missing, threads)
    rng = np.random.default_rng(seed(random_state))
    pc_obs, fa_obs = _eigen_pair(c.r, method, threads)
    values = c.data.values if c.rows is None else c.data.values[c.rows]
    n, p = values.shape
    sim_pc, sim_fa, res_pc, res_fa = [], [], [], []
    for _ in range(n_iter):
        sim = rng.standard_normal((n, p))
        r = np.asarray(_core.factor_correlation(sim, n_threads=threads).cor)
        a, b = _eigen_pair(r, method, threads)
        sim_pc.append(a)
        sim_fa.append(b)
        shuffled = np.empty_like(values)
        for j in range(p):
            shuffled[:, j] = rng.permutation(values[:, j])
        r = np.asarray(_core.factor_correlation(shuffled, n_threads=threads).cor)
        a, b = _eigen_pair(r, method, threads)
        res_pc.append(a)
        res_fa.append(b)

    def threshold(v: list[np.ndarray]) -> np.ndarray:
        arr = np.vstack(v)
        return arr.mean(axis=0) if quantile is None else np.quantile(arr, quantile, axis=0)

    table = pd.DataFrame(
        {
            "pc_observed": pc_obs,
            "pc_simulated": threshold(sim_pc),
            "pc_resampled": threshold(res_pc),
            "fa_observed": fa_obs,
            "fa_simulated": threshold(sim_fa),
            "fa_resampled": threshold(res_fa),
        },
        index=pd.RangeIndex(1, p + 1, name="number"),
    )
    return ParallelAnalysis(
        table,
        n_factors=_first_not_above(fa_obs, table["fa_simulated"].to_numpy()),
        n_components=_first_not_above(pc_obs, table["pc_simulated"].to_numpy()),
    )
