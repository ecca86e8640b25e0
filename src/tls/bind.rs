//! The server side of a TLS `bind`: one OpenSSL context per certificate, the first one
//! answering connections without SNI or with a name no certificate carries, the others
//! switched to from the SNI callback by exact name, then by wildcard (`*.example.com`
//! covers one more label), as `ssl_sock_switchctx_cbk()` does.

use std::collections::HashMap;
use std::sync::Arc;

use openssl::ssl::{
    AlpnError, NameType, SniError, Ssl, SslContext, SslContextBuilder, SslFiletype, SslMethod,
    SslMode, SslOptions, SslVerifyMode,
};
use openssl::x509::verify::X509VerifyFlags;

use super::pem::{self, CertKey};
use super::versions;
use crate::model::bind::BindOptions;
use crate::model::global::SslDefaults;

/// What one TLS `bind` line serves.
pub struct BindTls {
    initial: SslContext,
}

struct Names {
    ctxs: Vec<SslContext>,
    exact: HashMap<String, usize>,
    wild: HashMap<String, usize>,
    strict: bool,
}

impl Names {
    fn find(&self, name: &str) -> Option<usize> {
        let name = name.to_ascii_lowercase();
        if let Some(i) = self.exact.get(&name) {
            return Some(*i);
        }
        let (_, rest) = name.split_once('.')?;
        self.wild.get(rest).copied()
    }
}

/// The certificate files of a bind, in loading order (each `crt` argument expanded like
/// HAProxy: a directory gives its files sorted, a missing name its `.rsa/.dsa/.ecdsa`
/// bundle).
pub fn bind_cert_files(
    o: &BindOptions,
    g: &crate::model::Global,
) -> Result<Vec<(String, Option<String>)>, String> {
    let extra = crate::config::bind::ssl::extra_files_of(g);
    let mut out = Vec::new();
    for c in &o.crt {
        out.extend(crate::config::bind::ssl::cert_files(c, extra)?);
    }
    Ok(out)
}

impl BindTls {
    /// Builds the contexts of a bind from its options and the global defaults.
    pub fn build(o: &BindOptions, g: &crate::model::Global) -> Result<BindTls, String> {
        let files = bind_cert_files(o, g)?;
        let mut certs = Vec::new();
        for (c, k) in &files {
            certs.push(pem::load(c, k.as_deref())?);
        }
        if certs.is_empty() {
            return Err("no certificate configured (a 'crt' is needed)".to_string());
        }
        let mut names = Names {
            ctxs: Vec::new(),
            exact: HashMap::new(),
            wild: HashMap::new(),
            strict: o.strict_sni,
        };
        for (i, ck) in certs.iter().enumerate() {
            for n in pem::names(&ck.cert) {
                match n.strip_prefix("*.") {
                    Some(rest) => names.wild.entry(rest.to_string()).or_insert(i),
                    None => names.exact.entry(n).or_insert(i),
                };
            }
            names.ctxs.push(context(o, &g.ssl, ck)?.build());
        }
        let names = Arc::new(names);
        let mut b = context(o, &g.ssl, &certs[0])?;
        b.set_servername_callback(move |ssl, alert| {
            let Some(sni) = ssl.servername(NameType::HOST_NAME) else {
                return if names.strict {
                    Err(SniError::ALERT_FATAL)
                } else {
                    Ok(())
                };
            };
            match names.find(sni) {
                Some(0) => Ok(()),
                Some(i) => ssl
                    .set_ssl_context(&names.ctxs[i])
                    .map_err(|_| SniError::ALERT_FATAL),
                None if names.strict => {
                    *alert = openssl::ssl::SslAlert::UNRECOGNIZED_NAME;
                    Err(SniError::ALERT_FATAL)
                }
                None => Ok(()),
            }
        });
        Ok(BindTls { initial: b.build() })
    }

    /// A new server-side TLS state for one accepted connection.
    pub fn new_ssl(&self) -> Result<Ssl, openssl::error::ErrorStack> {
        let mut ssl = Ssl::new(&self.initial)?;
        ssl.set_accept_state();
        Ok(ssl)
    }
}

/// The settings every context of a bind shares, with certificate `ck`.
fn context(o: &BindOptions, d: &SslDefaults, ck: &CertKey) -> Result<SslContextBuilder, String> {
    let e = |what: &str, v: &str| format!("unable to set {what} '{v}'");
    let mut b = SslContextBuilder::new(SslMethod::tls_server()).map_err(|e| e.to_string())?;
    b.set_mode(
        SslMode::ENABLE_PARTIAL_WRITE
            | SslMode::ACCEPT_MOVING_WRITE_BUFFER
            | SslMode::RELEASE_BUFFERS,
    );
    let mut opts = SslOptions::NO_COMPRESSION | SslOptions::CIPHER_SERVER_PREFERENCE;
    let flags: Vec<&str> = o
        .other
        .iter()
        .map(|(k, _)| k.as_str())
        .chain(d.bind_options.iter().map(|s| s.as_str()))
        .collect();
    if flags.contains(&"no-tls-tickets") {
        opts |= SslOptions::NO_TICKET;
    }
    if flags.contains(&"prefer-client-ciphers") {
        opts.remove(SslOptions::CIPHER_SERVER_PREFERENCE);
    }
    b.set_options(opts);
    let (min, max) = versions::window(&o.tls, &versions::from_defaults(&d.bind_options));
    b.set_min_proto_version(Some(min))
        .map_err(|e| e.to_string())?;
    b.set_max_proto_version(Some(max))
        .map_err(|e| e.to_string())?;
    if let Some(c) = o.ciphers.as_deref().or(d.bind_ciphers.as_deref()) {
        b.set_cipher_list(c).map_err(|_| e("the cipher list", c))?;
    }
    if let Some(c) = o.ciphersuites.as_deref().or(d.bind_ciphersuites.as_deref()) {
        b.set_ciphersuites(c)
            .map_err(|_| e("the TLS 1.3 cipher suites", c))?;
    }
    let ecdhe = o
        .other
        .iter()
        .find(|(k, _)| k == "ecdhe")
        .and_then(|(_, a)| a.first());
    if let Some(c) = o
        .curves
        .as_deref()
        .or(ecdhe.map(|s| s.as_str()))
        .or(d.bind_curves.as_deref())
    {
        b.set_groups_list(c).map_err(|_| e("curves list to", c))?;
    }
    b.set_certificate(&ck.cert).map_err(|e| e.to_string())?;
    for c in &ck.chain {
        b.add_extra_chain_cert(c.clone())
            .map_err(|e| e.to_string())?;
    }
    b.set_private_key(&ck.key).map_err(|e| e.to_string())?;
    // `tune.ssl.default-dh-param`: DHE suites become available (a group the security level
    // refuses leaves them out, as HAProxy's warning says).
    if let Some(dh) = d
        .default_dh_param
        .and_then(|l| super::dh::for_key(&ck.key, l))
    {
        let _ = b.set_tmp_dh(&dh);
    }
    b.set_session_id_context(b"haproxy-rs")
        .map_err(|e| e.to_string())?;
    let verify = match o.verify.as_deref() {
        Some("required") => SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT,
        Some("optional") => SslVerifyMode::PEER,
        _ => SslVerifyMode::NONE,
    };
    if let Some(ca) = &o.ca_file {
        b.set_ca_file(ca)
            .map_err(|_| format!("unable to load {ca}"))?;
        let no_names = flags.contains(&"no-ca-names");
        if !no_names {
            let mut list = openssl::stack::Stack::new().map_err(|e| e.to_string())?;
            for c in pem::all_certs(ca)? {
                if let Ok(n) = c.subject_name().to_owned() {
                    let _ = list.push(n);
                }
            }
            b.set_client_ca_list(list);
        }
    }
    if let Some(crl) = &o.crl_file {
        load_crl(&mut b, crl)?;
    }
    b.set_verify(verify);
    if let Some(alpn) = &o.alpn {
        let wire = alpn_wire(alpn);
        b.set_alpn_select_callback(move |_, client| {
            select_alpn(&wire, client).ok_or(AlpnError::NOACK)
        });
    }
    Ok(b)
}

/// `crl-file`: the CRLs join the verification store, checked for the whole chain (HAProxy's
/// `X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL`).
pub(super) fn load_crl(b: &mut SslContextBuilder, crl: &str) -> Result<(), String> {
    let store = b.cert_store_mut();
    let lookup = store
        .add_lookup(openssl::x509::store::X509Lookup::file())
        .map_err(|e| e.to_string())?;
    lookup
        .load_crl_file(crl, SslFiletype::PEM)
        .map_err(|_| format!("unable to configure CRL file '{crl}'"))?;
    store
        .set_flags(X509VerifyFlags::CRL_CHECK | X509VerifyFlags::CRL_CHECK_ALL)
        .map_err(|e| e.to_string())
}

/// The first of our protocols (in our order) the client offers, as a slice of the
/// client's list (which is what OpenSSL keeps).
fn select_alpn<'c>(ours: &[u8], client: &'c [u8]) -> Option<&'c [u8]> {
    fn split(mut l: &[u8]) -> Vec<&[u8]> {
        let mut v = Vec::new();
        while let Some((&n, rest)) = l.split_first() {
            let n = usize::from(n).min(rest.len());
            v.push(&rest[..n]);
            l = &rest[n..];
        }
        v
    }
    let theirs = split(client);
    split(ours)
        .into_iter()
        .find_map(|p| theirs.iter().find(|t| **t == p).copied())
}

/// `ssl_sock_parse_alpn()`: `h2,http/1.1` → length-prefixed names.
pub fn alpn_wire(list: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for p in list.split(',').filter(|p| !p.is_empty()) {
        out.push(p.len() as u8);
        out.extend_from_slice(p.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_takes_our_first_protocol_the_client_offers() {
        let ours = alpn_wire("h3,http/1.1");
        assert_eq!(ours, b"\x02h3\x08http/1.1");
        assert_eq!(select_alpn(&ours, b"\x08http/1.1\x02h3"), Some(&b"h3"[..]));
        assert_eq!(select_alpn(&ours, b"\x08http/1.1"), Some(&b"http/1.1"[..]));
        assert_eq!(select_alpn(&ours, b"\x06spdy/1"), None);
        // A truncated client list is read as far as it goes.
        assert_eq!(select_alpn(&ours, b"\x08http/1"), None);
    }

    #[test]
    fn names_match_exactly_then_by_one_wildcard_label() {
        let mut n = Names {
            ctxs: Vec::new(),
            exact: HashMap::new(),
            wild: HashMap::new(),
            strict: false,
        };
        n.exact.insert("a.test".into(), 0);
        n.exact.insert("x.w.test".into(), 2);
        n.wild.insert("w.test".into(), 1);
        assert_eq!(n.find("A.Test"), Some(0));
        assert_eq!(n.find("x.w.test"), Some(2));
        assert_eq!(n.find("y.w.test"), Some(1));
        assert_eq!(n.find("z.y.w.test"), None);
        assert_eq!(n.find("w.test"), None);
    }
}
