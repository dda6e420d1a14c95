"""Experimental designs for rating conjoint: full factorials, orthogonal main-effects plans
(with a D-optimal fallback) and their efficiency; the attribute checks and level coding that
`choice_design` (choice-based conjoint, in its own module) shares.

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

__all__ = ["design_efficiency", "full_factorial", "orthogonal_design"]

IntArray = np.ndarray
FloatArray = np.ndarray
#: An attribute's levels, in order.
Levels: TypeAlias = Sequence[Any] | np.ndarray | pd.Index | pd.Series | pd.Categorical
#: ``{attribute: levels}``.
Attributes: TypeAlias = Mapping[Any, Levels]

#: Columns of a choice design that are not attributes.
_DESIGN_COLUMNS = ("version", "task", "alternative", "none")
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


# --------------------------------------------------------------------------------------------
# Catalogue of standard orthogonal arrays that the GF(p) construction does not give
# --------------------------------------------------------------------------------------------


def _plackett_burman(generator: str) -> IntArray:
    """The Plackett–Burman array OA(N, N - 1, 2, 2): the N - 1 cyclic shifts of the generator
    row (+ = level 1) and a row of level 0."""
    g = np.array([c == "+" for c in generator], dtype=np.int64)
    return np.vstack([np.roll(g, k) for k in range(len(g))] + [np.zeros(len(g), np.int64)])


#: Taguchi's L18 = OA(18, 2^1 3^7, 2) (Kuhfeld's table of orthogonal arrays, ``2 ** 1 3 ** 7``).
_L18 = np.array(
    [
        [int(c) - 1 for c in row]
        for row in (
            "11111111 11222222 11333333 12112233 12223311 12331122 13121323 13232131 13313212 "
            "21133221 21211332 21322113 22123132 22231213 22312321 23132312 23213123 23321231"
        ).split()
    ],
    dtype=np.int64,
)

#: Standard arrays (Kuhfeld's list) between the prime-power run sizes: the Plackett–Burman
#: L12, L20, L24 (2-level) and L18 (2^1 3^7). tests/test_conjoint_design.py checks each is
#: orthogonal (strength 2).
_CATALOGUE: dict[str, IntArray] = {
    "L12": _plackett_burman("++-+++---+-"),
    "L18": _L18,
    "L20": _plackett_burman("++--++++-+-+----++-"),
    "L24": _plackett_burman("+++++-+-++--++--+-+----"),
}


def _catalogue_builder(
    levels: Sequence[int], array: IntArray
) -> Callable[[np.random.Generator], IntArray] | None:
    """A builder of the plan for `levels` from a catalogue array (None when it has too few
    columns with enough symbols): attributes with the most levels first, each on an unused
    column with the fewest symbols >= its levels, collapsed like `_oa_builder` does."""
    symbols = [int(array[:, j].max()) + 1 for j in range(array.shape[1])]
    free = set(range(array.shape[1]))
    columns: dict[int, int] = {}
    for i in sorted(range(len(levels)), key=lambda i: -levels[i]):
        fits = [j for j in free if symbols[j] >= levels[i]]
        if not fits:
            return None
        j = min(fits, key=lambda j: (symbols[j], j))
        columns[i] = j
        free.remove(j)

    def build(rng: np.random.Generator) -> IntArray:
        codes = np.empty((array.shape[0], len(levels)), dtype=np.int64)
        for i, n_levels in enumerate(levels):
            j = columns[i]
            codes[:, i] = rng.permutation(symbols[j])[array[:, j]] % n_levels
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
    for array in _CATALOGUE.values():
        runs = array.shape[0]
        if runs != n_ff and runs <= max_runs and accept(runs):
            builder = _catalogue_builder(levels, array)
            if builder is not None:
                found.append((runs, builder))
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
    when L divides p^m. Standard arrays from Kuhfeld's catalogue fill the run sizes between
    (Plackett–Burman L12, L20, L24 for 2-level attributes, Taguchi's L18 for 2^1 3^7): 2^1 3^7
    takes 18 runs, 2^11 takes 12. The smallest run size wins, then the higher D-efficiency.

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

    See Also
    --------
    full_factorial : every profile.
    choice_design : designs for choice-based conjoint.

    References
    ----------
    .. [1] Kuhfeld, W. F. (2010). Marketing Research Methods in SAS: Experimental Design,
       Choice, Conjoint, and Graphical Techniques. SAS Institute.
    .. [2] Hedayat, A. S., Sloane, N. J. A. and Stufken, J. (1999). Orthogonal Arrays: Theory
       and Applications. Springer.

    Examples
    --------
    >>> from segmint.conjoint import orthogonal_design
    >>> plan = orthogonal_design({"price": ["low", "mid", "high"], "brand": ["A", "B", "C"],
    ...                           "support": ["email", "phone"]}, random_state=0)
    >>> len(plan), plan.attrs["orthogonal"], round(plan.attrs["d_efficiency"], 1)
    (9, True, 98.1)
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

    See Also
    --------
    choice_design : makes designs with a small D-error.

    References
    ----------
    .. [1] Kuhfeld, W. F., Tobias, R. D. and Garratt, M. (1994). Efficient experimental design
       with marketing research applications. Journal of Marketing Research, 31(4), 545-557.

    Examples
    --------
    >>> from segmint.conjoint import choice_design, design_efficiency
    >>> attrs = {"price": [10, 20, 30], "brand": ["A", "B", "C"], "support": ["email", "phone"]}
    >>> design = choice_design(attrs, n_tasks=8, n_alternatives=3, random_state=0)
    >>> eff = design_efficiency(design, attrs)
    >>> round(eff["d_error"], 3), eff["identifiable"]
    (1.908, True)
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
