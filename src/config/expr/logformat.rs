//! Log-format strings (`parse_logformat_string()` in HAProxy's `log.c`): `%ci`, `%{+Q}r`,
//! `%[expr]`, with the same state machine and error texts.

use super::kw::{self, val};
use super::sample::{parse_expr, ExprEnv};
use crate::config::State;
use crate::model::expr::{LfNode, LfOptions, LogFormat};
use crate::model::Mode;

/// Log-format variables: (name, HTTP only).
pub const VARS: &[(&str, bool)] = &[
    ("o", false),
    ("B", false),
    ("CC", true),
    ("CS", true),
    ("H", false),
    ("ID", false),
    ("ST", false),
    ("T", false),
    ("Ta", true),
    ("Tc", false),
    ("Th", false),
    ("Ti", true),
    ("Tl", false),
    ("Tq", true),
    ("Tr", true),
    ("TR", true),
    ("Td", false),
    ("Ts", false),
    ("Tt", false),
    ("Tu", false),
    ("Tw", false),
    ("U", false),
    ("ac", false),
    ("b", false),
    ("bc", false),
    ("bi", false),
    ("bp", false),
    ("bq", false),
    ("ci", false),
    ("cp", false),
    ("f", false),
    ("fc", false),
    ("fi", false),
    ("fp", false),
    ("ft", false),
    ("hr", false),
    ("hrl", false),
    ("hs", false),
    ("hsl", false),
    ("HM", true),
    ("HP", true),
    ("HPO", true),
    ("HQ", true),
    ("HU", true),
    ("HV", true),
    ("lc", false),
    ("ms", false),
    ("pid", false),
    ("r", true),
    ("rc", false),
    ("rt", false),
    ("s", false),
    ("sc", false),
    ("si", false),
    ("sp", false),
    ("sq", false),
    ("sslc", false),
    ("sslv", false),
    ("t", false),
    ("tr", true),
    ("trg", true),
    ("trl", true),
    ("ts", false),
    ("tsc", false),
];

/// Parser options: whether spaces are merged into separators (`LOG_OPT_MERGE_SPACES`,
/// only for `log-format`) and the check points its fetches must be usable in.
#[derive(Debug, Clone, Copy)]
pub struct LfCtx<'a> {
    pub http_mode: bool,
    pub merge_spaces: bool,
    pub cap: u32,
    pub check_files: bool,
    pub lua: Option<&'a crate::model::Global>,
    /// The configuration read so far, for pattern files already loaded with another
    /// number of columns.
    pub model: Option<&'a crate::model::Config>,
}

fn apply_flags(args: &str, opts: &mut LfOptions) {
    for a in args.split(',') {
        let (on, name) = match a.as_bytes().first() {
            Some(b'+') => (true, &a[1..]),
            Some(b'-') => (false, &a[1..]),
            _ => continue,
        };
        match name {
            "M" => opts.mandatory = on,
            "Q" => opts.quote = on,
            "X" => opts.hexa = on,
            "E" => opts.escape = on,
            _ => {}
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum S {
    Init,
    StartVar,
    StArg,
    EdArg,
    StExpr,
    Var,
    Text,
    Sep,
    End,
    EdExpr,
}

/// Parses `fmt`; on error HAProxy's message.
pub fn parse_logformat(fmt: &str, ctx: LfCtx<'_>) -> Result<LogFormat, String> {
    let b = fmt.as_bytes();
    let mut out = LogFormat::default();
    let mut defopts = LfOptions::default();
    let mut cformat = S::Init;
    let mut sp = 0usize;
    let mut arg: Option<(usize, usize)> = None; // start, len
    let mut var: Option<usize> = None;
    let mut var_len = 0usize;
    let mut arg_start = 0usize;
    let mut i = 0usize;
    let mut pformat;
    let mut last = S::Init;
    loop {
        if cformat == S::End {
            break;
        }
        pformat = cformat;
        last = pformat;
        let c = b.get(i).copied().unwrap_or(0);
        if c == 0 {
            cformat = S::End;
        }
        match pformat {
            S::StartVar => {
                arg = None;
                var = None;
                var_len = 0;
                if c == b'{' {
                    cformat = S::StArg;
                    arg_start = i + 1;
                } else if c == b'[' {
                    cformat = S::StExpr;
                    var = Some(i + 1);
                } else if c.is_ascii_alphabetic() {
                    cformat = S::Var;
                    var = Some(i);
                } else if c == b'%' {
                    cformat = S::Text;
                } else if c.is_ascii_digit() || c == b' ' || c == b'\t' {
                    return Err(format!(
                        "unexpected variable name near '{}' at position {} line : '{}'. Maybe you want to write a single '%', use the syntax '%%'",
                        c as char, i, fmt
                    ));
                } else {
                    cformat = S::Init;
                }
            }
            S::StArg => {
                if c == b'}' {
                    cformat = S::EdArg;
                    arg = Some((arg_start, i - arg_start));
                }
            }
            S::EdArg => {
                if c == b'[' {
                    cformat = S::StExpr;
                    var = Some(i + 1);
                } else if c.is_ascii_alphanumeric() {
                    cformat = S::Var;
                    var = Some(i);
                } else {
                    let a = arg.map(|(s, l)| &fmt[s..s + l]).unwrap_or("");
                    return Err(format!(
                        "parse argument modifier without variable name near '%{{{a}}}'"
                    ));
                }
            }
            S::StExpr => {
                let v = var.unwrap_or(i);
                let text = &fmt[v..];
                let p = parse_expr(
                    &[text],
                    0,
                    true,
                    ExprEnv {
                        check_files: ctx.check_files,
                        lua: ctx.lua,
                        model: ctx.model,
                    },
                )
                .map_err(|e| format!("failed to parse sample expression <{text}> : {e}"))?;
                let mut opts = defopts;
                if let Some((s, l)) = arg {
                    apply_flags(&fmt[s..s + l], &mut opts);
                }
                if p.fetch.val & ctx.cap == 0 {
                    return Err(format!(
                        "sample fetch <{text}> may not be reliably used here because it needs '{}' which is not available here",
                        kw::src_names(p.fetch.use_)
                    ));
                }
                let end = v + p.end;
                out.nodes.push(LfNode::Expr { expr: p.expr, opts });
                if b.get(end) == Some(&b']') {
                    cformat = S::EdExpr;
                    pformat = S::EdExpr;
                    i = end;
                    sp = i;
                } else {
                    let c2 = b.get(end).copied().unwrap_or(0);
                    let shown = &fmt[v..end];
                    if (0x20..0x7f).contains(&c2) {
                        return Err(format!(
                            "expected ']' after '{shown}', but found '{}'",
                            c2 as char
                        ));
                    }
                    return Err(format!("missing ']' after '{shown}'"));
                }
            }
            S::Var => {
                var_len = i - var.unwrap_or(i);
                if !c.is_ascii_alphanumeric() {
                    cformat = S::Init;
                }
            }
            _ => cformat = S::Init,
        }
        if cformat == S::Init {
            cformat = match c {
                b'%' => S::StartVar,
                0 => S::End,
                b' ' if ctx.merge_spaces => S::Sep,
                _ => S::Text,
            };
        }
        if cformat != pformat || pformat == S::Sep {
            match pformat {
                S::Var => {
                    let v = var.unwrap_or(0);
                    let name = &fmt[v..v + var_len];
                    let Some((n, http)) = VARS.iter().find(|(n, _)| *n == name) else {
                        return Err(format!("no such format variable '{name}'. If you wanted to emit the '%' character verbatim, you need to use '%%'"));
                    };
                    if *http && !ctx.http_mode {
                        return Err(format!("format variable '{n}' is reserved for HTTP mode"));
                    }
                    let mut opts = defopts;
                    if let Some((s, l)) = arg {
                        apply_flags(&fmt[s..s + l], &mut opts);
                    }
                    if *n == "o" {
                        defopts = opts;
                    } else {
                        out.nodes.push(LfNode::Var {
                            name: n.to_string(),
                            opts,
                        });
                    }
                }
                S::Text => out.nodes.push(LfNode::Text(fmt[sp..i].to_string())),
                S::Sep => out.nodes.push(LfNode::Separator),
                _ => {}
            }
            sp = i;
        }
        i += 1;
    }
    match last {
        S::StartVar => Err("truncated line after '%'".into()),
        S::StArg => Err(format!("truncated line after '{}'", &fmt[arg_start..])),
        _ => Ok(out),
    }
}

/// Parses `fmt` (kept as the public name other modules use).
pub fn parse_checked(fmt: &str, ctx: LfCtx<'_>) -> Result<LogFormat, String> {
    parse_logformat(fmt, ctx)
}

/// Context for a log-format string of proxy `px` used in a rule or a proxy keyword.
pub fn ctx_for(st: &State, px: usize, merge_spaces: bool, cap: u32) -> LfCtx<'_> {
    let http = st
        .model
        .proxies
        .get(px)
        .map(|p| p.mode == Mode::Http)
        .unwrap_or(false);
    LfCtx {
        http_mode: http,
        merge_spaces,
        cap,
        check_files: st.env.check_files,
        lua: crate::config::rules::actions::lua_global(st),
        model: Some(&st.model),
    }
}

/// Where a log-format string is used; HAProxy parses each kind with its own options and
/// check points (in `check_config()`, once the proxy's mode is final).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LfKind {
    /// `log-format`, `log-format-sd`, `error-log-format`: logs, spaces merged.
    Log,
    /// `unique-id-format`: request headers, spaces merged.
    UniqueId,
    /// Dynamic `use_backend`/`use-server` names: request headers, spaces kept.
    Switching,
    /// `tcp-check`/`http-check` strings (`send-lf`, `uri-lf`, `hdr`…): check rules.
    Check,
    /// `http-error`/`http-errors` reply strings: any request or response check point.
    HttpReply,
}

/// Parses a log-format string of proxy `px` for `kind`; on error HAProxy's message (the
/// caller adds its prefix, e.g. `Parsing [f:l]: failed to parse log-format : <msg>.`).
pub fn check_logformat_kind(
    st: &State,
    px: usize,
    fmt: &str,
    kind: LfKind,
) -> Result<LogFormat, String> {
    let (fe, be) = st
        .model
        .proxies
        .get(px)
        .map(|p| {
            (
                crate::config::rules::actions::has_fe(p.cap),
                crate::config::rules::actions::has_be(p.cap),
            )
        })
        .unwrap_or((true, true));
    let (merge, cap) = match kind {
        LfKind::Log => (true, val::FE_LOG_END),
        LfKind::UniqueId => (
            true,
            (if fe { val::FE_HRQ_HDR } else { 0 }) | (if be { val::BE_HRQ_HDR } else { 0 }),
        ),
        LfKind::Switching => (false, val::FE_HRQ_HDR),
        LfKind::Check => (false, val::BE_CHK_RUL),
        LfKind::HttpReply => (false, val::REQUEST | val::RESPONSE),
    };
    parse_checked(fmt, ctx_for(st, px, merge, cap))
}

/// Validates a `log-format` string for proxy `px`; on error HAProxy's message.
pub fn check_logformat(st: &State, px: usize, fmt: &str) -> Result<(), String> {
    check_logformat_kind(st, px, fmt, LfKind::Log).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> LfCtx<'static> {
        LfCtx {
            http_mode: true,
            merge_spaces: false,
            cap: val::FE_HRQ_HDR | val::BE_HRQ_HDR,
            check_files: false,
            lua: None,
            model: None,
        }
    }

    #[test]
    fn formats() {
        let f = parse_checked("%ci:%cp [%tr] %{+Q}r %[src,ipmask(24)] x", ctx()).unwrap();
        assert!(f.nodes.len() > 5);
        assert!(matches!(&f.nodes[0], LfNode::Var { name, .. } if name == "ci"));
        assert_eq!(
            parse_checked("%[hdr(arg))]", ctx()).unwrap_err(),
            "expected ']' after 'hdr(arg)', but found ')'"
        );
        assert_eq!(
            parse_checked("%[hdr(arg)", ctx()).unwrap_err(),
            "missing ']' after 'hdr(arg)'"
        );
        assert_eq!(
            parse_checked("%zz", ctx()).unwrap_err(),
            "no such format variable 'zz'. If you wanted to emit the '%' character verbatim, you need to use '%%'"
        );
        assert_eq!(
            parse_checked("%[res.hdr(x)]", ctx()).unwrap_err(),
            "sample fetch <res.hdr(x)]> may not be reliably used here because it needs 'HTTP response headers' which is not available here"
        );
        assert_eq!(
            parse_checked("%[hdr(arg),blah]", ctx()).unwrap_err(),
            "failed to parse sample expression <hdr(arg),blah]> : unknown converter 'blah'"
        );
        assert!(parse_checked("100%%", ctx()).is_ok());
        assert!(parse_checked("%1", ctx()).is_err());
        let mut c = ctx();
        c.http_mode = false;
        assert_eq!(
            parse_checked("%r", c).unwrap_err(),
            "format variable 'r' is reserved for HTTP mode"
        );
        assert_eq!(
            parse_checked("abc %", ctx()).unwrap_err(),
            "truncated line after '%'"
        );
    }
}
