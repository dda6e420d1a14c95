"""Market simulation on fitted conjoint models: shares of scenario products, willingness to pay."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .._frame.conjoint import profiles_frame
from .._validation import seed
from ..errors import InvalidInputError
from ._base import _ChoiceEstimator
from .hb import HierarchicalBayes
from .latent import LatentClassMNL
from .rating import RatingConjoint

__all__ = ["RULES", "MarketSimulator", "wtp"]

RULES = ("share_of_preference", "first_choice", "rfc")
R_RULES = ("first_choice", "btl", "logit")


def _first_choice(u: np.ndarray) -> np.ndarray:
    """Per row, 1 for the best product (ties split equally)."""
    best = u >= u.max(axis=-1, keepdims=True)
    return best / best.sum(axis=-1, keepdims=True)


def _softmax(u: np.ndarray) -> np.ndarray:
    z = np.exp(u - u.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


class MarketSimulator:
    """What-if shares of scenario products from a fitted conjoint model.

    Models with respondent-level utilities (`RatingConjoint`, `HierarchicalBayes`) give shares
    per respondent, averaged; an aggregate `MNL` gives one set of shares; a `LatentClassMNL`
    weights its classes' shares by the class sizes.

    Rules (``shares(rule=...)``):

    - ``"share_of_preference"``: logit shares ``exp(s·u) / Σ exp(s·u)`` with ``s = exponent``.
    - ``"first_choice"``: each respondent picks the best product; exact ties split equally.
    - ``"rfc"``: randomized first choice (Huber, Orme & Miller 1999): for each of ``n_draws``
      draws, Gumbel errors of scale ``attribute_error`` are added to every level's part-worth
      (shared by all products with that level; for linear attributes to every distinct value) and
      of scale ``product_error`` to every product's utility, then first choice; shares are averaged
      over draws. As both errors go to 0 this is first choice; with ``attribute_error=0`` and
      ``product_error=1/exponent`` it converges to share of preference (the logit is the first
      choice under Gumbel errors).

    Parameters
    ----------
    model : RatingConjoint, MNL, HierarchicalBayes or LatentClassMNL
        A fitted conjoint model.

    Attributes
    ----------
    model : estimator
        The model.

    Raises
    ------
    InvalidInputError
        ``model`` is not a conjoint model.

    See Also
    --------
    wtp : willingness to pay for each level.

    References
    ----------
    .. [1] Huber, J., Orme, B. and Miller, R. (1999). Dealing with product similarity in
       conjoint simulations. Sawtooth Software Conference Proceedings.

    Examples
    --------
    >>> import segmint as sg
    >>> profiles, ratings, products = sg.datasets.load_tea()
    >>> sim = sg.MarketSimulator(sg.RatingConjoint().fit(profiles, ratings))
    >>> sim.shares(products).round(2)
    product
    product 1    11.25
    product 2    30.83
    product 3    26.36
    product 4    31.56
    Name: share, dtype: float64
    >>> sim.shares(products, rule="first_choice").round(2)
    product
    product 1    11.0
    product 2    28.0
    product 3    26.0
    product 4    35.0
    Name: share, dtype: float64
    """

    def __init__(self, model: Any):
        if not isinstance(model, RatingConjoint | _ChoiceEstimator):
            raise InvalidInputError(
                "model: must be a fitted RatingConjoint or choice model (MNL, "
                "HierarchicalBayes, LatentClassMNL)",
                "model",
            )
        check_is_fitted(model)
        self.model = model

    # -- utilities ------------------------------------------------------------------------------

    def _levels(self, frame: pd.DataFrame) -> list[np.ndarray]:
        """Per attribute, the code of each product's level (for shared RFC errors)."""
        m = self.model
        if isinstance(m, RatingConjoint):
            names = list(m.attributes_)
        else:
            names = [*m.coding_.attributes, *m.coding_.linear]
        return [pd.factorize(frame[a])[0] for a in names if a in frame.columns]

    def utilities(self, products: Any, *, use_draws: bool = True) -> np.ndarray:
        """Utilities of the products: (units, products) where units are respondents, HB draws ×
        respondents (flattened), latent classes, or a single aggregate row.

        Parameters
        ----------
        products : DataFrame
            Scenario products, one column per attribute.
        use_draws : bool, default True
            For hierarchical Bayes: every kept draw (False: the posterior means).

        Returns
        -------
        ndarray of shape (n_units, n_products)
            The utilities.

        Examples
        --------
        >>> import segmint as sg
        >>> profiles, ratings, products = sg.datasets.load_tea()
        >>> sim = sg.MarketSimulator(sg.RatingConjoint().fit(profiles, ratings))
        >>> sim.utilities(products).shape
        (100, 4)
        """
        frame = profiles_frame(products, "products")
        m = self.model
        if isinstance(m, RatingConjoint):
            return m._respondent_utilities(frame)
        x = m._scenario_matrix(frame)
        beta = m._coef_units(use_draws)
        return (beta @ x.T).reshape(-1, len(frame))

    def _unit_weights(self, n_units: int) -> np.ndarray:
        m = self.model
        if isinstance(m, _ChoiceEstimator):
            return m._unit_weights(n_units)
        return np.full(n_units, 1.0 / n_units)

    # -- shares ---------------------------------------------------------------------------------

    def shares(
        self,
        products: Any,
        *,
        rule: str = "share_of_preference",
        exponent: float = 1.0,
        none: bool = False,
        n_draws: int = 1000,
        attribute_error: float = 1.0,
        product_error: float = 0.0,
        random_state: Any = None,
        compat: str | None = None,
        per_respondent: bool = False,
        use_draws: bool = True,
    ) -> pd.Series | pd.DataFrame:
        """Shares of preference in percent, indexed like ``products`` (plus ``"none"`` when
        ``none=True`` and the model has a NONE constant).

        ``per_respondent=True`` returns respondents × products for models with respondent-level
        utilities. ``compat="R"`` reproduces R ``conjoint``'s simulators on a ``RatingConjoint``
        (``rule`` one of ``"first_choice"`` = ``caMaxUtility``, ``"btl"`` = ``caBTL``,
        ``"logit"`` = ``caLogit``), quirks included.

        Parameters
        ----------
        products : DataFrame
            Scenario products, one column per attribute.
        rule : {"share_of_preference", "first_choice", "rfc"}, default "share_of_preference"
            The choice rule (see the class docstring).
        exponent : float, default 1.0
            Scale of the utilities in share of preference.
        none : bool, default False
            Include the "none" option (models with a NONE constant).
        n_draws : int, default 1000
            Draws of randomized first choice.
        attribute_error, product_error : float, default 1.0 and 0.0
            Gumbel error scales of randomized first choice.
        random_state : int, RandomState or None, default None
            Seed of randomized first choice.
        compat : {"R"} or None, default None
            Reproduce R ``conjoint``'s simulators (then ``rule`` is one of "first_choice",
            "btl", "logit").
        per_respondent : bool, default False
            Respondents × products instead of the average.
        use_draws : bool, default True
            For hierarchical Bayes: average over every kept draw (False: posterior means).

        Returns
        -------
        Series or DataFrame
            Shares in percent (summing to 100), or respondents × products.

        Raises
        ------
        InvalidInputError
            Unknown rule, products with unknown levels, ``none`` for a model without NONE.

        Examples
        --------
        >>> import segmint as sg
        >>> profiles, ratings, products = sg.datasets.load_tea()
        >>> sim = sg.MarketSimulator(sg.RatingConjoint().fit(profiles, ratings))
        >>> sim.shares(products, rule="rfc", n_draws=200, random_state=0).round(1)
        product
        product 1    11.8
        product 2    31.0
        product 3    26.3
        product 4    30.8
        Name: share, dtype: float64
        >>> sim.shares(products, rule="btl", compat="R").round(2)
        product
        product 1    18.85
        product 2    28.96
        product 3    30.14
        product 4    22.06
        Name: share, dtype: float64
        """
        frame = profiles_frame(products, "products")
        if compat is not None:
            return self._shares_r(frame, rule, compat)
        if rule not in RULES:
            raise InvalidInputError(f"rule: must be one of {RULES}, got {rule!r}", "rule")
        try:
            s = float(exponent)
        except (TypeError, ValueError):
            s = float("nan")
        if not (np.isfinite(s) and s >= 0):
            raise InvalidInputError(
                f"exponent: must be >= 0 (0 gives equal shares), got {exponent!r}", "exponent"
            )
        u = self.utilities(frame, use_draws=use_draws)
        labels = list(frame.index)
        if none:
            m = self.model
            if not (isinstance(m, _ChoiceEstimator) and m.coding_.none is not None):
                raise InvalidInputError(
                    "none: the model has no NONE constant (fit it with none=...)", "none"
                )
            none_row = pd.DataFrame({m.coding_.none: [True]})
            for a in [*m.coding_.attributes, *m.coding_.linear]:
                none_row[a] = frame[a].iloc[0]
            if m.coding_.alternative is not None:
                none_row[m.coding_.alternative] = frame[m.coding_.alternative].iloc[0]
            u_none = self.utilities(none_row, use_draws=use_draws)
            u = np.hstack([u, u_none])
            labels.append("none")
        if rule == "share_of_preference":
            p = _softmax(s * u)
        elif rule == "first_choice":
            p = _first_choice(u)
        else:
            p = self._rfc(u, frame, none, n_draws, attribute_error, product_error, random_state)
        return self._finish(p, labels, per_respondent)

    def _rfc(
        self,
        u: np.ndarray,
        frame: pd.DataFrame,
        none: bool,
        n_draws: int,
        attribute_error: float,
        product_error: float,
        random_state: Any,
    ) -> np.ndarray:
        if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 1:
            raise InvalidInputError(
                f"n_draws: must be a positive integer, got {n_draws!r}", "n_draws"
            )
        for name, v in (("attribute_error", attribute_error), ("product_error", product_error)):
            if not (np.isfinite(v) and v >= 0):
                raise InvalidInputError(f"{name}: must be >= 0, got {v!r}", name)
        rng = np.random.default_rng(seed(random_state))
        n_units, n_products = u.shape
        codes = self._levels(frame)
        if none:
            codes = [np.append(c, -1) for c in codes]
        out = np.zeros_like(u)
        # Draws in blocks to bound memory: (block, units, products).
        block = max(1, min(n_draws, 2_000_000 // max(1, n_units * n_products)))
        done = 0
        while done < n_draws:
            b = min(block, n_draws - done)
            ud = np.broadcast_to(u, (b, n_units, n_products)).copy()
            if attribute_error > 0:
                for c in codes:
                    n_lv = int(c.max()) + 1
                    g = rng.gumbel(0.0, attribute_error, size=(b, n_units, max(n_lv, 1)))
                    real = c >= 0
                    ud[:, :, real] += g[:, :, c[real]]
            if product_error > 0:
                ud += rng.gumbel(0.0, product_error, size=ud.shape)
            out += _first_choice(ud).sum(axis=0)
            done += b
        return out / n_draws

    def _finish(
        self, p: np.ndarray, labels: list[Any], per_respondent: bool
    ) -> pd.Series | pd.DataFrame:
        m = self.model
        index = pd.Index(labels, name="product")
        if per_respondent:
            if isinstance(m, RatingConjoint):
                return pd.DataFrame(p * 100.0, index=m.part_worths_.index, columns=index)
            if isinstance(m, HierarchicalBayes):
                n_r = len(m.respondents_)
                per = p.reshape(-1, n_r, p.shape[1]).mean(axis=0)
                return pd.DataFrame(per * 100.0, index=m.respondents_, columns=index)
            raise InvalidInputError(
                "per_respondent: the model has no respondent-level utilities", "per_respondent"
            )
        w = self._unit_weights(p.shape[0])
        return pd.Series(w @ p * 100.0, index=index, name="share")

    def plot(self, products: Any, *, ax: Any = None, **kwargs: Any) -> Any:
        """Bar chart of the simulated shares of ``products`` (needs matplotlib).

        Parameters
        ----------
        products : DataFrame
            The scenario, as for :meth:`shares`.
        ax : matplotlib Axes, optional
            Draw here (a new figure when None).
        **kwargs
            Passed to :meth:`shares` (``rule``, ``exponent``, ``none``, ``random_state``, ...).

        Returns
        -------
        SharesDisplay
            With ``figure_``, ``ax_`` and ``shares`` (the Series drawn).

        Raises
        ------
        InvalidInputError
            As :meth:`shares`; ``per_respondent`` cannot be drawn.
        ImportError
            matplotlib is not installed.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import segmint as sg
        >>> profiles, ratings, products = sg.datasets.load_tea()
        >>> ca = sg.RatingConjoint().fit(profiles, ratings)
        >>> shown = sg.MarketSimulator(ca).plot(products, rule="first_choice")
        >>> round(float(shown.shares.sum()), 6)
        100.0
        """
        from ..plot import SharesDisplay

        if kwargs.get("per_respondent"):
            raise InvalidInputError(
                "per_respondent: plot draws the total shares", "per_respondent"
            )
        shares = self.shares(products, **kwargs)
        rule = kwargs.get("rule", "share_of_preference")
        return SharesDisplay(shares, rule=rule).plot(ax=ax)

    # -- R conjoint's simulators ----------------------------------------------------------------

    def _shares_r(self, frame: pd.DataFrame, rule: str, compat: str) -> pd.Series:
        if compat != "R":
            raise InvalidInputError(f"compat: only 'R' is supported, got {compat!r}", "compat")
        if not isinstance(self.model, RatingConjoint):
            raise InvalidInputError("compat: 'R' applies to a RatingConjoint", "compat")
        if rule not in R_RULES:
            raise InvalidInputError(
                f"rule: with compat='R' one of {R_RULES}, got {rule!r}", "rule"
            )
        u = self.model._respondent_utilities(frame)
        if rule != "first_choice" and not (u > 0).all(axis=1).any():
            raise InvalidInputError(
                f"rule: R's {'caBTL' if rule == 'btl' else 'caLogit'} leaves out respondents "
                "with a non-positive utility for a product, and here that is every respondent; "
                "use rule='first_choice' or the native rules (compat=None)",
                "rule",
            )
        if rule == "first_choice":
            # caMaxUtility: each respondent's maximum counts once (the first one on ties).
            counts = np.bincount(u.argmax(axis=1), minlength=u.shape[1])
            p = counts / counts.sum()
        elif rule == "btl":
            # caBTL: utilities over their sum, respondents with a non-positive utility dropped.
            keep = (u > 0).all(axis=1)
            p = (u[keep] / u[keep].sum(axis=1, keepdims=True)).mean(axis=0)
        else:
            # caLogit: exp(u) over its sum on the raw rating-scale utilities.
            keep = (u > 0).all(axis=1)
            p = _softmax(u[keep]).mean(axis=0)
        return pd.Series(p * 100.0, index=pd.Index(frame.index, name="product"), name="share")


def wtp(model: Any, price: str = "price") -> pd.Series | pd.DataFrame:
    """Willingness to pay for every level: ``-part_worth / β_price`` (for effects coding: the
    money-equivalent of each level relative to the attribute's average level).

    For an aggregate model a Series over (attribute, level); for hierarchical Bayes a DataFrame
    respondents × (attribute, level) of the per-respondent median over draws (take ``.median()``
    for the median respondent). A price coefficient of exactly 0 has no WTP: an aggregate or
    latent-class model raises ``InvalidInputError``; HB draws with a zero price coefficient are
    left out of each respondent's median with a ``RuntimeWarning`` that counts them.

    Parameters
    ----------
    model : MNL, HierarchicalBayes or LatentClassMNL
        A fitted choice model with a linear price.
    price : str, default "price"
        The linear price attribute.

    Returns
    -------
    Series or DataFrame
        Money per level, over (attribute, level).

    Raises
    ------
    InvalidInputError
        Not a choice model, or ``price`` is not one of its linear attributes.

    See Also
    --------
    MarketSimulator : shares of scenario products.

    Examples
    --------
    >>> import segmint as sg
    >>> cbc, truth = sg.datasets.make_choice_data(200, 10, 3, random_state=0)
    >>> attrs = ["brand", "support", "delivery", "contract", "warranty", "price"]
    >>> mnl = sg.conjoint.MNL(attributes=attrs, linear=["price"]).fit(cbc)
    >>> sg.conjoint.wtp(mnl).round(2).head(4)  # doctest: +NORMALIZE_WHITESPACE
    attribute  level
    brand      Acme       0.47
               Globex     0.17
               Initech   -0.64
    support    email     -0.97
    Name: wtp, dtype: float64
    """
    if not isinstance(model, _ChoiceEstimator):
        raise InvalidInputError(
            "model: willingness to pay needs a choice model (MNL, HierarchicalBayes, "
            "LatentClassMNL) with a linear price",
            "model",
        )
    check_is_fitted(model, "coef_")
    if price not in model.coding_.linear:
        raise InvalidInputError(
            f"price: {price!r} is not a linear attribute of the model "
            f"({model.coding_.linear!r}); fit with linear=[{price!r}, ...]",
            "price",
        )
    j = model.parameter_names_.index(price)
    coding = model.coding_
    columns = coding.level_index()
    levels_of = coding.expand

    if isinstance(model, HierarchicalBayes):
        draws = np.asarray(model.draws_, dtype=np.float64)  # (D, R, K)
        zero = draws[..., j] == 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            w = -levels_of(draws) / draws[..., j : j + 1]
        if zero.any():
            # A draw with a price coefficient of exactly 0 (e.g. at a monotone constraint's
            # bound) has no WTP: it is left out of the respondent's median.
            w[zero] = np.nan
            none = zero.all(axis=0)
            warnings.warn(
                f"wtp: {int(zero.sum())} of {zero.size} draws have a price coefficient of 0 "
                "and are left out of the medians"
                + (f"; {int(none.sum())} respondents have no WTP (NaN)" if none.any() else ""),
                RuntimeWarning,
                stacklevel=2,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN respondents
                med = np.nanmedian(w, axis=0)
        else:
            med = np.median(w, axis=0)
        return pd.DataFrame(med, index=model.respondents_, columns=columns)
    if isinstance(model, LatentClassMNL):
        beta = model.class_coef_.to_numpy()
        if (beta[:, j] == 0.0).any():
            bad = list(model.class_coef_.index[beta[:, j] == 0.0])
            raise InvalidInputError(
                f"price: the price coefficient of class(es) {bad} is 0: no willingness to pay",
                "price",
            )
        return pd.DataFrame(
            -levels_of(beta) / beta[:, j : j + 1], index=model.class_coef_.index, columns=columns
        )
    beta = model.coef_.to_numpy()
    if beta[j] == 0.0:
        raise InvalidInputError(
            "price: the price coefficient is 0: no willingness to pay", "price"
        )
    return pd.Series(-levels_of(beta) / beta[j], index=columns, name="wtp")
