"""Rich notebook views (``_repr_html_``) and short console reprs of result objects.

Tables are pandas ``Styler`` objects (needs jinja2, which every Jupyter install has; without
it the views fall back to plain ``DataFrame.to_html``). Index shading is computed here, in
plain Python, so the views do not need matplotlib."""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd

_BLUE = (33, 102, 172)  # RdBu's ends
_RED = (178, 24, 43)
_WHITE = (247, 247, 247)


def shade(index: float, span: float = 4.0) -> str:
    """CSS for a cell whose value has the index ``index`` (100 = average): white at 100, red
    above, blue below, on a log scale saturating at ×``span``; the text is black or white for
    contrast."""
    if not np.isfinite(index) or index <= 0:
        return "" if not np.isfinite(index) else f"background-color: rgb{_BLUE}; color: white"
    t = float(np.clip(math.log(index / 100.0) / math.log(span), -1.0, 1.0))
    end = _RED if t > 0 else _BLUE
    a = abs(t)
    rgb = tuple(round(w + (e - w) * a) for w, e in zip(_WHITE, end, strict=True))

    def lin(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    lum = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2])
    text = "black" if lum > 0.179 else "white"
    return f"background-color: rgb{rgb}; color: {text}"


def _number(v: Any) -> str:
    """Readable numbers: 12,046 rather than 1.205e+04; 4 significant digits below 1,000."""
    if not isinstance(v, int | float | np.number):
        return str(v)
    x = float(v)
    if not np.isfinite(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _styler_ok() -> bool:
    try:
        import jinja2  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        return False
    return True


_TABLE = [
    {"selector": "", "props": "border-collapse: collapse; font-size: 0.92em; margin-bottom: 1em"},
    {"selector": "th, td", "props": "padding: 2px 8px; border-bottom: 1px solid #e5e5e5"},
    {
        "selector": "caption",
        "props": "caption-side: top; text-align: left; font-weight: bold; padding: 4px 0;"
        " white-space: nowrap",
    },
]


def _table(frame: pd.DataFrame, caption: str, style: Any = None, fmt: Any = None) -> str:
    """One styled table (or a plain one without jinja2)."""
    if not _styler_ok():
        return f"<p><b>{html.escape(caption)}</b></p>" + frame.to_html(
            float_format=lambda v: f"{v:.3g}"
        )
    styler = frame.style.set_caption(html.escape(caption)).set_table_styles(_TABLE)
    if fmt is not None:
        styler = styler.format(fmt, na_rep="–")
    if style is not None:
        styler = style(styler)
    return styler.to_html()


def _shaded(values: pd.DataFrame, index: pd.DataFrame) -> Any:
    def apply(styler: Any) -> Any:
        css = index.reindex_like(values).apply(lambda col: col.map(shade))
        css = css.astype(object).where(css.notna(), "")
        css["overall"] = "font-style: italic"
        return styler.apply(lambda _: css, axis=None)

    return apply


def _flat(frame: pd.DataFrame, levels: int) -> pd.DataFrame:
    """Drop a leading ``family`` level (criteria) so the tables keep variable (and level)."""
    out = frame.copy()
    if out.index.nlevels > levels:
        out.index = out.index.droplevel(0)
    return out


# ---------------------------------------------------------------------------------------------
# SegmentProfile


def profile_html(prof: Any) -> str:
    summary = prof.summary
    names = prof.names_
    k, n = len(summary), float(summary["size"].sum())
    seg = pd.DataFrame(
        {
            "name": names.reindex(summary.index),
            "size": summary["size"],
            "share": summary["share"],
            "persona": prof.personas.reindex(summary.index),
        },
        index=summary.index,
    )
    small = summary.index[summary["small"].to_numpy(dtype=bool)].tolist()

    def seg_style(styler: Any) -> Any:
        styler = styler.set_properties(subset=["persona"], **{"text-align": "left"})
        if small:
            styler = styler.apply(
                lambda row: (
                    ["color: #b00020; font-weight: bold" if row.name in small else ""] * len(row)
                ),
                axis=1,
            )
        return styler.bar(subset=["share"], color="#9ecae1", vmin=0, vmax=1)

    parts = [
        "<div class='segmint-profile'>",
        f"<h4>Segment profile: {k} segments, {n:,.0f} customers</h4>",
    ]
    if small:
        parts.append(
            "<p style='color:#b00020'>Below min_size (too small to act on reliably): "
            f"{html.escape(', '.join(str(s) for s in small))}</p>"
        )
    parts.append(_table(seg, "Segments", seg_style, {"size": "{:,.0f}", "share": "{:.1%}"}))
    if len(prof.numeric):
        num = _flat(prof.numeric, 2)
        means = num.xs("mean", level=-1)
        index = num.xs("index", level=-1)
        parts.append(
            _table(
                means,
                "Numeric profile: segment means (shading: index vs overall, 100 = average)",
                _shaded(means, index),
                _number,
            )
        )
    if len(prof.categorical):
        shares = _flat(prof.categorical, 2)
        cindex = _flat(prof.category_index, 2)
        parts.append(
            _table(
                shares,
                "Category shares (shading: index vs overall)",
                _shaded(shares, cindex),
                "{:.1%}",
            )
        )
    tests = _flat(prof.tests, 1)
    cols = [
        c
        for c in ["test", "statistic", "df1", "df2", "p_holm", "effect", "effect_name"]
        if c in tests.columns
    ]
    shown = tests[cols].copy()
    if "df2" in shown:
        shown.loc[shown["test"] != "anova", "df2"] = np.nan  # χ² has one df

    def test_style(styler: Any) -> Any:
        styler = styler.bar(subset=["effect"], color="#fdae6b", vmin=0, vmax=1)
        return styler.apply(
            lambda col: [
                "font-weight: bold" if np.isfinite(p) and p <= prof.alpha else "color: #888"
                for p in col
            ],
            subset=["p_holm"],
        )

    parts.append(
        _table(
            shown,
            f"Tests of difference (Holm-adjusted p; bold: ≤ {prof.alpha:g}; effect: η² or "
            "Cramér's V)",
            test_style,
            {
                "statistic": "{:.4g}",
                "df1": "{:.0f}",
                "df2": "{:.0f}",
                "p_holm": "{:.3g}",
                "effect": "{:.3f}",
            },
        )
    )
    parts.append("</div>")
    return "".join(parts)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def profile_repr(prof: Any) -> str:
    summary = prof.summary
    names = prof.names_
    n_num = len(prof.numeric.index.get_level_values(-2).unique()) if len(prof.numeric) else 0
    n_cat = (
        len(prof.categorical.index.get_level_values(-2).unique()) if len(prof.categorical) else 0
    )
    lines = [
        f"SegmentProfile: {len(summary)} segments, {summary['size'].sum():,.0f} customers, "
        f"{n_num} numeric and {n_cat} categorical variables"
    ]
    for s in summary.index[:12]:
        flag = " [small]" if bool(summary.loc[s, "small"]) else ""
        lines.append(
            _clip(
                f"  {s} {names[s]!r}: n = {summary.loc[s, 'size']:,.0f} "
                f"({summary.loc[s, 'share']:.0%}){flag} — {prof.personas[s]}",
                110,
            )
        )
    if len(summary) > 12:
        lines.append(f"  … {len(summary) - 12} more")
    lines.append("  (tables: summary, numeric, categorical, category_index, tests; .plot())")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Migration


def migration_html(m: Any) -> str:
    table = m.table
    shares = table.div(table.sum(axis=1), axis=0)

    def style(styler: Any) -> Any:
        css = shares.apply(
            lambda col: col.map(
                lambda v: (
                    f"background-color: rgba(33, 102, 172, {0.08 + 0.8 * v:.2f}); "
                    + ("color: white" if v > 0.55 else "color: black")
                )
            )
        )
        return styler.apply(lambda _: css, axis=None)

    mapping = m.mapping

    parts = [
        "<div class='segmint-migration'>",
        "<h4>Segment migration</h4>",
        f"<p>{int(table.to_numpy().sum()):,} customers in both: <b>{m.share_moved:.1%}</b> "
        f"moved away from their segment's main successor; adjusted Rand index {m.ari:.3f}; "
        f"{len(m.new):,} new, {len(m.lost):,} lost.</p>",
        _table(table, "Customers: before (rows) × after (columns); shading: row share", style),
        _table(
            mapping, "Where each segment went", None, {"share": "{:.1%}", "customers": "{:,.0f}"}
        ),
        "</div>",
    ]
    return "".join(parts)


def migration_repr(m: Any) -> str:
    n = int(m.table.to_numpy().sum())
    head = (
        f"Migration: {n:,} customers in both, {m.share_moved:.1%} moved, ARI {m.ari:.3f}; "
        f"{len(m.new):,} new, {len(m.lost):,} lost"
    )
    if m.table.shape[0] <= 10 and m.table.shape[1] <= 10:
        return head + "\n" + m.table.to_string()
    return head + "\n(table: before × after counts; mapping: where each segment went)"


# ---------------------------------------------------------------------------------------------
# Any result object: a headline, one small table, the attributes


def short_repr(obj: Any, headline: str, table: pd.DataFrame | None = None) -> str:
    """One line about the result, a small table when it fits (≤ 15 rows, ≤ 110 characters
    wide), and the names of the attributes to look at."""
    lines = [f"{type(obj).__name__}: {headline}"]
    if table is not None and len(table) <= 15:
        text = table.to_string(max_cols=8, float_format=_number)
        if max(len(line) for line in text.splitlines()) <= 110:
            lines.append(text)
    names = [n for n in getattr(obj, "__dataclass_fields__", {}) if not n.startswith("_")]
    if names:
        lines.append("  (" + ", ".join(names) + ")")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# CHAID


def chaid_html(tree: Any) -> str:
    from sklearn.utils.validation import check_is_fitted

    params = pd.DataFrame(
        {"value": [repr(v) for v in tree.get_params().values()]},
        index=pd.Index(list(tree.get_params()), name="parameter"),
    )
    try:
        check_is_fitted(tree)
    except Exception:
        return (
            f"<div><h4>{html.escape(type(tree).__name__)} (not fitted)</h4>"
            + _table(params, "Parameters")
            + "</div>"
        )
    from ._plot_tree import branch_text

    t = tree.tree_
    total = float(t.loc[0, "weighted_n"])
    rows = []
    order: list[int] = []
    stack = [0]
    parent = t["parent"].to_numpy()
    while stack:
        v = stack.pop()
        order.append(v)
        stack.extend(reversed([int(c) for c in np.flatnonzero(parent == v)]))
    for v in order:
        row = t.loc[v]
        if tree._continuous:
            pred = f"mean {row['mean']:.4g}"
        else:
            p = row["prediction"]
            pred = f"{p} ({row[f'%[{p}]']:.1f} %)"
        branch = "all" if v == 0 else branch_text(tree._condition(v), 10**6).replace("\n", " ")
        if v:
            split_var = t.loc[int(parent[v]), "split"]
            branch = f"{split_var}: {branch}"
        inner = isinstance(row["split"], str)
        rows.append(
            {
                "node": v,
                "branch": branch,
                "n": float(row["weighted_n"]),
                "% of all": float(row["weighted_n"]) / total if total else np.nan,
                "prediction": pred,
                "split": row["split"] if inner else "",
                "adj. p": float(row["p_adjusted"]) if inner else np.nan,
            }
        )
    nodes = pd.DataFrame(rows).set_index("node")
    depth = t["depth"].reindex(nodes.index).to_numpy()

    def style(styler: Any) -> Any:
        pad = [f"padding-left: {0.5 + 1.4 * d:.1f}em !important; text-align: left" for d in depth]
        styler = styler.apply(lambda _: pad, subset=["branch"], axis=0)
        return styler.bar(subset=["% of all"], color="#9ecae1", vmin=0, vmax=1)

    risk = f", risk {tree.risk_:.4g}" if getattr(tree, "risk_", None) is not None else ""
    return "".join(
        [
            "<div class='segmint-chaid'>",
            f"<h4>CHAID tree for {html.escape(str(tree._target_name))}: {len(t)} nodes, "
            f"{tree.n_leaves_} leaves{html.escape(risk)}</h4>",
            _table(
                nodes,
                "Nodes (indented by depth)",
                style,
                {"n": "{:,.4g}", "% of all": "{:.1%}", "adj. p": "{:.3g}"},
            ),
            "<details><summary>Parameters</summary>",
            _table(params, "Parameters"),
            "</details></div>",
        ]
    )


__all__ = [
    "chaid_html",
    "migration_html",
    "migration_repr",
    "profile_html",
    "profile_repr",
    "shade",
    "short_repr",
]
