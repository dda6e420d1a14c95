"""The Rust thread pool survives os.fork(): a child process that fits after its parent used
segmint does not hang (rayon's pool threads do not exist in a forked child)."""

import multiprocessing as mp
import sys

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
