"""Parameter checks shared by every estimator: integers, positive numbers, `random_state` and
`n_jobs`, each converted once to what the Rust core takes."""

from __future__ import annotations

import functools
import math
import numbers
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from . import _core
from .errors import InvalidInputError


def generator(random_state: Any) -> np.random.Generator:
    """A numpy Generator from `random_state`: None (fresh entropy), a non-negative int, a
    Generator (used as is) or a RandomState (seeds a new Generator from it)."""
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(0, 2**63 - 1, dtype=np.int64)))
    return np.random.default_rng(seed(random_state))


def seed(random_state: Any) -> int:
    """A u64 seed for the Rust core from `random_state`: a non-negative int (used as is), None,
    a RandomState or a numpy Generator (a draw from it)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise InvalidInputError(
                f"random_state: must be non-negative, got {random_state}", "random_state"
            )
        return int(random_state) & 0xFFFF_FFFF_FFFF_FFFF
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1, dtype=np.int64))
    if random_state is None or isinstance(random_state, np.random.RandomState):
        rng = check_random_state(random_state)
        return int(rng.randint(0, 2**63 - 1, dtype=np.int64))
    raise InvalidInputError(
        f"random_state: must be None, an int or a numpy Generator/RandomState, "
        f"got {random_state!r}",
        "random_state",
    )


#: The largest integer parameter accepted when a check names no maximum: every count, size and
#: iteration limit of the core fits in 32 bits (signed, to be safe on every binding), so a
#: value such as 2**70 is refused by name here instead of overflowing in the conversion to Rust.
MAX_INT = 2**31 - 1


def check_int(
    value: Any, name: str, minimum: int, maximum: int | None = None, why: str = ""
) -> int:
    """An integer parameter as a Python int in [minimum, maximum] (bools and floats refused);
    `maximum` defaults to `MAX_INT`; `why` is appended to the message when it is too small."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool | np.bool_):
        raise InvalidInputError(f"{name}: must be an integer, got {value!r}", name)
    v = int(value)
    if v < minimum:
        raise InvalidInputError(f"{name}: must be at least {minimum}{why}, got {v}", name)
    if maximum is None:
        maximum = MAX_INT
    if v > maximum:
        raise InvalidInputError(f"{name}: must be at most {maximum}, got {v}", name)
    return v


def check_positive(value: Any, name: str) -> float:
    """A finite positive number parameter as a float."""
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool | np.bool_)
        or not (np.isfinite(float(value)) and float(value) > 0)
    ):
        raise InvalidInputError(f"{name}: must be a positive number, got {value!r}", name)
    return float(value)


#: The most threads a pool gets: more than this only costs memory (results never depend on the
#: thread count), and a request such as n_jobs=10**9 must not try to start a billion threads.
MAX_THREADS = 256


def n_threads(n_jobs: Any) -> int:
    """Threads for the Rust pool: 0 lets rayon decide (RAYON_NUM_THREADS or all cores); at most
    `MAX_THREADS`."""
    if n_jobs is None:
        return 0
    if not isinstance(n_jobs, numbers.Integral) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise InvalidInputError(
            f"n_jobs: must be None or a non-zero integer, got {n_jobs!r}", "n_jobs"
        )
    cpus = os.cpu_count() or 1
    jobs = int(n_jobs)
    return min(jobs, MAX_THREADS) if jobs > 0 else max(1, cpus + 1 + jobs)


def check_squares(values: np.ndarray, columns: Any, what: str = "X") -> None:
    """Refuse a numeric block whose squared distances could overflow.

    Sums of squared differences over ``n`` rows and ``d`` columns (inertia, Ward's heights,
    the validity indices) stay below the largest float when every value is at most
    √(max / (4 n d)) in magnitude; a column with a larger value raises ``InvalidInputError``
    naming it (rescaling it, e.g. to other units, loses nothing), instead of an ``inf`` or
    ``NaN`` returned as a result.
    """
    if values.ndim != 2 or values.size == 0:
        return
    n, d = values.shape
    bound = math.sqrt(sys.float_info.max / (4.0 * n * d))
    # One pass in Rust, without the three full-size temporaries of abs / isfinite / where.
    top = _core.finite_abs_max(np.asarray(values, dtype=np.float64), n_threads=0)
    bad = np.flatnonzero(top > bound)
    if bad.size:
        j = int(bad[0])
        name = columns[j] if columns is not None and j < len(columns) else j
        raise InvalidInputError(
            f"{what}: column {name!r} has values up to {top[j]:.3g}: squared distances over "
            f"{n} rows × {d} columns would overflow (the limit is {bound:.3g}); rescale it",
            str(name),
        )


# --- Parameter constraints, declared once per estimator ------------------------------------
#
# An estimator lists `_parameter_constraints = {name: check, ...}` (the idea of scikit-learn's
# `_parameter_constraints`, in our own small code); `validate_params(estimator)` checks every
# listed parameter and returns the converted values, so `fit` starts from one call instead of
# checks spread over its body. Checks that involve the data (k <= n) stay in `fit`.


class Check:
    """A parameter check: called with the value and the parameter's name, returns the value
    converted for the core or raises `InvalidInputError` naming the parameter."""

    def __call__(self, value: Any, name: str) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class Integer(Check):
    """An integer in [low, high]; None allowed when `optional`."""

    low: int
    high: int | None = None
    optional: bool = False

    def __call__(self, value: Any, name: str) -> Any:
        if value is None and self.optional:
            return None
        return check_int(value, name, self.low, self.high)


@dataclass(frozen=True)
class Interval(Check):
    """A finite real number in an interval (open or closed at each end); None allowed when
    `optional`."""

    low: float = -math.inf
    high: float = math.inf
    closed: str = "both"  # "both", "left", "right", "neither"
    optional: bool = False

    def __call__(self, value: Any, name: str) -> Any:
        if value is None and self.optional:
            return None
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
        v = float(value) if ok else math.nan
        if ok and math.isfinite(v):
            left = v >= self.low if self.closed in ("both", "left") else v > self.low
            right = v <= self.high if self.closed in ("both", "right") else v < self.high
            if left and right:
                return v
        raise InvalidInputError(f"{name}: must be {self.describe()}, got {value!r}", name)

    def describe(self) -> str:
        lo = "[" if self.closed in ("both", "left") else "("
        hi = "]" if self.closed in ("both", "right") else ")"
        if math.isinf(self.high):
            return f"a number {'>=' if lo == '[' else '>'} {self.low:g}"
        if math.isinf(self.low):
            return f"a number {'<=' if hi == ']' else '<'} {self.high:g}"
        return f"a number in {lo}{self.low:g}, {self.high:g}{hi}"


@dataclass(frozen=True)
class Positive(Check):
    """A finite positive number."""

    def __call__(self, value: Any, name: str) -> float:
        return check_positive(value, name)


@dataclass(frozen=True)
class Options(Check):
    """One of a fixed set of values."""

    choices: tuple[Any, ...]

    def __call__(self, value: Any, name: str) -> Any:
        try:
            found = value in self.choices
        except TypeError:  # unhashable
            found = False
        if not found:
            raise InvalidInputError(f"{name}: must be one of {self.choices}, got {value!r}", name)
        return value


@dataclass(frozen=True)
class RandomState(Check):
    """`random_state` as the u64 seed of the core."""

    def __call__(self, value: Any, name: str) -> int:
        return seed(value)


@dataclass(frozen=True)
class Threads(Check):
    """`n_jobs` as the number of threads of the core's pool."""

    def __call__(self, value: Any, name: str) -> int:
        return n_threads(value)


@dataclass(frozen=True)
class Flag(Check):
    """A boolean (numpy booleans accepted)."""

    def __call__(self, value: Any, name: str) -> bool:
        if not isinstance(value, bool | np.bool_):
            raise InvalidInputError(f"{name}: must be True or False, got {value!r}", name)
        return bool(value)


def validate_params(estimator: Any) -> dict[str, Any]:
    """Every parameter in the estimator class's `_parameter_constraints`, checked and
    converted, by name."""
    constraints: dict[str, Check] = type(estimator)._parameter_constraints
    return {name: check(getattr(estimator, name), name) for name, check in constraints.items()}


def unfitted_on_error(fit: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator of `fit`: an error or an interrupt (Ctrl-C) leaves the estimator as it was
    before the call (unfitted, or with its previous fit), never half-fitted."""

    @functools.wraps(fit)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        before = dict(vars(self))
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    return wrapper
