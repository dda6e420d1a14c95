"""Silhouette score: segmint vs scikit-learn, side by side in one process.

Both compute the exact mean silhouette width (all pairwise Euclidean distances) of the same
planted clustering; the libraries alternate and the median time of each is printed with the
ratio and the absolute difference of the two scores.

    python benchmarks/metrics.py            # n = 20,000 × 8, 6 planted clusters
    python benchmarks/metrics.py --quick    # n = 5,000, for a smoke run
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import sklearn
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score as sk_silhouette_score

import segmint


def make_data(n: int, d: int = 8, k: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=2.0, random_state=seed)
    return X, y


def compare(n: int, repeats: int) -> None:
    X, y = make_data(n)
    fits = {
        "scikit-learn": lambda: sk_silhouette_score(X, y),
        "segmint": lambda: segmint.silhouette_score(X, y),
    }
    segmint.silhouette_score(X[:500], y[:500])  # warm up the thread pool
    times: dict[str, list[float]] = {name: [] for name in fits}
    scores: dict[str, float] = {}
    for _ in range(repeats):
        for name, fit in fits.items():
            t = time.perf_counter()
            scores[name] = float(fit())
            times[name].append(time.perf_counter() - t)
    sk, sg = statistics.median(times["scikit-learn"]), statistics.median(times["segmint"])
    print(
        f"{n:>7,} × {X.shape[1]}, {len(np.unique(y))} clusters: scikit-learn {sk:7.3f} s"
        f" | segmint {sg:7.3f} s | ratio {sk / sg:5.1f}x"
        f" | silhouette {scores['segmint']:.12f}"
        f" | abs diff {abs(scores['segmint'] - scores['scikit-learn']):.1e}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(
        f"threads: {os.cpu_count()} cores; segmint {segmint.__version__}, "
        f"scikit-learn {sklearn.__version__}; median of 3",
        flush=True,
    )
    compare(5_000 if args.quick else 20_000, 3)


if __name__ == "__main__":
    main()
