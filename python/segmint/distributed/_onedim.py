"""The customer summary of a Dask transaction log (:func:`segmint.customer_summary` on a Dask
DataFrame), equal to the in-memory summary of the same lines to the last bit.

Each customer's lines go to one bucket, in their order in the log: every partition splits its
rows by a hash of the customer id (a stable split, so each piece keeps the partition's row
order), and bucket ``b`` is the concatenation of the partitions' pieces ``b`` in partition
order. A bucket is coded and reduced by the in-memory Rust pass (``summary_partial``); its
customers are nobody else's, so their distinct invoices are counted over all their lines
(invoices may span partitions) and every sum adds the customer's lines in the order of the log,
as the in-memory pass does: the same floating-point numbers, not merely close ones. The client
collects each bucket's purchase time range (a few numbers) to fix the reference date and the
window of periods of the whole log, then each bucket finishes its own rows of the customer
table (``summary_finish``), and the client concatenates them in the in-memory order of the
customer ids. Only the customer table (one row per customer) travels to the client.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._frame.onedim import TICKS_PER_SECOND, TransactionCodes, check_columns, transaction_codes
from .._onedim_base import summary_frame
from ..errors import InvalidInputError, InvalidTypeError
from . import _partitions
from ._partitions import _delayed_parts, _worker_task, get_client, kernel_threads


@dataclass(frozen=True)
class Bucket:
    """A bucket's aggregates (on the worker) and how to label them (customer ids by code,
    date unit and zone; the line arrays left out)."""

    partial: Any  # _core.SummaryPartial
    codes: TransactionCodes


@dataclass(frozen=True)
class BucketInfo:
    """What the client needs from a bucket: the date unit and zone, its purchase time range and
    counts."""

    codes: TransactionCodes  # no customers, no lines: unit, zone, column names
    time_range: tuple[int, int] | None
    dropped: int
    cancelled_only: int


# --- worker side --------------------------------------------------------------------------------


@_worker_task
def _split(part: pd.DataFrame, columns: list[Any], customer: Any, n_buckets: int) -> list[Any]:
    """A partition's used columns cut into `n_buckets` pieces by a hash of the customer id
    (pandas' fixed-key hash: the same bucket on every worker), each piece in row order and
    indexed by its rows' positions in the partition (for error messages)."""
    df = part[columns].reset_index(drop=True)
    if n_buckets == 1:
        return [df]
    h = pd.util.hash_pandas_object(df[customer], index=False).to_numpy()
    b = (h % np.uint64(n_buckets)).astype(np.int64)
    order = np.argsort(b, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(b, minlength=n_buckets))])
    ordered = df.iloc[order]
    return [ordered.iloc[bounds[i] : bounds[i + 1]] for i in range(n_buckets)]


def _rescale(codes: TransactionCodes, unit: str | None) -> TransactionCodes:
    """The ticks in `unit` (finer than the bucket's own: text dates parse to the unit their
    most precise value needs, which a bucket may not hold)."""
    if unit is None or unit == codes.unit:
        return codes
    factor = TICKS_PER_SECOND[unit] // TICKS_PER_SECOND[codes.unit]
    missing = codes.time == np.iinfo(np.int64).min
    time = np.where(missing, codes.time, codes.time * factor)
    return dataclasses.replace(codes, time=time, unit=unit)


def _located(err: InvalidInputError, pieces: list[pd.DataFrame]) -> InvalidInputError:
    """The error with its "line r" of the bucket told as the line of its partition."""
    m = re.search(r"at line (\d+)", str(err))
    if m is None:
        return err
    r = int(m.group(1))
    for k, piece in enumerate(pieces):
        if r < len(piece):
            where = f"at line {int(piece.index[r])} of partition {k}"
            return InvalidInputError(str(err).replace(m.group(0), where), err.what)
        r -= len(piece)
    return err


@_worker_task
def _bucket(
    pieces: list[pd.DataFrame], kw: dict[str, Any], period: str, n_threads: int, unit: str | None
) -> Bucket | None:
    """The Rust aggregates of a bucket's lines (None for a bucket without lines)."""
    df = pieces[0] if len(pieces) == 1 else pd.concat(pieces)
    if len(df) == 0:
        return None
    try:
        codes = _rescale(transaction_codes(df, n_threads=n_threads, **kw), unit)
    except InvalidInputError as e:
        raise _located(e, pieces) from None
    mode = "drop" if callable(kw["cancellations"]) else kw["cancellations"]
    try:
        partial = _core.summary_partial(
            codes.customer,
            **codes.lines(),
            period=period,
            cancellations=mode,
            n_threads=n_threads,
        )
    except InvalidInputError as e:
        raise _located(codes.column_error(e), pieces) from None
    empty = np.empty(0, dtype=np.int64)
    light = dataclasses.replace(
        codes,
        customer=empty,
        ids=None,
        time=empty,
        amount=np.empty(0),
        invoice=None,
        cancelled=None,
    )
    return Bucket(partial, light)


def _info(bucket: Bucket | None) -> BucketInfo | None:
    if bucket is None:
        return None
    p = bucket.partial
    codes = dataclasses.replace(bucket.codes, customers=bucket.codes.customers[:0])
    return BucketInfo(codes, p.time_range, int(p.dropped), int(p.cancelled_only))


@_worker_task
def _finish(
    bucket: Bucket | None, reference: int, start: int, period: str, mode: str, n_threads: int
) -> tuple[pd.DataFrame, tuple[int, int]] | None:
    """The bucket's rows of the customer table, on the whole log's reference and window."""
    if bucket is None or bucket.partial.time_range is None:
        return None
    s = _core.summary_finish(
        bucket.partial,
        reference=reference,
        start=start,
        ticks_per_day=bucket.codes.ticks_per_day,
        period=period,
        n_threads=n_threads,
    )
    return summary_frame(bucket.codes, s, mode), s.window


# --- client side --------------------------------------------------------------------------------


def _in_memory_order(index: pd.Index) -> np.ndarray:
    """The order of the customer ids in memory: sorted as pandas.factorize(sort=True) sorts
    them (numbers before text for mixed ids)."""
    try:
        codes, _ = pd.factorize(pd.Series(index), sort=True)
    except TypeError as e:
        raise InvalidTypeError(
            f"customer: the ids in column {index.name!r} are of types that cannot be ordered "
            "together; on a Dask frame convert them to one type (e.g. .astype(str))",
            "customer",
        ) from e
    return np.argsort(codes, kind="stable")


def customer_summary(
    transactions: Any,
    *,
    customer: Any,
    date: Any,
    amount: Any,
    quantity: Any,
    price: Any,
    invoice: Any,
    reference_date: Any,
    period: str,
    cancellations: str | Callable[[Any], bool],
    n_jobs: int | None,
    n_buckets: int | None = None,
) -> pd.DataFrame:
    """:func:`segmint.customer_summary` of a Dask DataFrame (see the module docstring):
    `n_buckets` buckets of customers (default: the number of partitions, at most twice the
    number of Dask worker threads, so that partitions × buckets pieces stay few); the result
    does not depend on it, nor on the partitioning."""
    import dask

    meta = getattr(transactions, "_meta", None)
    if not isinstance(meta, pd.DataFrame):
        raise InvalidTypeError(
            "transactions: expected a Dask DataFrame of invoice lines, got "
            f"{type(transactions).__name__}",
            "transactions",
        )
    kw: dict[str, Any] = dict(
        customer=customer,
        date=date,
        amount=amount,
        quantity=quantity,
        price=price,
        invoice=invoice,
        cancellations=cancellations,
    )
    check_columns(meta, **kw)
    client = get_client()
    threads = kernel_threads(client, n_jobs)
    used: list[Any] = []
    for c in (customer, date, amount, quantity, price, invoice):
        if c is not None and c not in used:
            used.append(c)
    parts = _delayed_parts(transactions, "transactions")
    if n_buckets is None:  # a few buckets per Dask thread: P x B pieces stay few
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        dask_threads = sum(int(w.get("nthreads", 1)) for w in workers)
        n_buckets = min(len(parts), 2 * max(1, dask_threads))
    n_b = max(1, int(n_buckets))
    split = dask.delayed(_split, nout=n_b, pure=True)
    pieces = [split(p, used, customer, n_b) for p in parts]
    bucket = dask.delayed(_bucket, pure=True)

    def buckets_in(unit: str | None) -> list[Any]:
        return client.compute(
            [bucket([pc[b] for pc in pieces], kw, period, threads, unit) for b in range(n_b)]
        )

    buckets = buckets_in(None)
    infos = _partitions._gather(client, client.map(_info, buckets, pure=False))
    present = [i for i in infos if i is not None]
    if not present:
        raise InvalidInputError("transactions: the frame has no lines", "transactions")
    units = {i.codes.unit for i in present}
    if len(units) > 1:  # text dates: every bucket in the finest unit, as the whole column
        finest = max(units, key=TICKS_PER_SECOND.__getitem__)
        buckets = buckets_in(finest)
        infos = _partitions._gather(client, client.map(_info, buckets, pure=False))
        present = [i for i in infos if i is not None]
    codes = present[0].codes
    ranges = [i.time_range for i in present if i.time_range is not None]
    if not ranges:
        raise InvalidInputError(
            "transactions: no purchase lines (every line lacks a customer id or is a "
            "cancellation)",
            "transactions",
        )
    start = min(r[0] for r in ranges)
    last = max(r[1] for r in ranges)
    tpd = codes.ticks_per_day
    if reference_date is None:
        reference = (last // tpd + 1) * tpd
    else:
        reference = codes.to_ticks(reference_date, "reference_date")
        if reference <= last:
            raise InvalidInputError(
                "reference_date: must be after the last purchase in the data", "reference_date"
            )
    mode = "drop" if callable(cancellations) else cancellations
    futures = [
        client.submit(_finish, b, reference, start, period, mode, threads, pure=False)
        for b in buckets
    ]
    done = [r for r in _partitions._gather(client, futures) if r is not None]
    out = pd.concat([frame for frame, _ in done])
    out = out.iloc[_in_memory_order(out.index)]
    window = done[0][1]
    out.attrs.update(
        dropped=sum(i.dropped for i in present),
        cancelled_only=sum(i.cancelled_only for i in present),
        reference_date=codes.to_datetime(np.array([reference]))[0],
        period=period,
        n_periods=int(window[1] - window[0] + 1),
    )
    return out
