//! State-change messages worded as `srv_update_status()` + `srv_append_status()` word them.

use super::Status;

/// Why a server changed state (`s->op_st_chg` or a check's result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    Check {
        status: Status,
        code: i32,
        desc: String,
        duration_ms: i64,
    },
    /// A tracked server changed: `via be/srv`.
    Via(String),
    None,
}

/// The backend's counts after the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub act: u32,
    pub bck: u32,
    pub cur_sess: u32,
    pub xferred: u32,
    pub queued: u32,
}

/// `chunk_asciiencode(msg, desc, '"')`: non-printable bytes and the quote as `<XX>`.
fn ascii_encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        if !(0x20..0x7f).contains(&b) || b == b'"' {
            out.push_str(&format!("<{b:02X}>"));
        } else {
            out.push(b as char);
        }
    }
}

fn append_why(out: &mut String, why: &Why) {
    match why {
        Why::Check {
            status,
            code,
            desc,
            duration_ms,
        } => {
            out.push_str(", reason: ");
            out.push_str(status.desc());
            if status.has_code() {
                out.push_str(&format!(", code: {code}"));
            }
            if !desc.is_empty() {
                out.push_str(", info: \"");
                ascii_encode(desc, out);
                out.push('"');
            }
            if *duration_ms >= 0 {
                out.push_str(&format!(", check duration: {duration_ms}ms"));
            }
        }
        Why::Via(t) => out.push_str(&format!(" via {t}")),
        Why::None => {}
    }
}

/// `srv_append_status()` without the counts (`, reason: …, check duration: Nms`).
pub fn status_suffix(why: &Why) -> String {
    let mut s = String::new();
    append_why(&mut s, why);
    s
}

/// `Server be/s is DOWN, reason: …. N active and M backup servers left. …` (no final dot:
/// HAProxy adds it when printing).
pub fn down(backup: bool, px: &str, srv: &str, why: &Why, c: Counts) -> String {
    let mut s = format!(
        "{}Server {px}/{srv} is DOWN",
        if backup { "Backup " } else { "" }
    );
    append_why(&mut s, why);
    s.push_str(&format!(
        ". {} active and {} backup servers left.{} {} sessions active, {} requeued, {} remaining in queue",
        c.act,
        c.bck,
        if c.bck > 0 && c.act == 0 { " Running on backup." } else { "" },
        c.cur_sess,
        c.xferred,
        c.queued
    ));
    s
}

/// `Server be/s is UP|stopping, …. N active and M backup servers online. …`.
pub fn up(backup: bool, px: &str, srv: &str, what: &str, why: &Why, c: Counts) -> String {
    let mut s = format!(
        "{}Server {px}/{srv} is {what}",
        if backup { "Backup " } else { "" }
    );
    append_why(&mut s, why);
    // A stopping server is not STOPPED: HAProxy words it as "online" too.
    s.push_str(&format!(
        ". {} active and {} backup servers online.{} {} sessions requeued, {} total in queue",
        c.act,
        c.bck,
        if c.bck > 0 && c.act == 0 {
            " Running on backup."
        } else {
            ""
        },
        c.xferred,
        c.queued
    ));
    s
}

/// `set_backend_down()`'s alert.
pub fn no_server(listen: bool, px: &str) -> String {
    format!(
        "{} '{px}' has no server available!",
        if listen { "proxy" } else { "backend" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_haproxy() {
        let c = Counts {
            act: 0,
            bck: 1,
            cur_sess: 0,
            xferred: 0,
            queued: 0,
        };
        let why = Why::Check {
            status: Status::L4Con,
            code: 0,
            desc: "Connection refused".into(),
            duration_ms: 0,
        };
        assert_eq!(
            down(false, "be", "s1", &why, c),
            "Server be/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue"
        );
        let why = Why::Check {
            status: Status::L7Okd,
            code: 200,
            desc: String::new(),
            duration_ms: 1,
        };
        let c = Counts {
            act: 1,
            bck: 0,
            ..c
        };
        assert_eq!(
            up(false, "be", "s1", "UP", &why, c),
            "Server be/s1 is UP, reason: Layer7 check passed, code: 200, check duration: 1ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue"
        );
        assert_eq!(
            no_server(false, "be"),
            "backend 'be' has no server available!"
        );
    }
}
