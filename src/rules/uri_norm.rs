//! `http-request normalize-uri <normalizer>` (HAProxy's `uri_normalizer.c`).

/// One normalizer with its option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalizer {
    MergeSlashes,
    StripDot,
    StripDotdot { full: bool },
    PercentDecodeUnreserved { strict: bool },
    PercentToUppercase { strict: bool },
    QuerySortByName,
    FragmentStrip,
    FragmentEncode,
}

impl Normalizer {
    /// From the rule's words (`path-strip-dotdot full`…).
    pub fn parse(args: &[String]) -> Result<Normalizer, String> {
        let opt = args.get(1).map(String::as_str);
        Ok(match args.first().map(String::as_str).unwrap_or("") {
            "path-merge-slashes" => Normalizer::MergeSlashes,
            "path-strip-dot" => Normalizer::StripDot,
            "path-strip-dotdot" => Normalizer::StripDotdot {
                full: opt == Some("full"),
            },
            "percent-decode-unreserved" => Normalizer::PercentDecodeUnreserved {
                strict: opt == Some("strict"),
            },
            "percent-to-uppercase" => Normalizer::PercentToUppercase {
                strict: opt == Some("strict"),
            },
            "query-sort-by-name" => Normalizer::QuerySortByName,
            "fragment-strip" => Normalizer::FragmentStrip,
            "fragment-encode" => Normalizer::FragmentEncode,
            n => return Err(format!("normalizer '{n}'")),
        })
    }

    /// The normalized URI; `None`: the URI is invalid for a strict normalizer (HAProxy
    /// then answers 400).
    pub fn apply(&self, uri: &str) -> Option<String> {
        let (auth, rest) = split_authority(uri);
        let (pq, frag) = match rest.find('#') {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        let (path, query) = match pq.find('?') {
            Some(i) => (&pq[..i], Some(&pq[i + 1..])),
            None => (pq, None),
        };
        let mut path = path.to_string();
        let mut query = query.map(str::to_string);
        let mut frag = frag.map(str::to_string);
        match *self {
            Normalizer::MergeSlashes => {
                let mut out = String::with_capacity(path.len());
                for c in path.chars() {
                    if c == '/' && out.ends_with('/') {
                        continue;
                    }
                    out.push(c);
                }
                path = out;
            }
            Normalizer::StripDot => path = strip_dot(&path),
            Normalizer::StripDotdot { full } => path = strip_dotdot(&path, full),
            Normalizer::PercentDecodeUnreserved { strict } => {
                path = percent(&path, strict, true)?;
                if let Some(q) = &query {
                    query = Some(percent(q, strict, true)?);
                }
            }
            Normalizer::PercentToUppercase { strict } => {
                path = percent(&path, strict, false)?;
                if let Some(q) = &query {
                    query = Some(percent(q, strict, false)?);
                }
            }
            Normalizer::QuerySortByName => {
                if let Some(q) = &query {
                    let mut parts: Vec<&str> = q.split('&').collect();
                    parts.sort_by(|a, b| {
                        let n = |s: &str| s.split('=').next().unwrap_or("").to_string();
                        n(a).cmp(&n(b))
                    });
                    query = Some(parts.join("&"));
                }
            }
            Normalizer::FragmentStrip => frag = None,
            Normalizer::FragmentEncode => {
                if let Some(f) = frag.take() {
                    path = match &query {
                        Some(_) => path,
                        None => format!("{path}%23{}", &f[1..].replace('#', "%23")),
                    };
                    if let Some(q) = &query {
                        query = Some(format!("{q}%23{}", &f[1..].replace('#', "%23")));
                    }
                }
            }
        }
        let mut out = String::with_capacity(uri.len());
        out.push_str(auth);
        out.push_str(&path);
        if let Some(q) = query {
            out.push('?');
            out.push_str(&q);
        }
        if let Some(f) = frag {
            out.push_str(&f);
        }
        Some(out)
    }
}

fn split_authority(u: &str) -> (&str, &str) {
    if u.starts_with('/') {
        return ("", u);
    }
    match u.find("://") {
        Some(i) => {
            let rest = &u[i + 3..];
            let j = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            u.split_at(i + 3 + j)
        }
        None => ("", u),
    }
}

/// Removes `.` segments.
fn strip_dot(p: &str) -> String {
    let segs: Vec<&str> = p.split('/').collect();
    let n = segs.len();
    let mut out: Vec<&str> = Vec::with_capacity(n);
    for (i, s) in segs.iter().enumerate() {
        if *s == "." && i > 0 {
            // A trailing `.` leaves the directory's slash.
            if i == n - 1 {
                out.push("");
            }
            continue;
        }
        out.push(s);
    }
    out.join("/")
}

/// Removes `..` segments with the segment before them (`full`: also `..` at the root).
fn strip_dotdot(p: &str, full: bool) -> String {
    let segs: Vec<&str> = p.split('/').collect();
    let n = segs.len();
    let mut out: Vec<&str> = Vec::with_capacity(n);
    for (i, s) in segs.iter().enumerate() {
        if *s == ".." && i > 0 {
            if out.len() > 1 {
                out.pop();
            } else if !full {
                out.push(s);
                continue;
            }
            if i == n - 1 {
                out.push("");
            }
            continue;
        }
        out.push(s);
    }
    out.join("/")
}

fn percent(s: &str, strict: bool, decode: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
            match hex {
                Some(h) => {
                    let v = u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()?;
                    let unreserved = v.is_ascii_alphanumeric() || b"-._~".contains(&v);
                    if decode && unreserved {
                        out.push(v);
                    } else if decode {
                        out.extend_from_slice(&b[i..i + 3]);
                    } else {
                        out.push(b'%');
                        out.extend(h.iter().map(u8::to_ascii_uppercase));
                    }
                    i += 3;
                    continue;
                }
                None if strict => return None,
                None => {}
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(words: &[&str], uri: &str) -> Option<String> {
        let w: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        Normalizer::parse(&w).unwrap().apply(uri)
    }

    #[test]
    fn documented_examples() {
        assert_eq!(n(&["path-merge-slashes"], "//a///b").unwrap(), "/a/b");
        assert_eq!(n(&["path-strip-dot"], "/a/./b/.").unwrap(), "/a/b/");
        assert_eq!(n(&["path-strip-dotdot"], "/a/b/../c").unwrap(), "/a/c");
        assert_eq!(n(&["path-strip-dotdot"], "/../a").unwrap(), "/../a");
        assert_eq!(n(&["path-strip-dotdot", "full"], "/../a").unwrap(), "/a");
        assert_eq!(n(&["percent-to-uppercase"], "/%2f%3a").unwrap(), "/%2F%3A");
        assert_eq!(
            n(&["percent-decode-unreserved"], "/%61%2F").unwrap(),
            "/a%2F"
        );
        assert_eq!(n(&["percent-to-uppercase", "strict"], "/%zz"), None);
        assert_eq!(
            n(&["query-sort-by-name"], "/?b=1&a=2&a=1").unwrap(),
            "/?a=2&a=1&b=1"
        );
        assert_eq!(n(&["fragment-strip"], "/a#x").unwrap(), "/a");
        assert_eq!(n(&["fragment-encode"], "/a#x").unwrap(), "/a%23x");
    }
}
