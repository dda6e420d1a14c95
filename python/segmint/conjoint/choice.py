"""`ChoiceModel(method=...)`: the factory kept for compatibility with the first conjoint API."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInputError
from ._base import _ChoiceEstimator
from .hb import HierarchicalBayes
from .latent import LatentClassMNL
from .mnl import MNL

__all__ = ["METHODS", "ChoiceModel"]

#: The choice models by the name `ChoiceModel(method=...)` takes.
METHODS: dict[str, type[_ChoiceEstimator]] = {
    "mnl": MNL,
    "hb": HierarchicalBayes,
    "latent_class": LatentClassMNL,
}


def ChoiceModel(method: str = "mnl", **params: Any) -> _ChoiceEstimator:
    """A choice model by name: `MNL`, `HierarchicalBayes` or `LatentClassMNL`.

    Parameters
    ----------
    method : {"mnl", "hb", "latent_class"}, default="mnl"
        Which model.
    **params
        The chosen estimator's parameters (see its docstring).

    Returns
    -------
    MNL, HierarchicalBayes or LatentClassMNL
        An unfitted estimator; column roles may be given here or to ``fit``.

    Raises
    ------
    InvalidInputError
        For an unknown method or a parameter the chosen model does not have.

    Examples
    --------
    >>> import segmint as sg
    >>> model = sg.ChoiceModel("mnl")
    >>> type(model).__name__
    'MNL'
    >>> data, truth = sg.datasets.make_choice_data(100, 8, 3, random_state=0)
    >>> model.fit(data, linear=["price"]).coef_.index[-1]
    'price'
    """
    cls = METHODS.get(method) if isinstance(method, str) else None
    if cls is None:
        raise InvalidInputError(
            f"method: must be one of {tuple(METHODS)}, got {method!r}", "method"
        )
    valid = cls._get_param_names()
    for name in params:
        if name not in valid:
            raise InvalidInputError(
                f"{name}: not a parameter of {cls.__name__} (method={method!r}); it takes "
                f"{', '.join(valid)}",
                name,
            )
    return cls(**params)
