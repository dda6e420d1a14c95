"""TwoStep cluster analysis (issue 21): planted truth, the CF-tree's statistics against a direct
computation from the rows, the log-likelihood distance / BIC / AIC and SPSS's choice of k against
NumPy implementations of the formulas in IBM SPSS Statistics Algorithms ("TwoStep Cluster
Algorithms"), predictor importance against scipy, threads, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

import segmint as sg
from segmint.errors import InvalidInputError


def planted(
    n: int, k: int = 4, seed: int = 1, dominant: float = 0.99
) -> tuple[pd.DataFrame, np.ndarray]:
    """k clusters: 3 numeric columns with well separated means (unit variance), 2 categorical
    columns in which each cluster has its own dominant category (share `dominant`, the rest
    spread evenly). With noisier categories the log-likelihood criterion puts the rows with
    rare categories into a cluster of their own (see test_noisy_categories_form_their_own_cluster,
    and Bacher, Wenzig & Vogler 2004 on SPSS's TwoStep)."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, k, n)
    centers = np.array([[0, 0, 0], [5, 0, -4], [0, 5, 4], [-5, -4, 0], [5, 5, 5]], float)[:k]
    X = pd.DataFrame({f"x{j}": rng.normal(centers[g, j], 1.0) for j in range(3)})
    for j in range(2):
        probs = np.full((k, 4), (1 - dominant) / 3)
        probs[np.arange(k), (np.arange(k) + j) % 4] = dominant
        u = rng.random(n)
        cum = probs[g].cumsum(axis=1)
        X[f"c{j}"] = pd.Categorical(np.array(list("abcd"))[(u[:, None] > cum).sum(axis=1)])
    return X, g


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return planted(3000)


@pytest.fixture(scope="module")
def fitted(data: tuple[pd.DataFrame, np.ndarray]) -> sg.TwoStep:
    return sg.TwoStep().fit(data[0])


# --- NumPy implementation of the SPSS formulas (independent of segmint) --------------------


def encode(
    X: pd.DataFrame, standardize: bool = True
) -> tuple[np.ndarray, list[np.ndarray], list[int], np.ndarray]:
    """Numeric block (z-scores with the population sd when `standardize`), category codes per
    categorical column, their numbers of categories, and Δ_k."""
    num = X.select_dtypes("number").to_numpy(float)
    if standardize:
        Z = (num - num.mean(axis=0)) / num.std(axis=0)
        delta = np.ones(num.shape[1])
    else:
        Z, delta = num, num.var(axis=0)
    cats = [X[c].cat.codes.to_numpy() for c in X.select_dtypes("category")]
    levels = [len(X[c].cat.categories) for c in X.select_dtypes("category")]
    return Z, cats, levels, delta


def xi(Z: np.ndarray, cats: list[np.ndarray], levels: list[int], delta: np.ndarray) -> float:
    """ξ_v = −N_v (Σ_k ½ ln(Δ_k + σ̂²_vk) + Σ_k Ê_vk) of the rows given."""
    n = len(Z)
    term = 0.5 * np.log(delta + Z.var(axis=0)).sum()
    for c, L in zip(cats, levels, strict=True):
        p = np.bincount(c, minlength=L) / n
        p = p[p > 0]
        term += -(p * np.log(p)).sum()
    return -n * term


def xi_of(mask: np.ndarray, enc: tuple) -> float:
    Z, cats, levels, delta = enc
    return xi(Z[mask], [c[mask] for c in cats], levels, delta)


def criterion(labels: np.ndarray, enc: tuple, kind: str = "bic") -> float:
    """BIC(J) = −2 Σ ξ_j + m_J ln N, AIC(J) = −2 Σ ξ_j + 2 m_J, m_J = J (2 K_A + Σ (L_k − 1))."""
    Z, _cats, levels, _delta = enc
    groups = np.unique(labels)
    total = sum(xi_of(labels == g, enc) for g in groups)
    m = len(groups) * (2 * Z.shape[1] + sum(L - 1 for L in levels))
    penalty = m * np.log(len(labels)) if kind == "bic" else 2 * m
    return -2 * total + penalty


def spss_choice(table: pd.DataFrame) -> int:
    """SPSS's two-phase rule, written from the algorithm document: 1 if BIC(2) ≥ BIC(1); else the
    smallest J with (BIC(J+1) − BIC(J)) / (BIC(2) − BIC(1)) < 0.04 is the initial estimate;
    among J = 2..estimate the two largest ratios of distance measures R(J) decide (the first if
    R1 > 1.15 R2, else the larger J)."""
    bic = table.iloc[:, 0].to_numpy()
    if bic[1] - bic[0] >= 0:
        return 1
    d1 = bic[1] - bic[0]
    estimate = len(bic)
    for j in range(1, len(bic)):
        if (bic[j] - bic[j - 1]) / d1 < 0.04:
            estimate = j
            break
    r = table["ratio of distance measures"]
    cand = sorted(
        ((r.loc[j], j) for j in range(2, estimate + 1) if np.isfinite(r.loc[j])),
        key=lambda t: (-t[0], t[1]),
    )
    if not cand:
        return estimate
    if len(cand) == 1:
        return cand[0][1]
    (r1, j1), (r2, j2) = cand[0], cand[1]
    return j1 if r1 > 1.15 * r2 else max(j1, j2)


# --- Planted truth ---------------------------------------------------------------------------


def test_recovers_planted_k_and_labels(data, fitted) -> None:
    X, g = data
    # reference: the planted clusters (4) and sklearn's adjusted_rand_score.
    assert fitted.n_clusters_ == 4
    assert adjusted_rand_score(g, fitted.labels_) >= 0.9
    assert fitted.labels_.index.equals(X.index) and fitted.labels_.name == "segment"
    assert fitted.n_features_in_ == 5
    assert list(fitted.feature_names_in_) == list(X.columns)
    # predict on the training rows gives the labels (no outlier handling).
    pd.testing.assert_series_equal(fitted.predict(X), fitted.labels_)


def test_noisy_categories_form_their_own_cluster() -> None:
    """Documented behaviour, not a wish: with 10 % of rows off their cluster's category, the
    entropy term makes a cluster of rare-category rows (k + 1 clusters); the planted
    partition still scores a better BIC than the one found at k (greedy agglomeration)."""
    X, g = planted(3000, dominant=0.9)
    ts = sg.TwoStep().fit(X)
    assert ts.n_clusters_ == 5
    # reference: the planted clusters are the other clusters, nearly intact.
    big = pd.crosstab(ts.labels_, g).max(axis=1).nlargest(4)
    assert big.sum() > 0.75 * len(X)


def test_aic_also_recovers_k(data) -> None:
    X, g = data
    ts = sg.TwoStep(criterion="aic").fit(X)
    # reference: the planted clusters.
    assert ts.n_clusters_ == 4 and next(iter(ts.bic_.columns)) == "AIC"
    assert adjusted_rand_score(g, ts.labels_) >= 0.9


def test_fixed_k(data) -> None:
    X, g = data
    ts = sg.TwoStep(n_clusters=4).fit(X)
    # reference: the planted clusters.
    assert ts.n_clusters_ == 4 and adjusted_rand_score(g, ts.labels_) >= 0.9


# --- CF-tree statistics --------------------------------------------------------------------


@pytest.mark.parametrize("outliers", [False, True])
def test_leaf_entries_are_the_sums_of_their_rows(outliers: bool) -> None:
    X, _ = planted(2000, seed=3)
    # A small tree so that it is rebuilt (with a larger threshold) several times.
    ts = sg.TwoStep(
        branching_factor=3, max_leaf_entries=4, max_depth=2, outlier_handling=outliers
    ).fit(X)
    tree = ts._tree
    assert tree["n_rebuilds"] > 0
    Z, cats, levels, _ = encode(X)
    entry = tree["row_entry"]
    m = len(tree["entry_n"])
    assert len(entry) == len(X) and entry.max() < m
    # reference: direct sums over the rows mapped to each leaf entry (NumPy).
    np.testing.assert_array_equal(np.bincount(entry, minlength=m), tree["entry_n"])
    sums = np.zeros((m, Z.shape[1]))
    np.add.at(sums, entry, Z)
    sumsq = np.zeros((m, Z.shape[1]))
    np.add.at(sumsq, entry, Z**2)
    np.testing.assert_allclose(tree["entry_sum"], sums, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(tree["entry_sumsq"], sumsq, rtol=1e-9, atol=1e-9)
    counts = np.hstack(
        [np.eye(L)[c] for c, L in zip(cats, levels, strict=True)]
    )  # one-hot per column
    direct = np.zeros((m, counts.shape[1]))
    np.add.at(direct, entry, counts)
    np.testing.assert_array_equal(tree["entry_counts"], direct)
    # The leaf entries respect the size limit: at most L × B^H.
    assert m - tree["n_outlier_entries"] <= 4 * 3**2
    if outliers:
        regular = m - tree["n_outlier_entries"]
        # Rows of outlier entries are labelled -1, the others are not.
        np.testing.assert_array_equal(ts.labels_.to_numpy() < 0, entry >= regular)


# --- Distance, BIC, AIC, choice of k --------------------------------------------------------


def test_bic_table_and_distances_match_the_formulas(data, fitted) -> None:
    X, _ = data
    enc = encode(X)
    tree = fitted._tree
    entry = tree["row_entry"]
    m = len(tree["entry_n"])
    merges, dist = tree["merges"], tree["merge_distances"]
    # Replay the hierarchy on the leaf entries: cluster of each entry at each J.
    cluster = np.arange(m)
    table = fitted.bic_
    rows = len(table)
    for i, (a, b) in enumerate(merges):
        J = m - i
        if J <= rows + 1:
            labels = cluster[entry]
            if J <= rows:
                # reference: NumPy BIC of this partition of the rows (SPSS formula).
                assert table.loc[J, "BIC"] == pytest.approx(criterion(labels, enc), rel=1e-9)
            # reference: d(i, j) = ξ_i + ξ_j − ξ_<i,j> computed from the rows (NumPy).
            ca, cb = labels == cluster[a], labels == cluster[b]
            expected = xi_of(ca, enc) + xi_of(cb, enc) - xi_of(ca | cb, enc)
            assert dist[i] == pytest.approx(expected, rel=1e-8, abs=1e-8)
        cluster[cluster == cluster[b]] = cluster[a]
    assert table.loc[1, "BIC"] == pytest.approx(criterion(np.zeros(len(X)), enc), rel=1e-9)
    # The other columns from the BIC and the merge distances.
    bic = table["BIC"].to_numpy()
    np.testing.assert_allclose(table["BIC change"].to_numpy()[1:], np.diff(bic), rtol=1e-12)
    np.testing.assert_allclose(
        table["ratio of BIC changes"].to_numpy()[1:], np.diff(bic) / (bic[1] - bic[0]), rtol=1e-12
    )
    d = {m - i: dist[i] for i in range(len(dist))}  # d_min(C_J): merge from J to J - 1
    for J in range(2, rows + 1):
        assert table.loc[J, "ratio of distance measures"] == pytest.approx(d[J] / d[J + 1])
    # reference: SPSS's two-phase rule implemented above.
    assert fitted.n_clusters_ == spss_choice(table)
    # The final clusters are the hierarchy's J = k partition.
    k_labels = tree["entry_cluster"][entry]
    assert len(np.unique(k_labels)) == fitted.n_clusters_


def test_aic_and_unstandardized_match_the_formulas(data) -> None:
    X, _ = data
    X = X.iloc[:800]
    ts = sg.TwoStep(criterion="aic", standardize=False, n_clusters=3).fit(X)
    enc = encode(X, standardize=False)
    tree = ts._tree
    labels = tree["entry_cluster"][tree["row_entry"]]
    # reference: NumPy AIC with Δ_k the column variances (unstandardized data).
    assert ts.bic_.loc[3, "AIC"] == pytest.approx(criterion(labels, enc, "aic"), rel=1e-9)
    np.testing.assert_allclose(
        tree["entry_sum"].sum(axis=0), X.select_dtypes("number").sum().to_numpy(), rtol=1e-9
    )


def test_predict_is_the_closest_cluster_by_log_likelihood(data, fitted) -> None:
    X, _ = data
    enc = encode(X)
    Z, cats, levels, delta = enc
    tree = fitted._tree
    hier = tree["entry_cluster"][tree["row_entry"]]  # rows of the hierarchy's clusters
    rows = np.arange(0, len(X), 97)
    for r in rows:
        dists = []
        for c in range(fitted.n_clusters_):
            mask = hier == c
            with_r = mask.copy()
            # reference: d(cluster, row) = ξ_c + ξ_row − ξ_<c,row> in NumPy (the row counted
            # once more even if it is already in the cluster, as a new row would be).
            Zc = np.vstack([Z[mask], Z[r]])
            cc = [np.append(cat[mask], cat[r]) for cat in cats]
            x_union = xi(Zc, cc, levels, delta)
            x_row = xi(Z[[r]], [cat[[r]] for cat in cats], levels, delta)
            dists.append(xi_of(with_r, enc) + x_row - x_union)
        assert fitted.labels_.iloc[r] == int(np.argmin(dists))


# --- Profiles and importance ----------------------------------------------------------------


def test_profiles_and_importance_against_pandas_and_scipy(data, fitted) -> None:
    X, _ = data
    labels = fitted.labels_
    # reference: pandas groupby on the final labels.
    means = X.select_dtypes("number").groupby(labels).mean()
    np.testing.assert_allclose(
        fitted.cluster_centers_[means.columns].to_numpy(float), means.to_numpy(), rtol=1e-9
    )
    prof = fitted.cluster_profiles_
    np.testing.assert_array_equal(
        prof[("size", "")].to_numpy(), labels.value_counts().sort_index()
    )
    shares = pd.crosstab(labels, X["c0"], normalize="index")
    np.testing.assert_allclose(prof["c0"][shares.columns].to_numpy(), shares.to_numpy(), rtol=1e-9)
    sd = X.select_dtypes("number").groupby(labels).std(ddof=0)
    np.testing.assert_allclose(prof["x1"]["std"].to_numpy(), sd["x1"].to_numpy(), rtol=1e-7)
    imp = fitted.predictor_importance_
    for col in ["x0", "x1", "x2"]:
        # reference: scipy.stats.f_oneway across the final clusters.
        f = stats.f_oneway(*[X[col][labels == c] for c in range(fitted.n_clusters_)])
        assert imp.loc[col, "statistic"] == pytest.approx(f.statistic, rel=1e-8)
    for col in ["c0", "c1"]:
        # reference: scipy.stats.chi2_contingency (no continuity correction for df > 1).
        chi2, p, dof, _ = stats.chi2_contingency(pd.crosstab(labels, X[col]))
        assert imp.loc[col, "statistic"] == pytest.approx(chi2, rel=1e-8)
        assert imp.loc[col, "df1"] == dof
        if p > 0:
            assert imp.loc[col, "log10_p"] == pytest.approx(np.log10(p), rel=1e-6)
    assert imp["importance"].max() == 1.0 and (imp["importance"] >= 0).all()


# --- Threads, pickling, scikit-learn plumbing -----------------------------------------------


def test_same_result_on_one_or_two_threads(data) -> None:
    X, _ = data
    one = sg.TwoStep(n_jobs=1).fit(X)
    two = sg.TwoStep(n_jobs=2).fit(X)
    pd.testing.assert_series_equal(one.labels_, two.labels_)
    pd.testing.assert_frame_equal(one.bic_, two.bic_)
    for key in ("entry_sum", "entry_counts", "merge_distances", "row_entry"):
        np.testing.assert_array_equal(one._tree[key], two._tree[key])
    pd.testing.assert_frame_equal(one.predictor_importance_, two.predictor_importance_)


def test_pickle_clone_and_polars(data, fitted) -> None:
    X, _ = data
    again = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_series_equal(again.predict(X.iloc[:200]), fitted.labels_.iloc[:200])
    assert clone(fitted).get_params() == fitted.get_params()
    # Columns by name at predict: order does not matter.
    pd.testing.assert_series_equal(fitted.predict(X.iloc[:100, ::-1]), fitted.labels_.iloc[:100])


def test_explicit_categorical_and_text_columns() -> None:
    X, g = planted(1500, k=3, seed=5)
    as_text = X.assign(c0=X["c0"].astype(str), c1=X["c1"].astype(str))
    ts = sg.TwoStep().fit(as_text)
    # reference: the planted clusters.
    assert ts.n_clusters_ == 3 and adjusted_rand_score(g, ts.labels_) >= 0.9
    coded = X.assign(c0=X["c0"].cat.codes, c1=X["c1"].cat.codes)
    ts2 = sg.TwoStep(categorical=["c0", "c1"]).fit(coded)
    assert adjusted_rand_score(ts.labels_, ts2.labels_) == 1.0


def test_only_categorical_or_only_numeric_columns() -> None:
    X, g = planted(1200, k=3, seed=7)
    # reference: the planted clusters, from the categorical columns alone (99 % determined).
    cats = sg.TwoStep(n_clusters=3).fit(X[["c0", "c1"]])
    assert adjusted_rand_score(g, cats.labels_) >= 0.9
    # reference: the planted clusters, from the numeric columns alone (means 5 sd apart).
    nums = sg.TwoStep().fit(X[["x0", "x1", "x2"]].to_numpy())
    assert nums.n_clusters_ == 3 and adjusted_rand_score(g, nums.labels_) >= 0.9
    assert list(nums.cluster_centers_.columns) == ["x0", "x1", "x2"]


# --- Errors ---------------------------------------------------------------------------------


def test_errors_name_the_column_or_parameter(data, fitted) -> None:
    X, _ = data
    small = X.iloc[:50].copy()
    before = small.copy()
    bad = small.copy()
    bad.loc[bad.index[3], "x1"] = np.nan
    with pytest.raises(InvalidInputError, match="x1") as e:
        sg.TwoStep().fit(bad)
    assert e.value.args[0].startswith("X: missing")
    with pytest.raises(InvalidInputError, match=r"rows|empty|sample"):
        sg.TwoStep().fit(small.iloc[:0])
    with pytest.raises(InvalidInputError, match="n_clusters"):
        sg.TwoStep(n_clusters=60).fit(small)
    with pytest.raises(InvalidInputError, match=r"x2.*constant"):
        sg.TwoStep().fit(small.assign(x2=1.0))
    with pytest.raises(InvalidInputError, match=r"c1.*single category"):
        sg.TwoStep().fit(small.assign(c1=pd.Categorical(["a"] * 50)))
    with pytest.raises(InvalidInputError, match="criterion"):
        sg.TwoStep(criterion="icl").fit(small)
    with pytest.raises(InvalidInputError, match="max_depth"):
        sg.TwoStep(max_depth=12).fit(small)
    with pytest.raises(InvalidInputError, match="outlier_percent"):
        sg.TwoStep(outlier_percent=150).fit(small)
    unseen = small.assign(c0=small["c0"].astype(str))
    unseen.loc[unseen.index[0], "c0"] = "zzz"
    with pytest.raises(InvalidInputError, match=r"c0.*'zzz'.*not seen"):
        fitted.predict(unseen)
    with pytest.raises(InvalidInputError):
        sg.TwoStep(n_clusters=60).fit(small)
    pd.testing.assert_frame_equal(small, before)  # inputs not mutated
    # A failed fit leaves a fitted estimator as it was.
    est = sg.TwoStep().fit(small)
    labels = est.labels_.copy()
    with pytest.raises(InvalidInputError):
        est.fit(bad)
    pd.testing.assert_series_equal(est.labels_, labels)


@parametrize_with_checks([sg.TwoStep()])
def test_scikit_learn_checks(estimator, check) -> None:  # type: ignore[no-untyped-def]
    check(estimator)
