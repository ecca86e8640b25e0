//! The smaller sections: userlist, peers, resolvers, mailers, http-errors, ring, program,
//! cache, namespace_list, log-forward, fcgi-app. Each has its own module; this one dispatches lines to them and
//! holds the helpers they share (HAProxy's `invalid_char()`, `alertif_too_many_args()` and
//! the timer messages these sections all print the same way).

pub mod cache;
pub mod fcgi_app;
pub mod http_errors;
pub mod log_forward;
pub mod mailers;
pub mod namespace;
pub mod peers;
pub mod program;
pub mod resolvers;
pub mod ring;
pub mod userlist;

use super::values::{parse_time, TimeError, TimeUnit};
use super::{err, Level, Line, State};

/// Keywords of the sections handled here, as `<section> <keyword>` (for `-dK cfg`).
pub const KEYWORDS: &[&str] = &[
    "userlist group",
    "userlist user",
    "peers bind",
    "peers default-bind",
    "peers default-server",
    "peers disabled",
    "peers enabled",
    "peers log",
    "peers peer",
    "peers server",
    "peers table",
    "resolvers accepted_payload_size",
    "resolvers hold",
    "resolvers nameserver",
    "resolvers parse-resolv-conf",
    "resolvers resolve_retries",
    "resolvers timeout",
    "mailers mailer",
    "mailers timeout",
    "http-errors errorfile",
    "ring description",
    "ring format",
    "ring maxlen",
    "ring server",
    "ring size",
    "ring timeout",
    "program command",
    "program group",
    "program option",
    "program user",
    "cache max-age",
    "cache max-object-size",
    "cache max-secondary-entries",
    "cache process-vary",
    "cache total-max-size",
    "namespace_list namespace",
    "log-forward backlog",
    "log-forward bind",
    "log-forward dgram-bind",
    "log-forward log",
    "log-forward maxconn",
    "log-forward timeout",
    "fcgi-app acl",
    "fcgi-app docroot",
    "fcgi-app index",
    "fcgi-app log-stderr",
    "fcgi-app option",
    "fcgi-app pass-header",
    "fcgi-app path-info",
    "fcgi-app set-param",
];

pub fn parse(st: &mut State, section: &str, line: &Line) -> u32 {
    match section {
        "userlist" => userlist::parse(st, line),
        "peers" => peers::parse(st, line),
        "resolvers" => resolvers::parse(st, line),
        "mailers" => mailers::parse(st, line),
        "http-errors" => http_errors::parse(st, line),
        "ring" => ring::parse(st, line),
        "program" => program::parse(st, line),
        "cache" => cache::parse(st, line),
        "namespace_list" => namespace::parse(st, line),
        "log-forward" => log_forward::parse(st, line),
        "fcgi-app" => fcgi_app::parse(st, line),
        _ => 0,
    }
}

pub fn post_section(st: &mut State, section: &str) -> u32 {
    match section {
        "ring" => ring::post_section(st),
        "cache" => cache::post_section(st),
        _ => 0,
    }
}

/// HAProxy's `invalid_char()`: the first character not in `[A-Za-z0-9.:_-]`; an empty name
/// is invalid at its (missing) first character, reported as NUL.
pub fn invalid_char(name: &str) -> Option<char> {
    if name.is_empty() {
        return Some('\0');
    }
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '_' | '-')))
}

/// `alertif_too_many_args_idx()`: alerts when a word exists after `index + maxarg`.
/// Returns true (with the alert printed) when there are too many arguments.
pub fn too_many_args(st: &mut State, line: &Line, maxarg: usize, index: usize) -> bool {
    let extra = line.arg(index + maxarg + 1);
    if extra.is_empty() {
        return false;
    }
    let kw = line.args_from(0)[..=index].join(" ");
    st.alert(
        line,
        format!("'{kw}' cannot handle unexpected argument '{extra}'."),
    );
    true
}

/// An alert with HAProxy's `parsing [file:line]: ` prefix (no space before the colon).
pub fn alert_tight(st: &mut State, line: &Line, text: impl AsRef<str>) -> u32 {
    let (f, l) = (line.file().to_string(), line.lineno());
    st.diag.raw(
        Level::Alert,
        Some((&f, l)),
        format!("parsing [{f}:{l}]: {}", text.as_ref()),
    );
    err::ALERT_FATAL
}

/// A warning with HAProxy's `parsing [file:line]: ` prefix.
pub fn warn_tight(st: &mut State, line: &Line, text: impl AsRef<str>) -> u32 {
    let (f, l) = (line.file().to_string(), line.lineno());
    st.diag.raw(
        Level::Warning,
        Some((&f, l)),
        format!("parsing [{f}:{l}]: {}", text.as_ref()),
    );
    err::WARN
}

/// An alert with the capitalised `Parsing [file:line]: ` prefix of duplicate-name checks.
pub fn alert_capital(st: &mut State, line: &Line, text: impl AsRef<str>) -> u32 {
    let (f, l) = (line.file().to_string(), line.lineno());
    st.diag.raw(
        Level::Alert,
        Some((&f, l)),
        format!("Parsing [{f}:{l}]: {}", text.as_ref()),
    );
    err::ALERT_FATAL
}

/// Parses a timer argument in ms with the messages every section prints:
/// `timer overflow in argument <{shown}> to <{kw}>`, `unexpected character 'c' in argument
/// to <{kw}>`. `shown` is what HAProxy names as the argument (usually the value itself).
pub fn parse_timer(
    st: &mut State,
    line: &Line,
    value: &str,
    shown: &str,
    kw: &str,
) -> Result<u32, u32> {
    match parse_time(value, TimeUnit::Ms) {
        Ok(t) => Ok(t.value),
        Err(TimeError::Over) => Err(alert_tight(
            st,
            line,
            format!("timer overflow in argument <{shown}> to <{kw}>, maximum value is 2147483647 ms (~24.8 days)."),
        )),
        Err(TimeError::Under) => Err(alert_tight(
            st,
            line,
            format!("timer underflow in argument <{shown}> to <{kw}>, minimum non-null value is 1 ms."),
        )),
        Err(TimeError::BadChar(i)) => {
            let c = value[i..].chars().next().unwrap_or('\0');
            Err(alert_tight(
                st,
                line,
                format!("unexpected character '{c}' in argument to <{kw}>."),
            ))
        }
    }
}

/// The unknown-keyword alert most sections share.
pub fn unknown_keyword(st: &mut State, line: &Line, section: &str) -> u32 {
    st.alert(
        line,
        format!("unknown keyword '{}' in '{section}' section", line.arg(0)),
    )
}

/// HAProxy prints messages with `"%s\n"`: a message that already ends with a line feed
/// (several `str2sa_range()` ones do) is followed by an empty line. Diagnostics add the
/// final line feed only when missing, so one more is added here.
pub fn blank_after(text: String) -> String {
    if text.ends_with('\n') {
        text + "\n"
    } else {
        text
    }
}

/// Parses a server line of a section that HAProxy backs with a hidden proxy (peers, ring):
/// the `server` parser runs on a temporary proxy named `proxy_name`, so options and
/// messages are those of proxies (`'server <proxy>/<name>' : …`). Returns the error bits,
/// the server built and the (possibly updated) `default-server` settings.
pub fn parse_server_in(
    st: &mut State,
    line: &Line,
    proxy_name: &str,
    defaults: Option<Box<crate::model::Server>>,
) -> (
    u32,
    Option<crate::model::Server>,
    Option<Box<crate::model::Server>>,
) {
    let hidden = crate::model::Proxy {
        name: proxy_name.to_string(),
        cap: crate::model::ProxyCap::LISTEN,
        loc: line.loc.clone(),
        default_server: defaults,
        ..Default::default()
    };
    st.model.proxies.push(hidden);
    let px = st.model.proxies.len() - 1;
    let bits = super::server::parse_server(st, line, px);
    let mut hidden = st.model.proxies.pop().unwrap_or_default();
    (bits, hidden.servers.pop(), hidden.default_server.take())
}

/// Parses the bind options of a line from word `cur` on with the `bind` parser, on a
/// temporary proxy standing for the section's hidden frontend (peers, log-forward).
/// Returns the error bits and the options.
pub fn parse_bind_options_in(
    st: &mut State,
    line: &Line,
    cur: usize,
    section: &str,
    proxy_name: &str,
) -> (u32, crate::model::bind::BindOptions) {
    let hidden = crate::model::Proxy {
        name: proxy_name.to_string(),
        cap: crate::model::ProxyCap::FE,
        loc: line.loc.clone(),
        ..Default::default()
    };
    st.model.proxies.push(hidden);
    let px = st.model.proxies.len() - 1;
    let mut bind = crate::model::Bind {
        loc: line.loc.clone(),
        text: line.arg(1).to_string(),
        addrs: Vec::new(),
        options: Default::default(),
    };
    let bits = super::bind::parse_bind_options(
        st,
        line,
        cur,
        super::bind::BindCtx::Proxy { section, px },
        &mut bind,
    );
    st.model.proxies.pop();
    (bits, bind.options)
}

/// Words of a line as owned strings (for raw storage in the model).
pub fn words(line: &Line) -> Vec<String> {
    line.argv().iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::config::{load_str, Diag, Loaded, ParseEnv};

    pub fn load(text: &str) -> Loaded {
        load_str(
            "t.cfg",
            text,
            Diag::new(),
            ParseEnv {
                resolve_hosts: false,
                check_files: false,
                ncpus: 2,
                ..Default::default()
            },
        )
    }

    /// Rendered messages without the pid, and without the "not active yet" warnings.
    pub fn msgs(l: &Loaded) -> Vec<String> {
        l.diag
            .messages
            .iter()
            .map(|m| m.render(0).trim_end().to_string())
            .filter(|s| !s.contains("not active yet"))
            .collect()
    }

    pub fn has(l: &Loaded, needle: &str) -> bool {
        msgs(l).iter().any(|m| m.contains(needle))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_chars() {
        assert_eq!(invalid_char("abc-1.2:x_y"), None);
        assert_eq!(invalid_char("a/b"), Some('/'));
        assert_eq!(invalid_char(""), Some('\0'));
    }
}
