//! Listening sockets handed from a running process to its replacement over a stats
//! socket (`stats socket … expose-fd listeners`, the replacement started with `-x <path>`),
//! so that a reload without a master shares the old process's sockets instead of binding
//! new ones beside them: what is queued on them is accepted by whoever is still accepting,
//! nothing is reset when the old process closes its copies. HAProxy's `_getsocks` command
//! and framing (`_getsocks()` in cli.c, `sock_get_old_sockets()` in sock.c): the count as
//! an int, then batches of at most 252 descriptors by SCM_RIGHTS, each described by a
//! namespace and an interface name (empty here) and 4 zero bytes, an int acknowledging
//! each full batch. A reload can so hand over between HAProxy and haproxy-rs either way.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Mutex;

/// The process's listening sockets, when a stats socket exposes them (copies, so they stay
/// open until the process exits, even once its workers stopped accepting).
static EXPOSED: Mutex<Vec<OwnedFd>> = Mutex::new(Vec::new());

/// HAProxy's `MAX_SEND_FD`.
const BATCH: usize = 252;
/// What one descriptor's description may take: HAProxy's buffer per descriptor
/// (`1 + MAXPATHLEN + 1 + IFNAMSIZ + sizeof(int)`).
const DESC_MAX: usize = 1 + 4096 + 1 + 16 + 4;

pub fn expose(fds: Vec<OwnedFd>) {
    *EXPOSED.lock().unwrap_or_else(|e| e.into_inner()) = fds;
}

/// A stats-socket connection whose command is `_getsocks`: sends every exposed socket and
/// returns true (the connection is then closed); false for anything else.
pub fn serve_getsocks(sock: &impl AsRawFd, input: &[u8]) -> bool {
    if input.strip_suffix(b"\n").unwrap_or(input).trim_ascii() != b"_getsocks" {
        return false;
    }
    let fds = EXPOSED.lock().unwrap_or_else(|e| e.into_inner());
    let raw: Vec<RawFd> = fds.iter().map(|f| f.as_raw_fd()).collect();
    let fd = sock.as_raw_fd();
    // Blocking with a one-second receive timeout while it lasts, as HAProxy does.
    // SAFETY: fcntl/setsockopt on the connection's live descriptor and a local timeval.
    let old = unsafe {
        let old = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, old & !libc::O_NONBLOCK);
        let tv = libc::timeval {
            tv_sec: 1,
            tv_usec: 0,
        };
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        );
        old
    };
    let total = raw.len() as i32;
    if !raw.is_empty() && send_fds(fd, &total.to_ne_bytes(), &[]).is_ok() {
        let n = raw.len();
        for (i, chunk) in raw.chunks(BATCH).enumerate() {
            // Per descriptor: no namespace, no interface, 4 zero bytes.
            let desc = vec![0u8; chunk.len() * 6];
            if send_fds(fd, &desc, chunk).is_err() {
                break;
            }
            if (i + 1) * BATCH < n {
                let mut ack = [0u8; 4];
                // SAFETY: recv into a local 4-byte buffer.
                if unsafe { libc::recv(fd, ack.as_mut_ptr().cast(), 4, 0) } <= 0 {
                    break;
                }
            }
        }
    }
    // SAFETY: restoring the descriptor's flags.
    unsafe {
        libc::fcntl(fd, libc::F_SETFL, old);
    }
    true
}

fn send_fds(sock: RawFd, data: &[u8], fds: &[RawFd]) -> std::io::Result<()> {
    let space = cmsg_space(fds.len());
    let mut cbuf = vec![0u8; space];
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: a zeroed msghdr pointing at `iov` and `cbuf`, both alive for the call; the
    // control header is written inside `cbuf`, whose size CMSG_SPACE computed.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if !fds.is_empty() {
            msg.msg_control = cbuf.as_mut_ptr().cast();
            msg.msg_controllen = space as _;
            let c = libc::CMSG_FIRSTHDR(&msg);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN((fds.len() * 4) as u32) as _;
            std::ptr::copy_nonoverlapping(
                fds.as_ptr().cast::<u8>(),
                libc::CMSG_DATA(c),
                fds.len() * 4,
            );
        }
        if libc::sendmsg(sock, &msg, 0) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

fn cmsg_space(n: usize) -> usize {
    // SAFETY: CMSG_SPACE is arithmetic on its argument.
    unsafe { libc::CMSG_SPACE((n * 4) as u32) as usize }
}

/// `-x <path>`: the listening sockets of the process serving `path` (HAProxy or
/// haproxy-rs), each with the key [`super::listener`] looks them up by.
pub fn fetch(path: &str) -> std::io::Result<Vec<(String, OwnedFd)>> {
    let mut s = std::os::unix::net::UnixStream::connect(path)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    s.write_all(b"_getsocks\n")?;
    let mut count = [0u8; 4];
    s.read_exact(&mut count)?;
    let total = i32::from_ne_bytes(count).max(0) as usize;
    let mut out = Vec::new();
    let mut got = 0;
    while got < total {
        let mut data = vec![0u8; BATCH * DESC_MAX];
        let space = cmsg_space(BATCH);
        let mut cbuf = vec![0u8; space];
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr().cast(),
            iov_len: data.len(),
        };
        let mut fds: Vec<OwnedFd> = Vec::new();
        // SAFETY: recvmsg into `data` and `cbuf`, alive for the call; the descriptors the
        // kernel installed are read from the control messages it wrote, each taken once.
        unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = cbuf.as_mut_ptr().cast();
            msg.msg_controllen = space as _;
            let n = libc::recvmsg(s.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC);
            if n <= 0 {
                return Err(std::io::Error::last_os_error());
            }
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                    let len = (*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                    let p = libc::CMSG_DATA(c).cast::<RawFd>();
                    for i in 0..len / 4 {
                        fds.push(OwnedFd::from_raw_fd(p.add(i).read_unaligned()));
                    }
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
        if fds.is_empty() {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        got += fds.len();
        for fd in fds {
            if let Some(k) = key_of(&fd) {
                out.push((k, fd));
            }
        }
        if got < total {
            s.write_all(&(got as i32).to_ne_bytes())?;
        }
    }
    Ok(out)
}

/// The key a socket listens on: `ip:port`, `unix@path`, `abns@name`.
fn key_of(fd: &OwnedFd) -> Option<String> {
    let a = socket2::SockRef::from(fd).local_addr().ok()?;
    if let Some(sa) = a.as_socket() {
        return Some(sa.to_string());
    }
    if let Some(p) = a.as_pathname() {
        return Some(format!("unix@{}", p.display()));
    }
    let name = a.as_abstract_namespace()?;
    let name = String::from_utf8_lossy(name);
    Some(format!("abns@{}", name.trim_end_matches('\0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listener exposed by one side arrives on the other, still listening.
    #[test]
    fn getsocks_round_trip() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        expose(vec![OwnedFd::from(l.try_clone().unwrap())]);
        let dir = std::env::temp_dir().join(format!("hap-rs-getsocks-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s");
        let srv = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let th = std::thread::spawn(move || {
            let (mut c, _) = srv.accept().unwrap();
            let mut b = [0u8; 64];
            let n = c.read(&mut b).unwrap();
            assert!(serve_getsocks(&c, &b[..n]));
        });
        let got = fetch(path.to_str().unwrap()).unwrap();
        th.join().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, addr.to_string());
        let taken = std::net::TcpListener::from(got.into_iter().next().unwrap().1);
        let _c = std::net::TcpStream::connect(addr).unwrap();
        assert!(taken.accept().is_ok());
        expose(Vec::new());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
