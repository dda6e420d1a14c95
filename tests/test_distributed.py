"""Distributed fits on a Dask LocalCluster (issue 14).

The promise checked here is the issue's: a fit on a Dask collection equals the in-memory fit on
the same rows to the last bit, on 1, 3 and 7 partitions (the in-memory fit is itself checked
against scikit-learn below and in test_kmeans_reference.py); a worker killed mid-fit gives the
same model; bad input raises on the client naming the column.
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from sklearn.cluster import KMeans as SkKMeans  # noqa: E402

from segmint import DiscriminantAnalysis, FactorAnalysis, KMeans  # noqa: E402
from segmint import distributed as sd  # noqa: E402
from segmint.errors import InvalidInputError, InvalidTypeError  # noqa: E402

N, D, K = 9000, 3, 4


def blobs(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Planted truth: K well separated Gaussian blobs, one column name per feature."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=6.0, size=(K, D))
    truth = rng.integers(0, K, size=n)
    x = centres[truth] + rng.normal(size=(n, D))
    return pd.DataFrame(x, columns=["spend", "visits", "tenure"], index=np.arange(n) + 100)


def start_centres(df: pd.DataFrame) -> np.ndarray:
    # Rows spread over the data: a slow enough start for several Lloyd steps.
    return df.to_numpy()[[0, 1, 2, 3]].copy()


def assert_same_fit(a: KMeans, b: KMeans) -> None:
    # reference: the in-memory fit on the same rows (itself checked against scikit-learn in
    # test_kmeans_reference.py and below); bit-equality, the module's promise, not a tolerance.
    assert a.n_iter_ == b.n_iter_
    assert a.inertia_ == b.inertia_
    np.testing.assert_array_equal(a._offset, b._offset)
    np.testing.assert_array_equal(a.cluster_centers_.to_numpy(), b.cluster_centers_.to_numpy())


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_kmeans_dataframe_bit_identical_to_memory(client, npartitions):
    df = blobs()
    init = start_centres(df)
    ddf = dd.from_pandas(df, npartitions=npartitions, sort=False)
    assert ddf.npartitions == npartitions
    dist = KMeans(K, init=init).fit(ddf)
    mem = KMeans(K, init=init).fit(df)
    assert_same_fit(dist, mem)
    labels = dist.labels_.compute()
    pd.testing.assert_series_equal(labels, mem.labels_, check_dtype=False)
    assert list(dist.feature_names_in_) == ["spend", "visits", "tenure"]
    # reference: scikit-learn's Lloyd from the same centres: the same segments, centres to
    # rounding (its sums run in another order).
    sk = SkKMeans(K, init=init, n_init=1, algorithm="lloyd").fit(df.to_numpy())
    np.testing.assert_array_equal(labels.to_numpy(), sk.labels_)
    np.testing.assert_allclose(
        dist.cluster_centers_.to_numpy(), sk.cluster_centers_, rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("chunks", [N, 1300])
def test_kmeans_array_and_weights_bit_identical(client, chunks):
    df = blobs(seed=1)
    x = df.to_numpy()
    w = np.random.default_rng(5).uniform(0.5, 2.0, size=N)
    init = start_centres(df)
    dx, dw = da.from_array(x, chunks=(chunks, D)), da.from_array(w, chunks=chunks)
    dist = KMeans(K, init=init).fit(dx, sample_weight=dw)
    mem = KMeans(K, init=init).fit(x, sample_weight=w)
    assert_same_fit(dist, mem)
    np.testing.assert_array_equal(dist.labels_.compute(), mem.labels_.to_numpy())
    # Lazy scoring on a Dask array.
    dist_t = dist.transform(dx)
    assert isinstance(dist_t, da.Array)
    np.testing.assert_array_equal(dist_t.compute(), mem.transform(x))


def test_empty_cluster_relocated_as_in_memory(client):
    df = blobs(seed=2)
    init = start_centres(df)
    init[3] = 1e6  # attracts no row: relocated to the farthest row in the first step
    ddf = dd.from_pandas(df, npartitions=3, sort=False)
    dist = KMeans(K, init=init).fit(ddf)
    mem = KMeans(K, init=init).fit(df)
    assert_same_fit(dist, mem)
    assert (np.bincount(dist.labels_.compute(), minlength=K) > 0).all()


def test_kmeanspp_on_the_documented_sample(client):
    df = blobs(n=3000, seed=3)
    ddf = dd.from_pandas(df, npartitions=3, sort=False)
    est = KMeans(K, random_state=7, n_init=2)
    start = sd.kmeans_sample_init(est, ddf)
    dist = KMeans(K, random_state=7, n_init=2).fit(ddf)
    # The sample is all rows here (3000 < 50,000): the start is the in-memory fit's centres.
    np.testing.assert_array_equal(
        start, KMeans(K, random_state=7, n_init=2).fit(df).cluster_centers_.to_numpy()
    )
    assert_same_fit(dist, KMeans(K, init=start).fit(df))


def test_predict_is_lazy_and_matches_memory(client):
    df = blobs(seed=4)
    model = KMeans(K, init=start_centres(df)).fit(df)
    ddf = dd.from_pandas(df, npartitions=3, sort=False)
    lazy = model.predict(ddf)
    assert isinstance(lazy, dd.Series)
    pd.testing.assert_series_equal(lazy.compute(), model.predict(df), check_dtype=False)
    t = model.transform(ddf)
    assert isinstance(t, dd.DataFrame)
    pd.testing.assert_frame_equal(t.compute(), model.transform(df))


def _part(seed: int) -> pd.DataFrame:
    return blobs(n=2000, seed=seed)


def test_fitted_model_pickles_small(client):
    ddf = dd.from_map(_part, [10, 11, 12])
    init = start_centres(_part(10))
    model = KMeans(K, init=init).fit(ddf)
    blob = pickle.dumps(model)
    assert len(blob) < 20_000
    again = pickle.loads(blob)
    pd.testing.assert_series_equal(again.predict(_part(11)), model.predict(_part(11)))


def test_bad_input_names_the_column_on_the_client(client):
    df = blobs(seed=5)
    df.iloc[7000, 1] = np.nan  # in the last of 3 partitions
    with pytest.raises(InvalidInputError, match="visits") as e:
        KMeans(K, init=start_centres(blobs(seed=5))).fit(dd.from_pandas(df, npartitions=3))
    assert e.value.what == "visits"
    text = blobs(seed=5).assign(tier="gold")
    with pytest.raises(InvalidTypeError, match="tier"):
        KMeans(K).fit(dd.from_pandas(text, npartitions=2))
    w = da.from_array(-np.ones(N), chunks=3000)
    with pytest.raises(InvalidInputError, match="sample_weight"):
        KMeans(K).fit(da.from_array(df.fillna(0).to_numpy(), chunks=(3000, D)), sample_weight=w)


def test_importing_segmint_does_not_import_dask():
    code = "import sys, segmint, segmint.cluster; print('dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_assembled_blocks_are_aligned_and_keep_their_layout():
    # A block unpickled from network frames can start at any byte; the partition the kernels
    # read on every pass is made aligned once (same values, same memory order). Reference: the
    # rows sliced and concatenated by NumPy.
    from segmint.distributed._partitions import _assemble

    rng = np.random.default_rng(0)
    values = rng.normal(size=(50, 3))
    raw = bytearray(values.nbytes + 3)
    odd = np.frombuffer(raw, dtype=np.float64, count=values.size, offset=3).reshape(50, 3)
    odd[...] = values
    assert not odd.flags.aligned
    w = np.arange(50.0)
    (x, wx) = _assemble([(odd, w)], [(10, 40)])
    assert x.flags.aligned and x.flags.c_contiguous
    np.testing.assert_array_equal(x, values[10:40])
    np.testing.assert_array_equal(wx, w[10:40])
    (y, _) = _assemble([(np.asfortranarray(values), None), (odd, None)], [(0, 5), (45, 50)])
    assert y.flags.aligned and y.flags.f_contiguous
    np.testing.assert_array_equal(y, np.concatenate([values[:5], values[45:]]))


def test_worker_killed_mid_fit_gives_the_same_model(client, kill_worker_at):
    df = blobs(seed=1)
    init = start_centres(df)
    mem = KMeans(K, init=init, tol=0.0).fit(df)
    assert mem.n_iter_ >= 3
    calls = kill_worker_at(4)  # after the moments pass and the first Lloyd step
    ddf = dd.from_pandas(df, npartitions=3, sort=False)
    dist = KMeans(K, init=init, tol=0.0).fit(ddf)
    assert calls["n"] > 4
    assert_same_fit(dist, mem)
    client.wait_for_workers(2, timeout=60)


# --- FactorAnalysis -----------------------------------------------------------------------------


def items_frame(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    """Planted truth: two factors behind six items, 2 % of the values missing."""
    rng = np.random.default_rng(seed)
    loadings = np.array([[0.8, 0.7, 0.6, 0, 0, 0], [0, 0, 0, 0.8, 0.7, 0.6]])
    x = rng.normal(size=(n, 2)) @ loadings + rng.normal(scale=0.6, size=(n, 6)) + 3.0
    cols = ["price", "service", "delivery", "brand", "range", "advice"]
    df = pd.DataFrame(x, columns=cols, index=np.arange(n) + 100)
    return df.mask(rng.random(df.shape) < 0.02)


@pytest.mark.parametrize("npartitions", [1, 3, 7])
@pytest.mark.parametrize("missing", ["pairwise", "listwise"])
def test_factor_analysis_bit_identical_to_memory(client, npartitions, missing):
    df = items_frame()
    ddf = dd.from_pandas(df, npartitions=npartitions, sort=False)
    dist = FactorAnalysis(2, rotation="oblimin", missing=missing).fit(ddf)
    mem = FactorAnalysis(2, rotation="oblimin", missing=missing).fit(df)
    # reference: the in-memory fit on the same rows, to the last bit (the module's promise)
    for name in ("correlation_", "loadings_", "structure_", "phi_", "weights_"):
        pd.testing.assert_frame_equal(getattr(dist, name), getattr(mem, name), check_exact=True)
    pd.testing.assert_series_equal(dist.uniquenesses_, mem.uniquenesses_, check_exact=True)
    assert dist.n_iter_ == mem.n_iter_ and dist.fit_stats_ == mem.fit_stats_
    assert list(dist.feature_names_in_) == list(df.columns)
    # reference: pandas' correlation (pairwise-complete, or on the complete rows), to rounding
    want = df.corr() if missing == "pairwise" else df.dropna().corr()
    np.testing.assert_allclose(dist.correlation_.to_numpy(), want.to_numpy(), rtol=1e-12)
    # planted truth: the first three items load on one factor, the last three on the other
    top = dist.loadings_.abs().idxmax(axis=1)
    assert top.iloc[:3].nunique() == 1 and top.iloc[3:].nunique() == 1
    assert top.iloc[0] != top.iloc[3]
    scores = dist.transform(ddf)
    assert isinstance(scores, dd.DataFrame)
    pd.testing.assert_frame_equal(scores.compute(), mem.transform(df))


def test_factor_analysis_on_a_dask_array(client):
    x = items_frame(seed=1).fillna(0.0).to_numpy()
    dist = FactorAnalysis(2, rotation="varimax").fit(da.from_array(x, chunks=(1500, 3)))
    mem = FactorAnalysis(2, rotation="varimax").fit(x)
    np.testing.assert_array_equal(dist.loadings_.to_numpy(), mem.loadings_.to_numpy())
    assert dist.n_features_in_ == 6 and not hasattr(dist, "feature_names_in_")


def test_factor_analysis_bad_input_names_the_column(client):
    df = items_frame(seed=2)
    df.iloc[5000, 2] = np.inf  # in the last partition
    with pytest.raises(InvalidInputError, match="delivery"):
        FactorAnalysis(2).fit(dd.from_pandas(df, npartitions=3))
    with pytest.raises(InvalidInputError, match="n_factors"):
        FactorAnalysis().fit(dd.from_pandas(items_frame(seed=2), npartitions=3))
    const = items_frame(seed=2).assign(advice=1.0)
    with pytest.raises(InvalidInputError, match="advice"):
        FactorAnalysis(2).fit(dd.from_pandas(const, npartitions=3))


# --- DiscriminantAnalysis -----------------------------------------------------------------------


def segments_frame(n: int = 6000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Planted truth: three segments apart on two of five criteria."""
    rng = np.random.default_rng(seed)
    seg = rng.choice(["core", "growth", "niche"], size=n, p=[0.5, 0.3, 0.2])
    shift = {"core": (0.0, 0.0), "growth": (3.0, 0.5), "niche": (-0.5, 3.0)}
    x = rng.normal(size=(n, 5))
    x[:, :2] += np.array([shift[s] for s in seg])
    cols = ["revenue", "growth", "employees", "age", "distance"]
    index = np.arange(n) + 100
    return pd.DataFrame(x, columns=cols, index=index), pd.Series(seg, index=index, name="seg")


def assert_same_attributes(a: object, b: object) -> None:
    # reference: the in-memory fit on the same rows, every fitted attribute to the last bit
    names = sorted(k for k in vars(b) if k.endswith("_") and not k.startswith("_"))
    assert names == sorted(k for k in vars(a) if k.endswith("_") and not k.startswith("_"))
    for name in names:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(y, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        elif isinstance(y, pd.Series):
            pd.testing.assert_series_equal(x, y, check_exact=True)
        else:
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=name)


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_discriminant_bit_identical_to_memory(client, npartitions):
    X, y = segments_frame()
    dX = dd.from_pandas(X, npartitions=npartitions, sort=False)
    dy = dd.from_pandas(y, npartitions=npartitions, sort=False)
    params = {"method": "wilks", "cross_validate": True}
    dist = DiscriminantAnalysis(**params).fit(dX, dy)
    mem = DiscriminantAnalysis(**params).fit(X, y)
    assert_same_attributes(dist, mem)
    # planted truth: the two shifted criteria enter, the noise does not; segments separate
    assert set(dist.variables_) >= {"revenue", "growth"}
    assert dist.hit_rate_["original"] > 0.8
    pd.testing.assert_series_equal(dist.predict(dX).compute(), mem.predict(X))
    pd.testing.assert_frame_equal(dist.predict_proba(dX).compute(), mem.predict_proba(X))
    pd.testing.assert_frame_equal(dist.transform(dX).compute(), mem.transform(X))


def test_discriminant_on_dask_arrays_with_categorical_labels(client):
    X, y = segments_frame(seed=1)
    cat = y.astype(pd.CategoricalDtype(["niche", "core", "growth", "unused"]))
    dX = da.from_array(X.to_numpy(), chunks=(2000, 5))
    dy = dd.from_pandas(cat, npartitions=3, sort=False)
    with pytest.raises(InvalidInputError, match="partition them alike"):
        DiscriminantAnalysis().fit(dX, dd.from_pandas(cat, npartitions=2, sort=False))
    dist = DiscriminantAnalysis().fit(dd.from_pandas(X, npartitions=3, sort=False), dy)
    mem = DiscriminantAnalysis().fit(X, cat)
    assert list(dist.classes_) == ["niche", "core", "growth"]  # category order, observed
    assert_same_attributes(dist, mem)
    arr = DiscriminantAnalysis().fit(dX, da.from_array(y.to_numpy(), chunks=2000))
    assert_same_attributes(arr, DiscriminantAnalysis().fit(X.to_numpy(), y.to_numpy()))


def test_discriminant_bad_input_on_the_client(client):
    X, y = segments_frame(seed=2)
    with pytest.raises(InvalidInputError, match="Dask Series"):
        DiscriminantAnalysis().fit(dd.from_pandas(X, npartitions=3), y)
    lonely = y.copy()
    lonely.iloc[5000] = "solo"  # a one-member segment, in the last partition
    with pytest.raises(InvalidInputError, match="solo"):
        DiscriminantAnalysis().fit(
            dd.from_pandas(X, npartitions=3, sort=False),
            dd.from_pandas(lonely, npartitions=3, sort=False),
        )
    bad = X.copy()
    bad.iloc[4000, 3] = np.nan
    with pytest.raises(InvalidInputError, match="age"):
        DiscriminantAnalysis().fit(
            dd.from_pandas(bad, npartitions=3, sort=False),
            dd.from_pandas(y, npartitions=3, sort=False),
        )


def test_worker_killed_mid_discriminant_fit_gives_the_same_model(client, kill_worker_at):
    X, y = segments_frame(seed=3)
    mem = DiscriminantAnalysis(cross_validate=True).fit(X, y)
    calls = kill_worker_at(3)  # after the statistics pass, before the classification tables
    dist = DiscriminantAnalysis(cross_validate=True).fit(
        dd.from_pandas(X, npartitions=3, sort=False), dd.from_pandas(y, npartitions=3, sort=False)
    )
    assert calls["n"] == 3
    assert_same_attributes(dist, mem)
    client.wait_for_workers(2, timeout=60)
