//! The HTTP/1 message facts the HTTP session needs — parsed heads, body framing, rewritten
//! heads — behind one narrow interface, so that the session's state machine does not
//! depend on how heads are parsed. (Implemented on `httparse` until the `http` module with
//! HAProxy's exact H1 rules replaces this file's internals.)

use super::io::Buf;
use super::sample::Req;

/// Largest request head accepted (`tune.bufsize` minus `tune.maxrewrite`).
pub const MAX_HEAD: usize = 16384 - 1024;
const MAX_HEADERS: usize = 101;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    None,
    Length(u64),
    Chunked,
    /// Response delimited by the server closing.
    UntilClose,
}

/// A parsed request head.
#[derive(Debug, Clone)]
pub struct ReqMsg {
    pub head_len: usize,
    pub req: Req,
    pub framing: Framing,
    /// The client asked for the connection to close after this exchange (HTTP/1.0 without
    /// keep-alive, `Connection: close`).
    pub wants_close: bool,
    pub head: bool,
    pub connect: bool,
    pub upgrade: bool,
}

/// A parsed response head.
#[derive(Debug, Clone)]
pub struct RespMsg {
    pub head_len: usize,
    pub status: u16,
    pub minor: u8,
    pub framing: Framing,
    pub wants_close: bool,
    /// Header lines in order (name, value).
    pub headers: Vec<(String, Vec<u8>)>,
}

/// `Ok(None)`: the head is incomplete. `Err(status)`: answer this status and close.
pub fn parse_request(buf: &[u8]) -> Result<Option<ReqMsg>, u16> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut p = httparse::Request::new(&mut headers);
    let n = match httparse::ParserConfig::default()
        .allow_multiple_spaces_in_request_line_delimiters(true)
        .parse_request(&mut p, buf)
    {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Err(400),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(400),
    };
    let req = Req {
        method: p.method.unwrap_or("").to_string(),
        uri: p.path.unwrap_or("").to_string(),
        minor: p.version.unwrap_or(1),
        headers: p
            .headers
            .iter()
            .map(|h| (h.name.to_string(), h.value.to_vec()))
            .collect(),
    };
    let framing = body_framing(&req.headers).ok_or(400u16)?;
    let framing = match framing {
        Framing::UntilClose => Framing::None,
        f => f,
    };
    let wants_close = if req.minor == 0 {
        !req.connection_has("keep-alive") || req.connection_has("close")
    } else {
        req.connection_has("close")
    };
    Ok(Some(ReqMsg {
        head_len: n,
        head: req.method == "HEAD",
        connect: req.method == "CONNECT",
        upgrade: req.connection_has("upgrade"),
        framing,
        wants_close,
        req,
    }))
}

/// `head`: the request was HEAD (no body follows whatever the headers say).
pub fn parse_response(buf: &[u8], head: bool) -> Result<Option<RespMsg>, u16> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut p = httparse::Response::new(&mut headers);
    let n = match p.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Err(502),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(502),
    };
    let status = p.code.unwrap_or(0);
    let minor = p.version.unwrap_or(1);
    let hdrs: Vec<(String, Vec<u8>)> = p
        .headers
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    let framing = if head || status < 200 || status == 204 || status == 304 {
        Framing::None
    } else {
        body_framing(&hdrs).ok_or(502u16)?
    };
    let conn = |tok: &str| {
        hdrs.iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
            .flat_map(|(_, v)| v.split(|&b| b == b','))
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(tok.as_bytes()))
    };
    let wants_close = if minor == 0 {
        !conn("keep-alive") || conn("close")
    } else {
        conn("close")
    };
    Ok(Some(RespMsg {
        head_len: n,
        status,
        minor,
        framing,
        wants_close,
        headers: hdrs,
    }))
}

/// Body framing from the headers; `None` when they are contradictory.
fn body_framing(headers: &[(String, Vec<u8>)]) -> Option<Framing> {
    let mut cl: Option<u64> = None;
    let mut chunked = false;
    for (n, v) in headers {
        if n.eq_ignore_ascii_case("transfer-encoding") {
            chunked = v
                .rsplit(|&b| b == b',')
                .next()
                .is_some_and(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            if !chunked {
                return None;
            }
        } else if n.eq_ignore_ascii_case("content-length") {
            let s = std::str::from_utf8(v).ok()?.trim();
            let len: u64 = s.parse().ok()?;
            if cl.is_some_and(|c| c != len) {
                return None;
            }
            cl = Some(len);
        }
    }
    Some(if chunked {
        Framing::Chunked
    } else if let Some(n) = cl {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    })
}

/// Header edits applied when a head is forwarded.
#[derive(Debug, Default)]
pub struct Edits<'a> {
    /// Headers appended (`option forwardfor`, `option originalto`, an inserted cookie).
    pub add: &'a [(&'a str, String)],
    /// `Connection` value to write instead of the received one, if any.
    pub connection: Option<&'a str>,
    /// By header position (0 = first header line): a new value, or `None` to remove it.
    pub replace: &'a [(usize, Option<&'a [u8]>)],
}

/// Writes a received head (`raw`, request or status line included) with `edits` applied.
pub fn write_head(raw: &[u8], edits: &Edits, out: &mut Buf) {
    let body_start = raw.len();
    let mut lines = raw[..body_start].split_inclusive(|&b| b == b'\n');
    if let Some(first) = lines.next() {
        out.extend(first);
    }
    for (pos, line) in lines.enumerate() {
        let l = line.trim_ascii_end();
        if l.is_empty() {
            break;
        }
        let name = l.split(|&b| b == b':').next().unwrap_or(b"");
        if edits.connection.is_some() && name.trim_ascii().eq_ignore_ascii_case(b"connection") {
            continue;
        }
        if let Some((_, new)) = edits.replace.iter().find(|(p, _)| *p == pos) {
            if let Some(v) = new {
                out.extend(name);
                out.extend(b": ");
                out.extend(v);
                out.extend(b"\r\n");
            }
            continue;
        }
        out.extend(line);
    }
    if let Some(c) = edits.connection {
        out.extend(b"connection: ");
        out.extend(c.as_bytes());
        out.extend(b"\r\n");
    }
    for (n, v) in edits.add {
        out.extend(n.as_bytes());
        out.extend(b": ");
        out.extend(v.as_bytes());
        out.extend(b"\r\n");
    }
    out.extend(b"\r\n");
}

/// A chunked body that does not follow the chunk syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadChunk;

/// Streaming body framing: which bytes of the input belong to the current message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyDec {
    Done,
    Length(u64),
    UntilClose,
    ChunkSize,
    ChunkData(u64),
    Trailers,
}

impl BodyDec {
    pub fn new(f: Framing) -> BodyDec {
        match f {
            Framing::None | Framing::Length(0) => BodyDec::Done,
            Framing::Length(n) => BodyDec::Length(n),
            Framing::Chunked => BodyDec::ChunkSize,
            Framing::UntilClose => BodyDec::UntilClose,
        }
    }

    pub fn is_done(&self) -> bool {
        *self == BodyDec::Done
    }

    /// How many leading bytes of `data` belong to the message; `Err` on bad chunking.
    pub fn feed(&mut self, data: &[u8]) -> Result<usize, BadChunk> {
        let mut used = 0;
        loop {
            let rest = &data[used..];
            match *self {
                BodyDec::Done => return Ok(used),
                BodyDec::UntilClose => return Ok(data.len()),
                BodyDec::Length(left) => {
                    let take = left.min(rest.len() as u64);
                    used += take as usize;
                    *self = if take == left {
                        BodyDec::Done
                    } else {
                        BodyDec::Length(left - take)
                    };
                    return Ok(used);
                }
                BodyDec::ChunkData(left) => {
                    let take = left.min(rest.len() as u64);
                    used += take as usize;
                    if take < left {
                        *self = BodyDec::ChunkData(left - take);
                        return Ok(used);
                    }
                    *self = BodyDec::ChunkSize;
                }
                BodyDec::ChunkSize => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((n, 0))) => {
                        used += n;
                        *self = BodyDec::Trailers;
                    }
                    Ok(httparse::Status::Complete((n, size))) => {
                        used += n;
                        *self = BodyDec::ChunkData(size + 2);
                    }
                    Ok(httparse::Status::Partial) => return Ok(used),
                    Err(_) => return Err(BadChunk),
                },
                BodyDec::Trailers => {
                    let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") else {
                        return Ok(used);
                    };
                    used += eol + 2;
                    if eol == 0 {
                        *self = BodyDec::Done;
                    }
                }
            }
        }
    }
}
