"""RFM scores and named segments (re-exported by segmint.onedim)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _validation
from ._onedim_base import count_below, in_memory, labelled, values_series
from .errors import InvalidInputError, InvalidTypeError

#: The standard named RFM segments: score ranges (inclusive) of recency, frequency and
#: monetary on five bins, first matching row wins. The ten rows of R's ``rfm::rfm_segment``
#: defaults, plus "Hibernating" for the low cells that table leaves uncovered. Pass your own
#: frame with the same columns to :func:`rfm`.
RFM_SEGMENTS = pd.DataFrame(
    [
        ("Champions", 4, 5, 4, 5, 4, 5),
        ("Loyal customers", 2, 5, 3, 5, 3, 5),
        ("Potential loyalists", 3, 5, 1, 3, 1, 3),
        ("New customers", 4, 5, 1, 1, 1, 1),
        ("Promising", 3, 4, 1, 1, 1, 1),
        ("Need attention", 2, 3, 2, 3, 2, 3),
        ("About to sleep", 2, 3, 1, 2, 1, 2),
        ("At risk", 1, 2, 2, 5, 2, 5),
        ("Can't lose them", 1, 1, 4, 5, 4, 5),
        ("Lost", 1, 2, 1, 2, 1, 2),
        ("Hibernating", 1, 2, 1, 3, 1, 3),
    ],
    columns=["segment", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max"],
)


@dataclass
class RFMResult:
    """The result of :func:`rfm`.

    Attributes
    ----------
    scores_ : DataFrame of R, F, M scores (1 = worst .. bins = best) on the customer index
    cell_ : Series of strings such as "545"
    segment_ : Series of ordered categoricals (the rule table's segments, then "Other"), or
        None without a rule table
    thresholds_ : DataFrame indexed by score: the range of recency_days, frequency and monetary
        of the customers with that score (recency: the largest number of days)
    summary_ : DataFrame per segment (or per cell without segments): count, customer_share,
        mean recency_days, frequency and monetary
    segments_ : DataFrame, the rule table used

    See Also
    --------
    rfm : builds it.

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> s = pd.DataFrame({"recency_days": [3.0, 40, 200, 10, 90, 25, 60, 5, 150, 33],
    ...                   "frequency": [12, 3, 1, 8, 1, 2, 4, 6, 1, 2],
    ...                   "monetary": [900.0, 200, 40, 500, 60, 120, 220, 650, 15, 90]})
    >>> result = sg.rfm(s)
    >>> result.scores_.head(3)
       R  F  M
    0  5  5  5
    1  3  3  3
    2  1  1  1
    >>> result.thresholds_.round(1)  # doctest: +NORMALIZE_WHITESPACE
          recency_days        frequency       monetary
                   min    max       min   max      min    max
    score
    1            150.0  200.0       1.0   1.0     15.0   40.0
    2             60.0   90.0       2.0   2.0     60.0   90.0
    3             33.0   40.0       3.0   3.0    120.0  200.0
    4             10.0   25.0       4.0   6.0    220.0  500.0
    5              3.0    5.0       8.0  12.0    650.0  900.0
    """

    scores_: pd.DataFrame
    cell_: pd.Series
    segment_: pd.Series | None
    thresholds_: pd.DataFrame
    summary_: pd.DataFrame
    segments_: pd.DataFrame | None = field(default=None)

    def __repr__(self) -> str:
        from ._views import short_repr

        head = f"{len(self.scores_):,} customers, {len(self.summary_)} segments"
        return short_repr(self, head, self.summary_)


def rank_scores(values: np.ndarray, bins: int, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1 + floor(bins x (customers with a strictly worse value) / n)."""
    n = len(values)
    worse = count_below(values) if higher_is_better else count_below(-values)
    return (1 + (bins * worse) // n).astype(np.int64)


def rfm(
    summary: pd.DataFrame, *, bins: int = 5, segments: str | pd.DataFrame | None = "standard"
) -> RFMResult:
    """RFM scores and named segments.

    Each of recency (fewer days is better), frequency and monetary value gets the score
    ``1 + floor(bins * w / n)``, w the number of customers with a strictly worse value and n the
    number of customers: ties share a score and the result never depends on row order. When
    ties leave a score empty, a warning says so (never an exception).

    Parameters
    ----------
    summary : DataFrame from :func:`customer_summary` (``recency_days``, ``frequency``,
        ``monetary``)
    bins : int, default 5
        Number of scores per criterion.
    segments : "standard", a DataFrame or None
        The rule table: columns ``segment``, ``r_min``, ``r_max``, ``f_min``, ``f_max``,
        ``m_min``, ``m_max`` (inclusive score ranges, first matching row wins);
        ``"standard"`` is :data:`RFM_SEGMENTS` (five bins only). Customers no rule covers are
        "Other".

    Returns
    -------
    RFMResult

    Warns
    -----
    UserWarning
        A score no customer has (ties); customers left as "Other" by the rules.

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> s = pd.DataFrame({"recency_days": [3.0, 40, 200, 10, 90, 25, 60, 5, 150, 33],
    ...                   "frequency": [12, 3, 1, 8, 1, 2, 4, 6, 1, 2],
    ...                   "monetary": [900.0, 200, 40, 500, 60, 120, 220, 650, 15, 90]})
    >>> r = sg.rfm(s)
    >>> r.cell_.tolist()
    ['555', '333', '111', '454', '212', '423', '244', '545', '111', '322']
    >>> r.segment_.value_counts().head(3)
    Champions              3
    Loyal customers        2
    Potential loyalists    2
    Name: count, dtype: int64
    """
    summary = in_memory(summary)
    if not isinstance(summary, pd.DataFrame):
        raise InvalidTypeError("summary: expected the frame of customer_summary()", "summary")
    bins = _validation.check_int(bins, "bins", 2, 100)
    cols = {"R": "recency_days", "F": "frequency", "M": "monetary"}
    values = {k: values_series(summary, "summary", c).to_numpy() for k, c in cols.items()}
    scores = pd.DataFrame(
        {k: rank_scores(v, bins, higher_is_better=(k != "R")) for k, v in values.items()},
        index=summary.index,
    )
    rows = {}
    for k, c in cols.items():
        g = pd.Series(values[k]).groupby(scores[k].to_numpy())
        rng = g.agg(["min", "max"]).reindex(range(1, bins + 1))
        rows[(c, "min")] = rng["min"]
        rows[(c, "max")] = rng["max"]
        empty = [int(b) for b in rng.index[rng["min"].isna()]]
        if empty:
            warnings.warn(
                f"rfm: no customer has {k} score {', '.join(map(str, empty))} (ties in {c})",
                UserWarning,
                stacklevel=2,
            )
    thresholds = pd.DataFrame(rows)
    thresholds.index.name = "score"
    sep = "" if bins < 10 else "-"
    combo = ((scores["R"].to_numpy() - 1) * bins + scores["F"].to_numpy() - 1) * bins + (
        scores["M"].to_numpy() - 1
    )
    present, where = np.unique(combo, return_inverse=True)
    names = np.array(
        [
            sep.join(str(1 + x) for x in (c // (bins * bins), c // bins % bins, c % bins))
            for c in present
        ],
        dtype=object,
    )
    cell = pd.Series(names[where], index=summary.index, dtype=str)
    table = None
    segment = None
    if segments is not None:
        if isinstance(segments, str):
            if segments != "standard":
                raise InvalidInputError(
                    f"segments: must be 'standard', a DataFrame or None, got {segments!r}",
                    "segments",
                )
            if bins != 5:
                raise InvalidInputError(
                    "segments: the standard table is for bins=5; pass your own table or None",
                    "segments",
                )
            table = RFM_SEGMENTS
        elif isinstance(segments, pd.DataFrame):
            table = segments
        else:
            raise InvalidTypeError(
                "segments: expected 'standard', a DataFrame or None", "segments"
            )
        need = ["segment", "r_min", "r_max", "f_min", "f_max", "m_min", "m_max"]
        missing = [c for c in need if c not in table.columns]
        if missing:
            raise InvalidInputError(f"segments: missing columns {missing}", "segments")
        r, f, m = (scores[k].to_numpy() for k in "RFM")
        codes = np.full(len(scores), -1)
        for i, row in enumerate(table.itertuples(index=False)):
            hit = (
                (codes < 0)
                & (r >= row.r_min)
                & (r <= row.r_max)
                & (f >= row.f_min)
                & (f <= row.f_max)
                & (m >= row.m_min)
                & (m <= row.m_max)
            )
            codes[hit] = i
        segment_names = [str(x) for x in table["segment"]]
        if "Other" not in segment_names:
            segment_names.append("Other")
        other = segment_names.index("Other")
        n_other = int((codes < 0).sum())
        codes[codes < 0] = other
        segment = labelled(codes, segment_names, summary.index)
        if n_other:
            warnings.warn(
                f"rfm: {n_other} customers match no segment rule and are 'Other'",
                UserWarning,
                stacklevel=2,
            )
    groups = segment if segment is not None else cell
    frame = pd.DataFrame({c: values[k] for k, c in cols.items()}, index=summary.index)
    with np.errstate(over="ignore"):
        agg = frame.groupby(groups, observed=False).mean()
    if np.isinf(agg.to_numpy(dtype=np.float64)).any():
        # Sums of values near float64's maximum overflow although their means do not: the
        # means of the values divided by each column's largest magnitude, scaled back.
        scale = frame.abs().max().replace(0.0, 1.0)
        agg = (frame / scale).groupby(groups, observed=False).mean() * scale
    counts = groups.value_counts(sort=False).reindex(agg.index, fill_value=0)
    out_summary = pd.concat(
        [
            pd.DataFrame({"count": counts, "customer_share": counts / len(frame)}),
            agg.add_prefix("mean_"),
        ],
        axis=1,
    )
    out_summary.index.name = "segment" if segment is not None else "cell"
    return RFMResult(scores, cell, segment, thresholds, out_summary, table)
