//! `cache` sections (HAProxy's `cfg_parse_cache()` and `cfg_post_parse_section_cache()`).
//! Several of its errors are warnings that abort parsing, as in HAProxy.

use super::{too_many_args, warn_tight};
use crate::config::values::atoi;
use crate::config::{err, Line, State};
use crate::model::sections::Cache;

/// `CACHE_BLOCKSIZE`.
const BLOCKSIZE: u32 = 1024;
/// `DEFAULT_MAX_SECONDARY_ENTRY`.
const DEFAULT_MAX_SECONDARY: u32 = 10;
/// Cache names are truncated to this length.
const MAX_NAME: usize = 32;

pub fn parse(st: &mut State, line: &Line) -> u32 {
    if line.arg(0) == "cache" {
        return parse_section(st, line);
    }
    let kw = line.arg(0);
    if !matches!(
        kw,
        "total-max-size" | "max-age" | "max-object-size" | "process-vary" | "max-secondary-entries"
    ) {
        return st.alert(line, format!("unknown keyword '{kw}' in 'cache' section"));
    }
    if too_many_args(st, line, 1, 0) {
        return err::ALERT_FATAL | err::ABORT;
    }
    let Some(i) = st.cur_other.filter(|&i| i < st.model.caches.len()) else {
        return 0;
    };
    let v = line.arg(1);
    let mut e = 0;
    match kw {
        "total-max-size" => {
            let Some(mb) = strtoul(v) else {
                warn_tight(st, line, format!("total-max-size wrong value '{v}'"));
                return err::ABORT;
            };
            if mb > (u32::MAX >> 20) as u64 {
                warn_tight(
                    st,
                    line,
                    format!(
                        "\"total-max-size\" ({v}) must not be greater than {}",
                        u32::MAX >> 20
                    ),
                );
                return err::ABORT;
            }
            st.model.caches[i].total_max_size_mb = mb as u32;
        }
        "max-age" => {
            if v.is_empty() {
                e |= warn_tight(st, line, "'max-age' expects an age parameter in seconds.");
            }
            st.model.caches[i].max_age = atoi(v);
        }
        "max-object-size" => {
            if v.is_empty() {
                e |= warn_tight(
                    st,
                    line,
                    "'max-object-size' expects a maximum file size parameter in bytes.",
                );
            }
            let Some(n) = strtoul(v) else {
                warn_tight(st, line, format!("max-object-size wrong value '{v}'"));
                return e | err::ABORT;
            };
            st.model.caches[i].max_object_size = n as u32;
        }
        "process-vary" => {
            let msg =
                "'process-vary' expects \"on\" or \"off\" (enable or disable vary processing).";
            if v.is_empty() {
                e |= warn_tight(st, line, msg);
            }
            match v {
                "on" => st.model.caches[i].process_vary = true,
                "off" => st.model.caches[i].process_vary = false,
                _ => e |= warn_tight(st, line, msg),
            }
        }
        _ => {
            if v.is_empty() {
                e |= warn_tight(
                    st,
                    line,
                    "'max-secondary-entries' expects a strictly positive number.",
                );
            }
            match strtoul(v).map(|n| n as u32) {
                Some(n) if n > 0 => st.model.caches[i].max_secondary_entries = n,
                _ => {
                    warn_tight(st, line, format!("max-secondary-entries wrong value '{v}'"));
                    return e | err::ABORT;
                }
            }
        }
    }
    st.used(line, &format!("cache {kw}"));
    e
}

fn parse_section(st: &mut State, line: &Line) -> u32 {
    st.cur_other = None;
    let name = line.arg(1);
    if name.is_empty() {
        st.alert(line, "'cache' expects a <name> argument");
        return err::ALERT | err::ABORT;
    }
    if too_many_args(st, line, 1, 0) {
        return err::ALERT_FATAL | err::ABORT;
    }
    let mut e = 0;
    let id: String = name.chars().take(MAX_NAME).collect();
    if name.len() > MAX_NAME {
        e |= super::warn_tight(
            st,
            line,
            format!("cache name is limited to 32 characters, truncate to '{id}'."),
        );
    }
    if st.model.caches.iter().any(|c| c.name == id) {
        super::alert_tight(st, line, format!("Duplicate cache name '{id}'."));
        return err::ALERT | err::ABORT;
    }
    st.used(line, "cache");
    st.model.caches.push(Cache {
        name: id,
        loc: line.loc.clone(),
        max_age: 60,
        max_secondary_entries: DEFAULT_MAX_SECONDARY,
        ..Default::default()
    });
    st.cur_other = Some(st.model.caches.len() - 1);
    e
}

/// C `strtoul(s, &end, 10)` requiring the whole string to be consumed: `None` when no
/// digit was read or garbage follows. Negative values wrap like in C.
fn strtoul(s: &str) -> Option<u64> {
    let t = s.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (neg, d) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if d.is_empty() || !d.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v = d
        .bytes()
        .try_fold(0u64, |v, c| {
            v.checked_mul(10)?.checked_add((c - b'0') as u64)
        })
        .unwrap_or(u64::MAX);
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `cfg_post_parse_section_cache()`: a cache needs a size, and objects may use at most half.
pub fn post_section(st: &mut State) -> u32 {
    let Some(i) = st.cur_other.take().filter(|&i| i < st.model.caches.len()) else {
        return 0;
    };
    let c = &mut st.model.caches[i];
    let maxblocks = c.total_max_size_mb.wrapping_mul(1024 * 1024 / BLOCKSIZE);
    let msg = if maxblocks == 0 {
        Some(format!("Size not specified for cache '{}'", c.name))
    } else if c.max_object_size == 0 {
        c.max_object_size = maxblocks.wrapping_mul(BLOCKSIZE) >> 8;
        None
    } else if c.max_object_size > maxblocks.wrapping_mul(BLOCKSIZE) / 2 {
        Some(format!(
            "\"max-object-size\" is limited to an half of \"total-max-size\" => {}",
            maxblocks.wrapping_mul(BLOCKSIZE) / 2
        ))
    } else {
        None
    };
    match msg {
        Some(m) => {
            // HAProxy drops the incomplete cache.
            st.model.caches.remove(i);
            st.diag.alert(m);
            err::ALERT_FATAL
        }
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{load, msgs};
    use super::*;

    #[test]
    fn strtoul_like_c() {
        assert_eq!(strtoul("12"), Some(12));
        assert_eq!(strtoul("4x"), None);
        assert_eq!(strtoul(""), None);
        assert_eq!(strtoul("-1"), Some(u64::MAX));
    }

    #[test]
    fn cache_messages() {
        let l = load("cache c1\n  total-max-size 4\n  max-age\n  max-age 10x\n  max-object-size\n");
        let m = msgs(&l);
        assert!(m[0].ends_with("parsing [t.cfg:3]: 'max-age' expects an age parameter in seconds."));
        assert!(m[1].ends_with(
            "parsing [t.cfg:5]: 'max-object-size' expects a maximum file size parameter in bytes."
        ));
        assert!(m[2].ends_with("parsing [t.cfg:5]: max-object-size wrong value ''"));
        assert!(m[3].contains("Error(s) found"));
        let l = load("cache c1\n  total-max-size 4096\n");
        assert!(msgs(&l)[0].ends_with(
            "parsing [t.cfg:2]: \"total-max-size\" (4096) must not be greater than 4095"
        ));
        let l = load("cache c1\n  total-max-size 4\n  process-vary\n  max-secondary-entries 0\n");
        let m = msgs(&l);
        assert_eq!(
            m.iter()
                .filter(|s| s.contains("'process-vary' expects"))
                .count(),
            2
        );
        assert!(m[2].ends_with("max-secondary-entries wrong value '0'"));
        let l = load("cache c1 x\n");
        assert!(msgs(&l)[0].ends_with("'cache' cannot handle unexpected argument 'x'."));
    }

    #[test]
    fn cache_post_section() {
        let l = load(
            "cache c1\n  max-age 4\ncache c2\n  total-max-size 1\n  max-object-size 600000\n  foo\n",
        );
        let m = msgs(&l);
        assert!(m[0].ends_with("config : Size not specified for cache 'c1'"));
        assert!(m[1].ends_with("parsing [t.cfg:6] : unknown keyword 'foo' in 'cache' section"));
        assert!(m[2].ends_with(
            "\"max-object-size\" is limited to an half of \"total-max-size\" => 524288"
        ));
        let l = load("cache c1\n  total-max-size 1\ncache c1\n");
        assert!(msgs(&l)[0].ends_with("parsing [t.cfg:3]: Duplicate cache name 'c1'."));
        let l = load("cache c1\n  total-max-size 4\n  process-vary on\n");
        let c = l.config.unwrap();
        assert_eq!(c.caches[0].max_object_size, 4 * 1024 * 1024 / 256);
        assert!(c.caches[0].process_vary);
    }
}
