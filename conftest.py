"""Repository-wide pytest hooks: they also reach the package's doctests (python/segmint), which
tests/conftest.py does not."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _close_matplotlib_figures() -> Iterator[None]:
    """Close the figures a test or doctest drew, so that they do not pile up past matplotlib's
    20-open-figures warning (an error under ``filterwarnings = error``)."""
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
