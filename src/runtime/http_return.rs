//! Replies produced by the proxy itself: `http-request return`, `http-request deny` and the
//! error pages, rendered as HAProxy's H1 multiplexer writes them.

use super::errors::{self, ErrorTable, Loader, Page, Rendered};
use super::pages;
use crate::model::rules::{Reply as ModelReply, ReplyBody};
use crate::model::sections::HttpErrors;
use crate::sample::fetch::Txn;
use crate::sample::lf::Template;

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
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub reason: String,
    /// Extra headers (`hdr <name> <fmt>`), written first, names lower-cased.
    pub headers: Vec<(String, Template)>,
    pub content_type: Option<String>,
    /// Whether a `cache-control: no-cache` header follows content-length (error pages).
    pub no_cache: bool,
    pub body: Template,
    /// Where the message comes from: this template, or an error message.
    pub source: Source,
}

/// The kind of an HAProxy `http_reply`.
#[derive(Debug, Clone)]
pub enum Source {
    /// Status line and headers built from the rule's words (`HTTP_REPLY_EMPTY`, `_RAW`,
    /// `_LOGFMT`); the other fields of [`Reply`] describe it.
    Template,
    /// `deny`, `default-errorfiles` and the proxy's own errors (`HTTP_REPLY_ERRMSG` without
    /// a message): the page `http_error_message()` picks when it is sent, from the
    /// backend's and the frontend's `errorfile`s, for [`Reply::status`].
    Default,
    /// `errorfile <file>`, or the page of an `errorfiles <name>` section: sent as is.
    Page(Page),
}

impl Reply {
    /// A proxy-generated error: HAProxy's page for `status`, or the one the proxies
    /// override it with.
    pub fn error_page(status: u16) -> Reply {
        Reply {
            status,
            reason: pages::reason(status).to_string(),
            headers: Vec::new(),
            content_type: None,
            no_cache: false,
            body: Template::default(),
            source: Source::Default,
        }
    }

    /// Compiles the reply of a `return`/`deny` rule as the parser typed it, without
    /// `http-errors` sections. What the runtime cannot honour yet is pushed to `warnings`.
    pub fn from_model(r: &ModelReply, warnings: &mut Vec<String>) -> Reply {
        super::maps::with(|m| Reply::compile(r, &[], &mut Loader::new(0), m, warnings))
    }

    /// Compiles the reply of a `return`/`deny` rule: `errorfile` is loaded now, like
    /// HAProxy does while parsing, and `errorfiles <name>` is resolved against `sections`
    /// (`http_check_http_reply()`).
    pub fn compile(
        r: &ModelReply,
        sections: &[HttpErrors],
        loader: &mut Loader,
        maps: &mut crate::sample::map::MapCache,
        warnings: &mut Vec<String>,
    ) -> Reply {
        let headers = r
            .headers
            .iter()
            .map(|(n, lf)| (n.to_ascii_lowercase(), tpl(lf, maps, warnings)))
            .collect();
        let mut source = Source::Template;
        let body = match &r.body {
            ReplyBody::Empty => Template::default(),
            ReplyBody::Raw(b) => Template::text(b),
            ReplyBody::LogFormat(lf) => tpl(lf, maps, warnings),
            ReplyBody::DefaultErrorFiles => {
                source = Source::Default;
                Template::default()
            }
            ReplyBody::ErrorFile(path) => {
                source = loader
                    .file(path, warnings)
                    .map_or(Source::Default, Source::Page);
                Template::default()
            }
            ReplyBody::ErrorFiles(name) => {
                match sections.iter().find(|s| &s.name == name) {
                    // A status the section does not declare: HAProxy sends the status
                    // line with an empty payload (an unresolved `HTTP_REPLY_INDIRECT`).
                    Some(sec) => {
                        if let Some(p) = loader.section(sec, r.status, warnings) {
                            source = Source::Page(p);
                        }
                    }
                    // Refused by the configuration checker; keep the default page.
                    None => source = Source::Default,
                }
                Template::default()
            }
        };
        Reply {
            status: r.status,
            reason: pages::reason(r.status).to_string(),
            headers,
            content_type: r.content_type.clone(),
            no_cache: false,
            body,
            source,
        }
    }

    /// The bytes sent to the client, error pages taken from HAProxy's built-in ones.
    /// `head_only` (HEAD requests) keeps the headers.
    pub fn render(&self, t: &mut Txn<'_>, head_only: bool, conn: ConnHdr) -> Vec<u8> {
        self.send(t, head_only, conn, None, None).bytes
    }

    /// The reply as sent by a stream whose backend is `be` (`None`: none chosen yet) and
    /// frontend `fe`, with whether the client connection must then close (an error message
    /// may impose it, see [`errors`]).
    pub fn send(
        &self,
        t: &mut Txn<'_>,
        head_only: bool,
        conn: ConnHdr,
        be: Option<&ErrorTable>,
        fe: Option<&ErrorTable>,
    ) -> Rendered {
        match &self.source {
            Source::Template => Rendered {
                bytes: self.render_template(t, head_only, conn),
                close: conn == ConnHdr::Close,
            },
            Source::Default => errors::pick(be, fe, self.status).render(t, head_only, conn),
            Source::Page(p) => p.render(head_only, conn),
        }
    }

    fn render_template(&self, t: &mut Txn<'_>, head_only: bool, conn: ConnHdr) -> Vec<u8> {
        use std::io::Write as _;
        let body = self.body.render_vec(t);
        let mut out = Vec::with_capacity(128 + body.len());
        let _ = write!(out, "HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (n, v) in &self.headers {
            let mark = out.len();
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(b": ");
            let before = out.len();
            v.render(t, &crate::sample::lf::NoLogVars, &mut out);
            // `http_reply_to_htx()` leaves out a header whose value came out empty.
            if out.len() == before {
                out.truncate(mark);
                continue;
            }
            out.extend_from_slice(b"\r\n");
        }
        // HAProxy omits the length where a body is forbidden (204, 304).
        if !matches!(self.status, 204 | 304) {
            let _ = write!(out, "content-length: {}\r\n", body.len());
        }
        if self.no_cache {
            out.extend_from_slice(b"cache-control: no-cache\r\n");
        }
        if let Some(ct) = &self.content_type {
            let _ = write!(out, "content-type: {ct}\r\n");
        }
        match conn {
            ConnHdr::None => {}
            ConnHdr::KeepAlive => out.extend_from_slice(b"connection: keep-alive\r\n"),
            ConnHdr::Close => out.extend_from_slice(b"connection: close\r\n"),
        }
        out.extend_from_slice(b"\r\n");
        if !head_only && !matches!(self.status, 204 | 304) {
            out.extend_from_slice(&body);
        }
        out
    }
}

fn tpl(
    lf: &crate::model::expr::LogFormat,
    maps: &mut crate::sample::map::MapCache,
    warnings: &mut Vec<String>,
) -> Template {
    Template::compile(lf, maps, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::testutil::first_rule;
    use crate::sample::msg::Req;

    fn get(uri: &str) -> Req {
        Req::new("GET", uri, &[])
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
        let req = get("/lf");
        let mut vars = crate::sample::vars::Vars::default();
        let mut t = Txn::bare(&req, &mut vars);
        String::from_utf8(reply.render(&mut t, false, conn)).unwrap()
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
    fn client_address_variable() {
        let r = match first_rule(r#"return content-type text/plain lf-string "from %ci""#).kind {
            crate::model::rules::Action::Return(r) => r,
            k => panic!("{k:?}"),
        };
        let mut w = Vec::new();
        let reply = Reply::from_model(&r, &mut w);
        assert!(w.is_empty(), "{w:?}");
        let req = get("/");
        let mut vars = Default::default();
        let mut t = Txn::bare(&req, &mut vars);
        t.s.src = Some("10.1.2.3:5000".parse().unwrap());
        let out = String::from_utf8(reply.render(&mut t, false, ConnHdr::None)).unwrap();
        assert!(out.ends_with("\r\n\r\nfrom 10.1.2.3"), "{out}");
    }

    #[test]
    fn error_page_503_and_head() {
        let r = Reply::error_page(503);
        let full = String::from_utf8(r.render(
            &mut Txn::bare(&get("/"), &mut Default::default()),
            false,
            ConnHdr::Close,
        ))
        .unwrap();
        assert_eq!(full, "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n");
        let head = r.render(
            &mut Txn::bare(&get("/"), &mut Default::default()),
            true,
            ConnHdr::None,
        );
        assert!(head.ends_with(b"content-type: text/html\r\n\r\n"));
    }
}
