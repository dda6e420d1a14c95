"""The conversion layer: codes for categoricals (fast path) and integer targets."""

import numpy as np
import pandas as pd

from segmint import _frame
from segmint._frame.measured import UNSEEN_CODE


def test_categorical_codes_mark_missing_and_unseen_values():
    # reference: by hand: the codes of a four-row table
    col = pd.Series(pd.Categorical(["b", None, "a", "b"], categories=["a", "b"]))
    table = _frame.measured_table(pd.DataFrame({"c": col}))
    assert table.codes[:, 0].tolist() == [1, _frame.MISSING_CODE, 0, 1]
    new = pd.DataFrame({"c": pd.Categorical(["a", "z", None], categories=["a", "z"])})
    coded = _frame.measured_table(new, encoding=table.encoding)
    assert coded.codes[:, 0].tolist() == [0, UNSEEN_CODE, _frame.MISSING_CODE]


def test_integer_targets_are_coded_in_sorted_order():
    # reference: by hand: sorted integer labels
    y = pd.Series(np.array([7, 3, 3, 10, 7], dtype=np.int64))
    t = _frame.target(y, 5)
    assert t.classes == [3, 7, 10]
    assert t.codes.tolist() == [1, 0, 0, 2, 1]
    # the same as the general path
    codes, uniques = pd.factorize(y, sort=True)
    assert t.codes.tolist() == codes.tolist() and t.classes == uniques.tolist()


def test_measured_table_reads_float_columns_without_copying() -> None:
    # reference: the frame's own memory (numpy.shares_memory) and its values. Plain float64
    # columns held together by pandas reach the kernels as a view (profile's peak memory was
    # ~3x pandas + scipy's from this copy); anything else is copied, with the same values.
    from segmint._frame import measured_table

    rng = np.random.default_rng(0)
    df = pd.DataFrame({f"x{j}": rng.normal(size=1000) for j in range(3)})
    df["seg"] = pd.Categorical(rng.choice(["a", "b"], size=1000))
    before = df.copy()
    t = measured_table(df)
    assert np.shares_memory(t.numeric, df["x0"].to_numpy())
    np.testing.assert_array_equal(t.numeric, df[["x0", "x1", "x2"]].to_numpy())
    mixed = df.assign(x1=df["x1"].astype(np.float32))
    m = measured_table(mixed)
    assert not np.shares_memory(m.numeric, mixed["x0"].to_numpy())
    np.testing.assert_array_equal(m.numeric[:, 1], mixed["x1"].to_numpy(dtype=np.float64))
    pd.testing.assert_frame_equal(df, before)
