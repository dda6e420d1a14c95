"""Every public name of segmint has a numpydoc docstring with the sections it needs.

The public API, precisely:

* the modules: ``segmint`` and every submodule reached by walking the package whose dotted
  name has no part starting with ``_`` (``segmint.cluster``, ``segmint.conjoint.hb``, ...);
* in each module, the names in its ``__all__``, or, for a module without ``__all__``, the names
  not starting with ``_`` whose object was defined in that module (``obj.__module__``);
* of those, the classes and functions defined in segmint's own modules (constants such as
  ``RFM_SEGMENTS`` have no docstring of their own; submodules listed in ``__all__`` are checked
  as modules);
* of each public class, every attribute not starting with ``_`` that is a function, a
  classmethod / staticmethod or a property, found in the ``__dict__`` of the class or of one of
  its bases defined in segmint (methods inherited from scikit-learn, such as ``get_params``,
  are scikit-learn's to document).

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

import importlib
import inspect
import pkgutil
import types
from collections.abc import Iterator
from typing import Any

import pytest
from numpydoc.docscrape import ClassDoc, FunctionDoc, NumpyDocString

import segmint


def public_modules() -> list[types.ModuleType]:
    """segmint and its submodules without a private part in their dotted name."""
    modules = [segmint]
    for info in pkgutil.walk_packages(segmint.__path__, prefix="segmint."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts):
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _own(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "segmint" or module.startswith("segmint.")


def public_names(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__
    ]


def public_objects() -> dict[str, Any]:
    """Qualified name -> class or function, one entry per object (first name found wins)."""
    found: dict[str, Any] = {}
    seen: set[int] = set()
    for module in public_modules():
        for name in public_names(module):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or not _own(obj):
                continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            found[f"{module.__name__}.{name}"] = obj
    return found


def public_members(cls: type) -> Iterator[tuple[str, Any]]:
    """(name, raw attribute) of the public methods and properties of a public class."""
    names: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if not _own(klass):
            continue
        for name, attr in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(attr, (types.FunctionType, classmethod, staticmethod, property)):
                names[name] = attr
            elif name in names:  # overridden by a non-callable: no longer a method
                del names[name]
    # An override outside segmint (e.g. a scikit-learn mixin later in the MRO) is not ours.
    for name, attr in sorted(names.items()):
        if inspect.getattr_static(cls, name) is attr:
            yield name, attr


def api() -> dict[str, Any]:
    """Qualified name -> object to check: public classes, functions, methods, properties."""
    out: dict[str, Any] = {}
    for qualname, obj in public_objects().items():
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
            return {"__init__": klass} if _own(klass) else {}
    return {}  # pragma: no cover


API = api()


def test_public_api_is_found() -> None:
    # The walk reaches the top-level names, the submodules' names and the methods.
    assert "segmint.KMeans" in API
    assert "segmint.KMeans.fit" in API
    assert "segmint.conjoint.hb.prior_structure" in API or "segmint.conjoint.prior_structure" in API
    assert "segmint.factor.kmo" in API
    assert not any(name.rsplit(".", 1)[-1].startswith("_") for name in API)
    assert not any(name.endswith(".get_params") for name in API)


@pytest.mark.parametrize("qualname", sorted(API))
def test_docstring_sections(qualname: str) -> None:
    missing = problems(API[qualname])
    assert not missing, f"{qualname}: missing {', '.join(missing)}"
