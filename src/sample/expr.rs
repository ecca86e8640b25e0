//! Compiled sample expressions (`fetch,conv1,conv2…`), ACLs and `if`/`unless` conditions.

use super::conv::{Conv, ConvCx};
use super::fetch::{Fetch, Txn};
use super::map::MapCache;
use super::pattern::PatSet;
use super::value::Smp;
use crate::model::expr::{AclExpr, AclRef, Cond, MatchMethod, SampleExpr, SmpType};
use crate::model::rules::ProxyRules;

/// `fetch,conv…`, ready to run.
#[derive(Debug, Clone)]
pub struct Expr {
    fetch: Fetch,
    convs: Vec<Conv>,
}

impl Expr {
    /// `Err`: the name of the fetch or converter the runtime does not implement yet.
    pub fn compile(e: &SampleExpr, maps: &mut MapCache) -> Result<Expr, String> {
        let fetch = Fetch::compile(&e.fetch, &e.args)?;
        let convs = e
            .convs
            .iter()
            .map(|c| Conv::compile(&c.name, &c.args, maps))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Expr { fetch, convs })
    }

    pub fn fetch(&self) -> &Fetch {
        &self.fetch
    }

    /// The value in a sample context (a header fetch yields its last occurrence).
    pub fn eval<'a>(&self, t: &mut Txn<'a>) -> Option<Smp<'a>> {
        let v = self.fetch.one(t)?;
        self.convert(v, t)
    }

    /// The value cast to `ty` (`None` when the cast does not exist or fails).
    pub fn eval_as<'a>(&self, t: &mut Txn<'a>, ty: SmpType) -> Option<Smp<'a>> {
        self.eval(t)?.cast(ty)
    }

    fn convert<'a>(&self, mut v: Smp<'a>, t: &mut Txn<'a>) -> Option<Smp<'a>> {
        if self.convs.is_empty() {
            return Some(v);
        }
        let mut cx = ConvCx {
            vars: t.vars,
            env: t.s.env,
        };
        for c in &self.convs {
            v = c.apply(v, &mut cx)?;
            if c.settles() {
                t.missed.set(false);
            }
        }
        Some(v)
    }

    /// Whether any value (ACL context: every occurrence) satisfies `f`.
    pub fn any<'a>(&self, t: &mut Txn<'a>, f: &mut dyn FnMut(&Smp<'_>) -> bool) -> bool {
        if self.convs.is_empty() {
            let mut hit = false;
            self.fetch.each(t, true, &mut |v| {
                hit = f(&v);
                hit
            });
            return hit;
        }
        // Converters may set variables: gather the values first.
        let mut vals = Vec::new();
        self.fetch.each(t, true, &mut |v| {
            vals.push(v);
            false
        });
        vals.into_iter()
            .filter_map(|v| self.convert(v, t))
            .any(|v| f(&v))
    }
}

/// One ACL line: expression, match method, patterns.
#[derive(Debug, Clone)]
pub struct Acl {
    expr: Expr,
    method: MatchMethod,
    pats: PatSet,
    /// `-f` files, read through the shared map store so that `add-acl`/`del-acl` (and
    /// later the CLI) change what the ACL matches.
    files: Vec<super::map::Map>,
}

impl Acl {
    pub fn compile(a: &AclExpr, maps: &mut MapCache) -> Result<Acl, String> {
        let expr = Expr::compile(&a.smp, maps)?;
        let mut files = Vec::new();
        let mut inline = &a.patterns[..];
        if !a.files.is_empty() && !matches!(a.method, MatchMethod::Found | MatchMethod::Bool) {
            for f in &a.files {
                files.push(maps.load_icase(f, a.method, a.ignore_case, super::map::Out::Str)?);
            }
            inline = &a.patterns[a.file_patterns.min(a.patterns.len())..];
        }
        let pats = PatSet::compile(a.method, a.ignore_case, inline)?;
        Ok(Acl {
            expr,
            method: a.method,
            pats,
            files,
        })
    }

    pub fn eval(&self, t: &mut Txn<'_>) -> bool {
        // `http_auth_group(ul) g1 g2`: the user's groups against the patterns.
        if let super::fetch::Fetch::HttpAuthGroup(ul) = self.expr.fetch() {
            let Some(groups) = super::fetch::auth_groups(t, ul) else {
                return false;
            };
            return groups
                .iter()
                .any(|g| self.pats.matches(&Smp::str(g.as_bytes())));
        }
        match self.method {
            MatchMethod::Found => self.expr.any(t, &mut |_| true),
            _ if self.files.is_empty() => self.expr.any(t, &mut |v| self.pats.matches(v)),
            _ => self.expr.any(t, &mut |v| {
                self.pats.matches(v) || self.files.iter().any(|m| m.matches(v))
            }),
        }
    }
}

#[derive(Debug, Clone)]
enum Term {
    /// A named ACL declared on several lines: any line matching is a match.
    Any(Vec<Acl>),
    /// What the runtime cannot evaluate (reported once at start-up).
    Never,
}

/// `if|unless` condition: OR of AND-groups of possibly negated terms.
#[derive(Debug, Clone, Default)]
pub struct CondRt {
    unless: bool,
    groups: Vec<Vec<(bool, Term)>>,
}

impl CondRt {
    /// Compiles `cond` against the proxy's named ACLs; what cannot run is reported in
    /// `warnings` and makes its term false.
    pub fn compile(
        cond: &Cond,
        acls: &ProxyRules,
        maps: &mut MapCache,
        warnings: &mut Vec<String>,
    ) -> CondRt {
        let mut term = |t: &crate::model::expr::CondTerm| -> Term {
            let exprs: Vec<&AclExpr> = match (&t.acl, &t.expr) {
                (_, Some(e)) => vec![e],
                (AclRef::Named(n), None) => {
                    acls.acls_named(n).filter_map(|a| a.expr.as_ref()).collect()
                }
                (AclRef::Anonymous(_), None) => Vec::new(),
            };
            let mut out = Vec::new();
            for e in exprs {
                match Acl::compile(e, maps) {
                    Ok(a) => out.push(a),
                    Err(what) => {
                        warnings.push(format!(
                            "ACL keyword '{}' uses {what}, parsed but not active yet in haproxy-rs; the condition is never true",
                            e.kw
                        ));
                        return Term::Never;
                    }
                }
            }
            Term::Any(out)
        };
        let groups = cond
            .groups
            .iter()
            .map(|g| g.iter().map(|t| (t.negate, term(t))).collect())
            .collect();
        CondRt {
            unless: cond.unless,
            groups,
        }
    }

    pub fn eval(&self, t: &mut Txn<'_>) -> bool {
        self.eval_tri(t).unwrap_or(self.unless)
    }

    /// HAProxy's three-state `acl_exec_cond()`: `None` is a miss (a term is false on a
    /// sample that may still change while more data can come: the rules wait), else
    /// the condition's verdict with `unless` applied. A miss survives `!`; an AND suite
    /// is false at its first false term, else a miss if a term missed; the OR of suites
    /// is true at its first true suite, else a miss if one missed.
    pub fn eval_tri(&self, t: &mut Txn<'_>) -> Option<bool> {
        let outer = t.missed.replace(false);
        let mut any_miss = false;
        let mut pass = false;
        'suites: for g in &self.groups {
            let mut suite_miss = false;
            for (neg, term) in g {
                t.missed.set(false);
                let v = match term {
                    Term::Any(acls) => acls.iter().any(|a| a.eval(t)),
                    Term::Never => false,
                };
                if !v && t.missed.get() {
                    suite_miss = true;
                    continue;
                }
                if v == *neg {
                    continue 'suites;
                }
            }
            if suite_miss {
                any_miss = true;
                continue;
            }
            pass = true;
            break;
        }
        t.missed.set(outer || any_miss);
        if !pass && any_miss {
            return None;
        }
        Some(pass != self.unless)
    }
}
