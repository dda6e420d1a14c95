"""KMedoids(method="clara", metric="gower") vs R-style CLARA in NumPy, side by side.

Mixed B2B-like data: 4 numeric + 4 categorical columns, 8 planted segments. Both sides run R
``cluster::clara``'s algorithm with segmint's defaults (10 samples of 100 + 25k rows, the
previous best medoids in every later sample): the reference computes each sample's Gower matrix
with NumPy broadcasting, runs the ``kmedoids`` package's FasterPAM (Rust, BUILD start) on it and
assigns every row to its nearest medoid with vectorised NumPy (one pass over the columns per
medoid), from the same DataFrame (its own category coding, ranges). Each fit runs in a fresh
subprocess that reports its time and its peak RSS (``resource.getrusage``; the data frame
itself is part of the peak, and the RSS before the fit is printed too). Runs alternate between
the two sides; medians are printed with the ratio (target: segmint >= 10x, <= 60 s and <= 2 GiB
at 1,000,000 rows).

It also checks the quality claim of issue 21: CLARA's loss within 2 % of full FasterPAM on the
n × n Gower matrix from the same seed (20,000 rows; 5,000 with --quick).

    python benchmarks/clara.py            # 1,000,000 rows, 3 alternating runs each
    python benchmarks/clara.py --quick    # 100,000 rows, 1 run each
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _package(name: str):
    """Imports the installed package `name`, not a script of this folder with the same name
    (benchmarks/kmedoids.py), whose folder is first on sys.path when a script is run."""
    here = Path(__file__).resolve().parent
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    try:
        return importlib.import_module(name)
    finally:
        sys.path[:] = saved


NUMERIC = ["revenue", "orders", "employees", "tenure"]
CATEGORICAL = ["industry", "region", "size", "channel"]
K = 8


def make_data(n: int, k: int = K, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, k, n)

    def noisy(choices: list[str], p: float) -> pd.Categorical:
        follow = rng.random(n) < p
        values = np.where(follow, np.array(choices)[g % len(choices)], rng.choice(choices, n))
        return pd.Categorical(values, categories=choices)

    return pd.DataFrame(
        {
            "revenue": rng.lognormal(3.0 + 0.4 * g, 0.6),
            "orders": rng.poisson(4 + 3 * g).astype(np.float64),
            "employees": rng.gamma(2.0, 20.0 + 15.0 * g),
            "tenure": rng.uniform(0.5, 20.0, n),
            "industry": noisy(["retail", "services", "manufacturing", "public", "health"], 0.8),
            "region": noisy(["north", "south", "east", "west"], 0.6),
            "size": noisy(["S", "M", "L", "XL"], 0.7),
            "channel": pd.Categorical(rng.choice(["web", "phone", "field"], n)),
        }
    )


# ---------------------------------------------------------------------------------------------
# The reference: R's clara loop in NumPy, FasterPAM on each sample by the kmedoids package


def numpy_clara(X: pd.DataFrame, k: int, n_samples: int = 10, seed: int = 0):
    kmedoids = _package("kmedoids")
    n = len(X)
    num = X[NUMERIC].to_numpy(dtype=np.float64)
    ranges = num.max(axis=0) - num.min(axis=0)
    scaled = num / ranges  # |xi - xj| / range = |xi/range - xj/range|
    codes = np.column_stack([X[c].cat.codes.to_numpy() for c in CATEGORICAL])
    p = num.shape[1] + codes.shape[1]
    m = min(n, 100 + 25 * k)
    rng = np.random.default_rng(seed)

    def gower_to(medoid: int) -> np.ndarray:
        """Gower distances of every row to one medoid: one vectorised pass per block."""
        d = np.abs(scaled - scaled[medoid]).sum(axis=1)
        d += (codes != codes[medoid]).sum(axis=1)
        return d / p

    best_cost, best = np.inf, None
    for _ in range(n_samples):
        keep = np.array([], dtype=np.int64) if best is None else best
        others = np.setdiff1d(rng.choice(n, size=m + len(keep), replace=False), keep)
        sample = np.sort(np.concatenate([keep, others[: m - len(keep)]]))
        d = np.abs(scaled[sample][:, None, :] - scaled[sample][None, :, :]).sum(axis=2)
        d += (codes[sample][:, None, :] != codes[sample][None, :, :]).sum(axis=2)
        fit = kmedoids.fasterpam(d / p, k, init="build", n_cpu=1)
        medoids = sample[np.asarray(fit.medoids)]
        dist = np.column_stack([gower_to(med) for med in medoids])
        cost = dist.min(axis=1).sum()
        if cost < best_cost:
            best_cost, best = cost, medoids
    return best, best_cost


# ---------------------------------------------------------------------------------------------
# One fit in a fresh process: time and peak RSS


def child(side: str, n: int) -> None:
    import segmint

    _package("kmedoids")
    X = make_data(n)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t = time.perf_counter()
    if side == "segmint":
        km = segmint.KMedoids(K, method="clara", metric="gower", random_state=0).fit(X)
        cost = km.inertia_
    else:
        _, cost = numpy_clara(X, K)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak, "before": before, "loss": cost}))


def run_child(side: str, n: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", side, "--n", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare_speed(n: int, repeats: int) -> None:
    runs: dict[str, list[dict]] = {"segmint": [], "numpy": []}
    for _ in range(repeats):
        for side in ("segmint", "numpy"):  # alternating
            runs[side].append(run_child(side, n))
    med = {s: statistics.median(r["seconds"] for r in runs[s]) for s in runs}
    peak = {s: max(r["peak"] for r in runs[s]) for s in runs}
    before = {s: max(r["before"] for r in runs[s]) for s in runs}
    loss = {s: runs[s][-1]["loss"] for s in runs}
    gib = 2**30
    print(
        f"n={n:,} ({len(NUMERIC)} numeric + {len(CATEGORICAL)} categorical), k={K}, "
        f"CLARA 10 x {100 + 25 * K}"
    )
    for s, name in (
        ("segmint", "segmint KMedoids(method='clara')"),
        ("numpy", "NumPy clara + kmedoids.fasterpam"),
    ):
        print(
            f"  {name:36s} {med[s]:8.2f} s (median of {repeats}) | "
            f"peak RSS {peak[s] / gib:5.2f} GiB "
            f"(data alone {before[s] / gib:4.2f}) | loss {loss[s]:.1f}"
        )
    print(
        f"  ratio {med['numpy'] / med['segmint']:.1f}x (target >= 10x); segmint "
        f"{'<=' if med['segmint'] <= 60 else '>'} 60 s, peak "
        f"{'<=' if peak['segmint'] <= 2 * gib else '>'} 2 GiB; loss segmint / numpy "
        f"{loss['segmint'] / loss['numpy']:.4f} (different random samples)"
    )


def compare_quality(n: int) -> None:
    import segmint

    X = make_data(n, seed=1)
    t = time.perf_counter()
    full = segmint.KMedoids(K, method="fasterpam", random_state=0, max_memory="8GiB").fit(X)
    t_full = time.perf_counter() - t
    t = time.perf_counter()
    clara = segmint.KMedoids(K, method="clara", random_state=0).fit(X)
    t_clara = time.perf_counter() - t
    ratio = clara.inertia_ / full.inertia_
    print(
        f"n={n:,}: full FasterPAM loss {full.inertia_:.2f} ({t_full:.2f} s) | CLARA loss "
        f"{clara.inertia_:.2f} ({t_clara:.3f} s) | CLARA / full {ratio:.4f} "
        f"({'within' if ratio <= 1.02 else 'NOT within'} 2 %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", choices=["segmint", "numpy"])
    parser.add_argument("--n", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n)
        return
    import segmint

    print(f"{os.cpu_count()} cores; segmint {segmint.__version__}")
    n, repeats, n_quality = (100_000, 1, 5_000) if args.quick else (1_000_000, 3, 20_000)
    compare_speed(n, repeats)
    compare_quality(n_quality)


if __name__ == "__main__":
    main()
