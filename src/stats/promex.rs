//! HAProxy 2.6's Prometheus exporter (`addons/promex`).

use super::Proc;

/// The exporter's text for request target `uri` (its `scope=` parameters).
pub fn render(_p: &dyn Proc, _uri: &str) -> String {
    String::new()
}
