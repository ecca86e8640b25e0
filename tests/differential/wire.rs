//! A buffered socket with bounded reads, and just enough HTTP/1 framing to know where a
//! message ends (head, Content-Length, chunked, until close). Every read has a deadline.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// Why a read stopped before it got what it wanted. Resets count as closes: whether the
/// kernel sends FIN or RST depends on unread bytes, i.e. on timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Closed,
    Timeout,
}

impl Stop {
    pub fn word(self) -> &'static str {
        match self {
            Stop::Closed => "closed",
            Stop::Timeout => "timeout",
        }
    }
}

pub struct Conn {
    pub s: TcpStream,
    pub buf: Vec<u8>,
    pub eof: bool,
}

impl Conn {
    pub fn new(s: TcpStream) -> Conn {
        let _ = s.set_nodelay(true);
        Conn {
            s,
            buf: Vec::new(),
            eof: false,
        }
    }

    /// One read into the buffer, waiting at most until `deadline`.
    fn fill(&mut self, deadline: Instant) -> Result<(), Stop> {
        if self.eof {
            return Err(Stop::Closed);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Stop::Timeout);
        }
        let wait = (deadline - now).max(Duration::from_millis(1));
        self.s
            .set_read_timeout(Some(wait))
            .map_err(|_| Stop::Closed)?;
        let mut b = [0u8; 16384];
        match self.s.read(&mut b) {
            Ok(0) => {
                self.eof = true;
                Err(Stop::Closed)
            }
            Ok(n) => {
                self.buf.extend_from_slice(&b[..n]);
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(Stop::Timeout)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(()),
            Err(_) => {
                self.eof = true;
                Err(Stop::Closed)
            }
        }
    }

    /// Waits, in slices, until bytes are buffered, the peer closes, `done()` turns true or
    /// `limit` passes. For idle keep-alive server connections, which the proxy may keep
    /// for as long as it runs: their end must not depend on how long a run takes.
    pub fn await_data(&mut self, limit: Duration, done: impl Fn() -> bool) -> Result<(), Stop> {
        let end = Instant::now() + limit;
        while self.buf.is_empty() {
            let slice = (Instant::now() + Duration::from_millis(100)).min(end);
            match self.fill(slice) {
                Ok(()) => {}
                Err(Stop::Timeout) if !done() && Instant::now() < end => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        self.buf.drain(..n).collect()
    }

    /// Everything buffered so far (what arrived before a failure).
    pub fn take_all(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    pub fn read_exact(&mut self, n: usize, deadline: Instant) -> Result<Vec<u8>, Stop> {
        while self.buf.len() < n {
            self.fill(deadline)?;
        }
        Ok(self.take(n))
    }

    /// Reads until the peer closes; returns the bytes and how it ended.
    pub fn read_to_close(&mut self, deadline: Instant) -> (Vec<u8>, Stop) {
        loop {
            if let Err(e) = self.fill(deadline) {
                return (self.take_all(), e);
            }
        }
    }

    /// A line ending in LF (the chunked framing).
    fn read_line(&mut self, deadline: Instant) -> Result<Vec<u8>, Stop> {
        loop {
            if let Some(i) = self.buf.iter().position(|&c| c == b'\n') {
                return Ok(self.take(i + 1));
            }
            self.fill(deadline)?;
        }
    }

    /// A message head: up to the empty line (CRLF CRLF, or bare LF LF).
    pub fn read_head(&mut self, deadline: Instant) -> Result<Vec<u8>, Stop> {
        loop {
            if let Some(end) = head_end(&self.buf) {
                return Ok(self.take(end));
            }
            self.fill(deadline)?;
        }
    }

    /// A chunked body, returned as it was on the wire (sizes, data, trailers). On failure:
    /// what arrived, and why it stopped.
    pub fn read_chunked(&mut self, deadline: Instant) -> Result<Vec<u8>, (Vec<u8>, Stop)> {
        let mut out = Vec::new();
        let r = self.chunked_into(&mut out, deadline);
        match r {
            Ok(()) => Ok(out),
            Err(e) => {
                out.extend(self.take_all());
                Err((out, e))
            }
        }
    }

    fn chunked_into(&mut self, out: &mut Vec<u8>, deadline: Instant) -> Result<(), Stop> {
        // Bounded: each round consumes at least one line.
        for _ in 0..100_000 {
            let line = self.read_line(deadline)?;
            let text = String::from_utf8_lossy(&line);
            let size_txt = text
                .trim()
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            out.extend_from_slice(&line);
            let Ok(size) = usize::from_str_radix(&size_txt, 16) else {
                // Not chunked after all: keep what came and stop framing.
                return Ok(());
            };
            if size == 0 {
                loop {
                    let t = self.read_line(deadline)?;
                    out.extend_from_slice(&t);
                    if t == b"\r\n" || t == b"\n" {
                        return Ok(());
                    }
                }
            }
            out.extend(self.read_exact(size, deadline)?);
            out.extend(self.read_line(deadline)?);
        }
        Ok(())
    }

    pub fn send(&mut self, b: &[u8]) -> bool {
        self.s.write_all(b).is_ok()
    }

    pub fn shutdown_write(&mut self) {
        let _ = self.s.shutdown(Shutdown::Write);
    }
}

pub fn head_end(b: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' {
            if b.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

/// A parsed head: the start line and the header fields in order (names as received).
#[derive(Debug, Clone, Default)]
pub struct Head {
    pub start: String,
    pub fields: Vec<(String, String)>,
}

impl Head {
    pub fn parse(raw: &[u8]) -> Head {
        let text = String::from_utf8_lossy(raw);
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let start = lines.next().unwrap_or("").to_string();
        let fields = lines
            .filter(|l| !l.is_empty())
            .map(|l| match l.split_once(':') {
                Some((n, v)) => (n.to_string(), v.trim().to_string()),
                None => (l.to_string(), String::new()),
            })
            .collect();
        Head { start, fields }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn chunked(&self) -> bool {
        self.fields.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
        })
    }

    pub fn content_length(&self) -> Option<usize> {
        self.get("content-length")
            .and_then(|v| v.trim().parse().ok())
    }

    /// Status code of a response head.
    pub fn status(&self) -> Option<u16> {
        self.start.split(' ').nth(1).and_then(|c| c.parse().ok())
    }
}

/// How a body is delimited.
pub enum Framing {
    None,
    Length(usize),
    Chunked,
    UntilClose,
}

pub fn request_framing(h: &Head) -> Framing {
    if h.chunked() {
        Framing::Chunked
    } else if let Some(n) = h.content_length() {
        Framing::Length(n)
    } else {
        Framing::None
    }
}

pub fn response_framing(h: &Head, to_head: bool) -> Framing {
    let st = h.status().unwrap_or(0);
    if to_head || (100..200).contains(&st) || st == 204 || st == 304 {
        Framing::None
    } else if h.chunked() {
        Framing::Chunked
    } else if let Some(n) = h.content_length() {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    }
}

/// Reads a body by its framing. On failure returns what arrived and why it stopped.
pub fn read_body(c: &mut Conn, f: Framing, deadline: Instant) -> Result<Vec<u8>, (Vec<u8>, Stop)> {
    match f {
        Framing::None => Ok(Vec::new()),
        Framing::Length(n) => c.read_exact(n, deadline).map_err(|e| (c.take_all(), e)),
        Framing::Chunked => c.read_chunked(deadline),
        Framing::UntilClose => match c.read_to_close(deadline) {
            (b, Stop::Closed) => Ok(b),
            (b, e) => Err((b, e)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A connected pair: (what the test writes to, the Conn reading it).
    fn pair() -> (TcpStream, Conn) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let w = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (r, _) = l.accept().unwrap();
        (w, Conn::new(r))
    }

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(2)
    }

    #[test]
    fn head_end_accepts_crlf_and_bare_lf() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n\r\nrest"), Some(24));
        assert_eq!(head_end(b"GET / HTTP/1.1\nA: b\n\nrest"), Some(21));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n"), None);
    }

    #[test]
    fn chunked_body_is_kept_as_on_the_wire_and_the_rest_stays_buffered() {
        let (mut w, mut c) = pair();
        w.write_all(b"3\r\nabc\r\n0\r\nx-t: 1\r\n\r\nNEXT").unwrap();
        assert_eq!(
            c.read_chunked(soon()).unwrap(),
            b"3\r\nabc\r\n0\r\nx-t: 1\r\n\r\n"
        );
        assert_eq!(c.read_exact(4, soon()).unwrap(), b"NEXT");
    }

    #[test]
    fn framing_of_responses() {
        let h = Head::parse(b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n");
        assert!(matches!(response_framing(&h, false), Framing::None));
        let h = Head::parse(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
        assert!(matches!(response_framing(&h, false), Framing::Length(5)));
        assert!(matches!(response_framing(&h, true), Framing::None));
        let h = Head::parse(b"HTTP/1.1 200 OK\r\n\r\n");
        assert!(matches!(response_framing(&h, false), Framing::UntilClose));
        let h = Head::parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        assert!(matches!(request_framing(&h), Framing::Chunked));
    }

    #[test]
    fn reads_end_with_closed_or_timeout_never_hang() {
        let (w, mut c) = pair();
        let t = Instant::now();
        assert_eq!(
            c.read_head(Instant::now() + Duration::from_millis(100)),
            Err(Stop::Timeout)
        );
        assert!(t.elapsed() < Duration::from_secs(1));
        drop(w);
        assert_eq!(c.read_to_close(soon()), (Vec::new(), Stop::Closed));
        assert_eq!(
            c.await_data(Duration::from_secs(5), || false),
            Err(Stop::Closed)
        );
    }
}
