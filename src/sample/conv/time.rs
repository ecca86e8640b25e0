//! `ltime`, `utime` (`strftime()` on the libc's broken-down time, so every conversion the C
//! library knows works as in HAProxy) and `http_date`.

use std::ffi::CString;

use super::TRASH;

/// HAProxy masks dates to 55 bits so that large inputs never make a negative `time_t`.
const DATE_MASK: i64 = 0x007f_ffff_ffff_ffff;

/// A compiled `ltime(format[,offset])` / `utime(…)`.
#[derive(Debug, Clone)]
pub(super) struct Strftime {
    /// The format as C sees it: up to its first NUL byte.
    fmt: CString,
    offset: Option<i64>,
}

impl Strftime {
    pub(super) fn new(fmt: &str, offset: Option<i64>) -> Strftime {
        let b = fmt.as_bytes();
        let b = &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())];
        Strftime {
            fmt: CString::new(b).unwrap_or_default(),
            offset,
        }
    }

    /// The date `v` (seconds since the epoch) plus the offset, in local time or UTC. Output
    /// that would not fit a trash chunk is empty, as `strftime()` then returns 0.
    pub(super) fn format(&self, v: i64, local: bool) -> Vec<u8> {
        let t: libc::time_t = (v & DATE_MASK).wrapping_add(self.offset.unwrap_or(0));
        let tm = broken_down(t, local);
        let mut buf = vec![0u8; TRASH];
        // SAFETY: `buf` has `buf.len()` writable bytes, the format is NUL-terminated and `tm`
        // is an initialised struct on our stack; strftime writes at most `buf.len()` bytes.
        let n =
            unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), self.fmt.as_ptr(), &tm) };
        buf.truncate(n);
        buf
    }
}

/// `localtime_r()` / `gmtime_r()`; a date they cannot represent leaves the zeroed struct
/// (HAProxy would print whatever its stack held).
fn broken_down(t: libc::time_t, local: bool) -> libc::tm {
    // SAFETY: `tm` is plain data for which all-zero bytes are valid (the pointer field
    // `tm_zone` becomes null, which strftime treats as no zone name).
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both functions only read `t` and write the struct we pass, both on our stack;
    // the reentrant versions keep no pointer to them.
    unsafe {
        if local {
            libc::localtime_r(&t, &mut tm);
        } else {
            libc::gmtime_r(&t, &mut tm);
        }
    }
    tm
}

/// `http_date`'s unit argument (`TIME_UNIT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    S,
    Ms,
    Us,
}

impl Unit {
    pub(super) fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "s" => Unit::S,
            "ms" => Unit::Ms,
            "us" => Unit::Us,
            _ => return None,
        })
    }
}

/// `sample_conv_http_date()`: the offset is in the input's unit; with `ms`/`us` the
/// fraction follows the seconds as a plain `%d` (".5 GMT" for 5 ms, not ".005").
pub(super) fn http_date(v: i64, offset: Option<i64>, unit: Unit) -> Vec<u8> {
    const DAY: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut v = v.wrapping_add(offset.unwrap_or(0));
    let div = match unit {
        Unit::S => 1,
        Unit::Ms => 1000,
        Unit::Us => 1_000_000,
    };
    let frac = v % div;
    v /= div;
    let tm = broken_down(v & DATE_MASK, false);
    let mut s = format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02}",
        DAY[tm.tm_wday.rem_euclid(7) as usize],
        tm.tm_mday,
        MON[tm.tm_mon.rem_euclid(12) as usize],
        1900 + tm.tm_year as i64,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    );
    if unit != Unit::S {
        s.push_str(&format!(".{frac}"));
    }
    s.push_str(" GMT");
    s.into_bytes()
}
