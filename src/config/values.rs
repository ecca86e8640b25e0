//! Value parsers shared by all sections, ported from HAProxy's `tools.c` so that the same
//! text is accepted or refused, with the same offending character reported.

/// Unit assumed when a time value has no suffix (`TIME_UNIT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Us,
    Ms,
    S,
    Min,
    Hour,
    Day,
}

/// Why a time value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// Byte offset of the first unexpected character (HAProxy's returned pointer).
    BadChar(usize),
    /// `PARSE_TIME_OVER`: ≥ 2^31 in the target unit.
    Over,
    /// `PARSE_TIME_UNDER`: non-zero input that rounds to zero.
    Under,
}

/// A successfully parsed time, plus HAProxy's soft warning for trailing garbage after a
/// valid unit (e.g. `10sec`), which 2.6 accepts with a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Time {
    pub value: u32,
    pub warning: Option<String>,
}

/// `parse_time_err()`: converts `text` to `unit` (ms for timeouts).
pub fn parse_time(text: &str, unit: TimeUnit) -> Result<Time, TimeError> {
    let b = text.as_bytes();
    if b.first().is_none_or(|c| !c.is_ascii_digit()) {
        return Err(TimeError::BadChar(0));
    }
    let (mut omult, mut odiv): (u128, u128) = match unit {
        TimeUnit::Us => (1_000_000, 1),
        TimeUnit::Ms => (1000, 1),
        TimeUnit::S => (1, 1),
        TimeUnit::Min => (1, 60),
        TimeUnit::Hour => (1, 3600),
        TimeUnit::Day => (1, 86400),
    };
    let mut i = 0;
    let mut value: u64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        value = value.wrapping_mul(10).wrapping_add((b[i] - b'0') as u64);
        i += 1;
    }
    let (mut imult, mut idiv): (u128, u128) = (1, 1);
    let mut warning = None;
    if i == b.len() {
        imult = 1;
        omult = 1;
        idiv = 1;
        odiv = 1;
    } else {
        match b[i] {
            b's' => {}
            b'u' if b.get(i + 1) == Some(&b's') => {
                idiv = 1_000_000;
                i += 1;
            }
            b'u' => return Err(TimeError::BadChar(i)),
            b'm' => {
                if b.get(i + 1) == Some(&b's') {
                    idiv = 1000;
                    i += 1;
                } else {
                    imult = 60;
                }
            }
            b'h' => imult = 3600,
            b'd' => imult = 86400,
            _ => return Err(TimeError::BadChar(i)),
        }
        i += 1;
        if i < b.len() {
            warning = Some(format!(
                "unexpected character '{}' after the timer value '{}', only (us=microseconds,ms=milliseconds,s=seconds,m=minutes,h=hours,d=days) are supported. This will be reported as an error in next versions.",
                b[i] as char, text
            ));
        }
    }
    if omult % idiv == 0 {
        omult /= idiv;
        idiv = 1;
    }
    if idiv % omult == 0 {
        idiv /= omult;
        omult = 1;
    }
    if imult % odiv == 0 {
        imult /= odiv;
        odiv = 1;
    }
    if odiv % imult == 0 {
        odiv /= imult;
        imult = 1;
    }
    let result = (value as u128 * (imult * omult)).div_ceil(idiv * odiv);
    if result >= 0x8000_0000 {
        return Err(TimeError::Over);
    }
    if result == 0 && value != 0 {
        return Err(TimeError::Under);
    }
    Ok(Time {
        value: result as u32,
        warning,
    })
}

/// `parse_size_err()`: unsigned 32-bit size with optional k/m/g suffix. On error returns
/// the byte offset HAProxy points at.
pub fn parse_size(text: &str) -> Result<u32, usize> {
    let b = text.as_bytes();
    if b.first().is_none_or(|c| !c.is_ascii_digit()) {
        return Err(0);
    }
    let mut value: u32 = 0;
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        let j = (b[i] - b'0') as u32;
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(j))
            .ok_or(i)?;
        i += 1;
    }
    if i < b.len() {
        let shift = match b[i] {
            b'k' | b'K' => 10,
            b'm' | b'M' => 20,
            b'g' | b'G' => 30,
            _ => return Err(i),
        };
        if value > (u32::MAX >> shift) {
            return Err(i);
        }
        value <<= shift;
        if i + 1 < b.len() {
            return Err(i + 1);
        }
    }
    Ok(value)
}

/// C `atol()`/`atoi()`: leading blanks, optional sign, digits; anything else stops it.
/// HAProxy uses these in many keywords, so `maxconn 10x` means 10 and `maxconn x` means 0.
pub fn atol(text: &str) -> i64 {
    let s = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    // glibc's atol() is strtol(): it saturates at LONG_MIN/LONG_MAX instead of wrapping.
    let mut v: i64 = 0;
    for c in digits.bytes() {
        if !c.is_ascii_digit() {
            break;
        }
        let d = (c - b'0') as i64;
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
    }
    v
}

/// `atoi()` truncated to C `int`.
pub fn atoi(text: &str) -> i32 {
    atol(text) as i32
}

/// C `strtol(text, &end, 10)`: the value and the number of bytes consumed (0 if none).
pub fn strtol(text: &str) -> (i64, usize) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i] as char).is_ascii_whitespace() {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        neg = b[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut v: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add((b[i] - b'0') as i64);
        i += 1;
    }
    if i == start {
        return (0, 0);
    }
    (if neg { -v } else { v }, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("5s", TimeUnit::Ms).unwrap().value, 5000);
        assert_eq!(parse_time("100", TimeUnit::Ms).unwrap().value, 100);
        assert_eq!(parse_time("2m", TimeUnit::Ms).unwrap().value, 120_000);
        assert_eq!(parse_time("1500us", TimeUnit::Ms).unwrap().value, 2);
        assert_eq!(parse_time("1h", TimeUnit::S).unwrap().value, 3600);
        assert_eq!(parse_time("5x", TimeUnit::Ms), Err(TimeError::BadChar(1)));
        assert_eq!(parse_time("x", TimeUnit::Ms), Err(TimeError::BadChar(0)));
        assert_eq!(parse_time("30d", TimeUnit::Ms), Err(TimeError::Over));
        assert!(parse_time("10sec", TimeUnit::Ms).unwrap().warning.is_some());
    }

    #[test]
    fn sizes_and_atol() {
        assert_eq!(parse_size("16k"), Ok(16384));
        assert_eq!(parse_size("1kb"), Err(2));
        assert_eq!(parse_size("5G"), Err(1));
        assert_eq!(atol("10x"), 10);
        assert_eq!(atol("x"), 0);
        assert_eq!(atol(" -3"), -3);
        assert_eq!(strtol("12ab"), (12, 2));
        assert_eq!(atol("99999999999999999999999"), i64::MAX);
        assert_eq!(atol("-99999999999999999999999"), i64::MIN);
    }
}
