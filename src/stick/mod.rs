//! Stick tables (HAProxy 2.6's `stick_table.c`), socket-free like `queue`: keyed entries
//! with the counters a configuration `store`s, shared by every worker thread.
//!
//! A table is split into shards, each a mutex over a hash map, so that threads tracking
//! different clients rarely meet; an entry's counters have their own small mutex (HAProxy's
//! per-entry lock). Entries expire `expire` after their last touch unless a stream tracks
//! them (their reference count), and a full table makes room by trashing its oldest
//! unreferenced entries like `stktable_trash_oldest()` (`nopurge` refuses instead).
//!
//! [`Trackers`] are one connection's `sc0`..`sc2` slots: what `track-sc*` actions set and
//! `sc*_` fetches read, with HAProxy's session/stream split (slots tracked by
//! `tcp-request connection|session` last the whole connection, the others one stream).

pub mod freq;

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

pub use freq::FreqCtr;

use crate::model::Config;
use crate::sample::{Smp, SmpType};

/// HAProxy's `MAX_SESS_STKCTR`.
pub const MAX_SC: usize = 3;

/// The process's millisecond clock: wall-clock milliseconds at start plus monotonic time
/// since, so that frequency counters see ticks like HAProxy's `now_ms` (their low 32 bits).
pub fn now_ms() -> u64 {
    LOOP_MS.with(|c| c.get()).unwrap_or_else(clock_ms)
}

thread_local! {
    static LOOP_MS: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// HAProxy reads its clock once per polling loop (`now_ms`): every date taken while one
/// batch of events is handled is the same, which decides ties in the expiry order (an
/// entry created and released while answering one request keeps its queued date, so the
/// purge may trash it). An event loop calls this after each poll; elsewhere `now_ms` reads
/// the clock.
pub fn set_loop_time() {
    let t = clock_ms();
    LOOP_MS.with(|c| c.set(Some(t)));
}

fn clock_ms() -> u64 {
    static START: OnceLock<(Instant, u64)> = OnceLock::new();
    let (i, base) = START.get_or_init(|| {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        (Instant::now(), wall)
    });
    base + i.elapsed().as_millis() as u64
}

/// `type ip|ipv6|integer|string|binary [len N]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Ip,
    Ipv6,
    Integer,
    /// Longest key kept (`len`, default 32).
    String(usize),
    /// Key length (`len`, default 32): shorter keys are padded with zeros.
    Binary(usize),
}

impl KeyType {
    pub fn parse(ty: &str, len: Option<u32>) -> Option<KeyType> {
        let len = len.map_or(32, |l| l as usize);
        Some(match ty {
            "ip" => KeyType::Ip,
            "ipv6" => KeyType::Ipv6,
            "integer" => KeyType::Integer,
            "string" => KeyType::String(len),
            "binary" => KeyType::Binary(len),
            _ => return None,
        })
    }

    /// The name `show table` prints.
    pub fn name(&self) -> &'static str {
        match self {
            KeyType::Ip => "ip",
            KeyType::Ipv6 => "ipv6",
            KeyType::Integer => "integer",
            KeyType::String(_) => "string",
            KeyType::Binary(_) => "binary",
        }
    }

    /// `smp_to_stkey()`: the sample cast to the table's type, as key bytes.
    pub fn key(&self, v: Smp<'_>) -> Option<Vec<u8>> {
        Some(match self {
            KeyType::Ip => match v.cast(SmpType::Ipv4)? {
                Smp::Ipv4(a) => a.octets().to_vec(),
                _ => return None,
            },
            KeyType::Ipv6 => match v.cast(SmpType::Ipv6)? {
                Smp::Ipv6(a) => a.octets().to_vec(),
                _ => return None,
            },
            // A 32-bit unsigned key, like HAProxy's in-place conversion.
            KeyType::Integer => match v.cast(SmpType::Sint)? {
                Smp::Sint(i) => (i as u32).to_be_bytes().to_vec(),
                _ => return None,
            },
            KeyType::String(len) => {
                let s = v.cast(SmpType::Str)?;
                let b = s.bytes()?;
                // Keys are NUL-terminated strings in HAProxy.
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                b[..end.min(*len)].to_vec()
            }
            KeyType::Binary(len) => {
                let s = v.cast(SmpType::Bin)?;
                let mut b = s.bytes()?.to_vec();
                b.resize(*len, 0);
                b
            }
        })
    }

    /// The key as `show table` prints it.
    pub fn show(&self, k: &[u8]) -> String {
        match self {
            KeyType::Ip if k.len() == 4 => Ipv4Addr::new(k[0], k[1], k[2], k[3]).to_string(),
            KeyType::Ipv6 if k.len() == 16 => {
                let mut o = [0u8; 16];
                o.copy_from_slice(k);
                Ipv6Addr::from(o).to_string()
            }
            KeyType::Integer if k.len() == 4 => {
                u32::from_be_bytes([k[0], k[1], k[2], k[3]]).to_string()
            }
            KeyType::String(_) => String::from_utf8_lossy(k).into_owned(),
            _ => k.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// The stored data types, in HAProxy's `STKTABLE_DT_*` order (which `show table` follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dt {
    ServerId,
    Gpt0,
    Gpc0,
    Gpc0Rate,
    ConnCnt,
    ConnRate,
    ConnCur,
    SessCnt,
    SessRate,
    HttpReqCnt,
    HttpReqRate,
    HttpErrCnt,
    HttpErrRate,
    BytesInCnt,
    BytesInRate,
    BytesOutCnt,
    BytesOutRate,
    Gpc1,
    Gpc1Rate,
    ServerKey,
    HttpFailCnt,
    HttpFailRate,
    Gpt,
    Gpc,
    GpcRate,
}

/// What a data type holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Std {
    /// `std_t_sint` (server_id).
    Sint,
    /// `std_t_uint`: a 32-bit counter.
    Uint,
    /// `std_t_ull`: a 64-bit counter (bytes).
    Ull,
    /// `std_t_frqp`: a frequency counter over the type's period.
    Frqp,
    /// `std_t_dict`: a server name (server_key).
    Dict,
}

pub const ALL_DT: [Dt; 25] = [
    Dt::ServerId,
    Dt::Gpt0,
    Dt::Gpc0,
    Dt::Gpc0Rate,
    Dt::ConnCnt,
    Dt::ConnRate,
    Dt::ConnCur,
    Dt::SessCnt,
    Dt::SessRate,
    Dt::HttpReqCnt,
    Dt::HttpReqRate,
    Dt::HttpErrCnt,
    Dt::HttpErrRate,
    Dt::BytesInCnt,
    Dt::BytesInRate,
    Dt::BytesOutCnt,
    Dt::BytesOutRate,
    Dt::Gpc1,
    Dt::Gpc1Rate,
    Dt::ServerKey,
    Dt::HttpFailCnt,
    Dt::HttpFailRate,
    Dt::Gpt,
    Dt::Gpc,
    Dt::GpcRate,
];

impl Dt {
    pub fn name(self) -> &'static str {
        match self {
            Dt::ServerId => "server_id",
            Dt::Gpt0 => "gpt0",
            Dt::Gpc0 => "gpc0",
            Dt::Gpc0Rate => "gpc0_rate",
            Dt::ConnCnt => "conn_cnt",
            Dt::ConnRate => "conn_rate",
            Dt::ConnCur => "conn_cur",
            Dt::SessCnt => "sess_cnt",
            Dt::SessRate => "sess_rate",
            Dt::HttpReqCnt => "http_req_cnt",
            Dt::HttpReqRate => "http_req_rate",
            Dt::HttpErrCnt => "http_err_cnt",
            Dt::HttpErrRate => "http_err_rate",
            Dt::BytesInCnt => "bytes_in_cnt",
            Dt::BytesInRate => "bytes_in_rate",
            Dt::BytesOutCnt => "bytes_out_cnt",
            Dt::BytesOutRate => "bytes_out_rate",
            Dt::Gpc1 => "gpc1",
            Dt::Gpc1Rate => "gpc1_rate",
            Dt::ServerKey => "server_key",
            Dt::HttpFailCnt => "http_fail_cnt",
            Dt::HttpFailRate => "http_fail_rate",
            Dt::Gpt => "gpt",
            Dt::Gpc => "gpc",
            Dt::GpcRate => "gpc_rate",
        }
    }

    /// `stktable_get_data_type()` (with the old `server_name` alias).
    pub fn parse(name: &str) -> Option<Dt> {
        if name == "server_name" {
            return Some(Dt::ServerKey);
        }
        ALL_DT.iter().copied().find(|d| d.name() == name)
    }

    pub fn std(self) -> Std {
        match self {
            Dt::ServerId => Std::Sint,
            Dt::ServerKey => Std::Dict,
            Dt::BytesInCnt | Dt::BytesOutCnt => Std::Ull,
            Dt::Gpc0Rate
            | Dt::ConnRate
            | Dt::SessRate
            | Dt::HttpReqRate
            | Dt::HttpErrRate
            | Dt::BytesInRate
            | Dt::BytesOutRate
            | Dt::Gpc1Rate
            | Dt::HttpFailRate
            | Dt::GpcRate => Std::Frqp,
            _ => Std::Uint,
        }
    }

    pub fn is_array(self) -> bool {
        matches!(self, Dt::Gpt | Dt::Gpc | Dt::GpcRate)
    }

    fn idx(self) -> usize {
        self as usize
    }
}

/// Where each stored type lives in an entry's words, and its period.
#[derive(Debug, Clone, Default)]
struct Layout {
    /// Word offset and array length of each stored type.
    at: [Option<(u16, u16)>; 25],
    period: [u32; 25],
    words: usize,
}

impl Layout {
    fn add(&mut self, dt: Dt, n: usize, period: u32) {
        if self.at[dt.idx()].is_some() {
            return;
        }
        let per = match dt.std() {
            Std::Frqp => 2,
            Std::Dict => 0,
            _ => 1,
        };
        self.at[dt.idx()] = Some((self.words as u16, n as u16));
        self.period[dt.idx()] = period;
        self.words += per * n;
    }
}

/// A stored value as the API hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Int(i64),
    /// A counter of 32 or 64 bits.
    Uint(u64),
    /// A rate: events over the period (already divided).
    Rate(u32),
    Str(Option<Arc<str>>),
}

/// One entry's counters.
#[derive(Debug, Default)]
pub struct Data {
    words: Box<[u64]>,
    server_key: Option<Arc<str>>,
}

/// One key's entry. `refs` counts the streams tracking it (HAProxy's `ref_cnt`).
#[derive(Debug)]
pub struct Entry {
    pub key: Box<[u8]>,
    refs: AtomicU32,
    /// When it expires (ms of [`now_ms`]); meaningful when the table has an `expire`.
    expire: AtomicU64,
    /// Its place in HAProxy's expiry tree: the date it was (re)queued at and the queueing
    /// number (the order among equal dates), which identify its one live item in the
    /// shard's heap. A touch only moves `expire`; the sweep and the purge re-queue an entry
    /// whose date changed when they meet it (`__stktable_trash_oldest()`).
    queued: AtomicU64,
    qseq: AtomicU64,
    data: Mutex<Data>,
}

impl Entry {
    pub fn refs(&self) -> u32 {
        self.refs.load(Ordering::Relaxed)
    }
    pub fn expire(&self) -> u64 {
        self.expire.load(Ordering::Relaxed)
    }
    fn lock(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }
}

const SHARDS: usize = 16;

/// One shard: its entries, and their expiry dates as a min-heap (HAProxy's expiry tree,
/// lazily: a touch does not move an entry, the sweep re-queues it when met). Each entry
/// has one item; items of removed entries are dropped when they surface.
#[derive(Debug, Default)]
struct ShardData {
    map: HashMap<Box<[u8]>, Arc<Entry>>,
    exp: std::collections::BinaryHeap<ExpItem>,
}

/// An expiry heap item: date, queueing number, key (earliest first).
type ExpItem = std::cmp::Reverse<(u64, u64, Box<[u8]>)>;

type Shard = Mutex<ShardData>;

/// One stick table.
#[derive(Debug)]
pub struct Table {
    /// The proxy's name, or `<peers>/<name>` for a peers section's table.
    pub name: String,
    pub key_type: KeyType,
    pub size: u32,
    /// `expire`, in ms (`None`: entries never expire).
    pub expire: Option<u32>,
    pub nopurge: bool,
    layout: Layout,
    /// The stored types in declaration order, with their array size and period.
    pub stored: Vec<(Dt, usize, u32)>,
    shards: Box<[Shard]>,
    current: AtomicU32,
    /// No entry expires before this (ms): the expiry sweep's schedule.
    next_exp: AtomicU64,
    /// Touch counter, for [`Entry::seq`].
    seq: AtomicU64,
}

/// How a table was declared: `stick-table` arguments.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub key_type: String,
    pub key_len: Option<u32>,
    pub size: u32,
    pub expire: Option<u32>,
    pub nopurge: bool,
    /// `store` items: name and the raw argument (`10s`, `3,10s`).
    pub store: Vec<(String, Option<String>)>,
}

impl Spec {
    /// A peers section's `table` line, from its words after the name.
    pub fn from_words(words: &[String]) -> Spec {
        let mut s = Spec::default();
        let mut i = 0;
        let arg = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        while i < words.len() {
            match arg(i) {
                "type" => {
                    s.key_type = arg(i + 1).to_string();
                    i += 2;
                    if arg(i) == "len" {
                        s.key_len = arg(i + 1).parse().ok();
                        i += 2;
                    }
                }
                "size" => {
                    s.size = crate::config::values::parse_size(arg(i + 1)).unwrap_or(0);
                    i += 2;
                }
                "expire" => {
                    s.expire = crate::config::values::parse_time(
                        arg(i + 1),
                        crate::config::values::TimeUnit::Ms,
                    )
                    .ok()
                    .map(|t| t.value);
                    i += 2;
                }
                "nopurge" => {
                    s.nopurge = true;
                    i += 1;
                }
                "store" => {
                    s.store.extend(split_store(arg(i + 1)));
                    i += 2;
                }
                _ => i += 1,
            }
        }
        s
    }
}

/// `gpc0,http_req_rate(10s),gpc(3,1m)` → items with their raw argument.
fn split_store(list: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0, 0);
    let b = list.as_bytes();
    for i in 0..=b.len() {
        match b.get(i) {
            Some(b'(') => depth += 1,
            Some(b')') => depth -= 1,
            Some(b',') if depth > 0 => {}
            Some(b',') | None => {
                let item = &list[start..i];
                start = i + 1;
                if item.is_empty() {
                    continue;
                }
                match item.split_once('(') {
                    Some((n, a)) => {
                        out.push((n.to_string(), Some(a.trim_end_matches(')').to_string())))
                    }
                    None => out.push((item.to_string(), None)),
                }
            }
            _ => {}
        }
    }
    out
}

fn ms_arg(s: &str) -> u32 {
    crate::config::values::parse_time(s, crate::config::values::TimeUnit::Ms).map_or(0, |t| t.value)
}

impl Table {
    pub fn new(name: &str, spec: &Spec) -> Table {
        let key_type = KeyType::parse(&spec.key_type, spec.key_len).unwrap_or(KeyType::Ip);
        let mut layout = Layout::default();
        let mut stored = Vec::new();
        for (n, a) in &spec.store {
            let Some(dt) = Dt::parse(n) else { continue };
            let (count, period) = match (dt.is_array(), a.as_deref()) {
                (true, Some(a)) => {
                    let (c, p) = a.split_once(',').unwrap_or((a, ""));
                    (c.trim().parse::<usize>().unwrap_or(1), ms_arg(p.trim()))
                }
                (false, Some(a)) => (1, ms_arg(a)),
                (_, None) => (1, 0),
            };
            layout.add(dt, count, period);
            stored.push((dt, count, period));
        }
        Table {
            name: name.to_string(),
            key_type,
            size: spec.size,
            expire: spec.expire.filter(|&e| e > 0),
            nopurge: spec.nopurge,
            layout,
            stored,
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            current: AtomicU32::new(0),
            next_exp: AtomicU64::new(u64::MAX),
            seq: AtomicU64::new(0),
        }
    }

    /// Whether type `dt` (index `idx` of an array) is stored.
    pub fn stores(&self, dt: Dt, idx: usize) -> bool {
        self.layout.at[dt.idx()].is_some_and(|(_, n)| idx < n as usize)
    }

    /// The period of a rate type, ms.
    pub fn period(&self, dt: Dt) -> u32 {
        self.layout.period[dt.idx()]
    }

    /// Entries in the table (`table_cnt`), expired ones swept first.
    pub fn current(&self, now: u64) -> u32 {
        self.sweep_due(now);
        self.current.load(Ordering::Relaxed)
    }

    fn shard(&self, key: &[u8]) -> MutexGuard<'_, ShardData> {
        use std::hash::{BuildHasher, Hasher};
        static H: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
        let mut h = H.get_or_init(Default::default).build_hasher();
        h.write(key);
        self.shards[h.finish() as usize % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn expired(&self, e: &Entry, now: u64) -> bool {
        self.expire.is_some() && e.expire() <= now
    }

    fn new_expire(&self, now: u64) -> u64 {
        now + u64::from(self.expire.unwrap_or(0))
    }

    /// `stktable_lookup_key()`: the live entry of `key`.
    pub fn lookup(&self, key: &[u8], now: u64) -> Option<Arc<Entry>> {
        self.sweep_due(now);
        let mut g = self.shard(key);
        let e = g.map.get(key)?;
        if self.expired(e, now) && e.refs() == 0 {
            g.map.remove(key);
            self.current.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(e.clone())
    }

    /// `stktable_get_entry()`: the entry of `key`, created when missing (`None`: the table
    /// is full and nothing could be purged, or `nopurge`).
    pub fn get_or_create(&self, key: &[u8], now: u64) -> Option<Arc<Entry>> {
        if let Some(e) = self.lookup(key, now) {
            return Some(e);
        }
        loop {
            let cur = self.current.load(Ordering::Relaxed);
            if cur >= self.size {
                if self.nopurge || self.trash_oldest((self.size as usize >> 8) + 1, now) == 0 {
                    return None;
                }
                continue;
            }
            if self
                .current
                .compare_exchange(cur, cur + 1, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                break;
            }
        }
        let mut g = self.shard(key);
        if let Some(e) = g.map.get(key) {
            // Another thread created it meanwhile.
            self.current.fetch_sub(1, Ordering::Relaxed);
            return Some(e.clone());
        }
        let exp = self.new_expire(now);
        let qseq = self.seq.fetch_add(1, Ordering::Relaxed);
        let e = Arc::new(Entry {
            key: key.into(),
            refs: AtomicU32::new(0),
            expire: AtomicU64::new(exp),
            queued: AtomicU64::new(exp),
            qseq: AtomicU64::new(qseq),
            data: Mutex::new(Data {
                words: vec![0; self.layout.words].into_boxed_slice(),
                server_key: None,
            }),
        });
        g.exp.push(std::cmp::Reverse((exp, qseq, key.into())));
        g.map.insert(key.into(), e.clone());
        drop(g);
        if self.expire.is_some() {
            self.next_exp.fetch_min(exp, Ordering::Relaxed);
        }
        Some(e)
    }

    /// `stktable_touch_local()`: the entry's expiry restarts.
    pub fn touch(&self, e: &Entry, now: u64) {
        let exp = self.new_expire(now);
        e.expire.store(exp, Ordering::Relaxed);
        if self.expire.is_some() {
            self.next_exp.fetch_min(exp, Ordering::Relaxed);
        }
    }

    /// Takes a reference (a tracking stream).
    pub fn hold(&self, e: &Entry) {
        e.refs.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops a reference; an unreferenced expired entry goes (`stksess_kill_if_expired`).
    pub fn release(&self, e: &Entry, now: u64) {
        let before = e.refs.fetch_sub(1, Ordering::Relaxed);
        if before != 1 {
            return;
        }
        if self.expired(e, now) {
            self.kill(&e.key, true);
        } else if self.expire.is_some() && e.expire() < e.queued.load(Ordering::Relaxed) {
            // Held past its date, its item was put off: queue it at its date again.
            let exp = e.expire();
            let mut g = self.shard(&e.key);
            self.requeue(&mut g, e, exp);
            drop(g);
            self.next_exp.fetch_min(exp, Ordering::Relaxed);
        }
    }

    /// Removes `key` (only when unreferenced if `only_free`). True when removed.
    fn kill(&self, key: &[u8], only_free: bool) -> bool {
        let mut g = self.shard(key);
        match g.map.get(key) {
            Some(e) if !only_free || e.refs() == 0 => {
                g.map.remove(key);
                self.current.fetch_sub(1, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }

    /// Queues `e` at `at` (its previous item becomes stale).
    fn requeue(&self, g: &mut ShardData, e: &Entry, at: u64) {
        let q = self.seq.fetch_add(1, Ordering::Relaxed);
        e.queued.store(at, Ordering::Relaxed);
        e.qseq.store(q, Ordering::Relaxed);
        g.exp.push(std::cmp::Reverse((at, q, e.key.clone())));
    }

    /// The live entry of a heap item, if it still is one.
    fn live<'g>(g: &'g ShardData, at: u64, q: u64, key: &[u8]) -> Option<&'g Arc<Entry>> {
        g.map.get(key).filter(|e| {
            e.queued.load(Ordering::Relaxed) == at && e.qseq.load(Ordering::Relaxed) == q
        })
    }

    /// `__stktable_trash_oldest()`: walks the entries in expiry-tree order (the shards'
    /// heaps merged), skipping referenced ones, re-queueing those touched since they were
    /// queued, and removes up to `n` of the others, looking at no more than `2 n`. Returns
    /// how many went. Only runs on a full table.
    pub fn trash_oldest(&self, n: usize, _now: u64) -> usize {
        let mut guards: Vec<MutexGuard<'_, ShardData>> = self
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()))
            .collect();
        let (mut done, mut looked) = (0, 0);
        let mut skipped: Vec<(usize, ExpItem)> = Vec::new();
        while done < n && looked < 2 * n {
            // The shard whose earliest item is the earliest.
            let Some(i) = (0..guards.len())
                .filter(|&i| !guards[i].exp.is_empty())
                .min_by_key(|&i| {
                    let std::cmp::Reverse((at, q, _)) = guards[i].exp.peek().expect("not empty");
                    (*at, *q)
                })
            else {
                break;
            };
            let g = &mut *guards[i];
            let item = g.exp.pop().expect("not empty");
            let std::cmp::Reverse((at, q, ref key)) = item;
            let Some(e) = Self::live(g, at, q, key).cloned() else {
                continue;
            };
            looked += 1;
            if e.refs() > 0 {
                skipped.push((i, item));
                continue;
            }
            let exp = e.expire();
            if exp != at {
                self.requeue(g, &e, exp);
                continue;
            }
            g.map.remove(key);
            done += 1;
        }
        for (i, item) in skipped {
            guards[i].exp.push(item);
        }
        drop(guards);
        if done > 0 {
            self.current.fetch_sub(done as u32, Ordering::Relaxed);
        }
        done
    }

    /// Runs the expiry sweep when an entry may have expired.
    fn sweep_due(&self, now: u64) {
        if self.expire.is_some() && self.next_exp.load(Ordering::Relaxed) <= now {
            self.sweep(now);
        }
    }

    /// `stktable_trash_expired()`: removes the unreferenced expired entries, walking each
    /// shard's heap from its earliest date: an entry touched since is queued again at its
    /// new date, a referenced one a second later (its release also checks it).
    pub fn sweep(&self, now: u64) {
        if self.expire.is_none() {
            return;
        }
        self.next_exp.store(u64::MAX, Ordering::Relaxed);
        let mut next = u64::MAX;
        for s in self.shards.iter() {
            let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
            let g = &mut *g;
            let mut gone = 0;
            while let Some(std::cmp::Reverse((at, q, _))) = g.exp.peek() {
                if *at > now {
                    next = next.min(*at);
                    break;
                }
                let (at, q) = (*at, *q);
                let std::cmp::Reverse((_, _, key)) = g.exp.pop().expect("peeked");
                let Some(e) = Self::live(g, at, q, &key).cloned() else {
                    continue;
                };
                let exp = e.expire();
                let again = if e.refs() > 0 {
                    exp.max(now + 1000)
                } else if exp > now {
                    exp
                } else {
                    g.map.remove(&key);
                    gone += 1;
                    continue;
                };
                self.requeue(g, &e, again);
            }
            if gone > 0 {
                self.current.fetch_sub(gone, Ordering::Relaxed);
            }
        }
        self.next_exp.fetch_min(next, Ordering::Relaxed);
    }

    /// A value (`None`: the type is not stored). Rates are read at `now`.
    pub fn get(&self, e: &Entry, dt: Dt, idx: usize, now: u64) -> Option<Val> {
        let (at, n) = self.layout.at[dt.idx()]?;
        if idx >= n as usize {
            return None;
        }
        let d = e.lock();
        Some(match dt.std() {
            Std::Dict => Val::Str(d.server_key.clone()),
            Std::Sint => Val::Int(d.words[at as usize] as i64),
            Std::Uint | Std::Ull => Val::Uint(d.words[at as usize + idx]),
            Std::Frqp => {
                let o = at as usize + 2 * idx;
                let f = FreqCtr::unpack([d.words[o], d.words[o + 1]]);
                Val::Rate(f.read(self.period(dt), now as u32))
            }
        })
    }

    /// A value as fetches return it: integers and rates as `i64`.
    pub fn get_int(&self, e: &Entry, dt: Dt, idx: usize, now: u64) -> Option<i64> {
        match self.get(e, dt, idx, now)? {
            Val::Int(i) => Some(i),
            Val::Uint(u) => Some(u as i64),
            Val::Rate(r) => Some(r.into()),
            Val::Str(_) => None,
        }
    }

    /// Runs `f` over the entry's words for `dt`/`idx` under its lock. `None`: not stored.
    fn with_slot<T>(
        &self,
        e: &Entry,
        dt: Dt,
        idx: usize,
        f: impl FnOnce(&mut [u64], u32) -> T,
    ) -> Option<T> {
        let (at, n) = self.layout.at[dt.idx()]?;
        if idx >= n as usize {
            return None;
        }
        let per = if dt.std() == Std::Frqp { 2 } else { 1 };
        let o = at as usize + per * idx;
        let mut d = e.lock();
        Some(f(&mut d.words[o..o + per], self.period(dt)))
    }

    /// Adds `n` to a counter (32-bit ones wrap like HAProxy's `unsigned int`). Returns the
    /// new value, `None` when not stored.
    pub fn add(&self, e: &Entry, dt: Dt, idx: usize, n: u64) -> Option<u64> {
        self.with_slot(e, dt, idx, |w, _| {
            w[0] = if dt.std() == Std::Ull {
                w[0].wrapping_add(n)
            } else {
                u64::from((w[0] as u32).wrapping_add(n as u32))
            };
            w[0]
        })
    }

    /// Adds `n` events to a rate; returns its current period's count.
    pub fn add_rate(&self, e: &Entry, dt: Dt, idx: usize, n: u32, now: u64) -> Option<u32> {
        self.with_slot(e, dt, idx, |w, period| {
            let mut f = FreqCtr::unpack([w[0], w[1]]);
            let c = f.update(period, n, now as u32);
            let p = f.pack();
            w[0] = p[0];
            w[1] = p[1];
            let _ = c;
            f.curr_ctr
        })
    }

    /// Sets a counter or tag (`sc-set-gpt0`, `clr_gpc`); returns the previous value. Not
    /// for rates (see [`Table::set_data`]).
    pub fn set(&self, e: &Entry, dt: Dt, idx: usize, v: u64) -> Option<u64> {
        self.with_slot(e, dt, idx, |w, _| {
            let old = w[0];
            w[0] = match dt.std() {
                Std::Ull => v,
                Std::Sint => v as i64 as u64,
                _ => u64::from(v as u32),
            };
            old
        })
    }

    /// Decrements `conn_cur` when above zero.
    pub fn dec_conn_cur(&self, e: &Entry) {
        self.with_slot(e, Dt::ConnCur, 0, |w, _| {
            if w[0] as u32 > 0 {
                w[0] -= 1;
            }
        });
    }

    pub fn server_key(&self, e: &Entry) -> Option<Arc<str>> {
        e.lock().server_key.clone()
    }

    pub fn set_server_key(&self, e: &Entry, name: &str) {
        if self.stores(Dt::ServerKey, 0) {
            e.lock().server_key = Some(name.into());
        }
    }

    /// A snapshot of the live entries (for `show table`), in no particular order.
    pub fn entries(&self, now: u64) -> Vec<Arc<Entry>> {
        self.sweep_due(now);
        let mut out = Vec::new();
        for s in self.shards.iter() {
            let g = s.lock().unwrap_or_else(|e| e.into_inner());
            out.extend(
                g.map
                    .values()
                    .filter(|e| !self.expired(e, now) || e.refs() > 0)
                    .cloned(),
            );
        }
        out
    }

    /// `show table`'s header line (`table_dump_head_to_buffer()`).
    pub fn show_head(&self, now: u64) -> String {
        format!(
            "# table: {}, type: {}, size:{}, used:{}\n",
            self.name,
            self.key_type.name(),
            self.size,
            self.current(now)
        )
    }

    /// One `show table` line (`table_dump_entry_to_buffer()`): key, trackers, time left,
    /// then every stored value in data-type order (arrays as `gpc0`, `gpc1_rate(…)`…).
    pub fn show_entry(&self, e: &Entry, now: u64) -> String {
        use std::fmt::Write;
        let mut out = format!(
            "{:p}: key={} use={} exp={}",
            e as *const Entry,
            self.key_type.show(&e.key),
            e.refs(),
            if self.expire.is_some() {
                e.expire().saturating_sub(now)
            } else {
                0
            }
        );
        for dt in ALL_DT {
            let Some((_, n)) = self.layout.at[dt.idx()] else {
                continue;
            };
            let period = self.period(dt);
            let name = |i: usize| {
                if !dt.is_array() {
                    return dt.name().to_string();
                }
                match dt.name().split_once('_') {
                    Some((p, sfx)) => format!("{p}{i}_{sfx}"),
                    None => format!("{}{i}", dt.name()),
                }
            };
            for i in 0..(n as usize).max(1) {
                let n = name(i);
                if dt.std() == Std::Frqp {
                    let _ = write!(out, " {n}({period})=");
                } else {
                    let _ = write!(out, " {n}=");
                }
                match self.get(e, dt, i, now) {
                    Some(Val::Str(s)) => out.push_str(s.as_deref().unwrap_or("-")),
                    Some(Val::Int(v)) => {
                        let _ = write!(out, "{}", v as i32);
                    }
                    Some(Val::Uint(v)) => {
                        let _ = write!(out, "{v}");
                    }
                    Some(Val::Rate(v)) => {
                        let _ = write!(out, "{v}");
                    }
                    None => {}
                }
            }
        }
        out.push('\n');
        out
    }

    /// `set table <t> key <k> data.<type> <v>`: the entry is created if needed; `name` is
    /// a data type as `show table` prints it (`gpc0`, `gpc3`, `http_req_rate`…). `Err`:
    /// the type is not stored, or the table is full.
    pub fn set_data(&self, key: &[u8], name: &str, v: u64, now: u64) -> Result<(), String> {
        let (dt, idx) =
            parse_data_name(name).ok_or_else(|| format!("unknown data type '{name}'"))?;
        if !self.stores(dt, idx) {
            return Err(format!("data type '{name}' is not stored in this table"));
        }
        let e = self
            .get_or_create(key, now)
            .ok_or_else(|| "table is full".to_string())?;
        if dt.std() == Std::Frqp {
            // A period starting now with `v` events (`table_process_entry_per_key()`).
            self.with_slot(&e, dt, idx, |w, _| {
                let p = FreqCtr {
                    curr_tick: (now as u32) & !1,
                    curr_ctr: v as u32,
                    prev_ctr: 0,
                }
                .pack();
                w[0] = p[0];
                w[1] = p[1];
            });
        } else {
            self.set(&e, dt, idx, v);
        }
        self.touch(&e, now);
        Ok(())
    }

    /// `clear table`: removes the unreferenced entries `keep` refuses, or of `key` only.
    /// Returns how many went.
    pub fn clear(&self, key: Option<&[u8]>, mut keep: impl FnMut(&Entry) -> bool) -> usize {
        if let Some(k) = key {
            return usize::from(self.kill(k, true));
        }
        let mut gone = 0;
        for s in self.shards.iter() {
            let mut g = s.lock().unwrap_or_else(|e| e.into_inner());
            let before = g.map.len();
            g.map.retain(|_, e| e.refs() > 0 || keep(e));
            gone += before - g.map.len();
        }
        self.current.fetch_sub(gone as u32, Ordering::Relaxed);
        gone
    }

    /// The key bytes of sample `v` for this table.
    pub fn key_of(&self, v: Smp<'_>) -> Option<Vec<u8>> {
        self.key_type.key(v)
    }

    /// `stream_start_counters()`: a tracker starts on `e`.
    pub fn start_counters(&self, e: &Entry, now: u64) {
        self.add(e, Dt::ConnCur, 0, 1);
        self.add(e, Dt::ConnCnt, 0, 1);
        self.add_rate(e, Dt::ConnRate, 0, 1, now);
        self.touch(e, now);
    }
}

/// A data type as `show table` / `set table` name it: `gpc0` (the legacy type, else
/// `gpc[0]`), `gpc3`, `gpc3_rate`, `gpt1`, `http_req_rate`…
pub fn parse_data_name(name: &str) -> Option<(Dt, usize)> {
    if let Some(dt) = Dt::parse(name).filter(|d| !d.is_array()) {
        return Some((dt, 0));
    }
    for (pfx, sfx, dt) in [
        ("gpc", "_rate", Dt::GpcRate),
        ("gpc", "", Dt::Gpc),
        ("gpt", "", Dt::Gpt),
    ] {
        if let Some(rest) = name.strip_prefix(pfx).and_then(|r| r.strip_suffix(sfx)) {
            if let Ok(i) = rest.parse::<usize>() {
                return Some((dt, i));
            }
        }
    }
    None
}

/// Every table of a configuration, by name.
#[derive(Debug, Default)]
pub struct Registry {
    tables: HashMap<String, Arc<Table>>,
}

impl Registry {
    /// The tables of `cfg`: each proxy's `stick-table` (named after the proxy) and each
    /// peers section's `table` lines (`<peers>/<name>`).
    pub fn build(cfg: &Config) -> Registry {
        let mut tables = HashMap::new();
        // Tables `stick` rules use also store the server (`check_config_validity()`
        // allocates server_id and server_key for them).
        let mut sticky: Vec<&str> = Vec::new();
        for px in cfg.proxies.iter().filter(|p| !p.cap.is_defaults()) {
            for r in &px.rules.stick_rules {
                sticky.push(r.table.as_deref().unwrap_or(&px.name));
            }
        }
        let add_server = |name: &str, spec: &mut Spec| {
            if sticky.contains(&name) {
                for dt in ["server_id", "server_key"] {
                    if !spec.store.iter().any(|(n, _)| n == dt) {
                        spec.store.push((dt.to_string(), None));
                    }
                }
            }
        };
        for px in &cfg.proxies {
            if px.cap.is_defaults() {
                continue;
            }
            if let Some(st) = &px.rules.stick_table {
                let mut spec = Spec {
                    key_type: st.key_type.clone(),
                    key_len: st.key_len,
                    size: st.size,
                    expire: st.expire,
                    nopurge: st.nopurge,
                    store: st.store.clone(),
                };
                add_server(&px.name, &mut spec);
                tables.insert(px.name.clone(), Arc::new(Table::new(&px.name, &spec)));
            }
        }
        for p in &cfg.peers {
            for t in &p.tables {
                let mut spec = Spec::from_words(&t.args);
                add_server(&t.id, &mut spec);
                tables.insert(t.id.clone(), Arc::new(Table::new(&t.id, &spec)));
            }
        }
        Registry { tables }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<Table>> {
        self.tables.get(name)
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// Every table, by name order (for `show table`).
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Table>> {
        let mut v: Vec<&Arc<Table>> = self.tables.values().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v.into_iter()
    }
}

// The tables rules and expressions are compiled against: the runtime sets them around a
// proxy's compilation so that `table` arguments (empty: the proxy's own) resolve to
// handles once, without threading a context through every compiler.
thread_local! {
    static SCOPE: RefCell<Option<(Arc<Registry>, String)>> = const { RefCell::new(None) };
}

/// Runs `f` with `reg` as the tables and `proxy` as the current proxy for [`resolve`].
pub fn scope<T>(reg: &Arc<Registry>, proxy: &str, f: impl FnOnce() -> T) -> T {
    let prev = SCOPE.with(|s| s.replace(Some((reg.clone(), proxy.to_string()))));
    let out = f();
    SCOPE.with(|s| *s.borrow_mut() = prev);
    out
}

/// [`scope`] for a block: the previous scope comes back when the guard drops.
pub struct ScopeGuard {
    prev: Option<(Arc<Registry>, String)>,
}

impl ScopeGuard {
    pub fn new(reg: &Arc<Registry>, proxy: &str) -> ScopeGuard {
        let prev = SCOPE.with(|s| s.replace(Some((reg.clone(), proxy.to_string()))));
        ScopeGuard { prev }
    }
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        SCOPE.with(|s| *s.borrow_mut() = prev);
    }
}

/// The table `name` (empty: the current proxy's) in the compile scope.
pub fn resolve(name: &str) -> Option<Arc<Table>> {
    SCOPE.with(|s| {
        let s = s.borrow();
        let (reg, px) = s.as_ref()?;
        reg.get(if name.is_empty() { px } else { name }).cloned()
    })
}

/// A tracked entry in one slot.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub table: Arc<Table>,
    pub entry: Arc<Entry>,
    /// Tracked by a stream (content or HTTP rules) rather than by the session.
    pub content: bool,
}

/// One connection's tracking slots (`sc0`..`sc2`). A connection lives on one worker, so
/// the lock is never contended; it only makes the slots shareable with the rules.
#[derive(Debug, Default)]
pub struct Trackers {
    slots: Mutex<[Option<Tracked>; MAX_SC]>,
    /// A stream exists (rules now track at stream level).
    in_stream: std::sync::atomic::AtomicBool,
    /// An HTTP request (valid or not) was counted on this connection.
    http_seen: std::sync::atomic::AtomicBool,
    /// Client bytes in and out not yet added to the tracked entries.
    pending: [AtomicU64; 2],
    /// The tracked slots, a bit each: streams with nothing tracked take no lock.
    tracked: std::sync::atomic::AtomicU8,
}

impl Trackers {
    fn slots(&self) -> MutexGuard<'_, [Option<Tracked>; MAX_SC]> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry in slot `n`.
    pub fn get(&self, n: usize) -> Option<Tracked> {
        if !self.is_tracked(n) {
            return None;
        }
        self.slots().get(n)?.clone()
    }

    pub fn is_tracked(&self, n: usize) -> bool {
        n < MAX_SC && self.mask() & (1 << n) != 0
    }

    /// Notes that an HTTP request was counted; returns whether one was before.
    pub fn saw_http_request(&self) -> bool {
        self.http_seen.swap(true, Ordering::Relaxed)
    }

    /// A stream begins: later tracking belongs to it.
    pub fn begin_stream(&self) {
        self.in_stream.store(true, Ordering::Relaxed);
    }

    /// `track-scN`: starts tracking `key` of `table` in slot `n` unless the slot is
    /// taken (the first track wins). Returns the entry when it was tracked now.
    pub fn track(&self, n: usize, table: &Arc<Table>, key: &[u8], now: u64) -> Option<Arc<Entry>> {
        if n >= MAX_SC || self.is_tracked(n) {
            return None;
        }
        let e = table.get_or_create(key, now)?;
        table.hold(&e);
        table.start_counters(&e, now);
        self.slots()[n] = Some(Tracked {
            table: table.clone(),
            entry: e.clone(),
            content: self.in_stream.load(Ordering::Relaxed),
        });
        self.tracked.fetch_or(1 << n, Ordering::Relaxed);
        Some(e)
    }

    /// `session_count_new()`: a session was accepted with these slots tracked.
    pub fn count_session(&self, now: u64) {
        for t in self.slots().iter().flatten() {
            t.table.add(&t.entry, Dt::SessCnt, 0, 1);
            t.table.add_rate(&t.entry, Dt::SessRate, 0, 1, now);
        }
    }

    /// The tracked slots, a bit each.
    pub fn mask(&self) -> u8 {
        self.tracked.load(Ordering::Relaxed)
    }

    /// Adds one event to `cnt` and `rate` of every tracked entry (HTTP requests, errors,
    /// failures), touching those that changed.
    pub fn inc(&self, cnt: Dt, rate: Dt, now: u64) {
        self.inc_only(0xff, cnt, rate, now);
    }

    /// [`Self::inc`] for the slots of `mask`.
    pub fn inc_only(&self, mask: u8, cnt: Dt, rate: Dt, now: u64) {
        if mask & self.mask() == 0 {
            return;
        }
        let slots = self.slots();
        for (_, t) in slots
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .filter_map(|(i, t)| Some((i, t.as_ref()?)))
        {
            let a = t.table.add(&t.entry, cnt, 0, 1).is_some();
            let b = t.table.add_rate(&t.entry, rate, 0, 1, now).is_some();
            if a || b {
                t.table.touch(&t.entry, now);
            }
        }
    }

    /// Notes bytes received from (`inbound`) or sent to the client, added to the tracked
    /// entries when the stream ends ([`Self::flush_bytes`]).
    pub fn note_bytes(&self, inbound: bool, n: u64) {
        self.pending[usize::from(!inbound)].fetch_add(n, Ordering::Relaxed);
    }

    /// Adds the noted bytes to every tracked entry.
    pub fn flush_bytes(&self, now: u64) {
        for (i, p) in self.pending.iter().enumerate() {
            let n = p.swap(0, Ordering::Relaxed);
            if self.any() {
                self.add_bytes(i == 0, n, now);
            }
        }
    }

    /// Bytes received from (`inbound`) or sent to the client.
    pub fn add_bytes(&self, inbound: bool, n: u64, now: u64) {
        if n == 0 {
            return;
        }
        let (cnt, rate) = if inbound {
            (Dt::BytesInCnt, Dt::BytesInRate)
        } else {
            (Dt::BytesOutCnt, Dt::BytesOutRate)
        };
        for t in self.slots().iter().flatten() {
            let a = t.table.add(&t.entry, cnt, 0, n).is_some();
            let b = t.table.add_rate(&t.entry, rate, 0, n as u32, now).is_some();
            if a || b {
                t.table.touch(&t.entry, now);
            }
        }
    }

    /// `stream_store_counters()` for a stream ending: its own slots are released
    /// (`conn_cur` decremented), the session's stay. The next stream starts with the
    /// session's slots.
    pub fn end_stream(&self, now: u64) {
        self.flush_bytes(now);
        self.release(now, |t| t.content);
    }

    /// The session ends: every slot is released.
    pub fn end_session(&self, now: u64) {
        self.flush_bytes(now);
        self.release(now, |_| true);
        self.in_stream.store(false, Ordering::Relaxed);
    }

    fn release(&self, now: u64, which: impl Fn(&Tracked) -> bool) {
        if !self.any() {
            return;
        }
        let mut slots = self.slots();
        for (i, s) in slots.iter_mut().enumerate() {
            if s.as_ref().is_some_and(&which) {
                self.tracked.fetch_and(!(1 << i), Ordering::Relaxed);
                let t = s.take().expect("checked");
                t.table.dec_conn_cur(&t.entry);
                t.table.touch(&t.entry, now);
                t.table.release(&t.entry, now);
            }
        }
    }

    /// Whether any slot is tracked (the runtime skips its counting otherwise).
    pub fn any(&self) -> bool {
        self.mask() != 0
    }
}

impl Drop for Trackers {
    fn drop(&mut self) {
        if self.any() {
            self.end_session(now_ms());
        }
    }
}

#[cfg(test)]
mod tests;
