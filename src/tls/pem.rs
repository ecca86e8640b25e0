//! Certificate files as HAProxy reads them (`ssl_sock_load_files_into_ckch()`): one PEM
//! with the certificate, its private key (or a `.key` side file) and the chain that
//! follows it. Decoding here is what the parse-time checks and the runtime share, so a
//! file `haproxy -c` accepts is one the runtime can serve.

use openssl::pkey::{PKey, Private};
use openssl::x509::X509;

/// A certificate with its key and chain, and the names SNI selects it by.
pub struct CertKey {
    pub path: String,
    pub cert: X509,
    pub chain: Vec<X509>,
    pub key: PKey<Private>,
}

/// Decodes `path` (and `key_path` when the key lives in a side file) with HAProxy's
/// error texts (each ends with a newline, as HAProxy's `err` buffers do).
pub fn load(path: &str, key_path: Option<&str>) -> Result<CertKey, String> {
    let bytes = std::fs::read(path).map_err(|_| format!("cannot open the file '{path}'.\n"))?;
    let mut certs = X509::stack_from_pem(&bytes).unwrap_or_default().into_iter();
    let Some(cert) = certs.next() else {
        return Err(format!("unable to load certificate from file '{path}'.\n"));
    };
    let chain: Vec<X509> = certs.collect();
    let key = match key_path {
        None => PKey::private_key_from_pem(&bytes)
            .map_err(|_| format!("unable to load private key from file '{path}'.\n"))?,
        Some(kp) => {
            let kb = std::fs::read(kp).map_err(|_| format!("cannot open the file '{kp}'.\n"))?;
            PKey::private_key_from_pem(&kb).map_err(|_| {
                format!("unable to load private key from file '{kp}'.\n '{kp}' is present but cannot be read or parsed'.\n")
            })?
        }
    };
    let matches = cert
        .public_key()
        .map(|pk| pk.public_eq(&key))
        .unwrap_or(false);
    if !matches {
        return Err(format!(
            "inconsistencies between private key and certificate loaded '{path}'.\n"
        ));
    }
    Ok(CertKey {
        path: path.to_string(),
        cert,
        chain,
        key,
    })
}

/// The DNS names of a certificate's SubjectAltName, then its CNs, lower-cased (what
/// `ssl_sock_load_cert_sni()` indexes it by).
pub fn names(cert: &X509) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(sans) = cert.subject_alt_names() {
        for n in sans.iter() {
            if let Some(d) = n.dnsname() {
                out.push(d.to_ascii_lowercase());
            }
        }
    }
    for e in cert
        .subject_name()
        .entries_by_nid(openssl::nid::Nid::COMMONNAME)
    {
        if let Ok(s) = e.data().to_string() {
            let s = s.to_ascii_lowercase();
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// Every certificate of a PEM file (CA files), for the client CA list.
pub fn all_certs(path: &str) -> Result<Vec<X509>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("unable to load {path} ({e})"))?;
    X509::stack_from_pem(&bytes).map_err(|_| format!("unable to load {path}"))
}
