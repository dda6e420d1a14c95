"""Experimental designs for conjoint studies: full factorials, orthogonal main-effects plans
(with a D-optimal fallback) for rating conjoint, and choice designs (random, balanced overlap,
D-efficient) for choice-based conjoint, with their efficiency.

Level coding follows the package convention: an attribute's levels are given in order, and the
effects coding of levels ``l_1 .. l_L`` has one column per level ``l_1 .. l_{L-1}`` (1 for that
level, -1 for ``l_L``, 0 otherwise).

References
----------
Rao (1947) and the Rao–Hamming construction of orthogonal arrays; Hedayat, Sloane & Stufken (1999),
*Orthogonal Arrays*, ch. 3 and 9 (collapsing and expansive replacement); Addelman (1962) for
proportional frequencies; Cook & Nachtsheim (1980) for the modified Fedorov exchange; Kuhfeld,
*Marketing Research Methods in SAS* (D-efficiency, choice designs at beta = 0); Huber & Zwerina
(1996) for the MNL information matrix.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from .._frame.conjoint import effects_matrix
from .._validation import check_int, generator
from ..errors import InternalError, InvalidInputError

__all__ = ["choice_design", "design_efficiency", "full_factorial", "orthogonal_design"]

IntArray = np.ndarray
FloatArray = np.ndarray
#: An attribute's levels, in order.
Levels: TypeAlias = Sequence[Any] | np.ndarray | pd.Index | pd.Series | pd.Categorical
#: ``{attribute: levels}``.
Attributes: TypeAlias = Mapping[Any, Levels]

#: Columns of a choice design that are not attributes.
_DESIGN_COLUMNS = ("version", "task", "alternative", "none")
_METHODS = ("balanced_overlap", "random", "d_efficient")
#: Largest full factorial built (full_factorial) or enumerated (candidate sets, prohibitions).
_MAX_FACTORIAL = 10_000_000
#: Largest candidate set of the Fedorov exchange; bigger factorials are sampled.
_MAX_CANDIDATES = 20_000
#: Largest run size of an orthogonal array searched for.
_MAX_OA_RUNS = 1024
_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31)


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _check_attributes(attributes: Any) -> dict[Hashable, list[Any]]:
    """A fresh ``{name: [levels]}`` copy of `attributes`, validated."""
    if not isinstance(attributes, Mapping):
        raise InvalidInputError(
            f"attributes: must be a dict {{attribute: [levels]}}, got {type(attributes).__name__}",
            "attributes",
        )
    if len(attributes) == 0:
        raise InvalidInputError("attributes: at least one attribute is needed", "attributes")
    out: dict[Hashable, list[Any]] = {}
    for name, levels in attributes.items():
        if isinstance(levels, str | bytes) or not isinstance(
            levels, Sequence | np.ndarray | pd.Index | pd.Series | pd.Categorical
        ):
            raise InvalidInputError(
                f"attributes[{name!r}]: the levels must be a list, got {type(levels).__name__}",
                str(name),
            )
        values = list(levels)
        if len(values) < 2:
            raise InvalidInputError(
                f"attributes[{name!r}]: an attribute needs at least 2 levels, got {len(values)}",
                str(name),
            )
        try:
            index = pd.Index(values, dtype=object)
            unique = index.is_unique
        except TypeError as exc:
            raise InvalidInputError(
                f"attributes[{name!r}]: levels must be hashable ({exc})", str(name)
            ) from None
        if index.hasnans:
            raise InvalidInputError(
                f"attributes[{name!r}]: a level is missing (None/NaN)", str(name)
            )
        if not unique:
            dupes = list(dict.fromkeys(index[index.duplicated()]))
            raise InvalidInputError(f"attributes[{name!r}]: duplicate levels {dupes!r}", str(name))
        out[name] = values
    return out


# --------------------------------------------------------------------------------------------
# Coding
# --------------------------------------------------------------------------------------------


def _frame(attributes: Mapping[Hashable, list[Any]], codes: IntArray) -> pd.DataFrame:
    """Categorical attribute columns from integer codes (n, k); code -1 is missing."""
    data = {
        name: pd.Categorical.from_codes(codes[:, j], categories=pd.Index(levels, dtype=object))
        if _mixed(levels)
        else pd.Categorical.from_codes(codes[:, j], categories=levels)
        for j, (name, levels) in enumerate(attributes.items())
    }
    return pd.DataFrame(data, index=pd.RangeIndex(codes.shape[0]))


def _mixed(levels: list[Any]) -> bool:
    """Whether `levels` mixes types pandas would coerce (e.g. 1 and "a")."""
    return len({type(level) for level in levels}) > 1


def _ff_codes(levels: Sequence[int]) -> IntArray:
    """Codes of the full factorial, last attribute fastest (itertools.product order)."""
    n = math.prod(levels)
    if n > _MAX_FACTORIAL:
        raise InvalidInputError(
            f"attributes: the full factorial has {n} profiles (limit {_MAX_FACTORIAL})",
            "attributes",
        )
    grid = np.unravel_index(np.arange(n), tuple(levels))
    return np.stack(grid, axis=1).astype(np.int64) if levels else np.zeros((1, 0), np.int64)


# --------------------------------------------------------------------------------------------
# full_factorial
# --------------------------------------------------------------------------------------------


def full_factorial(attributes: Attributes) -> pd.DataFrame:
    """Every combination of the attributes' levels.

    Parameters
    ----------
    attributes : dict {attribute: [levels]}
        At least one attribute, each with at least 2 distinct levels, in the order wanted.

    Returns
    -------
    DataFrame
        ``prod(L_j)`` rows on a RangeIndex, one pandas Categorical column per attribute (categories
        in the given order). The last attribute varies fastest, as in ``itertools.product``.

    Raises
    ------
    InvalidInputError
        Bad `attributes` (the message names the attribute).

    Examples
    --------
    >>> full_factorial({"size": ["S", "L"], "colour": ["red", "blue", "green"]}).shape
    (6, 2)
    """
    attrs = _check_attributes(attributes)
    levels = [len(v) for v in attrs.values()]
    return _frame(attrs, _ff_codes(levels))


# --------------------------------------------------------------------------------------------
# Efficiency of a rating plan
# --------------------------------------------------------------------------------------------


def _d_efficiency(codes: IntArray, levels: Sequence[int]) -> float:
    """``100 * det(X'X)^(1/p) / N`` with X = [1, effects coding]; 0 for a singular plan."""
    x = effects_matrix(codes, levels, intercept=True)
    sign, logdet = np.linalg.slogdet(x.T @ x)
    if sign <= 0:
        return 0.0
    return float(100.0 * np.exp(logdet / x.shape[1]) / codes.shape[0])


def _balanced_factor(levels: Sequence[int]) -> float:
    """``prod_j L_j^((L_j - 2) / p)``: d_efficiency times this is 100 for an orthogonal,
    level-balanced plan (whose X'X/N is block-diagonal with blocks (I + J)/L_j)."""
    p = 1 + sum(n - 1 for n in levels)
    return float(np.exp(sum((n - 2) * np.log(n) for n in levels) / p))


def _is_orthogonal(codes: IntArray, levels: Sequence[int]) -> bool:
    """Proportional frequencies for every pair of attributes: n_ab * N == n_a * n_b.

    This is exactly zero correlation between the (effects- or dummy-coded) columns of different
    attributes."""
    n = codes.shape[0]
    counts = [np.bincount(codes[:, j], minlength=n_levels) for j, n_levels in enumerate(levels)]
    for a, b in itertools.combinations(range(len(levels)), 2):
        joint = np.bincount(codes[:, a] * levels[b] + codes[:, b], minlength=levels[a] * levels[b])
        expected = np.outer(counts[a], counts[b]).ravel()
        if not np.array_equal(joint * n, expected):
            return False
    return True


# --------------------------------------------------------------------------------------------
# Orthogonal arrays over GF(p), p prime
# --------------------------------------------------------------------------------------------


def _digits(p: int, t: int) -> IntArray:
    """Base-p digits (p^t, t) of 0 .. p^t - 1: the vectors of GF(p)^t, digit 0 first."""
    v = np.arange(p**t)
    return (v[:, None] // p ** np.arange(t)) % p


def _min_power(p: int, n_levels: int) -> int:
    """The smallest m with p^m >= n_levels."""
    m = 1
    while p**m < n_levels:
        m += 1
    return m


@functools.lru_cache(maxsize=256)
def _pack(p: int, t: int, dims: tuple[int, ...]) -> tuple[IntArray, ...] | None:
    """Subspaces of GF(p)^t with trivial pairwise intersections, of the given dimensions.

    Each subspace (given by a basis, an (m, t) array) is one factor of the Rao–Hamming array:
    run u (a vector of GF(p)^t) gets the symbol ``B u`` in GF(p)^m, i.e. p^m levels. Two factors
    are orthogonal (all pairs of symbols equally often) exactly when their subspaces meet only in
    0; dimension 1 is the classic construction (columns = nonzero linear forms up to scalars),
    larger dimensions are expansive replacement (an s^m-level factor from the (s^m-1)/(s-1) columns
    of a subspace). Randomised greedy placement with a fixed seed, largest subspaces first.
    Returns the bases in the order of `dims`, or None when no packing was found.
    """
    n = p**t
    digits = _digits(p, t)
    weights = p ** np.arange(t)
    order = sorted(range(len(dims)), key=lambda i: -dims[i])
    big = [i for i in order if dims[i] > 1]
    small = [i for i in order if dims[i] == 1]
    # Normalised vectors (first nonzero digit 1) represent the projective points.
    nonzero = digits != 0
    first = np.where(nonzero.any(axis=1), digits[np.arange(n), nonzero.argmax(axis=1)], 0)
    normalised = first == 1
    rng = np.random.default_rng(1_000_003 * p + 1009 * t + len(dims))
    tries = 1 if not big else 200
    for _ in range(tries):
        used = np.zeros(n, dtype=bool)
        used[0] = True
        bases: dict[int, IntArray] = {}
        failed = False
        for i in big:
            basis = np.zeros((0, t), dtype=np.int64)
            span = np.array([0])
            for _k in range(dims[i]):
                candidates = rng.permutation(np.flatnonzero(~used))
                if candidates.size == 0:
                    failed = True
                    break
                # New vectors span + c v (c = 1 .. p-1) must all be unused.
                coef = np.arange(1, p)
                new = (
                    digits[span][None, None, :, :]
                    + coef[None, :, None, None] * digits[candidates][:, None, None, :]
                ) % p
                new_codes = new @ weights
                ok = ~used[new_codes].any(axis=(1, 2))
                if not ok.any():
                    failed = True
                    break
                pick = int(np.argmax(ok))
                used[new_codes[pick].ravel()] = True
                span = np.concatenate([span, new_codes[pick].ravel()])
                basis = np.vstack([basis, digits[candidates[pick]]])
            if failed:
                break
            bases[i] = basis
        if failed:
            continue
        free = np.flatnonzero(normalised & ~used)
        if free.size < len(small):
            continue
        points = rng.permutation(free)[: len(small)]
        for i, point in zip(small, points, strict=True):
            bases[i] = digits[point][None, :]
        return tuple(bases[i] for i in range(len(dims)))
    return None


def _oa_builder(
    levels: Sequence[int], p: int, t: int
) -> Callable[[np.random.Generator], IntArray] | None:
    """A builder of the p^t-run orthogonal plan for `levels` (None when there is none).

    Each attribute with L levels gets a factor with p^m >= L symbols (m minimal) which is
    collapsed to L levels (symbols permuted at random, then taken modulo L: proportional
    frequencies, so orthogonality survives collapsing)."""
    dims = tuple(_min_power(p, n_levels) for n_levels in levels)
    if max(dims) > t:
        return None
    if sum((p**m - 1) // (p - 1) for m in dims) > (p**t - 1) // (p - 1):
        return None
    big = sorted((m for m in dims if m > 1), reverse=True)
    if len(big) >= 2 and big[0] + big[1] > t:  # two such subspaces would meet
        return None
    bases = _pack(p, t, dims)
    if bases is None:
        return None
    runs = _digits(p, t)

    def build(rng: np.random.Generator) -> IntArray:
        codes = np.empty((p**t, len(levels)), dtype=np.int64)
        for j, (basis, n_levels) in enumerate(zip(bases, levels, strict=True)):
            m = basis.shape[0]
            symbols = ((runs @ basis.T) % p) @ p ** np.arange(m)
            codes[:, j] = rng.permutation(p**m)[symbols] % n_levels
        return codes

    return build


def _orthogonal_candidates(
    levels: Sequence[int], accept: Callable[[int], bool], max_runs: int
) -> list[tuple[int, Callable[[np.random.Generator], IntArray]]]:
    """(runs, builder) of the full factorial and the orthogonal arrays whose run size passes
    `accept` (and is at most `max_runs`)."""
    found: list[tuple[int, Callable[[np.random.Generator], IntArray]]] = []
    n_ff = math.prod(levels)
    if n_ff <= _MAX_FACTORIAL and accept(n_ff):
        ff = _ff_codes(levels)
        found.append((n_ff, lambda rng: ff.copy()))
    for p in _PRIMES:
        t = 1
        while p**t <= min(max_runs, _MAX_OA_RUNS):
            if p**t != n_ff and accept(p**t):
                builder = _oa_builder(levels, p, t)
                if builder is not None:
                    found.append((p**t, builder))
            t += 1
    return found


def _replicate(
    builder: Callable[[np.random.Generator], IntArray], times: int, rng: np.random.Generator
) -> IntArray:
    """`times` copies of a plan, each with its own random symbol assignment, avoiding rows
    already used when a few redraws can (the union of orthogonal plans with equal frequencies is
    orthogonal)."""
    parts = [builder(rng)]
    seen = {row.tobytes() for row in parts[0]}
    for _ in range(times - 1):
        best: IntArray | None = None
        best_overlap = -1
        for _attempt in range(10):
            part = builder(rng)
            overlap = sum(row.tobytes() in seen for row in part)
            if best is None or overlap < best_overlap:
                best, best_overlap = part, overlap
            if overlap == 0:
                break
        assert best is not None
        seen.update(row.tobytes() for row in best)
        parts.append(best)
    return np.vstack(parts)


# --------------------------------------------------------------------------------------------
# D-optimal plans: modified Fedorov exchange
# --------------------------------------------------------------------------------------------


def _candidate_codes(levels: Sequence[int], rng: np.random.Generator) -> IntArray:
    """The full factorial, or a random sample of it when it is too large."""
    n_ff = math.prod(levels)
    if n_ff <= _MAX_CANDIDATES:
        return _ff_codes(levels)
    draws = np.stack(
        [rng.integers(0, n_levels, size=_MAX_CANDIDATES) for n_levels in levels], axis=1
    )
    return np.unique(draws, axis=0)


def _exchange(f: FloatArray, rows: IntArray, rng: np.random.Generator) -> IntArray:
    """Modified Fedorov exchange (Cook & Nachtsheim 1980): for each design row in turn, swap in
    the candidate that increases det(X'X) most, until a pass brings no gain.

    ``det(M - x_i x_i' + x x') = det(M) (1 + Delta)`` with
    ``Delta = d(x) - d(x_i) - (d(x) d(x_i) - d(x, x_i)^2)``, ``d(x, y) = x' M^-1 y``. After an
    exchange M^-1 and the candidates' d(x) are updated by two Sherman–Morrison steps
    (O(n_candidates p)), and recomputed at every pass. A tiny ridge keeps M invertible while the
    start is singular."""
    rows = rows.copy()
    n, p = rows.size, f.shape[1]
    moment = f[rows].T @ f[rows] + 1e-8 * n * np.eye(p)
    for _pass in range(100):
        improved = False
        minv = np.linalg.inv(moment)
        dc = np.einsum("ij,ij->i", f @ minv, f)
        for i in rng.permutation(n):
            current = rows[i]
            di = dc[current]
            cross = f @ (minv @ f[current])
            delta = dc - di - (dc * di - cross**2)
            best = int(np.argmax(delta))
            if delta[best] <= 1e-9 or best == current:
                continue
            for x, sign in ((f[best], 1.0), (f[current], -1.0)):
                v = minv @ x
                scale = sign / (1.0 + sign * float(x @ v))
                dc -= scale * (f @ v) ** 2
                minv -= scale * np.outer(v, v)
            moment += np.outer(f[best], f[best]) - np.outer(f[current], f[current])
            rows[i] = best
            improved = True
        if not improved:
            break
    return rows


def _d_optimal(levels: Sequence[int], n_runs: int, rng: np.random.Generator) -> IntArray:
    """The best of several seeded Fedorov exchanges from random starts."""
    candidates = _candidate_codes(levels, rng)
    f = effects_matrix(candidates, levels, intercept=True)
    n_starts = 10 if candidates.shape[0] * n_runs <= 200_000 else 3
    best_rows: IntArray | None = None
    best_logdet = -np.inf
    for _ in range(n_starts):
        start = rng.choice(candidates.shape[0], size=n_runs, replace=n_runs > candidates.shape[0])
        rows = _exchange(f, start, rng)
        sign, logdet = np.linalg.slogdet(f[rows].T @ f[rows])
        if sign > 0 and logdet > best_logdet + 1e-10:
            best_rows, best_logdet = rows, logdet
    if best_rows is None:
        raise InternalError("orthogonal_design: the exchange found no non-singular plan")
    return candidates[best_rows]


def _default_runs(levels: Sequence[int], n_params: int) -> int:
    """Run size of a D-optimal plan when none is asked for: in [p, 2p], the one most attributes'
    level counts divide (so those can be balanced), the smallest such."""
    return max(
        range(n_params, 2 * n_params + 1),
        key=lambda n: (sum(n % n_levels == 0 for n_levels in levels), -n),
    )


# --------------------------------------------------------------------------------------------
# orthogonal_design
# --------------------------------------------------------------------------------------------


def orthogonal_design(
    attributes: Attributes,
    n_profiles: int | None = None,
    random_state: Any = None,
) -> pd.DataFrame:
    """An orthogonal main-effects plan of profiles, or a D-optimal one when none is small enough.

    Orthogonal plans are built from the full factorial and from orthogonal arrays
    OA(p^t, (p^t - 1)/(p - 1), p, 2) for prime p (Rao–Hamming: runs = all vectors u of GF(p)^t,
    columns = the nonzero linear forms a'u up to scalar multiples). An attribute with L levels
    uses a factor with p^m >= L symbols (m minimal): an m-dimensional subspace of forms
    (expansive replacement, e.g. a 4-level factor from three 2-level columns) collapsed to L
    levels. Collapsing keeps proportional frequencies, so the plan stays orthogonal (zero
    correlation between the coded columns of different attributes) but is level-balanced only
    when L divides p^m. The smallest run size wins, then the higher D-efficiency.

    Without `n_profiles`, orthogonal plans of up to ``2 p`` runs are considered, where
    ``p = 1 + sum(L_j - 1)`` is the number of main-effect parameters; failing that a D-optimal
    plan is made with the run size in ``[p, 2p]`` that most level counts divide (smallest first).
    With `n_profiles`, the plan has exactly that many rows: an orthogonal plan whose run size
    divides `n_profiles` (replicated with fresh symbol assignments), otherwise D-optimal.

    D-optimal plans come from the modified Fedorov exchange over the full factorial (a sample of
    20 000 profiles when it is larger) with the effects-coded model matrix with intercept, from
    several seeded random starts, keeping the largest det(X'X).

    Parameters
    ----------
    attributes : dict {attribute: [levels]}
    n_profiles : int, optional
        Number of rows wanted; at least ``p`` (otherwise the main effects are not estimable).
    random_state : None, int, numpy Generator or RandomState
        Seeds the symbol-to-level assignment, the row order and the exchange's starts. The plan
        is a deterministic function of an int seed.

    Returns
    -------
    DataFrame
        One Categorical column per attribute (given level order), RangeIndex, rows in random
        order. ``attrs``:

        - ``"d_efficiency"``: Kuhfeld's D-efficiency with an orthonormal coding, in percent:
          ``d_efficiency_raw * prod_j L_j^((L_j-2)/p)``; 100 exactly for orthogonal balanced
          plans and below 100 otherwise.
        - ``"d_efficiency_raw"``: ``100 * det(X'X)^(1/p) / N`` where X is the N x p model
          matrix [1, effects-coded attributes] used as is (no rescaling): 100 for orthogonal
          balanced plans of 2-level attributes and ``100 * prod_j L_j^((2-L_j)/p)`` for
          orthogonal balanced plans in general (the effects-coded block of a balanced attribute
          has det(X_j'X_j / N) = L_j^(2-L_j)).
        - ``"orthogonal"``: whether every pair of attributes has proportional frequencies
          (n_ab N = n_a n_b), checked on the returned plan.

    Raises
    ------
    InvalidInputError
        Bad `attributes` (names the attribute), `n_profiles` not an integer or smaller than p,
        bad `random_state`.
    """
    attrs = _check_attributes(attributes)
    levels = [len(v) for v in attrs.values()]
    n_params = 1 + sum(n - 1 for n in levels)
    n_runs: int | None = None
    if n_profiles is not None:
        n_runs = check_int(
            n_profiles,
            "n_profiles",
            n_params,
            why=f" (1 + sum of (levels - 1) = {n_params} main-effect parameters)",
        )
    rng = generator(random_state)

    codes: IntArray | None = None
    if n_runs is None:
        limit = 2 * n_params
        found = _orthogonal_candidates(levels, lambda n: n <= limit, limit)
        if found:
            smallest = min(n for n, _ in found)
            plans = [build(rng) for n, build in found if n == smallest]
            codes = max(plans, key=lambda c: _d_efficiency(c, levels))
    else:
        target = n_runs
        found = _orthogonal_candidates(levels, lambda n: target % n == 0, target)
        if found:
            scored = [(n, build, _d_efficiency(build(rng), levels)) for n, build in found]
            top = max(d for _, _, d in scored)
            n_best, build_best, _ = max(
                (s for s in scored if s[2] >= top * (1 - 1e-12)), key=lambda s: s[0]
            )
            codes = _replicate(build_best, target // n_best, rng)
    if codes is None:
        n_opt = n_runs if n_runs is not None else _default_runs(levels, n_params)
        codes = _d_optimal(levels, n_opt, rng)
    codes = codes[rng.permutation(codes.shape[0])]

    frame = _frame(attrs, codes)
    d_eff = _d_efficiency(codes, levels)
    frame.attrs["d_efficiency_raw"] = d_eff
    frame.attrs["d_efficiency"] = d_eff * _balanced_factor(levels)
    frame.attrs["orthogonal"] = _is_orthogonal(codes, levels)
    return frame


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


# --------------------------------------------------------------------------------------------
# design_efficiency
# --------------------------------------------------------------------------------------------


def _infer_levels(column: pd.Series, name: Hashable) -> list[Any]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return list(column.cat.categories)
    values = column.dropna().unique()
    try:
        return sorted(values)
    except TypeError:
        raise InvalidInputError(
            f"design: the levels of {name!r} cannot be sorted; pass `attributes`", str(name)
        ) from None


def design_efficiency(
    design: pd.DataFrame, attributes: Attributes | None = None
) -> dict[str, Any]:
    """MNL D-error of a choice design at beta = 0.

    With effects-coded attributes (and a NONE column, 1 on none rows, when the design has a
    ``none`` column with any True), task s with J_s alternatives x_1 .. x_J contributes
    ``I_s = (1/J_s) sum_j (x_j - xbar_s)(x_j - xbar_s)'`` (the MNL information at beta = 0,
    where every choice probability is 1/J_s). Tasks are the (version, task) pairs, pooled over
    versions, and the information is normalised per task: ``I = (1/S) sum_s I_s``. Then

    ``d_error = det(I^-1)^(1/p) = exp(-log det(I) / p)``

    with p the number of parameters (sum of (L_j - 1), plus 1 for NONE). No intercept: a
    constant is not identified in a choice model.

    Parameters
    ----------
    design : DataFrame
        Long choice design as made by :func:`choice_design`: a ``task`` column, optionally
        ``version``, ``alternative`` (ignored) and boolean ``none``; the attributes. Attribute
        cells of none rows are ignored (coded 0).
    attributes : dict {attribute: [levels]}, optional
        The attributes and their levels (order = coding). Default: every other column, with
        levels as in the package convention (categories of a Categorical, else sorted unique
        values).

    Returns
    -------
    dict
        ``d_error`` (float, inf when not identifiable), ``n_parameters`` (int), ``identifiable``
        (bool: I is non-singular) and ``unidentified`` (list of the attributes, and "none",
        whose effects are not estimable: some of their unit vectors lie outside the range of I;
        empty when identifiable).

    Raises
    ------
    InvalidInputError
        No ``task`` column, a missing attribute column, or a value (outside none rows) that is
        missing or not a level (names the attribute).
    """
    if not isinstance(design, pd.DataFrame):
        raise InvalidInputError(
            f"design: must be a DataFrame, got {type(design).__name__}", "design"
        )
    if "task" not in design.columns:
        raise InvalidInputError("design: no 'task' column", "task")
    if len(design) == 0:
        raise InvalidInputError("design: no rows", "design")
    if "none" in design.columns:
        none_col = design["none"]
        if not (pd.api.types.is_bool_dtype(none_col) or none_col.isin([0, 1]).all()):
            raise InvalidInputError("design: the 'none' column must be boolean", "none")
        is_none = none_col.to_numpy(dtype=bool)
    else:
        is_none = np.zeros(len(design), dtype=bool)
    if attributes is None:
        names = [c for c in design.columns if c not in _DESIGN_COLUMNS]
        if not names:
            raise InvalidInputError("design: no attribute columns", "design")
        attrs = _check_attributes({c: _infer_levels(design[c], c) for c in names})
    else:
        attrs = _check_attributes(attributes)
        for name in attrs:
            if name not in design.columns:
                raise InvalidInputError(f"design: no column for attribute {name!r}", str(name))
    levels = [len(v) for v in attrs.values()]
    codes = np.empty((len(design), len(levels)), dtype=np.int64)
    for j, (name, values) in enumerate(attrs.items()):
        column = design[name].to_numpy(dtype=object)
        code = pd.Index(values, dtype=object).get_indexer(column).astype(np.int64)
        wrong = (code < 0) & ~is_none
        if wrong.any():
            value = column[int(np.argmax(wrong))]
            raise InvalidInputError(
                f"design: {value!r} in column {name!r} is missing or not one of its levels "
                f"{values!r}",
                str(name),
            )
        code[is_none] = -1
        codes[:, j] = code

    x = effects_matrix(codes, levels)
    has_none = bool(is_none.any())
    names_out: list[Hashable] = [
        n for n, L in zip(attrs, levels, strict=True) for _ in range(L - 1)
    ]
    if has_none:
        x = np.hstack([x, is_none[:, None].astype(np.float64)])
        names_out.append("none")
    if "version" in design.columns:
        group = pd.MultiIndex.from_arrays([design["version"], design["task"]]).factorize()[0]
    else:
        group = pd.factorize(design["task"])[0]
    if (group < 0).any():
        raise InvalidInputError("design: missing task or version numbers", "task")
    n_tasks = int(group.max()) + 1
    p = x.shape[1]
    sizes = np.bincount(group, minlength=n_tasks).astype(np.float64)
    sums = np.zeros((n_tasks, p))
    np.add.at(sums, group, x)
    centred = x - (sums / sizes[:, None])[group]
    info = (centred / sizes[group][:, None]).T @ centred / n_tasks

    eigval, eigvec = np.linalg.eigh(info)
    scale = max(float(eigval.max()), 0.0) if p else 0.0
    tol = max(scale, 1e-300) * 1e-10
    null = eigvec[:, eigval <= tol]
    identifiable = null.shape[1] == 0 and scale > 0
    unidentified: list[Hashable] = []
    if not identifiable:
        loose = np.linalg.norm(null, axis=1) > 1e-6
        for name, flag in zip(names_out, loose, strict=True):
            if flag and name not in unidentified:
                unidentified.append(name)
    d_error = float(np.exp(-np.sum(np.log(eigval)) / p)) if identifiable else float("inf")
    return {
        "d_error": d_error,
        "n_parameters": int(p),
        "identifiable": bool(identifiable),
        "unidentified": unidentified,
    }
