//! HAProxy's protocol version window (`methodVersions` in `ssl_sock.c`): `ssl-min-ver`,
//! `ssl-max-ver`, `no-*` and `force-*`, over the `ssl-default-*-options` defaults, with
//! TLSv1.2 as the lowest version when nothing says otherwise (HAProxy ≥ 2.2).

use crate::model::bind::TlsVersions;
use openssl::ssl::SslVersion;

const ORDER: &[(&str, &str)] = &[
    ("SSLv3", "sslv3"),
    ("TLSv1.0", "tlsv10"),
    ("TLSv1.1", "tlsv11"),
    ("TLSv1.2", "tlsv12"),
    ("TLSv1.3", "tlsv13"),
];

fn rank(name: &str) -> Option<usize> {
    ORDER.iter().position(|(n, _)| *n == name)
}

fn version(i: usize) -> SslVersion {
    match i {
        0 => SslVersion::SSL3,
        1 => SslVersion::TLS1,
        2 => SslVersion::TLS1_1,
        3 => SslVersion::TLS1_2,
        _ => SslVersion::TLS1_3,
    }
}

/// The version settings of `ssl-default-bind-options`/`ssl-default-server-options`.
pub fn from_defaults(opts: &[String]) -> TlsVersions {
    let mut v = TlsVersions::default();
    for o in opts {
        let mut w = o.split_whitespace();
        match (w.next(), w.next()) {
            (Some("ssl-min-ver"), Some(x)) => v.min = Some(x.to_string()),
            (Some("ssl-max-ver"), Some(x)) => v.max = Some(x.to_string()),
            (Some(k), None) => {
                let _ = crate::config::bind::ssl::tls_method_option(k, &mut v);
            }
            _ => {}
        }
    }
    v
}

/// The (min, max) OpenSSL bounds: the line's own settings over the defaults.
pub fn window(line: &TlsVersions, defaults: &TlsVersions) -> (SslVersion, SslVersion) {
    let min = line.min.as_deref().or(defaults.min.as_deref());
    let max = line.max.as_deref().or(defaults.max.as_deref());
    let mut lo = min.and_then(rank).unwrap_or(3);
    let mut hi = max.and_then(rank).unwrap_or(ORDER.len() - 1);
    if min.is_none() && hi < lo {
        lo = hi;
    }
    let disabled = |i: usize| {
        line.disabled
            .iter()
            .chain(defaults.disabled.iter())
            .any(|d| d == ORDER[i].1)
    };
    while lo < hi && disabled(lo) {
        lo += 1;
    }
    while hi > lo && disabled(hi) {
        hi -= 1;
    }
    (version(lo), version(hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(line: &[&str], defaults: &[&str]) -> (SslVersion, SslVersion) {
        let mut l = TlsVersions::default();
        for o in line {
            let mut it = o.split_whitespace();
            match (it.next(), it.next()) {
                (Some(k @ ("ssl-min-ver" | "ssl-max-ver")), Some(v)) => {
                    crate::config::bind::ssl::tls_minmax(k, v, &mut l).unwrap()
                }
                (Some(k), _) => crate::config::bind::ssl::tls_method_option(k, &mut l).unwrap(),
                _ => {}
            }
        }
        let d: Vec<String> = defaults.iter().map(|s| s.to_string()).collect();
        window(&l, &from_defaults(&d))
    }

    #[test]
    fn version_window_follows_haproxy() {
        use SslVersion as V;
        assert_eq!(w(&[], &[]), (V::TLS1_2, V::TLS1_3));
        assert_eq!(w(&["force-tlsv11"], &[]), (V::TLS1_1, V::TLS1_1));
        assert_eq!(w(&["no-tlsv13"], &[]), (V::TLS1_2, V::TLS1_2));
        assert_eq!(
            w(&["ssl-min-ver TLSv1.0", "no-tlsv10"], &[]),
            (V::TLS1_1, V::TLS1_3)
        );
        // A maximum under the implicit floor lowers the floor.
        assert_eq!(w(&["ssl-max-ver TLSv1.1"], &[]), (V::TLS1_1, V::TLS1_1));
        // The line's own bounds win over the defaults, the exclusions add up.
        assert_eq!(w(&[], &["ssl-min-ver TLSv1.3"]), (V::TLS1_3, V::TLS1_3));
        assert_eq!(
            w(&["ssl-min-ver TLSv1.2"], &["ssl-min-ver TLSv1.3"]),
            (V::TLS1_2, V::TLS1_3)
        );
        assert_eq!(w(&[], &["no-tlsv13"]), (V::TLS1_2, V::TLS1_2));
    }
}
