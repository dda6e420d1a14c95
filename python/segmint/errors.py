"""segmint's exceptions: every error the package raises on bad input is one of these.

They subclass the built-in exception a Python user expects (``ValueError`` for bad values,
``TypeError`` for wrong types), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class SegmintError(Exception):
    """Base class of segmint's exceptions."""


class InvalidInputError(SegmintError, ValueError):
    """A parameter or a column has a value segmint cannot work with.

    ``what`` names the parameter or column.
    """

    def __init__(self, message: str, what: str | None = None) -> None:
        super().__init__(message)
        self.what = what

    def __reduce__(self) -> tuple[type, tuple[str, str | None]]:
        return (type(self), (str(self), self.what))


class InvalidTypeError(SegmintError, TypeError):
    """A column or argument has a type segmint cannot use (e.g. text passed to k-means)."""

    def __init__(self, message: str, what: str | None = None) -> None:
        super().__init__(message)
        self.what = what

    def __reduce__(self) -> tuple[type, tuple[str, str | None]]:
        return (type(self), (str(self), self.what))


class InternalError(SegmintError, RuntimeError):
    """A bug in segmint (a failed internal invariant). Please report it with the input."""


__all__ = ["InternalError", "InvalidInputError", "InvalidTypeError", "SegmintError"]
