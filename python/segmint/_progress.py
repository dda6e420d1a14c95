"""Progress bars for long fits: one mechanism for every estimator.

The Rust kernels count their steps and keep the quantity that matters (inertia, cost,
log-likelihood) in a process-wide progress state next to their interrupt checks; while a fit
runs, the bindings hand that state to the callback registered for the calling thread (every
50 ms, and once more when the core returns). :func:`progress` registers the callback of a bar:
tqdm's ``auto`` bar (a widget in Jupyter, a text bar in a terminal) when tqdm is installed, a
plain line on stderr otherwise. Python loops over fits (``stability``, ``select_k``) advance
the same bar by hand.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import _core

__all__ = ["Bar", "progress"]


class _Line:
    """A one-line text bar on stderr (without tqdm): redrawn at most every 0.2 s."""

    def __init__(self, desc: str, total: int | None) -> None:
        self.desc, self.total, self.n = desc, total, 0
        self.postfix = ""
        self._shown = 0.0
        self._t0 = time.perf_counter()

    def _draw(self, end: str = "") -> None:
        done = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        pct = f" {100 * self.n / self.total:3.0f}%" if self.total else ""
        elapsed = time.perf_counter() - self._t0
        post = f"  {self.postfix}" if self.postfix else ""
        print(f"\r{self.desc}:{pct} {done} [{elapsed:.1f}s]{post}", end=end, file=sys.stderr)
        sys.stderr.flush()

    def update(self, n: int) -> None:
        self.n += n
        now = time.perf_counter()
        if now - self._shown >= 0.2:
            self._shown = now
            self._draw()

    def set_postfix_str(self, s: str, refresh: bool = True) -> None:
        self.postfix = s

    def close(self) -> None:
        self._draw(end="\n")


def _make_bar(desc: str, total: int | None) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Line(desc, total)
    return tqdm(total=total, desc=desc, leave=True, file=sys.stderr)


class Bar:
    """A progress bar fed by the core (``__call__(done, total, metric)``) or by hand
    (:meth:`advance`). ``verbose=False`` makes every method a no-op."""

    def __init__(self, verbose: Any, desc: str, metric: str | None, total: int | None) -> None:
        self.enabled = bool(verbose)
        self.desc, self.metric_name = desc, metric
        self.total = total
        self.done = 0
        self.metric = math.nan
        self._offset = 0  # steps of earlier core calls (a fit may call the core more than once)
        self._call_done = 0
        self._bar: Any = None
        if self.enabled:
            self._bar = _make_bar(desc, total)

    def _show(self) -> None:
        if self._bar is None:
            return
        if self.total is not None and self._bar.total != self.total:
            self._bar.total = self.total
        step = self.done - self._bar.n
        if self.metric_name and not math.isnan(self.metric):
            self._bar.set_postfix_str(f"{self.metric_name}={self.metric:.6g}", refresh=False)
        if step > 0:
            self._bar.update(step)

    def __call__(self, done: int, total: int, metric: float) -> None:
        """The core's report: steps done and expected in the running call, its metric."""
        if done < self._call_done:  # a new core call: its count starts again at 0
            self._offset += self._call_done
        self._call_done = done
        if total:
            self.total = max(self.total or 0, self._offset + int(total))
        self.done = max(self.done, self._offset + int(done))
        if not math.isnan(metric):
            self.metric = float(metric)
        self._show()

    def advance(self, steps: int = 1, metric: float | None = None) -> None:
        """Counts steps made outside the core (a Python loop over fits)."""
        self.done += steps
        self._offset = self.done
        self._call_done = 0
        if metric is not None:
            self.metric = float(metric)
        self._show()

    def close(self) -> None:
        if self._bar is None:
            return
        if self.total is not None and self.done < self.total:
            # Converged before the expected number of steps: the bar ends full.
            self.done = self.total
        self._show()
        self._bar.close()
        self._bar = None


@contextmanager
def progress(
    verbose: Any,
    desc: str,
    metric: str | None = None,
    total: int | None = None,
    *,
    core: bool = True,
) -> Iterator[Bar]:
    """A :class:`Bar` registered (with ``core``) as the progress callback of this thread while
    the block runs; nothing is shown or registered when ``verbose`` is false. Loops over fits
    pass ``core=False`` and advance the bar by hand, so the fits' own reports stay out of it."""
    bar = Bar(verbose, desc, metric, total)
    if not bar.enabled:
        yield bar
        return
    _core.set_progress_callback(bar if core else None)
    ok = False
    try:
        yield bar
        ok = True
    finally:
        _core.set_progress_callback(None)
        if ok:
            bar.close()
        elif bar._bar is not None:
            bar._bar.close()
