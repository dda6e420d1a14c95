"""The README's usage example runs as written."""

import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def test_readme_example_runs():
    # reference: none numeric: API contract (the README example runs) checked directly
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.DOTALL).group(1)
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the example's small segment warns by design
        exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["km"].labels_.index.equals(namespace["X"].index)
    assert len(namespace["profile"].personas) == 3
    assert namespace["tree"].n_leaves_ >= 2
    # The seeded select_k keeps its recommendation (the README prints it: 3).
    assert namespace["choice"].recommended_k == 3
    # reference: pandas crosstab of the two label Series (customers in both) and the share
    # of customers off their old segment's main successor, computed here — customers move.
    import pandas as pd

    before = namespace["rfm_km"].labels_
    after = namespace["rfm_km"].predict(namespace["z"](namespace["year_end"]))
    common = before.index.intersection(after.index)
    expected = pd.crosstab(before[common], after[common])
    moves = namespace["moves"]
    assert (moves.table.to_numpy() == expected.to_numpy()).all()
    share = 1 - expected.max(axis=1).sum() / expected.to_numpy().sum()
    assert moves.share_moved == share
    assert moves.share_moved > 0.3 and len(moves.new) == len(after.index.difference(before.index))
