"""segmint.profile on a Dask LocalCluster (issue 14).

The promise checked here: a profile of a Dask DataFrame equals the in-memory profile on the same
rows — sizes, shares, means, medians, standard deviations, indices, category shares, every test
statistic and p-value (ANOVA, χ², Kruskal–Wallis), personas, names and small-segment warnings —
to the last bit, on 1, 3 and 7 partitions (the in-memory profile is itself checked against
scipy / pandas in test_profile.py). The one documented exception, weighted medians with
fractional weights, is checked against its bound. A worker killed mid-run gives the same profile;
bad input raises on the client naming the column.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import segmint  # noqa: E402
from segmint.errors import InvalidInputError  # noqa: E402
from segmint.profile import SmallSegmentWarning  # noqa: E402

TABLES = ("summary", "numeric", "categorical", "category_index", "tests")


def ddf(df: pd.DataFrame | pd.Series, n: int):  # type: ignore[no-untyped-def]
    return dd.from_pandas(df, npartitions=n, sort=False)


def pieces(df: pd.DataFrame | pd.Series, cuts: list[int]):  # type: ignore[no-untyped-def]
    """A Dask collection whose partitions are the rows between consecutive cuts."""
    import dask

    parts = [dask.delayed(df.iloc[a:b]) for a, b in itertools.pairwise(cuts)]
    return dd.from_delayed(parts, meta=df.iloc[:0])


def assert_same_profile(dist: segmint.SegmentProfile, mem: segmint.SegmentProfile) -> None:
    # reference: the in-memory profile on the same rows (checked against scipy / pandas in
    # test_profile.py); floats compared bit for bit (NaN where the in-memory table has NaN).
    for name in TABLES:
        a, b = getattr(dist, name), getattr(mem, name)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        fa, fb = a.select_dtypes("number").to_numpy(), b.select_dtypes("number").to_numpy()
        assert np.array_equal(fa.astype(float).view(np.int64), fb.astype(float).view(np.int64))
    assert dist.personas.equals(mem.personas)
    assert dist.names_.equals(mem.names_)
    assert dist.distinguishing.keys() == mem.distinguishing.keys()
    for seg, frame in mem.distinguishing.items():
        pd.testing.assert_frame_equal(dist.distinguishing[seg], frame, check_exact=True)


@pytest.fixture(scope="module")
def forbes(shared_data: Path) -> tuple[pd.DataFrame, pd.Series]:
    """Forbes 2000 companies (B2B: country, industry, sales, profits with losses and missing
    values, assets, market value) in segments of a k-means on the log scale."""
    df = pd.read_csv(shared_data / "customers" / "forbes2000.csv")
    X = df[["country", "category", "sales", "profits", "assets", "marketvalue"]]
    logs = np.log1p(df[["sales", "assets", "marketvalue"]].clip(lower=0))
    labels = segmint.KMeans(4, random_state=0).fit_predict((logs - logs.mean()) / logs.std())
    return X, pd.Series(labels, index=X.index, name="segment")


def planted(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """Ties, missing values, negative values and -0.0, a rare category, a bool, segments with
    missing labels (-1: no segment)."""
    rng = np.random.default_rng(seed)
    seg = rng.integers(0, 4, n)
    X = pd.DataFrame(
        {
            "spend": np.round(rng.gamma(2.0, 50.0, n) * (1 + seg), 1),  # many ties
            "score": rng.normal(seg * 0.3, 1.0, n),  # negative values
            "visits": rng.integers(0, 4, n).astype(float),  # few distinct values: big ties
            "zeros": rng.choice([-0.0, 0.0, 1.0], n),
            "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2]),
            "tier": pd.Categorical(rng.choice(["a", "b", "c"], n), categories=["a", "b", "c"]),
            "online": rng.random(n) < 0.4,
        }
    )
    X.loc[rng.random(n) < 0.05, "spend"] = np.nan
    X.loc[rng.random(n) < 0.02, "region"] = None
    X.loc[n - 7, "region"] = "west"  # a level seen in the last partition only
    labels = pd.Series(seg, index=X.index, name="segment")
    labels[rng.random(n) < 0.03] = -1
    return X, labels


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_forbes_profile_bit_identical(client, forbes, npartitions):
    X, labels = forbes
    mem = segmint.profile(X, labels, kruskal=True, min_size=0.1)
    assert X["profits"].isna().any() and (X["profits"] < 0).any()
    dist = segmint.profile(
        ddf(X, npartitions), ddf(labels, npartitions), kruskal=True, min_size=0.1
    )
    assert_same_profile(dist, mem)


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_planted_profile_bit_identical(client, npartitions):
    X, labels = planted(9000, seed=1)
    mem = segmint.profile(X, labels, kruskal=True)
    dist = segmint.profile(ddf(X, npartitions), ddf(labels, npartitions), kruskal=True)
    assert_same_profile(dist, mem)
    # the test statistics themselves against scipy (independent of both code paths)
    from scipy import stats

    kept = labels >= 0
    groups = [X.loc[kept & (labels == g), "visits"] for g in range(4)]
    h = stats.kruskal(*groups).statistic
    assert dist.tests.loc["visits", "kruskal_h"] == pytest.approx(h, rel=1e-12)


def test_empty_partition_and_segment_absent_from_partitions(client):
    X, labels = planted(6000, seed=2)
    # segment 3 only in the first rows, sorted so most partitions never see it
    labels = labels.where(labels != 3, 2)
    labels.iloc[:50] = 3
    mem = segmint.profile(X, labels, kruskal=True)
    cuts = [0, 1500, 3000, 3000, 4500, 6000]  # the third partition is empty
    parts = pieces(X, cuts)
    lparts = pieces(labels, cuts)
    assert parts.npartitions == 5
    dist = segmint.profile(parts, lparts, kruskal=True)
    assert_same_profile(dist, mem)


def test_labels_as_column_lazy_predict_and_criteria(client, forbes):
    X, labels = forbes
    frame = X.assign(segment=labels)
    crit = segmint.Criteria(environmental=["country", "category"], individual=["sales", "assets"])
    mem = segmint.profile(frame, "segment", criteria=crit)
    dist = segmint.profile(ddf(frame, 3), "segment", criteria=crit)
    assert_same_profile(dist, mem)
    # labels from a model's lazy predict on the Dask frame
    spend = X[["sales", "assets", "marketvalue"]]
    km = segmint.KMeans(3, random_state=0).fit(spend)
    lazy = km.predict(ddf(spend, 3))
    assert_same_profile(
        segmint.profile(ddf(X, 3), lazy, kruskal=True),
        segmint.profile(X, km.labels_, kruskal=True),
    )


def test_small_segment_warning_on_dask(client):
    X, labels = planted(3000, seed=5)
    labels.iloc[:3000:100] = 9  # 30 rows
    with pytest.warns(SmallSegmentWarning, match="segments 9 are below min_size=50"):
        dist = segmint.profile(ddf(X, 3), ddf(labels, 3), min_size=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSegmentWarning)
        mem = segmint.profile(X, labels, min_size=50)
    assert_same_profile(dist, mem)
    assert dist.summary["small"].tolist() == [False, False, False, False, True]


def test_integer_weights_bit_identical(client):
    X, labels = planted(5000, seed=6)
    w = pd.Series(np.random.default_rng(6).integers(1, 6, len(X)).astype(float), index=X.index)
    mem = segmint.profile(X, labels, sample_weight=w, kruskal=True)
    dist = segmint.profile(ddf(X, 3), ddf(labels, 3), sample_weight=ddf(w, 3), kruskal=True)
    assert_same_profile(dist, mem)


def test_fractional_weights_medians_within_the_documented_bound(client):
    # Everything but a weighted median is bit-identical; a weighted median may differ only if
    # the in-memory cumulative weight at a value is within n·2⁻⁵³ (relative) of half the total.
    for seed in range(5):
        X, labels = planted(4000, seed=10 + seed)
        w = pd.Series(np.random.default_rng(seed).gamma(2.0, 0.7, len(X)), index=X.index)
        mem = segmint.profile(X, labels, sample_weight=w)
        dist = segmint.profile(ddf(X, 3), ddf(labels, 3), sample_weight=ddf(w, 3))
        medians = mem.numeric.xs("median", level=1, drop_level=False)
        others = mem.numeric.drop(medians.index)
        pd.testing.assert_frame_equal(dist.numeric.drop(medians.index), others, check_exact=True)
        for name in ("summary", "categorical", "tests"):
            pd.testing.assert_frame_equal(
                getattr(dist, name), getattr(mem, name), check_exact=True
            )
        got = dist.numeric.loc[medians.index]
        for (var, _), row in medians.iterrows():
            for seg, m in row.items():
                if got.at[(var, "median"), seg] == m or (
                    np.isnan(m) and np.isnan(got.at[(var, "median"), seg])
                ):
                    continue
                keep = (labels >= 0) & X[var].notna()
                if seg != "overall":
                    keep &= labels == seg
                v, ww = X.loc[keep, var].to_numpy(float), w[keep].to_numpy()
                total = ww.sum()
                at = ww[v <= min(m, got.at[(var, "median"), seg])].sum()
                assert abs(at - total / 2) <= len(v) * 2.0**-53 * total * 4, (var, seg)


def test_worker_killed_mid_run_gives_the_same_profile(client, kill_worker_at):
    X, labels = planted(20_000, seed=3)
    mem = segmint.profile(X, labels, kruskal=True)
    calls = kill_worker_at(4)  # after the first pass, before the second
    try:
        dist = segmint.profile(ddf(X, 3), ddf(labels, 3), kruskal=True)
    except Exception as e:  # a clear error is allowed, a different profile is not
        assert "worker" in str(e).lower() or "KilledWorker" in type(e).__name__, e
    else:
        assert calls["n"] > 4
        assert_same_profile(dist, mem)
    client.wait_for_workers(2, timeout=60)


def test_bad_input_raises_on_the_client_naming_the_column(client):
    X, labels = planted(3000, seed=4)
    # reference: the in-memory profile's errors (same type, same column named)
    bad = X.copy()
    bad.loc[10, "score"] = np.inf
    for data in (bad, ddf(bad, 3)):
        lab = labels if isinstance(data, pd.DataFrame) else ddf(labels, 3)
        with pytest.raises(InvalidInputError, match=r"infinite values in column.*'score'") as e:
            segmint.profile(data, lab)
        assert e.value.what == "score"
    empty = X.assign(spend=np.nan)
    for data in (empty, ddf(empty, 3)):
        lab = labels if isinstance(data, pd.DataFrame) else ddf(labels, 3)
        with pytest.raises(InvalidInputError, match="column 'spend' has only missing values"):
            segmint.profile(data, lab)
    one = pd.Series(0, index=X.index)
    with pytest.raises(InvalidInputError, match="only one"):
        segmint.profile(ddf(X, 3), ddf(one, 3))
    with pytest.raises(InvalidInputError, match="labels: with a Dask X") as e:
        segmint.profile(ddf(X, 3), labels)
    assert e.value.what == "labels"
    with pytest.raises(InvalidInputError, match="labels: has 2 partitions, X has 3"):
        segmint.profile(ddf(X, 3), ddf(labels, 2))
    w = pd.Series(1.0, index=X.index)
    w.iloc[5] = -1.0
    with pytest.raises(InvalidInputError, match="sample_weight: weights must be non-negative"):
        segmint.profile(ddf(X, 3), ddf(labels, 3), sample_weight=ddf(w, 3))


@pytest.mark.parametrize("n", [1024, 3 * 1024 + 1, 5000])
def test_sizes_around_chunk_boundaries_bit_identical(client, n):
    # Partitions of uneven sizes, re-cut to the 1,024-row chunks of the in-memory kernel.
    X, labels = planted(n, seed=n)
    w = pd.Series(np.random.default_rng(n).integers(1, 4, n).astype(float), index=X.index)
    mem = segmint.profile(X, labels, sample_weight=w, kruskal=True)
    rng = np.random.default_rng(n)
    cuts = sorted({0, n, *rng.integers(1, n, 4).tolist()})
    dist = segmint.profile(
        pieces(X, cuts), pieces(labels, cuts), sample_weight=pieces(w, cuts), kruskal=True
    )
    assert_same_profile(dist, mem)


def test_dask_array_input_bit_identical(client):
    da = pytest.importorskip("dask.array")
    X, labels = planted(5000, seed=8)
    x = X[["spend", "score", "visits", "zeros"]].to_numpy()
    lab = labels.to_numpy()
    mem = segmint.profile(x, lab, kruskal=True)  # columns x0, x1, ... as in memory
    dist = segmint.profile(
        da.from_array(x, chunks=(1700, 4)), da.from_array(lab, chunks=1700), kruskal=True
    )
    assert_same_profile(dist, mem)
