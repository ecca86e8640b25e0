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
        let mut ext = vec![0, 0];
        let list_len = (3 + name.len()) as u16;
        ext.extend_from_slice(&(list_len + 2).to_be_bytes());
        ext.extend_from_slice(&list_len.to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
        ext.extend_from_slice(name);
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
        assert_eq!(hello_type(&rec), Ok(1));
        assert_eq!(sni(&rec), Ok(&name[..]));
        assert_eq!(sni(&rec[..20]), Err(true));
        assert_eq!(hello_type(b"GET / HTTP/1.1\r\n"), Err(false));
    }
}
