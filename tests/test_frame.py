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
