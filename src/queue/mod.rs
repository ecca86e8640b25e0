//! Server and backend queues (HAProxy's `queue.c` / `assign_server_and_queue()`).
//!
//! A [`Backend`] owns its servers, the backend ("proxy") queue, one queue per server, the
//! slot counters and the load-balancing algorithm. A [`Stream`] is one request that needs a
//! server slot: [`Stream::assign`] gives it a slot at once, queues it, or refuses it;
//! [`Stream::release`] gives the slot back and hands it to the best waiting stream.
//!
//! Design (see `doc/queue.md`):
//! - every queue of a backend lives under one mutex (`Queues`); slot counters (`served`) are
//!   atomics reserved with a CAS bounded by the dynamic maxconn, by whoever grants the slot;
//! - queue lengths are changed inside the mutex, together with the tree, so a reader that
//!   sees a non-zero length and then takes the lock finds the entry;
//! - the lost wake-up of the seed race is closed by a store-then-load pair on both sides
//!   (all `SeqCst`): a releaser decrements `served` then reads the queue lengths; an
//!   enqueuer inserts (length incremented) then reads `ready_srv` and every server's
//!   `served`, and dequeues on any server that has room. A releaser that leaves its server
//!   and the backend idle also publishes `ready_srv` before scanning. No path loops.
//! - the wake-up callback is only ever called after every internal lock is released.

pub mod key;
#[cfg(all(test, loom))]
mod loom_tests;
mod sync;
#[cfg(all(test, not(loom)))]
mod tests;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::Arc;

use sync::{
    fence, AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Mutex, MutexGuard, RwLock,
};

use crate::lb::{Balancer, Pick, ServerSet};
pub use key::{clamp_class, clamp_offset, Key, MAX_CLASS, MAX_OFFSET_MS};

/// Identifies a stream inside its backend (unique per backend, never reused).
pub type StreamId = u64;
/// Wake-up callback: `(stream id, user tag)`. Called with no internal lock held, from
/// whichever thread changed the state of a queued stream (gave it a slot, expired it or
/// redistributed it).
pub type Wakeup = Arc<dyn Fn(StreamId, usize) + Send + Sync>;
/// The `ready_srv` value meaning "no server published".
pub const NO_SERVER: usize = usize::MAX;
/// Entries one dequeue pass may hand out (HAProxy's `tune.maxpollevents` default).
pub const MAX_DEQUEUE_BATCH: usize = 200;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Operational state of a server.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    Up = 0,
    Down = 1,
    Maint = 2,
    Drain = 3,
    /// Coming back up with slowstart: limit and weight ramp up until `slowstart_ms` passed.
    Starting = 4,
}

impl ServerState {
    fn from_u8(v: u8) -> ServerState {
        match v {
            0 => ServerState::Up,
            1 => ServerState::Down,
            2 => ServerState::Maint,
            3 => ServerState::Drain,
            _ => ServerState::Starting,
        }
    }
}

/// A server's settings at creation.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub name: String,
    /// Numeric id (`id` keyword); 0 means "its 1-based position".
    pub puid: u32,
    /// 0 = unlimited.
    pub maxconn: u32,
    /// 0 = same as maxconn (static limit).
    pub minconn: u32,
    /// 0 = unlimited server queue.
    pub maxqueue: u32,
    pub weight: u32,
    pub backup: bool,
    pub slowstart_ms: u64,
    pub state: ServerState,
}

impl ServerConfig {
    pub fn new(name: &str, maxconn: u32) -> ServerConfig {
        ServerConfig {
            name: name.to_string(),
            puid: 0,
            maxconn,
            minconn: 0,
            maxqueue: 0,
            weight: 1,
            backup: false,
            slowstart_ms: 0,
            state: ServerState::Up,
        }
    }
}

/// Backend settings the queue needs.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    pub name: String,
    /// Load at which servers reach their maxconn; 0 = static limits.
    pub fullconn: u32,
    /// `timeout queue`; `None` falls back to `timeout_connect_ms`, then to no timeout.
    pub timeout_queue_ms: Option<u64>,
    pub timeout_connect_ms: Option<u64>,
    pub redispatch: bool,
    pub persist: bool,
    pub allbackups: bool,
    /// HAProxy's shortcut for first/roundrobin/static-rr: a non-empty backend queue while
    /// something is served means every server is full (no LB run).
    pub lb_full_shortcut: bool,
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            name: String::new(),
            fullconn: 0,
            timeout_queue_ms: None,
            timeout_connect_ms: None,
            redispatch: false,
            persist: false,
            allbackups: false,
            lb_full_shortcut: true,
        }
    }
}

/// One server of a backend, with its live counters.
pub struct Server {
    name: String,
    puid: u32,
    backup: bool,
    slowstart_ms: u64,
    maxconn: AtomicU32,
    minconn: AtomicU32,
    maxqueue: AtomicU32,
    weight: AtomicU32,
    state: AtomicU8,
    deleted: AtomicBool,
    last_change: AtomicU64,
    /// Slots reserved or in use (the counter maxconn is enforced on).
    served: AtomicU32,
    /// Entries in this server's queue.
    queued: AtomicU32,
    /// Dequeue index, for the `srv_queue` log position.
    idx: AtomicU32,
    cum_served: AtomicU64,
    nbpend_max: AtomicU32,
}

impl Server {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn puid(&self) -> u32 {
        self.puid
    }
    pub fn is_backup(&self) -> bool {
        self.backup
    }
    pub fn state(&self) -> ServerState {
        ServerState::from_u8(self.state.load(SeqCst))
    }
    pub fn is_deleted(&self) -> bool {
        self.deleted.load(SeqCst)
    }
    pub fn served(&self) -> u32 {
        self.served.load(SeqCst)
    }
    pub fn queued(&self) -> u32 {
        self.queued.load(SeqCst)
    }
    pub fn maxconn(&self) -> u32 {
        self.maxconn.load(SeqCst)
    }
    pub fn minconn(&self) -> u32 {
        self.minconn.load(SeqCst)
    }
    pub fn maxqueue(&self) -> u32 {
        self.maxqueue.load(SeqCst)
    }
    pub fn weight(&self) -> u32 {
        self.weight.load(SeqCst)
    }
    /// Total slots ever granted on this server.
    /// When the state last changed (queue clock, ms).
    pub fn last_change_ms(&self) -> u64 {
        self.last_change.load(SeqCst)
    }
    pub fn cum_served(&self) -> u64 {
        self.cum_served.load(SeqCst)
    }
    /// Largest queue length seen ("qmax").
    pub fn nbpend_max(&self) -> u32 {
        self.nbpend_max.load(SeqCst)
    }
    fn running(&self) -> bool {
        !self.is_deleted() && matches!(self.state(), ServerState::Up | ServerState::Starting)
    }
}

/// Result of [`Stream::assign`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assign {
    /// A slot on this server is held.
    Ok(usize),
    /// Waiting in a queue: wait for the wake-up, then [`Stream::poll`].
    Queued,
    /// Server queue overflow (`maxqueue`): 503, termination "SQ".
    Full,
    /// No usable server: 503.
    NoSrv,
}

/// Result of [`Stream::poll`]: the dequeue check comes first, then the timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    Waiting,
    /// A slot on this server is held: connect.
    Assigned(usize),
    /// Taken out of a queue by redistribution: call [`Stream::assign`] again (LB reruns).
    Rebalance,
    /// `timeout queue` passed: 503, termination "sQ".
    Timeout,
    /// Not queued and holding nothing (new, released or aborted).
    Idle,
}

/// The stream states of the C API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamState {
    New,
    Queued,
    Assigned(usize),
    Expired,
    Redispatched,
    Released,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("no such server")]
    InvalidServer,
    #[error("operation not allowed in the stream's current state")]
    State,
}

/// What the logging layer needs about a stream's stay in the queues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamLog {
    /// `srv_queue`: cumulative position in server queues.
    pub srv_queue: u32,
    /// `backend_queue`: cumulative position in the backend queue.
    pub backend_queue: u32,
    /// Termination hint: "sQ" (queue timeout), "SQ" (maxqueue overflow), "CQ" (client
    /// abort while queued), "SC" (no server).
    pub term: Option<&'static str>,
    /// The persistence was broken to rebalance (counted as a redispatch).
    pub redispatched: bool,
    /// Time spent in queues (`Tw`), when the stream left a queue.
    pub queue_ms: Option<u64>,
}

/// Points in the hand-off code where tests can run code (test builds only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// A decision to queue was made; nothing was enqueued yet.
    AfterLbDecision,
    /// The entry is in the backend queue; `ready_srv` was not read yet.
    AfterInsert,
    /// A slot was given back (`served` decremented); no dequeue check yet.
    AfterReleaseDec,
    /// `ready_srv` was published; the queues were not scanned yet.
    AfterReadyPublish,
    /// A dequeue pass found work; the queue lock is not taken yet.
    BeforeDequeueLock,
}

#[derive(Debug, Clone, Copy)]
struct Forced {
    srv: usize,
    direct: bool,
    force_persist: bool,
}

#[derive(Debug, Clone, Copy)]
struct QPos {
    srv: Option<usize>,
    key: Key,
    deadline: Option<u64>,
    qidx: u32,
    since: u64,
}

#[derive(Debug, Clone, Copy)]
enum St {
    New,
    Queued(QPos),
    Assigned(usize),
    Rebalance,
    Expired,
    Released,
}

struct Inner {
    st: St,
    class: i32,
    offset: i32,
    hash_key: Option<Vec<u8>>,
    forced: Option<Forced>,
    timeout: Option<Option<u64>>,
    log: StreamLog,
    user: usize,
}

/// The shared part of a stream (what the queues point to).
pub struct StreamEntry {
    id: StreamId,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Queues {
    px: BTreeMap<Key, Arc<StreamEntry>>,
    srv: Vec<BTreeMap<Key, Arc<StreamEntry>>>,
    /// (deadline, seq) of every queued entry with a timeout.
    timeouts: BTreeMap<(u64, u64), Arc<StreamEntry>>,
}

type Wakes = Vec<(StreamId, usize)>;
#[cfg(all(test, not(loom)))]
type HookFn = Arc<dyn Fn(Hook) + Send + Sync>;

/// A backend: servers, load balancing, the backend queue and the server queues.
pub struct Backend {
    cfg: BackendConfig,
    servers: Vec<Server>,
    balancer: Box<dyn Balancer>,
    queues: Mutex<Queues>,
    served: AtomicU32,
    totpend: AtomicU32,
    beconn: AtomicU32,
    queued: AtomicU32,
    idx: AtomicU32,
    nbpend_max: AtomicU32,
    cum_served: AtomicU64,
    ready_srv: AtomicUsize,
    clock: AtomicU64,
    seq: AtomicU64,
    next_id: AtomicU64,
    wakeup: RwLock<Option<Wakeup>>,
    #[cfg(all(test, not(loom)))]
    hook: Mutex<Option<HookFn>>,
}

/// The [`ServerSet`] view the balancer sees.
struct View<'a>(&'a Backend);

impl ServerSet for View<'_> {
    fn len(&self) -> usize {
        self.0.servers.len()
    }
    fn weight(&self, i: usize) -> u32 {
        self.0.eff_weight(i)
    }
    fn usable(&self, i: usize) -> bool {
        self.0.usable(i)
    }
    fn is_backup(&self, i: usize) -> bool {
        self.0.servers[i].backup
    }
    fn saturated(&self, i: usize) -> bool {
        let s = &self.0.servers[i];
        s.maxconn() > 0 && (s.queued() > 0 || s.served() >= self.0.dyn_maxconn(i))
    }
    fn load(&self, i: usize) -> u32 {
        let s = &self.0.servers[i];
        s.served() + s.queued()
    }
    fn puid(&self, i: usize) -> u32 {
        self.0.servers[i].puid
    }
}

impl Backend {
    /// Builds a backend. Server indexes are the positions in `servers`.
    pub fn new(
        cfg: BackendConfig,
        servers: Vec<ServerConfig>,
        balancer: Box<dyn Balancer>,
    ) -> Arc<Backend> {
        let n = servers.len();
        let servers: Vec<Server> = servers
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let (maxconn, minconn) = match (c.maxconn, c.minconn) {
                    (0, m) => (m, m),
                    (m, 0) => (m, m),
                    (m, n) => (m.max(n), n.min(m.max(n))),
                };
                Server {
                    name: c.name,
                    puid: if c.puid == 0 { i as u32 + 1 } else { c.puid },
                    backup: c.backup,
                    slowstart_ms: c.slowstart_ms,
                    maxconn: AtomicU32::new(maxconn),
                    minconn: AtomicU32::new(minconn),
                    maxqueue: AtomicU32::new(c.maxqueue),
                    weight: AtomicU32::new(c.weight),
                    state: AtomicU8::new(c.state as u8),
                    deleted: AtomicBool::new(false),
                    last_change: AtomicU64::new(0),
                    served: AtomicU32::new(0),
                    queued: AtomicU32::new(0),
                    idx: AtomicU32::new(0),
                    cum_served: AtomicU64::new(0),
                    nbpend_max: AtomicU32::new(0),
                }
            })
            .collect();
        let be = Arc::new(Backend {
            cfg,
            servers,
            balancer,
            queues: Mutex::new(Queues {
                srv: (0..n).map(|_| BTreeMap::new()).collect(),
                ..Default::default()
            }),
            served: AtomicU32::new(0),
            totpend: AtomicU32::new(0),
            beconn: AtomicU32::new(0),
            queued: AtomicU32::new(0),
            idx: AtomicU32::new(0),
            nbpend_max: AtomicU32::new(0),
            cum_served: AtomicU64::new(0),
            ready_srv: AtomicUsize::new(NO_SERVER),
            clock: AtomicU64::new(0),
            seq: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
            wakeup: RwLock::new(None),
            #[cfg(all(test, not(loom)))]
            hook: Mutex::new(None),
        });
        be.balancer.update(&View(&be));
        be
    }

    // ----- introspection -------------------------------------------------------------

    pub fn config(&self) -> &BackendConfig {
        &self.cfg
    }
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }
    pub fn server(&self, i: usize) -> Option<&Server> {
        self.servers.get(i)
    }
    pub fn server_index(&self, name: &str) -> Option<usize> {
        self.servers.iter().position(|s| s.name == name)
    }
    /// Slots in use, all servers.
    pub fn served(&self) -> u32 {
        self.served.load(SeqCst)
    }
    /// Backend queue length.
    pub fn queued(&self) -> u32 {
        self.queued.load(SeqCst)
    }
    /// All queued streams, server queues included.
    pub fn totpend(&self) -> u32 {
        self.totpend.load(SeqCst)
    }
    /// Streams attached to the backend (queued ones included): feeds the dynamic maxconn.
    pub fn beconn(&self) -> u32 {
        self.beconn.load(SeqCst)
    }
    pub fn cum_served(&self) -> u64 {
        self.cum_served.load(SeqCst)
    }
    /// Largest backend queue length seen.
    pub fn nbpend_max(&self) -> u32 {
        self.nbpend_max.load(SeqCst)
    }
    /// The published idle server, if any.
    pub fn ready_srv(&self) -> Option<usize> {
        match self.ready_srv.load(SeqCst) {
            NO_SERVER => None,
            i => Some(i),
        }
    }
    /// The latest `now_ms` any call passed in.
    pub fn now_ms(&self) -> u64 {
        self.clock.load(SeqCst)
    }

    /// Sets (or clears) the wake-up callback.
    pub fn set_wakeup(&self, cb: Option<Wakeup>) {
        *self.wakeup.write().unwrap_or_else(|e| e.into_inner()) = cb;
    }

    #[cfg(all(test, not(loom)))]
    fn set_hook(&self, f: Option<HookFn>) {
        *lock(&self.hook) = f;
    }

    fn hook(&self, _h: Hook) {
        #[cfg(all(test, not(loom)))]
        {
            let f = lock(&self.hook).clone();
            if let Some(f) = f {
                f(_h);
            }
        }
    }

    fn fire(&self, wakes: Wakes) {
        if wakes.is_empty() {
            return;
        }
        let cb = self
            .wakeup
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(cb) = cb {
            for (id, user) in wakes {
                cb(id, user);
            }
        }
    }

    fn advance(&self, now_ms: u64) {
        self.clock.fetch_max(now_ms, SeqCst);
    }

    /// Slowstart progress of server `i` in percent, if it is ramping up.
    fn warmup_pct(&self, i: usize) -> Option<u64> {
        let s = &self.servers[i];
        if s.state() != ServerState::Starting || s.slowstart_ms == 0 {
            return None;
        }
        let elapsed = self.now_ms().saturating_sub(s.last_change.load(SeqCst));
        if elapsed >= s.slowstart_ms {
            None
        } else {
            Some(100 * elapsed / s.slowstart_ms)
        }
    }

    /// The dynamic maxconn of server `i` (`u32::MAX` when unlimited).
    pub fn dyn_maxconn(&self, i: usize) -> u32 {
        let s = &self.servers[i];
        let max = s.maxconn();
        if max == 0 {
            return u32::MAX;
        }
        let min = s.minconn().min(max);
        let full = self.cfg.fullconn;
        let be = self.beconn();
        let mut limit = if min == max || full == 0 || be >= full {
            max
        } else {
            min.max((be as u64 * max as u64 / full as u64) as u32)
        };
        if let Some(pct) = self.warmup_pct(i) {
            limit = ((limit as u64 * pct / 100) as u32).max(1);
        }
        limit
    }

    /// Effective weight: 0 in drain, ramped during slowstart.
    fn eff_weight(&self, i: usize) -> u32 {
        let s = &self.servers[i];
        if s.state() == ServerState::Drain {
            return 0;
        }
        let w = s.weight();
        match self.warmup_pct(i) {
            Some(pct) => ((w as u64 * pct).div_ceil(100) as u32).max(1).min(w),
            None => w,
        }
    }

    fn usable(&self, i: usize) -> bool {
        self.servers[i].running()
    }

    /// Running, or draining (a draining server still takes persistent traffic).
    fn alive(&self, i: usize) -> bool {
        let s = &self.servers[i];
        !s.is_deleted()
            && matches!(
                s.state(),
                ServerState::Up | ServerState::Starting | ServerState::Drain
            )
    }

    fn lb_usable(&self, i: usize) -> bool {
        self.usable(i) && self.eff_weight(i) > 0
    }

    /// May server `i` take entries from the backend queue?
    fn px_ok(&self, i: usize) -> bool {
        if !self.lb_usable(i) {
            return false;
        }
        if !self.servers[i].backup {
            return true;
        }
        let n = self.servers.len();
        if (0..n).any(|j| !self.servers[j].backup && self.lb_usable(j)) {
            return false;
        }
        self.cfg.allbackups
            || (0..n).find(|&j| self.servers[j].backup && self.lb_usable(j)) == Some(i)
    }

    fn has_room(&self, i: usize) -> bool {
        self.servers[i].served() < self.dyn_maxconn(i)
    }

    /// Bounded CAS: takes one slot on `i` unless it is at its dynamic limit.
    fn try_reserve(&self, i: usize) -> bool {
        let s = &self.servers[i];
        let lim = self.dyn_maxconn(i);
        let mut cur = s.served.load(SeqCst);
        loop {
            if cur >= lim {
                return false;
            }
            match s.served.compare_exchange_weak(cur, cur + 1, SeqCst, SeqCst) {
                Ok(_) => return true,
                Err(v) => cur = v,
            }
        }
    }

    /// Bookkeeping after a slot on `i` was reserved for a stream.
    fn granted(&self, i: usize) {
        self.served.fetch_add(1, SeqCst);
        // Statistics only: no ordering is needed with the hand-off.
        self.cum_served.fetch_add(1, Relaxed);
        self.servers[i].cum_served.fetch_add(1, Relaxed);
        self.balancer.take_conn(&View(self), i);
    }

    /// Gives a slot on `i` back and offers it to the queues.
    fn give_back(&self, i: usize, wakes: &mut Wakes) {
        self.served.fetch_sub(1, SeqCst);
        self.servers[i].served.fetch_sub(1, SeqCst);
        self.balancer.drop_conn(&View(self), i);
        self.hook(Hook::AfterReleaseDec);
        self.process_srv_queue(i, None, wakes);
    }

    /// The dequeuer: hands free slots of server `i` to the best waiting entries of its own
    /// queue and (when `px_ok`) of the backend queue, at most [`MAX_DEQUEUE_BATCH`]. If the
    /// server and the backend are idle, publishes `ready_srv` first. `skip` is a stream
    /// that must not be woken (the caller itself). Returns the number dequeued.
    fn process_srv_queue(&self, i: usize, skip: Option<StreamId>, wakes: &mut Wakes) -> usize {
        let s = &self.servers[i];
        // A deleted server serves nobody again. Its queue was emptied by the deletion, and
        // an entry that raced in is taken out by its enqueuer (which sees it deleted).
        if s.is_deleted() {
            return 0;
        }
        let px_ok = self.px_ok(i);
        // An enqueuer's own pass (skip set) never publishes: it is about to take the slot.
        if skip.is_none()
            && px_ok
            && s.served() == 0
            && self.served() == 0
            // A plain load first: when a server is already published (the common idle
            // case) the CAS would fail anyway, and the load costs no cache-line ownership.
            && self.ready_srv.load(SeqCst) == NO_SERVER
            && self
                .ready_srv
                .compare_exchange(NO_SERVER, i, SeqCst, SeqCst)
                .is_ok()
        {
            self.hook(Hook::AfterReadyPublish);
        }
        // Store (served decrement, publication) then load (queue lengths): the full fence
        // makes the Dekker pair with the enqueuer hold under any atomic orderings.
        fence(SeqCst);
        if s.queued() == 0 && (!px_ok || self.queued() == 0) {
            return 0;
        }
        let now = self.now_ms();
        let mut done = 0;
        self.hook(Hook::BeforeDequeueLock);
        let mut q = lock(&self.queues);
        // Deleted meanwhile: the deletion set the flag before its redistribution took the
        // lock, so from here on it is seen, and a deleted server takes nobody.
        if s.is_deleted() {
            return 0;
        }
        while done < MAX_DEQUEUE_BATCH {
            let p = q.srv[i].first_key_value().map(|(k, _)| *k);
            let pp = if px_ok {
                q.px.first_key_value().map(|(k, _)| *k)
            } else {
                None
            };
            let from_srv = match (p, pp) {
                (None, None) => break,
                (Some(a), Some(b)) => a.prio() <= b.prio(),
                (Some(_), None) => true,
                (None, Some(_)) => false,
            };
            if !self.try_reserve(i) {
                break;
            }
            let (_, e) = if from_srv {
                q.srv[i].pop_first()
            } else {
                q.px.pop_first()
            }
            .expect("head seen under the lock");
            let pos = if from_srv {
                s.queued.fetch_sub(1, SeqCst);
                s.idx.fetch_add(1, SeqCst)
            } else {
                self.queued.fetch_sub(1, SeqCst);
                self.idx.fetch_add(1, SeqCst)
            };
            self.totpend.fetch_sub(1, SeqCst);
            {
                let mut inner = lock(&e.inner);
                if let St::Queued(qp) = inner.st {
                    if let Some(d) = qp.deadline {
                        q.timeouts.remove(&(d, qp.key.seq));
                    }
                    let n = pos.wrapping_sub(qp.qidx);
                    if from_srv {
                        inner.log.srv_queue = inner.log.srv_queue.wrapping_add(n);
                    } else {
                        inner.log.backend_queue = inner.log.backend_queue.wrapping_add(n);
                    }
                    inner.log.queue_ms = Some(now.saturating_sub(qp.since));
                }
                inner.st = St::Assigned(i);
                if skip != Some(e.id) {
                    wakes.push((e.id, inner.user));
                }
            }
            self.served.fetch_add(1, SeqCst);
            self.cum_served.fetch_add(1, SeqCst);
            s.cum_served.fetch_add(1, SeqCst);
            done += 1;
        }
        drop(q);
        // LB hooks run with no queue lock held.
        for _ in 0..done {
            self.balancer.take_conn(&View(self), i);
        }
        done
    }

    /// Runs dequeue passes on `i` until one stops short of the batch limit (admin paths:
    /// they must not leave entries behind while there is room).
    fn drain_server(&self, i: usize, wakes: &mut Wakes) {
        while self.process_srv_queue(i, None, wakes) == MAX_DEQUEUE_BATCH {}
    }

    fn drain_all(&self, wakes: &mut Wakes) {
        for i in 0..self.servers.len() {
            self.drain_server(i, wakes);
        }
    }

    fn update_lb(&self) {
        self.balancer.update(&View(self));
    }

    fn clear_ready(&self, i: usize) {
        let _ = self
            .ready_srv
            .compare_exchange(i, NO_SERVER, SeqCst, SeqCst);
    }

    /// Removes a queued entry (owner side: timeout, abort, rebalance). Returns false if a
    /// dequeuer got it first. `q` must be the locked queues.
    fn unlink_locked(&self, q: &mut Queues, e: &StreamEntry, inner: &mut Inner, to: St) -> bool {
        let St::Queued(qp) = inner.st else {
            return false;
        };
        match qp.srv {
            Some(i) => {
                q.srv[i].remove(&qp.key);
                let s = &self.servers[i];
                s.queued.fetch_sub(1, SeqCst);
                let n = s.idx.load(SeqCst).wrapping_sub(qp.qidx);
                inner.log.srv_queue = inner.log.srv_queue.wrapping_add(n);
            }
            None => {
                q.px.remove(&qp.key);
                self.queued.fetch_sub(1, SeqCst);
                let n = self.idx.load(SeqCst).wrapping_sub(qp.qidx);
                inner.log.backend_queue = inner.log.backend_queue.wrapping_add(n);
            }
        }
        if let Some(d) = qp.deadline {
            q.timeouts.remove(&(d, qp.key.seq));
        }
        let _ = e;
        self.totpend.fetch_sub(1, SeqCst);
        inner.log.queue_ms = Some(self.now_ms().saturating_sub(qp.since));
        inner.st = to;
        true
    }

    /// `pendconn_redistribute`: server `i` went down or into maintenance.
    fn redistribute(&self, i: usize, maint: bool, wakes: &mut Wakes) {
        let srv_queue = maint || (self.cfg.redispatch && !self.cfg.persist);
        let none_left = !(0..self.servers.len()).any(|j| self.lb_usable(j));
        let mut q = lock(&self.queues);
        if srv_queue {
            let entries: Vec<Arc<StreamEntry>> = q.srv[i].values().cloned().collect();
            for e in entries {
                let mut inner = lock(&e.inner);
                // Force-persisted waiters stay on a down server, not on a deleted one.
                if inner.forced.is_some_and(|f| f.force_persist) && !self.servers[i].is_deleted() {
                    continue;
                }
                if self.unlink_locked(&mut q, &e, &mut inner, St::Rebalance) {
                    inner.forced = None;
                    wakes.push((e.id, inner.user));
                }
            }
        }
        if none_left {
            let entries: Vec<Arc<StreamEntry>> = q.px.values().cloned().collect();
            for e in entries {
                let mut inner = lock(&e.inner);
                if self.unlink_locked(&mut q, &e, &mut inner, St::Rebalance) {
                    inner.forced = None;
                    wakes.push((e.id, inner.user));
                }
            }
        }
    }

    // ----- admin ----------------------------------------------------------------------

    /// Changes a server's state. Coming up (UP, or STARTING with slowstart) dequeues as
    /// many entries as fit; DOWN and MAINT redistribute the server queue
    /// (`pendconn_redistribute`) and, when no usable server is left, empty the backend
    /// queue (those streams get [`Poll::Rebalance`], then `NoSrv`).
    pub fn set_state(&self, i: usize, st: ServerState, now_ms: u64) -> Result<(), QueueError> {
        let s = self.servers.get(i).ok_or(QueueError::InvalidServer)?;
        self.advance(now_ms);
        let old = s.state();
        let mut new = st;
        if st == ServerState::Up
            && matches!(old, ServerState::Down | ServerState::Maint)
            && s.slowstart_ms > 0
        {
            new = ServerState::Starting;
        }
        if new != old {
            s.last_change.store(self.now_ms(), SeqCst);
        }
        s.state.store(new as u8, SeqCst);
        self.update_lb();
        let mut wakes = Vec::new();
        if !self.px_ok(i) {
            self.clear_ready(i);
        }
        if matches!(new, ServerState::Down | ServerState::Maint) {
            self.redistribute(i, new == ServerState::Maint, &mut wakes);
        }
        self.drain_all(&mut wakes);
        self.fire(wakes);
        Ok(())
    }

    /// `set maxconn server`: 0 = unlimited. Dequeues what now fits.
    pub fn set_maxconn(&self, i: usize, maxconn: u32) -> Result<(), QueueError> {
        let s = self.servers.get(i).ok_or(QueueError::InvalidServer)?;
        let old = s.maxconn.swap(maxconn, SeqCst);
        let min = s.minconn();
        if min == old || min > maxconn || maxconn == 0 {
            s.minconn.store(maxconn, SeqCst);
        }
        let mut wakes = Vec::new();
        self.drain_server(i, &mut wakes);
        self.fire(wakes);
        Ok(())
    }

    pub fn set_maxqueue(&self, i: usize, maxqueue: u32) -> Result<(), QueueError> {
        let s = self.servers.get(i).ok_or(QueueError::InvalidServer)?;
        s.maxqueue.store(maxqueue, SeqCst);
        Ok(())
    }

    /// `set weight`: weight 0 takes no new traffic (and no backend-queue work).
    pub fn set_weight(&self, i: usize, weight: u32) -> Result<(), QueueError> {
        let s = self.servers.get(i).ok_or(QueueError::InvalidServer)?;
        s.weight.store(weight, SeqCst);
        self.update_lb();
        if !self.px_ok(i) {
            self.clear_ready(i);
        }
        let mut wakes = Vec::new();
        self.drain_all(&mut wakes);
        self.fire(wakes);
        Ok(())
    }

    /// Removes a server from service for good (dynamic server deletion): like MAINT, and
    /// `ready_srv` can never name it again.
    pub fn delete_server(&self, i: usize) -> Result<(), QueueError> {
        let s = self.servers.get(i).ok_or(QueueError::InvalidServer)?;
        s.deleted.store(true, SeqCst);
        self.clear_ready(i);
        self.update_lb();
        let mut wakes = Vec::new();
        self.redistribute(i, true, &mut wakes);
        self.drain_all(&mut wakes);
        self.fire(wakes);
        Ok(())
    }

    /// Clock tick: ends finished slowstarts and dequeues what the growing limits allow
    /// (HAProxy's `server_warmup`). Returns the number of streams dequeued.
    pub fn tick(&self, now_ms: u64) -> usize {
        self.advance(now_ms);
        let mut changed = false;
        for s in &self.servers {
            if s.state() == ServerState::Starting
                && self.now_ms().saturating_sub(s.last_change.load(SeqCst)) >= s.slowstart_ms
            {
                let _ = s.state.compare_exchange(
                    ServerState::Starting as u8,
                    ServerState::Up as u8,
                    SeqCst,
                    SeqCst,
                );
                changed = true;
            }
        }
        if changed
            || self
                .servers
                .iter()
                .any(|s| s.state() == ServerState::Starting)
        {
            self.update_lb();
        }
        let mut wakes = Vec::new();
        self.drain_all(&mut wakes);
        let n = wakes.len();
        self.fire(wakes);
        n
    }

    /// Removes exactly the queued streams whose queue timeout is at or before `now_ms`
    /// (they get [`Poll::Timeout`], "sQ"). Returns how many.
    pub fn expire(&self, now_ms: u64) -> usize {
        self.advance(now_ms);
        let mut wakes = Vec::new();
        {
            let mut q = lock(&self.queues);
            while let Some((&(d, _), e)) = q.timeouts.first_key_value() {
                if d > now_ms {
                    break;
                }
                let e = e.clone();
                let mut inner = lock(&e.inner);
                if self.unlink_locked(&mut q, &e, &mut inner, St::Expired) {
                    inner.log.term = Some("sQ");
                    wakes.push((e.id, inner.user));
                } else {
                    q.timeouts.pop_first();
                }
            }
        }
        let n = wakes.len();
        self.fire(wakes);
        n
    }

    /// Creates a stream attached to this backend (counts in `beconn`).
    pub fn stream_new(self: &Arc<Self>) -> Stream {
        self.beconn.fetch_add(1, SeqCst);
        Stream {
            be: self.clone(),
            e: Arc::new(StreamEntry {
                id: self.next_id.fetch_add(1, SeqCst),
                inner: Mutex::new(Inner {
                    st: St::New,
                    class: 0,
                    offset: 0,
                    hash_key: None,
                    forced: None,
                    timeout: None,
                    log: StreamLog::default(),
                    user: 0,
                }),
            }),
        }
    }

    /// Checks the counter invariants of `queue-tests.md` §0 (meaningful when no call is in
    /// flight). Streams holding slots cannot be counted from here: the caller compares
    /// [`Backend::served`] with its own count.
    pub fn check_invariants(&self) -> Result<(), String> {
        let q = lock(&self.queues);
        let mut sum_served = 0u32;
        let mut sum_q = 0u32;
        for (i, s) in self.servers.iter().enumerate() {
            let served = s.served();
            sum_served += served;
            if s.queued() as usize != q.srv[i].len() {
                return Err(format!(
                    "server {}: queued={} but {} entries",
                    s.name,
                    s.queued(),
                    q.srv[i].len()
                ));
            }
            sum_q += s.queued();
            let dyn_max = self.dyn_maxconn(i);
            if s.maxconn() > 0 && served > dyn_max {
                return Err(format!("server {}: served {served} > {dyn_max}", s.name));
            }
            if !q.srv[i].is_empty() && served < dyn_max {
                return Err(format!(
                    "server {}: stranded server queue ({} entries, served {served} < {dyn_max})",
                    s.name,
                    q.srv[i].len()
                ));
            }
            if !q.px.is_empty() && self.px_ok(i) && served < dyn_max {
                return Err(format!(
                    "backend queue stranded ({} entries) while {} has room ({served} < {dyn_max})",
                    q.px.len(),
                    s.name
                ));
            }
        }
        if self.queued() as usize != q.px.len() {
            return Err(format!(
                "backend queued={} but {} entries",
                self.queued(),
                q.px.len()
            ));
        }
        if self.served() != sum_served {
            return Err(format!(
                "backend served={} but servers sum to {sum_served}",
                self.served()
            ));
        }
        if self.totpend() != self.queued() + sum_q {
            return Err(format!(
                "totpend={} but queues hold {}",
                self.totpend(),
                self.queued() + sum_q
            ));
        }
        if let Some(r) = self.ready_srv() {
            if r >= self.servers.len() || self.servers[r].is_deleted() {
                return Err(format!("ready_srv names a deleted server ({r})"));
            }
        }
        Ok(())
    }
}

/// One request that needs a server slot. Dropping it releases its slot or leaves its queue.
pub struct Stream {
    be: Arc<Backend>,
    e: Arc<StreamEntry>,
}

impl Stream {
    pub fn id(&self) -> StreamId {
        self.e.id
    }
    pub fn backend(&self) -> &Arc<Backend> {
        &self.be
    }

    /// A value handed back to the wake-up callback (the C layer stores its `hap_stream *`).
    pub fn set_user_tag(&self, tag: usize) {
        lock(&self.e.inner).user = tag;
    }

    /// `set-priority-class` / `set-priority-offset` (clamped); used at the next enqueue.
    pub fn set_priority(&self, class: i32, offset_ms: i32) {
        let mut inner = lock(&self.e.inner);
        inner.class = clamp_class(class);
        inner.offset = clamp_offset(offset_ms);
    }

    /// `(class, offset_ms)` as clamped (the `prio_class` / `prio_offset` fetches).
    pub fn priority(&self) -> (i32, i32) {
        let inner = lock(&self.e.inner);
        (inner.class, inner.offset)
    }

    /// Forgets a persistence choice made with [`Stream::set_server`].
    pub fn clear_server(&self) -> Result<(), QueueError> {
        let mut inner = lock(&self.e.inner);
        if matches!(inner.st, St::Queued(_) | St::Assigned(_)) {
            return Err(QueueError::State);
        }
        inner.forced = None;
        Ok(())
    }

    /// Hash input for hash-based algorithms.
    pub fn set_hash_key(&self, key: Option<&[u8]>) {
        lock(&self.e.inner).hash_key = key.map(|k| k.to_vec());
    }

    /// Per-stream `timeout queue` (`set-timeout queue`); `None` = no timeout.
    pub fn set_queue_timeout(&self, timeout_ms: Option<u64>) {
        lock(&self.e.inner).timeout = Some(timeout_ms);
    }

    /// Persistence: the stream goes to (or waits on) server `srv`. `direct` marks a
    /// cookie/stick-table choice (may be redispatched on maxqueue overflow with `option
    /// redispatch`); `force_persist` keeps it even then and through redistribution.
    pub fn set_server(
        &self,
        srv: usize,
        direct: bool,
        force_persist: bool,
    ) -> Result<(), QueueError> {
        if srv >= self.be.servers.len() {
            return Err(QueueError::InvalidServer);
        }
        let mut inner = lock(&self.e.inner);
        if matches!(inner.st, St::Queued(_) | St::Assigned(_)) {
            return Err(QueueError::State);
        }
        inner.forced = Some(Forced {
            srv,
            direct,
            force_persist,
        });
        Ok(())
    }

    pub fn state(&self) -> StreamState {
        match lock(&self.e.inner).st {
            St::New => StreamState::New,
            St::Queued(_) => StreamState::Queued,
            St::Assigned(i) => StreamState::Assigned(i),
            St::Rebalance => StreamState::Redispatched,
            St::Expired => StreamState::Expired,
            St::Released => StreamState::Released,
        }
    }

    /// Where the stream waits: `Some(Some(i))` server `i`'s queue, `Some(None)` the backend
    /// queue, `None` not queued.
    pub fn queued_on(&self) -> Option<Option<usize>> {
        match lock(&self.e.inner).st {
            St::Queued(qp) => Some(qp.srv),
            _ => None,
        }
    }

    pub fn log(&self) -> StreamLog {
        lock(&self.e.inner).log
    }

    /// `assign_server_and_queue` + `srv_redispatch_connect`. Allowed for a new stream or
    /// one that must rebalance.
    pub fn assign(&self, now_ms: u64) -> Result<Assign, QueueError> {
        self.be.advance(now_ms);
        let mut wakes = Vec::new();
        let r = self.assign_inner(now_ms, &mut wakes);
        self.be.fire(wakes);
        r
    }

    fn assign_inner(&self, now_ms: u64, wakes: &mut Wakes) -> Result<Assign, QueueError> {
        let be = &*self.be;
        let (mut forced, key) = {
            let inner = lock(&self.e.inner);
            if !matches!(inner.st, St::New | St::Rebalance) {
                return Err(QueueError::State);
            }
            (inner.forced, inner.hash_key.clone())
        };
        // A persisted server that is down is only used with `option persist` or
        // `force-persist`; otherwise LB decides. A draining server keeps its persistent
        // traffic (that is what drain is for). A deleted server is gone for everyone.
        if let Some(f) = forced {
            if be.servers[f.srv].is_deleted()
                || (!be.alive(f.srv) && !be.cfg.persist && !f.force_persist)
            {
                forced = None;
            }
        }
        for _ in 0..3 {
            let pick = match forced {
                Some(f) => Pick::Server(f.srv),
                None => {
                    if be.cfg.lb_full_shortcut && be.queued() > 0 && be.served() > 0 {
                        Pick::Full
                    } else {
                        be.balancer.pick(&View(be), key.as_deref())
                    }
                }
            };
            match pick {
                Pick::NoServer => {
                    let mut inner = lock(&self.e.inner);
                    inner.log.term = Some("SC");
                    inner.st = St::New;
                    return Ok(Assign::NoSrv);
                }
                Pick::Server(i) => {
                    let s = &be.servers[i];
                    if s.queued() == 0 && be.try_reserve(i) {
                        be.granted(i);
                        lock(&self.e.inner).st = St::Assigned(i);
                        return Ok(Assign::Ok(i));
                    }
                    let mq = s.maxqueue();
                    if mq > 0 && s.queued() >= mq {
                        if be.cfg.redispatch && forced.is_some_and(|f| f.direct && !f.force_persist)
                        {
                            forced = None;
                            let mut inner = lock(&self.e.inner);
                            inner.forced = None;
                            inner.log.redispatched = true;
                            continue;
                        }
                        lock(&self.e.inner).log.term = Some("SQ");
                        return Ok(Assign::Full);
                    }
                    be.hook(Hook::AfterLbDecision);
                    self.enqueue(Some(i), now_ms);
                    fence(SeqCst);
                    // The enqueuer's own dequeue check (kept half of 5541d4995d): the
                    // releaser decremented `served` before reading our queue length.
                    be.process_srv_queue(i, Some(self.e.id), wakes);
                    // The server went down or into maintenance while we enqueued, after its
                    // redistribution ran: do what the redistribution would have done.
                    let keep = (forced.is_some_and(|f| f.force_persist)
                        || (be.cfg.persist && forced.is_some()))
                        && !s.is_deleted();
                    if !keep && !be.alive(i) && self.unqueue_self() {
                        forced = None;
                        lock(&self.e.inner).forced = None;
                        continue;
                    }
                    return Ok(self.after_enqueue());
                }
                Pick::Full => {
                    be.hook(Hook::AfterLbDecision);
                    self.enqueue(None, now_ms);
                    be.hook(Hook::AfterInsert);
                    // Store (our entry) then load (`ready_srv`, `served`): see the releaser.
                    fence(SeqCst);
                    // Claim the published idle server: one exchange, then one dequeue pass
                    // on it (head of the queue first, so older entries keep their turn).
                    if be.ready_srv.load(SeqCst) != NO_SERVER {
                        let r = be.ready_srv.swap(NO_SERVER, SeqCst);
                        if r != NO_SERVER && r < be.servers.len() && be.px_ok(r) {
                            be.process_srv_queue(r, Some(self.e.id), wakes);
                        }
                    }
                    // Then one pass over the servers: any px_ok server with room dequeues.
                    // Pairs with the releaser's decrement-then-read of our queue length.
                    for j in 0..be.servers.len() {
                        if be.queued() == 0 {
                            break;
                        }
                        if be.px_ok(j) && be.has_room(j) {
                            be.process_srv_queue(j, Some(self.e.id), wakes);
                        }
                    }
                    // The last usable server left while we enqueued, after it emptied the
                    // backend queue: nobody would ever dequeue us.
                    if !(0..be.servers.len()).any(|j| be.lb_usable(j)) && self.unqueue_self() {
                        lock(&self.e.inner).log.term = Some("SC");
                        return Ok(Assign::NoSrv);
                    }
                    return Ok(self.after_enqueue());
                }
            }
        }
        lock(&self.e.inner).log.term = Some("SQ");
        Ok(Assign::Full)
    }

    fn enqueue(&self, srv: Option<usize>, now_ms: u64) {
        let be = &*self.be;
        let mut q = lock(&be.queues);
        let mut inner = lock(&self.e.inner);
        let seq = be.seq.fetch_add(1, SeqCst);
        let key = Key::new(inner.class, now_ms, inner.offset, seq);
        let timeout = inner
            .timeout
            .unwrap_or(be.cfg.timeout_queue_ms.or(be.cfg.timeout_connect_ms));
        let deadline = timeout.map(|t| now_ms.saturating_add(t));
        let qidx;
        match srv {
            Some(i) => {
                let s = &be.servers[i];
                qidx = s.idx.load(SeqCst).wrapping_sub(1);
                q.srv[i].insert(key, self.e.clone());
                let n = s.queued.fetch_add(1, SeqCst) + 1;
                s.nbpend_max.fetch_max(n, SeqCst);
            }
            None => {
                qidx = be.idx.load(SeqCst).wrapping_sub(1);
                q.px.insert(key, self.e.clone());
                let n = be.queued.fetch_add(1, SeqCst) + 1;
                be.nbpend_max.fetch_max(n, SeqCst);
            }
        }
        if let Some(d) = deadline {
            q.timeouts.insert((d, seq), self.e.clone());
        }
        be.totpend.fetch_add(1, SeqCst);
        inner.st = St::Queued(QPos {
            srv,
            key,
            deadline,
            qidx,
            since: now_ms,
        });
    }

    /// Takes our own entry out of its queue (back to `New`); false if a dequeuer or a
    /// redistribution got it first.
    fn unqueue_self(&self) -> bool {
        let be = &*self.be;
        let mut q = lock(&be.queues);
        let mut inner = lock(&self.e.inner);
        be.unlink_locked(&mut q, &self.e, &mut inner, St::New)
    }

    fn after_enqueue(&self) -> Assign {
        match lock(&self.e.inner).st {
            St::Assigned(i) => Assign::Ok(i),
            _ => Assign::Queued,
        }
    }

    /// The QUE-state check: a slot given by a dequeuer first, then the timeout.
    pub fn poll(&self, now_ms: u64) -> Poll {
        self.be.advance(now_ms);
        {
            let inner = lock(&self.e.inner);
            match inner.st {
                St::Assigned(i) => return Poll::Assigned(i),
                St::Rebalance => return Poll::Rebalance,
                St::Expired => return Poll::Timeout,
                St::New | St::Released => return Poll::Idle,
                St::Queued(qp) => {
                    if qp.deadline.is_none_or(|d| now_ms < d) {
                        return Poll::Waiting;
                    }
                }
            }
        }
        let be = &*self.be;
        let mut q = lock(&be.queues);
        let mut inner = lock(&self.e.inner);
        if be.unlink_locked(&mut q, &self.e, &mut inner, St::Expired) {
            inner.log.term = Some("sQ");
            return Poll::Timeout;
        }
        match inner.st {
            St::Assigned(i) => Poll::Assigned(i),
            St::Rebalance => Poll::Rebalance,
            St::Expired => Poll::Timeout,
            _ => Poll::Idle,
        }
    }

    /// Gives the slot back and dequeues waiting streams. A queued stream must abort instead.
    pub fn release(&self) -> Result<(), QueueError> {
        let slot = {
            let mut inner = lock(&self.e.inner);
            match inner.st {
                St::Queued(_) => return Err(QueueError::State),
                St::Assigned(i) => {
                    inner.st = St::Released;
                    Some(i)
                }
                _ => {
                    inner.st = St::Released;
                    None
                }
            }
        };
        if let Some(i) = slot {
            let mut wakes = Vec::new();
            self.be.give_back(i, &mut wakes);
            self.be.fire(wakes);
        }
        Ok(())
    }

    /// The client left: leave the queue ("CQ"), or give back a slot a dequeuer already
    /// reserved for this stream.
    pub fn abort(&self) {
        let be = &*self.be;
        {
            let mut q = lock(&be.queues);
            let mut inner = lock(&self.e.inner);
            if be.unlink_locked(&mut q, &self.e, &mut inner, St::Released) {
                inner.log.term = Some("CQ");
                return;
            }
        }
        let _ = self.release();
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.abort();
        self.be.beconn.fetch_sub(1, SeqCst);
    }
}
