//! Headers and dates as HAProxy 2.6.12 sent them (captured from `/usr/sbin/haproxy` on UDP).

use super::*;
use std::time::Duration;

fn at() -> SystemTime {
    // 2026-12-04T18:51:34.048071Z
    UNIX_EPOCH + Duration::from_micros(1_796_410_294_048_071)
}

fn dgram(fmt: Hdr, fac: u8, host: Option<&str>, msg: &[u8], len: usize) -> String {
    let mut out = Vec::new();
    let id = Ident {
        tag: "haproxy",
        pid: 25067,
        host,
    };
    let f = Frame {
        fmt,
        facility: fac,
        level: LOG_INFO,
        maxlen: len,
    };
    datagram(&mut out, f, id, at(), None, msg);
    String::from_utf8(out).unwrap()
}

#[test]
fn headers_of_every_format() {
    let m = b"Connect from 127.0.0.1:38646 to 127.0.0.1:18080 (fe/HTTP)";
    let t = "Connect from 127.0.0.1:38646 to 127.0.0.1:18080 (fe/HTTP)\n";
    assert_eq!(
        dgram(Hdr::Rfc3164, 16, None, m, 1024),
        format!("<134>Dec  4 18:51:34 haproxy[25067]: {t}")
    );
    assert_eq!(
        dgram(Hdr::Rfc5424, 17, None, m, 1024),
        format!("<142>1 2026-12-04T18:51:34.048071+00:00 - haproxy 25067 - - {t}")
    );
    assert_eq!(dgram(Hdr::Short, 18, None, m, 1024), format!("<6>{t}"));
    assert_eq!(dgram(Hdr::Priority, 19, None, m, 1024), format!("<158>{t}"));
    assert_eq!(
        dgram(Hdr::Timed, 20, None, m, 1024),
        format!("<6>2026-12-04T18:51:34.048071+00:00 {t}")
    );
    assert_eq!(
        dgram(Hdr::Iso, 21, None, m, 1024),
        format!("2026-12-04T18:51:34.048071+00:00 {t}")
    );
    assert_eq!(dgram(Hdr::Raw, 22, None, m, 1024), t);
    assert_eq!(
        dgram(Hdr::Local, 23, Some("h1"), m, 1024),
        format!("<190>Dec  4 18:51:34 haproxy[25067]: {t}")
    );
    assert_eq!(
        dgram(Hdr::Rfc3164, 16, Some("h1"), m, 1024),
        format!("<134>Dec  4 18:51:34 h1 haproxy[25067]: {t}")
    );
}

#[test]
fn len_cuts_before_the_final_lf() {
    let s = dgram(Hdr::Rfc3164, 16, None, &[b'x'; 200], 100);
    assert_eq!(s.len(), 101);
    assert!(s.ends_with("xx\n"));
}

#[test]
fn dates() {
    let mut o = Vec::new();
    date::local_ms(at(), &mut o);
    o.push(b'|');
    date::gmt(at(), &mut o);
    assert_eq!(o, b"04/Dec/2026:18:51:34.048|04/Dec/2026:18:51:34 +0000");
    let (y, m, d, ..) = date::civil(UNIX_EPOCH + Duration::from_secs(951_782_400));
    assert_eq!((y, m, d), (2000, 2, 29));
}

#[test]
fn byte_counts_are_htx_sizes() {
    // 2.6.12 logged 62 for this 55-byte response and 88 for this 85-byte request.
    let rsp = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Srv: yes\r\n\r\nhello";
    assert_eq!(55 + htx_adjust(rsp), 62);
    let req = b"GET /ok?x=1 HTTP/1.1\r\nHost: 127.0.0.1:18083\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
    assert_eq!(req.len() as i64 + htx_adjust(req), 88);
}

fn render(fmt: &str, f: &Facts<'_>) -> String {
    use crate::config::expr::logformat::{parse_logformat, LfCtx};
    let ctx = LfCtx {
        http_mode: true,
        merge_spaces: true,
        cap: 0,
        check_files: false,
        lua: None,
        model: None,
    };
    let lf = parse_logformat(fmt, ctx).unwrap();
    let tpl = crate::sample::lf::Template::compile(
        &lf,
        &mut crate::sample::map::MapCache::default(),
        &mut Vec::new(),
    );
    let req = crate::sample::msg::Req::default();
    let mut vars = crate::sample::vars::Vars::default();
    let mut t = crate::sample::fetch::Txn::bare(&req, &mut vars);
    let mut out = Vec::new();
    tpl.render(&mut t, f, &mut out);
    String::from_utf8(out).unwrap()
}

fn facts<'a>(caps: &'a [Option<Vec<u8>>], none: &'a [Option<Vec<u8>>]) -> Facts<'a> {
    // 2026-12-04T18:49:51.089Z
    let accept = UNIX_EPOCH + Duration::from_millis(1_796_410_191_089);
    Facts {
        accept_date: accept,
        request_date: accept,
        t_handshake: 0,
        t_idle: 0,
        t_request: 0,
        t_queue: 0,
        t_connect: 0,
        t_data: 0,
        t_close: 0,
        client: Some("127.0.0.1:52644".parse().unwrap()),
        frontend_addr: Some("127.0.0.1:18080".parse().unwrap()),
        backend_src: None,
        server_addr: None,
        fe: "fe",
        be: "be",
        srv: "s1",
        http: true,
        status: 200,
        bytes_out: 62,
        bytes_in: 88,
        term: *b"--",
        cookie: *b"--",
        actconn: 1,
        feconn: 1,
        beconn: 0,
        srv_conn: 0,
        retries: 0,
        srv_queue: 0,
        be_queue: 0,
        request: Some(b"GET /ok HTTP/1.1"),
        req_caps: caps,
        res_caps: none,
        has_req_caps: true,
        has_res_caps: true,
        unique_id: None,
        stream_id: 5,
        log_count: 0,
        tls: None,
        pid: 20002,
    }
}

#[test]
fn httplog_line_as_haproxy_wrote_it() {
    let caps = [Some(b"127.0.0.1:18080".to_vec())];
    let none = [None];
    let f = facts(&caps, &none);
    assert_eq!(
        render(HTTPLOG, &f),
        "127.0.0.1:52644 [04/Dec/2026:18:49:51.089] fe be/s1 0/0/0/0/0 200 62 - - ---- 1/1/0/0/0 0/0 {127.0.0.1:18080} {} \"GET /ok HTTP/1.1\""
    );
    // A request that never parsed; a TCP stream (no `t_request`: `%Tw` counts from -1).
    let mut bad = facts(&[], &[]);
    bad.request = None;
    bad.has_req_caps = false;
    bad.has_res_caps = false;
    bad.status = 400;
    bad.term = *b"CR";
    bad.bytes_out = 0;
    (bad.be, bad.srv) = ("fe", "<NOSRV>");
    (bad.t_request, bad.t_queue, bad.t_connect, bad.t_data) = (-1, -1, -1, -1);
    assert_eq!(
        render(HTTPLOG, &bad),
        "127.0.0.1:52644 [04/Dec/2026:18:49:51.089] fe fe/<NOSRV> -1/-1/-1/-1/0 400 0 - - CR-- 1/1/0/0/0 0/0 \"<BADREQ>\""
    );
    let mut tcp = facts(&[], &[]);
    (tcp.t_request, tcp.t_idle, tcp.bytes_out) = (-1, -1, 55);
    assert_eq!(
        render(TCPLOG, &tcp),
        "127.0.0.1:52644 [04/Dec/2026:18:49:51.089] fe be/s1 1/0/0 55 -- 1/1/0/0/0 0/0"
    );
}

#[test]
fn separators_merge_after_empty_values_and_quotes_apply_to_texts_only() {
    let f = facts(&[], &[]);
    // 2.6.12: `%hr %hs %hrl %hsl` without captures leave no run of spaces; `%ID` is `-`.
    let mut g = f.clone();
    g.has_req_caps = false;
    g.has_res_caps = false;
    assert_eq!(
        render("%ST %hr %hs %hrl %hsl %rt %ID %ms", &g),
        "200 5 - 089"
    );
    assert_eq!(
        render("%{+Q}o %{-Q}ci %ST %b %CC %tsc [%trg]", &f),
        "127.0.0.1 200 \"be\" \"\" ---- [04/Dec/2026:18:49:51 +0000]"
    );
}
