//! `http-errors` sections (HAProxy's `cfg_parse_http_errors()`), and the error-file loader
//! shared with the proxies' `errorfile` keyword (`http_parse_errorfile()`).

use super::invalid_char;
use crate::config::values::atol;
use crate::config::{err, Line, State};
use crate::model::sections::HttpErrors;

/// Status codes HAProxy can replace (`http_err_codes[]`).
pub const HTTP_ERR_CODES: &[u16] = &[
    200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504,
];

pub fn parse(st: &mut State, line: &Line) -> u32 {
    match line.arg(0) {
        "http-errors" => parse_section(st, line),
        "errorfile" => parse_errorfile_line(st, line),
        kw => st.alert(
            line,
            format!("unknown keyword '{kw}' in 'http-errors' section"),
        ),
    }
}

fn parse_section(st: &mut State, line: &Line) -> u32 {
    let name = line.arg(1);
    if name.is_empty() {
        st.alert(line, "missing name for http-errors section.");
        return err::ALERT | err::ABORT;
    }
    let mut e = 0;
    if let Some(c) = invalid_char(name) {
        e |= st.alert(
            line,
            format!("character '{c}' is not permitted in 'http-errors' name '{name}'."),
        );
    }
    let dups: Vec<String> = st
        .model
        .http_errors
        .iter()
        .filter(|h| h.name == name)
        .map(|h| h.loc.to_string())
        .collect();
    for at in dups {
        e |= super::alert_tight(
            st,
            line,
            format!("http-errors section '{name}' already exists (declared at {at})."),
        );
    }
    st.used(line, "http-errors");
    st.model.http_errors.push(HttpErrors {
        name: name.to_string(),
        loc: line.loc.clone(),
        ..Default::default()
    });
    e
}

fn parse_errorfile_line(st: &mut State, line: &Line) -> u32 {
    if line.arg(1).is_empty() || line.arg(2).is_empty() {
        return st.alert(
            line,
            "errorfile: expects <status_code> and <file> as arguments.",
        );
    }
    let status = atol(line.arg(1));
    let path = line.arg(2);
    let bufsize = crate::config::proxy::bufsize(st);
    let mut warnings = Vec::new();
    let res = parse_errorfile(status, path, st.env.check_files, bufsize, &mut |w| {
        warnings.push(w)
    });
    for w in warnings {
        st.diag.warning(w);
    }
    if let Err(msg) = res {
        return st.alert(line, format!("errorfile : {msg}"));
    }
    st.used(line, "http-errors errorfile");
    if let Some(h) = st.model.http_errors.last_mut() {
        let status = status as u16;
        h.files.retain(|(s, _, _)| *s != status);
        h.files.push((status, path.to_string(), line.loc.clone()));
    }
    0
}

/// `http_parse_errorfile()`: `status` must be one HAProxy can replace, and `path` (when
/// files are checked) must hold a parsable HTTP response. Errors are HAProxy's texts;
/// `warn` gets the warning of a file truncated to `bufsize`.
pub fn parse_errorfile(
    status: i64,
    path: &str,
    check_files: bool,
    bufsize: usize,
    warn: &mut dyn FnMut(String),
) -> Result<(), String> {
    if !HTTP_ERR_CODES.iter().any(|&c| c as i64 == status) {
        return Err(format!("status code '{}' not handled.", status as i32));
    }
    if !check_files {
        return Ok(());
    }
    crate::config::proxy::check_errorfile(path, bufsize, warn)
}

/// A light port of HAProxy's H1 response-head parser, enough to find the offset it reports
/// for broken error files: `Err(-2)` when the head is incomplete.
pub(crate) fn check_response_head(b: &[u8]) -> Result<(), i64> {
    let is_token = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c);
    let mut i = 0;
    let mut clen: Option<u64> = None;
    // Version token ([A-Z0-9./]) up to blanks, then the status code.
    while i < b.len()
        && (b[i].is_ascii_uppercase() || b[i].is_ascii_digit() || b"./".contains(&b[i]))
    {
        i += 1;
    }
    if i >= b.len() {
        return Err(-2);
    }
    if b[i] != b' ' && b[i] != b'\t' {
        return Err(i as i64);
    }
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    if i >= b.len() {
        return Err(-2);
    }
    if b[i] == b'\r' || b[i] == b'\n' {
        return Err(i as i64);
    }
    // Status code: digits up to a space or the end of line.
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i >= b.len() {
        return Err(-2);
    }
    if !matches!(b[i], b' ' | b'\r' | b'\n') {
        return Err(i as i64);
    }
    // Reason phrase up to LF.
    while i < b.len() && b[i] != b'\n' {
        i += 1;
    }
    if i >= b.len() {
        return Err(-2);
    }
    i += 1;
    loop {
        if i >= b.len() {
            return Err(-2);
        }
        if b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) == Some(&b'\n')) {
            return Ok(());
        }
        if b[i] == b'\r' {
            return Err(-2);
        }
        let start = i;
        while i < b.len() && is_token(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return Err(-2);
        }
        if b[i] != b':' || i == start {
            return Err(i as i64);
        }
        let name = &b[start..i];
        i += 1;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        let value_start = i;
        while i < b.len() && b[i] != b'\n' {
            i += 1;
        }
        if i >= b.len() {
            return Err(-2);
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let v = &b[value_start..i];
            let v = v.strip_suffix(b"\r").unwrap_or(v);
            // h1_parse_cont_len_header(): the parser reports the value's offset.
            clen = Some(cont_len(v, clen).ok_or(value_start as i64)?);
        }
        i += 1;
    }
}

/// A Content-Length value as `h1_parse_cont_len_header()` reads it: comma-separated
/// digits, all equal, and equal to `prev` (an earlier header). `None`: invalid.
fn cont_len(v: &[u8], prev: Option<u64>) -> Option<u64> {
    let mut cur = prev;
    for word in v.split(|&c| c == b',') {
        let w = word.trim_ascii();
        if w.is_empty() || !w.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: u64 = std::str::from_utf8(w).ok()?.parse().ok()?;
        if cur.is_some_and(|c| c != n) {
            return None;
        }
        cur = Some(n);
    }
    cur
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{load, msgs};
    use super::*;

    #[test]
    fn heads() {
        assert_eq!(check_response_head(b"HTTP/1.0 200 OK\r\n\r\n"), Ok(()));
        assert_eq!(check_response_head(b"HTTP/1.1 503 x\n\nbody"), Ok(()));
        assert_eq!(check_response_head(b"HTTP/1.0 503 x\r\n"), Err(-2));
        assert_eq!(
            check_response_head(b"HTTP/1.0 503 x\r\nbad header\r\n\r\n"),
            Err(19)
        );
        assert_eq!(check_response_head(b"GET / HTTP/1.0\r\n\r\n"), Err(4));
        assert_eq!(check_response_head(b"HTTP/2.0 99 x\r\n\r\n"), Ok(()));
        assert_eq!(check_response_head(b"vm\n"), Err(0));
        // Content-Length values are checked like h1_parse_cont_len_header() (haproxy -c
        // 2.6.12 reports the offset of the bad value).
        assert_eq!(
            check_response_head(b"HTTP/1.1 500 x\r\nContent-Length: abc\r\n\r\n"),
            Err(32)
        );
        assert_eq!(
            check_response_head(
                b"HTTP/1.1 500 x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab"
            ),
            Err(51)
        );
        assert_eq!(
            check_response_head(
                b"HTTP/1.1 500 x\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nab"
            ),
            Ok(())
        );
    }

    #[test]
    fn section_messages() {
        let l = load("http-errors\n");
        assert!(msgs(&l)[0].ends_with("parsing [t.cfg:1] : missing name for http-errors section."));
        let l = load(
            "http-errors h/1\nhttp-errors h/1\n  errorfile\n  errorfile 400\n  errorfile 999 /x\n  foo\n  errorfile 503 /x\n",
        );
        let m = msgs(&l);
        assert!(m[0].ends_with("character '/' is not permitted in 'http-errors' name 'h/1'."));
        assert!(m[1].ends_with(
            "parsing [t.cfg:2] : character '/' is not permitted in 'http-errors' name 'h/1'."
        ));
        assert!(m[2].ends_with(
            "parsing [t.cfg:2]: http-errors section 'h/1' already exists (declared at t.cfg:1)."
        ));
        assert!(m[3].ends_with("errorfile: expects <status_code> and <file> as arguments."));
        assert!(m[4].ends_with(
            "parsing [t.cfg:4] : errorfile: expects <status_code> and <file> as arguments."
        ));
        assert!(m[5].ends_with("parsing [t.cfg:5] : errorfile : status code '999' not handled."));
        assert!(m[6].ends_with("unknown keyword 'foo' in 'http-errors' section"));
        assert!(m[7].contains("Error(s) found"));
    }

    #[test]
    fn truncated_file_warns_first() {
        let p = std::env::temp_dir().join(format!("hrs-big-errorfile-{}", std::process::id()));
        let mut data = b"HTTP/1.1 500 x\r\nContent-Length: 20000\r\n\r\n".to_vec();
        data.resize(data.len() + 20000, b'a');
        std::fs::write(&p, &data).unwrap();
        let path = p.display().to_string();
        let mut w = Vec::new();
        let r = parse_errorfile(500, &path, true, 16384, &mut |m| w.push(m));
        std::fs::remove_file(&p).ok();
        assert_eq!(
            w,
            [format!(
                "custom error message file '{path}' larger than 16384 bytes. Truncating."
            )]
        );
        assert_eq!(
            r,
            Err(format!("'{path}': payload size does not match the announced content-length (16343 != 20000)"))
        );
    }

    #[test]
    fn missing_file() {
        assert_eq!(
            parse_errorfile(503, "/nonexistent/x", true, 16384, &mut |_| {}),
            Err("error opening file '/nonexistent/x'.".to_string())
        );
        assert_eq!(
            parse_errorfile(503, "/nonexistent/x", false, 16384, &mut |_| {}),
            Ok(())
        );
    }
}
