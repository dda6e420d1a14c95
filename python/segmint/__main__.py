"""`python -m segmint demo`: segment the bundled wholesale customers end to end.

The command line itself (demo, segment, onedim) is in segmint.cli."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd

import segmint as sg
from segmint.datasets import SPEND_COLUMNS, load_wholesale


def demo(n_segments: int | None = None, seed: int = 0) -> None:
    customers = load_wholesale()
    print(f"{len(customers)} wholesale customers, annual spend on {len(SPEND_COLUMNS)} categories")

    # Spend is heavily skewed: cluster on standardised log spend.
    log_spend = np.log(customers[SPEND_COLUMNS])
    mean, sd = log_spend.mean(), log_spend.std()
    X = (log_spend - mean) / sd

    # How many segments? Criteria per k; the gap statistic recommends one.
    choice = sg.select_k(X, range(2, 8), n_refs=5, random_state=seed)
    print("\nChoosing k:")
    print(choice.round(3).to_string())
    k = n_segments or int(choice.index[choice["recommended"]][0])

    km = sg.KMeans(n_clusters=k, random_state=seed).fit(X)
    sizes = km.labels_.value_counts().sort_index()
    print(f"\nk-means, {k} segments (inertia {km.inertia_:.1f}, {km.n_iter_} iterations)")
    print(pd.DataFrame({"customers": sizes, "share %": (100 * sizes / sizes.sum()).round(1)}))

    # A centre in log-standardised units, mapped back: the typical (geometric-mean) spend.
    typical = np.exp(km.cluster_centers_ * sd + mean).round(-1).astype(int)
    print("\nTypical annual spend per segment (centre in original units):")
    print(typical.to_string())

    stable = sg.stability(sg.KMeans(n_clusters=k), X, n_boot=30, random_state=seed)
    print("\nStability (mean Jaccard over 30 bootstrap resamples):")
    print(stable[["size", "jaccard", "verdict"]].round(2).to_string())

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", sg.SmallSegmentWarning)
        prof = sg.profile(customers, km.labels_, min_size=0.1)
    for w in caught:
        print(f"\nWarning: {w.message}")
    print("\nWhat differs between segments (tests, Holm-adjusted):")
    tests = prof.tests[["test", "statistic", "p_holm", "effect", "effect_name"]]
    print(tests.round(3).to_string())
    print("\nPersonas:")
    for segment, text in prof.personas.items():
        print(f"  {segment}: {text}")

    # Contrast groups: which spend profile tells Retail from Horeca clients?
    tree = sg.CHAID(max_depth=2, min_parent_size=40, min_child_size=20, max_bins=5).fit(
        customers[["Region", *SPEND_COLUMNS]], customers["Channel"]
    )
    print(f"\nCHAID tree explaining Channel ({tree.n_leaves_} segments):")
    print(tree.export_text())
    print("\nGains for Retail (leaves, best first):")
    print(tree.gains(target_class="Retail").round(1).to_string())

    # Conjoint: what do tea buyers value, and which product would win?
    profiles, ratings, products = sg.datasets.load_tea()
    conjoint = sg.RatingConjoint().fit(profiles, ratings)
    print("\nConjoint (R conjoint's tea study, 100 respondents): attribute importance, %")
    print(conjoint.importance().round(1).to_string())
    sim = sg.MarketSimulator(conjoint)
    shares = pd.DataFrame(
        {
            "share_of_preference": sim.shares(products),
            "first_choice": sim.shares(products, rule="first_choice"),
        }
    )
    print("\nSimulated shares of four tea products, %:")
    print(pd.concat([products.astype(str), shares.round(1)], axis=1).to_string())
    needs = sg.conjoint.segment_preferences(conjoint, 3, random_state=seed)
    print("\nNeeds-based segments (k-means on standardised part-worths), mean part-worths:")
    print(conjoint.part_worths_.groupby(needs).mean().round(2).to_string())

    # Discriminant analysis: which spend criteria separate the k-means segments, how well?
    da = sg.DiscriminantAnalysis(cross_validate=True).fit(X, km.labels_)
    print("\nDiscriminant analysis of the k-means segments (log spend): functions")
    print(da.eigenvalues_.join(da.wilks_.set_index(da.eigenvalues_.index)).round(3).to_string())
    print("\nStructure matrix (correlation of each spend category with the functions):")
    print(da.structure_.round(2).to_string())
    hits = (100 * da.hit_rate_).round(1)
    print(f"Hit rate: {hits['original']} % (leave-one-out {hits['cross-validated']} %)")
    demo_onedim()


def demo_onedim() -> None:
    """One criterion at a time on invoice lines: ABC, RFM segments, frequency classes."""
    lines = sg.datasets.load_online_retail_sample()
    summary = sg.customer_summary(
        lines,
        customer="CustomerID",
        date="InvoiceDate",
        quantity="Quantity",
        price="UnitPrice",
        invoice="InvoiceNo",
        cancellations="count",
    )
    print(
        f"\nOnline Retail sample: {len(lines):,} invoice lines -> {len(summary):,} customers "
        f"({summary.attrs['dropped']:,} lines without a customer id dropped, "
        f"{summary.attrs['cancelled_only']} customers with cancellations only)"
    )
    abc = sg.abc(summary["monetary"])
    top = float(abc.lorenz_["value_share"].iloc[int(0.2 * len(summary))])
    print(
        f"\nABC analysis of revenue (cuts 80 % / 95 %): the top 20 % of customers bring "
        f"{100 * top:.1f} % of revenue, Gini {abc.gini_:.3f}"
    )
    print(abc.summary_.round(3).to_string())
    computed = sg.abc(summary["monetary"], method="computed")
    print(
        "Computed ABC (Ultsch & Lotsch) cuts at "
        + " / ".join(f"{100 * c:.1f} %" for c in computed.cuts_)
        + " of revenue: "
        + ", ".join(f"{k} {v}" for k, v in computed.summary_["count"].items())
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        rfm = sg.rfm(summary)
    for w in caught:
        print(f"Note: {w.message}")
    print("\nRFM segments (scores 1-5 from ranks, the standard rule table):")
    print(rfm.summary_[rfm.summary_["count"] > 0].round(2).to_string())
    freq = sg.frequency_classes(summary)
    print("\nPurchase-frequency classes (regular: bought in at least half the months):")
    print(freq.summary_.round(3).to_string())


def main(argv: list[str] | None = None) -> int:
    """The command line (subcommands demo, segment, onedim): see segmint.cli."""
    from segmint.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
