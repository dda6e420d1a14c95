"""Conjoint analysis: study designs, rating-based part-worths, choice models (MNL, hierarchical
Bayes, latent classes), the market simulator and needs-based segments."""

from .choice import ChoiceModel
from .choice_design import choice_design
from .design import design_efficiency, full_factorial, orthogonal_design
from .hb import HierarchicalBayes
from .latent import LatentClassMNL, select_classes
from .mnl import MNL
from .rating import RatingConjoint
from .segments import segment_preferences
from .simulator import MarketSimulator, wtp

__all__ = [
    "MNL",
    "ChoiceModel",
    "HierarchicalBayes",
    "LatentClassMNL",
    "MarketSimulator",
    "RatingConjoint",
    "choice_design",
    "design_efficiency",
    "full_factorial",
    "orthogonal_design",
    "segment_preferences",
    "select_classes",
    "wtp",
]
