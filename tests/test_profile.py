"""Segment profiles and migration, against scipy / statsmodels / pandas on the same data."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import adjusted_rand_score
from statsmodels.stats.multitest import multipletests

import segmint as sg


@pytest.fixture(scope="module")
def wholesale():
    df = sg.datasets.load_wholesale()
    spend = np.log(df[sg.datasets.SPEND_COLUMNS])
    labels = sg.KMeans(4, random_state=0).fit((spend - spend.mean()) / spend.std()).labels_
    df.index = [f"C{i:04d}" for i in range(len(df))]
    return df, labels.set_axis(df.index)


@pytest.fixture(scope="module")
def prof(wholesale):
    df, labels = wholesale
    return sg.profile(df, labels, kruskal=True)


def test_numeric_tests_equal_scipy(wholesale, prof):
    # reference: scipy.stats.f_oneway and kruskal (statistics relative 1e-9, p 1e-6); η² computed
    # in NumPy
    df, labels = wholesale
    for col in sg.datasets.SPEND_COLUMNS:
        groups = [df[col][labels == g] for g in range(4)]
        f = stats.f_oneway(*groups)
        row = prof.tests.loc[col]
        # F and p to 1e-9 relative (same formula, different summation order)
        assert row["statistic"] == pytest.approx(f.statistic, rel=1e-9)
        assert row["p_value"] == pytest.approx(f.pvalue, rel=1e-6)
        assert (row["df1"], row["df2"]) == (3, len(df) - 4)
        kw = stats.kruskal(*groups)
        assert row["kruskal_h"] == pytest.approx(kw.statistic, rel=1e-9)
        assert row["kruskal_p"] == pytest.approx(kw.pvalue, rel=1e-6)
        # eta² = SSB / SST
        grand = df[col].mean()
        ssb = sum(len(g) * (g.mean() - grand) ** 2 for g in groups)
        sst = ((df[col] - grand) ** 2).sum()
        assert row["effect"] == pytest.approx(ssb / sst, rel=1e-9)


def test_categorical_tests_equal_scipy(wholesale, prof):
    # reference: scipy.stats.chi2_contingency (χ² 1e-9, p 1e-6); Cramér's V computed in NumPy
    df, labels = wholesale
    for col in ["Channel", "Region"]:
        table = pd.crosstab(labels, df[col])
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        row = prof.tests.loc[col]
        assert row["statistic"] == pytest.approx(chi2, rel=1e-9)
        assert row["p_value"] == pytest.approx(p, rel=1e-6)
        assert row["df1"] == dof
        n, m = table.to_numpy().sum(), min(table.shape) - 1
        assert row["effect"] == pytest.approx(np.sqrt(chi2 / (n * m)), rel=1e-9)


def test_holm_equals_statsmodels(prof):
    # reference: statsmodels multipletests(method='holm'), relative 1e-12
    expected = multipletests(prof.tests["p_value"], method="holm")[1]
    np.testing.assert_allclose(prof.tests["p_holm"], expected, rtol=1e-12)


def test_group_statistics_equal_pandas(wholesale, prof):
    # reference: pandas groupby means / medians / SDs / shares, relative 1e-12
    df, labels = wholesale
    grouped = df[sg.datasets.SPEND_COLUMNS].groupby(labels)
    for col in sg.datasets.SPEND_COLUMNS:
        for stat in ["mean", "median", "std"]:
            expected = getattr(grouped[col], stat)()
            ours = prof.numeric.loc[(col, "sd" if stat == "std" else stat), [0, 1, 2, 3]]
            np.testing.assert_allclose(ours.to_numpy(dtype=float), expected, rtol=1e-12)
        overall = df[col].mean()
        index = prof.numeric.loc[(col, "index"), [0, 1, 2, 3]].to_numpy(dtype=float)
        np.testing.assert_allclose(index, grouped[col].mean() / overall * 100, rtol=1e-12)
    shares = pd.crosstab(labels, df["Channel"], normalize="index")
    for level in ["Horeca", "Retail"]:
        ours = prof.categorical.loc[("Channel", level), [0, 1, 2, 3]].to_numpy(dtype=float)
        np.testing.assert_allclose(ours, shares[level], rtol=1e-12)
    sizes = labels.value_counts().sort_index()
    np.testing.assert_array_equal(prof.summary["size"], sizes)


def test_missing_values_are_left_out_per_variable():
    # reference: scipy.stats.f_oneway / chi2_contingency on each variable's complete rows
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(["a", "b", "c"], 200)})
    df.loc[::7, "x"] = np.nan
    df.loc[::5, "c"] = None
    labels = pd.Series(rng.integers(0, 3, 200))
    prof = sg.profile(df, labels)
    ok = df["x"].notna()
    f = stats.f_oneway(*[df["x"][ok & (labels == g)] for g in range(3)])
    assert prof.tests.loc["x", "statistic"] == pytest.approx(f.statistic, rel=1e-9)
    table = pd.crosstab(labels[df["c"].notna()], df["c"].dropna())
    assert prof.tests.loc["c", "statistic"] == pytest.approx(
        stats.chi2_contingency(table, correction=False)[0], rel=1e-9
    )


def test_small_segments_warn_and_are_flagged(wholesale):
    # reference: segment sizes counted from the labels
    df, labels = wholesale
    sizes = labels.value_counts()
    smallest = sizes.idxmin()
    with pytest.warns(sg.SmallSegmentWarning, match=str(smallest)):
        prof = sg.profile(df, labels, min_size=int(sizes.min()) + 1)
    assert prof.summary["small"].tolist() == [s == smallest for s in prof.summary.index]
    with pytest.warns(sg.SmallSegmentWarning):
        sg.profile(df, labels, min_size=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sg.profile(df, labels, min_size=1)


def test_personas_name_the_dominant_category_and_indices(wholesale, prof):
    # reference: pandas: shares and indices per segment; Holm p from the tests table
    df, labels = wholesale
    for seg, text in prof.personas.items():
        share = (labels == seg).mean()
        assert text.startswith(f"{share:.0%} of customers")
        channel = df["Channel"][labels == seg].value_counts(normalize=True)
        if channel.max() >= 0.5:
            assert f"mostly {channel.idxmax()} (Channel: {channel.max():.0%})" in text
    # The most distinguishing variables are significant and sorted by deviation.
    top = prof.distinguishing[0]
    assert (top["p_holm"] <= 0.05).all()
    strength = np.abs(np.log(top["index"] / 100))
    assert (np.diff(strength) <= 1e-12).all()


def test_outputs_render(prof):
    # reference: the data's row count (440)
    html = prof._repr_html_()
    assert "Segment profile" in html and "Fresh" in html
    wide = prof.to_frame()
    assert ("segment", "size") in wide.index
    assert wide.loc[("segment", "size"), "overall"] == 440


def test_labels_by_column_name_and_errors(wholesale):
    # reference: segmint itself under a change that must not matter (labels given as a column name)
    # — an invariance check, not accuracy
    df, labels = wholesale
    with_labels = df.assign(segment=labels)
    a = sg.profile(with_labels, "segment")
    b = sg.profile(df, labels)
    pd.testing.assert_frame_equal(a.tests, b.tests)
    with pytest.raises(sg.InvalidInputError, match="labels"):
        sg.profile(df, labels.to_numpy()[:10])
    with pytest.raises(sg.InvalidInputError, match="only one"):
        sg.profile(df, np.zeros(len(df), dtype=int))
    with pytest.raises(sg.InvalidInputError, match="min_size"):
        sg.profile(df, labels, min_size=-1)
    before = df.copy()
    sg.profile(df, labels)
    pd.testing.assert_frame_equal(df, before)


def test_migration_counts_and_ari():
    # reference: by hand: a nine-customer example (share moved 1/9)
    ids = [f"C{i}" for i in range(10)]
    before = pd.Series([0, 0, 0, 0, 1, 1, 1, 2, 2, 2], index=ids)
    after = pd.Series(["a", "a", "a", "b", "b", "b", "b", "c", "c"], index=ids[:9])
    after["C99"] = "c"
    m = sg.migration(before, after)
    # 9 customers in both; segment 0 mostly became "a" (3 of 4), 1 → "b" (3/3), 2 → "c" (2/2)
    assert m.table.to_numpy().sum() == 9
    assert m.mapping["became"].tolist() == ["a", "b", "c"]
    assert m.share_moved == pytest.approx(1 / 9)
    assert list(m.new) == ["C99"] and list(m.lost) == ["C9"]
    common = before.index.intersection(after.index)
    assert m.ari == pytest.approx(adjusted_rand_score(before[common], after[common]))
    with pytest.raises(sg.InvalidInputError):
        sg.migration(before.to_numpy(), after)


def test_plot_returns_a_heatmap_of_the_indices(prof):
    # reference: pandas: the index (segment mean / overall mean × 100), coloured on a log scale
    import matplotlib

    matplotlib.use("Agg")
    shown = prof.plot()
    ax = shown.ax_
    image = ax.images[0]
    # one row per numeric variable plus one per category, one column per segment
    n_rows = len(sg.datasets.SPEND_COLUMNS) + len(prof.categorical)
    assert image.get_array().shape == (n_rows, 4)
    # the first cell is Fresh's index for segment 0 (within the colour scale's range)
    fresh = prof.numeric.loc[("Fresh", "index"), 0]
    norm = image.norm
    assert image.get_array()[0, 0] == pytest.approx(np.clip(fresh, norm.vmin, norm.vmax))
    assert norm(fresh) == pytest.approx(np.log(fresh / norm.vmin) / np.log(norm.vmax / norm.vmin))
    matplotlib.pyplot.close(shown.figure_)


def test_index_is_left_out_for_variables_with_negative_values(wholesale):
    # A ratio to the mean has no meaning for a variable with negative values (factor scores,
    # standardised spend): its index is NaN, so a centred variable no longer shows an index of
    # thousands, and it does not enter the distinguishing lists through one; a positive variable
    # keeps the pandas ratio (reference: pandas groupby mean ÷ overall mean × 100, 1e-12).
    df, labels = wholesale
    data = df[["Milk", "Grocery"]].copy()
    data["Milk_z"] = (data["Milk"] - data["Milk"].mean()) / data["Milk"].std()
    prof = sg.profile(data, labels)
    index = prof.numeric.xs("index", level=1)
    assert index.loc["Milk_z"].isna().all()
    expected = data["Grocery"].groupby(labels).mean() / data["Grocery"].mean() * 100
    np.testing.assert_allclose(index.loc["Grocery", [0, 1, 2, 3]], expected, rtol=1e-12)
    for table in prof.distinguishing.values():
        assert "Milk_z" not in set(table["variable"])
        assert np.isfinite(table["index"].to_numpy(dtype=float)).all()
    # The means of the centred variable are still there (pandas groupby, 1e-12).
    np.testing.assert_allclose(
        prof.numeric.loc[("Milk_z", "mean"), [0, 1, 2, 3]].to_numpy(dtype=float),
        data["Milk_z"].groupby(labels).mean(),
        rtol=1e-12,
        atol=1e-15,
    )
