"""Exploratory factor analysis with R psych's numbers.

:class:`FactorAnalysis` is a scikit-learn transformer (``fit`` / ``transform`` → factor scores)
whose loadings, communalities, uniquenesses and eigenvalues equal R ``psych::fa`` (minres, ml,
principal axis) and ``psych::principal``; :func:`kmo`, :func:`bartlett_sphericity` and
:func:`parallel_analysis` answer "is the data factorable, and how many factors?".

The correlation matrix comes from one parallel pass over the rows in Rust (pairwise-complete
with ``missing="pairwise"``), extraction and rotation run on the p × p matrix in Rust.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _core
from ._factor_diagnostics import (
    BartlettResult,
    KMOResult,
    ParallelAnalysis,
    ScreeDisplay,
    _correlation,
    _frame,
    bartlett_sphericity,
    kmo,
    parallel_analysis,
)
from ._frame import is_dask
from ._frame.factor import items
from ._frame.table import quote
from ._validation import check_int, n_threads, unfitted_on_error
from .errors import InvalidInputError, InvalidTypeError

__all__ = [
    "BartlettResult",
    "FactorAnalysis",
    "HeywoodWarning",
    "KMOResult",
    "ParallelAnalysis",
    "ScreeDisplay",
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
        Orthogonal "varimax" (R ``stats::varimax``; where its stopping rule — the criterion's
        relative growth below 1e-5 — leaves the criterion more than a relative 1e-3 below its
        maximum, as near a stationary point such as two equal groups of items, Kaiser's planar
        rotations of each pair of factors carry it to the maximum), "quartimax", "equamax",
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
            Numeric items (missing values per ``missing``). A Dask DataFrame or Array fits on
            the cluster with the in-memory correlation matrix to the last bit (``n_factors``
            must then be given; see :func:`segmint.distributed.fit_factor`).
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
        if is_dask(X):
            from . import distributed

            return distributed.fit_factor(self, X)
        c = _correlation(X, self.missing, threads)
        try:
            validate_data(self, X, reset=True, skip_check_array=True)
        except ValueError as e:
            raise InvalidInputError(f"X: {e}", "X") from e
        return self._fit_correlation(c, X, rotation, threads)

    def _fit_correlation(self, c: Any, X: Any, rotation: str, threads: int) -> FactorAnalysis:
        """The fit from the correlation pass `c` (in memory or merged from a Dask collection's
        partitions; `X` is only read by parallel analysis when ``n_factors`` is None)."""
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
            Items with the columns of the fit (a Dask DataFrame or Array: lazy scores mapped
            over its partitions).

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
        1  1.18 -0.30
        2 -0.41  0.41
        """
        check_is_fitted(self, "loadings_")
        if is_dask(X):
            from . import distributed

            return distributed.transform(self, X)
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
