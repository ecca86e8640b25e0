//! A worker's idle server connections that any session may reuse, as `http-reuse`
//! allows (`safe`: not for a session's first request; `aggressive`: a first request only
//! gets a connection that already carried two; `always`: anyone). A session keeps its own
//! idle connections first (see `server_side`); they come here when it ends, or at once with
//! `aggressive`/`always`. A pooled connection the server closes is noticed and dropped.

use std::collections::HashMap;

use mio::{Interest, Registry, Token};
use slab::Slab;

use super::io::{Buf, ReadOutcome, Sock};
use crate::model::proxy::HttpReuse;

/// Pool tokens start here (below the listeners', above any session's).
pub const POOL_BASE: usize = usize::MAX / 4;
/// Idle connections a worker keeps at most (the oldest per server go first).
const MAX_IDLE: usize = 1024;

pub struct IdleConn {
    pub be: usize,
    pub srv: usize,
    pub sock: Sock,
    /// Requests this connection carried.
    pub uses: u32,
}

#[derive(Default)]
pub struct IdlePool {
    conns: Slab<IdleConn>,
    by_server: HashMap<(usize, usize), Vec<usize>>,
}

impl IdlePool {
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// Adds an idle connection (or closes it when the pool is full).
    pub fn put(&mut self, reg: &Registry, mut c: IdleConn) {
        if self.conns.len() >= MAX_IDLE {
            let _ = reg.deregister(&mut c.sock.s);
            return;
        }
        let e = self.conns.vacant_entry();
        let key = e.key();
        if reg
            .reregister(&mut c.sock.s, Token(POOL_BASE + key), Interest::READABLE)
            .is_err()
        {
            let _ = reg.deregister(&mut c.sock.s);
            return;
        }
        self.by_server.entry((c.be, c.srv)).or_default().push(key);
        e.insert(c);
    }

    /// Takes the most recently parked connection to `(be, srv)` that `reuse` lets a request
    /// use (`first`: the first request of its session).
    pub fn take(
        &mut self,
        be: usize,
        srv: usize,
        reuse: HttpReuse,
        first: bool,
    ) -> Option<IdleConn> {
        let keys = self.by_server.get_mut(&(be, srv))?;
        let conns = &self.conns;
        let pos = keys.iter().rposition(|&k| {
            let c = &conns[k];
            match reuse {
                HttpReuse::Never => false,
                HttpReuse::Safe => !first,
                HttpReuse::Aggressive => !first || c.uses >= 2,
                HttpReuse::Always => true,
            }
        })?;
        let key = keys.remove(pos);
        Some(self.conns.remove(key))
    }

    /// An event on pooled connection `key`: a close or stray bytes make it unusable.
    pub fn event(&mut self, reg: &Registry, key: usize, ev: &mio::event::Event) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        c.sock.on_event(ev);
        let mut scratch = Buf::default();
        if c.sock.read_into(&mut scratch, 64) != ReadOutcome::Blocked {
            let mut c = self.conns.remove(key);
            if let Some(v) = self.by_server.get_mut(&(c.be, c.srv)) {
                v.retain(|&k| k != key);
            }
            let _ = reg.deregister(&mut c.sock.s);
        }
    }
}
