//! Builders for the model pieces the runtime tests need, in one place: when the model
//! structs gain fields, only this file changes. Rules come from the real parser (so the
//! runtime is tested on what the parser produces); raw ACL terms are built by hand.

use crate::config::{self, Diag, ParseEnv};
use crate::model::expr::{AclRef, Cond, CondTerm};
use crate::model::rules::{Acl, Rule};
use crate::model::Config;

/// Parses `listen l` (mode http, timeouts set, bound to 127.0.0.1:1 which is never opened
/// by these tests) with the given body lines; panics with the messages if rejected.
pub fn listen(lines: &[&str]) -> Config {
    let mut text = String::from(
        "defaults\n    mode http\n    timeout client 5s\n    timeout connect 5s\n    timeout server 5s\nlisten l\n    bind 127.0.0.1:1\n",
    );
    for l in lines {
        text.push_str("    ");
        text.push_str(l);
        text.push('\n');
    }
    let loaded = config::load_str("test.cfg", &text, Diag::new(), ParseEnv::offline());
    match loaded.config {
        Some(c) => c,
        None => panic!("rejected:\n{}", loaded.diag.render_all(0)),
    }
}

/// The first `http-request` rule of `http-request <line>`, as parsed.
pub fn first_rule(line: &str) -> Rule {
    let cfg = listen(&[&format!("http-request {line}")]);
    let px = cfg
        .proxies
        .iter()
        .find(|p| p.name == "l")
        .expect("listen l");
    px.rules.http_request[0].clone()
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

/// An anonymous ACL term `{ <words> }`, possibly negated.
pub fn anon(ws: &str, negate: bool) -> CondTerm {
    CondTerm {
        negate,
        acl: AclRef::Anonymous(words(ws)),
        expr: None,
    }
}

/// A reference to a named (declared or predefined) ACL.
pub fn named(name: &str) -> CondTerm {
    CondTerm {
        negate: false,
        acl: AclRef::Named(name.into()),
        expr: None,
    }
}

/// `acl <name> <words>`.
pub fn acl(name: &str, ws: &str) -> Acl {
    Acl {
        name: name.into(),
        loc: Default::default(),
        words: words(ws),
        expr: None,
        kw: String::new(),
        use_: 0,
        val: 0,
    }
}

/// `if <groups>` (`unless` when `unless`).
pub fn cond(unless: bool, groups: Vec<Vec<CondTerm>>) -> Cond {
    Cond { unless, groups }
}
