"""Independent NumPy references for the choice models (shared by tests/ and benchmarks/).

Nothing here imports segmint: these are the algorithms of REFERENCES.md written out in NumPy, so
that the tests can compare segmint's hierarchical-Bayes sampler and latent-class EM with them
(tests/test_conjoint_reference_numpy.py) and the benchmarks can time them side by side
(benchmarks/hb.py, benchmarks/latent_class.py add this folder to ``sys.path``).

* ``design_arrays``: long choice data -> dense (N, T, J, K) arrays, effects coding as segmint's.
* ``hb_numpy``: the CBC/HB Gibbs sampler with random-walk Metropolis for the respondents (Sawtooth
  CBC/HB, R ChoiceModelR): α | β, D; D | β, α (inverse Wishart, Bartlett); β_i by one Metropolis
  step with proposal β_i + ρ·chol(D)·ε, ρ tuned to 30 % acceptance during burn-in.
* ``lc_numpy``: EM for a finite mixture of conditional logits (Newton M-steps with step halving).
* ``mixture_respondent_loglik``: the per-respondent log-likelihood of the latent-class model in
  θ = (β_1..β_C, γ_1..γ_{C−1}), γ the class logits against the last class (for standard errors).
* ``batch_means_mcse``: Monte-Carlo standard error of a posterior mean by batch means.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

# ---------------------------------------------------------------------------------------------
# Data: long frame -> dense arrays


def design_arrays(
    data: pd.DataFrame,
    attributes: list[str],
    linear: list[str],
    *,
    none: str | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str], pd.Index, list[int]]:
    """X (N, T, J, K) in coded space (effects coding, then linear, then NONE), the chosen
    alternative (N, T), the parameter names, the respondent ids (sorted) and the level counts
    of the categorical attributes. Every respondent must have T tasks of J alternatives."""
    df = data.sort_values(["respondent", "task", "alternative"], kind="stable")
    ids = pd.Index(df["respondent"].unique(), name="respondent")
    n = len(ids)
    n_tasks = df.groupby("respondent", sort=False)["task"].nunique().unique()
    if len(n_tasks) != 1:
        raise ValueError("every respondent needs the same number of tasks")
    t = int(n_tasks[0])
    j = len(df) // (n * t)
    if n * t * j != len(df):
        raise ValueError("every task needs the same number of alternatives")
    cols: list[np.ndarray] = []
    names: list[str] = []
    n_levels: list[int] = []
    is_none = df[none].to_numpy(dtype=bool) if none else np.zeros(len(df), dtype=bool)
    for a in attributes:
        cat = df[a].astype("category")
        levels = list(cat.cat.categories)
        codes = cat.cat.codes.to_numpy()
        n_levels.append(len(levels))
        for v, lv in enumerate(levels[:-1]):
            x = (codes == v).astype(np.float64) - (codes == len(levels) - 1)
            x[is_none] = 0.0
            cols.append(x)
            names.append(f"{a}[{lv}]")
    for c in linear:
        x = df[c].to_numpy(dtype=np.float64).copy()
        x[is_none] = 0.0
        cols.append(x)
        names.append(c)
    if none:
        cols.append(is_none.astype(np.float64))
        names.append("NONE")
    X = np.column_stack(cols).reshape(n, t, j, len(names))
    chosen = df["chosen"].to_numpy().reshape(n, t, j)
    if not (chosen.sum(axis=2) == 1).all():
        raise ValueError("exactly one chosen alternative per task")
    return X, chosen.argmax(axis=2), names, ids, n_levels


def prior_v0(n_levels: list[int], k: int) -> np.ndarray:
    """V₀: per effects-coded attribute with L levels an (L−1) block with (L−1)/L on the diagonal
    and −1/L off it; identity for the remaining (linear, ASC, NONE) parameters."""
    v0 = np.eye(k)
    at = 0
    for L in n_levels:
        m = L - 1
        v0[at : at + m, at : at + m] = np.eye(m) - 1.0 / L
        at += m
    return v0


# ---------------------------------------------------------------------------------------------
# Choice likelihood, vectorised over respondents


class Likelihood:
    """Per-respondent MNL log-likelihood for a stack of coefficient vectors (N, K)."""

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        n, t, j, k = X.shape
        self.n, self.t, self.j, self.k = n, t, j, k
        # Alternative-major rows (N, J*T, K): the J utilities of a task are T apart.
        self.Xa = np.ascontiguousarray(X.transpose(0, 2, 1, 3).reshape(n, j * t, k))
        chosen = np.take_along_axis(X, y[:, :, None, None], axis=2)[:, :, 0, :]
        self.x_chosen = chosen.sum(axis=1)  # (N, K): Σ_t x_chosen

    def __call__(self, beta: np.ndarray) -> np.ndarray:
        v = np.matmul(self.Xa, beta[:, :, None])[:, :, 0].reshape(self.n, self.j, self.t)
        m = v[:, 0].copy()
        for a in range(1, self.j):
            np.maximum(m, v[:, a], out=m)
        s = np.exp(v[:, 0] - m)
        for a in range(1, self.j):
            s += np.exp(v[:, a] - m)
        lse = m + np.log(s)
        return np.einsum("nk,nk->n", self.x_chosen, beta) - lse.sum(axis=1)


class PooledMNL:
    """Pooled (optionally respondent-weighted) conditional logit fitted by Newton's method with
    step halving. Gradient Σ w (x_chosen − x̄_p), Hessian −Σ w Σ_j p_j x_j x_j′ + Σ w x̄ x̄′
    (REFERENCES.md). The data layouts are built once (the latent-class M-step reuses them)."""

    def __init__(self, X: np.ndarray, y: np.ndarray) -> None:
        n, t, j, k = X.shape
        self.n, self.t, self.j, self.k = n, t, j, k
        # Alternative-major layout (J, R, K): reductions over the alternatives are plane-wise.
        self.XJ = np.ascontiguousarray(X.reshape(n * t, j, k).transpose(1, 0, 2))
        self.XfT = np.ascontiguousarray(self.XJ.reshape(j * n * t, k).T)  # (K, J*R)
        self.xc = np.take_along_axis(X, y[:, :, None, None], axis=2)[:, :, 0, :].reshape(-1, k)

    def _value(self, b: np.ndarray, wr: np.ndarray, xc_w: np.ndarray) -> tuple[float, np.ndarray]:
        v = self.XJ @ b  # (J, R)
        m = v.max(axis=0)
        e = np.exp(v - m)
        s = e.sum(axis=0)
        return float(xc_w @ b - wr @ (m + np.log(s))), e / s

    def fit(
        self,
        weights: np.ndarray | None = None,
        beta: np.ndarray | None = None,
        *,
        max_steps: int = 100,
        tol: float = 1e-10,
    ) -> tuple[np.ndarray, float, int]:
        """Coefficients, log-likelihood and Newton steps; stops when the Newton decrement is
        below tol or no step along the Newton direction increases the log-likelihood."""
        wr = np.ones(self.n * self.t) if weights is None else np.repeat(weights, self.t)
        xc_w = wr @ self.xc
        b = np.zeros(self.k) if beta is None else np.array(beta, dtype=np.float64)
        ll, p = self._value(b, wr, xc_w)
        steps = 0
        for steps in range(1, max_steps + 1):  # noqa: B007
            xbar = p[0][:, None] * self.XJ[0]
            for a in range(1, self.j):
                xbar += p[a][:, None] * self.XJ[a]
            grad = xc_w - wr @ xbar
            hess = (self.XfT * (p * wr).ravel()) @ self.XfT.T - (xbar.T * wr) @ xbar
            try:
                step = np.linalg.solve(hess, grad)
            except np.linalg.LinAlgError:  # a class with no weight, or separated data
                step = np.linalg.lstsq(hess, grad, rcond=None)[0]
            decrement = float(grad @ step)
            h = 1.0
            while True:
                ll_new, p_new = self._value(b + h * step, wr, xc_w)
                if ll_new >= ll or h < 1e-10:
                    break
                h /= 2
            if ll_new < ll:  # no ascent along the Newton direction: at the optimum
                break
            b, ll, p = b + h * step, ll_new, p_new
            if decrement < tol:
                break
        return b, ll, steps


def mnl_newton(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Aggregate MNL: coefficients, log-likelihood, Newton steps."""
    return PooledMNL(X, y).fit()


# ---------------------------------------------------------------------------------------------
# The HB sampler


def _iw(rng: np.random.Generator, df: float, scale: np.ndarray) -> np.ndarray:
    """One draw of IW(df, scale) by Bartlett: D = L_S (A A′)⁻¹ L_S′ with L_S = chol(scale)."""
    k = len(scale)
    a = np.tril(rng.standard_normal((k, k)), -1)
    a[np.diag_indices(k)] = np.sqrt(rng.chisquare(df - np.arange(k)))
    g = np.linalg.solve(a, np.linalg.cholesky(scale).T)  # A⁻¹ L_S′
    return g.T @ g


def hb_numpy(
    X: np.ndarray,
    y: np.ndarray,
    v0: np.ndarray,
    *,
    n_iter: int,
    burn_in: int,
    thin: int = 10,
    prior_variance: float = 1.0,
    prior_df: int = 5,
    Z: np.ndarray | None = None,
    seed: int = 0,
) -> dict[str, np.ndarray | float]:
    """One chain. Returns kept respondent draws (n_kept, N, K) float32, α draws (n_kept, K)
    (or Δ draws (n_kept, M, K) with covariates Z (N, M), first column 1), the D draws' mean, the
    final ρ and acceptance (mean over the post-burn-in iterations), RLH and percent certainty at
    the last draw, and the CPU / wall seconds of the loop."""
    rng = np.random.default_rng(seed)
    lik = Likelihood(X, y)
    n, k = lik.n, lik.k
    nu0 = k + prior_df
    s0 = nu0 * prior_variance * v0
    beta = np.zeros((n, k))
    ll = lik(beta)
    D = prior_variance * v0
    rho = 0.1
    if Z is not None:
        zz_inv = np.linalg.inv(Z.T @ Z)
        zz_root = np.linalg.cholesky(zz_inv)
        proj = zz_inv @ Z.T
    kept_beta, kept_top, d_sum, acc_post = [], [], np.zeros((k, k)), []
    avg_variance = []  # mean diagonal of each post-burn-in D draw (Sawtooth's "avg variance")
    cpu, wall = time.process_time(), time.perf_counter()
    for it in range(n_iter):
        # α | β, D (or Δ | β, D)
        root = np.linalg.cholesky(D)
        if Z is None:
            top = beta.mean(axis=0) + root @ rng.standard_normal(k) / np.sqrt(n)
            mean = top[None, :]
        else:
            top = proj @ beta + zz_root @ rng.standard_normal((Z.shape[1], k)) @ root.T
            mean = Z @ top
        # D | β, α
        r = beta - mean
        D = _iw(rng, nu0 + n, s0 + r.T @ r)
        # β_i | α, D: random-walk Metropolis, all respondents at once
        root = np.linalg.cholesky(D)
        root_inv = np.linalg.inv(root)
        cand = beta + rho * (rng.standard_normal((n, k)) @ root.T)
        ll_cand = lik(cand)
        q_old = np.square((beta - mean) @ root_inv.T).sum(axis=1)
        q_new = np.square((cand - mean) @ root_inv.T).sum(axis=1)
        log_ratio = ll_cand - ll - 0.5 * (q_new - q_old)
        accept = np.log(rng.random(n)) < log_ratio
        beta[accept] = cand[accept]
        ll[accept] = ll_cand[accept]
        rate = accept.mean()
        if it < burn_in:
            rho *= 1.1 if rate > 0.3 else 0.9
        else:
            acc_post.append(rate)
            d_sum += D
            avg_variance.append(float(np.trace(D)) / k)
            if (it - burn_in + 1) % thin == 0:
                kept_beta.append(beta.astype(np.float32))
                kept_top.append(top.copy())
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    ll_total = float(ll.sum())
    n_obs = n * lik.t
    return {
        "beta": np.stack(kept_beta),
        "top": np.stack(kept_top),
        "D": d_sum / max(n_iter - burn_in, 1),
        "avg_variance": np.array(avg_variance),
        "rho": rho,
        "acceptance": float(np.mean(acc_post)) if acc_post else float("nan"),
        "acceptance_last": float(rate),
        "rlh": float(np.exp(ll_total / n_obs)),
        "pct_certainty": 1.0 - ll_total / (n_obs * np.log(1.0 / lik.j)),
        "cpu": cpu,
        "wall": wall,
    }


def split_rhat(chains: np.ndarray) -> np.ndarray:
    """Plain split-R-hat (BDA3) of draws (n_chains, n_draws, K) -> (K,)."""
    n_draws = chains.shape[1]
    half = n_draws // 2
    parts = np.concatenate([chains[:, :half], chains[:, n_draws - half :]], axis=0)
    means = parts.mean(axis=1)
    w = parts.var(axis=1, ddof=1).mean(axis=0)
    b = half * means.var(axis=0, ddof=1)
    var = (half - 1) / half * w + b / half
    return np.sqrt(var / w)


def _class_loglik(mnl: PooledMNL, B: np.ndarray) -> np.ndarray:
    """Σ_t log P(y_it | β_c) for every respondent and class: (N, C)."""
    v = mnl.XJ @ B.T  # (J, R, C)
    m = v.max(axis=0)
    s = np.exp(v[0] - m)
    for a in range(1, mnl.j):
        s += np.exp(v[a] - m)
    per_task = mnl.xc @ B.T - (m + np.log(s))  # (R, C)
    return per_task.reshape(mnl.n, mnl.t, -1).sum(axis=1)


def _lse(a: np.ndarray, axis: int) -> np.ndarray:
    m = a.max(axis=axis, keepdims=True)
    return np.squeeze(m, axis) + np.log(np.exp(a - m).sum(axis=axis))


def lc_numpy(
    mnl: PooledMNL,
    n_classes: int,
    *,
    max_iter: int = 500,
    tol: float = 1e-8,
    seed: int = 0,
    newton_steps: int = 3,
) -> dict:
    """One EM run from a random start: class coefficients (C, K), shares, memberships (N, C),
    LL, LL history (one value per EM iteration, computed in the E-step) and the iterations."""
    rng = np.random.default_rng(seed)
    n, k = mnl.n, mnl.k
    h = rng.dirichlet(np.ones(n_classes), size=n)
    B = np.zeros((n_classes, k))
    history: list[float] = []
    for _ in range(max_iter):
        # M-step
        pi = h.mean(axis=0)
        for c in range(n_classes):
            B[c], _, _ = mnl.fit(h[:, c], B[c], max_steps=newton_steps, tol=1e-12)
        # E-step
        joint = np.log(pi)[None, :] + _class_loglik(mnl, B)
        marginal = _lse(joint, axis=1)
        h = np.exp(joint - marginal[:, None])
        ll = float(marginal.sum())
        history.append(ll)
        if len(history) > 1 and history[-1] - history[-2] < tol * abs(ll):
            break
    return {
        "coef": B,
        "shares": h.mean(axis=0),
        "membership": h,
        "loglik": history[-1],
        "history": np.array(history),
        "n_iter": len(history),
    }


# ---------------------------------------------------------------------------------------------
# Monte-Carlo error and the latent-class likelihood in the parameters of its standard errors


def batch_means_mcse(draws: np.ndarray, n_batches: int = 40) -> np.ndarray:
    """Monte-Carlo standard error of the mean of each column of ``draws`` (n_draws, ...) by
    non-overlapping batch means (Flegal & Jones 2010): the draws are cut into ``n_batches``
    consecutive batches of equal size (a remainder at the start is dropped) and
    MCSE = sd(batch means, ddof=1) / √n_batches. Batches must be much longer than the chain's
    autocorrelation for the estimate to hold; with few batches it is itself noisy (a t
    distribution with n_batches − 1 degrees of freedom describes the ratio)."""
    x = np.asarray(draws, dtype=np.float64)
    size = len(x) // n_batches
    if size < 1:
        raise ValueError("fewer draws than batches")
    x = x[len(x) - size * n_batches :]
    means = x.reshape(n_batches, size, *x.shape[1:]).mean(axis=1)
    return means.std(axis=0, ddof=1) / np.sqrt(n_batches)


def mixture_respondent_loglik(mnl: PooledMNL, theta: np.ndarray, n_classes: int) -> np.ndarray:
    """Per-respondent log-likelihood (N,) of the latent-class logit at
    θ = (β_1, …, β_C, γ_1, …, γ_{C−1}): π = softmax(γ_1, …, γ_{C−1}, 0),
    L_i = Σ_c π_c Π_t P(y_it | β_c)."""
    k = mnl.k
    B = np.asarray(theta[: n_classes * k], dtype=np.float64).reshape(n_classes, k)
    gamma = np.append(np.asarray(theta[n_classes * k :], dtype=np.float64), 0.0)
    log_pi = gamma - _lse(gamma[None, :], axis=1)[0]
    return _lse(log_pi[None, :] + _class_loglik(mnl, B), axis=1)
