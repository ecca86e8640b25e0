//! `loom` models of the hand-off (every interleaving up to a preemption bound).
//! Run: `RUSTFLAGS="--cfg loom" cargo test --release --lib queue::loom`
//!
//! The balancer is a TEST-ONLY stand-in: the first usable, non-saturated server.

use super::*;

struct FirstFree;

impl Balancer for FirstFree {
    fn pick(&self, set: &dyn ServerSet, _key: Option<&[u8]>) -> Pick {
        let usable: Vec<usize> = (0..set.len()).filter(|&i| set.usable(i)).collect();
        if usable.is_empty() {
            return Pick::NoServer;
        }
        usable
            .into_iter()
            .find(|&i| !set.saturated(i))
            .map_or(Pick::Full, Pick::Server)
    }
    fn update(&self, _set: &dyn ServerSet) {}
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    // LOOM_MAX_PREEMPTIONS overrides the default bound of 3.
    if std::env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
        b.preemption_bound = Some(3);
    }
    b.check(f);
}

fn backend(n: usize) -> Arc<Backend> {
    let servers = (0..n)
        .map(|i| ServerConfig::new(&format!("s{i}"), 1))
        .collect();
    Backend::new(BackendConfig::default(), servers, Box::new(FirstFree))
}

fn holder(be: &Arc<Backend>, srv: usize) -> Stream {
    let h = be.stream_new();
    h.set_server(srv, true, false).unwrap();
    assert_eq!(h.assign(0), Ok(Assign::Ok(srv)));
    h
}

/// The seed race: E assigns while the last holder releases. Whatever the interleaving,
/// once both calls returned E holds the slot (no further call needed).
#[test]
fn loom_enqueue_vs_last_release() {
    model(|| {
        let be = backend(1);
        let h = holder(&be, 0);
        let e = be.stream_new();
        let t = loom::thread::spawn(move || {
            h.release().unwrap();
        });
        let r = e.assign(0).unwrap();
        t.join().unwrap();
        assert!(matches!(r, Assign::Ok(0) | Assign::Queued));
        assert_eq!(e.state(), StreamState::Assigned(0));
        assert_eq!((be.served(), be.totpend()), (1, 0));
        be.check_invariants().unwrap();
    });
}

/// Same with a second server busy all along: the backend never becomes idle, so no
/// `ready_srv` publication; the enqueuer's pass and the releaser's scan close it.
#[test]
fn loom_enqueue_vs_release_backend_not_idle() {
    model(|| {
        let be = backend(2);
        let h0 = holder(&be, 0);
        let _h1 = holder(&be, 1);
        let e = be.stream_new();
        let t = loom::thread::spawn(move || {
            h0.release().unwrap();
        });
        e.assign(0).unwrap();
        t.join().unwrap();
        assert_eq!(e.state(), StreamState::Assigned(0));
        be.check_invariants().unwrap();
    });
}

/// Two enqueuers, one release: exactly one gets the slot, the other stays queued and is
/// served by the winner's release; `served` never exceeds 1.
#[test]
fn loom_two_enqueuers_one_release() {
    model(|| {
        let be = backend(1);
        let h = holder(&be, 0);
        let e1 = be.stream_new();
        let e2 = be.stream_new();
        let t1 = loom::thread::spawn(move || {
            e1.assign(0).unwrap();
            e1
        });
        let t2 = loom::thread::spawn(move || {
            h.release().unwrap();
        });
        e2.assign(0).unwrap();
        let e1 = t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(be.served(), 1);
        let (won, lost) = match (e1.state(), e2.state()) {
            (StreamState::Assigned(0), StreamState::Queued) => (e1, e2),
            (StreamState::Queued, StreamState::Assigned(0)) => (e2, e1),
            s => panic!("unexpected states {s:?}"),
        };
        be.check_invariants().unwrap();
        won.release().unwrap();
        assert_eq!(lost.state(), StreamState::Assigned(0));
        be.check_invariants().unwrap();
    });
}

/// The only server goes into maintenance while a stream enqueues: the stream ends with
/// NOSRV (directly or after a rebalance), never waiting in a queue nobody serves.
#[test]
fn loom_maint_vs_enqueue() {
    model(|| {
        let be = backend(1);
        let h = holder(&be, 0);
        let e = be.stream_new();
        let be2 = be.clone();
        let t = loom::thread::spawn(move || {
            be2.set_state(0, ServerState::Maint, 0).unwrap();
        });
        let r = e.assign(0).unwrap();
        t.join().unwrap();
        match r {
            Assign::NoSrv => assert_eq!(e.state(), StreamState::New),
            Assign::Queued => {
                assert_eq!(e.state(), StreamState::Redispatched);
                assert_eq!(e.assign(0), Ok(Assign::NoSrv));
            }
            r => panic!("unexpected {r:?}"),
        }
        assert_eq!((be.queued(), be.totpend()), (0, 0));
        drop(h);
        be.check_invariants().unwrap();
    });
}
