//! Conditions: `if|unless` followed by ACL terms (`build_acl_cond()` / `parse_acl_cond()`
//! in HAProxy's `acl.c`): implicit AND, `||`/`or`, `!` negation, anonymous `{ … }` ACLs,
//! named ACLs of the proxy and the predefined ones.

use super::acl::{self, AclEnv};
use super::kw;
use crate::config::State;
use crate::model::expr::{AclRef, Cond, CondTerm};

/// A parsed condition with what HAProxy derives from it for later checks.
#[derive(Debug, Clone, Default)]
pub struct CondInfo {
    pub cond: Cond,
    /// Union of the sources its ACLs read (`cond->use`).
    pub use_: u32,
    /// Where it can be evaluated (`cond->val`).
    pub val: u32,
    /// Per term: (ACL name or "" for anonymous, first keyword, ACL val, per-keyword vals).
    pub terms: Vec<TermInfo>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TermInfo {
    pub name: String,
    pub kws: Vec<(String, u32)>,
    pub val: u32,
}

pub fn acl_env(st: &State) -> AclEnv<'_> {
    AclEnv {
        check_files: st.env.check_files,
        resolve: st.env.resolve_hosts,
        lua: crate::config::rules::actions::lua_global(st),
        model: Some(&st.model),
    }
}

/// Parses `if|unless <acl terms>` starting at `words[0]` (which must be `if` or `unless`)
/// for proxy `px`. On error returns HAProxy's message without the caller's prefix.
pub fn parse_cond(st: &State, px: usize, words: &[String]) -> Result<Cond, String> {
    let w: Vec<&str> = words.iter().map(|s| s.as_str()).collect();
    parse_cond_info(st, px, &w).map(|c| c.cond)
}

/// Looks a named ACL up in proxy `px` (all its lines), returning the keyword vals.
fn named_acl(st: &State, px: usize, name: &str) -> Option<TermInfo> {
    let p = st.model.proxies.get(px)?;
    let mut found = None::<TermInfo>;
    for a in p.rules.acls_named(name) {
        let t = found.get_or_insert_with(|| TermInfo {
            name: name.to_string(),
            ..Default::default()
        });
        t.val |= a.val;
        t.kws.push((a.kw.clone(), a.val));
    }
    found
}

/// Full version of [`parse_cond`] that also returns the use/val sets and warnings.
pub fn parse_cond_info(st: &State, px: usize, words: &[&str]) -> Result<CondInfo, String> {
    let unless = match words.first().copied() {
        Some("if") => false,
        Some("unless") => true,
        _ => return Err("conditions must start with either 'if' or 'unless'".into()),
    };
    let words: Vec<&str> = words[1..]
        .iter()
        .copied()
        .take_while(|w| !w.is_empty())
        .collect();
    let env = acl_env(st);
    let mut info = CondInfo {
        cond: Cond {
            unless,
            groups: Vec::new(),
        },
        ..Default::default()
    };
    let mut cur: Option<Vec<CondTerm>> = None;
    let mut suite_val = !0u32;
    let mut neg = false;
    let mut i = 0;
    while i < words.len() {
        let mut word = words[i];
        while let Some(r) = word.strip_prefix('!') {
            neg = !neg;
            word = r;
        }
        if word.is_empty() {
            i += 1;
            continue;
        }
        if word.eq_ignore_ascii_case("or") || word == "||" {
            info.val |= suite_val;
            suite_val = !0;
            if let Some(g) = cur.take() {
                info.cond.groups.push(g);
            }
            neg = false;
            i += 1;
            continue;
        }
        let term;
        if word == "{" {
            let end = words[i + 1..]
                .iter()
                .position(|w| *w == "}")
                .map(|p| p + i + 1)
                .ok_or_else(|| "missing closing '}' in condition".to_string())?;
            let inner = &words[i + 1..end];
            let mut inner_v = inner.to_vec();
            inner_v.push("");
            let p = acl::parse_acl_expr(&inner_v, env)?;
            info.warnings.extend(p.warnings.iter().cloned());
            info.use_ |= p.use_;
            suite_val &= p.val;
            info.terms.push(TermInfo {
                name: String::new(),
                kws: vec![(p.expr.kw.clone(), p.val)],
                val: p.val,
            });
            term = CondTerm {
                negate: neg,
                acl: AclRef::Anonymous(inner.iter().map(|s| s.to_string()).collect()),
                expr: Some(p.expr),
            };
            i = end;
        } else if let Some(t) = named_acl(st, px, word) {
            let p = &st.model.proxies[px];
            for a in p.rules.acls_named(word) {
                info.use_ |= a.use_;
            }
            suite_val &= t.val;
            info.terms.push(t);
            term = CondTerm {
                negate: neg,
                acl: AclRef::Named(word.to_string()),
                expr: None,
            };
        } else {
            let p = acl::predefined(word).ok_or_else(|| format!("no such ACL : '{word}'"))?;
            info.use_ |= p.use_;
            suite_val &= p.val;
            info.terms.push(TermInfo {
                name: word.to_string(),
                kws: vec![(p.expr.kw.clone(), p.val)],
                val: p.val,
            });
            term = CondTerm {
                negate: neg,
                acl: AclRef::Named(word.to_string()),
                expr: Some(p.expr),
            };
        }
        cur.get_or_insert_with(Vec::new).push(term);
        neg = false;
        i += 1;
    }
    if let Some(g) = cur.take() {
        info.cond.groups.push(g);
    }
    info.val |= suite_val;
    Ok(info)
}

/// `warnif_cond_conflicts()`: the warning HAProxy prints when a condition cannot match
/// where it is used (`where_` is a `SMP_VAL_*` set), without the location prefix.
pub fn cond_conflict_warning(info: &CondInfo, where_: u32) -> Option<String> {
    let ckp = kw::ckp_name(where_);
    // An ACL none of whose keywords is usable here.
    for t in &info.terms {
        if t.val & where_ == 0 {
            return Some(if t.name.is_empty() {
                format!(
                    "anonymous acl will never match because it uses keyword '{}' which is incompatible with '{ckp}'",
                    t.kws.first().map(|k| k.0.as_str()).unwrap_or("")
                )
            } else {
                format!(
                    "acl '{}' will never match because it only involves keywords that are incompatible with '{ckp}'",
                    t.name
                )
            });
        }
    }
    for t in &info.terms {
        if let Some((k, _)) = t.kws.iter().find(|(_, v)| v & where_ == 0) {
            return Some(if t.name.is_empty() {
                format!("anonymous acl involves keyword '{k}' which is incompatible with '{ckp}'")
            } else {
                format!(
                    "acl '{}' involves keywords '{k}' which is incompatible with '{ckp}'",
                    t.name
                )
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Mode, Proxy, ProxyCap};

    pub fn state() -> State {
        let mut st = State::new(
            crate::config::Diag::new(),
            crate::config::ParseEnv::offline(),
        );
        st.model.proxies.push(Proxy {
            name: "fe".into(),
            cap: ProxyCap::LISTEN,
            mode: Mode::Http,
            ..Default::default()
        });
        st
    }

    fn c(st: &State, s: &str) -> Result<CondInfo, String> {
        let w: Vec<&str> = s.split(' ').collect();
        parse_cond_info(st, 0, &w)
    }

    #[test]
    fn conditions() {
        let st = state();
        let i = c(&st, "if TRUE !FALSE || METH_GET").unwrap();
        assert_eq!(i.cond.groups.len(), 2);
        assert_eq!(i.cond.groups[0].len(), 2);
        assert!(i.cond.groups[0][1].negate);
        assert_eq!(c(&st, "if foo").unwrap_err(), "no such ACL : 'foo'");
        assert_eq!(
            c(&st, "when TRUE").unwrap_err(),
            "conditions must start with either 'if' or 'unless'"
        );
        let i = c(&st, "unless { path_beg /a } or { src 10.0.0.1 }").unwrap();
        assert!(i.cond.unless);
        assert_eq!(i.cond.groups.len(), 2);
        assert_eq!(
            c(&st, "if { path_beg /a").unwrap_err(),
            "missing closing '}' in condition"
        );
        assert!(c(&st, "if ! TRUE").unwrap().cond.groups[0][0].negate);
        let i = c(&st, "if { res.hdr(x) -m found }").unwrap();
        assert!(cond_conflict_warning(&i, kw::val::FE_HRQ_HDR).is_some());
        assert!(cond_conflict_warning(&i, kw::val::FE_HRS_HDR).is_none());
    }
}
