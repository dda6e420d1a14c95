"""Plots as display objects, the scikit-learn way, and the helpers they share.

Every chart in segmint is a ``…Display``: ``plot(ax=None, **kwargs)`` draws into the given axes
(or a new figure) and returns the display, which holds ``figure_`` and ``ax_``. The display has
no rich repr of its own, so Jupyter shows each figure exactly once (the inline backend shows the
figure; the cell's value prints as one short line). matplotlib is optional
(``pip install 'segmint[plot]'``) and imported only when something is drawn.

The helpers here are shared by every plot: :func:`new_axes` (the lazy import with a clear error),
:class:`Display` (the base class), :func:`contrast_color` (black or white text on a coloured
cell), :func:`index_norm` and :data:`DIVERGING_CMAP` (a diverging colour scale centred on an
index of 100), and :func:`segment_map` (the segments on their first two principal components).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidInputError

#: The diverging colormap of index heatmaps: blue below average, red above.
DIVERGING_CMAP = "RdBu_r"

#: Where the quality bands of :func:`segmint.stability` start (Hennig 2007).
STABILITY_LINES = (0.5, 0.75, 0.85)

_INSTALL = "plotting needs matplotlib: pip install 'segmint[plot]' (or pip install matplotlib)"


def pyplot() -> Any:
    """``matplotlib.pyplot``, imported on first use.

    Returns
    -------
    module
        ``matplotlib.pyplot``.

    Raises
    ------
    ImportError
        matplotlib is not installed; the message says how to install it.

    Examples
    --------
    >>> from segmint.plot import pyplot
    >>> pyplot().__name__
    'matplotlib.pyplot'
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL) from e
    return plt


def new_axes(ax: Any = None, figsize: tuple[float, float] = (6.4, 4.8)) -> tuple[Any, Any]:
    """The figure and axes to draw on: those of ``ax``, or a new figure of ``figsize`` inches.

    Parameters
    ----------
    ax : matplotlib Axes, optional
        Draw here; None makes a new figure (constrained layout).
    figsize : (float, float), default (6.4, 4.8)
        Size of a new figure in inches.

    Returns
    -------
    (Figure, Axes)

    Raises
    ------
    ImportError
        matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from segmint.plot import new_axes
    >>> fig, ax = new_axes(figsize=(3, 2))
    >>> fig.get_size_inches().tolist()
    [3.0, 2.0]
    """
    plt = pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


class Display:
    """Base class of segmint's plots (scikit-learn's Display pattern).

    A subclass stores what it draws in ``__init__`` and implements ``_draw(ax, **kwargs)``;
    :meth:`plot` makes or takes the axes, draws, and returns the display with ``figure_`` and
    ``ax_`` set. Displays deliberately have no ``_repr_png_`` / ``_repr_html_``: the notebook
    shows the figure once, through matplotlib.

    Parameters
    ----------
    None
        The base class takes none; each subclass takes the data it draws.

    Attributes
    ----------
    figure_ : matplotlib Figure
        The figure drawn on (set by :meth:`plot`).
    ax_ : matplotlib Axes
        The main axes drawn on (set by :meth:`plot`).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from segmint.plot import Display
    >>> class Line(Display):
    ...     def _draw(self, ax, **kwargs):
    ...         ax.plot([0, 1], [0, 1], **kwargs)
    >>> shown = Line().plot(color="C1")
    >>> shown.ax_.lines[0].get_color()
    'C1'
    """

    figure_: Any
    ax_: Any
    _figsize: tuple[float, float] = (6.4, 4.8)

    def _size(self) -> tuple[float, float]:
        return self._figsize

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw on ``ax`` (a new figure when None) and return the display.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            The axes to draw into.
        **kwargs
            Passed to the drawing (see the subclass).

        Returns
        -------
        Display
            ``self``, with ``figure_`` and ``ax_`` set.

        Raises
        ------
        ImportError
            matplotlib is not installed.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from segmint.plot import SharesDisplay
        >>> fig, (left, right) = plt.subplots(1, 2)
        >>> shown = SharesDisplay(pd.Series({"A": 70.0, "B": 30.0})).plot(ax=right)
        >>> shown.ax_ is right, shown.figure_ is fig
        (True, True)
        """
        fig, ax = new_axes(ax, self._size())
        self.figure_, self.ax_ = fig, ax
        self._draw(ax, **kwargs)
        return self

    def savefig(self, path: Any, **kwargs: Any) -> None:
        """Save the drawn figure (``bbox_inches="tight"`` unless given otherwise).

        Parameters
        ----------
        path : str or path-like or file
            Where to write; the format follows the extension.
        **kwargs
            Passed to ``Figure.savefig``.

        Raises
        ------
        AttributeError
            Nothing has been drawn yet (call :meth:`plot` first).

        Examples
        --------
        >>> import io, matplotlib; matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from segmint.plot import SharesDisplay
        >>> buffer = io.BytesIO()
        >>> SharesDisplay(pd.Series({"A": 70.0, "B": 30.0})).plot().savefig(buffer, format="png")
        >>> buffer.getvalue()[:4]
        b'\x89PNG'
        """
        kwargs.setdefault("bbox_inches", "tight")
        self.figure_.savefig(path, **kwargs)

    def __repr__(self) -> str:
        drawn = "drawn" if hasattr(self, "figure_") else "not drawn"
        return f"<{type(self).__name__} ({drawn})>"


# ---------------------------------------------------------------------------------------------
# Colours


def contrast_color(rgba: Any) -> str:
    """Black or white, whichever reads better on the background colour ``rgba``.

    Uses the WCAG relative luminance: black text when the background's luminance exceeds
    0.179 (where the two contrast ratios are equal), white otherwise.

    Parameters
    ----------
    rgba : tuple of float or colour spec
        The background (anything ``matplotlib.colors.to_rgba`` reads).

    Returns
    -------
    str
        ``"black"`` or ``"white"``.

    Examples
    --------
    >>> from segmint.plot import contrast_color
    >>> contrast_color((0.05, 0.1, 0.4, 1.0)), contrast_color("lightyellow")
    ('white', 'black')
    """
    from matplotlib.colors import to_rgba

    r, g, b, _ = to_rgba(rgba)

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "black" if luminance > 0.179 else "white"


def index_norm(
    values: Any, center: float = 100.0, *, span: tuple[float, float] = (1.5, 4.0)
) -> Any:
    """A logarithmic colour norm centred on an index of ``center`` (100 = average).

    Index 50 and index 200 get colours equally far from the centre. The range covers the
    largest ratio in ``values`` (to ``center`` or from it), kept within ``span``: at least
    ×1.5 (so that near-average data stay pale) and at most ×4 (beyond it the colours saturate).

    Parameters
    ----------
    values : array-like
        The index values to be coloured (NaN and non-positive values are ignored).
    center : float, default 100
        The neutral value.
    span : (float, float), default (1.5, 4.0)
        Smallest and largest ratio from the centre to the ends of the scale.

    Returns
    -------
    matplotlib.colors.LogNorm
        With ``vmin = center / r`` and ``vmax = center · r``.

    Examples
    --------
    >>> from segmint.plot import index_norm
    >>> norm = index_norm([40, 100, 180])
    >>> round(norm.vmin, 1), round(norm.vmax, 1), round(float(norm(100)), 12)
    (40.0, 250.0, 0.5)
    """
    from matplotlib.colors import LogNorm

    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    ratio = float(np.exp(np.abs(np.log(v / center)).max())) if len(v) else span[0]
    r = float(np.clip(ratio, span[0], span[1]))
    return LogNorm(vmin=center / r, vmax=center * r)


def index_ticks(norm: Any) -> list[float]:
    """Readable colour-bar ticks (index points) within a :func:`index_norm`'s range.

    Parameters
    ----------
    norm : matplotlib.colors.LogNorm
        From :func:`index_norm`.

    Returns
    -------
    list of float

    Examples
    --------
    >>> from segmint.plot import index_norm, index_ticks
    >>> index_ticks(index_norm([50, 200]))
    [50.0, 67.0, 100.0, 150.0, 200.0]
    """
    candidates = [25.0, 33.0, 50.0, 67.0, 80.0, 100.0, 125.0, 150.0, 200.0, 300.0, 400.0]
    inside = [t for t in candidates if norm.vmin * 0.999 <= t <= norm.vmax * 1.001]
    if len(inside) > 5:
        inside = [t for t in inside if t not in (80.0, 125.0)]
    if len(inside) > 7:
        inside = [t for t in inside if t not in (33.0, 300.0)]
    return inside


def wrap(text: str, width: int = 18, max_lines: int = 3) -> str:
    """``text`` wrapped to ``width`` characters a line, at most ``max_lines`` lines (an ellipsis
    marks a cut).

    Parameters
    ----------
    text : str
    width : int, default 18
    max_lines : int, default 3

    Returns
    -------
    str

    Examples
    --------
    >>> from segmint.plot import wrap
    >>> print(wrap("Retail, high Detergents Paper", 14))
    Retail, high
    Detergents
    Paper
    """
    return "\n".join(textwrap.wrap(str(text), width, max_lines=max_lines, placeholder="…"))


def segment_colors(n: int) -> list[Any]:
    """``n`` distinct colours for segments (tab10, then tab20).

    Parameters
    ----------
    n : int

    Returns
    -------
    list of RGBA tuples

    Examples
    --------
    >>> from segmint.plot import segment_colors
    >>> len(segment_colors(3))
    3
    """
    plt = pyplot()
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Segment map


class SegmentMapDisplay(Display):
    """Customers on the first two principal components of the clustering features, coloured by
    segment, with the segment centres marked. Build it with :func:`segment_map`.

    Parameters
    ----------
    scores : DataFrame
        ``PC1``, ``PC2`` per customer.
    labels : Series
        The segment of each customer (aligned with ``scores``).
    explained : ndarray of shape (2,)
        Share of the variance each component explains.
    names : dict or Series, optional
        Segment names for the legend.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, pandas as pd
    >>> from segmint.plot import SegmentMapDisplay
    >>> scores = pd.DataFrame({"PC1": [0, 1, 5, 6.0], "PC2": [0, 1, 0, 1.0]})
    >>> shown = SegmentMapDisplay(scores, pd.Series([0, 0, 1, 1]), np.array([0.9, 0.1])).plot()
    >>> shown.ax_.get_xlabel()
    'PC1 (90.0 % of variance)'
    """

    _figsize = (6.4, 5.0)

    def __init__(
        self, scores: pd.DataFrame, labels: pd.Series, explained: Any, names: Any = None
    ) -> None:
        self.scores = scores
        self.labels = labels
        self.explained = np.asarray(explained, dtype=float)
        self.names = names

    def _draw(self, ax: Any, *, s: float = 12, alpha: float = 0.6, **kwargs: Any) -> None:
        labels = pd.Series(np.asarray(self.labels), index=self.scores.index)
        segments = [
            g for g in pd.unique(labels) if not (isinstance(g, int | np.integer) and g < 0)
        ]
        segments = sorted(segments, key=str) if len(segments) else []
        colors = segment_colors(len(segments))
        names = self.names if self.names is not None else {}
        xy = self.scores.to_numpy(dtype=float)
        for colour, seg in zip(colors, segments, strict=True):
            rows = (labels == seg).to_numpy()
            name = names.get(seg, None) if hasattr(names, "get") else None
            label = f"{seg}: {name}" if name is not None else str(seg)
            ax.scatter(
                xy[rows, 0],
                xy[rows, 1],
                s=s,
                alpha=alpha,
                color=colour,
                lw=0,
                label=label,
                **kwargs,
            )
            centre = xy[rows].mean(axis=0)
            ax.scatter(*centre, marker="X", s=180, color=colour, edgecolor="black", lw=1.2)
            ax.annotate(
                str(seg),
                centre,
                xytext=(7, 7),
                textcoords="offset points",
                fontsize=10,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": colour, "alpha": 0.85},
            )
        pct = 100 * self.explained
        ax.set_xlabel(f"PC1 ({pct[0]:.1f} % of variance)")
        ax.set_ylabel(f"PC2 ({pct[1]:.1f} % of variance)")
        ax.set_title("Segment map (principal components; X = segment centre)")
        ax.legend(title="segment", fontsize=8, markerscale=1.5, loc="best", framealpha=0.85)
        ax.grid(alpha=0.25)


def segment_map(
    X: Any, labels: Any, *, names: Any = None, ax: Any = None, **kwargs: Any
) -> SegmentMapDisplay:
    """Draw the segments on the first two principal components of their clustering features.

    The numeric columns of ``X`` are standardised (mean 0, sd 1) and projected on their first
    two principal components (an SVD); each customer is a dot coloured by segment, each
    segment's centre (the mean of its dots) a cross.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        The clustering features (numeric columns are used; at least two).
    labels : Series or array-like
        Segment of each row (a Series is aligned on X's index); negative labels (unassigned)
        are left out.
    names : dict or Series, optional
        Segment names for the legend, e.g. ``SegmentProfile.names_``.
    ax : matplotlib Axes, optional
        Draw here (a new figure when None).
    **kwargs
        Passed to ``Axes.scatter`` for the customers (``s``, ``alpha``, ...).

    Returns
    -------
    SegmentMapDisplay

    Raises
    ------
    InvalidInputError
        Fewer than two numeric columns, or labels of another length.
    ImportError
        matplotlib is not installed.

    See Also
    --------
    sklearn.decomposition.PCA : the same projection.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import numpy as np, segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> X = np.log(customers[sg.datasets.SPEND_COLUMNS])
    >>> km = sg.KMeans(3, random_state=0).fit(X)
    >>> shown = sg.plot.segment_map(X, km.labels_)
    >>> len(shown.ax_.get_legend().get_texts())
    3
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    numeric = frame.select_dtypes("number")
    if numeric.shape[1] < 2:
        raise InvalidInputError("X: a segment map needs at least two numeric columns", "X")
    if isinstance(labels, pd.Series):
        lab = labels.reindex(numeric.index)
    else:
        arr = np.asarray(labels)
        if len(arr) != len(numeric):
            raise InvalidInputError(
                f"labels: expected {len(numeric)} labels, got {len(arr)}", "labels"
            )
        lab = pd.Series(arr, index=numeric.index)
    keep = numeric.notna().all(axis=1) & lab.notna()
    values = numeric[keep].to_numpy(dtype=float)
    sd = values.std(axis=0)
    z = (values - values.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    u, s, vt = np.linalg.svd(z, full_matrices=False)
    signs = np.sign(vt[:2].sum(axis=1))  # deterministic orientation
    signs[signs == 0] = 1
    pcs = u[:, :2] * s[:2] * signs
    explained = s[:2] ** 2 / max(float((s**2).sum()), 1e-300)
    scores = pd.DataFrame(pcs, index=numeric.index[keep], columns=["PC1", "PC2"])
    return SegmentMapDisplay(scores, lab[keep], explained, names=names).plot(ax=ax, **kwargs)


def _labels_of(names: Any, keys: Sequence[Any]) -> list[str]:
    if names is None:
        return [str(k) for k in keys]
    get = names.get if hasattr(names, "get") else dict(enumerate(names)).get
    return [str(get(k, k)) for k in keys]


# The displays live in their own modules (they import the helpers above).
from ._plot_charts import (  # noqa: E402
    DendrogramDisplay,
    HBTraceDisplay,
    ProfileDisplay,
    SelectKDisplay,
    SharesDisplay,
    StabilityDisplay,
)
from ._plot_tree import ChaidTreeDisplay  # noqa: E402

__all__ = [
    "ChaidTreeDisplay",
    "DendrogramDisplay",
    "Display",
    "HBTraceDisplay",
    "ProfileDisplay",
    "SegmentMapDisplay",
    "SelectKDisplay",
    "SharesDisplay",
    "StabilityDisplay",
    "contrast_color",
    "index_norm",
    "index_ticks",
    "new_axes",
    "segment_colors",
    "segment_map",
    "wrap",
]
