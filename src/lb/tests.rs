//! Unit tests of the algorithms; sequences marked "haproxy" were recorded from HAProxy
//! 2.6.12 (tests/lb_diff.rs re-checks them against the live binary).

use super::*;

#[derive(Clone)]
struct S {
    w: Vec<u32>,
    up: Vec<bool>,
    bck: Vec<bool>,
    sat: Vec<bool>,
    load: Vec<u32>,
    puid: Vec<u32>,
}

fn s(w: &[u32]) -> S {
    let n = w.len();
    S {
        w: w.to_vec(),
        up: vec![true; n],
        bck: vec![false; n],
        sat: vec![false; n],
        load: vec![0; n],
        puid: (1..=n as u32).collect(),
    }
}

impl ServerSet for S {
    fn len(&self) -> usize {
        self.w.len()
    }
    fn weight(&self, i: usize) -> u32 {
        self.w[i]
    }
    fn usable(&self, i: usize) -> bool {
        self.up[i]
    }
    fn is_backup(&self, i: usize) -> bool {
        self.bck[i]
    }
    fn saturated(&self, i: usize) -> bool {
        self.sat[i]
    }
    fn load(&self, i: usize) -> u32 {
        self.load[i]
    }
    fn puid(&self, i: usize) -> u32 {
        self.puid[i]
    }
}

fn seq(b: &dyn Balancer, set: &S, n: usize) -> Vec<usize> {
    (0..n)
        .map(|_| match b.pick(set, None) {
            Pick::Server(i) => i,
            p => panic!("{p:?}"),
        })
        .collect()
}

fn bal(a: Algorithm) -> Box<dyn Balancer> {
    new_balancer(a, HashType::default(), 0)
}

#[test]
fn roundrobin_matches_haproxy() {
    let b = bal(Algorithm::RoundRobin);
    assert_eq!(
        seq(&*b, &s(&[1, 2, 3]), 12),
        [2, 1, 2, 0, 2, 1, 2, 1, 2, 0, 2, 1] // haproxy
    );
    let b = bal(Algorithm::RoundRobin);
    assert_eq!(
        seq(&*b, &s(&[3, 7, 2, 5]), 17),
        [1, 3, 1, 0, 3, 1, 2, 1, 3, 0, 1, 3, 1, 1, 0, 3, 2] // haproxy
    );
    let b = bal(Algorithm::RoundRobin);
    assert_eq!(seq(&*b, &s(&[5, 1]), 7), [0, 0, 0, 0, 0, 1, 0]); // haproxy
}

#[test]
fn static_rr_matches_haproxy() {
    let b = bal(Algorithm::StaticRr);
    assert_eq!(
        seq(&*b, &s(&[1, 2, 3]), 8),
        [0, 2, 1, 2, 1, 2, 0, 2] // haproxy
    );
}

#[test]
fn rr_skips_saturated_and_reports_full() {
    for a in [
        Algorithm::RoundRobin,
        Algorithm::StaticRr,
        Algorithm::LeastConn,
        Algorithm::First,
    ] {
        let b = bal(a.clone());
        let mut set = s(&[1, 1, 1]);
        set.sat[0] = true;
        let got = seq(&*b, &set, 6);
        assert!(!got.contains(&0), "{a:?}: {got:?}");
        set.sat = vec![true; 3];
        assert_eq!(b.pick(&set, None), Pick::Full, "{a:?}");
    }
}

#[test]
fn backups() {
    for a in [
        Algorithm::RoundRobin,
        Algorithm::StaticRr,
        Algorithm::LeastConn,
        Algorithm::First,
    ] {
        let mut set = s(&[1, 1, 1, 1]);
        set.bck = vec![false, false, true, true];
        let b = bal(a.clone());
        assert!(seq(&*b, &set, 4).iter().all(|&i| i < 2), "{a:?}");
        set.up[0] = false;
        set.up[1] = false;
        b.update(&set);
        assert_eq!(seq(&*b, &set, 4), [2, 2, 2, 2], "{a:?}: first backup only");
        let b = new_balancer_with(
            a.clone(),
            HashType::default(),
            LbOptions {
                allbackups: true,
                hash_balance_factor: 0,
            },
        );
        let mut got = seq(&*b, &set, 4);
        got.sort();
        got.dedup();
        // first and leastconn (idle servers) keep choosing the first of the backups.
        let want: &[usize] = match a {
            Algorithm::First | Algorithm::LeastConn => &[2],
            _ => &[2, 3],
        };
        assert_eq!(got, want, "{a:?}: allbackups");
        set.up = vec![false; 4];
        b.update(&set);
        assert_eq!(b.pick(&set, None), Pick::NoServer, "{a:?}");
    }
}

#[test]
fn first_by_puid() {
    let b = bal(Algorithm::First);
    let mut set = s(&[1, 1, 1]);
    set.puid = vec![30, 10, 20];
    assert_eq!(b.pick(&set, None), Pick::Server(1));
    set.sat[1] = true;
    assert_eq!(b.pick(&set, None), Pick::Server(2));
}

#[test]
fn leastconn_prefers_least_loaded_per_weight() {
    let b = bal(Algorithm::LeastConn);
    let mut set = s(&[1, 2]);
    b.update(&set);
    set.load = vec![1, 2];
    b.take_conn(&set, 0);
    b.take_conn(&set, 1);
    // keys: (1+1)*4096/16 = 512 vs (2+1)*4096/32 = 384
    assert_eq!(b.pick(&set, None), Pick::Server(1));
    set.load = vec![0, 2];
    b.drop_conn(&set, 0);
    assert_eq!(b.pick(&set, None), Pick::Server(0));
}

#[test]
fn hash_returns_saturated_server() {
    for method in [HashMethod::MapBased, HashMethod::Consistent] {
        let ht = HashType {
            method,
            ..Default::default()
        };
        let b = new_balancer(Algorithm::Hash, ht, 0);
        let mut set = s(&[1, 1, 1]);
        let Pick::Server(i) = b.pick(&set, Some(b"key")) else {
            panic!()
        };
        set.sat[i] = true;
        assert_eq!(b.pick(&set, Some(b"key")), Pick::Server(i));
        // no key: round robin, which does skip it
        assert!(seq(&*b, &set, 4).iter().all(|&j| j != i));
    }
}

#[test]
fn map_hash_is_modulo_of_map() {
    // weights 2,4 reduce by their GCD to 1,2: map [0, 1, 1] (srr order), hash % 3.
    let b = new_balancer(Algorithm::Hash, HashType::default(), 0);
    let set = s(&[2, 4]);
    for k in [&b"a"[..], b"bb", b"ccc", b"dddd"] {
        let want = [0, 1, 1][hash::sdbm(k) as usize % 3];
        assert_eq!(b.pick(&set, Some(k)), Pick::Server(want));
    }
}

#[test]
fn chash_ring_is_stable_when_a_server_leaves() {
    let b = new_balancer(Algorithm::Hash, HashType::consistent_default(), 0);
    let mut set = s(&[1, 1, 1, 1]);
    let keys: Vec<String> = (0..200).map(|i| format!("key{i}")).collect();
    let before: Vec<Pick> = keys
        .iter()
        .map(|k| b.pick(&set, Some(k.as_bytes())))
        .collect();
    set.up[2] = false;
    b.update(&set);
    for (k, p) in keys.iter().zip(&before) {
        let now = b.pick(&set, Some(k.as_bytes()));
        if *p != Pick::Server(2) {
            assert_eq!(now, *p, "{k} moved although its server stayed");
        } else {
            assert_ne!(now, Pick::Server(2));
        }
    }
}

#[test]
fn chash_balance_factor_moves_off_loaded_server() {
    let b = new_balancer(Algorithm::Hash, HashType::consistent_default(), 125);
    let mut set = s(&[1, 1]);
    let Pick::Server(i) = b.pick(&set, Some(b"k")) else {
        panic!()
    };
    set.load[i] = 10;
    assert_eq!(b.pick(&set, Some(b"k")), Pick::Server(1 - i));
}

#[test]
fn random_picks_usable_servers() {
    let b = bal(Algorithm::Random { draws: 2 });
    let mut set = s(&[1, 1, 1]);
    set.up[1] = false;
    let got = seq(&*b, &set, 50);
    assert!(got.contains(&0) && got.contains(&2) && !got.contains(&1));
}

#[test]
fn fwrr_weight_change_keeps_serving_everyone() {
    let b = bal(Algorithm::RoundRobin);
    let mut set = s(&[1, 1, 1]);
    seq(&*b, &set, 5);
    set.w[0] = 3;
    b.update(&set);
    let got = seq(&*b, &set, 50);
    let c0 = got.iter().filter(|&&i| i == 0).count();
    assert!((25..=35).contains(&c0), "{got:?}");
    set.up[1] = false;
    b.update(&set);
    assert!(!seq(&*b, &set, 10).contains(&1));
    set.up[1] = true;
    b.update(&set);
    assert!(seq(&*b, &set, 10).contains(&1));
}

#[test]
fn avoid_is_a_last_resort() {
    let hash = |m| HashType {
        method: m,
        ..Default::default()
    };
    let cases: Vec<(Algorithm, HashType, bool)> = vec![
        (Algorithm::RoundRobin, HashType::default(), false),
        (Algorithm::StaticRr, HashType::default(), false),
        (Algorithm::LeastConn, HashType::default(), false),
        (Algorithm::First, HashType::default(), false),
        (Algorithm::Random { draws: 2 }, HashType::default(), false),
        (Algorithm::Hash, hash(HashMethod::Consistent), true),
        (Algorithm::Hash, hash(HashMethod::Consistent), false),
        (Algorithm::Hash, hash(HashMethod::MapBased), false),
    ];
    for (a, ht, keyed) in cases {
        let b = new_balancer(a.clone(), ht, 0);
        let mut set = s(&[1, 1, 1]);
        for n in 0..6 {
            let k = format!("k{n}");
            let key = keyed.then_some(k.as_bytes());
            let Pick::Server(first) = b.pick(&set, key) else {
                panic!()
            };
            let again = b.pick_avoid(&set, key, Some(first));
            assert!(
                matches!(again, Pick::Server(i) if i != first),
                "{a:?} {ht:?}"
            );
        }
        set.up = vec![true, false, false];
        b.update(&set);
        assert_eq!(b.pick_avoid(&set, None, Some(0)), Pick::Server(0), "{a:?}");
    }
}

#[test]
fn request_keys() {
    let host = b"www.example.com, x".to_vec();
    let hdr = |n: &str| n.eq_ignore_ascii_case("host").then_some(&host[..]);
    let req = RequestView {
        method: b"POST",
        uri: b"/a/b?x=1",
        header: &hdr,
        body: Some(b"user=bob"),
        src: Some("10.0.0.1".parse().unwrap()),
        payload: None,
    };
    let up = Algorithm::UrlParam {
        name: "user".into(),
        check_post: false,
    };
    assert_eq!(up.request_key(&req).as_deref(), Some(&b"bob"[..]));
    let hd = Algorithm::Hdr {
        name: "Host".into(),
        use_domain_only: true,
    };
    assert_eq!(hd.request_key(&req).as_deref(), Some(&b"example"[..]));
    assert_eq!(
        Algorithm::Source.request_key(&req).as_deref(),
        Some(&[10u8, 0, 0, 1][..])
    );
    let uri = Algorithm::Uri {
        whole: false,
        len: 0,
        depth: 0,
        path_only: false,
    };
    assert_eq!(uri.request_key(&req).as_deref(), Some(&b"/a/b"[..]));
    assert_eq!(Algorithm::RoundRobin.request_key(&req), None);
}
