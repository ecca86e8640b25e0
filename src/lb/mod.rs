//! Load-balancing algorithms (HAProxy's `lb_*.c`): which server a request goes to.
//!
//! Nothing here knows about sockets or configuration syntax: the queue asks a [`Balancer`]
//! for a server through the [`ServerSet`] view it keeps of its servers, and the
//! configuration layer maps `balance …` / `hash-type …` onto [`Algorithm`].
//!
//! Compatibility: every algorithm is a port of HAProxy 2.6's code (`lb_fwrr.c`,
//! `lb_map.c`, `lb_chash.c`, `lb_fwlc.c`, `lb_fas.c`, `get_server_*` in `backend.c`), so a
//! key picks the server HAProxy picks for the same configuration, and round robin serves
//! servers in HAProxy's order; `tests/lb_diff.rs` checks this against `/usr/sbin/haproxy`.
//!
//! Usage: build with [`new_balancer`] / [`new_balancer_with`]; compute the key with
//! [`Algorithm::request_key`] (or the helpers in [`key`]; `balance hash <expr>` passes the
//! sample's bytes) and call [`Balancer::pick`] (or [`Balancer::pick_avoid`] to redispatch).
//! Call [`Balancer::update`] after each server state/weight change — one change per call
//! reproduces HAProxy's sequence exactly, as its changes are applied one server at a
//! time — and `take_conn`/`drop_conn` after the server's load changed (leastconn).
//! [`ServerSet::weight`] is the user weight (0..=256); [`ServerSet::eweight`] refines it
//! for slow start.

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
    /// Streams being served by the server (not counting its queue): `hash-balance-factor`
    /// and `random` compare these. Defaults to [`ServerSet::load`].
    fn served(&self, i: usize) -> u32 {
        self.load(i)
    }
    /// HAProxy's effective weight for the dynamic algorithms (roundrobin, leastconn,
    /// consistent hash, random): `weight × 16`, or `weight × w` with `w` in `1..=16`
    /// while slow-starting (`(16 × elapsed + slowstart) / slowstart`). The map-based
    /// algorithms (static-rr, map-based hashes) use [`ServerSet::weight`] only.
    fn eweight(&self, i: usize) -> u32 {
        self.weight(i) * BE_WEIGHT_SCALE
    }
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
    /// [`Balancer::pick`] for a redispatch: server `avoid` (the one that just failed) is
    /// only chosen when nothing else is (HAProxy's `srvtoavoid`). Map-based hashing
    /// ignores it, as HAProxy does.
    fn pick_avoid(&self, set: &dyn ServerSet, key: Option<&[u8]>, avoid: Option<usize>) -> Pick {
        let _ = avoid;
        self.pick(set, key)
    }
    /// A server's state or weight changed: rebuild what depends on it.
    fn update(&self, set: &dyn ServerSet);
    /// A stream took / released a slot on server `i` (leastconn keeps its order with these).
    fn take_conn(&self, _set: &dyn ServerSet, _i: usize) {}
    fn drop_conn(&self, _set: &dyn ServerSet, _i: usize) {}
}

pub mod chash;
mod common;
pub mod fas;
pub mod fwlc;
pub mod fwrr;
pub mod hash;
pub mod key;
pub mod map;

/// HAProxy's `BE_WEIGHT_SCALE`: effective weights are user weights times this for the
/// dynamic algorithms (and the consistent-hash ring has this many points per weight unit).
/// [`ServerSet::weight`] is in user units (0..=256, as `weight` and `set weight` take).
pub const BE_WEIGHT_SCALE: u32 = 16;

/// `balance <algorithm>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Algorithm {
    RoundRobin,
    StaticRr,
    LeastConn,
    First,
    /// Key: the client address bytes ([`key::source_key`]); hashed by XOR of words.
    Source,
    /// Key: [`key::uri_key`] of the request target.
    Uri {
        whole: bool,
        len: usize,
        depth: usize,
        path_only: bool,
    },
    /// Key: [`key::url_param_key`] (or [`key::url_param_post_key`] when `check_post`).
    UrlParam {
        name: String,
        check_post: bool,
    },
    /// Key: [`key::hdr_key`] of the header's first value.
    Hdr {
        name: String,
        use_domain_only: bool,
    },
    /// Power of `draws` random choices (default 2) over the consistent-hash ring.
    Random {
        draws: u32,
    },
    /// Key: the `rdp_cookie(<name>)` value.
    RdpCookie {
        name: String,
    },
    /// `balance hash <expr>`: the caller computes the sample's bytes.
    Hash,
}

/// The request pieces hash keys are taken from (see [`Algorithm::request_key`]).
pub struct RequestView<'a> {
    pub method: &'a [u8],
    /// Request-line target, as received.
    pub uri: &'a [u8],
    /// Raw value of the first header line with this name (case-insensitive), if any.
    pub header: &'a dyn Fn(&str) -> Option<&'a [u8]>,
    /// Body bytes already buffered (HAProxy looks at the first data block only).
    pub body: Option<&'a [u8]>,
    pub src: Option<std::net::IpAddr>,
    /// TCP payload received so far (`rdp-cookie`).
    pub payload: Option<&'a [u8]>,
}

impl Algorithm {
    /// The key HAProxy would hash for this request; `None` makes the balancer fall back to
    /// round robin, as HAProxy does when the parameter is missing. `balance hash <expr>`
    /// returns `None`: the caller evaluates the expression and passes its bytes itself.
    pub fn request_key(&self, req: &RequestView<'_>) -> Option<Vec<u8>> {
        match self {
            Algorithm::Source => req.src.as_ref().map(key::source_key),
            Algorithm::Uri {
                whole,
                len,
                depth,
                path_only,
            } => Some(key::uri_key(req.uri, *whole, *len, *depth, *path_only).to_vec()),
            Algorithm::UrlParam { name, .. } => key::url_param_key(req.uri, name.as_bytes())
                .or_else(|| {
                    if req.method != b"POST" {
                        return None;
                    }
                    key::url_param_post_key(req.body?, name.as_bytes())
                })
                .map(<[u8]>::to_vec),
            Algorithm::Hdr {
                name,
                use_domain_only,
            } => {
                let v = key::first_header_value((req.header)(name)?);
                key::hdr_key(v, *use_domain_only).map(<[u8]>::to_vec)
            }
            Algorithm::RdpCookie { name } => {
                key::rdp_cookie_key(req.payload?, name.as_bytes()).map(<[u8]>::to_vec)
            }
            _ => None,
        }
    }

    /// Hash-based (`BE_LB_KIND_HI`): uses `hash-type`, key `None` means round robin.
    pub fn is_hash(&self) -> bool {
        matches!(
            self,
            Algorithm::Source
                | Algorithm::Uri { .. }
                | Algorithm::UrlParam { .. }
                | Algorithm::Hdr { .. }
                | Algorithm::RdpCookie { .. }
                | Algorithm::Hash
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashMethod {
    #[default]
    MapBased,
    Consistent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashFunction {
    #[default]
    Sdbm,
    Djb2,
    Wt6,
    Crc32,
    /// `none` does not exist in 2.6 (added in 2.8); 2.6's `gen_hash` treats any unknown
    /// function as sdbm, and so does [`HashType::hash`].
    None,
}

/// `hash-type <method> <function> [avalanche]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HashType {
    pub method: HashMethod,
    pub function: HashFunction,
    pub avalanche: bool,
}

impl HashType {
    /// What a bare `hash-type consistent` means in 2.6: sdbm with avalanche.
    pub fn consistent_default() -> Self {
        HashType {
            method: HashMethod::Consistent,
            function: HashFunction::Sdbm,
            avalanche: true,
        }
    }

    /// `gen_hash` then the optional `full_hash`, as `get_server_uh/ph/hh/rch/expr` do.
    pub fn hash(&self, key: &[u8]) -> u32 {
        let h = match self.function {
            HashFunction::Djb2 => hash::djb2(key),
            HashFunction::Wt6 => hash::wt6(key),
            HashFunction::Crc32 => hash::crc32(key),
            // 2.6's gen_hash() falls back to sdbm for anything else.
            HashFunction::Sdbm | HashFunction::None => hash::sdbm(key),
        };
        self.finish(h)
    }

    /// The `avalanche` step alone (source hashing skips the hash function).
    pub fn finish_pub(&self, h: u32) -> u32 {
        self.finish(h)
    }

    fn finish(&self, h: u32) -> u32 {
        if self.avalanche {
            hash::full_hash(h)
        } else {
            h
        }
    }
}

/// Options common to every algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LbOptions {
    /// `option allbackups`: all usable backups share the load, not only the first one.
    pub allbackups: bool,
    /// `hash-balance-factor` (0 = off; consistent hashing only).
    pub hash_balance_factor: u32,
}

/// Builds the balancer for `balance alg` with `hash-type ht` and `hash-balance-factor`.
pub fn new_balancer(alg: Algorithm, ht: HashType, hash_balance_factor: u32) -> Box<dyn Balancer> {
    new_balancer_with(
        alg,
        ht,
        LbOptions {
            allbackups: false,
            hash_balance_factor,
        },
    )
}

/// [`new_balancer`] with all options, `allbackups` included.
pub fn new_balancer_with(alg: Algorithm, ht: HashType, opts: LbOptions) -> Box<dyn Balancer> {
    match alg {
        Algorithm::RoundRobin => Box::new(fwrr::Fwrr::new(opts)),
        Algorithm::StaticRr => Box::new(map::MapLb::new(None, ht, opts)),
        Algorithm::LeastConn => Box::new(fwlc::Fwlc::new(opts)),
        Algorithm::First => Box::new(fas::Fas::new(opts)),
        Algorithm::Random { draws } => Box::new(chash::Chash::new_random(draws.max(1), opts)),
        a => {
            let source = a == Algorithm::Source;
            let hs = map::MapHashing {
                source,
                url_param: matches!(a, Algorithm::UrlParam { .. }),
                rdp: matches!(a, Algorithm::RdpCookie { .. }),
            };
            match ht.method {
                HashMethod::MapBased => Box::new(map::MapLb::new(Some(hs), ht, opts)),
                HashMethod::Consistent => Box::new(chash::Chash::new_hash(source, ht, opts)),
            }
        }
    }
}

#[cfg(test)]
mod tests;
