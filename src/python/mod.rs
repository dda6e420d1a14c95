//! pyo3 bindings: numpy <-> ndarray, errors, threads. No algorithm lives here.

pub mod array;
pub mod chaid;
pub mod chaid_levels;
pub mod cluster;
pub mod conjoint;
pub mod conjoint_partition;
pub mod discriminant;
pub mod distributed;
pub mod factor;
pub mod onedim;
pub mod profile;
pub mod progress;
pub mod twostep;

use std::cell::UnsafeCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::cancel;
use crate::error::Error;

static INVALID_INPUT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INTERNAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Raises the `segmint.errors` class that matches the core's error.
pub(crate) fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    match err {
        Error::InvalidInput { what, why } => {
            match INVALID_INPUT.import(py, "segmint.errors", "InvalidInputError") {
                Ok(cls) => PyErr::from_type(cls.clone(), (format!("{what}: {why}"), what)),
                Err(e) => e,
            }
        }
    }
}

fn internal_error(py: Python<'_>, message: String) -> PyErr {
    match INTERNAL.import(py, "segmint.errors", "InternalError") {
        Ok(cls) => PyErr::from_type(cls.clone(), message),
        Err(_) => PyRuntimeError::new_err(message),
    }
}

/// The rayon pools built so far, per thread count, each tagged with the process that built it.
///
/// Fork safety: a process may `fork()` while another of its threads is inside this cache. A
/// `Mutex` held at that moment stays locked forever in the child (its holder does not exist
/// there), so the cache is guarded by a small lock that records the pid of its holder: a child
/// that finds the lock held by another process takes it over and drops (without running
/// destructors) whatever the parent's thread was doing to the list. The lock is held only to look
/// up or insert an entry, never while a pool is built or used.
struct PoolCache {
    /// 0 when free, else the pid of the process whose thread holds the lock.
    owner: AtomicU32,
    pools: UnsafeCell<Vec<(u32, usize, Arc<ThreadPool>)>>,
}

// SAFETY: `pools` is only touched by the holder of `owner` (see `PoolCache::with`).
unsafe impl Sync for PoolCache {}

/// Distinct thread counts kept alive at once (more evict the oldest).
const MAX_POOLS: usize = 4;

static POOLS: PoolCache = PoolCache {
    owner: AtomicU32::new(0),
    pools: UnsafeCell::new(Vec::new()),
};

impl PoolCache {
    /// Runs `f` on the list with the lock held (no allocation-heavy work, no pool building).
    fn with<R>(&self, f: impl FnOnce(&mut Vec<(u32, usize, Arc<ThreadPool>)>) -> R) -> R {
        let pid = std::process::id();
        loop {
            match self
                .owner
                .compare_exchange(0, pid, Ordering::Acquire, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(held) if held != pid => {
                    // Held by a thread of the parent at fork time: that thread is gone here.
                    if self
                        .owner
                        .compare_exchange(held, pid, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                    {
                        // SAFETY: we hold the lock now; the list may be half-updated, so it is
                        // forgotten (leaked), never read or dropped.
                        unsafe {
                            let old = std::ptr::replace(self.pools.get(), Vec::new());
                            std::mem::forget(old);
                        }
                        break;
                    }
                }
                Err(_) => std::thread::yield_now(),
            }
        }
        struct Release<'a>(&'a AtomicU32);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                self.0.store(0, Ordering::Release);
            }
        }
        let _release = Release(&self.owner);
        // SAFETY: exclusive access while `owner` holds our pid.
        let pools = unsafe { &mut *self.pools.get() };
        // Pools inherited through fork(): their threads are gone, never touch them again.
        if pools.iter().any(|(p, _, _)| *p != pid) {
            for entry in std::mem::take(pools) {
                if entry.0 == pid {
                    pools.push(entry);
                } else {
                    std::mem::forget(entry);
                }
            }
        }
        f(pools)
    }
}

/// The rayon pool for `n_jobs` threads (0 = rayon's default: `RAYON_NUM_THREADS` or all cores),
/// cached per process and thread count; a child created by `fork()` builds its own instead of
/// waiting on threads (or a lock holder) that do not exist in it.
fn pool(n_threads: usize) -> Result<Arc<ThreadPool>, String> {
    let pid = std::process::id();
    let find = |pools: &mut Vec<(u32, usize, Arc<ThreadPool>)>| {
        pools
            .iter()
            .find(|(p, n, _)| *p == pid && *n == n_threads)
            .map(|(_, _, pool)| pool.clone())
    };
    if let Some(found) = POOLS.with(find) {
        return Ok(found);
    }
    // Built outside the lock: spawning threads takes time, and a fork may happen meanwhile.
    let built = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(n_threads)
            .build()
            .map_err(|e| e.to_string())?,
    );
    let (pool, evicted) = POOLS.with(|pools| {
        if let Some(found) = find(pools) {
            return (found, None); // another thread built the same pool first
        }
        let evicted = (pools.len() >= MAX_POOLS).then(|| pools.remove(0));
        pools.push((pid, n_threads, built.clone()));
        (built.clone(), evicted)
    });
    drop(evicted); // outside the lock: a pool's drop signals its threads
    Ok(pool)
}

/// How often a waiting call checks for a pending signal (Ctrl-C).
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// What a detached computation ended with.
enum Outcome<T> {
    Done(Result<T, Error>),
    Panicked(String),
    Interrupted(PyErr),
}

/// Runs a core computation with the interpreter detached, on a pool of `n_threads` threads,
/// turning errors and (defensively) panics into Python exceptions.
///
/// The computation runs as a job of the cached pool while the calling thread waits and, every
/// `SIGNAL_POLL`, lets Python check for signals: on Ctrl-C (or any signal handler that raises)
/// the core is asked to stop ([`crate::cancel`]), its partial result is discarded once it has
/// returned, and the handler's exception (`KeyboardInterrupt`) is raised. With a progress
/// callback registered ([`progress::set_progress_callback`]) each poll also hands it the core's
/// progress, and a last call follows a successful return (an exception it raises interrupts).
///
/// No thread is created per call: only when a pool is first built, and then with the GIL held.
/// Creating a thread while another thread of the process calls `fork()` corrupts the child's
/// heap with glibc (2.36 here): `pthread_create` takes a cached stack off the stack cache,
/// releases the cache lock, and only then frees the dynamic TLS blocks that the stack's previous
/// thread left in its DTV. A fork in between hands the child that stack, back in its cache with
/// the DTV entries not yet cleared, and the child's first `pthread_create` frees the same blocks
/// again (a double free: glibc aborts with "corrupted size vs. prev_size while consolidating",
/// "double free or corruption", ...). A helper thread per call, as `run` once had, made every
/// call open that window.
pub(crate) fn run<T, F>(py: Python<'_>, n_threads: usize, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> Result<T, Error> + Send,
{
    let mut reporter = progress::Reporter::current(py);
    // Looked up (and, the first time, built) with the interpreter attached: `os.fork()` holds
    // the GIL, so a fork from Python never lands while a pool's threads are being created.
    let pool = match pool(n_threads) {
        Ok(pool) => pool,
        Err(message) => return Err(internal_error(py, internal_message(&message))),
    };
    let outcome = py.detach(|| {
        // Declared before the scope so that the receiver outlives the job.
        let (tx, rx) = mpsc::channel();
        // The scope's body runs on this thread, the job on a thread of the pool (as
        // `pool.install(f)` would, so the core's parallel loops use this pool); the scope ends
        // once the job has.
        pool.in_place_scope(|scope| {
            scope.spawn(move |_| {
                let result = catch_unwind(AssertUnwindSafe(f));
                // The receiver outlives the job (declared outside the scope).
                let _ = tx.send(result);
            });
            let finished = |result: std::thread::Result<Result<T, Error>>| match result {
                Ok(value) => Outcome::Done(value),
                Err(panic) => Outcome::Panicked(panic_message(panic)),
            };
            loop {
                match rx.recv_timeout(SIGNAL_POLL) {
                    Ok(result) => return finished(result),
                    Err(RecvTimeoutError::Timeout) => {
                        let polled = Python::attach(|py| {
                            py.check_signals()?;
                            reporter.as_mut().map_or(Ok(()), |r| r.report(py))
                        });
                        if let Err(err) = polled {
                            cancel::request();
                            let _ = rx.recv();
                            cancel::clear();
                            return Outcome::Interrupted(err);
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        return Outcome::Panicked("the computation ended without a result".into());
                    }
                }
            }
        })
    });
    match outcome {
        Outcome::Done(Ok(value)) => {
            if let Some(r) = reporter.as_mut() {
                r.report(py)?;
            }
            Ok(value)
        }
        Outcome::Done(Err(err)) => Err(to_py_err(py, err)),
        Outcome::Panicked(message) => Err(internal_error(py, internal_message(&message))),
        Outcome::Interrupted(err) => Err(err),
    }
}

fn internal_message(message: &str) -> String {
    format!("internal error in segmint's core (please report it): {message}")
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// The widest instruction-set build the vector kernels run on this machine: "avx512", "avx2" or
/// "portable" (what the CPU has, less what `SEGMINT_DISABLE_CPU_FEATURES` turns off).
#[pyfunction]
pub fn simd_build() -> &'static str {
    crate::simd::widest_build()
}
