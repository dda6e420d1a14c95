"""segmint.KMeans as a scikit-learn estimator with pandas in and out: API conventions, input
handling, errors, and properties that hold for any input."""

from __future__ import annotations

import contextlib
import copy
import pickle
import re
import warnings

import joblib
import numpy as np
import pandas as pd
import polars as pl
import pytest
import sklearn.cluster
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import segmint
from segmint import InvalidInputError, InvalidTypeError

# ---------------------------------------------------------------------------------------------
# scikit-learn's estimator checks


def _expected_failed_checks(estimator):
    return {
        # Intentional: with a fixed seed, k-means++ / random seeding draws differ between
        # weight w and w repeated rows (different n, different random draws), so the fitted
        # centres differ. scikit-learn marks exactly this check as an expected failure for its
        # own KMeans, MiniBatchKMeans and BisectingKMeans (sklearn/utils/_test_common/
        # instance_generator.py: "sample_weight is not equivalent to removing/repeating
        # samples"). Weights *are* tested as repetitions from fixed centres in
        # test_weights_are_repetitions_from_fixed_centres.
        "check_sample_weight_equivalence_on_dense_data": (
            "k-means seeding with weights is not equivalent to repeated rows under a fixed seed"
        ),
    }


@parametrize_with_checks(
    [segmint.KMeans(n_clusters=3, n_init=2, max_iter=5, random_state=0)],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_weights_are_repetitions_from_fixed_centres():
    # From fixed centres the algorithm is deterministic, so integer weights must act exactly as
    # repeated rows. Labels identical; inertia and centres up to summation order (rel 1e-9).
    # reference: the same data with rows repeated by their integer weights
    X, _ = make_blobs(n_samples=600, n_features=3, centers=4, random_state=2)
    w = np.random.default_rng(0).integers(0, 4, size=len(X))
    init = X[[0, 1, 2, 3]]
    km_w = segmint.KMeans(n_clusters=4, init=init, n_init=1, tol=0.0)
    km_w.fit(X, sample_weight=w.astype(np.float64))
    km_r = segmint.KMeans(n_clusters=4, init=init, n_init=1, tol=0.0).fit(np.repeat(X, w, axis=0))
    np.testing.assert_array_equal(km_w.labels_.to_numpy()[w > 0].repeat(w[w > 0]), km_r.labels_)
    np.testing.assert_allclose(km_w.inertia_, km_r.inertia_, rtol=1e-9)
    np.testing.assert_allclose(km_w.cluster_centers_, km_r.cluster_centers_, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# pandas in, pandas out


def test_pandas_outputs(wholesale_log_std):
    X = wholesale_log_std
    # tol=0: the run ends when the labels stop changing, so every centre is its segment's mean
    km = segmint.KMeans(n_clusters=4, random_state=0, tol=0.0).fit(X)
    assert km.n_iter_ < km.max_iter

    assert isinstance(km.labels_, pd.Series)
    assert km.labels_.name == "segment"
    assert km.labels_.dtype == np.int64
    assert km.labels_.index.equals(X.index)
    assert set(km.labels_.unique()) == {0, 1, 2, 3}

    centres = km.cluster_centers_
    assert isinstance(centres, pd.DataFrame)
    assert list(centres.columns) == list(X.columns)
    assert centres.index.name == "segment"
    assert list(centres.index) == [0, 1, 2, 3]
    # Each centre is the mean of its segment (values O(1): summation order only, 1e-9 abs).
    means = X.groupby(km.labels_).mean()
    np.testing.assert_allclose(centres.to_numpy(), means.to_numpy(), rtol=1e-9, atol=1e-9)
    # inertia = Σ ‖x − c_label‖² computed directly (rel 1e-9)
    direct = ((X.to_numpy() - means.to_numpy()[km.labels_.to_numpy()]) ** 2).sum()
    np.testing.assert_allclose(km.inertia_, direct, rtol=1e-9)
    assert list(km.feature_names_in_) == list(X.columns)
    assert km.n_features_in_ == X.shape[1]

    new = X.iloc[[5, 1, 300]]
    pred = km.predict(new)
    assert isinstance(pred, pd.Series)
    assert pred.index.equals(new.index)
    assert pred.name == "segment"
    # reference: the nearest centre by brute force in numpy
    sq = ((new.to_numpy()[:, None, :] - centres.to_numpy()[None, :, :]) ** 2).sum(axis=2)
    assert pred.tolist() == sq.argmin(axis=1).tolist()

    dist = km.transform(X)
    assert isinstance(dist, pd.DataFrame)
    assert dist.index.equals(X.index)
    assert list(dist.columns) == [f"kmeans{j}" for j in range(4)]
    assert list(km.get_feature_names_out()) == list(dist.columns)
    # reference distances by brute force in numpy (O(1) values: rel 1e-9, abs 1e-12)
    brute = np.sqrt(((X.to_numpy()[:, None, :] - centres.to_numpy()[None]) ** 2).sum(axis=2))
    np.testing.assert_allclose(dist.to_numpy(), brute, rtol=1e-9, atol=1e-12)
    # the nearest centre is the label (no near-ties in this data)
    np.testing.assert_array_equal(brute.argmin(axis=1), km.labels_.to_numpy())

    fp = segmint.KMeans(n_clusters=4, random_state=0, tol=0.0).fit_predict(X)
    pd.testing.assert_series_equal(fp, km.labels_)


def test_numpy_input_gives_numpy_transform_and_default_names():
    # reference: none numeric: API contract (numpy in, numpy out, default names) checked directly
    X, _ = make_blobs(n_samples=200, n_features=3, centers=3, random_state=0)
    km = segmint.KMeans(n_clusters=3, random_state=0).fit(X)
    assert isinstance(km.labels_, pd.Series)
    assert km.labels_.index.equals(pd.RangeIndex(len(X)))
    assert list(km.cluster_centers_.columns) == ["x0", "x1", "x2"]
    assert not hasattr(km, "feature_names_in_")
    assert isinstance(km.transform(X), np.ndarray)


def test_set_output_pandas_in_pipeline(wholesale_log_std):
    # reference: scikit-learn's StandardScaler + set_output; the direct fit on the standardised
    # frame
    X = wholesale_log_std * 3.0 + 1.0
    pipe = make_pipeline(StandardScaler(), segmint.KMeans(n_clusters=3, random_state=0))
    pipe.set_output(transform="pandas")
    out = pipe.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert out.index.equals(X.index)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]
    pred = pipe.predict(X)
    assert pred.index.equals(X.index)
    # Same as fitting the standardised frame directly (StandardScaler has ddof=0, so the data
    # is the fixture up to rounding: labels equal, distances rel 1e-9).
    direct = segmint.KMeans(n_clusters=3, random_state=0).fit(wholesale_log_std)
    np.testing.assert_array_equal(pred.to_numpy(), direct.labels_.to_numpy())
    np.testing.assert_allclose(out.to_numpy(), direct.transform(wholesale_log_std), rtol=1e-9)

    # numpy in, set_output("pandas"): a frame with the estimator's feature names
    km = segmint.KMeans(n_clusters=3, random_state=0).set_output(transform="pandas")
    out = km.fit(X.to_numpy()).transform(X.to_numpy())
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]


def test_polars_input_same_labels_as_pandas(wholesale_log_std):
    # reference: segmint itself under a change that must not matter (polars instead of pandas
    # input) — an invariance check, not accuracy
    X = wholesale_log_std
    pl_frame = pl.from_pandas(X.reset_index(drop=True))
    a = segmint.KMeans(n_clusters=4, random_state=3).fit(X)
    b = segmint.KMeans(n_clusters=4, random_state=3).fit(pl_frame)
    np.testing.assert_array_equal(a.labels_.to_numpy(), b.labels_.to_numpy())
    assert list(b.feature_names_in_) == list(X.columns)
    assert a.inertia_ == b.inertia_  # same float64 data, same seed: bit-identical
    np.testing.assert_array_equal(a.predict(X).to_numpy(), b.predict(pl_frame).to_numpy())


# ---------------------------------------------------------------------------------------------
# clone, Pipeline, pickle, deepcopy, joblib


def _fitted(wholesale_log_std):
    return segmint.KMeans(n_clusters=4, random_state=0, n_init=3).fit(wholesale_log_std)


def test_clone_refits_identically(wholesale_log_std):
    # reference: segmint itself under a change that must not matter (clone and refit) — an
    # invariance check, not accuracy
    km = _fitted(wholesale_log_std)
    twin = clone(km)
    assert twin.get_params() == km.get_params()
    assert not hasattr(twin, "labels_")
    twin.fit(wholesale_log_std)
    pd.testing.assert_series_equal(twin.labels_, km.labels_)


def test_pipeline_predictions(wholesale_log_std):
    # reference: scikit-learn's StandardScaler output fitted directly
    X = wholesale_log_std
    pipe = make_pipeline(StandardScaler(), segmint.KMeans(n_clusters=4, random_state=0)).fit(X)
    direct = segmint.KMeans(n_clusters=4, random_state=0).fit(StandardScaler().fit_transform(X))
    np.testing.assert_array_equal(pipe.predict(X).to_numpy(), direct.labels_.to_numpy())
    pipe2 = pickle.loads(pickle.dumps(pipe))
    pd.testing.assert_series_equal(pipe2.predict(X), pipe.predict(X))


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "joblib"])
def test_round_trips(wholesale_log_std, tmp_path, how):
    # reference: segmint itself under a change that must not matter (pickle, deepcopy, joblib) — an
    # invariance check, not accuracy
    X = wholesale_log_std
    km = _fitted(X)
    if how == "pickle":
        other = pickle.loads(pickle.dumps(km))
    elif how == "deepcopy":
        other = copy.deepcopy(km)
    else:
        joblib.dump(km, tmp_path / "km.joblib")
        other = joblib.load(tmp_path / "km.joblib")
    assert type(other) is segmint.KMeans
    pd.testing.assert_series_equal(other.predict(X), km.predict(X))
    pd.testing.assert_series_equal(other.labels_, km.labels_)
    pd.testing.assert_frame_equal(other.cluster_centers_, km.cluster_centers_)
    pd.testing.assert_frame_equal(other.transform(X), km.transform(X))
    assert other.inertia_ == km.inertia_
    assert other.score(X) == km.score(X)


# ---------------------------------------------------------------------------------------------
# Nothing is mutated


def _exercise(km, X, w):
    km.fit(X, sample_weight=w)
    km.predict(X)
    km.transform(X)
    km.score(X, sample_weight=w)
    km.fit_predict(X, sample_weight=w)


def test_dataframe_and_weights_not_mutated(wholesale_log_std):
    # reference: none numeric: API contract (inputs unmutated) checked directly
    X = wholesale_log_std
    X.iloc[3, 2] = np.nan
    before = X.copy(deep=True)
    w = np.random.default_rng(0).integers(1, 6, size=len(X)).astype(np.float64)
    w_before = w.copy()
    for init in ("k-means++", "random", X.dropna().iloc[:3].to_numpy()):
        km = segmint.KMeans(n_clusters=3, init=init, random_state=0, missing="drop")
        _exercise(km, X, w)
    pd.testing.assert_frame_equal(X, before)
    np.testing.assert_array_equal(w, w_before)


@pytest.mark.parametrize("layout", ["C", "F", "readonly", "readonly-F", "strided", "float32"])
def test_arrays_not_mutated_and_layouts_accepted(layout):
    base, _ = make_blobs(n_samples=500, n_features=4, centers=3, random_state=0)
    if layout in ("F", "readonly-F"):
        X = np.asfortranarray(base)
    elif layout == "strided":
        X = np.repeat(base, 2, axis=1)[:, ::2]  # a non-contiguous view
    elif layout == "float32":
        X = base.astype(np.float32)
    else:
        X = base.copy()
    w = np.random.default_rng(0).integers(1, 6, size=len(X)).astype(np.float64)
    if layout.startswith("readonly"):
        X.flags.writeable = False
        w.flags.writeable = False
    X_before, w_before = X.copy(order="K"), w.copy()
    init = base[:3].copy()
    km = segmint.KMeans(n_clusters=3, init=init, n_init=1)
    _exercise(km, X, w)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(w, w_before)
    np.testing.assert_array_equal(init, base[:3])
    # Reference: scikit-learn from the same centres on the same values as float64 (segmint
    # computes in float64 whatever the input dtype). Labels equal, inertia rel 1e-9.
    ref = sklearn.cluster.KMeans(n_clusters=3, init=init, n_init=1, algorithm="lloyd")
    ref.fit(np.array(X, dtype=np.float64), sample_weight=np.array(w))
    np.testing.assert_array_equal(km.labels_.to_numpy(), ref.labels_)
    np.testing.assert_allclose(km.inertia_, ref.inertia_, rtol=1e-9)


# ---------------------------------------------------------------------------------------------
# Bad input: segmint's errors, naming the parameter or column


@pytest.fixture
def frame(wholesale_log_std):
    return wholesale_log_std.iloc[:40].copy()


def _with_nan(X):
    X = X.copy()
    X.iloc[[2, 7], X.columns.get_loc("Milk")] = np.nan
    return X


def _with_inf(X):
    X = X.copy()
    X.iloc[4, X.columns.get_loc("Frozen")] = np.inf
    return X


def _fit(X, sample_weight=None, **params):
    params.setdefault("random_state", 0)
    return lambda: segmint.KMeans(**params).fit(X, sample_weight=sample_weight)


def _predict(X_fit, X_new, **params):
    km = segmint.KMeans(n_clusters=2, random_state=0, **params).fit(X_fit)
    return lambda: km.predict(X_new)


BAD_INPUT = {
    # id: (make the call from the 40-row frame, error type, regex the message must match)
    "nan": (
        lambda X: _fit(_with_nan(X), n_clusters=2),
        InvalidInputError,
        r"'Milk' \(2 missing\)",
    ),
    "inf": (lambda X: _fit(_with_inf(X), n_clusters=2), InvalidInputError, r"'Frozen'.*inf"),
    "inf-with-drop": (
        lambda X: _fit(_with_inf(X), n_clusters=2, missing="drop"),
        InvalidInputError,
        r"'Frozen'.*inf",
    ),
    "zero-rows": (lambda X: _fit(X.iloc[:0], n_clusters=2), InvalidInputError, r"X.*0 sample"),
    "zero-columns": (
        lambda X: _fit(X.iloc[:, []], n_clusters=2),
        InvalidInputError,
        r"X.*0 feature",
    ),
    "one-row-two-clusters": (
        lambda X: _fit(X.iloc[:1], n_clusters=2),
        InvalidInputError,
        r"n_clusters",
    ),
    "n_clusters-0": (lambda X: _fit(X, n_clusters=0), InvalidInputError, r"n_clusters"),
    "n_clusters-too-many": (lambda X: _fit(X, n_clusters=41), InvalidInputError, r"n_clusters"),
    "n_clusters-float": (lambda X: _fit(X, n_clusters=2.5), InvalidInputError, r"n_clusters"),
    "text-column": (
        lambda X: _fit(X.assign(name=[f"n{i}" for i in range(len(X))]), n_clusters=2),
        InvalidTypeError,
        r"'name'",
    ),
    "string-dtype-column": (
        lambda X: _fit(X.assign(code=pd.array(["a"] * len(X), dtype="string")), n_clusters=2),
        InvalidTypeError,
        r"'code'",
    ),
    "categorical-column": (
        lambda X: _fit(X.assign(region=pd.Categorical(["a", "b"] * 20)), n_clusters=2),
        InvalidTypeError,
        r"'region'.*categorical",
    ),
    "text-array": (
        lambda X: _fit(X.to_numpy().astype(str), n_clusters=2),
        InvalidTypeError,
        r"X",
    ),
    "series": (lambda X: _fit(X["Milk"], n_clusters=2), InvalidInputError, r"X"),
    "1d-array": (lambda X: _fit(X["Milk"].to_numpy(), n_clusters=2), InvalidInputError, r"X"),
    "predict-renamed-column": (
        lambda X: _predict(X, X.rename(columns={"Grocery": "Groceries"})),
        InvalidInputError,
        r"Groceries",
    ),
    "predict-missing-column": (
        lambda X: _predict(X, X.drop(columns="Frozen")),
        InvalidInputError,
        r"Frozen",
    ),
    "predict-wrong-n-features": (
        lambda X: _predict(X.to_numpy(), X.to_numpy()[:, :4]),
        InvalidInputError,
        r"X.*4 features.*6",
    ),
    "predict-nan": (
        lambda X: _predict(X, _with_nan(X)),
        InvalidInputError,
        r"'Milk' \(2 missing\)",
    ),
    "negative-weights": (
        lambda X: _fit(X, np.r_[-1.0, np.ones(len(X) - 1)], n_clusters=2),
        InvalidInputError,
        r"sample_weight.*negative",
    ),
    "wrong-length-weights": (
        lambda X: _fit(X, np.ones(len(X) - 1), n_clusters=2),
        InvalidInputError,
        r"sample_weight",
    ),
    "nan-weights": (
        lambda X: _fit(X, np.r_[np.nan, np.ones(len(X) - 1)], n_clusters=2),
        InvalidInputError,
        r"sample_weight",
    ),
    "zero-weights": (
        lambda X: _fit(X, np.zeros(len(X)), n_clusters=2),
        InvalidInputError,
        r"sample_weight",
    ),
    "init-shape": (
        lambda X: _fit(X, n_clusters=3, init=X.to_numpy()[:2]),
        InvalidInputError,
        r"init.*\(2, 6\)",
    ),
    "init-n-features": (
        lambda X: _fit(X, n_clusters=2, init=X.to_numpy()[:2, :5]),
        InvalidInputError,
        r"init",
    ),
    "init-nan": (
        lambda X: _fit(X, n_clusters=2, init=np.full((2, 6), np.nan)),
        InvalidInputError,
        r"init",
    ),
    "init-string": (lambda X: _fit(X, n_clusters=2, init="kmeans++"), InvalidInputError, "init"),
    "n_init-0": (lambda X: _fit(X, n_clusters=2, n_init=0), InvalidInputError, r"n_init"),
    "max_iter-0": (lambda X: _fit(X, n_clusters=2, max_iter=0), InvalidInputError, r"max_iter"),
    "tol-negative": (lambda X: _fit(X, n_clusters=2, tol=-1), InvalidInputError, r"tol"),
    "tol-nan": (lambda X: _fit(X, n_clusters=2, tol=float("nan")), InvalidInputError, r"tol"),
    "tol-inf": (lambda X: _fit(X, n_clusters=2, tol=float("inf")), InvalidInputError, r"tol"),
    "missing-bogus": (
        lambda X: _fit(X, n_clusters=2, missing="bogus"),
        InvalidInputError,
        r"missing",
    ),
    "n_jobs-0": (lambda X: _fit(X, n_clusters=2, n_jobs=0), InvalidInputError, r"n_jobs"),
    "random_state-negative": (
        lambda X: _fit(X, n_clusters=2, random_state=-1),
        InvalidInputError,
        r"random_state",
    ),
    "all-rows-missing-with-drop": (
        lambda X: _fit(X.assign(Milk=np.nan), n_clusters=2, missing="drop"),
        InvalidInputError,
        r"X",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_raises_segmint_error(frame, case):
    # reference: none numeric: API contract (errors name the parameter or column) checked directly
    make, error, pattern = BAD_INPUT[case]
    call = make(frame)
    with pytest.raises(error, match=pattern) as info:
        call()
    err = info.value
    # the documented hierarchy
    assert isinstance(err, segmint.SegmintError)
    assert isinstance(err, ValueError if error is InvalidInputError else TypeError)
    assert not isinstance(err, segmint.InternalError)
    # errors survive pickling (joblib workers send them back to the parent)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert str(back) == str(err)
    assert back.what == err.what
    assert err.what is not None


# Inputs found while writing the suite that escape as non-segmint exceptions. The README promises
# InvalidInputError / InvalidTypeError naming the parameter or column for bad input.
MORE_BAD_INPUT = {
    # sklearn's feature-name check raises a plain TypeError for mixed str / int column names
    "mixed-column-name-types": (
        lambda X: _fit(X.set_axis(["a", 1, "c", "d", "e", "f"], axis=1), n_clusters=2),
        (InvalidInputError, InvalidTypeError),
        r"X",
    ),
    # np.asarray on a ragged list raises a plain ValueError
    "ragged-list": (
        lambda X: _fit([[1.0, 2.0], [3.0]], n_clusters=1),
        (InvalidInputError, InvalidTypeError),
        r"X",
    ),
    # a scalar string weight reaches float() and raises a plain ValueError
    "text-weights": (
        lambda X: _fit(X, "abc", n_clusters=2),
        (InvalidInputError, InvalidTypeError),
        r"sample_weight",
    ),
    # an integer beyond the Rust usize range raises OverflowError from the binding
    "max_iter-huge": (
        lambda X: _fit(X, n_clusters=2, max_iter=2**70),
        InvalidInputError,
        r"max_iter",
    ),
    "n_init-huge": (
        lambda X: _fit(X, n_clusters=2, n_init=2**70),
        InvalidInputError,
        r"n_init",
    ),
}


@pytest.mark.parametrize("case", list(MORE_BAD_INPUT))
def test_more_bad_input_raises_segmint_error(frame, case):
    make, error, pattern = MORE_BAD_INPUT[case]
    with pytest.raises(error, match=pattern):
        make(frame)()


def test_rust_side_errors_pickle_and_name_the_parameter(frame):
    # tol=inf passes the Python check and is rejected by the Rust core: the error is still a
    # segmint error naming the parameter, and it pickles.
    # reference: none numeric: API contract (errors pickle and name the parameter) checked directly
    with pytest.raises(InvalidInputError) as info:
        segmint.KMeans(n_clusters=2, tol=float("inf")).fit(frame)
    err = info.value
    assert err.what == "tol"
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is InvalidInputError
    assert (str(back), back.what) == (str(err), err.what)


def test_nan_message_counts_every_column(frame):
    X = _with_nan(frame)
    X.iloc[[0, 1, 2], X.columns.get_loc("Fresh")] = np.nan
    with pytest.raises(InvalidInputError) as info:
        segmint.KMeans(n_clusters=2).fit(X)
    msg = str(info.value)
    assert "'Fresh' (3 missing)" in msg
    assert "'Milk' (2 missing)" in msg
    assert "Grocery" not in msg
    assert re.search(r"missing='drop'", msg)


def test_errors_are_catchable_as_builtin_exceptions(frame):
    assert issubclass(InvalidInputError, ValueError)
    assert issubclass(InvalidTypeError, TypeError)
    with pytest.raises(ValueError):
        segmint.KMeans(n_clusters=0).fit(frame)
    with pytest.raises(TypeError):
        segmint.KMeans(n_clusters=2).fit(frame.assign(t="x"))


def test_error_pickles_with_default_what():
    # reference: none numeric: API contract (errors pickle) checked directly
    for cls in (InvalidInputError, InvalidTypeError):
        err = cls("n_clusters: bad")
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is cls
        assert str(back) == "n_clusters: bad"
        assert back.what is None


# ---------------------------------------------------------------------------------------------
# missing="drop"


def test_missing_drop_equals_fit_on_complete_rows(wholesale_log_std):
    # reference: the same fit on the complete rows only (pandas dropna)
    X = wholesale_log_std.copy()
    rng = np.random.default_rng(0)
    holes = rng.choice(len(X), size=25, replace=False)
    cols = rng.integers(0, X.shape[1], size=len(holes))
    for i, j in zip(holes, cols, strict=True):
        X.iloc[i, j] = np.nan
    complete = X.dropna()
    w = rng.integers(1, 6, size=len(X)).astype(np.float64)
    w_complete = w[X.notna().all(axis=1).to_numpy()]

    for weights, w_ref in ((None, None), (w, w_complete)):
        km = segmint.KMeans(n_clusters=4, random_state=0, missing="drop")
        km.fit(X, sample_weight=weights)
        ref = segmint.KMeans(n_clusters=4, random_state=0).fit(complete, sample_weight=w_ref)
        assert km.labels_.index.equals(X.index)
        assert (km.labels_.iloc[holes] == -1).all()
        assert km.labels_.dtype == np.int64
        pd.testing.assert_series_equal(km.labels_.drop(X.index[holes]), ref.labels_)
        # Same rows, same weights, same seed: the same computation (bit-identical).
        assert km.inertia_ == ref.inertia_
        pd.testing.assert_frame_equal(km.cluster_centers_, ref.cluster_centers_)

    pred = km.predict(X)
    assert (pred.iloc[holes] == -1).all()
    dist = km.transform(X)
    assert dist.iloc[holes].isna().all().all()
    assert dist.drop(X.index[holes]).notna().all().all()
    assert km.score(X) == ref.score(complete)


# ---------------------------------------------------------------------------------------------
# Properties over arbitrary finite inputs (hypothesis)

# Finite floats within ±1e6, including 0, subnormals and ±tiny values.
_ELEMENTS = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def _problems(draw):
    n = draw(st.integers(1, 60))
    d = draw(st.integers(1, 4))
    X = draw(arrays(np.float64, (n, d), elements=_ELEMENTS))
    if draw(st.booleans()):
        # duplicate rows: rebuild X from a few of its own rows
        idx = draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n))
        X = X[idx]
    k = draw(st.integers(1, n))
    init = draw(st.sampled_from(["k-means++", "random", "rows"]))
    if init == "rows":
        init = X[:k].copy()
    w = None
    if draw(st.booleans()):
        w = np.array(draw(st.lists(st.integers(1, 5), min_size=n, max_size=n)), dtype=np.float64)
    return X, k, init, w


_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # deterministic: the same examples on every run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _fit_quietly(X, k, init, w, seed):
    with warnings.catch_warnings():
        # fewer distinct points than clusters is allowed and warned about
        warnings.simplefilter("ignore", ConvergenceWarning)
        km = segmint.KMeans(n_clusters=k, init=init, n_init=2, random_state=seed)
        return km.fit(X, sample_weight=w)


@_SETTINGS
@given(_problems(), st.integers(0, 2**32 - 1))
def test_fit_properties(problem, seed):
    # reference: the inertia formula Σ w‖x − c_label‖² computed in NumPy from the fit's labels
    # and centres (hypothesis-generated problems); shapes and label range
    X, k, init, w = problem
    X_before = X.copy()
    km = _fit_quietly(X, k, init, w, seed)
    np.testing.assert_array_equal(X, X_before)
    labels = km.labels_.to_numpy()
    assert labels.dtype == np.int64
    assert labels.shape == (len(X),)
    assert ((labels >= 0) & (labels < k)).all()
    centres = km.cluster_centers_.to_numpy()
    assert centres.shape == (k, X.shape[1])
    assert np.isfinite(centres).all()
    # inertia = Σ w ‖x − c_label‖²: relative 1e-9 + absolute 1e-12 (summation order only)
    weights = np.ones(len(X)) if w is None else w
    direct = float(np.sum(weights * np.sum((X - centres[labels]) ** 2, axis=1)))
    assert km.inertia_ == pytest.approx(direct, rel=1e-9, abs=1e-12)


@_SETTINGS
@given(_problems(), st.integers(0, 2**32 - 1))
def test_predict_on_training_data_equals_labels(problem, seed):
    # reference: the fit's labels (predict on the training rows must give them)
    X, k, init, w = problem
    km = _fit_quietly(X, k, init, w, seed)
    np.testing.assert_array_equal(km.predict(X).to_numpy(), km.labels_.to_numpy())


_ANY_FLOAT = st.one_of(_ELEMENTS, st.just(np.nan), st.just(np.inf), st.just(-np.inf))


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(0, 8), st.integers(0, 3)), elements=_ANY_FLOAT),
    k=st.integers(-1, 10),
    init=st.sampled_from(["k-means++", "random", "bogus"]),
    missing=st.sampled_from(["raise", "drop"]),
    weights=st.one_of(st.none(), st.lists(st.floats(-1, 3) | st.just(np.nan), max_size=9)),
    n_init=st.integers(0, 3),
    max_iter=st.integers(0, 3),
)
def test_no_input_escapes_segmint_errors(X, k, init, missing, weights, n_init, max_iter):
    # The panic guard: whatever the input, a call either works or raises InvalidInputError /
    # InvalidTypeError. Never pyo3's PanicException (a BaseException), InternalError, or a
    # bare exception from numpy / scikit-learn.
    w = None if weights is None else np.array(weights, dtype=np.float64)
    km = segmint.KMeans(
        n_clusters=k, init=init, n_init=n_init, max_iter=max_iter, missing=missing, random_state=0
    )
    try:
        with warnings.catch_warnings(), contextlib.suppress(InvalidInputError, InvalidTypeError):
            warnings.simplefilter("ignore", ConvergenceWarning)
            km.fit(X, sample_weight=w)
            km.predict(X)
            km.transform(X)
            km.score(X, sample_weight=w)
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt | SystemExit):
            raise
        raise AssertionError(f"{type(e).__module__}.{type(e).__qualname__}: {e}") from e
