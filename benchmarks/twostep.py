"""TwoStep: segmint on a million mixed rows, with scikit-learn's Birch as a speed anchor.

Planted mixed data: 4 numeric and 4 categorical columns (3 to 6 levels), 4 groups. segmint's
``TwoStep`` (automatic k by BIC) runs on all 8 columns. There is no TwoStep outside SPSS to run
side by side; scikit-learn's ``Birch`` builds the same kind of CF-tree (Euclidean, numeric
columns only, ``n_clusters=4`` by agglomerative clustering of its subclusters), so it is printed
as a speed anchor only: **it is not the same algorithm** (no categorical columns, no
log-likelihood distance, no choice of k). Times are medians of alternating runs.

Memory: each size also runs TwoStep alone in a child process that builds the data, resets its
peak-RSS counter (/proc/self/clear_refs) and reports the peak above the data during the fit: the
tree is bounded (at most 8 × 8³ leaf entries by default); what grows with n is the conversion of
the frame into arrays (8 + 4 bytes per numeric / categorical cell) and the per-row outputs.

    python benchmarks/twostep.py            # n = 100,000 and 1,000,000
    python benchmarks/twostep.py --quick    # n = 100,000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import Birch
from sklearn.metrics import adjusted_rand_score

import segmint

K = 4
LEVELS = [3, 4, 5, 6]
NUMERIC = ["budget", "volume", "frequency", "tenure"]
CATEGORICAL = ["industry", "size", "region", "reach"]


def make_data(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """4 planted groups: numeric centres 4 standard deviations apart; each categorical column on
    its group's own level with probability 0.99, else a uniform level."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, K, size=n)
    centres = 4.0 * np.array([[0, 0, 0, 0], [1, 0, 1, 0], [0, 1, 0, 1], [1, 1, -1, -1]], float)
    df = pd.DataFrame(centres[truth] + rng.normal(size=(n, 4)), columns=NUMERIC)
    for name, levels in zip(CATEGORICAL, LEVELS, strict=True):
        own = np.arange(K) % levels
        codes = np.where(rng.random(n) < 0.99, own[truth], rng.integers(0, levels, size=n))
        labels = [f"{name}{v}" for v in range(levels)]
        df[name] = pd.Categorical(np.array(labels)[codes], categories=labels)
    return df, truth


def rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def child(n: int) -> None:
    """Fit once on n rows and print the peak RSS above the data (JSON)."""
    df, _ = make_data(n)
    segmint.TwoStep().fit(df.iloc[:2000])  # warm up the pool and imports
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
    except OSError:
        pass
    base = rss_kib("VmRSS")
    t, cpu = time.perf_counter(), time.process_time()
    ts = segmint.TwoStep().fit(df)
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    peak = rss_kib("VmHWM")
    print(
        json.dumps(
            {
                "n": n,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "base_mib": base / 1024,
                "peak_above_data_mib": (peak - base) / 1024,
                "leaf_entries": ts.n_leaf_entries_,
                "rebuilds": int(ts._tree["n_rebuilds"]),
            }
        )
    )


def time_alternating(
    fits: dict[str, Callable[[], Any]], repeats: dict[str, int]
) -> tuple[dict[str, float], dict[str, Any]]:
    times: dict[str, list[float]] = {name: [] for name in fits}
    results: dict[str, Any] = {}
    for r in range(max(repeats.values())):
        for name, fit in fits.items():
            if r >= repeats[name]:
                continue
            t = time.perf_counter()
            results[name] = fit()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(v) for name, v in times.items()}, results


def compare(n: int, repeats: int) -> None:
    df, truth = make_data(n)
    numeric = df[NUMERIC].to_numpy()
    z = (numeric - numeric.mean(axis=0)) / numeric.std(axis=0)

    def twostep() -> Any:
        return segmint.TwoStep().fit(df)

    def birch() -> Any:
        return Birch(n_clusters=K, threshold=0.5).fit(z)

    times, res = time_alternating(
        {"segmint TwoStep": twostep, "sklearn Birch": birch},
        {"segmint TwoStep": repeats, "sklearn Birch": repeats},
    )
    ts, bi = res["segmint TwoStep"], res["sklearn Birch"]
    t_ts, t_bi = times["segmint TwoStep"], times["sklearn Birch"]
    print(
        f"{n:>9,} x 8 | segmint TwoStep (8 mixed columns, auto k) {t_ts:7.2f} s, "
        f"k = {ts.n_clusters_}, ARI {adjusted_rand_score(truth, ts.labels_):.3f}, "
        f"{ts.n_leaf_entries_} leaf entries | sklearn Birch (4 numeric columns, k = {K}) "
        f"{t_bi:7.2f} s, ARI {adjusted_rand_score(truth, bi.labels_):.3f} | "
        f"Birch / TwoStep time {t_bi / t_ts:5.1f}x",
        flush=True,
    )
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    m = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"{'':>13} memory: TwoStep alone {m['seconds']:.2f} s ({m['cpu_seconds']:.2f} s CPU), "
        "peak RSS above the data "
        f"{m['peak_above_data_mib']:.0f} MiB (data + interpreter {m['base_mib']:.0f} MiB), "
        f"{m['rebuilds']} tree rebuilds",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    sizes = [(100_000, 3)] if args.quick else [(100_000, 3), (1_000_000, 1)]
    load = os.getloadavg()[0]
    print(
        f"{os.cpu_count()} cores (load average {load:.1f}); segmint {segmint.__version__}",
        flush=True,
    )
    for n, repeats in sizes:
        compare(n, repeats)


if __name__ == "__main__":
    main()
