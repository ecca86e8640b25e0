//! Whole-configuration checks HAProxy runs after parsing (`check_config_validity()`, the
//! config post-parsers and the post-proxy checks): unknown backends, mode conflicts,
//! missing timeouts, duplicate server names, settings ignored outside HTTP mode…
//!
//! Messages and their order are HAProxy's: proxies are checked in declaration order, each
//! proxy's checks in the order `check_config_validity()` makes them, then the sections.

use super::rules::check as rules_check;
use super::sections::{fcgi_app, http_errors, peers, program, resolvers, userlist};
use super::{err, State};
/// The bind and server checks live with their parsers.
mod server {
    pub use crate::config::bind::checks as bind_checks;
    pub use crate::config::server::checks;
}
use crate::model::proxy::{CheckKind, ErrorDirective, LogFormat};
use crate::model::rules::{Action, ReplyBody, StickKind};
use crate::model::{Mode, Proxy};
use std::collections::HashMap;

/// Runs the post-parse checks (address resolution comes after, see `config::finish`).
pub fn check_config(st: &mut State) -> u32 {
    // HAProxy resolves the userlists first and stops at their first error.
    let e = userlist::check(st);
    if e != 0 {
        return e;
    }
    let mut cfgerr = 0usize;
    let mut e = 0;
    let backends = backend_index(st);
    let enabled: Vec<usize> = (0..st.model.proxies.len())
        .filter(|&i| !st.model.proxies[i].cap.is_defaults() && !st.model.proxies[i].disabled)
        .collect();
    let mut bufsize_reported = false;
    let mut defaults_ready: Vec<usize> = Vec::new();
    for &i in &enabled {
        // Reported once, at the first HTTP proxy (HAProxy's `ONLY_ONCE()`).
        if !bufsize_reported && st.model.proxies[i].mode == Mode::Http {
            if let Some(b) = st.model.global.tune.bufsize.filter(|&b| b >= 256 << 20) {
                st.diag.alert(format!(
                    "global.tune.bufsize must be below 256 MB when HTTP is in use (current value = {b})."
                ));
                cfgerr += 1;
                bufsize_reported = true;
            }
        }
        let defaults = st.model.proxies[i]
            .defaults_idx
            .filter(|d| !defaults_ready.contains(d));
        let mut c = Checker {
            backends: &backends,
            st,
            i,
            e: 0,
            cfgerr: 0,
        };
        if let Some(d) = defaults {
            defaults_ready.push(d);
            c.defaults_rules(d);
        }
        c.run();
        e |= c.e;
        cfgerr += c.cfgerr;
    }
    // The final checks before creating tasks: TLS settings of every listener.
    for i in 0..st.model.proxies.len() {
        if !st.model.proxies[i].cap.is_defaults() {
            cfgerr += count(&mut e, server::bind_checks::check_bind_ssl(st, i));
        }
    }
    e |= peers::check(st);
    e |= unused_mailers(st);
    e |= resolvers::check(st);
    // Config post-parsers (and the global checks HAProxy makes around them).
    e |= fcgi_app::check(st);
    cfgerr += server_resolvers(st);
    e |= program::check(st);
    e |= super::global::post_check(st);
    if cfgerr > 0 {
        e |= err::ALERT_FATAL;
    }
    // Post-server and post-proxy checks, proxy by proxy.
    for &i in &enabled {
        e |= server::checks::check_post_server(st, i);
        e |= errorfiles(st, i);
    }
    e
}

/// Folds the bits of a check that reports with error bits into HAProxy's `cfgerr` count
/// (one per failing check) and the warning bits.
fn count(e: &mut u32, bits: u32) -> usize {
    *e |= bits & err::WARN;
    usize::from(bits & err::FATAL != 0)
}

/// `proxy_type_str()`: "listen" sections are called "proxy" in messages.
fn proxy_type_str(cap: crate::model::ProxyCap) -> &'static str {
    if cap.is_fe() && cap.is_be() {
        "proxy"
    } else if cap.is_fe() {
        "frontend"
    } else {
        "backend"
    }
}

/// Mailers sections no proxy uses are dropped with a warning (newest first).
fn unused_mailers(st: &mut State) -> u32 {
    let used = |name: &str| {
        st.model.proxies.iter().any(|p| {
            !p.cap.is_defaults()
                && !p.disabled
                && p.settings.email_alert.mailers.as_deref() == Some(name)
        })
    };
    let unused: Vec<String> = st
        .model
        .mailers
        .iter()
        .rev()
        .filter(|m| !used(&m.name))
        .map(|m| m.name.clone())
        .collect();
    for name in &unused {
        st.diag
            .warning(format!("Removing incomplete section 'mailers {name}'."));
    }
    st.model.mailers.retain(|m| !unused.contains(&m.name));
    if unused.is_empty() {
        0
    } else {
        err::WARN
    }
}

/// `proxy_check_errors()`: `errorfiles` must name an `http-errors` section, and the
/// statuses it lists should be declared there.
fn errorfiles(st: &mut State, i: usize) -> u32 {
    let mut e = 0;
    let p = &st.model.proxies[i];
    let mut out = Vec::new();
    for (d, at) in &p.settings.errors {
        let ErrorDirective::Files { name, statuses } = d else {
            continue;
        };
        let Some(sec) = st.model.http_errors.iter().find(|h| &h.name == name) else {
            out.push((
                true,
                format!(
                    "proxy '{}': unknown http-errors section '{name}' (at {at}).",
                    p.name
                ),
            ));
            continue;
        };
        for code in http_errors::HTTP_ERR_CODES {
            if statuses.contains(code) && !sec.files.iter().any(|(s, _, _)| s == code) {
                out.push((
                    false,
                    format!(
                        "config: proxy '{}' : status '{code}' not declared in http-errors section '{name}' (at {at}).",
                        p.name
                    ),
                ));
            }
        }
    }
    for (alert, m) in out {
        if alert {
            st.diag.alert(m);
            e |= err::ALERT_FATAL;
        } else {
            st.diag.warning(m);
            e |= err::WARN;
        }
    }
    e
}

/// `resolvers_finalize_config()`: servers' `resolvers` must name a section (`default`
/// always exists). Returns the number of errors.
fn server_resolvers(st: &mut State) -> usize {
    let mut msgs = Vec::new();
    for p in st.model.proxies.iter().filter(|p| !p.cap.is_defaults()) {
        for s in &p.servers {
            let Some(r) = s.resolvers.as_deref() else {
                continue;
            };
            if r != "default" && !st.model.resolvers.iter().any(|x| x.name == r) {
                msgs.push(format!(
                    "{} '{}', server '{}': unable to find required resolvers '{r}'",
                    proxy_type_str(p.cap),
                    p.name,
                    s.name
                ));
            }
        }
    }
    for m in &msgs {
        st.diag.alert(m.clone());
    }
    msgs.len()
}

/// `stktable_find_by_name()`: a proxy's own table is named after the proxy, a peers
/// table `<peers>/<table>`.
fn table_exists(m: &crate::model::Config, name: &str) -> bool {
    m.proxies
        .iter()
        .any(|p| !p.cap.is_defaults() && p.name == name && p.rules.stick_table.is_some())
        || m.peers
            .iter()
            .any(|p| p.tables.iter().any(|x| x.id == name))
}

/// Backend-capable proxies by name; the first one wins, as in HAProxy's name tree.
fn backend_index(st: &State) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for (i, p) in st.model.proxies.iter().enumerate() {
        if p.cap.is_be() && !p.cap.is_defaults() {
            m.entry(p.name.clone()).or_insert(i);
        }
    }
    m
}

/// The checks of one proxy, accumulating HAProxy's `cfgerr` count and warning bits.
struct Checker<'a> {
    st: &'a mut State,
    /// Backend-capable proxies by name (HAProxy's `proxy_be_by_name()`), built once.
    backends: &'a HashMap<String, usize>,
    i: usize,
    e: u32,
    cfgerr: usize,
}

/// `option` names (HAProxy's `cfg_opts[]` then `cfg_opts2[]` order) that need HTTP mode,
/// with whether they apply to frontends and backends.
const HTTP_ONLY_OPTIONS: &[(&str, bool, bool)] = &[
    ("checkcache", false, true),
    ("http-buffer-request", true, true),
    ("http-ignore-probes", true, false),
    ("idle-close-on-response", true, false),
    ("prefer-last-server", false, true),
    ("accept-invalid-http-request", true, false),
    ("accept-invalid-http-response", false, true),
    ("http-use-proxy-header", true, false),
    ("http-pretend-keepalive", false, true),
    ("http-no-delay", true, true),
    ("h1-case-adjust-bogus-client", true, false),
    ("h1-case-adjust-bogus-server", false, true),
    ("disable-h2-upgrade", true, false),
];

fn mode_str(m: Mode) -> &'static str {
    match m {
        Mode::Tcp => "tcp",
        Mode::Http => "http",
    }
}

impl Checker<'_> {
    fn px(&self) -> &Proxy {
        &self.st.model.proxies[self.i]
    }

    fn alert(&mut self, text: String) {
        self.st.diag.alert(text);
        self.cfgerr += 1;
    }

    fn warn(&mut self, text: String) {
        self.st.diag.warning(text);
        self.e |= err::WARN;
    }

    /// `proxy_type_str()` and the proxy's name, as most messages start.
    fn what(&self) -> (String, String) {
        let p = self.px();
        (proxy_type_str(p.cap).to_string(), p.name.clone())
    }

    fn run(&mut self) {
        if self.px().mode == Mode::Tcp {
            self.ensure_no_http();
        }
        self.no_bind();
        self.balance_modes();
        self.check_options();
        self.external_check();
        self.default_backend();
        // `use_backend`/`use-server` targets, log-format ones included (rule parser).
        for a in rules_check::check_switching_rules(&self.st.model, self.i) {
            self.alert(a);
        }
        self.stick_rules();
        self.action_rules(self.i);
        // The rule parser's warnings (L6 fetches, track-sc placement, switch-mode); its
        // "rules ignored" warnings are printed with the other non-HTTP ones.
        let warnings: Vec<String> = rules_check::post_parse_warnings(&self.st.model, self.i)
            .into_iter()
            .filter(|w| !w.contains("rules ignored for"))
            .collect();
        for w in warnings {
            self.warn(w);
        }
        self.table_peers();
        self.mailers_ref();
        self.stats_auth_and_rules();
        self.resolve_args();
        self.missing_timeouts();
        self.unused_tcp_check_rules();
        self.capture_len();
        self.duplicate_servers();
        let bits = server::checks::check_servers_in(self.st, self.i);
        self.cfgerr += count(&mut self.e, bits);
        self.log_without_address();
        self.http_only_settings();
        self.server_http_settings();
        self.fcgi_filter();
        let bits = server::bind_checks::check_bind_muxes(self.st, self.i)
            | server::checks::check_server_muxes(self.st, self.i);
        self.cfgerr += count(&mut self.e, bits);
    }

    /// `proxy_cfg_ensure_no_http()`: HTTP-only settings of a TCP proxy are ignored.
    fn ensure_no_http(&mut self) {
        let (t, n) = self.what();
        let s = &self.px().settings;
        let cookie = s.cookie.is_some();
        let monitor = s.monitor_uri.is_some();
        let l7 = s.balance.as_ref().is_some_and(|b| b.needs_http());
        let logfmt = s.log_format.clone();
        if cookie {
            self.st.diag.warning(format!(
                "cookie will be ignored for {t} '{n}' (needs 'mode http')."
            ));
        }
        if monitor {
            self.st.diag.warning(format!(
                "monitor-uri will be ignored for {t} '{n}' (needs 'mode http')."
            ));
        }
        if l7 {
            self.st.diag.warning(format!(
                "Layer 7 hash not possible for {t} '{n}' (needs 'mode http'). Falling back to round robin."
            ));
        }
        let opt = match logfmt {
            Some((LogFormat::Http | LogFormat::HttpClf, at)) => Some(("httplog", at)),
            Some((LogFormat::Https, at)) => Some(("httpslog", at)),
            _ => None,
        };
        if let Some((o, at)) = opt {
            self.st.diag.warning(format!(
                "parsing [{at}] : 'option {o}' not usable with {t} '{n}' (needs 'mode http'). Falling back to 'option tcplog'."
            ));
            if let Some(lf) = self.st.model.proxies[self.i].settings.log_format.as_mut() {
                lf.0 = LogFormat::Tcp;
            }
        }
    }

    /// A load-balancing algorithm excludes `option transparent` and makes `dispatch` useless.
    fn balance_modes(&mut self) {
        let p = self.px();
        if !p.cap.is_be() || p.settings.balance.is_none() {
            return;
        }
        let (t, n) = self.what();
        if p.settings.option("transparent") == Some(true) {
            self.alert(format!(
                "{t} '{n}' cannot use both transparent and balance mode."
            ));
        } else if p.settings.dispatch.is_some() {
            self.warn(format!(
                "dispatch address of {t} '{n}' will be ignored in balance mode."
            ));
        }
    }

    /// Health-check settings that need another check type.
    fn check_options(&mut self) {
        let (t, n) = self.what();
        let s = &self.px().settings;
        let http = matches!(s.check, Some(CheckKind::Http { .. }));
        let unused_http_rules = !s.http_check_rules.is_empty() && !http;
        let tcpchk = s.check.is_some() && !http && s.check != Some(CheckKind::External);
        let (d404, sst) = (s.http_check_disable_on_404, s.http_check_send_state);
        if unused_http_rules {
            self.warn(format!(
                "{t} '{n}' uses http-check rules without 'option httpchk', so the rules are ignored."
            ));
        }
        if tcpchk {
            for (kw, on) in [("disable-on-404", d404), ("send-state", sst)] {
                if on {
                    self.warn(format!(
                        "'{kw}' will be ignored for {t} '{n}' (requires 'option httpchk')."
                    ));
                }
            }
        }
    }

    fn email_alert_incomplete(&mut self) {
        let ea = &self.px().settings.email_alert;
        if ea.set && !(ea.mailers.is_some() && ea.from.is_some() && ea.to.is_some()) {
            let (t, n) = self.what();
            self.warn(format!(
                "'email-alert' will be ignored for {t} '{n}' (the presence any of 'email-alert from', 'email-alert level' 'email-alert mailers', 'email-alert myhostname', or 'email-alert to' requires each of 'email-alert from', 'email-alert mailers' and 'email-alert to' to be present)."
            ));
            self.st.model.proxies[self.i].settings.email_alert = Default::default();
        }
    }

    /// `option external-check` and `external-check command|path`.
    fn external_check(&mut self) {
        let (t, n) = self.what();
        let s = &self.px().settings;
        let ext = s.check == Some(CheckKind::External);
        let cmd = s.external_check_command.clone();
        let path = s.external_check_path.is_some();
        if ext {
            if !self.st.model.global.external_check {
                self.alert(format!(
                    "Proxy '{n}' : 'option external-check' unable to find required 'global.external-check'."
                ));
            }
            if cmd.is_none() {
                self.alert(format!(
                    "Proxy '{n}' : 'option external-check' unable to find required 'external-check command'."
                ));
            }
            if !self.insecure_fork_wanted() {
                self.warn(format!(
                    "Proxy '{n}' : 'insecure-fork-wanted' not enabled in the global section, 'option external-check' will likely fail."
                ));
            }
        }
        // HAProxy checks the email alerts between the option and the command.
        self.email_alert_incomplete();
        if let Some(c) = cmd {
            if !ext {
                self.warn(format!(
                    "'external-check command' will be ignored for {t} '{n}' (requires 'option external-check')."
                ));
            }
            if !c.starts_with('/') && !path {
                self.alert(format!(
                    "Proxy '{n}': 'external-check command' does not have a leading '/' and 'external-check path' is not set."
                ));
            }
        }
        if path && !ext {
            self.warn(format!(
                "'external-check path' will be ignored for {t} '{n}' (requires 'option external-check')."
            ));
        }
    }

    /// `insecure-fork-wanted` (or its `no` form), the last one written wins.
    fn insecure_fork_wanted(&self) -> bool {
        self.st
            .model
            .global
            .other
            .iter()
            .rev()
            .find(|(k, _, _)| k == "insecure-fork-wanted" || k == "no insecure-fork-wanted")
            .is_some_and(|(k, _, _)| k == "insecure-fork-wanted")
    }

    fn mailers_ref(&mut self) {
        let Some(name) = self.px().settings.email_alert.mailers.clone() else {
            return;
        };
        let n = self.px().name.clone();
        if !self.st.model.mailers.iter().any(|m| m.name == name) {
            self.alert(format!("Proxy '{n}': unable to find mailers '{name}'."));
            self.st.model.proxies[self.i].settings.email_alert = Default::default();
        }
    }

    fn stats_auth_and_rules(&mut self) {
        let Some(s) = self.px().settings.stats.as_ref() else {
            return;
        };
        if !s.http_request.is_empty() && (!s.auth.is_empty() || s.realm.is_some()) {
            let n = self.px().name.clone();
            self.alert(format!(
                "proxy '{n}': stats 'auth'/'realm' and 'http-request' can't be used at the same time."
            ));
        }
    }

    fn unused_tcp_check_rules(&mut self) {
        let s = &self.px().settings;
        if !s.tcp_check_rules.is_empty() && s.check != Some(CheckKind::Tcp) {
            let (t, n) = self.what();
            self.warn(format!(
                "{t} '{n}' uses tcp-check rules without 'option tcp-check', so the rules are ignored."
            ));
        }
    }

    /// `capture cookie … len N` is limited by `tune.http.cookielen` (63 bytes by default).
    fn capture_len(&mut self) {
        let Some((_, len)) = self.px().settings.capture_cookie.clone() else {
            return;
        };
        let max = self.cookie_len();
        if len >= max {
            let (t, n) = self.what();
            self.warn(format!(
                "truncating capture length to {} bytes for {t} '{n}'.",
                max - 1
            ));
        }
    }

    fn cookie_len(&self) -> i64 {
        self.st
            .model
            .global
            .other
            .iter()
            .rev()
            .find(|(k, _, _)| k == "tune.http.cookielen")
            .and_then(|(_, a, _)| a.first())
            .map(|v| crate::config::values::atol(v))
            .filter(|&v| v > 0)
            .unwrap_or(64)
    }

    /// Whether the proxy logs anywhere. Log targets are copied from the defaults section;
    /// a proxy without its own targets falls back to its defaults' ones.
    fn has_log_targets(&self) -> bool {
        let p = self.px();
        !p.settings.logs.is_empty()
            || p.defaults_idx
                .and_then(|d| self.st.model.proxies.get(d))
                .is_some_and(|d| !d.settings.logs.is_empty())
    }

    fn log_without_address(&mut self) {
        let p = self.px();
        let has_format = p.settings.log_format.is_some() || p.settings.log_format_sd.is_some();
        if p.cap.is_fe() && has_format && !self.has_log_targets() {
            let (t, n) = self.what();
            self.warn(format!(
                "log format ignored for {t} '{n}' since it has no log address."
            ));
        }
    }

    /// The stick-table a `stick` rule names (or the proxy's own).
    fn table_exists(&self, name: Option<&str>) -> bool {
        match name {
            None => self.px().rules.stick_table.is_some(),
            Some(t) => table_exists(&self.st.model, t),
        }
    }

    fn stick_rules(&mut self) {
        let n = self.px().name.clone();
        let rules: Vec<(bool, Option<String>)> = self
            .px()
            .rules
            .stick_rules
            .iter()
            .map(|r| (r.kind == StickKind::StoreResponse, r.table.clone()))
            .collect();
        // HAProxy checks the sticking rules first, then the store-response ones.
        for store_rsp in [false, true] {
            for (_, table) in rules.iter().filter(|(s, _)| *s == store_rsp) {
                if !self.table_exists(table.as_deref()) {
                    let what = if store_rsp {
                        "store table"
                    } else {
                        "stick-table"
                    };
                    let shown = table.clone().unwrap_or_else(|| n.clone());
                    self.alert(format!("Proxy '{n}': unable to find {what} '{shown}'."));
                }
            }
        }
    }

    /// `stick-table … peers <name>`: the section must exist and have a local peer.
    fn table_peers(&mut self) {
        let Some(name) = self
            .px()
            .rules
            .stick_table
            .as_ref()
            .and_then(|t| t.peers.clone())
        else {
            return;
        };
        let n = self.px().name.clone();
        let found = self.st.model.peers.iter().rev().find(|p| p.name == name);
        match found {
            None => self.alert(format!("Proxy '{n}': unable to find sync peers '{name}'.")),
            Some(p) if p.disabled => {}
            Some(p) if !p.has_frontend => {
                let lp = peers::local_peer_name(self.st);
                let pn = p.name.clone();
                self.alert(format!(
                    "Proxy '{n}': unable to find local peer '{lp}' in peers section '{pn}'."
                ));
            }
            Some(_) => {}
        }
    }

    /// The fcgi filter's check: the application a backend uses must exist.
    fn fcgi_filter(&mut self) {
        let Some(app) = fcgi_app::proxy_app(self.px()) else {
            return;
        };
        if !self.st.model.fcgi_apps.iter().any(|a| a.name == app) {
            let n = self.px().name.clone();
            self.alert(format!("proxy '{n}' : fcgi-app '{app}' not found."));
        }
    }

    /// `smp_resolve_args()`: names in sample fetch and ACL arguments (backends, servers,
    /// tables, userlists) must resolve; one alert per proxy.
    fn resolve_args(&mut self) {
        if let Some((msg, n)) = crate::config::expr::resolve::resolve_alert(&self.st.model, self.i)
        {
            self.st.diag.alert(msg);
            self.cfgerr += n;
        }
    }

    /// `check_action_rules()`: `track-sc*` tables, `do-resolve` resolvers and the
    /// `http-errors` sections of replies must exist. Run for proxy `px` (or its defaults).
    fn action_rules(&mut self, px: usize) {
        let m = &self.st.model;
        let p = &m.proxies[px];
        let r = &p.rules;
        let mut alerts = Vec::new();
        for rule in [
            &r.tcp_request_connection,
            &r.tcp_request_session,
            &r.tcp_request_content,
            &r.tcp_response_content,
            &r.http_request,
            &r.http_response,
            &r.http_after_response,
        ]
        .into_iter()
        .flatten()
        {
            match &rule.kind {
                Action::TrackSc { n, table, .. } => {
                    let found = match table.as_deref() {
                        None => p.rules.stick_table.is_some(),
                        Some(t) => table_exists(m, t),
                    };
                    if !found {
                        let shown = table.clone().unwrap_or_else(|| p.name.clone());
                        alerts.push(format!(
                            "Proxy '{}': unable to find table '{shown}' referenced by track-sc{n}.",
                            p.name
                        ));
                    }
                }
                Action::Deny(rep) | Action::Tarpit(rep) | Action::Return(rep) => {
                    if let ReplyBody::ErrorFiles(name) = &rep.body {
                        if !m.http_errors.iter().any(|h| &h.name == name) {
                            alerts.push(format!(
                                "Proxy '{}': unknown http-errors section '{name}' referenced by an http reply .",
                                p.name
                            ));
                        }
                    }
                }
                _ => {
                    let res = rule
                        .action
                        .strip_prefix("do-resolve(")
                        .and_then(|x| x.strip_suffix(')'))
                        .map(|x| x.split(',').nth(1).unwrap_or(""));
                    if let Some(res) = res {
                        if res != "default" && !m.resolvers.iter().any(|x| x.name == res) {
                            alerts.push(format!(
                                "Proxy '{}': Can't find resolvers section '{res}' for do-resolve action.",
                                p.name
                            ));
                        }
                    }
                }
            }
        }
        for a in alerts {
            self.alert(a);
        }
    }

    /// A named defaults section's rules are checked once, before the first proxy using it
    /// (HAProxy's `PR_FL_READY` on the defaults proxy).
    fn defaults_rules(&mut self, d: usize) {
        self.action_rules(d);
        if let Some((msg, n)) = crate::config::expr::resolve::resolve_alert(&self.st.model, d) {
            self.st.diag.alert(msg);
            self.cfgerr += n;
        }
    }

    fn no_bind(&mut self) {
        let p = self.px();
        if p.cap.is_fe() && p.binds.is_empty() {
            let (t, n) = self.what();
            self.warn(format!(
                "{t} '{n}' has no 'bind' directive. Please declare it as a backend if this was intended."
            ));
        }
    }

    /// Finds backend `name` for a `default_backend`/`use_backend` of this proxy; alerts
    /// like HAProxy for a missing, looping or mode-incompatible target.
    fn check_target(&mut self, name: &str, what: &str, usage: &str) {
        let models = &self.st.model;
        let me = &models.proxies[self.i];
        let target = self.backends.get(name).map(|&j| (j, &models.proxies[j]));
        match target {
            None => self.alert(format!(
                "Proxy '{}': unable to find required {what}: '{name}'.",
                me.name
            )),
            Some((j, _)) if j == self.i => self.alert(format!(
                "Proxy '{}': loop detected for {what}: '{name}'.",
                me.name
            )),
            Some((_, t))
                if t.mode != me.mode && !(me.mode == Mode::Tcp && t.mode == Mode::Http) =>
            {
                let msg = format!(
                    "{} {} '{}' ({}) tries to use incompatible {} {} '{}' ({}) {usage} (see 'mode').",
                    mode_str(me.mode),
                    proxy_type_str(me.cap),
                    me.name,
                    me.loc,
                    mode_str(t.mode),
                    proxy_type_str(t.cap),
                    t.name,
                    t.loc
                );
                self.alert(msg);
            }
            Some(_) => {}
        }
    }

    fn default_backend(&mut self) {
        let Some((name, _)) = self.px().default_backend.clone() else {
            return;
        };
        let before = self.cfgerr;
        self.check_target(&name, "default_backend", "as its default backend");
        if self.cfgerr == before && !self.px().servers.is_empty() {
            let n = self.px().name.clone();
            self.warn(format!(
                "In proxy '{n}', the 'default_backend' rule always has precedence over the servers, which will never be used."
            ));
        }
    }

    fn missing_timeouts(&mut self) {
        let p = self.px();
        let set = |v: Option<u32>| v.is_some_and(|x| x != 0);
        let to = &p.settings.timeouts;
        let fe_missing = p.cap.is_fe() && !set(to.client);
        let be_missing = p.cap.is_be()
            && !p.servers.is_empty()
            && (!set(to.connect) || (!set(to.server) && (p.mode == Mode::Http || !set(to.tunnel))));
        if fe_missing || be_missing {
            let (t, n) = self.what();
            self.warn(format!(
                "missing timeouts for {t} '{n}'.\n   | While not properly invalid, you will certainly encounter various problems\n   | with such a configuration. To fix this, please ensure that all following\n   | timeouts are set to a non-zero value: 'client', 'connect', 'server'."
            ));
        }
    }

    /// Servers without an explicit `id` must have distinct names (the first clash each).
    fn duplicate_servers(&mut self) {
        let p = self.px();
        let mut first: HashMap<&str, usize> = HashMap::new();
        let mut msgs = Vec::new();
        for s in p.servers.iter().filter(|s| s.id.is_none()) {
            match first.get(s.name.as_str()) {
                Some(&line) => msgs.push(format!(
                    "parsing [{}] : {} '{}', another server named '{}' was already defined at line {line}, please use distinct names.",
                    s.loc,
                    proxy_type_str(p.cap),
                    p.name,
                    s.name
                )),
                None => {
                    first.insert(&s.name, s.loc.line);
                }
            }
        }
        for m in msgs {
            self.alert(m);
        }
    }

    /// Outside HTTP mode (and without `switch-mode http`), HTTP-only settings are ignored
    /// with a warning each.
    fn http_only_settings(&mut self) {
        let p = self.px();
        let switch_http = p
            .rules
            .tcp_request_content
            .iter()
            .any(|r| r.action == "switch-mode");
        if p.mode == Mode::Http || switch_http {
            return;
        }
        let (t, n) = self.what();
        let rules = [
            ("http-request", !p.rules.http_request.is_empty()),
            ("http-response", !p.rules.http_response.is_empty()),
            (
                "http-after-response",
                !p.rules.http_after_response.is_empty(),
            ),
        ];
        let (fe, be) = (p.cap.is_fe(), p.cap.is_be());
        let opts: Vec<&str> = HTTP_ONLY_OPTIONS
            .iter()
            .filter(|(o, ofe, obe)| {
                ((fe && *ofe) || (be && *obe))
                    && p.settings
                        .options
                        .iter()
                        .rev()
                        .find(|(name, _)| name == o)
                        .is_some_and(|(_, on)| *on)
            })
            .map(|(o, _, _)| *o)
            .collect();
        let stats = p.settings.stats.is_some();
        let capture = p.settings.capture_cookie.is_some();
        let fwd = p.settings.forwardfor.is_some();
        let orig = p.settings.originalto.is_some();
        let redirect = !p.rules.redirects.is_empty();
        if stats {
            self.warn(format!(
                "'stats' statement ignored for {t} '{n}' as it requires HTTP mode."
            ));
        }
        if capture {
            self.warn(format!(
                "'capture' statement ignored for {t} '{n}' as it requires HTTP mode."
            ));
        }
        for (kw, present) in rules {
            if present {
                self.warn(format!(
                    "'{kw}' rules ignored for {t} '{n}' as they require HTTP mode."
                ));
            }
        }
        if redirect {
            self.warn(format!(
                "'redirect' rules ignored for {t} '{n}' as they require HTTP mode."
            ));
        }
        for (o, on) in [("forwardfor", fwd), ("originalto", orig)] {
            if on {
                self.warn(format!(
                    "'option {o}' ignored for {t} '{n}' as it requires HTTP mode."
                ));
            }
        }
        for o in opts {
            self.warn(format!(
                "'option {o}' ignored for {t} '{n}' as it requires HTTP mode."
            ));
        }
    }

    /// Servers of a non-HTTP proxy: a redirect prefix is an error, a cookie is ignored.
    fn server_http_settings(&mut self) {
        let p = self.px();
        if p.mode == Mode::Http {
            return;
        }
        let (t, n) = self.what();
        let servers: Vec<(bool, bool, String)> = p
            .servers
            .iter()
            .map(|s| {
                (
                    s.redir.as_ref().is_some_and(|r| !r.is_empty()),
                    s.cookie.as_ref().is_some_and(|c| !c.is_empty()),
                    s.name.clone(),
                )
            })
            .collect();
        for (redir, cookie, s) in servers {
            if redir {
                self.alert(format!(
                    "{t} '{n}' : server cannot have cookie or redirect prefix in non-HTTP mode."
                ));
            }
            if cookie {
                self.warn(format!(
                    "{t} '{n}' : ignoring cookie for server '{s}' as HTTP mode is disabled."
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Diag, Loc, ParseEnv};
    use crate::model::proxy::ProxyCap;
    use crate::model::{Bind, Server};
    use std::sync::Arc;

    fn loc(line: usize) -> Loc {
        Loc {
            file: Arc::from("k.cfg"),
            line,
        }
    }

    fn state() -> State {
        State::new(
            Diag::new(),
            ParseEnv {
                resolve_hosts: false,
                check_files: false,
                ncpus: 2,
                ..Default::default()
            },
        )
    }

    fn proxy(name: &str, cap: ProxyCap, mode: Mode, line: usize) -> Proxy {
        Proxy {
            name: name.into(),
            cap,
            mode,
            loc: loc(line),
            ..Default::default()
        }
    }

    fn bind(p: &mut Proxy) {
        p.binds.push(Bind {
            loc: p.loc.clone(),
            text: ":80".into(),
            addrs: Vec::new(),
            options: Default::default(),
        });
    }

    fn server(name: &str, line: usize) -> Server {
        Server {
            name: name.into(),
            loc: loc(line),
            ..Default::default()
        }
    }

    fn timeouts(p: &mut Proxy) {
        let t = &mut p.settings.timeouts;
        t.client = Some(1000);
        t.server = Some(1000);
        t.connect = Some(1000);
    }

    fn msgs(st: &State) -> Vec<String> {
        st.diag
            .messages
            .iter()
            .map(|m| m.render(0).trim_end().to_string())
            .collect()
    }

    #[test]
    fn backend_references() {
        let mut st = state();
        let mut f = proxy("f", ProxyCap::FE, Mode::Http, 3);
        bind(&mut f);
        timeouts(&mut f);
        f.default_backend = Some(("nob".into(), loc(5)));
        let mut b2 = proxy("b2", ProxyCap::BE, Mode::Http, 10);
        timeouts(&mut b2);
        let mut t = proxy("t", ProxyCap::BE, Mode::Tcp, 13);
        timeouts(&mut t);
        st.model.proxies = vec![f, b2, t];
        let e = check_config(&mut st);
        assert_ne!(e & err::FATAL, 0);
        let m = msgs(&st);
        assert_eq!(
            m,
            vec![
                "[ALERT]    (0) : config : Proxy 'f': unable to find required default_backend: 'nob'.",
            ]
        );
    }

    #[test]
    fn http_frontend_cannot_use_tcp_backend() {
        let mut st = state();
        let mut f = proxy("f", ProxyCap::FE, Mode::Http, 3);
        bind(&mut f);
        timeouts(&mut f);
        f.default_backend = Some(("t".into(), loc(5)));
        let mut t = proxy("t", ProxyCap::BE, Mode::Tcp, 13);
        timeouts(&mut t);
        st.model.proxies = vec![f, t];
        check_config(&mut st);
        assert_eq!(
            msgs(&st),
            vec!["[ALERT]    (0) : config : http frontend 'f' (k.cfg:3) tries to use incompatible tcp backend 't' (k.cfg:13) as its default backend (see 'mode')."]
        );
    }

    #[test]
    fn fcgi_applications() {
        let mut st = state();
        st.model.fcgi_apps.push(crate::model::sections::FcgiApp {
            name: "php".into(),
            docroot: Some("/var/www".into()),
            max_reqs: 1,
            ..Default::default()
        });
        let mut b = proxy("b", ProxyCap::BE, Mode::Http, 1);
        timeouts(&mut b);
        b.settings.use_fcgi_app = Some("php".into());
        b.servers.push(server("s", 2));
        let mut d = proxy("d", ProxyCap::BE, Mode::Http, 3);
        timeouts(&mut d);
        d.settings.use_fcgi_app = Some("nosuch".into());
        let mut s = server("s", 4);
        s.proto = Some("fcgi".into());
        d.servers.push(s);
        st.model.proxies = vec![b, d];
        check_config(&mut st);
        assert_eq!(
            msgs(&st),
            vec![
                "[ALERT]    (0) : config : proxy 'd' : fcgi-app 'nosuch' not found.",
                "[ALERT]    (0) : config : proxy 'b': FCGI app configured but no FCGI server found.",
            ]
        );
    }

    #[test]
    fn huge_buffers_refused_with_http() {
        let mut st = state();
        st.model.global.tune.bufsize = Some(300_000_000);
        let mut b = proxy("b", ProxyCap::BE, Mode::Http, 1);
        timeouts(&mut b);
        st.model.proxies = vec![proxy("t", ProxyCap::BE, Mode::Tcp, 1), b.clone(), b];
        check_config(&mut st);
        assert_eq!(
            msgs(&st),
            vec!["[ALERT]    (0) : config : global.tune.bufsize must be below 256 MB when HTTP is in use (current value = 300000000)."]
        );
    }

    #[test]
    fn tcp_frontend_may_use_http_backend() {
        let mut st = state();
        let mut f = proxy("f", ProxyCap::FE, Mode::Tcp, 1);
        bind(&mut f);
        timeouts(&mut f);
        f.default_backend = Some(("b".into(), loc(2)));
        let mut b = proxy("b", ProxyCap::BE, Mode::Http, 3);
        timeouts(&mut b);
        let mut loopy = proxy("l", ProxyCap::LISTEN, Mode::Http, 5);
        bind(&mut loopy);
        timeouts(&mut loopy);
        loopy.default_backend = Some(("l".into(), loc(6)));
        st.model.proxies = vec![f, b, loopy];
        check_config(&mut st);
        assert_eq!(
            msgs(&st),
            vec!["[ALERT]    (0) : config : Proxy 'l': loop detected for default_backend: 'l'."]
        );
    }

    #[test]
    fn warnings_in_order() {
        let mut st = state();
        let mut b2 = proxy("b2", ProxyCap::BE, Mode::Http, 10);
        b2.servers = vec![server("s1", 11), server("s1", 12)];
        let mut t = proxy("t", ProxyCap::BE, Mode::Tcp, 13);
        timeouts(&mut t);
        t.settings.options = vec![
            ("prefer-last-server".into(), true),
            ("http-buffer-request".into(), true),
            ("accept-invalid-http-response".into(), true),
            ("http-ignore-probes".into(), true),
            ("checkcache".into(), false),
        ];
        let mut s2 = server("s2", 19);
        s2.cookie = Some("x".into());
        t.servers.push(s2);
        let f2 = proxy("f2", ProxyCap::FE, Mode::Http, 23);
        st.model.proxies = vec![b2, t, f2];
        check_config(&mut st);
        let m = msgs(&st);
        let timeouts_b2 = "[WARNING]  (0) : config : missing timeouts for backend 'b2'.\n   | While not properly invalid, you will certainly encounter various problems\n   | with such a configuration. To fix this, please ensure that all following\n   | timeouts are set to a non-zero value: 'client', 'connect', 'server'.";
        assert_eq!(m[0], timeouts_b2);
        assert_eq!(m[1], "[ALERT]    (0) : config : parsing [k.cfg:12] : backend 'b2', another server named 's1' was already defined at line 11, please use distinct names.");
        assert_eq!(m[2], "[WARNING]  (0) : config : 'option http-buffer-request' ignored for backend 't' as it requires HTTP mode.");
        assert_eq!(m[3], "[WARNING]  (0) : config : 'option prefer-last-server' ignored for backend 't' as it requires HTTP mode.");
        assert_eq!(m[4], "[WARNING]  (0) : config : 'option accept-invalid-http-response' ignored for backend 't' as it requires HTTP mode.");
        assert_eq!(m[5], "[WARNING]  (0) : config : backend 't' : ignoring cookie for server 's2' as HTTP mode is disabled.");
        assert_eq!(m[6], "[WARNING]  (0) : config : frontend 'f2' has no 'bind' directive. Please declare it as a backend if this was intended.");
        assert!(m[7].starts_with("[WARNING]  (0) : config : missing timeouts for frontend 'f2'."));
        assert_eq!(m.len(), 8);
    }

    #[test]
    fn backend_timeouts_need_servers() {
        let mut st = state();
        let mut b = proxy("b", ProxyCap::BE, Mode::Tcp, 1);
        st.model.proxies.push(b.clone());
        check_config(&mut st);
        assert!(msgs(&st).is_empty());
        // TCP backends accept `timeout tunnel` instead of `timeout server`.
        b.servers.push(server("s", 2));
        b.settings.timeouts.connect = Some(5);
        b.settings.timeouts.tunnel = Some(5);
        let mut st = state();
        st.model.proxies.push(b);
        check_config(&mut st);
        assert!(msgs(&st).is_empty());
    }

    /// Checks driven through the parser: messages asserted by content and relative order.
    mod from_text {
        use crate::config::sections::testutil::{load, msgs};

        const TIMEOUTS: &str =
            "defaults\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n";

        fn pos(m: &[String], needle: &str) -> usize {
            m.iter()
                .position(|s| s.contains(needle))
                .unwrap_or_else(|| panic!("missing {needle:?} in {m:#?}"))
        }

        #[test]
        fn tcp_proxy_with_http_settings() {
            let l = load(&format!(
                "{TIMEOUTS}listen b1\n  mode tcp\n  cookie SRV insert\n  monitor-uri /x\n  balance url_param x\n  option httplog\n  option forwardfor\n  option originalto\n  capture cookie x len 100\n  stats enable\n  http-check expect status 200\n  tcp-check connect\n  option transparent\n  server s 1.2.3.4:80\n"
            ));
            let m = msgs(&l);
            let order = [
                "cookie will be ignored for proxy 'b1' (needs 'mode http').",
                "monitor-uri will be ignored for proxy 'b1' (needs 'mode http').",
                "Layer 7 hash not possible for proxy 'b1' (needs 'mode http'). Falling back to round robin.",
                "parsing [t.cfg:10] : 'option httplog' not usable with proxy 'b1' (needs 'mode http'). Falling back to 'option tcplog'.",
                "proxy 'b1' cannot use both transparent and balance mode.",
                "proxy 'b1' uses http-check rules without 'option httpchk', so the rules are ignored.",
                "proxy 'b1' uses tcp-check rules without 'option tcp-check', so the rules are ignored.",
                "truncating capture length to 63 bytes for proxy 'b1'.",
                "'stats' statement ignored for proxy 'b1' as it requires HTTP mode.",
                "'capture' statement ignored for proxy 'b1' as it requires HTTP mode.",
                "'option forwardfor' ignored for proxy 'b1' as it requires HTTP mode.",
                "'option originalto' ignored for proxy 'b1' as it requires HTTP mode.",
            ];
            let p: Vec<usize> = order.iter().map(|w| pos(&m, w)).collect();
            assert!(p.windows(2).all(|w| w[0] < w[1]), "{m:#?}");
        }

        #[test]
        fn check_settings_and_external_checks() {
            let l = load(&format!(
                "{TIMEOUTS}backend b2\n  mode http\n  option tcp-check\n  http-check disable-on-404\n  http-check send-state\n  external-check command foo\n  external-check path /bin\nbackend b3\n  mode http\n  option external-check\n  external-check command foo\n  stats auth a:b\n  stats http-request deny\n  email-alert from a@b\n"
            ));
            let m = msgs(&l);
            let order = [
                "'disable-on-404' will be ignored for backend 'b2' (requires 'option httpchk').",
                "'send-state' will be ignored for backend 'b2' (requires 'option httpchk').",
                "'external-check command' will be ignored for backend 'b2' (requires 'option external-check').",
                "'external-check path' will be ignored for backend 'b2' (requires 'option external-check').",
                "Proxy 'b3' : 'option external-check' unable to find required 'global.external-check'.",
                "Proxy 'b3' : 'insecure-fork-wanted' not enabled in the global section, 'option external-check' will likely fail.",
                "'email-alert' will be ignored for backend 'b3' (the presence any of",
                "Proxy 'b3': 'external-check command' does not have a leading '/' and 'external-check path' is not set.",
                "proxy 'b3': stats 'auth'/'realm' and 'http-request' can't be used at the same time.",
            ];
            let p: Vec<usize> = order.iter().map(|w| pos(&m, w)).collect();
            assert!(p.windows(2).all(|w| w[0] < w[1]), "{m:#?}");
            assert!(l.config.is_none());
        }

        #[test]
        fn log_format_needs_a_log_target() {
            let cfg = |log: &str| {
                format!("global\n  log 127.0.0.1 local0\n{TIMEOUTS}{log}  option httplog\n  mode http\nfrontend f\n  bind :8080\n")
            };
            let warn = "log format ignored for frontend 'f' since it has no log address.";
            assert!(msgs(&load(&cfg(""))).iter().any(|m| m.contains(warn)));
            assert!(!msgs(&load(&cfg("  log global\n")))
                .iter()
                .any(|m| m.contains(warn)));
        }

        #[test]
        fn servers_in_order() {
            let l = load(&format!(
                "{TIMEOUTS}listen b\n  bind :8090\n  server s1 127.0.0.1:80 track nop/x\n  server s6 127.0.0.1:80 resolvers nores\n  server s7 127.0.0.1:80 redir http://x cookie c\n  server s7 127.0.0.1:81\n  errorfiles nohe\n"
            ));
            let m = msgs(&l);
            let order = [
                "parsing [t.cfg:10] : proxy 'b', another server named 's7' was already defined at line 9, please use distinct names.",
                "[t.cfg:7] : 'server b/s1' : unable to find required proxy 'nop' for tracking.",
                "proxy 'b' : server cannot have cookie or redirect prefix in non-HTTP mode.",
                "proxy 'b' : ignoring cookie for server 's7' as HTTP mode is disabled.",
                "proxy 'b', server 's6': unable to find required resolvers 'nores'",
                "proxy 'b': unknown http-errors section 'nohe' (at t.cfg:11).",
            ];
            let p: Vec<usize> = order.iter().map(|w| pos(&m, w)).collect();
            assert!(p.windows(2).all(|w| w[0] < w[1]), "{m:#?}");
        }

        #[test]
        fn rules_references() {
            let l = load(&format!(
                "{TIMEOUTS}  mode http\nfrontend f\n  bind :8080\n  default_backend nob\n  use_backend b2 if TRUE\n  use_backend %[req.hdr(host)] if TRUE\n  use_backend f if TRUE\n  use_backend t if TRUE\n  acl a http_auth(L2)\n  http-request auth unless {{ http_auth(L3) }}\n  http-request deny if a\nbackend b2\n  server s1 127.0.0.1:80\nbackend t\n  mode tcp\n  redirect prefix /x\n  stick-table type ip size 1k peers nop\n  stick on src table nosuch\n  stick store-response src table nosuch2\n  server s2 127.0.0.1:80\n"
            ));
            let m = msgs(&l);
            let order = [
                "Proxy 'f': unable to find required default_backend: 'nob'.",
                "Proxy 'f': unable to find required use_backend: 'f'.",
                "http frontend 'f' (t.cfg:6) tries to use incompatible tcp backend 't' (t.cfg:18) in a 'use_backend' rule (see 'mode').",
                "multiple argument resolution errors:\n        parsing [t.cfg:13]: unable to find userlist 'L2' referenced in arg 1 of ACL keyword 'http_auth' in proxy 'f'.\n        parsing [t.cfg:14]: unable to find userlist 'L3'",
                "Proxy 't': unable to find stick-table 'nosuch'.",
                "Proxy 't': unable to find store table 'nosuch2'.",
                "Proxy 't': unable to find sync peers 'nop'.",
                "'redirect' rules ignored for backend 't' as they require HTTP mode.",
            ];
            let p: Vec<usize> = order.iter().map(|w| pos(&m, w)).collect();
            assert!(p.windows(2).all(|w| w[0] < w[1]), "{m:#?}");
            assert!(!m.iter().any(|s| s.contains("req.hdr")));
        }

        #[test]
        fn track_sc_tables_and_defaults_rules() {
            let l = load("defaults invalid\n  mode http\n  http-request track-sc0 src\nbackend be\n  stick-table type ip size 100k\n  server www 127.0.0.1:80\n");
            let m = msgs(&l);
            assert!(m[0].ends_with(
                "config : Proxy 'invalid': unable to find table 'invalid' referenced by track-sc0."
            ));
            let l = load(&format!(
                "peers mypeers\n  table t type ip size 1k\n{TIMEOUTS}  mode http\nfrontend f\n  bind :8080\n  http-request track-sc0 src table mypeers/t\n  http-request track-sc1 src table nosuch\n  default_backend b\nbackend b\n  stick on src table mypeers/t\n  server s 127.0.0.1:80\n"
            ));
            let m = msgs(&l);
            assert!(m.iter().any(|s| s
                .ends_with("Proxy 'f': unable to find table 'nosuch' referenced by track-sc1.")));
            assert!(!m.iter().any(|s| s.contains("mypeers/t'")));
        }

        #[test]
        fn mailers_and_errorfiles() {
            let l = load(&format!(
                "http-errors he\n  errorfile 503 /x\nmailers m1\nmailers m2\n{TIMEOUTS}  mode http\nbackend b\n  errorfiles he 503 404\n  email-alert mailers m1\n  email-alert from a@b\n  email-alert to a@b\nbackend c\n  email-alert mailers m2\nbackend d\n  errorfiles nohe\n  email-alert mailers m3\n  email-alert from a@b\n  email-alert to a@b\n"
            ));
            let m = msgs(&l);
            let order = [
                "'email-alert' will be ignored for backend 'c'",
                "Proxy 'd': unable to find mailers 'm3'.",
                "Removing incomplete section 'mailers m2'.",
                "config: proxy 'b' : status '404' not declared in http-errors section 'he' (at t.cfg:11).",
                "proxy 'd': unknown http-errors section 'nohe' (at t.cfg:18).",
            ];
            let p: Vec<usize> = order.iter().map(|w| pos(&m, w)).collect();
            assert!(p.windows(2).all(|w| w[0] < w[1]), "{m:#?}");
            assert!(!m.iter().any(|s| s.contains("'mailers m1'")));
        }
    }
}
