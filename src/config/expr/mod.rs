//! Sample expressions (`fetch(args),conv(args)…`), ACL lines and conditions, log-format
//! strings: parsed and validated against HAProxy 2.6's keyword lists.

pub mod acl;
pub mod args;
pub mod cond;
pub mod kw;
pub mod logformat;
pub mod resolve;
pub mod sample;
#[rustfmt::skip]
pub mod tables;

pub use cond::parse_cond;
pub use logformat::check_logformat;
