//! Persistence decisions that happen before load balancing: the `cookie` keyword and
//! `use-server` rules.
//!
//! This module is deliberately free of sockets, of the event loop and of configuration
//! syntax, so that the engine, the C API and the differential tests can all drive it with
//! plain values: the caller passes header values as bytes, server state as a slice, the
//! outcome of ACL evaluation (`use-server`, `force-persist`, `ignore-persist`) as booleans
//! or indices, and the wall-clock time in seconds. What comes back says which server to
//! use, how HAProxy flags the stream (`SF_DIRECT`/`SF_ASSIGNED`), which headers to rewrite
//! and the two cookie characters of the log's termination state.

pub mod cookie;

pub use cookie::{
    b64tos30, dynamic_cookie, log_chars, manage_request, manage_response, response_cacheable,
    s30tob64, ClientCookie, CookieConfig, CookieMode, CookieServers, HeaderEdit, RequestInput,
    RequestOutcome, ResponseInput, ResponseOutcome, ServerCookie, NOCACHE_HEADER,
};

/// HAProxy's `cur_state != SRV_ST_STOPPED` for a queue server state: a draining server
/// still takes persistent traffic (that is what `drain` is for), a starting one too.
pub fn running(state: crate::queue::ServerState) -> bool {
    use crate::queue::ServerState;
    matches!(
        state,
        ServerState::Up | ServerState::Starting | ServerState::Drain
    )
}

/// A queue [`Backend`](crate::queue::Backend)'s servers with their cookies (from
/// [`crate::runtime::backend::server_cookies`]), as the cookie logic sees them: the live
/// server state decides, and a deleted server is neither running nor matched.
pub struct BackendServers<'a> {
    pub backend: &'a crate::queue::Backend,
    pub cookies: &'a [Option<String>],
}

impl CookieServers for BackendServers<'_> {
    fn count(&self) -> usize {
        self.backend.servers().len().min(self.cookies.len())
    }
    fn cookie(&self, i: usize) -> Option<&[u8]> {
        if self.backend.servers()[i].is_deleted() {
            return None;
        }
        self.cookies[i].as_deref().map(str::as_bytes)
    }
    fn running(&self, i: usize) -> bool {
        let s = &self.backend.servers()[i];
        !s.is_deleted() && running(s.state())
    }
}

/// `use-server` (HAProxy's `process_server_rules()`): `rules` yields, in configuration
/// order, the target of each rule whose condition matched (`None` for a dynamic rule whose
/// name resolved to no server). The first target that is running — or any target when
/// `option persist` or a matching `force-persist` allows down servers — wins and the
/// stream becomes `SF_DIRECT | SF_ASSIGNED`. A dynamic rule naming no server ends the
/// evaluation, as in HAProxy, instead of falling through to later rules.
///
/// The caller must not evaluate rules when a server is already assigned (HAProxy skips the
/// whole analyser then).
pub fn use_server<S: CookieServers + ?Sized>(
    rules: impl IntoIterator<Item = Option<usize>>,
    servers: &S,
    persist: bool,
    force_persist: bool,
) -> Option<usize> {
    for target in rules {
        let srv = target?;
        if srv >= servers.count() {
            return None;
        }
        if servers.running(srv) || persist || force_persist {
            return Some(srv);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load_str, Diag, ParseEnv};
    use crate::queue::ServerState;
    use crate::runtime::backend::{build_backend, server_cookies};

    #[test]
    fn queue_backend_adapter() {
        let l = load_str(
            "<text>",
            "backend be\n cookie SRV insert\n server a 127.0.0.1:80 cookie ca\n server b 127.0.0.1:81 cookie cb disabled\n server c 127.0.0.1:82\n",
            Diag::new(),
            ParseEnv::offline(),
        );
        let cfg = l.config.unwrap();
        let be = build_backend(&cfg, "be").unwrap();
        let px = cfg.find_proxy("be", crate::model::ProxyCap::BE).unwrap();
        let cookies = server_cookies(px);
        let s = BackendServers {
            backend: &be,
            cookies: &cookies,
        };
        assert_eq!(s.count(), 3);
        assert_eq!(s.cookie(0), Some(&b"ca"[..]));
        assert_eq!(s.cookie(2), None);
        assert!(s.running(0) && !s.running(1));
        be.set_state(0, ServerState::Drain, 0).unwrap();
        assert!(s.running(0), "draining servers keep persistent traffic");
        be.set_state(0, ServerState::Down, 0).unwrap();
        assert!(!s.running(0));
        be.delete_server(2).ok();
        let c = crate::persist::CookieConfig {
            name: "SRV".into(),
            ..Default::default()
        };
        let out = manage_request(&c, &s, &[b"SRV=cb"], &RequestInput::default());
        assert_eq!(out.status, ClientCookie::Down);
    }

    #[test]
    fn use_server_first_running_then_persist() {
        let s: &[(Option<&[u8]>, bool)] = &[(None, false), (None, true), (None, true)];
        assert_eq!(use_server([Some(0), Some(1)], s, false, false), Some(1));
        assert_eq!(use_server([Some(0), Some(1)], s, true, false), Some(0));
        assert_eq!(use_server([Some(0), Some(1)], s, false, true), Some(0));
        assert_eq!(use_server([Some(0)], s, false, false), None);
        // A dynamic rule naming no server stops the evaluation.
        assert_eq!(use_server([None, Some(2)], s, false, false), None);
        assert_eq!(use_server([Some(0), None, Some(2)], s, false, false), None);
        assert_eq!(
            use_server(std::iter::empty::<Option<usize>>(), s, false, false),
            None
        );
    }
}
