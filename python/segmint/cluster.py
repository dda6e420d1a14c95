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
from .errors import InvalidInputError
from .gower import check_memory, gower_block, gower_ranges, gower_weights

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

    Attributes
    ----------
    cluster_centers_ : DataFrame (n_clusters × n_features), index "segment"
    labels_ : Series named "segment" on the training rows
    inertia_ : float, sum of weighted squared distances to the closest centre
    n_iter_ : int, iterations of the best run
    n_features_in_, feature_names_in_ : as in scikit-learn
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
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.missing = missing

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
        on the cluster, see `segmint.distributed`)."""
        if _frame.is_dask(X):
            from . import distributed

            return distributed.fit_kmeans(self, X, sample_weight)
        p = _validation.validate_params(self)
        n_clusters, n_init, max_iter = p["n_clusters"], p["n_init"], p["max_iter"]
        threads, seed = p["n_jobs"], p["random_state"]
        data = _frame.numeric_input(self, X, reset=True, missing=self.missing)
        n_samples = data.values.shape[0]
        if n_samples < n_clusters:
            raise InvalidInputError(
                f"n_clusters: n_samples={n_samples} should be >= n_clusters={n_clusters}",
                "n_clusters",
            )
        weights = _frame.sample_weight(sample_weight, data)
        init, centres = self._init_args(data.values.shape[1])
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
        """Centres, one row per segment, in the units of the features."""
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
        """Closest segment of each row (a Series on X's index; lazy for a Dask collection)."""
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
        return self.fit(X, sample_weight=sample_weight).labels_

    def transform(self, X: Any) -> Any:
        """Euclidean distance of every row to every centre: a DataFrame on X's index when X is
        a data frame, else an array; lazy for a Dask collection."""
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
        """Opposite of the inertia of X for the fitted centres (higher is better)."""
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
    n_clusters : int
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
    n_init, max_iter, random_state, n_jobs, missing : as in :class:`KMeans`.

    Unseen categories at ``predict`` match no mode (they count as a mismatch against every
    prototype) and never raise.

    Attributes
    ----------
    labels_ : Series named "segment"
    cluster_centers_ : DataFrame, numeric means and categorical modes (as labels)
    cost_ : float, Σ dissimilarity of each row to its prototype
    gamma_ : float, the gamma used
    n_iter_ : int
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
    ) -> None:
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
        """Cluster the rows of `X` (a DataFrame with numeric and categorical columns)."""
        p = _validation.validate_params(self)
        n_clusters, n_init, max_iter, gamma = (
            p["n_clusters"],
            p["n_init"],
            p["max_iter"],
            p["gamma"],
        )
        data = _frame.cluster_table(X, categorical=self.categorical, missing=self.missing)
        n = len(data.numeric)
        if n < n_clusters:
            raise InvalidInputError(
                f"n_clusters: n_samples={n} should be >= n_clusters={n_clusters}", "n_clusters"
            )
        weights = _frame.sample_weight(sample_weight, data)
        init, centres, modes = self._init_args(data)
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
        order, one row per segment."""
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
        """Nearest prototype of each row (a Series on X's index)."""
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
        return self.fit(X, sample_weight=sample_weight).labels_


# ---------------------------------------------------------------------------------------------
# Gower distances and k-medoids


class KMedoids(ClusterMixin, BaseEstimator):
    """k-medoids (FasterPAM) on Gower, Euclidean or precomputed distances.

    Each segment is represented by a real customer (its medoid), which makes segments easy to
    explain and works with any dissimilarity — Gower's handles mixed numeric, ordinal and
    categorical B2B data with missing values. Fitting builds the full n × n distance matrix
    (parallel, in float64 or float32); ``max_memory`` bounds it and the error says how much
    would be needed.

    Parameters
    ----------
    n_clusters : int
    metric : {"gower", "euclidean", "precomputed"}
    method : {"fasterpam"}
    init : {"build", "random"} or row positions
        PAM's BUILD (greedy, deterministic), random rows (best of ``n_init``), or given medoids.
    n_init, max_iter (passes over the candidates), random_state, n_jobs
    categorical, weights : for Gower (see :func:`gower_distances`)
    dtype : {"float64", "float32"}, max_memory : bytes or "4GiB"

    Attributes
    ----------
    labels_ : Series "segment"; medoid_indices_ : row positions; medoids_ : the medoids' index
    labels; cluster_centers_ : the medoid rows; inertia_ : Σ distance to the medoid; n_iter_
    """

    labels_: pd.Series
    inertia_: float
    n_iter_: int
    medoid_indices_: np.ndarray

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        metric: str = "gower",
        method: str = "fasterpam",
        init: Any = "build",
        n_init: int = 1,
        max_iter: int = 100,
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
        self.categorical = categorical
        self.weights = weights
        self.dtype = dtype
        self.max_memory = max_memory
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _distances(self, X: Any) -> tuple[Any, pd.Index, Any]:
        if self.metric == "precomputed":
            d = np.asarray(X)
            if d.ndim != 2 or d.shape[0] != d.shape[1]:
                raise InvalidInputError(
                    f"X: metric='precomputed' needs a square distance matrix, got {d.shape}", "X"
                )
            index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(d))
            dtype = np.float32 if self.dtype == "float32" else np.float64
            return np.ascontiguousarray(d, dtype=dtype), index, None
        if self.metric == "euclidean":
            data = _frame.numeric(X)
            check_memory(len(data.values), len(data.values), self.dtype, self.max_memory)
            d = _core.euclidean_matrix(
                data.values,
                data.values,
                float32=self.dtype == "float32",
                n_threads=_validation.n_threads(self.n_jobs),
            )
            return d, data.index, data
        # metric == "gower" (the constraints table admits nothing else)
        g = _frame.gower_table(X, categorical=self.categorical)
        check_memory(len(g.index), len(g.index), self.dtype, self.max_memory)
        self._ranges, self._weights = gower_ranges(g.numeric), gower_weights(self.weights, g)
        d = gower_block(g, g, self._ranges, self._weights, self.dtype, self.n_jobs)
        if np.isnan(d).any():
            raise InvalidInputError(
                "X: some pairs of rows share no non-missing column, so their Gower "
                "distance is undefined; drop rows that are (almost) all missing",
                "X",
            )
        return d, g.index, g

    _parameter_constraints: ClassVar[dict[str, _validation.Check]] = {
        "n_clusters": _validation.Integer(1, _U32),
        "metric": _validation.Options(("gower", "euclidean", "precomputed")),
        "method": _validation.Options(("fasterpam",)),
        "n_init": _validation.Integer(1, _U32),
        "max_iter": _validation.Integer(1, _U32),
        "dtype": _validation.Options(("float64", "float32")),
        "random_state": _validation.RandomState(),
        "n_jobs": _validation.Threads(),
    }

    @_validation.unfitted_on_error
    def fit(self, X: Any, y: Any = None) -> KMedoids:
        p = _validation.validate_params(self)
        n_clusters, n_init, max_iter = p["n_clusters"], p["n_init"], p["max_iter"]
        d, index, data = self._distances(X)
        if len(d) < n_clusters:
            raise InvalidInputError(
                f"n_clusters: n_samples={len(d)} should be >= n_clusters={n_clusters}",
                "n_clusters",
            )
        init, medoids = self.init, None
        if not isinstance(init, str):
            given = np.asarray(init).ravel()
            if given.dtype.kind not in "iu" or given.size != n_clusters:
                raise InvalidInputError(
                    f"init: expected {n_clusters} integer row positions, got {init!r}", "init"
                )
            if (given < 0).any() or (given >= len(d)).any() or len(set(given)) != given.size:
                raise InvalidInputError(
                    f"init: row positions must be distinct and in 0..{len(d) - 1}", "init"
                )
            medoids, init = [int(i) for i in given], "given"
        result = _core.kmedoids_fit(
            d,
            n_clusters=n_clusters,
            init=init,
            medoids=medoids,
            n_init=n_init,
            max_iter=max_iter,
            seed=p["random_state"],
            n_threads=p["n_jobs"],
        )
        medoid_rows, labels, cost, n_iter, _ = result
        self.medoid_indices_ = np.asarray(medoid_rows, dtype=np.int64)
        self.medoids_ = index[self.medoid_indices_]
        self.labels_ = pd.Series(labels, index=index, name="segment")
        self.inertia_, self.n_iter_ = float(cost), int(n_iter)
        self._train = data
        frame = _frame.to_pandas(X)
        if frame is not None:
            centers = frame.iloc[self.medoid_indices_].copy()
        else:
            centers = pd.DataFrame(np.asarray(X)[self.medoid_indices_])
        self._centers = centers.set_axis(pd.RangeIndex(n_clusters, name="segment"), axis=0)
        _frame.check_features(self, X, reset=True)
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
        """The medoids: real rows of the training data, one per segment."""
        check_is_fitted(self)
        return self._centers.copy()

    def predict(self, X: Any) -> pd.Series:
        """Nearest medoid of each row. With metric='precomputed', X holds the distances of the
        new rows to the training rows."""
        check_is_fitted(self)
        if self.metric != "precomputed":
            _frame.check_features(self, X, reset=False, by_name=self.metric == "gower")
        d: Any
        if self.metric == "precomputed":
            d = np.asarray(X, dtype=np.float64)[:, self.medoid_indices_]
            index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(d))
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
        return self.fit(X).labels_


class Ward(ClusterMixin, BaseEstimator):
    """Ward hierarchical clustering (nearest-neighbour chain, O(n·d) memory).

    ``linkage_matrix_`` is in SciPy's format, so ``scipy.cluster.hierarchy.dendrogram`` draws
    it; heights are SciPy's "ward" heights. ``labels_`` cuts the tree into ``n_clusters``
    segments, or — with ``distance_threshold`` — where merges happen at a height of at least
    the threshold (scikit-learn's rule). Labels are numbered in order of first appearance.
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
    ) -> None:
        self.n_clusters = n_clusters
        self.distance_threshold = distance_threshold
        self.n_jobs = n_jobs

    _parameter_constraints: ClassVar[dict[str, _validation.Check]] = {
        "n_clusters": _validation.Integer(1, _U32, optional=True),
        "distance_threshold": _validation.Interval(0.0, optional=True),
        "n_jobs": _validation.Threads(),
    }

    @_validation.unfitted_on_error
    def fit(self, X: Any, y: Any = None) -> Ward:
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
        return self.fit(X).labels_
