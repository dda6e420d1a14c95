"""Hierarchical Bayes and latent-class choice models against independent NumPy references
(``tests/reference_choice.py``: the CBC/HB Gibbs sampler and the latent-class EM of REFERENCES.md,
written in NumPy without segmint; the benchmarks time the same code).

HB: segmint and the NumPy sampler run two chains each on the same data; the posterior means of α
and of every respondent's β must agree within Monte-Carlo error. MCSE of each chain's mean by
non-overlapping batch means (40 batches, ``batch_means_mcse``); the mean of two chains has
MCSE √(mcse₁² + mcse₂²) / 2, and the difference of the two implementations' means is compared
with tolerance t · √(mcse_segmint² + mcse_numpy²), t the two-sided Bonferroni quantile of a
t distribution (78 degrees of freedom: two chains × 39) for a family-wise error of 0.001 over all
compared means. The mean of the squared standardised differences must also stay near 1 (a
systematic difference between the samplers shows up there first). Data seed 21, chain seeds
31 / 32 (NumPy) and 33 (segmint): none of them was used to tune anything.

Latent class: both EMs converge to the same maximum from their own random starts (segmint cannot
be started from the NumPy start); LL, class coefficients, shares and memberships must agree to
1e-8. Standard errors: ``class_se_`` is the outer-product-of-scores (BHHH) covariance of
θ = (β_1..β_C, γ_1..γ_{C−1}) (src/conjoint/latent.rs), checked against the OPG of per-respondent
scores taken by central differences of the NumPy mixture log-likelihood; the Hessian-based SEs
(numerical Hessian of the same log-likelihood) estimate the same covariance and are compared
loosely. Data seeds 23 and 25, fit seed 24: not used to tune.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pandas as pd
import pytest
from reference_choice import (
    Likelihood,
    PooledMNL,
    batch_means_mcse,
    design_arrays,
    hb_numpy,
    lc_numpy,
    mixture_respondent_loglik,
    prior_v0,
)
from scipy import stats
from threadpoolctl import threadpool_limits

import segmint
from segmint.datasets import make_choice_data

HB_ATTRIBUTES = {
    "brand": ["Acme", "Globex", "Initech"],
    "support": ["email", "phone", "dedicated"],
}
HB_DATA = {
    "n_respondents": 60,
    "n_tasks": 10,
    "n_alternatives": 3,
    "attributes": HB_ATTRIBUTES,
    "alpha": [0.25, 0.0, -0.4, 0.05, -0.6],
    "random_state": 21,
}
HB_RUN = {"n_iter": 10000, "burn_in": 2000}
N_BATCHES = 40
LC_ATTRIBUTES = ["brand", "support", "delivery", "contract", "warranty"]


# ---------------------------------------------------------------------------------------------
# Hierarchical Bayes


@pytest.fixture(scope="module")
def hb_pair():  # type: ignore[no-untyped-def]
    data, _truth = make_choice_data(**HB_DATA)
    X, y, names, ids, n_levels = design_arrays(data, list(HB_ATTRIBUTES), ["price"])
    with threadpool_limits(limits=1, user_api="blas"):
        ref = [
            hb_numpy(X, y, prior_v0(n_levels, len(names)), thin=1, seed=s, **HB_RUN)
            for s in (31, 32)
        ]
    model = segmint.ChoiceModel(
        "hb", thin=1, n_chains=2, random_state=33, **HB_RUN
    ).fit(data, attributes=list(HB_ATTRIBUTES), linear=["price"])  # fmt: skip
    assert list(model.parameter_names_) == names
    return model, ref, X, y, names, ids


def _mean_and_mcse(chains: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean over chains of each chain's mean, and its MCSE (independent chains)."""
    means = np.mean([c.astype(np.float64).mean(axis=0) for c in chains], axis=0)
    var = np.sum([batch_means_mcse(c, N_BATCHES) ** 2 for c in chains], axis=0)
    return means, np.sqrt(var) / len(chains)


def test_hb_posterior_means_agree_with_numpy_sampler(hb_pair) -> None:  # type: ignore[no-untyped-def]
    # reference: tests/reference_choice.hb_numpy (NumPy Gibbs + Metropolis), 2 chains; tolerance
    # from batch-means MCSE of both implementations (module docstring).
    model, ref, _X, _y, names, ids = hb_pair
    kept = HB_RUN["n_iter"] - HB_RUN["burn_in"]
    sg_alpha, sg_alpha_se = _mean_and_mcse(list(model.alpha_draws_))
    np_alpha, np_alpha_se = _mean_and_mcse([r["top"] for r in ref])
    sg_beta, sg_beta_se = _mean_and_mcse([model.draws_[:kept], model.draws_[kept:]])
    np_beta, np_beta_se = _mean_and_mcse([r["beta"] for r in ref])
    order = pd.Index(ids).get_indexer(model.respondents_)
    np_beta, np_beta_se = np_beta[order], np_beta_se[order]
    # segmint's own summaries are the means of its draws.
    np.testing.assert_allclose(model.alpha_.loc[names].to_numpy(), sg_alpha, rtol=1e-9)
    np.testing.assert_allclose(
        model.coef_individual_.loc[:, names].to_numpy(), sg_beta, rtol=1e-5, atol=1e-6
    )
    z_alpha = (sg_alpha - np_alpha) / np.hypot(sg_alpha_se, np_alpha_se)
    z_beta = (sg_beta - np_beta) / np.hypot(sg_beta_se, np_beta_se)
    z = np.concatenate([z_alpha, z_beta.ravel()])
    n_compared = z.size  # 5 + 60 x 5
    limit = stats.t.isf(0.001 / 2 / n_compared, df=2 * (N_BATCHES - 1))
    assert np.abs(z_alpha).max() < limit, np.round(z_alpha, 2)
    assert np.abs(z).max() < limit, (np.abs(z).max(), limit)
    # Under agreement E[z²] ≈ 1 (batch means with 40 batches slightly underestimate the MCSE of
    # these chains: two NumPy chains against each other give 1.2-1.3 on this data); a bias of
    # one MCSE in every mean would give ≈ 2.
    assert 0.6 < np.mean(z**2) < 1.75, np.mean(z**2)
    # The MCSE is small against the posterior SD: the comparison has power.
    sd = np.concatenate([r["beta"] for r in ref]).astype(np.float64).std(axis=0)[order]
    assert np.median(np.hypot(sg_beta_se, np_beta_se) / sd) < 0.06


def test_hb_rlh_certainty_and_trace_from_the_draws(hb_pair) -> None:  # type: ignore[no-untyped-def]
    # reference: the choice log-likelihood of every kept draw (thin = 1: one per post-burn-in
    # iteration) computed in NumPy (reference_choice.Likelihood); RLH = exp(mean LL / tasks),
    # percent certainty = 1 − mean LL / LL(β = 0) (Sawtooth's definitions); float32 draws:
    # relative 1e-5.
    model, _ref, X, y, names, ids = hb_pair
    lik = Likelihood(X, y)
    order = pd.Index(model.respondents_).get_indexer(ids)
    n_tasks = X.shape[0] * X.shape[1]
    ll0 = -n_tasks * np.log(X.shape[2])
    assert model.loglik_null_ == pytest.approx(ll0, rel=1e-12)
    kept = HB_RUN["n_iter"] - HB_RUN["burn_in"]
    for c in range(2):
        draws = model.draws_[c * kept : (c + 1) * kept].astype(np.float64)[:, order]
        ll = np.array([lik(d).sum() for d in draws])
        trace = model.trace_.loc[c, "loglik"].to_numpy()[HB_RUN["burn_in"] :]
        np.testing.assert_allclose(trace, ll, rtol=1e-5)
        diag = model.diagnostics_.loc[c]
        assert diag["rlh"] == pytest.approx(np.exp(ll.mean() / n_tasks), rel=1e-5)
        assert diag["pct_certainty"] == pytest.approx(1 - ll.mean() / ll0, rel=1e-5)
    # avg_variance: the mean over post-burn-in iterations of the mean diagonal of D (the trace
    # records it per iteration; relative 1e-12); D_ is the mean of the same D draws over the
    # same iterations and chains (relative 1e-9, summation order).
    k = len(names)
    for c in range(2):
        trace = model.trace_.loc[c, "avg_variance"].to_numpy()[HB_RUN["burn_in"] :]
        assert model.diagnostics_.loc[c, "avg_variance"] == pytest.approx(trace.mean(), rel=1e-12)
    assert model.diagnostics_["avg_variance"].mean() == pytest.approx(
        np.trace(model.D_.to_numpy()) / k, rel=1e-9
    )


def test_hb_avg_variance_agrees_with_numpy_sampler(hb_pair) -> None:  # type: ignore[no-untyped-def]
    # reference: reference_choice.hb_numpy's mean diagonal of D per post-burn-in iteration
    # (2 chains); the posterior mean of segmint's trace agrees within the batch-means MCSE of
    # both (t quantile, two-sided 0.001, 78 df).
    model, ref, *_ = hb_pair
    burn_in = HB_RUN["burn_in"]
    ours = [model.trace_.loc[c, "avg_variance"].to_numpy()[burn_in:] for c in range(2)]
    sg_mean, sg_se = _mean_and_mcse(ours)
    np_mean, np_se = _mean_and_mcse([r["avg_variance"] for r in ref])
    z = (sg_mean - np_mean) / np.hypot(sg_se, np_se)
    assert abs(z) < stats.t.isf(0.0005, df=2 * (N_BATCHES - 1)), (sg_mean, np_mean, z)


# ---------------------------------------------------------------------------------------------
# Latent class


@pytest.fixture(scope="module", params=[(200, 8, 2, 23), (250, 10, 3, 25)], ids=["C2", "C3"])
def lc_pair(request):  # type: ignore[no-untyped-def]
    n, tasks, n_classes, data_seed = request.param
    data, _truth = make_choice_data(n, tasks, 3, n_classes=n_classes, random_state=data_seed)
    X, y, names, ids, _ = design_arrays(data, LC_ATTRIBUTES, ["price"])
    with threadpool_limits(limits=1, user_api="blas"):
        mnl = PooledMNL(X, y)
        runs = [lc_numpy(mnl, n_classes, seed=s, tol=1e-15, max_iter=3000) for s in range(5)]
    best = max(runs, key=lambda r: r["loglik"])
    model = segmint.ChoiceModel(
        "latent_class", n_classes=n_classes, n_starts=10, tol=1e-12, max_iter=2000,
        random_state=24,
    ).fit(data, attributes=LC_ATTRIBUTES, linear=["price"])  # fmt: skip
    assert list(model.parameter_names_) == names
    coef = model.class_coef_.loc[:, names].to_numpy()
    # Class labels are arbitrary: numpy class perm[c] is segmint's class c.
    perm = list(
        min(
            permutations(range(n_classes)),
            key=lambda p: np.abs(coef - best["coef"][list(p)]).sum(),
        )
    )
    return model, best, perm, mnl, names, ids, data


def test_latent_class_equals_numpy_em(lc_pair) -> None:  # type: ignore[no-untyped-def]
    # reference: tests/reference_choice.lc_numpy (NumPy EM, best of 5 starts, run to a relative
    # LL gain below 1e-15): LL relative 1e-10, coefficients 1e-6 absolute (measured 4e-8: the LL
    # is flat near its maximum), shares and memberships 1e-7.
    model, best, perm, _mnl, names, ids, _data = lc_pair
    assert model.loglik_ == pytest.approx(best["loglik"], rel=1e-10)
    np.testing.assert_allclose(
        model.class_coef_.loc[:, names].to_numpy(), best["coef"][perm], rtol=0, atol=1e-6
    )
    np.testing.assert_allclose(model.class_shares_.to_numpy(), best["shares"][perm], atol=1e-7)
    membership = model.class_membership_.loc[ids].to_numpy()
    np.testing.assert_allclose(membership, best["membership"][:, perm], atol=1e-7)


def _theta(best: dict, perm: list[int]) -> np.ndarray:
    shares = best["shares"][perm]
    return np.concatenate([best["coef"][perm].ravel(), np.log(shares[:-1] / shares[-1])])


def _scores(mnl: PooledMNL, theta: np.ndarray, n_classes: int, h: float = 1e-5) -> np.ndarray:
    """Per-respondent scores (N, p) by central differences of the mixture log-likelihood."""
    out = np.empty((mnl.n, len(theta)))
    for j in range(len(theta)):
        e = np.zeros(len(theta))
        e[j] = h
        up = mixture_respondent_loglik(mnl, theta + e, n_classes)
        down = mixture_respondent_loglik(mnl, theta - e, n_classes)
        out[:, j] = (up - down) / (2 * h)
    return out


def test_latent_class_standard_errors(lc_pair) -> None:  # type: ignore[no-untyped-def]
    model, best, perm, mnl, names, _ids, _data = lc_pair
    n_classes, k = len(perm), len(names)
    theta = _theta(best, perm)
    scores = _scores(mnl, theta, n_classes)
    # At the maximum the total score is ~0 (central differences: ~1e-7).
    assert np.abs(scores.sum(axis=0)).max() < 1e-4
    # reference: OPG covariance (Σ_i s_i s_i')⁻¹ from numerical scores of the NumPy mixture
    # log-likelihood: relative 1e-6 (measured 1e-9).
    cov_opg = np.linalg.inv(scores.T @ scores)
    se_opg = np.sqrt(np.diag(cov_opg))[: n_classes * k].reshape(n_classes, k)
    se = model.class_se_.loc[:, names].to_numpy()
    np.testing.assert_allclose(se, se_opg, rtol=1e-6)
    # reference: numerical Hessian of the same log-likelihood (differences of the numerical
    # scores). Hessian and OPG estimate the same covariance (information-matrix equality, the
    # model is correctly specified on planted data) but differ in finite samples: measured
    # ratios OPG / Hessian SE 0.98-1.28 on the 2-class data; asserted within 0.75-1.4 each and
    # 0.9-1.25 in the median.
    h = 1e-4
    hess = np.empty((len(theta), len(theta)))
    for j in range(len(theta)):
        e = np.zeros(len(theta))
        e[j] = h
        up = _scores(mnl, theta + e, n_classes).sum(axis=0)
        down = _scores(mnl, theta - e, n_classes).sum(axis=0)
        hess[:, j] = (up - down) / (2 * h)
    hess = (hess + hess.T) / 2
    se_hess = np.sqrt(np.diag(np.linalg.inv(-hess)))[: n_classes * k].reshape(n_classes, k)
    ratio = se / se_hess
    assert ((ratio > 0.75) & (ratio < 1.4)).all(), np.round(ratio, 3)
    assert 0.9 < np.median(ratio) < 1.25, np.round(ratio, 3)


def test_latent_class_null_loglik_and_rho2(lc_pair) -> None:  # type: ignore[no-untyped-def]
    # reference: LL(β = 0) = −Σ_tasks log J_t counted from the data; ρ² = 1 − LL / LL0 with the
    # NumPy EM's LL (McFadden); relative 1e-10.
    model, best, _perm, _mnl, _names, _ids, data = lc_pair
    per_task = data.groupby(["respondent", "task"]).size().to_numpy()
    ll0 = -np.log(per_task).sum()
    assert model.loglik_null_ == pytest.approx(ll0, rel=1e-12)
    assert model.rho2_ == pytest.approx(1 - best["loglik"] / ll0, rel=1e-10)
