"""k-prototypes: segmint vs the kmodes package, side by side in one process.

Planted mixed data: 4 numeric and 4 categorical columns (3 to 6 levels), 5 overlapping groups.
Two comparisons per size, the libraries alternating, median times printed with the ratio:

* same start: both from the same explicit prototypes (n_init=1, Huang's online update), so both
  do identical work; the labels and costs must agree.
* default inits: kmodes with init="Huang" and segmint with its default init="huang", the same
  n_init, each library using every core for its restarts (kmodes: joblib processes, n_jobs=-1;
  segmint: threads). segmint's k-means++ and batch update are printed for information.

kmodes needs about a minute per run at n = 50,000: there it runs once per comparison.

    python benchmarks/kprototypes.py            # n = 5,000 and 50,000
    python benchmarks/kprototypes.py --quick    # n = 2,000, for a smoke run
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from kmodes.kprototypes import KPrototypes as KmodesKPrototypes

import segmint

LEVELS = [3, 4, 5, 6]
K = 5


def make_data(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """5 planted groups: numeric centres N(0, 2²) with unit noise; each categorical column on its
    group's favourite level with probability 0.6, else a uniform level."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, K, size=n)
    centres = rng.normal(0.0, 2.0, size=(K, 4))
    x = centres[truth] + rng.normal(size=(n, 4))
    df = pd.DataFrame(x, columns=["budget", "volume", "frequency", "tenure"])
    for name, levels in zip(["industry", "size", "region", "reach"], LEVELS, strict=True):
        favourite = rng.integers(0, levels, size=K)
        codes = np.where(rng.random(n) < 0.6, favourite[truth], rng.integers(0, levels, size=n))
        labels = [f"{name}{v}" for v in range(levels)]
        df[name] = pd.Categorical(np.array(labels)[codes], categories=labels)
    return df, truth


NUMERIC = ["budget", "volume", "frequency", "tenure"]
CATEGORICAL = ["industry", "size", "region", "reach"]


def explicit_start(df: pd.DataFrame, seed: int = 1):
    """K random rows as the starting prototypes: labels for segmint, kmodes' codes (rank among
    the sorted unique values) for kmodes."""
    rows = np.random.default_rng(seed).choice(len(df), size=K, replace=False)
    num = df[NUMERIC].to_numpy()[rows]
    labels = df[CATEGORICAL].to_numpy(dtype=object)[rows]
    codes = np.column_stack(
        [
            np.searchsorted(np.unique(df[c].to_numpy(dtype=object)), labels[:, a])
            for a, c in enumerate(CATEGORICAL)
        ]
    )
    return num, labels, codes


class Result:
    def __init__(self, labels: Any, cost: float, n_iter: int) -> None:
        self.labels = np.asarray(labels, dtype=np.int64)
        self.cost = float(cost)
        self.n_iter = int(n_iter)


def time_alternating(
    fits: dict[str, Callable[[], Result]], repeats: dict[str, int]
) -> tuple[dict[str, float], dict[str, Result]]:
    """Run the fits in turn, `repeats[name]` times each, alternating; median seconds."""
    times: dict[str, list[float]] = {name: [] for name in fits}
    results: dict[str, Result] = {}
    for r in range(max(repeats.values())):
        for name, fit in fits.items():
            if r >= repeats[name]:
                continue
            t = time.perf_counter()
            results[name] = fit()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(v) for name, v in times.items()}, results


def same_start(df: pd.DataFrame, X_obj: np.ndarray, cat_pos: list[int], kmodes_repeats: int):
    num, labels, codes = explicit_start(df)

    def kmodes_fit() -> Result:
        # fresh copies: kmodes updates its init arrays in place
        m = KmodesKPrototypes(K, init=[num.copy(), codes.copy()], n_init=1, n_jobs=1)
        m.fit(X_obj, categorical=cat_pos)
        return Result(m.labels_, m.cost_, m.n_iter_)

    def segmint_fit() -> Result:
        m = segmint.KPrototypes(K, init=(num.copy(), labels.copy()), n_init=1).fit(df)
        return Result(m.labels_, m.cost_, m.n_iter_)

    times, res = time_alternating(
        {"kmodes": kmodes_fit, "segmint": segmint_fit}, {"kmodes": kmodes_repeats, "segmint": 5}
    )
    km, sg = res["kmodes"], res["segmint"]
    print(
        f"{len(df):>7,} same start (n_init=1): kmodes {times['kmodes']:8.2f} s ({km.n_iter} it)"
        f" | segmint {times['segmint'] * 1e3:7.1f} ms ({sg.n_iter} it)"
        f" | ratio {times['kmodes'] / times['segmint']:6.0f}x"
        f" | cost {km.cost:.6f} vs {sg.cost:.6f} (rel diff {abs(sg.cost - km.cost) / km.cost:.1e})"
        f" | labels equal {np.mean(km.labels == sg.labels):.2%}",
        flush=True,
    )


def default_inits(
    df: pd.DataFrame, X_obj: np.ndarray, cat_pos: list[int], n_init: int, kmodes_repeats: int
):
    def kmodes_fit() -> Result:
        m = KmodesKPrototypes(K, init="Huang", n_init=n_init, random_state=0, n_jobs=-1)
        m.fit(X_obj, categorical=cat_pos)
        return Result(m.labels_, m.cost_, m.n_iter_)

    def segmint_fit(init: str, update: str = "online") -> Callable[[], Result]:
        def fit() -> Result:
            m = segmint.KPrototypes(K, init=init, update=update, n_init=n_init, random_state=0)
            m.fit(df)
            return Result(m.labels_, m.cost_, m.n_iter_)

        return fit

    fits = {
        "kmodes": kmodes_fit,
        "segmint": segmint_fit("huang"),
        "segmint k-means++": segmint_fit("k-means++"),
        "segmint batch": segmint_fit("k-means++", "batch"),
    }
    repeats = {name: (kmodes_repeats if name == "kmodes" else 5) for name in fits}
    times, res = time_alternating(fits, repeats)
    km = res["kmodes"]
    print(
        f"{len(df):>7,} default inits (n_init={n_init}): kmodes Huang {times['kmodes']:8.2f} s"
        f" | segmint huang {times['segmint'] * 1e3:7.1f} ms"
        f" | ratio {times['kmodes'] / times['segmint']:6.0f}x"
        f" | best cost kmodes {km.cost:.4f}, segmint {res['segmint'].cost:.4f}"
        f" (ratio {res['segmint'].cost / km.cost:.6f})",
        flush=True,
    )
    for name in ("segmint k-means++", "segmint batch"):
        print(
            f"{'':>7}   for information: {name} {times[name] * 1e3:7.1f} ms, best cost "
            f"{res[name].cost:.4f} (ratio to kmodes {res[name].cost / km.cost:.6f})",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    # (n, kmodes repeats, n_init for the default-init comparison)
    sizes = [(2_000, 1, 2)] if args.quick else [(5_000, 3, 4), (50_000, 1, 4)]
    print(f"threads: {os.cpu_count()} cores; segmint {segmint.__version__}", flush=True)
    # warm up: segmint's thread pool, kmodes' joblib worker processes
    small, _ = make_data(300, seed=9)
    segmint.KPrototypes(K, n_init=2, random_state=0).fit(small)
    KmodesKPrototypes(K, init="Huang", n_init=2, n_jobs=-1, random_state=0).fit(
        small.to_numpy(dtype=object), categorical=[4, 5, 6, 7]
    )
    for n, kmodes_repeats, n_init in sizes:
        df, _ = make_data(n)
        X_obj = df.to_numpy(dtype=object)
        cat_pos = [df.columns.get_loc(c) for c in CATEGORICAL]
        same_start(df, X_obj, cat_pos, kmodes_repeats)
        default_inits(df, X_obj, cat_pos, n_init, kmodes_repeats)


if __name__ == "__main__":
    main()
