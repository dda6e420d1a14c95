"""Latent-class MNL: segmint vs a vectorised NumPy EM, side by side.

The NumPy reference (tests/reference_choice.py, shared with the tests) is plain EM for a finite
mixture of conditional logits (REFERENCES.md): the E-step takes h_ic ∝ π_c Π_t P(y_it | β_c) in
log space (log-sum-exp over alternatives, then over classes); the M-step sets π_c = mean_i h_ic
and moves each class's β_c by up to three Newton steps on its h-weighted MNL log-likelihood (step
halving, so the weighted log-likelihood and hence the marginal one never decrease: a generalised
EM). A start is a random Dirichlet(1) membership matrix followed by an M-step from β = 0; EM
stops when the log-likelihood gains less than tol · |LL| (tol = 1e-8) or after max_iter
iterations.

NumPy's BLAS is limited to one thread (threadpoolctl) for the reference: multi-threaded OpenBLAS
makes its tall-and-thin products several times slower on a 2-core machine.

Data: 1,000 respondents × 12 tasks × 3 alternatives, 10 parameters, 3 planted classes
(`segmint.datasets.make_choice_data(n_classes=3)`). segmint cannot be started from the NumPy
start, so both run from their own random starts (one start each, then ten starts each) and the
script prints total CPU / wall time, the number of EM iterations, the time per EM iteration, the
ratios, the final log-likelihoods and the agreement of the class assignments (ARI). With
`--repeat N` each side runs N times (alternating) and the medians are compared: on a shared
machine single runs are noisy.

    python benchmarks/latent_class.py                   # 1 start and 10 starts
    python benchmarks/latent_class.py --quick           # 1 start
    python benchmarks/latent_class.py --repeat 5        # medians of 5 runs of each side
    python benchmarks/latent_class.py --reference-only  # the NumPy EM alone
    python benchmarks/latent_class.py --recovery        # NumPy EM on the data of
                                                        # tests/test_conjoint_latent.py
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
from hb import ATTRIBUTES, design_arrays, mnl_newton
from reference_choice import PooledMNL, lc_numpy
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from segmint.datasets import make_choice_data


def lc_numpy_starts(X: np.ndarray, y: np.ndarray, n_classes: int, n_starts: int, seed: int):  # type: ignore[no-untyped-def]
    """Best of several starts; also the total CPU / wall time (data layout included) and EM
    iterations. NumPy's BLAS runs on one thread: multi-threaded OpenBLAS makes these
    tall-and-thin products several times slower here."""
    with threadpool_limits(limits=1, user_api="blas"):
        cpu, wall = time.process_time(), time.perf_counter()
        mnl = PooledMNL(X, y)
        runs = [lc_numpy(mnl, n_classes, seed=seed + s) for s in range(n_starts)]
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    best = max(runs, key=lambda r: r["loglik"])
    return best, cpu, wall, sum(r["n_iter"] for r in runs)


def fit_segmint(data: pd.DataFrame, n_classes: int, n_starts: int, seed: int):  # type: ignore[no-untyped-def]
    import segmint

    model = segmint.ChoiceModel(
        method="latent_class", n_classes=n_classes, n_starts=n_starts, random_state=seed
    )
    cpu, wall = time.process_time(), time.perf_counter()
    model.fit(data, attributes=ATTRIBUTES, linear=["price"])
    return model, time.process_time() - cpu, time.perf_counter() - wall


def _runs(times: list[tuple[float, float]]) -> str:
    """Median CPU and wall over the runs, and every run's wall time when there are several."""
    cpu = float(np.median([t[0] for t in times]))
    wall = float(np.median([t[1] for t in times]))
    text = f"{cpu:7.3f} s CPU, {wall:7.3f} s wall"
    if len(times) > 1:
        each = " ".join(f"{t[1]:.3f}" for t in times)
        text += f" (medians of {len(times)} runs; wall per run {each})"
    return text


def compare(n_starts_list: list[int], reference_only: bool, repeat: int) -> None:
    data, truth = make_choice_data(1000, 12, 3, n_classes=3, random_state=2)
    X, y, names, ids, _ = design_arrays(data, ATTRIBUTES, ["price"])
    planted = truth.classes.loc[ids].to_numpy()
    print(
        f"latent class, 1,000 respondents × 12 tasks × 3 alternatives, {len(names)} parameters, "
        f"3 classes; {os.cpu_count()} cores"
    )
    for n_starts in n_starts_list:
        # The two sides alternate, so that a burst of load on the machine hits both alike.
        ref_times, sg_times = [], []
        for _ in range(repeat):
            ref, cpu, wall, iters = lc_numpy_starts(X, y, 3, n_starts, seed=0)
            ref_times.append((cpu, wall))
            if not reference_only:
                model, sg_cpu, sg_wall = fit_segmint(data, 3, n_starts, seed=0)
                sg_times.append((sg_cpu, sg_wall))
        cpu = float(np.median([t[0] for t in ref_times]))
        wall = float(np.median([t[1] for t in ref_times]))
        ari = adjusted_rand_score(planted, ref["membership"].argmax(axis=1))
        print(
            f"  {n_starts} start(s) numpy  : {_runs(ref_times)}, {iters} EM iterations "
            f"({cpu / iters * 1e3:.2f} ms CPU/iteration); LL {ref['loglik']:.4f}, "
            f"ARI vs planted {ari:.3f}"
        )
        if reference_only:
            continue
        sg_cpu = float(np.median([t[0] for t in sg_times]))
        sg_wall = float(np.median([t[1] for t in sg_times]))
        n_em = int(model.n_em_iter_)
        n_finish = len(model.loglik_history_) - n_em
        sg_ari = adjusted_rand_score(planted, model.labels_.loc[ids].to_numpy())
        agree = adjusted_rand_score(
            ref["membership"].argmax(axis=1), model.labels_.loc[ids].to_numpy()
        )
        print(
            f"  {n_starts} start(s) segmint: {_runs(sg_times)}, {n_em} EM iterations and "
            f"{n_finish} BHHH steps in the chosen start's history; LL {model.loglik_:.4f}, "
            f"ARI vs planted {sg_ari:.3f}"
        )
        print(
            f"    ratio numpy/segmint: total CPU {cpu / sg_cpu:.1f}x, wall {wall / sg_wall:.1f}x "
            f"(target >= 10x); LL difference {model.loglik_ - ref['loglik']:+.2e} (relative "
            f"{abs(model.loglik_ - ref['loglik']) / abs(ref['loglik']):.1e}); ARI numpy vs "
            f"segmint {agree:.3f}"
        )


#: tests/test_conjoint_latent.py mirrors these settings: three well-separated classes (price
#: buyers, service seekers, brand and lock-in), coded parameters in the order of
#: make_choice_data's default attributes (brand[Acme], brand[Globex], support[email],
#: support[phone], delivery[5 days], delivery[2 days], contract[monthly], contract[annual],
#: warranty[1 year], price).
RECOVERY = {"n": 300, "tasks": 12, "alts": 3, "seed": 13, "n_classes": 3}
CLASS_COEF = [
    [0.2, 0.0, -0.3, 0.0, -0.3, 0.0, 0.5, 0.0, -0.2, -4.0],
    [0.0, 0.0, -2.0, 0.3, -1.8, 0.3, 0.0, 0.0, -0.8, -0.8],
    [2.0, -0.5, -0.5, 0.0, -0.3, 0.0, -1.5, 0.0, -0.3, -1.5],
]


def recovery() -> None:
    c = RECOVERY
    data, truth = make_choice_data(
        c["n"],
        c["tasks"],
        c["alts"],
        n_classes=c["n_classes"],
        class_coef=CLASS_COEF,
        random_state=c["seed"],
    )
    X, y, names, ids, _ = design_arrays(data, ATTRIBUTES, ["price"])
    planted = truth.classes.loc[ids].to_numpy()
    print(
        f"latent-class recovery: {c['n']} respondents × {c['tasks']} tasks × {c['alts']} "
        f"alternatives, {len(names)} parameters, {c['n_classes']} planted classes "
        f"(shares {np.round(truth.class_shares.to_numpy(), 3)})"
    )
    print(f"  planted class coefficients:\n{truth.class_coef.round(2).to_string()}")
    n_obs = c["n"]  # BIC's n: respondents (the sample of independent units)
    n_tasks = c["n"] * c["tasks"]
    rows = []
    for n_classes in range(1, 6):
        t = time.perf_counter()
        best, _, _, _ = lc_numpy_starts(X, y, n_classes, 10, seed=100)
        p = n_classes * len(names) + n_classes - 1
        ll = best["loglik"]
        decreases = np.diff(best["history"]).min() if best["n_iter"] > 1 else 0.0
        row = {
            "n_classes": n_classes,
            "loglik": ll,
            "n_parameters": p,
            "bic_respondents": -2 * ll + p * np.log(n_obs),
            "bic_tasks": -2 * ll + p * np.log(n_tasks),
            "caic_respondents": -2 * ll + p * (np.log(n_obs) + 1),
            "min_ll_step": decreases,
            "seconds": time.perf_counter() - t,
        }
        if n_classes == c["n_classes"]:
            labels = best["membership"].argmax(axis=1)
            row["ari"] = adjusted_rand_score(planted, labels)
            table = pd.crosstab(labels, planted)
            match = {k: table.loc[k].idxmax() for k in table.index}
            row["coef_max_err"] = max(
                np.abs(best["coef"][k] - truth.class_coef.loc[v].to_numpy()).max()
                for k, v in match.items()
            )
            row["share_max_err"] = max(
                abs(best["shares"][k] - truth.class_shares[v]) for k, v in match.items()
            )
        if n_classes == 1:
            with threadpool_limits(limits=1, user_api="blas"):
                coef, ll_mnl, _ = mnl_newton(X, y)
            row["mnl_max_coef_diff"] = np.abs(best["coef"][0] - coef).max()
            row["mnl_ll_diff"] = ll - ll_mnl
        rows.append(row)
    table = pd.DataFrame(rows).set_index("n_classes")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table)
    print(
        f"  BIC (n = respondents) picks {table['bic_respondents'].idxmin()}, BIC (n = tasks) "
        f"picks {table['bic_tasks'].idxmin()}, CAIC picks {table['caic_respondents'].idxmin()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one start only")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each side (medians are reported)"
    )
    parser.add_argument("--reference-only", action="store_true", help="NumPy EM alone")
    parser.add_argument("--recovery", action="store_true", help="recovery figures (NumPy)")
    args = parser.parse_args()
    if args.recovery:
        recovery()
        return
    compare([1] if args.quick else [1, 10], args.reference_only, max(1, args.repeat))


if __name__ == "__main__":
    main()
