"""What the choice models share: column roles, the one conversion of long choice data, the
coding of scenarios for the simulator, part-worths of every level."""

from __future__ import annotations

from typing import Any, ClassVar, Self, TypeVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._frame.conjoint import ChoiceCoding, ChoiceData, choice_data, profiles_frame
from .._validation import unfitted_on_error
from ..errors import InvalidInputError

__all__ = ["ROLES", "document_roles", "part_worths"]

_T = TypeVar("_T")

#: The column roles of long choice data, as constructor parameters of every choice model.
ROLES = (
    "respondent",
    "task",
    "chosen",
    "attributes",
    "linear",
    "alternative",
    "asc_reference",
    "none",
)

#: The numpydoc text of the column roles, shared by the three estimators' docstrings.
ROLES_DOC = """\
    respondent : str, default="respondent"
        Column of respondent ids.
    task : str, default="task"
        Column of task (choice set) ids, unique within a respondent.
    chosen : str, default="chosen"
        Boolean or 0/1 column: exactly one chosen alternative per task.
    attributes : list of str or None, default=None
        Attribute columns. Categorical attributes are effects-coded (parameters
        ``"attr[level]"`` for all but the last level, whose part-worth is minus the sum of the
        others). None takes every column without another role.
    linear : list of str or None, default=None
        Numeric attributes with one coefficient each (e.g. price). They may also be listed in
        ``attributes`` (as Sawtooth and xlogit users do) or be left out of it.
    alternative : str or None, default=None
        Column of alternative labels; adds dummy-coded alternative-specific constants
        ``"ASC[label]"`` for every label but ``asc_reference``.
    asc_reference : object, default=None
        The alternative without a constant (default: the last label).
    none : str or None, default=None
        Boolean column marking the "no choice" rows, which get a single ``"NONE"`` constant and
        zeros elsewhere."""


def document_roles(cls: type[_T]) -> type[_T]:
    """Class decorator: puts the column roles' parameter text where a docstring says
    ``%(roles)s`` (indented as a parameter)."""
    if cls.__doc__:
        cls.__doc__ = cls.__doc__.replace("    %(roles)s", ROLES_DOC)
    return cls


def part_worths(coef: pd.Series, coding: ChoiceCoding) -> pd.Series:
    """Every level's part-worth of the effects-coded attributes (the last level is minus the
    sum of the others)."""
    values = coding.expand(coef.to_numpy(dtype=np.float64))
    return pd.Series(values, index=coding.level_index(), name="part_worth", dtype=np.float64)


class _ChoiceEstimator(BaseEstimator):
    """Base of the choice models (`MNL`, `HierarchicalBayes`, `LatentClassMNL`): column roles,
    the conversion of long data, `coding_`, and what the simulator asks of every model."""

    #: The name `ChoiceModel(method=...)` uses for the model.
    method: ClassVar[str] = ""

    respondent: str
    task: str
    chosen: str
    attributes: list[str] | None
    linear: list[str] | None
    alternative: str | None
    asc_reference: Any
    none: str | None
    coding_: ChoiceCoding
    coef_: pd.Series

    def _store_params(self, params: dict[str, Any]) -> None:
        """`__init__` stores its arguments unchanged (scikit-learn's rule): call it with
        ``locals()``."""
        for name, value in params.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    @unfitted_on_error
    def fit(self, data: Any, y: None = None, **roles: Any) -> Self:
        """Fit the model to long choice data.

        Parameters
        ----------
        data : DataFrame
            One row per respondent × task × alternative.
        y : None
            Ignored (the choices are the ``chosen`` column).
        **roles
            Column roles (``respondent``, ``task``, ``chosen``, ``attributes``, ``linear``,
            ``alternative``, ``asc_reference``, ``none``) for this fit, overriding the
            constructor's (the estimator's parameters stay as they are).

        Returns
        -------
        self
            The fitted estimator.

        Examples
        --------
        >>> import segmint as sg
        >>> data, truth = sg.datasets.make_choice_data(200, 8, 3, random_state=0)
        >>> mnl = sg.conjoint.MNL(linear=["price"]).fit(data)
        >>> mnl.coef_.round(2).head(3)
        parameter
        alternative[1]    0.00
        alternative[2]   -0.09
        brand[Acme]       0.49
        Name: coef, dtype: float64
        >>> truth.alpha.round(2).head(3)
        brand[Acme]       1.00
        brand[Globex]     0.25
        support[email]   -2.00
        Name: alpha, dtype: float64
        """
        params = self._check_params()
        cd = self._choice_data(data, roles)
        self._fit(cd, params)
        return self

    def _check_params(self) -> dict[str, Any]:
        """The model's parameters, validated and converted for the Rust core."""
        raise NotImplementedError

    def _fit(self, cd: ChoiceData, params: dict[str, Any]) -> None:
        """Fits the model to the converted data and sets the fitted attributes."""
        raise NotImplementedError

    def _roles(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """The column roles of this fit: the constructor's, with those passed to `fit` (not
        None) taking precedence."""
        roles = {name: getattr(self, name) for name in ROLES}
        roles.update({k: v for k, v in overrides.items() if v is not None})
        return roles

    def _choice_data(self, data: Any, overrides: dict[str, Any]) -> ChoiceData:
        """The one conversion of the data; sets the attributes every choice model has."""
        cd = choice_data(data, **self._roles(overrides))
        self.coding_ = cd.coding
        self.parameter_names_ = cd.coding.names
        self.respondents_ = cd.respondents
        self.n_tasks_ = len(cd.chosen)
        self.n_respondents_ = len(cd.respondents)
        return cd

    # -- what the simulator, wtp and segment_preferences use -------------------------------------

    def _coef_units(self, use_draws: bool = True) -> np.ndarray:
        """Coefficient rows behind the model's utilities, (..., K): one aggregate row here;
        classes or respondents' draws in the subclasses."""
        check_is_fitted(self, "coef_")
        return self.coef_.to_numpy(dtype=np.float64)[None, :]

    def _unit_weights(self, n_units: int) -> np.ndarray:
        """Weights of the rows of `_coef_units` in aggregate shares (equal by default)."""
        return np.full(n_units, 1.0 / n_units)

    def _scenario_matrix(self, products: Any, what: str = "products") -> np.ndarray:
        """The model matrix of scenario profiles (one row per product)."""
        check_is_fitted(self, "coef_")
        frame = profiles_frame(products, what)
        coding = self.coding_
        if coding.asc_levels and coding.alternative not in frame.columns:
            raise InvalidInputError(
                f"{what}: column {coding.alternative!r} (alternative, for the constants) is "
                "missing",
                str(coding.alternative),
            )
        none_rows = None
        if coding.none is not None:
            none_rows = (
                np.zeros(len(frame), dtype=bool)
                if coding.none not in frame.columns
                else frame[coding.none].to_numpy(dtype=bool)
            )
        return coding.matrix(frame, what, none_rows)
