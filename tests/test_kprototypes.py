"""segmint.KPrototypes against the ``kmodes`` package (Huang's k-prototypes) as the reference.

From the same explicit starting prototypes, ``update="online"`` runs the same deterministic
algorithm as ``kmodes.KPrototypes`` (points visited in order, a prototype moves as soon as a
point changes cluster, the mode rule "most frequent, smallest code on ties", the stopping rule
"no move or the cost did not decrease"), so labels, cost, iterations and prototypes must agree.
``update="batch"`` is checked against scikit-learn's Lloyd k-means where the two coincide
(gamma = 0, or numeric-only data), against a Lloyd-style NumPy reference of the documented rules
written out below (mixed data), against the expanded data for integer weights, and against
planted truth.

Notes on the reference:

* ``kmodes.KPrototypes(init=[num, cat])`` *mutates* the arrays passed as ``init`` (np.asarray
  without a copy, centroids updated in place): every call below passes fresh copies.
* kmodes' categorical ``init`` holds its own codes: the rank of the label among the sorted unique
  values of the column (np.unique order). They are computed here from the labels.
* kmodes re-seeds an emptied cluster with a random row from its own random stream, which segmint
  cannot reproduce; every comparison asserts that kmodes never drew such a row (`_KmodesRngSpy`),
  so a mismatch can never be blamed on that.
"""

from __future__ import annotations

import contextlib
import pickle
import struct

import kmodes.kprototypes as kmodes_kp
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans as SkKMeans
from sklearn.metrics import adjusted_rand_score

import segmint

# Tolerances. The cost is a sum of n terms added in a different order (kmodes: one sequential
# sum; segmint: 1024-row chunks merged as a tree): relative 1e-9 is ~1e6 ulps of headroom.
RTOL = 1e-9
#: Numeric prototypes are O(1..10) means updated incrementally in the same order by both
#: implementations; relative 1e-9 plus absolute 1e-9 for coordinates near 0.
CENTRE_ATOL = 1e-9


# ---------------------------------------------------------------------------------------------
# Data


def _planted(
    n: int,
    p: int,
    q: int,
    levels: list[int],
    k: int,
    seed: int,
    *,
    spread: float = 3.0,
    purity: float = 0.6,
    text: bool = False,
) -> tuple[pd.DataFrame, np.ndarray]:
    """k planted groups: numeric centres N(0, spread²) with per-column noise sd in [0.5, 2];
    each categorical column takes its group's favourite level with probability `purity`, else a
    uniform level. Columns are interleaved in a random order. Categorical columns are pandas
    categoricals with sorted categories, or text (`text=True`) on every other column."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, size=n)
    centres = rng.normal(0.0, spread, size=(k, p))
    noise = rng.normal(size=(n, p)) * rng.uniform(0.5, 2.0, size=p)
    num = centres[truth] + noise
    columns: dict[str, object] = {f"x{j}": num[:, j] for j in range(p)}
    for a in range(q):
        favourite = rng.integers(0, levels[a], size=k)
        keep = rng.random(n) < purity
        codes = np.where(keep, favourite[truth], rng.integers(0, levels[a], size=n))
        names = np.array([f"{'abcdef'[a]}{v}" for v in range(levels[a])], dtype=object)
        if text and a % 2 == 1:
            columns[f"c{a}"] = names[codes]
        else:
            columns[f"c{a}"] = pd.Categorical(names[codes], categories=list(names))
    order = list(rng.permutation(list(columns)))
    return pd.DataFrame({c: columns[c] for c in order}), truth


def _split(df: pd.DataFrame) -> tuple[list[str], list[str]]:
    numeric = [c for c in df.columns if c.startswith("x")]
    categorical = [c for c in df.columns if not c.startswith("x")]
    return numeric, categorical


def _init_rows(df: pd.DataFrame, k: int, seed: int, categorical: list[str]):
    """Explicit initial prototypes: k random rows (numeric part, category labels) and the same
    categories as kmodes' codes (rank among the sorted unique values of each column)."""
    rows = np.random.default_rng(seed).choice(len(df), size=k, replace=False)
    numeric = [c for c in df.columns if c not in categorical]
    num = df[numeric].to_numpy(dtype=np.float64)[rows]
    labels = df[categorical].to_numpy(dtype=object)[rows]
    codes = np.column_stack(
        [
            np.searchsorted(np.unique(df[c].to_numpy(dtype=object)), labels[:, a])
            for a, c in enumerate(categorical)
        ]
    ).astype(np.int64)
    return num, labels, codes


class _KmodesRngSpy(np.random.RandomState):
    """kmodes' random stream, counting the rows it draws (kmodes only draws from it, with an
    explicit init, to re-seed an emptied cluster or to fall back to random init)."""

    draws = 0

    def choice(self, *args, **kwargs):  # type: ignore[override]
        type(self).draws += 1
        return super().choice(*args, **kwargs)


@contextlib.contextmanager
def _spy_on_kmodes_rng():
    def check_random_state(seed):
        if isinstance(seed, np.random.RandomState):
            return seed
        return _KmodesRngSpy(seed)

    _KmodesRngSpy.draws = 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kmodes_kp, "check_random_state", check_random_state)
        yield


def _kmodes_fit(df, categorical, k, num, codes, *, sample_weight=None, **params):
    """kmodes from explicit prototypes (fresh copies: kmodes mutates its init)."""
    X = df.to_numpy(dtype=object)
    positions = [df.columns.get_loc(c) for c in categorical]
    ref = kmodes_kp.KPrototypes(
        n_clusters=k, init=[num.copy(), codes.copy()], n_init=1, n_jobs=1, **params
    )
    weights = None if sample_weight is None else [float(w) for w in sample_weight]
    with _spy_on_kmodes_rng():
        ref.fit(X, categorical=positions, sample_weight=weights)
        # Precondition: kmodes never re-seeded an empty cluster from its own random stream.
        assert _KmodesRngSpy.draws == 0, "kmodes re-seeded an empty cluster: change the data"
    return ref


def _segmint_fit(df, k, num, labels, *, sample_weight=None, **params):
    init = (num.copy(), labels.copy())
    return segmint.KPrototypes(k, init=init, n_init=1, **params).fit(
        df, sample_weight=sample_weight
    )


def _assert_same_as_kmodes(ours, ref, df):
    numeric, categorical = _split(df)
    p = len(numeric)
    np.testing.assert_array_equal(ours.labels_.to_numpy(), ref.labels_.astype(np.int64))
    # cost: relative 1e-9 (see RTOL)
    np.testing.assert_allclose(ours.cost_, ref.cost_, rtol=RTOL, atol=0)
    assert ours.n_iter_ == ref.n_iter_
    centres = ours.cluster_centers_
    # kmodes' cluster_centroids_: numeric then categorical columns, as text (numbers printed
    # with round-trip precision). Numeric: relative 1e-9 + absolute 1e-9 (see CENTRE_ATOL).
    theirs = ref.cluster_centroids_
    np.testing.assert_allclose(
        centres[numeric].to_numpy(),
        theirs[:, :p].astype(np.float64),
        rtol=RTOL,
        atol=CENTRE_ATOL,
    )
    # Categorical modes: equal labels after decoding (exact).
    ours_modes = centres[categorical].to_numpy(dtype=object).astype(str)
    np.testing.assert_array_equal(ours_modes, theirs[:, p:])


# ---------------------------------------------------------------------------------------------
# Same start → same result as kmodes (update="online", the default)

# (n, numeric, categorical, levels, k, data seed, text columns)
SHAPES = [
    pytest.param(300, 2, 1, [3], 2, 0, False, id="n300-p2-q1-k2"),
    pytest.param(500, 3, 2, [4, 2], 3, 1, True, id="n500-p3-q2-k3-text"),
    pytest.param(900, 4, 3, [6, 3, 5], 5, 2, False, id="n900-p4-q3-k5"),
    pytest.param(2000, 2, 3, [2, 2, 6], 4, 3, True, id="n2000-p2-q3-k4-text"),
    pytest.param(600, 4, 1, [5], 4, 4, False, id="n600-p4-q1-k4"),
]


@pytest.mark.parametrize(("n", "p", "q", "levels", "k", "data_seed", "text"), SHAPES)
@pytest.mark.parametrize("init_seed", [0, 1])
def test_same_start_same_result_as_kmodes(n, p, q, levels, k, data_seed, text, init_seed):
    # reference: kmodes.KPrototypes from the same prototypes: labels, iterations, modes; cost and
    # means relative 1e-9
    df, _ = _planted(n, p, q, levels, k, data_seed, text=text)
    _, categorical = _split(df)
    num, labels, codes = _init_rows(df, k, 100 + init_seed, categorical)
    ours = _segmint_fit(df, k, num, labels)
    ref = _kmodes_fit(df, categorical, k, num, codes)
    _assert_same_as_kmodes(ours, ref, df)
    # gamma default: 0.5 × the mean population sd of the numeric columns, as kmodes computes it
    # (two-pass NumPy there, merged one-pass moments here: relative 1e-12).
    assert ours.gamma_ == pytest.approx(ref.gamma, rel=1e-12, abs=0)


def test_runs_compared_with_kmodes_take_several_iterations():
    # Guard on the data above: the comparisons are only meaningful if the runs move points for
    # several passes (not 1-iteration fits).
    # reference: kmodes.KPrototypes' iteration counts (the comparisons are not trivial)
    iters = []
    for n, p, q, levels, k, data_seed, text in (s.values for s in SHAPES):
        df, _ = _planted(n, p, q, levels, k, data_seed, text=text)
        num, labels, _ = _init_rows(df, k, 100, _split(df)[1])
        iters.append(_segmint_fit(df, k, num, labels).n_iter_)
    assert max(iters) >= 5 and sum(i >= 3 for i in iters) >= 3, iters


@pytest.mark.parametrize("gamma", [0.0, 0.3, 4.0])
def test_explicit_gamma_same_result_as_kmodes(gamma):
    # reference: kmodes.KPrototypes with the same gamma, same start
    df, _ = _planted(700, 3, 2, [4, 3], 4, 11)
    _, categorical = _split(df)
    num, labels, codes = _init_rows(df, 4, 7, categorical)
    ours = _segmint_fit(df, 4, num, labels, gamma=gamma)
    ref = _kmodes_fit(df, categorical, 4, num, codes, gamma=gamma)
    _assert_same_as_kmodes(ours, ref, df)
    assert ours.gamma_ == gamma


@pytest.mark.parametrize("max_iter", [1, 2])
def test_max_iter_stops_like_kmodes(max_iter):
    # reference: kmodes.KPrototypes with the same max_iter, same start
    df, _ = _planted(800, 3, 2, [4, 3], 4, 12)
    _, categorical = _split(df)
    num, labels, codes = _init_rows(df, 4, 3, categorical)
    ours = _segmint_fit(df, 4, num, labels, max_iter=max_iter)
    ref = _kmodes_fit(df, categorical, 4, num, codes, max_iter=max_iter)
    _assert_same_as_kmodes(ours, ref, df)
    assert ours.n_iter_ == max_iter


def test_integer_column_declared_categorical_same_result_as_kmodes():
    # An integer column (region codes 10, 20, ...) named in categorical= is matched, not
    # averaged; kmodes encodes it by np.unique, segmint sorts the labels: the same codes.
    df, _ = _planted(600, 3, 2, [5, 3], 3, 13)
    df["c0"] = (df["c0"].cat.codes.astype(np.int64) + 1) * 10
    _, categorical = _split(df)
    num, labels, codes = _init_rows(df, 3, 5, categorical)
    init = (num.copy(), labels.copy())
    ours = segmint.KPrototypes(3, categorical=categorical, init=init, n_init=1).fit(df)
    ref = _kmodes_fit(df, categorical, 3, num, codes)
    _assert_same_as_kmodes(ours, ref, df)
    assert ours.cluster_centers_["c0"].isin([10, 20, 30, 40, 50]).all()


def test_gamma_default_equals_kmodes_on_columns_of_very_different_scales():
    # reference: kmodes.KPrototypes' default gamma (0.5 · mean numeric SD) and its fit
    rng = np.random.default_rng(21)
    n = 400
    df = pd.DataFrame(
        {
            "turnover": 1e6 + 3e5 * rng.standard_normal(n),
            "share": 1e-3 * rng.random(n),
            "region": pd.Categorical(rng.choice(["N", "S", "E"], size=n)),
            "orders": 50.0 + 7.0 * rng.standard_normal(n),
        }
    )
    num, labels, codes = _init_rows(df, 3, 1, ["region"])
    ours = segmint.KPrototypes(3, init=(num, labels), n_init=1, max_iter=1).fit(df)
    ref = _kmodes_fit(df, ["region"], 3, num, codes, max_iter=1)
    numeric = df[["turnover", "share", "orders"]].to_numpy()
    # relative 1e-12: two-pass vs merged one-pass moments
    assert ours.gamma_ == pytest.approx(ref.gamma, rel=1e-12, abs=0)
    assert ours.gamma_ == pytest.approx(0.5 * numeric.std(axis=0).mean(), rel=1e-12, abs=0)


# ---------------------------------------------------------------------------------------------
# Ties: small integer data, where distances and mode counts tie all the time. Both implementations
# compute the distances with the same operations in the same order, so ties are exact and must be
# broken the same way (first prototype; smallest category code for a mode).


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # deterministic: the same examples on every run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_ties_broken_like_kmodes(data):
    # reference: kmodes.KPrototypes on hypothesis-generated data with exact ties (derandomized)
    n = data.draw(st.integers(8, 40), label="n")
    p = data.draw(st.integers(1, 2), label="p")
    q = data.draw(st.integers(1, 2), label="q")
    k = data.draw(st.integers(2, 4), label="k")
    gamma = data.draw(st.sampled_from([0.5, 1.0, 2.0]), label="gamma")
    values = st.lists(st.integers(0, 3), min_size=n * p, max_size=n * p)
    num = np.array(data.draw(values, label="num"), dtype=np.float64).reshape(n, p)
    cats = st.lists(st.sampled_from(["u", "v", "w"]), min_size=n * q, max_size=n * q)
    cat = np.array(data.draw(cats, label="cat"), dtype=object).reshape(n, q)
    df = pd.DataFrame({f"x{j}": num[:, j] for j in range(p)})
    for a in range(q):
        df[f"c{a}"] = pd.Series(cat[:, a], dtype=object)
    # k rows with distinct contents as the start: each keeps at least its own row initially
    # (kmodes would otherwise retry and fall back to a random start).
    order = data.draw(st.permutations(range(n)), label="order")
    rows: list[int] = []
    seen: set[tuple] = set()
    for i in order:
        key = (*num[i], *cat[i])
        if key not in seen:
            seen.add(key)
            rows.append(i)
    # With k distinct rows or fewer, kmodes special-cases the fit (no iterations).
    if len(rows) <= k:
        event("skipped: at most k distinct rows")
        return
    rows = rows[:k]
    labels = cat[rows]
    codes = np.column_stack(
        [np.searchsorted(np.unique(cat[:, a]), labels[:, a]) for a in range(q)]
    ).astype(np.int64)
    ref = kmodes_kp.KPrototypes(
        n_clusters=k, init=[num[rows].copy(), codes.copy()], n_init=1, gamma=gamma, n_jobs=1
    )
    with _spy_on_kmodes_rng():
        ref.fit(df.to_numpy(dtype=object), categorical=list(range(p, p + q)))
        reseeded = _KmodesRngSpy.draws > 0
    if reseeded:  # an emptied cluster: kmodes' random re-seed cannot be reproduced
        event("skipped: kmodes re-seeded an empty cluster")
        return
    event("compared")
    ours = segmint.KPrototypes(k, init=(num[rows].copy(), labels.copy()), gamma=gamma, n_init=1)
    ours.fit(df)
    np.testing.assert_array_equal(ours.labels_.to_numpy(), ref.labels_.astype(np.int64))
    # tiny sums (<= 40 terms of small rationals) in one chunk: same order, 1e-12
    assert ours.cost_ == pytest.approx(ref.cost_, rel=1e-12, abs=1e-12)
    assert ours.n_iter_ == ref.n_iter_
    theirs = ref.cluster_centroids_
    np.testing.assert_allclose(
        ours.cluster_centers_.iloc[:, :p].to_numpy(), theirs[:, :p].astype(float), atol=1e-12
    )
    np.testing.assert_array_equal(
        ours.cluster_centers_.iloc[:, p:].to_numpy(dtype=object).astype(str), theirs[:, p:]
    )


# ---------------------------------------------------------------------------------------------
# Weights


def _fixed_move_point_num(point, to_clust, from_clust, cl_attr_sum, cl_memb_sum, weight):
    """kmodes' _move_point_num with its weight quirk fixed: the cluster's weight moves by the
    point's weight (kmodes moves it by 1 while the attribute sums move by weight × value, so
    after a weighted row moves, its centroid is Σ w·x / (Σ w ± moves): not a weighted mean)."""
    for iattr, value in enumerate(point):
        cl_attr_sum[to_clust][iattr] += value * weight
        cl_attr_sum[from_clust][iattr] -= value * weight
    cl_memb_sum[to_clust] += weight
    cl_memb_sum[from_clust] -= weight
    return cl_attr_sum, cl_memb_sum


@pytest.mark.parametrize(
    ("n", "p", "q", "levels", "k", "data_seed"),
    [(400, 2, 1, [3], 3, 30), (900, 3, 2, [4, 2], 4, 31)],
)
def test_weighted_online_equals_kmodes_with_its_weight_quirk_fixed(n, p, q, levels, k, data_seed):
    # kmodes 0.12.2 supports sample_weight in fit, but on a move its _move_point_num shifts the
    # cluster's membership sum by ±1 instead of ±weight (the attribute sums and category counts
    # do use the weight), so its weighted centroids are not weighted means and the runs differ
    # from segmint (which keeps weighted means) as soon as a weighted row moves. With that one
    # line fixed (monkeypatched), kmodes is the weighted Huang algorithm and must agree.
    # reference: kmodes.KPrototypes with sample_weight (its weighted-mode quirk patched in the
    # test)
    df, _ = _planted(n, p, q, levels, k, data_seed)
    _, categorical = _split(df)
    w = np.random.default_rng(data_seed).integers(1, 6, size=n).astype(np.float64)
    num, labels, codes = _init_rows(df, k, 9, categorical)
    ours = _segmint_fit(df, k, num, labels, sample_weight=w)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kmodes_kp, "_move_point_num", _fixed_move_point_num)
        ref = _kmodes_fit(df, categorical, k, num, codes, sample_weight=w)
    _assert_same_as_kmodes(ours, ref, df)
    # ... and unpatched kmodes differs (documents the quirk; if kmodes fixes it, drop this).
    quirky = _kmodes_fit(df, categorical, k, num, codes, sample_weight=w)
    assert quirky.cost_ != pytest.approx(ours.cost_, rel=RTOL)


def test_unit_weights_equal_no_weights():
    # reference: segmint itself under a change that must not matter (unit weights) — an invariance
    # check, not accuracy
    df, _ = _planted(500, 3, 2, [4, 3], 3, 32)
    num, labels, _ = _init_rows(df, 3, 2, _split(df)[1])
    a = _segmint_fit(df, 3, num, labels)
    b = _segmint_fit(df, 3, num, labels, sample_weight=np.ones(len(df)))
    assert a.labels_.equals(b.labels_)
    assert a.cost_ == b.cost_ and a.n_iter_ == b.n_iter_
    pd.testing.assert_frame_equal(a.cluster_centers_, b.cluster_centers_, check_exact=True)


# ---------------------------------------------------------------------------------------------
# update="batch": a NumPy reference of the Lloyd-style run, written from the documented rules


def _batch_reference(df, k, num0, labels0, gamma, max_iter=100, weights=None):
    """Assign every row to its nearest prototype (first on ties); new prototypes are the weighted
    means and weighted modes (smallest category on ties) of the members; a cluster without
    weight takes the row farthest from its current prototype (first on ties); stop when no
    label changes or the cost did not decrease. Returns labels, cost, n_iter, means, modes."""
    numeric, categorical = _split(df)
    x = df[numeric].to_numpy(dtype=np.float64)
    levels = [sorted(pd.unique(df[c])) for c in categorical]
    codes = np.column_stack(
        [np.searchsorted(lv, df[c]) for lv, c in zip(levels, categorical, strict=True)]
    )
    means = np.array(num0, dtype=np.float64)
    modes = np.column_stack(
        [np.searchsorted(lv, labels0[:, a]) for a, lv in enumerate(levels)]
    ).astype(np.int64)
    w = np.ones(len(df)) if weights is None else np.asarray(weights, dtype=np.float64)

    def assign(means, modes):
        d = ((x[:, None, :] - means[None]) ** 2).sum(axis=2)
        d = d + gamma * (codes[:, None, :] != modes[None]).sum(axis=2)
        labels = d.argmin(axis=1)
        own = d[np.arange(len(x)), labels]
        return labels, float((w * own).sum()), own

    labels, cost, own = assign(means, modes)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        new_means, new_modes = means.copy(), modes.copy()
        for c in range(k):
            members = labels == c
            total = w[members].sum()
            if total > 0:
                new_means[c] = (w[members, None] * x[members]).sum(axis=0) / total
                for a, lv in enumerate(levels):
                    counts = np.bincount(codes[members, a], w[members], minlength=len(lv))
                    new_modes[c, a] = counts.argmax()
            else:
                far = int(own.argmax())
                new_means[c], new_modes[c] = x[far], codes[far]
        new_labels, new_cost, own = assign(new_means, new_modes)
        done = (new_labels == labels).all() or new_cost >= cost
        means, modes, labels, cost = new_means, new_modes, new_labels, new_cost
        if done:
            break
    mode_labels = np.array(
        [[levels[a][modes[c, a]] for a in range(len(levels))] for c in range(k)], dtype=object
    )
    return labels, cost, n_iter, means, mode_labels


@pytest.mark.parametrize(
    ("n", "p", "q", "levels", "k", "data_seed", "weighted"),
    [
        (700, 2, 2, [3, 4], 3, 40, False),
        (1500, 4, 3, [6, 2, 5], 5, 41, False),
        (1200, 3, 1, [4], 4, 42, True),
        (3000, 2, 3, [2, 3, 6], 4, 43, True),  # 3 chunks of 1024 rows merged
    ],
)
def test_batch_equals_numpy_reference(n, p, q, levels, k, data_seed, weighted):
    # reference: _batch_reference above: a NumPy rewrite of the documented batch rules (not an
    # outside package; see test_batch_is_scikit_learn_lloyd_on_the_numeric_part for that)
    df, _ = _planted(n, p, q, levels, k, data_seed)
    numeric, categorical = _split(df)
    w = None
    if weighted:
        w = np.random.default_rng(data_seed).integers(1, 6, size=n).astype(np.float64)
    num, labels, _ = _init_rows(df, k, 8, categorical)
    ours = _segmint_fit(df, k, num, labels, update="batch", sample_weight=w)
    ref_labels, ref_cost, ref_iter, ref_means, ref_modes = _batch_reference(
        df, k, num, labels, ours.gamma_, weights=w
    )
    assert ref_iter >= 3  # the run moves rows for several passes
    np.testing.assert_array_equal(ours.labels_.to_numpy(), ref_labels)
    # cost and means: sums in a different order, relative 1e-9 (+ 1e-9 absolute for means ~0)
    np.testing.assert_allclose(ours.cost_, ref_cost, rtol=RTOL, atol=0)
    assert ours.n_iter_ == ref_iter
    centres = ours.cluster_centers_
    np.testing.assert_allclose(centres[numeric].to_numpy(), ref_means, rtol=RTOL, atol=CENTRE_ATOL)
    np.testing.assert_array_equal(centres[categorical].to_numpy(dtype=object), ref_modes)


@pytest.mark.parametrize(
    ("data_seed", "weighted", "numeric_only"),
    [(70, False, False), (71, True, False), (72, False, True), (73, True, True)],
)
def test_batch_is_scikit_learn_lloyd_on_the_numeric_part(data_seed, weighted, numeric_only):
    # reference: scikit-learn's KMeans(algorithm="lloyd", tol=0) from the same numeric
    # prototypes. With gamma = 0 the categorical columns do not enter the assignment, and on
    # numeric-only data there are none: the batch update is then Lloyd's algorithm on the
    # numeric columns. Same labels; means relative 1e-9 (+ 1e-9 absolute); cost = inertia,
    # relative 1e-9 (sums in a different order). (The iteration counts are not compared:
    # scikit-learn counts its final assignment pass differently.)
    df, _ = _planted(1500, 3, 2, [4, 3], 5, data_seed, spread=2.0)
    numeric, categorical = _split(df)
    num, labels, _ = _init_rows(df, 5, 3, categorical)
    w = None
    if weighted:
        w = np.random.default_rng(data_seed).integers(1, 6, size=len(df)).astype(np.float64)
    if numeric_only:
        model = segmint.KPrototypes(
            5, init=(num, np.empty((5, 0), dtype=object)), update="batch", n_init=1
        ).fit(df[numeric], sample_weight=w)
    else:
        model = segmint.KPrototypes(
            5, init=(num, labels), update="batch", n_init=1, gamma=0.0
        ).fit(df, sample_weight=w)
    ref = SkKMeans(5, init=num, n_init=1, algorithm="lloyd", tol=0.0, max_iter=300)
    ref.fit(df[numeric].to_numpy(), sample_weight=w)
    assert ref.n_iter_ >= 3  # the run moves rows for several passes
    np.testing.assert_array_equal(model.labels_.to_numpy(), ref.labels_)
    np.testing.assert_allclose(
        model.cluster_centers_[numeric].to_numpy(), ref.cluster_centers_, rtol=RTOL, atol=1e-9
    )
    assert model.cost_ == pytest.approx(ref.inertia_, rel=RTOL)


@pytest.mark.parametrize("seed", [50, 51])
def test_batch_integer_weights_equal_expanded_data(seed):
    # Frequency weights: weight w on a row is the same as w copies of it (same start, same
    # gamma). Labels repeat; cost, means: relative 1e-9 (Σ w·x vs x + x + ...).
    # gamma is given: its default is computed from the unweighted rows, as kmodes does (checked
    # below), so it differs between the weighted and the expanded table.
    # reference: the same data with rows repeated by their integer weights (cost, means relative
    # 1e-9); kmodes' default gamma formula
    df, _ = _planted(800, 3, 2, [4, 3], 4, seed)
    numeric, categorical = _split(df)
    w = np.random.default_rng(seed).integers(1, 5, size=len(df))
    num, labels, _ = _init_rows(df, 4, 1, categorical)
    weighted = _segmint_fit(
        df, 4, num, labels, update="batch", sample_weight=w.astype(float), gamma=1.4
    )
    expanded_df = df.iloc[np.repeat(np.arange(len(df)), w)].reset_index(drop=True)
    expanded = _segmint_fit(expanded_df, 4, num, labels, update="batch", gamma=1.4)
    default = _segmint_fit(df, 4, num, labels, update="batch", sample_weight=w.astype(float))
    sd = df[numeric].to_numpy().std(axis=0)
    assert default.gamma_ == pytest.approx(0.5 * sd.mean(), rel=1e-12)  # unweighted, as kmodes
    np.testing.assert_array_equal(
        np.repeat(weighted.labels_.to_numpy(), w), expanded.labels_.to_numpy()
    )
    np.testing.assert_allclose(weighted.cost_, expanded.cost_, rtol=RTOL, atol=0)
    assert weighted.n_iter_ == expanded.n_iter_ >= 2
    a, b = weighted.cluster_centers_, expanded.cluster_centers_
    np.testing.assert_allclose(
        a[numeric].to_numpy(), b[numeric].to_numpy(), rtol=RTOL, atol=CENTRE_ATOL
    )
    assert (a[categorical].to_numpy() == b[categorical].to_numpy()).all()


def _separated(n=1200, seed=0):
    """4 groups: numeric centres 10 apart (sd 1), each categorical column on its group's level
    with probability 0.8: well separated."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, size=n)
    centres = 10.0 * np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float64)
    x = centres[truth] + rng.normal(size=(n, 3))
    df = pd.DataFrame(x, columns=["budget", "volume", "frequency"])
    for name, names in (("industry", ["agri", "it", "retail", "horeca"]), ("size", list("SMLX"))):
        codes = np.where(rng.random(n) < 0.8, truth, rng.integers(0, 4, size=n))
        df[name] = pd.Categorical(np.array(names)[codes], categories=sorted(names))
    return df, truth


@pytest.mark.parametrize("seed", range(3))
def test_batch_cost_never_above_its_starting_point(seed):
    # Starting points of any quality (random rows, or all prototypes from one planted group):
    # the final cost is at most the cost of the initial assignment, computed here by hand
    # (relative 1e-9 for summation order).
    # reference: the cost of the initial assignment computed by hand in NumPy
    df, truth = _separated(seed=seed)
    numeric, categorical = ["budget", "volume", "frequency"], ["industry", "size"]
    x, cats = df[numeric].to_numpy(), df[categorical].to_numpy(dtype=object)
    rng = np.random.default_rng(seed)
    for pool in (np.arange(len(df)), np.flatnonzero(truth == 0)):
        rows = rng.choice(pool, size=4, replace=False)
        num, labels = x[rows], cats[rows]
        model = segmint.KPrototypes(4, init=(num, labels), update="batch", n_init=1).fit(df)
        d = ((x[:, None, :] - num[None]) ** 2).sum(axis=2)
        d = d + model.gamma_ * (cats[:, None, :] != labels[None]).sum(axis=2)
        start_cost = d.min(axis=1).sum()
        assert model.cost_ <= start_cost * (1 + RTOL)


@pytest.mark.parametrize("update", ["batch", "online"])
@pytest.mark.parametrize("init", ["k-means++", "random", "huang"])
def test_same_seed_identical_with_one_or_two_threads(update, init):
    # 5,000 rows: several 1024-row chunks, merged in a fixed order whatever the thread count.
    # reference: segmint itself under a change that must not matter (1 or 2 threads) — an
    # invariance check, not accuracy
    df, _ = _planted(5000, 3, 3, [4, 5, 3], 5, 60, spread=2.0)
    w = np.random.default_rng(60).integers(1, 4, size=len(df)).astype(np.float64)
    prints = []
    for n_jobs in (1, 2, 1):
        m = segmint.KPrototypes(
            5, init=init, update=update, n_init=3, random_state=11, n_jobs=n_jobs
        ).fit(df, sample_weight=w)
        centres = m.cluster_centers_
        prints.append(
            (
                m.labels_.to_numpy().tobytes(),
                centres.select_dtypes("number").to_numpy().tobytes(),
                tuple(centres.select_dtypes(exclude="number").to_numpy().ravel()),
                struct.pack("<d", m.cost_),
                m.n_iter_,
            )
        )
    assert prints[0] == prints[1] == prints[2]


# ---------------------------------------------------------------------------------------------
# Initialisation quality


@pytest.mark.parametrize("seed", range(4))
def test_kmeanspp_best_cost_not_above_kmodes_huang_on_seeds_0_to_3(seed):
    # What this shows: on these four data seeds, segmint's k-means++ start reaches a cost no
    # higher than kmodes' Huang start (reference: kmodes.KPrototypes, its own cost_). It is NOT
    # a claim that segmint is at least as good in general (see the seeds where it is not, below).
    # Best of n_init=5 runs each: segmint's D²-weighted seeding vs kmodes' Huang init, on planted
    # mixed data (4 groups, 3 numeric + 3 categorical columns). Measured (cost equal to 1e-15;
    # ARI to the planted truth, segmint / kmodes): seed 0: 0.9927 / 0.9927, 1: 1.0 / 1.0,
    # 2: 0.8415 / 0.8415, 3: 0.9612 / 0.9612.
    # This is a statement about typical data, not a guarantee: over seeds 0-15 of this generator
    # segmint was worse than kmodes on 1/16 seeds here (seed 11, +5.5e-5 relative), 3/16 with
    # spread 3 / purity 0.6 and 3/16 with spread 2 / purity 0.5 (up to +1.6e-3), and better on
    # 1, 1 and 4 seeds: the two initialisations are on a par, neither dominates.
    df, truth = _planted(400, 3, 3, [4, 5, 3], 4, seed, spread=4.0, purity=0.7)
    _, categorical = _split(df)
    ours = segmint.KPrototypes(4, init="k-means++", n_init=5, random_state=seed).fit(df)
    ref = kmodes_kp.KPrototypes(4, init="Huang", n_init=5, random_state=seed, n_jobs=1)
    ref.fit(df.to_numpy(dtype=object), categorical=[df.columns.get_loc(c) for c in categorical])
    ours_ari = adjusted_rand_score(truth, ours.labels_)
    ref_ari = adjusted_rand_score(truth, ref.labels_)
    print(
        f"seed {seed}: cost {ours.cost_:.6f} vs {ref.cost_:.6f}; "
        f"ARI {ours_ari:.4f} / {ref_ari:.4f}"
    )
    # relative 1e-9: only the summation order may differ when both reach the same optimum
    assert ours.cost_ <= ref.cost_ * (1 + RTOL)
    assert ours_ari > 0.8


@pytest.mark.parametrize("update", ["online", "batch"])
@pytest.mark.parametrize("init", ["huang", "random", "k-means++"])
@pytest.mark.parametrize("seed", range(2))
def test_every_init_recovers_well_separated_groups(init, update, seed):
    # 10 restarts (the default) on well-separated groups: ARI to the planted truth >= 0.95
    # (measured: 0.99+ for every combination).
    # reference: planted groups (ARI ≥ 0.95)
    df, truth = _separated(seed=seed)
    m = segmint.KPrototypes(4, init=init, update=update, random_state=seed).fit(df)
    assert adjusted_rand_score(truth, m.labels_) >= 0.95


# ---------------------------------------------------------------------------------------------
# pandas in, pandas out


def _b2b(n=300, seed=0) -> pd.DataFrame:
    """A small B2B table with every kind of column, on a string index."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, size=n)
    industries = np.array(["agri", "horeca", "it"], dtype=object)
    return pd.DataFrame(
        {
            "budget": 10.0 * truth + rng.normal(size=n),
            "industry": industries[np.where(rng.random(n) < 0.8, truth, rng.integers(0, 3, n))],
            "size_class": pd.Categorical(np.array(list("LMS"))[truth], categories=["L", "M", "S"]),
            "exporter": (truth == 2) ^ (rng.random(n) < 0.1),
            "orders": rng.poisson(3.0 + 4.0 * truth).astype(np.int64),
            "reach": pd.array(
                np.array(["regional", "national", "international"])[truth], dtype="string"
            ),
        },
        index=pd.Index([f"C{i:04d}" for i in range(n)], name="customer"),
    )


TEXTLIKE = ["industry", "size_class", "exporter", "reach"]


@pytest.fixture(scope="module")
def b2b_model():
    df = _b2b()
    return df, segmint.KPrototypes(3, random_state=0).fit(df)


def test_labels_are_a_series_on_the_callers_index(b2b_model):
    # reference: none numeric: API contract (labels on the caller's index) checked directly
    df, m = b2b_model
    assert isinstance(m.labels_, pd.Series)
    assert m.labels_.name == "segment"
    assert m.labels_.index.equals(df.index)
    assert set(m.labels_) == {0, 1, 2}


def test_cluster_centers_means_and_modes_in_the_callers_column_order(b2b_model):
    # reference: pandas: means and modes of each cluster's members
    df, m = b2b_model
    centres = m.cluster_centers_
    assert isinstance(centres, pd.DataFrame)
    assert list(centres.columns) == list(df.columns)
    assert centres.index.name == "segment" and list(centres.index) == [0, 1, 2]
    # Well-separated groups: the last pass moved no row, so the prototypes are exactly the means
    # and modes (most frequent label, smallest on ties) of the final segments. Means: 1e-9.
    assert m.n_iter_ < m.max_iter
    groups = df.groupby(m.labels_.to_numpy())
    np.testing.assert_allclose(
        centres[["budget", "orders"]].to_numpy(),
        groups[["budget", "orders"]].mean().to_numpy(),
        rtol=RTOL,
        atol=CENTRE_ATOL,
    )
    for col in TEXTLIKE:
        for seg, rows in groups:
            counts = rows[col].astype(object).value_counts()
            expected = min(counts.index[counts == counts.max()])
            assert centres.loc[seg, col] == expected, (col, seg)
    # modes are shown as the caller's labels
    assert set(centres["industry"]) <= {"agri", "horeca", "it"}
    assert set(centres["exporter"]) <= {True, False}


def test_categorical_none_detects_category_text_string_and_bool_columns(b2b_model):
    # reference: none numeric: API contract (column kinds detected) checked directly
    df, m = b2b_model
    explicit = segmint.KPrototypes(3, categorical=TEXTLIKE, random_state=0).fit(df)
    assert m.labels_.equals(explicit.labels_)
    pd.testing.assert_frame_equal(m.cluster_centers_, explicit.cluster_centers_)
    # orders (int64) was treated as numeric: its prototype is a mean, not a label
    assert m.cluster_centers_["orders"].dtype == np.float64


def test_categorical_by_position_equals_by_name(b2b_model):
    df, m = b2b_model
    positions = [df.columns.get_loc(c) for c in TEXTLIKE]
    by_position = segmint.KPrototypes(3, categorical=positions, random_state=0).fit(df)
    assert m.labels_.equals(by_position.labels_)


def test_integer_column_declared_categorical_is_matched_not_averaged():
    # reference: pandas: the modes of the declared column
    df = _b2b()
    m = segmint.KPrototypes(3, categorical=[*TEXTLIKE, "orders"], random_state=0).fit(df)
    centres = m.cluster_centers_
    # modes are observed integers (the labels), not means
    assert centres["orders"].isin(df["orders"].unique()).all()
    assert m.n_features_in_ == df.shape[1]
    # It counts as one mismatch, not a squared difference: by hand, the cost is the sum of
    # squared budget distances plus gamma × mismatches over the five categorical columns.
    x = df["budget"].to_numpy()[:, None] - centres["budget"].to_numpy()[None]
    mismatches = sum(
        df[c].to_numpy(dtype=object)[:, None] != centres[c].to_numpy(dtype=object)[None]
        for c in [*TEXTLIKE, "orders"]
    )
    d = x**2 + m.gamma_ * mismatches
    lab = m.labels_.to_numpy()
    # relative 1e-9: summation order
    assert m.cost_ == pytest.approx(d[np.arange(len(df)), lab].sum(), rel=RTOL)
    # gamma: 0.5 × the population sd of the only numeric column
    assert m.gamma_ == pytest.approx(0.5 * df["budget"].std(ddof=0), rel=1e-12)


def _by_hand(m: segmint.KPrototypes, X: pd.DataFrame) -> np.ndarray:
    """Nearest prototype under Σ(x − c)² + gamma × #mismatches, computed from the public
    cluster_centers_ and gamma_; a label the model never saw equals no mode (one mismatch
    against every prototype); first prototype on ties."""
    centres = m.cluster_centers_
    numeric = [c for c in centres.columns if pd.api.types.is_float_dtype(centres[c].dtype)]
    categorical = [c for c in centres.columns if c not in numeric]
    x = X[numeric].to_numpy(dtype=np.float64)
    d = ((x[:, None, :] - centres[numeric].to_numpy()[None]) ** 2).sum(axis=2)
    for c in categorical:
        d += m.gamma_ * (
            X[c].to_numpy(dtype=object)[:, None] != centres[c].to_numpy(dtype=object)[None]
        )
    return d.argmin(axis=1)


def test_predict_matches_hand_computation_including_unseen_categories(b2b_model):
    # reference: distances computed by hand in NumPy (squared Euclidean + gamma × mismatches)
    _, m = b2b_model
    new = _b2b(n=200, seed=5)
    rng = np.random.default_rng(5)
    unseen = rng.random(len(new)) < 0.3
    new["industry"] = new["industry"].where(~unseen, "mining")  # never seen when fitting
    new.loc[new.index[:20], "reach"] = "global"
    # near the boundary between groups, so the extra mismatch decides some rows
    new["budget"] = rng.uniform(-2.0, 22.0, size=len(new))
    got = m.predict(new)
    assert isinstance(got, pd.Series) and got.name == "segment" and got.index.equals(new.index)
    np.testing.assert_array_equal(got.to_numpy(), _by_hand(m, new))


def test_predict_unseen_category_counts_one_mismatch_against_every_mode(b2b_model):
    # By hand on one row: a new industry is one mismatch everywhere, so the segment is the one
    # nearest on the other columns: a prototype itself with an unknown industry is at distance
    # gamma from its own prototype and at least that from every other one, so it goes back to
    # its own segment (the groups are 10 apart on budget: no tie).
    # reference: by hand: an unseen category mismatches every mode
    df, m = b2b_model
    centres = m.cluster_centers_
    categories = {c: df[c].dtype for c in ["size_class", "exporter", "reach"]}
    for seg in range(3):
        row = centres.loc[[seg]].copy()
        row["industry"] = "mining"
        row = row.astype(categories)
        assert m.predict(row).iloc[0] == seg == _by_hand(m, row)[0]


def test_predict_on_the_training_rows_gives_labels(b2b_model):
    df, m = b2b_model
    assert m.predict(df).equals(m.labels_)
    # columns in another order are taken by name
    assert m.predict(df[df.columns[::-1]]).equals(m.labels_)


def test_predict_on_training_rows_gives_labels_for_other_fits():
    # reference: the fit's labels (predict on the training rows must give them)
    for update in ("online", "batch"):
        df, _ = _planted(1500, 3, 2, [4, 3], 4, 70, spread=2.0)
        m = segmint.KPrototypes(4, update=update, random_state=1, n_init=3).fit(df)
        np.testing.assert_array_equal(m.predict(df).to_numpy(), m.labels_.to_numpy())


def test_pickle_round_trip_predicts_identically(b2b_model):
    # reference: segmint itself under a change that must not matter (pickle) — an invariance check,
    # not accuracy
    _, m = b2b_model
    clone = pickle.loads(pickle.dumps(m))
    new = _b2b(n=100, seed=9)
    assert clone.predict(new).equals(m.predict(new))
    assert clone.cost_ == m.cost_ and clone.gamma_ == m.gamma_
    pd.testing.assert_frame_equal(clone.cluster_centers_, m.cluster_centers_)


def test_missing_drop_leaves_rows_out_and_fits_the_rest():
    # missing="drop": rows with a missing value get label -1; the others are clustered exactly
    # as the complete rows alone (same explicit start).
    # reference: the same fit on the complete rows only (pandas dropna)
    df = _b2b()
    holes = _with(_with(df, "budget", 4, np.nan), "industry", 7, None)
    complete = holes.drop(index=holes.index[[4, 7]])
    init = (_INIT_NUM[:3], np.array(_INIT_MODES[:3], dtype=object))
    a = segmint.KPrototypes(3, init=init, missing="drop").fit(holes)
    b = segmint.KPrototypes(3, init=init).fit(complete)
    assert a.labels_.index.equals(holes.index)
    assert (a.labels_.iloc[[4, 7]] == -1).all()
    assert a.labels_.drop(index=holes.index[[4, 7]]).equals(b.labels_)
    assert a.cost_ == b.cost_
    pd.testing.assert_frame_equal(a.cluster_centers_, b.cluster_centers_)


# ---------------------------------------------------------------------------------------------
# Bad input: segmint's errors, naming the parameter or the column; nothing mutated


def _with(df: pd.DataFrame, col: str, row: int, value) -> pd.DataFrame:
    out = df.copy()
    if isinstance(out[col].dtype, pd.CategoricalDtype):
        out[col] = out[col].astype(object)
        out.loc[out.index[row], col] = value
        out[col] = out[col].astype(df[col].dtype)
    else:
        out.loc[out.index[row], col] = value
    return out


_INIT_MODES = [["agri", "L", False, "regional"], ["it", "M", True, "national"]] * 2
_INIT_NUM = np.array([[0.0, 3.0], [10.0, 7.0], [20.0, 11.0], [5.0, 5.0]])

BAD_FIT = [
    pytest.param(
        lambda df: (_with(df, "budget", 3, np.nan), {}),
        segmint.InvalidInputError,
        "budget",
        id="nan-numeric",
    ),
    pytest.param(
        lambda df: (_with(df, "industry", 3, None), {}),
        segmint.InvalidInputError,
        "industry",
        id="nan-text",
    ),
    pytest.param(
        lambda df: (_with(df, "size_class", 3, np.nan), {}),
        segmint.InvalidInputError,
        "size_class",
        id="nan-category",
    ),
    pytest.param(
        lambda df: (df.assign(budget=np.nan), {}),
        segmint.InvalidInputError,
        "budget",
        id="all-nan-numeric",
    ),
    pytest.param(
        lambda df: (df.assign(industry=None), {}),
        segmint.InvalidInputError,
        "industry",
        id="all-nan-text",
    ),
    pytest.param(
        lambda df: (df.iloc[:3], {"n_clusters": 4}),
        segmint.InvalidInputError,
        "n_clusters",
        id="k-greater-than-n",
    ),
    pytest.param(lambda df: (df.iloc[:0], {}), segmint.InvalidInputError, "X", id="empty"),
    pytest.param(
        lambda df: (df, {"gamma": -0.5}), segmint.InvalidInputError, "gamma", id="gamma<0"
    ),
    pytest.param(
        lambda df: (df, {"gamma": float("nan")}),
        segmint.InvalidInputError,
        "gamma",
        id="gamma-nan",
    ),
    pytest.param(
        lambda df: (df, {"init": "cao"}), segmint.InvalidInputError, "init", id="init-unknown"
    ),
    pytest.param(
        lambda df: (df, {"init": (_INIT_NUM[:3], _INIT_MODES)}),
        segmint.InvalidInputError,
        "init",
        id="init-centres-too-few-rows",
    ),
    pytest.param(
        lambda df: (df, {"init": (_INIT_NUM.T.copy(), _INIT_MODES)}),
        segmint.InvalidInputError,
        "init",
        id="init-centres-transposed",
    ),
    pytest.param(
        lambda df: (df, {"init": (_INIT_NUM, [m[:3] for m in _INIT_MODES])}),
        segmint.InvalidInputError,
        "init",
        id="init-modes-too-few-columns",
    ),
    pytest.param(
        lambda df: (df, {"init": (_INIT_NUM, [["agri", "XL", False, "regional"]] * 4)}),
        segmint.InvalidInputError,
        "init",
        id="init-mode-not-a-category",
    ),
    pytest.param(
        lambda df: (df, {"init": (_INIT_NUM,)}),
        segmint.InvalidInputError,
        "init",
        id="init-half",
    ),
    pytest.param(
        lambda df: (df, {"update": "bogus"}),
        segmint.InvalidInputError,
        "update",
        id="update-bogus",
    ),
    pytest.param(
        lambda df: (df, {"categorical": ["size_class", "exporter", "reach"]}),
        segmint.InvalidTypeError,
        "industry",
        id="text-column-not-declared",
    ),
    pytest.param(
        lambda df: (df, {"categorical": ["nope"]}),
        segmint.InvalidInputError,
        "categorical",
        id="categorical-unknown-column",
    ),
]


@pytest.mark.parametrize(("make", "error", "what"), BAD_FIT)
def test_bad_input_raises_a_clear_error(make, error, what):
    # reference: none numeric: API contract (errors name the parameter or column) checked directly
    df, params = make(_b2b())
    params = {"n_clusters": 4, "random_state": 0, **params}
    before = df.copy(deep=True)
    init = params.get("init")
    init_before = pickle.dumps(init)
    with pytest.raises(error) as info:
        segmint.KPrototypes(**params).fit(df)
    assert info.value.what == what
    assert what in str(info.value)
    pd.testing.assert_frame_equal(df, before)
    assert pickle.dumps(init) == init_before


def test_init_with_one_categorical_column_takes_flat_modes_and_checks_their_number():
    # One categorical column: the modes may be a flat list (one label per prototype); a flat
    # list of the wrong length is a segmint error naming init, like any other wrong shape.
    # reference: none numeric: API contract (init shapes) checked directly
    df = pd.DataFrame({"a": np.arange(10.0), "c": pd.Categorical(list("xyxyxyxyxy"))})
    centres = np.array([[0.0], [9.0]])
    flat = segmint.KPrototypes(2, init=(centres, ["x", "y"])).fit(df)
    nested = segmint.KPrototypes(2, init=(centres, [["x"], ["y"]])).fit(df)
    assert flat.labels_.equals(nested.labels_)
    # by hand: rows 0-4 (a <= 4) nearer 0, rows 5-9 nearer 9; means 2 and 7; modes x (x, y, x,
    # y, x) and y (y, x, y, x, y)
    assert flat.labels_.tolist() == [0] * 5 + [1] * 5
    assert flat.cluster_centers_.to_numpy().tolist() == [[2.0, "x"], [7.0, "y"]]
    with pytest.raises(segmint.InvalidInputError) as info:
        segmint.KPrototypes(2, init=(centres, ["x", "y", "x"])).fit(df)
    assert info.value.what == "init"


def test_predict_with_a_missing_column_names_it(b2b_model):
    # reference: none numeric: API contract (errors name the column) checked directly
    df, m = b2b_model
    with pytest.raises(segmint.InvalidInputError) as info:
        m.predict(df.drop(columns="exporter"))
    assert info.value.what == "exporter"
    assert "exporter" in str(info.value)


def test_nothing_mutated_by_fit_and_predict():
    # reference: none numeric: API contract (inputs unmutated) checked directly
    df = _b2b()
    before = df.copy(deep=True)
    num = _INIT_NUM[:3].copy()
    modes = np.array(_INIT_MODES[:3], dtype=object)
    num_before, modes_before = num.copy(), modes.copy()
    w = np.arange(1.0, len(df) + 1)
    w_before = w.copy()
    for update in ("online", "batch"):
        m = segmint.KPrototypes(3, init=(num, modes), update=update).fit(df, sample_weight=w)
        m.predict(df)
    m = segmint.KPrototypes(3, random_state=0).fit(df, sample_weight=w)
    m.predict(df)
    pd.testing.assert_frame_equal(df, before, check_exact=True)
    np.testing.assert_array_equal(num, num_before)
    np.testing.assert_array_equal(modes, modes_before)
    np.testing.assert_array_equal(w, w_before)


@pytest.mark.parametrize("data_seed", [31, 32])
def test_batch_is_kmodes_on_the_categorical_part_when_gamma_is_huge(data_seed):
    # reference: the `kmodes` package's KModes (Huang's k-modes, Hamming dissimilarity) on the
    # categorical columns alone, from the same initial modes. With gamma = 1e9 a category
    # mismatch outweighs any numeric distance, so the batch update is k-modes on the
    # categorical part (numbers only break ties). On planted groups with distinct modes both
    # reach the same partition: identical labels and modes.
    from kmodes.kmodes import KModes

    df, truth = _planted(1200, 2, 4, [5, 5, 4, 4], 4, data_seed, spread=0.1, purity=0.85)
    numeric, categorical = _split(df)
    # one row of each planted group as the start (distinct modes, as k-modes needs)
    rows = [int(np.flatnonzero(truth == g)[0]) for g in range(4)]
    num = df[numeric].to_numpy(dtype=np.float64)[rows]
    modes = df[categorical].to_numpy(dtype=object)[rows]
    model = segmint.KPrototypes(4, init=(num, modes), update="batch", n_init=1, gamma=1e9).fit(df)
    # kmodes takes its initial modes as codes: ranks among each column's sorted unique values
    codes = np.column_stack(
        [
            np.searchsorted(np.unique(df[c].to_numpy(dtype=object)), modes[:, a])
            for a, c in enumerate(categorical)
        ]
    )
    ref = KModes(4, init=codes, n_init=1, max_iter=100).fit(df[categorical].to_numpy(dtype=object))
    np.testing.assert_array_equal(
        model.cluster_centers_[categorical].to_numpy(dtype=object), ref.cluster_centroids_
    )
    # Rows at equal Hamming distance from two modes are broken by the numbers in segmint and
    # by the lower index in kmodes: compare the others (most rows).
    cat = df[categorical].to_numpy(dtype=object)
    hamming = (cat[:, None, :] != ref.cluster_centroids_[None, :, :]).sum(axis=2)
    unique = (hamming == hamming.min(axis=1, keepdims=True)).sum(axis=1) == 1
    assert unique.mean() > 0.85
    np.testing.assert_array_equal(model.labels_.to_numpy()[unique], ref.labels_[unique])
