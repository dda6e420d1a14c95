"""k-means: segmint vs scikit-learn, side by side in one process.

Both fit the same float64 data from the same initial centres (n_init=1, Lloyd), alternating,
and the script prints the median time of each, the ratio, the number of iterations, the relative
inertia difference and the label agreement. A second part measures the peak memory of `fit`
beyond the input array, in a fresh subprocess per library.

    python benchmarks/kmeans.py            # 1,000,000 × 16 and 200,000 × 16, k = 8
    python benchmarks/kmeans.py --quick    # smaller, for a smoke run
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np
from sklearn.cluster import KMeans as SkKMeans
from sklearn.datasets import make_blobs

import segmint


def make_data(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=4.0, random_state=seed)
    rng = np.random.default_rng(seed)
    init = X[rng.choice(n, size=k, replace=False)].copy()
    return X, init


def fit_sklearn(X: np.ndarray, init: np.ndarray):
    m = SkKMeans(len(init), init=init, n_init=1, algorithm="lloyd").fit(X)
    return m.labels_, m.inertia_, m.n_iter_


def fit_segmint(X: np.ndarray, init: np.ndarray):
    m = segmint.KMeans(len(init), init=init, n_init=1).fit(X)
    return m.labels_.to_numpy(), m.inertia_, m.n_iter_


FITS = {"scikit-learn": fit_sklearn, "segmint": fit_segmint}


def compare(n: int, d: int, k: int, repeats: int) -> None:
    X, init = make_data(n, d, k)
    times: dict[str, list[float]] = {name: [] for name in FITS}
    results = {}
    fit_segmint(X[:1000], init)  # warm up (thread pool, imports)
    for _ in range(repeats):
        for name, fit in FITS.items():
            t = time.perf_counter()
            results[name] = fit(X, init)
            times[name].append(time.perf_counter() - t)
    (sk_labels, sk_inertia, sk_iter), (sg_labels, sg_inertia, sg_iter) = (
        results["scikit-learn"],
        results["segmint"],
    )
    sk, sg = statistics.median(times["scikit-learn"]), statistics.median(times["segmint"])
    print(
        f"{n:>9,} × {d}, k={k}: scikit-learn {sk * 1e3:7.1f} ms ({sk_iter} it, "
        f"{sk / sk_iter * 1e3:.1f} ms/it) | segmint {sg * 1e3:7.1f} ms ({sg_iter} it, "
        f"{sg / sg_iter * 1e3:.1f} ms/it) | ratio {sk / sg:.2f}x | inertia rel diff "
        f"{abs(sg_inertia - sk_inertia) / sk_inertia:.1e} | labels equal "
        f"{np.mean(sk_labels == sg_labels):.4%}"
    )


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def peak_memory_child(name: str, n: int, d: int, k: int) -> None:
    X, init = make_data(n, d, k)
    base = _rss_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:  # reset the peak (VmHWM) to the current RSS
        f.write("5")
    FITS[name](X, init)
    extra = (_rss_kib("VmHWM") - base) / 1024
    mib = X.nbytes / 2**20
    print(f"{name}: peak memory of fit beyond the input ({mib:.0f} MiB): {extra:.0f} MiB")


def peak_memory(n: int, d: int, k: int) -> None:
    for name in FITS:
        code = (
            f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); "
            "import kmeans; "
            f"kmeans.peak_memory_child({name!r}, {n}, {d}, {k})"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        print("  " + out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [(20_000, 16, 8, 3)] if args.quick else [(1_000_000, 16, 8, 5), (200_000, 16, 8, 7)]
    print(f"threads: {os.cpu_count()} cores; segmint {segmint.__version__}")
    for n, d, k, repeats in sizes:
        compare(n, d, k, repeats)
    if os.path.exists("/proc/self/clear_refs"):
        n, d, k, _ = sizes[0]
        print(f"peak memory at {n:,} × {d}:")
        peak_memory(n, d, k)


if __name__ == "__main__":
    main()
