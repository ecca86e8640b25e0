//! String and binary converters, each a port of its HAProxy 2.6 C function (named in its
//! doc comment) including the odd cases configurations may rely on.

use super::TRASH;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const UB64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `a2base64()` / `a2base64url()`: the URL variant has no padding. Fails when the output
/// would not fit a trash chunk.
pub(super) fn a2base64(b: &[u8], url: bool) -> Option<Vec<u8>> {
    let conv = b.len().div_ceil(3) * 4;
    if conv >= TRASH {
        return None;
    }
    let tab = if url { UB64 } else { B64 };
    let mut out = Vec::with_capacity(conv);
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        let k = c.len() + 1;
        for i in 0..4 {
            if i < k {
                out.push(tab[(n >> (18 - 6 * i) & 63) as usize]);
            } else if !url {
                out.push(b'=');
            }
        }
    }
    Some(out)
}

/// `base64dec()`. Padding may end any 4-byte group ("AB==CD=="), and "A===" is accepted
/// (as HAProxy's checks let it through), giving nothing for that group.
pub(super) fn base64dec(b: &[u8]) -> Option<Vec<u8>> {
    if b.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let mut t = [0u8; 4];
    let (mut i, mut pad) = (0, 0);
    for &c in b {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => 64,
            _ => return None,
        };
        if pad > 0 && v != 64 {
            return None;
        }
        if pad > 0 && i < 2 {
            return None;
        }
        if v == 64 {
            pad += 1;
        }
        t[i] = v;
        i += 1;
        if i == 4 {
            let bytes = group(&t);
            out.extend_from_slice(&bytes[..3 - pad]);
            i = 0;
            pad = 0;
        }
    }
    Some(out)
}

fn group(t: &[u8; 4]) -> [u8; 3] {
    [
        t[0].wrapping_shl(2).wrapping_add(t[1] >> 4),
        t[1].wrapping_shl(4).wrapping_add(t[2] >> 2),
        t[2].wrapping_shl(6).wrapping_add(t[3]),
    ]
}

/// `base64urldec()`: unpadded input; its table reads `=` as 63 (like `_`).
pub(super) fn base64urldec(b: &[u8]) -> Option<Vec<u8>> {
    let padlen = match b.len() % 4 {
        0 => 0,
        2 => 2,
        3 => 1,
        _ => return None,
    };
    let mut out = Vec::with_capacity((b.len() + padlen) / 4 * 3);
    let mut t = [0u8; 4];
    let mut i = 0;
    for k in 0..b.len() + padlen {
        t[i] = match b.get(k) {
            None => 64,
            Some(&c) => match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'-' => 62,
                b'_' | b'=' => 63,
                _ => return None,
            },
        };
        i += 1;
        if i == 4 {
            out.extend_from_slice(&group(&t));
            i = 0;
        }
    }
    out.truncate(out.len() - padlen);
    Some(out)
}

/// `sample_conv_bin2hex()`: upper-case digits, up to a trash chunk of output.
pub(super) fn hex(b: &[u8]) -> Vec<u8> {
    let b = &b[..b.len().min(TRASH / 2)];
    let mut out = Vec::with_capacity(b.len() * 2);
    for &c in b {
        out.push(HEX[(c >> 4) as usize]);
        out.push(HEX[(c & 15) as usize]);
    }
    out
}

/// `sample_conv_hex2int()`: any non-hex byte fails; more than 16 digits keep the low bits.
pub(super) fn hex2i(b: &[u8]) -> Option<i64> {
    let mut n: i64 = 0;
    for &c in b {
        let d = (c as char).to_digit(16)? as i64;
        n = n.wrapping_shl(4).wrapping_add(d);
    }
    Some(n)
}

/// `sample_conv_be2dec()`.
pub(super) fn be2dec(b: &[u8], sep: &[u8], chunk: usize, truncate: bool) -> Vec<u8> {
    let len = b.len() as i64;
    let last = if truncate {
        len - chunk as i64 + 1
    } else {
        len
    };
    let mut max = TRASH as i64 - 2;
    let mut out = Vec::new();
    let mut ptr = 0usize;
    while (ptr as i64) < last && out.len() as i64 <= max {
        if ptr > 0 {
            out.extend_from_slice(sep);
        } else {
            max -= sep.len() as i64;
        }
        let mut n: u64 = 0;
        let mut i = 0;
        while i < chunk && ptr < b.len() {
            n = (n << 8) + b[ptr] as u64;
            ptr += 1;
            i += 1;
        }
        out.extend_from_slice(n.to_string().as_bytes());
    }
    out
}

/// `sample_conv_be2hex()`; `chunk` is already the whole input when there is neither a
/// separator nor truncation.
pub(super) fn be2hex(b: &[u8], sep: &[u8], chunk: usize, truncate: bool) -> Vec<u8> {
    let len = b.len() as i64;
    let last = if truncate {
        len - chunk as i64 + 1
    } else {
        len
    };
    let mut max = TRASH as i64 - 2 * chunk as i64;
    let mut out = Vec::new();
    let mut ptr = 0usize;
    while (ptr as i64) < last && out.len() as i64 <= max {
        if ptr > 0 {
            out.extend_from_slice(sep);
        } else {
            max -= sep.len() as i64;
        }
        let mut i = 0;
        while i < chunk && ptr < b.len() {
            let c = b[ptr];
            out.push(HEX[(c >> 4) as usize]);
            out.push(HEX[(c & 15) as usize]);
            ptr += 1;
            i += 1;
        }
    }
    out
}

/// The `json` converter's input reading (`enum input_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JsonMode {
    Ascii,
    Utf8,
    Utf8s,
    Utf8p,
    Utf8ps,
}

impl JsonMode {
    pub(super) fn parse(s: &str) -> Option<JsonMode> {
        Some(match s {
            "" | "ascii" => JsonMode::Ascii,
            "utf8" => JsonMode::Utf8,
            "utf8s" => JsonMode::Utf8s,
            "utf8p" => JsonMode::Utf8p,
            "utf8ps" => JsonMode::Utf8ps,
            _ => return None,
        })
    }
}

const UTF8_OVERLONG: u8 = 0x10;
const UTF8_INVRANGE: u8 = 0x20;
const UTF8_BADSEQ: u8 = 0x40;

/// `utf8_next()`: the code point at the start of `s`, the error bits and the length read.
fn utf8_next(s: &[u8]) -> (u32, u8, usize) {
    let p0 = s[0];
    let (mut c, dec) = match p0 {
        0x00..=0x7f => return (p0 as u32, 0, 1),
        0xc0..=0xdf if s.len() >= 2 => ((p0 & 0x1f) as u32, 1),
        0xe0..=0xef if s.len() >= 3 => ((p0 & 0x0f) as u32, 2),
        0xf0..=0xf7 if s.len() >= 4 => ((p0 & 0x07) as u32, 3),
        0xf8..=0xfb if s.len() >= 5 => ((p0 & 0x03) as u32, 4),
        0xfc..=0xfd if s.len() >= 6 => ((p0 & 0x01) as u32, 5),
        _ => return (p0 as u32, UTF8_BADSEQ, 1),
    };
    let mut p = 1;
    for _ in 0..dec {
        if s[p] & 0xc0 != 0x80 {
            return (c, UTF8_BADSEQ, p & 0x0f);
        }
        c = (c << 6) | (s[p] & 0x3f) as u32;
        p += 1;
    }
    let mut code = 0;
    if (c <= 0x7f && p > 1)
        || ((0x80..=0x7ff).contains(&c) && p > 2)
        || ((0x800..=0xffff).contains(&c) && p > 3)
        || ((0x10000..=0x1fffff).contains(&c) && p > 4)
    {
        code |= UTF8_OVERLONG;
    }
    if (0xd800..=0xdfff).contains(&c) || (0xfffe..=0xffff).contains(&c) {
        code |= UTF8_INVRANGE;
    }
    (c, code, p & 0x0f)
}

/// `sample_conv_json()`: escapes for a JSON string body; `\u` escapes use lower-case hex.
pub(super) fn json(b: &[u8], mode: JsonMode) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    let mut p = 0;
    while p < b.len() {
        let c = if mode == JsonMode::Ascii {
            p += 1;
            b[p - 1] as u32
        } else {
            let (c, code, n) = utf8_next(&b[p..]);
            p += n;
            let fatal = match mode {
                JsonMode::Utf8 | JsonMode::Utf8s => code != 0,
                _ => code & (UTF8_INVRANGE | UTF8_BADSEQ) != 0,
            };
            let strict = matches!(mode, JsonMode::Utf8 | JsonMode::Utf8p);
            if fatal || c > 0xffff {
                if strict {
                    return None;
                }
                continue;
            }
            c
        };
        let mut u = [0u8; 6];
        let esc: &[u8] = match c {
            0x22 => b"\\\"",
            0x5c => b"\\\\",
            0x2f => b"\\/",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x0a => b"\\n",
            0x09 => b"\\t",
            0x20..=0x7e => {
                u[0] = c as u8;
                &u[..1]
            }
            _ => {
                const LHEX: &[u8; 16] = b"0123456789abcdef";
                u[0] = b'\\';
                u[1] = b'u';
                for i in 0..4 {
                    u[2 + i] = LHEX[(c >> (12 - 4 * i) & 15) as usize];
                }
                &u
            }
        };
        if out.len() + esc.len() > TRASH {
            return None;
        }
        out.extend_from_slice(esc);
    }
    Some(out)
}

/// `url_decode()`: stops at a NUL byte; a `%` not followed by two hex digits fails; `+` is
/// a space in a form (`in_form`) and after a `?`.
pub(super) fn url_dec(b: &[u8], mut form: bool) -> Option<Vec<u8>> {
    let b = &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())];
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(if form { b' ' } else { b'+' }),
            b'%' => {
                let h = |j: usize| b.get(j).and_then(|&c| (c as char).to_digit(16));
                out.push((h(i + 1)? * 16 + h(i + 2)?) as u8);
                i += 2;
            }
            c => {
                if c == b'?' {
                    form = true;
                }
                out.push(c)
            }
        }
        i += 1;
    }
    Some(out)
}

/// `sample_conv_url_enc()` for `query`: RFC 3986 unreserved bytes kept, the rest `%XX`.
pub(super) fn url_enc(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    // encode_chunk() keeps one byte for a NUL and stops before an escape that would not fit.
    let stop = TRASH - 1;
    for &c in b {
        if out.len() >= stop {
            break;
        }
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            out.push(c);
        } else {
            if out.len() + 3 >= stop {
                break;
            }
            out.extend_from_slice(&[b'%', HEX[(c >> 4) as usize], HEX[(c & 15) as usize]]);
        }
    }
    out
}

/// `sample_conv_field()`: the range of field `idx` (1-based, negative from the end) and the
/// `count - 1` following ones (`count` 0: all of them). `None` when the field is missing.
pub(super) fn field(
    s: &[u8],
    idx: i64,
    delims: &[u8],
    mut count: i64,
) -> Option<std::ops::Range<usize>> {
    if idx == 0 {
        return None;
    }
    let is_delim = |c: u8| delims.contains(&c);
    if idx < 0 {
        let mut field = -1;
        let (mut start, mut end) = (s.len(), s.len());
        while start > 0 {
            if is_delim(s[start - 1]) {
                if field == idx {
                    if count == 1 {
                        return Some(start..end);
                    } else if count > 1 {
                        count -= 1;
                    }
                } else {
                    end = start - 1;
                    field -= 1;
                }
            }
            start -= 1;
        }
        (field == idx).then_some(start..end)
    } else {
        let mut field = 1;
        let (mut start, mut end) = (0, 0);
        while end < s.len() {
            if is_delim(s[end]) {
                if field == idx {
                    if count == 1 {
                        return Some(start..end);
                    } else if count > 1 {
                        count -= 1;
                    }
                } else {
                    start = end + 1;
                    field += 1;
                }
            }
            end += 1;
        }
        (field == idx).then_some(start..end)
    }
}

/// `sample_conv_word()`: like [`field`] but runs of separators count as one and leading
/// ones are skipped. A missing word gives an empty string, not a failure.
pub(super) fn word(s: &[u8], idx: i64, delims: &[u8], mut count: i64) -> std::ops::Range<usize> {
    let is_delim = |c: u8| delims.contains(&c);
    let mut word = 0;
    let mut inword = false;
    if idx < 0 {
        let (mut start, mut end) = (s.len(), s.len());
        while start > 0 {
            let sep = is_delim(s[start - 1]);
            if !inword {
                if !sep {
                    if word != idx {
                        word -= 1;
                        end = start;
                    }
                    inword = true;
                }
            } else if sep {
                if word == idx {
                    if count == 1 {
                        return start..end;
                    } else if count > 1 {
                        count -= 1;
                    }
                }
                inword = false;
            }
            start -= 1;
        }
        if word != idx {
            return 0..0;
        }
        start..end
    } else {
        let (mut start, mut end) = (0, 0);
        while end < s.len() {
            let sep = is_delim(s[end]);
            if !inword {
                if !sep {
                    if word != idx {
                        word += 1;
                        start = end;
                    }
                    inword = true;
                }
            } else if sep {
                if word == idx {
                    if count == 1 {
                        return start..end;
                    } else if count > 1 {
                        count -= 1;
                    }
                }
                inword = false;
            }
            end += 1;
        }
        if word != idx {
            return 0..0;
        }
        start..end
    }
}

/// A compiled `regsub(regex,subst[,flags])`.
#[derive(Debug, Clone)]
pub(super) struct Regsub {
    re: regex::bytes::Regex,
    /// The regex for the rounds after the first, where PCRE runs with `REG_NOTBOL`: `^`
    /// can no longer match (the same regex when the pattern has no `^`).
    notbol: regex::bytes::Regex,
    subst: Box<[u8]>,
    global: bool,
}

impl Regsub {
    /// HAProxy compiles with PCRE2 without UTF mode: `.` and classes work on bytes.
    pub(super) fn compile(re: &str, subst: &str, flags: &str) -> Option<Regsub> {
        let icase = flags.contains('i');
        let build = |p: &str| {
            let b = |unicode| {
                regex::bytes::RegexBuilder::new(p)
                    .unicode(unicode)
                    .case_insensitive(icase)
                    .build()
            };
            b(false).or_else(|_| b(true)).ok()
        };
        let first = build(re)?;
        let notbol = match notbol_pattern(re) {
            Some(p) => build(&p)?,
            None => first.clone(),
        };
        Some(Regsub {
            re: first,
            notbol,
            subst: subst.as_bytes().into(),
            global: flags.contains('g'),
        })
    }

    /// `sample_conv_regsub()`'s loop. Each round matches on the rest of the input as a new
    /// subject (so `\b` sees no byte before it, as with PCRE). An empty match copies the
    /// next byte and moves on; once the whole input is consumed a last empty match at the
    /// end is still replaced (`regsub("$",x,g)` on "ab" gives "abxx", as HAProxy does).
    pub(super) fn apply(&self, s: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len());
        let mut locs = self.re.capture_locations();
        let mut start = 0;
        let mut first = true;
        loop {
            let sub = &s[start..];
            let found = if first {
                self.re.captures_read(&mut locs, sub)
            } else if self.global {
                self.notbol.captures_read(&mut locs, sub)
            } else {
                None
            };
            let so = found.as_ref().map_or(sub.len(), |m| m.start());
            out.extend_from_slice(&sub[..so]);
            let Some(m) = found else { break };
            exp_replace(&mut out, sub, &self.subst, &locs);
            if start >= s.len() {
                break;
            }
            let mut eo = m.end();
            if eo == 0 {
                out.push(sub[0]);
                eo = 1;
            }
            start += eo;
            first = false;
        }
        out
    }
}

/// `pattern` with each `^` outside a class made impossible (`REG_NOTBOL` in PCRE's default
/// single-line mode); `None` without any. A `(?m)` pattern's `^` after a newline is lost
/// too: rare enough in `regsub` to accept.
fn notbol_pattern(pattern: &str) -> Option<String> {
    let b = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut changed = false;
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'[' => {
                i += 1;
                if b.get(i) == Some(&b'^') {
                    i += 1;
                }
                if b.get(i) == Some(&b']') {
                    i += 1;
                }
                while i < b.len() && b[i] != b']' {
                    if b[i] == b'\\' {
                        i += 1;
                    } else if b[i] == b'[' && b.get(i + 1) == Some(&b':') {
                        if let Some(e) = pattern[i..].find(":]") {
                            i += e + 1;
                        }
                    }
                    i += 1;
                }
                i += 1;
            }
            b'^' => {
                out.push_str(&pattern[last..i]);
                out.push_str(r"(?:\b\B)");
                i += 1;
                last = i;
                changed = true;
            }
            _ => i += 1,
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&pattern[last.min(pattern.len())..]);
    Some(out)
}

/// `exp_replace()`: `\0`..`\9` are groups (unset ones give nothing), `\xHH` a byte (hex
/// digits not checked, as in C), `\c` the character itself.
fn exp_replace(out: &mut Vec<u8>, src: &[u8], subst: &[u8], m: &regex::bytes::CaptureLocations) {
    let mut i = 0;
    while i < subst.len() {
        if subst[i] != b'\\' {
            out.push(subst[i]);
            i += 1;
            continue;
        }
        i += 1;
        let Some(&c) = subst.get(i) else { return };
        if c.is_ascii_digit() {
            if let Some((a, b)) = m.get((c - b'0') as usize) {
                out.extend_from_slice(&src[a..b]);
            }
            i += 1;
        } else if c == b'x' {
            let (Some(&h1), Some(&h2)) = (subst.get(i + 1), subst.get(i + 2)) else {
                return;
            };
            let nib = |h: u8| {
                let v = h.to_ascii_uppercase().wrapping_sub(b'0');
                if v > 9 {
                    v.wrapping_sub(b'A' - b'9' - 1)
                } else {
                    v
                }
            };
            out.push(nib(h1).wrapping_shl(4).wrapping_add(nib(h2)));
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
}

/// `http_language_range_match()`: `range` equals `tag` or is `tag` followed by `-…`.
fn language_range_match(range: &[u8], tag: &[u8]) -> bool {
    let mut t = 0;
    for &c in range {
        if c == b'-' && t == tag.len() {
            return true;
        }
        if t == tag.len() || c != tag[t] {
            return false;
        }
        t += 1;
    }
    t == tag.len()
}

/// `http_parse_qvalue()`: "0", "0.5", "0.123", "1.000"…, 1000 when unreadable; returns
/// the value in thousandths and the bytes read. The byte after the first digit counts as
/// read even when it is not the `.` (so in "fr;q=0,en" the comma is swallowed and "en" is
/// never considered, as in HAProxy).
fn parse_qvalue(s: &[u8]) -> (i32, usize) {
    let digit = |i: usize| {
        s.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| (c - b'0') as i32)
    };
    let Some(d) = digit(0) else { return (1000, 0) };
    let mut q = d * 1000;
    let mut i = 2;
    if s.get(1) == Some(&b'.') {
        for m in [100, 10, 1] {
            match digit(i) {
                Some(d) => {
                    q += d * m;
                    i += 1;
                }
                None => break,
            }
        }
    }
    (q.min(1000), i)
}

/// `sample_conv_q_preferred()` (`language(list[,default])`): the entry of the `;`-separated
/// `list` that the Accept-Language value `al` prefers (highest q-value, first on ties).
pub(super) fn language<'l>(
    al: &[u8],
    list: &'l [u8],
    default: Option<&'l [u8]>,
) -> Option<&'l [u8]> {
    let end = al.len();
    let mut i = 0;
    let mut best_q = 0;
    let mut best: &[u8] = b"";
    let sp = |c: u8| c.is_ascii_whitespace() || c == 0x0b;
    loop {
        while i < end && sp(al[i]) {
            i += 1;
        }
        if i >= end {
            break;
        }
        let token = i;
        while i < end && al[i] != b';' && al[i] != b',' && !sp(al[i]) {
            i += 1;
        }
        let found = if i == token {
            None
        } else {
            let tok = &al[token..i];
            list.split(|&c| c == b';')
                .find(|w| language_range_match(tok, w))
        };
        if let Some(w) = found {
            let mut q = 1000;
            // look_for_q: `;q=<value>`, read in best effort.
            let skip = |i: &mut usize| {
                while *i < end && sp(al[*i]) {
                    *i += 1;
                }
                *i < end
            };
            let mut evaluate = true;
            'q: {
                if !skip(&mut i) || al[i] == b',' {
                    break 'q;
                }
                if al[i] != b';' {
                    evaluate = false;
                    break 'q;
                }
                i += 1;
                if !skip(&mut i) || al[i] != b'q' {
                    break 'q;
                }
                i += 1;
                if !skip(&mut i) || al[i] != b'=' {
                    break 'q;
                }
                i += 1;
                if !skip(&mut i) {
                    break 'q;
                }
                let (v, n) = parse_qvalue(&al[i..]);
                q = v;
                i += n;
            }
            if evaluate && q > best_q {
                best = w;
                if q >= 1000 {
                    break;
                }
                best_q = q;
            }
        }
        // expect_comma
        while i < end && al[i] != b',' {
            i += 1;
        }
        if i >= end {
            break;
        }
        i += 1;
    }
    if best.is_empty() {
        best = default.unwrap_or(b"");
    }
    (!best.is_empty()).then_some(best)
}
