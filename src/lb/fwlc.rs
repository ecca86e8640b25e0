//! `balance leastconn` (`lb_fwlc.c`): a tree keyed by `(inflight + 1) * 4096 / eweight`
//! (0 when idle); ties go to the server queued first, and a server is requeued — moved
//! behind its equals — each time its load changes.

use super::common::{group, Eb32, Group, Node};
use super::{Balancer, LbOptions, Pick, ServerSet, BE_WEIGHT_SCALE};
use std::sync::Mutex;

const SRV_EWGHT_MAX: u64 = 256 * BE_WEIGHT_SCALE as u64;

#[derive(Default)]
struct St {
    init: bool,
    /// (usable, eweight, node) per server.
    srv: Vec<(bool, u32, Option<Node>)>,
    trees: [Eb32; 2],
    seq: u64,
}

pub struct Fwlc {
    opts: LbOptions,
    st: Mutex<St>,
}

fn key(set: &dyn ServerSet, i: usize, ew: u32) -> u32 {
    let inflight = set.load(i) as u64;
    if inflight == 0 {
        0
    } else {
        ((inflight + 1) * SRV_EWGHT_MAX / ew.max(1) as u64) as u32
    }
}

impl St {
    fn queue(&mut self, set: &dyn ServerSet, i: usize) {
        let k = key(set, i, self.srv[i].1);
        let t = set.is_backup(i) as usize;
        let n = self.trees[t].insert(k, &mut self.seq, i);
        self.srv[i].2 = Some(n);
    }
    fn dequeue(&mut self, set: &dyn ServerSet, i: usize) {
        if let Some(n) = self.srv[i].2.take() {
            self.trees[set.is_backup(i) as usize].delete(n);
        }
    }
}

impl Fwlc {
    pub fn new(opts: LbOptions) -> Self {
        Fwlc {
            opts,
            st: Mutex::new(St::default()),
        }
    }

    fn sync(st: &mut St, set: &dyn ServerSet) {
        if !st.init || st.srv.len() != set.len() {
            *st = St {
                init: true,
                ..Default::default()
            };
            st.srv = vec![(false, 0, None); set.len()];
        }
        for i in 0..set.len() {
            let ew = set.eweight(i);
            let up = set.usable(i) && ew > 0;
            if st.srv[i].0 == up && st.srv[i].1 == ew {
                continue;
            }
            st.dequeue(set, i);
            st.srv[i].0 = up;
            st.srv[i].1 = ew;
            if up {
                st.queue(set, i);
            }
        }
    }

    /// `fwlc_srv_reposition`: requeue only when the key changed.
    fn reposition(&self, set: &dyn ServerSet, i: usize) {
        let mut st = self.st.lock().unwrap();
        Self::sync(&mut st, set);
        if let Some(n) = st.srv[i].2 {
            if n.0 != key(set, i, st.srv[i].1) {
                st.dequeue(set, i);
                st.queue(set, i);
            }
        }
    }
}

impl Balancer for Fwlc {
    fn pick(&self, set: &dyn ServerSet, key: Option<&[u8]>) -> Pick {
        self.pick_avoid(set, key, None)
    }

    fn pick_avoid(&self, set: &dyn ServerSet, _key: Option<&[u8]>, avoid: Option<usize>) -> Pick {
        let mut st = self.st.lock().unwrap();
        Self::sync(&mut st, set);
        let t = match group(set, &self.opts, |i| st.srv[i].0) {
            Group::Active => 0,
            Group::Backups => 1,
            Group::FirstBackup(i) => return Pick::Server(i),
            Group::Nothing => return Pick::NoServer,
        };
        let mut avoided = None;
        for (_, s) in st.trees[t].iter() {
            if !set.saturated(s) {
                if Some(s) != avoid {
                    return Pick::Server(s);
                }
                avoided = Some(s);
            }
        }
        avoided.map_or(Pick::Full, Pick::Server)
    }

    fn update(&self, set: &dyn ServerSet) {
        Self::sync(&mut self.st.lock().unwrap(), set);
    }

    fn take_conn(&self, set: &dyn ServerSet, i: usize) {
        self.reposition(set, i);
    }

    fn drop_conn(&self, set: &dyn ServerSet, i: usize) {
        self.reposition(set, i);
    }
}
