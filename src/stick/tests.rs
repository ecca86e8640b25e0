use super::*;

fn spec(ty: &str, size: u32, expire: Option<u32>, store: &str) -> Spec {
    Spec {
        key_type: ty.into(),
        key_len: None,
        size,
        expire,
        nopurge: false,
        store: split_store(store),
    }
}

fn ip(a: &str) -> Vec<u8> {
    KeyType::Ip
        .key(Smp::Ipv4(a.parse().unwrap()))
        .expect("an IPv4 key")
}

#[test]
fn store_lists_split_with_arguments() {
    assert_eq!(
        split_store("gpc0,http_req_rate(10s),gpc(3,1m)"),
        vec![
            ("gpc0".to_string(), None),
            ("http_req_rate".to_string(), Some("10s".to_string())),
            ("gpc".to_string(), Some("3,1m".to_string())),
        ]
    );
    let t = Table::new("t", &spec("ip", 10, None, "gpc(3,1m),gpt(2)"));
    assert!(t.stores(Dt::Gpc, 2) && !t.stores(Dt::Gpc, 3));
    assert!(t.stores(Dt::Gpt, 1) && !t.stores(Dt::Gpt, 2));
    assert_eq!(t.period(Dt::Gpc), 60_000);
}

#[test]
fn keys_follow_the_table_type() {
    assert_eq!(ip("10.0.0.1"), vec![10, 0, 0, 1]);
    // An IPv6 source fits an `ip` table only when it is v4-mapped.
    assert!(KeyType::Ip
        .key(Smp::Ipv6("2001:db8::1".parse().unwrap()))
        .is_none());
    assert_eq!(
        KeyType::Ipv6
            .key(Smp::Ipv4("1.2.3.4".parse().unwrap()))
            .unwrap(),
        "::ffff:1.2.3.4"
            .parse::<Ipv6Addr>()
            .unwrap()
            .octets()
            .to_vec()
    );
    assert_eq!(
        KeyType::String(4).key(Smp::str(b"abcdef")).unwrap(),
        b"abcd"
    );
    assert_eq!(
        KeyType::Binary(4).key(Smp::Bin(b"ab"[..].into())).unwrap(),
        b"ab\0\0"
    );
    assert_eq!(KeyType::Integer.key(Smp::Sint(-1)).unwrap(), vec![255; 4]);
    assert_eq!(KeyType::Integer.show(&[0, 0, 1, 0]), "256");
    assert_eq!(KeyType::Ip.show(&[127, 0, 0, 1]), "127.0.0.1");
}

#[test]
fn counters_and_rates() {
    let t = Table::new(
        "t",
        &spec("ip", 10, None, "gpc0,http_req_rate(10s),bytes_in_cnt"),
    );
    let now = 1_000_000;
    let e = t.get_or_create(&ip("1.1.1.1"), now).unwrap();
    assert_eq!(t.add(&e, Dt::Gpc0, 0, 1), Some(1));
    assert_eq!(t.add(&e, Dt::Gpc1, 0, 1), None);
    for _ in 0..5 {
        t.add_rate(&e, Dt::HttpReqRate, 0, 1, now);
    }
    assert_eq!(t.get_int(&e, Dt::HttpReqRate, 0, now + 1), Some(5));
    // Half-way into the next period, the previous one counts for half.
    assert_eq!(t.get_int(&e, Dt::HttpReqRate, 0, now + 15_000), Some(2));
    t.add(&e, Dt::BytesInCnt, 0, 5_000_000_000);
    assert_eq!(
        t.get(&e, Dt::BytesInCnt, 0, now),
        Some(Val::Uint(5_000_000_000))
    );
    // 32-bit counters wrap like HAProxy's unsigned int.
    t.set(&e, Dt::Gpc0, 0, u64::from(u32::MAX));
    assert_eq!(t.add(&e, Dt::Gpc0, 0, 1), Some(0));
}

#[test]
fn entries_expire_after_their_last_touch_unless_tracked() {
    let t = Arc::new(Table::new("t", &spec("ip", 10, Some(1000), "conn_cur")));
    let k = ip("1.1.1.1");
    let e = t.get_or_create(&k, 0).unwrap();
    t.touch(&e, 500);
    assert!(t.lookup(&k, 1499).is_some());
    assert!(t.lookup(&k, 1500).is_none());
    assert_eq!(t.current(1500), 0);

    // A tracked entry outlives its expiry; released afterwards, it goes at once.
    let tr = Trackers::default();
    tr.track(0, &t, &k, 2000).unwrap();
    assert!(t.lookup(&k, 10_000).is_some());
    assert_eq!(
        t.get_int(&tr.get(0).unwrap().entry, Dt::ConnCur, 0, 0),
        Some(1)
    );
    tr.end_session(10_000);
    // The release touched it: it lives `expire` more.
    assert!(t.lookup(&k, 10_999).is_some());
    assert!(t.lookup(&k, 11_000).is_none());
}

#[test]
fn a_full_table_trashes_its_oldest_unreferenced_entries() {
    let t = Arc::new(Table::new("t", &spec("integer", 4, Some(60_000), "gpc0")));
    let key = |i: i64| KeyType::Integer.key(Smp::Sint(i)).unwrap();
    let tr = Trackers::default();
    tr.track(0, &t, &key(0), 0).unwrap();
    for i in 1..4 {
        t.get_or_create(&key(i), i as u64).unwrap();
    }
    assert_eq!(t.current(10), 4);
    // size >> 8 + 1 = 1 entry goes: the oldest unreferenced one (1), not the tracked 0.
    t.get_or_create(&key(9), 10).unwrap();
    assert_eq!(t.current(10), 4);
    assert!(t.lookup(&key(0), 10).is_some());
    assert!(t.lookup(&key(1), 10).is_none());
    assert!(t.lookup(&key(2), 10).is_some());
    // An entry touched since it was placed is re-inserted when the purge meets it, which
    // uses up the 2 n entries looked at (the tracked one was the other): nothing goes and
    // the new key is refused, as in HAProxy. The next purge finds the next oldest.
    let e2 = t.lookup(&key(2), 20).unwrap();
    t.touch(&e2, 20);
    assert!(t.get_or_create(&key(10), 30).is_none());
    t.get_or_create(&key(10), 30).unwrap();
    assert!(t.lookup(&key(2), 30).is_some());
    assert!(t.lookup(&key(3), 30).is_none());

    let mut s = spec("integer", 2, None, "gpc0");
    s.nopurge = true;
    let t = Table::new("n", &s);
    t.get_or_create(&key(1), 0).unwrap();
    t.get_or_create(&key(2), 0).unwrap();
    assert!(t.get_or_create(&key(3), 0).is_none());
}

#[test]
fn trackers_split_session_and_stream() {
    let t = Arc::new(Table::new(
        "t",
        &spec("ip", 10, None, "conn_cur,conn_cnt,sess_cnt,http_req_cnt"),
    ));
    let tr = Trackers::default();
    let k = ip("1.1.1.1");
    // tcp-request connection: session level.
    let e = tr.track(0, &t, &k, 0).unwrap();
    tr.count_session(0);
    tr.begin_stream();
    // The slot is taken: the first track wins.
    assert!(tr.track(0, &t, &ip("2.2.2.2"), 0).is_none());
    tr.track(1, &t, &k, 0).unwrap();
    assert_eq!(t.get_int(&e, Dt::ConnCur, 0, 0), Some(2));
    assert_eq!(e.refs(), 2);
    tr.inc(Dt::HttpReqCnt, Dt::HttpReqRate, 0);
    assert_eq!(t.get_int(&e, Dt::HttpReqCnt, 0, 0), Some(2));
    tr.end_stream(0);
    assert!(tr.is_tracked(0) && !tr.is_tracked(1));
    assert_eq!(t.get_int(&e, Dt::ConnCur, 0, 0), Some(1));
    tr.end_session(0);
    assert_eq!(t.get_int(&e, Dt::ConnCur, 0, 0), Some(0));
    assert_eq!(t.get_int(&e, Dt::ConnCnt, 0, 0), Some(2));
    assert_eq!(t.get_int(&e, Dt::SessCnt, 0, 0), Some(1));
    assert_eq!(e.refs(), 0);
}

#[test]
fn peers_table_words() {
    let w: Vec<String> = "type string len 8 size 1k expire 30s nopurge store gpc0,conn_rate(5s)"
        .split(' ')
        .map(String::from)
        .collect();
    let s = Spec::from_words(&w);
    assert_eq!(s.key_len, Some(8));
    assert_eq!(s.size, 1024);
    assert_eq!(s.expire, Some(30_000));
    assert!(s.nopurge);
    let t = Table::new("p/t", &s);
    assert_eq!(t.key_type, KeyType::String(8));
    assert_eq!(t.period(Dt::ConnRate), 5000);
}

#[test]
fn show_and_set_for_the_cli() {
    let t = Table::new(
        "fe",
        &spec(
            "ip",
            100,
            Some(10_000),
            "gpc(2),http_req_rate(10s),server_key",
        ),
    );
    let k = ip("10.0.0.1");
    // As in HAProxy 2.6, `gpc1` names the legacy type, which this table lacks.
    assert!(t.set_data(&k, "gpc1", 5, 0).is_err());
    t.set_data(&k, "http_req_rate", 5, 1_000_000).unwrap();
    assert!(t.set_data(&k, "conn_cnt", 1, 0).is_err());
    assert_eq!(parse_data_name("gpc3_rate"), Some((Dt::GpcRate, 3)));
    assert_eq!(parse_data_name("gpc0"), Some((Dt::Gpc0, 0)));
    assert_eq!(
        t.show_head(1_000_000),
        "# table: fe, type: ip, size:100, used:1\n"
    );
    let e = t.lookup(&k, 1_000_000).unwrap();
    let line = t.show_entry(&e, 1_004_000);
    let tail = line.split_once(':').unwrap().1;
    assert_eq!(
        tail,
        " key=10.0.0.1 use=0 exp=6000 http_req_rate(10000)=5 server_key=- gpc0=0 gpc1=0\n"
    );
    assert_eq!(t.entries(1_000_000).len(), 1);
    assert_eq!(t.clear(None, |_| false), 1);
    assert_eq!(t.current(1_000_000), 0);
}

/// Worker threads share one table: counts stay exact under contention, and the size
/// bound holds while every thread creates entries.
#[test]
fn shared_between_threads() {
    let t = Arc::new(Table::new(
        "t",
        &spec("integer", 64, None, "gpc0,http_req_rate(10s)"),
    ));
    let hot = KeyType::Integer.key(Smp::Sint(-1)).unwrap();
    // Tracked, so that the purge leaves it.
    t.hold(&t.get_or_create(&hot, 5_000).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let t = t.clone();
            let hot = hot.clone();
            std::thread::spawn(move || {
                for i in 0..1000i64 {
                    let e = t.get_or_create(&hot, 5_000).unwrap();
                    t.add(&e, Dt::Gpc0, 0, 1);
                    t.add_rate(&e, Dt::HttpReqRate, 0, 1, 5_000);
                    let k = KeyType::Integer.key(Smp::Sint(n * 10_000 + i)).unwrap();
                    t.get_or_create(&k, 5_000 + i as u64);
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    let e = t.lookup(&hot, 5_000).unwrap();
    assert_eq!(t.get_int(&e, Dt::Gpc0, 0, 5_000), Some(4000));
    assert_eq!(t.get_int(&e, Dt::HttpReqRate, 0, 5_000), Some(4000));
    assert!(t.current(5_000) <= 64);
}

/// The sweep only looks at what may have expired, re-queues what was touched since, and
/// leaves referenced entries for their release.
#[test]
fn sweep_follows_the_expiry_heap() {
    let t = Arc::new(Table::new("t", &spec("integer", 100, Some(100), "gpc0")));
    let key = |i: i64| KeyType::Integer.key(Smp::Sint(i)).unwrap();
    for i in 0..10 {
        t.get_or_create(&key(i), i as u64 * 10).unwrap();
    }
    // Touched at 50: lives until 150.
    let e3 = t.lookup(&key(3), 50).unwrap();
    t.touch(&e3, 50);
    let tr = Trackers::default();
    tr.track(0, &t, &key(4), 60).unwrap();
    assert_eq!(t.current(125), 10 - 3);
    assert_eq!(t.current(155), 10 - 5);
    assert!(t.lookup(&key(3), 155).is_none());
    assert!(t.lookup(&key(4), 1000).is_some());
    tr.end_session(1000);
    assert_eq!(t.current(1099), 1);
    assert_eq!(t.current(1100), 0);
}
