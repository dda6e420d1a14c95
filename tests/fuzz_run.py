"""Property-based fuzzing of segmint's public entry points (issue 19).

    python tests/fuzz_run.py --examples 12            # the small profile (tests/test_fuzz.py)
    python tests/fuzz_run.py --calls 100000 --jobs 2  # `make fuzz`

The parent starts worker processes (`--worker`), each running hypothesis over a list of entry
points (tests/fuzz_entries.py) and reporting every call's outcome on stdout. A call may return,
raise ValueError / TypeError / MemoryError (segmint's InvalidInputError / InvalidTypeError
subclass them), or warn; anything else is counted:

- unexpected: another exception type (KeyError, OverflowError, InternalError, PanicException...)
- crash: the worker died (a signal such as SIGABRT or SIGSEGV); it is restarted after the entry
- hang: one call ran longer than --timeout seconds (faulthandler ends the worker), or did not
  stop when interrupted after --slow seconds
- mutation: an input differs from its deep copy after the call
- nonfinite: a result listed as must-be-finite holds inf / NaN and no warning was given
- leaked: numpy's own RuntimeWarning ("invalid value encountered ...") reached the user

Not failures, but listed with their inputs: `slow`, a call still running after --slow seconds
that stopped cleanly when the harness interrupted it (SIGALRM raises `SlowCall` the way Ctrl-C
raises KeyboardInterrupt: the bindings poll for signals and cancel the core's loops), as a
legitimately huge request does (2**31 restarts).

Before each call the worker saves it to `<cases>/current-<pid>.pkl` (the entry point's name, the
call's code and the values it closes over, and their repr); a call that hangs, crashes or is
slow is kept as `<cases>/<entry>-<kind>-<n>.pkl` and `--replay FILE` runs it again in the
foreground.

Prints a table of counts per entry point; exits 1 when an entry point outside `OTHERS` has a
non-zero count in any of those columns.
"""

from __future__ import annotations

import argparse
import copy
import faulthandler
import marshal
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import types
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FAIL = ("unexpected", "crash", "hang", "mutation", "nonfinite", "leaked")
ALLOWED = (ValueError, TypeError, MemoryError)
NUMPY_NOISE = (
    "encountered in",
    "Mean of empty slice",
    "Degrees of freedom <= 0",
    "All-NaN",
    "empty slice",
    "invalid value",
    "divide by zero",
)


class SlowCall(Exception):
    """Raised in a call by the harness's alarm after --slow seconds."""


# --- worker ------------------------------------------------------------------------------------


def _captured(call: Any) -> dict[str, Any]:
    cells = call.__closure__ or ()
    return {n: c.cell_contents for n, c in zip(call.__code__.co_freevars, cells, strict=True)}


def save_case(path: Path, name: str, case: Any) -> None:
    """Writes the call about to run (entry point, code, captured values, repr) to `path`."""
    values = _captured(case.call)
    record: dict[str, Any] = {"entry": name}
    try:
        record["code"] = marshal.dumps(case.call.__code__)
        record["values"] = pickle.dumps(values)
    except Exception as e:  # unpicklable capture: its repr is kept (slow: only then)
        record["error"] = f"{type(e).__name__}: {e}"
        record["repr"] = describe(name, values)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(record))
    os.replace(tmp, path)


def describe(name: str, values: dict[str, Any]) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' repr of 1e308 warns
        return f"{name}: " + "; ".join(
            f"{k}={repr(v).replace(chr(10), ' ')[:2000]}" for k, v in values.items()
        )


def case_text(path: Path) -> str:
    """The repr of a saved call."""
    record = pickle.loads(path.read_bytes())
    if "repr" in record:
        return str(record["repr"])
    sys.path.insert(0, str(HERE))
    import fuzz_entries  # noqa: F401 - the classes the values may refer to

    return describe(record["entry"], pickle.loads(record["values"]))


def load_case(path: Path) -> tuple[dict[str, Any], Any]:
    """The record of a saved call and the call itself (None if it could not be pickled)."""
    sys.path.insert(0, str(HERE))
    import fuzz_entries

    record = pickle.loads(path.read_bytes())
    if "code" not in record:
        return record, None
    code = marshal.loads(record["code"])
    values = pickle.loads(record["values"])
    cells = tuple(types.CellType(values[n]) for n in code.co_freevars)
    return record, types.FunctionType(code, vars(fuzz_entries), closure=cells)


def replay(path: Path) -> int:
    record, call = load_case(path)
    print(case_text(path))
    if call is None:
        print("not replayable:", record.get("error"))
        return 1
    t0 = time.perf_counter()
    try:
        result = call()
    except BaseException as e:
        print(f"raised {type(e).__name__}: {e}")
    else:
        print(f"returned {type(result).__name__}")
    print(f"{time.perf_counter() - t0:.2f} s")
    return 0


def _same(a: Any, b: Any) -> bool:
    import numpy as np
    import pandas as pd

    if isinstance(a, pd.DataFrame | pd.Series):
        return (
            type(a) is type(b)
            and a.shape == b.shape
            and a.index.equals(b.index)
            and (not isinstance(a, pd.DataFrame) or list(a.dtypes) == list(b.dtypes))
            and (not isinstance(a, pd.DataFrame) or a.columns.equals(b.columns))
            and a.equals(b)
        )
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind == "O":
            return all(_same(x, y) for x, y in zip(a.ravel(), b.ravel(), strict=True))
        if a.dtype.kind in "fc":
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.array_equal(a, b))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    try:
        return bool(a == b) or repr(a) == repr(b)
    except Exception:
        return repr(a) == repr(b)


def _finite(values: list[Any]) -> bool:
    import numpy as np
    import pandas as pd

    for v in values:
        if isinstance(v, pd.DataFrame | pd.Series):
            v = v.to_numpy()
        try:
            arr = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            continue
        if not np.isfinite(arr).all():
            return False
    return True


def _show(inputs: list[Any]) -> str:
    return " | inputs: " + "; ".join(repr(x).replace("\n", " ")[:300] for x in inputs)


def run_case(case: Any) -> tuple[str, str]:
    """One call: (category, detail)."""
    category, detail = _run_case(case)
    if category.split("+")[0] in FAIL:
        detail += _show(case.inputs)
    return category, detail


def _run_case(case: Any) -> tuple[str, str]:
    before = [copy.deepcopy(x) for x in case.inputs]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = case.call()
        except ALLOWED as e:
            outcome = ("clean", type(e).__name__)
            result = None
        except (KeyboardInterrupt, SystemExit, SlowCall):
            raise
        except BaseException as e:
            tb = traceback.extract_tb(e.__traceback__)[-1]
            return "unexpected", f"{type(e).__name__}: {str(e)[:160]} @ {tb.name}:{tb.lineno}"
        else:
            outcome = ("ok", "")
    for x, y in zip(case.inputs, before, strict=True):
        if not _same(x, y):
            return "mutation", f"{type(x).__name__} changed"
    leaked = [w for w in caught if any(s in str(w.message) for s in NUMPY_NOISE)]
    if leaked:
        w = leaked[0]
        return (
            "leaked",
            f"{w.category.__name__}: {str(w.message)[:120]} @ {Path(w.filename).name}:{w.lineno}",
        )
    if outcome[0] == "ok" and not caught:
        try:
            ok = _finite(case.finite(result))
        except Exception as e:
            return "unexpected", f"in result: {type(e).__name__}: {str(e)[:120]}"
        if not ok:
            return "nonfinite", "inf/NaN without a warning"
    if caught:
        return outcome[0] + "+warn", outcome[1]
    return outcome


def _alarm(signum: int, frame: Any) -> None:
    raise SlowCall()


def worker(
    names: list[str], examples: int, timeout: float, seed: int, slow: float, cases: Path
) -> None:
    sys.path.insert(0, str(HERE))
    import fuzz_strategies  # noqa: F401 - registers the profiles
    from fuzz_entries import ENTRIES
    from hypothesis import Phase, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    out = sys.stdout
    current = cases / f"current-{os.getpid()}.pkl"
    kept: Counter = Counter()
    signal.signal(signal.SIGALRM, _alarm)

    def prop_for(name: str, entry: Any) -> Any:
        @hseed(seed)
        @settings(settings.get_profile("fuzz"), max_examples=examples, phases=[Phase.generate])
        @given(st.data())
        def prop(data: Any) -> None:
            try:
                case = entry(data.draw)
            except Exception as e:
                out.write(f"R\t{name}\tharness\t{type(e).__name__}: {e}\n")
                return
            save_case(current, name, case)
            faulthandler.dump_traceback_later(timeout, exit=True)
            signal.setitimer(signal.ITIMER_REAL, slow)
            t0 = time.perf_counter()
            try:
                category, detail = run_case(case)
            except SlowCall:
                text = case_text(current)
                category, detail = "slow", f"interrupted after {slow:g} s | inputs: {text}"
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                faulthandler.cancel_dump_traceback_later()
            if category.split("+")[0] in (*FAIL, "slow"):
                kept[name, category] += 1
                path = cases / f"{_slug(name)}-{category}-{kept[name, category]}.pkl"
                if kept[name, category] <= 20:
                    shutil.copy(current, path)
                    detail += f" | saved: {path}"
            out.write(
                f"R\t{name}\t{category}\t{detail}\t{time.perf_counter() - t0:.4f}\n".replace(
                    "\r", " "
                )
            )
            out.flush()

        return prop

    for name in names:
        out.write(f"B\t{name}\t{os.getpid()}\n")
        out.flush()
        prop_for(name, ENTRIES[name])()
        out.write(f"E\t{name}\n")
        out.flush()


# --- parent --------------------------------------------------------------------------------------


first_input: dict[Any, str] = {}
seconds: Counter = Counter()


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def run_worker(
    names: list[str],
    examples: int,
    timeout: float,
    seed: int,
    slow: float,
    cases: Path,
    counts: Any,
    examples_of: Any,
) -> None:
    """Runs `names` in worker processes until each has finished (restarting after a crash or a
    hang: the entry that was running is charged and skipped)."""
    todo = list(names)
    while todo:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            ",".join(todo),
            "--examples",
            str(examples),
            "--timeout",
            str(timeout),
            "--seed",
            str(seed),
            "--slow",
            str(slow),
            "--cases",
            str(cases),
        ]
        # stderr goes to a file, read when the worker ends: a pipe nobody drains fills up
        # (64 KiB of warnings) and blocks the worker.
        errfile = tempfile.TemporaryFile("w+")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errfile, text=True)
        current = None
        pid = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "B":
                current = parts[1]
                pid = parts[2]
            elif parts[0] == "E":
                todo.remove(parts[1])
                current = None
            elif parts[0] == "R" and len(parts) >= 3:
                name, category = parts[1], parts[2]
                detail = parts[3] if len(parts) > 3 else ""
                if len(parts) > 4:
                    seconds[name] += float(parts[4])
                counts[name]["calls"] += 1
                counts[name][category.split("+")[0]] += 1
                done = sum(c["calls"] for c in counts.values())
                if done % 2000 == 0:
                    print(f"progress: {done} calls", flush=True)
                if category.split("+")[0] in (*FAIL, "harness", "slow"):
                    key = (name, category, detail.split(" | inputs: ")[0][:200])
                    first_input.setdefault(key, detail)
                    examples_of[key] += 1
        code = proc.wait()
        errfile.seek(0)
        err = errfile.read()[-100_000:]
        errfile.close()
        if current is not None:  # died inside an entry point
            if "Timeout" in err:
                kind = "hang"
            elif code < 0 or "Traceback" not in err:
                kind = "crash"  # a signal (SIGABRT, SIGSEGV...) or an abort without Python
            else:
                kind = "harness"  # a Python error of the harness itself
            counts[current]["calls"] += 1
            counts[current][kind] += 1
            key = (
                current,
                kind,
                err.strip().splitlines()[-1][:120] if err.strip() else f"exit {code}",
            )
            examples_of[key] += 1
            saved = cases / f"current-{pid}.pkl"
            if saved.exists():  # the call that was running
                path = cases / f"{_slug(current)}-{kind}-{examples_of[key]}.pkl"
                shutil.move(saved, path)
                try:
                    text = case_text(path)
                except Exception as e:  # the parent cannot rebuild it: the file is kept
                    text = f"(see the file: {type(e).__name__})"
                first_input.setdefault(key, f"saved: {path} | inputs: {text}")
            todo.remove(current)
        elif code != 0 and todo:
            print(f"worker failed (exit {code}) outside an entry point:\n{err[-3000:]}")
            for name in todo:
                counts[name]["crash"] += 1
            return


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--examples", type=int, default=12, help="examples per entry point")
    ap.add_argument("--calls", type=int, default=0, help="total calls (sets --examples)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated entry points")
    ap.add_argument(
        "--slow", type=float, default=5.0, help="seconds before a call is interrupted (slow)"
    )
    ap.add_argument(
        "--cases",
        default=str(HERE.parent / ".fuzz_cases"),
        help="where the call being run and failing / slow calls are saved",
    )
    ap.add_argument("--replay", help="run a saved call (a .pkl of --cases) again")
    args = ap.parse_args()
    if args.replay:
        return replay(Path(args.replay))
    cases = Path(args.cases)
    cases.mkdir(parents=True, exist_ok=True)
    if args.worker:
        worker(args.worker.split(","), args.examples, args.timeout, args.seed, args.slow, cases)
        return 0

    sys.path.insert(0, str(HERE))
    from fuzz_entries import ENTRIES, OTHERS

    names = [n for n in ENTRIES if not args.only or n in args.only.split(",")]
    examples = args.examples
    if args.calls:
        examples = -(-args.calls // len(names))
    counts: Any = defaultdict(Counter)
    examples_of: Counter = Counter()
    start = time.monotonic()
    groups = [names[i :: args.jobs] for i in range(args.jobs)]
    if args.jobs == 1:
        run_worker(names, examples, args.timeout, args.seed, args.slow, cases, counts, examples_of)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(args.jobs) as pool:
            list(
                pool.map(
                    lambda g: run_worker(
                        g,
                        examples,
                        args.timeout,
                        args.seed,
                        args.slow,
                        cases,
                        counts,
                        examples_of,
                    ),
                    groups,
                )
            )
    cols = (
        "calls",
        "ok",
        "clean",
        "unexpected",
        "crash",
        "hang",
        "mutation",
        "nonfinite",
        "leaked",
        "harness",
        "slow",
    )
    print(f"{'entry point':22s}" + "".join(f"{c:>11s}" for c in cols))
    total: Counter = Counter()
    failing = []
    for name in names:
        c = counts[name]
        total.update(c)
        mark = f"  (issue 19: {OTHERS[name]}'s area)" if name in OTHERS else ""
        print(
            f"{name:22s}"
            + "".join(f"{c[k]:>11d}" for k in cols)
            + f"{seconds[name]:>9.0f}s"
            + mark
        )
        if name not in OTHERS and (any(c[k] for k in FAIL) or c["harness"]):
            failing.append(name)
    print(f"{'total':22s}" + "".join(f"{total[k]:>11d}" for k in cols))
    print(f"{time.monotonic() - start:.0f} s")
    for (name, category, detail), n in sorted(examples_of.items()):
        print(f"  {name} {category} x{n}: {detail}")
        full = first_input.get((name, category, detail), "")
        if " | inputs: " in full:
            print("      first:" + full.split(" | inputs: ", 1)[1][:1500])
        if "saved: " in full:
            print("      " + "saved: " + full.split("saved: ", 1)[1].split(" | ")[0])
    if failing:
        print("FAILING:", ", ".join(failing))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
