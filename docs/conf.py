"""Sphinx configuration of segmint's documentation: ``make docs`` builds it into docs/_build."""

from __future__ import annotations

import shutil
import warnings
import sys
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _api import public_members, public_objects  # noqa: E402

project = "segmint"
author = "segmint developers"
copyright = "segmint developers"
try:
    release = _version("segmint")
except PackageNotFoundError:  # pragma: no cover - a source tree without an install
    release = "0+unknown"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
]

# The notebooks of examples/ are saved executed (tests/test_examples.py runs them); the build
# renders them as saved.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

# API pages are written below by write_api_pages(), not by autosummary's generator; autosummary
# only draws the tables.
autosummary_generate = False
autodoc_typehints = "none"
autodoc_member_order = "bysource"

# numpydoc renders the docstrings as written; the class pages list methods themselves.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

templates_path = ["_templates"]
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", "README.md"]
suppress_warnings = ["myst.header"]

html_theme = "pydata_sphinx_theme"
html_title = f"segmint {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False

# --------------------------------------------------------------------------------------------
# Generated pages (docs/api/generated and docs/examples are gitignored)

SECTIONS = {
    "segmint": "Top level: ``import segmint as sg``",
    "segmint.conjoint": "Conjoint analysis: ``segmint.conjoint``",
    "segmint.factor": "Factor analysis: ``segmint.factor``",
    "segmint.onedim": "One-dimensional segmentation: ``segmint.onedim``",
    "segmint.chaid": "CHAID building blocks: ``segmint.chaid``",
    "segmint.discriminant": "Discriminant analysis: ``segmint.discriminant``",
    "segmint.datasets": "Bundled data: ``segmint.datasets``",
    "segmint.metrics": "Choosing k: ``segmint.metrics``",
    "segmint.plot": "Plots: ``segmint.plot``",
    "segmint.conjoint.hb": "Hierarchical Bayes prior: ``segmint.conjoint.hb``",
    "segmint.cli": "Command line: ``segmint.cli``",
}


def _title(text: str) -> str:
    return f"{text}\n{'=' * len(text)}\n"


def write_api_pages() -> None:
    """One page per public object (the objects tests/test_docstrings.py checks), and the API
    index grouping them by the module they are reached from."""
    out = HERE / "api" / "generated"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    by_module: dict[str, list[str]] = {}
    for qualname, (module, obj) in public_objects().items():
        name = qualname[len(module) + 1 :]
        by_module.setdefault(module, []).append(name)
        lines = [_title(qualname), f".. currentmodule:: {module}", ""]
        if isinstance(obj, type):
            lines += [f".. autoclass:: {name}", ""]
            members = list(public_members(obj))
            if members:
                lines += [".. rubric:: Methods and properties", "", ".. autosummary::", ""]
                lines += [f"   ~{name}.{m}" for m, _ in members]
                lines += [""]
                for m, attr in members:
                    kind = "autoproperty" if isinstance(attr, property) else "automethod"
                    lines += [f".. {kind}:: {name}.{m}", ""]
        else:
            lines += [f".. autofunction:: {name}", ""]
        (out / f"{qualname}.rst").write_text("\n".join(lines), encoding="utf-8")
    index = [
        _title("API reference"),
        "Every public class and function, with the examples of its docstring (each runs as a",
        "doctest in the test suite). Objects are listed under the module users reach them",
        "from; ``segmint.KMeans`` is also ``segmint.cluster.KMeans``.",
        "",
    ]
    order = [m for m in SECTIONS if m in by_module] + sorted(set(by_module) - set(SECTIONS))
    for module in order:
        heading = SECTIONS.get(module, f"``{module}``")
        index += [heading, "-" * len(heading), "", f".. currentmodule:: {module}", ""]
        index += [".. autosummary::", ""]
        index += [f"   {name}" for name in by_module[module]]
        index += ["", ".. toctree::", "   :hidden:", ""]
        index += [f"   generated/{module}.{name}" for name in by_module[module]]
        index += [""]
    (HERE / "api" / "index.rst").write_text("\n".join(index), encoding="utf-8")


def copy_notebooks() -> None:
    """The executed notebooks of examples/ (and their figures) into docs/examples."""
    source, target = HERE.parent / "examples", HERE / "examples"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    notebooks = sorted(source.glob("*.ipynb"))
    for path in notebooks:
        shutil.copy2(path, target / path.name)
    for pattern in ("*.png", "*.svg"):
        for path in source.glob(pattern):
            shutil.copy2(path, target / path.name)
    lines = [
        _title("Example notebooks"),
        "Saved with their outputs from ``examples/`` in the repository (the tests run them top to",
        "bottom); download one and run it in Jupyter.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    lines += [f"   {path.stem}" for path in notebooks]
    lines += ["   figures"]
    (target / "index.rst").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_gallery() -> None:
    """docs/examples/figures.rst: every figure saved in docs/_static (the README's picture and
    the others the plot helpers draw), each captioned by its file name."""
    figures = sorted((HERE / "_static").glob("*.png"))
    lines = [
        _title("Figures"),
        "Pictures drawn by segmint's ``plot()`` methods on the bundled data (saved with the",
        "repository; the notebooks show each in context).",
        "",
    ]
    if not figures:
        lines.append("No figure has been saved yet.")
    for path in figures:
        caption = path.stem.replace("_", " ").capitalize()
        lines += [f".. figure:: /_static/{path.name}", "   :width: 90%", "", f"   {caption}", ""]
    (HERE / "examples" / "figures.rst").write_text("\n".join(lines) + "\n", encoding="utf-8")


write_api_pages()
copy_notebooks()
write_gallery()

# nbformat warns about notebooks saved without cell ids (an nbformat 4.5 field); harmless here.
warnings.filterwarnings("ignore", message="Cell is missing an id field")
