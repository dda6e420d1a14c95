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
