//! Whole-configuration checks HAProxy runs after parsing (`check_config_validity()`, the
//! config post-parsers and the post-proxy checks): unknown backends, mode conflicts,
//! missing timeouts, duplicate server names, settings ignored outside HTTP mode…
//!
//! Messages and their order are HAProxy's: proxies are checked in declaration order, each
//! proxy's checks in the order `check_config_validity()` makes them, then the sections.

use super::sections::{peers, program, resolvers, userlist};
use super::{err, State};
use crate::model::{Mode, Proxy};
use std::collections::HashMap;

/// Runs the post-parse checks, then the start-time address resolution. Returns error bits.
pub fn check_config(st: &mut State) -> u32 {
    // HAProxy resolves the userlists first and stops at their first error.
    let e = userlist::check(st);
    if e != 0 {
        return e;
    }
    let mut cfgerr = 0usize;
    let mut e = 0;
    let backends = backend_index(st);
    for i in 0..st.model.proxies.len() {
        let p = &st.model.proxies[i];
        if p.cap.is_defaults() || p.disabled {
            continue;
        }
        let mut c = Checker {
            backends: &backends,
            st,
            i,
            e: 0,
            cfgerr: 0,
        };
        c.run();
        e |= c.e;
        cfgerr += c.cfgerr;
    }
    e |= peers::check(st);
    e |= resolvers::check(st);
    // Config post-parsers.
    e |= program::check(st);
    if cfgerr > 0 {
        e |= err::ALERT_FATAL;
    }
    if e & err::FATAL == 0 {
        e |= super::server::resolve_addresses(st);
    }
    e
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

/// A `use_backend`/`use-server` name is a log-format string: only a plain text one (no `%`
/// other than `%%`) names a target statically.
fn is_dynamic(name: &str) -> bool {
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if b.get(i + 1) == Some(&b'%') {
                i += 2;
                continue;
            }
            return true;
        }
        i += 1;
    }
    false
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
        self.no_bind();
        self.default_backend();
        self.use_backend();
        self.use_server();
        self.missing_timeouts();
        self.duplicate_servers();
        self.http_only_settings();
        self.server_cookies();
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

    fn use_backend(&mut self) {
        let targets: Vec<String> = self
            .px()
            .rules
            .use_backend
            .iter()
            .map(|r| r.target.clone())
            .filter(|t| !is_dynamic(t))
            .collect();
        for t in targets {
            let name = t.replace("%%", "%");
            self.check_target(&name, "use_backend", "in a 'use_backend' rule");
        }
    }

    fn use_server(&mut self) {
        let targets: Vec<String> = self
            .px()
            .rules
            .use_server
            .iter()
            .map(|r| r.target.clone())
            .filter(|t| !is_dynamic(t))
            .collect();
        for t in targets {
            let name = t.replace("%%", "%");
            if !self.px().servers.iter().any(|s| s.name == name) {
                let (ty, n) = self.what();
                self.alert(format!(
                    "{ty} '{n}' : unable to find server '{name}' referenced in a 'use-server' rule."
                ));
            }
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
        for (kw, present) in rules {
            if present {
                self.warn(format!(
                    "'{kw}' rules ignored for {t} '{n}' as they require HTTP mode."
                ));
            }
        }
        for o in opts {
            self.warn(format!(
                "'option {o}' ignored for {t} '{n}' as it requires HTTP mode."
            ));
        }
    }

    fn server_cookies(&mut self) {
        let p = self.px();
        if p.mode == Mode::Http {
            return;
        }
        let (t, n) = self.what();
        let names: Vec<String> = p
            .servers
            .iter()
            .filter(|s| s.cookie.as_ref().is_some_and(|c| !c.is_empty()))
            .map(|s| s.name.clone())
            .collect();
        for s in names {
            self.warn(format!(
                "{t} '{n}' : ignoring cookie for server '{s}' as HTTP mode is disabled."
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Diag, Loc, ParseEnv};
    use crate::model::proxy::ProxyCap;
    use crate::model::rules::{Rule, UseBackend};
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

    fn use_backend(p: &mut Proxy, target: &str) {
        p.rules.use_backend.push(UseBackend {
            loc: p.loc.clone(),
            target: target.into(),
            cond: None,
        });
    }

    #[test]
    fn backend_references() {
        let mut st = state();
        let mut f = proxy("f", ProxyCap::FE, Mode::Http, 3);
        bind(&mut f);
        timeouts(&mut f);
        f.default_backend = Some(("nob".into(), loc(5)));
        use_backend(&mut f, "b2");
        use_backend(&mut f, "%[req.hdr(host)]");
        use_backend(&mut f, "f");
        use_backend(&mut f, "t");
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
                "[ALERT]    (0) : config : Proxy 'f': unable to find required use_backend: 'f'.",
                "[ALERT]    (0) : config : http frontend 'f' (k.cfg:3) tries to use incompatible tcp backend 't' (k.cfg:13) in a 'use_backend' rule (see 'mode').",
            ]
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
        t.rules.http_request.push(Rule {
            loc: loc(15),
            action: "deny".into(),
            args: Vec::new(),
            cond: None,
        });
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
        assert_eq!(m[2], "[WARNING]  (0) : config : 'http-request' rules ignored for backend 't' as they require HTTP mode.");
        assert_eq!(m[3], "[WARNING]  (0) : config : 'option http-buffer-request' ignored for backend 't' as it requires HTTP mode.");
        assert_eq!(m[4], "[WARNING]  (0) : config : 'option prefer-last-server' ignored for backend 't' as it requires HTTP mode.");
        assert_eq!(m[5], "[WARNING]  (0) : config : 'option accept-invalid-http-response' ignored for backend 't' as it requires HTTP mode.");
        assert_eq!(m[6], "[WARNING]  (0) : config : backend 't' : ignoring cookie for server 's2' as HTTP mode is disabled.");
        assert_eq!(m[7], "[WARNING]  (0) : config : frontend 'f2' has no 'bind' directive. Please declare it as a backend if this was intended.");
        assert!(m[8].starts_with("[WARNING]  (0) : config : missing timeouts for frontend 'f2'."));
        assert_eq!(m.len(), 9);
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

    #[test]
    fn use_server_and_dynamic_names() {
        assert!(is_dynamic("%[req.hdr(host)]"));
        assert!(!is_dynamic("be%%1"));
        let mut st = state();
        let mut b = proxy("b", ProxyCap::BE, Mode::Http, 1);
        timeouts(&mut b);
        b.servers.push(server("s1", 2));
        for t in ["s1", "s9", "%[var(txn.s)]"] {
            b.rules.use_server.push(UseBackend {
                loc: loc(3),
                target: t.into(),
                cond: None,
            });
        }
        st.model.proxies.push(b);
        check_config(&mut st);
        assert_eq!(
            msgs(&st),
            vec!["[ALERT]    (0) : config : backend 'b' : unable to find server 's9' referenced in a 'use-server' rule."]
        );
    }
}
