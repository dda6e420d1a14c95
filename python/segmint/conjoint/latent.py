"""Latent-class multinomial logit: a finite mixture of MNLs fitted by EM, and choosing the
number of classes."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._frame.conjoint import ChoiceData
from .._validation import (
    Check,
    Integer,
    Positive,
    RandomState,
    Threads,
    validate_params,
)
from ..errors import InvalidInputError
from ._base import ROLES, _ChoiceEstimator, document_roles

__all__ = ["LatentClassMNL", "select_classes"]

#: Starts agree on the maximum when their log-likelihoods differ by at most this × (1 + |LL|).
START_AGREEMENT = 1e-6

#: Newton steps per class and M-step: one, taken with the next E-step in one fused pass.
NEWTON_STEPS_PER_M_STEP = 1


@document_roles
class LatentClassMNL(_ChoiceEstimator):
    """Latent-class multinomial logit: respondents fall into classes with their own MNL
    coefficients (needs-based segments).

    EM from ``n_starts`` seeded starts: the E-step computes each respondent's posterior class
    membership h_ic ∝ π_c Π_t P(y_it | β_c); the M-step takes one weighted Newton step per class
    (fused with the next E-step in one pass over the data) and sets π_c = mean h_ic. The best
    start is finished by BHHH steps, whose information gives the standard errors.

    Parameters
    ----------
    %(roles)s
    n_classes : int, default=3
        Number of latent classes.
    n_starts : int, default=10
        Seeded EM starts; the one with the highest log-likelihood is kept.
    max_iter : int, default=500
        EM iterations per start at most.
    tol : float, default=1e-8
        EM stops when the log-likelihood rises by less than ``tol · (1 + |LL|)``.
    random_state : int, RandomState or None, default=None
        Seed of the starts.
    n_jobs : int or None, default=None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores. Results do not depend on it.

    Attributes
    ----------
    class_coef_, class_se_ : DataFrame
        Coefficients and standard errors, classes × parameters.
    class_shares_ : Series
        Class sizes π_c.
    class_part_worths_ : DataFrame
        Every level's part-worth per class.
    class_membership_ : DataFrame
        Posterior membership probabilities, respondents × classes.
    labels_ : Series
        Most likely class of each respondent.
    coef_ : Series
        Share-weighted class coefficients (an aggregate view).
    loglik_, loglik_null_, rho2_ : float
        Log-likelihood, the null one (all coefficients zero) and McFadden's ρ².
    aic_, bic_, caic_ : float
        Information criteria (BIC and CAIC with n = respondents).
    n_parameters_ : int
    loglik_history_ : ndarray
        Log-likelihood after every EM iteration of the best start.
    start_logliks_ : ndarray
        Final log-likelihood of every start.
    n_em_iter_ : int
    diagnostics_ : Series
        ``n_starts``, ``n_starts_at_best`` (starts whose log-likelihood is within
        ``1e-6 · (1 + |LL|)`` of the best), ``best_loglik``, ``n_em_iter``, ``hit_max_iter``. A
        ``ConvergenceWarning`` says when EM hit ``max_iter`` and when only one of several starts
        reached the best log-likelihood (a local-optimum hint).

    See Also
    --------
    select_classes : fit 1..C classes and tabulate the information criteria.
    MNL : the one-class model.

    References
    ----------
    Kamakura, W. A. & Russell, G. J. (1989). A probabilistic choice model for market
    segmentation and elasticity structure. Journal of Marketing Research 26(4).

    Examples
    --------
    >>> import segmint as sg
    >>> data, truth = sg.datasets.make_choice_data(120, 8, 3, random_state=0)
    >>> lc = sg.conjoint.LatentClassMNL(
    ...     n_classes=2, n_starts=3, linear=["price"], random_state=0
    ... ).fit(data)
    >>> lc.class_coef_.shape
    (2, 12)
    >>> round(float(lc.class_shares_.sum()), 6)
    1.0
    """

    method = "latent_class"

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
        n_classes: int = 3,
        n_starts: int = 10,
        max_iter: int = 500,
        tol: float = 1e-8,
        random_state: Any = None,
        n_jobs: int | None = None,
    ):
        self._store_params(locals())

    _parameter_constraints: ClassVar[dict[str, Check]] = {
        "n_classes": Integer(1),
        "n_starts": Integer(1),
        "max_iter": Integer(1),
        "tol": Positive(),
        "random_state": RandomState(),
        "n_jobs": Threads(),
    }

    def _check_params(self) -> dict[str, Any]:
        p = validate_params(self)
        return {
            "n_classes": p["n_classes"],
            "n_starts": p["n_starts"],
            "max_iter": p["max_iter"],
            "tol": p["tol"],
            "newton_steps": NEWTON_STEPS_PER_M_STEP,
            "seed": p["random_state"],
            "n_threads": p["n_jobs"],
        }

    def _fit(self, cd: ChoiceData, params: dict[str, Any]) -> None:
        n_classes = params["n_classes"]
        if n_classes > len(cd.respondents):
            raise InvalidInputError(
                f"n_classes: {n_classes} classes for {len(cd.respondents)} respondents",
                "n_classes",
            )
        out = _core.latent_class_fit(cd.x, cd.starts, cd.chosen, cd.respondent_starts, **params)
        self._set_fit(cd, out, n_classes)
        self._diagnose(params["max_iter"])

    def _set_fit(self, cd: ChoiceData, out: _core.LatentClassFit, n_classes: int) -> None:
        names = pd.Index(cd.coding.names, name="parameter")
        classes = pd.RangeIndex(n_classes, name="class")
        k = len(names)
        coef = out.coef
        self.class_coef_ = pd.DataFrame(coef, index=classes, columns=names)
        self.class_shares_ = pd.Series(out.shares, index=classes, name="share")
        self.class_membership_ = pd.DataFrame(
            out.membership, index=cd.respondents, columns=classes
        )
        self.labels_ = pd.Series(
            np.asarray(out.membership).argmax(axis=1), index=cd.respondents, name="class"
        )
        self.loglik_ = float(out.loglik)
        self.loglik_history_ = np.asarray(out.history)
        self.n_em_iter_ = int(out.n_em)
        self.start_logliks_ = np.asarray(out.start_logliks)
        self.n_parameters_ = n_classes * k + n_classes - 1
        self.loglik_null_ = float(-np.log(np.diff(cd.starts)).sum())
        n_obs = len(cd.respondents)
        p = self.n_parameters_
        self.aic_ = 2.0 * p - 2.0 * self.loglik_
        self.bic_ = p * np.log(n_obs) - 2.0 * self.loglik_
        self.caic_ = p * (np.log(n_obs) + 1.0) - 2.0 * self.loglik_
        self.rho2_ = 1.0 - self.loglik_ / self.loglik_null_
        self.class_part_worths_ = pd.DataFrame(
            cd.coding.expand(np.asarray(coef, dtype=np.float64)),
            index=classes,
            columns=cd.coding.level_index(),
        )
        # The aggregate view: share-weighted class coefficients (what `coef_` means for the
        # aggregate simulator; the simulator itself weights class *shares*, not coefficients).
        self.coef_ = pd.Series(out.shares @ coef, index=names, name="coef")
        cov = out.covariance
        if cov is not None:
            se = np.sqrt(np.clip(np.diag(cov)[: n_classes * k], 0, None)).reshape(n_classes, k)
            self.class_se_ = pd.DataFrame(se, index=classes, columns=names)
        else:
            self.class_se_ = pd.DataFrame(np.nan, index=classes, columns=names)

    def _diagnose(self, max_iter: int) -> None:
        """`diagnostics_` and the warnings of an EM that may not have found the maximum."""
        best = float(self.start_logliks_.max())
        tol = START_AGREEMENT * (1.0 + abs(best))
        at_best = int((self.start_logliks_ >= best - tol).sum())
        hit_max = self.n_em_iter_ >= max_iter
        self.diagnostics_ = pd.Series(
            {
                "n_starts": len(self.start_logliks_),
                "n_starts_at_best": at_best,
                "best_loglik": best,
                "n_em_iter": self.n_em_iter_,
                "hit_max_iter": hit_max,
            },
            name="diagnostics",
            dtype=object,
        )
        if hit_max:
            warnings.warn(
                f"LatentClassMNL: EM stopped at max_iter={max_iter} iterations before the "
                "log-likelihood settled; raise max_iter",
                ConvergenceWarning,
                stacklevel=4,
            )
        if len(self.start_logliks_) > 1 and at_best == 1:
            warnings.warn(
                f"LatentClassMNL: only 1 of {len(self.start_logliks_)} starts reached the best "
                f"log-likelihood ({best:.4f}); it may be a local optimum: raise n_starts and "
                "check that more starts agree (diagnostics_)",
                ConvergenceWarning,
                stacklevel=4,
            )

    # -- what the simulator and wtp use ----------------------------------------------------------

    def _coef_units(self, use_draws: bool = True) -> np.ndarray:
        """(classes, K): every class's coefficients."""
        check_is_fitted(self, "class_coef_")
        return self.class_coef_.to_numpy()

    def _unit_weights(self, n_units: int) -> np.ndarray:
        return self.class_shares_.to_numpy()

    def summary(self) -> pd.DataFrame:
        """Class coefficients with standard errors, z and two-sided p.

        Returns
        -------
        DataFrame
            Indexed by (class, parameter): ``coef``, ``se``, ``z``, ``p``;
            ``attrs["shares"]`` holds the class sizes.

        Examples
        --------
        >>> import segmint as sg
        >>> data, truth = sg.datasets.make_choice_data(120, 8, 3, random_state=0)
        >>> lc = sg.conjoint.LatentClassMNL(
        ...     n_classes=2, n_starts=3, linear=["price"], random_state=0
        ... ).fit(data)
        >>> table = lc.summary()
        >>> table.xs("price", level=1).round(2)  # doctest: +NORMALIZE_WHITESPACE
               coef    se     z    p
        class
        0     -1.10  0.20 -5.61  0.0
        1     -1.37  0.14 -9.50  0.0
        >>> {c: round(s, 3) for c, s in table.attrs["shares"].items()}
        {0: 0.375, 1: 0.625}
        """
        check_is_fitted(self, "class_coef_")
        coef = self.class_coef_.stack()
        se = self.class_se_.stack()
        z = coef / se
        out = pd.DataFrame({"coef": coef, "se": se, "z": z, "p": 2.0 * stats.norm.sf(np.abs(z))})
        out.attrs["shares"] = self.class_shares_.to_dict()
        return out


def select_classes(
    data: Any,
    n_classes: Iterable[int] = range(1, 7),
    *,
    model: LatentClassMNL | None = None,
    respondent: str | None = None,
    task: str | None = None,
    chosen: str | None = None,
    attributes: list[str] | None = None,
    linear: list[str] | None = None,
    alternative: str | None = None,
    asc_reference: Any = None,
    none: str | None = None,
) -> pd.DataFrame:
    """Fit latent-class models for each number of classes and tabulate the information criteria.

    Parameters
    ----------
    data : DataFrame
        Long choice data (one row per respondent × task × alternative).
    n_classes : iterable of int, default=range(1, 7)
        The numbers of classes to fit.
    model : LatentClassMNL or None, default=None
        Sets the estimator's parameters (``n_starts``, ``random_state``, column roles, …);
        its ``n_classes`` is replaced by each value in turn.
    respondent, task, chosen, attributes, linear, alternative, asc_reference, none
        Column roles, overriding the model's when given (see `LatentClassMNL`).

    Returns
    -------
    DataFrame
        Indexed by ``n_classes``: ``loglik``, ``n_parameters``, ``aic``, ``bic``, ``caic``
        (BIC and CAIC with n = respondents). ``attrs["recommended"]`` is the number of classes
        with the lowest BIC.

    Examples
    --------
    >>> import segmint as sg
    >>> data, truth = sg.datasets.make_choice_data(100, 8, 3, random_state=0)
    >>> table = sg.conjoint.select_classes(
    ...     data, range(1, 3), model=sg.conjoint.LatentClassMNL(n_starts=5, random_state=0)
    ... )
    >>> table.index.tolist()
    [1, 2]
    """
    base = model if model is not None else LatentClassMNL()
    passed = dict(
        zip(
            ROLES,
            (respondent, task, chosen, attributes, linear, alternative, asc_reference, none),
            strict=True,
        )
    )
    roles = {k: v for k, v in passed.items() if v is not None}
    rows = []
    for c in n_classes:
        m = clone(base).set_params(n_classes=int(c), **roles)
        m.fit(data)
        rows.append(
            {
                "n_classes": int(c),
                "loglik": m.loglik_,
                "n_parameters": m.n_parameters_,
                "aic": m.aic_,
                "bic": m.bic_,
                "caic": m.caic_,
            }
        )
    out = pd.DataFrame(rows).set_index("n_classes")
    out.attrs["recommended"] = int(out["bic"].idxmin())
    return out
