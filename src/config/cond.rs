//! `.if` / `-cc` condition expressions, ported from HAProxy's `cfgcond.c`.
//!
//! The grammar is HAProxy's, including its quirks, because configurations and reg-tests gate
//! on these expressions and an error must point at the same character as HAProxy's:
//!
//! ```text
//! expr := and [ '||' expr ]
//! and  := term [ '&&' and ]
//! term := '!'* ( number | '(' expr ')' | predicate [ '(' args ')' ] )
//! ```
//!
//! A number is anything C's `strtol(…, 0)` accepts (so `0x10`, `-3`, `010`); non-zero is
//! true. Predicate arguments follow HAProxy's `make_arg_list()` quoting rules.

use crate::version;

/// A condition that failed to parse or evaluate: HAProxy's message and the 0-based byte
/// offset in the expression it points at. `msg` is empty when HAProxy gives no message
/// (an OpenSSL version predicate without OpenSSL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondError {
    pub msg: String,
    pub pos: usize,
}

/// HAProxy's `MAX_CFG_RECURSION`: nesting deeper than this is refused, as HAProxy does.
const MAX_CFG_RECURSION: i32 = 1024;

/// Evaluates a condition expression; `Ok(true)` if it holds. The empty expression is false.
pub fn eval(expr: &str) -> Result<bool, CondError> {
    let s = expr.as_bytes();
    if s.is_empty() {
        return Ok(false);
    }
    let mut p = Parser { s };
    let (tree, end) = match p.expr(0, MAX_CFG_RECURSION)? {
        (Some(tree), end) => (tree, end),
        (None, end) => {
            return Err(CondError {
                msg: format!("unparsable conditional expression '{expr}'"),
                pos: end,
            })
        }
    };
    let end = skip_blanks(s, end);
    if end < s.len() {
        return Err(CondError {
            msg: format!(
                "unexpected character '{}' at the end of conditional expression '{expr}'",
                s[end] as char
            ),
            pos: end,
        });
    }
    eval_expr(&tree)
}

/// The predicates HAProxy 2.6 knows, with their minimum and maximum argument counts.
const PREDICATES: &[(&str, Pred, usize)] = &[
    ("defined", Pred::Defined, 1),
    ("feature", Pred::Feature, 1),
    ("streq", Pred::Streq, 2),
    ("strneq", Pred::Strneq, 2),
    ("version_atleast", Pred::VersionAtLeast, 1),
    ("version_before", Pred::VersionBefore, 1),
    ("openssl_version_atleast", Pred::OsslAtLeast, 1),
    ("openssl_version_before", Pred::OsslBefore, 1),
    ("ssllib_name_startswith", Pred::SsllibStartsWith, 1),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pred {
    Defined,
    Feature,
    Streq,
    Strneq,
    VersionAtLeast,
    VersionBefore,
    OsslAtLeast,
    OsslBefore,
    SsllibStartsWith,
}

#[derive(Debug)]
enum Term {
    Const(bool),
    Paren(Box<Expr>),
    Pred(Pred, Vec<String>),
}

#[derive(Debug)]
struct NegTerm {
    neg: bool,
    term: Term,
}

/// `a || b || c`, each operand an `&&` chain.
#[derive(Debug)]
struct Expr(Vec<Vec<NegTerm>>);

fn skip_blanks(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && (s[i] == b' ' || s[i] == b'\t') {
        i += 1;
    }
    i
}

/// The text from `i` to the end, as HAProxy prints `'%s'` of a pointer into the expression.
fn rest(s: &[u8], i: usize) -> String {
    String::from_utf8_lossy(&s[i.min(s.len())..]).into_owned()
}

fn err(msg: String, pos: usize) -> CondError {
    CondError { msg, pos }
}

struct Parser<'a> {
    s: &'a [u8],
}

impl Parser<'_> {
    /// `cfg_parse_cond_expr`. Returns the parsed node, or `None` for HAProxy's
    /// "desynchronized" result, and where HAProxy's text pointer was left (HAProxy moves
    /// it past the left operand even when the right one then turns out to be missing).
    fn expr(&mut self, at: usize, depth: i32) -> Result<(Option<Expr>, usize), CondError> {
        let s = self.s;
        if at >= s.len() {
            return Ok((None, at));
        }
        if depth <= 0 {
            return Err(err(
                format!("unparsable conditional expression '{}'", rest(s, at)),
                at,
            ));
        }
        let (left, i) = self.and(at, depth - 1)?;
        let Some(left) = left else {
            return Err(err(
                format!("unparsable conditional expression '{}'", rest(s, i)),
                i,
            ));
        };
        let i = skip_blanks(s, i);
        let mut out = vec![left];
        if !(s.get(i) == Some(&b'|') && s.get(i + 1) == Some(&b'|')) {
            return Ok((Some(Expr(out)), i));
        }
        let j = skip_blanks(s, i + 2);
        match self.expr(j, depth - 1)? {
            (Some(Expr(right)), k) => {
                out.extend(right);
                Ok((Some(Expr(out)), k))
            }
            (None, _) => Ok((None, i)),
        }
    }

    /// `cfg_parse_cond_and`, same conventions as [`Parser::expr`].
    fn and(&mut self, at: usize, depth: i32) -> Result<(Option<Vec<NegTerm>>, usize), CondError> {
        let s = self.s;
        if at >= s.len() {
            return Ok((None, at));
        }
        if depth <= 0 {
            return Err(err(
                format!("unparsable conditional sub-expression '{}'", rest(s, at)),
                at,
            ));
        }
        let Some((left, i)) = self.term(at, depth - 1)? else {
            return Err(err(
                format!("unparsable conditional sub-expression '{}'", rest(s, at)),
                at,
            ));
        };
        let i = skip_blanks(s, i);
        let mut out = vec![left];
        if !(s.get(i) == Some(&b'&') && s.get(i + 1) == Some(&b'&')) {
            return Ok((Some(out), i));
        }
        let j = skip_blanks(s, i + 2);
        match self.and(j, depth - 1)? {
            (Some(right), k) => {
                out.extend(right);
                Ok((Some(out), k))
            }
            (None, _) => Ok((None, i)),
        }
    }

    /// `cfg_parse_cond_term`.
    fn term(&mut self, at: usize, depth: i32) -> Result<Option<(NegTerm, usize)>, CondError> {
        let s = self.s;
        let mut i = skip_blanks(s, at);
        if i >= s.len() {
            return Ok(None);
        }
        let unparsable = || {
            err(
                format!("unparsable conditional expression '{}'", rest(s, at)),
                at,
            )
        };
        if depth <= 0 {
            return Err(unparsable());
        }
        let mut neg = false;
        while s.get(i) == Some(&b'!') {
            neg = !neg;
            i = skip_blanks(s, i + 1);
        }
        if let Some((val, end)) = strtol(s, i) {
            let term = Term::Const(val != 0);
            return Ok(Some((NegTerm { neg, term }, end)));
        }
        if s.get(i) == Some(&b'(') {
            let j = skip_blanks(s, i + 1);
            let (Some(inner), k) = self.expr(j, depth - 1)? else {
                return Err(unparsable());
            };
            let k = skip_blanks(s, k);
            if s.get(k) != Some(&b')') {
                return Err(err(
                    format!(
                        "expected ')' after conditional expression '{}'",
                        rest(s, at)
                    ),
                    at,
                ));
            }
            let end = skip_blanks(s, k + 1);
            let term = Term::Paren(Box::new(inner));
            return Ok(Some((NegTerm { neg, term }, end)));
        }
        let wlen = s[i..]
            .iter()
            .position(|&c| c == b' ' || c == b'(')
            .unwrap_or(s.len() - i);
        let word = &s[i..i + wlen];
        let Some(&(name, pred, nargs)) = PREDICATES.iter().find(|p| p.0.as_bytes() == word) else {
            return Err(unparsable());
        };
        match make_arg_list(s, i + name.len(), nargs, nargs) {
            Ok((args, end)) => Ok(Some((
                NegTerm {
                    neg,
                    term: Term::Pred(pred, args),
                },
                end,
            ))),
            Err((msg, arg, end)) => Err(err(
                format!(
                    "{msg} in argument {arg} of predicate '{name}' used in conditional expression"
                ),
                end,
            )),
        }
    }
}

/// C's `strtol(s + i, &end, 0)`: `Some((value, end))` when at least one digit was consumed.
/// Only whether the value is zero matters here, so overflow saturates.
fn strtol(s: &[u8], at: usize) -> Option<(i128, usize)> {
    let mut i = at;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut sign = 1i128;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        if s[i] == b'-' {
            sign = -1;
        }
        i += 1;
    }
    let digits = |from: usize, radix: u32| -> (i128, usize) {
        let mut v = 0i128;
        let mut j = from;
        while j < s.len() {
            match (s[j] as char).to_digit(radix) {
                Some(d) => v = (v * radix as i128 + d as i128).min(i64::MAX as i128 + 1),
                None => break,
            }
            j += 1;
        }
        (v, j)
    };
    if s.get(i) == Some(&b'0')
        && matches!(s.get(i + 1), Some(b'x') | Some(b'X'))
        && s.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
    {
        let (v, j) = digits(i + 2, 16);
        return Some((sign * v, j));
    }
    if s.get(i) == Some(&b'0') {
        let (v, j) = digits(i, 8);
        return Some((sign * v, j));
    }
    let (v, j) = digits(i, 10);
    if j == i {
        return None;
    }
    Some((sign * v, j))
}

/// Length of the prefix of `s` that C's `strtol(s, &end, 0)` consumes (0 if none).
pub fn strtol_prefix_len(s: &str) -> usize {
    strtol(s.as_bytes(), 0).map(|(_, e)| e).unwrap_or(0)
}

/// C's `strtol(s, NULL, 0)`, saturating.
pub fn strtol_value(s: &str) -> i64 {
    strtol(s.as_bytes(), 0)
        .map(|(v, _)| v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
        .unwrap_or(0)
}

/// HAProxy's `make_arg_list()` for string arguments, starting right after the predicate
/// name. Returns the arguments and the position after them, or HAProxy's message, the
/// argument number it names and the position it points at.
#[allow(clippy::type_complexity)]
fn make_arg_list(
    s: &[u8],
    at: usize,
    min_arg: usize,
    nbarg: usize,
) -> Result<(Vec<String>, usize), (String, usize, usize)> {
    let type_at = |pos: usize| {
        if pos < nbarg {
            "string"
        } else {
            "end of arguments"
        }
    };
    let mut i = at;
    let empty = s.get(i) != Some(&b'(');
    if !empty {
        i += 1;
    }
    let mut args = Vec::new();
    let mut pos = 0usize;
    while pos < nbarg {
        let mut out: Vec<u8> = Vec::new();
        let (mut squote, mut dquote) = (false, false);
        while !empty && i < s.len() {
            let c = s[i];
            if c == b'"' && !squote {
                dquote = !dquote;
                i += 1;
            } else if c == b'\'' && !dquote {
                squote = !squote;
                i += 1;
            } else if c == b'\\' && !squote {
                let Some(&n) = s.get(i + 1) else {
                    let msg = format!(
                        "failed to parse '{}' after '{}' as type '{}' at position {}",
                        rest(s, i),
                        String::from_utf8_lossy(&out),
                        type_at(pos),
                        pos + 1
                    );
                    return Err((msg, pos, i));
                };
                match n {
                    b'\\' | b' ' | b'"' | b'\'' => {
                        out.push(n);
                        i += 2;
                    }
                    b'r' => {
                        out.push(b'\r');
                        i += 2;
                    }
                    b'n' => {
                        out.push(b'\n');
                        i += 2;
                    }
                    b't' => {
                        out.push(b'\t');
                        i += 2;
                    }
                    _ => {
                        out.push(b'\\');
                        i += 1;
                    }
                }
            } else if !squote && !dquote && (c == b',' || c == b')') {
                break;
            } else {
                out.push(c);
                i += 1;
            }
        }
        args.push(String::from_utf8_lossy(&out).into_owned());
        pos += 1;
        if empty || i >= s.len() || s[i] == b')' || pos >= nbarg {
            break;
        }
        i += 1;
    }
    if pos < min_arg {
        let msg = format!(
            "missing arguments (got {pos}/{min_arg}), type '{}' expected",
            type_at(pos)
        );
        return Err((msg, pos, i));
    }
    if !empty {
        if s.get(i) == Some(&b')') {
            i += 1;
        } else {
            let word = rest(s, i);
            let msg = if word.is_empty() {
                "expected ')'".to_string()
            } else {
                format!("expected ')' before '{word}'")
            };
            if pos > 1 {
                pos -= 1;
            }
            return Err((msg, pos, i));
        }
    }
    Ok((args, i))
}

fn eval_expr(e: &Expr) -> Result<bool, CondError> {
    for and in &e.0 {
        if eval_and(and)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn eval_and(terms: &[NegTerm]) -> Result<bool, CondError> {
    for t in terms {
        if !eval_term(t)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn eval_term(t: &NegTerm) -> Result<bool, CondError> {
    let v = match &t.term {
        Term::Const(b) => *b,
        Term::Paren(e) => eval_expr(e)?,
        Term::Pred(p, args) => eval_pred(*p, args)?,
    };
    Ok(v != t.neg)
}

fn eval_pred(p: Pred, args: &[String]) -> Result<bool, CondError> {
    let a = args[0].as_str();
    Ok(match p {
        Pred::Defined => !a.is_empty() && !a.contains('=') && std::env::var_os(a).is_some(),
        Pred::Feature => has_feature(version::FEATURES, a),
        Pred::Streq => a == args[1],
        Pred::Strneq => a != args[1],
        Pred::VersionAtLeast => compare_current_version(a) <= 0,
        Pred::VersionBefore => compare_current_version(a) > 0,
        Pred::OsslAtLeast => ossl_compare(a)? <= 0,
        Pred::OsslBefore => ossl_compare(a)? > 0,
        Pred::SsllibStartsWith => version::SSL_LIB.is_some_and(|l| l.name.starts_with(a)),
    })
}

/// HAProxy's `feature()`: `name` must appear as a whole word preceded by `+` in the
/// feature list; the first whole-word occurrence decides.
pub fn has_feature(features: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let b = features.as_bytes();
    let mut from = 0;
    while let Some(off) = features[from..].find(name) {
        let p = from + off;
        let after = b.get(p + name.len()).copied();
        if p > 0 && matches!(after, None | Some(b' ')) {
            match b[p - 1] {
                b'+' => return true,
                b'-' => return false,
                _ => {}
            }
        }
        from = p + 1;
    }
    false
}

/// Number of fields of HAProxy's `split_version()`.
const VERSION_MAX_ELTS: usize = 7;

/// C's `strtol(s, &end, 10)` on a suffix, returning the value (as unsigned int) and the end.
fn strtol10(s: &[u8], at: usize) -> (u32, usize) {
    match strtol_dec(s, at) {
        Some((v, end)) => (v as u32, end),
        None => (0, at),
    }
}

fn strtol_dec(s: &[u8], at: usize) -> Option<(i64, usize)> {
    let mut i = at;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let neg = matches!(s.get(i), Some(b'-'));
    if matches!(s.get(i), Some(b'-') | Some(b'+')) {
        i += 1;
    }
    let start = i;
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add((s[i] - b'0') as i64);
        i += 1;
    }
    if i == start {
        return None;
    }
    Some((if neg { -v } else { v }, i))
}

/// HAProxy's `split_version()`: `None` when the version does not parse.
pub fn split_version(version: &str) -> Option<[u32; VERSION_MAX_ELTS]> {
    let s = version.as_bytes();
    let mut v = [0u32; VERSION_MAX_ELTS];
    v[4] = 3;
    if s.is_empty() {
        return None;
    }
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut p = 0usize;
    let mut tag = false;
    for (n, slot) in v.iter_mut().take(4).enumerate() {
        let (val, e) = strtol10(s, p);
        *slot = val;
        p = e + 1;
        match at(e) {
            0 => return Some(v),
            b'-' => {
                tag = true;
                break;
            }
            b'.' if n < 3 => {}
            _ => return None,
        }
    }
    if !tag {
        return None;
    }
    // split_version_tag
    if !at(p).is_ascii_digit() {
        let tagv = if s[p..].starts_with(b"dev") {
            Some((1, 3))
        } else if s[p..].starts_with(b"rc") {
            Some((2, 2))
        } else if s[p..].starts_with(b"pre") {
            Some((2, 3))
        } else {
            None
        };
        if let Some((t, l)) = tagv {
            v[4] = t;
            p += l;
            let (val, e) = strtol10(s, p);
            v[5] = val;
            p = e + 1;
            match at(e) {
                0 => return Some(v),
                b'-' => {}
                _ => return None,
            }
        }
    }
    // split_version_commit
    let p = p.min(s.len());
    let tail = &s[p..];
    let num = match tail.iter().rposition(|&c| c == b'-') {
        Some(d) => {
            let t = &tail[d + 1..];
            if t.is_empty() {
                return None;
            }
            t
        }
        None => tail,
    };
    v[6] = match strtol_dec(num, 0) {
        Some((val, e)) if e == num.len() => val as u32,
        _ => 0,
    };
    Some(v)
}

/// HAProxy's `compare_current_version()`: -1 if `version` is older than ours, 0 if equal,
/// 1 if newer, -3 if it does not parse.
pub fn compare_current_version(version: &str) -> i32 {
    let Some(loc) = split_version(version::HAPROXY_VERSION) else {
        return -2;
    };
    let Some(m) = split_version(version) else {
        return -3;
    };
    for i in 0..VERSION_MAX_ELTS {
        if m[i] < loc[i] {
            return -1;
        }
        if m[i] > loc[i] {
            return 1;
        }
    }
    0
}

/// HAProxy's `openssl_version_parser()`: OpenSSL's numeric version of "1.1.1k", "3.0.0-beta2"…;
/// 0 when it does not parse.
pub fn openssl_version_parser(version: &str) -> u32 {
    let s = version.as_bytes();
    if s.is_empty() {
        return 0;
    }
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let (major, e) = strtol10(s, 0);
    if at(e) != b'.' || major > 0xf {
        return 0;
    }
    let (minor, e) = strtol10(s, e + 1);
    if at(e) != b'.' || minor > 0xff {
        return 0;
    }
    let (fix, e) = strtol10(s, e + 1);
    if fix > 0xff {
        return 0;
    }
    let mut p = e;
    let (mut patch, mut status) = (0u32, 0u32);
    if p >= s.len() {
        status = 0xf;
    } else if s[p] == b'-' {
        p += 1;
        if s[p..].starts_with(b"beta") {
            let (st, _) = strtol10(s, p + 4);
            if st > 14 {
                return 0;
            }
            status = st;
        }
    } else {
        patch = 1;
        for &c in &s[p..] {
            patch = patch.wrapping_add(((c & !0x20) as u32).wrapping_sub(b'A' as u32));
        }
        status = 0xf;
    }
    ((major & 0xf) << 28)
        | ((minor & 0xff) << 20)
        | ((fix & 0xff) << 12)
        | ((patch & 0xff) << 4)
        | (status & 0xf)
}

/// `openssl_compare_current_version()`; without an SSL library, or when the version does
/// not parse, HAProxy fails the evaluation without a message.
fn ossl_compare(v: &str) -> Result<i32, CondError> {
    let no_msg = || CondError {
        msg: String::new(),
        pos: 0,
    };
    let lib = version::SSL_LIB.ok_or_else(no_msg)?;
    let n = openssl_version_parser(v);
    if n == 0 {
        return Err(no_msg());
    }
    Ok(match n.cmp(&lib.number) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(e: &str) -> bool {
        eval(e).unwrap_or_else(|err| panic!("{e}: {err:?}"))
    }

    fn e(e: &str) -> CondError {
        eval(e).expect_err(e)
    }

    #[test]
    fn literals_and_operators() {
        assert!(!t(""));
        assert!(!t("0"));
        assert!(t("1"));
        assert!(t("-1000 && 200"));
        assert!(t("0x10"));
        assert!(!t("0x0"));
        assert!(t("!0"));
        assert!(!t("!!0"));
        assert!(t("! ! 1"));
        assert!(t("1&&!0&&!((streq(a,b)||!streq(a,a)&&1)||strneq(a,a))"));
        assert!(t(
            "1   &&!   0&&    !((streq(a,b)||!streq(a,a)&&1)||strneq(a,a))"
        ));
        assert!(t(
            "1 && !0 && !((streq(a,b) || !streq(a,a) && 1) || strneq(a,a))"
        ));
        assert!(!t(
            "1 && !0 && !((streq(a,b) || !streq(a,a) && 1) || strneq(a,b))"
        ));
        assert!(!t(
            "1 && !0 && !((streq(a,a) || !streq(a,a) && 1) || strneq(a,a))"
        ));
        assert!(t("0 || 1"));
        assert!(!t("1 && 0"));
    }

    #[test]
    fn predicates() {
        assert!(t("streq(foo,foo)"));
        assert!(t("streq(foo bar,foo bar)"));
        assert!(t("streq(\"foo bar\",'foo bar')"));
        assert!(!t("streq(foo,bar)"));
        assert!(t("strneq(foo,bar)"));
        // A backslash does not protect a comma: HAProxy keeps it and splits there.
        assert!(eval("streq(a\\,b,a\\,b)").is_err());
        assert!(t("streq(a\\\\,a\\\\)"));
        assert!(t("streq('a,b','a,b')"));
        assert!(t("defined(PATH)"));
        assert!(!t("defined(HAPROXY_RS_SURELY_UNDEFINED_VAR)"));
        assert!(!t("defined"));
        assert!(t("version_atleast(2.4)"));
        assert!(t("version_atleast(2.6.12)"));
        assert!(!t("version_atleast(2.6.13)"));
        assert!(!t("version_atleast(1024)"));
        assert!(t("version_atleast(2.5-dev0)"));
        assert!(t("version_before(2.7)"));
        assert!(!t("version_before(2.6)"));
        assert!(!t("feature(LUA)"));
        assert!(t("feature(OPENSSL) || !feature(OPENSSL)"));
    }

    #[test]
    fn feature_words() {
        let f = "-PCRE +PCRE2 +OPENSSL -LUA";
        assert!(!has_feature(f, "PCRE"));
        assert!(has_feature(f, "PCRE2"));
        assert!(has_feature(f, "OPENSSL"));
        assert!(!has_feature(f, "SSL"));
        assert!(!has_feature(f, "LUA"));
        assert!(!has_feature(f, ""));
    }

    #[test]
    fn errors_match_haproxy() {
        let x = e("200rrr");
        assert_eq!(
            x.msg,
            "unexpected character 'r' at the end of conditional expression '200rrr'"
        );
        assert_eq!(x.pos, 3);
        let x = e("!(0))");
        assert_eq!(
            x.msg,
            "unexpected character ')' at the end of conditional expression '!(0))'"
        );
        assert_eq!(x.pos, 4);
        let x = e("foo");
        assert_eq!(x.msg, "unparsable conditional expression 'foo'");
        assert_eq!(x.pos, 0);
        let x = e("1 && foo");
        assert_eq!(x.msg, "unparsable conditional expression 'foo'");
        assert_eq!(x.pos, 5);
        let x = e("(1");
        assert_eq!(x.msg, "expected ')' after conditional expression '(1'");
        assert_eq!(x.pos, 0);
        let x = e("streq(a)");
        assert_eq!(
            x.msg,
            "missing arguments (got 1/2), type 'string' expected in argument 1 of predicate 'streq' used in conditional expression"
        );
        let x = e("streq(a,\"a)");
        assert_eq!(
            x.msg,
            "expected ')' in argument 1 of predicate 'streq' used in conditional expression"
        );
        assert_eq!(x.pos, 11);
        let x = e("defined(a,b)");
        assert_eq!(
            x.msg,
            "expected ')' before ',b)' in argument 1 of predicate 'defined' used in conditional expression"
        );
        assert_eq!(x.pos, 9);
        let x = e("1 &&");
        assert_eq!(x.msg, "unparsable conditional expression '&&'");
        assert_eq!(x.pos, 2);
        let x = e("1 ||");
        assert_eq!(x.msg, "unparsable conditional expression '1 ||'");
        assert_eq!(x.pos, 2);
        let x = e("1 && (0 ||)");
        assert_eq!(x.msg, "unparsable conditional expression ')'");
        assert_eq!(x.pos, 10);
        let x = e("( )");
        assert_eq!(x.msg, "unparsable conditional expression ')'");
        assert_eq!(x.pos, 2);
        let x = e("(");
        assert_eq!(x.msg, "unparsable conditional expression '('");
        assert_eq!(x.pos, 0);
        let x = e("streq");
        assert_eq!(x.pos, 5);
        let x = e("defined (X)");
        assert_eq!(
            x.msg,
            "unexpected character '(' at the end of conditional expression 'defined (X)'"
        );
        assert_eq!(x.pos, 8);
        let x = e("feature(a\\");
        assert_eq!(
            x.msg,
            "failed to parse '\\' after 'a' as type 'string' at position 1 in argument 0 of predicate 'feature' used in conditional expression"
        );
        assert_eq!(x.pos, 9);
    }

    #[test]
    fn versions() {
        assert_eq!(split_version("1.2.1-pre2"), Some([1, 2, 1, 0, 2, 2, 0]));
        assert_eq!(split_version("1.2.10.1"), Some([1, 2, 10, 1, 3, 0, 0]));
        assert_eq!(split_version("1.5-dev18-43"), Some([1, 5, 0, 0, 1, 18, 43]));
        assert_eq!(
            split_version("2.4-dev18-f6818d-20"),
            Some([2, 4, 0, 0, 1, 18, 20])
        );
        assert_eq!(
            split_version("2.6.12-1+deb12u4"),
            Some([2, 6, 12, 0, 3, 0, 0])
        );
        assert_eq!(split_version(""), None);
        assert_eq!(split_version("2.x"), None);
        assert_eq!(openssl_version_parser("1.1.1"), 0x1010100f);
        assert_eq!(openssl_version_parser("1.1.1k"), 0x101010bf);
        assert_eq!(openssl_version_parser("3.0.0-beta2"), 0x30000002);
        assert_eq!(openssl_version_parser("3"), 0);
    }
}
