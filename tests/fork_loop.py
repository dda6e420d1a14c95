"""Fork stress loop (issue 19): one thread fits `KMeans(3, n_jobs=1 + i % 2)` in a loop while
the main thread forks; every child fits too and must exit within a timeout. Prints
``forks=N hung=H failed=F`` and exits 1 if any child hung or failed.

A child hangs if it waits on a lock held at fork time (the pool cache); it fails (aborts) if
its heap was corrupted: glibc's pthread_create frees a reused stack's TLS blocks after
releasing the stack-cache lock, so a fork while another thread creates a thread makes the
child's first pthread_create free them again. segmint creates no thread per call for that
reason (src/python/mod.rs, `run`).

Run: ``python tests/fork_loop.py [n_forks] [timeout_per_child_seconds]`` (``make fuzz`` runs
1,000 forks; tests/test_fork.py a bounded version)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import numpy as np

import segmint


def main(n_forks: int, timeout: float) -> int:
    X = np.random.default_rng(0).normal(size=(2000, 3))
    stop = threading.Event()

    def loop() -> None:
        i = 0
        while not stop.is_set():
            segmint.KMeans(3, n_jobs=1 + i % 2, n_init=1, random_state=i).fit(X)
            i += 1

    # Warm up in this thread first: the first fit imports modules lazily, and a module import
    # in progress in another thread at fork time leaves its (Python-level) import lock held in
    # the child, a hazard of fork() with threads that has nothing to do with the pool.
    for jobs in (1, 2):
        segmint.KMeans(3, n_jobs=jobs, n_init=1, random_state=0).fit(X)
    worker = threading.Thread(target=loop, daemon=True)
    worker.start()
    hung = failed = 0
    for f in range(n_forks):
        pid = os.fork()
        if pid == 0:  # the child: one fit with the other pool size, then leave at once
            code = 0
            try:
                segmint.KMeans(3, n_jobs=1 + f % 2, n_init=1, random_state=0).fit(X[:500])
            except BaseException:
                code = 3
            os._exit(code)
        deadline = time.monotonic() + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                failed += int(not (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0))
                break
            if time.monotonic() > deadline:
                if os.environ.get("FORK_LOOP_GDB"):  # debugging: where is the child stuck?
                    import subprocess

                    subprocess.run(
                        ["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt 30"],
                        check=False,
                    )
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                hung += 1
                break
            time.sleep(0.001)
    stop.set()
    worker.join(timeout=60)
    print(f"forks={n_forks} hung={hung} failed={failed}")
    return int(hung > 0 or failed > 0)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    t = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    sys.exit(main(n, t))
