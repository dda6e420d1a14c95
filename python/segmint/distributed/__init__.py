"""Fitting segmint's estimators on Dask collections, with the in-memory fit's results.

The estimators accept a ``dask.dataframe.DataFrame`` or a ``dask.array.Array`` in their usual
``fit`` (there is no second set of classes); this module holds the mechanics. Distributed so
far: ``KMeans`` (fit, predict, transform), ``FactorAnalysis`` (fit from the correlation pass,
transform) and ``DiscriminantAnalysis`` (fit from the class scatter pass, predict,
predict_proba, transform), ``KPrototypes(update="batch")`` (fit, predict; see
:func:`fit_kprototypes`), ``CHAID`` (fit with a categorical target, predict, predict_proba,
apply; see :func:`fit_chaid`), ``segmint.profile`` (every table, test and persona; see
:func:`profile_stats`), ``MNL`` / ``ChoiceModel("mnl")`` (fit on long choice data, the
tasks re-dealt to partitions of whole tasks on the chunk grid; see :func:`fit_mnl`) and
:func:`segmint.customer_summary` of a transaction log (each
customer's lines routed to one bucket in log order and reduced there by the in-memory pass, so
the customer table is bit-identical to the in-memory one; RFM, ABC and the classes run on that
small table). A fit needs a
running ``dask.distributed`` client (the current one by default: ``Client()`` or
``Client(LocalCluster(...))``); install the extra with ``pip install segmint[dask]``. Importing
segmint never imports Dask.

How a distributed fit reproduces the in-memory one to the last bit
-------------------------------------------------------------------
The in-memory Rust kernels cut the rows into chunks of 1,024 and add the chunks' partial
statistics along a binary tree whose shape depends only on the number of chunks (that is why
their results do not depend on the thread count). A distributed fit first re-cuts the
partitions so that each starts on a multiple of 1,024 rows of the whole data set (boundaries move
by at most 512 rows; only those rows travel between neighbours), then every Lloyd step runs a
Rust kernel on each partition that returns the statistics (per-cluster sums of ``x − mean``,
weights; the inertia in the final pass) of the *maximal nodes of that same tree* lying inside the
partition, at most about 2 log₂(chunks) of them. The client adds those nodes up the rest of the
tree in the in-memory order. Sums, weights, inertia and the column moments are therefore the
same floating-point numbers as in memory, whatever the number of partitions and workers, and the
fitted centres, labels, inertia and iteration count are bit-identical to
``KMeans(init=<the same centres>).fit`` on the same rows in memory.

Two details make the loop itself identical: the in-memory fit stops when no label changed, which
the partitions report as a 64-bit hash of their labels (a change that leaves every partition's
hash equal has probability about 2⁻⁶⁴ per partition and step); an empty cluster takes the row
farthest from its centre, which each partition proposes from its own rows and the client picks
with the in-memory tie rule (lowest row index).

Initial centres
---------------
``init="k-means++"`` / ``"random"`` run segmint's in-memory ``KMeans`` (``n_init`` runs from
``random_state``) on a uniform sample, without replacement, of ``min(n, max(50_000,
100 × n_clusters))`` rows drawn with ``numpy.random.default_rng(random_state)`` by global row
position (so the sample does not depend on the partitioning); its centres start the distributed
Lloyd run. :func:`kmeans_sample_init` returns those centres. An explicit array of centres is used
as given.

``KPrototypes(update="batch")`` runs the same way: each batch pass returns, per maximal node of
the chunk tree, the numeric sums, weights, category counts (k × levels), member counts and cost
of the node's rows, merged on the client in the in-memory order; the client recomputes means and
modes (most frequent level, first on ties), relocates empty clusters to the farthest rows and
stops as in memory, so prototypes, cost, iteration count, ``gamma_`` and labels equal
``KPrototypes(init=<the same prototypes>, update="batch").fit`` in memory. Named inits start
from :func:`kprototypes_sample_init` (an in-memory fit on the sample described below).

Cost per Lloyd iteration
------------------------
Each worker reads its rows once (n_rows × d × 8 bytes) and sends the client, per partition, about
2 log₂(rows / 1,024) nodes of k × (d + 1) × 8 bytes (the sums and weights) plus 8 bytes of label
hash; the client's merge costs as many k × d additions. With 10⁹ rows of 16 features, k = 8, on
100 workers (one partition of 10⁷ rows each): 1.28 GB read per worker, at most 28 nodes × 1,088
bytes ≈ 30 kB per partition, ≈ 3 MB to the client per step (``benchmarks/dask_kmeans.py`` prints
this model next to its timings).

Threads
-------
Each worker thread runs one partition kernel at a time; a kernel uses ``n_jobs`` threads when
the estimator sets ``n_jobs``, else ``max(1, cores // dask_threads)`` where ``dask_threads`` is
the number of Dask worker threads on that host, so workers × threads per worker × kernel threads
never exceeds the cores. Results never depend on it.

Robustness
----------
A worker that dies mid-fit (its nanny restarts it) loses its partitions; the scheduler recomputes
them from the collection's graph and the kernels are deterministic, so the fit ends with the same
model. If the data cannot be recomputed, the fit raises (never a different model). Bad input
raises on the client, as in memory, naming the column.
"""

from __future__ import annotations

from ._chaid import fit_chaid
from ._discriminant import fit_discriminant
from ._factor import factor_correlation, fit_factor
from ._kmeans import fit_kmeans, kmeans_sample_init
from ._kprototypes import fit_kprototypes, kprototypes_sample_init
from ._mnl import fit_mnl
from ._partitions import (
    CHUNK_ROWS,
    apply,
    get_client,
    kernel_threads,
    merge_tree,
    predict,
    predict_proba,
    transform,
)
from ._profile import profile_stats

__all__ = [
    "CHUNK_ROWS",
    "apply",
    "factor_correlation",
    "fit_chaid",
    "fit_discriminant",
    "fit_factor",
    "fit_kmeans",
    "fit_kprototypes",
    "fit_mnl",
    "get_client",
    "kernel_threads",
    "kmeans_sample_init",
    "kprototypes_sample_init",
    "merge_tree",
    "predict",
    "predict_proba",
    "profile_stats",
    "transform",
]
