"""Sample data bundled with segmint (see SOURCES.md in this folder for attribution)."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd

from .choice import make_choice_data

SPEND_COLUMNS = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicatessen"]


def load_wholesale() -> pd.DataFrame:
    """Annual spend (monetary units) of 440 clients of a wholesale distributor in Portugal.

    Columns: ``Channel`` (Horeca / Retail) and ``Region`` (Lisbon / Oporto / Other) as
    categoricals, then the spend on Fresh, Milk, Grocery, Frozen, Detergents_Paper and
    Delicatessen products.

    Source: UCI Machine Learning Repository, "Wholesale customers" (M. Cardoso, 2013),
    doi:10.24432/C5030X, licensed CC BY 4.0. Column ``Delicassen`` renamed ``Delicatessen``.
    """
    with files(__package__).joinpath("wholesale_customers.csv").open("rb") as f:
        df = pd.read_csv(f)
    df["Channel"] = pd.Categorical.from_codes(df["Channel"] - 1, ["Horeca", "Retail"])
    df["Region"] = pd.Categorical.from_codes(df["Region"] - 1, ["Lisbon", "Oporto", "Other"])
    return df


__all__ = ["SPEND_COLUMNS", "load_wholesale", "make_choice_data"]
