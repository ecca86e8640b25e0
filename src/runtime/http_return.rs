//! Replies produced by the proxy itself: `http-request return`, `http-request deny` and the
//! built-in error pages, rendered as HAProxy's H1 multiplexer writes them.

use super::pages;
use super::sample::{self, Piece, Req};

/// How the connection header of a reply must read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnHdr {
    /// HTTP/1.1 keep-alive: no header.
    None,
    /// HTTP/1.0 client that asked for keep-alive.
    KeepAlive,
    Close,
}

/// A reply template; headers and body may contain log-format fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub reason: String,
    /// Extra headers (`hdr <name> <fmt>`), written first, names lower-cased.
    pub headers: Vec<(String, Vec<Piece>)>,
    pub content_type: Option<String>,
    /// Whether a `cache-control: no-cache` header follows content-length (error pages).
    pub no_cache: bool,
    pub body: Vec<Piece>,
}

impl Reply {
    /// A built-in error page as the stream layer sends it (HTX: lower-case names).
    pub fn error_page(status: u16) -> Reply {
        let pg = pages::page(status).unwrap_or_else(|| pages::page(503).expect("503"));
        Reply {
            status: pg.status,
            reason: pg.reason.to_string(),
            headers: Vec::new(),
            content_type: Some("text/html".into()),
            no_cache: true,
            body: vec![Piece::Lit(pg.body.to_string())],
        }
    }

    /// Compiles the words after `return` (HAProxy's `http_parse_http_reply()` arguments).
    /// Arguments the runtime cannot honour are pushed to `warnings`.
    pub fn from_return_args(args: &[String], warnings: &mut Vec<String>) -> Reply {
        let mut status = 200u16;
        let mut ctype = None;
        let mut headers = Vec::new();
        let mut body: Option<Vec<Piece>> = None;
        let mut default_errorfiles = false;
        let mut i = 0;
        let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
        while i < args.len() {
            // Most keywords take one value; flags take none and `hdr` takes two.
            let mut step = 2;
            match args[i].as_str() {
                "status" => status = arg(i + 1).parse().unwrap_or(200),
                "content-type" => ctype = Some(arg(i + 1)),
                "string" => body = Some(vec![Piece::Lit(arg(i + 1))]),
                "lf-string" => body = Some(logformat(&arg(i + 1), warnings)),
                "file" | "lf-file" => body = Some(file_body(&arg(i + 1), warnings)),
                "hdr" => {
                    headers.push((
                        arg(i + 1).to_ascii_lowercase(),
                        logformat(&arg(i + 2), warnings),
                    ));
                    step = 3;
                }
                "default-errorfiles" => {
                    default_errorfiles = true;
                    step = 1;
                }
                "errorfile" | "errorfiles" => {
                    warnings.push(format!(
                        "'return {}' is not served by the haproxy-rs runtime yet; using the built-in page",
                        args[i]
                    ));
                    default_errorfiles = true;
                }
                _ => step = 1,
            }
            i += step;
        }
        if body.is_none() && default_errorfiles && pages::page(status).is_some() {
            let mut r = Reply::error_page(status);
            r.headers = headers;
            return r;
        }
        Reply {
            status,
            reason: pages::reason(status).to_string(),
            headers,
            content_type: ctype,
            no_cache: false,
            body: body.unwrap_or_default(),
        }
    }

    /// The bytes sent to the client. `head_only` (HEAD requests) keeps the headers.
    pub fn render(&self, req: &Req, head_only: bool, conn: ConnHdr) -> Vec<u8> {
        let body = sample::render(&self.body, req);
        let mut s = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (n, v) in &self.headers {
            s.push_str(&format!("{n}: {}\r\n", sample::render(v, req)));
        }
        // HAProxy omits the length where a body is forbidden (204, 304).
        if !matches!(self.status, 204 | 304) {
            s.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        if self.no_cache {
            s.push_str("cache-control: no-cache\r\n");
        }
        if let Some(ct) = &self.content_type {
            s.push_str(&format!("content-type: {ct}\r\n"));
        }
        match conn {
            ConnHdr::None => {}
            ConnHdr::KeepAlive => s.push_str("connection: keep-alive\r\n"),
            ConnHdr::Close => s.push_str("connection: close\r\n"),
        }
        s.push_str("\r\n");
        let mut out = s.into_bytes();
        if !head_only && !matches!(self.status, 204 | 304) {
            out.extend_from_slice(body.as_bytes());
        }
        out
    }
}

fn logformat(fmt: &str, warnings: &mut Vec<String>) -> Vec<Piece> {
    let (pieces, bad) = sample::parse_logformat(fmt);
    if let Some(b) = bad {
        warnings.push(format!(
            "log-format element '{b}' is not evaluated by the haproxy-rs runtime yet; sent literally"
        ));
    }
    pieces
}

fn file_body(path: &str, warnings: &mut Vec<String>) -> Vec<Piece> {
    match std::fs::read(path) {
        Ok(b) => vec![Piece::Lit(String::from_utf8_lossy(&b).into_owned())],
        Err(e) => {
            warnings.push(format!("cannot read '{path}': {e}"));
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    fn get(uri: &str) -> Req {
        Req {
            method: "GET".into(),
            uri: uri.into(),
            minor: 1,
            headers: Vec::new(),
        }
    }

    fn render(a: &[&str], conn: ConnHdr) -> String {
        let mut w = Vec::new();
        let r = Reply::from_return_args(&args(a), &mut w);
        assert!(w.is_empty(), "{w:?}");
        String::from_utf8(r.render(&get("/lf"), false, conn)).unwrap()
    }

    // Expected bytes below were captured from HAProxy 2.6.12.
    #[test]
    fn return_string_matches_haproxy() {
        let a = [
            "status",
            "200",
            "content-type",
            "text/plain",
            "string",
            "Hello from haproxy-rs\n",
        ];
        assert_eq!(
            render(&a, ConnHdr::None),
            "HTTP/1.1 200 OK\r\ncontent-length: 22\r\ncontent-type: text/plain\r\n\r\nHello from haproxy-rs\n"
        );
        assert_eq!(
            render(&a, ConnHdr::Close),
            "HTTP/1.1 200 OK\r\ncontent-length: 22\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nHello from haproxy-rs\n"
        );
    }

    #[test]
    fn return_headers_come_first() {
        let a = [
            "status",
            "404",
            "content-type",
            "text/plain; charset=utf-8",
            "hdr",
            "X-Foo",
            "bar",
            "hdr",
            "x-two",
            "a b",
            "string",
            "nf",
        ];
        assert_eq!(
            render(&a, ConnHdr::None),
            "HTTP/1.1 404 Not Found\r\nx-foo: bar\r\nx-two: a b\r\ncontent-length: 2\r\ncontent-type: text/plain; charset=utf-8\r\n\r\nnf"
        );
    }

    #[test]
    fn return_without_payload() {
        assert_eq!(
            render(&[], ConnHdr::None),
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
        );
        assert_eq!(
            render(&["status", "204"], ConnHdr::None),
            "HTTP/1.1 204 No Content\r\n\r\n"
        );
        assert_eq!(
            render(&["status", "503"], ConnHdr::None),
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"
        );
        assert!(render(&["status", "404", "default-errorfiles"], ConnHdr::None)
            .starts_with("HTTP/1.1 404 Not Found\r\ncontent-length: 83\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html>"));
    }

    #[test]
    fn lf_string_evaluates_path() {
        let a = [
            "status",
            "200",
            "content-type",
            "text/plain",
            "lf-string",
            "hi %[path]",
        ];
        assert!(render(&a, ConnHdr::None)
            .ends_with("content-length: 6\r\ncontent-type: text/plain\r\n\r\nhi /lf"));
    }

    #[test]
    fn error_page_503_and_head() {
        let r = Reply::error_page(503);
        let full = String::from_utf8(r.render(&get("/"), false, ConnHdr::Close)).unwrap();
        assert_eq!(full, "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n");
        let head = r.render(&get("/"), true, ConnHdr::None);
        assert!(head.ends_with(b"content-type: text/html\r\n\r\n"));
    }
}
