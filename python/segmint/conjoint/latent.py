"""Latent-class choice models: the Python side of the Rust EM, and choosing the number of
classes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from .. import _core
from .._frame.conjoint import ChoiceData
from .._validation import check_int, n_threads, seed
from ..errors import InvalidInputError

if TYPE_CHECKING:
    from .choice import ChoiceModel

__all__ = ["fit_latent_class", "select_classes"]


def fit_latent_class(model: ChoiceModel, cd: ChoiceData) -> None:
    n_classes = check_int(model.n_classes, "n_classes", 1)
    if n_classes > len(cd.respondents):
        raise InvalidInputError(
            f"n_classes: {n_classes} classes for {len(cd.respondents)} respondents", "n_classes"
        )
    n_starts = check_int(model.n_starts, "n_starts", 1)
    out = _core.latent_class_fit(
        cd.x,
        cd.starts,
        cd.chosen,
        cd.respondent_starts,
        n_classes,
        n_starts,
        int(model.max_iter),
        float(model.tol),
        1,  # Newton steps per class and M-step: one, taken with the next E-step in one pass
        seed(model.random_state),
        n_threads(model.n_jobs),
    )
    names = pd.Index(cd.coding.names, name="parameter")
    classes = pd.RangeIndex(n_classes, name="class")
    k = len(names)
    coef = out["coef"]
    model.class_coef_ = pd.DataFrame(coef, index=classes, columns=names)
    model.class_shares_ = pd.Series(out["shares"], index=classes, name="share")
    model.class_membership_ = pd.DataFrame(
        out["membership"], index=cd.respondents, columns=classes
    )
    model.labels_ = pd.Series(
        np.asarray(out["membership"]).argmax(axis=1), index=cd.respondents, name="class"
    )
    model.loglik_ = float(out["loglik"])
    model.loglik_history_ = np.asarray(out["history"])
    model.n_em_iter_ = int(out["n_em"])
    model.start_logliks_ = np.asarray(out["start_logliks"])
    model.n_parameters_ = n_classes * k + n_classes - 1
    model.loglik_null_ = float(-np.log(np.diff(cd.starts)).sum())
    n_obs = len(cd.respondents)
    p = model.n_parameters_
    model.aic_ = 2.0 * p - 2.0 * model.loglik_
    model.bic_ = p * np.log(n_obs) - 2.0 * model.loglik_
    model.caic_ = p * (np.log(n_obs) + 1.0) - 2.0 * model.loglik_
    model.rho2_ = 1.0 - model.loglik_ / model.loglik_null_
    # Every class's part-worths at once (the same numbers as choice.part_worths per class).
    model.class_part_worths_ = pd.DataFrame(
        cd.coding.expand(np.asarray(coef, dtype=np.float64)),
        index=classes,
        columns=cd.coding.level_index(),
    )
    # The aggregate view: share-weighted class coefficients (what `coef_` means for the
    # aggregate simulator; the simulator itself weights class *shares*, not coefficients).
    model.coef_ = pd.Series(out["shares"] @ coef, index=names, name="coef")
    cov = out["covariance"]
    if cov is not None:
        se = np.sqrt(np.clip(np.diag(cov)[: n_classes * k], 0, None)).reshape(n_classes, k)
        model.class_se_ = pd.DataFrame(se, index=classes, columns=names)
    else:
        model.class_se_ = pd.DataFrame(np.nan, index=classes, columns=names)


def select_classes(
    data: Any,
    n_classes: Iterable[int] = range(1, 7),
    *,
    model: ChoiceModel | None = None,
    **fit_kwargs: Any,
) -> pd.DataFrame:
    """Fit latent-class models for each number of classes and tabulate LL, AIC, BIC and CAIC
    (BIC and CAIC use the number of respondents). ``model`` sets the estimator parameters
    (``n_starts``, ``random_state``, ...); ``fit_kwargs`` go to ``fit`` (column names, coding).
    The ``recommended`` attribute of the result's ``attrs`` is the count with the lowest BIC."""
    from .choice import ChoiceModel

    base = model if model is not None else ChoiceModel(method="latent_class")
    rows = []
    for c in n_classes:
        m = clone(base).set_params(method="latent_class", n_classes=int(c))
        m.fit(data, **fit_kwargs)
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
