//! Every expectation below was captured from HAProxy 2.6.12 (`/usr/sbin/haproxy`) in front
//! of a recording backend: the raw client bytes are the test input, `backend` is what the
//! server received, `client` what the client got (`<ERR n>`: HAProxy's error page with
//! status n), `closed` whether haproxy closed the client connection.

use super::sim::{Seen, Sim};
use super::*;

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const OK_OUT: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

fn show(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

#[track_caller]
fn eqb(got: &[u8], want: &[u8]) {
    assert_eq!(show(got), show(want));
}

fn ka(req: &[u8]) -> Seen {
    Sim::default().run(req, OK)
}

fn inv() -> Sim {
    let o = ParseOpts {
        accept_invalid: true,
        ..ParseOpts::default()
    };
    Sim {
        req_opts: o,
        resp_opts: o,
        ..Sim::default()
    }
}

#[track_caller]
fn fwd(req: &[u8], backend: &[u8]) {
    let s = ka(req);
    eqb(&s.backend, backend);
    eqb(&s.client, OK_OUT);
    assert!(!s.closed, "client connection kept");
}

#[track_caller]
fn refused(sim: &Sim, req: &[u8], status: u16) {
    let s = sim.run(req, OK);
    eqb(&s.client, format!("<ERR {status}>").as_bytes());
    assert!(
        s.backend.is_empty(),
        "nothing forwarded: {}",
        show(&s.backend)
    );
}

#[track_caller]
fn bad(req: &[u8]) {
    refused(&Sim::default(), req, 400);
}

#[track_caller]
fn resp(req: &[u8], server: &[u8], client: &[u8]) -> Seen {
    let s = Sim::default().run(req, server);
    eqb(&s.client, client);
    s
}

const G: &[u8] = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n";

// --- request line -------------------------------------------------------------------

#[test]
fn request_line_normalised() {
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nX-A:  v1 \r\nx-b:v2\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx-a: v1\r\nx-b: v2\r\n\r\n",
    );
    fwd(
        b"\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\n\r\n",
    );
    fwd(
        b"\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\nHost: h\nX: y\n\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx: y\r\n\r\n",
    );
    fwd(
        b"GET   /   HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\n\r\n",
    );
    fwd(
        b"GET\t/\tHTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\n\r\n",
    );
    fwd(
        b"get / HTTP/1.1\r\nHost: h\r\n\r\n",
        b"get / HTTP/1.1\r\nhost: h\r\n\r\n",
    );
    fwd(
        b"PURGE / HTTP/1.1\r\nHost: h\r\n\r\n",
        b"PURGE / HTTP/1.1\r\nhost: h\r\n\r\n",
    );
    fwd(
        b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\nhost: h\r\n\r\n",
    );
    fwd(
        b"GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET /a\x7fb HTTP/1.1\r\nhost: h\r\n\r\n",
    );
    fwd(
        b"GET /a\"{}|\\^`<> HTTP/1.1\r\nHost: h\r\n\r\n",
        b"GET /a\"{}|\\^`<> HTTP/1.1\r\nhost: h\r\n\r\n",
    );
    let mut r = ReqHead::default();
    parse_request(b"get / HTTP/1.1\r\n\r\n", &ParseOpts::default(), &mut r).unwrap();
    assert_eq!(r.method, Method::Other);
}

#[test]
fn versions() {
    // Any version >= 1.1 goes out as HTTP/1.1.
    for v in ["1.2", "2.0", "3.0"] {
        fwd(
            format!("GET / HTTP/{v}\r\nHost: h\r\n\r\n").as_bytes(),
            b"GET / HTTP/1.1\r\nhost: h\r\n\r\n",
        );
    }
    // HTTP/0.9 in the version field is kept but handled as 1.0.
    let s = ka(b"GET / HTTP/0.9\r\nHost: h\r\n\r\n");
    eqb(
        &s.backend,
        b"GET / HTTP/0.9\r\nhost: h\r\nconnection: keep-alive\r\n\r\n",
    );
    eqb(
        &s.client,
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
    );
    assert!(s.closed);
    bad(b"GET / http/1.1\r\nHost: h\r\n\r\n");
    bad(b"GET / HTTP/1.10\r\nHost: h\r\n\r\n");
    bad(b"GET / HTTP/1.1 \r\nHost: h\r\n\r\n");
    // accept-invalid-http-request: kept verbatim, handled as 1.0.
    let s = inv().run(b"GET / HTTP/1.10\r\nHost: h\r\n\r\n", OK);
    eqb(
        &s.backend,
        b"GET / HTTP/1.10\r\nhost: h\r\nconnection: keep-alive\r\n\r\n",
    );
    assert!(s.closed);
}

#[test]
fn http09() {
    bad(b"GET /\r\n\r\n");
    bad(b"GET  HTTP/1.1\r\nHost: h\r\n\r\n");
    let s = inv().run(b"GET /\r\n\r\n", OK);
    eqb(
        &s.backend,
        b"GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n",
    );
    eqb(
        &s.client,
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
    );
    assert!(s.closed);
}

#[test]
fn uri_characters() {
    bad(b"GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n");
    bad(b"GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n");
    bad(b"GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n");
    bad(b"GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n");
    bad(b"GE(T / HTTP/1.1\r\nHost: h\r\n\r\n");
    bad(b"\r\n GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    bad(b"GET / HTTP/1.1\rHost: h\r\n\r\n");
    let i = inv();
    let s = i.run(b"GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", OK);
    eqb(&s.backend, b"GET /\xc3\xa9 HTTP/1.1\r\nhost: h\r\n\r\n");
    let s = i.run(b"GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", OK);
    eqb(&s.backend, b"GET /a#b HTTP/1.1\r\nhost: h\r\n\r\n");
    refused(&i, b"GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    refused(&i, b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

// --- headers ------------------------------------------------------------------------

#[test]
fn header_syntax() {
    bad(b"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n");
    bad(b"GET / HTTP/1.1\r\n  x: b\r\nHost: h\r\n\r\n");
    bad(b"GET / HTTP/1.1\r\nHost: h\r\nX Y: z\r\n\r\n");
    bad(b"GET / HTTP/1.1\r\nHost: h\r\nX : z\r\n\r\n");
    bad(b"GET / HTTP/1.1\r\nHost: h\r\nX(Y: z\r\n\r\n");
    bad(b"GET / HTTP/1.1\r\nHost: h\r\nX\xe9: z\r\n\r\n");
    bad(b"GET / HTTP/1.1\r\nHost: h\r\n: z\r\n\r\n");
    bad(b"GET / HTTP/1.1\r\nHost: h\r\nXYZ\r\n\r\n");
    let i = inv();
    for (inp, out) in [
        (&b"X : z"[..], &b"x : z"[..]),
        (b"X(Y: z", b"x(y: z"),
        (b"X\xe9: z", b"x\xe9: z"),
        (b"X Y: z", b"x y: z"),
    ] {
        let req = [&b"GET / HTTP/1.1\r\nHost: h\r\n"[..], inp, b"\r\n\r\n"].concat();
        let want = [&b"GET / HTTP/1.1\r\nhost: h\r\n"[..], out, b"\r\n\r\n"].concat();
        eqb(&i.run(&req, OK).backend, &want);
    }
    refused(&i, b"GET / HTTP/1.1\r\nHost: h\r\n: z\r\n\r\n", 400);
}

#[test]
fn header_values() {
    // Control bytes, NUL, DEL and non-ASCII are accepted in values.
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx: a\x01b\r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx: a\x00b\r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\xff\tb\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx: a\x7f\xff\tb\r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nX:\r\nY: \t \r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx: \r\ny: \r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nX: \t a  b \t\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx: a  b\r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHOST: h\r\nX-MiXeD: V\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx-mixed: V\r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\n\n",
        b"GET / HTTP/1.1\r\nhost: h\r\n\r\n",
    );
}

#[test]
fn obsolete_folding() {
    // CR and LF become spaces in place.
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n  b\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx: a    b\r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx: a  \tb\r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nX:\r\n  b\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx: b\r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n \r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nx: a\r\n\r\n",
    );
}

#[test]
fn header_count_limit() {
    // tune.http.maxhdr 101: 100 header lines pass, 101 do not.
    let mk = |n: usize| {
        let mut r = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
        for i in 0..n - 1 {
            r.extend_from_slice(format!("X{i}: v\r\n").as_bytes());
        }
        r.extend_from_slice(b"\r\n");
        r
    };
    assert_eq!(ka(&mk(100)).client, OK_OUT);
    bad(&mk(101));
    bad(&mk(102));
}

#[test]
fn head_size_limit() {
    // The HTX form of the head must stay below bufsize - maxrewrite - sizeof(htx): the
    // largest accepted request was 15273 bytes with 2 headers, 15193 with 22.
    let mk = |len: usize, extra: usize| {
        let mut r = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
        for i in 0..extra {
            r.extend_from_slice(format!("Y{i}: v\r\n").as_bytes());
        }
        r.extend_from_slice(b"X: ");
        let pad = len - r.len() - 4;
        r.resize(r.len() + pad, b'a');
        r.extend_from_slice(b"\r\n\r\n");
        assert_eq!(r.len(), len);
        r
    };
    assert_eq!(ka(&mk(15273, 0)).client, OK_OUT);
    bad(&mk(15274, 0));
    assert_eq!(ka(&mk(15193, 20)).client, OK_OUT);
    bad(&mk(15194, 20));
    bad(&mk(16500, 0));
    let mut uri = b"GET /".to_vec();
    uri.resize(16505, b'a');
    uri.extend_from_slice(b" HTTP/1.1\r\nHost: h\r\n\r\n");
    bad(&uri);
    // Incomplete heads wait until 16320 bytes are buffered, then get a 400.
    let o = ParseOpts::default();
    let mut r = ReqHead::default();
    let mut inc = b"GET / HTTP/1.1\r\nHost: h\r\nX: ".to_vec();
    inc.resize(16319, b'a');
    assert_eq!(parse_request(&inc, &o, &mut r), Ok(Status::Partial));
    inc.push(b'a');
    assert_eq!(parse_request(&inc, &o, &mut r).unwrap_err().status, 400);
}

#[test]
fn host_header() {
    fwd(b"GET / HTTP/1.1\r\n\r\n", b"GET / HTTP/1.1\r\n\r\n");
    fwd(
        b"GET / HTTP/1.1\r\nHost:\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: \r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: a, b\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: a, b\r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: a\r\n\r\n",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: h:80\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h:80\r\n\r\n",
    );
    bad(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
}

#[test]
fn absolute_uri() {
    fwd(
        b"GET http://example.com:8080/p?q HTTP/1.1\r\nHost: example.com:8080\r\n\r\n",
        b"GET http://example.com:8080/p?q HTTP/1.1\r\nhost: example.com:8080\r\n\r\n",
    );
    fwd(
        b"GET http://example.com/p HTTP/1.1\r\n\r\n",
        b"GET http://example.com/p HTTP/1.1\r\n\r\n",
    );
    fwd(
        b"GET http://Example.com/p HTTP/1.1\r\nHost: example.com\r\n\r\n",
        b"GET http://Example.com/p HTTP/1.1\r\nhost: example.com\r\n\r\n",
    );
    fwd(
        b"GET http://u:p@a.com/ HTTP/1.1\r\nHost: a.com\r\n\r\n",
        b"GET http://u:p@a.com/ HTTP/1.1\r\nhost: a.com\r\n\r\n",
    );
    fwd(
        b"GET ftp://example.com/p HTTP/1.1\r\nHost: example.com\r\n\r\n",
        b"GET ftp://example.com/p HTTP/1.1\r\nhost: example.com\r\n\r\n",
    );
    fwd(
        b"GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n",
        b"GET http://example.com HTTP/1.1\r\nhost: example.com\r\n\r\n",
    );
    bad(b"GET http://example.com/p HTTP/1.1\r\nHost: other\r\n\r\n");
    bad(b"GET http://example.com/p HTTP/1.1\r\nHost:\r\n\r\n");
    bad(b"GET http://a.com:8080/ HTTP/1.1\r\nHost: a.com\r\n\r\n");
    // The authority runs to the first '/', so a query right after it is part of it.
    bad(b"GET http://a.com?x HTTP/1.1\r\nHost: a.com\r\n\r\n");
    let mut r = ReqHead::default();
    let b = b"GET http://u@a.com:81/x HTTP/1.1\r\n\r\n";
    parse_request(b, &ParseOpts::default(), &mut r).unwrap();
    assert_eq!(r.authority.unwrap().get(b), b"a.com:81");
}

#[test]
fn scheme_based_normalisation() {
    fwd(
        b"GET http://example.com:80/p HTTP/1.1\r\nHost: example.com:80\r\n\r\n",
        b"GET http://example.com/p HTTP/1.1\r\nhost: example.com\r\n\r\n",
    );
    fwd(
        b"GET http://example.com:80/p HTTP/1.1\r\nHost: example.com\r\n\r\n",
        b"GET http://example.com/p HTTP/1.1\r\nhost: example.com\r\n\r\n",
    );
    fwd(
        b"GET https://example.com:443/p HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        b"GET https://example.com/p HTTP/1.1\r\nhost: example.com\r\n\r\n",
    );
    fwd(
        b"GET http://example.com:80 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        b"GET http://example.com HTTP/1.1\r\nhost: example.com\r\n\r\n",
    );
    fwd(
        b"GET http://a.com:/p HTTP/1.1\r\nHost: a.com:\r\n\r\n",
        b"GET http://a.com/p HTTP/1.1\r\nhost: a.com\r\n\r\n",
    );
    fwd(
        b"GET HTTP://a.com:80/p HTTP/1.1\r\nHost: a.com:80\r\n\r\n",
        b"GET HTTP://a.com/p HTTP/1.1\r\nhost: a.com\r\n\r\n",
    );
    // No port in the URI: nothing to normalise, the Host port stays.
    fwd(
        b"GET https://a.com/p HTTP/1.1\r\nHost: a.com:443\r\n\r\n",
        b"GET https://a.com/p HTTP/1.1\r\nhost: a.com:443\r\n\r\n",
    );
}

#[test]
fn connect_target() {
    fwd(
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        b"CONNECT example.com:443 HTTP/1.1\r\nhost: example.com\r\n\r\n",
    );
    fwd(
        b"CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n",
        b"CONNECT example.com:80 HTTP/1.1\r\nhost: example.com\r\n\r\n",
    );
    fwd(
        b"CONNECT a.com:8443 HTTP/1.1\r\nHost: a.com:8443\r\n\r\n",
        b"CONNECT a.com:8443 HTTP/1.1\r\nhost: a.com:8443\r\n\r\n",
    );
    fwd(
        b"CONNECT a.com:8443 HTTP/1.1\r\n\r\n",
        b"CONNECT a.com:8443 HTTP/1.1\r\n\r\n",
    );
    bad(b"CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n");
    bad(b"CONNECT a.com:443 HTTP/1.1\r\nHost: b.com:8080\r\n\r\n");
    bad(b"CONNECT a.com:8443 HTTP/1.1\r\nHost: a.com\r\n\r\n");
    // CONNECT 2xx turns into a tunnel: the bytes after the head pass as they are.
    let s = resp(
        b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
    );
    assert!(!s.closed);
}

#[test]
fn h2_preface_detected() {
    assert!(is_h2_preface(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0"));
    assert!(!is_h2_preface(b"PRI * HTTP/2.0\r\n\r\n"));
}

// --- framing and smuggling ------------------------------------------------------------

#[test]
fn content_length_rules() {
    let post = |cl: &str| format!("POST / HTTP/1.1\r\nHost: h\r\n{cl}\r\n\r\nabc").into_bytes();
    // Equal duplicates and lists collapse into one cleaned header.
    for cl in [
        "Content-Length: 3\r\nContent-Length: 3",
        "Content-Length: 3, 3 ,3",
    ] {
        fwd(
            &post(cl),
            b"POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n\r\nabc",
        );
    }
    fwd(
        &post("Content-Length: 003"),
        b"POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 003\r\n\r\nabc",
    );
    fwd(
        &post("Content-Length: 9223372036854775807"),
        b"POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 9223372036854775807\r\n\r\nabc",
    );
    for cl in [
        "Content-Length: 3\r\nContent-Length: 4",
        "Content-Length: 3,4",
        "Content-Length: 3,,3",
        "Content-Length: 3,",
        "Content-Length: 3a",
        "Content-Length: +3",
        "Content-Length:",
        "Content-Length: 3 3",
        "Content-Length: 99999999999999999999999",
        "Content-Length: 9223372036854775808",
    ] {
        bad(&post(cl));
    }
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
        b"GET / HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n\r\nabc",
    );
    // Pipelined request after a Content-Length body.
    let s = ka(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
    eqb(&s.client, &[OK_OUT, OK_OUT].concat());
}

#[test]
fn transfer_encoding_rules() {
    let post = |te: &str, body: &str| {
        format!("POST / HTTP/1.1\r\nHost: h\r\n{te}\r\n\r\n{body}").into_bytes()
    };
    for te in [
        "Transfer-Encoding: gzip",
        "Transfer-Encoding: chunked, gzip",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: chunked, chunked",
        "Transfer-Encoding: identity",
        "Transfer-Encoding:",
        "Transfer-Encoding: chunked;q=1",
        "Transfer-Encoding: xchunked",
        // CL values are still checked when TE wins.
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\nContent-Length: 4",
    ] {
        bad(&post(te, "0\r\n\r\n"));
    }
    // Codings before a final chunked: 422 from the H1 mux.
    refused(
        &Sim::default(),
        &post("Transfer-Encoding: gzip, chunked", "0\r\n\r\n"),
        422,
    );
    refused(
        &Sim::default(),
        &post(
            "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
            "0\r\n\r\n",
        ),
        422,
    );
    // Case-insensitive, forwarded as received.
    fwd(
        &post("Transfer-Encoding: CHUNKED", "3\r\nabc\r\n0\r\n\r\n"),
        b"POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    );
}

#[test]
fn cl_with_te_is_chunked_then_closed() {
    for r in [
        &b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    ] {
        let s = ka(r);
        eqb(
            &s.backend,
            b"POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        );
        eqb(&s.client, b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        assert!(s.closed);
    }
    // The smuggled request after the chunked body is never parsed.
    let s = ka(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smug HTTP/1.1\r\nHost: h\r\n\r\n");
    eqb(
        &s.backend,
        b"POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert!(s.closed);
}

#[test]
fn chunked_http10_closes_both_sides() {
    for r in [
        &b"POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"[..],
        b"POST / HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    ] {
        let s = ka(r);
        eqb(
            &s.backend,
            b"POST / HTTP/1.0\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        );
        eqb(&s.client, b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        assert!(s.closed);
    }
}

#[test]
fn chunked_bodies_are_rechunked() {
    let te = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    let out = b"POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n";
    for (body, fwded) in [
        (
            &b"3\r\nabc\r\n0A\r\n0123456789\r\n0\r\n\r\n"[..],
            &b"D\r\nabc0123456789\r\n0\r\n\r\n"[..],
        ),
        (b"3;foo=bar\r\nabc\r\n0;x\r\n\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        (b"3 ;foo=bar\r\nabc\r\n0\r\n\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        (b"3  \r\nabc\r\n0\r\n\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        (b"3\t\r\nabc\r\n0\r\n\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        (b"3\t;a\r\nabc\r\n0\r\n\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        (b"3;\x01\r\nabc\r\n0\r\n\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        (b"3;a=\"b\r\nabc\r\n0\r\n\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        (b"3\nabc\n0\n\n", b"3\r\nabc\r\n0\r\n\r\n"),
        (b"3\r\nabc\n0\r\n\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        (b"00000000003\r\nabc\r\n0\r\n\r\n", b"3\r\nabc\r\n0\r\n\r\n"),
        (
            b"1F\r\n0123456789012345678901234567890\r\n0\r\n\r\n",
            b"1F\r\n0123456789012345678901234567890\r\n0\r\n\r\n",
        ),
        // Trailers: lower-cased, trimmed, folding undone, Content-Length has no meaning.
        (
            b"3\r\nabc\r\n0\r\nX-Trail: v\r\nY:  w \r\n\r\n",
            b"3\r\nabc\r\n0\r\nx-trail: v\r\ny: w\r\n\r\n",
        ),
        (b"0\r\nA: b\r\n c\r\n\r\n", b"0\r\na: b   c\r\n\r\n"),
        (b"0\nA: b\n\n", b"0\r\na: b\r\n\r\n"),
        (
            b"0\r\nContent-Length: 5\r\n\r\n",
            b"0\r\ncontent-length: 5\r\n\r\n",
        ),
    ] {
        fwd(&[&te[..], body].concat(), &[&out[..], fwded].concat());
    }
    // A 9-digit size is fine (the body is incomplete: what arrived is forwarded).
    let s = ka(&[&te[..], b"100000000\r\nabc\r\n0\r\n\r\n"].concat());
    eqb(
        &s.backend,
        &[&out[..], b"A\r\nabc\r\n0\r\n\r\n\r\n"].concat(),
    );
    for body in [
        &b" 3\r\nabc\r\n0\r\n\r\n"[..],
        b"3x\r\nabc\r\n0\r\n\r\n",
        b"3 x\r\nabc\r\n0\r\n\r\n",
        b"\r\nabc\r\n0\r\n\r\n",
        b"3\r\nabcX0\r\n\r\n",
        b"0x3\r\nabc\r\n0\r\n\r\n",
        b"3\rabc\r\n0\r\n\r\n",
        b"3\r\nabc\r\n0\r\nbad trailer\r\n\r\n",
        b"7ffffffffffffff\r\nabc",
        b"100000000000000\r\nabc",
    ] {
        let s = ka(&[&te[..], body].concat());
        eqb(&s.client, b"<ERR 400>");
    }
}

#[test]
fn chunk_size_limit_is_2_pow_52() {
    let o = ParseOpts::default();
    let mut d = BodyDecoder::new(Framing::Chunked, true, &o);
    assert!(d.decode(b"fffffffffffff\r\n").is_ok());
    assert_eq!(d.remaining(), Some((1 << 52) - 1));
    let mut d = BodyDecoder::new(Framing::Chunked, true, &o);
    assert_eq!(d.decode(b"10000000000000\r\n").unwrap_err().status, 502);
}

#[test]
fn expect_continue_is_forwarded() {
    let b = b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab";
    let s = Sim::default().run(
        b,
        b"HTTP/1.1 100 Continue\r\nX: y\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    eqb(
        &s.backend,
        b"POST / HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\nab",
    );
    eqb(
        &s.client,
        b"HTTP/1.1 100 Continue\r\nx: y\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    );
    let mut r = ReqHead::default();
    parse_request(b, &ParseOpts::default(), &mut r).unwrap();
    assert!(r.expect_continue);
    parse_request(
        b"POST / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n",
        &ParseOpts::default(),
        &mut r,
    )
    .unwrap();
    assert!(r.expect_continue);
}

#[test]
fn websocket_upgrade() {
    bad(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    let ws = b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    let s = resp(
        ws,
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nraw",
        b"HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nraw",
    );
    eqb(&s.backend, b"GET / HTTP/1.1\r\nhost: h\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    // 101 without Sec-WebSocket-Accept, or to a request that asked for no upgrade: 502.
    resp(
        ws,
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nraw",
        b"<ERR 502>",
    );
    resp(
        G,
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nraw",
        b"<ERR 502>",
    );
    resp(
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nraw",
        b"HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: foo\r\n\r\nraw",
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nupgrade: websocket\r\n\r\n",
    );
}

// --- responses ---------------------------------------------------------------------------

#[test]
fn response_status_line() {
    resp(
        G,
        b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 \r\ncontent-length: 2\r\n\r\nok",
    );
    resp(
        G,
        b"HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 \r\ncontent-length: 2\r\n\r\nok",
    );
    resp(
        G,
        b"HTTP/1.1 299 Whatever  Reason\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 299 Whatever  Reason\r\ncontent-length: 2\r\n\r\nok",
    );
    resp(
        G,
        b"HTTP/1.1 200 O\x01K\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 O\x01K\r\ncontent-length: 2\r\n\r\nok",
    );
    resp(
        G,
        b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 2000 OK\r\ncontent-length: 2\r\n\r\nok",
    );
    resp(
        G,
        b"HTTP/1.1 600 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 600 OK\r\ncontent-length: 2\r\n\r\nok",
    );
    resp(G, b"HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok", OK_OUT);
    resp(
        G,
        b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        OK_OUT,
    );
    resp(
        G,
        b"HTTP/1.1 200 OK\nX: a\nContent-Length: 2\n\nok",
        b"HTTP/1.1 200 OK\r\nx: a\r\ncontent-length: 2\r\n\r\nok",
    );
    resp(
        G,
        b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nx: a   b\r\ncontent-length: 2\r\n\r\nok",
    );
    resp(
        G,
        b"HTTP/1.1 200 OK\r\nX: a\x01b\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nx: a\x01b\r\ncontent-length: 2\r\n\r\nok",
    );
    for bad in [
        &b"HTTP/1 200 OK\r\nContent-Length: 2\r\n\r\nok"[..],
        b"http/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok",
        b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX(Y: a\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nX : y\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nokok",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nokok",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000\r\nabc",
    ] {
        resp(G, bad, b"<ERR 502>");
    }
    // accept-invalid-http-response tolerates names like requests do.
    let s = inv().run(
        G,
        b"HTTP/1.1 200 OK\r\nX(Y: a\r\nContent-Length: 2\r\n\r\nok",
    );
    eqb(
        &s.client,
        b"HTTP/1.1 200 OK\r\nx(y: a\r\ncontent-length: 2\r\n\r\nok",
    );
}

#[test]
fn response_framing() {
    // Close-delimited: forwarded as is (no chunking), then closed; "connection: close" is
    // only announced in an HTTP/1.1 response.
    let s = resp(
        G,
        b"HTTP/1.0 200 OK\r\nX: y\r\n\r\nbody",
        b"HTTP/1.0 200 OK\r\nx: y\r\n\r\nbody",
    );
    assert!(s.closed && !s.reusable);
    let s = resp(
        G,
        b"HTTP/1.1 200 OK\r\n\r\nbody",
        b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nbody",
    );
    assert!(s.closed);
    // Chunked: re-chunked, extensions dropped, trailers lower-cased.
    resp(
        G,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x\r\nok\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nokabc\r\n0\r\nt: v\r\n\r\n",
    );
    // CL + TE: chunked wins, the client stays, the server connection is not reused.
    let s = resp(
        G,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    );
    assert!(!s.closed && !s.reusable);
    // 204 and 1xx lose their framing headers, 304 and HEAD answers keep them.
    resp(
        G,
        b"HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",
    );
    resp(
        G,
        b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",
    );
    resp(
        G,
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 20\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\ncontent-length: 20\r\n\r\n",
    );
    resp(
        G,
        b"HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    );
    resp(
        G,
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
    );
    let head = b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n";
    let s = resp(
        head,
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n",
    );
    assert!(!s.closed && s.reusable);
    resp(
        head,
        b"HTTP/1.1 200 OK\r\nX: y\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nx: y\r\n\r\n",
    );
    resp(
        head,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
    );
}

// --- connection modes --------------------------------------------------------------------

fn mode(fe: HttpMode, be: HttpMode) -> Sim {
    Sim {
        modes: Modes {
            frontend: fe,
            backend: be,
            ..Modes::default()
        },
        ..Sim::default()
    }
}

#[test]
fn keep_alive_mode() {
    let s = ka(&[G, G].concat());
    eqb(&s.backend, &[G_OUT, G_OUT].concat());
    eqb(&s.client, &[OK_OUT, OK_OUT].concat());
    assert!(!s.closed && s.reusable);
    // HTTP/1.0: keep-alive announced to the server, the client is closed.
    let s = ka(b"GET / HTTP/1.0\r\n\r\n");
    eqb(
        &s.backend,
        b"GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n",
    );
    eqb(
        &s.client,
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
    );
    assert!(s.closed && s.reusable);
    let s = ka(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    eqb(
        &s.backend,
        b"GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n",
    );
    eqb(
        &s.client,
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok",
    );
    assert!(!s.closed);
    // Explicit close from the client: only the client side closes.
    let s = ka(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    eqb(&s.backend, G_OUT);
    eqb(
        &s.client,
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
    );
    assert!(s.closed && s.reusable);
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
        G_OUT,
    );
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: foo\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\nconnection: foo\r\n\r\n",
    );
}

const G_OUT: &[u8] = b"GET / HTTP/1.1\r\nhost: h\r\n\r\n";

#[test]
fn connection_header_cleaning() {
    let s = ka(
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Foo, close\r\nX-Foo: 1\r\n\r\n",
    );
    eqb(
        &s.backend,
        b"GET / HTTP/1.1\r\nhost: h\r\nconnection: X-Foo\r\nx-foo: 1\r\n\r\n",
    );
    assert!(s.closed);
    // Bytes kept verbatim until the first removal, then joined by a bare comma.
    let s = ka(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close, X-Foo, Y-Bar\r\n\r\n");
    eqb(
        &s.backend,
        b"GET / HTTP/1.1\r\nhost: h\r\nconnection: X-Foo,Y-Bar\r\n\r\n",
    );
    let s = ka(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Foo , close\r\n\r\n");
    eqb(
        &s.backend,
        b"GET / HTTP/1.1\r\nhost: h\r\nconnection: X-Foo \r\n\r\n",
    );
    // The mode's token is a separate header after all others.
    let s = ka(b"GET / HTTP/1.0\r\nConnection: keep-alive, X-Foo\r\n\r\n");
    eqb(
        &s.backend,
        b"GET / HTTP/1.0\r\nconnection: X-Foo\r\nconnection: keep-alive\r\n\r\n",
    );
    let s = mode(HttpMode::ServerClose, HttpMode::KeepAlive).run(
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: X-Foo\r\n\r\n",
        OK,
    );
    eqb(
        &s.backend,
        b"GET / HTTP/1.1\r\nhost: h\r\nconnection: X-Foo\r\nconnection: close\r\n\r\n",
    );
    let s = resp(
        G,
        b"HTTP/1.0 200 OK\r\nConnection: X-Bar\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nconnection: X-Bar\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok",
    );
    assert!(!s.reusable);
    resp(
        G,
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Bar\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 200 OK\r\nconnection: X-Bar\r\ncontent-length: 2\r\n\r\nok",
    );
}

#[test]
fn server_tokens_do_not_reach_the_client() {
    // The server's close ends the server connection only.
    let s = resp(
        G,
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        OK_OUT,
    );
    assert!(!s.closed && !s.reusable);
    let s = resp(
        G,
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok",
    );
    assert!(!s.closed && s.reusable);
    let s = resp(
        G,
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok",
    );
    assert!(!s.closed && !s.reusable);
    resp(
        G,
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
        OK_OUT,
    );
    // A chunked response to an HTTP/1.0 client stays chunked.
    resp(
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    );
    resp(
        b"GET / HTTP/1.0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    );
    let s = resp(
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\nbody",
        b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nbody",
    );
    assert!(s.closed);
}

#[test]
fn server_close_and_httpclose() {
    let sc = mode(HttpMode::ServerClose, HttpMode::KeepAlive);
    let s = sc.run(&[G, G].concat(), OK);
    let close_out = b"GET / HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n";
    eqb(&s.backend, &[&close_out[..], close_out].concat());
    eqb(&s.client, &[OK_OUT, OK_OUT].concat());
    assert!(!s.closed && !s.reusable);
    let s = sc.run(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", OK);
    eqb(&s.backend, b"GET / HTTP/1.0\r\n\r\n");
    eqb(
        &s.client,
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok",
    );
    let s = sc.run(b"GET / HTTP/1.0\r\n\r\n", OK);
    eqb(&s.backend, b"GET / HTTP/1.0\r\n\r\n");
    assert!(s.closed);
    // httpclose: both sides, whatever the server says.
    let hc = mode(HttpMode::Close, HttpMode::KeepAlive);
    let s = hc.run(&[G, G].concat(), OK);
    eqb(&s.backend, close_out);
    eqb(
        &s.client,
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
    );
    assert!(s.closed);
    let s = hc.run(
        G,
        b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
    );
    assert!(s.closed);
    let s = hc.run(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", OK);
    eqb(&s.backend, b"GET / HTTP/1.0\r\n\r\n");
    eqb(
        &s.client,
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
    );
    // In a backend, httpclose and http-server-close only act on the server side.
    for be in [HttpMode::Close, HttpMode::ServerClose] {
        let s = mode(HttpMode::KeepAlive, be).run(&[G, G].concat(), OK);
        eqb(&s.backend, &[&close_out[..], close_out].concat());
        eqb(&s.client, &[OK_OUT, OK_OUT].concat());
        assert!(!s.closed && !s.reusable);
    }
    // http-pretend-keepalive: no close announced, the connection is still not kept.
    let mut p = mode(HttpMode::ServerClose, HttpMode::KeepAlive);
    p.modes.pretend_keepalive = true;
    let s = p.run(&[G, G].concat(), OK);
    eqb(&s.backend, &[G_OUT, G_OUT].concat());
    assert!(!s.reusable);
}

#[test]
fn keep_alive_summary() {
    let o = ParseOpts::default();
    let (rb, sb) = (
        b"GET / HTTP/1.0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    let (mut rq, mut rs) = (ReqHead::default(), RespHead::default());
    parse_request(rb, &o, &mut rq).unwrap();
    parse_response(sb, rq.method, &o, &mut rs).unwrap();
    let c = keep_alive(&rq, &rs, &Modes::default());
    assert_eq!(c.req_conn, ConnHdr::KeepAlive);
    assert_eq!(c.resp_conn, ConnHdr::Close);
    assert!(!c.client_keeps() && c.server_reusable());
}

// --- header edits ------------------------------------------------------------------------

#[test]
fn forwardfor_and_originalto() {
    let x = Sim {
        forwardfor: Some(ForwardFor::x_forwarded_for()),
        originalto: Some(ForwardFor::x_original_to()),
        ..Sim::default()
    };
    let s = x.run(
        b"GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4\r\nY: z\r\n\r\n",
        OK,
    );
    eqb(
        &s.backend,
        b"GET / HTTP/1.1\r\nhost: h\r\nx-forwarded-for: 1.2.3.4\r\ny: z\r\nx-forwarded-for: 127.0.0.1\r\nx-original-to: 127.0.0.1\r\n\r\n",
    );
    let mut ff = ForwardFor::x_forwarded_for();
    ff.except = Some(("127.0.0.0".parse().unwrap(), 8));
    let s = Sim {
        forwardfor: Some(ff),
        ..Sim::default()
    }
    .run(G, OK);
    eqb(&s.backend, G_OUT);
    let x3 = Sim {
        forwardfor: Some(ForwardFor {
            header: b"X-Client".to_vec(),
            except: None,
            if_none: true,
        }),
        originalto: Some(ForwardFor {
            header: b"X-Orig".to_vec(),
            ..ForwardFor::x_original_to()
        }),
        ..Sim::default()
    };
    let s = x3.run(
        b"GET / HTTP/1.1\r\nHost: h\r\nx-client: 9.9.9.9\r\n\r\n",
        OK,
    );
    eqb(
        &s.backend,
        b"GET / HTTP/1.1\r\nhost: h\r\nx-client: 9.9.9.9\r\nx-orig: 127.0.0.1\r\n\r\n",
    );
    let s = x3.run(G, OK);
    eqb(
        &s.backend,
        b"GET / HTTP/1.1\r\nhost: h\r\nx-client: 127.0.0.1\r\nx-orig: 127.0.0.1\r\n\r\n",
    );
    // The mode's Connection line still comes last.
    let s = x.run(b"GET / HTTP/1.0\r\n\r\n", OK);
    eqb(
        &s.backend,
        b"GET / HTTP/1.0\r\nx-forwarded-for: 127.0.0.1\r\nx-original-to: 127.0.0.1\r\nconnection: keep-alive\r\n\r\n",
    );
}

#[test]
fn deleted_headers() {
    let b = b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-b: 2\r\n\r\n";
    let mut r = ReqHead::default();
    parse_request(b, &ParseOpts::default(), &mut r).unwrap();
    let mut out = Vec::new();
    let del: &[&[u8]] = &[b"X-B"];
    let add: &[(&[u8], &[u8])] = &[(b"X-New", b"v")];
    write_request(
        b,
        &r,
        &HeadEdits {
            del,
            add,
            ..HeadEdits::default()
        },
        &mut out,
    );
    eqb(
        &out,
        b"GET / HTTP/1.1\r\nhost: h\r\nx-a: 1\r\nx-new: v\r\n\r\n",
    );
}

#[test]
fn h1_case_adjust() {
    let mut map = CaseMap::new();
    map.insert(b"Content-Length");
    map.insert(b"X-Custom-HDR");
    let sim = Sim {
        case_client: Some(map.clone()),
        case_server: Some(map),
        ..Sim::default()
    };
    let s = sim.run(
        b"POST / HTTP/1.1\r\nHost: h\r\ncontent-length: 2\r\nx-custom-hdr: 1\r\n\r\nab",
        b"HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 2\r\nX-CUSTOM-HDR: 2\r\n\r\nok",
    );
    eqb(
        &s.backend,
        b"POST / HTTP/1.1\r\nhost: h\r\nContent-Length: 2\r\nX-Custom-HDR: 1\r\n\r\nab",
    );
    eqb(
        &s.client,
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Custom-HDR: 2\r\n\r\nok",
    );
}

// --- streaming -----------------------------------------------------------------------------

/// Feeding a body in any slicing gives the same payload and the same end as feeding it
/// whole.
#[test]
fn decoder_is_slicing_independent() {
    let body = b"3;e=1\r\nabc\r\n0A\r\n0123456789\r\n1\nZ\n0\r\nT: v\r\n\r\nNEXT";
    let o = ParseOpts::default();
    for step in 1..body.len() {
        let mut d = BodyDecoder::new(Framing::Chunked, false, &o);
        let mut buf: Vec<u8> = Vec::new();
        let mut payload = Vec::new();
        let mut fed = 0;
        let mut trailers = None;
        loop {
            let ev = d.decode(&buf).unwrap();
            payload.extend_from_slice(&buf[ev.data.clone()]);
            if let Some(t) = ev.trailers.clone() {
                trailers = Some(buf[t].to_vec());
            }
            buf.drain(..ev.consumed);
            if ev.done {
                break;
            }
            if ev.consumed == 0 || buf.is_empty() {
                let n = step.min(body.len() - fed);
                assert!(n > 0, "step {step}: ran out of input");
                buf.extend_from_slice(&body[fed..fed + n]);
                fed += n;
            }
        }
        assert_eq!(payload, b"abc0123456789Z", "step {step}");
        assert_eq!(
            trailers.as_deref(),
            Some(&b"T: v\r\n\r\n"[..]),
            "step {step}"
        );
        let rest = [&buf[..], &body[fed..]].concat();
        assert_eq!(rest, b"NEXT", "step {step}");
    }
}

#[test]
fn content_length_decoder() {
    let o = ParseOpts::default();
    let mut d = BodyDecoder::new(Framing::ContentLength(5), true, &o);
    let ev = d.decode(b"hel").unwrap();
    assert_eq!((ev.consumed, ev.data, ev.done), (3, 0..3, false));
    assert_eq!(d.finish().unwrap_err().status, 502);
    let ev = d.decode(b"loGET").unwrap();
    assert_eq!((ev.consumed, ev.data, ev.done), (2, 0..2, true));
    assert!(d.finish().is_ok());
    let mut d = BodyDecoder::new(Framing::UntilClose, true, &o);
    assert_eq!(d.decode(b"abc").unwrap().data, 0..3);
    assert!(d.finish().is_ok());
}

#[test]
fn chunk_encoder() {
    let mut out = Vec::new();
    write_chunk(b"", &mut out);
    assert!(out.is_empty());
    chunk_start(0xABCDEF, &mut out);
    eqb(&out, b"ABCDEF\r\n");
    out.clear();
    write_chunk(&[b'x'; 16], &mut out);
    assert!(out.starts_with(b"10\r\nx"));
}

#[test]
fn partial_heads_wait() {
    let o = ParseOpts::default();
    let full = b"GET /p HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n";
    let mut r = ReqHead::default();
    for n in 0..full.len() {
        assert_eq!(
            parse_request(&full[..n], &o, &mut r),
            Ok(Status::Partial),
            "{n}"
        );
    }
    assert_eq!(
        parse_request(full, &o, &mut r),
        Ok(Status::Complete(full.len()))
    );
    // Errors show as soon as the offending byte arrives.
    assert_eq!(parse_request(b"GE(", &o, &mut r).unwrap_err().pos, 2);
    let full = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
    let mut s = RespHead::default();
    for n in 0..full.len() {
        assert_eq!(
            parse_response(&full[..n], Method::Get, &o, &mut s),
            Ok(Status::Partial),
            "{n}"
        );
    }
}

#[test]
fn more_captured_shapes() {
    // Content-Length: 0 beside Transfer-Encoding still counts as smuggling.
    let s = ka(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    eqb(
        &s.backend,
        b"POST / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert!(s.closed);
    fwd(
        b"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    // Host duplicates compare case-insensitively; the first spelling is kept.
    fwd(
        b"GET / HTTP/1.1\r\nHost: A\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nhost: A\r\n\r\n",
    );
    fwd(
        b"GET HTTP://A.COM/ HTTP/1.1\r\nHost: a.com\r\n\r\n",
        b"GET HTTP://A.COM/ HTTP/1.1\r\nhost: a.com\r\n\r\n",
    );
    // Interim responses reach HTTP/1.0 clients too.
    let s = Sim::default().run(
        b"GET / HTTP/1.0\r\n\r\n",
        b"HTTP/1.1 103 Early\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    eqb(
        &s.client,
        b"HTTP/1.1 103 Early\r\nlink: x\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
    );
}

/// Chunks that arrive in separate reads leave as separate chunks: the server received
/// `3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n` for reads `…3\r\nabc\r\n` / `2\r\nde\r\n` / `0\r\n\r\n`.
#[test]
fn one_chunk_per_read() {
    let mut d = BodyDecoder::new(Framing::Chunked, false, &ParseOpts::default());
    let mut out = Vec::new();
    for read in [&b"3\r\nabc\r\n"[..], b"2\r\nde\r\n", b"0\r\n\r\n"] {
        let mut pos = 0;
        let mut batch = Vec::new();
        loop {
            let ev = d.decode(&read[pos..]).unwrap();
            batch.extend_from_slice(&read[pos..][ev.data.clone()]);
            pos += ev.consumed;
            if ev.done {
                write_chunk(&batch, &mut out);
                write_last_chunk(read, d.trailers(), None, &mut out);
                batch.clear();
                break;
            }
            if ev.consumed == 0 || pos == read.len() {
                break;
            }
        }
        write_chunk(&batch, &mut out);
    }
    eqb(&out, b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
}

#[test]
fn response_head_size_limit() {
    // Same HTX budget as requests: the largest accepted response heads were 15273 bytes
    // ("200 OK", 2 headers) and 15193 ("200 Fine", 22 headers).
    let mk = |len: usize, reason: &str, extra: usize| {
        let mut r = format!("HTTP/1.1 200 {reason}\r\n").into_bytes();
        for i in 0..extra {
            r.extend_from_slice(format!("Y{i}: v\r\n").as_bytes());
        }
        r.extend_from_slice(b"Content-Length: 2\r\nX: ");
        let pad = len - r.len() - 4;
        r.resize(r.len() + pad, b'a');
        r.extend_from_slice(b"\r\n\r\nok");
        r
    };
    let o = ParseOpts::default();
    let mut s = RespHead::default();
    for (len, reason, extra) in [(15273, "OK", 0), (15193, "Fine", 20)] {
        let ok = mk(len, reason, extra);
        assert_eq!(
            parse_response(&ok, Method::Get, &o, &mut s),
            Ok(Status::Complete(len))
        );
        let e = parse_response(&mk(len + 1, reason, extra), Method::Get, &o, &mut s);
        assert_eq!(e.unwrap_err().status, 502);
    }
    let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..100 {
        many.extend_from_slice(format!("Y{i}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"Content-Length: 2\r\n\r\nok");
    resp(G, &many, b"<ERR 502>");
}
