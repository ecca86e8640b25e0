//! The traffic counters behind `show stat` and `show info`: one block of plain counters
//! per worker thread, written only by that thread (a relaxed load and store: no atomic
//! read-modify-write, no shared cache line on the hot path), summed when the CLI reads
//! them.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// What is counted per frontend, backend and server (unused slots stay 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum C {
    /// Sessions (`stot`) — connections accepted for a frontend, assigned for a server.
    Sess,
    /// Connections (`conn_tot`, frontends).
    Conn,
    /// HTTP requests (`req_tot`).
    Req,
    BytesIn,
    BytesOut,
    /// `hrsp_1xx` .. `hrsp_5xx`, `hrsp_other`: six slots.
    Rsp1,
    Rsp2,
    Rsp3,
    Rsp4,
    Rsp5,
    RspOther,
    /// Requests denied by rules (`dreq`).
    DenyReq,
    /// Request errors (`ereq`).
    ErrReq,
    /// Connection errors (`econ`).
    ErrConn,
    /// Response errors (`eresp`).
    ErrResp,
    /// Retries (`wretr`) and redispatches (`wredis`).
    Retry,
    Redisp,
    /// Aborts by the client (`cli_abrt`) and by the server (`srv_abrt`).
    CliAbrt,
    SrvAbrt,
    /// Times a server was picked by the load balancer (`lbtot`).
    LbTot,
    /// Requests answered by the proxy's own rules (`intercepted`: `return`, redirects).
    Intercepted,
    /// New connections to servers (`connect`).
    Connect,
    /// Highest concurrent sessions seen (`smax`), kept as a max rather than a sum.
    SessMax,
}

/// Slots per object.
pub const N: usize = C::SessMax as usize + 1;

/// Which object a counter belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Obj {
    Fe(usize),
    Be(usize),
    Srv(usize, usize),
}

/// One thread's counters, laid out `[frontends | backends | servers of each backend]`.
struct Block {
    v: Box<[AtomicU64]>,
}

pub struct Counters {
    threads: Vec<Block>,
    nfe: usize,
    nbe: usize,
    /// Offset of each backend's first server, in objects, then the end (one more entry
    /// than backends, so a server's bound is the next entry).
    srv_base: Box<[usize]>,
}

impl Counters {
    /// `nthreads` blocks for `nfe` frontends and backends with `srvs[b]` servers each.
    pub fn new(nthreads: usize, nfe: usize, srvs: &[usize]) -> Counters {
        let nbe = srvs.len();
        let mut srv_base = Vec::with_capacity(nbe + 1);
        let mut at = nfe + nbe;
        for &n in srvs {
            srv_base.push(at);
            at += n;
        }
        srv_base.push(at);
        // One extra cache line of padding so two threads never share one.
        let len = at * N + 8;
        let threads = (0..nthreads.max(1))
            .map(|_| Block {
                v: (0..len).map(|_| AtomicU64::new(0)).collect(),
            })
            .collect();
        Counters {
            threads,
            nfe,
            nbe,
            srv_base: srv_base.into(),
        }
    }

    #[inline(always)]
    fn slot(&self, o: Obj, c: C) -> Option<usize> {
        let obj = match o {
            Obj::Fe(i) if i < self.nfe => i,
            Obj::Be(i) if i < self.nbe => self.nfe + i,
            Obj::Srv(b, s) => {
                let base = *self.srv_base.get(b)?;
                if base + s >= *self.srv_base.get(b + 1)? {
                    return None;
                }
                base + s
            }
            _ => return None,
        };
        Some(obj * N + c as usize)
    }

    /// Adds `n` to counter `c` of `o` on thread `t` (the calling worker's own block).
    #[inline(always)]
    pub fn add(&self, t: usize, o: Obj, c: C, n: u64) {
        if let (Some(b), Some(i)) = (self.threads.get(t), self.slot(o, c)) {
            if let Some(a) = b.v.get(i) {
                a.store(a.load(Relaxed).wrapping_add(n), Relaxed);
            }
        }
    }

    /// Raises the maximum `c` of `o` on thread `t` to `v`.
    #[inline(always)]
    pub fn max(&self, t: usize, o: Obj, c: C, v: u64) {
        if let (Some(b), Some(i)) = (self.threads.get(t), self.slot(o, c)) {
            if let Some(a) = b.v.get(i) {
                if a.load(Relaxed) < v {
                    a.store(v, Relaxed);
                }
            }
        }
    }

    /// The sum over threads (the max for [`C::SessMax`]).
    pub fn get(&self, o: Obj, c: C) -> u64 {
        let Some(i) = self.slot(o, c) else { return 0 };
        let it = self.threads.iter().map(|b| b.v[i].load(Relaxed));
        if c == C::SessMax {
            it.max().unwrap_or(0)
        } else {
            it.fold(0u64, |a, b| a.wrapping_add(b))
        }
    }

    /// `clear counters`: the maxima only, or (`all`) everything. A worker adding at the
    /// same moment may lose its increment, as HAProxy's own clearing may.
    pub fn clear(&self, all: bool) {
        for b in &self.threads {
            for (i, a) in b.v.iter().enumerate() {
                if all || i % N == C::SessMax as usize {
                    a.store(0, Relaxed);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_thread_sums() {
        let c = Counters::new(2, 1, &[2, 1]);
        c.add(0, Obj::Fe(0), C::Req, 2);
        c.add(1, Obj::Fe(0), C::Req, 3);
        c.add(1, Obj::Srv(1, 0), C::Rsp2, 1);
        c.add(0, Obj::Srv(0, 1), C::Rsp2, 4);
        c.max(0, Obj::Be(0), C::SessMax, 5);
        c.max(1, Obj::Be(0), C::SessMax, 3);
        assert_eq!(c.get(Obj::Fe(0), C::Req), 5);
        assert_eq!(c.get(Obj::Srv(1, 0), C::Rsp2), 1);
        assert_eq!(c.get(Obj::Srv(0, 1), C::Rsp2), 4);
        assert_eq!(c.get(Obj::Srv(0, 0), C::Rsp2), 0);
        assert_eq!(c.get(Obj::Be(0), C::SessMax), 5);
        // Out of range objects count nothing rather than spill into a neighbour.
        c.add(0, Obj::Srv(0, 2), C::Req, 1);
        assert_eq!(c.get(Obj::Srv(1, 0), C::Req), 0);
        c.clear(false);
        assert_eq!(c.get(Obj::Be(0), C::SessMax), 0);
        assert_eq!(c.get(Obj::Fe(0), C::Req), 5);
        c.clear(true);
        assert_eq!(c.get(Obj::Fe(0), C::Req), 0);
    }
}
