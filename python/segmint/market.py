"""Market segmentation: which part of the market (prospects, former customers) fits the
segments found in the customer base, and how much is left to win in each segment."""

from __future__ import annotations

import html
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import _core, _frame, _validation
from .errors import InvalidInputError
from .plot import Display

#: Default quantile of the customers' own distances beyond which a prospect fits no segment.
DEFAULT_QUANTILE = 0.99
#: Default posterior probability below which a prospect fits no segment.
DEFAULT_MIN_POSTERIOR = 0.5


def _features(model: Any, X: Any, what: str) -> Any:
    """The columns the model was fitted on (when it knows them), else X as given."""
    if not isinstance(X, pd.DataFrame):
        if X is None:
            raise InvalidInputError(f"{what}: expected a DataFrame of the model's features", what)
        return X
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return X
    missing = [str(c) for c in names if c not in X.columns]
    if missing:
        raise InvalidInputError(
            f"{what}: column {missing[0]!r}, which the model was fitted on, is missing",
            missing[0],
        )
    return X[list(names)]


def _kprototypes_distances(model: Any, X: Any) -> np.ndarray:
    data = _frame.cluster_table(X, encoding=model._encoding, missing=model.missing)
    num = data.numeric
    d = ((num[:, None, :] - model._numeric[None, :, :]) ** 2).sum(axis=2)
    mismatch = (data.codes[:, None, :] != model._modes[None, :, :]).sum(axis=2)
    return d + model.gamma_ * mismatch


def _kmedoids_distances(model: Any, X: Any) -> np.ndarray:
    from .gower import gower_block

    if model.metric == "precomputed":
        return np.asarray(X, dtype=np.float64)[:, model.medoid_indices_]
    if model.metric == "euclidean":
        data = _frame.numeric(X)
        medoids = model._train.values[model.medoid_indices_]
        return np.asarray(
            _core.euclidean_matrix(
                data.values,
                np.ascontiguousarray(medoids),
                float32=False,
                n_threads=_validation.n_threads(model.n_jobs),
            )
        )
    g = _frame.gower_table(X, encoding=model._train.encoding)
    t = model._train
    rows = model.medoid_indices_
    m = _frame.GowerData(
        numeric=np.ascontiguousarray(t.numeric[rows]),
        codes=np.ascontiguousarray(t.codes[rows]),
        numeric_columns=t.numeric_columns,
        nominal_columns=t.nominal_columns,
        encoding=t.encoding,
        index=t.index[rows],
        is_frame=t.is_frame,
    )
    d = gower_block(g, m, model._ranges, model._weights, "float64", model.n_jobs)
    return np.where(np.isnan(d), np.inf, np.asarray(d))


def _centre_distances(model: Any, X: Any) -> tuple[np.ndarray, str] | None:
    """Distances of the rows to every segment centre, and the distance's name; None when the
    model has no centres."""
    from .cluster import KMedoids, KPrototypes

    if isinstance(model, KPrototypes):
        return _kprototypes_distances(model, X), "k-prototypes dissimilarity"
    if isinstance(model, KMedoids):
        return _kmedoids_distances(model, X), f"{model.metric} distance to the medoid"
    if hasattr(model, "cluster_centers_") and hasattr(model, "transform"):
        return np.asarray(model.transform(X), dtype=np.float64), "distance to the centre"
    return None


@dataclass
class _Scored:
    segment: pd.Series
    score: np.ndarray
    distances: bool


def _score(model: Any, X: Any, what: str) -> _Scored:
    X = _features(model, X, what)
    segment = model.predict(X)
    if not isinstance(segment, pd.Series):
        index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(segment))
        segment = pd.Series(np.asarray(segment), index=index)
    segment = segment.rename("segment")
    centres = _centre_distances(model, X)
    if centres is not None:
        d = centres[0]
        columns = list(range(d.shape[1]))
        position = pd.Index(columns).get_indexer(segment.to_numpy())
        score = np.full(len(segment), np.nan)
        ok = position >= 0
        score[ok] = d[np.flatnonzero(ok), position[ok]]
        return _Scored(segment, score, True)
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        classes = (
            list(proba.columns)
            if isinstance(proba, pd.DataFrame)
            else list(getattr(model, "classes_", range(np.shape(proba)[1])))
        )
        p = np.asarray(proba, dtype=np.float64)
        position = pd.Index(classes).get_indexer(segment.to_numpy())
        score = np.full(len(segment), np.nan)
        ok = position >= 0
        score[ok] = p[np.flatnonzero(ok), position[ok]]
        return _Scored(segment, score, False)
    return _Scored(segment, np.full(len(segment), np.nan), False)


def _rule(model: Any) -> str:
    centres = model.__class__.__name__ in ("KPrototypes", "KMedoids") or (
        hasattr(model, "cluster_centers_") and hasattr(model, "transform")
    )
    if centres:
        return "distance"
    if hasattr(model, "predict_proba"):
        return "posterior"
    return "none"


@dataclass
class MarketMap:
    """Customers, prospects and former customers per segment. Build it with :func:`market_map`.

    Attributes
    ----------
    segments : DataFrame indexed by segment
        ``customers``, ``prospects`` (that fit the segment), ``prospects_no_fit`` (nearest to
        the segment but fitting none), ``former`` (former customers assigned to it),
        ``penetration`` = customers / (customers + prospects), ``mean_value`` (mean value of
        the segment's customers) and ``potential`` = prospects × mean_value.
    prospects : DataFrame on the prospects' index
        ``segment`` (the model's prediction), ``fit_score`` and ``fits``.
    customers : DataFrame on the customers' index, ``segment`` and ``fit_score``
    former : DataFrame or None, as ``prospects`` for the former customers
    rule : str
        How ``fits`` was decided: "distance" (fit score = distance to the segment's centre; a
        row fits when it is at most the segment's ``threshold``), "posterior" (fit score = the
        model's probability of the segment; a row fits when it is at least ``threshold``) or
        "none" (the model gives no score; every row fits).
    threshold : Series (per segment, "distance") or float ("posterior") or None

    See Also
    --------
    market_map : builds it.
    MarketMapDisplay : its chart.

    Examples
    --------
    >>> import numpy as np, segmint as sg
    >>> df = sg.datasets.load_wholesale()
    >>> X = np.log(df[sg.datasets.SPEND_COLUMNS])
    >>> ours = df["Region"] != "Other"
    >>> km = sg.KMeans(3, random_state=0).fit(X[ours])
    >>> market = sg.market_map(km, X[ours], X[~ours])
    >>> counts = ["customers", "prospects", "prospects_no_fit"]
    >>> market.segments[counts]  # doctest: +NORMALIZE_WHITESPACE
             customers  prospects  prospects_no_fit
    segment
    0               32         81                 3
    1               42        108                 8
    2               50        110                 6
    >>> market.rule, int(market.prospects["fits"].sum())
    ('distance', 299)
    """

    segments: pd.DataFrame
    prospects: pd.DataFrame
    customers: pd.DataFrame
    former: pd.DataFrame | None
    rule: str
    threshold: Any

    def __repr__(self) -> str:
        from ._views import short_repr

        no_fit = int((~self.prospects["fits"]).sum())
        head = (
            f"{len(self.segments)} segments, {len(self.customers):,} customers, "
            f"{len(self.prospects):,} prospects ({no_fit:,} fit no segment; rule {self.rule})"
        )
        cols = [
            c for c in ("customers", "prospects", "penetration", "potential") if c in self.segments
        ]
        return short_repr(self, head, self.segments[cols])

    def plot(self, ax: Any = None, *, names: Any = None) -> MarketMapDisplay:
        """Potential against penetration, one bubble per segment (see :class:`MarketMapDisplay`).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw into; None makes a new figure.
        names : Series or dict, optional
            Segment names for the labels (e.g. ``SegmentProfile.names_``).

        Returns
        -------
        MarketMapDisplay
            The display, with ``figure_`` and ``ax_``.

        Examples
        --------
        >>> import numpy as np, segmint as sg
        >>> df = sg.datasets.load_wholesale()
        >>> X = np.log(df[sg.datasets.SPEND_COLUMNS])
        >>> ours = df["Region"] != "Other"
        >>> km = sg.KMeans(3, random_state=0).fit(X[ours])
        >>> market = sg.market_map(km, X[ours], X[~ours])
        >>> import matplotlib.pyplot as plt
        >>> display = market.plot(names={0: "A", 1: "B", 2: "C"})
        >>> display.ax_.get_ylabel()
        'prospects'
        >>> plt.close("all")
        """
        return MarketMapDisplay(self.segments, names=names).plot(ax=ax)

    def _repr_html_(self) -> str:
        no_fit = int((~self.prospects["fits"]).sum())
        return (
            "<div><h4>Market map</h4>"
            f"<p>{len(self.prospects)} prospects, {no_fit} fit no segment (rule: "
            f"{html.escape(self.rule)})</p>"
            + self.segments.to_html(float_format=lambda v: f"{v:,.3g}")
            + "</div>"
        )


class MarketMapDisplay(Display):
    """Segments by the size of their potential and their penetration (matplotlib).

    Parameters
    ----------
    segments : DataFrame
        :attr:`MarketMap.segments`.
    names : Series or dict, optional
        Segment names for the labels.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes

    Notes
    -----
    x: penetration (share of the segment's market that is already a customer); y: potential
    (prospects × mean customer value), or the number of fitting prospects when no value was
    given; bubble area: customers. Segments at the top left are large, little-penetrated
    markets.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd, segmint as sg
    >>> table = pd.DataFrame({"customers": [10, 30], "prospects": [40, 5],
    ...                       "penetration": [0.2, 0.86], "potential": [4e5, 2e4]})
    >>> display = sg.MarketMapDisplay(table, names={0: "Small", 1: "Large"}).plot()
    >>> display.ax_.get_xlabel()
    'penetration (customers / market), %'
    """

    _figsize = (6.4, 4.4)

    def __init__(self, segments: pd.DataFrame, *, names: Any = None) -> None:
        self.segments = segments
        self.names = names

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        seg = self.segments
        has_value = "potential" in seg and bool(np.isfinite(seg["potential"]).any())
        y = seg["potential"] if has_value else seg["prospects"]
        x = 100 * seg["penetration"]
        customers = seg["customers"].to_numpy(dtype=float)
        size = 60 + 1400 * customers / max(customers.max(), 1)
        ax.scatter(x, y, s=size, alpha=0.55, color="#3b6ea8", edgecolor="#1d3b5e", **kwargs)
        names = self.names if self.names is not None else {}
        for s, xi, yi in zip(seg.index, x, y, strict=True):
            label = str(names.get(s, s)) if hasattr(names, "get") else str(s)
            ax.annotate(label, (xi, yi), xytext=(6, 6), textcoords="offset points", fontsize=8)
        ax.set_xlabel("penetration (customers / market), %")
        ax.set_ylabel("potential (prospects × mean value)" if has_value else "prospects")
        ax.set_xlim(-5, 105)
        ax.set_ylim(bottom=0, top=max(float(np.nanmax(y)) * 1.2, 1.0))
        ax.yaxis.set_major_formatter(_readable)
        ax.set_title("Where to grow: potential vs penetration (bubble area: customers)")
        ax.grid(alpha=0.3)


def _readable(v: float, _pos: Any = None) -> str:
    """Axis numbers without an offset: 1.5M, 250k, 40."""
    if abs(v) >= 1e6:
        return f"{v / 1e6:g}M"
    if abs(v) >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def _value(value: Any, customers: Any) -> pd.Series | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not isinstance(customers, pd.DataFrame) or value not in customers.columns:
            raise InvalidInputError(f"value: no column {value!r} in customers", "value")
        series = customers[value]
    elif isinstance(value, pd.Series):
        if isinstance(customers, pd.DataFrame):
            missing = customers.index.difference(value.index)
            if len(missing):
                raise InvalidInputError(f"value: no value for customer {missing[0]!r}", "value")
            series = value.reindex(customers.index)
        else:
            series = value
    else:
        arr = np.asarray(value)
        if arr.ndim != 1 or len(arr) != len(customers):
            raise InvalidInputError(
                f"value: expected one value per customer ({len(customers)}), got shape "
                f"{arr.shape}",
                "value",
            )
        index = customers.index if isinstance(customers, pd.DataFrame) else None
        series = pd.Series(arr, index=index)
    if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series):
        raise InvalidInputError("value: must be numeric (e.g. annual revenue)", "value")
    return series.astype(np.float64)


def market_map(
    model: Any,
    customers: Any,
    prospects: Any,
    *,
    value: Any = None,
    former: Any = None,
    quantile: float = DEFAULT_QUANTILE,
    min_posterior: float = DEFAULT_MIN_POSTERIOR,
) -> MarketMap:
    """Place prospects (and former customers) in the segments of a fitted model.

    Nothing is fitted: every row is assigned with ``model.predict`` and given a fit score, and
    a prospect whose score is out of line with the segment's own customers "fits no segment".

    Parameters
    ----------
    model : fitted estimator with ``predict``
        A clusterer (:class:`KMeans`, :class:`KPrototypes`, :class:`KMedoids`, any model with
        ``cluster_centers_`` and ``transform``) or a classifier that explains the segments
        (``CHAID`` or a discriminant analysis fitted on the segment labels, anything with
        ``predict_proba``).
    customers, prospects : DataFrame
        The model's features for current customers and for prospects (when the model knows
        its feature names, other columns are ignored).
    value : Series, array or column name of `customers`, optional
        Value of each customer (e.g. annual revenue) for the mean value and the potential.
    former : DataFrame, optional
        Former customers, assigned like prospects and counted per segment.
    quantile : float, default 0.99
        For centre-based models: a prospect fits its nearest segment when its distance to the
        centre is at most this quantile of the segment's customers' own distances.
    min_posterior : float, default 0.5
        For models with ``predict_proba`` and no centres: a prospect fits when the probability
        of its predicted segment is at least this.

    Returns
    -------
    MarketMap

    Raises
    ------
    InvalidInputError
        The model is not fitted or has no ``predict``, a column is missing, `value` is not
        numeric or not aligned, `quantile` / `min_posterior` out of range.

    See Also
    --------
    report : shows the market map next to the profile.

    Notes
    -----
    Fit score and "fits no segment", per model family:

    - centre-based models (k-means, k-prototypes, k-medoids): the score is the distance to the
      assigned centre in the model's own metric (Euclidean for k-means, squared Euclidean +
      γ × mismatches for k-prototypes, Gower or Euclidean to the medoid for k-medoids); a
      prospect fits no segment when it is farther than the `quantile` of the distances of that
      segment's customers to their centre (the threshold of a segment without customers is the
      quantile over all customers);
    - classifiers (CHAID, discriminant analysis, ...): the score is the posterior probability
      of the assigned segment (for CHAID, the segment's share in the prospect's leaf); a
      prospect fits no segment below `min_posterior`;
    - other models: no score (NaN); every prospect fits.

    Segment counts of prospects include only those that fit; ``prospects_no_fit`` counts the
    others by their nearest segment. Without `value`, ``mean_value`` and ``potential`` are NaN.

    Examples
    --------
    >>> import numpy as np, segmint as sg
    >>> df = sg.datasets.load_wholesale()
    >>> spend = df[sg.datasets.SPEND_COLUMNS]
    >>> X = np.log(spend)
    >>> ours = df["Region"] != "Other"
    >>> km = sg.KMeans(3, random_state=0).fit(X[ours])
    >>> m = sg.market_map(km, X[ours], X[~ours], value=spend.sum(axis=1)[ours])
    >>> m.segments[["customers", "prospects"]].sum().tolist()  # doctest: +SKIP
    [124, 313]
    >>> int(m.segments["customers"].sum())
    124
    >>> m.rule
    'distance'
    """
    if not hasattr(model, "predict"):
        raise InvalidInputError("model: expected a fitted estimator with predict()", "model")
    if not isinstance(quantile, numbers.Real) or not 0 < float(quantile) <= 1:
        raise InvalidInputError(f"quantile: must be in (0, 1], got {quantile!r}", "quantile")
    if not isinstance(min_posterior, numbers.Real) or not 0 <= float(min_posterior) <= 1:
        raise InvalidInputError(
            f"min_posterior: must be in [0, 1], got {min_posterior!r}", "min_posterior"
        )
    values = _value(value, customers)
    try:
        cust = _score(model, customers, "customers")
    except AttributeError as e:  # e.g. an unfitted model
        raise InvalidInputError(f"model: cannot predict ({e})", "model") from e
    pros = _score(model, prospects, "prospects")
    old = None if former is None else _score(model, former, "former")
    rule = _rule(model) if not np.isnan(cust.score).all() else "none"

    segments = pd.Index(pd.unique(cust.segment.dropna()))
    for extra in (pros.segment, None if old is None else old.segment):
        if extra is not None:
            segments = segments.append(pd.Index(pd.unique(extra.dropna()))).unique()
    try:
        segments = segments.sort_values()
    except TypeError:  # mixed label types: keep the order of first appearance
        pass
    segments = segments.rename("segment")

    threshold: Any
    if rule == "distance":
        own = pd.Series(cust.score, index=cust.segment.index)
        overall = float(np.nanquantile(cust.score, quantile))
        per = own.groupby(cust.segment.to_numpy()).quantile(quantile)
        threshold = per.reindex(segments).fillna(overall).rename("threshold")
        limits = threshold.reindex(pros.segment.to_numpy()).to_numpy()
        fits = pros.score <= limits
    elif rule == "posterior":
        threshold = float(min_posterior)
        fits = pros.score >= threshold
    else:
        threshold = None
        fits = np.ones(len(pros.score), dtype=bool)

    def count(s: pd.Series, mask: Any = None) -> pd.Series:
        s = s if mask is None else s[mask]
        return s.value_counts().reindex(segments, fill_value=0).astype(np.int64)

    table = pd.DataFrame(
        {
            "customers": count(cust.segment),
            "prospects": count(pros.segment, fits),
            "prospects_no_fit": count(pros.segment, ~fits),
            "former": count(old.segment) if old is not None else 0,
        },
        index=segments,
    )
    market = table["customers"] + table["prospects"]
    table["penetration"] = table["customers"] / market.where(market > 0)
    if values is not None:
        mean = values.groupby(cust.segment.to_numpy()).mean()
        table["mean_value"] = mean.reindex(segments)
    else:
        table["mean_value"] = np.nan
    table["potential"] = table["prospects"] * table["mean_value"]

    def rows(scored: _Scored, ok: Any) -> pd.DataFrame:
        return pd.DataFrame(
            {"segment": scored.segment, "fit_score": scored.score, "fits": ok},
            index=scored.segment.index,
        )

    if old is not None:
        if rule == "distance":
            old_ok = old.score <= threshold.reindex(old.segment.to_numpy()).to_numpy()
        elif rule == "posterior":
            old_ok = old.score >= threshold
        else:
            old_ok = np.ones(len(old.score), dtype=bool)
    return MarketMap(
        segments=table,
        prospects=rows(pros, np.asarray(fits, dtype=bool)),
        customers=pd.DataFrame(
            {"segment": cust.segment, "fit_score": cust.score}, index=cust.segment.index
        ),
        former=None if old is None else rows(old, np.asarray(old_ok, dtype=bool)),
        rule=rule,
        threshold=threshold,
    )


__all__ = ["MarketMap", "MarketMapDisplay", "market_map"]
