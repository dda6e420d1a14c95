"""`python -m segmint demo`: segment the bundled wholesale customers end to end."""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

import segmint as sg
from segmint.datasets import SPEND_COLUMNS, load_wholesale


def demo(n_segments: int = 4, seed: int = 0) -> None:
    customers = load_wholesale()
    print(f"{len(customers)} wholesale customers, annual spend on {len(SPEND_COLUMNS)} categories")

    # Spend is heavily skewed: cluster on standardised log spend.
    log_spend = np.log(customers[SPEND_COLUMNS])
    mean, sd = log_spend.mean(), log_spend.std()
    km = sg.KMeans(n_clusters=n_segments, random_state=seed).fit((log_spend - mean) / sd)

    sizes = km.labels_.value_counts().sort_index()
    print(f"\nk-means, {n_segments} segments (inertia {km.inertia_:.1f}, {km.n_iter_} iterations)")
    print(pd.DataFrame({"customers": sizes, "share %": (100 * sizes / sizes.sum()).round(1)}))

    # A centre in log-standardised units, mapped back: the typical (geometric-mean) spend.
    typical = np.exp(km.cluster_centers_ * sd + mean).round(-1).astype(int)
    print("\nTypical annual spend per segment (centre in original units):")
    print(typical.to_string())

    channel = pd.crosstab(km.labels_, customers["Channel"], normalize="index")
    print("\nChannel mix per segment (share):")
    print(channel.round(2).to_string())

    # Contrast groups: which spend profile tells Retail from Horeca clients?
    tree = sg.CHAID(max_depth=2, min_parent_size=40, min_child_size=20, max_bins=5).fit(
        customers[["Region", *SPEND_COLUMNS]], customers["Channel"]
    )
    print(f"\nCHAID tree explaining Channel ({tree.n_leaves_} segments):")
    print(tree.export_text())
    print("\nGains for Retail (leaves, best first):")
    print(tree.gains(target_class="Retail").round(1).to_string())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m segmint", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="segment the bundled wholesale customer sample")
    p.add_argument("--segments", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.segments, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
