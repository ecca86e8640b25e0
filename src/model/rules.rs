//! Rule lists of a proxy: ACLs, `http-request`/`http-response`/`tcp-*` rules, routing,
//! stick tables and stickiness rules.

use super::expr::{AclExpr, Cond, LogFormat, SampleExpr};
use super::Loc;

#[derive(Debug, Clone, Default)]
pub struct ProxyRules {
    /// ACL lines in declaration order. Add with [`ProxyRules::push_acl`] so that the name
    /// index stays in step: configurations with thousands of ACLs look names up per rule.
    pub acls: Vec<Acl>,
    acl_index: std::collections::HashMap<String, Vec<usize>>,
    pub http_request: Vec<Rule>,
    pub http_response: Vec<Rule>,
    pub http_after_response: Vec<Rule>,
    pub tcp_request_connection: Vec<Rule>,
    pub tcp_request_session: Vec<Rule>,
    pub tcp_request_content: Vec<Rule>,
    pub tcp_response_content: Vec<Rule>,
    pub use_backend: Vec<UseBackend>,
    pub use_server: Vec<UseBackend>,
    /// `tcp-request inspect-delay`, in milliseconds.
    pub tcp_request_inspect_delay: Option<u32>,
    /// `tcp-response inspect-delay`, in milliseconds.
    pub tcp_response_inspect_delay: Option<u32>,
    /// `redirect` rules (run with the http-request rules' redirects, after them).
    pub redirects: Vec<Rule>,
    pub stick_table: Option<StickTable>,
    pub stick_rules: Vec<StickRule>,
}

impl ProxyRules {
    pub fn push_acl(&mut self, acl: Acl) {
        self.acl_index
            .entry(acl.name.clone())
            .or_default()
            .push(self.acls.len());
        self.acls.push(acl);
    }

    /// The lines of the ACL `name` (several lines with one name are OR-ed), in order.
    pub fn acls_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Acl> + 'a {
        self.acl_index
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &self.acls[i])
    }
}

/// A named ACL line (`acl name criterion [flags] patterns`).
#[derive(Debug, Clone)]
pub struct Acl {
    pub name: String,
    pub loc: Loc,
    pub words: Vec<String>,
    /// The compiled expression of this line (lines with the same name are OR-ed).
    pub expr: Option<AclExpr>,
    /// The ACL keyword as written (for "incompatible with" warnings).
    pub kw: String,
    /// `SMP_USE_*` sources and `SMP_VAL_*` check points of its fetch.
    pub use_: u32,
    pub val: u32,
}

/// One rule: the action words and its optional condition.
#[derive(Debug, Clone)]
pub struct Rule {
    pub loc: Loc,
    /// The action keyword as written (`set-header`, `set-var(txn.x)`, `track-sc0`…).
    pub action: String,
    /// The action's arguments as written (before the condition).
    pub args: Vec<String>,
    pub cond: Option<Cond>,
    /// The action, typed for those the runtime needs.
    pub kind: Action,
}

/// Typed actions. Actions whose runtime is not built yet are validated and kept as
/// [`Action::Other`] with the raw words in [`Rule::args`].
#[derive(Debug, Clone, Default)]
pub enum Action {
    Allow,
    Deny(Reply),
    /// `tcp-request … reject`, `http-request reject`.
    Reject,
    Tarpit(Reply),
    Return(Reply),
    Redirect(Redirect),
    Auth {
        realm: Option<String>,
    },
    /// `set-header`/`add-header`: name and log-format value.
    SetHeader {
        add: bool,
        name: String,
        value: LogFormat,
    },
    DelHeader {
        name: String,
        /// `-m str|beg|end|sub|reg`, default `str`.
        method: String,
    },
    /// `replace-header`/`replace-value`.
    ReplaceHeader {
        value_only: bool,
        name: String,
        regex: String,
        replace: LogFormat,
    },
    /// `set-path`, `set-pathq`, `set-query`, `set-uri`, `set-method`, `replace-path`…:
    /// which part, optional regex (replace-*), and the format.
    Rewrite {
        what: String,
        regex: Option<String>,
        fmt: LogFormat,
    },
    SetVar {
        name: String,
        conds: Vec<String>,
        expr: SampleExpr,
    },
    SetVarFmt {
        name: String,
        conds: Vec<String>,
        fmt: LogFormat,
    },
    UnsetVar {
        name: String,
    },
    SetStatus {
        status: u16,
        reason: Option<String>,
    },
    UseService(String),
    Capture {
        expr: SampleExpr,
        /// `len N` or `id N`.
        len: Option<u32>,
        id: Option<u32>,
    },
    SetLogLevel(String),
    SetTimeout {
        which: String,
        value: TimeoutValue,
    },
    /// `track-scN <key> [table <t>]`.
    TrackSc {
        n: u32,
        key: SampleExpr,
        table: Option<String>,
    },
    /// `set-priority-class` / `set-priority-offset`.
    SetPriority {
        class: bool,
        expr: SampleExpr,
    },
    /// `strict-mode on|off`.
    StrictMode(bool),
    /// `set-map(file) key value`, `del-map(file) key`, `add-acl(file) key`,
    /// `del-acl(file) key`: `op` is the action name without its file.
    MapEdit {
        op: String,
        file: String,
        key: LogFormat,
        value: Option<LogFormat>,
    },
    /// `early-hint <name> <fmt>`.
    EarlyHint {
        name: String,
        value: LogFormat,
    },
    /// `set-src`, `set-dst`, `set-src-port`, `set-dst-port`: which one, and the value.
    SetAddr {
        what: String,
        expr: SampleExpr,
    },
    /// `sc-inc-gpc0(<sc>)`, `sc-inc-gpc1(<sc>)` (`legacy`, falling back on the `gpc`
    /// array) and `sc-inc-gpc(<idx>,<sc>)`.
    ScIncGpc {
        idx: u32,
        legacy: bool,
        sc: u32,
    },
    /// `sc-set-gpt0(<sc>) <value>` (`legacy`) and `sc-set-gpt(<idx>,<sc>) <value>`.
    ScSetGpt {
        idx: u32,
        legacy: bool,
        sc: u32,
        value: GptValue,
    },
    /// `set-mark`…: validated only.
    #[default]
    Other,
}

/// `sc-set-gpt*` value: an integer or an expression.
#[derive(Debug, Clone)]
pub enum GptValue {
    Const(i64),
    Expr(SampleExpr),
}

/// `set-timeout` value: a constant or an expression.
#[derive(Debug, Clone)]
pub enum TimeoutValue {
    Const(u32),
    Expr(SampleExpr),
}

/// The reply of `deny`, `tarpit`, `return`, `http-error`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: ReplyBody,
    /// `hdr <name> <fmt>`.
    pub headers: Vec<(String, LogFormat)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ReplyBody {
    #[default]
    Empty,
    /// `string` or `file` contents.
    Raw(Vec<u8>),
    /// `lf-string` or `lf-file` contents.
    LogFormat(LogFormat),
    /// `errorfile <path>` contents.
    ErrorFile(String),
    /// `errorfiles <http-errors section>`.
    ErrorFiles(String),
    /// `default-errorfiles`.
    DefaultErrorFiles,
}

/// `redirect location|prefix|scheme <fmt> [code N] [option]…`.
#[derive(Debug, Clone)]
pub struct Redirect {
    /// `location`, `prefix` or `scheme`.
    pub kind: String,
    pub target: LogFormat,
    pub code: u16,
    pub drop_query: bool,
    pub append_slash: bool,
    pub set_cookie: Option<String>,
    pub clear_cookie: Option<String>,
}

/// `use_backend <name> [if|unless cond]` (also `use-server`).
#[derive(Debug, Clone)]
pub struct UseBackend {
    pub loc: Loc,
    pub target: String,
    pub cond: Option<Cond>,
    /// `%[…]` names resolved per request (`use_backend` only).
    pub dynamic: Option<LogFormat>,
}

/// `stick-table type … size … [expire …] [store …]…`.
#[derive(Debug, Clone, Default)]
pub struct StickTable {
    pub loc: Loc,
    /// `ip`, `ipv6`, `integer`, `string`, `binary`.
    pub key_type: String,
    pub key_len: Option<u32>,
    pub size: u32,
    pub expire: Option<u32>,
    pub nopurge: bool,
    pub peers: Option<String>,
    pub srvkey: Option<String>,
    /// `store` data types with their optional period/arg (`http_req_rate(10s)`).
    pub store: Vec<(String, Option<String>)>,
}

/// `stick on|match|store-request|store-response <expr> [table t] [if|unless cond]`.
#[derive(Debug, Clone)]
pub struct StickRule {
    pub loc: Loc,
    pub kind: StickKind,
    pub expr: SampleExpr,
    pub table: Option<String>,
    pub cond: Option<Cond>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StickKind {
    On,
    Match,
    StoreRequest,
    StoreResponse,
}
