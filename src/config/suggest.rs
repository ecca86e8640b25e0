//! "did you mean '…' maybe ?" suggestions, with HAProxy's word fingerprint distance
//! (`make_word_fingerprint()` / `word_fingerprint_distance()` in `tools.c`).
//!
//! The suggestion must be the one HAProxy prints, so the algorithm is HAProxy's and not a
//! textbook edit distance: a word's fingerprint counts transitions between character
//! classes (each letter, digit, other, begin, end), the distance is the sum of the absolute
//! differences, the first candidate with the smallest distance wins, and a winner farther
//! than twice the length of either word is dropped. Callers pass candidates in HAProxy's
//! order (its keyword registration order, then its `extra` list) since ties go to the first.

/// A word fingerprint: 1024 counters indexed `32 * from + to`.
pub type Fingerprint = [u8; 1024];

/// Character class of `c`: 1..=26 letters (case-insensitive), 27 digits, 28 anything else.
fn class(c: u8) -> usize {
    match c.to_ascii_lowercase() {
        c @ b'a'..=b'z' => (c - b'a' + 1) as usize,
        b'0'..=b'9' => 27,
        _ => 28,
    }
}

/// HAProxy's `update_word_fingerprint()`: adds `word`'s transitions to `fp`.
pub fn update_fingerprint(fp: &mut Fingerprint, word: &str) {
    let mut from = 28; // begin
    for &c in word.as_bytes() {
        let to = class(c);
        fp[to] = 1;
        fp[32 * from + to] = fp[32 * from + to].wrapping_add(1);
        from = to;
    }
    fp[32 * from + 28] = fp[32 * from + 28].wrapping_add(1); // end
}

/// HAProxy's `make_word_fingerprint()`.
pub fn fingerprint(word: &str) -> Fingerprint {
    let mut fp = [0u8; 1024];
    update_fingerprint(&mut fp, word);
    fp
}

/// HAProxy's `word_fingerprint_distance()`.
pub fn distance(a: &Fingerprint, b: &Fingerprint) -> usize {
    a.iter()
        .zip(b.iter())
        .map(|(&x, &y)| (x as i32 - y as i32).unsigned_abs() as usize)
        .sum()
}

/// Best match of `word` among `candidates`, if close enough to suggest, as HAProxy's
/// `cfg_find_best_match()`, `proxy_find_best_option()`, `bind_find_best_kw()` and
/// `srv_find_best_kw()` choose it.
pub fn best_match<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    best_match_weighted(word, candidates.iter().map(|c| (*c, 2)))
}

/// Like [`best_match`], but each candidate carries its own tolerance factor (HAProxy's
/// `action_suggest()` allows 3× the length for prefix-matched action keywords such as
/// `set-var*`, 2× for the others).
pub fn best_match_weighted<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = (&'a str, usize)>,
) -> Option<&'a str> {
    let wfp = fingerprint(word);
    let mut best: Option<(&'a str, usize, usize)> = None;
    for (cand, factor) in candidates {
        let d = distance(&wfp, &fingerprint(cand));
        if best.is_none_or(|(_, bd, _)| d < bd) {
            best = Some((cand, d, factor));
        }
    }
    let (cand, d, factor) = best?;
    if d > factor * word.len() || d > factor * cand.len() {
        return None;
    }
    Some(cand)
}

/// HAProxy 2.6's candidates for "unknown keyword … in 'global' section; did you mean":
/// its registered global keywords (sorted as `-dK cfg` lists them), then `common_kw_list`
/// of `cfgparse-global.c`. Checked against `haproxy -c` on 454 typos: same suggestions.
pub const GLOBAL_CANDIDATES: &[&str] = &[
    "ca-base",
    "close-spread-time",
    "crt-base",
    "default-path",
    "grace",
    "h1-accept-payload-with-any-method",
    "h1-case-adjust",
    "h1-case-adjust-file",
    "hard-stop-after",
    "httpclient.resolvers.id",
    "httpclient.resolvers.prefer",
    "httpclient.ssl.ca-file",
    "httpclient.ssl.verify",
    "issuers-chain-path",
    "lua-load",
    "lua-load-per-thread",
    "lua-prepend-path",
    "maxsslconn",
    "mworker-max-reloads",
    "nbthread",
    "no-memory-trimming",
    "pp2-never-send-local",
    "profiling.tasks",
    "set-var",
    "set-var-fmt",
    "ssl-default-bind-ciphers",
    "ssl-default-bind-ciphersuites",
    "ssl-default-bind-curves",
    "ssl-default-bind-options",
    "ssl-default-server-ciphers",
    "ssl-default-server-ciphersuites",
    "ssl-default-server-options",
    "ssl-dh-param-file",
    "ssl-load-extra-del-ext",
    "ssl-load-extra-files",
    "ssl-mode-async",
    "ssl-propquery",
    "ssl-provider",
    "ssl-provider-path",
    "ssl-skip-self-issued-ca",
    "stats",
    "thread-group",
    "thread-groups",
    "tune.fail-alloc",
    "tune.fd.edge-triggered",
    "tune.h2.header-table-size",
    "tune.h2.initial-window-size",
    "tune.h2.max-concurrent-streams",
    "tune.h2.max-frame-size",
    "tune.idle-pool.shared",
    "tune.listener.multi-queue",
    "tune.lua.forced-yield",
    "tune.lua.maxmem",
    "tune.lua.service-timeout",
    "tune.lua.session-timeout",
    "tune.lua.task-timeout",
    "tune.peers.max-updates-at-once",
    "tune.pool-high-fd-ratio",
    "tune.pool-low-fd-ratio",
    "tune.sched.low-latency",
    "tune.ssl.cachesize",
    "tune.ssl.capture-buffer-size",
    "tune.ssl.capture-cipherlist-size",
    "tune.ssl.default-dh-param",
    "tune.ssl.force-private-cache",
    "tune.ssl.hard-maxrecord",
    "tune.ssl.keylog",
    "tune.ssl.lifetime",
    "tune.ssl.maxrecord",
    "tune.ssl.ssl-ctx-cache-size",
    "tune.vars.check-max-size",
    "tune.vars.global-max-size",
    "tune.vars.proc-max-size",
    "tune.vars.reqres-max-size",
    "tune.vars.sess-max-size",
    "tune.vars.txn-max-size",
    "global",
    "daemon",
    "master-worker",
    "noepoll",
    "nokqueue",
    "noevports",
    "nopoll",
    "busy-polling",
    "set-dumpable",
    "insecure-fork-wanted",
    "insecure-setuid-wanted",
    "nosplice",
    "nogetaddrinfo",
    "noreuseport",
    "quiet",
    "zero-warning",
    "tune.runqueue-depth",
    "tune.maxpollevents",
    "tune.maxaccept",
    "tune.recv_enough",
    "tune.buffers.limit",
    "tune.buffers.reserve",
    "tune.bufsize",
    "tune.maxrewrite",
    "tune.idletimer",
    "tune.rcvbuf.client",
    "tune.rcvbuf.server",
    "tune.sndbuf.client",
    "tune.sndbuf.server",
    "tune.pipesize",
    "tune.http.cookielen",
    "tune.http.logurilen",
    "tune.http.maxhdr",
    "tune.comp.maxlevel",
    "tune.pattern.cache-size",
    "uid",
    "gid",
    "external-check",
    "user",
    "group",
    "nbproc",
    "maxconn",
    "ssl-server-verify",
    "maxconnrate",
    "maxsessrate",
    "maxsslrate",
    "maxcomprate",
    "maxpipes",
    "maxzlibmem",
    "maxcompcpuusage",
    "ulimit-n",
    "chroot",
    "description",
    "node",
    "pidfile",
    "unix-bind",
    "log",
    "log-send-hostname",
    "server-state-base",
    "server-state-file",
    "log-tag",
    "spread-checks",
    "max-spread-checks",
    "cpu-map",
    "setenv",
    "presetenv",
    "unsetenv",
    "resetenv",
    "strict-limits",
    "localpeer",
    "numa-cpu-mapping",
    "defaults",
    "listen",
    "frontend",
    "backend",
    "peers",
    "resolvers",
    "cluster-secret",
];

/// The same for proxy sections (`cfgparse-listen.c`): registered `listen` keywords, then
/// its `common_kw_list`. Checked against `haproxy -c` on 263 typos: same suggestions.
pub const LISTEN_CANDIDATES: &[&str] = &[
    "clitcpka-cnt",
    "clitcpka-idle",
    "clitcpka-intvl",
    "clitimeout",
    "compression",
    "contimeout",
    "declare",
    "errorfile",
    "errorfiles",
    "errorloc",
    "errorloc302",
    "errorloc303",
    "external-check",
    "filter",
    "http-check",
    "http-error",
    "max-keep-alive-queue",
    "rate-limit",
    "retry-on",
    "srvtcpka-cnt",
    "srvtcpka-idle",
    "srvtcpka-intvl",
    "srvtimeout",
    "tcp-check",
    "tcp-request",
    "tcp-response",
    "timeout",
    "use-fcgi-app",
    "listen",
    "frontend",
    "backend",
    "defaults",
    "server",
    "default-server",
    "server-template",
    "bind",
    "monitor-net",
    "monitor-uri",
    "mode",
    "id",
    "description",
    "disabled",
    "enabled",
    "bind-process",
    "acl",
    "dynamic-cookie-key",
    "cookie",
    "email-alert",
    "persist",
    "appsession",
    "load-server-state-from-file",
    "server-state-file-name",
    "max-session-srv-conns",
    "capture",
    "retries",
    "http-request",
    "http-response",
    "http-after-response",
    "http-send-name-header",
    "block",
    "redirect",
    "use_backend",
    "use-server",
    "force-persist",
    "ignore-persist",
    "force-persist",
    "stick-table",
    "stick",
    "stats",
    "option",
    "default_backend",
    "http-reuse",
    "monitor",
    "transparent",
    "maxconn",
    "backlog",
    "fullconn",
    "dispatch",
    "balance",
    "hash-type",
    "hash-balance-factor",
    "unique-id-format",
    "unique-id-header",
    "log-format",
    "log-format-sd",
    "log-tag",
    "log",
    "source",
    "usesrc",
    "error-log-format",
];

/// Candidates of `bind_find_best_kw()` (bind options, SSL ones included, sorted as `-dK cfg`
/// lists them). Checked against `haproxy -c` on 185 typos: same suggestions.
pub const BIND_CANDIDATES: &[&str] = &[
    "accept-netscaler-cip",
    "accept-proxy",
    "backlog",
    "defer-accept",
    "expose-fd",
    "gid",
    "group",
    "id",
    "interface",
    "level",
    "maxconn",
    "mode",
    "mss",
    "name",
    "namespace",
    "nice",
    "process",
    "proto",
    "severity-output",
    "shards",
    "tcp-ut",
    "tfo",
    "thread",
    "transparent",
    "uid",
    "user",
    "v4v6",
    "v6only",
    "allow-0rtt",
    "alpn",
    "ca-file",
    "ca-ignore-err",
    "ca-sign-file",
    "ca-sign-pass",
    "ca-verify-file",
    "ciphers",
    "ciphersuites",
    "crl-file",
    "crt",
    "crt-ignore-err",
    "crt-list",
    "curves",
    "ecdhe",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "force-tlsv13",
    "generate-certificates",
    "no-ca-names",
    "no-sslv3",
    "no-tls-tickets",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "npn",
    "prefer-client-ciphers",
    "ssl-max-ver",
    "ssl-min-ver",
    "strict-sni",
    "tls-ticket-keys",
    "verify",
];

/// Candidates of `srv_find_best_kw()`: server options (sorted), then its `extra_kw_list`.
/// Checked against `haproxy -c` on 310 typos: same suggestions.
pub const SERVER_CANDIDATES: &[&str] = &[
    "addr",
    "agent-addr",
    "agent-check",
    "agent-inter",
    "agent-port",
    "agent-send",
    "allow-0rtt",
    "alpn",
    "backup",
    "ca-file",
    "check",
    "check-alpn",
    "check-proto",
    "check-send-proxy",
    "check-sni",
    "check-ssl",
    "check-via-socks4",
    "ciphers",
    "ciphersuites",
    "cookie",
    "crl-file",
    "crt",
    "disabled",
    "downinter",
    "enabled",
    "error-limit",
    "fall",
    "fastinter",
    "force-sslv3",
    "force-tlsv10",
    "force-tlsv11",
    "force-tlsv12",
    "force-tlsv13",
    "id",
    "init-addr",
    "inter",
    "log-proto",
    "max-reuse",
    "maxconn",
    "maxqueue",
    "minconn",
    "namespace",
    "no-agent-check",
    "no-backup",
    "no-check",
    "no-check-send-proxy",
    "no-check-ssl",
    "no-send-proxy",
    "no-send-proxy-v2",
    "no-send-proxy-v2-ssl",
    "no-send-proxy-v2-ssl-cn",
    "no-ssl",
    "no-ssl-reuse",
    "no-sslv3",
    "no-tfo",
    "no-tls-tickets",
    "no-tlsv10",
    "no-tlsv11",
    "no-tlsv12",
    "no-tlsv13",
    "non-stick",
    "npn",
    "observe",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "pool-low-conn",
    "pool-max-conn",
    "pool-purge-delay",
    "port",
    "proto",
    "proxy-v2-options",
    "redir",
    "resolve-net",
    "resolve-opts",
    "resolve-prefer",
    "resolvers",
    "rise",
    "send-proxy",
    "send-proxy-v2",
    "send-proxy-v2-ssl",
    "send-proxy-v2-ssl-cn",
    "slowstart",
    "sni",
    "socks4",
    "source",
    "ssl",
    "ssl-max-ver",
    "ssl-min-ver",
    "ssl-reuse",
    "stick",
    "tcp-ut",
    "tfo",
    "tls-tickets",
    "track",
    "usesrc",
    "verify",
    "verifyhost",
    "weight",
    "ws",
    "ipv4",
    "ipv6",
    "legacy",
    "octet-count",
    "fail-check",
    "sudden-death",
    "mark-down",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_transitions() {
        let a = fingerprint("maxconn");
        assert_eq!(distance(&a, &a), 0);
        // "maxconnn" adds one n->n transition, and moves the end from n->end: +1 only.
        assert_eq!(distance(&a, &fingerprint("maxconnn")), 1);
        assert_eq!(fingerprint("MaxConn"), a);
    }

    #[test]
    fn picks_first_closest_and_applies_threshold() {
        let c = ["daemon", "maxconn", "maxconnrate", "nbthread"];
        assert_eq!(best_match("maxconnn", &c), Some("maxconn"));
        assert_eq!(best_match("demon", &c), Some("daemon"));
        assert_eq!(best_match("zzzzzzzzzzzzzz", &c), None);
        assert_eq!(best_match("x", &[]), None);
        // A short word cannot pull a long candidate: distance > 2 * len(word).
        assert_eq!(best_match("a", &["abcdefgh"]), None);
    }

    #[test]
    fn tolerance_factor() {
        // distance("set-va", "set-var") = 3 (one transition changes, one added);
        // both allowed; check factor use with a far word.
        let far = "qqqq";
        assert_eq!(best_match_weighted(far, [("set-var", 2)]), None);
        assert_eq!(
            best_match_weighted("set-va", [("set-var", 3)]),
            Some("set-var")
        );
    }

    /// The alerts of `haproxy -c` (2.6.12) for a few typos.
    #[test]
    fn typos_like_haproxy() {
        for (typo, want) in [
            ("maxconnn", Some("maxconn")),
            ("demon", Some("daemon")),
            ("nbthreads", Some("nbthread")),
            ("tune.bufsiz", Some("tune.bufsize")),
            ("ssl-default-bind-cipher", Some("ssl-default-bind-ciphers")),
            ("xyzzy", None),
            ("pidfil", Some("pidfile")),
            ("stat", Some("stats")),
        ] {
            assert_eq!(best_match(typo, GLOBAL_CANDIDATES), want, "{typo}");
        }
        assert_eq!(best_match("balanc", LISTEN_CANDIDATES), Some("balance"));
        assert_eq!(
            best_match("acept-proxy", BIND_CANDIDATES),
            Some("accept-proxy")
        );
        assert_eq!(best_match("chek", SERVER_CANDIDATES), Some("check"));
        assert_eq!(
            best_match("use-backend", LISTEN_CANDIDATES),
            Some("use_backend")
        );
    }
}
