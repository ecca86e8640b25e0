//! The runtime's hooks into `crate::stats::counters`: each is a couple of relaxed
//! loads and stores in the calling worker's own block, so counting costs the hot path
//! nothing measurable (no lock, no atomic read-modify-write, no shared cache line).

use super::shared::Shared;
use super::worker::Ctx;
use crate::stats::counters::{Obj, C};

/// A connection accepted for frontend `fe` (HAProxy's `cum_conn` and `cum_sess`).
#[inline]
pub fn accepted(sh: &Shared, worker: usize, fe: usize) {
    let c = &sh.counters;
    c.add(worker, Obj::Fe(fe), C::Conn, 1);
    c.add(worker, Obj::Fe(fe), C::Sess, 1);
    if let Some(f) = sh.frontends.get(fe) {
        c.max(
            worker,
            Obj::Fe(fe),
            C::SessMax,
            u64::from(f.limit.current()),
        );
    }
}

/// Bytes received from (`bin`) or sent to (`bout`) a client of frontend `fe`.
#[inline]
pub fn client_bytes(cx: &Ctx, fe: usize, received: bool, n: usize) {
    let k = if received { C::BytesIn } else { C::BytesOut };
    cx.shared.counters.add(cx.worker, Obj::Fe(fe), k, n as u64);
}

/// Bytes sent to (`bin`: the request side) or received from (`bout`) server `srv` of
/// backend `be`.
#[inline]
pub fn server_bytes(cx: &Ctx, be: usize, srv: Option<usize>, sent: bool, n: usize) {
    let c = &cx.shared.counters;
    let k = if sent { C::BytesIn } else { C::BytesOut };
    c.add(cx.worker, Obj::Be(be), k, n as u64);
    if let Some(s) = srv {
        c.add(cx.worker, Obj::Srv(be, s), k, n as u64);
    }
}

/// An HTTP request parsed on frontend `fe`.
#[inline]
pub fn request(cx: &Ctx, fe: usize) {
    cx.shared.counters.add(cx.worker, Obj::Fe(fe), C::Req, 1);
}

/// A stream handed to backend `be` (its `cum_sess`, and `req_tot` in HTTP).
#[inline]
pub fn to_backend(cx: &Ctx, be: usize, http: bool) {
    let c = &cx.shared.counters;
    c.add(cx.worker, Obj::Be(be), C::Sess, 1);
    if http {
        c.add(cx.worker, Obj::Be(be), C::Req, 1);
    }
    if let Some(b) = cx.shared.backends.get(be) {
        c.max(
            cx.worker,
            Obj::Be(be),
            C::SessMax,
            u64::from(b.queue.beconn()),
        );
    }
}

/// A stream connected to server `srv` of backend `be` (`cum_sess`, `lbtot`).
#[inline]
pub fn to_server(cx: &Ctx, be: usize, srv: usize, http: bool) {
    let c = &cx.shared.counters;
    let o = Obj::Srv(be, srv);
    if http {
        c.add(cx.worker, o, C::Req, 1);
    }
    if let Some(s) = cx.shared.backends.get(be).and_then(|b| b.queue.server(srv)) {
        c.max(cx.worker, o, C::SessMax, u64::from(s.served()));
    }
}

/// A connection attempt (or reuse) for server `srv` (`stot`); `new`: a new connection
/// (`connect`).
#[inline]
pub fn connecting(cx: &Ctx, be: usize, srv: usize, new: bool) {
    let c = &cx.shared.counters;
    c.add(cx.worker, Obj::Srv(be, srv), C::Sess, 1);
    if new {
        c.add(cx.worker, Obj::Srv(be, srv), C::Connect, 1);
        c.add(cx.worker, Obj::Be(be), C::Connect, 1);
    }
}

/// The load balancer picked server `srv` (`lbtot`).
#[inline]
pub fn picked(cx: &Ctx, be: usize, srv: usize) {
    let c = &cx.shared.counters;
    c.add(cx.worker, Obj::Srv(be, srv), C::LbTot, 1);
    c.add(cx.worker, Obj::Be(be), C::LbTot, 1);
}

/// A request answered by the rules: denied (`dreq`) or intercepted (`return`,
/// redirects).
#[inline]
pub fn ruled(cx: &Ctx, fe: usize, denied: bool) {
    let k = if denied { C::DenyReq } else { C::Intercepted };
    cx.shared.counters.add(cx.worker, Obj::Fe(fe), k, 1);
}

/// A connection to server `srv` of backend `be` failed (`econ`).
#[inline]
pub fn conn_error(cx: &Ctx, be: usize, srv: Option<usize>) {
    let c = &cx.shared.counters;
    c.add(cx.worker, Obj::Be(be), C::ErrConn, 1);
    if let Some(s) = srv {
        c.add(cx.worker, Obj::Srv(be, s), C::ErrConn, 1);
    }
}

/// A connection to server `srv` is tried again (`wretr`), or elsewhere (`wredis`).
#[inline]
pub fn retried(cx: &Ctx, be: usize, srv: usize, redispatch: bool) {
    let c = &cx.shared.counters;
    let k = if redispatch { C::Redisp } else { C::Retry };
    c.add(cx.worker, Obj::Be(be), k, 1);
    c.add(cx.worker, Obj::Srv(be, srv), k, 1);
}

fn class(status: u16) -> C {
    match status / 100 {
        1 => C::Rsp1,
        2 => C::Rsp2,
        3 => C::Rsp3,
        4 => C::Rsp4,
        5 => C::Rsp5,
        _ => C::RspOther,
    }
}

/// A response with `status` sent to the client of frontend `fe`; when it came from a
/// server, `from` names the backend and server, which count it too.
#[inline]
pub fn response(cx: &Ctx, fe: usize, from: Option<(usize, Option<usize>)>, status: u16) {
    let c = &cx.shared.counters;
    let k = class(status);
    c.add(cx.worker, Obj::Fe(fe), k, 1);
    if let Some((be, srv)) = from {
        c.add(cx.worker, Obj::Be(be), k, 1);
        if let Some(s) = srv {
            c.add(cx.worker, Obj::Srv(be, s), k, 1);
        }
    }
}

/// The status of a response the proxy wrote itself (`HTTP/1.x NNN …`).
pub fn status_of(bytes: &[u8]) -> Option<u16> {
    let s = bytes.get(9..12)?;
    std::str::from_utf8(s).ok()?.parse().ok()
}
