//! Reads configuration files line by line like HAProxy's `readcfgfile()`: physical lines,
//! `.if`/`.elif`/`.else`/`.endif`, `.diag/.notice/.warning/.alert`, the `no`/`default`
//! modifiers, section starts, and dispatch of each line to its section parser.

use super::lexer::{self, sanitize_for_printing, ProcessEnv};
use super::{cond, err, Kwm, Level, Line, Loc, State};
use std::sync::Arc;

/// HAProxy's `MAX_LINE_ARGS`.
pub const MAX_LINE_ARGS: usize = 64;
/// HAProxy's `MAXNESTEDCONDS`.
pub const MAX_NESTED_CONDS: usize = 10;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cond {
    IfTake,
    IfDrop,
    IfSkip,
    ElifTake,
    ElifDrop,
    ElifSkip,
    ElseTake,
    ElseDrop,
}

impl Cond {
    fn masks(self) -> bool {
        matches!(
            self,
            Cond::IfDrop | Cond::IfSkip | Cond::ElifDrop | Cond::ElifSkip | Cond::ElseDrop
        )
    }
    fn taken_before(self) -> bool {
        matches!(
            self,
            Cond::IfTake | Cond::IfSkip | Cond::ElifTake | Cond::ElifSkip
        )
    }
    fn is_else(self) -> bool {
        matches!(self, Cond::ElseTake | Cond::ElseDrop)
    }
}

/// The section keywords HAProxy registers, in the order it matches them.
pub const SECTIONS: &[&str] = &[
    "listen",
    "frontend",
    "backend",
    "defaults",
    "global",
    "userlist",
    "peers",
    "mailers",
    "namespace_list",
    "resolvers",
    "http-errors",
    "ring",
    "log-forward",
    "fcgi-app",
    "program",
    "cache",
];

/// The C library's wording for an I/O error (HAProxy prints `strerror(errno)`).
pub fn strerr(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            let s = std::io::Error::from_raw_os_error(code).to_string();
            // Rust appends " (os error N)".
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
        None => e.to_string(),
    }
}

/// Reads one file. Returns HAProxy's error bits.
pub fn read_file(st: &mut State, path: &str) -> u32 {
    match std::fs::read(path) {
        Ok(bytes) => read_text(st, path, &bytes),
        Err(e) => {
            st.diag.alert(format!(
                "Could not open configuration file {path} : {}",
                strerr(&e)
            ));
            err::ALERT_FATAL | err::ABORT
        }
    }
}

/// Reads configuration text named `file`.
pub fn read_text(st: &mut State, file: &str, bytes: &[u8]) -> u32 {
    let fname: Arc<str> = Arc::from(file);
    let mut errc = 0u32;
    let mut fatal = 0usize;
    let mut conds: Vec<Cond> = Vec::new();
    let mut in_section: Option<String> = None;
    let mut linenum = 0usize;
    let mut missing_lf: Option<usize> = None;
    let mut pos = 0usize;
    st.cursection.clear();

    while pos < bytes.len() {
        // fgets(): one line up to and including LF; a NUL inside stops strlen() there.
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| pos + i + 1)
            .unwrap_or(bytes.len());
        let phys = &bytes[pos..end];
        pos = end;

        if let Some(m) = missing_lf {
            st.diag.raw(
                Level::Alert,
                Some((file, linenum)),
                format!(
                    "parsing [{file}:{linenum}]: Stray NUL character at position {}.",
                    m + 1
                ),
            );
            errc |= err::ALERT_FATAL;
            missing_lf = None;
            break;
        }
        linenum += 1;
        if fatal >= 50 {
            st.diag.raw(
                Level::Alert,
                Some((file, linenum)),
                format!(
                    "parsing [{file}:{linenum}]: too many fatal errors ({fatal}), stopping now."
                ),
            );
            break;
        }
        let strlen = phys.iter().position(|&b| b == 0).unwrap_or(phys.len());
        let mut content = &phys[..strlen];
        if content.last() == Some(&b'\n') {
            content = &content[..content.len() - 1];
        } else {
            missing_lf = Some(content.len());
        }
        let raw = String::from_utf8_lossy(content).into_owned();
        let trimmed = raw.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b');
        let lead = raw.len() - trimmed.len();
        if trimmed.starts_with('[') {
            // Scopes (`[name]`) are HAProxy-internal for crt-lists; a config line starting
            // with '[' is taken as one, and ignored, as HAProxy does after validation.
            continue;
        }

        let section_name = in_section.clone().unwrap_or_default();
        let vars = ProcessEnv {
            file,
            line: linenum,
            section: &section_name,
        };
        let words = match lexer::split_words(&raw, &vars) {
            Ok(w) => w,
            Err(e) => {
                let (shown, newpos) =
                    sanitize_for_printing(trimmed, e.pos.saturating_sub(lead), 80);
                st.diag.raw(
                    Level::Alert,
                    Some((file, linenum)),
                    format!(
                        "parsing [{file}:{linenum}]: {} at position {}:\n  {}\n  {:>w$}",
                        e.what(),
                        e.pos + 1,
                        shown,
                        "^",
                        w = newpos + 1
                    ),
                );
                errc |= err::ALERT_FATAL;
                fatal += 1;
                continue;
            }
        };
        if words.len() > MAX_LINE_ARGS {
            let w = &words[MAX_LINE_ARGS - 1];
            st.diag.raw(
                Level::Alert,
                Some((file, linenum)),
                format!(
                    "parsing [{file}:{linenum}]: too many words, truncating after word {MAX_LINE_ARGS}, position {}: <{}>.",
                    w.col + 1,
                    w.text
                ),
            );
            errc |= err::ALERT_FATAL;
            fatal += 1;
            continue;
        }
        if words.is_empty() || words[0].text.is_empty() {
            continue;
        }
        let a0_owned = words[0].text.clone();
        let a0 = a0_owned.as_str();
        let arg = |i: usize| words.get(i).map(|w| w.text.as_str()).unwrap_or("");

        if a0.starts_with('.') {
            let rest_expr = || {
                words[1..]
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            match a0 {
                ".if" | ".elif" => {
                    let is_if = a0 == ".if";
                    if is_if {
                        if conds.len() + 1 >= MAX_NESTED_CONDS {
                            st.diag.raw(
                                Level::Alert,
                                Some((file, linenum)),
                                format!("parsing [{file}:{linenum}]: too many nested '.if', max is {MAX_NESTED_CONDS}."),
                            );
                            return errc | err::ALERT_FATAL | err::ABORT;
                        }
                        if conds.last().is_some_and(|c| c.masks()) {
                            conds.push(Cond::IfSkip);
                            continue;
                        }
                    } else {
                        let Some(top) = conds.last().copied() else {
                            st.diag.raw(
                                Level::Alert,
                                Some((file, linenum)),
                                format!("parsing [{file}:{linenum}]: lone '.elif' with no matching '.if'."),
                            );
                            return errc | err::ALERT_FATAL | err::ABORT;
                        };
                        if top.is_else() {
                            st.diag.raw(
                                Level::Alert,
                                Some((file, linenum)),
                                format!("parsing [{file}:{linenum}]: '.elif' after '.else' is not permitted."),
                            );
                            return errc | err::ALERT_FATAL | err::ABORT;
                        }
                        if top.taken_before() {
                            *conds.last_mut().unwrap() = Cond::ElifSkip;
                            continue;
                        }
                    }
                    let expr = rest_expr();
                    match cond::eval(&expr) {
                        Ok(v) => {
                            let c = match (is_if, v) {
                                (true, true) => Cond::IfTake,
                                (true, false) => Cond::IfDrop,
                                (false, true) => Cond::ElifTake,
                                (false, false) => Cond::ElifDrop,
                            };
                            if is_if {
                                conds.push(c);
                            } else {
                                *conds.last_mut().unwrap() = c;
                            }
                        }
                        Err(e) => {
                            let width = if is_if { 76 } else { 74 };
                            let (shown, newpos) = sanitize_for_printing(&expr, e.pos, width);
                            st.diag.raw(
                                Level::Alert,
                                Some((file, linenum)),
                                format!(
                                    "parsing [{file}:{linenum}]: {} in '{a0}' at position {}:\n  {a0} {}\n  {:>w$}",
                                    e.msg,
                                    e.pos + 1,
                                    shown,
                                    "^",
                                    w = newpos + a0.len() + 2
                                ),
                            );
                            return errc | err::ALERT_FATAL | err::ABORT;
                        }
                    }
                    continue;
                }
                ".else" | ".endif" => {
                    if !arg(1).is_empty() {
                        st.diag.raw(
                            Level::Alert,
                            Some((file, linenum)),
                            format!(
                                "parsing [{file}:{linenum}]: Unexpected argument '{}' for '{a0}'.",
                                arg(1)
                            ),
                        );
                        errc |= err::ALERT_FATAL | err::ABORT;
                        break;
                    }
                    let Some(top) = conds.last().copied() else {
                        st.diag.raw(
                            Level::Alert,
                            Some((file, linenum)),
                            format!(
                                "parsing [{file}:{linenum}]: lone '{a0}' with no matching '.if'."
                            ),
                        );
                        errc |= err::ALERT_FATAL | err::ABORT;
                        if a0 == ".else" {
                            return errc;
                        }
                        break;
                    };
                    if a0 == ".endif" {
                        conds.pop();
                        continue;
                    }
                    if top.is_else() {
                        st.diag.raw(
                            Level::Alert,
                            Some((file, linenum)),
                            format!("parsing [{file}:{linenum}]: '.else' after '.else' is not permitted."),
                        );
                        return errc | err::ALERT_FATAL | err::ABORT;
                    }
                    *conds.last_mut().unwrap() = if top.taken_before() {
                        Cond::ElseDrop
                    } else {
                        Cond::ElseTake
                    };
                    continue;
                }
                _ => {}
            }
        }

        if conds.last().is_some_and(|c| c.masks()) {
            continue;
        }

        if a0.starts_with('.') {
            let lvl = match a0 {
                ".alert" => Some(Level::Alert),
                ".warning" => Some(Level::Warning),
                ".notice" => Some(Level::Notice),
                ".diag" => Some(Level::Diag),
                _ => None,
            };
            match lvl {
                Some(lvl) => {
                    if !arg(2).is_empty() {
                        st.diag.raw(
                            Level::Alert,
                            Some((file, linenum)),
                            format!(
                                "parsing [{file}:{linenum}]: Unexpected argument '{}' for '{a0}'. Use quotes if the message should contain spaces.",
                                arg(2)
                            ),
                        );
                        errc |= err::ALERT_FATAL;
                        continue;
                    }
                    st.diag.raw(
                        lvl,
                        Some((file, linenum)),
                        format!("parsing [{file}:{linenum}]: '{}'.", arg(1)),
                    );
                    match lvl {
                        Level::Alert => return errc | err::ALERT_FATAL | err::ABORT,
                        Level::Warning => errc |= err::WARN,
                        _ => {}
                    }
                    continue;
                }
                None => {
                    st.diag.raw(
                        Level::Alert,
                        Some((file, linenum)),
                        format!("parsing [{file}:{linenum}]: unknown directive '{a0}'."),
                    );
                    errc |= err::ALERT_FATAL;
                    break;
                }
            }
        }

        // `no` / `default` modifiers.
        let mut words = words;
        let mut kwm = Kwm::Std;
        if a0_owned == "no" || a0_owned == "default" {
            kwm = if a0_owned == "no" {
                Kwm::No
            } else {
                Kwm::Default
            };
            words.remove(0);
            // HAProxy shifts args[] left without clearing the last slot after `default`, so
            // the last word appears twice (`default option x` has args `option x x`) and
            // keyword parsers see that extra argument.
            if kwm == Kwm::Default {
                if let Some(last) = words.last().cloned() {
                    words.push(last);
                }
            }
        }
        let a0 = words.first().map(|w| w.text.clone()).unwrap_or_default();
        let a0 = a0.as_str();
        if kwm != Kwm::Std
            && !matches!(
                a0,
                "option"
                    | "log"
                    | "busy-polling"
                    | "set-dumpable"
                    | "strict-limits"
                    | "insecure-fork-wanted"
                    | "numa-cpu-mapping"
            )
        {
            st.diag.raw(
                Level::Alert,
                Some((file, linenum)),
                format!(
                    "parsing [{file}:{linenum}]: negation/default currently supported only for options, log, busy-polling, set-dumpable, strict-limits, insecure-fork-wanted and numa-cpu-mapping."
                ),
            );
            errc |= err::ALERT_FATAL;
            fatal += 1;
        }

        let line = Line {
            loc: Loc {
                file: fname.clone(),
                line: linenum,
            },
            words,
            kwm,
            raw: raw.clone(),
        };

        // Section start?
        let starts = SECTIONS.iter().find(|s| **s == a0).map(|s| s.to_string());
        if let Some(sec) = &starts {
            if let Some(prev) = in_section.take() {
                let status = post_section(st, &prev);
                errc |= status;
                if status & err::FATAL != 0 {
                    fatal += 1;
                }
                if errc & err::ABORT != 0 {
                    return errc;
                }
            }
            in_section = Some(sec.clone());
            st.cursection = sec.clone();
        }

        match &in_section {
            None => {
                st.diag.raw(
                    Level::Alert,
                    Some((file, linenum)),
                    format!("parsing [{file}:{linenum}]: unknown keyword '{a0}' out of section."),
                );
                errc |= err::ALERT_FATAL;
                fatal += 1;
            }
            Some(sec) => {
                let status = dispatch(st, sec, &line);
                errc |= status;
                if status & err::FATAL != 0 {
                    fatal += 1;
                }
                if errc & err::ABORT != 0 {
                    return errc;
                }
            }
        }
    }

    if let Some(m) = missing_lf {
        st.diag.raw(
            Level::Alert,
            Some((file, linenum)),
            format!("parsing [{file}:{linenum}]: Missing LF on last line, file might have been truncated at position {}.", m + 1),
        );
        errc |= err::ALERT_FATAL;
    }
    if let Some(prev) = in_section.take() {
        errc |= post_section(st, &prev);
    }
    if !conds.is_empty() {
        st.diag.raw(
            Level::Alert,
            Some((file, linenum)),
            format!("parsing [{file}:{linenum}]: non-terminated '.if' block."),
        );
        errc |= err::ALERT_FATAL | err::ABORT;
    }
    errc
}

/// Hands a line to the parser of the section it belongs to.
fn dispatch(st: &mut State, section: &str, line: &Line) -> u32 {
    match section {
        "global" => super::global::parse(st, line),
        "listen" | "frontend" | "backend" | "defaults" => super::proxy::parse(st, line),
        other => super::sections::parse(st, other, line),
    }
}

/// Called when a section ends (next section starts or the file ends), like HAProxy's
/// `post_section_parser`.
fn post_section(st: &mut State, section: &str) -> u32 {
    match section {
        "global" => super::global::post_section(st),
        "listen" | "frontend" | "backend" | "defaults" => super::proxy::post_section(st),
        other => super::sections::post_section(st, other),
    }
}
