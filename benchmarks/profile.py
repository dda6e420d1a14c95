"""Segment profile: segmint.profile vs the equivalent pandas groupby + scipy tests, one process.

python benchmarks/profile.py           # 1,000,000 rows × 20 mixed columns, 6 segments
python benchmarks/profile.py --quick   # 100,000 rows
python benchmarks/profile.py --scale   # time and peak memory at 1M / 2M / 4M rows, both sides
python benchmarks/profile.py --scale --quick   # 250k / 500k / 1M rows

The scale mode runs every measurement in a fresh subprocess: the time of one call and its peak
RSS above the RSS with the data loaded (VmHWM after resetting it through /proc/self/clear_refs),
then the time exponent between sizes (1 = linear).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import segmint as sg


def make_data(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    labels = pd.Series(rng.integers(0, 6, n), name="segment")
    cols: dict[str, object] = {}
    for j in range(12):
        cols[f"num{j}"] = rng.gamma(2.0, 100.0, n) * (1 + 0.1 * labels.to_numpy() * (j % 3))
    levels = [list("abcde"), ["north", "south", "east", "west"], ["s", "m", "l"]]
    for j in range(8):
        lv = levels[j % 3]
        cols[f"cat{j}"] = pd.Categorical(np.array(lv)[rng.integers(0, len(lv), n)])
    return pd.DataFrame(cols), labels


def pandas_scipy(df: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """The same numbers with pandas and scipy: group means, medians, sds, shares, ANOVA F,
    χ² tests."""
    out = {}
    g = df.groupby(labels, observed=True)
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            table = pd.crosstab(labels, df[col])
            chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
            out[col] = (chi2, p, table.div(table.sum(axis=1), axis=0))
        else:
            desc = g[col].agg(["mean", "median", "std"])
            groups = [df[col].to_numpy()[labels.to_numpy() == k] for k in range(6)]
            f = stats.f_oneway(*groups)
            out[col] = (f.statistic, f.pvalue, desc)
    return pd.DataFrame({c: v[:2] for c, v in out.items()}, index=["statistic", "p"]).T


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def scale_child(side: str, n: int) -> None:
    df, labels = make_data(n)
    base = _rss_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    t = time.perf_counter()
    if side == "segmint":
        sg.profile(df, labels)
    else:
        pandas_scipy(df, labels)
    elapsed = time.perf_counter() - t
    peak = _rss_kib("VmHWM")
    print(json.dumps({"time": elapsed, "extra": (peak - base) * 1024}))


def scale(sizes: list[int]) -> None:
    if not Path("/proc/self/clear_refs").exists():
        print("scale: needs Linux /proc (skipped)")
        return
    res: dict[str, list[dict[str, float]]] = {"segmint": [], "pandas+scipy": []}
    for n in sizes:
        for side in res:
            out = subprocess.run(
                [sys.executable, __file__, "--scale-child", side, str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            res[side].append(json.loads(out.stdout.strip().splitlines()[-1]))
        a, b = res["pandas+scipy"][-1], res["segmint"][-1]
        print(
            f"{n:>10,} rows: pandas+scipy {a['time']:6.2f} s {a['extra'] / 2**20:6.0f} MiB | "
            f"segmint {b['time']:6.2f} s {b['extra'] / 2**20:6.0f} MiB | "
            f"ratio {a['time'] / b['time']:.1f}x"
        )
    for side, rows in res.items():
        exps = [
            math.log(rows[i + 1]["time"] / rows[i]["time"]) / math.log(sizes[i + 1] / sizes[i])
            for i in range(len(rows) - 1)
        ]
        mib = " / ".join(f"{r['extra'] / 2**20:.0f}" for r in rows)
        overall = math.log(rows[-1]["time"] / rows[0]["time"]) / math.log(sizes[-1] / sizes[0])
        print(
            f"{side}: time exponent {' / '.join(f'{e:.2f}' for e in exps)} "
            f"(overall {overall:.2f}); peak memory "
            f"{mib} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--scale", action="store_true")
    parser.add_argument("--scale-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_child:
        scale_child(args.scale_child[0], int(args.scale_child[1]))
        return
    if args.scale:
        base = 250_000 if args.quick else 1_000_000
        scale([base, 2 * base, 4 * base])
        return
    n = 100_000 if args.quick else 1_000_000
    df, labels = make_data(n)
    times: dict[str, list[float]] = {"pandas+scipy": [], "segmint": []}
    for _ in range(3):
        t = time.perf_counter()
        ref = pandas_scipy(df, labels)
        times["pandas+scipy"].append(time.perf_counter() - t)
        t = time.perf_counter()
        prof = sg.profile(df, labels)
        times["segmint"].append(time.perf_counter() - t)
    a, b = statistics.median(times["pandas+scipy"]), statistics.median(times["segmint"])
    diff = (prof.tests["statistic"] - ref["statistic"]).abs() / ref["statistic"].abs()
    print(
        f"profile {n:,} × {df.shape[1]} mixed columns, 6 segments: pandas+scipy {a:.2f} s | "
        f"segmint {b:.2f} s | ratio {a / b:.1f}x | max rel. statistic diff {diff.max():.1e}"
    )


if __name__ == "__main__":
    main()
