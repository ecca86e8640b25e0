//! A proxy's HTTP side as the runtime serves it: its `http-request` (then `redirect`),
//! `http-response` and `http-after-response` rules compiled once at start-up, its capture
//! slots, client-side timeouts and error pages.

use std::time::Duration;

use super::errors::{ErrorTable, Loader};
use super::http_return::Reply;
use crate::model::{Config, Proxy};
use crate::rules::http::{Compiler, HttpRules};

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

/// One proxy's rules and HTTP settings.
#[derive(Debug, Clone)]
pub struct ProxyRt {
    pub name: String,
    /// HAProxy's `uuid` (`fe_id`, `be_id`).
    pub id: i64,
    pub http_request: HttpRules<Reply>,
    pub http_response: HttpRules<Reply>,
    pub http_after_response: HttpRules<Reply>,
    /// `tcp-request connection|session|content` rules (replies never occur there).
    pub tcp_connection: HttpRules<Reply>,
    pub tcp_session: HttpRules<Reply>,
    pub tcp_content: HttpRules<Reply>,
    /// `tcp-request inspect-delay`.
    pub inspect_delay: Option<Duration>,
    /// `option http-restrict-req-hdr-names delete|reject` (`None`: preserve).
    pub restrict_hdr_names: Option<bool>,
    /// `unique-id-format`, and `unique-id-header`.
    pub unique_id: Option<crate::sample::lf::Template>,
    pub unique_id_header: Option<String>,
    /// Capture slots in declaration order: `capture request header <name> len <n>` (with
    /// its header) and `declare capture request len <n>` (without).
    pub req_capture_slots: Vec<(Option<String>, usize)>,
    pub res_capture_slots: Vec<(Option<String>, usize)>,
    pub timeouts: ClientTimeouts,
    /// `option httpclose`: close after every response.
    pub httpclose: bool,
    /// The proxy's `errorfile`/`errorloc*`/`errorfiles` overrides.
    pub errors: ErrorTable,
    /// `tarpit` hold time.
    pub tarpit: Option<Duration>,
    /// `stats enable|uri|auth…`: the stats page this proxy serves.
    pub stats: Option<Box<super::stats_page::StatsPage>>,
}

/// Error files are read with at most `tune.bufsize` bytes, like HAProxy.
fn loader(cfg: &Config) -> Loader {
    Loader::new(cfg.global.tune.bufsize.map_or(16384, |b| b as usize))
}

fn ms(v: Option<u32>) -> Option<Duration> {
    v.filter(|&v| v > 0)
        .map(|v| Duration::from_millis(v.into()))
}

fn has_rules(p: &Proxy) -> bool {
    let r = &p.rules;
    !(r.http_request.is_empty()
        && r.redirects.is_empty()
        && r.http_response.is_empty()
        && r.http_after_response.is_empty()
        && r.tcp_request_connection.is_empty()
        && r.tcp_request_session.is_empty()
        && r.tcp_request_content.is_empty())
}

/// HAProxy's proxy `uuid`: the `id` given, else the next free number from 1 in
/// declaration order.
fn uuid(cfg: &Config, px: &Proxy) -> i64 {
    let real = || cfg.proxies.iter().filter(|p| !p.cap.is_defaults());
    let taken: Vec<u32> = real().filter_map(|p| p.settings.id).collect();
    let mut next = 1u32;
    for p in real() {
        let id = match p.settings.id {
            Some(id) => id,
            None => {
                while taken.contains(&next) {
                    next += 1;
                }
                next += 1;
                next - 1
            }
        };
        if std::ptr::eq(p, px) {
            return id.into();
        }
    }
    0
}

impl ProxyRt {
    /// Compiles `px`'s own rules (a frontend's, a backend's, or a listen's once).
    pub fn compile_own(cfg: &Config, px: &Proxy, warnings: &mut Vec<String>) -> ProxyRt {
        let mut files = loader(cfg);
        let t = &px.settings.timeouts;
        let client = ms(t.client);
        let request = ms(t.http_request).or(client);
        let slots = |caps: &[crate::model::proxy::Capture]| {
            caps.iter()
                .map(|c| (c.header.clone(), c.len.max(0) as usize))
                .collect::<Vec<_>>()
        };
        let req_capture_slots = slots(&px.settings.req_captures);
        let res_capture_slots = slots(&px.settings.rsp_captures);
        let lens = |v: &[(Option<String>, usize)]| v.iter().map(|x| x.1).collect::<Vec<_>>();
        let (req_lens, res_lens) = (lens(&req_capture_slots), lens(&res_capture_slots));
        let (http_request, http_response, http_after_response, tcp) = super::maps::with(|maps| {
            let mut reply =
                |r: &crate::model::rules::Reply,
                 m: &mut crate::sample::map::MapCache,
                 w: &mut Vec<String>|
                 -> Reply { Reply::compile(r, &cfg.http_errors, &mut files, m, w) };
            let mut c = Compiler {
                acls: &px.rules,
                maps,
                proxy_name: &px.name,
                next_capture: px.settings.req_captures.len(),
                slot_lens: req_lens,
                max_head: cfg.global.tune.bufsize.map_or(16384, |b| b as usize),
                reserve: cfg.global.tune.maxrewrite.map_or(1024, |b| b as usize),
                reply: &mut reply,
                tcp_rules: false,
            };
            let mut req_rules = px.rules.http_request.clone();
            req_rules.extend(px.rules.redirects.iter().cloned());
            let a = HttpRules::compile(&req_rules, &mut c, warnings);
            c.next_capture = px.settings.rsp_captures.len();
            c.slot_lens = res_lens;
            let b = HttpRules::compile(&px.rules.http_response, &mut c, warnings);
            let d = HttpRules::compile(&px.rules.http_after_response, &mut c, warnings);
            let r = &px.rules;
            c.tcp_rules = true;
            let tcp = (
                HttpRules::compile(&r.tcp_request_connection, &mut c, warnings),
                HttpRules::compile(&r.tcp_request_session, &mut c, warnings),
                HttpRules::compile(&r.tcp_request_content, &mut c, warnings),
            );
            // Rules of the named defaults section the proxy uses (`frontend fe from d`)
            // run first, with that section's ACLs.
            let (a, b, d, tcp) = match px.defaults_idx.map(|i| &cfg.proxies[i]) {
                Some(dp) if has_rules(dp) => {
                    let mut dc = Compiler {
                        acls: &dp.rules,
                        maps: c.maps,
                        proxy_name: &px.name,
                        next_capture: c.next_capture,
                        slot_lens: c.slot_lens.clone(),
                        reply: c.reply,
                        max_head: c.max_head,
                        reserve: c.reserve,
                        tcp_rules: false,
                    };
                    let r = &dp.rules;
                    let mut req_rules = r.http_request.clone();
                    req_rules.extend(r.redirects.iter().cloned());
                    let da = HttpRules::compile(&req_rules, &mut dc, warnings);
                    let db = HttpRules::compile(&r.http_response, &mut dc, warnings);
                    let dd = HttpRules::compile(&r.http_after_response, &mut dc, warnings);
                    dc.tcp_rules = true;
                    let t0 = HttpRules::compile(&r.tcp_request_connection, &mut dc, warnings);
                    let t1 = HttpRules::compile(&r.tcp_request_session, &mut dc, warnings);
                    let t2 = HttpRules::compile(&r.tcp_request_content, &mut dc, warnings);
                    c = Compiler {
                        maps: dc.maps,
                        reply: dc.reply,
                        ..c
                    };
                    (
                        a.after(da),
                        b.after(db),
                        d.after(dd),
                        (tcp.0.after(t0), tcp.1.after(t1), tcp.2.after(t2)),
                    )
                }
                _ => (a, b, d, tcp),
            };
            let uid = px
                .settings
                .unique_id_lf
                .as_ref()
                .map(|lf| crate::sample::lf::Template::compile(lf, c.maps, warnings));
            (a, b, d, (tcp.0, tcp.1, tcp.2, uid))
        });
        ProxyRt {
            name: px.name.clone(),
            id: uuid(cfg, px),
            http_request,
            http_response,
            http_after_response,
            tcp_connection: tcp.0,
            tcp_session: tcp.1,
            tcp_content: tcp.2,
            inspect_delay: ms(px.rules.tcp_request_inspect_delay),
            restrict_hdr_names: match px.settings.http_restrict_req_hdr_names.as_deref() {
                Some("delete") => Some(false),
                Some("reject") => Some(true),
                _ => None,
            },
            unique_id: tcp.3,
            unique_id_header: px.settings.unique_id_header.clone(),
            req_capture_slots,
            res_capture_slots,
            timeouts: ClientTimeouts {
                request,
                keep_alive: ms(t.http_keep_alive).or(request),
                client,
            },
            httpclose: px.settings.http_conn_mode == Some(crate::model::proxy::HttpConnMode::Close),
            errors: ErrorTable::compile(px, &cfg.http_errors, &mut files, warnings),
            tarpit: ms(t.tarpit).or(ms(t.connect)),
            stats: super::stats_page::StatsPage::compile(px, warnings),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::http::{Captures, Effects, Flow, MsgRef};
    use crate::runtime::testutil::listen;
    use crate::sample::fetch::{NoEnv, Session};
    use crate::sample::msg::Req;
    use crate::sample::vars::Vars;

    fn compile(lines: &[&str]) -> ProxyRt {
        let cfg = listen(lines);
        let px = cfg.proxies.iter().find(|p| p.name == "l").unwrap();
        let mut w = Vec::new();
        let rt = ProxyRt::compile_own(&cfg, px, &mut w);
        assert!(w.is_empty(), "{w:?}");
        rt
    }

    /// Runs the `http-request` rules on `req`; the status of a reply, 0 if none.
    fn run(rt: &ProxyRt, req: &mut Req) -> u16 {
        let mut vars = Vars::default();
        let (mut caps, mut fx) = (Captures::default(), Effects::default());
        let s = Session::new("l", &NoEnv);
        match rt
            .http_request
            .run(s, MsgRef::Req(req), None, &mut vars, &mut caps, &mut fx)
        {
            Flow::Reply(r) => r.status,
            Flow::Redirect(r) => r.code,
            _ => 0,
        }
    }

    #[test]
    fn first_matching_reply_wins_and_allow_stops() {
        let rt = compile(&[
            "acl api path_beg /api",
            "acl api path /v1",
            "http-request allow if { path /open }",
            "http-request deny deny_status 429 if { path /deny }",
            "http-request return status 202 if api METH_GET",
            "http-request deny if { path /open2 }",
        ]);
        let get = |p: &str| Req::new("GET", p, &[("Host", "h")]);
        assert_eq!(run(&rt, &mut get("/deny")), 429);
        assert_eq!(run(&rt, &mut get("/v1")), 202);
        assert_eq!(run(&rt, &mut get("/api/x")), 202);
        assert_eq!(run(&rt, &mut Req::new("POST", "/api/x", &[])), 0);
        assert_eq!(run(&rt, &mut get("/open")), 0);
        assert_eq!(run(&rt, &mut get("/open2")), 403);
        assert_eq!(rt.timeouts.request, Some(Duration::from_secs(5)));
    }

    #[test]
    fn header_rewrites_see_earlier_rules() {
        let rt = compile(&[
            "http-request set-header X-A %[path]",
            "http-request add-header X-B b%[req.hdr(x-a)]",
            "http-request del-header x-drop",
            "http-request replace-header Host (.*)\\.example \\1.test",
            "http-request set-path /new%[path]",
            "http-request redirect location /r code 307 if { req.hdr(x-b) b/p }",
        ]);
        let mut r = Req::new("GET", "/p?q=1", &[("Host", "www.example"), ("X-Drop", "1")]);
        assert_eq!(run(&rt, &mut r), 307);
        let hs: Vec<(&str, &[u8])> = r.headers.iter().collect();
        assert_eq!(
            hs,
            vec![("host", &b"www.test"[..]), ("x-a", b"/p"), ("x-b", b"b/p")]
        );
        assert_eq!(r.uri, "/new/p?q=1");
        assert!(r.start_changed && r.headers.edited());
    }

    #[test]
    fn option_httpclose() {
        assert!(compile(&["option httpclose"]).httpclose);
        assert!(!compile(&["option httpclose", "no option httpclose"]).httpclose);
    }
}
