"""Cluster analysis estimators (scikit-learn compatible, pandas in and out), one module per
method: :class:`KMeans` (``_kmeans``), :class:`KPrototypes` (``_kprototypes``),
:class:`KMedoids` with CLARA (``_kmedoids``) and :class:`Ward` (``_ward``)."""

from ._kmeans import KMeans
from ._kmedoids import AUTO_CLARA_ROWS, KMedoids
from ._kprototypes import KPrototypes
from ._ward import Ward

__all__ = ["AUTO_CLARA_ROWS", "KMeans", "KMedoids", "KPrototypes", "Ward"]
