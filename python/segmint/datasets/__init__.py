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

    Returns
    -------
    DataFrame
        440 rows, 8 columns.

    See Also
    --------
    SPEND_COLUMNS : the names of the six spend columns.

    References
    ----------
    .. [1] Cardoso, M. (2013). Wholesale customers. UCI Machine Learning Repository.
       doi:10.24432/C5030X.

    Examples
    --------
    >>> from segmint.datasets import load_wholesale
    >>> customers = load_wholesale()
    >>> customers.shape
    (440, 8)
    >>> customers["Channel"].value_counts().to_dict()
    {'Horeca': 298, 'Retail': 142}
    """
    with files(__package__).joinpath("wholesale_customers.csv").open("rb") as f:
        df = pd.read_csv(f)
    df["Channel"] = pd.Categorical.from_codes(df["Channel"] - 1, ["Horeca", "Retail"])
    df["Region"] = pd.Categorical.from_codes(df["Region"] - 1, ["Lisbon", "Oporto", "Other"])
    return df


TEA_LEVELS = {
    "price": ["low", "medium", "high"],
    "variety": ["black", "green", "red"],
    "kind": ["bags", "granulated", "leafy"],
    "aroma": ["yes", "no"],
}


def load_tea() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The tea rating-conjoint study of R's ``conjoint`` package.

    Returns ``(profiles, ratings, products)``: 13 tea profiles (price, variety, kind, aroma as
    ordered categoricals in the package's level order), the 0–10 ratings of 100 respondents
    (respondents × profiles, columns in profile order), and 4 products to simulate.

    Source: R package ``conjoint`` by A. Bak and T. Bartlomowicz, data ``tea`` (``tprof``,
    ``tprefm``, ``tsimp``, ``tlevn``); GPL-2 | GPL-3.

    Returns
    -------
    profiles : DataFrame
        13 profiles (index "profile", 1..13) × the 4 attributes.
    ratings : DataFrame
        100 respondents (index "respondent") × 13 profiles.
    products : DataFrame
        4 products (index "product") × the 4 attributes.

    See Also
    --------
    segmint.RatingConjoint : the analysis of these data.

    Examples
    --------
    >>> from segmint.datasets import load_tea
    >>> profiles, ratings, products = load_tea()
    >>> profiles.shape, ratings.shape, products.shape
    ((13, 4), (100, 13), (4, 4))
    >>> profiles.head(3)  # doctest: +NORMALIZE_WHITESPACE
              price variety        kind aroma
    profile
    1          high   black        bags   yes
    2           low   green        bags   yes
    3        medium   green  granulated   yes
    """

    def read(name: str) -> pd.DataFrame:
        with files(__package__).joinpath(name).open("rb") as f:
            return pd.read_csv(f)

    profiles, ratings, products = (
        read("tea_profiles.csv"),
        read("tea_ratings.csv"),
        read("tea_products.csv"),
    )
    for frame in (profiles, products):
        for col, levels in TEA_LEVELS.items():
            frame[col] = pd.Categorical(frame[col], categories=levels)
    profiles.index = pd.RangeIndex(1, len(profiles) + 1, name="profile")
    ratings.index = pd.RangeIndex(1, len(ratings) + 1, name="respondent")
    ratings.columns = profiles.index
    products.index = pd.Index(
        [f"product {i}" for i in range(1, len(products) + 1)], name="product"
    )
    return profiles, ratings, products


def load_online_retail_sample() -> pd.DataFrame:
    """Invoice lines of 1,000 customers of a UK online wholesaler, 2010-12-01 to 2011-12-09.

    A sample of the UCI "Online Retail" data: every line of 1,000 customers drawn at random
    (seed 2011) plus 2,000 lines without a customer id, 102,136 lines in all. Columns
    ``InvoiceNo`` (text; numbers starting with "C" are cancellations), ``StockCode``,
    ``Quantity``, ``InvoiceDate`` (datetime), ``UnitPrice``, ``CustomerID`` (nullable integer)
    and ``Country``; the product descriptions are left out.

    Source: D. Chen (2012), "Online Retail", UCI Machine Learning Repository,
    doi:10.24432/C5BW33, licensed CC BY 4.0.

    Returns
    -------
    DataFrame
        102,136 invoice lines, 7 columns.

    See Also
    --------
    segmint.customer_summary : one row per customer from these lines.

    Examples
    --------
    >>> from segmint.datasets import load_online_retail_sample
    >>> lines = load_online_retail_sample()
    >>> len(lines), lines["CustomerID"].nunique()
    (102136, 1000)
    """
    with files(__package__).joinpath("online_retail_sample.csv.gz").open("rb") as f:
        df = pd.read_csv(
            f,
            compression="gzip",
            dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": "Int64"},
            parse_dates=["InvoiceDate"],
        )
    return df


__all__ = [
    "SPEND_COLUMNS",
    "TEA_LEVELS",
    "load_online_retail_sample",
    "load_tea",
    "load_wholesale",
    "make_choice_data",
]
