"""Describing and tracking segments: profiles with tests, buyer personas, small-segment
warnings, and migration between two segmentations."""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _core, _frame, _validation
from .criteria import Criteria
from .errors import InvalidInputError

if TYPE_CHECKING:
    from .plot import ProfileDisplay


class SmallSegmentWarning(UserWarning):
    """A segment is smaller than the `min_size` given to :func:`profile`.

    See Also
    --------
    profile : where ``min_size`` is given.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd, segmint as sg
    >>> df = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 50]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     prof = sg.profile(df, [0, 0, 0, 0, 0, 0, 0, 1], min_size=2)
    >>> [w.category.__name__ for w in caught]
    ['SmallSegmentWarning']
    >>> prof.summary["small"].tolist()
    [False, True]
    """


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment (NaN p-values are left out and stay NaN)."""
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = len(q)
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * q[i])
        adjusted[i] = min(1.0, running)
    out[ok] = adjusted
    return out


@dataclass
class SegmentProfile:
    """What describes each segment. Build it with :func:`profile`.

    Attributes
    ----------
    summary : DataFrame indexed by segment — size, share and ``small`` (below ``min_size``)
    numeric : DataFrame, rows (variable, statistic) for mean / median / sd / index (segment mean
        ÷ overall mean × 100; NaN for a variable that takes negative values, such as factor
        scores or standardised variables, for which a ratio to the mean means nothing — read
        their means and the tests instead), columns the segments and "overall"
    categorical : DataFrame, rows (variable, category), shares per segment and "overall"
    category_index : the same shares as an index (segment share ÷ overall share × 100)
    tests : DataFrame indexed by variable — test, statistic, df1, df2, p_value, p_holm (Holm
        over all variables), effect (η² or Cramér's V), effect_name; Kruskal–Wallis columns when
        asked for
    distinguishing : per segment, the variables that set it apart most (significant tests,
        largest deviations from the overall profile)
    personas : Series of one-paragraph descriptions
    criteria : Criteria or None
        The criteria families given to :func:`profile`. With criteria, the tables above carry a
        leading index level ``family`` (``distinguishing``: a ``family`` column), rows grouped
        by family in the criteria's order; personas read "Environmental: … · Individual: …".
    names_ : Series of short, distinct segment names (see :meth:`names_`)
    alpha : float
        The significance level given to :func:`profile`.

    See Also
    --------
    profile : builds it.
    Migration : how segments move between two segmentations.

    Examples
    --------
    >>> import numpy as np, segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> spend = np.log(customers[sg.datasets.SPEND_COLUMNS])
    >>> km = sg.KMeans(3, random_state=0).fit((spend - spend.mean()) / spend.std())
    >>> prof = sg.profile(customers, km.labels_)
    >>> prof.summary.round(3)  # doctest: +NORMALIZE_WHITESPACE
              size  share  small
    segment
    0        146.0  0.332  False
    1        213.0  0.484  False
    2         81.0  0.184  False
    >>> prof.tests[["test", "effect", "effect_name"]].round(3)  # doctest: +NORMALIZE_WHITESPACE
                       test  effect effect_name
    variable
    Fresh             anova   0.147        eta2
    Milk              anova   0.268        eta2
    Grocery           anova   0.310        eta2
    Frozen            anova   0.065        eta2
    Detergents_Paper  anova   0.251        eta2
    Delicatessen      anova   0.111        eta2
    Channel            chi2   0.640   cramers_v
    Region             chi2   0.061   cramers_v
    >>> prof.names_.tolist()
    ['Retail, high Delicatessen', 'Horeca, low Detergents Paper', 'Retail, low Frozen']
    """

    summary: pd.DataFrame
    numeric: pd.DataFrame
    categorical: pd.DataFrame
    category_index: pd.DataFrame
    tests: pd.DataFrame
    distinguishing: dict[Any, pd.DataFrame]
    personas: pd.Series
    alpha: float = 0.05
    _segments: pd.Index = field(default_factory=pd.Index, repr=False)
    criteria: Criteria | None = None
    _names: pd.Series | None = field(default=None, repr=False)

    @property
    def names_(self) -> pd.Series:
        """A short, distinct name per segment, derived from the data (a Series indexed by
        segment, named "name").

        The rule: a segment's candidate terms come from its distinguishing features
        (Holm-significant variables, one term per variable). A category held by at least half
        of the segment and over-represented (index ≥ 120) gives its label ("Retail"); a numeric
        mean with index ≥ 125 gives "high <variable>", one with index ≤ 80 "low <variable>".
        Category terms come first (by criteria family when criteria were given, then by
        strength of deviation), numeric terms after them (by strength, the absolute log of the
        index). The name joins the first two terms with commas: "Retail, high Detergents
        Paper". A label that says little on its own (a number, yes / no / true / false, other,
        unknown, none) is preceded by its variable: "Region Other". A segment with no term is
        "Average". Where two segments would share a name, each of them takes
        its next term (up to four); if they still coincide the segment id is appended.
        Underscores in variable names become spaces and the first letter is capitalised. The
        result depends only on the profile, so it is deterministic; :meth:`rename` overrides
        it.

        Returns
        -------
        Series
            One name per segment, indexed by segment, named "name".

        Examples
        --------
        >>> import numpy as np, segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> spend = np.log(customers[sg.datasets.SPEND_COLUMNS])
        >>> km = sg.KMeans(3, random_state=0).fit((spend - spend.mean()) / spend.std())
        >>> names = sg.profile(customers, km.labels_).names_
        >>> names.is_unique
        True
        """
        if self._names is None:
            return pd.Series(
                [str(s) for s in self.summary.index], index=self.summary.index, name="name"
            )
        return self._names.copy()

    def rename(self, names: Any) -> SegmentProfile:
        """A copy of the profile with other segment names.

        Parameters
        ----------
        names : dict, Series, list or callable
            New names by segment (segments left out keep theirs), one name per segment in
            order, or a function of (segment, current name).

        Returns
        -------
        SegmentProfile

        Raises
        ------
        InvalidInputError
            Unknown segment, wrong number of names, or names that are not distinct.

        Examples
        --------
        >>> import numpy as np, segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> spend = np.log(customers[sg.datasets.SPEND_COLUMNS])
        >>> km = sg.KMeans(2, random_state=0).fit((spend - spend.mean()) / spend.std())
        >>> prof = sg.profile(customers, km.labels_).rename({0: "Shops", 1: "Kitchens"})
        >>> prof.names_.tolist()
        ['Shops', 'Kitchens']
        """
        current = self.names_
        if callable(names):
            new = pd.Series(
                [str(names(s, n)) for s, n in current.items()], index=current.index, name="name"
            )
        elif isinstance(names, dict | pd.Series):
            given = dict(names.items())
            unknown = [s for s in given if s not in current.index]
            if unknown:
                raise InvalidInputError(f"names: no segment {unknown[0]!r}", "names")
            new = current.copy()
            for s, n in given.items():
                new[s] = str(n)
        else:
            listed = [str(n) for n in names]
            if len(listed) != len(current):
                raise InvalidInputError(
                    f"names: expected {len(current)} names, got {len(listed)}", "names"
                )
            new = pd.Series(listed, index=current.index, name="name")
        if not new.is_unique:
            dup = new[new.duplicated()].iloc[0]
            raise InvalidInputError(f"names: {dup!r} names two segments", "names")
        return dataclasses.replace(self, _names=new)

    def name_labels(self, labels: Any) -> pd.Series:
        """Segment labels (e.g. a model's ``labels_``) mapped to the segments' names.

        Parameters
        ----------
        labels : Series or array-like
            Segment labels.

        Returns
        -------
        Series
            The name of each label's segment, on the labels' index, named "name".

        Examples
        --------
        >>> import pandas as pd, segmint as sg
        >>> df = pd.DataFrame({"x": [1.0, 2, 3, 10, 11, 12]})
        >>> prof = sg.profile(df, [0, 0, 0, 1, 1, 1]).rename(["small", "big"])
        >>> prof.name_labels(pd.Series([1, 0])).tolist()
        ['big', 'small']
        """
        names = self.names_
        series = labels if isinstance(labels, pd.Series) else pd.Series(labels)
        return series.map(names.to_dict()).rename("name")

    def to_frame(self) -> pd.DataFrame:
        """One wide table: size and share, numeric means and indices, category shares; columns
        are the segments and "overall".

        Returns
        -------
        DataFrame
            Rows (table, variable, statistic or category), columns the segments and "overall".

        Examples
        --------
        >>> import numpy as np, segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> spend = np.log(customers[sg.datasets.SPEND_COLUMNS])
        >>> km = sg.KMeans(3, random_state=0).fit((spend - spend.mean()) / spend.std())
        >>> prof = sg.profile(customers, km.labels_)
        >>> wide = prof.to_frame()
        >>> wide.loc[("Milk", "index")].round(1)
        0          181.9
        1           35.3
        2          122.5
        overall    100.0
        Name: (Milk, index), dtype: float64
        """
        sizes = self.summary[["size", "share"]].T
        sizes["overall"] = [self.summary["size"].sum(), 1.0]
        keys: list[tuple[str, ...]] = [("segment", "size"), ("segment", "share")]
        if self.numeric.index.nlevels == 3 or self.categorical.index.nlevels == 3:
            keys = [("segment", *k) for k in keys]
        sizes.index = pd.MultiIndex.from_tuples(keys)
        parts = [sizes]
        if len(self.numeric):
            parts.append(self.numeric)
        if len(self.categorical):
            parts.append(self.categorical)
        return pd.concat(parts)

    def _repr_html_(self) -> str:
        """Styled tables: segments with names, sizes and personas; numeric means and category
        shares shaded by their index; tests with effect sizes."""
        from ._views import profile_html

        return profile_html(self)

    def __repr__(self) -> str:
        from ._views import profile_repr

        return profile_repr(self)

    def plot(self, ax: Any = None, **kwargs: Any) -> ProfileDisplay:
        """Heatmap of the indices (segment ÷ overall × 100) of the numeric means and category
        shares.

        Colours diverge from white at 100 on a log scale (the colour bar reads in index
        points), each number is printed in black or white for contrast, rows are grouped
        (numeric variables, then each categorical variable), column labels carry the segment
        names and sizes, and segments below ``min_size`` are marked "small".

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw here (a new figure when None).
        **kwargs
            ``fontsize`` (default 8.5) and ``cmap`` (default "RdBu_r").

        Returns
        -------
        ProfileDisplay
            With ``figure_``, ``ax_`` and ``colorbar_``.

        Raises
        ------
        ImportError
            matplotlib is not installed (``pip install 'segmint[plot]'``).

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import numpy as np, segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> spend = np.log(customers[sg.datasets.SPEND_COLUMNS])
        >>> km = sg.KMeans(3, random_state=0).fit((spend - spend.mean()) / spend.std())
        >>> shown = sg.profile(customers, km.labels_).plot()
        >>> shown.data.shape
        (11, 3)
        """
        from .plot import ProfileDisplay

        return ProfileDisplay(self).plot(ax=ax, **kwargs)


def _persona(
    segment: Any,
    share: float,
    numeric: pd.DataFrame,
    cat_share: pd.DataFrame,
    cat_index: pd.DataFrame,
    tests: pd.DataFrame,
    alpha: float,
    criteria: Criteria | None = None,
) -> str:
    parts: list[tuple[Any, str]] = []  # (variable, text)
    significant = set(tests.index[tests["p_holm"] <= alpha])
    cats: list[tuple[float, Any, str]] = []
    for var in dict.fromkeys(v for v, _ in cat_share.index):
        if var not in significant:
            continue
        shares = cat_share.loc[var][segment]
        top = shares.idxmax()
        if shares[top] >= 0.5:
            cats.append((shares[top], var, f"mostly {top} ({var}: {shares[top]:.0%})"))
        else:
            idx = cat_index.loc[var][segment]
            over = idx.idxmax()
            if idx[over] >= 130:
                cats.append((shares[over], var, f"often {over} ({var}: {shares[over]:.0%})"))
    cats.sort(key=lambda t: -t[0])
    parts.extend((var, text) for _, var, text in cats[:3])
    if len(numeric):
        idx = numeric.xs("index", level=1)[segment]
        idx = idx[[v in significant for v in idx.index]].dropna()
        strength = np.abs(np.log(np.clip(idx.to_numpy(dtype=float), 1e-9, None) / 100.0))
        order = np.argsort(-strength, kind="stable")
        nums = []
        for i in order[:3]:
            v = idx.iloc[i]
            if v >= 120 or v <= 80:
                nums.append((idx.index[i], f"{idx.index[i]} index {v:.0f}"))
        parts.extend(nums)
    if not parts:
        body = "close to the average on every variable"
    elif criteria is None:
        body = "; ".join(text for _, text in parts)
    else:  # "Environmental: mostly Retail … · Individual: Milk index 182, …"
        groups = criteria.group(dict.fromkeys(var for var, _ in parts))
        body = " · ".join(
            f"{Criteria.title(family)}: "
            + ", ".join(text for var, text in parts if var in set(columns))
            for family, columns in groups.items()
        )
    return f"{share:.0%} of customers: {body}"


_GENERIC_LABELS = {"other", "others", "yes", "no", "true", "false", "unknown", "none", "n/a", ""}


def _generic(level: Any) -> bool:
    """A category label that needs its variable's name to mean something."""
    if isinstance(level, bool | np.bool_ | numbers.Number):
        return True
    text = str(level).strip().lower()
    return text in _GENERIC_LABELS or text.replace(".", "", 1).isdigit()


def _segment_names(
    segments: pd.Index,
    distinguishing: dict[Any, pd.DataFrame],
    categorical: pd.DataFrame,
    criteria: Criteria | None,
) -> pd.Series:
    """Short distinct names from the distinguishing features (rule in SegmentProfile.names_)."""
    family_rank: dict[Any, int] = {}
    if criteria is not None:
        for rank, columns in enumerate(criteria.group(categorical.index.unique(0)).values()):
            family_rank.update(dict.fromkeys(columns, rank))
    candidates: dict[Any, list[tuple[bool, int, int, str]]] = {}
    for seg in segments:
        terms: list[tuple[bool, int, int, str]] = []  # (numeric?, family rank, strength, text)
        used: set[Any] = set()
        for var, level, index in distinguishing[seg][["variable", "level", "index"]].itertuples(
            index=False
        ):
            if var in used or not np.isfinite(index):
                continue
            label = str(var).replace("_", " ")
            if level == "mean":
                if index >= 125:
                    text = f"high {label}"
                elif index <= 80:
                    text = f"low {label}"
                else:
                    continue
                terms.append((True, 0, len(terms), text))
            else:
                if index < 120 or categorical.at[(var, level), seg] < 0.5:
                    continue
                text = str(level)
                if _generic(level):
                    text = f"{label} {text}"
                terms.append((False, family_rank.get(var, 0), len(terms), text))
            used.add(var)
        candidates[seg] = sorted(terms)  # categories (by family, strength), then numbers

    def name(terms: list[tuple[bool, int, int, str]], n: int) -> str:
        text = ", ".join(t[3] for t in terms[:n]) or "Average"
        return text[0].upper() + text[1:]

    n_terms = dict.fromkeys(segments, 2)
    names = {seg: name(candidates[seg], 2) for seg in segments}
    for _ in range(2):  # lengthen the names that collide, up to four terms
        counts = pd.Series(names).value_counts()
        clash = [s for s in segments if counts[names[s]] > 1]
        if not clash:
            break
        for seg in clash:
            n_terms[seg] += 1
            names[seg] = name(candidates[seg], n_terms[seg])
    counts = pd.Series(names).value_counts()
    for seg in segments:
        if counts[names[seg]] > 1:
            names[seg] = f"{names[seg]} ({seg})"
    return pd.Series([names[s] for s in segments], index=segments, name="name")


def _by_family(frame: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """The rows of a table indexed by variable (first level), grouped by family: a leading
    "family" level, families and variables in the criteria's order."""
    variables = frame.index.unique(0) if frame.index.nlevels > 1 else frame.index
    groups = criteria.group(variables)
    family = {v: f for f, columns in groups.items() for v in columns}
    order = [v for columns in groups.values() for v in columns]
    position = {v: i for i, v in enumerate(order)}
    first = frame.index.get_level_values(0)
    rows = np.argsort([position[v] for v in first], kind="stable")
    out = frame.iloc[rows]
    keys = [out.index.get_level_values(i) for i in range(out.index.nlevels)]
    names = ["family", *(out.index.names if out.index.nlevels > 1 else [out.index.name])]
    fam = [family[v] for v in out.index.get_level_values(0)]
    out.index = pd.MultiIndex.from_arrays([fam, *keys], names=names)
    return out


def _in_memory_stats(
    X: Any, labels: Any, sample_weight: Any, kruskal: bool, n_jobs: Any, criteria: Any
) -> tuple[Any, pd.Index, tuple[Any, ...]]:
    """(encoding, segments, ``_core.profile_stats``'s result) of an in-memory table."""
    if isinstance(labels, str):
        frame = _frame.to_pandas(X)  # polars / pyarrow frames too
        if frame is not None and labels in frame.columns:
            labels, X = frame[labels], frame.drop(columns=labels)
    if criteria is not None and isinstance(X, pd.DataFrame):
        X = criteria.apply_order(X)
    table = _frame.measured_table(X)
    codes, segments, has = _frame.segment_codes(labels, table.index, negative_is_none=True)
    if len(segments) < 2:
        raise InvalidInputError(
            f"labels: a profile compares segments, but there is only one ({segments[0]!r})",
            "labels",
        )
    weights = None
    if sample_weight is not None:
        weights = _frame.positive_weights(sample_weight, len(table.index), "sample_weight")
    keep = has.all()
    # Column-major blocks: the Rust kernels read one column per thread.
    numeric = table.numeric if keep else np.asfortranarray(table.numeric[has])
    cat = table.codes if keep else np.asfortranarray(table.codes[has])
    w = None if weights is None else (weights if keep else np.ascontiguousarray(weights[has]))
    stats = _core.profile_stats(
        numeric,
        cat,
        n_levels=[int(v) for v in table.n_levels],
        sample_weight=w,
        labels=np.ascontiguousarray(codes[has]),
        k=len(segments),
        kruskal=bool(kruskal),
        n_threads=_validation.n_threads(n_jobs),
    )
    return table.encoding, segments, stats


def profile(
    X: Any,
    labels: Any,
    *,
    min_size: float | None = None,
    kruskal: bool = False,
    sample_weight: Any = None,
    alpha: float = 0.05,
    n_jobs: int | None = None,
    criteria: Criteria | None = None,
) -> SegmentProfile:
    """Profile segments: per-segment statistics, tests of difference and buyer personas.

    ``X`` holds the describing variables (numbers, categories, text, bools; missing values are
    left out per variable); ``labels`` the segment of each row (a Series aligned on X's index,
    an array, or the name of a column of X). ``min_size`` flags (and warns about) segments too
    small to act on: a count (≥ 1) or a share of the customers (< 1). Numeric variables get a
    one-way ANOVA F with η² (and Kruskal–Wallis H when ``kruskal``), categorical ones a Pearson
    χ² with Cramér's V; p-values are Holm-adjusted over all variables. Statistics are computed
    in Rust, one column per thread.

    ``X`` may be a Dask DataFrame with ``labels`` a Dask Series partitioned like it (such as
    ``KMeans.predict(ddf)``, lazy) or the name of one of its columns: the profile is computed on
    the cluster and equals the in-memory one on the same rows to the last bit (with fractional
    ``sample_weight``, a weighted median only to within the rounding of its cumulative weights;
    see :func:`segmint.distributed.profile_stats`).

    With ``criteria`` (a :class:`Criteria`), ordinal columns take the order given there, the
    tables gain a leading ``family`` index level (rows grouped by family in the criteria's
    order; the numbers are those of the ungrouped profile), the distinguishing tables a
    ``family`` column, and personas are grouped by family ("Environmental: mostly Retail
    (Channel: 80%) · Individual: Grocery index 240"). Columns no family names form "other".

    Parameters
    ----------
    X : DataFrame or dask DataFrame
        The describing variables, one row per customer.
    labels : Series, array-like, dask Series or str
        Segment of each row (negative labels: no segment), or the name of a column of X; with
        a Dask X, a Dask Series (or Array) partitioned like X, or a column name.
    min_size : float or None, default None
        Smallest segment worth acting on: a count (≥ 1) or a share (< 1); smaller segments are
        flagged in ``summary["small"]`` and warned about.
    kruskal : bool, default False
        Add Kruskal–Wallis H tests for the numeric variables.
    sample_weight : array-like of shape (n_samples,), default None
        Weight of each row in the statistics (with a Dask X, a Dask Series partitioned like X).
    alpha : float, default 0.05
        Significance level of the distinguishing features (on Holm-adjusted p-values).
    n_jobs : int or None, default None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores.
    criteria : Criteria or None, default None
        Criteria families to group the tables and personas by.

    Returns
    -------
    SegmentProfile
        Sizes, numeric and categorical profiles, tests, distinguishing features, personas
        and names.

    Raises
    ------
    InvalidInputError
        Fewer than two segments, labels not aligned with X, ``criteria`` that is not a
        :class:`Criteria`.

    Warns
    -----
    SmallSegmentWarning
        A segment is smaller than ``min_size``.

    See Also
    --------
    SegmentProfile : the result.
    Criteria : segmentation-criteria families.
    report : the profile as an HTML report.

    References
    ----------
    .. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
       Scandinavian Journal of Statistics, 6(2), 65-70.

    Examples
    --------
    >>> import numpy as np, segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> spend = np.log(customers[sg.datasets.SPEND_COLUMNS])
    >>> km = sg.KMeans(3, random_state=0).fit((spend - spend.mean()) / spend.std())
    >>> crit = sg.Criteria(environmental=["Channel"], organisational=["Region"],
    ...                    individual=sg.datasets.SPEND_COLUMNS)
    >>> prof = sg.profile(customers, km.labels_, criteria=crit)
    >>> prof.tests.index.names
    FrozenList(['family', 'variable'])
    >>> prof.tests.index.get_level_values("family").unique().tolist()
    ['environmental', 'organisational', 'individual']
    """
    if criteria is not None and not isinstance(criteria, Criteria):
        raise InvalidInputError("criteria: expected a segmint.Criteria", "criteria")
    stats_of: Any = _in_memory_stats
    if _frame.is_dask(X):
        from .distributed._profile import profile_stats as stats_of
    enc, segments, stats = stats_of(X, labels, sample_weight, kruskal, n_jobs, criteria)
    k = len(segments)
    sizes, num_stats, cat_stats = stats
    num_names = [enc.columns[j] for j in enc.continuous]
    cat_names = [enc.columns[j] for j in enc.categorical]
    columns = [*list(segments), "overall"]
    _count, mean, median, sd, anova, eta2, kw, minimum = num_stats
    blocks = []
    for j, name in enumerate(num_names):
        overall = mean[j, -1]
        # The ratio index needs a ratio scale: no negative values.
        ok = overall != 0 and np.isfinite(overall) and not minimum[j] < 0
        index_row = mean[j] / overall * 100 if ok else np.full(len(columns), np.nan)
        blocks.append(
            pd.DataFrame(
                [mean[j], median[j], sd[j], index_row],
                index=pd.MultiIndex.from_product([[name], ["mean", "median", "sd", "index"]]),
                columns=columns,
            )
        )
    numeric_frame = pd.concat(blocks) if blocks else pd.DataFrame(columns=columns)
    counts, chi2, cramers_v = cat_stats
    share_blocks, index_blocks = [], []
    for j, name in enumerate(cat_names):
        labels_j = list(enc.labels[enc.categorical[j]] or [])
        c = counts[j]
        totals = c.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = c / totals
            idx = shares / shares[-1:] * 100
        rows = pd.MultiIndex.from_product([[name], labels_j])
        share_blocks.append(pd.DataFrame(shares.T, index=rows, columns=columns))
        index_blocks.append(pd.DataFrame(idx.T, index=rows, columns=columns))
    categorical_frame = pd.concat(share_blocks) if share_blocks else pd.DataFrame(columns=columns)
    category_index = pd.concat(index_blocks) if index_blocks else pd.DataFrame(columns=columns)

    tests = pd.DataFrame(
        {
            "test": ["anova"] * len(num_names) + ["chi2"] * len(cat_names),
            "statistic": np.r_[anova[:, 0], chi2[:, 0]],
            "df1": np.r_[anova[:, 1], chi2[:, 1]],
            "df2": np.r_[anova[:, 2], chi2[:, 2]],
            "p_value": np.r_[anova[:, 3], chi2[:, 3]],
            "effect": np.r_[eta2, cramers_v],
            "effect_name": ["eta2"] * len(num_names) + ["cramers_v"] * len(cat_names),
        },
        index=pd.Index(num_names + cat_names, name="variable"),
    )
    tests["p_holm"] = _holm(tests["p_value"].to_numpy(dtype=float))
    if kruskal:
        tests["kruskal_h"] = np.r_[kw[:, 0], np.full(len(cat_names), np.nan)]
        tests["kruskal_p"] = np.r_[kw[:, 3], np.full(len(cat_names), np.nan)]

    total = float(sizes.sum())
    summary = pd.DataFrame(
        {"size": sizes, "share": sizes / total}, index=pd.Index(segments, name="segment")
    )
    small = np.zeros(k, dtype=bool)
    if min_size is not None:
        if not isinstance(min_size, numbers.Real) or min_size <= 0:
            raise InvalidInputError(
                f"min_size: a count >= 1 or a share in (0, 1), got {min_size!r}", "min_size"
            )
        small = (sizes < min_size) if min_size >= 1 else (sizes / total < min_size)
        if small.any():
            names = [str(s) for s in segments[small]]
            warnings.warn(
                f"segments {', '.join(names)} are below min_size={min_size}: too small to act "
                "on reliably",
                SmallSegmentWarning,
                stacklevel=2,
            )
    summary["small"] = small

    distinguishing = {}
    personas = {}
    for g, seg in enumerate(segments):
        rows = []
        if len(numeric_frame):
            idx = numeric_frame.xs("index", level=1)[seg]
            for var, v in idx.items():
                if np.isfinite(v):
                    rows.append((var, "mean", v, abs(np.log(max(v, 1e-9) / 100))))
        for (var, level), v in category_index[seg].items():
            if np.isfinite(v) and categorical_frame.at[(var, level), seg] > 0:
                rows.append((var, level, v, abs(np.log(max(v, 1e-9) / 100))))
        frame = pd.DataFrame(rows, columns=["variable", "level", "index", "strength"])
        frame["p_holm"] = tests["p_holm"].reindex(frame["variable"]).to_numpy()
        frame = frame[frame["p_holm"] <= alpha].sort_values("strength", ascending=False)
        distinguishing[seg] = frame.drop(columns="strength").head(10).reset_index(drop=True)
        personas[seg] = _persona(
            seg,
            sizes[g] / total,
            numeric_frame,
            categorical_frame,
            category_index,
            tests,
            alpha,
            criteria,
        )
    names = _segment_names(segments, distinguishing, categorical_frame, criteria)
    if criteria is not None:
        numeric_frame = (
            _by_family(numeric_frame, criteria) if len(numeric_frame) else numeric_frame
        )
        if len(categorical_frame):
            categorical_frame = _by_family(categorical_frame, criteria)
            category_index = _by_family(category_index, criteria)
        tests = _by_family(tests, criteria)
        family_of = dict(
            zip(
                tests.index.get_level_values("variable"),
                tests.index.get_level_values("family"),
                strict=True,
            )
        )
        family_rank = {f: i for i, f in enumerate(dict.fromkeys(family_of.values()))}
        for seg, frame in distinguishing.items():
            # Families in the criteria's order; within a family the rows keep their strength order.
            fam = [family_of[v] for v in frame["variable"]]
            rows = np.argsort([family_rank[f] for f in fam], kind="stable")
            grouped = frame.iloc[rows].reset_index(drop=True)
            grouped.insert(0, "family", [fam[i] for i in rows])
            distinguishing[seg] = grouped
    return SegmentProfile(
        summary=summary,
        numeric=numeric_frame,
        categorical=categorical_frame,
        category_index=category_index,
        tests=tests,
        distinguishing=distinguishing,
        personas=pd.Series(personas, name="persona").rename_axis("segment"),
        alpha=alpha,
        _segments=segments,
        criteria=criteria,
        _names=names,
    )


@dataclass
class Migration:
    """How customers moved between two segmentations. Build it with :func:`migration`.

    Attributes
    ----------
    table : crosstab of counts, old segments × new segments (customers in both)
    mapping : DataFrame indexed by old segment — the new segment it mostly became and the share
        of its customers who went there
    share_moved : share of customers (in both) who did not follow their old segment's main
        successor
    ari : adjusted Rand index between the two segmentations
    new, lost : customers only in the new / only in the old segmentation

    See Also
    --------
    migration : builds it.
    stability : bootstrap stability of one segmentation.

    Examples
    --------
    >>> import pandas as pd, segmint as sg
    >>> before = pd.Series([0, 0, 0, 1, 1, 1], index=list("abcdef"))
    >>> after = pd.Series([0, 0, 1, 1, 1, 1], index=list("abcdeg"))
    >>> moves = sg.migration(before, after)
    >>> moves.table  # doctest: +NORMALIZE_WHITESPACE
    after   0  1
    before
    0       2  1
    1       0  2
    >>> moves.lost.tolist(), moves.new.tolist()
    (['f'], ['g'])
    """

    table: pd.DataFrame
    mapping: pd.DataFrame
    share_moved: float
    ari: float
    new: pd.Index
    lost: pd.Index

    def _repr_html_(self) -> str:
        """The crosstab shaded by row share, the main successors, share moved and ARI."""
        from ._views import migration_html

        return migration_html(self)

    def __repr__(self) -> str:
        from ._views import migration_repr

        return migration_repr(self)


def migration(before: pd.Series, after: pd.Series) -> Migration:
    """Compare two segmentations of (partly) the same customers, aligned by index (customers
    whose segment is missing in either are left out of the table, the shares and the ARI).

    Parameters
    ----------
    before : Series
        Segment of each customer in the earlier segmentation, indexed by customer.
    after : Series
        Segment of each customer in the later one (customers may come and go).

    Returns
    -------
    Migration
        The crosstab, the main successor of each old segment, the share that moved, the
        adjusted Rand index and the customers only in one of the two.

    Raises
    ------
    InvalidInputError
        Arguments that are not Series, duplicate customers, no customer in both.

    See Also
    --------
    stability : how well segments survive resampling.

    References
    ----------
    .. [1] Hubert, L. and Arabie, P. (1985). Comparing partitions. Journal of
       Classification, 2(1), 193-218.

    Examples
    --------
    >>> import numpy as np, segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> X = np.log(customers[sg.datasets.SPEND_COLUMNS])
    >>> first = sg.KMeans(3, random_state=0).fit(X.iloc[:300]).predict(X)
    >>> later = sg.KMeans(3, random_state=0).fit(X.iloc[140:]).predict(X)
    >>> moves = sg.migration(first, later)
    >>> moves.table  # doctest: +NORMALIZE_WHITESPACE
    after     0   1    2
    before
    0        10  72    0
    1       116   0  101
    2         0  73   68
    >>> round(moves.share_moved, 3), round(moves.ari, 3)
    (0.407, 0.31)
    """
    from sklearn.metrics import adjusted_rand_score

    for name, s in (("before", before), ("after", after)):
        if not isinstance(s, pd.Series):
            raise InvalidInputError(f"{name}: must be a pandas Series indexed by customer", name)
        if not s.index.is_unique:
            raise InvalidInputError(f"{name}: the index has duplicate customers", name)
    common = before.index.intersection(after.index, sort=False)
    if len(common) == 0:
        raise InvalidInputError("after: no customer is in both segmentations", "after")
    b, a = before.loc[common], after.loc[common]
    both = b.notna().to_numpy() & a.notna().to_numpy()
    if not both.any():
        raise InvalidInputError(
            "after: no customer has a segment in both segmentations (all missing)", "after"
        )
    b, a = b[both], a[both]
    table = pd.crosstab(b.rename("before"), a.rename("after"))
    successor = table.idxmax(axis=1)
    kept = table.max(axis=1)
    mapping = pd.DataFrame(
        {"became": successor, "share": kept / table.sum(axis=1), "customers": table.sum(axis=1)}
    )
    share_moved = 1.0 - float(kept.sum()) / float(table.to_numpy().sum())
    return Migration(
        table=table,
        mapping=mapping,
        share_moved=share_moved,
        # Labels as category codes: any hashable label (inf, mixed types) is just a name.
        ari=float(adjusted_rand_score(pd.factorize(b)[0], pd.factorize(a)[0])),
        new=after.index.difference(before.index, sort=False),
        lost=before.index.difference(after.index, sort=False),
    )


__all__ = ["Migration", "SegmentProfile", "SmallSegmentWarning", "migration", "profile"]
