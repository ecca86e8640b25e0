//! A live OpenSSL connection seen as the plain values the sample fetches read
//! ([`crate::sample::tls_conn::TlsConn`]), computed only when a fetch asks.

use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::ssl::{NameType, SslRef};
use openssl::x509::{X509NameRef, X509Ref};

use crate::sample::tls_conn::{Cert, TlsConn};

impl TlsConn for SslRef {
    fn protocol(&self) -> &str {
        self.version_str()
    }
    fn cipher(&self) -> Option<&str> {
        self.current_cipher().map(|c| c.name())
    }
    fn sni(&self) -> Option<&str> {
        self.servername(NameType::HOST_NAME)
    }
    fn alpn(&self) -> Option<&[u8]> {
        self.selected_alpn_protocol()
    }
    fn keysize(&self, alg: bool) -> Option<i64> {
        let b = self.current_cipher()?.bits();
        Some(i64::from(if alg { b.algorithm } else { b.secret }))
    }
    fn session_id(&self) -> Option<Vec<u8>> {
        // No value for an empty id, as HAProxy.
        Some(self.session()?.id().to_vec()).filter(|v| !v.is_empty())
    }
    fn resumed(&self) -> bool {
        self.session_reused()
    }
    fn verify_result(&self) -> i64 {
        i64::from(self.verify_result().as_raw())
    }
    fn cert(&self, peer: bool) -> Option<Cert> {
        if peer {
            self.peer_certificate().map(|c| cert(&c))
        } else {
            self.certificate().map(cert)
        }
    }
}

fn dn(n: &X509NameRef) -> Vec<(String, Vec<u8>)> {
    n.entries()
        .map(|e| {
            let nid = e.object().nid();
            let k = nid
                .short_name()
                .map(str::to_string)
                .unwrap_or_else(|_| e.object().to_string());
            (k, e.data().as_slice().to_vec())
        })
        .collect()
}

fn nid_sn(nid: Nid) -> String {
    nid.short_name().unwrap_or("").to_string()
}

fn cert(c: &X509Ref) -> Cert {
    Cert {
        subject: dn(c.subject_name()),
        issuer: dn(c.issuer_name()),
        serial: c
            .serial_number()
            .to_bn()
            .map(|b| b.to_vec())
            .unwrap_or_default(),
        sha1: c
            .digest(MessageDigest::sha1())
            .map(|d| d.to_vec())
            .unwrap_or_default(),
        der: c.to_der().unwrap_or_default(),
        version: i64::from(c.version()) + 1,
        sig_alg: nid_sn(c.signature_algorithm().object().nid()),
        key_alg: c
            .public_key()
            .map(|k| nid_sn(Nid::from_raw(k.id().as_raw())))
            .unwrap_or_default(),
        not_before: asn1_time(c.not_before()),
        not_after: asn1_time(c.not_after()),
    }
}

/// The certificate's time as its UTCTime text (`YYMMDDhhmmssZ`, GeneralizedTime with
/// the century from 2050 on), which is what HAProxy returns.
fn asn1_time(t: &Asn1TimeRef) -> String {
    let Ok(epoch) = Asn1Time::from_unix(0) else {
        return String::new();
    };
    let Ok(d) = epoch.diff(t) else {
        return String::new();
    };
    let secs = i64::from(d.days) * 86400 + i64::from(d.secs);
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    if (1950..2050).contains(&year) {
        format!("{:02}{month:02}{day:02}{h:02}{m:02}{s:02}Z", year % 100)
    } else {
        format!("{year:04}{month:02}{day:02}{h:02}{m:02}{s:02}Z")
    }
}
