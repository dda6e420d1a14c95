"""Segment profile: segmint.profile vs the equivalent pandas groupby + scipy tests, one process.

python benchmarks/profile.py           # 1,000,000 rows × 20 mixed columns, 6 segments
python benchmarks/profile.py --quick   # 100,000 rows
"""

from __future__ import annotations

import argparse
import statistics
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
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
