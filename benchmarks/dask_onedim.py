"""Distributed customer summary: segmint on a 2-worker LocalCluster vs segmint in memory on
the same machine, side by side in one process (issue 14, one-dimensional segmentation).

A synthetic transaction log (integer customer ids with a skewed purchase rate, invoices of 1-8
lines, datetimes in log order, 2 % cancellations as negative lines, about 20 lines per
customer) is generated on the workers and persisted there; the same lines are then computed
onto the client for the in-memory run. Runs alternate, the medians are printed with their
ratio, the summaries are compared (they must be identical to the last bit), then RFM and ABC
run on the customer table (in memory: it is small), followed by the paper model of the bytes
moved.

    python benchmarks/dask_onedim.py            # 20,000,000 lines
    python benchmarks/dask_onedim.py --quick    # 2,000,000 lines
"""

from __future__ import annotations

import time

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from _dask_bench import alternate, arguments, partition_sizes
from _dask_bench import cluster as start_cluster
from distributed import wait

import segmint as sg
from segmint import distributed as sd

START = np.datetime64("2023-01-01T00:00:00", "s")
DAYS = 730


def log_block(i: int, rows: int, n_parts: int, n_customers: int) -> pd.DataFrame:
    """Lines of partition `i`: the `i`-th slice of the two years, in time order."""
    rng = np.random.default_rng(5000 + i)
    n_inv = max(1, rows // 4)
    sizes = rng.integers(1, 8, n_inv)
    sizes = sizes[np.cumsum(sizes) <= rows]
    sizes = np.append(sizes, rows - sizes.sum()) if sizes.sum() < rows else sizes
    n_inv = len(sizes)
    # customers: a skewed rate (a few buy often), one customer per invoice
    cust = (n_customers * rng.power(0.35, n_inv)).astype(np.int64) + 100_000
    span = DAYS * 86_400 / n_parts
    secs = np.sort(rng.uniform(i * span, (i + 1) * span, n_inv)).astype(np.int64)
    invoice = np.arange(n_inv, dtype=np.int64) + i * (rows + 1) + 1
    line_inv = np.repeat(np.arange(n_inv), sizes)
    amount = np.round(rng.gamma(2.0, 40.0, rows), 2)
    cancel = np.repeat(rng.random(n_inv) < 0.02, sizes)
    amount[cancel] *= -1
    return pd.DataFrame(
        {
            "customer": cust[line_inv],
            "invoice": invoice[line_inv],
            "date": START + secs[line_inv].astype("timedelta64[s]"),
            "amount": amount,
        }
    )


def make_log(n: int, n_parts: int) -> dd.DataFrame:
    sizes = partition_sizes(n, n_parts)
    k = max(1, n // 20)
    meta = log_block(0, 8, 1, k).iloc[:0]
    parts = [dask.delayed(log_block)(i, s, len(sizes), k) for i, s in enumerate(sizes)]
    return dd.from_delayed(parts, meta=meta).persist()


def main() -> None:
    args, n, repeats = arguments(2_000_000, 20_000_000)
    cluster, client = start_cluster()
    log = make_log(n, args.parts)
    wait(log)
    local = log.compute()
    kw = dict(customer="customer", date="date", amount="amount", invoice="invoice")
    print(
        f"customer_summary of {n:,} lines ({local['customer'].nunique():,} customers), "
        f"{args.parts} partitions, 2 workers × 1 thread"
    )
    print(f"  segmint kernel threads per worker: {sd.kernel_threads(client)}")
    med, out = alternate(
        repeats,
        {
            "segmint dask": lambda: sg.customer_summary(log, **kw),
            "segmint memory": lambda: sg.customer_summary(local, **kw),
        },
    )
    print(f"  segmint dask / segmint memory: {med['segmint dask'] / med['segmint memory']:6.2f}×")
    same = out["segmint dask"].equals(out["segmint memory"])
    print(f"  summaries identical: {same} ({len(out['segmint memory']):,} customers)")
    summary = out["segmint dask"]
    t = time.perf_counter()
    sg.abc(summary)
    sg.rfm(summary, segments=None)
    t = time.perf_counter() - t
    print(f"  abc + rfm on the customer table (client, in memory): {t:.2f} s")
    model(n, len(summary), args.parts, workers=2)
    model(10**9, 5 * 10**7, 100, workers=100)
    client.close()
    cluster.close()


def model(n: int, customers: int, parts: int, workers: int) -> None:
    line = 8 + 8 + 8 + 8  # customer id, invoice, date, amount
    row = 15 * 8  # the customer table's columns
    print(
        f"  model, {n:,} lines in {parts} partitions on {workers} workers: "
        f"{n / workers * line / 1e6:,.0f} MB read per worker, about {n * line / 1e9:,.1f} GB "
        f"routed between workers (each line once, to its customer's bucket), "
        f"{customers * row / 1e6:,.0f} MB of customer table to the client"
    )


if __name__ == "__main__":
    main()
