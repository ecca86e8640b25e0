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
