//! Post-parse checks of rules that need the whole configuration (HAProxy's
//! `check_action_rules()` and the sticking-rule checks of `check_config()`): stick tables
//! named by `track-sc*` and `stick` rules, capture slots named by `capture … id N`.
//!
//! The check helper calls these for every proxy; each returned text is one alert, printed
//! without a location (`Proxy 'name': …`).

use crate::model::expr::{SampleExpr, SmpType};
use crate::model::rules::{Action, Rule, StickKind};
use crate::model::{Config, Proxy};

/// The sample type of a stick table's key (`stktable_types[]`).
fn key_type(t: &str) -> Option<SmpType> {
    Some(match t {
        "ip" => SmpType::Ipv4,
        "ipv6" => SmpType::Ipv6,
        "integer" => SmpType::Sint,
        "string" => SmpType::Str,
        "binary" => SmpType::Bin,
        _ => return None,
    })
}

/// `stktable_find_by_name()`: a proxy's table or a `table` of a peers section; its key type.
fn find_table(m: &Config, name: &str) -> Option<Option<SmpType>> {
    if let Some(t) = m
        .proxies
        .iter()
        .filter(|p| !p.cap.is_defaults() && p.name == name)
        .find_map(|p| p.rules.stick_table.as_ref())
    {
        return Some(key_type(&t.key_type));
    }
    for pe in &m.peers {
        for (w, _) in &pe.lines {
            if w.first().map(|s| s.as_str()) == Some("table")
                && w.get(1).map(|s| s.as_str()) == Some(name)
            {
                let ty = w
                    .iter()
                    .position(|x| x == "type")
                    .and_then(|i| w.get(i + 1))
                    .and_then(|t| key_type(t));
                return Some(ty);
            }
        }
    }
    None
}

/// `stktable_compatible_sample()`.
fn compatible(expr: &SampleExpr, ty: Option<SmpType>) -> bool {
    ty.is_some_and(|t| expr.out.casts_to(t))
}

/// The table a rule refers to: `table <name>` or the proxy's own.
fn target<'a>(
    m: &Config,
    p: &'a Proxy,
    name: Option<&'a str>,
) -> (String, Option<Option<SmpType>>) {
    match name {
        Some(n) => (n.to_string(), find_table(m, n)),
        None => (
            p.name.clone(),
            p.rules.stick_table.as_ref().map(|t| key_type(&t.key_type)),
        ),
    }
}

/// Number of request and response capture slots (`capture request|response header` and
/// `declare capture`, plus `http-request capture … len` and `tcp-request content capture`
/// rules).
fn capture_slots(p: &Proxy) -> (usize, usize) {
    let mut req = p.settings.req_captures.len();
    let mut res = p.settings.rsp_captures.len();
    for (k, a, _) in &p.settings.other {
        if k == "capture" {
            match a.first().map(|s| s.as_str()) {
                Some("request") => req += 1,
                Some("response") => res += 1,
                _ => {}
            }
        }
    }
    let by_len = |r: &Rule| matches!(r.kind, Action::Capture { len: Some(_), .. });
    req += p.rules.http_request.iter().filter(|r| by_len(r)).count();
    req += p
        .rules
        .tcp_request_content
        .iter()
        .filter(|r| by_len(r))
        .count();
    (req, res)
}

/// `check_action_rules()` over every rule list of proxy `px`.
pub fn check_action_rules(m: &Config, px: usize) -> Vec<String> {
    let p = &m.proxies[px];
    let r = &p.rules;
    let (req_caps, res_caps) = capture_slots(p);
    let mut out = Vec::new();
    let lists: [(&Vec<Rule>, bool); 7] = [
        (&r.tcp_request_connection, false),
        (&r.tcp_request_session, false),
        (&r.tcp_request_content, false),
        (&r.tcp_response_content, false),
        (&r.http_request, true),
        (&r.http_response, false),
        (&r.http_after_response, false),
    ];
    for (i, (list, _)) in lists.iter().enumerate() {
        for rule in list.iter() {
            match &rule.kind {
                Action::TrackSc { n, key, table } => {
                    let (name, t) = target(m, p, table.as_deref());
                    match t {
                        None => out.push(format!("Proxy '{}': unable to find table '{name}' referenced by track-sc{n}.", p.name)),
                        Some(ty) if !compatible(key, ty) => out.push(format!("Proxy '{}': stick-table '{name}' uses a type incompatible with the 'track-sc{n}' rule.", p.name)),
                        _ => {}
                    }
                }
                Action::Capture { id: Some(id), .. } if p.cap.is_fe() => {
                    let (slots, what) = if i == 4 {
                        (req_caps, "http-request")
                    } else {
                        (res_caps, "http-response")
                    };
                    if *id as usize >= slots {
                        out.push(format!("Proxy '{}': unable to find capture id '{id}' referenced by {what} capture rule.", p.name));
                    }
                }
                Action::Deny(rep) | Action::Tarpit(rep) | Action::Return(rep) => {
                    if let crate::model::rules::ReplyBody::ErrorFiles(name) = &rep.body {
                        if !m.http_errors.iter().any(|h| h.name == *name) {
                            out.push(format!("Proxy '{}': unknown http-errors section '{name}' referenced by an http reply .", p.name));
                        }
                    }
                }
                _ => {
                    if let Some(inner) = rule
                        .action
                        .strip_prefix("do-resolve(")
                        .and_then(|s| s.strip_suffix(')'))
                    {
                        let res = inner.split(',').nth(1).unwrap_or("");
                        if !m.resolvers.iter().any(|r| r.name == res) {
                            out.push(format!("Proxy '{}': Can't find resolvers section '{res}' for do-resolve action.", p.name));
                        }
                    }
                }
            }
        }
    }
    out
}

/// `cache-use` / `cache-store` must name a `cache` section (checked with the filters, after
/// the proxy checks: `config: <type> '<name>': unable to find the cache …`).
pub fn check_cache_refs(m: &Config, px: usize) -> Vec<String> {
    let p = &m.proxies[px];
    let mut out = Vec::new();
    for r in p
        .rules
        .http_request
        .iter()
        .chain(p.rules.http_response.iter())
    {
        if r.action == "cache-use" || r.action == "cache-store" {
            let name = r.args.first().map(|s| s.as_str()).unwrap_or("");
            if !m.caches.iter().any(|c| c.name == name)
                && !out
                    .iter()
                    .any(|o: &String| o.contains(&format!("'{name}'")))
            {
                out.push(format!(
                    "config: {} '{}': unable to find the cache '{name}' referenced by the filter 'cache'.",
                    super::actions::proxy_cap_str(p.cap),
                    p.name
                ));
            }
        }
    }
    out
}

/// The table checks of `stick` rules (`check_config()`).
pub fn check_stick_rules(m: &Config, px: usize) -> Vec<String> {
    let p = &m.proxies[px];
    let mut out = Vec::new();
    let (match_rules, store_rsp): (Vec<_>, Vec<_>) = p
        .rules
        .stick_rules
        .iter()
        .partition(|s| s.kind != StickKind::StoreResponse);
    for (rules, what) in [(match_rules, "stick-table"), (store_rsp, "store table")] {
        for s in rules {
            let (name, t) = target(m, p, s.table.as_deref());
            match t {
                None => out.push(format!(
                    "Proxy '{}': unable to find {what} '{name}'.",
                    p.name
                )),
                Some(ty) if !compatible(&s.expr, ty) => out.push(format!(
                    "Proxy '{}': type of fetch not usable with type of stick-table '{name}'.",
                    p.name
                )),
                _ => {}
            }
        }
    }
    out
}

/// `stick-table … peers <name>` must name a peers section (`check_config()`, after the
/// action rules). The local-peer check needs the peers model and is left to its owner.
pub fn check_stick_table_peers(m: &Config, px: usize) -> Vec<String> {
    let p = &m.proxies[px];
    match p
        .rules
        .stick_table
        .as_ref()
        .and_then(|t| t.peers.as_deref())
    {
        Some(name) if !m.peers.iter().any(|pe| pe.name == name) => vec![format!(
            "Proxy '{}': unable to find sync peers '{name}'.",
            p.name
        )],
        _ => Vec::new(),
    }
}

/// `proxy_mode_str()`.
fn mode_str(m: crate::model::Mode) -> &'static str {
    match m {
        crate::model::Mode::Http => "http",
        crate::model::Mode::Tcp => "tcp",
    }
}

/// Whether a switching target parses to a single text node (a static name), as HAProxy
/// decides in `check_config()`; `Err` carries the log-format error.
fn static_name(st_model: &Config, px: usize, name: &str) -> Result<bool, String> {
    let p = &st_model.proxies[px];
    let ctx = crate::config::expr::logformat::LfCtx {
        http_mode: p.mode == crate::model::Mode::Http,
        merge_spaces: false,
        cap: crate::config::expr::kw::val::FE_HRQ_HDR,
        check_files: false,
        lua: Some(&st_model.global),
        model: Some(st_model),
    };
    let f = crate::config::expr::logformat::parse_checked(name, ctx)?;
    Ok(matches!(
        f.nodes.as_slice(),
        [crate::model::expr::LfNode::Text(_)] | []
    ))
}

/// `use_backend` and `use-server` targets (`check_config()`, first of the rule checks):
/// dynamic names must parse, static ones must exist, not loop, and agree on the mode.
pub fn check_switching_rules(m: &Config, px: usize) -> Vec<String> {
    let p = &m.proxies[px];
    let mut out = Vec::new();
    for u in &p.rules.use_backend {
        match static_name(m, px, &u.target) {
            Err(e) => {
                out.push(format!(
                    "Parsing [{}:{}]: failed to parse use_backend rule '{}' : {e}.",
                    u.loc.file, u.loc.line, u.target
                ));
                continue;
            }
            Ok(false) => continue,
            Ok(true) => {}
        }
        let target = m
            .find_proxy_idx(&u.target, crate::model::ProxyCap::BE)
            .map(|i| (i, &m.proxies[i]));
        match target {
            None => out.push(format!(
                "Proxy '{}': unable to find required use_backend: '{}'.",
                p.name, u.target
            )),
            Some((i, _)) if i == px => out.push(format!(
                "Proxy '{}': loop detected for use_backend: '{}'.",
                p.name, u.target
            )),
            Some((_, t))
                if t.mode != p.mode
                    && !(p.mode == crate::model::Mode::Tcp
                        && t.mode == crate::model::Mode::Http) =>
            {
                out.push(format!(
                    "{} {} '{}' ({}:{}) tries to use incompatible {} {} '{}' ({}:{}) in a 'use_backend' rule (see 'mode').",
                    mode_str(p.mode),
                    super::actions::proxy_cap_str(p.cap),
                    p.name,
                    p.loc.file,
                    p.loc.line,
                    mode_str(t.mode),
                    super::actions::proxy_cap_str(t.cap),
                    t.name,
                    t.loc.file,
                    t.loc.line
                ))
            }
            _ => {}
        }
    }
    for u in &p.rules.use_server {
        match static_name(m, px, &u.target) {
            Err(e) => {
                out.push(format!(
                    "Parsing [{}:{}]; use-server rule failed to parse log-format '{}' : {e}.",
                    u.loc.file, u.loc.line, u.target
                ));
                continue;
            }
            Ok(false) => continue,
            Ok(true) => {}
        }
        if !p.servers.iter().any(|s| s.name == u.target) {
            out.push(format!(
                "{} '{}' : unable to find server '{}' referenced in a 'use-server' rule.",
                super::actions::proxy_cap_str(p.cap),
                p.name,
                u.target
            ));
        }
    }
    out
}

/// Every post-parse alert of this module for proxy `px`, in the order HAProxy's
/// `check_config()` prints them: stick rules, action rules, stick-table peers, then the
/// argument resolution (one grouped alert); `use_backend`/`use-server` targets come first.
/// Log-format strings (checked between peers and arguments) belong to the caller; cache
/// references come later, with the filters ([`check_cache_refs`]).
pub fn post_parse_alerts(m: &Config, px: usize) -> Vec<String> {
    let mut out = check_switching_rules(m, px);
    out.extend(check_stick_rules(m, px));
    out.extend(check_action_rules(m, px));
    out.extend(check_stick_table_peers(m, px));
    if let Some((msg, _)) = crate::config::expr::resolve::resolve_alert(m, px) {
        out.push(msg);
    }
    out
}

/// `SMP_USE_*` sources a condition reads (`cond->use`): its named ACLs' lines in proxy `p`
/// and its anonymous or predefined ACLs.
fn cond_use(p: &Proxy, cond: &crate::model::expr::Cond) -> u32 {
    let mut u = 0;
    for t in cond.groups.iter().flatten() {
        if let Some(e) = &t.expr {
            u |= crate::config::expr::kw::find_fetch(&e.smp.fetch).map_or(0, |f| f.use_);
        } else if let crate::model::expr::AclRef::Named(n) = &t.acl {
            u |= p.rules.acls_named(n).fold(0, |acc, a| acc | a.use_);
        }
    }
    u
}

/// The post-parse warnings HAProxy prints about the rules of proxy `px` (in its order):
/// L6 fetches in conditions of HTTP proxies, `tcp-request content track-sc*` rules
/// without inspect delay or better placed at session level, `switch-mode http` without
/// backend, and HTTP rule lists in non-HTTP proxies. Texts are printed without location.
pub fn post_parse_warnings(m: &Config, px: usize) -> Vec<String> {
    use crate::config::expr::kw::{self, val, USE_L6};
    use crate::model::Mode;
    let p = &m.proxies[px];
    let r = &p.rules;
    let http = p.mode == Mode::Http;
    let mut out = Vec::new();
    let l6 = |cond: &Option<crate::model::expr::Cond>,
              loc: &crate::model::Loc,
              out: &mut Vec<String>| {
        if let Some(c) = cond {
            if http && cond_use(p, c) & USE_L6 != 0 {
                out.push(format!(
                    "Proxy '{}': L6 sample fetches ignored on HTTP proxies (declared at {}:{}).",
                    p.name, loc.file, loc.line
                ));
            }
        }
    };
    for u in r.use_backend.iter().chain(r.use_server.iter()) {
        l6(&u.cond, &u.loc, &mut out);
    }
    for s in &r.stick_rules {
        l6(&s.cond, &s.loc, &mut out);
    }
    let type_name = super::actions::proxy_cap_str(p.cap);
    // HAProxy's SMP_USE_L6REQ | SMP_USE_HRQHV | SMP_USE_HRQHP | SMP_USE_HRQBO.
    let req_content: u32 = (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10);
    // check_action_rules(): per rule, the track-sc checks then the L6 condition warning.
    let lists = [
        (&r.tcp_request_connection, false),
        (&r.tcp_request_session, false),
        (&r.tcp_request_content, true),
        (&r.tcp_response_content, false),
        (&r.http_request, false),
        (&r.http_response, false),
        (&r.http_after_response, false),
    ];
    for (list, content) in lists {
        for rule in list.iter() {
            if let (true, true, Action::TrackSc { key, .. }) = (content, p.cap.is_fe(), &rule.kind)
            {
                let f = kw::find_fetch(&key.fetch);
                let (fval, fuse) = f.map_or((0, 0), |f| (f.val, f.use_));
                if r.tcp_request_inspect_delay.unwrap_or(0) == 0 && fval & val::FE_SES_ACC == 0 {
                    out.push(format!("{type_name} '{}' : a 'tcp-request content track-sc*' rule explicitly depending on request contents without any 'tcp-request inspect-delay' setting. This means that this rule will randomly find its contents. This can be fixed by setting the tcp-request inspect-delay.", p.name));
                }
                let cuse = rule.cond.as_ref().map_or(0, |c| cond_use(p, c));
                if http && fuse & req_content == 0 && cuse & req_content == 0 {
                    out.push(format!("{type_name} '{}' : a 'tcp-request content track-sc*' rule not depending on request contents for an HTTP frontend should be executed at the session level, using a 'tcp-request session' rule (mandatory to track invalid HTTP requests).", p.name));
                }
            }
            l6(&rule.cond, &rule.loc, &mut out);
        }
    }
    let upgrades = r
        .tcp_request_content
        .iter()
        .any(|x| x.action == "switch-mode");
    if p.default_backend.is_none()
        && r.use_backend.is_empty()
        && !p.servers.is_empty()
        && upgrades
        && !http
    {
        out.push(format!("Proxy '{}' : 'switch-mode http' configured for a tcp {type_name} with no backend. Incoming connections upgraded to HTTP cannot be routed to TCP servers", p.name));
    }
    if !http && !upgrades {
        for (list, name) in [
            (&r.http_request, "http-request"),
            (&r.http_response, "http-response"),
            (&r.http_after_response, "http-after-response"),
            (&r.redirects, "redirect"),
        ] {
            if !list.is_empty() {
                out.push(format!(
                    "'{name}' rules ignored for {type_name} '{}' as they require HTTP mode.",
                    p.name
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{run, state};
    use crate::model::{Mode, ProxyCap};

    #[test]
    fn tables_and_captures() {
        let mut st = state(ProxyCap::LISTEN, Mode::Http);
        run(&mut st, "http-request track-sc0 src table nope");
        run(&mut st, "http-request track-sc1 src");
        run(&mut st, "http-request capture req.hdr(x) id 0");
        run(&mut st, "stick on src");
        let msgs = super::check_action_rules(&st.model, 0);
        assert_eq!(
            msgs[0],
            "Proxy 'fe': unable to find table 'nope' referenced by track-sc0."
        );
        assert_eq!(
            msgs[1],
            "Proxy 'fe': unable to find table 'fe' referenced by track-sc1."
        );
        assert_eq!(
            msgs[2],
            "Proxy 'fe': unable to find capture id '0' referenced by http-request capture rule."
        );
        assert_eq!(
            super::check_stick_rules(&st.model, 0),
            vec!["Proxy 'fe': unable to find stick-table 'fe'.".to_string()]
        );
        run(&mut st, "stick-table type string size 10");
        assert_eq!(super::check_action_rules(&st.model, 0).len(), 2);
        assert!(super::check_stick_rules(&st.model, 0).is_empty());
    }

    /// The texts and cases HAProxy 2.6.12 printed for the same rules.
    #[test]
    fn post_parse_warnings_like_haproxy() {
        let mut st = state(ProxyCap::FE, Mode::Http);
        run(&mut st, "tcp-request content track-sc0 src table be");
        run(&mut st, "use_backend be if { req.len gt 0 }");
        let w = super::post_parse_warnings(&st.model, 0);
        assert_eq!(w, vec![
            "Proxy 'fe': L6 sample fetches ignored on HTTP proxies (declared at t.cfg:1).".to_string(),
            "frontend 'fe' : a 'tcp-request content track-sc*' rule not depending on request contents for an HTTP frontend should be executed at the session level, using a 'tcp-request session' rule (mandatory to track invalid HTTP requests).".to_string(),
        ]);
        let mut st = state(ProxyCap::FE, Mode::Tcp);
        run(&mut st, "http-request deny");
        run(&mut st, "redirect location /");
        let w = super::post_parse_warnings(&st.model, 0);
        assert_eq!(
            w,
            vec![
                "'http-request' rules ignored for frontend 'fe' as they require HTTP mode."
                    .to_string(),
                "'redirect' rules ignored for frontend 'fe' as they require HTTP mode.".to_string(),
            ]
        );
    }
}
