"""Parameter checks shared by every estimator: integers, positive numbers, `random_state` and
`n_jobs`, each converted once to what the Rust core takes."""

from __future__ import annotations

import numbers
import os
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

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


def check_int(
    value: Any, name: str, minimum: int, maximum: int | None = None, why: str = ""
) -> int:
    """An integer parameter as a Python int in [minimum, maximum] (bools and floats refused);
    `why` is appended to the message when it is too small."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool | np.bool_):
        raise InvalidInputError(f"{name}: must be an integer, got {value!r}", name)
    v = int(value)
    if v < minimum:
        raise InvalidInputError(f"{name}: must be at least {minimum}{why}, got {v}", name)
    if maximum is not None and v > maximum:
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


def n_threads(n_jobs: Any) -> int:
    """Threads for the Rust pool: 0 lets rayon decide (RAYON_NUM_THREADS or all cores)."""
    if n_jobs is None:
        return 0
    if not isinstance(n_jobs, numbers.Integral) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise InvalidInputError(
            f"n_jobs: must be None or a non-zero integer, got {n_jobs!r}", "n_jobs"
        )
    cpus = os.cpu_count() or 1
    jobs = int(n_jobs)
    return jobs if jobs > 0 else max(1, cpus + 1 + jobs)
