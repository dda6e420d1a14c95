"""Conjoint data: attribute levels, effects coding, long choice data, rating matrices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from ..errors import InvalidInputError, InvalidTypeError
from .measured import is_text, sorted_labels
from .table import to_pandas


def attribute_levels(col: pd.Series, name: str, what: str) -> list[Any]:
    """The levels of a conjoint attribute: a categorical's categories in order, else the sorted
    distinct values (missing values are not a level)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = list(col.cat.categories)
    else:
        levels = sorted_labels(col)
    if len(levels) < 2:
        raise InvalidInputError(
            f"{what}: attribute {name!r} has {len(levels)} level(s); an attribute needs at "
            "least two levels to have part-worths",
            name,
        )
    return levels


def level_codes(col: pd.Series, levels: list[Any], name: str, what: str) -> np.ndarray:
    """0-based level codes (int64) of an attribute column; unknown or missing values raise."""
    if isinstance(col.dtype, pd.CategoricalDtype) and list(col.cat.categories) == list(levels):
        codes = col.cat.codes.to_numpy().astype(np.int64)
    elif len(col) <= 256:
        # A handful of profiles: a dict lookup beats pandas' hashing machinery.
        position = {lv: i for i, lv in enumerate(levels)}
        codes = np.array([position.get(v, -1) for v in col.tolist()], dtype=np.int64)
    else:
        # Factorize once (hashing), then map the few distinct values to level positions.
        uniq_codes, uniques = pd.factorize(col, use_na_sentinel=True)
        uniq_values = (
            uniques.astype(object) if isinstance(uniques, pd.CategoricalIndex) else uniques
        )
        pos = pd.Index(levels, dtype=object).get_indexer(pd.Index(uniq_values, dtype=object))
        codes = np.where(uniq_codes >= 0, pos[np.maximum(uniq_codes, 0)], -1).astype(np.int64)
    values = col.astype(object) if isinstance(col.dtype, pd.CategoricalDtype) else col
    if (codes < 0).any():
        bad = pd.unique(pd.Series(np.asarray(values, dtype=object)[codes < 0]))[:5]
        if pd.isna(bad).all():
            raise InvalidInputError(f"{what}: attribute {name!r} has missing values", name)
        raise InvalidInputError(
            f"{what}: attribute {name!r} has level(s) {list(bad)!r} that are not among its "
            f"levels {levels!r}",
            name,
        )
    return np.asarray(codes, dtype=np.int64)


def effects_coding(codes: np.ndarray, n_levels: int) -> np.ndarray:
    """Effects (sum-to-zero) coding of one attribute's 0-based level codes: level l < L-1 ->
    unit vector e_l, the last level -> -1s, code -1 (missing / "none" row) -> zeros."""
    table = np.vstack(
        [np.eye(n_levels - 1), -np.ones((1, n_levels - 1)), np.zeros((1, n_levels - 1))]
    )
    return table[np.where(codes < 0, n_levels, codes)]


def effects_matrix(
    codes: np.ndarray, levels: Sequence[int], intercept: bool = False
) -> np.ndarray:
    """The effects-coded model matrix of integer level codes (n, attributes), optionally with an
    intercept column first; the one effects coding of the package (designs and models)."""
    n = codes.shape[0]
    blocks = [np.ones((n, 1))] if intercept else []
    blocks += [effects_coding(codes[:, j], n_levels) for j, n_levels in enumerate(levels)]
    return np.hstack(blocks) if blocks else np.zeros((n, 0))


def numeric_attribute(col: pd.Series, name: str, what: str) -> np.ndarray:
    """A linear (numeric) attribute as float64; text and categories are a type error."""
    dtype = col.dtype
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or is_text(dtype)
        or not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
        or pd.api.types.is_complex_dtype(dtype)
    ):
        raise InvalidTypeError(
            f"{what}: linear attribute {name!r} must be numeric, got dtype {dtype}", name
        )
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(values).all():
        raise InvalidInputError(
            f"{what}: linear attribute {name!r} has missing or infinite values", name
        )
    return values


@dataclass(frozen=True)
class ChoiceCoding:
    """How long choice data are turned into model-matrix columns; reused for new scenarios."""

    attributes: list[str]  # effects-coded categorical attributes
    levels: list[list[Any]]  # their levels
    linear: list[str]  # numeric attributes, one coefficient each
    alternative: str | None  # column of alternative labels (ASCs), if any
    asc_levels: list[Any]  # alternative labels that get a constant (all but the reference)
    none: str | None  # boolean column marking "none" rows, if any

    @property
    def names(self) -> list[str]:
        names = [
            f"{a}[{lv}]"
            for a, lv_all in zip(self.attributes, self.levels, strict=True)
            for lv in lv_all[:-1]
        ]
        names += list(self.linear)
        names += [f"ASC[{a}]" for a in self.asc_levels]
        if self.none is not None:
            names.append("NONE")
        return names

    @property
    def n_effects(self) -> int:
        """The effects-coded parameters come first: Σ (L − 1) of them."""
        return sum(len(lv) - 1 for lv in self.levels)

    def level_index(self) -> pd.MultiIndex:
        """(attribute, level) of every level of the effects-coded attributes."""
        pairs = [
            (a, lv) for a, lvs in zip(self.attributes, self.levels, strict=True) for lv in lvs
        ]
        return pd.MultiIndex.from_arrays(
            [[a for a, _ in pairs], [lv for _, lv in pairs]], names=["attribute", "level"]
        )

    def expand(self, beta: np.ndarray) -> np.ndarray:
        """Every level's part-worth from coefficients (..., K) in `names` order: each attribute's
        last level is minus the sum of the others."""
        parts, j = [], 0
        for levels in self.levels:
            c = beta[..., j : j + len(levels) - 1]
            parts += [c, -c.sum(axis=-1, keepdims=True)]
            j += len(levels) - 1
        if not parts:
            return np.zeros((*beta.shape[:-1], 0))
        return np.concatenate(parts, axis=-1)

    def matrix(
        self, data: pd.DataFrame, what: str, none_rows: np.ndarray | None = None
    ) -> np.ndarray:
        """The model matrix of `data` (rows in the given order); `none_rows` marks rows that are
        the "none" option (all zero but the NONE column)."""
        for name in [*self.attributes, *self.linear]:
            if name not in data.columns:
                raise InvalidInputError(f"{what}: attribute column {name!r} is missing", name)
        n = len(data)
        is_none = np.zeros(n, dtype=bool) if none_rows is None else none_rows
        real = ~is_none
        blocks = []
        every = bool(real.all())
        for name, levels in zip(self.attributes, self.levels, strict=True):
            if every:
                blocks.append(
                    effects_coding(level_codes(data[name], levels, name, what), len(levels))
                )
                continue
            block = np.zeros((n, len(levels) - 1))
            if real.any():
                codes = level_codes(data[name][real], levels, name, what)
                block[real] = effects_coding(codes, len(levels))
            blocks.append(block)
        for name in self.linear:
            if every:
                blocks.append(numeric_attribute(data[name], name, what)[:, None])
                continue
            col = np.zeros(n)
            if real.any():
                col[real] = numeric_attribute(data[name][real], name, what)
            blocks.append(col[:, None])
        if self.asc_levels:
            assert self.alternative is not None
            alt = data[self.alternative].to_numpy(dtype=object)
            for a in self.asc_levels:
                blocks.append(((alt == a) & real).astype(np.float64)[:, None])
        if self.none is not None:
            blocks.append(is_none.astype(np.float64)[:, None])
        if not blocks:
            raise InvalidInputError(f"{what}: no attributes to estimate", "attributes")
        return np.ascontiguousarray(np.hstack(blocks))


@dataclass(frozen=True)
class ChoiceData:
    """Long choice data sorted by respondent and task, ready for the Rust kernels."""

    x: np.ndarray  # (n_rows, K) model matrix
    starts: np.ndarray  # (n_tasks + 1,) int64 row offsets of the tasks
    chosen: np.ndarray  # (n_tasks,) int64 absolute row of each task's choice
    respondent_starts: np.ndarray  # (n_respondents + 1,) int64 task offsets of the respondents
    respondents: pd.Index  # respondent ids, in order of first appearance
    coding: ChoiceCoding


def boolean_column(col: pd.Series, name: str, what: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col.dtype):
        if col.isna().any():
            raise InvalidInputError(f"{what}: column {name!r} has missing values", name)
        return col.to_numpy(dtype=bool)
    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_complex_dtype(col.dtype):
        raise InvalidTypeError(
            f"{what}: column {name!r} must be boolean or 0/1, got dtype {col.dtype}", name
        )
    v = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isin(v, (0.0, 1.0)).all():
        raise InvalidInputError(f"{what}: column {name!r} must hold only 0/1 (or booleans)", name)
    return v == 1.0


def choice_columns(
    columns: Any,
    *,
    respondent: str,
    task: str,
    chosen: str,
    attributes: Sequence[str] | None,
    linear: Sequence[str] | None,
    alternative: str | None,
    none: str | None,
    what: str = "data",
) -> tuple[list[str], list[str]]:
    """The attribute and linear columns of long choice data with these `columns`; a role whose
    column is missing raises."""
    linear = [] if linear is None else list(linear)
    special = {respondent, task, chosen}
    for name, role in (
        (respondent, "respondent"),
        (task, "task"),
        (chosen, "chosen"),
        (alternative, "alternative"),
        (none, "none"),
    ):
        if name is not None and name not in columns:
            raise InvalidInputError(f"{role}: column {name!r} is not in {what}", role)
    if alternative is not None:
        special.add(alternative)
    if none is not None:
        special.add(none)
    for name in linear:
        if name not in columns:
            raise InvalidInputError(f"linear: column {name!r} is not in {what}", "linear")
    if attributes is None:
        return [c for c in columns if c not in special and c not in linear], linear
    for name in attributes:
        if name not in columns:
            raise InvalidInputError(f"attributes: column {name!r} is not in {what}", "attributes")
    # `linear` may be a subset of `attributes` (all attributes listed, price marked as
    # linear) or disjoint from it: either way the linear ones get one coefficient.
    return [a for a in attributes if a not in linear], linear


def check_ids(col: pd.Series, name: str, what: str = "data") -> None:
    """A respondent or task id column has no missing values."""
    if col.isna().any():
        raise InvalidInputError(f"{what}: column {name!r} has missing values", name)


def choice_coding(
    attribute_values: dict[str, pd.Series],
    linear: list[str],
    alternatives: pd.Series | None,
    *,
    alternative: str | None,
    asc_reference: Any,
    none: str | None,
    what: str = "data",
) -> ChoiceCoding:
    """The coding of long choice data from the values of its attributes and alternatives on the
    real (not "none") rows: the whole columns, or (a distributed fit) every partition's
    distinct values in row order, which give the same levels."""
    levels = [attribute_levels(col, a, what) for a, col in attribute_values.items()]
    asc_levels: list[Any] = []
    if alternatives is not None:
        alt_col = alternatives
        alts = (
            [a for a in alt_col.cat.categories if (alt_col == a).any()]
            if isinstance(alt_col.dtype, pd.CategoricalDtype)
            else sorted_labels(alt_col)
        )
        if asc_reference is None:
            ref = alts[-1]
        elif asc_reference in alts:
            ref = asc_reference
        else:
            raise InvalidInputError(
                f"asc_reference: {asc_reference!r} is not an alternative of column "
                f"{alternative!r} ({alts!r})",
                "asc_reference",
            )
        asc_levels = [a for a in alts if a != ref]
    return ChoiceCoding(list(attribute_values), levels, linear, alternative, asc_levels, none)


def check_tasks(
    n_chosen: np.ndarray,
    sizes: np.ndarray,
    example: Any,
    *,
    respondent: str,
    task: str,
    chosen: str,
) -> None:
    """Every task (in model order) has exactly one chosen alternative and at least two;
    `example(t)` gives the (respondent, task) ids of task t for the message."""
    bad = np.flatnonzero(n_chosen != 1)
    if len(bad):
        t = int(bad[0])
        r, k = example(t)
        raise InvalidInputError(
            f"{chosen}: {len(bad)} task(s) do not have exactly one chosen alternative, e.g. "
            f"{respondent}={r!r}, {task}={k!r} has {int(n_chosen[t])}",
            chosen,
        )
    small = np.flatnonzero(sizes < 2)
    if len(small):
        r, k = example(int(small[0]))
        raise InvalidInputError(
            f"{task}: {len(small)} task(s) have a single alternative, e.g. "
            f"{respondent}={r!r}, {task}={k!r}",
            task,
        )


@dataclass(frozen=True)
class ChoiceRows:
    """What every reading of long choice rows needs, in row order: the respondents and tasks as
    codes (in order of first appearance; `pair` numbers each (respondent, task) in order of
    first appearance), the chosen flags, and the no-choice rows (None without that role)."""

    resp_codes: np.ndarray
    respondents: pd.Index
    task_codes: np.ndarray
    task_ids: pd.Index
    pair: np.ndarray
    is_chosen: np.ndarray
    none_rows: np.ndarray | None

    @property
    def real(self) -> Any:
        """The rows of real alternatives (all rows without a no-choice role)."""
        return slice(None) if self.none_rows is None else ~self.none_rows


def choice_rows(
    frame: pd.DataFrame, *, respondent: str, task: str, chosen: str, none: str | None, what: str
) -> ChoiceRows:
    """Checks the id and flag columns of long choice rows and codes them (see
    :class:`ChoiceRows`); in memory for all rows, on Dask for one partition."""
    for col in (respondent, task):
        check_ids(frame[col], col, what)
    is_chosen = boolean_column(frame[chosen], chosen, what)
    none_rows = None if none is None else boolean_column(frame[none], none, what)
    resp_codes, respondents = pd.factorize(frame[respondent], sort=False)
    task_codes, task_ids = pd.factorize(frame[task], sort=False)
    pair, _ = pd.factorize(
        resp_codes.astype(np.int64) * max(len(task_ids), 1) + task_codes, sort=False
    )
    return ChoiceRows(
        resp_codes=resp_codes,
        respondents=pd.Index(respondents),
        task_codes=task_codes,
        task_ids=pd.Index(task_ids),
        pair=np.asarray(pair, dtype=np.int64),
        is_chosen=is_chosen,
        none_rows=none_rows,
    )


def merged_pairs(
    summaries: list[dict[str, Any]],
) -> tuple[pd.Index, pd.Index, np.ndarray, np.ndarray]:
    """The ids of all partitions' :func:`choice_rows` merged (respondents and tasks in order of
    first appearance over the partitions in order), and every partition's (respondent, task)
    pairs as codes of those: `(respondents, task_ids, pair_resp, pair_task)`, the pairs of
    all partitions one after the other. Each summary holds its `resp_ids`, `task_ids` and pair
    codes `pair_resp` / `pair_task`."""
    resp_all = summaries[0]["resp_ids"].append([s["resp_ids"] for s in summaries[1:]])
    task_all = summaries[0]["task_ids"].append([s["task_ids"] for s in summaries[1:]])
    resp_codes, respondents = pd.factorize(resp_all, sort=False)
    task_codes, task_ids = pd.factorize(task_all, sort=False)
    r_off = np.cumsum([0] + [len(s["resp_ids"]) for s in summaries])
    t_off = np.cumsum([0] + [len(s["task_ids"]) for s in summaries])
    gr = np.concatenate(
        [resp_codes[r_off[i] + s["pair_resp"]] for i, s in enumerate(summaries)]
    ).astype(np.int64)
    gt = np.concatenate(
        [task_codes[t_off[i] + s["pair_task"]] for i, s in enumerate(summaries)]
    ).astype(np.int64)
    return pd.Index(respondents), pd.Index(task_ids), gr, gt


def distinct_values(col: pd.Series) -> pd.Series:
    """A column's distinct values in order of first appearance, dtype kept."""
    return col.drop_duplicates().reset_index(drop=True)


def joined_values(parts: list[pd.Series]) -> pd.Series:
    """Per-partition :func:`distinct_values` joined in partition order (categories united in
    order), the values :func:`choice_coding` reads."""
    if all(isinstance(s.dtype, pd.CategoricalDtype) for s in parts):
        return pd.Series(union_categoricals(parts, ignore_order=True))
    return pd.concat(parts, ignore_index=True)


def choice_data(
    data: Any,
    *,
    respondent: str,
    task: str,
    chosen: str,
    attributes: Sequence[str] | None,
    linear: Sequence[str] | None,
    alternative: str | None,
    asc_reference: Any,
    none: str | None,
    what: str = "data",
) -> ChoiceData:
    """Validates and encodes long choice data (one row per respondent x task x alternative)."""
    frame = to_pandas(data, what=what)
    if frame is None:
        raise InvalidTypeError(f"{what}: must be a data frame in long format", what)
    if len(frame) == 0:
        raise InvalidInputError(f"{what}: has no rows", what)
    attributes, linear = choice_columns(
        frame.columns,
        respondent=respondent,
        task=task,
        chosen=chosen,
        attributes=attributes,
        linear=linear,
        alternative=alternative,
        none=none,
        what=what,
    )
    rows = choice_rows(
        frame, respondent=respondent, task=task, chosen=chosen, none=none, what=what
    )
    is_chosen, none_rows, real = rows.is_chosen, rows.none_rows, rows.real
    coding = choice_coding(
        {a: frame[a][real] for a in attributes},
        linear,
        None if alternative is None else frame[alternative][real],
        alternative=alternative,
        asc_reference=asc_reference,
        none=none,
        what=what,
    )
    resp_codes, respondents, task_codes = rows.resp_codes, rows.respondents, rows.pair
    # Respondents in order of first appearance, each one's tasks contiguous and in order of
    # first appearance; tasks renumbered in that order.
    order = np.lexsort((task_codes, resp_codes))
    sorted_tasks = task_codes[order]
    first = np.flatnonzero(np.r_[True, sorted_tasks[1:] != sorted_tasks[:-1]])
    n_tasks = len(first)
    starts = np.append(first, len(order)).astype(np.int64)
    task_codes = np.empty_like(task_codes)
    task_codes[order] = np.repeat(np.arange(n_tasks), np.diff(starts))
    sizes = np.diff(starts)
    n_chosen = np.bincount(task_codes, weights=is_chosen, minlength=n_tasks)

    def example(t: int) -> tuple[Any, Any]:
        row = order[starts[t]]
        return frame[respondent].iloc[row], frame[task].iloc[row]

    check_tasks(n_chosen, sizes, example, respondent=respondent, task=task, chosen=chosen)
    x = np.ascontiguousarray(coding.matrix(frame, what, none_rows)[order])
    chosen_rows = np.flatnonzero(is_chosen[order])
    groups = np.asarray(resp_codes[order][starts[:-1]], dtype=np.int64)
    return ChoiceData(
        x=x,
        starts=starts,
        chosen=chosen_rows.astype(np.int64),
        respondent_starts=np.searchsorted(groups, np.arange(len(respondents) + 1)).astype(
            np.int64
        ),
        respondents=pd.Index(respondents, name=respondent),
        coding=coding,
    )


def profiles_frame(profiles: Any, what: str = "profiles") -> pd.DataFrame:
    """Conjoint profiles or scenario products: a non-empty data frame, column names as str."""
    frame = to_pandas(profiles, what=what)
    if frame is None:
        raise InvalidTypeError(f"{what}: must be a data frame of attribute columns", what)
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InvalidInputError(f"{what}: is empty (shape {frame.shape})", what)
    return frame.set_axis([str(c) for c in frame.columns], axis=1)


def rating_matrix(
    ratings: Any,
    profiles: pd.Index,
    respondent: str | None,
    profile: str | None,
    rating: str | None,
) -> tuple[np.ndarray, pd.Index]:
    """Ratings as a respondents × profiles float block (in the order of `profiles`, the profiles'
    row labels) with the respondent ids: wide (one column per profile) or long (the columns
    named by `respondent`, `profile`, `rating`). Every respondent rates every profile once."""
    long = (respondent, profile, rating)
    if any(v is not None for v in long):
        if any(v is None for v in long):
            raise InvalidInputError(
                "ratings: long format needs all of respondent=, profile= and rating=",
                "ratings",
            )
        frame = to_pandas(ratings, what="ratings")
        if frame is None:
            raise InvalidTypeError("ratings: long format needs a data frame", "ratings")
        for col in long:
            if col not in frame.columns:
                raise InvalidInputError(f"ratings: column {col!r} is missing", col)
        pos = profiles.get_indexer(frame[profile])
        if (pos < 0).any():
            bad = frame[profile][pos < 0].iloc[0]
            raise InvalidInputError(
                f"ratings: profile {bad!r} is not a row label of profiles", profile
            )
        resp_codes, respondents = pd.factorize(frame[respondent], sort=False)
        if (resp_codes < 0).any():
            raise InvalidInputError(
                f"ratings: column {respondent!r} has missing values", respondent
            )
        counts = np.zeros((len(respondents), len(profiles)), dtype=np.int64)
        np.add.at(counts, (resp_codes, pos), 1)
        if (counts != 1).any():
            r, p = np.argwhere(counts != 1)[0]
            raise InvalidInputError(
                f"ratings: respondent {respondents[r]!r} rated profile "
                f"{profiles[p]!r} {counts[r, p]} times; every respondent must rate "
                "every profile once",
                "ratings",
            )
        values = _numeric_ratings(frame[rating], rating)
        y = np.empty((len(respondents), len(profiles)))
        y[resp_codes, pos] = values
        return y, pd.Index(respondents, name=respondent)
    frame = to_pandas(ratings, what="ratings")
    if frame is None:
        arr = np.asarray(ratings)
        if arr.ndim != 2:
            raise InvalidInputError(
                "ratings: must be respondents × profiles (2-D) or long format", "ratings"
            )
        frame = pd.DataFrame(arr)
    if frame.shape[1] != len(profiles):
        raise InvalidInputError(
            f"ratings: {frame.shape[1]} columns for {len(profiles)} profiles; pass one "
            "column per profile (in the order of the profiles' rows) or long format",
            "ratings",
        )
    if frame.shape[0] == 0:
        raise InvalidInputError("ratings: has no respondents", "ratings")
    numeric = all(
        pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
        for t in frame.dtypes
    )
    fast: np.ndarray | None = (
        frame.to_numpy(dtype=np.float64, na_value=np.nan) if numeric else None
    )
    if fast is not None and np.isfinite(fast.sum()):
        return fast, frame.index
    # Slow path: finds the column to name in the error.
    y = np.column_stack(
        [_numeric_ratings(frame.iloc[:, j], frame.columns[j]) for j in range(frame.shape[1])]
    )
    return y, frame.index


def _numeric_ratings(col: pd.Series, name: Any) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        raise InvalidTypeError(
            f"ratings: column {name!r} must be numeric, got dtype {col.dtype}", str(name)
        )
    values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(values).all():
        raise InvalidInputError(
            f"ratings: column {name!r} has missing or infinite ratings; every respondent must "
            "rate every profile",
            str(name),
        )
    return values


def covariate_matrix(covariates: Any, respondents: pd.Index) -> tuple[np.ndarray, list[str]]:
    """Upper-level covariates of a hierarchical model aligned with `respondents`: (1, z_i) rows
    (a column of ones first) and their names."""
    if covariates is None:
        return np.ones((len(respondents), 1)), ["intercept"]
    frame = to_pandas(covariates, what="covariates")
    if frame is None:
        raise InvalidInputError(
            "covariates: must be a data frame indexed by respondent id", "covariates"
        )
    missing = respondents.difference(frame.index)
    if len(missing):
        raise InvalidInputError(
            f"covariates: no row for {len(missing)} respondent(s), e.g. {missing[0]!r}",
            "covariates",
        )
    if frame.index.has_duplicates:
        raise InvalidInputError("covariates: respondent ids must be unique", "covariates")
    frame = frame.loc[respondents]
    cols = []
    for c in frame.columns:
        col = frame[c]
        if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            if pd.api.types.is_bool_dtype(col.dtype):
                col = col.astype(np.float64)
            else:
                raise InvalidInputError(
                    f"covariates: column {c!r} must be numeric (dummy-code categories)", str(c)
                )
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.isfinite(v).all():
            raise InvalidInputError(f"covariates: column {c!r} has missing values", str(c))
        cols.append(v)
    z = np.column_stack([np.ones(len(respondents)), *cols])
    return np.ascontiguousarray(z), ["intercept", *[str(c) for c in frame.columns]]
