//! ACL expressions (`criterion [flags] [operator] patterns`), HAProxy's `parse_acl_expr()`
//! in `acl.c` and the pattern parsers of `pattern.c`.

use super::kw;
use super::sample::{parse_binary, parse_expr, ExprEnv};
use crate::model::expr::{AclExpr, MatchMethod, Pattern, SampleExpr, SmpType};

/// What the ACL parser needs from outside.
#[derive(Debug, Clone, Copy, Default)]
pub struct AclEnv<'a> {
    pub check_files: bool,
    /// Resolve host names in IP patterns (HAProxy does while starting).
    pub resolve: bool,
    pub lua: Option<&'a crate::model::Global>,
    /// The configuration read so far, for pattern files already loaded with another
    /// number of columns.
    pub model: Option<&'a crate::model::Config>,
}

/// A parsed ACL expression with the sources and check points of its fetch.
#[derive(Debug, Clone)]
pub struct ParsedAcl {
    pub expr: AclExpr,
    pub use_: u32,
    pub val: u32,
    /// Warnings HAProxy prints while parsing (without location prefix).
    pub warnings: Vec<String>,
}

/// `pat_find_match_name()`.
fn method_by_name(s: &str) -> Option<MatchMethod> {
    use MatchMethod::*;
    Some(match s {
        "found" => Found,
        "bool" => Bool,
        "int" => Int,
        "ip" => Ip,
        "bin" => Bin,
        "len" => Len,
        "str" => Str,
        "beg" => Beg,
        "sub" => Sub,
        "dir" => Dir,
        "dom" => Dom,
        "end" => End,
        "reg" => Reg,
        "regm" => Regm,
        _ => return None,
    })
}

/// `pat_match_types[]`: the sample type a method expects.
fn method_type(m: MatchMethod) -> SmpType {
    use MatchMethod::*;
    match m {
        Found | Bool | Int | DottedVer => SmpType::Sint,
        Ip => SmpType::Addr,
        Bin => SmpType::Bin,
        Meth => SmpType::Meth,
        _ => SmpType::Str,
    }
}

/// The default method for a sample type when no ACL keyword imposes one.
fn default_method(t: SmpType) -> Option<MatchMethod> {
    match t {
        SmpType::Bool => Some(MatchMethod::Bool),
        SmpType::Sint => Some(MatchMethod::Int),
        SmpType::Addr | SmpType::Ipv4 | SmpType::Ipv6 => Some(MatchMethod::Ip),
        SmpType::Str => Some(MatchMethod::Str),
        _ => None,
    }
}

/// `strl2llrc()`: a decimal integer with an optional leading `-`, without overflow.
fn strl2llrc(s: &[u8]) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let mut i: i64 = 0;
    if s[0] != b'-' {
        for &c in s {
            if !c.is_ascii_digit() {
                return None;
            }
            i = i.checked_mul(10)?.checked_add((c - b'0') as i64)?;
        }
    } else {
        for &c in &s[1..] {
            if !c.is_ascii_digit() {
                return None;
            }
            i = i.checked_mul(10)?.checked_sub((c - b'0') as i64)?;
        }
    }
    Some(i)
}

/// `strl2llrc_dotted()`: `major[.minor]` as `major << 16 | minor`.
fn strl2llrc_dotted(s: &[u8]) -> Option<i64> {
    let dot = s.iter().position(|&c| c == b'.');
    let (maj, min) = match dot {
        Some(d) => (&s[..d], Some(&s[d + 1..])),
        None => (s, None),
    };
    let mut v = strl2llrc(maj)?;
    if v >= 65536 {
        return None;
    }
    v <<= 16;
    if let Some(m) = min {
        let m = strl2llrc(m)?;
        if m >= 65536 {
            return None;
        }
        v |= m;
    }
    Some(v)
}

fn parse_int(text: &str) -> Result<Pattern, String> {
    let b = text.as_bytes();
    let bad = || format!("'{text}' is not a valid number range");
    if b.is_empty() {
        return Err(bad());
    }
    let Some(sep) = b.iter().position(|&c| c == b':' || c == b'-') else {
        let v = strl2llrc(b).ok_or_else(|| format!("'{text}' is not a number"))?;
        return Ok(Pattern::Int {
            min: Some(v),
            max: Some(v),
        });
    };
    if sep == 0 && b.len() > 1 {
        let v = strl2llrc(&b[1..]).ok_or_else(bad)?;
        return Ok(Pattern::Int {
            min: None,
            max: Some(v),
        });
    }
    if sep + 1 == b.len() {
        let v = strl2llrc(&b[..sep]).ok_or_else(bad)?;
        return Ok(Pattern::Int {
            min: Some(v),
            max: None,
        });
    }
    let lo = strl2llrc(&b[..sep]).ok_or_else(bad)?;
    let hi = strl2llrc(&b[sep + 1..]).ok_or_else(bad)?;
    if lo > hi {
        return Err(bad());
    }
    Ok(Pattern::Int {
        min: Some(lo),
        max: Some(hi),
    })
}

fn parse_dotted(text: &str) -> Result<Pattern, String> {
    let b = text.as_bytes();
    let bad = || format!("'{text}' is not a valid dotted number range");
    let sep = b.iter().position(|&c| c == b':' || c == b'-');
    match sep {
        None if !b.is_empty() => {
            let v =
                strl2llrc_dotted(b).ok_or_else(|| format!("'{text}' is not a dotted number"))?;
            Ok(Pattern::Int {
                min: Some(v),
                max: Some(v),
            })
        }
        Some(0) if b.len() > 1 => Ok(Pattern::Int {
            min: None,
            max: Some(strl2llrc_dotted(&b[1..]).ok_or_else(bad)?),
        }),
        Some(s) if s + 1 == b.len() => Ok(Pattern::Int {
            min: Some(strl2llrc_dotted(&b[..s]).ok_or_else(bad)?),
            max: None,
        }),
        Some(s) => {
            let lo = strl2llrc_dotted(&b[..s]).ok_or_else(bad)?;
            let hi = strl2llrc_dotted(&b[s + 1..]).ok_or_else(bad)?;
            if lo > hi {
                return Err(bad());
            }
            Ok(Pattern::Int {
                min: Some(lo),
                max: Some(hi),
            })
        }
        None => Err(bad()),
    }
}

/// `str2net()` then `str62net()`.
pub fn parse_ip(text: &str, resolve: bool) -> Result<Pattern, String> {
    let bad = || format!("'{text}' is not a valid IPv4 or IPv6 address");
    let (a, m) = match text.rfind('/') {
        Some(p) => (&text[..p], Some(&text[p + 1..])),
        None => (text, None),
    };
    let mask4 = match m {
        Some(m) => super::args::str2mask(m),
        None => Some(std::net::Ipv4Addr::BROADCAST),
    };
    if let Some(mask) = mask4 {
        if let Ok(addr) = a.parse::<std::net::Ipv4Addr>() {
            return Ok(Pattern::Ipv4 { addr, mask });
        }
        if resolve && !a.is_empty() && !a.contains(':') {
            use std::net::ToSocketAddrs;
            if let Ok(it) = (a, 0u16).to_socket_addrs() {
                for sa in it {
                    if let std::net::SocketAddr::V4(v4) = sa {
                        return Ok(Pattern::Ipv4 {
                            addr: *v4.ip(),
                            mask,
                        });
                    }
                }
            }
        }
    }
    let prefix = match m {
        Some("") => return Err(bad()),
        Some(m) => {
            let (v, n) = crate::config::values::strtol(m);
            if n != m.len() || !(0..=128).contains(&v) {
                return Err(bad());
            }
            v as u8
        }
        None => 128,
    };
    match a.parse::<std::net::Ipv6Addr>() {
        Ok(addr) => Ok(Pattern::Ipv6 { addr, prefix }),
        Err(_) => Err(bad()),
    }
}

/// Caret span (start, end exclusive) of a `regex` crate syntax error, from its display.
fn error_span(msg: &str) -> Option<(usize, usize)> {
    let carets = msg.lines().nth(2)?;
    let first = carets.find('^')?;
    let last = carets.rfind('^')?;
    Some((first.saturating_sub(4), last.saturating_sub(4) + 1))
}

/// The PCRE2 message and offset for a `regex` crate error that PCRE2 also reports, or
/// `None` when the construct is one PCRE2 accepts (look-around, back-references…).
fn pcre_error(text: &str, msg: &str) -> Option<(&'static str, usize)> {
    let (start, end) = error_span(msg).unwrap_or((0, text.len()));
    let m = if msg.contains("unclosed group") {
        ("missing closing parenthesis", text.len())
    } else if msg.contains("unopened group") {
        ("unmatched closing parenthesis", unopened_offset(text))
    } else if msg.contains("unclosed character class") {
        ("missing terminating ] for character class", text.len())
    } else if msg.contains("repetition operator missing expression") {
        // PCRE2 takes a brace that does not form `{n[,m]}` as a literal.
        if text.as_bytes().get(start) == Some(&b'{')
            && !brace_quantifier(text.get(start..).unwrap_or(""))
        {
            return None;
        }
        ("quantifier does not follow a repeatable item", start)
    } else if msg.contains("invalid character class range") {
        ("range out of order in character class", end - 1)
    } else if msg.contains("invalid repetition count range") {
        ("numbers out of order in {} quantifier", end - 1)
    } else if msg.contains("incomplete escape sequence") {
        ("\\ at end of pattern", text.len())
    } else if msg.contains("Unicode property not found") {
        ("unknown property after \\P or \\p", end)
    } else if msg.contains("unrecognized flag") {
        ("unrecognized character after (? or (?-", start)
    } else if msg.contains("duplicate capture group name") {
        let second = msg
            .lines()
            .nth(2)
            .and_then(|c| c.rfind('^'))
            .unwrap_or(4)
            .saturating_sub(4);
        let close = text
            .get(second..)
            .unwrap_or("")
            .find('>')
            .map(|p| p + second + 1)
            .unwrap_or(text.len());
        (
            "two named subpatterns have the same name (PCRE2_DUPNAMES not set)",
            close,
        )
    } else {
        return None;
    };
    Some(m)
}

/// Whether `s` starts with a `{n}`, `{n,}` or `{n,m}` quantifier.
fn brace_quantifier(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('{') else {
        return false;
    };
    rest.find('}').is_some_and(|e| {
        let inner = &rest[..e];
        let (lo, hi) = inner.split_once(',').unwrap_or((inner, "0"));
        !lo.is_empty()
            && lo.bytes().all(|d| d.is_ascii_digit())
            && hi.bytes().all(|d| d.is_ascii_digit())
    })
}

/// Errors PCRE2 reports on constructs the `regex` crate accepts: a `*` right after a
/// quantifier, unknown POSIX classes and back-references to missing groups.
fn pcre_only_error(text: &str) -> Option<(&'static str, usize)> {
    const POSIX: [&str; 14] = [
        "alpha", "lower", "upper", "alnum", "ascii", "blank", "cntrl", "digit", "graph", "print",
        "punct", "space", "word", "xdigit",
    ];
    let b = text.as_bytes();
    let mut groups = 0usize;
    let mut backrefs: Vec<(usize, usize)> = Vec::new();
    let mut in_class = false;
    let mut prev_quant = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            if !in_class && i + 1 < b.len() && b[i + 1].is_ascii_digit() && b[i + 1] != b'0' {
                let mut j = i + 1;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                let n = text[i + 1..j].parse().unwrap_or(usize::MAX);
                backrefs.push((n, i + 1));
                i = j;
            } else {
                i += 2;
            }
            prev_quant = false;
            continue;
        }
        if in_class {
            if c == b'[' && b.get(i + 1) == Some(&b':') {
                if let Some(end) = text[i + 2..].find(":]") {
                    let name = &text[i + 2..i + 2 + end];
                    let name = name.strip_prefix('^').unwrap_or(name);
                    if !POSIX.contains(&name) {
                        return Some(("unknown POSIX class name", i + 2));
                    }
                    i += 2 + end + 2;
                    continue;
                }
            }
            if c == b']' {
                in_class = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'[' => {
                in_class = true;
                // A leading ']' (or '^]') is a literal in a class.
                if b.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if b.get(i + 1) == Some(&b']') {
                    i += 1;
                }
                prev_quant = false;
            }
            b'(' => {
                if b.get(i + 1) != Some(&b'?')
                    || matches!(text.get(i + 2..i + 3), Some("<" | "'" | "P"))
                        && !matches!(text.get(i + 2..i + 4), Some("<=" | "<!"))
                {
                    groups += 1;
                }
                prev_quant = false;
            }
            b'*' if prev_quant => {
                return Some(("quantifier does not follow a repeatable item", i));
            }
            b'{' => {
                // Only `{n}`, `{n,}` and `{n,m}` are quantifiers; other braces are literal.
                let rest = &text[i + 1..];
                let close = rest.find('}');
                let is_quant = close.is_some_and(|e| {
                    let inner = &rest[..e];
                    let (lo, hi) = inner.split_once(',').unwrap_or((inner, "0"));
                    !lo.is_empty()
                        && lo.bytes().all(|d| d.is_ascii_digit())
                        && hi.bytes().all(|d| d.is_ascii_digit())
                });
                if is_quant {
                    if prev_quant {
                        let end = i + 1 + close.unwrap_or(0);
                        return Some(("quantifier does not follow a repeatable item", end));
                    }
                    i += close.unwrap_or(0) + 2;
                    prev_quant = true;
                    continue;
                }
                prev_quant = false;
            }
            b'*' | b'+' | b'?' => {
                // '+' and '?' right after a quantifier make it possessive or lazy.
                prev_quant = !prev_quant || c == b'*';
            }
            _ => prev_quant = false,
        }
        i += 1;
    }
    backrefs
        .into_iter()
        .find(|(n, _)| *n > groups)
        .map(|(_, end)| ("reference to non-existent subpattern", end))
}

/// `{n}` / `{n,m}` counts above 65535 that PCRE2 refuses (the `regex` crate accepts them).
fn big_quantifier(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'{' => {
                let mut j = i + 1;
                let mut num_start = j;
                while j < b.len() && (b[j].is_ascii_digit() || b[j] == b',') {
                    if b[j] == b',' {
                        num_start = j + 1;
                    } else if j + 1 - num_start > 0
                        && text[num_start..=j].parse::<u64>().is_ok_and(|v| v > 65535)
                    {
                        return Some(j + 1);
                    }
                    j += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Checks a regex as PCRE2 would. Rust's engine lacks some PCRE features (look-around,
/// back-references, possessive quantifiers), so only errors PCRE2 also reports fail, with
/// PCRE2's wording.
pub fn check_regex(text: &str) -> Result<(), String> {
    if let Some((m, off)) = pcre_only_error(text) {
        return Err(format!(
            "regex '{text}' is invalid (error={m}, erroffset={off})"
        ));
    }
    if let Some(off) = big_quantifier(text) {
        return Err(format!(
            "regex '{text}' is invalid (error=number too big in {{}} quantifier, erroffset={off})"
        ));
    }
    match regex::Regex::new(text) {
        Ok(_) => Ok(()),
        Err(e) => match pcre_error(text, &e.to_string()) {
            Some((m, off)) => Err(format!(
                "regex '{text}' is invalid (error={m}, erroffset={off})"
            )),
            None => Ok(()),
        },
    }
}

fn unopened_offset(text: &str) -> usize {
    let mut depth = 0i32;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                if depth == 0 {
                    return i;
                }
                depth -= 1
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// Reads a pattern file as `pat_ref_read_from_file()` (one pattern per line) or, for maps
/// and `-M`, `pat_ref_read_from_file_smp()` (key, blanks, value): `(line number, key)` for
/// each entry. Comment lines start with `#`; blank lines are skipped.
pub fn read_pattern_file(path: &str, two_columns: bool) -> Result<Vec<(usize, String)>, String> {
    let data = std::fs::read(path).map_err(|_| format!("failed to open pattern file <{path}>"))?;
    let text = String::from_utf8_lossy(&data);
    let mut out = Vec::new();
    for (i, l) in text.split('\n').enumerate() {
        if l.starts_with('#') {
            continue;
        }
        let l = l.trim_start_matches([' ', '\t']);
        let l = l.split('\r').next().unwrap_or("");
        if l.is_empty() {
            continue;
        }
        let key = if two_columns {
            l.split([' ', '\t']).next().unwrap_or("")
        } else {
            l
        };
        out.push((i + 1, key.to_string()));
    }
    Ok(out)
}

/// Loads a pattern file and checks every pattern for `m`, with HAProxy's
/// "… at line N of file 'F'" suffix on errors.
pub fn check_pattern_file(
    path: &str,
    two_columns: bool,
    m: MatchMethod,
    env: AclEnv<'_>,
    no_dns: bool,
) -> Result<Vec<Pattern>, String> {
    if let Some(prev) = env
        .model
        .and_then(|m| super::resolve::file_columns(m, path))
    {
        if prev != two_columns {
            let (was, now) = if prev { ("two", "one") } else { ("one", "two") };
            return Err(format!("The file \"{path}\" is already used as {was} column file and cannot be used by as {now} column file."));
        }
    }
    let mut out = Vec::new();
    for (line, key) in read_pattern_file(path, two_columns)? {
        let p = parse_pattern(m, &key, env, no_dns)
            .map_err(|e| format!("{e} at line {line} of file '{path}'"))?;
        out.push(p);
    }
    Ok(out)
}

/// The key matching method of a `map*` converter (`map_ip_int` → `ip`).
pub fn map_key_method(conv: &str) -> MatchMethod {
    let key = conv.strip_prefix("map_").unwrap_or("str");
    let key = key.split('_').next().unwrap_or("str");
    method_by_name(key).unwrap_or(MatchMethod::Str)
}

/// Parses one pattern for `method`.
pub fn parse_pattern(
    m: MatchMethod,
    text: &str,
    env: AclEnv<'_>,
    no_dns: bool,
) -> Result<Pattern, String> {
    use MatchMethod::*;
    match m {
        Found | Bool => Ok(Pattern::Str(text.into())),
        Int | Len => parse_int(text),
        DottedVer => parse_dotted(text),
        Ip => parse_ip(text, env.resolve && !no_dns),
        Bin => parse_binary(text).map(Pattern::Bin),
        Reg | Regm => check_regex(text).map(|_| Pattern::Reg(text.into())),
        Str | Beg | Sub | Dir | Dom | End | Meth => Ok(Pattern::Str(text.into())),
    }
}

/// `get_std_op()`.
fn std_op(s: &str) -> Option<u8> {
    Some(match s {
        "eq" => 0,
        "gt" => 1,
        "ge" => 2,
        "lt" => 3,
        "le" => 4,
        _ => return None,
    })
}

/// The sample part of an ACL: an ACL keyword (alias) with its own default method, or a
/// plain sample expression.
fn parse_criterion(
    word: &str,
    env: AclEnv<'_>,
) -> Result<(SampleExpr, Option<MatchMethod>, String, u32, u32), String> {
    let n = word.bytes().take_while(|&c| kw::is_idchar(c)).count();
    let name = &word[..n];
    let Some(akw) = kw::find_acl_kw(name) else {
        let p = parse_expr(
            &[word],
            0,
            false,
            ExprEnv {
                check_files: env.check_files,
                lua: env.lua,
                model: env.model,
            },
        )
        .map_err(|e| format!("{e} in ACL expression '{word}'"))?;
        let f = p.fetch;
        return Ok((p.expr, None, f.name.to_string(), f.use_, f.val));
    };
    let fetch = kw::find_fetch(akw.fetch).expect("ACL alias of a known fetch");
    // Same syntax as a sample expression on the fetch, with ACL-specific messages.
    let renamed = format!("{}{}", akw.fetch, &word[n..]);
    let p = parse_expr(
        &[&renamed],
        0,
        false,
        ExprEnv {
            check_files: env.check_files,
            lua: env.lua,
            model: env.model,
        },
    )
    .map_err(|e| acl_kw_error(name, &e))?;
    let method = if p.expr.convs.is_empty() {
        Some(match (akw.name, akw.method) {
            ("method", _) => MatchMethod::Meth,
            ("req.ssl_ver" | "req_ssl_ver", _) => MatchMethod::DottedVer,
            (_, m) => method_by_name(m).expect("known method"),
        })
    } else {
        None
    };
    Ok((p.expr, method, name.to_string(), fetch.use_, fetch.val))
}

/// Rewrites a sample-expression error into the wording `parse_acl_expr()` uses for ACL
/// keywords.
fn acl_kw_error(kw: &str, e: &str) -> String {
    if let Some(rest) = e.strip_prefix("fetch method '") {
        let msg = rest.split_once("' : ").map(|x| x.1).unwrap_or(rest);
        return format!("ACL keyword '{kw}' : {msg}");
    }
    if let Some(rest) = e.strip_prefix("invalid args in fetch method '") {
        let msg = rest.split_once("' : ").map(|x| x.1).unwrap_or(rest);
        return format!("in argument to '{kw}', {msg}");
    }
    if e.starts_with("converter '") && e.ends_with("does not support any args") {
        return e.to_string();
    }
    if e.starts_with("missing comma after fetch keyword") {
        return format!("ACL keyword '{kw}' : missing comma after fetch keyword.");
    }
    format!("ACL keyword '{kw}' : {e}.")
}

/// Parses `criterion [flags] [operator] patterns` (`words[0]` is the criterion).
pub fn parse_acl_expr(words: &[&str], env: AclEnv<'_>) -> Result<ParsedAcl, String> {
    let crit = words.first().copied().unwrap_or("");
    let (smp, kw_method, kwname, use_, val) = parse_criterion(crit, env)?;
    let cur_type = smp.out;
    let mut method = kw_method.or_else(|| default_method(cur_type));
    let mut warnings = Vec::new();
    let rest: Vec<&str> = words[1..]
        .iter()
        .copied()
        .take_while(|w| !w.is_empty())
        .collect();
    if method.is_some() && cur_type != SmpType::Bool && rest.is_empty() {
        warnings.push(format!(
            "parsing acl keyword '{crit}' :\n  no pattern to match against were provided, so this ACL will never match.\n  If this is what you intended, please add '--' to get rid of this warning.\n  If you intended to match only for existence, please use '-m found'.\n  If you wanted to force an int to match as a bool, please use '-m bool'.\n\n"
        ));
    }
    let mut expr = AclExpr {
        kw: kwname.clone(),
        smp,
        method: method.unwrap_or(MatchMethod::Found),
        ignore_case: false,
        no_dns: false,
        patterns: Vec::new(),
        files: Vec::new(),
        file_patterns: 0,
        map: false,
        unique_id: None,
    };
    let mut i = 0;
    let mut loaded = false;
    while i < rest.len() && rest[i].starts_with('-') {
        match rest[i] {
            "-i" => expr.ignore_case = true,
            "-n" => expr.no_dns = true,
            "-u" => {
                let a = rest.get(i + 1).copied().unwrap_or("");
                let (v, n) = crate::config::values::strtol(a);
                if n != a.len() {
                    return Err("the argument of -u must be an integer".into());
                }
                expr.unique_id = Some(v);
                i += 1;
            }
            "-f" => {
                if method.is_none() {
                    return Err(format!("matching method must be specified first (using '-m') when using a sample fetch of this type ('{kwname}')"));
                }
                let f = rest.get(i + 1).copied().unwrap_or("");
                if env.check_files {
                    let m = method.expect("checked above");
                    let pats = check_pattern_file(f, expr.map, m, env, expr.no_dns)?;
                    expr.patterns.extend(pats);
                    expr.file_patterns = expr.patterns.len();
                }
                expr.files.push(f.to_string());
                loaded = true;
                i += 1;
            }
            "-m" => {
                if loaded {
                    return Err("'-m' must only be specified before patterns and files in parsing ACL expression".into());
                }
                let a = rest.get(i + 1).copied().unwrap_or("");
                let m = method_by_name(a).ok_or_else(|| {
                    format!("unknown matching method '{a}' when parsing ACL expression")
                })?;
                if m != MatchMethod::Found && !cur_type.casts_to(method_type(m)) {
                    return Err(format!(
                        "matching method '{a}' cannot be used with fetch keyword '{kwname}'"
                    ));
                }
                method = Some(m);
                expr.method = m;
                i += 1;
            }
            "-M" => expr.map = true,
            "--" => {
                i += 1;
                break;
            }
            other => {
                return Err(format!("'{other}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'"));
            }
        }
        i += 1;
    }
    let Some(m) = method else {
        return Err(format!("matching method must be specified first (using '-m') when using a sample fetch of this type ('{kwname}')"));
    };
    let mut op = 0u8;
    while i < rest.len() {
        let arg = rest[i];
        i += 1;
        let mut text = arg.to_string();
        if matches!(
            m,
            MatchMethod::Int | MatchMethod::Len | MatchMethod::DottedVer
        ) {
            if let Some(o) = std_op(arg) {
                op = o;
                continue;
            }
            let has_range = arg.contains(':') || arg.contains('-');
            if !has_range && op != 0 {
                text = op_to_range(arg, op, m == MatchMethod::DottedVer)?;
            }
        }
        expr.patterns
            .push(parse_pattern(m, &text, env, expr.no_dns)?);
    }
    Ok(ParsedAcl {
        expr,
        use_,
        val,
        warnings,
    })
}

/// The `gt 3` → `4:` rewriting of `parse_acl_expr()`.
fn op_to_range(arg: &str, op: u8, dotted: bool) -> Result<String, String> {
    let b = arg.as_bytes();
    let dot = b.iter().position(|&c| c == b'.');
    let mut minor = 0;
    let major_part = match dot {
        Some(d) => &b[..d],
        None => b,
    };
    if dotted {
        if let Some(d) = dot {
            minor = strl2llrc(&b[d + 1..])
                .ok_or_else(|| format!("'{arg}' is neither a number nor a supported operator"))?;
            if minor >= 65536 {
                return Err(format!("'{arg}' contains too large a minor value"));
            }
        }
    }
    let mut value = strl2llrc(major_part)
        .ok_or_else(|| format!("'{arg}' is neither a number nor a supported operator"))?;
    if dotted {
        if value >= 65536 {
            return Err(format!("'{arg}' contains too large a major value"));
        }
        value = (value << 16) | (minor & 0xffff);
    }
    let fmt = |v: i64| {
        if dotted {
            format!("{}.{}", v >> 16, v & 0xffff)
        } else {
            v.to_string()
        }
    };
    Ok(match op {
        1 => format!("{}:", fmt(value + 1)),
        2 => format!("{}:", fmt(value)),
        3 => format!(":{}", fmt(value - 1)),
        _ => format!(":{}", fmt(value)),
    })
}

/// Predefined ACLs (`default_acl_list[]`).
pub const PREDEFINED: &[(&str, &[&str])] = &[
    ("TRUE", &["always_true"]),
    ("FALSE", &["always_false"]),
    ("LOCALHOST", &["src", "127.0.0.1/8", "::1"]),
    ("HTTP", &["req.proto_http"]),
    ("HTTP_1.0", &["req.ver", "1.0"]),
    ("HTTP_1.1", &["req.ver", "1.1"]),
    ("HTTP_2.0", &["req.ver", "2.0"]),
    ("METH_CONNECT", &["method", "CONNECT"]),
    ("METH_DELETE", &["method", "DELETE"]),
    ("METH_GET", &["method", "GET", "HEAD"]),
    ("METH_HEAD", &["method", "HEAD"]),
    ("METH_OPTIONS", &["method", "OPTIONS"]),
    ("METH_POST", &["method", "POST"]),
    ("METH_PUT", &["method", "PUT"]),
    ("METH_TRACE", &["method", "TRACE"]),
    ("HTTP_URL_ABS", &["url_reg", "^[^/:]*://"]),
    ("HTTP_URL_SLASH", &["url_beg", "/"]),
    ("HTTP_URL_STAR", &["url", "*"]),
    ("HTTP_CONTENT", &["req.hdr_val(content-length)", "gt", "0"]),
    ("RDP_COOKIE", &["req.rdp_cookie_cnt", "gt", "0"]),
    ("REQ_CONTENT", &["req.len", "gt", "0"]),
    ("WAIT_END", &["wait_end"]),
];

/// Compiles a predefined ACL, if `name` is one.
pub fn predefined(name: &str) -> Option<ParsedAcl> {
    let (_, words) = PREDEFINED.iter().find(|(n, _)| *n == name)?;
    parse_acl_expr(words, AclEnv::default()).ok()
}

/// `invalid_char()`: ACL, proxy and server names allow `[A-Za-z0-9_.:-]`.
pub fn invalid_char(s: &str) -> Option<char> {
    s.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Result<ParsedAcl, String> {
        let w: Vec<&str> = s.split(' ').collect();
        parse_acl_expr(&w, AclEnv::default())
    }

    #[test]
    fn keywords_and_methods() {
        let p = a("path_beg /api /static").unwrap();
        assert_eq!(p.expr.method, MatchMethod::Beg);
        assert_eq!(p.expr.patterns.len(), 2);
        assert_eq!(
            a("hdr(host) -i example.com").unwrap().expr.method,
            MatchMethod::Str
        );
        assert!(a("hdr(host) -i example.com").unwrap().expr.ignore_case);
        assert_eq!(a("src 10.0.0.0/8 ::1").unwrap().expr.patterns.len(), 2);
        assert_eq!(
            a("src 1.2.3.400").unwrap_err(),
            "'1.2.3.400' is not a valid IPv4 or IPv6 address"
        );
        assert_eq!(
            a("hdr_cnt(host) gt x").unwrap_err(),
            "'x' is neither a number nor a supported operator"
        );
        assert_eq!(
            a("hdr_cnt(host) -m foo x").unwrap_err(),
            "unknown matching method 'foo' when parsing ACL expression"
        );
        assert_eq!(
            a("path_reg (abc").unwrap_err(),
            "regex '(abc' is invalid (error=missing closing parenthesis, erroffset=4)"
        );
        assert_eq!(
            a("path -x").unwrap_err(),
            "'-x' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'"
        );
        assert!(a("nbsrv(bk) lt 1").is_ok());
        assert_eq!(
            a("path_reg a{2,1}").unwrap_err(),
            "regex 'a{2,1}' is invalid (error=numbers out of order in {} quantifier, erroffset=5)"
        );
        assert_eq!(
            a("path_reg *abc").unwrap_err(),
            "regex '*abc' is invalid (error=quantifier does not follow a repeatable item, erroffset=0)"
        );
        assert!(a("path_reg (?=a)b").is_ok());
        assert!(a("path_reg {a}*").is_ok());
        assert!(a("path_reg (a)\\1").is_ok());
        assert!(a("path_reg a{2}+").is_ok());
        assert_eq!(
            a("path_reg a{2}{3}").unwrap_err(),
            "regex 'a{2}{3}' is invalid (error=quantifier does not follow a repeatable item, erroffset=6)"
        );
        assert_eq!(
            a("path_reg (?:a)\\1").unwrap_err(),
            "regex '(?:a)\\1' is invalid (error=reference to non-existent subpattern, erroffset=6)"
        );
        assert_eq!(
            a("path_reg [[:foo:]]").unwrap_err(),
            "regex '[[:foo:]]' is invalid (error=unknown POSIX class name, erroffset=3)"
        );
        assert!(a("path_reg x{99999}").is_err());
        assert_eq!(
            a("foo x").unwrap_err(),
            "unknown fetch method 'foo' in ACL expression 'foo'"
        );
        assert!(a("req.ssl_ver ge 3.1").is_ok());
        assert!(a("method GET").is_ok());
        assert!(a("path_len 1:10").is_ok());
        assert!(!a("path").unwrap().warnings.is_empty());
    }

    #[test]
    fn predefined_acls_compile() {
        for (n, _) in PREDEFINED {
            assert!(predefined(n).is_some(), "{n}");
        }
    }
}
