"""CHAID on a Dask LocalCluster (issue 14).

The promise checked here is the issue's: a tree grown from a Dask DataFrame equals the in-memory
tree on the same rows — splits, merged groups, bin boundaries, node sizes and class counts,
statistics and p-values to the last bit — on 1, 3 and 7 partitions (the in-memory fit is itself
checked against IBM SPSS / R in test_chaid_reference.py, and one SPSS tree is checked here
directly); a worker killed mid-fit gives the same tree; bad input raises on the client naming
the column; predict / predict_proba / apply on a Dask DataFrame are lazy and equal in memory.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import segmint  # noqa: E402
from segmint._chaid_tree import TreeArrays  # noqa: E402
from segmint.errors import InvalidInputError, InvalidTypeError  # noqa: E402


@pytest.fixture(scope="module")
def kredit(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "chaid" / "kredit.csv")


def ddf(df: pd.DataFrame | pd.Series, n: int):  # type: ignore[no-untyped-def]
    return dd.from_pandas(df, npartitions=n, sort=False)


def assert_same_tree(dist: segmint.CHAID, mem: segmint.CHAID) -> None:
    # reference: the in-memory fit on the same rows (itself checked against IBM SPSS and R in
    # test_chaid_reference.py); floats compared bit for bit.
    for f in fields(TreeArrays):
        a, b = getattr(dist._tree, f.name), getattr(mem._tree, f.name)
        if f.name == "n_classes":
            assert a == b
            continue
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f.name
        if a.dtype.kind == "f":
            assert b.dtype.kind == "f", f.name
            assert np.array_equal(a.view(np.int64), b.view(np.int64)), f.name
        else:
            assert np.array_equal(a, b), f.name
    pd.testing.assert_frame_equal(dist.tree_, mem.tree_, check_exact=True)
    assert list(dist.classes_) == list(mem.classes_)
    assert list(getattr(dist, "feature_names_in_", [])) == list(
        getattr(mem, "feature_names_in_", [])
    )
    assert dist.risk_ == mem.risk_


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_kredit_continuous_predictors_bit_identical(client, kredit, npartitions):
    # Every kredit column is an integer column, hence continuous and binned (laufzeit, hoehe and
    # alter have many distinct values); the Exhaustive run merges down to two groups.
    X, y = kredit.drop(columns="kredit"), kredit["kredit"]
    for params in (
        {"max_depth": None, "min_parent_size": 20, "min_child_size": 7},
        {"exhaustive": True, "max_bins": 5, "test": "likelihood_ratio"},
    ):
        mem = segmint.CHAID(**params).fit(X, y)
        dist = segmint.CHAID(**params).fit(ddf(X, npartitions), ddf(y, npartitions))
        assert len(mem.tree_) > 5
        assert_same_tree(dist, mem)


def test_dask_array_input_bit_identical(client, kredit):
    da = pytest.importorskip("dask.array")
    x = kredit.drop(columns="kredit").to_numpy(dtype=np.float64)
    y = kredit["kredit"].to_numpy()
    mem = segmint.CHAID(max_depth=None, min_parent_size=20, min_child_size=7).fit(x, y)
    dist = segmint.CHAID(max_depth=None, min_parent_size=20, min_child_size=7).fit(
        da.from_array(x, chunks=(300, 7)), da.from_array(y, chunks=450)
    )
    assert not hasattr(dist, "feature_names_in_") and dist.n_features_in_ == 20
    assert_same_tree(dist, mem)
    # reference: the in-memory predict on the same array
    np.testing.assert_array_equal(
        dist.predict(dd.from_array(x[:100], columns=[f"x{j}" for j in range(20)])).compute(),
        mem.predict(x[:100]),
    )
    lazy = dist.predict(da.from_array(x[:100], chunks=(40, 20)))
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(lazy.compute(), mem.predict(x[:100]))


def test_kredit_tree_matches_spss(client, kredit):
    # reference: R CHAID regression test "tempkredit1" checked against IBM SPSS
    # (regtest_SPSS.Rout.save; also in test_chaid_reference.py): leaves as (path, n, class).
    X = pd.DataFrame({c: pd.Categorical(kredit[c]) for c in ["verm", "famges"]})
    y = kredit["kredit"].astype(str)
    tree = segmint.CHAID(max_depth=None, min_parent_size=20, min_child_size=7).fit(
        ddf(X, 3), ddf(y, 3)
    )
    t = tree.tree_
    leaves = {
        tuple(sorted(map(int, t.at[v, "categories"]))): int(t.at[v, "n"])
        for v in t.index[t["leaf"]]
    }
    assert leaves == {(1, 2): 106, (3, 4): 176, (2, 3): 564, (4,): 154}
    assert t.at[0, "split"] == "verm"


def planted(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Planted truth: buying depends on income (a threshold) and, above it, on the region; a
    count column with heavy ties, text with missing values, an ordered categorical, a boolean
    and a noise column with missing values."""
    rng = np.random.default_rng(seed)
    income = np.round(rng.lognormal(10, 0.6, n), 1)
    visits = rng.poisson(2.0, n).astype(np.int64)
    region = rng.choice(["north", "south", "east", "west"], n).astype(object)
    region[rng.random(n) < 0.03] = None
    size = pd.Categorical(
        rng.choice(["S", "M", "L", "XL"], n), categories=["S", "M", "L", "XL"], ordered=True
    )
    noise = rng.normal(size=n)
    noise[rng.random(n) < 0.05] = np.nan
    high = income > np.quantile(income, 0.6)
    p = np.where(high, np.where(np.isin(region, ["north", "east"]), 0.7, 0.45), 0.2)
    p = p + 0.05 * (visits > 3)
    y = np.where(rng.random(n) < p, "buy", "no")
    member = rng.random(n) < 0.3
    X = pd.DataFrame(
        {
            "income": income,
            "visits": visits,
            "region": region,
            "size": size,
            "noise": noise,
            "member": member,
        }
    )
    return X, pd.Series(y, name="buys")


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_planted_continuous_and_text_bit_identical(client, npartitions):
    # 30,000 rows: more than 2,048 per partition, so the bin boundaries are settled from the
    # values between samples (the third binning pass), with heavy ties in "visits".
    X, y = planted(30_000)
    mem = segmint.CHAID(max_depth=3, max_bins=12).fit(X, y)
    dist = segmint.CHAID(max_depth=3, max_bins=12).fit(ddf(X, npartitions), ddf(y, npartitions))
    assert mem.tree_.at[0, "split"] == "income"  # the planted first split
    assert_same_tree(dist, mem)


def test_empty_partitions_take_no_part(client):
    X, y = planted(6000, seed=5)
    df = X.assign(buys=y)
    parts = ddf(df, 4)
    # Partition 2 emptied by a filter: the rows of the other partitions, in order.
    kept = parts.map_partitions(
        lambda d: d.iloc[:0] if len(d) and 3000 <= d.index[0] < 4500 else d, meta=df.iloc[:0]
    )
    local = kept.compute()
    assert len(local) < 6000
    mem = segmint.CHAID().fit(local.drop(columns="buys"), local["buys"])
    dist = segmint.CHAID().fit(kept.drop(columns="buys"), kept["buys"])
    assert_same_tree(dist, mem)


def test_signed_zeros_break_as_in_memory(client):
    # Rounded small negatives are -0.0: the in-memory bins sort by total order and keep the
    # first value of a run of equal values, so the zero break is -0.0 (numpy's sort may turn
    # -0.0 into 0.0; the distributed binning must not).
    rng = np.random.default_rng(6)
    x = np.round(rng.normal(scale=1.5, size=6000))
    assert (np.signbit(x) & (x == 0)).any()
    y = pd.Series(np.where(rng.random(6000) < 0.3 + 0.2 * (x > 0), "a", "b"))
    X = pd.DataFrame({"x": x})
    mem = segmint.CHAID(max_bins=10).fit(X, y)
    zero = mem._tree.breaks == 0
    assert zero.any() and np.signbit(mem._tree.breaks[zero]).all()
    assert_same_tree(segmint.CHAID(max_bins=10).fit(ddf(X, 3), ddf(y, 3)), mem)


def test_frequency_weights_and_ordinal_bit_identical(client, shared_data):
    # The orders data with its whole-number FREQ weights (exact counts), one column declared
    # ordinal, rows of weight zero (they take no part).
    orders = pd.read_csv(shared_data / "chaid" / "orders.csv")
    cols = ["REG", "BUSIVOL", "FIRMSIZE", "SPEC", "AGE"]
    X, y, w = orders[cols], orders["RESP"], orders["FREQ"].fillna(0.0)
    params = {"max_depth": None, "min_parent_size": 20, "min_child_size": 7, "ordinal": "AGE"}
    mem = segmint.CHAID(**params).fit(X, y, sample_weight=w)
    dist = segmint.CHAID(**params).fit(ddf(X, 3), ddf(y, 3), sample_weight=ddf(w, 3))
    assert len(mem.tree_) > 3
    assert_same_tree(dist, mem)


def test_titanic_missing_values_bit_identical(client, shared_data):
    t = pd.read_csv(shared_data / "chaid" / "titanic.csv")
    X = t[["sex", "pclass", "embarked", "age", "fare", "sibsp"]]
    y = t["survived"]
    params = {
        "max_depth": 4,
        "min_parent_size": 30,
        "min_child_size": 10,
        "ordinal": ["pclass"],
        "split_merged": True,
        "alpha_merge": 0.1,
    }
    mem = segmint.CHAID(**params).fit(X, y)
    dist = segmint.CHAID(**params).fit(ddf(X, 7), ddf(y, 7))
    assert_same_tree(dist, mem)


def test_predict_is_lazy_and_matches_memory(client):
    X, y = planted(5000, seed=1)
    tree = segmint.CHAID().fit(X, y)
    new, _ = planted(3000, seed=2)
    lazy = tree.predict(ddf(new, 3))
    assert isinstance(lazy, dd.Series)
    # reference: the in-memory predict / predict_proba / apply on the same rows
    pd.testing.assert_series_equal(lazy.compute(), tree.predict(new))
    pd.testing.assert_frame_equal(
        tree.predict_proba(ddf(new, 3)).compute(), tree.predict_proba(new)
    )
    pd.testing.assert_series_equal(tree.apply(ddf(new, 3)).compute(), tree.apply(new))


def test_worker_killed_mid_fit_gives_the_same_tree(client, kill_worker_at):
    X, y = planted(20_000, seed=3)
    mem = segmint.CHAID(max_depth=3).fit(X, y)
    calls = kill_worker_at(5)  # after the binning, before the first level's tables
    try:
        dist = segmint.CHAID(max_depth=3).fit(ddf(X, 3), ddf(y, 3))
    except Exception as e:  # a clear error is allowed, a different tree is not
        assert "worker" in str(e).lower() or "KilledWorker" in type(e).__name__, e
    else:
        assert calls["n"] > 5
        assert_same_tree(dist, mem)
    client.wait_for_workers(2, timeout=60)


def test_bad_input_raises_on_the_client_naming_the_column(client):
    X, y = planted(3000, seed=4)
    # reference: the in-memory fit's errors (same type, same column named)
    bad_y = y.copy()
    bad_y.iloc[[5, 2500]] = None
    with pytest.raises(InvalidInputError, match="y: contains 2 missing values") as e:
        segmint.CHAID().fit(ddf(X, 3), ddf(bad_y, 3))
    assert e.value.what == "y"
    with pytest.raises(InvalidInputError, match="y: contains 2 missing values"):
        segmint.CHAID().fit(X, bad_y)
    dates = X.assign(when=pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(3000), "D"))
    with pytest.raises(InvalidTypeError, match="'when'") as e:
        segmint.CHAID().fit(ddf(dates, 3), ddf(y, 3))
    assert e.value.what == "when"
    with pytest.raises(InvalidTypeError, match="'when'"):
        segmint.CHAID().fit(dates, y)
    with pytest.raises(InvalidInputError, match=r"unknown column.*'nope'") as e:
        segmint.CHAID(ordinal=["nope"]).fit(ddf(X, 3), ddf(y, 3))
    assert e.value.what == "ordinal"
    inf = X.assign(income=X["income"].where(X.index != 7, np.inf))
    with pytest.raises(InvalidInputError, match=r"infinite values in column.*'income'") as e:
        segmint.CHAID().fit(ddf(inf, 3), ddf(y, 3))
    assert e.value.what == "income"
    empty = X.assign(noise=np.nan)
    with pytest.raises(InvalidInputError, match="'noise' has only missing values"):
        segmint.CHAID().fit(ddf(empty, 3), ddf(y, 3))
    with pytest.raises(InvalidInputError, match="partition"):
        segmint.CHAID().fit(ddf(X, 3), ddf(y, 2))
    with pytest.raises(InvalidInputError, match="sample_weight: weights must be non-negative"):
        segmint.CHAID().fit(ddf(X, 3), ddf(y, 3), sample_weight=ddf(-X["visits"], 3))
