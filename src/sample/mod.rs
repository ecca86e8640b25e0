//! HAProxy's sample language (`doc/configuration.txt` section 7) as a socket-free
//! evaluator: values and casts, converters, ACL patterns and maps, variables. The runtime
//! hands a transaction's facts to [`fetch`]; nothing here knows about sockets or the
//! configuration syntax (the model arrives already parsed and checked).

pub mod conv;
pub mod expr;
pub mod fetch;
pub mod l6;
pub mod lf;
pub mod map;
pub mod msg;
pub mod pattern;
pub mod stick;
pub mod tls_conn;
pub mod tls_hello;
pub mod value;
pub mod vars;

pub use value::{Smp, SmpType};

/// Coverage of HAProxy's keyword lists by this evaluator (the report in
/// `compat/keywords/coverage.md`): whether a fetch, converter or ACL keyword runs, as
/// opposed to only parsing.
pub mod coverage {
    use crate::config::expr::kw::{self, ArgType};
    use crate::model::expr::ArgValue;

    /// An argument of the right type, enough for a keyword to compile.
    fn sample_arg(t: ArgType) -> ArgValue {
        match t {
            ArgType::Sint | ArgType::Time | ArgType::Size => ArgValue::Sint(1),
            ArgType::Ipv4 | ArgType::Msk4 => ArgValue::Ipv4(std::net::Ipv4Addr::LOCALHOST),
            ArgType::Ipv6 | ArgType::Msk6 => ArgValue::Ipv6(std::net::Ipv6Addr::LOCALHOST),
            ArgType::Fe => ArgValue::Fe(String::new()),
            ArgType::Be => ArgValue::Be(String::new()),
            ArgType::Tab => ArgValue::Tab(String::new()),
            ArgType::Srv => ArgValue::Srv("s".into()),
            ArgType::Usr => ArgValue::Usr("u".into()),
            ArgType::Reg => ArgValue::Reg("x".into()),
            ArgType::Var => ArgValue::Var("txn.x".into()),
            ArgType::PbufFnum => ArgValue::PbufFnum(vec![1]),
            ArgType::Str | ArgType::Map => ArgValue::Str("txn.x".into()),
        }
    }

    /// The sample fetch `name` is evaluated by the runtime.
    pub fn fetch_runs(name: &str) -> bool {
        let Some(k) = kw::find_fetch(name) else {
            return false;
        };
        let mut args: Vec<ArgValue> = k.args.iter().map(|&t| sample_arg(t)).collect();
        // What the configuration checker leaves for constant fetches.
        match k.check {
            kw::ArgCheck::SmpCheckConstBin => args = vec![ArgValue::Str("00".into())],
            kw::ArgCheck::SmpCheckConstBool => args = vec![ArgValue::Sint(1)],
            _ => {}
        }
        matches!(super::fetch::Fetch::compile(name, &args), Ok(f) if !matches!(f, super::fetch::Fetch::Nothing))
    }

    /// The converter `name` is evaluated by the runtime.
    pub fn conv_runs(name: &str) -> bool {
        kw::find_conv(name).is_some() && (super::conv::implemented(name) || name.starts_with("map"))
    }

    /// The ACL keyword `name` is evaluated (its fetch runs; every match method does).
    pub fn acl_runs(name: &str) -> bool {
        kw::find_acl_kw(name).is_some_and(|a| fetch_runs(a.fetch))
    }
}
