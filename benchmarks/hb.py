"""Hierarchical-Bayes choice model: segmint vs a vectorised NumPy sampler, side by side.

The NumPy reference (tests/reference_choice.py, shared with the tests that compare segmint with
it) is exactly the sampler of REFERENCES.md (Sawtooth CBC/HB as in R
ChoiceModelR): β_i ~ N(α, D), α flat, D ~ IW(ν₀ = K + prior_df, ν₀·v·V₀) with the
effects-coding-aware V₀; each iteration draws α | β, D ~ N(mean β_i, D/N), then
D | β, α ~ IW(ν₀ + N, ν₀vV₀ + Σ(β_i − α)(β_i − α)′), then every respondent's β_i by one
random-walk Metropolis step with proposal β_i + ρ·chol(D)·ε (all respondents at once, one
NumPy Generator), accepted with the ratio of likelihood × N(β; α, D); ρ starts at 0.1 and is
multiplied by 1.1 when the iteration's acceptance rate is above 0.3, else by 0.9, during burn-in
only. Log-sum-exp is max-shifted. With upper-level covariates α is replaced by Δ′z_i and Δ | β, D
is a flat-prior multivariate regression draw.

NumPy's BLAS is limited to one thread (threadpoolctl) for the reference: multi-threaded
OpenBLAS only slows its small products down on a 2-core machine. The script reports wall and
CPU time: the issue's target is wall time on this machine (the whole run in about 20 s or less);
segmint's CPU time also counts its second thread, and two threads give only about 1.6 times one
here (the two virtual cores do not scale like two physical ones), so its CPU ratio is lower than
its wall ratio.

Both run ONE chain on the same data (1,000 respondents × 12 tasks × 3 alternatives, 10
parameters) for the same number of iterations (burn-in half, every 10th draw kept). The script
prints CPU and wall ms per iteration of each, the ratios, and the agreement of the two posteriors
(α posterior means, respondent means: correlations and largest differences; against the truth).

    python benchmarks/hb.py                   # 20,000 iterations
    python benchmarks/hb.py --quick           # 2,000 iterations
    python benchmarks/hb.py --reference-only  # the NumPy sampler alone (no segmint needed)
    python benchmarks/hb.py --recovery        # NumPy sampler on the data sets of
                                              # tests/test_conjoint_hb.py: the recovery figures
    python benchmarks/hb.py --panel           # panel scale (issue 21): ms per iteration of one
                                              # chain at 10,000 / 30,000 / 100,000 respondents
                                              # × 12 tasks × 3 alternatives, 10 parameters,
                                              # keep="summaries", against the NumPy sampler at the
                                              # same sizes; the scaling exponent; peak memory of
                                              # a whole fit in a child process
    python benchmarks/hb.py --panel --quick   # 10,000 and 100,000 respondents, fewer iterations
    python benchmarks/hb.py --mixing          # README example at the defaults: bulk / tail ESS
                                              # and R-hat with and without the affine move
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from segmint.datasets import make_choice_data

# The NumPy reference (data layout, likelihood, pooled MNL, the sampler, split-R-hat) lives in
# tests/reference_choice.py, shared with the tests that compare segmint with it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from reference_choice import (
    Likelihood,
    PooledMNL,
    design_arrays,
    hb_numpy,
    mnl_newton,
    prior_v0,
    split_rhat,
)

__all__ = [
    "ATTRIBUTES",
    "Likelihood",
    "PooledMNL",
    "design_arrays",
    "hb_numpy",
    "mnl_newton",
    "prior_v0",
    "split_rhat",
]

# ---------------------------------------------------------------------------------------------
# Side by side


ATTRIBUTES = ["brand", "support", "delivery", "contract", "warranty"]


def fit_segmint(data: pd.DataFrame, n_iter: int, burn_in: int, seed: int):  # type: ignore[no-untyped-def]
    import segmint

    model = segmint.ChoiceModel(
        method="hb", n_iter=n_iter, burn_in=burn_in, thin=10, n_chains=1, random_state=seed
    )
    cpu, wall = time.process_time(), time.perf_counter()
    model.fit(data, attributes=ATTRIBUTES, linear=["price"])
    return model, time.process_time() - cpu, time.perf_counter() - wall


def compare(n_iter: int, reference_only: bool) -> None:
    burn_in = n_iter // 2
    data, truth = make_choice_data(1000, 12, 3, random_state=1)
    X, y, names, ids, n_levels = design_arrays(data, ATTRIBUTES, ["price"])
    assert names == truth.parameter_names and len(names) == 10
    print(
        f"HB, 1,000 respondents × 12 tasks × 3 alternatives, {len(names)} parameters, "
        f"{n_iter:,} iterations (burn-in {burn_in:,}, thin 10), one chain each; "
        f"{os.cpu_count()} cores"
    )
    with threadpool_limits(limits=1, user_api="blas"):
        ref = hb_numpy(
            X, y, prior_v0(n_levels, len(names)), n_iter=n_iter, burn_in=burn_in, seed=1
        )
    ref_alpha = ref["top"].mean(axis=0)
    ref_means = ref["beta"].mean(axis=0)
    true_beta = truth.beta.loc[ids].to_numpy()
    print(
        f"  numpy  : {ref['cpu'] / n_iter * 1e3:6.3f} ms CPU/it, "
        f"{ref['wall'] / n_iter * 1e3:6.3f} ms wall/it ({ref['wall']:.1f} s); acceptance "
        f"{ref['acceptance']:.3f}, rho "
        f"{ref['rho']:.3f}, RLH {ref['rlh']:.3f}; corr(respondent means, truth) "
        f"{np.corrcoef(ref_means.ravel(), true_beta.ravel())[0, 1]:.3f}"
    )
    if reference_only:
        return
    model, cpu, wall = fit_segmint(data, n_iter, burn_in, seed=1)
    sg_alpha = model.alpha_.loc[names].to_numpy()
    sg_means = model.coef_individual_.loc[ids, names].to_numpy()
    diag = model.diagnostics_.iloc[0]
    print(
        f"  segmint: {cpu / n_iter * 1e3:6.3f} ms CPU/it, {wall / n_iter * 1e3:6.3f} ms wall/it "
        f"({wall:.1f} s); acceptance {diag['acceptance']:.3f}, rho {diag['rho']:.3f}, RLH "
        f"{diag['rlh']:.3f}; corr(respondent means, truth) "
        f"{np.corrcoef(sg_means.ravel(), true_beta.ravel())[0, 1]:.3f}"
    )
    print(
        f"  ratio numpy/segmint: CPU {ref['cpu'] / cpu:.1f}x, wall {ref['wall'] / wall:.1f}x "
        f"(target >= 10x)"
    )
    sd = ref["top"].std(axis=0, ddof=1)
    print(
        f"  agreement: alpha posterior means max |diff| {np.abs(sg_alpha - ref_alpha).max():.3f} "
        f"(= {np.max(np.abs(sg_alpha - ref_alpha) / sd):.2f} numpy posterior SDs), corr "
        f"{np.corrcoef(sg_alpha, ref_alpha)[0, 1]:.4f}; respondent means corr "
        f"{np.corrcoef(sg_means.ravel(), ref_means.ravel())[0, 1]:.4f}, max |diff| "
        f"{np.abs(sg_means - ref_means).max():.3f}"
    )


# ---------------------------------------------------------------------------------------------
# Recovery figures on the test data sets (tests/test_conjoint_hb.py mirrors these settings)

RECOVERY = {"n": 300, "tasks": 20, "alts": 3, "seed": 8, "n_iter": 6000, "burn_in": 2000}
MIXING = {"n": 200, "tasks": 12, "alts": 3, "seed": 10, "n_iter": 6000, "burn_in": 2000}
MIXING_ATTRIBUTES = {
    "brand": ["Acme", "Globex", "Initech"],
    "support": ["email", "phone", "dedicated"],
}
MIXING_ALPHA = [0.25, 0.0, -0.4, 0.05, -0.6]
COVARIATES = {"n": 400, "tasks": 12, "alts": 3, "seed": 11, "n_iter": 4000, "burn_in": 1500}
CAMERA = {"n_iter": 3000, "burn_in": 1500}


def _two_chains(X, y, v0, c, seeds=(11, 12)):  # type: ignore[no-untyped-def]
    return [
        hb_numpy(X, y, v0, n_iter=c["n_iter"], burn_in=c["burn_in"], thin=5, seed=s) for s in seeds
    ]


def _alpha_z(runs, truth) -> np.ndarray:  # type: ignore[no-untyped-def]
    a = np.concatenate([r["top"] for r in runs])
    return (a.mean(axis=0) - truth.alpha.to_numpy()) / a.std(axis=0, ddof=1)


def recovery() -> None:
    c = RECOVERY
    data, truth = make_choice_data(c["n"], c["tasks"], c["alts"], random_state=c["seed"])
    X, y, names, ids, n_levels = design_arrays(data, ATTRIBUTES, ["price"])
    runs = _two_chains(X, y, prior_v0(n_levels, len(names)), c)
    print(
        f"recovery: {c['n']} respondents × {c['tasks']} tasks × {c['alts']} alternatives "
        f"(seed {c['seed']}), {len(names)} parameters, 2 chains × {c['n_iter']} iterations "
        f"(burn-in {c['burn_in']}, thin 5); {sum(r['wall'] for r in runs):.1f} s"
    )
    z = _alpha_z(runs, truth)
    print(f"  alpha (mean - truth) / posterior sd: {np.array2string(z, precision=2)}")
    print(f"  alpha max |z| {np.abs(z).max():.2f} (test: < 3.29)")
    draws = np.concatenate([r["beta"] for r in runs]).astype(np.float64)
    true_beta = truth.beta.loc[ids].to_numpy()
    lo, hi = np.quantile(draws, [0.05, 0.95], axis=0)
    cover = (lo <= true_beta) & (true_beta <= hi)
    means = draws.mean(axis=0)
    corr_pooled = np.corrcoef(means.ravel(), true_beta.ravel())[0, 1]
    corr_per = [np.corrcoef(means[:, p], true_beta[:, p])[0, 1] for p in range(len(names))]
    print(
        f"  90% interval coverage {cover.mean():.3f} (test: 0.87-0.93); per parameter "
        f"{np.array2string(cover.mean(axis=0), precision=2)}"
    )
    print(
        f"  corr(respondent means, true beta): pooled {corr_pooled:.3f} (test: >= 0.9); per "
        f"parameter {np.array2string(np.array(corr_per), precision=2)} (test: min >= 0.4)"
    )
    rhat = split_rhat(np.stack([r["top"] for r in runs]))
    print(
        f"  acceptance (post burn-in) {[round(r['acceptance'], 3) for r in runs]}, rho "
        f"{[round(r['rho'], 3) for r in runs]}; split-R-hat alpha max {rhat.max():.3f} (not "
        f"tested on these data); RLH {[round(r['rlh'], 3) for r in runs]}"
    )
    # WTP per respondent: -part-worth / price coefficient per draw, median over draws.
    price = names.index("price")
    full = []
    at = 0
    for L in n_levels:
        coded = draws[..., at : at + L - 1]
        full.append(np.concatenate([coded, -coded.sum(axis=-1, keepdims=True)], axis=-1))
        at += L - 1
    pw = np.concatenate(full, axis=-1)
    wtp = np.median(-pw / draws[..., price : price + 1], axis=0)
    true_wtp = (-truth.part_worths.div(truth.beta["price"], axis=0)).loc[ids].to_numpy()
    est_med, true_med = np.median(wtp, axis=0), np.median(true_wtp, axis=0)
    clear = np.abs(true_med) > 0.2
    print(
        f"  WTP medians over respondents: corr with truth "
        f"{np.corrcoef(est_med, true_med)[0, 1]:.3f} (test: > 0.95); signs agree where "
        f"|truth| > 0.2: {bool(np.all(np.sign(est_med[clear]) == np.sign(true_med[clear])))}"
    )

    c = MIXING
    data, truth = make_choice_data(
        c["n"],
        c["tasks"],
        c["alts"],
        attributes=MIXING_ATTRIBUTES,
        alpha=MIXING_ALPHA,
        random_state=c["seed"],
    )
    X, y, names, ids, n_levels = design_arrays(data, list(MIXING_ATTRIBUTES), ["price"])
    runs = _two_chains(X, y, prior_v0(n_levels, len(names)), c)
    rhat = split_rhat(np.stack([r["top"] for r in runs]))
    print(
        f"mixing: {c['n']} × {c['tasks']} × {c['alts']}, {len(names)} parameters, 2 chains × "
        f"{c['n_iter']} (burn-in {c['burn_in']}): split-R-hat alpha "
        f"{np.array2string(rhat, precision=3)} (test: < 1.03); alpha max |z| "
        f"{np.abs(_alpha_z(runs, truth)).max():.2f} (test: < 3.29); acceptance "
        f"{[round(r['acceptance'], 3) for r in runs]}"
    )

    c = COVARIATES
    data, truth = make_choice_data(
        c["n"], c["tasks"], c["alts"], covariates=2, random_state=c["seed"]
    )
    X, y, names, ids, n_levels = design_arrays(data, ATTRIBUTES, ["price"])
    Z = np.column_stack([np.ones(len(ids)), truth.covariates.loc[ids].to_numpy()])
    run = hb_numpy(
        X, y, prior_v0(n_levels, len(names)), n_iter=c["n_iter"], burn_in=c["burn_in"], Z=Z
    )
    est, sd = run["top"].mean(axis=0), run["top"].std(axis=0, ddof=1)
    err = est - truth.delta.to_numpy()
    planted = truth.delta.to_numpy()[1:] != 0
    implied = (Z @ est).mean(axis=0)
    print(
        f"covariates: {c['n']} × {c['tasks']} × {c['alts']}, 2 covariates, 1 chain × "
        f"{c['n_iter']} (burn-in {c['burn_in']}); {run['wall']:.1f} s"
    )
    print(
        f"  covariate rows: max |error| {np.abs(err[1:]).max():.3f} (test: < 0.6), posterior "
        f"sd up to {sd[1:].max():.3f}; planted "
        f"{np.array2string(truth.delta.to_numpy()[1:][planted], precision=2)} estimated "
        f"{np.array2string(est[1:][planted], precision=2)}; implied population mean max "
        f"|error| {np.abs(implied - truth.alpha.to_numpy()).max():.3f} (test: |z| < 3.29)"
    )
    _segments_check(run, ids, truth)

    camera = Path(__file__).resolve().parents[2] / "shared" / "data" / "conjoint"
    path = camera / "camera_long.csv"
    if path.is_file():
        data = pd.read_csv(path)
        linear = list(data.columns.drop(["respondent", "task", "alternative", "chosen"]))
        X, y, names, ids, n_levels = design_arrays(data, [], linear)
        coef, ll, _ = mnl_newton(X, y)
        run = hb_numpy(
            X,
            y,
            prior_v0(n_levels, len(names)),
            n_iter=CAMERA["n_iter"],
            burn_in=CAMERA["burn_in"],
        )
        means = run["beta"].mean(axis=0)
        price = names.index("price")
        print(
            f"camera: aggregate MNL price {coef[price]:.3f} (LL {ll:.1f}); HB mean of respondent "
            f"price coefficients {means[:, price].mean():.3f} (median "
            f"{np.median(means[:, price]):.3f}), alpha price {run['top'][:, price].mean():.3f} "
            f"(test: HB mean and median < 1.5 × MNL); acceptance {run['acceptance']:.3f}, RLH "
            f"{run['rlh']:.3f} ({run['wall']:.1f} s)"
        )


def _segments_check(run: dict, ids: pd.Index, truth) -> None:  # type: ignore[no-untyped-def]
    """What segment_preferences + profile should find: KMeans (3) on respondent means
    standardised within respondent; one-way ANOVA of each covariate by segment."""
    from scipy.stats import f_oneway
    from sklearn.cluster import KMeans

    means = run["beta"].mean(axis=0).astype(np.float64)
    std = (means - means.mean(axis=1, keepdims=True)) / means.std(axis=1, keepdims=True)
    labels = KMeans(3, n_init=10, random_state=0).fit_predict(std)
    cov = truth.covariates.loc[ids]
    for col in cov.columns:
        groups = [cov[col].to_numpy()[labels == g] for g in range(3)]
        print(
            f"  segments (KMeans 3 on standardised means): {col} by segment "
            f"{[round(float(g.mean()), 2) for g in groups]}, ANOVA p "
            f"{f_oneway(*groups).pvalue:.1e}"
        )


# ---------------------------------------------------------------------------------------------
# Panel scale (issue 21): per-iteration time and peak memory with keep="summaries"


def _timed_fit(data: pd.DataFrame, n_iter: int, keep: Any) -> tuple[float, float, Any]:
    """Wall seconds per post-burn-in iteration of the sampler alone (one chain; burn-in runs
    first, untimed: it includes the two curvature estimates of the affine move), and the
    model."""
    import segmint

    timing: dict[str, float] = {}

    class Timed(segmint.conjoint.HierarchicalBayes):
        def _sample(self, sampler, n_iter, threads):  # type: ignore[no-untyped-def]
            sampler.run(n_iter // 2, n_threads=threads)
            t0, c0 = time.perf_counter(), time.process_time()
            sampler.run(n_iter - n_iter // 2, n_threads=threads)
            timing["wall"] = time.perf_counter() - t0
            timing["cpu"] = time.process_time() - c0

    model = Timed(
        attributes=ATTRIBUTES,
        linear=["price"],
        n_iter=n_iter,
        burn_in=n_iter // 2,
        thin=10,
        n_chains=1,
        keep=keep,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data)
    timed = n_iter - n_iter // 2
    return timing["wall"] / timed, timing["cpu"] / timed, model


# The peaks are this process's own (VmHWM of /proc/self/status): ru_maxrss of a process started
# from a large parent reports the parent's size (Linux records the replaced address space's
# peak at exec, and Python's subprocess execs from the parent's), which made earlier runs of
# this benchmark print the benchmark's own 2 GiB as the fit's peak.
PEAK_SCRIPT = """
import sys, warnings
from pathlib import Path
import segmint
from segmint.datasets import make_choice_data
def kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
n, n_iter = int(sys.argv[1]), int(sys.argv[2])
data, _ = make_choice_data(n, 12, 3, random_state=1)
after_data = kib("VmHWM")
Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
base = kib("VmRSS")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    segmint.conjoint.HierarchicalBayes(
        attributes=["brand", "support", "delivery", "contract", "warranty"], linear=["price"],
        n_iter=n_iter, burn_in=n_iter // 2, thin=10, n_chains=2, keep="summaries",
        random_state=0,
    ).fit(data)
print(after_data, base, kib("VmHWM"))
"""


def panel(quick: bool) -> None:
    sizes = [10_000, 100_000] if quick else [10_000, 30_000, 100_000]
    n_iter = 40 if quick else 200
    ref_iter = 4 if quick else 10
    print(
        f"HB at panel scale: respondents × 12 tasks × 3 alternatives, 10 parameters, one chain, "
        f"keep='summaries', thin 10, {n_iter} iterations (the second half timed); NumPy "
        f"sampler {ref_iter} iterations; {os.cpu_count()} cores"
    )
    times, cpus = [], []
    for n in sizes:
        data, _truth = make_choice_data(n, 12, 3, random_state=1)
        X, y, names, _ids, n_levels = design_arrays(data, ATTRIBUTES, ["price"])
        with threadpool_limits(limits=1, user_api="blas"):
            t0 = time.perf_counter()
            hb_numpy(
                X, y, prior_v0(n_levels, len(names)), n_iter=ref_iter, burn_in=2, thin=1, seed=1
            )
            ref = (time.perf_counter() - t0) / ref_iter
        per_iter, cpu, _model = _timed_fit(data, n_iter, "summaries")
        times.append(per_iter)
        cpus.append(cpu)
        print(
            f"  {n:>7,} respondents: segmint {per_iter * 1e3:7.2f} ms/iteration wall "
            f"({cpu * 1e3:7.2f} ms CPU), numpy {ref * 1e3:8.1f} ms/iteration, ratio "
            f"{ref / per_iter:5.1f}x"
        )
    slope = np.polyfit(np.log(sizes), np.log(times), 1)[0]
    slope_cpu = np.polyfit(np.log(sizes), np.log(cpus), 1)[0]
    print(
        f"  scaling exponent {sizes[0]:,} -> {sizes[-1]:,}: wall {slope:.2f}, CPU "
        f"{slope_cpu:.2f} (target: 1, linear)"
    )
    print(f"  at {sizes[-1]:,}: {times[-1] * 1e3:.2f} ms/iteration (target <= 12 ms)")
    import subprocess

    n_peak_iter = 40 if quick else 200
    out = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(sizes[-1]), str(n_peak_iter)],
        capture_output=True,
        text=True,
        check=True,
    )
    after_data, base, peak = (int(v) for v in out.stdout.split())
    print(
        f"  peak memory of a whole fit (2 chains, {n_peak_iter} iterations, keep='summaries'): "
        f"{peak / 2**20:.2f} GiB, of which {(peak - base) / 2**20:.2f} GiB above the data frame "
        f"and imports ({base / 2**20:.2f} GiB; generating the data peaked at "
        f"{after_data / 2**20:.2f} GiB); target <= 2 GiB"
    )


def mixing() -> None:
    """The README example at the default settings, with and without the affine move."""
    import segmint

    data, _ = make_choice_data(300, 12, 3)
    attrs = [*ATTRIBUTES, "price"]
    for translate in (False, True):
        cls = type("HB", (segmint.conjoint.HierarchicalBayes,), {"_translate": translate})
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = cls(attributes=attrs, linear=["price"], random_state=0).fit(data)
        wall = time.perf_counter() - t0
        print(
            f"affine move {'on ' if translate else 'off'}: {wall:.1f} s; bulk ESS min "
            f"{model.ess_bulk_.min():.0f} median {model.ess_bulk_.median():.0f}, tail ESS min "
            f"{model.ess_tail_.min():.0f}, R-hat max {model.rhat_.max():.3f}; warning: "
            f"{bool(caught)}"
        )
        print("  bulk ESS:", model.ess_bulk_.round(0).astype(int).to_dict())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 iterations")
    parser.add_argument("--reference-only", action="store_true", help="NumPy sampler alone")
    parser.add_argument("--recovery", action="store_true", help="recovery figures (NumPy)")
    parser.add_argument("--panel", action="store_true", help="panel scale (issue 21)")
    parser.add_argument("--mixing", action="store_true", help="ESS with / without the affine move")
    args = parser.parse_args()
    if args.panel:
        panel(args.quick)
        return
    if args.mixing:
        mixing()
        return
    if args.recovery:
        with threadpool_limits(limits=1, user_api="blas"):
            recovery()
        return
    compare(2_000 if args.quick else 20_000, args.reference_only)


if __name__ == "__main__":
    main()
