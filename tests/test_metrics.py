"""Cluster validity indices, choosing k and stability, against scikit-learn and planted truth."""

import threading
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.cluster import KMeans as SkKMeans
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_limits

import segmint as sg
from segmint.metrics import select_k, stability

_LOCK = threading.Lock()


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
    # reference: scikit-learn silhouette_score / calinski_harabasz_score / davies_bouldin_score,
    # relative 1e-9
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
    # reference: scikit-learn silhouette_samples (1e-9) and silhouette_score with sample_size
    X, y = blobs
    s = sg.silhouette_samples(X, y)
    np.testing.assert_allclose(s.to_numpy(), skm.silhouette_samples(X, y), rtol=1e-9, atol=1e-12)
    # The same subset as scikit-learn for the same random_state.
    ours = sg.silhouette_score(X, y, sample_size=300, random_state=5)
    assert ours == pytest.approx(skm.silhouette_score(X, y, sample_size=300, random_state=5))


def test_silhouette_samples_keep_the_index():
    # reference: by hand: a = 1, b = 10.5
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
    # reference: the within-cluster sum of squares of the k-means labels computed in NumPy
    # (Σ ‖x − mean of its cluster‖², scikit-learn's definition of inertia); relative 1e-9.
    labels = sg.KMeans(5, random_state=0).fit(X).labels_.to_numpy()
    wss = sum(((X[labels == c] - X[labels == c].mean(axis=0)) ** 2).sum() for c in range(5))
    assert table.loc[5, "inertia"] == pytest.approx(wss, rel=1e-9)


def test_gap_statistic_sees_no_structure_in_uniform_data():
    # reference: uniform data (no planted structure): the gap rule picks k = 1
    X = np.random.default_rng(0).uniform(size=(600, 2))
    table = select_k(X, range(1, 6), n_refs=10, random_state=1)
    assert table.index[table["recommended"]].tolist() == [1]


def test_select_k_is_deterministic(blobs):
    # reference: segmint itself under a change that must not matter (same random_state) — an
    # invariance check, not accuracy
    X, _ = blobs
    a = select_k(X, [2, 3], n_refs=3, random_state=7)
    b = select_k(X, [2, 3], n_refs=3, random_state=7)
    pd.testing.assert_frame_equal(a, b)


def test_stability_separates_real_from_arbitrary_segments(blobs):
    # reference: planted blobs vs uniform noise (Hennig's thresholds); the Jaccard values
    # themselves are checked in test_stability_equals_clusterboot_from_the_same_bootstrap_samples
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
    # reference: segmint itself under a change that must not matter (n_jobs) — an invariance check,
    # not accuracy
    X, _ = blobs
    a = stability(sg.KMeans(4, n_init=2), X, n_boot=8, random_state=3, n_jobs=1)
    b = stability(sg.KMeans(4, n_init=2), X, n_boot=8, random_state=3, n_jobs=2)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs


def test_jaccard_by_hand():
    # reference: by hand: a six-row example, J = 2/3 for both clusters
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
    # reference: scikit-learn's silhouette under Gower on all 600 rows (fewer than the
    # 2,000-row sample, so the sample is every row, in some order: the mean does not depend on
    # it); relative 1e-9.
    d = np.asarray(sg.gower_distances(df))
    expected = sk_silhouette(d, model.labels_.to_numpy(), metric="precomputed")
    assert table.loc[3, "silhouette"] == pytest.approx(expected, rel=1e-9)
    assert table["calinski_harabasz"].isna().all()


# ---------------------------------------------------------------------------------------------
# Gap statistic and clusterboot against independent implementations, from the same draws


class _RecordingKMeans(SkKMeans):
    """scikit-learn's KMeans that records every table it is fitted on (and the fitted model):
    the reference data sets of select_k and the bootstrap samples of stability, as drawn."""

    fits: ClassVar[list] = []

    def fit(self, X, y=None, sample_weight=None):  # type: ignore[no-untyped-def]
        super().fit(X, y, sample_weight)
        with _LOCK:
            _RecordingKMeans.fits.append((X.copy(), self))
        return self


def test_gap_and_gap_se_equal_tibshirani_from_the_same_reference_draws(blobs):
    # reference: Tibshirani, Walther & Hastie (2001) written here: Gap(k) = mean_b log W*_kb −
    # log W_k, sd_k the population SD of log W*_kb over the B reference sets, s_k = sd_k
    # √(1 + 1/B), k̂ = smallest k with Gap(k) ≥ Gap(k+1) − s_{k+1}; W from scikit-learn's
    # KMeans (the estimator passed in) on the data and on the reference sets select_k drew
    # (recorded as they were fitted). Relative 1e-12: the same numbers, summed here.
    X, _ = blobs
    X = X[:300]
    n_refs, ks = 5, [1, 2, 3, 4, 5, 6]
    _RecordingKMeans.fits = []
    est = _RecordingKMeans(n_init=2, random_state=0)
    # scikit-learn's OpenMP threads only slow its small fits down on a shared machine.
    with threadpool_limits(limits=1, user_api="openmp"):
        table = select_k(X, ks, estimator=est, n_refs=n_refs, random_state=11)
    fits = _RecordingKMeans.fits
    assert len(fits) == len(ks) * (1 + n_refs)  # per k: the data, then the B reference sets
    lo, hi = X.min(axis=0), X.max(axis=0)
    gap, sd = [], []
    for i, k in enumerate(ks):
        block = fits[i * (1 + n_refs) : (i + 1) * (1 + n_refs)]
        data, model = block[0]
        np.testing.assert_array_equal(np.asarray(data), X)
        assert model.n_clusters == k
        refs = [np.asarray(r) for r, _ in block[1:]]
        # The same B reference sets for every k (Tibshirani's procedure), uniform over the
        # data's bounding box: inside it, and filling it.
        if i > 0:
            first = fits[1 : 1 + n_refs]
            for r, (r0, _) in zip(refs, first, strict=True):
                np.testing.assert_array_equal(r, np.asarray(r0))
        for r in refs:
            assert r.shape == X.shape
            assert (r >= lo).all() and (r <= hi).all()
            assert ((r.max(axis=0) - r.min(axis=0)) > 0.95 * (hi - lo)).all()
        log_w_ref = np.log([m.inertia_ for _, m in block[1:]])
        gap.append(log_w_ref.mean() - np.log(model.inertia_))
        sd.append(np.sqrt(((log_w_ref - log_w_ref.mean()) ** 2).mean()))
    gap, s = np.array(gap), np.array(sd) * np.sqrt(1 + 1 / n_refs)
    np.testing.assert_allclose(table["gap"].to_numpy(), gap, rtol=1e-12)
    np.testing.assert_allclose(table["gap_se"].to_numpy(), s, rtol=1e-12)
    k_hat = next((k for i, k in enumerate(ks[:-1]) if gap[i] >= gap[i + 1] - s[i + 1]), ks[-1])
    assert table.index[table["recommended"]].tolist() == [k_hat]
    # reference: scikit-learn's inertia, the estimator's own
    data_fits = [fits[i * (1 + n_refs)][1] for i in range(len(ks))]
    assert table["inertia"].tolist() == [m.inertia_ for m in data_fits]


def _jaccard_reference(original: np.ndarray, rows: np.ndarray, boot: np.ndarray, k: int):
    """Hennig's clusterboot Jaccard, written with Python sets: for each original cluster C, the
    largest |C ∩ B| / |C ∪ B| over the bootstrap clusters B, both restricted to the distinct
    rows drawn (multiplicity ignored); NaN when none of C's rows was drawn."""
    label_of = {}
    for r, b in zip(rows.tolist(), boot.tolist(), strict=True):
        assert label_of.setdefault(r, b) == b  # a row drawn twice gets one label
    drawn = set(label_of)
    out = np.full(k, np.nan)
    for c in range(k):
        members = {r for r in drawn if original[r] == c}
        if not members:
            continue
        best = 0.0
        for b in set(label_of.values()):
            other = {r for r in drawn if label_of[r] == b}
            best = max(best, len(members & other) / len(members | other))
        out[c] = best
    return out


def test_stability_equals_clusterboot_from_the_same_bootstrap_samples():
    # reference: _jaccard_reference on the bootstrap samples stability drew (recorded: the
    # fitted frames carry the original row labels), averaged over resamples (mean, population
    # SD, share < 0.5, Hennig's verdict thresholds); ARI from scikit-learn's
    # adjusted_rand_score of each bootstrap model's labels for all rows. Relative 1e-12.
    from sklearn.metrics import adjusted_rand_score

    X, _ = make_blobs(240, 2, centers=[[0, 0], [3, 0], [0, 8]], random_state=4)
    X = pd.DataFrame(X, columns=["a", "b"])
    _RecordingKMeans.fits = []
    with threadpool_limits(limits=1, user_api="openmp"):
        out = stability(_RecordingKMeans(3, n_init=2), X, n_boot=12, random_state=5, n_jobs=2)
    fits = _RecordingKMeans.fits
    original_fit = [m for data, m in fits if len(data) == len(X) and data.index.equals(X.index)]
    original = original_fit[0].labels_
    boots = [(data, m) for data, m in fits if m is not original_fit[0]]
    assert len(boots) == 12
    jac = np.array(
        [_jaccard_reference(original, data.index.to_numpy(), m.labels_, 3) for data, m in boots]
    )
    mean = np.nanmean(jac, axis=0)
    np.testing.assert_allclose(out["jaccard"].to_numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(out["jaccard_sd"].to_numpy(), np.nanstd(jac, axis=0), atol=1e-12)
    np.testing.assert_allclose(out["dissolved"].to_numpy(), np.mean(jac < 0.5, axis=0))
    bands = [(0.85, "highly stable"), (0.75, "stable"), (0.6, "patterns"), (0.5, "unstable")]
    verdicts = [next((v for t, v in bands if j >= t), "dissolved") for j in mean]
    assert out["verdict"].tolist() == verdicts
    assert out["size"].tolist() == np.bincount(original, minlength=3).tolist()
    ari = np.mean([adjusted_rand_score(original, m.predict(X)) for _, m in boots])
    assert out.attrs["ari"] == pytest.approx(ari, rel=1e-12)
    # The samples are bootstrap samples: n rows drawn with replacement.
    for data, _ in boots:
        assert len(data) == len(X) and data.index.has_duplicates
