"""CHAID's options against an independent reference (tests/reference_chaid.py: the SPSS merging
rules written with scipy / NumPy), one predictor at a time at the root (max_depth = 1, no size
limits), on planted data: 3-5 categories, 2-3 classes, some categories sharing a class
distribution so that merging has work to do.

* Standard CHAID, Exhaustive CHAID, ``split_merged`` and the likelihood-ratio test: the same
  groups, statistic (scipy ``chi2_contingency``, Pearson or ``lambda_="log-likelihood"``),
  df, p and Bonferroni-adjusted p.
* Exhaustive CHAID by brute force: every grouping of the categories is enumerated and its p
  computed; segmint's grouping is the configuration with the smallest p on the path of
  most-similar-pair merges, as Exhaustive CHAID's rule says (it need not be the best of all
  groupings: how often it is is printed, not asserted).
* Case weights (non-constant): expected counts by an independent NumPy IPF run to convergence;
  segmint stops IPF at SPSS's default (no expected count moves by more than 1e-3), which on
  these tables is already converged: statistics agree to a relative 1e-8 (measured 3e-10), the
  decisions exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference_chaid import Table, canonical, merge, merge_path, set_partitions

import segmint

#: (seed, categories, classes, ordinal)
CASES = [
    (1, 5, 2, False),
    (2, 5, 3, False),
    (3, 4, 3, False),
    (4, 5, 2, True),
    (5, 5, 3, True),
    (6, 3, 2, False),
    (7, 4, 2, True),
    (8, 5, 3, False),
]


def _planted(seed: int, n_cat: int, n_cls: int, ordinal: bool, n: int = 1500):
    """A predictor whose categories fall in ceil(n_cat / 2) planted class distributions (with
    small per-category perturbations), and the response."""
    rng = np.random.default_rng(seed)
    n_types = (n_cat + 1) // 2
    base = rng.dirichlet(np.full(n_cls, 3.0), size=n_types)
    kind = np.sort(rng.integers(0, n_types, n_cat)) if ordinal else rng.integers(0, n_types, n_cat)
    probs = base[kind] + rng.uniform(0, 0.04, (n_cat, n_cls))
    probs /= probs.sum(axis=1, keepdims=True)
    x = rng.integers(0, n_cat, n)
    u = rng.random(n)
    y = (u[:, None] > probs[x].cumsum(axis=1)).sum(axis=1)
    labels = [f"c{i}" for i in range(n_cat)]
    X = pd.DataFrame(
        {"x": pd.Categorical.from_codes(x, labels, ordered=ordinal)},
    )
    classes = np.array([f"k{j}" for j in range(n_cls)])
    return X, pd.Series(classes[np.minimum(y, n_cls - 1)], name="y"), x, rng


def _table(x: np.ndarray, y: pd.Series, n_cat: int, weights=None) -> np.ndarray:
    codes = pd.Categorical(y).codes
    n_cls = codes.max() + 1
    w = np.ones(len(x)) if weights is None else weights
    out = np.zeros((n_cat, n_cls))
    np.add.at(out, (x, codes), w)
    return out


def _root(model: segmint.CHAID, n_cat: int) -> dict:
    t = model.tree_
    root = t.loc[0]
    children = t.index[t["parent"] == 0]
    groups = canonical([tuple(int(str(c)[1:]) for c in t.at[v, "categories"]) for v in children])
    assert sum(len(g) for g in groups) == n_cat
    return {
        "groups": groups,
        "statistic": root["statistic"],
        "df": root["df"],
        "p": root["p"],
        "p_adjusted": root["p_adjusted"],
    }


OPTIONS = {
    "standard": ({}, {}),
    "exhaustive": ({"exhaustive": True}, {"exhaustive": True}),
    "split_merged": (
        {"split_merged": True, "alpha_merge": 0.2, "alpha_split_merged": 0.1},
        {"split_merged": True, "alpha_merge": 0.2, "alpha_split_merged": 0.1},
    ),
    "likelihood_ratio": ({"test": "likelihood_ratio"}, {}),
}


@pytest.mark.parametrize("option", list(OPTIONS))
@pytest.mark.parametrize(("seed", "n_cat", "n_cls", "ordinal"), CASES)
def test_root_merge_equals_reference(seed, n_cat, n_cls, ordinal, option) -> None:
    # reference: reference_chaid.merge (SPSS rules) on the node table, statistics by scipy;
    # groups exact, statistic and p relative 1e-9, adjusted p relative 1e-9.
    params, ref_params = OPTIONS[option]
    X, y, x, _rng = _planted(seed, n_cat, n_cls, ordinal)
    model = segmint.CHAID(
        max_depth=1, min_parent_size=0, min_child_size=0, alpha_split=0.5, **params
    ).fit(X, y)
    test = "likelihood_ratio" if option == "likelihood_ratio" else "pearson"
    ref = merge(Table(_table(x, y, n_cat), test=test), ordinal, **ref_params)
    if len(ref["groups"]) < 2 or ref["p_adjusted"] > 0.5:
        assert pd.isna(model.tree_.at[0, "split"])
        return
    ours = _root(model, n_cat)
    assert ours["groups"] == ref["groups"]
    assert ours["statistic"] == pytest.approx(ref["statistic"], rel=1e-9)
    assert ours["df"] == ref["df"]
    assert ours["p"] == pytest.approx(ref["p"], rel=1e-9, abs=1e-300)
    assert ours["p_adjusted"] == pytest.approx(ref["p_adjusted"], rel=1e-9, abs=1e-300)


def test_options_change_the_groups_somewhere() -> None:
    # The cases exercise the options: for some case each option's reference grouping differs
    # from standard CHAID's (otherwise the tests above would not tell them apart).
    differs = {"exhaustive": 0, "split_merged": 0, "likelihood_ratio": 0}
    for seed, n_cat, n_cls, ordinal in CASES:
        _X, y, x, _ = _planted(seed, n_cat, n_cls, ordinal)
        counts = _table(x, y, n_cat)
        standard = merge(Table(counts), ordinal)["groups"]
        for option in differs:
            _params, ref_params = OPTIONS[option]
            test = "likelihood_ratio" if option == "likelihood_ratio" else "pearson"
            other = merge(Table(counts, test=test), ordinal, **ref_params)
            if option == "likelihood_ratio":
                differs[option] += other["statistic"] != merge(Table(counts), ordinal)["statistic"]
            else:
                differs[option] += other["groups"] != standard
    assert all(v > 0 for v in differs.values()), differs


@pytest.mark.parametrize(("seed", "n_cat", "n_cls", "ordinal"), CASES)
def test_exhaustive_choice_by_brute_force(seed, n_cat, n_cls, ordinal) -> None:
    # reference: every grouping of the categories enumerated (Bell(5) = 52 for 5), each one's
    # table tested with scipy; Exhaustive CHAID's rule: the smallest p among the configurations
    # on the most-similar-pair merging path (ordinal: groupings into contiguous runs only).
    X, y, x, _ = _planted(seed, n_cat, n_cls, ordinal)
    table = Table(_table(x, y, n_cat))
    model = segmint.CHAID(
        max_depth=1, min_parent_size=0, min_child_size=0, alpha_split=0.5, exhaustive=True
    ).fit(X, y)
    all_p = {}
    for groups in set_partitions(range(n_cat)):
        if len(groups) < 2:
            continue
        if ordinal and any(max(g) - min(g) + 1 != len(g) for g in groups):
            continue  # an ordinal predictor only merges neighbours
        all_p[tuple(canonical(groups))] = table.test(canonical(groups))[2]
    path = [tuple(canonical(g)) for g in merge_path(table, ordinal)]
    assert all(g in all_p for g in path)
    best_on_path = min(path, key=lambda g: all_p[g])
    ours = _root(model, n_cat)
    assert tuple(ours["groups"]) == best_on_path
    assert ours["p"] == pytest.approx(all_p[best_on_path], rel=1e-9)
    i = n_cat
    multiplier = (i * (i - 1) / 2 if ordinal else i * (i * i - 1) / 2) if i > 2 else 1.0
    assert ours["p_adjusted"] == pytest.approx(min(1.0, multiplier * ours["p"]), rel=1e-9)
    rank = sorted(all_p.values()).index(all_p[best_on_path]) + 1
    print(f"seed {seed}: Exhaustive CHAID's grouping ranks {rank} of {len(all_p)} by p")


@pytest.mark.parametrize(("seed", "n_cat", "n_cls", "ordinal"), CASES[:5])
def test_case_weights_equal_numpy_ipf(seed, n_cat, n_cls, ordinal) -> None:
    # reference: reference_chaid with case-weighted expected counts by NumPy IPF run to
    # convergence (tol 1e-12); segmint stops IPF at SPSS's epsilon 1e-3: statistic and p
    # relative 1e-8 (measured 3e-10), groups exact. Case weights depend on the class and the
    # category, so they change the expected counts (the unweighted statistic differs by more
    # than 1 %).
    X, y, x, rng = _planted(seed, n_cat, n_cls, ordinal)
    codes = pd.Categorical(y).codes
    w = rng.choice([0.5, 1.0, 2.0, 3.0], len(x)) * (1 + codes) * (1 + 0.3 * (x % 2))
    model = segmint.CHAID(
        max_depth=1, min_parent_size=0, min_child_size=0, alpha_split=0.5
    ).fit(X, y, case_weight=w)  # fmt: skip
    counts = _table(x, y, n_cat)
    ref = merge(Table(counts, case=_table(x, y, n_cat, w)), ordinal)
    plain = merge(Table(counts), ordinal)
    ours = _root(model, n_cat)
    assert ours["groups"] == ref["groups"]
    assert ours["statistic"] == pytest.approx(ref["statistic"], rel=1e-8)
    assert ours["p_adjusted"] == pytest.approx(ref["p_adjusted"], rel=1e-6, abs=1e-300)
    assert abs(plain["statistic"] / ref["statistic"] - 1) > 0.01
