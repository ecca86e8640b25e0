//! HAProxy's hash functions (`src/hash.c`) and the `avalanche` modifier (`full_hash`).

/// `hash_sdbm` — HAProxy's default hash function.
pub fn sdbm(key: &[u8]) -> u32 {
    key.iter().fold(0u32, |h, &c| {
        (c as u32)
            .wrapping_add(h << 6)
            .wrapping_add(h << 16)
            .wrapping_sub(h)
    })
}

/// `hash_djb2`.
pub fn djb2(key: &[u8]) -> u32 {
    key.iter().fold(5381u32, |h, &c| {
        (h << 5).wrapping_add(h).wrapping_add(c as u32)
    })
}

/// `hash_wt6`.
pub fn wt6(key: &[u8]) -> u32 {
    let mut h0: u32 = 0xa53c965a;
    let mut h1: u32 = 0x5ca6953a;
    let mut step0: u32 = 6;
    let mut step1: u32 = 18;
    for &c in key {
        let t = c as u32;
        h0 = !(h0 ^ t);
        h1 = !(h1.wrapping_add(t));
        // C shifts by (32 - step) are undefined for step 0; x86 masks the count,
        // which is what rotate_left reproduces.
        let t = h1.rotate_left(step0);
        h1 = h0.rotate_left(step1);
        h0 = t;
        let t = ((h0 >> 16) ^ h1) & 0xffff;
        step0 = t & 0x1f;
        step1 = t >> 11;
    }
    h0 ^ h1
}

/// `hash_crc32` (IEEE, reflected, as zlib's crc32).
pub fn crc32(key: &[u8]) -> u32 {
    let mut h = !0u32;
    for &c in key {
        h ^= c as u32;
        for _ in 0..8 {
            h = (h >> 1) ^ if h & 1 != 0 { 0xedb88320 } else { 0 };
        }
    }
    !h
}

/// `hash_crc32c` (Castagnoli). Not selectable by `hash-type` in 2.6; kept for
/// sample converters.
pub fn crc32c(key: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &c in key {
        crc ^= c as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ if crc & 1 != 0 { 0x82f63b78 } else { 0 };
        }
    }
    !crc
}

/// Bob Jenkins' full avalanche (`full_hash`), times the prime HAProxy applies.
pub fn full_hash(mut a: u32) -> u32 {
    a = a.wrapping_add(0x7ed55d16).wrapping_add(a << 12);
    a = (a ^ 0xc761c23c) ^ (a >> 19);
    a = a.wrapping_add(0x165667b1).wrapping_add(a << 5);
    a = a.wrapping_add(0xd3a2646c) ^ (a << 9);
    a = a.wrapping_add(0xfd7046c5).wrapping_add(a << 3);
    a = (a ^ 0xb55a4f09) ^ (a >> 16);
    a.wrapping_mul(3221225473)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_vectors() {
        assert_eq!(crc32(b"123456789"), 0xcbf43926);
        assert_eq!(crc32c(b"123456789"), 0xe3069283);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn djb2_sdbm_vectors() {
        assert_eq!(djb2(b""), 5381);
        assert_eq!(djb2(b"a"), 5381 * 33 + 97);
        assert_eq!(sdbm(b""), 0);
        assert_eq!(sdbm(b"a"), 97);
        assert_eq!(sdbm(b"ab"), 98u32.wrapping_add(97 * 65599));
        // djb2 over 8+ bytes exercises HAProxy's unrolled loop: same function.
        let long = b"0123456789abcdef-x";
        let mut h = 5381u32;
        for &c in long.iter() {
            h = h.wrapping_mul(33).wrapping_add(c as u32);
        }
        assert_eq!(djb2(long), h);
    }

    #[test]
    fn vectors_from_haproxy_c() {
        // (key, sdbm, djb2, wt6, crc32) computed with HAProxy 2.6's hash.c (gcc, x86_64).
        let v: &[(&[u8], u32, u32, u32, u32)] = &[
            (b"", 0x00000000, 0x00001505, 0xf99a0360, 0x00000000),
            (b"a", 0x00000061, 0x0002b606, 0x714bf225, 0xe8b7be43),
            (
                b"/index.html",
                0x33242976,
                0xe114b9cf,
                0x3101077e,
                0xea224b42,
            ),
            (
                b"hello world, this is haproxy",
                0xe429d989,
                0x28cad9ec,
                0xa2eeec84,
                0xc5895ea7,
            ),
            (
                b"192.168.0.1",
                0xa3190a74,
                0xca90b72b,
                0xa9d3c5ba,
                0x89879968,
            ),
        ];
        for &(k, s, d, w, c) in v {
            assert_eq!(sdbm(k), s);
            assert_eq!(djb2(k), d);
            assert_eq!(wt6(k), w, "wt6 {:?}", k);
            assert_eq!(crc32(k), c);
        }
        for (a, h) in [
            (0, 0xab4ed927),
            (1, 0x348681b6),
            (4096, 0x49c2008b),
            (0xdeadbeef, 0xfff0eada),
        ] {
            assert_eq!(full_hash(a), h);
        }
    }
}
