"""The Rust thread pool survives os.fork(): a child process that fits after its parent used
segmint does not hang (rayon's pool threads do not exist in a forked child)."""

import multiprocessing as mp
import os
import sys
import threading
import time

import numpy as np
import pytest
from sklearn.cluster import KMeans as SkKMeans

import segmint


def _fit_in_child(queue):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5000, 3))
    init = X[:3].copy()
    labels = segmint.KMeans(3, init=init, n_init=1).fit(X).labels_.to_numpy()
    queue.put(labels)


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_fit_after_fork_does_not_hang():
    rng = np.random.default_rng(0)
    segmint.KMeans(4, random_state=0, n_init=1).fit(rng.normal(size=(20_000, 4)))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_fit_in_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    hung = child.is_alive()
    if hung:
        child.kill()
    assert not hung, "the forked child hung on its first parallel call"
    assert child.exitcode == 0
    labels = queue.get(timeout=5)
    # Reference: scikit-learn from the same starting centres (exact Lloyd parity).
    X = np.random.default_rng(1).normal(size=(5000, 3))
    expected = SkKMeans(3, init=X[:3].copy(), n_init=1, algorithm="lloyd").fit(X).labels_
    np.testing.assert_array_equal(labels, expected)


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_fork_while_another_thread_switches_pools():
    """Issue 19: a thread alternates n_jobs (so the pool cache is rebuilt and its lock taken
    often) while the main thread forks 200 times; no child may hang on a lock that was held at
    fork time. The 1,000-fork version runs in `make fuzz` (tests/fork_loop.py)."""
    import subprocess
    from pathlib import Path

    script = Path(__file__).with_name("fork_loop.py")
    out = subprocess.run(
        [sys.executable, str(script), "200", "20"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    assert "hung=0 failed=0" in out.stdout


def _thread_ids():
    return set(os.listdir("/proc/self/task"))


@pytest.mark.skipif(sys.platform != "linux", reason="/proc/self/task")
def test_calls_create_no_thread():
    """Issue 19: a call runs on the cached pool's threads and creates none. Creating a thread
    while another thread forks corrupts the forked child's heap with glibc (pthread_create frees
    the dynamic TLS of a reused stack after releasing the stack-cache lock, and the child frees it
    again); when every call created a helper thread, 1 child in ~4,000 of tests/fork_loop.py
    aborted with "corrupted size vs. prev_size while consolidating". Thread ids are listed while a
    second fit runs: none may be new."""
    X = np.random.default_rng(0).normal(size=(100_000, 6))

    def fit():
        segmint.KMeans(8, n_init=3, max_iter=100, tol=0, random_state=0, n_jobs=2).fit(X)

    fit()  # builds the pool of 2 threads (and warms up anything created lazily)
    before = _thread_ids()
    seen: set[str] = set()
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            seen.update(_thread_ids())
            time.sleep(0.0005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        fit()
    finally:
        stop.set()
        sampler.join()
    assert seen, "no sample taken"
    assert seen - before - {str(sampler.native_id)} == set()
