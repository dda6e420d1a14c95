//! Cooperative cancellation: the bindings raise the flag when the user interrupts (Ctrl-C), and
//! the long loops of the core (Lloyd, k-prototypes and k-medoids passes, Newton and EM steps,
//! sampler iterations, tree growth) leave early when they see it. A computation that left early
//! returns a partial result that the bindings discard. The flag is process-wide: an interrupt
//! stops every segmint computation running at that moment.

use std::sync::atomic::{AtomicBool, Ordering};

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
