//! `-dK<class>[,class…]`: dumps the keywords haproxy-rs implements, in the layout of
//! HAProxy's `dump_registered_keywords()` (a `# List of …` header per class, then entries),
//! so that the lists can be diffed against HAProxy 2.6's own dumps.
//!
//! The ACL, sample fetch and converter tables belong to `config::expr`, which prints them in
//! HAProxy's exact layout.

use crate::config;
use crate::config::expr::kw;
use crate::version;

/// Runtime CLI commands (`cli_list_keywords()` lines): there is no runtime CLI yet.
pub fn cli_keywords() -> Vec<String> {
    Vec::new()
}

/// The `cfg` class: sections and their keywords, sorted as HAProxy sorts them.
fn cfg_dump(out: &mut String) {
    let sorted = |kws: &[&str]| {
        let mut v: Vec<String> = kws.iter().map(|s| s.to_string()).collect();
        v.sort();
        v.dedup();
        v
    };
    out.push_str("global\n");
    for k in sorted(&config::global::keywords()) {
        out.push_str(&format!("\t{k}\n"));
    }
    out.push_str("listen\n");
    let mut listen: Vec<String> = sorted(config::proxy::KEYWORDS);
    listen.extend(sorted(config::rules::KEYWORDS));
    listen.extend(["bind", "server", "default-server", "server-template", "log"].map(String::from));
    // Removed keywords HAProxy still registers to refuse them with a migration hint.
    listen.extend(["clitimeout", "contimeout", "srvtimeout"].map(String::from));
    listen.extend(
        config::proxy::option_names()
            .iter()
            .map(|o| format!("option {o}")),
    );
    for (rs, words) in config::rules::actions::Ruleset::ALL {
        for a in config::rules::actions::names(rs) {
            listen.push(format!("{words} {a}"));
        }
    }
    listen.sort();
    listen.dedup();
    for k in listen {
        out.push_str(&format!("\t{k}\n"));
    }
    for k in sorted(config::bind::KEYWORDS) {
        out.push_str(&format!("\tbind <addr> {k}\n"));
    }
    for k in sorted(config::server::KEYWORDS) {
        out.push_str(&format!("\tserver <name> <addr> {k}\n"));
    }
    out.push_str("userlist\npeers\n");
    out.push_str("crt-list\n");
    for (k, nargs) in config::bind::ssl::CRT_LIST_KWS {
        let plus = if *nargs > 0 {
            format!(" +{nargs}")
        } else {
            String::new()
        };
        out.push_str(&format!("\t{k}{plus}\n"));
    }
}

fn lines(out: &mut String, v: Vec<String>) {
    for l in v {
        out.push_str(&l);
        out.push('\n');
    }
}

/// The whole `-dK` output for the comma-separated class list `classes` (unknown classes
/// print nothing, as in HAProxy; `all` turns every later class on).
pub fn dump(classes: &str) -> String {
    let mut out = String::new();
    let mut all = false;
    for class in classes.split(',').filter(|c| !c.is_empty()) {
        if class == "help" {
            out.push_str(
                "# List of supported keyword classes:\nall: list all keywords\n\
                 acl: ACL keywords\ncfg: configuration keywords\ncli: CLI keywords\n\
                 cnv: sample converter keywords\nflt: filter names\n\
                 smp: sample fetch functions\nsvc: service names\n",
            );
            continue;
        }
        all |= class == "all";
        let on = |c: &str| all || class == c;
        if on("acl") {
            out.push_str(&kw::dump_acl());
        }
        if on("cfg") {
            out.push_str("# List of registered configuration keywords:\n");
            cfg_dump(&mut out);
        }
        if on("cli") {
            out.push_str("# List of registered CLI keywords:\n");
            lines(&mut out, cli_keywords());
        }
        if on("cnv") {
            out.push_str(&kw::dump_cnv());
        }
        if on("flt") {
            out.push_str("# List of registered filter names:\n");
            for (id, name) in version::FILTERS {
                out.push_str(&format!("{name} [{id}]\n"));
            }
        }
        if on("smp") {
            out.push_str(&kw::dump_smp());
        }
        if on("svc") {
            out.push_str("# List of registered service names:\n");
            lines(
                &mut out,
                version::SERVICES.iter().map(|s| s.to_string()).collect(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_headers() {
        assert!(dump("help").starts_with("# List of supported keyword classes:\nall: "));
        assert_eq!(
            dump("svc,flt"),
            "# List of registered service names:\nprometheus-exporter\n\
             # List of registered filter names:\ncache [CACHE]\ncompression [COMP]\n\
             fcgi-app [FCGI]\nspoe [SPOE]\ntrace [TRACE]\n"
        );
        assert_eq!(dump(""), "");
        assert_eq!(dump("foo"), "");
        let cfg = dump("cfg");
        assert!(cfg.starts_with("# List of registered configuration keywords:\nglobal\n"));
        assert!(cfg.contains("\nlisten\n"));
        let all = dump("all");
        for h in [
            "ACL keywords:",
            "configuration keywords:",
            "CLI keywords:",
            "service names:",
        ] {
            assert!(all.contains(h), "{h}");
        }
    }
}
