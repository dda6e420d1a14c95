"""Hierarchical Bayes for choice-based conjoint: the Python side of the Rust sampler."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import _core
from .._frame.conjoint import ChoiceCoding, ChoiceData, covariate_matrix
from .._validation import check_int, check_positive, n_threads, seed
from ..errors import InvalidInputError

if TYPE_CHECKING:
    from .choice import ChoiceModel

__all__ = ["ess", "fit_hb", "prior_structure", "split_rhat"]

DIRECTIONS = ("increasing", "decreasing")


def prior_structure(coding: ChoiceCoding) -> np.ndarray:
    """V₀ of the inverse-Wishart prior: per effects-coded attribute with L levels a block with
    (L−1)/L on the diagonal and −1/L off it (the covariance the effects coding implies for
    independent level utilities), identity for linear parameters, constants and NONE."""
    k = len(coding.names)
    v0 = np.eye(k)
    j = 0
    for levels in coding.levels:
        n = len(levels)
        block = np.full((n - 1, n - 1), -1.0 / n)
        np.fill_diagonal(block, (n - 1) / n)
        v0[j : j + n - 1, j : j + n - 1] = block
        j += n - 1
    return v0


def _constraints(monotone: Any, coding: ChoiceCoding) -> list[tuple[str, list[int], bool]]:
    if monotone is None:
        return []
    if not isinstance(monotone, dict):
        raise InvalidInputError(
            "monotone: must be a dict {attribute: 'increasing' | 'decreasing'}", "monotone"
        )
    names = coding.names
    out = []
    for attr, direction in monotone.items():
        if direction not in DIRECTIONS:
            raise InvalidInputError(
                f"monotone: direction of {attr!r} must be one of {DIRECTIONS}, got {direction!r}",
                "monotone",
            )
        up = direction == "increasing"
        if attr in coding.linear:
            out.append(("sign", [names.index(attr)], up))
        elif attr in coding.attributes:
            levels = coding.levels[coding.attributes.index(attr)]
            out.append(("levels", [names.index(f"{attr}[{lv}]") for lv in levels[:-1]], up))
        else:
            raise InvalidInputError(
                f"monotone: {attr!r} is not an attribute of the model "
                f"({[*coding.attributes, *coding.linear]!r})",
                "monotone",
            )
    return out


def split_rhat(draws: np.ndarray) -> np.ndarray:
    """Split-R̂ (Gelman et al., BDA3 §11.4) of (chains, draws, parameters)."""
    n = draws.shape[1]
    half = n // 2
    if half < 2:
        return np.full(draws.shape[2], np.nan)
    seqs = np.concatenate([draws[:, :half], draws[:, n - half :]], axis=0)
    m = seqs.shape[1]
    means = seqs.mean(axis=1)
    w = seqs.var(axis=1, ddof=1).mean(axis=0)
    b = m * means.var(axis=0, ddof=1)
    var_plus = (m - 1) / m * w + b / m
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(var_plus / w)


def ess(draws: np.ndarray) -> np.ndarray:
    """Effective sample size of (chains, draws, parameters) by BDA3's formula with Geyer's
    initial positive sequence on the combined autocorrelations."""
    c, n, p = draws.shape
    out = np.empty(p)
    for j in range(p):
        x = draws[:, :, j] - draws[:, :, j].mean(axis=1, keepdims=True)
        f = np.fft.rfft(x, n=2 * n, axis=1)
        acov = np.fft.irfft(f * np.conj(f), axis=1)[:, :n] / n
        w = acov[:, 0].mean() * n / (n - 1) if n > 1 else 0.0
        means = draws[:, :, j].mean(axis=1)
        b = n * means.var(ddof=1) if c > 1 else 0.0
        var_plus = (n - 1) / n * w + b / n
        if not var_plus > 0:
            out[j] = np.nan
            continue
        rho = 1.0 - (w - acov.mean(axis=0)) / var_plus
        total = 0.0
        t = 1
        while t + 1 < n:
            pair = rho[t] + rho[t + 1]
            if pair < 0:
                break
            total += pair
            t += 2
        out[j] = c * n / (1.0 + 2.0 * total)
    return out


def fit_hb(model: ChoiceModel, cd: ChoiceData) -> None:

    n_iter = check_int(model.n_iter, "n_iter", 2)
    burn_in = check_int(model.burn_in, "burn_in", 0)
    if burn_in >= n_iter:
        raise InvalidInputError(
            f"burn_in: must be smaller than n_iter ({n_iter}), got {burn_in}", "burn_in"
        )
    thin = check_int(model.thin, "thin", 1)
    if (n_iter - burn_in) // thin < 1:
        raise InvalidInputError("thin: keeps no draw after burn-in", "thin")
    n_chains = check_int(model.n_chains, "n_chains", 1)
    prior_variance = check_positive(model.prior_variance, "prior_variance")
    prior_df = check_positive(model.prior_df, "prior_df")
    coding = cd.coding
    constraints = _constraints(model.monotone, coding)
    z, z_names = covariate_matrix(model.covariates, cd.respondents)
    if len(cd.respondents) < 2:
        raise InvalidInputError(
            "data: hierarchical Bayes needs at least two respondents", "respondent"
        )
    sampler = _core.HbSampler(
        cd.x,
        cd.starts,
        cd.chosen,
        cd.respondent_starts,
        z,
        prior_structure(coding),
        constraints,
        n_iter,
        burn_in,
        thin,
        n_chains,
        prior_variance,
        prior_df,
        seed(model.random_state),
    )
    threads = n_threads(model.n_jobs)
    n_tasks = len(cd.chosen)
    ll0 = float(-np.log(np.diff(cd.starts)).sum())
    step = n_iter if not model.verbose else max(1, n_iter // 20)
    done = 0
    while done < n_iter:
        done = sampler.run(step, threads)
        if model.verbose:
            t = sampler.trace(0)
            last = t[-1]
            print(
                f"\rHB {done:>7}/{n_iter}  RLH {np.exp(last[0] / n_tasks):.3f}  "
                f"accept {t[-min(len(t), step) :, 1].mean():.2f}  rho {last[2]:.3f}  "
                f"avg var {last[3]:.3f}",
                end="" if done < n_iter else "\n",
                file=sys.stderr,
                flush=True,
            )
    draws, delta_draws, d_means, rhos = sampler.results()
    names = pd.Index(coding.names, name="parameter")
    k = len(names)
    zbar = z.mean(axis=0)
    alpha_draws = np.einsum("cdqk,q->cdk", delta_draws, zbar)
    model.draws_ = draws
    model.alpha_draws_ = alpha_draws
    model.alpha_ = pd.Series(alpha_draws.reshape(-1, k).mean(axis=0), index=names, name="alpha")
    model.delta_ = pd.DataFrame(
        delta_draws.reshape(-1, len(z_names), k).mean(axis=0),
        index=pd.Index(z_names, name="covariate"),
        columns=names,
    )
    model.D_ = pd.DataFrame(d_means.mean(axis=0), index=names, columns=names)
    mean_beta = draws.mean(axis=0, dtype=np.float64)
    model.coef_individual_ = pd.DataFrame(mean_beta, index=cd.respondents, columns=names)
    model.coef_ = model.alpha_.copy()
    j = coding.n_effects
    columns = coding.level_index().append(
        pd.MultiIndex.from_arrays(
            [coding.names[j:], [""] * (len(coding.names) - j)], names=["attribute", "level"]
        )
    )
    model.part_worths_ = pd.DataFrame(
        np.hstack([coding.expand(mean_beta), mean_beta[:, j:]]),
        index=cd.respondents,
        columns=columns,
    )
    model.loglik_ = float(
        _core.respondent_logliks(
            cd.x,
            cd.starts,
            cd.chosen,
            cd.respondent_starts,
            np.ascontiguousarray(mean_beta),
            threads,
        ).sum()
    )
    model.loglik_null_ = ll0
    rows, traces = [], []
    for c in range(n_chains):
        t = sampler.trace(c)
        post = t[burn_in:]
        rows.append(
            {
                "rlh": float(np.exp(post[:, 0].mean() / n_tasks)),
                "pct_certainty": float(1.0 - post[:, 0].mean() / ll0),
                "acceptance": float(post[:, 1].mean()),
                "avg_variance": float(post[:, 3].mean()),
                "rho": float(rhos[c]),
            }
        )
        traces.append(
            pd.DataFrame(t, columns=["loglik", "acceptance", "rho", "avg_variance"]).assign(
                chain=c, iteration=np.arange(len(t))
            )
        )
    model.diagnostics_ = pd.DataFrame(rows, index=pd.RangeIndex(n_chains, name="chain"))
    model.trace_ = pd.concat(traces, ignore_index=True).set_index(["chain", "iteration"])
    model.rhat_ = pd.Series(split_rhat(alpha_draws), index=names, name="rhat")
    model.ess_ = pd.Series(ess(alpha_draws), index=names, name="ess")
