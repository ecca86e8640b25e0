//! TLS in the engine. A TLS connection is a [`Stream::Tls`]: OpenSSL over the same
//! non-blocking socket, whose `WANT_READ`/`WANT_WRITE` surface as `WouldBlock`, so the
//! sessions above read and write it like any socket. The handshake happens before a
//! session exists ([`TlsWait`], HAProxy's embryonic session: `timeout client` bounds it
//! and a failure is logged as "SSL handshake failure" by frontends with a log format),
//! and, towards servers, between the TCP connect and `Connected` (`server_side`).

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use openssl::ssl::{ErrorCode, Ssl, SslRef, SslStream};

use super::io::Sock;
use super::stream::Stream;
use super::worker::{Ctx, Origin, Session};
use crate::model::{Config, Proxy};
use crate::tls::{BindTls, ServerTls};

/// The socket under OpenSSL, with the bytes read before TLS began (those following a
/// PROXY header in the same read), which OpenSSL must see first.
#[derive(Debug)]
pub struct TlsIo {
    pub inner: Stream,
    pre: Vec<u8>,
}

impl Read for TlsIo {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        if !self.pre.is_empty() {
            let n = b.len().min(self.pre.len());
            b[..n].copy_from_slice(&self.pre[..n]);
            self.pre.drain(..n);
            return Ok(n);
        }
        self.inner.read(b)
    }
}

impl Write for TlsIo {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.inner.write(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub struct TlsStream {
    pub s: SslStream<TlsIo>,
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStream")
            .field("io", self.s.get_ref())
            .finish()
    }
}

/// A TLS connection always ends with `close_notify` (best effort, never waiting): OpenSSL
/// drops a session closed without it from resumption, and HAProxy closes cleanly too.
impl Drop for TlsStream {
    fn drop(&mut self) {
        if self.s.ssl().is_init_finished() {
            let _ = self.s.shutdown();
        }
    }
}

/// How a handshake step ended.
pub enum Hs {
    Done,
    Pending,
    /// HAProxy's connection error text.
    Failed(&'static str),
}

impl TlsStream {
    pub fn new(ssl: Ssl, inner: Stream, pre: Vec<u8>) -> io::Result<TlsStream> {
        let s = SslStream::new(ssl, TlsIo { inner, pre }).map_err(io::Error::other)?;
        Ok(TlsStream { s })
    }

    pub fn io(&self) -> &Stream {
        &self.s.get_ref().inner
    }
    pub fn io_mut(&mut self) -> &mut Stream {
        &mut self.s.get_mut().inner
    }
    pub fn ssl(&self) -> &SslRef {
        self.s.ssl()
    }

    /// One step of the handshake, as far as the socket allows.
    pub fn handshake(&mut self) -> Hs {
        match self.s.do_handshake() {
            Ok(()) => Hs::Done,
            Err(e) if matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE) => {
                Hs::Pending
            }
            Err(e) => Hs::Failed(failure_text(&e, self.s.ssl())),
        }
    }

    /// Sends `close_notify` (best effort, never waiting), then shuts the socket's side.
    pub fn shutdown(&mut self, how: std::net::Shutdown) -> io::Result<()> {
        if how != std::net::Shutdown::Read {
            let _ = self.s.shutdown();
        }
        self.io_mut().shutdown(how)
    }
}

/// `ssl_sock_handshake()`'s error codes: a peer that closed without a byte, one that
/// closed or reset mid-way, a client certificate that did not verify, anything else.
fn failure_text(e: &openssl::ssl::Error, ssl: &SslRef) -> &'static str {
    let v = ssl.verify_result();
    if v != openssl::x509::X509VerifyResult::OK {
        return if ssl.is_server() {
            "SSL client certificate not trusted"
        } else {
            "SSL handshake failure"
        };
    }
    match e.code() {
        ErrorCode::SYSCALL if e.io_error().is_none() => "Connection closed during SSL handshake",
        ErrorCode::SYSCALL => "Connection error during SSL handshake",
        _ => "SSL handshake failure",
    }
}

/// The TLS facts of a connection for the fetches (`None`: clear).
pub fn facts(s: &Stream) -> Option<&dyn crate::sample::tls_conn::TlsConn> {
    s.tls().map(|t| t as &dyn crate::sample::tls_conn::TlsConn)
}

/// Reads what the peer sent and OpenSSL left (bounded), so the close that follows is a
/// FIN rather than a reset for unread data, as HAProxy's `conn_ctrl_drain()`.
fn drain(s: &mut Stream) {
    let mut buf = [0u8; 4096];
    for _ in 0..16 {
        match s.read(&mut buf) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
    }
}

/// A client connection on a TLS `bind` until its handshake completes.
pub struct TlsWait {
    sock: Option<Sock>,
    fe: usize,
    origin: Origin,
    since: Instant,
    accept_date: SystemTime,
}

impl TlsWait {
    /// Starts the handshake of `sock` with `tls`; `None` when OpenSSL cannot even begin.
    pub fn start(
        cx: &mut Ctx,
        fe: usize,
        sock: Sock,
        mut origin: Origin,
        tls: &BindTls,
    ) -> Option<Session> {
        let ssl = tls.new_ssl().ok()?;
        let pre = origin.initial.bytes().to_vec();
        origin.initial.release();
        let stream = TlsStream::new(ssl, sock.into_stream(), pre).ok()?;
        let mut w = TlsWait {
            sock: Some(Sock::new(Stream::Tls(Box::new(stream)))),
            fe,
            origin,
            since: cx.now,
            accept_date: SystemTime::now(),
        };
        match w.advance(cx) {
            Ok(None) => Some(Session::Tls(Box::new(w))),
            Ok(Some(s)) => Some(s),
            Err(()) => None,
        }
    }

    pub fn on_event(&mut self, ev: &mio::event::Event) {
        if let Some(s) = self.sock.as_mut() {
            s.on_event(ev);
        }
    }

    /// Drives the handshake; once done, the session this connection really is.
    pub(super) fn advance(&mut self, cx: &mut Ctx) -> Result<Option<Session>, ()> {
        let sock = self.sock.as_mut().ok_or(())?;
        let Stream::Tls(t) = &mut sock.s else {
            return Err(());
        };
        match t.handshake() {
            Hs::Pending => Ok(None),
            Hs::Failed(why) => {
                drain(t.io_mut());
                self.log(cx, why);
                Err(())
            }
            Hs::Done => {
                let mut sock = self.sock.take().ok_or(())?;
                // Application data may already sit in OpenSSL's buffer.
                sock.readable = true;
                sock.writable = true;
                let origin = std::mem::take(&mut self.origin);
                super::worker::start_for(cx, self.fe, sock, origin)
                    .map(Some)
                    .ok_or(())
            }
        }
    }

    pub fn deadline(&self, cx: &Ctx) -> Option<Instant> {
        cx.shared.frontends[self.fe]
            .px
            .timeouts
            .client
            .map(|d| self.since + d)
    }

    /// `false` once `timeout client` is over (the connection is closed and logged).
    pub fn on_timeout(&mut self, cx: &mut Ctx) -> bool {
        match self.deadline(cx) {
            Some(d) if d <= cx.now => {
                self.log(cx, "Timeout during SSL handshake");
                false
            }
            _ => true,
        }
    }

    pub fn close(&mut self) {
        self.sock = None;
    }

    /// `session_kill_embryonic()`: `<src>:<port> [<accept date>] <fe>/<bind>: <error>`,
    /// only for a frontend logging streams, and not for a silent connection under
    /// `dontlognull`.
    fn log(&self, cx: &Ctx, why: &str) {
        let fe = &cx.shared.frontends[self.fe];
        let Some(log) = fe.log.as_deref().filter(|l| l.logs_streams()) else {
            return;
        };
        if log.dontlognull && why.starts_with("Connection closed") {
            return;
        }
        let bind = self
            .origin
            .listener
            .map_or("", |i| cx.shared.listeners[i].log_name.as_str());
        let mut date = Vec::new();
        crate::log::date::local_ms(self.accept_date, &mut date);
        let src = match self.origin.peer {
            Some(a) => {
                let ip = match a.ip() {
                    std::net::IpAddr::V6(v) => v
                        .to_ipv4_mapped()
                        .map(std::net::IpAddr::V4)
                        .unwrap_or(a.ip()),
                    ip => ip,
                };
                format!("{ip}:{}", a.port())
            }
            None => "unix:1".to_string(),
        };
        let line = format!(
            "{src} [{}] {}/{bind}: {why}",
            String::from_utf8_lossy(&date),
            fe.name
        );
        log.event(crate::log::LOG_INFO, &line);
    }
}

/// HTTP/2 is not served yet: an HTTP proxy's ALPN list loses `h2` (with a warning), so a
/// client or server offering it falls back to HTTP/1.1 instead of failing. `None`: the
/// list is unchanged.
fn without_h2(
    alpn: Option<&str>,
    loc: &crate::model::Loc,
    warnings: &mut Vec<String>,
) -> Option<Option<String>> {
    let a = alpn?;
    if !a.split(',').any(|p| p == "h2") {
        return None;
    }
    warnings.push(format!(
        "[{loc}] : 'alpn h2' is not active yet in haproxy-rs (no HTTP/2): h2 is not offered."
    ));
    let rest: Vec<&str> = a.split(',').filter(|p| *p != "h2").collect();
    Some((!rest.is_empty()).then(|| rest.join(",")))
}

/// Per listener, its `bind` line's TLS contexts (built once per line).
pub fn bind_contexts(
    cfg: &Config,
    fronts: &[&Proxy],
    listeners: &[super::shared::ListenerSpec],
    warnings: &mut Vec<String>,
) -> Result<Vec<Option<Arc<BindTls>>>, String> {
    let mut built: Vec<((usize, usize), Arc<BindTls>)> = Vec::new();
    let mut out = Vec::new();
    for &(fe, _, _, _, _, bi) in listeners {
        let Some(bind) = fronts.get(fe).and_then(|p| p.binds.get(bi)) else {
            out.push(None);
            continue;
        };
        if !bind.options.ssl {
            out.push(None);
            continue;
        }
        if let Some((_, t)) = built.iter().find(|(k, _)| *k == (fe, bi)) {
            out.push(Some(t.clone()));
            continue;
        }
        let mut opts = std::borrow::Cow::Borrowed(&bind.options);
        if fronts[fe].mode == crate::model::Mode::Http {
            if let Some(a) = without_h2(bind.options.alpn.as_deref(), &bind.loc, warnings) {
                opts.to_mut().alpn = a;
            }
        }
        let t = BindTls::build(&opts, &cfg.global).map_err(|e| {
            format!(
                "Proxy '{}': {} for bind '{}' at [{}].",
                fronts[fe].name,
                e.trim_end(),
                bind.text,
                bind.loc
            )
        })?;
        let t = Arc::new(t);
        built.push(((fe, bi), t.clone()));
        out.push(Some(t));
    }
    Ok(out)
}

/// A backend's TLS: per server its context, and the `sni` expression (the first
/// server's that has one: the sessions evaluate it once per request).
#[derive(Default)]
pub struct BackendTls {
    pub servers: Vec<Option<Arc<ServerTls>>>,
    pub sni: Option<crate::sample::expr::Expr>,
    /// Per server, whether it sends the SNI.
    pub uses_sni: Vec<bool>,
}

impl BackendTls {
    pub fn build(
        cfg: &Config,
        px: &Proxy,
        warnings: &mut Vec<String>,
    ) -> Result<BackendTls, String> {
        let mut b = BackendTls::default();
        let mut sni_text: Option<&str> = None;
        for sv in &px.servers {
            if !sv.ssl.enabled {
                b.servers.push(None);
                b.uses_sni.push(false);
                continue;
            }
            let mut ssl = std::borrow::Cow::Borrowed(&sv.ssl);
            if px.mode == crate::model::Mode::Http {
                if let Some(a) = without_h2(sv.ssl.alpn.as_deref(), &sv.loc, warnings) {
                    ssl.to_mut().alpn = a;
                }
            }
            let t =
                ServerTls::build(&ssl, sv.ssl.crt.as_deref(), &cfg.global.ssl).map_err(|e| {
                    format!(
                        "Proxy '{}', server '{}' [{}] : {e}.",
                        px.name, sv.name, sv.loc
                    )
                })?;
            b.servers.push(Some(Arc::new(t)));
            if sv.send_proxy || sv.send_proxy_v2 {
                warnings.push(format!(
                    "[{}] : server '{}/{}': 'send-proxy' on an 'ssl' server is not active yet in haproxy-rs; no PROXY header is sent.",
                    sv.loc, px.name, sv.name
                ));
            }
            b.uses_sni.push(sv.ssl.sni.is_some());
            if let Some(s) = sv.ssl.sni.as_deref() {
                match sni_text {
                    None => {
                        sni_text = Some(s);
                        let env = crate::config::expr::sample::ExprEnv::default();
                        let p = crate::config::expr::sample::parse_expr(&[s], 0, false, env)
                            .map_err(|e| {
                                format!(
                                    "Proxy '{}', server '{}' [{}] : error detected while parsing sni expression : {e}.",
                                    px.name, sv.name, sv.loc
                                )
                            })?;
                        b.sni = super::maps::with(|m| crate::sample::expr::Expr::compile(&p.expr, m)).ok();
                    }
                    Some(first) if first != s => warnings.push(format!(
                        "[{}] : server '{}/{}': an 'sni' expression other than the backend's first one ('{first}') is not active yet in haproxy-rs; that one is used.",
                        sv.loc, px.name, sv.name
                    )),
                    _ => {}
                }
            }
        }
        Ok(b)
    }
}
