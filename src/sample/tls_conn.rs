//! The TLS fetches (`ssl_fc*`, `ssl_c_*`, `ssl_f_*`, `ssl_bc*`, `ssl_s_*`). The runtime
//! hands a connection's TLS state as a [`TlsConn`] of plain values, so this evaluator
//! never sees OpenSSL types; a clear connection has none, and every fetch but the
//! booleans (`ssl_fc`, `ssl_c_used`…: false) then has no value, as in HAProxy.

use std::borrow::Cow;

use super::value::Smp;
use crate::model::expr::ArgValue;

/// A certificate as the fetches show it.
#[derive(Debug, Clone, Default)]
pub struct Cert {
    /// Distinguished names as (short name, value), in certificate order.
    pub subject: Vec<(String, Vec<u8>)>,
    pub issuer: Vec<(String, Vec<u8>)>,
    pub serial: Vec<u8>,
    pub sha1: Vec<u8>,
    pub der: Vec<u8>,
    /// X.509 version as HAProxy prints it (3 for v3).
    pub version: i64,
    pub sig_alg: String,
    pub key_alg: String,
    /// ASN.1 times as written in the certificate (`YYMMDDhhmmssZ` for UTCTime).
    pub not_before: String,
    pub not_after: String,
}

/// One side's TLS connection.
pub trait TlsConn {
    /// `TLSv1.3`, `TLSv1.2`…
    fn protocol(&self) -> &str;
    fn cipher(&self) -> Option<&str>;
    fn sni(&self) -> Option<&str>;
    fn alpn(&self) -> Option<&[u8]>;
    /// The cipher's secret bits used (`alg`: the algorithm's own key size).
    fn keysize(&self, alg: bool) -> Option<i64>;
    fn session_id(&self) -> Option<Vec<u8>>;
    fn resumed(&self) -> bool;
    /// The peer certificate's verification result (`X509_V_OK` = 0).
    fn verify_result(&self) -> i64;
    /// The peer's certificate (`peer`), or our own.
    fn cert(&self, peer: bool) -> Option<Cert>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    Used,
    Protocol,
    Cipher,
    Sni,
    HasSni,
    Alpn,
    UseKeysize,
    AlgKeysize,
    SessionId,
    Resumed,
    /// `ssl_c_used`, `ssl_fc_has_crt`: the peer sent a certificate.
    PeerCert,
    Verify,
    /// `ssl_c_err`, `ssl_c_ca_err`, `ssl_c_ca_err_depth`: no error kept (the handshake
    /// fails on one unless errors are ignored).
    NoErr,
    SDn,
    IDn,
    Serial,
    Sha1,
    Der,
    Version,
    SigAlg,
    KeyAlg,
    NotBefore,
    NotAfter,
}

/// A compiled TLS fetch: which connection (`back`: the server's), which certificate for
/// the certificate fetches (`peer`), and the DN arguments.
#[derive(Debug, Clone)]
pub struct TlsFetch {
    pub back: bool,
    pub peer: bool,
    pub what: What,
    /// `ssl_c_s_dn(<entry>[,<occ>[,<format>]])`.
    dn_entry: Option<String>,
    dn_occ: i64,
    rfc2253: bool,
}

impl TlsFetch {
    pub fn compile(name: &str, args: &[ArgValue]) -> Option<TlsFetch> {
        let (back, peer, rest) = if let Some(r) = name.strip_prefix("ssl_fc") {
            (false, false, r)
        } else if let Some(r) = name.strip_prefix("ssl_bc") {
            (true, false, r)
        } else if let Some(r) = name.strip_prefix("ssl_c_") {
            (false, true, r)
        } else if let Some(r) = name.strip_prefix("ssl_f_") {
            (false, false, r)
        } else if let Some(r) = name.strip_prefix("ssl_s_") {
            (true, true, r)
        } else {
            return None;
        };
        let conn = name.starts_with("ssl_fc") || name.starts_with("ssl_bc");
        let what = match (conn, rest.trim_start_matches('_')) {
            (true, "") => What::Used,
            (true, "protocol") => What::Protocol,
            (true, "cipher") => What::Cipher,
            (true, "sni") if !back => What::Sni,
            (true, "has_sni") if !back => What::HasSni,
            (true, "alpn") => What::Alpn,
            (true, "use_keysize") => What::UseKeysize,
            (true, "alg_keysize") => What::AlgKeysize,
            (true, "session_id") => What::SessionId,
            (true, "is_resumed") => What::Resumed,
            (true, "has_crt") if !back => What::PeerCert,
            (false, "used") => What::PeerCert,
            (false, "verify") => What::Verify,
            (false, "err" | "ca_err" | "ca_err_depth") => What::NoErr,
            (false, "s_dn") => What::SDn,
            (false, "i_dn") => What::IDn,
            (false, "serial") => What::Serial,
            (false, "sha1") => What::Sha1,
            (false, "der") => What::Der,
            (false, "version") => What::Version,
            (false, "sig_alg") => What::SigAlg,
            (false, "key_alg") => What::KeyAlg,
            (false, "notbefore") => What::NotBefore,
            (false, "notafter") => What::NotAfter,
            _ => return None,
        };
        let s = |i: usize| match args.get(i) {
            Some(ArgValue::Str(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        let occ = match args.get(1) {
            Some(ArgValue::Sint(n)) => *n,
            _ => 0,
        };
        Some(TlsFetch {
            back,
            peer: peer || what == What::PeerCert,
            what,
            dn_entry: s(0),
            dn_occ: occ,
            rfc2253: s(2).as_deref() == Some("rfc2253"),
        })
    }

    /// The value on connection `c` (`None`: a clear connection).
    pub fn eval<'a>(&self, c: Option<&'a dyn TlsConn>) -> Option<Smp<'a>> {
        let Some(c) = c else {
            return matches!(self.what, What::Used | What::PeerCert | What::HasSni)
                .then_some(Smp::Bool(false));
        };
        let owned = |v: Vec<u8>| Smp::Str(Cow::Owned(v));
        Some(match self.what {
            What::Used => Smp::Bool(true),
            What::Protocol => Smp::str(c.protocol().as_bytes()),
            What::Cipher => Smp::str(c.cipher()?.as_bytes()),
            What::Sni => Smp::str(c.sni()?.as_bytes()),
            What::HasSni => Smp::Bool(c.sni().is_some()),
            What::Alpn => Smp::str(c.alpn()?),
            What::UseKeysize => Smp::Sint(c.keysize(false)?),
            What::AlgKeysize => Smp::Sint(c.keysize(true)?),
            What::SessionId => Smp::Bin(Cow::Owned(c.session_id()?)),
            What::Resumed => Smp::Bool(c.resumed()),
            What::PeerCert => Smp::Bool(c.cert(true).is_some()),
            What::Verify => Smp::Sint(c.verify_result()),
            What::NoErr => Smp::Sint(0),
            _ => {
                let cert = c.cert(self.peer)?;
                match self.what {
                    What::SDn => owned(self.dn(&cert.subject)?),
                    What::IDn => owned(self.dn(&cert.issuer)?),
                    What::Serial => Smp::Bin(Cow::Owned(cert.serial)),
                    What::Sha1 => Smp::Bin(Cow::Owned(cert.sha1)),
                    What::Der => Smp::Bin(Cow::Owned(cert.der)),
                    What::Version => Smp::Sint(cert.version),
                    What::SigAlg => owned(cert.sig_alg.into_bytes()),
                    What::KeyAlg => owned(cert.key_alg.into_bytes()),
                    What::NotBefore => owned(cert.not_before.into_bytes()),
                    _ => owned(cert.not_after.into_bytes()),
                }
            }
        })
    }

    /// `ssl_sock_get_dn_oneline()` (`/C=FR/CN=x`), `ssl_sock_get_dn_formatted()` for
    /// `rfc2253` (`CN=x,C=FR`), or one entry's value (`occ` counts from the start, or
    /// from the end when negative; 0 is the last).
    fn dn(&self, dn: &[(String, Vec<u8>)]) -> Option<Vec<u8>> {
        if let Some(e) = &self.dn_entry {
            let hits: Vec<&Vec<u8>> = dn.iter().filter(|(k, _)| k == e).map(|(_, v)| v).collect();
            let n = hits.len() as i64;
            let i = match self.dn_occ {
                0 => n - 1,
                o if o > 0 => o - 1,
                o => n + o,
            };
            return (0..n).contains(&i).then(|| hits[i as usize].clone());
        }
        let mut out = Vec::new();
        if self.rfc2253 {
            for (i, (k, v)) in dn.iter().rev().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(k.as_bytes());
                out.push(b'=');
                out.extend_from_slice(v);
            }
        } else {
            for (k, v) in dn {
                out.push(b'/');
                out.extend_from_slice(k.as_bytes());
                out.push(b'=');
                out.extend_from_slice(v);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake(Cert);
    impl TlsConn for Fake {
        fn protocol(&self) -> &str {
            "TLSv1.3"
        }
        fn cipher(&self) -> Option<&str> {
            Some("TLS_AES_128_GCM_SHA256")
        }
        fn sni(&self) -> Option<&str> {
            None
        }
        fn alpn(&self) -> Option<&[u8]> {
            None
        }
        fn keysize(&self, _: bool) -> Option<i64> {
            Some(128)
        }
        fn session_id(&self) -> Option<Vec<u8>> {
            None
        }
        fn resumed(&self) -> bool {
            false
        }
        fn verify_result(&self) -> i64 {
            0
        }
        fn cert(&self, _: bool) -> Option<Cert> {
            Some(self.0.clone())
        }
    }

    fn run(name: &str, args: &[ArgValue], c: Option<&dyn TlsConn>) -> Option<Vec<u8>> {
        let f = TlsFetch::compile(name, args).unwrap();
        f.eval(c).map(|v| match v {
            Smp::Bool(b) => vec![b'0' + u8::from(b)],
            Smp::Sint(i) => i.to_string().into_bytes(),
            Smp::Str(s) | Smp::Bin(s) => s.into_owned(),
            _ => Vec::new(),
        })
    }

    #[test]
    fn dn_forms_and_clear_connections() {
        let cert = Cert {
            subject: vec![
                ("C".into(), b"FR".to_vec()),
                ("OU".into(), b"one".to_vec()),
                ("OU".into(), b"two".to_vec()),
                ("CN".into(), b"x".to_vec()),
            ],
            ..Cert::default()
        };
        let f = Fake(cert);
        let c: Option<&dyn TlsConn> = Some(&f);
        assert_eq!(
            run("ssl_c_s_dn", &[], c).unwrap(),
            b"/C=FR/OU=one/OU=two/CN=x"
        );
        let s = |v: &str| ArgValue::Str(v.into());
        let rfc = [s(""), ArgValue::Sint(0), s("rfc2253")];
        assert_eq!(
            run("ssl_c_s_dn", &rfc, c).unwrap(),
            b"CN=x,OU=two,OU=one,C=FR"
        );
        // An entry: the last by default, else counted from the start (or the end if < 0).
        assert_eq!(run("ssl_c_s_dn", &[s("OU")], c).unwrap(), b"two");
        assert_eq!(
            run("ssl_c_s_dn", &[s("OU"), ArgValue::Sint(1)], c).unwrap(),
            b"one"
        );
        assert_eq!(
            run("ssl_c_s_dn", &[s("OU"), ArgValue::Sint(-2)], c).unwrap(),
            b"one"
        );
        assert_eq!(run("ssl_c_s_dn", &[s("OU"), ArgValue::Sint(3)], c), None);
        assert_eq!(run("ssl_fc_protocol", &[], c).unwrap(), b"TLSv1.3");
        // On a clear connection, the booleans are false and the rest has no value.
        assert_eq!(run("ssl_fc", &[], None).unwrap(), b"0");
        assert_eq!(run("ssl_c_used", &[], None).unwrap(), b"0");
        assert_eq!(run("ssl_fc_protocol", &[], None), None);
        assert!(TlsFetch::compile("ssl_fc_npn", &[]).is_none());
    }
}
