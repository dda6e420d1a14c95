"""CHAID's reports: the leaves' rules, SPSS's gains table, the text and Graphviz exports, the
HTML view and the drawing — everything that only reads a fitted tree. :class:`CHAID` inherits
them from :class:`ChaidReports`, so the estimator module keeps the fitting and the scoring."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ._chaid_tree import Condition, TreeArrays, fmt_num
from .errors import InvalidInputError

if TYPE_CHECKING:
    from ._frame import MeasuredTable
    from .plot import ChaidTreeDisplay


class ChaidReports:
    """The reports of a fitted :class:`~segmint.CHAID` tree (a base class of it, not used on
    its own)."""

    if TYPE_CHECKING:
        # What the reports read of the fitted estimator (defined by CHAID).
        _tree: TreeArrays
        _encoding: Any
        _continuous: bool
        _target_name: Any
        classes_: np.ndarray
        n_leaves_: int
        tree_: pd.DataFrame
        test: str

        @property
        def _n_nodes(self) -> int: ...
        def _children(self, v: int) -> list[int]: ...
        def _predictor_column(self, p: int) -> int: ...
        def _condition(self, v: int) -> Condition: ...
        def _path(self, v: int) -> list[Condition]: ...
        def _leaf_values(self) -> tuple[np.ndarray, np.ndarray]: ...
        def _data(self, X: Any) -> MeasuredTable: ...
        def _leaves(self, data: MeasuredTable) -> np.ndarray: ...
        def __sklearn_is_fitted__(self) -> bool: ...

    def rules(self, fmt: str = "text") -> pd.Series:
        """One rule per leaf (index: node id): "text" for people, "pandas" for
        ``DataFrame.query`` (selects exactly the leaf's rows), "sql" for a WHERE clause.

        Parameters
        ----------
        fmt : {"text", "pandas", "sql"}, default "text"
            The form of the rules.

        Returns
        -------
        Series
            One rule per leaf, indexed by node id, named "rule".

        Raises
        ------
        InvalidInputError
            Unknown ``fmt``.

        Examples
        --------
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> X, y = customers.drop(columns="Channel"), customers["Channel"]
        >>> tree = sg.CHAID(max_depth=2).fit(X, y)
        >>> rules = tree.rules(fmt="pandas")
        >>> leaf = int(rules.index[0])
        >>> leaf, len(X.query(rules[leaf])) == int((tree.apply(X) == leaf).sum())
        (1, True)
        """
        check_is_fitted(self)
        if fmt not in ("text", "pandas", "sql"):
            raise InvalidInputError(f"fmt: must be 'text', 'pandas' or 'sql', got {fmt!r}", "fmt")
        leaves = np.flatnonzero(self._tree.split < 0)
        out = {}
        for v in leaves:
            path = self._path(int(v))
            if fmt == "text":
                out[int(v)] = " and ".join(c.text() for c in path) or "all rows"
            elif fmt == "pandas":
                out[int(v)] = (
                    " and ".join(c.pandas() for c in path) or "(index == index or index != index)"
                )
            else:
                out[int(v)] = " AND ".join(c.sql() for c in path) or "TRUE"
        return pd.Series(out, name="rule", dtype=object).rename_axis("node")

    def gains(self, target_class: Any = None) -> pd.DataFrame:
        """SPSS's gains table for the leaves (training data), best first.

        Categorical target: node n and %, gain n and % (rows of `target_class`, default the
        last class), response % (share of `target_class` in the node), index % (response
        relative to the whole sample), and cumulative versions. Continuous target: node n and %,
        mean, index % (mean relative to the overall mean) and cumulative versions.

        Parameters
        ----------
        target_class : object, default None
            The class of interest (categorical target); None for the last class.

        Returns
        -------
        DataFrame
            One row per leaf, best first.

        Examples
        --------
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> X, y = customers.drop(columns="Channel"), customers["Channel"]
        >>> tree = sg.CHAID(max_depth=2).fit(X, y)
        >>> gains = tree.gains(target_class="Retail")
        >>> gains.iloc[:, :4].round(1)  # doctest: +NORMALIZE_WHITESPACE
                  n  node %  gain n  gain %
        node
        5     121.0    27.5   107.0    75.4
        4      55.0    12.5    27.0    19.0
        2     132.0    30.0     8.0     5.6
        1     132.0    30.0     0.0     0.0
        """
        check_is_fitted(self)
        t = self._tree
        leaves = np.flatnonzero(t.split < 0)
        value = np.asarray(t.value)
        if self._continuous:
            n = value[leaves, 0]
            w = value[leaves, 1]
            mean = value[leaves, 2]
            overall = float((mean * w).sum() / w.sum())
            order = np.argsort(-mean, kind="stable")
            n, w, mean, ids = n[order], w[order], mean[order], leaves[order]
            cum_n, cum_w = np.cumsum(n), np.cumsum(w)
            cum_mean = np.cumsum(mean * w) / cum_w
            return pd.DataFrame(
                {
                    "n": n,
                    "node %": 100 * n / n.sum(),
                    "mean": mean,
                    "index %": 100 * mean / overall,
                    "cum n": cum_n,
                    "cum node %": 100 * cum_n / n.sum(),
                    "cum mean": cum_mean,
                    "cum index %": 100 * cum_mean / overall,
                },
                index=pd.Index(ids, name="node"),
            )
        classes = list(self.classes_)
        if target_class is None:
            k = len(classes) - 1
        else:
            matches = [
                i
                for i, c in enumerate(classes)
                if c == target_class or str(c) == str(target_class)
            ]
            if not matches:
                raise InvalidInputError(
                    f"target_class: {target_class!r} is not a class; classes are {classes}",
                    "target_class",
                )
            k = matches[0]
        n = value[leaves].sum(axis=1)
        gain = value[leaves, k]
        total_n, total_gain = n.sum(), gain.sum()
        response = np.divide(100 * gain, n, out=np.zeros_like(gain), where=n > 0)
        base = 100 * total_gain / total_n
        order = np.lexsort((leaves, -response))
        n, gain, response, ids = n[order], gain[order], response[order], leaves[order]
        cum_n, cum_gain = np.cumsum(n), np.cumsum(gain)
        cum_response = 100 * cum_gain / cum_n
        with np.errstate(invalid="ignore", divide="ignore"):
            return pd.DataFrame(
                {
                    "n": n,
                    "node %": 100 * n / total_n,
                    "gain n": gain,
                    "gain %": 100 * gain / total_gain,
                    "response %": response,
                    "index %": 100 * response / base,
                    "cum n": cum_n,
                    "cum node %": 100 * cum_n / total_n,
                    "cum gain n": cum_gain,
                    "cum gain %": 100 * cum_gain / total_gain,
                    "cum response %": cum_response,
                    "cum index %": 100 * cum_response / base,
                },
                index=pd.Index(ids, name="node"),
            )

    # --- display ---------------------------------------------------------------------------------

    def _node_label(self, v: int) -> str:
        row = self.tree_.loc[v]
        if self._continuous:
            what = f"mean = {row['mean']:.4g}"
        else:
            pred = row["prediction"]
            err = 100 - row[f"%[{pred}]"]
            what = f"{pred} (err = {err:.1f}%)"
        return f"{what}, n = {fmt_num(row['weighted_n'])}"

    def export_text(self) -> str:
        """The tree as indented text: one line per node with its branch, the prediction, the
        size and, for inner nodes, the split test.

        Returns
        -------
        str
            The tree, one line per node.

        Examples
        --------
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> X, y = customers.drop(columns="Channel"), customers["Channel"]
        >>> tree = sg.CHAID(max_depth=2).fit(X, y)
        >>> print(tree.export_text().splitlines()[0])
        CHAID tree for Channel: 6 nodes, 4 leaves
        """
        check_is_fitted(self)
        t = self._tree
        stat = "F" if self._continuous else ("chi2" if self.test == "pearson" else "G2")
        lines = [
            f"CHAID tree for {self._target_name}: {self._n_nodes} nodes, {self.n_leaves_} leaves"
        ]

        def walk(v: int) -> None:
            depth = int(t.depth[v])
            branch = "root" if depth == 0 else self._condition(v).text()
            line = f"{'|   ' * depth}[{v}] {branch}: {self._node_label(v)}"
            p = int(t.split[v])
            if p >= 0:
                name = self._encoding.columns[self._predictor_column(p)]
                df = fmt_num(t.df1[v])
                if self._continuous:
                    df += f", {fmt_num(t.df2[v])}"
                padj = min(1.0, math.exp(t.ln_p_adj[v]))
                line += (
                    f"  -> split on {name} ({stat} = {t.statistic[v]:.4g}, df = {df}, "
                    f"adj. p = {padj:.4g})"
                )
            lines.append(line)
            for c in self._children(v):
                walk(c)

        walk(0)
        return "\n".join(lines)

    def __str__(self) -> str:
        if not self.__sklearn_is_fitted__():
            return self.__repr__()
        return self.export_text()

    def _repr_html_(self) -> str:
        """A compact tree (one row per node, indented by depth) and the parameters."""
        from ._views import chaid_html

        return chaid_html(self)

    def plot(
        self,
        ax: Any = None,
        *,
        max_depth: int | None = None,
        node_ids: Any = None,
        fontsize: float = 8.0,
        **kwargs: Any,
    ) -> ChaidTreeDisplay:
        """Draw the tree (matplotlib): a tidy tree whose boxes and branch labels never overlap.

        Each box shows the node id, its size n with its share of all rows, the predicted
        class with its percentage (or the mean of a continuous target) and the split
        variable; each branch is labelled with the categories or the range it takes.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Draw here, scaled to fit; None makes a new figure sized to the tree.
        max_depth : int, optional
            Draw only this many levels below the top node drawn.
        node_ids : int or list of int, optional
            Draw the subtree of this node (several: their subtrees joined through their
            lowest common ancestor).
        fontsize : float, default 8
            Text size (a wide tree on a new figure shrinks it to stay within 26 inches).
        **kwargs
            Passed to :meth:`ChaidTreeDisplay.plot` (``max_width``) and to ``Axes.plot`` for
            the connectors.

        Returns
        -------
        ChaidTreeDisplay
            With ``figure_``, ``ax_``, ``node_texts_`` and ``edge_texts_``.

        Raises
        ------
        InvalidInputError
            An unknown node id or a negative ``max_depth``.
        ImportError
            matplotlib is not installed.

        See Also
        --------
        export_graphviz : the same tree as Graphviz DOT text.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> tree = sg.CHAID(max_depth=3).fit(customers.drop(columns="Channel"),
        ...                                  customers["Channel"])
        >>> shown = tree.plot(max_depth=1)
        >>> sorted(shown.node_texts_)[0], len(shown.edge_texts_) == len(shown.node_texts_) - 1
        (0, True)
        """
        check_is_fitted(self)
        from .plot import ChaidTreeDisplay

        display = ChaidTreeDisplay(self, max_depth=max_depth, node_ids=node_ids)
        return display.plot(ax=ax, fontsize=fontsize, **kwargs)

    def export_graphviz(self, *, max_depth: int | None = None, node_ids: Any = None) -> str:
        """The tree as Graphviz DOT text (render with ``dot -Tpng`` or the graphviz package).

        Boxes carry the same text as :meth:`plot` (node, n and share, prediction, split);
        edges are labelled with their branch.

        Parameters
        ----------
        max_depth : int, optional
            Only this many levels below the top node.
        node_ids : int or list of int, optional
            Only the subtree(s) of these nodes (see :meth:`plot`).

        Returns
        -------
        str
            A ``digraph`` with one statement per node and per edge.

        Raises
        ------
        InvalidInputError
            An unknown node id or a negative ``max_depth``.

        Examples
        --------
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> tree = sg.CHAID(max_depth=1).fit(customers.drop(columns="Channel"),
        ...                                  customers["Channel"])
        >>> dot = tree.export_graphviz()
        >>> dot.splitlines()[0], dot.count("->") == len(tree.tree_) - 1
        ('digraph CHAID {', True)
        """
        check_is_fitted(self)
        from ._plot_tree import export_graphviz

        return export_graphviz(self, max_depth=max_depth, node_ids=node_ids)
