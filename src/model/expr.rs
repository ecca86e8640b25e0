//! Sample expressions and ACL conditions as parsed from the configuration.

/// `if|unless <terms>`: a disjunction (`||` / `or`) of conjunctions of ACL terms.
#[derive(Debug, Clone, Default)]
pub struct Cond {
    pub unless: bool,
    /// OR of AND-groups; each term is an ACL reference, possibly negated or anonymous.
    pub groups: Vec<Vec<CondTerm>>,
}

#[derive(Debug, Clone)]
pub struct CondTerm {
    pub negate: bool,
    pub acl: AclRef,
}

#[derive(Debug, Clone)]
pub enum AclRef {
    /// A named ACL (declared or predefined).
    Named(String),
    /// An anonymous ACL `{ criterion patterns }`.
    Anonymous(Vec<String>),
}
