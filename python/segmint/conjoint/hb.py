"""Hierarchical Bayes multinomial logit (CBC/HB): respondent-level part-worths from the Rust
sampler, with convergence diagnostics."""

from __future__ import annotations

import os
import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._frame.conjoint import ChoiceCoding, ChoiceData, covariate_matrix
from .._progress import progress
from .._validation import (
    Check,
    Integer,
    Interval,
    RandomState,
    Threads,
    n_threads,
    validate_params,
)
from ..errors import InvalidInputError
from ..gower import parse_bytes
from ._base import _ChoiceEstimator, document_roles
from ._diagnostics import ess_bulk, ess_tail, rhat_rank

__all__ = ["HierarchicalBayes", "prior_structure"]

#: A parameter has not converged when its rank-normalised R̂ exceeds this (Vehtari et al. 2021
#: recommend 1.01 for final results; 1.05 flags chains that plainly disagree).
RHAT_WARN = 1.05
#: ... or when its bulk effective sample size is below this many draws per chain.
ESS_PER_CHAIN_WARN = 100
#: Respondents whose β draws are checked for R̂ (a seeded sample when there are more).
BETA_RHAT_SAMPLE = 1000

DIRECTIONS = ("increasing", "decreasing")
#: The largest integer parameter the core takes (a 64-bit size).
MAX_SIZE = 2**63 - 1
#: The largest prior variance (and prior_df) accepted: part-worths of ±1e3 on the logit scale
#: already give choice probabilities of exactly 0 or 1, and far larger scales overflow the
#: float32 draws (the core refuses them as well).
MAX_PRIOR = 1e6
#: Share of the machine's physical memory that ``max_memory="auto"`` allows.
AUTO_MEMORY_SHARE = 0.75
KEEP_MODES = ("draws", "summaries")


def _max_memory(value: Any) -> int:
    """`max_memory` in bytes: "auto" is `AUTO_MEMORY_SHARE` of the physical memory."""
    if isinstance(value, str) and value == "auto":
        try:
            total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
            total = 16 * 2**30
        return int(total * AUTO_MEMORY_SHARE)
    return min(parse_bytes(value), 2**64 - 1)


def _keep(value: Any) -> int:
    """`keep` as the core's `draws_every`: 1 for "draws", 0 for "summaries", m for an
    integer m."""
    if isinstance(value, str) and value in KEEP_MODES:
        return 1 if value == "draws" else 0
    if isinstance(value, str):
        raise InvalidInputError(
            f"keep: must be 'draws', 'summaries' or a positive integer, got {value!r}", "keep"
        )
    return int(Integer(1, MAX_SIZE)(value, "keep"))


def prior_structure(coding: ChoiceCoding) -> np.ndarray:
    """V₀ of the inverse-Wishart prior: per effects-coded attribute with L levels a block with
    (L−1)/L on the diagonal and −1/L off it (the covariance the effects coding implies for
    independent level utilities), identity for linear parameters, constants and NONE.

    Parameters
    ----------
    coding : ChoiceCoding
        The fitted model's coding (``model.coding_``).

    Returns
    -------
    ndarray of shape (K, K)
        V₀.

    See Also
    --------
    HierarchicalBayes : uses it with ``prior_variance`` and ``prior_df``.

    References
    ----------
    .. [1] Sawtooth Software (2021). The CBC/HB System for Hierarchical Bayes Estimation.

    Examples
    --------
    >>> import segmint as sg
    >>> from segmint.conjoint.hb import prior_structure
    >>> data, truth = sg.datasets.make_choice_data(30, 4, 3, random_state=0)
    >>> mnl = sg.conjoint.MNL(linear=["price"]).fit(data)
    >>> prior_structure(mnl.coding_)[:3, :3].round(3)
    array([[ 0.667, -0.333,  0.   ],
           [-0.333,  0.667,  0.   ],
           [ 0.   ,  0.   ,  0.667]])
    """
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


@document_roles
class HierarchicalBayes(_ChoiceEstimator):
    """Hierarchical Bayes multinomial logit (Sawtooth CBC/HB, R ChoiceModelR): part-worths for
    every respondent.

    β_i ~ N(α, D) (or N(Δ′z_i, D) with ``covariates``), D ~ IW(ν₀ = K + ``prior_df``,
    ν₀ · ``prior_variance`` · V₀) with V₀ the covariance the effects coding implies; each β_i
    by random-walk Metropolis with the proposal scale tuned to 30 % acceptance during burn-in
    and frozen after. After the Gibbs draws of α (Δ) and D, every iteration makes an affine
    move (an interweaving step in the spirit of Yu & Meng 2011): all β_i shift with α by a
    common δ and their deviations from α scale by a common c, with D → c²D — the update of
    (α, D) in the non-centred parameterisation. It is a Metropolis step whose ratio is the
    likelihood ratio times the inverse-Wishart prior and Jacobian terms (exact, no
    approximation), with a random-walk proposal shaped by the curvature of that ratio
    (estimated twice during burn-in) and scaled to 30 % acceptance during burn-in only. It
    decouples α and D from the slow random walk of the β_i: on the README's example (300
    respondents, defaults) the smallest bulk ESS of α rises from 69 to 210 (tail ESS from 250
    to 427; ``benchmarks/hb.py --mixing``) at about the same time per iteration; at 100,000
    respondents the move takes about a third of each iteration. Eight respondents are updated
    side by side in SIMD lanes (one AVX-512 register, or two AVX2 ones); every respondent has
    its own random stream, so draws are identical on any number of threads. Design rows that
    are small integers times a power of two per column (effects and dummy codes, their
    differences, prices in halves) are held as 8-bit integers — an eighth of the memory a large
    panel's sweeps stream through — with every utility equal to the last bit to the
    double-precision computation.

    Parameters
    ----------
    %(roles)s
    n_iter : int, default=20000
        Iterations per chain, burn-in included.
    burn_in : int, default=10000
        Iterations discarded (and used to tune the proposal scale).
    thin : int, default=10
        Keep every ``thin``-th draw after burn-in.
    n_chains : int, default=2
        Independent chains (R̂ needs at least two).
    prior_variance : float, default=1.0
        ``v`` of the inverse-Wishart prior scale (Sawtooth's "prior variance"), at most 1e6.
    prior_df : int, default=5
        Additional prior degrees of freedom (ν₀ = K + prior_df), at most 1e6.
    keep : {"draws", "summaries"} or int, default="draws"
        What is kept of the respondents' draws (every ``thin``-th iteration after burn-in):

        - ``"draws"``: every kept draw of every respondent (``draws_``; chains × kept ×
          respondents × parameters × 4 bytes: 7.5 GiB for 100,000 respondents, 10 parameters,
          2 chains of 1,000 kept draws).
        - ``"summaries"``: running summaries only, in memory independent of the number of
          draws: per respondent and parameter the posterior mean and variance (Welford's
          update, merged across chains exactly) and the 5 % and 95 % quantiles (the P²
          streaming estimator of Jain & Chlamtac 1985 per chain, averaged over the chains; an
          approximation, typically within a few hundredths of a posterior SD). The population
          draws (``alpha_draws_``) are kept in full, so ``summary()``, ``rhat_`` and the ESS are
          unchanged; ``beta_rhat_`` uses every kept draw of its sample of respondents. What needs
          the respondents' draws — ``draws_``, ``MarketSimulator`` with ``use_draws=True``,
          ``wtp`` and ``to_arviz``'s ``beta`` — raises (or is left out) with a message saying so;
          the simulator with ``use_draws=False`` works from the posterior means.
        - an integer ``m``: the summaries of ``"summaries"`` from every kept draw, plus every
          ``m``-th kept draw of every respondent in ``draws_`` (a thinned subset for the
          simulator and ``wtp``, ``m`` times smaller).

        Posterior means are the same in every mode (to float32 rounding).
    max_memory : int, str or "auto", default="auto"
        The most memory the sampler may hold (bytes, or a size like ``"8GiB"``); ``"auto"`` is
        75 % of the machine's physical memory. A fit that would need more is refused before
        sampling, with the size it needs and what reduces it (``keep="summaries"``, a larger
        ``thin``, fewer ``n_chains``, a shorter ``n_iter − burn_in``).
    covariates : DataFrame or None, default=None
        Respondent covariates indexed by respondent id (upper-level regression).
    monotone : dict or None, default=None
        ``{attribute: "increasing" | "decreasing"}``: order constraints on the levels of an
        effects-coded attribute, or the sign of a linear one.
    random_state : int, RandomState or None, default=None
        Seed of the chains.
    verbose : bool, default=False
        Print RLH, acceptance and ρ every 5 % of the iterations.
    n_jobs : int or None, default=None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores. Results do not depend on it.

    Attributes
    ----------
    coef_individual_ : DataFrame
        Posterior mean coefficients, respondents × parameters.
    part_worths_ : DataFrame
        Posterior mean part-worths of every level (and linear coefficients), per respondent.
    alpha_ : Series
        Posterior mean of the population mean α (= ``coef_``).
    delta_ : DataFrame
        Posterior mean of the upper-level coefficients Δ (covariates × parameters).
    D_ : DataFrame
        Posterior mean of the population covariance D.
    draws_ : ndarray of float32, shape (chains × kept, respondents, parameters)
        Kept respondent draws (with an integer ``keep=m`` every ``m``-th of them; not available
        with ``keep="summaries"``).
    alpha_draws_ : ndarray, shape (chains, kept, parameters)
    loglik_, loglik_null_ : float
        Log-likelihood at the respondents' posterior means, and with all coefficients zero.
    diagnostics_ : DataFrame
        Per chain after burn-in: RLH, percent certainty, acceptance, average variance, final ρ,
        and the acceptance rate of the affine move (``shift_acceptance``).
    trace_ : DataFrame
        Per chain and iteration: log-likelihood, acceptance, ρ, average variance.
    rhat_ : Series
        Rank-normalised split-R̂ of every α parameter (Vehtari et al. 2021; equals ArviZ's
        ``rhat(method="rank")``). With two or more chains, a ``ConvergenceWarning`` names the
        parameters whose R̂ exceeds 1.05 or whose bulk ESS is below 100 per chain.
    ess_bulk_, ess_tail_ : Series
        Bulk and tail effective sample sizes of every α parameter (ArviZ's ``ess``);
        ``ess_`` is the bulk one.
    beta_rhat_ : DataFrame
        R̂ of the respondents' β draws per parameter over respondents: median, 95th percentile
        and maximum (at most 1,000 respondents, a seeded sample).

    See Also
    --------
    MNL : the aggregate logit.
    segment_preferences : needs-based segments from the respondents' part-worths.

    References
    ----------
    Yu, Y. & Meng, X.-L. (2011). To center or not to center: that is not the question — an
    ancillarity-sufficiency interweaving strategy (ASIS) for boosting MCMC efficiency. Journal
    of Computational and Graphical Statistics 20(3).
    Jain, R. & Chlamtac, I. (1985). The P² algorithm for dynamic calculation of quantiles and
    histograms without storing observations. Communications of the ACM 28(10).
    Allenby, G. M., Arora, N. & Ginter, J. L. (1995). Incorporating prior knowledge into the
    analysis of conjoint studies. Journal of Marketing Research 32(2).
    Sawtooth Software (2021). The CBC/HB System for Hierarchical Bayes Estimation.

    Examples
    --------
    >>> import warnings
    >>> import segmint as sg
    >>> from sklearn.exceptions import ConvergenceWarning
    >>> data, truth = sg.datasets.make_choice_data(60, 8, 3, random_state=0)
    >>> hb = sg.conjoint.HierarchicalBayes(
    ...     linear=["price"], n_iter=400, burn_in=200, thin=5, random_state=0
    ... )
    >>> with warnings.catch_warnings(record=True) as caught:  # far too short, on purpose
    ...     warnings.simplefilter("always", ConvergenceWarning)
    ...     hb = hb.fit(data)
    >>> str(caught[0].message)[:51]
    'HierarchicalBayes: the chains have not converged: R'
    >>> hb.coef_individual_.shape
    (60, 12)
    >>> hb.summary().columns.tolist()
    ['mean', 'sd', 'q05', 'q95', 'rhat', 'ess_bulk', 'ess_tail']
    """

    method = "hb"

    def __init__(
        self,
        *,
        respondent: str = "respondent",
        task: str = "task",
        chosen: str = "chosen",
        attributes: list[str] | None = None,
        linear: list[str] | None = None,
        alternative: str | None = None,
        asc_reference: Any = None,
        none: str | None = None,
        n_iter: int = 20000,
        burn_in: int = 10000,
        thin: int = 10,
        n_chains: int = 2,
        prior_variance: float = 1.0,
        prior_df: int = 5,
        keep: str | int = "draws",
        max_memory: Any = "auto",
        covariates: Any = None,
        monotone: dict[str, str] | None = None,
        random_state: Any = None,
        verbose: bool = False,
        n_jobs: int | None = None,
    ):
        self._store_params(locals())

    _parameter_constraints: ClassVar[dict[str, Check]] = {
        "n_iter": Integer(2, MAX_SIZE),
        "burn_in": Integer(0, MAX_SIZE),
        "thin": Integer(1, MAX_SIZE),
        "n_chains": Integer(1, MAX_SIZE),
        "prior_variance": Interval(0.0, MAX_PRIOR, closed="right"),
        "prior_df": Interval(0.0, MAX_PRIOR, closed="right"),
        "random_state": RandomState(),
        "n_jobs": Threads(),
    }

    #: The affine move (on by default; off only to measure what it brings, benchmarks/hb.py).
    _translate: ClassVar[bool] = True

    def _check_params(self) -> dict[str, Any]:
        p = validate_params(self)
        n_iter, burn_in, thin = p["n_iter"], p["burn_in"], p["thin"]
        if burn_in >= n_iter:
            raise InvalidInputError(
                f"burn_in: must be smaller than n_iter ({n_iter}), got {burn_in}", "burn_in"
            )
        if (n_iter - burn_in) // thin < 1:
            raise InvalidInputError("thin: keeps no draw after burn-in", "thin")
        return {
            "n_iter": n_iter,
            "burn_in": burn_in,
            "thin": thin,
            "n_chains": p["n_chains"],
            "prior_variance": p["prior_variance"],
            "prior_df": p["prior_df"],
            "seed": p["random_state"],
            "draws_every": _keep(self.keep),
            "max_memory": _max_memory(self.max_memory),
        }

    def _fit(self, cd: ChoiceData, params: dict[str, Any]) -> None:
        coding = cd.coding
        constraints = _constraints(self.monotone, coding)
        z, z_names = covariate_matrix(self.covariates, cd.respondents)
        if len(cd.respondents) < 2:
            raise InvalidInputError(
                "data: hierarchical Bayes needs at least two respondents", "respondent"
            )
        n = len(cd.respondents)
        tracked = (
            self._beta_rhat_rows(n, params["seed"]) if params["draws_every"] != 1 else np.arange(0)
        )
        sampler = _core.HbSampler(
            cd.x,
            cd.starts,
            cd.chosen,
            cd.respondent_starts,
            z=z,
            v0=prior_structure(coding),
            constraints=constraints,
            summaries=params["draws_every"] != 1,
            tracked=tracked.tolist(),
            translate=self._translate,
            **params,
        )
        threads = n_threads(self.n_jobs)
        self._sample(sampler, params["n_iter"], threads)
        rhos = self._set_draws(sampler, cd, z, z_names)
        self._set_diagnostics(sampler, cd, params, rhos, threads, tracked)

    def _sample(self, sampler: _core.HbSampler, n_iter: int, threads: int) -> None:
        """Runs the chains; with `verbose` the shared progress bar (:mod:`segmint._progress`)
        shows the iterations of all chains and the latest RLH, reported by the sampler
        itself."""
        with progress(self.verbose, "HB", "RLH"):
            sampler.run(n_iter, n_threads=threads)

    def _set_draws(
        self, sampler: _core.HbSampler, cd: ChoiceData, z: np.ndarray, z_names: list[str]
    ) -> list[float]:
        """Sets the draws and posterior means; returns each chain's final proposal scale."""
        coding = cd.coding
        summaries = sampler.summaries()
        draws, delta_draws, d_means, rhos = sampler.results()
        names = pd.Index(coding.names, name="parameter")
        k = len(names)
        alpha_draws = np.einsum("cdqk,q->cdk", delta_draws, z.mean(axis=0))
        self._draws = draws if summaries is None or len(draws) else None
        self._summaries = summaries
        self.alpha_draws_ = alpha_draws
        self.alpha_ = pd.Series(alpha_draws.reshape(-1, k).mean(axis=0), index=names, name="alpha")
        self.delta_ = pd.DataFrame(
            delta_draws.reshape(-1, len(z_names), k).mean(axis=0),
            index=pd.Index(z_names, name="covariate"),
            columns=names,
        )
        self.D_ = pd.DataFrame(d_means.mean(axis=0), index=names, columns=names)
        mean_beta = draws.mean(axis=0, dtype=np.float64) if summaries is None else summaries[0]
        self.coef_individual_ = pd.DataFrame(mean_beta, index=cd.respondents, columns=names)
        self.coef_ = self.alpha_.copy()
        j = coding.n_effects
        columns = coding.level_index().append(
            pd.MultiIndex.from_arrays(
                [coding.names[j:], [""] * (len(coding.names) - j)], names=["attribute", "level"]
            )
        )
        self.part_worths_ = pd.DataFrame(
            np.hstack([coding.expand(mean_beta), mean_beta[:, j:]]),
            index=cd.respondents,
            columns=columns,
        )
        return rhos

    def _set_diagnostics(
        self,
        sampler: _core.HbSampler,
        cd: ChoiceData,
        params: dict[str, Any],
        rhos: list[float],
        threads: int,
        tracked: np.ndarray,
    ) -> None:
        n_chains, burn_in = params["n_chains"], params["burn_in"]
        shift = sampler.shift_acceptance()
        n_tasks = len(cd.chosen)
        ll0 = float(-np.log(np.diff(cd.starts)).sum())
        self.loglik_ = float(
            _core.respondent_logliks(
                cd.x,
                cd.starts,
                cd.chosen,
                cd.respondent_starts,
                beta=np.ascontiguousarray(self.coef_individual_.to_numpy()),
                n_threads=threads,
            ).sum()
        )
        self.loglik_null_ = ll0
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
                    "shift_acceptance": float(shift[c]),
                }
            )
            traces.append(
                pd.DataFrame(t, columns=["loglik", "acceptance", "rho", "avg_variance"]).assign(
                    chain=c, iteration=np.arange(len(t))
                )
            )
        names = self.alpha_.index
        self.diagnostics_ = pd.DataFrame(rows, index=pd.RangeIndex(n_chains, name="chain"))
        self.trace_ = pd.concat(traces, ignore_index=True).set_index(["chain", "iteration"])
        self.rhat_ = pd.Series(rhat_rank(self.alpha_draws_), index=names, name="rhat")
        self.ess_bulk_ = pd.Series(ess_bulk(self.alpha_draws_), index=names, name="ess_bulk")
        self.ess_tail_ = pd.Series(ess_tail(self.alpha_draws_), index=names, name="ess_tail")
        self.ess_ = self.ess_bulk_.rename("ess")
        if self._draws is None or params["draws_every"] != 1:
            sample = sampler.tracked_draws()
        else:
            sample = self._draws[:, self._beta_rhat_rows(self._draws.shape[1], params["seed"])]
        self.beta_rhat_ = self._beta_rhat(sample, n_chains)
        self._warn_unconverged(n_chains)

    @staticmethod
    def _beta_rhat_rows(n: int, chain_seed: int) -> np.ndarray:
        """The respondents whose β draws are checked for R̂: all, or `BETA_RHAT_SAMPLE` of them
        drawn from the fit's own seed (the same with any `keep`)."""
        if n <= BETA_RHAT_SAMPLE:
            return np.arange(n)
        rng = np.random.default_rng(chain_seed ^ 0x5EED)
        return np.sort(rng.choice(n, BETA_RHAT_SAMPLE, replace=False))

    def _beta_rhat(self, draws: np.ndarray, n_chains: int) -> pd.DataFrame:
        """R̂ of the sampled respondents' β draws (chains·kept × sampled × k), summarised per
        parameter over respondents (median, 95th percentile, maximum)."""
        m, k = draws.shape[1], draws.shape[2]
        chains = draws.reshape(n_chains, -1, m * k)
        r = rhat_rank(chains).reshape(m, k)
        return pd.DataFrame(
            {
                "median": np.median(r, axis=0),
                "q95": np.quantile(r, 0.95, axis=0),
                "max": r.max(axis=0),
            },
            index=self.alpha_.index,
        )

    def _warn_unconverged(self, n_chains: int) -> None:
        bad_rhat = self.rhat_.index[~(self.rhat_ <= RHAT_WARN)].tolist()
        low = ~(self.ess_bulk_ >= ESS_PER_CHAIN_WARN * n_chains)
        bad_ess = self.ess_bulk_.index[low].tolist()
        if n_chains < 2 or not (bad_rhat or bad_ess):
            return
        parts = []
        if bad_rhat:
            parts.append(
                f"R-hat above {RHAT_WARN} for {len(bad_rhat)} parameter(s) "
                f"({', '.join(bad_rhat[:5])}{', ...' if len(bad_rhat) > 5 else ''}; "
                f"max {self.rhat_.max():.3f})"
            )
        if bad_ess:
            parts.append(
                f"bulk ESS below {ESS_PER_CHAIN_WARN} per chain for {len(bad_ess)} parameter(s) "
                f"({', '.join(bad_ess[:5])}{', ...' if len(bad_ess) > 5 else ''}; min "
                f"{self.ess_bulk_.min():.0f})"
            )
        warnings.warn(
            "HierarchicalBayes: the chains have not converged: "
            + "; ".join(parts)
            + ". Run longer chains (n_iter, burn_in) or keep more draws (thin); see rhat_, "
            "ess_bulk_ and summary().",
            ConvergenceWarning,
            stacklevel=4,
        )

    # -- what the simulator and wtp use ----------------------------------------------------------

    @property
    def draws_(self) -> np.ndarray:
        """Kept respondent draws, (chains × kept, respondents, parameters) float32.

        Returns
        -------
        ndarray of shape (chains × kept, respondents, parameters), float32
            Raises ``InvalidInputError`` for a fit with ``keep="summaries"``.

        Examples
        --------
        >>> import warnings
        >>> import segmint as sg
        >>> from sklearn.exceptions import ConvergenceWarning
        >>> data, truth = sg.datasets.make_choice_data(60, 8, 3, random_state=0)
        >>> hb = sg.conjoint.HierarchicalBayes(
        ...     linear=["price"], n_iter=400, burn_in=200, thin=5, random_state=0
        ... )
        >>> with warnings.catch_warnings():  # chains far too short for a real study
        ...     warnings.simplefilter("ignore", ConvergenceWarning)
        ...     hb = hb.fit(data)
        >>> hb.draws_.shape
        (80, 60, 12)
        """
        check_is_fitted(self, "alpha_draws_")
        if self._draws is None:
            raise InvalidInputError(
                "keep: this fit kept running summaries only (keep='summaries'), not the "
                "respondents' draws; use the posterior means (coef_individual_, "
                "individual_summary(), or use_draws=False in MarketSimulator), or refit with "
                "keep='draws' or an integer keep=m for every m-th draw",
                "keep",
            )
        return self._draws

    def individual_summary(self) -> pd.DataFrame:
        """Posterior summary of every respondent's coefficients.

        Returns
        -------
        DataFrame
            Respondents × (parameter, statistic) with statistics ``mean``, ``sd``, ``q05`` and
            ``q95``: from the kept draws with ``keep="draws"`` (NumPy's quantiles), from the
            running summaries otherwise (Welford moments over every kept draw; P² quantile
            estimates averaged over the chains).

        Examples
        --------
        >>> import warnings
        >>> import segmint as sg
        >>> from sklearn.exceptions import ConvergenceWarning
        >>> data, truth = sg.datasets.make_choice_data(60, 8, 3, random_state=0)
        >>> hb = sg.conjoint.HierarchicalBayes(
        ...     linear=["price"], n_iter=400, burn_in=200, thin=5, random_state=0
        ... )
        >>> with warnings.catch_warnings():  # chains far too short for a real study
        ...     warnings.simplefilter("ignore", ConvergenceWarning)
        ...     hb = hb.fit(data)
        >>> table = hb.individual_summary()
        >>> table.shape, table.columns.get_level_values("statistic").unique().tolist()
        ((60, 48), ['mean', 'sd', 'q05', 'q95'])
        """
        check_is_fitted(self, "alpha_draws_")
        if self._summaries is not None:
            mean, var, q05, q95 = self._summaries
            sd = np.sqrt(var)
        else:
            d = self.draws_
            mean = d.mean(axis=0, dtype=np.float64)
            sd = np.full_like(mean, np.nan)
            if len(d) > 1:
                sd = d.std(axis=0, ddof=1, dtype=np.float64)
            q05, q95 = np.quantile(d, [0.05, 0.95], axis=0)
        names = self.alpha_.index
        stats = ["mean", "sd", "q05", "q95"]
        values = np.stack([mean, sd, q05, q95], axis=2).reshape(len(mean), -1)
        columns = pd.MultiIndex.from_product([names, stats], names=["parameter", "statistic"])
        return pd.DataFrame(values, index=self.coef_individual_.index, columns=columns)

    def _coef_units(self, use_draws: bool = True) -> np.ndarray:
        """(draws, respondents, K) kept draws, or (1, respondents, K) posterior means."""
        check_is_fitted(self, "alpha_draws_")
        return self.draws_ if use_draws else self.coef_individual_.to_numpy()[None]

    def to_arviz(self) -> Any:
        """The kept draws as an ArviZ ``InferenceData`` (needs the optional ``arviz``).

        Returns
        -------
        arviz.InferenceData
            ``posterior`` with ``alpha`` (chain, draw, parameter) and ``beta`` (chain, draw,
            respondent, parameter); ``beta`` only when every kept draw was kept
            (``keep="draws"``).

        Raises
        ------
        ImportError
            When ArviZ is not installed (``pip install segmint[arviz]``).

        Examples
        --------
        >>> import warnings
        >>> import segmint as sg
        >>> from sklearn.exceptions import ConvergenceWarning
        >>> data, truth = sg.datasets.make_choice_data(60, 8, 3, random_state=0)
        >>> hb = sg.conjoint.HierarchicalBayes(
        ...     linear=["price"], n_iter=400, burn_in=200, thin=5, random_state=0
        ... )
        >>> with warnings.catch_warnings():  # chains far too short for a real study
        ...     warnings.simplefilter("ignore", ConvergenceWarning)
        ...     hb = hb.fit(data)
        >>> idata = hb.to_arviz()
        >>> dict(idata.posterior["alpha"].sizes)
        {'chain': 2, 'draw': 40, 'parameter': 12}
        """
        check_is_fitted(self, "alpha_draws_")
        try:
            import arviz as az
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError(
                "to_arviz needs ArviZ: pip install 'segmint[arviz]' (or arviz)"
            ) from e
        chains, kept, k = self.alpha_draws_.shape
        posterior = {"alpha": self.alpha_draws_}
        if self._draws is not None and len(self._draws) == chains * kept:
            posterior["beta"] = self._draws.reshape(chains, kept, self._draws.shape[1], k)
        return az.from_dict(
            posterior=posterior,
            coords={"parameter": list(self.alpha_.index), "respondent": list(self.respondents_)},
            dims={"alpha": ["parameter"], "beta": ["respondent", "parameter"]},
        )

    def plot_trace(self, ax: Any = None, **kwargs: Any) -> Any:
        """Convergence at a glance: each chain's log-likelihood per iteration (burn-in
        shaded) and the R̂ of every population mean with the 1.01 / 1.05 lines.

        Parameters
        ----------
        ax : matplotlib Axes or sequence of two Axes, optional
            Where to draw (one Axes is split in two); a new figure when None.
        **kwargs
            Passed to ``Axes.plot`` for the traces.

        Returns
        -------
        HBTraceDisplay
            With ``figure_`` and ``ax_`` (the two panels).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before ``fit``.
        ImportError
            matplotlib is not installed.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import warnings, segmint as sg
        >>> data, _ = sg.datasets.make_choice_data(40, 6, 3, random_state=0)
        >>> hb = sg.conjoint.HierarchicalBayes(linear=["price"], n_iter=200, burn_in=100,
        ...                                    thin=5, random_state=0)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")  # far too short to converge, on purpose
        ...     hb = hb.fit(data)
        >>> len(hb.plot_trace().ax_)
        2
        """
        check_is_fitted(self, "trace_")
        from ..plot import HBTraceDisplay

        return HBTraceDisplay(self.trace_, self.rhat_, self.burn_in).plot(ax=ax, **kwargs)

    def summary(self) -> pd.DataFrame:
        """Posterior summary of the population means α, with convergence diagnostics.

        Returns
        -------
        DataFrame
            One row per parameter: posterior ``mean``, ``sd``, 5 % and 95 % quantiles
            (``q05``, ``q95``), rank-normalised split-R̂ (``rhat``), bulk and tail effective
            sample sizes (``ess_bulk``, ``ess_tail``) over all chains' kept draws.
            ``attrs["rlh"]`` and ``attrs["pct_certainty"]`` hold the
            chains' mean root likelihood and percent certainty after burn-in.

        Examples
        --------
        >>> import warnings
        >>> import segmint as sg
        >>> from sklearn.exceptions import ConvergenceWarning
        >>> data, truth = sg.datasets.make_choice_data(60, 8, 3, random_state=0)
        >>> hb = sg.conjoint.HierarchicalBayes(
        ...     linear=["price"], n_iter=400, burn_in=200, thin=5, random_state=0
        ... )
        >>> with warnings.catch_warnings():  # chains far too short for a real study
        ...     warnings.simplefilter("ignore", ConvergenceWarning)
        ...     hb = hb.fit(data)
        >>> table = hb.summary()
        >>> table.columns.tolist()
        ['mean', 'sd', 'q05', 'q95', 'rhat', 'ess_bulk', 'ess_tail']
        >>> bool(table.loc["price", "mean"] < 0)
        True
        """
        check_is_fitted(self, "alpha_draws_")
        k = self.alpha_draws_.shape[-1]
        flat = self.alpha_draws_.reshape(-1, k)
        out = pd.DataFrame(
            {
                "mean": flat.mean(axis=0),
                "sd": flat.std(axis=0, ddof=1) if len(flat) > 1 else np.nan,
                "q05": np.quantile(flat, 0.05, axis=0),
                "q95": np.quantile(flat, 0.95, axis=0),
                "rhat": self.rhat_.to_numpy(),
                "ess_bulk": self.ess_bulk_.to_numpy(),
                "ess_tail": self.ess_tail_.to_numpy(),
            },
            index=self.alpha_.index,
        )
        out.attrs["rlh"] = float(self.diagnostics_["rlh"].mean())
        out.attrs["pct_certainty"] = float(self.diagnostics_["pct_certainty"].mean())
        return out
