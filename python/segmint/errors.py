"""segmint's exceptions: every error the package raises on bad input is one of these.

They subclass the built-in exception a Python user expects (``ValueError`` for bad values,
``TypeError`` for wrong types), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class SegmintError(Exception):
    """Base class of segmint's exceptions.

    Catch it to handle every error segmint raises on purpose.

    See Also
    --------
    InvalidInputError, InvalidTypeError, InternalError

    Examples
    --------
    >>> import segmint as sg
    >>> try:
    ...     sg.KMeans(n_clusters=0).fit([[1.0], [2.0]])
    ... except sg.SegmintError as error:
    ...     print(type(error).__name__, error.what)
    InvalidInputError n_clusters
    """


class InvalidInputError(SegmintError, ValueError):
    """A parameter or a column has a value segmint cannot work with.

    ``what`` names the parameter or column.

    Parameters
    ----------
    message : str
        What is wrong and, where possible, how to fix it.
    what : str or None, default None
        The parameter or column at fault.

    Attributes
    ----------
    what : str or None
        The parameter or column at fault.

    See Also
    --------
    InvalidTypeError : a wrong type rather than a wrong value.

    Examples
    --------
    >>> import segmint as sg
    >>> try:
    ...     sg.KMeans(n_clusters=0).fit([[1.0], [2.0]])
    ... except sg.InvalidInputError as error:
    ...     print(type(error).__name__, error.what)
    InvalidInputError n_clusters
    """

    def __init__(self, message: str, what: str | None = None) -> None:
        super().__init__(message)
        self.what = what

    def __reduce__(self) -> tuple[type, tuple[str, str | None]]:
        return (type(self), (str(self), self.what))


class InvalidTypeError(SegmintError, TypeError):
    """A column or argument has a type segmint cannot use (e.g. text passed to k-means).

    Parameters
    ----------
    message : str
        What is wrong and, where possible, how to fix it.
    what : str or None, default None
        The parameter or column at fault.

    Attributes
    ----------
    what : str or None
        The parameter or column at fault.

    See Also
    --------
    InvalidInputError : a wrong value rather than a wrong type.

    Examples
    --------
    >>> import pandas as pd
    >>> import segmint as sg
    >>> df = pd.DataFrame({"revenue": [1.0, 2.0, 3.0], "sector": ["a", "b", "a"]})
    >>> try:
    ...     sg.KMeans(n_clusters=2).fit(df)
    ... except sg.InvalidTypeError as error:
    ...     print(error.what)
    sector
    """

    def __init__(self, message: str, what: str | None = None) -> None:
        super().__init__(message)
        self.what = what

    def __reduce__(self) -> tuple[type, tuple[str, str | None]]:
        return (type(self), (str(self), self.what))


class InternalError(SegmintError, RuntimeError):
    """A bug in segmint (a failed internal invariant). Please report it with the input.

    It subclasses ``RuntimeError``; segmint never raises it for bad input.

    See Also
    --------
    SegmintError : the base class.

    Examples
    --------
    >>> import segmint as sg
    >>> issubclass(sg.InternalError, RuntimeError)
    True
    """


__all__ = ["InternalError", "InvalidInputError", "InvalidTypeError", "SegmintError"]
