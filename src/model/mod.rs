//! The typed configuration model: what a configuration *means*, independent of how it was
//! written (the `config` parser builds it) and of how it runs (the runtime consumes it).
//!
//! Every item keeps the [`Loc`] it came from so that runtime messages and post-parse checks
//! can name `file:line` as HAProxy does.

pub mod bind;
pub mod expr;
pub mod global;
pub mod proxy;
pub mod rules;
pub mod sections;
pub mod server;
pub mod time;

pub use crate::config::Loc;
pub use bind::Bind;
pub use global::Global;
pub use proxy::{Mode, Proxy, ProxyCap};
pub use server::Server;

/// A whole loaded configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub global: Global,
    /// Every proxy in declaration order, defaults sections included (`cap` tells which).
    pub proxies: Vec<Proxy>,
    pub userlists: Vec<sections::Userlist>,
    pub peers: Vec<sections::Peers>,
    pub resolvers: Vec<sections::Resolvers>,
    pub mailers: Vec<sections::Mailers>,
    pub http_errors: Vec<sections::HttpErrors>,
    pub rings: Vec<sections::Ring>,
    pub programs: Vec<sections::Program>,
    pub caches: Vec<sections::Cache>,
    pub namespaces: Vec<sections::Namespace>,
    pub log_forwards: Vec<sections::LogForward>,
    /// Indexes in `proxies` by name, defaults sections included, in declaration order
    /// (HAProxy's `proxy_by_name`/`defproxy_by_name` trees): name lookups stay O(1) with
    /// tens of thousands of proxies. Kept up to date by `config::proxy`.
    pub proxy_names: std::collections::HashMap<String, Vec<usize>>,
    pub fcgi_apps: Vec<sections::FcgiApp>,
}

impl Config {
    /// The frontend/backend/listen proxies (not defaults sections).
    pub fn real_proxies(&self) -> impl Iterator<Item = &Proxy> {
        self.proxies.iter().filter(|p| !p.cap.is_defaults())
    }

    pub fn find_proxy(&self, name: &str, want: ProxyCap) -> Option<&Proxy> {
        self.find_proxy_idx(name, want).map(|i| &self.proxies[i])
    }

    /// Index of the first non-defaults proxy named `name` with one of the `want` capabilities.
    pub fn find_proxy_idx(&self, name: &str, want: ProxyCap) -> Option<usize> {
        self.proxy_names.get(name)?.iter().copied().find(|&i| {
            let p = &self.proxies[i];
            p.cap.intersects(want) && !p.cap.is_defaults()
        })
    }
}
