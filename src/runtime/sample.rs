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

/// Parses a log-format string. Only literal text, `%%` and `%[fetch]` with the fetches above
/// are evaluated; anything else is kept literally and reported in the returned warnings.
pub fn parse_logformat(fmt: &str) -> (Vec<Piece>, Option<String>) {
    let mut pieces = Vec::new();
    let mut lit = String::new();
    let mut unsupported = None;
    let mut rest = fmt;
    while let Some(i) = rest.find('%') {
        lit.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(a) = after.strip_prefix('%') {
            lit.push('%');
            rest = a;
            continue;
        }
        if let Some(body) = after.strip_prefix('[') {
            if let Some(end) = body.find(']') {
                if let Some(f) = Fetch::parse(&body[..end]) {
                    if !lit.is_empty() {
                        pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                    }
                    pieces.push(Piece::Fetch(f));
                    rest = &body[end + 1..];
                    continue;
                }
            }
        }
        unsupported.get_or_insert_with(|| rest[i..].to_string());
        lit.push('%');
        rest = after;
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        pieces.push(Piece::Lit(lit));
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
    fn logformat_literal_percent_and_fetches() {
        let (p, bad) = parse_logformat("hi %[path] 100%% %[hdr(host)]");
        assert!(bad.is_none());
        assert_eq!(render(&p, &req("/x?y")), "hi /x 100% example");
        let (p, bad) = parse_logformat("from %ci");
        assert_eq!(bad.as_deref(), Some("%ci"));
        assert_eq!(render(&p, &req("/")), "from %ci");
    }
}
