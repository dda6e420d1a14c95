"""Ctrl-C stops long fits (issue 16): a subprocess starts a long fit, receives SIGINT one second
in, and must raise KeyboardInterrupt promptly, leave the estimator unfitted, and then refit (on
small data, in the same process) exactly as a fresh process does."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

#: How fast an interrupt must take effect (the issue's bound).
LATENCY = 0.5

_SCRIPT = r"""
import sys, time
import numpy as np
import segmint as sg

case = sys.argv[1]
rng = np.random.default_rng(0)


def long_and_small():
    if case == "kmeans":
        X = rng.normal(size=(1_000_000, 16))
        est = sg.KMeans(8, n_init=200, tol=0, random_state=0)
        return est, (X,), (X[:2000],)
    if case == "kprototypes":
        import pandas as pd
        n = 400_000
        df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                           "c": pd.Categorical(rng.integers(0, 5, n))})
        est = sg.KPrototypes(6, n_init=500, random_state=0)
        return est, (df,), (df.head(2000),)
    if case == "kmedoids":
        X = rng.normal(size=(6000, 4))
        est = sg.KMedoids(20, metric="euclidean", n_init=50_000, random_state=0)
        return est, (X,), (X[:300],)
    if case == "hb":
        data, _ = sg.datasets.make_choice_data(1000, 12, 3, random_state=0)
        est = sg.conjoint.HierarchicalBayes(linear=["price"], n_iter=10**6, burn_in=1000,
                                            random_state=0)
        small, _ = sg.datasets.make_choice_data(40, 6, 3, random_state=1)
        return est, (data,), (small,)
    if case == "latent_class":
        data, _ = sg.datasets.make_choice_data(2000, 12, 3, n_classes=3, random_state=0)
        est = sg.conjoint.LatentClassMNL(n_classes=4, n_starts=2000, linear=["price"],
                                         random_state=0)
        small, _ = sg.datasets.make_choice_data(100, 6, 3, random_state=1)
        return est, (data,), (small,)
    raise SystemExit(f"unknown case {case}")


est, long_args, small_args = long_and_small()
SMALL = {"kmeans": {"n_init": 3}, "kprototypes": {"n_init": 3}, "kmedoids": {"n_init": 3},
         "hb": {"n_iter": 200, "burn_in": 100}, "latent_class": {"n_starts": 3}}
if sys.argv[2] == "fresh":
    est.set_params(**SMALL[case])
    import warnings
    warnings.simplefilter("ignore")
    est.fit(*small_args)
    print(repr(np.asarray(getattr(est, "labels_", getattr(est, "coef_", None))).tolist()))
    raise SystemExit(0)
print("ready", flush=True)
try:
    est.fit(*long_args)
    print("finished", flush=True)
except KeyboardInterrupt:
    stamp = time.perf_counter()
    fitted = [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]
    print(f"interrupted {stamp!r} {fitted!r}", flush=True)
est.set_params(**SMALL[case])
import warnings
warnings.simplefilter("ignore")
est.fit(*small_args)
print(repr(np.asarray(getattr(est, "labels_", getattr(est, "coef_", None))).tolist()))
"""

CASES = ["kmeans", "kprototypes", "kmedoids", "hb", "latent_class"]


@pytest.mark.parametrize("case", CASES)
def test_sigint_stops_the_fit_promptly(case: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, case, "interrupt"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    sent = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    lines = out.strip().splitlines()
    assert proc.returncode == 0, err
    assert lines[0].startswith("interrupted"), (out, err)
    _, stamp, fitted = lines[0].split(" ", 2)
    # reference: the clock of the signal's sender (CLOCK_MONOTONIC is shared by processes).
    assert float(stamp) - sent < LATENCY, f"{case}: took {float(stamp) - sent:.3f} s"
    assert fitted == "[]", f"{case}: left fitted attributes {fitted}"
    fresh = subprocess.run(
        [sys.executable, "-c", _SCRIPT, case, "fresh"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # reference: the same small fit in a fresh process (the interrupt leaves nothing behind).
    assert lines[1] == fresh.stdout.strip()
