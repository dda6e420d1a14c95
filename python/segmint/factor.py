"""Exploratory factor analysis with R psych's numbers.

:class:`FactorAnalysis` is a scikit-learn transformer (``fit`` / ``transform`` → factor scores)
whose loadings, communalities, uniquenesses and eigenvalues equal R ``psych::fa`` (minres, ml,
principal axis) and ``psych::principal``; :func:`kmo`, :func:`bartlett_sphericity` and
:func:`parallel_analysis` answer "is the data factorable, and how many factors?".

The correlation matrix comes from one parallel pass over the rows in Rust (pairwise-complete
with ``missing="pairwise"``), extraction and rotation run on the p × p matrix in Rust.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _core
from ._frame.factor import Items, check_variances, items
from ._frame.table import quote
from ._validation import check_int, n_threads, seed, unfitted_on_error
from .errors import InvalidInputError, InvalidTypeError
from .plot import Display

__all__ = [
    "BartlettResult",
    "FactorAnalysis",
    "HeywoodWarning",
    "KMOResult",
    "ParallelAnalysis",
    "bartlett_sphericity",
    "kmo",
    "parallel_analysis",
]

METHODS = ("minres", "ml", "principal", "pa")
ROTATIONS = (
    "varimax",
    "quartimax",
    "equamax",
    "geomin_orthogonal",
    "promax",
    "oblimin",
    "quartimin",
    "geomin",
    "oblimax",
)
OBLIQUE = ("promax", "oblimin", "quartimin", "geomin", "oblimax")
SCORES = ("regression", "bartlett", "tenberge")
MISSING = ("pairwise", "listwise")
_PREFIX = {"minres": "MR", "ml": "ML", "principal": "PC", "pa": "PA"}


class HeywoodWarning(UserWarning):
    """A Heywood case: some items' communality reached 1 (their uniqueness hit the lower bound
    0.005 or went below). The solution is improper for those items; the warning names them.

    See Also
    --------
    FactorAnalysis : warns it from ``fit``.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np, pandas as pd, segmint as sg
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 1))
    >>> X = pd.DataFrame(np.hstack([f, f + 0.01 * rng.normal(size=(200, 1)),
    ...                             f + rng.normal(size=(200, 2))]), columns=list("abcd"))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     fa = sg.FactorAnalysis(1, method="ml").fit(X)
    >>> sorted({w.category.__name__ for w in caught})
    ['HeywoodWarning']
    """


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


# --------------------------------------------------------------------------------------------
# The estimator


class FactorAnalysis(TransformerMixin, BaseEstimator):
    """Exploratory factor analysis with R psych's numbers; ``transform`` gives factor scores.

    The steps follow ``psych::fa``: the correlation matrix (one parallel pass in Rust), the
    extraction, column signs made positive, the rotation, signs again, and the factors sorted
    by the variance they explain (diag(Φ PᵀP)) with Φ permuted alongside.

    Parameters
    ----------
    n_factors : int or None, default None
        Number of factors; None chooses it by :func:`parallel_analysis` (reason in
        ``n_factors_reason_``).
    method : {"minres", "ml", "principal", "pa"}, default "minres"
        Minimum residual (psych ``fm = "minres"``; uniquenesses optimised from 1 − SMC within
        [0.005, 1]), maximum likelihood (``factanal``'s objective), principal components
        (psych ``principal``) or iterated principal axis (psych ``fm = "pa"``).
    rotation : str or None, default "varimax"
        Orthogonal "varimax" (R ``stats::varimax``), "quartimax", "equamax",
        "geomin_orthogonal"; oblique "promax" (psych: from varimax, power 4), "oblimin"
        (γ = 0), "quartimin", "geomin", "oblimax"; None for the unrotated solution. The GPA
        rotations follow GPArotation (Bernaards & Jennrich).
    kaiser_normalize : bool, default True
        Rotate row-normalised loadings (SPSS, and psych's varimax and promax). psych's GPA
        rotations (oblimin, quartimax, geomin, ...) do not normalise: pass False to match them.
    scores : {"regression", "bartlett", "tenberge"}, default "regression"
        Factor score weights (psych ``factor.scores``: Thurstone, Bartlett, ten Berge).
    missing : {"pairwise", "listwise"}, default "pairwise"
        Correlations from the rows where both items are present, or from complete rows only.
    max_iter : int, default 1000
        Iterations of the extraction (pa: principal axis iterations, psych uses 50).
    random_state : int, Generator or None
        Only used by the parallel analysis when ``n_factors`` is None.
    n_jobs : int or None
        Threads of the correlation pass.

    Attributes
    ----------
    loadings_ : DataFrame (items × factors), the pattern matrix
    structure_ : DataFrame, pattern @ Φ (= ``loadings_`` when orthogonal)
    phi_ : DataFrame (factors × factors), factor correlations
    communalities_ : Series, diag(P Φ Pᵀ)
    uniquenesses_ : Series, 1 − communalities
    psi_ : Series, the uniquenesses ψ at the extraction's optimum (minres, ml: bounded to
        [0.005, 1]; psych reports 1 − ψ as ``communalities``); equal to ``uniquenesses_``
        unless a bound is active
    eigenvalues_ : DataFrame, "original" (of R) and "reduced" (R with communalities on the
        diagonal; psych's ``values``)
    variance_ : DataFrame, SS loadings, proportion and cumulative proportion of variance
    rotation_matrix_ : DataFrame, T with ``loadings_`` = unrotated @ T
    correlation_ : DataFrame, the correlation matrix analysed
    n_iter_ : int
    n_factors_ : int
    n_factors_reason_ : str
    fit_stats_ : dict or None, for ml and minres: objective, chi2, df, p_value, rmsea, tli, bic
    kmo_ : KMOResult
    bartlett_ : BartlettResult
    weights_ : DataFrame, score weights (scores = standardised data @ ``weights_``)
    n_features_in_, feature_names_in_ : as in scikit-learn

    Raises
    ------
    InvalidInputError
        Constant or entirely missing columns, a singular correlation matrix (naming the
        columns), fewer rows than items, more factors than the model can identify.

    See Also
    --------
    kmo, bartlett_sphericity, parallel_analysis

    References
    ----------
    Revelle, W. psych: Procedures for Psychological, Psychometric, and Personality Research.
    Bernaards, C. A. & Jennrich, R. I. (2005). Gradient projection algorithms and software
    for arbitrary rotation criteria in factor analysis. Educational and Psychological
    Measurement 65, 676–696.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from segmint import FactorAnalysis
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(300, 2))
    >>> X = pd.DataFrame(np.hstack([f[:, [0]] + 0.5 * rng.normal(size=(300, 3)),
    ...                             f[:, [1]] + 0.5 * rng.normal(size=(300, 3))]),
    ...                  columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    >>> fa = FactorAnalysis(2, rotation="varimax").fit(X)
    >>> fa.loadings_.abs().idxmax(axis=1).tolist()
    ['MR1', 'MR1', 'MR1', 'MR2', 'MR2', 'MR2']
    >>> fa.transform(X).shape
    (300, 2)
    """

    def __init__(
        self,
        n_factors: int | None = None,
        *,
        method: str = "minres",
        rotation: str | None = "varimax",
        kaiser_normalize: bool = True,
        scores: str = "regression",
        missing: str = "pairwise",
        max_iter: int = 1000,
        random_state: Any = None,
        n_jobs: int | None = None,
    ) -> None:
        self.n_factors = n_factors
        self.method = method
        self.rotation = rotation
        self.kaiser_normalize = kaiser_normalize
        self.scores = scores
        self.missing = missing
        self.max_iter = max_iter
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _check_params(self) -> str:
        if self.method not in METHODS:
            raise InvalidInputError(
                f"method: must be one of {METHODS}, got {self.method!r}", "method"
            )
        rotation = "none" if self.rotation is None else self.rotation
        if rotation != "none" and rotation not in ROTATIONS:
            raise InvalidInputError(
                f"rotation: must be None or one of {ROTATIONS}, got {self.rotation!r}",
                "rotation",
            )
        if self.scores not in SCORES:
            raise InvalidInputError(
                f"scores: must be one of {SCORES}, got {self.scores!r}", "scores"
            )
        if not isinstance(self.kaiser_normalize, bool | np.bool_):
            raise InvalidTypeError(
                f"kaiser_normalize: must be True or False, got {self.kaiser_normalize!r}",
                "kaiser_normalize",
            )
        check_int(self.max_iter, "max_iter", 1)
        return rotation

    @unfitted_on_error
    def fit(self, X: Any, y: Any = None) -> FactorAnalysis:
        """Fit the factor model to the items `X` (rows = respondents or firms).

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_items)
            Numeric items (missing values per ``missing``).
        y : ignored
            scikit-learn convention.

        Returns
        -------
        self
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from segmint import FactorAnalysis
        >>> rng = np.random.default_rng(0)
        >>> f = rng.normal(size=(300, 2))
        >>> X = pd.DataFrame(np.hstack([f[:, [0]] + 0.5 * rng.normal(size=(300, 3)),
        ...                             f[:, [1]] + 0.5 * rng.normal(size=(300, 3))]),
        ...                  columns=["a1", "a2", "a3", "b1", "b2", "b3"])
        >>> fa = FactorAnalysis(2, rotation="varimax").fit(X)
        >>> fa.communalities_.round(2).tolist()
        [0.83, 0.84, 0.79, 0.78, 0.77, 0.81]
        """
        rotation = self._check_params()
        threads = n_threads(self.n_jobs)
        c = _correlation(X, self.missing, threads)
        try:
            validate_data(self, X, reset=True, skip_check_array=True)
        except ValueError as e:
            raise InvalidInputError(f"X: {e}", "X") from e
        cols = c.data.columns
        p = len(cols)
        if self.n_factors is None:
            pa = parallel_analysis(
                X,
                method="minres" if self.method == "principal" else self.method,
                missing=self.missing,
                random_state=self.random_state,
                n_jobs=self.n_jobs,
            )
            k = pa.n_components if self.method == "principal" else pa.n_factors
            k = max(k, 1)
            kind = "components" if self.method == "principal" else "factors"
            self.n_factors_reason_ = (
                f"parallel analysis: {k} {kind} have eigenvalues above the 95th percentile "
                f"of those of 20 simulated data sets of the same size"
            )
            self.parallel_analysis_ = pa
        else:
            k = check_int(self.n_factors, "n_factors", 1, p)
            self.n_factors_reason_ = "given"
        fit = _core.factor_fit(
            c.r,
            names=cols,
            n_factors=k,
            method=self.method,
            rotation=rotation if k > 1 else "none",
            kaiser_normalize=bool(self.kaiser_normalize),
            max_iter=int(self.max_iter),
            n_obs=float(c.n_obs),
            scores=self.scores,
            n_threads=threads,
        )
        names = [f"{_PREFIX[self.method]}{i + 1}" for i in range(k)]
        self.n_factors_ = k
        self.correlation_ = _frame(c.r, cols, cols)
        self.loadings_ = _frame(fit.loadings, cols, names)
        self.structure_ = _frame(fit.structure, cols, names)
        self.phi_ = _frame(fit.phi, names, names)
        self.rotation_matrix_ = _frame(fit.rotation_matrix, names, names)
        self.unrotated_loadings_ = _frame(fit.unrotated, cols, names)
        self.communalities_ = pd.Series(np.asarray(fit.communalities), index=cols, name="h2")
        self.uniquenesses_ = pd.Series(np.asarray(fit.uniquenesses), index=cols, name="u2")
        self.psi_ = pd.Series(np.asarray(fit.psi), index=cols, name="psi")
        self.eigenvalues_ = pd.DataFrame(
            {"original": np.asarray(fit.eigen_r), "reduced": np.asarray(fit.eigen_reduced)},
            index=pd.RangeIndex(1, p + 1, name="number"),
        )
        P = np.asarray(fit.loadings)
        Phi = np.asarray(fit.phi)
        ss = np.diag(Phi @ P.T @ P)
        total = p
        self.variance_ = pd.DataFrame(
            {
                "SS loadings": ss,
                "Proportion Var": ss / total,
                "Cumulative Var": np.cumsum(ss / total),
            },
            index=names,
        ).T
        self.n_iter_ = int(fit.n_iter)
        stats = fit.fit_stats
        self.fit_stats_ = (
            None
            if stats is None
            else {
                "objective": stats.objective,
                "chi2": stats.chi2,
                "df": stats.df,
                "p_value": stats.p_value,
                "rmsea": stats.rmsea,
                "tli": stats.tli,
                "bic": stats.bic,
            }
        )
        km, b = fit.kmo, fit.bartlett
        if km is not None and b is not None:
            self.kmo_ = KMOResult(
                float(km.overall), pd.Series(np.asarray(km.per_item), index=cols, name="MSA")
            )
            self.bartlett_ = BartlettResult(float(b.chi2), int(b.df), float(b.p_value))
        heywood = [
            cols[j] for j in range(p) if fit.communalities[j] >= 1.0 or fit.psi[j] <= 0.005 + 1e-9
        ]
        if heywood and self.method != "principal":
            warnings.warn(
                f"Heywood case: items {quote(heywood)} have a communality of 1 or more "
                "(uniqueness at its lower bound 0.005); the solution is improper for them. "
                "Try fewer factors or drop the items.",
                HeywoodWarning,
                stacklevel=2,
            )
        self.weights_ = _frame(fit.weights, cols, names)
        self._mean = c.mean
        self._sd = np.sqrt(np.diag(c.cov))
        return self

    def transform(self, X: Any) -> Any:
        """Factor scores: (X − training mean) / training SD @ ``weights_``.

        Rows with a missing item get NaN scores.

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_items)
            Items with the columns of the fit.

        Returns
        -------
        DataFrame (n_samples × n_factors) on X's index, factor names as columns (numpy array
        for array input unless ``set_output(transform="pandas")``).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from segmint import FactorAnalysis
        >>> rng = np.random.default_rng(0)
        >>> f = rng.normal(size=(300, 2))
        >>> X = pd.DataFrame(np.hstack([f[:, [0]] + 0.5 * rng.normal(size=(300, 3)),
        ...                             f[:, [1]] + 0.5 * rng.normal(size=(300, 3))]),
        ...                  columns=["a1", "a2", "a3", "b1", "b2", "b3"])
        >>> fa = FactorAnalysis(2, rotation="varimax").fit(X)
        >>> fa.transform(X.head(3)).round(2)
            MR1   MR2
        0 -0.24 -0.25
        1  1.17 -0.34
        2 -0.39  0.42
        """
        check_is_fitted(self, "loadings_")
        data = items(X)
        try:
            validate_data(self, X, reset=False, skip_check_array=True)
        except ValueError as e:
            raise InvalidInputError(f"X: {e}", "X") from e
        z = (data.values - self._mean) / self._sd
        scores = z @ self.weights_.to_numpy()
        names = list(self.loadings_.columns)
        if data.is_frame:
            return pd.DataFrame(scores, index=data.index, columns=names)
        return scores

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The factor names (MR1, MR2, ... / ML1, ... / PC1, ... / PA1, ...).

        Parameters
        ----------
        input_features : None
            Ignored (scikit-learn convention).

        Returns
        -------
        ndarray of str
            The factor names.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from segmint import FactorAnalysis
        >>> rng = np.random.default_rng(0)
        >>> f = rng.normal(size=(300, 2))
        >>> X = pd.DataFrame(np.hstack([f[:, [0]] + 0.5 * rng.normal(size=(300, 3)),
        ...                             f[:, [1]] + 0.5 * rng.normal(size=(300, 3))]),
        ...                  columns=["a1", "a2", "a3", "b1", "b2", "b3"])
        >>> fa = FactorAnalysis(2, rotation="varimax").fit(X)
        >>> fa.get_feature_names_out().tolist()
        ['MR1', 'MR2']
        """
        check_is_fitted(self, "loadings_")
        return np.asarray(self.loadings_.columns, dtype=object)

    # ----------------------------------------------------------------------------------------
    # Reports

    def summary(self, cut: float = 0.0) -> dict[str, pd.DataFrame]:
        """The tables an SPSS FACTOR user reads.

        Parameters
        ----------
        cut : float, default 0.0
            Loadings with absolute value below `cut` are blanked (NaN) in the pattern and
            structure tables.

        Returns
        -------
        dict of DataFrames: "KMO and Bartlett's Test", "Communalities", "Total Variance
        Explained", "Pattern Matrix" (oblique; else "Factor Matrix"), "Structure Matrix" and
        "Factor Correlation Matrix" (oblique), "Goodness-of-fit Test" (ml / minres).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from segmint import FactorAnalysis
        >>> rng = np.random.default_rng(0)
        >>> f = rng.normal(size=(300, 2))
        >>> X = pd.DataFrame(np.hstack([f[:, [0]] + 0.5 * rng.normal(size=(300, 3)),
        ...                             f[:, [1]] + 0.5 * rng.normal(size=(300, 3))]),
        ...                  columns=["a1", "a2", "a3", "b1", "b2", "b3"])
        >>> fa = FactorAnalysis(2, rotation="varimax").fit(X)
        >>> tables = fa.summary(cut=0.3)
        >>> for name in tables:
        ...     print(name)
        KMO and Bartlett's Test
        Communalities
        Total Variance Explained
        Factor Matrix
        Goodness-of-fit Test
        >>> tables["Factor Matrix"].round(2)
             MR1   MR2
        a1  0.91   NaN
        a2  0.92   NaN
        a3  0.89   NaN
        b1   NaN  0.88
        b2   NaN  0.88
        b3   NaN  0.90
        """
        check_is_fitted(self, "loadings_")
        out: dict[str, pd.DataFrame] = {}
        if hasattr(self, "kmo_"):
            out["KMO and Bartlett's Test"] = pd.DataFrame(
                {
                    "value": [
                        self.kmo_.overall,
                        self.bartlett_.chi2,
                        self.bartlett_.df,
                        self.bartlett_.p_value,
                    ]
                },
                index=[
                    "Kaiser-Meyer-Olkin Measure of Sampling Adequacy",
                    "Bartlett's Test of Sphericity: Approx. Chi-Square",
                    "Bartlett's Test of Sphericity: df",
                    "Bartlett's Test of Sphericity: Sig.",
                ],
            )
        out["Communalities"] = pd.DataFrame(
            {"Extraction": self.communalities_, "Uniqueness": self.uniquenesses_}
        )
        ev = self.eigenvalues_["original"]
        p = len(ev)
        tve = pd.DataFrame(
            {
                "Initial Eigenvalues: Total": ev,
                "Initial Eigenvalues: % of Variance": 100 * ev / p,
                "Initial Eigenvalues: Cumulative %": 100 * np.cumsum(ev) / p,
            }
        )
        ss = self.variance_.loc["SS loadings"].to_numpy()
        col = np.full(p, np.nan)
        col[: len(ss)] = ss
        tve["Rotation Sums of Squared Loadings: Total"] = col
        out["Total Variance Explained"] = tve

        def blank(df: pd.DataFrame) -> pd.DataFrame:
            return df.where(df.abs() >= cut) if cut > 0 else df

        oblique = self.rotation in OBLIQUE and self.n_factors_ > 1
        out["Pattern Matrix" if oblique else "Factor Matrix"] = blank(self.loadings_)
        if oblique:
            out["Structure Matrix"] = blank(self.structure_)
            out["Factor Correlation Matrix"] = self.phi_
        if self.fit_stats_ is not None:
            out["Goodness-of-fit Test"] = pd.DataFrame(
                {"value": list(self.fit_stats_.values())}, index=list(self.fit_stats_)
            )
        return out

    def _repr_html_(self, cut: float = 0.3) -> str:
        if not hasattr(self, "loadings_"):
            return f"<pre>{self!r}</pre>"
        lo = self.loadings_
        main = lo.abs().to_numpy().argmax(axis=1)
        order = sorted(range(len(lo)), key=lambda i: (main[i], -abs(lo.iloc[i, main[i]])))
        shown = lo.iloc[order]
        shown = shown.where(shown.abs() >= cut)
        table = shown.assign(h2=self.communalities_.iloc[order]).to_html(
            float_format=lambda v: f"{v:.3f}", na_rep=""
        )
        return (
            f"<div><b>FactorAnalysis</b> ({self.method}, rotation={self.rotation}, "
            f"{self.n_factors_} factors; loadings below {cut} blanked)</div>{table}"
        )
