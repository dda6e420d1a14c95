"""Conjoint: segmint vs the reference tools, side by side in one process.

(a) MNL (conditional logit) on synthetic choice-based conjoint data: 1,000 respondents × 12
    tasks × 3 alternatives, 10 parameters (four effects-coded attributes with 4, 3, 3 and 3
    levels, price linear; planted part-worths, Gumbel errors). segmint `ChoiceModel("mnl")` is
    given the long DataFrame (it does the coding); xlogit `MultinomialLogit` is given the same
    data already effects-coded by this script, with its default settings (BFGS, finite-difference
    Hessian for the standard errors). Runs alternate; the script prints the median wall and CPU
    (process, all threads) time of each, the ratios (reference time / segmint time, > 1 means
    segmint is faster), and the largest coefficient difference.
(b) Rating conjoint, 100,000 respondents × 16 profiles (5 attributes, 10 parameters per
    respondent): segmint `RatingConjoint` (per-respondent OLS plus the pooled model, R²,
    importances) vs a Python loop of `np.linalg.lstsq` per respondent (timed on a subsample and
    scaled to all respondents, as printed) and vs one batched NumPy solve with the shared design,
    B = (X'X)⁻¹ X'Y for all respondents at once; largest part-worth difference of each.

    python benchmarks/conjoint.py            # the sizes above
    python benchmarks/conjoint.py --quick    # 10x fewer respondents, for a smoke run
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time

import numpy as np
import pandas as pd
from xlogit import MultinomialLogit

import segmint
from segmint.conjoint import ChoiceModel, RatingConjoint

# ---------------------------------------------------------------------------------------------
# Shared: effects coding

ATTRIBUTES = {"brand": 4, "screen": 3, "battery": 3, "colour": 3}
PLANTED = {
    "brand": [0.8, 0.2, -0.3],
    "screen": [-0.5, 0.1],
    "battery": [0.4, -0.1],
    "colour": [0.2, 0.0],
    "price": -0.9,
}


def effects(frame: pd.DataFrame, attributes: dict[str, int]) -> tuple[np.ndarray, list[str]]:
    """Effects coding of integer-coded attributes 0..L-1 (level L-1 is -1 on every column)."""
    cols, names = [], []
    for a, n_levels in attributes.items():
        x = frame[a].cat.codes.to_numpy() if hasattr(frame[a], "cat") else frame[a].to_numpy()
        for v in range(n_levels - 1):
            cols.append((x == v).astype(np.float64) - (x == n_levels - 1))
            names.append(f"{a}[L{v}]")
    return np.column_stack(cols), names


# ---------------------------------------------------------------------------------------------
# (a) MNL


def make_cbc(n_resp: int, n_tasks: int, n_alt: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_resp * n_tasks * n_alt
    data = {
        "respondent": np.repeat(np.arange(n_resp), n_tasks * n_alt),
        "task": np.tile(np.repeat(np.arange(n_tasks), n_alt), n_resp),
        "alternative": np.tile(np.arange(n_alt), n_resp * n_tasks),
    }
    for a, n_levels in ATTRIBUTES.items():
        data[a] = pd.Categorical.from_codes(
            rng.integers(0, n_levels, n), categories=[f"L{v}" for v in range(n_levels)]
        )
    data["price"] = rng.choice([1.0, 1.5, 2.0, 2.5, 3.0], n)
    frame = pd.DataFrame(data)
    X, _ = effects(frame, ATTRIBUTES)
    beta = np.concatenate([PLANTED[a] for a in ATTRIBUTES])
    utility = X @ beta + PLANTED["price"] * frame["price"].to_numpy() + rng.gumbel(size=n)
    chosen = np.zeros(n, dtype=np.int8)
    chosen[np.arange(n_resp * n_tasks) * n_alt + utility.reshape(-1, n_alt).argmax(axis=1)] = 1
    frame["chosen"] = chosen
    return frame


def fit_segmint_mnl(frame: pd.DataFrame) -> pd.Series:
    model = ChoiceModel(method="mnl").fit(
        frame.drop(columns="alternative"),
        respondent="respondent",
        task="task",
        chosen="chosen",
        attributes=list(ATTRIBUTES),
        linear=["price"],
    )
    return model.coef_


def fit_xlogit(X: np.ndarray, names: list[str], y, alts, ids) -> pd.Series:
    model = MultinomialLogit()
    model.fit(X=X, y=y, varnames=names, alts=alts, ids=ids, verbose=0)
    return pd.Series(model.coeff_, index=names)


def timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def compare_mnl(n_resp: int, n_tasks: int, n_alt: int, repeats: int) -> None:
    frame = make_cbc(n_resp, n_tasks, n_alt)
    X_eff, names = effects(frame, ATTRIBUTES)
    X = np.column_stack([X_eff, frame["price"].to_numpy()])
    names = [*names, "price"]
    y = frame["chosen"].to_numpy()
    alts = frame["alternative"].to_numpy()
    ids = (frame["respondent"] * n_tasks + frame["task"]).to_numpy()
    fit_segmint_mnl(frame.head(30 * n_alt))  # warm-up (thread pool, imports)
    runs = {
        "segmint": lambda: fit_segmint_mnl(frame),
        "xlogit": lambda: fit_xlogit(X, names, y, alts, ids),
    }
    wall: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    coef: dict[str, pd.Series] = {}
    for _ in range(repeats):
        for name, run in runs.items():
            coef[name], w, c = timed(run)
            wall[name].append(w)
            cpu[name].append(c)
    diff = (coef["segmint"].loc[names] - coef["xlogit"].loc[names]).abs().max()
    sw, xw = statistics.median(wall["segmint"]), statistics.median(wall["xlogit"])
    sc, xc = statistics.median(cpu["segmint"]), statistics.median(cpu["xlogit"])
    print(
        f"(a) MNL {n_resp:,} resp × {n_tasks} tasks × {n_alt} alts, {len(names)} parameters "
        f"(median of {repeats}): segmint {sw * 1e3:.1f} ms wall / {sc * 1e3:.1f} ms CPU | "
        f"xlogit {xw * 1e3:.1f} ms wall / {xc * 1e3:.1f} ms CPU | ratio {xw / sw:.1f}x wall, "
        f"{xc / sc:.1f}x CPU | coef max abs diff {diff:.1e} "
        f"(xlogit's BFGS stops at |proj. gradient| < 1e-6)"
    )


# ---------------------------------------------------------------------------------------------
# (b) Rating conjoint

RATING_ATTRIBUTES = {"kind": 4, "price": 3, "packing": 2, "weight": 3, "calorie": 2}


def rating_design(n_profiles: int = 16, seed: int = 1) -> pd.DataFrame:
    """n_profiles distinct profiles of the full factorial, drawn until the effects-coded design
    has full column rank."""
    rng = np.random.default_rng(seed)
    full = np.array(list(itertools.product(*(range(n) for n in RATING_ATTRIBUTES.values()))))
    while True:
        rows = full[rng.choice(len(full), n_profiles, replace=False)]
        frame = pd.DataFrame(rows, columns=list(RATING_ATTRIBUTES))
        X, _ = effects(frame, RATING_ATTRIBUTES)
        X1 = np.column_stack([np.ones(n_profiles), X])
        if np.linalg.matrix_rank(X1) == X1.shape[1]:
            return frame


def expand(B: np.ndarray) -> np.ndarray:
    """(respondents, 1 + free) -> part-worths of every level (omitted = -sum), no intercept."""
    out, i = [], 1
    for n_levels in RATING_ATTRIBUTES.values():
        free = B[:, i : i + n_levels - 1]
        out += [free, -free.sum(axis=1, keepdims=True)]
        i += n_levels - 1
    return np.hstack(out)


def compare_rating(n_resp: int, n_loop: int, repeats: int = 5) -> None:
    profiles = rating_design()
    X_eff, _ = effects(profiles, RATING_ATTRIBUTES)
    X = np.column_stack([np.ones(len(profiles)), X_eff])
    rng = np.random.default_rng(2)
    beta = rng.normal(0.0, 1.0, (n_resp, X.shape[1])) + np.r_[5.0, np.zeros(X.shape[1] - 1)]
    Y = np.clip(np.rint(beta @ X.T + rng.normal(0.0, 1.0, (n_resp, len(profiles)))), 0, 10)
    ratings = pd.DataFrame(Y, columns=[f"p{j}" for j in range(len(profiles))])

    RatingConjoint().fit(profiles, ratings.head(100))  # warm-up

    def loop(Ysub: np.ndarray) -> np.ndarray:
        return np.array([np.linalg.lstsq(X, y, rcond=None)[0] for y in Ysub])

    B_loop, lw, lc = timed(loop, Y[:n_loop])
    scale = n_resp / n_loop

    def batched(Yall: np.ndarray) -> np.ndarray:
        return np.linalg.solve(X.T @ X, X.T @ Yall.T).T

    # segmint and the batched solve alternate, `repeats` runs each; medians reported.
    runs: dict[str, list[tuple[float, float]]] = {"segmint": [], "batched": []}
    # A pause before each run lets the other's worker threads (OpenBLAS's spin-wait, rayon's)
    # go to sleep, so neither run competes with the previous one's threads for the 2 cores.
    for _ in range(repeats):
        time.sleep(0.2)
        model, sw, sc = timed(lambda: RatingConjoint().fit(profiles, ratings))
        runs["segmint"].append((sw, sc))
        time.sleep(0.2)
        B_batch, bw, bc = timed(batched, Y)
        runs["batched"].append((bw, bc))
    sw = statistics.median(w for w, _ in runs["segmint"])
    sc = statistics.median(c for _, c in runs["segmint"])
    bw = statistics.median(w for w, _ in runs["batched"])
    bc = statistics.median(c for _, c in runs["batched"])
    ours = model.part_worths_.to_numpy()
    loop_diff = np.abs(ours[:n_loop] - expand(B_loop)).max()
    batch_diff = np.abs(ours - expand(B_batch)).max()
    print(
        f"(b) rating conjoint {n_resp:,} resp × {len(profiles)} profiles, {X.shape[1]} "
        f"parameters each (median of {repeats}, alternating): segmint {sw * 1e3:.1f} ms wall / "
        f"{sc * 1e3:.1f} ms CPU (incl. pooled model, R², importances)\n"
        f"    Python loop of np.linalg.lstsq: {lw * scale:.2f} s wall / {lc * scale:.2f} s CPU "
        f"(timed on {n_loop:,} respondents, scaled x{scale:g}) | ratio "
        f"{lw * scale / sw:.1f}x wall | part-worths max abs diff {loop_diff:.1e}\n"
        f"    batched NumPy normal equations: {bw * 1e3:.1f} ms wall / {bc * 1e3:.1f} ms CPU "
        f"| ratio {bw / sw:.2f}x wall, {bc / sc:.2f}x CPU | part-worths max abs diff "
        f"{batch_diff:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10x fewer respondents")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    print(f"threads: {os.cpu_count()} cores; segmint {segmint.__version__}")
    compare_mnl(1_000 // scale, 12, 3, repeats=3 if args.quick else 5)
    compare_rating(100_000 // scale, n_loop=5_000 // scale)


if __name__ == "__main__":
    main()
