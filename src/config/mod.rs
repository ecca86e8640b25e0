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
    /// The local peer name: `-L`, else the host name (HAProxy's `localpeer`), also exported
    /// as `HAPROXY_LOCALPEER` by the command line before parsing.
    pub localpeer: String,
    /// `-dr`: server address resolution failures are not fatal.
    pub resolve_dontfail: bool,
    /// `-N`: HAProxy's `cfg_maxpconn`, the `maxconn` every new defaults/proxy starts from
    /// (`proxy_preset_defaults()`); 0 when not given.
    pub maxpconn: i64,
    /// `-W`/`-Ws` on the command line: master-worker mode even without `global master-worker`
    /// (HAProxy checks `program` sections against the mode, whichever way it was set).
    pub master_worker: bool,
}

/// The host name as HAProxy's `gethostname()` gives it (empty if unknown).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim_end_matches('\n').to_string())
        .unwrap_or_default()
}

impl Default for ParseEnv {
    fn default() -> Self {
        ParseEnv {
            resolve_hosts: true,
            check_files: true,
            ncpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            localpeer: hostname(),
            resolve_dontfail: false,
            maxpconn: 0,
            master_worker: false,
        }
    }
}

impl ParseEnv {
    /// No DNS look-ups and no file checks, 2 CPUs: results that do not depend on the machine
    /// (unit tests, the fuzzer, the C ABI's text checks).
    pub fn offline() -> Self {
        ParseEnv {
            resolve_hosts: false,
            check_files: false,
            ncpus: 2,
            ..ParseEnv::default()
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
/// `*.cfg` files in lexical order), then runs the post-parse checks. The end-of-load alerts
/// follow HAProxy's `init()`: "Error(s) found in configuration file : f" after each file
/// with a fatal error, nothing more after an aborting error, and "Fatal errors found in
/// configuration." once parsing or checking failed.
pub fn load_files(paths: &[String], diag: Diag, env: ParseEnv) -> Loaded {
    let mut st = State::new(diag, env);
    let files = match expand_cfg_paths(paths, &mut st.diag) {
        Ok(f) => f,
        Err(e) => return failed(st, e),
    };
    let mut errc = 0u32;
    for f in &files {
        let bytes = match std::fs::read(f) {
            Ok(b) => b,
            Err(e) => {
                st.diag.alert(format!(
                    "Could not open configuration file {f} : {}",
                    reader::strerr(&e)
                ));
                return failed(st, errc | err::ALERT_FATAL | err::ABORT);
            }
        };
        let ret = reader::read_text(&mut st, f, &bytes);
        errc |= end_of_file(&mut st, f, ret);
        if errc & err::ABORT != 0 {
            return failed(st, errc);
        }
    }
    finish(st, errc)
}

/// Loads configuration text given in memory (the C ABI and the fuzzer), named `name`.
pub fn load_str(name: &str, text: &str, diag: Diag, env: ParseEnv) -> Loaded {
    let mut st = State::new(diag, env);
    let ret = reader::read_text(&mut st, name, text.as_bytes());
    let errc = end_of_file(&mut st, name, ret);
    if errc & err::ABORT != 0 {
        return failed(st, errc);
    }
    finish(st, errc)
}

/// HAProxy's `-f` list expansion (`cfgfiles_expand_directories()`): every path must exist;
/// a directory is replaced in place by its regular files named `*.cfg` (not starting with
/// a dot), sorted bytewise and joined to the directory as written (`dir/` gives `dir//a.cfg`).
pub fn expand_cfg_paths(paths: &[String], diag: &mut Diag) -> Result<Vec<String>, u32> {
    let mut out = Vec::new();
    for p in paths {
        let md = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                diag.alert(format!(
                    "Cannot open configuration file/directory {p} : {}",
                    reader::strerr(&e)
                ));
                return Err(err::ALERT_FATAL | err::ABORT);
            }
        };
        if !md.is_dir() {
            out.push(p.clone());
            continue;
        }
        let rd = std::fs::read_dir(p).map_err(|e| {
            diag.alert(format!(
                "Cannot open configuration directory {p} : {}",
                reader::strerr(&e)
            ));
            err::ALERT_FATAL | err::ABORT
        })?;
        let mut names: Vec<Vec<u8>> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().into_encoded_bytes())
            .filter(|n| is_cfg_name(n))
            .collect();
        names.sort();
        for n in names {
            let full = format!("{p}/{}", String::from_utf8_lossy(&n));
            match std::fs::metadata(&full) {
                Ok(m) if m.is_file() => out.push(full),
                Ok(_) => {}
                Err(e) => {
                    diag.alert(format!(
                        "Cannot open configuration file {p} : {}",
                        reader::strerr(&e)
                    ));
                    return Err(err::ALERT_FATAL | err::ABORT);
                }
            }
        }
    }
    Ok(out)
}

/// HAProxy keeps a directory entry when it does not start with a dot and its FIRST ".cfg"
/// ends the name (so "a.cfg.cfg" is skipped, as `strstr()` finds the first one).
fn is_cfg_name(n: &[u8]) -> bool {
    if n.first() == Some(&b'.') {
        return false;
    }
    match n.windows(4).position(|w| w == b".cfg") {
        Some(i) => i + 4 == n.len(),
        None => false,
    }
}

/// After one file: HAProxy names each file that had a fatal error.
fn end_of_file(st: &mut State, file: &str, ret: u32) -> u32 {
    if ret & (err::ABORT | err::FATAL) != 0 {
        st.diag
            .alert(format!("Error(s) found in configuration file : {file}"));
    }
    ret
}

fn failed(st: State, errc: u32) -> Loaded {
    Loaded {
        config: None,
        diag: st.diag,
        err: errc,
    }
}

/// `unique-id-format` strings are parsed by HAProxy's checker, once each proxy's mode and
/// capabilities are final.
fn compile_unique_ids(st: &mut State) -> u32 {
    use expr::logformat::{check_logformat_kind, LfKind};
    let mut errc = 0;
    for px in 0..st.model.proxies.len() {
        if st.model.proxies[px].cap.is_defaults() {
            continue;
        }
        let Some((fmt, loc)) = st.model.proxies[px].settings.unique_id_format.clone() else {
            continue;
        };
        match check_logformat_kind(st, px, &fmt, LfKind::UniqueId) {
            Ok(lf) => st.model.proxies[px].settings.unique_id_lf = Some(lf),
            Err(e) => {
                st.diag.alert(format!(
                    "Parsing [{}:{}]: failed to parse unique-format '{fmt}': {e}.",
                    loc.file, loc.line
                ));
                errc |= err::ALERT | err::FATAL;
            }
        }
    }
    errc
}

/// The log formats of proxies with log targets, compiled like HAProxy's checker does
/// (errors were already reported when each string was checked).
fn compile_log_formats(st: &mut State) {
    use crate::model::proxy::LogFormat as F;
    use expr::logformat::{check_logformat_kind, LfKind};
    for px in 0..st.model.proxies.len() {
        let p = &st.model.proxies[px];
        if p.cap.is_defaults() || !p.cap.is_fe() {
            continue;
        }
        let s = &p.settings;
        let main = s.log_format.as_ref().map(|(f, _)| match f {
            F::Http => crate::log::HTTPLOG.to_string(),
            F::HttpClf => crate::log::CLF.to_string(),
            F::Https => crate::log::HTTPSLOG.to_string(),
            F::Tcp => crate::log::TCPLOG.to_string(),
            F::Custom(c) => c.clone(),
        });
        let sd = s.log_format_sd.as_ref().map(|(f, _)| f.clone());
        let elf = s.error_log_format.as_ref().map(|(f, _)| f.clone());
        let one =
            |f: Option<String>| f.and_then(|f| check_logformat_kind(st, px, &f, LfKind::Log).ok());
        let (a, b, c) = (one(main), one(sd), one(elf));
        let s = &mut st.model.proxies[px].settings;
        s.log_lf = a;
        s.log_sd_lf = b;
        s.error_log_lf = c;
    }
}

fn finish(mut st: State, mut errc: u32) -> Loaded {
    if errc & (err::ABORT | err::FATAL) != 0 {
        st.diag.alert("Fatal errors found in configuration.");
        return failed(st, errc);
    }
    errc |= check::check_config(&mut st);
    errc |= compile_unique_ids(&mut st);
    compile_log_formats(&mut st);
    if errc & (err::ABORT | err::FATAL) != 0 {
        st.diag.alert("Fatal errors found in configuration.");
        return failed(st, errc);
    }
    // Address resolution happens at start-up in HAProxy, after the checks; its failure ends
    // with its own "Failed to initialize server(s) addr." line and nothing after it.
    errc |= server::resolve_addresses(&mut st);
    if errc & (err::ABORT | err::FATAL) != 0 {
        return failed(st, errc);
    }
    Loaded {
        config: Some(st.model),
        diag: st.diag,
        err: errc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_names_like_haproxy() {
        assert!(is_cfg_name(b"a.cfg"));
        assert!(!is_cfg_name(b".a.cfg"));
        assert!(!is_cfg_name(b"a.cfg.cfg"));
        assert!(!is_cfg_name(b"a.cfgx"));
        assert!(!is_cfg_name(b"cfg"));
    }

    #[test]
    fn end_of_load_messages() {
        let l = load_str(
            "t.cfg",
            ".if foo\n.endif\n",
            Diag::new(),
            ParseEnv::default(),
        );
        assert!(l.config.is_none());
        let texts: Vec<_> = l.diag.messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            texts.last(),
            Some(&"Error(s) found in configuration file : t.cfg")
        );
        let l = load_str("t.cfg", "global\n", Diag::new(), ParseEnv::default());
        assert!(l.config.is_some());
    }

    #[test]
    fn missing_file_is_reported_once() {
        let mut d = Diag::new();
        let r = expand_cfg_paths(&["/nonexistent/x.cfg".to_string()], &mut d);
        assert!(r.is_err());
        assert_eq!(
            d.messages[0].text,
            "Cannot open configuration file/directory /nonexistent/x.cfg : No such file or directory"
        );
    }
}
