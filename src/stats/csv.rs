//! `show stat`: HAProxy 2.6's CSV, with its exact column list and order (the 2.6
//! `stat_fields` then the `ssl`, `h2` and `h1` stats modules after the `-` column), one
//! FRONTEND row per frontend, a row per server then BACKEND per backend. Timing columns
//! (`qtime`… `ttime_max`) are not measured yet and read 0.

use std::collections::HashMap;

use super::counters::{Obj, C};
use super::{Proc, ProxyView};
use crate::queue::ServerState;

/// The `show stat` header fields, in order (the CSV header line has a trailing comma).
pub const HEADER: &[&str] = &[
    "pxname",
    "svname",
    "qcur",
    "qmax",
    "scur",
    "smax",
    "slim",
    "stot",
    "bin",
    "bout",
    "dreq",
    "dresp",
    "ereq",
    "econ",
    "eresp",
    "wretr",
    "wredis",
    "status",
    "weight",
    "act",
    "bck",
    "chkfail",
    "chkdown",
    "lastchg",
    "downtime",
    "qlimit",
    "pid",
    "iid",
    "sid",
    "throttle",
    "lbtot",
    "tracked",
    "type",
    "rate",
    "rate_lim",
    "rate_max",
    "check_status",
    "check_code",
    "check_duration",
    "hrsp_1xx",
    "hrsp_2xx",
    "hrsp_3xx",
    "hrsp_4xx",
    "hrsp_5xx",
    "hrsp_other",
    "hanafail",
    "req_rate",
    "req_rate_max",
    "req_tot",
    "cli_abrt",
    "srv_abrt",
    "comp_in",
    "comp_out",
    "comp_byp",
    "comp_rsp",
    "lastsess",
    "last_chk",
    "last_agt",
    "qtime",
    "ctime",
    "rtime",
    "ttime",
    "agent_status",
    "agent_code",
    "agent_duration",
    "check_desc",
    "agent_desc",
    "check_rise",
    "check_fall",
    "check_health",
    "agent_rise",
    "agent_fall",
    "agent_health",
    "addr",
    "cookie",
    "mode",
    "algo",
    "conn_rate",
    "conn_rate_max",
    "conn_tot",
    "intercepted",
    "dcon",
    "dses",
    "wrew",
    "connect",
    "reuse",
    "cache_lookups",
    "cache_hits",
    "srv_icur",
    "src_ilim",
    "qtime_max",
    "ctime_max",
    "rtime_max",
    "ttime_max",
    "eint",
    "idle_conn_cur",
    "safe_conn_cur",
    "used_conn_cur",
    "need_conn_est",
    "uweight",
    "agg_server_status",
    "agg_server_check_status",
    "agg_check_status",
    "-",
    "ssl_sess",
    "ssl_reused_sess",
    "ssl_failed_handshake",
    "h2_headers_rcvd",
    "h2_data_rcvd",
    "h2_settings_rcvd",
    "h2_rst_stream_rcvd",
    "h2_goaway_rcvd",
    "h2_detected_conn_protocol_errors",
    "h2_detected_strm_protocol_errors",
    "h2_rst_stream_resp",
    "h2_goaway_resp",
    "h2_open_connections",
    "h2_backend_open_streams",
    "h2_total_connections",
    "h2_backend_total_streams",
    "h1_open_connections",
    "h1_open_streams",
    "h1_total_connections",
    "h1_total_streams",
    "h1_bytes_in",
    "h1_bytes_out",
    "h1_spliced_bytes_in",
    "h1_spliced_bytes_out",
];

/// The module columns a row of each kind fills with 0 (`ssl` for servers; all for
/// frontends and backends).
const SSL_MOD: &[&str] = &["ssl_sess", "ssl_reused_sess", "ssl_failed_handshake"];

/// One line of `show stat`: its values by column name (absent: empty).
pub struct Row {
    v: HashMap<&'static str, String>,
}

impl Row {
    /// A column's value (`""` when the row leaves it empty).
    pub fn get(&self, k: &str) -> &str {
        self.v.get(k).map_or("", |s| s.as_str())
    }
    /// A numeric column (0 when empty or not a number).
    pub fn num(&self, k: &str) -> i64 {
        self.get(k).parse().unwrap_or(0)
    }
    /// Writes the CSV line.
    pub fn write_csv(&self, out: &mut String) {
        self.write(out)
    }
    fn new() -> Row {
        Row { v: HashMap::new() }
    }
    fn set(&mut self, k: &'static str, v: impl ToString) {
        self.v.insert(k, v.to_string());
    }
    fn zeros(&mut self, ks: &[&'static str]) {
        for k in ks {
            self.set(k, 0);
        }
    }
    fn write(&self, out: &mut String) {
        for h in HEADER {
            if let Some(v) = self.v.get(h) {
                out.push_str(v);
            }
            out.push(',');
        }
        out.push('\n');
    }
}

fn modules_all(r: &mut Row) {
    let at = HEADER
        .iter()
        .position(|h| *h == "-")
        .unwrap_or(HEADER.len());
    for h in &HEADER[at + 1..] {
        r.set(h, 0);
    }
    r.set("-", "-");
}

const HRSP: [(&str, C); 6] = [
    ("hrsp_1xx", C::Rsp1),
    ("hrsp_2xx", C::Rsp2),
    ("hrsp_3xx", C::Rsp3),
    ("hrsp_4xx", C::Rsp4),
    ("hrsp_5xx", C::Rsp5),
    ("hrsp_other", C::RspOther),
];

/// One proxy's rows in `show stat` order: its FRONTEND, its servers (with their index
/// in the proxy), its BACKEND. The stats page and the Prometheus exporter read these too.
pub struct ProxyRows<'a> {
    pub px: &'a ProxyView,
    /// The proxy's index in [`Proc::proxies`].
    pub pi: usize,
    pub fe: Option<Row>,
    pub servers: Vec<(usize, Row)>,
    pub be: Option<Row>,
}

/// The CSV header line (`# pxname,svname,…,`).
pub fn header_line() -> String {
    let mut out = String::from("# ");
    for h in HEADER {
        out.push_str(h);
        out.push(',');
    }
    out.push('\n');
    out
}

/// `show stat [typed|json|up|no-maint]*` (`desc` is not supported yet), as an
/// operator or admin sees it (with the legend columns `addr`, `cookie`, `algo`).
pub fn show_stat(p: &dyn Proc, opts: &[&str]) -> String {
    show_stat_with(p, opts, true)
}

/// `show stat`; without `legends` (the stats page without `stats show-legends`) the
/// `addr`, `cookie` and `algo` columns stay empty, as HAProxy's `STAT_SHLGNDS` wants.
pub fn show_stat_with(p: &dyn Proc, opts: &[&str], legends: bool) -> String {
    if opts.contains(&"desc") {
        return "'show stat desc' is not supported by haproxy-rs yet.\n".into();
    }
    let (up, no_maint) = (opts.contains(&"up"), opts.contains(&"no-maint"));
    if opts.contains(&"json") {
        return super::json::json(p, up, no_maint, legends);
    }
    if opts.contains(&"typed") {
        return super::json::typed(p, up, no_maint, legends);
    }
    let mut out = header_line();
    for pr in rows(p, up, no_maint, legends) {
        pr.fe.iter().for_each(|r| r.write(&mut out));
        pr.servers.iter().for_each(|(_, r)| r.write(&mut out));
        pr.be.iter().for_each(|r| r.write(&mut out));
    }
    out
}

/// Every proxy's rows; `up_only` hides servers not UP (`;up`), `no_maint` those in
/// maintenance, `legends` fills `addr`, `cookie` and `algo`.
pub fn rows(p: &dyn Proc, up_only: bool, no_maint: bool, legends: bool) -> Vec<ProxyRows<'_>> {
    let now = p.now_ms();
    let get = |o: Obj, c: C| p.counters().map_or(0, |k| k.get(o, c));
    let mut all = Vec::new();
    for (pi, px) in p.proxies().iter().enumerate() {
        let mut pr = ProxyRows {
            px,
            pi,
            fe: None,
            servers: Vec::new(),
            be: None,
        };
        if px.cap.fe {
            pr.fe = Some(frontend_row(px, p, &get));
        }
        if px.cap.be {
            let Some(q) = &px.queue else {
                all.push(pr);
                continue;
            };
            let bi = px.be.unwrap_or(usize::MAX);
            for (i, sv) in px.servers.iter().enumerate() {
                let Some(s) = q.server(i) else { continue };
                let st = s.state();
                if (up_only && !matches!(st, ServerState::Up | ServerState::Starting))
                    || (no_maint && st == ServerState::Maint)
                {
                    continue;
                }
                let mut r = Row::new();
                let o = Obj::Srv(bi, i);
                r.set("pxname", &px.name);
                r.set("svname", &sv.name);
                r.set("qcur", s.queued());
                r.set("qmax", s.nbpend_max());
                r.set("scur", s.served());
                r.set("smax", get(o, C::SessMax));
                if s.maxconn() > 0 {
                    r.set("slim", s.maxconn());
                }
                r.set("stot", get(o, C::Sess));
                r.set("bin", get(o, C::BytesIn));
                r.set("bout", get(o, C::BytesOut));
                r.set("dresp", 0);
                r.set("econ", get(o, C::ErrConn));
                r.set("eresp", get(o, C::ErrResp));
                r.set("wretr", get(o, C::Retry));
                r.set("wredis", get(o, C::Redisp));
                let status = match st {
                    ServerState::Maint if super::live_addr(p, px, i).2 => "MAINT (resolution)",
                    ServerState::Maint => "MAINT",
                    ServerState::Drain => "DRAIN",
                    ServerState::Down => "DOWN",
                    _ if !sv.checked => "no check",
                    _ => "UP",
                };
                r.set("status", status);
                let w = if st == ServerState::Drain {
                    0
                } else {
                    s.weight()
                };
                r.set("weight", w);
                r.set("act", u8::from(!sv.backup));
                r.set("bck", u8::from(sv.backup));
                if sv.checked {
                    r.zeros(&["downtime"]);
                    let (fail, down) = p.check_counts(pi, i);
                    r.set("chkfail", fail);
                    r.set("chkdown", down);
                    r.set("check_rise", sv.rise);
                    r.set("check_fall", sv.fall);
                    let up = !matches!(st, ServerState::Down | ServerState::Maint);
                    r.set("check_health", if up { sv.rise + sv.fall - 1 } else { 0 });
                    if let Some((name, desc, code)) = p.check_status(pi, i) {
                        r.set("check_status", name);
                        r.set("check_desc", desc);
                        if name.starts_with("L7") && code > 0 {
                            r.set("check_code", code);
                        }
                    }
                }
                r.set("lastchg", now.saturating_sub(s.last_change_ms()) / 1000);
                if s.maxqueue() > 0 {
                    r.set("qlimit", s.maxqueue());
                }
                lb_traffic(&mut r, px, o, sv.id, 2, &get);
                r.set("lastsess", -1);
                r.zeros(&["qtime", "ctime", "rtime", "ttime"]);
                if legends {
                    let (ip, port, _) = super::live_addr(p, px, i);
                    r.set("addr", format!("{ip}:{port}"));
                    if !sv.cookie.is_empty() {
                        r.set("cookie", &sv.cookie);
                    }
                }
                r.set("mode", px.mode);
                r.set("connect", get(o, C::Connect));
                r.zeros(&[
                    "wrew",
                    "reuse",
                    "srv_icur",
                    "qtime_max",
                    "ctime_max",
                    "rtime_max",
                    "ttime_max",
                    "eint",
                    "idle_conn_cur",
                    "safe_conn_cur",
                    "used_conn_cur",
                    "need_conn_est",
                ]);
                r.set("uweight", s.weight());
                r.set("-", "-");
                r.zeros(SSL_MOD);
                pr.servers.push((i, r));
            }
            pr.be = Some(backend_row(px, bi, now, &get, legends, up_only || no_maint));
        }
        all.push(pr);
    }
    all
}

fn frontend_row(px: &ProxyView, p: &dyn Proc, get: &dyn Fn(Obj, C) -> u64) -> Row {
    let o = Obj::Fe(px.fe.unwrap_or(usize::MAX));
    let mut r = Row::new();
    r.set("pxname", &px.name);
    r.set("svname", "FRONTEND");
    r.set("scur", px.fe.map_or(0, |f| p.fe_cur(f)));
    r.set("smax", get(o, C::SessMax));
    r.set(
        "slim",
        px.fe.and_then(|f| p.fe_max(f)).unwrap_or(px.maxconn),
    );
    r.set("stot", get(o, C::Sess));
    r.set("bin", get(o, C::BytesIn));
    r.set("bout", get(o, C::BytesOut));
    r.set("dreq", get(o, C::DenyReq));
    r.set("dresp", 0);
    r.set("ereq", get(o, C::ErrReq));
    let paused = px.fe.is_some_and(|f| p.fe_paused(f));
    r.set(
        "status",
        if px.disabled {
            "STOP"
        } else if paused {
            "PAUSED"
        } else {
            "OPEN"
        },
    );
    r.set("pid", 1);
    r.set("iid", px.id);
    r.set("sid", 0);
    r.set("type", 0);
    r.zeros(&["rate", "rate_lim", "rate_max"]);
    // Request rates are reported in every mode (HAProxy counts TCP streams there).
    r.zeros(&["req_rate", "req_rate_max"]);
    if px.mode == "http" {
        for (k, c) in HRSP {
            r.set(k, get(o, c));
        }
        r.set("intercepted", get(o, C::Intercepted));
        r.zeros(&["cache_lookups", "cache_hits"]);
    }
    r.set("req_tot", get(o, C::Req));
    r.zeros(&["comp_in", "comp_out", "comp_byp", "comp_rsp"]);
    r.set("mode", px.mode);
    r.zeros(&["conn_rate", "conn_rate_max"]);
    r.set("conn_tot", get(o, C::Conn));
    r.zeros(&["dcon", "dses", "wrew", "eint"]);
    modules_all(&mut r);
    r
}

/// The columns a backend row (`typ` 1) and a server row (`typ` 2, server id `sid`)
/// share: identity, LB picks, response classes and requests in HTTP, aborts.
fn lb_traffic(
    r: &mut Row,
    px: &ProxyView,
    o: Obj,
    sid: impl ToString,
    typ: u8,
    get: &dyn Fn(Obj, C) -> u64,
) {
    r.set("pid", 1);
    r.set("iid", px.id);
    r.set("sid", sid);
    r.set("lbtot", get(o, C::LbTot));
    r.set("type", typ);
    r.zeros(&["rate", "rate_max"]);
    if px.mode == "http" {
        for (k, c) in HRSP {
            r.set(k, get(o, c));
        }
        r.set("req_tot", get(o, C::Req));
    }
    r.set("cli_abrt", get(o, C::CliAbrt));
    r.set("srv_abrt", get(o, C::SrvAbrt));
}

fn backend_row(
    px: &ProxyView,
    bi: usize,
    now: u64,
    get: &dyn Fn(Obj, C) -> u64,
    legends: bool,
    hiding: bool,
) -> Row {
    let o = Obj::Be(bi);
    let mut r = Row::new();
    let q = px.queue.as_ref();
    let usable =
        |s: &crate::queue::Server| matches!(s.state(), ServerState::Up | ServerState::Starting);
    let (mut act, mut bck, mut w) = (0, 0, 0);
    let mut last = 0u64;
    if let Some(q) = q {
        for s in q.servers() {
            last = last.max(s.last_change_ms());
            if usable(s) {
                if s.is_backup() {
                    bck += 1;
                } else {
                    act += 1;
                    w += s.weight();
                }
            }
        }
        if act == 0 {
            w = q
                .servers()
                .iter()
                .filter(|s| usable(s))
                .map(|s| s.weight())
                .sum();
        }
    }
    r.set("pxname", &px.name);
    r.set("svname", "BACKEND");
    r.set("qcur", q.map_or(0, |q| q.totpend()));
    r.set("qmax", q.map_or(0, |q| q.nbpend_max()));
    r.set("scur", q.map_or(0, |q| q.beconn()));
    r.set("smax", get(o, C::SessMax));
    r.set("slim", px.be_slim);
    r.set("stot", get(o, C::Sess));
    r.set("bin", get(o, C::BytesIn));
    r.set("bout", get(o, C::BytesOut));
    r.set("dreq", get(o, C::DenyReq));
    r.set("dresp", 0);
    r.set("econ", get(o, C::ErrConn));
    r.set("eresp", get(o, C::ErrResp));
    r.set("wretr", get(o, C::Retry));
    r.set("wredis", get(o, C::Redisp));
    // `(tot_weight > 0 || !px->srv) ? "UP" : "DOWN"`: a backend without servers (a stats
    // or service-only proxy) is UP.
    let up = act + bck > 0 || px.servers.is_empty();
    let mut status = String::from(if up { "UP" } else { "DOWN" });
    if hiding {
        // With `up`/`no-maint` HAProxy adds how many servers are not stopped.
        let all = q.map_or(0, |q| q.servers().len());
        let running = q.map_or(0, |q| {
            q.servers()
                .iter()
                .filter(|s| !matches!(s.state(), ServerState::Down | ServerState::Maint))
                .count()
        });
        status = format!("{status} ({running}/{all})");
    }
    r.set("status", status);
    r.set("weight", w);
    r.set("act", act);
    r.set("bck", bck);
    r.set("chkdown", 0);
    r.set("lastchg", now.saturating_sub(last) / 1000);
    if !px.servers.is_empty() {
        r.set("downtime", 0);
    }
    lb_traffic(&mut r, px, o, 0, 1, get);
    r.zeros(&["comp_in", "comp_out", "comp_byp", "comp_rsp"]);
    r.set("lastsess", -1);
    r.zeros(&["qtime", "ctime", "rtime", "ttime"]);
    if let Some(c) = px.cookie_name.as_ref().filter(|_| legends) {
        r.set("cookie", c);
    }
    r.set("mode", px.mode);
    if legends {
        r.set("algo", px.algo);
    }
    r.zeros(&["wrew", "reuse"]);
    r.set("connect", get(o, C::Connect));
    if px.mode == "http" {
        r.zeros(&["cache_lookups", "cache_hits"]);
    }
    r.zeros(&["qtime_max", "ctime_max", "rtime_max", "ttime_max", "eint"]);
    r.set("uweight", w);
    r.zeros(&[
        "agg_server_status",
        "agg_server_check_status",
        "agg_check_status",
    ]);
    modules_all(&mut r);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_26s() {
        assert_eq!(HEADER.len(), 128);
        assert_eq!(HEADER[..3], ["pxname", "svname", "qcur"]);
        assert_eq!(HEADER[HEADER.len() - 1], "h1_spliced_bytes_out");
    }
}
