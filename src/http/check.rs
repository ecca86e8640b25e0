//! The invariants the fuzzer (`fuzz/fuzz_targets/h1_message.rs`) and the corpus replay
//! check on arbitrary bytes; kept in the library so `cargo test` exercises them too.

use super::body::{write_chunk, write_last_chunk, BodyDecoder};
use super::h1::{parse_request, parse_response, Framing, Method, ReqHead, RespHead};
use super::write::{write_request, write_response, ConnHdr, HeadEdits};
use super::{ParseOpts, Status};

/// Feeds `data` as a client and as a server would send it, cut in reads of the size the
/// first byte chooses, through head parsing, body framing and head output. Panics when an
/// invariant breaks: a span or count outside the input, a decision that depends on how the
/// bytes were cut, or a forwarded head that does not parse back to the same message.
pub fn check_message(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let step = usize::from(sel >> 1).max(1);
    let opts = ParseOpts {
        accept_invalid: sel & 1 == 1,
        // Small buffers reach the size limits with small inputs.
        bufsize: if sel & 0x80 != 0 { 512 } else { 16384 },
        ..ParseOpts::default()
    };
    let mut req = ReqHead::default();
    let whole = parse_request(rest, &opts, &mut req);
    let mut sliced = ReqHead::default();
    let cut = feed(rest, step, |b| parse_request(b, &opts, &mut sliced));
    // Cutting the input never changes the outcome.
    assert_eq!(outcome(&whole), outcome(&cut));
    let mut method = Method::Get;
    let mut body_at = 0;
    if let Ok(Status::Complete(n)) = whole {
        assert!(n <= rest.len() && req.head_len == n);
        spans_ok(rest.len(), &req.headers);
        method = req.method;
        body_at = n;
        roundtrip_request(rest, &req, &opts);
        body(&rest[n..], req.framing, false, &opts, step);
    }
    let mut resp = RespHead::default();
    let whole = parse_response(rest, method, &opts, &mut resp);
    let mut sliced = RespHead::default();
    let cut = feed(rest, step, |b| {
        parse_response(b, method, &opts, &mut sliced)
    });
    assert_eq!(outcome(&whole), outcome(&cut));
    if let Ok(Status::Complete(n)) = whole {
        assert!(n <= rest.len());
        spans_ok(rest.len(), &resp.headers);
        let mut out = Vec::new();
        write_response(rest, &resp, &HeadEdits::default(), &mut out);
        let mut again = RespHead::default();
        let big = ParseOpts {
            bufsize: 1 << 20,
            max_headers: 10_000,
            ..opts
        };
        match parse_response(&out, method, &big, &mut again) {
            Ok(Status::Complete(m)) => assert_eq!(m, out.len()),
            other => panic!("forwarded response does not parse: {other:?}"),
        }
        assert_eq!(again.status, resp.status);
        body(&rest[n..], resp.framing, true, &opts, step);
    }
    let _ = body_at;
}

fn outcome(r: &Result<Status, super::H1Error>) -> Result<Status, u16> {
    r.map_err(|e| e.status)
}

/// Parses as the bytes arrive `step` at a time; the first final answer.
fn feed(
    data: &[u8],
    step: usize,
    mut parse: impl FnMut(&[u8]) -> Result<Status, super::H1Error>,
) -> Result<Status, super::H1Error> {
    let mut end = 0;
    loop {
        end = (end + step).min(data.len());
        let r = parse(&data[..end]);
        if r != Ok(Status::Partial) || end == data.len() {
            return r;
        }
    }
}

fn spans_ok(len: usize, hs: &[super::Header]) {
    for h in hs {
        assert!(h.name.start <= h.name.end && (h.name.end as usize) <= len);
        assert!(h.value.start <= h.value.end && (h.value.end as usize) <= len);
    }
}

/// What HAProxy forwards must read back as the same request (CONNECT excepted: its Host
/// loses a default port the target keeps, which HAProxy itself would then refuse).
fn roundtrip_request(buf: &[u8], req: &ReqHead, opts: &ParseOpts) {
    if req.method == Method::Connect {
        return;
    }
    let mut out = Vec::new();
    let edits = HeadEdits {
        conn: ConnHdr::KeepAlive,
        ..HeadEdits::default()
    };
    write_request(buf, req, &edits, &mut out);
    let big = ParseOpts {
        bufsize: 1 << 20,
        max_headers: 10_000,
        ..*opts
    };
    let mut again = ReqHead::default();
    match parse_request(&out, &big, &mut again) {
        Ok(Status::Complete(n)) => assert_eq!(n, out.len()),
        other => panic!(
            "forwarded request does not parse: {other:?}\n{}",
            out.escape_ascii()
        ),
    }
    assert_eq!(again.method_raw.get(&out), req.method_raw.get(buf));
    assert_eq!(again.framing, req.framing);
}

/// Decodes a body whole and sliced; both must agree on payload, end and re-encoding.
fn body(input: &[u8], framing: Framing, is_resp: bool, opts: &ParseOpts, step: usize) {
    let whole = decode_all(input, framing, is_resp, opts, input.len().max(1));
    let cut = decode_all(input, framing, is_resp, opts, step);
    assert_eq!(whole, cut, "body framing depends on how the input is cut");
}

/// (payload, bytes used, ended) or the error status; the re-encoding is exercised too.
type Decoded = Result<(Vec<u8>, usize, bool), u16>;

fn decode_all(
    input: &[u8],
    framing: Framing,
    is_resp: bool,
    opts: &ParseOpts,
    step: usize,
) -> Decoded {
    let mut d = BodyDecoder::new(framing, is_resp, opts);
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    let mut used = 0;
    let mut payload = Vec::new();
    let mut out = Vec::new();
    loop {
        let ev = d.decode(&buf).map_err(|e| e.status)?;
        assert!(ev.consumed <= buf.len());
        assert!(ev.data.start <= ev.data.end && ev.data.end <= ev.consumed);
        payload.extend_from_slice(&buf[ev.data.clone()]);
        if ev.done {
            if let Some(t) = ev.trailers.clone() {
                assert!(t.end <= ev.consumed);
                write_chunk(&payload, &mut out);
                write_last_chunk(&buf, d.trailers(), None, &mut out);
            }
            used += ev.consumed;
            return Ok((payload, used, true));
        }
        used += ev.consumed;
        buf.drain(..ev.consumed);
        let stuck = ev.consumed == 0 || buf.is_empty();
        if stuck && fed == input.len() {
            return Ok((payload, used, false));
        }
        if stuck {
            let n = step.min(input.len() - fed);
            buf.extend_from_slice(&input[fed..fed + n]);
            fed += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_message;

    /// A cheap stand-in for the fuzzer: mutated seeds through the same invariants.
    #[test]
    fn mutated_seeds_hold_the_invariants() {
        let seeds: &[&[u8]] = &[
            b"GET http://a.com:80/p HTTP/1.1\r\nHost: a.com\r\nConnection: close, x\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: v\r\n\r\n",
            b"POST / HTTP/1.0\r\nContent-Length: 3, 3\r\nX: a\r\n b\r\n\r\nabc",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
            b"\r\nHTTP/1.0 101 S\r\nConnection: upgrade\r\n\r\n",
        ];
        let mut x: u32 = 0x9e37_79b9;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for s in seeds {
            for _ in 0..400 {
                let mut d = s.to_vec();
                for _ in 0..(rnd() % 4) {
                    let i = rnd() as usize % d.len();
                    match rnd() % 3 {
                        0 => d[i] = rnd() as u8,
                        1 => {
                            d.remove(i);
                        }
                        _ => d.insert(i, b"\r\n :,;\t0\x80"[rnd() as usize % 9]),
                    }
                }
                let mut input = vec![rnd() as u8];
                input.extend_from_slice(&d);
                check_message(&input);
            }
        }
    }
}
