"""The chart displays of segmint.plot: profile heatmap, choosing k, stability, dendrogram,
simulated shares and HB traces. Each one is a :class:`segmint.plot.Display`."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .plot import (
    DIVERGING_CMAP,
    STABILITY_LINES,
    Display,
    contrast_color,
    index_norm,
    index_ticks,
    pyplot,
    segment_colors,
    wrap,
)


def panels(ax: Any, nrows: int, ncols: int, figsize: tuple[float, float]) -> tuple[Any, Any]:
    """The figure and a (nrows × ncols) array of axes: a new figure when ``ax`` is None, the
    given axes when ``ax`` is a sequence of them, or the area of one given axes split into a
    grid."""
    plt = pyplot()
    if ax is None:
        fig, axes = plt.subplots(
            nrows, ncols, figsize=figsize, layout="constrained", squeeze=False
        )
        return fig, axes.ravel()
    if np.ndim(ax) > 0:
        axes = np.asarray(ax, dtype=object).ravel()
        if len(axes) < nrows * ncols:
            raise ValueError(f"ax: expected {nrows * ncols} axes, got {len(axes)}")
        return axes[0].figure, axes
    fig = ax.figure
    spec = ax.get_subplotspec()
    if spec is None:  # a free-standing axes: split its rectangle
        x0, y0, w, h = ax.get_position().bounds
        ax.remove()
        axes = [
            fig.add_axes(
                (
                    x0 + c * w / ncols,
                    y0 + (nrows - 1 - r) * h / nrows,
                    w / ncols * 0.8,
                    h / nrows * 0.75,
                )
            )
            for r in range(nrows)
            for c in range(ncols)
        ]
        return fig, np.asarray(axes, dtype=object)
    grid = spec.subgridspec(nrows, ncols)
    ax.remove()
    axes = [fig.add_subplot(grid[r, c]) for r in range(nrows) for c in range(ncols)]
    return fig, np.asarray(axes, dtype=object)


# ---------------------------------------------------------------------------------------------
# Profile heatmap


class ProfileDisplay(Display):
    """Heatmap of a :class:`~segmint.SegmentProfile`: the index of every numeric mean and
    category share (segment ÷ overall × 100; 100 = average) per segment.

    Rows are grouped — the numeric variables first, then each categorical variable with its
    categories — and the groups are separated by white lines and named on the right. Colours
    diverge from white at 100 on a log scale (index 50 and 200 equally strong), the colour
    bar reads in index points, and each cell's number is printed in black or white, whichever
    contrasts with its colour. Column labels give the segment, its name, its size and share;
    segments below the profile's ``min_size`` are marked "small" in red with a dashed frame.

    Parameters
    ----------
    profile : SegmentProfile
        From :func:`segmint.profile`.

    Attributes
    ----------
    data : DataFrame
        The indices drawn (rows: variables and categories, columns: segments).
    groups : list of (str, int, int)
        Each group's title and its first and last row.
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes
    colorbar_ : matplotlib Colorbar

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> spend = np.log(customers[sg.datasets.SPEND_COLUMNS])
    >>> km = sg.KMeans(3, random_state=0).fit((spend - spend.mean()) / spend.std())
    >>> shown = sg.profile(customers, km.labels_).plot()
    >>> shown.colorbar_.ax.get_xlabel()
    'index (segment ÷ overall × 100; 100 = average)'
    """

    def __init__(self, profile: Any) -> None:
        self.profile = profile
        rows: list[pd.DataFrame] = []
        groups: list[tuple[str, int, int]] = []
        start = 0
        if len(profile.numeric):
            idx = profile.numeric.xs("index", level=-1).drop(columns="overall")
            if idx.index.nlevels > 1:
                idx.index = idx.index.get_level_values(-1)
            idx.index = [str(v) for v in idx.index]
            rows.append(idx)
            groups.append(("numeric (mean)", start, start + len(idx) - 1))
            start += len(idx)
        if len(profile.category_index):
            ci = profile.category_index.drop(columns="overall")
            variables = ci.index.get_level_values(-2)
            for var in dict.fromkeys(variables):
                block = ci[variables == var]
                block.index = [str(t[-1]) for t in block.index]
                rows.append(block)
                groups.append((str(var), start, start + len(block) - 1))
                start += len(block)
        self.data = pd.concat(rows) if rows else pd.DataFrame()
        self.groups = groups

    def _size(self) -> tuple[float, float]:
        k = max(self.data.shape[1], 1)
        return (3.4 + 1.45 * k, 2.6 + 0.3 * len(self.data))

    def _draw(
        self, ax: Any, *, fontsize: float = 8.5, cmap: str = DIVERGING_CMAP, **kwargs: Any
    ) -> None:
        plt = pyplot()
        data = self.data.to_numpy(dtype=float)
        norm = index_norm(data)
        colormap = plt.get_cmap(cmap).with_extremes(bad="0.92")
        shown = np.where(np.isfinite(data), np.clip(data, norm.vmin, norm.vmax), np.nan)
        image = ax.imshow(
            np.ma.masked_invalid(shown),
            cmap=colormap,
            norm=norm,
            aspect="auto",
            interpolation="nearest",
        )
        for (i, j), v in np.ndenumerate(data):
            if np.isfinite(v):
                colour = contrast_color(colormap(norm(shown[i, j])))
                text = f"{v:.0f}"
            else:
                colour, text = "0.4", "–"
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=colour)
        summary = self.profile.summary
        names = self.profile.names_ if self.profile._names is not None else None
        labels = []
        for seg in self.data.columns:
            head = f"{seg}: {names[seg]}" if names is not None else f"segment {seg}"
            size, share = summary.loc[seg, "size"], summary.loc[seg, "share"]
            label = f"{wrap(head, 18, 4)}\nn = {size:,.0f} ({share:.0%})"
            if bool(summary.loc[seg, "small"]):
                label += "\nsmall"
            labels.append(label)
        ax.xaxis.tick_top()
        ax.set_xticks(range(self.data.shape[1]), labels, fontsize=fontsize)
        for tick, seg in zip(ax.get_xticklabels(), self.data.columns, strict=True):
            if bool(summary.loc[seg, "small"]):
                tick.set_color("#b00020")
                tick.set_fontweight("bold")
        ax.set_yticks(range(len(self.data)), list(self.data.index), fontsize=fontsize)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        for j, seg in enumerate(self.data.columns):
            if bool(summary.loc[seg, "small"]):
                ax.add_patch(
                    plt.Rectangle(
                        (j - 0.47, -0.47),
                        0.94,
                        len(self.data) - 0.06,
                        fill=False,
                        ec="#b00020",
                        lw=1.5,
                        ls="--",
                    )
                )
        trans = ax.get_yaxis_transform()
        for title, first, last in self.groups:
            if first > 0:
                ax.axhline(first - 0.5, color="white", lw=3)
            ax.plot(
                [1.015, 1.015],
                [first - 0.35, last + 0.35],
                color="0.4",
                lw=1,
                transform=trans,
                clip_on=False,
            )
            ax.text(
                1.03,
                (first + last) / 2,
                wrap(title, 16, 2),
                transform=trans,
                ha="left",
                va="center",
                fontsize=fontsize,
                fontweight="bold",
            )
        for j in range(1, self.data.shape[1]):
            ax.axvline(j - 0.5, color="white", lw=1)
        self.colorbar_ = self.figure_.colorbar(
            image,
            ax=ax,
            orientation="horizontal",
            location="bottom",
            shrink=0.7,
            aspect=40,
            pad=0.02,
            extend="both"
            if np.nanmax(np.abs(np.log(np.clip(data, 1e-9, None) / 100)), initial=0)
            > np.log(norm.vmax / 100)
            else "neither",
        )
        ticks = index_ticks(norm)
        self.colorbar_.set_ticks(ticks, labels=[f"{t:.0f}" for t in ticks])
        self.colorbar_.ax.minorticks_off()
        self.colorbar_.set_label("index (segment ÷ overall × 100; 100 = average)")
        ax.set_title("Segment profile: index vs overall", fontsize=fontsize + 2, pad=8)


# ---------------------------------------------------------------------------------------------
# Choosing k


class SelectKDisplay(Display):
    """The criteria of :func:`segmint.select_k` against k, one panel each: inertia (elbow),
    silhouette, Calinski–Harabasz, Davies–Bouldin and the gap statistic with ± 1 SE bars.

    Each panel marks its own best k (a filled dot) and a dashed line marks the recommended k
    (the gap statistic's firstSEmax rule); the figure title names it.

    Parameters
    ----------
    table : DataFrame
        The result of :func:`segmint.select_k`.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : ndarray of matplotlib Axes
        The six panels (the last holds the legend).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> X = np.log(customers[sg.datasets.SPEND_COLUMNS])
    >>> table = sg.select_k(X, range(2, 5), n_refs=3, random_state=0)
    >>> shown = table.plot()
    >>> shown.ax_[4].get_title()
    'gap statistic (± 1 SE)'
    """

    _figsize = (11.0, 6.2)

    _PANELS = (
        ("inertia", "inertia (within-segment SS)", None),
        ("silhouette", "silhouette (higher is better)", "max"),
        ("calinski_harabasz", "Calinski–Harabasz (higher is better)", "max"),
        ("davies_bouldin", "Davies–Bouldin (lower is better)", "min"),
        ("gap", "gap statistic (± 1 SE)", None),
    )

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table

    def plot(self, ax: Any = None, **kwargs: Any) -> SelectKDisplay:
        """Draw the six panels (on ``ax``: None, a sequence of six axes, or one axes whose area
        is split) and return the display.

        Parameters
        ----------
        ax : matplotlib Axes or sequence of Axes, optional
        **kwargs
            Passed to ``Axes.plot`` for the curves.

        Returns
        -------
        SelectKDisplay

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np, segmint as sg
        >>> from segmint.plot import SelectKDisplay
        >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
        >>> table = sg.select_k(X, range(2, 4), n_refs=2, random_state=0)
        >>> fig, ax = plt.subplots(figsize=(10, 6))
        >>> shown = SelectKDisplay(table).plot(ax=ax)  # the axes' area split in six
        >>> len(shown.ax_), shown.figure_ is fig
        (6, True)
        """
        fig, axes = panels(ax, 2, 3, self._figsize)
        self.figure_, self.ax_ = fig, axes
        t = self.table
        ks = t.index.to_numpy()
        rec = t.index[t["recommended"].to_numpy(dtype=bool)] if "recommended" in t else []
        k_rec = rec[0] if len(rec) else None
        for a, (column, title, best) in zip(axes, self._PANELS, strict=False):
            a.set_title(title, fontsize=10)
            a.set_xlabel("k (segments)")
            a.grid(alpha=0.3)
            if column not in t or not np.isfinite(t[column].to_numpy(dtype=float)).any():
                a.text(
                    0.5,
                    0.5,
                    "not computed\n(numeric data only)",
                    ha="center",
                    va="center",
                    transform=a.transAxes,
                    color="0.4",
                )
                continue
            y = t[column].to_numpy(dtype=float)
            if column == "gap":
                a.errorbar(
                    ks,
                    y,
                    yerr=t["gap_se"].to_numpy(dtype=float),
                    fmt="o-",
                    capsize=3,
                    color="C0",
                    **kwargs,
                )
            else:
                a.plot(ks, y, "o-", color="C0", ms=4, **kwargs)
            if best is not None and np.isfinite(y).any():
                i = int(np.nanargmax(y) if best == "max" else np.nanargmin(y))
                a.plot(
                    ks[i],
                    y[i],
                    "o",
                    ms=10,
                    mfc="C1",
                    mec="black",
                    zorder=3,
                    label="best by this criterion",
                )
            if k_rec is not None:
                a.axvline(k_rec, color="C3", ls="--", lw=1.2, label=f"recommended k = {k_rec}")
            a.set_xticks(ks)
        legend = axes[5]
        legend.axis("off")
        handles, labels = [], []
        for a in axes[:5]:
            h, lab = a.get_legend_handles_labels()
            for hi, li in zip(h, lab, strict=True):
                if li not in labels:
                    handles.append(hi)
                    labels.append(li)
        if handles:
            legend.legend(handles, labels, loc="center", frameon=False)
        title = "Choosing the number of segments"
        if k_rec is not None:
            title += f": the gap statistic recommends k = {k_rec}"
        fig.suptitle(title)
        return self


# ---------------------------------------------------------------------------------------------
# Stability


class StabilityDisplay(Display):
    """Mean bootstrap Jaccard similarity of each segment (:func:`segmint.stability`), with its
    standard deviation and Hennig's lines at 0.5 (below: dissolved), 0.75 (stable) and 0.85
    (highly stable).

    Parameters
    ----------
    table : DataFrame
        The result of :func:`segmint.stability`.
    names : dict or Series, optional
        Segment names for the axis labels.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> X = np.log(customers[sg.datasets.SPEND_COLUMNS])
    >>> shown = sg.stability(sg.KMeans(3, n_init=2), X, n_boot=5, random_state=0).plot()
    >>> shown.ax_.get_ylabel()
    'mean Jaccard similarity (bootstrap)'
    """

    _figsize = (6.4, 4.2)
    _COLOURS: ClassVar[dict[str, str]] = {
        "dissolved": "#c0392b",
        "unstable": "#e67e22",
        "patterns": "#f1c40f",
        "stable": "#5dade2",
        "highly stable": "#1f618d",
        "undefined": "0.7",
    }

    def __init__(self, table: pd.DataFrame, names: Any = None) -> None:
        self.table = table
        self.names = names

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        t = self.table
        x = np.arange(len(t))
        colours = [self._COLOURS.get(v, "0.6") for v in t["verdict"]]
        kwargs.setdefault("edgecolor", "black")
        ax.bar(
            x,
            t["jaccard"],
            yerr=t["jaccard_sd"],
            color=colours,
            capsize=4,
            width=0.6,
            error_kw={"lw": 1, "ecolor": "0.3"},
            **kwargs,
        )
        for xi, (j, verdict) in enumerate(zip(t["jaccard"], t["verdict"], strict=True)):
            if np.isfinite(j):
                ax.text(
                    xi,
                    0.03,
                    f"{j:.2f}\n{verdict}",
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color=contrast_color(colours[xi]),
                )
        for level, text in zip(
            STABILITY_LINES, ("dissolved (below)", "stable", "highly stable"), strict=True
        ):
            ax.axhline(level, color="0.25", ls=(0, (4, 3)), lw=0.9)
            ax.text(
                1.01,
                level,
                f"{level:g} {text}",
                transform=ax.get_yaxis_transform(),
                va="center",
                ha="left",
                fontsize=8,
                color="0.25",
            )
        names = self.names
        labels = []
        for seg, size in zip(t.index, t["size"], strict=True):
            head = str(seg)
            if names is not None and hasattr(names, "get") and names.get(seg) is not None:
                head = f"{seg}: {wrap(str(names.get(seg)), 14, 2)}"
            labels.append(f"{head}\nn = {size:,}")
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_xlim(-0.6, len(t) - 0.4)
        ax.set_xlabel("segment")
        ax.set_ylabel("mean Jaccard similarity (bootstrap)")
        ari = t.attrs.get("ari")
        title = "Segment stability (clusterboot)"
        if ari is not None:
            title += f"; mean ARI {ari:.2f}"
        ax.set_title(title)


# ---------------------------------------------------------------------------------------------
# Dendrogram


class DendrogramDisplay(Display):
    """The dendrogram of a :class:`~segmint.Ward` fit (SciPy's drawing), cut into its
    segments: the cut height is a dashed line and the branches below it are coloured per
    segment. Large trees are truncated to the last ``p`` merges (leaf labels give the number of
    customers in parentheses).

    Parameters
    ----------
    linkage : ndarray of shape (n - 1, 4)
        SciPy linkage matrix (``Ward.linkage_matrix_``).
    n_clusters : int
        Where the tree is cut.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes
    dendrogram_ : dict
        What ``scipy.cluster.hierarchy.dendrogram`` returned.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, segmint as sg
    >>> X = np.log(sg.datasets.load_wholesale()[sg.datasets.SPEND_COLUMNS])
    >>> shown = sg.Ward(n_clusters=3).fit(X).dendrogram()
    >>> shown.ax_.get_ylabel()
    'merge height (Ward)'
    """

    _figsize = (8.0, 4.4)

    def __init__(self, linkage: np.ndarray, n_clusters: int) -> None:
        self.linkage = np.asarray(linkage, dtype=float)
        self.n_clusters = int(n_clusters)

    def _draw(self, ax: Any, *, p: int = 30, **kwargs: Any) -> None:
        from scipy.cluster.hierarchy import dendrogram

        z = self.linkage
        n = len(z) + 1
        k = self.n_clusters
        heights = np.sort(z[:, 2])
        cut = None
        if 2 <= k <= n - 1:
            cut = 0.5 * (heights[n - k - 1] + heights[n - k])
        elif k == 1 and n > 1:
            cut = heights[-1] * 1.02
        truncate = n > p
        from matplotlib.colors import to_hex
        from scipy.cluster import hierarchy

        colours = [to_hex(c) for c in segment_colors(max(k, 1))]

        hierarchy.set_link_color_palette(colours)
        try:
            self.dendrogram_ = dendrogram(
                z,
                ax=ax,
                truncate_mode="lastp" if truncate else None,
                p=p,
                color_threshold=cut if cut is not None else 0,
                above_threshold_color="0.35",
                show_contracted=truncate,
                leaf_font_size=8,
                **kwargs,
            )
        finally:
            hierarchy.set_link_color_palette(None)
        if cut is not None and k >= 2:
            ax.axhline(cut, color="C3", ls="--", lw=1)
            ax.text(
                1.0,
                cut,
                f" cut: {k} segments",
                transform=ax.get_yaxis_transform(),
                color="C3",
                va="bottom",
                ha="right",
                fontsize=9,
            )
        ax.set_ylabel("merge height (Ward)")
        ax.set_xlabel(
            f"customers (top {p} branches; (n) = customers in a branch, else the row)"
            if truncate
            else "customers"
        )
        ax.set_title("Ward dendrogram")
        ax.spines[["top", "right"]].set_visible(False)


# ---------------------------------------------------------------------------------------------
# Simulated shares


class SharesDisplay(Display):
    """Simulated shares of the scenario products (from
    :meth:`segmint.conjoint.MarketSimulator.shares`) as horizontal bars with their values.

    Parameters
    ----------
    shares : Series
        Shares in percent, indexed by product (``"none"`` is drawn in grey).
    rule : str, default "share_of_preference"
        The simulation rule (for the axis label).

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from segmint.plot import SharesDisplay
    >>> shown = SharesDisplay(pd.Series({"A": 60.0, "B": 30.0, "none": 10.0})).plot()
    >>> [t.get_text() for t in shown.ax_.get_yticklabels()]
    ['A', 'B', 'none']
    """

    _figsize = (6.4, 3.6)

    def __init__(self, shares: pd.Series, rule: str = "share_of_preference") -> None:
        self.shares = shares
        self.rule = rule

    def _size(self) -> tuple[float, float]:
        return (6.4, 1.4 + 0.42 * len(self.shares))

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        s = self.shares
        y = np.arange(len(s))
        colours = [
            "0.6" if str(p) == "none" else c
            for p, c in zip(s.index, segment_colors(len(s)), strict=True)
        ]
        kwargs.setdefault("height", 0.6)
        ax.barh(y, s.to_numpy(dtype=float), color=colours, **kwargs)
        top = float(np.nanmax(s.to_numpy(dtype=float))) if len(s) else 1.0
        for yi, v in zip(y, s, strict=True):
            ax.text(v + top * 0.01, yi, f"{v:.1f} %", va="center", ha="left", fontsize=9)
        ax.set_yticks(y, [str(p) for p in s.index])
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.15 if top > 0 else 1)
        rule = self.rule.replace("_", " ")
        ax.set_xlabel(f"share, % ({rule})")
        ax.set_title("Simulated market shares")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", alpha=0.3)


# ---------------------------------------------------------------------------------------------
# HB traces


class HBTraceDisplay(Display):
    """Convergence of a :class:`~segmint.conjoint.HierarchicalBayes` fit: the log-likelihood
    of every chain per iteration (burn-in shaded) and the rank-normalised split-R̂ of every
    population mean (with the 1.01 and 1.05 lines).

    Parameters
    ----------
    trace : DataFrame
        ``HierarchicalBayes.trace_`` (indexed by chain and iteration, with ``loglik``).
    rhat : Series
        ``HierarchicalBayes.rhat_``.
    burn_in : int
        Iterations discarded.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : ndarray of two matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> from segmint.plot import HBTraceDisplay
    >>> trace = pd.DataFrame({"loglik": -np.r_[np.linspace(90, 50, 20), np.linspace(95, 50, 20)]},
    ...     index=pd.MultiIndex.from_product([[0, 1], range(20)], names=["chain", "iteration"]))
    >>> shown = HBTraceDisplay(trace, pd.Series({"a": 1.002, "b": 1.08}), 10).plot()
    >>> shown.ax_[1].get_xlabel()
    'R̂ (rank-normalised split)'
    """

    _figsize = (11.0, 4.0)

    def __init__(self, trace: pd.DataFrame, rhat: pd.Series, burn_in: int) -> None:
        self.trace = trace
        self.rhat = rhat
        self.burn_in = int(burn_in)

    def _size(self) -> tuple[float, float]:
        return (11.0, max(3.6, 1.2 + 0.22 * len(self.rhat)))

    def plot(self, ax: Any = None, **kwargs: Any) -> HBTraceDisplay:
        """Draw both panels (on ``ax``: None, two axes, or one axes whose area is split).

        Parameters
        ----------
        ax : matplotlib Axes or sequence of two Axes, optional
        **kwargs
            Passed to ``Axes.plot`` for the traces.

        Returns
        -------
        HBTraceDisplay

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import numpy as np, pandas as pd
        >>> from segmint.plot import HBTraceDisplay
        >>> index = pd.MultiIndex.from_product([[0], range(4)], names=["chain", "iteration"])
        >>> trace = pd.DataFrame({"loglik": [-9.0, -7, -6, -6]}, index=index)
        >>> len(HBTraceDisplay(trace, pd.Series({"a": 1.01}), 2).plot().ax_)
        2
        """
        fig, axes = panels(ax, 1, 2, self._size())
        self.figure_, self.ax_ = fig, axes
        left, right = axes
        chains = self.trace.index.get_level_values("chain").unique()
        kwargs.setdefault("lw", 0.8)
        for c in chains:
            ll = self.trace.xs(c, level="chain")["loglik"]
            left.plot(ll.index, ll.to_numpy(), label=f"chain {c}", **kwargs)
        left.axvspan(0, self.burn_in, color="0.9", zorder=0, label="burn-in")
        left.set_xlabel("iteration")
        left.set_ylabel("log-likelihood")
        left.set_title("Trace of the log-likelihood")
        left.legend(fontsize=8, loc="lower right")
        r = self.rhat.to_numpy(dtype=float)
        y = np.arange(len(r))
        bad = ~(r <= 1.05)
        right.scatter(
            np.where(np.isfinite(r), r, np.nan), y, c=np.where(bad, "C3", "C0"), s=22, zorder=3
        )
        right.axvline(1.01, color="0.5", ls=":", lw=1)
        right.axvline(1.05, color="C3", ls="--", lw=1)
        top = right.get_xaxis_transform()
        right.text(1.01, 1.01, "1.01", transform=top, ha="right", va="bottom", fontsize=8)
        right.text(
            1.05, 1.01, "1.05: warn", transform=top, ha="left", va="bottom", fontsize=8, color="C3"
        )
        right.set_yticks(y, [str(v) for v in self.rhat.index], fontsize=8)
        right.invert_yaxis()
        finite = r[np.isfinite(r)]
        lo = min(0.995, float(finite.min()) - 0.005) if len(finite) else 0.995
        hi = max(1.06, float(finite.max())) if len(finite) else 1.06
        right.set_xlim(lo, hi + 0.06 * (hi - lo))
        right.set_xlabel("R̂ (rank-normalised split)")
        right.set_title("R̂ of the population means α", pad=14)
        right.grid(axis="x", alpha=0.3)
        return self


__all__ = [
    "DendrogramDisplay",
    "HBTraceDisplay",
    "ProfileDisplay",
    "SelectKDisplay",
    "SharesDisplay",
    "StabilityDisplay",
]
