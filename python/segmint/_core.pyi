# Type stubs for the Rust extension `segmint._core` (checked with mypy.stubtest).
import numpy as np
import numpy.typing as npt

__all__ = [
    "calinski_harabasz_score",
    "davies_bouldin_score",
    "kmeans_fit",
    "kmeans_lloyd_stats",
    "kmeans_predict",
    "kmeans_transform",
    "silhouette_samples",
]

def kmeans_fit(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[np.float64] | None,
    n_init: int,
    max_iter: int,
    tol: float,
    seed: int,
    n_threads: int,
) -> tuple[
    npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64], float, int
]: ...
def kmeans_predict(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    centers: npt.NDArray[np.float64],
    offset: npt.NDArray[np.float64],
    n_threads: int,
) -> tuple[npt.NDArray[np.int64], float]: ...
def kmeans_transform(
    x: npt.NDArray[np.float64],
    centers: npt.NDArray[np.float64],
    offset: npt.NDArray[np.float64],
    n_threads: int,
) -> npt.NDArray[np.float64]: ...
def kmeans_lloyd_stats(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    centers: npt.NDArray[np.float64],
    offset: npt.NDArray[np.float64],
    n_threads: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]: ...
def silhouette_samples(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], n_threads: int
) -> npt.NDArray[np.float64]: ...
def calinski_harabasz_score(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], n_threads: int
) -> float: ...
def davies_bouldin_score(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], n_threads: int
) -> float: ...
