//! One accepted client connection: socket I/O around the [`H1`] state, timeouts and a
//! lingering close (so a response is not destroyed by a reset when unread input remains).

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

use mio::net::TcpStream;

use super::h1::{H1, MAX_HEAD};
use super::proxy::ProxyRt;

/// How long a closing connection keeps draining input after our shutdown.
const LINGER: Duration = Duration::from_secs(1);
/// A client pipelining this much unprocessed input is dropped.
const MAX_INBUF: usize = 1024 * 1024;

#[derive(Debug)]
pub struct Conn {
    pub sock: TcpStream,
    pub proxy: usize,
    h1: H1,
    peer_closed: bool,
    /// Start of the current wait for a request (accept, or end of the previous response).
    wait_since: Instant,
    last_write: Instant,
    /// Set once our side is shut down: drain until the peer closes or this instant.
    closing_until: Option<Instant>,
}

impl Conn {
    pub fn new(sock: TcpStream, proxy: usize, now: Instant) -> Conn {
        Conn {
            sock,
            proxy,
            h1: H1::new(),
            peer_closed: false,
            wait_since: now,
            last_write: now,
            closing_until: None,
        }
    }

    /// Handles readiness; returns false when the connection is finished and can be dropped.
    pub fn on_ready(&mut self, px: &ProxyRt, now: Instant) -> bool {
        if self.closing_until.is_some() {
            return self.drain();
        }
        loop {
            let before = self.h1.requests;
            if !self.read_some(px) {
                return false;
            }
            if self.h1.requests != before {
                self.wait_since = now;
            }
            let pending = self.h1.outbuf.len();
            if !self.flush(now) {
                return false;
            }
            // Re-process when output drained below the high-water mark with input left.
            let progressed = self.h1.outbuf.len() < pending;
            if !self.h1.outbuf.is_empty() || !progressed || self.h1.inbuf.is_empty() {
                break;
            }
        }
        if self.h1.outbuf.is_empty() && (self.h1.close || self.peer_closed) {
            return self.start_close(now);
        }
        true
    }

    /// When the next timeout of this connection fires, if any.
    pub fn deadline(&self, px: &ProxyRt) -> Option<Instant> {
        if let Some(t) = self.closing_until {
            return Some(t);
        }
        let t = &px.timeouts;
        if !self.h1.outbuf.is_empty() {
            return t.client.map(|d| self.last_write + d);
        }
        let wait = if self.h1.requests == 0 || self.h1.mid_request() {
            t.request
        } else {
            t.keep_alive
        };
        wait.map(|d| self.wait_since + d)
    }

    /// Applies an expired timeout; returns false when the connection must be dropped.
    pub fn on_timeout(&mut self, px: &ProxyRt, now: Instant) -> bool {
        if self.deadline(px).is_none_or(|d| d > now) {
            return true;
        }
        if self.closing_until.is_some() || !self.h1.outbuf.is_empty() {
            return false;
        }
        if self.h1.requests > 0 && !self.h1.mid_request() {
            // Idle keep-alive connection: HAProxy closes silently.
            return false;
        }
        self.h1.request_timeout();
        if !self.flush(now) {
            return false;
        }
        self.start_close(now)
    }

    /// Reads everything available, answering requests as they complete.
    fn read_some(&mut self, px: &ProxyRt) -> bool {
        let mut buf = [0u8; 16384];
        while !self.peer_closed && !self.h1.close {
            match self.sock.read(&mut buf) {
                Ok(0) => self.peer_closed = true,
                Ok(n) => {
                    self.h1.inbuf.extend_from_slice(&buf[..n]);
                    self.h1.process(px);
                    if self.h1.inbuf.len() > MAX_INBUF.max(2 * MAX_HEAD) {
                        return false;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        self.h1.process(px);
        true
    }

    /// Writes pending output until done or the socket is full.
    fn flush(&mut self, now: Instant) -> bool {
        while !self.h1.outbuf.is_empty() {
            match self.sock.write(&self.h1.outbuf) {
                Ok(0) => return false,
                Ok(n) => {
                    self.h1.outbuf.drain(..n);
                    self.last_write = now;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        true
    }

    fn start_close(&mut self, now: Instant) -> bool {
        let _ = self.sock.shutdown(Shutdown::Write);
        if self.peer_closed {
            return false;
        }
        self.closing_until = Some(now + LINGER);
        self.drain()
    }

    /// Discards input after our shutdown; false once the peer has closed too.
    fn drain(&mut self) -> bool {
        let mut buf = [0u8; 4096];
        loop {
            match self.sock.read(&mut buf) {
                Ok(0) => return false,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    }

    /// True while no request is in progress (used by the soft stop).
    pub fn is_idle(&self) -> bool {
        self.h1.outbuf.is_empty() && !self.h1.mid_request()
    }
}
