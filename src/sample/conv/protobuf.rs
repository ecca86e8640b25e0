//! `protobuf` and `ungrpc` (`include/haproxy/protobuf.h`): a field found by its dotted
//! number path, as the raw bytes (borrowed from the input) or decoded as the named type.

use std::ops::Range;

/// The optional type argument (`PBUF_T_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PbType {
    Binary,
    /// int32, uint32, int64, uint64, bool, enum: the varint as is.
    Varint,
    /// sint32, sint64: zigzag-decoded.
    Zigzag,
    Fixed32,
    Sfixed32,
    Float,
    /// fixed64, sfixed64.
    Fixed64,
    Double,
}

impl PbType {
    pub(super) fn parse(s: Option<&str>) -> Option<PbType> {
        Some(match s {
            None => PbType::Binary,
            Some("int32" | "uint32" | "int64" | "uint64" | "bool" | "enum") => PbType::Varint,
            Some("sint32" | "sint64") => PbType::Zigzag,
            Some("fixed32") => PbType::Fixed32,
            Some("sfixed32") => PbType::Sfixed32,
            Some("float") => PbType::Float,
            Some("fixed64" | "sfixed64") => PbType::Fixed64,
            Some("double") => PbType::Double,
            Some(_) => return None,
        })
    }
}

pub(super) enum Found {
    Bytes(Range<usize>),
    Int(i64),
}

/// `protobuf_decode_varint()`: at most 10 bytes; a value cut by the end fails.
fn decode_varint(b: &[u8], pos: &mut usize, len: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    while *len > 0 {
        let c = *b.get(*pos)?;
        v |= ((c & 0x7f) as u64) << shift;
        *pos += 1;
        *len -= 1;
        if c & 0x80 == 0 {
            break;
        } else if *len == 0 {
            return None;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    Some(v)
}

fn skip(pos: &mut usize, len: &mut usize, n: usize) -> Option<()> {
    if *len < n {
        return None;
    }
    *pos += n;
    *len -= n;
    Some(())
}

fn le(b: &[u8], pos: usize, n: usize) -> Option<u64> {
    let s = b.get(pos..pos + n)?;
    Some(s.iter().rev().fold(0u64, |v, &c| v << 8 | c as u64))
}

/// The `smp_store` of the field's wire type.
fn store(b: &[u8], wire: u64, ty: PbType, pos: usize, len: usize, elen: u64) -> Option<Found> {
    match wire {
        0 => {
            let (mut p, mut l) = (pos, len);
            let v = decode_varint(b, &mut p, &mut l)?;
            Some(match ty {
                PbType::Binary => Found::Bytes(pos..p),
                PbType::Varint => Found::Int(v as i64),
                PbType::Zigzag => Found::Int(((v >> 1) ^ (v & 1).wrapping_neg()) as i64),
                _ => return None,
            })
        }
        1 => {
            let v = le(b, pos, 8).filter(|_| len >= 8)?;
            Some(match ty {
                PbType::Binary => Found::Bytes(pos..pos + 8),
                PbType::Fixed64 => Found::Int(v as i64),
                // C converts the double's value to an integer.
                PbType::Double => Found::Int(f64::from_bits(v) as i64),
                _ => return None,
            })
        }
        2 => {
            let n = usize::try_from(elen).ok()?;
            (len >= n && ty == PbType::Binary).then_some(Found::Bytes(pos..pos + n))
        }
        _ => {
            let v = le(b, pos, 4).filter(|_| len >= 4)? as u32;
            Some(match ty {
                PbType::Binary => Found::Bytes(pos..pos + 4),
                PbType::Fixed32 => Found::Int(v as i64),
                PbType::Sfixed32 => Found::Int(v as i32 as i64),
                PbType::Float => Found::Int(f32::from_bits(v) as i64 as u32 as i64),
                _ => return None,
            })
        }
    }
}

/// `protobuf_field_lookup()` on `b[pos..pos + len]`, moving `pos` and `len` on.
fn field_lookup(
    b: &[u8],
    pos: &mut usize,
    len: &mut usize,
    fids: &[u32],
    ty: PbType,
) -> Option<Found> {
    let mut elen: u64 = 0;
    let mut field = 0;
    while field < fids.len() {
        if *len == 0 {
            return None;
        }
        let mut sleft = *len;
        let key = decode_varint(b, pos, len)?;
        let wire = key & 7;
        let found = (key >> 3) as u32 == fids[field];
        match wire {
            0 => {
                if !found {
                    // protobuf_skip_varint()
                    let mut shift = 0;
                    while *len > 0 {
                        let c = *b.get(*pos)?;
                        *pos += 1;
                        *len -= 1;
                        if c & 0x80 == 0 {
                            break;
                        } else if *len == 0 {
                            return None;
                        }
                        shift += 7;
                        if shift > 63 {
                            return None;
                        }
                    }
                }
            }
            1 | 5 => {
                if !found {
                    skip(pos, len, if wire == 1 { 8 } else { 4 })?;
                }
            }
            2 => {
                elen = decode_varint(b, pos, len)?;
                if elen > *len as u64 {
                    return None;
                }
                sleft = *len;
                if !found {
                    skip(pos, len, elen as usize)?;
                }
            }
            _ => return None,
        }
        if found && field == fids.len() - 1 {
            return store(b, wire, ty, *pos, *len, elen);
        }
        if (elen as i64) > 0 {
            elen = elen.wrapping_sub((sleft - *len) as u64);
        }
        if found {
            field += 1;
        } else if (elen as i64) <= 0 {
            field = 0;
        }
    }
    None
}

pub(super) fn protobuf(b: &[u8], fids: &[u32], ty: PbType) -> Option<Found> {
    let (mut pos, mut len) = (0, b.len());
    field_lookup(b, &mut pos, &mut len, fids, ty)
}

/// `sample_conv_ungrpc()`: each gRPC message (1-byte flag, 4-byte length) in turn. After a
/// message without the field, the next header is read where the lookup stopped, as in C.
pub(super) fn ungrpc(b: &[u8], fids: &[u32], ty: PbType) -> Option<Found> {
    let mut pos = 0;
    let mut left_all = b.len();
    while left_all > 5 {
        let msg = u32::from_be_bytes(b.get(pos + 1..pos + 5)?.try_into().ok()?) as usize;
        pos += 5;
        left_all -= 5;
        if left_all < msg {
            return None;
        }
        let mut left = msg;
        if let Some(f) = field_lookup(b, &mut pos, &mut left, fids, ty) {
            return Some(f);
        }
        left_all -= msg;
    }
    None
}
