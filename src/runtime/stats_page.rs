//! The stats page and the Prometheus exporter as the HTTP session serves them: a
//! proxy's compiled `stats` settings ([`StatsPage`], in its `ProxyRt`) and the
//! responses, built from the same [`RtProc`] view the stats socket uses. The page's
//! request parsing and rendering are socket-free (`crate::stats::page`, `html`,
//! `promex`); the session's side is `http/stats.rs`.

use std::sync::Arc;

use super::cli::RtProc;
use super::shared::Shared;
use super::worker::Mailbox;
use crate::model::proxy::StatsAction;
use crate::model::Proxy;
use crate::sample::expr::CondRt;
use crate::stats::page::{Fmt, PageCfg, PageReq};

/// One proxy's `stats` settings, compiled.
#[derive(Debug, Clone)]
pub struct StatsPage {
    pub cfg: PageCfg,
    /// `stats admin if|unless <cond>`: the first that matches grants the admin form.
    pub admin: Vec<CondRt>,
    /// `stats http-request allow|deny|auth`: the first whose condition matches decides.
    pub rules: Vec<(StatsAction, Option<CondRt>)>,
}

impl StatsPage {
    /// `None` when the proxy has no `stats` line (HAProxy creates its `uri_auth` on the
    /// first one, so any of them enables the page).
    pub fn compile(px: &Proxy, warnings: &mut Vec<String>) -> Option<Box<StatsPage>> {
        let s = px.settings.stats.as_ref()?;
        let cfg = PageCfg {
            uri: s.uri.clone().unwrap_or_else(|| "/haproxy?stats".into()),
            realm: s.realm.clone(),
            users: s
                .auth
                .iter()
                .map(|a| {
                    let (u, p) = a.split_once(':').unwrap_or((a, ""));
                    (u.to_string(), p.to_string())
                })
                .collect(),
            refresh: s.refresh.unwrap_or(0),
            hide_version: s.hide_version,
            show_legends: s.show_legends,
            show_modules: s.show_modules,
            show_node: s.show_node.clone(),
            show_desc: s.show_desc.clone(),
            scope: s.scope.clone(),
        };
        let admin = s
            .admin
            .iter()
            .map(|(c, _)| super::maps::with(|m| CondRt::compile(c, &px.rules, m, warnings)))
            .collect();
        let rules = s
            .rules
            .iter()
            .map(|r| {
                let c = r
                    .cond
                    .as_ref()
                    .map(|c| super::maps::with(|m| CondRt::compile(c, &px.rules, m, warnings)));
                (r.action.clone(), c)
            })
            .collect();
        Some(Box::new(StatsPage { cfg, admin, rules }))
    }
}

/// The version line of the page's title (`stats_version_string`).
fn version() -> String {
    format!(
        "{}, released {}",
        crate::version::VERSION_STRING,
        crate::version::VERSION_DATE
    )
}

/// The head and body of a stats response (200 for the page, 303 after a POST); the
/// session frames them.
pub struct PageOut {
    pub status: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// Answers a stats request: `post` is the complete form body of an admin POST.
pub fn respond(
    shared: &Shared,
    peers: &[Arc<Mailbox>],
    page: &StatsPage,
    req: &PageReq,
    admin: bool,
    post: Option<&[u8]>,
) -> PageOut {
    let p = RtProc::new(shared, peers);
    if req.method_post {
        let code = match post {
            Some(body) if admin => crate::stats::page::post(&p, body),
            _ => "DENY",
        };
        return PageOut {
            status: "303 See Other",
            headers: vec![
                ("cache-control", "no-cache".into()),
                ("content-type", "text/plain".into()),
                ("content-length", "0".into()),
                ("location", req.redirect_location(&page.cfg, code)),
            ],
            body: Vec::new(),
        };
    }
    let (ctype, body) = match req.fmt {
        Fmt::Csv => (
            "text/plain",
            crate::stats::csv::show_stat_with(
                &p,
                &[
                    if req.hide_down { "up" } else { "" },
                    if req.no_maint { "no-maint" } else { "" },
                ],
                page.cfg.show_legends,
            ),
        ),
        Fmt::Json => (
            "application/json",
            crate::stats::json::json(&p, req.hide_down, req.no_maint, page.cfg.show_legends),
        ),
        Fmt::Typed => (
            "text/plain",
            crate::stats::json::typed(&p, req.hide_down, req.no_maint, page.cfg.show_legends),
        ),
        Fmt::JsonSchema => ("application/json", crate::stats::json::SCHEMA.to_string()),
        Fmt::Html => {
            let v = version();
            let o = crate::stats::html::Opts {
                cfg: &page.cfg,
                req,
                admin,
                version: &v,
            };
            ("text/html", crate::stats::html::render(&p, &o))
        }
    };
    let mut headers = vec![
        ("cache-control", "no-cache".to_string()),
        ("content-type", ctype.to_string()),
    ];
    if page.cfg.refresh > 0 && !req.no_refresh {
        headers.push(("refresh", page.cfg.refresh.to_string()));
    }
    PageOut {
        status: "200 OK",
        headers,
        body: body.into_bytes(),
    }
}

/// `use-service prometheus-exporter`.
pub fn prometheus(shared: &Shared, peers: &[Arc<Mailbox>], uri: &str) -> PageOut {
    let p = RtProc::new(shared, peers);
    let body = crate::stats::promex::render(&p, uri);
    PageOut {
        status: "200 OK",
        headers: vec![
            ("cache-control", "no-cache".into()),
            ("content-type", "text/plain; version=0.0.4".into()),
        ],
        body: body.into_bytes(),
    }
}

/// The response bytes as HAProxy's H1 mux writes an applet's answer: chunked to an
/// HTTP/1.1 client (one chunk here), close-delimited otherwise; no body for HEAD;
/// `connection: close` when the client asked to close.
pub fn frame(out: &PageOut, http11: bool, head: bool, closing: bool) -> (Vec<u8>, bool) {
    let mut b = format!("HTTP/1.1 {}\r\n", out.status).into_bytes();
    let bodyless = out.status.starts_with("303");
    let chunked = http11 && !head && !bodyless;
    for (n, v) in &out.headers {
        b.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    if chunked {
        b.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    if closing && http11 {
        b.extend_from_slice(b"connection: close\r\n");
    }
    b.extend_from_slice(b"\r\n");
    if !head && !bodyless {
        if chunked {
            if !out.body.is_empty() {
                b.extend_from_slice(format!("{:x}\r\n", out.body.len()).as_bytes());
                b.extend_from_slice(&out.body);
                b.extend_from_slice(b"\r\n");
            }
            b.extend_from_slice(b"0\r\n\r\n");
        } else {
            b.extend_from_slice(&out.body);
        }
    }
    // Without chunking or a length, the end of the body is the close.
    (b, !chunked && !bodyless && !head)
}
