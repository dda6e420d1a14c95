"""segmint.Ward against SciPy and scikit-learn as the references.

On data without ties the Ward hierarchy is unique, so ``linkage_matrix_`` must equal
``scipy.cluster.hierarchy.linkage(X, "ward")``: cluster ids and sizes exactly, heights to 1e-9
relative (both compute the same Lance-Williams/centroid quantities in float64, in a different
order). Cuts must equal ``fcluster(Z, k, "maxclust")`` and scikit-learn's
``AgglomerativeClustering(distance_threshold=t)`` up to renaming the segments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import dendrogram, fcluster, is_valid_linkage, linkage
from sklearn.cluster import AgglomerativeClustering
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import segmint
from segmint.errors import InvalidInputError

#: Heights: relative tolerance (both float64; ~1e7 ulps of headroom).
HEIGHT_RTOL = 1e-9

# (n, d, kind, seed): uniform noise, Gaussian blobs, and an elongated anisotropic cloud.
DATASETS = [
    (40, 2, "uniform", 0),
    (300, 3, "blobs", 1),
    (700, 2, "aniso", 2),
    (1000, 5, "blobs", 3),
    (1500, 8, "uniform", 4),
    (1500, 4, "blobs", 5),
]


def _data(n: int, d: int, kind: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        return rng.uniform(-5.0, 5.0, size=(n, d))
    if kind == "blobs":
        X, _ = make_blobs(n_samples=n, n_features=d, centers=6, random_state=seed)
        return X
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * np.linspace(1, 10, d)


def _ids(ds) -> str:
    n, d, kind, _ = ds
    return f"{kind}-{n}x{d}"


def _no_ties(Z: np.ndarray) -> bool:
    h = np.sort(Z[:, 2])
    return bool(np.all(np.diff(h) > 1e-9 * h[1:]))


@pytest.fixture(scope="module", params=DATASETS, ids=_ids)
def case(request):
    X = _data(*request.param)
    Z = linkage(X, "ward")
    assert _no_ties(Z), "test data must not have (near-)tied merge heights"
    return X, Z, segmint.Ward(n_clusters=2).fit(X)


def test_linkage_matrix_equals_scipy(case):
    # reference: scipy.cluster.hierarchy.linkage(X, 'ward'): merges and sizes exactly, heights
    # relative 1e-9
    X, Z, model = case
    ours = model.linkage_matrix_
    assert ours.shape == Z.shape == (len(X) - 1, 4)
    assert ours.dtype == np.float64
    np.testing.assert_array_equal(ours[:, [0, 1]], Z[:, [0, 1]])  # cluster ids
    np.testing.assert_array_equal(ours[:, 3], Z[:, 3])  # sizes
    np.testing.assert_allclose(ours[:, 2], Z[:, 2], rtol=HEIGHT_RTOL, atol=0)
    assert is_valid_linkage(ours)
    assert np.all(np.diff(ours[:, 2]) >= 0)


@pytest.mark.parametrize("k", [1, 2, 3, 7, 25])
def test_n_clusters_cut_equals_fcluster_maxclust(case, k):
    # reference: scipy fcluster(criterion='maxclust') on SciPy's linkage (ARI 1)
    X, Z, _ = case
    model = segmint.Ward(n_clusters=k).fit(X)
    ref = fcluster(Z, k, criterion="maxclust")
    assert model.n_clusters_ == k
    assert model.labels_.nunique() == len(np.unique(ref)) == k
    assert adjusted_rand_score(ref, model.labels_) == 1.0
    # labels are numbered in order of first appearance
    first = pd.unique(model.labels_.to_numpy())
    np.testing.assert_array_equal(first, np.arange(k))


def test_n_clusters_equal_to_n_gives_singletons():
    # reference: by hand: n clusters of n rows are singletons
    X = _data(30, 2, "uniform", 9)
    model = segmint.Ward(n_clusters=30).fit(X)
    np.testing.assert_array_equal(model.labels_.to_numpy(), np.arange(30))


def _thresholds(Z: np.ndarray) -> list[float]:
    """Midpoints between consecutive merge heights near the top of the tree (clear of any
    height, so that ulp-level differences between libraries cannot change the cut), plus one
    above the root and one below every merge."""
    h = Z[:, 2]
    mids = [(h[-i - 1] + h[-i]) / 2 for i in (1, 2, 4, 9, 30)]
    return [*mids, h[-1] * 2, h[0] / 2]


def test_distance_threshold_equals_sklearn(case):
    # reference: scikit-learn AgglomerativeClustering(distance_threshold) and scipy
    # fcluster('distance')
    X, Z, _ = case
    for t in _thresholds(Z):
        ref = AgglomerativeClustering(n_clusters=None, distance_threshold=t, linkage="ward").fit(X)
        model = segmint.Ward(n_clusters=None, distance_threshold=t).fit(X)
        assert model.n_clusters_ == ref.n_clusters_, t
        assert adjusted_rand_score(ref.labels_, model.labels_) == 1.0, t
        # and SciPy's "distance" criterion agrees (merges strictly below t are made)
        assert adjusted_rand_score(fcluster(Z, t, "distance"), model.labels_) == 1.0


def test_distance_threshold_at_a_merge_height_does_not_make_that_merge():
    # scikit-learn's rule: clusters are not merged at a linkage distance >= the threshold.
    # reference: scikit-learn's rule (no merge at a distance ≥ the threshold), heights from SciPy
    X = _data(200, 3, "blobs", 11)
    Z = segmint.Ward(n_clusters=1).fit(X).linkage_matrix_
    for i in (1, 2, 5):
        t = Z[-i, 2]  # the height of the i-th last merge, exactly
        model = segmint.Ward(n_clusters=None, distance_threshold=t).fit(X)
        assert model.n_clusters_ == i + 1
    assert segmint.Ward(n_clusters=None, distance_threshold=0.0).fit(X).n_clusters_ == 1 + 199


def test_heights_by_hand():
    # 0 and 1 merge at √(2·1·1/2)·1 = 1; then {0, 1} (centroid 0.5) and 10 at √(2·2·1/3)·9.5
    # reference: by hand: Ward heights 1 and √(4/3)·9.5
    model = segmint.Ward(n_clusters=2).fit(np.array([[0.0], [1.0], [10.0]]))
    Z = model.linkage_matrix_
    np.testing.assert_array_equal(Z[:, [0, 1, 3]], [[0, 1, 2], [2, 3, 3]])
    np.testing.assert_allclose(Z[:, 2], [1.0, np.sqrt(4 / 3) * 9.5], rtol=1e-15)
    np.testing.assert_array_equal(model.labels_.to_numpy(), [0, 0, 1])


def test_dendrogram_draws_it(case):
    # reference: scipy.cluster.hierarchy.dendrogram of SciPy's linkage
    X, Z, model = case
    ours = dendrogram(model.linkage_matrix_, no_plot=True)
    ref = dendrogram(Z, no_plot=True)
    assert ours["leaves"] == ref["leaves"]
    assert len(ours["icoord"]) == len(X) - 1
    np.testing.assert_allclose(ours["dcoord"], ref["dcoord"], rtol=HEIGHT_RTOL)


def test_pandas_in_pandas_out():
    # reference: none numeric: API contract (labels on the caller's index) checked directly
    X = pd.DataFrame(
        _data(120, 3, "blobs", 12),
        columns=["spend", "orders", "tenure"],
        index=pd.Index([f"cust{i:03d}" for i in range(120)], name="customer"),
    )
    before = X.copy()
    model = segmint.Ward(n_clusters=4).fit(X)
    assert isinstance(model.labels_, pd.Series)
    assert model.labels_.index.equals(X.index) and model.labels_.name == "segment"
    np.testing.assert_array_equal(model.feature_names_in_, X.columns)
    assert model.n_features_in_ == 3
    pd.testing.assert_series_equal(model.fit_predict(X), model.labels_)
    pd.testing.assert_frame_equal(X, before)
    ref = linkage(X.to_numpy(), "ward")
    np.testing.assert_allclose(model.linkage_matrix_[:, 2], ref[:, 2], rtol=HEIGHT_RTOL)


def test_thread_count_does_not_change_the_result():
    # reference: segmint itself under a change that must not matter (n_jobs) — an invariance check,
    # not accuracy
    X = _data(800, 4, "blobs", 13)
    z1 = segmint.Ward(n_clusters=5, n_jobs=1).fit(X).linkage_matrix_
    z2 = segmint.Ward(n_clusters=5, n_jobs=2).fit(X).linkage_matrix_
    np.testing.assert_array_equal(z1, z2)


def test_ties_give_a_valid_monotone_tree():
    # Integer grid with duplicates: the hierarchy is not unique, but it must be a valid
    # linkage with non-decreasing heights, the same total merge cost as SciPy's, and as many
    # merges at height 0 (the duplicates).
    # reference: scipy is_valid_linkage and SciPy's total merge cost (relative 1e-9)
    rng = np.random.default_rng(14)
    X = rng.integers(0, 4, size=(300, 2)).astype(np.float64)
    ours = segmint.Ward(n_clusters=3).fit(X).linkage_matrix_
    ref = linkage(X, "ward")
    assert is_valid_linkage(ours)
    assert np.all(np.diff(ours[:, 2]) >= 0)
    assert int((ours[:, 2] == 0).sum()) == int((ref[:, 2] == 0).sum())
    # Σ h² / 2 is the total sum of squares around the grand mean, for any Ward tree
    total = 2 * ((X - X.mean(axis=0)) ** 2).sum()
    np.testing.assert_allclose((ours[:, 2] ** 2).sum(), total, rtol=1e-9)
    np.testing.assert_allclose((ref[:, 2] ** 2).sum(), total, rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# Errors


def test_error_both_or_neither_of_n_clusters_and_threshold():
    X = _data(20, 2, "uniform", 15)
    with pytest.raises(InvalidInputError, match="exactly one of n_clusters and distance"):
        segmint.Ward(n_clusters=None).fit(X)
    with pytest.raises(InvalidInputError, match="exactly one of n_clusters and distance"):
        segmint.Ward(n_clusters=3, distance_threshold=1.0).fit(X)


def test_error_one_row():
    with pytest.raises(InvalidInputError, match="at least 2 rows"):
        segmint.Ward(n_clusters=1).fit(np.ones((1, 3)))


def test_error_missing_or_infinite_values():
    X = _data(20, 2, "uniform", 16)
    X[4, 1] = np.nan
    with pytest.raises(InvalidInputError, match=r"missing values.*'x1'"):
        segmint.Ward(n_clusters=2).fit(X)
    X[4, 1] = np.inf
    with pytest.raises(InvalidInputError, match="infinite"):
        segmint.Ward(n_clusters=2).fit(X)


def test_error_bad_n_clusters_or_threshold():
    X = _data(20, 2, "uniform", 17)
    with pytest.raises(InvalidInputError, match="n_clusters"):
        segmint.Ward(n_clusters=21).fit(X)
    with pytest.raises(InvalidInputError, match="n_clusters"):
        segmint.Ward(n_clusters=0).fit(X)
    with pytest.raises(InvalidInputError, match="distance_threshold"):
        segmint.Ward(n_clusters=None, distance_threshold=-1.0).fit(X)


def test_error_text_column():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})
    with pytest.raises(TypeError, match="'b'"):
        segmint.Ward(n_clusters=2).fit(X)
