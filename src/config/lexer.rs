//! Splits one configuration line into words exactly as HAProxy's `parse_line()` does.
//!
//! HAProxy's rules are subtle (quotes only special in some places, `$` only expanded inside
//! double quotes, `\` escapes that depend on the quoting context, `${VAR[*]}` splitting one
//! variable into several words), and every difference shows up as a config that loads in one
//! and not the other. The grammar is therefore written as nom combinators that mirror the C
//! state machine piece by piece, and each word keeps the column where it started so that
//! diagnostics can point at it.

use nom::{
    branch::alt,
    bytes::complete::{tag, take_while, take_while1},
    character::complete::{anychar, char, satisfy},
    combinator::{opt, recognize},
    sequence::preceded,
    IResult,
};

/// One word of a line after unquoting and expansion, with the byte column (0-based, in the
/// original line including its leading blanks) where its source text started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub col: usize,
}

/// The tokenizer errors HAProxy distinguishes; `pos` is the 0-based byte offset in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexErrorKind {
    Quote,
    Brace,
    VarName,
    Hex,
    WrongExpand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LexError {
    pub kind: LexErrorKind,
    pub pos: usize,
}

impl LexError {
    /// The text HAProxy prints before " at position N".
    pub fn what(&self) -> &'static str {
        match self.kind {
            LexErrorKind::Quote => "unmatched quote",
            LexErrorKind::Brace => "unmatched brace in environment variable name",
            LexErrorKind::VarName => "forbidden first char in environment variable name",
            LexErrorKind::Hex => "truncated or invalid hexadecimal sequence",
            LexErrorKind::WrongExpand => "truncated or invalid word expansion sequence",
        }
    }
}

/// Where `$VAR` values come from. The process environment in production; tests and the
/// fuzzer pass their own so that results do not depend on the machine.
pub trait VarSource {
    fn env(&self, name: &str) -> Option<String>;
    /// `.LINE`, `.FILE`, `.SECTION`.
    fn pseudo(&self, name: &str) -> Option<String>;
}

/// Reads the real process environment; pseudo-variables come from the reader's position.
pub struct ProcessEnv<'a> {
    pub file: &'a str,
    pub line: usize,
    pub section: &'a str,
}

impl VarSource for ProcessEnv<'_> {
    fn env(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
    }
    fn pseudo(&self, name: &str) -> Option<String> {
        match name {
            ".LINE" => Some(self.line.to_string()),
            ".FILE" => Some(self.file.to_string()),
            ".SECTION" => Some(self.section.to_string()),
            _ => None,
        }
    }
}

/// What one piece of source text contributes to the output.
enum Piece {
    /// Bytes appended to the current word.
    Bytes(Vec<u8>),
    /// One byte appended to the current word.
    Byte(u8),
    /// A word boundary produced by `${VAR[*]}` expansion.
    Split,
    /// Nothing (an opening/closing quote, an empty variable).
    Nothing,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Single,
    Double,
}

type Res<'a, T> = IResult<&'a str, T>;

fn is_blank(c: char) -> bool {
    // C isspace() minus '\n' and '\r', which end the line before this is checked.
    matches!(c, ' ' | '\t' | '\x0b' | '\x0c')
}

/// Characters that need a decision in the current quoting state; anything else is copied.
fn is_special(c: char, q: Quote) -> bool {
    match q {
        Quote::None => matches!(c, '"' | '\'' | '\\' | '#' | '\0' | '\n' | '\r') || is_blank(c),
        Quote::Double => matches!(c, '"' | '\\' | '$' | '\0' | '\n' | '\r'),
        Quote::Single => matches!(c, '\'' | '\0' | '\n' | '\r'),
    }
}

fn plain(q: Quote) -> impl Fn(&str) -> Res<'_, Piece> {
    move |i| {
        let (rest, s) = take_while1(|c| !is_special(c, q))(i)?;
        Ok((rest, Piece::Bytes(s.as_bytes().to_vec())))
    }
}

fn hexval(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

/// Lexer context shared by the combinators: the line start (for error offsets) and the
/// variable source.
struct Ctx<'v> {
    line: *const u8,
    vars: &'v dyn VarSource,
}

impl Ctx<'_> {
    fn pos(&self, at: &str) -> usize {
        at.as_ptr() as usize - self.line as usize
    }
}

/// A backslash sequence; `q` is the quoting state it appears in (never single quotes).
fn escape<'a>(ctx: &Ctx<'_>, q: Quote, i: &'a str) -> Result<(&'a str, Piece), LexError> {
    let after = &i[1..];
    let mut chars = after.chars();
    match chars.next() {
        Some(c @ (' ' | '\\' | '#' | '\'' | '"')) => Ok((&after[1..], Piece::Byte(c as u8))),
        Some('t') => Ok((&after[1..], Piece::Byte(b'\t'))),
        Some('n') => Ok((&after[1..], Piece::Byte(b'\n'))),
        Some('r') => Ok((&after[1..], Piece::Byte(b'\r'))),
        Some('$') if q == Quote::Double => Ok((&after[1..], Piece::Byte(b'$'))),
        Some('x') => {
            let b = after.as_bytes();
            if b.len() >= 3 && b[1].is_ascii_hexdigit() && b[2].is_ascii_hexdigit() {
                Ok((&after[3..], Piece::Byte((hexval(b[1]) << 4) | hexval(b[2]))))
            } else {
                Err(LexError {
                    kind: LexErrorKind::Hex,
                    pos: ctx.pos(i),
                })
            }
        }
        // Not an escape: the backslash stands for itself and the next char is read normally.
        _ => Ok((after, Piece::Byte(b'\\'))),
    }
}

fn var_name(i: &str) -> Res<'_, &str> {
    recognize(preceded(
        opt(char('.')),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))(i)
}

/// `$NAME`, `${NAME}`, `${NAME-default}`, `${NAME[*]}` inside double quotes.
fn variable<'a>(ctx: &Ctx<'_>, i: &'a str) -> Result<(&'a str, Vec<Piece>), LexError> {
    let after_dollar = &i[1..];
    let (rest, brace) = match opt(tag::<_, _, nom::error::Error<&str>>("{"))(after_dollar) {
        Ok((r, b)) => (r, b.is_some()),
        Err(_) => (after_dollar, false),
    };
    let brace_pos = ctx.pos(after_dollar);
    let first_ok = satisfy::<_, _, nom::error::Error<&str>>(|c| {
        c.is_ascii_alphabetic() || c == '_' || c == '.'
    })(rest)
    .is_ok();
    if !first_ok {
        return Err(LexError {
            kind: LexErrorKind::VarName,
            pos: ctx.pos(rest),
        });
    }
    let (mut rest, name) = var_name(rest).map_err(|_| LexError {
        kind: LexErrorKind::VarName,
        pos: ctx.pos(rest),
    })?;
    let mut value = if let Some(stripped) = name.strip_prefix('.') {
        let _ = stripped;
        match ctx.vars.pseudo(name) {
            Some(v) => Some(v),
            None => {
                return Err(LexError {
                    kind: LexErrorKind::VarName,
                    pos: ctx.pos(name),
                })
            }
        }
    } else {
        ctx.vars.env(name)
    };
    let mut expand = false;
    if brace && rest.starts_with('[') {
        let ok: Res<'_, &str> = tag("[*]")(rest);
        match ok {
            Ok((r, _)) => {
                rest = r;
                expand = true;
            }
            Err(_) => {
                return Err(LexError {
                    kind: LexErrorKind::WrongExpand,
                    pos: ctx.pos(rest),
                })
            }
        }
    }
    if brace {
        if let Some(dflt) = rest.strip_prefix('-') {
            match dflt.find('}') {
                Some(end) => {
                    if value.is_none() {
                        value = Some(dflt[..end].to_string());
                    }
                    rest = &dflt[end + 1..];
                }
                None => {
                    return Err(LexError {
                        kind: LexErrorKind::Brace,
                        pos: brace_pos,
                    })
                }
            }
        } else if let Some(r) = rest.strip_prefix('}') {
            rest = r;
        } else {
            return Err(LexError {
                kind: LexErrorKind::Brace,
                pos: brace_pos,
            });
        }
    }
    let mut pieces = Vec::new();
    if let Some(v) = value {
        if expand {
            let mut cur = Vec::new();
            let mut it = v.as_bytes().iter().peekable();
            while let Some(&b) = it.next() {
                if b.is_ascii_whitespace() || b == 0x0b {
                    pieces.push(Piece::Bytes(std::mem::take(&mut cur)));
                    pieces.push(Piece::Split);
                    while it
                        .peek()
                        .is_some_and(|c| c.is_ascii_whitespace() || **c == 0x0b)
                    {
                        it.next();
                    }
                } else {
                    cur.push(b);
                }
            }
            pieces.push(Piece::Bytes(cur));
        } else {
            pieces.push(Piece::Bytes(v.into_bytes()));
        }
    } else {
        pieces.push(Piece::Nothing);
    }
    Ok((rest, pieces))
}

/// Tokenizes `line` (one physical line without its LF). Trailing empty words are dropped:
/// HAProxy reads past the last word as empty strings, which `Line::arg` reproduces.
pub fn split_words(line: &str, vars: &dyn VarSource) -> Result<Vec<Word>, LexError> {
    let ctx = Ctx {
        line: line.as_ptr(),
        vars,
    };
    let mut words: Vec<Word> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut cur_col: Option<usize> = None;
    let mut q = Quote::None;
    let mut quote_pos = 0usize;
    let mut i = line;

    // Leading blanks are skipped by the reader in HAProxy; do the same here.
    if let Ok((r, _)) = take_while::<_, _, nom::error::Error<&str>>(is_blank)(i) {
        i = r;
    }

    let push_word =
        |words: &mut Vec<Word>, cur: &mut Vec<u8>, col: &mut Option<usize>, at: usize| {
            let text = String::from_utf8(std::mem::take(cur))
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            words.push(Word {
                text,
                col: col.take().unwrap_or(at),
            });
        };

    loop {
        let here = ctx.pos(i);
        if i.is_empty() || i.starts_with(['\0', '\n', '\r']) {
            break;
        }
        if q == Quote::None {
            if i.starts_with('#') {
                break;
            }
            let blanks: Res<'_, &str> = take_while1(is_blank)(i);
            if let Ok((rest, _)) = blanks {
                push_word(&mut words, &mut cur, &mut cur_col, here);
                i = rest;
                continue;
            }
        }
        if cur_col.is_none() {
            cur_col = Some(here);
        }
        // Quote transitions.
        let quote: Res<'_, char> = alt((char('"'), char('\'')))(i);
        if let Ok((rest, c)) = quote {
            match (q, c) {
                (Quote::None, '"') => {
                    q = Quote::Double;
                    quote_pos = here;
                    i = rest;
                    continue;
                }
                (Quote::None, '\'') => {
                    q = Quote::Single;
                    quote_pos = here;
                    i = rest;
                    continue;
                }
                (Quote::Double, '"') | (Quote::Single, '\'') => {
                    q = Quote::None;
                    i = rest;
                    continue;
                }
                _ => {}
            }
        }
        if q != Quote::Single && i.starts_with('\\') {
            let (rest, p) = escape(&ctx, q, i)?;
            emit(&mut cur, &mut words, &mut cur_col, p, here);
            i = rest;
            continue;
        }
        if q == Quote::Double && i.starts_with('$') {
            let (rest, pieces) = variable(&ctx, i)?;
            for p in pieces {
                emit(&mut cur, &mut words, &mut cur_col, p, here);
            }
            i = rest;
            continue;
        }
        if let Ok((rest, p)) = plain(q)(i) {
            emit(&mut cur, &mut words, &mut cur_col, p, here);
            i = rest;
            continue;
        }
        // A lone special char with no meaning in this state (e.g. `'` inside double quotes).
        let one: Res<'_, char> = anychar(i);
        let (rest, c) = one.expect("input is not empty");
        let mut buf = [0u8; 4];
        cur.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        i = rest;
    }
    if q != Quote::None {
        return Err(LexError {
            kind: LexErrorKind::Quote,
            pos: quote_pos,
        });
    }
    let end = ctx.pos(i);
    push_word(&mut words, &mut cur, &mut cur_col, end);
    while words.last().is_some_and(|w| w.text.is_empty()) {
        words.pop();
    }
    Ok(words)
}

fn emit(cur: &mut Vec<u8>, words: &mut Vec<Word>, col: &mut Option<usize>, p: Piece, here: usize) {
    match p {
        Piece::Bytes(b) => cur.extend_from_slice(&b),
        Piece::Byte(b) => cur.push(b),
        Piece::Nothing => {}
        Piece::Split => {
            let text = String::from_utf8(std::mem::take(cur))
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            words.push(Word {
                text,
                col: col.take().unwrap_or(here),
            });
            *col = Some(here);
        }
    }
}

/// HAProxy's `sanitize_for_printing()`: shows about `width` chars of `line` around `pos`,
/// replacing non-printables, and returns the line and the new offset of `pos`.
pub fn sanitize_for_printing(line: &str, pos: usize, width: usize) -> (String, usize) {
    let bytes = line.as_bytes();
    let mut out = Vec::with_capacity(width);
    let mut start = 0;
    let mut limit = width;
    let mut shift = 0;
    if pos >= width {
        shift = pos - width / 2;
        start = shift + 3;
        limit = width - 3;
        out.extend_from_slice(b"...");
    }
    let mut n = 0;
    let mut idx = start;
    while n < limit && idx < bytes.len() && bytes[idx] != 0 {
        let c = bytes[idx];
        out.push(if c.is_ascii_whitespace() || c == 0x0b {
            b' '
        } else if (0x20..0x7f).contains(&c) {
            c
        } else {
            b'?'
        });
        n += 1;
        idx += 1;
    }
    (String::from_utf8_lossy(&out).into_owned(), pos - shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Vars(HashMap<&'static str, &'static str>);
    impl VarSource for Vars {
        fn env(&self, n: &str) -> Option<String> {
            self.0.get(n).map(|s| s.to_string())
        }
        fn pseudo(&self, n: &str) -> Option<String> {
            (n == ".LINE").then(|| "7".to_string())
        }
    }

    fn words(s: &str) -> Vec<String> {
        let v = Vars(HashMap::from([("A", "x y  z"), ("B", "bee")]));
        split_words(s, &v)
            .unwrap()
            .into_iter()
            .map(|w| w.text)
            .collect()
    }

    #[test]
    fn plain_words_and_comments() {
        assert_eq!(words("  bind :80   # comment"), ["bind", ":80"]);
        assert_eq!(words("a#b c"), ["a"]);
        assert_eq!(words("\t"), Vec::<String>::new());
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(words(r#"a "b c" 'd e' f\ g"#), ["a", "b c", "d e", "f g"]);
        assert_eq!(words(r#"'$B' "$B" $B"#), ["$B", "bee", "$B"]);
        assert_eq!(words(r#""a\"b" 'a\b' \x41\#"#), ["a\"b", "a\\b", "A#"]);
        assert_eq!(words(r#"x "" y"#), ["x", "", "y"]);
        assert_eq!(words(r"\1 \\"), ["\\1", "\\"]);
        assert_eq!(words(r#""it's""#), ["it's"]);
    }

    #[test]
    fn env_expansion() {
        assert_eq!(
            words(r#""${B}x" "${NOPE-def}" "${B-def}" "$.LINE""#),
            ["beex", "def", "bee", "7"]
        );
        assert_eq!(words(r#"w "${A[*]}" e"#), ["w", "x", "y", "z", "e"]);
        assert_eq!(words(r#""${NOPE}""#), Vec::<String>::new());
    }

    #[test]
    fn errors_report_position() {
        let v = Vars(HashMap::new());
        let e = split_words(r#"  a "b"#, &v).unwrap_err();
        assert_eq!((e.kind, e.pos), (LexErrorKind::Quote, 4));
        let e = split_words(r#"a "${B""#, &v).unwrap_err();
        assert_eq!(e.kind, LexErrorKind::Brace);
        let e = split_words(r#"a "$1""#, &v).unwrap_err();
        assert_eq!((e.kind, e.pos), (LexErrorKind::VarName, 4));
        let e = split_words(r"a \xZ1", &v).unwrap_err();
        assert_eq!((e.kind, e.pos), (LexErrorKind::Hex, 2));
        let e = split_words(r#""${B[x]}""#, &v).unwrap_err();
        assert_eq!(e.kind, LexErrorKind::WrongExpand);
    }
}
