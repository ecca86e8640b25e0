//! Sample values and HAProxy's cast matrix (`sample_casts[][]` in `src/sample.c`).
//!
//! A fetch returns bytes borrowed from the message where it can (`Cow::Borrowed`), so that
//! matching a header against an ACL copies nothing; converters that build new bytes return
//! owned values.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

pub use crate::model::expr::SmpType;

/// One sample value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Smp<'a> {
    Bool(bool),
    Sint(i64),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Str(Cow<'a, [u8]>),
    Bin(Cow<'a, [u8]>),
    /// An HTTP method, as its text (HAProxy keeps known methods as an enum; the text is
    /// what every consumer of a method sample ends up comparing).
    Meth(Cow<'a, [u8]>),
}

impl<'a> Smp<'a> {
    pub fn str(s: &'a [u8]) -> Smp<'a> {
        Smp::Str(Cow::Borrowed(s))
    }

    pub fn string(s: impl Into<Vec<u8>>) -> Smp<'static> {
        Smp::Str(Cow::Owned(s.into()))
    }

    pub fn ty(&self) -> SmpType {
        match self {
            Smp::Bool(_) => SmpType::Bool,
            Smp::Sint(_) => SmpType::Sint,
            Smp::Ipv4(_) => SmpType::Ipv4,
            Smp::Ipv6(_) => SmpType::Ipv6,
            Smp::Str(_) => SmpType::Str,
            Smp::Bin(_) => SmpType::Bin,
            Smp::Meth(_) => SmpType::Meth,
        }
    }

    pub fn into_owned(self) -> Smp<'static> {
        match self {
            Smp::Bool(b) => Smp::Bool(b),
            Smp::Sint(i) => Smp::Sint(i),
            Smp::Ipv4(a) => Smp::Ipv4(a),
            Smp::Ipv6(a) => Smp::Ipv6(a),
            Smp::Str(s) => Smp::Str(Cow::Owned(s.into_owned())),
            Smp::Bin(s) => Smp::Bin(Cow::Owned(s.into_owned())),
            Smp::Meth(s) => Smp::Meth(Cow::Owned(s.into_owned())),
        }
    }

    /// The bytes of a string-like sample (`Str`, `Bin`, `Meth`).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Smp::Str(s) | Smp::Bin(s) | Smp::Meth(s) => Some(s),
            _ => None,
        }
    }

    /// Casts to `to` as HAProxy does; `None` where its matrix has no cast or the cast fails
    /// (an empty string to an integer, text that is not an address…).
    pub fn cast(self, to: SmpType) -> Option<Smp<'a>> {
        use SmpType as T;
        if to == T::Any || self.ty() == to {
            return Some(self);
        }
        Some(match (self, to) {
            (Smp::Bool(b), T::Sint) => Smp::Sint(b as i64),
            (Smp::Bool(b), T::Str) => text(to, Cow::Borrowed(if b { b"1" } else { b"0" })),
            (Smp::Bool(b), T::Bin) => Smp::Bin(Cow::Owned((b as i64).to_be_bytes().to_vec())),
            (Smp::Sint(i), T::Bool) => Smp::Bool(i != 0),
            (Smp::Sint(i), T::Str) => text(to, i.to_string().into_bytes().into()),
            // `c_int2bin`: 8 bytes, big-endian.
            (Smp::Sint(i), T::Bin) => Smp::Bin(Cow::Owned(i.to_be_bytes().to_vec())),
            (Smp::Sint(i), T::Ipv4 | T::Addr) => Smp::Ipv4(Ipv4Addr::from(i as u32)),
            (Smp::Sint(i), T::Ipv6) => Smp::Ipv6(Ipv4Addr::from(i as u32).to_ipv6_mapped()),
            (Smp::Ipv4(a), T::Sint) => Smp::Sint(u32::from(a) as i64),
            (Smp::Ipv4(a), T::Addr) => Smp::Ipv4(a),
            (Smp::Ipv4(a), T::Ipv6) => Smp::Ipv6(a.to_ipv6_mapped()),
            (Smp::Ipv4(a), T::Str) => Smp::string(a.to_string()),
            (Smp::Ipv4(a), T::Bin) => Smp::Bin(Cow::Owned(a.octets().to_vec())),
            (Smp::Ipv6(a), T::Addr) => Smp::Ipv6(a),
            (Smp::Ipv6(a), T::Ipv4) => Smp::Ipv4(a.to_ipv4_mapped()?),
            (Smp::Ipv6(a), T::Str) => Smp::string(a.to_string()),
            (Smp::Ipv6(a), T::Bin) => Smp::Bin(Cow::Owned(a.octets().to_vec())),
            (Smp::Str(s), T::Bool) => Smp::Bool(str_to_int(&s)? != 0),
            (Smp::Str(s), T::Sint) => Smp::Sint(str_to_int(&s)?),
            (Smp::Str(s), T::Addr) => parse_addr(&s)?,
            (Smp::Str(s), T::Ipv4) => Smp::Ipv4(std::str::from_utf8(&s).ok()?.parse().ok()?),
            (Smp::Str(s), T::Ipv6) => match parse_addr(&s)? {
                Smp::Ipv4(a) => Smp::Ipv6(a.to_ipv6_mapped()),
                v => v,
            },
            (Smp::Str(s), T::Bin) => Smp::Bin(s),
            (Smp::Str(s), T::Meth) => Smp::Meth(s),
            // `c_bin2str`: the string ends at the first NUL.
            (Smp::Bin(s), T::Str) => match s.iter().position(|&c| c == 0) {
                Some(i) => Smp::Str(match s {
                    Cow::Borrowed(b) => Cow::Borrowed(&b[..i]),
                    Cow::Owned(mut v) => {
                        v.truncate(i);
                        Cow::Owned(v)
                    }
                }),
                None => Smp::Str(s),
            },
            (Smp::Bin(s), T::Meth) => Smp::Meth(s),
            (Smp::Meth(s), T::Str) => Smp::Str(s),
            (Smp::Meth(s), T::Bin) => Smp::Bin(s),
            _ => return None,
        })
    }

    /// The sample as log-format text (`%[…]` without options): addresses and integers in
    /// their usual text form, binary as is.
    pub fn to_text(&self) -> Cow<'_, [u8]> {
        match self {
            Smp::Bool(b) => Cow::Borrowed(if *b { b"1" } else { b"0" }),
            Smp::Sint(i) => Cow::Owned(i.to_string().into_bytes()),
            Smp::Ipv4(a) => Cow::Owned(a.to_string().into_bytes()),
            Smp::Ipv6(a) => Cow::Owned(a.to_string().into_bytes()),
            Smp::Str(s) | Smp::Bin(s) | Smp::Meth(s) => Cow::Borrowed(s),
        }
    }
}

fn text(to: SmpType, b: Cow<'static, [u8]>) -> Smp<'static> {
    if to == SmpType::Bin {
        Smp::Bin(b)
    } else {
        Smp::Str(b)
    }
}

/// `read_int64()` as `c_str2int` uses it: an optional `-`, then digits up to the first
/// other byte (`"12ab"` is 12, `"ab"` is 0); an empty string does not convert.
pub fn str_to_int(s: &[u8]) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    // Accumulated negatively so that i64::MIN is reachable; saturates like `read_int64`.
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.saturating_mul(10).saturating_sub((c - b'0') as i64);
    }
    Some(if neg {
        v
    } else {
        v.checked_neg().unwrap_or(i64::MAX)
    })
}

/// The IPv4 address an IPv6 one stands for, as address matching sees it: `::ffff:a.b.c.d`,
/// `::a.b.c.d` and 6to4 `2002:AABB:CCDD::`. (The ipv6→ipv4 cast only takes the first
/// form.)
pub fn v6_to_v4(a: &Ipv6Addr) -> Option<Ipv4Addr> {
    let s = a.segments();
    if s[0..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
        let o = a.octets();
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if s[0] == 0x2002 {
        let o = a.octets();
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

fn parse_addr(s: &[u8]) -> Option<Smp<'static>> {
    let t = std::str::from_utf8(s).ok()?;
    if let Ok(a) = t.parse::<Ipv4Addr>() {
        return Some(Smp::Ipv4(a));
    }
    t.parse::<Ipv6Addr>().ok().map(Smp::Ipv6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_follow_haproxy() {
        assert_eq!(Smp::str(b"12ab").cast(SmpType::Sint), Some(Smp::Sint(12)));
        assert_eq!(Smp::str(b"ab").cast(SmpType::Sint), Some(Smp::Sint(0)));
        assert_eq!(Smp::str(b"").cast(SmpType::Sint), None);
        assert_eq!(Smp::str(b"-7").cast(SmpType::Sint), Some(Smp::Sint(-7)));
        assert_eq!(Smp::Sint(5).cast(SmpType::Str), Some(Smp::string("5")));
        assert_eq!(Smp::Bool(true).cast(SmpType::Str), Some(Smp::string("1")));
        let v4 = Ipv4Addr::new(10, 0, 0, 1);
        assert_eq!(
            Smp::Ipv4(v4).cast(SmpType::Sint),
            Some(Smp::Sint(0x0a000001))
        );
        assert_eq!(
            Smp::Ipv6(v4.to_ipv6_mapped()).cast(SmpType::Ipv4),
            Some(Smp::Ipv4(v4))
        );
        assert_eq!(
            Smp::str(b"10.0.0.1").cast(SmpType::Addr),
            Some(Smp::Ipv4(v4))
        );
        assert_eq!(Smp::Ipv4(v4).cast(SmpType::Bool), None);
    }
}
