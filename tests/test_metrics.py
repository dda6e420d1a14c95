"""Cluster validity indices, choosing k and stability, against scikit-learn and planted truth."""

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.datasets import make_blobs

import segmint as sg
from segmint.metrics import select_k, stability


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(1200, 4, centers=5, cluster_std=1.0, random_state=1)
    return X, y


@pytest.mark.parametrize(
    ("ours", "ref"),
    [
        (sg.silhouette_score, skm.silhouette_score),
        (sg.calinski_harabasz_score, skm.calinski_harabasz_score),
        (sg.davies_bouldin_score, skm.davies_bouldin_score),
    ],
)
@pytest.mark.parametrize("case", ["blobs", "uniform", "wholesale", "labels-with-gaps"])
def test_indices_equal_scikit_learn(ours, ref, case, blobs, wholesale_log_std):
    rng = np.random.default_rng(3)
    if case == "blobs":
        X, labels = blobs
    elif case == "uniform":
        X = rng.uniform(size=(700, 3))
        labels = rng.integers(0, 4, size=700)
    elif case == "wholesale":
        X = wholesale_log_std
        labels = sg.KMeans(4, random_state=0).fit(X).labels_
    else:  # arbitrary label values, one cluster of size 1
        X = rng.normal(size=(300, 2))
        labels = np.where(rng.uniform(size=300) < 0.5, 10, 30)
        labels[0] = -7
    # Tolerance 1e-9 relative: both sum the same terms, in different orders.
    expected = ref(np.asarray(X), np.asarray(labels))
    assert ours(X, labels) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_silhouette_samples_and_sampling_equal_scikit_learn(blobs):
    X, y = blobs
    s = sg.silhouette_samples(X, y)
    np.testing.assert_allclose(s.to_numpy(), skm.silhouette_samples(X, y), rtol=1e-9, atol=1e-12)
    # The same subset as scikit-learn for the same random_state.
    ours = sg.silhouette_score(X, y, sample_size=300, random_state=5)
    assert ours == pytest.approx(skm.silhouette_score(X, y, sample_size=300, random_state=5))


def test_silhouette_samples_keep_the_index():
    X = pd.DataFrame({"a": [0.0, 1.0, 10.0, 11.0]}, index=list("wxyz"))
    s = sg.silhouette_samples(X, pd.Series([0, 0, 1, 1], index=list("wxyz")))
    assert list(s.index) == list("wxyz")
    # By hand: for x = 0, a = 1, b = (10 + 11) / 2.
    assert s["w"] == pytest.approx((10.5 - 1) / 10.5, rel=1e-15)


@pytest.mark.parametrize("bad", [np.zeros(10), np.arange(10)])
def test_indices_reject_one_cluster_or_all_singletons(bad):
    X = np.arange(20.0).reshape(10, 2)
    with pytest.raises(sg.InvalidInputError, match="labels"):
        sg.silhouette_score(X, bad)


def test_gap_statistic_finds_the_planted_k(blobs):
    X, _ = blobs
    table = select_k(X, range(1, 9), n_refs=8, random_state=0)
    assert table.index[table["recommended"]].tolist() == [5]
    # (Silhouette peaks at k = 4 here: two planted blobs overlap; the gap statistic resolves it.)
    assert table.loc[5, "silhouette"] == pytest.approx(
        skm.silhouette_score(X, sg.KMeans(5, random_state=0).fit(X).labels_), rel=1e-9
    )
    # The inertia column is the estimator's, i.e. scikit-learn's inertia for those labels.
    km = sg.KMeans(5, random_state=0).fit(X)
    assert table.loc[5, "inertia"] == pytest.approx(km.inertia_, rel=1e-9)


def test_gap_statistic_sees_no_structure_in_uniform_data():
    X = np.random.default_rng(0).uniform(size=(600, 2))
    table = select_k(X, range(1, 6), n_refs=10, random_state=1)
    assert table.index[table["recommended"]].tolist() == [1]


def test_select_k_is_deterministic(blobs):
    X, _ = blobs
    a = select_k(X, [2, 3], n_refs=3, random_state=7)
    b = select_k(X, [2, 3], n_refs=3, random_state=7)
    pd.testing.assert_frame_equal(a, b)


def test_stability_separates_real_from_arbitrary_segments(blobs):
    X, _ = blobs
    real = stability(sg.KMeans(5, n_init=3), X, n_boot=20, random_state=0)
    assert (real["jaccard"] > 0.95).all()
    assert (real["verdict"] == "highly stable").all()
    assert real.attrs["ari"] > 0.95
    assert real["size"].sum() == len(X)
    # Uniform noise split into 6 has no stable segments (Hennig: < 0.75 is not stable).
    noise = np.random.default_rng(0).uniform(size=(600, 2))
    arbitrary = stability(sg.KMeans(6, n_init=2), noise, n_boot=20, random_state=0)
    assert arbitrary["jaccard"].mean() < 0.85
    assert arbitrary.attrs["ari"] < real.attrs["ari"]


def test_stability_is_deterministic_and_thread_independent(blobs):
    X, _ = blobs
    a = stability(sg.KMeans(4, n_init=2), X, n_boot=8, random_state=3, n_jobs=1)
    b = stability(sg.KMeans(4, n_init=2), X, n_boot=8, random_state=3, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs


def test_jaccard_by_hand():
    from segmint.metrics import _jaccard_by_cluster

    original = np.array([0, 0, 0, 1, 1, 1])
    rows = np.array([0, 0, 1, 3, 4, 5])  # row 2 not drawn, row 0 twice
    boot = np.array([0, 0, 0, 1, 1, 0])  # row 5 moved to the other cluster
    # cluster 0 on drawn rows = {0, 1}; boot cluster 0 = {0, 1, 5}: J = 2/3
    # cluster 1 = {3, 4, 5}; boot cluster 1 = {3, 4}: J = 2/3
    np.testing.assert_allclose(_jaccard_by_cluster(original, 2, rows, boot), [2 / 3, 2 / 3])


def test_select_k_works_with_kprototypes_on_mixed_data():
    from sklearn.metrics import silhouette_score as sk_silhouette

    rng = np.random.default_rng(0)
    n = 600
    g = rng.integers(0, 3, n)
    letters = np.array(list("xyz"))
    df = pd.DataFrame(
        {
            "a": rng.normal(size=n) + 4 * g,
            "b": rng.normal(size=n) - 3 * g,
            "c": pd.Categorical(np.where(rng.uniform(size=n) < 0.8, letters[g], "x")),
        }
    )
    est = sg.KPrototypes(n_init=3, random_state=0)
    table = select_k(df, range(1, 6), estimator=est, n_refs=5, random_state=0)
    assert table.index[table["recommended"]].tolist() == [3]
    model = sg.KPrototypes(3, n_init=3, random_state=0).fit(df)
    assert table.loc[3, "inertia"] == pytest.approx(model.cost_, rel=1e-9)
    # silhouette under Gower on all 600 rows (fewer than the 2,000-row sample)
    rows = np.random.default_rng(sg._validation.seed(0)).permutation(n)
    d = np.asarray(sg.gower_distances(df.iloc[rows]))
    expected = sk_silhouette(d, model.labels_.to_numpy()[rows], metric="precomputed")
    assert table.loc[3, "silhouette"] == pytest.approx(expected, rel=1e-9)
    assert table["calinski_harabasz"].isna().all()
