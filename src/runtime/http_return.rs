//! Replies produced by the proxy itself: `http-request return`, `http-request deny` and the
//! built-in error pages, rendered as HAProxy's H1 multiplexer writes them.

use super::pages;
use super::sample::{self, Piece, Req};
use crate::model::expr::LogFormat;
use crate::model::rules::{Reply as ModelReply, ReplyBody};

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

    /// Compiles the reply of a `return`/`deny` rule as the parser typed it. What the
    /// runtime cannot honour yet is pushed to `warnings`.
    pub fn from_model(r: &ModelReply, warnings: &mut Vec<String>) -> Reply {
        let headers = r
            .headers
            .iter()
            .map(|(n, lf)| (n.to_ascii_lowercase(), pieces(lf, warnings)))
            .collect();
        let body = match &r.body {
            ReplyBody::Empty => Vec::new(),
            ReplyBody::Raw(b) => vec![Piece::Lit(String::from_utf8_lossy(b).into_owned())],
            ReplyBody::LogFormat(lf) => pieces(lf, warnings),
            ReplyBody::ErrorFile(_) | ReplyBody::ErrorFiles(_) | ReplyBody::DefaultErrorFiles => {
                if !matches!(r.body, ReplyBody::DefaultErrorFiles) {
                    warnings.push(
                        "'errorfile'/'errorfiles' replies are not served by the haproxy-rs runtime yet; using the built-in page".into(),
                    );
                }
                if pages::page(r.status).is_some() {
                    let mut page = Reply::error_page(r.status);
                    page.headers = headers;
                    return page;
                }
                Vec::new()
            }
        };
        Reply {
            status: r.status,
            reason: pages::reason(r.status).to_string(),
            headers,
            content_type: r.content_type.clone(),
            no_cache: false,
            body,
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

fn pieces(lf: &LogFormat, warnings: &mut Vec<String>) -> Vec<Piece> {
    let (pieces, bad) = sample::from_logformat(lf);
    if let Some(b) = bad {
        warnings.push(format!(
            "log-format element '{b}' is not evaluated by the haproxy-rs runtime yet; sent as '-'"
        ));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::testutil::first_rule;

    fn get(uri: &str) -> Req {
        Req {
            method: "GET".into(),
            uri: uri.into(),
            minor: 1,
            headers: Vec::new(),
        }
    }

    /// The reply of `http-request <rule>` as parsed from a real configuration line.
    fn render(rule: &str, conn: ConnHdr) -> String {
        let r = match first_rule(rule).kind {
            crate::model::rules::Action::Return(r) | crate::model::rules::Action::Deny(r) => r,
            k => panic!("not a reply: {k:?}"),
        };
        let mut w = Vec::new();
        let reply = Reply::from_model(&r, &mut w);
        assert!(w.is_empty(), "{w:?}");
        String::from_utf8(reply.render(&get("/lf"), false, conn)).unwrap()
    }

    // Expected bytes below were captured from HAProxy 2.6.12.
    #[test]
    fn return_string_matches_haproxy() {
        let r = r#"return status 200 content-type text/plain string "Hello from haproxy-rs\n""#;
        assert_eq!(
            render(r, ConnHdr::None),
            "HTTP/1.1 200 OK\r\ncontent-length: 22\r\ncontent-type: text/plain\r\n\r\nHello from haproxy-rs\n"
        );
        assert_eq!(
            render(r, ConnHdr::Close),
            "HTTP/1.1 200 OK\r\ncontent-length: 22\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nHello from haproxy-rs\n"
        );
    }

    #[test]
    fn return_headers_come_first() {
        let r = r#"return status 404 content-type "text/plain; charset=utf-8" hdr X-Foo bar hdr x-two "a b" string nf"#;
        assert_eq!(
            render(r, ConnHdr::None),
            "HTTP/1.1 404 Not Found\r\nx-foo: bar\r\nx-two: a b\r\ncontent-length: 2\r\ncontent-type: text/plain; charset=utf-8\r\n\r\nnf"
        );
    }

    #[test]
    fn return_without_payload() {
        assert_eq!(
            render("return", ConnHdr::None),
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
        );
        assert_eq!(
            render("return status 204", ConnHdr::None),
            "HTTP/1.1 204 No Content\r\n\r\n"
        );
        assert_eq!(
            render("return status 503", ConnHdr::None),
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"
        );
        assert!(render("return status 404 default-errorfiles", ConnHdr::None)
            .starts_with("HTTP/1.1 404 Not Found\r\ncontent-length: 83\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html>"));
    }

    #[test]
    fn deny_uses_the_error_page_of_its_status() {
        assert!(render("deny", ConnHdr::None).starts_with(
            "HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\n"
        ));
        assert!(render("deny deny_status 429", ConnHdr::None)
            .starts_with("HTTP/1.1 429 Too Many Requests\r\ncontent-length: 117\r\n"));
    }

    #[test]
    fn lf_string_evaluates_path() {
        let r = r#"return status 200 content-type text/plain lf-string "hi %[path]""#;
        assert!(render(r, ConnHdr::None)
            .ends_with("content-length: 6\r\ncontent-type: text/plain\r\n\r\nhi /lf"));
    }

    #[test]
    fn unsupported_logformat_is_reported() {
        let r = match first_rule(r#"return content-type text/plain lf-string "from %ci""#).kind {
            crate::model::rules::Action::Return(r) => r,
            k => panic!("{k:?}"),
        };
        let mut w = Vec::new();
        let reply = Reply::from_model(&r, &mut w);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            String::from_utf8(reply.render(&get("/"), false, ConnHdr::None))
                .unwrap()
                .ends_with("\r\n\r\nfrom -")
        );
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
