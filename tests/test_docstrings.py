"""Every public name of segmint has a numpydoc docstring with the sections it needs.

The public API is defined by docs/_api.py (the docs build lists the same objects): segmint and
its submodules without a private part in their name; in each, the names of ``__all__`` (or the
public names defined there) that are classes or functions of segmint's own; of each public
class, its public methods and properties defined in segmint (not scikit-learn's mixins).

The sections each one needs (parsed with ``numpydoc.docscrape``):

* a one-line summary, always;
* ``Parameters`` listing every named parameter of the signature (``self``/``cls`` aside,
  ``*args``/``**kwargs`` under their star names), unless it takes none; for a class the
  signature is that of ``__init__``; a class that is not an estimator (no ``fit``) may list
  its constructor's arguments under ``Attributes`` instead (result objects users do not build);
  parameters starting with ``_`` (private fields of a result dataclass) are left out;
* ``Returns`` (or ``Yields``) unless the function is annotated ``-> None``; not for classes;
* ``Attributes`` for estimators (classes with a ``fit`` method);
* ``Examples`` always, except for properties (documented by their summary and ``Returns``);
  the examples themselves run as doctests through ``--doctest-modules`` (pyproject addopts).
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc, NumpyDocString

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
from _api import own, public_members, public_objects


def api() -> dict[str, Any]:
    """Qualified name -> object to check: public classes, functions, methods, properties."""
    out: dict[str, Any] = {}
    for qualname, (_, obj) in public_objects().items():
        out[qualname] = obj
        if inspect.isclass(obj):
            for name, attr in public_members(obj):
                out[f"{qualname}.{name}"] = attr
    return out


def _parameters(func: Any) -> list[str]:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return []
    names = []
    for i, p in enumerate(signature.parameters.values()):
        if (i == 0 and p.name in ("self", "cls")) or p.name.startswith("_"):
            continue  # private fields of a result dataclass are not the user's to pass
        if p.kind is p.VAR_POSITIONAL:
            names.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            names.append(f"**{p.name}")
        else:
            names.append(p.name)
    return names


def _returns_none(func: Any) -> bool:
    annotation = inspect.signature(func).return_annotation
    return annotation is None or annotation == "None"


def _documented(section: list[Any]) -> set[str]:
    names: set[str] = set()
    for param in section:
        for name in param.name.split(","):
            names.add(name.strip())
    return names


def problems(obj: Any) -> list[str]:
    """The sections ``obj``'s docstring lacks (empty when it is complete)."""
    if isinstance(obj, (classmethod, staticmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        doc = NumpyDocString(inspect.cleandoc(obj.fget.__doc__ or ""))
        missing = [] if doc["Summary"] else ["Summary"]
        if not doc["Returns"]:
            missing.append("Returns")
        return missing
    if not (obj.__doc__ or "").strip():
        return ["docstring"]
    is_class = inspect.isclass(obj)
    # show_class_members=False: do not let numpydoc fill "Attributes" from the properties.
    config = {"show_class_members": False}
    doc: NumpyDocString = ClassDoc(obj, config=config) if is_class else FunctionDoc(obj)
    missing = []
    if not doc["Summary"]:
        missing.append("Summary")
    if is_class:
        is_estimator = callable(getattr(obj, "fit", None))
        params = _parameters(obj.__init__) if "__init__" in _init_owner(obj) else []
        listed = _documented(doc["Parameters"])
        if not is_estimator:
            listed |= _documented(doc["Attributes"])
        if is_estimator and not doc["Attributes"]:
            missing.append("Attributes")
    else:
        params = _parameters(obj)
        listed = _documented(doc["Parameters"])
        if not _returns_none(obj) and not (doc["Returns"] or doc["Yields"]):
            missing.append("Returns")
    undocumented = [p for p in params if p not in listed and p.lstrip("*") not in listed]
    if undocumented:
        missing.append(f"Parameters {undocumented}")
    if not doc["Examples"]:
        missing.append("Examples")
    return missing


def _init_owner(cls: type) -> dict[str, Any]:
    """``{"__init__": ...}`` when ``__init__`` comes from segmint (not ``object`` or Exception)."""
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            return {"__init__": klass} if own(klass) else {}
    return {}  # pragma: no cover


API = api()


def test_public_api_is_found() -> None:
    # The walk reaches the top-level names, the submodules' names and the methods.
    assert "segmint.KMeans" in API
    assert "segmint.KMeans.fit" in API
    assert "segmint.conjoint.hb.prior_structure" in API
    assert "segmint.factor.kmo" in API
    assert not any(name.rsplit(".", 1)[-1].startswith("_") for name in API)
    assert not any(name.endswith(".get_params") for name in API)


@pytest.mark.parametrize("qualname", sorted(API))
def test_docstring_sections(qualname: str) -> None:
    missing = problems(API[qualname])
    assert not missing, f"{qualname}: missing {', '.join(missing)}"
