//! Servers' administrative state (`set server … state maint|drain|ready`, `disable|enable
//! server`), kept apart from the operational state the health checks decide, as
//! HAProxy's `srv->cur_admin` and `srv->cur_state` are: the queue sees their combination,
//! whoever changes either one (the CLI thread or the checks thread) recomputes it, so a
//! check result never takes a server out of maintenance and `ready` never brings a
//! server the checks found down back into service.

use std::sync::atomic::{AtomicU8, Ordering::SeqCst};

use crate::queue::ServerState;

pub const MAINT: u8 = 1;
pub const DRAIN: u8 = 2;
/// No address to connect to (`init-addr none` after a failed resolution): HAProxy's
/// `SRV_ADMF_RMAINT`, which `enable server`/`set server … state ready` do not clear.
pub const RMAINT: u8 = 4;

/// The checks' verdict, as the checks thread last published it.
pub const OP_UP: u8 = 0;
pub const OP_DOWN: u8 = 1;
pub const OP_STOPPING: u8 = 2;

#[derive(Default)]
pub struct SrvAdmin {
    pub admin: AtomicU8,
    pub op: AtomicU8,
    /// The last health check's status (`show stat`'s `check_status`), published by the
    /// checks thread: an index in [`STATUSES`] + 1, 0 before any; and its code (L7).
    pub check: AtomicU8,
    pub check_code: std::sync::atomic::AtomicU16,
    /// Failed checks that lowered the health (`chkfail`), and UP→DOWN transitions
    /// (`chkdown`).
    pub chkfail: std::sync::atomic::AtomicU32,
    pub chkdown: std::sync::atomic::AtomicU32,
}

/// The statuses a health check ends with, for [`SrvAdmin::check`].
pub const STATUSES: [crate::check::Status; 17] = {
    use crate::check::Status as S;
    [
        S::Unknown,
        S::Ini,
        S::Checked,
        S::Hana,
        S::SockErr,
        S::L4Ok,
        S::L4Tout,
        S::L4Con,
        S::L6Ok,
        S::L6Tout,
        S::L6Rsp,
        S::L7Tout,
        S::L7Rsp,
        S::L57Data,
        S::L7Okd,
        S::L7Okcd,
        S::L7Sts,
    ]
};

impl SrvAdmin {
    pub fn set_check(&self, st: crate::check::Status, code: u16) {
        if let Some(i) = STATUSES.iter().position(|s| *s == st) {
            self.check.store(i as u8 + 1, SeqCst);
            self.check_code.store(code, SeqCst);
        }
    }

    /// The last check's status as HAProxy numbers it (`HCHK_STATUS_*`, where `START`
    /// follows `INI`), for `show servers state`.
    pub fn last_check_num(&self) -> Option<u8> {
        let i = self.check.load(SeqCst).checked_sub(1)?;
        Some(if i >= 2 { i + 1 } else { i })
    }

    /// The last check's status and code, if one ran.
    pub fn last_check(&self) -> Option<(crate::check::Status, u16)> {
        let i = self.check.load(SeqCst).checked_sub(1)?;
        Some((*STATUSES.get(i as usize)?, self.check_code.load(SeqCst)))
    }
}

impl SrvAdmin {
    /// The state the queue must have.
    pub fn effective(&self) -> ServerState {
        combine(self.admin.load(SeqCst), self.op.load(SeqCst))
    }
}

pub fn combine(admin: u8, op: u8) -> ServerState {
    if admin & (MAINT | RMAINT) != 0 {
        ServerState::Maint
    } else if op == OP_DOWN {
        ServerState::Down
    } else if admin & DRAIN != 0 || op == OP_STOPPING {
        ServerState::Drain
    } else {
        ServerState::Up
    }
}

/// Every server's, by backend index then server index.
#[derive(Default)]
pub struct AdminStates(Vec<Vec<SrvAdmin>>);

impl AdminStates {
    /// One entry per server; servers configured `disabled` start in maintenance, and so do
    /// servers left without an address, which the load balancer must skip rather than
    /// pick and fail.
    pub fn new(backends: &[super::shared::Backend]) -> AdminStates {
        AdminStates(
            backends
                .iter()
                .map(|b| {
                    b.queue
                        .servers()
                        .iter()
                        .enumerate()
                        .map(|(i, s)| {
                            let a = SrvAdmin::default();
                            if s.state() == ServerState::Maint {
                                a.admin.store(MAINT, SeqCst);
                            }
                            if b.addrs.get(i).is_some_and(|t| t.is_none()) {
                                a.admin.fetch_or(RMAINT, SeqCst);
                                let _ = b.queue.set_state(i, ServerState::Maint, 0);
                            }
                            a
                        })
                        .collect()
                })
                .collect(),
        )
    }

    /// Whether the server is in maintenance for want of an address (`MAINT (resolution)`).
    pub fn no_addr(&self, be: usize, srv: usize) -> bool {
        self.get(be, srv)
            .is_some_and(|a| a.admin.load(SeqCst) & RMAINT != 0)
    }

    pub fn get(&self, be: usize, srv: usize) -> Option<&SrvAdmin> {
        self.0.get(be)?.get(srv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintenance_wins_then_checks_then_drain() {
        assert_eq!(combine(MAINT, OP_UP), ServerState::Maint);
        assert_eq!(combine(MAINT | DRAIN, OP_DOWN), ServerState::Maint);
        assert_eq!(combine(DRAIN, OP_DOWN), ServerState::Down);
        assert_eq!(combine(DRAIN, OP_UP), ServerState::Drain);
        assert_eq!(combine(0, OP_STOPPING), ServerState::Drain);
        assert_eq!(combine(0, OP_UP), ServerState::Up);
    }
}
