//! Consistent hashing (`lb_chash.c`) and `balance random` (which draws on the same ring).

use super::common::{group, Group};
use super::hash::full_hash;
use super::{key, Balancer, HashType, LbOptions, Pick, ServerSet, BE_WEIGHT_SCALE};
use std::sync::Mutex;

/// `SRV_EWGHT_RANGE`: a server's ring points are `full_hash(puid * 4096 + n)`.
const SRV_EWGHT_RANGE: u32 = 256 * BE_WEIGHT_SCALE;

enum Mode {
    Hash { source: bool, ht: HashType },
    Random { draws: u32 },
}

pub struct Chash {
    mode: Mode,
    opts: LbOptions,
    st: Mutex<ChState>,
}

#[derive(Default)]
struct ChState {
    /// (usable, eweight, puid, backup) per server for the current rings.
    committed: Vec<(bool, u32, u32, bool)>,
    built: bool,
    act: Vec<(u32, usize)>,
    bck: Vec<(u32, usize)>,
    /// `lbprm.chash.last`, as a ring key (round-robin fallback position).
    last: Option<u32>,
    rng: u64,
}

/// The ring points of a server with effective weight `eweight`.
pub fn ring_points(puid: u32, eweight: u32) -> impl Iterator<Item = u32> {
    (0..eweight).map(move |n| full_hash(puid.wrapping_mul(SRV_EWGHT_RANGE).wrapping_add(n)))
}

impl Chash {
    pub fn new_hash(source: bool, ht: HashType, opts: LbOptions) -> Self {
        Self::with(Mode::Hash { source, ht }, opts)
    }

    pub fn new_random(draws: u32, opts: LbOptions) -> Self {
        Self::with(Mode::Random { draws }, opts)
    }

    fn with(mode: Mode, opts: LbOptions) -> Self {
        Chash {
            mode,
            opts,
            st: Mutex::new(ChState {
                rng: 0x9e37_79b9_7f4a_7c15,
                ..Default::default()
            }),
        }
    }

    fn refresh(st: &mut ChState, set: &dyn ServerSet) {
        let now: Vec<_> = (0..set.len())
            .map(|i| {
                let ew = set.eweight(i);
                (set.usable(i) && ew > 0, ew, set.puid(i), set.is_backup(i))
            })
            .collect();
        if st.built && now == st.committed {
            return;
        }
        let old = (std::mem::take(&mut st.act), std::mem::take(&mut st.bck));
        for (i, &(u, ew, puid, bck)) in now.iter().enumerate() {
            if !u {
                continue;
            }
            let ring = if bck { &mut st.bck } else { &mut st.act };
            ring.extend(ring_points(puid, ew).map(|k| (k, i)));
        }
        // full_hash is a bijection and (puid, n) pairs are distinct: keys never collide.
        st.act.sort_unstable();
        st.bck.sort_unstable();
        // A removed `last` node moves to the next node still present (chash_skip_node).
        if let Some(k) = st.last {
            let present = |r: &[(u32, usize)], k: u32| r.binary_search_by_key(&k, |e| e.0).is_ok();
            for (o, r) in [(&old.0, &st.act), (&old.1, &st.bck)] {
                if let Ok(p) = o.binary_search_by_key(&k, |e| e.0) {
                    if !present(r, k) {
                        st.last = (1..o.len())
                            .map(|d| o[(p + d) % o.len()].0)
                            .find(|&k2| present(r, k2));
                    }
                    break;
                }
            }
        }
        st.committed = now;
        st.built = true;
    }

    fn ring<'a>(&self, st: &'a ChState, set: &dyn ServerSet) -> Result<&'a [(u32, usize)], Pick> {
        match group(set, &self.opts, |i| st.committed[i].0) {
            Group::Active => Ok(&st.act),
            Group::Backups => Ok(&st.bck),
            Group::FirstBackup(i) => Err(Pick::Server(i)),
            Group::Nothing => Err(Pick::NoServer),
        }
    }

    /// `chash_get_server_hash` (without `avoid`).
    fn by_hash(&self, st: &ChState, set: &dyn ServerSet, hash: u32, avoid: Option<usize>) -> Pick {
        let ring = match self.ring(st, set) {
            Ok(r) => r,
            Err(p) => return p,
        };
        if ring.is_empty() {
            return Pick::NoServer;
        }
        let n = ring.len();
        let mut next = ring.partition_point(|&(k, _)| k < hash);
        if next == n {
            next = 0;
        }
        let prev = if next == 0 { n - 1 } else { next - 1 };
        let dp = hash.wrapping_sub(ring[prev].0);
        let dn = ring[next].0.wrapping_sub(hash);
        let mut pos = if dp <= dn { prev } else { next };
        let bf = self.opts.hash_balance_factor > 0;
        let mut loops = 0;
        while Some(ring[pos].1) == avoid || (bf && !self.eligible(st, set, ring[pos].1)) {
            pos += 1;
            if pos == n {
                pos = 0;
                loops += 1;
                if loops > 1 {
                    break;
                }
            }
        }
        Pick::Server(ring[pos].1)
    }

    /// `chash_server_is_eligible`.
    fn eligible(&self, st: &ChState, set: &dyn ServerSet, s: usize) -> bool {
        let c = &st.committed;
        let bck = c[s].3;
        let mut cum = 0u64;
        let mut tot = 0u64;
        for (i, e) in c.iter().enumerate() {
            if e.0 && e.3 == bck {
                if i < s {
                    cum += e.1 as u64;
                }
                tot += e.1 as u64;
            }
        }
        let tot = tot.max(1);
        let px_served: u64 = (0..set.len()).map(|i| set.served(i) as u64).sum();
        let tot_slots = ((px_served + 1) * self.opts.hash_balance_factor as u64).div_ceil(100);
        let per = tot_slots / tot;
        let rem = tot_slots % tot;
        let w = c[s].1 as u64;
        let mut slots = w * per + ((cum + w) * rem) / tot - (cum * rem) / tot;
        if slots == 0 {
            slots = 1;
        }
        (set.served(s) as u64) < slots
    }

    /// `chash_get_next_server` (without `avoid`): walks the ring from `last`.
    fn next_rr(&self, st: &mut ChState, set: &dyn ServerSet, avoid: Option<usize>) -> Pick {
        let (pick, last) = {
            let ring = match self.ring(st, set) {
                Ok(r) => r,
                Err(p) => return p,
            };
            Self::walk(ring, st.last, set, avoid)
        };
        if last.is_some() {
            st.last = last;
        }
        pick
    }

    /// The ring walk of `chash_get_next_server`: (choice, new `last`).
    fn walk(
        ring: &[(u32, usize)],
        last: Option<u32>,
        set: &dyn ServerSet,
        avoid: Option<usize>,
    ) -> (Pick, Option<u32>) {
        if ring.is_empty() {
            return (Pick::NoServer, None);
        }
        let n = ring.len();
        let mut pos = match last {
            Some(k) => ring.partition_point(|&(rk, _)| rk <= k) % n,
            None => 0,
        };
        let mut avoided = None;
        let mut seen = None;
        for _ in 0..n {
            let (k, s) = ring[pos];
            seen = Some(k);
            if !set.saturated(s) {
                if Some(s) != avoid {
                    return (Pick::Server(s), Some(k));
                }
                avoided = Some((s, k));
            }
            pos = (pos + 1) % n;
        }
        match avoided {
            Some((s, k)) => (Pick::Server(s), Some(k)),
            None => (Pick::Full, seen),
        }
    }

    /// `get_server_rnd`: best of `draws` random ring positions by served/weight.
    fn random(
        &self,
        st: &mut ChState,
        set: &dyn ServerSet,
        draws: u32,
        avoid: Option<usize>,
    ) -> Pick {
        let mut curr: Option<usize> = None;
        for _ in 0..draws {
            let prev = curr;
            // xorshift64*: HAProxy uses its statistical_prng (also xorshift-based).
            st.rng ^= st.rng >> 12;
            st.rng ^= st.rng << 25;
            st.rng ^= st.rng >> 27;
            let h = (st.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32;
            let c = match self.by_hash(st, set, h, avoid) {
                Pick::Server(c) => c,
                other => return other,
            };
            curr = Some(c);
            if let Some(p) = prev {
                if p != c {
                    let (cw, pw) = (st.committed[c].1 as u64, st.committed[p].1 as u64);
                    if set.served(c) as u64 * pw > set.served(p) as u64 * cw {
                        curr = Some(p);
                    }
                }
            }
        }
        match curr {
            Some(c) if set.saturated(c) => Pick::Full,
            Some(c) => Pick::Server(c),
            None => Pick::NoServer,
        }
    }
}

impl Balancer for Chash {
    fn pick(&self, set: &dyn ServerSet, key: Option<&[u8]>) -> Pick {
        self.pick_avoid(set, key, None)
    }

    fn pick_avoid(&self, set: &dyn ServerSet, key: Option<&[u8]>, avoid: Option<usize>) -> Pick {
        let mut st = self.st.lock().unwrap();
        Self::refresh(&mut st, set);
        match self.mode {
            Mode::Random { draws } => self.random(&mut st, set, draws, avoid),
            Mode::Hash { source, ht } => match key {
                Some(k) => {
                    let h = if source {
                        ht.finish_pub(key::source_hash(k))
                    } else {
                        ht.hash(k)
                    };
                    self.by_hash(&st, set, h, avoid)
                }
                None => self.next_rr(&mut st, set, avoid),
            },
        }
    }

    fn update(&self, set: &dyn ServerSet) {
        Self::refresh(&mut self.st.lock().unwrap(), set);
    }
}
