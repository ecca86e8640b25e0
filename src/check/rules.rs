//! Check rule sets as data: what `tcpcheck.c` builds from `tcp-check`/`http-check` lines,
//! `option httpchk` and the built-in protocol checks (`*redis-check`, `*smtp-check`…).

use crate::model::proxy::{CheckKind, CheckRule, ProxySettings};

use super::Status;

/// A message made when an expect rule fails or passes (`on-error`/`on-success`). The
/// built-in checks use sample expressions on the response; the two they need are here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    Text(String),
    /// `%[res.payload(<skip>,0),ltrim(' '),cut_crlf]` (`ltrim` when `trim`, `cut_crlf`
    /// when `cut`).
    Payload {
        skip: usize,
        trim: bool,
        cut: bool,
    },
}

/// A compiled regex compared by its source (rule sets are compared in tests).
#[derive(Debug, Clone)]
pub struct Re(pub regex::bytes::Regex);

impl PartialEq for Re {
    fn eq(&self, o: &Re) -> bool {
        self.0.as_str() == o.0.as_str()
    }
}
impl Eq for Re {}

impl Re {
    pub fn is_match(&self, b: &[u8]) -> bool {
        self.0.is_match(b)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// `string`/`binary`: a substring of what was received.
    Bytes {
        data: Vec<u8>,
        binary: bool,
    },
    /// `rstring`/`rbinary` (the latter over the received bytes as upper-case hex).
    Regex {
        re: Re,
        binary: bool,
    },
    /// `status <codes>`: inclusive ranges.
    Status(Vec<(u16, u16)>),
    RStatus(Re),
    /// `hdr name <n> [value <v>]` (`fhdr`: the value is the full line, not comma items).
    Hdr {
        name: Match,
        value: Option<Match>,
        full: bool,
    },
    /// Body `string`/`rstring` of an HTTP check.
    Body(Vec<u8>),
    RBody(Re),
    /// A built-in protocol's own reply parser.
    Custom(Custom),
}

/// `-m str|beg|end|sub|reg` header name/value matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    Str(Vec<u8>),
    Beg(Vec<u8>),
    End(Vec<u8>),
    Sub(Vec<u8>),
    Reg(Re),
}

impl Match {
    pub fn matches(&self, v: &[u8], ci: bool) -> bool {
        let eq = |a: &[u8], b: &[u8]| {
            if ci {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        match self {
            Match::Str(p) => eq(v, p),
            Match::Beg(p) => v.len() >= p.len() && eq(&v[..p.len()], p),
            Match::End(p) => v.len() >= p.len() && eq(&v[v.len() - p.len()..], p),
            Match::Sub(p) => p.is_empty() || v.windows(p.len()).any(|w| eq(w, p)),
            Match::Reg(r) => r.is_match(v),
        }
    }
}

/// Reply parsers of the built-in checks (`TCPCHK_EXPECT_CUSTOM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Custom {
    Agent,
    /// The server's greeting (packet at offset 0).
    MysqlInit,
    /// The answer to the authentication, after the greeting.
    MysqlOk,
    Ldap,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    pub pattern: Pattern,
    pub inverse: bool,
    /// -1: not set (a mismatch waits for more data).
    pub min_recv: i64,
    pub ok_status: Option<Status>,
    pub err_status: Option<Status>,
    pub tout_status: Option<Status>,
    pub on_success: Option<Msg>,
    pub on_error: Option<Msg>,
    /// `status-code res.payload(0,3)` (the only form the built-ins use).
    pub code_from_payload: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSend {
    pub method: String,
    pub uri: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Connect {
        port: Option<u16>,
        addr: Option<std::net::SocketAddr>,
        send_proxy: bool,
        /// Inserted by HAProxy, not written: its step is 0 and it reports no info.
        implicit: bool,
    },
    Send(Vec<u8>),
    SendHttp(Box<HttpSend>),
    Expect(Box<Expect>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub action: Action,
    /// HAProxy's rule index (its messages show `index + 1` as the step).
    pub index: u32,
    pub comment: Option<String>,
}

/// Which protocol a rule set checks (`TCPCHK_RULES_*_CHK`): messages differ by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// A plain `check` with no option: a connection is the whole check.
    Default,
    Tcp,
    Http,
    Agent,
    Redis,
    Smtp,
    Pgsql,
    Mysql,
    Ldap,
    SslHello,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub proto: Proto,
    pub rules: Vec<Rule>,
    /// `http-check disable-on-404`.
    pub disable_404: bool,
    /// `http-check send-state`.
    pub send_state: bool,
}

impl Program {
    /// The rule set a proxy's servers are checked with. `Err` names what cannot run.
    pub fn from_proxy(s: &ProxySettings) -> Result<Program, String> {
        let (proto, mut rules) = match &s.check {
            None => (Proto::Default, Vec::new()),
            Some(CheckKind::Tcp) => (Proto::Tcp, parse_list(&s.tcp_check_rules, false)?),
            Some(CheckKind::Http {
                method,
                uri,
                version,
            }) => (Proto::Http, http_rules(s, method, uri, version)?),
            Some(CheckKind::Redis) => (Proto::Redis, redis()),
            Some(CheckKind::Smtp { helo }) => (Proto::Smtp, smtp(helo.as_ref())),
            Some(CheckKind::SslHello) => (Proto::SslHello, ssl_hello()),
            Some(CheckKind::Pgsql { user }) => (Proto::Pgsql, pgsql(user)),
            Some(CheckKind::Mysql { user, post41 }) => {
                (Proto::Mysql, mysql(user.as_deref(), *post41))
            }
            Some(CheckKind::Ldap) => (Proto::Ldap, ldap()),
            Some(other) => return Err(format!("{other:?} checks are not available yet")),
        };
        if rules.first().map(|r| &r.action) != Some(&CONNECT_IMPLICIT)
            && !matches!(
                rules.first().map(|r| &r.action),
                Some(Action::Connect { .. })
            )
        {
            rules.insert(
                0,
                Rule {
                    action: CONNECT_IMPLICIT,
                    index: 0,
                    comment: None,
                },
            );
        }
        Ok(Program {
            proto,
            rules,
            disable_404: s.http_check_disable_on_404,
            send_state: s.http_check_send_state,
        })
    }

    /// The agent's rule set: connect to the agent port, send `agent-send`, read one line.
    pub fn agent(send: Option<&str>) -> Program {
        let mut rules = vec![Rule {
            action: CONNECT_IMPLICIT,
            index: 0,
            comment: None,
        }];
        if let Some(s) = send {
            rules.push(rule(Action::Send(s.as_bytes().to_vec()), 0));
        }
        rules.push(rule(expect(Pattern::Custom(Custom::Agent)), 1));
        Program {
            proto: Proto::Agent,
            rules,
            disable_404: false,
            send_state: false,
        }
    }

    /// `tcpcheck_get_step_id()` of rule `i` (`None`: before the first rule).
    pub fn step_id(&self, i: Option<usize>) -> u32 {
        match i.and_then(|i| self.rules.get(i)) {
            None => self.rules.first().map_or(0, |r| r.index + 1),
            Some(Rule {
                action: Action::Connect { implicit: true, .. },
                index: 0,
                ..
            }) => 0,
            Some(r) => r.index + 1,
        }
    }
}

/// What a proxy's check rules use that runs differently here (for a start-up warning):
/// check variables are not kept, and log-format strings are used as written.
pub fn approximations(s: &ProxySettings) -> Vec<String> {
    let mut out = Vec::new();
    for r in s.tcp_check_rules.iter().chain(&s.http_check_rules) {
        let var = r.verb.starts_with("set-var") || r.verb.starts_with("unset-var");
        let what = if var || r.verb.ends_with("-lf") {
            Some(r.verb.clone())
        } else {
            r.args
                .iter()
                .find(|a| a.ends_with("-lf") || a.as_str() == "status-code" || a.contains("%["))
                .cloned()
        };
        if let Some(w) = what {
            out.push(format!(
                "'{w}' in check rules at {}: check variables and log-format strings are not evaluated yet in haproxy-rs (used as written, variables ignored)",
                r.loc
            ));
        }
    }
    out
}

const CONNECT_IMPLICIT: Action = Action::Connect {
    port: None,
    addr: None,
    send_proxy: false,
    implicit: true,
};

fn rule(action: Action, index: u32) -> Rule {
    Rule {
        action,
        index,
        comment: None,
    }
}

fn expect(pattern: Pattern) -> Action {
    Action::Expect(Box::new(Expect {
        pattern,
        inverse: false,
        min_recv: -1,
        ok_status: None,
        err_status: None,
        tout_status: None,
        on_success: None,
        on_error: None,
        code_from_payload: false,
    }))
}

fn re(p: &str) -> Result<Re, String> {
    regex::bytes::Regex::new(p)
        .map(Re)
        .map_err(|e| format!("invalid regex '{p}': {e}"))
}

/// `http-check`/`tcp-check` lines in order; comment lines attach to the next rule.
fn parse_list(list: &[CheckRule], http: bool) -> Result<Vec<Rule>, String> {
    let mut out = Vec::new();
    let mut comment: Option<String> = None;
    for (i, r) in list.iter().enumerate() {
        let index = i as u32;
        let a = &r.args;
        let act = match r.verb.as_str() {
            "comment" => {
                comment = a.first().cloned();
                continue;
            }
            v if v.starts_with("set-var") || v.starts_with("unset-var") => continue,
            "connect" => parse_connect(a)?,
            "send" if http => Action::SendHttp(Box::new(parse_http_send(a, None))),
            // The `-lf` forms are used as written (see `approximations()`).
            "send" | "send-lf" => {
                Action::Send(a.first().map(|s| s.as_bytes().to_vec()).unwrap_or_default())
            }
            "send-binary" | "send-binary-lf" => {
                Action::Send(unhex(a.first().map_or("", |s| s.as_str()))?)
            }
            "expect" => Action::Expect(Box::new(parse_expect(a, http)?)),
            v => return Err(format!("'{v}' check rules are not available yet")),
        };
        let mut rl = rule(act, index);
        // `comment` options inside the rule win over a preceding comment line.
        rl.comment = opt_after(a, "comment").or_else(|| comment.take());
        out.push(rl);
    }
    Ok(out)
}

fn opt_after(a: &[String], k: &str) -> Option<String> {
    a.iter()
        .position(|w| w == k)
        .and_then(|i| a.get(i + 1))
        .cloned()
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err(format!("invalid hexadecimal string '{s}'"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| format!("invalid hex '{s}'")))
        .collect()
}

fn parse_connect(a: &[String]) -> Result<Action, String> {
    let mut port = None;
    let mut addr = None;
    let mut send_proxy = false;
    let mut i = 0;
    while i < a.len() {
        match a[i].as_str() {
            "port" => {
                port = a.get(i + 1).and_then(|p| p.parse().ok());
                i += 1;
            }
            "addr" => {
                addr = a.get(i + 1).and_then(|v| {
                    v.parse()
                        .ok()
                        .or_else(|| v.parse::<std::net::IpAddr>().ok().map(|ip| (ip, 0).into()))
                });
                i += 1;
            }
            "send-proxy" => send_proxy = true,
            "ssl" | "sni" | "alpn" | "proto" | "via-socks4" => {
                return Err(format!("'connect {}' is not available yet", a[i]));
            }
            "comment" => i += 1,
            _ => {}
        }
        i += 1;
    }
    Ok(Action::Connect {
        port,
        addr,
        send_proxy,
        implicit: false,
    })
}

fn parse_http_send(a: &[String], base: Option<&HttpSend>) -> HttpSend {
    let mut s = base.cloned().unwrap_or(HttpSend {
        method: "OPTIONS".into(),
        uri: "/".into(),
        version: "HTTP/1.0".into(),
        headers: Vec::new(),
        body: String::new(),
    });
    let mut i = 0;
    while i < a.len() {
        let v = a.get(i + 1).cloned().unwrap_or_default();
        match a[i].as_str() {
            "meth" => s.method = v,
            "uri" | "uri-lf" => s.uri = v,
            "ver" => s.version = v,
            "body" | "body-lf" => s.body = v,
            "hdr" => {
                s.headers
                    .push((v, a.get(i + 2).cloned().unwrap_or_default()));
                i += 1;
            }
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    s
}

fn http_rules(
    s: &ProxySettings,
    method: &Option<String>,
    uri: &Option<String>,
    version: &Option<String>,
) -> Result<Vec<Rule>, String> {
    let base = HttpSend {
        method: method.clone().unwrap_or_else(|| "OPTIONS".into()),
        uri: uri.clone().unwrap_or_else(|| "/".into()),
        version: version.clone().unwrap_or_else(|| "HTTP/1.0".into()),
        headers: Vec::new(),
        body: String::new(),
    };
    let mut rules = parse_list(&s.http_check_rules, true)?;
    // The first explicit `send` overwrites the implicit one of `option httpchk`
    // (`tcpcheck_overwrite_send_http_rule()`); without one the implicit send goes first,
    // after a leading connect.
    let first_send = s.http_check_rules.iter().position(|r| r.verb == "send");
    match first_send {
        Some(pos) => {
            if let Some(r) = rules
                .iter_mut()
                .find(|r| r.index == pos as u32 && matches!(r.action, Action::SendHttp(_)))
            {
                r.action = Action::SendHttp(Box::new(parse_http_send(
                    &s.http_check_rules[pos].args,
                    Some(&base),
                )));
            }
        }
        None => {
            let at = usize::from(matches!(
                rules.first().map(|r| &r.action),
                Some(Action::Connect { .. })
            ));
            let index = rules.get(at.wrapping_sub(1)).map_or(0, |r| r.index + 1);
            rules.insert(at, rule(Action::SendHttp(Box::new(base)), index));
        }
    }
    if matches!(rules.last().map(|r| &r.action), Some(Action::SendHttp(_))) {
        let index = rules.last().map_or(0, |r| r.index + 1);
        rules.push(rule(expect(Pattern::Status(vec![(200, 399)])), index));
    }
    Ok(rules)
}

fn parse_codes(s: &str) -> Vec<(u16, u16)> {
    s.split(',')
        .filter_map(|p| {
            let (a, b) = p.split_once('-').unwrap_or((p, p));
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        })
        .collect()
}

fn parse_match(a: &[String], i: &mut usize) -> Result<Match, String> {
    let mut meth = "str";
    if a.get(*i).map(String::as_str) == Some("-m") {
        meth = a.get(*i + 1).map_or("str", |s| s.as_str());
        *i += 2;
    }
    let v = a.get(*i).cloned().unwrap_or_default();
    *i += 1;
    Ok(match meth {
        "beg" => Match::Beg(v.into_bytes()),
        "end" => Match::End(v.into_bytes()),
        "sub" => Match::Sub(v.into_bytes()),
        "reg" => Match::Reg(re(&v)?),
        _ => Match::Str(v.into_bytes()),
    })
}

fn parse_expect(a: &[String], http: bool) -> Result<Expect, String> {
    let mut e = Expect {
        pattern: Pattern::Bytes {
            data: Vec::new(),
            binary: false,
        },
        inverse: false,
        min_recv: -1,
        ok_status: None,
        err_status: None,
        tout_status: None,
        on_success: None,
        on_error: None,
        code_from_payload: false,
    };
    let mut i = 0;
    let mut found = false;
    while i < a.len() {
        let v = a.get(i + 1).cloned().unwrap_or_default();
        let st = || Status::from_info(&v.to_ascii_uppercase());
        match a[i].as_str() {
            "min-recv" => e.min_recv = v.parse().unwrap_or(-1),
            "comment" | "status-code" => {}
            "ok-status" => e.ok_status = st(),
            "error-status" => e.err_status = st(),
            "tout-status" => e.tout_status = st(),
            "on-success" => e.on_success = Some(Msg::Text(v)),
            "on-error" => e.on_error = Some(Msg::Text(v)),
            "!" => {
                e.inverse = true;
                i += 1;
                continue;
            }
            kind => {
                found = true;
                e.pattern = match (kind, http) {
                    ("string" | "string-lf", false) => Pattern::Bytes {
                        data: v.into_bytes(),
                        binary: false,
                    },
                    ("binary" | "binary-lf", false) => Pattern::Bytes {
                        data: unhex(&v)?,
                        binary: true,
                    },
                    ("rstring", false) => Pattern::Regex {
                        re: re(&v)?,
                        binary: false,
                    },
                    ("rbinary", false) => Pattern::Regex {
                        re: re(&v)?,
                        binary: true,
                    },
                    ("status", true) => Pattern::Status(parse_codes(&v)),
                    ("rstatus", true) => Pattern::RStatus(re(&v)?),
                    ("string" | "string-lf", true) => Pattern::Body(v.into_bytes()),
                    ("rstring", true) => Pattern::RBody(re(&v)?),
                    ("hdr", true) | ("fhdr", true) => {
                        let full = kind == "fhdr";
                        let mut j = i + 1;
                        if a.get(j).map(String::as_str) != Some("name") {
                            return Err("'hdr' expects 'name'".into());
                        }
                        j += 1;
                        let name = parse_match(a, &mut j)?;
                        let value = if a.get(j).map(String::as_str) == Some("value") {
                            j += 1;
                            Some(parse_match(a, &mut j)?)
                        } else {
                            None
                        };
                        i = j;
                        e.pattern = Pattern::Hdr { name, value, full };
                        continue;
                    }
                    (k, _) => return Err(format!("'expect {k}' is not available yet")),
                };
            }
        }
        i += 2;
    }
    if !found {
        return Err("expect rule without a pattern".into());
    }
    Ok(e)
}

fn with(act: Action, f: impl FnOnce(&mut Expect)) -> Action {
    match act {
        Action::Expect(mut e) => {
            f(&mut e);
            Action::Expect(e)
        }
        a => a,
    }
}

fn redis() -> Vec<Rule> {
    vec![
        rule(Action::Send(b"*1\r\n$4\r\nPING\r\n".to_vec()), 0),
        rule(
            with(
                expect(Pattern::Bytes {
                    data: b"+PONG\r\n".to_vec(),
                    binary: false,
                }),
                |e| {
                    e.err_status = Some(Status::L7Sts);
                    e.on_error = Some(Msg::Payload {
                        skip: 0,
                        trim: false,
                        cut: true,
                    });
                    e.on_success = Some(Msg::Text("Redis server is ok".into()));
                },
            ),
            1,
        ),
    ]
}

fn smtp(helo: Option<&(String, String)>) -> Vec<Rule> {
    let cmd = match helo {
        Some((c, d)) => format!("{c} {d}"),
        None => "HELO localhost".into(),
    };
    let smtp_expect = |pat: &str, err: Status, on_err: Msg, code: bool, ok: Option<Msg>| {
        with(
            expect(Pattern::Regex {
                re: Re(regex::bytes::Regex::new(pat).expect("static regex")),
                binary: false,
            }),
            |e| {
                e.min_recv = 4;
                e.err_status = Some(err);
                e.on_error = Some(on_err);
                e.on_success = ok;
                e.code_from_payload = code;
            },
        )
    };
    let after = Msg::Payload {
        skip: 4,
        trim: true,
        cut: true,
    };
    vec![
        rule(
            Action::Connect {
                port: None,
                addr: None,
                send_proxy: false,
                implicit: false,
            },
            0,
        ),
        rule(
            smtp_expect(
                r"^[0-9]{3}[ \r]",
                Status::L7Rsp,
                Msg::Payload {
                    skip: 0,
                    trim: false,
                    cut: true,
                },
                false,
                None,
            ),
            1,
        ),
        rule(
            smtp_expect(r"^2[0-9]{2}[ \r]", Status::L7Sts, after.clone(), true, None),
            2,
        ),
        rule(Action::Send(format!("{cmd}\r\n").into_bytes()), 3),
        rule(
            smtp_expect(
                r"^2[0-9]{2}[- \r]",
                Status::L7Sts,
                after.clone(),
                true,
                Some(after),
            ),
            4,
        ),
    ]
}

/// `*ssl-hello-check`: HAProxy's SSLv3 client hello; a handshake or alert record back
/// (`rbinary ^1[56]`) means the server speaks SSL.
fn ssl_hello() -> Vec<Rule> {
    let mut hello = unhex("16030000790100007503 00".replace(' ', "").as_str()).unwrap_or_default();
    // The GMT time is taken once, when the rule set is built (servers do not check it).
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32);
    hello.extend_from_slice(&t.to_be_bytes());
    hello.extend_from_slice(b"HAPROXYSSLCHK\nHAPROXYSSLCHK\n");
    hello.extend_from_slice(&[0x00, 0x00, 0x4e]);
    for c in (0x01..=0x1bu16).chain(0x2f..=0x3a) {
        hello.extend_from_slice(&c.to_be_bytes());
    }
    hello.extend_from_slice(&[0x01, 0x00]);
    vec![
        rule(Action::Send(hello), 0),
        rule(
            with(
                expect(Pattern::Regex {
                    re: Re(regex::bytes::Regex::new("^1[56]").expect("static regex")),
                    binary: true,
                }),
                |e| {
                    e.min_recv = 5;
                    e.ok_status = Some(Status::L6Ok);
                    e.err_status = Some(Status::L6Rsp);
                    e.tout_status = Some(Status::L6Tout);
                },
            ),
            1,
        ),
    ]
}

fn connect_default() -> Action {
    Action::Connect {
        port: None,
        addr: None,
        send_proxy: false,
        implicit: false,
    }
}

fn pgsql(user: &str) -> Vec<Rule> {
    // StartupMessage: length (itself included), protocol 3.0, "user" <name>, two NULs.
    let mut body = vec![0, 3, 0, 0];
    body.extend_from_slice(b"user\0");
    body.extend_from_slice(user.as_bytes());
    body.extend_from_slice(b"\0\0");
    let mut pkt = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    pkt.extend(body);
    let not_error = with(
        expect(Pattern::Regex {
            re: Re(regex::bytes::Regex::new("^E").expect("static regex")),
            binary: false,
        }),
        |e| {
            e.inverse = true;
            e.min_recv = 5;
            e.err_status = Some(Status::L7Rsp);
            e.on_error = Some(Msg::Payload {
                skip: 6,
                trim: false,
                cut: false,
            });
        },
    );
    let auth_ok = with(
        expect(Pattern::Regex {
            re: Re(
                regex::bytes::Regex::new("^52000000(08|0A|0C)000000(00|02|03|04|05|06)")
                    .expect("static regex"),
            ),
            binary: true,
        }),
        |e| {
            e.min_recv = 9;
            e.err_status = Some(Status::L7Sts);
            e.on_success = Some(Msg::Text("PostgreSQL server is ok".into()));
            e.on_error = Some(Msg::Text("PostgreSQL unknown error".into()));
        },
    );
    vec![
        rule(connect_default(), 0),
        rule(Action::Send(pkt), 1),
        rule(not_error, 2),
        rule(auth_ok, 3),
    ]
}

/// `*mysql-check`, `*mysql40-check`, `*mysql41-check`: without a user only the greeting is
/// read; with one, an authentication then COM_QUIT go out first and the answer after the
/// greeting must not be an error packet.
fn mysql(user: Option<&str>, post41: bool) -> Vec<Rule> {
    let mut rules = vec![rule(connect_default(), 0)];
    let Some(user) = user else {
        rules.push(rule(expect(Pattern::Custom(Custom::MysqlInit)), 1));
        return rules;
    };
    let mut auth = Vec::new();
    if post41 {
        auth.extend_from_slice(&[0x00, 0x82, 0x00, 0x00, 0x00, 0x80, 0x00, 0x01, 0x21]);
        auth.extend_from_slice(&[0; 23]);
    } else {
        auth.extend_from_slice(&[0x00, 0x80, 0x00, 0x00, 0x01]);
    }
    auth.extend_from_slice(user.as_bytes());
    auth.extend_from_slice(&[0, 0]);
    let mut pkt = (auth.len() as u32).to_le_bytes()[..3].to_vec();
    pkt.push(1);
    pkt.extend(auth);
    pkt.extend_from_slice(&[0x01, 0x00, 0x00, 0x00, 0x01]);
    rules.push(rule(Action::Send(pkt), 1));
    rules.push(rule(expect(Pattern::Custom(Custom::MysqlInit)), 2));
    rules.push(rule(expect(Pattern::Custom(Custom::MysqlOk)), 3));
    rules
}

fn ldap() -> Vec<Rule> {
    // An anonymous LDAPv3 simple bind request.
    let bind = vec![
        0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00,
    ];
    let seq = with(
        expect(Pattern::Regex {
            re: Re(regex::bytes::Regex::new("^30").expect("static regex")),
            binary: true,
        }),
        |e| {
            e.min_recv = 14;
            e.on_error = Some(Msg::Text("Not LDAPv3 protocol".into()));
        },
    );
    vec![
        rule(Action::Send(bind), 0),
        rule(seq, 1),
        rule(expect(Pattern::Custom(Custom::Ldap)), 2),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Loc;

    fn cr(verb: &str, args: &[&str]) -> CheckRule {
        CheckRule {
            verb: verb.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            loc: Loc::default(),
        }
    }

    #[test]
    fn httpchk_gets_implicit_connect_send_and_expect() {
        let s = ProxySettings {
            check: Some(CheckKind::Http {
                method: Some("GET".into()),
                uri: Some("/health".into()),
                version: None,
            }),
            ..Default::default()
        };
        let p = Program::from_proxy(&s).unwrap();
        assert_eq!(p.rules.len(), 3);
        match &p.rules[1].action {
            Action::SendHttp(h) => {
                assert_eq!((h.method.as_str(), h.uri.as_str()), ("GET", "/health"));
                assert_eq!(h.version, "HTTP/1.0");
            }
            a => panic!("{a:?}"),
        }
        match &p.rules[2].action {
            Action::Expect(e) => assert_eq!(e.pattern, Pattern::Status(vec![(200, 399)])),
            a => panic!("{a:?}"),
        }
    }

    #[test]
    fn tcp_check_rules_keep_their_indexes() {
        let s = ProxySettings {
            check: Some(CheckKind::Tcp),
            tcp_check_rules: vec![
                cr("send", &["PING\r\n"]),
                cr("expect", &["string", "+PONG"]),
                cr("expect", &["!", "rstring", "^-ERR"]),
            ],
            ..Default::default()
        };
        let p = Program::from_proxy(&s).unwrap();
        assert_eq!(p.step_id(Some(0)), 0);
        assert_eq!(p.step_id(Some(1)), 1);
        assert_eq!(p.step_id(Some(2)), 2);
        match &p.rules[3].action {
            Action::Expect(e) => assert!(e.inverse),
            a => panic!("{a:?}"),
        }
    }

    #[test]
    fn hdr_expect_parses_name_and_value_matches() {
        let e = parse_expect(
            &["hdr", "name", "-m", "beg", "x-st", "value", "ok"].map(String::from),
            true,
        )
        .unwrap();
        match e.pattern {
            Pattern::Hdr { name, value, full } => {
                assert!(name.matches(b"X-Status", true));
                assert!(value.unwrap().matches(b"ok", false));
                assert!(!full);
            }
            p => panic!("{p:?}"),
        }
    }
}
