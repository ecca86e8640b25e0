//! The PROXY protocol (haproxy.org's proxy-protocol.txt), versions 1 and 2: reading the
//! header a load balancer in front sends (`bind … accept-proxy`) and writing one to servers
//! (`server … send-proxy` / `send-proxy-v2`). Socket-free: bytes in, addresses out, and
//! the reverse.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The v2 signature.
pub const V2_SIG: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// A v1 line is at most 107 bytes.
const V1_MAX: usize = 107;

/// What a complete header said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Header length: the stream's own bytes start after it.
    pub len: usize,
    /// `(source, destination)`; `None` for `UNKNOWN` (v1) or `LOCAL` / unsupported
    /// families (v2): the connection's own addresses stay.
    pub addrs: Option<(SocketAddr, SocketAddr)>,
}

/// Why a header was refused (HAProxy then closes the connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadHeader;

/// `Ok(None)`: more bytes are needed.
pub fn parse(buf: &[u8]) -> Result<Option<Header>, BadHeader> {
    let n = buf.len().min(V2_SIG.len());
    if buf[..n] == V2_SIG[..n] {
        return if buf.len() < 16 {
            Ok(None)
        } else {
            parse_v2(buf)
        };
    }
    let n = buf.len().min(6);
    if buf[..n] != b"PROXY "[..n] {
        return Err(BadHeader);
    }
    parse_v1(buf)
}

fn parse_v1(buf: &[u8]) -> Result<Option<Header>, BadHeader> {
    let Some(eol) = buf.iter().take(V1_MAX).position(|&b| b == b'\n') else {
        return if buf.len() >= V1_MAX {
            Err(BadHeader)
        } else {
            Ok(None)
        };
    };
    if eol == 0 || buf[eol - 1] != b'\r' {
        return Err(BadHeader);
    }
    let line = std::str::from_utf8(&buf[6..eol - 1]).map_err(|_| BadHeader)?;
    let mut w = line.split(' ');
    let fam = w.next().ok_or(BadHeader)?;
    if fam == "UNKNOWN" {
        return Ok(Some(Header {
            len: eol + 1,
            addrs: None,
        }));
    }
    let parts: Vec<&str> = w.collect();
    let [src, dst, sport, dport] = parts[..] else {
        return Err(BadHeader);
    };
    let ip = |s: &str| -> Result<IpAddr, BadHeader> {
        match fam {
            "TCP4" => s.parse::<Ipv4Addr>().map(IpAddr::V4).map_err(|_| BadHeader),
            "TCP6" => s.parse::<Ipv6Addr>().map(IpAddr::V6).map_err(|_| BadHeader),
            _ => Err(BadHeader),
        }
    };
    let port = |s: &str| -> Result<u16, BadHeader> {
        if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadHeader);
        }
        s.parse().map_err(|_| BadHeader)
    };
    Ok(Some(Header {
        len: eol + 1,
        addrs: Some((
            SocketAddr::new(ip(src)?, port(sport)?),
            SocketAddr::new(ip(dst)?, port(dport)?),
        )),
    }))
}

fn parse_v2(buf: &[u8]) -> Result<Option<Header>, BadHeader> {
    let ver_cmd = buf[12];
    if ver_cmd >> 4 != 2 {
        return Err(BadHeader);
    }
    let fam = buf[13];
    let len = u16::from_be_bytes([buf[14], buf[15]]) as usize;
    let total = 16 + len;
    if buf.len() < total {
        return Ok(None);
    }
    let body = &buf[16..total];
    match ver_cmd & 0x0f {
        // LOCAL: health checks of the sender; keep the real addresses.
        0 => {
            return Ok(Some(Header {
                len: total,
                addrs: None,
            }))
        }
        1 => {}
        _ => return Err(BadHeader),
    }
    let addrs = match fam {
        // TCP over IPv4.
        0x11 if body.len() >= 12 => {
            let a = |i: usize| {
                IpAddr::V4(Ipv4Addr::new(
                    body[i],
                    body[i + 1],
                    body[i + 2],
                    body[i + 3],
                ))
            };
            let p = |i: usize| u16::from_be_bytes([body[i], body[i + 1]]);
            Some((SocketAddr::new(a(0), p(8)), SocketAddr::new(a(4), p(10))))
        }
        // TCP over IPv6.
        0x21 if body.len() >= 36 => {
            let a = |i: usize| {
                let mut o = [0u8; 16];
                o.copy_from_slice(&body[i..i + 16]);
                IpAddr::V6(Ipv6Addr::from(o))
            };
            let p = |i: usize| u16::from_be_bytes([body[i], body[i + 1]]);
            Some((SocketAddr::new(a(0), p(32)), SocketAddr::new(a(16), p(34))))
        }
        0x11 | 0x21 => return Err(BadHeader),
        // UNSPEC, UDP, UNIX: accepted, addresses not used.
        _ => None,
    };
    Ok(Some(Header { len: total, addrs }))
}

/// Writes a v1 header for a connection from `src` to `dst` (HAProxy's `make_proxy_line_v1`:
/// mixed families are sent as `TCP6` with IPv4-mapped addresses).
pub fn write_v1(src: SocketAddr, dst: SocketAddr, out: &mut Vec<u8>) {
    use std::io::Write;
    let (s, d) = (src.ip(), dst.ip());
    let _ = match (s, d) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            write!(out, "PROXY TCP4 {a} {b} {} {}\r\n", src.port(), dst.port())
        }
        _ => write!(
            out,
            "PROXY TCP6 {} {} {} {}\r\n",
            v6(s),
            v6(d),
            src.port(),
            dst.port()
        ),
    };
}

fn v6(a: IpAddr) -> Ipv6Addr {
    match a {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

/// Writes a v2 header (PROXY command, TCP, no TLV) for a connection from `src` to `dst`.
pub fn write_v2(src: SocketAddr, dst: SocketAddr, out: &mut Vec<u8>) {
    out.extend_from_slice(V2_SIG);
    out.push(0x21);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            out.push(0x11);
            out.extend_from_slice(&12u16.to_be_bytes());
            out.extend_from_slice(&a.octets());
            out.extend_from_slice(&b.octets());
        }
        (a, b) => {
            out.push(0x21);
            out.extend_from_slice(&36u16.to_be_bytes());
            out.extend_from_slice(&v6(a).octets());
            out.extend_from_slice(&v6(b).octets());
        }
    }
    out.extend_from_slice(&src.port().to_be_bytes());
    out.extend_from_slice(&dst.port().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn v1_tcp4_tcp6_unknown_and_partial() {
        let h = parse(b"PROXY TCP4 1.2.3.4 5.6.7.8 1000 80\r\nGET")
            .unwrap()
            .unwrap();
        assert_eq!(h.len, 36);
        assert_eq!(h.addrs, Some((sa("1.2.3.4:1000"), sa("5.6.7.8:80"))));
        let h = parse(b"PROXY TCP6 ::1 2001:db8::1 1 2\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.addrs, Some((sa("[::1]:1"), sa("[2001:db8::1]:2"))));
        let h = parse(b"PROXY UNKNOWN whatever\r\nX").unwrap().unwrap();
        assert_eq!((h.len, h.addrs), (24, None));
        assert_eq!(parse(b"PROXY TCP4 1.2.3.4"), Ok(None));
        assert_eq!(parse(b"PRO"), Ok(None));
    }

    #[test]
    fn v1_refusals() {
        for bad in [
            &b"GET / HTTP/1.1\r\n"[..],
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1000\r\n",
            b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
            b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
        ] {
            assert_eq!(
                parse(bad),
                Err(BadHeader),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse(&[b'P'; 0][..]), Ok(None));
        let long = format!("PROXY TCP4 {}", "1".repeat(120));
        assert_eq!(parse(long.as_bytes()), Err(BadHeader));
    }

    #[test]
    fn v2_round_trips_and_local() {
        for (s, d) in [
            ("10.0.0.1:1234", "10.0.0.2:443"),
            ("[2001:db8::5]:9", "[::1]:80"),
        ] {
            let mut b = Vec::new();
            write_v2(sa(s), sa(d), &mut b);
            b.extend_from_slice(b"payload");
            let h = parse(&b).unwrap().unwrap();
            assert_eq!(h.addrs, Some((sa(s), sa(d))));
            assert_eq!(&b[h.len..], b"payload");
            assert_eq!(parse(&b[..h.len - 1]), Ok(None));
        }
        let mut local = V2_SIG.to_vec();
        local.extend_from_slice(&[0x20, 0x00, 0, 0]);
        assert_eq!(parse(&local).unwrap().unwrap().addrs, None);
        let mut bad = V2_SIG.to_vec();
        bad.extend_from_slice(&[0x11, 0x11, 0, 0]);
        assert_eq!(parse(&bad), Err(BadHeader));
    }

    #[test]
    fn v1_written_like_haproxy() {
        let mut b = Vec::new();
        write_v1(sa("1.2.3.4:5"), sa("6.7.8.9:80"), &mut b);
        assert_eq!(b, b"PROXY TCP4 1.2.3.4 6.7.8.9 5 80\r\n");
        b.clear();
        write_v1(sa("1.2.3.4:5"), sa("[::1]:80"), &mut b);
        assert_eq!(b, b"PROXY TCP6 ::ffff:1.2.3.4 ::1 5 80\r\n");
        assert_eq!(parse(&b).unwrap().unwrap().len, b.len());
    }
}
