//! In-process counters behind `/metrics` (JSON) and `/metrics/prometheus` (text).
//! Named counters with optional labels; cheap enough to bump on every request.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

#[derive(Clone, Debug, Default)]
pub struct Metrics {
    counters: Arc<Mutex<BTreeMap<(String, String), u64>>>,
}

impl Metrics {
    /// Adds one to counter `name`.
    pub fn incr(&self, name: &str) {
        self.add(name, "", 1);
    }

    /// Adds `n` to counter `name` for one `label` value (such as a route template).
    pub fn add(&self, name: &str, label: &str, n: u64) {
        if let Ok(mut map) = self.counters.lock() {
            *map.entry((name.to_owned(), label.to_owned())).or_default() += n;
        }
    }

    pub fn get(&self, name: &str, label: &str) -> u64 {
        self.counters
            .lock()
            .ok()
            .and_then(|m| m.get(&(name.to_owned(), label.to_owned())).copied())
            .unwrap_or(0)
    }

    /// Every counter as (name, label, value), sorted.
    pub fn snapshot(&self) -> Vec<(String, String, u64)> {
        self.counters
            .lock()
            .map(|m| {
                m.iter()
                    .map(|((n, l), v)| (n.clone(), l.clone(), *v))
                    .collect()
            })
            .unwrap_or_default()
    }
}
