//! Socket-free HTTP/1.1 message layer: HAProxy 2.6's H1 parser and H1 mux rules
//! (`src/h1.c`, `src/h1_htx.c`, `src/mux_h1.c`), bytes in, decisions and bytes out.
//!
//! The event loop owns buffers and sockets; this module only looks at byte slices, so that
//! every rule can be unit-tested and fuzzed without a network. Heads are parsed into
//! [`Span`]s over the caller's buffer (no copy, no allocation once the header vector has
//! grown), bodies are framed by a streaming [`body::BodyDecoder`], and heads are re-emitted
//! the way HAProxy's mux formats them ([`write`]).
//!
//! Every behaviour here was checked against HAProxy 2.6.12 (`/usr/sbin/haproxy`) with raw
//! bytes sent through a proxy to a recording backend; the tests quote the raw input and what
//! haproxy did with it.

pub mod body;
#[doc(hidden)]
pub mod check;
pub mod conn;
pub mod h1;
pub mod write;

pub use body::{chunk_end, chunk_start, write_chunk, write_last_chunk, BodyDecoder, BodyEvent};
pub use conn::{keep_alive, ConnOutcome, HttpMode, Modes, Want};
pub use h1::{
    is_h2_preface, parse_request, parse_response, unfold, validate_upgrade, ConnTokens, Framing,
    HdrKind, Header, Method, ParseOpts, ReqHead, RespHead, Status, Version,
};
pub use write::{write_request, write_response, CaseMap, ConnHdr, ForwardFor, HeadEdits};

use std::fmt;

/// A byte range of the caller's buffer. `u32` keeps [`Header`] at 16 bytes: heads are
/// bounded by `tune.bufsize`, far below 4 GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The bytes of this span in `buf` (the buffer the head was parsed from).
    pub fn get<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.start as usize..self.end as usize)
            .unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// Why a message was refused, with the status HAProxy answers and where it stopped (the
/// offset `show errors` reports, relative to the start of the buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct H1Error {
    /// 400 for requests (422 for a request `Transfer-Encoding` other than `chunked`), 502
    /// for anything a server sends.
    pub status: u16,
    pub pos: usize,
    pub kind: ErrKind,
}

/// What was wrong; the engine logs it, HAProxy's clients only see the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrKind {
    /// A byte not allowed where it was found (start line, header name, line ending).
    InvalidChar,
    /// Not `HTTP/x.y`, or an HTTP/0.9 request HAProxy does not convert.
    Version,
    /// Status code with a non-digit.
    Status,
    /// The head did not end within `bufsize - maxrewrite`.
    TooLarge,
    /// More than `tune.http.maxhdr - 1` header lines.
    TooManyHeaders,
    /// Malformed or conflicting `Content-Length`.
    ContentLength,
    /// `Transfer-Encoding` without a final `chunked`, or `chunked` twice.
    TransferEncoding,
    /// Several different `Host` headers, or one not matching an absolute URI's authority.
    Host,
    /// `CONNECT` target without a port.
    ConnectTarget,
    /// A WebSocket upgrade request without `Sec-WebSocket-Key`, or its 101 without
    /// `Sec-WebSocket-Accept`.
    WebSocket,
    /// Bad chunk size line, or chunk data not followed by CRLF.
    Chunk,
    /// Malformed or oversized trailer section.
    Trailers,
    /// The peer closed before the end of a Content-Length or chunked body.
    Truncated,
}

impl H1Error {
    pub(crate) fn new(status: u16, pos: usize, kind: ErrKind) -> H1Error {
        H1Error { status, pos, kind }
    }
}

impl fmt::Display for H1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} at offset {} (status {})",
            self.kind, self.pos, self.status
        )
    }
}

impl std::error::Error for H1Error {}

#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

/// HAProxy's `http_get_reason()`: the reason phrase for a status without a built-in page.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        210 => "Content Different",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        310 => "Too many Redirects",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Time-out",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Requested range unsatisfiable",
        417 => "Expectation failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Method failure",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        449 => "Retry With",
        450 => "Blocked by Windows Parental Controls",
        451 => "Unavailable For Legal Reasons",
        456 => "Unrecoverable Error",
        499 => "client has closed connection",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway or Proxy Error",
        503 => "Service Unavailable",
        504 => "Gateway Time-out",
        505 => "HTTP Version not supported",
        506 => "Variant also negotiate",
        507 => "Insufficient storage",
        508 => "Loop detected",
        509 => "Bandwidth Limit Exceeded",
        510 => "Not extended",
        511 => "Network authentication required",
        520 => "Web server is returning an unknown error",
        _ => class_reason(status),
    }
}

fn class_reason(status: u16) -> &'static str {
    match status {
        100..=199 => "Informational",
        200..=299 => "Success",
        300..=399 => "Redirection",
        400..=499 => "Client Error",
        500..=599 => "Server Error",
        _ => "Other",
    }
}
