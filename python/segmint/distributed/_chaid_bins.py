"""The bin boundaries of a Dask CHAID's continuous predictors, equal to the in-memory
``bin::breaks``, from the partitions' sorted values in three small passes (see
:func:`_breaks`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from ..errors import InvalidInputError
from . import _partitions
from ._partitions import _worker_task, cum_weight

#: Values sampled per partition and continuous column to bracket the bin boundaries: the
#: values fetched to settle a boundary are at most rows / SAMPLES + partitions.
SAMPLES = 2048


# --- worker side --------------------------------------------------------------------------------


@_worker_task
def _sort_numeric(block: tuple[Any, ...]) -> list[tuple[np.ndarray, np.ndarray | None, bool]]:
    """Each continuous column's non-missing values of positive weight sorted (ties in row
    order, as in memory) with their weights, and whether a -0.0 is among them (looked up before
    sorting: numpy's vectorised sort may turn -0.0 into 0.0)."""
    numeric, w = block[1], block[3]
    out: list[tuple[np.ndarray, np.ndarray | None, bool]] = []
    for j in range(numeric.shape[1]):
        x = numeric[:, j]
        ok = ~np.isnan(x) if w is None else ~np.isnan(x) & (w > 0)
        x = x[ok]
        negative_zero = bool(np.any((x == 0) & np.signbit(x)))
        if w is None:
            out.append((np.sort(x), None, negative_zero))
        else:
            order = np.argsort(x, kind="stable")
            out.append((x[order], w[ok][order], negative_zero))
    return out


@_worker_task
def _bin_samples(sorted_cols: list[Any]) -> list[tuple[float, np.ndarray, bool]]:
    """Per column: the total weight, values at evenly spaced ranks (first and last included)
    and whether a -0.0 is among the values."""
    out = []
    for v, ws, negative_zero in sorted_cols:
        n = len(v)
        if n == 0:
            out.append((0.0, v[:0], False))
            continue
        step = max(1, n // SAMPLES)
        idx = np.unique(np.r_[np.arange(0, n, step), n - 1])
        total = float(n) if ws is None else float(cum_weight(ws, np.array([n]))[0])
        out.append((total, v[idx], negative_zero))
    return out


@_worker_task
def _bin_counts(sorted_cols: list[Any], cands: list[np.ndarray]) -> list[tuple[np.ndarray, ...]]:
    """Per column and candidate c: weight and count of the values <= c and < c."""
    out: list[tuple[np.ndarray, ...]] = []
    for (v, ws, _), c in zip(sorted_cols, cands, strict=True):
        le = np.searchsorted(v, c, side="right")
        lt = np.searchsorted(v, c, side="left")
        out.append((cum_weight(ws, le), cum_weight(ws, lt), le, lt))
    return out


@_worker_task
def _bin_between(
    sorted_cols: list[Any], intervals: list[list[tuple[float, float]]]
) -> list[list[tuple[np.ndarray, np.ndarray | None]]]:
    """Per column and open interval (a, b): the values strictly inside, with their weights."""
    out = []
    for (v, ws, _), iv in zip(sorted_cols, intervals, strict=True):
        found = []
        for a, b in iv:
            i = int(np.searchsorted(v, a, side="right"))
            j = int(np.searchsorted(v, b, side="left"))
            found.append((v[i:j], None if ws is None else ws[i:j]))
        out.append(found)
    return out


# --- client side --------------------------------------------------------------------------------


def _bin_of(cum: np.ndarray, total: float, max_bins: int) -> np.ndarray:
    """The in-memory bin of a value whose cumulative weight is `cum` (the Rust rule of
    ``bin::breaks`` itself)."""
    cum = np.ascontiguousarray(cum, dtype=np.float64)
    return _core.chaid_bin_of(cum, total=float(total), max_bins=int(max_bins))


def _sum_parts(parts: list[Any]) -> Any:
    """Partition results added in partition order."""
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _breaks(client: Any, encoded: list[Any], p_num: int, max_bins: int) -> list[np.ndarray]:
    """The bin upper bounds of every continuous column, equal to the in-memory ``bin::breaks``:
    the largest value of each run of values sharing a bin, i.e. for every b < k the largest
    value whose cumulative weight puts it in a bin <= b, and the largest value. Found from the
    partitions' sorted values in three passes: evenly spaced samples, exact cumulative weights
    at the sampled values, and the few values between the two samples around each boundary."""
    if p_num == 0:
        return []
    sorted_f = [client.submit(_sort_numeric, e, pure=False) for e in encoded]
    try:
        samples = _partitions._gather(
            client, [client.submit(_bin_samples, f, pure=False) for f in sorted_f]
        )
        totals, cands = [], []
        for j in range(p_num):
            total = _sum_parts([s[j][0] for s in samples])
            if not total > 0:
                raise InvalidInputError(
                    f"numeric column {j}: all values are missing", f"numeric column {j}"
                )
            totals.append(total)
            cands.append(np.unique(np.concatenate([s[j][1] for s in samples])))
        counts = _partitions._gather(
            client, [client.submit(_bin_counts, f, cands, pure=False) for f in sorted_f]
        )
        plans: list[list[tuple[int, int, int]]] = []  # (b, lo, hi) per column
        answers: list[dict[int, float]] = []
        intervals: list[list[tuple[float, float]]] = []
        les: list[np.ndarray] = []
        for j in range(p_num):
            le_w = _sum_parts([c[j][0] for c in counts])
            le_n = _sum_parts([c[j][2] for c in counts])
            lt_n = _sum_parts([c[j][3] for c in counts])
            les.append(le_w)
            bins = _bin_of(le_w, totals[j], max_bins)
            plan: list[tuple[int, int, int]] = []
            answer: dict[int, float] = {}
            iv: list[tuple[float, float]] = []
            for b in range(1, max_bins):
                lo = int(np.searchsorted(bins, b, side="right")) - 1  # last with bin <= b
                if lo < 0 or lo == len(bins) - 1:
                    continue  # no value in a bin <= b, or the largest value (always a break)
                if lt_n[lo + 1] - le_n[lo] == 0:
                    answer[b] = float(cands[j][lo])
                else:
                    plan.append((b, lo, len(iv)))
                    iv.append((float(cands[j][lo]), float(cands[j][lo + 1])))
            plans.append(plan)
            answers.append(answer)
            intervals.append(iv)
        if any(intervals):
            between = _partitions._gather(
                client,
                [client.submit(_bin_between, f, intervals, pure=False) for f in sorted_f],
            )
            for j in range(p_num):
                for b, lo, k in plans[j]:
                    vals, cum, last = _partitions.sorted_run(
                        [part[j][k][0] for part in between],
                        None if between[0][j][k][1] is None else [p[j][k][1] for p in between],
                        les[j][lo],
                    )
                    inside = np.flatnonzero(last & (_bin_of(cum, totals[j], max_bins) <= b))
                    answers[j][b] = float(vals[inside[-1]]) if len(inside) else float(cands[j][lo])
        out = []
        for j in range(p_num):
            found = np.array(sorted(set(answers[j].values()) | {float(cands[j][-1])}))
            # The in-memory bins sort by total order (-0.0 before 0.0) and keep the first
            # value of a run of equal values: a zero break is -0.0 when the column holds one.
            negative_zero = any(s[j][2] for s in samples)
            found[found == 0] = -0.0 if negative_zero else 0.0
            out.append(found.astype(np.float64))
        return out
    finally:
        client.cancel(sorted_f)
