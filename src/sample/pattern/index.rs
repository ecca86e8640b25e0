//! The lookup structures behind ACL pattern sets and maps. Every pattern carries an id
//! given in load order, so that "the first pattern of the file" — what HAProxy's lists
//! return — is the lowest matching id, whatever structure found it.
//!
//! HAProxy indexes exact strings, prefixes and networks in trees and walks lists for the
//! other methods. Here exact strings, prefixes and suffixes are hashed (one probe per
//! distinct pattern length present, with a rolling hash so that probing every length costs
//! one pass over the input), networks live in one hash table per prefix length, and the
//! methods HAProxy walks linearly are walked linearly.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;
use std::sync::OnceLock;

use crate::model::expr::{MatchMethod, Pattern, SmpType};
use crate::sample::value::{v6_to_v4, Smp};

/// A pattern's position in load order.
pub type Id = u32;

/// What a lookup must find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Any matching pattern (ACLs only need a yes or no).
    Any,
    /// The pattern HAProxy's match function returns (maps read its value): the longest
    /// prefix for the tree-indexed methods, the first in load order for the others.
    Best,
}

/// Capture offsets of a `regm` match, `\0` to `\9` (`MAX_MATCH`).
pub type Captures = [Option<(usize, usize)>; 10];

/// The hashes below are already mixed: hashing them again would only cost time.
#[derive(Default)]
pub struct PassHasher(u64);

impl Hasher for PassHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type Pass = BuildHasherDefault<PassHasher>;

const FNV_SEED: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[inline]
fn step(h: u64, b: u8, fold: bool) -> u64 {
    let b = if fold { b.to_ascii_lowercase() } else { b };
    (h ^ b as u64).wrapping_mul(FNV_PRIME)
}

/// FNV-1a's low bits are weak; the tables index by them.
#[inline]
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

fn hash_fwd(key: &[u8], fold: bool) -> u64 {
    mix(key.iter().fold(FNV_SEED, |h, &b| step(h, b, fold)))
}

fn hash_rev(key: &[u8], fold: bool) -> u64 {
    mix(key.iter().rev().fold(FNV_SEED, |h, &b| step(h, b, fold)))
}

#[inline]
fn same(a: &[u8], b: &[u8], fold: bool) -> bool {
    if fold {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

type Buckets = HashMap<u64, Vec<(Box<[u8]>, Id)>, Pass>;

fn bucket_insert(map: &mut Buckets, h: u64, key: &[u8], id: Id) {
    map.entry(h).or_default().push((key.into(), id));
}

fn bucket_remove(map: &mut Buckets, h: u64, id: Id) -> bool {
    let Some(v) = map.get_mut(&h) else {
        return false;
    };
    let before = v.len();
    v.retain(|(_, i)| *i != id);
    let removed = v.len() != before;
    if v.is_empty() {
        map.remove(&h);
    }
    removed
}

/// Exact strings (`str`, `bin`).
#[derive(Debug, Clone, Default)]
pub struct Exact {
    fold: bool,
    /// `str` without `-i` lives in HAProxy's string tree, looked up as a C string: a
    /// sample stops at its first NUL byte there.
    nul_stop: bool,
    map: Buckets,
}

impl Exact {
    fn insert(&mut self, key: &[u8], id: Id) {
        bucket_insert(&mut self.map, hash_fwd(key, self.fold), key, id);
    }

    fn remove(&mut self, key: &[u8], id: Id) {
        bucket_remove(&mut self.map, hash_fwd(key, self.fold), id);
    }

    fn lookup(&self, s: &[u8]) -> Option<Id> {
        let s = match (self.nul_stop, s.iter().position(|&b| b == 0)) {
            (true, Some(p)) => &s[..p],
            _ => s,
        };
        let v = self.map.get(&hash_fwd(s, self.fold))?;
        v.iter()
            .find(|(k, _)| same(k, s, self.fold))
            .map(|(_, id)| *id)
    }
}

/// Prefixes (`beg`) or suffixes (`end`) of the input, one hash probe per pattern length
/// present.
#[derive(Debug, Clone, Default)]
pub struct Affix {
    suffix: bool,
    fold: bool,
    /// `beg` without `-i` is HAProxy's prefix tree: the longest prefix wins.
    longest: bool,
    map: Buckets,
    /// Number of patterns of each length.
    lens: Vec<u32>,
}

impl Affix {
    fn hash(&self, key: &[u8]) -> u64 {
        if self.suffix {
            hash_rev(key, self.fold)
        } else {
            hash_fwd(key, self.fold)
        }
    }

    fn insert(&mut self, key: &[u8], id: Id) {
        let h = self.hash(key);
        bucket_insert(&mut self.map, h, key, id);
        if self.lens.len() <= key.len() {
            self.lens.resize(key.len() + 1, 0);
        }
        self.lens[key.len()] += 1;
    }

    fn remove(&mut self, key: &[u8], id: Id) {
        let h = self.hash(key);
        if bucket_remove(&mut self.map, h, id) {
            self.lens[key.len()] -= 1;
            while self.lens.last() == Some(&0) {
                self.lens.pop();
            }
        }
    }

    fn probe(&self, h: u64, part: &[u8]) -> Option<Id> {
        self.map
            .get(&mix(h))?
            .iter()
            .find(|(k, _)| same(k, part, self.fold))
            .map(|(_, id)| *id)
    }

    fn lookup(&self, s: &[u8], want: Want) -> Option<Id> {
        let n = s.len();
        let mut best: Option<Id> = None;
        let consider = |id: Id, best: &mut Option<Id>| {
            *best = match *best {
                Some(b) if !self.longest && b < id => Some(b),
                _ => Some(id),
            };
        };
        let mut h = FNV_SEED;
        let top = n.min(self.lens.len().saturating_sub(1));
        for k in 0..=top {
            if k > 0 {
                let b = if self.suffix { s[n - k] } else { s[k - 1] };
                h = step(h, b, self.fold);
            }
            if self.lens.get(k).copied().unwrap_or(0) == 0 {
                continue;
            }
            let part = if self.suffix { &s[n - k..] } else { &s[..k] };
            if let Some(id) = self.probe(h, part) {
                if want == Want::Any {
                    return Some(id);
                }
                consider(id, &mut best);
            }
        }
        best
    }
}

/// Networks: one table per prefix length, probed from the longest (HAProxy's
/// `ebmb_lookup_longest()`).
#[derive(Debug, Clone, Default)]
pub struct Prefixes<K> {
    /// Sorted by decreasing prefix length.
    tables: Vec<(u8, HashMap<K, Vec<Id>>)>,
}

pub trait Bits: Copy + Eq + std::hash::Hash + std::fmt::Debug {
    const WIDTH: u8;
    fn masked(self, len: u8) -> Self;
}

impl Bits for u32 {
    const WIDTH: u8 = 32;
    fn masked(self, len: u8) -> u32 {
        if len == 0 {
            0
        } else {
            self & (u32::MAX << (32 - len as u32))
        }
    }
}

impl Bits for u128 {
    const WIDTH: u8 = 128;
    fn masked(self, len: u8) -> u128 {
        if len == 0 {
            0
        } else {
            self & (u128::MAX << (128 - len as u32))
        }
    }
}

impl<K: Bits> Prefixes<K> {
    fn insert(&mut self, addr: K, len: u8, id: Id) {
        let len = len.min(K::WIDTH);
        let pos = match self.tables.binary_search_by(|(l, _)| len.cmp(l)) {
            Ok(p) => p,
            Err(p) => {
                self.tables.insert(p, (len, HashMap::new()));
                p
            }
        };
        self.tables[pos]
            .1
            .entry(addr.masked(len))
            .or_default()
            .push(id);
    }

    fn remove(&mut self, addr: K, len: u8, id: Id) {
        let len = len.min(K::WIDTH);
        let Ok(pos) = self.tables.binary_search_by(|(l, _)| len.cmp(l)) else {
            return;
        };
        let t = &mut self.tables[pos].1;
        let key = addr.masked(len);
        if let Some(v) = t.get_mut(&key) {
            v.retain(|i| *i != id);
            if v.is_empty() {
                t.remove(&key);
            }
        }
        if t.is_empty() {
            self.tables.remove(pos);
        }
    }

    fn lookup(&self, addr: K) -> Option<Id> {
        self.tables
            .iter()
            .find_map(|(len, t)| t.get(&addr.masked(*len)).and_then(|v| v.first().copied()))
    }
}

/// `ip`: contiguous IPv4 masks and all IPv6 prefixes in prefix tables, other IPv4 masks
/// in a list (as `pat_idx_tree_ip()`).
#[derive(Debug, Clone, Default)]
pub struct Ip {
    v4: Prefixes<u32>,
    v6: Prefixes<u128>,
    list: Vec<(u32, u32, Id)>,
}

/// The prefix length of a contiguous mask.
fn cidr(mask: u32) -> Option<u8> {
    (mask.wrapping_add(mask & mask.wrapping_neg()) == 0).then(|| mask.count_ones() as u8)
}

impl Ip {
    fn insert(&mut self, p: &Pattern, id: Id) {
        match p {
            Pattern::Ipv4 { addr, mask } => {
                let (a, m) = (u32::from(*addr), u32::from(*mask));
                match cidr(m) {
                    Some(len) => self.v4.insert(a, len, id),
                    None => self.list.push((a & m, m, id)),
                }
            }
            Pattern::Ipv6 { addr, prefix } => self.v6.insert(u128::from(*addr), *prefix, id),
            _ => {}
        }
    }

    fn remove(&mut self, p: &Pattern, id: Id) {
        match p {
            Pattern::Ipv4 { addr, mask } => {
                let (a, m) = (u32::from(*addr), u32::from(*mask));
                match cidr(m) {
                    Some(len) => self.v4.remove(a, len, id),
                    None => self.list.retain(|e| e.2 != id),
                }
            }
            Pattern::Ipv6 { addr, prefix } => self.v6.remove(u128::from(*addr), *prefix, id),
            _ => {}
        }
    }

    /// `pat_match_ip()`: the sample's own family first, then the other family's table
    /// through v4-mapped / v4-compatible / 6to4 forms, then the list.
    fn lookup(&self, a: IpAddr) -> Option<Id> {
        let v4 = match a {
            IpAddr::V4(v4) => {
                let n = u32::from(v4);
                if let Some(id) = self.v4.lookup(n) {
                    return Some(id);
                }
                if let Some(id) = self.v6.lookup(u128::from(v4.to_ipv6_mapped())) {
                    return Some(id);
                }
                Some(v4)
            }
            IpAddr::V6(v6) => {
                if let Some(id) = self.v6.lookup(u128::from(v6)) {
                    return Some(id);
                }
                let v4 = v6_to_v4(&v6);
                if let Some(id) = v4.and_then(|v4| self.v4.lookup(u32::from(v4))) {
                    return Some(id);
                }
                v4
            }
        };
        let n = u32::from(v4?);
        self.list
            .iter()
            .find(|(a, m, _)| (n ^ a) & m == 0)
            .map(|e| e.2)
    }
}

/// Integer ranges (`int`, `len`, dotted versions); single values are hashed.
#[derive(Debug, Clone, Default)]
pub struct Ints {
    exact: HashMap<i64, Vec<Id>>,
    ranges: Vec<(i64, i64, Id)>,
}

impl Ints {
    fn bounds(p: &Pattern) -> Option<(i64, i64)> {
        match p {
            Pattern::Int { min, max } => Some((min.unwrap_or(i64::MIN), max.unwrap_or(i64::MAX))),
            _ => None,
        }
    }

    fn insert(&mut self, p: &Pattern, id: Id) {
        let Some((lo, hi)) = Self::bounds(p) else {
            return;
        };
        if lo == hi {
            self.exact.entry(lo).or_default().push(id);
        } else {
            self.ranges.push((lo, hi, id));
        }
    }

    fn remove(&mut self, p: &Pattern, id: Id) {
        let Some((lo, hi)) = Self::bounds(p) else {
            return;
        };
        if lo == hi {
            if let Some(v) = self.exact.get_mut(&lo) {
                v.retain(|i| *i != id);
                if v.is_empty() {
                    self.exact.remove(&lo);
                }
            }
        } else {
            self.ranges.retain(|r| r.2 != id);
        }
    }

    fn lookup(&self, v: i64, want: Want) -> Option<Id> {
        let e = self.exact.get(&v).and_then(|ids| ids.first().copied());
        if want == Want::Any && e.is_some() {
            return e;
        }
        let r = self
            .ranges
            .iter()
            .find(|(lo, hi, _)| *lo <= v && v <= *hi)
            .map(|r| r.2);
        match (e, r) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Patterns HAProxy tries one after the other (`sub`, `dir`, `dom`).
#[derive(Debug, Clone, Default)]
pub struct Words {
    fold: bool,
    /// `match_word()` delimiters; empty for `sub`.
    delims: &'static [u8],
    pats: Vec<(Box<[u8]>, Id)>,
}

impl Words {
    fn insert(&mut self, key: &[u8], id: Id) {
        let d = self.delims;
        let mut k = key;
        // Delimiters around a word pattern never take part in the comparison.
        while let [first, rest @ ..] = k {
            if !d.contains(first) {
                break;
            }
            k = rest;
        }
        while let [rest @ .., last] = k {
            if !d.contains(last) {
                break;
            }
            k = rest;
        }
        self.pats.push((k.into(), id));
    }

    fn remove(&mut self, id: Id) {
        self.pats.retain(|p| p.1 != id);
    }

    fn lookup(&self, s: &[u8]) -> Option<Id> {
        self.pats
            .iter()
            .find(|(p, _)| {
                if self.delims.is_empty() {
                    contains(s, p, self.fold)
                } else {
                    match_word(s, p, self.fold, self.delims)
                }
            })
            .map(|p| p.1)
    }
}

fn contains(s: &[u8], p: &[u8], fold: bool) -> bool {
    if p.len() > s.len() {
        return false;
    }
    if p.is_empty() {
        return true;
    }
    let first = p[0];
    (0..=s.len() - p.len()).any(|i| {
        let c = s[i];
        (c == first || (fold && c.eq_ignore_ascii_case(&first)))
            && same(&s[i..i + p.len()], p, fold)
    })
}

/// `match_word()`: the pattern must start at the input's start or after a delimiter and
/// end at its end or before one.
fn match_word(s: &[u8], p: &[u8], fold: bool, d: &[u8]) -> bool {
    let pl = p.len();
    // HAProxy reads past the sample for an empty word; it never matches in practice.
    if pl == 0 || pl > s.len() {
        return false;
    }
    let end = s.len() - pl;
    let mut may_match = true;
    for c in 0..=end {
        if d.contains(&s[c]) {
            may_match = true;
            continue;
        }
        if !may_match {
            continue;
        }
        if same(&s[c..c + pl], p, fold) && (c == end || d.contains(&s[c + pl])) {
            return true;
        }
        may_match = false;
    }
    false
}

/// Regular expressions, tried in load order; a `RegexSet` answers the ACL question in one
/// pass when there are several.
#[derive(Debug, Clone, Default)]
pub struct Regs {
    fold: bool,
    res: Vec<(regex::bytes::Regex, Id)>,
    /// Built on first use after a change; `None` when the set cannot be built (too large,
    /// a pattern needing Unicode mode…).
    set: OnceLock<Option<regex::bytes::RegexSet>>,
}

/// Patterns a set is worth building for; beyond, its construction cost and size limit
/// make the plain list the safer choice.
const SET_MIN: usize = 3;
const SET_MAX: usize = 4096;

/// HAProxy's PCRE runs without UTF mode: bytes, ASCII classes and case folding. Classes
/// that need Unicode mode (`\p{…}`) fall back to it.
pub fn build_regex(src: &str, fold: bool) -> Result<regex::bytes::Regex, String> {
    let b = |u: bool| {
        regex::bytes::RegexBuilder::new(src)
            .case_insensitive(fold)
            .unicode(u)
            .build()
    };
    b(false).or_else(|_| b(true)).map_err(|e| {
        let first = e.to_string();
        let first = first.lines().last().unwrap_or("").trim().to_string();
        format!("regex '{src}' uses a construct the haproxy-rs runtime does not support ({first})")
    })
}

impl Regs {
    fn insert(&mut self, src: &str, id: Id) -> Result<(), String> {
        let re = build_regex(src, self.fold)?;
        self.res.push((re, id));
        self.set = OnceLock::new();
        Ok(())
    }

    fn remove(&mut self, id: Id) {
        self.res.retain(|r| r.1 != id);
        self.set = OnceLock::new();
    }

    fn set(&self) -> Option<&regex::bytes::RegexSet> {
        if self.res.len() < SET_MIN || self.res.len() > SET_MAX {
            return None;
        }
        self.set
            .get_or_init(|| {
                regex::bytes::RegexSetBuilder::new(self.res.iter().map(|r| r.0.as_str()))
                    .case_insensitive(self.fold)
                    .unicode(false)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    fn first(&self, s: &[u8]) -> Option<usize> {
        match self.set() {
            Some(set) => set.matches(s).iter().next(),
            None => self.res.iter().position(|r| r.0.is_match(s)),
        }
    }

    fn lookup(&self, s: &[u8], want: Want) -> Option<Id> {
        if want == Want::Any {
            if let Some(set) = self.set() {
                return set.is_match(s).then(|| self.res[0].1);
            }
        }
        self.first(s).map(|i| self.res[i].1)
    }

    fn captures(&self, s: &[u8]) -> Option<(Id, Captures)> {
        let i = self.first(s)?;
        let (re, id) = &self.res[i];
        let caps = re.captures(s)?;
        let mut out: Captures = [None; 10];
        for (n, slot) in out.iter_mut().enumerate() {
            *slot = caps.get(n).map(|m| (m.start(), m.end()));
        }
        Some((*id, out))
    }
}

/// `find_http_meth()`: the methods HAProxy knows by number, case-sensitive.
fn known_method(s: &[u8]) -> Option<usize> {
    const KNOWN: [&[u8]; 8] = [
        b"GET", b"HEAD", b"POST", b"CONNECT", b"PUT", b"OPTIONS", b"DELETE", b"TRACE",
    ];
    KNOWN.iter().position(|k| *k == s)
}

/// The `method` ACL (`pat_match_meth()`): a known method matches by number only, so
/// `-i get` never matches a `GET` request; other methods compare as text.
#[derive(Debug, Clone, Default)]
pub struct Meths {
    fold: bool,
    pats: Vec<(MethPat, Id)>,
}

/// A known method's number, or another method's text.
type MethPat = Result<usize, Box<[u8]>>;

impl Meths {
    fn insert(&mut self, key: &[u8], id: Id) {
        let m = known_method(key).ok_or_else(|| Box::<[u8]>::from(key));
        self.pats.push((m, id));
    }

    fn lookup(&self, s: &[u8]) -> Option<Id> {
        let known = known_method(s);
        self.pats
            .iter()
            .find(|(p, _)| match (p, known) {
                (Ok(k), Some(sk)) => *k == sk,
                (Err(t), None) => same(t, s, self.fold),
                _ => false,
            })
            .map(|p| p.1)
    }
}

/// One compiled pattern index for a match method.
#[derive(Debug, Clone)]
pub enum Index {
    /// `-m found`: the sample exists.
    Found,
    /// `-m bool`: the sample, as an integer, is not zero; patterns are ignored.
    Bool,
    Int(Ints),
    Len(Ints),
    Ip(Ip),
    Bin(Exact),
    Str(Exact),
    Beg(Affix),
    End(Affix),
    Words(Words),
    Reg(Regs),
    Meth(Meths),
}

/// The sample type `pattern_exec_match()` converts to before matching (`pat_match_types[]`).
pub fn expect_type(m: MatchMethod) -> SmpType {
    use MatchMethod::*;
    match m {
        Found | Bool | Int | DottedVer => SmpType::Sint,
        Ip => SmpType::Addr,
        Bin => SmpType::Bin,
        Meth => SmpType::Meth,
        Len | Str | Beg | Sub | Dir | Dom | End | Reg | Regm => SmpType::Str,
    }
}

fn text<'s>(smp: &'s Smp<'_>) -> Option<Cow<'s, [u8]>> {
    match smp {
        Smp::Str(b) | Smp::Bin(b) | Smp::Meth(b) => Some(Cow::Borrowed(b)),
        other => match other.clone().cast(SmpType::Str)? {
            Smp::Str(b) => Some(Cow::Owned(b.into_owned())),
            _ => None,
        },
    }
}

fn binary<'s>(smp: &'s Smp<'_>) -> Option<Cow<'s, [u8]>> {
    match smp {
        Smp::Str(b) | Smp::Bin(b) | Smp::Meth(b) => Some(Cow::Borrowed(b)),
        other => match other.clone().cast(SmpType::Bin)? {
            Smp::Bin(b) => Some(Cow::Owned(b.into_owned())),
            _ => None,
        },
    }
}

pub fn int(smp: &Smp<'_>) -> Option<i64> {
    match smp {
        Smp::Sint(i) => Some(*i),
        Smp::Bool(b) => Some(*b as i64),
        other => match other.clone().cast(SmpType::Sint)? {
            Smp::Sint(i) => Some(i),
            _ => None,
        },
    }
}

pub fn addr(smp: &Smp<'_>) -> Option<IpAddr> {
    match smp {
        Smp::Ipv4(a) => Some(IpAddr::V4(*a)),
        Smp::Ipv6(a) => Some(IpAddr::V6(*a)),
        other => match other.clone().cast(SmpType::Addr)? {
            Smp::Ipv4(a) => Some(IpAddr::V4(a)),
            Smp::Ipv6(a) => Some(IpAddr::V6(a)),
            _ => None,
        },
    }
}

fn str_key(p: &Pattern) -> Result<&[u8], String> {
    match p {
        Pattern::Str(s) => Ok(s.as_bytes()),
        other => Err(format!("unexpected pattern {other:?} for a string method")),
    }
}

impl Index {
    pub fn new(m: MatchMethod, icase: bool) -> Index {
        use MatchMethod as M;
        match m {
            M::Found => Index::Found,
            M::Bool => Index::Bool,
            M::Int | M::DottedVer => Index::Int(Ints::default()),
            M::Len => Index::Len(Ints::default()),
            M::Ip => Index::Ip(Ip::default()),
            M::Bin => Index::Bin(Exact::default()),
            M::Str => Index::Str(Exact {
                fold: icase,
                nul_stop: !icase,
                map: Buckets::default(),
            }),
            M::Beg | M::End => {
                let a = Affix {
                    suffix: m == M::End,
                    fold: icase,
                    longest: m == M::Beg && !icase,
                    ..Affix::default()
                };
                if m == M::Beg {
                    Index::Beg(a)
                } else {
                    Index::End(a)
                }
            }
            M::Sub | M::Dir | M::Dom => Index::Words(Words {
                fold: icase,
                delims: match m {
                    M::Dir => b"/?",
                    M::Dom => b"/?.:",
                    _ => b"",
                },
                pats: Vec::new(),
            }),
            M::Reg | M::Regm => Index::Reg(Regs {
                fold: icase,
                ..Regs::default()
            }),
            M::Meth => Index::Meth(Meths {
                fold: icase,
                pats: Vec::new(),
            }),
        }
    }

    /// Adds a pattern; `Err` when it is not of the method's kind or a regex the `regex`
    /// crate cannot run (back-references, look-around).
    pub fn insert(&mut self, id: Id, p: &Pattern) -> Result<(), String> {
        match self {
            Index::Found | Index::Bool => {}
            Index::Int(i) | Index::Len(i) => match p {
                Pattern::Int { .. } => i.insert(p, id),
                other => {
                    return Err(format!(
                        "unexpected pattern {other:?} for an integer method"
                    ))
                }
            },
            Index::Ip(i) => match p {
                Pattern::Ipv4 { .. } | Pattern::Ipv6 { .. } => i.insert(p, id),
                other => return Err(format!("unexpected pattern {other:?} for ip")),
            },
            Index::Bin(e) => match p {
                Pattern::Bin(b) => e.insert(b, id),
                Pattern::Str(s) => e.insert(s.as_bytes(), id),
                other => return Err(format!("unexpected pattern {other:?} for bin")),
            },
            Index::Str(e) => e.insert(str_key(p)?, id),
            Index::Beg(a) | Index::End(a) => a.insert(str_key(p)?, id),
            Index::Words(w) => w.insert(str_key(p)?, id),
            Index::Reg(r) => match p {
                Pattern::Reg(s) | Pattern::Str(s) => r.insert(s, id)?,
                other => return Err(format!("unexpected pattern {other:?} for reg")),
            },
            Index::Meth(m) => m.insert(str_key(p)?, id),
        }
        Ok(())
    }

    /// Removes the pattern `p` inserted as `id`.
    pub fn remove(&mut self, id: Id, p: &Pattern) {
        match self {
            Index::Found | Index::Bool => {}
            Index::Int(i) | Index::Len(i) => i.remove(p, id),
            Index::Ip(i) => i.remove(p, id),
            Index::Bin(e) => match p {
                Pattern::Bin(b) => e.remove(b, id),
                Pattern::Str(s) => e.remove(s.as_bytes(), id),
                _ => {}
            },
            Index::Str(e) => {
                if let Pattern::Str(s) = p {
                    e.remove(s.as_bytes(), id)
                }
            }
            Index::Beg(a) | Index::End(a) => {
                if let Pattern::Str(s) = p {
                    a.remove(s.as_bytes(), id)
                }
            }
            Index::Words(w) => w.remove(id),
            Index::Reg(r) => r.remove(id),
            Index::Meth(m) => m.pats.retain(|x| x.1 != id),
        }
    }

    /// Looks a sample up, converted first to the method's type as HAProxy does (`None`
    /// when it does not convert). `Found` and `Bool` answer id 0: they match no pattern.
    pub fn lookup(&self, smp: &Smp<'_>, want: Want) -> Option<Id> {
        match self {
            Index::Found => Some(0),
            Index::Bool => (int(smp)? != 0).then_some(0),
            Index::Int(i) => i.lookup(int(smp)?, want),
            Index::Len(i) => i.lookup(text(smp)?.len() as i64, want),
            Index::Ip(i) => i.lookup(addr(smp)?),
            Index::Bin(e) => e.lookup(&binary(smp)?),
            Index::Str(e) => e.lookup(&text(smp)?),
            Index::Beg(a) | Index::End(a) => a.lookup(&text(smp)?, want),
            Index::Words(w) => w.lookup(&text(smp)?),
            Index::Reg(r) => r.lookup(&text(smp)?, want),
            Index::Meth(m) => match smp {
                Smp::Str(b) | Smp::Bin(b) | Smp::Meth(b) => m.lookup(b),
                _ => None,
            },
        }
    }

    /// `regm`: the first matching regex and its captures on `s`.
    pub fn captures(&self, s: &[u8]) -> Option<(Id, Captures)> {
        match self {
            Index::Reg(r) => r.captures(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn cidr_of_masks() {
        assert_eq!(cidr(0xffff_ff00), Some(24));
        assert_eq!(cidr(0), Some(0));
        assert_eq!(cidr(u32::MAX), Some(32));
        assert_eq!(cidr(0xff00_ff00), None);
    }

    #[test]
    fn words_follow_match_word() {
        let d: &[u8] = b"/?";
        assert!(match_word(b"/img/x.png", b"img", false, d));
        assert!(match_word(b"/a/img", b"img", false, d));
        assert!(!match_word(b"/images/x", b"img", false, d));
        assert!(!match_word(b"/ximg/x", b"img", false, d));
        assert!(match_word(b"/IMG?x", b"img", true, d));
        assert!(match_word(b"a/b/c", b"b/c", false, d));
    }

    #[test]
    fn ipv4_mapped_reaches_v4_tables() {
        let mut ip = Ip::default();
        ip.insert(
            &Pattern::Ipv4 {
                addr: Ipv4Addr::new(10, 0, 0, 0),
                mask: Ipv4Addr::new(255, 0, 0, 0),
            },
            1,
        );
        ip.insert(
            &Pattern::Ipv6 {
                addr: "2001:db8::".parse::<Ipv6Addr>().unwrap(),
                prefix: 32,
            },
            2,
        );
        let mapped = Ipv4Addr::new(10, 1, 2, 3).to_ipv6_mapped();
        assert_eq!(ip.lookup(IpAddr::V6(mapped)), Some(1));
        assert_eq!(ip.lookup("2002:0a01:0203::1".parse().unwrap()), Some(1));
        assert_eq!(ip.lookup("2001:db8:1::1".parse().unwrap()), Some(2));
        assert_eq!(ip.lookup("11.0.0.1".parse().unwrap()), None);
    }
}
