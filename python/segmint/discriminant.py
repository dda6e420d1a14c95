"""Discriminant analysis: which criteria separate the segments, how well, and into which segment a
new customer falls, with the table set of SPSS DISCRIMINANT.

The estimator lives here; the printed / HTML report and the plot are in `_discriminant_report`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from . import _core, _frame, _validation
from ._discriminant_report import DiscriminantDisplay, html_report, text_report
from .errors import InvalidInputError

_PRIORS = ("equal", "size")
_METHODS = ("direct", "wilks")


def _function_names(q: int) -> list[str]:
    return [f"function {k + 1}" for k in range(q)]


def _table(actual: np.ndarray, predicted: np.ndarray, g: int) -> np.ndarray:
    """The g × g classification table: rows actual, columns predicted."""
    return np.bincount(actual * g + predicted, minlength=g * g).reshape(g, g)


class DiscriminantAnalysis(ClassifierMixin, TransformerMixin, BaseEstimator):
    """Linear discriminant analysis with the tables of SPSS DISCRIMINANT.

    Fitted on criteria ``X`` and segment labels ``y`` (any labels: strings, categories, the
    output of a clustering), it says which criteria separate the segments (Wilks' λ, univariate
    F, standardized coefficients, structure matrix), how well (eigenvalues, canonical
    correlations, classification table, leave-one-out hit rate) and scores new rows (Fisher's
    classification functions, posterior probabilities with the priors, canonical scores).

    The within-group covariance is the pooled one (divisor n − g) as in SPSS; the canonical
    functions solve B v = λ W v and are scaled so that their pooled within-group variance is 1,
    centred on the grand mean, and signed so that each function's largest absolute standardized
    coefficient is positive.

    Parameters
    ----------
    priors : {"equal", "size"} or array-like of shape (n_classes,), default "equal"
        Prior probabilities of the segments for classification: equal, proportional to the
        segment sizes, or given (in the order of ``classes_``, or a Series / dict keyed by
        label), positive and summing to 1.
    method : {"direct", "wilks"}, default "direct"
        ``"direct"`` enters every variable that passes the tolerance test; ``"wilks"`` selects
        variables stepwise by Wilks' λ (SPSS METHOD=WILKS).
    f_in : float, default 3.84
        F-to-enter of the stepwise method.
    f_out : float, default 2.71
        F-to-remove of the stepwise method.
    tolerance : float, default 0.001
        Minimum tolerance (share of a variable's within-group variance not explained by the
        variables already in the analysis); variables below it are excluded and listed in
        ``excluded_``.
    n_components : int or None, default None
        Canonical functions returned by ``transform`` (None: all, min(p, g − 1)).
    cross_validate : bool, default False
        Also classify every row by the functions fitted without it (leave-one-out, computed by
        a closed-form downdate of its class mean and the within-group scatter, not n refits;
        the priors stay those of the whole sample).
    n_jobs : int or None, default None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Segment labels.
    priors_ : Series
        Prior probability per segment.
    counts_ : Series
        Rows per segment.
    means_ : DataFrame (segments × variables)
        Group means.
    variables_ : list of str
        Variables in the analysis (entry order for the stepwise method).
    excluded_ : list of str
        Variables excluded by the tolerance test (direct method).
    eigenvalues_ : DataFrame
        Eigenvalue, % of variance, cumulative % and canonical correlation per function.
    wilks_ : DataFrame
        Wilks' λ, Bartlett's χ², df and p for the function sets "1 through q", "2 through q", ….
    univariate_ : DataFrame
        Tests of equality of group means per variable: Wilks' λ, F, df1, df2, p.
    box_m_ : Series
        Box's M, approximate F, df1, df2 and p.
    log_determinants_ : DataFrame
        Rank and log determinant of each segment's covariance and of the pooled one.
    standardized_coef_ : DataFrame
        Standardized canonical discriminant function coefficients.
    structure_ : DataFrame
        Pooled within-groups correlations of every variable with the functions, variables
        ordered by absolute size of correlation within function (SPSS order).
    raw_coef_ : DataFrame
        Unstandardized coefficients with the constant in the last row.
    centroids_ : DataFrame
        Functions at group centroids.
    classification_functions_ : DataFrame
        Fisher's linear discriminant functions (constant with ln prior in the last row).
    classification_table_ : DataFrame
        Actual × predicted counts for the original cases and, with ``cross_validate``, the
        leave-one-out ones.
    hit_rate_ : Series
        Share of correctly classified rows ("original", "cross-validated").
    steps_ : DataFrame
        Stepwise history (``method="wilks"``): action, variable, variables in, Wilks' λ, F, df,
        p, whether F is exact, and the F-to-enter / F-to-remove of the variable.
    n_features_in_, feature_names_in_ :
        As in scikit-learn.

    Raises
    ------
    InvalidInputError
        A segment with fewer than two members (named), a single segment, NaN / inf in ``X``,
        labels and rows of different length, no variable passing the tolerance test, bad
        parameters.

    See Also
    --------
    sklearn.discriminant_analysis.LinearDiscriminantAnalysis : predictions without the tables.

    Notes
    -----
    Box's M needs every segment's covariance to be non-singular (at least as many members as
    variables in the analysis, plus one); otherwise that segment's log determinant and the test
    are NaN.

    ``predict_proba`` equals scikit-learn's ``LinearDiscriminantAnalysis(solver="eigen")`` when
    that is given the same priors and the pooled within-group covariance (divisor n − g);
    scikit-learn's own default weights the class covariances by the priors and divides by
    n_g, which changes posteriors slightly. ``transform`` equals scikit-learn's canonical
    scores up to a per-function sign, the scale √((n − g)/n) of the covariance divisor (with
    size priors) and a constant (we centre on the grand mean).

    References
    ----------
    IBM SPSS Statistics, DISCRIMINANT algorithms. Box, G. E. P. (1949), Biometrika 36, 317–346.
    Rao, C. R. (1951), Bull. Int. Stat. Inst. 33, 177–180. Backhaus et al., Multivariate
    Analysemethoden, ch. 4.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> import segmint as sg
    >>> iris = load_iris(as_frame=True)
    >>> da = sg.DiscriminantAnalysis(cross_validate=True).fit(iris.data, iris.target)
    >>> da.eigenvalues_["canonical correlation"].round(3).tolist()
    [0.985, 0.471]
    >>> float(da.hit_rate_["cross-validated"].round(3))
    0.98
    """

    def __init__(
        self,
        *,
        priors: Any = "equal",
        method: str = "direct",
        f_in: float = 3.84,
        f_out: float = 2.71,
        tolerance: float = 0.001,
        n_components: int | None = None,
        cross_validate: bool = False,
        n_jobs: int | None = None,
    ) -> None:
        self.priors = priors
        self.method = method
        self.f_in = f_in
        self.f_out = f_out
        self.tolerance = tolerance
        self.n_components = n_components
        self.cross_validate = cross_validate
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # ----------------------------------------------------------------- parameters
    _parameter_constraints: ClassVar[dict[str, _validation.Check]] = {
        "method": _validation.Options(_METHODS),
        "f_in": _validation.Positive(),
        "f_out": _validation.Interval(0.0),
        "tolerance": _validation.Interval(0.0, 1.0, closed="neither"),
        "cross_validate": _validation.Flag(),
        "n_jobs": _validation.Threads(),
    }

    def _check_params(self) -> tuple[str, float, float, float]:
        p = _validation.validate_params(self)
        if p["f_out"] > p["f_in"]:
            raise InvalidInputError(
                f"f_out: must be a number in [0, f_in], got {self.f_out!r}", "f_out"
            )
        return p["method"], p["f_in"], p["f_out"], p["tolerance"]

    def _priors(self, classes: np.ndarray, counts: np.ndarray) -> np.ndarray:
        pr = self.priors
        if isinstance(pr, str):
            if pr not in _PRIORS:
                raise InvalidInputError(
                    f"priors: must be 'equal', 'size' or an array, got {pr!r}", "priors"
                )
            if pr == "equal":
                return np.full(len(classes), 1.0 / len(classes))
            return counts / counts.sum()
        if isinstance(pr, dict):
            pr = pd.Series(pr)
        if isinstance(pr, pd.Series):
            missing = [c for c in classes if c not in pr.index]
            if missing:
                raise InvalidInputError(f"priors: no prior for segment(s) {missing}", "priors")
            pr = pr.reindex(classes).to_numpy()
        try:
            values = np.asarray(pr, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise InvalidInputError(f"priors: not an array of numbers ({e})", "priors") from e
        if values.shape != (len(classes),):
            raise InvalidInputError(
                f"priors: expected {len(classes)} values (one per segment), got shape "
                f"{values.shape}",
                "priors",
            )
        if not (np.isfinite(values).all() and (values > 0).all()):
            raise InvalidInputError("priors: must all be positive", "priors")
        if abs(values.sum() - 1.0) > 1e-6:
            raise InvalidInputError(f"priors: must sum to 1, sum to {values.sum()}", "priors")
        return values / values.sum()

    # ----------------------------------------------------------------- fit
    @_validation.unfitted_on_error
    def fit(self, X: Any, y: Any) -> DiscriminantAnalysis:
        """Fit the analysis of criteria `X` (DataFrame or 2-D array) on segment labels `y`.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric criteria, no missing values.
        y : array-like or Series of shape (n_samples,)
            Segment labels of any type (a Series is aligned on X's index).

        Returns
        -------
        self : DiscriminantAnalysis
            The fitted estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> import segmint as sg
        >>> iris = load_iris(as_frame=True)
        >>> da = sg.DiscriminantAnalysis().fit(iris.data, iris.target)
        >>> da.classes_.tolist()
        [0, 1, 2]
        """
        method, f_in, f_out, tol = self._check_params()
        threads = _validation.n_threads(self.n_jobs)
        self._checked_n_components()
        if _frame.is_dask(X):
            from . import distributed

            return distributed.fit_discriminant(self, X, y)
        data = _frame.numeric_input(self, X, reset=True)
        codes, classes = _frame.class_codes(y, data.index)
        g = len(classes)
        counts = np.bincount(codes, minlength=g)
        self._check_classes(classes, counts)
        priors = self._priors(classes, counts)
        res = _core.discriminant_fit(
            data.values,
            codes,
            n_groups=g,
            priors=[float(v) for v in priors],
            stepwise=method == "wilks",
            f_in=f_in,
            f_out=f_out,
            tolerance=tol,
            cross_validate=bool(self.cross_validate),
            n_threads=threads,
        )
        tables = {"original": _table(codes, np.asarray(res.predicted), g)}
        if res.loo is not None:
            tables["cross-validated"] = _table(codes, np.asarray(res.loo), g)
        return self._fitted(res, classes, counts, data.columns, priors, tables)

    def _checked_n_components(self) -> int | None:
        if self.n_components is None:
            return None
        return _validation.check_int(self.n_components, "n_components", 1)

    def _check_classes(self, classes: np.ndarray, counts: np.ndarray) -> None:
        """At least two segments, each with at least two members."""
        if len(classes) < 2:
            raise InvalidInputError(
                "y: one class only (a single segment); discriminant analysis needs at least two",
                "y",
            )
        for c, k in zip(classes, counts, strict=True):
            if k < 2:
                raise InvalidInputError(
                    f"y: segment {c!r} has only {k} member; every segment needs at least two",
                    str(c),
                )

    def _fitted(
        self,
        res: Any,
        classes: np.ndarray,
        counts: np.ndarray,
        cols: list[str],
        priors: np.ndarray,
        tables: dict[str, np.ndarray],
    ) -> DiscriminantAnalysis:
        """Sets the fitted attributes from the core fit `res` (in memory, or merged from a Dask
        collection's partitions) and the classification tables (actual × predicted counts)."""
        n_components = self._checked_n_components()
        q = len(res.eigenvalues)
        if n_components is not None and n_components > q:
            raise InvalidInputError(
                f"n_components: at most min(n_features, n_classes - 1) = {q}, got {n_components}",
                "n_components",
            )
        self.classes_ = classes
        self._columns = cols
        self._n_rows = int(counts.sum())
        self._q = q
        self._n_out = q if n_components is None else n_components
        seg = pd.Index(classes, name="segment")
        self.priors_ = pd.Series(priors, index=seg, name="prior")
        self.counts_ = pd.Series(counts, index=seg, name="n")
        self.means_ = pd.DataFrame(res.means, index=seg, columns=cols)
        sel = [int(j) for j in res.selected]
        self._selected = np.asarray(sel, dtype=np.int64)
        self.variables_ = [cols[j] for j in sel]
        self.excluded_ = [cols[int(j)] for j in res.excluded]
        self._tables(res, seg, q)
        # Scoring state: plain numpy (pickles, predicts identically anywhere).
        self._class_coef = np.ascontiguousarray(res.class_coef)
        self._class_const = np.ascontiguousarray(res.class_const)
        self._raw = np.ascontiguousarray(res.raw_coef)
        self._raw_const = np.ascontiguousarray(res.raw_const)
        self._confusion(tables, seg)
        return self

    def _tables(self, res: Any, seg: pd.Index, q: int) -> None:
        cols = self._columns
        fn = _function_names(q)
        eig = np.asarray(res.eigenvalues)
        total = eig.sum()
        share = 100 * eig / total if total > 0 else np.full(q, np.nan)
        self.eigenvalues_ = pd.DataFrame(
            {
                "eigenvalue": eig,
                "% of variance": share,
                "cumulative %": np.cumsum(share),
                "canonical correlation": np.sqrt(eig / (1 + eig)),
            },
            index=pd.Index(fn, name="function"),
        )
        sets = [f"{k + 1} through {q}" if k + 1 < q else f"{q}" for k in range(q)]
        self.wilks_ = pd.DataFrame(
            res.wilks,
            index=pd.Index(sets, name="test of functions"),
            columns=["Wilks' lambda", "chi-square", "df", "p"],
        )
        self.univariate_ = pd.DataFrame(
            res.univariate,
            index=pd.Index(cols, name="variable"),
            columns=["Wilks' lambda", "F", "df1", "df2", "p"],
        )
        self.box_m_ = pd.Series(
            res.box_m, index=["Box's M", "F", "df1", "df2", "p"], name="Box's M test"
        )
        logs = np.asarray(res.log_dets)
        self.log_determinants_ = pd.DataFrame(
            {"rank": len(self.variables_), "log determinant": logs},
            index=pd.Index([*map(str, seg), "pooled within-groups"], name="segment"),
        )
        var = pd.Index(self.variables_, name="variable")
        self.standardized_coef_ = pd.DataFrame(res.standardized, index=var, columns=fn)
        structure = pd.DataFrame(res.structure, index=pd.Index(cols, name="variable"), columns=fn)
        a = np.abs(np.nan_to_num(structure.to_numpy(), nan=-1.0))
        best = a.argmax(axis=1)
        order = np.lexsort((-a[np.arange(len(a)), best], best))
        self.structure_ = structure.iloc[order]
        raw = np.vstack([res.raw_coef, np.asarray(res.raw_const)[None, :]])
        self.raw_coef_ = pd.DataFrame(
            raw, index=pd.Index([*self.variables_, "(constant)"], name="variable"), columns=fn
        )
        self.centroids_ = pd.DataFrame(res.centroids, index=seg, columns=fn)
        cf = np.asarray(res.class_coef)[self._selected]
        cf = np.vstack([cf, np.asarray(res.class_const)[None, :]])
        self.classification_functions_ = pd.DataFrame(
            cf, index=pd.Index([*self.variables_, "(constant)"], name="variable"), columns=seg
        )
        steps = np.asarray(res.steps)
        self.steps_ = pd.DataFrame(
            {
                "action": ["entered" if s[0] else "removed" for s in steps],
                "variable": [cols[int(s[1])] for s in steps],
                "number of variables": steps[:, 2].astype(np.int64) if len(steps) else [],
                "Wilks' lambda": steps[:, 3] if len(steps) else [],
                "F": steps[:, 4] if len(steps) else [],
                "df1": steps[:, 5] if len(steps) else [],
                "df2": steps[:, 6] if len(steps) else [],
                "p": steps[:, 7] if len(steps) else [],
                "exact F": steps[:, 8].astype(bool) if len(steps) else [],
                "F to enter / remove": steps[:, 9] if len(steps) else [],
            },
            index=pd.RangeIndex(1, len(steps) + 1, name="step"),
        )

    def _confusion(self, tables: dict[str, np.ndarray], seg: pd.Index) -> None:
        blocks, hits = [], {}
        pred_cols = pd.Index(seg, name="predicted")
        for name, m in tables.items():
            blocks.append(
                pd.DataFrame(
                    m,
                    index=pd.MultiIndex.from_product([[name], seg], names=["cases", "actual"]),
                    columns=pred_cols,
                )
            )
            hits[name] = float(np.trace(m) / m.sum())
        self.classification_table_ = pd.concat(blocks)
        self.hit_rate_ = pd.Series(hits, name="hit rate")

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_class_coef")

    # ----------------------------------------------------------------- scoring
    def _new_data(self, X: Any) -> _frame.NumericData:
        check_is_fitted(self)
        return _frame.numeric_input(self, X, reset=False)

    def _out(self, values: np.ndarray, data: _frame.NumericData, columns: Any) -> Any:
        if data.is_frame:
            return pd.DataFrame(values, index=data.index, columns=list(columns))
        return values

    def predict_proba(self, X: Any) -> Any:
        """Posterior probability of each segment for each row (with the priors).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the criteria of the fit.

        Returns
        -------
        DataFrame (columns ``classes_``, X's index) for a data frame, else ndarray
        (n_samples, n_classes).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> import segmint as sg
        >>> iris = load_iris(as_frame=True)
        >>> da = sg.DiscriminantAnalysis().fit(iris.data, iris.target)
        >>> da.predict_proba(iris.data.iloc[[0, 60, 120]]).round(3)
               0    1    2
        0    1.0  0.0  0.0
        60   0.0  1.0  0.0
        120  0.0  0.0  1.0
        """
        if _frame.is_dask(X):
            from . import distributed

            return distributed.predict_proba(self, X)
        data = self._new_data(X)
        p = _core.discriminant_proba(
            data.values,
            coef=self._class_coef,
            intercept=self._class_const,
            n_threads=_validation.n_threads(self.n_jobs),
        )
        return self._out(p, data, self.classes_)

    def predict_log_proba(self, X: Any) -> Any:
        """Natural logarithm of `predict_proba`.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the criteria of the fit.

        Returns
        -------
        DataFrame or ndarray of shape (n_samples, n_classes)
            As `predict_proba`, logged (-inf for a zero probability).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> import segmint as sg
        >>> iris = load_iris(as_frame=True)
        >>> da = sg.DiscriminantAnalysis().fit(iris.data, iris.target)
        >>> da.predict_log_proba(iris.data.iloc[[60]]).round(2)
                0    1      2
        60 -40.78 -0.0 -13.46
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def decision_function(self, X: Any) -> Any:
        """Fisher's classification function values (constant with ln prior) per segment; for
        two segments the difference (second − first), positive for the second segment.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the criteria of the fit.

        Returns
        -------
        DataFrame, Series or ndarray
            One column per segment (a Series named "decision" for two segments, given a data
            frame), else an array.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> import segmint as sg
        >>> iris = load_iris(as_frame=True)
        >>> da = sg.DiscriminantAnalysis().fit(iris.data, iris.target)
        >>> da.decision_function(iris.data.iloc[[0]]).round(1)
              0     1    2
        0  89.8  40.5 -5.9
        """
        data = self._new_data(X)
        d = data.values @ self._class_coef + self._class_const
        if len(self.classes_) == 2:
            d = d[:, 1] - d[:, 0]
            if data.is_frame:
                return pd.Series(d, index=data.index, name="decision")
            return d
        return self._out(d, data, self.classes_)

    def predict(self, X: Any) -> Any:
        """Segment of largest posterior probability for each row: a Series on X's index for a
        data frame, else an array.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the criteria of the fit.

        Returns
        -------
        Series or ndarray of shape (n_samples,)
            The segment of each row (Series named "segment").

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> import segmint as sg
        >>> iris = load_iris(as_frame=True)
        >>> da = sg.DiscriminantAnalysis().fit(iris.data, iris.target)
        >>> da.predict(iris.data.iloc[[0, 60, 120]]).tolist()
        [0, 1, 2]
        """
        if _frame.is_dask(X):
            from . import distributed

            return distributed.predict(self, X)
        data = self._new_data(X)
        p = _core.discriminant_proba(
            data.values,
            coef=self._class_coef,
            intercept=self._class_const,
            n_threads=_validation.n_threads(self.n_jobs),
        )
        labels = self.classes_[p.argmax(axis=1)]
        if data.is_frame:
            return pd.Series(labels, index=data.index, name="segment")
        return labels

    def transform(self, X: Any) -> Any:
        """Canonical discriminant scores (the first ``n_components`` functions).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the criteria of the fit.

        Returns
        -------
        DataFrame on X's index for a data frame, else ndarray (n_samples, n_components).

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> import segmint as sg
        >>> iris = load_iris(as_frame=True)
        >>> da = sg.DiscriminantAnalysis().fit(iris.data, iris.target)
        >>> da.transform(iris.data.iloc[[0, 60]]).round(3)
            function 1  function 2
        0       -8.062       0.300
        60       1.194      -2.634
        """
        if _frame.is_dask(X):
            from . import distributed

            return distributed.transform(self, X)
        data = self._new_data(X)
        k = self._n_out
        return self._out(self._scores(data, k), data, _function_names(self._q)[:k])

    def _scores(self, data: _frame.NumericData, k: int) -> np.ndarray:
        return data.values[:, self._selected] @ self._raw[:, :k] + self._raw_const[:k]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the canonical functions returned by `transform`.

        Parameters
        ----------
        input_features : None
            Ignored (scikit-learn convention).

        Returns
        -------
        ndarray of str
            The function names.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> import segmint as sg
        >>> iris = load_iris(as_frame=True)
        >>> da = sg.DiscriminantAnalysis().fit(iris.data, iris.target)
        >>> da.get_feature_names_out().tolist()
        ['function 1', 'function 2']
        """
        check_is_fitted(self)
        return np.asarray(_function_names(self._q)[: self._n_out], dtype=object)

    # ----------------------------------------------------------------- reports
    def summary(self) -> str:
        """The SPSS DISCRIMINANT table set as text (also printed).

        Returns
        -------
        str
            The tables: group statistics, eigenvalues, Wilks' lambda, coefficients, structure
            matrix, centroids, classification results, Box's M.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> import segmint as sg
        >>> iris = load_iris(as_frame=True)
        >>> da = sg.DiscriminantAnalysis().fit(iris.data, iris.target)
        >>> text = da.summary()  # doctest: +ELLIPSIS
        Discriminant analysis
        ...
        Hit rate
        --------
                  hit rate
        original      0.98
        >>> "Box's M" in text
        True
        """
        check_is_fitted(self)
        text = text_report(self)
        print(text)
        return text

    def _repr_html_(self) -> str:
        if not self.__sklearn_is_fitted__():
            return "<pre>" + repr(self) + "</pre>"
        return html_report(self)

    def plot(self, X: Any = None, y: Any = None, *, ax: Any = None) -> DiscriminantDisplay:
        """Plot the first two canonical functions: the rows of `X` (coloured by `y`, or by
        predicted segment) and the group centroids. Needs matplotlib.

        Parameters
        ----------
        X : DataFrame or array-like, optional
            Rows to show; centroids only when omitted.
        y : array-like, optional
            Their segments (default: predicted).
        ax : matplotlib Axes, optional
            Axes to draw into; None makes a new figure.

        Returns
        -------
        DiscriminantDisplay
            With ``figure_`` and ``ax_``.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> import segmint as sg
        >>> iris = load_iris(as_frame=True)
        >>> da = sg.DiscriminantAnalysis().fit(iris.data, iris.target)
        >>> import matplotlib.pyplot as plt
        >>> display = da.plot(iris.data, iris.target)
        >>> display.ax_.get_xlabel()[:10]
        'function 1'
        >>> plt.close("all")
        """
        check_is_fitted(self)
        scores = labels = None
        if X is not None:
            scores = self._scores(self._new_data(X), self._q)
            labels = np.asarray(self.predict(X) if y is None else y)
        return DiscriminantDisplay(
            centroids=self.centroids_, scores=scores, labels=labels, eigenvalues=self.eigenvalues_
        ).plot(ax=ax)


__all__ = ["DiscriminantAnalysis", "DiscriminantDisplay"]
