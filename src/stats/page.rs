//! The stats page's request side (HAProxy 2.6's `http_stats_check_uri()`,
//! `http_handle_stats()`, `stats_process_http_post()`), without sockets: which request
//! it answers, the `;csv`/`;up`/`;norefresh`/`;st=`/`scope=` options of its URI, the
//! `stats auth` check, the admin form's actions and the 303 that follows them.

use super::{Proc, ADMIN_DRAIN, ADMIN_MAINT};
use crate::queue::ServerState;

/// HAProxy's `STATS_DEFAULT_REALM`.
pub const DEFAULT_REALM: &str = "HAProxy Statistics";

/// A proxy's `stats` settings as the page needs them (HAProxy's `struct uri_auth`).
#[derive(Debug, Clone, Default)]
pub struct PageCfg {
    /// `stats uri` (default `/haproxy?stats`).
    pub uri: String,
    pub realm: Option<String>,
    /// `stats auth user:password` (clear text, as HAProxy stores them).
    pub users: Vec<(String, String)>,
    /// `stats refresh`, seconds (0: none).
    pub refresh: u32,
    pub hide_version: bool,
    pub show_legends: bool,
    /// `stats show-modules`: the stats modules' columns.
    pub show_modules: bool,
    /// `stats show-node [name]` (`Some("")`: the process's node name).
    pub show_node: Option<String>,
    pub show_desc: Option<String>,
    /// `stats scope`: the proxies shown (empty: all).
    pub scope: Vec<String>,
}

impl PageCfg {
    /// `http_stats_check_uri()`: a GET, HEAD or POST whose path (or whole URI when the
    /// prefix does not start with `/`) starts with the stats URI.
    pub fn matches(&self, method: &str, uri: &str) -> bool {
        if !matches!(method, "GET" | "HEAD" | "POST") {
            return false;
        }
        let target = if self.uri.starts_with('/') {
            path_of(uri)
        } else {
            uri
        };
        target.as_bytes().starts_with(self.uri.as_bytes())
    }

    /// `stats auth`: true when no user is configured or `authorization` carries one of
    /// them (Basic).
    pub fn authorized(&self, authorization: Option<&[u8]>) -> bool {
        if self.users.is_empty() {
            return true;
        }
        let Some(v) = authorization.and_then(|v| std::str::from_utf8(v).ok()) else {
            return false;
        };
        let mut it = v.trim().splitn(2, ' ');
        let (Some(scheme), Some(cred)) = (it.next(), it.next()) else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Some(dec) = crate::sample::fetch::b64_decode(cred.trim().as_bytes()) else {
            return false;
        };
        let Ok(dec) = String::from_utf8(dec) else {
            return false;
        };
        let Some((u, p)) = dec.split_once(':') else {
            return false;
        };
        self.users.iter().any(|(cu, cp)| cu == u && cp == p)
    }

    /// The realm of the 401 (`stats realm`, else HAProxy's default).
    pub fn realm(&self) -> &str {
        self.realm.as_deref().unwrap_or(DEFAULT_REALM)
    }
}

/// The path of a request target (an absolute URI's authority skipped), query included:
/// `http_parse_path()`.
fn path_of(uri: &str) -> &str {
    if let Some(rest) = uri.split_once("://").map(|(_, r)| r) {
        return rest.find('/').map_or("", |i| &rest[i..]);
    }
    uri
}

/// The output a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    Html,
    Csv,
    Json,
    Typed,
    JsonSchema,
}

/// The options of one stats request (HAProxy's `show_stat_ctx` flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageReq {
    pub fmt: Fmt,
    /// `;up`: hide servers that are not UP.
    pub hide_down: bool,
    /// `;no-maint`.
    pub no_maint: bool,
    /// `;norefresh` (only when a refresh is configured).
    pub no_refresh: bool,
    /// `;st=XXXX`: the result of the last admin action, shown once.
    pub st: Option<&'static str>,
    /// `scope=<text>` (proxies whose name contains it).
    pub scope: Option<String>,
    pub method_post: bool,
}

/// The status codes `;st=` carries (`stat_status_codes`).
const STATUS_CODES: &[&str] = &[
    "DENY", "DONE", "ERRP", "EXCD", "NONE", "PART", "UNKN", "IVAL",
];

/// `STAT_SCOPE_TXT_MAXLEN`.
const SCOPE_MAX: usize = 20;

impl PageReq {
    /// Reads the options in the URI after the stats prefix, as `http_handle_stats()` does
    /// (each option found anywhere in the rest).
    pub fn parse(cfg: &PageCfg, method: &str, uri: &str) -> PageReq {
        let start = uri.find(cfg.uri.as_str()).map_or(0, |i| i + cfg.uri.len());
        let rest = &uri[start.min(uri.len())..];
        let has = |s: &str| rest.contains(s);
        let mut fmt = Fmt::Html;
        if has(";csv") {
            fmt = Fmt::Csv;
        }
        if has(";typed") {
            fmt = Fmt::Typed;
        }
        if has(";json") {
            fmt = Fmt::Json;
        }
        if has(";json-schema") {
            fmt = Fmt::JsonSchema;
        }
        // HAProxy looks for `;st=` and `scope=` only where 8 bytes remain.
        let found = |pat: &str| rest.find(pat).filter(|i| i + 8 <= rest.len());
        let st = found(";st=").map(|i| {
            let code = rest.get(i + 4..i + 8).unwrap_or("");
            STATUS_CODES
                .iter()
                .find(|c| **c == code)
                .copied()
                .unwrap_or("UNKN")
        });
        let scope = found("scope=").and_then(|i| {
            let v = &rest[i + 6..];
            let end = v.find([';', '&', ' ']).unwrap_or(v.len());
            let v = &v[..end.min(SCOPE_MAX)];
            // `invalid_char()`: only what a proxy name may contain.
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
                .then(|| v.to_string())
        });
        PageReq {
            fmt,
            hide_down: has(";up"),
            no_maint: has(";no-maint"),
            no_refresh: cfg.refresh > 0 && has(";norefresh"),
            st,
            scope,
            method_post: method == "POST",
        }
    }

    /// `stats_send_http_redirect()`'s `Location` after a POST with result `code`.
    pub fn redirect_location(&self, cfg: &PageCfg, code: &str) -> String {
        let mut l = format!("{};st={code}", cfg.uri);
        if self.hide_down {
            l.push_str(";up");
        }
        if self.no_refresh {
            l.push_str(";norefresh");
        }
        if let Some(s) = self.scope.as_deref().filter(|s| !s.is_empty()) {
            l.push_str("?scope=");
            l.push_str(s);
        }
        l
    }
}

fn url_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Applies an admin form (`b=<backend>&s=<server>…&action=<act>`) the way
/// `stats_process_http_post()` does, through the same [`Proc`] calls as the CLI's
/// `set server`/`shutdown sessions`, and returns the `;st=` code to redirect with.
pub fn post(p: &dyn Proc, body: &[u8]) -> &'static str {
    let Ok(body) = std::str::from_utf8(body) else {
        return "ERRP";
    };
    let mut backend = None;
    let mut action = None;
    let mut servers = Vec::new();
    // The last value of `b` and `action` wins (HAProxy parses in reverse order).
    for kv in body.split('&').rev() {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let (Some(k), Some(v)) = (url_decode(k), url_decode(v)) else {
            break;
        };
        match k.as_str() {
            "b" if backend.is_none() => {
                // `proxy_be_by_name()`: `#<id>` names a backend by its id.
                let id = v.strip_prefix('#').and_then(|i| i.parse::<i64>().ok());
                let found = p
                    .proxies()
                    .iter()
                    .position(|px| px.cap.be && (id.map_or(px.name == v, |id| px.id == id)));
                match found {
                    Some(i) => backend = Some(i),
                    None => return "ERRP",
                }
            }
            "action" if action.is_none() => {
                if !matches!(
                    v.as_str(),
                    "ready"
                        | "drain"
                        | "maint"
                        | "shutdown"
                        | "disable"
                        | "enable"
                        | "stop"
                        | "start"
                        | "dhlth"
                        | "ehlth"
                        | "hrunn"
                        | "hnolb"
                        | "hdown"
                        | "dagent"
                        | "eagent"
                        | "arunn"
                        | "adown"
                ) {
                    return "ERRP";
                }
                action = Some(v);
            }
            "s" => servers.push(v),
            _ => {}
        }
    }
    let (Some(pi), Some(action)) = (backend, action) else {
        return if servers.is_empty() { "NONE" } else { "ERRP" };
    };
    let px = &p.proxies()[pi];
    let (mut total, mut altered) = (0, 0);
    for name in servers.iter().rev() {
        total += 1;
        let Some(si) = px.servers.iter().position(|s| &s.name == name) else {
            continue;
        };
        let st = px
            .queue
            .as_ref()
            .and_then(|q| q.server(si))
            .map(|s| s.state());
        let changed = match action.as_str() {
            "ready" => {
                p.set_admin(pi, si, 0);
                true
            }
            "drain" => {
                p.set_admin(pi, si, ADMIN_DRAIN);
                true
            }
            "maint" => {
                p.set_admin(pi, si, ADMIN_MAINT);
                true
            }
            "disable" if st != Some(ServerState::Maint) => {
                p.set_admin(pi, si, ADMIN_MAINT);
                true
            }
            "enable" if st == Some(ServerState::Maint) => {
                p.set_admin(pi, si, 0);
                true
            }
            "stop" if st != Some(ServerState::Drain) => {
                p.set_admin(pi, si, ADMIN_DRAIN);
                true
            }
            "start" if st == Some(ServerState::Drain) => {
                p.set_admin(pi, si, 0);
                true
            }
            "shutdown" if !px.disabled => {
                p.shutdown_server_sessions(pi, si);
                true
            }
            // Health and agent forcing need checks the page cannot drive yet.
            _ => false,
        };
        if changed {
            altered += 1;
        }
    }
    if total == 0 {
        "NONE"
    } else if altered == 0 {
        "ERRP"
    } else if altered == total {
        "DONE"
    } else {
        "PART"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> PageCfg {
        PageCfg {
            uri: "/stats".into(),
            refresh: 5,
            users: vec![("admin".into(), "s3cret".into())],
            ..Default::default()
        }
    }

    #[test]
    fn uri_match_and_options() {
        let c = cfg();
        assert!(c.matches("GET", "/stats;csv"));
        assert!(c.matches("POST", "http://h/stats"));
        assert!(!c.matches("PUT", "/stats"));
        assert!(!c.matches("GET", "/stat"));
        let r = PageReq::parse(&c, "GET", "/stats;csv;norefresh;up");
        assert_eq!(r.fmt, Fmt::Csv);
        assert!(r.no_refresh && r.hide_down);
        let r = PageReq::parse(&c, "GET", "/stats;st=DONE;scope=be1");
        assert_eq!(r.st, Some("DONE"));
        assert_eq!(r.scope.as_deref(), Some("be1"));
        assert_eq!(r.redirect_location(&c, "DONE"), "/stats;st=DONE?scope=be1");
    }

    #[test]
    fn basic_auth() {
        let c = cfg();
        assert!(!c.authorized(None));
        // admin:s3cret
        assert!(c.authorized(Some(b"Basic YWRtaW46czNjcmV0")));
        assert!(!c.authorized(Some(b"Basic YWRtaW46d3Jvbmc=")));
        assert_eq!(c.realm(), DEFAULT_REALM);
    }
}
