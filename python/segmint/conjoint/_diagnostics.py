"""MCMC convergence diagnostics of Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021):
rank-normalised split-R̂ and bulk / tail effective sample sizes, vectorised over parameters.

Draws are ``(chains, draws, parameters)``. Chains are split in halves (the middle draw of an
odd-length chain is dropped), draws are ranked jointly over all chains (average ranks for ties)
and mapped to normal scores ``Φ⁻¹((r − 3/8) / (S + 1/4))``. R̂ is the larger of the classic R̂
of those scores and of the scores of the folded draws ``|θ − median θ|``. The bulk ESS is the
ESS of the normal scores; the tail ESS is the smaller ESS of the indicators
``θ ≤ q₀.₀₅`` and ``θ ≤ q₀.₉₅``. The ESS uses Geyer's initial positive and initial monotone
sequences on the autocorrelations combined over chains (Stan's estimator).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["ess_bulk", "ess_tail", "rhat_rank"]


def _split(draws: np.ndarray) -> np.ndarray:
    """(chains, n, p) -> (2 chains, n // 2, p): first and last halves as separate chains."""
    half = draws.shape[1] // 2
    return np.concatenate([draws[:, :half], draws[:, draws.shape[1] - half :]], axis=0)


def _normal_scores(draws: np.ndarray) -> np.ndarray:
    """Joint ranks over chains and draws, per parameter, as normal scores."""
    c, n, p = draws.shape
    flat = draws.reshape(c * n, p)
    ranks = stats.rankdata(flat, method="average", axis=0)
    return special.ndtri((ranks - 0.375) / (c * n + 0.25)).reshape(c, n, p)


def _rhat(draws: np.ndarray) -> np.ndarray:
    """The classic R̂ of (chains, n, p): sqrt(((n − 1)/n · W + B/n) / W)."""
    n = draws.shape[1]
    within = draws.var(axis=1, ddof=1).mean(axis=0)
    between = n * draws.mean(axis=1).var(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt((between / within + n - 1) / n)


def rhat_rank(draws: np.ndarray) -> np.ndarray:
    """Rank-normalised split-R̂ per parameter of (chains, draws, parameters); NaN with fewer
    than four draws per chain or constant draws."""
    draws = np.asarray(draws, dtype=np.float64)
    if draws.shape[1] < 4:
        return np.full(draws.shape[2], np.nan)
    split = _split(draws)
    bulk = _rhat(_normal_scores(split))
    folded = np.abs(split - np.median(split.reshape(-1, split.shape[2]), axis=0))
    tail = _rhat(_normal_scores(folded))
    return np.maximum(bulk, tail)


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Biased autocovariance of each chain along axis 1 (divided by n), by FFT."""
    n = x.shape[1]
    centred = x - x.mean(axis=1, keepdims=True)
    f = np.fft.rfft(centred, n=2 * n, axis=1)
    return np.fft.irfft(f * np.conj(f), n=2 * n, axis=1)[:, :n] / n


def _ess(draws: np.ndarray) -> np.ndarray:
    """Effective sample size per parameter of (chains, n, p), Geyer-truncated."""
    c, n, p = draws.shape
    out = np.empty(p)
    for j in range(p):
        x = draws[:, :, j]
        acov = _autocovariance(x)
        mean_var = acov[:, 0].mean() * n / (n - 1.0)
        var_plus = mean_var * (n - 1.0) / n
        if c > 1:
            var_plus += x.mean(axis=1).var(ddof=1)
        if not var_plus > 0:
            out[j] = np.nan
            continue
        rho = 1.0 - (mean_var - acov.mean(axis=0)) / var_plus
        rho[0] = 1.0
        # Initial positive sequence: sums of pairs (rho[t+1], rho[t+2]) while positive.
        kept = np.zeros(n)
        kept[:2] = rho[:2]
        t = 1
        even, odd = rho[0], rho[1]
        while t < n - 3 and even + odd > 0.0:
            even, odd = rho[t + 1], rho[t + 2]
            if even + odd >= 0.0:
                kept[t + 1], kept[t + 2] = even, odd
            t += 2
        last = t - 2
        if even > 0.0:
            kept[last + 1] = even
        # Initial monotone sequence: pair sums never increase.
        t = 1
        while t <= last - 2:
            if kept[t + 1] + kept[t + 2] > kept[t - 1] + kept[t]:
                kept[t + 1] = kept[t + 2] = (kept[t - 1] + kept[t]) / 2.0
            t += 2
        total = c * n
        tau = -1.0 + 2.0 * kept[: last + 1].sum() + kept[last + 1 : last + 2].sum()
        tau = max(tau, 1.0 / np.log10(total))
        out[j] = total / tau
    return out


def ess_bulk(draws: np.ndarray) -> np.ndarray:
    """Bulk effective sample size per parameter of (chains, draws, parameters)."""
    draws = np.asarray(draws, dtype=np.float64)
    if draws.shape[1] < 4:
        return np.full(draws.shape[2], np.nan)
    return _ess(_normal_scores(_split(draws)))


def ess_tail(draws: np.ndarray) -> np.ndarray:
    """Tail effective sample size: the smaller ESS of the 5 % and 95 % quantile indicators."""
    draws = np.asarray(draws, dtype=np.float64)
    if draws.shape[1] < 4:
        return np.full(draws.shape[2], np.nan)
    flat = draws.reshape(-1, draws.shape[2])
    out = []
    for prob in (0.05, 0.95):
        q = np.quantile(flat, prob, axis=0)
        out.append(_ess(_split((draws <= q).astype(np.float64))))
    return np.fmin(out[0], out[1])
