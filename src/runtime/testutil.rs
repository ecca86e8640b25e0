//! Builders for the model pieces the runtime tests need, in one place: when the model
//! structs gain fields (the typed rule and ACL forms), only this file changes.

use crate::model::expr::{AclRef, Cond, CondTerm};
use crate::model::rules::{Acl, Rule};

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

/// `http-request <action> <args…> [if { path <path> }]`.
pub fn rule(action: &str, args: &[&str], path: Option<&str>) -> Rule {
    Rule {
        loc: Default::default(),
        action: action.into(),
        args: args.iter().map(|s| s.to_string()).collect(),
        kind: Default::default(),
        cond: path.map(|p| cond(false, vec![vec![anon(&format!("path {p}"), false)]])),
    }
}
