//! A worker's idle server connections that any session may reuse, as `http-reuse`
//! allows (`safe`: not for a session's first request; `aggressive`: a first request only
//! gets a connection that already carried two; `always`: anyone). A session keeps its own
//! idle connections first (see `server_side`); they come here when it ends, or at once with
//! `aggressive`/`always`. A pooled connection the server closes is noticed and dropped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

/// A server's idle-connection accounting over all workers: `pool-max-conn` against the
/// idle count (HAProxy's `max_idle_conns` / `curr_idle_conns`), the connections in use
/// (`curr_used_conns`, and their peak since the last purge), the estimate of how many it
/// needs (`est_need_conns`) and `pool-low-conn`. With these, `srv_add_to_idle_list()`
/// decides whether a connection a request gives up is worth keeping, and the purge
/// closes only what exceeds the need.
pub struct IdleCap {
    max: Option<usize>,
    low: usize,
    /// `pool-purge-delay` in ms (0: no idle connection is kept).
    pub purge_ms: u64,
    count: Arc<AtomicUsize>,
    used: Arc<AtomicUsize>,
    max_used: AtomicUsize,
    est_need: AtomicUsize,
    /// The purge period the estimate was last updated for, and how many idle
    /// connections that purge found in excess (each worker closes its share).
    epoch: AtomicU64,
    exceed: AtomicUsize,
}

/// One idle connection counted under an [`IdleCap`].
pub struct IdleTicket(Arc<AtomicUsize>);

impl Drop for IdleTicket {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One connection in use counted under an [`IdleCap`] (see [`Sock::used`]).
#[derive(Debug)]
pub struct UsedTicket(Arc<AtomicUsize>);

impl Drop for UsedTicket {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl IdleCap {
    /// `pool-max-conn` as configured: -1 (the default) is no limit; `pool-low-conn`
    /// defaults to 0.
    pub fn new(max: Option<i32>, low: Option<i32>, purge_ms: Option<u32>) -> IdleCap {
        IdleCap {
            max: max.and_then(|m| usize::try_from(m).ok()),
            low: low.and_then(|m| usize::try_from(m).ok()).unwrap_or(0),
            purge_ms: purge_ms.map_or(PURGE_EVERY.as_millis() as u64, u64::from),
            count: Arc::default(),
            used: Arc::default(),
            max_used: AtomicUsize::new(0),
            est_need: AtomicUsize::new(0),
            epoch: AtomicU64::new(0),
            exceed: AtomicUsize::new(0),
        }
    }

    /// A connection starts carrying a request (`srv_inc_need_conns()` and the peak).
    pub fn use_one(&self) -> UsedTicket {
        let n = self.used.fetch_add(1, Ordering::Relaxed) + 1;
        self.max_used.fetch_max(n, Ordering::Relaxed);
        UsedTicket(self.used.clone())
    }

    /// A place for one more idle connection, if `pool-max-conn` allows it.
    pub fn ticket(&self) -> Option<IdleTicket> {
        let max = self.max.unwrap_or(usize::MAX);
        self.count
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| IdleTicket(self.count.clone()))
    }

    /// `srv_add_to_idle_list()`: whether a connection a request is giving up (still
    /// counted in use) is kept idle. Always when this worker holds no reused ("safe")
    /// connection to the server and either this one was reused or the worker holds no
    /// idle one at all; else only while used + idle connections stay within the
    /// estimated need plus `pool-low-conn`. HAProxy closes the others at once.
    pub fn admit(&self, safe: bool, local: LocalIdle) -> Option<IdleTicket> {
        if self.purge_ms == 0 {
            return None;
        }
        let first = local.safe == 0 && (safe || local.idle == 0);
        let used = self.used.load(Ordering::Relaxed);
        let idle = self.count.load(Ordering::Relaxed);
        let need = used.max(self.est_need.load(Ordering::Relaxed));
        if first || used + idle <= need + self.low {
            self.ticket()
        } else {
            None
        }
    }

    /// Whether another worker's idle connection may be taken: not while the server has
    /// fewer idle connections than `pool-low-conn` (`conn_backend_get()`).
    pub fn may_take_over(&self) -> bool {
        self.count.load(Ordering::Relaxed) >= self.low
    }

    /// The purge period we are in, counted from the process start in `pool-purge-delay`s.
    pub fn epoch(&self) -> u64 {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        let ms = START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_millis() as u64;
        ms / self.purge_ms.max(1)
    }

    /// The purge of period `epoch` (`srv_cleanup_idle_conns()`): the first worker to get
    /// here updates the estimate and works out the excess, half of which goes; then each
    /// worker closes its share, `exceed * local / idle + 1`, as HAProxy spreads it over
    /// threads.
    pub fn to_purge(&self, epoch: u64, local: usize) -> usize {
        let idle = self.count.load(Ordering::Relaxed);
        let prev = self.epoch.load(Ordering::Relaxed);
        if prev < epoch
            && self
                .epoch
                .compare_exchange(prev, epoch, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let used = self.used.load(Ordering::Relaxed);
            let max_used = self.max_used.load(Ordering::Relaxed);
            let est = self.est_need.load(Ordering::Relaxed);
            let excess = (used + idle).saturating_sub(max_used.max(est));
            self.exceed
                .store(excess / 2 + (excess & 1), Ordering::Relaxed);
            self.est_need
                .store(((est + max_used) / 2).max(max_used), Ordering::Relaxed);
            self.max_used.store(used, Ordering::Relaxed);
        }
        let exceed = self.exceed.load(Ordering::Relaxed);
        if exceed == 0 || idle == 0 || local == 0 {
            return 0;
        }
        (exceed * local / idle + 1).min(local)
    }
}

/// A worker's idle connections to one server: reused ones ("safe", HAProxy's
/// `safe_conns`) and the others (`idle_conns`).
#[derive(Clone, Copy, Default, Debug)]
pub struct LocalIdle {
    pub safe: usize,
    pub idle: usize,
}

/// HAProxy's `is_safe` for a connection given back: it carried more than one request.
pub fn is_safe(uses: u32) -> bool {
    uses >= 2
}

#[derive(Default)]
pub struct IdlePool {
    conns: Slab<IdleConn>,
    by_server: HashMap<(usize, usize), Vec<usize>>,
    counts: HashMap<(usize, usize), LocalIdle>,
    /// Per server, the last purge period this worker applied.
    purged: HashMap<(usize, usize), u64>,
}

impl IdlePool {
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// This worker's idle connections to `(be, srv)`, reused or not.
    pub fn local(&self, be: usize, srv: usize) -> LocalIdle {
        self.counts.get(&(be, srv)).copied().unwrap_or_default()
    }

    fn count(&mut self, c: &IdleConn, add: bool) {
        let e = self.counts.entry((c.be, c.srv)).or_default();
        let n = if is_safe(c.uses) {
            &mut e.safe
        } else {
            &mut e.idle
        };
        if add {
            *n += 1;
        } else {
            *n = n.saturating_sub(1);
        }
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
        let c = e.insert(c);
        let (be, srv, uses) = (c.be, c.srv, c.uses);
        let e = self.counts.entry((be, srv)).or_default();
        if is_safe(uses) {
            e.safe += 1;
        } else {
            e.idle += 1;
        }
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
        self.count(&c, false);
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
        let c = self.conns.remove(key);
        self.count(&c, false);
        Some(c)
    }

    /// Closes every idle connection to `(be, srv)` (its address changed).
    pub fn remove_server(&mut self, be: usize, srv: usize) {
        for key in self.by_server.remove(&(be, srv)).unwrap_or_default() {
            self.conns.remove(key);
        }
        self.counts.remove(&(be, srv));
    }

    /// HAProxy's `pool-purge-delay` pass: `quota(be, srv, local, last)` says how many
    /// of this worker's `local` idle connections to a server go, `last` being the last
    /// period this worker purged for it (see [`IdleCap::to_purge`]); never-reused ones
    /// go first, the oldest first, then reused ones.
    pub fn purge(&mut self, mut quota: impl FnMut(usize, usize, usize, &mut u64) -> usize) {
        let servers: Vec<(usize, usize)> = self.by_server.keys().copied().collect();
        for (be, srv) in servers {
            let keys = &self.by_server[&(be, srv)];
            let last = self.purged.entry((be, srv)).or_default();
            let mut n = quota(be, srv, keys.len(), last);
            if n == 0 {
                continue;
            }
            let conns = &self.conns;
            let mut order: Vec<usize> = keys
                .iter()
                .copied()
                .filter(|&k| !is_safe(conns[k].uses))
                .collect();
            order.extend(keys.iter().copied().filter(|&k| is_safe(conns[k].uses)));
            for key in order {
                if n == 0 {
                    break;
                }
                n -= 1;
                self.remove(key);
            }
        }
        self.by_server.retain(|_, v| !v.is_empty());
        self.counts.retain(|_, c| c.safe + c.idle > 0);
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
        // Server 0 has 3 left (two reused), server 1 has 1: a pass closing half of each
        // closes 2 + 1, the never-reused one of server 0 first.
        assert_eq!(pool.local(0, 0).safe + pool.local(0, 0).idle, 3);
        let half = |_: usize, _: usize, n: usize, _: &mut u64| n.div_ceil(2);
        pool.purge(half);
        assert_eq!(pool.len(), 1);
        pool.purge(half);
        assert!(pool.is_empty());
        assert_eq!(pool.local(0, 0).safe + pool.local(0, 0).idle, 0);
        assert!(pool.take(0, 0, HttpReuse::Always, false, None).is_none());
    }
}
