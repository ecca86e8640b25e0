//! Test harness: one proxy exchange through the message layer, shaped like the experiments
//! run against HAProxy 2.6.12 (raw bytes from a client, a canned response from a backend;
//! compare what the backend received and what the client got).

use std::net::{IpAddr, Ipv4Addr};

use super::body::{write_chunk, write_last_chunk, BodyDecoder};
use super::conn::{self, Modes, Want};
use super::h1::{parse_request, parse_response, validate_upgrade, Framing, ReqHead, RespHead};
use super::write::{write_request, write_response, CaseMap, ConnHdr, ForwardFor, HeadEdits};
use super::{ParseOpts, Status};

#[derive(Default)]
pub struct Sim {
    pub modes: Modes,
    pub req_opts: ParseOpts,
    pub resp_opts: ParseOpts,
    pub forwardfor: Option<ForwardFor>,
    pub originalto: Option<ForwardFor>,
    pub case_client: Option<CaseMap>,
    pub case_server: Option<CaseMap>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Seen {
    /// Everything the backend received (all requests).
    pub backend: Vec<u8>,
    /// Everything the client received; a refused message shows as `<ERR nnn>`.
    pub client: Vec<u8>,
    /// The client connection was closed after the exchange(s).
    pub closed: bool,
    /// Server connection reusable after the last exchange.
    pub reusable: bool,
}

/// Forwards a body, re-chunking chunked ones into one chunk per call like HAProxy does
/// with data that arrived in one read; returns the bytes used, or the error status.
fn body(
    input: &[u8],
    framing: Framing,
    is_resp: bool,
    opts: &ParseOpts,
    case: Option<&CaseMap>,
    out: &mut Vec<u8>,
) -> Result<usize, u16> {
    let mut dec = BodyDecoder::new(framing, is_resp, opts);
    let mut pos = 0;
    let mut data = Vec::new();
    loop {
        let ev = dec.decode(&input[pos..]).map_err(|e| e.status)?;
        data.extend_from_slice(&input[pos..][ev.data.clone()]);
        if ev.done {
            if framing == Framing::Chunked {
                write_chunk(&data, out);
                write_last_chunk(&input[pos..], dec.trailers(), case, out);
            } else {
                out.extend_from_slice(&data);
            }
            return Ok(pos + ev.consumed);
        }
        if ev.consumed == 0 {
            // Incomplete: forward what we have, as HAProxy does while waiting.
            if framing == Framing::Chunked {
                write_chunk(&data, out);
            } else {
                out.extend_from_slice(&data);
            }
            return Ok(input.len());
        }
        pos += ev.consumed;
    }
}

impl Sim {
    pub fn run(&self, mut client_in: &[u8], server_out: &[u8]) -> Seen {
        let mut seen = Seen {
            backend: Vec::new(),
            client: Vec::new(),
            closed: false,
            reusable: false,
        };
        let mut req = ReqHead::default();
        let mut resp = RespHead::default();
        while !client_in.is_empty() {
            let n = match parse_request(client_in, &self.req_opts, &mut req) {
                Ok(Status::Complete(n)) => n,
                Ok(Status::Partial) => break,
                Err(e) => {
                    seen.client
                        .extend_from_slice(format!("<ERR {}>", e.status).as_bytes());
                    seen.closed = true;
                    return seen;
                }
            };
            let cli = conn::client_after_request(&req, &self.modes);
            let srv = conn::server_for_request(&req, &self.modes);
            let mut scratch1 = Vec::new();
            let mut scratch2 = Vec::new();
            let mut add: Vec<(&[u8], &[u8])> = Vec::new();
            let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
            if let Some(f) = &self.forwardfor {
                if f.value(lo, &req, client_in, &mut scratch1) {
                    add.push((&f.header, &scratch1));
                }
            }
            if let Some(f) = &self.originalto {
                if f.value(lo, &req, client_in, &mut scratch2) {
                    add.push((&f.header, &scratch2));
                }
            }
            let edits = HeadEdits {
                add: &add,
                conn: conn::request_conn_hdr(&req, srv, &self.modes),
                case: self.case_server.as_ref(),
                ..HeadEdits::default()
            };
            let mut out = Vec::new();
            write_request(client_in, &req, &edits, &mut out);
            let used = match body(
                &client_in[n..],
                req.framing,
                false,
                &self.req_opts,
                self.case_server.as_ref(),
                &mut out,
            ) {
                Ok(u) => {
                    seen.backend.extend_from_slice(&out);
                    u
                }
                Err(st) => {
                    seen.client
                        .extend_from_slice(format!("<ERR {st}>").as_bytes());
                    seen.closed = true;
                    return seen;
                }
            };
            client_in = &client_in[n + used..];
            // Responses: interim ones first.
            let mut s = server_out;
            loop {
                let m = match parse_response(s, req.method, &self.resp_opts, &mut resp) {
                    Ok(Status::Complete(m)) => m,
                    Ok(Status::Partial) | Err(_) => {
                        seen.client.extend_from_slice(b"<ERR 502>");
                        return seen;
                    }
                };
                if resp.is_interim() {
                    let e = HeadEdits {
                        case: self.case_client.as_ref(),
                        ..HeadEdits::default()
                    };
                    write_response(s, &resp, &e, &mut seen.client);
                    s = &s[m..];
                    continue;
                }
                if validate_upgrade(&req, &resp).is_err() {
                    seen.client.extend_from_slice(b"<ERR 502>");
                    return seen;
                }
                let srv = conn::server_after_response(&resp, srv);
                let cli = conn::client_for_response(&resp, cli, &self.modes);
                let e = HeadEdits {
                    conn: conn::response_conn_hdr(&req, &resp, cli),
                    case: self.case_client.as_ref(),
                    ..HeadEdits::default()
                };
                // Head and body bytes read together leave together: a body error found in
                // the same read still turns into a clean 502 page.
                let mut out = Vec::new();
                write_response(s, &resp, &e, &mut out);
                let rest = &s[m..];
                if resp.tunnel {
                    out.extend_from_slice(rest);
                } else if body(
                    rest,
                    resp.framing,
                    true,
                    &self.resp_opts,
                    self.case_client.as_ref(),
                    &mut out,
                )
                .is_err()
                {
                    seen.client.extend_from_slice(b"<ERR 502>");
                    return seen;
                }
                seen.client.extend_from_slice(&out);
                seen.reusable = srv == Want::KeepAlive;
                if cli != Want::KeepAlive {
                    seen.closed = cli == Want::Close;
                    return seen;
                }
                break;
            }
            let _ = ConnHdr::None;
        }
        seen
    }
}
