//! Layer-6 protocol parsers of content inspection (HAProxy's `payload.c`): the RDP
//! connection request's cookie and distcc's token stream. `Err(true)`: incomplete, more
//! bytes may tell; `Err(false)`: it will never match.

/// `fetch_rdp_cookie_name()`: the value of the `Cookie: name=value\r\n` line that follows
/// the 11 bytes of TPKT and X.224 headers; `name` empty: any name.
pub fn rdp_cookie<'a>(p: &'a [u8], name: &[u8]) -> Result<&'a [u8], bool> {
    if p.len() <= 11 || p.len() - 11 <= 7 {
        return Err(true);
    }
    let mut d = 11;
    if !p[d..d + 7].eq_ignore_ascii_case(b"Cookie:") {
        return Err(false);
    }
    d += 7;
    while d < p.len() && p[d] == b' ' {
        d += 1;
    }
    if !name.is_empty() {
        if p.len() - d <= name.len() {
            return Err(true);
        }
        if p[d + name.len()] != b'=' || !p[d..d + name.len()].eq_ignore_ascii_case(name) {
            return Err(false);
        }
        d += name.len() + 1;
    } else {
        while d < p.len() && p[d] != b'=' {
            if p[d] == b'\r' || p[d] == b'\n' {
                return Err(false);
            }
            d += 1;
        }
        if d >= p.len() {
            return Err(true);
        }
        d += 1;
    }
    let start = d;
    while d < p.len() && p[d] != b'\r' {
        d += 1;
    }
    if p.len() - d < 2 {
        return Err(true);
    }
    if &p[d..d + 2] != b"\r\n" {
        return Err(false);
    }
    Ok(&p[start..d])
}

/// `smp_fetch_distcc_param()` / `_body()`: distcc's stream is a series of 4-byte tokens,
/// each followed by 8 hex digits (a value, or the length of the body that follows for
/// tokens other than ARGC, DIST, NFIL, STAT and DONE). Occurrence `occ` (0: the first)
/// of `token`: its value, its body so far, and whether the body is complete. `limit`:
/// what the buffer can hold, past which HAProxy stops waiting.
pub fn distcc(p: &[u8], token: u32, occ: u32, limit: usize) -> Result<(u32, &[u8], bool), bool> {
    const NO_BODY: [&[u8; 4]; 5] = [b"ARGC", b"DIST", b"NFIL", b"STAT", b"DONE"];
    let mut ofs = 0usize;
    let mut seen = 0u32;
    loop {
        if ofs + 12 > p.len() {
            return Err(ofs + 12 <= limit);
        }
        let tok = [p[ofs], p[ofs + 1], p[ofs + 2], p[ofs + 3]];
        ofs += 4;
        let mut param = 0u32;
        for &c in &p[ofs..ofs + 8] {
            let v = (c as char).to_digit(16).ok_or(false)?;
            param = (param << 4) + v;
        }
        ofs += 8;
        let body = if NO_BODY.contains(&&tok) {
            0
        } else {
            param as usize
        };
        if u32::from_be_bytes(tok) == token {
            seen += 1;
            if occ == 0 || occ == seen {
                let end = ofs + body;
                let avail = end.min(p.len());
                return Ok((param, &p[ofs..avail], end <= p.len()));
            }
        }
        ofs += body;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdp_cookie_lines() {
        let mut p = vec![3, 0, 0, 0x2f, 0x2a, 0xe0, 0, 0, 0, 0, 0];
        p.extend_from_slice(b"Cookie: mstshash=alice\r\n\x01\x00");
        assert_eq!(rdp_cookie(&p, b"mstshash"), Ok(&b"alice"[..]));
        assert_eq!(rdp_cookie(&p, b"MSTSHASH"), Ok(&b"alice"[..]));
        assert_eq!(rdp_cookie(&p, b""), Ok(&b"alice"[..]));
        assert_eq!(rdp_cookie(&p, b"other"), Err(false));
        assert_eq!(rdp_cookie(&p[..20], b"mstshash"), Err(true));
        assert_eq!(rdp_cookie(&p[..30], b""), Err(true));
        assert_eq!(
            rdp_cookie(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b""),
            Err(false)
        );
    }

    #[test]
    fn distcc_tokens() {
        let p = b"DIST00000001ARGC00000002ARGV00000003gccARGV00000002-cDOTI00000004abc";
        assert_eq!(
            distcc(p, u32::from_be_bytes(*b"ARGC"), 0, 100),
            Ok((2, &b""[..], true))
        );
        assert_eq!(
            distcc(p, u32::from_be_bytes(*b"ARGV"), 2, 100),
            Ok((2, &b"-c"[..], true))
        );
        assert_eq!(
            distcc(p, u32::from_be_bytes(*b"DOTI"), 0, 100),
            Ok((4, &b"abc"[..], false))
        );
        assert_eq!(distcc(p, u32::from_be_bytes(*b"NONE"), 0, 100), Err(true));
        assert_eq!(distcc(p, u32::from_be_bytes(*b"NONE"), 0, 10), Err(false));
        assert_eq!(distcc(b"DISTzz000001", 1, 0, 100), Err(false));
    }
}
