"""Transaction logs -> the integer codes and numbers of the customer summary, and back.

Customer ids and invoice numbers are factorized once (pandas.factorize); dates become ticks of
their own unit (local wall time for time-zone-aware columns, the zone is kept for the results);
the amount is a float64 column or quantity x price. Nothing of the caller's frame is modified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from ..errors import InvalidInputError, InvalidTypeError
from .table import to_pandas

TICKS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


@dataclass(frozen=True)
class TransactionCodes:
    """A transaction log ready for Rust, with what is needed to label the results."""

    columns: dict[str, str]  # "amount" / "date" / "invoice" -> the caller's column(s), quoted

    customer: np.ndarray  # int64 codes, -1 = no customer id (or the ids, with `ids`)
    customers: pd.Index  # the customer ids of the codes
    ids: Any  # an _core.IdTable when `customer` holds integer ids coded by it, else None
    time: np.ndarray  # int64 ticks (wall time)
    unit: str  # the ticks' unit: "s", "ms", "us" or "ns"
    tz: Any  # time zone of the date column (None when naive)
    amount: np.ndarray  # float64
    invoice: np.ndarray | None  # int64 codes
    n_invoices: int  # number of invoice codes
    cancelled: np.ndarray | None  # bool, lines the caller marks as cancellations

    def column_error(self, err: InvalidInputError) -> InvalidInputError:
        """An error of the Rust pass about "amount", "date" or "invoice", naming the column."""
        what = err.what or ""
        if what not in self.columns:
            return err
        message = str(err).split(": ", 1)[-1]
        return InvalidInputError(f"column {self.columns[what]}: {message}", what)

    @property
    def ticks_per_day(self) -> int:
        return 86_400 * TICKS_PER_SECOND[self.unit]

    def lines(self) -> dict[str, Any]:
        """The keyword arguments that describe the lines to the Rust passes
        (``customer_summary``, ``summary_partial``), after the customer codes."""
        return {
            "n_customers": len(self.customers),
            "time": self.time,
            "ticks_per_day": self.ticks_per_day,
            "amount": self.amount,
            "invoice": self.invoice,
            "n_invoices": self.n_invoices,
            "cancelled": self.cancelled,
            "ids": self.ids,
        }

    def to_datetime(self, ticks: np.ndarray) -> pd.DatetimeIndex:
        """Ticks back to datetimes in the caller's unit and time zone."""
        out = pd.DatetimeIndex(np.asarray(ticks, dtype=np.int64).view(f"datetime64[{self.unit}]"))
        if self.tz is not None:
            out = out.tz_localize(self.tz, ambiguous="NaT", nonexistent="NaT")
        return out

    def to_ticks(self, when: Any, what: str) -> int:
        """A timestamp (in the column's zone when naive) as ticks of wall time."""
        try:
            ts = pd.Timestamp(when)
        except (TypeError, ValueError) as e:
            raise InvalidInputError(f"{what}: not a date ({when!r})", what) from e
        if ts is pd.NaT:
            raise InvalidInputError(f"{what}: not a date ({when!r})", what)
        if ts.tzinfo is not None:
            if self.tz is None:
                ts = ts.tz_localize(None)
            else:
                ts = ts.tz_convert(self.tz).tz_localize(None)
        ns = int(ts.as_unit("ns").value)
        return ns // (10**9 // TICKS_PER_SECOND[self.unit])


def _column(df: pd.DataFrame, name: Any, what: str) -> pd.Series:
    if name not in df.columns:
        raise InvalidInputError(
            f"{what}: column {name!r} is not in the transactions "
            f"(columns: {', '.join(map(repr, df.columns[:20]))})",
            str(name),
        )
    col = df[name]
    if isinstance(col, pd.DataFrame):
        raise InvalidInputError(f"{what}: column name {name!r} is not unique", str(name))
    return col


def _numbers(col: pd.Series, name: Any) -> np.ndarray:
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        raise InvalidTypeError(
            f"column {name!r} must hold numbers, got {dtype}; convert it with pd.to_numeric",
            str(name),
        )
    if pd.api.types.is_complex_dtype(dtype):
        raise InvalidTypeError(f"column {name!r}: complex numbers are not amounts", str(name))
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def _dates(col: pd.Series, name: Any) -> tuple[np.ndarray, str, Any]:
    if not isinstance(col.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(
        col.dtype
    ):
        if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            raise InvalidTypeError(
                f"column {name!r} must hold dates (datetimes or ISO strings), got {col.dtype}",
                str(name),
            )
        try:
            col = pd.to_datetime(col, format="ISO8601")
        except (TypeError, ValueError) as e:
            raise InvalidInputError(f"column {name!r}: not dates ({e})", str(name)) from e
    tz = None
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        tz = col.dtype.tz
        col = col.dt.tz_localize(None)
    values = col.to_numpy()
    unit = np.datetime_data(values.dtype)[0]
    if unit not in TICKS_PER_SECOND:
        values = values.astype("datetime64[ns]")
        unit = "ns"
    return values.view(np.int64), unit, tz


MISSING_ID = np.iinfo(np.int64).min  # a missing integer id (not a real customer id)


def _integer_ids(col: pd.Series) -> np.ndarray | None:
    """The ids of an int or float column of integers as int64 (without a copy for int64),
    NaN as `MISSING_ID`; None when they are not integers (or are uint64)."""
    if not isinstance(col.dtype, np.dtype) or col.dtype.kind not in "iuf" or len(col) == 0:
        return None
    v = col.to_numpy()
    if v.dtype.kind == "u" and v.dtype.itemsize == 8:
        return None
    if v.dtype.kind == "f":
        missing = np.isnan(v)
        with np.errstate(invalid="ignore"):
            ints = v.astype(np.int64)
            exact = ints == v
        if not (exact | missing).all() or (ints[~exact & ~missing] == MISSING_ID).any():
            return None
        ints[missing] = MISSING_ID
        return ints
    # (an id equal to the smallest int64 would count as missing: not a real customer id)
    return v.astype(np.int64, copy=False)


def _dense_integer_codes(col: pd.Series, n_threads: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Sorted codes of integer ids (in an int or float column, NaN = missing) by direct
    indexing over their range in Rust: a few streaming passes instead of a hash table. None
    when the ids are not integers or their range exceeds twice the number of lines."""
    ints = _integer_ids(col)
    if ints is None:
        return None
    d = _core.dense_codes(
        ints, missing=MISSING_ID, max_range=2 * len(ints) + 1024, n_threads=n_threads
    )
    if d is None:
        return None
    return d.codes, d.uniques.astype(col.dtype)


def _small_integers(col: pd.Series) -> tuple[np.ndarray, int] | None:
    """The column as int64 (without a copy) and one more than its largest value, when it holds
    non-negative integers below about twice the number of lines; None otherwise."""
    if not isinstance(col.dtype, np.dtype) or col.dtype.kind not in "iu" or len(col) == 0:
        return None
    if col.dtype.kind == "u" and col.dtype.itemsize == 8:
        return None
    v = col.to_numpy()
    lo, hi = int(v.min()), int(v.max())
    if lo < 0 or hi >= 2 * len(v) + 1024:
        return None
    return v.astype(np.int64, copy=False), hi + 1


def _factorize(col: pd.Series, sort: bool) -> tuple[np.ndarray, Any]:
    """pandas.factorize, applied to the heads of runs of equal values only when the values come
    in runs (invoice lines are adjacent, logs are often sorted by customer): hashing text is the
    slow part, comparing neighbours is not. Other columns (Arrow-backed strings: pandas'
    default text) are factorized as they are, never converted to Python objects."""
    if col.dtype != object:
        return pd.factorize(col, sort=sort)
    v = col.to_numpy()
    if len(v) > 1:
        try:
            change = np.empty(len(v), dtype=bool)
            change[0] = True
            np.not_equal(v[1:], v[:-1], out=change[1:])
        except (TypeError, ValueError):  # values without a plain boolean != (pd.NA)
            change = None
        if change is not None and change.sum() < 0.5 * len(v):
            codes, uniques = pd.factorize(v[change], sort=sort)
            return codes[np.cumsum(change) - 1], uniques
    return pd.factorize(col, sort=sort)


def _codes(col: pd.Series, n_threads: int) -> tuple[np.ndarray, pd.Index, Any]:
    """Customer codes, the ids of the codes, and the id table when the "codes" are integer ids
    coded by the Rust pass itself (an `_core.IdTable`: no column of codes is written)."""
    ints = _integer_ids(col)
    if ints is not None:
        table = _core.id_table(
            ints, missing=MISSING_ID, max_range=2 * len(ints) + 1024, n_threads=n_threads
        )
        if table is not None:
            return ints, pd.Index(table.uniques.astype(col.dtype), name=col.name), table
    try:
        codes, uniques = _factorize(col, sort=True)
    except TypeError:  # ids of mixed types: first-appearance order
        codes, uniques = _factorize(col, sort=False)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques, name=col.name), None


def check_columns(
    df: pd.DataFrame,
    *,
    customer: Any,
    date: Any,
    amount: Any = None,
    quantity: Any = None,
    price: Any = None,
    invoice: Any = None,
    cancellations: str | Callable[[Any], bool] = "drop",
) -> None:
    """The checks of `transaction_codes` that need no rows: the columns exist, the amount
    columns hold numbers, the date column is not numeric, the amount is specified once and a
    callable `cancellations` has an invoice column (e.g. on a Dask frame's empty metadata, so
    the error is raised on the client)."""
    _column(df, customer, "customer")
    _dates(_column(df, date, "date").iloc[:0], date)
    if amount is not None:
        if quantity is not None or price is not None:
            raise InvalidInputError(
                "amount: give either amount or quantity and price, not both", "amount"
            )
        _numbers(_column(df, amount, "amount").iloc[:0], amount)
    elif quantity is not None and price is not None:
        _numbers(_column(df, quantity, "quantity").iloc[:0], quantity)
        _numbers(_column(df, price, "price").iloc[:0], price)
    else:
        raise InvalidInputError(
            "amount: give the amount column, or the quantity and price columns", "amount"
        )
    if invoice is not None:
        _column(df, invoice, "invoice")
    elif callable(cancellations):
        raise InvalidInputError(
            "cancellations: a callable marks invoice numbers; give the invoice column",
            "cancellations",
        )


def transaction_codes(
    transactions: Any,
    *,
    customer: Any,
    date: Any,
    amount: Any = None,
    quantity: Any = None,
    price: Any = None,
    invoice: Any = None,
    cancellations: str | Callable[[Any], bool] = "drop",
    n_threads: int = 0,
) -> TransactionCodes:
    """Validates a transaction log and converts it (see `segmint.onedim.customer_summary`)."""
    df = to_pandas(transactions, what="transactions")
    if df is None:
        raise InvalidTypeError(
            f"transactions: expected a data frame, got {type(transactions).__name__}",
            "transactions",
        )
    if len(df) == 0:
        raise InvalidInputError("transactions: the frame has no lines", "transactions")
    cust = _column(df, customer, "customer")
    time, unit, tz = _dates(_column(df, date, "date"), date)
    if amount is not None:
        if quantity is not None or price is not None:
            raise InvalidInputError(
                "amount: give either amount or quantity and price, not both", "amount"
            )
        values = _numbers(_column(df, amount, "amount"), amount)
        value_names = f"{amount!r}"
    elif quantity is not None and price is not None:
        q = _numbers(_column(df, quantity, "quantity"), quantity)
        p = _numbers(_column(df, price, "price"), price)
        values = q * p
        value_names = f"{quantity!r} x {price!r}"
    else:
        raise InvalidInputError(
            "amount: give the amount column, or the quantity and price columns", "amount"
        )
    codes, customers, ids = _codes(cust, n_threads)
    inv_codes = None
    n_invoices = 0
    cancelled = None
    if invoice is not None:
        inv_col = _column(df, invoice, "invoice")
        inv_uniques: Any = None
        small = None if callable(cancellations) else _small_integers(inv_col)
        if small is not None:
            # Non-negative integers below twice the number of lines are their own codes: only
            # equality and a table indexed by them are needed, no factorization.
            inv_codes, n_invoices = small
        else:
            dense = None if callable(cancellations) else _dense_integer_codes(inv_col, n_threads)
            if dense is not None:
                inv_codes, inv_uniques = dense
            else:
                inv_codes, inv_uniques = _factorize(inv_col, sort=False)
                inv_codes = np.asarray(inv_codes, dtype=np.int64)
            n_invoices = len(inv_uniques)
        if callable(cancellations):
            flags = np.fromiter(
                (bool(cancellations(v)) for v in inv_uniques), dtype=bool, count=len(inv_uniques)
            )
            cancelled = flags[np.maximum(inv_codes, 0)]
    elif callable(cancellations):
        raise InvalidInputError(
            "cancellations: a callable marks invoice numbers; give the invoice column",
            "cancellations",
        )
    # Missing values on lines with a customer id are found by the Rust pass; its errors name
    # "amount", "date" and "invoice", mapped back to the caller's columns here.
    return TransactionCodes(
        columns={"amount": value_names, "date": repr(date), "invoice": repr(invoice)},
        customer=codes,
        customers=customers,
        ids=ids,
        time=time,
        unit=unit,
        tz=tz,
        amount=values,
        invoice=inv_codes,
        n_invoices=n_invoices,
        cancelled=cancelled,
    )
