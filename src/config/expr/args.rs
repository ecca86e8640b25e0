//! `make_arg_list()` from HAProxy's `arg.c`: the `(a,b,…)` argument lists of fetches and
//! converters, with the same quoting, typing and error messages.

use super::kw::ArgType;
use crate::config::values::{parse_size, parse_time, TimeUnit};
use crate::model::expr::ArgValue;

/// A parsed argument list.
#[derive(Debug, Clone, Default)]
pub struct Args {
    pub values: Vec<ArgValue>,
    /// Bytes of the input consumed (the first byte not part of the list).
    pub end: usize,
}

/// An argument list error: the message and the 0-based argument position HAProxy reports.
#[derive(Debug, Clone)]
pub struct ArgError {
    pub msg: String,
    pub pos: usize,
}

/// `read_int64()`: optional sign then digits; returns the value and bytes consumed.
pub fn read_int64(s: &[u8]) -> (i64, usize) {
    let mut i = 0;
    let mut neg = false;
    if s.first() == Some(&b'-') {
        neg = true;
        i = 1;
    } else if s.first() == Some(&b'+') {
        i = 1;
    }
    let mut v: u64 = 0;
    let mut sat = false;
    while i < s.len() && s[i].is_ascii_digit() {
        if !sat {
            match v
                .checked_mul(10)
                .and_then(|x| x.checked_add((s[i] - b'0') as u64))
            {
                Some(x) => v = x,
                None => {
                    sat = true;
                    v = u64::MAX
                }
            }
        }
        i += 1;
    }
    let r = if neg {
        if v > 0x8000_0000_0000_0000 {
            i64::MIN
        } else {
            (v as i64).wrapping_neg()
        }
    } else if v > i64::MAX as u64 {
        i64::MAX
    } else {
        v as i64
    };
    (r, i)
}

/// `str2mask()`: dotted IPv4 mask or bit count.
pub fn str2mask(s: &str) -> Option<std::net::Ipv4Addr> {
    if s.contains('.') {
        return s.parse().ok();
    }
    let (v, n) = crate::config::values::strtol(s);
    if s.is_empty() || n != s.len() || !(0..=32).contains(&v) {
        return None;
    }
    let bits = if v == 0 { 0 } else { u32::MAX << (32 - v) };
    Some(std::net::Ipv4Addr::from(bits))
}

/// `str2mask6()`: IPv6 mask in address form or bit count.
pub fn str2mask6(s: &str) -> Option<std::net::Ipv6Addr> {
    if s.contains(':') {
        return s.parse().ok();
    }
    let (v, n) = crate::config::values::strtol(s);
    if s.is_empty() || n != s.len() || !(0..=128).contains(&v) {
        return None;
    }
    let bits = if v == 0 { 0 } else { u128::MAX << (128 - v) };
    Some(std::net::Ipv6Addr::from(bits))
}

/// Reads one argument's text (unquoting) from `inp[i..]`; returns it and the new index.
fn read_word(inp: &[u8], mut i: usize) -> Result<(Vec<u8>, usize), (Vec<u8>, usize)> {
    let mut out = Vec::new();
    let (mut sq, mut dq) = (false, false);
    while i < inp.len() {
        let c = inp[i];
        if c == b'"' && !sq {
            dq = !dq;
            i += 1;
        } else if c == b'\'' && !dq {
            sq = !sq;
            i += 1;
        } else if c == b'\\' && !sq && i + 1 < inp.len() {
            match inp[i + 1] {
                b'\\' | b' ' | b'"' | b'\'' => {
                    out.push(inp[i + 1]);
                    i += 1;
                }
                b'r' => {
                    out.push(b'\r');
                    i += 1;
                }
                b'n' => {
                    out.push(b'\n');
                    i += 1;
                }
                b't' => {
                    out.push(b'\t');
                    i += 1;
                }
                _ => out.push(b'\\'),
            }
            i += 1;
        } else {
            if !sq && !dq && (c == b',' || c == b')') {
                break;
            }
            out.push(c);
            i += 1;
        }
    }
    Ok((out, i))
}

/// Converts one argument's text to its typed value, or the error kind.
enum Conv {
    Ok(ArgValue),
    Empty,
    Parse,
}

fn convert(t: ArgType, text: &str) -> Conv {
    use ArgType::*;
    let empty = text.is_empty();
    match t {
        Sint => {
            if empty {
                return Conv::Empty;
            }
            let (v, n) = read_int64(text.as_bytes());
            if n < text.len() {
                Conv::Parse
            } else {
                Conv::Ok(ArgValue::Sint(v))
            }
        }
        Fe => Conv::Ok(ArgValue::Fe(text.into())),
        Be => Conv::Ok(ArgValue::Be(text.into())),
        Tab => Conv::Ok(ArgValue::Tab(text.into())),
        Srv => Conv::Ok(ArgValue::Srv(text.into())),
        Usr => Conv::Ok(ArgValue::Usr(text.into())),
        Reg => Conv::Ok(ArgValue::Reg(text.into())),
        Str | Map | Var => Conv::Ok(ArgValue::Str(text.into())),
        Ipv4 | Msk4 | Ipv6 | Msk6 | Time | Size | PbufFnum if empty => Conv::Empty,
        Ipv4 => text
            .parse()
            .map_or(Conv::Parse, |a| Conv::Ok(ArgValue::Ipv4(a))),
        Msk4 => str2mask(text).map_or(Conv::Parse, |a| Conv::Ok(ArgValue::Ipv4(a))),
        Ipv6 => text
            .parse()
            .map_or(Conv::Parse, |a| Conv::Ok(ArgValue::Ipv6(a))),
        Msk6 => str2mask6(text).map_or(Conv::Parse, |a| Conv::Ok(ArgValue::Ipv6(a))),
        Time => match parse_time(text, TimeUnit::Ms) {
            Ok(t) if t.warning.is_none() => Conv::Ok(ArgValue::Sint(t.value as i64)),
            _ => Conv::Parse,
        },
        Size => parse_size(text).map_or(Conv::Parse, |v| Conv::Ok(ArgValue::Sint(v as i64))),
        PbufFnum => {
            let ids: Option<Vec<u32>> = text.split('.').map(|p| p.parse().ok()).collect();
            match ids {
                Some(v) if !v.is_empty() => Conv::Ok(ArgValue::PbufFnum(v)),
                _ => Conv::Parse,
            }
        }
    }
}

/// Parses the argument list at the start of `inp` for a keyword taking `types` (the first
/// `min` mandatory). `Ok` gives the values and where parsing stopped.
pub fn make_arg_list(inp: &str, types: &[ArgType], min: usize) -> Result<Args, ArgError> {
    let b = inp.as_bytes();
    let empty = b.first() != Some(&b'(');
    let mut i = if empty { 0 } else { 1 };
    let mut values = Vec::new();
    let nbarg = types.len();
    let mut pos = 0;
    let type_at = |p: usize| types.get(p).map(|t| t.name()).unwrap_or("end of arguments");
    if nbarg > 0 && !(empty && min == 0) {
        while pos < nbarg {
            // An empty input still yields one (empty) argument when one is mandatory.
            let (word, ni) = if empty {
                (Vec::new(), i)
            } else {
                read_word(b, i).unwrap_or_else(|e| e)
            };
            i = ni;
            let text = String::from_utf8_lossy(&word).into_owned();
            match convert(types[pos], &text) {
                Conv::Ok(v) => values.push(v),
                Conv::Empty => {
                    if pos >= min {
                        break;
                    }
                    return Err(ArgError {
                        msg: format!(
                            "expected type '{}' at position {}, but got nothing",
                            type_at(pos),
                            pos + 1
                        ),
                        pos,
                    });
                }
                Conv::Parse => {
                    return Err(ArgError {
                        msg: format!(
                            "failed to parse '{}' as type '{}' at position {}",
                            text,
                            type_at(pos),
                            pos + 1
                        ),
                        pos,
                    })
                }
            }
            pos += 1;
            if empty || i >= b.len() || b[i] == b')' || pos >= nbarg {
                break;
            }
            i += 1; // the comma
        }
    }
    if pos < min {
        return Err(ArgError {
            msg: format!(
                "missing arguments (got {}/{}), type '{}' expected",
                pos,
                min,
                type_at(pos)
            ),
            pos,
        });
    }
    if !empty {
        if b.get(i) == Some(&b')') {
            i += 1;
        } else {
            let rest = &inp[i.min(inp.len())..];
            let msg = if rest.is_empty() {
                "expected ')'".to_string()
            } else {
                format!("expected ')' before '{rest}'")
            };
            return Err(ArgError {
                msg,
                pos: if pos > 1 { pos - 1 } else { pos },
            });
        }
    }
    Ok(Args { values, end: i })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ArgType::*;

    #[test]
    fn lists() {
        let a = make_arg_list("(host,1),lower", &[Str, Sint], 0).unwrap();
        assert_eq!(
            a.values,
            vec![ArgValue::Str("host".into()), ArgValue::Sint(1)]
        );
        assert_eq!(a.end, 8);
        assert_eq!(make_arg_list(",x", &[Str, Sint], 0).unwrap().end, 0);
        let e = make_arg_list("(a)", &[Sint], 1).unwrap_err();
        assert_eq!(e.msg, "failed to parse 'a' as type 'integer' at position 1");
        let e = make_arg_list("", &[Sint], 1).unwrap_err();
        assert_eq!(
            e.msg,
            "expected type 'integer' at position 1, but got nothing"
        );
        let e = make_arg_list("(2", &[Msk4, Msk6], 1).unwrap_err();
        assert_eq!(e.msg, "expected ')'");
        let e = make_arg_list("(x)", &[Str, Str], 2).unwrap_err();
        assert_eq!(e.msg, "missing arguments (got 1/2), type 'string' expected");
        let a = make_arg_list("('a,b')", &[Str], 1).unwrap();
        assert_eq!(a.values, vec![ArgValue::Str("a,b".into())]);
        assert!(make_arg_list("(24)", &[Msk4], 1).is_ok());
        assert!(make_arg_list("(33)", &[Msk4], 1).is_err());
    }
}
