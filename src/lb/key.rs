//! Hash-key extraction, reproducing what `get_server_uh/ph/ph_post/hh/sh` in HAProxy's
//! `backend.c` feed to the hash function. Each helper returns the exact bytes hashed;
//! `None` means "parameter absent", which makes HAProxy fall back to round robin.

/// `balance uri [whole] [len <n>] [depth <n>] [path-only]`: the bytes of `uri` (the
/// request-line target) that are hashed. Hashing stops at the first `?` unless `whole`,
/// after `len` characters when `len > 0`, and before the `depth+1`-th `/` when
/// `depth > 0`. With `path_only` the scheme and authority of an absolute URI are skipped.
pub fn uri_key(uri: &[u8], whole: bool, len: usize, depth: usize, path_only: bool) -> &[u8] {
    let uri = if path_only { uri_path(uri) } else { uri };
    let mut n = uri.len();
    if len > 0 {
        n = n.min(len);
    }
    // HAProxy stores depth + 1 and stops when that many '/' were seen.
    let stop_slashes = if depth > 0 { depth + 1 } else { 0 };
    let mut slashes = 0;
    let mut end = 0;
    while end < n {
        let c = uri[end];
        if c == b'/' {
            slashes += 1;
            if slashes == stop_slashes {
                break;
            }
        } else if c == b'?' && !whole {
            break;
        }
        end += 1;
    }
    &uri[..end]
}

/// `http_parse_path()`: the path (with its query string) of an origin-form or absolute
/// URI; empty for `*`, authority-form and absolute URIs without a path.
pub fn uri_path(uri: &[u8]) -> &[u8] {
    if uri.is_empty() || uri == b"*" || uri[0] == b'/' {
        return if uri == b"*" { &[] } else { uri };
    }
    let Some(p) = uri.windows(3).position(|w| w == b"://") else {
        return &[];
    };
    let rest = &uri[p + 3..];
    match rest.iter().position(|&c| c == b'/') {
        Some(s) => &rest[s..],
        None => &[],
    }
}

/// `balance url_param <name>`: the value of the first `name=` parameter in the query
/// string of `uri` (everything after the first `?`), up to the next `&`.
pub fn url_param_key<'a>(uri: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let q = uri.iter().position(|&c| c == b'?')?;
    param_in(&uri[q + 1..], name, false)
}

/// `balance url_param <name> check_post`: the same search in a POST body (the first data
/// block HAProxy has); a value containing non-token characters disqualifies the body,
/// linear white space ends the value.
pub fn url_param_post_key<'a>(body: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    param_in(body, name, true)
}

fn param_in<'a>(params: &'a [u8], name: &[u8], post: bool) -> Option<&'a [u8]> {
    let plen = name.len();
    let mut pos = 0;
    while params.len() - pos > plen {
        let p = &params[pos..];
        if p[plen] == b'=' && &p[..plen] == name {
            let v = &p[plen + 1..];
            let mut end = 0;
            while end < v.len() && v[end] != b'&' {
                if post {
                    // HAProxy tests the first value character (it checks `*p`, not
                    // `*end`) on every iteration.
                    let c = v[0];
                    if !is_token(c) {
                        if c == b' ' || c == b'\t' || c == b'\r' || c == b'\n' {
                            break;
                        }
                        return None;
                    }
                }
                end += 1;
            }
            return Some(&v[..end]);
        }
        let amp = p.iter().position(|&c| c == b'&')?;
        pos += amp + 1;
    }
    None
}

fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// `balance hdr(<name>) [use_domain_only]`: `value` is the header's first value (HAProxy's
/// `http_find_header` stops at the first comma; empty → round robin, `None` here). With
/// `use_domain_only`, only the label before the last dot is hashed (`www.example.com` →
/// `example`; without a dot the whole value).
pub fn hdr_key(value: &[u8], use_domain_only: bool) -> Option<&[u8]> {
    if value.is_empty() {
        return None;
    }
    if !use_domain_only {
        return Some(value);
    }
    // Port of the backwards scan in get_server_hh(); `p` starts one past the end, where
    // HAProxy reads the byte following the value (never a dot in practice).
    let at = |i: usize| value.get(i).copied().unwrap_or(0);
    let mut p = value.len();
    let mut len = value.len();
    let mut end = p;
    let mut dohash = false;
    while len > 0 {
        if dohash {
            if at(p - 1) == b'.' {
                break;
            }
        } else if at(p) == b'.' {
            end = p;
            dohash = true;
        }
        p -= 1;
        len -= 1;
    }
    Some(&value[p..end])
}

/// The first value of a header as `http_find_header` returns it: up to the first comma,
/// optional white space trimmed.
pub fn first_header_value(raw: &[u8]) -> &[u8] {
    let v = match raw.iter().position(|&c| c == b',') {
        Some(c) => &raw[..c],
        None => raw,
    };
    let ws = |c: &u8| *c == b' ' || *c == b'\t';
    let s = v.iter().position(|c| !ws(c)).unwrap_or(v.len());
    let e = v.iter().rposition(|c| !ws(c)).map_or(s, |e| e + 1);
    &v[s..e.max(s)]
}

/// `balance rdp-cookie(<name>)`: the cookie value in the client's first RDP packet, as
/// `fetch_rdp_cookie_name` reads it: 11 bytes of TPKT/X.224 header, `Cookie:` (any case),
/// spaces, `<name>=` (any case; any name when `name` is empty), the value up to `\r\n`.
/// `None` when absent, incomplete or empty (HAProxy then falls back to round robin).
pub fn rdp_cookie_key<'a>(payload: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    if payload.len() <= 11 {
        return None;
    }
    let mut d = &payload[11..];
    if d.len() <= 7 || !d[..7].eq_ignore_ascii_case(b"Cookie:") {
        return None;
    }
    d = &d[7..];
    while d.first() == Some(&b' ') {
        d = &d[1..];
    }
    if !name.is_empty() {
        if d.len() <= name.len()
            || d[name.len()] != b'='
            || !d[..name.len()].eq_ignore_ascii_case(name)
        {
            return None;
        }
        d = &d[name.len() + 1..];
    } else {
        let eq = d
            .iter()
            .position(|&c| c == b'=' || c == b'\r' || c == b'\n')?;
        if d[eq] != b'=' {
            return None;
        }
        d = &d[eq + 1..];
    }
    let end = d.iter().position(|&c| c == b'\r')?;
    if d.get(end + 1) != Some(&b'\n') || end == 0 {
        return None;
    }
    Some(&d[..end])
}

/// `balance source`: the key is the client address's bytes (4 for IPv4, 16 for IPv6);
/// [`source_hash`] turns it into HAProxy's hash (no hash function is involved).
pub fn source_key(addr: &std::net::IpAddr) -> Vec<u8> {
    match addr {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// `get_server_sh`: XOR of the address's big-endian 32-bit words.
pub fn source_hash(key: &[u8]) -> u32 {
    key.chunks_exact(4)
        .fold(0, |h, w| h ^ u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri() {
        assert_eq!(uri_key(b"/a/b/c?x=1", false, 0, 0, false), b"/a/b/c");
        assert_eq!(uri_key(b"/a/b/c?x=1", true, 0, 0, false), b"/a/b/c?x=1");
        assert_eq!(uri_key(b"/a/b/c?x=1", false, 4, 0, false), b"/a/b");
        assert_eq!(uri_key(b"/a/b/c?x=1", false, 0, 1, false), b"/a");
        assert_eq!(uri_key(b"/a/b/c?x=1", false, 0, 2, false), b"/a/b");
        assert_eq!(uri_key(b"http://h:80/a?q", false, 0, 0, true), b"/a");
        assert_eq!(
            uri_key(b"http://h:80/a?q", false, 0, 0, false),
            b"http://h:80/a"
        );
        assert_eq!(uri_path(b"http://h"), b"");
        assert_eq!(uri_path(b"*"), b"");
    }

    #[test]
    fn url_param() {
        assert_eq!(
            url_param_key(b"/p?a=1&user=bob&c", b"user"),
            Some(&b"bob"[..])
        );
        assert_eq!(url_param_key(b"/p?user=", b"user"), Some(&b""[..]));
        assert_eq!(url_param_key(b"/p?user", b"user"), None); // len must exceed name
        assert_eq!(url_param_key(b"/p?user=x", b"user"), Some(&b"x"[..]));
        assert_eq!(url_param_key(b"/p?xuser=1", b"user"), None);
        assert_eq!(url_param_key(b"/p", b"user"), None);
        assert_eq!(
            url_param_post_key(b"user=bob&x=1", b"user"),
            Some(&b"bob"[..])
        );
        assert_eq!(url_param_post_key(b"user={bob}", b"user"), None);
    }

    #[test]
    fn hdr() {
        assert_eq!(hdr_key(b"www.example.com", true), Some(&b"example"[..]));
        assert_eq!(hdr_key(b"example.com", true), Some(&b"example"[..]));
        assert_eq!(hdr_key(b"localhost", true), Some(&b"localhost"[..]));
        assert_eq!(hdr_key(b"a.b.c.d", false), Some(&b"a.b.c.d"[..]));
        assert_eq!(hdr_key(b"", false), None);
        assert_eq!(first_header_value(b" a , b"), b"a");
    }

    #[test]
    fn rdp() {
        let mut p = vec![3u8, 0, 0, 0x2a, 0x25, 0xe0, 0, 0, 0, 0, 0];
        p.extend_from_slice(b"Cookie: mstshash=Bob\r\n");
        assert_eq!(rdp_cookie_key(&p, b"mstshash"), Some(&b"Bob"[..]));
        assert_eq!(rdp_cookie_key(&p, b"MSTSHASH"), Some(&b"Bob"[..]));
        assert_eq!(rdp_cookie_key(&p, b""), Some(&b"Bob"[..]));
        assert_eq!(rdp_cookie_key(&p, b"other"), None);
        assert_eq!(rdp_cookie_key(&p[..p.len() - 1], b"mstshash"), None);
    }

    #[test]
    fn source() {
        assert_eq!(source_hash(&[10, 0, 0, 1]), 0x0a000001);
        let v6: std::net::IpAddr = "::1".parse().unwrap();
        assert_eq!(source_hash(&source_key(&v6)), 1);
    }
}
