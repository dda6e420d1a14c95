"""The aggregate multinomial (conditional) logit for choice-based conjoint."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils.validation import check_is_fitted

from .. import _core, _frame
from .._frame.conjoint import ChoiceCoding, ChoiceData
from .._progress import progress
from .._validation import Check, Integer, Positive, Threads, unfitted_on_error, validate_params
from ._base import _ChoiceEstimator, document_roles, part_worths

__all__ = ["MNL"]


@document_roles
class MNL(_ChoiceEstimator):
    """Aggregate multinomial (conditional) logit on long choice-based conjoint data.

    Fitted by Newton's method with step halving in Rust. Standard errors come from the inverse
    information, robust ones from the sandwich with scores summed per respondent (no
    small-sample factor). The data are long: one row per respondent × task × alternative.

    Parameters
    ----------
    %(roles)s
    max_iter : int, default=500
        Newton steps at most; a ``RuntimeWarning`` says when they run out, another when the
        choices look separated (estimates diverging, standard errors meaningless).
    tol : float, default=1e-8
        Newton stops when half the Newton decrement is below ``tol``, then takes one more step.
    n_jobs : int or None, default=None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores. Results do not depend on it.
    verbose : bool, default=False
        Show a progress bar of the Newton steps and the log-likelihood.

    Attributes
    ----------
    coef_, se_, robust_se_ : Series
        Coefficients and their (robust) standard errors, indexed by parameter name.
    covariance_, robust_covariance_ : DataFrame
        Parameter covariance matrices.
    loglik_, loglik_null_ : float
        Log-likelihood at the estimates and with every coefficient zero.
    rho2_ : float
        McFadden's ρ² = 1 − LL / LL₀.
    aic_, bic_ : float
        Information criteria (BIC with n = number of tasks).
    n_iter_ : int
        Newton steps taken.
    part_worths_ : Series
        Every level's part-worth over (attribute, level), effects-coded attributes only.
    coding_ : ChoiceCoding
        How the columns were coded (reused for simulator scenarios).
    parameter_names_ : list of str
    respondents_ : Index
    n_tasks_, n_respondents_ : int

    See Also
    --------
    HierarchicalBayes : respondent-level part-worths.
    LatentClassMNL : a finite mixture of MNLs (needs-based segments).
    MarketSimulator : shares of scenario products.

    References
    ----------
    McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior.

    Examples
    --------
    >>> import segmint as sg
    >>> data, truth = sg.datasets.make_choice_data(200, 8, 3, random_state=0)
    >>> attrs = ["brand", "support", "delivery", "contract", "warranty", "price"]
    >>> mnl = sg.conjoint.MNL(attributes=attrs, linear=["price"]).fit(data)
    >>> mnl.summary().columns.tolist()
    ['coef', 'se', 'z', 'p', 'robust_se']
    >>> bool(mnl.coef_["price"] < 0)
    True
    """

    method = "mnl"

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
        max_iter: int = 500,
        tol: float = 1e-8,
        n_jobs: int | None = None,
        verbose: bool = False,
    ):
        self._store_params(locals())

    _parameter_constraints: ClassVar[dict[str, Check]] = {
        "max_iter": Integer(1),
        "tol": Positive(),
        "n_jobs": Threads(),
    }

    def _check_params(self) -> dict[str, Any]:
        p = validate_params(self)
        return {"max_iter": p["max_iter"], "tol": p["tol"], "n_threads": p["n_jobs"]}

    def _fit(self, cd: ChoiceData, params: dict[str, Any]) -> None:
        with progress(self.verbose, "MNL", "LL"):
            out = _core.mnl_fit(
                cd.x, cd.starts, cd.chosen, cd.respondent_starts, names=cd.coding.names, **params
            )
        sd = cd.x.std(axis=0) if len(cd.x) else np.ones(len(cd.coding.names))
        self._finish(cd.coding, out, sd, params)

    def _finish(
        self, coding: ChoiceCoding, out: _core.MnlFit, sd: np.ndarray, params: dict[str, Any]
    ) -> None:
        """Sets the fitted attributes from the Rust fit (in memory or distributed) and warns
        about non-convergence and separation; `sd` are the model matrix's column standard
        deviations."""
        if not out.converged:
            warnings.warn(
                f"MNL: Newton did not converge in max_iter={params['max_iter']} steps",
                RuntimeWarning,
                stacklevel=4,
            )
        self._set_fit(coding, out)
        self._warn_separation(sd)

    @unfitted_on_error
    def fit(self, data: Any, y: None = None, **roles: Any) -> Self:
        """Fit the model to long choice data, in memory or on a Dask DataFrame.

        Parameters
        ----------
        data : DataFrame or dask DataFrame
            One row per respondent × task × alternative. A Dask DataFrame is fitted on the
            cluster (respondents and tasks may span partitions) with results bit-identical to
            the in-memory fit on the same rows (see :func:`segmint.distributed.fit_mnl`).
        y : None
            Ignored (the choices are the ``chosen`` column).
        **roles
            Column roles for this fit, overriding the constructor's.

        Returns
        -------
        self
            The fitted estimator.

        Examples
        --------
        >>> import segmint as sg
        >>> data, truth = sg.datasets.make_choice_data(200, 8, 3, random_state=0)
        >>> mnl = sg.conjoint.MNL().fit(data, linear=["price"])
        >>> round(float(mnl.coef_["price"]), 2)
        -1.04
        """
        if _frame.is_dask(data):
            from .. import distributed

            return distributed.fit_mnl(self, data, roles)
        return super().fit(data, y, **roles)

    def _warn_separation(self, sd: np.ndarray) -> None:
        """Warn when the choices look (quasi-)separated: the likelihood keeps rising along a
        direction, so an estimate and its standard error are unbounded in truth. Signs: a
        log-likelihood of about 0 (every choice predicted), a standard error that is not finite,
        or one above 100 logits per standard deviation `sd` of its column (no identified model
        on real data comes near that)."""
        se = np.concatenate([self.se_.to_numpy(), self.robust_se_.to_numpy()])
        scaled = self.se_.to_numpy() * np.where(sd > 0, sd, 1.0)
        bad = [n for n, v in zip(self.coef_.index, scaled, strict=True) if not v <= 100.0]
        perfect = self.loglik_ > -1e-6 * max(1, self.n_tasks_)
        if bad or perfect or not np.isfinite(se).all():
            which = f" along {', '.join(map(str, bad))}" if bad else ""
            warnings.warn(
                f"MNL: the choices look separated{which} (perfectly predicted): the "
                "estimates diverge and their standard errors are not meaningful; drop or "
                "merge the attribute, or use a penalised / hierarchical model",
                RuntimeWarning,
                stacklevel=4,
            )

    def _set_fit(self, coding: ChoiceCoding, out: _core.MnlFit) -> None:
        names = pd.Index(coding.names, name="parameter")
        k = len(names)
        self.coef_ = pd.Series(out.coef, index=names, name="coef")
        self.covariance_ = pd.DataFrame(out.covariance, index=names, columns=names)
        self.robust_covariance_ = pd.DataFrame(out.robust_covariance, index=names, columns=names)
        # A variance below 0 is rounding noise of a (near-)singular matrix: its SE is NaN
        # (and `_warn_separation` says why) instead of numpy's sqrt warning.
        with np.errstate(invalid="ignore"):
            self.se_ = pd.Series(np.sqrt(np.diag(out.covariance)), index=names, name="se")
            self.robust_se_ = pd.Series(
                np.sqrt(np.diag(out.robust_covariance)), index=names, name="robust_se"
            )
        self.loglik_ = float(out.loglik)
        self.loglik_null_ = float(out.loglik_null)
        self.rho2_ = 1.0 - self.loglik_ / self.loglik_null_
        self.aic_ = 2.0 * k - 2.0 * self.loglik_
        self.bic_ = k * np.log(self.n_tasks_) - 2.0 * self.loglik_
        self.n_iter_ = int(out.n_iter)
        self.part_worths_ = part_worths(self.coef_, coding)

    def summary(self) -> pd.DataFrame:
        """Coefficients with standard errors, z, two-sided p and robust standard errors.

        Returns
        -------
        DataFrame
            One row per parameter: ``coef``, ``se``, ``z``, ``p``, ``robust_se``.

        Examples
        --------
        >>> import segmint as sg
        >>> data, truth = sg.datasets.make_choice_data(200, 8, 3, random_state=0)
        >>> mnl = sg.conjoint.MNL(linear=["price"]).fit(data)
        >>> mnl.summary().round(3).tail(3)  # doctest: +NORMALIZE_WHITESPACE
                           coef     se       z     p  robust_se
        parameter
        contract[annual]  0.051  0.046   1.104  0.27      0.053
        warranty[1 year] -0.441  0.037 -11.976  0.00      0.044
        price            -1.040  0.058 -17.895  0.00      0.059
        """
        check_is_fitted(self, "coef_")
        z = self.coef_ / self.se_
        return pd.DataFrame(
            {
                "coef": self.coef_,
                "se": self.se_,
                "z": z,
                "p": 2.0 * stats.norm.sf(np.abs(z)),
                "robust_se": self.robust_se_,
            }
        )
