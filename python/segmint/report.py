"""A segmentation report sales and marketing can read: one self-contained HTML file.

Overview (sizes, names, personas), the profile heatmap by criteria family, the tests of
difference, stability, CHAID rules in plain language, market potential and migration, each
section when its input is given. Figures are embedded (PNG as base64, tables coloured with
CSS); the file needs no network and no JavaScript, and prints well.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .criteria import Criteria
from .errors import InvalidInputError
from .market import MarketMap, MarketMapDisplay
from .profile import Migration, SegmentProfile, profile

_CSS = """
:root { --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --accent: #2f5d8a; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px 32px 48px;
  line-height: 1.45; font-size: 15px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-bottom: 4px;
  border-bottom: 2px solid var(--accent); }
h3 { font-size: 16px; margin: 18px 0 6px; }
p.lead, p.note { color: var(--muted); margin: 4px 0 12px; }
nav { margin: 12px 0 8px; font-size: 14px; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: right;
  vertical-align: top; }
th { background: #f0f4f8; font-weight: 600; }
td.text, th.text { text-align: left; }
tr.family th { background: #e4ecf5; text-align: left; font-size: 13px;
  text-transform: uppercase; letter-spacing: 0.04em; }
.bar { display: inline-block; height: 10px; background: var(--accent); vertical-align: middle;
  margin-right: 6px; border-radius: 2px; }
.small { color: #b42318; font-weight: 600; }
.personas { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr));
  gap: 12px; margin: 8px 0; }
.persona { border: 1px solid var(--line); border-left: 4px solid var(--accent);
  padding: 8px 12px; border-radius: 4px; }
.persona h3 { margin: 0 0 4px; }
.persona .size { color: var(--muted); font-size: 13px; }
.heat td { min-width: 64px; text-align: center; }
.legend span { display: inline-block; padding: 2px 8px; margin-right: 4px; font-size: 12px; }
.rules li { margin: 4px 0; }
figure { margin: 8px 0 16px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 13px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, figure, .persona, .rules li { break-inside: avoid; page-break-inside: avoid; }
  section { break-before: auto; }
  section.major { break-before: page; page-break-before: always; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
"""


def _esc(v: Any) -> str:
    return html.escape(str(v))


def _num(v: Any, digits: int = 3) -> str:
    """Readable numbers: thousands separators for large ones, significant digits for small."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return _esc(v)
    if not math.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return (
            f"{x:,.{max(digits - 1, 0)}g}" if abs(x) < 10 else f"{x:,.1f}".rstrip("0").rstrip(".")
        )
    if abs(x) < 1e-4:
        return f"{x:.1e}"
    return f"{x:.{digits}g}"


def _p(v: Any) -> str:
    x = float(v)
    if not math.isfinite(x):
        return "–"
    return "&lt; 0.001" if x < 0.001 else f"{x:.3f}"


def _heat_colour(index: float) -> str:
    """Blue below the average, red above; white at index 100 (log2 scale, ±2 saturates)."""
    if not math.isfinite(index) or index <= 0:
        t = -1.0 if math.isfinite(index) else 0.0
    else:
        t = max(-1.0, min(1.0, math.log2(index / 100.0) / 2.0))
    if t >= 0:
        r, g, b = 255, int(255 - 150 * t), int(255 - 170 * t)
    else:
        r, g, b = int(255 + 170 * t), int(255 + 110 * t), 255
    return f"rgb({r},{g},{b})"


def _heat_style(index: float) -> str:
    """Cell colour, with white text on the darkest cells."""
    dark = math.isfinite(index) and (index <= 35 or index >= 330)
    return f"background:{_heat_colour(index)}" + (";color:#fff" if dark else "")


def _table(frame: pd.DataFrame, *, text_columns: tuple[str, ...] = (), index: bool = True) -> str:
    head = "".join(
        f"<th class='text'>{_esc(n)}</th>" for n in ([frame.index.name or ""] if index else [])
    )
    head += "".join(
        f"<th class='{'text' if c in text_columns else ''}'>{_esc(c)}</th>" for c in frame.columns
    )
    body = []
    for key, row in frame.iterrows():
        cells = f"<th class='text'>{_esc(key)}</th>" if index else ""
        for c in frame.columns:
            v = row[c]
            if c in text_columns or isinstance(v, str | bool | np.bool_):
                cells += f"<td class='text'>{_esc(v)}</td>"
            else:
                cells += f"<td>{_num(v)}</td>"
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _png(fig: Any, alt: str, caption: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"<figure><img alt='{_esc(alt)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{_esc(caption)}</figcaption></figure>"
    )


@dataclass
class Report:
    """A segmentation report: one self-contained HTML document. Build it with :func:`report`.

    Attributes
    ----------
    title : str
    sections : list of (anchor, heading, HTML body)
    subtitle : str
        The line under the title (customers and segments).

    Notes
    -----
    ``to_html()`` is the full document, ``save(path)`` writes it, and ``_repr_html_`` shows it
    in Jupyter inside an iframe (so that its stylesheet leaves the notebook alone).

    Examples
    --------
    >>> import segmint as sg
    >>> r = sg.Report("Empty", [("note", "Note", "<p>Nothing yet.</p>")])
    >>> "<h2>Note</h2>" in r.to_html()
    True
    """

    title: str
    sections: list[tuple[str, str, str]] = field(default_factory=list)
    subtitle: str = ""

    def _body(self) -> str:
        nav = "".join(f"<a href='#{a}'>{_esc(h)}</a>" for a, h, _ in self.sections)
        parts = [
            f"<header><h1>{_esc(self.title)}</h1>",
            f"<p class='lead'>{_esc(self.subtitle)}</p>" if self.subtitle else "",
            f"<nav>{nav}</nav></header>",
        ]
        for i, (anchor, heading, body) in enumerate(self.sections):
            major = " class='major'" if i > 0 and anchor in ("profile", "rules", "market") else ""
            parts.append(f"<section id='{anchor}'{major}><h2>{_esc(heading)}</h2>{body}</section>")
        from . import __version__

        parts.append(
            f"<footer>Made with segmint {_esc(__version__)}. Indices: segment value ÷ overall "
            "value × 100 (100 = average). Tests: ANOVA F for numbers, Pearson χ² for "
            "categories, p-values Holm-adjusted over all variables.</footer>"
        )
        return "".join(parts)

    def to_html(self) -> str:
        """The full HTML document (UTF-8, inline CSS, no scripts, no external resources).

        Returns
        -------
        str
            The document.

        Examples
        --------
        >>> import segmint as sg
        >>> sg.Report("Empty").to_html()[:15]
        '<!DOCTYPE html>'
        """
        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{_esc(self.title)}</title><style>{_CSS}</style></head>"
            f"<body>{self._body()}</body></html>\n"
        )

    def __repr__(self) -> str:
        headings = ", ".join(h for _, h, _ in self.sections)
        text = f"Report: {self.title!r}, {len(self.sections)} sections ({headings})"
        return text if len(text) <= 200 else text[:199] + "…"

    def _repr_html_(self) -> str:
        # In an iframe, so that the report's stylesheet does not restyle the notebook.
        doc = html.escape(self.to_html(), quote=True)
        return (
            f"<iframe class='segmint-report' title='{_esc(self.title)}' srcdoc=\"{doc}\" "
            "style='width:100%;height:820px;border:1px solid #d9e2ec'></iframe>"
        )

    def save(self, path: str | Path) -> Path:
        """Write the report to `path` (one HTML file) and return the path.

        Parameters
        ----------
        path : str or Path
            The file to write (overwritten).

        Returns
        -------
        Path
            The path written.

        Examples
        --------
        >>> import pathlib, tempfile, segmint as sg
        >>> out = sg.Report("Empty").save(pathlib.Path(tempfile.mkdtemp()) / "r.html")
        >>> out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        True
        """
        path = Path(path)
        path.write_text(self.to_html(), encoding="utf-8")
        return path


# --- sections --------------------------------------------------------------------------------


def _label(names: pd.Series, segment: Any) -> str:
    return f"{names.get(segment, segment)} ({segment})"


def _overview(prof: SegmentProfile) -> str:
    names = prof.names_
    s = prof.summary
    largest = float(s["share"].max())
    any_small = bool(s["small"].any())
    rows = []
    for seg, row in s.iterrows():
        width = round(160 * float(row["share"]) / largest) if largest > 0 else 0
        flag = (
            "<td class='text'><span class='small'>below min_size</span></td>"
            if bool(row["small"])
            else ("<td></td>" if any_small else "")
        )
        rows.append(
            f"<tr><th class='text'>{_esc(seg)}</th><td class='text'>{_esc(names[seg])}</td>"
            f"<td>{int(row['size']):,}</td><td class='text'><span class='bar' "
            f"style='width:{width}px'></span>{100 * row['share']:.1f}%</td>"
            f"{flag}</tr>"
        )
    table = (
        "<table><thead><tr><th class='text'>segment</th><th class='text'>name</th>"
        "<th>customers</th><th class='text'>share</th>"
        + ("<th class='text'>note</th>" if any_small else "")
        + "</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    cards = "".join(
        f"<div class='persona'><h3>{_esc(names[seg])}</h3>"
        f"<div class='size'>segment {_esc(seg)} · {int(s.loc[seg, 'size']):,} customers</div>"
        f"<p>{_esc(text)}</p></div>"
        for seg, text in prof.personas.items()
    )
    total = int(s["size"].sum())
    return (
        f"<p>{total:,} customers in {len(s)} segments. Names are derived from each segment's "
        "most distinguishing features.</p>"
        + table
        + "<h3>Personas</h3>"
        + f"<div class='personas'>{cards}</div>"
    )


def _heatmap(prof: SegmentProfile) -> str:
    names = prof.names_
    segments = list(prof.summary.index)
    rows: list[tuple[str, str, str, list[float], float]] = []  # family, variable, label, ...
    num, cat_share, cat_index = prof.numeric, prof.categorical, prof.category_index
    grouped = num.index.nlevels == 3 or cat_index.index.nlevels == 3

    def family_of(key: tuple) -> str:
        return str(key[0]) if grouped else ""

    if len(num):
        for key in num.index:
            if key[-1] != "index":
                continue
            var = key[-2]
            mean_key = (*key[:-1], "mean")
            rows.append(
                (
                    family_of(key),
                    str(var),
                    f"{var} (mean)",
                    [float(num.loc[key, s]) for s in segments],
                    float(num.loc[mean_key, "overall"]),
                )
            )
    for key in cat_index.index:
        var, level = key[-2], key[-1]
        rows.append(
            (
                family_of(key),
                str(var),
                f"{var} = {level}",
                [float(cat_index.loc[key, s]) for s in segments],
                float(cat_share.loc[key, "overall"]),
            )
        )
    if grouped and prof.criteria is not None:  # numeric and categorical rows together per family
        order = list(dict.fromkeys(prof.tests.index.get_level_values(0)))
        variables = list(prof.tests.index.get_level_values(-1))
        rows.sort(key=lambda r: (order.index(r[0]), variables.index(r[1])))
    head = "".join(f"<th>{_esc(names[s])}<br><small>({_esc(s)})</small></th>" for s in segments)
    body = []
    current = None
    for family, _var, label, values, overall in rows:
        if grouped and family != current:
            current = family
            body.append(
                f"<tr class='family'><th colspan='{len(segments) + 2}'>"
                f"{_esc(Criteria.title(family))}</th></tr>"
            )
        cells = "".join(
            f"<td style='{_heat_style(v)}'>{_num(round(v)) if math.isfinite(v) else '–'}</td>"
            for v in values
        )
        shown = f"{100 * overall:.0f}%" if "=" in label else _num(overall)
        body.append(f"<tr><th class='text'>{_esc(label)}</th><td>{_esc(shown)}</td>{cells}</tr>")
    legend = "".join(
        f"<span style='{_heat_style(v)}'>{v}</span>" for v in (25, 50, 80, 100, 125, 200, 400)
    )
    return (
        "<p>Each cell is an index: the segment's mean (numbers) or share (categories) ÷ the "
        "overall value × 100. Red: above average, blue: below.</p>"
        f"<p class='legend'>{legend}</p>"
        "<table class='heat'><thead><tr><th class='text'>variable</th><th>overall</th>"
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _tests(prof: SegmentProfile) -> str:
    t = prof.tests
    grouped = t.index.nlevels == 2
    rows = []
    current = None
    for key, row in t.iterrows():
        family, var = (key[0], key[1]) if grouped else ("", key)
        if grouped and family != current:
            current = family
            rows.append(
                f"<tr class='family'><th colspan='6'>{_esc(Criteria.title(family))}</th></tr>"
            )
        sig = row["p_holm"] <= prof.alpha
        df = _num(row["df1"]) + (f", {_num(row['df2'])}" if row["test"] == "anova" else "")
        effect = "η²" if row["effect_name"] == "eta2" else "Cramér's V"
        rows.append(
            f"<tr><th class='text'>{_esc(var)}</th><td class='text'>"
            f"{'ANOVA F' if row['test'] == 'anova' else 'χ²'}</td><td>{_num(row['statistic'])}"
            f"</td><td>{df}</td><td>{_p(row['p_holm'])}{' *' if sig else ''}</td>"
            f"<td>{effect} = {_num(row['effect'])}</td></tr>"
        )
    return (
        f"<p>Does the variable differ between segments? * : significant at α = {prof.alpha} "
        "after Holm's adjustment. Effect sizes: η² (share of variance explained) and Cramér's "
        "V (0 none – 1 perfect association).</p>"
        "<table><thead><tr><th class='text'>variable</th><th class='text'>test</th>"
        "<th>statistic</th><th>df</th><th>p (Holm)</th><th>effect</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _stability(stab: pd.DataFrame, names: pd.Series) -> str:
    frame = stab.copy()
    frame.insert(0, "name", [names.get(s, s) for s in frame.index])
    keep = [
        c for c in ("name", "size", "jaccard", "jaccard_sd", "dissolved", "verdict") if c in frame
    ]
    ari = stab.attrs.get("ari")
    note = f" Mean adjusted Rand index over the resamples: {ari:.3f}." if ari is not None else ""
    return (
        "<p>How well each segment survives resampling (Hennig's clusterboot): mean Jaccard "
        "similarity with its best match in bootstrap fits. ≥ 0.75 stable, ≥ 0.85 highly "
        f"stable, &lt; 0.5 dissolved.{note}</p>"
        + _table(frame[keep], text_columns=("name", "verdict"))
    )


def _plain_number(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _plain_condition(c: Any) -> str:
    name = c.column
    if c.continuous:
        if not c.labels:
            text = f"{name} missing"
        elif c.low == -math.inf and c.high == math.inf:
            text = f"any {name}"
        elif c.low == -math.inf:
            text = f"{name} at most {_plain_number(c.high)}"
        elif c.high == math.inf:
            text = f"{name} above {_plain_number(c.low)}"
        else:
            text = f"{name} above {_plain_number(c.low)} up to {_plain_number(c.high)}"
    else:
        seen = [str(v) for v in c.seen]
        if not seen:
            return f"{name} missing" if c.missing_seen else f"another {name}"
        listed = seen[0] if len(seen) == 1 else ", ".join(seen[:-1]) + " or " + seen[-1]
        text = f"{name} {listed}"
    if c.missing and c.missing_seen and c.labels:
        text += " (or missing)"
    return text


def _rules(tree: Any, prof: SegmentProfile) -> str:
    names = prof.names_
    nodes = tree.tree_
    leaves = nodes[nodes["leaf"]]
    by_segment: dict[Any, list[tuple[float, str]]] = {}
    sizes = prof.summary["size"]
    for v, row in leaves.iterrows():
        pred = row["prediction"]
        share = row[f"%[{pred}]"]
        path = tree._path(int(v))
        rule = " and ".join(_plain_condition(c) for c in path) or "all customers"
        n = row["weighted_n"]
        by_segment.setdefault(pred, []).append(
            (
                n,
                f"<li>Customers with {_esc(rule)}: {_num(n)} customers, {share:.0f}% of them "
                "in this segment.</li>",
            )
        )
    blocks = []
    for seg in prof.summary.index:
        found = [x for x in by_segment.items() if str(x[0]) == str(seg)]
        items = sorted(found[0][1], key=lambda t: -t[0]) if found else []
        body = (
            f"<ul class='rules'>{''.join(t for _, t in items)}</ul>"
            if items
            else "<p class='note'>No leaf of the tree has this segment as its majority: the "
            "segment is not described by simple rules on these variables.</p>"
        )
        blocks.append(f"<h3>{_esc(_label(names, seg))} — {int(sizes[seg]):,} customers</h3>{body}")
    acc = tree.classification_table_.loc["overall %"].iloc[-1]
    return (
        "<p>A CHAID tree that predicts the segment from the describing variables; each leaf "
        "is a rule a salesperson can apply. The tree assigns "
        f"{acc:.0f}% of the customers to their own segment.</p>" + "".join(blocks)
    )


def _market(market: MarketMap, names: pd.Series) -> str:
    seg = market.segments.copy()
    seg.insert(0, "name", [names.get(s, s) for s in seg.index])
    seg["penetration"] = 100 * seg["penetration"]
    seg = seg.rename(columns={"penetration": "penetration %", "prospects_no_fit": "no fit"})
    n_no = int((~market.prospects["fits"]).sum())
    rule = {
        "distance": "farther from the segment's centre than the "
        "customers of that segment (quantile of their distances)",
        "posterior": f"given a probability below {market.threshold} by the model",
        "none": "(the model gives no fit score)",
    }[market.rule]
    figure = ""
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - optional extra
        figure = "<p class='note'>Install matplotlib for the chart.</p>"
    else:
        fig = Figure(figsize=(7.2, 4.6))
        ax = fig.add_subplot()
        MarketMapDisplay(market.segments, names=names).plot(ax=ax)
        figure = _png(
            fig,
            "Potential vs penetration per segment",
            "Segments by potential (prospects × mean customer value) and penetration; bubble "
            "area: customers.",
        )
    return (
        f"<p>{len(market.prospects):,} prospects placed in the customer segments; {n_no:,} fit "
        f"no segment ({_esc(rule)}). Penetration = customers ÷ (customers + prospects); "
        "potential = prospects × mean value of the segment's customers.</p>"
        + _table(seg, text_columns=("name",))
        + figure
    )


def _migration(m: Migration, names: pd.Series) -> str:
    table = m.table.copy()
    table.index = [str(i) for i in table.index]
    table.columns = [str(names.get(c, c)) if c in names.index else str(c) for c in table.columns]
    table.index.name = "before \\ now"
    mapping = m.mapping.copy()
    mapping["became"] = [names.get(c, c) for c in mapping["became"]]
    mapping["share"] = 100 * mapping["share"]
    mapping = mapping.rename(columns={"share": "share %"})
    mapping.index.name = "before"
    return (
        f"<p>{100 * m.share_moved:.1f}% of the customers in both segmentations left their old "
        f"segment's main successor; adjusted Rand index {m.ari:.3f}; {len(m.new):,} new and "
        f"{len(m.lost):,} lost customers.</p>"
        + _table(table)
        + _table(mapping, text_columns=("became",))
    )


# --- the entry point ---------------------------------------------------------------------------


def _labels_of(model: Any, data: pd.DataFrame) -> pd.Series:
    labels = getattr(model, "labels_", None)
    if isinstance(labels, pd.Series) and labels.index.equals(data.index):
        return labels
    if hasattr(model, "predict"):
        names = getattr(model, "feature_names_in_", None)
        X = data[list(names)] if names is not None else data
        return pd.Series(np.asarray(model.predict(X)), index=data.index, name="segment")
    raise InvalidInputError(
        "profile_or_model: expected a SegmentProfile or a fitted model with labels_ or predict",
        "profile_or_model",
    )


def report(
    profile_or_model: Any,
    *,
    data: Any,
    criteria: Criteria | None = None,
    labels: Any = None,
    tree: Any = None,
    stability: pd.DataFrame | None = None,
    migration: Migration | None = None,
    market: MarketMap | None = None,
    title: str = "Customer segments",
) -> Report:
    """Build the segmentation report: one self-contained HTML page to hand over.

    Parameters
    ----------
    profile_or_model : SegmentProfile or fitted clustering model
        A profile from :func:`profile`, or a model whose ``labels_`` (on `data`'s rows) or
        ``predict(data)`` gives the segments; the profile is then computed on `data`.
    data : DataFrame
        The describing variables of the customers (the rows the segments were found on).
    criteria : Criteria, optional
        Groups the heatmap, the tests and the personas by family (default: the profile's).
    labels : Series, optional
        The segment of each row of `data` (default: from the model); needed with
        ``tree=True`` when a profile is given.
    tree : CHAID or True, optional
        A CHAID tree fitted to predict the segment from `data`, or True to fit one (depth 3,
        leaves of at least 3 % of the customers); its leaves become plain-language rules per
        segment.
    stability : DataFrame, optional
        The result of :func:`stability`.
    migration : Migration, optional
        The result of :func:`migration` (previous segmentation → this one).
    market : MarketMap, optional
        The result of :func:`market_map`.
    title : str, default "Customer segments"

    Returns
    -------
    Report
        ``save(path)`` writes one HTML file; ``_repr_html_`` shows it in Jupyter.

    Raises
    ------
    InvalidInputError
        `data` is not a DataFrame, the model gives no labels, ``tree=True`` without labels.

    See Also
    --------
    profile, market_map, stability, migration

    Examples
    --------
    >>> import numpy as np, segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> spend = np.log(customers[sg.datasets.SPEND_COLUMNS])
    >>> km = sg.KMeans(3, random_state=0).fit((spend - spend.mean()) / spend.std())
    >>> crit = sg.Criteria(environmental=["Channel"], organisational=["Region"],
    ...                    individual=sg.datasets.SPEND_COLUMNS)
    >>> r = sg.report(km, data=customers, criteria=crit, tree=True, title="Wholesale")
    >>> [heading for _, heading, _ in r.sections]  # doctest: +NORMALIZE_WHITESPACE
    ['Overview', 'Profile by criteria family', 'What differs between segments',
     'Rules that describe each segment']
    """
    if not isinstance(data, pd.DataFrame):
        raise InvalidInputError("data: expected a pandas DataFrame of the customers", "data")
    if isinstance(profile_or_model, SegmentProfile):
        prof = profile_or_model
        if labels is not None:
            labels = (
                pd.Series(labels, index=data.index)
                if not isinstance(labels, pd.Series)
                else labels
            )
        if criteria is not None and prof.criteria != criteria:
            if labels is None:
                raise InvalidInputError(
                    "criteria: the profile was made with other criteria; pass labels= to "
                    "profile again, or build it with profile(..., criteria=)",
                    "criteria",
                )
            prof = profile(data, labels, criteria=criteria, alpha=prof.alpha)
    else:
        labels = labels if labels is not None else _labels_of(profile_or_model, data)
        prof = profile(data, labels, criteria=criteria)
    if criteria is None:
        criteria = prof.criteria
    names = prof.names_
    sections = [("overview", "Overview", _overview(prof))]
    heading = "Profile by criteria family" if criteria is not None else "Profile"
    sections.append(("profile", heading, _heatmap(prof)))
    sections.append(("tests", "What differs between segments", _tests(prof)))
    if stability is not None:
        sections.append(("stability", "Stability", _stability(stability, names)))
    if tree is not None and tree is not False:
        if tree is True:
            if labels is None:
                raise InvalidInputError(
                    "labels: tree=True with a profile needs the segment labels of data",
                    "labels",
                )
            from .chaid import CHAID

            n = len(data)
            child = max(10, round(0.03 * n))
            tree = CHAID(max_depth=3, min_parent_size=2 * child, min_child_size=child).fit(
                data, labels.reindex(data.index).rename("segment")
            )
        sections.append(("rules", "Rules that describe each segment", _rules(tree, prof)))
    if market is not None:
        sections.append(("market", "Market potential", _market(market, names)))
    if migration is not None:
        sections.append(
            ("migration", "Migration since the last segmentation", _migration(migration, names))
        )
    sizes = prof.summary["size"]
    subtitle = f"{int(sizes.sum()):,} customers · {len(sizes)} segments"
    return Report(title=title, sections=sections, subtitle=subtitle)


__all__ = ["Report", "report"]
