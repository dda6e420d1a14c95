"""Gower distances + k-medoids: segmint vs the `gower` and `kmedoids` packages, side by side.

Mixed B2B-like data (4 numeric, 4 categorical columns, planted segments, no missing values since
the gower package counts NaN as a mismatch). Both sides start FasterPAM from PAM's BUILD medoids,
so they run the same algorithm from the same start (kmedoids with n_cpu=1 is the sequential
FasterPAM that segmint follows; segmint uses its threads for the distance matrix and for each
swap scan). Printed: time of each step, the ratio of the totals (target: segmint >= 10x), the
losses, the label agreement and the largest distance difference (the gower package works in
float32).

    python benchmarks/kmedoids.py            # n = 5,000
    python benchmarks/kmedoids.py --quick    # n = 1,000, for a smoke run
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

import gower
import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

import segmint


def _package(name: str):
    """Imports the installed package `name`, not this script (which has the same name and whose
    folder is first on sys.path when it is run)."""
    here = Path(__file__).resolve().parent
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    try:
        return importlib.import_module(name)
    finally:
        sys.path[:] = saved


kmedoids = _package("kmedoids")

NUMERIC = ["revenue", "orders", "employees", "tenure"]
CATEGORICAL = ["industry", "region", "size", "channel"]


def make_data(n: int, k: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, k, n)

    def noisy(choices: list[str], p: float) -> np.ndarray:
        follow = rng.random(n) < p
        return np.where(follow, np.array(choices)[g % len(choices)], rng.choice(choices, n))

    X = pd.DataFrame(
        {
            "revenue": rng.lognormal(3.0 + 0.4 * g, 0.6),
            "orders": rng.poisson(4 + 3 * g).astype(np.float64),
            "employees": rng.gamma(2.0, 20.0 + 15.0 * g),
            "tenure": rng.uniform(0.5, 20.0, n),
            "industry": noisy(["retail", "services", "manufacturing", "public", "health"], 0.8),
            "region": noisy(["north", "south", "east", "west"], 0.6),
            "size": noisy(["S", "M", "L", "XL"], 0.7),
            "channel": rng.choice(["web", "phone", "field"], n),
        },
        index=pd.Index([f"cust{i:05d}" for i in range(n)], name="customer"),
    )
    return X, g


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def run_packages(X: pd.DataFrame, k: int):
    # The gower package breaks on pandas 3 string columns: give it an object array.
    cat = np.array([c in CATEGORICAL for c in X.columns])
    D, t_d = timed(gower.gower_matrix, X.to_numpy(dtype=object), cat_features=cat)
    fit, t_k = timed(kmedoids.fasterpam, D, k, init="build", n_cpu=1)
    return D, fit, t_d, t_k


def run_segmint(X: pd.DataFrame, k: int):
    D, t_d = timed(segmint.gower_distances, X)
    fit, t_k = timed(segmint.KMedoids(k, metric="precomputed", init="build").fit, D)
    end_to_end, t_e = timed(segmint.KMedoids(k, init="build").fit, X)
    return D, fit, end_to_end, t_d, t_k, t_e


def compare(n: int, k: int, repeats: int) -> None:
    X, truth = make_data(n, k)
    segmint.KMedoids(k).fit(X.head(200))  # warm up (thread pool, imports)
    D_ref, ref, t_gower, t_kmed = run_packages(X, k)
    runs = [run_segmint(X, k) for _ in range(repeats)]
    D, pre, end, *_ = runs[-1]
    t_dist, t_fit, t_end = (statistics.median(r[i] for r in runs) for i in (3, 4, 5))
    ref_total = t_gower + t_kmed
    print(
        f"n={n:,} ({len(NUMERIC)} numeric + {len(CATEGORICAL)} categorical), k={k}, "
        f"BUILD + FasterPAM"
    )
    print(
        f"  gower.gower_matrix {t_gower:8.2f} s + kmedoids.fasterpam(n_cpu=1) {t_kmed:6.2f} s"
        f" = {ref_total:8.2f} s | loss {ref.loss:.6f}"
    )
    print(
        f"  segmint gower_distances {t_dist:6.2f} s + KMedoids(precomputed) {t_fit:6.2f} s"
        f" = {t_dist + t_fit:6.2f} s | loss {pre.inertia_:.6f} | ratio "
        f"{ref_total / (t_dist + t_fit):.1f}x"
    )
    print(
        f"  segmint KMedoids(metric='gower') end to end {t_end:6.2f} s | loss "
        f"{end.inertia_:.6f} | ratio {ref_total / t_end:.1f}x (target >= 10x)"
    )
    diff = np.abs(D.to_numpy() - D_ref).max()
    same = np.array_equal(end.medoid_indices_, np.asarray(ref.medoids))
    print(
        f"  max |distance difference| {diff:.1e} (gower is float32) | loss rel diff "
        f"{abs(end.inertia_ - ref.loss) / ref.loss:.1e} | same medoids {same} | ARI "
        f"segmint~kmedoids {adjusted_rand_score(ref.labels, end.labels_):.4f} | ARI to planted "
        f"{adjusted_rand_score(truth, end.labels_):.3f}"
    )
    # For context: the kmedoids package's parallel variant (random processing order).
    par, t_par = timed(kmedoids.fasterpam, D_ref, k, init="build", n_cpu=os.cpu_count() or 1)
    print(
        f"  (kmedoids.fasterpam n_cpu={os.cpu_count()}: {t_par:.2f} s, loss {par.loss:.6f}; "
        f"segmint KMedoids(dtype='float32') below)"
    )
    m32, t32 = timed(segmint.KMedoids(k, init="build", dtype="float32").fit, X)
    print(f"  segmint float32 end to end {t32:6.2f} s | loss {m32.inertia_:.6f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, k, repeats = (1_000, 5, 2) if args.quick else (5_000, 6, 3)
    print(
        f"threads: {os.cpu_count()} cores; segmint {segmint.__version__}, gower "
        f"{version('gower')}, kmedoids {version('kmedoids')}"
    )
    compare(n, k, repeats)


if __name__ == "__main__":
    main()
