"""``MNL`` (``ChoiceModel("mnl")``) on a Dask DataFrame of long choice data: Newton steps from
per-partition Rust kernels merged along the in-memory chunk tree over the *tasks* (see
:mod:`segmint.distributed`).

The in-memory fit sorts the rows by respondent (first appearance) and task (first appearance
within the respondent), then sums over fixed chunks of 1,024 tasks. Here:

1. every partition reports its respondent and task ids (in first-appearance order), rows and
   chosen alternatives per task and the distinct values of the attributes; the client orders the
   tasks exactly as in memory, checks them as in memory (same messages) and codes the
   attributes (same levels);
2. the tasks are dealt to new partitions of whole consecutive tasks starting on multiples of
   1,024 tasks (near the old boundaries, so sorted data hardly move; a task's alternatives are
   never split), each partition's rows in the in-memory order;
3. the centring means and the null log-likelihood, then at every Newton point the
   log-likelihood, gradient and information, come back per maximal node of the chunk tree and
   are added up the rest of the tree in the in-memory order; the one Newton driver of the Rust
   core takes its steps from them;
4. the clustered sandwich sums each respondent's task scores in order: a partition returns those
   of the respondents it holds whole, and a respondent cut by a partition boundary is evaluated
   once on its tasks brought together.
"""

from __future__ import annotations

import itertools
import operator
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._frame.conjoint import (
    check_tasks,
    choice_coding,
    choice_columns,
    choice_rows,
    distinct_values,
    joined_values,
    merged_pairs,
)
from ..errors import InvalidInputError, InvalidTypeError
from . import _partitions
from ._partitions import CHUNK_ROWS, _delayed_parts, _worker_task, get_client, kernel_threads

_WHAT = "data"


# --- worker side ----------------------------------------------------------------------------


@_worker_task
def _read_task(part: Any, roles: dict[str, Any], attributes: list[str]) -> dict[str, Any]:
    """Pass 1 on a source partition: checks, ids per task, distinct attribute values. The
    result stays on the worker; the client gathers its ``"summary"``."""
    frame = part
    alternative = roles["alternative"]
    rows = choice_rows(
        frame,
        respondent=roles["respondent"],
        task=roles["task"],
        chosen=roles["chosen"],
        none=roles["none"],
        what=_WHAT,
    )
    pair, real = rows.pair, rows.real
    n_pairs = int(pair.max()) + 1 if len(pair) else 0
    first = np.full(n_pairs, len(pair), dtype=np.int64)
    np.minimum.at(first, pair, np.arange(len(pair), dtype=np.int64))
    summary = {
        "resp_ids": rows.respondents,
        "task_ids": rows.task_ids,
        "pair_resp": np.asarray(rows.resp_codes[first], dtype=np.int64),
        "pair_task": np.asarray(rows.task_codes[first], dtype=np.int64),
        "rows": np.bincount(pair, minlength=n_pairs).astype(np.int64),
        "chosen": np.bincount(pair, weights=rows.is_chosen, minlength=n_pairs),
        "values": {a: distinct_values(frame[a][real]) for a in attributes},
        "alternatives": None if alternative is None else distinct_values(frame[alternative][real]),
    }
    return {
        "summary": summary,
        "pair": pair,
        "chosen": rows.is_chosen,
        "none": rows.none_rows,
        "frame": frame,
    }


@_worker_task
def _code_task(
    read: dict[str, Any], coding: Any, task_of_pair: np.ndarray, cuts: list[int]
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Pass 2 on a source partition: its model matrix, cut by destination partition (rows with
    their global task numbers and chosen flags)."""
    frame = read["frame"]
    task_of_row = task_of_pair[read["pair"]]
    x = coding.matrix(frame, _WHAT, read["none"])
    is_chosen = read["chosen"]
    dest = np.searchsorted(np.asarray(cuts[1:-1]), task_of_row, side="right")
    out: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for j in np.unique(dest).tolist():
        m = dest == j
        out[int(j)] = (task_of_row[m], x[m], is_chosen[m])
    return out


@_worker_task
def _build_task(
    *pieces: tuple[np.ndarray, np.ndarray, np.ndarray], lo: int, hi: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A destination partition: tasks ``lo:hi`` (global numbers) from its pieces in source
    order, rows in the in-memory order (by task, stable): (x, starts, chosen rows)."""
    if pieces:
        tasks = np.concatenate([p[0] for p in pieces])
        x = np.concatenate([p[1] for p in pieces])
        flags = np.concatenate([p[2] for p in pieces])
    else:  # pragma: no cover - every destination holds tasks
        tasks, x, flags = np.empty(0, np.int64), np.empty((0, k)), np.empty(0, bool)
    order = np.argsort(tasks, kind="stable")
    x = np.ascontiguousarray(x[order], dtype=np.float64)
    counts = np.bincount(tasks - lo, minlength=hi - lo)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    chosen = np.flatnonzero(flags[order]).astype(np.int64)
    return x, starts, chosen


@_worker_task
def _totals_task(block: Any, *, task_start: int, n_tasks: int, n_threads: int) -> dict[str, Any]:
    x, starts, chosen = block
    first, count, rows, sums, null = _core.mnl_partition_totals(
        x, starts, chosen, task_start=task_start, n_tasks_total=n_tasks, n_threads=n_threads
    )
    return {
        "first": first,
        "count": count,
        "values": list(zip(rows.tolist(), sums, null, strict=False)),
    }


@_worker_task
def _columns_task(block: Any, *, mean: list[float], n_threads: int) -> Any:
    x, starts, chosen = block
    cols = _core.mnl_partition_columns(x, starts, chosen, mean=mean, n_threads=n_threads)
    return cols, starts, chosen


@_worker_task
def _spread_task(block: Any, *, mean: np.ndarray) -> tuple[int, np.ndarray]:
    """Rows and Σ (x − mean)² per column (the scale of the separation warning)."""
    x = block[0]
    return len(x), ((x - mean) ** 2).sum(axis=0)


@_worker_task
def _stats_task(
    block: Any, *, beta: np.ndarray, hessian: bool, task_start: int, n_tasks: int, n_threads: int
) -> dict[str, Any]:
    cols, starts, chosen = block
    first, count, ll, grad, info = _core.mnl_partition_stats(
        cols,
        starts,
        chosen,
        beta=beta.tolist(),
        hessian=hessian,
        task_start=task_start,
        n_tasks_total=n_tasks,
        n_threads=n_threads,
    )
    infos = list(info) if hessian else [None] * len(ll)
    return {
        "first": first,
        "count": count,
        "values": list(zip(ll.tolist(), grad, infos, strict=False)),
    }


def _tasks_slice(block: Any, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tasks ``lo:hi`` (local numbers) of a destination partition, offsets made local."""
    x, starts, chosen = block
    r0, r1 = int(starts[lo]), int(starts[hi])
    return x[r0:r1], starts[lo : hi + 1] - r0, chosen[lo:hi] - r0


@_worker_task
def _scores_task(
    *blocks: Any, ranges: list[tuple[int, int]], runs: np.ndarray, beta: np.ndarray, n_threads: int
) -> np.ndarray:
    """Score vectors of the respondents whose tasks are `ranges` of `blocks` (consecutive),
    respondent boundaries `runs` (task offsets into the joined tasks)."""
    pieces = [_tasks_slice(b, lo, hi) for b, (lo, hi) in zip(blocks, ranges, strict=True)]
    if len(pieces) == 1:
        x, starts, chosen = pieces[0]
    else:
        row_off = np.cumsum([0] + [len(p[0]) for p in pieces])
        x = np.concatenate([p[0] for p in pieces])
        starts = np.concatenate(
            [[0]] + [p[1][1:] + off for p, off in zip(pieces, row_off, strict=False)]
        )
        chosen = np.concatenate([p[2] + off for p, off in zip(pieces, row_off, strict=False)])
    return _core.mnl_respondent_scores(
        np.ascontiguousarray(x),
        np.asarray(starts, dtype=np.int64),
        np.asarray(chosen, dtype=np.int64),
        np.asarray(runs, dtype=np.int64),
        beta=beta.tolist(),
        n_threads=n_threads,
    )


# --- client side ----------------------------------------------------------------------------


def _add(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
    """Adds two nodes' statistics as the Rust merge does (element by element)."""
    return tuple(None if x is None else x + y for x, y in zip(a, b, strict=True))


def _nodes(results: list[dict[str, Any]]) -> dict[tuple[int, int], Any]:
    out: dict[tuple[int, int], Any] = {}
    for r in results:
        for f, c, v in zip(r["first"].tolist(), r["count"].tolist(), r["values"], strict=True):
            out[(f, c)] = v
    return out


def _check_frame(data: Any) -> pd.DataFrame:
    meta = getattr(data, "_meta", None)
    if not isinstance(meta, pd.DataFrame):
        raise InvalidTypeError(
            f"{_WHAT}: must be a data frame in long format (a Dask DataFrame)", _WHAT
        )
    return meta


class _Layout:
    """The tasks in the in-memory order and where they live, from the partitions' summaries."""

    def __init__(self, summaries: list[dict[str, Any]], roles: dict[str, Any]) -> None:
        live = [s for s in summaries if len(s["rows"])]
        if not live:
            raise InvalidInputError(f"{_WHAT}: has no rows", _WHAT)
        respondents, task_ids, gr, gt = merged_pairs(live)
        pair_id, _ = pd.factorize(gr * max(len(task_ids), 1) + gt, sort=False)
        pair_id = np.asarray(pair_id, dtype=np.int64)
        n_tasks = int(pair_id.max()) + 1
        first_entry = np.full(n_tasks, len(pair_id), dtype=np.int64)
        np.minimum.at(first_entry, pair_id, np.arange(len(pair_id), dtype=np.int64))
        resp_of_pair = gr[first_entry]
        order = np.lexsort((np.arange(n_tasks), resp_of_pair))
        rank = np.empty(n_tasks, dtype=np.int64)
        rank[order] = np.arange(n_tasks)
        entry_task = rank[pair_id]
        rows = np.zeros(n_tasks, dtype=np.int64)
        np.add.at(rows, entry_task, np.concatenate([s["rows"] for s in live]))
        n_chosen = np.zeros(n_tasks)
        np.add.at(n_chosen, entry_task, np.concatenate([s["chosen"] for s in live]))
        task_resp = resp_of_pair[order]
        task_task = gt[first_entry][order]

        def example(t: int) -> tuple[Any, Any]:
            return respondents[task_resp[t]], task_ids[task_task[t]]

        check_tasks(
            n_chosen,
            rows,
            example,
            respondent=roles["respondent"],
            task=roles["task"],
            chosen=roles["chosen"],
        )
        self.n_tasks = n_tasks
        self.respondents = pd.Index(respondents, name=roles["respondent"])
        self.respondent_starts = np.searchsorted(
            task_resp, np.arange(len(respondents) + 1)
        ).astype(np.int64)
        # Each source partition's pairs -> global task numbers.
        e_off = np.cumsum([0] + [len(s["rows"]) for s in live])
        self.task_of_pair = [entry_task[e_off[i] : e_off[i + 1]] for i in range(len(live))]
        # New boundaries: where each source partition's tasks end in the task order, rounded
        # to a multiple of CHUNK_ROWS (sorted data then stay where they are).
        home = np.zeros(n_tasks, dtype=np.int64)
        src_of_entry = np.repeat(np.arange(len(live)), np.diff(e_off))
        home[order] = src_of_entry[first_entry[order]]
        ends = np.cumsum(np.bincount(home, minlength=len(live)))
        cuts = [0]
        for b in ends[:-1].tolist():
            r = round(b / CHUNK_ROWS) * CHUNK_ROWS
            if cuts[-1] < r < n_tasks:
                cuts.append(r)
        cuts.append(n_tasks)
        self.cuts = cuts
        self.live = [i for i, s in enumerate(summaries) if len(s["rows"])]

    def destinations(self, i: int) -> list[int]:
        """The new partitions that receive tasks of live source `i`."""
        t = self.task_of_pair[i]
        return np.unique(np.searchsorted(self.cuts[1:-1], t, side="right")).tolist()


def _coding(
    summaries: list[dict[str, Any]],
    roles: dict[str, Any],
    attributes: list[str],
    linear: list[str],
) -> Any:
    live = [s for s in summaries if len(s["rows"])]
    values = {a: joined_values([s["values"][a] for s in live]) for a in attributes}
    alts = None
    if roles["alternative"] is not None:
        alts = joined_values([s["alternatives"] for s in live])
    return choice_coding(
        values,
        linear,
        alts,
        alternative=roles["alternative"],
        asc_reference=roles["asc_reference"],
        none=roles["none"],
        what=_WHAT,
    )


def fit_mnl(estimator: Any, data: Any, roles: dict[str, Any], *, client: Any = None) -> Any:
    """``MNL.fit`` on a Dask DataFrame of long choice data (see the module notes): coefficients,
    standard errors (robust ones too), log-likelihoods and iterations bit-identical to the
    in-memory fit on the same rows, on any partitioning.

    ``MNL.fit`` (and ``ChoiceModel("mnl").fit``) calls it for a Dask DataFrame.

    Parameters
    ----------
    estimator : MNL
        The estimator to fit (its parameters are validated as in memory).
    data : dask DataFrame
        One row per respondent × task × alternative; respondents and tasks may span partitions.
    roles : dict
        Column roles for this fit, overriding the estimator's (as ``fit(**roles)``).
    client : distributed.Client, default None
        The current client when None.

    Returns
    -------
    MNL
        The fitted estimator.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from distributed import Client
    >>> import segmint as sg
    >>> data, truth = sg.datasets.make_choice_data(200, 8, 3, random_state=0)
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=":0")
    >>> from segmint import distributed
    >>> mnl = distributed.fit_mnl(sg.conjoint.MNL(linear=["price"]), dd.from_pandas(data, 3), {})
    >>> bool(mnl.coef_.equals(sg.conjoint.MNL(linear=["price"]).fit(data).coef_))
    True
    >>> client.close()
    """
    import dask

    params = estimator._check_params()
    roles = estimator._roles(roles)
    meta = _check_frame(data)
    attributes, linear = choice_columns(
        meta.columns,
        respondent=roles["respondent"],
        task=roles["task"],
        chosen=roles["chosen"],
        attributes=roles["attributes"],
        linear=roles["linear"],
        alternative=roles["alternative"],
        none=roles["none"],
        what=_WHAT,
    )
    client = get_client(client)
    threads = kernel_threads(client, estimator.n_jobs)
    gather = _partitions._gather
    parts = _delayed_parts(data, _WHAT)
    read = dask.delayed(_read_task, pure=True)
    reads = client.compute([read(p, roles, attributes) for p in parts])
    summaries = gather(client, [client.submit(operator.getitem, f, "summary") for f in reads])
    layout = _Layout(summaries, roles)
    coding = _coding(summaries, roles, attributes, linear)
    k = len(coding.names)
    cuts = layout.cuts
    # Pass 2: model matrices dealt to the new partitions.
    coded = [
        client.submit(_code_task, reads[i], coding, layout.task_of_pair[j], cuts, pure=False)
        for j, i in enumerate(layout.live)
    ]
    incoming: list[list[Any]] = [[] for _ in range(len(cuts) - 1)]
    for j, f in enumerate(coded):
        for dest in layout.destinations(j):
            incoming[dest].append(client.submit(operator.getitem, f, dest, pure=False))
    blocks = [
        client.submit(_build_task, *incoming[d], lo=lo, hi=hi, k=k, pure=False)
        for d, (lo, hi) in enumerate(itertools.pairwise(cuts))
    ]
    del reads, coded, incoming
    n_tasks = layout.n_tasks
    starts_of = cuts[:-1]

    def each(func: Any, targets: list[Any], **kwargs: Any) -> list[Any]:
        futures = [
            client.submit(func, b, task_start=s, n_tasks=n_tasks, pure=False, **kwargs)
            for b, s in zip(targets, starts_of, strict=True)
        ]
        return gather(client, futures)

    rows, sums, null = _partitions.merge_tree(
        _nodes(each(_totals_task, blocks, n_threads=threads)), n_tasks, _add
    )
    mean = sums / float(max(rows, 1))
    columns = [
        client.submit(_columns_task, b, mean=mean.tolist(), n_threads=threads, pure=False)
        for b in blocks
    ]

    def stats(beta: np.ndarray, hessian: bool) -> tuple[float, np.ndarray, Any]:
        res = each(_stats_task, columns, beta=np.asarray(beta), hessian=hessian, n_threads=threads)
        return _partitions.merge_tree(_nodes(res), n_tasks, _add)

    def scores(beta: np.ndarray) -> np.ndarray:
        return _respondent_scores(client, blocks, layout, np.asarray(beta), threads, k)

    out = _core.mnl_newton(
        stats,
        scores,
        k=k,
        names=coding.names,
        loglik_null=float(null),
        max_iter=params["max_iter"],
        tol=params["tol"],
    )
    spread = gather(client, [client.submit(_spread_task, b, mean=mean) for b in blocks])
    n_rows = sum(n for n, _ in spread)
    sd = np.sqrt(sum(s for _, s in spread) / max(n_rows, 1))
    estimator.coding_ = coding
    estimator.parameter_names_ = coding.names
    estimator.respondents_ = layout.respondents
    estimator.n_tasks_ = n_tasks
    estimator.n_respondents_ = len(layout.respondents)
    estimator._finish(coding, out, sd, params)
    return estimator


def _respondent_scores(
    client: Any, blocks: list[Any], layout: _Layout, beta: np.ndarray, threads: int, k: int
) -> np.ndarray:
    """Every respondent's score vector, in respondent order: the respondents a partition holds
    whole there, a respondent cut by a boundary on its tasks brought together."""
    cuts, rs = layout.cuts, layout.respondent_starts
    futures: list[Any] = []
    for d, (lo, hi) in enumerate(itertools.pairwise(cuts)):
        # Respondents starting in [lo, hi): whole ones here, the last may run on.
        r0 = int(np.searchsorted(rs, lo, side="left"))
        r1 = int(np.searchsorted(rs, hi, side="left"))  # respondents r0..r1 start here
        if r1 <= r0:
            continue
        whole_end = r1 if rs[r1] <= hi else r1 - 1
        if whole_end > r0:
            runs = rs[r0 : whole_end + 1] - rs[r0]
            futures.append(
                client.submit(
                    _scores_task,
                    blocks[d],
                    ranges=[(int(rs[r0] - lo), int(rs[whole_end] - lo))],
                    runs=runs,
                    beta=beta,
                    n_threads=threads,
                    pure=False,
                )
            )
        if whole_end < r1:
            # Respondent `whole_end` runs past `hi`: its tasks from every partition it touches.
            t0, t1 = int(rs[whole_end]), int(rs[whole_end + 1])
            parts, ranges = [], []
            for e, (a, b) in enumerate(itertools.pairwise(cuts)):
                if b > t0 and a < t1:
                    parts.append(blocks[e])
                    ranges.append((max(t0, a) - a, min(t1, b) - a))
            futures.append(
                client.submit(
                    _scores_task,
                    *parts,
                    ranges=ranges,
                    runs=np.array([0, t1 - t0]),
                    beta=beta,
                    n_threads=threads,
                    pure=False,
                )
            )
    pieces = _partitions._gather(client, futures)
    return np.ascontiguousarray(np.concatenate(pieces) if pieces else np.empty((0, k)))
