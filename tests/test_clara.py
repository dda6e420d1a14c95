"""KMedoids(method="clara") and method="auto" against independent references.

* ``clara_reference`` below is R ``cluster::clara``'s algorithm written out in NumPy, independently
  of segmint: for each sample (taken from the fitted ``samples_`` so both sides see the same
  rows) the sample's dissimilarities (Gower by daisy's formula, or Euclidean by
  ``scipy.spatial.distance.cdist``), the sample's medoids by ``fasterpam_reference`` (PAM's
  BUILD, then FasterPAM's eager swaps with every swap's loss recomputed from scratch, no
  shortcut: the same local search, so the same medoids; an exhaustive search is not used
  because FasterPAM, like R's PAM, is a local search and ends in a local optimum on about one
  sample in eight here; nor the ``kmedoids`` package, which also takes swaps that change the
  loss by rounding noise only, see tests/test_gower_kmedoids.py), every row assigned to its
  nearest medoid, and the medoids with the lowest total kept (a later sample must be strictly
  better). It also checks R's sampling rule: every sample after the
  first contains the best medoids so far. Totals must agree to 1e-9 relative (float64 sums over
  a few thousand terms in another order), medoids and labels exactly.
* The loss of CLARA is compared with full FasterPAM on the n × n matrix from the same seed: within
  2 % on 3,000 mixed rows here (the 20,000-row comparison is too slow for the test budget: the
  full matrix alone is 3.2 GB; ``benchmarks/clara.py`` runs it and prints the ratio).
* Thread independence: identical labels and medoids on 1 and 2 threads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

import segmint
from segmint import _kmedoids as cluster_module  # KMedoids reads AUTO_CLARA_ROWS here
from segmint.errors import InvalidInputError

#: Totals over all rows: float64 sums of the same terms in another order.
RTOL = 1e-9


def _mixed(n: int, seed: int, k: int = 3, noise: float = 0.05) -> pd.DataFrame:
    """Planted segments in two numeric and two categorical columns."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, k, n)
    centres = np.array(
        [[0, 0], [10, 3], [3, 10], [12, 12], [6, -6], [-6, 6], [15, -3], [-5, -5]], dtype=float
    )[:k]
    num = centres[g] + rng.normal(0, 1.0, (n, 2))
    levels = np.array(list("abcdefgh"))

    def cat(offset: int) -> np.ndarray:
        follow = rng.random(n) >= noise
        return np.where(follow, levels[(g + offset) % 8], rng.choice(levels, n))

    return pd.DataFrame(
        {
            "revenue": num[:, 0],
            "orders": num[:, 1],
            "industry": pd.Categorical(cat(0)),
            "region": pd.Categorical(cat(2)),
        }
    )


def _gower(X: pd.DataFrame, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    """daisy's Gower formula on complete data: numbers |xi − xj| / range (over all rows),
    categories 0 / 1, the mean over the four columns."""
    total = np.zeros((len(rows_a), len(rows_b)))
    for name in X.columns:
        col = X[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            v = col.to_numpy().astype(str)
            total += v[rows_a][:, None] != v[rows_b][None, :]
        else:
            v = col.to_numpy(dtype=np.float64)
            total += np.abs(v[rows_a][:, None] - v[rows_b][None, :]) / (v.max() - v.min())
    return total / X.shape[1]


def _euclid(X: np.ndarray, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    return cdist(X[rows_a], X[rows_b])


def fasterpam_reference(d: np.ndarray, k: int, max_iter: int = 100) -> list[int]:
    """BUILD (greedy: the most central point, then the point that lowers the loss most), then
    eager swaps: candidates x in row order, x replaces the medoid whose replacement gives the
    lowest loss if that beats the current loss by more than 1e-12 relative; stop after a pass
    without a swap or a whole cycle of candidates since the last swap."""
    m = len(d)
    medoids: list[int] = []
    nearest = np.full(m, np.inf)
    for _ in range(k):
        totals = np.minimum(d, nearest[None, :]).sum(axis=1)
        totals[medoids] = np.inf
        c = int(np.argmin(totals))
        medoids.append(c)
        nearest = np.minimum(nearest, d[c])

    def loss(meds: list[int]) -> float:
        return float(d[:, meds].min(axis=1).sum())

    last_swap = None
    for _ in range(max_iter):
        swapped = False
        for x in range(m):
            if x == last_swap:
                return medoids
            if x in medoids:
                continue
            current = loss(medoids)
            trials = [loss([*medoids[:i], x, *medoids[i + 1 :]]) for i in range(k)]
            i = int(np.argmin(trials))
            if trials[i] - current < -1e-12 * current:
                medoids[i] = x
                last_swap, swapped = x, True
        if not swapped:
            break
    return medoids


def clara_reference(samples: np.ndarray, n: int, k: int, dist) -> dict:
    """R clara's sample / PAM / assign / keep-best loop on the given samples (FasterPAM from
    BUILD on each sample)."""
    every = np.arange(n)
    best = None
    costs = []
    for s, sample in enumerate(samples):
        if best is not None:
            # R's rule: the best medoids so far are part of every later sample.
            assert set(best["medoids"]) <= set(sample.tolist()), f"sample {s}"
        d = dist(sample, sample)
        medoids = sample[fasterpam_reference(d, k)]
        to_medoids = dist(every, medoids)
        cost = to_medoids.min(axis=1).sum()
        costs.append(cost)
        if best is None or cost < best["cost"]:
            nearest = medoids[to_medoids.argmin(axis=1)]
            best = {"cost": cost, "medoids": medoids, "sample": s, "nearest": nearest}
    assert best is not None
    return {**best, "costs": np.array(costs)}


def _check_against_reference(km, n, k, dist) -> None:
    ref = clara_reference(km.samples_, n, k, dist)
    np.testing.assert_allclose(km.sample_inertia_, ref["costs"], rtol=RTOL)
    assert km.best_sample_ == ref["sample"]
    assert sorted(km.medoid_indices_) == sorted(ref["medoids"])
    np.testing.assert_allclose(km.inertia_, ref["cost"], rtol=RTOL)
    # Labels: each row's medoid (as a row position) is the reference's nearest medoid.
    mine = km.medoid_indices_[km.labels_.to_numpy()]
    np.testing.assert_array_equal(mine, ref["nearest"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gower_clara_matches_numpy_r_clara_from_the_same_samples(seed):
    # reference: clara_reference (R clara's loop in NumPy, daisy Gower) on the same samples:
    # per-sample losses 1e-9 relative, the kept sample, medoids and labels exactly
    X = _mixed(600, seed)
    km = segmint.KMedoids(3, method="clara", n_samples=6, sample_size=12, random_state=seed).fit(X)
    assert km.method_ == "clara"
    assert km.samples_.shape == (6, 12)
    rows = km.samples_
    assert all(len(set(r)) == 12 and (np.diff(r) > 0).all() for r in rows)
    _check_against_reference(km, len(X), 3, lambda a, b: _gower(X, a, b))


def test_euclidean_clara_matches_numpy_r_clara_from_the_same_samples():
    # reference: clara_reference with scipy's cdist, as above
    X = _mixed(800, 5, k=4)[["revenue", "orders"]].to_numpy()
    km = segmint.KMedoids(
        4, metric="euclidean", method="clara", n_samples=5, sample_size=14, random_state=3
    ).fit(X)
    _check_against_reference(km, len(X), 4, lambda a, b: _euclid(X, a, b))


def test_clara_loss_within_two_percent_of_full_fasterpam():
    # reference: full FasterPAM's loss (segmint's own, itself tested against the kmedoids
    # package in test_gower_kmedoids.py) and the daisy formula for the inertia (1e-9)
    # Overlapping segments (noisy categories, k = 5): the full FasterPAM on the 3,000 × 3,000
    # Gower matrix is the reference loss; CLARA with its defaults (10 samples of 100 + 25k rows)
    # from the same seed must be within 2 % of it.
    X = _mixed(3000, 11, k=5, noise=0.3)
    full = segmint.KMedoids(5, method="fasterpam", random_state=0).fit(X)
    clara = segmint.KMedoids(5, method="clara", random_state=0).fit(X)
    assert clara.samples_.shape == (10, 225)
    assert clara.inertia_ <= 1.02 * full.inertia_, (clara.inertia_, full.inertia_)
    # The inertia is the total Gower distance to the medoids (daisy formula above).
    d = _gower(X, np.arange(len(X)), clara.medoid_indices_)
    np.testing.assert_allclose(clara.inertia_, d.min(axis=1).sum(), rtol=RTOL)


def test_same_result_on_one_and_two_threads():
    # invariance: segmint on 1 thread vs segmint on 2 threads (no external reference)
    X = _mixed(5000, 4, k=4, noise=0.3)
    a = segmint.KMedoids(4, method="clara", random_state=7, n_jobs=1).fit(X)
    b = segmint.KMedoids(4, method="clara", random_state=7, n_jobs=2).fit(X)
    np.testing.assert_array_equal(a.medoid_indices_, b.medoid_indices_)
    pd.testing.assert_series_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_
    np.testing.assert_array_equal(a.samples_, b.samples_)
    # ... and the same seed gives the same samples again; another seed other samples.
    c = segmint.KMedoids(4, method="clara", random_state=7, n_jobs=2).fit(X)
    np.testing.assert_array_equal(a.samples_, c.samples_)
    d = segmint.KMedoids(4, method="clara", random_state=8).fit(X)
    assert not np.array_equal(a.samples_, d.samples_)


def test_no_n_by_n_matrix():
    # 20,000 rows: the full float64 matrix would need 2.98 GiB; CLARA's sample matrix of
    # 300 × 300 fits in 1 MiB.
    X = _mixed(20_000, 9, k=8, noise=0.3)
    with pytest.raises(InvalidInputError, match=r"needs 2\.98 GiB"):
        segmint.KMedoids(8, method="fasterpam", max_memory="1MiB").fit(X)
    km = segmint.KMedoids(8, method="clara", max_memory="1MiB", random_state=0).fit(X)
    assert km.samples_.shape == (10, 300)
    assert km.labels_.index.equals(X.index) and km.labels_.nunique() == 8
    with pytest.raises(InvalidInputError, match="sample_size"):
        segmint.KMedoids(8, method="clara", sample_size=1000, max_memory="1MiB").fit(X)


def test_auto_switches_above_the_documented_size(monkeypatch):
    X = _mixed(300, 1)
    assert segmint.KMedoids(3).fit(X).method_ == "fasterpam"
    # A matrix above max_memory: CLARA.
    km = segmint.KMedoids(3, max_memory="500KiB", random_state=0).fit(X)
    assert km.method_ == "clara" and km.samples_.shape == (10, 175)
    # More rows than AUTO_CLARA_ROWS: CLARA (the constant lowered to keep the test small).
    assert cluster_module.AUTO_CLARA_ROWS == 10_000
    monkeypatch.setattr(cluster_module, "AUTO_CLARA_ROWS", 299)
    assert segmint.KMedoids(3).fit(X).method_ == "clara"
    # Precomputed matrices always use FasterPAM.
    D = _gower(X, np.arange(300), np.arange(300))
    assert segmint.KMedoids(3, metric="precomputed").fit(D).method_ == "fasterpam"


def test_sample_of_every_row_equals_fasterpam():
    # reference: FasterPAM on the full matrix (tested against the kmedoids package elsewhere)
    # R: clara with sampsize = n is pam (tests/clara.R in R's cluster package).
    X = _mixed(150, 2)
    full = segmint.KMedoids(3, method="fasterpam").fit(X)
    clara = segmint.KMedoids(3, method="clara", sample_size=150, n_samples=5).fit(X)
    assert clara.samples_.shape == (1, 150)
    np.testing.assert_array_equal(clara.medoid_indices_, full.medoid_indices_)
    pd.testing.assert_series_equal(clara.labels_, full.labels_)
    np.testing.assert_allclose(clara.inertia_, full.inertia_, rtol=RTOL)


def test_predict_after_clara_gives_the_training_labels():
    # reference: the fit's own labels (predict on the training rows) and the rows of X
    X = _mixed(2000, 3, k=3, noise=0.3)
    km = segmint.KMedoids(3, method="clara", random_state=1).fit(X)
    pd.testing.assert_series_equal(km.predict(X), km.labels_)
    Xe = X[["revenue", "orders"]]
    ke = segmint.KMedoids(3, metric="euclidean", method="clara", random_state=1).fit(Xe)
    pd.testing.assert_series_equal(ke.predict(Xe), ke.labels_)
    np.testing.assert_array_equal(
        ke.cluster_centers_.to_numpy(), Xe.to_numpy()[ke.medoid_indices_]
    )


def test_missing_values_skip_samples_as_r_does():
    X = _mixed(400, 6)
    X = X.astype({"industry": object, "region": object})
    X.loc[5, :] = [np.nan, np.nan, None, None]  # row 5 has no value at all
    # Every sample that contains row 5 has an undefined pair and is skipped; row 5 cannot be
    # assigned to any medoid either, so the fit fails with a clear error.
    with pytest.raises(InvalidInputError, match="no non-missing column"):
        segmint.KMedoids(3, method="clara", n_samples=4, random_state=0).fit(X)
    # Partly missing rows are fine: Gower skips the missing variables pair by pair.
    X.loc[5, "revenue"] = 1.0
    X.loc[7, "industry"] = None
    km = segmint.KMedoids(3, method="clara", n_samples=4, random_state=0).fit(X)
    assert np.isfinite(km.inertia_) and np.isfinite(km.sample_inertia_).any()


def test_clara_parameter_errors():
    X = _mixed(100, 0)
    D = _gower(X, np.arange(100), np.arange(100))
    with pytest.raises(InvalidInputError, match="method"):
        segmint.KMedoids(2, metric="precomputed", method="clara").fit(D)
    with pytest.raises(InvalidInputError, match="init"):
        segmint.KMedoids(2, method="clara", init=[0, 1]).fit(X)
    with pytest.raises(InvalidInputError, match="sample_size"):
        segmint.KMedoids(5, method="clara", sample_size=4).fit(X)
    with pytest.raises(InvalidInputError, match="sample_size"):
        segmint.KMedoids(5, method="clara", sample_size=101).fit(X)
    with pytest.raises(InvalidInputError, match="n_samples"):
        segmint.KMedoids(2, method="clara", n_samples=0).fit(X)
    with pytest.raises(InvalidInputError, match="method"):
        segmint.KMedoids(2, method="clarans").fit(X)
