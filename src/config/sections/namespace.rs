//! `namespace_list` (HAProxy's `cfg_parse_netns()`): network namespaces opened at start from
//! `/var/run/netns/<name>`. Unknown keywords are silently ignored there, as in HAProxy.

use super::{alert_tight, invalid_char};
use crate::config::{Line, State};
use crate::model::sections::Namespace;

/// Where `ip netns` keeps named namespaces (HAProxy's `NETNS_RUN_DIR`).
const NETNS_RUN_DIR: &str = "/var/run/netns";

pub fn parse(st: &mut State, line: &Line) -> u32 {
    if line.arg(0) != "namespace" {
        return 0;
    }
    for name in line.argv().into_iter().skip(1) {
        if let Some(c) = invalid_char(name) {
            return alert_tight(
                st,
                line,
                format!("character '{c}' is not permitted in 'namespace' name '{name}'."),
            );
        }
        if st.model.namespaces.iter().any(|n| n.name == name) {
            return alert_tight(st, line, format!("Namespace '{name}' is already added."));
        }
        if st.env.check_files && std::fs::File::open(format!("{NETNS_RUN_DIR}/{name}")).is_err() {
            return alert_tight(st, line, format!("Cannot open namespace '{name}'."));
        }
        st.model.namespaces.push(Namespace {
            name: name.to_string(),
            loc: line.loc.clone(),
        });
    }
    st.used(line, "namespace_list namespace");
    0
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{load, msgs};

    #[test]
    fn namespaces() {
        let l = load("namespace_list\n  namespace a a\n  foo\n  namespace b/c\n");
        let m = msgs(&l);
        assert!(m[0].ends_with("parsing [t.cfg:2]: Namespace 'a' is already added."));
        assert!(m[1].ends_with(
            "parsing [t.cfg:4]: character '/' is not permitted in 'namespace' name 'b/c'."
        ));
    }
}
