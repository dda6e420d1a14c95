"""Progress reporting overhead: a KMeans fit with verbose=False vs verbose=True (the bar drawn on
stderr every 50 ms from the kernels' progress state), alternating runs, medians, one process.

python benchmarks/progress.py           # 1,000,000 rows x 10 features, k = 8, n_init = 4
python benchmarks/progress.py --quick   # 200,000 rows
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time

import numpy as np

import segmint as sg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 200_000 if args.quick else 1_000_000
    X = np.random.default_rng(0).normal(size=(n, 10))
    times: dict[bool, list[float]] = {False: [], True: []}
    inertia = {}
    for _ in range(3):
        for verbose in (False, True):
            t = time.perf_counter()
            with contextlib.redirect_stderr(io.StringIO()):
                km = sg.KMeans(8, n_init=4, random_state=0, verbose=verbose).fit(X)
            times[verbose].append(time.perf_counter() - t)
            inertia[verbose] = km.inertia_
    quiet, loud = statistics.median(times[False]), statistics.median(times[True])
    same = inertia[False] == inertia[True]
    print(
        f"KMeans {n:,} x 10, k=8, n_init=4: verbose=False {quiet:.2f} s | verbose=True "
        f"{loud:.2f} s | ratio {loud / quiet:.3f} | same inertia: {same}"
    )


if __name__ == "__main__":
    main()
