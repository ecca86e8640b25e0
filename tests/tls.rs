//! TLS through the binary: `bind … ssl` (SNI, the default certificate, ALPN, client
//! certificates, version bounds, ciphers, `mode tcp`), `server … ssl` towards a TLS server
//! of the test (verification against a CA, a wrong CA giving 503), the `ssl_fc` rules,
//! bad and stalled handshakes, certificate load errors, and what clients see compared
//! with HAProxy 2.6 on the same configuration and certificates.
//!
//! Every key and certificate is made at run time with the `openssl` crate: nothing
//! private is committed.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use common::proc::{free_port, serial, Proxy, Ready, WAIT};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslAcceptor, SslConnector, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
use openssl::x509::{X509Name, X509};

// ---------------------------------------------------------------- certificates

struct Cert {
    cert: X509,
    key: PKey<Private>,
}

impl Cert {
    /// Certificate then key, the PEM layout `crt` takes.
    fn pem(&self) -> Vec<u8> {
        let mut v = self.cert.to_pem().unwrap();
        v.extend(self.key.private_key_to_pem_pkcs8().unwrap());
        v
    }
}

fn ec_key() -> PKey<Private> {
    let g = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&g).unwrap()).unwrap()
}

fn name(cn: &str) -> X509Name {
    let mut n = X509Name::builder().unwrap();
    n.append_entry_by_text("O", "haproxy-rs tests").unwrap();
    n.append_entry_by_text("CN", cn).unwrap();
    n.build()
}

/// A certificate for `cn` (and `sans`), signed by `ca` (self-signed without), valid
/// from `from` to `to` days around now.
fn make(cn: &str, sans: &[&str], ca: Option<&Cert>, days: (i64, i64)) -> Cert {
    make_with(ec_key(), cn, sans, ca, days)
}

/// [`make`] for a given key (an RSA one, for DHE suites).
fn make_with(
    key: PKey<Private>,
    cn: &str,
    sans: &[&str],
    ca: Option<&Cert>,
    days: (i64, i64),
) -> Cert {
    static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial =
        BigNum::from_u32(SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 0x1000)
            .unwrap()
            .to_asn1_integer()
            .unwrap();
    b.set_serial_number(&serial).unwrap();
    b.set_subject_name(&name(cn)).unwrap();
    b.set_issuer_name(ca.map_or(&name(cn), |c| c.cert.subject_name()))
        .unwrap();
    b.set_pubkey(&key).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    b.set_not_before(&Asn1Time::from_unix(now + days.0 * 86400).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + days.1 * 86400).unwrap())
        .unwrap();
    if ca.is_none() {
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
    }
    if !sans.is_empty() {
        let mut san = SubjectAlternativeName::new();
        for s in sans {
            san.dns(s);
        }
        let ext = san
            .build(&b.x509v3_context(ca.map(|c| &*c.cert), None))
            .unwrap();
        b.append_extension(ext).unwrap();
    }
    let signer = ca.map_or(&key, |c| &c.key);
    b.sign(signer, MessageDigest::sha256()).unwrap();
    Cert {
        cert: b.build(),
        key,
    }
}

/// The test PKI: a CA, three server certificates (one a wildcard), a backend certificate,
/// a client certificate, an expired client certificate, and a second, unrelated CA.
struct Pki {
    ca: Cert,
    other_ca: Cert,
    a: Cert,
    b: Cert,
    wild: Cert,
    backend: Cert,
    client: Cert,
    expired: Cert,
}

fn pki() -> &'static Pki {
    static P: std::sync::OnceLock<Pki> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let ca = make("Test CA", &[], None, (-1, 30));
        let other_ca = make("Other CA", &[], None, (-1, 30));
        Pki {
            a: make("a.test", &["a.test"], Some(&ca), (-1, 30)),
            b: make("b.test", &["b.test", "alt-b.test"], Some(&ca), (-1, 30)),
            wild: make("*.w.test", &["*.w.test"], Some(&ca), (-1, 30)),
            backend: make("backend.test", &["backend.test"], Some(&ca), (-1, 30)),
            client: make("client one", &[], Some(&ca), (-1, 30)),
            expired: make("client old", &[], Some(&ca), (-10, -1)),
            ca,
            other_ca,
        }
    })
}

/// The side files every configuration of this file may name.
fn with_files<'a>(b: common::proc::Builder<'a>, p: &Pki) -> common::proc::Builder<'a> {
    b.file("a.pem", p.a.pem())
        .file("b.pem", p.b.pem())
        .file("w.pem", p.wild.pem())
        .file("ca.pem", p.ca.cert.to_pem().unwrap())
        .file("other-ca.pem", p.other_ca.cert.to_pem().unwrap())
}

fn start(bin: &Path, cfg: &str, port: u16) -> Proxy {
    let p = pki();
    let b = Proxy::builder(bin, cfg).stderr();
    with_files(b, p).start(Ready::Port(port))
}

// ---------------------------------------------------------------- clients

/// What a TLS client saw of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    status: String,
    cn: String,
    alpn: Option<String>,
    version: String,
    cipher: String,
    body: String,
    /// The `x-cert` header, when the configuration sets one.
    cert_hdr: Option<String>,
}

struct Opts<'a> {
    sni: Option<&'a str>,
    alpn: Option<&'a [u8]>,
    max: Option<SslVersion>,
    min: Option<SslVersion>,
    client: Option<&'a Cert>,
    ciphers: Option<&'a str>,
}

const PLAIN: Opts<'static> = Opts {
    sni: None,
    alpn: None,
    max: None,
    min: None,
    client: None,
    ciphers: None,
};

fn cn_of(c: &openssl::x509::X509Ref) -> String {
    c.subject_name()
        .entries_by_nid(Nid::COMMONNAME)
        .next()
        .map(|e| e.data().to_string().unwrap_or_default())
        .unwrap_or_default()
}

/// `GET path` over TLS with `Connection: close`; `Err` when the handshake fails.
fn https(port: u16, o: &Opts, path: &str) -> Result<Seen, String> {
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_verify(SslVerifyMode::NONE);
    if let Some(a) = o.alpn {
        b.set_alpn_protos(a).unwrap();
    }
    b.set_max_proto_version(o.max).unwrap();
    b.set_min_proto_version(o.min).unwrap();
    if let Some(c) = o.ciphers {
        b.set_cipher_list(c).unwrap();
    }
    if let Some(c) = o.client {
        b.set_certificate(&c.cert).unwrap();
        b.set_private_key(&c.key).unwrap();
    }
    let conn = b.build();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let mut cfg = conn.configure().unwrap();
    cfg.set_verify_hostname(false);
    let cfg = cfg.use_server_name_indication(o.sni.is_some());
    let mut s = cfg
        .connect(o.sni.unwrap_or("none"), tcp)
        .map_err(|e| e.to_string())?;
    let ssl = s.ssl();
    let seen_cn = ssl
        .peer_certificate()
        .map(|c| cn_of(&c))
        .unwrap_or_default();
    let alpn = ssl
        .selected_alpn_protocol()
        .map(|a| String::from_utf8_lossy(a).into_owned());
    let version = ssl.version_str().to_string();
    let cipher = ssl
        .current_cipher()
        .map(|c| c.name().to_string())
        .unwrap_or_default();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        o.sni.unwrap_or("x")
    );
    // A TLS 1.3 server may reject the client certificate after the handshake returned.
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let r = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    if text.is_empty() {
        return Err(format!("no response ({r:?})"));
    }
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Ok(Seen {
        status: head.lines().next().unwrap_or("").to_string(),
        cn: seen_cn,
        alpn,
        version,
        cipher,
        cert_hdr: header(head, "x-cert").map(str::to_string),
        body: body.to_string(),
    })
}

/// A header of a plain-text response head.
fn header<'a>(resp: &'a str, name: &str) -> Option<&'a str> {
    resp.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A TLS server with `cert` answering every request with 200 and a body naming the SNI
/// it got; one thread per connection.
fn tls_server(cert: &Cert) -> u16 {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    b.set_certificate(&cert.cert).unwrap();
    b.set_private_key(&cert.key).unwrap();
    // Any client certificate is accepted and reported; ALPN takes the client's first.
    b.set_verify_callback(SslVerifyMode::PEER, |_, _| true);
    b.set_session_id_context(b"tls-test").unwrap();
    b.set_alpn_select_callback(|_, client| {
        let n = usize::from(*client.first().ok_or(openssl::ssl::AlpnError::NOACK)?);
        client.get(1..1 + n).ok_or(openssl::ssl::AlpnError::NOACK)
    });
    let acc = std::sync::Arc::new(b.build());
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(c) = c else { continue };
            let acc = acc.clone();
            std::thread::spawn(move || {
                let Ok(mut s) = acc.accept(c) else { return };
                let sni = s
                    .ssl()
                    .servername(openssl::ssl::NameType::HOST_NAME)
                    .unwrap_or("-")
                    .to_string();
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let alpn = s
                    .ssl()
                    .selected_alpn_protocol()
                    .map_or("-".into(), |a| String::from_utf8_lossy(a).into_owned());
                let client = s.ssl().peer_certificate().map_or("-".into(), |c| cn_of(&c));
                let body = if alpn == "-" && client == "-" {
                    format!("tls backend sni={sni}\n")
                } else {
                    format!("tls backend sni={sni} alpn={alpn} client={client}\n")
                };
                let resumed = u8::from(s.ssl().session_reused());
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Resumed: {resumed}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.shutdown();
            });
        }
    });
    port
}

/// A UDP socket receiving a proxy's logs.
fn log_sink() -> (UdpSocket, u16) {
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    u.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let port = u.local_addr().unwrap().port();
    (u, port)
}

/// Log lines received until one contains `want` (or `WAIT` passes).
fn wait_log(u: &UdpSocket, want: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let t0 = Instant::now();
    let mut buf = [0u8; 4096];
    while t0.elapsed() < WAIT {
        if let Ok(n) = u.recv(&mut buf) {
            let l = String::from_utf8_lossy(&buf[..n]).into_owned();
            let done = l.contains(want);
            lines.push(l);
            if done {
                break;
            }
        }
    }
    lines
}

// ---------------------------------------------------------------- configurations

/// SNI over three certificates (a `crt`, then a directory holding the others), ALPN,
/// `ssl_fc`-based rules, and a clear bind redirecting to https.
fn sni_cfg(port: u16, clear: u16) -> String {
    format!(
        "defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n\
         frontend f\n bind 127.0.0.1:{port} ssl crt @DIR@/a.pem crt @DIR@/certs alpn h3,http/1.1\n\
         bind 127.0.0.1:{clear}\n\
         http-request redirect scheme https code 301 if !{{ ssl_fc }}\n\
         http-request set-header X-Forwarded-Proto https if {{ ssl_fc }}\n\
         http-request return status 200 content-type text/plain lf-string \"xfp=%[req.hdr(x-forwarded-proto)] sni=%[ssl_fc_sni] proto=%[ssl_fc_protocol] alpn=%[ssl_fc_alpn] cert=%[ssl_f_s_dn(CN)] keysize=%[ssl_fc_use_keysize]\\n\" hdr x-cert \"%[ssl_f_serial,hex] %[ssl_f_sha1,hex] %[ssl_f_notbefore] %[ssl_f_notafter] %[ssl_f_sig_alg] %[ssl_f_key_alg] %[ssl_f_version] %[ssl_f_i_dn] %[ssl_fc_cipher] %[ssl_fc_alg_keysize] %[ssl_fc_is_resumed] %[ssl_fc_has_sni]\"\n"
    )
}

fn start_sni(bin: &Path, port: u16, clear: u16) -> Proxy {
    let p = pki();
    let b = Proxy::builder(bin, &sni_cfg(port, clear)).stderr();
    // A `crt` directory: its files load in name order, after the `crt` before it.
    with_files(b, p)
        .file("certs/1-b.pem", p.b.pem())
        .file("certs/2-w.pem", p.wild.pem())
        .start(Ready::Port(port))
}

// ---------------------------------------------------------------- tests

#[test]
fn sni_picks_the_certificate_and_ssl_fc_rules_apply() {
    let _g = serial();
    let (port, clear) = (free_port(), free_port());
    let _p = start_sni(&common::rs_bin(), port, clear);
    let get = |sni: Option<&str>| {
        https(
            port,
            &Opts {
                sni,
                alpn: Some(b"\x08http/1.1"),
                ..PLAIN
            },
            "/",
        )
        .unwrap()
    };
    // No SNI, or a name no certificate has: the first certificate.
    assert_eq!(get(None).cn, "a.test");
    assert_eq!(get(Some("nope.test")).cn, "a.test");
    // By CN/SAN, then by wildcard (one label only).
    assert_eq!(get(Some("b.test")).cn, "b.test");
    assert_eq!(get(Some("alt-b.test")).cn, "b.test");
    assert_eq!(get(Some("x.w.test")).cn, "*.w.test");
    assert_eq!(get(Some("y.x.w.test")).cn, "a.test");
    let s = get(Some("b.test"));
    assert_eq!(s.status, "HTTP/1.1 200 OK");
    assert_eq!(s.alpn.as_deref(), Some("http/1.1"));
    assert_eq!(
        s.body.trim(),
        format!(
            "xfp=https sni=b.test proto={} alpn=http/1.1 cert=b.test keysize=256",
            s.version
        )
    );
    assert!(s.version == "TLSv1.3", "{s:?}");
    // Without ALPN from the client, none is selected.
    let s = https(
        port,
        &Opts {
            sni: Some("a.test"),
            ..PLAIN
        },
        "/",
    )
    .unwrap();
    assert_eq!(s.alpn, None);
    assert!(s.body.contains("alpn= "), "{}", s.body);
    // A client resuming its session: ssl_fc_is_resumed (TLSv1.2 session and TLSv1.3 ticket).
    for max in [SslVersion::TLS1_2, SslVersion::TLS1_3] {
        let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
        b.set_verify(SslVerifyMode::NONE);
        b.set_max_proto_version(Some(max)).unwrap();
        b.set_session_cache_mode(openssl::ssl::SslSessionCacheMode::CLIENT);
        let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
        let s2 = slot.clone();
        b.set_new_session_callback(move |_, sess| *s2.lock().unwrap() = Some(sess));
        let conn = b.build();
        let mut seen = Vec::new();
        for _ in 0..2 {
            let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
            tcp.set_read_timeout(Some(WAIT)).unwrap();
            let mut cfg = conn.configure().unwrap();
            if let Some(sess) = slot.lock().unwrap().as_ref() {
                // SAFETY: the session comes from a connection of this same connector.
                unsafe { cfg.set_session(sess).unwrap() };
            }
            let mut s = cfg.connect("a.test", tcp).unwrap();
            s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            // `x-cert` ends with ssl_fc_is_resumed and ssl_fc_has_sni.
            let x = header(&out, "x-cert").unwrap_or("").to_string();
            let resumed = x.split(' ').rev().nth(1) == Some("1");
            seen.push((s.ssl().session_reused(), resumed));
            // Without its own close_notify, OpenSSL would not resume the session.
            let _ = s.shutdown();
        }
        assert_eq!(seen, [(false, false), (true, true)], "{max:?}");
    }
    // The clear bind of the same frontend redirects.
    let r = common::proc::http_get(clear, "/x");
    assert!(r.starts_with("HTTP/1.1 301"), "{r}");
    assert_eq!(header(&r, "location"), Some("https://x/x"));
}

#[test]
fn client_certificates_required_and_optional() {
    let _g = serial();
    let p = pki();
    let (req, opt) = (free_port(), free_port());
    let cfg = format!(
        "defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n\
         frontend f\n bind 127.0.0.1:{req} ssl crt @DIR@/a.pem ca-file @DIR@/ca.pem verify required\n\
         bind 127.0.0.1:{opt} ssl crt @DIR@/a.pem ca-file @DIR@/ca.pem verify optional\n\
         tcp-request session reject if !{{ ssl_fc }}\n\
         http-request return status 200 content-type text/plain lf-string \"used=%[ssl_c_used] verify=%[ssl_c_verify] cn=%[ssl_c_s_dn(CN)] issuer=%[ssl_c_i_dn(CN)] dn=%[ssl_c_s_dn] v=%[ssl_c_version] has=%[ssl_fc_has_crt]\\n\"\n"
    );
    let _px =
        with_files(Proxy::builder(&common::rs_bin(), &cfg).stderr(), p).start(Ready::Port(req));
    let with = |port: u16, c: Option<&Cert>| https(port, &Opts { client: c, ..PLAIN }, "/");
    assert!(with(req, None).is_err(), "no client certificate must fail");
    assert!(with(req, Some(&p.expired)).is_err(), "an expired one too");
    let s = with(req, Some(&p.client)).unwrap();
    assert_eq!(
        s.body.trim(),
        "used=1 verify=0 cn=client one issuer=Test CA dn=/O=haproxy-rs tests/CN=client one v=3 has=1"
    );
    let s = with(opt, None).unwrap();
    assert_eq!(s.body.trim(), "used=0 verify=0 cn= issuer= dn= v= has=0");
    assert!(with(opt, Some(&p.client))
        .unwrap()
        .body
        .starts_with("used=1"));
    // A certificate from another CA is refused even when optional.
    let stranger = make("stranger", &[], Some(&p.other_ca), (-1, 3));
    assert!(with(opt, Some(&stranger)).is_err());
}

/// `openssl ca` revokes `revoked` and writes the CA's CRL (the `openssl` crate cannot make
/// CRLs); returns its PEM.
fn crl_revoking(ca: &Cert, revoked: &Cert) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("haproxy-rs-tls-crl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = |n: &str| dir.join(n).display().to_string();
    std::fs::write(f("ca.key"), ca.key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    std::fs::write(f("ca.crt"), ca.cert.to_pem().unwrap()).unwrap();
    std::fs::write(f("revoked.crt"), revoked.cert.to_pem().unwrap()).unwrap();
    std::fs::write(f("index.txt"), "").unwrap();
    std::fs::write(f("crlnumber"), "01\n").unwrap();
    let cnf = format!(
        "[ca]\ndefault_ca = c\n[c]\ndatabase = {}\ncrlnumber = {}\ndefault_md = sha256\ndefault_crl_days = 2\n",
        f("index.txt"),
        f("crlnumber")
    );
    std::fs::write(f("ca.cnf"), cnf).unwrap();
    let ca_args = [
        "-config",
        &f("ca.cnf"),
        "-keyfile",
        &f("ca.key"),
        "-cert",
        &f("ca.crt"),
    ];
    let run = |extra: &[&str]| {
        let out = std::process::Command::new("openssl")
            .arg("ca")
            .args(ca_args)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["-revoke", &f("revoked.crt")]);
    run(&["-gencrl", "-out", &f("crl.pem")]);
    let crl = std::fs::read(f("crl.pem")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    crl
}

#[test]
fn crl_file_refuses_a_revoked_client() {
    let _g = serial();
    let p = pki();
    let revoked = make("client revoked", &[], Some(&p.ca), (-1, 30));
    let port = free_port();
    let cfg = format!(
        "defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n\
         frontend f\n bind 127.0.0.1:{port} ssl crt @DIR@/a.pem ca-file @DIR@/ca.pem crl-file @DIR@/crl.pem verify required\n\
         http-request return status 200 content-type text/plain lf-string \"%[ssl_c_s_dn(CN)]\\n\"\n"
    );
    let _px = with_files(Proxy::builder(&common::rs_bin(), &cfg).stderr(), p)
        .file("crl.pem", crl_revoking(&p.ca, &revoked))
        .start(Ready::Port(port));
    let with = |c: &Cert| {
        https(
            port,
            &Opts {
                client: Some(c),
                ..PLAIN
            },
            "/",
        )
    };
    assert_eq!(with(&p.client).unwrap().body, "client one\n");
    assert!(with(&revoked).is_err(), "a revoked certificate must fail");
}

#[test]
fn versions_and_ciphers_are_enforced() {
    let _g = serial();
    let (v13, v12, ciph) = (free_port(), free_port(), free_port());
    let cfg = format!(
        "defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n\
         frontend f\n bind 127.0.0.1:{v13} ssl crt @DIR@/a.pem ssl-min-ver TLSv1.3\n\
         bind 127.0.0.1:{v12} ssl crt @DIR@/a.pem ssl-max-ver TLSv1.2\n\
         bind 127.0.0.1:{ciph} ssl crt @DIR@/a.pem force-tlsv12 ciphers ECDHE-ECDSA-CHACHA20-POLY1305\n\
         http-request return status 200 content-type text/plain lf-string \"%[ssl_fc_protocol] %[ssl_fc_cipher]\\n\"\n"
    );
    let _px = start(&common::rs_bin(), &cfg, v13);
    let max12 = Opts {
        max: Some(SslVersion::TLS1_2),
        ..PLAIN
    };
    assert!(https(v13, &max12, "/").is_err());
    assert_eq!(https(v13, &PLAIN, "/").unwrap().version, "TLSv1.3");
    let s = https(v12, &PLAIN, "/").unwrap();
    assert_eq!(s.version, "TLSv1.2");
    assert!(s.body.starts_with("TLSv1.2 ECDHE-ECDSA-"), "{}", s.body);
    let min13 = Opts {
        min: Some(SslVersion::TLS1_3),
        ..PLAIN
    };
    assert!(https(v12, &min13, "/").is_err());
    // The default lowest version is TLSv1.2, as in HAProxy 2.6.
    let old = Opts {
        max: Some(SslVersion::TLS1_1),
        ciphers: Some("DEFAULT:@SECLEVEL=0"),
        ..PLAIN
    };
    assert!(https(v12, &old, "/").is_err());
    let s = https(ciph, &PLAIN, "/").unwrap();
    assert_eq!(s.cipher, "ECDHE-ECDSA-CHACHA20-POLY1305");
    assert_eq!(s.body.trim(), "TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305");
    let aes = Opts {
        ciphers: Some("ECDHE-ECDSA-AES128-GCM-SHA256"),
        ..PLAIN
    };
    assert!(https(ciph, &aes, "/").is_err());
}

#[test]
fn bind_options_and_global_defaults() {
    let _g = serial();
    let p = pki();
    let (dflt, strict, no13, groups) = (free_port(), free_port(), free_port(), free_port());
    let v12 = free_port();
    let cfg = format!(
        "global\n crt-base @DIR@\n ca-base @DIR@\n\
         ssl-default-bind-options ssl-min-ver TLSv1.3\n\
         ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256\n\
         ssl-default-bind-curves X25519\n\
         ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256\n\
         defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n\
         frontend f\n bind 127.0.0.1:{dflt} ssl crt a.pem\n\
         bind 127.0.0.1:{strict} ssl crt a.pem crt b.pem strict-sni no-tls-tickets ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2\n\
         bind 127.0.0.1:{no13} ssl crt a.pem ssl-min-ver TLSv1.2 no-tlsv13 ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384 prefer-client-ciphers\n\
         bind 127.0.0.1:{groups} ssl crt a.pem curves P-384 ca-file ca.pem verify optional no-ca-names\n\
         bind 127.0.0.1:{v12} ssl crt a.pem ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2 ecdhe prime256v1\n\
         http-request return status 200 content-type text/plain lf-string \"%[ssl_fc_protocol] %[ssl_fc_cipher]\\n\"\n"
    );
    let _px =
        with_files(Proxy::builder(&common::rs_bin(), &cfg).stderr(), p).start(Ready::Port(dflt));
    let get = |port, o: &Opts| https(port, o, "/");
    // The global defaults: TLSv1.3 only, its one suite, X25519.
    let s = get(dflt, &PLAIN).unwrap();
    assert_eq!(s.body.trim(), "TLSv1.3 TLS_AES_128_GCM_SHA256");
    assert!(get(
        dflt,
        &Opts {
            max: Some(SslVersion::TLS1_2),
            ..PLAIN
        }
    )
    .is_err());
    // strict-sni: a name is needed and must be known.
    assert!(get(strict, &PLAIN).is_err());
    assert!(get(
        strict,
        &Opts {
            sni: Some("zz.test"),
            ..PLAIN
        }
    )
    .is_err());
    assert_eq!(
        get(
            strict,
            &Opts {
                sni: Some("b.test"),
                ..PLAIN
            }
        )
        .unwrap()
        .cn,
        "b.test"
    );
    // no-tlsv13 over the global minimum of its own line; the client's cipher order wins.
    let s = get(
        no13,
        &Opts {
            ciphers: Some("ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256"),
            ..PLAIN
        },
    )
    .unwrap();
    assert_eq!(s.body.trim(), "TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384");
    // ssl-default-bind-ciphers for TLSv1.2; ecdhe names the one group.
    let s = get(v12, &PLAIN).unwrap();
    assert_eq!(s.body.trim(), "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256");
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_verify(SslVerifyMode::NONE);
    b.set_groups_list("X25519").unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", v12)).unwrap();
    assert!(b.build().connect("a.test", tcp).is_err());
    // curves: a client offering only X25519 and P-256 finds no common group.
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_verify(SslVerifyMode::NONE);
    b.set_groups_list("X25519:P-256").unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", groups)).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    assert!(b.build().connect("a.test", tcp).is_err());
    // no-tls-tickets: no ticket in TLSv1.2 (s_client prints its lifetime hint otherwise).
    let s_client = |port: u16, extra: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
            .args(extra)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let hint = "TLS session ticket lifetime hint";
    assert!(s_client(v12, &["-tls1_2"]).contains(hint));
    let t = s_client(strict, &["-tls1_2", "-servername", "b.test"]);
    assert!(t.contains("CN = b.test") && !t.contains(hint), "{t}");
    // no-ca-names: the certificate request names no CA (`openssl s_client` tells).
    let out = std::process::Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{groups}"),
            "-groups",
            "P-384",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("No client certificate CA names sent"),
        "{text}"
    );
}

/// `server … ssl`: the proxy verifies the server against the CA and names it by SNI.
fn backend_cfg(port: u16, bad: u16, be: u16) -> String {
    format!(
        "defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n retries 0\n\
         listen good\n bind 127.0.0.1:{port}\n\
         http-response set-header X-Bc %[ssl_bc]/%[ssl_bc_protocol]\n\
         server s 127.0.0.1:{be} ssl verify required ca-file @DIR@/ca.pem sni req.hdr(host)\n\
         listen bad\n bind 127.0.0.1:{bad}\n\
         server s 127.0.0.1:{be} ssl verify required ca-file @DIR@/other-ca.pem sni str(backend.test)\n"
    )
}

fn get_host(port: u16, host: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn tls_to_an_https_backend() {
    let _g = serial();
    let p = pki();
    let be = tls_server(&p.backend);
    let (port, bad) = (free_port(), free_port());
    let (opts, host_ok, host_bad, noverify) = (free_port(), free_port(), free_port(), free_port());
    let noreuse = free_port();
    let (crl_ok, crl_bad) = (free_port(), free_port());
    let cfg = format!(
        "global\n ca-base @DIR@\n crt-base @DIR@\n ssl-server-verify none\n\
         ssl-default-server-options ssl-max-ver TLSv1.2\n\
         ssl-default-server-ciphers ECDHE-ECDSA-AES128-GCM-SHA256\n\
         {}\
         listen opts\n bind 127.0.0.1:{opts}\n\
         server s 127.0.0.1:{be} ssl verify required ca-file ca.pem sni str(backend.test) alpn h2,http/1.1 crt client.pem no-tls-tickets ciphers ECDHE-ECDSA-AES256-GCM-SHA384\n\
         http-response set-header X-Bc %[ssl_bc_protocol]/%[ssl_bc_cipher]/%[ssl_bc_alpn]\n\
         listen vh_ok\n bind 127.0.0.1:{host_ok}\n\
         server s 127.0.0.1:{be} ssl verify required ca-file ca.pem sni str(elsewhere.test) verifyhost backend.test ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3\n\
         listen vh_bad\n bind 127.0.0.1:{host_bad}\n\
         server s 127.0.0.1:{be} ssl verify required ca-file ca.pem verifyhost nothere.test\n\
         listen crl_ok\n bind 127.0.0.1:{crl_ok}\n\
         http-response set-header X-Bc %[ssl_bc_cipher]\n\
         server s 127.0.0.1:{be} ssl verify required ca-file ca.pem crl-file crl-other.pem ssl-max-ver TLSv1.3 ciphersuites TLS_CHACHA20_POLY1305_SHA256\n\
         listen crl_bad\n bind 127.0.0.1:{crl_bad}\n\
         server s 127.0.0.1:{be} ssl verify required ca-file ca.pem crl-file crl.pem\n\
         listen noreuse\n bind 127.0.0.1:{noreuse}\n\
         server s 127.0.0.1:{be} ssl no-ssl-reuse\n\
         listen noverify\n bind 127.0.0.1:{noverify}\n\
         http-response set-header X-Bc %[ssl_bc_cipher]\n\
         server s 127.0.0.1:{be} ssl\n",
        backend_cfg(port, bad, be)
    );
    let _px = Proxy::builder(&common::rs_bin(), &cfg)
        .file("ca.pem", p.ca.cert.to_pem().unwrap())
        .file("other-ca.pem", p.other_ca.cert.to_pem().unwrap())
        .file("client.pem", p.client.pem())
        .file("crl.pem", crl_revoking(&p.ca, &p.backend))
        .file("crl-other.pem", crl_revoking(&p.ca, &p.client))
        .start(Ready::Port(port));
    // crl-file: the server's certificate revoked, or another one; ciphersuites (TLSv1.3).
    let r = get_host(crl_ok, "x");
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert_eq!(header(&r, "x-bc"), Some("TLS_CHACHA20_POLY1305_SHA256"));
    assert!(get_host(crl_bad, "x").starts_with("HTTP/1.1 503"));
    // ALPN (h2 dropped: no HTTP/2 yet), a client certificate, the default server options
    // (at most TLSv1.2), a cipher.
    let r = get_host(opts, "x");
    assert!(
        r.ends_with("tls backend sni=backend.test alpn=http/1.1 client=client one\n"),
        "{r}"
    );
    assert_eq!(
        header(&r, "x-bc"),
        Some("TLSv1.2/ECDHE-ECDSA-AES256-GCM-SHA384/http/1.1")
    );
    // `verifyhost` is the name checked, whatever the SNI.
    let r = get_host(host_ok, "x");
    assert!(r.ends_with("tls backend sni=elsewhere.test\n"), "{r}");
    assert!(get_host(host_bad, "x").starts_with("HTTP/1.1 503"));
    // `ssl-server-verify none`: no verification unless a server asks for it.
    let r = get_host(noverify, "x");
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert_eq!(header(&r, "x-bc"), Some("ECDHE-ECDSA-AES128-GCM-SHA256"));
    // The server's TLS session is resumed by the next connection, unless `no-ssl-reuse`.
    assert_eq!(header(&get_host(noverify, "x"), "x-resumed"), Some("1"));
    for _ in 0..2 {
        assert_eq!(header(&get_host(noreuse, "x"), "x-resumed"), Some("0"));
    }
    let r = get_host(port, "backend.test");
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    assert!(r.ends_with("tls backend sni=backend.test\n"), "{r}");
    assert_eq!(header(&r, "x-bc"), Some("1/TLSv1.2"));
    // The SNI is the verified name: another host does not match the certificate.
    let r = get_host(port, "other.test");
    assert!(r.starts_with("HTTP/1.1 503"), "{r}");
    let r = get_host(bad, "backend.test");
    assert!(r.starts_with("HTTP/1.1 503"), "{r}");
}

#[test]
fn tcp_mode_terminates_tls() {
    let _g = serial();
    // An echo server behind a `mode tcp` TLS frontend.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let echo = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut c = c;
                let mut buf = [0u8; 1024];
                while let Ok(n) = c.read(&mut buf) {
                    if n == 0 || c.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let port = free_port();
    let cfg = format!(
        "defaults\n mode tcp\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n\
         listen t\n bind 127.0.0.1:{port} ssl crt @DIR@/a.pem\n\
         tcp-request content reject if !{{ ssl_fc }}\n server e 127.0.0.1:{echo}\n"
    );
    let _px = start(&common::rs_bin(), &cfg, port);
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_verify(SslVerifyMode::NONE);
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let mut s = b.build().connect("a.test", tcp).unwrap();
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    s.write_all(&big).unwrap();
    let mut got = vec![0u8; big.len()];
    s.read_exact(&mut got).unwrap();
    assert!(got == big, "echoed bytes differ");
}

/// A client stream whose first write also carries `pre` (a PROXY header), so the proxy
/// reads the header and the ClientHello together.
#[derive(Debug)]
struct Prefixed {
    tcp: TcpStream,
    pre: Option<Vec<u8>>,
}

impl Read for Prefixed {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        self.tcp.read(b)
    }
}

impl Write for Prefixed {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        match self.pre.take() {
            Some(mut p) => {
                p.extend_from_slice(b);
                self.tcp.write_all(&p)?;
                Ok(b.len())
            }
            None => self.tcp.write(b),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}

#[test]
fn accept_proxy_then_tls() {
    let _g = serial();
    let port = free_port();
    let cfg = format!(
        "defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n\
         frontend f\n bind 127.0.0.1:{port} accept-proxy ssl crt @DIR@/a.pem\n\
         http-request return status 200 content-type text/plain lf-string \"%[src] %[ssl_fc_sni]\\n\"\n"
    );
    let _px = start(&common::rs_bin(), &cfg, port);
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_verify(SslVerifyMode::NONE);
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let pre = b"PROXY TCP4 192.0.2.7 127.0.0.1 5555 443\r\n".to_vec();
    let io = Prefixed {
        tcp,
        pre: Some(pre),
    };
    let mut s = b.build().connect("a.test", io).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.ends_with("\r\n\r\n192.0.2.7 a.test\n"), "{out}");
}

#[test]
fn bad_and_stalled_handshakes() {
    let _g = serial();
    let (port, (logs, lport)) = (free_port(), log_sink());
    let cfg = format!(
        "global\n log 127.0.0.1:{lport} local0\n\
         defaults\n mode http\n log global\n option httplog\n timeout client 1s\n timeout server 5s\n timeout connect 5s\n\
         frontend fe\n bind 127.0.0.1:{port} ssl crt @DIR@/a.pem\n\
         http-request return status 200 content-type text/plain string ok\n"
    );
    let _px = start(&common::rs_bin(), &cfg, port);
    // The readiness probe of the harness shows up as a timeout: wait it out.
    wait_log(&logs, "Timeout during SSL handshake");
    // Garbage instead of a ClientHello: logged, and closed with a FIN (read gives 0).
    let mut g = TcpStream::connect(("127.0.0.1", port)).unwrap();
    g.set_read_timeout(Some(WAIT)).unwrap();
    g.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(g.read(&mut buf).unwrap(), 0);
    let lines = wait_log(&logs, "SSL handshake failure");
    let l = lines.last().unwrap();
    assert!(l.contains("] fe/1: SSL handshake failure"), "{lines:?}");
    // A client leaving before a byte, or within its hello (HAProxy's CO_ER_SSL_EMPTY).
    drop(TcpStream::connect(("127.0.0.1", port)).unwrap());
    let lines = wait_log(&logs, "Connection closed during SSL handshake");
    assert!(
        lines
            .last()
            .unwrap()
            .contains("fe/1: Connection closed during SSL handshake"),
        "{lines:?}"
    );
    let mut half = TcpStream::connect(("127.0.0.1", port)).unwrap();
    half.write_all(&[0x16, 0x03, 0x01]).unwrap();
    drop(half);
    let lines = wait_log(&logs, "Connection closed during SSL handshake");
    assert!(!lines.is_empty() && lines.last().unwrap().contains("fe/1: Connection closed"));
    // A client stuck in the middle of its handshake does not hold the others up...
    let mut stuck = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stuck.write_all(&[0x16, 0x03, 0x01, 0x00]).unwrap();
    let t0 = Instant::now();
    let s = https(port, &PLAIN, "/").unwrap();
    assert_eq!(s.body, "ok");
    assert!(t0.elapsed() < Duration::from_millis(800));
    // ...and is closed at `timeout client`.
    stuck.set_read_timeout(Some(WAIT)).unwrap();
    assert_eq!(stuck.read(&mut buf).unwrap_or(0), 0);
    let e = t0.elapsed();
    assert!(
        e >= Duration::from_millis(700) && e < Duration::from_secs(3),
        "{e:?}"
    );
    let lines = wait_log(&logs, "Timeout during SSL handshake");
    assert!(
        lines
            .last()
            .unwrap()
            .contains("fe/1: Timeout during SSL handshake"),
        "{lines:?}"
    );
    // The successful one is an httplog line whose frontend carries `~`.
    assert!(
        lines.iter().any(|l| l.contains(" fe~ fe/<NOSRV> ")),
        "{lines:?}"
    );
}

#[test]
fn certificate_load_errors_match_haproxy() {
    let _g = serial();
    let p = pki();
    let dir = std::env::temp_dir().join(format!("haproxy-rs-tls-c-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |n: &str, b: &[u8]| std::fs::write(dir.join(n), b).unwrap();
    write("garbage.pem", b"-----BEGIN CERTIFICATE-----\nZZZZ\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    let mut mismatch = p.a.cert.to_pem().unwrap();
    mismatch.extend(p.b.key.private_key_to_pem_pkcs8().unwrap());
    write("mismatch.pem", &mismatch);
    write("nokey.pem", &p.a.cert.to_pem().unwrap());
    for f in ["garbage.pem", "mismatch.pem", "nokey.pem", "missing.pem"] {
        let cfg = format!(
            "defaults\n mode http\n timeout client 1s\n timeout server 1s\n timeout connect 1s\nfrontend f\n bind 127.0.0.1:{} ssl crt {}\n",
            free_port(),
            dir.join(f).display()
        );
        write("t.cfg", cfg.as_bytes());
        let rs = common::check(&common::rs_bin(), &dir, "t.cfg");
        let or = common::check(&common::oracle(), &dir, "t.cfg");
        assert!(or.first_alert.is_some(), "{f}: haproxy accepted it");
        assert_eq!(rs.first_alert, or.first_alert, "{f}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What clients see through each binary on the same configuration and certificates:
/// status, the certificate's CN, the negotiated ALPN and protocol, per client.
#[test]
fn clients_see_what_haproxy_shows() {
    let _g = serial();
    let p = pki();
    let be = tls_server(&p.backend);
    let cases: Vec<(&str, Opts)> = vec![
        ("no sni", PLAIN),
        (
            "sni b",
            Opts {
                sni: Some("b.test"),
                ..PLAIN
            },
        ),
        (
            "sni alt",
            Opts {
                sni: Some("alt-b.test"),
                ..PLAIN
            },
        ),
        (
            "wildcard",
            Opts {
                sni: Some("q.w.test"),
                ..PLAIN
            },
        ),
        (
            "unknown",
            Opts {
                sni: Some("zz.test"),
                ..PLAIN
            },
        ),
        (
            "alpn",
            Opts {
                sni: Some("a.test"),
                alpn: Some(b"\x02h3\x08http/1.1"),
                ..PLAIN
            },
        ),
        (
            "alpn none",
            Opts {
                alpn: Some(b"\x06spdy/1"),
                ..PLAIN
            },
        ),
        (
            "tls12",
            Opts {
                max: Some(SslVersion::TLS1_2),
                ..PLAIN
            },
        ),
        (
            "tls11",
            Opts {
                max: Some(SslVersion::TLS1_1),
                ciphers: Some("DEFAULT:@SECLEVEL=0"),
                ..PLAIN
            },
        ),
    ];
    let run = |bin: &Path| -> Vec<String> {
        let (port, clear) = (free_port(), free_port());
        let px = start_sni(bin, port, clear);
        let mut out: Vec<String> = cases
            .iter()
            .map(|(name, o)| match https(port, o, "/") {
                // The body carries sni/proto/alpn/cert as the proxy's own fetches saw them.
                Ok(s) => format!(
                    "{name}: {} cn={} alpn={:?} {} | {} | {:?}",
                    s.status,
                    s.cn,
                    s.alpn,
                    s.version,
                    s.body.trim(),
                    s.cert_hdr
                ),
                Err(_) => format!("{name}: handshake failed"),
            })
            .collect();
        let r = common::proc::http_get(clear, "/x");
        out.push(format!(
            "clear: {} {:?}",
            r.lines().next().unwrap_or(""),
            header(&r, "location")
        ));
        drop(px);
        let (port, bad) = (free_port(), free_port());
        let _px = start(bin, &backend_cfg(port, bad, be), port);
        for (host, port) in [
            ("backend.test", port),
            ("other.test", port),
            ("backend.test", bad),
        ] {
            let r = get_host(port, host);
            out.push(format!(
                "backend {host}: {} x-bc={:?} | {}",
                r.lines().next().unwrap_or(""),
                header(&r, "x-bc"),
                r.split_once("\r\n\r\n")
                    .map_or("", |x| x.1)
                    .lines()
                    .next()
                    .unwrap_or("")
            ));
        }
        out
    };
    let ours = run(&common::rs_bin());
    let theirs = run(&common::oracle());
    for (a, b) in ours.iter().zip(&theirs) {
        if a != b {
            eprintln!("ours:   {a}\ntheirs: {b}");
        }
    }
    assert_eq!(ours, theirs);
}

/// `tune.ssl.default-dh-param 2048` makes DHE suites available with an RSA certificate
/// (ffdhe2048, as HAProxy 2.6 on OpenSSL 3 picks); without it a client offering only DHE
/// suites fails its handshake, on both proxies alike.
#[test]
fn default_dh_param_enables_dhe_suites() {
    let _g = serial();
    let rsa = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
    let cert = make_with(rsa, "rsa.test", &["rsa.test"], Some(&pki().ca), (-1, 30));
    let dhe = Opts {
        max: Some(SslVersion::TLS1_2),
        ciphers: Some("DHE-RSA-AES128-GCM-SHA256"),
        ..PLAIN
    };
    for bin in [common::oracle(), common::rs_bin()] {
        for param in ["", " tune.ssl.default-dh-param 2048\n"] {
            let port = free_port();
            let cfg = format!(
                "global\n{param}defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n\
                 frontend f\n bind 127.0.0.1:{port} ssl crt @DIR@/rsa.pem\n\
                 http-request return status 200 content-type text/plain lf-string \"%[ssl_fc_cipher]\"\n"
            );
            let _px = Proxy::builder(&bin, &cfg)
                .file("rsa.pem", cert.pem())
                .start(Ready::Port(port));
            let got = https(port, &dhe, "/");
            if param.is_empty() {
                assert!(got.is_err(), "{}: DHE without DH parameters", bin.display());
            } else {
                let s = got.unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
                assert_eq!(
                    s.body.trim(),
                    "DHE-RSA-AES128-GCM-SHA256",
                    "{}",
                    bin.display()
                );
            }
        }
    }
}

/// Health checks over TLS: a server with `ssl` is checked over TLS (its own context; with
/// `option httpchk` a plain check would fail), `check-ssl` with a `port` does the same,
/// a check that cannot verify the server fails at layer 6; `show stat` reports what
/// haproxy reports (status, check status and code).
#[test]
fn health_checks_over_tls() {
    let _g = serial();
    let https = tls_server(&pki().backend);
    let mut runs = Vec::new();
    for bin in [common::oracle(), common::rs_bin()] {
        let fe = free_port();
        let cfg = format!(
            "global\n stats socket @DIR@/s.sock level admin\n\
             defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 2s\n timeout check 2s\n\
             frontend f\n bind 127.0.0.1:{fe}\n default_backend be\n\
             backend be\n option httpchk GET /\n\
             server inh 127.0.0.1:{https} ssl verify required ca-file @DIR@/ca.pem sni str(backend.test) check inter 100ms\n\
             server port 127.0.0.1:1 check-ssl verify none check port {https} inter 100ms\n\
             server bad 127.0.0.1:{https} ssl verify required ca-file @DIR@/other-ca.pem check inter 100ms fall 1\n"
        );
        let p = Proxy::builder(&bin, &cfg)
            .file("ca.pem", pki().ca.cert.to_pem().unwrap())
            .file("other-ca.pem", pki().other_ca.cert.to_pem().unwrap())
            .start(Ready::Unix("s.sock"));
        let t0 = std::time::Instant::now();
        let rows = loop {
            let rows: Vec<String> = p
                .cli("s.sock", "show stat\n")
                .lines()
                .filter(|l| l.starts_with("be,") && !l.starts_with("be,BACKEND"))
                .map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    // svname, status, check_status (a check in progress is marked
                    // with `* `, its code then still the previous one's: left out)
                    format!("{} {} {}", f[1], f[17], f[36].trim_start_matches("* "))
                })
                .collect();
            let settled = rows.iter().filter(|r| r.contains("L7OK")).count() == 2
                && rows.iter().any(|r| r.contains("L6RSP"));
            if settled || t0.elapsed() > std::time::Duration::from_secs(10) {
                break rows;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        runs.push(rows);
    }
    assert_eq!(
        runs[0],
        ["inh UP L7OK", "port UP L7OK", "bad DOWN L6RSP"],
        "haproxy"
    );
    assert_eq!(runs[0], runs[1]);
}

/// `ssl-default-server-ciphersuites` and `ssl-default-server-ciphers` choose what the
/// connection to an HTTPS server negotiates (TLS 1.3 suite, TLS 1.2 cipher), as with
/// haproxy: `ssl_bc_cipher` names it.
#[test]
fn server_cipher_defaults_apply() {
    let _g = serial();
    let be = tls_server(&pki().backend);
    for bin in [common::oracle(), common::rs_bin()] {
        let (p13, p12) = (free_port(), free_port());
        let cfg = format!(
            "global\n ssl-default-server-ciphersuites TLS_CHACHA20_POLY1305_SHA256\n ssl-default-server-ciphers ECDHE-ECDSA-AES256-GCM-SHA384\n\
             defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 5s\n\
             listen l13\n bind 127.0.0.1:{p13}\n http-response set-header X-Bc %[ssl_bc_cipher]\n\
             server s 127.0.0.1:{be} ssl verify none\n\
             listen l12\n bind 127.0.0.1:{p12}\n http-response set-header X-Bc %[ssl_bc_cipher]\n\
             server s 127.0.0.1:{be} ssl verify none ssl-max-ver TLSv1.2\n"
        );
        let _px = start(&bin, &cfg, p13);
        let r13 = get_host(p13, "x");
        let r12 = get_host(p12, "x");
        assert_eq!(
            header(&r13, "x-bc"),
            Some("TLS_CHACHA20_POLY1305_SHA256"),
            "{}: {r13}",
            bin.display()
        );
        assert_eq!(
            header(&r12, "x-bc"),
            Some("ECDHE-ECDSA-AES256-GCM-SHA384"),
            "{}: {r12}",
            bin.display()
        );
    }
}
