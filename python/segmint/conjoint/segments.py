"""Needs-based segments from conjoint part-worths."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..cluster import KMeans
from ..errors import InvalidInputError
from .hb import HierarchicalBayes
from .latent import LatentClassMNL
from .rating import RatingConjoint

__all__ = ["segment_preferences"]


def segment_preferences(
    model: Any,
    n_segments: int | None = None,
    *,
    standardize: bool = True,
    random_state: Any = None,
    n_init: int = 10,
) -> pd.Series:
    """Segment labels (a Series on the respondent ids, named ``"segment"``) from what respondents
    value.

    - `HierarchicalBayes` or `RatingConjoint`: k-means (``n_init`` seeded
      restarts) on the respondents' part-worths (every level, plus linear coefficients,
      constants and NONE). With ``standardize=True`` each respondent's vector is first centred
      and scaled to unit standard deviation, so segments differ in the *pattern* of preferences,
      not in how decisive (scale) a respondent was — the usual practice for HB utilities.
    - `LatentClassMNL`: the most likely class of each respondent (``n_segments``
      must be None or equal ``n_classes``).

    The labels line up with any respondent-level frame (firmographics): pass them to
    ``segmint.profile`` or as the target of ``segmint.CHAID`` to learn which characteristics
    predict the need segment.

    Parameters
    ----------
    model : HierarchicalBayes, RatingConjoint or LatentClassMNL
        A fitted model.
    n_segments : int or None, default None
        Number of segments (k-means); None for a latent-class model.
    standardize : bool, default True
        Centre and scale each respondent's part-worths first.
    random_state : int, RandomState or None, default None
        Seed of k-means.
    n_init : int, default 10
        k-means restarts.

    Returns
    -------
    Series
        Segment of each respondent, named "segment".

    Raises
    ------
    InvalidInputError
        An unsupported model, ``n_segments`` missing (or not ``n_classes`` for latent class).

    See Also
    --------
    segmint.profile : describe the segments by firmographics.
    segmint.select_k : choosing ``n_segments``.

    Examples
    --------
    >>> import segmint as sg
    >>> profiles, ratings, products = sg.datasets.load_tea()
    >>> ca = sg.RatingConjoint().fit(profiles, ratings)
    >>> segments = sg.conjoint.segment_preferences(ca, 3, random_state=0)
    >>> segments.value_counts().sort_index().tolist()
    [47, 18, 35]
    """
    if isinstance(model, LatentClassMNL):
        check_is_fitted(model, "labels_")
        if n_segments is not None and n_segments != model.n_classes:
            raise InvalidInputError(
                f"n_segments: a latent-class model has {model.n_classes} classes; pass None",
                "n_segments",
            )
        return model.labels_.rename("segment")
    if isinstance(model, RatingConjoint):
        check_is_fitted(model, "part_worths_")
        pw = model.part_worths_
    elif isinstance(model, HierarchicalBayes):
        check_is_fitted(model, "part_worths_")
        pw = model.part_worths_
    else:
        raise InvalidInputError(
            "model: needs a fitted RatingConjoint, HierarchicalBayes or LatentClassMNL",
            "model",
        )
    if n_segments is None:
        raise InvalidInputError(
            "n_segments: give the number of segments (segmint.select_k helps choose it)",
            "n_segments",
        )
    x = pw.to_numpy(dtype=np.float64)
    if standardize:
        sd = x.std(axis=1, keepdims=True)
        sd[sd == 0] = 1.0
        x = (x - x.mean(axis=1, keepdims=True)) / sd
    features = pd.DataFrame(x, index=pw.index, columns=[f"{a}|{lv}" for a, lv in pw.columns])
    km = KMeans(n_clusters=n_segments, random_state=random_state, n_init=n_init).fit(features)
    return km.labels_.rename("segment")
