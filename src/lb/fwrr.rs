//! `balance roundrobin`: HAProxy's fast weighted round robin (`lb_fwrr.c`), ported
//! structure for structure so that the server order is identical, dynamic weights and
//! state changes included.

use super::common::{group, Eb32, Group, Node};
use super::{Balancer, LbOptions, Pick, ServerSet, BE_WEIGHT_SCALE};
use std::sync::Mutex;

const SRV_UWGHT_RANGE: i64 = 256;
const SRV_EWGHT_MAX: i64 = 256 * BE_WEIGHT_SCALE as i64;

/// Tree slots of a group: `t0`, `t1` (init/next, swapped) and `curr`.
const CURR: usize = 2;

#[derive(Default, Clone)]
struct Grp {
    trees: [Eb32; 3],
    init: usize,
    next: usize,
    curr_pos: i64,
    curr_weight: i64,
    next_weight: i64,
}

#[derive(Default, Clone)]
struct Srv {
    backup: bool,
    /// `srv_currently_usable` / `srv_willbe_usable` (state part) and eweights.
    cur_up: bool,
    next_up: bool,
    cur_eweight: i64,
    next_eweight: i64,
    lb_tree: Option<usize>,
    node: Option<Node>,
    npos: i64,
    lpos: i64,
    rweight: i64,
}

impl Srv {
    fn currently_usable(&self) -> bool {
        self.cur_up && self.cur_eweight > 0
    }
    fn willbe_usable(&self) -> bool {
        self.next_up && self.next_eweight > 0
    }
}

#[derive(Default)]
struct St {
    init: bool,
    srv: Vec<Srv>,
    grp: [Grp; 2],
    seq: u64,
}

pub struct Fwrr {
    opts: LbOptions,
    st: Mutex<St>,
}

impl St {
    fn g(&self, s: usize) -> usize {
        self.srv[s].backup as usize
    }

    fn dequeue(&mut self, s: usize) {
        let g = self.g(s);
        if let (Some(t), Some(n)) = (self.srv[s].lb_tree, self.srv[s].node.take()) {
            self.grp[g].trees[t].delete(n);
        }
    }

    fn queue_by_weight(&mut self, tree: usize, s: usize) {
        let g = self.g(s);
        let key = (SRV_EWGHT_MAX - self.srv[s].next_eweight) as u32;
        let n = self.grp[g].trees[tree].insert(key, &mut self.seq, s);
        self.srv[s].node = Some(n);
        self.srv[s].lb_tree = Some(tree);
    }

    fn queue_srv(&mut self, s: usize) {
        let g = self.g(s);
        let (cw, nw, next) = (
            self.grp[g].curr_weight,
            self.grp[g].next_weight,
            self.grp[g].next,
        );
        let sv = &mut self.srv[s];
        if !sv.willbe_usable() {
            sv.lb_tree = None;
        } else if sv.next_eweight <= 0 || sv.npos >= 2 * cw || sv.npos >= cw + nw {
            sv.npos -= cw;
            self.queue_by_weight(next, s);
        } else {
            let key = SRV_UWGHT_RANGE * sv.npos
                + ((SRV_EWGHT_MAX + sv.rweight - sv.next_eweight) as u32 / BE_WEIGHT_SCALE) as i64;
            let n = self.grp[g].trees[CURR].insert(key as u32, &mut self.seq, s);
            let sv = &mut self.srv[s];
            sv.node = Some(n);
            sv.lb_tree = Some(CURR);
        }
    }

    fn get_srv(&mut self, s: usize) {
        let g = self.g(s);
        let (init, next, cw, cp) = (
            self.grp[g].init,
            self.grp[g].next,
            self.grp[g].curr_weight,
            self.grp[g].curr_pos,
        );
        let sv = &mut self.srv[s];
        match sv.lb_tree {
            Some(t) if t == init => {
                sv.npos = 0;
                sv.rweight = 0;
            }
            Some(t) if t == next => sv.npos += cw,
            None => sv.npos = cp,
            _ => {}
        }
    }

    fn commit(&mut self, s: usize) {
        let sv = &mut self.srv[s];
        sv.cur_up = sv.next_up;
        sv.cur_eweight = sv.next_eweight;
    }

    fn set_down(&mut self, s: usize) {
        if self.srv[s].willbe_usable() {
            return self.commit(s);
        }
        if self.srv[s].currently_usable() {
            let g = self.g(s);
            self.grp[g].next_weight -= self.srv[s].cur_eweight;
            self.dequeue(s);
            self.srv[s].lb_tree = None;
        }
        self.commit(s);
    }

    fn set_up(&mut self, s: usize) {
        if !self.srv[s].willbe_usable() {
            return self.commit(s);
        }
        if !self.srv[s].currently_usable() {
            let g = self.g(s);
            self.grp[g].next_weight += self.srv[s].next_eweight;
            self.get_srv(s);
            let gr = &self.grp[g];
            let sv = &self.srv[s];
            let npos =
                gr.curr_pos + (gr.next_weight + gr.curr_weight - gr.curr_pos) / sv.next_eweight;
            self.srv[s].npos = npos;
            self.queue_srv(s);
        }
        self.commit(s);
    }

    /// `fwrr_update_server_weight`: every state or weight change goes through here.
    fn update_server(&mut self, s: usize) {
        let old = self.srv[s].currently_usable();
        let new = self.srv[s].willbe_usable();
        match (old, new) {
            (false, false) => return self.commit(s),
            (false, true) => return self.set_up(s),
            (true, false) => return self.set_down(s),
            _ => {}
        }
        let g = self.g(s);
        let (ce, ne) = (self.srv[s].cur_eweight, self.srv[s].next_eweight);
        self.grp[g].next_weight += ne - ce;
        let init = self.grp[g].init;
        if self.srv[s].lb_tree == Some(init) {
            self.dequeue(s);
            self.queue_by_weight(init, s);
        } else if self.srv[s].lb_tree.is_none() {
            self.dequeue(s);
            self.get_srv(s);
            let gr = &self.grp[g];
            self.srv[s].npos = gr.curr_pos + (gr.next_weight + gr.curr_weight - gr.curr_pos) / ne;
            self.queue_srv(s);
        } else {
            self.get_srv(s);
            let (cp, cw, nw) = (
                self.grp[g].curr_pos,
                self.grp[g].curr_weight,
                self.grp[g].next_weight,
            );
            let sv = &mut self.srv[s];
            if ne > 0 {
                let prev_next = sv.npos;
                let step = nw / ne;
                sv.npos = sv.lpos + step;
                sv.rweight = 0;
                if sv.npos > prev_next {
                    sv.npos = prev_next;
                }
                if sv.npos < cp + 2 {
                    sv.npos = cp + step;
                }
            } else {
                sv.npos = cp + cw;
            }
            self.dequeue(s);
            self.queue_srv(s);
        }
        self.commit(s);
    }

    fn switch_trees(&mut self, g: usize) {
        let gr = &mut self.grp[g];
        std::mem::swap(&mut gr.init, &mut gr.next);
        gr.curr_weight = gr.next_weight;
        gr.curr_pos = gr.curr_weight;
    }

    fn get_server_from_group(&mut self, g: usize) -> Option<usize> {
        let gr = &self.grp[g];
        let s1 = gr.trees[CURR].first().map(|(_, s)| s);
        if let Some(s) = s1 {
            if self.srv[s].cur_eweight > 0 && self.srv[s].npos <= gr.curr_pos {
                return Some(s);
            }
        }
        if let Some((_, s2)) = gr.trees[gr.init].first() {
            if self.srv[s2].cur_eweight > 0 {
                self.srv[s2].npos = 0;
                self.srv[s2].rweight = 0;
                return Some(s2);
            }
        }
        s1
    }

    fn update_position(&mut self, g: usize, s: usize) {
        let (cp, nw) = (self.grp[g].curr_pos, self.grp[g].next_weight);
        let sv = &mut self.srv[s];
        let ew = sv.cur_eweight;
        if ew == 0 {
            return;
        }
        if sv.npos == 0 {
            sv.npos = cp;
        }
        sv.lpos = sv.npos;
        sv.npos += nw / ew;
        sv.rweight += nw % ew;
        if sv.rweight >= ew {
            sv.rweight -= ew;
            sv.npos += 1;
        }
    }

    /// `fwrr_get_next_server` (without `avoid`).
    fn next_server(
        &mut self,
        g: usize,
        set: &dyn ServerSet,
        avoid: Option<usize>,
    ) -> Option<usize> {
        let mut switched = false;
        let mut full: Vec<usize> = Vec::new();
        let mut avoided: Option<usize> = None;
        let mut srv;
        'outer: loop {
            if self.grp[g].curr_weight == 0 {
                let nw = self.grp[g].next_weight;
                self.grp[g].curr_pos = nw;
                self.grp[g].curr_weight = nw;
            }
            loop {
                srv = self.get_server_from_group(g);
                if srv.is_some() {
                    break;
                }
                if switched {
                    if let Some(a) = avoided {
                        srv = Some(a);
                        self.queue_srv(a);
                    }
                    break 'outer;
                }
                switched = true;
                self.switch_trees(g);
            }
            let Some(s) = srv else { break };
            self.update_position(g, s);
            self.dequeue(s);
            self.grp[g].curr_pos += 1;
            if !set.saturated(s) {
                if Some(s) != avoid || avoided.is_some() {
                    self.queue_srv(s);
                    break;
                }
                avoided = Some(s);
            }
            full.push(s);
        }
        // Requeue the saturated servers, most recent first (HAProxy's LIFO chain).
        for &f in full.iter().rev() {
            if Some(f) == srv {
                continue;
            }
            if switched {
                let init = self.grp[g].init;
                self.queue_by_weight(init, f);
            } else {
                self.queue_srv(f);
            }
        }
        srv
    }
}

impl Fwrr {
    pub fn new(opts: LbOptions) -> Self {
        Fwrr {
            opts,
            st: Mutex::new(St::default()),
        }
    }

    fn sync(st: &mut St, set: &dyn ServerSet) {
        let ew = |i: usize| set.eweight(i) as i64;
        if !st.init || st.srv.len() != set.len() {
            // fwrr_init_server_groups
            *st = St::default();
            st.init = true;
            st.srv = (0..set.len())
                .map(|i| Srv {
                    backup: set.is_backup(i),
                    cur_up: set.usable(i),
                    next_up: set.usable(i),
                    cur_eweight: ew(i),
                    next_eweight: ew(i),
                    ..Default::default()
                })
                .collect();
            for g in 0..2 {
                let tot: i64 = st
                    .srv
                    .iter()
                    .filter(|s| s.backup == (g == 1) && s.currently_usable())
                    .map(|s| s.cur_eweight)
                    .sum();
                let gr = &mut st.grp[g];
                gr.curr_pos = tot;
                gr.curr_weight = tot;
                gr.next_weight = tot;
                gr.init = 0;
                gr.next = 1;
            }
            for i in 0..st.srv.len() {
                if st.srv[i].currently_usable() {
                    let init = st.grp[st.g(i)].init;
                    st.queue_by_weight(init, i);
                }
            }
            return;
        }
        for i in 0..set.len() {
            let (up, w) = (set.usable(i), ew(i));
            let sv = &mut st.srv[i];
            if sv.cur_up != up || sv.cur_eweight != w {
                sv.next_up = up;
                sv.next_eweight = w;
                st.update_server(i);
            }
        }
    }
}

impl Balancer for Fwrr {
    fn pick(&self, set: &dyn ServerSet, key: Option<&[u8]>) -> Pick {
        self.pick_avoid(set, key, None)
    }

    fn pick_avoid(&self, set: &dyn ServerSet, _key: Option<&[u8]>, avoid: Option<usize>) -> Pick {
        let mut st = self.st.lock().unwrap();
        Self::sync(&mut st, set);
        let g = match group(set, &self.opts, |i| st.srv[i].currently_usable()) {
            Group::Active => 0,
            Group::Backups => 1,
            Group::FirstBackup(i) => return Pick::Server(i),
            Group::Nothing => return Pick::NoServer,
        };
        match st.next_server(g, set, avoid) {
            Some(s) => Pick::Server(s),
            None => Pick::Full,
        }
    }

    fn update(&self, set: &dyn ServerSet) {
        Self::sync(&mut self.st.lock().unwrap(), set);
    }
}
