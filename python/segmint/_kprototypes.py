"""k-prototypes: k-means for numeric and categorical columns (Huang 1998)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import (
    BaseEstimator,
    ClusterMixin,
)
from sklearn.utils.validation import check_is_fitted

from . import _core, _frame, _validation
from ._kmeans import _U32
from ._progress import progress
from .errors import InvalidInputError

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
        full pass, parallel over rows: the choice for millions of rows. A Dask DataFrame
        (``update="batch"`` only) runs each pass on the partitions and merges them exactly:
        the same model as in memory from the same start (see
        :func:`segmint.distributed.fit_kprototypes`); ``labels_`` and ``predict`` are lazy.
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
        if _frame.is_dask(X):
            from . import distributed

            return distributed.fit_kprototypes(self, X, sample_weight)
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
        if _frame.is_dask(X):
            from . import distributed

            return distributed.predict(self, X)
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
