"""segmint: B2B customer segmentation with a Rust core.

>>> import segmint as sg
>>> km = sg.KMeans(n_clusters=4, random_state=0).fit(df[spend_columns])  # doctest: +SKIP
>>> km.labels_, km.cluster_centers_                                      # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from . import conjoint, datasets
from .chaid import CHAID
from .cluster import KMeans, KMedoids, KPrototypes, Ward, gower_distances
from .conjoint import ChoiceModel, MarketSimulator, RatingConjoint
from .criteria import Criteria
from .discriminant import DiscriminantAnalysis
from .errors import InternalError, InvalidInputError, InvalidTypeError, SegmintError
from .market import MarketMap, MarketMapDisplay, market_map
from .metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    select_k,
    silhouette_samples,
    silhouette_score,
    stability,
)
from .profile import Migration, SegmentProfile, SmallSegmentWarning, migration, profile
from .report import Report, report

try:
    __version__ = version("segmint")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "CHAID",
    "ChoiceModel",
    "Criteria",
    "DiscriminantAnalysis",
    "InternalError",
    "InvalidInputError",
    "InvalidTypeError",
    "KMeans",
    "KMedoids",
    "KPrototypes",
    "MarketMap",
    "MarketMapDisplay",
    "MarketSimulator",
    "Migration",
    "RatingConjoint",
    "Report",
    "SegmentProfile",
    "SegmintError",
    "SmallSegmentWarning",
    "Ward",
    "__version__",
    "calinski_harabasz_score",
    "conjoint",
    "datasets",
    "davies_bouldin_score",
    "gower_distances",
    "market_map",
    "migration",
    "profile",
    "report",
    "select_k",
    "silhouette_samples",
    "silhouette_score",
    "stability",
]
