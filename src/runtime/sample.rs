//! The request as rules see it, and the few sample fetches the quickstart runtime evaluates.

/// A parsed request head: what ACLs and log-format strings can look at.
#[derive(Debug, Clone, Default)]
pub struct Req {
    pub method: String,
    /// The request target as sent (`/a/b?x=1`, or an absolute URI).
    pub uri: String,
    /// HTTP minor version: 0 or 1.
    pub minor: u8,
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Req {
    /// HAProxy's `path`: the URI without query string, and without scheme/authority for
    /// absolute URIs.
    pub fn path(&self) -> &str {
        let mut u = self.uri.as_str();
        if let Some(i) = u.find("://") {
            let rest = &u[i + 3..];
            u = rest.find('/').map(|j| &rest[j..]).unwrap_or("");
        }
        u.split('?').next().unwrap_or("")
    }

    pub fn query(&self) -> Option<&str> {
        self.uri.split_once('?').map(|(_, q)| q)
    }

    /// Every value of header `name`; with `split_commas` each comma-separated element is one
    /// value, as HAProxy's `hdr()` sees it (`fhdr()` does not split).
    pub fn header_values(&self, name: &str, split_commas: bool) -> Vec<String> {
        let mut out = Vec::new();
        for (n, v) in &self.headers {
            if !n.eq_ignore_ascii_case(name) {
                continue;
            }
            let v = String::from_utf8_lossy(v);
            if split_commas {
                out.extend(v.split(',').map(|s| s.trim().to_string()));
            } else {
                out.push(v.trim().to_string());
            }
        }
        out
    }

    /// True if a `Connection` header lists `token`.
    pub fn connection_has(&self, token: &str) -> bool {
        self.header_values("connection", true)
            .iter()
            .any(|t| t.eq_ignore_ascii_case(token))
    }
}

/// A sample fetch the runtime knows how to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetch {
    Path,
    Url,
    Method,
    Query,
    /// `hdr(name)` / `req.hdr(name)`: comma-split values.
    Hdr(String),
    /// `req.fhdr(name)`: whole values.
    FHdr(String),
}

impl Fetch {
    /// Parses a fetch name as written in a config (`path`, `hdr(host)`, `req.hdr(host)`).
    pub fn parse(text: &str) -> Option<Fetch> {
        let (name, arg) = match text.split_once('(') {
            Some((n, rest)) => (n, Some(rest.strip_suffix(')')?)),
            None => (text, None),
        };
        Some(match (name, arg) {
            ("path", None) => Fetch::Path,
            ("url", None) => Fetch::Url,
            ("method", None) => Fetch::Method,
            ("query", None) => Fetch::Query,
            ("hdr" | "req.hdr", Some(a)) if !a.is_empty() => Fetch::Hdr(a.to_string()),
            ("fhdr" | "req.fhdr", Some(a)) if !a.is_empty() => Fetch::FHdr(a.to_string()),
            _ => return None,
        })
    }

    /// All values this fetch yields for `req` (several for repeated headers).
    pub fn values(&self, req: &Req) -> Vec<String> {
        match self {
            Fetch::Path => vec![req.path().to_string()],
            Fetch::Url => vec![req.uri.clone()],
            Fetch::Method => vec![req.method.clone()],
            Fetch::Query => req.query().map(|q| vec![q.to_string()]).unwrap_or_default(),
            Fetch::Hdr(n) => req.header_values(n, true),
            Fetch::FHdr(n) => req.header_values(n, false),
        }
    }
}

/// A piece of a log-format string (`lf-string`, `hdr` values of `http-request return`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    Fetch(Fetch),
}

/// Converts a log-format string compiled by the parser. `%[fetch]` with the fetches above
/// and no converter is evaluated; any other node (`%ci`, converters…) renders as HAProxy's
/// "-" for a missing value and is reported in the returned text.
pub fn from_logformat(lf: &crate::model::expr::LogFormat) -> (Vec<Piece>, Option<String>) {
    use crate::model::expr::{ArgValue, LfNode};
    let mut pieces = Vec::new();
    let mut unsupported = None;
    for node in &lf.nodes {
        let piece = match node {
            LfNode::Text(t) => Piece::Lit(t.clone()),
            LfNode::Separator => Piece::Lit(" ".into()),
            LfNode::Expr { expr, .. } => {
                let arg = match expr.args.first() {
                    Some(ArgValue::Str(a)) => format!("({a})"),
                    _ => String::new(),
                };
                match Fetch::parse(&format!("{}{arg}", expr.fetch)) {
                    Some(f) if expr.convs.is_empty() => Piece::Fetch(f),
                    _ => {
                        unsupported.get_or_insert_with(|| format!("%[{}…]", expr.fetch));
                        Piece::Lit("-".into())
                    }
                }
            }
            LfNode::Var { name, .. } => {
                unsupported.get_or_insert_with(|| format!("%{name}"));
                Piece::Lit("-".into())
            }
        };
        pieces.push(piece);
    }
    (pieces, unsupported)
}

/// Renders parsed log-format pieces for `req` (a fetch with no value renders as nothing,
/// a fetch with several values as the last one, as HAProxy's `hdr()` does in samples).
pub fn render(pieces: &[Piece], req: &Req) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Lit(l) => s.push_str(l),
            Piece::Fetch(f) => {
                if let Some(v) = f.values(req).pop() {
                    s.push_str(&v);
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str) -> Req {
        Req {
            method: "GET".into(),
            uri: uri.into(),
            minor: 1,
            headers: vec![
                ("Host".into(), b"example".to_vec()),
                ("Connection".into(), b"Keep-Alive, Upgrade".to_vec()),
            ],
        }
    }

    #[test]
    fn path_strips_query_and_authority() {
        assert_eq!(req("/a/b?x=1").path(), "/a/b");
        assert_eq!(req("http://h:80/p?q").path(), "/p");
        assert_eq!(req("http://h").path(), "");
        assert_eq!(req("/a?x=1").query(), Some("x=1"));
    }

    #[test]
    fn connection_tokens_are_case_insensitive() {
        assert!(req("/").connection_has("keep-alive"));
        assert!(req("/").connection_has("upgrade"));
        assert!(!req("/").connection_has("close"));
    }

    #[test]
    fn fetch_names() {
        assert_eq!(Fetch::parse("path"), Some(Fetch::Path));
        assert_eq!(
            Fetch::parse("req.hdr(host)"),
            Some(Fetch::Hdr("host".into()))
        );
        assert_eq!(Fetch::parse("hdr()"), None);
        assert_eq!(Fetch::parse("src"), None);
    }

    #[test]
    fn logformat_fetches_and_literals() {
        use crate::model::rules::{Action, ReplyBody};
        let rule = crate::runtime::testutil::first_rule(
            r#"return content-type text/plain lf-string "hi %[path] 100%% %[req.hdr(host)]""#,
        );
        let Action::Return(r) = rule.kind else {
            panic!("{:?}", rule.kind)
        };
        let ReplyBody::LogFormat(lf) = r.body else {
            panic!("{:?}", r.body)
        };
        let (p, bad) = from_logformat(&lf);
        assert!(bad.is_none(), "{bad:?}");
        assert_eq!(render(&p, &req("/x?y")), "hi /x 100% example");
    }
}
