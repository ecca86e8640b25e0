//! The texts of `-v`, `-vv` and the usage, laid out as HAProxy's `display_version()`,
//! `display_build_opts()` and `usage()` print them: tools parse these lines
//! (`HAProxy version X`, `Feature list : …`, `TARGET  = …`, `Available services : …`).

use crate::version;

/// `uname()` fields, read from /proc (no `unsafe` needed): sysname, release, version, machine.
fn uname() -> Option<(String, String, String, String)> {
    let rd = |f: &str| {
        std::fs::read_to_string(format!("/proc/sys/kernel/{f}"))
            .ok()
            .map(|s| s.trim_end_matches('\n').to_string())
    };
    Some((
        rd("ostype")?,
        rd("osrelease")?,
        rd("version")?,
        std::env::consts::ARCH.to_string(),
    ))
}

/// `display_version()`.
pub fn version() -> String {
    let v = version::VERSION_STRING;
    let mut t = format!(
        "HAProxy version {v} {} - https://haproxy.org/\n{}\n",
        version::VERSION_DATE,
        version::PRODUCT_STATUS
    );
    // Only the base version, without distro-specific extensions.
    let base_len = v
        .bytes()
        .position(|c| c != b'.' && !c.is_ascii_digit())
        .unwrap_or(v.len());
    let base = &v[..base_len];
    if base.matches('.').count() < 2 {
        t.push_str("Known bugs: https://github.com/haproxy/haproxy/issues?q=is:issue+is:open\n");
    } else {
        t.push_str(&format!(
            "Known bugs: {}\n",
            version::PRODUCT_URL_BUGS.replace("%s", base)
        ));
    }
    if let Some((sys, rel, ver, mach)) = uname() {
        t.push_str(&format!("Running on: {sys} {rel} {ver} {mach}\n"));
    }
    t
}

/// `display_build_opts()`.
pub fn build_opts() -> String {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(64);
    let mut t = format!(
        "Build options :\n  TARGET  = {}\n  CPU     = generic\n  CC      = rustc\n  \
         CFLAGS  = \n  OPTIONS = {}\n  DEBUG   = \n\nFeature list : {}\n\n\
         Default settings :\n  bufsize = 16384, maxrewrite = 1024, maxpollevents = 200\n\n",
        version::TARGET,
        version::build_options(),
        version::FEATURES
    );
    t.push_str(&format!(
        "Built with multi-threading support (MAX_THREADS=64, default={threads}).\n"
    ));
    if let Some(lib) = version::SSL_LIB {
        t.push_str(&format!(
            "Built with OpenSSL version : {0}\nRunning on OpenSSL version : {0}\n\
             OpenSSL library supports TLS extensions : yes\n\
             OpenSSL library supports SNI : yes\n\
             OpenSSL library supports : TLSv1.2 TLSv1.3\n",
            lib.name
        ));
    }
    if version::SERVICES.contains(&"prometheus-exporter") {
        t.push_str("Built with the Prometheus exporter as a service\n");
    }
    t.push_str(
        "Compression algorithms supported : identity(\"identity\")\n\
         Built with transparent proxy support using: IP_TRANSPARENT IPV6_TRANSPARENT IP_FREEBIND\n\
         Built without PCRE or PCRE2 support (using Rust's regex instead)\n\
         Encrypted password support via crypt(3): no\n\
         Built with haproxy-rs, the Rust rebuild of HAProxy 2.6.\n\n",
    );
    t.push_str(
        "Available polling systems :\n      epoll : pref=300,  test result OK\n       \
         poll : pref=200,  test result OK\n     select : pref=150,  test result OK\n\
         Total: 3 (3 usable), will use epoll.\n\n",
    );
    t.push_str(
        "Available multiplexer protocols :\n\
         (protocols marked as <default> cannot be specified using 'proto' keyword)\n\
         \x20        h2 : mode=HTTP  side=FE|BE  mux=H2    flags=HTX|HOL_RISK|NO_UPG\n\
         \x20      fcgi : mode=HTTP  side=BE     mux=FCGI  flags=HTX|HOL_RISK|NO_UPG\n\
         \x20 <default> : mode=HTTP  side=FE|BE  mux=H1    flags=HTX\n\
         \x20        h1 : mode=HTTP  side=FE|BE  mux=H1    flags=HTX|NO_UPG\n\
         \x20 <default> : mode=TCP   side=FE|BE  mux=PASS  flags=\n\
         \x20      none : mode=TCP   side=FE|BE  mux=PASS  flags=NO_UPG\n\n",
    );
    t.push_str(&services_line());
    t.push('\n');
    t.push_str("Available filters :\n");
    for (id, name) in version::FILTERS {
        t.push_str(&format!("\t[{id:>4}] {name}\n"));
    }
    t.push('\n');
    t
}

/// `list_services(stdout)`.
fn services_line() -> String {
    if version::SERVICES.is_empty() {
        "Available services : none\n".into()
    } else {
        format!("Available services : {}\n", version::SERVICES.join(" "))
    }
}

/// `usage()`'s text (stderr), with the program name and the current `-N` value.
pub fn usage(progname: &str, maxpconn: i64) -> String {
    format!(
        "Usage : {progname} [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]\n\
         \x20       [ -p <pidfile> ] [ -m <max megs> ] [ -C <dir> ] [-- <cfgfile>*]\n\
         \x20       -v displays version ; -vv shows known build options.\n\
         \x20       -d enters debug mode ; -db only disables background mode.\n\
         \x20       -dM[<byte>,help,...] debug memory (default: poison with <byte>/0x50)\n\
         \x20       -V enters verbose mode (disables quiet mode)\n\
         \x20       -D goes daemon ; -C changes to <dir> before loading files.\n\
         \x20       -W master-worker mode.\n\
         \x20       -Ws master-worker mode with systemd notify support.\n\
         \x20       -q quiet mode : don't display messages\n\
         \x20       -c check mode : only check config files and exit\n\
         \x20       -cc check condition : evaluate a condition and exit\n\
         \x20       -n sets the maximum total # of connections (uses ulimit -n)\n\
         \x20       -m limits the usable amount of memory (in MB)\n\
         \x20       -N sets the default, per-proxy maximum # of connections ({maxpconn})\n\
         \x20       -L set local peer name (default to hostname)\n\
         \x20       -p writes pids of all children to this file\n\
         \x20       -de disables epoll() usage even when available\n\
         \x20       -dp disables poll() usage even when available\n\
         \x20       -dS disables splice usage (broken on old kernels)\n\
         \x20       -dG disables getaddrinfo() usage\n\
         \x20       -dR disables SO_REUSEPORT usage\n\
         \x20       -dL dumps loaded object files after config checks\n\
         \x20       -dK{{class[,...]}} dump registered keywords (use 'help' for list)\n\
         \x20       -dr ignores server address resolution failures\n\
         \x20       -dV disables SSL verify on servers side\n\
         \x20       -dW fails if any warning is emitted\n\
         \x20       -dD diagnostic mode : warn about suspicious configuration statements\n\
         \x20       -sf/-st [pid ]* finishes/terminates old pids.\n\
         \x20       -x <unix_socket> get listening sockets from a unix socket\n\
         \x20       -S <bind>[,<bind options>...] new master CLI\n\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_lines() {
        let v = version();
        assert!(v.starts_with("HAProxy version 2.6.12-haproxy-rs-"));
        assert!(v.contains("\nKnown bugs: http://www.haproxy.org/bugs/bugs-2.6.12.html\n"));
    }

    #[test]
    fn build_opts_shape() {
        let b = build_opts();
        assert!(b.starts_with("Build options :\n  TARGET  = linux-glibc\n"));
        assert!(b.contains("\n\nFeature list : -51DEGREES "));
        assert!(b.contains("\nAvailable services : prometheus-exporter\n"));
        assert!(b.contains("\nAvailable filters :\n\t[CACHE] cache\n\t[COMP] compression\n"));
        assert!(b.contains("\t[SPOE] spoe\n"));
    }

    #[test]
    fn usage_matches_haproxy_layout() {
        let u = usage("haproxy", 0);
        assert!(u.starts_with(
            "Usage : haproxy [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]\n        [ -p <pidfile> ]"
        ));
        assert!(
            u.contains("\n        -N sets the default, per-proxy maximum # of connections (0)\n")
        );
        assert!(u.contains(
            "\n        -dK{class[,...]} dump registered keywords (use 'help' for list)\n"
        ));
        assert!(u.ends_with("new master CLI\n\n"));
    }
}
