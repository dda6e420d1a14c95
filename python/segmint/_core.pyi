# Type stubs for the Rust extension `segmint._core` (checked with mypy.stubtest).
from collections.abc import Callable
from typing import Any, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "ChaidNodeSplit",
    "ChaidRoute",
    "ChaidTree",
    "ClaraResult",
    "ClassNodes",
    "CustomerSummary",
    "DenseCodes",
    "DiscriminantFit",
    "FarthestRows",
    "HbSampler",
    "IdTable",
    "LatentClassFit",
    "LloydPartition",
    "MergedTable",
    "MnlFit",
    "MomentsPartition",
    "RatingFit",
    "chaid_apply",
    "chaid_bin_of",
    "chaid_code_block",
    "chaid_fit",
    "chaid_merge_table",
    "chaid_node_tables",
    "chaid_partition_tables",
    "chaid_route",
    "chaid_split_nodes",
    "chaid_target_sums",
    "clara_euclidean",
    "clara_gower",
    "cluster_index",
    "customer_summary",
    "dense_codes",
    "discriminant_fit",
    "discriminant_fit_nodes",
    "discriminant_partition_stats",
    "discriminant_partition_tables",
    "discriminant_proba",
    "euclidean_matrix",
    "finite_abs_max",
    "gower_matrix",
    "id_table",
    "kmeans_fit",
    "kmeans_lloyd_stats",
    "kmeans_partition_farthest",
    "kmeans_partition_lloyd",
    "kmeans_partition_moments",
    "kmeans_predict",
    "kmeans_transform",
    "kmedoids_fit",
    "kprototypes_fit",
    "kprototypes_predict",
    "latent_class_fit",
    "mnl_fit",
    "mnl_newton",
    "mnl_partition_columns",
    "mnl_partition_stats",
    "mnl_partition_totals",
    "mnl_respondent_scores",
    "mnl_stats",
    "profile_finish",
    "profile_partition_sums",
    "profile_stats",
    "rating_fit",
    "respondent_logliks",
    "silhouette_samples",
    "ward_cut",
    "ward_linkage",
]

def kmeans_fit(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    *,
    n_clusters: int,
    init: str,
    init_centers: npt.NDArray[np.float64] | None,
    n_init: int,
    max_iter: int,
    tol: float,
    seed: int,
    n_threads: int,
) -> tuple[
    npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64], float, int
]: ...
def finite_abs_max(x: npt.NDArray[np.float64], *, n_threads: int) -> npt.NDArray[np.float64]: ...
def kmeans_predict(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    *,
    centers: npt.NDArray[np.float64],
    offset: npt.NDArray[np.float64],
    n_threads: int,
) -> tuple[npt.NDArray[np.int64], float]: ...
def kmeans_transform(
    x: npt.NDArray[np.float64],
    centers: npt.NDArray[np.float64],
    *,
    offset: npt.NDArray[np.float64],
    n_threads: int,
) -> npt.NDArray[np.float64]: ...
def kmeans_lloyd_stats(
    x: npt.NDArray[np.float64],
    sample_weight: npt.NDArray[np.float64] | None,
    centers: npt.NDArray[np.float64],
    *,
    offset: npt.NDArray[np.float64],
    n_threads: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]: ...
def silhouette_samples(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], *, n_threads: int
) -> npt.NDArray[np.float64]: ...
def cluster_index(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], *, index: str, n_threads: int
) -> float: ...

@final
class ChaidTree:
    @property
    def parent(self) -> npt.NDArray[np.int64]: ...
    @property
    def depth(self) -> npt.NDArray[np.int64]: ...
    @property
    def n_rows(self) -> npt.NDArray[np.int64]: ...
    @property
    def weight(self) -> npt.NDArray[np.float64]: ...
    @property
    def value(self) -> npt.NDArray[np.float64]: ...
    @property
    def split(self) -> npt.NDArray[np.int64]: ...
    @property
    def statistic(self) -> npt.NDArray[np.float64]: ...
    @property
    def df1(self) -> npt.NDArray[np.float64]: ...
    @property
    def df2(self) -> npt.NDArray[np.float64]: ...
    @property
    def ln_p(self) -> npt.NDArray[np.float64]: ...
    @property
    def ln_p_adj(self) -> npt.NDArray[np.float64]: ...
    @property
    def n_categories(self) -> npt.NDArray[np.int64]: ...
    @property
    def merging(self) -> npt.NDArray[np.int64]: ...
    @property
    def default_child(self) -> npt.NDArray[np.int64]: ...
    @property
    def map_offsets(self) -> npt.NDArray[np.int64]: ...
    @property
    def map(self) -> npt.NDArray[np.int64]: ...
    @property
    def present(self) -> npt.NDArray[np.bool_]: ...
    @property
    def breaks_offsets(self) -> npt.NDArray[np.int64]: ...
    @property
    def breaks(self) -> npt.NDArray[np.float64]: ...
    @property
    def n_classes(self) -> int: ...

def chaid_fit(
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: npt.NDArray[np.uint32],
    ordinal: npt.NDArray[np.bool_],
    numeric: npt.NDArray[np.float64],
    y_codes: npt.NDArray[np.uint32] | None,
    n_classes: int,
    y_values: npt.NDArray[np.float64] | None,
    sample_weight: npt.NDArray[np.float64] | None,
    case_weight: npt.NDArray[np.float64] | None,
    rank: npt.NDArray[np.int64] | None,
    alpha_merge: float,
    alpha_split: float,
    alpha_split_merged: float,
    max_depth: int | None,
    min_parent_size: float,
    min_child_size: float,
    max_bins: int,
    exhaustive: bool,
    split_merged: bool,
    statistic: str,
    n_threads: int,
) -> ChaidTree: ...
def chaid_apply(
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: npt.NDArray[np.uint32],
    numeric: npt.NDArray[np.float64],
    split: npt.NDArray[np.int64],
    map_offsets: npt.NDArray[np.int64],
    map: npt.NDArray[np.int64],
    default_child: npt.NDArray[np.int64],
    breaks_offsets: npt.NDArray[np.int64],
    breaks: npt.NDArray[np.float64],
    n_threads: int,
) -> npt.NDArray[np.int64]: ...
def kprototypes_fit(
    x: npt.NDArray[np.float64],
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: list[int],
    sample_weight: npt.NDArray[np.float64] | None,
    n_clusters: int,
    gamma: float | None,
    init: str,
    init_numeric: npt.NDArray[np.float64] | None,
    init_modes: npt.NDArray[np.uint32] | None,
    update: str,
    n_init: int,
    max_iter: int,
    seed: int,
    n_threads: int,
) -> tuple[
    npt.NDArray[np.float64], npt.NDArray[np.uint32], npt.NDArray[np.int64], float, int, float
]: ...
def kprototypes_predict(
    x: npt.NDArray[np.float64],
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: list[int],
    numeric: npt.NDArray[np.float64],
    modes: npt.NDArray[np.uint32],
    gamma: float,
    n_threads: int,
) -> tuple[npt.NDArray[np.int64], float]: ...
def gower_matrix(
    x_num: npt.NDArray[np.float64],
    x_codes: npt.NDArray[np.uint32],
    y_num: npt.NDArray[np.float64],
    y_codes: npt.NDArray[np.uint32],
    *,
    ranges: list[float],
    halved: list[bool],
    weights: npt.NDArray[np.float64],
    float32: bool,
    n_threads: int,
) -> npt.NDArray[np.float64] | npt.NDArray[np.float32]: ...
def euclidean_matrix(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], *, float32: bool, n_threads: int
) -> npt.NDArray[np.float64] | npt.NDArray[np.float32]: ...
def kmedoids_fit(
    d: npt.NDArray[np.float64] | npt.NDArray[np.float32],
    *,
    n_clusters: int,
    init: str,
    medoids: list[int] | None,
    n_init: int,
    max_iter: int,
    seed: int,
    n_threads: int,
) -> tuple[list[int], npt.NDArray[np.int64], float, int, int]: ...
def ward_linkage(x: npt.NDArray[np.float64], *, n_threads: int) -> npt.NDArray[np.float64]: ...
def ward_cut(z: npt.NDArray[np.float64], *, n: int, k: int) -> npt.NDArray[np.int64]: ...
def profile_stats(
    x: npt.NDArray[np.float64],
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: list[int],
    sample_weight: npt.NDArray[np.float64] | None,
    labels: npt.NDArray[np.int64],
    k: int,
    kruskal: bool,
    n_threads: int,
) -> tuple[
    npt.NDArray[np.float64],
    tuple[
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
    ],
    tuple[list[npt.NDArray[np.float64]], npt.NDArray[np.float64], npt.NDArray[np.float64]],
]: ...
def profile_partition_sums(
    x: npt.NDArray[np.float64],
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: list[int],
    sample_weight: npt.NDArray[np.float64] | None,
    labels: npt.NDArray[np.int64],
    k: int,
    means: npt.NDArray[np.float64] | None,
    row_start: int,
    n_total: int,
    n_threads: int,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.float64]]: ...
def profile_finish(
    sums: npt.NDArray[np.float64],
    squares: npt.NDArray[np.float64],
    *,
    n_levels: list[int],
    k: int,
    minimum: npt.NDArray[np.float64],
    median: npt.NDArray[np.float64],
    rank2: npt.NDArray[np.float64] | None = None,
    rank_count: npt.NDArray[np.float64] | None = None,
    ties: npt.NDArray[np.float64] | None = None,
) -> tuple[
    npt.NDArray[np.float64],
    tuple[
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
    ],
    tuple[list[npt.NDArray[np.float64]], npt.NDArray[np.float64], npt.NDArray[np.float64]],
]: ...

@final
class RatingFit:
    @property
    def per_respondent(self) -> npt.NDArray[np.float64]: ...
    @property
    def pooled_coef(self) -> npt.NDArray[np.float64]: ...
    @property
    def pooled_part_worths(self) -> npt.NDArray[np.float64]: ...
    @property
    def pooled_r2(self) -> float: ...
    @property
    def pooled_sigma(self) -> float: ...

def rating_fit(
    design: npt.NDArray[np.float64],
    ratings: npt.NDArray[np.float64],
    *,
    levels: list[int],
    names: list[str],
    n_threads: int,
) -> RatingFit: ...

@final
class MnlFit:
    @property
    def coef(self) -> npt.NDArray[np.float64]: ...
    @property
    def covariance(self) -> npt.NDArray[np.float64]: ...
    @property
    def robust_covariance(self) -> npt.NDArray[np.float64]: ...
    @property
    def information(self) -> npt.NDArray[np.float64]: ...
    @property
    def loglik(self) -> float: ...
    @property
    def loglik_null(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def converged(self) -> bool: ...

def mnl_fit(
    x: npt.NDArray[np.float64],
    starts: npt.NDArray[np.int64],
    chosen: npt.NDArray[np.int64],
    respondent_starts: npt.NDArray[np.int64],
    *,
    names: list[str],
    weights: npt.NDArray[np.float64] | None = None,
    start: list[float] | None = None,
    max_iter: int,
    tol: float,
    n_threads: int,
) -> MnlFit: ...
def mnl_stats(
    x: npt.NDArray[np.float64],
    starts: npt.NDArray[np.int64],
    chosen: npt.NDArray[np.int64],
    *,
    beta: list[float],
    weights: npt.NDArray[np.float64] | None = None,
    n_threads: int,
) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def mnl_partition_totals(
    x: npt.NDArray[np.float64],
    starts: npt.NDArray[np.int64],
    chosen: npt.NDArray[np.int64],
    *,
    task_start: int,
    n_tasks_total: int,
    n_threads: int,
) -> tuple[
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]: ...
def mnl_partition_columns(
    x: npt.NDArray[np.float64],
    starts: npt.NDArray[np.int64],
    chosen: npt.NDArray[np.int64],
    *,
    mean: list[float],
    n_threads: int,
) -> npt.NDArray[np.float64]: ...
def mnl_partition_stats(
    columns: npt.NDArray[np.float64],
    starts: npt.NDArray[np.int64],
    chosen: npt.NDArray[np.int64],
    *,
    beta: list[float],
    hessian: bool,
    task_start: int,
    n_tasks_total: int,
    n_threads: int,
) -> tuple[
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]: ...
def mnl_respondent_scores(
    x: npt.NDArray[np.float64],
    starts: npt.NDArray[np.int64],
    chosen: npt.NDArray[np.int64],
    respondent_starts: npt.NDArray[np.int64],
    *,
    beta: list[float],
    n_threads: int,
) -> npt.NDArray[np.float64]: ...
def mnl_newton(
    stats: Callable[
        [npt.NDArray[np.float64], bool],
        tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64] | None],
    ],
    scores: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
    *,
    k: int,
    names: list[str],
    loglik_null: float,
    start: list[float] | None = None,
    max_iter: int,
    tol: float,
) -> MnlFit: ...
def respondent_logliks(
    x: npt.NDArray[np.float64],
    starts: npt.NDArray[np.int64],
    chosen: npt.NDArray[np.int64],
    respondent_starts: npt.NDArray[np.int64],
    *,
    beta: npt.NDArray[np.float64],
    n_threads: int,
) -> npt.NDArray[np.float64]: ...

@final
class LatentClassFit:
    @property
    def coef(self) -> npt.NDArray[np.float64]: ...
    @property
    def shares(self) -> npt.NDArray[np.float64]: ...
    @property
    def membership(self) -> npt.NDArray[np.float64]: ...
    @property
    def loglik(self) -> float: ...
    @property
    def history(self) -> npt.NDArray[np.float64]: ...
    @property
    def n_em(self) -> int: ...
    @property
    def covariance(self) -> npt.NDArray[np.float64] | None: ...
    @property
    def start_logliks(self) -> npt.NDArray[np.float64]: ...

def latent_class_fit(
    x: npt.NDArray[np.float64],
    starts: npt.NDArray[np.int64],
    chosen: npt.NDArray[np.int64],
    respondent_starts: npt.NDArray[np.int64],
    *,
    n_classes: int,
    n_starts: int,
    max_iter: int,
    tol: float,
    newton_steps: int,
    seed: int,
    n_threads: int,
) -> LatentClassFit: ...

@final
class HbSampler:
    def __new__(
        cls,
        x: npt.NDArray[np.float64],
        starts: npt.NDArray[np.int64],
        chosen: npt.NDArray[np.int64],
        respondent_starts: npt.NDArray[np.int64],
        *,
        z: npt.NDArray[np.float64],
        v0: npt.NDArray[np.float64],
        constraints: list[tuple[str, list[int], bool]],
        n_iter: int,
        burn_in: int,
        thin: int,
        n_chains: int,
        prior_variance: float,
        prior_df: float,
        seed: int,
        draws_every: int = 1,
        summaries: bool = False,
        tracked: list[int] = ...,
        translate: bool = True,
        max_memory: int = ...,
    ) -> HbSampler: ...
    def run(self, n: int, *, n_threads: int) -> int: ...
    def trace(self, c: int) -> npt.NDArray[np.float64]: ...
    def results(
        self,
    ) -> tuple[
        npt.NDArray[np.float32],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        list[float],
    ]: ...
    def tracked_draws(self) -> npt.NDArray[np.float32]: ...
    def summaries(
        self,
    ) -> (
        tuple[
            npt.NDArray[np.float64],
            npt.NDArray[np.float64],
            npt.NDArray[np.float64],
            npt.NDArray[np.float64],
        ]
        | None
    ): ...
    def shift_acceptance(self) -> list[float]: ...
    @staticmethod
    def memory(
        *,
        n_respondents: int,
        k: int,
        q: int,
        n_iter: int,
        burn_in: int,
        thin: int,
        n_chains: int,
        draws_every: int,
        summaries: bool,
        n_tracked: int,
    ) -> tuple[int, int, int]: ...

def chaid_node_tables(
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: list[int],
    y: npt.NDArray[np.uint32],
    n_classes: int,
    sample_weight: npt.NDArray[np.float64] | None,
    nodes: npt.NDArray[np.int64],
    n_nodes: int,
    n_threads: int,
) -> npt.NDArray[np.float64]: ...

@final
class MergedTable:
    @property
    def groups(self) -> list[list[int]]: ...
    @property
    def statistic(self) -> float: ...
    @property
    def df(self) -> float: ...
    @property
    def ln_p(self) -> float: ...
    @property
    def ln_p_adjusted(self) -> float: ...
    @property
    def merging(self) -> str: ...

def chaid_merge_table(
    table: npt.NDArray[np.float64],
    *,
    ordinal: bool,
    statistic: str,
    alpha_merge: float,
    alpha_split_merged: float,
    exhaustive: bool,
    split_merged: bool,
    min_child_size: float,
) -> MergedTable | None: ...

# --- discriminant analysis -------------------------------------------------------------------

@final
class DiscriminantFit:
    @property
    def counts(self) -> npt.NDArray[np.int64]: ...
    @property
    def means(self) -> npt.NDArray[np.float64]: ...
    @property
    def within(self) -> npt.NDArray[np.float64]: ...
    @property
    def between(self) -> npt.NDArray[np.float64]: ...
    @property
    def selected(self) -> npt.NDArray[np.int64]: ...
    @property
    def excluded(self) -> npt.NDArray[np.int64]: ...
    @property
    def eigenvalues(self) -> npt.NDArray[np.float64]: ...
    @property
    def wilks(self) -> npt.NDArray[np.float64]: ...
    @property
    def univariate(self) -> npt.NDArray[np.float64]: ...
    @property
    def box_m(self) -> npt.NDArray[np.float64]: ...
    @property
    def log_dets(self) -> npt.NDArray[np.float64]: ...
    @property
    def raw_coef(self) -> npt.NDArray[np.float64]: ...
    @property
    def raw_const(self) -> npt.NDArray[np.float64]: ...
    @property
    def standardized(self) -> npt.NDArray[np.float64]: ...
    @property
    def structure(self) -> npt.NDArray[np.float64]: ...
    @property
    def centroids(self) -> npt.NDArray[np.float64]: ...
    @property
    def class_coef(self) -> npt.NDArray[np.float64]: ...
    @property
    def class_const(self) -> npt.NDArray[np.float64]: ...
    @property
    def steps(self) -> npt.NDArray[np.float64]: ...
    @property
    def predicted(self) -> npt.NDArray[np.int64]: ...
    @property
    def loo(self) -> npt.NDArray[np.int64] | None: ...
    @property
    def scatter(self) -> npt.NDArray[np.float64]: ...

@final
class ClassNodes:
    @property
    def node_first(self) -> npt.NDArray[np.uint64]: ...
    @property
    def node_count(self) -> npt.NDArray[np.uint64]: ...
    @property
    def counts(self) -> npt.NDArray[np.uint64]: ...
    @property
    def mean(self) -> npt.NDArray[np.float64]: ...
    @property
    def m2(self) -> npt.NDArray[np.float64]: ...

def discriminant_partition_stats(
    x: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    *,
    n_groups: int,
    row_start: int,
    n_total: int,
    n_threads: int,
) -> ClassNodes: ...
def discriminant_fit_nodes(
    node_first: npt.NDArray[np.uint64],
    node_count: npt.NDArray[np.uint64],
    counts: npt.NDArray[np.uint64],
    mean: npt.NDArray[np.float64],
    m2: npt.NDArray[np.float64],
    *,
    n_features: int,
    n_total: int,
    priors: list[float],
    stepwise: bool,
    f_in: float,
    f_out: float,
    tolerance: float,
) -> DiscriminantFit: ...
def discriminant_partition_tables(
    x: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    *,
    coef: npt.NDArray[np.float64],
    intercept: list[float],
    counts: npt.NDArray[np.int64],
    means: npt.NDArray[np.float64],
    scatter: npt.NDArray[np.float64],
    selected: list[int],
    priors: list[float],
    cross_validate: bool,
    n_threads: int,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]: ...
def discriminant_fit(
    x: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    *,
    n_groups: int,
    priors: list[float],
    stepwise: bool,
    f_in: float,
    f_out: float,
    tolerance: float,
    cross_validate: bool,
    n_threads: int,
) -> DiscriminantFit: ...
def discriminant_proba(
    x: npt.NDArray[np.float64],
    *,
    coef: npt.NDArray[np.float64],
    intercept: npt.NDArray[np.float64],
    n_threads: int,
) -> npt.NDArray[np.float64]: ...

# --- onedim: customer summary of a transaction log -------------------------------------------

@final
class CustomerSummary:
    @property
    def customer(self) -> npt.NDArray[np.uint32]: ...
    @property
    def first(self) -> npt.NDArray[np.int64]: ...
    @property
    def last(self) -> npt.NDArray[np.int64]: ...
    @property
    def recency_days(self) -> npt.NDArray[np.float64]: ...
    @property
    def tenure_days(self) -> npt.NDArray[np.float64]: ...
    @property
    def frequency(self) -> npt.NDArray[np.uint64]: ...
    @property
    def lines(self) -> npt.NDArray[np.uint64]: ...
    @property
    def monetary(self) -> npt.NDArray[np.float64]: ...
    @property
    def mean_order_value(self) -> npt.NDArray[np.float64]: ...
    @property
    def mean_interpurchase_days(self) -> npt.NDArray[np.float64]: ...
    @property
    def active_periods(self) -> npt.NDArray[np.uint64]: ...
    @property
    def periods_observed(self) -> npt.NDArray[np.int64]: ...
    @property
    def demand_mean(self) -> npt.NDArray[np.float64]: ...
    @property
    def demand_sd(self) -> npt.NDArray[np.float64]: ...
    @property
    def cancellations(self) -> npt.NDArray[np.uint64]: ...
    @property
    def cancelled_only(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    @property
    def reference(self) -> int: ...
    @property
    def window(self) -> tuple[int, int]: ...

def customer_summary(
    customer: npt.NDArray[np.int64],
    *,
    n_customers: int,
    time: npt.NDArray[np.int64],
    ticks_per_day: int,
    amount: npt.NDArray[np.float64],
    invoice: npt.NDArray[np.int64] | None,
    n_invoices: int,
    cancelled: npt.NDArray[np.bool_] | None,
    reference: int | None,
    period: str,
    cancellations: str,
    n_threads: int,
    ids: IdTable | None = None,
) -> CustomerSummary: ...

__all__ += ["SummaryPartial", "summary_finish", "summary_partial"]

@final
class SummaryPartial:
    def __new__(
        cls,
        n_customers: int,
        lines: npt.NDArray[np.uint64],
        frequency: npt.NDArray[np.uint64],
        monetary: npt.NDArray[np.float64],
        first: npt.NDArray[np.int64],
        last: npt.NDArray[np.int64],
        cancellations: npt.NDArray[np.uint64],
        cancelled_lines: npt.NDArray[np.uint64],
        demand_customer: npt.NDArray[np.uint32],
        demand_period: npt.NDArray[np.int64],
        demand_value: npt.NDArray[np.float64],
        demand_purchased: npt.NDArray[np.bool_],
        dropped: int,
    ) -> SummaryPartial: ...
    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]: ...
    @property
    def n_customers(self) -> int: ...
    @property
    def dropped(self) -> int: ...
    @property
    def cancelled_only(self) -> int: ...
    @property
    def time_range(self) -> tuple[int, int] | None: ...

def summary_partial(
    customer: npt.NDArray[np.int64],
    *,
    n_customers: int,
    time: npt.NDArray[np.int64],
    ticks_per_day: int,
    amount: npt.NDArray[np.float64],
    invoice: npt.NDArray[np.int64] | None,
    n_invoices: int,
    cancelled: npt.NDArray[np.bool_] | None,
    period: str,
    cancellations: str,
    n_threads: int,
    ids: IdTable | None = None,
) -> SummaryPartial: ...
def summary_finish(
    partial: SummaryPartial,
    *,
    reference: int | None,
    start: int | None,
    ticks_per_day: int,
    period: str,
    n_threads: int,
) -> CustomerSummary: ...

@final
class DenseCodes:
    @property
    def codes(self) -> npt.NDArray[np.int64]: ...
    @property
    def uniques(self) -> npt.NDArray[np.int64]: ...

def dense_codes(
    values: npt.NDArray[np.int64], *, missing: int, max_range: int, n_threads: int
) -> DenseCodes | None: ...

@final
class IdTable:
    @property
    def uniques(self) -> npt.NDArray[np.int64]: ...

def id_table(
    values: npt.NDArray[np.int64], *, missing: int, max_range: int, n_threads: int
) -> IdTable | None: ...

# --- factor analysis (src/python/factor.rs) ---

__all__ += [
    "BartlettResult",
    "CorrelationPass",
    "FactorFit",
    "FitStats",
    "KmoResult",
    "MomentNodes",
    "factor_bartlett",
    "factor_correlation",
    "factor_fit",
    "factor_kmo",
    "factor_merge_moments",
    "factor_partition_moments",
    "factor_score_weights",
]

@final
class CorrelationPass:
    @property
    def cov(self) -> npt.NDArray[np.float64]: ...
    @property
    def cor(self) -> npt.NDArray[np.float64]: ...
    @property
    def count(self) -> npt.NDArray[np.float64]: ...
    @property
    def mean(self) -> npt.NDArray[np.float64]: ...
    @property
    def n_rows(self) -> float: ...

@final
class FitStats:
    @property
    def objective(self) -> float: ...
    @property
    def chi2(self) -> float: ...
    @property
    def df(self) -> float: ...
    @property
    def p_value(self) -> float: ...
    @property
    def rmsea(self) -> float: ...
    @property
    def tli(self) -> float: ...
    @property
    def bic(self) -> float: ...

@final
class FactorFit:
    @property
    def loadings(self) -> npt.NDArray[np.float64]: ...
    @property
    def unrotated(self) -> npt.NDArray[np.float64]: ...
    @property
    def structure(self) -> npt.NDArray[np.float64]: ...
    @property
    def phi(self) -> npt.NDArray[np.float64]: ...
    @property
    def rotation_matrix(self) -> npt.NDArray[np.float64]: ...
    @property
    def communalities(self) -> npt.NDArray[np.float64]: ...
    @property
    def uniquenesses(self) -> npt.NDArray[np.float64]: ...
    @property
    def psi(self) -> npt.NDArray[np.float64]: ...
    @property
    def eigen_r(self) -> npt.NDArray[np.float64]: ...
    @property
    def eigen_reduced(self) -> npt.NDArray[np.float64]: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def converged(self) -> bool: ...
    @property
    def rotation_converged(self) -> bool: ...
    @property
    def objective(self) -> float: ...
    @property
    def fit_stats(self) -> FitStats | None: ...
    @property
    def kmo(self) -> KmoResult | None: ...
    @property
    def bartlett(self) -> BartlettResult | None: ...
    @property
    def weights(self) -> npt.NDArray[np.float64]: ...

@final
class KmoResult:
    @property
    def overall(self) -> float: ...
    @property
    def per_item(self) -> npt.NDArray[np.float64]: ...

@final
class BartlettResult:
    @property
    def chi2(self) -> float: ...
    @property
    def df(self) -> float: ...
    @property
    def p_value(self) -> float: ...

def factor_correlation(x: npt.NDArray[np.float64], *, n_threads: int) -> CorrelationPass: ...

@final
class MomentNodes:
    @property
    def node_first(self) -> npt.NDArray[np.uint64]: ...
    @property
    def node_count(self) -> npt.NDArray[np.uint64]: ...
    @property
    def n(self) -> npt.NDArray[np.float64]: ...
    @property
    def sum(self) -> npt.NDArray[np.float64]: ...
    @property
    def cross(self) -> npt.NDArray[np.float64]: ...
    @property
    def has_pairwise(self) -> npt.NDArray[np.bool_]: ...
    @property
    def pw_count(self) -> npt.NDArray[np.float64]: ...
    @property
    def pw_psum(self) -> npt.NDArray[np.float64]: ...
    @property
    def pw_psq(self) -> npt.NDArray[np.float64]: ...

def factor_partition_moments(
    x: npt.NDArray[np.float64],
    *,
    shift: npt.NDArray[np.float64],
    row_start: int,
    n_total: int,
    n_threads: int,
) -> MomentNodes: ...
def factor_merge_moments(
    node_first: npt.NDArray[np.uint64],
    node_count: npt.NDArray[np.uint64],
    n: npt.NDArray[np.float64],
    sum: npt.NDArray[np.float64],
    cross: npt.NDArray[np.float64],
    has_pairwise: npt.NDArray[np.bool_],
    pw_count: npt.NDArray[np.float64],
    pw_psum: npt.NDArray[np.float64],
    pw_psq: npt.NDArray[np.float64],
    *,
    shift: npt.NDArray[np.float64],
    n_total: int,
) -> CorrelationPass: ...
def factor_fit(
    r: npt.NDArray[np.float64],
    *,
    names: list[str],
    n_factors: int,
    method: str,
    rotation: str,
    kaiser_normalize: bool,
    max_iter: int,
    n_obs: float,
    scores: str = "regression",
    gamma: float = 0.0,
    delta: float = 0.01,
    power: float = 4.0,
    n_threads: int = 0,
) -> FactorFit: ...
def factor_kmo(
    r: npt.NDArray[np.float64], *, names: list[str], n_threads: int = 0
) -> KmoResult: ...
def factor_bartlett(
    r: npt.NDArray[np.float64], *, names: list[str], n_obs: float, n_threads: int = 0
) -> BartlettResult: ...
def factor_score_weights(
    r: npt.NDArray[np.float64],
    pattern: npt.NDArray[np.float64],
    phi: npt.NDArray[np.float64],
    *,
    method: str,
    n_threads: int = 0,
) -> npt.NDArray[np.float64]: ...

# --- progress (segmint._progress) --------------------------------------------------------------

__all__ += ["set_progress_callback"]

def set_progress_callback(callback: Callable[[int, int, float], object] | None) -> None: ...

# --- TwoStep (src/python/twostep.rs) ---------------------------------------------------------

__all__ += ["TwoStepFit", "twostep_fit", "twostep_predict"]

@final
class TwoStepFit:
    @property
    def labels(self) -> npt.NDArray[np.int64]: ...
    @property
    def n_clusters(self) -> int: ...
    @property
    def criterion(self) -> npt.NDArray[np.float64]: ...
    @property
    def criterion_change(self) -> npt.NDArray[np.float64]: ...
    @property
    def ratio_change(self) -> npt.NDArray[np.float64]: ...
    @property
    def ratio_distance(self) -> npt.NDArray[np.float64]: ...
    @property
    def mean(self) -> npt.NDArray[np.float64]: ...
    @property
    def scale(self) -> npt.NDArray[np.float64]: ...
    @property
    def delta(self) -> npt.NDArray[np.float64]: ...
    @property
    def cluster_n(self) -> npt.NDArray[np.float64]: ...
    @property
    def cluster_sum(self) -> npt.NDArray[np.float64]: ...
    @property
    def cluster_sumsq(self) -> npt.NDArray[np.float64]: ...
    @property
    def cluster_counts(self) -> npt.NDArray[np.float64]: ...
    @property
    def entry_n(self) -> npt.NDArray[np.float64]: ...
    @property
    def entry_sum(self) -> npt.NDArray[np.float64]: ...
    @property
    def entry_sumsq(self) -> npt.NDArray[np.float64]: ...
    @property
    def entry_counts(self) -> npt.NDArray[np.float64]: ...
    @property
    def n_outlier_entries(self) -> int: ...
    @property
    def row_entry(self) -> npt.NDArray[np.int64]: ...
    @property
    def entry_cluster(self) -> npt.NDArray[np.int64]: ...
    @property
    def merges(self) -> npt.NDArray[np.int64]: ...
    @property
    def merge_distances(self) -> npt.NDArray[np.float64]: ...
    @property
    def threshold(self) -> float: ...
    @property
    def n_rebuilds(self) -> int: ...
    @property
    def profile_n(self) -> npt.NDArray[np.float64]: ...
    @property
    def profile_sum(self) -> npt.NDArray[np.float64]: ...
    @property
    def profile_sumsq(self) -> npt.NDArray[np.float64]: ...
    @property
    def profile_counts(self) -> npt.NDArray[np.float64]: ...
    @property
    def importance_statistic(self) -> npt.NDArray[np.float64]: ...
    @property
    def importance_df1(self) -> npt.NDArray[np.float64]: ...
    @property
    def importance_df2(self) -> npt.NDArray[np.float64]: ...
    @property
    def importance_ln_p(self) -> npt.NDArray[np.float64]: ...

def twostep_fit(
    x: npt.NDArray[np.float64],
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: list[int],
    n_clusters: int | None,
    max_clusters: int,
    criterion: str,
    standardize: bool,
    threshold: float,
    branching_factor: int,
    max_leaf_entries: int,
    max_depth: int,
    outlier_handling: bool,
    outlier_fraction: float,
    n_threads: int,
) -> TwoStepFit: ...
def twostep_predict(
    x: npt.NDArray[np.float64],
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: list[int],
    mean: list[float],
    scale: list[float],
    delta: list[float],
    cluster_n: npt.NDArray[np.float64],
    cluster_sum: npt.NDArray[np.float64],
    cluster_sumsq: npt.NDArray[np.float64],
    cluster_counts: npt.NDArray[np.float64],
    n_threads: int,
) -> npt.NDArray[np.int64]: ...

# --- k-medoids by CLARA (issue 21) ---------------------------------------------------------

@final
class ClaraResult:
    @property
    def medoids(self) -> npt.NDArray[np.int64]: ...
    @property
    def labels(self) -> npt.NDArray[np.int64]: ...
    @property
    def cost(self) -> float: ...
    @property
    def samples(self) -> npt.NDArray[np.int64]: ...
    @property
    def sample_costs(self) -> npt.NDArray[np.float64]: ...
    @property
    def best_sample(self) -> int: ...
    @property
    def n_iter(self) -> int: ...

def clara_gower(
    x_num: npt.NDArray[np.float64],
    x_codes: npt.NDArray[np.uint32],
    *,
    ranges: list[float],
    halved: list[bool],
    weights: npt.NDArray[np.float64],
    n_clusters: int,
    n_samples: int,
    sample_size: int,
    init: str,
    n_init: int,
    max_iter: int,
    seed: int,
    n_threads: int,
) -> ClaraResult: ...
def clara_euclidean(
    x: npt.NDArray[np.float64],
    *,
    n_clusters: int,
    n_samples: int,
    sample_size: int,
    init: str,
    n_init: int,
    max_iter: int,
    seed: int,
    n_threads: int,
) -> ClaraResult: ...

# --- Distributed partition kernels (segmint.distributed) -------------------------------------

@final
class MomentsPartition:
    @property
    def node_first(self) -> npt.NDArray[np.uint64]: ...
    @property
    def node_count(self) -> npt.NDArray[np.uint64]: ...
    @property
    def count(self) -> npt.NDArray[np.float64]: ...
    @property
    def mean(self) -> npt.NDArray[np.float64]: ...
    @property
    def m2(self) -> npt.NDArray[np.float64]: ...
    @property
    def total_weight(self) -> float: ...

@final
class LloydPartition:
    @property
    def node_first(self) -> npt.NDArray[np.uint64]: ...
    @property
    def node_count(self) -> npt.NDArray[np.uint64]: ...
    @property
    def sums(self) -> npt.NDArray[np.float64]: ...
    @property
    def weights(self) -> npt.NDArray[np.float64]: ...
    @property
    def inertia(self) -> npt.NDArray[np.float64]: ...
    @property
    def label_hash(self) -> int: ...

@final
class FarthestRows:
    @property
    def index(self) -> npt.NDArray[np.uint64]: ...
    @property
    def distance(self) -> npt.NDArray[np.float64]: ...
    @property
    def rows(self) -> npt.NDArray[np.float64]: ...
    @property
    def weight(self) -> npt.NDArray[np.float64]: ...
    @property
    def label(self) -> npt.NDArray[np.uint32]: ...

def kmeans_partition_moments(
    x: npt.NDArray[np.float64],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    row_start: int,
    n_total: int,
    n_threads: int,
) -> MomentsPartition: ...
def kmeans_partition_lloyd(
    x: npt.NDArray[np.float64],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    centers: npt.NDArray[np.float64],
    offset: npt.NDArray[np.float64],
    row_start: int,
    n_total: int,
    accumulate: bool,
    n_threads: int,
) -> LloydPartition: ...
def kmeans_partition_farthest(
    x: npt.NDArray[np.float64],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    centers: npt.NDArray[np.float64],
    offset: npt.NDArray[np.float64],
    row_start: int,
    n_total: int,
    m: int,
    n_threads: int,
) -> FarthestRows: ...

__all__ += [
    "ProtoFarthestRows",
    "ProtoStatsPartition",
    "kprototypes_partition_farthest",
    "kprototypes_partition_stats",
]

@final
class ProtoStatsPartition:
    @property
    def node_first(self) -> npt.NDArray[np.uint64]: ...
    @property
    def node_count(self) -> npt.NDArray[np.uint64]: ...
    @property
    def sums(self) -> npt.NDArray[np.float64]: ...
    @property
    def weights(self) -> npt.NDArray[np.float64]: ...
    @property
    def counts(self) -> npt.NDArray[np.float64]: ...
    @property
    def members(self) -> npt.NDArray[np.uint64]: ...
    @property
    def cost(self) -> npt.NDArray[np.float64]: ...
    @property
    def label_hash(self) -> int: ...

@final
class ProtoFarthestRows:
    @property
    def index(self) -> npt.NDArray[np.uint64]: ...
    @property
    def distance(self) -> npt.NDArray[np.float64]: ...
    @property
    def numeric(self) -> npt.NDArray[np.float64]: ...
    @property
    def codes(self) -> npt.NDArray[np.uint32]: ...

def kprototypes_partition_stats(
    x: npt.NDArray[np.float64],
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: list[int],
    sample_weight: npt.NDArray[np.float64] | None,
    centers: npt.NDArray[np.float64],
    modes: npt.NDArray[np.uint32],
    gamma: float,
    row_start: int,
    n_total: int,
    n_threads: int,
) -> ProtoStatsPartition: ...
def kprototypes_partition_farthest(
    x: npt.NDArray[np.float64],
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: list[int],
    centers: npt.NDArray[np.float64],
    modes: npt.NDArray[np.uint32],
    gamma: float,
    row_start: int,
    n_total: int,
    m: int,
    n_threads: int,
) -> ProtoFarthestRows: ...

# --- CHAID level by level (distributed build) ---------------------------------------------------

@final
class ChaidNodeSplit:
    @property
    def predictor(self) -> int: ...
    @property
    def slot_child(self) -> npt.NDArray[np.int64]: ...
    @property
    def present(self) -> npt.NDArray[np.bool_]: ...
    @property
    def default_child(self) -> int: ...
    @property
    def n_children(self) -> int: ...
    @property
    def statistic(self) -> float: ...
    @property
    def df1(self) -> float: ...
    @property
    def df2(self) -> float: ...
    @property
    def ln_p(self) -> float: ...
    @property
    def ln_p_adj(self) -> float: ...
    @property
    def n_categories(self) -> int: ...
    @property
    def merging(self) -> int: ...

def chaid_split_nodes(
    tables: npt.NDArray[np.float64],
    *,
    n_slots: npt.NDArray[np.int64],
    ordinal: npt.NDArray[np.bool_],
    rank: npt.NDArray[np.int64],
    alpha_merge: float,
    alpha_split: float,
    alpha_split_merged: float,
    min_child_size: float,
    exhaustive: bool,
    split_merged: bool,
    statistic: str,
    n_threads: int,
    sums: str = "counts",
) -> list[ChaidNodeSplit | None]: ...
def chaid_partition_tables(
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: list[int],
    y_codes: npt.NDArray[np.uint32] | None,
    n_classes: int,
    y_values: npt.NDArray[np.float64] | None,
    sample_weight: npt.NDArray[np.float64] | None,
    case_weight: npt.NDArray[np.float64] | None,
    nodes: npt.NDArray[np.int64],
    n_nodes: int,
    row_start: int,
    n_total: int,
    n_threads: int,
) -> tuple[
    npt.NDArray[np.uint64],
    npt.NDArray[np.uint64],
    npt.NDArray[np.float64],
    tuple[int, int, int, int],
]: ...
def chaid_target_sums(
    y: npt.NDArray[np.float64],
    *,
    sample_weight: npt.NDArray[np.float64] | None,
    case_weight: npt.NDArray[np.float64] | None,
    row_start: int,
    n_total: int,
    n_threads: int,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.float64]]: ...

@final
class ChaidRoute:
    @property
    def nodes(self) -> npt.NDArray[np.int64]: ...
    @property
    def counts(self) -> npt.NDArray[np.int64]: ...

def chaid_route(
    codes: npt.NDArray[np.uint32],
    *,
    n_levels: list[int],
    nodes: npt.NDArray[np.int64],
    predictor: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    child: npt.NDArray[np.int64],
    open_index: npt.NDArray[np.int64],
    n_threads: int,
) -> ChaidRoute: ...
def chaid_bin_of(
    cum: npt.NDArray[np.float64], *, total: float, max_bins: int
) -> npt.NDArray[np.int64]: ...
def chaid_code_block(
    codes: npt.NDArray[np.uint32],
    *,
    numeric: npt.NDArray[np.float64],
    breaks_offsets: npt.NDArray[np.int64],
    breaks: npt.NDArray[np.float64],
    n_threads: int,
) -> npt.NDArray[np.uint32]: ...

__all__ += ["simd_build"]

def simd_build() -> str: ...
