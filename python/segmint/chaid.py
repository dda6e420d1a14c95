"""Contrast-group analysis: CHAID and Exhaustive CHAID trees (IBM SPSS's algorithm).

A CHAID tree splits the customer base step by step on the predictor whose (merged) categories
differ most on the target, giving segments described by readable rules. The numbers follow IBM's
"CHAID and Exhaustive CHAID algorithms": Pearson χ² (or likelihood-ratio G²) for a categorical
target, one-way ANOVA F for a continuous one, Bonferroni-adjusted p-values, SPSS's merging rules
for nominal, ordinal and floating (missing) categories, and equal-frequency binning of
continuous predictors.

This module holds the estimator: fitting (in memory, and the dispatch to
:mod:`segmint.distributed` for Dask), scoring and the fitted tree's summaries. What only reads a
fitted tree — rules, gains, exports, views, the drawing — is in ``_chaid_report`` (inherited);
the tree's own data types live in ``_chaid_tree``, the drawing in ``_plot_tree``, the
partitioned-build statistics in ``_chaid_stats``, the Dask build in
``segmint.distributed._chaid``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from . import _core, _frame, _validation
from ._chaid_report import ChaidReports
from ._chaid_stats import _ALPHA, merge_table, node_tables
from ._chaid_tree import Condition, TreeArrays, class_array, py_value
from ._progress import progress
from .errors import InvalidInputError

__all__ = ["CHAID", "merge_table", "node_tables"]

_TESTS = ("pearson", "likelihood_ratio")
_MERGING = {0: "nominal", 1: "ordinal", 2: "floating"}


class CHAID(ChaidReports, BaseEstimator):
    """CHAID / Exhaustive CHAID tree for contrast-group analysis (IBM SPSS's algorithm).

    Parameters
    ----------
    alpha_merge : float, default 0.05
        The most similar pair of categories (largest p of its 2 × J table) is merged while its p
        exceeds this.
    alpha_split : float, default 0.05
        A node is split on the predictor with the smallest Bonferroni-adjusted p if that p is at
        most this.
    max_depth : int or None, default 3
        Maximum depth (the root has depth 0); None for no limit.
    min_parent_size : float, default 100
        Nodes smaller than this (frequency-weighted) are not split.
    min_child_size : float, default 50
        A merged category group smaller than this merges with its most similar allowable group;
        if only one group remains the predictor cannot split the node.
    max_bins : int, default 10
        Continuous predictors are cut once, before growing, into at most this many
        equal-frequency bins (ties stay together); bins are ordinal categories.
    ordinal : list of str, optional
        Columns to treat as ordinal (besides ordered categoricals): only adjacent categories merge
        and missing values form SPSS's floating category.
    exhaustive : bool, default False
        Exhaustive CHAID (Biggs, de Ville & Suen 1991): merge down to two groups and keep the
        configuration with the smallest p.
    split_merged : bool, default False
        Re-split a merged group of three or more categories when its best binary split has
        p ≤ ``alpha_split_merged``.
    alpha_split_merged : float, default 0.05
        The p-value at which ``split_merged`` re-splits a merged group.
    test : {"pearson", "likelihood_ratio"}, default "pearson"
        The χ² statistic for a categorical target (no Yates correction).
    target_type : {"auto", "categorical", "continuous"}, default "auto"
        "auto": floats with a fractional part are continuous (ANOVA F), everything else classes.
    n_jobs : int or None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores.
    verbose : bool, default False
        Show a progress bar of the nodes grown.

    Attributes
    ----------
    tree_ : DataFrame
        One row per node (index "node"): parent, depth, branch condition, size, prediction,
        class shares or mean, the split's predictor, statistic, df and adjusted p.
    n_leaves_ : int
        Number of leaves.
    classes_ : ndarray
        The target's classes (categorical target).
    risk_ : float
        Misclassification rate (categorical target) or within-leaf variance (continuous
        target) on the training data, as SPSS's risk table.
    risk_std_error_ : float or None
        Standard error of the misclassification rate (None for a continuous target).
    feature_importances_ : ndarray of shape (n_features,)
        Share of the impurity decrease achieved by splits on each feature.
    classification_table_ : DataFrame
        Observed × predicted counts on the training data (categorical target).
    n_features_in_, feature_names_in_ : as in scikit-learn

    Raises
    ------
    InvalidInputError
        From ``fit``: a parameter out of range, a target with missing values, fewer than two
        classes.

    See Also
    --------
    profile : statistics of every variable per segment.
    report : a report with the tree's rules.

    Notes
    -----
    Measurement levels: ordered categoricals and ``ordinal`` columns are ordinal, other
    categoricals, text and booleans nominal (a missing value is one more category), numbers
    continuous. Frequency weights (``sample_weight``) are counts: node sizes, degrees of freedom
    and the size rules use them. Case weights (``case_weight``) enter the expected counts of the
    χ² tests (SPSS's iterative proportional fitting) and the sums of squares of the F test; node
    sizes and class distributions stay frequency-weighted.

    New data is routed deterministically: a category present in the node goes where merging put
    it; an ordinal category absent from the node (or a continuous value between bins) goes with
    its nearest lower neighbour; a nominal category absent from the node, a label never seen in
    training, and a missing value when the node had none go to the node's largest child.

    p-values are compared in log space, ties broken by the larger statistic and then by column
    order, so nothing underflows at a million rows.

    References
    ----------
    .. [1] Kass, G. V. (1980). An exploratory technique for investigating large quantities of
       categorical data. Applied Statistics, 29(2), 119-127.
    .. [2] Biggs, D., de Ville, B. and Suen, E. (1991). A method of choosing multiway
       partitions for classification and decision trees. Journal of Applied Statistics,
       18(1), 49-62.
    .. [3] IBM SPSS Statistics Algorithms: CHAID and Exhaustive CHAID algorithms.

    Examples
    --------
    >>> import segmint as sg
    >>> customers = sg.datasets.load_wholesale()
    >>> X, y = customers.drop(columns="Channel"), customers["Channel"]
    >>> tree = sg.CHAID(max_depth=2).fit(X, y)
    >>> tree.n_leaves_, round(tree.risk_, 3)
    (4, 0.111)
    >>> for node, rule in tree.rules().items():
    ...     print(node, rule)
    1 Detergents_Paper <= 319
    2 319 < Detergents_Paper <= 1480
    4 Detergents_Paper > 1480 and Grocery <= 8906
    5 Detergents_Paper > 1480 and Grocery > 8906
    """

    tree_: pd.DataFrame
    n_leaves_: int
    classes_: np.ndarray
    risk_: float
    risk_std_error_: float | None

    def __init__(
        self,
        *,
        alpha_merge: float = 0.05,
        alpha_split: float = 0.05,
        max_depth: int | None = 3,
        min_parent_size: float = 100,
        min_child_size: float = 50,
        max_bins: int = 10,
        ordinal: Any = None,
        exhaustive: bool = False,
        split_merged: bool = False,
        alpha_split_merged: float = 0.05,
        test: str = "pearson",
        target_type: str = "auto",
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.verbose = verbose
        self.alpha_merge = alpha_merge
        self.alpha_split = alpha_split
        self.max_depth = max_depth
        self.min_parent_size = min_parent_size
        self.min_child_size = min_child_size
        self.max_bins = max_bins
        self.ordinal = ordinal
        self.exhaustive = exhaustive
        self.split_merged = split_merged
        self.alpha_split_merged = alpha_split_merged
        self.test = test
        self.target_type = target_type
        self.n_jobs = n_jobs

    # --- fitting -------------------------------------------------------------------------------

    _parameter_constraints: ClassVar[dict[str, _validation.Check]] = {
        "alpha_merge": _ALPHA,
        "alpha_split": _ALPHA,
        "alpha_split_merged": _ALPHA,
        "max_depth": _validation.Integer(0, optional=True),
        "min_parent_size": _validation.Interval(0.0),
        "min_child_size": _validation.Interval(0.0),
        "max_bins": _validation.Integer(2),
        "test": _validation.Options(_TESTS),
        "target_type": _validation.Options(("auto", "categorical", "continuous")),
        "n_jobs": _validation.Threads(),
    }

    @_validation.unfitted_on_error
    def fit(self, X: Any, y: Any, sample_weight: Any = None, case_weight: Any = None) -> CHAID:
        """Grow the tree on predictors `X` (a DataFrame) and target `y`.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            Predictors: numbers (binned), categoricals, text, booleans; missing values allowed.
            A Dask DataFrame (or 2-D Array) fits on the cluster, one pass over the partitions
            per level, to the in-memory tree (see :func:`segmint.distributed.fit_chaid`).
        y : array-like of shape (n_samples,)
            Target: classes, or numbers for a continuous target (see ``target_type``). With a
            Dask `X`: a Dask Series (or Array) partitioned like it.
        sample_weight : array-like of shape (n_samples,), default None
            Frequency weights (counts).
        case_weight : array-like of shape (n_samples,), default None
            Case weights (enter the expected counts of the tests only). With a Dask `X`, the
            weights are Dask Series (or Arrays) partitioned like it.

        Returns
        -------
        CHAID
            The fitted estimator (``self``).

        Examples
        --------
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> X, y = customers.drop(columns="Channel"), customers["Channel"]
        >>> tree = sg.CHAID(max_depth=2).fit(X, y)
        >>> tree.tree_[["depth", "n"]].head(3)  # doctest: +NORMALIZE_WHITESPACE
              depth    n
        node
        0         0  440
        1         1  132
        2         1  132
        """
        if _frame.is_dask(X):
            from . import distributed

            return distributed.fit_chaid(self, X, y, sample_weight, case_weight)
        p = _validation.validate_params(self)
        alpha_merge, alpha_split = p["alpha_merge"], p["alpha_split"]
        alpha_split_merged, max_depth = p["alpha_split_merged"], p["max_depth"]
        min_parent, min_child = p["min_parent_size"], p["min_child_size"]
        max_bins = p["max_bins"]
        ordinal = self.ordinal
        if isinstance(ordinal, str):
            ordinal = [ordinal]
        if ordinal is not None:
            ordinal = [str(c) for c in ordinal]
        threads = p["n_jobs"]
        data = _frame.measured_table(X, ordinal=ordinal)
        n = len(data.index)
        target = _frame.target(y, n, target_type=p["target_type"])
        freq = _frame.positive_weights(sample_weight, n, "sample_weight")
        case = _frame.positive_weights(case_weight, n, "case_weight")
        if case is not None and (case <= 0).any():
            raise InvalidInputError("case_weight: must be positive", "case_weight")
        with progress(self.verbose, "CHAID", None):
            tree = _core.chaid_fit(
                data.codes,
                n_levels=data.n_levels,
                ordinal=data.ordinal,
                numeric=data.numeric,
                y_codes=target.codes,
                n_classes=len(target.classes),
                y_values=target.values,
                sample_weight=freq,
                case_weight=case,
                rank=data.rank,
                alpha_merge=alpha_merge,
                alpha_split=alpha_split,
                alpha_split_merged=alpha_split_merged,
                max_depth=max_depth,
                min_parent_size=min_parent,
                min_child_size=min_child,
                max_bins=max_bins,
                exhaustive=bool(self.exhaustive),
                split_merged=bool(self.split_merged),
                statistic=p["test"],
                n_threads=threads,
            )
        self._tree = TreeArrays.from_core(tree)
        self._encoding = data.encoding
        self._target_name = target.name or "y"
        self._continuous = target.values is not None
        self.classes_ = class_array(target.classes)
        _frame.check_features(self, X, reset=True)
        self._build_summary()
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "_tree")

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        # Missing predictor values are a category of their own (nominal) or float (ordinal).
        tags.input_tags.allow_nan = True
        return tags

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy of `predict` for a categorical target, R² for a continuous one.

        Parameters
        ----------
        X : DataFrame or array of shape (n_samples, n_features)
            Predictors.
        y : array-like of shape (n_samples,)
            True target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights.

        Returns
        -------
        float
            ``accuracy_score`` (categorical target) or ``r2_score`` (continuous target).

        Examples
        --------
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> X, y = customers.drop(columns="Channel"), customers["Channel"]
        >>> tree = sg.CHAID(max_depth=2).fit(X, y)
        >>> round(tree.score(X, y), 3)
        0.889
        """
        from sklearn.metrics import accuracy_score, r2_score

        check_is_fitted(self)
        pred = self.predict(X).to_numpy()
        truth = np.asarray(y)
        if self._continuous:
            return float(r2_score(truth, pred, sample_weight=sample_weight))
        return float(accuracy_score(truth, pred, sample_weight=sample_weight))

    # --- structure -------------------------------------------------------------------------------

    @property
    def _n_nodes(self) -> int:
        return len(self._tree.parent)

    def _children(self, v: int) -> list[int]:
        parent = self._tree.parent
        return [int(c) for c in np.flatnonzero(parent == v)]

    def _predictor_column(self, p: int) -> int:
        return self._encoding.predictor_columns()[p]

    def _breaks(self, p: int) -> np.ndarray:
        k = p - len(self._encoding.categorical)
        off = self._tree.breaks_offsets
        return np.asarray(self._tree.breaks[off[k] : off[k + 1]])

    def _condition(self, v: int) -> Condition:
        t = self._tree
        u = int(t.parent[v])
        p = int(t.split[u])
        j = self._predictor_column(p)
        name = self._encoding.columns[j]
        slots = t.map[t.map_offsets[u] : t.map_offsets[u + 1]]
        present = t.present[t.map_offsets[u] : t.map_offsets[u + 1]]
        mine = np.flatnonzero(slots == v)
        n_slots = len(slots)
        missing = bool((n_slots - 1) in mine)
        missing_seen = missing and bool(present[n_slots - 1])
        default = int(t.default_child[u]) == v
        if self._encoding.levels[j] == _frame.CONTINUOUS:
            breaks = self._breaks(p)
            bins = mine[(mine < n_slots - 1) & present[mine]]
            if len(bins) == 0:
                return Condition(
                    name, True, [], [], -math.inf, math.inf, missing, default, [], missing_seen
                )
            bins = mine[mine < n_slots - 1]
            lo_bin, hi_bin = int(bins.min()), int(bins.max())
            low = -math.inf if lo_bin == 0 else float(breaks[lo_bin - 1])
            high = math.inf if hi_bin == len(breaks) - 1 else float(breaks[hi_bin])
            return Condition(
                name, True, [True], [], low, high, missing, default, None, missing_seen
            )
        labels = self._encoding.labels[j] or []
        own = [labels[s] for s in mine if s < n_slots - 1]
        others = [labels[s] for s in range(n_slots - 1) if slots[s] != v]
        seen = [labels[s] for s in mine if s < n_slots - 1 and present[s]]
        return Condition(name, False, own, others, 0.0, 0.0, missing, default, seen, missing_seen)

    def _path(self, v: int) -> list[Condition]:
        out = []
        while int(self._tree.parent[v]) >= 0:
            out.append(self._condition(v))
            v = int(self._tree.parent[v])
        return out[::-1]

    def _leaf_values(self) -> tuple[np.ndarray, np.ndarray]:
        """Prediction per node: (class index or mean, class probabilities or None)."""
        value = np.asarray(self._tree.value)
        if self._continuous:
            return value[:, 2], np.empty((len(value), 0))
        totals = value.sum(axis=1, keepdims=True)
        proba = np.divide(value, totals, out=np.zeros_like(value), where=totals > 0)
        return np.argmax(value, axis=1), proba

    def _build_summary(self) -> None:
        t = self._tree
        n_nodes = self._n_nodes
        is_leaf = t.split < 0
        self.n_leaves_ = int(is_leaf.sum())
        value = np.asarray(t.value)
        pred, proba = self._leaf_values()
        rows: dict[str, Any] = {
            "parent": t.parent,
            "depth": t.depth,
            "n": t.n_rows,
            "weighted_n": t.weight,
        }
        if self._continuous:
            w = np.maximum(value[:, 0] - 1, 1)
            rows["mean"] = value[:, 2]
            rows["std"] = np.sqrt(
                value[:, 3] / np.where(value[:, 1] > 0, value[:, 1], 1) * (value[:, 0] / w)
            )
        else:
            for k, c in enumerate(self.classes_):
                rows[f"n[{c}]"] = value[:, k]
            for k, c in enumerate(self.classes_):
                rows[f"%[{c}]"] = 100 * proba[:, k]
            rows["prediction"] = self.classes_[pred]
        # Each node's condition once (the groups, branches, categories and rules all use them).
        conds: list[Condition | None] = [None] + [self._condition(v) for v in range(1, n_nodes)]
        texts = [None if c is None else c.text() for c in conds]
        split_names: list[str | None] = []
        groups: list[list[str] | None] = []
        merging: list[str | None] = []
        for v in range(n_nodes):
            p = int(t.split[v])
            if p < 0:
                split_names.append(None)
                groups.append(None)
                merging.append(None)
                continue
            split_names.append(self._encoding.columns[self._predictor_column(p)])
            groups.append([str(texts[c]) for c in self._children(v)])
            merging.append(_MERGING.get(int(t.merging[v])))
        rows["split"] = split_names
        rows["groups"] = groups
        rows["merging"] = merging
        rows["statistic"] = t.statistic
        rows["df"] = t.df1
        if self._continuous:
            rows["df2"] = t.df2
        with np.errstate(under="ignore"):  # p-values below 1e-308 are 0.0, under any seterr
            rows["p"] = np.exp(t.ln_p)
            rows["p_adjusted"] = np.minimum(1.0, np.exp(t.ln_p_adj))
        rows["log_p_adjusted"] = t.ln_p_adj
        rows["branch"] = texts
        rows["categories"] = [
            None
            if c is None or c.continuous
            else [py_value(x) for x in c.seen] + ([None] if c.missing_seen else [])
            for c in conds
        ]
        parent = t.parent.tolist()
        rules: list[str] = [""] * n_nodes
        for v in range(1, n_nodes):  # pre-order: a parent's rule is ready before its children's
            u = parent[v]
            rules[v] = str(texts[v]) if u == 0 else f"{rules[u]} and {texts[v]}"
        rows["rule"] = rules
        rows["leaf"] = is_leaf
        self.tree_ = pd.DataFrame(rows, index=pd.RangeIndex(n_nodes, name="node"))
        self._compute_risk()

    def _compute_risk(self) -> None:
        t = self._tree
        leaves = np.flatnonzero(t.split < 0)
        value = np.asarray(t.value)[leaves]
        if self._continuous:
            w = value[:, 1].sum()
            self.risk_ = float(value[:, 3].sum() / w) if w > 0 else 0.0
            self.risk_std_error_ = None
        else:
            n = value.sum()
            err = float((value.sum(axis=1) - value.max(axis=1)).sum() / n)
            self.risk_ = err
            self.risk_std_error_ = float(math.sqrt(err * (1 - err) / n))

    # --- results ---------------------------------------------------------------------------------

    @property
    def feature_importances_(self) -> np.ndarray:
        """Share of the weighted impurity decrease (Gini for classes, sum of squares for a
        continuous target) achieved by splits on each feature; sums to 1 when the tree splits.

        Returns
        -------
        ndarray of shape (n_features,)
            One share per feature, in column order.
        """
        check_is_fitted(self)
        t = self._tree
        value = np.asarray(t.value)

        def impurity(v: int) -> float:
            if self._continuous:
                return float(value[v, 3])
            n = value[v].sum()
            return float(n - (value[v] ** 2).sum() / n) if n > 0 else 0.0

        imp = np.zeros(self.n_features_in_)
        for v in np.flatnonzero(t.split >= 0):
            dec = impurity(int(v)) - sum(impurity(c) for c in self._children(int(v)))
            imp[self._predictor_column(int(t.split[v]))] += max(dec, 0.0)
        total = imp.sum()
        return imp / total if total > 0 else imp

    @property
    def classification_table_(self) -> pd.DataFrame:
        """Observed (rows) × predicted (columns) weighted counts on the training data, with the
        percentage correct per class and overall (SPSS's classification table).

        Returns
        -------
        DataFrame
            Rows the observed classes and "overall %", columns the predicted classes and
            "% correct".

        Raises
        ------
        InvalidInputError
            The target is continuous.
        """
        check_is_fitted(self)
        if self._continuous:
            raise InvalidInputError("classification_table_: the target is continuous", "y")
        t = self._tree
        leaves = np.flatnonzero(t.split < 0)
        value = np.asarray(t.value)[leaves]
        k = len(self.classes_)
        table = np.zeros((k, k))
        for row in value:
            table[:, int(np.argmax(row))] += row
        labels = [str(c) for c in self.classes_]
        out = pd.DataFrame(table, index=pd.Index(labels, name="observed"), columns=labels)
        out.columns.name = "predicted"
        with np.errstate(invalid="ignore", divide="ignore"):
            out["% correct"] = 100 * np.diag(table) / table.sum(axis=1)
        overall = [*(100 * table.sum(axis=0) / table.sum()), 100 * np.trace(table) / table.sum()]
        out.loc["overall %"] = overall
        return out

    def _data(self, X: Any) -> _frame.MeasuredTable:
        check_is_fitted(self)
        _frame.check_features(self, X, reset=False, by_name=True)
        return _frame.measured_table(X, encoding=self._encoding)

    def _leaves(self, data: _frame.MeasuredTable) -> np.ndarray:
        t = self._tree
        return _core.chaid_apply(
            data.codes,
            n_levels=data.n_levels,
            numeric=data.numeric,
            split=t.split,
            map_offsets=t.map_offsets,
            map=t.map,
            default_child=t.default_child,
            breaks_offsets=t.breaks_offsets,
            breaks=t.breaks,
            n_threads=_validation.n_threads(self.n_jobs),
        )

    def apply(self, X: Any) -> pd.Series:
        """The leaf (node id) of each row, on X's index.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            Predictors with the columns of the fit (a Dask DataFrame or Array: the result is
            lazy, computed partition by partition).

        Returns
        -------
        Series
            Node id of each row's leaf, named "node".

        Examples
        --------
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> X, y = customers.drop(columns="Channel"), customers["Channel"]
        >>> tree = sg.CHAID(max_depth=2).fit(X, y)
        >>> tree.apply(X.head(3)).tolist()
        [4, 5, 4]
        """
        if _frame.is_dask(X):
            from . import distributed

            return distributed.apply(self, X)
        data = self._data(X)
        return pd.Series(self._leaves(data), index=data.index, name="node")

    def predict(self, X: Any) -> pd.Series:
        """Majority class (ties: the first class) or mean of each row's leaf, on X's index.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            Predictors with the columns of the fit (a Dask DataFrame or Array: the result is
            lazy, computed partition by partition).

        Returns
        -------
        Series
            The prediction of each row, named like the target.

        Examples
        --------
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> X, y = customers.drop(columns="Channel"), customers["Channel"]
        >>> tree = sg.CHAID(max_depth=2).fit(X, y)
        >>> tree.predict(X.head(3)).tolist()
        ['Horeca', 'Retail', 'Horeca']
        """
        if _frame.is_dask(X):
            from . import distributed

            return distributed.predict(self, X)
        data = self._data(X)
        leaves = self._leaves(data)
        pred, _ = self._leaf_values()
        if self._continuous:
            return pd.Series(pred[leaves], index=data.index, name=self._target_name)
        return pd.Series(self.classes_[pred[leaves]], index=data.index, name=self._target_name)

    def predict_proba(self, X: Any) -> pd.DataFrame:
        """Class shares of each row's leaf (columns: the classes), on X's index.

        Parameters
        ----------
        X : DataFrame of shape (n_samples, n_features)
            Predictors with the columns of the fit (a Dask DataFrame or Array: the result is
            lazy, computed partition by partition).

        Returns
        -------
        DataFrame
            One column per class; rows sum to 1.

        Raises
        ------
        InvalidInputError
            The target is continuous.

        Examples
        --------
        >>> import segmint as sg
        >>> customers = sg.datasets.load_wholesale()
        >>> X, y = customers.drop(columns="Channel"), customers["Channel"]
        >>> tree = sg.CHAID(max_depth=2).fit(X, y)
        >>> tree.predict_proba(X.head(3)).round(3)
           Horeca  Retail
        0   0.509   0.491
        1   0.116   0.884
        2   0.509   0.491
        """
        check_is_fitted(self)
        if self._continuous:
            raise InvalidInputError("predict_proba: the target is continuous", "y")
        if _frame.is_dask(X):
            from . import distributed

            return distributed.predict_proba(self, X)
        data = self._data(X)
        leaves = self._leaves(data)
        _, proba = self._leaf_values()
        return pd.DataFrame(proba[leaves], index=data.index, columns=list(self.classes_))
