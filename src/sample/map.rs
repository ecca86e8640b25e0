//! Maps (`map*` converters, `-M` ACLs): key/value files looked up with a match method.
//!
//! As HAProxy's `pat_ref`, a file is read once and shared by every converter naming it,
//! whatever their match methods: each method keeps its own index over the same entries,
//! so that the runtime CLI (`add/set/del/clear map`) changes what all of them see.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::pattern::index::{self, Id, Index, Want};
use super::value::Smp;
use crate::config::expr::acl::{map_key_method, parse_pattern, AclEnv};
use crate::model::expr::{ArgValue, MatchMethod, Pattern};

/// `tune.bufsize`'s default: `map_regm` fails when its output would not fit a buffer.
const BUFSIZE: usize = 16384;

/// Loaded map files, shared by every converter naming the same file.
#[derive(Debug, Default)]
pub struct MapCache {
    files: HashMap<String, Arc<MapFile>>,
}

/// One map file's entries and the indexes built over them.
#[derive(Debug)]
pub struct MapFile {
    path: String,
    data: RwLock<MapData>,
}

/// One entry as `show map` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEntry {
    /// Stable reference (`del map <map> #<id>`), increasing in load order.
    pub id: u32,
    pub key: String,
    pub value: Vec<u8>,
}

/// What a map value is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    Str,
    Int,
    Ip,
}

#[derive(Debug)]
struct Entry {
    key: String,
    value: Vec<u8>,
    line: usize,
    int: Option<i64>,
    ip: Option<IpAddr>,
}

#[derive(Debug)]
struct Slot {
    method: MatchMethod,
    icase: bool,
    index: Index,
    /// The key as this index parsed it, to remove it again.
    keys: HashMap<Id, Pattern>,
}

#[derive(Debug, Default)]
struct MapData {
    entries: HashMap<Id, Entry>,
    next_id: Id,
    slots: Vec<Slot>,
    /// Some converter reads values as integers / addresses: a value that is not one is
    /// refused (HAProxy's `parse_smp` failing).
    needs_int: bool,
    needs_ip: bool,
}

/// `map_parse_int()`: `read_int64()` must consume the whole value.
fn value_int(v: &[u8]) -> Option<i64> {
    let (neg, digits) = match v.first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut u: u64 = 0;
    for &c in digits {
        u = u
            .checked_mul(10)
            .and_then(|x| x.checked_add((c - b'0') as u64))
            .unwrap_or(u64::MAX);
    }
    Some(if neg {
        if u > 1 << 63 {
            i64::MIN
        } else {
            (u as i64).wrapping_neg()
        }
    } else {
        u.min(i64::MAX as u64) as i64
    })
}

/// `map_parse_ip()`: an IPv4 address, else an IPv6 one.
fn value_ip(v: &[u8]) -> Option<IpAddr> {
    let t = std::str::from_utf8(v).ok()?;
    if let Ok(a) = t.parse::<Ipv4Addr>() {
        return Some(IpAddr::V4(a));
    }
    t.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

fn unable(v: &[u8]) -> String {
    format!("unable to parse '{}'", String::from_utf8_lossy(v))
}

/// `pat_ref_read_from_file_smp()`: `key<blanks>value` per line; lines starting with `#`
/// and blank lines are skipped, leading blanks and trailing blanks of the value dropped.
pub fn read_map_file(path: &str) -> Result<Vec<(usize, String, Vec<u8>)>, String> {
    let data = std::fs::read(path).map_err(|_| format!("failed to open pattern file <{path}>"))?;
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let mut out = Vec::new();
    for (i, raw) in data.split(|&c| c == b'\n').enumerate() {
        // fgets() text is a C string: a NUL ends the line.
        let l = raw.split(|&c| c == 0).next().unwrap_or(&[]);
        if l.first() == Some(&b'#') {
            continue;
        }
        let start = l.iter().position(|c| !blank(c)).unwrap_or(l.len());
        let l = &l[start..];
        if l.is_empty() || l[0] == b'\r' {
            continue;
        }
        let key_end = l
            .iter()
            .position(|&c| blank(&c) || c == b'\r')
            .unwrap_or(l.len());
        let rest = &l[key_end..];
        let vstart = rest.iter().position(|c| !blank(c)).unwrap_or(rest.len());
        let rest = &rest[vstart..];
        let vend = rest.iter().position(|&c| c == b'\r').unwrap_or(rest.len());
        let mut value = &rest[..vend];
        while let [v @ .., last] = value {
            if !blank(last) {
                break;
            }
            value = v;
        }
        let key = String::from_utf8_lossy(&l[..key_end]).into_owned();
        out.push((i + 1, key, value.to_vec()));
    }
    Ok(out)
}

impl MapData {
    fn parse_key(method: MatchMethod, key: &str) -> Result<Pattern, String> {
        parse_pattern(method, key, AclEnv::default(), true)
    }

    /// Checks a value against what the converters using the map read it as.
    fn check_value(&self, v: &[u8], int: Option<i64>, ip: Option<IpAddr>) -> Result<(), String> {
        if (self.needs_int && int.is_none()) || (self.needs_ip && ip.is_none()) {
            return Err(unable(v));
        }
        Ok(())
    }

    fn sorted_ids(&self) -> Vec<Id> {
        let mut ids: Vec<Id> = self.entries.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// The index for (`method`, `icase`), built over the entries in load order if it does
    /// not exist yet, after checking every value reads as `out` — with HAProxy's errors:
    /// the first faulty line, its value checked before its key.
    fn slot(
        &mut self,
        path: &str,
        method: MatchMethod,
        icase: bool,
        out: Out,
    ) -> Result<usize, String> {
        let at = |e: &Entry, msg: String| format!("{msg} at line {} of file '{path}'", e.line);
        let value_ok = |e: &Entry| match out {
            Out::Str => true,
            Out::Int => e.int.is_some(),
            Out::Ip => e.ip.is_some(),
        };
        let ids = self.sorted_ids();
        let found = self
            .slots
            .iter()
            .position(|s| s.method == method && s.icase == icase);
        let pos = match found {
            Some(p) => {
                if let Some(e) = ids
                    .iter()
                    .map(|id| &self.entries[id])
                    .find(|e| !value_ok(e))
                {
                    return Err(at(e, unable(&e.value)));
                }
                p
            }
            None => {
                let mut slot = Slot {
                    method,
                    icase,
                    index: Index::new(method, icase),
                    keys: HashMap::new(),
                };
                for id in ids {
                    let e = &self.entries[&id];
                    if !value_ok(e) {
                        return Err(at(e, unable(&e.value)));
                    }
                    let p = Self::parse_key(method, &e.key).map_err(|m| at(e, m))?;
                    slot.index.insert(id, &p).map_err(|m| at(e, m))?;
                    slot.keys.insert(id, p);
                }
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        match out {
            Out::Int => self.needs_int = true,
            Out::Ip => self.needs_ip = true,
            Out::Str => {}
        }
        Ok(pos)
    }

    fn add(&mut self, key: &str, value: &[u8], line: usize) -> Result<Id, String> {
        let (int, ip) = (value_int(value), value_ip(value));
        self.check_value(value, int, ip)?;
        let id = self.next_id;
        let mut parsed = Vec::with_capacity(self.slots.len());
        for s in &self.slots {
            parsed.push(Self::parse_key(s.method, key)?);
        }
        for (i, p) in parsed.into_iter().enumerate() {
            let s = &mut self.slots[i];
            if let Err(e) = s.index.insert(id, &p) {
                for s in &mut self.slots[..i] {
                    if let Some(p) = s.keys.remove(&id) {
                        s.index.remove(id, &p);
                    }
                }
                return Err(e);
            }
            s.keys.insert(id, p);
        }
        self.entries.insert(
            id,
            Entry {
                key: key.to_string(),
                value: value.to_vec(),
                line,
                int,
                ip,
            },
        );
        self.next_id += 1;
        Ok(id)
    }

    fn remove(&mut self, id: Id) -> bool {
        if self.entries.remove(&id).is_none() {
            return false;
        }
        for s in &mut self.slots {
            if let Some(p) = s.keys.remove(&id) {
                s.index.remove(id, &p);
            }
        }
        true
    }

    fn ids_of(&self, key: &str) -> Vec<Id> {
        let mut ids: Vec<Id> = self
            .entries
            .iter()
            .filter(|(_, e)| e.key == key)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    fn set_value(&mut self, id: Id, value: &[u8]) -> Result<bool, String> {
        let (int, ip) = (value_int(value), value_ip(value));
        self.check_value(value, int, ip)?;
        Ok(match self.entries.get_mut(&id) {
            Some(e) => {
                e.value = value.to_vec();
                e.int = int;
                e.ip = ip;
                true
            }
            None => false,
        })
    }
}

impl MapCache {
    /// The map `path` read with `method`, loading the file on first use. `out` is what
    /// the caller reads values as: every value must parse as one.
    pub fn load(&mut self, path: &str, method: MatchMethod, out: Out) -> Result<Map, String> {
        self.load_icase(path, method, false, out)
    }

    /// As [`MapCache::load`], with `-i` (`-M` ACLs may have it).
    pub fn load_icase(
        &mut self,
        path: &str,
        method: MatchMethod,
        icase: bool,
        out: Out,
    ) -> Result<Map, String> {
        let file = match self.files.get(path) {
            Some(f) => f.clone(),
            None => {
                let mut data = MapData::default();
                for (line, key, value) in read_map_file(path)? {
                    let id = data.next_id;
                    data.entries.insert(
                        id,
                        Entry {
                            int: value_int(&value),
                            ip: value_ip(&value),
                            key,
                            value,
                            line,
                        },
                    );
                    data.next_id += 1;
                }
                let f = Arc::new(MapFile {
                    path: path.to_string(),
                    data: RwLock::new(data),
                });
                self.files.insert(path.to_string(), f.clone());
                f
            }
        };
        let slot = file.write().slot(path, method, icase, out)?;
        Ok(Map { file, slot })
    }

    /// A loaded map by path, for the runtime CLI.
    pub fn get(&self, path: &str) -> Option<Arc<MapFile>> {
        self.files.get(path).cloned()
    }

    /// Every loaded map (`show map`), by path.
    pub fn files(&self) -> impl Iterator<Item = &Arc<MapFile>> {
        let mut v: Vec<&Arc<MapFile>> = self.files.values().collect();
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v.into_iter()
    }
}

impl MapFile {
    pub fn path(&self) -> &str {
        &self.path
    }

    fn read(&self) -> RwLockReadGuard<'_, MapData> {
        self.data.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, MapData> {
        self.data.write().unwrap_or_else(|e| e.into_inner())
    }

    /// `add map`: appends an entry (it matches after the existing ones where order
    /// matters). `Err`: its key is not valid for one of the map's match methods, or its
    /// value does not read as a converter using the map needs.
    pub fn add(&self, key: &str, value: &[u8]) -> Result<u32, String> {
        self.write().add(key, value, 0)
    }

    /// `set map <key>`: changes the value of every entry with this key; the number of
    /// entries changed (0: "entry not found").
    pub fn set(&self, key: &str, value: &[u8]) -> Result<usize, String> {
        let mut d = self.write();
        let ids = d.ids_of(key);
        for id in &ids {
            d.set_value(*id, value)?;
        }
        Ok(ids.len())
    }

    /// `set map #<id>`.
    pub fn set_id(&self, id: u32, value: &[u8]) -> Result<bool, String> {
        self.write().set_value(id, value)
    }

    /// `del map <key>`: removes every entry with this key; how many were.
    pub fn del(&self, key: &str) -> usize {
        let mut d = self.write();
        let ids = d.ids_of(key);
        for id in &ids {
            d.remove(*id);
        }
        ids.len()
    }

    /// `del map #<id>`.
    pub fn del_id(&self, id: u32) -> bool {
        self.write().remove(id)
    }

    /// `clear map`.
    pub fn clear(&self) {
        let mut d = self.write();
        d.entries.clear();
        for s in &mut d.slots {
            s.index = Index::new(s.method, s.icase);
            s.keys.clear();
        }
    }

    /// The entries in load order (`show map`).
    pub fn entries(&self) -> Vec<MapEntry> {
        let d = self.read();
        d.sorted_ids()
            .into_iter()
            .map(|id| {
                let e = &d.entries[&id];
                MapEntry {
                    id,
                    key: e.key.clone(),
                    value: e.value.clone(),
                }
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.read().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A map file seen through one match method.
#[derive(Debug, Clone)]
pub struct Map {
    file: Arc<MapFile>,
    slot: usize,
}

impl Map {
    pub fn file(&self) -> &Arc<MapFile> {
        &self.file
    }

    /// The value of the entry `key` matches (HAProxy's: longest prefix for `ip` and
    /// `beg`, first in load order otherwise).
    pub fn lookup(&self, key: &Smp<'_>) -> Option<Vec<u8>> {
        let d = self.file.read();
        let id = d.slots[self.slot].index.lookup(key, Want::Best)?;
        d.entries.get(&id).map(|e| e.value.clone())
    }

    /// Whether `key` matches an entry (`-M` ACLs).
    pub fn matches(&self, key: &Smp<'_>) -> bool {
        let d = self.file.read();
        d.slots[self.slot].index.lookup(key, Want::Any).is_some()
    }

    fn convert(&self, key: &Smp<'_>, out: Out, regm: bool) -> Option<Option<Smp<'static>>> {
        let d = self.file.read();
        let slot = &d.slots[self.slot];
        if regm {
            let input = match key {
                Smp::Str(b) | Smp::Bin(b) | Smp::Meth(b) => b.to_vec(),
                other => other
                    .clone()
                    .cast(crate::model::expr::SmpType::Str)?
                    .bytes()?
                    .to_vec(),
            };
            let Some((id, caps)) = slot.index.captures(&input) else {
                return Some(None);
            };
            let e = d.entries.get(&id)?;
            return exp_replace(&input, &e.value, &caps).map(|v| Some(Smp::Str(v.into())));
        }
        let Some(id) = slot.index.lookup(key, Want::Best) else {
            return Some(None);
        };
        let e = d.entries.get(&id)?;
        Some(Some(match out {
            Out::Str => Smp::Str(e.value.clone().into()),
            Out::Int => Smp::Sint(e.int?),
            Out::Ip => ip_smp(e.ip?),
        }))
    }
}

fn ip_smp(a: IpAddr) -> Smp<'static> {
    match a {
        IpAddr::V4(a) => Smp::Ipv4(a),
        IpAddr::V6(a) => Smp::Ipv6(a),
    }
}

/// `exp_replace()`: `\0`…`\9` insert captures (nothing for a group that did not take
/// part), `\xHH` a byte, `\c` the character c. `None`: a dangling backslash or an output
/// larger than a buffer.
fn exp_replace(src: &[u8], with: &[u8], caps: &index::Captures) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(with.len() + src.len());
    let mut i = 0;
    while i < with.len() {
        let c = with[i];
        i += 1;
        if c != b'\\' {
            if out.len() >= BUFSIZE {
                return None;
            }
            out.push(c);
            continue;
        }
        let n = *with.get(i)?;
        i += 1;
        if n.is_ascii_digit() {
            if let Some((s, e)) = caps[(n - b'0') as usize] {
                if out.len() + (e - s) >= BUFSIZE {
                    return None;
                }
                out.extend_from_slice(&src[s..e]);
            }
        } else if n == b'x' {
            // HAProxy's own hex decoding, which does not check the digits.
            let h1 = *with.get(i)?;
            let h2 = *with.get(i + 1)?;
            i += 2;
            let nib = |h: u8| {
                let v = h.to_ascii_uppercase().wrapping_sub(b'0');
                if v > 9 {
                    v.wrapping_sub(b'A' - b'9' - 1)
                } else {
                    v
                }
            };
            if out.len() >= BUFSIZE {
                return None;
            }
            out.push((nib(h1) << 4).wrapping_add(nib(h2)));
        } else {
            if out.len() >= BUFSIZE {
                return None;
            }
            out.push(n);
        }
    }
    Some(out)
}

/// One compiled `map*` converter.
#[derive(Debug, Clone)]
pub struct MapConv {
    map: Map,
    out: Out,
    regm: bool,
    /// The key type the input is converted to before the lookup (the converter's input
    /// type: `map_int` takes an integer, `map_ip` an address).
    key: crate::model::expr::SmpType,
    default: Option<Smp<'static>>,
}

/// `map[_<key>][_<out>]` → (key method, output type).
fn conv_kind(name: &str) -> Option<(MatchMethod, Out)> {
    let rest = name.strip_prefix("map")?;
    let mut parts = if rest.is_empty() {
        vec![]
    } else {
        rest.strip_prefix('_')?.split('_').collect()
    };
    let out = match parts.len() {
        0 | 1 => Out::Str,
        2 => match parts.pop()? {
            "str" => Out::Str,
            "int" => Out::Int,
            "ip" => Out::Ip,
            _ => return None,
        },
        _ => return None,
    };
    let key = parts.first().copied().unwrap_or("str");
    if !matches!(
        key,
        "str" | "beg" | "sub" | "dir" | "dom" | "end" | "reg" | "regm" | "int" | "ip" | "len"
    ) || (key == "regm" && out != Out::Str)
    {
        return None;
    }
    Some((map_key_method(&format!("map_{key}")), out))
}

impl MapConv {
    pub fn compile(name: &str, args: &[ArgValue], maps: &mut MapCache) -> Result<MapConv, String> {
        let (method, out) = conv_kind(name).ok_or_else(|| format!("converter '{name}'"))?;
        let path = match args.first() {
            Some(ArgValue::Str(p)) => p.as_str(),
            _ => return Err(format!("converter '{name}' : missing map file name")),
        };
        let default = match (args.get(1), out) {
            (None, _) => None,
            (Some(ArgValue::Str(s)), Out::Str) => Some(Smp::string(s.as_bytes())),
            (Some(ArgValue::Sint(i)), Out::Int) => Some(Smp::Sint(*i)),
            (Some(ArgValue::Str(s)), Out::Int) => {
                Some(Smp::Sint(value_int(s.as_bytes()).ok_or_else(|| {
                    format!("map: cannot parse default int <{s}>.")
                })?))
            }
            (Some(ArgValue::Str(s)), Out::Ip) => {
                Some(ip_smp(value_ip(s.as_bytes()).ok_or_else(|| {
                    format!("map: cannot parse default ip <{s}>.")
                })?))
            }
            (Some(ArgValue::Ipv4(a)), Out::Ip) => Some(Smp::Ipv4(*a)),
            (Some(ArgValue::Ipv6(a)), Out::Ip) => Some(Smp::Ipv6(*a)),
            (Some(a), _) => return Err(format!("converter '{name}' : unexpected default {a:?}")),
        };
        let map = maps.load(path, method, out)?;
        let key = match method {
            MatchMethod::Int => crate::model::expr::SmpType::Sint,
            MatchMethod::Ip => crate::model::expr::SmpType::Addr,
            m => index::expect_type(m),
        };
        Ok(MapConv {
            map,
            out,
            regm: method == MatchMethod::Regm,
            key,
            default,
        })
    }

    /// The matching entry's value as the converter's output type, else the default;
    /// `None` when there is neither or the input does not convert to the key type.
    pub fn apply(&self, smp: &Smp<'_>) -> Option<Smp<'static>> {
        let key = if smp.ty() == self.key {
            std::borrow::Cow::Borrowed(smp)
        } else {
            std::borrow::Cow::Owned(smp.clone().cast(self.key)?)
        };
        match self.map.convert(&key, self.out, self.regm)? {
            Some(v) => Some(v),
            None => self.default.clone(),
        }
    }

    pub fn map(&self) -> &Map {
        &self.map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn tmp(content: &str) -> String {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "haproxy-rs-map-{}-{}.map",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&p, content).unwrap();
        p.to_string_lossy().into_owned()
    }

    fn conv(name: &str, path: &str, def: Option<ArgValue>, maps: &mut MapCache) -> MapConv {
        let mut args = vec![ArgValue::Str(path.into())];
        args.extend(def);
        MapConv::compile(name, &args, maps).unwrap()
    }

    fn s(t: &str) -> Smp<'_> {
        Smp::str(t.as_bytes())
    }

    fn st(v: Option<Smp<'_>>) -> Option<String> {
        v.map(|v| String::from_utf8_lossy(&v.to_text()).into_owned())
    }

    #[test]
    fn file_format() {
        let p = tmp("# comment\n\n  key1   value one  \r\nkey2\tv2\n\t\nkey3\n#k v\nkey4 a\tb\n");
        let e = read_map_file(&p).unwrap();
        assert_eq!(
            e,
            vec![
                (3, "key1".into(), b"value one".to_vec()),
                (4, "key2".into(), b"v2".to_vec()),
                (6, "key3".into(), b"".to_vec()),
                (8, "key4".into(), b"a\tb".to_vec()),
            ]
        );
        assert_eq!(
            read_map_file("/nonexistent/x.map").unwrap_err(),
            "failed to open pattern file </nonexistent/x.map>"
        );
    }

    #[test]
    fn str_and_defaults() {
        let p = tmp("example.com be1\nexample.com dup\nfoo.org be2\n");
        let mut maps = MapCache::default();
        let c = conv("map_str", &p, None, &mut maps);
        assert_eq!(st(c.apply(&s("example.com"))), Some("be1".into()));
        assert_eq!(st(c.apply(&s("foo.org"))), Some("be2".into()));
        assert_eq!(c.apply(&s("nope")), None);
        let c = conv("map", &p, Some(ArgValue::Str("def".into())), &mut maps);
        assert_eq!(st(c.apply(&s("nope"))), Some("def".into()));
        assert_eq!(st(c.apply(&s("example.com"))), Some("be1".into()));
        // One file, loaded once.
        assert_eq!(maps.files().count(), 1);
    }

    #[test]
    fn beg_longest_and_linear_first() {
        let p = tmp("/ short\n/api/v1 longest\n/api mid\n");
        let mut maps = MapCache::default();
        let beg = conv("map_beg", &p, None, &mut maps);
        assert_eq!(st(beg.apply(&s("/api/v1/x"))), Some("longest".into()));
        assert_eq!(st(beg.apply(&s("/api/v2"))), Some("mid".into()));
        assert_eq!(st(beg.apply(&s("/z"))), Some("short".into()));
        let sub = conv("map_sub", &p, None, &mut maps);
        assert_eq!(st(sub.apply(&s("/api/v1"))), Some("short".into()));
        let p = tmp(".com com\nexample.com ex\n");
        let end = conv("map_end", &p, None, &mut maps);
        assert_eq!(st(end.apply(&s("www.example.com"))), Some("com".into()));
        let dom = conv("map_dom", &p, None, &mut maps);
        // `.com` is the word `com` for `dom`, and it comes first.
        assert_eq!(st(dom.apply(&s("www.example.com"))), Some("com".into()));
        assert_eq!(st(dom.apply(&s("example.org"))), None);
        let p = tmp("img images\napi api\n");
        let dir = conv("map_dir", &p, None, &mut maps);
        assert_eq!(st(dir.apply(&s("/x/api/img/1"))), Some("images".into()));
        assert_eq!(dir.apply(&s("/imgs")), None);
    }

    #[test]
    fn ip_most_specific_and_output_types() {
        let p = tmp("10.0.0.0/8 10\n10.1.0.0/16 1016\n10.1.2.3 exact\n::1 six\n");
        let mut maps = MapCache::default();
        let c = conv("map_ip", &p, None, &mut maps);
        assert_eq!(st(c.apply(&s("10.1.2.3"))), Some("exact".into()));
        assert_eq!(st(c.apply(&s("10.1.9.9"))), Some("1016".into()));
        assert_eq!(
            st(c.apply(&Smp::Ipv4(Ipv4Addr::new(10, 9, 9, 9)))),
            Some("10".into())
        );
        assert_eq!(
            st(c.apply(&Smp::Ipv6(Ipv6Addr::LOCALHOST))),
            Some("six".into())
        );
        assert_eq!(c.apply(&s("not an ip")), None);
        let p = tmp("10.0.0.0/8 42\n");
        let c = conv("map_ip_int", &p, Some(ArgValue::Sint(-1)), &mut maps);
        assert_eq!(c.apply(&s("10.0.0.1")), Some(Smp::Sint(42)));
        assert_eq!(c.apply(&s("11.0.0.1")), Some(Smp::Sint(-1)));
        let p = tmp("a 192.168.0.1\nb ::2\n");
        let c = conv(
            "map_str_ip",
            &p,
            Some(ArgValue::Str("::".into())),
            &mut maps,
        );
        assert_eq!(
            c.apply(&s("a")),
            Some(Smp::Ipv4(Ipv4Addr::new(192, 168, 0, 1)))
        );
        assert_eq!(c.apply(&s("b")), Some(Smp::Ipv6("::2".parse().unwrap())));
        assert_eq!(c.apply(&s("c")), Some(Smp::Ipv6(Ipv6Addr::UNSPECIFIED)));
        let p = tmp("1 one\n10:20 range\n");
        let c = conv("map_int", &p, None, &mut maps);
        assert_eq!(st(c.apply(&Smp::Sint(15))), Some("range".into()));
        assert_eq!(st(c.apply(&s("1"))), Some("one".into()));
        let c = conv("map_int_int", &tmp("5 -7\n"), None, &mut maps);
        assert_eq!(c.apply(&Smp::Sint(5)), Some(Smp::Sint(-7)));
    }

    #[test]
    fn load_errors() {
        let mut maps = MapCache::default();
        let args = |p: &str| vec![ArgValue::Str(p.into())];
        assert_eq!(
            MapConv::compile("map_str", &args("/nonexistent.map"), &mut maps).unwrap_err(),
            "failed to open pattern file </nonexistent.map>"
        );
        let p = tmp("a 1\nb x\n");
        assert_eq!(
            MapConv::compile("map_str_int", &args(&p), &mut maps).unwrap_err(),
            format!("unable to parse 'x' at line 2 of file '{p}'")
        );
        let p = tmp("1.2.3.4 a\nfoo b\n");
        assert_eq!(
            MapConv::compile("map_ip", &args(&p), &mut maps).unwrap_err(),
            format!("'foo' is not a valid IPv4 or IPv6 address at line 2 of file '{p}'")
        );
        let p = tmp("a 1\n");
        let a = vec![ArgValue::Str(p), ArgValue::Str("nope".into())];
        assert_eq!(
            MapConv::compile("map_str_ip", &a, &mut maps).unwrap_err(),
            "map: cannot parse default ip <nope>."
        );
    }

    #[test]
    fn regex_maps_and_backrefs() {
        let p = tmp("^/api/([a-z]+)/([0-9]+) /\\2/\\1\n^/x(y)? opt[\\1]\n\\.php$ php\n");
        let mut maps = MapCache::default();
        let c = conv("map_regm", &p, None, &mut maps);
        assert_eq!(st(c.apply(&s("/api/users/42"))), Some("/42/users".into()));
        assert_eq!(st(c.apply(&s("/x"))), Some("opt[]".into()));
        assert_eq!(st(c.apply(&s("/xy"))), Some("opt[y]".into()));
        let r = conv("map_reg", &p, None, &mut maps);
        assert_eq!(st(r.apply(&s("/api/users/42"))), Some("/\\2/\\1".into()));
        assert_eq!(st(r.apply(&s("/a.php"))), Some("php".into()));
        assert_eq!(
            exp_replace(b"", b"\\x41\\n", &[None; 10]),
            Some(b"An".to_vec())
        );
        assert_eq!(exp_replace(b"", b"a\\", &[None; 10]), None);
    }

    #[test]
    fn runtime_changes_reach_every_method() {
        let p = tmp("/a A\n/b B\n");
        let mut maps = MapCache::default();
        let str_ = conv("map_str", &p, None, &mut maps);
        let beg = conv("map_beg", &p, None, &mut maps);
        let f = maps.get(&p).unwrap();
        f.add("/c", b"C").unwrap();
        assert_eq!(st(str_.apply(&s("/c"))), Some("C".into()));
        assert_eq!(st(beg.apply(&s("/c/x"))), Some("C".into()));
        assert_eq!(f.set("/a", b"AA").unwrap(), 1);
        assert_eq!(st(str_.apply(&s("/a"))), Some("AA".into()));
        assert_eq!(f.del("/a"), 1);
        assert_eq!(str_.apply(&s("/a")), None);
        assert_eq!(beg.apply(&s("/a/x")), None);
        assert_eq!(
            f.entries()
                .iter()
                .map(|e| e.key.as_str())
                .collect::<Vec<_>>(),
            ["/b", "/c"]
        );
        let id = f.entries()[0].id;
        assert!(f.del_id(id));
        assert_eq!(beg.apply(&s("/b")), None);
        f.clear();
        assert!(f.is_empty());
        assert_eq!(st(str_.apply(&s("/c"))), None);
        f.add("/d", b"D").unwrap();
        assert_eq!(st(beg.apply(&s("/d/"))), Some("D".into()));
        // A map read as integers refuses other values.
        let p = tmp("k 1\n");
        let _ = conv("map_str_int", &p, None, &mut maps);
        let f = maps.get(&p).unwrap();
        assert_eq!(f.add("j", b"x").unwrap_err(), "unable to parse 'x'");
        assert_eq!(f.set("k", b"y").unwrap_err(), "unable to parse 'y'");
        // A key invalid for one of the methods is refused by all.
        let p = tmp("10.0.0.1 a\n");
        let _ = conv("map_ip", &p, None, &mut maps);
        let _ = conv("map_str", &p, None, &mut maps);
        let f = maps.get(&p).unwrap();
        assert!(f.add("nope", b"x").is_err());
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn duplicates_first_wins_until_deleted() {
        let p = tmp("k first\nk second\n");
        let mut maps = MapCache::default();
        let c = conv("map_str", &p, None, &mut maps);
        assert_eq!(st(c.apply(&s("k"))), Some("first".into()));
        let f = maps.get(&p).unwrap();
        let first = f.entries()[0].id;
        f.del_id(first);
        assert_eq!(st(c.apply(&s("k"))), Some("second".into()));
    }

    #[test]
    fn hundred_thousand_entries() {
        let mut text = String::new();
        for i in 0..100_000 {
            text.push_str(&format!("host{i}.example.com backend{}\n", i % 7));
        }
        let p = tmp(&text);
        let mut maps = MapCache::default();
        let c = conv("map_str", &p, None, &mut maps);
        assert_eq!(
            st(c.apply(&s("host99999.example.com"))),
            Some("backend4".into())
        );
        let c = conv("map_end", &p, None, &mut maps);
        assert_eq!(
            st(c.apply(&s("a.host12.example.com"))),
            Some("backend5".into())
        );
    }
}
