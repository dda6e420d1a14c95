"""segmint.CHAID: the estimator's API, predictions, rules, gains, errors and invariants."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import segmint
from segmint.errors import InvalidInputError


def _customers(n: int = 4000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Planted structure: response depends on region, on size (ordinal) within the south, and
    on revenue (continuous); some missing values; a string index."""
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "east", "west"], n)
    size = rng.integers(0, 4, n)
    revenue = rng.gamma(2.0, 50.0, n)
    rate = np.where(np.isin(region, ["north", "east"]), 0.15, 0.4)
    rate = np.where((region == "south") & (size >= 2), 0.7, rate)
    rate = rate + 0.15 * (revenue > 150)
    y = np.where(rng.random(n) < rate, "buyer", "no")
    sizes = pd.Categorical.from_codes(size, ["S", "M", "L", "XL"], ordered=True)
    X = pd.DataFrame(
        {"region": region, "size": sizes, "revenue": revenue, "noise": rng.integers(0, 5, n)},
        index=pd.Index([f"C{i:05d}" for i in range(n)], name="customer"),
    )
    X.loc[X.index[::37], "size"] = np.nan
    X.loc[X.index[::53], "revenue"] = np.nan
    X["noise"] = X["noise"].astype(str)
    return X, pd.Series(y, index=X.index, name="response")


@pytest.fixture
def fitted() -> tuple[segmint.CHAID, pd.DataFrame, pd.Series]:
    X, y = _customers()
    return segmint.CHAID(max_depth=3).fit(X, y), X, y


def test_tree_structure_and_outputs(fitted) -> None:  # type: ignore[no-untyped-def]
    # reference: planted structure (response depends on region first) and the tree's own
    # bookkeeping (children partition their parent, counted from the data)
    model, X, _ = fitted
    t = model.tree_
    assert t.at[0, "split"] == "region"
    assert model.n_leaves_ == int(t["leaf"].sum()) > 3
    assert list(model.classes_) == ["buyer", "no"]
    assert set(t.columns) >= {
        "parent",
        "depth",
        "n",
        "weighted_n",
        "split",
        "groups",
        "p",
        "p_adjusted",
        "statistic",
        "df",
        "rule",
        "prediction",
    }
    # Children partition their parent.
    for v in t.index[~t["leaf"]]:
        kids = t[t["parent"] == v]
        assert kids["n"].sum() == t.at[v, "n"]
    imp = model.feature_importances_
    assert imp.shape == (4,) and imp.sum() == pytest.approx(1.0)
    assert imp[list(X.columns).index("region")] > imp[list(X.columns).index("noise")]
    assert 0 < model.risk_ < 0.5 and model.risk_std_error_ > 0
    table = model.classification_table_
    assert table.loc["overall %", "% correct"] == pytest.approx(100 * (1 - model.risk_))
    text = str(model)
    assert text.startswith("CHAID tree for response") and "split on region" in text
    assert "CHAID tree for" in model._repr_html_()


def test_training_predictions_equal_leaf_majority(fitted) -> None:  # type: ignore[no-untyped-def]
    # reference: pandas: leaf sizes, majority class and class shares counted from the data per leaf
    model, X, y = fitted
    leaves = model.apply(X)
    assert leaves.index.equals(X.index)
    pred = model.predict(X)
    proba = model.predict_proba(X)
    assert pred.index.equals(X.index) and proba.index.equals(X.index)
    for v, rows in leaves.groupby(leaves).groups.items():
        counts = y.loc[rows].value_counts()
        assert model.tree_.at[v, "n"] == len(rows)
        majority = max(
            model.classes_, key=lambda c: (counts.get(c, 0), -list(model.classes_).index(c))
        )
        assert (pred.loc[rows] == majority).all()
        assert proba.loc[rows, "buyer"].iloc[0] == pytest.approx(
            counts.get("buyer", 0) / len(rows)
        )
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_pandas_rules_select_exactly_the_leaf_rows(fitted) -> None:  # type: ignore[no-untyped-def]
    # reference: pandas DataFrame.query running the rules, vs apply
    model, X, _ = fitted
    leaves = model.apply(X)
    rules = model.rules("pandas")
    assert set(rules.index) == set(leaves.unique())
    for v, rule in rules.items():
        selected = X.query(rule).index
        assert selected.equals(leaves.index[leaves == v]), rule
    assert model.rules("text").str.contains("region").all()
    sql = model.rules("sql")
    assert sql.str.contains('"region" IN').any() or sql.str.contains('"region" NOT IN').any()


def _sqlite_leaves(rules: pd.Series, X: pd.DataFrame) -> pd.Series:
    """Run every SQL rule as ``SELECT ... WHERE <rule>`` in SQLite (stdlib ``sqlite3``) on X
    stored as a table (categories as text, missing values as NULL); the leaf of every row."""
    import sqlite3

    table = pd.DataFrame({"row_id": np.arange(len(X))})
    for c in X.columns:
        values = X[c].astype(object) if isinstance(X[c].dtype, pd.CategoricalDtype) else X[c]
        table[c] = values.to_numpy(dtype=object)
        table.loc[X[c].isna().to_numpy(), c] = None
    with sqlite3.connect(":memory:") as con:
        table.to_sql("customers", con, index=False)
        leaf = np.full(len(X), -1)
        for v, rule in rules.items():
            rows = [r for (r,) in con.execute(f"SELECT row_id FROM customers WHERE {rule}")]
            assert (leaf[rows] == -1).all(), f"rows in two leaves: {rule}"
            leaf[rows] = v
    con.close()
    return pd.Series(leaf, index=X.index)


def test_sql_rules_run_in_sqlite_select_the_leaf_rows(fitted) -> None:  # type: ignore[no-untyped-def]
    # reference: SQLite (stdlib sqlite3) executing the rules against the data, vs CHAID.apply;
    # on the training rows and on new rows with unseen labels and missing values.
    model, X, _ = fitted
    rules = model.rules("sql")
    new = X.head(60).copy()
    new["region"] = new["region"].astype(object)
    new.iloc[:10, 0] = "atlantis"  # never seen
    new.iloc[10:20, 0] = np.nan
    new.iloc[20:30, 2] = np.nan  # revenue missing
    for data in (X, new):
        got = _sqlite_leaves(rules, data)
        assert (got >= 0).all(), "rows in no leaf"
        pd.testing.assert_series_equal(got, model.apply(data), check_names=False)


def test_new_data_unseen_categories_and_missing_are_routed(fitted) -> None:  # type: ignore[no-untyped-def]
    # reference: pandas DataFrame.query running the rules on new rows, vs apply
    model, X, _ = fitted
    new = X.head(50).copy()
    new["region"] = new["region"].astype(object)
    new.iloc[:10, 0] = "atlantis"  # never seen
    new.iloc[10:20, 0] = np.nan
    leaves = model.apply(new)
    again = model.apply(new)
    assert leaves.equals(again)
    # Unseen labels go to the root's default (largest) child's subtree, like pandas' rules say.
    rules = model.rules("pandas")
    for v, rule in rules.items():
        assert new.query(rule).index.equals(leaves.index[leaves == v]), rule


def test_gains_table(fitted) -> None:  # type: ignore[no-untyped-def]
    # reference: pandas: counts and buyer totals from the data; cumulative shares end at 100 by
    # definition
    model, X, y = fitted
    g = model.gains(target_class="buyer")
    assert g["n"].sum() == len(X)
    assert g["gain n"].sum() == (y == "buyer").sum()
    assert g["cum gain %"].iloc[-1] == pytest.approx(100.0)
    assert g["cum index %"].iloc[-1] == pytest.approx(100.0)
    assert (np.diff(g["response %"]) <= 1e-12).all()
    with pytest.raises(InvalidInputError, match="target_class"):
        model.gains(target_class="nobody")


def test_continuous_target_predicts_leaf_means() -> None:
    # reference: pandas: the mean of y per leaf (relative 1e-9); planted split on region
    X, _ = _customers(3000, seed=1)
    y = (
        X["revenue"].fillna(0) * 0
        + np.where(X["region"] == "south", 10.0, 2.0)
        + np.random.default_rng(3).normal(0, 1, len(X))
    )
    X = X.drop(columns="revenue")
    model = segmint.CHAID(max_depth=2).fit(X, y.rename("spend"))
    leaves = model.apply(X)
    pred = model.predict(X)
    for rows in leaves.groupby(leaves).groups.values():
        assert pred.loc[rows].iloc[0] == pytest.approx(y.loc[rows].mean(), rel=1e-9)
    g = model.gains()
    assert g["cum index %"].iloc[-1] == pytest.approx(100.0)
    assert model.tree_.at[0, "split"] == "region"


def test_exhaustive_and_split_merged_and_g2_run(fitted) -> None:  # type: ignore[no-untyped-def]
    # reference: planted structure (root split on region); the options' numbers are checked against
    # an independent implementation in test_chaid_options_reference.py
    _, X, y = fitted
    for params in (
        {"exhaustive": True},
        {"split_merged": True, "alpha_split_merged": 0.01},
        {"test": "likelihood_ratio"},
    ):
        m = segmint.CHAID(**params).fit(X, y)
        assert m.tree_.at[0, "split"] == "region"


def test_deterministic_picklable_and_unmutated(fitted) -> None:  # type: ignore[no-untyped-def]
    # reference: segmint itself under a change that must not matter (refit, pickle; inputs
    # unmutated) — an invariance check, not accuracy
    model, X, y = fitted
    X0, y0 = X.copy(), y.copy()
    again = segmint.CHAID(max_depth=3, n_jobs=1).fit(X, y)
    pd.testing.assert_frame_equal(model.tree_, again.tree_)
    pd.testing.assert_frame_equal(X, X0)
    pd.testing.assert_series_equal(y, y0)
    clone = pickle.loads(pickle.dumps(model))
    assert clone.predict(X).equals(model.predict(X))


def test_case_weights_and_frequency_weights() -> None:
    # reference: SPSS's rule that constant case weights cancel in the expected counts (m_ij = α_i
    # β_j / w̄): same tree as without weights; non-constant weights are checked against NumPy IPF
    # in test_chaid_options_reference.py
    X, y = _customers(2000, seed=2)
    w = np.ones(len(X))
    base = segmint.CHAID().fit(X, y)
    same = segmint.CHAID().fit(X, y, sample_weight=w, case_weight=2 * w)
    pd.testing.assert_frame_equal(
        base.tree_.drop(columns=["statistic", "p", "p_adjusted", "log_p_adjusted"]),
        same.tree_.drop(columns=["statistic", "p", "p_adjusted", "log_p_adjusted"]),
    )
    np.testing.assert_allclose(base.tree_["statistic"], same.tree_["statistic"], rtol=1e-3)


@pytest.mark.parametrize(
    ("params", "fit_kwargs", "match"),
    [
        ({"alpha_merge": 0.0}, {}, "alpha_merge"),
        ({"alpha_split": 1.0}, {}, "alpha_split"),
        ({"ordinal": ["nope"]}, {}, "ordinal"),
        ({"max_bins": 1}, {}, "max_bins"),
        ({"test": "fisher"}, {}, "test"),
        ({}, {"sample_weight": -1.0}, "sample_weight"),
        ({}, {"case_weight": 0.0}, "case_weight"),
    ],
)
def test_bad_parameters(params, fit_kwargs, match) -> None:  # type: ignore[no-untyped-def]
    X, y = _customers(300)
    with pytest.raises(InvalidInputError, match=match):
        segmint.CHAID(**params).fit(X, y, **fit_kwargs)


def test_bad_data() -> None:
    X, y = _customers(300)
    with pytest.raises(InvalidInputError, match="single class"):
        segmint.CHAID().fit(X, pd.Series("a", index=X.index))
    with pytest.raises(InvalidInputError, match="missing"):
        segmint.CHAID().fit(X, y.where(np.arange(len(y)) > 3))
    bad = X.assign(empty=np.nan)
    with pytest.raises(InvalidInputError, match="empty"):
        segmint.CHAID().fit(bad, y)
    with pytest.raises(InvalidInputError, match=r"rows|values"):
        segmint.CHAID().fit(X, y.iloc[:10])
    model = segmint.CHAID().fit(X, y)
    with pytest.raises(InvalidInputError, match="region"):
        model.predict(X.drop(columns="region"))


def test_numpy_input_and_huge_statistics_do_not_underflow() -> None:
    # reference: planted: p underflows to 0 at this size, so log p must be finite and far below
    # −10,000
    rng = np.random.default_rng(5)
    n = 200_000
    x = rng.integers(0, 3, n)
    y = np.where(rng.random(n) < np.array([0.05, 0.5, 0.95])[x], 1, 0)
    model = segmint.CHAID(max_depth=1).fit(np.column_stack([x.astype(str)]), y)
    root = model.tree_.loc[0]
    assert root["log_p_adjusted"] < -10_000  # p itself underflows to 0
    assert np.isfinite(root["log_p_adjusted"])


def test_plot_returns_a_display(fitted) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    model, _, _ = fitted
    shown = model.plot()
    assert shown.figure_.axes and shown.ax_ in shown.figure_.axes
    import matplotlib.pyplot as plt

    plt.close(shown.figure_)


def test_partition_tables_drive_the_same_splits_as_the_tree() -> None:
    """The exposed kernels are the tree's own sufficient statistics: tables built on two row
    partitions and summed, then merged, reproduce the fitted tree's root split and its first
    level's splits (predictor, groups, adjusted p) — what a Dask driver would do."""
    # reference: the tree's own split decisions reproduced from the exposed kernels on row
    # partitions (consistency of the Dask path, not accuracy)
    from segmint.chaid import merge_table, node_tables

    rng = np.random.default_rng(4)
    n = 3000
    X = pd.DataFrame(
        {
            "region": rng.choice(["N", "S", "E", "W", "C"], n),
            "size": rng.choice(["small", "mid", "large"], n),
            "sector": rng.choice(list("abcdefg"), n),
        }
    )
    logit = (X["region"].isin(["N", "E"])) * 1.2 + (X["size"] == "large") * 0.8 - 1.0
    y = pd.Series(np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "buy", "no"))
    tree = segmint.CHAID(max_depth=2, min_parent_size=100, min_child_size=50).fit(X, y)
    t = tree.tree_
    # Encode as the tree did: each predictor's categories in the tree's label order.
    cols = list(X.columns)
    levels = [sorted(X[c].unique()) for c in cols]
    codes = np.column_stack(
        [pd.Index(lv).get_indexer(X[c]) for c, lv in zip(cols, levels, strict=True)]
    )
    classes = list(tree.classes_)
    yc = pd.Index(classes).get_indexer(y)
    n_levels = [len(lv) for lv in levels]

    def decide(tables: np.ndarray) -> tuple[str, list[set[str]], float]:
        best = None
        for j, table in enumerate(tables):
            m = merge_table(table[: n_levels[j] + 1], min_child_size=50)
            if m is not None and (best is None or m["ln_p_adjusted"] < best[2]):
                groups = [{levels[j][s] for s in g} for g in m["groups"]]
                best = (cols[j], groups, m["ln_p_adjusted"])
        assert best is not None
        return best

    half = n // 2
    root = np.zeros(n, dtype=np.int64)
    whole = node_tables(codes, n_levels, yc, len(classes), root, 1)
    parts = node_tables(codes[:half], n_levels, yc[:half], len(classes), root[:half], 1) + (
        node_tables(codes[half:], n_levels, yc[half:], len(classes), root[half:], 1)
    )
    np.testing.assert_array_equal(whole, parts)
    name, groups, ln_p = decide(parts[0])
    assert name == t.loc[0, "split"]
    assert ln_p == pytest.approx(t.loc[0, "log_p_adjusted"], rel=1e-12)
    children = t.index[t["parent"] == 0]
    assert sorted(map(sorted, groups)) == sorted(sorted(c) for c in t.loc[children, "categories"])
    # Level 2: one pass over the rows for all child nodes at once.
    leaf = tree.apply(X).to_numpy()
    child_of = {int(c): i for i, c in enumerate(children)}
    nodes = np.array([child_of.get(int(v), -1) for v in t.loc[leaf, "parent"]], dtype=np.int64)
    nodes[np.isin(leaf, children)] = [child_of[int(v)] for v in leaf[np.isin(leaf, children)]]
    tables = node_tables(codes, n_levels, yc, len(classes), nodes, len(children))
    for c, i in child_of.items():
        if pd.isna(t.loc[c, "split"]):
            continue
        name, groups, ln_p = decide(tables[i])
        assert name == t.loc[c, "split"]
        assert ln_p == pytest.approx(t.loc[c, "log_p_adjusted"], rel=1e-12)
