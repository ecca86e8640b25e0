//! haproxy-rs: HAProxy 2.6 rebuilt in Rust, as a drop-in binary and a C library.
//!
//! The flow is config → model → runtime:
//! - [`config`] reads HAProxy configuration text (nom) into the typed [`model`], with
//!   HAProxy's diagnostics;
//! - [`model`] is what the configuration means;
//! - [`runtime`] (event loops; later the queue and load balancing) consumes the model;
//! - [`http`] is the socket-free HTTP/1.1 message layer (HAProxy 2.6's H1 parser and mux rules);
//! - [`cli`] is the `haproxy-rs` command line; [`ffi`] is the C face.

pub mod check;
pub mod cli;
pub mod config;
pub mod ffi;
pub mod http;
pub mod lb;
pub mod log;
pub mod model;
pub mod persist;
pub mod proxy_proto;
pub mod queue;
pub mod rules;
pub mod runtime;
pub mod sample;
pub mod stats;
pub mod stick;
pub mod tls;
pub mod version;
