//! Converters (`doc/configuration.txt` 7.3.1), compiled once from the model.
//!
//! Each converter follows the C function of HAProxy 2.6 (`src/sample.c`, `src/http_conv.c`,
//! `src/ssl_sample.c`, `src/vars.c`) down to its quirks, since configurations written for
//! HAProxy depend on them (`field` gives no sample when the field is missing but `word` gives
//! an empty one, `div` by 0 gives the largest integer…). Converters that only select part of
//! their input (`bytes`, `field`, `word`, trims) slice it, so a borrowed input stays borrowed.

mod fix;
mod json;
mod num;
mod protobuf;
mod text;
mod time;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::map::{MapCache, MapConv};
use super::value::{Smp, SmpType};
use super::vars::{SetConds, VarName, Vars};
use crate::model::expr::ArgValue;

/// What a converter may touch besides its input.
pub struct ConvCx<'v> {
    pub vars: &'v mut Vars,
    /// The running proxy (`nbsrv`, `srv_queue`).
    pub env: &'v dyn super::fetch::Env,
}

/// HAProxy's trash chunk size (`tune.bufsize` default): the converters that build their
/// output in a trash chunk fail or truncate past it as HAProxy does.
const TRASH: usize = 16384;

/// One compiled converter.
#[derive(Debug, Clone)]
pub struct Conv {
    /// The keyword's input type: the input is cast to it first, as `sample_process()` does.
    input: SmpType,
    op: Op,
}

impl Conv {
    /// A validator whose verdict on a complete message is final even though its input may
    /// still grow (`fix_is_valid` clears `SMP_F_MAY_CHANGE` in HAProxy): a content rule
    /// rejects an invalid message at once instead of waiting for `inspect-delay`.
    pub fn settles(&self) -> bool {
        matches!(self.op, Op::FixIsValid)
    }
}

/// A literal integer argument or a variable read at each call (`add(txn.x)`).
#[derive(Debug, Clone)]
enum Operand {
    Int(i64),
    Var(VarName),
}

#[derive(Debug, Clone, Copy)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
    Xor,
}

#[derive(Debug, Clone, Copy)]
enum Hash {
    Crc32,
    Crc32c,
    Djb2,
    Sdbm,
    Wt6,
}

#[derive(Debug, Clone)]
enum Op {
    Map(MapConv),
    /// `nbsrv`: usable servers of the backend named by the input.
    Nbsrv,
    /// `srv_queue`: queue length of the server named `[backend/]server` by the input.
    SrvQueue,
    /// `in_table`, `table_*`.
    Table(Box<super::stick::TableConv>),
    Lower,
    Upper,
    Length,
    Base64,
    B64Dec,
    Ub64Enc,
    Ub64Dec,
    Hex,
    Hex2i,
    Json(text::JsonMode),
    UrlDec(bool),
    UrlEnc,
    Regsub(Box<text::Regsub>),
    Field {
        idx: i64,
        delims: Box<[u8]>,
        count: i64,
    },
    Word {
        idx: i64,
        delims: Box<[u8]>,
        count: i64,
    },
    Bytes {
        off: i64,
        len: Option<i64>,
    },
    Ltrim(Box<[u8]>),
    Rtrim(Box<[u8]>),
    CutCrlf,
    Be2dec {
        sep: Box<[u8]>,
        chunk: usize,
        truncate: bool,
    },
    Be2hex {
        sep: Box<[u8]>,
        chunk: usize,
        truncate: bool,
    },
    Ipmask(Ipv4Addr, Option<Ipv6Addr>),
    Concat(Box<[u8]>, Option<VarName>, Box<[u8]>),
    AddItem(Box<[u8]>, Option<VarName>, Box<[u8]>),
    Iif(Box<[u8]>, Box<[u8]>),
    Arith(Arith, Operand),
    Neg,
    Not,
    Bool,
    Odd,
    Even,
    Cpl,
    Htonl,
    Strcmp(VarName),
    SecureMemcmp(VarName),
    Hash(Hash, bool),
    Xxh32(u32),
    Xxh64(u64),
    Xxh3(u64),
    Digest(Md),
    Hmac(Md, HmacKey),
    Ltime(time::Strftime),
    Utime(time::Strftime),
    HttpDate(Option<i64>, time::Unit),
    SetVar(VarName, SetConds),
    UnsetVar(VarName),
    Language(Box<[u8]>, Option<Box<[u8]>>),
    JsonQuery(Box<[u8]>, bool),
    /// `jwt_header_query` (false) / `jwt_payload_query` (true); without a path HAProxy 2.6
    /// decodes the part but returns no sample (its `retval` stays 0).
    JwtQuery(bool, Option<Box<[u8]>>, bool),
    HostOnly,
    PortOnly,
    Protobuf(Box<[u32]>, protobuf::PbType, bool),
    FixIsValid,
    FixTagValue(u32),
    AesGcmDec(Cipher, Box<[HmacKey; 3]>),
    Debug,
}

/// An OpenSSL cipher (its type has no `Debug`).
#[derive(Clone, Copy)]
struct Cipher(openssl::symm::Cipher);

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cipher({})", self.0.key_len() * 8)
    }
}

/// An OpenSSL digest (its type has no `Debug`).
#[derive(Clone, Copy)]
struct Md(openssl::hash::MessageDigest);

impl std::fmt::Debug for Md {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Md({})", self.0.type_().as_raw())
    }
}

/// `hmac`'s key and `aes_gcm_dec`'s nonce, key and tag: base64 text decoded at startup,
/// or a variable holding base64 text.
#[derive(Debug, Clone)]
enum HmacKey {
    Lit(Vec<u8>),
    Var(VarName),
}

/// Converters [`Conv::compile`] knows, apart from the `map*` family (map.rs's own).
const IMPLEMENTED: &[&str] = &[
    "add",
    "add_item",
    "aes_gcm_dec",
    "and",
    "b64dec",
    "base64",
    "be2dec",
    "be2hex",
    "bool",
    "bytes",
    "concat",
    "cpl",
    "crc32",
    "crc32c",
    "cut_crlf",
    "debug",
    "digest",
    "div",
    "djb2",
    "even",
    "field",
    "fix_is_valid",
    "fix_tag_value",
    "hex",
    "hex2i",
    "hmac",
    "host_only",
    "htonl",
    "http_date",
    "iif",
    "ipmask",
    "json",
    "json_query",
    "jwt_header_query",
    "jwt_payload_query",
    "language",
    "length",
    "lower",
    "ltime",
    "ltrim",
    "mod",
    "mul",
    "nbsrv",
    "neg",
    "not",
    "odd",
    "or",
    "port_only",
    "protobuf",
    "regsub",
    "rtrim",
    "sdbm",
    "secure_memcmp",
    "set-var",
    "sha1",
    "sha2",
    "srv_queue",
    "strcmp",
    "sub",
    "ub64dec",
    "ub64enc",
    "ungrpc",
    "unset-var",
    "upper",
    "url_dec",
    "url_enc",
    "utime",
    "word",
    "wt6",
    "xor",
    "xxh3",
    "xxh32",
    "xxh64",
];

/// Whether [`Conv::compile`] implements converter `name` (keyword-coverage reports). The
/// `map*` converters are not counted here: map.rs compiles them.
pub fn implemented(name: &str) -> bool {
    IMPLEMENTED.contains(&name) || super::stick::conv_implemented(name)
}

fn arg_int(args: &[ArgValue], i: usize) -> Option<i64> {
    match args.get(i) {
        Some(ArgValue::Sint(v)) => Some(*v),
        _ => None,
    }
}

fn arg_str(args: &[ArgValue], i: usize) -> Option<&str> {
    match args.get(i) {
        Some(ArgValue::Str(s) | ArgValue::Reg(s)) => Some(s),
        _ => None,
    }
}

fn arg_bytes(args: &[ArgValue], i: usize) -> Box<[u8]> {
    arg_str(args, i).unwrap_or("").as_bytes().into()
}

/// A variable argument as the configuration layer typed it (`ArgValue::Var`); an empty
/// optional one is `None`.
fn arg_var(args: &[ArgValue], i: usize) -> Option<VarName> {
    match args.get(i) {
        Some(ArgValue::Var(v)) => VarName::parse(v),
        _ => None,
    }
}

/// `sample_check_arg_base64()`: a variable name, else base64 text decoded now.
fn b64_arg(args: &[ArgValue], i: usize) -> Option<HmacKey> {
    Some(match args.get(i)? {
        ArgValue::Var(s) => HmacKey::Var(VarName::parse(s)?),
        ArgValue::Str(s) => match VarName::parse(s) {
            Some(v) => HmacKey::Var(v),
            None => HmacKey::Lit(text::base64dec(s.as_bytes())?),
        },
        _ => return None,
    })
}

/// The bytes of a base64 argument, a variable's content being decoded at each use.
fn b64_value<'k>(cx: &ConvCx<'_>, k: &'k HmacKey) -> Option<Cow<'k, [u8]>> {
    Some(match k {
        HmacKey::Lit(v) => Cow::Borrowed(&v[..]),
        HmacKey::Var(n) => Cow::Owned(text::base64dec(&var_text(cx, n, SmpType::Str)?)?),
    })
}

fn operand(args: &[ArgValue]) -> Option<Operand> {
    match args.first() {
        Some(ArgValue::Sint(v)) => Some(Operand::Int(*v)),
        Some(ArgValue::Var(v)) => VarName::parse(v).map(Operand::Var),
        _ => None,
    }
}

impl Conv {
    /// Compiles converter `name` with its parsed arguments. `Err`: not implemented.
    pub fn compile(name: &str, args: &[ArgValue], maps: &mut MapCache) -> Result<Conv, String> {
        let not_active = || format!("converter '{name}'");
        let input = crate::config::expr::kw::find_conv(name)
            .map(|k| k.input)
            .ok_or_else(not_active)?;
        let op = if name.starts_with("map") {
            Op::Map(MapConv::compile(name, args, maps)?)
        } else {
            Self::compile_op(name, args).ok_or_else(not_active)?
        };
        Ok(Conv { input, op })
    }

    fn compile_op(name: &str, args: &[ArgValue]) -> Option<Op> {
        let avalanche = arg_int(args, 0).unwrap_or(0) != 0;
        let arith = |a| operand(args).map(|o| Op::Arith(a, o));
        Some(match name {
            n if n == "in_table" || n.starts_with("table_") => {
                Op::Table(Box::new(super::stick::TableConv::compile(n, args)?))
            }
            "lower" => Op::Lower,
            "upper" => Op::Upper,
            "length" => Op::Length,
            "base64" => Op::Base64,
            "b64dec" => Op::B64Dec,
            "ub64enc" => Op::Ub64Enc,
            "ub64dec" => Op::Ub64Dec,
            "hex" => Op::Hex,
            "hex2i" => Op::Hex2i,
            "json" => Op::Json(text::JsonMode::parse(arg_str(args, 0).unwrap_or(""))?),
            "url_dec" => Op::UrlDec(arg_int(args, 0).unwrap_or(0) != 0),
            "url_enc" => Op::UrlEnc,
            "regsub" => Op::Regsub(Box::new(text::Regsub::compile(
                arg_str(args, 0)?,
                arg_str(args, 1).unwrap_or(""),
                arg_str(args, 2).unwrap_or(""),
            )?)),
            "field" | "word" => {
                let idx = arg_int(args, 0)?;
                let delims = arg_bytes(args, 1);
                let count = arg_int(args, 2).unwrap_or(1);
                if name == "field" {
                    Op::Field { idx, delims, count }
                } else {
                    Op::Word { idx, delims, count }
                }
            }
            "bytes" => Op::Bytes {
                off: arg_int(args, 0)?,
                len: arg_int(args, 1),
            },
            "ltrim" => Op::Ltrim(arg_bytes(args, 0)),
            "rtrim" => Op::Rtrim(arg_bytes(args, 0)),
            "cut_crlf" => Op::CutCrlf,
            "be2dec" | "be2hex" => {
                let sep = arg_bytes(args, 0);
                let chunk = arg_int(args, 1).unwrap_or(0).max(0) as usize;
                let truncate = arg_int(args, 2).unwrap_or(0) != 0;
                if name == "be2dec" {
                    Op::Be2dec {
                        sep,
                        chunk,
                        truncate,
                    }
                } else {
                    Op::Be2hex {
                        sep,
                        chunk,
                        truncate,
                    }
                }
            }
            "ipmask" => {
                let v4 = match args.first() {
                    Some(ArgValue::Ipv4(m)) => *m,
                    _ => return None,
                };
                let v6 = match args.get(1) {
                    Some(ArgValue::Ipv6(m)) => Some(*m),
                    _ => None,
                };
                Op::Ipmask(v4, v6)
            }
            "concat" => Op::Concat(arg_bytes(args, 0), arg_var(args, 1), arg_bytes(args, 2)),
            "add_item" => Op::AddItem(arg_bytes(args, 0), arg_var(args, 1), arg_bytes(args, 2)),
            "iif" => Op::Iif(arg_bytes(args, 0), arg_bytes(args, 1)),
            "add" => arith(Arith::Add)?,
            "sub" => arith(Arith::Sub)?,
            "mul" => arith(Arith::Mul)?,
            "div" => arith(Arith::Div)?,
            "mod" => arith(Arith::Mod)?,
            "and" => arith(Arith::And)?,
            "or" => arith(Arith::Or)?,
            "xor" => arith(Arith::Xor)?,
            "neg" => Op::Neg,
            "not" => Op::Not,
            "bool" => Op::Bool,
            "odd" => Op::Odd,
            "even" => Op::Even,
            "cpl" => Op::Cpl,
            "htonl" => Op::Htonl,
            "strcmp" => Op::Strcmp(arg_var(args, 0)?),
            "secure_memcmp" => Op::SecureMemcmp(arg_var(args, 0)?),
            "crc32" => Op::Hash(Hash::Crc32, avalanche),
            "crc32c" => Op::Hash(Hash::Crc32c, avalanche),
            "djb2" => Op::Hash(Hash::Djb2, avalanche),
            "sdbm" => Op::Hash(Hash::Sdbm, avalanche),
            "wt6" => Op::Hash(Hash::Wt6, avalanche),
            // The seeds are the C casts of the integer argument.
            "xxh32" => Op::Xxh32(arg_int(args, 0).unwrap_or(0) as u32),
            "xxh64" => Op::Xxh64(arg_int(args, 0).unwrap_or(0) as u64),
            "xxh3" => Op::Xxh3(arg_int(args, 0).unwrap_or(0) as u64),
            "sha1" => Op::Digest(Md(openssl::hash::MessageDigest::sha1())),
            "sha2" => Op::Digest(Md(match arg_int(args, 0).unwrap_or(0) {
                0 | 256 => openssl::hash::MessageDigest::sha256(),
                224 => openssl::hash::MessageDigest::sha224(),
                384 => openssl::hash::MessageDigest::sha384(),
                512 => openssl::hash::MessageDigest::sha512(),
                _ => return None,
            })),
            "digest" => Op::Digest(Md(openssl::hash::MessageDigest::from_name(arg_str(
                args, 0,
            )?)?)),
            "hmac" => {
                let md = openssl::hash::MessageDigest::from_name(arg_str(args, 0)?)?;
                Op::Hmac(Md(md), b64_arg(args, 1)?)
            }
            "aes_gcm_dec" => {
                use openssl::symm::Cipher as C;
                let c = match arg_int(args, 0)? {
                    128 => C::aes_128_gcm(),
                    192 => C::aes_192_gcm(),
                    256 => C::aes_256_gcm(),
                    _ => return None,
                };
                let keys = [b64_arg(args, 1)?, b64_arg(args, 2)?, b64_arg(args, 3)?];
                Op::AesGcmDec(Cipher(c), Box::new(keys))
            }
            "ltime" | "utime" => {
                let f = time::Strftime::new(arg_str(args, 0)?, arg_int(args, 1));
                if name == "ltime" {
                    Op::Ltime(f)
                } else {
                    Op::Utime(f)
                }
            }
            "http_date" => Op::HttpDate(
                arg_int(args, 0),
                time::Unit::parse(arg_str(args, 1).unwrap_or("s"))?,
            ),
            "set-var" => {
                let conds: Vec<String> = args[1..]
                    .iter()
                    .map_while(|a| match a {
                        ArgValue::Str(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
                Op::SetVar(arg_var(args, 0)?, SetConds::parse(&conds))
            }
            "unset-var" => Op::UnsetVar(arg_var(args, 0)?),
            "language" => Op::Language(
                arg_bytes(args, 0),
                arg_str(args, 1).map(|s| s.as_bytes().into()),
            ),
            "json_query" => Op::JsonQuery(
                arg_bytes(args, 0),
                arg_str(args, 1).is_some_and(|t| t == "int"),
            ),
            "protobuf" | "ungrpc" => match args.first() {
                Some(ArgValue::PbufFnum(f)) => Op::Protobuf(
                    f.as_slice().into(),
                    protobuf::PbType::parse(arg_str(args, 1))?,
                    name == "ungrpc",
                ),
                _ => return None,
            },
            "jwt_header_query" | "jwt_payload_query" => Op::JwtQuery(
                name == "jwt_payload_query",
                arg_str(args, 0).map(|p| p.as_bytes().into()),
                arg_str(args, 1).is_some_and(|t| t == "int"),
            ),
            "fix_is_valid" => Op::FixIsValid,
            "fix_tag_value" => Op::FixTagValue(fix::tagid(arg_str(args, 0)?)?),
            "host_only" => Op::HostOnly,
            "port_only" => Op::PortOnly,
            "debug" => Op::Debug,
            "nbsrv" => Op::Nbsrv,
            "srv_queue" => Op::SrvQueue,
            _ => return None,
        })
    }

    /// Applies the converter; `None`: no output (the whole expression then has none).
    pub fn apply<'a>(&self, smp: Smp<'a>, cx: &mut ConvCx<'_>) -> Option<Smp<'a>> {
        let smp = cast_input(smp, self.input)?;
        match &self.op {
            Op::Map(m) => m.apply(&smp),
            Op::Table(c) => c.apply(smp),
            Op::Arith(a, o) => {
                let Smp::Sint(v) = smp else { return None };
                let arg = match o {
                    Operand::Int(i) => *i,
                    Operand::Var(n) => match cast_input(cx.vars.get(n)?, SmpType::Sint)? {
                        Smp::Sint(i) => i,
                        _ => return None,
                    },
                };
                Some(Smp::Sint(num::arith(*a, v, arg)))
            }
            Op::Neg | Op::Not | Op::Bool | Op::Odd | Op::Even | Op::Cpl | Op::Htonl => {
                let Smp::Sint(v) = smp else { return None };
                Some(match self.op {
                    Op::Neg => Smp::Sint(if v == i64::MIN { i64::MAX } else { -v }),
                    Op::Not => Smp::Bool(v == 0),
                    Op::Bool => Smp::Bool(v != 0),
                    Op::Odd => Smp::Bool(v & 1 != 0),
                    Op::Even => Smp::Bool(v & 1 == 0),
                    Op::Cpl => Smp::Sint(!v),
                    _ => Smp::Bin(Cow::Owned((v as u32).to_be_bytes().to_vec())),
                })
            }
            Op::Iif(t, f) => {
                let Smp::Bool(b) = smp else { return None };
                Some(Smp::Str(Cow::Owned(if b { t } else { f }.to_vec())))
            }
            Op::Ipmask(m4, m6) => match smp {
                Smp::Ipv4(a) => Some(Smp::Ipv4(mask4(a, *m4))),
                Smp::Ipv6(a) => match a.to_ipv4_mapped() {
                    Some(a) => Some(Smp::Ipv4(mask4(a, *m4))),
                    None => {
                        let m = u128::from((*m6)?);
                        Some(Smp::Ipv6(Ipv6Addr::from(u128::from(a) & m)))
                    }
                },
                _ => None,
            },
            Op::Ltime(f) | Op::Utime(f) => {
                let Smp::Sint(v) = smp else { return None };
                let local = matches!(self.op, Op::Ltime(_));
                Some(Smp::Str(Cow::Owned(f.format(v, local))))
            }
            Op::HttpDate(off, unit) => {
                let Smp::Sint(v) = smp else { return None };
                Some(Smp::Str(Cow::Owned(time::http_date(v, *off, *unit))))
            }
            Op::SetVar(n, c) => cx.vars.set(n, smp.clone(), c).then_some(smp),
            Op::UnsetVar(n) => {
                cx.vars.unset(n);
                Some(smp)
            }
            // HAProxy also writes the sample to a ring; there is none here yet, and the
            // sample passes unchanged either way.
            Op::Debug => Some(smp),
            _ => self.apply_bytes(smp, cx),
        }
    }

    /// The converters whose input is a string or binary sample.
    fn apply_bytes<'a>(&self, smp: Smp<'a>, cx: &mut ConvCx<'_>) -> Option<Smp<'a>> {
        let is_bin = matches!(smp, Smp::Bin(_));
        let b = match smp {
            Smp::Str(b) | Smp::Bin(b) | Smp::Meth(b) => b,
            _ => return None,
        };
        let same = |c: Cow<'a, [u8]>| if is_bin { Smp::Bin(c) } else { Smp::Str(c) };
        let str_ = |v: Vec<u8>| Smp::Str(Cow::Owned(v));
        let bin = |v: Vec<u8>| Smp::Bin(Cow::Owned(v));
        Some(match &self.op {
            Op::Nbsrv => {
                let name = std::str::from_utf8(&b).ok()?;
                Smp::Sint(cx.env.backend(Some(name))?.nbsrv)
            }
            // Without a backend part, the server is looked up in the rule's backend.
            Op::SrvQueue => {
                let name = std::str::from_utf8(&b).ok()?;
                let (be, srv) = match name.split_once('/') {
                    Some((be, srv)) => (Some(be), srv),
                    None => (None, name),
                };
                Smp::Sint(cx.env.server_stat(be, srv)?.1)
            }
            Op::Lower | Op::Upper => {
                let up = matches!(self.op, Op::Upper);
                let needs = b.iter().any(|c| {
                    if up {
                        c.is_ascii_lowercase()
                    } else {
                        c.is_ascii_uppercase()
                    }
                });
                if !needs {
                    return Some(same(b));
                }
                let mut v = b.into_owned();
                if up {
                    v.make_ascii_uppercase()
                } else {
                    v.make_ascii_lowercase()
                }
                same(Cow::Owned(v))
            }
            Op::Length => Smp::Sint(b.len() as i64),
            Op::Base64 => str_(text::a2base64(&b, false)?),
            Op::Ub64Enc => str_(text::a2base64(&b, true)?),
            Op::B64Dec => bin(text::base64dec(&b)?),
            Op::Ub64Dec => bin(text::base64urldec(&b)?),
            Op::Hex => str_(text::hex(&b)),
            Op::Hex2i => Smp::Sint(text::hex2i(&b)?),
            Op::Json(m) => str_(text::json(&b, *m)?),
            Op::UrlDec(form) => str_(text::url_dec(&b, *form)?),
            Op::UrlEnc => str_(text::url_enc(&b)),
            Op::Regsub(r) => str_(r.apply(&b)),
            Op::Field { idx, delims, count } => {
                let r = text::field(&b, *idx, delims, *count)?;
                same(slice(b, r))
            }
            Op::Word { idx, delims, count } => {
                let r = text::word(&b, *idx, delims, *count);
                same(slice(b, r))
            }
            Op::Bytes { off, len } => {
                let n = b.len() as i64;
                let r = if n <= *off {
                    0..0
                } else {
                    // A negative offset reads before the sample in HAProxy; clamp it.
                    let s = (*off).max(0);
                    // A negative length becomes a huge size_t in C: the rest of the input.
                    let l = match len {
                        Some(l) if (0..n - s).contains(l) => *l,
                        _ => n - s,
                    };
                    s as usize..(s + l) as usize
                };
                same(slice(b, r))
            }
            Op::Ltrim(d) => {
                let s = b.iter().position(|c| !d.contains(c)).unwrap_or(b.len());
                let e = b.len();
                same(slice(b, s..e))
            }
            Op::Rtrim(d) => {
                let e = b.iter().rposition(|c| !d.contains(c)).map_or(0, |p| p + 1);
                same(slice(b, 0..e))
            }
            Op::CutCrlf => {
                let e = b
                    .iter()
                    .position(|&c| c == b'\r' || c == b'\n')
                    .unwrap_or(b.len());
                same(slice(b, 0..e))
            }
            Op::Be2dec {
                sep,
                chunk,
                truncate,
            } => str_(text::be2dec(&b, sep, *chunk, *truncate)),
            Op::Be2hex {
                sep,
                chunk,
                truncate,
            } => {
                let chunk = if sep.is_empty() && !*truncate {
                    b.len()
                } else {
                    *chunk
                };
                str_(text::be2hex(&b, sep, chunk, *truncate))
            }
            Op::Concat(pre, var, suf) => {
                let mut v = b.into_owned();
                v.extend_from_slice(pre);
                if let Some(x) = var.as_ref().and_then(|n| var_text(cx, n, SmpType::Str)) {
                    v.extend_from_slice(&x);
                }
                v.extend_from_slice(suf);
                v.truncate(TRASH - 1);
                str_(v)
            }
            Op::AddItem(delim, var, suf) => {
                let x = var.as_ref().and_then(|n| var_text(cx, n, SmpType::Str));
                let mut v = b.into_owned();
                let var_nonempty = x.as_ref().is_some_and(|x| !x.is_empty());
                if !v.is_empty() && (var_nonempty || !suf.is_empty()) {
                    v.extend_from_slice(delim);
                }
                if let Some(x) = x {
                    v.extend_from_slice(&x);
                }
                v.extend_from_slice(suf);
                v.truncate(TRASH - 1);
                str_(v)
            }
            Op::Language(list, default) => {
                str_(text::language(&b, list, default.as_deref())?.to_vec())
            }
            Op::JsonQuery(path, int) => match json::query(&b, path, *int)? {
                json::Out::Int(i) => Smp::Sint(i),
                json::Out::Bool(v) => Smp::Bool(v),
                json::Out::Str(v) => str_(v),
            },
            Op::Protobuf(fids, ty, grpc) => {
                let f = if *grpc {
                    protobuf::ungrpc(&b, fids, *ty)
                } else {
                    protobuf::protobuf(&b, fids, *ty)
                };
                match f? {
                    protobuf::Found::Bytes(r) => Smp::Bin(slice(b, r)),
                    protobuf::Found::Int(i) => Smp::Sint(i),
                }
            }
            Op::FixIsValid => Smp::Bool(fix::validate(&b)?),
            Op::FixTagValue(id) => {
                let r = fix::tag_value(&b, *id).filter(|r| !r.is_empty())?;
                same(slice(b, r))
            }
            Op::HostOnly | Op::PortOnly => {
                // The last ':' not inside "[v6]" starts the port.
                let colon = match b.iter().rposition(|&c| c == b':' || c == b']') {
                    Some(p) if b[p] == b':' => Some(p),
                    _ => None,
                };
                if matches!(self.op, Op::PortOnly) {
                    // strl2ui() does not check for digits ("12ab" is 1740) and wraps.
                    let port = colon.map_or(0u32, |p| {
                        b[p + 1..].iter().fold(0u32, |n, &c| {
                            n.wrapping_mul(10).wrapping_sub(48).wrapping_add(c as u32)
                        })
                    });
                    return Some(Smp::Sint(port as i64));
                }
                let n = colon.unwrap_or(b.len());
                let host = slice(b, 0..n);
                if host.iter().any(|c| c.is_ascii_uppercase()) {
                    str_(host.to_ascii_lowercase())
                } else {
                    Smp::Str(host)
                }
            }
            Op::JwtQuery(payload, path, int) => {
                // jwt_tokenize(): the header ends at the first '.', the payload at the next.
                let mut parts = b.split(|&c| c == b'.');
                let header = parts.next().unwrap_or(b"");
                let part = if *payload { parts.next()? } else { header };
                let json = text::base64urldec(part)?;
                match json::query(&json, path.as_deref()?, *int)? {
                    json::Out::Int(i) => Smp::Sint(i),
                    json::Out::Bool(v) => Smp::Bool(v),
                    json::Out::Str(v) => str_(v),
                }
            }
            Op::Strcmp(n) => {
                let other = var_text(cx, n, SmpType::Str)?;
                Smp::Sint(num::strcmp(&b, &other))
            }
            Op::SecureMemcmp(n) => {
                let other = var_text(cx, n, SmpType::Bin)?;
                Smp::Bool(b.len() == other.len() && openssl::memcmp::eq(&b, &other))
            }
            Op::Hash(h, av) => {
                use crate::lb::hash;
                let v = match h {
                    Hash::Crc32 => hash::crc32(&b),
                    Hash::Crc32c => hash::crc32c(&b),
                    Hash::Djb2 => hash::djb2(&b),
                    Hash::Sdbm => hash::sdbm(&b),
                    Hash::Wt6 => hash::wt6(&b),
                };
                Smp::Sint(if *av { hash::full_hash(v) } else { v } as i64)
            }
            Op::Xxh32(seed) => Smp::Sint(xxhash_rust::xxh32::xxh32(&b, *seed) as i64),
            Op::Xxh64(seed) => Smp::Sint(xxhash_rust::xxh64::xxh64(&b, *seed) as i64),
            Op::Xxh3(seed) => Smp::Sint(xxhash_rust::xxh3::xxh3_64_with_seed(&b, *seed) as i64),
            Op::Digest(md) => bin(openssl::hash::hash(md.0, &b).ok()?.to_vec()),
            Op::Hmac(md, key) => bin(num::hmac(md.0, &b64_value(cx, key)?, &b)?),
            Op::AesGcmDec(c, keys) => {
                let nonce = b64_value(cx, &keys[0])?;
                let key = b64_value(cx, &keys[1])?;
                let tag = b64_value(cx, &keys[2])?;
                // EVP reads as many key bytes as the cipher needs; a shorter key would be
                // read past its end in C, and makes the openssl crate panic.
                let key = key.get(..c.0.key_len())?;
                let input = &b[..b.len().min(TRASH)];
                bin(openssl::symm::decrypt_aead(c.0, key, Some(&nonce), &[], input, &tag).ok()?)
            }
            _ => return None,
        })
    }
}

/// `sample_casts[][]` for a converter's input. These entries differ from [`Smp::cast`] in
/// HAProxy 2.6: integers and booleans become 8 big-endian bytes as binary (`c_int2bin`,
/// `c_bool2bin`: `int(10),hex` is "000000000000000A"), binary becomes a string only up to
/// its first NUL byte (`c_bin2str`), and text is read as an integer by `read_int64()`,
/// which takes a `+` and saturates ("+5" is 5, 20 nines are `i64::MAX`).
fn cast_input(smp: Smp<'_>, to: SmpType) -> Option<Smp<'_>> {
    match (smp, to) {
        (Smp::Sint(i), SmpType::Bin) => Some(Smp::Bin(Cow::Owned(i.to_be_bytes().to_vec()))),
        (Smp::Bool(b), SmpType::Bin) => {
            Some(Smp::Bin(Cow::Owned((b as i64).to_be_bytes().to_vec())))
        }
        (Smp::Str(s), SmpType::Sint | SmpType::Bool) if !s.is_empty() => {
            let v = crate::config::expr::args::read_int64(&s).0;
            Some(if to == SmpType::Sint {
                Smp::Sint(v)
            } else {
                Smp::Bool(v != 0)
            })
        }
        (Smp::Bin(b), SmpType::Str) => {
            let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            Some(Smp::Str(slice(b, 0..n)))
        }
        (smp, to) => smp.cast(to),
    }
}

fn mask4(a: Ipv4Addr, m: Ipv4Addr) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(a) & u32::from(m))
}

/// A variable's value cast to `to` (`sample_conv_var2smp()`), as bytes.
fn var_text(cx: &ConvCx<'_>, n: &VarName, to: SmpType) -> Option<Vec<u8>> {
    match cast_input(cx.vars.get(n)?, to)? {
        Smp::Str(s) | Smp::Bin(s) | Smp::Meth(s) => Some(s.into_owned()),
        _ => None,
    }
}

/// Part of a sample's bytes, still borrowed when the input was.
fn slice(b: Cow<'_, [u8]>, r: std::ops::Range<usize>) -> Cow<'_, [u8]> {
    match b {
        Cow::Borrowed(s) => Cow::Borrowed(&s[r]),
        Cow::Owned(mut v) => {
            v.truncate(r.end);
            v.drain(..r.start);
            Cow::Owned(v)
        }
    }
}
