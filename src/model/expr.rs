//! Sample expressions, ACLs, conditions and log-format strings as parsed from the
//! configuration. Names of fetches and converters are kept as text: the runtime looks them
//! up in its own tables, and the configuration layer has already checked they exist.

use std::net::{Ipv4Addr, Ipv6Addr};

/// HAProxy's sample types (`SMP_T_*`), in the order of its cast matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmpType {
    Any,
    Bool,
    Sint,
    Addr,
    Ipv4,
    Ipv6,
    Str,
    Bin,
    Meth,
}

impl SmpType {
    /// HAProxy's `smp_to_type[]` name.
    pub fn name(self) -> &'static str {
        match self {
            SmpType::Any => "any",
            SmpType::Bool => "bool",
            SmpType::Sint => "sint",
            SmpType::Addr => "addr",
            SmpType::Ipv4 => "ipv4",
            SmpType::Ipv6 => "ipv6",
            SmpType::Str => "str",
            SmpType::Bin => "bin",
            SmpType::Meth => "meth",
        }
    }

    /// `sample_casts[self][to] != NULL`: whether a value of this type may feed `to`.
    pub fn casts_to(self, to: SmpType) -> bool {
        use SmpType::*;
        match (self, to) {
            (Any, _) | (_, Any) => true,
            (Bool, Bool | Sint | Str | Bin) => true,
            (Sint, Bool | Sint | Addr | Ipv4 | Ipv6 | Str | Bin) => true,
            (Addr, _) => false,
            (Ipv4, Sint | Addr | Ipv4 | Ipv6 | Str | Bin) => true,
            (Ipv6, Addr | Ipv4 | Ipv6 | Str | Bin) => true,
            (Str, _) => true,
            (Bin, Str | Bin | Meth) => true,
            (Meth, Str | Bin | Meth) => true,
            _ => false,
        }
    }
}

/// One argument of a fetch or converter, after HAProxy's `make_arg_list()`.
/// References to other objects stay names until the post-parse resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    Sint(i64),
    Str(String),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    /// A frontend name (empty: the current proxy).
    Fe(String),
    Be(String),
    /// A stick-table name (empty: the current proxy's table).
    Tab(String),
    /// `srv` or `backend/srv`.
    Srv(String),
    Usr(String),
    Reg(String),
    /// A variable name with its scope (`txn.foo`).
    Var(String),
    PbufFnum(Vec<u32>),
}

/// `fetch(args),conv(args),…`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleExpr {
    pub fetch: String,
    pub args: Vec<ArgValue>,
    pub convs: Vec<ConvExpr>,
    /// Output type of the whole chain.
    pub out: SmpType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvExpr {
    pub name: String,
    pub args: Vec<ArgValue>,
}

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
    /// The compiled expression of an anonymous ACL (`{ … }`) or of a predefined ACL
    /// (`TRUE`, `METH_GET`…) used without having been redefined.
    pub expr: Option<AclExpr>,
}

#[derive(Debug, Clone)]
pub enum AclRef {
    /// A named ACL (declared or predefined).
    Named(String),
    /// An anonymous ACL `{ criterion patterns }`.
    Anonymous(Vec<String>),
}

/// Pattern matching method (`-m`), HAProxy's `PAT_MATCH_*` plus the two keyword-specific
/// parsers (`method`, dotted versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMethod {
    Found,
    Bool,
    Int,
    Ip,
    Bin,
    Len,
    Str,
    Beg,
    Sub,
    Dir,
    Dom,
    End,
    Reg,
    Regm,
    /// The `method` ACL: known methods or tokens.
    Meth,
    /// `req.ssl_ver`: `major.minor` ranges, compared as integers.
    DottedVer,
}

/// One parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Inclusive integer range; `None` = unbounded.
    Int {
        min: Option<i64>,
        max: Option<i64>,
    },
    Ipv4 {
        addr: Ipv4Addr,
        mask: Ipv4Addr,
    },
    Ipv6 {
        addr: Ipv6Addr,
        prefix: u8,
    },
    Str(String),
    Bin(Vec<u8>),
    Reg(String),
}

/// One ACL expression: a sample, how to match it and the patterns.
#[derive(Debug, Clone)]
pub struct AclExpr {
    /// The keyword as written (ACL alias or fetch name).
    pub kw: String,
    pub smp: SampleExpr,
    pub method: MatchMethod,
    pub ignore_case: bool,
    pub no_dns: bool,
    pub patterns: Vec<Pattern>,
    /// `-f` files, patterns already loaded into `patterns`.
    pub files: Vec<String>,
    /// How many of `patterns` (a prefix: `-f` comes before inline patterns) came from
    /// the files.
    pub file_patterns: usize,
    /// `-M`: files are maps (key value).
    pub map: bool,
    pub unique_id: Option<i64>,
}

/// A compiled log-format string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFormat {
    pub nodes: Vec<LfNode>,
}

/// Log-format node options (`%{+Q}`…), HAProxy's `LOG_OPT_*` subset set by flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LfOptions {
    pub mandatory: bool,
    pub quote: bool,
    pub hexa: bool,
    pub escape: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LfNode {
    Text(String),
    /// A run of spaces when spaces are merged (log-format proper).
    Separator,
    /// `%ci`, `%ST`…: the variable name.
    Var {
        name: String,
        opts: LfOptions,
    },
    /// `%[expr]`.
    Expr {
        expr: SampleExpr,
        opts: LfOptions,
    },
}
