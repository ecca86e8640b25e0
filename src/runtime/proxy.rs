//! A frontend as the runtime serves it: its `http-request` rules (then those of its default
//! backend) compiled once at start-up, and its client-side timeouts.

use std::time::Duration;

use super::acl::CondRt;
use super::errors::{ErrorTable, Loader};
use super::http_return::Reply;
use super::sample::Req;
use crate::model::rules::{Action as ModelAction, Rule};
use crate::model::{Config, Proxy};

#[derive(Debug, Clone)]
enum Action {
    /// `return`, `deny`: answer with this reply and stop.
    Reply(Reply),
    /// `allow`: stop evaluating this proxy's rules.
    Allow,
}

#[derive(Debug, Clone)]
struct RuleRt {
    cond: Option<CondRt>,
    action: Action,
}

/// The client-side timeouts of a frontend.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientTimeouts {
    /// Waiting for a complete request head (`timeout http-request`, else `timeout client`).
    pub request: Option<Duration>,
    /// Idle between two requests (`timeout http-keep-alive`, else the request timeout).
    pub keep_alive: Option<Duration>,
    /// Sending to a client that does not read (`timeout client`).
    pub client: Option<Duration>,
}

/// One frontend (or listen) proxy, ready to answer requests.
#[derive(Debug, Clone)]
pub struct ProxyRt {
    pub name: String,
    /// Rule sets in evaluation order: the frontend's, then the backend's.
    rule_sets: Vec<Vec<RuleRt>>,
    pub timeouts: ClientTimeouts,
    /// `option httpclose` (on the frontend or its backend): close after every response.
    pub httpclose: bool,
    /// The proxy's `errorfile`/`errorloc*`/`errorfiles` overrides.
    pub errors: ErrorTable,
}

/// Error files are read with at most `tune.bufsize` bytes, like HAProxy.
fn loader(cfg: &Config) -> Loader {
    Loader::new(cfg.global.tune.bufsize.map_or(16384, |b| b as usize))
}

impl ProxyRt {
    /// Compiles frontend `px` of `cfg`. What cannot be honoured is pushed to `warnings`.
    pub fn compile(cfg: &Config, px: &Proxy, warnings: &mut Vec<String>) -> ProxyRt {
        let mut files = loader(cfg);
        let mut rule_sets = vec![compile_rules(cfg, px, &mut files, warnings)];
        let mut httpclose = closes_each_response(px);
        if !px.cap.is_be() {
            let be = px
                .default_backend
                .as_ref()
                .and_then(|(name, _)| cfg.find_proxy(name, crate::model::ProxyCap::BE));
            if let Some(be) = be {
                rule_sets.push(compile_rules(cfg, be, &mut files, warnings));
                httpclose |= closes_each_response(be);
            }
        }
        let t = &px.settings.timeouts;
        let ms = |v: Option<u32>| {
            v.filter(|&v| v > 0)
                .map(|v| Duration::from_millis(v.into()))
        };
        let client = ms(t.client);
        let request = ms(t.http_request).or(client);
        ProxyRt {
            name: px.name.clone(),
            rule_sets,
            timeouts: ClientTimeouts {
                request,
                keep_alive: ms(t.http_keep_alive).or(request),
                client,
            },
            httpclose,
            errors: ErrorTable::compile(px, &cfg.http_errors, &mut files, warnings),
        }
    }

    /// Compiles `px`'s own rules only (a backend's, or a frontend that forwards: the
    /// backend's rules then run in the backend).
    pub fn compile_own(cfg: &Config, px: &Proxy, warnings: &mut Vec<String>) -> ProxyRt {
        let mut files = loader(cfg);
        let t = &px.settings.timeouts;
        let ms = |v: Option<u32>| {
            v.filter(|&v| v > 0)
                .map(|v| Duration::from_millis(v.into()))
        };
        let client = ms(t.client);
        let request = ms(t.http_request).or(client);
        ProxyRt {
            name: px.name.clone(),
            rule_sets: vec![compile_rules(cfg, px, &mut files, warnings)],
            timeouts: ClientTimeouts {
                request,
                keep_alive: ms(t.http_keep_alive).or(request),
                client,
            },
            httpclose: closes_each_response(px),
            errors: ErrorTable::compile(px, &cfg.http_errors, &mut files, warnings),
        }
    }

    /// The reply of the first matching `return`/`deny` rule, if any (`allow` stops the
    /// evaluation of a rule set with no reply).
    pub fn decide(&self, req: &Req) -> Option<Reply> {
        for set in &self.rule_sets {
            for r in set {
                if r.cond.as_ref().is_some_and(|c| !c.eval(req)) {
                    continue;
                }
                match &r.action {
                    Action::Reply(rep) => return Some(rep.clone()),
                    Action::Allow => break,
                }
            }
        }
        None
    }

    /// The reply for `req`: the first matching `return`/`deny`, else HAProxy's 503 (the
    /// reply of a frontend with no backend).
    pub fn respond(&self, req: &Req) -> Reply {
        for set in &self.rule_sets {
            for r in set {
                if r.cond.as_ref().is_some_and(|c| !c.eval(req)) {
                    continue;
                }
                match &r.action {
                    Action::Reply(rep) => return rep.clone(),
                    Action::Allow => break,
                }
            }
        }
        Reply::error_page(503)
    }
}

/// `option httpclose` (HAProxy's `PR_O_HTTP_CLO` connection mode).
fn closes_each_response(px: &Proxy) -> bool {
    px.settings.http_conn_mode == Some(crate::model::proxy::HttpConnMode::Close)
}

fn compile_rules(
    cfg: &Config,
    px: &Proxy,
    files: &mut Loader,
    warnings: &mut Vec<String>,
) -> Vec<RuleRt> {
    let mut out = Vec::new();
    for rule in &px.rules.http_request {
        let mut w = Vec::new();
        let Some(action) = compile_action(cfg, rule, files, &mut w) else {
            continue;
        };
        let cond = rule
            .cond
            .as_ref()
            .map(|c| CondRt::compile(c, &px.rules, &mut w));
        warnings.extend(w.into_iter().map(|m| format!("[{}] : {m}", rule.loc)));
        out.push(RuleRt { cond, action });
    }
    out
}

/// Actions that end request processing; others (header edits…) are already reported as
/// not active by the parser and are skipped here.
fn compile_action(
    cfg: &Config,
    rule: &Rule,
    files: &mut Loader,
    w: &mut Vec<String>,
) -> Option<Action> {
    match &rule.kind {
        ModelAction::Return(r) | ModelAction::Deny(r) => {
            Some(Action::Reply(Reply::compile(r, &cfg.http_errors, files, w)))
        }
        ModelAction::Allow => Some(Action::Allow),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::testutil::listen;

    fn get(uri: &str) -> Req {
        Req {
            method: "GET".into(),
            uri: uri.into(),
            minor: 1,
            headers: Vec::new(),
        }
    }

    fn compile(cfg: &Config) -> ProxyRt {
        let px = cfg.proxies.iter().find(|p| p.name == "l").unwrap();
        let mut w = Vec::new();
        let rt = ProxyRt::compile(cfg, px, &mut w);
        assert!(w.is_empty(), "{w:?}");
        rt
    }

    #[test]
    fn first_matching_rule_wins_else_503() {
        let cfg = listen(&[
            "http-request set-header X y",
            "http-request deny deny_status 429 if { path /deny }",
            "http-request return status 200 content-type text/plain string hi if { path / }",
            "http-request return status 201 if { path_beg /c }",
        ]);
        let rt = compile(&cfg);
        assert_eq!(rt.respond(&get("/")).status, 200);
        assert_eq!(rt.respond(&get("/deny")).status, 429);
        assert_eq!(rt.respond(&get("/created")).status, 201);
        assert_eq!(rt.respond(&get("/other")).status, 503);
        assert_eq!(rt.timeouts.request, Some(Duration::from_secs(5)));
        assert_eq!(rt.timeouts.keep_alive, Some(Duration::from_secs(5)));
    }

    #[test]
    fn allow_stops_the_rule_set() {
        let cfg = listen(&["http-request allow if { path /open }", "http-request deny"]);
        let rt = compile(&cfg);
        assert_eq!(rt.respond(&get("/open")).status, 503);
        assert_eq!(rt.respond(&get("/x")).status, 403);
    }

    #[test]
    fn option_httpclose() {
        assert!(compile(&listen(&["option httpclose"])).httpclose);
        assert!(!compile(&listen(&["option httpclose", "no option httpclose"])).httpclose);
        assert!(!compile(&listen(&[])).httpclose);
    }

    #[test]
    fn named_acls_from_the_configuration() {
        let cfg = listen(&[
            "acl api path_beg /api",
            "acl api path /v1",
            "http-request return status 202 if api METH_GET",
        ]);
        let rt = compile(&cfg);
        assert_eq!(rt.respond(&get("/v1")).status, 202);
        assert_eq!(rt.respond(&get("/api/x")).status, 202);
        assert_eq!(rt.respond(&get("/x")).status, 503);
    }
}
