"""Drawing a fitted CHAID tree: a tidy layout (Reingold–Tilford with per-level contours and
measured box widths) that never overlaps node boxes or branch labels, the matplotlib display,
and the Graphviz DOT export."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._chaid_tree import Condition, py_value
from .errors import InvalidInputError
from .plot import Display, pyplot, wrap

_H_GAP = 0.14  # inches between neighbouring slots (boxes / branch labels)
_V_GAP = 0.12  # inches between a box band, the connector bus and the next label band
_BOX = {"boxstyle": "round,pad=0.35", "fc": "#e8f0fb", "ec": "#4a6fa5", "lw": 1.0}
_LEAF = {"boxstyle": "round,pad=0.35", "fc": "#fdf2e3", "ec": "#b9770e", "lw": 1.0}
_EDGE = {"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none"}
_BOX_PAD, _EDGE_PAD = 0.35, 0.15


def _num(v: float) -> str:
    """A cut point or a mean: 4 significant digits, thousands written out (11,130 not
    1.113e+04)."""
    return f"{v:,.0f}" if 1e4 <= abs(v) < 1e15 else f"{v:.4g}"


def _count(v: float) -> str:
    """A (weighted) node size: whole numbers with thousands separators, else one decimal."""
    return f"{round(v):,}" if float(v).is_integer() else f"{v:,.1f}"


def branch_text(c: Condition, width: int = 24) -> str:
    """The short label of a branch: the categories (or the range) it takes, without the
    variable's name (the parent's box names it)."""
    if c.continuous:
        if not c.labels:
            return "missing"
        if c.low == -math.inf and c.high == math.inf:
            s = "any value"
        elif c.low == -math.inf:
            s = f"≤ {_num(c.high)}"
        elif c.high == math.inf:
            s = f"> {_num(c.low)}"
        else:
            s = f"({_num(c.low)}, {_num(c.high)}]"
    else:
        if not c.seen:
            return "missing" if c.missing_seen else "other"
        s = ", ".join(str(py_value(v)) for v in c.seen)
    if c.missing and c.missing_seen:
        s += ", missing"
    return wrap(s, width, 4)


def selected_nodes(tree: Any, max_depth: int | None, node_ids: Any) -> tuple[int, list[int]]:
    """The root of the drawing and the nodes drawn (pre-order). ``node_ids``: one node (its
    subtree) or several (their subtrees joined through their lowest common ancestor);
    ``max_depth``: levels below that root."""
    t = tree.tree_
    parent = t["parent"].to_numpy()
    n = len(parent)
    if node_ids is None:
        ids = [0]
    else:
        ids = [node_ids] if np.ndim(node_ids) == 0 else list(node_ids)
        if not ids:
            raise InvalidInputError("node_ids: give at least one node", "node_ids")
        for v in ids:
            if not isinstance(v, int | np.integer) or not 0 <= int(v) < n:
                raise InvalidInputError(f"node_ids: no node {v!r} (0..{n - 1})", "node_ids")
        ids = [int(v) for v in ids]
    if max_depth is not None and (not isinstance(max_depth, int | np.integer) or max_depth < 0):
        raise InvalidInputError(f"max_depth: an integer >= 0, got {max_depth!r}", "max_depth")

    def path(v: int) -> list[int]:
        out = [v]
        while parent[out[-1]] >= 0:
            out.append(int(parent[out[-1]]))
        return out[::-1]

    paths = [path(v) for v in ids]
    root = 0
    for level in zip(*paths, strict=False):
        if len(set(level)) > 1:
            break
        root = level[0]
    keep: set[int] = set()
    for p in paths:
        keep.update(p[p.index(root) :])
    children: dict[int, list[int]] = {}
    for v in range(n):
        if parent[v] >= 0:
            children.setdefault(int(parent[v]), []).append(v)
    stack = list(ids)
    while stack:  # the subtrees of the given nodes
        v = stack.pop()
        keep.add(v)
        stack.extend(children.get(v, []))
    depth = t["depth"].to_numpy()
    base = depth[root]
    if max_depth is not None:
        keep = {v for v in keep if depth[v] - base <= max_depth}
    order: list[int] = []
    stack = [root]
    while stack:
        v = stack.pop()
        order.append(v)
        stack.extend(reversed([c for c in children.get(v, []) if c in keep]))
    return root, order


def node_text(tree: Any, v: int, hidden: int) -> str:
    row = tree.tree_.loc[v]
    total = float(tree.tree_.loc[0, "weighted_n"])
    share = 100 * float(row["weighted_n"]) / total if total > 0 else float("nan")
    lines = [f"Node {v}", f"n = {_count(float(row['weighted_n']))} ({share:.1f} %)"]
    if tree._continuous:
        lines.append(f"mean = {_num(float(row['mean']))}")
    else:
        pred = row["prediction"]
        lines.append(f"{wrap(str(pred), 22, 2)}: {float(row[f'%[{pred}]']):.1f} %")
    if isinstance(row["split"], str):
        lines.append(wrap(f"split: {row['split']}", 24, 2))
    if hidden:
        lines.append(f"(+{hidden} nodes below)")
    return "\n".join(lines)


@dataclass
class TreeLayout:
    x: dict[int, float]  # centre of each node (inches)
    top: dict[int, float]  # top of each node's box
    label_y: dict[int, float]  # centre of each branch label
    bus: dict[int, float]  # y of the connector bus under each inner node
    width: float
    height: float
    left: float


def tidy_layout(
    root: int,
    children: dict[int, list[int]],
    depth: dict[int, int],
    box: dict[int, tuple[float, float]],
    label: dict[int, tuple[float, float]],
    scale: float = 1.0,
) -> TreeLayout:
    """Reingold–Tilford: each subtree is laid out on its own, siblings are pushed apart until
    their contours (the left- and rightmost extent at every level below) keep a gap, and a
    parent is centred over its first and last child. A node's slot is the wider of its box and
    its branch label (drawn just above the box), so neither can overlap at any level."""

    h_gap, v_gap = _H_GAP * scale, _V_GAP * scale

    def slot(v: int) -> float:
        return max(box[v][0], label[v][0] if v in label else 0.0)

    offset: dict[int, float] = {}

    def place(v: int) -> dict[int, tuple[float, float]]:
        half = slot(v) / 2
        kids = children.get(v, [])
        if not kids:
            return {0: (-half, half)}
        merged: dict[int, tuple[float, float]] = {}
        xs: list[float] = []
        for c in kids:
            contour = place(c)
            shift = 0.0
            if merged:
                shift = max(merged[d][1] - contour[d][0] + h_gap for d in contour if d in merged)
            xs.append(shift)
            for d, (lo, hi) in contour.items():
                if d in merged:
                    merged[d] = (min(merged[d][0], lo + shift), max(merged[d][1], hi + shift))
                else:
                    merged[d] = (lo + shift, hi + shift)
        centre = (xs[0] + xs[-1]) / 2
        for c, xc in zip(kids, xs, strict=True):
            offset[c] = xc - centre
        out = {0: (-half, half)}
        for d, (lo, hi) in merged.items():
            out[d + 1] = (lo - centre, hi - centre)
        return out

    contour = place(root)
    x = {root: 0.0}
    stack = [root]
    while stack:
        v = stack.pop()
        for c in children.get(v, []):
            x[c] = x[v] + offset[c]
            stack.append(c)
    left = min(lo for lo, _ in contour.values())
    right = max(hi for _, hi in contour.values())
    levels = sorted(set(depth.values()))
    box_h = {d: max(box[v][1] for v in depth if depth[v] == d) for d in levels}
    lab_h = {
        d: max((label[v][1] for v in depth if depth[v] == d and v in label), default=0.0)
        for d in levels
    }
    top_of_level: dict[int, float] = {}
    label_centre: dict[int, float] = {}
    y = 0.0
    for d in levels:
        if d > levels[0]:
            label_centre[d] = y - lab_h[d] / 2
            y -= lab_h[d] + v_gap
        top_of_level[d] = y
        y -= box_h[d] + 2 * v_gap  # the bus sits one gap below the tallest box
        y -= v_gap
    bottom = top_of_level[levels[-1]] - box_h[levels[-1]]
    top = {v: top_of_level[depth[v]] for v in depth}
    label_y = {v: label_centre[depth[v]] for v in depth if v in label}
    bus = {v: top_of_level[depth[v]] - box_h[depth[v]] - v_gap for v in children}
    return TreeLayout(x, top, label_y, bus, right - left, -bottom, left)


class ChaidTreeDisplay(Display):
    """A CHAID tree drawn as a tidy tree: one box per node (its id, size n with its share of
    the root, the predicted class with its percentage or the mean, and the split variable), each
    branch labelled with the categories or range it takes.

    The layout is Reingold–Tilford's: subtrees are placed side by side as close as their
    contours allow, with every box and branch label measured in the renderer first, so no two
    boxes and no two labels overlap at any depth. A new figure is sized to the tree (the text
    shrinks when the tree would be wider than ``max_width`` inches); on a given ``ax`` the
    tree is scaled to fit.

    Parameters
    ----------
    tree : CHAID
        A fitted :class:`segmint.CHAID`.
    max_depth : int, optional
        Draw only this many levels below the top node.
    node_ids : int or list of int, optional
        Draw the subtree of this node (several: their subtrees joined through their lowest
        common ancestor).

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes
    node_texts_ : dict of int to matplotlib Text
        The box of every node drawn (the box is the text's bbox patch).
    edge_texts_ : dict of int to matplotlib Text
        The label of the branch into every node drawn below the top one.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> tree = sg.CHAID(max_depth=2).fit(customers.drop(columns="Channel"), customers["Channel"])
    >>> shown = tree.plot()
    >>> sorted(shown.node_texts_) == tree.tree_.index.tolist()
    True
    >>> len(tree.plot(node_ids=1).node_texts_) < len(shown.node_texts_)
    True
    """

    def __init__(self, tree: Any, *, max_depth: int | None = None, node_ids: Any = None) -> None:
        self.tree = tree
        self.root, self.nodes = selected_nodes(tree, max_depth, node_ids)

    def plot(
        self, ax: Any = None, *, fontsize: float = 8.0, max_width: float = 26.0, **kwargs: Any
    ) -> ChaidTreeDisplay:
        """Draw the tree and return the display.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw here, scaled to fit (a new figure sized to the tree when None).
        fontsize : float, default 8
            Text size before any scaling.
        max_width : float, default 26
            Widest new figure, in inches.
        **kwargs
            Passed to ``Axes.plot`` for the connectors.

        Returns
        -------
        ChaidTreeDisplay

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import segmint as sg
        >>> from segmint.plot import ChaidTreeDisplay
        >>> customers = sg.datasets.load_wholesale()
        >>> tree = sg.CHAID(max_depth=2).fit(customers.drop(columns="Channel"),
        ...                                  customers["Channel"])
        >>> shown = ChaidTreeDisplay(tree, max_depth=1).plot(fontsize=9)
        >>> shown.node_texts_[0].get_fontsize()
        9.0
        """
        plt = pyplot()
        tree = self.tree
        parent = tree.tree_["parent"].to_numpy()
        depth_all = tree.tree_["depth"].to_numpy()
        children: dict[int, list[int]] = {}
        all_children: dict[int, list[int]] = {}
        for v in range(len(parent)):
            if parent[v] >= 0:
                all_children.setdefault(int(parent[v]), []).append(v)
        for v in self.nodes:
            if v != self.root:
                children.setdefault(int(parent[v]), []).append(v)

        def below(v: int) -> int:
            stack, count = list(all_children.get(v, [])), 0
            while stack:
                u = stack.pop()
                count += 1
                stack.extend(all_children.get(u, []))
            return count

        texts = {
            v: node_text(tree, v, 0 if v in children or v not in all_children else below(v))
            for v in self.nodes
        }
        labels = {v: branch_text(tree._condition(v)) for v in self.nodes if v != self.root}
        depth = {v: int(depth_all[v]) for v in self.nodes}

        new = ax is None
        if new:
            fig = plt.figure(figsize=(4, 3))
            ax = fig.add_axes((0, 0, 1, 1))
        else:
            fig = ax.figure
            if fig.get_layout_engine() is not None:
                fig.draw_without_rendering()  # settle the axes' size before fitting the tree
        ax.axis("off")
        node_art = {
            v: ax.text(
                0,
                0,
                s,
                ha="center",
                va="top",
                fontsize=fontsize,
                zorder=4,
                bbox=dict(_LEAF if v not in all_children else _BOX),
            )
            for v, s in texts.items()
        }
        edge_art = {
            v: ax.text(
                0,
                0,
                s,
                ha="center",
                va="center",
                fontsize=fontsize * 0.9,
                zorder=3,
                color="0.2",
                bbox=dict(_EDGE),
            )
            for v, s in labels.items()
        }
        renderer = fig.canvas.get_renderer()
        title_h = 0.45

        def measure(size: float) -> TreeLayout:
            for art in node_art.values():
                art.set_fontsize(size)
            for art in edge_art.values():
                art.set_fontsize(size * 0.9)
            dpi = fig.dpi
            box = {}
            for v, art in node_art.items():
                e = art.get_window_extent(renderer)
                pad = 2 * _BOX_PAD * size / 72
                box[v] = (e.width / dpi + pad, e.height / dpi + pad)
            lab = {}
            for v, art in edge_art.items():
                e = art.get_window_extent(renderer)
                pad = 2 * _EDGE_PAD * size * 0.9 / 72
                lab[v] = (e.width / dpi + pad, e.height / dpi + pad)
            self._box = box
            return tidy_layout(self.root, children, depth, box, lab, size / 8.0)

        layout = measure(fontsize)
        size = fontsize
        if new:
            scale = min(1.0, max_width / max(layout.width, 1e-9))
        else:
            bb = ax.get_window_extent(renderer)
            w_in, h_in = bb.width / fig.dpi, bb.height / fig.dpi
            scale = min(1.0, w_in / max(layout.width, 1e-9), h_in / max(layout.height, 1e-9))
        for _ in range(4):  # shrink until it fits (text extents are not exactly linear)
            if scale >= 1.0:
                break
            size *= scale * 0.99
            layout = measure(size)
            if new:
                scale = min(1.0, max_width / layout.width)
            else:
                scale = min(1.0, w_in / layout.width, h_in / layout.height)
        margin = 0.15
        if new:
            width, height = layout.width + 2 * margin, layout.height + 2 * margin + title_h
            fig.set_size_inches(width, height)
            ax.set_position((0, 0, 1, 1))
            x0 = layout.left - margin
            ax.set_xlim(x0, x0 + width)
            ax.set_ylim(-layout.height - margin, margin + title_h)
        else:
            cx = layout.left + layout.width / 2
            cy = -layout.height / 2 + title_h / 2
            ax.set_xlim(cx - w_in / 2, cx + w_in / 2)
            ax.set_ylim(cy - h_in / 2, cy + h_in / 2)
        pad = _BOX_PAD * size / 72
        for v, art in node_art.items():
            art.set_position((layout.x[v], layout.top[v] - pad))
        for v, art in edge_art.items():
            art.set_position((layout.x[v], layout.label_y[v]))
        kwargs.setdefault("color", "0.55")
        kwargs.setdefault("lw", 1.0)
        for u, kids in children.items():
            bottom = layout.top[u] - self._box[u][1]
            bus = layout.bus[u]
            xs = [layout.x[c] for c in kids]
            ax.plot([layout.x[u], layout.x[u]], [bottom, bus], zorder=1, **kwargs)
            ax.plot([min(xs), max(xs)], [bus, bus], zorder=1, **kwargs)
            for c in kids:
                ax.plot([layout.x[c], layout.x[c]], [bus, layout.top[c]], zorder=1, **kwargs)
        what = "mean" if tree._continuous else "predicted class: %"
        sub = f", from node {self.root}" if self.root else ""
        ax.set_title(
            f"CHAID tree for {tree._target_name}{sub} (box: node, n (% of all), {what})",
            fontsize=size + 2,
            y=1.0 - (0.1 / (layout.height + 0.75) if new else 0.0),
            va="top" if new else "baseline",
        )
        self.figure_, self.ax_ = fig, ax
        self.node_texts_ = {v: node_art[v] for v in self.nodes}
        self.edge_texts_ = {v: edge_art[v] for v in self.nodes if v in edge_art}
        return self


def export_graphviz(tree: Any, *, max_depth: int | None = None, node_ids: Any = None) -> str:
    """The tree as Graphviz DOT text (see :meth:`segmint.CHAID.export_graphviz`)."""
    root, nodes = selected_nodes(tree, max_depth, node_ids)
    parent = tree.tree_["parent"].to_numpy()
    has_kids = set(int(p) for p in parent if p >= 0)
    drawn = set(nodes)

    def quote(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = [
        "digraph CHAID {",
        "  graph [rankdir=TB, label=" + quote(f"CHAID tree for {tree._target_name}") + "];",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for v in nodes:
        hidden = 0
        if v in has_kids and not any(int(parent[c]) == v for c in drawn):
            hidden = int(sum(1 for _ in _descendants(parent, v)))
        colour = '"#e8f0fb", color="#4a6fa5"' if v in has_kids else '"#fdf2e3", color="#b9770e"'
        lines.append(f"  {v} [label={quote(node_text(tree, v, hidden))}, fillcolor={colour}];")
    for v in nodes:
        if v != root:
            text = branch_text(tree._condition(v)).replace("\n", " ")
            lines.append(f"  {int(parent[v])} -> {v} [label={quote(text)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _descendants(parent: np.ndarray, v: int) -> Sequence[int]:
    out, frontier = [], [v]
    while frontier:
        kids = [int(c) for c in np.flatnonzero(np.isin(parent, frontier))]
        out.extend(kids)
        frontier = kids
    return out


__all__ = ["ChaidTreeDisplay", "branch_text", "export_graphviz", "tidy_layout"]
