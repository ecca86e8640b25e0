//! One worker thread: its own `mio::Poll`, its own copy of every listening socket, the
//! sessions it accepted, their timers, and a mailbox through which the queue (running on
//! whichever thread freed a slot) hands back streams that got a server. A mailbox post is
//! followed by a `mio::Waker` wake-up of the owning thread, so a queued stream never waits
//! for unrelated traffic to notice its slot.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::event::Event;
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use slab::Slab;

use super::http::{HttpSession, IdleHttp};
use super::io::{Buf, ReadOutcome, Sock};
use super::pool::{IdlePool, POOL_BASE, PURGE_EVERY};
use super::shared::Shared;
use super::stream::{ListenSock, Stream};
use super::tcp::TcpSession;
use super::timer::Timers;
use crate::model::Mode;
use crate::queue::StreamId;

/// Tokens at and above this are not sessions.
const WAKER: Token = Token(usize::MAX - 1);
const LISTENER_BASE: usize = usize::MAX / 2;

/// Token slots per session: the client, the active server connection, and idle server
/// connections kept for the session's next requests (HAProxy's `max-session-srv-conns`,
/// 5 by default).
pub const SLOTS: usize = 8;
pub const MAX_IDLE: usize = 5;

/// Which socket of a session an event is for (token = key * SLOTS + slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
    /// An idle kept server connection (index in the session's idle set).
    Idle(usize),
}

/// What a session handler sees of its worker.
pub struct Ctx<'a> {
    pub registry: &'a Registry,
    /// Idle server connections shared by the worker's sessions.
    pub pool: &'a mut IdlePool,
    /// Every worker's shared side (this one's included), to take over idle server
    /// connections other workers hold.
    pub peers: &'a [Arc<Mailbox>],
    pub shared: &'a Shared,
    pub worker: usize,
    pub key: usize,
    pub now: Instant,
    pub now_ms: u64,
}

impl<'a> Ctx<'a> {
    pub fn new(
        registry: &'a Registry,
        pool: &'a mut IdlePool,
        peers: &'a [Arc<Mailbox>],
        shared: &'a Shared,
        worker: usize,
        key: usize,
        now: Instant,
    ) -> Ctx<'a> {
        Ctx {
            registry,
            pool,
            peers,
            shared,
            worker,
            key,
            now,
            now_ms: shared.now_ms(now),
        }
    }

    pub fn server_token(&self) -> usize {
        self.key * SLOTS + 1
    }
    pub fn idle_token(&self, i: usize) -> usize {
        self.key * SLOTS + 2 + i
    }
    /// The queue's user tag for this session's streams: worker and session key.
    pub fn tag(&self) -> usize {
        (self.worker << 32) | self.key
    }
}

/// Stop requests shared by the workers and whoever controls the runtime.
#[derive(Default)]
pub struct Control {
    pub stop: AtomicBool,
    pub soft_stop: AtomicBool,
    /// Workers still running.
    pub running: AtomicUsize,
    /// Some worker has listeners paused on a connection limit: whoever ends a connection
    /// wakes every worker so they retry accepting.
    pub paused: AtomicBool,
}

/// What other threads may reach of one worker: queue wake-ups posted to it, and its idle
/// server connections (HAProxy's per-thread idle lists, which other threads take
/// connections over from when they have none of their own). The worker holds its pool's
/// lock while it handles an event; others only `try_lock` it.
pub struct Mailbox {
    items: Mutex<Vec<(StreamId, usize)>>,
    /// `on-marked-down shutdown-sessions` and friends: (backend, server) whose sessions
    /// this worker must close (posted by the checks thread).
    shutdowns: Mutex<Vec<(usize, usize)>>,
    pub waker: Waker,
    pub idle: Mutex<IdlePool>,
    /// A handle on the worker's epoll instance, to take a connection out of it.
    pub registry: Registry,
}

impl Mailbox {
    pub fn lock_pool(&self) -> std::sync::MutexGuard<'_, IdlePool> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Mailbox {
    pub fn post_shutdown(&self, be: usize, srv: usize) {
        self.shutdowns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((be, srv));
        let _ = self.waker.wake();
    }
    fn take_shutdowns(&self) -> Vec<(usize, usize)> {
        std::mem::take(&mut *self.shutdowns.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn post(&self, id: StreamId, key: usize) {
        self.items
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, key));
        let _ = self.waker.wake();
    }
    fn take(&self, into: &mut Vec<(StreamId, usize)>) {
        std::mem::swap(
            &mut *self.items.lock().unwrap_or_else(|e| e.into_inner()),
            into,
        );
    }
}

/// Sessions live in a slab, one slot per connection. The large variants are boxed so that
/// an idle keep-alive connection (`HttpIdle`) costs its compact form, not a full session's
/// slot: about 300 bytes instead of 1.2 KB (HAProxy needs ~1.1 KB per idle connection).
pub enum Session {
    Http(Box<HttpSession>),
    /// An HTTP client connection idle in keep-alive (see `HttpSession::can_park`).
    HttpIdle(Box<IdleHttp>),
    Tcp(Box<TcpSession>),
    /// `accept-proxy`: reading the PROXY protocol header before the real session.
    Proxy(ProxyWait),
    /// `bind … ssl`: the TLS handshake before the real session.
    Tls(Box<super::tls::TlsWait>),
    /// Only while `wake`/`park` swap a session's form; never seen outside them.
    Moving,
}

/// Where a client connection really comes from, and bytes already read from it.
#[derive(Default)]
pub struct Origin {
    pub peer: Option<SocketAddr>,
    /// The address the client connected to, when already known (a PROXY header); the
    /// sessions otherwise ask the socket only if something needs it.
    pub local: Option<SocketAddr>,
    pub initial: Buf,
    /// The listening socket it came from (for `-d` traces).
    pub listener_fd: i32,
    /// Its index in `Shared::listeners` (`so_name`, `so_id`).
    pub listener: Option<usize>,
}

impl Origin {
    pub fn of(peer: Option<SocketAddr>) -> Origin {
        Origin {
            peer,
            local: None,
            initial: Buf::default(),
            listener_fd: -1,
            listener: None,
        }
    }
}

/// A connection on an `accept-proxy` listener until its PROXY header is complete. A bad
/// header closes it, as HAProxy does.
pub struct ProxyWait {
    sock: Option<Sock>,
    /// The connection's own peer, kept when the header says `UNKNOWN`/`LOCAL`.
    peer: Option<SocketAddr>,
    listener_fd: i32,
    listener: usize,
    fe: usize,
    buf: Buf,
    since: Instant,
}

impl ProxyWait {
    /// Reads; once the header is in, the session this connection really is.
    fn advance(&mut self, cx: &mut Ctx) -> Result<Option<Session>, ()> {
        let sock = self.sock.as_mut().ok_or(())?;
        loop {
            match sock.read_into(&mut self.buf, 4096) {
                ReadOutcome::Data(_) => {}
                ReadOutcome::Blocked | ReadOutcome::Full => break,
                ReadOutcome::Eof | ReadOutcome::Error => return Err(()),
            }
        }
        let h = match crate::proxy_proto::parse(self.buf.bytes()) {
            Ok(Some(h)) => h,
            Ok(None) if self.buf.len() < 4096 => return Ok(None),
            _ => return Err(()),
        };
        let sock = self.sock.take().ok_or(())?;
        let mut origin = Origin::of(self.peer);
        origin.listener_fd = self.listener_fd;
        origin.listener = Some(self.listener);
        if let Some((src, dst)) = h.addrs {
            origin.peer = Some(src);
            origin.local = Some(dst);
        }
        self.buf.consume(h.len);
        origin.initial = std::mem::take(&mut self.buf);
        start_for(cx, self.fe, sock, origin).map(Some).ok_or(())
    }
}

/// The session of a frontend's mode (after the TLS handshake on a TLS listener).
pub fn start_for(cx: &mut Ctx, fe: usize, sock: Sock, origin: Origin) -> Option<Session> {
    let tls = origin
        .listener
        .and_then(|l| cx.shared.listeners[l].tls.as_ref());
    if let Some(tls) = tls.filter(|_| !sock.s.is_tls()) {
        return super::tls::TlsWait::start(cx, fe, sock, origin, tls);
    }
    match cx.shared.frontends[fe].mode {
        Mode::Tcp => TcpSession::start(cx, fe, sock, origin).map(|t| Session::Tcp(Box::new(t))),
        _ => HttpSession::start(cx, fe, sock, origin).map(|h| Session::Http(Box::new(h))),
    }
}

impl Session {
    /// An idle HTTP connection becomes a full session again.
    fn wake(&mut self, cx: &Ctx) {
        if let Session::HttpIdle(_) = self {
            let Session::HttpIdle(i) = std::mem::replace(self, Session::Moving) else {
                unreachable!()
            };
            *self = Session::Http(Box::new(i.resume(cx)));
        }
    }

    /// An HTTP session idle in keep-alive takes its compact form.
    fn park(&mut self, cx: &Ctx) {
        if matches!(self, Session::Http(h) if h.can_park()) {
            let Session::Http(h) = std::mem::replace(self, Session::Moving) else {
                unreachable!()
            };
            *self = Session::HttpIdle(Box::new(h.park(cx)));
        }
    }

    fn on_event(&mut self, cx: &mut Ctx, side: Side, ev: &Event) -> bool {
        self.wake(cx);
        match self {
            Session::Http(h) => h.on_event(cx, side, ev),
            Session::HttpIdle(_) | Session::Moving => true,
            Session::Tcp(t) => t.on_event(cx, side, ev),
            Session::Proxy(p) => {
                if let Some(s) = p.sock.as_mut() {
                    s.on_event(ev);
                }
                match p.advance(cx) {
                    Ok(None) => true,
                    Ok(Some(next)) => {
                        *self = next;
                        true
                    }
                    Err(()) => false,
                }
            }
            Session::Tls(w) => {
                w.on_event(ev);
                match w.advance(cx) {
                    Ok(None) => true,
                    Ok(Some(next)) => {
                        *self = next;
                        true
                    }
                    Err(()) => false,
                }
            }
        }
    }
    fn on_wake(&mut self, cx: &mut Ctx, id: StreamId) -> bool {
        // A wake-up for a stream this session no longer waits on is stale.
        match self {
            Session::Http(h) => h.stream_id() != Some(id) || h.on_wake(cx),
            Session::Tcp(t) => t.stream_id() != Some(id) || t.on_wake(cx),
            Session::HttpIdle(_) | Session::Proxy(_) | Session::Tls(_) | Session::Moving => true,
        }
    }
    fn on_timeout(&mut self, cx: &mut Ctx) -> bool {
        self.wake(cx);
        match self {
            Session::Http(h) => h.on_timeout(cx),
            Session::HttpIdle(_) | Session::Moving => true,
            Session::Tcp(t) => t.on_timeout(cx),
            Session::Proxy(p) => {
                let t = cx.shared.frontends[p.fe].px.timeouts.client;
                t.is_none_or(|d| p.since + d > cx.now)
            }
            Session::Tls(w) => w.on_timeout(cx),
        }
    }
    fn deadline(&self, cx: &Ctx) -> Option<Instant> {
        match self {
            Session::Http(h) => h.deadline(cx),
            Session::HttpIdle(i) => i.deadline(),
            Session::Moving => None,
            Session::Tcp(t) => t.deadline(cx),
            Session::Proxy(p) => cx.shared.frontends[p.fe]
                .px
                .timeouts
                .client
                .map(|d| p.since + d),
            Session::Tls(w) => w.deadline(cx),
        }
    }
    fn close(&mut self, cx: &mut Ctx) {
        self.wake(cx);
        match self {
            Session::Http(h) => h.close(cx),
            Session::HttpIdle(_) | Session::Moving => {}
            Session::Tcp(t) => t.close(cx),
            Session::Proxy(p) => p.sock = None,
            Session::Tls(w) => w.close(),
        }
    }
    fn is_idle(&self) -> bool {
        match self {
            Session::Http(h) => h.is_idle(),
            Session::HttpIdle(h) => h.is_idle(),
            Session::Tcp(_) | Session::Proxy(_) | Session::Tls(_) | Session::Moving => false,
        }
    }

    /// The (backend, server) this session is connected or connecting to.
    fn server(&self) -> Option<(usize, usize)> {
        match self {
            Session::Http(h) => h.server_side().and_then(|s| s.target()),
            Session::Tcp(t) => t.server_side().target(),
            Session::HttpIdle(_) | Session::Proxy(_) | Session::Tls(_) | Session::Moving => None,
        }
    }
}

struct Slot {
    sess: Session,
    /// The listener it came from (its connection limits are given back at the end).
    listener: usize,
    gen: u32,
    /// The deadline a timer entry is armed for.
    armed: Option<Instant>,
}

pub struct Worker {
    id: usize,
    poll: Poll,
    shared: Arc<Shared>,
    listeners: Vec<Option<(ListenSock, usize)>>,
    sessions: Slab<Slot>,
    gen: u32,
    timers: Timers,
    mailbox: Arc<Mailbox>,
    /// Every worker's mailbox, to wake them all when paused listeners may resume.
    all: Arc<Vec<Arc<Mailbox>>>,
    ctl: Arc<Control>,
    /// Listeners this worker stopped accepting on because a `maxconn` was reached.
    paused: Vec<usize>,
}

impl Worker {
    /// `listeners`: this worker's copies of the listening sockets, with their frontend.
    pub fn new(
        id: usize,
        poll: Poll,
        all: Arc<Vec<Arc<Mailbox>>>,
        shared: Arc<Shared>,
        listeners: Vec<(ListenSock, usize)>,
        ctl: Arc<Control>,
    ) -> std::io::Result<Worker> {
        let mut ls = Vec::new();
        for (i, (mut l, fe)) in listeners.into_iter().enumerate() {
            poll.registry()
                .register(&mut l, Token(LISTENER_BASE + i), Interest::READABLE)?;
            ls.push(Some((l, fe)));
        }
        Ok(Worker {
            id,
            poll,
            shared,
            listeners: ls,
            sessions: Slab::new(),
            gen: 0,
            timers: Timers::default(),
            mailbox: all[id].clone(),
            all,
            ctl,
            paused: Vec::new(),
        })
    }

    /// Creates the poller and the mailbox whose waker belongs to it.
    pub fn poller() -> std::io::Result<(Poll, Arc<Mailbox>)> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let mailbox = Arc::new(Mailbox {
            items: Mutex::new(Vec::new()),
            shutdowns: Mutex::new(Vec::new()),
            waker,
            idle: Mutex::new(IdlePool::default()),
            registry: poll.registry().try_clone()?,
        });
        Ok((poll, mailbox))
    }

    pub fn run(mut self) -> std::io::Result<()> {
        let mut events = Events::with_capacity(512);
        let mut wakes = Vec::new();
        let mut soft = false;
        // The shortest `pool-purge-delay` paces the pass; each server is purged once per
        // its own delay.
        let purge_every = self
            .shared
            .backends
            .iter()
            .flat_map(|b| b.idle_cap.iter().map(|c| c.purge_ms))
            .filter(|&ms| ms > 0)
            .min()
            .map_or(PURGE_EVERY, Duration::from_millis);
        let mut next_purge = Instant::now() + purge_every;
        let res = loop {
            if self.ctl.stop.load(Ordering::SeqCst) {
                break Ok(());
            }
            if !soft && self.ctl.soft_stop.load(Ordering::SeqCst) {
                soft = true;
                self.begin_soft_stop();
            }
            if soft && self.sessions.is_empty() {
                break Ok(());
            }
            let purge_at = (!self.mailbox.lock_pool().is_empty()).then_some(next_purge);
            let wake_at = match (self.timers.next(), purge_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let timeout = wake_at.map(|d| d.saturating_duration_since(Instant::now()));
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                break Err(e);
            }
            let now = Instant::now();
            crate::stick::set_loop_time();
            for ev in events.iter() {
                match ev.token() {
                    WAKER => {}
                    Token(t) if t >= LISTENER_BASE => self.accept(t - LISTENER_BASE, now),
                    Token(t) if t >= POOL_BASE => self.mailbox.lock_pool().event(t - POOL_BASE, ev),
                    Token(t) => {
                        let side = match t % SLOTS {
                            0 => Side::Client,
                            1 => Side::Server,
                            i => Side::Idle(i - 2),
                        };
                        self.on_event(t / SLOTS, side, ev, now);
                    }
                }
            }
            self.mailbox.take(&mut wakes);
            for (id, key) in wakes.drain(..) {
                self.on_wake(key, id, now);
            }
            for (be, srv) in self.mailbox.take_shutdowns() {
                self.shutdown_server(be, srv, now);
            }
            self.expire(Instant::now());
            let now = Instant::now();
            if now >= next_purge {
                let backends = &self.shared.backends;
                self.mailbox.lock_pool().purge(|be, srv, local, last| {
                    let Some(cap) = backends[be].idle_cap.get(srv) else {
                        return local;
                    };
                    let epoch = cap.epoch();
                    if epoch <= *last {
                        return 0;
                    }
                    *last = epoch;
                    cap.to_purge(epoch, local)
                });
                next_purge = now + purge_every;
            }
            if soft {
                self.close_idle();
            } else if !self.paused.is_empty() {
                for l in std::mem::take(&mut self.paused) {
                    self.accept(l, Instant::now());
                }
            }
        };
        let keys: Vec<usize> = self.sessions.iter().map(|(k, _)| k).collect();
        for k in keys {
            self.finish(k, Instant::now());
        }
        self.ctl.running.fetch_sub(1, Ordering::SeqCst);
        res
    }

    fn begin_soft_stop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        for l in self.listeners.iter_mut() {
            if let Some((mut sock, _)) = l.take() {
                let _ = self.poll.registry().deregister(&mut sock);
            }
        }
        self.close_idle();
    }

    /// Closes every session using server `srv` of backend `be` (HAProxy's
    /// `srv_shutdown_streams()`).
    fn shutdown_server(&mut self, be: usize, srv: usize, now: Instant) {
        let keys: Vec<usize> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.sess.server() == Some((be, srv)))
            .map(|(k, _)| k)
            .collect();
        for k in keys {
            self.finish(k, now);
        }
    }

    fn close_idle(&mut self) {
        let idle: Vec<usize> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.sess.is_idle())
            .map(|(k, _)| k)
            .collect();
        for k in idle {
            self.finish(k, Instant::now());
        }
    }

    fn accept(&mut self, idx: usize, now: Instant) {
        loop {
            let Some((l, fe)) = self.listeners[idx].as_ref() else {
                return;
            };
            let fe = *fe;
            if !self.shared.admit(idx) {
                if !self.paused.contains(&idx) {
                    self.paused.push(idx);
                }
                self.ctl.paused.store(true, Ordering::SeqCst);
                return;
            }
            match l.accept() {
                Ok((sock, peer)) => {
                    super::counters::accepted(&self.shared, self.id, fe);
                    if let Some(ka) = &self.shared.frontends[fe].cli_ka {
                        sock.set_keepalive(ka);
                    }
                    self.start_session(sock, peer, idx, fe, now)
                }
                Err(e) => {
                    self.shared.release(idx);
                    match e.kind() {
                        ErrorKind::WouldBlock => return,
                        ErrorKind::Interrupted => {}
                        // EMFILE and friends: try again on the next readiness event.
                        _ => return,
                    }
                }
            }
        }
    }

    /// A connection ended: give its limits back and, if listeners are paused somewhere,
    /// wake every worker to retry accepting.
    fn release_listener(&mut self, idx: usize) {
        self.shared.release(idx);
        if self.ctl.paused.swap(false, Ordering::SeqCst) {
            for m in self.all.iter() {
                let _ = m.waker.wake();
            }
        }
    }

    fn start_session(
        &mut self,
        mut sock: Stream,
        peer: Option<SocketAddr>,
        listener: usize,
        fe: usize,
        now: Instant,
    ) {
        let entry = self.sessions.vacant_entry();
        let key = entry.key();
        if self
            .poll
            .registry()
            .register(
                &mut sock,
                Token(key * SLOTS),
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            self.release_listener(listener);
            return;
        }
        sock.set_nodelay(true);
        let shared = &*self.shared;
        let mb = &*self.mailbox;
        let mut pool = mb.lock_pool();
        let mut cx = Ctx::new(
            self.poll.registry(),
            &mut pool,
            &self.all,
            shared,
            self.id,
            key,
            now,
        );
        let sock = Sock::new(sock);
        let listener_fd = self.listeners[listener]
            .as_ref()
            .map_or(-1, |(l, _)| std::os::fd::AsRawFd::as_raw_fd(l));
        let started = if shared.listeners[listener].accept_proxy {
            let mut p = ProxyWait {
                sock: Some(sock),
                peer,
                listener_fd,
                listener,
                fe,
                buf: Buf::default(),
                since: now,
            };
            match p.advance(&mut cx) {
                Ok(None) => Some(Session::Proxy(p)),
                Ok(Some(s)) => Some(s),
                Err(()) => None,
            }
        } else {
            let mut origin = Origin::of(peer);
            origin.listener_fd = listener_fd;
            origin.listener = Some(listener);
            start_for(&mut cx, fe, sock, origin)
        };
        // `rearm` takes the pool's lock itself.
        drop(pool);
        let Some(sess) = started else {
            self.release_listener(listener);
            return;
        };
        self.gen = self.gen.wrapping_add(1);
        entry.insert(Slot {
            sess,
            listener,
            gen: self.gen,
            armed: None,
        });
        self.rearm(key, now);
    }

    fn with_session(
        &mut self,
        key: usize,
        now: Instant,
        f: impl FnOnce(&mut Session, &mut Ctx) -> bool,
    ) {
        let shared = &*self.shared;
        let Some(slot) = self.sessions.get_mut(key) else {
            return;
        };
        let mb = &*self.mailbox;
        let mut pool = mb.lock_pool();
        let mut cx = Ctx::new(
            self.poll.registry(),
            &mut pool,
            &self.all,
            shared,
            self.id,
            key,
            now,
        );
        let keep = f(&mut slot.sess, &mut cx);
        if keep {
            slot.sess.park(&cx);
        }
        // `rearm` and `finish` take the pool's lock themselves.
        drop(pool);
        if keep {
            self.rearm(key, now);
        } else {
            self.finish(key, now);
        }
    }

    fn on_event(&mut self, key: usize, side: Side, ev: &Event, now: Instant) {
        self.with_session(key, now, |s, cx| s.on_event(cx, side, ev));
    }

    fn on_wake(&mut self, key: usize, id: StreamId, now: Instant) {
        self.with_session(key, now, |s, cx| s.on_wake(cx, id));
    }

    fn expire(&mut self, now: Instant) {
        while let Some((at, key, gen)) = self.timers.pop_due(now) {
            match self.sessions.get_mut(key) {
                Some(slot) if slot.gen == gen && slot.armed == Some(at) => slot.armed = None,
                _ => continue,
            }
            self.with_session(key, now, |s, cx| s.on_timeout(cx));
        }
    }

    /// Arms a timer for the session's current deadline if it is not armed already.
    fn rearm(&mut self, key: usize, now: Instant) {
        let shared = &*self.shared;
        let Some(slot) = self.sessions.get_mut(key) else {
            return;
        };
        let mb = &*self.mailbox;
        let mut pool = mb.lock_pool();
        let cx = Ctx::new(
            self.poll.registry(),
            &mut pool,
            &self.all,
            shared,
            self.id,
            key,
            now,
        );
        let d = slot.sess.deadline(&cx);
        if let Some(d) = d {
            if slot.armed.is_none_or(|a| d < a) {
                slot.armed = Some(d);
                self.timers.arm(d, key, slot.gen);
            }
        }
    }

    fn finish(&mut self, key: usize, now: Instant) {
        let shared = &*self.shared;
        if !self.sessions.contains(key) {
            return;
        }
        let mut slot = self.sessions.remove(key);
        let mb = &*self.mailbox;
        let mut pool = mb.lock_pool();
        let mut cx = Ctx::new(
            self.poll.registry(),
            &mut pool,
            &self.all,
            shared,
            self.id,
            key,
            now,
        );
        slot.sess.close(&mut cx);
        drop(pool);
        self.release_listener(slot.listener);
    }
}
