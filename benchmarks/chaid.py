"""segmint.CHAID against the `CHAID` PyPI package, side by side in one process.

Synthetic B2B data with planted structure: nominal predictors, a binary target whose response
rate depends on three of them (with interactions). Same data for both, runs alternate, one run
each; times are wall-clock seconds of `fit` from a DataFrame (segmint) / numpy arrays (package).

    python benchmarks/chaid.py            # both configurations of issue 4
    python benchmarks/chaid.py --quick    # 10x fewer rows (the package takes minutes otherwise)
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import segmint


def planted(n: int, n_pred: int, levels: list[int], seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    cols = {}
    for j in range(n_pred):
        k = levels[j % len(levels)]
        cols[f"x{j}"] = rng.integers(0, k, n).astype(np.int32)
    x0, x1, x2 = cols["x0"], cols["x1"], cols["x2"]
    logit = -1.0 + 0.8 * (x0 % 3 == 0) - 0.6 * (x1 < 2) + 0.5 * ((x0 % 2) * (x2 % 3 == 1))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int32)
    X = pd.DataFrame(
        {
            c: pd.Categorical.from_codes(v, [f"c{i}" for i in range(v.max() + 1)])
            for c, v in cols.items()
        }
    )
    return X, y


def run_segmint(X: pd.DataFrame, y: np.ndarray, depth: int, min_parent: int, min_child: int):
    t = time.perf_counter()
    m = segmint.CHAID(max_depth=depth, min_parent_size=min_parent, min_child_size=min_child).fit(
        X, y
    )
    return time.perf_counter() - t, m.n_leaves_


def run_package(X: pd.DataFrame, y: np.ndarray, depth: int, min_parent: int, min_child: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from CHAID import Tree
    codes = np.column_stack([X[c].cat.codes.to_numpy() for c in X.columns])
    t = time.perf_counter()
    tree = Tree.from_numpy(
        codes,
        y,
        max_depth=depth,
        min_parent_node_size=min_parent,
        min_child_node_size=min_child,
        split_titles=list(X.columns),
    )
    tree.build_tree()
    leaves = sum(1 for n in tree.tree_store if n.is_terminal)
    return time.perf_counter() - t, leaves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10x fewer rows")
    parser.add_argument("--only", choices=["1", "2"], help="run one configuration")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    configs = [
        (
            "1: 1,000,000 x 10, 4-8 categories, depth 5, min 30/30",
            1_000_000 // scale,
            [4, 5, 6, 7, 8],
            5,
            30,
            30,
            50,
        ),
        ("2: 100,000 x 10, 30 categories, depth 3", 100_000 // scale, [30], 3, 100, 50, 500),
    ]
    for k, (name, n, levels, depth, min_parent, min_child, target) in enumerate(configs, 1):
        if args.only and args.only != str(k):
            continue
        X, y = planted(n, 10, levels, seed=k)
        run_segmint(X.head(1000), y[:1000], depth, min_parent, min_child)  # warm-up
        ours, ours_leaves = run_segmint(X, y, depth, min_parent, min_child)
        ref, ref_leaves = run_package(X, y, depth, min_parent, min_child)
        print(
            f"{name} ({n:,} rows): segmint {ours:.3f} s ({ours_leaves} leaves), CHAID package "
            f"{ref:.2f} s ({ref_leaves} leaves): {ref / ours:.0f}x faster (target >= {target}x)"
        )


if __name__ == "__main__":
    main()
