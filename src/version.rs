//! Version strings. haproxy-rs reports HAProxy's version it is compatible with, so that
//! scripts and reg-tests gating on `version_atleast()` behave as with HAProxy 2.6.

/// The HAProxy version whose behaviour haproxy-rs reproduces.
pub const HAPROXY_VERSION: &str = "2.6.12";
/// Shown by `-v`: the compatible HAProxy version and ours.
pub const VERSION_STRING: &str = concat!("2.6.12-haproxy-rs-", env!("CARGO_PKG_VERSION"));
pub const VERSION_DATE: &str = "2026/11/24";
