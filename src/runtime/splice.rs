//! Kernel splicing for `mode tcp` (`option splice-auto|splice-request|splice-response`):
//! bytes go socket → pipe → socket with `splice(2)` and never cross into user space, as
//! HAProxy's `raw_sock_to_pipe()`/`raw_sock_from_pipe()` move them. Pipes come from a
//! per-thread pool and go back to it as soon as they are empty, so an idle connection holds
//! none (HAProxy's `get_pipe()`/`put_pipe()`).

use std::cell::RefCell;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::io::{ReadOutcome, Sock, WriteError};

/// Pooled pipes per thread beyond which released ones are closed.
const POOL_MAX: usize = 64;

/// A pipe and how many bytes it holds.
#[derive(Debug)]
pub struct Pipe {
    r: OwnedFd,
    w: OwnedFd,
    pub len: usize,
}

thread_local! {
    static PIPES: RefCell<Vec<Pipe>> = const { RefCell::new(Vec::new()) };
}

impl Pipe {
    /// A pipe from the pool or a new one (`None` when the process is out of descriptors:
    /// the caller then copies through its buffer instead).
    pub fn take() -> Option<Pipe> {
        if let Some(p) = PIPES.try_with(|p| p.borrow_mut().pop()).ok().flatten() {
            return Some(p);
        }
        let mut fds = [0 as RawFd; 2];
        // SAFETY: `fds` is a writable array of two descriptors, as pipe2 requires.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return None;
        }
        // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Some(Pipe { r, w, len: 0 })
    }

    /// Back to the pool if empty (a pipe with bytes in it would hand them to another
    /// connection), else closed.
    pub fn give(self) {
        if self.len != 0 {
            return;
        }
        let _ = PIPES.try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < POOL_MAX {
                p.push(self);
            }
        });
    }
}

/// `splice()` between two descriptors, non-blocking, moving pages where it can.
fn splice(from: RawFd, to: RawFd, len: usize) -> std::io::Result<usize> {
    let flags = libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK;
    // SAFETY: both descriptors are open for the duration of the call; null offsets mean
    // "the current file position", as for sockets and pipes they must be.
    let n = unsafe {
        libc::splice(
            from,
            std::ptr::null_mut(),
            to,
            std::ptr::null_mut(),
            len,
            flags,
        )
    };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

impl Sock {
    /// Moves what the socket has received into `pipe`, up to `room` more bytes in it.
    /// A pipe that cannot take more looks the same to `splice()` as a socket with nothing
    /// to give (`EAGAIN`): only an empty pipe's `EAGAIN` means the socket is drained.
    pub fn splice_in(&mut self, pipe: &mut Pipe, room: usize) -> ReadOutcome {
        if self.read_closed {
            return ReadOutcome::Eof;
        }
        let Some(fd) = self.s.splice_fd() else {
            return ReadOutcome::Error;
        };
        loop {
            if !self.readable {
                return ReadOutcome::Blocked;
            }
            let max = room.saturating_sub(pipe.len);
            if max == 0 {
                return ReadOutcome::Full;
            }
            return match splice(fd, pipe.w.as_raw_fd(), max) {
                Ok(0) => {
                    self.read_closed = true;
                    ReadOutcome::Eof
                }
                Ok(n) => {
                    pipe.len += n;
                    ReadOutcome::Data(n)
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if pipe.len == 0 {
                        self.readable = false;
                        ReadOutcome::Blocked
                    } else {
                        ReadOutcome::Full
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => ReadOutcome::Error,
            };
        }
    }

    /// Sends what `pipe` holds; `Err` when the peer is gone.
    pub fn splice_out(&mut self, pipe: &mut Pipe) -> Result<usize, WriteError> {
        let Some(fd) = self.s.splice_fd() else {
            return Err(WriteError);
        };
        let mut total = 0;
        while pipe.len > 0 && self.writable {
            match splice(pipe.r.as_raw_fd(), fd, pipe.len) {
                Ok(0) => return Err(WriteError),
                Ok(n) => {
                    pipe.len -= n;
                    total += n;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => self.writable = false,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(WriteError),
            }
        }
        Ok(total)
    }
}
