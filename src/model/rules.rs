//! Rule lists of a proxy: ACLs, `http-request`/`http-response`/`tcp-*` rules, routing.

use super::expr::Cond;
use super::Loc;

#[derive(Debug, Clone, Default)]
pub struct ProxyRules {
    pub acls: Vec<Acl>,
    pub http_request: Vec<Rule>,
    pub http_response: Vec<Rule>,
    pub http_after_response: Vec<Rule>,
    pub tcp_request_connection: Vec<Rule>,
    pub tcp_request_session: Vec<Rule>,
    pub tcp_request_content: Vec<Rule>,
    pub tcp_response_content: Vec<Rule>,
    pub use_backend: Vec<UseBackend>,
    pub use_server: Vec<UseBackend>,
}

/// A named ACL line (`acl name criterion [flags] patterns`).
#[derive(Debug, Clone)]
pub struct Acl {
    pub name: String,
    pub loc: Loc,
    pub words: Vec<String>,
}

/// One rule: the action words and its optional condition.
#[derive(Debug, Clone)]
pub struct Rule {
    pub loc: Loc,
    pub action: String,
    pub args: Vec<String>,
    pub cond: Option<Cond>,
}

/// `use_backend <name> [if|unless cond]` (also `use-server`).
#[derive(Debug, Clone)]
pub struct UseBackend {
    pub loc: Loc,
    pub target: String,
    pub cond: Option<Cond>,
}
