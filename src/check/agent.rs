//! The agent's replies (`tcpcheck_agent_expect_reply()`): one line of words separated by
//! spaces, tabs or commas, in any order, the last of each kind winning: a health
//! (`up`, `down`, `stopped`, `fail`), an admin state (`ready`, `drain`, `maint`), a weight
//! (`75%`), `maxconn:N`, and after `#` a description.

use super::{Outcome, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admin {
    Ready,
    Drain,
    Maint,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentHealth {
    Up,
    Down,
}

/// What a reply asks of the server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    pub health: Option<AgentHealth>,
    pub admin: Option<Admin>,
    /// The weight word as written (`75%`), applied as `server_parse_weight_change_request()`.
    pub weight: Option<String>,
    pub maxconn: Option<String>,
}

/// Parses `buf`; `None` while the line is incomplete and more may come.
pub fn parse(buf: &[u8], last_read: bool) -> Option<Outcome> {
    let end = buf.iter().position(|&b| b == b'\n' || b == b'\r' || b == 0);
    let Some(end) = end.filter(|&e| buf[e] != 0 || e < buf.len()) else {
        if !last_read {
            return None;
        }
        // HAProxy keeps the previous status and only reports the misbehaviour.
        return Some(Outcome {
            status: Status::Checked,
            code: 0,
            desc: "Ignoring incomplete line from agent".into(),
            agent: Some(Reply::default()),
        });
    };
    let line = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut reply = Reply::default();
    let mut status = Status::Checked;
    let mut hs: Option<String> = None;
    let mut err: Option<String> = None;
    let mut desc = "";
    let mut rest = line.as_str();
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        if let Some(d) = rest.strip_prefix('#') {
            desc = d.trim_start_matches([' ', '\t']);
            break;
        }
        let wend = rest.find([' ', '\t', ',']).unwrap_or(rest.len());
        let w = &rest[..wend];
        rest = &rest[wend..];
        let lw = w.to_ascii_lowercase();
        match lw.as_str() {
            "up" => {
                reply.health = Some(AgentHealth::Up);
                status = Status::L7Okd;
                hs = Some(w.into());
            }
            "down" | "stopped" | "fail" => {
                reply.health = Some(AgentHealth::Down);
                status = Status::L7Sts;
                hs = Some(w.into());
            }
            "ready" => reply.admin = Some(Admin::Ready),
            "drain" => reply.admin = Some(Admin::Drain),
            "maint" => reply.admin = Some(Admin::Maint),
            _ if w.as_bytes()[0].is_ascii_digit() && w.contains('%') => {
                reply.weight = Some(w.into())
            }
            _ if lw.starts_with("maxconn:") => reply.maxconn = Some(w[8..].into()),
            _ => {
                if err.is_none() {
                    err = Some(w.into());
                }
            }
        }
    }
    let desc = desc.trim_start_matches([' ', '\n']);
    let text = if let Some(hs) = hs {
        let mut msg = desc.to_string();
        if msg.is_empty() || status == Status::L7Okd {
            if let Some(e) = &err {
                msg = e.clone();
            }
        }
        if msg.is_empty() {
            format!("via agent : {hs}")
        } else {
            format!("via agent : {hs} ({msg})")
        }
    } else if let Some(e) = err {
        format!("agent reports an error : {e}")
    } else {
        String::new()
    };
    Some(Outcome {
        status,
        code: 0,
        desc: text,
        agent: Some(reply),
    })
}

/// `server_parse_weight_change_request()`: `N%` of the initial weight (capped at 256);
/// `Err` is HAProxy's warning text.
pub fn weight_from(word: &str, initial: u32) -> Result<u32, String> {
    let digits: String = word.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: u64 = digits
        .parse()
        .map_err(|_| "Require <weight> or <weight%>.")?;
    if !word[digits.len()..].starts_with('%') {
        return Err("Require <weight> or <weight%>.".into());
    }
    let w = u64::from(initial) * n / 100;
    Ok(w.min(256) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_as_haproxy_reads_them() {
        let o = parse(b"up 75%\n", false).unwrap();
        assert_eq!(o.status, Status::L7Okd);
        assert_eq!(o.desc, "via agent : up");
        let r = o.agent.unwrap();
        assert_eq!(r.weight.as_deref(), Some("75%"));
        let o = parse(b"down # disk full\r\n", false).unwrap();
        assert_eq!(o.status, Status::L7Sts);
        assert_eq!(o.desc, "via agent : down (disk full)");
        let o = parse(b"drain,maxconn:10\n", false).unwrap();
        assert_eq!(o.status, Status::Checked);
        let r = o.agent.unwrap();
        assert_eq!(r.admin, Some(Admin::Drain));
        assert_eq!(r.maxconn.as_deref(), Some("10"));
        assert!(parse(b"up", false).is_none());
        assert_eq!(
            parse(b"up", true).unwrap().desc,
            "Ignoring incomplete line from agent"
        );
        assert_eq!(
            parse(b"bogus\n", false).unwrap().desc,
            "agent reports an error : bogus"
        );
        assert_eq!(weight_from("50%", 10), Ok(5));
        assert_eq!(weight_from("1000%", 100), Ok(256));
    }
}
