"""Progress reporting (issue 16, item 2): one mechanism for every long fit.

The kernels count steps and keep the metric in the core's progress state; the bindings hand it
to the callback registered with ``_core.set_progress_callback`` while they wait and once more
when the core returns. References: the fitted attributes of each estimator (the last metric the
callback sees must equal the fitted inertia / cost / log-likelihood / last merge height /
number of nodes, exactly: the kernels report the very numbers they return), and the counting
contract (steps never go back, the last report is complete). No timing here: the overhead is
measured in benchmarks/progress.py.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pytest

import segmint as sg
from segmint import _core
from segmint._progress import Bar, progress
from segmint.conjoint import MNL, LatentClassMNL
from segmint.datasets import make_choice_data


@contextmanager
def recorded() -> Iterator[list[tuple[int, int, float]]]:
    calls: list[tuple[int, int, float]] = []
    _core.set_progress_callback(lambda d, t, m: calls.append((d, t, m)))
    try:
        yield calls
    finally:
        _core.set_progress_callback(None)


def check_monotone(calls: list[tuple[int, int, float]]) -> None:
    assert calls, "the callback was never called"
    done = [c[0] for c in calls]
    assert done == sorted(done)
    d, t, _ = calls[-1]
    if t:
        assert d <= t


@pytest.fixture(scope="module")
def blobs() -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=5, size=(4, 3))
    return np.vstack([c + rng.normal(size=(300, 3)) for c in centres])


def test_kmeans_reports_runs_and_the_fitted_inertia(blobs: np.ndarray) -> None:
    with recorded() as calls:
        km = sg.KMeans(4, n_init=3, max_iter=50, random_state=0).fit(blobs)
    check_monotone(calls)
    done, total, metric = calls[-1]
    # reference: n_init × max_iter steps (runs that converge early count their remaining
    # iterations), the metric is the fitted inertia_ exactly
    assert total == 3 * 50
    assert done == total
    assert metric == km.inertia_


def test_kprototypes_reports_the_fitted_cost(blobs: np.ndarray) -> None:
    df = pd.DataFrame(blobs, columns=["a", "b", "c"])
    df["g"] = np.where(blobs[:, 0] > 0, "x", "y")
    with recorded() as calls:
        kp = sg.KPrototypes(3, categorical=["g"], n_init=2, random_state=0).fit(df)
    check_monotone(calls)
    # reference: the fitted cost_ (the lowest over the runs)
    assert calls[-1][2] == kp.cost_
    assert calls[-1][0] == calls[-1][1] == 2 * 100


def test_ward_reports_every_merge(blobs: np.ndarray) -> None:
    with recorded() as calls:
        w = sg.Ward(4).fit(blobs[:400])
    check_monotone(calls)
    # reference: n - 1 merges, the last one at the top of the linkage matrix
    assert calls[-1][:2] == (399, 399)
    assert calls[-1][2] == w.linkage_matrix_[-1, 2]


def test_chaid_counts_nodes() -> None:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.integers(0, 3, 2000), "b": rng.integers(0, 4, 2000)}).astype(str)
    y = (X["a"] == "1") ^ (rng.random(2000) < 0.2)
    with recorded() as calls:
        tree = sg.CHAID(max_depth=2).fit(X, y)
    check_monotone(calls)
    # reference: one step per node of the fitted tree
    assert calls[-1][0] == len(tree.tree_)
    assert calls[-1][1] == 0  # unknown total


@pytest.fixture(scope="module")
def choices() -> pd.DataFrame:
    data, _ = make_choice_data(
        n_respondents=60, n_tasks=8, n_alternatives=3, n_classes=2, random_state=4
    )
    return data


def test_mnl_reports_the_fitted_loglik(choices: pd.DataFrame) -> None:
    with recorded() as calls:
        m = MNL(linear=["price"]).fit(choices)
    check_monotone(calls)
    # reference: the fitted loglik_
    assert calls[-1][2] == m.loglik_


def test_latent_class_reports_the_fitted_loglik(choices: pd.DataFrame) -> None:
    with recorded() as calls:
        lc = LatentClassMNL(n_classes=2, n_starts=3, linear=["price"], random_state=0).fit(choices)
    check_monotone(calls)
    # reference: the fitted loglik_ (after the BHHH finish of the best start)
    assert calls[-1][2] == lc.loglik_
    assert calls[-1][0] == calls[-1][1]


def test_verbose_prints_a_bar_and_quiet_prints_nothing(
    blobs: np.ndarray, capfd: pytest.CaptureFixture[str]
) -> None:
    km = sg.KMeans(4, n_init=2, random_state=0, verbose=True).fit(blobs)
    err = capfd.readouterr().err
    assert "KMeans" in err
    # reference: the fitted inertia_, as shown (6 significant digits)
    assert f"inertia={km.inertia_:.6g}" in err.splitlines()[-1]
    sg.KMeans(4, n_init=2, random_state=0).fit(blobs)
    sg.Ward(3).fit(blobs[:100])
    out = capfd.readouterr()
    assert out.out == "" and out.err == ""


def test_verbose_does_not_change_results(blobs: np.ndarray) -> None:
    a = sg.KMeans(4, n_init=2, random_state=0).fit(blobs)
    b = sg.KMeans(4, n_init=2, random_state=0, verbose=True).fit(blobs)
    assert a.inertia_ == b.inertia_
    assert (a.labels_ == b.labels_).all()


def test_loops_over_fits_show_their_own_bar(
    blobs: np.ndarray, capfd: pytest.CaptureFixture[str]
) -> None:
    table = sg.stability(
        sg.KMeans(4, n_init=1, random_state=0, verbose=True),
        blobs[::4],
        n_boot=3,
        random_state=0,
        verbose=True,
    )
    err = capfd.readouterr().err
    assert "stability" in err and "KMeans" not in err  # inner fits are quiet
    # reference: the mean ARI of the result, as shown
    assert f"ARI={table.attrs['ari']:.6g}" in err.splitlines()[-1]
    sg.select_k(blobs[::4], ks=[2, 3], n_refs=2, random_state=0, verbose=True)
    assert "select_k" in capfd.readouterr().err


def test_bar_counts_across_core_calls() -> None:
    # Two core calls in one bar: the second call's count starts again at 0 and adds up.
    bar = Bar(False, "x", "m", None)
    for d in (0, 5, 10):
        bar(d, 10, 1.0)
    for d in (2, 10):
        bar(d, 10, 0.5)
    assert (bar.done, bar.total, bar.metric) == (20, 20, 0.5)


def test_an_error_in_the_callback_interrupts_and_unregisters(blobs: np.ndarray) -> None:
    def boom(*_: Any) -> None:
        raise KeyboardInterrupt

    big = np.tile(blobs, (200, 1))
    _core.set_progress_callback(boom)
    try:
        with pytest.raises(KeyboardInterrupt):
            sg.KMeans(4, n_init=20, random_state=0).fit(big)
    finally:
        _core.set_progress_callback(None)
    with progress(True, "quiet after", None) as bar:
        assert bar.enabled
    # reference: a fit after the interrupt gives the same inertia as one before it
    a = sg.KMeans(4, n_init=1, random_state=0).fit(blobs)
    b = sg.KMeans(4, n_init=1, random_state=0).fit(blobs)
    assert a.inertia_ == b.inertia_ and not math.isnan(a.inertia_)


def test_hb_reports_every_chain_iteration_and_the_rlh_of_its_trace() -> None:
    from sklearn.exceptions import ConvergenceWarning

    from segmint.conjoint import HierarchicalBayes

    data, _ = make_choice_data(30, 4, 3, random_state=0)
    with recorded() as calls, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short run, on purpose
        hb = HierarchicalBayes(
            linear=["price"], n_iter=200, burn_in=100, n_chains=1, random_state=0
        ).fit(data)
    check_monotone(calls)
    done, total, metric = calls[-1]
    assert done == total == 200  # one chain, every iteration counted
    # reference: RLH = exp(log-likelihood / tasks) of the last iteration in the fitted trace
    # (30 respondents × 4 tasks).
    last_ll = hb.trace_.xs(0, level="chain")["loglik"].to_numpy()[-1]
    assert metric == pytest.approx(math.exp(last_ll / 120), rel=1e-12)
