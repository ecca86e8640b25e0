//! Request-line rewriting (`set-path`, `set-query`, `replace-uri`…) and regex replacement
//! with `\N` back-references as HAProxy's `exp_replace()` does.

use regex::bytes::Regex;

/// Splits an URI into (scheme-and-authority, path, query-with-'?').
fn parts(uri: &str) -> (&str, &str, &str) {
    let (auth, pq) = if uri.starts_with('/') || uri == "*" {
        ("", uri)
    } else if let Some(i) = uri.find("://") {
        let rest = &uri[i + 3..];
        match rest.find(['/', '?']) {
            Some(j) => (&uri[..i + 3 + j], &rest[j..]),
            None => (uri, ""),
        }
    } else {
        ("", uri)
    };
    match pq.find('?') {
        Some(q) => (auth, &pq[..q], &pq[q..]),
        None => (auth, pq, ""),
    }
}

/// `set-path`: the query string and authority stay.
pub fn set_path(uri: &str, path: &str) -> String {
    let (a, _, q) = parts(uri);
    format!("{a}{path}{q}")
}

/// `set-pathq`: path and query replaced, authority kept.
pub fn set_pathq(uri: &str, pq: &str) -> String {
    let (a, _, _) = parts(uri);
    format!("{a}{pq}")
}

/// `set-query`: the part after `?` (the `?` stays even for an empty query, as HAProxy's
/// `http_replace_req_query()`).
pub fn set_query(uri: &str, q: &str) -> String {
    let (a, p, _) = parts(uri);
    let q = q.strip_prefix('?').unwrap_or(q);
    format!("{a}{p}?{q}")
}

pub fn path(uri: &str) -> &str {
    parts(uri).1
}

pub fn pathq(uri: &str) -> &str {
    let (a, _, _) = parts(uri);
    &uri[a.len()..]
}

/// `exp_replace()`: `fmt` with `\0`…`\9` replaced by the groups of the first match of `re`
/// in `input`; `None` when it does not match. The whole input is replaced.
pub fn regex_replace(re: &Regex, input: &[u8], fmt: &[u8]) -> Option<Vec<u8>> {
    let caps = re.captures(input)?;
    let mut out = Vec::with_capacity(fmt.len() + input.len());
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        if c == b'\\' && i + 1 < fmt.len() {
            let n = fmt[i + 1];
            if n.is_ascii_digit() {
                if let Some(m) = caps.get((n - b'0') as usize) {
                    out.extend_from_slice(m.as_bytes());
                }
                i += 2;
                continue;
            }
            // `\\` and any other escaped byte: the byte itself.
            out.push(n);
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_parts() {
        assert_eq!(set_path("/a/b?x=1", "/c"), "/c?x=1");
        assert_eq!(set_path("http://h:8/a?x", "/c"), "http://h:8/c?x");
        assert_eq!(set_pathq("http://h/a?x", "/c?y"), "http://h/c?y");
        assert_eq!(set_query("/a?x", "y=2"), "/a?y=2");
        assert_eq!(set_query("/a", "y=2"), "/a?y=2");
        assert_eq!(path("/a?b"), "/a");
        assert_eq!(pathq("http://h/a?b"), "/a?b");
    }

    #[test]
    fn backrefs() {
        let re = Regex::new("^/foo/(.*)").unwrap();
        assert_eq!(
            regex_replace(&re, b"/foo/bar", b"/x/\\1").unwrap(),
            b"/x/bar"
        );
        assert!(regex_replace(&re, b"/bar", b"/x").is_none());
    }
}
