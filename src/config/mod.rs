//! The configuration front end: files → lines of words → typed [`crate::model`].
//!
//! Layering (each layer only knows the one below):
//! - [`lexer`] turns one physical line into words (HAProxy's quoting rules, written with nom);
//! - [`reader`] reads files, handles `.if` blocks and `.diag`-style directives, the `no` /
//!   `default` modifiers, finds section starts and hands each line to its section parser;
//! - the section parsers ([`global`], [`proxy`], [`sections`]) validate keywords and fill the
//!   typed model, reporting problems through [`diag`] in HAProxy's words;
//! - [`check`] runs the whole-configuration checks HAProxy makes after parsing.
//!
//! Nothing here runs anything: the runtime consumes the finished [`crate::model::Config`].

pub mod active;
pub mod addr;
pub mod bind;
pub mod check;
pub mod cond;
pub mod diag;
pub mod expr;
pub mod global;
pub mod lexer;
pub mod log;
pub mod proxy;
pub mod reader;
pub mod rules;
pub mod sections;
pub mod server;
pub mod suggest;
pub mod values;

use std::sync::Arc;

pub use diag::{Diag, Level, Message};
pub use lexer::Word;

/// HAProxy's parser return bits (`ERR_*` in `errors.h`), kept so that keyword parsers can
/// be ported one to one: an alert may or may not be fatal, and some errors abort the file.
pub mod err {
    pub const NONE: u32 = 0x00;
    pub const RETRYABLE: u32 = 0x01;
    pub const FATAL: u32 = 0x02;
    pub const ABORT: u32 = 0x04;
    pub const WARN: u32 = 0x08;
    pub const ALERT: u32 = 0x10;
    /// The usual result of a rejected keyword.
    pub const ALERT_FATAL: u32 = ALERT | FATAL;
}

/// The `no` / `default` prefix HAProxy allows on a few keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kwm {
    #[default]
    Std,
    No,
    Default,
}

/// Where something was written: the file and 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: usize,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One logical configuration line, after tokenizing and after the `no`/`default` prefix was
/// removed (as HAProxy shifts its `args[]`).
#[derive(Debug, Clone)]
pub struct Line {
    pub loc: Loc,
    pub words: Vec<Word>,
    pub kwm: Kwm,
    /// The physical line as read, for error carets and lossless round trips.
    pub raw: String,
}

impl Line {
    /// Word `i`, or `""` past the end, exactly like HAProxy's `args[i]`.
    pub fn arg(&self, i: usize) -> &str {
        self.words.get(i).map(|w| w.text.as_str()).unwrap_or("")
    }

    /// Words from `i` on (HAProxy stops at the first empty word; so do callers that care).
    pub fn args_from(&self, i: usize) -> Vec<&str> {
        self.words.iter().skip(i).map(|w| w.text.as_str()).collect()
    }

    /// The words up to the first empty one, as HAProxy's loops `while (*args[i])` see them.
    pub fn argv(&self) -> Vec<&str> {
        self.words
            .iter()
            .map(|w| w.text.as_str())
            .take_while(|s| !s.is_empty())
            .collect()
    }

    pub fn nargs(&self) -> usize {
        self.words.len()
    }

    pub fn file(&self) -> &str {
        &self.loc.file
    }

    pub fn lineno(&self) -> usize {
        self.loc.line
    }
}

/// Everything a section parser may need while parsing: the model under construction, the
/// diagnostics sink and the per-section cursors. Section parsers get `&mut State`.
pub struct State {
    pub model: crate::model::Config,
    pub diag: Diag,
    /// Name of the current section keyword (`global`, `frontend`…), HAProxy's `cursection`.
    pub cursection: String,
    /// Index in `model.proxies` of the proxy being parsed (frontend/backend/listen/defaults).
    pub cur_proxy: Option<usize>,
    /// Index in `model.proxies` of the last defaults section (the implicit `from`).
    pub last_defaults: Option<usize>,
    /// Index of the current entry for the non-proxy sections (userlist, peers…).
    pub cur_other: Option<usize>,
    /// Keywords seen that parse but whose runtime is not built yet, with their first use.
    pub inactive_seen: Vec<(String, Loc)>,
    /// Environment and machine facts that parsing depends on.
    pub env: ParseEnv,
}

/// Facts the parser takes from outside so that checks are deterministic under test.
#[derive(Debug, Clone)]
pub struct ParseEnv {
    /// Resolve host names (`server x host:port`) at check time as HAProxy does.
    pub resolve_hosts: bool,
    /// Check that referenced files (certificates, error files, lua…) exist.
    pub check_files: bool,
    /// Number of CPUs (for `nbthread` limits).
    pub ncpus: usize,
}

impl Default for ParseEnv {
    fn default() -> Self {
        ParseEnv {
            resolve_hosts: true,
            check_files: true,
            ncpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        }
    }
}

impl State {
    pub fn new(diag: Diag, env: ParseEnv) -> Self {
        State {
            model: crate::model::Config::default(),
            diag,
            cursection: String::new(),
            cur_proxy: None,
            last_defaults: None,
            cur_other: None,
            inactive_seen: Vec::new(),
            env,
        }
    }

    /// Alert `parsing [file:line] : text` and return the usual fatal bits.
    pub fn alert(&mut self, line: &Line, text: impl AsRef<str>) -> u32 {
        self.diag.alert_at(line.file(), line.lineno(), text);
        err::ALERT_FATAL
    }

    /// Warning `parsing [file:line] : text`.
    pub fn warn(&mut self, line: &Line, text: impl AsRef<str>) -> u32 {
        self.diag.warn_at(line.file(), line.lineno(), text);
        err::WARN
    }

    /// Records that `keyword` (e.g. `"timeout client"`, `"option httplog"`) was used here.
    /// If its runtime is not built yet, HAProxy users get one loud warning naming the line:
    /// a keyword that parses but does nothing must never be silent.
    pub fn used(&mut self, line: &Line, keyword: &str) {
        if active::is_active(keyword) {
            return;
        }
        self.diag.warn_at(
            line.file(),
            line.lineno(),
            format!("'{keyword}' parsed but not active yet in haproxy-rs"),
        );
        if !self.inactive_seen.iter().any(|(k, _)| k == keyword) {
            self.inactive_seen
                .push((keyword.to_string(), line.loc.clone()));
        }
    }

    pub fn cur_proxy_mut(&mut self) -> Option<&mut crate::model::Proxy> {
        let i = self.cur_proxy?;
        self.model.proxies.get_mut(i)
    }
}

/// Result of loading a configuration: the model (if no fatal error) and every message.
pub struct Loaded {
    pub config: Option<crate::model::Config>,
    pub diag: Diag,
    /// HAProxy's accumulated error bits.
    pub err: u32,
}

/// Loads configuration files the way `haproxy -f a -f b` does (directories expanded to their
/// `*.cfg` files in lexical order), then runs the post-parse checks.
pub fn load_files(paths: &[String], diag: Diag, env: ParseEnv) -> Loaded {
    let mut st = State::new(diag, env);
    let mut errc = 0u32;
    let files = match reader::expand_paths(paths, &mut st.diag) {
        Ok(f) => f,
        Err(e) => {
            return Loaded {
                config: None,
                diag: st.diag,
                err: e,
            };
        }
    };
    for f in &files {
        let e = reader::read_file(&mut st, f);
        errc |= e;
        if e & err::ABORT != 0 {
            break;
        }
    }
    finish(st, errc, &files)
}

/// Loads configuration text given in memory (the C ABI and the fuzzer), named `name`.
pub fn load_str(name: &str, text: &str, diag: Diag, env: ParseEnv) -> Loaded {
    let mut st = State::new(diag, env);
    let errc = reader::read_text(&mut st, name, text.as_bytes());
    finish(st, errc, &[name.to_string()])
}

fn finish(mut st: State, mut errc: u32, files: &[String]) -> Loaded {
    if errc & (err::ABORT | err::FATAL) != 0 {
        for f in files {
            st.diag
                .alert(format!("Error(s) found in configuration file : {f}"));
        }
        st.diag.alert("Fatal errors found in configuration.");
        return Loaded {
            config: None,
            diag: st.diag,
            err: errc,
        };
    }
    errc |= check::check_config(&mut st);
    if errc & (err::ABORT | err::FATAL) != 0 {
        st.diag.alert("Fatal errors found in configuration.");
        return Loaded {
            config: None,
            diag: st.diag,
            err: errc,
        };
    }
    Loaded {
        config: Some(st.model),
        diag: st.diag,
        err: errc,
    }
}
