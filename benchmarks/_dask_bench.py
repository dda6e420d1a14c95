"""What the Dask benchmarks share: their command line, the 2-worker LocalCluster, and the
alternating timing of the distributed and the in-memory run with the medians printed."""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

from distributed import Client, LocalCluster


def arguments(
    quick_rows: int, full_rows: int, flags: tuple[tuple[str, str], ...] = ()
) -> tuple[argparse.Namespace, int, int]:
    """(arguments, rows, repeats) from `--quick`, `--rows`, `--repeats` and `--parts`, and the
    benchmark's own on/off `flags` (name, help)."""
    ap = argparse.ArgumentParser()
    for flag, text in flags:
        ap.add_argument(flag, action="store_true", help=text)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--parts", type=int, default=8)
    args = ap.parse_args()
    n = args.rows or (quick_rows if args.quick else full_rows)
    return args, n, 1 if args.quick else args.repeats


def partition_sizes(n: int, n_parts: int) -> list[int]:
    """Rows of each of about `n_parts` partitions of `n` rows (equal, the last one shorter)."""
    per = math.ceil(n / n_parts)
    return [per] * (n // per) + ([n % per] if n % per else [])


def cluster() -> tuple[LocalCluster, Client]:
    """The benchmarks' cluster: 2 worker processes of 1 thread each."""
    local = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    return local, Client(local)


def alternate(
    repeats: int, runs: dict[str, Callable[[], Any]], indent: str = "  "
) -> tuple[dict[str, float], dict[str, Any]]:
    """Runs each of `runs` in turn, `repeats` times, and prints each one's median and times;
    returns the medians and each run's last result."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    out: dict[str, Any] = {}
    for _ in range(repeats):
        for name, run in runs.items():
            t = time.perf_counter()
            out[name] = run()
            times[name].append(time.perf_counter() - t)
    med = {name: statistics.median(v) for name, v in times.items()}
    width = max(map(len, runs))
    for name, t in med.items():
        print(
            f"{indent}{name:{width}s} {t:8.2f} s   ({', '.join(f'{v:.2f}' for v in times[name])})"
        )
    return med, out
