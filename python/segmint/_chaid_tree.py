"""CHAID's fitted tree as flat per-node arrays, and the conditions that describe a node's path
(as text, a pandas query and SQL)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from . import _core


def py_value(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def fmt_num(v: float) -> str:
    return f"{v:.10g}"


class Condition:
    """The branch leading to a node: which values of its parent's split variable it takes."""

    def __init__(
        self,
        column: str,
        continuous: bool,
        labels: list[Any],
        others: list[Any],
        low: float,
        high: float,
        missing: bool,
        default: bool,
        seen: list[Any] | None = None,
        missing_seen: bool = False,
    ) -> None:
        self.column = column
        self.continuous = continuous
        self.labels = labels  # categorical: the known labels of this branch
        self.others = others  # categorical: labels of the sibling branches
        self.low, self.high = low, high  # continuous: (low, high]
        self.missing = missing  # missing values take this branch
        self.default = default  # unseen categories take this branch
        self.seen = labels if seen is None else seen  # labels present in the parent node
        self.missing_seen = missing_seen  # missing values were present in the parent node

    def text(self) -> str:
        """For people: the categories (or range) observed in the parent node."""
        c = self.column
        if self.continuous:
            if not self.labels:
                return f"{c} is missing"
            if self.low == -math.inf and self.high == math.inf:
                s = f"{c} any value"
            elif self.low == -math.inf:
                s = f"{c} <= {fmt_num(self.high)}"
            elif self.high == math.inf:
                s = f"{c} > {fmt_num(self.low)}"
            else:
                s = f"{fmt_num(self.low)} < {c} <= {fmt_num(self.high)}"
        else:
            if not self.seen:
                return f"{c} is missing" if self.missing_seen else f"{c} is other"
            s = f"{c} in {{{', '.join(str(py_value(v)) for v in self.seen)}}}"
        if self.missing and self.missing_seen:
            s += " or missing"
        return s

    def pandas(self) -> str:
        c = f"`{self.column}`"
        nan = f"{c} != {c}"
        if self.continuous:
            parts = []
            if self.low > -math.inf:
                parts.append(f"{c} > {self.low!r}")
            if self.high < math.inf:
                parts.append(f"{c} <= {self.high!r}")
            if self.low == -math.inf and self.high == math.inf:
                parts.append(f"{c} == {c}")
            expr = " and ".join(parts)
            return f"({expr} or {nan})" if self.missing else f"({expr})"
        if self.default:
            expr = f"{c} not in {[py_value(v) for v in self.others]!r}"
            return f"({expr})" if self.missing else f"({expr} and {c} == {c})"
        expr = f"{c} in {[py_value(v) for v in self.labels]!r}"
        return f"({expr} or {nan})" if self.missing else f"({expr})"

    def sql(self) -> str:
        c = '"' + self.column.replace('"', '""') + '"'

        def lit(v: Any) -> str:
            v = py_value(v)
            if isinstance(v, bool):
                return "TRUE" if v else "FALSE"
            if isinstance(v, numbers.Number):
                return repr(v)
            return "'" + str(v).replace("'", "''") + "'"

        if self.continuous:
            parts = []
            if self.low > -math.inf:
                parts.append(f"{c} > {lit(self.low)}")
            if self.high < math.inf:
                parts.append(f"{c} <= {lit(self.high)}")
            if not parts:
                parts.append(f"{c} IS NOT NULL")
            expr = " AND ".join(parts)
        elif self.default:
            expr = (
                f"{c} NOT IN ({', '.join(lit(v) for v in self.others)})"
                if self.others
                else f"{c} IS NOT NULL"
            )
        else:
            expr = f"{c} IN ({', '.join(lit(v) for v in self.labels)})"
        return f"({expr} OR {c} IS NULL)" if self.missing else f"({expr})"


def class_array(classes: Sequence[Any]) -> np.ndarray:
    """The classes as a 1-D array: numeric classes keep their dtype (as scikit-learn does), so
    that `predict` returns numbers as numbers; anything else as objects."""
    arr = np.asarray(list(classes))
    if arr.ndim != 1 or arr.dtype.kind not in "biuf":
        arr = np.empty(len(classes), dtype=object)
        arr[:] = list(classes)
    return arr


@dataclass(frozen=True)
class TreeArrays:
    """A fitted tree as flat per-node arrays (from `_core.ChaidTree`)."""

    parent: np.ndarray  # parent node (-1 at the root)
    depth: np.ndarray  # depth of each node
    n_rows: np.ndarray  # rows in each node
    weight: np.ndarray  # weighted size of each node
    value: np.ndarray  # class counts or (mean, sd) per node
    split: np.ndarray  # predictor a node splits on (-1 at a leaf)
    statistic: np.ndarray  # test statistic of the split
    df1: np.ndarray  # its degrees of freedom
    df2: np.ndarray  # its second degrees of freedom (F tests)
    ln_p: np.ndarray  # log p of the split
    ln_p_adj: np.ndarray  # log Bonferroni-adjusted p
    n_categories: np.ndarray  # categories of the split predictor present in the node
    merging: np.ndarray  # 0 nominal, 1 ordinal, 2 floating
    default_child: np.ndarray  # child of unseen categories
    map_offsets: np.ndarray  # offsets into map / present per node
    map: np.ndarray  # child of each category slot
    present: np.ndarray  # whether each category slot was present
    breaks_offsets: np.ndarray  # offsets into breaks per continuous predictor
    breaks: np.ndarray  # bin break points of the continuous predictors
    n_classes: int

    @classmethod
    def from_core(cls, tree: _core.ChaidTree) -> TreeArrays:
        return cls(**{f.name: getattr(tree, f.name) for f in fields(cls)})
