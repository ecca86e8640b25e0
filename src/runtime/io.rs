//! Socket I/O with edge-triggered readiness: mio reports a socket readable or writable once,
//! so we remember it until a call returns `WouldBlock`. Without this an edge-triggered event
//! consumed while a buffer was full would be lost and the connection would stall.

use std::cell::RefCell;
use std::io::{ErrorKind, Read, Write};

use super::stream::Stream;

/// Per-thread pool of released buffer allocations, like HAProxy's `pool_head_buffer`: a
/// keep-alive connection gives its buffers back between requests and takes them again for
/// the next one, which without a pool is a 16 KiB malloc + memset (and page faults when
/// the allocator trims) four times per request.
const POOL_MAX: usize = 64;
/// Larger allocations (a buffer grown by `extend`) are freed instead of pooled.
const POOL_MAX_LEN: usize = 256 * 1024;

thread_local! {
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

fn pool_take(limit: usize) -> Vec<u8> {
    POOL.try_with(|p| p.borrow_mut().pop())
        .ok()
        .flatten()
        .filter(|v| v.len() >= limit)
        .unwrap_or_default()
}

fn pool_give(v: Vec<u8>) {
    if v.is_empty() || v.len() > POOL_MAX_LEN {
        return;
    }
    let _ = POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < POOL_MAX {
            p.push(v);
        }
    });
}

/// A byte buffer read from one socket and written to another: a fixed allocation
/// (`tune.bufsize`) zeroed once, content in `data[start..end]`. Reads go straight into the
/// free tail and writes advance `start`, so forwarding copies each byte once and never
/// clears memory per read. The allocation is made on first use (taken from the thread's
/// pool when one is there) and given back to the pool when the connection goes idle or
/// the buffer is dropped.
#[derive(Debug, Default)]
pub struct Buf {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl Buf {
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    pub fn bytes(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }
    pub fn consume(&mut self, n: usize) {
        self.start += n.min(self.len());
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }
    /// Appends `b` (growing the allocation when a caller builds more than one buffer's
    /// worth, e.g. a rewritten head plus body bytes).
    pub fn extend(&mut self, b: &[u8]) {
        self.make_room(b.len());
        self.data[self.end..self.end + b.len()].copy_from_slice(b);
        self.end += b.len();
    }
    /// Room for `n` more bytes at the tail, moving content to the front first.
    fn make_room(&mut self, n: usize) {
        if self.data.is_empty() {
            self.data = pool_take(0);
        }
        if self.data.len() - self.end >= n {
            return;
        }
        if self.start > 0 {
            self.data.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.data.len() - self.end < n {
            self.data.resize(self.end + n, 0);
        }
    }
    /// The free tail for `io::Read`, keeping at most `limit` bytes of content.
    fn tail(&mut self, limit: usize) -> Option<&mut [u8]> {
        if self.len() >= limit {
            return None;
        }
        if self.data.is_empty() {
            self.data = pool_take(limit);
        }
        if self.data.len() < limit {
            self.data.resize(limit, 0);
        }
        if self.data.len() - self.end < limit - self.len() {
            self.make_room(limit - self.len());
        }
        let room = limit - self.len();
        Some(&mut self.data[self.end..self.end + room])
    }
    pub fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }
    /// Gives the memory back to the thread's pool (an idle connection keeps no buffer).
    pub fn release(&mut self) {
        pool_give(std::mem::take(&mut self.data));
        self.start = 0;
        self.end = 0;
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        pool_give(std::mem::take(&mut self.data));
    }
}

/// A write failed: the peer reset or closed the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteError;

/// What a read attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOutcome {
    /// Bytes were appended (and more may follow later).
    Data(usize),
    /// Nothing now; wait for readiness.
    Blocked,
    /// The buffer is full: the consumer must drain it first.
    Full,
    /// The peer shut its sending side.
    Eof,
    Error,
}

/// A non-blocking socket and the readiness mio last reported for it.
#[derive(Debug)]
pub struct Sock {
    pub s: Stream,
    pub readable: bool,
    pub writable: bool,
    /// We received EOF.
    pub read_closed: bool,
    /// We shut our sending side.
    pub write_closed: bool,
    /// mio reported the peer's shutdown (or an error) pending: read until EOF/`WouldBlock`.
    hup: bool,
    /// mio reported an error or a hang-up: only then does a connect need `SO_ERROR` read
    /// (HAProxy's `sock_conn_check()` saves that syscall the same way).
    pub err_seen: bool,
    /// `SO_LINGER` 0 is set: closing resets the connection unless the peer closed first.
    /// HAProxy's `FD_LINGER_RISK` on server connections: a connection we give up (idle,
    /// refused by the pool, aborted) leaves neither a FIN exchange nor a `TIME_WAIT`
    /// socket behind.
    nolinger: bool,
    /// Counts this connection among its server's connections in use (`curr_used_conns`)
    /// while a request holds it; `None` while idle or for a client connection.
    pub used: Option<super::pool::UsedTicket>,
}

impl Sock {
    pub fn new(s: Stream) -> Sock {
        Sock {
            s,
            readable: true,
            writable: true,
            read_closed: false,
            write_closed: false,
            hup: false,
            err_seen: false,
            nolinger: false,
            used: None,
        }
    }

    /// Closing will reset the connection (see [`Sock::nolinger`]) until the peer's EOF.
    pub fn arm_nolinger(&mut self) {
        if !self.nolinger && self.s.set_nolinger(true) {
            self.nolinger = true;
        }
    }

    /// A socket re-wrapped (TLS) keeps what the plain one had armed.
    pub fn carry_from(&mut self, nolinger: bool, used: Option<super::pool::UsedTicket>) {
        self.nolinger = nolinger;
        self.used = used;
    }

    pub fn nolinger(&self) -> bool {
        self.nolinger
    }

    /// The stream, for a caller that wraps it (TLS).
    pub fn into_stream(self) -> Stream {
        self.s
    }

    pub fn on_event(&mut self, ev: &mio::event::Event) {
        if self.s.is_tls() {
            // OpenSSL may need either direction for a read or a write (handshake
            // messages, tickets, alerts): any event makes both worth a try.
            self.readable = true;
            self.writable = true;
        }
        if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
            self.readable = true;
        }
        if ev.is_read_closed() || ev.is_error() {
            self.hup = true;
        }
        if ev.is_writable() || ev.is_write_closed() || ev.is_error() {
            self.writable = true;
        }
        if ev.is_error() || ev.is_write_closed() {
            self.err_seen = true;
        }
    }

    /// One read into `buf`, up to `limit` buffered bytes.
    pub fn read_into(&mut self, buf: &mut Buf, limit: usize) -> ReadOutcome {
        if self.read_closed {
            return ReadOutcome::Eof;
        }
        loop {
            if !self.readable {
                return ReadOutcome::Blocked;
            }
            let Some(tail) = buf.tail(limit) else {
                return ReadOutcome::Full;
            };
            let room = tail.len();
            let r = self.s.read(tail);
            if let Ok(n) = r {
                buf.end += n;
                // A short read emptied the socket's receive queue: anything arriving later
                // raises a new edge, so the read that would only return `WouldBlock` is
                // skipped (as HAProxy's raw_sock does). Not when a shutdown or error is
                // pending: its edge was already reported, the next read must see it.
                // Not for TLS either: OpenSSL may hold further records already read.
                if n > 0 && n < room && !self.hup && !self.s.is_tls() {
                    self.readable = false;
                }
            }
            return match r {
                Ok(0) => {
                    self.read_closed = true;
                    // The peer closed first: our close is a normal one (`conn_sock_read0()`).
                    if self.nolinger {
                        self.nolinger = false;
                        self.s.set_nolinger(false);
                    }
                    ReadOutcome::Eof
                }
                Ok(n) => ReadOutcome::Data(n),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.readable = false;
                    ReadOutcome::Blocked
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => ReadOutcome::Error,
            };
        }
    }

    /// Writes as much of `buf` as the socket takes. `Err` on a write error (the peer is
    /// gone: the caller ends the connection).
    pub fn write_from(&mut self, buf: &mut Buf) -> Result<usize, WriteError> {
        self.write_from_more(buf, false)
    }

    /// [`Sock::write_from`]; with `more`, the caller knows more bytes of the same message
    /// follow, and the kernel may hold a partial segment for them (`MSG_MORE`).
    pub fn write_from_more(&mut self, buf: &mut Buf, more: bool) -> Result<usize, WriteError> {
        let mut total = 0;
        while !buf.is_empty() && self.writable {
            let r = if more {
                self.s.write_more(buf.bytes())
            } else {
                self.s.write(buf.bytes())
            };
            match r {
                Ok(0) => return Err(WriteError),
                Ok(n) => {
                    buf.consume(n);
                    total += n;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.writable = false,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err(WriteError),
            }
        }
        Ok(total)
    }

    pub fn shutdown_write(&mut self) {
        if !self.write_closed {
            self.write_closed = true;
            let _ = self.s.shutdown(std::net::Shutdown::Write);
        }
    }
}
