//! The HTTP/1 message facts the HTTP session needs, on top of [`crate::http`] (HAProxy
//! 2.6's H1 parsing, body framing, head writing and connection-mode rules): parse a head
//! into a reusable message, forward a body segment (re-chunked like HAProxy), write a head
//! with the engine's edits. The session's state machine only sees this interface.

use crate::http::{
    self, body, conn as hc, BodyDecoder, Framing, H1Error, HeadEdits, Method, ParseOpts, ReqHead,
    RespHead, Status, Version,
};

use super::io::Buf;
use crate::sample::msg::{set_lossy, Req, Resp};

pub use crate::http::conn::{HttpMode, Modes, Want};
pub use crate::http::ConnHdr as WireConn;

/// A parsed request head, with the owned view rules and fetches evaluate.
#[derive(Debug, Clone, Default)]
pub struct ReqMsg {
    /// Spans into the client buffer as it was when parsed (the head stays there until it
    /// is forwarded).
    pub head: ReqHead,
    pub head_len: usize,
    pub req: Req,
}

impl ReqMsg {
    pub fn framing(&self) -> Framing {
        self.head.framing
    }
    pub fn is_head(&self) -> bool {
        self.head.method == Method::Head
    }
    pub fn is_connect(&self) -> bool {
        self.head.method == Method::Connect
    }
    pub fn is_post(&self) -> bool {
        self.head.method == Method::Post
    }
    pub fn http10(&self) -> bool {
        self.head.version == Version::Http10
    }
}

/// Parses a request head from the start of `buf`. `Ok(None)`: incomplete.
pub fn parse_request(
    buf: &[u8],
    opts: &ParseOpts,
    out: &mut ReqMsg,
) -> Result<Option<()>, H1Error> {
    match http::parse_request(buf, opts, &mut out.head)? {
        Status::Partial => Ok(None),
        Status::Complete(n) => {
            out.head_len = n;
            fill_req(buf, &out.head, &mut out.req);
            out.req.head_len = n;
            Ok(Some(()))
        }
    }
}

/// Builds the owned view rules evaluate, reusing the previous request's allocations (the
/// message is reused across a keep-alive connection's requests, so after the first one
/// this copies bytes without allocating).
fn fill_req(buf: &[u8], h: &ReqHead, req: &mut Req) {
    set_lossy(&mut req.method, h.method_raw.get(buf));
    set_lossy(&mut req.uri, h.uri.get(buf));
    req.minor = u8::from(h.version != Version::Http10);
    req.start_changed = false;
    req.headers.clear();
    for (i, x) in h.headers.iter().enumerate().filter(|(_, x)| !x.drop) {
        req.headers
            .push_orig(i, x.name.get(buf), &http::h1::unfold(buf, x));
    }
    req.headers.finish();
}

/// Builds the owned view of a response head for `http-response` rules.
pub fn fill_resp(buf: &[u8], h: &RespHead, out: &mut Resp) {
    out.status = h.status;
    out.reason.clear();
    out.reason.extend_from_slice(h.reason.get(buf));
    out.minor = u8::from(h.version != Version::Http10);
    out.status_changed = false;
    out.headers.clear();
    for (i, x) in h.headers.iter().enumerate().filter(|(_, x)| !x.drop) {
        out.headers
            .push_orig(i, x.name.get(buf), &http::h1::unfold(buf, x));
    }
    out.headers.finish();
}

/// The positions of the forwarded headers of a parsed head.
pub fn present(headers: &[http::Header]) -> impl Iterator<Item = usize> + '_ {
    headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.drop)
        .map(|(i, _)| i)
}

/// Parses a response head for a request with method `m`. `Ok(None)`: incomplete.
pub fn parse_response(
    buf: &[u8],
    m: Method,
    opts: &ParseOpts,
    out: &mut RespHead,
) -> Result<Option<usize>, H1Error> {
    match http::parse_response(buf, m, opts, out)? {
        Status::Partial => Ok(None),
        Status::Complete(n) => Ok(Some(n)),
    }
}

/// The position in `head.headers` of each forwarded header named `name`, with its value.
pub fn headers_named<'a>(
    buf: &'a [u8],
    headers: &[http::Header],
    name: &[u8],
) -> (Vec<usize>, Vec<&'a [u8]>) {
    headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !h.drop && h.name.get(buf).eq_ignore_ascii_case(name))
        .map(|(i, h)| (i, h.value.get(buf)))
        .unzip()
}

/// Writes the request head for the server into `out` (through `scratch`, reused).
pub fn write_request(buf: &[u8], m: &ReqMsg, e: &HeadEdits, scratch: &mut Vec<u8>, out: &mut Buf) {
    scratch.clear();
    http::write_request(buf, &m.head, e, scratch);
    out.extend(scratch);
}

/// Writes the response head for the client into `out` (through `scratch`, reused).
pub fn write_response(
    buf: &[u8],
    r: &RespHead,
    e: &HeadEdits,
    scratch: &mut Vec<u8>,
    out: &mut Buf,
) {
    scratch.clear();
    http::write_response(buf, r, e, scratch);
    out.extend(scratch);
}

/// Forwards one message body: content-length and close-delimited bodies as they are,
/// chunked bodies re-chunked the way HAProxy's H1 mux does (one chunk per forwarded batch,
/// extensions dropped, trailers rewritten like headers).
#[derive(Debug, Clone)]
pub struct BodyFwd {
    dec: BodyDecoder,
    chunked: bool,
    scratch: Vec<u8>,
}

impl BodyFwd {
    pub fn new(is_response: bool, opts: &ParseOpts) -> BodyFwd {
        BodyFwd {
            dec: BodyDecoder::new(Framing::None, is_response, opts),
            chunked: false,
            scratch: Vec::new(),
        }
    }

    pub fn reset(&mut self, f: Framing) {
        self.dec.reset(f);
        self.chunked = f == Framing::Chunked;
    }

    pub fn is_done(&self) -> bool {
        self.dec.is_done()
    }

    /// Close-delimited body not finished yet.
    pub fn until_close(&self) -> bool {
        !self.dec.is_done() && self.dec.remaining().is_none() && !self.chunked
    }

    /// The peer closed: fine for a close-delimited or finished body.
    pub fn finish(&self) -> Result<(), H1Error> {
        self.dec.finish()
    }

    /// Checks the body bytes already received with the head, without consuming anything:
    /// HAProxy's H1 mux parses them before the stream exists, so a framing error there is
    /// answered before any server is contacted.
    pub fn precheck(&self, f: Framing, input: &[u8]) -> Result<(), H1Error> {
        let mut d = self.dec.clone();
        d.reset(f);
        let mut pos = 0;
        while pos < input.len() && !d.is_done() {
            let ev = d.decode(&input[pos..])?;
            if ev.consumed == 0 {
                break;
            }
            pos += ev.consumed;
        }
        Ok(())
    }

    /// Whether `input` holds the whole body (framing `f`), without consuming anything.
    pub fn complete_in(&self, f: Framing, input: &[u8]) -> Result<bool, H1Error> {
        let mut d = self.dec.clone();
        d.reset(f);
        let mut pos = 0;
        while !d.is_done() {
            let ev = d.decode(&input[pos..])?;
            if ev.consumed == 0 {
                break;
            }
            pos += ev.consumed;
        }
        Ok(d.is_done())
    }

    /// Frames what `input` holds of the body into `out`; returns the input bytes used.
    pub fn forward(&mut self, input: &[u8], out: &mut Buf) -> Result<usize, H1Error> {
        let mut pos = 0;
        if !self.chunked {
            let ev = self.dec.decode(input)?;
            out.extend(&input[ev.data.clone()]);
            return Ok(ev.consumed);
        }
        // Gather this batch's payload into one output chunk.
        let mut segs: Vec<std::ops::Range<usize>> = Vec::new();
        let mut total = 0;
        let mut trailers = None;
        while pos < input.len() && !self.dec.is_done() {
            let ev = self.dec.decode(&input[pos..])?;
            if !ev.data.is_empty() {
                total += ev.data.len();
                segs.push(pos + ev.data.start..pos + ev.data.end);
            }
            if ev.trailers.is_some() {
                // The trailer spans are relative to this call's input.
                trailers = Some(pos);
            }
            if ev.consumed == 0 {
                break;
            }
            pos += ev.consumed;
        }
        if total > 0 {
            self.scratch.clear();
            body::chunk_start(total, &mut self.scratch);
            out.extend(&self.scratch);
            for s in segs {
                out.extend(&input[s]);
            }
            out.extend(b"\r\n");
        }
        if self.dec.is_done() {
            self.scratch.clear();
            match trailers {
                Some(base) => body::write_last_chunk(
                    &input[base..],
                    self.dec.trailers(),
                    None,
                    &mut self.scratch,
                ),
                None => self.scratch.extend_from_slice(b"0\r\n\r\n"),
            }
            out.extend(&self.scratch);
        }
        Ok(pos)
    }
}

/// The connection decisions of one exchange, made in HAProxy's two passes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnPlan {
    pub modes: Modes,
    pub client: Want,
    pub server: Want,
}

impl ConnPlan {
    /// First pass, when the request is parsed and about to be sent.
    pub fn for_request(req: &ReqHead, modes: Modes) -> ConnPlan {
        ConnPlan {
            modes,
            client: hc::client_after_request(req, &modes),
            server: hc::server_for_request(req, &modes),
        }
    }
    pub fn request_conn(&self, req: &ReqHead) -> WireConn {
        hc::request_conn_hdr(req, self.server, &self.modes)
    }
    /// Second pass, with the final response; returns what to announce to the client.
    pub fn on_response(&mut self, req: &ReqHead, resp: &RespHead) -> WireConn {
        self.server = hc::server_after_response(resp, self.server);
        self.client = hc::client_for_response(resp, self.client, &self.modes);
        hc::response_conn_hdr(req, resp, self.client)
    }
}

/// The decoded length of a request body of `framing` when all of it is in `buf` (the bytes
/// after the head), else `None`.
pub fn complete_body_len(buf: &[u8], framing: Framing, opts: &ParseOpts) -> Option<usize> {
    let mut dec = BodyDecoder::new(framing, false, opts);
    let (mut pos, mut len) = (0, 0);
    while !dec.is_done() {
        let ev = dec.decode(&buf[pos..]).ok()?;
        len += ev.data.len();
        if ev.consumed == 0 {
            return None;
        }
        pos += ev.consumed;
    }
    Some(len)
}

/// HAProxy answers a request itself and keeps the connection only when the whole request
/// is already in its buffer: it closes when the body is still to come, or when the
/// request as an HTX message (`htx_size` for the head, plus HTX's block descriptors and
/// header) did not fit in `bufsize - maxrewrite` (measured against 2.6.12 with 2 KiB and
/// 16 KiB buffers).
pub fn request_fully_buffered(req: &ReqMsg, after_head: &[u8], opts: &ParseOpts) -> bool {
    const HTX_HEADER: usize = 40;
    const BLOCK: usize = 8;
    let Some(body) = complete_body_len(after_head, req.framing(), opts) else {
        return false;
    };
    let blocks = req.req.headers.len() + 2 + usize::from(body > 0);
    let htx = HTX_HEADER + req.req.htx_size() + BLOCK * blocks + body;
    htx <= opts.bufsize.saturating_sub(opts.maxrewrite)
}
