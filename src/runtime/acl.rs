//! ACL conditions (`if`/`unless`) for the quickstart runtime: the common request-matching
//! criteria (`path*`, `url*`, `method`, `hdr*`, `query`) and HAProxy's predefined ACLs.
//!
//! A criterion the runtime cannot evaluate makes its term false and is reported once at
//! start-up, so that an unsupported rule never fires silently.

use super::sample::{Fetch, Req};
use crate::model::expr::{AclRef, Cond};
use crate::model::rules::{Acl, ProxyRules};

#[derive(Debug, Clone)]
enum Match {
    Str,
    Beg,
    End,
    Sub,
    Found,
    Reg(Vec<regex::Regex>),
}

/// One ACL test: fetch, match method and patterns.
#[derive(Debug, Clone)]
struct Test {
    fetch: Fetch,
    how: Match,
    icase: bool,
    patterns: Vec<String>,
}

#[derive(Debug, Clone)]
enum Term {
    Const(bool),
    /// A named ACL may be declared on several lines: any of them matching is a match.
    Any(Vec<Test>),
    HttpVersion(u8),
    Methods(&'static [&'static str]),
}

/// A compiled condition: OR of AND-groups of possibly negated terms.
#[derive(Debug, Clone, Default)]
pub struct CondRt {
    unless: bool,
    groups: Vec<Vec<(bool, Term)>>,
}

impl CondRt {
    /// Compiles `cond` against the proxy's named ACLs. Unsupported criteria are pushed to
    /// `warnings` and evaluate to false.
    pub fn compile(cond: &Cond, acls: &ProxyRules, warnings: &mut Vec<String>) -> CondRt {
        let groups = cond
            .groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|t| (t.negate, compile_ref(&t.acl, acls, warnings)))
                    .collect()
            })
            .collect();
        CondRt {
            unless: cond.unless,
            groups,
        }
    }

    pub fn eval(&self, req: &Req) -> bool {
        let any = self
            .groups
            .iter()
            .any(|g| g.iter().all(|(neg, t)| t.eval(req) != *neg));
        any != self.unless
    }
}

fn compile_ref(r: &AclRef, acls: &ProxyRules, warnings: &mut Vec<String>) -> Term {
    match r {
        AclRef::Anonymous(words) => match compile_test(words) {
            Ok(t) => Term::Any(vec![t]),
            Err(e) => {
                warnings.push(e);
                Term::Const(false)
            }
        },
        AclRef::Named(name) => {
            let decl: Vec<&Acl> = acls.acls_named(name).collect();
            if decl.is_empty() {
                return predefined(name).unwrap_or_else(|| {
                    warnings.push(format!("ACL '{name}' is not known to the runtime"));
                    Term::Const(false)
                });
            }
            let mut tests = Vec::new();
            for a in decl {
                match compile_test(&a.words) {
                    Ok(t) => tests.push(t),
                    Err(e) => warnings.push(format!("ACL '{name}' at [{}]: {e}", a.loc)),
                }
            }
            Term::Any(tests)
        }
    }
}

/// HAProxy's predefined ACLs that make sense for an HTTP request.
fn predefined(name: &str) -> Option<Term> {
    Some(match name {
        "TRUE" | "HTTP" => Term::Const(true),
        "FALSE" | "HTTP_2.0" => Term::Const(false),
        "HTTP_1.0" => Term::HttpVersion(0),
        "HTTP_1.1" => Term::HttpVersion(1),
        "METH_GET" => Term::Methods(&["GET", "HEAD"]),
        "METH_HEAD" => Term::Methods(&["HEAD"]),
        "METH_POST" => Term::Methods(&["POST"]),
        "METH_PUT" => Term::Methods(&["PUT"]),
        "METH_DELETE" => Term::Methods(&["DELETE"]),
        "METH_OPTIONS" => Term::Methods(&["OPTIONS"]),
        "METH_TRACE" => Term::Methods(&["TRACE"]),
        "METH_CONNECT" => Term::Methods(&["CONNECT"]),
        "HTTP_URL_SLASH" => Term::Any(vec![Test {
            fetch: Fetch::Url,
            how: Match::Beg,
            icase: false,
            patterns: vec!["/".into()],
        }]),
        "HTTP_URL_STAR" => Term::Any(vec![Test {
            fetch: Fetch::Url,
            how: Match::Str,
            icase: false,
            patterns: vec!["*".into()],
        }]),
        _ => return None,
    })
}

/// `criterion [flags] patterns…` → a test, or why it cannot be evaluated.
fn compile_test(words: &[String]) -> Result<Test, String> {
    let crit = words.first().map(String::as_str).unwrap_or("");
    let (fetch, mut how) = criterion(crit).ok_or_else(|| {
        format!("criterion '{crit}' is not evaluated by the haproxy-rs runtime yet")
    })?;
    let mut icase = false;
    let mut i = 1;
    while let Some(w) = words.get(i).filter(|w| w.starts_with('-')) {
        i += 1;
        match w.as_str() {
            "-i" => icase = true,
            "-n" => {}
            "--" => break,
            "-m" => {
                let m = words.get(i).map(String::as_str).unwrap_or("");
                i += 1;
                how = match m {
                    "str" => Match::Str,
                    "beg" => Match::Beg,
                    "end" => Match::End,
                    "sub" => Match::Sub,
                    "found" => Match::Found,
                    "reg" => Match::Reg(Vec::new()),
                    _ => return Err(format!("match method '-m {m}' is not supported yet")),
                };
            }
            _ => return Err(format!("ACL flag '{w}' is not supported yet")),
        }
    }
    let patterns: Vec<String> = words[i.min(words.len())..].to_vec();
    if let Match::Reg(_) = how {
        let res = patterns
            .iter()
            .map(|p| {
                regex::RegexBuilder::new(p)
                    .case_insensitive(icase)
                    .build()
                    .map_err(|e| format!("bad regex '{p}': {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        how = Match::Reg(res);
    }
    Ok(Test {
        fetch,
        how,
        icase,
        patterns,
    })
}

fn criterion(c: &str) -> Option<(Fetch, Match)> {
    let (base, arg) = match c.split_once('(') {
        Some((b, a)) => (b, Some(a)),
        None => (c, None),
    };
    let (fetch_name, how) = match base.rsplit_once('_') {
        Some((f, "beg")) => (f, Match::Beg),
        Some((f, "end")) => (f, Match::End),
        Some((f, "sub")) => (f, Match::Sub),
        Some((f, "reg")) => (f, Match::Reg(Vec::new())),
        _ => (base, Match::Str),
    };
    let text = match arg {
        Some(a) => format!("{fetch_name}({a}"),
        None => fetch_name.to_string(),
    };
    Fetch::parse(&text).map(|f| (f, how))
}

impl Term {
    fn eval(&self, req: &Req) -> bool {
        match self {
            Term::Const(b) => *b,
            Term::HttpVersion(m) => req.minor == *m,
            Term::Methods(ms) => ms.contains(&req.method.as_str()),
            Term::Any(tests) => tests.iter().any(|t| t.eval(req)),
        }
    }
}

impl Test {
    fn eval(&self, req: &Req) -> bool {
        let values = self.fetch.values(req);
        if let Match::Found = self.how {
            return !values.is_empty();
        }
        values.iter().any(|v| self.matches(v))
    }

    fn matches(&self, v: &str) -> bool {
        if let Match::Reg(res) = &self.how {
            return res.iter().any(|r| r.is_match(v));
        }
        let v = if self.icase {
            v.to_ascii_lowercase()
        } else {
            v.to_string()
        };
        let v = v.as_str();
        self.patterns.iter().any(|p| {
            let p = if self.icase {
                p.to_ascii_lowercase()
            } else {
                p.clone()
            };
            match self.how {
                Match::Str => v == p,
                Match::Beg => v.starts_with(&p),
                Match::End => v.ends_with(&p),
                Match::Sub => v.contains(&p),
                Match::Found | Match::Reg(_) => false,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::expr::CondTerm;
    use crate::runtime::testutil::{acl, anon, cond as mk_cond, named};

    fn req(method: &str, uri: &str) -> Req {
        Req {
            method: method.into(),
            uri: uri.into(),
            minor: 1,
            headers: vec![("Host".into(), b"Example.com".to_vec())],
        }
    }

    fn cond(unless: bool, groups: Vec<Vec<CondTerm>>) -> CondRt {
        let mut w = Vec::new();
        let c = CondRt::compile(&mk_cond(unless, groups), &ProxyRules::default(), &mut w);
        assert!(w.is_empty(), "{w:?}");
        c
    }

    #[test]
    fn path_matchers() {
        let c = cond(false, vec![vec![anon("path /", false)]]);
        assert!(c.eval(&req("GET", "/?x")));
        assert!(!c.eval(&req("GET", "/x")));
        let c = cond(false, vec![vec![anon("path_beg /api /v2", false)]]);
        assert!(c.eval(&req("GET", "/v2/x")));
        assert!(!c.eval(&req("GET", "/x")));
        let c = cond(false, vec![vec![anon("path_reg ^/[0-9]+$", false)]]);
        assert!(c.eval(&req("GET", "/42")));
    }

    #[test]
    fn and_or_negation_unless() {
        let c = cond(
            false,
            vec![
                vec![anon("method POST", false), anon("path /a", true)],
                vec![anon("path /b", false)],
            ],
        );
        assert!(c.eval(&req("POST", "/z")));
        assert!(!c.eval(&req("POST", "/a")));
        assert!(c.eval(&req("GET", "/b")));
        let c = cond(true, vec![vec![anon("path /b", false)]]);
        assert!(!c.eval(&req("GET", "/b")));
    }

    #[test]
    fn header_case_insensitive_flag() {
        let c = cond(false, vec![vec![anon("hdr(host) -i example.com", false)]]);
        assert!(c.eval(&req("GET", "/")));
        let c = cond(false, vec![vec![anon("hdr(host) example.com", false)]]);
        assert!(!c.eval(&req("GET", "/")));
    }

    #[test]
    fn named_and_predefined() {
        let mut acls = ProxyRules::default();
        acls.push_acl(acl("api", "path_beg /api"));
        acls.push_acl(acl("api", "path /v1"));
        let mut w = Vec::new();
        let c = CondRt::compile(
            &mk_cond(false, vec![vec![named("api"), named("METH_GET")]]),
            &acls,
            &mut w,
        );
        assert!(w.is_empty());
        assert!(c.eval(&req("HEAD", "/v1")));
        assert!(!c.eval(&req("POST", "/api")));
    }

    #[test]
    fn unsupported_is_false_and_reported() {
        let mut w = Vec::new();
        let c = CondRt::compile(
            &mk_cond(false, vec![vec![anon("src 127.0.0.1", false)]]),
            &ProxyRules::default(),
            &mut w,
        );
        assert_eq!(w.len(), 1);
        assert!(!c.eval(&req("GET", "/")));
    }
}
