"""The notebooks in examples/ run top to bottom in a Jupyter kernel (nbclient) without an error
or a warning, and every figure they draw is displayed exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.ipynb"))

# Run before the notebook's cells (and not saved): warnings become errors, and every matplotlib
# Figure created is counted against the cell that created it.
SETUP = """
import warnings
warnings.simplefilter("error")
import matplotlib.figure as _mpl_figure
_segmint_figures = []
_segmint_init = _mpl_figure.Figure.__init__
def _segmint_counting_init(self, *args, **kwargs):
    _segmint_init(self, *args, **kwargs)
    if _segmint_figures:
        _segmint_figures[-1] += 1
_mpl_figure.Figure.__init__ = _segmint_counting_init
get_ipython().events.register("pre_run_cell", lambda *_: _segmint_figures.append(0))
"""
REPORT = "import json as _json; print(_json.dumps(_segmint_figures[:-1]))"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_notebook_runs_and_shows_each_figure_once(path: Path) -> None:
    # reference: none numeric — the figures the kernel created (counted by a hook on
    # matplotlib's Figure) against the image outputs Jupyter recorded, cell by cell.
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    nb.cells = [
        nbformat.v4.new_code_cell(SETUP),
        *code,
        nbformat.v4.new_code_cell(REPORT),
    ]
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES_DIR)}}
    )
    client.execute()  # raises CellExecutionError on any error (warnings are errors)
    report = nb.cells[-1].outputs[0]["text"]
    created = json.loads(report)
    assert len(created) == len(code)
    for cell, n_figures in zip(nb.cells[1:-1], created, strict=True):
        for out in cell.outputs:
            assert out.output_type != "error", cell.source
            assert out.get("name") != "stderr", f"{path.name}: stderr in\n{cell.source}\n{out}"
        images = sum("image/png" in out.get("data", {}) for out in cell.outputs)
        assert images == n_figures, (
            f"{path.name}: {images} images for {n_figures} figures in\n{cell.source}"
        )


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_notebook_is_saved_with_its_outputs(path: Path) -> None:
    # reference: none numeric — the saved file itself (executed, figures embedded).
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code)
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)
