//! Map-based algorithms (`lb_map.c`): `static-rr` and `hash-type map-based` hashing.

use super::common::{group, weights_gcd, Group};
use super::{key, Balancer, HashType, LbOptions, Pick, ServerSet};
use std::sync::Mutex;

/// How a map-based hash turns the key into a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapHashing {
    /// `balance source`: XOR of address words instead of the hash function.
    pub source: bool,
    /// `balance url_param` is the one hash that hashes even when a single server is
    /// usable; every other one then uses hash 0 (`tot_used == 1` shortcut), which selects
    /// `map[0]` — not always the first backup when backups have different weights.
    pub url_param: bool,
    /// `balance rdp-cookie`: the shortcut applies only once the cookie was found.
    pub rdp: bool,
}

/// `static-rr` (`hashing == None`) or a map-based hash.
pub struct MapLb {
    hashing: Option<MapHashing>,
    ht: HashType,
    opts: LbOptions,
    st: Mutex<MapState>,
}

#[derive(Default)]
struct MapState {
    init: bool,
    /// `lbprm.wmult`: GCD of the user weights when the map was first built.
    wmult: u32,
    /// (usable, eweight) per server as the map was last built.
    committed: Vec<(bool, u32)>,
    map: Vec<usize>,
    rr_idx: usize,
}

impl MapLb {
    pub fn new(hashing: Option<MapHashing>, ht: HashType, opts: LbOptions) -> Self {
        MapLb {
            hashing,
            ht,
            opts,
            st: Mutex::new(MapState::default()),
        }
    }

    fn refresh(&self, st: &mut MapState, set: &dyn ServerSet) {
        if !st.init || st.committed.len() != set.len() {
            st.wmult = weights_gcd((0..set.len()).map(|i| set.weight(i)));
            st.init = true;
        }
        let wm = st.wmult;
        let now: Vec<(bool, u32)> = (0..set.len())
            .map(|i| {
                let ew = set.weight(i).div_ceil(wm);
                (set.usable(i) && ew > 0, ew)
            })
            .collect();
        if now != st.committed || st.map.is_empty() {
            st.committed = now;
            st.map = recalc_server_map(set, &st.committed, &self.opts);
        }
    }
}

/// `recount_servers` + `update_backend_weight` + `recalc_server_map`.
fn recalc_server_map(set: &dyn ServerSet, c: &[(bool, u32)], opts: &LbOptions) -> Vec<usize> {
    let g = group(set, opts, |i| c[i].0);
    let members: Vec<usize> = match g {
        Group::Nothing => return Vec::new(),
        Group::FirstBackup(i) => {
            // tot_weight is fbck's weight, but the loop walks every usable backup.
            return build(set, c, true, c[i].1);
        }
        Group::Active => (0..c.len())
            .filter(|&i| c[i].0 && !set.is_backup(i))
            .collect(),
        Group::Backups => (0..c.len())
            .filter(|&i| c[i].0 && set.is_backup(i))
            .collect(),
    };
    let tot = members.iter().map(|&i| c[i].1).sum();
    build(set, c, g == Group::Backups, tot)
}

fn build(set: &dyn ServerSet, c: &[(bool, u32)], backup: bool, tot: u32) -> Vec<usize> {
    let tot = tot as i64;
    let mut wscore = vec![0i64; c.len()];
    let mut map = Vec::with_capacity(tot as usize);
    for _ in 0..tot {
        let mut best: Option<usize> = None;
        let mut max = 0i64;
        for i in 0..c.len() {
            if set.is_backup(i) != backup || !c[i].0 {
                continue;
            }
            if tot == 1 {
                best = Some(i);
                break;
            }
            wscore[i] += c[i].1 as i64;
            let v = (wscore[i] + tot) / tot;
            if best.is_none() || v > max {
                max = v;
                best = Some(i);
            }
        }
        if let Some(b) = best {
            map.push(b);
            wscore[b] -= tot;
        }
    }
    map
}

impl Balancer for MapLb {
    fn pick(&self, set: &dyn ServerSet, key: Option<&[u8]>) -> Pick {
        self.pick_avoid(set, key, None)
    }

    fn pick_avoid(&self, set: &dyn ServerSet, key: Option<&[u8]>, avoid: Option<usize>) -> Pick {
        let mut st = self.st.lock().unwrap();
        self.refresh(&mut st, set);
        let tot = st.map.len();
        if tot == 0 {
            return Pick::NoServer;
        }
        if let Some(hs) = self.hashing {
            let c = &st.committed;
            let tot_used = match group(set, &self.opts, |i| c[i].0) {
                Group::FirstBackup(_) => 1,
                g => (0..c.len())
                    .filter(|&i| c[i].0 && set.is_backup(i) == (g == Group::Backups))
                    .count(),
            };
            // uri/hdr/source/hash skip the key lookup entirely when one server is
            // usable; rdp-cookie only skips hashing once the cookie is found.
            let shortcut = tot_used == 1 && !hs.url_param && (!hs.rdp || key.is_some());
            if shortcut {
                return Pick::Server(st.map[0]);
            }
            if let Some(k) = key {
                let h = if hs.source {
                    self.ht.finish_pub(key::source_hash(k))
                } else {
                    self.ht.hash(k)
                };
                return Pick::Server(st.map[h as usize % tot]);
            }
        }
        // map_get_server_rr
        if st.rr_idx >= tot {
            st.rr_idx = 0;
        }
        let start = st.rr_idx;
        let mut idx = start;
        let mut avoided = None;
        loop {
            let s = st.map[idx];
            idx += 1;
            if !set.saturated(s) {
                avoided = Some((s, idx));
                if Some(s) != avoid {
                    st.rr_idx = idx;
                    return Pick::Server(s);
                }
            }
            if idx == tot {
                idx = 0;
            }
            if idx == start {
                break;
            }
        }
        match avoided {
            Some((s, i)) => {
                st.rr_idx = i;
                Pick::Server(s)
            }
            None => Pick::Full,
        }
    }

    fn update(&self, set: &dyn ServerSet) {
        let mut st = self.st.lock().unwrap();
        self.refresh(&mut st, set);
    }
}
