"""Factor analysis: segmint vs factor_analyzer 0.5.1 (bfi) and vs np.corrcoef (1,000,000 × 50).

factor_analyzer 0.5.1 (its latest release) fails to fit on scikit-learn >= 1.8, so this benchmark
runs in its own environment that pins the last scikit-learn it works with, with segmint's
release build installed into the same environment (both libraries in one process):

    cd /work/wt/factor   # the repository root
    python3 -m venv .bench-venv
    .bench-venv/bin/pip install factor_analyzer==0.5.1 "scikit-learn<1.8" "maturin>=1.9.4,<2"
    VIRTUAL_ENV=$PWD/.bench-venv .bench-venv/bin/maturin develop --release
    .bench-venv/bin/python benchmarks/factor.py            # full run
    .bench-venv/bin/python benchmarks/factor.py --quick    # smaller synthetic part

(``make bench-factor`` does the same.) Without factor_analyzer the bfi comparison is skipped.

Part 1, bfi (2,800 × 25 personality items, complete rows), 5 factors, minres + oblimin, with
factor_analyzer on numpy's default BLAS threads and on one BLAS thread (faster for it): the
median of alternating fits, the ratio and the largest loading difference after matching the
factors (factor_analyzer neither sorts nor sign-normalises them as psych does). Neither
normalises rows before oblimin (factor_analyzer's default, psych's, segmint
``kaiser_normalize=False``).

Part 2, 1,000,000 × 50 synthetic with 5 planted factors: segmint's correlation pass
(``segmint._core.factor_correlation``) vs ``np.corrcoef`` (both on all cores: numpy through its
threaded BLAS), and the whole ``FactorAnalysis(5, rotation="oblimin").fit`` against that pass.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

import segmint
from segmint import _core

BFI = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "factor" / "bfi.csv"


def median_times(fns: dict[str, object], repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()  # type: ignore[operator]
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def matched_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a − b| over the best column permutation and signs of b."""
    k = a.shape[1]
    best = np.inf
    for perm in itertools.permutations(range(k)):
        bp = b[:, perm]
        signs = np.sign((a * bp).sum(axis=0))
        signs[signs == 0] = 1
        best = min(best, float(np.abs(a - bp * signs).max()))
    return best


def bfi_part(repeats: int) -> None:
    try:
        from factor_analyzer import FactorAnalyzer
    except ImportError:
        print("bfi: factor_analyzer not installed here; see the docstring for the environment")
        return
    raw = pd.read_csv(BFI)
    items = [c for c in raw.columns if len(c) == 2 and c[0] in "ACENO" and c[1].isdigit()]
    X = raw[items].dropna()

    def fa_fit() -> np.ndarray:
        m = FactorAnalyzer(n_factors=5, method="minres", rotation="oblimin")
        m.fit(X)
        return m.loadings_

    def sg_fit() -> np.ndarray:
        m = segmint.FactorAnalysis(
            5, method="minres", rotation="oblimin", kaiser_normalize=False
        ).fit(X)
        return m.loadings_.to_numpy()

    # On 25 × 25 matrices BLAS threads mostly spin: factor_analyzer is faster with one BLAS
    # thread, so it is timed both ways (segmint does not use BLAS).
    from threadpoolctl import threadpool_limits

    fa_fit(), sg_fit()  # warm up
    print(f"bfi {X.shape[0]} x {X.shape[1]}, 5 factors, minres + oblimin ({repeats} runs)")
    for label, limit in (("default BLAS threads", None), ("one BLAS thread", 1)):
        with threadpool_limits(limit, user_api="blas"):
            t = median_times({"factor_analyzer": fa_fit, "segmint": sg_fit}, repeats)
        print(f"  [{label}]")
        print(f"  factor_analyzer 0.5.1 {t['factor_analyzer'] * 1e3:8.2f} ms")
        print(f"  segmint               {t['segmint'] * 1e3:8.2f} ms")
        print(f"  ratio factor_analyzer / segmint: {t['factor_analyzer'] / t['segmint']:.1f}x")
    diff = matched_difference(sg_fit(), fa_fit())
    print(f"  largest loading difference (matched factors): {diff:.2e}")


def synthetic(n: int, p: int, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    load = np.zeros((p, k))
    for j in range(p):
        load[j, j % k] = 0.5 + 0.4 * rng.random()
    F = rng.standard_normal((n, k))
    X = F @ load.T
    X += rng.standard_normal((n, p)) * 0.7
    X += rng.normal(size=p) * 10  # non-zero means
    return np.ascontiguousarray(X)


def big_part(n: int, p: int, repeats: int) -> None:
    X = synthetic(n, p, 5)
    _core.factor_correlation(X[:1000], n_threads=0)  # warm up the pool

    def ours() -> np.ndarray:
        return np.asarray(_core.factor_correlation(X, n_threads=0).cor)

    def numpy() -> np.ndarray:
        return np.corrcoef(X, rowvar=False)

    def fit() -> object:
        return segmint.FactorAnalysis(5, rotation="oblimin", kaiser_normalize=False).fit(X)

    t = median_times({"np.corrcoef": numpy, "segmint pass": ours, "segmint fit": fit}, repeats)
    diff = float(np.abs(ours() - numpy()).max())
    print(f"synthetic {n:,} x {p}, 5 planted factors ({repeats} runs)")
    print(f"  np.corrcoef           {t['np.corrcoef'] * 1e3:8.1f} ms")
    print(f"  segmint pass          {t['segmint pass'] * 1e3:8.1f} ms")
    print(f"  segmint whole fit     {t['segmint fit'] * 1e3:8.1f} ms")
    print(f"  ratio np.corrcoef / segmint pass: {t['np.corrcoef'] / t['segmint pass']:.2f}x")
    print(f"  ratio whole fit / segmint pass:   {t['segmint fit'] / t['segmint pass']:.2f}x")
    print(f"  largest correlation difference: {diff:.1e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller synthetic data, fewer runs")
    args = ap.parse_args()
    bfi_part(5 if args.quick else 11)
    if args.quick:
        big_part(100_000, 50, 3)
    else:
        big_part(1_000_000, 50, 5)


if __name__ == "__main__":
    main()
