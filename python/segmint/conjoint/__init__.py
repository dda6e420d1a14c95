"""Conjoint analysis: study designs, rating-based part-worths, choice models (MNL, hierarchical
Bayes, latent classes) and the market simulator."""

from .choice import ChoiceModel
from .design import choice_design, design_efficiency, full_factorial, orthogonal_design
from .rating import RatingConjoint
from .simulator import MarketSimulator, wtp

__all__ = [
    "ChoiceModel",
    "MarketSimulator",
    "RatingConjoint",
    "choice_design",
    "design_efficiency",
    "full_factorial",
    "orthogonal_design",
    "wtp",
]
