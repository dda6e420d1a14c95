"""Shared fixtures for segmint's test suite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

#: /work/main/tests/conftest.py -> /work/main -> /work -> /work/shared/data
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

SPEND_COLUMNS = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicatessen"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder (``../shared/data`` next to the project root)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder not found: {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def wholesale_csv(shared_data: Path) -> Path:
    path = shared_data / "customers" / "wholesale_customers.csv"
    if not path.is_file():
        pytest.skip(f"wholesale data not found: {path}")
    return path


@pytest.fixture
def wholesale_log_std(wholesale_csv: Path) -> pd.DataFrame:
    """Log spend of the 440 wholesale customers, standardised (mean 0, population sd 1), on a
    string index "C0000".. so that index propagation can be checked.

    Function-scoped on purpose: tests may check the frame is not mutated."""
    raw = pd.read_csv(wholesale_csv)
    spend = np.log(raw[SPEND_COLUMNS].to_numpy(dtype=np.float64))
    std = (spend - spend.mean(axis=0)) / spend.std(axis=0, ddof=0)
    index = pd.Index([f"C{i:04d}" for i in range(len(raw))], name="customer")
    return pd.DataFrame(std, index=index, columns=SPEND_COLUMNS)


def _stdout_with_threads(script: str, threads: int) -> str:
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture(scope="session")
def stdout_with_threads() -> Callable[[str, int], str]:
    """Runs a script in a fresh interpreter with ``RAYON_NUM_THREADS`` set (the pool reads it
    once per process) and returns what it printed."""
    return _stdout_with_threads


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    """A Dask client on a 2-worker LocalCluster of processes, one thread each (the issue's
    test cluster), for the module's tests; the modules that use it skip without Dask."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture
def kill_worker_at(client, monkeypatch):  # type: ignore[no-untyped-def]
    """``kill_worker_at(n)`` arms a SIGKILL of one of `client`'s workers at the n-th gather of
    results on the client (``segmint.distributed._partitions._gather``, which every distributed
    driver goes through) and returns the gather count, ``{"n": ...}``, for the test to check that
    the fit went on past the kill."""
    from segmint import distributed as sd

    def arm(at: int) -> dict[str, int]:
        pids = client.run(os.getpid)
        victim = pids[sorted(pids)[0]]
        calls = {"n": 0}
        gather = sd._partitions._gather

        def killing_gather(c, futures):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == at:
                os.kill(victim, signal.SIGKILL)
            return gather(c, futures)

        monkeypatch.setattr(sd._partitions, "_gather", killing_gather)
        return calls

    return arm
