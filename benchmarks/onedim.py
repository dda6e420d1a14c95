"""One-dimensional segmentation: segmint's customer_summary + rfm + abc vs the idiomatic pandas
pipeline (group-by with named aggregations, nunique invoices, rank scores, cumulative shares),
side by side in one process, medians of alternating runs; then the peak memory of the summary
on each side, measured in a fresh subprocess (peak RSS above the RSS with the data loaded).

python benchmarks/onedim.py            # Online Retail (541,909 lines) + 20,000,000 synthetic lines
python benchmarks/onedim.py --quick    # Online Retail + 2,000,000 synthetic lines
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import segmint as sg

RETAIL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "customers"
RETAIL_FILE = RETAIL / "online_retail.csv.gz"
COLUMNS = {"customer": "customer", "date": "date", "amount": "amount", "invoice": "invoice"}


def synthetic(n_lines: int, n_customers: int, seed: int = 0) -> pd.DataFrame:
    """An invoice-line log: invoices of ~5 lines, customers of skewed activity, two years of
    dates in time order, 2 % cancellation lines (negative amounts)."""
    rng = np.random.default_rng(seed)
    n_inv = max(1, n_lines // 5)
    weights = rng.lognormal(0.0, 1.2, n_customers)
    ids = rng.choice(10**6, n_customers, replace=False) + 10**6
    inv_customer = ids[
        np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(n_inv), side="right").clip(
            0, n_customers - 1
        )
    ]
    line_inv = np.sort(rng.integers(0, n_inv, n_lines))
    start = np.datetime64("2022-01-01T00:00", "ns")
    inv_time = start + np.sort(rng.integers(0, 730 * 86_400, n_inv)).astype("timedelta64[s]")
    amount = np.round(rng.lognormal(2.0, 1.0, n_lines), 2)
    amount[rng.random(n_lines) < 0.02] *= -1
    return pd.DataFrame(
        {
            "invoice": line_inv + 500_000,
            "customer": inv_customer[line_inv],
            "date": inv_time[line_inv],
            "amount": amount,
        }
    )


def online_retail() -> pd.DataFrame | None:
    if not RETAIL_FILE.is_file():
        return None
    df = pd.read_csv(
        RETAIL_FILE, dtype={"InvoiceNo": str, "StockCode": str}, parse_dates=["InvoiceDate"]
    )
    return pd.DataFrame(
        {
            "invoice": df["InvoiceNo"],
            "customer": df["CustomerID"],
            "date": df["InvoiceDate"],
            "amount": df["Quantity"] * df["UnitPrice"],
        }
    )


# --- the two pipelines ------------------------------------------------------------------------


def segmint_summary(df: pd.DataFrame) -> pd.DataFrame:
    return sg.customer_summary(df, **COLUMNS)


def segmint_pipeline(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    s = segmint_summary(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = sg.rfm(s, segments=None).scores_
    return s, scores, sg.abc(s["monetary"]).labels_


def pandas_summary(df: pd.DataFrame) -> pd.DataFrame:
    lines = df[df["customer"].notna() & (df["amount"] >= 0)]
    ref = lines["date"].max().normalize() + pd.Timedelta(days=1)
    s = lines.groupby("customer").agg(
        first_purchase=("date", "min"),
        last_purchase=("date", "max"),
        frequency=("invoice", "nunique"),
        monetary=("amount", "sum"),
        lines=("amount", "size"),
    )
    s["recency_days"] = (ref - s["last_purchase"]) / pd.Timedelta(days=1)
    s["mean_order_value"] = s["monetary"] / s["frequency"]
    return s


def pandas_pipeline(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    s = pandas_summary(df)
    n = len(s)

    def score(x: pd.Series) -> pd.Series:
        return 1 + (5 * (x.rank(method="min") - 1) // n).astype(np.int64)

    scores = pd.DataFrame(
        {"R": score(-s["recency_days"]), "F": score(s["frequency"]), "M": score(s["monetary"])}
    )
    m = s["monetary"].sort_values(ascending=False)
    above = (m.cumsum() - m) / m.sum()
    # Ties share the class of the first of them.
    above = above.groupby(m.to_numpy()).transform("min")
    labels = pd.cut(above, [-np.inf, 0.8, 0.95, np.inf], right=False, labels=list("ABC"))
    return s, scores, labels.reindex(s.index)


def timed(name: str, df: pd.DataFrame, runs: int) -> dict[str, float]:
    # Wall time, and CPU time of the process (all threads): on a shared machine the CPU
    # ratio says how much work each side does, the wall ratio what a user waits.
    times: dict[str, list[float]] = {"pandas": [], "segmint": []}
    cpu: dict[str, list[float]] = {"pandas": [], "segmint": []}
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        ref = pandas_pipeline(df)
        times["pandas"].append(time.perf_counter() - t)
        cpu["pandas"].append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        got = segmint_pipeline(df)
        times["segmint"].append(time.perf_counter() - t)
        cpu["segmint"].append(time.process_time() - c)
    a, b = statistics.median(times["pandas"]), statistics.median(times["segmint"])
    ca, cb = statistics.median(cpu["pandas"]), statistics.median(cpu["segmint"])
    diff = float(np.max(np.abs(got[0]["monetary"] - ref[0]["monetary"])))
    # Scores can differ where two customers' sums tie exactly in one summation order and not in
    # the other (pandas adds with Kahan compensation, segmint in chunk order): count them.
    n_diff = int((got[1] != ref[1].loc[got[1].index]).any(axis=1).sum())
    same_abc = bool((got[2].astype(str) == ref[2].loc[got[2].index].astype(str)).all())
    print(
        f"{name}: {len(df):,} lines, {len(got[0]):,} customers | pandas {a:.2f} s | "
        f"segmint {b:.2f} s | ratio {a / b:.1f}x | CPU pandas {ca:.2f} s, segmint {cb:.2f} s, "
        f"ratio {ca / cb:.1f}x | max |monetary diff| {diff:.1e} | "
        f"RFM scores differ for {n_diff} customers | ABC equal: {same_abc}"
    )
    return {"pandas": a, "segmint": b}


# --- memory in a subprocess -------------------------------------------------------------------


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def memory_child(side: str, n_lines: int, n_customers: int) -> None:
    df = synthetic(n_lines, n_customers)
    input_bytes = int(sum(df[c].to_numpy().nbytes for c in COLUMNS.values()))
    base = _rss_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    (segmint_summary if side == "segmint" else pandas_summary)(df)
    peak = _rss_kib("VmHWM")
    print(json.dumps({"extra": (peak - base) * 1024, "input": input_bytes}))


def memory(n_lines: int, n_customers: int) -> None:
    if not Path("/proc/self/clear_refs").exists():
        print("memory: needs Linux /proc (skipped)")
        return
    out = {}
    for side in ("segmint", "pandas"):
        res = subprocess.run(
            [sys.executable, __file__, "--memory-child", side, str(n_lines), str(n_customers)],
            capture_output=True,
            text=True,
            check=True,
        )
        out[side] = json.loads(res.stdout.strip().splitlines()[-1])
    inp = out["segmint"]["input"]
    print(
        f"peak memory of the summary above the loaded data, {n_lines:,} lines (input columns "
        f"{inp / 2**20:.0f} MiB): segmint {out['segmint']['extra'] / 2**20:.0f} MiB "
        f"({out['segmint']['extra'] / inp:.2f}x the input) | pandas "
        f"{out['pandas']['extra'] / 2**20:.0f} MiB ({out['pandas']['extra'] / inp:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        side, n, k = args.memory_child
        memory_child(side, int(n), int(k))
        return
    retail = online_retail()
    if retail is None:
        print(f"Online Retail not found at {RETAIL_FILE} (skipped)")
    else:
        timed("Online Retail", retail, runs=5)
        del retail
    n, k = (2_000_000, 20_000) if args.quick else (20_000_000, 200_000)
    df = synthetic(n, k)
    timed("synthetic log", df, runs=3)
    del df
    memory(n, k)


if __name__ == "__main__":
    main()
