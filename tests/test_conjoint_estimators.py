"""One estimator per choice model (issue 17): `MNL`, `HierarchicalBayes`, `LatentClassMNL`, the
`ChoiceModel` factory, column roles as parameters, `linear` as a subset of `attributes`, and the
summaries. Numbers are checked against independent computations (statsmodels, NumPy on the
draws), never against segmint's own output."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import segmint as sg
from segmint._frame.conjoint import choice_data
from segmint.conjoint import MNL, ChoiceModel, HierarchicalBayes, LatentClassMNL, MarketSimulator
from segmint.datasets import make_choice_data
from segmint.errors import InvalidInputError

ATTRIBUTES = ["brand", "support", "delivery", "contract", "warranty"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    frame, _truth = make_choice_data(150, 8, 3, random_state=21)
    return frame


def test_factory_returns_the_estimators() -> None:
    assert type(ChoiceModel("mnl")) is MNL
    assert type(ChoiceModel(method="hb", n_iter=10, burn_in=5)) is HierarchicalBayes
    assert type(ChoiceModel("latent_class", n_classes=2)) is LatentClassMNL
    with pytest.raises(InvalidInputError, match="method"):
        ChoiceModel("probit")
    with pytest.raises(InvalidInputError, match="n_classes"):
        ChoiceModel("hb", n_classes=3)


def test_roles_in_constructor_equal_roles_in_fit(data: pd.DataFrame) -> None:
    # Both spellings must give the same model matrix, hence bit-identical estimates.
    a = MNL(attributes=ATTRIBUTES, linear=["price"]).fit(data)
    b = MNL().fit(data, attributes=ATTRIBUTES, linear=["price"])
    pd.testing.assert_series_equal(a.coef_, b.coef_)
    # fit's roles do not change the estimator's parameters (scikit-learn's contract).
    assert MNL().get_params()["linear"] is None
    c = clone(a)
    assert c.get_params() == a.get_params()


def test_linear_as_subset_of_attributes(data: pd.DataFrame) -> None:
    """Listing every attribute and marking price linear (the Sawtooth / xlogit way) gives the
    same coefficients as the disjoint form, and both equal statsmodels' ConditionalLogit."""
    from statsmodels.discrete.conditional_models import ConditionalLogit

    subset = MNL(attributes=[*ATTRIBUTES, "price"], linear=["price"]).fit(data)
    disjoint = MNL(attributes=ATTRIBUTES, linear=["price"]).fit(data)
    pd.testing.assert_series_equal(subset.coef_, disjoint.coef_)
    assert subset.parameter_names_[-1] == "price"
    # reference: statsmodels ConditionalLogit on the same effects coding, grouped by task.
    cd = choice_data(
        data,
        respondent="respondent",
        task="task",
        chosen="chosen",
        attributes=ATTRIBUTES,
        linear=["price"],
        alternative=None,
        asc_reference=None,
        none=None,
    )
    y = np.zeros(len(cd.x))
    y[cd.chosen] = 1.0
    groups = np.repeat(np.arange(len(cd.starts) - 1), np.diff(cd.starts))
    ref = ConditionalLogit(y, cd.x, groups=groups).fit(method="newton", disp=0)
    np.testing.assert_allclose(subset.coef_.to_numpy(), ref.params, rtol=0, atol=1e-6)
    np.testing.assert_allclose(subset.se_.to_numpy(), ref.bse, rtol=1e-5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # short chains
def test_hb_summary_from_draws(data: pd.DataFrame) -> None:
    hb = HierarchicalBayes(
        linear=["price"], n_iter=300, burn_in=150, thin=3, n_chains=2, random_state=7
    ).fit(data)
    s = hb.summary()
    # reference: NumPy moments and quantiles of the kept α draws of both chains.
    flat = hb.alpha_draws_.reshape(-1, hb.alpha_draws_.shape[-1])
    assert s.columns.tolist() == ["mean", "sd", "q05", "q95", "rhat", "ess_bulk", "ess_tail"]
    np.testing.assert_allclose(s["mean"], flat.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(s["sd"], flat.std(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(s["q05"], np.quantile(flat, 0.05, axis=0), rtol=1e-12)
    np.testing.assert_allclose(s["q95"], np.quantile(flat, 0.95, axis=0), rtol=1e-12)
    # reference: RLH = exp(mean post-burn-in LL / tasks), from the trace, per chain.
    trace = hb.trace_.xs(0, level="chain")["loglik"].to_numpy()[150:]
    assert hb.diagnostics_.loc[0, "rlh"] == pytest.approx(np.exp(trace.mean() / hb.n_tasks_))
    assert s.attrs["rlh"] == pytest.approx(hb.diagnostics_["rlh"].mean())


def test_latent_class_summary_and_select_classes(data: pd.DataFrame) -> None:
    from scipy import stats
    from sklearn.exceptions import ConvergenceWarning

    lc = LatentClassMNL(n_classes=2, n_starts=5, linear=["price"], random_state=3).fit(data)
    s = lc.summary()
    assert list(s.index.names) == ["class", "parameter"]
    # reference: the starts' own log-likelihoods (two of five reach -722.9009 on these data).
    assert lc.diagnostics_["n_starts_at_best"] == int(
        (lc.start_logliks_ >= lc.start_logliks_.max() - 1e-6 * (1 + abs(lc.loglik_))).sum()
    )
    with pytest.warns(ConvergenceWarning, match="only 1 of 2 starts"):
        LatentClassMNL(n_classes=2, n_starts=2, linear=["price"], random_state=3).fit(data)
    # reference: z and two-sided normal p from the class coefficients and standard errors.
    z = lc.class_coef_.loc[1] / lc.class_se_.loc[1]
    np.testing.assert_allclose(s.loc[1, "z"], z, rtol=1e-12)
    np.testing.assert_allclose(s.loc[1, "p"], 2 * stats.norm.sf(np.abs(z)), rtol=1e-12)
    table = sg.conjoint.select_classes(
        data, [1, 2], model=LatentClassMNL(n_starts=5, random_state=3), linear=["price"]
    )
    assert table.loc[2, "loglik"] == pytest.approx(lc.loglik_, rel=1e-10)
    # one class is the MNL (reference: statsmodels ConditionalLogit above equals MNL).
    mnl = MNL(linear=["price"]).fit(data)
    assert table.loc[1, "loglik"] == pytest.approx(mnl.loglik_, rel=1e-8)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # short chains
def test_fitted_models_pickle_and_simulate(data: pd.DataFrame) -> None:
    products = data.loc[data["task"] == data["task"].iloc[0]].head(3)
    for model in (
        MNL(linear=["price"]),
        LatentClassMNL(n_classes=2, n_starts=1, linear=["price"], random_state=0),
        HierarchicalBayes(linear=["price"], n_iter=60, burn_in=30, thin=3, random_state=0),
    ):
        model.fit(data)
        again = pickle.loads(pickle.dumps(model))
        a = MarketSimulator(model).shares(products)
        b = MarketSimulator(again).shares(products)
        pd.testing.assert_series_equal(a, b)
        assert a.sum() == pytest.approx(100.0)


README_DATA = {"n_respondents": 300, "n_tasks": 12, "n_alternatives": 3, "random_state": 0}


def test_hb_short_chains_warn_and_convert_to_arviz() -> None:
    """The README's old settings (2,000 iterations, 1,000 burn-in) leave the chains far apart:
    the fit must say so, naming parameters; the draws convert to ArviZ, whose R̂ agrees."""
    from sklearn.exceptions import ConvergenceWarning

    data, _ = make_choice_data(**README_DATA)
    with pytest.warns(ConvergenceWarning, match=r"R-hat above 1.05 .*brand\[") as record:
        hb = HierarchicalBayes(
            attributes=ATTRIBUTES, linear=["price"], n_iter=2000, burn_in=1000, random_state=0
        ).fit(data)
    assert len(record) == 1
    assert hb.rhat_.max() > 1.05
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import arviz as az

        idata = hb.to_arviz()
        rhat = az.rhat(idata, method="rank")["alpha"].to_numpy()
    # reference: ArviZ on the converted InferenceData.
    np.testing.assert_allclose(hb.rhat_.to_numpy(), rhat, rtol=1e-6)
    assert idata.posterior["beta"].shape == (2, 100, 300, 10)


def test_choice_model_in_a_pipeline(data: pd.DataFrame) -> None:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    pipe = Pipeline(
        [("keep", FunctionTransformer()), ("mnl", MNL(attributes=ATTRIBUTES, linear=["price"]))]
    ).fit(data)
    # reference: the same model fitted directly (bit-identical expected).
    direct = MNL(attributes=ATTRIBUTES, linear=["price"]).fit(data)
    pd.testing.assert_series_equal(pipe.named_steps["mnl"].coef_, direct.coef_)
