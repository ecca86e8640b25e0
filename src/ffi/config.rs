//! Configuration checking from C: the `-c` of the binary, on text held by the caller.

use std::ffi::c_char;

use super::{cbuf, guard, hap_result};
use crate::config::{self, Diag, ParseEnv};

/// The file name messages use for configuration text given in memory.
pub const TEXT_NAME: &str = "<text>";

/// Parses and checks HAProxy configuration text like `haproxy -c` does. Every message
/// (alerts and warnings, `[ALERT] … parsing [<text>:LINE] : …`, as the binary prints them)
/// is written into `err`, truncated to `errlen - 1` bytes and NUL-terminated.
///
/// Returns `HAP_OK` for a valid configuration, `HAP_ERR_INVALID` for a rejected one,
/// `HAP_ERR_NULL` if `cfg_text` is NULL or if `err` is NULL while `errlen` is not 0.
/// Host names are resolved and referenced files checked relative to the current directory,
/// as the binary does.
///
/// # Safety
/// `cfg_text` must point to `len` readable bytes (no NUL needed); `err` must be NULL (with
/// `errlen` 0) or point to `errlen` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn hap_config_check(
    cfg_text: *const c_char,
    len: usize,
    err: *mut c_char,
    errlen: usize,
) -> hap_result {
    guard(|| {
        // SAFETY: caller contract above.
        let Some(text) = (unsafe { cbuf::bytes(cfg_text, len) }) else {
            return hap_result::HAP_ERR_NULL;
        };
        if err.is_null() && errlen != 0 {
            return hap_result::HAP_ERR_NULL;
        }
        let (res, messages) = check_text(text, ParseEnv::default());
        // SAFETY: caller contract above; a NULL `err` is a no-op.
        unsafe { cbuf::write_str(err, errlen, &messages) };
        res
    })
}

/// The safe core of [`hap_config_check`]: the result and the rendered messages.
pub fn check_text(text: &[u8], env: ParseEnv) -> (hap_result, String) {
    let text = String::from_utf8_lossy(text);
    let loaded = config::load_str(TEXT_NAME, &text, Diag::new(), env);
    let messages = loaded.diag.render_all(std::process::id());
    let res = if loaded.config.is_some() {
        hap_result::HAP_OK
    } else {
        hap_result::HAP_ERR_INVALID
    };
    (res, messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn valid_and_invalid_text() {
        let (r, _) = check_text(b"defaults\n    timeout client 5s\n", ParseEnv::offline());
        assert_eq!(r, hap_result::HAP_OK);
        let (r, msg) = check_text(b"global\n    contimeout 5s\n", ParseEnv::offline());
        assert_eq!(r, hap_result::HAP_ERR_INVALID);
        assert!(msg.contains("parsing [<text>:2]"), "{msg}");
    }

    #[test]
    fn null_arguments() {
        let mut buf = [0 as c_char; 64];
        // SAFETY: NULL text is rejected before any read.
        let r = unsafe { hap_config_check(std::ptr::null(), 3, buf.as_mut_ptr(), buf.len()) };
        assert_eq!(r, hap_result::HAP_ERR_NULL);
        let t = b"global\n";
        // SAFETY: t is valid for its length; NULL err with errlen > 0 is rejected.
        let r = unsafe { hap_config_check(t.as_ptr().cast(), t.len(), std::ptr::null_mut(), 5) };
        assert_eq!(r, hap_result::HAP_ERR_NULL);
        // SAFETY: NULL err with errlen 0 means "no messages wanted".
        let r = unsafe { hap_config_check(t.as_ptr().cast(), t.len(), std::ptr::null_mut(), 0) };
        assert_eq!(r, hap_result::HAP_OK);
    }

    #[test]
    fn messages_are_truncated_and_terminated() {
        let t = b"frontend\n";
        let mut buf = [0x55 as c_char; 16];
        // SAFETY: valid buffers.
        let r =
            unsafe { hap_config_check(t.as_ptr().cast(), t.len(), buf.as_mut_ptr(), buf.len()) };
        assert_eq!(r, hap_result::HAP_ERR_INVALID);
        // SAFETY: NUL-terminated within 16 bytes.
        let s = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_str().unwrap();
        assert_eq!(s.len(), 15);
        assert!(s.starts_with("[ALERT]"));
    }
}
