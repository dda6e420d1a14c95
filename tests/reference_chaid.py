"""An independent reference of CHAID's category merging (IBM SPSS "CHAID and Exhaustive CHAID
algorithms", REFERENCES.md), written with scipy and NumPy for the tests; nothing here imports
segmint.

* ``table_test``: Pearson χ² or likelihood-ratio G² of an r × J table of frequency-weighted
  counts (empty rows and columns dropped, no Yates correction) by ``scipy.stats.
  chi2_contingency``; with case weights, the expected counts of the independence model
  m_ij = α_i β_j / w̄_ij (w̄_ij the cell's mean case weight, the table's mean weight for empty
  cells) by iterative proportional fitting (``ipf_expected``), run to convergence.
* ``merge``: steps 2-5 of CHAID for one predictor (nominal: any pair; ordinal: adjacent pairs):
  merge the most similar pair (largest p of its 2 × J sub-table) while that p > α_merge and more
  than two groups remain; with ``split_merged``, a just-merged group of three or more categories
  is re-split at its most significant binary split when that p ≤ α_split_merged. Exhaustive
  CHAID merges the most similar pair down to two groups and keeps the configuration with the
  smallest p. The adjusted p is B·p with B = S(I, r) (nominal), C(I−1, r−1) (ordinal), or
  I(I²−1)/2 (nominal) and I(I−1)/2 (ordinal) for Exhaustive CHAID (IBM's convention).
* ``set_partitions``: every grouping of a small set of categories, for brute-force checks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import scipy.stats

Groups = list[tuple[int, ...]]


def ipf_expected(n: np.ndarray, s: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Expected counts m_ij = α_i β_j / w̄_ij fitted to the row and column totals of n by
    iterative proportional fitting (rows, then columns, until no cell moves by more than tol)."""
    n = np.asarray(n, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    mean_w = s.sum() / n.sum()
    wbar = np.where((n > 0) & (s > 0), s / np.where(n > 0, n, 1.0), mean_w)
    base = 1.0 / wbar
    rows, cols = n.sum(axis=1), n.sum(axis=0)
    m = base.copy()
    for _ in range(100_000):
        m = m * (rows / m.sum(axis=1))[:, None]
        m = m * (cols / m.sum(axis=0))[None, :]
        change = np.abs(m.sum(axis=1) - rows).max()
        if change < tol * rows.max():
            break
    return m


def table_test(
    counts: np.ndarray, case: np.ndarray | None = None, test: str = "pearson"
) -> tuple[float, int, float]:
    """(statistic, df, p) of the independence test of an r × J table; df = 0 and p = 1 when
    fewer than two non-empty rows or columns remain."""
    counts = np.asarray(counts, dtype=np.float64)
    keep_r = counts.sum(axis=1) > 0
    keep_c = counts.sum(axis=0) > 0
    t = counts[keep_r][:, keep_c]
    if t.shape[0] < 2 or t.shape[1] < 2:
        return 0.0, 0, 1.0
    df = (t.shape[0] - 1) * (t.shape[1] - 1)
    if case is None:
        lam = None if test == "pearson" else "log-likelihood"
        res = scipy.stats.chi2_contingency(t, correction=False, lambda_=lam)
        return float(res.statistic), int(res.dof), float(res.pvalue)
    s = np.asarray(case, dtype=np.float64)[keep_r][:, keep_c]
    e = ipf_expected(t, s)
    if test == "pearson":
        stat = float(((t - e) ** 2 / e).sum())
    else:
        pos = t > 0
        stat = float(2 * (t[pos] * np.log(t[pos] / e[pos])).sum())
    return stat, df, float(scipy.stats.chi2.sf(stat, df))


def stirling2(n: int, k: int) -> int:
    return sum((-1) ** i * math.comb(k, i) * (k - i) ** n for i in range(k + 1)) // math.factorial(
        k
    )


def bonferroni(i: int, r: int, ordinal: bool, exhaustive: bool) -> float:
    if exhaustive:
        if i <= 2:
            return 1.0
        return i * (i - 1) / 2 if ordinal else i * (i * i - 1) / 2
    if r >= i:
        return 1.0
    return float(math.comb(i - 1, r - 1) if ordinal else stirling2(i, r))


def set_partitions(items: Sequence[int]) -> Iterator[Groups]:
    """Every partition of `items` into non-empty groups (Bell(len(items)) of them)."""
    items = list(items)
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in set_partitions(rest):
        yield [(first,), *part]
        for k in range(len(part)):
            yield [*part[:k], tuple(sorted((first, *part[k]))), *part[k + 1 :]]


def canonical(groups: Groups) -> Groups:
    return sorted(tuple(sorted(g)) for g in groups)


class Table:
    """Per-category class counts (I, J) (and case-weighted sums) of one predictor in a node."""

    def __init__(self, counts: np.ndarray, case: np.ndarray | None = None, test: str = "pearson"):
        self.counts = np.asarray(counts, dtype=np.float64)
        self.case = None if case is None else np.asarray(case, dtype=np.float64)
        self.test_name = test

    def rows(self, groups: Groups) -> tuple[np.ndarray, np.ndarray | None]:
        n = np.array([self.counts[list(g)].sum(axis=0) for g in groups])
        if self.case is None:
            return n, None
        s = np.array([self.case[list(g)].sum(axis=0) for g in groups])
        return n, s

    def test(self, groups: Groups) -> tuple[float, int, float]:
        n, s = self.rows(groups)
        return table_test(n, s, self.test_name)


def _allowable(groups: Groups, ordinal: bool) -> list[tuple[int, int]]:
    g = len(groups)
    if ordinal:
        return [(a, a + 1) for a in range(g - 1)]
    return [(a, b) for a in range(g) for b in range(a + 1, g)]


def _most_similar(table: Table, groups: Groups, ordinal: bool) -> tuple[int, int, float]:
    """The allowable pair with the largest p (ties: the smaller statistic, then the first)."""
    best = None
    for a, b in _allowable(groups, ordinal):
        stat, _df, p = table.test([groups[a], groups[b]])
        key = (p, -stat)
        if best is None or key > best[0]:
            best = (key, a, b)
    assert best is not None
    return best[1], best[2], best[0][0]


def _merged(groups: Groups, a: int, b: int) -> Groups:
    out = [g for k, g in enumerate(groups) if k not in (a, b)]
    out.append(tuple(sorted(groups[a] + groups[b])))
    return sorted(out)


def merge_path(table: Table, ordinal: bool) -> list[Groups]:
    """The configurations Exhaustive CHAID visits: singletons, then the most similar pair merged
    at each step, down to two groups."""
    groups: Groups = [(i,) for i in range(len(table.counts))]
    path = [groups]
    while len(groups) > 2:
        a, b, _p = _most_similar(table, groups, ordinal)
        groups = _merged(groups, a, b)
        path.append(groups)
    return path


def _resplit(table: Table, groups: Groups, k: int, ordinal: bool, alpha: float) -> Groups:
    g = groups[k]
    if ordinal:
        parts = [(g[:c], g[c:]) for c in range(1, len(g))]
    else:
        parts = []
        for mask in range(2 ** (len(g) - 1) - 1):
            left = (g[0], *(x for bit, x in enumerate(g[1:]) if mask >> bit & 1))
            right = tuple(x for x in g if x not in left)
            parts.append((left, right))
    best = min(parts, key=lambda lr: (table.test(list(lr))[2], -table.test(list(lr))[0]))
    if table.test(list(best))[2] <= alpha:
        return sorted([*groups[:k], *best, *groups[k + 1 :]])
    return groups


def merge(
    table: Table,
    ordinal: bool,
    *,
    alpha_merge: float = 0.05,
    exhaustive: bool = False,
    split_merged: bool = False,
    alpha_split_merged: float = 0.05,
) -> dict:
    """CHAID's (or Exhaustive CHAID's) groups for one predictor: groups, statistic, df, p and
    adjusted p (categories are the row positions of the table; ordinal order = row order)."""
    i = len(table.counts)
    if exhaustive:
        path = merge_path(table, ordinal)
        tests = [table.test(g) for g in path]
        best = min(range(len(path)), key=lambda k: (tests[k][2], -tests[k][0]))
        groups = path[best]
    else:
        groups = [(c,) for c in range(i)]
        for _ in range(10 * i + 10):
            if len(groups) <= 2:
                break
            a, b, p = _most_similar(table, groups, ordinal)
            if p <= alpha_merge:
                break
            new = tuple(sorted(groups[a] + groups[b]))
            groups = _merged(groups, a, b)
            if split_merged and len(new) >= 3:
                groups = _resplit(table, groups, groups.index(new), ordinal, alpha_split_merged)
    stat, df, p = table.test(groups)
    b = bonferroni(i, len(groups), ordinal, exhaustive)
    return {
        "groups": canonical(groups),
        "statistic": stat,
        "df": df,
        "p": p,
        "p_adjusted": min(1.0, b * p),
        "multiplier": b,
    }
