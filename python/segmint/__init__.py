"""segmint: B2B customer segmentation with a Rust core.

>>> import segmint as sg
>>> km = sg.KMeans(n_clusters=4, random_state=0).fit(df[spend_columns])  # doctest: +SKIP
>>> km.labels_, km.cluster_centers_                                      # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from . import conjoint, datasets, factor
from .chaid import CHAID
from .cluster import KMeans, KMedoids, KPrototypes, Ward, gower_distances
from .conjoint import ChoiceModel, MarketSimulator, RatingConjoint
from .errors import InternalError, InvalidInputError, InvalidTypeError, SegmintError
from .factor import FactorAnalysis, HeywoodWarning
from .metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    select_k,
    silhouette_samples,
    silhouette_score,
    stability,
)
from .profile import Migration, SegmentProfile, SmallSegmentWarning, migration, profile

try:
    __version__ = version("segmint")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "CHAID",
    "ChoiceModel",
    "FactorAnalysis",
    "HeywoodWarning",
    "InternalError",
    "InvalidInputError",
    "InvalidTypeError",
    "KMeans",
    "KMedoids",
    "KPrototypes",
    "MarketSimulator",
    "Migration",
    "RatingConjoint",
    "SegmentProfile",
    "SegmintError",
    "SmallSegmentWarning",
    "Ward",
    "__version__",
    "calinski_harabasz_score",
    "conjoint",
    "datasets",
    "davies_bouldin_score",
    "factor",
    "gower_distances",
    "migration",
    "profile",
    "select_k",
    "silhouette_samples",
    "silhouette_score",
    "stability",
]
