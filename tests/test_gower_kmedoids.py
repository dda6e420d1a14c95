"""segmint.gower_distances and segmint.KMedoids against independent references.

Gower distances (R ``cluster::daisy`` conventions):

* ``daisy_reference`` below writes the daisy formula out in numpy, independently of segmint's
  encoding: numeric |xi − xj| / range over the non-missing values, categories 0 / 1, ordered
  categoricals by category position scaled by (max − min position observed), each variable left
  out of a pair when either value is missing, a weighted average over the variables present
  (NaN when none is). segmint must equal it to 1e-12 absolute (both are float64 and the
  distances are in [0, 1]; the only difference is the summation order).
* ``tests/data/gower_daisy_*.csv`` were produced by R itself (``tests/data/gower_daisy.R``,
  cluster 2.1.4 on R 4.2.2); a few entries are also checked against values worked out by hand.
* The ``gower`` PyPI package (float32 output, NaN counted as a mismatch) is compared at 1e-6 on
  complete data.

KMedoids: from the same initial medoids segmint runs the same algorithm as the ``kmedoids``
package's sequential FasterPAM (``kmedoids.fasterpam(..., random_state=None, n_cpu=1)``), so the
medoids, labels and the number of passes must be identical and the loss equal to 1e-12.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import gower
import kmedoids
import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from sklearn.metrics import adjusted_rand_score, pairwise_distances

import segmint
from segmint.errors import InvalidInputError

DATA = Path(__file__).resolve().parent / "data"

#: segmint vs the numpy daisy formula and vs R: float64 sums of at most ~10 terms in [0, 1].
ATOL = 1e-12

# The mixed fixture has a row that shares no variable with some others: gower_distances warns
# that those distances are NaN (checked in tests/test_hardening.py); here the values are compared.
pytestmark = pytest.mark.filterwarnings(
    "ignore:gower_distances.*share no non-missing column:UserWarning"
)
#: The gower package computes in float32 (output and the column ranges).
GOWER_PKG_ATOL = 1e-6


# ---------------------------------------------------------------------------------------------
# The reference: daisy's formula, written independently of segmint


def _kind(col: pd.Series, nominal: set[str]) -> str:
    if col.name in nominal:
        return "nominal"
    if isinstance(col.dtype, pd.CategoricalDtype):
        return "ordinal" if col.dtype.ordered else "nominal"
    if pd.api.types.is_bool_dtype(col.dtype):
        return "nominal"
    if pd.api.types.is_numeric_dtype(col.dtype):
        return "numeric"
    return "nominal"


def _interval_values(col: pd.Series, kind: str) -> np.ndarray:
    """Numbers, or the position of an ordered category among its categories; NaN = missing."""
    if kind == "ordinal":
        codes = col.cat.codes.to_numpy().astype(np.float64)
        codes[codes < 0] = np.nan
        return codes
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def daisy_reference(
    X: pd.DataFrame,
    Y: pd.DataFrame | None = None,
    *,
    weights=None,
    nominal=(),
    range_from: pd.DataFrame | None = None,
) -> np.ndarray:
    """Gower dissimilarities between the rows of X and Y (daisy's formula).

    Ranges are taken over X and Y together, or over `range_from` when given (the training data,
    for KMedoids.predict). `nominal`: columns to compare by simple matching whatever their dtype.
    """
    Y_ = X if Y is None else Y
    pool = [X] if Y is None else [X, Y]
    if range_from is not None:
        pool = [range_from]
    nominal = set(nominal)
    w = np.ones(X.shape[1]) if weights is None else np.asarray(weights, dtype=np.float64)
    num = np.zeros((len(X), len(Y_)))
    den = np.zeros((len(X), len(Y_)))
    for j, name in enumerate(X.columns):
        a, b = X[name], Y_[name]
        kind = _kind(a, nominal)
        if kind == "nominal":
            va, vb = a.to_numpy(dtype=object, copy=True), b.to_numpy(dtype=object, copy=True)
            ma, mb = pd.isna(va), pd.isna(vb)
            present = ~ma[:, None] & ~mb[None, :]
            va[ma], vb[mb] = "<missing>", "<missing>"  # pd.NA has no truth value
            d = (va[:, None] != vb[None, :]).astype(np.float64)
        else:
            va, vb = _interval_values(a, kind), _interval_values(b, kind)
            seen = np.concatenate([_interval_values(f[name], kind) for f in pool])
            seen = seen[~np.isnan(seen)]
            span = seen.max() - seen.min() if len(seen) else 0.0
            present = ~np.isnan(va)[:, None] & ~np.isnan(vb)[None, :]
            diff = np.abs(va[:, None] - vb[None, :])
            d = diff / span if span > 0 else np.zeros_like(diff)
        num += np.where(present, w[j] * d, 0.0)
        den += np.where(present, w[j], 0.0)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


# ---------------------------------------------------------------------------------------------
# Data

SIZES = ["S", "M", "L", "XL", "XXL"]  # "XXL" never occurs: the observed rank range is 3


def _mixed(n: int, seed: int, *, shift: float = 0.0, extra_levels: bool = False) -> pd.DataFrame:
    """Mixed B2B-like data with missing values of every kind (NaN, None, pd.NA) in numeric,
    nullable-integer, categorical, object and string columns."""
    rng = np.random.default_rng(seed)
    industries = ["retail", "services", "manufacturing", "public"]
    regions = ["north", "south", "east", "west"]
    if extra_levels:  # categories the first table never saw
        industries, regions = [*industries, "mining"], [*regions, "abroad"]

    def holes(values: np.ndarray, p: float, fill) -> np.ndarray:
        values = values.astype(object)
        values[rng.random(n) < p] = fill
        return values

    revenue = rng.lognormal(3.0, 1.0, n) + shift
    revenue[rng.random(n) < 0.15] = np.nan
    employees = pd.array(rng.integers(1, 500, n), dtype="Int64")
    employees[rng.random(n) < 0.1] = pd.NA
    index = pd.Index([f"c{seed}-{i:03d}" for i in range(n)], name="customer")
    frame = pd.DataFrame(
        {
            "revenue": revenue,
            "employees": employees,
            "margin": rng.normal(0.0, 5.0, n) - shift,  # negative values too
            "industry": pd.Categorical(holes(rng.choice(industries, n), 0.1, np.nan)),
            # object dtype holding None; pandas' string dtype holding NaN
            "region": pd.Series(holes(rng.choice(regions, n), 0.1, None), index, dtype=object),
            "channel": pd.Series(
                holes(rng.choice(["web", "phone", "field"], n), 0.1, None), index
            ).astype("str"),
            "size": pd.Categorical(
                holes(rng.choice(SIZES[:4], n), 0.1, np.nan), categories=SIZES, ordered=True
            ),
            "active": pd.array(holes(rng.random(n) < 0.5, 0.05, None), dtype="boolean"),
            "country": np.full(n, 7.0),  # constant: range 0, contributes 0 when present
        },
        index=index,
    )
    # A row with almost nothing: it shares no variable with rows missing "region".
    for name in frame.columns:
        frame.loc[frame.index[0], name] = "north" if name == "region" else None
    return frame


def _assert_gower_equal(ours, ref) -> None:
    ours = np.asarray(ours, dtype=np.float64)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_allclose(ours, ref, rtol=0, atol=ATOL)


# ---------------------------------------------------------------------------------------------
# gower_distances vs the daisy formula


def test_mixed_data_fixture_has_what_it_claims():
    # reference: the fixture's own construction (dtypes, missing values) and the NumPy daisy
    # formula (daisy_reference)
    X = _mixed(80, 0)
    assert X["employees"].dtype == "Int64" and X["employees"].isna().any()
    assert X["region"].map(lambda v: v is None).any()
    assert X["active"].dtype == "boolean" and X["active"].isna().any()
    assert X["region"].dtype == object and X["channel"].dtype == "str"
    assert X["channel"].isna().any() and X["industry"].isna().any() and X["size"].isna().any()
    assert X["size"].cat.ordered and "XXL" not in set(X["size"].dropna())
    # the sparse row makes at least one undefined pair
    assert np.isnan(daisy_reference(X)).any()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_daisy_formula_with_missing_values(seed):
    # reference: daisy_reference: R cluster::daisy's Gower formula in NumPy (itself checked against
    # R's saved output), absolute 1e-12
    X = _mixed(80, seed)
    ours = segmint.gower_distances(X)
    _assert_gower_equal(ours, daisy_reference(X))
    np.testing.assert_array_equal(np.diag(ours.to_numpy())[1:], 0.0)
    np.testing.assert_array_equal(ours.to_numpy(), ours.to_numpy().T)


def test_weights_array_and_dict():
    X = _mixed(70, 3)
    w = np.array([2.0, 0.5, 1.0, 3.0, 0.0, 1.5, 4.0, 0.25, 1.0])
    _assert_gower_equal(segmint.gower_distances(X, weights=w), daisy_reference(X, weights=w))
    # dict by name; columns not named keep weight 1
    given = {"revenue": 2.5, "size": 0.0, "region": 3, "active": 0.5}
    w = np.array([given.get(c, 1.0) for c in X.columns])
    _assert_gower_equal(segmint.gower_distances(X, weights=given), daisy_reference(X, weights=w))
    # equal weights change nothing
    _assert_gower_equal(
        segmint.gower_distances(X, weights=np.full(X.shape[1], 7.0)), daisy_reference(X)
    )


def test_zero_weight_on_the_only_shared_variable_is_undefined():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": ["x", "y", None]})
    ours = segmint.gower_distances(X, weights={"a": 0.0})
    ref = daisy_reference(X, weights=[0.0, 1.0])
    _assert_gower_equal(ours, ref)
    assert np.isnan(ours.loc[0, 2])  # only "a" is shared, and it weighs nothing


def test_columns_declared_categorical():
    X = _mixed(60, 4)
    ours = segmint.gower_distances(X, categorical=["employees", "margin"])
    _assert_gower_equal(ours, daisy_reference(X, nominal={"employees", "margin"}))


@pytest.mark.parametrize("seed", [5, 6])
def test_x_vs_y_ranges_over_both(seed):
    # reference: daisy_reference with ranges over X ∪ Y, absolute 1e-12
    X = _mixed(50, seed)
    # Y reaches beyond X's ranges and holds categories X never saw (a mismatch with everything)
    Y = _mixed(35, seed + 100, shift=400.0, extra_levels=True)
    Y["size"] = pd.Categorical(Y["size"], categories=SIZES, ordered=True)
    ours = segmint.gower_distances(X, Y)
    assert ours.shape == (50, 35)
    _assert_gower_equal(ours, daisy_reference(X, Y))
    # ranges over X ∪ Y: a distance computed over X alone would differ
    assert not np.allclose(
        np.nan_to_num(ours.to_numpy()),
        np.nan_to_num(daisy_reference(X, Y, range_from=X)),
    )
    # the same distances with X and Y exchanged, transposed
    _assert_gower_equal(segmint.gower_distances(Y, X).T, daisy_reference(X, Y))
    # Y's columns are taken by name
    _assert_gower_equal(segmint.gower_distances(X, Y[Y.columns[::-1]]), daisy_reference(X, Y))


def test_x_vs_itself_as_y_equals_x_alone():
    # reference: segmint itself under a change that must not matter (Y = X) — an invariance check
    X = _mixed(40, 7)
    np.testing.assert_array_equal(
        segmint.gower_distances(X, X).to_numpy(), segmint.gower_distances(X).to_numpy()
    )


def test_float32_output_is_the_float64_result_rounded():
    # reference: the float64 result rounded with NumPy's astype(float32)
    X = _mixed(60, 8)
    d64 = segmint.gower_distances(X)
    d32 = segmint.gower_distances(X, dtype="float32")
    assert isinstance(d32, pd.DataFrame)
    assert set(d32.dtypes) == {np.dtype(np.float32)}
    np.testing.assert_array_equal(d32.to_numpy(), d64.to_numpy().astype(np.float32))
    numbers = X[["revenue", "margin"]].to_numpy()
    arr = segmint.gower_distances(numbers)
    arr32 = segmint.gower_distances(numbers, dtype="float32")
    assert arr.dtype == np.float64 and arr32.dtype == np.float32
    np.testing.assert_array_equal(arr32, arr.astype(np.float32))


def test_frame_output_uses_x_and_y_index():
    # reference: none numeric: API contract (index and columns of the result) checked directly
    X = _mixed(12, 9)
    Y = _mixed(5, 10).set_axis(pd.Index(list("vwxyz"), name="prospect"))
    d = segmint.gower_distances(X, Y)
    assert isinstance(d, pd.DataFrame)
    assert d.index.equals(X.index) and d.index.name == "customer"
    assert d.columns.equals(Y.index) and d.columns.name == "prospect"
    d = segmint.gower_distances(X)
    assert d.index.equals(X.index) and d.columns.equals(X.index)


def test_numeric_array_in_array_out():
    # reference: daisy_reference on the numeric array, absolute 1e-12
    X = np.random.default_rng(11).normal(size=(30, 3))
    X[3, 1] = np.nan
    d = segmint.gower_distances(X)
    assert type(d) is np.ndarray and d.shape == (30, 30)
    _assert_gower_equal(d, daisy_reference(pd.DataFrame(X)))


def test_input_is_not_modified():
    # reference: none numeric: API contract (input unmutated) checked directly
    X = _mixed(30, 12)
    before = X.copy()
    segmint.gower_distances(X, weights={"revenue": 2.0}, categorical=["employees"])
    pd.testing.assert_frame_equal(X, before)


# ---------------------------------------------------------------------------------------------
# R's daisy itself (oracle files) and values worked out by hand


def _r_input() -> pd.DataFrame:
    x = pd.read_csv(DATA / "gower_daisy_input.csv", index_col="id")
    x["size"] = pd.Categorical(
        x["size"], categories=["small", "medium", "large", "enterprise"], ordered=True
    )
    return x


@pytest.mark.parametrize(
    ("weights", "oracle"),
    [(None, "gower_daisy_unweighted.csv"), ([2, 1, 0.5, 3, 1], "gower_daisy_weighted.csv")],
)
def test_matches_r_daisy(weights, oracle):
    # reference: R cluster::daisy's saved output (gower_daisy_*.csv), absolute 1e-12
    x = _r_input()
    expected = pd.read_csv(DATA / oracle, index_col=0, na_values="NA")
    ours = segmint.gower_distances(x, weights=weights)
    assert list(expected.index) == list(x.index) == list(expected.columns)
    _assert_gower_equal(ours, expected.to_numpy())
    # and the numpy formula agrees with R
    _assert_gower_equal(daisy_reference(x, weights=weights), expected.to_numpy())


def test_values_by_hand():
    # reference: by hand: Gower distances of named pairs of the R input
    d = segmint.gower_distances(_r_input())
    spend, employees, size = 300.25 - 33.3, 500.0 - 3.0, 2.0  # ranges (size: small..large)
    # r01 vs r05: industry and region missing in r05; size equal
    assert d.loc["r01", "r05"] == pytest.approx((25.5 / spend + 2 / employees + 0) / 3, abs=1e-15)
    # r02 vs r03: shared industry (differ), size medium vs large, region (differ)
    assert d.loc["r02", "r03"] == pytest.approx((1 + 1 / size + 1) / 3, abs=1e-15)
    # r01 vs r09: only region is shared (north vs west)
    assert d.loc["r01", "r09"] == 1.0
    # r01 vs r12: only employees (10 vs 8)
    assert d.loc["r01", "r12"] == pytest.approx(2 / employees, abs=1e-15)
    # r02 vs r12 share no variable; r12 vs itself shares employees
    assert np.isnan(d.loc["r02", "r12"]) and np.isnan(d.loc["r12", "r02"])
    assert d.loc["r12", "r12"] == 0.0
    w = segmint.gower_distances(_r_input(), weights={"spend": 2, "industry": 0.5, "size": 3})
    assert w.loc["r02", "r03"] == pytest.approx((0.5 * 1 + 3 / size + 1) / 4.5, abs=1e-15)
    assert w.loc["r01", "r05"] == pytest.approx(
        (2 * 25.5 / spend + 2 / employees + 0) / (2 + 1 + 3), abs=1e-15
    )


def test_r_oracle_script_is_shipped():
    script = (DATA / "gower_daisy.R").read_text()
    assert 'daisy(x, metric = "gower"' in script


# ---------------------------------------------------------------------------------------------
# gower_distances vs the gower package (complete data; float32)


def _complete(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "revenue": rng.lognormal(3.0, 1.0, n),
            "employees": rng.integers(1, 500, n).astype(np.float64),
            "margin": rng.normal(0.0, 5.0, n),
            "industry": rng.choice(["retail", "services", "manufacturing"], n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "active": rng.choice(["yes", "no"], n),
        }
    )


CAT_FEATURES = np.array([False, False, False, True, True, True])


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_gower_package_on_complete_data(seed):
    # reference: the gower PyPI package (float32), absolute 1e-6
    X = _complete(120, seed)
    # The gower package breaks on pandas 3 string columns: give it an object array.
    ref = gower.gower_matrix(X.to_numpy(dtype=object), cat_features=CAT_FEATURES)
    assert ref.dtype == np.float32
    np.testing.assert_allclose(segmint.gower_distances(X), ref, rtol=0, atol=GOWER_PKG_ATOL)
    w = np.array([1.0, 2.0, 0.5, 3.0, 1.5, 0.25])
    ref = gower.gower_matrix(X.to_numpy(dtype=object), weight=w, cat_features=CAT_FEATURES)
    np.testing.assert_allclose(
        segmint.gower_distances(X, weights=w), ref, rtol=0, atol=GOWER_PKG_ATOL
    )


def test_matches_gower_package_x_vs_y():
    # reference: the gower PyPI package (float32), absolute 1e-6
    X, Y = _complete(90, 2), _complete(40, 3)
    Y["revenue"] += 150.0  # beyond X's range: both take ranges over X ∪ Y
    ref = gower.gower_matrix(
        X.to_numpy(dtype=object), Y.to_numpy(dtype=object), cat_features=CAT_FEATURES
    )
    np.testing.assert_allclose(segmint.gower_distances(X, Y), ref, rtol=0, atol=GOWER_PKG_ATOL)


# ---------------------------------------------------------------------------------------------
# gower_distances: errors


def test_error_weights_wrong_length():
    X = _mixed(10, 13)
    with pytest.raises(InvalidInputError, match=r"expected 9 weights"):
        segmint.gower_distances(X, weights=[1.0, 2.0])


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_error_weights_negative_or_not_finite(bad):
    X = _mixed(10, 14)
    w = np.ones(X.shape[1])
    w[2] = bad
    with pytest.raises(InvalidInputError, match="non-negative"):
        segmint.gower_distances(X, weights=w)
    with pytest.raises(InvalidInputError, match="non-negative"):
        segmint.gower_distances(X, weights={"revenue": bad})


def test_error_weights_unknown_column():
    with pytest.raises(InvalidInputError, match="no column 'turnover'"):
        segmint.gower_distances(_mixed(10, 15), weights={"revenue": 1.0, "turnover": 2.0})


def test_error_max_memory_says_how_much_is_needed():
    X = pd.DataFrame({"a": np.arange(20_000, dtype=np.float64)})
    # 20,000² × 8 bytes = 2.98 GiB; × 4 bytes = 1.49 GiB
    with pytest.raises(InvalidInputError, match=r"needs 2\.98 GiB") as info:
        segmint.gower_distances(X, max_memory="1GiB")
    assert "20,000 × 20,000" in str(info.value) and "float32" in str(info.value)
    with pytest.raises(InvalidInputError, match=r"needs 1\.49 GiB"):
        segmint.gower_distances(X, dtype="float32", max_memory=2**30)
    with pytest.raises(InvalidInputError, match=r"needs 2\.98 GiB"):
        segmint.KMedoids(3, method="fasterpam", max_memory="2GiB").fit(X)
    with pytest.raises(InvalidInputError, match="max_memory"):
        segmint.gower_distances(X.head(5), max_memory="lots")


def test_error_infinite_values():
    X = _mixed(10, 16)
    X.loc[X.index[3], "margin"] = -np.inf
    with pytest.raises(InvalidInputError, match=r"infinite.*'margin'"):
        segmint.gower_distances(X)
    Y = _mixed(5, 17)
    Y.loc[Y.index[1], "revenue"] = np.inf
    with pytest.raises(InvalidInputError, match=r"infinite.*'revenue'"):
        segmint.gower_distances(_mixed(10, 18), Y)


def test_error_dtype():
    with pytest.raises(InvalidInputError, match="dtype"):
        segmint.gower_distances(_mixed(10, 19), dtype="float16")
    with pytest.raises(InvalidInputError, match="dtype"):
        segmint.KMedoids(2, dtype="bogus").fit(_mixed(10, 19))


def test_error_y_misses_a_column():
    X = _mixed(10, 20)
    with pytest.raises(InvalidInputError, match="'margin'"):
        segmint.gower_distances(X, X.drop(columns="margin"))


# ---------------------------------------------------------------------------------------------
# KMedoids vs the kmedoids package (same initial medoids)


def _blobs_distances(seed: int) -> tuple[np.ndarray, int, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(150, 500)), int(rng.integers(2, 10))
    X = rng.normal(size=(n, 3)) + rng.integers(0, 4, size=(n, 1)) * 3.0
    init = rng.choice(n, size=k, replace=False)
    return cdist(X, X), k, init


def _gower_matrix(seed: int) -> np.ndarray:
    return segmint.gower_distances(_mixed(300, seed).iloc[1:]).to_numpy()


def _assert_same_as_package(D, init, max_iter=100):
    ref = kmedoids.fasterpam(D, np.asarray(init).copy(), max_iter=max_iter, n_cpu=1)
    ours = segmint.KMedoids(len(init), metric="precomputed", init=init, max_iter=max_iter).fit(D)
    np.testing.assert_array_equal(ours.medoid_indices_, np.asarray(ref.medoids))
    np.testing.assert_allclose(ours.inertia_, ref.loss, rtol=1e-12, atol=0)
    assert ours.n_iter_ == ref.n_iter
    labels = ours.labels_.to_numpy()
    differ = labels != np.asarray(ref.labels)
    # Labels may differ only where a row is exactly as close to two medoids (tie-breaking).
    med = np.asarray(ref.medoids)
    rows = np.flatnonzero(differ)
    np.testing.assert_array_equal(
        D[rows, med[labels[rows]]], D[rows, med[np.asarray(ref.labels)[rows]]]
    )
    return ours, ref


@pytest.mark.parametrize("seed", range(8))
def test_same_init_same_result_as_kmedoids_package_euclidean(seed):
    # reference: kmedoids.fasterpam from the same medoids: medoids, labels, iterations, loss
    # relative 1e-12
    D, _, init = _blobs_distances(seed)
    ours, ref = _assert_same_as_package(D, init)
    # continuous data: no ties, so the labels are identical too
    np.testing.assert_array_equal(ours.labels_.to_numpy(), np.asarray(ref.labels))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("max_iter", [1, 2, 100])
def test_same_init_same_result_as_kmedoids_package_gower(seed, max_iter):
    D = _gower_matrix(seed)
    init = np.random.default_rng(100 + seed).choice(len(D), size=3 + seed, replace=False)
    _assert_same_as_package(D, init, max_iter=max_iter)


def test_same_init_categorical_only_gower_many_ties():
    # Three categorical columns, 300 rows: many identical rows, so many swaps that change the
    # loss by exactly 0. In float64 (distances are multiples of 1/3) those "changes" come out
    # as ±1e-16 rounding noise, which the kmedoids package accepts as improvements (34-68 swaps
    # between identical rows here) and segmint ignores (its guard: change < -1e-12 × loss).
    # So compare on the same matrix scaled by 3 (small integers): all sums are exact and both
    # must agree, and segmint's float result must equal its exact one.
    # reference: kmedoids.fasterpam on the same (integer-scaled) matrix from the same medoids
    X = _complete(300, 21)[["industry", "region", "active"]]
    D = segmint.gower_distances(X).to_numpy()
    exact = np.rint(3 * D)
    np.testing.assert_allclose(exact / 3, D, rtol=0, atol=1e-15)
    for seed in range(6):
        init = np.random.default_rng(seed).choice(len(D), size=5, replace=False)
        ref = kmedoids.fasterpam(exact.astype(np.int64), init.copy(), n_cpu=1)
        ours = segmint.KMedoids(5, metric="precomputed", init=init).fit(exact)
        np.testing.assert_array_equal(ours.medoid_indices_, np.asarray(ref.medoids))
        assert ours.inertia_ == ref.loss and ours.n_iter_ == ref.n_iter
        in_float = segmint.KMedoids(5, metric="precomputed", init=init).fit(D)
        np.testing.assert_array_equal(in_float.medoid_indices_, ours.medoid_indices_)
        assert in_float.inertia_ == pytest.approx(ours.inertia_ / 3, rel=1e-12)
        _assert_same_as_package(exact, init)  # labels differ only on exact ties


def test_float32_matrix_same_result_as_kmedoids_package():
    # reference: kmedoids.fasterpam on the float32 matrix: medoids, loss relative 1e-6
    D = _gower_matrix(22).astype(np.float32)
    init = np.random.default_rng(1).choice(len(D), size=4, replace=False)
    ref = kmedoids.fasterpam(D, init.copy(), n_cpu=1)
    ours = segmint.KMedoids(4, metric="precomputed", init=init, dtype="float32").fit(D)
    np.testing.assert_array_equal(ours.medoid_indices_, np.asarray(ref.medoids))
    np.testing.assert_allclose(ours.inertia_, ref.loss, rtol=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_build_init_matches_kmedoids_package(seed):
    # reference: kmedoids.fasterpam with BUILD init (loss 1e-12) and kmedoids.pam (within 1 %)
    D = _gower_matrix(30 + seed)
    k = 3 + seed
    ours = segmint.KMedoids(k, metric="precomputed", init="build").fit(D)
    fp = kmedoids.fasterpam(D, k, init="build", n_cpu=1)
    np.testing.assert_array_equal(ours.medoid_indices_, np.asarray(fp.medoids))
    np.testing.assert_allclose(ours.inertia_, fp.loss, rtol=1e-12)
    # the full PAM (best swap each step) may reach another local optimum: within 1%
    pam = kmedoids.pam(D, k, init="build")
    assert ours.inertia_ <= pam.loss * 1.01
    # BUILD is at least as good as its own result before the swaps
    assert ours.inertia_ <= kmedoids.pam_build(D, k).loss + 1e-12


def test_random_init_is_no_worse_than_one_random_start():
    # reference: kmedoids.fasterpam restarted from segmint's medoids makes no swap (a FasterPAM
    # local optimum), loss 1e-12
    D = _gower_matrix(40)
    best = segmint.KMedoids(5, metric="precomputed", init="random", n_init=8, random_state=3)
    best.fit(D)
    one = segmint.KMedoids(5, metric="precomputed", init="random", n_init=1, random_state=3)
    assert best.inertia_ <= one.fit(D).inertia_ + 1e-12
    # the result is a FasterPAM local optimum: restarting from its medoids changes nothing
    again = kmedoids.fasterpam(D, best.medoid_indices_.copy(), n_cpu=1)
    assert again.n_swap == 0
    np.testing.assert_allclose(again.loss, best.inertia_, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# KMedoids end to end


def _planted(seed: int, n: int = 600) -> tuple[pd.DataFrame, np.ndarray]:
    """Four segments in revenue / orders and in three noisy categorical columns (93% follow
    the segment), with missing values in revenue, region and size."""
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 4, n)

    def noisy(choices: list[str]) -> np.ndarray:
        keep = rng.random(n) < 0.93
        return np.where(keep, np.array(choices)[g], rng.choice(choices, n)).astype(object)

    X = pd.DataFrame(
        {
            "revenue": rng.normal(np.array([10.0, 30.0, 50.0, 70.0])[g], 4.0),
            "orders": rng.normal(np.array([5.0, 15.0, 25.0, 5.0])[g], 2.0),
            "industry": pd.Categorical(noisy(["retail", "services", "manufacturing", "public"])),
            "region": noisy(["north", "south", "east", "west"]),
            "size": pd.Categorical(
                noisy(["S", "M", "L", "XL"]), categories=["S", "M", "L", "XL"], ordered=True
            ),
        },
        index=pd.Index([f"cust{i:04d}" for i in range(n)], name="customer"),
    )
    X.loc[rng.random(n) < 0.1, "revenue"] = np.nan
    X.loc[rng.random(n) < 0.1, "region"] = None
    X.loc[rng.random(n) < 0.05, "size"] = np.nan
    return X, g


@pytest.mark.parametrize("seed", [0, 3, 6])
def test_gower_kmedoids_recovers_planted_segments(seed):
    # reference: planted segments (ARI ≥ 0.9); and the precomputed-Gower fit (consistency)
    X, truth = _planted(seed)
    model = segmint.KMedoids(4).fit(X)
    ari = adjusted_rand_score(truth, model.labels_)
    assert ari >= 0.9, ari
    # the same as clustering the precomputed Gower matrix
    pre = segmint.KMedoids(4, metric="precomputed").fit(segmint.gower_distances(X))
    np.testing.assert_array_equal(model.medoid_indices_, pre.medoid_indices_)
    np.testing.assert_array_equal(model.labels_.to_numpy(), pre.labels_.to_numpy())
    assert model.inertia_ == pytest.approx(pre.inertia_, rel=1e-12)


def test_gower_kmedoids_weights_and_categorical_are_used():
    # reference: KMedoids on daisy_reference's weighted matrix (same medoids, loss relative 1e-12)
    X, _ = _planted(1)
    w = {"revenue": 3.0, "industry": 0.5}
    model = segmint.KMedoids(4, weights=w, categorical=["orders"]).fit(X)
    D = daisy_reference(X, weights=[3.0, 1.0, 0.5, 1.0, 1.0], nominal={"orders"})
    pre = segmint.KMedoids(4, metric="precomputed").fit(D)
    np.testing.assert_array_equal(model.medoid_indices_, pre.medoid_indices_)
    assert model.inertia_ == pytest.approx(pre.inertia_, rel=1e-12)


def test_kmedoids_inertia_is_sum_of_distances_to_medoids():
    # reference: daisy_reference's matrix: labels = nearest medoid, inertia = Σ distance to it
    # (relative 1e-12)
    X, _ = _planted(2, n=300)
    model = segmint.KMedoids(4).fit(X)
    D = daisy_reference(X)
    to_medoids = D[:, model.medoid_indices_]
    np.testing.assert_array_equal(model.labels_.to_numpy(), np.argmin(to_medoids, axis=1))
    assert model.inertia_ == pytest.approx(to_medoids.min(axis=1).sum(), rel=1e-12)


def _data_with_pandas_index(seed: int = 0, n: int = 300) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)) + rng.integers(0, 3, size=(n, 1)) * 2.5


@pytest.mark.parametrize("distances", ["sklearn", "scipy"])
def test_euclidean_equals_precomputed(distances):
    # reference: the same fit on the precomputed Euclidean matrix (consistency, relative 1e-12)
    X = _data_with_pandas_index()
    D = pairwise_distances(X) if distances == "sklearn" else cdist(X, X)
    for init in ["build", np.array([3, 50, 200, 7])]:
        e = segmint.KMedoids(4, metric="euclidean", init=init).fit(X)
        p = segmint.KMedoids(4, metric="precomputed", init=init).fit(D)
        np.testing.assert_array_equal(e.medoid_indices_, p.medoid_indices_)
        np.testing.assert_array_equal(e.labels_.to_numpy(), p.labels_.to_numpy())
        assert e.inertia_ == pytest.approx(p.inertia_, rel=1e-12)


def test_predict_on_training_rows_gives_labels():
    # reference: the fit's labels (predict on the training rows must give them)
    X, _ = _planted(4)
    for model in [
        segmint.KMedoids(4).fit(X),
        segmint.KMedoids(5, init="random", n_init=3, random_state=1).fit(X),
    ]:
        pd.testing.assert_series_equal(model.predict(X), model.labels_)
    Xn = _data_with_pandas_index(1)
    model = segmint.KMedoids(3, metric="euclidean").fit(Xn)
    np.testing.assert_array_equal(model.predict(Xn).to_numpy(), model.labels_.to_numpy())
    D = cdist(Xn, Xn)
    model = segmint.KMedoids(3, metric="precomputed").fit(D)
    np.testing.assert_array_equal(model.predict(D).to_numpy(), model.labels_.to_numpy())


def test_predict_new_rows_with_unseen_category():
    X, _ = _planted(5)
    model = segmint.KMedoids(4).fit(X)
    new = pd.DataFrame(
        {
            "revenue": [12.0, 68.0, np.nan, 500.0],  # 500: beyond the training range
            "orders": [5.0, 6.0, 24.0, 15.0],
            "industry": pd.Categorical(["retail", "mining", "manufacturing", "public"]),
            "region": ["north", "abroad", None, "unknown"],
            "size": pd.Categorical(["S", "XL", "L", np.nan], categories=["S", "M", "L", "XL"]),
        },
        index=pd.Index(["p1", "p2", "p3", "p4"], name="prospect"),
    )
    new["size"] = new["size"].cat.as_ordered()
    got = model.predict(new)
    assert got.index.equals(new.index) and got.name == "segment"
    # reference: daisy distances to the medoid rows with the training ranges; an unseen
    # category is unequal to every medoid's
    medoids = X.iloc[model.medoid_indices_]
    ref = daisy_reference(new, medoids, range_from=X)
    np.testing.assert_array_equal(got.to_numpy(), np.argmin(ref, axis=1))


def test_cluster_centers_are_the_medoid_rows():
    # reference: the medoid rows of X taken with pandas
    X, _ = _planted(7)
    model = segmint.KMedoids(4).fit(X)
    centers = model.cluster_centers_
    assert centers.index.equals(pd.RangeIndex(4, name="segment"))
    expected = X.iloc[model.medoid_indices_].reset_index(drop=True)
    pd.testing.assert_frame_equal(centers.reset_index(drop=True), expected, check_index_type=False)
    # categorical columns show labels, with their dtype
    assert isinstance(centers["industry"].dtype, pd.CategoricalDtype)
    assert centers["size"].dtype == X["size"].dtype
    # medoids_ are index labels of X; each medoid is in its own segment
    assert list(model.medoids_) == list(X.index[model.medoid_indices_])
    assert all(model.labels_[m] == c for c, m in enumerate(model.medoids_))
    # a copy: changing it does not change the model
    centers.iloc[0, 0] = -1.0
    assert model.cluster_centers_.iloc[0, 0] != -1.0


def test_precomputed_frame_keeps_its_labels():
    # reference: none numeric: API contract (labels of a precomputed frame) checked directly
    X = _data_with_pandas_index(3, n=60)
    names = pd.Index([f"acct{i:02d}" for i in range(60)], name="account")
    D = pd.DataFrame(cdist(X, X), index=names, columns=names)
    model = segmint.KMedoids(3, metric="precomputed").fit(D)
    assert list(model.medoids_) == list(names[model.medoid_indices_])
    assert model.labels_.index.equals(names)
    pd.testing.assert_series_equal(model.predict(D), model.labels_)
    same = segmint.KMedoids(3, metric="precomputed").fit(D.to_numpy())
    np.testing.assert_array_equal(same.medoid_indices_, model.medoid_indices_)


def test_euclidean_cluster_centers_are_rows_of_x():
    # reference: the medoid rows of X taken with pandas
    X = pd.DataFrame(_data_with_pandas_index(2), columns=list("abcd"))
    X.index = pd.Index([f"r{i}" for i in range(len(X))])
    model = segmint.KMedoids(3, metric="euclidean").fit(X)
    np.testing.assert_array_equal(
        model.cluster_centers_.to_numpy(), X.to_numpy()[model.medoid_indices_]
    )
    assert list(model.cluster_centers_.columns) == list("abcd")
    assert list(model.medoids_) == [f"r{i}" for i in model.medoid_indices_]
    assert model.labels_.index.equals(X.index)


@pytest.mark.parametrize("init", ["build", "random"])
def test_deterministic_and_thread_independent(init):
    # reference: segmint itself under a change that must not matter (same random_state, 1 or 2
    # threads) — an invariance check, not accuracy
    X, _ = _planted(8, n=400)
    fits = [
        segmint.KMedoids(4, init=init, n_init=3, random_state=11, n_jobs=j).fit(X)
        for j in (1, 2, 1, 2)
    ]
    for other in fits[1:]:
        np.testing.assert_array_equal(other.medoid_indices_, fits[0].medoid_indices_)
        pd.testing.assert_series_equal(other.labels_, fits[0].labels_)
        assert other.inertia_ == fits[0].inertia_


def test_float32_kmedoids_close_to_float64():
    # reference: the float64 fit (float32 rounding, relative 1e-5)
    X, _ = _planted(9, n=400)
    m64 = segmint.KMedoids(4).fit(X)
    m32 = segmint.KMedoids(4, dtype="float32").fit(X)
    assert m32.inertia_ == pytest.approx(m64.inertia_, rel=1e-5)


def test_kmedoids_input_is_not_modified():
    # reference: none numeric: API contract (input unmutated) checked directly
    X, _ = _planted(10, n=200)
    before = X.copy()
    model = segmint.KMedoids(3).fit(X)
    model.predict(X)
    pd.testing.assert_frame_equal(X, before)


# ---------------------------------------------------------------------------------------------
# KMedoids: errors


def test_error_more_clusters_than_rows():
    X = _data_with_pandas_index(n=10)
    for metric, data in [("euclidean", X), ("precomputed", cdist(X, X)), ("gower", X)]:
        with pytest.raises(InvalidInputError, match=r"n_samples=10 should be >= n_clusters=11"):
            segmint.KMedoids(11, metric=metric).fit(data)


def test_error_precomputed_not_square():
    with pytest.raises(InvalidInputError, match="square"):
        segmint.KMedoids(2, metric="precomputed").fit(np.zeros((5, 4)))
    with pytest.raises(InvalidInputError, match="square"):
        segmint.KMedoids(2, metric="precomputed").fit(np.zeros(5))


@pytest.mark.parametrize(
    "init",
    [
        pytest.param([0, 0], id="repeated"),
        pytest.param([0, 10], id="too-large"),
        pytest.param([0, 1, 2], id="too-many"),
        pytest.param([1], id="too-few"),
        pytest.param([-1, 2], id="negative"),
        pytest.param(np.array([0.9, 3.2]), id="fractional"),
    ],
)
def test_error_bad_init_indices(init):
    X = _data_with_pandas_index(n=10)
    with pytest.raises(InvalidInputError, match="init"):
        segmint.KMedoids(2, metric="precomputed", init=init).fit(cdist(X, X))


def test_error_bad_parameters():
    X = _data_with_pandas_index(n=20)
    with pytest.raises(InvalidInputError, match="metric"):
        segmint.KMedoids(2, metric="bogus").fit(X)
    with pytest.raises(InvalidInputError, match="init"):
        segmint.KMedoids(2, init="bogus").fit(X)
    with pytest.raises(InvalidInputError, match="method"):
        segmint.KMedoids(2, method="pam").fit(X)
    with pytest.raises(InvalidInputError, match="n_clusters"):
        segmint.KMedoids(0).fit(X)


def test_error_precomputed_with_bad_values():
    D = cdist(*(2 * [_data_with_pandas_index(n=10)]))
    for bad in [np.nan, np.inf, -1.0]:
        E = D.copy()
        E[2, 3] = bad
        with pytest.raises(InvalidInputError, match="negative, NaN or infinite"):
            segmint.KMedoids(2, metric="precomputed").fit(E)


def test_error_gower_pair_with_nothing_in_common():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "b": [None, "x", "y", "x"]})
    with pytest.raises(InvalidInputError, match="share no non-missing column"):
        segmint.KMedoids(2).fit(X)


def test_error_euclidean_with_text_or_nan():
    X, _ = _planted(11, n=30)
    with pytest.raises(TypeError, match="industry"):
        segmint.KMedoids(2, metric="euclidean").fit(X)
    with pytest.raises(InvalidInputError, match="missing"):
        segmint.KMedoids(2, metric="euclidean").fit(X[["revenue", "orders"]])


# ---------------------------------------------------------------------------------------------
# Issue 19: hostile inputs end in a clean error or a correct result


def _run_isolated(code: str) -> subprocess.CompletedProcess:
    """Runs `code` in a fresh interpreter (an abort there cannot take the test run down)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_huge_distance_matrix_raises_memory_error_instead_of_aborting():
    # 100,000² float64 = 74.5 GiB: more than this machine has (checked below), so a clean
    # MemoryError naming the size, and exit code 0 (was: SIGABRT in the allocation).
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert ram < 100_000**2 * 8
    result = _run_isolated(
        """
        import numpy as np, pandas as pd, segmint
        X = pd.DataFrame({"a": np.arange(1e5)})
        try:
            segmint.gower_distances(X, max_memory=10**30)
        except MemoryError as e:
            print("gower", e)
        try:
            segmint.KMedoids(2, metric="euclidean", method="fasterpam", max_memory="1TiB").fit(X)
        except MemoryError as e:
            print("fasterpam", e)
        # method="auto" (the default) switches to CLARA at this size: a result, no matrix.
        km = segmint.KMedoids(2, metric="euclidean", max_memory="1TiB", random_state=0).fit(X)
        print("auto", km.method_, sorted(km.labels_.value_counts().tolist()))
        """
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "gower a 100,000 × 100,000 float64 distance matrix needs 74.51 GiB" in out
    assert "fasterpam a 100,000 × 100,000 float64 distance matrix needs 74.51 GiB" in out
    # 0..99,999 in two segments: the medoids split the line near the middle.
    assert "auto clara [" in out


def test_precomputed_sums_that_overflow_are_refused():
    D = np.array([[0, 1e308, 1e308], [1e308, 0, 1e308], [1e308, 1e308, 0]])
    with pytest.raises(InvalidInputError, match="overflow"):
        segmint.KMedoids(2, metric="precomputed").fit(D)
    # reference: by hand. The same matrix divided by its largest value works: every pair is
    # 1 apart, so the cost of two medoids is the third row's distance, 1.
    km = segmint.KMedoids(2, metric="precomputed").fit(D / 1e308)
    assert km.inertia_ == 1.0


def test_precomputed_predict_checks_the_shape():
    D = cdist(*(2 * [_data_with_pandas_index(n=10)]))
    km = segmint.KMedoids(2, metric="precomputed").fit(D)
    with pytest.raises(InvalidInputError, match=r"shape \(n, 10\)"):
        km.predict(np.zeros((2, 1)))
    with pytest.raises(InvalidInputError, match="finite"):
        km.predict(np.full((2, 10), np.nan))
    # reference: the new rows' distances to the medoids, argmin by numpy
    new = D[:3] + 0.0
    np.testing.assert_array_equal(km.predict(new), np.argmin(new[:, km.medoid_indices_], axis=1))


def test_precomputed_must_be_a_dissimilarity_matrix():
    D = cdist(*(2 * [_data_with_pandas_index(n=10)]))
    asym = D.copy()
    asym[2, 7] *= 1.01
    with pytest.raises(InvalidInputError, match=r"symmetric.*\(2, 7\)"):
        segmint.KMedoids(2, metric="precomputed").fit(asym)
    diag = D.copy()
    diag[4, 4] = 0.5
    with pytest.raises(InvalidInputError, match=r"zero diagonal.*\(4, 4\)"):
        segmint.KMedoids(2, metric="precomputed").fit(diag)
    # rounding-level asymmetry (float32 round trip of one triangle) is accepted
    close = D.copy()
    close[np.triu_indices(10, 1)] *= 1 + 1e-12
    segmint.KMedoids(2, metric="precomputed").fit(close)


def test_gower_with_subnormal_and_huge_ranges_is_finite():
    # reference: daisy's formula by hand: one numeric column, |xi − xj| / range.
    # range 5e-324 (subnormal; its reciprocal overflows): distances 0 and 1
    d = segmint.gower_distances([[5e-324], [0.0]])
    np.testing.assert_array_equal(d, [[0.0, 1.0], [1.0, 0.0]])
    # range 2e308 overflows float64: computed on halved values, distances 1 and 1/2
    d = segmint.gower_distances([[1e308], [-1e308], [0.0]])
    np.testing.assert_allclose(d, [[0, 1, 0.5], [1, 0, 0.5], [0.5, 0.5, 0]], rtol=1e-15)
    # the same through KMedoids (Gower matrix and CLARA) and predict
    X = pd.DataFrame({"a": [1e308, -1e308, 0.0, 9e307, -9e307]})
    for method in ("fasterpam", "clara"):
        km = segmint.KMedoids(2, method=method, random_state=0).fit(X)
        assert np.isfinite(km.inertia_)
        pd.testing.assert_series_equal(km.predict(X), km.labels_)


def test_mixed_type_column_names_are_a_clean_error():
    # scikit-learn's rule: feature names must all be strings; 1 and "1" also collide as text.
    X = pd.DataFrame({1: [1.0, 2, 3, 4], "b": ["a", "b", "a", "b"]})
    for fit in (
        lambda: segmint.KMedoids(2).fit(X),
        lambda: segmint.KMedoids(2, method="clara").fit(X),
        lambda: segmint.KPrototypes(2, random_state=0).fit(X),
    ):
        with pytest.raises(TypeError, match="string names"):
            fit()
    Y = pd.DataFrame({1: [1.0, 2, 3, 4], "1": ["a", "b", "a", "b"]})
    for fit in (
        lambda: segmint.gower_distances(Y),
        lambda: segmint.KMedoids(2).fit(Y),
        lambda: segmint.KPrototypes(2, random_state=0).fit(Y),
    ):
        with pytest.raises((InvalidInputError, TypeError)):
            fit()
    # gower_distances has no feature-name bookkeeping: mixed names work there.
    assert segmint.gower_distances(X).shape == (4, 4)


def test_float16_column_declared_categorical():
    X = pd.DataFrame({"a": np.array([1, 2, 1, 3], dtype=np.float16), "b": [1.0, 2, 3, 4]})
    # reference: the same column as float64 (float16 values are exact in float64)
    wide = X.astype({"a": np.float64})
    pd.testing.assert_frame_equal(
        segmint.gower_distances(X, categorical=["a"]),
        segmint.gower_distances(wide, categorical=["a"]),
    )
    np.testing.assert_array_equal(
        segmint.KMedoids(2, categorical=["a"]).fit(X).medoid_indices_,
        segmint.KMedoids(2, categorical=["a"]).fit(wide).medoid_indices_,
    )
    km = segmint.KPrototypes(2, categorical=["a"], random_state=0).fit(X)
    assert km.labels_.notna().all()
