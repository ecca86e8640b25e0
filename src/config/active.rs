//! Which keywords have a working runtime in haproxy-rs.
//!
//! Every keyword the parser accepts but the runtime does not honour yet produces a
//! `[WARNING] … parsed but not active yet in haproxy-rs` (see [`super::State::used`]). This
//! list shrinks the other way: a keyword moves here when its runtime lands, together with the
//! test that proves it. `compat/README.md` lists the complement.

/// Keyword paths (as passed to `State::used`) whose runtime works.
pub const ACTIVE: &[&str] = &[
    "global",
    "defaults",
    "listen",
    "frontend",
    "backend",
    // The quickstart runtime (src/runtime): HTTP/1.1 listeners answering from rules.
    // Listener kinds and ACL criteria it cannot serve yet are reported when it starts.
    "bind",
    "mode http",
    "timeout client",
    "timeout http-request",
    "timeout http-keep-alive",
    "option httpclose",
    "acl",
    "http-request return",
    "http-request deny",
    "http-request allow",
    // The proxy engine (src/runtime: workers, server side, tcp and http sessions):
    // tests/engine_tcp.rs, tests/engine_http.rs.
    "nbthread",
    "hard-stop-after",
    "grace",
    "noreuseport",
    "maxconn",
    "backlog",
    "bind maxconn",
    "bind backlog",
    "bind v4v6",
    "bind v6only",
    "bind accept-proxy",
    // UNIX-socket binds: permissions and owner of the socket file (listener.rs).
    "bind mode",
    "bind uid",
    "bind gid",
    "bind user",
    "bind group",
    "server send-proxy",
    "server send-proxy-v2",
    "mode tcp",
    "timeout connect",
    "timeout server",
    "timeout queue",
    "timeout tunnel",
    "timeout client-fin",
    "timeout server-fin",
    "retries",
    "retry-on",
    "option redispatch",
    "option http-keep-alive",
    "option http-server-close",
    "option http-buffer-request",
    "option http-pretend-keepalive",
    "option abortonclose",
    "http-reuse",
    "option forwardfor",
    "option originalto",
    "option accept-invalid-http-request",
    "option accept-invalid-http-response",
    "tune.bufsize",
    "tune.maxrewrite",
    "tune.http.maxhdr",
    "default_backend",
    "use_backend",
    "server",
    "server id",
    // default-server only copies options into servers at parse time; each option is
    // reported under its own `server <option>` path.
    "default-server",
    "server weight",
    "server maxconn",
    "server minconn",
    "server maxqueue",
    "server backup",
    "source",
    "server source",
    "server disabled",
    // Load balancing and the queue (src/lb, src/queue) driven by the engine.
    "balance",
    "hash-type",
    "hash-balance-factor",
    "fullconn",
    "option allbackups",
    // Persistence (src/persist) in the http session: tests/cookie_diff.rs (module vs
    // haproxy), tests/engine_http.rs (through the binary).
    "cookie",
    "dynamic-cookie-key",
    "server cookie",
    "use-server",
    "option persist",
    "force-persist",
    "ignore-persist",
    // Error pages and their overrides (src/runtime/errors.rs): compat/differential
    // errorfile-*, errorfiles-*, errorloc-*, http-error-*, return-errorfile*, deny-status-*.
    "errorfile",
    "errorfiles",
    "errorloc",
    "errorloc302",
    "errorloc303",
    "http-errors",
    "http-errors errorfile",
    "http-error",
];

pub fn is_active(keyword: &str) -> bool {
    ACTIVE.contains(&keyword)
}
