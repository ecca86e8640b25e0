//! Scenarios of `queue-tests.md` with an injected clock, and bounded stress tests.
//!
//! The balancers below are TEST-ONLY stand-ins for `src/lb` (round robin over usable,
//! non-saturated servers, and `first` by puid); they only honour the `Balancer` contract.

use super::*;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

/// Test-only round robin: actives first, backups when no active is usable.
struct TestRr {
    next: AtomicUsize,
}

fn candidates(set: &dyn ServerSet) -> Vec<usize> {
    let n = set.len();
    let pick = |backup: bool| -> Vec<usize> {
        (0..n)
            .filter(|&i| set.usable(i) && set.weight(i) > 0 && set.is_backup(i) == backup)
            .collect()
    };
    let act = pick(false);
    if act.is_empty() {
        pick(true)
    } else {
        act
    }
}

impl Balancer for TestRr {
    fn pick(&self, set: &dyn ServerSet, _key: Option<&[u8]>) -> Pick {
        let c = candidates(set);
        if c.is_empty() {
            return Pick::NoServer;
        }
        let start = self.next.fetch_add(1, SeqCst);
        for k in 0..c.len() {
            let i = c[(start + k) % c.len()];
            if !set.saturated(i) {
                return Pick::Server(i);
            }
        }
        Pick::Full
    }
    fn update(&self, _set: &dyn ServerSet) {}
}

/// Test-only `first`: the lowest puid that is not saturated.
struct TestFirst;

impl Balancer for TestFirst {
    fn pick(&self, set: &dyn ServerSet, _key: Option<&[u8]>) -> Pick {
        let mut c = candidates(set);
        if c.is_empty() {
            return Pick::NoServer;
        }
        c.sort_by_key(|&i| set.puid(i));
        c.into_iter()
            .find(|&i| !set.saturated(i))
            .map_or(Pick::Full, Pick::Server)
    }
    fn update(&self, _set: &dyn ServerSet) {}
}

fn rr() -> Box<dyn Balancer> {
    Box::new(TestRr {
        next: AtomicUsize::new(0),
    })
}

type Woken = Arc<Mutex<Vec<StreamId>>>;

fn backend(cfg: BackendConfig, servers: Vec<ServerConfig>) -> (Arc<Backend>, Woken) {
    let be = Backend::new(cfg, servers, rr());
    let woken: Woken = Arc::new(Mutex::new(Vec::new()));
    let w = woken.clone();
    be.set_wakeup(Some(Arc::new(move |id, _| lock(&w).push(id))));
    (be, woken)
}

fn one(maxconn: u32) -> (Arc<Backend>, Woken) {
    backend(
        BackendConfig::default(),
        vec![ServerConfig::new("s1", maxconn)],
    )
}

fn two(maxconn: u32, cfg: BackendConfig) -> (Arc<Backend>, Woken) {
    backend(
        cfg,
        vec![
            ServerConfig::new("s1", maxconn),
            ServerConfig::new("s2", maxconn),
        ],
    )
}

fn ok(be: &Arc<Backend>, now: u64) -> Stream {
    let s = be.stream_new();
    assert!(matches!(s.assign(now), Ok(Assign::Ok(_))));
    s
}

fn pinned(be: &Arc<Backend>, srv: usize, now: u64) -> Stream {
    let s = be.stream_new();
    s.set_server(srv, true, false).unwrap();
    assert_eq!(s.assign(now), Ok(Assign::Ok(srv)));
    s
}

fn queued(be: &Arc<Backend>, now: u64) -> Stream {
    let s = be.stream_new();
    assert_eq!(s.assign(now), Ok(Assign::Queued));
    s
}

fn inv(be: &Backend) {
    be.check_invariants().unwrap();
}

/// Releases the holder, then checks that `order` get the slot one after the other.
fn drain_order(holder: &Stream, order: &[&Stream], srv: usize) {
    holder.release().unwrap();
    for s in order {
        assert_eq!(s.poll(0), Poll::Assigned(srv));
        inv(&s.be);
        s.release().unwrap();
    }
}

#[test]
fn d1_slot_accounting_and_backend_queue() {
    let (be, woken) = one(2);
    let s1 = ok(&be, 0);
    let _s2 = ok(&be, 0);
    let s3 = queued(&be, 0);
    assert_eq!(
        (
            be.queued(),
            be.server(0).unwrap().queued(),
            be.totpend(),
            be.served()
        ),
        (1, 0, 1, 2)
    );
    assert_eq!(s3.state(), StreamState::Queued);
    inv(&be);
    s1.release().unwrap();
    assert_eq!(*lock(&woken), vec![s3.id()]);
    assert_eq!(s3.poll(0), Poll::Assigned(0));
    assert_eq!((be.served(), be.queued(), be.totpend()), (2, 0, 0));
    assert_eq!(s3.log().backend_queue, 1);
    inv(&be);
}

#[test]
fn d2_fifo_in_one_class() {
    for same_ms in [false, true] {
        let (be, _) = one(1);
        let h = ok(&be, 0);
        let v: Vec<Stream> = (0..5)
            .map(|t| queued(&be, if same_ms { 0 } else { t }))
            .collect();
        let refs: Vec<&Stream> = v.iter().collect();
        drain_order(&h, &refs, 0);
        drop((v, h));
        assert_eq!((be.served(), be.totpend(), be.beconn()), (0, 0, 0));
    }
}

#[test]
fn d3_priority_classes_and_clamping() {
    let (be, _) = one(1);
    let h = ok(&be, 0);
    let mk = |class: i32, now: u64| {
        let s = be.stream_new();
        s.set_priority(class, 0);
        assert_eq!(s.assign(now), Ok(Assign::Queued));
        s
    };
    let a = mk(5, 0);
    let b = mk(0, 1);
    let c = mk(-3, 2);
    let d = mk(0, 3);
    let e = mk(5000, 4); // clamped to 2047
    let f = mk(2047, 5);
    let g = mk(-5000, 6); // clamped to -2047: first of all
    drain_order(&h, &[&g, &c, &b, &d, &a, &e, &f], 0);
    assert_eq!(clamp_class(5000), 2047);
    let s = be.stream_new();
    s.set_priority(-9999, 9_999_999);
    assert_eq!(s.priority(), (-2047, 524_287));
    s.set_server(0, true, false).unwrap();
    s.clear_server().unwrap();
    assert_eq!(clamp_class(-5000), -2047);
}

#[test]
fn d4_offsets_and_clamping() {
    let (be, _) = one(1);
    let h = ok(&be, 0);
    let mk = |off: i32, now: u64| {
        let s = be.stream_new();
        s.set_priority(0, off);
        assert_eq!(s.assign(now), Ok(Assign::Queued));
        s
    };
    let a = mk(0, 0);
    let b = mk(-100, 10);
    let c = mk(50, 20);
    drain_order(&h, &[&b, &a, &c], 0);
    assert_eq!(Key::new(0, 0, 1_000_000, 0).time, 524_287);
    assert_eq!(Key::new(0, 600_000, -1_000_000, 0).time, 600_000 - 524_287);
}

/// D5 set-up: two busy servers (maxconn 1), P persisted to s1, L load-balanced.
fn d5_setup() -> (Arc<Backend>, Stream, Stream) {
    let (be, _) = two(1, BackendConfig::default());
    let h1 = pinned(&be, 0, 0);
    let h2 = pinned(&be, 1, 0);
    (be, h1, h2)
}

fn persisted_queued(be: &Arc<Backend>, srv: usize, class: i32, now: u64) -> Stream {
    let s = be.stream_new();
    s.set_server(srv, true, false).unwrap();
    s.set_priority(class, 0);
    assert_eq!(s.assign(now), Ok(Assign::Queued));
    assert_eq!(s.queued_on(), Some(Some(srv)));
    s
}

fn lb_queued(be: &Arc<Backend>, class: i32, now: u64) -> Stream {
    let s = be.stream_new();
    s.set_priority(class, 0);
    assert_eq!(s.assign(now), Ok(Assign::Queued));
    assert_eq!(s.queued_on(), Some(None));
    s
}

#[test]
fn d5_server_queue_vs_backend_queue() {
    // (a) L queued earlier wins.
    let (be, h1, _h2) = d5_setup();
    let l = lb_queued(&be, 0, 0);
    let p = persisted_queued(&be, 0, 0, 1);
    h1.release().unwrap();
    assert_eq!((l.poll(1), p.poll(1)), (Poll::Assigned(0), Poll::Waiting));
    inv(&be);
    // (b) same key: the server queue wins the tie.
    let (be, h1, _h2) = d5_setup();
    let l = lb_queued(&be, 0, 0);
    let p = persisted_queued(&be, 0, 0, 0);
    h1.release().unwrap();
    assert_eq!((l.poll(0), p.poll(0)), (Poll::Waiting, Poll::Assigned(0)));
    // (c) lower class wins even if queued later.
    let (be, h1, _h2) = d5_setup();
    let p = persisted_queued(&be, 0, 1, 0);
    let l = lb_queued(&be, 0, 1);
    h1.release().unwrap();
    assert_eq!((l.poll(1), p.poll(1)), (Poll::Assigned(0), Poll::Waiting));
    // (d) s2's release never takes from s1's queue.
    let (be, _h1, h2) = d5_setup();
    let p = persisted_queued(&be, 0, 0, 0);
    let l = lb_queued(&be, 0, 5);
    h2.release().unwrap();
    assert_eq!((l.poll(5), p.poll(5)), (Poll::Assigned(1), Poll::Waiting));
    inv(&be);
}

fn d6_setup(cfg: BackendConfig) -> (Arc<Backend>, Stream) {
    let mut s1 = ServerConfig::new("s1", 1);
    s1.maxqueue = 2;
    let (be, _) = backend(cfg, vec![s1, ServerConfig::new("s2", 1)]);
    let h = pinned(&be, 0, 0);
    (be, h)
}

#[test]
fn d6_maxqueue_overflow() {
    let persist = |be: &Arc<Backend>, force: bool| {
        let s = be.stream_new();
        s.set_server(0, true, force).unwrap();
        s
    };
    // Without redispatch: FULL ("SQ").
    let (be, _h) = d6_setup(BackendConfig::default());
    let p1 = persist(&be, false);
    let p2 = persist(&be, false);
    let p3 = persist(&be, false);
    assert_eq!(p1.assign(0), Ok(Assign::Queued));
    assert_eq!(p2.assign(0), Ok(Assign::Queued));
    assert_eq!(p3.assign(0), Ok(Assign::Full));
    assert_eq!(p3.log().term, Some("SQ"));
    assert_eq!(be.server(0).unwrap().queued(), 2);
    // With redispatch: rebalanced to s2.
    let cfg = BackendConfig {
        redispatch: true,
        ..Default::default()
    };
    let (be, _h) = d6_setup(cfg.clone());
    let (p1, p2, p3) = (
        persist(&be, false),
        persist(&be, false),
        persist(&be, false),
    );
    assert_eq!(p1.assign(0), Ok(Assign::Queued));
    assert_eq!(p2.assign(0), Ok(Assign::Queued));
    assert_eq!(p3.assign(0), Ok(Assign::Ok(1)));
    assert!(p3.log().redispatched);
    inv(&be);
    // With redispatch and force-persist: still FULL.
    let (be, _h) = d6_setup(cfg);
    let (p1, p2, p3) = (persist(&be, true), persist(&be, true), persist(&be, true));
    assert_eq!(p1.assign(0), Ok(Assign::Queued));
    assert_eq!(p2.assign(0), Ok(Assign::Queued));
    assert_eq!(p3.assign(0), Ok(Assign::Full));
    // maxqueue does not limit the backend queue.
    let (be, _h) = d6_setup(BackendConfig::default());
    let _h2 = pinned(&be, 1, 0);
    let v: Vec<Stream> = (0..1000).map(|_| queued(&be, 0)).collect();
    assert_eq!(be.queued(), 1000);
    inv(&be);
    drop(v);
    assert_eq!((be.queued(), be.totpend()), (0, 0));
}

#[test]
fn d7_queue_timeout() {
    let cfg = BackendConfig {
        timeout_queue_ms: Some(1000),
        ..Default::default()
    };
    let (be, _) = backend(cfg.clone(), vec![ServerConfig::new("s1", 1)]);
    let _h = ok(&be, 0);
    let s1 = queued(&be, 0);
    assert_eq!(s1.poll(999), Poll::Waiting);
    assert_eq!(s1.poll(1000), Poll::Timeout);
    assert_eq!(s1.log().term, Some("sQ"));
    assert_eq!((be.queued(), be.totpend(), be.served()), (0, 0, 1));
    inv(&be);
    // The holder releases at the deadline before the poll: the dequeue check wins.
    let (be, _) = backend(cfg.clone(), vec![ServerConfig::new("s1", 1)]);
    let h = ok(&be, 0);
    let s1 = queued(&be, 0);
    h.release().unwrap();
    assert_eq!(s1.poll(1000), Poll::Assigned(0));
    // Per-stream timeout overrides; connect timeout is the fallback.
    let (be, _) = backend(cfg, vec![ServerConfig::new("s1", 1)]);
    let _h = ok(&be, 0);
    let s1 = be.stream_new();
    s1.set_queue_timeout(Some(10));
    assert_eq!(s1.assign(0), Ok(Assign::Queued));
    assert_eq!(s1.poll(10), Poll::Timeout);
    let cfg = BackendConfig {
        timeout_connect_ms: Some(50),
        ..Default::default()
    };
    let (be, woken) = backend(cfg, vec![ServerConfig::new("s1", 1)]);
    let _h = ok(&be, 0);
    let a = queued(&be, 0);
    let b = queued(&be, 10);
    let c = queued(&be, 20);
    assert_eq!(be.expire(49), 0);
    assert_eq!(be.expire(60), 2);
    assert_eq!(*lock(&woken), vec![a.id(), b.id()]);
    assert_eq!(
        (a.poll(60), b.poll(60), c.poll(60)),
        (Poll::Timeout, Poll::Timeout, Poll::Waiting)
    );
    assert_eq!((be.queued(), be.totpend()), (1, 1));
    inv(&be);
}

#[test]
fn d7_expire_large_queue() {
    let cfg = BackendConfig {
        timeout_queue_ms: Some(1000),
        ..Default::default()
    };
    let (be, _) = backend(cfg, vec![ServerConfig::new("s1", 1)]);
    let _h = ok(&be, 0);
    let v: Vec<Stream> = (0..100_000u64).map(|t| queued(&be, t / 10)).collect();
    let t0 = Instant::now();
    assert_eq!(be.expire(1000 + 4999), 50_000);
    assert_eq!(be.queued(), 50_000);
    assert!(t0.elapsed() < Duration::from_secs(2));
    inv(&be);
    drop(v);
}

#[test]
fn d8_abort_while_queued_and_after_pick() {
    let (be, woken) = one(1);
    let h = ok(&be, 0);
    let s1 = queued(&be, 0);
    s1.abort();
    assert_eq!(s1.log().term, Some("CQ"));
    assert_eq!((be.queued(), be.totpend(), be.served()), (0, 0, 1));
    h.release().unwrap();
    assert!(lock(&woken).is_empty());
    assert_eq!(be.served(), 0);
    // Abort after being picked: the reserved slot goes to the next waiter.
    let h = ok(&be, 0);
    let s1 = queued(&be, 0);
    let s2 = queued(&be, 1);
    h.release().unwrap();
    assert_eq!(be.served(), 1);
    s1.abort();
    assert_eq!(s2.poll(1), Poll::Assigned(0));
    assert_eq!((be.served(), be.totpend()), (1, 0));
    inv(&be);
}

#[test]
fn d9_dynamic_maxconn() {
    let mut s = ServerConfig::new("s1", 10);
    s.minconn = 2;
    let cfg = BackendConfig {
        fullconn: 100,
        ..Default::default()
    };
    let (be, _) = backend(cfg, vec![s]);
    assert_eq!(be.dyn_maxconn(0), 2);
    let v: Vec<Stream> = (0..50).map(|_| be.stream_new()).collect();
    assert_eq!(be.dyn_maxconn(0), 5);
    let w: Vec<Stream> = (0..50).map(|_| be.stream_new()).collect();
    assert_eq!(be.dyn_maxconn(0), 10);
    drop(w);
    let x: Vec<Stream> = (0..10).map(|_| be.stream_new()).collect();
    // 60 attached (queued ones count): limit 6.
    assert_eq!(be.dyn_maxconn(0), 6);
    let results: Vec<Assign> = v
        .iter()
        .chain(x.iter())
        .map(|s| s.assign(0).unwrap())
        .collect();
    assert_eq!(results.iter().filter(|r| **r == Assign::Ok(0)).count(), 6);
    assert_eq!(be.queued(), 54);
    inv(&be);
    // 40 more attached: the limit grows to 10; one release dequeues up to the limit.
    let _y: Vec<Stream> = (0..40).map(|_| be.stream_new()).collect();
    let first = v
        .iter()
        .find(|s| s.state() == StreamState::Assigned(0))
        .unwrap();
    first.release().unwrap();
    assert_eq!(be.server(0).unwrap().served(), 10);
    inv(&be);
    // maxconn alone = static; minconn alone sets maxconn.
    let mut m = ServerConfig::new("m", 0);
    m.minconn = 7;
    let (be, _) = backend(BackendConfig::default(), vec![ServerConfig::new("s", 4), m]);
    assert_eq!(
        (
            be.server(0).unwrap().minconn(),
            be.server(1).unwrap().maxconn()
        ),
        (4, 7)
    );
}

#[test]
fn d10_slowstart() {
    let mut s = ServerConfig::new("s1", 100);
    s.slowstart_ms = 10_000;
    s.state = ServerState::Down;
    let (be, _) = backend(BackendConfig::default(), vec![s]);
    be.set_state(0, ServerState::Up, 0).unwrap();
    assert_eq!(be.server(0).unwrap().state(), ServerState::Starting);
    assert_eq!(be.dyn_maxconn(0), 1);
    let v: Vec<Stream> = (0..30).map(|_| be.stream_new()).collect();
    let oks = v
        .iter()
        .filter(|s| s.assign(0) == Ok(Assign::Ok(0)))
        .count();
    assert_eq!(oks, 1);
    be.tick(50);
    assert_eq!(be.dyn_maxconn(0), 1);
    assert_eq!(be.tick(2500), 24);
    assert_eq!(be.dyn_maxconn(0), 25);
    assert_eq!(be.server(0).unwrap().served(), 25);
    inv(&be);
    be.tick(10_000);
    assert_eq!(be.server(0).unwrap().state(), ServerState::Up);
    assert_eq!(be.dyn_maxconn(0), 100);
    assert_eq!(be.server(0).unwrap().served(), 30);
}

#[test]
fn d11_unlimited_server() {
    let (be, _) = one(0);
    let v: Vec<Stream> = (0..500).map(|_| ok(&be, 0)).collect();
    assert_eq!((be.served(), be.totpend()), (500, 0));
    assert_eq!(be.server(0).unwrap().nbpend_max(), 0);
    drop(v);
    assert_eq!(be.served(), 0);
}

fn d12_setup(cfg: BackendConfig) -> (Arc<Backend>, Woken, Stream, Vec<Stream>) {
    let (be, woken) = two(1, cfg);
    let h = pinned(&be, 0, 0);
    let _h2 = pinned(&be, 1, 0);
    let q: Vec<Stream> = (0..3)
        .map(|k| {
            let s = be.stream_new();
            s.set_server(0, true, k == 1).unwrap();
            assert_eq!(s.assign(k), Ok(Assign::Queued));
            s
        })
        .collect();
    drop(_h2); // s2 idle again
    (be, woken, h, q)
}

#[test]
fn d12_server_down_or_maint_redistribution() {
    let redisp = BackendConfig {
        redispatch: true,
        ..Default::default()
    };
    // DOWN with redispatch: the two normal entries rebalance, force-persist stays.
    let (be, woken, _h, q) = d12_setup(redisp.clone());
    lock(&woken).clear();
    be.set_state(0, ServerState::Down, 5).unwrap();
    assert_eq!(*lock(&woken), vec![q[0].id(), q[2].id()]);
    assert_eq!(
        (q[0].poll(5), q[1].poll(5), q[2].poll(5)),
        (Poll::Rebalance, Poll::Waiting, Poll::Rebalance)
    );
    assert_eq!(be.server(0).unwrap().queued(), 1);
    assert_eq!(q[0].assign(5), Ok(Assign::Ok(1)));
    assert_eq!(q[2].assign(5), Ok(Assign::Queued));
    inv(&be);
    // MAINT without redispatch: redistributed too.
    let (be, _, _h, q) = d12_setup(BackendConfig::default());
    be.set_state(0, ServerState::Maint, 5).unwrap();
    assert_eq!(
        (q[0].poll(5), q[1].poll(5), q[2].poll(5)),
        (Poll::Rebalance, Poll::Waiting, Poll::Rebalance)
    );
    // persist + redispatch, DOWN: not redistributed.
    let cfg = BackendConfig {
        redispatch: true,
        persist: true,
        ..Default::default()
    };
    let (be, _, _h, q) = d12_setup(cfg);
    be.set_state(0, ServerState::Down, 5).unwrap();
    assert!(q.iter().all(|s| s.poll(5) == Poll::Waiting));
    assert_eq!(be.server(0).unwrap().queued(), 3);
    // The last usable server goes down: the backend queue is emptied, then NOSRV.
    let (be, woken) = one(1);
    let _h = ok(&be, 0);
    let v: Vec<Stream> = (0..5).map(|_| queued(&be, 0)).collect();
    be.set_state(0, ServerState::Down, 1).unwrap();
    assert_eq!(lock(&woken).len(), 5);
    assert_eq!(be.queued(), 0);
    for s in &v {
        assert_eq!(s.poll(1), Poll::Rebalance);
        assert_eq!(s.assign(1), Ok(Assign::NoSrv));
    }
    inv(&be);
}

#[test]
fn d13_server_up_does_not_overshoot() {
    let mut s2 = ServerConfig::new("s2", 3);
    s2.state = ServerState::Down;
    let (be, _) = backend(
        BackendConfig::default(),
        vec![ServerConfig::new("s1", 1), s2],
    );
    let _h = ok(&be, 0);
    let v: Vec<Stream> = (0..10).map(|_| queued(&be, 0)).collect();
    be.set_state(1, ServerState::Up, 1).unwrap();
    assert_eq!(be.server(1).unwrap().served(), 3);
    assert_eq!(
        v.iter().filter(|s| s.poll(1) == Poll::Assigned(1)).count(),
        3
    );
    assert_eq!(be.queued(), 7);
    inv(&be);
    be.set_maxconn(1, 5).unwrap();
    assert_eq!(be.server(1).unwrap().served(), 5);
    assert_eq!(be.queued(), 5);
    inv(&be);
}

#[test]
fn d14_backup_rule() {
    for allbackups in [false, true] {
        let mut b1 = ServerConfig::new("b1", 1);
        b1.backup = true;
        let mut b2 = ServerConfig::new("b2", 1);
        b2.backup = true;
        let cfg = BackendConfig {
            allbackups,
            ..Default::default()
        };
        let (be, _) = backend(cfg, vec![ServerConfig::new("s1", 1), b1, b2]);
        let _h = ok(&be, 0);
        let v: Vec<Stream> = (0..3).map(|_| queued(&be, 0)).collect();
        be.tick(1);
        assert_eq!(
            (
                be.server(1).unwrap().served(),
                be.server(2).unwrap().served()
            ),
            (0, 0)
        );
        be.set_state(0, ServerState::Down, 2).unwrap();
        assert_eq!(be.server(1).unwrap().served(), 1);
        assert_eq!(be.server(2).unwrap().served(), u32::from(allbackups));
        inv(&be);
        drop(v);
    }
    // A backup always drains its own queue.
    let mut b = ServerConfig::new("b", 1);
    b.backup = true;
    let (be, _) = backend(
        BackendConfig::default(),
        vec![ServerConfig::new("s1", 1), b],
    );
    let h = pinned(&be, 1, 0);
    let p = persisted_queued(&be, 1, 0, 0);
    h.release().unwrap();
    assert_eq!(p.poll(0), Poll::Assigned(1));
}

/// Runs `f` the first time hook `h` fires.
fn once_at(be: &Arc<Backend>, h: Hook, f: impl FnOnce() + Send + 'static) {
    let f = Mutex::new(Some(f));
    be.set_hook(Some(Arc::new(move |at| {
        if at == h {
            if let Some(f) = lock(&f).take() {
                f();
            }
        }
    })));
}

#[test]
fn d15_ia_ready_claim_after_release_before_enqueue() {
    // I-A: E decides "full", the last holder releases (queues empty), E enqueues.
    let (be, woken) = one(1);
    let h = ok(&be, 0);
    once_at(&be, Hook::AfterLbDecision, move || h.release().unwrap());
    let e = be.stream_new();
    assert_eq!(e.assign(1), Ok(Assign::Ok(0)));
    be.set_hook(None);
    assert_eq!(be.ready_srv(), None);
    assert_eq!((be.served(), be.queued(), be.totpend()), (1, 0, 0));
    assert!(lock(&woken).is_empty());
    inv(&be);
}

#[test]
fn d15_ia_without_ready_server_still_no_stranding() {
    // Same interleaving with two servers, the other one busy: no publication (the backend
    // is not idle), the enqueuer's own pass over the servers finds the free one.
    let (be, _) = two(1, BackendConfig::default());
    let h1 = pinned(&be, 0, 0);
    let _h2 = pinned(&be, 1, 0);
    once_at(&be, Hook::AfterLbDecision, move || h1.release().unwrap());
    let e = be.stream_new();
    assert_eq!(e.assign(1), Ok(Assign::Ok(0)));
    be.set_hook(None);
    inv(&be);
}

#[test]
fn d16_ready_claim_failure_path() {
    let (be, _) = one(1);
    ok(&be, 0).release().unwrap();
    assert_eq!(be.ready_srv(), Some(0));
    let h = ok(&be, 0);
    let e = queued(&be, 1);
    assert_eq!(be.ready_srv(), None);
    assert_eq!(be.served(), 1);
    h.release().unwrap();
    assert_eq!(e.poll(1), Poll::Assigned(0));
    inv(&be);
}

#[test]
fn d17_claim_races_with_dequeuer() {
    let (be, woken) = one(1);
    let h = ok(&be, 0);
    once_at(&be, Hook::AfterInsert, move || h.release().unwrap());
    let e = be.stream_new();
    assert_eq!(e.assign(1), Ok(Assign::Ok(0)));
    be.set_hook(None);
    assert_eq!(*lock(&woken), vec![e.id()]);
    assert_eq!(e.poll(1), Poll::Assigned(0));
    assert_eq!((be.served(), be.totpend()), (1, 0));
    inv(&be);
}

#[test]
fn d18_ready_server_clearing() {
    let (be, _) = two(1, BackendConfig::default());
    pinned(&be, 0, 0).release().unwrap();
    assert_eq!(be.ready_srv(), Some(0));
    be.set_state(1, ServerState::Down, 1).unwrap();
    assert_eq!(be.ready_srv(), Some(0));
    be.set_state(0, ServerState::Down, 2).unwrap();
    assert_eq!(be.ready_srv(), None);
    be.set_state(0, ServerState::Up, 3).unwrap();
    assert_eq!(be.ready_srv(), Some(0));
    be.delete_server(0).unwrap();
    assert_eq!(be.ready_srv(), None);
    let s = be.stream_new();
    assert_eq!(s.assign(4), Ok(Assign::NoSrv));
    inv(&be);
}

#[test]
fn d19_no_livelock_with_stale_backend_entries() {
    let (be, _) = one(1);
    // Force stale entries: queued while nothing is served and the server is idle.
    let stale: Vec<Stream> = (0..3)
        .map(|_| {
            let s = be.stream_new();
            s.enqueue(None, 0);
            s
        })
        .collect();
    assert_eq!((be.queued(), be.served()), (3, 0));
    let t0 = Instant::now();
    let n = be.stream_new();
    assert_eq!(n.assign(1), Ok(Assign::Ok(0)));
    assert!(t0.elapsed() < Duration::from_millis(100));
    n.release().unwrap();
    for s in &stale {
        assert_eq!(s.poll(2), Poll::Assigned(0));
        s.release().unwrap();
    }
    assert_eq!((be.queued(), be.served(), be.totpend()), (0, 0, 0));
}

#[test]
fn d20_server_queue_self_poke() {
    let (be, _) = one(1);
    let h = ok(&be, 0);
    once_at(&be, Hook::AfterLbDecision, move || h.release().unwrap());
    let p = be.stream_new();
    p.set_server(0, true, false).unwrap();
    assert_eq!(p.assign(1), Ok(Assign::Ok(0)));
    be.set_hook(None);
    inv(&be);
}

#[test]
fn d23_queue_position_logging() {
    let cfg = BackendConfig {
        timeout_queue_ms: Some(100),
        ..Default::default()
    };
    let (be, _) = backend(cfg, vec![ServerConfig::new("s1", 1)]);
    let h = ok(&be, 0);
    let t = queued(&be, 0);
    let v: Vec<Stream> = (0..3).map(|k| queued(&be, k + 50)).collect();
    assert_eq!(be.expire(100), 1);
    assert_eq!(t.poll(100), Poll::Timeout);
    let refs: Vec<&Stream> = v.iter().collect();
    drain_order(&h, &refs, 0);
    let pos: Vec<u32> = v.iter().map(|s| s.log().backend_queue).collect();
    assert_eq!(pos, vec![1, 2, 3]);
}

#[test]
fn drain_keeps_persistence_down_does_not() {
    let (be, _) = two(1, BackendConfig::default());
    be.set_state(0, ServerState::Drain, 0).unwrap();
    // LB avoids a draining server, persistence still reaches it.
    assert_eq!(ok(&be, 0).state(), StreamState::Assigned(1));
    let p = be.stream_new();
    p.set_server(0, true, false).unwrap();
    assert_eq!(p.assign(0), Ok(Assign::Ok(0)));
    drop(p);
    be.set_state(0, ServerState::Down, 1).unwrap();
    let p = be.stream_new();
    p.set_server(0, true, false).unwrap();
    assert_eq!(p.assign(1), Ok(Assign::Ok(1)));
    // With option persist the down server is used anyway.
    let cfg = BackendConfig {
        persist: true,
        ..Default::default()
    };
    let (be, _) = two(1, cfg);
    be.set_state(0, ServerState::Down, 0).unwrap();
    let p = be.stream_new();
    p.set_server(0, true, false).unwrap();
    assert_eq!(p.assign(0), Ok(Assign::Ok(0)));
}

#[test]
fn release_and_state_errors() {
    let (be, _) = one(1);
    let _h = ok(&be, 0);
    let s = queued(&be, 0);
    assert_eq!(s.release(), Err(QueueError::State));
    assert_eq!(s.assign(0), Err(QueueError::State));
    assert_eq!(s.set_server(0, true, false), Err(QueueError::State));
    assert_eq!(
        be.stream_new().set_server(9, true, false),
        Err(QueueError::InvalidServer)
    );
    assert_eq!(
        be.set_state(9, ServerState::Up, 0),
        Err(QueueError::InvalidServer)
    );
}

// ----- stress (bounded in operations and time) ------------------------------------------

/// `QUEUE_STRESS_SCALE=N` multiplies operations, rounds and time bounds of the stress tests
/// (default 1: each well under 5 s on 2 cores).
fn scale() -> usize {
    std::env::var("QUEUE_STRESS_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// A hang detector, not a timing check: generous enough for a debug build sharing two
/// cores with other builds (5 s was exceeded once under such load).
fn bound() -> Duration {
    Duration::from_secs(60 * scale() as u64)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn spin(n: u64) {
    for _ in 0..n {
        std::hint::spin_loop();
    }
}

/// Random yields at the hand-off points widen the race windows.
fn jitter_hooks(be: &Arc<Backend>) {
    let ctr = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    be.set_hook(Some(Arc::new(move |_| {
        let mut r = Rng(ctr.fetch_add(0x9e37_79b9, SeqCst) | 1);
        if r.next() % 4 == 0 {
            std::thread::yield_now();
        }
    })));
}

/// Waits for a queued stream with a per-stream watchdog. A stranded stream (still queued
/// after 500 ms) is aborted and counted in `stranded`, so a failing run ends cleanly.
fn wait_assigned(s: &Stream, start: &Instant, stranded: &AtomicUsize) -> Option<usize> {
    let t0 = Instant::now();
    loop {
        match s.poll(start.elapsed().as_millis() as u64) {
            Poll::Assigned(i) => return Some(i),
            Poll::Waiting => {}
            p => panic!("unexpected {p:?}"),
        }
        if t0.elapsed() > Duration::from_millis(500) {
            stranded.fetch_add(1, SeqCst);
            s.abort();
            return match s.state() {
                StreamState::Assigned(i) => Some(i),
                _ => None,
            };
        }
        std::thread::yield_now();
    }
}

fn hold(be: &Backend, i: usize, maxes: &[AtomicU32], rng: &mut Rng) {
    maxes[i].fetch_max(be.server(i).unwrap().served(), SeqCst);
    spin(rng.next() % 200);
}

fn settle(be: &Arc<Backend>) {
    be.set_hook(None);
    inv(be);
    assert_eq!(
        (be.served(), be.totpend(), be.queued(), be.beconn()),
        (0, 0, 0, 0)
    );
}

fn run_threads(be: &Arc<Backend>, threads: usize, ops: usize, maxes: &Arc<Vec<AtomicU32>>) {
    let start = Instant::now();
    let stranded = AtomicUsize::new(0);
    std::thread::scope(|sc| {
        for t in 0..threads {
            let be = be.clone();
            let maxes = maxes.clone();
            let stranded = &stranded;
            sc.spawn(move || {
                let mut rng = Rng(t as u64 * 7919 + 1);
                for _ in 0..ops {
                    let s = be.stream_new();
                    let now = start.elapsed().as_millis() as u64;
                    let i = match s.assign(now).unwrap() {
                        Assign::Ok(i) => Some(i),
                        Assign::Queued => wait_assigned(&s, &start, stranded),
                        r => panic!("unexpected {r:?}"),
                    };
                    if let Some(i) = i {
                        hold(&be, i, &maxes, &mut rng);
                    }
                    s.release().unwrap();
                }
            });
        }
    });
    assert_eq!(stranded.load(SeqCst), 0, "stranded streams");
    assert!(start.elapsed() < bound());
}

#[test]
fn s1_seed_race_single_server() {
    let (be, _) = one(1);
    jitter_hooks(&be);
    let maxes = Arc::new(vec![AtomicU32::new(0)]);
    run_threads(&be, 8, 1500 * scale(), &maxes);
    assert_eq!(maxes[0].load(SeqCst), 1);
    assert_eq!(be.cum_served() as usize, 8 * 1500 * scale());
    settle(&be);
}

#[test]
fn s2_burst_then_silence() {
    let (be, _) = one(1);
    // Widen the seed window: every "all full, I will queue" decision pauses, so the
    // holder's release usually lands before the enqueues (interleaving A for real).
    be.set_hook(Some(Arc::new(|h| {
        if h == Hook::AfterLbDecision {
            std::thread::sleep(Duration::from_micros(50));
        }
    })));
    let k = 7;
    let rounds = 300 * scale();
    let barrier = std::sync::Barrier::new(k + 1);
    let stranded = AtomicUsize::new(0);
    let maxes = [AtomicU32::new(0)];
    let start = Instant::now();
    std::thread::scope(|sc| {
        for t in 0..k {
            let (be, barrier, stranded, maxes) = (be.clone(), &barrier, &stranded, &maxes);
            sc.spawn(move || {
                let mut rng = Rng(t as u64 + 11);
                for _ in 0..rounds {
                    barrier.wait();
                    if stranded.load(SeqCst) == 0 {
                        let s = be.stream_new();
                        let i = match s.assign(0).unwrap() {
                            Assign::Ok(i) => Some(i),
                            Assign::Queued => wait_assigned(&s, &start, stranded),
                            r => panic!("unexpected {r:?}"),
                        };
                        if let Some(i) = i {
                            hold(&be, i, maxes, &mut rng);
                        }
                        s.release().unwrap();
                    }
                    barrier.wait();
                }
            });
        }
        for _ in 0..rounds {
            let h = ok(&be, 0);
            barrier.wait();
            h.release().unwrap();
            drop(h);
            barrier.wait();
        }
    });
    assert_eq!(stranded.load(SeqCst), 0, "stranded streams");
    assert_eq!(maxes[0].load(SeqCst), 1);
    assert!(start.elapsed() < bound());
    settle(&be);
}

#[test]
fn s3_few_servers_many_threads() {
    for first in [false, true] {
        let servers = vec![
            ServerConfig::new("a", 1),
            ServerConfig::new("b", 2),
            ServerConfig::new("c", 3),
        ];
        let lb: Box<dyn Balancer> = if first { Box::new(TestFirst) } else { rr() };
        let be = Backend::new(BackendConfig::default(), servers, lb);
        jitter_hooks(&be);
        let maxes = Arc::new((0..3).map(|_| AtomicU32::new(0)).collect::<Vec<_>>());
        run_threads(&be, 16, 300 * scale(), &maxes);
        for (i, m) in maxes.iter().enumerate() {
            assert!(m.load(SeqCst) <= i as u32 + 1, "server {i} overshoot");
        }
        settle(&be);
    }
}

#[test]
fn s4_persistence_mix_and_priorities() {
    let servers = vec![ServerConfig::new("a", 1), ServerConfig::new("b", 2)];
    let be = Backend::new(BackendConfig::default(), servers, rr());
    jitter_hooks(&be);
    let maxes: Vec<AtomicU32> = (0..2).map(|_| AtomicU32::new(0)).collect();
    let stranded = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|sc| {
        for t in 0..8u64 {
            let (be, maxes, start, stranded) = (be.clone(), &maxes, &start, &stranded);
            sc.spawn(move || {
                let mut rng = Rng(t * 31 + 5);
                for _ in 0..400 * scale() {
                    let s = be.stream_new();
                    s.set_priority((rng.next() % 3) as i32 - 1, (rng.next() % 101) as i32 - 50);
                    if rng.next() % 2 == 0 {
                        s.set_server((rng.next() % 2) as usize, true, false)
                            .unwrap();
                    }
                    let now = start.elapsed().as_millis() as u64;
                    let i = match s.assign(now).unwrap() {
                        Assign::Ok(i) => Some(i),
                        Assign::Queued => wait_assigned(&s, start, stranded),
                        r => panic!("unexpected {r:?}"),
                    };
                    if let Some(i) = i {
                        hold(&be, i, maxes, &mut rng);
                    }
                    s.release().unwrap();
                }
            });
        }
    });
    assert_eq!(stranded.load(SeqCst), 0, "stranded streams");
    assert!(maxes[0].load(SeqCst) <= 1 && maxes[1].load(SeqCst) <= 2);
    settle(&be);
}

#[test]
fn s7_timeouts_under_contention() {
    let cfg = BackendConfig {
        timeout_queue_ms: Some(2),
        ..Default::default()
    };
    let (be, _) = backend(cfg, vec![ServerConfig::new("s1", 2)]);
    let served = AtomicUsize::new(0);
    let timed_out = AtomicUsize::new(0);
    let start = Instant::now();
    let (threads, ops) = (16, 15);
    std::thread::scope(|sc| {
        for t in 0..threads {
            let (be, served, timed_out, start) = (be.clone(), &served, &timed_out, &start);
            sc.spawn(move || {
                let mut rng = Rng(t as u64 + 3);
                for _ in 0..ops {
                    let s = be.stream_new();
                    let now = || start.elapsed().as_millis() as u64;
                    let got = match s.assign(now()).unwrap() {
                        Assign::Ok(_) => true,
                        Assign::Queued => loop {
                            if rng.next() % 3 == 0 {
                                be.expire(now());
                            }
                            match s.poll(now()) {
                                Poll::Assigned(_) => break true,
                                Poll::Timeout => break false,
                                Poll::Waiting => std::thread::yield_now(),
                                p => panic!("unexpected {p:?}"),
                            }
                        },
                        r => panic!("unexpected {r:?}"),
                    };
                    if got {
                        assert!(be.server(0).unwrap().served() <= 2);
                        std::thread::sleep(Duration::from_micros(1000 + rng.next() % 4000));
                        s.release().unwrap();
                        served.fetch_add(1, SeqCst);
                    } else {
                        assert_eq!(s.state(), StreamState::Expired);
                        timed_out.fetch_add(1, SeqCst);
                    }
                }
            });
        }
    });
    assert_eq!(served.load(SeqCst) + timed_out.load(SeqCst), threads * ops);
    assert!(timed_out.load(SeqCst) > 0);
    assert!(start.elapsed() < bound());
    settle(&be);
    let a = ok(&be, 0);
    let b = ok(&be, 0);
    drop((a, b));
    settle(&be);
}

#[test]
fn s10_ready_claim_contention() {
    let (be, _) = one(1);
    let start = Instant::now();
    for _ in 0..200 * scale() {
        ok(&be, 0).release().unwrap();
        assert_eq!(be.ready_srv(), Some(0));
        std::thread::scope(|sc| {
            for _ in 0..4 {
                let be = be.clone();
                sc.spawn(move || {
                    let s = be.stream_new();
                    // LB sees the server as busy: force the backend queue path.
                    s.enqueue(None, 0);
                    let mut w = Vec::new();
                    if be.ready_srv.swap(NO_SERVER, SeqCst) != NO_SERVER {
                        be.process_srv_queue(0, Some(s.id()), &mut w);
                    }
                    let _ = wait_assigned_or_kick(&be, &s, &start);
                    s.release().unwrap();
                });
            }
        });
        settle(&be);
    }
}

/// Like `wait_assigned`, for streams enqueued by hand (no self-poke ran for them).
fn wait_assigned_or_kick(be: &Arc<Backend>, s: &Stream, start: &Instant) -> usize {
    let t0 = Instant::now();
    loop {
        if let Poll::Assigned(i) = s.poll(start.elapsed().as_millis() as u64) {
            return i;
        }
        assert!(be.server(0).unwrap().served() <= 1);
        assert!(t0.elapsed() < Duration::from_secs(2), "stranded");
        std::thread::yield_now();
    }
}

#[test]
fn s5_server_churn() {
    let cfg = BackendConfig {
        timeout_queue_ms: Some(200),
        redispatch: true,
        ..Default::default()
    };
    let mut servers = vec![
        ServerConfig::new("a", 1),
        ServerConfig::new("b", 2),
        ServerConfig::new("c", 3),
    ];
    servers[2].backup = true;
    let be = Backend::new(cfg, servers, rr());
    jitter_hooks(&be);
    let stop = AtomicBool::new(false);
    let slow_calls = AtomicUsize::new(0);
    let start = Instant::now();
    let now = || start.elapsed().as_millis() as u64;
    std::thread::scope(|sc| {
        for t in 0..6u64 {
            let (be, slow_calls, now) = (be.clone(), &slow_calls, &now);
            sc.spawn(move || {
                let mut rng = Rng(t * 97 + 1);
                for _ in 0..400 {
                    let s = be.stream_new();
                    if rng.next() % 3 == 0 {
                        let _ = s.set_server((rng.next() % 3) as usize, true, rng.next() % 5 == 0);
                    }
                    let mut slot = None;
                    for _attempt in 0..10 {
                        let t0 = Instant::now();
                        let r = s.assign(now()).unwrap();
                        if t0.elapsed() > Duration::from_millis(100) {
                            slow_calls.fetch_add(1, SeqCst);
                        }
                        match r {
                            Assign::Ok(i) => slot = Some(i),
                            Assign::Queued => loop {
                                match s.poll(now()) {
                                    Poll::Waiting => std::thread::yield_now(),
                                    Poll::Assigned(i) => {
                                        slot = Some(i);
                                        break;
                                    }
                                    Poll::Rebalance | Poll::Timeout | Poll::Idle => break,
                                }
                            },
                            Assign::Full | Assign::NoSrv => {}
                        }
                        if slot.is_some() || s.state() != StreamState::Redispatched {
                            break;
                        }
                    }
                    if slot.is_some() {
                        spin(rng.next() % 300);
                    }
                    drop(s);
                }
            });
        }
        let (abe, stop) = (be.clone(), &stop);
        sc.spawn(move || {
            let be = abe;
            let mut rng = Rng(4242);
            while !stop.load(SeqCst) && start.elapsed() < Duration::from_secs(3) {
                let i = (rng.next() % 3) as usize;
                let st = [
                    ServerState::Up,
                    ServerState::Down,
                    ServerState::Maint,
                    ServerState::Drain,
                    ServerState::Up,
                ][(rng.next() % 5) as usize];
                be.set_state(i, st, now()).unwrap();
                if rng.next() % 4 == 0 {
                    be.set_maxconn(i, 1 + (rng.next() % 4) as u32).unwrap();
                }
                be.expire(now());
                std::thread::sleep(Duration::from_micros(500 + rng.next() % 1500));
            }
        });
        // Workers end on their own; then stop the admin thread.
        while be.beconn() > 0 || start.elapsed() < Duration::from_millis(50) {
            if start.elapsed() > Duration::from_secs(4) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        stop.store(true, SeqCst);
    });
    for i in 0..3 {
        be.set_state(i, ServerState::Up, now()).unwrap();
    }
    assert_eq!(slow_calls.load(SeqCst), 0, "calls over 100 ms");
    assert!(start.elapsed() < bound());
    settle(&be);
    if let Some(r) = be.ready_srv() {
        assert_eq!(be.server(r).unwrap().state(), ServerState::Up);
    }
}

#[test]
fn s8_abort_storm() {
    let (be, _) = one(2);
    jitter_hooks(&be);
    let start = Instant::now();
    std::thread::scope(|sc| {
        for t in 0..8u64 {
            let be = be.clone();
            sc.spawn(move || {
                let mut rng = Rng(t * 13 + 7);
                for _ in 0..500 * scale() {
                    let s = be.stream_new();
                    match s.assign(0).unwrap() {
                        Assign::Ok(_) => spin(rng.next() % 200),
                        Assign::Queued => {
                            if rng.next() % 10 < 3 {
                                // Abort at a random moment: maybe still queued, maybe
                                // already picked (then the reserved slot moves on).
                                spin(rng.next() % 500);
                                s.abort();
                            } else {
                                let t0 = Instant::now();
                                while s.poll(0) == Poll::Waiting {
                                    assert!(t0.elapsed() < Duration::from_secs(2), "stranded");
                                    std::thread::yield_now();
                                }
                                assert!(be.server(0).unwrap().served() <= 2);
                            }
                        }
                        r => panic!("unexpected {r:?}"),
                    }
                    drop(s);
                }
            });
        }
    });
    assert!(start.elapsed() < bound());
    settle(&be);
    let a = ok(&be, 0);
    let b = ok(&be, 0);
    drop((a, b));
    settle(&be);
}

#[test]
fn down_while_enqueuing_is_not_stranded() {
    // The last server goes down between E's "full" decision and its enqueue: the
    // redistribution already ran, so E notices by itself and gets NOSRV.
    let (be, _) = one(1);
    let _h = ok(&be, 0);
    let be2 = be.clone();
    once_at(&be, Hook::AfterLbDecision, move || {
        be2.set_state(0, ServerState::Maint, 1).unwrap()
    });
    let e = be.stream_new();
    assert_eq!(e.assign(1), Ok(Assign::NoSrv));
    be.set_hook(None);
    assert_eq!((be.queued(), be.totpend()), (0, 0));
    // A persisted stream whose server goes into maintenance meanwhile rebalances.
    let (be, _) = two(1, BackendConfig::default());
    let _h = pinned(&be, 0, 0);
    let be2 = be.clone();
    once_at(&be, Hook::AfterLbDecision, move || {
        be2.set_state(0, ServerState::Maint, 1).unwrap()
    });
    let p = be.stream_new();
    p.set_server(0, true, false).unwrap();
    assert_eq!(p.assign(1), Ok(Assign::Ok(1)));
    be.set_hook(None);
    inv(&be);
}

#[test]
fn d21_no_key_wrap_with_64_bit_keys() {
    let (be, _) = two(1, BackendConfig::default());
    let h0 = pinned(&be, 0, 0);
    let _h1 = pinned(&be, 1, 0);
    let wrap = 1u64 << 20;
    let a = lb_queued(&be, 0, wrap - 5);
    let b = persisted_queued(&be, 0, 0, wrap + 5);
    let c = lb_queued(&be, 0, wrap + 6);
    drain_order(&h0, &[&a, &b, &c], 0);
    // An old entry with the largest negative offset keeps its place (no 20-bit hazard).
    let (be, _) = one(1);
    let h = ok(&be, 0);
    let old = be.stream_new();
    old.set_priority(0, -524_287);
    assert_eq!(old.assign(0), Ok(Assign::Queued));
    let fresh = queued(&be, 10_000);
    drain_order(&h, &[&old, &fresh], 0);
}

#[test]
fn d22_batch_limit() {
    let (be, _) = one(1);
    let _h = ok(&be, 0);
    let v: Vec<Stream> = (0..500).map(|_| queued(&be, 0)).collect();
    // A single dequeue pass hands out at most MAX_DEQUEUE_BATCH entries...
    be.servers[0].maxconn.store(1000, SeqCst);
    be.servers[0].minconn.store(1000, SeqCst);
    let mut w = Vec::new();
    assert_eq!(be.process_srv_queue(0, None, &mut w), MAX_DEQUEUE_BATCH);
    // ...while the admin path loops until nothing more fits.
    be.set_maxconn(0, 1000).unwrap();
    assert_eq!((be.queued(), be.served()), (0, 501));
    inv(&be);
    drop(v);
}

/// Deletion redistributes force-persisted waiters too (a deleted server never serves
/// again), and a force-persisted stream whose server was deleted is load-balanced.
#[test]
fn delete_server_drops_force_persistence() {
    let (be, woken) = two(1, BackendConfig::default());
    let h1 = pinned(&be, 0, 0);
    let _h2 = pinned(&be, 1, 0);
    let p = be.stream_new();
    p.set_server(0, true, true).unwrap();
    assert_eq!(p.assign(1), Ok(Assign::Queued));
    assert_eq!(p.queued_on(), Some(Some(0)));
    be.delete_server(0).unwrap();
    assert_eq!(p.state(), StreamState::Redispatched);
    assert_eq!(*lock(&woken), vec![p.id()]);
    assert_eq!(be.totpend(), 0);
    inv(&be);
    // Reassigned: waits on s2 (the only server left), not on the deleted one.
    assert_eq!(p.assign(2), Ok(Assign::Queued));
    assert_eq!(p.queued_on(), Some(None));
    // The slot still held on the deleted server goes back without serving anyone there.
    h1.release().unwrap();
    assert_eq!(p.state(), StreamState::Queued);
    assert_eq!(be.server(0).unwrap().served(), 0);
    // A new force-persisted stream to the deleted server is load-balanced instead.
    let q = be.stream_new();
    q.set_server(0, true, true).unwrap();
    assert_eq!(q.assign(3), Ok(Assign::Queued));
    assert_eq!(q.queued_on(), Some(None));
    inv(&be);
}

/// A stream that enqueues on a server while it is being deleted (and its last slot freed)
/// does not get a slot on it: its own dequeue pass finds the server deleted, it leaves the
/// dead queue and is load-balanced.
#[test]
fn delete_server_during_enqueue_grants_no_slot_on_it() {
    let (be, _) = two(1, BackendConfig::default());
    let h1 = pinned(&be, 0, 0);
    let _h2 = pinned(&be, 1, 0);
    let be2 = be.clone();
    once_at(&be, Hook::AfterLbDecision, move || {
        be2.delete_server(0).unwrap();
        h1.release().unwrap();
    });
    let p = be.stream_new();
    p.set_server(0, true, false).unwrap();
    assert_eq!(p.assign(1), Ok(Assign::Queued));
    be.set_hook(None);
    assert_eq!(p.queued_on(), Some(None));
    assert_eq!(be.server(0).unwrap().served(), 0);
    inv(&be);
}

/// A dequeue pass that started before its server was deleted and reaches the queue lock
/// after the deletion takes nobody from the backend queue onto the deleted server.
#[test]
fn delete_server_during_dequeue_pass_grants_no_slot_on_it() {
    let (be, _) = two(1, BackendConfig::default());
    let h1 = pinned(&be, 0, 0);
    let _h2 = pinned(&be, 1, 0);
    let l = queued(&be, 1);
    assert_eq!(l.queued_on(), Some(None));
    // Not `once_at`: the deletion's own dequeue passes reach the hook again (re-entrantly).
    let be2 = Arc::downgrade(&be);
    let fired = AtomicBool::new(false);
    be.set_hook(Some(Arc::new(move |at| {
        if at == Hook::BeforeDequeueLock && !fired.swap(true, SeqCst) {
            be2.upgrade().unwrap().delete_server(0).unwrap();
        }
    })));
    h1.release().unwrap();
    be.set_hook(None);
    assert_eq!(l.state(), StreamState::Queued);
    assert_eq!(be.server(0).unwrap().served(), 0);
    inv(&be);
}
