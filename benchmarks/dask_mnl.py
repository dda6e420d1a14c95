"""Distributed MNL: ``ChoiceModel("mnl")`` on a 2-worker LocalCluster vs the same model in
memory on the same machine, side by side in one process.

The panel (respondents × tasks × 3 alternatives; four effects-coded attributes, price, and
alternative-specific constants) is generated on the workers, respondent by respondent, and
persisted there; the same rows are then computed onto the client for the in-memory fit. Fits
alternate, the medians are printed with their ratio and the fits are compared bit for bit (they
must be identical), followed by what one Newton point sends to the client.

    python benchmarks/dask_mnl.py                # 200,000 respondents × 10 tasks (6 M rows)
    python benchmarks/dask_mnl.py --quick        # 20,000 respondents × 10 tasks (600 k rows)
    python benchmarks/dask_mnl.py --rows 100000  # --rows counts respondents here
"""

from __future__ import annotations

import math

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from _dask_bench import alternate, arguments, partition_sizes
from _dask_bench import cluster as start_cluster
from distributed import wait

import segmint
from segmint import distributed as sd

N_TASKS, N_ALT = 10, 3
LEVELS = {"brand": 4, "support": 3, "delivery": 3, "contract": 2}
PART = {
    "brand": [0.8, 0.2, -0.3],
    "support": [0.5, 0.0],
    "delivery": [-0.4, 0.3],
    "contract": [0.2],
}


def block(i: int, n_resp: int) -> pd.DataFrame:
    """Respondents ``i * 1e6 + 0..n_resp`` with planted aggregate part-worths."""
    rng = np.random.default_rng(4000 + i)
    n = n_resp * N_TASKS * N_ALT
    cols: dict[str, object] = {
        "respondent": np.repeat(i * 1_000_000 + np.arange(n_resp), N_TASKS * N_ALT),
        "task": np.tile(np.repeat(np.arange(N_TASKS), N_ALT), n_resp),
        "alternative": np.tile(np.arange(N_ALT), n_resp * N_TASKS),
    }
    utility = np.zeros(n)
    for name, k in LEVELS.items():
        codes = rng.integers(0, k, n)
        cols[name] = pd.Categorical.from_codes(codes, categories=[f"{name}{j}" for j in range(k)])
        pw = np.array([*PART[name], -sum(PART[name])])
        utility += pw[codes]
    price = rng.choice([1.0, 1.5, 2.0, 2.5], n)
    cols["price"] = price
    utility += -1.1 * price + 0.2 * (cols["alternative"] == 0)  # type: ignore[operator]
    utility += rng.gumbel(size=n)
    best = utility.reshape(-1, N_ALT).argmax(axis=1)
    cols["chosen"] = (np.arange(N_ALT)[None, :] == best[:, None]).ravel().astype(np.int8)
    return pd.DataFrame(cols)


def make_data(n_resp: int, n_parts: int) -> dd.DataFrame:
    sizes = partition_sizes(n_resp, n_parts)
    meta = block(0, 1).iloc[:0]
    parts = [dask.delayed(block)(i, s) for i, s in enumerate(sizes)]
    return dd.from_delayed(parts, meta=meta).persist()


def main() -> None:
    args, n_resp, repeats = arguments(20_000, 200_000)
    cluster, client = start_cluster()
    data = make_data(n_resp, args.parts)
    wait(data)
    local = data.compute()
    opts = {"linear": ["price"], "alternative": "alternative"}
    print(
        f"MNL {n_resp:,} respondents × {N_TASKS} tasks × {N_ALT} alternatives "
        f"({len(local):,} rows), {args.parts} partitions, 2 workers × 1 thread"
    )
    print(f"  segmint kernel threads per worker: {sd.kernel_threads(client)}")
    med, fits = alternate(
        repeats,
        {
            "segmint dask": lambda: segmint.ChoiceModel("mnl", **opts).fit(data),
            "segmint memory": lambda: segmint.ChoiceModel("mnl", **opts).fit(local),
        },
    )
    ratio = med["segmint dask"] / med["segmint memory"]
    print(f"  segmint dask / segmint memory: {ratio:6.2f}×")
    a, b = fits["segmint dask"], fits["segmint memory"]
    same = (
        a.coef_.equals(b.coef_)
        and a.se_.equals(b.se_)
        and a.robust_se_.equals(b.robust_se_)
        and a.loglik_ == b.loglik_
        and a.n_iter_ == b.n_iter_
    )
    print(f"  fits identical: {same} ({b.n_iter_} Newton steps, {len(b.coef_)} parameters)")
    k = len(b.coef_)
    nodes = 2 * math.ceil(math.log2(max(2, b.n_tasks_ / sd.CHUNK_ROWS / args.parts)))
    print(
        f"  per Newton point and partition: ≤ {nodes} nodes × (1 + {k} + {k}²) × 8 B = "
        f"{nodes * (1 + k + k * k) * 8 / 1e3:.1f} kB to the client"
    )
    client.close()
    cluster.close()


if __name__ == "__main__":
    main()
