//! `http-request`, `http-response` and `http-after-response` rules, compiled once from the
//! model and run against the owned message views of [`crate::sample::msg`].
//!
//! Nothing here touches a socket: a rule set returns a [`Flow`] saying what the engine must
//! do next (go on, answer, redirect, close), and the engine renders replies itself. Replies
//! are compiled by the engine too (they depend on its error pages), hence the `R`
//! parameter.

pub mod http;
pub mod uri;
pub mod uri_norm;

pub use http::{Effects, Flow, HttpRules, MsgRef, RedirectOut};
