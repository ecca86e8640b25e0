//! HTTP/1.x request parsing and framing for one client connection, independent of sockets:
//! bytes in, responses out. Keeping it socket-free makes every case unit-testable.

use super::http_return::ConnHdr;
use super::pages;
use super::proxy::ProxyRt;
use super::sample::Req;

/// Largest request head accepted (`tune.bufsize` 16384 minus `tune.maxrewrite` 1024).
pub const MAX_HEAD: usize = 16384 - 1024;
/// HAProxy's default `tune.http.maxhdr`.
const MAX_HEADERS: usize = 101;
/// Stop parsing pipelined requests while this much output waits for the client.
const OUT_HIGH_WATER: usize = 64 * 1024;

/// Where we are in the request body that must be skipped before the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    None,
    Length(u64),
    /// Waiting for a chunk-size line.
    ChunkSize,
    /// Inside chunk data, counting the trailing CRLF.
    ChunkData(u64),
    /// After the last chunk: trailer lines until an empty one.
    Trailers,
}

/// The HTTP/1 state of one connection.
#[derive(Debug)]
pub struct H1 {
    pub inbuf: Vec<u8>,
    pub outbuf: Vec<u8>,
    body: Body,
    /// Close once `outbuf` is sent (HTTP/1.0, `Connection: close`, errors).
    pub close: bool,
    /// Requests answered so far.
    pub requests: u64,
}

impl Default for H1 {
    fn default() -> Self {
        H1::new()
    }
}

impl H1 {
    pub fn new() -> H1 {
        H1 {
            inbuf: Vec::new(),
            outbuf: Vec::new(),
            body: Body::None,
            close: false,
            requests: 0,
        }
    }

    /// True while a request (head or body) is partly received.
    pub fn mid_request(&self) -> bool {
        !self.inbuf.is_empty() || self.body != Body::None
    }

    /// Answers every complete request in `inbuf`, appending the responses to `outbuf`.
    pub fn process(&mut self, px: &ProxyRt) {
        while !self.close && self.outbuf.len() < OUT_HIGH_WATER {
            if !self.skip_body() || self.inbuf.is_empty() {
                return;
            }
            if !self.one_request(px) {
                return;
            }
        }
        if self.close {
            self.inbuf.clear();
        }
    }

    /// Sends HAProxy's raw 408 (timeout while a request was expected) and closes.
    pub fn request_timeout(&mut self) {
        self.fail(408);
    }

    fn fail(&mut self, status: u16) {
        self.outbuf.extend_from_slice(&pages::raw_mux_error(status));
        self.close = true;
        self.inbuf.clear();
    }

    /// Parses and answers one request head; false when more input is needed.
    fn one_request(&mut self, px: &ProxyRt) -> bool {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        // HAProxy tolerates several spaces between the request-line parts.
        let n = match httparse::ParserConfig::default()
            .allow_multiple_spaces_in_request_line_delimiters(true)
            .parse_request(&mut parsed, &self.inbuf)
        {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => {
                if self.inbuf.len() > MAX_HEAD {
                    self.fail(400);
                }
                return false;
            }
            Err(_) => {
                self.fail(400);
                return false;
            }
        };
        let req = Req {
            method: parsed.method.unwrap_or("").to_string(),
            uri: parsed.path.unwrap_or("").to_string(),
            minor: parsed.version.unwrap_or(1),
            headers: parsed
                .headers
                .iter()
                .map(|h| (h.name.to_string(), h.value.to_vec()))
                .collect(),
        };
        self.inbuf.drain(..n);
        let Some((body, force_close)) = framing(&req) else {
            self.fail(400);
            return false;
        };
        if !single_host(&req) {
            self.fail(400);
            return false;
        }
        let keep = !force_close
            && !px.httpclose
            && if req.minor == 0 {
                req.connection_has("keep-alive") && !req.connection_has("close")
            } else {
                !req.connection_has("close")
            };
        let conn = match (keep, req.minor) {
            (false, _) => ConnHdr::Close,
            (true, 0) => ConnHdr::KeepAlive,
            (true, _) => ConnHdr::None,
        };
        let reply = px.respond(&req);
        let head_only = req.method == "HEAD";
        let out = reply.send(&req, head_only, conn, None, Some(&px.errors));
        self.outbuf.extend_from_slice(&out.bytes);
        self.requests += 1;
        self.body = body;
        // An error message may close the connection (the 400 and 408 pages do).
        if !keep || out.close {
            self.close = true;
        }
        true
    }

    /// Consumes body bytes of the current request; true once the body is fully skipped.
    fn skip_body(&mut self) -> bool {
        loop {
            match self.body {
                Body::None => return true,
                Body::Length(left) => {
                    let take = left.min(self.inbuf.len() as u64);
                    self.inbuf.drain(..take as usize);
                    self.body = if take == left {
                        Body::None
                    } else {
                        Body::Length(left - take)
                    };
                    if self.body != Body::None {
                        return false;
                    }
                }
                Body::ChunkSize => match httparse::parse_chunk_size(&self.inbuf) {
                    Ok(httparse::Status::Complete((n, 0))) => {
                        self.inbuf.drain(..n);
                        self.body = Body::Trailers;
                    }
                    Ok(httparse::Status::Complete((n, size))) => {
                        self.inbuf.drain(..n);
                        self.body = Body::ChunkData(size + 2);
                    }
                    Ok(httparse::Status::Partial) => return false,
                    Err(_) => {
                        self.fail(400);
                        return false;
                    }
                },
                Body::ChunkData(left) => {
                    let take = left.min(self.inbuf.len() as u64);
                    self.inbuf.drain(..take as usize);
                    if take < left {
                        self.body = Body::ChunkData(left - take);
                        return false;
                    }
                    self.body = Body::ChunkSize;
                }
                Body::Trailers => {
                    let Some(eol) = self.inbuf.windows(2).position(|w| w == b"\r\n") else {
                        return false;
                    };
                    self.inbuf.drain(..eol + 2);
                    if eol == 0 {
                        self.body = Body::None;
                    }
                }
            }
        }
    }
}

/// The body framing of a request head, and whether the connection must close after the
/// response. `None` when HAProxy answers 400: conflicting or invalid `Content-Length`, a
/// `Transfer-Encoding` not ending with `chunked`. Like HAProxy, a chunked body sent with a
/// `Content-Length` (a smuggling attempt) or by an HTTP/1.0 client forces the close.
fn framing(req: &Req) -> Option<(Body, bool)> {
    let te = req.header_values("transfer-encoding", true);
    let cl = req.header_values("content-length", true);
    if !te.is_empty() {
        if !te.last()?.eq_ignore_ascii_case("chunked") {
            return None;
        }
        return Some((Body::ChunkSize, !cl.is_empty() || req.minor == 0));
    }
    let mut len: Option<u64> = None;
    for v in cl {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u64 = v.parse().ok()?;
        if len.is_some_and(|l| l != n) {
            return None;
        }
        len = Some(n);
    }
    let body = match len {
        Some(n) if n > 0 => Body::Length(n),
        _ => Body::None,
    };
    Some((body, false))
}

/// Several `Host` headers are accepted by HAProxy only when they are identical.
fn single_host(req: &Req) -> bool {
    let hosts = req.header_values("host", false);
    hosts.windows(2).all(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::testutil::listen;

    const HELLO: &str = "HTTP/1.1 200 OK\r\ncontent-length: 22\r\ncontent-type: text/plain\r\n\r\nHello from haproxy-rs\n";
    const P503: &str = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n";

    fn px() -> ProxyRt {
        let cfg = listen(&[
            r#"http-request return status 200 content-type text/plain string "Hello from haproxy-rs\n" if { path / }"#,
        ]);
        let p = cfg.proxies.iter().find(|p| p.name == "l").unwrap();
        ProxyRt::compile(&cfg, p, &mut Vec::new())
    }

    fn feed(input: &[u8]) -> (String, bool) {
        let mut h = H1::new();
        h.inbuf.extend_from_slice(input);
        h.process(&px());
        (String::from_utf8(h.outbuf).unwrap(), h.close)
    }

    #[test]
    fn keep_alive_and_pipelining() {
        let (out, close) =
            feed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(out, format!("{HELLO}{P503}"));
        assert!(!close);
    }

    #[test]
    fn http10_closes_unless_keep_alive() {
        let (out, close) = feed(b"GET / HTTP/1.0\r\n\r\n");
        assert!(out.contains("content-type: text/plain\r\nconnection: close\r\n\r\n"));
        assert!(close);
        let (out, close) = feed(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert!(out.contains("\r\nconnection: keep-alive\r\n\r\n"));
        assert!(!close);
        let (out, close) =
            feed(b"GET /x HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n");
        assert!(out.ends_with("content-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"));
        assert!(close);
    }

    #[test]
    fn malformed_gets_raw_400_and_close() {
        for bad in [
            &b"GARBAGE\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nbad header\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            b"GET / HTTP/1.1\r\n x: folded\r\n\r\n",
        ] {
            let (out, close) = feed(bad);
            assert_eq!(out.as_bytes(), pages::raw_mux_error(400), "{bad:?}");
            assert!(close);
        }
    }

    #[test]
    fn bodies_are_skipped() {
        let (out, _) =
            feed(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n\r\n");
        assert_eq!(out, format!("{HELLO}{HELLO}"));
        let (out, _) = feed(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\nGET / HTTP/1.1\r\n\r\n");
        assert_eq!(out, format!("{P503}{HELLO}"));
    }

    // Captured from HAProxy 2.6.12: chunked with Content-Length, or from an HTTP/1.0
    // client, is answered and then closed.
    #[test]
    fn smuggling_shapes_force_close() {
        let (out, close) = feed(b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n");
        assert!(close);
        assert!(
            out.ends_with("connection: close\r\n\r\nHello from haproxy-rs\n"),
            "{out}"
        );
        let (_, close) = feed(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\n");
        assert!(close);
        let (out, close) = feed(b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\nContent-Length: 0, 0\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n");
        assert_eq!(out, format!("{HELLO}{HELLO}"));
        assert!(!close);
        let (out, _) = feed(b"GET /  HTTP/1.1\r\n\r\n");
        assert_eq!(out, HELLO);
    }

    #[test]
    fn partial_input_waits() {
        let mut h = H1::new();
        let p = px();
        h.inbuf.extend_from_slice(b"GET / HTTP/1.1\r\nHo");
        h.process(&p);
        assert!(h.outbuf.is_empty() && h.mid_request());
        h.inbuf.extend_from_slice(b"st: x\r\n\r\n");
        h.process(&p);
        assert_eq!(String::from_utf8(h.outbuf.clone()).unwrap(), HELLO);
        assert!(!h.mid_request());
    }

    #[test]
    fn head_has_no_body_and_oversized_head_is_400() {
        let (out, _) = feed(b"HEAD / HTTP/1.1\r\n\r\n");
        assert_eq!(
            out,
            "HTTP/1.1 200 OK\r\ncontent-length: 22\r\ncontent-type: text/plain\r\n\r\n"
        );
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.resize(MAX_HEAD + 10, b'a');
        let (out, close) = feed(&big);
        assert!(out.starts_with("HTTP/1.1 400 Bad request\r\n") && close);
    }
}
