"""Results do not depend on the number of threads (README): ``gower_distances``, ``profile`` and
``select_k`` give bit-identical output with ``RAYON_NUM_THREADS`` = 1 and 2 (one fresh interpreter
per setting: the pool reads the variable once per process) and with ``n_jobs`` = 1 and 2 where
the function takes it. The reference is the single-threaded run. 5,000 rows: several of the
Rust kernels' fixed row chunks, merged in order."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

import segmint as sg

_DATA = """
import numpy as np
import pandas as pd

rng = np.random.default_rng(0)
n = 5000
g = rng.integers(0, 4, n)
df = pd.DataFrame(
    {
        "spend": rng.gamma(2.0, 50.0, n) * (1 + g),
        "visits": rng.poisson(3 + g).astype(float),
        "sector": pd.Categorical(np.array(["agri", "it", "retail", "horeca"])[g]),
        "size": pd.Categorical(rng.choice(["S", "M", "L"], n), ["S", "M", "L"], ordered=True),
    }
)
df.loc[df.index[::41], "spend"] = np.nan
df.loc[df.index[::59], "sector"] = np.nan
labels = pd.Series(g, index=df.index)
X = np.column_stack([np.log1p(df["spend"].fillna(1.0)), df["visits"]])
"""

_SCRIPT = (
    _DATA
    + """
import hashlib
import segmint as sg

def digest(*objects):
    h = hashlib.sha256()
    for o in objects:
        if isinstance(o, pd.DataFrame | pd.Series):
            h.update(pd.util.hash_pandas_object(o, index=True).to_numpy().tobytes())
            h.update(repr(o.to_numpy(dtype=object).tolist()).encode())
        else:
            h.update(np.ascontiguousarray(o).tobytes())
    return h.hexdigest()

d = np.asarray(sg.gower_distances(df.iloc[:1500], df))
p = sg.profile(df, labels, kruskal=True)
k = sg.select_k(X[:2000], range(1, 5), n_refs=3, random_state=4)
print(digest(d), digest(p.summary, p.numeric, p.categorical, p.tests, p.personas), digest(k))
"""
)


def test_gower_profile_select_k_identical_with_one_or_two_rayon_threads(stdout_with_threads):
    # reference: segmint itself under a change that must not matter (1 or 2 RAYON threads) — an
    # invariance check, not accuracy
    one = stdout_with_threads(_SCRIPT, 1)
    two = stdout_with_threads(_SCRIPT, 2)
    assert len(one.split()) == 3
    assert one == two


def test_gower_and_profile_identical_with_n_jobs_one_or_two():
    # reference: segmint itself under a change that must not matter (n_jobs 1 or 2) — an invariance
    # check, not accuracy
    namespace: dict = {}
    exec(_DATA, namespace)  # the same data as the script above
    df, labels = namespace["df"], namespace["labels"]
    a = np.asarray(sg.gower_distances(df.iloc[:1500], df, n_jobs=1))
    b = np.asarray(sg.gower_distances(df.iloc[:1500], df, n_jobs=2))
    assert hashlib.sha256(a.tobytes()).digest() == hashlib.sha256(b.tobytes()).digest()
    p1 = sg.profile(df, labels, kruskal=True, n_jobs=1)
    p2 = sg.profile(df, labels, kruskal=True, n_jobs=2)
    for name in ("summary", "numeric", "categorical", "category_index", "tests"):
        pd.testing.assert_frame_equal(getattr(p1, name), getattr(p2, name), check_exact=True)
    pd.testing.assert_series_equal(p1.personas, p2.personas)
