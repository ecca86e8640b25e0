//! Log-format templates (`%[expr]`, `%ci`, `%{+Q}…`) compiled once and rendered into a
//! reusable buffer: header values of `set-header`, `lf-string` bodies, redirect targets.
//! The logging layer renders the same template with the timers and byte counts only it
//! knows, through [`LogVars`].

use std::io::Write as _;
use std::net::IpAddr;

use super::expr::Expr;
use super::fetch::Txn;
use super::map::MapCache;
use super::value::SmpType;
use crate::model::expr::{LfNode, LfOptions, LogFormat};

/// Variables only the logger knows (`%Tt`, `%B`, `%ST` of the final response…): writes
/// the value and returns true, or false when it does not know `name`.
pub trait LogVars {
    fn write(&self, name: &str, out: &mut Vec<u8>) -> bool;

    /// How `name` renders: whether `+Q` quotes it (HAProxy quotes texts, not numbers,
    /// dates or state codes) and whether an empty value prints `-`.
    fn style(&self, _name: &str) -> VarStyle {
        VarStyle {
            quotable: true,
            dash: false,
        }
    }
}

/// See [`LogVars::style`].
#[derive(Debug, Clone, Copy)]
pub struct VarStyle {
    pub quotable: bool,
    pub dash: bool,
}

/// No log-only variables (rules run before there is anything to log).
pub struct NoLogVars;

impl LogVars for NoLogVars {
    fn write(&self, _: &str, _: &mut Vec<u8>) -> bool {
        false
    }
}

#[derive(Debug, Clone)]
enum Node {
    Text(Vec<u8>),
    Var(String, LfOptions),
    Expr(Box<Expr>, LfOptions),
    /// `%[…]` naming what the runtime cannot evaluate: renders as absent.
    Missing,
    /// Merged spaces of a log-format: one space, only after something was written
    /// (HAProxy's `last_isspace`), so absent values do not leave runs of spaces.
    Sep,
}

/// A compiled log-format string.
#[derive(Debug, Clone, Default)]
pub struct Template {
    nodes: Vec<Node>,
}

impl Template {
    /// What cannot be evaluated goes to `warnings` and renders as HAProxy's `-`.
    pub fn compile(lf: &LogFormat, maps: &mut MapCache, warnings: &mut Vec<String>) -> Template {
        let nodes = lf
            .nodes
            .iter()
            .map(|n| match n {
                LfNode::Text(t) => Node::Text(t.as_bytes().to_vec()),
                LfNode::Separator => Node::Sep,
                LfNode::Var { name, opts } => Node::Var(name.clone(), *opts),
                LfNode::Expr { expr, opts } => match Expr::compile(expr, maps) {
                    Ok(e) => Node::Expr(Box::new(e), *opts),
                    Err(what) => {
                        warnings.push(format!(
                            "log-format expression uses {what}, parsed but not active yet in haproxy-rs; it renders as '-'"
                        ));
                        Node::Missing
                    }
                },
            })
            .collect();
        Template { nodes }
    }

    /// A template of fixed bytes.
    pub fn text(b: &[u8]) -> Template {
        Template {
            nodes: vec![Node::Text(b.to_vec())],
        }
    }

    /// A template that is one literal (no `%`): callers can skip rendering.
    pub fn literal(&self) -> Option<&[u8]> {
        match self.nodes.as_slice() {
            [] => Some(b""),
            [Node::Text(t)] => Some(t),
            _ => None,
        }
    }

    /// Renders into `out` (appended).
    pub fn render(&self, t: &mut Txn<'_>, lv: &dyn LogVars, out: &mut Vec<u8>) {
        // Where the output stood after the last separator (or at the start).
        let mut sep_mark = out.len();
        for n in &self.nodes {
            match n {
                Node::Sep => {
                    if out.len() > sep_mark {
                        out.push(b' ');
                        sep_mark = out.len();
                    }
                }
                Node::Text(s) => out.extend_from_slice(s),
                Node::Expr(e, o) => {
                    // Observed on HAProxy 2.6: `+Q` and `+M` do not apply to `%[…]`
                    // (an absent value renders as nothing), `+E` does.
                    if let Some(v) = e.eval_as(t, SmpType::Str) {
                        let b = v.bytes().unwrap_or(b"");
                        if o.escape {
                            escape(b, out);
                        } else {
                            out.extend_from_slice(b);
                        }
                    }
                }
                Node::Missing => {}
                Node::Var(name, o) => {
                    let mark = out.len();
                    let style = lv.style(name);
                    let quote = o.quote && style.quotable;
                    if quote {
                        out.push(b'"');
                    }
                    let start = out.len();
                    // The logger's facts first: they describe the stream as it ended.
                    if !lv.write(name, out) && !var(name, t, out) {
                        out.truncate(mark);
                        text(None, o, out);
                        continue;
                    }
                    if out.len() == start && (o.mandatory || style.dash) && !quote {
                        out.push(b'-');
                    }
                    if quote {
                        out.push(b'"');
                    }
                }
            }
        }
    }

    pub fn render_vec(&self, t: &mut Txn<'_>) -> Vec<u8> {
        let mut v = Vec::new();
        self.render(t, &NoLogVars, &mut v);
        v
    }
}

/// `lf_text_len()`: an absent or empty value is `-` with `+M` (and not quoted), `""`
/// when quoted, else nothing.
fn text(v: Option<&[u8]>, o: &LfOptions, out: &mut Vec<u8>) {
    if o.quote {
        out.push(b'"');
    }
    match v {
        Some(b) if !b.is_empty() => {
            if o.escape {
                escape(b, out)
            } else {
                out.extend_from_slice(b)
            }
        }
        _ if o.mandatory && !o.quote => out.push(b'-'),
        _ => {}
    }
    if o.quote {
        out.push(b'"');
    }
}

/// `+E`: RFC 5424 escaping of `"`, `\` and `]`.
fn escape(b: &[u8], out: &mut Vec<u8>) {
    for &c in b {
        if matches!(c, b'"' | b'\\' | b']') {
            out.push(b'\\');
        }
        out.push(c);
    }
}

fn ip_text(a: IpAddr, out: &mut Vec<u8>) {
    let a = match a {
        IpAddr::V6(v) => v.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(a),
        a => a,
    };
    let _ = write!(out, "{a}");
}

/// The variables known while rules run. False: not one of them.
fn var(name: &str, t: &Txn<'_>, out: &mut Vec<u8>) -> bool {
    match name {
        "ci" => {
            if let Some(a) = t.s.src {
                ip_text(a.ip(), out)
            }
        }
        "cp" => {
            if let Some(a) = t.s.src {
                let _ = write!(out, "{}", a.port());
            }
        }
        "fi" => {
            if let Some(a) = t.s.dst {
                ip_text(a.ip(), out)
            }
        }
        "fp" => {
            if let Some(a) = t.s.dst {
                let _ = write!(out, "{}", a.port());
            }
        }
        "f" | "ft" => out.extend_from_slice(t.s.fe_name.as_bytes()),
        "b" => out.extend_from_slice(t.s.be.map_or(t.s.fe_name, |b| b.0).as_bytes()),
        "s" => out.extend_from_slice(t.s.srv.map_or("<NOSRV>", |s| s.0).as_bytes()),
        "pid" => {
            let _ = write!(out, "{}", std::process::id());
        }
        "H" => out.extend_from_slice(hostname().as_bytes()),
        "ID" => match t.s.unique_id {
            Some(u) => out.extend_from_slice(u.as_bytes()),
            None => {
                if let Some(v) = t.vars.get(&super::vars::VarName::unique_id()) {
                    out.extend_from_slice(&v.to_text());
                }
            }
        },
        "Ts" => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let _ = write!(out, "{now}");
        }
        "HM" => match t.req {
            Some(r) => out.extend_from_slice(r.method.as_bytes()),
            None => out.push(b'-'),
        },
        "HU" => match t.req {
            Some(r) => out.extend_from_slice(r.uri.as_bytes()),
            None => out.push(b'-'),
        },
        "HP" => match t.req {
            Some(r) => out.extend_from_slice(r.path().as_bytes()),
            None => out.push(b'-'),
        },
        "HQ" => {
            if let Some(q) = t.req.and_then(|r| r.query()) {
                out.push(b'?');
                out.extend_from_slice(q.as_bytes());
            }
        }
        "HV" => match t.req {
            Some(r) => out.extend_from_slice(if r.minor == 0 {
                b"HTTP/1.0"
            } else {
                b"HTTP/1.1"
            }),
            None => out.push(b'-'),
        },
        "r" => match t.req {
            Some(r) => {
                let v = if r.minor == 0 { "HTTP/1.0" } else { "HTTP/1.1" };
                let _ = write!(out, "{} {} {v}", r.method, r.uri);
            }
            None => out.push(b'-'),
        },
        "ST" => match t.res {
            Some(r) => {
                let _ = write!(out, "{}", r.status);
            }
            None => return false,
        },
        _ => return false,
    }
    true
}

/// The host name, as `%H` prints it (read once).
pub fn hostname() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    })
}
