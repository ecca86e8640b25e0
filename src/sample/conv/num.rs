//! Integer operators and comparisons (`sample_conv_arith_*`, `sample_conv_binary_*`,
//! `strcmp`), with HAProxy's saturation instead of overflow.

use super::Arith;

/// `arith_add()` of HAProxy 2.6, including its flaw: with two negative operands the
/// second overflow check (`LLONG_MAX - a < b`, which wraps) also runs and answers
/// `LLONG_MAX` (observed: `-7,sub(50)` gives 9223372036854775807).
fn add(a: i64, b: i64) -> i64 {
    if (a ^ b) >= 0 {
        if a < 0 && i64::MIN.wrapping_sub(a) > b {
            return i64::MIN;
        }
        if i64::MAX.wrapping_sub(a) < b {
            return i64::MAX;
        }
    }
    a.wrapping_add(b)
}

pub(super) fn arith(op: Arith, a: i64, b: i64) -> i64 {
    match op {
        Arith::Add => add(a, b),
        // -i64::MIN does not exist: HAProxy adds MAX then one more, saturating.
        Arith::Sub if b == i64::MIN => add(a, i64::MAX).saturating_add(1),
        Arith::Sub => add(a, -b),
        Arith::Mul => {
            if a == 0 || b == 0 {
                0
            } else {
                a.checked_mul(b).unwrap_or(if (a < 0) == (b < 0) {
                    i64::MAX
                } else {
                    i64::MIN
                })
            }
        }
        // Division by 0 gives the largest integer, MIN / -1 too (`sample_conv_arith_div`).
        Arith::Div => {
            if b == 0 || (a == i64::MIN && b == -1) {
                i64::MAX
            } else {
                a / b
            }
        }
        Arith::Mod => {
            if b == 0 || (a == i64::MIN && b == -1) {
                0
            } else {
                a % b
            }
        }
        Arith::And => a & b,
        Arith::Or => a | b,
        Arith::Xor => a ^ b,
    }
}

/// `strncmp()` over the common length (so it stops at a NUL byte as C does), then the
/// shorter string first. glibc's x86-64 `strncmp` returns the difference of the first
/// differing bytes, which HAProxy hands out unchanged.
pub(super) fn strcmp(a: &[u8], b: &[u8]) -> i64 {
    for (&x, &y) in a.iter().zip(b) {
        if x != y {
            return x as i64 - y as i64;
        }
        if x == 0 {
            break;
        }
    }
    match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

/// `HMAC()` with OpenSSL's digest.
pub(super) fn hmac(md: openssl::hash::MessageDigest, key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let k = openssl::pkey::PKey::hmac(key).ok()?;
    let mut s = openssl::sign::Signer::new(md, &k).ok()?;
    s.update(data).ok()?;
    s.sign_to_vec().ok()
}
