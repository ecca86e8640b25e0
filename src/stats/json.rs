//! `show stat json` and `show stat typed` (and the stats page's `;json`/`;typed`):
//! HAProxy 2.6's JSON and typed forms of the `show stat` rows. Every non-empty column of
//! a row becomes a field with its position, HAProxy's tags (origin, nature, scope) and
//! value type, as `stats_dump_fields_json()`/`stats_dump_fields_typed()` write them.

use std::fmt::Write as _;

use super::csv::{Row, HEADER};

/// `show schema json` and the page's `;json-schema`: the JSON schema of these outputs,
/// static (captured from HAProxy 2.6.12).
pub const SCHEMA: &str = include_str!("json_schema.txt");
use super::Proc;

/// Per column (and object type where they differ): origin, nature, scope, value type (as
/// HAProxy 2.6.12 reports them).
const TAGS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("pxname", "", "Key", "Name", "Service", "str"),
    ("svname", "", "Key", "Name", "Service", "str"),
    ("qcur", "", "Metric", "Gauge", "Process", "u32"),
    ("qmax", "", "Metric", "Max", "Process", "u32"),
    ("scur", "", "Metric", "Gauge", "Process", "u32"),
    ("smax", "", "Metric", "Max", "Process", "u32"),
    ("slim", "", "Config", "Limit", "Process", "u32"),
    ("stot", "", "Metric", "Counter", "Process", "u64"),
    ("bin", "", "Metric", "Counter", "Process", "u64"),
    ("bout", "", "Metric", "Counter", "Process", "u64"),
    ("dreq", "", "Metric", "Counter", "Process", "u64"),
    ("dresp", "", "Metric", "Counter", "Process", "u64"),
    ("ereq", "", "Metric", "Counter", "Process", "u64"),
    ("econ", "", "Metric", "Counter", "Process", "u64"),
    ("eresp", "", "Metric", "Counter", "Process", "u64"),
    ("wretr", "", "Metric", "Counter", "Process", "u64"),
    ("wredis", "", "Metric", "Counter", "Process", "u64"),
    ("status", "", "Status", "Gauge", "Process", "str"),
    ("weight", "", "Metric", "Avg", "Process", "u32"),
    ("act", "Backend", "Metric", "Gauge", "Process", "u32"),
    ("act", "Server", "Status", "Gauge", "Process", "u32"),
    ("bck", "Backend", "Metric", "Gauge", "Process", "u32"),
    ("bck", "Server", "Status", "Gauge", "Process", "u32"),
    ("chkfail", "", "Metric", "Counter", "Process", "u64"),
    ("chkdown", "", "Metric", "Counter", "Process", "u64"),
    ("lastchg", "", "Metric", "Age", "Process", "u32"),
    ("downtime", "", "Metric", "Counter", "Process", "u32"),
    ("qlimit", "", "Config", "Gauge", "Service", "u32"),
    ("pid", "", "Key", "Gauge", "Process", "u32"),
    ("iid", "", "Key", "Gauge", "Service", "u32"),
    ("sid", "", "Key", "Gauge", "Service", "u32"),
    ("lbtot", "", "Metric", "Counter", "Process", "u64"),
    ("type", "", "Config", "Gauge", "Service", "u32"),
    ("rate", "Backend", "Metric", "Gauge", "Process", "u32"),
    ("rate", "Frontend", "Metric", "Rate", "Process", "u32"),
    ("rate", "Server", "Metric", "Rate", "Process", "u32"),
    ("rate_lim", "", "Config", "Limit", "Process", "u32"),
    ("rate_max", "Backend", "Metric", "Gauge", "Process", "u32"),
    ("rate_max", "Frontend", "Metric", "Max", "Process", "u32"),
    ("rate_max", "Server", "Metric", "Max", "Process", "u32"),
    ("check_status", "", "Metric", "Output", "Process", "str"),
    ("check_duration", "", "Metric", "Duration", "Process", "u64"),
    ("hrsp_1xx", "", "Metric", "Counter", "Process", "u64"),
    ("hrsp_2xx", "", "Metric", "Counter", "Process", "u64"),
    ("hrsp_3xx", "", "Metric", "Counter", "Process", "u64"),
    ("hrsp_4xx", "", "Metric", "Counter", "Process", "u64"),
    ("hrsp_5xx", "", "Metric", "Counter", "Process", "u64"),
    ("hrsp_other", "", "Metric", "Counter", "Process", "u64"),
    ("req_rate", "", "Metric", "Rate", "Process", "u32"),
    ("req_rate_max", "", "Metric", "Max", "Process", "u32"),
    ("req_tot", "", "Metric", "Counter", "Process", "u64"),
    ("cli_abrt", "", "Metric", "Counter", "Process", "u64"),
    ("srv_abrt", "", "Metric", "Counter", "Process", "u64"),
    ("comp_in", "", "Metric", "Counter", "Process", "u64"),
    ("comp_out", "", "Metric", "Counter", "Process", "u64"),
    ("comp_byp", "", "Metric", "Counter", "Process", "u64"),
    ("comp_rsp", "", "Metric", "Counter", "Process", "u64"),
    ("lastsess", "", "Metric", "Age", "Process", "s32"),
    ("last_chk", "", "Metric", "Output", "Process", "str"),
    ("qtime", "", "Metric", "Avg", "Process", "u32"),
    ("ctime", "", "Metric", "Avg", "Process", "u32"),
    ("rtime", "", "Metric", "Avg", "Process", "u32"),
    ("ttime", "", "Metric", "Avg", "Process", "u32"),
    ("check_desc", "", "Metric", "Output", "Process", "str"),
    ("check_rise", "", "Config", "Gauge", "Service", "u32"),
    ("check_fall", "", "Config", "Gauge", "Service", "u32"),
    ("check_health", "", "Config", "Gauge", "Service", "u32"),
    ("addr", "", "Config", "Gauge", "Service", "str"),
    ("cookie", "", "Config", "Name", "Service", "str"),
    ("mode", "", "Config", "Gauge", "Service", "str"),
    ("algo", "", "Config", "Gauge", "Service", "str"),
    ("conn_rate", "", "Metric", "Rate", "Process", "u32"),
    ("conn_rate_max", "", "Metric", "Max", "Process", "u32"),
    ("conn_tot", "", "Metric", "Counter", "Process", "u64"),
    ("intercepted", "", "Metric", "Counter", "Process", "u64"),
    ("dcon", "", "Metric", "Counter", "Process", "u64"),
    ("dses", "", "Metric", "Counter", "Process", "u64"),
    ("wrew", "", "Metric", "Counter", "Process", "u64"),
    ("connect", "", "Metric", "Counter", "Process", "u64"),
    ("reuse", "", "Metric", "Counter", "Process", "u64"),
    ("cache_lookups", "", "Metric", "Counter", "Process", "u64"),
    ("cache_hits", "", "Metric", "Counter", "Process", "u64"),
    ("srv_icur", "", "Metric", "Gauge", "Process", "u32"),
    ("qtime_max", "", "Metric", "Max", "Process", "u32"),
    ("ctime_max", "", "Metric", "Max", "Process", "u32"),
    ("rtime_max", "", "Metric", "Max", "Process", "u32"),
    ("ttime_max", "", "Metric", "Max", "Process", "u32"),
    ("eint", "", "Metric", "Counter", "Process", "u64"),
    ("idle_conn_cur", "", "Metric", "Gauge", "Process", "u32"),
    ("safe_conn_cur", "", "Metric", "Gauge", "Process", "u32"),
    ("used_conn_cur", "", "Metric", "Gauge", "Process", "u32"),
    ("need_conn_est", "", "Metric", "Gauge", "Process", "u32"),
    ("uweight", "", "Metric", "Avg", "Process", "u32"),
    ("agg_server_status", "", "Metric", "Gauge", "Process", "u32"),
    (
        "agg_server_check_status",
        "",
        "Metric",
        "Gauge",
        "Process",
        "u32",
    ),
    ("agg_check_status", "", "Metric", "Gauge", "Process", "u32"),
    ("ssl_sess", "", "Metric", "Counter", "Process", "u64"),
    ("ssl_reused_sess", "", "Metric", "Counter", "Process", "u64"),
    (
        "ssl_failed_handshake",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    ("h2_headers_rcvd", "", "Metric", "Counter", "Process", "u64"),
    ("h2_data_rcvd", "", "Metric", "Counter", "Process", "u64"),
    (
        "h2_settings_rcvd",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    (
        "h2_rst_stream_rcvd",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    ("h2_goaway_rcvd", "", "Metric", "Counter", "Process", "u64"),
    (
        "h2_detected_conn_protocol_errors",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    (
        "h2_detected_strm_protocol_errors",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    (
        "h2_rst_stream_resp",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    ("h2_goaway_resp", "", "Metric", "Counter", "Process", "u64"),
    (
        "h2_open_connections",
        "",
        "Metric",
        "Gauge",
        "Process",
        "u64",
    ),
    (
        "h2_backend_open_streams",
        "",
        "Metric",
        "Gauge",
        "Process",
        "u64",
    ),
    (
        "h2_total_connections",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    (
        "h2_backend_total_streams",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    (
        "h1_open_connections",
        "",
        "Metric",
        "Gauge",
        "Process",
        "u64",
    ),
    ("h1_open_streams", "", "Metric", "Gauge", "Process", "u64"),
    (
        "h1_total_connections",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    (
        "h1_total_streams",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    ("h1_bytes_in", "", "Metric", "Counter", "Process", "u64"),
    ("h1_bytes_out", "", "Metric", "Counter", "Process", "u64"),
    (
        "h1_spliced_bytes_in",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    (
        "h1_spliced_bytes_out",
        "",
        "Metric",
        "Counter",
        "Process",
        "u64",
    ),
    ("throttle", "", "Metric", "Avg", "Process", "u32"),
    ("tracked", "", "Config", "Name", "Service", "str"),
    ("check_code", "", "Metric", "Output", "Process", "u32"),
    ("hanafail", "", "Metric", "Counter", "Process", "u64"),
    ("last_agt", "", "Metric", "Output", "Process", "str"),
    ("agent_status", "", "Metric", "Output", "Process", "str"),
    ("agent_code", "", "Metric", "Output", "Process", "u32"),
    ("agent_duration", "", "Metric", "Duration", "Process", "u64"),
    ("agent_desc", "", "Metric", "Output", "Process", "str"),
    ("agent_rise", "", "Config", "Gauge", "Service", "u32"),
    ("agent_fall", "", "Config", "Gauge", "Service", "u32"),
    ("agent_health", "", "Config", "Gauge", "Service", "u32"),
    ("src_ilim", "", "Config", "Limit", "Process", "u32"),
];

fn tags(field: &str, obj: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    let hit = TAGS
        .iter()
        .find(|t| t.0 == field && t.1 == obj)
        .or_else(|| TAGS.iter().find(|t| t.0 == field && t.1.is_empty()))
        .or_else(|| TAGS.iter().find(|t| t.0 == field));
    hit.map_or(("Metric", "Gauge", "Process", "u64"), |t| {
        (t.2, t.3, t.4, t.5)
    })
}

fn letter(tag: &str) -> char {
    match tag {
        "Metric" | "Max" => 'M',
        "Status" | "Service" => 'S',
        "Key" => 'K',
        "Config" | "Cluster" => 'C',
        "Product" | "Process" => 'P',
        "Gauge" => 'G',
        "Limit" => 'L',
        "Min" => 'm',
        "Rate" => 'R',
        "Counter" => 'C',
        "Duration" => 'D',
        "Age" => 'A',
        "Time" => 'T',
        "Name" => 'N',
        "Output" => 'O',
        "Avg" => 'a',
        "System" => 's',
        _ => '?',
    }
}

/// The object type of a row (`type` column).
fn obj(r: &Row) -> (&'static str, char) {
    match r.get("type") {
        "0" => ("Frontend", 'F'),
        "1" => ("Backend", 'B'),
        "3" => ("Listener", 'L'),
        _ => ("Server", 'S'),
    }
}

fn all_rows(p: &dyn Proc, up: bool, no_maint: bool, legends: bool) -> Vec<Row> {
    let mut out = Vec::new();
    for pr in super::csv::rows(p, up, no_maint, legends) {
        out.extend(pr.fe);
        out.extend(pr.servers.into_iter().map(|(_, r)| r));
        out.extend(pr.be);
    }
    out
}

/// The fields of a row that have a value, with their position (the modules' `-`
/// separator of the CSV is no field).
fn fields(r: &Row) -> impl Iterator<Item = (usize, &'static str, &str)> {
    HEADER
        .iter()
        .filter(|h| **h != "-")
        .enumerate()
        .map(move |(i, h)| (i, *h, r.get(h)))
        .filter(|(_, _, v)| !v.is_empty())
}

/// `show stat json`: one array per row; `]` then a newline ends it.
pub fn json(p: &dyn Proc, up: bool, no_maint: bool, legends: bool) -> String {
    let mut out = String::from("[");
    for (n, r) in all_rows(p, up, no_maint, legends).iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push('[');
        let (o, _) = obj(r);
        for (k, (pos, name, v)) in fields(r).enumerate() {
            if k > 0 {
                out.push(',');
            }
            let (origin, nature, scope, typ) = tags(name, o);
            let value = if typ == "str" {
                format!("\"{v}\"")
            } else {
                v.to_string()
            };
            let _ = write!(
                out,
                "{{\"objType\":\"{o}\",\"proxyId\":{},\"id\":{},\"field\":{{\"pos\":{pos},\"name\":\"{name}\"}},\"processNum\":{},\"tags\":{{\"origin\":\"{origin}\",\"nature\":\"{nature}\",\"scope\":\"{scope}\"}},\"value\":{{\"type\":\"{typ}\",\"value\":{value}}}}}",
                r.get("iid"),
                r.get("sid"),
                r.get("pid"),
            );
        }
        out.push(']');
    }
    out.push_str("]\n");
    out
}

/// `show stat typed`: a line per field.
pub fn typed(p: &dyn Proc, up: bool, no_maint: bool, legends: bool) -> String {
    let mut out = String::new();
    for r in all_rows(p, up, no_maint, legends) {
        let (o, c) = obj(&r);
        for (pos, name, v) in fields(&r) {
            let (origin, nature, scope, typ) = tags(name, o);
            let _ = writeln!(
                out,
                "{c}.{}.{}.{pos}.{name}.{}:{}{}{}:{typ}:{v}",
                r.get("iid"),
                r.get("sid"),
                r.get("pid"),
                letter(origin),
                letter(nature),
                letter(scope),
            );
        }
    }
    out
}
