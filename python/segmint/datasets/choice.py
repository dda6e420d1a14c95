"""Synthetic choice-based conjoint (CBC) data with planted part-worths, for tests and examples."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

#: Default attributes: four 3-level and one 2-level B2B service attributes (levels in order).
DEFAULT_ATTRIBUTES: dict[str, list[str]] = {
    "brand": ["Acme", "Globex", "Initech"],
    "support": ["email", "phone", "dedicated"],
    "delivery": ["5 days", "2 days", "next day"],
    "contract": ["monthly", "annual", "3 years"],
    "warranty": ["1 year", "3 years"],
}
#: Default price points (a linear attribute, e.g. hundreds of euro per month).
DEFAULT_PRICES: list[float] = [1.0, 1.5, 2.0, 2.5, 3.0]
#: Default population mean part-worths of every level of the default attributes.
DEFAULT_PART_WORTHS: dict[str, list[float]] = {
    "brand": [1.0, 0.25, -1.25],
    "support": [-2.0, 0.25, 1.75],
    "delivery": [-1.5, 0.25, 1.25],
    "contract": [0.75, 0.25, -1.0],
    "warranty": [-0.75, 0.75],
}
DEFAULT_PRICE_COEF = -2.0
#: Default heterogeneity: variance of each full level's part-worth is
#: LEVEL_VARIANCE * (L - 1) / L, of the price coefficient PRICE_VARIANCE, of NONE 1.
LEVEL_VARIANCE = 1.0
PRICE_VARIANCE = 0.25


def _effects_block(n_levels: int, scale: float) -> np.ndarray:
    """Covariance of the L-1 effects-coded parameters of an attribute whose L full part-worths
    are exchangeable with variance scale*(L-1)/L and sum to zero: scale * (I - J/L) on L-1."""
    m = n_levels - 1
    return scale * (np.eye(m) - np.full((m, m), 1.0 / n_levels))


def _vector(value: Any, names: list[str], what: str) -> np.ndarray:
    if isinstance(value, Mapping | pd.Series):
        series = pd.Series(value, dtype=np.float64)
        missing = [n for n in names if n not in series.index]
        if missing:
            raise ValueError(f"{what}: no value for {missing}")
        return series.loc[names].to_numpy(dtype=np.float64)
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (len(names),):
        raise ValueError(f"{what}: expected {len(names)} values ({names}), got shape {arr.shape}")
    return arr


def _covariance(value: Any, k: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = float(arr) * np.eye(k)
    elif arr.ndim == 1:
        arr = np.diag(arr)
    if arr.shape != (k, k):
        raise ValueError(f"D: expected a scalar, {k} variances or a {k} x {k} matrix")
    if not np.allclose(arr, arr.T):
        raise ValueError("D: not symmetric")
    if np.linalg.eigvalsh(arr).min() < -1e-12:
        raise ValueError("D: not positive semi-definite")
    return arr


def _draw_normal(rng: np.random.Generator, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Rows of N(mean_i, cov) for a (n, k) array of means (cov may be singular)."""
    w, v = np.linalg.eigh(cov)
    root = v * np.sqrt(np.clip(w, 0.0, None))
    return mean + rng.standard_normal(mean.shape) @ root.T


def make_choice_data(
    n_respondents: int = 300,
    n_tasks: int = 12,
    n_alternatives: int = 3,
    *,
    attributes: Mapping[str, Sequence[Any]] | None = None,
    price: bool | Sequence[float] = True,
    alpha: Any = None,
    D: Any = None,
    covariates: int | pd.DataFrame | None = None,
    delta: Any = None,
    n_classes: int | None = None,
    class_coef: Any = None,
    none: bool = False,
    random_state: int | np.random.Generator | None = 0,
) -> tuple[pd.DataFrame, SimpleNamespace]:
    """Simulated choice-based conjoint answers with known individual part-worths.

    Every respondent answers ``n_tasks`` choice tasks of ``n_alternatives`` product profiles
    (plus a "none" option with ``none=True``) and picks the alternative of highest utility
    ``x'β_i + ε`` with i.i.d. standard Gumbel errors ε, i.e. a multinomial logit given β_i.

    Design: each respondent gets their own random design. Within a task each attribute's levels
    are a random draw without replacement from the levels (repeated when there are fewer levels
    than alternatives), so levels are balanced within tasks and overlap is minimal; price points
    likewise.

    Parameters ("coded space", the convention of ``segmint.conjoint.ChoiceModel``): the
    categorical attributes effects-coded in the order given, L - 1 parameters each named
    ``f"{attribute}[{level}]"`` for all levels but the last (whose part-worth is minus the sum
    of the others), then ``price`` (linear, when ``price`` is not False), then ``NONE`` (when
    ``none=True``; the utility of the none option; its rows have missing attribute cells and
    price). K is the number of parameters.

    Planted truth (by default: the five attributes of ``DEFAULT_ATTRIBUTES`` with 3, 3, 3, 3
    and 2 levels plus price = K = 10 parameters):

    * ``alpha`` — population mean of β_i. Default for the default attributes:
      ``DEFAULT_PART_WORTHS`` (support and delivery increase along their levels; logit-scale
      part-worths spanning about ±2, as HB estimates of real CBC studies do) and price
      coefficient -2.0 per unit of price; for other attributes, full part-worths drawn
      N(0, 0.5²) and centred, price -1.0. NONE: (price coefficient × mean price point) - 0.5.
    * ``D`` — covariance of β_i (hierarchical-Bayes data): by default block diagonal, per
      attribute ``1.0 * (I - J/L)`` on its L - 1 parameters (every level's part-worth then has
      variance (L - 1)/L and they sum to zero), 0.25 for price, 1.0 for NONE. β_i ~ N(α, D).
    * ``covariates`` (an int m or a DataFrame of numeric columns, one row per respondent):
      upper-level covariates z_i; β_i ~ N(Δ'(1, z_i), D). With an int, the columns are
      ``log_employees`` ~ N(2, 0.6²), ``manufacturing`` ~ Bernoulli(0.4), then ``z3``, ``z4``,
      ... ~ N(0, 1) (not centred). ``delta`` is a (1 + m) x K array or a DataFrame with rows
      ``intercept`` and the covariate names; by default each covariate shifts two parameters
      (drawn at random) by ±0.8 / sd(z_j) and the intercept row is set so that the sample mean
      of Δ'(1, z_i) equals ``alpha``. ``truth.alpha`` is always that sample mean.
    * ``n_classes`` (latent-class data): respondent classes drawn uniformly; β_i =
      ``class_coef[class_i]`` (+ N(0, D) noise only when ``D`` is given). ``class_coef``:
      n_classes x K array or DataFrame; by default α plus, per class and attribute, centred
      N(0, 1.5²) full part-worths, and price coefficient α_price × exp(N(0, 0.6²)).
      ``truth.alpha`` is then the sample mean of β_i.

    Parameters
    ----------
    n_respondents : int, default 300
        Respondents.
    n_tasks : int, default 12
        Choice tasks per respondent.
    n_alternatives : int, default 3
        Product profiles per task (the none option not counted).
    attributes : mapping of str to sequence, default None
        ``{attribute: levels}``; None uses ``DEFAULT_ATTRIBUTES``.
    price : bool or sequence of float, default True
        The price points (True: ``DEFAULT_PRICES``; False: no price attribute).
    alpha : array-like of shape (K,), default None
        Population mean of β_i in the coded space (see above).
    D : array-like of shape (K, K), default None
        Covariance of β_i (see above).
    covariates : int or DataFrame, default None
        Upper-level covariates (see above).
    delta : array-like or DataFrame, default None
        Effects of the covariates on β_i (see above).
    n_classes : int, default None
        Latent-class data with this many classes (see above).
    class_coef : array-like or DataFrame, default None
        Coefficients of each class (see above).
    none : bool, default False
        Add a "none of these" option to every task.
    random_state : int, Generator or None, default 0
        Seed.

    Returns
    -------
    data : DataFrame, long format, one row per respondent × task × alternative: columns
        ``respondent`` (1..n), ``task`` (1..n_tasks), ``alternative`` (1..J, the none option
        last), ``chosen`` (0/1, exactly one per task), the attributes (pandas Categorical with
        the given level order), ``price`` (float) and, with ``none=True``, ``none`` (bool).
    truth : SimpleNamespace with ``parameter_names`` (list), ``attributes`` (dict of levels),
        ``alpha`` (Series), ``D`` (DataFrame K x K), ``beta`` (DataFrame respondents x
        parameters), ``part_worths`` (DataFrame respondents x (attribute, level), every level),
        ``price_levels``; ``covariates`` (DataFrame indexed by respondent) and ``delta``
        (DataFrame) with covariates; ``classes`` (Series respondent -> class),
        ``class_coef`` (DataFrame) and ``class_shares`` (Series, sample shares) for
        latent-class data.

    Raises
    ------
    ValueError
        Fewer than two alternatives or price points, an attribute with fewer than two distinct
        levels, truth arrays of the wrong shape.

    See Also
    --------
    segmint.conjoint.MNL, segmint.conjoint.HierarchicalBayes, segmint.conjoint.LatentClassMNL

    Examples
    --------
    >>> from segmint.datasets import make_choice_data
    >>> data, truth = make_choice_data(50, 8, 3, random_state=0)
    >>> data.shape
    (1200, 10)
    >>> print(*data.columns)
    respondent task alternative chosen brand support delivery contract warranty price
    >>> truth.alpha.round(2).head(3)
    brand[Acme]       1.00
    brand[Globex]     0.25
    support[email]   -2.00
    Name: alpha, dtype: float64
    """
    rng = np.random.default_rng(random_state)
    n, n_t, n_alt = int(n_respondents), int(n_tasks), int(n_alternatives)
    if n < 1 or n_t < 1 or n_alt < 2:
        raise ValueError("need n_respondents >= 1, n_tasks >= 1 and n_alternatives >= 2")
    default_attrs = attributes is None
    attrs = {str(a): list(levels) for a, levels in (attributes or DEFAULT_ATTRIBUTES).items()}
    for a, levels in attrs.items():
        if len(levels) < 2 or len(set(levels)) != len(levels):
            raise ValueError(f"attribute {a!r}: needs at least two distinct levels")
    if price is True:
        prices = list(DEFAULT_PRICES)
    elif price is False or price is None:
        prices = []
    else:
        prices = [float(p) for p in price]
        if len(prices) < 2:
            raise ValueError("price: needs at least two price points")
    has_price = bool(prices)

    names = [f"{a}[{lv}]" for a, levels in attrs.items() for lv in levels[:-1]]
    if has_price:
        names.append("price")
    if none:
        names.append("NONE")
    k = len(names)
    if k == 0:
        raise ValueError("no parameters: give attributes or a price")
    ids = pd.Index(np.arange(1, n + 1), name="respondent")

    # Population mean.
    if alpha is None:
        coded: list[float] = []
        for a, levels in attrs.items():
            if default_attrs:
                full = np.asarray(DEFAULT_PART_WORTHS[a])
            else:
                full = rng.normal(0.0, 0.5, size=len(levels))
                full -= full.mean()
            coded.extend(full[:-1])
        price_coef = DEFAULT_PRICE_COEF if default_attrs else -1.0
        if has_price:
            coded.append(price_coef)
        if none:
            coded.append(price_coef * float(np.mean(prices)) - 0.5 if has_price else -0.5)
        alpha_v = np.asarray(coded)
    else:
        alpha_v = _vector(alpha, names, "alpha")

    # Heterogeneity.
    if D is None:
        blocks = [_effects_block(len(levels), LEVEL_VARIANCE) for levels in attrs.values()]
        blocks += [np.array([[PRICE_VARIANCE]])] if has_price else []
        blocks += [np.array([[1.0]])] if none else []
        D_m = np.zeros((k, k))
        at = 0
        for b in blocks:
            D_m[at : at + len(b), at : at + len(b)] = b
            at += len(b)
    else:
        D_m = _covariance(D, k)

    truth = SimpleNamespace(
        parameter_names=list(names),
        attributes={a: list(levels) for a, levels in attrs.items()},
        price_levels=list(prices),
    )

    # Individual coefficients.
    if n_classes is not None:
        if covariates is not None:
            raise ValueError("latent-class data with covariates is not supported")
        c = int(n_classes)
        if c < 1:
            raise ValueError("n_classes: must be >= 1")
        if class_coef is None:
            cc = np.tile(alpha_v, (c, 1))
            for j in range(c):
                at = 0
                for levels in attrs.values():
                    full = rng.normal(0.0, 1.5, size=len(levels))
                    full -= full.mean()
                    cc[j, at : at + len(levels) - 1] += full[:-1]
                    at += len(levels) - 1
                if has_price:
                    cc[j, at] *= np.exp(rng.normal(0.0, 0.6))
        else:
            cc = np.asarray(class_coef, dtype=np.float64)
            if cc.shape != (c, k):
                raise ValueError(f"class_coef: expected shape ({c}, {k}), got {cc.shape}")
        classes = rng.integers(0, c, size=n)
        beta = cc[classes]
        if D is not None:
            beta = _draw_normal(rng, beta, D_m)
        truth.classes = pd.Series(classes, index=ids, name="class")
        truth.class_coef = pd.DataFrame(cc, index=pd.RangeIndex(c, name="class"), columns=names)
        truth.class_shares = pd.Series(
            np.bincount(classes, minlength=c) / n, name="share"
        ).rename_axis("class")
        alpha_v = beta.mean(axis=0)
    elif covariates is not None:
        if isinstance(covariates, pd.DataFrame):
            if len(covariates) != n:
                raise ValueError(f"covariates: expected {n} rows, got {len(covariates)}")
            cov_frame = covariates.astype(np.float64).set_axis(ids, axis=0)
        else:
            m = int(covariates)
            if m < 1:
                raise ValueError("covariates: the number of covariates must be >= 1")
            cols: dict[str, np.ndarray] = {"log_employees": rng.normal(2.0, 0.6, size=n)}
            if m >= 2:
                cols["manufacturing"] = (rng.random(n) < 0.4).astype(np.float64)
            for j in range(3, m + 1):
                cols[f"z{j}"] = rng.standard_normal(n)
            cov_frame = pd.DataFrame(cols, index=ids)
        z = cov_frame.to_numpy()
        if not np.isfinite(z).all():
            raise ValueError("covariates: missing or infinite values")
        cov_names = [str(col) for col in cov_frame.columns]
        Z = np.column_stack([np.ones(n), z])
        if delta is None:
            effects = np.zeros((z.shape[1], k))
            sd = z.std(axis=0)
            for j in range(z.shape[1]):
                which = rng.choice(k, size=min(2, k), replace=False)
                signs = rng.choice([-1.0, 1.0], size=len(which))
                effects[j, which] = signs * 0.8 / (sd[j] if sd[j] > 0 else 1.0)
            intercept = alpha_v - z.mean(axis=0) @ effects
            delta_m = np.vstack([intercept, effects])
        else:
            if alpha is not None:
                raise ValueError("give alpha or delta, not both")
            delta_m = np.asarray(delta, dtype=np.float64)
            if delta_m.shape != (1 + z.shape[1], k):
                raise ValueError(f"delta: expected shape ({1 + z.shape[1]}, {k})")
        mean = Z @ delta_m
        alpha_v = mean.mean(axis=0)
        beta = _draw_normal(rng, mean, D_m)
        truth.covariates = cov_frame
        truth.delta = pd.DataFrame(delta_m, index=["intercept", *cov_names], columns=names)
    else:
        beta = _draw_normal(rng, np.tile(alpha_v, (n, 1)), D_m)

    truth.alpha = pd.Series(alpha_v, index=names, name="alpha")
    truth.D = pd.DataFrame(D_m, index=names, columns=names)
    truth.beta = pd.DataFrame(beta, index=ids, columns=names)

    # Every level's part-worth (the last level of an attribute = minus the sum of the others).
    pw: dict[tuple[str, str], np.ndarray] = {}
    at = 0
    for a, levels in attrs.items():
        coded_b = beta[:, at : at + len(levels) - 1]
        for j, lv in enumerate(levels[:-1]):
            pw[(a, str(lv))] = coded_b[:, j]
        pw[(a, str(levels[-1]))] = -coded_b.sum(axis=1)
        at += len(levels) - 1
    truth.part_worths = pd.DataFrame(pw, index=ids)
    if pw:
        truth.part_worths.columns = pd.MultiIndex.from_tuples(
            list(pw), names=["attribute", "level"]
        )

    # Designs: per respondent, task and attribute, levels drawn without replacement (repeated
    # when there are fewer levels than alternatives).
    def draw_levels(n_levels: int) -> np.ndarray:
        reps = -(-n_alt // n_levels)
        keys = rng.random((n, n_t, reps * n_levels))
        return np.argsort(keys, axis=-1)[..., :n_alt] % n_levels

    codes = {a: draw_levels(len(levels)) for a, levels in attrs.items()}
    price_codes = draw_levels(len(prices)) if has_price else None

    # Model matrix (n, tasks, alternatives incl. none, K).
    n_rows_alt = n_alt + int(none)
    X = np.zeros((n, n_t, n_rows_alt, k))
    at = 0
    for a, levels in attrs.items():
        L = len(levels)
        code = codes[a]
        for j in range(L - 1):
            X[:, :, :n_alt, at + j] = (code == j).astype(np.float64) - (code == L - 1)
        at += L - 1
    if price_codes is not None:
        X[:, :, :n_alt, at] = np.asarray(prices)[price_codes]
        at += 1
    if none:
        X[:, :, n_alt, at] = 1.0
    utility = np.einsum("ntjk,nk->ntj", X, beta) + rng.gumbel(size=(n, n_t, n_rows_alt))
    choice = utility.argmax(axis=2)

    resp = np.repeat(ids.to_numpy(), n_t * n_rows_alt)
    task = np.tile(np.repeat(np.arange(1, n_t + 1), n_rows_alt), n)
    alt = np.tile(np.arange(1, n_rows_alt + 1), n * n_t)
    chosen = (np.arange(n_rows_alt)[None, None, :] == choice[..., None]).astype(np.int64)
    columns: dict[str, Any] = {
        "respondent": resp,
        "task": task,
        "alternative": alt,
        "chosen": chosen.ravel(),
    }
    for a, levels in attrs.items():
        full_codes = np.full((n, n_t, n_rows_alt), -1, dtype=np.int64)
        full_codes[:, :, :n_alt] = codes[a]
        columns[a] = pd.Categorical.from_codes(full_codes.ravel(), categories=levels)
    if price_codes is not None:
        price_values = np.full((n, n_t, n_rows_alt), np.nan)
        price_values[:, :, :n_alt] = np.asarray(prices)[price_codes]
        columns["price"] = price_values.ravel()
    if none:
        columns["none"] = np.tile(np.arange(n_rows_alt) == n_alt, n * n_t)
    data = pd.DataFrame(columns)
    return data, truth


__all__ = ["DEFAULT_ATTRIBUTES", "DEFAULT_PRICES", "make_choice_data"]
