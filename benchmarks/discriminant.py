"""Discriminant analysis: segmint.DiscriminantAnalysis vs scikit-learn's
LinearDiscriminantAnalysis(solver="eigen"), one process, medians of alternating runs.

segmint's fit computes the whole SPSS table set (Wilks' λ per function set, univariate F,
Box's M with every group's covariance, structure matrix, Fisher functions, the classification
table of the training rows); scikit-learn's computes predictions only.

python benchmarks/discriminant.py           # 1,000,000 × 50, 6 segments; LOO on 100,000 rows
python benchmarks/discriminant.py --quick   # 200,000 × 50; LOO on 20,000 rows
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

import segmint as sg


def make_data(n: int, p: int = 50, g: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, g, n)
    centres = rng.normal(scale=0.5, size=(g, p))
    mix = rng.normal(size=(p, p)) / np.sqrt(p) + np.eye(p)
    x = centres[y] + rng.normal(size=(n, p)) @ mix
    return np.ascontiguousarray(x), y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n = 200_000 if args.quick else 1_000_000
    n_loo = 20_000 if args.quick else 100_000
    x, y = make_data(n)
    times: dict[str, list[float]] = {"sklearn": [], "segmint": []}
    for _ in range(args.repeats):
        t = time.perf_counter()
        lda = LinearDiscriminantAnalysis(solver="eigen").fit(x, y)
        p_ref = lda.predict_proba(x)
        times["sklearn"].append(time.perf_counter() - t)
        t = time.perf_counter()
        da = sg.DiscriminantAnalysis(priors="size").fit(x, y)
        p_seg = da.predict_proba(x)
        times["segmint"].append(time.perf_counter() - t)
    a, b = statistics.median(times["sklearn"]), statistics.median(times["segmint"])
    agree = np.mean(p_ref.argmax(1) == np.asarray(p_seg).argmax(1))
    print(
        f"discriminant fit + predict_proba, {n:,} × {x.shape[1]}, 6 segments: "
        f"sklearn eigen {a:.3f} s | segmint (all tables + Box's M) {b:.3f} s | "
        f"ratio {a / b:.1f}x | same predicted segment on {agree:.4%} of rows"
    )
    xl, yl = x[:n_loo], y[:n_loo]
    fit_t, loo_t = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        sg.DiscriminantAnalysis().fit(xl, yl)
        fit_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        sg.DiscriminantAnalysis(cross_validate=True).fit(xl, yl)
        loo_t.append(time.perf_counter() - t)
    f, lo = statistics.median(fit_t), statistics.median(loo_t)
    print(
        f"leave-one-out table on {n_loo:,} rows: fit {f:.3f} s | fit + LOO {lo:.3f} s | "
        f"LOO alone {lo - f:.3f} s ({(lo - f) / f:.2f} of one fit)"
    )


if __name__ == "__main__":
    main()
