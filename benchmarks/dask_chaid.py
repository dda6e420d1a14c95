"""Distributed CHAID: segmint on a 2-worker LocalCluster vs segmint in memory on the same
machine, side by side in one process (issue 14: within 2× of the in-memory fit).

The data (10 predictors: four nominal categoricals, one ordered categorical, five continuous
columns, two of them with heavy ties; a binary target planted on three of them) are generated
on the workers and persisted there; the same rows are then computed onto the client for the
in-memory fit. Fits alternate, the medians are printed with their ratio, the trees are compared
(they must be identical), followed by the paper scaling model of one level.

    python benchmarks/dask_chaid.py            # 10,000,000 × 10
    python benchmarks/dask_chaid.py --quick    # 1,000,000 × 10
    python benchmarks/dask_chaid.py --scale-target --rows 1000000
                                               # a continuous target (F test), planted on the
                                               # same three predictors
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

NOMINAL = {"region": 8, "channel": 4, "segment": 12, "device": 3}
SIZES = ["XS", "S", "M", "L", "XL"]


def block(i: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(2000 + i)
    cols: dict[str, object] = {}
    for name, k in NOMINAL.items():
        cols[name] = pd.Categorical.from_codes(
            rng.integers(0, k, rows), categories=[f"{name}{j}" for j in range(k)]
        )
    cols["size"] = pd.Categorical.from_codes(
        rng.integers(0, len(SIZES), rows), categories=SIZES, ordered=True
    )
    income = rng.lognormal(10, 0.6, rows)
    cols["income"] = income
    cols["age"] = np.round(rng.uniform(18, 80, rows))  # heavy ties
    cols["visits"] = rng.poisson(3.0, rows).astype(np.float64)  # heavier ties
    cols["spend"] = rng.gamma(2.0, 50.0, rows)
    noise = rng.normal(size=rows)
    noise[rng.random(rows) < 0.05] = np.nan
    cols["noise"] = noise
    region = np.asarray(cols["region"].codes)  # type: ignore[attr-defined]
    p = 0.15 + 0.25 * (income > 30_000) + 0.1 * (region < 3) + 0.02 * cols["visits"]
    cols["y"] = np.where(rng.random(rows) < p, "buy", "no")
    cols["value"] = 100.0 * p + rng.gamma(2.0, 10.0, rows)  # the continuous target
    return pd.DataFrame(cols)


def make_data(n: int, n_parts: int) -> dd.DataFrame:
    sizes = partition_sizes(n, n_parts)
    meta = block(0, 1).iloc[:0]
    parts = [dask.delayed(block)(i, s) for i, s in enumerate(sizes)]
    return dd.from_delayed(parts, meta=meta).persist()


def main() -> None:
    args, n, repeats = arguments(
        1_000_000, 10_000_000, (("--scale-target", "a continuous target (F test)"),)
    )
    cluster, client = start_cluster()
    data = make_data(n, args.parts)
    wait(data)
    target = "value" if args.scale_target else "y"
    X, y = data.drop(columns=["y", "value"]), data[target]
    local = data.compute()
    Xm, ym = local.drop(columns=["y", "value"]), local[target]
    params = {"max_depth": 3, "max_bins": 10}
    kind = "continuous" if args.scale_target else "binary"
    print(
        f"CHAID {n:,} × {X.shape[1]}, {kind} target, depth {params['max_depth']}, "
        f"{args.parts} partitions, 2 workers × 1 thread"
    )
    print(f"  segmint kernel threads per worker: {sd.kernel_threads(client)}")
    med, trees = alternate(
        repeats,
        {
            "segmint dask": lambda: segmint.CHAID(**params).fit(X, y),
            "segmint memory": lambda: segmint.CHAID(**params).fit(Xm, ym),
        },
    )
    ratio = med["segmint dask"] / med["segmint memory"]
    print(f"  segmint dask / segmint memory: {ratio:6.2f}×  (target ≤ 2×)")
    same = trees["segmint dask"].tree_.equals(trees["segmint memory"].tree_)
    print(f"  trees identical: {same} ({len(trees['segmint memory'].tree_)} nodes)")
    scaling_model(trees["segmint memory"], n, parts=args.parts, workers=2)
    scaling_model(trees["segmint memory"], 10**9, parts=100, workers=100)
    client.close()
    cluster.close()


def scaling_model(tree: segmint.CHAID, n: int, parts: int, workers: int) -> None:
    t = tree.tree_
    # Tables are padded to the widest predictor: categories (or at most 10 bins) + missing.
    widest_slots = max(len(lab) + 1 if lab is not None else 11 for lab in tree._encoding.labels)
    slots = len(tree._encoding.columns) * widest_slots
    classes = len(tree.classes_) or 4  # a continuous target: [Σf, Σw, Σw·y, Σw·y²]
    widest = int(
        max(((t["depth"] == d) & ~t["leaf"]).sum() for d in range(int(t["depth"].max()) + 1))
    )
    # Per maximal chunk-tree node a partition holds (about 2 log2 of its chunks).
    tree_nodes = max(1, 2 * math.ceil(math.log2(max(2, n / parts / 1024))))
    per_part = widest * slots * classes * 8 * tree_nodes
    read = n / workers * (len(tree._encoding.columns) * 4 + 4 + 8)
    print(
        f"  model, {n:,} rows in {parts} partitions on {workers} workers, per level: "
        f"{read / 1e6:,.0f} MB of codes read per worker, ≤ {widest} open nodes × {slots} "
        f"predictor slots × {classes} numbers × 8 B × ≤ {tree_nodes} chunk-tree nodes = "
        f"{per_part / 1e3:.1f} kB per partition, "
        f"{parts * per_part / 1e6:.2f} MB to the client"
    )


if __name__ == "__main__":
    main()
