"""k-medoids (FasterPAM on the full matrix, CLARA on samples) for any dissimilarity,
Gower's for mixed data."""

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
from .errors import InvalidInputError
from .gower import check_memory, gower_block, gower_ranges, gower_weights, parse_bytes

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
