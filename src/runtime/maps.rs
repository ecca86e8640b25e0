//! The process's loaded maps and pattern files: one set, shared by every proxy's rules (a
//! file named by several converters is loaded once), later edited by the CLI.

use std::sync::{Mutex, OnceLock};

use crate::sample::map::MapCache;

fn cache() -> &'static Mutex<MapCache> {
    static C: OnceLock<Mutex<MapCache>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(MapCache::default()))
}

/// Runs `f` with the process's map cache (compile time only; lookups go through the
/// compiled converters' own handles).
pub fn with<T>(f: impl FnOnce(&mut MapCache) -> T) -> T {
    thread_local!(static HELD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    // A nested call would deadlock on the mutex: make it a loud bug instead.
    assert!(!HELD.get(), "maps::with called while the map cache is held");
    let mut g = cache().lock().unwrap_or_else(|e| e.into_inner());
    HELD.set(true);
    let out = f(&mut g);
    HELD.set(false);
    out
}
