"""market_map on the wholesale data: customers in Lisbon / Oporto, prospects in the other
regions. References: the model's own predict (assignments), scipy's cdist (distances), numpy
quantiles (thresholds) and pandas group-bys (counts, penetration, potential)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

import segmint as sg
from segmint.datasets import SPEND_COLUMNS

K = 4


@pytest.fixture(scope="module")
def market_data():
    df = sg.datasets.load_wholesale()
    df.index = pd.Index([f"C{i:04d}" for i in range(len(df))], name="customer")
    log_spend = np.log(df[SPEND_COLUMNS])
    ours = df["Region"] != "Other"
    mean, sd = log_spend[ours].mean(), log_spend[ours].std()
    X = (log_spend - mean) / sd
    customers, prospects = X[ours], X[~ours]
    # Planted outliers: far from every centre (8 standard deviations in every direction).
    outliers = pd.DataFrame(
        [[8.0] * 6, [-8.0] * 6, [8, -8, 8, -8, 8, -8]],
        columns=SPEND_COLUMNS,
        index=pd.Index(["OUT1", "OUT2", "OUT3"], name="customer"),
    )
    value = df.loc[ours, SPEND_COLUMNS].sum(axis=1).rename("revenue")
    return df, customers, pd.concat([prospects, outliers]), value


@pytest.fixture(scope="module")
def km(market_data):
    _, customers, _, _ = market_data
    return sg.KMeans(K, random_state=0).fit(customers)


@pytest.fixture(scope="module")
def mm(km, market_data):
    _, customers, prospects, value = market_data
    return sg.market_map(km, customers, prospects, value=value)


def test_assignments_equal_predict(km, mm, market_data):
    # reference: KMeans.predict of the same rows (exact)
    _, customers, prospects, _ = market_data
    pd.testing.assert_series_equal(
        mm.prospects["segment"], km.predict(prospects), check_names=False
    )
    pd.testing.assert_series_equal(
        mm.customers["segment"], km.predict(customers), check_names=False
    )
    assert mm.rule == "distance"


def test_fit_score_is_the_distance_to_the_nearest_centre(km, mm, market_data):
    # reference: scipy.spatial.distance.cdist to the centres (relative 1e-9), numpy.quantile of the
    # customers' own distances
    _, customers, prospects, _ = market_data
    # scipy reference: Euclidean distances to the centres; nearest = the assigned segment
    d = cdist(prospects.to_numpy(), km.cluster_centers_.to_numpy())
    np.testing.assert_allclose(mm.prospects["fit_score"], d.min(axis=1), rtol=1e-9)
    # thresholds: the 0.99 quantile of each segment's customers' own distances (numpy)
    dc = cdist(customers.to_numpy(), km.cluster_centers_.to_numpy())
    own, seg = dc.min(axis=1), dc.argmin(axis=1)
    for s in range(K):
        assert mm.threshold[s] == pytest.approx(np.quantile(own[seg == s], 0.99), rel=1e-9)
    expected_fits = d.min(axis=1) <= mm.threshold.to_numpy()[d.argmin(axis=1)]
    np.testing.assert_array_equal(mm.prospects["fits"], expected_fits)


def test_planted_outliers_are_flagged_ordinary_rows_are_not(km, mm, market_data):
    # reference: planted truth: rows 8 SD away in every direction, rows halfway between customers
    # and their centre, the centres
    _, customers, _prospects, value = market_data
    assert not mm.prospects.loc[["OUT1", "OUT2", "OUT3"], "fits"].any()
    # Ordinary rows, inside the customers' own cloud (halfway between each customer and its
    # centre), are never flagged; nor are rows at a centre, nor the customers at quantile 1.
    centres = km.cluster_centers_
    seg = km.predict(customers)
    inside = 0.5 * customers + 0.5 * centres.loc[seg].set_axis(customers.index)
    inside.index = [f"IN{i}" for i in range(len(inside))]
    m_inside = sg.market_map(km, customers, inside, value=value)
    assert m_inside.prospects["fits"].all()
    pd.testing.assert_series_equal(
        m_inside.prospects["segment"], seg.set_axis(inside.index), check_names=False
    )
    at_centre = sg.market_map(km, customers, centres.set_axis([f"M{s}" for s in range(K)]))
    assert at_centre.prospects["fits"].all()
    assert sg.market_map(km, customers, customers, quantile=1.0).prospects["fits"].all()
    # The real prospects (Region "Other") resemble the customers: few are flagged.
    ordinary = mm.prospects.drop(index=["OUT1", "OUT2", "OUT3"])
    assert (~ordinary["fits"]).mean() <= 0.10


def test_segment_table_equals_pandas(km, mm, market_data):
    # reference: pandas value_counts / groupby mean of the predictions, relative 1e-12
    _, customers, prospects, value = market_data
    c_seg = km.predict(customers)
    p_seg = km.predict(prospects)
    fits = mm.prospects["fits"]
    ref = (
        pd.DataFrame(
            {
                "customers": c_seg.value_counts(),
                "prospects": p_seg[fits].value_counts(),
                "prospects_no_fit": p_seg[~fits].value_counts(),
            }
        )
        .reindex(range(K))
        .fillna(0)
    )
    ref["penetration"] = ref["customers"] / (ref["customers"] + ref["prospects"])
    ref["mean_value"] = value.groupby(c_seg).mean()
    ref["potential"] = ref["prospects"] * ref["mean_value"]
    got = mm.segments
    for col in ref:
        np.testing.assert_allclose(got[col].to_numpy(dtype=float), ref[col].to_numpy(), rtol=1e-12)
    assert (got["former"] == 0).all()
    assert got["customers"].sum() == len(customers)
    assert got["prospects"].sum() + got["prospects_no_fit"].sum() == len(prospects)


def test_former_customers_and_value_by_column(km, market_data):
    # reference: pandas value_counts / groupby mean of KMeans.predict, relative 1e-12
    _df, customers, prospects, value = market_data
    former = customers.iloc[:30]
    m = sg.market_map(
        km, customers.assign(revenue=value), prospects, value="revenue", former=former
    )
    counts = km.predict(former).value_counts().reindex(range(K), fill_value=0)
    np.testing.assert_array_equal(m.segments["former"], counts)
    pd.testing.assert_series_equal(m.former["segment"], km.predict(former), check_names=False)
    ref = value.groupby(km.predict(customers)).mean()
    np.testing.assert_allclose(m.segments["mean_value"], ref, rtol=1e-12)
    # Without value, no potential.
    bare = sg.market_map(km, customers, prospects)
    assert bare.segments["potential"].isna().all()


def test_chaid_uses_the_posterior(market_data, km):
    # reference: CHAID.predict and predict_proba read with pandas .loc, relative 1e-12
    _df, customers, prospects, _ = market_data
    segments = km.predict(customers)
    tree = sg.CHAID(max_depth=3, min_parent_size=30, min_child_size=15).fit(customers, segments)
    m = sg.market_map(tree, customers, prospects, min_posterior=0.6)
    assert m.rule == "posterior"
    pred = tree.predict(prospects)
    pd.testing.assert_series_equal(m.prospects["segment"], pred, check_names=False)
    proba = tree.predict_proba(prospects)
    # reference: the leaf share of the predicted segment, read from predict_proba by pandas
    expected = np.array([proba.loc[i, s] for i, s in pred.items()])
    np.testing.assert_allclose(m.prospects["fit_score"], expected, rtol=1e-12)
    np.testing.assert_array_equal(m.prospects["fits"], expected >= 0.6)
    assert m.segments["prospects"].sum() == (expected >= 0.6).sum()


def test_kprototypes_dissimilarity(market_data):
    # reference: NumPy: squared Euclidean to the numeric centres + gamma_ × mismatches, relative
    # 1e-9
    df, customers, prospects, _ = market_data
    mixed_c = customers.assign(Channel=df.loc[customers.index, "Channel"])
    others = prospects.drop(index=["OUT1", "OUT2", "OUT3"])
    mixed_p = others.assign(Channel=df.loc[others.index, "Channel"])
    kp = sg.KPrototypes(3, random_state=0).fit(mixed_c)
    m = sg.market_map(kp, mixed_c, mixed_p)
    pd.testing.assert_series_equal(m.prospects["segment"], kp.predict(mixed_p), check_names=False)
    # numpy reference: squared Euclidean to the numeric centre + gamma × category mismatch
    centres = kp.cluster_centers_
    num = (
        (
            mixed_p[SPEND_COLUMNS].to_numpy()[:, None, :]
            - centres[SPEND_COLUMNS].to_numpy()[None, :, :]
        )
        ** 2
    ).sum(axis=2)
    cat = (
        mixed_p["Channel"].astype(str).to_numpy()[:, None]
        != centres["Channel"].astype(str).to_numpy()[None, :]
    )
    d = num + kp.gamma_ * cat
    np.testing.assert_allclose(m.prospects["fit_score"], d.min(axis=1), rtol=1e-9)


def test_kmedoids_gower_flags_outliers(market_data):
    # reference: KMedoids.predict; the medoids are at distance 0 (absolute 1e-12); planted outliers
    _df, customers, prospects, _ = market_data
    km = sg.KMedoids(3, metric="gower").fit(customers)
    m = sg.market_map(km, customers, prospects)
    pd.testing.assert_series_equal(
        m.prospects["segment"], km.predict(prospects), check_names=False
    )
    assert not m.prospects.loc[["OUT1", "OUT2"], "fits"].any()
    # the medoid rows themselves are at distance 0 from their medoid
    medoids = customers.iloc[km.medoid_indices_]
    np.testing.assert_allclose(
        sg.market_map(km, customers, medoids).prospects["fit_score"], 0, atol=1e-12
    )


def test_model_without_scores():
    # reference: hand count: segment 1 has customers of value 20 and 40, one prospect
    class Fixed:
        def predict(self, X):
            return pd.Series(np.asarray(X["x"] > 0, dtype=int), index=X.index)

    c = pd.DataFrame({"x": [-1.0, 1.0, 2.0]})
    p = pd.DataFrame({"x": [-3.0, 3.0]}, index=["a", "b"])
    m = sg.market_map(Fixed(), c, p, value=[10.0, 20.0, 40.0])
    assert m.rule == "none" and m.prospects["fits"].all()
    # pandas reference: segment 1 has 2 customers of mean value 30 and 1 prospect
    assert m.segments.loc[1, "potential"] == 30.0
    assert m.segments.loc[0, "penetration"] == 0.5


def test_errors(km, market_data):
    _, customers, prospects, value = market_data
    with pytest.raises(sg.InvalidInputError, match="predict"):
        sg.market_map(object(), customers, prospects)
    with pytest.raises(sg.InvalidInputError, match="Milk"):
        sg.market_map(km, customers, prospects.drop(columns="Milk"))
    with pytest.raises(sg.InvalidInputError, match="value"):
        sg.market_map(km, customers, prospects, value=value.iloc[:10])
    with pytest.raises(sg.InvalidInputError, match="value"):
        sg.market_map(km, customers, prospects, value=value.astype(str))
    with pytest.raises(sg.InvalidInputError, match="quantile"):
        sg.market_map(km, customers, prospects, quantile=0)
    with pytest.raises(sg.InvalidInputError, match="min_posterior"):
        sg.market_map(km, customers, prospects, min_posterior=2)
    before = customers.copy()
    sg.market_map(km, customers, prospects, value=value)
    pd.testing.assert_frame_equal(customers, before)


def test_plot_display(mm):
    # reference: the segment table drawn (penetration × 100, potential)
    import matplotlib

    matplotlib.use("Agg")
    names = {s: f"segment {s}" for s in range(K)}
    display = mm.plot(names=names)
    assert isinstance(display, sg.MarketMapDisplay)
    assert display.figure_ is display.ax_.figure
    offsets = display.ax_.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], 100 * mm.segments["penetration"])
    np.testing.assert_allclose(offsets[:, 1], mm.segments["potential"])
    assert sorted(t.get_text() for t in display.ax_.texts) == sorted(names.values())
    _fig, ax = matplotlib.pyplot.subplots()
    assert mm.plot(ax=ax).ax_ is ax
    matplotlib.pyplot.close("all")
    assert "Market map" in mm._repr_html_()
