"""Issue 19: the small fuzz profile. Every public entry point gets a few hypothesis-generated
hostile inputs (tests/fuzz_strategies.py, tests/fuzz_entries.py), run in a worker subprocess
so that an abort or a hang is counted instead of killing the suite. `make fuzz` runs the same
harness over >= 100,000 calls."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_fuzz_small_profile(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "fuzz_run.py"),
            "--examples",
            "12",
            "--timeout",
            "60",
            "--slow",
            "30",
            "--cases",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    print(out.stdout)
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
