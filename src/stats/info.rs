//! `show info` (HAProxy 2.6's `info_fields`, in order) and `show activity`.

use super::ProcInfo;
use crate::version::{VERSION_DATE, VERSION_STRING};

/// The date as HAProxy's `show errors` header writes it: `04/Dec/2026:18:50:47.222`.
pub fn log_date() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let t = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r only writes into the `tm` we own.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        tm
    };
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MON[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis()
    )
}

/// `Uptime`: `0d 0h03m35s`.
fn uptime(ms: u64) -> String {
    let s = ms / 1000;
    format!(
        "{}d {}h{:02}m{:02}s",
        s / 86400,
        (s / 3600) % 24,
        (s / 60) % 60,
        s % 60
    )
}

/// Every `show info` field, name and value, in HAProxy's order.
pub fn fields(i: &ProcInfo) -> Vec<(&'static str, String)> {
    let z = || "0".to_string();
    let n = |v: u64| v.to_string();
    vec![
        ("Name", "HAProxy".into()),
        ("Version", VERSION_STRING.into()),
        ("Release_date", VERSION_DATE.into()),
        ("Nbthread", n(i.nbthread as u64)),
        ("Nbproc", "1".into()),
        ("Process_num", "1".into()),
        ("Pid", n(i.pid.into())),
        ("Uptime", uptime(i.uptime_ms)),
        ("Uptime_sec", n(i.uptime_ms / 1000)),
        ("Memmax_MB", z()),
        ("PoolAlloc_MB", z()),
        ("PoolUsed_MB", z()),
        ("PoolFailed", z()),
        ("Ulimit-n", n(i.ulimit_n)),
        ("Maxsock", n(i.maxsock)),
        ("Maxconn", n(i.maxconn.into())),
        ("Hard_maxconn", n(i.hard_maxconn.into())),
        ("CurrConns", n(i.curr_conns)),
        ("CumConns", n(i.cum_conns)),
        ("CumReq", n(i.cum_req)),
        ("MaxSslConns", z()),
        ("CurrSslConns", z()),
        ("CumSslConns", z()),
        ("Maxpipes", z()),
        ("PipesUsed", z()),
        ("PipesFree", z()),
        ("ConnRate", z()),
        ("ConnRateLimit", z()),
        ("MaxConnRate", z()),
        ("SessRate", z()),
        ("SessRateLimit", z()),
        ("MaxSessRate", z()),
        ("SslRate", z()),
        ("SslRateLimit", z()),
        ("MaxSslRate", z()),
        ("SslFrontendKeyRate", z()),
        ("SslFrontendMaxKeyRate", z()),
        ("SslFrontendSessionReuse_pct", z()),
        ("SslBackendKeyRate", z()),
        ("SslBackendMaxKeyRate", z()),
        ("SslCacheLookups", z()),
        ("SslCacheMisses", z()),
        ("CompressBpsIn", z()),
        ("CompressBpsOut", z()),
        ("CompressBpsRateLim", z()),
        ("Tasks", z()),
        ("Run_queue", z()),
        ("Idle_pct", "100".into()),
        ("node", i.node.clone()),
        ("description", i.description.clone()),
        ("Stopping", n(u64::from(i.stopping))),
        ("Jobs", n(i.jobs)),
        ("Unstoppable Jobs", z()),
        ("Listeners", n(i.listeners)),
        ("ActivePeers", z()),
        ("ConnectedPeers", z()),
        ("DroppedLogs", z()),
        ("BusyPolling", z()),
        ("FailedResolutions", z()),
        ("TotalBytesOut", n(i.bytes_out)),
        ("TotalSplicdedBytesOut", z()),
        ("BytesOutRate", z()),
        ("DebugCommandsIssued", z()),
        ("CumRecvLogs", z()),
        ("Build info", VERSION_STRING.into()),
        ("Memmax_bytes", z()),
        ("PoolAlloc_bytes", z()),
        ("PoolUsed_bytes", z()),
        ("Start_time_sec", n(i.start_time_sec)),
        ("Tainted", z()),
    ]
}

/// `show info [desc|json|typed|float]*`. An empty `description` is left out, as
/// HAProxy does for fields without a value.
pub fn show_info(i: &ProcInfo, opts: &[&str]) -> String {
    if let Some(o) = opts
        .iter()
        .find(|o| matches!(**o, "typed" | "json" | "desc"))
    {
        return format!("'show info {o}' is not supported by haproxy-rs yet.\n");
    }
    let mut out = String::with_capacity(2048);
    for (name, v) in fields(i) {
        if name == "description" && v.is_empty() {
            continue;
        }
        out.push_str(&format!("{name}: {v}\n"));
    }
    out
}

/// `show activity`: the fields HAProxy prints per thread; haproxy-rs has no such loop
/// counters yet, so all read 0 but the thread count and date.
pub fn show_activity(i: &ProcInfo) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let t = i.nbthread.max(1);
    let zeros = vec!["0"; t].join(" ");
    let mut out = format!(
        "thread_id: 1 (1..{t})\ndate_now: {}.{:06}\n",
        now.as_secs(),
        now.subsec_micros()
    );
    for f in [
        "ctxsw",
        "tasksw",
        "empty_rq",
        "long_rq",
        "loops",
        "wake_tasks",
        "wake_signal",
        "poll_io",
        "poll_exp",
        "poll_drop_fd",
        "poll_skip_fd",
        "conn_dead",
        "stream_calls",
        "pool_fail",
        "buf_wait",
        "cpust_ms_tot",
        "cpust_ms_1s",
        "cpust_ms_15s",
        "avg_loop_us",
        "accepted",
        "accq_pushed",
        "accq_full",
        "accq_ring",
        "fd_takeover",
    ] {
        out.push_str(&format!("{f}: 0 [ {zeros} ]\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_has_haproxys_fields_in_order() {
        let out = show_info(&ProcInfo::default(), &[]);
        let names: Vec<&str> = out.lines().map(|l| l.split(": ").next().unwrap()).collect();
        // HAProxy leaves out `description` when none is set: 69 fields then.
        assert_eq!(names.len(), 69);
        assert_eq!(names[..4], ["Name", "Version", "Release_date", "Nbthread"]);
        assert_eq!(names[68], "Tainted");
        assert!(out.contains("Uptime: 0d 0h00m00s\n"));
    }
}
