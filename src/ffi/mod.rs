//! The C ABI (`include/haproxy_rs.h`): opaque handles, `hap_<type>_<verb>` names, a panic
//! boundary on every function. Only this module contains the C face.
//!
//! Conventions (see `doc/c-api.md`): functions that can fail return [`hap_result`]; NULL
//! pointers give `HAP_ERR_NULL`; a Rust panic is caught at the boundary and becomes
//! `HAP_ERR_PANIC`, never an unwind into C. Caller buffers are read and written by [`cbuf`];
//! [`instance`] embeds a whole proxy (configuration, listeners, worker threads);
//! [`queue`] drives the queues. Opaque handles become references in one helper (`live`)
//! and run behind the panic boundary of [`guard`], `with` or `with_res`; each `unsafe`
//! block carries a `// SAFETY:` comment.

mod cbuf;
pub mod config;
pub mod instance;
pub mod queue;

use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

pub use config::hap_config_check;

/// Result codes of the C API. `HAP_OK` is 0; errors start at 100 so that the queue
/// outcomes (`HAP_QUEUED`, `HAP_FULL`, `HAP_NOSRV`) read as successes of a kind.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum hap_result {
    HAP_OK = 0,
    /// The stream waits in a queue; the wakeup callback tells when it is served.
    HAP_QUEUED = 1,
    /// `maxqueue` overflow: HAProxy answers 503 with termination state "SQ".
    HAP_FULL = 2,
    /// No usable server: HAProxy answers 503.
    HAP_NOSRV = 3,
    /// A required pointer argument was NULL.
    HAP_ERR_NULL = 100,
    /// The input (configuration text, argument value) was rejected.
    HAP_ERR_INVALID = 101,
    /// The object is not in a state that allows the call.
    HAP_ERR_STATE = 102,
    /// A bug: Rust code panicked; the call had no effect that can be relied on.
    HAP_ERR_PANIC = 103,
    /// A system call failed (bind, socket, file).
    HAP_ERR_IO = 104,
    /// The request is understood but its feature is not built in haproxy-rs yet (the
    /// stats-socket commands of `hap_instance_cli`).
    HAP_ERR_UNSUPPORTED = 105,
}

impl hap_result {
    /// The text [`hap_result_message`] writes.
    pub fn message(self) -> &'static str {
        match self {
            hap_result::HAP_OK => "success",
            hap_result::HAP_QUEUED => "queued: waiting for a server slot",
            hap_result::HAP_FULL => "queue full (maxqueue reached)",
            hap_result::HAP_NOSRV => "no server available",
            hap_result::HAP_ERR_NULL => "unexpected NULL argument",
            hap_result::HAP_ERR_INVALID => "invalid input",
            hap_result::HAP_ERR_STATE => "operation not allowed in the current state",
            hap_result::HAP_ERR_PANIC => "internal error (Rust panic caught at the C boundary)",
            hap_result::HAP_ERR_IO => "system error",
            hap_result::HAP_ERR_UNSUPPORTED => "not supported by haproxy-rs yet",
        }
    }
}

/// Runs `f`, turning a panic into `HAP_ERR_PANIC`: unwinding into C is undefined behaviour.
pub(crate) fn guard(f: impl FnOnce() -> hap_result) -> hap_result {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(hap_result::HAP_ERR_PANIC)
}

/// Borrows a handle the caller passed in (`None` for NULL).
///
/// # Safety
/// `p` must be NULL or point to a live handle of type `T` created by this crate and not
/// freed, for as long as the returned reference is used (the C contract of every function).
pub(crate) unsafe fn live<'a, T: ?Sized>(p: *const T) -> Option<&'a T> {
    // SAFETY: the contract above.
    unsafe { p.as_ref() }
}

/// Runs `f` on the handle; `dflt` for NULL or a panic.
pub(crate) fn with<T: ?Sized, R>(h: Option<&T>, dflt: R, f: impl FnOnce(&T) -> R) -> R {
    let Some(r) = h else {
        return dflt;
    };
    catch_unwind(AssertUnwindSafe(|| f(r))).unwrap_or(dflt)
}

/// Like [`with`] for functions returning `hap_result` (NULL gives `HAP_ERR_NULL`).
pub(crate) fn with_res<T: ?Sized>(h: Option<&T>, f: impl FnOnce(&T) -> hap_result) -> hap_result {
    match h {
        None => hap_result::HAP_ERR_NULL,
        Some(r) => guard(|| f(r)),
    }
}

/// The library's version string, e.g. `"2.6.12-haproxy-rs-0.1.0"` (the HAProxy version
/// whose behaviour is reproduced, then ours). Static storage: never free it.
#[no_mangle]
pub extern "C" fn hap_version() -> *const c_char {
    static V: OnceLock<CString> = OnceLock::new();
    catch_unwind(|| {
        V.get_or_init(|| {
            CString::new(crate::version::VERSION_STRING).unwrap_or_else(|_| CString::default())
        })
        .as_ptr()
    })
    .unwrap_or(c"".as_ptr())
}

/// Writes a NUL-terminated description of `result` into `buf` (truncated to `len - 1`
/// bytes). Returns the length of the full description, like `snprintf`, so a caller can
/// detect truncation; 0 if `buf` is NULL or `len` is 0 (nothing written).
///
/// # Safety
/// `buf` must be NULL or point to `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn hap_result_message(
    result: hap_result,
    buf: *mut c_char,
    len: usize,
) -> usize {
    catch_unwind(|| {
        let msg = result.message();
        // SAFETY: the caller guarantees `buf` is NULL or has `len` writable bytes.
        if unsafe { cbuf::write_str(buf, len, msg) } {
            msg.len()
        } else {
            0
        }
    })
    .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn version_is_the_crate_version() {
        // SAFETY: hap_version returns a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(hap_version()) };
        assert_eq!(v.to_str().unwrap(), crate::version::VERSION_STRING);
    }

    #[test]
    fn result_message_truncates_and_reports_full_length() {
        let mut buf = [0x7f as c_char; 8];
        // SAFETY: buf has 8 writable bytes.
        let n =
            unsafe { hap_result_message(hap_result::HAP_ERR_NULL, buf.as_mut_ptr(), buf.len()) };
        assert_eq!(n, "unexpected NULL argument".len());
        // SAFETY: the function NUL-terminated within the 8 bytes.
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(s.to_str().unwrap(), "unexpec");
        // SAFETY: NULL is allowed.
        assert_eq!(
            unsafe { hap_result_message(hap_result::HAP_OK, std::ptr::null_mut(), 10) },
            0
        );
    }

    #[test]
    fn guard_turns_panics_into_results() {
        let r = guard(|| panic!("boom"));
        assert_eq!(r, hap_result::HAP_ERR_PANIC);
        assert_eq!(guard(|| hap_result::HAP_OK), hap_result::HAP_OK);
    }
}
