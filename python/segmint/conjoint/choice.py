"""Choice-based conjoint: aggregate MNL, hierarchical Bayes and latent-class choice models."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._frame.conjoint import ChoiceCoding, ChoiceData, choice_data, profiles_frame
from .._validation import check_int, check_positive, n_threads
from ..errors import InvalidInputError

__all__ = ["METHODS", "ChoiceModel"]

METHODS = ("mnl", "hb", "latent_class")


class ChoiceModel(BaseEstimator):
    """Choice-based conjoint (CBC) models on long data: one row per respondent × task ×
    alternative, a 0/1 ``chosen`` column.

    ``method="mnl"`` is the aggregate conditional (multinomial) logit, fitted by Newton's method
    with step halving in Rust; standard errors from the inverse information, robust ones from the
    sandwich with scores summed per respondent (no small-sample factor).

    Coding: categorical attributes are effects-coded (parameters ``"attr[level]"`` for all but
    the last level, whose part-worth is minus the sum of the others); columns named in
    ``linear`` get one coefficient each (e.g. price); ``alternative=`` adds dummy-coded
    alternative-specific constants ``"ASC[label]"`` (all labels but ``asc_reference``, default the
    last); ``none=`` names a boolean column marking the "no choice" rows, which get a single
    ``"NONE"`` constant and zeros elsewhere.

    Parameters
    ----------
    method : {"mnl", "hb", "latent_class"}
    max_iter, tol : Newton (MNL) or EM (latent class) limits; MNL stops when half the Newton
        decrement is below ``tol`` and then takes one more step.
    n_jobs : int or None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores.

    Attributes (MNL)
    ----------------
    coef_, se_, robust_se_ : Series indexed by parameter name
    covariance_, robust_covariance_ : DataFrame
    loglik_, loglik_null_ (all coefficients zero), rho2_ (McFadden), aic_, bic_ (n = tasks)
    n_iter_, n_tasks_, n_respondents_, parameter_names_
    part_worths_ : Series over (attribute, level), every level, categorical attributes only
    """

    coef_: pd.Series

    def __init__(
        self,
        method: str = "mnl",
        *,
        n_classes: int = 3,
        n_iter: int = 20000,
        burn_in: int = 10000,
        thin: int = 10,
        n_chains: int = 2,
        prior_variance: float = 1.0,
        prior_df: int = 5,
        covariates: Any = None,
        monotone: dict[str, str] | None = None,
        n_starts: int = 10,
        max_iter: int = 500,
        tol: float = 1e-8,
        random_state: Any = None,
        verbose: bool = False,
        n_jobs: int | None = None,
    ):
        self.method = method
        self.n_classes = n_classes
        self.n_iter = n_iter
        self.burn_in = burn_in
        self.thin = thin
        self.n_chains = n_chains
        self.prior_variance = prior_variance
        self.prior_df = prior_df
        self.covariates = covariates
        self.monotone = monotone
        self.n_starts = n_starts
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    def fit(
        self,
        data: Any,
        *,
        respondent: str = "respondent",
        task: str = "task",
        chosen: str = "chosen",
        attributes: list[str] | None = None,
        linear: list[str] | None = None,
        alternative: str | None = None,
        asc_reference: Any = None,
        none: str | None = None,
    ) -> ChoiceModel:
        """Fit the model to long choice data (see the class docstring for the coding)."""
        if self.method not in METHODS:
            raise InvalidInputError(
                f"method: must be one of {METHODS}, got {self.method!r}", "method"
            )
        check_int(self.max_iter, "max_iter", 1)
        check_positive(self.tol, "tol")
        cd = choice_data(
            data,
            respondent=respondent,
            task=task,
            chosen=chosen,
            attributes=attributes,
            linear=linear,
            alternative=alternative,
            asc_reference=asc_reference,
            none=none,
        )
        self.coding_ = cd.coding
        self.parameter_names_ = cd.coding.names
        self.respondents_ = cd.respondents
        self.n_tasks_ = len(cd.chosen)
        self.n_respondents_ = len(cd.respondents)
        if self.method == "mnl":
            self._fit_mnl(cd)
        elif self.method == "hb":
            from .hb import fit_hb

            fit_hb(self, cd)
        else:
            from .latent import fit_latent_class

            fit_latent_class(self, cd)
        return self

    # -- MNL ------------------------------------------------------------------------------------

    def _mnl(
        self, cd: ChoiceData, weights: np.ndarray | None = None, start: np.ndarray | None = None
    ) -> dict[str, Any]:
        return _core.mnl_fit(
            cd.x,
            cd.starts,
            cd.chosen,
            cd.respondent_starts,
            cd.coding.names,
            weights,
            None if start is None else [float(v) for v in start],
            int(self.max_iter),
            float(self.tol),
            n_threads(self.n_jobs),
        )

    def _fit_mnl(self, cd: ChoiceData) -> None:
        out = self._mnl(cd)
        if not out["converged"]:
            warnings.warn(
                f"ChoiceModel: Newton did not converge in max_iter={self.max_iter} steps",
                RuntimeWarning,
                stacklevel=3,
            )
        self._set_mnl(cd, out)

    def _set_mnl(self, cd: ChoiceData, out: dict[str, Any]) -> None:
        names = pd.Index(cd.coding.names, name="parameter")
        k = len(names)
        self.coef_ = pd.Series(out["coef"], index=names, name="coef")
        self.covariance_ = pd.DataFrame(out["covariance"], index=names, columns=names)
        self.robust_covariance_ = pd.DataFrame(
            out["robust_covariance"], index=names, columns=names
        )
        self.se_ = pd.Series(np.sqrt(np.diag(out["covariance"])), index=names, name="se")
        self.robust_se_ = pd.Series(
            np.sqrt(np.diag(out["robust_covariance"])), index=names, name="robust_se"
        )
        self.loglik_ = float(out["loglik"])
        self.loglik_null_ = float(out["loglik_null"])
        self.rho2_ = 1.0 - self.loglik_ / self.loglik_null_
        self.aic_ = 2.0 * k - 2.0 * self.loglik_
        self.bic_ = k * np.log(self.n_tasks_) - 2.0 * self.loglik_
        self.n_iter_ = int(out["n_iter"])
        self.part_worths_ = part_worths(self.coef_, cd.coding)

    def summary(self) -> pd.DataFrame:
        """Coefficients with standard errors, z, two-sided p and robust standard errors."""
        check_is_fitted(self, "coef_")
        se = getattr(self, "se_", None)
        if se is None:
            raise InvalidInputError(
                "summary: available for method='mnl' and 'latent_class'", "method"
            )
        z = self.coef_ / se
        return pd.DataFrame(
            {
                "coef": self.coef_,
                "se": se,
                "z": z,
                "p": 2.0 * stats.norm.sf(np.abs(z)),
                "robust_se": self.robust_se_,
            }
        )

    # -- utilities of scenarios ------------------------------------------------------------------

    def _scenario_matrix(self, products: Any, what: str = "products") -> np.ndarray:
        """The model matrix of scenario profiles (one row per product)."""
        check_is_fitted(self, "coef_")
        frame = profiles_frame(products, what)
        coding: ChoiceCoding = self.coding_
        if coding.asc_levels and coding.alternative not in frame.columns:
            raise InvalidInputError(
                f"{what}: column {coding.alternative!r} (alternative, for the constants) is "
                "missing",
                str(coding.alternative),
            )
        none_rows = None
        if coding.none is not None:
            none_rows = (
                np.zeros(len(frame), dtype=bool)
                if coding.none not in frame.columns
                else frame[coding.none].to_numpy(dtype=bool)
            )
        return coding.matrix(frame, what, none_rows)


def part_worths(coef: pd.Series, coding: ChoiceCoding) -> pd.Series:
    """Every level's part-worth of the effects-coded attributes (the last level is minus the
    sum of the others)."""
    values = coding.expand(coef.to_numpy(dtype=np.float64))
    return pd.Series(values, index=coding.level_index(), name="part_worth", dtype=np.float64)
