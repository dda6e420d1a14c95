"""The "none" option of choice-based conjoint: a boolean column marks the no-choice rows, which
get one NONE constant and zeros elsewhere (checked against statsmodels' conditional logit on a
design matrix coded here independently), and the simulator offers it as an extra product."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.discrete.conditional_models import ConditionalLogit

from segmint.conjoint import ChoiceModel, MarketSimulator
from segmint.datasets import make_choice_data


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, object]:
    return make_choice_data(120, 8, 3, none=True, random_state=5)


def _coded(df: pd.DataFrame, attributes: dict[str, list]) -> tuple[np.ndarray, list[str]]:
    cols, names = [], []
    real = ~df["none"].to_numpy(dtype=bool)
    for a, levels in attributes.items():
        v = df[a].astype(object).to_numpy()
        for lv in levels[:-1]:
            cols.append(np.where(real, (v == lv).astype(float) - (v == levels[-1]), 0.0))
            names.append(f"{a}[{lv}]")
    cols.append(np.where(real, df["price"].to_numpy(dtype=float, na_value=0.0), 0.0))
    names.append("price")
    cols.append((~real).astype(float))
    names.append("NONE")
    return np.column_stack(cols), names


def test_none_constant_matches_conditional_logit(data) -> None:  # type: ignore[no-untyped-def]
    # reference: statsmodels ConditionalLogit with the none rows coded by hand (coefficients 1e-6,
    # SEs relative 1e-5)
    df, truth = data
    attrs = truth.attributes
    m = ChoiceModel("mnl").fit(df, attributes=list(attrs), linear=["price"], none="none")
    assert m.parameter_names_[-1] == "NONE"
    X, names = _coded(df, attrs)
    groups = df["respondent"].to_numpy() * 1000 + df["task"].to_numpy()
    ref = ConditionalLogit(df["chosen"].to_numpy(), X, groups=groups).fit(
        method="newton", disp=False, maxiter=100
    )
    # statsmodels' Hessian is numerical: coefficients to 1e-6, SEs to 1e-5 relative.
    np.testing.assert_allclose(m.coef_[names].to_numpy(), ref.params, atol=1e-6)
    np.testing.assert_allclose(m.se_[names].to_numpy(), ref.bse, rtol=1e-5)


def test_simulator_offers_none(data) -> None:  # type: ignore[no-untyped-def]
    df, truth = data
    attrs = list(truth.attributes)
    m = ChoiceModel("mnl").fit(df, attributes=attrs, linear=["price"], none="none")
    real = df[~df["none"]]
    products = real[[*attrs, "price"]].head(3).reset_index(drop=True)
    shares = MarketSimulator(m).shares(products, none=True)
    assert list(shares.index) == [0, 1, 2, "none"]
    assert shares.sum() == pytest.approx(100.0, abs=1e-9)
    # Share of preference by hand: utilities of the products and of the none option.
    u = np.append(
        [
            sum(m.part_worths_[(a, products.loc[i, a])] for a in attrs)
            + m.coef_["price"] * products.loc[i, "price"]
            for i in range(3)
        ],
        m.coef_["NONE"],
    )
    want = np.exp(u - u.max()) / np.exp(u - u.max()).sum() * 100
    np.testing.assert_allclose(shares.to_numpy(), want, rtol=1e-12)
    plain, _ = make_choice_data(100, 5, 3, random_state=1)
    without = ChoiceModel("mnl").fit(plain, attributes=attrs, linear=["price"])
    with pytest.raises(ValueError, match="none"):
        MarketSimulator(without).shares(products, none=True)
