//! TLS contexts built once from the model, before any socket exists: one server-side
//! context set per TLS `bind` (certificates chosen by SNI, versions, ciphers, client
//! verification, ALPN) and one client-side context per `server … ssl`. The runtime only
//! asks them for a fresh `Ssl` per connection and drives it over its own non-blocking
//! sockets; nothing here reads or writes a socket.
//!
//! Errors are HAProxy's texts, so the caller can print them as alerts at the `bind` or
//! `server` line they come from.

pub mod bind;
mod dh;
pub mod facts;
pub mod pem;
pub mod server;
mod versions;

pub use bind::BindTls;
pub use server::ServerTls;

/// A self-signed certificate and its key, as PEM, for unit tests of the file checks.
#[cfg(test)]
pub fn test_pems(cn: &str) -> (String, String) {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::x509::{X509Name, X509};
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    let now = openssl::asn1::Asn1Time::days_from_now(0).unwrap();
    let later = openssl::asn1::Asn1Time::days_from_now(1).unwrap();
    b.set_not_before(&now).unwrap();
    b.set_not_after(&later).unwrap();
    b.sign(&key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    let cert = String::from_utf8(b.build().to_pem().unwrap()).unwrap();
    let key = String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    (cert, key)
}
