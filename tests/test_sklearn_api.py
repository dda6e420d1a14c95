"""Every estimator the README names is a scikit-learn estimator: clone, pickle, joblib and (where
scikit-learn's calling convention fits) Pipeline.

For each estimator: ``clone`` gives the same parameters and no fitted state, and refitting it
gives identical results; a pickle or joblib round trip of the fitted model gives identical
fitted attributes and predictions; as the last step of a ``Pipeline`` behind a pass-through
``FunctionTransformer`` it gives the same results as fitted directly. (``set_output`` concerns
transformers: only ``KMeans`` has ``transform``; it is tested in test_kmeans_api.py.)
``ChoiceModel.fit`` takes long choice data and column roles as keywords, not ``(X, y)``, so it is
not a Pipeline step; clone, pickle and joblib are tested for its three methods. The reference
here is the estimator itself before the round trip: these are identity checks, not accuracy
checks.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

import segmint
from segmint.datasets import load_tea, make_choice_data

# The HB entries run chains far shorter than the defaults (API checks, not inference), so the
# fit's convergence warning is expected here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:HierarchicalBayes. the chains have not converged:sklearn.exceptions.ConvergenceWarning"
)


def _mixed(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 3, n)
    return pd.DataFrame(
        {
            "spend": rng.normal(size=n) + 3 * g,
            "visits": rng.poisson(2 + 2 * g).astype(float),
            "sector": pd.Categorical(np.array(["retail", "horeca", "office"])[g]),
        },
        index=pd.Index([f"c{i}" for i in range(n)], name="customer"),
    )


def _numeric(n: int = 150, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 3, n)
    return pd.DataFrame(rng.normal(size=(n, 3)) + 4 * g[:, None], columns=["a", "b", "c"])


def _chaid_data() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(2)
    n = 600
    X = pd.DataFrame(
        {"region": rng.choice(list("NSEW"), n), "size": rng.choice(["S", "M", "L"], n)}
    )
    rate = np.where(X["region"].isin(["N", "E"]), 0.2, 0.6)
    return X, pd.Series(np.where(rng.random(n) < rate, "buy", "no"), name="response")


ATTRS = ["brand", "support", "delivery", "contract", "warranty"]
CHOICE_FIT = {"attributes": ATTRS, "linear": ["price"]}


def _choice_data() -> pd.DataFrame:
    return make_choice_data(40, 6, 3, random_state=3)[0]


# Each case: estimator, fit arguments (positional, keyword), pipeline-able, and a function
# listing the fitted results to compare (pandas objects and arrays).
Case = tuple[Any, Callable[[], tuple[tuple, dict]], bool, Callable[[Any], list]]


def _tea() -> tuple[tuple, dict]:
    profiles, ratings, _products = load_tea()
    return (profiles, ratings), {}


CASES: dict[str, Case] = {
    "KMeans": (
        segmint.KMeans(3, random_state=0, n_init=2),
        lambda: ((_numeric(),), {}),
        True,
        lambda m: [m.labels_, m.cluster_centers_, m.predict(_numeric()), m.inertia_],
    ),
    "KPrototypes": (
        segmint.KPrototypes(3, random_state=0, n_init=2),
        lambda: ((_mixed(),), {}),
        True,
        lambda m: [m.labels_, m.cluster_centers_, m.predict(_mixed()), m.cost_],
    ),
    "KMedoids": (
        segmint.KMedoids(3, random_state=0),
        lambda: ((_mixed(),), {}),
        True,
        lambda m: [m.labels_, m.medoid_indices_, m.predict(_mixed())],
    ),
    "Ward": (
        segmint.Ward(n_clusters=3),
        lambda: ((_numeric(),), {}),
        True,
        lambda m: [m.labels_, m.linkage_matrix_],
    ),
    "CHAID": (
        segmint.CHAID(max_depth=2, min_parent_size=50, min_child_size=20),
        lambda: (_chaid_data(), {}),
        True,
        lambda m: [m.tree_, m.predict(_chaid_data()[0]), m.predict_proba(_chaid_data()[0])],
    ),
    "RatingConjoint": (
        segmint.RatingConjoint(),
        _tea,
        True,
        lambda m: [m.part_worths_, m.importance(), m.predict(load_tea()[0])],
    ),
    "ChoiceModel-mnl": (
        segmint.ChoiceModel("mnl"),
        lambda: ((_choice_data(),), CHOICE_FIT),
        False,
        lambda m: [m.coef_, m.se_, m.covariance_, m.loglik_],
    ),
    "ChoiceModel-hb": (
        segmint.ChoiceModel("hb", n_iter=200, burn_in=100, thin=2, n_chains=2, random_state=1),
        lambda: ((_choice_data(),), CHOICE_FIT),
        False,
        lambda m: [m.draws_, m.alpha_draws_, m.coef_individual_, m.diagnostics_, m.rhat_],
    ),
    "ChoiceModel-latent_class": (
        segmint.ChoiceModel("latent_class", n_classes=2, n_starts=2, random_state=1),
        lambda: ((_choice_data(),), CHOICE_FIT),
        False,
        lambda m: [m.class_coef_, m.class_shares_, m.class_membership_, m.class_se_, m.loglik_],
    ),
}


def _assert_same(a: list, b: list) -> None:
    """Equal results: exact, except relative 1e-13 for floats (RatingConjoint.importance()
    differs in the last bit after a round trip: the unpickled arrays' memory layout changes
    NumPy's summation order)."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-13, atol=0)
        elif isinstance(x, pd.Series):
            pd.testing.assert_series_equal(x, y, check_exact=False, rtol=1e-13, atol=0)
        elif np.asarray(x).dtype.kind == "f":
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-13, atol=0)
        else:
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request):  # type: ignore[no-untyped-def]
    est, data, pipeable, results = CASES[request.param]
    args, kwargs = data()
    model = clone(est).fit(*args, **kwargs)
    return request.param, model, args, kwargs, pipeable, results


def test_clone_has_the_parameters_and_refits_identically(fitted) -> None:  # type: ignore[no-untyped-def]
    # reference: segmint itself under a change that must not matter (clone and refit) — an
    # invariance check, not accuracy
    _name, model, args, kwargs, _pipeable, results = fitted
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(twin))
    _assert_same(results(twin.fit(*args, **kwargs)), results(model))


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_round_trip_keeps_the_fitted_model(fitted, how, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # reference: segmint itself under a change that must not matter (pickle, joblib) — an
    # invariance check, not accuracy
    _name, model, _args, _kwargs, _pipeable, results = fitted
    if how == "pickle":
        other = pickle.loads(pickle.dumps(model))
    else:
        joblib.dump(model, tmp_path / "model.joblib")
        other = joblib.load(tmp_path / "model.joblib")
    assert type(other) is type(model)
    assert other.get_params() == model.get_params()
    _assert_same(results(other), results(model))


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case[2]])
def test_last_step_of_a_pipeline(name: str) -> None:
    # reference: segmint itself under a change that must not matter (a pass-through Pipeline step)
    # — an invariance check, not accuracy
    est, data, _pipeable, results = CASES[name]
    args, kwargs = data()
    model = clone(est).fit(*args, **kwargs)
    pipe = Pipeline([("pass", FunctionTransformer()), ("model", clone(model))])
    pipe.fit(*args, **kwargs)
    _assert_same(results(pipe.named_steps["model"]), results(model))
    if hasattr(model, "predict"):
        direct, piped = model.predict(args[0]), pipe.predict(args[0])
        if isinstance(direct, pd.DataFrame):
            pd.testing.assert_frame_equal(piped, direct)
        else:
            pd.testing.assert_series_equal(piped, direct)
    # The pipeline itself survives pickling.
    again = pickle.loads(pickle.dumps(pipe))
    _assert_same(results(again.named_steps["model"]), results(model))
