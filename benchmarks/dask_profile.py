"""Distributed segment profile: segmint.profile on a 2-worker LocalCluster vs segmint.profile in
memory on the same machine, side by side in one process (issue 14).

The data (a B2B customer table: 8 numeric columns — spend, orders, employees with heavy ties,
margins with negative values, some missing values — and 4 categoricals, 6 segments and a few
rows without a segment) are generated on the workers and persisted there; the same rows are then
computed onto the client for the in-memory profile. Runs alternate (Dask, memory, Dask, ...),
with and without Kruskal–Wallis; the medians are printed with their ratio, the profiles are
compared (they must be identical), followed by the paper model of what travels.

    python benchmarks/dask_profile.py            # 4,000,000 rows
    python benchmarks/dask_profile.py --quick    # 400,000 rows
"""

from __future__ import annotations

import math

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from _dask_bench import alternate, arguments, partition_sizes
from _dask_bench import cluster as start_cluster
from distributed import wait

import segmint
from segmint import distributed as sd

TABLES = ("summary", "numeric", "categorical", "category_index", "tests")


def block(i: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(4000 + i)
    seg = rng.integers(0, 6, rows)
    lift = 1.0 + 0.15 * seg
    cols: dict[str, object] = {
        "spend": rng.gamma(2.0, 400.0, rows) * lift,
        "orders": rng.poisson(6.0 * lift).astype(np.float64),  # heavy ties
        "employees": np.round(rng.lognormal(3.0, 1.2, rows)),  # ties
        "margin": rng.normal(0.05 * seg, 0.2, rows),  # negative values
        "tenure": rng.uniform(0, 20, rows),
        "returns": rng.gamma(1.0, 20.0, rows),
        "discount": np.round(rng.beta(2, 8, rows), 2),
        "visits": rng.poisson(3.0, rows).astype(np.float64),
    }
    cols["spend"][rng.random(rows) < 0.03] = np.nan  # type: ignore[index]
    for name, k in {"region": 8, "industry": 12, "channel": 3, "size": 5}.items():
        codes = np.minimum(rng.integers(0, k, rows), np.where(seg > 3, k - 1, k))
        cols[name] = pd.Categorical.from_codes(codes, categories=[f"{name}{j}" for j in range(k)])
    seg[rng.random(rows) < 0.01] = -1  # rows without a segment
    cols["segment"] = seg
    return pd.DataFrame(cols)


def make_data(n: int, n_parts: int) -> dd.DataFrame:
    sizes = partition_sizes(n, n_parts)
    meta = block(0, 1).iloc[:0]
    parts = [dask.delayed(block)(i, s) for i, s in enumerate(sizes)]
    return dd.from_delayed(parts, meta=meta).persist()


def same(a: segmint.SegmentProfile, b: segmint.SegmentProfile) -> bool:
    return all(getattr(a, t).equals(getattr(b, t)) for t in TABLES) and a.personas.equals(
        b.personas
    )


def main() -> None:
    args, n, repeats = arguments(400_000, 4_000_000)
    cluster, client = start_cluster()
    data = make_data(n, args.parts)
    wait(data)
    local = data.compute()
    print(
        f"profile {n:,} rows × {data.shape[1] - 1} columns, 6 segments, {args.parts} partitions, "
        "2 workers × 1 thread"
    )
    print(f"  segmint kernel threads per worker: {sd.kernel_threads(client)}")
    for kruskal in (False, True):
        print(f"  kruskal={kruskal}")
        med, out = alternate(
            repeats,
            {
                "dask": lambda kruskal=kruskal: segmint.profile(data, "segment", kruskal=kruskal),
                "memory": lambda kruskal=kruskal: segmint.profile(
                    local, "segment", kruskal=kruskal
                ),
            },
            indent="    ",
        )
        print(f"    dask / memory: {med['dask'] / med['memory']:6.2f}×")
        print(f"    profiles identical: {same(out['dask'], out['memory'])}")
    scaling_model(n, parts=args.parts, workers=2)
    scaling_model(10**9, parts=100, workers=100)
    client.close()
    cluster.close()


def scaling_model(n: int, parts: int, workers: int, p: int = 8, k: int = 6) -> None:
    """Bytes per pass: the sums pass sends each partition's chunk-tree nodes (at most about
    2 log₂(chunks) of them, each k + 3pk + Σ(k + 1) × levels doubles); the median selection
    sends samples (512 per group) and the values between two samples; Kruskal–Wallis moves
    each numeric value once between workers (8-byte key + 8-byte segment)."""
    levels = 8 + 12 + 3 + 5
    width = k + 3 * p * k + (k + 1) * levels
    chunks = n / parts / 1024
    nodes = 2 * max(1, math.ceil(math.log2(max(chunks, 2))))
    per_part = nodes * width * 8
    samples = parts * p * (k + 1) * 512 * 8
    shuffle = n * p * 16
    print(
        f"  model, {n:,} rows in {parts} partitions on {workers} workers: sums pass "
        f"≤ {nodes} nodes × {width} × 8 B = {per_part / 1e3:.0f} kB per partition "
        f"({parts * per_part / 1e6:.2f} MB to the client); median samples {samples / 1e6:.1f} MB; "
        f"Kruskal–Wallis regrouping {shuffle / 1e9:.2f} GB between workers"
    )


if __name__ == "__main__":
    main()
