"""One-dimensional segmentation from transaction logs: the customer summary, ABC and XYZ
analysis, RFM scores and segments, purchase-frequency and usage classes.

Every function takes a pandas object and returns pandas objects on the customer index, so the
labels feed :func:`segmint.profile`, :class:`segmint.CHAID` and :func:`segmint.migration`
directly.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _core, _validation
from ._frame.onedim import transaction_codes
from ._frame.table import is_dask
from ._onedim_base import (
    OneDimDisplay,
    axes,
    check_cuts,
    check_total,
    class_table,
    count_above,
    in_memory,
    labelled,
    share_above,
    summary_frame,
    values_series,
)
from ._onedim_rfm import RFM_SEGMENTS, RFMResult, rfm
from .errors import InvalidInputError, InvalidTypeError

__all__ = [
    "RFM_SEGMENTS",
    "ABCResult",
    "ABCXYZResult",
    "ClassResult",
    "OneDimDisplay",
    "RFMResult",
    "abc",
    "abc_xyz",
    "customer_summary",
    "frequency_classes",
    "rfm",
    "usage_classes",
    "xyz",
]

PERIODS = ("D", "W", "M", "Q", "Y")


def customer_summary(
    transactions: Any,
    *,
    customer: Any,
    date: Any,
    amount: Any = None,
    quantity: Any = None,
    price: Any = None,
    invoice: Any = None,
    reference_date: Any = None,
    period: str = "M",
    cancellations: str | Callable[[Any], bool] = "drop",
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """One row per customer from invoice lines: recency, frequency, monetary value and more.

    The group-by runs in Rust in one parallel pass over integer customer codes; the result does
    not depend on the number of threads.

    A Dask DataFrame runs on the current ``dask.distributed`` client: each customer's lines are
    routed to one bucket in log order and reduced there, so the result equals the in-memory
    summary of the same lines to the last bit whatever the partitioning (customers and invoices
    may span partitions); only the customer table comes back, as a pandas DataFrame (see
    :mod:`segmint.distributed`).

    Parameters
    ----------
    transactions : DataFrame
        One row per invoice line (pandas, polars / pyarrow through narwhals, or Dask).
    customer, date : column names
        The customer id and the date of the line (datetimes, time-zone aware or not, or ISO
        strings). Lines without a customer id are dropped and counted in
        ``attrs["dropped"]``.
    amount : column name, optional
        The value of the line. Or give ``quantity`` and ``price``: the value is their product.
    quantity, price : column names, optional
        Quantity and unit price of the line, when ``amount`` is not given.
    invoice : column name, optional
        Invoice numbers: ``frequency`` counts distinct invoices. Without it, every line counts.
    reference_date : date-like, optional
        Recency is measured to this date; default the day after the last purchase (midnight).
        The window of periods ends with the day before it.
    period : {"D", "W", "M", "Q", "Y"}, default "M"
        Periods for the demand columns (weeks start on Monday).
    cancellations : {"drop", "net", "count"} or callable, default "drop"
        Cancellations are lines with a negative value or, with a callable, lines whose invoice
        number it maps to True (those are dropped). ``"drop"`` leaves them out, ``"net"``
        subtracts them from ``monetary`` and the demand of their period, ``"count"`` leaves them
        out and adds a ``cancellations`` column (distinct cancellation invoices). Dates,
        frequency and active periods count purchases only; customers with cancellations only are
        left out and counted in ``attrs["cancelled_only"]``.
    n_jobs : int, optional
        Threads (None: all cores).

    Returns
    -------
    DataFrame indexed by customer id (sorted) with columns ``first_purchase``,
    ``last_purchase``, ``recency_days`` (to the reference date, fractional days),
    ``frequency``, ``monetary``, ``mean_order_value`` (monetary / frequency), ``tenure_days``
    (last - first purchase), ``mean_interpurchase_days`` (tenure / (frequency - 1), NaN for a
    single purchase), ``active_periods`` (periods with a purchase), ``periods_observed``
    (periods from the first purchase to the end of the window), ``demand_mean``, ``demand_sd``
    and ``demand_cv`` (value per period over the whole window of the data, empty periods counted
    as zero, population standard deviation), ``lines``, and ``cancellations`` with
    ``cancellations="count"``. ``attrs`` holds ``dropped``, ``cancelled_only``,
    ``reference_date``, ``period`` and ``n_periods`` (the window's length).

    Raises
    ------
    InvalidInputError
        An empty frame, a missing column, missing values in a used column (naming the column).
    InvalidTypeError
        A non-numeric amount or a date column that holds no dates.

    See Also
    --------
    rfm, abc, xyz, frequency_classes, usage_classes

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> lines = pd.DataFrame({
    ...     "customer": ["a", "a", "b", "a", "b"],
    ...     "invoice": [1, 1, 2, 3, 4],
    ...     "date": ["2024-01-05", "2024-01-05", "2024-02-01", "2024-03-01", "2024-03-09"],
    ...     "amount": [10.0, 5.0, 8.0, 20.0, -8.0],
    ... })
    >>> s = sg.customer_summary(lines, customer="customer", date="date", amount="amount",
    ...                         invoice="invoice")
    >>> cols = ["frequency", "monetary", "recency_days", "active_periods"]
    >>> s[cols]  # doctest: +NORMALIZE_WHITESPACE
              frequency  monetary  recency_days  active_periods
    customer
    a                 2      35.0           1.0               2
    b                 1       8.0          30.0               1
    """
    if not callable(cancellations) and cancellations not in ("drop", "net", "count"):
        raise InvalidInputError(
            f"cancellations: must be 'drop', 'net', 'count' or a callable, got {cancellations!r}",
            "cancellations",
        )
    if period not in PERIODS:
        raise InvalidInputError(
            f"period: must be one of {', '.join(PERIODS)}, got {period!r}", "period"
        )
    if is_dask(transactions):
        from .distributed import _onedim

        return _onedim.customer_summary(
            transactions,
            customer=customer,
            date=date,
            amount=amount,
            quantity=quantity,
            price=price,
            invoice=invoice,
            reference_date=reference_date,
            period=period,
            cancellations=cancellations,
            n_jobs=n_jobs,
        )
    codes = transaction_codes(
        transactions,
        customer=customer,
        date=date,
        amount=amount,
        quantity=quantity,
        price=price,
        invoice=invoice,
        cancellations=cancellations,
        n_threads=_validation.n_threads(n_jobs),
    )
    reference = (
        None if reference_date is None else codes.to_ticks(reference_date, "reference_date")
    )
    mode = "drop" if callable(cancellations) else cancellations
    try:
        s = _core.customer_summary(
            codes.customer,
            **codes.lines(),
            reference=reference,
            period=period,
            cancellations=mode,
            n_threads=_validation.n_threads(n_jobs),
        )
    except InvalidInputError as e:
        raise codes.column_error(e) from None
    out = summary_frame(codes, s, mode)
    window = s.window
    out.attrs.update(
        dropped=int(s.dropped),
        cancelled_only=int(s.cancelled_only),
        reference_date=codes.to_datetime(np.array([s.reference]))[0],
        period=period,
        n_periods=int(window[1] - window[0] + 1),
    )
    return out


# --- ABC --------------------------------------------------------------------------------------


@dataclass
class ABCResult:
    """The result of :func:`abc`.

    Attributes
    ----------
    labels_ : Series of ordered categoricals A < B < C... (A = most important), indexed like the
        values
    thresholds_ : DataFrame indexed by class: ``cut`` (the cumulative value share the class
        ends at) and ``min_value`` (the smallest value in the class)
    summary_ : DataFrame indexed by class: count, customer_share, value, value_share
    gini_ : float, the Gini coefficient of the values
    lorenz_ : DataFrame, the Pareto (ABC) curve: ``customer_share`` of the largest customers and
        the ``value_share`` they hold, from (0, 0) to (1, 1)
    cuts_ : tuple, the cumulative value shares used (computed with ``method="computed"``)
    points_ : DataFrame or None, with ``method="computed"``: the Pareto, break-even and
        submarginal points (customer_share, value_share) of the curve

    See Also
    --------
    abc : builds it.
    abc_xyz : ABC crossed with XYZ.

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> revenue = pd.Series([500.0, 300, 90, 50, 30, 20, 10], index=list("abcdefg"))
    >>> result = sg.abc(revenue)
    >>> result.labels_.tolist()
    ['A', 'A', 'B', 'B', 'B', 'C', 'C']
    >>> result.summary_.round(3)  # doctest: +NORMALIZE_WHITESPACE
           count  customer_share  value  value_share
    class
    A          2           0.286  800.0         0.80
    B          3           0.429  170.0         0.17
    C          2           0.286   30.0         0.03
    >>> round(result.gini_, 3)
    0.597
    """

    labels_: pd.Series
    thresholds_: pd.DataFrame
    summary_: pd.DataFrame
    gini_: float
    lorenz_: pd.DataFrame
    cuts_: tuple[float, float]
    points_: pd.DataFrame | None = None

    def __repr__(self) -> str:
        from ._views import short_repr

        head = f"{len(self.labels_):,} customers, {len(self.summary_)} classes"
        head += f", Gini {self.gini_:.3f}"
        return short_repr(self, head, self.summary_)

    def plot(self, ax: Any = None) -> OneDimDisplay:
        """The Pareto curve with the class boundaries (needs matplotlib); returns a
        :class:`OneDimDisplay`.

        Parameters
        ----------
        ax : matplotlib Axes, default None
            Axes to draw into; None makes a new figure.

        Returns
        -------
        OneDimDisplay
            The figure and axes drawn into (``figure_``, ``ax_``).

        Examples
        --------
        >>> import pandas as pd, matplotlib.pyplot as plt, segmint as sg
        >>> revenue = pd.Series([500.0, 300, 90, 50, 30, 20, 10], index=list("abcdefg"))
        >>> display = sg.abc(revenue).plot()
        >>> display.ax_.get_xlabel()
        'customers, largest first (%)'
        >>> plt.close("all")
        """
        fig, ax = axes(ax, (5.5, 4.5))
        x, y = self.lorenz_["customer_share"], self.lorenz_["value_share"]
        ax.plot(100 * x, 100 * y, color="C0", lw=2, label=f"customers (Gini {self.gini_:.3f})")
        ax.plot([0, 100], [0, 100], color="grey", lw=0.8, ls="--", label="equal values")
        shares = self.summary_["customer_share"].cumsum()
        for cls, xs in shares.iloc[:-1].items():
            ys = float(np.interp(xs, x, y))
            ax.plot([100 * xs, 100 * xs, 0], [0, 100 * ys, 100 * ys], color="C3", lw=0.8)
            ax.annotate(
                f"{cls}: {100 * xs:.1f} % of customers, {100 * ys:.1f} % of value",
                (100 * xs, 100 * ys),
                textcoords="offset points",
                xytext=(6, -12),
                fontsize=8,
            )
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 101)
        ax.set_xlabel("customers, largest first (%)")
        ax.set_ylabel("cumulative share of value (%)")
        ax.set_title("ABC analysis (Pareto curve)")
        ax.legend(loc="lower right", fontsize=8)
        return OneDimDisplay(fig, ax)


def _gini(values: np.ndarray) -> float:
    v = np.sort(values)
    n = len(v)
    if n == 0 or v[-1] <= 0:
        return 0.0
    v = v / v[-1]  # scale-free: the rank-weighted sum of values near 1.8e308 cannot overflow
    total = v.sum()
    return float(2.0 * np.sum(np.arange(1, n + 1) * v) / (n * total) - (n + 1) / n)


def computed_abc_points(values: np.ndarray) -> dict[str, tuple[int, float, float]]:
    """The Pareto, break-even and submarginal points of Ultsch & Lötsch's computed ABC
    analysis on the empirical ABC curve: name -> (rank k, customer share k/n, value share)."""
    v = np.sort(values)[::-1]
    n = len(v)
    total = v.sum()
    x = np.arange(0, n + 1) / n
    y = np.concatenate([[0.0], np.cumsum(v) / total])
    # Pareto point: the point of the curve closest to the ideal (0, 1); first one on ties.
    pareto = int(np.argmin(x**2 + (1 - y) ** 2))
    # Break-even point: where the slope of the curve is 1, the slope taken from the natural
    # cubic spline through the curve's points (first point on ties).
    from scipy.interpolate import CubicSpline

    slope = CubicSpline(x, y, bc_type="natural")(x, 1)
    break_even = int(np.argmin(np.abs(slope - 1)))
    # Submarginal point: closest to (x_B, 1), x_B the larger effort of the two points above.
    xb = x[max(pareto, break_even)]
    submarginal = int(np.argmin((x - xb) ** 2 + (1 - y) ** 2))
    return {
        name: (k, float(x[k]), float(y[k]))
        for name, k in (
            ("pareto", pareto),
            ("break_even", break_even),
            ("submarginal", submarginal),
        )
    }


def abc(
    values: Any,
    cuts: Sequence[float] = (0.8, 0.95),
    *,
    method: str = "cumulative",
    value: str = "monetary",
) -> ABCResult:
    """ABC analysis: classes of customers by their share of the total value.

    Convention: customers are ranked by value, largest first. A customer is in A when the share
    of the total held by the customers ranked above it is below the first cut (so the customer
    that crosses the cut is in A), in B when it is below the second cut, in C otherwise.
    Customers with equal values always get the same class (that of the first of them): the
    share "above" counts only strictly larger values, so the result never depends on row order.

    Parameters
    ----------
    values : Series, or a summary DataFrame (its ``value`` column)
        One non-negative value per customer (revenue, margin, volume).
    cuts : (float, float), default (0.8, 0.95)
        Cumulative value shares where A and B end (ignored with ``method="computed"``).
    method : {"cumulative", "computed"}, default "cumulative"
        ``"computed"``: the cuts come from the shape of the curve (Ultsch & Lötsch 2015, the R
        package ABCanalysis): A ends at the smaller-effort of the Pareto point (closest to
        (0, 1)) and the break-even point (slope 1); B ends at the submarginal point (closest to
        (x, 1), x the larger effort of those two). The points are computed on the empirical
        curve, the slope from the natural cubic spline through its points (R's ABCanalysis
        interpolates a spline on a grid of 0.001 first, so its points
        may differ by a few customers; the points here are those of the Julia package
        CalculatedABC.jl); they are returned in ``points_``.
    value : str, default "monetary"
        The column used when ``values`` is a summary frame.

    Returns
    -------
    ABCResult

    Raises
    ------
    InvalidInputError
        Negative, missing or all-zero values; bad cuts or method.

    Warns
    -----
    UserWarning
        When every value is equal (one class).

    See Also
    --------
    xyz, abc_xyz, usage_classes

    References
    ----------
    Ultsch, A. & Lötsch, J. (2015). Computed ABC analysis for rational selection of most
    informative variables in multivariate data. PLoS ONE 10(6): e0129767.

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> revenue = pd.Series([500.0, 300, 100, 50, 30, 20], index=list("uvwxyz"))
    >>> r = sg.abc(revenue)
    >>> r.labels_.astype(str).tolist()
    ['A', 'A', 'B', 'B', 'C', 'C']
    >>> round(r.gini_, 3)
    0.543
    """
    values = in_memory(values)
    if method not in ("cumulative", "computed"):
        raise InvalidInputError(
            f"method: must be 'cumulative' or 'computed', got {method!r}", "method"
        )
    s = values_series(values, "values", value)
    v = s.to_numpy()
    if (v < 0).any():
        raise InvalidInputError(
            f"values: {int((v < 0).sum())} negative values; ABC analysis needs non-negative "
            "values (use cancellations='drop', or clip)",
            "values",
        )
    check_total(v, "values", s.name)
    if v.sum() <= 0:
        raise InvalidInputError("values: every value is zero", "values")
    points = None
    if method == "computed":
        pts = computed_abc_points(v)
        k_ab = min(pts["pareto"][0], pts["break_even"][0])
        k_bc = pts["submarginal"][0]
        ys = np.concatenate([[0.0], np.cumsum(np.sort(v)[::-1]) / v.sum()])
        c1 = float(ys[k_ab])
        c2 = float(max(ys[k_bc], np.nextafter(c1, 2.0)))
        points = pd.DataFrame(
            {
                "rank": [p[0] for p in pts.values()],
                "customer_share": [p[1] for p in pts.values()],
                "value_share": [p[2] for p in pts.values()],
            },
            index=pd.Index(list(pts), name="point"),
        )
        cut_pair = (c1, c2)
    else:
        cut_pair = check_cuts(cuts, "cuts")
    above = share_above(v)
    codes = np.where(above < cut_pair[0], 0, np.where(above < cut_pair[1], 1, 2))
    if np.all(v == v[0]):
        warnings.warn(
            "abc: every value is equal; all customers are in one class",
            UserWarning,
            stacklevel=2,
        )
    labels = labelled(codes, ["A", "B", "C"], s.index)
    summary = class_table(labels, s)
    mins = s.groupby(labels, observed=False).min().reindex(summary.index)
    thresholds = pd.DataFrame(
        {"cut": [cut_pair[0], cut_pair[1], 1.0], "min_value": mins.to_numpy()},
        index=summary.index,
    )
    sorted_v = np.sort(v)[::-1]
    n = len(v)
    lorenz = pd.DataFrame(
        {
            "customer_share": np.arange(0, n + 1) / n,
            "value_share": np.concatenate([[0.0], np.cumsum(sorted_v) / sorted_v.sum()]),
        }
    )
    return ABCResult(
        labels_=labels,
        thresholds_=thresholds,
        summary_=summary,
        gini_=_gini(v),
        lorenz_=lorenz,
        cuts_=cut_pair,
        points_=points,
    )


# --- classes by rank (usage), frequency, XYZ ---------------------------------------------------


@dataclass
class ClassResult:
    """Classes of customers (:func:`xyz`, :func:`frequency_classes`, :func:`usage_classes`).

    Attributes
    ----------
    labels_ : Series of ordered categoricals on the customer index
    thresholds_ : Series or DataFrame, the boundaries used
    summary_ : DataFrame indexed by class: count and customer_share (value and value_share
        where a value is classified)
    score_ : Series or None, the number classified (the coefficient of variation for XYZ, the
        share of active periods for frequency classes)

    See Also
    --------
    xyz, frequency_classes, usage_classes : build it.

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> s = pd.DataFrame({"demand_mean": [10.0, 5, 1], "demand_sd": [2.0, 8, 1]},
    ...                  index=list("abc"))
    >>> result = sg.xyz(s)
    >>> result.labels_.tolist()
    ['X', 'Z', 'Y']
    >>> result.score_.round(2).tolist()
    [0.2, 1.6, 1.0]
    """

    labels_: pd.Series
    thresholds_: Any
    summary_: pd.DataFrame
    score_: pd.Series | None = None

    def __repr__(self) -> str:
        from ._views import short_repr

        head = f"{len(self.labels_):,} customers in {len(self.summary_)} classes"
        return short_repr(self, head, self.summary_)


def usage_classes(
    summary: Any, *, by: str = "monetary", shares: Sequence[float] = (0.2, 0.3, 0.5)
) -> ClassResult:
    """Heavy, medium and light users by rank of customers.

    Customers with a positive value are ranked, largest first. A customer is heavy when the
    share of users ranked strictly above it is below ``shares[0]``, medium when below
    ``shares[0] + shares[1]``, light otherwise: ties share a class. Customers with a zero (or
    negative) value are "non-user".

    Parameters
    ----------
    summary : DataFrame (a :func:`customer_summary`) or Series
        One row per customer.
    by : str, default "monetary"
        The column ranked.
    shares : three floats summing to 1, default (0.2, 0.3, 0.5)
        Shares of the customers (with a positive value) that are heavy, medium and light users.

    Returns
    -------
    ClassResult with labels heavy < medium < light < non-user; ``thresholds_`` gives the
    smallest value of each class.

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> spend = pd.Series([90.0, 50, 50, 20, 10, 8, 5, 3, 1, 0])
    >>> sg.usage_classes(spend).labels_.astype(str).tolist()[:5]
    ['heavy', 'heavy', 'heavy', 'medium', 'medium']
    """
    s = values_series(in_memory(summary), "summary", by)
    try:
        parts = [float(x) for x in shares]
    except (TypeError, ValueError) as e:
        raise InvalidInputError(f"shares: expected three numbers, got {shares!r}", "shares") from e
    if len(parts) != 3 or min(parts) <= 0 or abs(sum(parts) - 1) > 1e-9:
        raise InvalidInputError(
            f"shares: need three positive shares summing to 1, got {shares!r}", "shares"
        )
    v = s.to_numpy()
    users = v > 0
    codes = np.full(len(v), 3)
    if users.any():
        above = count_above(v[users]) / users.sum()
        codes[users] = np.where(above < parts[0], 0, np.where(above < parts[0] + parts[1], 1, 2))
    labels = labelled(codes, ["heavy", "medium", "light", "non-user"], s.index)
    table = class_table(labels, s)
    thresholds = s.groupby(labels, observed=False).min().rename("min_value")
    return ClassResult(labels, thresholds, table, s)


def frequency_classes(summary: pd.DataFrame, *, regular_share: float = 0.5) -> ClassResult:
    """Regular, occasional and one-time customers.

    One-time: a single purchase (``frequency == 1``). Regular: at least two purchases and
    purchases in at least ``regular_share`` of the periods from the first purchase to the
    reference date (``active_periods / periods_observed``). Occasional: the rest.

    Parameters
    ----------
    summary : DataFrame from :func:`customer_summary`
        Needs ``frequency``, ``active_periods`` and ``periods_observed``.
    regular_share : float in (0, 1], default 0.5
        Smallest share of active periods of a regular customer.

    Returns
    -------
    ClassResult with labels regular < occasional < one-time, ``score_`` the share of active
    periods and ``thresholds_`` the rule's numbers.

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> s = pd.DataFrame({"frequency": [1, 6, 3], "active_periods": [1, 6, 2],
    ...                   "periods_observed": [4, 8, 10]})
    >>> sg.frequency_classes(s).labels_.astype(str).tolist()
    ['one-time', 'regular', 'occasional']
    """
    summary = in_memory(summary)
    if not isinstance(summary, pd.DataFrame):
        raise InvalidTypeError("summary: expected the frame of customer_summary()", "summary")
    for col in ("frequency", "active_periods", "periods_observed"):
        if col not in summary.columns:
            raise InvalidInputError(f"summary: no {col!r} column (use customer_summary)", col)
    share = _validation.check_positive(regular_share, "regular_share")
    if share > 1:
        raise InvalidInputError(
            f"regular_share: must be at most 1, got {regular_share!r}", "regular_share"
        )
    freq = summary["frequency"].to_numpy(dtype=np.float64)
    active = summary["active_periods"].to_numpy(dtype=np.float64)
    observed = summary["periods_observed"].to_numpy(dtype=np.float64)
    ratio = active / np.maximum(observed, 1)
    codes = np.where(freq <= 1, 2, np.where(ratio >= share, 0, 1))
    labels = labelled(codes, ["regular", "occasional", "one-time"], summary.index)
    thresholds = pd.Series({"regular_share": share, "min_frequency_regular": 2})
    return ClassResult(
        labels, thresholds, class_table(labels, None), pd.Series(ratio, index=summary.index)
    )


def xyz(summary_or_demand: pd.DataFrame, cuts: Sequence[float] = (0.5, 1.0)) -> ClassResult:
    """XYZ analysis: classes by the coefficient of variation of demand per period.

    X: CV below ``cuts[0]`` (steady), Y: up to ``cuts[1]``, Z: above ``cuts[1]`` or no demand.
    The CV is the population standard deviation over the mean of the demand in every period of
    the window, periods without purchases counting as zero.

    Parameters
    ----------
    summary_or_demand : DataFrame
        A :func:`customer_summary` (its ``demand_mean`` and ``demand_sd``), or a wide frame of
        demand with one row per customer and one column per period.
    cuts : (float, float), default (0.5, 1.0)
        Coefficients of variation where X and Y end.

    Returns
    -------
    ClassResult with labels X < Y < Z and ``score_`` the coefficient of variation.

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> demand = pd.DataFrame([[10, 10, 12, 9], [0, 30, 0, 5], [4, 8, 0, 6]], index=list("abc"))
    >>> sg.xyz(demand).labels_.astype(str).tolist()
    ['X', 'Z', 'Y']
    """
    summary_or_demand = in_memory(summary_or_demand)
    if not isinstance(summary_or_demand, pd.DataFrame):
        raise InvalidTypeError(
            "summary_or_demand: expected a customer summary or a frame of demand per period",
            "summary_or_demand",
        )
    c1, c2 = check_cuts(cuts, "cuts", upper=None)
    df = summary_or_demand
    if {"demand_mean", "demand_sd"} <= set(df.columns):
        mean = df["demand_mean"].to_numpy(dtype=np.float64)
        sd = df["demand_sd"].to_numpy(dtype=np.float64)
    else:
        if not all(pd.api.types.is_numeric_dtype(t) for t in df.dtypes):
            raise InvalidTypeError(
                "summary_or_demand: a demand frame must hold numbers only", "summary_or_demand"
            )
        d = df.to_numpy(dtype=np.float64, na_value=0.0)
        mean = d.mean(axis=1)
        sd = d.std(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(mean > 0, sd / mean, np.inf)
    codes = np.where(cv < c1, 0, np.where(cv <= c2, 1, 2))
    labels = labelled(codes, ["X", "Y", "Z"], df.index)
    thresholds = pd.Series({"X": c1, "Y": c2})
    score = pd.Series(np.where(np.isinf(cv), np.nan, cv), index=df.index, name="cv")
    return ClassResult(labels, thresholds, class_table(labels, None), score)


@dataclass
class ABCXYZResult:
    """The 3 x 3 ABC-XYZ matrix (:func:`abc_xyz`).

    Attributes
    ----------
    labels_ : Series of cells ("AX" ... "CZ") on the customer index
    counts_ : DataFrame, customers per cell (rows A, B, C; columns X, Y, Z)
    value_shares_ : DataFrame, share of the total value per cell
    abc_, xyz_ : the two classifications

    See Also
    --------
    abc_xyz : builds it.

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> s = pd.DataFrame({"monetary": [100.0, 50, 10], "demand_mean": [10.0, 5, 1],
    ...                   "demand_sd": [2.0, 8, 1]}, index=list("abc"))
    >>> sg.abc_xyz(s).counts_  # doctest: +NORMALIZE_WHITESPACE
    XYZ  X  Y  Z
    ABC
    A    1  0  1
    B    0  1  0
    C    0  0  0
    """

    labels_: pd.Series
    counts_: pd.DataFrame
    value_shares_: pd.DataFrame
    abc_: ABCResult
    xyz_: ClassResult

    def __repr__(self) -> str:
        from ._views import short_repr

        return short_repr(self, f"{len(self.labels_):,} customers; counts:", self.counts_)

    def plot(self, ax: Any = None) -> OneDimDisplay:
        """A heatmap of the value shares with the counts (needs matplotlib).

        Parameters
        ----------
        ax : matplotlib Axes, default None
            Axes to draw into; None makes a new figure.

        Returns
        -------
        OneDimDisplay
            The figure and axes drawn into (``figure_``, ``ax_``).

        Examples
        --------
        >>> import pandas as pd, matplotlib.pyplot as plt, segmint as sg
        >>> s = pd.DataFrame({"monetary": [100.0, 50, 10], "demand_mean": [10.0, 5, 1],
        ...                   "demand_sd": [2.0, 8, 1]}, index=list("abc"))
        >>> display = sg.abc_xyz(s).plot()
        >>> display.ax_.get_title()
        'ABC-XYZ: value share and customers'
        >>> plt.close("all")
        """
        fig, ax = axes(ax, (4.5, 4))
        data = self.value_shares_.to_numpy(dtype=float)
        ax.imshow(data, cmap="Blues", vmin=0, vmax=max(float(data.max()), 1e-12))
        ax.set_xticks(range(3), list(self.value_shares_.columns))
        ax.set_yticks(range(3), list(self.value_shares_.index))
        for (i, j), share in np.ndenumerate(data):
            n = int(self.counts_.iloc[i, j])
            ax.text(j, i, f"{100 * share:.1f} %\nn={n}", ha="center", va="center", fontsize=9)
        ax.set_title("ABC-XYZ: value share and customers")
        return OneDimDisplay(fig, ax)


def abc_xyz(
    summary: pd.DataFrame,
    *,
    value: str = "monetary",
    abc_cuts: Sequence[float] = (0.8, 0.95),
    xyz_cuts: Sequence[float] = (0.5, 1.0),
) -> ABCXYZResult:
    """The ABC-XYZ matrix: importance (ABC on ``value``) crossed with regularity (XYZ).

    Parameters
    ----------
    summary : DataFrame from :func:`customer_summary`
        Needs ``value``, ``demand_mean`` and ``demand_sd``.
    value : str, default "monetary"
        The column classified by ABC.
    abc_cuts, xyz_cuts : pair of float, defaults (0.8, 0.95) and (0.5, 1.0)
        The cuts of :func:`abc` and :func:`xyz`.

    Returns
    -------
    ABCXYZResult

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> s = pd.DataFrame({"monetary": [100.0, 50, 10], "demand_mean": [10.0, 5, 1],
    ...                   "demand_sd": [2.0, 8, 1]}, index=list("abc"))
    >>> sg.abc_xyz(s).labels_.tolist()
    ['AX', 'AZ', 'BY']
    """
    summary = in_memory(summary)
    a = abc(summary, abc_cuts, value=value)
    x = xyz(summary, xyz_cuts)
    cells = a.labels_.astype(str) + x.labels_.astype(str)
    names = [r + c for r in "ABC" for c in "XYZ"]
    labels = pd.Series(pd.Categorical(cells, categories=names, ordered=True), index=cells.index)
    counts = pd.crosstab(a.labels_, x.labels_, dropna=False).reindex(
        index=["A", "B", "C"], columns=["X", "Y", "Z"], fill_value=0
    )
    v = values_series(summary, "summary", value)
    sums = (
        v.groupby([a.labels_, x.labels_], observed=False)
        .sum()
        .unstack()
        .reindex(index=["A", "B", "C"], columns=["X", "Y", "Z"], fill_value=0.0)
    )
    shares = sums / v.sum()
    for t in (counts, shares):
        t.index.name, t.columns.name = "ABC", "XYZ"
    return ABCXYZResult(labels, counts, shares, a, x)
