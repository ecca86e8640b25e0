//! Version strings and build facts. haproxy-rs reports the HAProxy version it is compatible
//! with, so that scripts and reg-tests gating on `version_atleast()` behave as with HAProxy
//! 2.6, and a feature list in HAProxy's format so that `feature()` and `run-regtests.sh`'s
//! `REQUIRE_OPTIONS` see what haproxy-rs really provides.

/// The HAProxy version whose behaviour haproxy-rs reproduces.
pub const HAPROXY_VERSION: &str = "2.6.12";
/// Shown by `-v`: the compatible HAProxy version and ours.
pub const VERSION_STRING: &str = concat!("2.6.12-haproxy-rs-", env!("CARGO_PKG_VERSION"));
pub const VERSION_DATE: &str = "2026/11/24";
/// HAProxy's `PRODUCT_STATUS` for the 2.6 branch.
pub const PRODUCT_STATUS: &str =
    "Status: long-term supported branch - will stop receiving fixes around Q2 2027.";
/// HAProxy's `PRODUCT_URL_BUGS`, `%s` being the base version.
pub const PRODUCT_URL_BUGS: &str = "http://www.haproxy.org/bugs/bugs-%s.html";

/// HAProxy's `BUILD_FEATURES` as haproxy-rs means it: `+X` for what haproxy-rs provides or
/// is built to provide (its configuration front end accepts the keywords), `-X` for what it
/// will not (no Lua, no PCRE: regexes are Rust's `regex`, no 51Degrees/DeviceAtlas/WURFL,
/// no OpenTracing, no QUIC). `feature(LUA)` is therefore false, as it must be.
pub const FEATURES: &str = "-51DEGREES +ACCEPT4 -BACKTRACE -CLOSEFROM +CPU_AFFINITY -CRYPT_H \
-DEVICEATLAS -DL -ENGINE +EPOLL -EVPORTS +GETADDRINFO -KQUEUE -LIBCRYPT +LINUX_SPLICE \
+LINUX_TPROXY -LUA -MEMORY_PROFILING +NETFILTER -NS -OBSOLETE_LINKER +OPENSSL -OT -PCRE -PCRE2 \
-PCRE2_JIT -PCRE_JIT +POLL +PRCTL -PROCCTL +PROMEX -QUIC +RT -SLZ -STATIC_PCRE -STATIC_PCRE2 \
+SYSTEMD +TFO +THREAD -THREAD_DUMP +TPROXY -WURFL -ZLIB";

/// HAProxy's `BUILD_TARGET` (run-regtests.sh reads it for `EXCLUDE_TARGETS`).
pub const TARGET: &str = "linux-glibc";

/// The TLS library `openssl_version_*()` and `ssllib_name_startswith()` compare against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SslLib {
    /// What OpenSSL's `OpenSSL_version(OPENSSL_VERSION)` returns.
    pub name: &'static str,
    /// `OPENSSL_VERSION_NUMBER`.
    pub number: u32,
}

/// The OpenSSL API level haproxy-rs' TLS layer targets. `None` would make the
/// `openssl_version_*()` predicates fail as in a HAProxy built without OpenSSL.
pub const SSL_LIB: Option<SslLib> = Some(SslLib {
    name: "OpenSSL 3.0.0",
    number: 0x3000_000f,
});

/// Services listed by `-vv` and `-dK svc`.
pub const SERVICES: &[&str] = &["prometheus-exporter"];

/// Filters listed by `-vv` (`[ID] name`) and `-dK flt` (`name [ID]`).
pub const FILTERS: &[(&str, &str)] = &[
    ("CACHE", "cache"),
    ("COMP", "compression"),
    ("FCGI", "fcgi-app"),
    ("SPOE", "spoe"),
    ("TRACE", "trace"),
];

/// `OPTIONS = …` of `-vv`: the `USE_*` flags matching [`FEATURES`].
pub fn build_options() -> String {
    FEATURES
        .split(' ')
        .filter_map(|f| f.strip_prefix('+'))
        .map(|f| format!("USE_{f}=1"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_list_is_well_formed() {
        for f in FEATURES.split(' ') {
            assert!(f.starts_with('+') || f.starts_with('-'), "{f}");
            assert!(f.len() > 1);
        }
        assert!(FEATURES.contains("-LUA "));
        assert!(build_options().contains("USE_OPENSSL=1"));
        assert!(!build_options().contains("USE_LUA"));
    }
}
