"""Ward's hierarchical clustering (the nearest-neighbour chain, SciPy's heights)."""

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
