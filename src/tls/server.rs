//! The client side of `server … ssl`: verification against `ca-file` (`verify required`,
//! the default under `ssl-server-verify required`), the name checked being `verifyhost`
//! or else the SNI sent, `alpn`, a client certificate (`crt`), version bounds and ciphers.

use std::sync::{Arc, Mutex};

use openssl::ssl::{
    NameType, Ssl, SslContext, SslContextBuilder, SslMethod, SslMode, SslSession,
    SslSessionCacheMode, SslVerifyMode,
};

use super::{pem, versions};
use crate::model::global::SslDefaults;
use crate::model::server::ServerSsl;

/// The last TLS session the server gave, with the SNI it was made for (HAProxy keeps one
/// per server and thread for resumption, unless `no-ssl-reuse`).
type SessionSlot = Arc<Mutex<Option<(Option<String>, SslSession)>>>;

pub struct ServerTls {
    ctx: SslContext,
    verify: bool,
    verifyhost: Option<String>,
    session: Option<SessionSlot>,
}

impl ServerTls {
    pub fn build(t: &ServerSsl, crt: Option<&str>, d: &SslDefaults) -> Result<ServerTls, String> {
        let mut b = SslContextBuilder::new(SslMethod::tls_client()).map_err(|e| e.to_string())?;
        b.set_mode(
            SslMode::ENABLE_PARTIAL_WRITE
                | SslMode::ACCEPT_MOVING_WRITE_BUFFER
                | SslMode::RELEASE_BUFFERS,
        );
        let (min, max) = versions::window(&t.tls, &versions::from_defaults(&d.server_options));
        b.set_min_proto_version(Some(min))
            .map_err(|e| e.to_string())?;
        b.set_max_proto_version(Some(max))
            .map_err(|e| e.to_string())?;
        if let Some(c) = t.ciphers.as_deref().or(d.server_ciphers.as_deref()) {
            b.set_cipher_list(c)
                .map_err(|_| format!("unable to set SSL cipher list to '{c}'"))?;
        }
        if let Some(c) = t
            .ciphersuites
            .as_deref()
            .or(d.server_ciphersuites.as_deref())
        {
            b.set_ciphersuites(c)
                .map_err(|_| format!("unable to set TLS 1.3 cipher suites to '{c}'"))?;
        }
        let verify = match t.verify.as_deref() {
            Some("none") => false,
            Some(_) => true,
            None => d.server_verify_required != Some(false),
        };
        if let Some(ca) = &t.ca_file {
            b.set_ca_file(ca)
                .map_err(|_| format!("unable to load {ca}"))?;
        }
        if let Some(crl) = &t.crl_file {
            super::bind::load_crl(&mut b, crl)?;
        }
        b.set_verify(if verify {
            SslVerifyMode::PEER
        } else {
            SslVerifyMode::NONE
        });
        if let Some(a) = &t.alpn {
            b.set_alpn_protos(&super::bind::alpn_wire(a))
                .map_err(|e| e.to_string())?;
        }
        if let Some(c) = crt {
            let extra = crate::config::bind::ssl::ExtraFiles::default();
            let key = crate::config::bind::ssl::load_cert_file_with(c, extra)
                .map_err(|e| e.trim_end().to_string())?;
            let ck = pem::load(c, key.as_deref()).map_err(|e| e.trim_end().to_string())?;
            b.set_certificate(&ck.cert).map_err(|e| e.to_string())?;
            for x in &ck.chain {
                b.add_extra_chain_cert(x.clone())
                    .map_err(|e| e.to_string())?;
            }
            b.set_private_key(&ck.key).map_err(|e| e.to_string())?;
        }
        if t.no_tls_tickets {
            b.set_options(openssl::ssl::SslOptions::NO_TICKET);
        }
        let session = (!t.no_reuse).then(|| {
            let slot: SessionSlot = Arc::default();
            let s = slot.clone();
            b.set_session_cache_mode(SslSessionCacheMode::CLIENT);
            // Called for every session (TLS 1.3 tickets arrive after the handshake).
            b.set_new_session_callback(move |ssl, sess| {
                let sni = ssl.servername(NameType::HOST_NAME).map(str::to_string);
                *s.lock().unwrap_or_else(|e| e.into_inner()) = Some((sni, sess));
            });
            slot
        });
        Ok(ServerTls {
            ctx: b.build(),
            verify,
            verifyhost: t.verifyhost.clone(),
            session,
        })
    }

    /// A client-side TLS state for one connection, sending `sni` when set; the server's
    /// certificate must name `verifyhost`, or else the SNI (HAProxy checks no name when
    /// it has neither).
    pub fn new_ssl(&self, sni: Option<&str>) -> Result<Ssl, openssl::error::ErrorStack> {
        let mut ssl = Ssl::new(&self.ctx)?;
        ssl.set_connect_state();
        if let Some(n) = sni.filter(|n| !n.is_empty()) {
            ssl.set_hostname(n)?;
        }
        if self.verify {
            if let Some(h) = self.verifyhost.as_deref().or(sni) {
                ssl.param_mut().set_host(h)?;
            }
        }
        if let Some(slot) = &self.session {
            let g = slot.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, sess)) = g.as_ref().filter(|(n, _)| n.as_deref() == sni) {
                // SAFETY: the session was made by a connection of this same context
                // (`self.ctx`), which is what `SSL_set_session` requires.
                unsafe { ssl.set_session(sess)? };
            }
        }
        Ok(ssl)
    }
}
