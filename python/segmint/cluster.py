"""Cluster analysis estimators (scikit-learn compatible, pandas in and out)."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    ClusterMixin,
    TransformerMixin,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from . import _core, _frame, _validation
from ._progress import progress
from .errors import InvalidInputError
from .gower import check_memory, gower_block, gower_ranges, gower_weights, parse_bytes

_INIT_METHODS = ("k-means++", "random")


#: Counts handed to Rust as u32.
_U32 = 2**32 - 1


class KMeans(ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClusterMixin, BaseEstimator):
    """k-means clustering (Lloyd's algorithm) with a parallel Rust core.

    Numerically it follows scikit-learn's ``KMeans(algorithm="lloyd")``: data are centred on
    the column means while fitting, the run stops when labels no longer change or when the
    squared centre shift is at most ``tol`` times the mean feature variance, an empty cluster
    takes the point farthest from its centre, and a final assignment makes the labels match the
    centres. Results depend on ``random_state`` only, never on the number of threads.

    Parameters
    ----------
    n_clusters : int, default 8
        Number of segments.
    init : {"k-means++", "random"} or array of shape (n_clusters, n_features)
        Greedy k-means++ (``2 + ln k`` candidates per step, weighted by ``sample_weight``),
        ``n_clusters`` distinct rows drawn with probability proportional to weight, or explicit
        starting centres (then a single run is made and ``n_init`` is not used).
    n_init : int, default 10
        Runs from different seeds; the one with the lowest inertia is kept.
    max_iter : int, default 300
        Maximum Lloyd iterations per run.
    tol : float, default 1e-4
        Relative tolerance, as in scikit-learn.
    random_state : int, RandomState or None
        Seed of the initialisation.
    n_jobs : int or None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores, -1 all cores.
    missing : {"raise", "drop"}, default "raise"
        Rows with missing values: an error naming the columns, or left out of the fit (their
        label is -1 and their distances NaN).
    verbose : bool, default False
        Show a progress bar (runs × iterations, best inertia so far) on stderr, or a tqdm
        widget in Jupyter when tqdm is installed.

    Attributes
    ----------
    cluster_centers_ : DataFrame (n_clusters × n_features), index "segment"
    labels_ : Series named "segment" on the training rows
    inertia_ : float, sum of weighted squared distances to the closest centre
    n_iter_ : int, iterations of the best run
    n_features_in_, feature_names_in_ : as in scikit-learn

    Raises
    ------
    InvalidInputError
        From ``fit``: missing values with ``missing="raise"``, infinite values, fewer rows than
        ``n_clusters``, a parameter out of range (the error names it), or a column with values
        so large that squared distances would overflow (beyond √(max float / (4 n d)); the
        inertia would be inf): rescale it.
    InvalidTypeError
        From ``fit``: a column that is not numeric.

    See Also
    --------
    KPrototypes : numeric and categorical columns.
    KMedoids : any dissimilarity, Gower's for mixed data.
    select_k : choosing ``n_clusters``.
    stability : bootstrap stability of the segments.

    References
    ----------
    .. [1] Lloyd, S. P. (1982). Least squares quantization in PCM. IEEE Transactions on
       Information Theory, 28(2), 129-137.
    .. [2] Arthur, D. and Vassilvitskii, S. (2007). k-means++: the advantages of careful
       seeding. Proceedings of SODA 2007, 1027-1035.

    Examples
    --------
    >>> import numpy as np
    >>> import segmint as sg
    >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
    >>> km = sg.KMeans(n_clusters=3, random_state=0).fit(X)
    >>> km.labels_.value_counts().sort_index().tolist()
    [218, 76, 146]
    >>> km.cluster_centers_.round(2).iloc[:, :3]  # doctest: +NORMALIZE_WHITESPACE
             Fresh  Milk  Grocery
    segment
    0         9.00  7.41     7.63
    1         6.84  8.58     9.19
    2         9.32  8.95     9.26
    """

    labels_: pd.Series
    inertia_: float
    n_iter_: int
    _centered: np.ndarray  # centres relative to _offset (the training column means)
    _offset: np.ndarray
    _columns: list[str]

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Any = "k-means++",
        n_init: int = 10,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state: Any = None,
        n_jobs: int | None = None,
        missing: str = "raise",
        verbose: bool = False,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.missing = missing
        self.verbose = verbose

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    def _init_args(self, n_features: int) -> tuple[str, np.ndarray | None]:
        init = self.init
        if isinstance(init, str):
            if init not in _INIT_METHODS:
                raise InvalidInputError(
                    f"init: must be one of {_INIT_METHODS} or an array of centres, got {init!r}",
                    "init",
                )
            return init, None
        if callable(init):
            raise InvalidInputError("init: callables are not supported; pass centres", "init")
        centres = init.to_numpy() if isinstance(init, pd.DataFrame) else init
        try:
            centres = np.array(centres, dtype=np.float64, order="C")
        except (TypeError, ValueError) as e:
            raise InvalidInputError(f"init: not an array of numbers ({e})", "init") from e
        if centres.shape != (self.n_clusters, n_features):
            raise InvalidInputError(
                f"init: the initial centres have shape {centres.shape}, expected "
                f"({self.n_clusters}, {n_features})",
                "init",
            )
        if not np.isfinite(centres).all():
            raise InvalidInputError("init: the initial centres contain NaN or inf", "init")
        return "array", centres

    _parameter_constraints: ClassVar[dict[str, _validation.Check]] = {
        "n_clusters": _validation.Integer(1, _U32),
        "n_init": _validation.Integer(1, _U32),
        "max_iter": _validation.Integer(1, _U32),
        "tol": _validation.Interval(0.0),
        "missing": _validation.Options(_frame.MISSING_POLICIES),
        "random_state": _validation.RandomState(),
        "n_jobs": _validation.Threads(),
    }

    @_validation.unfitted_on_error
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Cluster `X` (a DataFrame or 2-D array of numbers).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric features; polars and pyarrow tables are accepted too.
        y : None
            Ignored (scikit-learn convention).
        sample_weight : array-like of shape (n_samples,), default None
            Non-negative weight of each row (e.g. a customer's revenue); None weighs rows
            equally.

        Returns
        -------
        KMeans
            The fitted estimator (``self``).

        Raises
        ------
        InvalidInputError
            Missing or infinite values, fewer rows than ``n_clusters``, negative weights.

        Examples
        --------
        >>> import numpy as np
        >>> import segmint as sg
        >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
        >>> km = sg.KMeans(n_clusters=3, random_state=0).fit(X)
        >>> round(km.inertia_, 1)
        2807.3
        """
        p = _validation.validate_params(self)
        n_clusters, n_init, max_iter = p["n_clusters"], p["n_init"], p["max_iter"]
        threads, seed = p["n_jobs"], p["random_state"]
        data = _frame.numeric_input(self, X, reset=True, missing=self.missing)
        _validation.check_squares(data.values, data.columns)
        n_samples = data.values.shape[0]
        if n_samples < n_clusters:
            raise InvalidInputError(
                f"n_clusters: n_samples={n_samples} should be >= n_clusters={n_clusters}",
                "n_clusters",
            )
        weights = _frame.sample_weight(sample_weight, data)
        init, centres = self._init_args(data.values.shape[1])
        with progress(self.verbose, "KMeans", "inertia"):
            centered, offset, labels, inertia, n_iter = _core.kmeans_fit(
                data.values,
                weights,
                n_clusters=n_clusters,
                init=init,
                init_centers=centres,
                n_init=n_init,
                max_iter=max_iter,
                tol=p["tol"],
                seed=seed,
                n_threads=threads,
            )
        self._centered, self._offset = centered, offset
        self._columns = data.columns
        self.labels_ = _frame.labels_series(labels, data)
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        distinct = int(np.count_nonzero(np.bincount(labels, minlength=n_clusters)))
        if distinct < n_clusters:
            warnings.warn(
                f"Number of distinct clusters ({distinct}) found smaller than n_clusters "
                f"({n_clusters}). Possibly due to duplicate points in X.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    @property
    def cluster_centers_(self) -> pd.DataFrame:
        """Centres, one row per segment, in the units of the features.

        Returns
        -------
        DataFrame
            Shape (n_clusters, n_features), index named "segment", the features as columns.
        """
        check_is_fitted(self)
        index = pd.RangeIndex(len(self._centered), name="segment")
        centers = self._centered + self._offset
        return pd.DataFrame(centers, index=index, columns=self._columns)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_centered")

    def _new_data(self, X: Any) -> _frame.NumericData:
        check_is_fitted(self)
        return _frame.numeric_input(self, X, reset=False, missing=self.missing)

    def predict(self, X: Any, sample_weight: Any = None) -> pd.Series:
        """Closest segment of each row (a Series on X's index).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            New rows with the features (and feature names) of the fit.
        sample_weight : None
            Ignored; accepted for scikit-learn compatibility.

        Returns
        -------
        Series
            Segment of each row, named "segment", on X's index.

        Raises
        ------
        InvalidInputError
            Feature names that differ from the fit, missing or infinite values.

        Examples
        --------
        >>> import numpy as np
        >>> import segmint as sg
        >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
        >>> km = sg.KMeans(n_clusters=3, random_state=0).fit(X)
        >>> km.predict(X.head(4)).tolist()
        [2, 2, 2, 0]
        """
        data = self._new_data(X)
        # Same centred arithmetic as the fit's final assignment: predicting the training rows
        # gives labels_ exactly, even for (near-)duplicate centres.
        labels, _ = _core.kmeans_predict(
            data.values,
            None,
            centers=self._centered,
            offset=self._offset,
            n_threads=_validation.n_threads(self.n_jobs),
        )
        return _frame.labels_series(labels, data)

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> pd.Series:
        """Fit and return the segment of each training row (``fit(X).labels_``).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric features.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default None
            Weight of each row.

        Returns
        -------
        Series
            ``labels_``: the segment of each row, named "segment", on X's index.

        Examples
        --------
        >>> import numpy as np
        >>> import segmint as sg
        >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
        >>> sg.KMeans(n_clusters=3, random_state=0).fit_predict(X).head(3).tolist()
        [2, 2, 2]
        """
        return self.fit(X, sample_weight=sample_weight).labels_

    def transform(self, X: Any) -> Any:
        """Euclidean distance of every row to every centre.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the features of the fit.

        Returns
        -------
        DataFrame or ndarray of shape (n_samples, n_clusters)
            A DataFrame on X's index (columns ``kmeans0``, ``kmeans1``, ...) when X is a data
            frame, else an array.

        Examples
        --------
        >>> import numpy as np
        >>> import segmint as sg
        >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
        >>> km = sg.KMeans(n_clusters=3, random_state=0).fit(X)
        >>> km.transform(X.head(2)).round(2)
           kmeans0  kmeans1  kmeans2
        0     4.05     3.11     2.35
        1     3.70     3.19     0.56
        """
        data = self._new_data(X)
        dist = _core.kmeans_transform(
            data.values,
            self._centered,
            offset=self._offset,
            n_threads=_validation.n_threads(self.n_jobs),
        )
        if data.is_frame:
            return _frame.frame(dist, data, self.get_feature_names_out())
        return data.expand(dist, np.nan)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the inertia of X for the fitted centres (higher is better).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the features of the fit.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default None
            Weight of each row.

        Returns
        -------
        float
            ``-Σ w·‖x − c‖²`` over the rows, c the closest centre.

        Examples
        --------
        >>> import numpy as np
        >>> import segmint as sg
        >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
        >>> km = sg.KMeans(n_clusters=3, random_state=0).fit(X)
        >>> bool(np.isclose(km.score(X), -km.inertia_))
        True
        """
        data = self._new_data(X)
        weights = _frame.sample_weight(sample_weight, data)
        _, inertia = _core.kmeans_predict(
            data.values,
            weights,
            centers=self._centered,
            offset=self._offset,
            n_threads=_validation.n_threads(self.n_jobs),
        )
        return -float(inertia)

    @property
    def _n_features_out(self) -> int:
        return len(self._centered)


_PROTO_INITS = ("huang", "random", "k-means++")


class KPrototypes(ClusterMixin, BaseEstimator):
    """k-prototypes (Huang): clustering B2B tables of numbers *and* categories.

    Dissimilarity of a row to a prototype: squared Euclidean distance on the numeric columns
    plus ``gamma`` × the number of categorical columns that differ from the prototype's mode.

    Parameters
    ----------
    n_clusters : int, default 8
        Number of segments.
    categorical : list of column names or positions, optional
        Default: every ``category``, text and bool column; the others must be numeric.
    gamma : float, optional
        Weight of one categorical mismatch; default 0.5 × mean standard deviation of the numeric
        columns (as the ``kmodes`` package).
    init : {"huang", "random", "k-means++"} or (numeric centres, modes)
        Huang's frequency-based modes with numeric centres drawn around the mean (the kmodes
        default), random rows, D²-weighted seeding under the mixed dissimilarity, or explicit
        prototypes: an array (n_clusters × numeric columns) and an array of category labels
        (n_clusters × categorical columns), in column order. Explicit prototypes run once.
    update : {"online", "batch"}, default "online"
        "online" is Huang's algorithm as in ``kmodes`` (a prototype moves as soon as a row
        changes cluster; same labels and cost as ``kmodes.KPrototypes`` from the same start;
        the ``n_init`` runs execute in parallel). "batch" recomputes all prototypes after each
        full pass, parallel over rows: the choice for millions of rows.
    n_init, max_iter, random_state, n_jobs, missing, verbose
        As in :class:`KMeans` (defaults 10, 100, None, None, "raise", False; the bar shows the
        lowest cost so far). Unseen categories at ``predict`` match no mode (they count as a
        mismatch against every prototype) and never raise.

    Attributes
    ----------
    labels_ : Series named "segment"
    cluster_centers_ : DataFrame, numeric means and categorical modes (as labels)
    cost_ : float, Σ dissimilarity of each row to its prototype
    gamma_ : float, the gamma used
    n_iter_ : int

    Raises
    ------
    InvalidInputError
        From ``fit``: missing values with ``missing="raise"``, no categorical or no numeric
        column, fewer rows than ``n_clusters``.

    See Also
    --------
    KMeans : numeric data only.
    KMedoids : Gower distances, also for ordinal columns and missing values.

    Notes
    -----
    Unseen categories at ``predict`` match no mode (they count as a mismatch against every
    prototype) and never raise.

    References
    ----------
    .. [1] Huang, Z. (1998). Extensions to the k-means algorithm for clustering large data
       sets with categorical values. Data Mining and Knowledge Discovery, 2(3), 283-304.

    Examples
    --------
    >>> import segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> kp = sg.KPrototypes(3, random_state=0).fit(customers)
    >>> kp.labels_.value_counts().sort_index().tolist()
    [329, 51, 60]
    >>> kp.cluster_centers_.iloc[:, :3].round(0)  # doctest: +NORMALIZE_WHITESPACE
            Channel Region    Fresh
    segment
    0        Horeca  Other   8250.0
    1        Retail  Other   8027.0
    2        Horeca  Other  35941.0
    """

    labels_: pd.Series
    cost_: float
    gamma_: float
    n_iter_: int

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        categorical: Any = None,
        gamma: float | None = None,
        init: Any = "huang",
        update: str = "online",
        n_init: int = 10,
        max_iter: int = 100,
        random_state: Any = None,
        n_jobs: int | None = None,
        missing: str = "raise",
        verbose: bool = False,
    ) -> None:
        self.verbose = verbose
        self.n_clusters = n_clusters
        self.categorical = categorical
        self.gamma = gamma
        self.init = init
        self.update = update
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.missing = missing

    def _init_args(self, data: _frame.ClusterData) -> tuple[str, Any, Any]:
        init = self.init
        if isinstance(init, str):
            if init not in _PROTO_INITS:
                raise InvalidInputError(
                    f"init: must be one of {_PROTO_INITS} or (centres, modes), got {init!r}",
                    "init",
                )
            return init, None, None
        try:
            centres, modes = init
        except (TypeError, ValueError) as e:
            raise InvalidInputError(
                "init: pass a method name or a pair (numeric centres, modes)", "init"
            ) from e
        k = self.n_clusters
        p, q = data.numeric.shape[1], data.codes.shape[1]
        centres = np.array(centres, dtype=np.float64, order="C")
        if p == 0 and centres.size == 0:
            centres = centres.reshape(k, 0)
        labels = np.asarray(modes, dtype=object)
        if q == 1 and labels.ndim == 1 and labels.size == k:
            labels = labels.reshape(k, 1)
        if centres.shape != (k, p) or labels.shape != (k, q):
            raise InvalidInputError(
                f"init: expected numeric centres of shape ({k}, {p}) and modes of shape "
                f"({k}, {q}), got {centres.shape} and {labels.shape}",
                "init",
            )
        codes = np.empty((k, q), dtype=np.uint32)
        for a, column in enumerate(data.categorical_columns):
            levels = pd.Index(data.encoding.labels[data.encoding.categorical[a]] or [])
            found = levels.get_indexer(labels[:, a])
            if (found < 0).any():
                bad = labels[:, a][found < 0][0]
                raise InvalidInputError(
                    f"init: mode {bad!r} is not a category of column {column!r}", "init"
                )
            codes[:, a] = found
        return "given", centres, codes

    _parameter_constraints: ClassVar[dict[str, _validation.Check]] = {
        "n_clusters": _validation.Integer(1, _U32),
        "gamma": _validation.Interval(0.0, optional=True),
        "update": _validation.Options(("online", "batch")),
        "n_init": _validation.Integer(1, _U32),
        "max_iter": _validation.Integer(1, _U32),
        "missing": _validation.Options(_frame.MISSING_POLICIES),
        "random_state": _validation.RandomState(),
        "n_jobs": _validation.Threads(),
    }

    @_validation.unfitted_on_error
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KPrototypes:
        """Cluster the rows of `X` (a DataFrame with numeric and categorical columns).

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            Numeric and categorical columns (see ``categorical``).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default None
            Weight of each row.

        Returns
        -------
        KPrototypes
            The fitted estimator (``self``).

        Examples
        --------
        >>> import segmint as sg
        >>> kp = sg.KPrototypes(3, random_state=0).fit(sg.datasets.load_wholesale())
        >>> round(kp.gamma_, 1)
        3493.8
        """
        p = _validation.validate_params(self)
        n_clusters, n_init, max_iter, gamma = (
            p["n_clusters"],
            p["n_init"],
            p["max_iter"],
            p["gamma"],
        )
        data = _frame.cluster_table(X, categorical=self.categorical, missing=self.missing)
        _validation.check_squares(
            data.numeric, [data.encoding.columns[j] for j in data.encoding.continuous]
        )
        n = len(data.numeric)
        if n < n_clusters:
            raise InvalidInputError(
                f"n_clusters: n_samples={n} should be >= n_clusters={n_clusters}", "n_clusters"
            )
        weights = _frame.sample_weight(sample_weight, data)
        init, centres, modes = self._init_args(data)
        with progress(self.verbose, "KPrototypes", "cost"):
            numeric, codes, labels, cost, n_iter, gamma_used = _core.kprototypes_fit(
                data.numeric,
                data.codes,
                n_levels=[int(v) for v in data.n_levels],
                sample_weight=weights,
                n_clusters=n_clusters,
                gamma=gamma,
                init=init,
                init_numeric=centres,
                init_modes=modes,
                update=p["update"],
                n_init=n_init,
                max_iter=max_iter,
                seed=p["random_state"],
                n_threads=p["n_jobs"],
            )
        self._numeric, self._modes, self._encoding = numeric, codes, data.encoding
        self._n_levels = [int(v) for v in data.n_levels]
        self.labels_ = _frame.labels_series(labels, data)
        self.cost_, self.n_iter_, self.gamma_ = float(cost), int(n_iter), float(gamma_used)
        _frame.check_features(self, X, reset=True)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_numeric")

    @property
    def cluster_centers_(self) -> pd.DataFrame:
        """Prototypes: numeric means and categorical modes (labels), in the caller's column
        order, one row per segment.

        Returns
        -------
        DataFrame
            Shape (n_clusters, n_features), index named "segment".
        """
        check_is_fitted(self)
        enc = self._encoding
        columns: dict[str, Any] = {}
        num_pos = {j: k for k, j in enumerate(enc.continuous)}
        cat_pos = {j: k for k, j in enumerate(enc.categorical)}
        for j, name in enumerate(enc.columns):
            if j in num_pos:
                columns[name] = self._numeric[:, num_pos[j]]
            else:
                labels = list(enc.labels[j] or [])
                columns[name] = [labels[c] for c in self._modes[:, cat_pos[j]]]
        index = pd.RangeIndex(len(self._numeric), name="segment")
        return pd.DataFrame(columns, index=index)

    def predict(self, X: Any) -> pd.Series:
        """Nearest prototype of each row (a Series on X's index).

        Parameters
        ----------
        X : DataFrame
            Rows with the columns of the fit.

        Returns
        -------
        Series
            Segment of each row, named "segment", on X's index.

        Examples
        --------
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> kp = sg.KPrototypes(3, random_state=0).fit(customers)
        >>> kp.predict(customers.head(4)).tolist()
        [0, 0, 0, 0]
        """
        check_is_fitted(self)
        _frame.check_features(self, X, reset=False, by_name=True)
        data = _frame.cluster_table(X, encoding=self._encoding, missing=self.missing)
        labels, _ = _core.kprototypes_predict(
            data.numeric,
            data.codes,
            n_levels=self._n_levels,
            numeric=self._numeric,
            modes=self._modes,
            gamma=self.gamma_,
            n_threads=_validation.n_threads(self.n_jobs),
        )
        return _frame.labels_series(labels, data)

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> pd.Series:
        """Fit and return the segment of each training row (``fit(X).labels_``).

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            Numeric and categorical columns.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default None
            Weight of each row.

        Returns
        -------
        Series
            ``labels_``.

        Examples
        --------
        >>> import segmint as sg
        >>> kp = sg.KPrototypes(3, random_state=0)
        >>> kp.fit_predict(sg.datasets.load_wholesale()).head(3).tolist()
        [0, 0, 0]
        """
        return self.fit(X, sample_weight=sample_weight).labels_


# ---------------------------------------------------------------------------------------------
# Gower distances and k-medoids


#: With method="auto", data with more rows than this (or whose n × n matrix exceeds
#: ``max_memory``) are clustered by CLARA instead of FasterPAM on the full matrix.
AUTO_CLARA_ROWS = 10_000

#: Rows of a precomputed matrix checked at a time (bounded temporaries, never n × n).
_CHECK_CELLS = 2**20


def _clara_sample_size(n_clusters: int, n: int) -> int:
    """100 + 25k rows: larger than R's 40 + 2k and FasterCLARA's 80 + 4k (Schubert &
    Rousseeuw), whose losses were 2.9-4.7 % above full FasterPAM on benchmarks/clara.py's
    20,000 mixed rows with k = 8; 10 samples of 300 rows were within 1.2 % (3 seeds)."""
    return min(n, 100 + 25 * n_clusters)


def _check_precomputed(d: np.ndarray) -> None:
    """A dissimilarity matrix: finite, non-negative, symmetric (to a relative 1e-8) with a zero
    diagonal (to 1e-10 of its row's largest value); checked in row blocks, never n × n."""
    n = len(d)
    block = max(1, _CHECK_CELLS // max(n, 1))
    for start in range(0, n, block):
        rows = np.asarray(d[start : start + block], dtype=np.float64)
        bad = ~np.isfinite(rows) | (rows < 0)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise InvalidInputError(
                f"X: dissimilarity ({start + i}, {j}) is negative, NaN or infinite", "X"
            )
        mirror = np.asarray(d[:, start : start + block], dtype=np.float64).T
        gap = np.abs(rows - mirror) > 1e-8 * np.maximum(rows, mirror)
        if gap.any():
            i, j = np.argwhere(gap)[0]
            raise InvalidInputError(
                f"X: a dissimilarity matrix must be symmetric, but entry ({start + i}, {j}) = "
                f"{rows[i, j]!r} and entry ({j}, {start + i}) = {mirror[i, j]!r}",
                "X",
            )
        r = np.arange(len(rows))
        diag = rows[r, start + r]
        off = diag > 1e-10 * rows.max(axis=1)
        if off.any():
            i = int(np.argmax(off))
            raise InvalidInputError(
                f"X: a dissimilarity matrix must have a zero diagonal, but entry "
                f"({start + i}, {start + i}) = {diag[i]!r}",
                "X",
            )


def _check_defined(d: Any) -> None:
    """Rejects a Gower matrix with undefined pairs (no variable in common), in row blocks."""
    n = len(d)
    block = max(1, _CHECK_CELLS // max(n, 1))
    for start in range(0, n, block):
        if np.isnan(d[start : start + block]).any():
            raise InvalidInputError(
                "X: some pairs of rows share no non-missing column, so their Gower "
                "distance is undefined; drop rows that are (almost) all missing",
                "X",
            )


class KMedoids(ClusterMixin, BaseEstimator):
    """k-medoids (FasterPAM, or CLARA for large data) on Gower, Euclidean or precomputed
    distances.

    Each segment is represented by a real customer (its medoid), which makes segments easy to
    explain and works with any dissimilarity — Gower's handles mixed numeric, ordinal and
    categorical B2B data with missing values.

    ``method="fasterpam"`` builds the full n × n distance matrix (parallel, float64 or float32;
    ``max_memory`` bounds it and the error says how much would be needed) and runs FasterPAM
    (Schubert & Rousseeuw 2021) on it. ``method="clara"`` never builds it: as R's
    ``cluster::clara`` (Kaufman & Rousseeuw 1990) it draws ``n_samples`` seeded samples of
    ``sample_size`` rows, runs FasterPAM on each sample's small matrix, assigns every row to its
    nearest medoid with distances computed on the fly, and keeps the medoids with the lowest
    total distance over all rows; every sample after the first contains the best medoids so
    far, and a sample in which two rows share no variable (Gower with missing values) is
    skipped, as in R. Memory is O(n · features + sample_size²), and the result depends on
    ``random_state`` only, never on the number of threads. ``method="auto"`` (the default)
    uses FasterPAM up to ``AUTO_CLARA_ROWS`` = 10,000 rows when the n × n matrix fits in
    ``max_memory``, CLARA otherwise.

    Parameters
    ----------
    n_clusters : int, default 8
        Number of segments.
    metric : {"gower", "euclidean", "precomputed"}, default "gower"
        Gower (see :func:`gower_distances`), Euclidean on numeric columns, or ``X`` is a square
        dissimilarity matrix (finite, non-negative, symmetric, zero diagonal; FasterPAM only).
    method : {"auto", "fasterpam", "clara"}, default "auto"
        See above.
    init : {"build", "random"} or array of row positions, default "build"
        PAM's BUILD (greedy, deterministic), random rows (best of ``n_init``), or given medoids
        (FasterPAM only). With CLARA, the start of FasterPAM on each sample.
    n_init : int, default 1
        Random starts with ``init="random"``.
    max_iter : int, default 100
        Passes of FasterPAM over the candidates.
    n_samples : int, default 10
        CLARA: samples drawn (R's ``samples``, whose default of 5 R itself calls too small).
    sample_size : int or None, default None
        CLARA: rows per sample, at least ``n_clusters``; None = min(n, 100 + 25 · n_clusters).
        R's ``sampsize`` of 40 + 2k and FasterCLARA's 80 + 4k (Schubert & Rousseeuw) left the
        loss 2.9-4.7 % above full FasterPAM on 20,000 mixed rows with k = 8
        (benchmarks/clara.py), 10 samples of 300 rows within 1.2 %; FasterPAM on a sample is
        cheap, the pass over all rows per sample is the cost. All rows: one sample, which is
        FasterPAM on the full matrix.
    categorical, weights :
        For Gower: columns compared by simple matching whatever their dtype, and per-column
        weights (see :func:`gower_distances`).
    dtype : {"float64", "float32"}, default "float64"
        Element type of the full matrix (FasterPAM).
    max_memory : int or str, default "4GiB"
        Largest distance matrix allowed (the n × n matrix, or CLARA's sample matrix).
    random_state : int, RandomState or None
        Seed of the random starts and of CLARA's samples.
    n_jobs : int or None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores, -1 all cores.

    Attributes
    ----------
    labels_ : Series named "segment" on the training rows
    medoid_indices_ : ndarray of row positions of the medoids
    medoids_ : Index, the medoids' labels in the training index
    cluster_centers_ : DataFrame, the medoid rows
    inertia_ : float, Σ distance of each row to its medoid
    n_iter_ : int, FasterPAM passes (on the best sample with CLARA)
    method_ : str, "fasterpam" or "clara", the method used
    samples_ : ndarray (samples × sample_size), CLARA only: the row positions of each sample
    sample_inertia_ : ndarray, CLARA only: the total distance over all rows of each sample's
        medoids (NaN for a skipped sample)
    best_sample_ : int, CLARA only: the sample whose medoids were kept

    Raises
    ------
    InvalidInputError
        Bad parameters, a matrix above ``max_memory``, undefined Gower distances, or a
        precomputed matrix that is not a dissimilarity matrix.
    MemoryError
        A distance matrix larger than the machine's memory (before anything is allocated).

    See Also
    --------
    gower_distances : the Gower matrix itself.
    KPrototypes : centroid-style clustering of mixed data, linear in the rows.

    References
    ----------
    Kaufman, L. & Rousseeuw, P. J. (1990). Finding Groups in Data, ch. 2 (PAM) and 3 (CLARA).
    Schubert, E. & Rousseeuw, P. J. (2021). Fast and eager k-medoids clustering: O(k) runtime
    improvement of the PAM, CLARA, and CLARANS algorithms. Information Systems 101.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from segmint import KMedoids
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({
    ...     "revenue": np.r_[rng.normal(10, 1, 300), rng.normal(50, 1, 300)],
    ...     "sector": pd.Categorical(["retail"] * 300 + ["industry"] * 300),
    ... })
    >>> km = KMedoids(2, method="clara", random_state=0).fit(X)
    >>> km.method_, km.samples_.shape
    ('clara', (10, 150))
    >>> km.labels_.groupby(X["sector"], observed=True).nunique().tolist()
    [1, 1]
    """

    labels_: pd.Series
    inertia_: float
    n_iter_: int
    medoid_indices_: np.ndarray
    method_: str
    _train: Any  # the training data in Rust's terms (None with metric="precomputed")

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        metric: str = "gower",
        method: str = "auto",
        init: Any = "build",
        n_init: int = 1,
        max_iter: int = 100,
        n_samples: int = 10,
        sample_size: int | None = None,
        categorical: Any = None,
        weights: Any = None,
        dtype: str = "float64",
        max_memory: Any = "4GiB",
        random_state: Any = None,
        n_jobs: int | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.metric = metric
        self.method = method
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.n_samples = n_samples
        self.sample_size = sample_size
        self.categorical = categorical
        self.weights = weights
        self.dtype = dtype
        self.max_memory = max_memory
        self.random_state = random_state
        self.n_jobs = n_jobs

    _parameter_constraints: ClassVar[dict[str, _validation.Check]] = {
        "n_clusters": _validation.Integer(1, _U32),
        "metric": _validation.Options(("gower", "euclidean", "precomputed")),
        "method": _validation.Options(("auto", "fasterpam", "clara")),
        "n_init": _validation.Integer(1, _U32),
        "max_iter": _validation.Integer(1, _U32),
        "n_samples": _validation.Integer(1, _U32),
        "sample_size": _validation.Integer(1, 2**62, optional=True),
        "dtype": _validation.Options(("float64", "float32")),
        "random_state": _validation.RandomState(),
        "n_jobs": _validation.Threads(),
    }

    def _data(self, X: Any) -> tuple[Any, pd.Index]:
        """The training data in Rust's terms (a square matrix when precomputed)."""
        if self.metric == "precomputed":
            frame = isinstance(X, pd.DataFrame)
            d = np.asarray(X.to_numpy() if frame else X)
            if d.ndim != 2 or d.shape[0] != d.shape[1]:
                raise InvalidInputError(
                    f"X: metric='precomputed' needs a square distance matrix, got {d.shape}", "X"
                )
            if d.dtype.kind not in "fiub":
                raise InvalidInputError(f"X: a distance matrix of numbers, got {d.dtype}", "X")
            _check_precomputed(d)
            dtype = np.float32 if self.dtype == "float32" else np.float64
            index = X.index if frame else pd.RangeIndex(len(d))
            return np.ascontiguousarray(d, dtype=dtype), index
        if self.metric == "euclidean":
            data = _frame.numeric(X)
            return data, data.index
        # metric == "gower" (the constraints table admits nothing else)
        g = _frame.gower_table(X, categorical=self.categorical)
        self._ranges, self._weights = gower_ranges(g.numeric), gower_weights(self.weights, g)
        return g, g.index

    def _use_clara(self, method: str, n: int) -> bool:
        if method == "auto":
            itemsize = 4 if self.dtype == "float32" else 8
            fits = n * n * itemsize <= parse_bytes(self.max_memory)
            return n > AUTO_CLARA_ROWS or not fits
        return method == "clara"

    def _given_medoids(self, n: int, n_clusters: int) -> tuple[str, list[int] | None]:
        init = self.init
        if isinstance(init, str):
            if init not in ("build", "random"):
                raise InvalidInputError(
                    f"init: must be 'build', 'random' or medoid row positions, got {init!r}",
                    "init",
                )
            return init, None
        given = np.asarray(init).ravel()
        if given.dtype.kind not in "iu" or given.size != n_clusters:
            raise InvalidInputError(
                f"init: expected {n_clusters} integer row positions, got {init!r}", "init"
            )
        if (given < 0).any() or (given >= n).any() or len(set(given.tolist())) != given.size:
            raise InvalidInputError(
                f"init: row positions must be distinct and in 0..{n - 1}", "init"
            )
        return "given", [int(i) for i in given]

    def _fit_matrix(
        self, data: Any, p: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray, float, int]:
        n = len(data) if self.metric == "precomputed" else len(data.index)
        init, medoids = self._given_medoids(n, p["n_clusters"])
        threads = p["n_jobs"]
        if self.metric == "precomputed":
            d = data
        elif self.metric == "euclidean":
            check_memory(n, n, self.dtype, self.max_memory)
            d = _core.euclidean_matrix(
                data.values, data.values, float32=self.dtype == "float32", n_threads=threads
            )
        else:
            check_memory(n, n, self.dtype, self.max_memory)
            d = gower_block(data, data, self._ranges, self._weights, self.dtype, self.n_jobs)
            _check_defined(d)
        medoid_rows, labels, cost, n_iter, _ = _core.kmedoids_fit(
            d,
            n_clusters=p["n_clusters"],
            init=init,
            medoids=medoids,
            n_init=p["n_init"],
            max_iter=p["max_iter"],
            seed=p["random_state"],
            n_threads=threads,
        )
        return np.asarray(medoid_rows, dtype=np.int64), labels, float(cost), int(n_iter)

    def _fit_clara(
        self, data: Any, p: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray, float, int]:
        if self.metric == "precomputed":
            raise InvalidInputError(
                "method: 'clara' computes distances from the data; with metric='precomputed' "
                "use method='fasterpam'",
                "method",
            )
        n, k = len(data.index), p["n_clusters"]
        if not isinstance(self.init, str):
            raise InvalidInputError(
                "init: CLARA starts each sample from 'build' or 'random', not given medoids",
                "init",
            )
        init, _ = self._given_medoids(n, k)
        m = p["sample_size"] if p["sample_size"] is not None else _clara_sample_size(k, n)
        if not k <= m <= n:
            raise InvalidInputError(
                f"sample_size: must be between n_clusters={k} and the number of rows {n}, got {m}",
                "sample_size",
            )
        check_memory(
            m,
            m,
            "float64",
            self.max_memory,
            "reduce sample_size (the sample's matrix) or raise max_memory",
        )
        common = {
            "n_clusters": k,
            "n_samples": p["n_samples"],
            "sample_size": m,
            "init": init,
            "n_init": p["n_init"],
            "max_iter": p["max_iter"],
            "seed": p["random_state"],
            "n_threads": p["n_jobs"],
        }
        if self.metric == "euclidean":
            fit = _core.clara_euclidean(data.values, **common)
        else:
            fit = _core.clara_gower(
                data.numeric, data.codes, **self._ranges.args(), weights=self._weights, **common
            )
        self.samples_ = fit.samples
        self.sample_inertia_ = fit.sample_costs
        self.best_sample_ = int(fit.best_sample)
        return fit.medoids, fit.labels, float(fit.cost), int(fit.n_iter)

    @_validation.unfitted_on_error
    def fit(self, X: Any, y: Any = None) -> KMedoids:
        """Cluster the rows of `X` (or, with metric='precomputed', the square matrix `X`).

        Parameters
        ----------
        X : DataFrame or array-like
            The rows to cluster (numeric and categorical columns with ``metric="gower"``,
            numbers with "euclidean"), or an n × n distance matrix with "precomputed".
        y : None
            Ignored.

        Returns
        -------
        KMedoids
            The fitted estimator (``self``).

        Examples
        --------
        >>> import segmint as sg
        >>> km = sg.KMedoids(3).fit(sg.datasets.load_wholesale())
        >>> round(km.inertia_, 2)
        22.93
        """
        p = _validation.validate_params(self)
        n_clusters = p["n_clusters"]
        _frame.check_features(self, X, reset=True)
        if p["method"] == "clara" and self.metric == "precomputed":
            self._fit_clara(None, p)  # raises: CLARA needs the data
        data, index = self._data(X)
        n = len(index)
        if n < n_clusters:
            raise InvalidInputError(
                f"n_clusters: n_samples={n} should be >= n_clusters={n_clusters}",
                "n_clusters",
            )
        for name in ("samples_", "sample_inertia_", "best_sample_"):
            self.__dict__.pop(name, None)
        if self.metric != "precomputed" and self._use_clara(p["method"], n):
            self.method_ = "clara"
            medoids, labels, cost, n_iter = self._fit_clara(data, p)
        else:
            self.method_ = "fasterpam"
            medoids, labels, cost, n_iter = self._fit_matrix(data, p)
        self.medoid_indices_ = np.asarray(medoids, dtype=np.int64)
        self.medoids_ = index[self.medoid_indices_]
        self.labels_ = pd.Series(labels, index=index, name="segment")
        self.inertia_, self.n_iter_ = cost, n_iter
        self._train = None if self.metric == "precomputed" else data
        self._n_train = n
        frame = _frame.to_pandas(X)
        if frame is not None:
            centers = frame.iloc[self.medoid_indices_].copy()
        else:
            centers = pd.DataFrame(np.asarray(X)[self.medoid_indices_])
        self._centers = centers.set_axis(pd.RangeIndex(n_clusters, name="segment"), axis=0)
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "medoid_indices_")

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        # Gower distances skip missing values pair by pair.
        tags.input_tags.allow_nan = self.metric == "gower"
        return tags

    @property
    def cluster_centers_(self) -> pd.DataFrame:
        """The medoids: real rows of the training data, one per segment.

        Returns
        -------
        DataFrame
            The medoid rows, index named "segment".
        """
        check_is_fitted(self)
        return self._centers.copy()

    def _precomputed_rows(self, X: Any) -> tuple[np.ndarray, pd.Index]:
        d = np.asarray(X.to_numpy() if isinstance(X, pd.DataFrame) else X)
        if d.ndim != 2 or d.shape[1] != self._n_train:
            raise InvalidInputError(
                f"X: with metric='precomputed', predict needs the distances of the new rows to "
                f"the {self._n_train} training rows, an array of shape (n, {self._n_train}); "
                f"got {d.shape}",
                "X",
            )
        if d.dtype.kind not in "fiub":
            raise InvalidInputError(f"X: a distance matrix of numbers, got {d.dtype}", "X")
        d = np.asarray(d[:, self.medoid_indices_], dtype=np.float64)
        if not np.isfinite(d).all() or (d < 0).any():
            raise InvalidInputError("X: distances must be finite and non-negative", "X")
        index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(d))
        return d, index

    def predict(self, X: Any) -> pd.Series:
        """Nearest medoid of each row.

        Parameters
        ----------
        X : DataFrame or array-like
            New rows with the columns of the fit; with ``metric="precomputed"``, the distances
            of the new rows to the training rows (n_new × n_train).

        Returns
        -------
        Series
            Segment of each row, named "segment", on X's index.

        Examples
        --------
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> km = sg.KMedoids(3).fit(customers)
        >>> km.predict(customers.head(4)).tolist()
        [1, 1, 1, 0]
        """
        check_is_fitted(self)
        if self.metric != "precomputed":
            _frame.check_features(self, X, reset=False, by_name=self.metric == "gower")
        d: Any
        if self.metric == "precomputed":
            d, index = self._precomputed_rows(X)
        elif self.metric == "euclidean":
            data = _frame.numeric(X)
            medoids = self._train.values[self.medoid_indices_]
            d = _core.euclidean_matrix(
                data.values,
                np.ascontiguousarray(medoids),
                float32=False,
                n_threads=_validation.n_threads(self.n_jobs),
            )
            index = data.index
        else:
            g = _frame.gower_table(X, encoding=self._train.encoding)
            t = self._train
            m = _frame.GowerData(
                numeric=np.ascontiguousarray(t.numeric[self.medoid_indices_]),
                codes=np.ascontiguousarray(t.codes[self.medoid_indices_]),
                numeric_columns=t.numeric_columns,
                nominal_columns=t.nominal_columns,
                encoding=t.encoding,
                index=t.index[self.medoid_indices_],
                is_frame=t.is_frame,
            )
            d = gower_block(g, m, self._ranges, self._weights, "float64", self.n_jobs)
            index = g.index
        d = np.where(np.isnan(d), np.inf, d)
        return pd.Series(np.argmin(d, axis=1).astype(np.int64), index=index, name="segment")

    def fit_predict(self, X: Any, y: Any = None) -> pd.Series:
        """Fit and return the segment of each training row (``fit(X).labels_``).

        Parameters
        ----------
        X : DataFrame or array-like
            As in :meth:`fit`.
        y : None
            Ignored.

        Returns
        -------
        Series
            ``labels_``.

        Examples
        --------
        >>> import segmint as sg
        >>> sg.KMedoids(3).fit_predict(sg.datasets.load_wholesale()).head(3).tolist()
        [1, 1, 1]
        """
        return self.fit(X).labels_


class Ward(ClusterMixin, BaseEstimator):
    """Ward hierarchical clustering (nearest-neighbour chain, O(n·d) memory).

    ``linkage_matrix_`` is in SciPy's format, so ``scipy.cluster.hierarchy.dendrogram`` draws
    it; heights are SciPy's "ward" heights. ``labels_`` cuts the tree into ``n_clusters``
    segments, or — with ``distance_threshold`` — where merges happen at a height of at least
    the threshold (scikit-learn's rule). Labels are numbered in order of first appearance.

    Parameters
    ----------
    n_clusters : int or None, default 2
        Segments to cut the tree into; None when ``distance_threshold`` is given.
    distance_threshold : float or None, default None
        Cut where merges happen at a height of at least this; exactly one of the two is given.
    n_jobs : int or None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores.
    verbose : bool, default False
        Show a progress bar of the merges and the last merge height.

    Attributes
    ----------
    labels_ : Series
        Segment of each training row, named "segment".
    linkage_matrix_ : ndarray of shape (n_samples - 1, 4)
        The merges in SciPy's linkage format.
    n_clusters_ : int
        Number of segments of the cut.

    Raises
    ------
    InvalidInputError
        From ``fit``: both or neither of ``n_clusters`` and ``distance_threshold``, fewer than
        two rows, missing values.

    See Also
    --------
    KMeans : the usual next step, started from Ward's centres.

    References
    ----------
    .. [1] Ward, J. H. (1963). Hierarchical grouping to optimize an objective function.
       Journal of the American Statistical Association, 58(301), 236-244.
    .. [2] Müllner, D. (2011). Modern hierarchical, agglomerative clustering algorithms.
       arXiv:1109.2378.

    Examples
    --------
    >>> import numpy as np
    >>> import segmint as sg
    >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
    >>> ward = sg.Ward(n_clusters=3).fit(X)
    >>> ward.labels_.value_counts().sort_index().tolist()
    [137, 208, 95]
    >>> ward.linkage_matrix_.shape
    (439, 4)
    """

    labels_: pd.Series
    linkage_matrix_: np.ndarray
    n_clusters_: int

    def __init__(
        self,
        n_clusters: int | None = 2,
        *,
        distance_threshold: float | None = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.n_clusters = n_clusters
        self.distance_threshold = distance_threshold
        self.n_jobs = n_jobs
        self.verbose = verbose

    _parameter_constraints: ClassVar[dict[str, _validation.Check]] = {
        "n_clusters": _validation.Integer(1, _U32, optional=True),
        "distance_threshold": _validation.Interval(0.0, optional=True),
        "n_jobs": _validation.Threads(),
    }

    @_validation.unfitted_on_error
    def fit(self, X: Any, y: Any = None) -> Ward:
        """Build the Ward tree of the rows of `X` and cut it.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric features.
        y : None
            Ignored.

        Returns
        -------
        Ward
            The fitted estimator (``self``).

        Examples
        --------
        >>> import numpy as np
        >>> import segmint as sg
        >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
        >>> round(float(sg.Ward(n_clusters=3).fit(X).linkage_matrix_[-1, 2]), 2)
        51.18
        """
        p = _validation.validate_params(self)
        if (self.n_clusters is None) == (self.distance_threshold is None):
            raise InvalidInputError(
                "n_clusters: give exactly one of n_clusters and distance_threshold",
                "n_clusters",
            )
        data = _frame.numeric_input(self, X, reset=True)
        n = len(data.values)
        if n < 2:
            raise InvalidInputError(f"X: Ward needs at least 2 rows, got n_samples={n}", "X")
        with progress(self.verbose, "Ward", "height"):
            z = _core.ward_linkage(data.values, n_threads=p["n_jobs"])
        if p["distance_threshold"] is not None:
            k = n - int(np.count_nonzero(z[:, 2] < p["distance_threshold"]))
        else:
            k = p["n_clusters"]
            if k > n:
                raise InvalidInputError(
                    f"n_clusters: n_samples={n} should be >= n_clusters={k}", "n_clusters"
                )
        labels = _core.ward_cut(z, n=n, k=k)
        self.linkage_matrix_, self.n_clusters_ = z, k
        self.labels_ = _frame.labels_series(labels, data)
        return self

    def fit_predict(self, X: Any, y: Any = None) -> pd.Series:
        """Fit and return the segment of each training row (``fit(X).labels_``).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Numeric features.
        y : None
            Ignored.

        Returns
        -------
        Series
            ``labels_``.

        Examples
        --------
        >>> import numpy as np
        >>> import segmint as sg
        >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
        >>> sg.Ward(n_clusters=3).fit_predict(X).head(3).tolist()
        [0, 0, 0]
        """
        return self.fit(X).labels_

    def dendrogram(self, ax: Any = None, *, p: int = 30, **kwargs: Any) -> Any:
        """Draw the merge tree, cut into the fitted segments (needs matplotlib).

        The cut height is a dashed line and the branches below it are coloured per segment;
        with more than ``p`` customers the tree shows its last ``p`` merges (SciPy's
        ``truncate_mode="lastp"``; leaf labels give the customers in parentheses).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw here (a new figure when None).
        p : int, default 30
            Leaves shown for a large tree.
        **kwargs
            Passed to ``scipy.cluster.hierarchy.dendrogram``.

        Returns
        -------
        DendrogramDisplay
            With ``figure_``, ``ax_`` and ``dendrogram_`` (SciPy's output).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        ImportError
            matplotlib is not installed.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import numpy as np, segmint as sg
        >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
        >>> shown = sg.Ward(n_clusters=4).fit(X).dendrogram(p=20)
        >>> len(shown.dendrogram_["leaves"])
        20
        """
        check_is_fitted(self, "linkage_matrix_")
        from .plot import DendrogramDisplay

        return DendrogramDisplay(self.linkage_matrix_, self.n_clusters_).plot(ax=ax, p=p, **kwargs)
