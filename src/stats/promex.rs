//! HAProxy 2.6's Prometheus exporter (`http-request use-service prometheus-exporter`,
//! `addons/promex`): the same metric names, HELP and TYPE lines, labels (`proxy`,
//! `server`, `state`, `code`, `version`) and order (process, then frontends, backends and
//! servers, each metric over every proxy), with values from `show info` and the
//! `show stat` rows. `scope=` query parameters select the sections, `no-maint` hides
//! servers in maintenance. Listener and stick-table metrics are not exported yet.

use std::fmt::Write as _;

use super::csv::Row;
use super::{Proc, ProcInfo};

/// Every metric in output order: scope, name after `haproxy_<scope>_`, TYPE, HELP, and
/// the `show info` field or `show stat` column its value comes from (the table HAProxy
/// 2.6.12's exporter prints).
const METRICS: &[(&str, &str, &str, &str, &str)] = &[
    ("process", "nbthread", "gauge", "Number of started threads (global.nbthread)", "nbthread"),
    ("process", "nbproc", "gauge", "Number of started worker processes (historical, always 1)", "nbproc"),
    ("process", "relative_process_id", "gauge", "Relative worker process number (1)", "process_num"),
    ("process", "uptime_seconds", "gauge", "How long ago this worker process was started (seconds)", "uptime_sec"),
    ("process", "pool_failures_total", "counter", "Number of failed pool allocations since this worker was started", "pool_failed"),
    ("process", "max_fds", "gauge", "Hard limit on the number of per-process file descriptors", "ulimit_n"),
    ("process", "max_sockets", "gauge", "Hard limit on the number of per-process sockets", "maxsock"),
    ("process", "max_connections", "gauge", "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)", "maxconn"),
    ("process", "hard_max_connections", "gauge", "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)", "hard_maxconn"),
    ("process", "current_connections", "gauge", "Current number of connections on this worker process", "curr_conn"),
    ("process", "connections_total", "counter", "Total number of connections on this worker process since started", "cum_conn"),
    ("process", "requests_total", "counter", "Total number of requests on this worker process since started", "cum_req"),
    ("process", "max_ssl_connections", "gauge", "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited", "max_ssl_conns"),
    ("process", "current_ssl_connections", "gauge", "Current number of SSL endpoints on this worker process (front+back)", "curr_ssl_conns"),
    ("process", "ssl_connections_total", "counter", "Total number of SSL endpoints on this worker process since started (front+back)", "cum_ssl_conns"),
    ("process", "max_pipes", "gauge", "Hard limit on the number of pipes for splicing, 0=unlimited", "maxpipes"),
    ("process", "pipes_used_total", "counter", "Current number of pipes in use in this worker process", "pipes_used"),
    ("process", "pipes_free_total", "counter", "Current number of allocated and available pipes in this worker process", "pipes_free"),
    ("process", "current_connection_rate", "gauge", "Number of front connections created on this worker process over the last second", "conn_rate"),
    ("process", "limit_connection_rate", "gauge", "Hard limit for ConnRate (global.maxconnrate)", "conn_rate_limit"),
    ("process", "max_connection_rate", "gauge", "Highest ConnRate reached on this worker process since started (in connections per second)", "max_conn_rate"),
    ("process", "current_session_rate", "gauge", "Number of sessions created on this worker process over the last second", "sess_rate"),
    ("process", "limit_session_rate", "gauge", "Hard limit for SessRate (global.maxsessrate)", "sess_rate_limit"),
    ("process", "max_session_rate", "gauge", "Highest SessRate reached on this worker process since started (in sessions per second)", "max_sess_rate"),
    ("process", "current_ssl_rate", "gauge", "Number of SSL connections created on this worker process over the last second", "ssl_rate"),
    ("process", "limit_ssl_rate", "gauge", "Hard limit for SslRate (global.maxsslrate)", "ssl_rate_limit"),
    ("process", "max_ssl_rate", "gauge", "Highest SslRate reached on this worker process since started (in connections per second)", "max_ssl_rate"),
    ("process", "current_frontend_ssl_key_rate", "gauge", "Number of SSL keys created on frontends in this worker process over the last second", "ssl_frontend_key_rate"),
    ("process", "max_frontend_ssl_key_rate", "gauge", "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)", "ssl_frontend_max_key_rate"),
    ("process", "frontend_ssl_reuse", "gauge", "Percent of frontend SSL connections which did not require a new key", "ssl_frontend_session_reuse_pct"),
    ("process", "current_backend_ssl_key_rate", "gauge", "Number of SSL keys created on backends in this worker process over the last second", "ssl_backend_key_rate"),
    ("process", "max_backend_ssl_key_rate", "gauge", "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)", "ssl_backend_max_key_rate"),
    ("process", "ssl_cache_lookups_total", "counter", "Total number of SSL session ID lookups in the SSL session cache on this worker since started", "ssl_cache_lookups"),
    ("process", "ssl_cache_misses_total", "counter", "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started", "ssl_cache_misses"),
    ("process", "http_comp_bytes_in_total", "counter", "Number of bytes submitted to the HTTP compressor in this worker process over the last second", "compress_bps_in"),
    ("process", "http_comp_bytes_out_total", "counter", "Number of bytes emitted by the HTTP compressor in this worker process over the last second", "compress_bps_out"),
    ("process", "limit_http_comp", "gauge", "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled", "compress_bps_rate_lim"),
    ("process", "current_zlib_memory", "gauge", "Amount of memory currently used by HTTP compression on the current worker process (in bytes)", "zlib_mem_usage"),
    ("process", "max_zlib_memory", "gauge", "Limit on the amount of memory used by HTTP compression above which it is automatically disabled (in bytes, see global.maxzlibmem)", "max_zlib_mem_usage"),
    ("process", "current_tasks", "gauge", "Total number of tasks in the current worker process (active + sleeping)", "tasks"),
    ("process", "current_run_queue", "gauge", "Total number of active tasks+tasklets in the current worker process", "run_queue"),
    ("process", "idle_time_percent", "gauge", "Percentage of last second spent waiting in the current worker thread", "idle_pct"),
    ("process", "stopping", "gauge", "1 if the worker process is currently stopping, otherwise zero", "stopping"),
    ("process", "jobs", "gauge", "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)", "jobs"),
    ("process", "unstoppable_jobs", "gauge", "Current number of unstoppable jobs on the current worker process (master connections)", "unstoppable_jobs"),
    ("process", "listeners", "gauge", "Current number of active listeners on the current worker process", "listeners"),
    ("process", "active_peers", "gauge", "Current number of verified active peers connections on the current worker process", "active_peers"),
    ("process", "connected_peers", "gauge", "Current number of peers having passed the connection step on the current worker process", "connected_peers"),
    ("process", "dropped_logs_total", "counter", "Total number of dropped logs for current worker process since started", "dropped_logs"),
    ("process", "busy_polling_enabled", "gauge", "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)", "busy_polling"),
    ("process", "failed_resolutions", "counter", "Total number of failed DNS resolutions in current worker process since started", "failed_resolutions"),
    ("process", "bytes_out_total", "counter", "Total number of bytes emitted by current worker process since started", "total_bytes_out"),
    ("process", "spliced_bytes_out_total", "counter", "Total number of bytes emitted by current worker process through a kernel pipe since started", "total_spliced_bytes_out"),
    ("process", "bytes_out_rate", "gauge", "Number of bytes emitted by current worker process over the last second", "bytes_out_rate"),
    ("process", "recv_logs_total", "counter", "Total number of log messages received by log-forwarding listeners on this worker process since started", "cum_log_msgs"),
    ("process", "build_info", "gauge", "Build info", "build_info"),
    ("process", "max_memory_bytes", "gauge", "Worker process's hard limit on memory usage in byes (-m on command line)", "memmax_bytes"),
    ("process", "pool_allocated_bytes", "gauge", "Amount of memory allocated in pools (in bytes)", "pool_alloc_bytes"),
    ("process", "pool_used_bytes", "gauge", "Amount of pool memory currently used (in bytes)", "pool_used_bytes"),
    ("process", "start_time_seconds", "gauge", "Start time in seconds", "start_time_sec"),
    ("frontend", "current_sessions", "gauge", "Number of current sessions on the frontend, backend or server", "scur"),
    ("frontend", "max_sessions", "gauge", "Highest value of current sessions encountered since process started", "smax"),
    ("frontend", "limit_sessions", "gauge", "Frontend/listener/server's maxconn, backend's fullconn", "slim"),
    ("frontend", "sessions_total", "counter", "Total number of sessions since process started", "stot"),
    ("frontend", "bytes_in_total", "counter", "Total number of request bytes since process started", "bin"),
    ("frontend", "bytes_out_total", "counter", "Total number of response bytes since process started", "bout"),
    ("frontend", "requests_denied_total", "counter", "Total number of denied requests since process started", "dreq"),
    ("frontend", "responses_denied_total", "counter", "Total number of denied responses since process started", "dresp"),
    ("frontend", "request_errors_total", "counter", "Total number of invalid requests since process started", "ereq"),
    ("frontend", "status", "gauge", "Current status of the service, per state label value.", "status"),
    ("frontend", "limit_session_rate", "gauge", "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)", "rate_lim"),
    ("frontend", "max_session_rate", "gauge", "Highest value of sessions per second observed since the worker process started", "rate_max"),
    ("frontend", "http_responses_total", "counter", "Total number of HTTP responses with status 100-199 returned by this object since the worker process started", "hrsp_other"),
    ("frontend", "http_requests_rate_max", "gauge", "Highest value of http requests observed since the worker process started", "req_rate_max"),
    ("frontend", "http_requests_total", "counter", "Total number of HTTP requests processed by this object since the worker process started", "req_tot"),
    ("frontend", "http_comp_bytes_in_total", "counter", "Total number of bytes submitted to the HTTP compressor for this object since the worker process started", "comp_in"),
    ("frontend", "http_comp_bytes_out_total", "counter", "Total number of bytes emitted by the HTTP compressor for this object since the worker process started", "comp_out"),
    ("frontend", "http_comp_bytes_bypassed_total", "counter", "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)", "comp_byp"),
    ("frontend", "http_comp_responses_total", "counter", "Total number of HTTP responses that were compressed for this object since the worker process started", "comp_rsp"),
    ("frontend", "connections_rate_max", "gauge", "Highest value of connections per second observed since the worker process started", "conn_rate_max"),
    ("frontend", "connections_total", "counter", "Total number of new connections accepted on this frontend since the worker process started", "conn_tot"),
    ("frontend", "intercepted_requests_total", "counter", "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started", "intercepted"),
    ("frontend", "denied_connections_total", "counter", "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started", "dcon"),
    ("frontend", "denied_sessions_total", "counter", "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started", "dses"),
    ("frontend", "failed_header_rewriting_total", "counter", "Total number of failed HTTP header rewrites since the worker process started", "wrew"),
    ("frontend", "http_cache_lookups_total", "counter", "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started", "cache_lookups"),
    ("frontend", "http_cache_hits_total", "counter", "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started", "cache_hits"),
    ("frontend", "internal_errors_total", "counter", "Total number of internal errors since process started", "eint"),
    ("backend", "current_queue", "gauge", "Number of current queued connections", "qcur"),
    ("backend", "max_queue", "gauge", "Highest value of queued connections encountered since process started", "qmax"),
    ("backend", "current_sessions", "gauge", "Number of current sessions on the frontend, backend or server", "scur"),
    ("backend", "max_sessions", "gauge", "Highest value of current sessions encountered since process started", "smax"),
    ("backend", "limit_sessions", "gauge", "Frontend/listener/server's maxconn, backend's fullconn", "slim"),
    ("backend", "sessions_total", "counter", "Total number of sessions since process started", "stot"),
    ("backend", "bytes_in_total", "counter", "Total number of request bytes since process started", "bin"),
    ("backend", "bytes_out_total", "counter", "Total number of response bytes since process started", "bout"),
    ("backend", "requests_denied_total", "counter", "Total number of denied requests since process started", "dreq"),
    ("backend", "responses_denied_total", "counter", "Total number of denied responses since process started", "dresp"),
    ("backend", "connection_errors_total", "counter", "Total number of failed connections to server since the worker process started", "econ"),
    ("backend", "response_errors_total", "counter", "Total number of invalid responses since the worker process started", "eresp"),
    ("backend", "retry_warnings_total", "counter", "Total number of server connection retries since the worker process started", "wretr"),
    ("backend", "redispatch_warnings_total", "counter", "Total number of server redispatches due to connection failures since the worker process started", "wredis"),
    ("backend", "status", "gauge", "Current status of the service, per state label value.", "status"),
    ("backend", "weight", "gauge", "Server's effective weight, or sum of active servers' effective weights for a backend", "weight"),
    ("backend", "active_servers", "gauge", "Total number of active UP servers with a non-zero weight", "act"),
    ("backend", "backup_servers", "gauge", "Total number of backup UP servers with a non-zero weight", "bck"),
    ("backend", "check_up_down_total", "counter", "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started", "chkdown"),
    ("backend", "check_last_change_seconds", "gauge", "How long ago the last server state changed, in seconds", "lastchg"),
    ("backend", "downtime_seconds_total", "counter", "Total time spent in DOWN state, for server or backend", "downtime"),
    ("backend", "loadbalanced_total", "counter", "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)", "lbtot"),
    ("backend", "max_session_rate", "gauge", "Highest value of sessions per second observed since the worker process started", "rate_max"),
    ("backend", "http_responses_total", "counter", "Total number of HTTP responses with status 100-199 returned by this object since the worker process started", "hrsp_other"),
    ("backend", "http_requests_total", "counter", "Total number of HTTP requests processed by this object since the worker process started", "req_tot"),
    ("backend", "client_aborts_total", "counter", "Total number of requests or connections aborted by the client since the worker process started", "cli_abrt"),
    ("backend", "server_aborts_total", "counter", "Total number of requests or connections aborted by the server since the worker process started", "srv_abrt"),
    ("backend", "http_comp_bytes_in_total", "counter", "Total number of bytes submitted to the HTTP compressor for this object since the worker process started", "comp_in"),
    ("backend", "http_comp_bytes_out_total", "counter", "Total number of bytes emitted by the HTTP compressor for this object since the worker process started", "comp_out"),
    ("backend", "http_comp_bytes_bypassed_total", "counter", "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)", "comp_byp"),
    ("backend", "http_comp_responses_total", "counter", "Total number of HTTP responses that were compressed for this object since the worker process started", "comp_rsp"),
    ("backend", "last_session_seconds", "gauge", "How long ago some traffic was seen on this object on this worker process, in seconds", "lastsess"),
    ("backend", "queue_time_average_seconds", "gauge", "Avg. queue time for last 1024 successful connections.", "qtime"),
    ("backend", "connect_time_average_seconds", "gauge", "Avg. connect time for last 1024 successful connections.", "ctime"),
    ("backend", "response_time_average_seconds", "gauge", "Avg. response time for last 1024 successful connections.", "rtime"),
    ("backend", "total_time_average_seconds", "gauge", "Avg. total time for last 1024 successful connections.", "ttime"),
    ("backend", "failed_header_rewriting_total", "counter", "Total number of failed HTTP header rewrites since the worker process started", "wrew"),
    ("backend", "connection_attempts_total", "counter", "Total number of outgoing connection attempts on this backend/server since the worker process started", "connect"),
    ("backend", "connection_reuses_total", "counter", "Total number of reused connection on this backend/server since the worker process started", "reuse"),
    ("backend", "http_cache_lookups_total", "counter", "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started", "cache_lookups"),
    ("backend", "http_cache_hits_total", "counter", "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started", "cache_hits"),
    ("backend", "max_queue_time_seconds", "gauge", "Maximum observed time spent in the queue", "qtime_max"),
    ("backend", "max_connect_time_seconds", "gauge", "Maximum observed time spent waiting for a connection to complete", "ctime_max"),
    ("backend", "max_response_time_seconds", "gauge", "Maximum observed time spent waiting for a server response", "rtime_max"),
    ("backend", "max_total_time_seconds", "gauge", "Maximum observed total request+response time (request+queue+connect+response+processing)", "ttime_max"),
    ("backend", "internal_errors_total", "counter", "Total number of internal errors since process started", "eint"),
    ("backend", "uweight", "gauge", "Server's user weight, or sum of active servers' user weights for a backend", "uweight"),
    ("backend", "agg_server_status", "gauge", "Backend's aggregated gauge of servers' status", "agg_server_status"),
    ("backend", "agg_server_check_status", "gauge", "Backend's aggregated gauge of servers' state check status", "agg_server_check_status"),
    ("backend", "agg_check_status", "gauge", "Backend's aggregated gauge of servers' state check status", "agg_check_status"),
    ("server", "current_queue", "gauge", "Number of current queued connections", "qcur"),
    ("server", "max_queue", "gauge", "Highest value of queued connections encountered since process started", "qmax"),
    ("server", "current_sessions", "gauge", "Number of current sessions on the frontend, backend or server", "scur"),
    ("server", "max_sessions", "gauge", "Highest value of current sessions encountered since process started", "smax"),
    ("server", "limit_sessions", "gauge", "Frontend/listener/server's maxconn, backend's fullconn", "slim"),
    ("server", "sessions_total", "counter", "Total number of sessions since process started", "stot"),
    ("server", "bytes_in_total", "counter", "Total number of request bytes since process started", "bin"),
    ("server", "bytes_out_total", "counter", "Total number of response bytes since process started", "bout"),
    ("server", "responses_denied_total", "counter", "Total number of denied responses since process started", "dresp"),
    ("server", "connection_errors_total", "counter", "Total number of failed connections to server since the worker process started", "econ"),
    ("server", "response_errors_total", "counter", "Total number of invalid responses since the worker process started", "eresp"),
    ("server", "retry_warnings_total", "counter", "Total number of server connection retries since the worker process started", "wretr"),
    ("server", "redispatch_warnings_total", "counter", "Total number of server redispatches due to connection failures since the worker process started", "wredis"),
    ("server", "status", "gauge", "Current status of the service, per state label value.", "status"),
    ("server", "weight", "gauge", "Server's effective weight, or sum of active servers' effective weights for a backend", "weight"),
    ("server", "check_failures_total", "counter", "Total number of failed individual health checks per server/backend, since the worker process started", "chkfail"),
    ("server", "check_up_down_total", "counter", "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started", "chkdown"),
    ("server", "check_last_change_seconds", "gauge", "How long ago the last server state changed, in seconds", "lastchg"),
    ("server", "downtime_seconds_total", "counter", "Total time spent in DOWN state, for server or backend", "downtime"),
    ("server", "queue_limit", "gauge", "Limit on the number of connections in queue, for servers only (maxqueue argument)", "qlimit"),
    ("server", "current_throttle", "gauge", "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)", "throttle"),
    ("server", "loadbalanced_total", "counter", "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)", "lbtot"),
    ("server", "max_session_rate", "gauge", "Highest value of sessions per second observed since the worker process started", "rate_max"),
    ("server", "check_status", "gauge", "Status of last health check, per state label value.", "check_status"),
    ("server", "check_code", "gauge", "layer5-7 code, if available of the last health check.", "check_code"),
    ("server", "check_duration_seconds", "gauge", "Total duration of the latest server health check, in seconds.", "check_duration"),
    ("server", "http_responses_total", "counter", "Total number of HTTP responses with status 100-199 returned by this object since the worker process started", "hrsp_other"),
    ("server", "client_aborts_total", "counter", "Total number of requests or connections aborted by the client since the worker process started", "cli_abrt"),
    ("server", "server_aborts_total", "counter", "Total number of requests or connections aborted by the server since the worker process started", "srv_abrt"),
    ("server", "last_session_seconds", "gauge", "How long ago some traffic was seen on this object on this worker process, in seconds", "lastsess"),
    ("server", "queue_time_average_seconds", "gauge", "Avg. queue time for last 1024 successful connections.", "qtime"),
    ("server", "connect_time_average_seconds", "gauge", "Avg. connect time for last 1024 successful connections.", "ctime"),
    ("server", "response_time_average_seconds", "gauge", "Avg. response time for last 1024 successful connections.", "rtime"),
    ("server", "total_time_average_seconds", "gauge", "Avg. total time for last 1024 successful connections.", "ttime"),
    ("server", "failed_header_rewriting_total", "counter", "Total number of failed HTTP header rewrites since the worker process started", "wrew"),
    ("server", "connection_attempts_total", "counter", "Total number of outgoing connection attempts on this backend/server since the worker process started", "connect"),
    ("server", "connection_reuses_total", "counter", "Total number of reused connection on this backend/server since the worker process started", "reuse"),
    ("server", "idle_connections_current", "gauge", "Current number of idle connections available for reuse on this server", "srv_icur"),
    ("server", "idle_connections_limit", "gauge", "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)", "src_ilim"),
    ("server", "max_queue_time_seconds", "gauge", "Maximum observed time spent in the queue", "qtime_max"),
    ("server", "max_connect_time_seconds", "gauge", "Maximum observed time spent waiting for a connection to complete", "ctime_max"),
    ("server", "max_response_time_seconds", "gauge", "Maximum observed time spent waiting for a server response", "rtime_max"),
    ("server", "max_total_time_seconds", "gauge", "Maximum observed total request+response time (request+queue+connect+response+processing)", "ttime_max"),
    ("server", "internal_errors_total", "counter", "Total number of internal errors since process started", "eint"),
    ("server", "unsafe_idle_connections_current", "gauge", "Current number of unsafe idle connections", "idle_conn_cur"),
    ("server", "safe_idle_connections_current", "gauge", "Current number of safe idle connections", "safe_conn_cur"),
    ("server", "used_connections_current", "gauge", "Current number of connections in use", "used_conn_cur"),
    ("server", "need_connections_current", "gauge", "Estimated needed number of connections", "need_conn_est"),
    ("server", "uweight", "gauge", "Server's user weight, or sum of active servers' user weights for a backend", "uweight"),
];

/// Columns only HTTP proxies export.
const HTTP_ONLY: &[&str] = &[
    "req_rate_max",
    "req_tot",
    "intercepted",
    "cache_lookups",
    "cache_hits",
    "comp_in",
    "comp_out",
    "comp_byp",
    "comp_rsp",
    "hrsp_other",
];

/// Columns exported in seconds (the CSV has milliseconds).
const SECONDS: &[&str] = &[
    "qtime",
    "ctime",
    "rtime",
    "ttime",
    "qtime_max",
    "ctime_max",
    "rtime_max",
    "ttime_max",
    "check_duration",
];

const HRSP: [(&str, &str); 6] = [
    ("1xx", "hrsp_1xx"),
    ("2xx", "hrsp_2xx"),
    ("3xx", "hrsp_3xx"),
    ("4xx", "hrsp_4xx"),
    ("5xx", "hrsp_5xx"),
    ("other", "hrsp_other"),
];

const SRV_STATES: [&str; 5] = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"];

/// The check statuses a check can end with (`get_check_status_result() >= CHK_RES_FAILED`).
const CHECK_STATES: [&str; 16] = [
    "HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT", "L7RSP",
    "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK",
];

/// Which sections a request asked for.
#[derive(Clone, Copy)]
struct Scopes {
    process: bool,
    frontend: bool,
    backend: bool,
    server: bool,
    no_maint: bool,
}

fn scopes(uri: &str) -> Scopes {
    let mut s = Scopes {
        process: true,
        frontend: true,
        backend: true,
        server: true,
        no_maint: false,
    };
    let Some((_, query)) = uri.split_once('?') else {
        return s;
    };
    let mut first = true;
    for kv in query.split('&') {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match k {
            "scope" => {
                if first {
                    s.process = false;
                    s.frontend = false;
                    s.backend = false;
                    s.server = false;
                    first = false;
                }
                match v {
                    "*" => {
                        s.process = true;
                        s.frontend = true;
                        s.backend = true;
                        s.server = true;
                    }
                    "global" => s.process = true,
                    "frontend" => s.frontend = true,
                    "backend" => s.backend = true,
                    "server" => s.server = true,
                    _ => {}
                }
            }
            "no-maint" => s.no_maint = true,
            _ => {}
        }
    }
    s
}

fn info_value(i: &ProcInfo, field: &str) -> String {
    let v: u64 = match field {
        "nbthread" => i.nbthread as u64,
        "nbproc" | "process_num" => 1,
        "uptime_sec" => i.uptime_ms / 1000,
        "ulimit_n" => i.ulimit_n,
        "maxsock" => i.maxsock,
        "maxconn" => i.maxconn.into(),
        "hard_maxconn" => i.hard_maxconn.into(),
        "curr_conn" => i.curr_conns,
        "cum_conn" => i.cum_conns,
        "cum_req" => i.cum_req,
        "stopping" => i.stopping.into(),
        "jobs" => i.jobs,
        "listeners" => i.listeners,
        "total_bytes_out" => i.bytes_out,
        "start_time_sec" => i.start_time_sec,
        "idle_pct" => 100,
        _ => 0,
    };
    v.to_string()
}

/// A `show stat` value as the exporter prints it: `NaN` when empty.
fn stat_value(r: &Row, col: &str) -> String {
    let v = r.get(col);
    if v.is_empty() {
        return "NaN".into();
    }
    if SECONDS.contains(&col) {
        return format!("{:.6}", r.num(col) as f64 / 1000.0);
    }
    v.to_string()
}

/// `promex_srv_status()`.
fn srv_state(r: &Row) -> &'static str {
    let st = r.get("status");
    if st.starts_with("MAINT") {
        "MAINT"
    } else if st.starts_with("DRAIN") {
        "DRAIN"
    } else if st.starts_with("NOLB") {
        "NOLB"
    } else if st.starts_with("DOWN") {
        "DOWN"
    } else {
        "UP"
    }
}

struct Out {
    text: String,
    /// The current metric's HELP/TYPE lines, written before its first value only.
    hdr: Option<String>,
}

impl Out {
    fn line(&mut self, name: &str, labels: &[(&str, &str)], value: &str) {
        if let Some(h) = self.hdr.take() {
            self.text.push_str(&h);
        }
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{k}=\"{v}\"");
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }
}

/// The exporter's text for request target `uri`.
pub fn render(p: &dyn Proc, uri: &str) -> String {
    let sc = scopes(uri);
    let info = p.info();
    let rows = super::csv::rows(p, false, false, true);
    let mut out = Out {
        text: String::with_capacity(64 * 1024),
        hdr: None,
    };
    for (scope, metric, typ, help, col) in METRICS {
        let name = format!("haproxy_{scope}_{metric}");
        out.hdr = Some(format!("# HELP {name} {help}\n# TYPE {name} {typ}\n"));
        match *scope {
            "process" if sc.process => {
                if *col == "build_info" {
                    out.line(&name, &[("version", crate::version::VERSION_STRING)], "1");
                } else {
                    out.line(&name, &[], &info_value(&info, col));
                }
            }
            "frontend" if sc.frontend => {
                let fes = rows
                    .iter()
                    .filter(|pr| !pr.px.disabled)
                    .filter_map(|pr| pr.fe.as_ref().map(|r| (pr.px, r)));
                if *col == "hrsp_other" {
                    for (code, c) in HRSP {
                        for (px, r) in fes.clone().filter(|(px, _)| px.mode == "http") {
                            out.line(&name, &[("proxy", &px.name), ("code", code)], r.get(c));
                        }
                    }
                    continue;
                }
                for (px, r) in fes {
                    let pn = px.name.as_str();
                    if *col == "status" {
                        for st in ["DOWN", "UP"] {
                            let v = u8::from((r.get("status") != "STOP") == (st == "UP"));
                            out.line(&name, &[("proxy", pn), ("state", st)], &v.to_string());
                        }
                    } else if px.mode == "http" || !HTTP_ONLY.contains(col) {
                        out.line(&name, &[("proxy", pn)], &stat_value(r, col));
                    }
                }
            }
            "backend" if sc.backend => {
                let bes = rows
                    .iter()
                    .filter(|pr| !pr.px.disabled)
                    .filter_map(|pr| pr.be.as_ref().map(|r| (pr, r)));
                if *col == "hrsp_other" {
                    for (code, c) in HRSP {
                        for (pr, r) in bes.clone().filter(|(pr, _)| pr.px.mode == "http") {
                            out.line(&name, &[("proxy", &pr.px.name), ("code", code)], r.get(c));
                        }
                    }
                    continue;
                }
                for (pr, r) in bes {
                    let pn = pr.px.name.as_str();
                    match *col {
                        "status" => {
                            let up = r.get("status") == "UP";
                            for st in ["DOWN", "UP"] {
                                let v = u8::from(up == (st == "UP"));
                                out.line(&name, &[("proxy", pn), ("state", st)], &v.to_string());
                            }
                        }
                        "agg_server_status" | "agg_server_check_status" => {
                            if pr.px.servers.is_empty() {
                                continue;
                            }
                            for st in SRV_STATES {
                                let n = pr
                                    .servers
                                    .iter()
                                    .filter(|(_, s)| srv_state(s) == st)
                                    .count();
                                out.line(&name, &[("proxy", pn), ("state", st)], &n.to_string());
                            }
                        }
                        "agg_check_status" => {
                            if pr.px.servers.is_empty() {
                                continue;
                            }
                            for st in CHECK_STATES.iter() {
                                let n = pr
                                    .servers
                                    .iter()
                                    .filter(|(_, s)| {
                                        s.get("check_status").trim_start_matches("* ") == *st
                                    })
                                    .count();
                                out.line(&name, &[("proxy", pn), ("state", st)], &n.to_string());
                            }
                        }
                        c if pr.px.mode != "http" && HTTP_ONLY.contains(&c) => {}
                        c => out.line(&name, &[("proxy", pn)], &stat_value(r, c)),
                    }
                }
            }
            "server" if sc.server => {
                let srvs = || {
                    rows.iter()
                        .filter(|pr| !pr.px.disabled && pr.px.cap.be)
                        .flat_map(|pr| pr.servers.iter().map(move |(_, r)| (pr.px, r)))
                        .filter(|(_, r)| !(sc.no_maint && r.get("status").starts_with("MAINT")))
                };
                if *col == "hrsp_other" {
                    for (code, c) in HRSP {
                        for (px, r) in srvs().filter(|(px, _)| px.mode == "http") {
                            let l = [
                                ("proxy", px.name.as_str()),
                                ("server", r.get("svname")),
                                ("code", code),
                            ];
                            out.line(&name, &l, r.get(c));
                        }
                    }
                    continue;
                }
                for (px, r) in srvs() {
                    let l2 = [("proxy", px.name.as_str()), ("server", r.get("svname"))];
                    let checked = !r.get("check_rise").is_empty();
                    match *col {
                        "status" => {
                            let cur = srv_state(r);
                            for st in SRV_STATES {
                                let l = [l2[0], l2[1], ("state", st)];
                                out.line(&name, &l, if cur == st { "1" } else { "0" });
                            }
                        }
                        "check_status" => {
                            if !checked {
                                continue;
                            }
                            let cur = r.get("check_status").trim_start_matches("* ");
                            for st in CHECK_STATES.iter() {
                                let l = [l2[0], l2[1], ("state", st)];
                                out.line(&name, &l, if cur == *st { "1" } else { "0" });
                            }
                        }
                        "check_code" => {
                            if checked {
                                let c = r.num("check_code");
                                out.line(&name, &l2, &c.to_string());
                            }
                        }
                        "check_duration" => {
                            if !r.get("check_status").is_empty() {
                                out.line(&name, &l2, &stat_value(r, col));
                            }
                        }
                        c if px.mode != "http" && c == "req_tot" => {}
                        c => out.line(&name, &l2, &stat_value(r, c)),
                    }
                }
            }
            _ => {}
        }
    }
    out.text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_select_sections() {
        let s = scopes("/metrics?scope=frontend&scope=server");
        assert!(!s.process && s.frontend && !s.backend && s.server);
        let s = scopes("/metrics");
        assert!(s.process && s.backend);
        let s = scopes("/metrics?scope=");
        assert!(!s.process && !s.frontend && !s.backend && !s.server);
    }
}
