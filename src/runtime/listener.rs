//! Opening the listening sockets of every HTTP frontend: `bind` addresses, port ranges and
//! inherited descriptors (`fd@N`, how VTest and systemd hand over pre-opened sockets).

use std::collections::HashSet;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::Mutex;

use super::stream::{unix_addr, ListenSock};
use crate::model::bind::ListenAddr;
use crate::model::{Bind, Proxy};

/// One open listening socket and the frontend it feeds (index into the runtime's proxies).
#[derive(Debug)]
pub struct Listener {
    pub sock: ListenSock,
    pub proxy: usize,
    /// `bind … maxconn`.
    pub maxconn: Option<u32>,
    /// `bind … accept-proxy`.
    pub accept_proxy: bool,
    /// `bind … name` and `id` (`so_name`, `so_id`).
    pub name: Option<String>,
    pub id: Option<u32>,
    /// Its `bind` line (index in the proxy's `binds`), for the line's TLS settings.
    pub bind: usize,
}

impl Listener {
    /// Another descriptor for the same listening socket, for another worker's poller.
    pub fn sock_clone(&self) -> std::io::Result<ListenSock> {
        self.sock.try_clone()
    }
}

/// Listening sockets opened before this process parsed its configuration: a master-worker
/// master's (inherited by the worker it forks, and by the master itself across the
/// re-execution of a reload), keyed by what they listen on ([`preopened_key`]). A bind
/// finding its address here adopts that socket instead of binding a new one, so old and new
/// workers accept from one shared queue and a reload refuses no connection.
static PREOPENED: Mutex<Vec<(String, OwnedFd)>> = Mutex::new(Vec::new());

/// The key of a listening address in [`PREOPENED`]: `ip:port`, `unix@path`, `abns@name`.
pub fn preopened_key(addr: &ListenAddr, port: Option<u16>) -> Option<String> {
    match addr {
        ListenAddr::Inet { addr, .. } => {
            let mut a = *addr;
            a.set_port(port.unwrap_or(a.port()));
            Some(a.to_string())
        }
        ListenAddr::Unix { path } => Some(format!("unix@{path}")),
        ListenAddr::Abns { name } => Some(format!("abns@{name}")),
        _ => None,
    }
}

/// Hands sockets to later binds of this process (see [`PREOPENED`]); replaces any left.
pub fn set_preopened(socks: Vec<(String, OwnedFd)>) {
    *PREOPENED.lock().unwrap_or_else(|e| e.into_inner()) = socks;
}

/// Takes the sockets still waiting in [`PREOPENED`].
pub fn take_all_preopened() -> Vec<(String, OwnedFd)> {
    std::mem::take(&mut *PREOPENED.lock().unwrap_or_else(|e| e.into_inner()))
}

fn take_preopened(key: &str) -> Option<OwnedFd> {
    let mut v = PREOPENED.lock().unwrap_or_else(|e| e.into_inner());
    let i = v.iter().position(|(k, _)| k == key)?;
    Some(v.swap_remove(i).1)
}

/// What a master-worker master opens itself before forking: every TCP, UNIX and abstract
/// listener of the frontends (inherited `fd@N` ones stay with whoever passed them), each
/// with its [`preopened_key`]. Sockets already in [`PREOPENED`] are reused.
pub fn open_for_master(
    cfg: &crate::model::Config,
    reuse_port: bool,
) -> Result<Vec<(String, OwnedFd)>, String> {
    let mut out = Vec::new();
    for (idx, px) in cfg
        .real_proxies()
        .filter(|p| p.cap.is_fe() && !p.disabled)
        .enumerate()
    {
        // One address at a time, so that each socket is keyed by the address as written:
        // a port 0 bind must find its socket under port 0 in the worker.
        let mut only = px.clone();
        for b in &px.binds {
            for a in &b.addrs {
                let wanted_port = match a {
                    ListenAddr::Inet { addr, .. } => Some(addr.port()),
                    ListenAddr::Host { port, .. } => Some(*port),
                    ListenAddr::Unix { .. } | ListenAddr::Abns { .. } => None,
                    _ => continue,
                };
                only.binds = vec![crate::model::Bind {
                    addrs: vec![a.clone()],
                    ..b.clone()
                }];
                for l in open_proxy(&only, idx, &mut HashSet::new(), &mut Vec::new(), reuse_port)? {
                    out.push(master_key(l.sock, wanted_port)?);
                }
            }
        }
    }
    Ok(out)
}

/// The key and descriptor of a socket the master opened for an address asking for
/// `wanted_port` (`Some(0)`: any port, keyed as such).
fn master_key(sock: ListenSock, wanted_port: Option<u16>) -> Result<(String, OwnedFd), String> {
    Ok(match sock {
        ListenSock::Tcp(t) => {
            let mut a = t.local_addr().map_err(|e| e.to_string())?;
            if wanted_port == Some(0) {
                a.set_port(0);
            }
            (a.to_string(), OwnedFd::from(std::net::TcpListener::from(t)))
        }
        ListenSock::Unix(u) => {
            let key = u
                .local_addr()
                .ok()
                .and_then(|a| unix_key(&a))
                .ok_or("unnamed UNIX listener")?;
            (
                key,
                OwnedFd::from(std::os::unix::net::UnixListener::from(u)),
            )
        }
    })
}

fn unix_key(a: &std::os::unix::net::SocketAddr) -> Option<String> {
    use std::os::linux::net::SocketAddrExt;
    if let Some(p) = a.as_pathname() {
        return Some(format!("unix@{}", p.display()));
    }
    let name = a.as_abstract_name()?;
    // HAProxy pads abstract names with NULs to the full sun_path length.
    let name = String::from_utf8_lossy(name);
    Some(format!("abns@{}", name.trim_end_matches('\0')))
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
    for (bi, bind) in px.binds.iter().enumerate() {
        for addr in &bind.addrs {
            match addr {
                ListenAddr::Inet { addr, port_end } => {
                    bind_range(px, (bind, bi), idx, *addr, *port_end, reuse_port, &mut out)?;
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
                    bind_range(px, (bind, bi), idx, addr, *port_end, reuse_port, &mut out)?;
                }
                ListenAddr::Unix { path } => {
                    out.push(Listener {
                        sock: preopened_unix(addr)
                            .map_or_else(|| bind_unix(path, false, bind), Ok)
                            .map_err(|e| bind_error_text(px, bind, &e, path))?,
                        proxy: idx,
                        maxconn: bind.options.maxconn,
                        accept_proxy: bind.options.accept_proxy,
                        name: bind.options.name.clone(),
                        id: bind.options.id,
                        bind: bi,
                    });
                }
                ListenAddr::Abns { name } => {
                    out.push(Listener {
                        sock: preopened_unix(addr)
                            .map_or_else(|| bind_unix(name, true, bind), Ok)
                            .map_err(|e| bind_error_text(px, bind, &e, &format!("abns@{name}")))?,
                        proxy: idx,
                        maxconn: bind.options.maxconn,
                        accept_proxy: bind.options.accept_proxy,
                        name: bind.options.name.clone(),
                        id: bind.options.id,
                        bind: bi,
                    });
                }
                ListenAddr::Fd { fd } => {
                    out.push(Listener {
                        sock: ListenSock::Tcp(inherited(*fd, used_fds).map_err(|e| {
                            format!(
                                "Binding [{}] for {} {}: cannot use inherited fd {fd} ({e})",
                                bind.loc,
                                proxy_type(px),
                                px.name
                            )
                        })?),
                        proxy: idx,
                        maxconn: bind.options.maxconn,
                        accept_proxy: bind.options.accept_proxy,
                        name: bind.options.name.clone(),
                        id: bind.options.id,
                        bind: bi,
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

/// Opens a `stats socket` line's addresses (UNIX paths with `mode`/`uid`/`gid`, `ipv4@`/
/// `ipv6@` ports, inherited `fd@N`). `Err` is the alert text.
pub fn open_cli(bind: &Bind, used_fds: &mut HashSet<i32>) -> Result<Vec<ListenSock>, String> {
    let what = |e: &std::io::Error, t: &str| {
        format!(
            "Starting frontend GLOBAL: cannot bind socket ({}) [{t}]",
            strerror(e)
        )
    };
    let mut out = Vec::new();
    for addr in &bind.addrs {
        match addr {
            ListenAddr::Inet { addr, .. } => out.push(ListenSock::Tcp(
                listen_on(
                    *addr,
                    SockOpts {
                        backlog: 10,
                        v6only: bind.options.v6only,
                        reuse_port: false,
                        transparent: false,
                        tfo: false,
                        defer_accept: false,
                    },
                )
                .map_err(|e| what(&e, &addr.to_string()))?,
            )),
            ListenAddr::Unix { path } => {
                out.push(bind_unix(path, false, bind).map_err(|e| what(&e, path))?)
            }
            ListenAddr::Abns { name } => {
                out.push(bind_unix(name, true, bind).map_err(|e| what(&e, name))?)
            }
            ListenAddr::Fd { fd } => out.push(ListenSock::Tcp(
                inherited(*fd, used_fds).map_err(|e| what(&e, &format!("fd@{fd}")))?,
            )),
            _ => {}
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

/// The socket options of a `bind` line that `listen_on` applies.
#[derive(Clone, Copy)]
struct SockOpts {
    backlog: i32,
    v6only: bool,
    reuse_port: bool,
    /// `transparent`: IP_TRANSPARENT, binding addresses the host does not own.
    transparent: bool,
    /// `tfo`: TCP fast open, with the backlog as its queue, as HAProxy sets it.
    tfo: bool,
    /// `defer-accept`: TCP_DEFER_ACCEPT of one second, as HAProxy sets it.
    defer_accept: bool,
}

impl SockOpts {
    fn of(px: &Proxy, bind: &Bind, reuse_port: bool) -> SockOpts {
        SockOpts {
            backlog: backlog(px, bind),
            v6only: bind.options.v6only,
            reuse_port,
            transparent: bind.options.transparent,
            tfo: bind.options.tfo,
            defer_accept: bind.options.defer_accept,
        }
    }
}

/// An integer socket option socket2 has no setter for.
fn set_int_opt(
    sock: &socket2::Socket,
    level: libc::c_int,
    opt: libc::c_int,
    val: libc::c_int,
) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: a live socket's descriptor, a pointer to an int that outlives the call and
    // its exact size; setsockopt reads nothing else.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            opt,
            (&val as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn listen_on(sa: std::net::SocketAddr, o: SockOpts) -> std::io::Result<mio::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let sock = Socket::new(Domain::for_address(sa), Type::STREAM, None)?;
    sock.set_reuse_address(true)?;
    // A reloading process binds the same ports while the old one still listens (HAProxy
    // sets SO_REUSEPORT unless `noreuseport` / `-dR`).
    if o.reuse_port {
        sock.set_reuse_port(true)?;
    }
    if sa.is_ipv6() {
        sock.set_only_v6(o.v6only)?;
    }
    if o.transparent {
        if sa.is_ipv6() {
            set_int_opt(&sock, libc::IPPROTO_IPV6, libc::IPV6_TRANSPARENT, 1)?;
        } else {
            sock.set_ip_transparent(true)?;
        }
    }
    if o.defer_accept {
        set_int_opt(&sock, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT, 1)?;
    }
    sock.bind(&sa.into())?;
    if o.tfo {
        set_int_opt(&sock, libc::IPPROTO_TCP, libc::TCP_FASTOPEN, o.backlog)?;
    }
    sock.listen(o.backlog)?;
    sock.set_nonblocking(true)?;
    Ok(mio::net::TcpListener::from_std(sock.into()))
}

/// Binds `addr` and, for a range, every port up to `port_end`.
fn bind_range(
    px: &Proxy,
    (bind, bi): (&Bind, usize),
    idx: usize,
    addr: std::net::SocketAddr,
    port_end: u16,
    reuse_port: bool,
    out: &mut Vec<Listener>,
) -> Result<(), String> {
    for port in addr.port()..=port_end.max(addr.port()) {
        let mut sa = addr;
        sa.set_port(port);
        let sock = match take_preopened(&sa.to_string()) {
            Some(fd) => {
                let l = std::net::TcpListener::from(fd);
                l.set_nonblocking(true)
                    .map_err(|e| bind_error(px, bind, &e, &sa))?;
                mio::net::TcpListener::from_std(l)
            }
            None => listen_on(sa, SockOpts::of(px, bind, reuse_port))
                .map_err(|e| bind_error(px, bind, &e, &sa))?,
        };
        out.push(Listener {
            sock: ListenSock::Tcp(sock),
            proxy: idx,
            maxconn: bind.options.maxconn,
            accept_proxy: bind.options.accept_proxy,
            name: bind.options.name.clone(),
            id: bind.options.id,
            bind: bi,
        });
    }
    Ok(())
}

/// A UNIX or abstract listener waiting in [`PREOPENED`] for `addr`.
fn preopened_unix(addr: &ListenAddr) -> Option<ListenSock> {
    let fd = take_preopened(&preopened_key(addr, None)?)?;
    let l = std::os::unix::net::UnixListener::from(fd);
    l.set_nonblocking(true).ok()?;
    Some(ListenSock::Unix(mio::net::UnixListener::from_std(l)))
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

/// A UNIX (or, with `abstract_ns`, abstract-namespace) listener. A path is bound under a
/// temporary name, given the bind's `mode`/`uid`/`gid`, then renamed over the final one, as
/// HAProxy does, so a reload replaces the old process's socket without a moment where the
/// path does not answer.
fn bind_unix(path: &str, abstract_ns: bool, bind: &Bind) -> std::io::Result<ListenSock> {
    let l = if abstract_ns {
        std::os::unix::net::UnixListener::bind_addr(&unix_addr(path, true)?)?
    } else {
        let tmp = format!("{path}.{}.tmp", std::process::id());
        let _ = std::fs::remove_file(&tmp);
        let l = std::os::unix::net::UnixListener::bind(&tmp)?;
        let o = &bind.options;
        if let Some(mode) = o.unix_mode {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
        }
        if o.unix_uid.is_some() || o.unix_gid.is_some() {
            std::os::unix::fs::chown(&tmp, o.unix_uid, o.unix_gid)?;
        }
        if let Err(e) = std::fs::rename(&tmp, path) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        l
    };
    l.set_nonblocking(true)?;
    Ok(ListenSock::Unix(mio::net::UnixListener::from_std(l)))
}

/// HAProxy's alert for a listener that could not be bound to `what` (a path or name).
fn bind_error_text(px: &Proxy, bind: &Bind, e: &std::io::Error, what: &str) -> String {
    format!(
        "Binding [{}] for {} {}: cannot bind socket ({}) for [{what}]",
        bind.loc,
        proxy_type(px),
        px.name,
        strerror(e)
    )
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

    fn int_opt(l: &mio::net::TcpListener, level: libc::c_int, opt: libc::c_int) -> libc::c_int {
        use std::os::fd::AsRawFd;
        let (mut v, mut len): (libc::c_int, libc::socklen_t) = (0, 4);
        // SAFETY: a live listener's descriptor and an int with its size.
        let rc = unsafe {
            libc::getsockopt(
                l.as_raw_fd(),
                level,
                opt,
                (&mut v as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0);
        v
    }

    /// `tfo` and `defer-accept` set the kernel options as HAProxy does (queue = backlog,
    /// one second).
    #[test]
    fn tfo_and_defer_accept_reach_the_socket() {
        let mut px = proxy_with(vec![ListenAddr::Inet {
            addr: "127.0.0.1:0".parse().unwrap(),
            port_end: 0,
        }]);
        px.binds[0].options.tfo = true;
        px.binds[0].options.defer_accept = true;
        px.binds[0].options.backlog = Some(77);
        let ls = open_proxy(&px, 0, &mut HashSet::new(), &mut Vec::new(), true).unwrap();
        let ListenSock::Tcp(l) = &ls[0].sock else {
            panic!("not TCP")
        };
        assert_eq!(int_opt(l, libc::IPPROTO_TCP, libc::TCP_FASTOPEN), 77);
        // The kernel reports the delay rounded to its retransmission steps: non-zero.
        assert!(int_opt(l, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT) > 0);
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
        assert_eq!(ls[1].sock.local_inet().unwrap(), want);
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
        assert!(ls[0].sock.local_inet().unwrap().ip().is_loopback());
    }

    #[test]
    fn unix_and_abstract_listeners_bind_and_accept() {
        let dir = std::env::temp_dir().join(format!("hap-rs-unix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("l.sock").to_string_lossy().into_owned();
        let name = format!("hap-rs-test-{}", std::process::id());
        let mut px = proxy_with(vec![
            ListenAddr::Unix { path: path.clone() },
            ListenAddr::Abns { name: name.clone() },
        ]);
        px.binds[0].options.unix_mode = Some(0o600);
        let mut w = Vec::new();
        let ls = open_proxy(&px, 0, &mut HashSet::new(), &mut w, true).unwrap();
        assert_eq!(ls.len(), 2);
        assert!(w.is_empty(), "{w:?}");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // A client reaches both (the abstract name with HAProxy's padding).
        let _c = std::os::unix::net::UnixStream::connect(&path).unwrap();
        let _a =
            std::os::unix::net::UnixStream::connect_addr(&unix_addr(&name, true).unwrap()).unwrap();
        let mut got = 0;
        for l in &ls {
            for _ in 0..100 {
                if l.sock.accept().is_ok() {
                    got += 1;
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        assert_eq!(got, 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
