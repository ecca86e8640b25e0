//! Pieces shared by the algorithms: the server-group choice every `*_get_next_server`
//! starts with, and an `eb32` tree look-alike.

use super::{LbOptions, ServerSet};

/// Which servers an algorithm draws from (HAProxy: `srv_act`, `lbprm.fbck`, `srv_bck`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    Active,
    /// Only the first usable backup (no `allbackups`).
    FirstBackup(usize),
    Backups,
    Nothing,
}

/// `usable(i)` is HAProxy's `srv_currently_usable`: running, not in maintenance or
/// drain, effective weight > 0.
pub(crate) fn group(
    set: &dyn ServerSet,
    opts: &LbOptions,
    usable: impl Fn(usize) -> bool,
) -> Group {
    let mut first_bck = None;
    for i in 0..set.len() {
        if !usable(i) {
            continue;
        }
        if !set.is_backup(i) {
            return Group::Active;
        }
        if first_bck.is_none() {
            first_bck = Some(i);
        }
    }
    match first_bck {
        None => Group::Nothing,
        Some(i) if !opts.allbackups => Group::FirstBackup(i),
        Some(_) => Group::Backups,
    }
}

/// An `eb32` tree allowing duplicates: ordered by key, duplicates in insertion order
/// (ebtree appends a duplicate after the last one with the same key).
///
/// Kept as a sorted vector: a backend's servers number in the tens, where a binary search
/// plus a short `memmove` beats a `BTreeMap`'s node allocations on every pick (each
/// round-robin pick removes and re-inserts one server).
#[derive(Debug, Default, Clone)]
pub(crate) struct Eb32 {
    nodes: Vec<(Node, usize)>,
}

/// A node handle: (key, insertion sequence).
pub(crate) type Node = (u32, u64);

impl Eb32 {
    pub fn insert(&mut self, key: u32, seq: &mut u64, v: usize) -> Node {
        *seq += 1;
        let n = (key, *seq);
        let at = self.nodes.partition_point(|(m, _)| *m < n);
        self.nodes.insert(at, (n, v));
        n
    }
    pub fn delete(&mut self, n: Node) {
        if let Ok(at) = self.nodes.binary_search_by(|(m, _)| m.cmp(&n)) {
            self.nodes.remove(at);
        }
    }
    pub fn first(&self) -> Option<(Node, usize)> {
        self.nodes.first().copied()
    }
    pub fn iter(&self) -> impl Iterator<Item = (Node, usize)> + '_ {
        self.nodes.iter().copied()
    }
}

/// Greatest common divisor of the non-zero weights (`init_server_map`'s `pgcd`).
pub(crate) fn weights_gcd(w: impl Iterator<Item = u32>) -> u32 {
    let mut g = 0u32;
    for mut x in w.filter(|&x| x > 0) {
        if g == 0 {
            g = x;
            continue;
        }
        while x != 0 {
            let t = g % x;
            g = x;
            x = t;
        }
    }
    g.max(1)
}
