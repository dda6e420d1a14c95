"""Choice-based conjoint designs: tasks of alternatives by random, balanced-overlap or
D-efficient construction, with prohibitions and versions."""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._frame.conjoint import effects_matrix
from .._validation import check_int, generator
from ..errors import InternalError, InvalidInputError
from .design import (
    _DESIGN_COLUMNS,
    _MAX_FACTORIAL,
    Attributes,
    FloatArray,
    IntArray,
    _check_attributes,
    _ff_codes,
    _frame,
    design_efficiency,
)

__all__ = ["choice_design"]

_METHODS = ("balanced_overlap", "random", "d_efficient")

# --------------------------------------------------------------------------------------------
# Prohibitions
# --------------------------------------------------------------------------------------------


class _Rules:
    """Prohibited profiles as a lookup table over the attributes that prohibitions name."""

    def __init__(self, attributes: Mapping[Hashable, list[Any]], prohibitions: Any) -> None:
        names = list(attributes)
        self.levels = [len(v) for v in attributes.values()]
        items = [] if prohibitions is None else prohibitions
        if isinstance(items, Mapping) or not isinstance(items, Sequence) or isinstance(items, str):
            raise InvalidInputError(
                "prohibitions: must be a list of dicts {attribute: level}, "
                f"got {type(prohibitions).__name__}",
                "prohibitions",
            )
        parsed: list[dict[int, int]] = []
        for i, rule in enumerate(items):
            if not isinstance(rule, Mapping) or len(rule) == 0:
                raise InvalidInputError(
                    f"prohibitions[{i}]: must be a non-empty dict {{attribute: level}}, "
                    f"got {rule!r}",
                    "prohibitions",
                )
            codes: dict[int, int] = {}
            for name, level in rule.items():
                if name not in attributes:
                    raise InvalidInputError(
                        f"prohibitions[{i}]: unknown attribute {name!r}", "prohibitions"
                    )
                lookup = {value: k for k, value in enumerate(attributes[name])}
                try:
                    code = lookup.get(level)
                except TypeError:
                    code = None
                if code is None:
                    raise InvalidInputError(
                        f"prohibitions[{i}]: {level!r} is not a level of attribute {name!r}",
                        "prohibitions",
                    )
                codes[names.index(name)] = code
            parsed.append(codes)
        self.involved = sorted({j for rule_codes in parsed for j in rule_codes})
        self.shape = tuple(self.levels[j] for j in self.involved)
        n_sub = math.prod(self.shape)
        if n_sub > _MAX_FACTORIAL:
            raise InvalidInputError(
                "prohibitions: they involve too many attribute combinations", "prohibitions"
            )
        banned = np.zeros(self.shape, dtype=bool)
        for rule_codes in parsed:
            index = tuple(rule_codes.get(j, slice(None)) for j in self.involved)
            banned[index] = True
        self.banned = banned.ravel()
        self.allowed = np.flatnonzero(~self.banned)
        free = math.prod(n for j, n in enumerate(self.levels) if j not in self.involved)
        self.n_allowed = int(self.allowed.size) * free
        if self.n_allowed == 0:
            raise InvalidInputError("prohibitions: they exclude every profile", "prohibitions")
        for axis, j in enumerate(self.involved):
            seen = (~banned).any(axis=tuple(a for a in range(banned.ndim) if a != axis))
            if not seen.all():
                level = attributes[names[j]][int(np.argmin(seen))]
                raise InvalidInputError(
                    f"prohibitions: every profile with {names[j]!r} = {level!r} is prohibited, "
                    f"so the effects of attribute {names[j]!r} cannot be estimated",
                    "prohibitions",
                )

    def is_banned(self, codes: IntArray) -> np.ndarray:
        """Boolean (...) mask of prohibited profiles among codes (..., k)."""
        if not self.involved:
            return np.zeros(codes.shape[:-1], dtype=bool)
        sub = codes[..., self.involved]
        flat = np.ravel_multi_index(tuple(np.moveaxis(sub, -1, 0)), self.shape)
        return self.banned[flat]

    def sample(self, rng: np.random.Generator, size: int) -> IntArray:
        """`size` profiles drawn uniformly from the allowed ones."""
        codes = np.empty((size, len(self.levels)), dtype=np.int64)
        for j, n_levels in enumerate(self.levels):
            if j not in self.involved:
                codes[:, j] = rng.integers(0, n_levels, size=size)
        if self.involved:
            sub = np.unravel_index(rng.choice(self.allowed, size=size), self.shape)
            for axis, j in enumerate(self.involved):
                codes[:, j] = sub[axis]
        return codes

    def enumerate(self) -> IntArray:
        """All allowed profiles (only for small sets)."""
        ff = _ff_codes(self.levels)
        return ff[~self.is_banned(ff)]


# --------------------------------------------------------------------------------------------
# Choice designs
# --------------------------------------------------------------------------------------------


def _duplicate_pairs(codes: IntArray) -> IntArray:
    """Number of pairs of identical profiles per task, codes (..., J, k)."""
    same = (codes[..., :, None, :] == codes[..., None, :, :]).all(axis=-1)
    n_alt = codes.shape[-2]
    return np.triu(same, k=1).reshape(*same.shape[:-2], n_alt * n_alt).sum(axis=-1)


def _violations(codes: IntArray, rules: _Rules) -> IntArray:
    """Prohibited profiles plus identical pairs per task, codes (..., J, k)."""
    return rules.is_banned(codes).sum(axis=-1) + _duplicate_pairs(codes)


def _random_tasks(rules: _Rules, n_sets: int, n_alt: int, rng: np.random.Generator) -> IntArray:
    """Tasks of distinct allowed profiles drawn uniformly (rejection of tasks with repeats)."""
    k = len(rules.levels)
    codes = rules.sample(rng, n_sets * n_alt).reshape(n_sets, n_alt, k)
    bad = _duplicate_pairs(codes) > 0
    for _ in range(200):
        if not bad.any():
            return codes
        redo = np.flatnonzero(bad)
        codes[redo] = rules.sample(rng, redo.size * n_alt).reshape(redo.size, n_alt, k)
        bad[redo] = _duplicate_pairs(codes[redo]) > 0
    if bad.any():  # only when few profiles are allowed: draw without replacement
        allowed = rules.enumerate()
        for s in np.flatnonzero(bad):
            codes[s] = allowed[rng.choice(allowed.shape[0], size=n_alt, replace=False)]
    return codes


def _balanced_overlap(
    levels: Sequence[int], n_versions: int, n_tasks: int, n_alt: int, rng: np.random.Generator
) -> IntArray:
    """Level-balanced tasks with minimal overlap, codes (V, T, J, k).

    Slot by slot, each task takes the level least used within the task, then least used in the
    version so far (random ties), so levels repeat within a task only when an attribute has
    fewer levels than alternatives, and every level's count in a version is within one of the
    others'. Each task's levels are then shuffled over its alternatives, independently per
    attribute."""
    codes = np.empty((n_versions, n_tasks, n_alt, len(levels)), dtype=np.int64)
    versions = np.arange(n_versions)
    big = float(n_tasks * n_alt + 1)
    for a, n_levels in enumerate(levels):
        counts = np.zeros((n_versions, n_levels))
        for t in range(n_tasks):
            in_task = np.zeros((n_versions, n_levels))
            for s in range(n_alt):
                key = in_task * big + counts + rng.random((n_versions, n_levels))
                level = key.argmin(axis=1)
                codes[:, t, s, a] = level
                in_task[versions, level] += 1
                counts[versions, level] += 1
            order = rng.random((n_versions, n_alt)).argsort(axis=1)
            codes[:, t, :, a] = np.take_along_axis(codes[:, t, :, a], order, axis=1)
    return codes


def _swap_moves(k: int, n_alt: int) -> tuple[IntArray, IntArray, IntArray]:
    """All (attribute, alternative i, alternative j > i) swaps of a task."""
    moves = [(a, i, j) for a in range(k) for i, j in itertools.combinations(range(n_alt), 2)]
    arr = np.array(moves, dtype=np.int64).reshape(-1, 3)
    return arr[:, 0], arr[:, 1], arr[:, 2]


def _swapped(task: IntArray, attr: IntArray, i: IntArray, j: IntArray) -> IntArray:
    """Copies (C, J, ...) of one task's codes (J, k) with attribute attr[c] of alternatives
    i[c] and j[c] swapped."""
    out = np.repeat(task[None], attr.size, axis=0)
    rows = np.arange(attr.size)
    out[rows, i, attr] = task[j, attr]
    out[rows, j, attr] = task[i, attr]
    return out


def _repair(codes: IntArray, rules: _Rules, rng: np.random.Generator) -> IntArray:
    """Removes prohibited profiles and identical profiles within tasks, codes (V, T, J, k).

    First by swapping an attribute's levels between two alternatives of the task (keeps the
    level counts), greedily; what is left is redrawn from the allowed profiles."""
    v_count, t_count, n_alt, k = codes.shape
    flat = codes.reshape(v_count * t_count, n_alt, k)
    bad = np.flatnonzero(_violations(flat, rules) > 0)
    if bad.size == 0:
        return codes
    attr, alt_i, alt_j = _swap_moves(k, n_alt)
    for s in bad:
        task = flat[s]
        current = int(_violations(task, rules))
        for _step in range(50):
            if current == 0:
                break
            options = _swapped(task, attr, alt_i, alt_j)
            scores = _violations(options, rules)
            best = scores.min()
            if best < current:
                pick = rng.choice(np.flatnonzero(scores == best))
            else:  # a random sideways step to escape
                pick = rng.integers(attr.size)
            task = options[pick]
            current = int(scores[pick])
        for _redraw in range(1000):
            if current == 0:
                break
            wrong = rules.is_banned(task)
            same = (task[:, None, :] == task[None, :, :]).all(axis=-1)
            wrong |= np.triu(same, k=1).any(axis=0)
            which = int(np.argmax(wrong))
            task = task.copy()
            task[which] = rules.sample(rng, 1)[0]
            current = int(_violations(task, rules))
        if current != 0:
            raise InternalError("choice_design: could not repair a task")
        flat[s] = task
    return flat.reshape(codes.shape)


def _task_x(codes: IntArray, levels: Sequence[int], none: bool) -> FloatArray:
    """Effects-coded rows (..., J', p) of tasks (..., J, k), with the none alternative and its
    NONE column appended when `none`."""
    lead = codes.shape[:-1]
    x = effects_matrix(codes.reshape(-1, codes.shape[-1]), levels).reshape(*lead, -1)
    if not none:
        return x
    x = np.concatenate([x, np.zeros((*lead, 1))], axis=-1)
    none_row = np.zeros((*lead[:-1], 1, x.shape[-1]))
    none_row[..., -1] = 1.0
    return np.concatenate([x, none_row], axis=-2)


def _task_info(x: FloatArray) -> FloatArray:
    """MNL information at beta = 0 of tasks x (..., J, p):
    (1/J) sum_j (x_j - xbar)(x_j - xbar)'."""
    centred = x - x.mean(axis=-2, keepdims=True)
    return np.einsum("...jp,...jq->...pq", centred, centred) / x.shape[-2]


def _logdet(m: FloatArray) -> FloatArray:
    sign, logdet = np.linalg.slogdet(m)
    return np.where(sign > 0, logdet, -np.inf)


def _improve(
    codes: IntArray,
    levels: Sequence[int],
    none: bool,
    rules: _Rules,
    rng: np.random.Generator,
) -> IntArray:
    """Maximises det of the MNL information (beta = 0) by swapping an attribute's levels
    between two alternatives of a task (level counts and overlap are kept), task by task, best
    swap first, until a pass over all tasks brings no gain.

    Swapping attribute a between alternatives i and j moves x_i by d and x_j by -d (d = the
    difference of their a-columns) and leaves the task mean alone, so the task information
    changes by ``(e d' + d e' + 2 d d') / J`` with ``e = x_i - x_j``: a rank-2 update whose
    determinant ratio is ``det(I_2 + S U' M^-1 U)``, ``U = [e, d]``, ``S = [[0, 1], [1, 2]] / J``.

    Each version is optimised on its own information when every version identifies the main
    effects by itself, otherwise on the information pooled over versions."""
    codes = codes.copy()
    v_count, t_count, n_alt, k = codes.shape
    x = _task_x(codes, levels, none)  # (V, T, J', p)
    n_rows, p = x.shape[2], x.shape[3]
    info = _task_info(x)  # (V, T, p, p)
    per_version = info.sum(axis=1)
    separate = bool(np.all(np.isfinite(_logdet(per_version))))
    block = np.repeat(np.arange(k), [n - 1 for n in levels])
    if none:
        block = np.append(block, -1)
    attr, alt_i, alt_j = _swap_moves(k, n_alt)
    n_moves = attr.size
    moves = np.arange(n_moves)
    colmask = block[None, :] == attr[:, None]  # (C, p)
    others = np.ones((n_moves, n_alt), dtype=bool)
    others[moves, alt_i] = False
    others[moves, alt_j] = False
    s_mat = np.array([[0.0, 1.0], [1.0, 2.0]]) / n_rows
    eye = np.eye(p)

    def inverse(m: FloatArray) -> FloatArray:
        return np.linalg.inv(m + 1e-9 * max(float(np.trace(m)) / p, 1.0) * eye)

    for _pass in range(20):
        improved = False
        for v in rng.permutation(v_count):
            total = per_version[v].copy() if separate else per_version.sum(axis=0)
            minv = inverse(total)
            for t in rng.permutation(t_count):
                task = codes[v, t]
                valid = task[alt_i, attr] != task[alt_j, attr]
                # New profiles i' and j' must be allowed and differ from the other alternatives.
                new_i = task[alt_i].copy()
                new_j = task[alt_j].copy()
                new_i[moves, attr] = task[alt_j, attr]
                new_j[moves, attr] = task[alt_i, attr]
                valid &= ~(rules.is_banned(new_i) | rules.is_banned(new_j))
                same_i = (new_i[:, None, :] == task[None]).all(axis=-1) & others
                same_j = (new_j[:, None, :] == task[None]).all(axis=-1) & others
                valid &= ~(same_i.any(axis=1) | same_j.any(axis=1))
                if not valid.any():
                    continue
                xt = x[v, t]
                e = xt[alt_i] - xt[alt_j]
                d = np.where(colmask, -e, 0.0)
                u = np.stack([e, d], axis=2)  # (C, p, 2)
                b = np.eye(2) + s_mat @ np.einsum("cpi,pq,cqj->cij", u, minv, u)
                ratio = b[:, 0, 0] * b[:, 1, 1] - b[:, 0, 1] * b[:, 1, 0]
                gain = np.where(valid & (ratio > 0), np.log(np.maximum(ratio, 1e-300)), -np.inf)
                best = int(np.argmax(gain))
                if gain[best] <= 1e-9:
                    continue
                a, i, j = attr[best], alt_i[best], alt_j[best]
                codes[v, t, [i, j], a] = codes[v, t, [j, i], a]
                x[v, t, i] += d[best]
                x[v, t, j] -= d[best]
                new_info = _task_info(x[v, t])
                change = new_info - info[v, t]
                info[v, t] = new_info
                per_version[v] += change
                total += change
                minv = inverse(total)
                improved = True
        if not improved:
            break
    return codes


def _check_none(value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise InvalidInputError(f"none: must be True or False, got {value!r}", "none")
    return bool(value)


def choice_design(
    attributes: Attributes,
    n_tasks: int,
    n_alternatives: int,
    *,
    n_versions: int = 1,
    method: str = "balanced_overlap",
    none: bool = False,
    prohibitions: Sequence[Mapping[Any, Any]] | None = None,
    random_state: Any = None,
) -> pd.DataFrame:
    """A choice-based conjoint design: `n_versions` blocks of `n_tasks` tasks of
    `n_alternatives` profiles.

    Parameters
    ----------
    attributes : dict {attribute: [levels]}
        Names must differ from "version", "task", "alternative" and "none".
    n_tasks : int >= 1
        Tasks per version.
    n_alternatives : int >= 2
        Profiles per task (not counting the none alternative).
    n_versions : int >= 1
        Independent blocks (questionnaire versions), each made the same way.
    method : {"balanced_overlap", "random", "d_efficient"}
        - "random": each task is a uniform draw of distinct allowed profiles.
        - "balanced_overlap": within a version every level of an attribute appears as equally
          often as possible (counts differ by at most one); within a task an attribute's levels
          repeat only when it has fewer levels than alternatives (then as evenly as possible);
          levels are shuffled over alternatives independently per attribute.
        - "d_efficient": balanced overlap, then an attribute's levels are swapped between two
          alternatives of a task whenever that lowers the MNL D-error at beta = 0 (see
          :func:`design_efficiency`), which keeps level balance and overlap. Each version is
          optimised on its own information when each version alone identifies the main effects,
          otherwise on the information pooled over versions.
    none : bool
        Add a "none" alternative (number ``n_alternatives + 1``) to every task, with missing
        attribute cells, and a boolean column ``none``.
    prohibitions : list of dict {attribute: level}, optional
        A profile matching every item of any dict never appears. Balanced designs are repaired by
        swapping levels between alternatives of the task (keeping level counts), failing that by
        redrawing the profile.
    random_state : None, int, numpy Generator or RandomState
        The design is a deterministic function of an int seed.

    Returns
    -------
    DataFrame
        Long format, one row per (version, task, alternative) in that order, RangeIndex, columns
        ``version``, ``task``, ``alternative`` (int64, numbered from 1), then the attributes
        (Categorical, given level order), then ``none`` (bool) when asked for. Profiles within a
        task are distinct.

    Raises
    ------
    InvalidInputError
        Bad `attributes` (names the attribute), sizes that are not integers or too small, unknown
        `method`, prohibitions naming unknown attributes or levels or excluding every profile
        (or every profile with some level), fewer allowed profiles than alternatives, or a
        design that does not identify the main effects (names the attributes, e.g. too few
        tasks).

    See Also
    --------
    design_efficiency : the D-error of a design.
    orthogonal_design : profiles for rating conjoint.

    References
    ----------
    .. [1] Sawtooth Software (2017). The CBC System for Choice-Based Conjoint Analysis
       (balanced overlap, complete enumeration).
    .. [2] Huber, J. and Zwerina, K. (1996). The importance of utility balance in efficient
       choice designs. Journal of Marketing Research, 33(3), 307-317.

    Examples
    --------
    >>> from segmint.conjoint import choice_design
    >>> attrs = {"price": [10, 20, 30], "brand": ["A", "B", "C"], "support": ["email", "phone"]}
    >>> design = choice_design(attrs, n_tasks=8, n_alternatives=3, n_versions=2, random_state=0)
    >>> design.shape
    (48, 6)
    >>> design.head(3)
       version  task  alternative price brand support
    0        1     1            1    20     A   email
    1        1     1            2    30     B   email
    2        1     1            3    10     C   phone
    """
    attrs = _check_attributes(attributes)
    for name in attrs:
        if isinstance(name, str) and name in _DESIGN_COLUMNS:
            raise InvalidInputError(
                f"attributes: {name!r} is a column of the design; rename the attribute", name
            )
    tasks = check_int(n_tasks, "n_tasks", 1)
    n_alt = check_int(n_alternatives, "n_alternatives", 2)
    versions = check_int(n_versions, "n_versions", 1)
    if not isinstance(method, str) or method not in _METHODS:
        raise InvalidInputError(
            f"method: must be one of {', '.join(map(repr, _METHODS))}, got {method!r}", "method"
        )
    with_none = _check_none(none)
    rules = _Rules(attrs, prohibitions)
    if rules.n_allowed < n_alt:
        raise InvalidInputError(
            f"n_alternatives: only {rules.n_allowed} distinct profiles are allowed, "
            f"fewer than {n_alt} alternatives",
            "n_alternatives",
        )
    levels = [len(v) for v in attrs.values()]
    k = len(levels)
    rng = generator(random_state)

    if method == "random":
        codes = _random_tasks(rules, versions * tasks, n_alt, rng).reshape(
            versions, tasks, n_alt, k
        )
    else:
        codes = _repair(_balanced_overlap(levels, versions, tasks, n_alt, rng), rules, rng)
        if method == "d_efficient":
            codes = _improve(codes, levels, with_none, rules, rng)

    n_rows_alt = n_alt + int(with_none)
    if with_none:
        pad = np.full((versions, tasks, 1, k), -1, dtype=np.int64)
        codes = np.concatenate([codes, pad], axis=2)
    grid = np.indices((versions, tasks, n_rows_alt)).reshape(3, -1) + 1
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "version": grid[0].astype(np.int64),
                    "task": grid[1].astype(np.int64),
                    "alternative": grid[2].astype(np.int64),
                }
            ),
            _frame(attrs, codes.reshape(-1, k)),
        ],
        axis=1,
    )
    if with_none:
        frame["none"] = grid[2] == n_rows_alt

    efficiency = design_efficiency(frame, attrs)
    if not efficiency["identifiable"]:
        missing = efficiency["unidentified"]
        raise InvalidInputError(
            f"choice_design: the design does not identify the main effects of {missing!r} "
            f"({versions} version(s) x {tasks} task(s) x {n_alt} alternatives for "
            f"{efficiency['n_parameters']} parameters); add tasks (n_tasks), versions "
            "(n_versions) or alternatives (n_alternatives), or relax the prohibitions",
            str(missing[0]) if missing else "n_tasks",
        )
    return frame
