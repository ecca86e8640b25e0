//! Variables (`set-var`, `var()`): HAProxy's scopes `proc`, `sess`, `txn`, `req`, `res`.
//!
//! `proc` variables are shared by every thread; the others live with the session or the
//! transaction that set them, so they need no locking. Scopes hold few variables in
//! practice, so a vector searched linearly beats hashing.

use std::sync::{Arc, Mutex};

use super::value::Smp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Proc,
    Sess,
    Txn,
    Req,
    Res,
    Check,
}

/// A variable reference compiled from `scope.name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VarName {
    pub scope: Scope,
    pub name: Box<str>,
}

impl VarName {
    /// Where the stream's `unique-id` is kept: a transaction variable whose name no
    /// configuration can spell (names cannot hold spaces).
    pub fn unique_id() -> VarName {
        VarName {
            scope: Scope::Txn,
            name: " unique-id".into(),
        }
    }

    /// Parses `txn.foo`. The configuration layer has already rejected bad names.
    pub fn parse(full: &str) -> Option<VarName> {
        let (s, n) = full.split_once('.')?;
        let scope = match s {
            "proc" => Scope::Proc,
            "sess" => Scope::Sess,
            "txn" => Scope::Txn,
            "req" => Scope::Req,
            "res" => Scope::Res,
            "check" => Scope::Check,
            _ => return None,
        };
        if n.is_empty() {
            return None;
        }
        Some(VarName {
            scope,
            name: n.into(),
        })
    }
}

/// The `set-var(name,cond…)` conditions of HAProxy 2.6 (`VF_COND_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetConds {
    pub ifexists: bool,
    pub ifnotexists: bool,
    pub ifempty: bool,
    pub ifnotempty: bool,
    pub ifset: bool,
    pub ifnotset: bool,
    pub ifgt: bool,
    pub iflt: bool,
}

impl SetConds {
    pub fn parse(words: &[String]) -> SetConds {
        let mut c = SetConds::default();
        for w in words {
            match w.as_str() {
                "ifexists" => c.ifexists = true,
                "ifnotexists" => c.ifnotexists = true,
                "ifempty" => c.ifempty = true,
                "ifnotempty" => c.ifnotempty = true,
                "ifset" => c.ifset = true,
                "ifnotset" => c.ifnotset = true,
                "ifgt" => c.ifgt = true,
                "iflt" => c.iflt = true,
                _ => {}
            }
        }
        c
    }

    /// `var_set()`'s checks: whether `new` may replace `old` (`None`: no value;
    /// `declared`: the variable exists anyway).
    fn allow(&self, old: Option<&Smp<'_>>, declared: bool, new: &Smp<'_>) -> bool {
        let exists = old.is_some() || declared;
        if self.ifexists && !exists || self.ifnotexists && exists {
            return false;
        }
        let empty = match new {
            Smp::Str(s) | Smp::Bin(s) | Smp::Meth(s) => s.is_empty(),
            _ => false,
        };
        if self.ifempty && !empty || self.ifnotempty && empty {
            return false;
        }
        if self.ifset && old.is_none() || self.ifnotset && old.is_some() {
            return false;
        }
        // `ifgt`: set only when the stored value is greater than the new one (`iflt`:
        // lower), as HAProxy 2.6 compares them; anything but two integers passes.
        if let (Some(Smp::Sint(o)), Smp::Sint(n)) = (old, new) {
            if self.ifgt && o <= n || self.iflt && o >= n {
                return false;
            }
        }
        true
    }
}

/// One scope's variables.
#[derive(Debug, Clone, Default)]
pub struct ScopeVars {
    vars: Vec<(Box<str>, Smp<'static>)>,
    /// Names that exist without a value: HAProxy creates the `proc.*` variables a
    /// configuration names while parsing it, so `ifexists` holds for them from the start.
    declared: Vec<Box<str>>,
}

impl ScopeVars {
    pub fn get(&self, name: &str) -> Option<&Smp<'static>> {
        self.vars.iter().find(|(n, _)| &**n == name).map(|(_, v)| v)
    }

    /// Makes `name` exist without a value.
    pub fn declare(&mut self, name: &str) {
        if !self.declared.iter().any(|n| &**n == name) {
            self.declared.push(name.into());
        }
    }

    fn set(&mut self, name: &str, v: Smp<'static>, c: &SetConds) -> bool {
        let i = self.vars.iter().position(|(n, _)| &**n == name);
        let declared = self.declared.iter().any(|n| &**n == name);
        if !c.allow(i.map(|i| &self.vars[i].1), declared, &v) {
            return false;
        }
        match i {
            Some(i) => self.vars[i].1 = v,
            None => self.vars.push((name.into(), v)),
        }
        true
    }

    fn unset(&mut self, name: &str) {
        self.vars.retain(|(n, _)| &**n != name);
    }

    pub fn clear(&mut self) {
        self.vars.clear();
    }
}

/// `proc.*` variables, one set per process.
pub type ProcVars = Arc<Mutex<ScopeVars>>;

/// Every variable a rule can see while a stream runs.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub proc: ProcVars,
    pub sess: ScopeVars,
    pub txn: ScopeVars,
    pub req: ScopeVars,
    pub res: ScopeVars,
    pub check: ScopeVars,
}

impl Vars {
    pub fn new(proc: ProcVars) -> Vars {
        Vars {
            proc,
            ..Default::default()
        }
    }

    fn scope_mut(&mut self, s: Scope) -> Option<&mut ScopeVars> {
        Some(match s {
            Scope::Proc => return None,
            Scope::Sess => &mut self.sess,
            Scope::Txn => &mut self.txn,
            Scope::Req => &mut self.req,
            Scope::Res => &mut self.res,
            Scope::Check => &mut self.check,
        })
    }

    /// The value of `v`, copied (a `proc` variable may change under another thread).
    pub fn get(&self, v: &VarName) -> Option<Smp<'static>> {
        let s = match v.scope {
            Scope::Proc => return self.proc.lock().ok()?.get(&v.name).cloned(),
            Scope::Sess => &self.sess,
            Scope::Txn => &self.txn,
            Scope::Req => &self.req,
            Scope::Res => &self.res,
            Scope::Check => &self.check,
        };
        s.get(&v.name).cloned()
    }

    /// Sets `v` unless `conds` forbid it; returns whether it was set.
    pub fn set(&mut self, v: &VarName, value: Smp<'_>, conds: &SetConds) -> bool {
        let value = value.into_owned();
        match self.scope_mut(v.scope) {
            Some(s) => s.set(&v.name, value, conds),
            None => match self.proc.lock() {
                Ok(mut p) => p.set(&v.name, value, conds),
                Err(_) => false,
            },
        }
    }

    pub fn unset(&mut self, v: &VarName) {
        match self.scope_mut(v.scope) {
            Some(s) => s.unset(&v.name),
            None => {
                if let Ok(mut p) = self.proc.lock() {
                    p.unset(&v.name)
                }
            }
        }
    }

    /// A new transaction on the same session: `txn`, `req` and `res` start empty.
    pub fn end_txn(&mut self) {
        self.txn.clear();
        self.req.clear();
        self.res.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_conditions() {
        let mut v = Vars::default();
        let x = VarName::parse("txn.x").unwrap();
        let none = SetConds::default();
        assert!(v.set(&x, Smp::Sint(3), &none));
        assert_eq!(v.get(&x), Some(Smp::Sint(3)));
        let gt = SetConds::parse(&["ifgt".into()]);
        assert!(!v.set(&x, Smp::Sint(4), &gt));
        assert!(v.set(&x, Smp::Sint(2), &gt));
        let notex = SetConds::parse(&["ifnotexists".into()]);
        assert!(!v.set(&x, Smp::Sint(9), &notex));
        v.end_txn();
        assert_eq!(v.get(&x), None);
        let p = VarName::parse("proc.p").unwrap();
        let mut w = Vars::new(v.proc.clone());
        w.set(&p, Smp::string("a"), &none);
        assert_eq!(v.get(&p), Some(Smp::string("a")));
        assert!(VarName::parse("foo").is_none());
    }
}
