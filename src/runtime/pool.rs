//! A worker's idle server connections that any session may reuse, as `http-reuse`
//! allows (`safe`: not for a session's first request; `aggressive`: a first request only
//! gets a connection that already carried two; `always`: anyone). A session keeps its own
//! idle connections first (see `server_side`); they come here when it ends, or at once with
//! `aggressive`/`always`. A pooled connection the server closes is noticed and dropped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mio::{Interest, Registry, Token};
use slab::Slab;

use super::io::{Buf, ReadOutcome, Sock};
use crate::model::proxy::HttpReuse;

/// Pool tokens start here (below the listeners', above any session's).
pub const POOL_BASE: usize = usize::MAX / 4;
/// HAProxy's default `pool-purge-delay`.
pub const PURGE_EVERY: Duration = Duration::from_secs(5);
/// Idle connections a worker keeps at most (the oldest per server go first).
const MAX_IDLE: usize = 1024;

pub struct IdleConn {
    pub be: usize,
    pub srv: usize,
    pub sock: Sock,
    /// Requests this connection carried.
    pub uses: u32,
    /// The token the socket is still registered with when it is not the pool's: the
    /// session that parked it keeps its own server token, so taking it back (the common
    /// keep-alive case) costs no `epoll_ctl`. Whoever else takes it, or the owner starting
    /// another connection, re-registers it.
    pub owner: Option<usize>,
    /// Its place under the server's `pool-max-conn` (given back when it leaves the pool).
    pub ticket: Option<IdleTicket>,
}

/// A server's `pool-max-conn`: idle connections to it over all workers (HAProxy's
/// `max_idle_conns` against `curr_idle_conns`).
pub struct IdleCap {
    max: Option<usize>,
    count: Arc<AtomicUsize>,
}

/// One idle connection counted under an [`IdleCap`].
pub struct IdleTicket(Arc<AtomicUsize>);

impl Drop for IdleTicket {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl IdleCap {
    /// `pool-max-conn` as configured: -1 (the default) is no limit.
    pub fn new(max: Option<i32>) -> IdleCap {
        IdleCap {
            max: max.and_then(|m| usize::try_from(m).ok()),
            count: Arc::default(),
        }
    }

    /// A place for one more idle connection, if the limit allows it.
    pub fn ticket(&self) -> Option<IdleTicket> {
        let max = self.max.unwrap_or(usize::MAX);
        self.count
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| IdleTicket(self.count.clone()))
    }
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

    /// Adds an idle connection (or closes it when the pool is full) and returns its key.
    /// With `c.owner` set the registration is left as it is (see [`IdleConn::owner`]).
    pub fn put(&mut self, reg: &Registry, mut c: IdleConn) -> Option<usize> {
        if self.conns.len() >= MAX_IDLE {
            // Closing takes the socket out of epoll (see `ServerSide::drop_sock`).
            return None;
        }
        let e = self.conns.vacant_entry();
        let key = e.key();
        if c.owner.is_none()
            && reg
                .reregister(&mut c.sock.s, Token(POOL_BASE + key), Interest::READABLE)
                .is_err()
        {
            return None;
        }
        self.by_server.entry((c.be, c.srv)).or_default().push(key);
        e.insert(c);
        Some(key)
    }

    /// The session registered as `tok` gives up the registration of connection `key` (it is
    /// about to register another socket with that token, or it ends): the pool's own
    /// token from now on. A no-op when the connection is gone or someone else took it.
    pub fn disown(&mut self, reg: &Registry, key: usize, tok: usize) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        if c.owner != Some(tok) {
            return;
        }
        c.owner = None;
        if reg
            .reregister(&mut c.sock.s, Token(POOL_BASE + key), Interest::READABLE)
            .is_err()
        {
            self.remove(key);
        }
    }

    /// An event on the token of session `tok` for its parked connection `key`.
    pub fn owned_event(&mut self, key: usize, tok: usize, ev: &mio::event::Event) {
        if self.conns.get(key).is_some_and(|c| c.owner == Some(tok)) {
            self.event(key, ev);
        }
    }

    fn remove(&mut self, key: usize) {
        let c = self.conns.remove(key);
        if let Some(v) = self.by_server.get_mut(&(c.be, c.srv)) {
            v.retain(|&k| k != key);
        }
    }

    /// Takes the connection to `(be, srv)` that the session parked (`own`: its pool key
    /// and the token it is still registered with), else the most recently parked one that
    /// `reuse` lets a request use (`first`: the first request of its session). Constant
    /// time but for `aggressive` first requests: it runs on every request.
    pub fn take(
        &mut self,
        be: usize,
        srv: usize,
        reuse: HttpReuse,
        first: bool,
        own: Option<(usize, usize)>,
    ) -> Option<IdleConn> {
        let keys = self.by_server.get_mut(&(be, srv))?;
        let conns = &self.conns;
        let mine = own
            .filter(|&(k, tok)| {
                conns
                    .get(k)
                    .is_some_and(|c| c.owner == Some(tok) && c.be == be && c.srv == srv)
            })
            // Usually the newest: found from the end at once.
            .and_then(|(k, _)| keys.iter().rposition(|&x| x == k));
        let pos = match (mine, reuse) {
            (Some(p), _) => p,
            (None, HttpReuse::Never) => return None,
            (None, HttpReuse::Safe) if first => return None,
            (None, HttpReuse::Aggressive) if first => {
                keys.iter().rposition(|&k| conns[k].uses >= 2)?
            }
            (None, _) => keys.len().checked_sub(1)?,
        };
        let key = keys.remove(pos);
        Some(self.conns.remove(key))
    }

    /// Closes every idle connection to `(be, srv)` (its address changed).
    pub fn remove_server(&mut self, be: usize, srv: usize) {
        for key in self.by_server.remove(&(be, srv)).unwrap_or_default() {
            self.conns.remove(key);
        }
    }

    /// HAProxy's `pool-purge-delay` pass: every period, close half of each server's idle
    /// connections (the oldest first), so that a quiet proxy ends up holding none.
    pub fn purge_half(&mut self) {
        for keys in self.by_server.values_mut() {
            let n = keys.len().div_ceil(2);
            for key in keys.drain(..n) {
                self.conns.remove(key);
            }
        }
        self.by_server.retain(|_, v| !v.is_empty());
    }

    /// An event on pooled connection `key`: a close or stray bytes make it unusable.
    pub fn event(&mut self, key: usize, ev: &mio::event::Event) {
        let Some(c) = self.conns.get_mut(key) else {
            return;
        };
        c.sock.on_event(ev);
        let mut scratch = Buf::default();
        if c.sock.read_into(&mut scratch, 64) != ReadOutcome::Blocked {
            self.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::stream::Stream;

    /// `n` real loopback connections, kept open on the accepting side.
    fn conns(n: usize) -> (Vec<Sock>, Vec<std::net::TcpStream>) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..n {
            let c = std::net::TcpStream::connect(addr).unwrap();
            c.set_nonblocking(true).unwrap();
            ours.push(Sock::new(Stream::Tcp(mio::net::TcpStream::from_std(c))));
            theirs.push(l.accept().unwrap().0);
        }
        (ours, theirs)
    }

    #[test]
    fn purge_halves_each_server_until_empty_and_take_follows_the_reuse_mode() {
        let poll = mio::Poll::new().unwrap();
        let reg = poll.registry();
        let mut pool = IdlePool::default();
        let (socks, _peers) = conns(5);
        for (i, mut sock) in socks.into_iter().enumerate() {
            reg.register(&mut sock.s, Token(1), Interest::READABLE)
                .unwrap();
            let srv = usize::from(i == 4);
            pool.put(
                reg,
                IdleConn {
                    be: 0,
                    srv,
                    sock,
                    uses: 1 + i as u32,
                    owner: None,
                    ticket: None,
                },
            );
        }
        assert_eq!(pool.len(), 5);
        // safe: not for a first request; aggressive: first requests only on reused ones.
        assert!(pool.take(0, 1, HttpReuse::Safe, true, None).is_none());
        assert!(pool.take(0, 1, HttpReuse::Never, false, None).is_none());
        assert!(pool
            .take(0, 0, HttpReuse::Aggressive, true, None)
            .is_some_and(|c| c.uses >= 2));
        assert_eq!(pool.len(), 4);
        // Server 0 has 3 left, server 1 has 1: a pass closes 2 + 1.
        pool.purge_half();
        assert_eq!(pool.len(), 1);
        pool.purge_half();
        assert!(pool.is_empty());
        assert!(pool.take(0, 0, HttpReuse::Always, false, None).is_none());
    }
}
