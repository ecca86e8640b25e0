//! Connected and listening sockets of either family the engine serves: TCP (IPv4/IPv6) and
//! UNIX stream sockets (`unix@`/path and `abns@` binds, servers on a path). Everything
//! above this file sees one type for each, so sessions do not care which family a peer
//! uses; only addresses differ (a UNIX peer has no IP address).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};

use mio::event::Source;
use mio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use mio::{Interest, Registry, Token};

/// `*tcpka-cnt`/`-idle`/`-intvl` (seconds); unset ones keep the kernel's defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keepalive {
    pub cnt: Option<u32>,
    pub idle: Option<u32>,
    pub intvl: Option<u32>,
}

impl Keepalive {
    /// The client side (`cli = true`) or server side of a proxy, when its option is on:
    /// `option tcpka` turns on both sides, `no option clitcpka`/`srvtcpka` turns one off.
    pub fn of(s: &crate::model::proxy::ProxySettings, cli: bool) -> Option<Keepalive> {
        let side = s.option(if cli { "clitcpka" } else { "srvtcpka" });
        let on = side.unwrap_or(false) || (side.is_none() && s.option("tcpka") == Some(true));
        let (cnt, idle, intvl) = if cli {
            (s.clitcpka_cnt, s.clitcpka_idle, s.clitcpka_intvl)
        } else {
            (s.srvtcpka_cnt, s.srvtcpka_idle, s.srvtcpka_intvl)
        };
        on.then(|| Keepalive {
            cnt: cnt.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0),
            idle: idle.filter(|t| *t > 0),
            intvl: intvl.filter(|t| *t > 0),
        })
    }
}

#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    /// TLS over either (boxed: plain connections keep a one-word stream).
    Tls(Box<super::tls::TlsStream>),
}

impl Stream {
    /// The peer's IP address and port (none for a UNIX peer).
    pub fn peer_inet(&self) -> Option<SocketAddr> {
        match self {
            Stream::Tcp(s) => s.peer_addr().ok(),
            Stream::Unix(_) => None,
            Stream::Tls(t) => t.io().peer_inet(),
        }
    }

    /// Our own IP address and port (none on a UNIX socket).
    pub fn local_inet(&self) -> Option<SocketAddr> {
        match self {
            Stream::Tcp(s) => s.local_addr().ok(),
            Stream::Unix(_) => None,
            Stream::Tls(t) => t.io().local_inet(),
        }
    }

    /// The connection's TLS state, for the `ssl_*` fetches.
    pub fn tls(&self) -> Option<&openssl::ssl::SslRef> {
        match self {
            Stream::Tls(t) => Some(t.ssl()),
            _ => None,
        }
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }

    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        match self {
            Stream::Tcp(s) => s.take_error(),
            Stream::Unix(s) => s.take_error(),
            Stream::Tls(t) => t.io().take_error(),
        }
    }

    pub fn shutdown(&mut self, how: Shutdown) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.shutdown(how),
            Stream::Unix(s) => s.shutdown(how),
            Stream::Tls(t) => t.shutdown(how),
        }
    }

    /// TCP keep-alive probes (`option tcpka`/`clitcpka`/`srvtcpka`), set per connection as
    /// HAProxy does after accept and before connect.
    pub fn set_keepalive(&self, ka: &Keepalive) {
        if let Stream::Tls(t) = self {
            return t.io().set_keepalive(ka);
        }
        if let Stream::Tcp(s) = self {
            let mut k = socket2::TcpKeepalive::new();
            if let Some(t) = ka.idle {
                k = k.with_time(std::time::Duration::from_secs(t.into()));
            }
            if let Some(t) = ka.intvl {
                k = k.with_interval(std::time::Duration::from_secs(t.into()));
            }
            if let Some(n) = ka.cnt {
                k = k.with_retries(n);
            }
            let _ = socket2::SockRef::from(s).set_tcp_keepalive(&k);
        }
    }

    /// The descriptor `splice(2)` can move bytes to and from (any plain socket).
    pub fn splice_fd(&self) -> Option<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        match self {
            Stream::Tcp(s) => Some(s.as_raw_fd()),
            Stream::Unix(s) => Some(s.as_raw_fd()),
            // TLS records are made in user space: nothing to splice.
            Stream::Tls(_) => None,
        }
    }

    /// `SO_LINGER` {1, 0} (`on`) or the default (see [`super::io::Sock::arm_nolinger`]);
    /// false when the socket is not TCP or refused it.
    pub fn set_nolinger(&self, on: bool) -> bool {
        let linger = on.then_some(std::time::Duration::ZERO);
        match self {
            Stream::Tcp(s) => socket2::SockRef::from(s).set_linger(linger).is_ok(),
            Stream::Tls(t) => t.io().set_nolinger(on),
            // HAProxy clears the risk for UNIX sockets: no port to keep busy.
            Stream::Unix(_) => false,
        }
    }

    pub fn set_nodelay(&self, on: bool) {
        match self {
            Stream::Tcp(s) => {
                let _ = s.set_nodelay(on);
            }
            Stream::Tls(t) => t.io().set_nodelay(on),
            Stream::Unix(_) => {}
        }
    }
}

impl std::os::fd::AsRawFd for Stream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
            Stream::Tls(t) => t.io().as_raw_fd(),
        }
    }
}

impl std::os::fd::AsRawFd for ListenSock {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        match self {
            ListenSock::Tcp(l) => l.as_raw_fd(),
            ListenSock::Unix(l) => l.as_raw_fd(),
        }
    }
}

impl Stream {
    /// A write telling the kernel more data follows at once (`MSG_MORE`), so that a body
    /// forwarded in buffer-sized pieces leaves in full segments, as HAProxy sends it.
    pub fn write_more(&mut self, b: &[u8]) -> io::Result<usize> {
        use std::os::fd::AsFd;
        let fd = match &*self {
            Stream::Tcp(s) => s.as_fd(),
            Stream::Unix(s) => s.as_fd(),
            // OpenSSL writes whole records itself.
            Stream::Tls(_) => return self.write(b),
        };
        socket2::SockRef::from(&fd).send_with_flags(b, libc::MSG_MORE)
    }
}

impl Read for Stream {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(b),
            Stream::Unix(s) => s.read(b),
            Stream::Tls(t) => t.s.read(b),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(b),
            Stream::Unix(s) => s.write(b),
            Stream::Tls(t) => t.s.write(b),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Source for Stream {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.register(r, t, i),
            Stream::Unix(s) => s.register(r, t, i),
            Stream::Tls(x) => x.io_mut().register(r, t, i),
        }
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.reregister(r, t, i),
            Stream::Unix(s) => s.reregister(r, t, i),
            Stream::Tls(x) => x.io_mut().reregister(r, t, i),
        }
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.deregister(r),
            Stream::Unix(s) => s.deregister(r),
            Stream::Tls(x) => x.io_mut().deregister(r),
        }
    }
}

/// Where a server is: an IP address and port, or a UNIX socket path (`abns@` names are
/// abstract-namespace paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Inet(SocketAddr),
    Unix {
        path: String,
        abstract_ns: bool,
    },
    /// A server taking (part of) its address from where the client connected (after
    /// `set-dst`): `0.0.0.0` means the destination address, a missing or zero port the
    /// destination port, `+N`/`-N` that port shifted; `option transparent`'s server is
    /// `0.0.0.0` with the same port.
    FromDst {
        ip: Option<std::net::IpAddr>,
        port: Option<u16>,
        offset: i32,
    },
}

impl Target {
    /// The address to connect to for a client that connected to `dst`.
    pub fn for_dst(&self, dst: Option<SocketAddr>) -> Option<Target> {
        let Target::FromDst { ip, port, offset } = self else {
            return Some(self.clone());
        };
        let ip = ip.or(dst.map(|d| d.ip()))?;
        let port = match port {
            Some(p) => *p,
            None => {
                let p = i32::from(dst?.port()) + offset;
                u16::try_from(p).ok()?
            }
        };
        Some(Target::Inet(SocketAddr::new(ip, port)))
    }

    /// Starts a non-blocking connect (completion is reported by writability).
    pub fn connect(&self) -> io::Result<Stream> {
        match self {
            Target::Inet(a) => TcpStream::connect(*a).map(Stream::Tcp),
            Target::FromDst { .. } => Err(io::Error::from(io::ErrorKind::AddrNotAvailable)),
            Target::Unix { path, abstract_ns } => {
                let addr = unix_addr(path, *abstract_ns)?;
                UnixStream::connect_addr(&addr).map(Stream::Unix)
            }
        }
    }
}

/// A UNIX socket address, in the abstract namespace for `abns@`. HAProxy uses the whole
/// `sun_path` for abstract names (NUL-padded), so two HAProxy-style peers only meet when
/// the padding is the same: it is reproduced here.
pub fn unix_addr(path: &str, abstract_ns: bool) -> io::Result<std::os::unix::net::SocketAddr> {
    if abstract_ns {
        use std::os::linux::net::SocketAddrExt;
        const SUN_PATH: usize = 108;
        let mut name = path.as_bytes().to_vec();
        if name.len() > SUN_PATH - 1 {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        name.resize(SUN_PATH - 1, 0);
        std::os::unix::net::SocketAddr::from_abstract_name(&name)
    } else {
        std::os::unix::net::SocketAddr::from_pathname(path)
    }
}

#[derive(Debug)]
pub enum ListenSock {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl ListenSock {
    /// A new connection and, for TCP, the peer's address (from `accept()` itself, which
    /// saves a `getpeername()` per connection).
    pub fn accept(&self) -> io::Result<(Stream, Option<SocketAddr>)> {
        match self {
            ListenSock::Tcp(l) => l.accept().map(|(s, a)| (Stream::Tcp(s), Some(a))),
            ListenSock::Unix(l) => l.accept().map(|(s, _)| (Stream::Unix(s), None)),
        }
    }

    pub fn local_inet(&self) -> Option<SocketAddr> {
        match self {
            ListenSock::Tcp(l) => l.local_addr().ok(),
            ListenSock::Unix(_) => None,
        }
    }

    /// Another descriptor for the same listening socket, for another worker's poller.
    pub fn try_clone(&self) -> io::Result<ListenSock> {
        use std::os::fd::AsFd;
        Ok(match self {
            ListenSock::Tcp(l) => {
                let fd = l.as_fd().try_clone_to_owned()?;
                ListenSock::Tcp(TcpListener::from_std(std::net::TcpListener::from(fd)))
            }
            ListenSock::Unix(l) => {
                let fd = l.as_fd().try_clone_to_owned()?;
                ListenSock::Unix(UnixListener::from_std(
                    std::os::unix::net::UnixListener::from(fd),
                ))
            }
        })
    }
}

impl Source for ListenSock {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            ListenSock::Tcp(l) => l.register(r, t, i),
            ListenSock::Unix(l) => l.register(r, t, i),
        }
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            ListenSock::Tcp(l) => l.reregister(r, t, i),
            ListenSock::Unix(l) => l.reregister(r, t, i),
        }
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            ListenSock::Tcp(l) => l.deregister(r),
            ListenSock::Unix(l) => l.deregister(r),
        }
    }
}
