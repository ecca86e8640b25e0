//! The scenario file format of `compat/differential/*.scn` (documented in
//! `compat/differential/README.md`): a header of `key: value` lines, then sections opened by
//! `--- config`, `--- file NAME`, `--- server NAME [refuse|blackhole]`, `--- client NAME [concurrent]
//! [to PORTVAR]`.

use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub about: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// Response header names (lower case) left out of the client-side comparison.
    pub ignore_headers: Vec<String>,
    /// Request header names (lower case) left out of the server-side comparison.
    pub ignore_request_headers: Vec<String>,
    /// `header-case: exact`: response header names compare as sent (for `h1-case-adjust`);
    /// by default they compare case-insensitively.
    pub exact_case: bool,
    /// Bound of every blocking step (read, wait, accept-to-end).
    pub step_timeout: Duration,
    pub config: String,
    /// Files written beside the configuration; `${FILE_<NAME>}` is their path.
    pub files: Vec<(String, Vec<u8>)>,
    pub servers: Vec<Server>,
    pub clients: Vec<Client>,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub name: String,
    /// No listener on the port: connections are refused.
    pub refuse: bool,
    /// A listener whose accept queue is kept full: connection attempts get no answer at
    /// all (their SYN is dropped), as with an unreachable host — for `timeout connect`.
    pub blackhole: bool,
    /// Run on every accepted connection.
    pub steps: Vec<SStep>,
    /// Checked after the run, on HAProxy's run (a scenario must exercise what it claims).
    pub expects: Vec<SExpect>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SStep {
    /// One request: head, then the body by its framing (Content-Length / chunked / none).
    RecvRequest,
    /// The request head only.
    RecvHead,
    /// The body of the last head, by its framing.
    RecvBody,
    RecvBytes(usize),
    RecvUntilClose,
    Send(Vec<u8>),
    /// Wait until the proxy closes the connection (never answer); records what arrives.
    WaitClose,
    Close,
    /// shutdown(SHUT_WR): half-close.
    Shutdown,
    Delay(u64),
    Signal(String),
    /// Start over from the first step (bounded), for keep-alive servers.
    Loop,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SExpect {
    Connections(usize),
    Requests(usize),
    /// Some received request contains these bytes.
    RequestContains(Vec<u8>),
    /// No received request contains these bytes.
    RequestLacks(Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct Client {
    pub name: String,
    /// Starts together with the previous client instead of after it.
    pub concurrent: bool,
    /// The port variable it connects to (default `FE_PORT`).
    pub target: String,
    pub steps: Vec<CStep>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CStep {
    Send(Vec<u8>),
    /// One response (a 1xx counts as one); `head` = the answer to a HEAD request (no body).
    RecvResponse {
        head: bool,
    },
    RecvBytes(usize),
    RecvUntilClose,
    /// Expect the proxy to close now: records `closed`, extra bytes, or `still open`.
    RecvClose,
    /// Read for N ms expecting nothing: records `idle`, `closed` or bytes.
    RecvIdle(u64),
    Close,
    Shutdown,
    Delay(u64),
    Wait(String),
    Signal(String),
    Expect(CExpect),
}

#[derive(Debug, Clone, PartialEq)]
pub enum CExpect {
    Status(u16),
    Header(String, String),
    NoHeader(String),
    Body(Vec<u8>),
    BodyContains(Vec<u8>),
    /// The last `recv close`/`recv idle`/`recv until-close` saw the proxy close.
    Closed,
    /// The last `recv idle` saw nothing (connection still open).
    Open,
    /// The last `recv N`/`recv until-close` returned these bytes.
    Bytes(Vec<u8>),
}

/// Parses `"..."` strings (one or more, concatenated) with `\r \n \t \\ \" \xHH` escapes.
pub fn parse_strings(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    let mut any = false;
    loop {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i == b.len() {
            break;
        }
        if b[i] != b'"' {
            return Err(format!("expected a quoted string at `{}`", &s[i..]));
        }
        i += 1;
        any = true;
        loop {
            let Some(&c) = b.get(i) else {
                return Err(format!("unterminated string in `{s}`"));
            };
            i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *b.get(i).ok_or("dangling backslash")?;
                    i += 1;
                    match e {
                        b'r' => out.push(b'\r'),
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'0' => out.push(0),
                        b'\\' => out.push(b'\\'),
                        b'"' => out.push(b'"'),
                        b'x' => {
                            let h = s.get(i..i + 2).ok_or("short \\x escape")?;
                            out.push(u8::from_str_radix(h, 16).map_err(|e| e.to_string())?);
                            i += 2;
                        }
                        _ => return Err(format!("unknown escape \\{}", e as char)),
                    }
                }
                _ => out.push(c),
            }
        }
    }
    if !any {
        return Err("expected a quoted string".into());
    }
    Ok(out)
}

/// Renders bytes the way scenarios write them (the diff output uses it).
pub fn escape(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("{what}: not a number: `{s}`"))
}

fn server_step(line: &str) -> Result<Option<SStep>, String> {
    let (kw, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    Ok(Some(match (kw, rest) {
        ("recv", "request") => SStep::RecvRequest,
        ("recv", "head") => SStep::RecvHead,
        ("recv", "body") => SStep::RecvBody,
        ("recv", "until-close") => SStep::RecvUntilClose,
        ("recv", n) => SStep::RecvBytes(number(n, "recv")?),
        ("send", s) => SStep::Send(parse_strings(s)?),
        ("wait-close", "") | ("never-answer", "") => SStep::WaitClose,
        ("close", "") => SStep::Close,
        ("shutdown", "") => SStep::Shutdown,
        ("delay", n) => SStep::Delay(number(n, "delay")?),
        ("signal", ev) if !ev.is_empty() => SStep::Signal(ev.to_string()),
        ("loop", "") => SStep::Loop,
        ("expect", _) => return Ok(None),
        _ => return Err(format!("unknown server step `{line}`")),
    }))
}

fn server_expect(rest: &str) -> Result<SExpect, String> {
    let (kw, arg) = rest.split_once(' ').unwrap_or((rest, ""));
    Ok(match kw {
        "connections" => SExpect::Connections(number(arg, "connections")?),
        "requests" => SExpect::Requests(number(arg, "requests")?),
        "request-contains" => SExpect::RequestContains(parse_strings(arg)?),
        "request-lacks" => SExpect::RequestLacks(parse_strings(arg)?),
        _ => return Err(format!("unknown server expectation `{rest}`")),
    })
}

fn client_step(line: &str) -> Result<CStep, String> {
    let (kw, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    Ok(match (kw, rest) {
        ("send", s) => CStep::Send(parse_strings(s)?),
        ("recv", "response") => CStep::RecvResponse { head: false },
        ("recv", "head-response") => CStep::RecvResponse { head: true },
        ("recv", "until-close") => CStep::RecvUntilClose,
        ("recv", "close") => CStep::RecvClose,
        ("recv", r) if r.starts_with("idle ") => CStep::RecvIdle(number(&r[5..], "idle")?),
        ("recv", n) => CStep::RecvBytes(number(n, "recv")?),
        ("close", "") => CStep::Close,
        ("shutdown", "") => CStep::Shutdown,
        ("delay", n) => CStep::Delay(number(n, "delay")?),
        ("wait", ev) if !ev.is_empty() => CStep::Wait(ev.to_string()),
        ("signal", ev) if !ev.is_empty() => CStep::Signal(ev.to_string()),
        ("expect", e) => {
            let (k, a) = e.split_once(' ').unwrap_or((e, ""));
            let a = a.trim();
            CStep::Expect(match k {
                "status" => CExpect::Status(number(a, "status")?),
                "header" => {
                    let (n, v) = a
                        .split_once(':')
                        .ok_or("expect header NAME: VALUE".to_string())?;
                    CExpect::Header(n.trim().to_ascii_lowercase(), v.trim().to_string())
                }
                "no-header" => CExpect::NoHeader(a.to_ascii_lowercase()),
                "body" => CExpect::Body(parse_strings(a)?),
                "body-contains" => CExpect::BodyContains(parse_strings(a)?),
                "closed" => CExpect::Closed,
                "open" => CExpect::Open,
                "bytes" => CExpect::Bytes(parse_strings(a)?),
                _ => return Err(format!("unknown client expectation `{e}`")),
            })
        }
        _ => return Err(format!("unknown client step `{line}`")),
    })
}

enum Section {
    Header,
    Config,
    File(String),
    Server(usize),
    Client(usize),
}

pub fn parse(path: &Path, text: &str) -> Result<Scenario, String> {
    let mut sc = Scenario {
        name: String::new(),
        about: String::new(),
        path: path.to_path_buf(),
        ignore_headers: Vec::new(),
        ignore_request_headers: Vec::new(),
        exact_case: false,
        step_timeout: Duration::from_secs(3),
        config: String::new(),
        files: Vec::new(),
        servers: Vec::new(),
        clients: Vec::new(),
    };
    let mut sect = Section::Header;
    for (no, raw) in text.lines().enumerate() {
        let at = |e: String| format!("{}:{}: {e}", path.display(), no + 1);
        if let Some(h) = raw.strip_prefix("--- ") {
            let words: Vec<&str> = h.split_whitespace().collect();
            sect = match words.as_slice() {
                ["config"] => Section::Config,
                ["file", n] => {
                    sc.files.push((n.to_string(), Vec::new()));
                    Section::File(n.to_string())
                }
                ["server", n, opts @ ..] => {
                    let (refuse, blackhole) = match opts {
                        [] => (false, false),
                        ["refuse"] => (true, false),
                        ["blackhole"] => (false, true),
                        _ => return Err(at(format!("bad server options {opts:?}"))),
                    };
                    sc.servers.push(Server {
                        name: n.to_string(),
                        refuse,
                        blackhole,
                        steps: Vec::new(),
                        expects: Vec::new(),
                    });
                    Section::Server(sc.servers.len() - 1)
                }
                ["client", n, opts @ ..] => {
                    let mut c = Client {
                        name: n.to_string(),
                        concurrent: false,
                        target: "FE_PORT".into(),
                        steps: Vec::new(),
                    };
                    let mut it = opts.iter();
                    while let Some(o) = it.next() {
                        match *o {
                            "concurrent" => c.concurrent = true,
                            "to" => {
                                c.target =
                                    it.next().ok_or(at("`to` needs a port".into()))?.to_string()
                            }
                            _ => return Err(at(format!("bad client option `{o}`"))),
                        }
                    }
                    sc.clients.push(c);
                    Section::Client(sc.clients.len() - 1)
                }
                _ => return Err(at(format!("unknown section `{h}`"))),
            };
            continue;
        }
        if let Section::Config = sect {
            sc.config.push_str(raw);
            sc.config.push('\n');
            continue;
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match &sect {
            Section::Header => {
                let (k, v) = line
                    .split_once(':')
                    .ok_or_else(|| at(format!("expected `key: value`, got `{line}`")))?;
                let v = v.trim();
                let list = || {
                    v.split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(|s| s.to_ascii_lowercase())
                        .collect::<Vec<_>>()
                };
                match k.trim() {
                    "name" => sc.name = v.to_string(),
                    "about" => {
                        if !sc.about.is_empty() {
                            sc.about.push(' ');
                        }
                        sc.about.push_str(v)
                    }
                    "ignore-headers" => sc.ignore_headers = list(),
                    "ignore-request-headers" => sc.ignore_request_headers = list(),
                    "header-case" => match v {
                        "exact" => sc.exact_case = true,
                        _ => return Err(at(format!("header-case: `exact`, not `{v}`"))),
                    },
                    "step-timeout" => {
                        sc.step_timeout =
                            Duration::from_millis(number(v, "step-timeout").map_err(at)?)
                    }
                    other => return Err(at(format!("unknown header key `{other}`"))),
                }
            }
            Section::Config => unreachable!(),
            Section::File(n) => {
                let bytes = parse_strings(line).map_err(at)?;
                let f = sc.files.iter_mut().find(|f| &f.0 == n).unwrap();
                f.1.extend_from_slice(&bytes);
            }
            Section::Server(i) => {
                let s = &mut sc.servers[*i];
                match server_step(line).map_err(at)? {
                    Some(st) => s.steps.push(st),
                    None => s
                        .expects
                        .push(server_expect(line["expect".len()..].trim()).map_err(at)?),
                }
            }
            Section::Client(i) => sc.clients[*i].steps.push(client_step(line).map_err(at)?),
        }
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if sc.name.is_empty() {
        return Err(format!("{}: no `name:`", path.display()));
    }
    if sc.name != stem {
        return Err(format!(
            "{}: name `{}` differs from the file name",
            path.display(),
            sc.name
        ));
    }
    if sc.about.is_empty() {
        return Err(format!("{}: no `about:` (what it checks)", path.display()));
    }
    if sc.config.trim().is_empty() {
        return Err(format!("{}: no `--- config`", path.display()));
    }
    if sc.clients.is_empty() {
        return Err(format!("{}: no client", path.display()));
    }
    let has_expect = sc
        .clients
        .iter()
        .any(|c| c.steps.iter().any(|s| matches!(s, CStep::Expect(_))))
        || sc.servers.iter().any(|s| !s.expects.is_empty());
    if !has_expect {
        return Err(format!(
            "{}: no `expect` line: state what HAProxy does",
            path.display()
        ));
    }
    for s in &sc.servers {
        if (s.refuse || s.blackhole) && !s.steps.is_empty() {
            return Err(format!(
                "{}: server {} accepts no connection but has steps",
                path.display(),
                s.name
            ));
        }
    }
    Ok(sc)
}

/// The environment variable holding a server's port: `s1` → `S1_PORT`.
pub fn port_var(name: &str) -> String {
    format!("{}_PORT", name.to_ascii_uppercase())
}

/// The environment variable holding a file's path: `e503` → `FILE_E503`.
pub fn file_var(name: &str) -> String {
    format!("FILE_{}", name.to_ascii_uppercase())
}

/// Every `${NAME_PORT}` the configuration refers to, plus the clients' targets.
pub fn port_vars(sc: &Scenario) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = sc.config.as_str();
    while let Some(i) = rest.find("${") {
        rest = &rest[i + 2..];
        if let Some(j) = rest.find('}') {
            let v = &rest[..j];
            if v.ends_with("_PORT") && !out.iter().any(|o| o == v) {
                out.push(v.to_string());
            }
        }
    }
    for v in sc
        .clients
        .iter()
        .map(|c| c.target.clone())
        .chain(sc.servers.iter().map(|s| port_var(&s.name)))
    {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// Loads every `*.scn` of a folder, sorted by name.
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scn"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            parse(p, &text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            parse_strings(r#""GET / HTTP/1.1\r\n" "Host: x\x41\r\n""#).unwrap(),
            b"GET / HTTP/1.1\r\nHost: xA\r\n"
        );
        assert!(parse_strings("noquote").is_err());
        assert!(parse_strings(r#""open"#).is_err());
        assert_eq!(escape(b"a\r\n\"\x01"), r#""a\r\n\"\x01""#);
    }

    #[test]
    fn a_whole_scenario() {
        let text = "name: t\nabout: checks x\nignore-headers: Date, Server\n\
                    --- config\nfrontend fe\n  bind \"127.0.0.1:${FE_PORT}\"\n\
                    --- server s1\nrecv request\nsend \"HTTP/1.1 200 OK\\r\\n\\r\\n\"\nloop\nexpect connections 1\n\
                    --- client c1 concurrent\nsend \"GET / HTTP/1.1\\r\\n\\r\\n\"\nrecv response\nexpect status 200\n";
        let sc = parse(Path::new("x/t.scn"), text).unwrap();
        assert_eq!(sc.ignore_headers, ["date", "server"]);
        assert_eq!(sc.servers[0].steps.len(), 3);
        assert_eq!(sc.servers[0].expects, [SExpect::Connections(1)]);
        assert!(sc.clients[0].concurrent);
        assert_eq!(port_vars(&sc), ["FE_PORT", "S1_PORT"]);
        assert!(
            parse(Path::new("x/u.scn"), text).is_err(),
            "name must match the file"
        );
    }
}
