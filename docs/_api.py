"""The public API of segmint, by one rule shared by the docs build and tests/test_docstrings.py.

* Modules: ``segmint`` and every submodule reached by walking the package whose dotted name has
  no part starting with ``_`` (``segmint.cluster``, ``segmint.conjoint.hb``, ...).
* In each module, the names in its ``__all__``, or, for a module without ``__all__``, the names
  not starting with ``_`` whose object was defined in that module (``obj.__module__``).
* Of those, the classes and functions defined in segmint's own modules (constants such as
  ``RFM_SEGMENTS`` have no docstring of their own; submodules listed in ``__all__`` are modules).
  An object reachable under several names is listed once, under the first: ``segmint.KMeans``
  before ``segmint.cluster.KMeans``.
* Of each public class, every attribute not starting with ``_`` that is a function, a
  classmethod / staticmethod or a property, found in the ``__dict__`` of the class or of one of
  its bases defined in segmint (what scikit-learn's mixins add, e.g. ``get_params``, is
  scikit-learn's to document).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types
from collections.abc import Iterator
from typing import Any

import segmint


def public_modules() -> list[types.ModuleType]:
    """segmint and its submodules without a private part in their dotted name."""
    modules = [segmint]
    for info in pkgutil.walk_packages(segmint.__path__, prefix="segmint."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def own(obj: Any) -> bool:
    """Whether `obj` was defined in segmint."""
    module = getattr(obj, "__module__", None) or ""
    return module == "segmint" or module.startswith("segmint.")


def public_names(module: types.ModuleType) -> list[str]:
    """``module.__all__``, or the public names defined in the module."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__
    ]


def public_objects() -> dict[str, tuple[str, Any]]:
    """Qualified name -> (module name, class or function), one entry per object."""
    found: dict[str, tuple[str, Any]] = {}
    seen: set[int] = set()
    for module in public_modules():
        for name in public_names(module):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or not own(obj):
                continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            found[f"{module.__name__}.{name}"] = (module.__name__, obj)
    return found


def public_members(cls: type) -> Iterator[tuple[str, Any]]:
    """(name, raw attribute) of the public methods and properties of a public class."""
    names: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if not own(klass):
            continue
        for name, attr in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(attr, (types.FunctionType, classmethod, staticmethod, property)):
                names[name] = attr
            elif name in names:  # overridden by a non-callable: no longer a method
                del names[name]
    for name, attr in sorted(names.items()):
        # An override from outside segmint later in the MRO is not ours.
        if inspect.getattr_static(cls, name) is attr:
            yield name, attr
