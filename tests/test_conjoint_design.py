"""Conjoint designs: full factorials, orthogonal / D-optimal plans, choice designs and their
D-error (segmint.conjoint.design)."""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmint.conjoint.choice_design import choice_design
from segmint.conjoint.design import (
    design_efficiency,
    full_factorial,
    orthogonal_design,
)
from segmint.errors import InvalidInputError

# --------------------------------------------------------------------------------------------
# Independent reference computations
# --------------------------------------------------------------------------------------------


def effects_row(levels: list[Any], value: Any) -> list[float]:
    """Effects coding of one value, written out: 1 at its own level, -1 everywhere for the last
    level, 0 otherwise (and zeros for a missing value)."""
    if pd.isna(value):
        return [0.0] * (len(levels) - 1)
    if value == levels[-1]:
        return [-1.0] * (len(levels) - 1)
    return [1.0 if value == level else 0.0 for level in levels[:-1]]


def plan_matrix(plan: pd.DataFrame, attributes: dict[str, list[Any]]) -> np.ndarray:
    """[1, effects-coded attributes], row by row."""
    rows = []
    for _, row in plan.iterrows():
        coded = [1.0]
        for name, levels in attributes.items():
            coded += effects_row(levels, row[name])
        rows.append(coded)
    return np.array(rows)


def direct_d_efficiency(plan: pd.DataFrame, attributes: dict[str, list[Any]]) -> float:
    x = plan_matrix(plan, attributes)
    n, p = x.shape
    return 100.0 * np.linalg.det(x.T @ x) ** (1.0 / p) / n


def direct_d_error(design: pd.DataFrame, attributes: dict[str, list[Any]]) -> float:
    """MNL D-error at beta = 0, by loops over the tasks."""
    has_none = "none" in design.columns and bool(design["none"].any())
    p = sum(len(v) - 1 for v in attributes.values()) + int(has_none)
    info = np.zeros((p, p))
    keys = ["version", "task"] if "version" in design.columns else ["task"]
    n_tasks = 0
    for _, task in design.groupby(keys, sort=True):
        n_tasks += 1
        xs = []
        for _, row in task.iterrows():
            is_none = bool(row["none"]) if "none" in task.columns else False
            coded: list[float] = []
            for name, levels in attributes.items():
                coded += effects_row(levels, np.nan if is_none else row[name])
            if has_none:
                coded.append(1.0 if is_none else 0.0)
            xs.append(coded)
        x = np.array(xs)
        centred = x - x.mean(axis=0)
        for r in centred:
            info += np.outer(r, r) / len(xs)
    info /= n_tasks
    return float(np.linalg.det(np.linalg.inv(info)) ** (1.0 / p))


def cross_correlations(plan: pd.DataFrame, attributes: dict[str, list[Any]]) -> float:
    """Largest |r| between effects-coded columns of different attributes."""
    x = plan_matrix(plan, attributes)[:, 1:]
    owner = [name for name, levels in attributes.items() for _ in range(len(levels) - 1)]
    r = np.corrcoef(x, rowvar=False)
    worst = 0.0
    for a, b in itertools.combinations(range(len(owner)), 2):
        if owner[a] != owner[b]:
            worst = max(worst, abs(r[a, b]))
    return worst


def proportional(plan: pd.DataFrame, attributes: dict[str, list[Any]]) -> bool:
    """Every pair of attributes has n_ab * N == n_a * n_b (proportional frequencies)."""
    n = len(plan)
    for a, b in itertools.combinations(attributes, 2):
        table = pd.crosstab(plan[a], plan[b]).to_numpy()
        if not np.array_equal(table * n, np.outer(table.sum(axis=1), table.sum(axis=0))):
            return False
    return True


def levels_of(n: int, prefix: str = "l") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def pattern(counts: list[int]) -> dict[str, list[Any]]:
    return {f"a{j}": levels_of(n) for j, n in enumerate(counts)}


TEA: dict[str, list[Any]] = {
    "price": ["low", "medium", "high"],
    "variety": ["black", "green", "red"],
    "kind": ["bags", "granulated", "leafy"],
    "aroma": ["yes", "no"],
}

CHOICE_ATTRS: dict[str, list[Any]] = {
    "brand": ["A", "B", "C", "D"],
    "price": [10, 20, 30],
    "size": ["S", "M", "L"],
    "colour": ["red", "green"],
    "speed": [1, 2, 3, 4, 5],
    "warranty": ["none", "1y", "2y"],
}


# --------------------------------------------------------------------------------------------
# full_factorial
# --------------------------------------------------------------------------------------------


def test_full_factorial_order_levels_and_index() -> None:
    # reference: itertools-style product of the levels written in the test
    attributes: dict[str, list[Any]] = {
        "size": ["S", "L"],
        "colour": ["red", "blue", "green"],
        "fast": [True, False],
    }
    plan = full_factorial(attributes)
    expected = list(itertools.product(*attributes.values()))
    assert list(plan.itertuples(index=False, name=None)) == expected
    assert list(plan.columns) == list(attributes)
    pd.testing.assert_index_equal(plan.index, pd.RangeIndex(12))
    for name, levels in attributes.items():
        assert isinstance(plan[name].dtype, pd.CategoricalDtype)
        assert list(plan[name].cat.categories) == levels  # given order, not sorted


@pytest.mark.parametrize("counts", [[2], [2, 2], [3, 4, 2], [5, 2, 2, 3]])
def test_full_factorial_sizes(counts: list[int]) -> None:
    # reference: the product of the level counts
    plan = full_factorial(pattern(counts))
    assert plan.shape == (math.prod(counts), len(counts))
    assert not plan.duplicated().any()


# --------------------------------------------------------------------------------------------
# orthogonal_design
# --------------------------------------------------------------------------------------------

ORTHOGONAL_CASES = [
    ("2^3", pattern([2, 2, 2]), 4, True),
    ("3^4", pattern([3, 3, 3, 3]), 9, True),
    ("2^7", pattern([2] * 7), 8, True),
    ("tea", TEA, 9, False),  # the 2-level attribute is collapsed from 3 symbols: 6 / 3
    ("4,4,2,2", pattern([4, 4, 2, 2]), 16, True),
    ("2,3", pattern([2, 3]), 6, True),  # the full factorial is the smallest
    ("4^5", pattern([4] * 5), 16, True),  # five 4-level factors from a spread of GF(2)^4
]


@pytest.mark.parametrize(("label", "attributes", "runs", "balanced"), ORTHOGONAL_CASES)
def test_orthogonal_plans(
    label: str, attributes: dict[str, list[Any]], runs: int, balanced: bool
) -> None:
    # reference: orthogonality and level balance computed in NumPy from the plan (cross-
    # correlations < 1e-12, proportional frequencies)
    plan = orthogonal_design(attributes, random_state=7)
    assert len(plan) == runs, label
    assert plan.attrs["orthogonal"] is True
    assert cross_correlations(plan, attributes) < 1e-12
    assert proportional(plan, attributes)
    counts = {name: plan[name].value_counts() for name in attributes}
    for name, levels in attributes.items():
        assert (counts[name].reindex(levels) > 0).all()  # every level is used
        if balanced:
            assert counts[name].nunique() == 1
    assert plan.attrs["d_efficiency_raw"] == pytest.approx(
        direct_d_efficiency(plan, attributes), rel=1e-12
    )
    if balanced:
        assert plan.attrs["d_efficiency"] == pytest.approx(100.0, rel=1e-12)
    else:
        assert plan.attrs["d_efficiency"] < 100.0
    pd.testing.assert_index_equal(plan.index, pd.RangeIndex(runs))
    for name, levels in attributes.items():
        assert list(plan[name].cat.categories) == levels


def test_d_efficiency_of_orthogonal_balanced_plans() -> None:
    # 2-level attributes: 100; 3-level: 100 * 3^(-1/p) per attribute with effects coding as is.
    # reference: closed form for balanced orthogonal plans (100 for 2 levels, 100·3^(−1/p) per
    # 3-level attribute), relative 1e-12
    assert orthogonal_design(pattern([2] * 7), random_state=0).attrs["d_efficiency_raw"] == (
        pytest.approx(100.0, rel=1e-12)
    )
    plan = orthogonal_design(pattern([3] * 4), random_state=0)
    assert plan.attrs["d_efficiency_raw"] == pytest.approx(100.0 * 3.0 ** (-4.0 / 9.0), rel=1e-12)


def test_orthogonal_with_n_profiles_replicates() -> None:
    # reference: orthogonality and level counts computed from the plan
    attributes = pattern([3, 3, 3, 3])
    plan = orthogonal_design(attributes, n_profiles=18, random_state=3)
    assert len(plan) == 18
    assert plan.attrs["orthogonal"] is True
    assert cross_correlations(plan, attributes) < 1e-12
    assert (plan[list(attributes)].apply(pd.Series.value_counts) == 6).all().all()


def test_n_profiles_without_orthogonal_plan_is_d_optimal() -> None:
    # reference: D-efficiency computed directly in NumPy from the model matrix
    attributes = pattern([2, 2, 2])
    plan = orthogonal_design(attributes, n_profiles=6, random_state=0)
    assert len(plan) == 6
    assert plan.attrs["orthogonal"] is False  # no 6-run orthogonal plan for 2^3
    x = plan_matrix(plan, attributes)
    assert np.linalg.matrix_rank(x) == 4
    assert plan.attrs["d_efficiency_raw"] == pytest.approx(direct_d_efficiency(plan, attributes))


def test_d_optimal_fallback_beats_random_plans() -> None:
    # reference: D-efficiency computed directly in NumPy; random plans as the baseline
    attributes = {"a": levels_of(5), "b": levels_of(3), "c": levels_of(2)}
    plan = orthogonal_design(attributes, n_profiles=12, random_state=0)
    assert len(plan) == 12
    assert plan.attrs["orthogonal"] is False
    x = plan_matrix(plan, attributes)
    assert np.linalg.matrix_rank(x) == x.shape[1] == 8
    d_eff = plan.attrs["d_efficiency_raw"]
    assert d_eff == pytest.approx(direct_d_efficiency(plan, attributes), rel=1e-12)
    ff = full_factorial(attributes)
    rng = np.random.default_rng(1)
    for _ in range(30):
        random_plan = ff.iloc[rng.choice(len(ff), size=12, replace=False)]
        xr = plan_matrix(random_plan, attributes)
        random_d = 100.0 * max(np.linalg.det(xr.T @ xr), 0.0) ** (1 / 8) / 12
        assert d_eff > random_d


def test_default_size_without_orthogonal_plan() -> None:
    # reference: rank of the model matrix in NumPy
    attributes = {"a": levels_of(5), "b": levels_of(3), "c": levels_of(2)}
    plan = orthogonal_design(attributes, random_state=0)
    # p = 8 parameters; no orthogonal plan within 2p runs (25-run OA, 30-run factorial).
    assert 8 <= len(plan) <= 16
    assert plan.attrs["orthogonal"] is False
    assert np.linalg.matrix_rank(plan_matrix(plan, attributes)) == 8


def test_orthogonal_design_is_deterministic() -> None:
    # reference: segmint itself under a change that must not matter (same random_state) — an
    # invariance check, not accuracy
    for attributes, n in [(TEA, None), (pattern([5, 3, 2]), 12)]:
        a = orthogonal_design(attributes, n_profiles=n, random_state=11)
        b = orthogonal_design(attributes, n_profiles=n, random_state=11)
        pd.testing.assert_frame_equal(a, b)
        assert a.attrs == b.attrs


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(st.lists(st.integers(min_value=2, max_value=5), min_size=1, max_size=5))
def test_orthogonal_flag_and_efficiency_property(counts: list[int]) -> None:
    # reference: orthogonality, rank and D-efficiency computed directly in NumPy (hypothesis,
    # derandomized)
    attributes = pattern(counts)
    plan = orthogonal_design(attributes, random_state=0)
    p = 1 + sum(n - 1 for n in counts)
    assert len(plan) >= p
    assert plan.attrs["orthogonal"] == proportional(plan, attributes)
    assert np.linalg.matrix_rank(plan_matrix(plan, attributes)) == p
    assert plan.attrs["d_efficiency_raw"] == pytest.approx(
        direct_d_efficiency(plan, attributes), rel=1e-9
    )
    assert plan.attrs["d_efficiency"] <= 100.0 + 1e-9


# --------------------------------------------------------------------------------------------
# choice_design
# --------------------------------------------------------------------------------------------

METHODS = ["random", "balanced_overlap", "d_efficient"]


def tasks_of(design: pd.DataFrame) -> list[pd.DataFrame]:
    return [task for _, task in design.groupby(["version", "task"], sort=True)]


def assert_distinct_within_tasks(design: pd.DataFrame, names: list[str]) -> None:
    for task in tasks_of(design):
        real = task[~task["none"]] if "none" in task.columns else task
        assert not real[names].duplicated().any()


@pytest.mark.parametrize("method", METHODS)
def test_choice_design_shape_and_blocks(method: str) -> None:
    # reference: none numeric: API contract (layout of versions, tasks, alternatives) checked
    # directly
    design = choice_design(CHOICE_ATTRS, 8, 3, n_versions=3, method=method, random_state=5)
    assert list(design.columns) == ["version", "task", "alternative", *CHOICE_ATTRS]
    assert design.shape == (3 * 8 * 3, 3 + len(CHOICE_ATTRS))
    pd.testing.assert_index_equal(design.index, pd.RangeIndex(72))
    expected = list(itertools.product(range(1, 4), range(1, 9), range(1, 4)))
    assert list(design[["version", "task", "alternative"]].itertuples(False, None)) == expected
    for name, levels in CHOICE_ATTRS.items():
        assert list(design[name].cat.categories) == levels
        assert design[name].notna().all()
    assert_distinct_within_tasks(design, list(CHOICE_ATTRS))
    for _, version in design.groupby("version"):  # each version is a block of its own
        assert design_efficiency(version.drop(columns="version"))["n_parameters"] == 14


def test_random_tasks_distinct_when_few_profiles() -> None:
    attributes = {"a": ["x", "y"], "b": [1, 2]}  # 4 profiles for 3 alternatives
    design = choice_design(attributes, 30, 3, method="random", random_state=2)
    assert_distinct_within_tasks(design, ["a", "b"])


@pytest.mark.parametrize("method", ["balanced_overlap", "d_efficient"])
def test_level_balance_and_minimal_overlap(method: str) -> None:
    # reference: level counts and overlaps counted from the design
    design = choice_design(CHOICE_ATTRS, 10, 3, n_versions=2, method=method, random_state=9)
    for _, version in design.groupby("version"):
        for name in CHOICE_ATTRS:
            counts = version[name].value_counts()
            assert counts.max() - counts.min() <= 1, name  # as equal as possible
    for task in tasks_of(design):
        for name, levels in CHOICE_ATTRS.items():
            within = task[name].value_counts()
            if len(levels) >= 3:
                assert within.max() == 1, name  # no repeats when there are enough levels
            else:
                assert within.max() - within[within > 0].min() <= 1  # 2 levels, 3 alternatives
                assert (within > 0).all()


def test_balanced_overlap_repairs_identical_profiles() -> None:
    attributes = {"a": [0, 1], "b": [0, 1], "c": [0, 1]}  # every attribute has < 3 levels
    for method in ["balanced_overlap", "d_efficient"]:
        design = choice_design(attributes, 24, 3, n_versions=2, method=method, random_state=4)
        assert_distinct_within_tasks(design, list(attributes))


PROHIBITIONS: list[dict[str, Any]] = [
    {"brand": "A", "price": 10},
    {"brand": "B", "size": "L"},
    {"brand": "C", "price": 30, "size": "S"},
    {"colour": "red", "speed": 5},
]


def prohibited_rows(design: pd.DataFrame, prohibitions: list[dict[str, Any]]) -> int:
    hit = pd.Series(False, index=design.index)
    for rule in prohibitions:
        match = pd.Series(True, index=design.index)
        for name, level in rule.items():
            match &= design[name].astype(object) == level
        hit |= match
    return int(hit.sum())


@pytest.mark.parametrize("method", METHODS)
def test_prohibitions_are_respected(method: str) -> None:
    # reference: prohibited profiles counted from the design (and found in a design without
    # prohibitions)
    rules = copy.deepcopy(PROHIBITIONS)
    design = choice_design(
        CHOICE_ATTRS, 12, 4, n_versions=3, method=method, prohibitions=rules, random_state=1
    )
    assert rules == PROHIBITIONS
    assert prohibited_rows(design, PROHIBITIONS) == 0
    assert_distinct_within_tasks(design, list(CHOICE_ATTRS))
    # Without the prohibitions such profiles do turn up, so the check has teeth.
    free = choice_design(CHOICE_ATTRS, 12, 4, n_versions=3, method=method, random_state=1)
    assert prohibited_rows(free, PROHIBITIONS) > 0


def test_none_alternative() -> None:
    # reference: none numeric: API contract (the none rows) checked directly
    design = choice_design(
        CHOICE_ATTRS, 5, 2, n_versions=2, method="d_efficient", none=True, random_state=0
    )
    assert list(design.columns) == ["version", "task", "alternative", *CHOICE_ATTRS, "none"]
    assert len(design) == 2 * 5 * 3
    assert design["none"].dtype == bool
    none_rows = design[design["none"]]
    assert (none_rows["alternative"] == 3).all() and len(none_rows) == 10
    assert none_rows[list(CHOICE_ATTRS)].isna().all().all()
    assert design.loc[~design["none"], list(CHOICE_ATTRS)].notna().all().all()
    result = design_efficiency(design)
    assert result["n_parameters"] == 15  # 14 effects + NONE


@pytest.mark.parametrize("method", METHODS)
def test_choice_design_is_deterministic(method: str) -> None:
    # reference: segmint itself under a change that must not matter (same random_state) — an
    # invariance check, not accuracy
    kwargs: dict[str, Any] = {"n_versions": 2, "method": method, "none": True}
    a = choice_design(CHOICE_ATTRS, 6, 3, random_state=123, **kwargs)
    b = choice_design(CHOICE_ATTRS, 6, 3, random_state=123, **kwargs)
    pd.testing.assert_frame_equal(a, b)
    c = choice_design(CHOICE_ATTRS, 6, 3, random_state=124, **kwargs)
    assert not a.equals(c)


def test_d_efficient_beats_random_and_balanced() -> None:
    # The size named in the brief: 20 tasks x 3 alternatives x 6 attributes x 4 versions.
    # reference: D-error computed directly in NumPy for random and balanced-overlap designs
    errors = {
        method: design_efficiency(
            choice_design(CHOICE_ATTRS, 20, 3, n_versions=4, method=method, random_state=0)
        )["d_error"]
        for method in METHODS
    }
    assert errors["d_efficient"] < errors["random"]
    assert errors["d_efficient"] < errors["balanced_overlap"]


def test_unidentifiable_choice_design_raises() -> None:
    with pytest.raises(InvalidInputError, match="does not identify") as info:
        choice_design(CHOICE_ATTRS, 2, 2, random_state=0)  # 2 tasks for 14 parameters
    assert info.value.what in CHOICE_ATTRS
    assert repr(info.value.what) in str(info.value)


# --------------------------------------------------------------------------------------------
# design_efficiency
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("none", [False, True])
@pytest.mark.parametrize("method", METHODS)
def test_d_error_matches_direct_computation(method: str, none: bool) -> None:
    # reference: D-error computed directly in NumPy from the MNL information matrix, relative 1e-10
    attributes: dict[str, list[Any]] = {
        "brand": ["A", "B", "C"],
        "price": [1, 2, 3, 4],
        "eco": ["no", "yes"],
    }
    design = choice_design(
        attributes, 6, 3, n_versions=2, method=method, none=none, random_state=8
    )
    result = design_efficiency(design, attributes)
    assert result["identifiable"] is True
    assert result["unidentified"] == []
    assert result["n_parameters"] == 6 + int(none)
    assert result["d_error"] == pytest.approx(direct_d_error(design, attributes), rel=1e-10)
    # Levels inferred from the Categorical columns give the same answer.
    assert design_efficiency(design) == result


def test_d_error_of_a_hand_made_design() -> None:
    # Two tasks, one 2-level attribute: x = +1 / -1 in each task, I_s = 1, D-error 1.
    # reference: by hand: two tasks, x = ±1, information 1, D-error 1
    design = pd.DataFrame(
        {"task": [1, 1, 2, 2], "alternative": [1, 2, 1, 2], "a": ["x", "y", "y", "x"]}
    )
    assert design_efficiency(design)["d_error"] == pytest.approx(1.0, rel=1e-14)
    # Plain (non-categorical) columns: sorted levels; the order of levels does not matter here.
    assert design_efficiency(design, {"a": ["y", "x"]})["d_error"] == pytest.approx(1.0)


def test_unidentified_attributes_are_named() -> None:
    # reference: by hand: constructed designs with a constant / confounded attribute
    design = pd.DataFrame(
        {
            "task": [1, 1, 2, 2, 3, 3],
            "a": ["x", "y", "y", "x", "x", "y"],
            "b": ["p", "p", "q", "q", "p", "p"],  # constant within every task
            "c": ["u", "v", "v", "u", "v", "u"],
        }
    )
    result = design_efficiency(design)
    assert result["identifiable"] is False
    assert result["unidentified"] == ["b"]
    assert result["d_error"] == np.inf
    # a and c confounded: both are unidentified.
    confounded = design.assign(c=design["a"].map({"x": "u", "y": "v"}), b=["p", "q"] * 3)
    result = design_efficiency(confounded)
    assert result["unidentified"] == ["a", "c"]


def test_design_efficiency_bad_input() -> None:
    # reference: none numeric: API contract (errors name the column; input unmutated) checked
    # directly
    design = choice_design({"a": [1, 2, 3], "b": ["x", "y"]}, 4, 2, random_state=0)
    with pytest.raises(InvalidInputError, match="'b'") as info:
        design_efficiency(design, {"a": [1, 2, 3], "b": ["x", "z"]})
    assert info.value.what == "b"
    with pytest.raises(InvalidInputError, match="'c'"):
        design_efficiency(design, {"a": [1, 2, 3], "c": ["x", "y"]})
    with pytest.raises(InvalidInputError, match="task"):
        design_efficiency(design.drop(columns="task"))
    before = design.copy()
    design_efficiency(design)
    pd.testing.assert_frame_equal(design, before)


# --------------------------------------------------------------------------------------------
# Bad input and mutation
# --------------------------------------------------------------------------------------------

SMALL: dict[str, list[Any]] = {"a": [1, 2, 3], "b": ["x", "y"]}


@pytest.mark.parametrize(
    ("call", "what", "match"),
    [
        (lambda: full_factorial({}), "attributes", "at least one attribute"),
        (lambda: full_factorial({"a": [1]}), "a", "at least 2 levels"),
        (lambda: full_factorial({"a": ["x", "y", "x"]}), "a", "duplicate levels"),
        (lambda: orthogonal_design({"a": [1, 2], "speed": [3]}), "speed", "at least 2 levels"),
        (lambda: orthogonal_design(SMALL, n_profiles=3), "n_profiles", "at least 4"),
        (lambda: orthogonal_design(SMALL, n_profiles=6.0), "n_profiles", "integer"),  # type: ignore[arg-type]
        (lambda: choice_design(SMALL, 4, 1), "n_alternatives", "at least 2"),
        (lambda: choice_design(SMALL, 0, 2), "n_tasks", "at least 1"),
        (lambda: choice_design(SMALL, 2.5, 2), "n_tasks", "integer"),  # type: ignore[arg-type]
        (lambda: choice_design(SMALL, 4, 2, n_versions=0), "n_versions", "at least 1"),
        (lambda: choice_design(SMALL, 4, 2, method="optimal"), "method", "one of"),
        (lambda: choice_design(SMALL, 4, 2, prohibitions=[{"c": 1}]), "prohibitions", "'c'"),
        (
            lambda: choice_design(SMALL, 4, 2, prohibitions=[{"a": 4}]),
            "prohibitions",
            "4 is not a level of attribute 'a'",
        ),
        (
            lambda: choice_design(SMALL, 4, 2, prohibitions=[{"b": "x"}, {"b": "y"}]),
            "prohibitions",
            "every profile",
        ),
        (
            lambda: choice_design(SMALL, 4, 2, prohibitions=[{"a": 2}]),
            "prohibitions",
            "'a' = 2",
        ),
        (
            lambda: choice_design({"a": [1, 2], "b": [1, 2]}, 4, 5),
            "n_alternatives",
            "only 4",
        ),
        (lambda: choice_design(SMALL, 4, 2, random_state=-1), "random_state", "non-negative"),
    ],
)
def test_bad_input_names_the_parameter(call: Any, what: str, match: str) -> None:
    # reference: none numeric: API contract (errors name the parameter) checked directly
    with pytest.raises(InvalidInputError, match=match) as info:
        call()
    assert info.value.what == what
    assert what in str(info.value)


def test_inputs_are_not_mutated() -> None:
    # reference: none numeric: API contract (inputs unmutated) checked directly
    attributes: dict[str, list[Any]] = {"b": ["z", "a", "m"], "a": [3, 1, 2], "c": ["x", "y"]}
    prohibitions: list[dict[str, Any]] = [{"b": "z", "a": 3}]
    saved = copy.deepcopy((attributes, prohibitions))
    full_factorial(attributes)
    orthogonal_design(attributes, random_state=0)
    orthogonal_design(attributes, n_profiles=10, random_state=0)
    for method in METHODS:
        design = choice_design(
            attributes, 8, 3, method=method, prohibitions=prohibitions, random_state=3
        )
        design_efficiency(design, attributes)
    assert (attributes, prohibitions) == saved
    assert list(attributes) == ["b", "a", "c"]


# --------------------------------------------------------------------------------------------
# The catalogue of standard arrays (issue 16): L12, L18, L20, L24


@pytest.mark.parametrize("name", ["L12", "L18", "L20", "L24"])
def test_catalogue_arrays_are_orthogonal(name: str) -> None:
    from segmint.conjoint.design import _CATALOGUE

    array = _CATALOGUE[name]
    # reference: strength 2 written out here: every pair of columns shows every pair of
    # symbols equally often (N / (s_a s_b) times).
    n = array.shape[0]
    for a in range(array.shape[1]):
        for b in range(a + 1, array.shape[1]):
            sa, sb = array[:, a].max() + 1, array[:, b].max() + 1
            pairs = pd.Series(list(zip(array[:, a], array[:, b], strict=True))).value_counts()
            assert len(pairs) == sa * sb and (pairs == n // (sa * sb)).all(), (name, a, b)


@pytest.mark.parametrize(
    ("levels", "runs", "balanced"),
    [
        ([2] + [3] * 7, 18, True),
        ([2] * 11, 12, True),
        ([2] * 19, 20, True),
        ([2] * 20, 24, True),
        # the second 2-level attribute is a collapsed 3-level column: orthogonal, unbalanced
        ([2] * 2 + [3] * 6, 18, False),
    ],
)
def test_standard_arrays_before_the_construction(
    levels: list[int], runs: int, balanced: bool
) -> None:
    """2^1 3^7 in 18 runs (L18, not 27), 2^11 in 12 (L12, not 16): the smallest standard
    orthogonal plan (Kuhfeld's catalogue), orthogonal and balanced (D-efficiency 100)."""
    attributes = {f"a{j}": list(range(n)) for j, n in enumerate(levels)}
    plan = orthogonal_design(attributes, random_state=0)
    assert len(plan) == runs
    codes = np.column_stack([plan[f"a{j}"].to_numpy() for j in range(len(levels))])
    # reference: proportional frequencies computed here for every pair of attributes.
    for a in range(len(levels)):
        for b in range(a + 1, len(levels)):
            joint = pd.crosstab(codes[:, a], codes[:, b]).to_numpy()
            expected = np.outer(joint.sum(axis=1), joint.sum(axis=0)) / runs
            np.testing.assert_allclose(joint, expected)
    assert plan.attrs["orthogonal"]
    if balanced:
        assert plan.attrs["d_efficiency"] == pytest.approx(100.0, abs=1e-9)
