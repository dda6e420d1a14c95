"""One-dimensional segmentation (segmint.onedim) against independent references: pandas
group-bys written here, numbers published with the data, and the computed-ABC points of the
Julia package CalculatedABC.jl."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import segmint as sg
from segmint.errors import InvalidInputError, InvalidTypeError

DAY = pd.Timedelta(days=1)
DATA = Path(__file__).parent / "data"


# --- references -------------------------------------------------------------------------------


def pandas_summary(
    lines: pd.DataFrame,
    customer: str,
    date: str,
    amount: str,
    invoice: str | None,
    period: str = "M",
) -> pd.DataFrame:
    """The customer summary as an idiomatic pandas group-by (the reference)."""
    ref_date = lines[date].max().normalize() + DAY
    g = lines.groupby(customer)
    out = g.agg(
        first_purchase=(date, "min"),
        last_purchase=(date, "max"),
        monetary=(amount, "sum"),
        lines=(amount, "size"),
    )
    out["frequency"] = g[invoice].nunique() if invoice else out["lines"]
    out["recency_days"] = (ref_date - out["last_purchase"]) / DAY
    out["tenure_days"] = (out["last_purchase"] - out["first_purchase"]) / DAY
    out["mean_order_value"] = out["monetary"] / out["frequency"]
    out["mean_interpurchase_days"] = (out["tenure_days"] / (out["frequency"] - 1)).where(
        out["frequency"] > 1
    )
    month = lines[date].dt.to_period(period)
    per = lines.groupby([lines[customer], month])[amount].sum().unstack(fill_value=0.0)
    window = pd.period_range(month.min(), (ref_date - pd.Timedelta(1, "ns")).to_period(period))
    per = per.reindex(columns=window, fill_value=0.0)
    out["demand_mean"] = per.mean(axis=1)
    out["demand_sd"] = per.std(axis=1, ddof=0)
    out["active_periods"] = month.groupby(lines[customer]).nunique()
    first_month = out["first_purchase"].dt.to_period(period)
    out["periods_observed"] = [len(pd.period_range(m, window[-1])) for m in first_month]
    return out


def compare_summary(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert list(got.index) == list(ref.index)
    for col in ("frequency", "lines", "active_periods", "periods_observed"):
        np.testing.assert_array_equal(got[col].to_numpy(), ref[col].to_numpy(), err_msg=col)
    for col in ("first_purchase", "last_purchase"):
        assert (got[col].to_numpy() == ref[col].to_numpy()).all(), col
    for col in (
        "monetary",
        "recency_days",
        "tenure_days",
        "mean_order_value",
        "mean_interpurchase_days",
        "demand_mean",
        "demand_sd",
    ):
        np.testing.assert_allclose(
            got[col].to_numpy(), ref[col].to_numpy(), rtol=1e-9, atol=1e-9, err_msg=col
        )


def abc_reference(values: pd.Series, cuts: tuple[float, float]) -> pd.Series:
    """The stated convention, by brute force: the share of the total held by strictly larger
    values decides the class."""
    v = values.to_numpy()
    above = (v[None, :] > v[:, None]).astype(float) @ v / v.sum()
    return pd.Series(
        np.where(above < cuts[0], "A", np.where(above < cuts[1], "B", "C")), values.index
    )


def rank_score(values: pd.Series, bins: int, higher_is_better: bool) -> pd.Series:
    """Scores from pandas' rank(method="min"): rank - 1 customers are strictly worse."""
    r = (values if higher_is_better else -values).rank(method="min")
    return (1 + (bins * (r - 1)) // len(values)).astype(np.int64)


# --- data -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def online_retail_clean(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "customers" / "online_retail.csv.gz"
    if not path.is_file():
        pytest.skip(f"not found: {path}")
    df = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str}, parse_dates=["InvoiceDate"])
    # "Cleaned as usual": no customer id dropped, cancellations (C invoices) and non-positive
    # quantities or prices dropped.
    df = df[
        df["CustomerID"].notna()
        & ~df["InvoiceNo"].str.startswith("C")
        & (df["Quantity"] > 0)
        & (df["UnitPrice"] > 0)
    ].copy()
    df["Amount"] = df["Quantity"] * df["UnitPrice"]
    return df


@pytest.fixture(scope="module")
def retail_summary(online_retail_clean: pd.DataFrame) -> pd.DataFrame:
    return sg.customer_summary(
        online_retail_clean,
        customer="CustomerID",
        date="InvoiceDate",
        quantity="Quantity",
        price="UnitPrice",
        invoice="InvoiceNo",
    )


@pytest.fixture(scope="module")
def cdnow(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "customers" / "cdnow_master.txt"
    if not path.is_file():
        pytest.skip(f"not found: {path}")
    df = pd.read_csv(
        path,
        sep=r"\s+",
        skiprows=1,
        names=["customer", "date", "cds", "amount"],
        dtype={"customer": str, "date": str},
    )
    df["date"] = pd.to_datetime(df["date"], format="%Y%m%d")
    return df


# --- Online Retail ----------------------------------------------------------------------------


def test_online_retail_published_numbers(retail_summary: pd.DataFrame) -> None:
    # The figures for Online Retail (UCI, Chen 2012), cleaned as usual: 4,338
    # customers; the top 20 % bring 74.6 % of revenue; Gini 0.715.
    assert len(retail_summary) == 4338
    r = sg.abc(retail_summary["monetary"])
    k = int(0.2 * len(retail_summary))
    assert round(float(r.lorenz_["value_share"].iloc[k]), 3) == 0.746
    assert round(r.gini_, 3) == 0.715


def test_online_retail_summary_equals_pandas(
    online_retail_clean: pd.DataFrame, retail_summary: pd.DataFrame
) -> None:
    # Reference: a pandas group-by (named aggregations, nunique invoices, monthly pivot), 1e-9.
    ref = pandas_summary(online_retail_clean, "CustomerID", "InvoiceDate", "Amount", "InvoiceNo")
    compare_summary(retail_summary, ref)
    assert retail_summary.attrs["dropped"] == 0
    assert retail_summary.attrs["reference_date"] == pd.Timestamp("2011-12-10")


def test_online_retail_abc_counts(retail_summary: pd.DataFrame) -> None:
    # Reference: the stated convention computed by brute force in numpy.
    m = retail_summary["monetary"]
    for cuts in [(0.8, 0.95), (0.5, 0.9)]:
        got = sg.abc(m, cuts)
        ref = abc_reference(m, cuts)
        assert (got.labels_.astype(str) == ref).all()
        expected = ref.value_counts().reindex(["A", "B", "C"]).to_numpy()
        np.testing.assert_array_equal(got.summary_["count"].to_numpy(), expected)
        np.testing.assert_allclose(got.summary_["value_share"].sum(), 1.0, rtol=1e-12)


def test_online_retail_rfm_equals_rank_min(retail_summary: pd.DataFrame) -> None:
    # Reference: pandas rank(method="min"): score = 1 + floor(bins * (rank - 1) / n).
    for bins in (5, 3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # empty bins are reported, not tested
            got = sg.rfm(retail_summary, bins=bins, segments=None)
        s = retail_summary
        np.testing.assert_array_equal(got.scores_["R"], rank_score(s["recency_days"], bins, False))
        np.testing.assert_array_equal(got.scores_["F"], rank_score(s["frequency"], bins, True))
        np.testing.assert_array_equal(got.scores_["M"], rank_score(s["monetary"], bins, True))


def test_online_retail_rfm_segments_follow_the_table(retail_summary: pd.DataFrame) -> None:
    # Reference: the rule table applied row by row in plain Python (first match wins).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        got = sg.rfm(retail_summary)
    table = sg.onedim.RFM_SEGMENTS
    for (r, f, m), seg in zip(
        got.scores_.itertuples(index=False), got.segment_.astype(str), strict=True
    ):
        expected = "Other"
        for row in table.itertuples(index=False):
            if (
                row.r_min <= r <= row.r_max
                and row.f_min <= f <= row.f_max
                and row.m_min <= m <= row.m_max
            ):
                expected = row.segment
                break
        assert seg == expected
    assert got.summary_["count"].sum() == len(retail_summary)


def test_online_retail_raw_log_with_cancellations(shared_data: Path) -> None:
    # Reference: pandas on the raw log. Lines without a customer id are counted in
    # attrs["dropped"]; "count" counts the distinct C invoices per customer.
    path = shared_data / "customers" / "online_retail.csv.gz"
    df = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str}, parse_dates=["InvoiceDate"])
    before = df.copy()
    s = sg.customer_summary(
        df,
        customer="CustomerID",
        date="InvoiceDate",
        quantity="Quantity",
        price="UnitPrice",
        invoice="InvoiceNo",
        cancellations="count",
    )
    pd.testing.assert_frame_equal(df, before)  # nothing mutated
    assert s.attrs["dropped"] == int(df["CustomerID"].isna().sum())
    known = df[df["CustomerID"].notna()]
    amount = known["Quantity"] * known["UnitPrice"]
    cancel = amount < 0
    ref_cancel = known[cancel].groupby("CustomerID")["InvoiceNo"].nunique()
    got = s["cancellations"].reindex(ref_cancel.index).dropna()
    np.testing.assert_array_equal(got.to_numpy(), ref_cancel.reindex(got.index).to_numpy())
    buyers = known[~cancel]["CustomerID"].unique()
    assert len(s) == len(buyers)
    assert s.attrs["cancelled_only"] == int(known["CustomerID"].nunique() - len(buyers))
    net = sg.customer_summary(
        df,
        customer="CustomerID",
        date="InvoiceDate",
        quantity="Quantity",
        price="UnitPrice",
        invoice="InvoiceNo",
        cancellations="net",
    )
    ref_net = amount.groupby(known["CustomerID"]).sum().reindex(net.index)
    np.testing.assert_allclose(net["monetary"], ref_net, rtol=1e-9, atol=1e-6)


# --- CDNOW ------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["M", "D", "W", "Q"])
def test_cdnow_summary_equals_pandas(cdnow: pd.DataFrame, period: str) -> None:
    # Reference: pandas group-by; no invoice column, so frequency counts lines. Daily periods
    # take the sorted path of the Rust kernel (the demand table would be too large), the others
    # the dense path.
    s = sg.customer_summary(
        cdnow, customer="customer", date="date", amount="amount", period=period
    )
    ref = pandas_summary(cdnow, "customer", "date", "amount", None, period)
    compare_summary(s, ref)


@pytest.mark.parametrize("scale", [1, 1_000_003])
def test_integer_ids_equal_pandas(cdnow: pd.DataFrame, scale: int) -> None:
    # Integer ids: coded by direct indexing (scale 1) or hashed (a range too wide, scale 1e6);
    # the reference is the same pandas group-by.
    lines = cdnow.assign(customer=cdnow["customer"].astype(np.int64) * scale)
    s = sg.customer_summary(lines, customer="customer", date="date", amount="amount")
    compare_summary(s, pandas_summary(lines, "customer", "date", "amount", None))


def test_cdnow_frequency_classes_equal_pandas(cdnow: pd.DataFrame) -> None:
    # Reference: the rule written with pandas on the reference summary.
    s = sg.customer_summary(cdnow, customer="customer", date="date", amount="amount")
    ref = pandas_summary(cdnow, "customer", "date", "amount", None)
    for share in (0.5, 0.25):
        got = sg.frequency_classes(s, regular_share=share)
        ratio = ref["active_periods"] / ref["periods_observed"]
        expected = np.where(
            ref["frequency"] == 1,
            "one-time",
            np.where(ratio >= share, "regular", "occasional"),
        )
        expected_counts = pd.Series(expected).value_counts()
        got_counts = got.labels_.astype(str).value_counts()
        assert got_counts.to_dict() == expected_counts.to_dict()
        assert got.summary_["count"].sum() == len(s)


def test_usage_classes_equal_pandas_rank(cdnow: pd.DataFrame) -> None:
    # Reference: rank(method="min", ascending=False) among users; share of users above.
    s = sg.customer_summary(cdnow, customer="customer", date="date", amount="amount")
    got = sg.usage_classes(s)
    users = s["monetary"] > 0
    above = (s["monetary"][users].rank(method="min", ascending=False) - 1) / users.sum()
    expected = pd.Series("non-user", index=s.index)
    expected[users] = np.where(above < 0.2, "heavy", np.where(above < 0.5, "medium", "light"))
    assert (got.labels_.astype(str) == expected).all()


def test_xyz_matches_numpy_cv(
    retail_summary: pd.DataFrame, online_retail_clean: pd.DataFrame
) -> None:
    # Reference: numpy CV of the monthly demand matrix (pandas pivot) with population sd.
    ref = pandas_summary(online_retail_clean, "CustomerID", "InvoiceDate", "Amount", "InvoiceNo")
    cv = ref["demand_sd"] / ref["demand_mean"]
    expected = np.where(cv < 0.5, "X", np.where(cv <= 1.0, "Y", "Z"))
    got = sg.xyz(retail_summary)
    assert (got.labels_.astype(str).to_numpy() == expected).all()
    m = sg.abc_xyz(retail_summary)
    assert int(m.counts_.to_numpy().sum()) == len(retail_summary)
    np.testing.assert_allclose(m.value_shares_.to_numpy().sum(), 1.0, rtol=1e-12)


# --- computed ABC -----------------------------------------------------------------------------


def test_computed_abc_swiss_inhabitants() -> None:
    # Reference: CalculatedABC.jl test/test_analysis.jl ("SwissInhabitants data", the data set
    # of the R package ABCanalysis): Pareto (0.25379834254143646, 0.7219586074342286),
    # break-even (0.22168508287292818, 0.6913764432243525), submarginal
    # (0.3715469613259669, 0.810278191608252); sets of 642, 434 and 1820 communities.
    v = pd.Series(np.loadtxt(DATA / "swiss_inhabitants.txt"))
    r = sg.abc(v, method="computed")
    pts = r.points_
    assert pts is not None
    np.testing.assert_allclose(
        pts.loc["pareto", ["customer_share", "value_share"]].to_numpy(float),
        [0.25379834254143646, 0.7219586074342286],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        pts.loc["break_even", ["customer_share", "value_share"]].to_numpy(float),
        [0.22168508287292818, 0.6913764432243525],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        pts.loc["submarginal", ["customer_share", "value_share"]].to_numpy(float),
        [0.3715469613259669, 0.810278191608252],
        rtol=1e-12,
    )
    counts = r.summary_["count"].to_numpy()
    # The A set is the same; at the B/C boundary the 1,076th and 1,077th communities have
    # the same number of inhabitants, and our convention keeps ties together (in B).
    sorted_v = np.sort(v.to_numpy())[::-1]
    assert sorted_v[1075] == sorted_v[1076]
    np.testing.assert_array_equal(counts, [642, 435, 1819])
    assert (r.labels_.astype(str) == abc_reference(v, r.cuts_)).all()


# --- edge cases -------------------------------------------------------------------------------


def small_log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cust": ["x", "x", "y", None, "z", "z"],
            "inv": ["1", "1", "2", "3", "C4", "C5"],
            "when": [
                "2024-01-02T10:00",
                "2024-01-02T10:00",
                "2024-02-10T09:30",
                "2024-02-11T00:00",
                "2024-02-01T12:00",
                "2024-02-02T12:00",
            ],
            "amount": [5.0, 7.0, 3.0, 1.0, -4.0, -6.0],
        }
    )


def test_string_dates_missing_ids_cancelled_only() -> None:
    # Reference: the frame above by hand.
    df = small_log()
    before = df.copy()
    s = sg.customer_summary(df, customer="cust", date="when", amount="amount", invoice="inv")
    pd.testing.assert_frame_equal(df, before)
    assert list(s.index) == ["x", "y"]
    assert s.attrs["dropped"] == 1
    assert s.attrs["cancelled_only"] == 1  # z only cancelled
    assert s.loc["x", "frequency"] == 1 and s.loc["x", "monetary"] == 12.0
    assert s.loc["y", "last_purchase"] == pd.Timestamp("2024-02-10T09:30")
    # Reference date: midnight after the last purchase (2024-02-11).
    assert s.loc["y", "recency_days"] == pytest.approx(14.5 / 24)


def test_callable_cancellations_and_time_zones() -> None:
    df = small_log()
    df["amount"] = df["amount"].abs()
    df["when"] = pd.to_datetime(df["when"]).dt.tz_localize("Europe/Berlin")
    s = sg.customer_summary(
        df,
        customer="cust",
        date="when",
        amount="amount",
        invoice="inv",
        cancellations=lambda inv: str(inv).startswith("C"),
    )
    assert list(s.index) == ["x", "y"]
    assert str(s["first_purchase"].dt.tz) == "Europe/Berlin"
    assert s.loc["x", "first_purchase"] == pd.Timestamp("2024-01-02T10:00", tz="Europe/Berlin")


def test_one_customer_and_equal_values() -> None:
    df = pd.DataFrame(
        {"c": [1, 1], "d": pd.to_datetime(["2024-01-01", "2024-03-01"]), "a": [2.0, 2.0]}
    )
    s = sg.customer_summary(df, customer="c", date="d", amount="a")
    assert len(s) == 1 and s["frequency"].iloc[0] == 2
    with pytest.warns(UserWarning, match="equal"):
        r = sg.abc(pd.Series([5.0, 5.0, 5.0]))
    assert set(r.labels_.astype(str)) == {"A"}
    with pytest.warns(UserWarning, match="no customer has"):
        rr = sg.rfm(
            pd.DataFrame(
                {"recency_days": [1.0, 1.0], "frequency": [1, 1], "monetary": [3.0, 3.0]}
            ),
            segments=None,
        )
    assert (rr.scores_.to_numpy() == 1).all()


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"amount": "text"}, InvalidTypeError, "text"),
        ({"amount": "missing_column"}, InvalidInputError, "missing_column"),
        ({"amount": "amount", "period": "X"}, InvalidInputError, "period"),
        ({"amount": "amount", "cancellations": "keep"}, InvalidInputError, "cancellations"),
        (
            {"amount": "amount", "reference_date": "2020-01-01"},
            InvalidInputError,
            "reference_date",
        ),
    ],
)
def test_errors_name_the_column(kwargs: dict, exc: type, name: str) -> None:
    df = small_log()
    df["text"] = "a"
    with pytest.raises(exc, match=name):
        sg.customer_summary(df, customer="cust", date="when", invoice="inv", **kwargs)


def test_empty_frame_and_missing_values() -> None:
    with pytest.raises(InvalidInputError, match="no lines"):
        sg.customer_summary(
            pd.DataFrame({"c": [], "d": [], "a": []}), customer="c", date="d", amount="a"
        )
    df = small_log()
    df.loc[0, "amount"] = np.nan
    with pytest.raises(InvalidInputError, match="'amount'"):
        sg.customer_summary(df, customer="cust", date="when", amount="amount")
    df = small_log()
    df["when"] = pd.to_datetime(df["when"])
    df.loc[1, "when"] = pd.NaT
    with pytest.raises(InvalidInputError, match="'when'"):
        sg.customer_summary(df, customer="cust", date="when", amount="amount")
    with pytest.raises(InvalidInputError, match="negative"):
        sg.abc(pd.Series([1.0, -1.0]))


@pytest.mark.parametrize("period", ["W", "D"])
def test_thread_count_independence(online_retail_clean: pd.DataFrame, period: str) -> None:
    # Same input, 1 and 2 threads: bit-identical summaries (weeks: the dense path; days: the
    # sorted path).
    kw = dict(
        customer="CustomerID",
        date="InvoiceDate",
        amount="Amount",
        invoice="InvoiceNo",
        period=period,
    )
    one = sg.customer_summary(online_retail_clean, n_jobs=1, **kw)
    two = sg.customer_summary(online_retail_clean, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_labels_feed_migration(retail_summary: pd.DataFrame) -> None:
    # The labels are pandas categoricals on the customer index: migration between two runs.
    a = sg.abc(retail_summary["monetary"]).labels_
    b = sg.abc(retail_summary["monetary"], (0.7, 0.9)).labels_
    m = sg.migration(a, b)
    assert m is not None


def test_plots_return_displays(retail_summary: pd.DataFrame) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = sg.abc(retail_summary["monetary"]).plot()
    assert d.figure_ is d.ax_.figure
    # The curve drawn is the Lorenz data: its last point is (100 %, 100 %).
    x, y = d.ax_.lines[0].get_data()
    assert x[-1] == pytest.approx(100.0) and y[-1] == pytest.approx(100.0)
    m = sg.abc_xyz(retail_summary).plot()
    assert m.ax_.get_title().startswith("ABC-XYZ")
    plt.close("all")


@pytest.mark.parametrize(
    "recode",
    [
        lambda s: s,  # small non-negative integers: their own codes
        lambda s: s + 10**9,  # a narrow range far from 0: coded by direct indexing
        lambda s: s * 1000,  # a wide range: hashed
    ],
)
def test_integer_invoices_equal_pandas_nunique(
    online_retail_clean: pd.DataFrame, retail_summary: pd.DataFrame, recode
) -> None:
    # Reference: pandas nunique of the invoice numbers per customer.
    lines = online_retail_clean.assign(
        InvoiceNo=recode(online_retail_clean["InvoiceNo"].astype(np.int64))
    )
    s = sg.customer_summary(
        lines, customer="CustomerID", date="InvoiceDate", amount="Amount", invoice="InvoiceNo"
    )
    ref = lines.groupby("CustomerID")["InvoiceNo"].nunique()
    np.testing.assert_array_equal(s["frequency"].to_numpy(), ref.to_numpy())
    np.testing.assert_allclose(s["monetary"], retail_summary["monetary"], rtol=1e-9)
