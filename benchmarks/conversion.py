"""Input conversion: a polars frame of mixed columns into segmint's conversion layer, against
polars' own `DataFrame.to_pandas()`, side by side in one process (medians of alternating runs).

The frame has 1,000,000 rows: two float columns, an integer, a text column (100 distinct
values), a Categorical and an Enum. segmint's conversion (`_frame.table.to_pandas`, what every
estimator calls on polars / pyarrow input) goes through Arrow, so it should cost about what
polars' own conversion costs (the target is within 2x).

    python benchmarks/conversion.py           # 1,000,000 rows, 7 alternating runs
    python benchmarks/conversion.py --quick   # 200,000 rows, 3 runs
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import polars as pl

from segmint._frame.table import to_pandas


def make_frame(n: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    labels = [f"industry {i}" for i in range(100)]
    text = np.array(labels, dtype=object)[rng.integers(0, 100, n)]
    return pl.DataFrame(
        {
            "spend": rng.normal(size=n),
            "margin": rng.uniform(size=n),
            "employees": rng.integers(1, 5000, n),
            "industry": text,
            "region": pl.Series(text).cast(pl.Categorical),
            "size": pl.Series(np.array(["S", "M", "L"], dtype=object)[rng.integers(0, 3, n)]).cast(
                pl.Enum(["S", "M", "L"])
            ),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, repeat = (200_000, 3) if args.quick else (1_000_000, 7)
    frame = make_frame(n)
    times: dict[str, list[float]] = {"polars.to_pandas": [], "segmint": []}
    for _ in range(repeat):
        t = time.perf_counter()
        ref = frame.to_pandas()
        times["polars.to_pandas"].append(time.perf_counter() - t)
        t = time.perf_counter()
        ours = to_pandas(frame)
        times["segmint"].append(time.perf_counter() - t)
    assert ours is not None and ours.shape == ref.shape
    assert bool(ours["size"].cat.ordered) and not bool(ours["region"].cat.ordered)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{n:,} rows × {frame.width} mixed columns, medians of {repeat} alternating runs")
    for k, v in med.items():
        print(f"  {k:<18} {v * 1000:8.1f} ms")
    print(f"  segmint / polars  {med['segmint'] / med['polars.to_pandas']:8.2f}x (target <= 2)")


if __name__ == "__main__":
    main()
