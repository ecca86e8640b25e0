//! The HTTP messages as fetches see them and rules edit them.
//!
//! The engine parses heads into spans of its buffers; rules need to see their own edits
//! (`set-header X` then `acl { req.hdr(X) … }`), so each message is mirrored into an owned
//! view whose headers remember where they came from. The engine then writes the head from
//! the original bytes plus the differences ([`HeaderList::diff`]), so an unedited message
//! costs no rewrite.

/// Headers in order, each with its index in the parsed head (`None`: added by a rule).
#[derive(Debug, Clone, Default)]
pub struct HeaderList {
    pub list: Vec<(String, Vec<u8>)>,
    pub orig: Vec<Option<usize>>,
    /// Set when a header's value changed in place (its `orig` is kept).
    pub changed: Vec<bool>,
    /// A header was added or removed since the head was parsed.
    dirty: bool,
}

/// What rules changed, in terms of the parsed head: in-place replacements or removals by
/// original position, then headers to append.
#[derive(Debug, Default)]
pub struct HeaderDiff<'a> {
    pub replace: Vec<(usize, Option<&'a [u8]>)>,
    pub add: Vec<(&'a [u8], &'a [u8])>,
}

impl HeaderList {
    /// Empties the list, keeping the entries' allocations for the next message.
    pub fn clear(&mut self) {
        self.orig.clear();
        self.changed.clear();
        self.dirty = false;
    }

    /// Appends a header of the parsed head, reusing the previous message's allocations.
    pub fn push_orig(&mut self, pos: usize, name: &[u8], value: &[u8]) {
        let n = self.orig.len();
        if n == self.list.len() {
            self.list.push(Default::default());
        }
        let (nm, v) = &mut self.list[n];
        // HTX holds header names lower-cased: rules and fetches see them so.
        set_lossy(nm, name);
        nm.make_ascii_lowercase();
        v.clear();
        v.extend_from_slice(value);
        self.orig.push(Some(pos));
        self.changed.push(false);
    }

    /// Drops stale entries left from a longer previous message (after the `push_orig`s).
    pub fn finish(&mut self) {
        self.list.truncate(self.orig.len());
    }

    pub fn len(&self) -> usize {
        self.orig.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orig.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.list[..self.orig.len()]
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
    }

    /// Whether rules changed anything.
    pub fn edited(&self) -> bool {
        self.dirty || self.changed.iter().any(|&c| c)
    }

    pub fn add(&mut self, name: &str, value: Vec<u8>) {
        self.finish();
        // `htx_add_header()` stores names lower-cased.
        self.list.push((name.to_ascii_lowercase(), value));
        self.orig.push(None);
        self.changed.push(false);
        self.dirty = true;
    }

    /// Removes every header for which `f(name, value)` holds.
    pub fn remove_where(&mut self, mut f: impl FnMut(&str, &[u8]) -> bool) {
        self.finish();
        let mut i = 0;
        while i < self.list.len() {
            if f(&self.list[i].0, &self.list[i].1) {
                self.list.remove(i);
                self.orig.remove(i);
                self.changed.remove(i);
                self.dirty = true;
            } else {
                i += 1;
            }
        }
    }

    pub fn remove_named(&mut self, name: &str) {
        self.remove_where(|n, _| n.eq_ignore_ascii_case(name));
    }

    /// Replaces the value of header `i`.
    pub fn set_value(&mut self, i: usize, value: Vec<u8>) {
        if self.list[i].1 != value {
            self.list[i].1 = value;
            self.changed[i] = true;
        }
    }

    /// The edits to apply to the parsed head whose forwarded headers are `present` (their
    /// positions, in order).
    pub fn diff(&self, present: impl Iterator<Item = usize>) -> HeaderDiff<'_> {
        let mut d = HeaderDiff::default();
        let kept: Vec<usize> = self.orig.iter().flatten().copied().collect();
        for p in present {
            if !kept.contains(&p) {
                d.replace.push((p, None));
            }
        }
        for (i, o) in self.orig.iter().enumerate() {
            match o {
                Some(p) if self.changed[i] => d.replace.push((*p, Some(&self.list[i].1))),
                Some(_) => {}
                None => d.add.push((self.list[i].0.as_bytes(), &self.list[i].1)),
            }
        }
        d
    }

    /// Every value of header `name`, each comma-separated element being one value as
    /// HAProxy's `hdr()` sees it (`fhdr()`: whole lines), in order.
    pub fn values<'s: 'r, 'n: 'r, 'r>(
        &'s self,
        name: &'n str,
        split: bool,
    ) -> impl Iterator<Item = &'s [u8]> + 'r {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(move |(_, v)| Values::new(v, split))
    }
}

/// The values of one header line: comma-separated elements, or the whole trimmed line.
enum Values<'a> {
    Split(Commas<'a>),
    Whole(Option<&'a [u8]>),
}

impl<'a> Values<'a> {
    fn new(v: &'a [u8], split: bool) -> Values<'a> {
        if split {
            Values::Split(Commas { rest: Some(v) })
        } else {
            Values::Whole(Some(v.trim_ascii()))
        }
    }
}

impl<'a> Iterator for Values<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Values::Split(c) => c.next(),
            Values::Whole(v) => v.take(),
        }
    }
}

/// Iterator of [`split_commas`].
struct Commas<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for Commas<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let s = self.rest?;
        let mut q = false;
        let mut cut = None;
        for (i, &c) in s.iter().enumerate() {
            match c {
                b'"' => q = !q,
                b',' if !q => {
                    cut = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let (el, next) = match cut {
            Some(i) => (&s[..i], Some(&s[i + 1..])),
            None => (s, None),
        };
        self.rest = next;
        Some(el.trim_ascii())
    }
}

/// HAProxy's `http_find_header()` element split: commas outside double quotes, blanks
/// trimmed around each element.
pub fn split_commas(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    Commas { rest: Some(v) }
}

/// `*s = String::from_utf8_lossy(b)`, keeping `s`'s allocation.
pub fn set_lossy(s: &mut String, b: &[u8]) {
    s.clear();
    match std::str::from_utf8(b) {
        Ok(v) => s.push_str(v),
        Err(_) => s.push_str(&String::from_utf8_lossy(b)),
    }
}

/// A request: what ACLs, fetches and rules look at.
#[derive(Debug, Clone, Default)]
pub struct Req {
    pub method: String,
    /// The request target as sent (`/a/b?x=1`, or an absolute URI).
    pub uri: String,
    /// HTTP minor version: 0 or 1.
    pub minor: u8,
    pub headers: HeaderList,
    /// `set-method`/`set-uri`… changed the start line.
    pub start_changed: bool,
    /// Bytes of the head as received (`req.len`).
    pub head_len: usize,
}

impl Req {
    /// A request built by hand (tests, health checks).
    pub fn new(method: &str, uri: &str, headers: &[(&str, &str)]) -> Req {
        let mut r = Req {
            method: method.into(),
            uri: uri.into(),
            minor: 1,
            ..Default::default()
        };
        for (i, (n, v)) in headers.iter().enumerate() {
            r.headers.push_orig(i, n.as_bytes(), v.as_bytes());
        }
        r.headers.finish();
        r
    }

    /// HAProxy's `path`: the URI without query string, and without scheme/authority for
    /// absolute URIs.
    /// The head's size as HAProxy's `req.len` counts it in HTTP mode: the HTX message
    /// (a 20-byte start-line block with method, URI and version, each header's name and
    /// value, one byte of end-of-headers), not the bytes received.
    pub fn htx_size(&self) -> usize {
        const SL_BLOCK: usize = 20;
        const VERSION: usize = "HTTP/1.1".len();
        let headers: usize = self.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
        SL_BLOCK + self.method.len() + self.uri.len() + VERSION + headers + 1
    }

    pub fn path(&self) -> &str {
        let (p, _) = split_uri(&self.uri);
        p.split('?').next().unwrap_or("")
    }

    /// The path and query (`pathq`): the URI without scheme and authority.
    pub fn pathq(&self) -> &str {
        split_uri(&self.uri).0
    }

    /// Scheme and authority of an absolute URI (`http://h:80`), else "".
    pub fn authority_prefix(&self) -> &str {
        split_uri(&self.uri).1
    }

    pub fn query(&self) -> Option<&str> {
        self.pathq().split_once('?').map(|(_, q)| q)
    }

    /// Every value of `name` as owned strings (`split_commas`: as `hdr()` sees them).
    pub fn header_values(&self, name: &str, split_commas: bool) -> Vec<String> {
        self.headers
            .values(name, split_commas)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    /// True if a `Connection` header lists `token`.
    pub fn connection_has(&self, token: &str) -> bool {
        self.headers
            .values("connection", true)
            .any(|t| t.eq_ignore_ascii_case(token.as_bytes()))
    }
}

/// Splits an URI into (path-and-query, scheme-and-authority). Origin-form and `*` have no
/// authority; an absolute URI without a path has an empty path.
fn split_uri(u: &str) -> (&str, &str) {
    if u.starts_with('/') || u == "*" {
        return (u, "");
    }
    match u.find("://") {
        Some(i) => {
            let rest = &u[i + 3..];
            match rest.find(['/', '?']) {
                Some(j) => (&rest[j..], &u[..i + 3 + j]),
                None => ("", u),
            }
        }
        None => (u, ""),
    }
}

/// A response, for `http-response` rules and response fetches.
#[derive(Debug, Clone, Default)]
pub struct Resp {
    pub status: u16,
    pub reason: Vec<u8>,
    pub minor: u8,
    pub headers: HeaderList,
    /// `set-status` changed the status line.
    pub status_changed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_strips_query_and_authority() {
        let r = |u: &str| Req::new("GET", u, &[]);
        assert_eq!(r("/a/b?x=1").path(), "/a/b");
        assert_eq!(r("http://h:80/p?q").path(), "/p");
        assert_eq!(r("http://h:80/p?q").authority_prefix(), "http://h:80");
        assert_eq!(r("http://h").path(), "");
        assert_eq!(r("/a?x=1").query(), Some("x=1"));
    }

    #[test]
    fn edits_and_diff() {
        let mut r = Req::new("GET", "/", &[("Host", "a"), ("X", "1, 2"), ("Y", "y")]);
        assert!(!r.headers.edited());
        let v: Vec<&[u8]> = r.headers.values("x", true).collect();
        assert_eq!(v, vec![&b"1"[..], b"2"]);
        r.headers.remove_named("x");
        r.headers.add("Z", b"z".to_vec());
        r.headers.set_value(0, b"b".to_vec());
        assert!(r.headers.edited());
        let d = r.headers.diff(0..3);
        assert_eq!(d.replace, vec![(1, None), (0, Some(&b"b"[..]))]);
        assert_eq!(d.add, vec![(&b"z"[..], &b"z"[..])]);
    }

    #[test]
    fn removing_the_last_header_is_an_edit() {
        let mut r = Req::new("GET", "/", &[("A", "1"), ("B", "2")]);
        r.headers.remove_named("b");
        assert!(r.headers.edited());
        assert_eq!(r.headers.diff(0..2).replace, vec![(1, None)]);
    }

    #[test]
    fn quoted_commas() {
        let v: Vec<&[u8]> = split_commas(br#"a, "b,c" ,d"#).collect();
        assert_eq!(v, vec![&b"a"[..], br#""b,c""#, b"d"]);
    }
}
