//! The dates of log lines. Local time is taken as UTC (the offset of `/etc/localtime` is
//! not applied): servers usually run in UTC, and the alternative is `localtime_r()`.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Broken-down UTC time: (year, month 1-12, day, hour, minute, second, microseconds).
pub fn civil(t: SystemTime) -> (i64, u32, u32, u32, u32, u32, u32) {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400) as u32;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_micros(),
    )
}

/// `Dec  4 18:51:34` (RFC 3164).
pub fn syslog(t: SystemTime, out: &mut Vec<u8>) {
    let (_, mo, d, h, mi, s, _) = civil(t);
    let _ = write!(
        out,
        "{} {d:2} {h:02}:{mi:02}:{s:02}",
        MONTHS[mo as usize - 1]
    );
}

/// `2026-12-04T18:51:34.048071+00:00` (RFC 5424, `iso`, `timed`).
pub fn iso(t: SystemTime, out: &mut Vec<u8>) {
    let (y, mo, d, h, mi, s, us) = civil(t);
    let _ = write!(
        out,
        "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}+00:00"
    );
}

/// `04/Dec/2026:18:49:51.089` (`%t`, `%tr`).
pub fn local_ms(t: SystemTime, out: &mut Vec<u8>) {
    let (y, mo, d, h, mi, s, us) = civil(t);
    let _ = write!(
        out,
        "{d:02}/{}/{y:04}:{h:02}:{mi:02}:{s:02}.{:03}",
        MONTHS[mo as usize - 1],
        us / 1000
    );
}

/// `04/Dec/2026:18:49:51 +0000` (`%T`, `%trg`).
pub fn gmt(t: SystemTime, out: &mut Vec<u8>) {
    let (y, mo, d, h, mi, s, _) = civil(t);
    let _ = write!(
        out,
        "{d:02}/{}/{y:04}:{h:02}:{mi:02}:{s:02} +0000",
        MONTHS[mo as usize - 1]
    );
}

/// `%Tl`, `%trl`: local time with its offset (UTC here, see the module comment).
pub fn local(t: SystemTime, out: &mut Vec<u8>) {
    gmt(t, out)
}
