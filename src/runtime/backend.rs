//! Builds the queue/load-balancing [`Backend`] of a parsed backend or listen section: the
//! mapping from [`crate::model::Proxy`] settings onto [`BackendConfig`], [`ServerConfig`]s
//! and a balancer (`src/lb`). The C API (`hap_backend_from_config`) and the engine share it.

use std::sync::Arc;

use crate::lb::{self, Algorithm, HashFunction, HashMethod, HashType, LbOptions};
use crate::model::proxy::{self as mp, Balance};
use crate::model::{Config, ProxyCap};
use crate::queue::{Backend, BackendConfig, ServerConfig, ServerState};

/// `balance` → [`lb::Algorithm`] (HAProxy's default is roundrobin).
pub fn algorithm(b: Option<&Balance>) -> Algorithm {
    match b {
        None | Some(Balance::RoundRobin) => Algorithm::RoundRobin,
        Some(Balance::StaticRr) => Algorithm::StaticRr,
        Some(Balance::First) => Algorithm::First,
        Some(Balance::LeastConn) => Algorithm::LeastConn,
        Some(Balance::Random { draws }) => Algorithm::Random {
            draws: (*draws).clamp(1, i64::from(u32::MAX)) as u32,
        },
        Some(Balance::Source) => Algorithm::Source,
        Some(Balance::Uri {
            whole,
            path_only,
            len,
            depth,
        }) => Algorithm::Uri {
            whole: *whole,
            len: *len as usize,
            depth: *depth as usize,
            path_only: *path_only,
        },
        Some(Balance::UrlParam { name, check_post }) => Algorithm::UrlParam {
            name: name.clone(),
            check_post: *check_post,
        },
        Some(Balance::Hash { .. }) => Algorithm::Hash,
        Some(Balance::Hdr {
            name,
            use_domain_only,
        }) => Algorithm::Hdr {
            name: name.clone(),
            use_domain_only: *use_domain_only,
        },
        Some(Balance::RdpCookie { name }) => Algorithm::RdpCookie { name: name.clone() },
    }
}

/// `hash-type` → [`lb::HashType`]. Without the keyword HAProxy uses map-based sdbm without
/// avalanche; a bare `hash-type consistent` (sdbm + avalanche) is resolved by the parser.
pub fn hash_type(ht: Option<&mp::HashType>) -> HashType {
    let Some(ht) = ht else {
        return HashType::default();
    };
    HashType {
        method: if ht.consistent {
            HashMethod::Consistent
        } else {
            HashMethod::MapBased
        },
        function: match ht.function {
            mp::HashFunction::Sdbm => HashFunction::Sdbm,
            mp::HashFunction::Djb2 => HashFunction::Djb2,
            mp::HashFunction::Wt6 => HashFunction::Wt6,
            mp::HashFunction::Crc32 => HashFunction::Crc32,
        },
        avalanche: ht.avalanche,
    }
}

/// `fullconn`: the explicit value, else HAProxy's default (`proxy.c`, the end of
/// `check_config_validity()`): 10% (rounded up, at least 1) of the summed `maxconn` of the
/// enabled frontends that can route here — through `default_backend`, a listen section
/// without one (itself), or a static `use_backend` (each target counted once per frontend,
/// not again when it is also the default backend). A frontend without `maxconn` counts the
/// global `maxconn`. Returns 0 (static limits) when no such `maxconn` is known, since
/// HAProxy's own fallback (the global maxconn it derives from the file-descriptor limit at
/// start-up) is not known while building from text.
fn fullconn(cfg: &Config, px: &mp::Proxy) -> u32 {
    if let Some(f) = px.settings.fullconn {
        return f;
    }
    let mut sum: u64 = 0;
    for fe in cfg.real_proxies().filter(|p| p.cap.is_fe() && !p.disabled) {
        let fe_maxconn = u64::from(fe.settings.maxconn.or(cfg.global.maxconn).unwrap_or(0));
        let default_be = fe.default_backend.as_ref().map(|(n, _)| n.as_str());
        let via_default = match default_be {
            Some(n) => n == px.name,
            None => std::ptr::eq(fe, px) && fe.cap.is_be(),
        };
        // Counted once per frontend however many rules name it, as HAProxy does.
        let via_rule = default_be != Some(px.name.as_str())
            && fe
                .rules
                .use_backend
                .iter()
                .any(|r| r.dynamic.is_none() && r.target == px.name);
        if via_default || via_rule {
            sum += fe_maxconn;
        }
    }
    if sum == 0 {
        0
    } else {
        sum.div_ceil(10).clamp(1, u64::from(u32::MAX)) as u32
    }
}

/// The server settings the queue needs: `maxconn` 0 = unlimited; a `minconn` above
/// `maxconn` (or alone) becomes the `maxconn` (HAProxy's check, which the parser already
/// applies), a missing `minconn` means `maxconn` (static limit); a
/// `disabled` server starts in maintenance; `puid` is `id` or the 1-based position.
pub fn server_config(s: &crate::model::server::Server, pos: usize) -> ServerConfig {
    let maxconn = s.maxconn.max(s.minconn);
    let minconn = if s.minconn == 0 { maxconn } else { s.minconn };
    ServerConfig {
        name: s.name.clone(),
        puid: s.id.unwrap_or(pos as u32 + 1),
        maxconn,
        minconn,
        maxqueue: s.maxqueue,
        weight: s.weight,
        backup: s.backup,
        // The parsed value is in seconds (HAProxy rounds `slowstart` up to whole seconds).
        slowstart_ms: u64::from(s.slowstart) * 1000,
        state: if s.disabled {
            ServerState::Maint
        } else {
            ServerState::Up
        },
    }
}

/// Builds the queue backend of the backend or listen section `name` of `cfg`.
pub fn build_backend(cfg: &Config, name: &str) -> Result<Arc<Backend>, String> {
    let px = cfg
        .find_proxy(name, ProxyCap::BE)
        .ok_or_else(|| format!("no backend or listen section named '{name}'"))?;
    let s = &px.settings;
    let alg = algorithm(s.balance.as_ref());
    let lb_full_shortcut = matches!(
        alg,
        Algorithm::RoundRobin | Algorithm::StaticRr | Algorithm::First
    );
    let allbackups = s.option("allbackups") == Some(true);
    let bcfg = BackendConfig {
        name: px.name.clone(),
        fullconn: fullconn(cfg, px),
        timeout_queue_ms: s.timeouts.queue.or(s.timeouts.connect).map(u64::from),
        timeout_connect_ms: s.timeouts.connect.map(u64::from),
        redispatch: s.redispatch.is_some_and(|n| n != 0),
        persist: s.option("persist") == Some(true),
        allbackups,
        lb_full_shortcut,
    };
    let servers = px
        .servers
        .iter()
        .enumerate()
        .map(|(i, sv)| server_config(sv, i))
        .collect();
    let balancer = lb::new_balancer_with(
        alg,
        hash_type(s.hash_type.as_ref()),
        LbOptions {
            allbackups,
            hash_balance_factor: s.hash_balance_factor.unwrap_or(0),
        },
    );
    Ok(Backend::new(bcfg, servers, balancer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load_str, Diag, ParseEnv};
    use crate::queue::Assign;

    fn load(text: &str) -> Config {
        let l = load_str("<text>", text, Diag::new(), ParseEnv::offline());
        l.config
            .unwrap_or_else(|| panic!("{}", l.diag.render_all(0)))
    }

    #[test]
    fn servers_and_settings() {
        let cfg = load(
            "backend be\n balance first\n fullconn 100\n timeout connect 3s\n option redispatch\n option persist\n option allbackups\n server a 127.0.0.1:80 maxconn 10 minconn 20 maxqueue 5 weight 3\n server b 127.0.0.1:81 id 42 disabled backup\n",
        );
        let be = build_backend(&cfg, "be").unwrap();
        let c = be.config();
        assert_eq!(c.fullconn, 100);
        assert_eq!(c.timeout_queue_ms, Some(3000));
        assert_eq!(c.timeout_connect_ms, Some(3000));
        assert!(c.redispatch && c.persist && c.allbackups && c.lb_full_shortcut);
        let a = be.server(0).unwrap();
        assert_eq!(
            (a.name(), a.puid(), a.maxconn(), a.minconn()),
            ("a", 1, 20, 20)
        );
        assert_eq!(
            (a.maxqueue(), a.weight(), a.state()),
            (5, 3, ServerState::Up)
        );
        let b = be.server(1).unwrap();
        assert_eq!(
            (b.puid(), b.is_backup(), b.state()),
            (42, true, ServerState::Maint)
        );
    }

    #[test]
    fn slowstart_is_in_seconds() {
        let cfg = load("backend be\n server a 127.0.0.1:80 maxconn 100 slowstart 10s disabled\n");
        let be = build_backend(&cfg, "be").unwrap();
        be.set_state(0, ServerState::Up, 0).unwrap();
        assert_eq!(be.server(0).unwrap().state(), ServerState::Starting);
        be.tick(5000);
        assert_eq!(be.dyn_maxconn(0), 50);
        be.tick(10_000);
        assert_eq!(be.server(0).unwrap().state(), ServerState::Up);
    }

    #[test]
    fn timeout_queue_wins_and_defaults_apply() {
        let cfg = load(
            "defaults\n timeout connect 5s\n timeout queue 2s\nlisten l\n bind :8080\n balance uri\n server a 127.0.0.1:80\n",
        );
        let be = build_backend(&cfg, "l").unwrap();
        assert_eq!(be.config().timeout_queue_ms, Some(2000));
        assert!(!be.config().lb_full_shortcut);
        assert!(!be.config().redispatch);
    }

    #[test]
    fn lb_shortcut_only_for_rr_static_first() {
        for (b, want) in [
            ("roundrobin", true),
            ("static-rr", true),
            ("first", true),
            ("leastconn", false),
            ("source", false),
            ("random", false),
        ] {
            let cfg = load(&format!(
                "backend be\n balance {b}\n server a 127.0.0.1:80 maxconn 1\n"
            ));
            let be = build_backend(&cfg, "be").unwrap();
            assert_eq!(be.config().lb_full_shortcut, want, "{b}");
        }
    }

    #[test]
    fn hash_type_mapping() {
        assert_eq!(hash_type(None), HashType::default());
        let cfg = load("backend be\n balance source\n hash-type consistent\n hash-balance-factor 150\n server a 127.0.0.1:80\n");
        let px = cfg.find_proxy("be", ProxyCap::BE).unwrap();
        assert_eq!(
            hash_type(px.settings.hash_type.as_ref()),
            HashType::consistent_default()
        );
        let cfg = load("backend be\n hash-type map-based djb2 avalanche\n server a 127.0.0.1:80\n");
        let px = cfg.find_proxy("be", ProxyCap::BE).unwrap();
        let ht = hash_type(px.settings.hash_type.as_ref());
        assert_eq!(ht.method, HashMethod::MapBased);
        assert_eq!(ht.function, HashFunction::Djb2);
        assert!(ht.avalanche);
    }

    #[test]
    fn fullconn_default_from_frontends() {
        let cfg = load(
            "frontend f\n bind :8080\n maxconn 95\n default_backend be\nbackend be\n server a 127.0.0.1:80 maxconn 10 minconn 2\n",
        );
        let be = build_backend(&cfg, "be").unwrap();
        assert_eq!(be.config().fullconn, 10);
    }

    #[test]
    fn fullconn_counts_use_backend_rules_once_and_global_maxconn() {
        // f1 (maxconn 100) reaches be through two rules: counted once; f2 has no maxconn and
        // counts the global 300; f3 routes elsewhere. (100 + 300) / 10 = 40.
        let cfg = load(
            "global\n maxconn 300\nfrontend f1\n bind :8080\n maxconn 100\n use_backend be if { path /a }\n use_backend be if { path /b }\n default_backend other\nfrontend f2\n bind :8081\n default_backend be\nfrontend f3\n bind :8082\n maxconn 1000\n default_backend other\nbackend be\n server a 127.0.0.1:80 maxconn 10 minconn 2\nbackend other\n server b 127.0.0.1:81\n",
        );
        let be = build_backend(&cfg, "be").unwrap();
        assert_eq!(be.config().fullconn, 40);
    }

    #[test]
    fn unknown_name_and_frontend_only() {
        let cfg = load("frontend f\n bind :8080\nbackend be\n server a 127.0.0.1:80\n");
        assert!(build_backend(&cfg, "nope").err().unwrap().contains("nope"));
        assert!(build_backend(&cfg, "f").is_err());
    }

    #[test]
    fn built_backend_queues() {
        let cfg = load("backend be\n server a 127.0.0.1:80 maxconn 1\n");
        let be = build_backend(&cfg, "be").unwrap();
        let s1 = be.stream_new();
        let s2 = be.stream_new();
        assert_eq!(s1.assign(0), Ok(Assign::Ok(0)));
        assert_eq!(s2.assign(0), Ok(Assign::Queued));
        assert_eq!(be.queued(), 1);
        s1.release().unwrap();
        assert_eq!(s2.state(), crate::queue::StreamState::Assigned(0));
        be.check_invariants().unwrap();
    }
}

/// `cookie` (+ `dynamic-cookie-key`) of a backend as the persistence module takes it;
/// `None` without a `cookie` line. The parser already rejected incompatible modes, so
/// the first mode keyword set decides.
pub fn cookie_config(px: &mp::Proxy) -> Option<crate::persist::CookieConfig> {
    use crate::persist::{CookieConfig, CookieMode};
    let c = px.settings.cookie.as_ref()?;
    let mode = if c.insert {
        CookieMode::Insert
    } else if c.rewrite {
        CookieMode::Rewrite
    } else if c.prefix {
        CookieMode::Prefix
    } else {
        CookieMode::Passive
    };
    Some(CookieConfig {
        name: c.name.clone(),
        mode,
        indirect: c.indirect,
        nocache: c.nocache,
        postonly: c.postonly,
        preserve: c.preserve,
        httponly: c.httponly,
        secure: c.secure,
        domains: c.domains.clone(),
        attrs: c.attrs.clone(),
        maxidle: c.maxidle,
        maxlife: c.maxlife,
        dynamic: c.dynamic,
        dynamic_key: px.settings.dynamic_cookie_key.clone(),
    })
}

/// Each server's persistence cookie, in server order: its `cookie` value, else under
/// `cookie … dynamic` with a key the hash of key, address and port (HAProxy leaves
/// servers without an IPv4/IPv6 address cookie-less; a relative port hashes its offset,
/// as HAProxy's `svc_port` holds it).
pub fn server_cookies(px: &mp::Proxy) -> Vec<Option<String>> {
    let cfg = cookie_config(px);
    let dyn_key = cfg
        .as_ref()
        .filter(|c| c.dynamic)
        .and_then(|c| c.dynamic_key.as_deref());
    px.servers
        .iter()
        .map(|s| {
            if s.cookie.is_some() {
                return s.cookie.clone();
            }
            let key = dyn_key?;
            let addr = s.addr?;
            let port = s.port_offset.map_or(u32::from(addr.port()), |o| o as u32);
            Some(crate::persist::dynamic_cookie(
                key.as_bytes(),
                addr.ip(),
                port,
            ))
        })
        .collect()
}

#[cfg(test)]
mod cookie_config_tests {
    use super::*;
    use crate::config::{load_str, Diag, ParseEnv};
    use crate::persist::CookieMode;

    #[test]
    fn maps_cookie_line_and_dynamic_servers() {
        let l = load_str(
            "<text>",
            "backend be\n cookie SRV insert indirect nocache postonly httponly secure domain .a.com domain .b.com maxidle 30m maxlife 1h attr SameSite=Lax attr x dynamic\n dynamic-cookie-key k\n server a 127.0.0.1:80 cookie ca\n server b 127.0.0.1:81\n",
            Diag::new(),
            ParseEnv::offline(),
        );
        let cfg = l
            .config
            .unwrap_or_else(|| panic!("{}", l.diag.render_all(0)));
        let px = cfg.find_proxy("be", ProxyCap::BE).unwrap();
        let c = cookie_config(px).unwrap();
        assert_eq!(c.name, "SRV");
        assert_eq!(c.mode, CookieMode::Insert);
        assert!(c.indirect && c.nocache && c.postonly && c.httponly && c.secure && c.dynamic);
        assert!(!c.preserve);
        assert_eq!(c.domains, [".a.com", ".b.com"]);
        assert_eq!(c.attrs, ["SameSite=Lax", "x"]);
        assert_eq!((c.maxidle, c.maxlife), (1800, 3600));
        assert_eq!(c.dynamic_key.as_deref(), Some("k"));
        let ck = server_cookies(px);
        assert_eq!(ck[0].as_deref(), Some("ca"));
        assert_eq!(
            ck[1],
            Some(crate::persist::dynamic_cookie(
                b"k",
                "127.0.0.1".parse().unwrap(),
                81
            ))
        );
        let l = load_str(
            "<text>",
            "backend be\n server a 127.0.0.1:80\n",
            Diag::new(),
            ParseEnv::offline(),
        );
        let cfg = l.config.unwrap();
        assert!(cookie_config(cfg.find_proxy("be", ProxyCap::BE).unwrap()).is_none());
    }
}
