"""CHAID on a Dask LocalCluster with a continuous (scale) target and with case weights (issue 14).

The promise checked here: a tree grown from a Dask DataFrame equals the in-memory tree on the
same rows — splits, merged groups, bins, node sizes, means and sums of squares, F statistics and
p-values — to the last bit, on 1, 3, 7 and uneven partitions. The in-memory fit adds every
weighted or continuous sum per 1,024-row chunk of the input and then along the fixed chunk tree;
the Dask fit re-cuts the partitions at chunk boundaries and merges the same partials in the same
order. The in-memory fit is itself checked against scipy's one-way ANOVA and SPSS in
test_chaid_reference.py, and its case weights against a numpy IPF in
test_chaid_options_reference.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from test_distributed_chaid import assert_same_tree, ddf, planted  # noqa: E402

import segmint  # noqa: E402
from segmint.errors import InvalidInputError, InvalidTypeError  # noqa: E402


@pytest.fixture(scope="module")
def kaffee(shared_data: Path) -> pd.DataFrame:
    return pd.read_csv(shared_data / "chaid" / "kaffee.csv")


def planted_scale(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Mixed predictors with missing values and heavy ties, and a continuous target whose mean
    depends on income and region (the planted first split is income)."""
    X, _ = planted(n, seed)
    rng = np.random.default_rng(seed + 100)
    high = (X["income"] > X["income"].quantile(0.5)).to_numpy()
    north = np.isin(X["region"].to_numpy(), ["north", "east"])
    y = 100.0 + 30.0 * high + 10.0 * (high & north) + 2.0 * X["visits"].to_numpy()
    y = y + rng.normal(0.0, 15.0, n)
    y = np.round(y, 2)  # ties in the target too
    return X, pd.Series(y, name="spend")


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_kaffee_scale_target_bit_identical(client, kaffee, npartitions):
    # 130,986 purchases (128 chunks): the purchase duration as a continuous target, the
    # coded columns as nominal (text), einkm and preis as numbers (binned).
    X = kaffee[["marke", "alter", "klasse", "persn", "bildg", "einkm", "preis"]].copy()
    for c in ["marke", "alter", "klasse", "persn", "bildg"]:
        X[c] = X[c].astype(str)
    y = kaffee["dauer"].astype(float)
    params = {"max_depth": 3, "target_type": "continuous"}
    mem = segmint.CHAID(**params).fit(X, y)
    assert len(mem.tree_) > 7
    dist = segmint.CHAID(**params).fit(ddf(X, npartitions), ddf(y, npartitions))
    assert_same_tree(dist, mem)


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_planted_scale_target_bit_identical(client, npartitions):
    X, y = planted_scale(30_000)
    params = {"max_depth": 3, "max_bins": 12, "split_merged": True}
    mem = segmint.CHAID(**params).fit(X, y)
    assert mem._continuous and mem.tree_.at[0, "split"] == "income"  # the planted split
    dist = segmint.CHAID(**params).fit(ddf(X, npartitions), ddf(y, npartitions))
    assert_same_tree(dist, mem)


def test_uneven_and_empty_partitions_bit_identical(client):
    X, y = planted_scale(12_000, seed=1)
    df = X.assign(spend=y)
    # Uneven partitions (not on chunk boundaries), one of them emptied by a filter.
    parts = dd.from_pandas(df, npartitions=1, sort=False).repartition(
        divisions=[0, 700, 5_000, 5_100, 11_999]
    )
    kept = parts.map_partitions(
        lambda d: d.iloc[:0] if len(d) and d.index[0] == 5_000 else d, meta=df.iloc[:0]
    )
    local = kept.compute()
    assert len(local) == 11_900
    params = {"max_depth": 4, "min_parent_size": 50, "min_child_size": 20}
    mem = segmint.CHAID(**params).fit(local.drop(columns="spend"), local["spend"])
    dist = segmint.CHAID(**params).fit(kept.drop(columns="spend"), kept["spend"])
    assert_same_tree(dist, mem)


@pytest.mark.parametrize("kind", ["integer", "fractional"])
def test_weights_with_a_scale_target_bit_identical(client, kind):
    X, y = planted_scale(20_000, seed=2)
    rng = np.random.default_rng(7)
    if kind == "integer":
        freq = pd.Series(rng.integers(0, 4, len(y)).astype(float))  # zeros take no part
        case = pd.Series(rng.integers(1, 5, len(y)).astype(float))
    else:
        freq = pd.Series(rng.uniform(0.1, 3.0, len(y)))
        freq[rng.random(len(y)) < 0.05] = 0.0
        case = pd.Series(rng.uniform(0.2, 5.0, len(y)))
    params = {"max_depth": 3, "min_parent_size": 60}
    for weights in (
        {"sample_weight": freq},
        {"case_weight": case},
        {
            "sample_weight": freq,
            "case_weight": case,
        },
    ):
        mem = segmint.CHAID(**params).fit(X, y, **weights)
        assert len(mem.tree_) > 3
        for n in (3, 7):
            dist = segmint.CHAID(**params).fit(
                ddf(X, n), ddf(y, n), **{k: ddf(v, n) for k, v in weights.items()}
            )
            assert_same_tree(dist, mem)


@pytest.mark.parametrize("kind", ["integer", "fractional"])
def test_case_weights_categorical_target_bit_identical(client, kind):
    X, y = planted(20_000, seed=6)
    rng = np.random.default_rng(8)
    if kind == "integer":
        case = pd.Series(rng.integers(1, 6, len(y)).astype(float))
    else:
        case = pd.Series(rng.uniform(0.2, 5.0, len(y)))
    freq = pd.Series(rng.uniform(0.5, 2.0, len(y)))
    params = {"max_depth": 3}
    for weights in ({"case_weight": case}, {"sample_weight": freq, "case_weight": case}):
        mem = segmint.CHAID(**params).fit(X, y, **weights)
        assert len(mem.tree_) > 3
        for n in (1, 3, 7):
            dist = segmint.CHAID(**params).fit(
                ddf(X, n), ddf(y, n), **{k: ddf(v, n) for k, v in weights.items()}
            )
            assert_same_tree(dist, mem)


def test_titanic_fare_with_missing_predictors_bit_identical(client, shared_data):
    t = pd.read_csv(shared_data / "chaid" / "titanic.csv")
    t = t[t["fare"].notna()].reset_index(drop=True)
    X = t[["sex", "pclass", "embarked", "age", "sibsp", "parch"]]
    y = t["fare"].astype(float)
    params = {"max_depth": 3, "min_parent_size": 30, "min_child_size": 10, "ordinal": "pclass"}
    mem = segmint.CHAID(**params).fit(X, y)
    assert mem._continuous and len(mem.tree_) > 3
    assert_same_tree(segmint.CHAID(**params).fit(ddf(X, 3), ddf(y, 3)), mem)


def test_scale_predict_is_lazy_and_matches_memory(client):
    X, y = planted_scale(8000, seed=3)
    tree = segmint.CHAID().fit(ddf(X, 3), ddf(y, 3))
    new, _ = planted_scale(3000, seed=4)
    lazy = tree.predict(ddf(new, 3))
    assert isinstance(lazy, dd.Series)
    mem = segmint.CHAID().fit(X, y)
    # reference: the in-memory tree's predict / apply on the same rows
    pd.testing.assert_series_equal(lazy.compute(), mem.predict(new), check_exact=True)
    pd.testing.assert_series_equal(tree.apply(ddf(new, 3)).compute(), mem.apply(new))


def test_worker_killed_mid_scale_fit_gives_the_same_tree(client, kill_worker_at):
    X, y = planted_scale(20_000, seed=5)
    w = pd.Series(np.random.default_rng(9).uniform(0.5, 2.0, len(y)))
    mem = segmint.CHAID(max_depth=3).fit(X, y, case_weight=w)
    calls = kill_worker_at(7)  # after the binning and the mean, before a level's tables
    try:
        dist = segmint.CHAID(max_depth=3).fit(ddf(X, 3), ddf(y, 3), case_weight=ddf(w, 3))
    except Exception as e:  # a clear error is allowed, a different tree is not
        assert "worker" in str(e).lower() or "KilledWorker" in type(e).__name__, e
    else:
        assert calls["n"] > 7
        assert_same_tree(dist, mem)
    client.wait_for_workers(2, timeout=60)


def test_bad_scale_input_raises_on_the_client_naming_the_column(client):
    X, y = planted_scale(3000, seed=6)
    ones = pd.Series(np.ones(len(y)))

    def both(exc, match, target, **weights):
        # reference: the in-memory fit's error (same type, same message, same column named)
        with pytest.raises(exc, match=match) as mem:
            segmint.CHAID().fit(X, target, **weights)
        with pytest.raises(exc, match=match) as dist:
            segmint.CHAID().fit(
                ddf(X, 3), ddf(target, 3), **{k: ddf(v, 3) for k, v in weights.items()}
            )
        assert dist.value.what == mem.value.what

    def at(s: pd.Series, i: int, v: float) -> pd.Series:
        s = s.copy()
        s.iloc[i] = v
        return s

    both(InvalidInputError, "y: contains 2 missing values", at(at(y, 4, np.nan), 2999, np.nan))
    both(InvalidInputError, "y: contains inf", at(y, 1500, np.inf))
    both(InvalidInputError, "y: contains inf", at(y, 1500, -np.inf))
    both(InvalidInputError, "case_weight: weights must be non-negative", y,
         case_weight=at(ones, 10, -1.0))  # fmt: skip
    both(InvalidInputError, "sample_weight: weights must be non-negative", y,
         sample_weight=at(ones, 2500, -1.0))  # fmt: skip
    both(InvalidInputError, "case_weight: must be positive", y, case_weight=at(ones, 10, 0.0))
    both(InvalidInputError, "case_weight: contains NaN or inf", y,
         case_weight=at(ones, 10, np.nan))  # fmt: skip
    both(InvalidInputError, "sample_weight: the weights sum to zero", y,
         sample_weight=ones * 0.0)  # fmt: skip
    text = pd.Series(np.where(y > 120, "a", "b"))
    with pytest.raises(InvalidTypeError, match="continuous target must be numeric"):
        segmint.CHAID(target_type="continuous").fit(X, text)
    with pytest.raises(InvalidTypeError, match="continuous target must be numeric") as e:
        segmint.CHAID(target_type="continuous").fit(ddf(X, 3), ddf(text, 3))
    assert e.value.what == "y"
    with pytest.raises(InvalidInputError, match="partition") as e:
        segmint.CHAID().fit(ddf(X, 3), ddf(y, 3), case_weight=ddf(ones, 2))
    assert e.value.what == "case_weight"
    with pytest.raises(InvalidInputError, match="case_weight") as e:
        segmint.CHAID().fit(ddf(X, 3), ddf(y, 3), case_weight=ones)  # not a Dask Series
    assert e.value.what == "case_weight"


def test_dask_array_scale_target_and_case_weights_bit_identical(client):
    da = pytest.importorskip("dask.array")
    X, y = planted_scale(9000, seed=7)
    x = X[["income", "visits", "noise"]].to_numpy(dtype=np.float64)
    w = np.random.default_rng(11).uniform(0.5, 4.0, len(y))
    mem = segmint.CHAID(max_depth=3).fit(x, y.to_numpy(), case_weight=w)
    assert len(mem.tree_) > 3
    chunks = (2000, 3500, 3500)  # uneven row chunks
    dist = segmint.CHAID(max_depth=3).fit(
        da.from_array(x, chunks=(chunks, 3)),
        da.from_array(y.to_numpy(), chunks=(chunks,)),
        case_weight=da.from_array(w, chunks=(chunks,)),
    )
    assert_same_tree(dist, mem)
