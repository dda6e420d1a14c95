"""The instruction-set builds of the vector kernels, compared on one machine.

The hierarchical-Bayes kernels (Metropolis step, affine move, running summaries) compile three
times: AVX-512, AVX2 + FMA and portable. Every lane operation of the two vector builds rounds as
the same scalar operation (fused multiply-adds in both), so a fit on a machine without AVX-512
must give the very numbers of one with it. `SEGMINT_DISABLE_CPU_FEATURES` turns the wider builds
off in a fresh process, so one machine runs all three. Reference: the default build's fit, bit
for bit for the AVX2 build; the portable build (separate multiplies and adds) to rounding.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from segmint import _core

SCRIPT = """
import sys, warnings
import numpy as np
from segmint import _core
from segmint.conjoint import HierarchicalBayes
from segmint.datasets import make_choice_data
data, _ = make_choice_data(40, 8, 3, random_state=4)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    hb = HierarchicalBayes(
        attributes=["brand", "support", "delivery", "contract", "warranty"], linear=["price"],
        n_iter=300, burn_in=100, thin=2, n_chains=1, keep="summaries", random_state=1,
    ).fit(data)
np.savez(
    sys.argv[1],
    means=hb.coef_individual_.to_numpy(),
    summary=hb.individual_summary().to_numpy(),
    loglik=hb.trace_["loglik"].to_numpy(),
)
print(_core.simd_build())
"""


def _fit(tmp_path: Path, disable: str | None) -> tuple[str, dict[str, np.ndarray]]:
    env = {k: v for k, v in os.environ.items() if k != "SEGMINT_DISABLE_CPU_FEATURES"}
    if disable is not None:
        env["SEGMINT_DISABLE_CPU_FEATURES"] = disable
    out = tmp_path / f"fit_{disable}.npz"
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    with np.load(out) as f:
        return run.stdout.strip(), {k: f[k] for k in f.files}


def test_the_builds_give_the_same_fit(tmp_path: Path) -> None:
    if _core.simd_build() != "avx512":
        pytest.skip("this CPU has no AVX-512: the AVX2 build is the default build")
    build, wide = _fit(tmp_path, None)
    assert build == "avx512"
    build, avx2 = _fit(tmp_path, "avx512")
    assert build == "avx2"
    for key in wide:
        np.testing.assert_array_equal(avx2[key], wide[key], err_msg=key)
    build, portable = _fit(tmp_path, "AVX2")
    assert build == "portable"
    assert not np.array_equal(portable["loglik"], wide["loglik"])  # the builds did differ
    # Last-bit differences change an accept/reject decision only where u falls within about
    # 1e-15 of the acceptance probability, so this seed's chain is the same chain: every number
    # agrees to rounding (1e-9 relative leaves room for the sums of 300 iterations).
    for key in wide:
        np.testing.assert_allclose(portable[key], wide[key], rtol=1e-9, atol=1e-9, err_msg=key)


def test_unknown_names_leave_every_build_on(tmp_path: Path) -> None:
    build, _ = _fit(tmp_path, "sse9, ,")
    assert build == _core.simd_build()
