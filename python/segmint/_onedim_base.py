"""Shared pieces of the one-dimensional segmentations (segmint.onedim): value checks,
rank arithmetic with ties kept together, class tables and the Display object of the plots."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidInputError, InvalidTypeError
from .plot import Display, new_axes


def values_series(values: Any, what: str, column: str | None = None) -> pd.Series:
    """A float Series of one value per customer (finite), from a Series or a summary frame."""
    if isinstance(values, pd.DataFrame):
        if column is None or column not in values.columns:
            raise InvalidInputError(
                f"{what}: expected a Series or a frame with a {column!r} column", what
            )
        values = values[column]
    if not isinstance(values, pd.Series):
        values = pd.Series(np.asarray(values))
    if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values.dtype):
        raise InvalidTypeError(f"{what}: values must be numbers, got {values.dtype}", what)
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if len(arr) == 0:
        raise InvalidInputError(f"{what}: no customers", what)
    if not np.isfinite(arr).all():
        raise InvalidInputError(
            f"{what}: {int((~np.isfinite(arr)).sum())} missing or infinite values", what
        )
    return pd.Series(arr, index=values.index, name=values.name)


def check_total(values: np.ndarray, what: str, name: Any = None) -> None:
    """Refuses values (finite, non-negative) whose total overflows float64: their shares of the
    total would be 0 or NaN, not an answer. `name` is the caller's column, if any."""
    with np.errstate(over="ignore"):
        total = values.sum()
    if not np.isfinite(total):
        column = "" if name is None else f" (column {name!r})"
        raise InvalidInputError(
            f"{what}{column}: the values sum to more than the largest float64 (about 1.8e308), "
            "so their shares of the total cannot be computed; rescale them (e.g. to thousands)",
            what,
        )


def check_summary_sums(codes: Any, summary: Any) -> None:
    """customer_summary: refuses amounts whose per-customer total or spread per period
    overflows float64 (finite amounts, but the result would hold inf or NaN), naming the
    column."""
    with np.errstate(over="ignore", invalid="ignore"):
        bad = ~(
            np.isfinite(summary.monetary)
            & np.isfinite(summary.mean_order_value)
            & np.isfinite(summary.demand_mean)
            & np.isfinite(summary.demand_sd)
        )
    if bad.any():
        first = codes.customers[int(summary.customer[np.argmax(bad)])]
        raise InvalidInputError(
            f"column {codes.columns['amount']}: the amounts of {int(bad.sum())} customer(s) "
            f"(first: {first!r}) sum to more than the largest float64 (about 1.8e308), or their "
            "spread per period does; rescale the column (e.g. to thousands)",
            "amount",
        )


def summary_frame(codes: Any, s: Any, mode: str) -> pd.DataFrame:
    """The columns of :func:`segmint.customer_summary` from the Rust summary `s` of the lines
    coded by `codes` (a ``_frame.onedim.TransactionCodes``: customer ids, date unit and zone),
    indexed by customer id, after the overflow check."""
    check_summary_sums(codes, s)
    index = codes.customers.take(s.customer)
    frequency = s.frequency.astype(np.int64)
    demand_mean, demand_sd = s.demand_mean, s.demand_sd
    with np.errstate(divide="ignore", invalid="ignore"):
        demand_cv = np.where(demand_mean > 0, demand_sd / demand_mean, np.nan)
    columns: dict[str, Any] = {
        "first_purchase": codes.to_datetime(s.first),
        "last_purchase": codes.to_datetime(s.last),
        "recency_days": s.recency_days,
        "frequency": frequency,
        "monetary": s.monetary,
        "mean_order_value": s.mean_order_value,
        "tenure_days": s.tenure_days,
        "mean_interpurchase_days": s.mean_interpurchase_days,
        "active_periods": s.active_periods.astype(np.int64),
        "periods_observed": s.periods_observed,
        "demand_mean": demand_mean,
        "demand_sd": demand_sd,
        "demand_cv": demand_cv,
        "lines": s.lines.astype(np.int64),
    }
    if mode == "count":
        columns["cancellations"] = s.cancellations.astype(np.int64)
    return pd.DataFrame(columns, index=index)


def in_memory(x: Any) -> Any:
    """A Dask collection (a customer table, small) computed to pandas; anything else as is."""
    from ._frame.table import is_dask

    return x.compute() if is_dask(x) else x


def check_cuts(cuts: Sequence[float], what: str, upper: float | None = 1.0) -> tuple[float, float]:
    try:
        a, b = (float(c) for c in cuts)
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"{what}: expected two numbers, got {cuts!r}", what) from e
    if not (0 < a < b) or (upper is not None and b > upper):
        bound = f" <= {upper}" if upper is not None else ""
        raise InvalidInputError(f"{what}: need 0 < first < second{bound}, got {cuts!r}", what)
    return a, b


def _group_starts(sorted_values: np.ndarray) -> np.ndarray:
    """For each position of a sorted array, the first position of its run of equal values."""
    n = len(sorted_values)
    new = np.empty(n, dtype=bool)
    if n:
        new[0] = True
        np.not_equal(sorted_values[1:], sorted_values[:-1], out=new[1:])
    return np.maximum.accumulate(np.where(new, np.arange(n), 0)) if n else np.zeros(0, np.int64)


def count_below(values: np.ndarray) -> np.ndarray:
    """For each value, the number of strictly smaller values (ties counted once, as
    pandas' ``rank(method="min") - 1``). The order of tied values in the sort does not matter
    (they all get the start of their run), so the sort need not be stable (several times
    faster)."""
    order = np.argsort(values)
    out = np.empty(len(values), dtype=np.int64)
    out[order] = _group_starts(values[order])
    return out


def share_above(values: np.ndarray) -> np.ndarray:
    """For each value, the share of the total held by strictly larger values (the sorted
    values are the same whatever the order of ties, so is their running sum)."""
    order = np.argsort(-values)
    v = values[order]
    cum = np.concatenate([[0.0], np.cumsum(v)])
    out = np.empty_like(values)
    out[order] = cum[_group_starts(-v)] / cum[-1]
    return out


def count_above(values: np.ndarray) -> np.ndarray:
    """For each value, the number of strictly larger values."""
    return count_below(-values)


def labelled(codes: np.ndarray, names: Sequence[str], index: pd.Index) -> pd.Series:
    cat = pd.Categorical.from_codes(codes, categories=list(names), ordered=True)
    return pd.Series(cat, index=index)


def class_table(labels: pd.Series, values: pd.Series | None) -> pd.DataFrame:
    counts = labels.value_counts(sort=False).reindex(labels.cat.categories, fill_value=0)
    table = pd.DataFrame({"count": counts.astype(np.int64)})
    table["customer_share"] = table["count"] / max(len(labels), 1)
    if values is not None:
        sums = values.groupby(labels, observed=False).sum().reindex(table.index, fill_value=0)
        table["value"] = sums
        total = values.sum()
        table["value_share"] = sums / total if total != 0 else np.nan
    table.index.name = "class"
    return table


class OneDimDisplay(Display):
    """A drawn chart of the one-dimensional segmentations (``figure_`` and ``ax_``),
    scikit-learn style; the result objects' ``plot`` methods draw it.

    Parameters
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import segmint as sg
    >>> lines = sg.datasets.load_online_retail_sample()
    >>> summary = sg.customer_summary(lines, customer="CustomerID", date="InvoiceDate",
    ...                               quantity="Quantity", price="UnitPrice")
    >>> shown = sg.abc(summary["monetary"]).plot()
    >>> shown.ax_.get_title()
    'ABC analysis (Pareto curve)'
    """

    def __init__(self, figure_: Any, ax_: Any) -> None:
        self.figure_ = figure_
        self.ax_ = ax_


def axes(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    """The figure and axes to draw on (see :func:`segmint.plot.new_axes`)."""
    return new_axes(ax, size)
