//! Cooperative cancellation: the bindings raise the flag when the user interrupts (Ctrl-C), and
//! the long loops of the core (Lloyd, k-prototypes and k-medoids passes, Newton and EM steps,
//! sampler iterations, tree growth) leave early when they see it. A computation that left early
//! returns a partial result that the bindings discard. The flag is process-wide: an interrupt
//! stops every segmint computation running at that moment.
//!
//! Next to the flag, the same loops report their progress ([`progress`]): steps done, steps
//! expected and the quantity that matters (inertia, log-likelihood, ...). The bindings reset it
//! before a computation and hand it to the caller's progress callback while they wait. Like the
//! flag it is process-wide: two computations running at once mix their progress (never their
//! results).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Whether the running computation should stop as soon as it can.
#[inline]
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Asks every running computation to stop.
pub fn request() {
    REQUESTED.store(true, Ordering::Relaxed);
}

/// Clears the request once the interrupted computation has returned.
pub fn clear() {
    REQUESTED.store(false, Ordering::Relaxed);
}

static DONE: AtomicU64 = AtomicU64::new(0);
static TOTAL: AtomicU64 = AtomicU64::new(0);
/// The bits of an f64 (NaN: no value yet).
static METRIC: AtomicU64 = AtomicU64::new(NAN_BITS);
const NAN_BITS: u64 = 0x7ff8_0000_0000_0000;

/// A snapshot of the progress of the running computation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Steps done (never decreases during a computation).
    pub done: u64,
    /// Steps expected (0: unknown). `done` may stop short of it (early convergence).
    pub total: u64,
    /// The quantity that matters, NaN before the first report.
    pub metric: f64,
}

/// Progress reporting for the long loops of the core: a few relaxed atomic operations, cheap
/// enough for every iteration.
pub mod progress {
    use super::*;

    /// Clears the progress (the bindings call it before each computation).
    pub fn reset() {
        DONE.store(0, Ordering::Relaxed);
        TOTAL.store(0, Ordering::Relaxed);
        METRIC.store(NAN_BITS, Ordering::Relaxed);
    }

    /// Sets the number of steps expected.
    #[inline]
    pub fn total(total: u64) {
        TOTAL.store(total, Ordering::Relaxed);
    }

    /// Counts `steps` more steps done.
    #[inline]
    pub fn advance(steps: u64) {
        DONE.fetch_add(steps, Ordering::Relaxed);
    }

    /// Sets the reported quantity (the last call wins: report the fitted value last).
    #[inline]
    pub fn metric(value: f64) {
        METRIC.store(value.to_bits(), Ordering::Relaxed);
    }

    /// Lowers the reported quantity to `value` if that is lower (or the first report): the best
    /// cost over runs that may finish in any order.
    pub fn lower(value: f64) {
        keep(value, |new, old| new < old);
    }

    /// Raises the reported quantity to `value` if that is higher (or the first report): the
    /// best log-likelihood over runs that may finish in any order.
    pub fn higher(value: f64) {
        keep(value, |new, old| new > old);
    }

    fn keep(value: f64, better: impl Fn(f64, f64) -> bool) {
        let _ = METRIC.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
            let old = f64::from_bits(bits);
            (old.is_nan() || better(value, old)).then_some(value.to_bits())
        });
    }

    /// Counts one step and sets the reported quantity.
    #[inline]
    pub fn step(value: f64) {
        metric(value);
        advance(1);
    }

    /// The current progress.
    pub fn get() -> Progress {
        Progress {
            done: DONE.load(Ordering::Relaxed),
            total: TOTAL.load(Ordering::Relaxed),
            metric: f64::from_bits(METRIC.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_and_clear() {
        clear();
        assert!(!requested());
        request();
        assert!(requested());
        clear();
        assert!(!requested());
    }
}
