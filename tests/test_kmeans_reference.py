"""segmint.KMeans against scikit-learn's KMeans(algorithm="lloyd") as the reference.

From the same starting centres both run the same deterministic algorithm (centring on the column
means, the same stopping rule, the same empty-cluster rule, a final E-step), so labels must be
identical and floating-point results equal up to summation-order rounding.
"""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pandas as pd
import pytest
import sklearn.cluster
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import segmint

# Tolerances (relative unless stated). Both implementations sum the same terms in a different
# order (segmint: fixed 1024-row chunks merged as a tree; scikit-learn: BLAS/OpenMP chunks), so
# results differ by a few ulps times the number of terms: 1e-9 is ~1e6 ulps of headroom.
RTOL = 1e-9
#: Centres are O(1..10); an absolute 1e-9 covers coordinates that are ~0.
CENTRE_ATOL = 1e-9


def _fit_pair(X, init, *, sample_weight=None, **params):
    k = len(init)
    ours = segmint.KMeans(n_clusters=k, init=init, n_init=1, **params).fit(
        X, sample_weight=sample_weight
    )
    ref = sklearn.cluster.KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", **params)
    ref.fit(np.asarray(X), sample_weight=sample_weight)
    return ours, ref


def _assert_same_fit(ours, ref):
    np.testing.assert_array_equal(ours.labels_.to_numpy(), ref.labels_)
    # inertia: relative 1e-9 (see RTOL)
    np.testing.assert_allclose(ours.inertia_, ref.inertia_, rtol=RTOL, atol=0)
    # centres: relative 1e-9 plus absolute 1e-9 for coordinates near 0
    np.testing.assert_allclose(
        ours.cluster_centers_.to_numpy(), ref.cluster_centers_, rtol=RTOL, atol=CENTRE_ATOL
    )
    assert ours.n_iter_ == ref.n_iter_


def _blobs():
    X, _ = make_blobs(n_samples=3000, n_features=5, centers=6, random_state=0)
    return X


def _uniform():
    return np.random.default_rng(1).uniform(size=(2000, 4))


def _rows(X, k, seed):
    """k distinct rows of X drawn with a seeded generator (explicit initial centres)."""
    X = np.asarray(X)
    return X[np.random.default_rng(seed).choice(len(X), size=k, replace=False)].copy()


# tol=0 only stops on unchanged labels; 1e-2 stops on the centre shift; max_iter=3 stops early
# (so the final E-step has to relabel the points against the last centres).
STOPPING = [
    pytest.param({"tol": 0.0}, id="tol0"),
    pytest.param({"tol": 1e-4}, id="tol1e-4"),
    pytest.param({"tol": 1e-2}, id="tol1e-2"),
    pytest.param({"max_iter": 3}, id="max_iter3"),
    pytest.param({"tol": 0.0, "max_iter": 1}, id="max_iter1"),
]


@pytest.mark.parametrize("stopping", STOPPING)
@pytest.mark.parametrize("seed", [0, 1])
def test_blobs_same_start_same_result(stopping, seed):
    X = _blobs()
    ours, ref = _fit_pair(X, _rows(X, 6, seed), **stopping)
    _assert_same_fit(ours, ref)


@pytest.mark.parametrize("stopping", STOPPING)
def test_uniform_same_start_same_result(stopping):
    # No cluster structure: many iterations and many points near a boundary.
    # reference: scikit-learn KMeans(algorithm='lloyd') from the same centres: labels, iterations,
    # inertia and centres relative 1e-9
    X = _uniform()
    ours, ref = _fit_pair(X, _rows(X, 5, 3), **stopping)
    _assert_same_fit(ours, ref)
    if "max_iter" in stopping:
        assert ours.n_iter_ == stopping["max_iter"]


@pytest.mark.parametrize("stopping", STOPPING)
def test_wholesale_same_start_same_result(wholesale_log_std, stopping):
    X = wholesale_log_std
    ours, ref = _fit_pair(X, _rows(X, 4, 2024), **stopping)
    _assert_same_fit(ours, ref)
    # pandas in, pandas out, on the caller's index
    assert ours.labels_.index.equals(X.index)


@pytest.mark.parametrize("stopping", STOPPING)
def test_weighted_blobs_same_start_same_result(stopping):
    X = _blobs()
    w = np.random.default_rng(5).integers(1, 6, size=len(X)).astype(np.float64)
    ours, ref = _fit_pair(X, _rows(X, 6, 7), sample_weight=w, **stopping)
    _assert_same_fit(ours, ref)


def test_empty_cluster_is_relocated_like_sklearn():
    # One initial centre is far from every point: it loses all points in the first E-step and
    # must take the point farthest from its centre (scikit-learn's rule).
    X = _blobs()
    init = _rows(X, 5, 11)
    init = np.vstack([init, np.full((1, X.shape[1]), 1e3)])
    ours, ref = _fit_pair(X, init, tol=0.0)
    _assert_same_fit(ours, ref)


def test_textbook_example_by_hand():
    # Worked by hand: centres 0 and 10 on the points 0, 1, 2, 9, 11: the first step assigns
    # {0, 1, 2} and {9, 11}, moves the centres to 1 and 10, the second step changes nothing.
    # Inertia = (1 + 0 + 1) + (1 + 1) = 4. Exact in binary floating point, tolerance 1e-12.
    # reference: by hand: centres 1 and 10, inertia 4
    X = np.array([[0.0], [1.0], [2.0], [9.0], [11.0]])
    km = segmint.KMeans(n_clusters=2, init=np.array([[0.0], [10.0]]), n_init=1).fit(X)
    assert km.labels_.tolist() == [0, 0, 0, 1, 1]
    np.testing.assert_allclose(km.cluster_centers_.to_numpy().ravel(), [1.0, 10.0], atol=1e-12)
    assert km.inertia_ == pytest.approx(4.0, abs=1e-12)
    assert km.n_iter_ == 2


# ---------------------------------------------------------------------------------------------
# k-means++ and random initialisation (different random streams: compare quality, not bits)


def _hard_blobs():
    return make_blobs(n_samples=4000, n_features=6, centers=8, cluster_std=2.5, random_state=0)


@pytest.mark.parametrize("seed", range(6))
def test_kmeanspp_not_worse_than_sklearn_on_seeds_0_to_5(seed):
    # reference: scikit-learn's k-means++ best-of-n_init inertia on the same data (at most 1e-9
    # relative above it, on these seeds)
    X, y = _hard_blobs()
    ours = segmint.KMeans(n_clusters=8, n_init=10, random_state=seed).fit(X)
    ref = sklearn.cluster.KMeans(n_clusters=8, n_init=10, random_state=seed).fit(X)
    # Best of 10 greedy k-means++ runs: on these six seeds not worse than scikit-learn's best, up
    # to rounding of the inertia sum (relative 1e-9). A statement about these seeds, not a
    # guarantee: the two seedings draw from different random streams.
    assert ours.inertia_ <= ref.inertia_ * (1 + 1e-9)
    # Agreement with the planted truth at least as good (1e-12: ARI rounding only).
    assert adjusted_rand_score(y, ours.labels_) >= adjusted_rand_score(y, ref.labels_) - 1e-12


def _separated_blobs():
    centres = 10.0 * np.array(
        [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=np.float64
    )
    return make_blobs(n_samples=2000, centers=centres, cluster_std=1.0, random_state=0)


@pytest.mark.parametrize("seed", range(5))
def test_random_init_recovers_planted_blobs(seed):
    # Blob centres 10 apart with sd 1. One random start hits every blob with probability
    # 5!/5^5 ≈ 4 % but the Lloyd iterations repair most other starts (about half of single runs
    # reach the truth, measured with scikit-learn's random init too), so 10 restarts all miss
    # with probability ~0.5^10 < 0.1 %.
    # reference: planted blobs (ARI)
    X, y = _separated_blobs()
    km = segmint.KMeans(n_clusters=5, init="random", n_init=10, random_state=seed).fit(X)
    assert adjusted_rand_score(y, km.labels_) > 0.95


@pytest.mark.parametrize("seed", range(3))
def test_weighted_random_and_kmeanspp_recover_planted_blobs(seed):
    # reference: planted blobs (ARI)
    X, y = _separated_blobs()
    w = np.random.default_rng(seed).integers(1, 6, size=len(X)).astype(np.float64)
    for init in ("random", "k-means++"):
        km = segmint.KMeans(n_clusters=5, init=init, n_init=10, random_state=seed)
        km.fit(X, sample_weight=w)
        assert adjusted_rand_score(y, km.labels_) > 0.95, init


# ---------------------------------------------------------------------------------------------
# predict / transform / score with identical centres


@pytest.fixture(scope="module")
def fitted_pair():
    X = _blobs()
    ours, ref = _fit_pair(X, _rows(X, 6, 0))
    X_new, _ = make_blobs(n_samples=1500, n_features=5, centers=6, random_state=7)
    return ours, ref, X_new


def test_predict_matches_sklearn(fitted_pair):
    # reference: scikit-learn KMeans.predict from the same fit
    ours, ref, X_new = fitted_pair
    np.testing.assert_array_equal(ours.predict(X_new).to_numpy(), ref.predict(X_new))


def test_transform_matches_sklearn(fitted_pair):
    # reference: scikit-learn KMeans.transform, relative 1e-9
    ours, ref, X_new = fitted_pair
    got = ours.transform(X_new)
    assert isinstance(got, np.ndarray)  # numpy in, numpy out
    # distances are O(1..30): relative 1e-9 plus 1e-9 absolute for distances ~0
    np.testing.assert_allclose(got, ref.transform(X_new), rtol=RTOL, atol=1e-9)


def test_transform_by_hand():
    # Distances from (0, 0) and (3, 4) to centres (0, 0) and (6, 8): 0, 10 and 5, 5. Exact.
    # reference: by hand: distances to centres 0 and 10
    X = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    km = segmint.KMeans(n_clusters=2, init=np.array([[0.0, 0.0], [6.0, 8.0]]), n_init=1)
    km.fit(X[[0, 2]])
    np.testing.assert_allclose(
        km.transform(X), [[0.0, 10.0], [5.0, 5.0], [10.0, 0.0]], rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("weighted", [False, True])
def test_score_matches_sklearn(fitted_pair, weighted):
    # reference: scikit-learn KMeans.score, relative 1e-9
    ours, ref, X_new = fitted_pair
    w = None
    if weighted:
        w = np.random.default_rng(3).integers(1, 6, size=len(X_new)).astype(np.float64)
    got = ours.score(X_new, sample_weight=w)
    assert got < 0
    np.testing.assert_allclose(got, ref.score(X_new, sample_weight=w), rtol=RTOL, atol=0)


def test_score_on_training_data_is_minus_inertia(fitted_pair):
    # reference: scikit-learn's definition: score = −inertia on the training rows
    ours, _, _ = fitted_pair
    X = _blobs()
    np.testing.assert_allclose(ours.score(X), -ours.inertia_, rtol=RTOL, atol=0)


# ---------------------------------------------------------------------------------------------
# Results depend on random_state only, never on the number of threads

_N_ROWS = 24_000  # 24 chunks of 1024 rows: many partial sums are merged

_THREADS_SCRIPT = f"""
import hashlib, struct
import numpy as np
from sklearn.datasets import make_blobs
import segmint

X, _ = make_blobs(n_samples={_N_ROWS}, n_features=6, centers=8, cluster_std=3.0,
                  random_state=0)
w = np.random.default_rng(0).integers(1, 6, size=len(X)).astype(np.float64)
h = hashlib.sha256()
for init, weights in (("k-means++", None), ("random", w), ("k-means++", w)):
    km = segmint.KMeans(n_clusters=8, init=init, n_init=3, random_state=42).fit(
        X, sample_weight=weights)
    h.update(km.labels_.to_numpy().tobytes())
    h.update(np.ascontiguousarray(km.cluster_centers_.to_numpy()).tobytes())
    h.update(struct.pack("<d", km.inertia_))
    h.update(struct.pack("<q", km.n_iter_))
    h.update(struct.pack("<d", km.score(X[:5000], sample_weight=w[:5000])))
    h.update(np.ascontiguousarray(km.transform(X[:5000])).tobytes())
print(h.hexdigest())
"""


def test_bit_identical_across_rayon_num_threads(stdout_with_threads):
    # The pool reads RAYON_NUM_THREADS once per process: one fresh interpreter per setting.
    # reference: segmint itself under a change that must not matter (1 or 2 threads) — an
    # invariance check, not accuracy
    one = stdout_with_threads(_THREADS_SCRIPT, 1)
    two = stdout_with_threads(_THREADS_SCRIPT, 2)
    assert len(one) == 64
    assert one == two


def _fingerprint(km: segmint.KMeans) -> tuple[bytes, bytes, bytes, int]:
    return (
        km.labels_.to_numpy().tobytes(),
        np.ascontiguousarray(km.cluster_centers_.to_numpy()).tobytes(),
        struct.pack("<d", km.inertia_),
        km.n_iter_,
    )


@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_bit_identical_across_n_jobs(init):
    # reference: segmint itself under a change that must not matter (n_jobs) — an invariance check,
    # not accuracy
    X, _ = make_blobs(n_samples=_N_ROWS, n_features=6, centers=8, cluster_std=3.0, random_state=1)
    X = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    w = np.random.default_rng(1).integers(1, 6, size=len(X)).astype(np.float64)
    prints = []
    for n_jobs in (1, 2, 1):
        km = segmint.KMeans(n_clusters=8, init=init, n_init=2, random_state=7, n_jobs=n_jobs)
        km.fit(X, sample_weight=w)
        prints.append(_fingerprint(km))
        prints[-1] += (hashlib.sha256(km.transform(X).to_numpy().tobytes()).hexdigest(),)
    assert prints[0] == prints[1] == prints[2]
