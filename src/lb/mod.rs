//! Load-balancing algorithms (HAProxy's `lb_*.c`): which server a request goes to.
//!
//! Nothing here knows about sockets or configuration syntax: the queue asks a [`Balancer`]
//! for a server through the [`ServerSet`] view it keeps of its servers, and the
//! configuration layer maps `balance …` / `hash-type …` onto [`Algorithm`].

/// The queue's view of its servers at decision time. Indexes are stable positions
/// (`0..len()`), the order servers were declared in.
pub trait ServerSet {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Effective weight now (after slowstart and `set weight`); 0 takes no new traffic.
    fn weight(&self, i: usize) -> u32;
    /// Running and not in maintenance or drain.
    fn usable(&self, i: usize) -> bool;
    fn is_backup(&self, i: usize) -> bool;
    /// `maxconn > 0` and (its queue is non-empty or `served >= dynamic maxconn`): the
    /// non-hash algorithms skip such servers (HAProxy's `srv_currently_usable` + full test).
    fn saturated(&self, i: usize) -> bool;
    /// Streams served plus queued on the server (leastconn's load).
    fn load(&self, i: usize) -> u32;
    /// The server's numeric id (`id` keyword, else its 1-based position): `first` and
    /// the consistent-hash ring depend on it.
    fn puid(&self, i: usize) -> u32;
}

/// Outcome of a load-balancing decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Server(usize),
    /// Every candidate is saturated: the request waits in the backend queue.
    Full,
    /// No usable server at all: 503.
    NoServer,
}

/// A load-balancing algorithm instance for one backend. Implementations use interior
/// mutability and are called from many threads.
pub trait Balancer: Send + Sync {
    /// Chooses a server. `key` is the hash input of hash-based algorithms (source address,
    /// URI, header value…); `None` falls back to round robin as HAProxy does.
    fn pick(&self, set: &dyn ServerSet, key: Option<&[u8]>) -> Pick;
    /// A server's state or weight changed: rebuild what depends on it.
    fn update(&self, set: &dyn ServerSet);
    /// A stream took / released a slot on server `i` (leastconn keeps its order with these).
    fn take_conn(&self, _set: &dyn ServerSet, _i: usize) {}
    fn drop_conn(&self, _set: &dyn ServerSet, _i: usize) {}
}
