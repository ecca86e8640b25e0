//! The Queue API of `c-api.md`: a backend (servers, load balancing, the queues) built from
//! configuration text, its servers (borrowed handles) and streams (one request that needs a
//! server slot). A thin layer over [`crate::queue`]; see `doc/c-api.md` for the contract.
//!
//! Handles: `hap_backend` and `hap_stream` are boxes given to C; `hap_server` points into a
//! vector shared (`Arc`) by the backend handle and its streams, so it stays valid while the
//! backend handle lives. A stream's queue user tag is its own handle address, which is how
//! the Rust wake-up `(StreamId, tag)` becomes the C callback's `hap_stream *`.

use std::ffi::{c_char, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use super::{cbuf, config::TEXT_NAME, guard, hap_result};
use crate::config::{self, Diag, ParseEnv};
use crate::queue::{Assign, Backend, QueueError, ServerState, Stream, StreamState};

/// Operational states a caller can give a server.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum hap_server_state {
    HAP_SERVER_UP = 0,
    HAP_SERVER_DOWN = 1,
    HAP_SERVER_MAINT = 2,
    HAP_SERVER_DRAIN = 3,
}

/// Where a stream stands (`hap_stream_get_state`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum hap_stream_state {
    /// Created, `hap_stream_assign` not called yet.
    HAP_STREAM_NEW = 0,
    /// Waiting in a server or the backend queue.
    HAP_STREAM_QUEUED = 1,
    /// A slot is held on the server written to `*out`.
    HAP_STREAM_ASSIGNED = 2,
    /// `timeout queue` passed (`hap_backend_expire`): answer 503 ("sQ").
    HAP_STREAM_EXPIRED = 3,
    /// Taken out of a queue by redistribution (server down): call `hap_stream_assign` again.
    HAP_STREAM_REDISPATCHED = 4,
    /// Released or aborted; also what a NULL stream reads as.
    HAP_STREAM_RELEASED = 5,
}

/// A server of a backend: a borrowed handle, valid while its backend handle lives.
#[allow(non_camel_case_types)]
pub struct hap_server {
    be: Arc<Backend>,
    idx: usize,
}

/// A backend: servers, load balancing, the backend and server queues.
#[allow(non_camel_case_types)]
pub struct hap_backend {
    be: Arc<Backend>,
    servers: Arc<Vec<hap_server>>,
}

/// One request that needs a server slot.
#[allow(non_camel_case_types)]
pub struct hap_stream {
    s: Stream,
    servers: Arc<Vec<hap_server>>,
}

/// The C wake-up callback.
#[allow(non_camel_case_types)]
pub type hap_wakeup_fn = Option<unsafe extern "C" fn(user: *mut c_void, s: *mut hap_stream)>;

fn result_of(e: QueueError) -> hap_result {
    match e {
        QueueError::InvalidServer => hap_result::HAP_ERR_INVALID,
        QueueError::State => hap_result::HAP_ERR_STATE,
    }
}

fn status(r: Result<(), QueueError>) -> hap_result {
    r.map_or_else(result_of, |()| hap_result::HAP_OK)
}

/// Borrows a handle the caller passed in (`None` for NULL).
///
/// # Safety
/// `p` must be NULL or point to a live handle of type `T` created by this module and not
/// freed, for as long as the returned reference is used (the C contract of every function).
unsafe fn live<'a, T: ?Sized>(p: *const T) -> Option<&'a T> {
    // SAFETY: the contract above.
    unsafe { p.as_ref() }
}

/// Runs `f` on the handle; `dflt` for NULL or a panic.
fn with<T: ?Sized, R>(h: Option<&T>, dflt: R, f: impl FnOnce(&T) -> R) -> R {
    let Some(r) = h else {
        return dflt;
    };
    catch_unwind(AssertUnwindSafe(|| f(r))).unwrap_or(dflt)
}

/// Like [`with`] for functions returning `hap_result` (NULL gives `HAP_ERR_NULL`).
fn with_res<T: ?Sized>(h: Option<&T>, f: impl FnOnce(&T) -> hap_result) -> hap_result {
    match h {
        None => hap_result::HAP_ERR_NULL,
        Some(r) => guard(|| f(r)),
    }
}

/// The safe core of [`hap_backend_from_config`]: the backend, or the message for `err`.
pub fn backend_from_text(text: &[u8], name: &str) -> Result<Arc<Backend>, String> {
    let text = String::from_utf8_lossy(text);
    let loaded = config::load_str(TEXT_NAME, &text, Diag::new(), ParseEnv::offline());
    let Some(cfg) = loaded.config else {
        return Err(loaded.diag.render_all(std::process::id()));
    };
    crate::runtime::backend::build_backend(&cfg, name)
}

/// Builds the backend (or listen section) `backend_name` of the HAProxy configuration text
/// `cfg_text` (`len` bytes): `balance`, `hash-type`, `fullconn`, `timeout queue`/`connect`,
/// `option redispatch`/`persist`/`allbackups` and the servers with their `weight`,
/// `maxconn`, `minconn`, `maxqueue`, `backup`, `disabled`, `id`, `slowstart`.
///
/// `HAP_ERR_INVALID` if the text is rejected (the `[ALERT] … parsing [<text>:LINE] : …`
/// messages go to `err`) or has no such backend (a message says so); `HAP_ERR_NULL` if
/// `cfg_text`, `backend_name` or `out` is NULL, or `err` is NULL with `errlen` not 0.
/// On success `*out` is a new backend (free it with `hap_backend_free`) and `err` is "".
///
/// # Safety
/// `cfg_text` must point to `len` readable bytes, `backend_name` to a NUL-terminated string,
/// `out` to a writable pointer, `err` be NULL (with `errlen` 0) or point to `errlen` bytes.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_from_config(
    cfg_text: *const c_char,
    len: usize,
    backend_name: *const c_char,
    out: *mut *mut hap_backend,
    err: *mut c_char,
    errlen: usize,
) -> hap_result {
    guard(|| {
        // SAFETY: caller contract above.
        let Some(text) = (unsafe { cbuf::bytes(cfg_text, len) }) else {
            return hap_result::HAP_ERR_NULL;
        };
        if backend_name.is_null() || out.is_null() || (err.is_null() && errlen != 0) {
            return hap_result::HAP_ERR_NULL;
        }
        // SAFETY: non-NULL and NUL-terminated (caller contract).
        let name = unsafe { CStr::from_ptr(backend_name) }.to_string_lossy();
        match backend_from_text(text, &name) {
            Ok(be) => {
                let servers = (0..be.servers().len())
                    .map(|idx| hap_server {
                        be: be.clone(),
                        idx,
                    })
                    .collect();
                let h = Box::new(hap_backend {
                    be,
                    servers: Arc::new(servers),
                });
                // SAFETY: `out` is non-NULL and writable (caller contract).
                unsafe { out.write(Box::into_raw(h)) };
                // SAFETY: caller contract; NULL `err` is a no-op.
                unsafe { cbuf::write_str(err, errlen, "") };
                hap_result::HAP_OK
            }
            Err(msg) => {
                // SAFETY: caller contract; NULL `err` is a no-op.
                unsafe { cbuf::write_str(err, errlen, &msg) };
                hap_result::HAP_ERR_INVALID
            }
        }
    })
}

/// Frees a backend handle and clears its wake-up callback. Its `hap_server` pointers become
/// invalid. Streams still alive keep working (they own a reference to the queues) but are
/// no longer woken: free the streams first. NULL is a no-op.
///
/// # Safety
/// `be` must be NULL or a handle from `hap_backend_from_config` not freed yet.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_free(be: *mut hap_backend) {
    if be.is_null() {
        return;
    }
    // SAFETY: a live handle created by Box::into_raw (caller contract); ownership returns.
    let h = unsafe { Box::from_raw(be) };
    let _ = catch_unwind(AssertUnwindSafe(move || {
        h.be.set_wakeup(None);
        drop(h);
    }));
}

/// The server named `name`, borrowed (valid while `be` lives); NULL if none or on NULL input.
///
/// # Safety
/// `be` must be NULL or a live backend handle; `name` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_server(
    be: *mut hap_backend,
    name: *const c_char,
) -> *mut hap_server {
    if name.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(be) }, std::ptr::null_mut(), |h| {
        // SAFETY: non-NULL and NUL-terminated (caller contract).
        let name = unsafe { CStr::from_ptr(name) }.to_string_lossy();
        match h.be.server_index(&name) {
            Some(i) => std::ptr::from_ref(&h.servers[i]).cast_mut(),
            None => std::ptr::null_mut(),
        }
    })
}

/// A `*mut c_void` the caller promised may be used from any thread.
struct UserPtr(*mut c_void);
// SAFETY: `hap_backend_set_wakeup`'s contract: `user` may be passed to the callback from
// any thread; this module never dereferences it.
unsafe impl Send for UserPtr {}
// SAFETY: as above; only the pointer value is shared.
unsafe impl Sync for UserPtr {}

/// Sets (or with `cb` NULL clears) the wake-up callback: `cb(user, s)` is called when the
/// queued stream `s` changed state (got a slot, expired, or was redistributed), from
/// whichever thread caused it, with no library lock held. It means "call
/// `hap_stream_get_state` / `hap_stream_assign` again"; it may be spurious. `s` is only an
/// identifier for the callback: it must not be used if its owner may have freed it.
///
/// # Safety
/// `be` must be NULL or a live backend handle; `cb` must be safe to call from any thread
/// with `user` until it is replaced, cleared or the backend is freed, and must not unwind.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_set_wakeup(
    be: *mut hap_backend,
    cb: hap_wakeup_fn,
    user: *mut c_void,
) {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(be) }, (), |h| match cb {
        None => h.be.set_wakeup(None),
        Some(f) => {
            let user = UserPtr(user);
            h.be.set_wakeup(Some(Arc::new(move |_id, tag| {
                let u = &user;
                // SAFETY: `tag` is the address of a stream handle (set by hap_stream_new);
                // the callback's contract is the caller's (see above).
                unsafe { f(u.0, tag as *mut hap_stream) }
            })));
        }
    })
}

/// Applies `timeout queue` at `now_ms`: expires exactly the queued streams whose deadline
/// passed (they read `HAP_STREAM_EXPIRED` and are woken). Returns how many; 0 for NULL.
///
/// # Safety
/// `be` must be NULL or a live backend handle.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_expire(be: *mut hap_backend, now_ms: u64) -> usize {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(be) }, 0, |h| h.be.expire(now_ms))
}

/// Streams waiting in the backend (proxy) queue; 0 for NULL.
///
/// # Safety
/// `be` must be NULL or a live backend handle.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_queued(be: *const hap_backend) -> u32 {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(be) }, 0, |h| h.be.queued())
}

/// Streams waiting anywhere (backend queue and server queues); 0 for NULL.
///
/// # Safety
/// `be` must be NULL or a live backend handle.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_totpend(be: *const hap_backend) -> u32 {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(be) }, 0, |h| h.be.totpend())
}

/// Slots in use on all servers; 0 for NULL.
///
/// # Safety
/// `be` must be NULL or a live backend handle.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_served(be: *const hap_backend) -> u32 {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(be) }, 0, |h| h.be.served())
}

/// Slots in use on this server; 0 for NULL.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_served(sv: *const hap_server) -> u32 {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(sv) }, 0, |s| {
        s.be.server(s.idx).map_or(0, |x| x.served())
    })
}

/// Streams waiting in this server's own queue; 0 for NULL.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_queued(sv: *const hap_server) -> u32 {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(sv) }, 0, |s| {
        s.be.server(s.idx).map_or(0, |x| x.queued())
    })
}

/// Changes the server's state. UP dequeues waiting streams at once; DOWN/MAINT redistribute
/// its queue (MAINT always, DOWN with `option redispatch` and no `option persist`) and, when
/// no usable server is left, the backend queue (those streams read `REDISPATCHED`).
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive; `st` a declared value.
#[no_mangle]
pub unsafe extern "C" fn hap_server_set_state(
    sv: *mut hap_server,
    st: hap_server_state,
) -> hap_result {
    // SAFETY: the handle is NULL or live (this function's contract).
    with_res(unsafe { live(sv) }, |s| {
        let st = match st {
            hap_server_state::HAP_SERVER_UP => ServerState::Up,
            hap_server_state::HAP_SERVER_DOWN => ServerState::Down,
            hap_server_state::HAP_SERVER_MAINT => ServerState::Maint,
            hap_server_state::HAP_SERVER_DRAIN => ServerState::Drain,
        };
        status(s.be.set_state(s.idx, st, s.be.now_ms()))
    })
}

/// Changes `maxconn` (0 = unlimited); raising it dequeues waiting streams at once.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_set_maxconn(sv: *mut hap_server, maxconn: u32) -> hap_result {
    // SAFETY: the handle is NULL or live (this function's contract).
    with_res(unsafe { live(sv) }, |s| {
        status(s.be.set_maxconn(s.idx, maxconn))
    })
}

/// Changes the weight (0..=256; 0 takes the server out of load balancing).
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_set_weight(sv: *mut hap_server, weight: u32) -> hap_result {
    if weight > 256 {
        return hap_result::HAP_ERR_INVALID;
    }
    // SAFETY: the handle is NULL or live (this function's contract).
    with_res(unsafe { live(sv) }, |s| {
        status(s.be.set_weight(s.idx, weight))
    })
}

/// Creates a stream on `be`; free it with `hap_stream_free`. Use one stream from one thread
/// at a time.
///
/// # Safety
/// `be` must be NULL or a live backend handle; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hap_stream_new(
    be: *mut hap_backend,
    out: *mut *mut hap_stream,
) -> hap_result {
    if out.is_null() {
        return hap_result::HAP_ERR_NULL;
    }
    // SAFETY: the handle is NULL or live (this function's contract).
    with_res(unsafe { live(be) }, |h| {
        let raw = Box::into_raw(Box::new(hap_stream {
            s: h.be.stream_new(),
            servers: h.servers.clone(),
        }));
        // SAFETY: `raw` was just created by Box::into_raw and is not shared yet.
        unsafe { (*raw).s.set_user_tag(raw as usize) };
        // SAFETY: `out` is non-NULL and writable (caller contract).
        unsafe { out.write(raw) };
        hap_result::HAP_OK
    })
}

/// Sets the queue priority: `klass` (clamped to ±2047, lower first) and `offset_ms`
/// (clamped to ±524287, added to the queueing time). NULL is a no-op.
///
/// # Safety
/// `s` must be NULL or a live stream handle.
#[no_mangle]
pub unsafe extern "C" fn hap_stream_set_priority(s: *mut hap_stream, klass: i32, offset_ms: i32) {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(s) }, (), |h| {
        h.s.set_priority(klass, offset_ms)
    })
}

/// Sets the bytes hash-based algorithms hash (the uri, source, header… the caller
/// extracted); `key` NULL clears it (round robin is used). NULL `s` is a no-op.
///
/// # Safety
/// `s` must be NULL or a live stream handle; `key` NULL or `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn hap_stream_set_hash_key(s: *mut hap_stream, key: *const u8, len: usize) {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(s) }, (), |h| {
        // SAFETY: caller contract above.
        let key = unsafe { cbuf::bytes(key.cast(), len) };
        h.s.set_hash_key(key)
    })
}

/// Persistence (cookie, stick table): the stream goes to `sv`, waiting in its queue if it
/// is full. `HAP_ERR_INVALID` if `sv` belongs to another backend, `HAP_ERR_STATE` if the
/// stream is queued or holds a slot.
///
/// # Safety
/// `s` must be NULL or a live stream handle; `sv` NULL or a server handle whose backend
/// handle is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_stream_set_server(
    s: *mut hap_stream,
    sv: *mut hap_server,
) -> hap_result {
    if sv.is_null() {
        return hap_result::HAP_ERR_NULL;
    }
    // SAFETY: the handle is NULL or live (this function's contract).
    with_res(unsafe { live(s) }, |h| {
        // SAFETY: non-NULL live server handle (caller contract).
        let srv = unsafe { &*sv };
        if !Arc::ptr_eq(&srv.be, h.s.backend()) {
            return hap_result::HAP_ERR_INVALID;
        }
        status(h.s.set_server(srv.idx, true, false))
    })
}

fn server_ptr(h: &hap_stream, i: usize) -> *mut hap_server {
    h.servers
        .get(i)
        .map_or(std::ptr::null_mut(), |p| std::ptr::from_ref(p).cast_mut())
}

/// Asks for a server slot at `now_ms`. `HAP_OK`: a slot on `*out` is held (also when a
/// queued stream was given one meanwhile); `HAP_QUEUED`: wait for the wake-up; `HAP_FULL`
/// (maxqueue) or `HAP_NOSRV`: answer 503. Allowed for a new, queued (reports where it
/// stands) or redispatched stream; `HAP_ERR_STATE` once expired or released.
///
/// # Safety
/// `s` must be NULL or a live stream handle; `out` NULL (not wanted) or writable.
#[no_mangle]
pub unsafe extern "C" fn hap_stream_assign(
    s: *mut hap_stream,
    now_ms: u64,
    out: *mut *mut hap_server,
) -> hap_result {
    // SAFETY: the handle is NULL or live (this function's contract).
    with_res(unsafe { live(s) }, |h| {
        let srv = match h.s.state() {
            StreamState::Assigned(i) => Some(i),
            StreamState::Queued => return hap_result::HAP_QUEUED,
            StreamState::Expired | StreamState::Released => return hap_result::HAP_ERR_STATE,
            StreamState::New | StreamState::Redispatched => match h.s.assign(now_ms) {
                Ok(Assign::Ok(i)) => Some(i),
                Ok(Assign::Queued) => return hap_result::HAP_QUEUED,
                Ok(Assign::Full) => return hap_result::HAP_FULL,
                Ok(Assign::NoSrv) => return hap_result::HAP_NOSRV,
                Err(e) => return result_of(e),
            },
        };
        if let (Some(i), false) = (srv, out.is_null()) {
            // SAFETY: `out` is non-NULL and writable (caller contract).
            unsafe { out.write(server_ptr(h, i)) };
        }
        hap_result::HAP_OK
    })
}

/// The stream's state; with `HAP_STREAM_ASSIGNED` the server is written to `*out` (if not
/// NULL), otherwise `*out` is set to NULL. A NULL stream reads as `HAP_STREAM_RELEASED`.
///
/// # Safety
/// `s` must be NULL or a live stream handle; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hap_stream_get_state(
    s: *const hap_stream,
    out: *mut *mut hap_server,
) -> hap_stream_state {
    // SAFETY: the handle is NULL or live (this function's contract).
    let (st, srv) = with(
        unsafe { live(s) },
        (hap_stream_state::HAP_STREAM_RELEASED, std::ptr::null_mut()),
        |h| match h.s.state() {
            StreamState::New => (hap_stream_state::HAP_STREAM_NEW, std::ptr::null_mut()),
            StreamState::Queued => (hap_stream_state::HAP_STREAM_QUEUED, std::ptr::null_mut()),
            StreamState::Assigned(i) => (hap_stream_state::HAP_STREAM_ASSIGNED, server_ptr(h, i)),
            StreamState::Expired => (hap_stream_state::HAP_STREAM_EXPIRED, std::ptr::null_mut()),
            StreamState::Redispatched => (
                hap_stream_state::HAP_STREAM_REDISPATCHED,
                std::ptr::null_mut(),
            ),
            StreamState::Released => (hap_stream_state::HAP_STREAM_RELEASED, std::ptr::null_mut()),
        },
    );
    if !out.is_null() {
        // SAFETY: `out` is non-NULL and writable (caller contract).
        unsafe { out.write(srv) };
    }
    st
}

/// Gives the slot back (waiting streams are dequeued onto it). `HAP_ERR_STATE` while the
/// stream is queued (use `hap_stream_abort`). Releasing a stream holding nothing is `HAP_OK`.
///
/// # Safety
/// `s` must be NULL or a live stream handle.
#[no_mangle]
pub unsafe extern "C" fn hap_stream_release(s: *mut hap_stream) -> hap_result {
    // SAFETY: the handle is NULL or live (this function's contract).
    with_res(unsafe { live(s) }, |h| status(h.s.release()))
}

/// The client left: leaves the queue ("CQ"), or gives back a slot already given to it.
///
/// # Safety
/// `s` must be NULL or a live stream handle.
#[no_mangle]
pub unsafe extern "C" fn hap_stream_abort(s: *mut hap_stream) -> hap_result {
    // SAFETY: the handle is NULL or live (this function's contract).
    with_res(unsafe { live(s) }, |h| {
        h.s.abort();
        hap_result::HAP_OK
    })
}

/// Frees a stream, releasing its slot or leaving its queue as needed. NULL is a no-op.
///
/// # Safety
/// `s` must be NULL or a live stream handle, not used by another thread.
#[no_mangle]
pub unsafe extern "C" fn hap_stream_free(s: *mut hap_stream) {
    if s.is_null() {
        return;
    }
    // SAFETY: a live handle created by Box::into_raw (caller contract); ownership returns.
    let h = unsafe { Box::from_raw(s) };
    let _ = catch_unwind(AssertUnwindSafe(move || drop(h)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::null_mut;

    const CFG: &str = "backend be\n server a 127.0.0.1:80 maxconn 1\n";

    fn backend(text: &str) -> *mut hap_backend {
        let mut be = null_mut();
        let name = c"be";
        // SAFETY: valid text, name and out; no err buffer.
        let r = unsafe {
            hap_backend_from_config(
                text.as_ptr().cast(),
                text.len(),
                name.as_ptr(),
                &mut be,
                null_mut(),
                0,
            )
        };
        assert_eq!(r, hap_result::HAP_OK);
        be
    }

    #[test]
    fn round_trip_and_wakeup_pointer() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static WOKEN: AtomicUsize = AtomicUsize::new(0);
        unsafe extern "C" fn cb(_u: *mut c_void, s: *mut hap_stream) {
            WOKEN.store(s as usize, Ordering::SeqCst);
        }
        let be = backend(CFG);
        // SAFETY: all handles below are live; pointers valid.
        unsafe {
            hap_backend_set_wakeup(be, Some(cb), null_mut());
            let sv = hap_backend_server(be, c"a".as_ptr());
            assert!(!sv.is_null());
            assert!(hap_backend_server(be, c"zz".as_ptr()).is_null());
            let (mut s1, mut s2) = (null_mut(), null_mut());
            assert_eq!(hap_stream_new(be, &mut s1), hap_result::HAP_OK);
            assert_eq!(hap_stream_new(be, &mut s2), hap_result::HAP_OK);
            let mut got = null_mut();
            assert_eq!(hap_stream_assign(s1, 0, &mut got), hap_result::HAP_OK);
            assert_eq!(got, sv);
            assert_eq!(hap_stream_assign(s2, 0, &mut got), hap_result::HAP_QUEUED);
            assert_eq!(hap_backend_queued(be), 1);
            assert_eq!(hap_stream_release(s1), hap_result::HAP_OK);
            assert_eq!(WOKEN.load(Ordering::SeqCst), s2 as usize);
            assert_eq!(
                hap_stream_get_state(s2, &mut got),
                hap_stream_state::HAP_STREAM_ASSIGNED
            );
            assert_eq!(got, sv);
            assert_eq!(hap_server_served(sv), 1);
            hap_stream_free(s1);
            hap_stream_free(s2);
            assert_eq!(hap_server_served(sv), 0);
            hap_backend_free(be);
        }
    }

    #[test]
    fn nulls() {
        // SAFETY: NULL handles are the point of the test.
        unsafe {
            assert_eq!(hap_stream_release(null_mut()), hap_result::HAP_ERR_NULL);
            assert_eq!(
                hap_stream_assign(null_mut(), 0, null_mut()),
                hap_result::HAP_ERR_NULL
            );
            assert_eq!(
                hap_server_set_maxconn(null_mut(), 1),
                hap_result::HAP_ERR_NULL
            );
            assert_eq!(hap_backend_queued(std::ptr::null()), 0);
            assert_eq!(
                hap_stream_get_state(std::ptr::null(), null_mut()),
                hap_stream_state::HAP_STREAM_RELEASED
            );
            hap_stream_free(null_mut());
            hap_backend_free(null_mut());
        }
    }

    #[test]
    fn bad_text_and_unknown_name() {
        let e = backend_from_text(b"backend be\n    bogus 1\n", "be")
            .err()
            .unwrap();
        assert!(e.contains("parsing [<text>:2]"), "{e}");
        let e = backend_from_text(CFG.as_bytes(), "other").err().unwrap();
        assert!(e.contains("other"), "{e}");
    }
}
