"""One-dimensional segmentation on a Dask transaction log (issue 14).

The promise checked here: ``customer_summary`` of a Dask DataFrame equals the in-memory summary
of the same lines — every column to the last bit, the same customers in the same order, the
same ``attrs`` — on 1, 3 and 7 partitions of the real Online Retail log (UCI; the in-memory
summary is itself checked against pandas group-bys and the published figures in
test_onedim.py), with customers and invoices spanning partitions, an empty partition, text
dates, every cancellation mode, a worker killed mid-run; the RFM scores, ABC and frequency
classes computed from it equal the in-memory ones; bad input raises on the client naming the
column.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import segmint as sg  # noqa: E402
from segmint.distributed import _onedim  # noqa: E402
from segmint.errors import InvalidInputError, InvalidTypeError  # noqa: E402

KW = dict(
    customer="CustomerID",
    date="InvoiceDate",
    quantity="Quantity",
    price="UnitPrice",
    invoice="InvoiceNo",
)


@pytest.fixture(scope="module")
def retail(shared_data: Path) -> pd.DataFrame:
    """The raw Online Retail log (541,909 lines, in invoice order: lines without a customer id,
    C-invoice cancellations)."""
    path = shared_data / "customers" / "online_retail.csv.gz"
    if not path.is_file():
        pytest.skip(f"not found: {path}")
    return pd.read_csv(
        path, dtype={"InvoiceNo": str, "StockCode": str}, parse_dates=["InvoiceDate"]
    )


def ddf(df: pd.DataFrame, n: int):  # type: ignore[no-untyped-def]
    """`df` cut into `n` consecutive partitions, scattered to the workers (not embedded in the
    task graph)."""
    client = distributed.get_client()
    cuts = np.linspace(0, len(df), n + 1).astype(int)
    parts = client.scatter([df.iloc[a:b] for a, b in itertools.pairwise(cuts)])
    return dd.from_delayed(parts, meta=df.iloc[:0], verify_meta=False)


def assert_same_summary(got: pd.DataFrame, want: pd.DataFrame) -> None:
    # reference: the in-memory summary of the same lines (checked against pandas in
    # test_onedim.py); floats compared bit for bit (NaN where the reference has NaN).
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for col in want.columns:
        a, b = got[col].to_numpy(), want[col].to_numpy()
        if a.dtype.kind == "f":
            assert np.array_equal(a.view(np.int64), b.view(np.int64)), col
    assert got.attrs == want.attrs


@pytest.mark.parametrize("npartitions", [1, 3, 7])
def test_online_retail_summary_bit_identical(client, retail, npartitions):
    mem = sg.customer_summary(retail, cancellations="count", **KW)
    lines = ddf(retail, npartitions)
    if npartitions == 7:
        # the test is not trivial: customers and invoices span partitions
        parts = [lines.get_partition(i).compute() for i in range(npartitions)]
        spans = (
            pd.concat([p[["CustomerID", "InvoiceNo"]].assign(part=i) for i, p in enumerate(parts)])
            .groupby("InvoiceNo")["part"]
            .nunique()
        )
        assert (spans > 1).any()
        per_customer = (
            pd.concat([p[["CustomerID"]].assign(part=i) for i, p in enumerate(parts)])
            .groupby("CustomerID")["part"]
            .nunique()
        )
        assert (per_customer > 3).sum() > 1000
    dist = sg.customer_summary(lines, cancellations="count", **KW)
    assert len(dist) == 4372 - mem.attrs["cancelled_only"]
    assert_same_summary(dist, mem)


@pytest.mark.parametrize("cancellations", ["net", "drop", "callable"])
def test_cancellation_modes_and_options_bit_identical(client, retail, cancellations):
    mode = (lambda inv: str(inv).startswith("C")) if cancellations == "callable" else cancellations
    kw = dict(KW, cancellations=mode, period="W", reference_date="2012-01-01")
    mem = sg.customer_summary(retail, **kw)
    dist = sg.customer_summary(ddf(retail, 7), **kw)
    assert_same_summary(dist, mem)


def test_bucket_count_does_not_matter(client, retail):
    lines = ddf(retail.iloc[:150_000], 4)
    mem = sg.customer_summary(retail.iloc[:150_000], **KW)
    for n_buckets in (1, 5):
        dist = _onedim.customer_summary(
            lines,
            reference_date=None,
            period="M",
            cancellations="drop",
            n_jobs=None,
            amount=None,
            n_buckets=n_buckets,
            **KW,
        )
        assert_same_summary(dist, mem)


def test_customer_split_across_partitions_sums_in_log_order(client):
    # Customer "a" spends 1e16, then 1.0 and 1.0 in the next partition, on one invoice that
    # spans the partitions. In log order 1e16 + 1 + 1 rounds to 1e16 twice; adding the two
    # partitions' sums would give 1e16 + 2 (and count the invoice twice): the summary must
    # give the in-memory numbers.
    log = pd.DataFrame(
        {
            "customer": ["a", "b", "a", "a", "b", "c"],
            "invoice": [1, 2, 1, 1, 3, 4],
            "date": pd.to_datetime(
                [
                    "2024-01-03",
                    "2024-01-04",
                    "2024-01-03",
                    "2024-01-03",
                    "2024-03-01",
                    "2024-04-02",
                ]
            ),
            "amount": [1e16, 5.0, 1.0, 1.0, 7.5, 2.0],
        }
    )
    kw = dict(customer="customer", date="date", amount="amount", invoice="invoice")
    lines = ddf(log, 2)
    assert lines.npartitions == 2 and len(lines.get_partition(0).compute()) == 3
    # the same rows as Dask holds them (its text columns are Arrow strings)
    mem = sg.customer_summary(lines.compute(), **kw)
    assert mem.at["a", "monetary"] == 1e16 and mem.at["a", "frequency"] == 1
    naive = (1e16) + (1.0 + 1.0)
    assert naive != mem.at["a", "monetary"]  # the order matters for this customer
    assert_same_summary(sg.customer_summary(lines, **kw), mem)


def test_empty_partition_and_text_dates(client):
    rng = np.random.default_rng(3)
    n = 3000
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 400 * 86400, n), "s")
    text = dates.strftime("%Y-%m-%d %H:%M:%S").to_numpy().astype(object)
    text[2500] = "2023-06-01 10:00:00.123456789"  # one value needs nanoseconds
    log = pd.DataFrame(
        {
            "customer": rng.integers(0, 300, n).astype(str),
            "invoice": np.arange(n) // 3,
            "date": text,
            "amount": np.round(rng.gamma(2.0, 30.0, n), 2),
        }
    )
    kw = dict(customer="customer", date="date", amount="amount", invoice="invoice")
    pieces = [log.iloc[:1000], log.iloc[:0], log.iloc[1000:]]
    lines = dd.from_delayed(distributed.get_client().scatter(pieces), meta=log.iloc[:0])
    assert lines.npartitions == 3
    mem = sg.customer_summary(lines.compute(), **kw)  # the same rows as Dask holds them
    assert mem["first_purchase"].dtype == "datetime64[ns]"
    assert_same_summary(sg.customer_summary(lines, **kw), mem)


def test_scores_and_classes_equal_memory(client, retail):
    mem = sg.customer_summary(retail, **KW)
    dist = sg.customer_summary(ddf(retail, 3), **KW)
    table = dd.from_pandas(dist, npartitions=2)  # a Dask customer table is computed first
    for s in (dist, table):
        # reference: the same functions on the in-memory summary
        with pytest.warns(UserWarning, match="match no segment rule"):
            r_mem = sg.rfm(mem)
        with pytest.warns(UserWarning, match="match no segment rule"):
            r_dist = sg.rfm(s)
        pd.testing.assert_frame_equal(r_dist.scores_, r_mem.scores_)
        pd.testing.assert_series_equal(r_dist.segment_, r_mem.segment_)
        a_mem, a_dist = sg.abc(mem), sg.abc(s)
        pd.testing.assert_series_equal(a_dist.labels_, a_mem.labels_)
        assert a_dist.gini_ == a_mem.gini_
        pd.testing.assert_series_equal(
            sg.frequency_classes(s).labels_, sg.frequency_classes(mem).labels_
        )
        pd.testing.assert_series_equal(sg.xyz(s).labels_, sg.xyz(mem).labels_)
        pd.testing.assert_series_equal(sg.usage_classes(s).labels_, sg.usage_classes(mem).labels_)
        pd.testing.assert_series_equal(sg.abc_xyz(s).labels_, sg.abc_xyz(mem).labels_)


def test_bad_input_names_the_column_on_the_client(client, retail):
    lines = ddf(retail.iloc[:5000], 3)
    with pytest.raises(InvalidInputError, match="'Cust'"):
        sg.customer_summary(lines, **dict(KW, customer="Cust"))
    with pytest.raises(InvalidTypeError, match="'Description'"):
        sg.customer_summary(lines, **dict(KW, quantity="Description"))
    with pytest.raises(InvalidTypeError, match="'Quantity'"):
        sg.customer_summary(lines, **dict(KW, date="Quantity"))
    with pytest.raises(InvalidInputError, match="cancellations"):
        sg.customer_summary(
            lines, **dict(KW, invoice=None, cancellations=lambda v: str(v).startswith("C"))
        )
    # a missing price on a line with a customer id: found on a worker, raised on the client,
    # naming the columns as in memory
    bad = retail.iloc[:5000].copy()
    row = int(np.flatnonzero(bad["CustomerID"].notna())[2000])
    bad.iloc[row, bad.columns.get_loc("UnitPrice")] = np.nan
    with pytest.raises(InvalidInputError, match="'Quantity' x 'UnitPrice'") as mem_err:
        sg.customer_summary(bad, **KW)
    with pytest.raises(InvalidInputError, match="'Quantity' x 'UnitPrice'") as dist_err:
        sg.customer_summary(ddf(bad, 3), **KW)
    assert mem_err.value.what == dist_err.value.what  # type: ignore[attr-defined]
    assert f"at line {row}" in str(mem_err.value)
    cuts = np.linspace(0, 5000, 4).astype(int)  # the partitions of ddf(bad, 3)
    part = int(np.searchsorted(cuts, row, side="right") - 1)
    assert f"at line {row - cuts[part]} of partition {part}" in str(dist_err.value)
    with pytest.raises(InvalidInputError, match="reference_date"):
        sg.customer_summary(lines, reference_date="2010-12-01", **KW)
    nobody = retail.iloc[:5000].assign(CustomerID=np.nan)
    with pytest.raises(InvalidInputError, match="no purchase lines"):
        sg.customer_summary(ddf(nobody, 2), **KW)
    with pytest.raises(InvalidInputError, match="no purchase lines"):
        sg.customer_summary(nobody, **KW)


@pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning")
def test_worker_killed_mid_run_gives_the_same_summary(client, retail, kill_worker_at):
    # The lines are embedded in the graph (not scattered), so lost partitions can be rebuilt.
    lines = retail.iloc[:200_000]
    mem = sg.customer_summary(lines, **KW)
    calls = kill_worker_at(1)  # the buckets' aggregates are held on the workers
    dist = sg.customer_summary(dd.from_pandas(lines, npartitions=4, sort=False), **KW)
    assert calls["n"] == 2
    assert_same_summary(dist, mem)
    client.wait_for_workers(2, timeout=60)


@pytest.mark.parametrize("seed", range(6))
def test_random_logs_and_cuts_bit_identical(client, seed):
    # Random logs (integer or text ids, amounts of very different magnitudes so that the order
    # of additions shows, cancellations, invoices shared by neighbouring lines) cut at random
    # rows, with empty partitions: the in-memory summary of the same lines, bit for bit.
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(50, 3000))
    k = int(rng.integers(1, 60))
    ids = rng.integers(0, k, n)
    customer = ids if seed % 2 else np.array([f"c{i:03d}" for i in ids], dtype=object)
    amount = np.round(rng.choice([1e-3, 1.0, 1e9], n) * rng.normal(10, 5, n), 3)
    log = pd.DataFrame(
        {
            "customer": customer,
            "invoice": np.cumsum(rng.random(n) < 0.4),
            "date": pd.Timestamp("2022-03-01") + pd.to_timedelta(rng.integers(0, 10**8, n), "s"),
            "amount": amount,
        }
    )
    log.loc[rng.random(n) < 0.05, "customer"] = None if seed % 2 == 0 else np.nan
    cuts = np.sort(rng.integers(0, n + 1, int(rng.integers(0, 6))))
    bounds = [0, *cuts.tolist(), n]
    pieces = [log.iloc[a:b] for a, b in itertools.pairwise(bounds)]
    lines = dd.from_delayed(distributed.get_client().scatter(pieces), meta=log.iloc[:0])
    mode = ["drop", "net", "count"][seed % 3]
    kw = dict(customer="customer", date="date", amount="amount", invoice="invoice")
    mem = sg.customer_summary(lines.compute(), cancellations=mode, period="W", **kw)
    dist = sg.customer_summary(lines, cancellations=mode, period="W", **kw)
    assert_same_summary(dist, mem)
