//! `fix_is_valid` and `fix_tag_value` (`src/fix.c`): FIX messages as `tag=value<SOH>`.

use std::ops::Range;

const DELIM: u8 = 0x01;
const TAG_BEGIN_STRING: u32 = 8;
const TAG_BODY_LENGTH: u32 = 9;
const TAG_CHECKSUM: u32 = 10;
const TAG_MSG_TYPE: u32 = 35;
const MSG_MINSIZE: usize = 26;
const VERSIONS: [(&[u8], u32); 6] = [
    (b"FIX.4.0", 140),
    (b"FIX.4.1", 211),
    (b"FIX.4.2", 446),
    (b"FIX.4.3", 659),
    (b"FIX.4.4", 956),
    // FIX 5.0 SP1 and SP2 share the string: the largest range applies.
    (b"FIXT.1.1", 1621),
];

/// `read_uint()`: digits up to the first other byte, wrapping; and the bytes read.
fn read_uint(s: &[u8]) -> (u32, usize) {
    let n = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let v = s[..n].iter().fold(0u32, |v, &c| {
        v.wrapping_mul(10).wrapping_add((c - b'0') as u32)
    });
    (v, n)
}

/// `fix_check_id()`: a non-zero number, within the version's range when one is known
/// (10000-19999 are user-defined everywhere).
fn check_id(tag: &[u8], version: Option<u32>) -> u32 {
    let (v, n) = read_uint(tag);
    if n != tag.len() || v == 0 {
        return 0;
    }
    match version {
        Some(max) if !(10000..=19999).contains(&v) && v > max => 0,
        _ => v,
    }
}

/// `fix_tagid()`: a number or one of the header tag names (any case).
pub(super) fn tagid(s: &str) -> Option<u32> {
    let id = check_id(s.as_bytes(), None);
    if id != 0 {
        return Some(id);
    }
    const NAMES: [(&str, u32); 6] = [
        ("MsgType", 35),
        ("CheckSum", 10),
        ("BodyLength", 9),
        ("TargetCompID", 56),
        ("BeginString", 8),
        ("SenderCompID", 49),
    ];
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|&(_, v)| v)
}

/// One `tag=value<SOH>` at `p`: the tag and value ranges, or what stops the parse
/// (`Err(true)`: need more data, `Err(false)`: invalid).
fn next(m: &[u8], p: usize) -> Result<(Range<usize>, Range<usize>), bool> {
    let rest = &m[p..];
    let eq = rest.iter().position(|&c| c == b'=').ok_or(true)?;
    let end = rest[eq..].iter().position(|&c| c == DELIM).ok_or(true)? + eq;
    if eq == 0 {
        return Err(false);
    }
    Ok((p..p + eq, p + eq + 1..p + end))
}

/// `fix_validate_message()`: `Some(valid)`, or `None` while more data may complete it.
pub(super) fn validate(m: &[u8]) -> Option<bool> {
    if m.len() < MSG_MINSIZE {
        return None;
    }
    let mut p = 0;
    let mut version = None;
    let (mut checksum, mut tagnum, mut bodylen) = (0u8, 0, 0u32);
    let mut body = None;
    while p < m.len() {
        let (tag, value) = match next(m, p) {
            Ok(r) => r,
            Err(true) => return None,
            Err(false) => return Some(false),
        };
        let id = check_id(&m[tag.clone()], version);
        if id == 0 {
            return Some(false);
        }
        tagnum += 1;
        let v = &m[value.clone()];
        if tagnum == 1 {
            if id != TAG_BEGIN_STRING {
                return Some(false);
            }
            match VERSIONS.iter().find(|(s, _)| v.len() >= 7 && v == *s) {
                Some(&(_, max)) => version = Some(max),
                None => return Some(false),
            }
        } else if tagnum == 2 {
            let (n, read) = read_uint(v);
            if id != TAG_BODY_LENGTH || read != v.len() || n == 0 {
                return Some(false);
            }
            bodylen = n;
            body = Some(value.end + 1);
        } else if tagnum == 3 {
            if id != TAG_MSG_TYPE {
                return Some(false);
            }
        } else if id == TAG_CHECKSUM {
            let start = body.unwrap_or(0);
            // strl2ui() reads the three bytes without checking for digits.
            let sum = v.iter().fold(0u32, |n, &c| {
                n.wrapping_mul(10).wrapping_sub(48).wrapping_add(c as u32)
            });
            let ok =
                bodylen as usize == p.wrapping_sub(start) && v.len() == 3 && sum == checksum as u32;
            return Some(ok);
        }
        for &c in &m[tag.clone()] {
            checksum = checksum.wrapping_add(c);
        }
        checksum = checksum.wrapping_add(b'=');
        for &c in v {
            checksum = checksum.wrapping_add(c);
        }
        checksum = checksum.wrapping_add(DELIM);
        p = value.end + 1;
    }
    if body.is_some() {
        None
    } else {
        Some(false)
    }
}

/// `fix_tag_value()`: the value of the first `tagid` before the CheckSum tag.
pub(super) fn tag_value(m: &[u8], tagid: u32) -> Option<Range<usize>> {
    let mut p = 0;
    while p < m.len() {
        let (tag, value) = next(m, p).ok()?;
        let id = check_id(&m[tag], None);
        if id == 0 {
            return None;
        }
        if id == tagid {
            return Some(value);
        }
        if id == TAG_CHECKSUM {
            return None;
        }
        p = value.end + 1;
    }
    None
}
