"""Rating- and ranking-based conjoint analysis: part-worths per respondent by OLS."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .. import _core
from .._frame.conjoint import ChoiceCoding, attribute_levels, profiles_frame, rating_matrix
from .._validation import Check, Flag, Options, Threads, unfitted_on_error, validate_params
from ..errors import InvalidInputError

__all__ = ["RatingConjoint"]


class RatingConjoint(BaseEstimator):
    """Traditional (rating or ranking) conjoint analysis.

    Every respondent rates (or ranks) the same set of profiles; a linear model with effects
    (sum-to-zero) coding of each attribute is fitted per respondent by ordinary least squares,
    all respondents in one batched pass in Rust. The numbers follow R's ``conjoint`` package:
    ``part_worths_`` are ``caPartUtilities``, ``pooled_part_worths_`` with ``pooled_r2_`` and
    ``pooled_sigma_`` are ``caUtilities`` (OLS on all ratings stacked), and
    ``importance()["respondent_mean"]`` is ``caImportance`` — the mean over respondents of each
    respondent's importance, which is *not* the importance of the pooled part-worths (also
    returned, as ``"pooled"``).

    Parameters
    ----------
    coding : {"effects"}
        Effects coding (the last level's part-worth is minus the sum of the others); the only
        coding for which part-worths are comparable across attributes as R reports them.
    ranks : bool, default False
        The inputs are ranks (1 = best): they are scored ``n_profiles + 1 - rank`` first.
    n_jobs : int or None
        Threads; None uses ``RAYON_NUM_THREADS`` or all cores.

    Attributes
    ----------
    part_worths_ : DataFrame, respondents × (attribute, level), every level
    intercepts_, r2_ : Series over respondents
    importances_ : DataFrame, respondents × attributes, percent (rows sum to 100)
    pooled_part_worths_ : Series over (attribute, level)
    pooled_intercept_, pooled_r2_, pooled_sigma_ : float (residual standard error, df = N − K)
    attributes_ : dict attribute -> list of levels

    Raises
    ------
    InvalidInputError
        From ``fit``: a coding other than "effects", duplicate profile labels, ratings that do
        not match the profiles, fewer profiles than parameters.

    See Also
    --------
    MarketSimulator : shares of scenario products from the part-worths.
    segmint.conjoint.MNL : choice-based conjoint.

    References
    ----------
    .. [1] Green, P. E. and Srinivasan, V. (1978). Conjoint analysis in consumer research:
       issues and outlook. Journal of Consumer Research, 5(2), 103-123.
    .. [2] Bak, A. and Bartlomowicz, T. R package ``conjoint``.

    Examples
    --------
    >>> import segmint as sg
    >>> profiles, ratings, products = sg.datasets.load_tea()
    >>> ca = sg.RatingConjoint().fit(profiles, ratings)
    >>> ca.pooled_part_worths_.round(3).head(4)  # doctest: +NORMALIZE_WHITESPACE
    attribute  level
    price      low       0.240
               medium   -0.143
               high     -0.097
    variety    black     0.615
    Name: part_worth, dtype: float64
    >>> ca.importance().round(2)  # doctest: +NORMALIZE_WHITESPACE
               respondent_mean  pooled
    attribute
    price                24.76    9.32
    variety              32.22   30.75
    kind                 27.15   39.95
    aroma                15.88   19.98
    """

    part_worths_: pd.DataFrame

    _parameter_constraints: ClassVar[dict[str, Check]] = {
        "coding": Options(("effects",)),
        "ranks": Flag(),
        "n_jobs": Threads(),
    }

    def __init__(self, *, coding: str = "effects", ranks: bool = False, n_jobs: int | None = None):
        self.coding = coding
        self.ranks = ranks
        self.n_jobs = n_jobs

    # -- encoding ------------------------------------------------------------------------------

    def _coding(self) -> ChoiceCoding:
        """The attributes' effects coding (the one the choice models use)."""
        return ChoiceCoding(
            list(self.attributes_), list(self.attributes_.values()), [], None, [], None
        )

    def _design(self, profiles: pd.DataFrame, what: str) -> np.ndarray:
        """Intercept, then the effects-coded attributes."""
        coded = self._coding().matrix(profiles, what)
        return np.hstack([np.ones((len(profiles), 1)), coded])

    # -- fitting --------------------------------------------------------------------------------

    @unfitted_on_error
    def fit(
        self,
        profiles: Any,
        ratings: Any,
        *,
        respondent: str | None = None,
        profile: str | None = None,
        rating: str | None = None,
    ) -> RatingConjoint:
        """Fit part-worths for every respondent.

        Parameters
        ----------
        profiles : DataFrame
            One row per profile, one column per attribute (levels: a categorical's categories in
            order, otherwise the sorted distinct values).
        ratings : DataFrame or array
            Wide: respondents × profiles, columns in the order of the profiles' rows (index =
            respondent ids). Long: pass the column names ``respondent``, ``profile`` (values are
            labels of ``profiles.index``) and ``rating``.
        respondent, profile, rating : str, default None
            Column names of long ``ratings``.

        Returns
        -------
        RatingConjoint
            The fitted estimator (``self``).

        Examples
        --------
        >>> import segmint as sg
        >>> profiles, ratings, products = sg.datasets.load_tea()
        >>> ca = sg.RatingConjoint().fit(profiles, ratings)
        >>> ca.part_worths_.shape, round(float(ca.r2_.mean()), 3)
        ((100, 11), 0.785)
        """
        params = validate_params(self)
        prof = profiles_frame(profiles)
        if prof.index.has_duplicates:
            raise InvalidInputError("profiles: the row labels must be unique", "profiles")
        self.attributes_ = {
            str(c): attribute_levels(prof[c], str(c), "profiles") for c in prof.columns
        }
        design = self._design(prof, "profiles")
        y, respondents = rating_matrix(ratings, prof.index, respondent, profile, rating)
        if params["ranks"]:
            y = len(prof) + 1 - y
        names = ["(Intercept)"] + [
            f"{a}[{lv}]" for a, levels in self.attributes_.items() for lv in levels[:-1]
        ]
        levels = [len(v) for v in self.attributes_.values()]
        out = _core.rating_fit(
            np.ascontiguousarray(design),
            y if (y.flags.c_contiguous or y.flags.f_contiguous) else np.ascontiguousarray(y),
            levels=levels,
            names=names,
            n_threads=params["n_jobs"],
        )
        columns = self._coding().level_index()
        attrs = pd.Index(list(self.attributes_), name="attribute")
        # One block, a row per respondent: intercept, R², part-worths, importances (views).
        block, n_lv = out.per_respondent, sum(levels)
        self.part_worths_ = pd.DataFrame(
            block[:, 2 : 2 + n_lv], index=respondents, columns=columns, copy=False
        )
        self.intercepts_ = pd.Series(block[:, 0], index=respondents, name="intercept")
        self.r2_ = pd.Series(block[:, 1], index=respondents, name="r2")
        self.importances_ = pd.DataFrame(
            block[:, 2 + n_lv :], index=respondents, columns=attrs, copy=False
        )
        self.pooled_part_worths_ = pd.Series(
            out.pooled_part_worths, index=columns, name="part_worth"
        )
        self.pooled_intercept_ = float(out.pooled_coef[0])
        self.pooled_r2_ = float(out.pooled_r2)
        self.pooled_sigma_ = float(out.pooled_sigma)
        self.n_profiles_ = len(prof)
        return self

    # -- results --------------------------------------------------------------------------------

    def importance(self) -> pd.DataFrame:
        """Attribute importance in percent, two ways: ``respondent_mean`` (the mean of each
        respondent's range share — R conjoint's ``caImportance``) and ``pooled`` (the range share
        of the pooled part-worths).

        Returns
        -------
        DataFrame
            Indexed by attribute, columns ``respondent_mean`` and ``pooled`` (each sums to 100).

        Examples
        --------
        >>> import segmint as sg
        >>> profiles, ratings, products = sg.datasets.load_tea()
        >>> ca = sg.RatingConjoint().fit(profiles, ratings)
        >>> ca.importance().round(1)  # doctest: +NORMALIZE_WHITESPACE
                   respondent_mean  pooled
        attribute
        price                 24.8     9.3
        variety               32.2    30.8
        kind                  27.1    39.9
        aroma                 15.9    20.0
        """
        check_is_fitted(self, "part_worths_")
        pooled = self.pooled_part_worths_.groupby(level="attribute", sort=False).agg(
            lambda s: s.max() - s.min()
        )
        pooled = pooled / pooled.sum() * 100.0
        out = pd.DataFrame(
            {"respondent_mean": self.importances_.mean(axis=0), "pooled": pooled},
        )
        out.index.name = "attribute"
        return out

    def predict(self, profiles: Any) -> pd.DataFrame:
        """Total utility of each profile for every respondent (respondents × profiles).

        Parameters
        ----------
        profiles : DataFrame
            Profiles with the attributes of the fit.

        Returns
        -------
        DataFrame
            Respondents × profiles.

        Examples
        --------
        >>> import segmint as sg
        >>> profiles, ratings, products = sg.datasets.load_tea()
        >>> ca = sg.RatingConjoint().fit(profiles, ratings)
        >>> ca.predict(products).mean().round(2)
        product
        product 1    2.19
        product 2    3.69
        product 3    3.10
        product 4    3.59
        dtype: float64
        """
        check_is_fitted(self, "part_worths_")
        prof = profiles_frame(profiles)
        utilities = self._respondent_utilities(prof)
        return pd.DataFrame(utilities, index=self.part_worths_.index, columns=prof.index)

    def _respondent_utilities(self, prof: pd.DataFrame) -> np.ndarray:
        design = self._design(prof, "profiles")
        coefs = [self.intercepts_.to_numpy()[:, None]]
        for a, levels in self.attributes_.items():
            coefs.append(self.part_worths_[a].to_numpy()[:, : len(levels) - 1])
        return np.hstack(coefs) @ design.T
