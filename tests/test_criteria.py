"""Criteria families: construction rules, selection, TOML, and the grouping of profiles (the
grouped tables must be the ungrouped ones re-indexed; personas name families in order)."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pandas as pd
import pytest

import segmint as sg
from segmint.datasets import SPEND_COLUMNS

FAMILIES = {
    "environmental": ["Channel"],
    "organisational": ["Region"],
    "individual": SPEND_COLUMNS,
}


@pytest.fixture(scope="module")
def wholesale():
    df = sg.datasets.load_wholesale()
    df.index = pd.Index([f"C{i:04d}" for i in range(len(df))], name="customer")
    spend = np.log(df[SPEND_COLUMNS])
    labels = sg.KMeans(4, random_state=0).fit((spend - spend.mean()) / spend.std()).labels_
    return df, labels


@pytest.fixture(scope="module")
def criteria():
    return sg.Criteria(**FAMILIES)


@pytest.fixture(scope="module")
def profiles(wholesale, criteria):
    df, labels = wholesale
    return sg.profile(df, labels), sg.profile(df, labels, criteria=criteria)


# --- construction ----------------------------------------------------------------------------


def test_families_order_and_other(criteria):
    # reference: the order of the families as written in the call (invariance of construction)
    assert list(criteria.families) == ["environmental", "organisational", "individual"]
    assert criteria.family_of("Milk") == "individual"
    assert criteria.family_of("Unknown") == "other"
    # Standard families first, then the extra ones in the order given; empty families dropped.
    c = sg.Criteria(individual=["b"], financial=["c"], environmental=[], tech=["d"])
    assert list(c.families) == ["individual", "financial", "tech"]
    groups = c.group(["x", "d", "b", "c", "y"])
    assert groups == {"individual": ["b"], "financial": ["c"], "tech": ["d"], "other": ["x", "y"]}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"environmental": ["a"], "individual": ["b", "a"]},
        {"organisational": ["a", "a"]},
        {"individual": ["a"], "budget": {"a": None}},
    ],
    ids=["two-families", "twice-in-one", "extra-family"],
)
def test_a_column_mapped_twice_is_an_error(kwargs):
    with pytest.raises(sg.InvalidInputError, match="'a'"):
        sg.Criteria(**kwargs)


def test_bad_names_and_orders():
    with pytest.raises(sg.InvalidInputError, match="strings"):
        sg.Criteria(individual=[1])
    with pytest.raises(sg.InvalidInputError, match="list of categories"):
        sg.Criteria(organisational={"Size": "small"})
    with pytest.raises(sg.InvalidInputError, match="distinct"):
        sg.Criteria(organisational={"Size": ["a", "a"]})


def test_pickle_and_equality():
    c = sg.Criteria(
        environmental=["Channel"], organisational={"Size": ["S", "M", "L"]}, budget=["B"]
    )
    back = pickle.loads(pickle.dumps(c))
    assert back == c
    assert back.order == {"Size": ["S", "M", "L"]}
    assert back != sg.Criteria(environmental=["Channel"])
    assert "Size" in repr(c) and "budget" in repr(c)


def test_select_and_order(wholesale):
    # reference: the input columns themselves (pandas), the order given in the call
    df, _ = wholesale
    c = sg.Criteria(organisational={"Region": ["Other", "Oporto", "Lisbon"]}, individual=["Milk"])
    org = c.select(df, "organisational")
    assert list(org.columns) == ["Region"]
    assert org["Region"].cat.ordered
    assert list(org["Region"].cat.categories) == ["Other", "Oporto", "Lisbon"]
    # same values as the input, only the order is new
    assert (org["Region"].astype(str) == df["Region"].astype(str)).all()
    other = c.select(df, "other")
    assert list(other.columns) == [col for col in df.columns if col not in ("Region", "Milk")]
    with pytest.raises(sg.InvalidInputError, match="unknown family"):
        c.select(df, "financial")
    with pytest.raises(sg.InvalidInputError, match="Milk"):
        c.select(df.drop(columns="Milk"), "individual")
    bad = sg.Criteria(organisational={"Region": ["Lisbon", "Oporto"]})
    with pytest.raises(sg.InvalidInputError, match="'Other'"):
        bad.select(df, "organisational")
    assert df["Region"].cat.ordered is False  # input untouched


def test_from_toml(tmp_path):
    path = tmp_path / "criteria.toml"
    path.write_text(
        'environmental = ["Channel"]\norganisational = ["Region", "Size"]\n'
        'individual = ["Milk"]\n\n[order]\nSize = ["small", "medium", "large"]\n'
    )
    c = sg.Criteria.from_toml(path)
    assert c == sg.Criteria(
        environmental=["Channel"],
        organisational={"Region": None, "Size": ["small", "medium", "large"]},
        individual=["Milk"],
    )
    path.write_text("environmental = [\n")
    with pytest.raises(sg.InvalidInputError, match="TOML"):
        sg.Criteria.from_toml(path)
    path.write_text('individual = ["Milk"]\n[order]\nSize = ["a", "b"]\n')
    with pytest.raises(sg.InvalidInputError, match="Size"):
        sg.Criteria.from_toml(path)


# --- grouped profiles ------------------------------------------------------------------------


def _expected_families(variables, criteria):
    return [criteria.family_of(v) for v in variables]


@pytest.mark.parametrize("table", ["numeric", "categorical", "category_index", "tests"])
def test_grouped_tables_equal_the_ungrouped_reindexed(profiles, criteria, table):
    # reference: the ungrouped profile (itself tested against scipy / pandas in test_profile.py)
    # re-indexed with pandas .loc; exact equality
    plain, grouped = (getattr(p, table) for p in profiles)
    assert grouped.index.names[0] == "family"
    inner = grouped.index.droplevel("family")
    # Reference: the ungrouped table, rows taken in the grouped order.
    pd.testing.assert_frame_equal(
        grouped.reset_index("family", drop=True), plain.loc[inner], check_names=False
    )
    assert sorted(map(str, inner)) == sorted(map(str, plain.index))  # same rows, none lost
    variables = inner.get_level_values(0)
    assert list(grouped.index.get_level_values("family")) == _expected_families(
        variables, criteria
    )
    # families appear in the order given
    seen = list(dict.fromkeys(grouped.index.get_level_values("family")))
    order = [f for f in criteria.families if f in seen]
    assert seen == order


def test_tests_order_follows_the_criteria(profiles):
    # reference: the column order of the Criteria given
    _, grouped = profiles
    assert list(grouped.tests.index.get_level_values("variable")) == [
        "Channel",
        "Region",
        *SPEND_COLUMNS,
    ]


def test_distinguishing_grouped(profiles, criteria):
    # reference: the ungrouped distinguishing tables (same rows, exact), family ranks of the
    # Criteria
    plain, grouped = profiles
    rank = {f: i for i, f in enumerate(criteria.families)}
    for seg, table in grouped.distinguishing.items():
        ref = plain.distinguishing[seg]
        # same rows as the ungrouped table (the reference), with their family
        pd.testing.assert_frame_equal(
            table.drop(columns="family").sort_values(["variable", "level"]).reset_index(drop=True),
            ref.sort_values(["variable", "level"]).reset_index(drop=True),
        )
        assert list(table["family"]) == [criteria.family_of(v) for v in table["variable"]]
        assert np.all(np.diff([rank[f] for f in table["family"]]) >= 0)
        # within a family the rows keep the ungrouped (strength) order
        for _family, rows in table.groupby("family", sort=False):
            order = [
                ref.index[(ref["variable"] == v) & (ref["level"] == lv)][0]
                for v, lv in zip(rows["variable"], rows["level"], strict=True)
            ]
            assert order == sorted(order)


def test_personas_mention_families_in_order(profiles, criteria):
    # reference: the ungrouped personas (same facts) and the Criteria's family order
    plain, grouped = profiles
    titles = [sg.Criteria.title(f) for f in criteria.families]
    n_two = 0
    for seg, text in grouped.personas.items():
        found = [(text.index(f"{t}: "), t) for t in titles if f"{t}: " in text]
        positions = [p for p, _ in found]
        assert positions == sorted(positions), text
        n_two += len(found) >= 2
        # the same facts as the ungrouped persona, only grouped
        facts_plain = set(plain.personas[seg].split(": ", 1)[1].split("; "))
        body = text.split(": ", 1)[1]
        facts = set()
        for part in body.split(" · "):
            family_title, items = part.split(": ", 1)
            assert family_title in titles
            facts.update(re.split(r", (?=[A-Z][\w]* index|mostly|often)", items))
        assert facts == facts_plain
    assert n_two >= 2  # the wholesale segments differ in channel and in spend


def test_persona_family_is_that_of_each_fact(profiles, criteria):
    # reference: Criteria.family_of of each variable named in a persona
    _, grouped = profiles
    for text in grouped.personas:
        for part in text.split(": ", 1)[1].split(" · "):
            family_title, items = part.split(": ", 1)
            for var in ["Channel", "Region", *SPEND_COLUMNS]:
                if re.search(rf"\b{var}\b", items):
                    assert sg.Criteria.title(criteria.family_of(var)) == family_title


def test_other_family_and_ordinal_order(wholesale):
    # reference: pandas crosstab(normalize='columns') shares, relative 1e-12; the order given
    df, labels = wholesale
    c = sg.Criteria(organisational={"Region": ["Other", "Oporto", "Lisbon"]}, individual=["Milk"])
    prof = sg.profile(df, labels, criteria=c)
    families = list(dict.fromkeys(prof.tests.index.get_level_values("family")))
    assert families == ["organisational", "individual", "other"]
    # the categories of an ordinal column follow the order given
    levels = list(prof.categorical.loc[("organisational", "Region")].index)
    assert levels == ["Other", "Oporto", "Lisbon"]
    # shares per segment: pandas crosstab reference
    shares = pd.crosstab(df["Region"], labels, normalize="columns")
    got = prof.categorical.loc[("organisational", "Region"), [0, 1, 2, 3]]
    np.testing.assert_allclose(
        got.to_numpy(dtype=float), shares.loc[levels].to_numpy(), rtol=1e-12
    )
    with pytest.raises(sg.InvalidInputError, match="criteria"):
        sg.profile(df, labels, criteria={"individual": ["Milk"]})


def test_grouped_profile_outputs_render(profiles):
    # reference: the ungrouped heatmap's row count (6 spend variables + 5 categories)
    import matplotlib

    matplotlib.use("Agg")
    _, grouped = profiles
    wide = grouped.to_frame()
    assert ("segment", "segment", "size") in wide.index
    shown = grouped.plot()
    # one heatmap row per numeric variable and one per category, as ungrouped
    assert shown.ax_.images[0].get_array().shape == (len(SPEND_COLUMNS) + 5, 4)
    matplotlib.pyplot.close(shown.figure_)
    assert "Segment profile" in grouped._repr_html_()


# --- names -------------------------------------------------------------------------------------


def test_names_follow_the_documented_rule(wholesale, profiles):
    # reference: pandas crosstab shares and group means (the documented naming thresholds)
    df, labels = wholesale
    plain, grouped = profiles
    names = plain.names_
    assert names.is_unique and list(names.index) == [0, 1, 2, 3]
    pd.testing.assert_series_equal(names, grouped.names_)  # same facts, same names
    pd.testing.assert_series_equal(names, sg.profile(df, labels).names_)  # deterministic
    share = pd.crosstab(labels, df["Channel"], normalize="index")  # reference shares
    overall = df["Channel"].value_counts(normalize=True)
    for seg, name in names.items():
        top = share.loc[seg].idxmax()
        if share.loc[seg, top] >= 0.5 and share.loc[seg, top] / overall[top] >= 1.2:
            assert name.startswith(str(top)), name  # Channel is the only significant category
        # numeric terms say high / low as the index of the mean (pandas reference) says
        for var in SPEND_COLUMNS:
            index = df[var][labels == seg].mean() / df[var].mean() * 100
            label = var.replace("_", " ")
            if f"high {label}" in name or f"High {label}" in name:
                assert index >= 125
            if f"low {label}" in name or f"Low {label}" in name:
                assert index <= 80


def test_names_are_made_distinct():
    # reference: planted truth: two segments share their first two terms
    # Two segments with the same dominant category and the same high variable.
    rng = np.random.default_rng(0)
    n = 300
    seg = np.repeat([0, 1, 2], n // 3)
    df = pd.DataFrame(
        {
            "kind": np.where(seg < 2, "shop", "hotel"),
            "volume": np.where(seg < 2, 100.0, 10.0) + rng.normal(0, 1, n),
            "size": np.where(seg == 0, 5.0, np.where(seg == 1, 1.0, 3.0)) + rng.normal(0, 0.1, n),
        }
    )
    names = sg.profile(df, seg).names_
    assert names.is_unique, names.tolist()


def test_rename_and_name_labels(profiles, wholesale):
    # reference: the names passed in; pandas boolean selection on the labels
    _, labels = wholesale
    plain, _ = profiles
    renamed = plain.rename({0: "Key accounts"})
    assert renamed.names_[0] == "Key accounts"
    assert list(renamed.names_[1:]) == list(plain.names_[1:])
    assert plain.names_[0] != "Key accounts"  # the original is unchanged
    assert plain.rename(["a", "b", "c", "d"]).names_.tolist() == ["a", "b", "c", "d"]
    assert plain.rename(lambda s, n: f"{s}-{n}").names_[2] == f"2-{plain.names_[2]}"
    mapped = renamed.name_labels(labels)
    assert mapped.index.equals(labels.index)
    assert (mapped[labels == 0] == "Key accounts").all()
    with pytest.raises(sg.InvalidInputError, match="two segments"):
        plain.rename({0: "x", 1: "x"})
    with pytest.raises(sg.InvalidInputError, match="no segment"):
        plain.rename({9: "x"})
    with pytest.raises(sg.InvalidInputError, match="expected 4"):
        plain.rename(["a"])


def test_names_of_generic_categories_carry_their_variable():
    # reference: planted truth: each segment is all one category of each column
    # Segment 0: exporters in region "Other" with high volume; segment 1: the rest.
    seg = np.repeat([0, 1], 100)
    df = pd.DataFrame(
        {
            "exporter": np.where(seg == 0, "yes", "no"),
            "region": np.where(seg == 0, "Other", "North"),
            "volume": np.where(seg == 0, 50.0, 10.0) + np.tile(np.linspace(-1, 1, 100), 2),
        }
    )
    names = sg.profile(df, seg).names_
    # Two category terms (a category comes before a number), each with its variable.
    assert names[0] == "Exporter yes, region Other"  # first letter capitalised
    assert names[1] == "Exporter no, North"
