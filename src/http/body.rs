//! Streaming body framing (`h1_parse_chunk_size()`, `h1_skip_chunk_crlf()`,
//! `h1_parse_msg_tlrs()`), and the chunked encoding HAProxy re-applies on output.
//!
//! HAProxy does not forward chunked bodies byte for byte: the H1 mux decodes them into HTX
//! data and re-encodes them on the other side, so the peer sees one chunk per forwarded
//! batch (consecutive chunks merged), the size in upper-case hex without leading zeros,
//! chunk extensions removed, and trailers lower-cased like headers. Content-Length and
//! close-delimited bodies are forwarded as they are.

use std::ops::Range;

use super::h1::{self, Header};
use super::write::{self, CaseMap};
use super::{ErrKind, Framing, H1Error, ParseOpts};

/// What one [`BodyDecoder::decode`] call found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BodyEvent {
    /// Bytes of the input used (payload and framing): the caller drops them. Bytes after
    /// them are either more of this body (call again) or, once `done`, the next message.
    pub consumed: usize,
    /// Payload bytes, as a range of the input (empty when none); at most one segment per
    /// call, so call again with `input[consumed..]`.
    pub data: Range<usize>,
    /// The trailer block, a range of this call's input, once complete; its parsed lines
    /// are in [`BodyDecoder::trailers`].
    pub trailers: Option<Range<usize>>,
    /// The message is complete.
    pub done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Length(u64),
    UntilClose,
    /// Reading a chunk-size line: the size so far, whether a digit was seen, and where on
    /// the line we are.
    Size(u64, SizeAt),
    Data(u64),
    /// After chunk data: `true` once its CR was seen.
    DataEnd(bool),
    Trailers,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SizeAt {
    Digits(bool),
    Blanks,
    Ext,
    Cr,
}

/// Largest chunk size HAProxy accepts: it stops at 2^52 (13 hex digits).
const MAX_CHUNK: u64 = 1 << 52;

/// Frames one message body fed in arbitrary slices.
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    st: St,
    status: u16,
    opts: ParseOpts,
    trailers: Vec<Header>,
}

impl BodyDecoder {
    /// `is_response` picks the status of errors: 400 on requests, 502 on responses.
    pub fn new(framing: Framing, is_response: bool, opts: &ParseOpts) -> BodyDecoder {
        let mut d = BodyDecoder {
            st: St::Done,
            status: if is_response { 502 } else { 400 },
            opts: *opts,
            trailers: Vec::new(),
        };
        d.reset(framing);
        d
    }

    /// Starts the next message, keeping the trailer vector's allocation.
    pub fn reset(&mut self, framing: Framing) {
        self.trailers.clear();
        self.st = match framing {
            Framing::None | Framing::ContentLength(0) => St::Done,
            Framing::ContentLength(n) => St::Length(n),
            Framing::Chunked => St::Size(0, SizeAt::Digits(false)),
            Framing::UntilClose => St::UntilClose,
        };
    }

    pub fn is_done(&self) -> bool {
        self.st == St::Done
    }

    /// Payload bytes still expected with Content-Length, or in the current chunk.
    pub fn remaining(&self) -> Option<u64> {
        match self.st {
            St::Length(n) | St::Data(n) => Some(n),
            St::Done => Some(0),
            _ => None,
        }
    }

    /// The trailer lines of the last [`BodyEvent::trailers`], spans relative to the input of
    /// that call.
    pub fn trailers(&self) -> &[Header] {
        &self.trailers
    }

    fn err(&self, pos: usize, kind: ErrKind) -> H1Error {
        H1Error::new(self.status, pos, kind)
    }

    /// The peer closed: fine for a close-delimited or finished body, an error otherwise.
    pub fn finish(&self) -> Result<(), H1Error> {
        match self.st {
            St::Done | St::UntilClose => Ok(()),
            _ => Err(self.err(0, ErrKind::Truncated)),
        }
    }

    pub fn decode(&mut self, input: &[u8]) -> Result<BodyEvent, H1Error> {
        let mut pos = 0;
        loop {
            match self.st {
                St::Done => {
                    return Ok(BodyEvent {
                        consumed: pos,
                        data: pos..pos,
                        trailers: None,
                        done: true,
                    })
                }
                St::UntilClose => {
                    return Ok(BodyEvent {
                        consumed: input.len(),
                        data: pos..input.len(),
                        trailers: None,
                        done: false,
                    })
                }
                St::Length(n) | St::Data(n) => {
                    let take = n.min((input.len() - pos) as u64) as usize;
                    if take == 0 {
                        return Ok(more(pos));
                    }
                    let left = n - take as u64;
                    let chunked = matches!(self.st, St::Data(_));
                    self.st = match (chunked, left) {
                        (false, 0) => St::Done,
                        (false, l) => St::Length(l),
                        (true, 0) => St::DataEnd(false),
                        (true, l) => St::Data(l),
                    };
                    return Ok(BodyEvent {
                        consumed: pos + take,
                        data: pos..pos + take,
                        trailers: None,
                        done: self.st == St::Done,
                    });
                }
                St::DataEnd(cr) => {
                    let Some(&b) = input.get(pos) else {
                        return Ok(more(pos));
                    };
                    match (cr, b) {
                        (false, b'\r') => self.st = St::DataEnd(true),
                        (_, b'\n') => self.st = St::Size(0, SizeAt::Digits(false)),
                        _ => return Err(self.err(pos, ErrKind::Chunk)),
                    }
                    pos += 1;
                }
                St::Size(n, at) => {
                    let Some(&b) = input.get(pos) else {
                        return Ok(more(pos));
                    };
                    self.st = self.size_byte(n, at, b, pos)?;
                    pos += 1;
                }
                St::Trailers => {
                    let mut cx_trailers = std::mem::take(&mut self.trailers);
                    cx_trailers.clear();
                    let r =
                        h1::parse_trailers(input, pos, &self.opts, self.status, &mut cx_trailers);
                    self.trailers = cx_trailers;
                    match r? {
                        Some(end) => {
                            self.st = St::Done;
                            return Ok(BodyEvent {
                                consumed: end,
                                data: end..end,
                                trailers: Some(pos..end),
                                done: true,
                            });
                        }
                        None if input.len() - pos >= self.opts.max_raw() => {
                            return Err(self.err(input.len(), ErrKind::Trailers))
                        }
                        // The whole block must be contiguous: leave it in the caller's
                        // buffer until it is complete.
                        None => return Ok(more(pos)),
                    }
                }
            }
        }
    }

    fn size_byte(&self, n: u64, at: SizeAt, b: u8, pos: usize) -> Result<St, H1Error> {
        let bad = || self.err(pos, ErrKind::Chunk);
        Ok(match at {
            SizeAt::Digits(seen) => {
                if let Some(d) = (b as char).to_digit(16) {
                    let n = (n << 4) | u64::from(d);
                    if n >= MAX_CHUNK {
                        return Err(bad());
                    }
                    St::Size(n, SizeAt::Digits(true))
                } else if !seen {
                    return Err(bad());
                } else {
                    self.after_size(n, b, pos)?
                }
            }
            SizeAt::Blanks => self.after_size(n, b, pos)?,
            SizeAt::Ext => match b {
                b'\r' => St::Size(n, SizeAt::Cr),
                b'\n' => self.line_done(n),
                _ => St::Size(n, SizeAt::Ext),
            },
            SizeAt::Cr => {
                if b != b'\n' {
                    return Err(bad());
                }
                self.line_done(n)
            }
        })
    }

    /// After the digits: blanks, then an extension or the end of the line.
    fn after_size(&self, n: u64, b: u8, pos: usize) -> Result<St, H1Error> {
        Ok(match b {
            b' ' | b'\t' => St::Size(n, SizeAt::Blanks),
            b';' => St::Size(n, SizeAt::Ext),
            b'\r' => St::Size(n, SizeAt::Cr),
            b'\n' => self.line_done(n),
            _ => return Err(self.err(pos, ErrKind::Chunk)),
        })
    }

    fn line_done(&self, n: u64) -> St {
        if n == 0 {
            St::Trailers
        } else {
            St::Data(n)
        }
    }
}

fn more(pos: usize) -> BodyEvent {
    BodyEvent {
        consumed: pos,
        data: pos..pos,
        trailers: None,
        done: false,
    }
}

/// Starts one output chunk of `len` payload bytes (`len` > 0), as HAProxy writes it:
/// upper-case hex, no leading zeros, no extension.
pub fn chunk_start(len: usize, out: &mut Vec<u8>) {
    debug_assert!(len > 0, "a zero-size chunk ends the body");
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    let mut n = len;
    while n > 0 {
        i -= 1;
        digits[i] = HEX[n & 15];
        n >>= 4;
    }
    out.extend_from_slice(&digits[i..]);
    out.extend_from_slice(b"\r\n");
}

/// Ends an output chunk.
pub fn chunk_end(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\r\n");
}

/// One whole output chunk.
pub fn write_chunk(data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        return;
    }
    chunk_start(data.len(), out);
    out.extend_from_slice(data);
    chunk_end(out);
}

/// The last chunk with the trailers (`trailers` from [`BodyDecoder::trailers`], spans into
/// `buf`), re-emitted like headers: lower-case names, trimmed values, folding undone.
pub fn write_last_chunk(
    buf: &[u8],
    trailers: &[Header],
    case: Option<&CaseMap>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"0\r\n");
    for h in trailers {
        write::header_line(buf, h, case, out);
    }
    out.extend_from_slice(b"\r\n");
}
