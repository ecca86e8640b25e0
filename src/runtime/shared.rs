//! What every worker thread reads and never changes: the frontends and backends of the
//! configuration compiled for serving. Built once at start-up and shared through an `Arc`;
//! the only mutable state reachable from here is the queue's, which is thread-safe.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::acl::CondRt;
use super::backend::{algorithm, build_backend};
use super::proxy::ProxyRt;
use crate::lb::Algorithm;
use crate::model::proxy::HttpConnMode;
use crate::model::{Config, Mode, Proxy, ProxyCap};
use crate::queue;

/// Default `tune.bufsize`.
pub const BUFSIZE: usize = 16384;

fn ms(v: Option<u32>) -> Option<Duration> {
    v.filter(|&v| v > 0)
        .map(|v| Duration::from_millis(v.into()))
}

/// A frontend (or the frontend half of a listen section).
pub struct Frontend {
    pub name: String,
    pub mode: Mode,
    /// Its own `http-request` rules and client timeouts.
    pub px: ProxyRt,
    /// `use_backend` rules in order, then `default_backend` (indexes into `Shared::backends`).
    pub use_backend: Vec<(Option<CondRt>, usize)>,
    pub default_backend: Option<usize>,
    pub client_fin: Option<Duration>,
    pub tunnel: Option<Duration>,
}

/// A backend (or the backend half of a listen section).
pub struct Backend {
    pub name: String,
    pub mode: Mode,
    pub px: ProxyRt,
    pub queue: Arc<queue::Backend>,
    /// Per server, the address to connect to; `None` for servers without one (e.g. a port
    /// taken from the client, not supported yet: such a server answers 503).
    pub addrs: Vec<Option<SocketAddr>>,
    pub alg: Algorithm,
    pub connect: Option<Duration>,
    pub server: Option<Duration>,
    pub server_fin: Option<Duration>,
    pub tunnel: Option<Duration>,
    pub queue_timeout: Option<Duration>,
    /// `retries` (HAProxy's default 3).
    pub retries: u32,
    /// `option redispatch [<interval>]`: HAProxy's `redispatch_after` (0 = off).
    pub redispatch_after: i64,
    /// `balance roundrobin|static-rr` (HAProxy's `BE_LB_KIND_RR`), which redispatches and
    /// skips the turn-around delay more eagerly.
    pub rr_kind: bool,
    pub conn_mode: HttpConnMode,
}

pub struct Shared {
    pub frontends: Vec<Frontend>,
    pub backends: Vec<Backend>,
    /// Time origin of the queue's millisecond clock.
    pub epoch: Instant,
    pub bufsize: usize,
}

impl Shared {
    pub fn now_ms(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_millis() as u64
    }

    /// Compiles every enabled frontend of `cfg` with listeners (`fronts`, in that order) and
    /// every backend they can reach. What cannot be honoured goes to `warnings`.
    pub fn build(
        cfg: &Config,
        fronts: &[&Proxy],
        warnings: &mut Vec<String>,
    ) -> Result<Shared, String> {
        let mut backends: Vec<Backend> = Vec::new();
        let mut be_index = |name: &str, warnings: &mut Vec<String>| -> Option<usize> {
            if let Some(i) = backends.iter().position(|b| b.name == name) {
                return Some(i);
            }
            let px = cfg.find_proxy(name, ProxyCap::BE)?;
            if px.disabled {
                return None;
            }
            let b = compile_backend(cfg, px, warnings).ok()?;
            backends.push(b);
            Some(backends.len() - 1)
        };
        let mut frontends = Vec::new();
        for px in fronts {
            let mut use_backend = Vec::new();
            for ub in &px.rules.use_backend {
                if ub.dynamic.is_some() {
                    warnings.push(format!(
                        "[{}] : use_backend with a dynamic name is not active yet in haproxy-rs; the rule is ignored.",
                        ub.loc
                    ));
                    continue;
                }
                if let Some(i) = be_index(&ub.target, warnings) {
                    let cond = ub
                        .cond
                        .as_ref()
                        .map(|c| CondRt::compile(c, &px.rules, warnings));
                    use_backend.push((cond, i));
                }
            }
            let default_backend = if px.cap.is_be() {
                be_index(&px.name, warnings)
            } else {
                px.default_backend
                    .as_ref()
                    .and_then(|(n, _)| be_index(n, warnings))
            };
            let t = &px.settings.timeouts;
            frontends.push(Frontend {
                name: px.name.clone(),
                mode: px.mode,
                px: ProxyRt::compile(cfg, px, warnings),
                use_backend,
                default_backend,
                client_fin: ms(t.client_fin),
                tunnel: ms(t.tunnel),
            });
        }
        let bufsize = cfg
            .global
            .tune
            .bufsize
            .map(|b| b as usize)
            .unwrap_or(BUFSIZE);
        Ok(Shared {
            frontends,
            backends,
            epoch: Instant::now(),
            bufsize,
        })
    }
}

fn compile_backend(
    cfg: &Config,
    px: &Proxy,
    warnings: &mut Vec<String>,
) -> Result<Backend, String> {
    let queue = build_backend(cfg, &px.name)?;
    let s = &px.settings;
    let t = &s.timeouts;
    let alg = algorithm(s.balance.as_ref());
    let addrs = px
        .servers
        .iter()
        .map(|sv| {
            let a = sv.addr.filter(|a| a.port() != 0 && sv.port_offset.is_none());
            if a.is_none() {
                warnings.push(format!(
                    "[{}] : server '{}/{}' has no fixed address and port the haproxy-rs runtime can connect to yet; it answers 503.",
                    sv.loc, px.name, sv.name
                ));
            }
            a
        })
        .collect();
    Ok(Backend {
        name: px.name.clone(),
        mode: px.mode,
        px: ProxyRt::compile_own(px, warnings),
        queue,
        addrs,
        rr_kind: matches!(alg, Algorithm::RoundRobin | Algorithm::StaticRr),
        alg,
        connect: ms(t.connect),
        server: ms(t.server),
        server_fin: ms(t.server_fin),
        tunnel: ms(t.tunnel),
        queue_timeout: ms(t.queue.or(t.connect)),
        retries: s.retries.unwrap_or(3),
        redispatch_after: s.redispatch.unwrap_or(0),
        conn_mode: s.http_conn_mode.unwrap_or(HttpConnMode::KeepAlive),
    })
}
