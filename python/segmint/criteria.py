"""B2B segmentation criteria organised in families (environmental, organisational, individual).

B2B practice sorts the variables that describe a business customer into families: the
*environment* it operates in (industry, technology level, association membership, state
influence), the *organisation* itself (legal form, company size, regional / national /
international reach, competences, budget) and the *individuals* who buy (buying behaviour, risk
appetite, order volume, employment policy). :class:`Criteria` records which column belongs to
which family so that profiles, personas and reports present the evidence in that order.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InvalidInputError

#: The three standard B2B families, in presentation order.
STANDARD_FAMILIES = ("environmental", "organisational", "individual")

#: The family of the columns no family names.
OTHER = "other"


def _title(family: str) -> str:
    return family.replace("_", " ").strip().capitalize()


class Criteria:
    """Columns grouped into B2B criteria families, with optional ordinal orders.

    Parameters
    ----------
    environmental, organisational, individual : list of str or dict, optional
        The columns of each standard family. A dict maps a column to the order of its
        categories (lowest first) or to None; an ordered column is profiled and reported as an
        ordered categorical in that order.
    **other_families : list of str or dict
        More families (e.g. ``financial=["Budget"]``), presented after the standard ones in the
        order given.

    Attributes
    ----------
    families : dict of str to list of str
        Family name → its columns, in presentation order (families with no column left out).
    order : dict of str to list
        Column → order of its categories, for the columns given one.

    Raises
    ------
    InvalidInputError
        A column is mapped to two families (or twice to one), a column name is not a string, or
        an order is not a list of distinct categories.

    See Also
    --------
    profile : groups its tables and personas by family when given ``criteria=``.
    report : the HTML report groups its heatmap and tests by family.

    Notes
    -----
    Columns of a table that no family names belong to the family ``"other"``, presented last.
    A Criteria is a plain object (dicts of lists): it pickles, compares by value and can be
    read from a TOML file with :meth:`from_toml`.

    Examples
    --------
    >>> import segmint as sg
    >>> crit = sg.Criteria(
    ...     environmental=["Channel"],
    ...     organisational={"Region": ["Lisbon", "Oporto", "Other"]},
    ...     individual=["Fresh", "Milk", "Grocery"],
    ... )
    >>> crit.family_of("Milk"), crit.family_of("Frozen")
    ('individual', 'other')
    >>> customers = sg.datasets.load_wholesale()
    >>> list(crit.select(customers, "individual").columns)
    ['Fresh', 'Milk', 'Grocery']
    >>> list(crit.select(customers, "other").columns)
    ['Frozen', 'Detergents_Paper', 'Delicatessen']
    """

    def __init__(
        self,
        environmental: Any = None,
        organisational: Any = None,
        individual: Any = None,
        **other_families: Any,
    ) -> None:
        given = {
            "environmental": environmental,
            "organisational": organisational,
            "individual": individual,
            **other_families,
        }
        self.families: dict[str, list[str]] = {}
        self.order: dict[str, list[Any]] = {}
        seen: dict[str, str] = {}
        for family, columns in given.items():
            if columns is None:
                continue
            if isinstance(columns, str):
                columns = [columns]
            items: Iterable[tuple[Any, Any]]
            if isinstance(columns, Mapping):
                items = columns.items()
            else:
                items = ((c, None) for c in columns)
            names: list[str] = []
            for column, order in items:
                if not isinstance(column, str):
                    raise InvalidInputError(
                        f"{family}: column names must be strings, got {column!r}", family
                    )
                if column in seen:
                    raise InvalidInputError(
                        f"{family}: column {column!r} is already in family {seen[column]!r}; "
                        "a column belongs to one family",
                        family,
                    )
                seen[column] = family
                names.append(column)
                if order is not None:
                    self.order[column] = self._check_order(column, order)
            if names:
                self.families.setdefault(family, []).extend(names)

    @staticmethod
    def _check_order(column: str, order: Any) -> list[Any]:
        if isinstance(order, str) or not isinstance(order, Sequence):
            raise InvalidInputError(
                f"{column}: the order must be a list of categories, lowest first, got {order!r}",
                column,
            )
        levels = list(order)
        if len(set(map(str, levels))) != len(levels) or not levels:
            raise InvalidInputError(
                f"{column}: the order must list distinct categories, got {levels!r}", column
            )
        return levels

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Criteria:
        """Criteria from a mapping: family → list of columns, plus an optional ``order`` table
        (column → categories, lowest first).

        Parameters
        ----------
        spec : mapping
            As read from TOML or JSON.

        Returns
        -------
        Criteria

        Examples
        --------
        >>> import segmint as sg
        >>> crit = sg.Criteria.from_dict(
        ...     {"organisational": ["Size"], "order": {"Size": ["small", "large"]}}
        ... )
        >>> crit.order
        {'Size': ['small', 'large']}
        """
        if not isinstance(spec, Mapping):
            raise InvalidInputError("criteria: expected a table of families", "criteria")
        spec = dict(spec)
        order = spec.pop("order", {}) or {}
        if not isinstance(order, Mapping):
            raise InvalidInputError("order: expected a table column = [categories]", "order")
        families: dict[str, Any] = {}
        for family, columns in spec.items():
            if isinstance(columns, str):
                columns = [columns]
            if not isinstance(columns, list):
                raise InvalidInputError(
                    f"{family}: expected a list of column names, got {columns!r}", family
                )
            families[family] = {c: order.get(c) for c in columns}
        unknown = [c for c in order if not any(c in cols for cols in families.values())]
        if unknown:
            raise InvalidInputError(
                f"order: column {unknown[0]!r} is in no family; add it to one", "order"
            )
        return cls(**families)

    @classmethod
    def from_toml(cls, path: str | Path) -> Criteria:
        """Read criteria from a TOML file.

        Each family is a key with a list of columns; an optional ``[order]`` table gives the
        categories of ordinal columns, lowest first::

            environmental = ["Channel"]
            organisational = ["Region", "Size"]
            individual = ["Fresh", "Milk"]

            [order]
            Size = ["small", "medium", "large"]

        Parameters
        ----------
        path : str or Path
            The TOML file.

        Returns
        -------
        Criteria

        Raises
        ------
        InvalidInputError
            The file is not valid TOML or not of this form.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> import segmint as sg
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "criteria.toml"
        >>> _ = path.write_text('environmental = ["Channel"]\\nindividual = ["Milk"]\\n')
        >>> sg.Criteria.from_toml(path)
        Criteria(environmental=['Channel'], individual=['Milk'])
        """
        try:
            with open(path, "rb") as f:
                spec = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise InvalidInputError(f"{path}: not a valid TOML file ({e})", "criteria") from e
        return cls.from_dict(spec)

    # --- queries -------------------------------------------------------------------------------

    def family_of(self, column: str) -> str:
        """The family of a column (``"other"`` when no family names it).

        Parameters
        ----------
        column : str
            A column name.

        Returns
        -------
        str
            The family's name, or ``"other"``.

        Examples
        --------
        >>> import segmint as sg
        >>> sg.Criteria(individual=["Milk"]).family_of("Milk")
        'individual'
        """
        for family, columns in self.families.items():
            if column in columns:
                return family
        return OTHER

    def group(self, columns: Iterable[Any]) -> dict[str, list[Any]]:
        """Split columns into families, in presentation order: the families as given, then
        ``"other"``; within a family the columns keep the family's order (``"other"``: the
        order of `columns`). Families without any of `columns` are left out.

        Parameters
        ----------
        columns : iterable
            Column names (e.g. ``df.columns``).

        Returns
        -------
        dict of str to list
            Family name → its columns among `columns`.

        Examples
        --------
        >>> import segmint as sg
        >>> crit = sg.Criteria(environmental=["Channel"], individual=["Milk", "Fresh"])
        >>> crit.group(["Fresh", "Region", "Milk", "Channel"])
        {'environmental': ['Channel'], 'individual': ['Milk', 'Fresh'], 'other': ['Region']}
        """
        present = list(columns)
        by_name = {str(c): c for c in present}
        out: dict[str, list[Any]] = {}
        for family, names in self.families.items():
            found = [by_name[c] for c in names if c in by_name]
            if found:
                out.setdefault(family, []).extend(found)
        mapped = {c for names in self.families.values() for c in names}
        rest = [c for c in present if str(c) not in mapped]
        if rest:
            out.setdefault(OTHER, []).extend(rest)
        return out

    def select(self, df: pd.DataFrame, family: str) -> pd.DataFrame:
        """The columns of one family (for a fit on, say, organisational criteria only).

        Parameters
        ----------
        df : DataFrame
            The data.
        family : str
            A family name, or ``"other"`` for the columns of `df` no family names.

        Returns
        -------
        DataFrame
            The family's columns of `df`, in the family's order (a copy); ordinal columns as
            ordered categoricals.

        Raises
        ------
        InvalidInputError
            Unknown family, or a column of the family missing from `df`.

        Examples
        --------
        >>> import segmint as sg
        >>> crit = sg.Criteria(organisational={"Region": ["Lisbon", "Oporto", "Other"]})
        >>> sel = crit.select(sg.datasets.load_wholesale(), "organisational")
        >>> sel["Region"].cat.ordered
        True
        """
        if not isinstance(df, pd.DataFrame):
            raise InvalidInputError("df: expected a pandas DataFrame", "df")
        if family == OTHER:
            columns = self.group(df.columns).get(OTHER, [])
        elif family in self.families:
            columns = self.families[family]
            missing = [c for c in columns if c not in df.columns]
            if missing:
                raise InvalidInputError(
                    f"{missing[0]}: column of family {family!r} not in the data", missing[0]
                )
        else:
            known = [*self.families, OTHER]
            raise InvalidInputError(
                f"family: unknown family {family!r}; known: {', '.join(known)}", "family"
            )
        return self.apply_order(df[columns])

    def apply_order(self, df: pd.DataFrame) -> pd.DataFrame:
        """A copy of `df` whose ordinal columns (those given an order) are ordered categoricals.

        Parameters
        ----------
        df : DataFrame
            The data; columns without an order are copied unchanged.

        Returns
        -------
        DataFrame
            The copy.

        Raises
        ------
        InvalidInputError
            A column holds a value its order does not list.

        Examples
        --------
        >>> import pandas as pd, segmint as sg
        >>> crit = sg.Criteria(organisational={"Size": ["small", "large"]})
        >>> crit.apply_order(pd.DataFrame({"Size": ["large", "small"]}))["Size"].cat.codes.tolist()
        [1, 0]
        """
        out = df.copy()
        for column, levels in self.order.items():
            if column not in out.columns:
                continue
            values = out[column]
            as_text = values.astype("string")
            known = {str(v) for v in levels}
            bad = as_text[values.notna() & ~as_text.isin(known)]
            if len(bad):
                raise InvalidInputError(
                    f"{column}: value {bad.iloc[0]!r} is not in the order given for it "
                    f"({levels!r})",
                    column,
                )
            mapping = {str(v): v for v in levels}
            out[column] = pd.Categorical(
                [mapping[str(v)] if pd.notna(v) else None for v in values],
                categories=levels,
                ordered=True,
            )
        return out

    @staticmethod
    def title(family: str) -> str:
        """A family's display name ("organisational" → "Organisational").

        Parameters
        ----------
        family : str
            A family name.

        Returns
        -------
        str
            Underscores as spaces, the first letter capitalised.

        Examples
        --------
        >>> import segmint as sg
        >>> sg.Criteria.title("state_influence")
        'State influence'
        """
        return _title(family)

    # --- plain-data behaviour ------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Criteria):
            return NotImplemented
        return (list(self.families.items()), self.order) == (
            list(other.families.items()),
            other.order,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = []
        for family, columns in self.families.items():
            if any(c in self.order for c in columns):
                spec: Any = {c: self.order.get(c) for c in columns}
            else:
                spec = list(columns)
            parts.append(f"{family}={spec!r}")
        return f"Criteria({', '.join(parts)})"


__all__ = ["OTHER", "STANDARD_FAMILIES", "Criteria"]
