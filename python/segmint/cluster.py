"""Cluster analysis estimators (scikit-learn compatible, pandas in and out)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

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

from . import _core, _frame
from .errors import InvalidInputError

_INIT_METHODS = ("k-means++", "random")


def _check_int(value: Any, name: str, minimum: int, maximum: int = 2**32 - 1) -> int:
    if (
        not isinstance(value, numbers.Integral)
        or isinstance(value, bool)
        or not minimum <= int(value) <= maximum
    ):
        raise InvalidInputError(
            f"{name}: must be an integer from {minimum} to {maximum}, got {value!r}", name
        )
    return int(value)


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

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> KMeans:
        """Cluster `X` (a DataFrame or 2-D array of numbers)."""
        n_clusters = _check_int(self.n_clusters, "n_clusters", 1)
        n_init = _check_int(self.n_init, "n_init", 1)
        max_iter = _check_int(self.max_iter, "max_iter", 1)
        if not isinstance(self.tol, numbers.Real) or not self.tol >= 0:
            raise InvalidInputError(f"tol: must be a number >= 0, got {self.tol!r}", "tol")
        threads = _frame.n_threads(self.n_jobs)
        seed = _frame.seed(self.random_state)
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
            n_clusters,
            init,
            centres,
            n_init,
            max_iter,
            float(self.tol),
            seed,
            threads,
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
        """Closest segment of each row (a Series on X's index)."""
        data = self._new_data(X)
        # Same centred arithmetic as the fit's final assignment: predicting the training rows
        # gives labels_ exactly, even for (near-)duplicate centres.
        labels, _ = _core.kmeans_predict(
            data.values, None, self._centered, self._offset, _frame.n_threads(self.n_jobs)
        )
        return _frame.labels_series(labels, data)

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> pd.Series:
        return self.fit(X, sample_weight=sample_weight).labels_

    def transform(self, X: Any) -> Any:
        """Euclidean distance of every row to every centre: a DataFrame on X's index when X is
        a data frame, else an array."""
        data = self._new_data(X)
        dist = _core.kmeans_transform(
            data.values, self._centered, self._offset, _frame.n_threads(self.n_jobs)
        )
        if data.is_frame:
            return _frame.frame(dist, data, self.get_feature_names_out())
        return data.expand(dist, np.nan)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the inertia of X for the fitted centres (higher is better)."""
        data = self._new_data(X)
        weights = _frame.sample_weight(sample_weight, data)
        _, inertia = _core.kmeans_predict(
            data.values, weights, self._centered, self._offset, _frame.n_threads(self.n_jobs)
        )
        return -float(inertia)

    @property
    def _n_features_out(self) -> int:
        return len(self._centered)
