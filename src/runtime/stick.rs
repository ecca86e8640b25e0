//! The engine's side of stick tables: which counters a stream's events bump
//! (`stream_inc_http_req_ctr()`, `_err_`, `_fail_`, `session_count_new()`,
//! `stream_store_counters()`) and the `stick on|match|store-*` persistence rules
//! (`process_sticking_rules()`, `process_store_rules()`).
//!
//! Everything takes the connection's `Option<&Trackers>`: `None` when the configuration
//! declares no stick table, so a stream pays one branch and nothing else.

use std::sync::Arc;

use crate::model::rules::StickKind;
use crate::sample::expr::{CondRt, Expr};
use crate::sample::fetch::Txn;
use crate::stick::{now_ms, Dt, Table, Trackers};

/// The slots of a new connection, when any table exists.
pub fn trackers(sh: &super::shared::Shared) -> Option<Arc<Trackers>> {
    (!sh.stick.is_empty()).then(Arc::default)
}

/// After `tcp-request connection|session` rules accepted the connection.
pub fn session_accepted(stk: Option<&Trackers>) {
    if let Some(t) = stk.filter(|t| t.any()) {
        t.count_session(now_ms());
    }
}

/// A request head arrived: a stream begins (later tracking belongs to it).
pub fn stream_start(stk: Option<&Trackers>) {
    if let Some(t) = stk {
        t.saw_http_request();
        t.begin_stream();
    }
}

/// The stream's request is counted (`stream_inc_http_req_ctr()`).
pub fn request(stk: Option<&Trackers>) {
    if let Some(t) = stk.filter(|t| t.any()) {
        t.inc(Dt::HttpReqCnt, Dt::HttpReqRate, now_ms());
    }
}

/// Which slots are tracked (a bit per slot).
pub fn tracked(stk: Option<&Trackers>) -> u8 {
    stk.map_or(0, |t| t.mask())
}

/// Counts the request on the slots tracked since `before` (a backend's content rules).
pub fn be_request(stk: Option<&Trackers>, before: u8) {
    if let Some(t) = stk {
        let new = t.mask() & !before;
        if new != 0 {
            t.inc_only(new, Dt::HttpReqCnt, Dt::HttpReqRate, now_ms());
        }
    }
}

/// An invalid request: counted as a request and an error.
pub fn bad_request(stk: Option<&Trackers>) {
    if let Some(t) = stk {
        t.saw_http_request();
    }
    if let Some(t) = stk.filter(|t| t.any()) {
        let now = now_ms();
        t.inc(Dt::HttpReqCnt, Dt::HttpReqRate, now);
        t.inc(Dt::HttpErrCnt, Dt::HttpErrRate, now);
    }
}

/// The client closed (or timed out) without a complete request: HAProxy's H1 mux still
/// reports the first one, or a partial one, as a bad request (not an idle keep-alive).
pub fn client_gone(stk: Option<&Trackers>, partial: bool) {
    let Some(t) = stk else { return };
    if partial || !t.saw_http_request() {
        bad_request(stk);
    }
}

/// `deny` / `tarpit`, and 4xx responses: `stream_inc_http_err_ctr()`.
pub fn error(stk: Option<&Trackers>) {
    if let Some(t) = stk.filter(|t| t.any()) {
        t.inc(Dt::HttpErrCnt, Dt::HttpErrRate, now_ms());
    }
}

/// A server failure (502, 504, an aborted response): `stream_inc_http_fail_ctr()`.
pub fn failure(stk: Option<&Trackers>) {
    if let Some(t) = stk.filter(|t| t.any()) {
        t.inc(Dt::HttpFailCnt, Dt::HttpFailRate, now_ms());
    }
}

/// A server's response status (`http_wait_for_response()`): 4xx are errors, 5xx but 501
/// and 505 failures.
pub fn response(stk: Option<&Trackers>, status: u16) {
    match status / 100 {
        4 => error(stk),
        5 if status != 501 && status != 505 => failure(stk),
        _ => {}
    }
}

/// The stream is over: its own slots are released, the session's stay.
pub fn stream_end(stk: Option<&Trackers>) {
    if let Some(t) = stk {
        t.end_stream(now_ms());
    }
}

/// Bytes received from (`inbound`) or sent to the client, added to the tracked entries
/// when the stream ends (what a response still has to write when its exchange completes
/// goes with the next stream, or the session's end). These are wire bytes; HAProxy counts
/// its channels' totals, which for HTTP are its internal (HTX) sizes, so the two differ.
pub fn bytes(stk: Option<&Trackers>, inbound: bool, n: usize) {
    if let Some(t) = stk {
        t.note_bytes(inbound, n as u64);
    }
}

/// One `stick …` rule of a backend.
#[derive(Debug)]
pub struct StickRuleRt {
    pub kind: StickKind,
    pub cond: Option<CondRt>,
    pub expr: Expr,
    pub table: Arc<Table>,
}

/// What a request's stick rules leave for its response: entries to store the server in.
#[derive(Debug, Default)]
pub struct PendingStores {
    items: Vec<(Arc<Table>, Vec<u8>)>,
}

impl PendingStores {
    pub fn clear(&mut self) {
        self.items.clear();
    }
}

/// `process_sticking_rules()`: the server a `stick match|on` rule finds (an index into
/// the backend's servers), and the keys `stick store-request|on` will store.
pub fn match_rules(
    rules: &[StickRuleRt],
    t: &mut Txn<'_>,
    pending: &mut PendingStores,
    server_of_id: impl Fn(i64, Option<&str>) -> Option<usize>,
) -> Option<usize> {
    let now = now_ms();
    let mut found = None;
    for r in rules {
        let store = matches!(r.kind, StickKind::On | StickKind::StoreRequest);
        let matches = matches!(r.kind, StickKind::On | StickKind::Match);
        if r.kind == StickKind::StoreResponse {
            continue;
        }
        // Only the first store of each table applies.
        if store
            && pending
                .items
                .iter()
                .any(|(tb, _)| Arc::ptr_eq(tb, &r.table))
        {
            continue;
        }
        if r.cond.as_ref().is_some_and(|c| !c.eval(t)) {
            continue;
        }
        let Some(key) = r.expr.eval(t).and_then(|v| r.table.key_of(v)) else {
            continue;
        };
        if matches {
            if let Some(e) = r.table.lookup(&key, now) {
                if found.is_none() {
                    let name = r.table.server_key(&e);
                    let id = r.table.get_int(&e, Dt::ServerId, 0, now).unwrap_or(0);
                    found = server_of_id(id, name.as_deref());
                }
                r.table.touch(&e, now);
            }
        }
        if store && pending.items.len() < 8 {
            pending.items.push((r.table.clone(), key));
        }
    }
    found
}

/// `process_store_rules()`: `stick store-response` keys, then every pending entry gets
/// the server that answered (its id and name).
pub fn store_rules(
    rules: &[StickRuleRt],
    t: &mut Txn<'_>,
    pending: &mut PendingStores,
    server: Option<(i64, &str, bool)>,
) {
    let nbreq = pending.items.len();
    for r in rules.iter().filter(|r| r.kind == StickKind::StoreResponse) {
        if pending.items[nbreq..]
            .iter()
            .any(|(tb, _)| Arc::ptr_eq(tb, &r.table))
        {
            continue;
        }
        if r.cond.as_ref().is_some_and(|c| !c.eval(t)) {
            continue;
        }
        let Some(key) = r.expr.eval(t).and_then(|v| r.table.key_of(v)) else {
            continue;
        };
        if pending.items.len() < 8 {
            pending.items.push((r.table.clone(), key));
        }
    }
    let now = now_ms();
    for (tb, key) in pending.items.drain(..) {
        // `non-stick` servers are not stored.
        let Some((id, name, _)) = server.filter(|s| s.2) else {
            continue;
        };
        let Some(e) = tb.get_or_create(&key, now) else {
            continue;
        };
        tb.set(&e, Dt::ServerId, 0, id as u64);
        tb.set_server_key(&e, name);
        tb.touch(&e, now);
    }
}
