//! Builders for the model pieces the runtime tests need, in one place: when the model
//! structs gain fields, only this file changes. Rules come from the real parser, so the
//! runtime is tested on what the parser produces.

use crate::config::{self, Diag, ParseEnv};
use crate::model::rules::Rule;
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
