//! Stick-table fetches (`sc_*`, `sc0_*`..`sc2_*`, `src_*`, `table_cnt`, `table_avl`) and
//! converters (`in_table`, `table_*`), as `stick_table.c`'s sample functions of 2.6: a
//! tracked slot or the source address's entry, then one stored value.
//!
//! Tables are resolved when compiled (through [`crate::stick::resolve`]); a fetch or
//! converter compiled without tables (tests, coverage) yields no sample.

use std::sync::Arc;

use super::fetch::Txn;
use super::value::Smp;
use crate::model::expr::ArgValue;
use crate::stick::{now_ms, Dt, Entry, Table};

/// Where the entry comes from.
#[derive(Debug, Clone)]
enum From {
    /// Slot `n` of the stream (then of the session), optionally looked up again in
    /// another table.
    Sc(usize, Option<Arc<Table>>),
    /// The source address in a table (`None`: it does not exist here).
    Src(Option<Arc<Table>>),
}

/// What is read (or changed) in the entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Tracked,
    Trackers,
    /// A value, with the array type it falls back to (and its index) when not stored.
    Get(Dt, usize, Option<Dt>),
    /// `kbytes_in/out`: the byte counter divided by 1024.
    KBytes(Dt),
    /// `inc_gpc*`: the rate and the counter (each with its fallback).
    Inc {
        rate: Dt,
        cnt: Dt,
        idx: usize,
        fallback: bool,
    },
    Clr(Dt, usize, bool),
    UpdtConnCnt,
}

/// A compiled stick-counter fetch.
#[derive(Debug, Clone)]
pub struct StkFetch {
    from: From,
    what: What,
}

fn arg_int(args: &[ArgValue], i: usize) -> Option<i64> {
    match args.get(i) {
        Some(ArgValue::Sint(v)) => Some(*v),
        _ => None,
    }
}

/// The table of argument `i` (a `Tab` argument; absent: `None`).
fn arg_tab(args: &[ArgValue], i: usize) -> Option<Option<Arc<Table>>> {
    match args.get(i) {
        Some(ArgValue::Tab(n)) => Some(crate::stick::resolve(n)),
        _ => None,
    }
}

/// The metric part of a fetch name; `idx`: the `gpc`/`gpt` index argument when the name
/// takes one.
fn what(metric: &str, idx: Option<usize>) -> Option<What> {
    use Dt::*;
    let get = |d: Dt| What::Get(d, 0, None);
    Some(match (metric, idx) {
        ("tracked", None) => What::Tracked,
        ("trackers", None) => What::Trackers,
        ("get_gpt0", None) => What::Get(Gpt0, 0, Some(Gpt)),
        ("get_gpc0", None) => What::Get(Gpc0, 0, Some(Gpc)),
        ("get_gpc1", None) => What::Get(Gpc1, 1, Some(Gpc)),
        ("gpc0_rate", None) => What::Get(Gpc0Rate, 0, Some(GpcRate)),
        ("gpc1_rate", None) => What::Get(Gpc1Rate, 1, Some(GpcRate)),
        ("get_gpt", Some(i)) => What::Get(Gpt, i, None),
        ("get_gpc", Some(i)) => What::Get(Gpc, i, None),
        ("gpc_rate", Some(i)) => What::Get(GpcRate, i, None),
        ("inc_gpc0", None) => What::Inc {
            rate: Gpc0Rate,
            cnt: Gpc0,
            idx: 0,
            fallback: true,
        },
        ("inc_gpc1", None) => What::Inc {
            rate: Gpc1Rate,
            cnt: Gpc1,
            idx: 1,
            fallback: true,
        },
        ("inc_gpc", Some(i)) => What::Inc {
            rate: GpcRate,
            cnt: Gpc,
            idx: i,
            fallback: false,
        },
        ("clr_gpc0", None) => What::Clr(Gpc0, 0, true),
        ("clr_gpc1", None) => What::Clr(Gpc1, 1, true),
        ("clr_gpc", Some(i)) => What::Clr(Gpc, i, false),
        ("conn_cnt", None) => get(ConnCnt),
        ("conn_cur", None) => get(ConnCur),
        ("conn_rate", None) => get(ConnRate),
        ("sess_cnt", None) => get(SessCnt),
        ("sess_rate", None) => get(SessRate),
        ("http_req_cnt", None) => get(HttpReqCnt),
        ("http_req_rate", None) => get(HttpReqRate),
        ("http_err_cnt", None) => get(HttpErrCnt),
        ("http_err_rate", None) => get(HttpErrRate),
        ("http_fail_cnt", None) => get(HttpFailCnt),
        ("http_fail_rate", None) => get(HttpFailRate),
        ("bytes_in_rate", None) => get(BytesInRate),
        ("bytes_out_rate", None) => get(BytesOutRate),
        ("kbytes_in", None) => What::KBytes(BytesInCnt),
        ("kbytes_out", None) => What::KBytes(BytesOutCnt),
        ("updt_conn_cnt", None) => What::UpdtConnCnt,
        _ => return None,
    })
}

/// Metrics whose fetch takes a `gpc`/`gpt` index first.
fn takes_idx(metric: &str) -> bool {
    matches!(
        metric,
        "get_gpt" | "get_gpc" | "gpc_rate" | "inc_gpc" | "clr_gpc"
    )
}

impl StkFetch {
    /// `None`: `name` is not a stick-table fetch.
    pub fn compile(name: &str, args: &[ArgValue]) -> Option<StkFetch> {
        let (from_kind, metric) = if let Some(m) = name.strip_prefix("sc_") {
            (None, m)
        } else if let Some(m) = name.strip_prefix("src_") {
            (Some(None), m)
        } else {
            let b = name.as_bytes();
            if b.len() > 4 && b.starts_with(b"sc") && b[2].is_ascii_digit() && b[3] == b'_' {
                (Some(Some((b[2] - b'0') as usize)), &name[4..])
            } else {
                return None;
            }
        };
        let mut a = 0;
        let idx = if takes_idx(metric) {
            a += 1;
            Some(arg_int(args, 0).unwrap_or(0).max(0) as usize)
        } else {
            None
        };
        let what = what(metric, idx)?;
        let from = match from_kind {
            // `sc_*(<ctr>[,<table>])`.
            None => {
                let n = arg_int(args, a).unwrap_or(0).max(0) as usize;
                From::Sc(n, arg_tab(args, a + 1).flatten())
            }
            Some(Some(n)) => From::Sc(n, arg_tab(args, a).flatten()),
            Some(None) => {
                if what == What::Tracked {
                    return None;
                }
                From::Src(arg_tab(args, a).unwrap_or_else(|| crate::stick::resolve("")))
            }
        };
        if matches!(from, From::Sc(..)) && what == What::UpdtConnCnt {
            return None;
        }
        Some(StkFetch { from, what })
    }

    pub fn one<'a>(&self, t: &Txn<'a>) -> Option<Smp<'a>> {
        let now = now_ms();
        // (table, entry, whether the entry may be created for src_*)
        let (table, entry): (Arc<Table>, Option<Arc<Entry>>) = match &self.from {
            From::Sc(n, alt) => {
                let tr = t.s.stk.and_then(|k| k.get(*n));
                let Some(tr) = tr else {
                    // `sc*_tracked` says false; the others have no sample.
                    return (self.what == What::Tracked).then_some(Smp::Bool(false));
                };
                match alt {
                    Some(alt) => {
                        let e = alt.lookup(&tr.entry.key, now);
                        (alt.clone(), e)
                    }
                    None => (tr.table, Some(tr.entry)),
                }
            }
            From::Src(tab) => {
                let tab = tab.as_ref()?;
                let src = super::fetch::addr(t.s.src?);
                let key = tab.key_of(src)?;
                if self.what == What::UpdtConnCnt {
                    let e = tab.get_or_create(&key, now)?;
                    let v = tab.add(&e, Dt::ConnCnt, 0, 1)?;
                    tab.touch(&e, now);
                    return Some(Smp::Sint(v as i64));
                }
                let e = tab.lookup(&key, now);
                (tab.clone(), e)
            }
        };
        let src_create = || -> Option<Arc<Entry>> {
            let From::Src(Some(tab)) = &self.from else {
                return None;
            };
            let key = tab.key_of(super::fetch::addr(t.s.src?))?;
            tab.get_or_create(&key, now)
        };
        let sint = |v: u64| Some(Smp::Sint(v as i64));
        match self.what {
            What::Tracked => Some(Smp::Bool(true)),
            What::Trackers => sint(entry.map_or(0, |e| u64::from(e.refs()))),
            What::Get(dt, idx, fb) => {
                let Some(e) = entry else { return sint(0) };
                let v = match fb {
                    Some(arr) if !table.stores(dt, 0) => table.get_int(&e, arr, idx, now),
                    _ => table.get_int(&e, dt, if fb.is_some() { 0 } else { idx }, now),
                }?;
                Some(Smp::Sint(v))
            }
            What::KBytes(dt) => {
                let Some(e) = entry else { return sint(0) };
                let v = table.get_int(&e, dt, 0, now)?;
                Some(Smp::Sint(v >> 10))
            }
            What::Inc {
                rate,
                cnt,
                idx,
                fallback,
            } => {
                let Some(e) = entry.or_else(src_create) else {
                    return sint(0);
                };
                let pick = |d: Dt, arr: Dt| {
                    if fallback {
                        if table.stores(d, 0) {
                            Some((d, 0))
                        } else {
                            table.stores(arr, idx).then_some((arr, idx))
                        }
                    } else {
                        table.stores(d, idx).then_some((d, idx))
                    }
                };
                let r = pick(rate, Dt::GpcRate);
                let c = pick(cnt, Dt::Gpc);
                let mut v = 0u64;
                if let Some((d, i)) = r {
                    v = table.add_rate(&e, d, i, 1, now).map_or(0, u64::from);
                }
                if let Some((d, i)) = c {
                    v = table.add(&e, d, i, 1).unwrap_or(0);
                }
                if r.is_some() || c.is_some() {
                    table.touch(&e, now);
                }
                sint(v)
            }
            What::Clr(dt, idx, fallback) => {
                let Some(e) = entry.or_else(src_create) else {
                    return sint(0);
                };
                let (d, i) = if fallback && !table.stores(dt, 0) {
                    (Dt::Gpc, idx)
                } else if fallback {
                    (dt, 0)
                } else {
                    (dt, idx)
                };
                let old = table.set(&e, d, i, 0)?;
                table.touch(&e, now);
                sint(old)
            }
            What::UpdtConnCnt => None,
        }
    }
}

/// `table_cnt` / `table_avl`.
#[derive(Debug, Clone)]
pub struct TableStat {
    table: Option<Arc<Table>>,
    avl: bool,
}

impl TableStat {
    pub fn compile(name: &str, args: &[ArgValue]) -> Option<TableStat> {
        let avl = match name {
            "table_cnt" => false,
            "table_avl" => true,
            _ => return None,
        };
        Some(TableStat {
            table: arg_tab(args, 0).unwrap_or_else(|| crate::stick::resolve("")),
            avl,
        })
    }

    pub fn one(&self) -> Option<Smp<'static>> {
        let t = self.table.as_ref()?;
        let cur = i64::from(t.current(now_ms()));
        Some(Smp::Sint(if self.avl {
            i64::from(t.size) - cur
        } else {
            cur
        }))
    }
}

/// What a table converter returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConvWhat {
    In,
    Trackers,
    Expire,
    Idle,
    Get(Dt, usize, Option<Dt>),
    KBytes(Dt),
    ServerId,
}

/// `in_table(t)`, `table_<data>(t)`, `table_gpt(idx,t)`…
#[derive(Debug, Clone)]
pub struct TableConv {
    table: Option<Arc<Table>>,
    what: ConvWhat,
    default: Option<i64>,
}

impl TableConv {
    pub fn compile(name: &str, args: &[ArgValue]) -> Option<TableConv> {
        let metric = if name == "in_table" {
            "in"
        } else {
            name.strip_prefix("table_")?
        };
        let with_idx = matches!(metric, "gpt" | "gpc" | "gpc_rate");
        let (idx, tab_at) = if with_idx {
            (arg_int(args, 0).unwrap_or(0).max(0) as usize, 1)
        } else {
            (0, 0)
        };
        use Dt::*;
        let what = match metric {
            "in" => ConvWhat::In,
            "trackers" => ConvWhat::Trackers,
            "expire" => ConvWhat::Expire,
            "idle" => ConvWhat::Idle,
            "server_id" => ConvWhat::ServerId,
            "gpt" => ConvWhat::Get(Gpt, idx, None),
            "gpc" => ConvWhat::Get(Gpc, idx, None),
            "gpc_rate" => ConvWhat::Get(GpcRate, idx, None),
            "gpt0" => ConvWhat::Get(Gpt0, 0, Some(Gpt)),
            "gpc0" => ConvWhat::Get(Gpc0, 0, Some(Gpc)),
            "gpc1" => ConvWhat::Get(Gpc1, 1, Some(Gpc)),
            "gpc0_rate" => ConvWhat::Get(Gpc0Rate, 0, Some(GpcRate)),
            "gpc1_rate" => ConvWhat::Get(Gpc1Rate, 1, Some(GpcRate)),
            "kbytes_in" => ConvWhat::KBytes(BytesInCnt),
            "kbytes_out" => ConvWhat::KBytes(BytesOutCnt),
            m => ConvWhat::Get(Dt::parse(m).filter(|d| !d.is_array())?, 0, None),
        };
        Some(TableConv {
            table: arg_tab(args, tab_at).flatten(),
            what,
            default: arg_int(args, 1).filter(|_| !with_idx),
        })
    }

    pub fn apply(&self, smp: Smp<'_>) -> Option<Smp<'static>> {
        let t = self.table.as_ref()?;
        let key = t.key_of(smp)?;
        let now = now_ms();
        let e = t.lookup(&key, now);
        if self.what == ConvWhat::In {
            return Some(Smp::Bool(e.is_some()));
        }
        let Some(e) = e else {
            return match self.what {
                ConvWhat::Expire | ConvWhat::Idle => self.default.map(Smp::Sint),
                _ => Some(Smp::Sint(0)),
            };
        };
        let remain = e.expire().saturating_sub(now) as i64;
        Some(Smp::Sint(match self.what {
            ConvWhat::In => unreachable!("answered above"),
            // The lookup's own reference counts, as in HAProxy.
            ConvWhat::Trackers => i64::from(e.refs()) + 1,
            ConvWhat::Expire => remain,
            ConvWhat::Idle => (i64::from(t.expire.unwrap_or(0)) - remain).max(0),
            ConvWhat::ServerId => t.get_int(&e, Dt::ServerId, 0, now)?,
            ConvWhat::KBytes(d) => t.get_int(&e, d, 0, now)? >> 10,
            ConvWhat::Get(d, idx, Some(arr)) if !t.stores(d, 0) => t.get_int(&e, arr, idx, now)?,
            ConvWhat::Get(d, idx, fb) => {
                t.get_int(&e, d, if fb.is_some() { 0 } else { idx }, now)?
            }
        }))
    }
}

/// The converters this module implements (coverage).
pub fn conv_implemented(name: &str) -> bool {
    let probe = [
        ArgValue::Sint(0),
        ArgValue::Tab(String::new()),
        ArgValue::Sint(0),
    ];
    crate::config::expr::kw::find_conv(name).is_some()
        && (TableConv::compile(name, &probe).is_some()
            || TableConv::compile(name, &probe[1..]).is_some())
}
