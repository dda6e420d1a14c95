"""Issue 19: hostile inputs end in a clean exception or a correct result, never an abort, an
exception of the wrong kind, or inf / NaN returned as an answer.

Inputs that once aborted the interpreter run in a subprocess: the test asserts exit code 0 and
the exception's class printed by the child."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

import segmint as sg
from segmint.chaid import merge_table, node_tables
from segmint.errors import InvalidInputError

HUGE = 2**70


def run_isolated(code: str, timeout: float = 120) -> str:
    """Run `code` in a fresh interpreter; it prints its outcome. Returns stdout; asserts that
    the child exited normally (no SIGABRT, no hang)."""
    script = textwrap.dedent(
        """
        import numpy as np, pandas as pd, segmint as sg
        from segmint.chaid import node_tables
        def outcome(f):
            try:
                f()
            except Exception as e:  # the kind is what the test checks
                print(type(e).__name__, getattr(e, "what", None))
            else:
                print("ok")
        """
    ) + textwrap.dedent(code)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout
    )
    assert out.returncode == 0, f"exit {out.returncode}: {out.stderr[-2000:]}"
    return out.stdout.strip()


# --- node tables: sizes validated before anything is allocated ---


HUGE_TABLES = [
    # (call, the parameter the error names, or None when any name will do)
    ("node_tables(np.array([[0]]), [2], np.array([0]), 2, np.array([0]), 2**33)", "n_nodes"),
    ("node_tables(np.array([[0]]), [2], np.array([0]), 2**31, np.array([0]), 1)", "n_classes"),
    ("node_tables(np.array([[0]]), [2**31], np.array([0]), 2, np.array([0]), 2**20)", None),
    ("node_tables(np.array([[0]]), [2**33], np.array([0]), 2, np.array([0]), 1)", None),
    (
        "node_tables(np.zeros((1, 4), int), [9] * 4, np.array([0]), 2**20, np.array([0]), 2**20)",
        "n_nodes",
    ),
]


def test_node_tables_huge_sizes_raise_before_allocating():
    # Once "memory allocation of N bytes failed" (SIGABRT): now one child runs them all and
    # must exit normally, each call ending in InvalidInputError.
    out = run_isolated("\n".join(f"outcome(lambda: {call})" for call, _ in HUGE_TABLES))
    lines = out.splitlines()
    assert len(lines) == len(HUGE_TABLES), out
    for line, (call, what) in zip(lines, HUGE_TABLES, strict=True):
        assert line.startswith("InvalidInputError"), (call, line)
        if what is not None:
            assert what in line, (call, line)


def test_node_tables_codes_are_checked_not_wrapped():
    y, nodes = np.array([0]), np.array([0])
    # A negative level count is an error naming it (was OverflowError).
    with pytest.raises(InvalidInputError, match="n_levels"):
        node_tables(np.array([[0]]), [-1], y, 2, nodes, 1)
    # 2**32 is not code 0 (it used to wrap).
    with pytest.raises(InvalidInputError, match="codes"):
        node_tables(np.array([[2**32]]), [2], y, 2, nodes, 1)
    # Negative codes of a small dtype are missing (was OverflowError in np.where).
    t = node_tables(np.array([[-1]], dtype=np.int8), [2], y, 2, nodes, 1)
    # Reference: counted by hand: the one row lands in the missing slot (slot n_levels = 2).
    assert t[0, 0, 2, 0] == 1.0 and t.sum() == 1.0
    # NaN is missing, not level 0.
    t = node_tables(np.array([[np.nan], [1.0]]), [2], np.array([0, 1]), 2, np.array([0, 0]), 1)
    assert t[0, 0, 0].sum() == 0.0 and t[0, 0, 2, 0] == 1.0 and t[0, 0, 1, 1] == 1.0
    with pytest.raises(InvalidInputError, match="codes"):
        node_tables(np.array([[0.5]]), [2], y, 2, nodes, 1)
    with pytest.raises(InvalidInputError, match="y"):
        node_tables(np.array([[0]]), [2], np.array([-1]), 2, nodes, 1)


# --- huge integer parameters name the parameter ---


@pytest.mark.parametrize(
    "make",
    [
        lambda: sg.KMeans(2, n_init=HUGE),
        lambda: sg.KMeans(2, max_iter=HUGE),
        lambda: sg.KPrototypes(2, n_init=HUGE),
        lambda: sg.CHAID(max_depth=HUGE),
        lambda: sg.CHAID(max_bins=HUGE),
        lambda: sg.conjoint.LatentClassMNL(n_starts=HUGE),
        lambda: sg.conjoint.MNL(max_iter=HUGE),
    ],
)
def test_huge_integer_parameters_raise_invalid_input(make):
    from segmint import _validation

    est = make()
    name = next(k for k, v in est.get_params().items() if v == HUGE)
    with pytest.raises(InvalidInputError, match=name) as err:
        _validation.validate_params(est)
    assert err.value.what == name


def test_huge_n_jobs_is_capped():
    from segmint import _validation

    assert _validation.n_threads(HUGE) == _validation.MAX_THREADS
    X = np.random.default_rng(0).normal(size=(30, 2))
    sg.KMeans(2, n_jobs=HUGE, random_state=0).fit(X)


# --- magnitudes: exact scaling (Ward) or a named refusal (squares that overflow) ---


def test_ward_extreme_values():
    # Ward's heights are linear in the data: 1e300-scaled data give the heights of the unit data
    # times 1e300. Reference: scipy.cluster.hierarchy.linkage(method="ward") on the unit data.
    from scipy.cluster.hierarchy import linkage

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    expected = linkage(X, method="ward")
    for s in (1e300, 1e-300):
        z = sg.Ward(3).fit(X * s).linkage_matrix_
        np.testing.assert_allclose(z[:, 2], expected[:, 2] * s, rtol=1e-12)
        np.testing.assert_array_equal(z[:, [0, 1, 3]], expected[:, [0, 1, 3]])
    # Heights beyond the float range: a clean error naming X (was InternalError).
    with pytest.raises(InvalidInputError, match="X"):
        sg.Ward(2).fit([[-1e308], [-1e308], [1e308], [1e308], [1e308]])


def test_kmeans_refuses_values_whose_squares_overflow():
    with pytest.raises(InvalidInputError, match="x0") as err:
        sg.KMeans(2).fit([[1e200], [-1e200], [0], [1]])
    assert err.value.what == "x0"
    frame = pd.DataFrame({"a": [0.0, 1, 2, 3], "big": [1e300, -1e300, 0, 1]})
    with pytest.raises(InvalidInputError, match="big"):
        sg.KMeans(2).fit(frame)


def test_finite_abs_max_matches_numpy_in_any_layout():
    # The Rust pass behind check_squares against the NumPy formula it replaced (reference:
    # max over |v| of the finite values, 0 for a column without any), on C, Fortran and strided
    # blocks with NaN and ±inf spread over several 1,024-row chunks.
    from segmint import _core

    rng = np.random.default_rng(3)
    x = rng.normal(size=(5000, 6)) * np.array([1, 1e3, 1e-3, 1e300, 1, 1])
    x[rng.integers(0, 5000, 300), 1] = np.nan
    x[rng.integers(0, 5000, 300), 2] = np.inf
    x[rng.integers(0, 5000, 300), 3] = -np.inf
    x[:, 5] = np.nan
    x[4321, 4] = -1e10
    for block in (x, np.asfortranarray(x), x[::3, ::2], x[:0]):
        with np.errstate(invalid="ignore"):
            expected = np.max(
                np.where(np.isfinite(block), np.abs(block), 0.0), axis=0, initial=0.0
            )
        got = _core.finite_abs_max(block, n_threads=0)
        np.testing.assert_array_equal(got, expected)


def test_kprototypes_refuses_values_whose_squares_overflow():
    X = pd.DataFrame({"v": [1e300, 1.7e308, 1.7e308, -1.7e308], "c": list("abab")})
    with pytest.raises(InvalidInputError, match="'v'"):
        sg.KPrototypes(2, categorical=["c"]).fit(X)


def test_metrics_on_huge_data_refuse_by_column():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 3)) * 1e300, columns=["a", "b", "c"])
    labels = np.repeat([0, 1, 2], 10)
    for f in (sg.davies_bouldin_score, sg.calinski_harabasz_score, sg.silhouette_score):
        with pytest.raises(InvalidInputError, match="'a'"):
            f(X, labels)
    # Moderately large data are fine and match scikit-learn (reference) on the same values.
    from sklearn import metrics

    Y = X / 1e300 * 1e100
    assert np.isclose(sg.davies_bouldin_score(Y, labels), metrics.davies_bouldin_score(Y, labels))


def test_select_k_with_float_max():
    M = sys.float_info.max
    with pytest.raises(InvalidInputError, match="x0"):
        sg.select_k([[M], [-M], [0.0], [1.0]], [1, 2])


# --- wrong exception kinds ---


def test_migration_all_missing_after():
    with pytest.raises(InvalidInputError, match="after"):
        sg.migration(pd.Series([1, 2]), pd.Series([np.nan, np.nan]))
    # Missing segments are left out; the rest is tabulated (reference: pandas.crosstab by hand).
    m = sg.migration(pd.Series([1, 1, 2]), pd.Series([3, np.nan, 4]))
    assert m.table.to_numpy().sum() == 2 and m.share_moved == 0.0


def test_profile_boolean_labels_and_polars():
    X = pd.DataFrame({"c": list("abab"), "x": [1.0, 2.0, 3.0, 5.0]})
    prof = sg.profile(X, [True, False, True, False])
    # Reference: segment True holds rows 0 and 2 (x = 1, 3), mean 2; False rows 1 and 3, mean 3.5.
    assert prof.numeric.at[("x", "mean"), True] == 2.0
    assert prof.numeric.at[("x", "mean"), False] == 3.5
    assert prof.summary["size"].tolist() == [2.0, 2.0]
    # Boolean segments with only categorical columns (the persona's category shares).
    B = pd.DataFrame({"c": list("abab"), "x": [b"a", b"b", b"a", b"b"]}, index=range(100, 104))
    prof = sg.profile(B, [False, True, True, False])
    assert prof.summary["size"].tolist() == [2.0, 2.0]
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"x": [1.0, 2.0, 3.0, 5.0], "seg": [0, 1, 0, 1]})
    prof = sg.profile(frame, "seg")
    assert list(prof.tests.index) == ["x"]  # the label column is not profiled


def test_select_k_and_stability_with_ward():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 0.3, (20, 2)), rng.normal(5, 0.3, (20, 2))])
    table = sg.select_k(X, [2, 3], estimator=sg.Ward(), random_state=0)
    # Reference: the within-cluster sum of squares of scipy's Ward cut at k=2 (two blobs).
    from scipy.cluster.hierarchy import fcluster, linkage

    lab = fcluster(linkage(X, "ward"), 2, "maxclust")
    wss = sum(((X[lab == c] - X[lab == c].mean(0)) ** 2).sum() for c in np.unique(lab))
    assert np.isclose(table.loc[2, "inertia"], wss)
    out = sg.stability(sg.Ward(2), X, n_boot=5, random_state=0)
    # Two well-separated blobs survive every resample (Jaccard 1, ARI 1).
    assert np.allclose(out["jaccard"], 1.0) and np.isclose(out.attrs["ari"], 1.0)


# --- CHAID ---


def test_chaid_root_rule_keeps_nan_index_rows():
    X = pd.DataFrame({"a": ["x", "y", "x", "y"] * 5}, index=[np.nan, *list(range(19))])
    y = pd.Series(["p", "q"] * 10, index=X.index)
    tree = sg.CHAID(alpha_split=1e-9).fit(X, y)  # no split: one leaf
    rule = tree.rules(fmt="pandas").iloc[0]
    assert len(X.query(rule)) == len(X)


def test_merge_table_huge_counts():
    from scipy.stats import chi2_contingency

    t = np.array([[10.0, 1.0], [1.0, 10.0], [5.0, 5.0]])
    base = merge_table(t)
    big = merge_table(t * 1e295)
    # Pearson's statistic is homogeneous of degree 1 in the counts (reference:
    # scipy.stats.chi2_contingency on the unscaled merged table, × 1e295).
    assert big is not None and np.isfinite(big["statistic"]) and big["statistic"] > 0
    assert base is not None and big["groups"] == base["groups"]
    merged = np.array([t[g].sum(axis=0) for g in base["groups"]])
    ref = chi2_contingency(merged, correction=False)[0]
    assert np.isclose(big["statistic"], ref * 1e295, rtol=1e-9)
    with pytest.raises(InvalidInputError, match="table"):  # a total above 1e300
        merge_table(t * 1e300)
    with pytest.raises(InvalidInputError, match="table"):
        merge_table(np.full((2, 2), 1e308))
    with pytest.raises(InvalidInputError, match="table"):  # 5e-324 next to 1e300: E underflows
        merge_table(np.array([[0.0, 5e-324], [1e300, 5e-324]]))
    # Tiny counts: R_i C_j underflows unless reordered. Independence table: statistic 0
    # (reference: chi2_contingency of the table × 1e300, which is 0 for equal cells).
    tiny = merge_table(np.array([[1e-300, 1e-300], [1e-300, 1e-300]]))
    assert tiny is None or (np.isfinite(tiny["statistic"]) and tiny["statistic"] == 0.0)


def test_chaid_fit_under_seterr_raise():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.choice(list("abc"), 3000), "b": rng.choice(list("xy"), 3000)})
    y = (X["a"] == "a").map({True: "yes", False: "no"})
    with np.errstate(all="raise"):  # the split's p-value (~1e-650) underflows to 0
        tree = sg.CHAID().fit(X, y)
        pred = tree.predict(X)
    # Reference: y is a function of a, so the tree predicts every training row exactly.
    assert (pred.to_numpy() == y.to_numpy()).all()


# --- conjoint ---

ATTRS = ["brand", "support", "delivery", "contract", "warranty", "price"]


@pytest.fixture(scope="module")
def choice_data():
    data, _ = sg.datasets.make_choice_data(120, 8, 3, random_state=0)
    return data


def test_mnl_price_scaled_by_1e20(choice_data):
    # A price in other units (× 1e20) scales its coefficient by 1e-20 and changes nothing else
    # (reference: the same model on the unscaled price).
    base = sg.conjoint.MNL(attributes=ATTRS, linear=["price"]).fit(choice_data)
    scaled = choice_data.assign(price=choice_data["price"] * 1e20)
    fit = sg.conjoint.MNL(attributes=ATTRS, linear=["price"]).fit(scaled)
    assert np.isclose(fit.coef_["price"] * 1e20, base.coef_["price"], rtol=1e-6)
    np.testing.assert_allclose(fit.coef_.drop("price"), base.coef_.drop("price"), rtol=1e-6)


def test_mnl_separation_warns(choice_data):
    # The chosen alternative always has the highest price: price separates the choices.
    data = choice_data.copy()
    top = data.groupby(["respondent", "task"])["price"].transform("max")
    data["chosen"] = (data["price"] == top).astype(int)
    first = data.groupby(["respondent", "task"])["chosen"].cumsum()
    data["chosen"] = ((data["chosen"] == 1) & (first == 1)).astype(int)
    with pytest.warns(RuntimeWarning, match="separated"):
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            sg.conjoint.MNL(attributes=ATTRS, linear=["price"]).fit(data)


def test_latent_class_summary_message(choice_data):
    model = sg.ChoiceModel("latent_class", n_classes=2, n_starts=2, random_state=0)
    model.fit(choice_data, attributes=ATTRS, linear=["price"])
    out = model.summary()
    assert set(out.columns) >= {"coef", "se", "z", "p"}


def test_wtp_zero_price_coefficient(choice_data):
    from segmint.conjoint import wtp

    mnl = sg.conjoint.MNL(attributes=ATTRS, linear=["price"]).fit(choice_data)
    mnl.coef_ = mnl.coef_.copy()
    mnl.coef_["price"] = 0.0
    with pytest.raises(InvalidInputError, match="price"):
        wtp(mnl, "price")


def test_simulator_r_btl_when_every_utility_is_non_positive():
    profiles, ratings, products = sg.datasets.load_tea()
    sim = sg.MarketSimulator(sg.RatingConjoint().fit(profiles, ratings - 100.0))
    # R's caBTL drops respondents with a utility <= 0: here all of them (was all-NaN shares).
    for rule in ("btl", "logit"):
        with pytest.raises(InvalidInputError, match="rule"):
            sim.shares(products, rule=rule, compat="R")
    # First choice is still defined; reference: the argmax per respondent counted by hand.
    shares = sim.shares(products, rule="first_choice", compat="R")
    assert np.isclose(shares.sum(), 100.0)


def test_wtp_hb_draws_with_zero_price_are_left_out(choice_data):
    from sklearn.exceptions import ConvergenceWarning

    from segmint.conjoint import wtp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short chain, on purpose
        hb = sg.conjoint.HierarchicalBayes(
            attributes=ATTRS, linear=["price"], n_iter=40, burn_in=20, random_state=0
        ).fit(choice_data.iloc[: 3 * 8 * 20])
    draws = np.array(hb.draws_, dtype=np.float64)
    j = hb.parameter_names_.index("price")
    draws[::2, :, j] = 0.0  # every other draw exactly 0 (a monotone constraint's bound)
    hb._draws = draws  # draws_ is a read-only view of the kept draws
    with pytest.warns(RuntimeWarning, match="price coefficient of 0"):
        out = wtp(hb, "price")
    assert np.isfinite(out.to_numpy()).all()
    # Reference: the median over the draws with a non-zero price coefficient, by hand.
    keep = draws[1::2]
    levels = hb.coding_.expand(keep)
    expected = np.median(-levels / keep[..., j : j + 1], axis=0)
    np.testing.assert_allclose(out.to_numpy(), expected)


# --- unaligned arrays ---------------------------------------------------------------------------


def unaligned(a: np.ndarray) -> np.ndarray:
    """A copy of `a` whose data starts one byte past an aligned address, as a buffer unpickled
    from Dask's network frames or a view into a byte buffer can."""
    buf = np.zeros(a.nbytes + 1, np.uint8)
    out: np.ndarray = np.ndarray(a.shape, dtype=a.dtype, buffer=buf, offset=1)
    out[...] = a
    assert not out.flags.aligned
    return out


def test_unaligned_arrays_give_the_aligned_results() -> None:
    # Reference: the same calls on the aligned array. The bindings copy an unaligned array
    # before viewing it (a debug build panicked with "The pointer must be aligned"; a release
    # build read it through a misaligned view, which is undefined behaviour).
    rng = np.random.default_rng(0)
    # Two planted factors behind six items (a proper factor solution, no Heywood case).
    x = rng.normal(size=(300, 2)) @ rng.uniform(0.5, 1.0, size=(2, 6)) + rng.normal(size=(300, 6))
    w = rng.uniform(0.5, 2.0, size=300)
    ux, uw = unaligned(x), unaligned(w)
    km = sg.KMeans(3, random_state=0).fit(x, sample_weight=w)
    ukm = sg.KMeans(3, random_state=0).fit(ux, sample_weight=uw)
    np.testing.assert_array_equal(ukm.cluster_centers_, km.cluster_centers_)
    np.testing.assert_array_equal(km.transform(ux), km.transform(x))
    np.testing.assert_array_equal(km.predict(ux), km.predict(x))
    np.testing.assert_array_equal(sg.gower_distances(ux), sg.gower_distances(x))
    fa = sg.FactorAnalysis(2, rotation=None).fit(x)
    ufa = sg.FactorAnalysis(2, rotation=None).fit(ux)
    np.testing.assert_array_equal(ufa.loadings_, fa.loadings_)
    d = np.asarray(sg.gower_distances(x))
    pam = sg.KMedoids(3, metric="precomputed", random_state=0).fit(d)
    upam = sg.KMedoids(3, metric="precomputed", random_state=0).fit(unaligned(d))
    np.testing.assert_array_equal(upam.medoid_indices_, pam.medoid_indices_)
    assert ux.flags.aligned is False and not np.shares_memory(ux, x)  # inputs untouched


# --- restarts: streams taken in order, memory independent of the restart count ---


HUGE_RESTARTS = [
    # (call, what a clean refusal names): each aborted the interpreter ("memory allocation of
    # ... failed": a vector sized by the restart count) or could not end (restart i found its
    # random stream by i jumps: O(n²) in the restarts). Now each either refuses what it cannot
    # allocate, naming the parameter, or runs until interrupted (Ctrl-C: KeyboardInterrupt).
    ("sg.KPrototypes(2, n_init=2**31, update='online', random_state=0).fit(MIXED)", None),
    ("sg.KPrototypes(2, n_init=2**31, random_state=0).fit(MIXED)", None),
    ("sg.KMeans(2, n_init=2**31, random_state=0).fit(MIXED[['a']])", None),
    ("sg.KMedoids(2, init='random', n_init=2**31).fit(MIXED[['a']])", None),
    (
        "sg.KMedoids(2, method='clara', n_samples=2**31, sample_size=4).fit(MIXED[['a']])",
        "n_samples",
    ),
    (
        "sg.conjoint.LatentClassMNL(attributes=['brand', 'price'], linear=['price'], "
        "n_classes=2, n_starts=2**31 - 1).fit(CHOICE)",
        "n_starts",
    ),
]


def test_huge_restart_counts_refuse_or_stop_when_interrupted():
    # One child for all the calls (each interrupted by an alarm after 1 s, as Ctrl-C would).
    calls = "\n".join(f"            ({call!r}, lambda: {call})," for call, _ in HUGE_RESTARTS)
    out = run_isolated(
        """
        import signal
        def stop(*_):
            raise KeyboardInterrupt
        MIXED = pd.DataFrame({"a": np.arange(8.0), "b": list("xyxyxyxy")})
        CHOICE = sg.datasets.make_choice_data(12, 4, 3, random_state=0)[0]
        signal.signal(signal.SIGALRM, stop)
        CALLS = [
        """
        + calls
        + """
        ]
        for text, call in CALLS:
            signal.setitimer(signal.ITIMER_REAL, 1.0)
            try:
                call()
            except KeyboardInterrupt:
                print("interrupted")
            except Exception as e:
                print(type(e).__name__, e.what)
            else:
                print("ok")
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        """,
        timeout=120,
    )
    lines = out.splitlines()
    assert len(lines) == len(HUGE_RESTARTS), out
    for (call, name), line in zip(HUGE_RESTARTS, lines, strict=True):
        assert line in ("interrupted", f"InvalidInputError {name}"), (call, line)


def test_kmeans_fewer_distinct_rows_than_clusters_stops():
    # Two distinct rows, three clusters: the empty cluster cannot be filled, so Lloyd has
    # converged after its first step. It used to move the row sitting on its own centre back
    # and forth until max_iter (2**31 iterations never ended). Reference: scikit-learn's KMeans
    # on the same data and start (inertia 0, the two duplicate rows together, one iteration).
    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.exceptions import ConvergenceWarning

    X = np.array([[0.0, 0.99999], [1.0, 0.99999], [1.0, 0.99999]])
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        ref = SkKMeans(3, init=X.copy(), n_init=1).fit(X)
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        ours = sg.KMeans(3, init=X.copy(), n_init=1, max_iter=10**6).fit(X)
    assert ours.n_iter_ == ref.n_iter_ == 1
    assert ours.inertia_ == ref.inertia_ == 0.0
    labels = ours.labels_.to_numpy()
    assert labels[1] == labels[2] != labels[0]
    for init in ("random", "k-means++"):
        for seed in range(5):
            with pytest.warns(ConvergenceWarning, match="distinct clusters"):
                fit = sg.KMeans(3, init=init, n_init=1, max_iter=10**6, random_state=seed).fit(X)
            assert fit.n_iter_ < 10 and fit.inertia_ == 0.0


# --- sums that overflow float64 are refused, naming the column ---

MAX = np.finfo(np.float64).max


def test_abc_refuses_values_whose_total_overflows():
    values = pd.Series([MAX, MAX, 1.0], name="revenue")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow RuntimeWarning either
        with pytest.raises(InvalidInputError, match=r"revenue.*largest float64") as err:
            sg.abc(values)
    assert err.value.what == "values"


def test_abc_gini_near_float_max():
    # Gini is scale-free: values (M/2, M/2, 1) have the Gini of (1, 1, 2/M) ≈ (1, 1, 0), which
    # by the mean absolute difference, sum |xi - xj| / (2 n² mean), is 4 / (2 · 9 · 2/3) = 1/3.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = sg.abc(pd.Series([MAX / 2, MAX / 2, 1.0]))
    assert r.gini_ == pytest.approx(1 / 3, rel=1e-12)
    # Each of the two large customers holds half the value: (M/2) / (M + 1) = 0.5 in float64.
    assert r.lorenz_["value_share"].tolist() == [0.0, 0.5, 1.0, 1.0]


def test_customer_summary_refuses_overflowing_sums_naming_the_column():
    tx = pd.DataFrame(
        {
            "who": ["a", "a", "b"],
            "when": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01"]),
            "spend": [MAX, MAX, 1.0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InvalidInputError, match=r"'spend'.*largest float64") as err:
            sg.customer_summary(tx, customer="who", date="when", amount="spend")
    assert err.value.what == "amount"
    # Spread per period that overflows (1e300 and 1e100 in two months) is refused the same way.
    tx["spend"] = [1e300, 1e100, 1.0]
    with pytest.raises(InvalidInputError, match="'spend'"):
        sg.customer_summary(tx, customer="who", date="when", amount="spend")
    # Large but summable amounts give the exact sums (reference: the amounts added by hand).
    tx["spend"] = [MAX / 4, MAX / 4, 1.0]
    s = sg.customer_summary(tx, customer="who", date="when", amount="spend")
    assert s.loc["a", "monetary"] == MAX / 2 and s.loc["b", "monetary"] == 1.0


# --- Gower: undefined pairs are said to be undefined ---


def test_gower_warns_when_pairs_share_no_column():
    # Rows 0 and 1 have no column both non-missing: daisy's distance is NA (R's cluster::daisy
    # documents it); the other pairs are |x - y| / range averaged over shared columns.
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [np.nan, 2.0, 4.0]})
    with pytest.warns(UserWarning, match="2 distance.*share no non-missing column"):
        d = sg.gower_distances(X).to_numpy()
    assert np.isnan(d[0, 1]) and np.isnan(d[1, 0])
    assert d[0, 2] == pytest.approx(1.0) and d[1, 2] == pytest.approx(1.0)


def test_chaid_predicts_on_float16_columns():
    # pandas has no float16 index (NotImplementedError when coding the column at predict);
    # float16 holds these values exactly, so predicting on a float16 copy gives the planted
    # rule y = (c == 2) like the training frame does.
    c = np.array([1, 1, 2, 2, 1, 2, 1, 2] * 3, dtype=float)
    y = (c == 2).astype(int)
    for X in (pd.DataFrame({"c": c}), pd.DataFrame({"c": pd.Categorical(c)})):
        tree = sg.CHAID(max_depth=1, min_parent_size=2, min_child_size=1).fit(X, y)
        assert tree.predict(X.astype(np.float16)).tolist() == y.tolist()


def test_merge_table_refuses_expected_counts_that_underflow():
    # Found by the fuzz: the pair of the two small columns has expected counts
    # 1.3e-265 × 1e-265 / 1.9e-183 ≈ 1e-347, below the smallest float64 (5e-324): E = 0 next to
    # a positive count made the statistic inf.
    t = np.array(
        [[9.48626959e-184, 9.48626959e-184, 1.33786313e-265], [1.33786313e-265, 5e-324, 5e-324]]
    )
    for test in ("pearson", "likelihood_ratio"):
        with pytest.raises(InvalidInputError, match="expected counts") as err:
            merge_table(t, ordinal=True, test=test)
        assert err.value.what == "table"


def test_rfm_segment_means_near_the_largest_float() -> None:
    # Found by make fuzz: two customers of 1.797693e308 each; the segment summary's mean of
    # monetary overflowed in pandas' group sum (inf, and numpy's warning leaked). Reference:
    # the mean of equal values is that value.
    big = 1.797693e308
    tx = pd.DataFrame(
        {
            "customer": ["c1", "c2"],
            "date": pd.to_datetime(["2023-12-31", "2023-12-31"]),
            "amount": [big, big],
        }
    )
    s = sg.customer_summary(tx, customer="customer", date="date", amount="amount")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # empty score bins (ties), by design
        warnings.simplefilter("error", RuntimeWarning)
        r = sg.rfm(s)
    means = r.summary_["mean_monetary"].dropna()
    assert len(means) and (means == big).all()
