//! HAProxy's sample language (`doc/configuration.txt` section 7) as a socket-free
//! evaluator: values and casts, converters, ACL patterns and maps, variables. The runtime
//! hands a transaction's facts to [`fetch`]; nothing here knows about sockets or the
//! configuration syntax (the model arrives already parsed and checked).

pub mod conv;
pub mod expr;
pub mod fetch;
pub mod lf;
pub mod map;
pub mod msg;
pub mod pattern;
pub mod tls_hello;
pub mod value;
pub mod vars;

pub use value::{Smp, SmpType};
