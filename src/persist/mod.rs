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
