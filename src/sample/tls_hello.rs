//! Just enough of a TLS ClientHello for `req.ssl_hello_type` and `req.ssl_sni`
//! (HAProxy's `smp_fetch_ssl_hello_type()` and `smp_fetch_ssl_hello_sni()`).
//! `Err(true)`: incomplete, more bytes may tell; `Err(false)`: not a (usable) hello.

/// The handshake type of the first TLS record: 1 for a ClientHello, 2 for a ServerHello.
pub fn hello_type(p: &[u8]) -> Result<i64, bool> {
    if p.len() < 6 {
        return Err(true);
    }
    // A handshake record (22) of TLS (major version 3).
    if p[0] != 0x16 || p[1] != 3 {
        return Err(false);
    }
    Ok(p[5] as i64)
}

/// The server name of a ClientHello's SNI extension.
pub fn sni(p: &[u8]) -> Result<&[u8], bool> {
    let (h, i) = extension(p, 0)?;
    // server_name_list: len(2), then type(1) len(2) name.
    let name_len = be16(h, i + 3)?;
    h.get(i + 5..i + 5 + name_len).ok_or(false)
}

/// The first protocol of a ClientHello's ALPN extension (`req.ssl_alpn`).
pub fn alpn(p: &[u8]) -> Result<&[u8], bool> {
    let (h, i) = extension(p, 16)?;
    // protocol_name_list: len(2), then len(1) name.
    let n = *h.get(i + 2).ok_or(false)? as usize;
    h.get(i + 3..i + 3 + n).ok_or(false)
}

/// The handshake body and the offset of extension `want`'s data.
fn extension(p: &[u8], want: usize) -> Result<(&[u8], usize), bool> {
    if hello_type(p)? != 1 {
        return Err(false);
    }
    let rec_len = u16::from_be_bytes([p[3], p[4]]) as usize;
    if p.len() < 5 + rec_len {
        return Err(true);
    }
    let h = &p[5..5 + rec_len];
    // type(1) len(3) version(2) random(32)
    let mut i = 4 + 2 + 32;
    let sid = *h.get(i).ok_or(false)? as usize;
    i += 1 + sid;
    let cs = be16(h, i)?;
    i += 2 + cs;
    let comp = *h.get(i).ok_or(false)? as usize;
    i += 1 + comp;
    let ext_len = be16(h, i)?;
    i += 2;
    let end = (i + ext_len).min(h.len());
    while i + 4 <= end {
        let (ty, len) = (be16(h, i)?, be16(h, i + 2)?);
        i += 4;
        if ty == want {
            return Ok((h, i));
        }
        i += len;
    }
    Err(false)
}

/// Why [`hello_ext`] or [`ssl_ver`] has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// Incomplete: more bytes may tell (`SMP_F_MAY_CHANGE`).
    More,
    /// Not a (usable) hello.
    No,
    /// A complete ClientHello without the extension.
    NotFound,
}

/// What a channel may hold before it is full (`channel_recv_limit()`: `tune.bufsize`
/// less `tune.maxrewrite`), which bounds the lengths HAProxy waits for.
pub const RECV_LIMIT: usize = 16384 - 1024;

/// The data length of extension `want` of a complete ClientHello, walked as
/// `smp_fetch_req_ssl_st_ext()` and `smp_fetch_req_ssl_ec_ext()` do (`req.ssl_st_ext`:
/// 35, SessionTicket; `req.ssl_ec_ext`: 10, supported groups).
pub fn hello_ext(p: &[u8], want: usize) -> Result<usize, Miss> {
    use Miss::{More, No};
    let at = |i: usize| p.get(i).map(|&b| b as usize).ok_or(No);
    if p.is_empty() {
        return Err(More);
    }
    if p[0] != 0x16 {
        return Err(No);
    }
    if p.len() < 3 {
        return Err(More);
    }
    if p[1] < 3 {
        return Err(No);
    }
    if p.len() < 5 {
        return Err(More);
    }
    let rec = (at(3)? << 8) + at(4)?;
    if rec < 1 + 3 + 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2 {
        return Err(No);
    }
    let left = p.len() - 5;
    if left < 1 {
        return Err(More);
    }
    if p[5] != 1 {
        return Err(No);
    }
    if left < 4 {
        return Err(More);
    }
    let mut hs = ((at(6)? << 16) + (at(7)? << 8) + at(8)?) as isize;
    if hs < 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2 {
        return Err(No);
    }
    if (left as isize) < hs {
        return Err(More);
    }
    let mut d = 9;
    if at(d)? < 3 || at(d + 1)? < 1 {
        return Err(No);
    }
    let sid = at(d + 34)? as isize;
    if sid > 32 || sid > hs - 35 {
        return Err(No);
    }
    hs -= 35 + sid;
    d += 35 + sid as usize;
    let cs = ((at(d)? << 8) + at(d + 1)?) as isize;
    if hs < 4 || cs < 2 || cs > hs {
        return Err(No);
    }
    hs -= 2 + cs;
    d += 2 + cs as usize;
    let comp = at(d)? as isize;
    if hs < 2 || comp < 1 || comp > hs {
        return Err(No);
    }
    hs -= 1 + comp;
    d += 1 + comp as usize;
    if hs < 2 {
        return Err(No);
    }
    let ext = ((at(d)? << 8) + at(d + 1)?) as isize;
    if ext > hs - 2 {
        return Err(No);
    }
    let mut hs = ext;
    d += 2;
    while hs >= 4 {
        let ty = (at(d)? << 8) + at(d + 1)?;
        let len = ((at(d + 2)? << 8) + at(d + 3)?) as isize;
        if len > hs - 4 {
            return Err(No);
        }
        if ty == want {
            return Ok(len as usize);
        }
        hs -= 4 + len;
        d += 4 + len as usize;
    }
    Err(Miss::NotFound)
}

/// `smp_fetch_req_ssl_ver()`: the version a ClientHello asks for (`major << 16 | minor`),
/// of an SSLv3+ record or an SSLv2 hello, once the whole message (up to what a buffer
/// holds) arrived.
pub fn ssl_ver(p: &[u8]) -> Result<i64, Miss> {
    use Miss::{More, No};
    let b = |i: usize| p[i] as usize;
    if p.is_empty() {
        return Err(More);
    }
    let left;
    let msg_len;
    let version;
    if (0x14..=0x17).contains(&p[0]) || p[0] == 0xff {
        if p.len() < 11 {
            return Err(More);
        }
        let rec_ver = (b(1) << 16) + b(2);
        let len = (b(3) << 8) + b(4);
        if rec_ver < 0x30000 || !(6..=(1 << 14) + 2048).contains(&len) {
            return Err(No);
        }
        left = p.len() - 5;
        msg_len = len;
        version = (b(9) << 16) + b(10);
    } else {
        let (rlen, plen, mut d);
        if p[0] & 0x80 != 0 {
            if p.len() < 3 {
                return Err(More);
            }
            rlen = ((b(0) & 0x7f) << 8) | b(1);
            plen = 0;
            d = 2;
        } else {
            if p.len() < 4 {
                return Err(More);
            }
            rlen = ((b(0) & 0x3f) << 8) | b(1);
            plen = b(2);
            d = 3;
        }
        if p[d] != 1 {
            return Err(No);
        }
        d += 1;
        if p.len() - d < 8 {
            return Err(More);
        }
        version = (b(d) << 16) + b(d + 1);
        let cilen = (b(d + 2) << 8) + b(d + 3);
        let silen = (b(d + 4) << 8) + b(d + 5);
        let chlen = (b(d + 6) << 8) + b(d + 7);
        d += 8;
        if cilen % 3 != 0 || (silen != 0 && silen != 16) || !(16..=32).contains(&chlen) {
            return Err(No);
        }
        if rlen != 9 + cilen + silen + chlen {
            return Err(No);
        }
        left = p.len() - d;
        msg_len = cilen + silen + chlen + plen;
    }
    if left < msg_len.min(RECV_LIMIT) {
        return Err(More);
    }
    Ok(version as i64)
}

fn be16(b: &[u8], i: usize) -> Result<usize, bool> {
    match b.get(i..i + 2) {
        Some(x) => Ok(u16::from_be_bytes([x[0], x[1]]) as usize),
        None => Err(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_sni() {
        // A minimal ClientHello with SNI "a.example".
        let name = b"a.example";
        // server_name: the list's length, then one host_name entry (type 0, length, name).
        let list_len = (3 + name.len()) as u16;
        let mut sni_ext = list_len.to_be_bytes().to_vec();
        sni_ext.push(0);
        sni_ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
        sni_ext.extend_from_slice(name);
        let rec = hello(&[(0, &sni_ext)]);
        assert_eq!(hello_type(&rec), Ok(1));
        assert_eq!(sni(&rec), Ok(&name[..]));
        assert_eq!(sni(&rec[..20]), Err(true));
        assert_eq!(hello_type(b"GET / HTTP/1.1\r\n"), Err(false));
    }

    /// A ClientHello record with these extensions (type, data).
    fn hello(exts: &[(u16, &[u8])]) -> Vec<u8> {
        let mut ext = Vec::new();
        for (ty, data) in exts {
            ext.extend_from_slice(&ty.to_be_bytes());
            ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
            ext.extend_from_slice(data);
        }
        let mut body = vec![3, 3];
        body.extend_from_slice(&[0; 32]);
        body.push(0);
        body.extend_from_slice(&[0, 2, 0x13, 0x01]);
        body.extend_from_slice(&[1, 0]);
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
        let mut hs = vec![1, 0];
        hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
        hs.extend_from_slice(&body);
        let mut rec = vec![0x16, 3, 1];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn session_ticket_curves_and_version() {
        let with = hello(&[(10, &[0, 2, 0, 29]), (35, b"")]);
        assert_eq!(hello_ext(&with, 35), Ok(0));
        assert_eq!(hello_ext(&with, 10), Ok(4));
        let ticket = hello(&[(35, b"tick")]);
        assert_eq!(hello_ext(&ticket, 35), Ok(4));
        assert_eq!(hello_ext(&ticket, 10), Err(Miss::NotFound));
        assert_eq!(hello_ext(&with[..30], 35), Err(Miss::More));
        assert_eq!(hello_ext(b"GET / HTTP/1.1\r\n", 35), Err(Miss::No));
        // The ClientHello's version (3.3), not the record's (3.1).
        assert_eq!(ssl_ver(&with), Ok(0x30003));
        assert_eq!(ssl_ver(&with[..8]), Err(Miss::More));
        assert_eq!(ssl_ver(&with[..20]), Err(Miss::More));
        // An SSLv2 hello: 2-byte header, type 1, version 3.0, 3 cipher bytes, 16 challenge.
        let mut v2 = vec![0x80, 9 + 3 + 16, 1, 3, 0, 0, 3, 0, 0, 0, 16];
        v2.extend_from_slice(&[0; 3 + 16]);
        assert_eq!(ssl_ver(&v2), Ok(0x30000));
        v2[1] += 1;
        assert_eq!(ssl_ver(&v2), Err(Miss::No));
        // Record versions below SSLv3 are not SSL.
        assert_eq!(
            ssl_ver(&[0x16, 2, 0, 0, 10, 0, 0, 0, 0, 0, 0]),
            Err(Miss::No)
        );
    }
}
