//! Opening the listening sockets of every HTTP frontend: `bind` addresses, port ranges and
//! inherited descriptors (`fd@N`, how VTest and systemd hand over pre-opened sockets).

use std::collections::HashSet;
use std::os::fd::FromRawFd;

use crate::model::bind::ListenAddr;
use crate::model::{Bind, Proxy};

/// One open listening socket and the frontend it feeds (index into the runtime's proxies).
#[derive(Debug)]
pub struct Listener {
    pub sock: mio::net::TcpListener,
    pub proxy: usize,
    /// `bind … maxconn`.
    pub maxconn: Option<u32>,
    /// `bind … accept-proxy`.
    pub accept_proxy: bool,
}

impl Listener {
    /// Another descriptor for the same listening socket, for another worker's poller.
    pub fn sock_clone(&self) -> std::io::Result<mio::net::TcpListener> {
        use std::os::fd::AsFd;
        let fd = self.sock.as_fd().try_clone_to_owned()?;
        Ok(mio::net::TcpListener::from_std(
            std::net::TcpListener::from(fd),
        ))
    }
}

/// Opens every listener of `px` (runtime proxy index `idx`).
/// `Err` carries HAProxy's alert text for the first socket that could not be opened.
/// `reuse_port`: set SO_REUSEPORT (HAProxy's default; off with `noreuseport` or `-dR`).
pub fn open_proxy(
    px: &Proxy,
    idx: usize,
    used_fds: &mut HashSet<i32>,
    warnings: &mut Vec<String>,
    reuse_port: bool,
) -> Result<Vec<Listener>, String> {
    let mut out = Vec::new();
    for bind in &px.binds {
        for addr in &bind.addrs {
            match addr {
                ListenAddr::Inet { addr, port_end } => {
                    bind_range(px, bind, idx, *addr, *port_end, reuse_port, &mut out)?;
                }
                ListenAddr::Host {
                    host,
                    port,
                    port_end,
                    family,
                } => {
                    let addr = resolve(host, *port, *family).ok_or_else(|| {
                        format!(
                            "Binding [{}] for {} {}: could not resolve address '{host}'",
                            bind.loc,
                            proxy_type(px),
                            px.name
                        )
                    })?;
                    bind_range(px, bind, idx, addr, *port_end, reuse_port, &mut out)?;
                }
                ListenAddr::Fd { fd } => {
                    out.push(Listener {
                        sock: inherited(*fd, used_fds).map_err(|e| {
                            format!(
                                "Binding [{}] for {} {}: cannot use inherited fd {fd} ({e})",
                                bind.loc,
                                proxy_type(px),
                                px.name
                            )
                        })?,
                        proxy: idx,
                        maxconn: bind.options.maxconn,
                        accept_proxy: bind.options.accept_proxy,
                    });
                }
                other => warnings.push(format!(
                    "[{}] : {} '{}': address '{}' ({}) is not served by the haproxy-rs runtime yet",
                    bind.loc,
                    proxy_type(px),
                    px.name,
                    bind.text,
                    kind(other)
                )),
            }
        }
    }
    Ok(out)
}

/// HAProxy's listen() backlog: `bind backlog`, else the proxy's `backlog`, else its
/// `maxconn` (the kernel caps it at `net.core.somaxconn`).
fn backlog(px: &Proxy, bind: &Bind) -> i32 {
    bind.options
        .backlog
        .or(px.settings.backlog)
        .or(px.settings.maxconn)
        .filter(|&b| b > 0)
        .map_or(1024, |b| b.min(i32::MAX as u32) as i32)
}

fn listen_on(
    sa: std::net::SocketAddr,
    backlog: i32,
    v6only: bool,
    reuse_port: bool,
) -> std::io::Result<mio::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let sock = Socket::new(Domain::for_address(sa), Type::STREAM, None)?;
    sock.set_reuse_address(true)?;
    // A reloading process binds the same ports while the old one still listens (HAProxy
    // sets SO_REUSEPORT unless `noreuseport` / `-dR`).
    if reuse_port {
        sock.set_reuse_port(true)?;
    }
    if sa.is_ipv6() {
        sock.set_only_v6(v6only)?;
    }
    sock.bind(&sa.into())?;
    sock.listen(backlog)?;
    sock.set_nonblocking(true)?;
    Ok(mio::net::TcpListener::from_std(sock.into()))
}

/// Binds `addr` and, for a range, every port up to `port_end`.
fn bind_range(
    px: &Proxy,
    bind: &Bind,
    idx: usize,
    addr: std::net::SocketAddr,
    port_end: u16,
    reuse_port: bool,
    out: &mut Vec<Listener>,
) -> Result<(), String> {
    for port in addr.port()..=port_end.max(addr.port()) {
        let mut sa = addr;
        sa.set_port(port);
        let sock = listen_on(sa, backlog(px, bind), bind.options.v6only, reuse_port)
            .map_err(|e| bind_error(px, bind, &e, &sa))?;
        out.push(Listener {
            sock,
            proxy: idx,
            maxconn: bind.options.maxconn,
            accept_proxy: bind.options.accept_proxy,
        });
    }
    Ok(())
}

/// Resolves a host name left unresolved by the parser; `family` 4 or 6 forces one.
fn resolve(host: &str, port: u16, family: u8) -> Option<std::net::SocketAddr> {
    use std::net::ToSocketAddrs;
    (host, port).to_socket_addrs().ok()?.find(|a| match family {
        4 => a.is_ipv4(),
        6 => a.is_ipv6(),
        _ => true,
    })
}

/// Adopts an already-listening inherited socket.
fn inherited(fd: i32, used: &mut HashSet<i32>) -> std::io::Result<mio::net::TcpListener> {
    // Adopting the same descriptor twice would close it twice.
    if fd < 0 || !used.insert(fd) {
        return Err(std::io::Error::from_raw_os_error(9)); // EBADF
    }
    // SAFETY: `fd@N` names a descriptor the parent process left open for us; we checked
    // above that no other listener owns it, so this TcpListener becomes its only owner.
    let std_sock = unsafe { std::net::TcpListener::from_raw_fd(fd) };
    if let Err(e) = std_sock
        .local_addr()
        .and_then(|_| std_sock.set_nonblocking(true))
    {
        // Not ours to close if it is not a socket we can use: give it back untouched.
        std::mem::forget(std_sock);
        return Err(e);
    }
    Ok(mio::net::TcpListener::from_std(std_sock))
}

fn bind_error(px: &Proxy, bind: &Bind, e: &std::io::Error, sa: &std::net::SocketAddr) -> String {
    format!(
        "Binding [{}] for {} {}: cannot bind socket ({}) for [{}:{}]",
        bind.loc,
        proxy_type(px),
        px.name,
        strerror(e),
        sa.ip(),
        sa.port()
    )
}

/// HAProxy's `proxy_type_str()`: "proxy" for a listen section.
fn proxy_type(px: &Proxy) -> &'static str {
    match px.cap.type_name() {
        "listen" => "proxy",
        t => t,
    }
}

/// The C library's `strerror()` text, as HAProxy prints it (Rust appends "(os error N)").
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The variant name (`Unix`, `Abns`…), for the "not served yet" warning.
fn kind(a: &ListenAddr) -> String {
    let d = format!("{a:?}");
    d.split([' ', '{', '('])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProxyCap;
    use std::os::fd::IntoRawFd;

    fn proxy_with(addrs: Vec<ListenAddr>) -> Proxy {
        Proxy {
            name: "p".into(),
            cap: ProxyCap::LISTEN,
            binds: vec![Bind {
                loc: crate::model::Loc {
                    file: "t.cfg".into(),
                    line: 3,
                },
                text: "x".into(),
                addrs,
                options: Default::default(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn binds_inet_and_adopts_fd() {
        let pre = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let want = pre.local_addr().unwrap();
        let fd = pre.into_raw_fd();
        let px = proxy_with(vec![
            ListenAddr::Inet {
                addr: "127.0.0.1:0".parse().unwrap(),
                port_end: 0,
            },
            ListenAddr::Fd { fd },
        ]);
        let mut used = HashSet::new();
        let mut w = Vec::new();
        let ls = open_proxy(&px, 7, &mut used, &mut w, true).unwrap();
        assert_eq!(ls.len(), 2);
        assert_eq!(ls[1].sock.local_addr().unwrap(), want);
        assert!(ls.iter().all(|l| l.proxy == 7));
        // The same fd cannot be adopted twice.
        let again = proxy_with(vec![ListenAddr::Fd { fd }]);
        let err = open_proxy(&again, 0, &mut used, &mut w, true).unwrap_err();
        assert!(err.contains("cannot use inherited fd"), "{err}");
    }

    #[test]
    fn bind_conflict_reads_like_haproxy() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let px = proxy_with(vec![ListenAddr::Inet {
            addr: taken.local_addr().unwrap(),
            port_end: 0,
        }]);
        let err = open_proxy(&px, 0, &mut HashSet::new(), &mut Vec::new(), true).unwrap_err();
        let port = taken.local_addr().unwrap().port();
        assert_eq!(
            err,
            format!("Binding [t.cfg:3] for proxy p: cannot bind socket (Address already in use) for [127.0.0.1:{port}]")
        );
    }

    #[test]
    fn host_names_are_resolved_at_bind_time() {
        let px = proxy_with(vec![ListenAddr::Host {
            host: "localhost".into(),
            port: 0,
            port_end: 0,
            family: 4,
        }]);
        let ls = open_proxy(&px, 0, &mut HashSet::new(), &mut Vec::new(), true).unwrap();
        assert!(ls[0].sock.local_addr().unwrap().ip().is_loopback());
    }

    #[test]
    fn unix_sockets_are_reported() {
        let px = proxy_with(vec![ListenAddr::Unix {
            path: "/tmp/x".into(),
        }]);
        let mut w = Vec::new();
        assert!(open_proxy(&px, 0, &mut HashSet::new(), &mut w, true)
            .unwrap()
            .is_empty());
        assert_eq!(w.len(), 1);
    }
}
