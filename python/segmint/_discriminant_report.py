"""The report of a fitted `DiscriminantAnalysis`: the SPSS table set as text and HTML, and the
plot of the first two canonical functions (matplotlib optional)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from .plot import Display, pyplot


def _tables(da: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = [
        ("Tests of equality of group means", da.univariate_),
        ("Log determinants", da.log_determinants_),
        ("Box's M test of equal covariance matrices", da.box_m_.to_frame()),
    ]
    if len(da.steps_):
        out.append(("Variables entered / removed (stepwise, Wilks' lambda)", da.steps_))
    if da.excluded_:
        out.append(
            (
                "Variables failing the tolerance test",
                pd.DataFrame({"variable": da.excluded_}),
            )
        )
    out += [
        ("Eigenvalues", da.eigenvalues_),
        ("Wilks' lambda", da.wilks_),
        ("Standardized canonical discriminant function coefficients", da.standardized_coef_),
        (
            "Structure matrix (pooled within-groups correlations, ordered by absolute size "
            "within function)",
            da.structure_,
        ),
        ("Canonical discriminant function coefficients (unstandardized)", da.raw_coef_),
        ("Functions at group centroids", da.centroids_),
        ("Prior probabilities", da.priors_.to_frame()),
        (
            "Classification function coefficients (Fisher's linear discriminant)",
            da.classification_functions_,
        ),
        ("Classification results", da.classification_table_),
        ("Hit rate", da.hit_rate_.to_frame()),
    ]
    return out


def text_report(da: Any) -> str:
    """All tables as plain text."""
    parts = ["Discriminant analysis"]
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        for title, table in _tables(da):
            parts.append(f"\n{title}\n{'-' * len(title)}\n{table.round(4).to_string()}")
    return "\n".join(parts)


def html_report(da: Any) -> str:
    """All tables as HTML (for Jupyter)."""
    parts = ["<div><h3>Discriminant analysis</h3>"]
    for title, table in _tables(da):
        parts.append(f"<h4>{html.escape(title)}</h4>")
        parts.append(table.round(4).to_html())
    parts.append("</div>")
    return "".join(parts)


class DiscriminantDisplay(Display):
    """Plot of the first two canonical discriminant functions with group centroids
    (scikit-learn Display style: ``plot(ax=None)`` draws and returns self).

    Parameters
    ----------
    centroids : DataFrame
        Functions at group centroids.
    scores : ndarray or None
        Canonical scores of rows to show.
    labels : ndarray or None
        Segment of each row.
    eigenvalues : DataFrame
        The eigenvalue table (for the axis labels).

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : matplotlib Axes

    See Also
    --------
    DiscriminantAnalysis.plot : builds and draws it.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> import matplotlib.pyplot as plt, segmint as sg
    >>> iris = load_iris(as_frame=True)
    >>> da = sg.DiscriminantAnalysis().fit(iris.data, iris.target)
    >>> display = sg.discriminant.DiscriminantDisplay(
    ...     centroids=da.centroids_, scores=None, labels=None, eigenvalues=da.eigenvalues_
    ... ).plot()
    >>> len(display.ax_.collections) > 0
    True
    >>> plt.close("all")
    """

    def __init__(
        self,
        *,
        centroids: pd.DataFrame,
        scores: np.ndarray | None,
        labels: np.ndarray | None,
        eigenvalues: pd.DataFrame,
    ) -> None:
        self.centroids = centroids
        self.scores = scores
        self.labels = labels
        self.eigenvalues = eigenvalues

    def _draw(self, ax: Any, **kwargs: Any) -> None:
        plt = pyplot()
        c = self.centroids.to_numpy()
        two = c.shape[1] >= 2 and (self.scores is None or self.scores.shape[1] >= 2)
        share = self.eigenvalues["% of variance"].to_numpy()
        cmap = plt.get_cmap("tab10")
        for k, seg in enumerate(self.centroids.index):
            colour = cmap(k % 10)
            if self.scores is not None and self.labels is not None:
                rows = self.labels == seg
                ys = self.scores[rows, 1] if two else np.zeros(int(rows.sum()))
                ax.scatter(self.scores[rows, 0], ys, s=8, alpha=0.4, color=colour, **kwargs)
            ax.scatter(
                c[k, 0],
                c[k, 1] if two else 0.0,
                marker="X",
                s=150,
                color=colour,
                edgecolor="black",
                label=str(seg),
            )
        ax.set_xlabel(f"function 1 ({share[0]:.1f} %)")
        ax.set_ylabel(f"function 2 ({share[1]:.1f} %)" if two else "")
        ax.legend(title="segment (centroid)")
