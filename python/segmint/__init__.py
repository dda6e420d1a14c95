"""segmint: B2B customer segmentation with a Rust core.

>>> import segmint as sg
>>> km = sg.KMeans(n_clusters=4, random_state=0).fit(df[spend_columns])  # doctest: +SKIP
>>> km.labels_, km.cluster_centers_                                      # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from . import conjoint, datasets, factor, onedim, plot
from .chaid import CHAID
from .cluster import KMeans, KMedoids, KPrototypes, Ward
from .conjoint import ChoiceModel, MarketSimulator, RatingConjoint
from .criteria import Criteria
from .discriminant import DiscriminantAnalysis
from .errors import InternalError, InvalidInputError, InvalidTypeError, SegmintError
from .factor import FactorAnalysis, HeywoodWarning
from .gower import gower_distances
from .market import MarketMap, MarketMapDisplay, market_map
from .metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    select_k,
    silhouette_samples,
    silhouette_score,
    stability,
)
from .onedim import (
    ABCResult,
    RFMResult,
    abc,
    abc_xyz,
    customer_summary,
    frequency_classes,
    rfm,
    usage_classes,
    xyz,
)
from .profile import Migration, SegmentProfile, SmallSegmentWarning, migration, profile
from .report import Report, report
from .twostep import TwoStep

try:
    __version__ = version("segmint")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "CHAID",
    "ABCResult",
    "ChoiceModel",
    "Criteria",
    "DiscriminantAnalysis",
    "FactorAnalysis",
    "HeywoodWarning",
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
    "RFMResult",
    "RatingConjoint",
    "Report",
    "SegmentProfile",
    "SegmintError",
    "SmallSegmentWarning",
    "TwoStep",
    "Ward",
    "__version__",
    "abc",
    "abc_xyz",
    "calinski_harabasz_score",
    "conjoint",
    "customer_summary",
    "datasets",
    "davies_bouldin_score",
    "factor",
    "frequency_classes",
    "gower_distances",
    "market_map",
    "migration",
    "onedim",
    "plot",
    "profile",
    "report",
    "rfm",
    "select_k",
    "silhouette_samples",
    "silhouette_score",
    "stability",
    "usage_classes",
    "xyz",
]
