//! The raw-pointer edges of the C API: reading caller text and filling caller buffers.
//! Every `unsafe` block of the FFI that touches caller memory is here, behind two functions
//! whose contracts are the C API's documented ones.

use std::ffi::c_char;

/// Writes `text` into the caller's `buf` of `len` bytes, truncated to `len - 1` bytes and
/// always NUL-terminated. Returns false (nothing written) if `buf` is NULL or `len` is 0.
///
/// # Safety
/// `buf` must be NULL or valid for `len` bytes of writes.
pub unsafe fn write_str(buf: *mut c_char, len: usize, text: &str) -> bool {
    if buf.is_null() || len == 0 {
        return false;
    }
    let n = text.len().min(len - 1);
    // SAFETY: `buf` is valid for `len` bytes (caller contract) and n + 1 <= len; the source
    // is a Rust string that cannot overlap caller-owned memory.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
        *buf.add(n) = 0;
    }
    true
}

/// Borrows the caller's `len` bytes at `ptr` (which need not be NUL-terminated).
/// `None` if `ptr` is NULL (an empty input may be given as any non-NULL pointer with 0).
///
/// # Safety
/// `ptr` must be NULL or valid for `len` bytes of reads for the lifetime `'a`.
pub unsafe fn bytes<'a>(ptr: *const c_char, len: usize) -> Option<&'a [u8]> {
    if ptr.is_null() {
        return None;
    }
    if len == 0 {
        return Some(&[]);
    }
    // SAFETY: non-NULL and valid for `len` bytes (caller contract).
    Some(unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_str_exact_fit_and_zero_len() {
        let mut b = [1 as c_char; 4];
        // SAFETY: b has 4 bytes.
        assert!(unsafe { write_str(b.as_mut_ptr(), 4, "abc") });
        assert_eq!(b.map(|c| c as u8), *b"abc\0");
        // SAFETY: len 0 never writes.
        assert!(!unsafe { write_str(b.as_mut_ptr(), 0, "x") });
        assert_eq!(b[0] as u8, b'a');
    }

    #[test]
    fn bytes_null_and_empty() {
        // SAFETY: NULL is handled.
        assert!(unsafe { bytes(std::ptr::null(), 3) }.is_none());
        let s = b"hello";
        // SAFETY: s has 5 bytes.
        assert_eq!(unsafe { bytes(s.as_ptr().cast(), 2) }, Some(&b"he"[..]));
    }
}
