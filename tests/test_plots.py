"""Plots and views: every Display draws into a new or a given axes and holds figure_ / ax_; the
CHAID tree never overlaps boxes or branch labels (renderer bounding boxes) on real trees of depth
1-6; the profile heatmap's colours, labels and text contrast; the HTML views parse and the
console reprs stay short."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import html5lib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import segmint as sg
from segmint.plot import Display, contrast_color


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def wholesale() -> pd.DataFrame:
    return sg.datasets.load_wholesale()


@pytest.fixture(scope="module")
def X(wholesale: pd.DataFrame) -> pd.DataFrame:
    spend = np.log(wholesale[sg.datasets.SPEND_COLUMNS])
    return (spend - spend.mean()) / spend.std()


@pytest.fixture(scope="module")
def km(X: pd.DataFrame) -> sg.KMeans:
    return sg.KMeans(4, random_state=0).fit(X)


@pytest.fixture(scope="module")
def prof(wholesale: pd.DataFrame, km: sg.KMeans) -> sg.SegmentProfile:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sg.SmallSegmentWarning)
        return sg.profile(wholesale, km.labels_, min_size=0.2)


# --- the CHAID tree layout -----------------------------------------------------------------


def _overlaps(boxes: list) -> list[tuple[int, int]]:
    return [
        (i, j) for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2) if a.overlaps(b)
    ]


def _chaid_cases(shared_data: Path):
    chaid = shared_data / "chaid"
    customers = sg.datasets.load_wholesale()
    orders = pd.read_csv(chaid / "orders.csv")
    cols = ["AGE", "FIRMSIZE", "BUSIVOL", "REG", "SPEC"]
    usvote = pd.read_csv(chaid / "usvote.csv")
    return {
        # Channel from spend (binned) and region: small nodes allowed, so the tree gets deep.
        "wholesale": (
            customers.drop(columns="Channel"),
            customers["Channel"],
            None,
            {"min_parent_size": 20, "min_child_size": 10, "alpha_merge": 0.2, "alpha_split": 0.2},
        ),
        "orders": (
            orders[cols].astype("category"),
            orders["RESP"],
            orders["FREQ"],
            {"min_parent_size": 60, "min_child_size": 30, "alpha_split": 0.2},
        ),
        "usvote": (
            usvote.drop(columns="vote3").astype("category"),
            usvote["vote3"],
            None,
            {"min_parent_size": 200, "min_child_size": 100, "alpha_split": 0.2},
        ),
    }


@pytest.fixture(scope="module")
def chaid_cases(shared_data: Path):
    return _chaid_cases(shared_data)


@pytest.mark.parametrize(("name", "deepest"), [("wholesale", 3), ("orders", 5), ("usvote", 6)])
def test_chaid_tree_boxes_and_branch_labels_never_overlap(
    chaid_cases, name: str, deepest: int
) -> None:
    # reference: matplotlib's renderer — the drawn extents of every node box (the text's bbox
    # patch) and every branch label, compared pairwise with Bbox.overlaps.
    X, y, w, params = chaid_cases[name]
    depths = []
    for depth in range(1, 7):
        tree = sg.CHAID(max_depth=depth, **params).fit(X, y, sample_weight=w)
        depths.append(int(tree.tree_["depth"].max()))
        shown = tree.plot()
        fig = shown.figure_
        renderer = fig.canvas.get_renderer()
        for t in shown.node_texts_.values():  # what drawing does to a text's box
            t.update_bbox_position_size(renderer)
        assert sorted(shown.node_texts_) == tree.tree_.index.tolist()
        assert sorted(shown.edge_texts_) == tree.tree_.index[1:].tolist()
        boxes = [
            t.get_bbox_patch().get_window_extent(renderer) for t in shown.node_texts_.values()
        ]
        labels = [t.get_window_extent(renderer) for t in shown.edge_texts_.values()]
        assert _overlaps(boxes) == [], f"{name} depth {depth}: boxes overlap"
        assert _overlaps(labels) == [], f"{name} depth {depth}: branch labels overlap"
        assert _overlaps(boxes + labels) == [], f"{name} depth {depth}: a label hits a box"
        # Everything lies inside the figure.
        whole = fig.bbox
        for b in boxes + labels:
            assert whole.x0 - 1 <= b.x0 and b.x1 <= whole.x1 + 1
            assert whole.y0 - 1 <= b.y0 and b.y1 <= whole.y1 + 1
        plt.close(fig)
    # The trees really grow with max_depth (deep trees are the hard case for a layout).
    assert depths == [min(d, deepest) for d in range(1, 7)], depths


def test_chaid_tree_on_a_given_axes_is_scaled_to_fit_and_subtrees(chaid_cases) -> None:
    # reference: matplotlib's renderer extents, as above, on a small given axes.
    X, y, _w, params = chaid_cases["usvote"]
    tree = sg.CHAID(max_depth=4, **params).fit(X, y)
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    shown = tree.plot(ax=axes[0])
    assert shown.ax_ is axes[0] and shown.figure_ is fig
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_bbox_patch().get_window_extent(renderer) for t in shown.node_texts_.values()]
    labels = [t.get_window_extent(renderer) for t in shown.edge_texts_.values()]
    assert _overlaps(boxes + labels) == []
    area = axes[0].get_window_extent(renderer)
    for b in boxes + labels:  # scaled into its axes
        assert area.x0 - 2 <= b.x0 and b.x1 <= area.x1 + 2
    # A subtree: node 1 and everything below it, then only one level of it.
    below = tree.plot(node_ids=1)
    parent = tree.tree_["parent"]
    expected = {1}
    for v in tree.tree_.index:
        u = v
        while u > 0 and u not in expected:
            u = parent[u]
        if u in expected:
            expected.add(v)
    assert set(below.node_texts_) == expected
    one = tree.plot(node_ids=1, max_depth=1)
    assert set(one.node_texts_) == {1, *tree.tree_.index[parent == 1]}
    with pytest.raises(sg.InvalidInputError, match="node_ids"):
        tree.plot(node_ids=10_000)


def test_export_graphviz_has_every_node_and_edge(chaid_cases) -> None:
    # reference: the tree_ table (one DOT node per row, one edge per non-root row).
    X, y, w, params = chaid_cases["orders"]
    tree = sg.CHAID(max_depth=3, **params).fit(X, y, sample_weight=w)
    dot = tree.export_graphviz()
    assert dot.startswith("digraph CHAID {") and dot.rstrip().endswith("}")
    for v, u in tree.tree_["parent"].items():
        assert f"\n  {v} [label=" in dot
        if u >= 0:
            assert f"\n  {u} -> {v} [label=" in dot
    assert dot.count("->") == len(tree.tree_) - 1
    assert dot.count('"') % 2 == 0


# --- every Display: figure_ / ax_, given axes, shown once -----------------------------------


def _displays(X, km, prof, wholesale):
    tree = sg.CHAID(max_depth=2).fit(wholesale.drop(columns="Channel"), wholesale["Channel"])
    profiles, ratings, products = sg.datasets.load_tea()
    ca = sg.RatingConjoint().fit(profiles, ratings)
    lines = sg.datasets.load_online_retail_sample()
    summary = sg.customer_summary(
        lines, customer="CustomerID", date="InvoiceDate", quantity="Quantity", price="UnitPrice"
    )
    table = sg.select_k(X, range(2, 5), n_refs=2, random_state=0)
    stab = sg.stability(sg.KMeans(3, n_init=2), X, n_boot=4, random_state=0)
    return {
        "profile": lambda ax: prof.plot(ax=ax),
        "chaid": lambda ax: tree.plot(ax=ax),
        "select_k": lambda ax: table.plot(ax=ax),
        "stability": lambda ax: stab.plot(ax=ax),
        "dendrogram": lambda ax: sg.Ward(n_clusters=4).fit(X).dendrogram(ax=ax),
        "segment_map": lambda ax: sg.plot.segment_map(X, km.labels_, ax=ax),
        "shares": lambda ax: sg.MarketSimulator(ca).plot(products, ax=ax),
        "abc": lambda ax: sg.abc(summary["monetary"]).plot(ax=ax),
        "market": lambda ax: sg.MarketMapDisplay(
            pd.DataFrame({"customers": [10, 30], "prospects": [40, 5], "penetration": [0.2, 0.8]})
        ).plot(ax=ax),
    }


def test_every_display_draws_on_a_new_or_a_given_axes(X, km, prof, wholesale) -> None:
    # reference: none numeric — the scikit-learn Display contract checked directly.
    for name, draw in _displays(X, km, prof, wholesale).items():
        shown = draw(None)
        assert isinstance(shown, Display), name
        assert shown.figure_ is not None and shown.ax_ is not None, name
        # A figure shows once in Jupyter: the display has no rich repr that would draw again.
        assert not hasattr(shown, "_repr_png_") and not hasattr(shown, "_repr_html_"), name
        assert len(repr(shown)) < 80
        fig, ax = plt.subplots(figsize=(9, 6))
        given = draw(ax)
        assert given.figure_ is fig, name
        axes = np.atleast_1d(np.asarray(given.ax_, dtype=object))
        assert all(a.figure is fig for a in axes), name
        if axes.size == 1:
            assert axes[0] is ax, name
        plt.close("all")


def test_hb_trace_display() -> None:
    # reference: the fit's own trace_ and rhat_ (what is drawn is what was stored).
    data, _ = sg.datasets.make_choice_data(30, 6, 3, random_state=0)
    hb = sg.conjoint.HierarchicalBayes(
        linear=["price"], n_iter=120, burn_in=60, thin=2, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # far too short to converge, on purpose
        hb.fit(data)
    shown = hb.plot_trace()
    left, right = shown.ax_
    assert len(left.lines) == 2  # one trace per chain
    np.testing.assert_array_equal(left.lines[0].get_ydata(), hb.trace_.xs(0)["loglik"].to_numpy())
    offsets = right.collections[0].get_offsets()
    np.testing.assert_allclose(np.asarray(offsets)[:, 0], hb.rhat_.to_numpy())
    fig, ax = plt.subplots()
    again = hb.plot_trace(ax=ax)
    assert again.figure_ is fig and len(again.ax_) == 2


# --- the profile heatmap ---------------------------------------------------------------------


def _contrast_ratio(a, b) -> float:
    from matplotlib.colors import to_rgb

    def lum(c):
        v = np.array(to_rgb(c))
        v = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]

    hi, lo = sorted([lum(a), lum(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_profile_heatmap_reads_in_index_points_with_contrasting_text(prof) -> None:
    shown = prof.plot()
    ax, cbar = shown.ax_, shown.colorbar_
    # reference: the profile's own index tables (numeric "index" rows and category_index)
    # re-read with pandas, written out in the cells.
    num = prof.numeric.xs("index", level=-1).drop(columns="overall")
    cat = prof.category_index.drop(columns="overall")
    expected = np.vstack([num.to_numpy(dtype=float), cat.to_numpy(dtype=float)])
    np.testing.assert_allclose(shown.data.to_numpy(dtype=float), expected, rtol=1e-12)
    # The colour bar is in index points around 100, not in log2 units.
    ticks = [t.get_text() for t in cbar.ax.get_xticklabels()]
    assert "100" in ticks and "index" in cbar.ax.get_xlabel()
    norm = shown.ax_.images[0].norm
    assert norm(100.0) == pytest.approx(0.5)  # white at the average
    # reference: WCAG contrast ratio of black and of white on each cell's colour; the text
    # colour chosen is the one with the higher ratio.
    image = ax.images[0]
    texts = [t for t in ax.texts if t.get_text() not in ("", "–") and t.get_text()[0].isdigit()]
    assert len(texts) == expected.size
    for t in texts:
        j, i = (round(v) for v in t.get_position())
        face = image.cmap(image.norm(np.clip(expected[i, j], norm.vmin, norm.vmax)))
        best = max(("black", "white"), key=lambda c: _contrast_ratio(c, face))
        assert t.get_color() == best
    # Segment sizes in the column labels, small segments marked.
    labels = [t.get_text() for t in ax.get_xticklabels()]
    for seg, label in zip(prof.summary.index, labels, strict=True):
        assert f"n = {prof.summary.loc[seg, 'size']:,.0f}" in label
        assert ("small" in label) == bool(prof.summary.loc[seg, "small"])
    assert prof.summary["small"].any()
    # Variables grouped: numeric, then each categorical variable (named on the right).
    titles = [title for title, _, _ in shown.groups]
    assert titles == ["numeric (mean)", "Channel", "Region"]


def test_contrast_color_picks_the_higher_wcag_ratio() -> None:
    # reference: WCAG 2 contrast ratio written in the test.
    for c in ["#000000", "#ffffff", "#2166ac", "#b2182b", "#f7f7f7", "#808080", "#777777"]:
        best = max(("black", "white"), key=lambda t: _contrast_ratio(t, c))
        assert contrast_color(c) == best


# --- views -----------------------------------------------------------------------------------


def _parses(markup: str) -> None:
    html5lib.HTMLParser(strict=True).parseFragment(markup)


def test_profile_views(prof) -> None:
    markup = prof._repr_html_()
    _parses(markup)
    # reference: the profile's own tables — every persona, variable and category appears.
    for persona in prof.personas:
        assert persona.split(":")[0] in markup
    for var in ["Fresh", "Milk", "Channel", "Region"]:
        assert var in markup
    assert "background-color" in markup  # index shading
    assert "Cramér" in markup and "η²" in markup
    text = repr(prof)
    assert len(text) <= 2000 and len(text.splitlines()) <= 25
    assert "SegmentProfile: 4 segments, 440 customers" in text


def test_migration_and_chaid_views(wholesale, X, km) -> None:
    later = sg.KMeans(4, random_state=3, n_init=1).fit(X.sample(frac=0.9, random_state=1))
    m = sg.migration(km.labels_, later.labels_)
    _parses(m._repr_html_())
    assert "adjusted Rand index" in m._repr_html_()
    assert len(repr(m)) < 1500 and repr(m).startswith("Migration: ")
    tree = sg.CHAID(max_depth=2).fit(wholesale.drop(columns="Channel"), wholesale["Channel"])
    markup = tree._repr_html_()
    _parses(markup)
    assert "<pre>" not in markup
    # reference: tree_ — every node id and split variable is in the compact tree.
    for v, split in tree.tree_["split"].items():
        assert f">{v}<" in markup
        if isinstance(split, str):
            assert split in markup
    assert "min_parent_size" in markup  # the parameters
    assert "not fitted" in sg.CHAID()._repr_html_()


def test_result_tables_keep_being_data_frames(X) -> None:
    # reference: none numeric — the result types and what derived frames become.
    table = sg.select_k(X, range(2, 4), n_refs=2, random_state=0)
    assert isinstance(table, pd.DataFrame) and type(table).__name__ == "SelectKResult"
    assert type(table.copy()) is pd.DataFrame and type(table[["gap"]]) is pd.DataFrame
    assert table.recommended_k == int(table.index[table["recommended"]][0])
    stab = sg.stability(sg.KMeans(3, n_init=2), X, n_boot=3, random_state=0)
    assert "ari" in stab.attrs and type(stab).__name__ == "StabilityResult"
    shown = stab.plot(names={0: "Retail", 1: "Horeca"})
    heights = [p.get_height() for p in shown.ax_.patches]
    np.testing.assert_allclose(heights, stab["jaccard"].to_numpy(), rtol=1e-12)
    levels = sorted(line.get_ydata()[0] for line in shown.ax_.lines if len(line.get_ydata()) == 2)
    assert [0.5, 0.75, 0.85] == [round(v, 2) for v in levels if v in (0.5, 0.75, 0.85)]


def test_result_reprs_fit_on_one_screen(X, km, wholesale) -> None:
    # reference: none numeric — the length of each console repr (one screen: 25 lines).
    from segmint.factor import parallel_analysis

    lines = sg.datasets.load_online_retail_sample()
    summary = sg.customer_summary(
        lines, customer="CustomerID", date="InvoiceDate", quantity="Quantity", price="UnitPrice"
    )
    ours = wholesale["Region"] != "Other"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rfm warns about ties and unmatched customers
        results = [
            sg.market_map(km, X[ours], X[~ours]),
            parallel_analysis(X, random_state=0),
            sg.abc(summary["monetary"]),
            sg.rfm(summary),
            sg.frequency_classes(summary),
            sg.abc_xyz(summary),
            sg.report(km, data=wholesale),
        ]
    for result in results:
        text = repr(result)
        assert text.startswith(type(result).__name__ + ": ")
        assert len(text.splitlines()) <= 25 and len(text) <= 2500, text
