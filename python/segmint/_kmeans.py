"""k-means (Lloyd, k-means++), scikit-learn compatible, pandas in and out."""

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
        """Cluster `X` (a DataFrame or 2-D array of numbers; a Dask DataFrame or Array fits
        on the cluster, bit-identical to the in-memory fit, see :mod:`segmint.distributed`).

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
        if _frame.is_dask(X):
            from . import distributed

            return distributed.fit_kmeans(self, X, sample_weight)
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
        """Closest segment of each row (a Series on X's index; lazy for a Dask collection).

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
        if _frame.is_dask(X):
            from . import distributed

            return distributed.predict(self, X)
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
        if _frame.is_dask(X):
            from . import distributed

            return distributed.transform(self, X)
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
