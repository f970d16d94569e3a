//! The sandbox's limits, and the wall-clock deadline that `on_progress` enforces.
//!
//! The engine is shared by every thread, so the deadline of the run in progress lives in a
//! thread-local: a run sets it, the progress callback reads it, the guard clears it. A run
//! is synchronous and never hops threads, so the callback always sees its own run's.

use std::cell::Cell;
use std::time::{Duration, Instant};

use rhai::Dynamic;

/// How far a script may go. The defaults fit conditions over one event's payload with a
/// wide margin: a ten-row condition takes well under a hundred operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Operations per run (0: unlimited, leaving only the deadline).
    pub max_operations: u64,
    /// Nested function calls.
    pub max_call_levels: usize,
    /// Expression nesting, at top level and inside functions.
    pub max_expr_depth: usize,
    pub max_function_expr_depth: usize,
    /// Bytes in one string, items in one array, entries in one map.
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    /// Variables in scope at once (the payload's objects count too).
    pub max_variables: usize,
    /// Functions a script may define.
    pub max_functions: usize,
    /// Wall-clock time per run.
    pub deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: 100_000,
            max_call_levels: 16,
            max_expr_depth: 48,
            max_function_expr_depth: 24,
            // An inbound text is at most 1,600 characters; room for a few of them.
            max_string_size: 16 * 1024,
            max_array_size: 1_024,
            max_map_size: 256,
            max_variables: 64,
            max_functions: 16,
            deadline: Duration::from_millis(50),
        }
    }
}

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Reading the clock costs about as much as a few operations, so it is read every
/// `CHECK_EVERY` operations; no single operation can run long under the size limits.
const CHECK_EVERY: u64 = 64;

/// The `on_progress` callback: stops the script once the current run's deadline passed.
pub(crate) fn check_deadline(operations: u64) -> Option<Dynamic> {
    if !operations.is_multiple_of(CHECK_EVERY) {
        return None;
    }
    let deadline = DEADLINE.with(Cell::get)?;
    (Instant::now() >= deadline).then(|| Dynamic::from("deadline"))
}

/// Sets this thread's deadline for the length of one run.
pub(crate) struct DeadlineGuard {
    previous: Option<Instant>,
}

impl DeadlineGuard {
    pub(crate) fn start(budget: Duration) -> Self {
        let previous = DEADLINE.with(|d| d.replace(Some(Instant::now() + budget)));
        Self { previous }
    }
}

impl Drop for DeadlineGuard {
    fn drop(&mut self) {
        DEADLINE.with(|d| d.set(self.previous));
    }
}
