"""Ward hierarchical clustering: segmint vs fastcluster.linkage_vector, side by side.

Both build the full Ward tree with O(n·d) memory (nearest-neighbour chain) on the same float64
data; the script prints the median time of each, the ratio (target: segmint at least as fast),
whether the merges (ids and sizes) are identical and the largest height difference.
fastcluster is a benchmark-only dependency: `pip install fastcluster`.

    python benchmarks/ward.py            # 20,000 × 8
    python benchmarks/ward.py --quick    # 5,000 × 8, for a smoke run
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import segmint

try:
    import fastcluster
except ImportError:  # pragma: no cover - reported to the user
    fastcluster = None


def make_data(n: int, d: int, seed: int = 0) -> np.ndarray:
    X, _ = make_blobs(n_samples=n, n_features=d, centers=10, cluster_std=2.0, random_state=seed)
    return X


def fit_fastcluster(X: np.ndarray) -> np.ndarray:
    return fastcluster.linkage_vector(X, method="ward")


def fit_segmint(X: np.ndarray) -> segmint.Ward:
    return segmint.Ward(n_clusters=10).fit(X)


def compare(n: int, d: int, repeats: int) -> None:
    X = make_data(n, d)
    fit_segmint(X[:500])  # warm up (thread pool, imports)
    times: dict[str, list[float]] = {"fastcluster": [], "segmint": []}
    out: dict[str, Any] = {}
    for _ in range(repeats):
        for name, fit in (("fastcluster", fit_fastcluster), ("segmint", fit_segmint)):
            t = time.perf_counter()
            out[name] = fit(X)
            times[name].append(time.perf_counter() - t)
    fc, sg = statistics.median(times["fastcluster"]), statistics.median(times["segmint"])
    zf, zs = out["fastcluster"], out["segmint"].linkage_matrix_
    same_merges = np.array_equal(zf[:, [0, 1, 3]], zs[:, [0, 1, 3]])
    diff = np.abs(zf[:, 2] - zs[:, 2])
    rel = (diff / np.maximum(np.abs(zf[:, 2]), np.finfo(float).tiny)).max()
    ari = adjusted_rand_score(fcluster(zf, 10, "maxclust"), out["segmint"].labels_)
    print(
        f"{n:>7,} × {d}: fastcluster.linkage_vector {fc:7.2f} s | segmint Ward {sg:7.2f} s | "
        f"ratio {fc / sg:.2f}x (target >= 1) | same merges {same_merges} | max height diff "
        f"{diff.max():.1e} (rel {rel:.1e}) | ARI of the 10-segment cuts {ari:.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if fastcluster is None:
        sys.exit("fastcluster is not installed: pip install fastcluster")
    n, d, repeats = (5_000, 8, 2) if args.quick else (20_000, 8, 3)
    print(
        f"threads: {os.cpu_count()} cores; segmint {segmint.__version__}, fastcluster "
        f"{fastcluster.__version__}"
    )
    compare(n, d, repeats)


if __name__ == "__main__":
    main()
