"""Describing and tracking segments: profiles with tests, buyer personas, small-segment
warnings, and migration between two segmentations."""

from __future__ import annotations

import html
import numbers
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import _core, _frame, _validation
from .errors import InvalidInputError


class SmallSegmentWarning(UserWarning):
    """A segment is smaller than the `min_size` given to :func:`profile`."""


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
        ÷ overall mean × 100), columns the segments and "overall"
    categorical : DataFrame, rows (variable, category), shares per segment and "overall"
    category_index : the same shares as an index (segment share ÷ overall share × 100)
    tests : DataFrame indexed by variable — test, statistic, df1, df2, p_value, p_holm (Holm
        over all variables), effect (η² or Cramér's V), effect_name; Kruskal–Wallis columns when
        asked for
    distinguishing : per segment, the variables that set it apart most (significant tests,
        largest deviations from the overall profile)
    personas : Series of one-paragraph descriptions
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

    def to_frame(self) -> pd.DataFrame:
        """One wide table: size and share, numeric means and indices, category shares; columns
        are the segments and "overall"."""
        sizes = self.summary[["size", "share"]].T
        sizes["overall"] = [self.summary["size"].sum(), 1.0]
        sizes.index = pd.MultiIndex.from_tuples([("segment", "size"), ("segment", "share")])
        parts = [sizes]
        if len(self.numeric):
            parts.append(self.numeric)
        if len(self.categorical):
            parts.append(self.categorical)
        return pd.concat(parts)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<li><b>{html.escape(str(s))}</b>: {html.escape(text)}</li>"
            for s, text in self.personas.items()
        )
        small = self.summary.index[self.summary["small"]].tolist()
        warn = (
            f"<p style='color:#b00'>Segments below min_size: {html.escape(str(small))}</p>"
            if small
            else ""
        )
        return (
            "<div><h4>Segment profile</h4>"
            + warn
            + self.summary.to_html(float_format=lambda v: f"{v:.3g}")
            + f"<ul>{rows}</ul>"
            + self.tests.to_html(float_format=lambda v: f"{v:.3g}")
            + "</div>"
        )

    def plot(self, ax: Any = None) -> Any:
        """Heatmap of the indices (segment ÷ overall × 100) of numeric means and category
        shares; returns the matplotlib Figure (needs the `plot` extra)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:  # pragma: no cover - optional extra
            raise ImportError("plot() needs matplotlib: pip install 'segmint[plot]'") from e
        rows = []
        if len(self.numeric):
            idx = self.numeric.xs("index", level=1).drop(columns="overall")
            rows.append(idx)
        if len(self.category_index):
            ci = self.category_index.drop(columns="overall")
            ci.index = [f"{v} = {c}" for v, c in ci.index]
            rows.append(ci)
        data = pd.concat(rows) if rows else pd.DataFrame()
        if ax is None:
            fig, ax = plt.subplots(figsize=(1.2 + 0.9 * data.shape[1], 0.9 + 0.32 * len(data)))
        else:
            fig = ax.figure
        values = np.log2(np.clip(data.to_numpy(dtype=float), 1, None) / 100.0)
        image = ax.imshow(values, cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
        ax.set_xticks(range(data.shape[1]), [str(c) for c in data.columns])
        ax.set_yticks(range(len(data)), [str(i) for i in data.index])
        for (i, j), v in np.ndenumerate(data.to_numpy(dtype=float)):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=8)
        ax.set_xlabel("segment")
        ax.set_title("Index vs overall (100 = average)")
        fig.colorbar(image, ax=ax, label="log2(index / 100)")
        fig.tight_layout()
        return fig


def _persona(
    segment: Any,
    share: float,
    numeric: pd.DataFrame,
    cat_share: pd.DataFrame,
    cat_index: pd.DataFrame,
    tests: pd.DataFrame,
    alpha: float,
) -> str:
    parts: list[str] = []
    significant = set(tests.index[tests["p_holm"] <= alpha])
    cats: list[tuple[float, str]] = []
    for var in dict.fromkeys(v for v, _ in cat_share.index):
        if var not in significant:
            continue
        shares = cat_share.loc[var, segment]
        top = shares.idxmax()
        if shares[top] >= 0.5:
            cats.append((shares[top], f"mostly {top} ({var}: {shares[top]:.0%})"))
        else:
            idx = cat_index.loc[var, segment]
            over = idx.idxmax()
            if idx[over] >= 130:
                cats.append((shares[over], f"often {over} ({var}: {shares[over]:.0%})"))
    cats.sort(key=lambda t: -t[0])
    parts.extend(text for _, text in cats[:3])
    if len(numeric):
        idx = numeric.xs("index", level=1)[segment]
        idx = idx[[v in significant for v in idx.index]].dropna()
        strength = np.abs(np.log(np.clip(idx.to_numpy(dtype=float), 1e-9, None) / 100.0))
        order = np.argsort(-strength, kind="stable")
        nums = []
        for i in order[:3]:
            v = idx.iloc[i]
            if v >= 120 or v <= 80:
                nums.append(f"{idx.index[i]} index {v:.0f}")
        parts.extend(nums)
    body = "; ".join(parts) if parts else "close to the average on every variable"
    return f"{share:.0%} of customers: {body}"


def profile(
    X: Any,
    labels: Any,
    *,
    min_size: float | None = None,
    kruskal: bool = False,
    sample_weight: Any = None,
    alpha: float = 0.05,
    n_jobs: int | None = None,
) -> SegmentProfile:
    """Profile segments: per-segment statistics, tests of difference and buyer personas.

    ``X`` holds the describing variables (numbers, categories, text, bools; missing values are
    left out per variable); ``labels`` the segment of each row (a Series aligned on X's index,
    an array, or the name of a column of X). ``min_size`` flags (and warns about) segments too
    small to act on: a count (≥ 1) or a share of the customers (< 1). Numeric variables get a
    one-way ANOVA F with η² (and Kruskal–Wallis H when ``kruskal``), categorical ones a Pearson
    χ² with Cramér's V; p-values are Holm-adjusted over all variables. Statistics are computed
    in Rust, one column per thread.
    """
    if isinstance(labels, str) and hasattr(X, "columns") and labels in X.columns:
        labels, X = X[labels], X.drop(columns=labels)
    table = _frame.measured_table(X)
    index = table.index
    codes, segments, has = _frame.segment_codes(labels, index, negative_is_none=True)
    k = len(segments)
    if k < 2:
        raise InvalidInputError(
            f"labels: a profile compares segments, but there is only one ({segments[0]!r})",
            "labels",
        )
    weights = None
    if sample_weight is not None:
        weights = _frame.positive_weights(sample_weight, len(index), "sample_weight")
    keep = has.all()
    # Column-major blocks: the Rust kernels read one column per thread.
    numeric = table.numeric if keep else np.asfortranarray(table.numeric[has])
    cat = table.codes if keep else np.asfortranarray(table.codes[has])
    w = None if weights is None else (weights if keep else np.ascontiguousarray(weights[has]))
    sizes, num_stats, cat_stats = _core.profile_stats(
        numeric,
        cat,
        n_levels=[int(v) for v in table.n_levels],
        sample_weight=w,
        labels=np.ascontiguousarray(codes[has]),
        k=k,
        kruskal=bool(kruskal),
        n_threads=_validation.n_threads(n_jobs),
    )
    enc = table.encoding
    num_names = [enc.columns[j] for j in enc.continuous]
    cat_names = [enc.columns[j] for j in enc.categorical]
    columns = [*list(segments), "overall"]
    _count, mean, median, sd, anova, eta2, kw = num_stats
    blocks = []
    for j, name in enumerate(num_names):
        overall = mean[j, -1]
        ok = overall != 0 and np.isfinite(overall)
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
                rows.append((var, "mean", v, abs(np.log(max(v, 1e-9) / 100))))
        for (var, level), v in category_index[seg].items():
            if np.isfinite(v) and categorical_frame.loc[(var, level), seg] > 0:
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
        )
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
    """

    table: pd.DataFrame
    mapping: pd.DataFrame
    share_moved: float
    ari: float
    new: pd.Index
    lost: pd.Index

    def _repr_html_(self) -> str:
        return (
            f"<div><h4>Segment migration</h4><p>moved: {self.share_moved:.1%}, ARI "
            f"{self.ari:.3f}, new customers {len(self.new)}, lost {len(self.lost)}</p>"
            + self.table.to_html()
            + self.mapping.to_html(float_format=lambda v: f"{v:.3g}")
            + "</div>"
        )


def migration(before: pd.Series, after: pd.Series) -> Migration:
    """Compare two segmentations of (partly) the same customers, aligned by index."""
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
        ari=float(adjusted_rand_score(b.to_numpy(), a.to_numpy())),
        new=after.index.difference(before.index, sort=False),
        lost=before.index.difference(after.index, sort=False),
    )


__all__ = ["Migration", "SegmentProfile", "SmallSegmentWarning", "migration", "profile"]
