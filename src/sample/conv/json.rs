//! `json_query`: a port of the mjson functions HAProxy 2.6 uses (`src/mjson.c`), whose
//! path language (`$.a.b[2]`) and leniency (numbers read by its own `strtod`, strings with
//! only `\u00XX` escapes) decide which queries give a value.

use super::TRASH;

const TOK_INVALID: i32 = 0;
const TOK_KEY: i32 = 1;
const TOK_STRING: i32 = 11;
const TOK_NUMBER: i32 = 12;
const TOK_TRUE: i32 = 13;
const TOK_FALSE: i32 = 14;
const TOK_NULL: i32 = 15;
const MAX_DEPTH: usize = 20;

fn is_value(t: i32) -> bool {
    t > 10 && t < 20
}

/// Byte `i` of a C string, 0 past its end.
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// `mystrtod()`: the value and the bytes that form a number (0 when none).
fn strtod(s: &[u8]) -> (f64, usize) {
    let mut d = 0.0;
    let mut sign = 1.0;
    let mut p = 0;
    let mut a = 0;
    if at(s, p) == b'-' {
        sign = -1.0;
        p += 1;
    } else if at(s, p) == b'+' {
        p += 1;
    }
    if at(s, p).is_ascii_digit() {
        d = (at(s, p) - b'0') as f64;
        p += 1;
        while at(s, p).is_ascii_digit() {
            d = d * 10.0 + (at(s, p) - b'0') as f64;
            p += 1;
        }
        a = p;
    } else if at(s, p) != b'.' {
        return (d, a);
    }
    d *= sign;
    if at(s, p) == b'.' {
        let mut f = 0.0;
        let mut base = 0.1;
        p += 1;
        while at(s, p).is_ascii_digit() {
            f += base * (at(s, p) - b'0') as f64;
            base /= 10.0;
            p += 1;
        }
        d += f * sign;
        a = p;
    }
    if at(s, p) == b'E' || at(s, p) == b'e' {
        let mut e: i64 = 0;
        let mut neg = false;
        p += 1;
        if at(s, p) == b'-' {
            p += 1;
            neg = true;
        }
        if at(s, p) == b'+' {
            p += 1;
        }
        while at(s, p).is_ascii_digit() {
            e = e
                .saturating_mul(10)
                .saturating_add((at(s, p) - b'0') as i64);
            p += 1;
        }
        if neg {
            e = -e;
        }
        // The C loops multiply one step at a time; past ±400 the result no longer changes.
        for _ in 0..e.clamp(0, 400) {
            d *= 10.0;
        }
        for _ in 0..(-e).clamp(0, 400) {
            d /= 10.0;
        }
        a = p;
    } else if p > 0 && !s[p - 1].is_ascii_digit() {
        a = 0;
    }
    (d, a)
}

/// `mjson_pass_string()`: the length of a string body up to its closing quote.
fn pass_string(s: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 1 < s.len() && b"\x08\x0c\n\r\t\\\"".contains(&s[i + 1]) {
            i += 1;
        } else if s[i] == 0 {
            return None;
        } else if s[i] == b'"' {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The state of `mjson_get_cb()`.
struct Get<'p> {
    path: &'p [u8],
    pos: usize,
    d1: i32,
    d2: i32,
    i1: i32,
    i2: i32,
    obj: Option<usize>,
    tok: i32,
    found: (usize, usize),
}

fn plen(s: &[u8]) -> (usize, usize) {
    let (mut i, mut n) = (0, 0);
    while at(s, i) != 0 && at(s, i) != b'.' && at(s, i) != b'[' {
        n += 1;
        i += if s[i] == b'\\' { 2 } else { 1 };
    }
    (n, i)
}

fn kcmp(a: &[u8], b: &[u8], n: usize) -> bool {
    let mut i = 0;
    for &x in a.iter().take(n) {
        if at(b, i) == b'\\' {
            i += 1;
        }
        if x != at(b, i) {
            return false;
        }
        i += 1;
    }
    true
}

impl Get<'_> {
    fn p(&self, i: usize) -> u8 {
        at(self.path, i)
    }

    /// One token; `true` stops the walk.
    fn cb(&mut self, tok: i32, s: &[u8], off: usize, len: usize) -> bool {
        if self.tok != TOK_INVALID {
            return true;
        }
        if tok == b'{' as i32 {
            if self.p(self.pos) == 0 && self.d1 == self.d2 {
                self.obj = Some(off);
            }
            self.d1 += 1;
        } else if tok == b'[' as i32 {
            if self.d1 == self.d2 && self.p(self.pos) == b'[' {
                self.i1 = 0;
                self.i2 = strtod(&self.path[(self.pos + 1).min(self.path.len())..]).0 as i32;
                if self.i1 == self.i2 {
                    self.d2 += 1;
                    self.pos += 3;
                }
            }
            if self.p(self.pos) == 0 && self.d1 == self.d2 {
                self.obj = Some(off);
            }
            self.d1 += 1;
        } else if tok == b',' as i32 {
            if self.d1 == self.d2 + 1 {
                self.i1 += 1;
                if self.i1 == self.i2 {
                    while self.pos < self.path.len() && self.p(self.pos) != b']' {
                        self.pos += 1;
                    }
                    self.pos += 1;
                    self.d2 += 1;
                }
            }
        } else if tok == TOK_KEY
            && self.d1 == self.d2 + 1
            && self.p(self.pos) == b'.'
            && s[off] == b'"'
            && s[off + len - 1] == b'"'
            && plen(&self.path[(self.pos + 1).min(self.path.len())..]).0 == len - 2
            && kcmp(&s[off + 1..], &self.path[self.pos + 1..], len - 2)
        {
            self.d2 += 1;
            self.pos += plen(&self.path[self.pos + 1..]).1 + 1;
        } else if tok == TOK_KEY && self.d1 == self.d2 {
            return true;
        } else if tok == b'}' as i32 || tok == b']' as i32 {
            self.d1 -= 1;
            if self.p(self.pos) == 0 && self.d1 == self.d2 {
                if let Some(o) = self.obj {
                    self.tok = tok - 2;
                    self.found = (o, off - o + 1);
                    return true;
                }
            }
        } else if is_value(tok) && self.d1 == self.d2 && self.p(self.pos) == 0 {
            self.tok = tok;
            self.found = (off, len);
            return true;
        }
        false
    }
}

/// `mjson()` walking `s` with `mjson_get_cb()`; `false` on invalid JSON.
fn walk(s: &[u8], g: &mut Get<'_>) -> bool {
    #[derive(PartialEq)]
    enum Exp {
        Value,
        Key,
        Colon,
        CommaOrEoo,
    }
    let mut exp = Exp::Value;
    let mut nesting = [0u8; MAX_DEPTH];
    let mut depth = 0usize;
    let mut i = 0;
    while i < s.len() {
        let start = i;
        let c = s[i];
        let mut tok = c as i32;
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        // `MJSONEOO()`: closes a level; at depth 0 the document ends.
        macro_rules! eoo {
            () => {{
                if depth == 0 || c != nesting[depth - 1] + 2 {
                    return false;
                }
                depth -= 1;
                if depth == 0 {
                    g.cb(tok, s, start, i - start + 1);
                    return true;
                }
            }};
        }
        match exp {
            Exp::Value => {
                if c == b'{' || c == b'[' {
                    if depth >= MAX_DEPTH {
                        return false;
                    }
                    nesting[depth] = c;
                    depth += 1;
                    if c == b'{' {
                        exp = Exp::Key;
                    }
                } else {
                    if c == b']' && depth > 0 {
                        eoo!();
                    } else if c == b't' && s[i..].starts_with(b"true") {
                        i += 3;
                        tok = TOK_TRUE;
                    } else if c == b'n' && s[i..].starts_with(b"null") {
                        i += 3;
                        tok = TOK_NULL;
                    } else if c == b'f' && s[i..].starts_with(b"false") {
                        i += 4;
                        tok = TOK_FALSE;
                    } else if c == b'-' || c.is_ascii_digit() {
                        let (_, n) = strtod(&s[i..]);
                        tok = TOK_NUMBER;
                        if n == 0 {
                            // C steps back one byte: a zero-length token, then the same
                            // byte read again (where only a comma or a closing fits).
                            if depth == 0 {
                                g.cb(tok, s, start, 0);
                                return true;
                            }
                            exp = Exp::CommaOrEoo;
                            if g.cb(tok, s, start, 0) {
                                return true;
                            }
                            continue;
                        }
                        i += n - 1;
                    } else if c == b'"' {
                        let Some(n) = pass_string(&s[i + 1..]) else {
                            return false;
                        };
                        i += n + 1;
                        tok = TOK_STRING;
                    } else {
                        return false;
                    }
                    if depth == 0 {
                        g.cb(tok, s, start, i - start + 1);
                        return true;
                    }
                    exp = Exp::CommaOrEoo;
                }
            }
            Exp::Key => {
                if c == b'"' {
                    let Some(n) = pass_string(&s[i + 1..]) else {
                        return false;
                    };
                    i += n + 1;
                    tok = TOK_KEY;
                    exp = Exp::Colon;
                } else if c == b'}' {
                    eoo!();
                    exp = Exp::CommaOrEoo;
                } else {
                    return false;
                }
            }
            Exp::Colon => {
                if c != b':' {
                    return false;
                }
                exp = Exp::Value;
            }
            Exp::CommaOrEoo => {
                if depth == 0 {
                    return false;
                }
                if c == b',' {
                    exp = if nesting[depth - 1] == b'{' {
                        Exp::Key
                    } else {
                        Exp::Value
                    };
                } else if c == b']' || c == b'}' {
                    eoo!();
                } else {
                    return false;
                }
            }
        }
        if g.cb(tok, s, start, i - start + 1) {
            return true;
        }
        i += 1;
    }
    false
}

/// `mjson_find()`: the token type and its bytes.
fn find<'s>(s: &'s [u8], path: &[u8]) -> (i32, &'s [u8]) {
    if path.first() != Some(&b'$') {
        return (TOK_INVALID, b"");
    }
    let mut g = Get {
        path,
        pos: 1,
        d1: 0,
        d2: 0,
        i1: 0,
        i2: 0,
        obj: None,
        tok: TOK_INVALID,
        found: (0, 0),
    };
    if !walk(s, &mut g) {
        return (TOK_INVALID, b"");
    }
    let (o, n) = g.found;
    (g.tok, &s[o..o + n])
}

/// `mjson_unescape()`: only `\u00XX` of the `\u` escapes.
fn unescape(s: &[u8], n: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() && out.len() < n {
        if s[i] == b'\\' && i + 5 < s.len() && s[i + 1] == b'u' {
            if s[i + 2] != b'0' || s[i + 3] != b'0' {
                return None;
            }
            let nib = |c: u8| match c {
                b'0'..=b'9' => c - b'0',
                b'A'..=b'F' => c - b'7',
                _ => c.wrapping_sub(b'W'),
            };
            out.push(nib(s[i + 4]).wrapping_shl(4) | nib(s[i + 5]));
            i += 6;
        } else if s[i] == b'\\' && i + 1 < s.len() {
            let c = match s[i + 1] {
                b'b' => 8,
                b'f' => 12,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'\\' => b'\\',
                b'"' => b'"',
                _ => return None,
            };
            out.push(c);
            i += 2;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    (out.len() < n).then_some(out)
}

/// `strtoll(token, NULL, 0)`: base from the prefix (`0x` hex, `0` octal), saturating.
fn strtoll0(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && (s[i] == b' ' || (9..=13).contains(&s[i])) {
        i += 1;
    }
    let neg = at(s, i) == b'-';
    if matches!(at(s, i), b'-' | b'+') {
        i += 1;
    }
    let mut base = 10;
    if at(s, i) == b'0' {
        if matches!(at(s, i + 1), b'x' | b'X') && at(s, i + 2).is_ascii_hexdigit() {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    let mut v: i128 = 0;
    while let Some(d) = (at(s, i) as char).to_digit(base) {
        v = (v * base as i128 + d as i128).min(i64::MAX as i128 + 1);
        i += 1;
    }
    let v = if neg { -v } else { v };
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// C's `%g`: six significant digits, trailing zeros dropped, exponent form below 1e-4
/// and from 1e6.
fn fmt_g(v: f64) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf" } else { "inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let e = format!("{v:.5e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let x: i32 = exp.parse().unwrap_or(0);
    let strip = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..6).contains(&x) {
        let sign = if x < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", strip(mant), x.abs())
    } else {
        strip(&format!("{:.*}", (5 - x) as usize, v))
    }
}

/// What `json_query` gives.
pub(super) enum Out {
    Int(i64),
    Bool(bool),
    Str(Vec<u8>),
}

/// `sample_conv_json_query()`; `int`: the `"int"` output type was asked for.
pub(super) fn query(s: &[u8], path: &[u8], int: bool) -> Option<Out> {
    const JSON_INT_MAX: i64 = (1 << 53) - 1;
    let (tok, t) = find(s, path);
    match tok {
        TOK_NUMBER if int => {
            let v = strtoll0(t);
            (-JSON_INT_MAX..=JSON_INT_MAX)
                .contains(&v)
                .then_some(Out::Int(v))
        }
        TOK_NUMBER => Some(Out::Str(fmt_g(strtod(t).0).into_bytes())),
        TOK_TRUE => Some(Out::Bool(true)),
        TOK_FALSE => Some(Out::Bool(false)),
        TOK_STRING => unescape(&t[1..t.len() - 1], TRASH).map(Out::Str),
        _ => None,
    }
}
