"""TwoStep cluster analysis (SPSS's TWOSTEP CLUSTER) for large mixed numeric / categorical data."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from . import _core, _frame, _validation
from .errors import InvalidInputError

#: Counts handed to Rust as u32.
_U32 = 2**32 - 1

#: Largest number of leaf entries the tree may hold (the cluster step is quadratic in it).
_MAX_LEAF_ENTRIES_TOTAL = 65_536


class TwoStep(ClusterMixin, BaseEstimator):
    """TwoStep cluster analysis (Chiu et al. 2001; SPSS ``TWOSTEP CLUSTER``) for mixed data.

    Built for many rows with numeric *and* categorical columns, and for choosing the number of
    segments automatically:

    1. **Pre-clustering**: one pass over the rows, in row order, builds a CF-tree whose leaf
       entries are small sub-clusters summarised by their sufficient statistics (count, sums and
       sums of squares of the numeric columns, counts of each category). A row joins the closest
       leaf entry if their log-likelihood distance is at most the threshold, else starts a new
       one; when the tree outgrows ``max_depth`` it is rebuilt from its leaf entries with a
       larger threshold. Memory is bounded by the tree (at most ``max_leaf_entries ×
       branching_factor ** max_depth`` leaf entries), not by the data.
    2. **Clustering**: agglomerative clustering of the leaf entries with the same distance. For
       each number of clusters J the BIC (or AIC) is computed; SPSS's rule picks k: an initial
       estimate where the ratio of criterion changes falls below 0.04, refined by the largest
       ratio of distance measures d_min(C_J) / d_min(C_{J+1}) (the larger J if the two largest
       ratios are within a factor 1.15).
    3. **Assignment**: every row goes to the closest of the k clusters.

    The log-likelihood distance between clusters i and j is ``d(i, j) = ξ_i + ξ_j − ξ_<i,j>``
    with ``ξ_v = −N_v (Σ_k ½ ln(Δ_k + σ̂²_vk) + Σ_k Ê_vk)``: σ̂²_vk the (maximum-likelihood)
    variance of numeric column k in cluster v, Δ_k its variance over all rows (1 after
    standardisation), Ê_vk the entropy of categorical column k in v. ``BIC(J) = −2 Σ_j ξ_j +
    m_J ln N`` and ``AIC(J) = −2 Σ_j ξ_j + 2 m_J`` with ``m_J = J (2 K_num + Σ_k (L_k − 1))``,
    L_k the number of categories of column k.

    Parameters
    ----------
    n_clusters : int or None, default None
        Fixed number of clusters; None chooses it automatically (up to ``max_clusters``).
    max_clusters : int, default 15
        Largest number of clusters considered (rows of :attr:`bic_`).
    criterion : {"bic", "aic"}, default "bic"
        Information criterion of the automatic choice.
    categorical : list of column names or positions, optional
        Categorical columns; default every ``category``, text and bool column (the others must be
        numeric).
    standardize : bool, default True
        Cluster the numeric columns as z-scores (population standard deviation), as SPSS does
        by default; then Δ_k = 1. Otherwise Δ_k is each column's variance.
    threshold : float, default 0.0
        Initial CF-tree threshold (SPSS's initial distance change threshold).
    branching_factor : int, default 8
        Maximum entries of a non-leaf node.
    max_leaf_entries : int, default 8
        Maximum entries of a leaf node.
    max_depth : int, default 3
        Maximum levels below the root; the tree holds at most
        ``(branching_factor ** (max_depth + 1) − 1) / (branching_factor − 1)`` nodes.
    outlier_handling : bool, default False
        SPSS's noise handling: at each rebuild of the tree, leaf entries with fewer rows than
        ``outlier_percent`` % of the largest leaf entry are set aside; they return when they fit
        in the tree without growing it. Rows of entries still aside at the end are outliers
        (label -1) and take no part in the clustering.
    outlier_percent : float, default 25.0
        Size of a potential outlier entry, in % of the largest leaf entry.
    n_jobs : int or None
        Threads of the order-independent parts (moments, neighbour scans of the hierarchy, the
        assignment pass); the tree is built on one thread. Results do not depend on it.
    missing : {"raise", "drop"}, default "raise"
        Rows with missing values: an error naming the columns, or left out (label -1).

    Attributes
    ----------
    labels_ : Series named "segment"
        Cluster of each row (0..k-1; -1 for outliers and rows left out), on X's index.
    n_clusters_ : int
    bic_ : DataFrame
        Auto-clustering table indexed by the number of clusters: the criterion ("BIC" or
        "AIC"), its change from the previous row, the ratio of that change to the change from 1
        to 2 clusters, and the ratio of distance measures.
    cluster_centers_ : DataFrame
        Per cluster: numeric means (caller's units) and categorical modes (labels).
    cluster_profiles_ : DataFrame
        Per cluster: ("size", ""), the mean and standard deviation of each numeric column and the
        share of each category (columns (variable, statistic or category)).
    predictor_importance_ : DataFrame
        Per column: the test (one-way ANOVA F for numeric columns, Pearson χ² of clusters ×
        categories for categorical ones, both on the final labels), statistic, degrees of
        freedom, ``-log10 p`` and the importance ``-log10 p`` divided by its largest value over
        the columns (1 = most important). SPSS's model viewer ranks predictors by the same
        per-variable significance; its exact scaling is not published, so this is ours.
    n_outliers_ : int
    threshold_ : float
        Final CF-tree threshold.
    n_leaf_entries_ : int
        Leaf entries clustered in step 2 (outlier entries excluded).
    n_features_in_, feature_names_in_ : as in scikit-learn.

    Raises
    ------
    InvalidInputError
        Missing values (with ``missing="raise"``), an empty table, a constant column,
        ``n_clusters`` larger than the number of rows or leaf entries, a category at
        ``predict`` that the fit did not see; the message names the column or parameter.

    See Also
    --------
    KPrototypes : k-means for mixed data with a fixed number of clusters.
    KMedoids : k-medoids on Gower distances.

    Notes
    -----
    The criterion is a classification likelihood: splitting a cluster always raises it, so BIC
    alone keeps falling and the ratio-of-distances rule does the choosing. As Bacher, Wenzig &
    Vogler (2004) report for SPSS, the entropy term weighs categorical columns heavily (rows with
    rare categories can form a cluster of their own; a category unrelated to the clusters can
    split them) and data without cluster structure still yield k > 1: cluster on the columns that
    define the segments, and check the solution (e.g. :func:`stability`).

    The tree and hence the result depend on the order of the rows (as in SPSS); shuffle the rows
    to check stability. Unseen categories at ``predict`` raise an error naming the column.
    ``predict`` assigns every row to the closest cluster (outliers included).

    References
    ----------
    Chiu, T., Fang, D., Chen, J., Wang, Y. & Jeris, C. (2001). A robust and scalable clustering
    algorithm for mixed type attributes in large database environment. KDD '01, 263-268.
    IBM SPSS Statistics Algorithms, "TwoStep Cluster Algorithms".
    Zhang, T., Ramakrishnan, R. & Livny, M. (1996). BIRCH. SIGMOD '96, 103-114.
    Bacher, J., Wenzig, K. & Vogler, M. (2004). SPSS TwoStep Cluster - a first evaluation.
    Universität Erlangen-Nürnberg, Arbeits- und Diskussionspapiere 2004-2.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import segmint as sg
    >>> rng = np.random.default_rng(0)
    >>> g = rng.integers(0, 3, 3000)
    >>> X = pd.DataFrame({
    ...     "spend": rng.normal(g * 4.0, 1.0),
    ...     "visits": rng.normal(-g * 3.0, 1.0),
    ...     "region": pd.Categorical(np.where(rng.random(3000) < 0.9, g, (g + 1) % 3)),
    ... })
    >>> ts = sg.TwoStep().fit(X)
    >>> ts.n_clusters_
    3
    >>> list(ts.bic_.columns)
    ['BIC', 'BIC change', 'ratio of BIC changes', 'ratio of distance measures']
    """

    labels_: pd.Series
    n_clusters_: int
    bic_: pd.DataFrame
    predictor_importance_: pd.DataFrame
    n_outliers_: int
    threshold_: float
    n_leaf_entries_: int

    _parameter_constraints: ClassVar[dict[str, _validation.Check]] = {
        "n_clusters": _validation.Integer(1, _U32, optional=True),
        "max_clusters": _validation.Integer(1, _U32),
        "criterion": _validation.Options(("bic", "aic")),
        "standardize": _validation.Flag(),
        "threshold": _validation.Interval(0.0),
        "branching_factor": _validation.Integer(2, _MAX_LEAF_ENTRIES_TOTAL),
        "max_leaf_entries": _validation.Integer(1, _MAX_LEAF_ENTRIES_TOTAL),
        "max_depth": _validation.Integer(1, 32),
        "outlier_handling": _validation.Flag(),
        "outlier_percent": _validation.Interval(0.0, 100.0),
        "missing": _validation.Options(_frame.MISSING_POLICIES),
        "n_jobs": _validation.Threads(),
    }

    def __init__(
        self,
        n_clusters: int | None = None,
        *,
        max_clusters: int = 15,
        criterion: str = "bic",
        categorical: Any = None,
        standardize: bool = True,
        threshold: float = 0.0,
        branching_factor: int = 8,
        max_leaf_entries: int = 8,
        max_depth: int = 3,
        outlier_handling: bool = False,
        outlier_percent: float = 25.0,
        n_jobs: int | None = None,
        missing: str = "raise",
    ) -> None:
        self.n_clusters = n_clusters
        self.max_clusters = max_clusters
        self.criterion = criterion
        self.categorical = categorical
        self.standardize = standardize
        self.threshold = threshold
        self.branching_factor = branching_factor
        self.max_leaf_entries = max_leaf_entries
        self.max_depth = max_depth
        self.outlier_handling = outlier_handling
        self.outlier_percent = outlier_percent
        self.n_jobs = n_jobs
        self.missing = missing

    @_validation.unfitted_on_error
    def fit(self, X: Any, y: Any = None) -> TwoStep:
        """Cluster the rows of `X` (a table of numeric and categorical columns).

        Parameters
        ----------
        X : DataFrame (pandas, polars, pyarrow) or 2-D array
            Numeric columns and categorical ones (pandas category, text or bool columns, or
            those named in ``categorical``).
        y : None
            Ignored.

        Returns
        -------
        TwoStep
            The fitted estimator (``self``).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import segmint as sg
        >>> rng = np.random.default_rng(0)
        >>> g = rng.integers(0, 3, 3000)
        >>> X = pd.DataFrame({
        ...     "spend": rng.normal(g * 4.0, 1.0),
        ...     "visits": rng.normal(-g * 3.0, 1.0),
        ...     "region": pd.Categorical(np.where(rng.random(3000) < 0.9, g, (g + 1) % 3)),
        ... })
        >>> sg.TwoStep().fit(X).n_clusters_
        3
        """
        p = _validation.validate_params(self)
        leaf_total = p["max_leaf_entries"] * p["branching_factor"] ** p["max_depth"]
        if leaf_total > _MAX_LEAF_ENTRIES_TOTAL:
            raise InvalidInputError(
                f"max_depth: max_leaf_entries × branching_factor ** max_depth = {leaf_total} "
                f"leaf entries; at most {_MAX_LEAF_ENTRIES_TOTAL} (the cluster step is "
                "quadratic in them)",
                "max_depth",
            )
        data = _frame.cluster_table(X, categorical=self.categorical, missing=self.missing)
        n = len(data.numeric)
        if n == 0:
            raise InvalidInputError("X: no rows to cluster (empty table)", "X")
        if n == 1:
            raise InvalidInputError("X: n_samples=1; TwoStep needs at least 2 rows", "X")
        k = p["n_clusters"]
        if k is not None and n < k:
            raise InvalidInputError(
                f"n_clusters: n_samples={n} should be >= n_clusters={k}", "n_clusters"
            )
        self._check_constant(data)
        n_levels = [int(v) for v in data.n_levels]
        fit = _core.twostep_fit(
            data.numeric,
            data.codes,
            n_levels=n_levels,
            n_clusters=k,
            max_clusters=p["max_clusters"],
            criterion=p["criterion"],
            standardize=p["standardize"],
            threshold=p["threshold"],
            branching_factor=p["branching_factor"],
            max_leaf_entries=p["max_leaf_entries"],
            max_depth=p["max_depth"],
            outlier_handling=p["outlier_handling"],
            outlier_fraction=p["outlier_percent"] / 100.0,
            n_threads=p["n_jobs"],
        )
        self._encoding, self._n_levels = data.encoding, n_levels
        self._numeric_columns = data.numeric_columns
        self._categorical_columns = data.categorical_columns
        self._model = {
            "mean": fit.mean,
            "scale": fit.scale,
            "delta": fit.delta,
            "cluster_n": fit.cluster_n,
            "cluster_sum": fit.cluster_sum,
            "cluster_sumsq": fit.cluster_sumsq,
            "cluster_counts": fit.cluster_counts,
        }
        self._profile = {
            "n": fit.profile_n,
            "sum": fit.profile_sum,
            "sumsq": fit.profile_sumsq,
            "counts": fit.profile_counts,
        }
        # The CF-tree and the hierarchy, for inspection and the tests (clustering units).
        self._tree = {
            "entry_n": fit.entry_n,
            "entry_sum": fit.entry_sum,
            "entry_sumsq": fit.entry_sumsq,
            "entry_counts": fit.entry_counts,
            "n_outlier_entries": fit.n_outlier_entries,
            "row_entry": fit.row_entry,
            "entry_cluster": fit.entry_cluster,
            "merges": fit.merges,
            "merge_distances": fit.merge_distances,
            "n_rebuilds": fit.n_rebuilds,
        }
        labels = fit.labels
        self.labels_ = _frame.labels_series(labels, data)
        self.n_clusters_ = int(fit.n_clusters)
        self.n_outliers_ = int((labels < 0).sum())
        self.threshold_ = float(fit.threshold)
        self.n_leaf_entries_ = len(fit.entry_n) - int(fit.n_outlier_entries)
        self.bic_ = self._table(fit, p["criterion"].upper())
        self.predictor_importance_ = self._importance(fit)
        _frame.check_features(self, X, reset=True)
        return self

    def _check_constant(self, data: _frame.ClusterData) -> None:
        for k, name in enumerate(data.numeric_columns):
            col = data.numeric[:, k]
            if col.min() == col.max():
                raise InvalidInputError(
                    f"X: column {name!r} is constant; it cannot separate clusters (drop it)",
                    name,
                )
        for k, name in enumerate(data.categorical_columns):
            seen = np.bincount(data.codes[:, k], minlength=int(data.n_levels[k]))
            if (seen > 0).sum() < 2:
                raise InvalidInputError(
                    f"X: column {name!r} has a single category; it cannot separate clusters "
                    "(drop it)",
                    name,
                )

    @staticmethod
    def _table(fit: Any, name: str) -> pd.DataFrame:
        rows = len(fit.criterion)
        return pd.DataFrame(
            {
                name: fit.criterion,
                f"{name} change": fit.criterion_change,
                f"ratio of {name} changes": fit.ratio_change,
                "ratio of distance measures": fit.ratio_distance,
            },
            index=pd.RangeIndex(1, rows + 1, name="n_clusters"),
        )

    def _importance(self, fit: Any) -> pd.DataFrame:
        names = self._numeric_columns + self._categorical_columns
        tests = ["F"] * len(self._numeric_columns) + ["chi2"] * len(self._categorical_columns)
        log10_p = np.asarray(fit.importance_ln_p) / np.log(10.0)
        score = -log10_p
        top = score.max() if len(score) else 0.0
        importance = score / top if top > 0 else np.zeros_like(score)
        return pd.DataFrame(
            {
                "test": tests,
                "statistic": fit.importance_statistic,
                "df1": fit.importance_df1,
                "df2": np.where(np.array(tests) == "F", fit.importance_df2, np.nan),
                "log10_p": log10_p,
                "importance": importance,
            },
            index=pd.Index(names, name="variable"),
        )

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_model")

    @property
    def cluster_sizes_(self) -> pd.Series:
        """Rows per cluster (final labels).

        Returns
        -------
        Series
            Rows per segment, indexed by segment, named "size".

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import segmint as sg
        >>> rng = np.random.default_rng(0)
        >>> g = rng.integers(0, 3, 3000)
        >>> X = pd.DataFrame({
        ...     "spend": rng.normal(g * 4.0, 1.0),
        ...     "visits": rng.normal(-g * 3.0, 1.0),
        ...     "region": pd.Categorical(np.where(rng.random(3000) < 0.9, g, (g + 1) % 3)),
        ... })
        >>> sg.TwoStep().fit(X).cluster_sizes_.tolist()
        [871, 1137, 992]
        """
        check_is_fitted(self)
        return pd.Series(
            self._profile["n"].astype(np.int64),
            index=pd.RangeIndex(self.n_clusters_, name="segment"),
            name="size",
        )

    @property
    def cluster_centers_(self) -> pd.DataFrame:
        """Per cluster: numeric means and categorical modes (labels), in the caller's column
        order.

        Returns
        -------
        DataFrame
            One row per segment, one column per variable.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import segmint as sg
        >>> rng = np.random.default_rng(0)
        >>> g = rng.integers(0, 3, 3000)
        >>> X = pd.DataFrame({
        ...     "spend": rng.normal(g * 4.0, 1.0),
        ...     "visits": rng.normal(-g * 3.0, 1.0),
        ...     "region": pd.Categorical(np.where(rng.random(3000) < 0.9, g, (g + 1) % 3)),
        ... })
        >>> centers = sg.TwoStep().fit(X).cluster_centers_
        >>> centers["spend"].round(2).tolist(), centers["region"].tolist()
        ([0.01, 7.63, 3.65], [0, 2, 1])
        """
        check_is_fitted(self)
        enc, prof = self._encoding, self._profile
        with np.errstate(invalid="ignore", divide="ignore"):
            means = prof["sum"] / prof["n"][:, None]
        num_pos = {j: k for k, j in enumerate(enc.continuous)}
        cat_pos = {j: k for k, j in enumerate(enc.categorical)}
        offsets = np.concatenate([[0], np.cumsum(self._n_levels)]).astype(int)
        columns: dict[str, Any] = {}
        for j, name in enumerate(enc.columns):
            if j in num_pos:
                columns[name] = means[:, num_pos[j]]
            elif j in cat_pos:
                a = cat_pos[j]
                labels = list(enc.labels[j] or [])
                block = prof["counts"][:, offsets[a] : offsets[a + 1]]
                columns[name] = [labels[int(i)] for i in block.argmax(axis=1)]
        return pd.DataFrame(columns, index=pd.RangeIndex(self.n_clusters_, name="segment"))

    @property
    def cluster_profiles_(self) -> pd.DataFrame:
        """Per cluster: size, numeric means and standard deviations (caller's units, divisor
        n), and category shares.

        Returns
        -------
        DataFrame
            One row per segment; columns (variable, statistic): ("size", ""), (numeric,
            "mean"), (numeric, "std") and (categorical, level) shares.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import segmint as sg
        >>> rng = np.random.default_rng(0)
        >>> g = rng.integers(0, 3, 3000)
        >>> X = pd.DataFrame({
        ...     "spend": rng.normal(g * 4.0, 1.0),
        ...     "visits": rng.normal(-g * 3.0, 1.0),
        ...     "region": pd.Categorical(np.where(rng.random(3000) < 0.9, g, (g + 1) % 3)),
        ... })
        >>> prof = sg.TwoStep().fit(X).cluster_profiles_
        >>> prof[("spend", "mean")].round(2).tolist()
        [0.01, 7.63, 3.65]
        """
        check_is_fitted(self)
        enc, prof = self._encoding, self._profile
        n = prof["n"]
        with np.errstate(invalid="ignore", divide="ignore"):
            means = prof["sum"] / n[:, None]
            sds = np.sqrt(np.maximum(prof["sumsq"] / n[:, None] - means**2, 0.0))
            shares = prof["counts"] / n[:, None]
        columns: dict[tuple[str, Any], Any] = {("size", ""): n.astype(np.int64)}
        for k, name in enumerate(self._numeric_columns):
            columns[(name, "mean")] = means[:, k]
            columns[(name, "std")] = sds[:, k]
        offsets = np.concatenate([[0], np.cumsum(self._n_levels)]).astype(int)
        for a, j in enumerate(enc.categorical):
            labels = list(enc.labels[j] or [])
            for b, label in enumerate(labels):
                columns[(enc.columns[j], label)] = shares[:, offsets[a] + b]
        out = pd.DataFrame(columns, index=pd.RangeIndex(self.n_clusters_, name="segment"))
        out.columns = pd.MultiIndex.from_tuples(list(columns), names=["variable", "statistic"])
        return out

    def predict(self, X: Any) -> pd.Series:
        """Closest cluster (log-likelihood distance) of each row of `X`.

        Parameters
        ----------
        X : DataFrame or 2-D array
            Rows with the columns of the fit.

        Returns
        -------
        Series
            Segment of each row, named "segment", on X's index.

        Raises
        ------
        InvalidInputError
            A category the fit did not see (naming the column), missing values.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import segmint as sg
        >>> rng = np.random.default_rng(0)
        >>> g = rng.integers(0, 3, 3000)
        >>> X = pd.DataFrame({
        ...     "spend": rng.normal(g * 4.0, 1.0),
        ...     "visits": rng.normal(-g * 3.0, 1.0),
        ...     "region": pd.Categorical(np.where(rng.random(3000) < 0.9, g, (g + 1) % 3)),
        ... })
        >>> ts = sg.TwoStep().fit(X)
        >>> ts.predict(X.head(5)).tolist()
        [1, 2, 2, 0, 0]
        """
        check_is_fitted(self)
        _frame.check_features(self, X, reset=False, by_name=True)
        data = _frame.cluster_table(
            X, encoding=self._encoding, missing=self.missing, unseen="raise"
        )
        m = self._model
        labels = _core.twostep_predict(
            data.numeric,
            data.codes,
            n_levels=self._n_levels,
            mean=list(m["mean"]),
            scale=list(m["scale"]),
            delta=list(m["delta"]),
            cluster_n=m["cluster_n"],
            cluster_sum=m["cluster_sum"],
            cluster_sumsq=m["cluster_sumsq"],
            cluster_counts=m["cluster_counts"],
            n_threads=_validation.n_threads(self.n_jobs),
        )
        return _frame.labels_series(labels, data)

    def fit_predict(self, X: Any, y: Any = None) -> pd.Series:
        """Fit and return :attr:`labels_`.

        Parameters
        ----------
        X : DataFrame (pandas, polars, pyarrow) or 2-D array
            As in :meth:`fit`.
        y : None
            Ignored.

        Returns
        -------
        Series
            Segment of each training row, named "segment" (-1 for outliers).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import segmint as sg
        >>> rng = np.random.default_rng(0)
        >>> g = rng.integers(0, 3, 3000)
        >>> X = pd.DataFrame({
        ...     "spend": rng.normal(g * 4.0, 1.0),
        ...     "visits": rng.normal(-g * 3.0, 1.0),
        ...     "region": pd.Categorical(np.where(rng.random(3000) < 0.9, g, (g + 1) % 3)),
        ... })
        >>> sg.TwoStep().fit_predict(X).value_counts().sort_index().tolist()
        [871, 1137, 992]
        """
        return self.fit(X).labels_
