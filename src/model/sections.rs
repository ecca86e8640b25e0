//! The smaller sections: userlist, peers, resolvers, mailers, http-errors, ring, program,
//! cache, namespace_list.

use super::Loc;

/// `userlist <name>`: users and groups for `http_auth()` and `stats auth`.
#[derive(Debug, Clone, Default)]
pub struct Userlist {
    pub name: String,
    pub loc: Loc,
    /// `group <name> [users a,b]`: the name and the raw comma-separated user list.
    pub groups: Vec<(String, Vec<String>)>,
    pub users: Vec<User>,
}

#[derive(Debug, Clone, Default)]
pub struct User {
    pub name: String,
    pub password: String,
    pub insecure: bool,
    pub groups: Vec<String>,
}

/// The skeleton's untyped section record: only `peers` still answers to it (the CLI reads
/// the raw lines of a peers section to find the local peer).
pub type Generic = Peers;

/// `peers <name>`: the peers of stick-table synchronisation.
#[derive(Debug, Clone, Default)]
pub struct Peers {
    pub name: String,
    pub loc: Loc,
    pub disabled: bool,
    /// `peer` and `server` lines, in declaration order.
    pub peers: Vec<Peer>,
    /// The `bind` line of the local peer (address text, location, options).
    pub bind: Option<(String, Loc, Vec<String>)>,
    pub default_bind: Vec<String>,
    pub default_server: Vec<String>,
    /// `log` lines: words and location.
    pub logs: Vec<(Vec<String>, Loc)>,
    pub tables: Vec<PeersTable>,
    /// HAProxy creates the section's frontend on the first bind/peer/server/log/table line;
    /// without one, the section is incomplete at check time.
    pub has_frontend: bool,
    /// A `bind` line was seen (it cannot be mixed with `peer` lines).
    pub bind_line: bool,
    /// A `peer` line was seen.
    pub peer_line: bool,
    /// Where the section's frontend was last (re)declared (HAProxy's `peers_fe->conf`).
    pub fe_loc: Option<Loc>,
    /// The frontend's id: the local peer's name once its line was seen.
    pub fe_id: Option<String>,
    /// The first bind/default-bind/local peer line (HAProxy's `bind_conf` location).
    pub bind_conf_loc: Option<Loc>,
    /// Every line of the section after its header, as words, in order.
    pub lines: Vec<(Vec<String>, Loc)>,
    /// The parsed `default-server` settings peer servers start from.
    pub default_srv: Option<Box<super::Server>>,
}

/// One `peer` / `server` line.
#[derive(Debug, Clone, Default)]
pub struct Peer {
    /// `None` for a local peer created by `bind` before its `server` line named it.
    pub name: Option<String>,
    pub loc: Loc,
    /// Address text as written (empty when absent).
    pub addr_text: String,
    pub addr: Option<crate::config::addr::SaRange>,
    pub local: bool,
    /// Server options after the address, kept raw.
    pub options: Vec<String>,
    /// The peer's server as the `server` parser built it (remote peers, and local `peer`
    /// lines), with its options.
    pub server: Option<super::Server>,
}

/// `table <name> type … size …` in a peers section; `id` is `<peers>/<name>`.
#[derive(Debug, Clone, Default)]
pub struct PeersTable {
    pub id: String,
    pub loc: Loc,
    pub key_type: String,
    pub size: u32,
    pub args: Vec<String>,
}

/// `resolvers <name>`.
#[derive(Debug, Clone, Default)]
pub struct Resolvers {
    pub name: String,
    pub loc: Loc,
    pub nameservers: Vec<Nameserver>,
    pub parse_resolv_conf: bool,
    /// `hold <event> <time>` in ms, by event name.
    pub hold: Vec<(String, u32)>,
    pub accepted_payload_size: Option<u32>,
    pub resolve_retries: Option<i32>,
    pub timeout_resolve: Option<u32>,
    pub timeout_retry: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct Nameserver {
    pub name: String,
    pub loc: Loc,
    pub addr_text: String,
    pub addr: Option<crate::config::addr::SaRange>,
}

/// `mailers <name>`.
#[derive(Debug, Clone, Default)]
pub struct Mailers {
    pub name: String,
    pub loc: Loc,
    pub mailers: Vec<Mailer>,
    /// `timeout mail` in ms (HAProxy's default is 10s).
    pub timeout_mail: Option<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct Mailer {
    pub name: String,
    pub loc: Loc,
    pub addr_text: String,
    pub addr: Option<crate::config::addr::SaRange>,
}

/// `http-errors <name>`: status → error file.
#[derive(Debug, Clone, Default)]
pub struct HttpErrors {
    pub name: String,
    pub loc: Loc,
    /// `errorfile <status> <file>`, the last one per status wins.
    pub files: Vec<(u16, String, Loc)>,
}

/// `ring <name>`.
#[derive(Debug, Clone, Default)]
pub struct Ring {
    pub name: String,
    pub loc: Loc,
    pub description: Option<String>,
    pub format: Option<String>,
    pub maxlen: Option<u64>,
    pub size: Option<u64>,
    pub timeout_connect: Option<u32>,
    pub timeout_server: Option<u32>,
    /// `server` lines (forwarding targets), as the `server` parser built them.
    pub servers: Vec<super::Server>,
}

/// `program <name>` (master-worker external process).
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub name: String,
    pub loc: Loc,
    pub command: Option<Vec<String>>,
    pub user: Option<String>,
    pub group: Option<String>,
    /// `option start-on-reload` (on by default).
    pub start_on_reload: bool,
}

/// `cache <name>`.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    pub name: String,
    pub loc: Loc,
    /// `total-max-size` in megabytes.
    pub total_max_size_mb: u32,
    /// `max-object-size` in bytes (0: a 256th of the total size).
    pub max_object_size: u32,
    /// `max-age` in seconds (default 60).
    pub max_age: i32,
    pub process_vary: bool,
    pub max_secondary_entries: u32,
}

/// `namespace_list`: network namespaces by name.
#[derive(Debug, Clone, Default)]
pub struct Namespace {
    pub name: String,
    pub loc: Loc,
}

/// `log-forward <name>`: a syslog relay (HAProxy's syslog-mode frontend).
#[derive(Debug, Clone, Default)]
pub struct LogForward {
    pub name: String,
    pub loc: Loc,
    /// `bind` (stream) and `dgram-bind` (UDP) lines: address, options, location.
    pub binds: Vec<(String, Vec<String>, Loc)>,
    pub dgram_binds: Vec<(String, Vec<String>, Loc)>,
    /// `log` lines as words.
    pub logs: Vec<(Vec<String>, Loc)>,
    /// `maxconn` (HAProxy's default for these sections is 10).
    pub maxconn: i64,
    pub backlog: Option<i64>,
    pub timeout_client: Option<u32>,
}

/// `fcgi-app <name>`: a FastCGI application backends use with `use-fcgi-app`.
#[derive(Debug, Clone, Default)]
pub struct FcgiApp {
    pub name: String,
    pub loc: Loc,
    pub docroot: Option<String>,
    pub index: Option<String>,
    pub path_info: Option<String>,
    /// `acl <name> <criterion> …` lines, kept as words.
    pub acls: Vec<(Vec<String>, Loc)>,
    /// `set-param <name> <fmt> [cond]` / `pass-header <name> [cond]`: the keyword and the
    /// words after it.
    pub rules: Vec<(String, Vec<String>, Loc)>,
    pub keep_conn: bool,
    pub get_values: bool,
    pub mpxs_conns: bool,
    /// `option max-reqs` (1 by default).
    pub max_reqs: i64,
    /// `log-stderr` lines, kept as words.
    pub log_stderr: Vec<(Vec<String>, Loc)>,
}
