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

use super::{cbuf, config::TEXT_NAME, guard, hap_result, live, with, with_res};
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
    /// Coming back with `slowstart`: the limit and weight ramp up with the caller's clock
    /// (`hap_server_set_state_at`, `hap_backend_tick`) until the window passed, then UP.
    /// UP given to a DOWN/MAINT server that has `slowstart` becomes STARTING by itself.
    HAP_SERVER_STARTING = 4,
}

/// Bits of `hap_stream_set_server_ex`'s `flags`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum hap_persist_flags {
    /// A server chosen by a rule (`use-server`): kept on `maxqueue` overflow (`HAP_FULL`).
    HAP_PERSIST_NONE = 0,
    /// A cookie or stick-table match: with `option redispatch`, a `maxqueue` overflow
    /// load-balances elsewhere instead of `HAP_FULL`. What `hap_stream_set_server` sets.
    HAP_PERSIST_DIRECT = 1,
    /// `force-persist`: keep the server even when it is down or in maintenance, on
    /// `maxqueue` overflow and through redistribution.
    HAP_PERSIST_FORCE = 2,
}

const PERSIST_ALL: u32 =
    hap_persist_flags::HAP_PERSIST_DIRECT as u32 | hap_persist_flags::HAP_PERSIST_FORCE as u32;

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
    /// A running instance's live backend (`hap_instance_backend`): owned by the instance,
    /// so `hap_backend_free` ignores it; the workers own its wake-up callback and streams.
    borrowed: bool,
}

impl hap_backend {
    /// A handle on `be`; `borrowed` for the live backend of an instance.
    pub(crate) fn new(be: Arc<Backend>, borrowed: bool) -> hap_backend {
        let servers = (0..be.servers().len())
            .map(|idx| hap_server {
                be: be.clone(),
                idx,
            })
            .collect();
        hap_backend {
            be,
            servers: Arc::new(servers),
            borrowed,
        }
    }
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
                let h = Box::new(hap_backend::new(be, false));
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
/// no longer woken: free the streams first. NULL is a no-op, and so is a live backend
/// borrowed from an instance (`hap_instance_backend`): `hap_instance_free` releases it.
///
/// # Safety
/// `be` must be NULL, a handle from `hap_backend_from_config` not freed yet, or a handle
/// from `hap_instance_backend` whose instance is not freed.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_free(be: *mut hap_backend) {
    // SAFETY: NULL or a live handle (this function's contract).
    if unsafe { live(be) }.is_none_or(|h| h.borrowed) {
        return;
    }
    // SAFETY: a live handle created by Box::into_raw (caller contract); ownership returns.
    let h = unsafe { Box::from_raw(be) };
    let _ = catch_unwind(AssertUnwindSafe(move || {
        h.be.set_wakeup(None);
        drop(h);
    }));
}

/// The server named `name`, borrowed (valid while `be` lives); NULL if none, if it was
/// deleted (`hap_server_delete`: the name is gone) or on NULL input.
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
            Some(i) if !h.be.servers()[i].is_deleted() => {
                std::ptr::from_ref(&h.servers[i]).cast_mut()
            }
            _ => std::ptr::null_mut(),
        }
    })
}

/// How many servers `be` has, deleted ones included (positions never change, so
/// `hap_backend_server_at(be, 0..count)` walks them all even while servers are deleted);
/// 0 for NULL.
///
/// # Safety
/// `be` must be NULL or a live backend handle.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_server_count(be: *const hap_backend) -> usize {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(be) }, 0, |h| h.servers.len())
}

/// The server at position `i` (configuration order, from 0), borrowed like
/// `hap_backend_server`; deleted servers are returned too (`hap_server_is_deleted`).
/// NULL if `be` is NULL or `i >= hap_backend_server_count(be)`.
///
/// # Safety
/// `be` must be NULL or a live backend handle.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_server_at(be: *mut hap_backend, i: usize) -> *mut hap_server {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(be) }, std::ptr::null_mut(), |h| {
        h.servers
            .get(i)
            .map_or(std::ptr::null_mut(), |p| std::ptr::from_ref(p).cast_mut())
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
/// Ignored on an instance's live backend (`hap_instance_backend`): the workers' own
/// callback wakes the proxy's queued requests and must stay.
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
        _ if h.borrowed => {}
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

/// Clock tick at the caller's `now_ms` (HAProxy's `server_warmup`): STARTING servers whose
/// `slowstart` window passed become UP, and the limits that grew meanwhile are filled from
/// the queues at once. Call it from a timer while servers are STARTING (every 100 ms or so:
/// the dynamic maxconn only grows when the library is told the time). Returns how many
/// streams were given a slot (each is woken); 0 for NULL.
///
/// # Safety
/// `be` must be NULL or a live backend handle.
#[no_mangle]
pub unsafe extern "C" fn hap_backend_tick(be: *mut hap_backend, now_ms: u64) -> usize {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(be) }, 0, |h| h.be.tick(now_ms))
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

/// Runs an admin change on a server that was not deleted: `HAP_ERR_NULL` for NULL,
/// `HAP_ERR_STATE` once `hap_server_delete` ran, else the queue's answer.
fn admin(
    sv: Option<&hap_server>,
    f: impl FnOnce(&Backend, usize) -> Result<(), QueueError>,
) -> hap_result {
    with_res(sv, |s| {
        if s.be.servers()[s.idx].is_deleted() {
            return hap_result::HAP_ERR_STATE;
        }
        status(f(&s.be, s.idx))
    })
}

fn server_state(st: hap_server_state) -> ServerState {
    match st {
        hap_server_state::HAP_SERVER_UP => ServerState::Up,
        hap_server_state::HAP_SERVER_DOWN => ServerState::Down,
        hap_server_state::HAP_SERVER_MAINT => ServerState::Maint,
        hap_server_state::HAP_SERVER_DRAIN => ServerState::Drain,
        hap_server_state::HAP_SERVER_STARTING => ServerState::Starting,
    }
}

/// Changes the server's state at the backend's clock: the latest `now_ms` any call on this
/// backend passed in (`hap_stream_assign`, `hap_backend_expire`, `hap_backend_tick`,
/// `hap_server_set_state_at`), 0 before the first. Only the slowstart window depends on
/// it: use `hap_server_set_state_at` to start one at a time of your choosing.
/// Otherwise like `hap_server_set_state_at`.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive; `st` a declared value.
#[no_mangle]
pub unsafe extern "C" fn hap_server_set_state(
    sv: *mut hap_server,
    st: hap_server_state,
) -> hap_result {
    // SAFETY: the handle is NULL or live (this function's contract).
    admin(unsafe { live(sv) }, |be, i| {
        be.set_state(i, server_state(st), be.now_ms())
    })
}

/// Changes the server's state at the caller's monotonic `now_ms` (the clock of
/// `hap_stream_assign`; an earlier value than one already passed counts as that one).
/// UP dequeues waiting streams at once, up to the limit; UP on a DOWN/MAINT server with
/// `slowstart`, or STARTING, starts the slowstart window at `now_ms`: the dynamic maxconn
/// and the weight ramp up (never below 1) as `hap_backend_tick` reports the time, and the
/// server becomes UP when the window passed. DOWN/MAINT redistribute its queue (MAINT
/// always, DOWN with `option redispatch` and no `option persist`; force-persisted streams
/// stay) and, when no usable server is left, the backend queue (those streams read
/// `REDISPATCHED`). DRAIN keeps persistent traffic only. `HAP_ERR_STATE` once deleted.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive; `st` a declared value.
#[no_mangle]
pub unsafe extern "C" fn hap_server_set_state_at(
    sv: *mut hap_server,
    st: hap_server_state,
    now_ms: u64,
) -> hap_result {
    // SAFETY: the handle is NULL or live (this function's contract).
    admin(unsafe { live(sv) }, |be, i| {
        be.set_state(i, server_state(st), now_ms)
    })
}

/// Writes the server's state to `*out`. `HAP_ERR_NULL` if `sv` or `out` is NULL;
/// `HAP_ERR_STATE` (and `*out` unchanged) once the server was deleted.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hap_server_get_state(
    sv: *const hap_server,
    out: *mut hap_server_state,
) -> hap_result {
    if out.is_null() {
        return hap_result::HAP_ERR_NULL;
    }
    // SAFETY: the handle is NULL or live (this function's contract).
    with_res(unsafe { live(sv) }, |s| {
        let srv = &s.be.servers()[s.idx];
        if srv.is_deleted() {
            return hap_result::HAP_ERR_STATE;
        }
        let st = match srv.state() {
            ServerState::Up => hap_server_state::HAP_SERVER_UP,
            ServerState::Down => hap_server_state::HAP_SERVER_DOWN,
            ServerState::Maint => hap_server_state::HAP_SERVER_MAINT,
            ServerState::Drain => hap_server_state::HAP_SERVER_DRAIN,
            ServerState::Starting => hap_server_state::HAP_SERVER_STARTING,
        };
        // SAFETY: `out` is non-NULL and writable (caller contract).
        unsafe { out.write(st) };
        hap_result::HAP_OK
    })
}

/// Changes `maxconn` (0 = unlimited); raising it dequeues waiting streams at once. A
/// `minconn` equal to the old `maxconn` (a static limit) follows it. `HAP_ERR_STATE` once
/// deleted.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_set_maxconn(sv: *mut hap_server, maxconn: u32) -> hap_result {
    // SAFETY: the handle is NULL or live (this function's contract).
    admin(unsafe { live(sv) }, |be, i| be.set_maxconn(i, maxconn))
}

/// Changes `maxqueue`, the length of the server's own queue past which a stream
/// persisted to it gets `HAP_FULL` (or, direct with `option redispatch`, goes elsewhere);
/// 0 = unlimited. Lowering it evicts nobody. `HAP_ERR_STATE` once deleted.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_set_maxqueue(sv: *mut hap_server, maxqueue: u32) -> hap_result {
    // SAFETY: the handle is NULL or live (this function's contract).
    admin(unsafe { live(sv) }, |be, i| be.set_maxqueue(i, maxqueue))
}

/// Changes the weight (0..=256; 0 takes the server out of load balancing).
/// `HAP_ERR_INVALID` above 256, `HAP_ERR_STATE` once deleted.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_set_weight(sv: *mut hap_server, weight: u32) -> hap_result {
    if weight > 256 {
        return hap_result::HAP_ERR_INVALID;
    }
    // SAFETY: the handle is NULL or live (this function's contract).
    admin(unsafe { live(sv) }, |be, i| be.set_weight(i, weight))
}

/// Deletes the server for good (`del server`): like MAINT, its queue is redistributed
/// (the streams read `REDISPATCHED`, even force-persisted ones) and no stream is given a
/// slot on it again. Streams holding a slot on it keep it until they release it
/// (`hap_server_served` drains to 0). The handle itself stays valid as long as the
/// backend: the counters and `hap_server_name` still read, `hap_server_is_deleted` says
/// so, every change (and a second delete) gives `HAP_ERR_STATE`, and
/// `hap_stream_set_server*` refuse it. `hap_backend_server(be, name)` no longer finds it.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_delete(sv: *mut hap_server) -> hap_result {
    // SAFETY: the handle is NULL or live (this function's contract).
    admin(unsafe { live(sv) }, |be, i| be.delete_server(i))
}

/// Whether `hap_server_delete` ran on this server; false for NULL.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_is_deleted(sv: *const hap_server) -> bool {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(sv) }, false, |s| {
        s.be.servers()[s.idx].is_deleted()
    })
}

/// Configured `maxconn` (0 = unlimited); 0 for NULL.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_maxconn(sv: *const hap_server) -> u32 {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(sv) }, 0, |s| s.be.servers()[s.idx].maxconn())
}

/// Configured `minconn` (equal to `maxconn` for a static limit); 0 for NULL.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_minconn(sv: *const hap_server) -> u32 {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(sv) }, 0, |s| s.be.servers()[s.idx].minconn())
}

/// Configured `maxqueue` (0 = unlimited); 0 for NULL.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_maxqueue(sv: *const hap_server) -> u32 {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(sv) }, 0, |s| s.be.servers()[s.idx].maxqueue())
}

/// Configured weight (before slowstart and drain); 0 for NULL.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_weight(sv: *const hap_server) -> u32 {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(sv) }, 0, |s| s.be.servers()[s.idx].weight())
}

/// The limit the queue enforces on `hap_server_served` now: `maxconn`, or between
/// `minconn` and `maxconn` with `fullconn` (by the streams attached to the backend), scaled
/// down (never below 1) during slowstart at the backend's clock (the latest `now_ms`
/// passed in). `UINT32_MAX` when unlimited; 0 for NULL.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_server_dyn_maxconn(sv: *const hap_server) -> u32 {
    // SAFETY: the handle is NULL or live (this function's contract).
    with(unsafe { live(sv) }, 0, |s| s.be.dyn_maxconn(s.idx))
}

/// Writes the server's name into `buf` (`len` bytes, truncated to `len - 1` and
/// NUL-terminated) and its full length to `*n` (if not NULL), so `*n >= len` means it was
/// truncated; `buf` NULL with `len` 0 only asks for the length. Works on deleted servers.
/// `HAP_ERR_NULL` if `sv` is NULL or `buf` is NULL with `len` > 0.
///
/// # Safety
/// `sv` must be NULL or a server handle whose backend is alive; `buf` NULL or `len`
/// writable bytes; `n` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn hap_server_name(
    sv: *const hap_server,
    buf: *mut c_char,
    len: usize,
    n: *mut usize,
) -> hap_result {
    if buf.is_null() && len != 0 {
        return hap_result::HAP_ERR_NULL;
    }
    // SAFETY: the handle is NULL or live (this function's contract).
    with_res(unsafe { live(sv) }, |s| {
        let name = s.be.servers()[s.idx].name();
        // SAFETY: caller contract; NULL `buf` (len 0) is a no-op.
        unsafe { cbuf::write_str(buf, len, name) };
        if !n.is_null() {
            // SAFETY: `n` is non-NULL and writable (caller contract).
            unsafe { n.write(name.len()) };
        }
        hap_result::HAP_OK
    })
}

/// Creates a stream on `be`; free it with `hap_stream_free`. Use one stream from one thread
/// at a time. `HAP_ERR_STATE` on an instance's live backend (`hap_instance_backend`): its
/// streams are the proxy's requests, and its wake-ups go to the workers.
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
        if h.borrowed {
            return hap_result::HAP_ERR_STATE;
        }
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
/// is full. Same as `hap_stream_set_server_ex(s, sv, HAP_PERSIST_DIRECT)`.
///
/// # Safety
/// `s` must be NULL or a live stream handle; `sv` NULL or a server handle whose backend
/// handle is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_stream_set_server(
    s: *mut hap_stream,
    sv: *mut hap_server,
) -> hap_result {
    // SAFETY: this function's contract is the one of hap_stream_set_server_ex.
    unsafe { hap_stream_set_server_ex(s, sv, hap_persist_flags::HAP_PERSIST_DIRECT as u32) }
}

/// Persistence with explicit flags (`hap_persist_flags` bits, or-ed): the stream goes to
/// `sv`, waiting in its queue if it is full. `HAP_PERSIST_DIRECT`: a cookie/stick-table
/// choice, load-balanced elsewhere on `maxqueue` overflow with `option redispatch`;
/// `HAP_PERSIST_FORCE`: kept even when `sv` is down or in maintenance (unless deleted), on
/// overflow (`HAP_FULL`) and through redistribution; no flag: kept, `HAP_FULL` on
/// overflow. A persisted server that is down is otherwise only kept with `option persist`.
/// `HAP_ERR_NULL` if `s` or `sv` is NULL; `HAP_ERR_INVALID` for unknown flag bits or if `sv`
/// belongs to another backend; `HAP_ERR_STATE` if the stream is queued or holds a slot, or
/// `sv` was deleted.
///
/// # Safety
/// `s` must be NULL or a live stream handle; `sv` NULL or a server handle whose backend
/// handle is alive.
#[no_mangle]
pub unsafe extern "C" fn hap_stream_set_server_ex(
    s: *mut hap_stream,
    sv: *mut hap_server,
    flags: u32,
) -> hap_result {
    // SAFETY: the handle is NULL or live (this function's contract).
    let Some(srv) = (unsafe { live(sv) }) else {
        return hap_result::HAP_ERR_NULL;
    };
    // SAFETY: the handle is NULL or live (this function's contract).
    with_res(unsafe { live(s) }, |h| {
        if flags & !PERSIST_ALL != 0 || !Arc::ptr_eq(&srv.be, h.s.backend()) {
            return hap_result::HAP_ERR_INVALID;
        }
        if srv.be.servers()[srv.idx].is_deleted() {
            return hap_result::HAP_ERR_STATE;
        }
        let direct = flags & hap_persist_flags::HAP_PERSIST_DIRECT as u32 != 0;
        let force = flags & hap_persist_flags::HAP_PERSIST_FORCE as u32 != 0;
        status(h.s.set_server(srv.idx, direct, force))
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
