"""Hypothesis strategies for hostile inputs (issue 19): data frames a careless or hostile user
might pass to segmint, and parameter values that break naive conversions.

Two settings profiles: ``ci`` (a few examples per entry point, for the normal test suite) and
``fuzz`` (``make fuzz``: the example count is set by tests/fuzz_run.py)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "ci",
    max_examples=12,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "fuzz", deadline=None, database=None, suppress_health_check=list(HealthCheck)
)

TINY = 5e-324
BIG = sys.float_info.max

#: Floats a hostile user produces: special values, extremes, ordinary numbers.
hostile_floats = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, np.nan, np.inf, -np.inf, TINY, -TINY, BIG, -BIG]),
    st.sampled_from([1e300, -1e300, 1e-300, 1e154, 1e155, 1e200, 2.0**53, 0.5]),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(-100, 100),
)

#: Integer parameters that break naive conversions (u32 / usize / i64 overflow, negatives).
hostile_ints = st.one_of(
    st.sampled_from([0, 1, 2, 3, -1, -(2**31), 2**31, 2**32, 2**33, 2**62, 2**63]),
    st.sampled_from([2**64, 2**70, -(2**70), 10**30]),
    st.integers(-5, 50),
)

#: Anything a parameter might be given by mistake.
hostile_params = st.one_of(
    hostile_ints,
    hostile_floats,
    st.sampled_from([None, True, False, "", "auto", "1TiB", b"x", [], [1, 2], {}, object()]),
)

COLUMN_KINDS = (
    "float",
    "float_special",
    "float16",
    "float32",
    "int",
    "uint8",
    "bool",
    "object_str",
    "bytes",
    "datetime",
    "categorical_unused",
    "categorical_nan",
    "mixed_object",
    "constant",
    "huge",
    "tiny",
    "nullable_int",
    "string",
)


@st.composite
def column(draw: Any, n: int, kinds: tuple[str, ...] = COLUMN_KINDS) -> pd.Series:
    # Half of the columns are plain numbers (when allowed), so that calls get past validation
    # and the hostile part is the rest of the frame.
    plain = "float" in kinds and draw(st.integers(0, 1)) == 0
    kind = "float" if plain else draw(st.sampled_from(kinds))
    floats = st.lists(hostile_floats, min_size=n, max_size=n)
    if kind == "float":
        return pd.Series(draw(st.lists(st.floats(-1e3, 1e3), min_size=n, max_size=n)), dtype=float)
    if kind == "float_special":
        return pd.Series(draw(floats), dtype=float)
    if kind == "float16":
        vals = draw(st.lists(st.floats(-60000, 60000) | st.just(np.nan), min_size=n, max_size=n))
        return pd.Series(np.array(vals, dtype=np.float16))
    if kind == "float32":
        vals = draw(st.lists(st.floats(-1e6, 1e6) | st.just(np.nan), min_size=n, max_size=n))
        return pd.Series(np.array(vals, dtype=np.float32))
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-(2**62), 2**62), min_size=n, max_size=n)))
    if kind == "uint8":
        return pd.Series(
            np.array(draw(st.lists(st.integers(0, 255), min_size=n, max_size=n)), dtype=np.uint8)
        )
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind == "object_str":
        return pd.Series(
            draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n, max_size=n)),
            dtype=object,
        )
    if kind == "bytes":
        return pd.Series(
            draw(st.lists(st.sampled_from([b"a", b"b", b"\xff"]), min_size=n, max_size=n)),
            dtype=object,
        )
    if kind == "datetime":
        days = draw(st.lists(st.integers(0, 3650), min_size=n, max_size=n))
        return pd.Series(pd.to_datetime([dt.date(2020, 1, 1) + dt.timedelta(d) for d in days]))
    if kind == "categorical_unused":
        vals = draw(st.lists(st.sampled_from(["x", "y"]), min_size=n, max_size=n))
        return pd.Series(pd.Categorical(vals, categories=["x", "y", "never", "unused"]))
    if kind == "categorical_nan":
        vals = draw(st.lists(st.sampled_from(["x", "y", None]), min_size=n, max_size=n))
        return pd.Series(
            pd.Categorical(vals, categories=["x", "y", "z"], ordered=draw(st.booleans()))
        )
    if kind == "mixed_object":
        vals = draw(
            st.lists(st.sampled_from([1, "1", 2.5, None, True, b"b"]), min_size=n, max_size=n)
        )
        return pd.Series(vals, dtype=object)
    if kind == "constant":
        return pd.Series([draw(hostile_floats)] * n, dtype=float)
    if kind == "huge":
        return pd.Series(
            draw(
                st.lists(
                    st.sampled_from([1e300, -1e300, 1e200, BIG, -BIG, 0.0]), min_size=n, max_size=n
                )
            ),
            dtype=float,
        )
    if kind == "tiny":
        return pd.Series(
            draw(
                st.lists(
                    st.sampled_from([TINY, -TINY, 1e-300, 0.0, 1e-310]), min_size=n, max_size=n
                )
            ),
            dtype=float,
        )
    if kind == "nullable_int":
        vals = draw(st.lists(st.integers(-5, 5) | st.none(), min_size=n, max_size=n))
        return pd.Series(vals, dtype="Int64")
    vals = draw(st.lists(st.sampled_from(["u", "v", None]), min_size=n, max_size=n))
    return pd.Series(vals, dtype="string")


column_names = st.one_of(
    st.sampled_from(["a", "b", "c", "price", "", " ", "x0", "index", "a b", "é", "`q`"]),
    st.integers(-2, 3),
    st.sampled_from([1.5, None, ("t", 1), True]),
)


@st.composite
def hostile_frames(
    draw: Any,
    min_rows: int = 0,
    max_rows: int = 8,
    min_cols: int = 0,
    max_cols: int = 4,
    kinds: tuple[str, ...] = COLUMN_KINDS,
) -> pd.DataFrame:
    """A data frame: 0–8 rows, 0–4 columns of mixed kinds, names that may be non-strings,
    duplicated or mixed (1 and "1"), an index that may be duplicated, non-unique or NaN."""
    n = draw(st.integers(min_rows, max_rows))
    p = draw(st.integers(min_cols, max_cols))
    names = draw(st.lists(column_names, min_size=p, max_size=p))
    cols = [draw(column(n, kinds)).reset_index(drop=True) for _ in range(p)]
    frame = pd.DataFrame(dict(enumerate(cols))) if cols else pd.DataFrame(index=range(n))
    if p:
        frame.columns = pd.Index(names, dtype=object) if draw(st.booleans()) else range(p)
    index_kind = draw(st.sampled_from(["range", "dup", "str", "nan", "shifted"]))
    if index_kind == "dup" and n:
        frame.index = [0] * n
    elif index_kind == "str":
        frame.index = [f"r{i}" for i in range(n)]
    elif index_kind == "nan" and n:
        frame.index = pd.Index([np.nan, *list(range(1, n))], dtype=float)
    elif index_kind == "shifted":
        frame.index = range(100, 100 + n)
    return frame


@st.composite
def numeric_frames(draw: Any, min_rows: int = 0, max_rows: int = 8) -> pd.DataFrame:
    """Frames of numeric-looking columns only (the hostile part is the values)."""
    kinds = (
        "float",
        "float_special",
        "float16",
        "float32",
        "int",
        "bool",
        "constant",
        "huge",
        "tiny",
        "nullable_int",
        "uint8",
    )
    return draw(hostile_frames(min_rows, max_rows, 0, 3, kinds))


@st.composite
def labels_for(draw: Any, n: int) -> Any:
    """Segment labels for n rows: ints, strings, bools, NaN, a single segment."""
    kind = draw(st.sampled_from(["int", "int", "str", "str", "bool", "nan", "one", "float"]))
    if kind == "int":
        return np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=int)
    if kind == "str":
        return draw(st.lists(st.sampled_from(["s1", "s2", "s3"]), min_size=n, max_size=n))
    if kind == "bool":
        return draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if kind == "nan":
        return np.array(
            draw(st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=n, max_size=n))
        )
    if kind == "one":
        return np.zeros(n, dtype=int)
    return np.array(draw(st.lists(hostile_floats, min_size=n, max_size=n)))


@st.composite
def plain_frames(draw: Any, min_rows: int = 4, max_rows: int = 30, max_cols: int = 4) -> Any:
    """Well-formed numeric frames (random normal data of a random scale), so that calls reach
    the algorithms; the hostile part is then the parameters or one odd column."""
    n = draw(st.integers(min_rows, max_rows))
    p = draw(st.integers(1, max_cols))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1.0, 1e-8, 1e8, 1e150, 1e-150]))
    frame = pd.DataFrame(rng.normal(size=(n, p)) * scale, columns=[f"v{j}" for j in range(p)])
    if draw(st.integers(0, 3)) == 0:
        frame[draw(column_names)] = draw(column(n)).to_numpy()
    return frame


def some_frames(min_rows: int = 0, max_rows: int = 8) -> Any:
    """Half hostile numeric frames, half plain ones."""
    return st.one_of(numeric_frames(min_rows, max_rows), plain_frames())
