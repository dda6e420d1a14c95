"""KPrototypes(update="batch") on a Dask LocalCluster (issue 14).

The promise checked here: a fit on a Dask DataFrame equals the in-memory batch fit on the same
rows from the same initial prototypes (``kprototypes_sample_init``) — prototypes, cost,
iteration count, ``gamma_`` to the last bit, the same labels — on 1, 3 and 7 partitions, with
weights, an empty cluster relocated, an empty partition; the in-memory batch fit is itself
checked against scikit-learn and a NumPy reference in test_kprototypes.py. Bad input raises on
the client naming the parameter or column; ``predict`` is lazy.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import segmint as sg  # noqa: E402
from segmint import distributed as sd  # noqa: E402
from segmint.errors import InvalidInputError  # noqa: E402


def mixed(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    """Planted truth: three groups in two numeric columns, a text and a categorical column
    whose frequencies depend on the group, and a bool."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 3, n)
    centres = np.array([[0.0, 0.0], [4.0, 1.0], [1.0, 5.0]])
    x = centres[g] + rng.normal(scale=1.2, size=(n, 2))
    region = np.where(rng.random(n) < 0.7, np.array(["north", "south", "east"])[g], "west")
    size = pd.Categorical(
        np.where(rng.random(n) < 0.6, np.array(["S", "M", "L"])[g], "M"),
        categories=["S", "M", "L"],
        ordered=True,
    )
    return pd.DataFrame(
        {
            "spend": x[:, 0],
            "visits": x[:, 1],
            "region": region,
            "size": size,
            "online": rng.random(n) < 0.3 + 0.2 * (g == 1),
        },
        index=pd.RangeIndex(100, 100 + n),
    )


def ddf(df, n):  # type: ignore[no-untyped-def]
    return dd.from_pandas(df, npartitions=n, sort=False)


def assert_same_fit(dist: sg.KPrototypes, mem: sg.KPrototypes, X: pd.DataFrame) -> None:
    # reference: the in-memory batch fit from the same prototypes; floats bit for bit
    assert dist.gamma_ == mem.gamma_
    assert dist.cost_ == mem.cost_
    assert dist.n_iter_ == mem.n_iter_
    assert np.array_equal(dist._numeric.view(np.int64), mem._numeric.view(np.int64))
    assert np.array_equal(dist._modes, mem._modes)
    pd.testing.assert_frame_equal(dist.cluster_centers_, mem.cluster_centers_, check_exact=True)
    labels = dist.labels_.compute()
    pd.testing.assert_series_equal(labels, mem.labels_, check_dtype=False)


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_batch_fit_bit_identical_to_memory(client, npartitions):
    df = mixed(60_000)  # more rows than the initial sample (50,000)
    X = ddf(df, npartitions)
    est = sg.KPrototypes(3, update="batch", random_state=0)
    start = sd.kprototypes_sample_init(est, X)
    dist = sg.KPrototypes(3, update="batch", random_state=0).fit(X)
    mem = sg.KPrototypes(3, update="batch", init=start).fit(df)
    assert_same_fit(dist, mem, df)


def test_weights_and_given_start_bit_identical(client):
    df = mixed(seed=1)
    w = pd.Series(np.random.default_rng(2).gamma(2.0, 1.0, len(df)), index=df.index)
    start = (
        np.array([[0.0, 0.0], [3.0, 3.0], [1.0, 4.0], [2.0, 0.0]]),
        [["north", "S", False], ["south", "M", True], ["east", "L", False], ["west", "M", False]],
    )
    params = dict(update="batch", init=start, gamma=1.5)
    mem = sg.KPrototypes(4, **params).fit(df, sample_weight=w.to_numpy())
    assert mem.n_iter_ >= 3
    dist = sg.KPrototypes(4, **params).fit(ddf(df, 3), sample_weight=ddf(w, 3))
    assert_same_fit(dist, mem, df)


def test_empty_cluster_relocated_as_in_memory(client):
    df = mixed(seed=3)
    # a prototype far from every row: its cluster is empty after the first pass
    start = (
        np.array([[0.0, 0.0], [4.0, 1.0], [1e6, 1e6]]),
        [["north", "S", False], ["south", "M", True], ["east", "L", False]],
    )
    params = dict(update="batch", init=start)
    mem = sg.KPrototypes(3, **params).fit(df)
    parts = [df.iloc[:2000], df.iloc[:0], df.iloc[2000:]]  # an empty partition too
    X = dd.from_delayed([distributed.get_client().scatter(p) for p in parts], meta=df.iloc[:0])
    dist = sg.KPrototypes(3, **params).fit(X)
    assert (mem.cluster_centers_["spend"] < 1e5).all()  # relocated
    assert_same_fit(dist, mem, df)


def test_predict_is_lazy_and_matches_memory(client):
    df = mixed(seed=4)
    mem = sg.KPrototypes(3, update="batch", random_state=0).fit(df)
    lazy = mem.predict(ddf(df, 3))
    assert hasattr(lazy, "dask")
    pd.testing.assert_series_equal(lazy.compute(), mem.predict(df), check_dtype=False)


def test_bad_input_on_the_client(client):
    df = mixed(n=500)
    with pytest.raises(InvalidInputError, match="update"):
        sg.KPrototypes(3).fit(ddf(df, 2))
    with pytest.raises(InvalidInputError, match="categorical"):
        sg.KPrototypes(3, update="batch", categorical=["region"]).fit(ddf(df, 2))
    bad = df.copy()
    bad.loc[bad.index[7], "visits"] = np.nan
    with pytest.raises(InvalidInputError, match="'visits'"):
        sg.KPrototypes(3, update="batch").fit(bad)
    with pytest.raises(InvalidInputError, match="'visits'"):
        sg.KPrototypes(3, update="batch").fit(ddf(bad, 2))
    with pytest.raises(InvalidInputError, match="n_clusters"):
        sg.KPrototypes(600, update="batch").fit(ddf(df, 2))


def test_levels_seen_in_one_partition_only(client):
    # a category present only in the last partition: the merged encoding is the in-memory one
    df = mixed(n=3000, seed=5)
    df.loc[df.index[-5:], "region"] = "abroad"
    start = sd.kprototypes_sample_init(
        sg.KPrototypes(3, update="batch", random_state=1), ddf(df, 4)
    )
    dist = sg.KPrototypes(3, update="batch", random_state=1).fit(ddf(df, 4))
    mem = sg.KPrototypes(3, update="batch", init=start).fit(df)
    assert list(dist._encoding.labels[2]) == list(mem._encoding.labels[2])
    assert_same_fit(dist, mem, df)
    assert list(itertools.islice(dist._encoding.labels[2], 0, 1)) == ["abroad"]


def test_worker_killed_mid_fit_gives_the_same_model(client, kill_worker_at):
    df = mixed(seed=6)
    start = (
        np.array([[0.0, 0.0], [3.0, 3.0], [1.0, 4.0]]),
        [["north", "S", False], ["south", "M", True], ["east", "L", False]],
    )
    mem = sg.KPrototypes(3, update="batch", init=start).fit(df)
    assert mem.n_iter_ >= 2
    calls = kill_worker_at(5)  # after the first batch pass: the partitions are on the workers
    dist = sg.KPrototypes(3, update="batch", init=start).fit(ddf(df, 3))
    assert calls["n"] > 5
    assert_same_fit(dist, mem, df)
    client.wait_for_workers(2, timeout=60)
