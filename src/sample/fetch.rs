//! Sample fetches (`doc/configuration.txt` 7.3.2–7.3.6), compiled once from the model and
//! evaluated against a [`Txn`]: the transaction's messages, addresses, names and variables,
//! plus an [`Env`] for what only the running proxy knows (server states, queue lengths).

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use super::msg::{split_commas, Req, Resp};
use super::value::Smp;
use super::vars::{VarName, Vars};
use crate::model::expr::ArgValue;

/// Which message a rule is looking at: `hdr()` means the request's in `http-request`
/// rules and the response's in `http-response` rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dir {
    #[default]
    Req,
    Res,
}

/// A backend's counters, for `nbsrv`, `be_conn`, `queue`, `avg_queue`, `connslots`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BackendStat {
    /// Usable servers (active ones, else backups).
    pub nbsrv: i64,
    pub active: i64,
    pub conn: i64,
    pub queue: i64,
    /// Free connection plus queue slots of usable servers; `None`: one is unlimited.
    pub connslots: Option<i64>,
    pub conn_free: Option<i64>,
}

/// What fetches need from the running proxy. `None` for a backend or server name means
/// the current one.
pub trait Env {
    fn backend(&self, name: Option<&str>) -> Option<BackendStat>;
    fn server_up(&self, backend: Option<&str>, server: &str) -> Option<bool>;
    /// `http_auth`: the groups of `user` in `userlist` when `pass` is right.
    fn auth(&self, userlist: &str, user: &[u8], pass: &[u8]) -> Option<Vec<String>>;
    /// Current connections of server `server` (`srv_conn`), queue (`srv_queue`).
    fn server_stat(&self, _backend: Option<&str>, _server: &str) -> Option<(i64, i64)> {
        None
    }
    /// The current weight of a server (`srv_weight`, `srv_uweight`).
    fn server_weight(&self, _backend: Option<&str>, _server: &str) -> Option<i64> {
        None
    }
    /// Current connections of frontend `name` (`fe_conn`).
    fn frontend_conn(&self, _name: &str) -> Option<i64> {
        None
    }
    /// A proxy's timeouts in milliseconds (`be_server_timeout`, `fe_client_timeout`…):
    /// `which` is `server`, `tunnel` or `client`; `proxy` `None` is the current backend.
    fn timeout(&self, _proxy: Option<&str>, _which: &str) -> Option<i64> {
        None
    }
    /// A server's weight as configured (`srv_iweight`), whatever agents set since.
    fn server_iweight(&self, _backend: Option<&str>, _server: &str) -> Option<i64> {
        None
    }
    /// A server's free connection slots (`srv_conn_free`): -1 when unlimited.
    fn server_conn_free(&self, _backend: Option<&str>, _server: &str) -> Option<i64> {
        None
    }
    /// Sessions per second of frontend `name` (`fe_sess_rate`).
    fn frontend_rate(&self, _name: &str) -> Option<i64> {
        None
    }
    /// Streams per second given to a backend (`be_sess_rate`).
    fn backend_rate(&self, _backend: Option<&str>) -> Option<i64> {
        None
    }
    /// Connections per second made to a server (`srv_sess_rate`).
    fn server_rate(&self, _backend: Option<&str>, _server: &str) -> Option<i64> {
        None
    }
    /// The process is soft-stopping (`stopping`).
    fn stopping(&self) -> bool {
        false
    }
    /// `addr_is_local()`: `a` is an address of this host (`src_is_local`…); `None` when
    /// the check itself failed.
    fn addr_is_local(&self, _a: SocketAddr) -> Option<bool> {
        None
    }
    /// A `TCP_INFO` field of the socket `fd` (`fc_rtt`…), in the kernel's units.
    fn tcp_info(&self, _fd: i32, _field: TcpInfo) -> Option<i64> {
        None
    }
}

/// The `TCP_INFO` fields of the `fc_*` fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpInfo {
    /// Microseconds.
    Rtt,
    RttVar,
    Unacked,
    Sacked,
    Lost,
    Retrans,
    Fackets,
    Reordering,
}

/// The stream's server connection, once established (`bc_*` fetches). A trait so that
/// the runtime asks the socket for its addresses only when a fetch reads them.
pub trait ServerConn {
    fn src(&self) -> Option<SocketAddr>;
    fn dst(&self) -> Option<SocketAddr>;
    /// An HTTP (HTX) mux runs on it: `bc_http_major` is 1.
    fn http(&self) -> bool;
}

/// An [`Env`] knowing nothing (tests, contexts without a proxy).
pub struct NoEnv;

impl Env for NoEnv {
    fn backend(&self, _: Option<&str>) -> Option<BackendStat> {
        None
    }
    fn server_up(&self, _: Option<&str>, _: &str) -> Option<bool> {
        None
    }
    fn auth(&self, _: &str, _: &[u8], _: &[u8]) -> Option<Vec<String>> {
        None
    }
}

/// What stays the same for every rule of a stream: addresses, names, the proxy.
#[derive(Clone, Copy)]
pub struct Session<'a> {
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    /// The client connection's own addresses (`fc_src`…), which `http-request set-src`
    /// and `set-dst` leave alone; `None`: as `src`/`dst`.
    pub fc_src: Option<SocketAddr>,
    pub fc_dst: Option<SocketAddr>,
    pub fe_name: &'a str,
    pub fe_id: i64,
    pub fe_defbe: Option<&'a str>,
    pub be: Option<(&'a str, i64)>,
    pub srv: Option<(&'a str, i64)>,
    pub bind: Option<(&'a str, i64)>,
    pub unique_id: Option<&'a str>,
    /// Requests already served on this client connection (`http_first_req`).
    pub txn_index: u64,
    pub env: &'a dyn Env,
    /// The connection's stick-counter slots (`None`: no stick table is used).
    pub stk: Option<&'a crate::stick::Trackers>,
    /// An HTTP mux runs on the client connection (`fc_http_major`).
    pub fc_http: bool,
    /// The client socket, for `TCP_INFO` (`fc_rtt`…); `None` outside a stream.
    pub fc_fd: Option<i32>,
    pub bc: Option<&'a dyn ServerConn>,
    /// `set-priority-class` / `set-priority-offset` so far (`prio_class`, `prio_offset`).
    pub prio: (i64, i64),
    /// The last rule that ended a rule set: file, line (`last_rule_file`…).
    pub last_rule: Option<(&'a str, i64)>,
    /// Connections on the listener now (`dst_conn`).
    pub dst_conn: Option<i64>,
    /// The stream's server and tunnel timeouts in ms (`cur_server_timeout`,
    /// `cur_tunnel_timeout`): 0 until set by `set-timeout` or the connection to a server.
    pub cur_timeout: (i64, i64),
    /// The client connection's TLS state (`None`: a clear connection).
    pub fc_tls: Option<&'a dyn super::tls_conn::TlsConn>,
    /// The server connection's.
    pub bc_tls: Option<&'a dyn super::tls_conn::TlsConn>,
}

impl<'a> Session<'a> {
    /// The stream's source or destination, or the client connection's (`fc`).
    fn addr(&self, dst: bool, fc: bool) -> Option<SocketAddr> {
        match (dst, fc) {
            (false, false) => self.src,
            (true, false) => self.dst,
            (false, true) => self.fc_src.or(self.src),
            (true, true) => self.fc_dst.or(self.dst),
        }
    }

    pub fn new(fe_name: &'a str, env: &'a dyn Env) -> Session<'a> {
        Session {
            src: None,
            dst: None,
            fc_src: None,
            fc_dst: None,
            fe_name,
            fe_id: 0,
            fe_defbe: None,
            be: None,
            srv: None,
            bind: None,
            unique_id: None,
            txn_index: 0,
            env,
            stk: None,
            fc_http: false,
            fc_fd: None,
            bc: None,
            prio: (0, 0),
            dst_conn: None,
            last_rule: None,
            cur_timeout: (0, 0),
            fc_tls: None,
            bc_tls: None,
        }
    }
}

/// Everything a fetch can read while a rule runs.
pub struct Txn<'a> {
    pub dir: Dir,
    pub req: Option<&'a Req>,
    /// The request body received so far (whole with `http-buffer-request`), de-chunked.
    pub body: Option<&'a [u8]>,
    pub res: Option<&'a Resp>,
    pub s: Session<'a>,
    /// `http-request capture` / `capture request header` slots.
    pub req_captures: &'a [Option<Vec<u8>>],
    pub res_captures: &'a [Option<Vec<u8>>],
    pub vars: &'a mut Vars,
    /// The client's bytes so far, for content inspection (`req.payload`, `req.len` in
    /// TCP mode), and whether more may still come (`tcp-request inspect-delay` running).
    pub payload: Option<(&'a [u8], bool)>,
    /// Set by a fetch that lacked data which may still arrive: the rule's verdict is not
    /// final (HAProxy's `SMP_F_MAY_CHANGE`).
    pub missed: std::cell::Cell<bool>,
}

impl<'a> Txn<'a> {
    /// A request with nothing around it (replies rendered outside a stream, tests).
    pub fn bare(req: &'a Req, vars: &'a mut Vars) -> Txn<'a> {
        Txn {
            dir: Dir::Req,
            req: Some(req),
            body: None,
            res: None,
            s: Session::new("", &NoEnv),
            req_captures: &[],
            res_captures: &[],
            vars,
            payload: None,
            missed: Default::default(),
        }
    }
}

/// A compiled fetch.
#[derive(Debug, Clone)]
pub enum Fetch {
    Const(Smp<'static>),
    /// `env(NAME)`: read once at start, like HAProxy.
    Env(Option<String>),
    Rand(Option<i64>),
    Date(i64, DateUnit),
    DateUs,
    Src,
    SrcPort,
    Dst,
    DstPort,
    FeName,
    FeId,
    FeDefbe,
    BeName,
    BeId,
    SrvName,
    SrvId,
    SoId,
    SoName,
    Nbsrv(Option<String>),
    BeConn(Option<String>),
    BeConnFree(Option<String>),
    Queue(Option<String>),
    AvgQueue(Option<String>),
    Connslots(Option<String>),
    SrvIsUp(Option<String>, String),
    FeConn(Option<String>),
    SrvWeight(Option<String>, String),
    /// (the frontend's, which timeout).
    Timeout(bool, &'static str),
    SrvConn(Option<String>, String),
    SrvQueue(Option<String>, String),
    Method,
    Path,
    Pathq,
    Url,
    Query,
    Base,
    /// `base32`/`url32` (`+src`: followed by the source address, binary).
    Base32 {
        src: bool,
    },
    Url32 {
        src: bool,
    },
    /// `req.hdrs`: the header block as H1 text.
    Hdrs,
    ResHdrs,
    /// `base` with the query string.
    Baseq,
    /// The address and port of an absolute URI's authority.
    UrlIp,
    UrlPort,
    Uuid,
    /// `wait_end`: true once `tcp-request inspect-delay` is over.
    WaitEnd,
    SslAlpn,
    /// `http_auth_bearer([header])`: the token of `Bearer` credentials.
    AuthBearer(Option<String>),
    CaptureResVer,
    ReqVer,
    /// `hdr`/`req.hdr`/`res.hdr`/`fhdr`…: direction (None: the rule's), name, occurrence,
    /// comma-split.
    Hdr {
        dir: Option<Dir>,
        name: String,
        occ: i64,
        split: bool,
    },
    HdrCnt {
        dir: Option<Dir>,
        name: String,
        split: bool,
    },
    HdrNames {
        dir: Option<Dir>,
        delim: Vec<u8>,
    },
    /// `hdr_ip`/`hdr_val`: a header parsed as address / integer.
    HdrIp {
        dir: Option<Dir>,
        name: String,
        occ: i64,
    },
    HdrVal {
        dir: Option<Dir>,
        name: String,
        occ: i64,
    },
    /// `req.cook`/`cook`, `res.cook`/`scook` (Set-Cookie).
    Cook {
        res: bool,
        name: Option<String>,
    },
    CookCnt {
        res: bool,
        name: Option<String>,
    },
    CookVal {
        res: bool,
        name: Option<String>,
    },
    UrlParam {
        name: Option<String>,
        delim: u8,
        body: bool,
    },
    UrlParamVal(Option<String>, u8),
    ReqBody,
    /// `req.payload(offset,length)`: 0 length means everything from offset.
    Payload(usize, usize),
    /// `req.payload_lv(len_offset,len_size[,offset])`.
    PayloadLv(usize, usize, Option<i64>),
    SslHelloType,
    SslSni,
    /// `req.proto_http`: the request is HTTP (always, in an HTTP proxy).
    ProtoHttp,
    ReqBodyLen,
    ReqLen,
    Status,
    ResVer,
    Var(VarName, Option<Smp<'static>>),
    HttpAuth(String),
    HttpAuthGroup(String),
    HttpAuthUser,
    HttpAuthPass,
    HttpAuthType,
    CaptureReqHdr(usize),
    CaptureResHdr(usize),
    CaptureReqMethod,
    CaptureReqUri,
    CaptureReqVer,
    UniqueId,
    HttpFirstReq,
    /// `ssl_fc*`, `ssl_c_*`, `ssl_f_*`, `ssl_bc*`, `ssl_s_*`.
    Tls(Box<super::tls_conn::TlsFetch>),
    /// `sc_*`, `scN_*`, `src_*` stick-counter fetches.
    Stk(Box<super::stick::StkFetch>),
    /// `table_cnt`, `table_avl`.
    TableStat(super::stick::TableStat),
    /// A fetch of TLS or of a client certificate on a clear connection: no value.
    Nothing,
    Stopping,
    DstConn,
    /// `fe_sess_rate` of a frontend (`None`: the current one).
    FeRate(Option<String>),
    BeRate(Option<String>),
    SrvRate(Option<String>, String),
    /// `last_rule_file` (true), `last_rule_line`.
    LastRule(bool),
    /// `fc_http_major` (false), `bc_http_major` (true).
    HttpMajor(bool),
    /// `fc_err`, `bc_err`, and their `_str` forms (`text`).
    ConnErr {
        back: bool,
        text: bool,
    },
    /// `prio_class` (true), `prio_offset`.
    Prio(bool),
    /// `cur_server_timeout`, `cur_tunnel_timeout` (true).
    CurTimeout(bool),
    BcSrc,
    BcSrcPort,
    BcDst,
    BcDstPort,
    /// `src_is_local`, `dst_is_local` (dst), and their `fc_` forms (the connection's).
    IsLocal(bool, bool),
    /// `fc_src`, `fc_dst` (dst), and their `_port` forms (port).
    FcAddr(bool, bool),
    /// A `TCP_INFO` field of the client connection; `us`: times in microseconds.
    TcpInfo(TcpInfo, bool),
    SrvIweight(Option<String>, String),
    SrvConnFree(Option<String>, String),
    /// `req.hdrs_bin`, `res.hdrs_bin`.
    HdrsBin(Dir),
    /// `req.rdp_cookie(name)` ("": any name), and its count form.
    RdpCookie(String),
    RdpCookieCnt(String),
    SslVer,
    SslEcExt,
    SslStExt,
    /// `distcc_body` / `distcc_param`: the token (4 bytes, big endian), the occurrence
    /// (0: the first).
    Distcc {
        body: bool,
        token: u32,
        occ: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateUnit {
    S,
    Ms,
    Us,
}

fn arg_str(args: &[ArgValue], i: usize) -> Option<&str> {
    match args.get(i)? {
        ArgValue::Str(s)
        | ArgValue::Fe(s)
        | ArgValue::Be(s)
        | ArgValue::Srv(s)
        | ArgValue::Usr(s)
        | ArgValue::Tab(s)
        | ArgValue::Var(s)
        | ArgValue::Reg(s) => Some(s),
        _ => None,
    }
}

fn arg_int(args: &[ArgValue], i: usize) -> Option<i64> {
    match args.get(i)? {
        ArgValue::Sint(v) => Some(*v),
        _ => None,
    }
}

/// A backend argument: empty means the current backend.
fn arg_be(args: &[ArgValue]) -> Option<String> {
    arg_str(args, 0)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// `srv` or `backend/srv`.
fn arg_srv(args: &[ArgValue]) -> (Option<String>, String) {
    let s = arg_str(args, 0).unwrap_or("");
    match s.split_once('/') {
        Some((b, s)) => (Some(b.to_string()), s.to_string()),
        None => (None, s.to_string()),
    }
}

fn name_arg(args: &[ArgValue]) -> Option<String> {
    arg_str(args, 0)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl Fetch {
    /// Compiles fetch `name` (as the configuration layer resolved it). `Err`: not built.
    pub fn compile(name: &str, args: &[ArgValue]) -> Result<Fetch, String> {
        use Fetch as F;
        let hdr = |dir, split| F::Hdr {
            dir,
            name: arg_str(args, 0).unwrap_or("").to_string(),
            occ: arg_int(args, 1).unwrap_or(0),
            split,
        };
        let cnt = |dir, split| F::HdrCnt {
            dir,
            name: arg_str(args, 0).unwrap_or("").to_string(),
            split,
        };
        let names = |dir| F::HdrNames {
            dir,
            delim: arg_str(args, 0).unwrap_or(",").as_bytes().to_vec(),
        };
        let occ_name = || arg_str(args, 0).unwrap_or("").to_string();
        let occ = || arg_int(args, 1).unwrap_or(0);
        Ok(match name {
            "always_true" => F::Const(Smp::Bool(true)),
            "always_false" => F::Const(Smp::Bool(false)),
            "str" => F::Const(Smp::string(arg_str(args, 0).unwrap_or(""))),
            "int" => F::Const(Smp::Sint(arg_int(args, 0).unwrap_or(0))),
            "bool" if matches!(args.first(), Some(ArgValue::Sint(_))) => {
                F::Const(Smp::Bool(arg_int(args, 0) != Some(0)))
            }
            "bool" => {
                let s = arg_str(args, 0).unwrap_or("");
                let v = matches!(s, "true" | "1") || s.parse::<i64>().is_ok_and(|v| v != 0);
                F::Const(Smp::Bool(v))
            }
            "ipv4" => match args.first() {
                Some(ArgValue::Ipv4(a)) => F::Const(Smp::Ipv4(*a)),
                _ => return Err(name.into()),
            },
            "ipv6" => match args.first() {
                Some(ArgValue::Ipv6(a)) => F::Const(Smp::Ipv6(*a)),
                _ => return Err(name.into()),
            },
            "bin" => {
                let hex = arg_str(args, 0).unwrap_or("");
                let b = (0..hex.len() / 2)
                    .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
                    .collect::<Result<Vec<u8>, _>>()
                    .map_err(|_| name.to_string())?;
                F::Const(Smp::Bin(Cow::Owned(b)))
            }
            "meth" => F::Const(Smp::Meth(Cow::Owned(
                arg_str(args, 0).unwrap_or("").as_bytes().to_vec(),
            ))),
            "env" => F::Env(std::env::var(arg_str(args, 0).unwrap_or("")).ok()),
            "rand" => F::Rand(arg_int(args, 0)),
            "date" | "date_us" if name == "date_us" => F::DateUs,
            "date" => {
                let unit = match arg_str(args, 1) {
                    Some("ms") => DateUnit::Ms,
                    Some("us") => DateUnit::Us,
                    _ => DateUnit::S,
                };
                F::Date(arg_int(args, 0).unwrap_or(0), unit)
            }
            "nbthread" => F::Const(Smp::Sint(1)),
            "src" => F::Src,
            "src_port" => F::SrcPort,
            "dst" => F::Dst,
            "dst_port" => F::DstPort,
            "fc_src" => F::FcAddr(false, false),
            "fc_src_port" => F::FcAddr(false, true),
            "fc_dst" => F::FcAddr(true, false),
            "fc_dst_port" => F::FcAddr(true, true),
            "fe_name" => F::FeName,
            "fe_id" => F::FeId,
            "fe_defbe" => F::FeDefbe,
            "be_name" => F::BeName,
            "be_id" => F::BeId,
            "srv_name" => F::SrvName,
            "srv_id" => F::SrvId,
            "so_id" => F::SoId,
            "so_name" => F::SoName,
            "nbsrv" => F::Nbsrv(arg_be(args)),
            "be_conn" => F::BeConn(arg_be(args)),
            "be_conn_free" => F::BeConnFree(arg_be(args)),
            "queue" => F::Queue(arg_be(args)),
            "avg_queue" => F::AvgQueue(arg_be(args)),
            "connslots" => F::Connslots(arg_be(args)),
            "fe_conn" => F::FeConn(
                arg_str(args, 0)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            ),
            "be_server_timeout" => F::Timeout(false, "server"),
            "be_tunnel_timeout" => F::Timeout(false, "tunnel"),
            "fe_client_timeout" => F::Timeout(true, "client"),
            "srv_is_up" => {
                let (b, s) = arg_srv(args);
                F::SrvIsUp(b, s)
            }
            "srv_weight" | "srv_uweight" => {
                let (b, s) = arg_srv(args);
                F::SrvWeight(b, s)
            }
            "srv_conn" => {
                let (b, s) = arg_srv(args);
                F::SrvConn(b, s)
            }
            "srv_queue" => {
                let (b, s) = arg_srv(args);
                F::SrvQueue(b, s)
            }
            "method" => F::Method,
            "path" => F::Path,
            "pathq" => F::Pathq,
            "url" => F::Url,
            "query" => F::Query,
            "base" => F::Base,
            "url_ip" => F::UrlIp,
            "url_port" => F::UrlPort,
            "uuid" => F::Uuid,
            "thread" => F::Const(Smp::Sint(0)),
            "wait_end" => F::WaitEnd,
            "req.ssl_alpn" => F::SslAlpn,
            "baseq" => F::Baseq,
            "res.hdrs" => F::ResHdrs,
            "http_auth_bearer" => F::AuthBearer(name_arg(args)),
            "capture.res.ver" => F::CaptureResVer,
            "hostname" => F::Const(Smp::string(super::lf::hostname())),
            "nbproc" => F::Const(Smp::Sint(1)),
            "base32" => F::Base32 { src: false },
            "base32+src" => F::Base32 { src: true },
            "url32" => F::Url32 { src: false },
            "url32+src" => F::Url32 { src: true },
            "req.hdrs" => F::Hdrs,
            "req.hdrs_bin" => F::HdrsBin(Dir::Req),
            "res.hdrs_bin" => F::HdrsBin(Dir::Res),
            "proc" => F::Const(Smp::Sint(1)),
            "dst_conn" => F::DstConn,
            "stopping" => F::Stopping,
            // Not `fe_req_rate`: HAProxy also counts aborted and invalid requests (a
            // connection closed before its first request is one), which the runtime
            // does not report yet.
            "fe_sess_rate" => F::FeRate(name_arg(args)),
            "be_sess_rate" => F::BeRate(arg_be(args)),
            "srv_sess_rate" => {
                let (b, s) = arg_srv(args);
                F::SrvRate(b, s)
            }
            "last_rule_file" => F::LastRule(true),
            "last_rule_line" => F::LastRule(false),
            "fc_http_major" => F::HttpMajor(false),
            "bc_http_major" => F::HttpMajor(true),
            "fc_err" | "bc_err" | "fc_err_str" | "bc_err_str" => F::ConnErr {
                back: name.starts_with('b'),
                text: name.ends_with("_str"),
            },
            "prio_class" => F::Prio(true),
            "prio_offset" => F::Prio(false),
            "cur_server_timeout" => F::CurTimeout(false),
            "cur_tunnel_timeout" => F::CurTimeout(true),
            "bc_src" => F::BcSrc,
            "bc_src_port" => F::BcSrcPort,
            "bc_dst" => F::BcDst,
            "bc_dst_port" => F::BcDstPort,
            "src_is_local" => F::IsLocal(false, false),
            "dst_is_local" => F::IsLocal(true, false),
            "fc_src_is_local" => F::IsLocal(false, true),
            "fc_dst_is_local" => F::IsLocal(true, true),
            "fc_rtt" | "fc_rttvar" | "fc_unacked" | "fc_sacked" | "fc_lost" | "fc_retrans"
            | "fc_fackets" | "fc_reordering" => {
                let f = match name {
                    "fc_rtt" => TcpInfo::Rtt,
                    "fc_rttvar" => TcpInfo::RttVar,
                    "fc_unacked" => TcpInfo::Unacked,
                    "fc_sacked" => TcpInfo::Sacked,
                    "fc_lost" => TcpInfo::Lost,
                    "fc_retrans" => TcpInfo::Retrans,
                    "fc_fackets" => TcpInfo::Fackets,
                    _ => TcpInfo::Reordering,
                };
                F::TcpInfo(f, arg_str(args, 0) == Some("us"))
            }
            "srv_iweight" => {
                let (b, s) = arg_srv(args);
                F::SrvIweight(b, s)
            }
            "srv_conn_free" => {
                let (b, s) = arg_srv(args);
                F::SrvConnFree(b, s)
            }
            "rdp_cookie" | "req.rdp_cookie" => {
                F::RdpCookie(arg_str(args, 0).unwrap_or("").to_string())
            }
            "rdp_cookie_cnt" | "req.rdp_cookie_cnt" => {
                F::RdpCookieCnt(arg_str(args, 0).unwrap_or("").to_string())
            }
            "req.ssl_ver" | "req_ssl_ver" => F::SslVer,
            "req.ssl_ec_ext" => F::SslEcExt,
            "req.ssl_st_ext" => F::SslStExt,
            "distcc_body" | "distcc_param" => {
                // `val_distcc()` checked the token's 4 characters.
                let token = arg_str(args, 0)
                    .unwrap_or("")
                    .bytes()
                    .take(4)
                    .fold(0u32, |a, c| (a << 8) | c as u32);
                F::Distcc {
                    body: name == "distcc_body",
                    token,
                    occ: arg_int(args, 1).unwrap_or(0).max(0) as u32,
                }
            }
            "req.ver" | "req_ver" => F::ReqVer,
            "hdr" => hdr(None, true),
            "req.hdr" => hdr(Some(Dir::Req), true),
            "res.hdr" | "shdr" => hdr(Some(Dir::Res), true),
            "req.fhdr" => hdr(Some(Dir::Req), false),
            "res.fhdr" => hdr(Some(Dir::Res), false),
            "hdr_cnt" => cnt(None, true),
            "req.hdr_cnt" => cnt(Some(Dir::Req), true),
            "res.hdr_cnt" | "shdr_cnt" => cnt(Some(Dir::Res), true),
            "req.fhdr_cnt" => cnt(Some(Dir::Req), false),
            "res.fhdr_cnt" => cnt(Some(Dir::Res), false),
            "req.hdr_names" => names(Some(Dir::Req)),
            "res.hdr_names" => names(Some(Dir::Res)),
            "hdr_ip" | "req.hdr_ip" => F::HdrIp {
                dir: Some(Dir::Req),
                name: occ_name(),
                occ: occ(),
            },
            "res.hdr_ip" | "shdr_ip" => F::HdrIp {
                dir: Some(Dir::Res),
                name: occ_name(),
                occ: occ(),
            },
            "hdr_val" | "req.hdr_val" => F::HdrVal {
                dir: Some(Dir::Req),
                name: occ_name(),
                occ: occ(),
            },
            "res.hdr_val" | "shdr_val" => F::HdrVal {
                dir: Some(Dir::Res),
                name: occ_name(),
                occ: occ(),
            },
            "req.cook" | "cook" | "cookie" => F::Cook {
                res: false,
                name: name_arg(args),
            },
            "res.cook" | "scook" | "set-cookie" => F::Cook {
                res: true,
                name: name_arg(args),
            },
            "req.cook_cnt" | "cook_cnt" => F::CookCnt {
                res: false,
                name: name_arg(args),
            },
            "res.cook_cnt" | "scook_cnt" => F::CookCnt {
                res: true,
                name: name_arg(args),
            },
            "req.cook_val" | "cook_val" => F::CookVal {
                res: false,
                name: name_arg(args),
            },
            "res.cook_val" | "scook_val" => F::CookVal {
                res: true,
                name: name_arg(args),
            },
            "url_param" | "urlp" => F::UrlParam {
                name: name_arg(args),
                delim: arg_str(args, 1)
                    .and_then(|d| d.bytes().next())
                    .unwrap_or(b'&'),
                body: false,
            },
            "urlp_val" => F::UrlParamVal(
                name_arg(args),
                arg_str(args, 1)
                    .and_then(|d| d.bytes().next())
                    .unwrap_or(b'&'),
            ),
            "req.body_param" => F::UrlParam {
                name: name_arg(args),
                delim: b'&',
                body: true,
            },
            "req.body" => F::ReqBody,
            "req.proto_http" | "req_proto_http" => F::ProtoHttp,
            "req.body_len" | "req.body_size" => F::ReqBodyLen,
            "req.len" | "req_len" => F::ReqLen,
            "req.payload" | "payload" => F::Payload(
                arg_int(args, 0).unwrap_or(0).max(0) as usize,
                arg_int(args, 1).unwrap_or(0).max(0) as usize,
            ),
            "req.payload_lv" | "payload_lv" => F::PayloadLv(
                arg_int(args, 0).unwrap_or(0).max(0) as usize,
                arg_int(args, 1).unwrap_or(0).max(0) as usize,
                arg_str(args, 2).and_then(|o| o.parse::<i64>().ok()),
            ),
            "req.ssl_hello_type" | "req_ssl_hello_type" => F::SslHelloType,
            "req.ssl_sni" | "req_ssl_sni" => F::SslSni,
            "status" => F::Status,
            "res.ver" | "resp_ver" => F::ResVer,
            "var" => {
                let v = VarName::parse(arg_str(args, 0).unwrap_or("")).ok_or(name)?;
                let def = arg_str(args, 1).map(Smp::string);
                F::Var(v, def)
            }
            "http_auth" => F::HttpAuth(arg_str(args, 0).unwrap_or("").into()),
            "http_auth_group" => F::HttpAuthGroup(arg_str(args, 0).unwrap_or("").into()),
            "http_auth_user" => F::HttpAuthUser,
            "http_auth_pass" => F::HttpAuthPass,
            "http_auth_type" => F::HttpAuthType,
            "capture.req.hdr" => F::CaptureReqHdr(arg_int(args, 0).unwrap_or(0) as usize),
            "capture.res.hdr" => F::CaptureResHdr(arg_int(args, 0).unwrap_or(0) as usize),
            "capture.req.method" => F::CaptureReqMethod,
            "capture.req.uri" => F::CaptureReqUri,
            "capture.req.ver" => F::CaptureReqVer,
            "unique-id" => F::UniqueId,
            "http_first_req" => F::HttpFirstReq,
            "table_cnt" | "table_avl" => F::TableStat(
                super::stick::TableStat::compile(name, args).ok_or_else(|| name.to_string())?,
            ),
            n if n.starts_with("sc") || n.starts_with("src_") => F::Stk(Box::new(
                super::stick::StkFetch::compile(n, args).ok_or_else(|| name.to_string())?,
            )),
            n if n.starts_with("ssl_") => match super::tls_conn::TlsFetch::compile(n, args) {
                Some(f) => F::Tls(Box::new(f)),
                None => F::Nothing,
            },
            _ => return Err(name.into()),
        })
    }

    /// Every value, in order, calling `f` until it returns true (ACLs stop at the first
    /// match). `iterate`: the ACL context, where a header fetch without occurrence yields
    /// every value; in a sample context it yields the last one, as HAProxy.
    pub fn each<'a>(&self, t: &Txn<'a>, iterate: bool, f: &mut dyn FnMut(Smp<'a>) -> bool) {
        use Fetch as F;
        match self {
            F::Hdr {
                dir,
                name,
                occ,
                split,
            } => {
                let Some(h) = headers(t, *dir) else { return };
                let occ = if *occ == 0 && !iterate { -1 } else { *occ };
                if occ == 0 {
                    for v in h.values(name, *split) {
                        if f(Smp::str(v)) {
                            return;
                        }
                    }
                } else if let Some(v) = nth(h.values(name, *split), occ) {
                    f(Smp::str(v));
                }
            }
            F::HdrIp { dir, name, occ: 0 } | F::HdrVal { dir, name, occ: 0 } if iterate => {
                let Some(h) = headers(t, *dir) else { return };
                let ip = matches!(self, F::HdrIp { .. });
                for v in h.values(name, true) {
                    let x = if ip {
                        parse_ip(v)
                    } else {
                        super::value::str_to_int(v).map(Smp::Sint)
                    };
                    if let Some(x) = x {
                        if f(x) {
                            return;
                        }
                    }
                }
            }
            F::Cook { res, name } if iterate && name.is_some() => {
                let Some(h) = headers(t, Some(if *res { Dir::Res } else { Dir::Req })) else {
                    return;
                };
                for v in cookies(h, *res, name.as_deref()) {
                    if f(Smp::str(v)) {
                        return;
                    }
                }
            }
            _ => {
                if let Some(v) = self.one(t) {
                    f(v);
                }
            }
        }
    }

    /// The value in a sample context.
    pub fn one<'a>(&self, t: &Txn<'a>) -> Option<Smp<'a>> {
        use Fetch as F;
        let req = || t.req;
        let be = |n: &Option<String>| t.s.env.backend(n.as_deref());
        Some(match self {
            F::Const(v) => v.clone(),
            F::Env(v) => Smp::string(v.clone()?),
            F::Rand(r) => {
                let x = fastrand();
                match r {
                    Some(r) if *r > 0 => Smp::Sint(((x as u64 * *r as u64) >> 32) as i64),
                    _ => Smp::Sint(x as i64),
                }
            }
            F::Date(off, unit) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?;
                Smp::Sint(match unit {
                    DateUnit::S => now.as_secs() as i64 + off,
                    DateUnit::Ms => now.as_millis() as i64 + off,
                    DateUnit::Us => now.as_micros() as i64 + off,
                })
            }
            F::DateUs => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()?;
                Smp::Sint(now.subsec_micros() as i64)
            }
            F::Src => addr(t.s.src?),
            F::Stk(f) => return f.one(t),
            F::TableStat(f) => return f.one(),
            F::SrcPort => Smp::Sint(t.s.src?.port() as i64),
            F::Dst => addr(t.s.dst?),
            F::DstPort => Smp::Sint(t.s.dst?.port() as i64),
            F::FeName => Smp::str(t.s.fe_name.as_bytes()),
            F::FeId => Smp::Sint(t.s.fe_id),
            F::FeDefbe => Smp::str(t.s.fe_defbe?.as_bytes()),
            F::BeName => Smp::str(t.s.be?.0.as_bytes()),
            F::BeId => Smp::Sint(t.s.be?.1),
            F::SrvName => Smp::str(t.s.srv?.0.as_bytes()),
            F::SrvId => Smp::Sint(t.s.srv?.1),
            F::SoId => Smp::Sint(t.s.bind?.1),
            F::SoName => match t.s.bind?.0 {
                "" => return None,
                n => Smp::str(n.as_bytes()),
            },
            F::Nbsrv(n) => Smp::Sint(be(n)?.nbsrv),
            F::BeConn(n) => Smp::Sint(be(n)?.conn),
            F::BeConnFree(n) => Smp::Sint(be(n)?.conn_free.unwrap_or(-1)),
            F::Queue(n) => Smp::Sint(be(n)?.queue),
            F::AvgQueue(n) => {
                let b = be(n)?;
                Smp::Sint(if b.active > 0 {
                    (b.queue + b.active - 1) / b.active
                } else {
                    b.queue * 2
                })
            }
            F::Connslots(n) => Smp::Sint(be(n)?.connslots.unwrap_or(-1)),
            F::SrvIsUp(b, s) => Smp::Bool(t.s.env.server_up(b.as_deref(), s)?),
            F::SrvWeight(b, s) => Smp::Sint(t.s.env.server_weight(b.as_deref(), s)?),
            F::FeConn(n) => Smp::Sint(t.s.env.frontend_conn(n.as_deref().unwrap_or(t.s.fe_name))?),
            F::Timeout(fe, which) => {
                let px = if *fe { Some(t.s.fe_name) } else { None };
                Smp::Sint(t.s.env.timeout(px, which)?)
            }
            F::SrvConn(b, s) => Smp::Sint(t.s.env.server_stat(b.as_deref(), s)?.0),
            F::SrvQueue(b, s) => Smp::Sint(t.s.env.server_stat(b.as_deref(), s)?.1),
            F::Method => Smp::Meth(Cow::Borrowed(req()?.method.as_bytes())),
            F::Path => Smp::str(req()?.path().as_bytes()),
            F::Pathq => Smp::str(req()?.pathq().as_bytes()),
            F::Url => Smp::str(req()?.uri.as_bytes()),
            F::Query => Smp::str(req()?.query()?.as_bytes()),
            F::Base => {
                let r = req()?;
                let host = r.headers.values("host", false).next().unwrap_or(b"");
                let mut v = host.to_vec();
                v.extend_from_slice(r.path().as_bytes());
                Smp::Str(Cow::Owned(v))
            }
            F::Base32 { src } | F::Url32 { src } => {
                let r = req()?;
                let mut key = r
                    .headers
                    .values("host", false)
                    .next()
                    .unwrap_or(b"")
                    .to_vec();
                if matches!(self, F::Base32 { .. }) {
                    key.extend_from_slice(r.path().as_bytes());
                } else {
                    key.extend_from_slice(r.uri.as_bytes());
                }
                let h = crate::lb::hash::full_hash(crate::lb::hash::sdbm(&key));
                if !src {
                    return Some(Smp::Sint(h as i64));
                }
                let mut b = h.to_be_bytes().to_vec();
                match addr(t.s.src?) {
                    Smp::Ipv4(a) => b.extend_from_slice(&a.octets()),
                    Smp::Ipv6(a) => b.extend_from_slice(&a.octets()),
                    _ => return None,
                }
                Smp::Bin(Cow::Owned(b))
            }
            F::UrlIp | F::UrlPort => {
                let r = req()?;
                let auth = r.authority_prefix();
                let hostport = auth.split_once("://").map_or(auth, |(_, h)| h);
                let (host, port) = match hostport.rsplit_once(':') {
                    Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => {
                        (h, p.parse::<u16>().ok())
                    }
                    _ => (hostport, None),
                };
                if matches!(self, F::UrlPort) {
                    let scheme_port = if auth.starts_with("https") { 443 } else { 80 };
                    return Some(Smp::Sint(port.unwrap_or(scheme_port) as i64));
                }
                match host.trim_matches(['[', ']']).parse::<IpAddr>().ok()? {
                    IpAddr::V4(a) => Smp::Ipv4(a),
                    IpAddr::V6(a) => Smp::Ipv6(a),
                }
            }
            F::Uuid => {
                let (a, b) = (fastrand() as u64, fastrand() as u64);
                let (c, d) = (fastrand() as u64, fastrand() as u64);
                let hi = (a << 32) | b;
                let lo = (c << 32) | d;
                // Version 4, variant 10 (RFC 4122), as HAProxy's `ha_generate_uuid()`.
                let hi = (hi & !0xf000) | 0x4000;
                let lo = (lo & !(3 << 62)) | (2 << 62);
                Smp::string(format!(
                    "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    hi >> 32,
                    (hi >> 16) & 0xffff,
                    hi & 0xffff,
                    lo >> 48,
                    lo & 0xffff_ffff_ffff
                ))
            }
            F::WaitEnd => match t.payload {
                Some((_, false)) | None => Smp::Bool(true),
                Some((_, true)) => return t.miss(),
            },
            F::SslAlpn => {
                let p = payload(t)?;
                match super::tls_hello::alpn(p) {
                    Ok(v) => Smp::str(v),
                    Err(true) => return t.miss(),
                    Err(false) => return None,
                }
            }
            F::Baseq => {
                let r = req()?;
                let host = r.headers.values("host", false).next().unwrap_or(b"");
                let mut v = host.to_vec();
                v.extend_from_slice(r.pathq().as_bytes());
                Smp::Str(Cow::Owned(v))
            }
            F::AuthBearer(hdr) => {
                let name = hdr.as_deref().unwrap_or("authorization");
                let a = req()?.headers.values(name, false).next()?;
                let sp = a.iter().position(|&c| c == b' ')?;
                if !a[..sp].eq_ignore_ascii_case(b"bearer") {
                    return None;
                }
                Smp::str(a[sp + 1..].trim_ascii())
            }
            F::CaptureResVer => Smp::str(if t.res?.minor == 0 {
                b"HTTP/1.0"
            } else {
                b"HTTP/1.1"
            }),
            F::Hdrs | F::ResHdrs => {
                let d = if matches!(self, F::Hdrs) {
                    Dir::Req
                } else {
                    Dir::Res
                };
                let h = headers(t, Some(d))?;
                let mut out = Vec::new();
                for (n, v) in h.iter() {
                    out.extend_from_slice(n.as_bytes());
                    out.extend_from_slice(b": ");
                    out.extend_from_slice(v);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"\r\n");
                Smp::Str(Cow::Owned(out))
            }
            F::ReqVer => Smp::str(if req()?.minor == 0 { b"1.0" } else { b"1.1" }),
            F::ResVer => Smp::str(if t.res?.minor == 0 { b"1.0" } else { b"1.1" }),
            F::Status => Smp::Sint(t.res?.status as i64),
            F::Cook { res, name } => {
                let h = headers(t, Some(if *res { Dir::Res } else { Dir::Req }))?;
                let mut it = cookies(h, *res, name.as_deref());
                // No name: the first cookie; a name: its last occurrence.
                let v = if name.is_some() {
                    it.last()?
                } else {
                    it.next()?
                };
                Smp::str(v)
            }
            F::Hdr { .. } => {
                let mut last = None;
                self.each(t, false, &mut |v| {
                    last = Some(v);
                    true
                });
                return last;
            }
            F::HdrCnt { dir, name, split } => {
                let h = headers(t, *dir)?;
                let n = if name.is_empty() {
                    if *split {
                        h.iter().map(|(_, v)| split_commas(v).count()).sum()
                    } else {
                        h.len()
                    }
                } else {
                    h.values(name, *split).count()
                };
                Smp::Sint(n as i64)
            }
            F::HdrNames { dir, delim } => {
                let h = headers(t, *dir)?;
                let mut out = Vec::new();
                for (i, (n, _)) in h.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(delim);
                    }
                    out.extend_from_slice(n.as_bytes());
                }
                Smp::Str(Cow::Owned(out))
            }
            F::HdrIp { dir, name, occ } => {
                let h = headers(t, *dir)?;
                let occ = if *occ == 0 { -1 } else { *occ };
                parse_ip(nth(h.values(name, true), occ)?)?
            }
            F::HdrVal { dir, name, occ } => {
                let h = headers(t, *dir)?;
                let occ = if *occ == 0 { -1 } else { *occ };
                let v = nth(h.values(name, true), occ)?;
                Smp::Sint(super::value::str_to_int(v)?)
            }
            F::CookCnt { res, name } => {
                let h = headers(t, Some(if *res { Dir::Res } else { Dir::Req }))?;
                Smp::Sint(cookies(h, *res, name.as_deref()).count() as i64)
            }
            F::CookVal { res, name } => {
                let h = headers(t, Some(if *res { Dir::Res } else { Dir::Req }))?;
                // No name: the first cookie (as `req.cook`); a name: its last occurrence.
                let mut it = cookies(h, *res, name.as_deref());
                let v = if name.is_some() {
                    it.last()?
                } else {
                    it.next()?
                };
                Smp::Sint(super::value::str_to_int(v)?)
            }
            F::UrlParam { name, delim, body } => {
                let src: &[u8] = if *body {
                    t.body?
                } else {
                    param_list(req()?, *delim)?
                };
                Smp::str(url_param(src, name.as_deref(), *delim)?)
            }
            F::UrlParamVal(name, delim) => {
                let q = param_list(req()?, *delim)?;
                Smp::Sint(super::value::str_to_int(url_param(
                    q,
                    name.as_deref(),
                    *delim,
                )?)?)
            }
            F::ReqBody => Smp::Bin(Cow::Borrowed(t.body?)),
            F::ProtoHttp => Smp::Bool(req().is_some()),
            F::ReqBodyLen => Smp::Sint(t.body.map_or(0, |b| b.len()) as i64),
            F::ReqLen => match (t.payload, t.req) {
                (Some((p, _)), _) => {
                    t.may_change();
                    Smp::Sint(p.len() as i64)
                }
                // In an HTTP proxy: the HTX message, head included.
                (None, Some(r)) => Smp::Sint((r.htx_size() + t.body.map_or(0, |b| b.len())) as i64),
                _ => return None,
            },
            F::Payload(off, len) => {
                let p = payload(t)?;
                let end = if *len == 0 {
                    // The rest of the buffer: it may still grow.
                    t.may_change();
                    p.len()
                } else {
                    off + len
                };
                match p.get(*off..end) {
                    Some(b) if *len > 0 || *off <= p.len() => Smp::Bin(Cow::Borrowed(b)),
                    _ => return t.miss(),
                }
            }
            F::PayloadLv(loff, lsize, off) => {
                let p = payload(t)?;
                let Some(lb) = p.get(*loff..loff + lsize) else {
                    return t.miss();
                };
                let n = lb.iter().fold(0usize, |a, &b| (a << 8) | b as usize);
                let start = match off {
                    Some(o) => (*loff as i64 + *lsize as i64 + o).max(0) as usize,
                    None => loff + lsize,
                };
                match p.get(start..start + n) {
                    Some(b) => Smp::Bin(Cow::Borrowed(b)),
                    None => return t.miss(),
                }
            }
            F::SslHelloType => {
                let p = payload(t)?;
                match super::tls_hello::hello_type(p) {
                    Ok(v) => Smp::Sint(v),
                    Err(true) => return t.miss(),
                    Err(false) => return None,
                }
            }
            F::SslSni => {
                let p = payload(t)?;
                match super::tls_hello::sni(p) {
                    Ok(v) => Smp::str(v),
                    Err(true) => return t.miss(),
                    Err(false) => return None,
                }
            }
            // `req.*` variables exist only while the request is processed, `res.*` ones
            // only for the response.
            F::Var(v, _)
                if (v.scope == super::vars::Scope::Req && t.dir == Dir::Res)
                    || (v.scope == super::vars::Scope::Res && t.dir == Dir::Req) =>
            {
                return None
            }
            F::Var(v, def) => match t.vars.get(v) {
                Some(x) => x,
                None => def.clone()?,
            },
            F::HttpAuth(ul) => {
                let (u, p) = basic_auth(req()?)?;
                Smp::Bool(t.s.env.auth(ul, &u, &p).is_some())
            }
            // The user name: ACLs then match it against group names (see `expr::Acl`).
            F::HttpAuthGroup(ul) => {
                let (u, p) = basic_auth(req()?)?;
                t.s.env.auth(ul, &u, &p)?;
                Smp::Str(Cow::Owned(u))
            }
            F::HttpAuthUser => Smp::Str(Cow::Owned(basic_auth(req()?)?.0)),
            F::HttpAuthPass => Smp::Str(Cow::Owned(basic_auth(req()?)?.1)),
            F::HttpAuthType => {
                let a = req()?.headers.values("authorization", false).next()?;
                let scheme = a.split(|&c| c == b' ').next()?;
                if scheme.eq_ignore_ascii_case(b"basic") {
                    Smp::str(b"Basic")
                } else if scheme.eq_ignore_ascii_case(b"digest") {
                    Smp::str(b"Digest")
                } else if scheme.eq_ignore_ascii_case(b"bearer") {
                    Smp::str(b"Bearer")
                } else {
                    return None;
                }
            }
            F::CaptureReqHdr(i) => Smp::str(t.req_captures.get(*i)?.as_deref()?),
            F::CaptureResHdr(i) => Smp::str(t.res_captures.get(*i)?.as_deref()?),
            F::CaptureReqMethod => Smp::str(req()?.method.as_bytes()),
            F::CaptureReqUri => Smp::str(req()?.uri.as_bytes()),
            F::CaptureReqVer => Smp::str(if req()?.minor == 0 {
                b"HTTP/1.0"
            } else {
                b"HTTP/1.1"
            }),
            F::UniqueId => match t.s.unique_id {
                Some(u) => Smp::str(u.as_bytes()),
                None => t.vars.get(&VarName::unique_id())?,
            },
            F::HttpFirstReq => Smp::Bool(t.s.txn_index == 0),
            F::Tls(f) => return f.eval(if f.back { t.s.bc_tls } else { t.s.fc_tls }),
            F::Nothing => return None,
            F::Stopping => Smp::Bool(t.s.env.stopping()),
            F::DstConn => Smp::Sint(t.s.dst_conn?),
            F::FeRate(n) => Smp::Sint(t.s.env.frontend_rate(n.as_deref().unwrap_or(t.s.fe_name))?),
            F::BeRate(n) => Smp::Sint(t.s.env.backend_rate(n.as_deref())?),
            F::SrvRate(b, s) => Smp::Sint(t.s.env.server_rate(b.as_deref(), s)?),
            F::LastRule(file) => {
                let (f, l) = t.s.last_rule?;
                if *file {
                    Smp::str(f.as_bytes())
                } else {
                    Smp::Sint(l)
                }
            }
            F::HttpMajor(back) => {
                let http = if *back { t.s.bc?.http() } else { t.s.fc_http };
                // HAProxy has no H2 here: an HTTP mux is H1.
                return http.then_some(Smp::Sint(1));
            }
            // An established connection has no error: `CO_ER_NONE`, "Success".
            F::ConnErr { back, text } => {
                if *back {
                    t.s.bc?;
                }
                if *text {
                    Smp::str(b"Success")
                } else {
                    Smp::Sint(0)
                }
            }
            F::Prio(class) => Smp::Sint(if *class { t.s.prio.0 } else { t.s.prio.1 }),
            F::CurTimeout(tunnel) => Smp::Sint(if *tunnel {
                t.s.cur_timeout.1
            } else {
                t.s.cur_timeout.0
            }),
            F::FcAddr(dst, false) => addr(t.s.addr(*dst, true)?),
            F::FcAddr(dst, true) => match t.s.addr(*dst, true)?.port() {
                0 => return None,
                p => Smp::Sint(p as i64),
            },
            F::BcSrc => addr(t.s.bc?.src()?),
            F::BcDst => addr(t.s.bc?.dst()?),
            // Port 0 is no value (`get_host_port()` returning 0).
            F::BcSrcPort => match t.s.bc?.src()?.port() {
                0 => return None,
                p => Smp::Sint(p as i64),
            },
            F::BcDstPort => match t.s.bc?.dst()?.port() {
                0 => return None,
                p => Smp::Sint(p as i64),
            },
            F::IsLocal(dst, fc) => {
                let a = t.s.addr(*dst, *fc)?;
                Smp::Bool(t.s.env.addr_is_local(a)?)
            }
            F::TcpInfo(f, us) => {
                let v = t.s.env.tcp_info(t.s.fc_fd?, *f)?;
                let time = matches!(f, TcpInfo::Rtt | TcpInfo::RttVar);
                Smp::Sint(if time && !us { (v + 500) / 1000 } else { v })
            }
            F::SrvIweight(b, s) => Smp::Sint(t.s.env.server_iweight(b.as_deref(), s)?),
            F::SrvConnFree(b, s) => Smp::Sint(t.s.env.server_conn_free(b.as_deref(), s)?),
            F::HdrsBin(d) => Smp::Bin(Cow::Owned(hdrs_bin(headers(t, Some(*d))?)?)),
            F::RdpCookie(name) => match super::l6::rdp_cookie(payload(t)?, name.as_bytes()) {
                Ok(v) => Smp::str(v),
                Err(more) => return if more { t.miss() } else { None },
            },
            // Outside content inspection (HTTP), `smp_fetch_rdp_cookie()` fails without
            // asking for more: the count is 0.
            F::RdpCookieCnt(name) => match payload(t) {
                None => Smp::Sint(0),
                Some(p) => match super::l6::rdp_cookie(p, name.as_bytes()) {
                    Ok(_) => Smp::Sint(1),
                    Err(false) => Smp::Sint(0),
                    Err(true) => return t.miss(),
                },
            },
            F::SslVer | F::SslEcExt | F::SslStExt => {
                let p = payload(t)?;
                let r = match self {
                    F::SslVer => super::tls_hello::ssl_ver(p).map(Smp::Sint),
                    F::SslEcExt => super::tls_hello::hello_ext(p, 10).map(|_| Smp::Bool(true)),
                    _ => match super::tls_hello::hello_ext(p, 35) {
                        Ok(len) => Ok(Smp::Sint(if len > 0 { 2 } else { 1 })),
                        Err(super::tls_hello::Miss::NotFound) => Ok(Smp::Sint(0)),
                        Err(e) => Err(e),
                    },
                };
                match r {
                    Ok(v) => v,
                    Err(super::tls_hello::Miss::More) => return t.miss(),
                    Err(_) => return None,
                }
            }
            F::Distcc { body, token, occ } => {
                let p = payload(t)?;
                match super::l6::distcc(p, *token, *occ, super::tls_hello::RECV_LIMIT) {
                    Ok((param, b, complete)) => {
                        if !complete {
                            t.may_change();
                        }
                        if *body {
                            Smp::Bin(Cow::Borrowed(b))
                        } else {
                            Smp::Sint(param as i64)
                        }
                    }
                    Err(true) => return t.miss(),
                    Err(false) => return None,
                }
            }
        })
    }
}

/// `smp_fetch_hdrs_bin()`: each header as varint-prefixed name and value, then two 0
/// bytes; `None` past the trash chunk's size, as HAProxy.
fn hdrs_bin(h: &super::msg::HeaderList) -> Option<Vec<u8>> {
    const TRASH: usize = 16384;
    let mut out = Vec::new();
    for (n, v) in h.iter() {
        encode_varint(&mut out, n.len() as u64);
        out.extend_from_slice(n.as_bytes());
        encode_varint(&mut out, v.len() as u64);
        out.extend_from_slice(v);
        if out.len() > TRASH {
            return None;
        }
    }
    out.extend_from_slice(&[0, 0]);
    (out.len() <= TRASH).then_some(out)
}

/// HAProxy's `encode_varint()` (also SPOE's and the peers'): below 240 one byte, else
/// 4 bits with 0xf0 set, then 7 bits per byte with 0x80 on all but the last.
pub(crate) fn encode_varint(out: &mut Vec<u8>, mut i: u64) {
    if i < 240 {
        out.push(i as u8);
        return;
    }
    out.push(i as u8 | 240);
    i = (i - 240) >> 4;
    while i >= 128 {
        out.push(i as u8 | 128);
        i = (i - 128) >> 7;
    }
    out.push(i as u8);
}

/// The inspected bytes (none outside content inspection).
fn payload<'a>(t: &Txn<'a>) -> Option<&'a [u8]> {
    t.payload.map(|(p, _)| p)
}

impl Txn<'_> {
    /// No value yet: remembered as a miss when more data may come.
    fn miss<T>(&self) -> Option<T> {
        self.may_change();
        None
    }

    /// HAProxy's `SMP_F_MAY_CHANGE` on a value: while more data may come, a condition it
    /// leaves false is a miss (the rules wait) rather than a final no.
    fn may_change(&self) {
        if self.payload.is_some_and(|(_, more)| more) {
            self.missed.set(true);
        }
    }
}

fn parse_ip(v: &[u8]) -> Option<Smp<'static>> {
    match std::str::from_utf8(v).ok()?.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => Some(Smp::Ipv4(a)),
        IpAddr::V6(a) => Some(Smp::Ipv6(a)),
    }
}

pub(crate) fn addr(a: SocketAddr) -> Smp<'static> {
    match a.ip() {
        IpAddr::V4(v) => Smp::Ipv4(v),
        IpAddr::V6(v) => match v.to_ipv4_mapped() {
            Some(v4) => Smp::Ipv4(v4),
            None => Smp::Ipv6(v),
        },
    }
}

fn headers<'a>(t: &Txn<'a>, dir: Option<Dir>) -> Option<&'a super::msg::HeaderList> {
    match dir.unwrap_or(t.dir) {
        Dir::Req => Some(&t.req?.headers),
        Dir::Res => Some(&t.res?.headers),
    }
}

/// The `occ`-th value (1-based; negative: from the end).
fn nth<'a>(it: impl Iterator<Item = &'a [u8]>, occ: i64) -> Option<&'a [u8]> {
    if occ > 0 {
        return it.into_iter().nth(occ as usize - 1);
    }
    let all: Vec<&[u8]> = it.collect();
    let back = (-occ) as usize;
    all.len().checked_sub(back).map(|i| all[i])
}

/// The groups of the authenticated user of `http_auth_group(userlist)`.
pub fn auth_groups(t: &Txn<'_>, userlist: &str) -> Option<Vec<String>> {
    let (u, p) = basic_auth(t.req?)?;
    t.s.env.auth(userlist, &u, &p)
}

/// Values of cookie `name` (every cookie's value with no name) in `Cookie` headers, or in
/// `Set-Cookie` headers (only the first `name=value` of each line).
fn cookies<'a: 'r, 'n: 'r, 'r>(
    h: &'a super::msg::HeaderList,
    res: bool,
    name: Option<&'n str>,
) -> impl Iterator<Item = &'a [u8]> + 'r {
    let hdr = if res { "set-cookie" } else { "cookie" };
    h.values(hdr, false).flat_map(move |line| {
        let parts: Vec<&[u8]> = if res {
            line.split(|&c| c == b';').take(1).collect()
        } else {
            line.split(|&c| c == b';' || c == b',').collect()
        };
        parts.into_iter().filter_map(move |p| {
            let p = p.trim_ascii();
            let (n, v) = match p.iter().position(|&c| c == b'=') {
                Some(i) => (p[..i].trim_ascii(), p[i + 1..].trim_ascii()),
                None => return None,
            };
            match name {
                Some(want) if n != want.as_bytes() => None,
                _ => Some(v),
            }
        })
    })
}

/// `http_find_param_list()`: what follows the first `delim` (`?` by default) of the path
/// and query.
fn param_list(r: &Req, delim: u8) -> Option<&[u8]> {
    let pq = r.pathq().as_bytes();
    let d = if delim == b'&' { b'?' } else { delim };
    let i = pq.iter().position(|&c| c == d)?;
    Some(&pq[i + 1..])
}

/// The first value of parameter `name` in `q` (`a=1&b=2`); no name: the first parameter's
/// value. Parameters end at `&`, `;` or the delimiter (`is_param_delimiter()`).
fn url_param<'a>(q: &'a [u8], name: Option<&str>, delim: u8) -> Option<&'a [u8]> {
    let q = q.split(|&c| c == b'#').next().unwrap_or(q);
    for part in q.split(|&c| c == delim || c == b'&' || c == b';') {
        let (n, v) = match part.iter().position(|&c| c == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &b""[..]),
        };
        match name {
            Some(want) if n != want.as_bytes() => continue,
            _ => return Some(v),
        }
    }
    None
}

/// `Authorization: Basic <b64(user:pass)>`.
fn basic_auth(r: &Req) -> Option<(Vec<u8>, Vec<u8>)> {
    let a = r.headers.values("authorization", false).next()?;
    let (scheme, rest) = a.split_at(a.iter().position(|&c| c == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return None;
    }
    let dec = b64_decode(rest.trim_ascii())?;
    let i = dec.iter().position(|&c| c == b':')?;
    Some((dec[..i].to_vec(), dec[i + 1..].to_vec()))
}

/// Standard base64 (padding optional), as `Authorization: Basic` carries it.
pub(crate) fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s: Vec<u8> = s.iter().copied().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for ch in s.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in ch.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let n = ch.len();
        if n < 2 {
            return None;
        }
        out.push((acc >> 16) as u8);
        if n > 2 {
            out.push((acc >> 8) as u8);
        }
        if n > 3 {
            out.push(acc as u8);
        }
    }
    Some(out)
}

/// A per-thread xorshift generator: `rand` needs no cryptographic quality.
fn fastrand() -> u32 {
    use std::cell::Cell;
    thread_local! {
        static S: Cell<u64> = Cell::new({
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9e37_79b9);
            t | 1
        });
    }
    S.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 32) as u32
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn<'a>(req: &'a Req, vars: &'a mut Vars) -> Txn<'a> {
        let mut s = Session::new("fe", &NoEnv);
        s.src = Some("127.0.0.1:4000".parse().unwrap());
        Txn {
            dir: Dir::Req,
            req: Some(req),
            body: None,
            res: None,
            s,
            req_captures: &[],
            res_captures: &[],
            vars,
            payload: None,
            missed: Default::default(),
        }
    }

    fn s(name: &str, args: &[ArgValue], t: &Txn) -> Option<Vec<u8>> {
        Fetch::compile(name, args)
            .unwrap()
            .one(t)
            .map(|v| v.to_text().into_owned())
    }

    #[test]
    fn headers_occurrences_and_cookies() {
        let r = Req::new(
            "GET",
            "/p?a=1&b=2",
            &[
                ("X", "1, 2"),
                ("x", "3"),
                ("Cookie", "a=1; b=2"),
                ("Authorization", "Basic dXNlcjpwYXNz"),
            ],
        );
        let mut v = Vars::default();
        let t = txn(&r, &mut v);
        let a = |n: &str| ArgValue::Str(n.into());
        assert_eq!(s("req.hdr", &[a("x")], &t), Some(b"3".to_vec()));
        assert_eq!(
            s("req.hdr", &[a("x"), ArgValue::Sint(1)], &t),
            Some(b"1".to_vec())
        );
        assert_eq!(
            s("req.hdr", &[a("x"), ArgValue::Sint(-2)], &t),
            Some(b"2".to_vec())
        );
        assert_eq!(
            s("req.fhdr", &[a("x"), ArgValue::Sint(1)], &t),
            Some(b"1, 2".to_vec())
        );
        assert_eq!(s("req.hdr_cnt", &[a("x")], &t), Some(b"3".to_vec()));
        assert_eq!(s("req.fhdr_cnt", &[a("x")], &t), Some(b"2".to_vec()));
        assert_eq!(s("req.cook", &[a("b")], &t), Some(b"2".to_vec()));
        assert_eq!(s("url_param", &[a("b")], &t), Some(b"2".to_vec()));
        assert_eq!(s("http_auth_user", &[], &t), Some(b"user".to_vec()));
        assert_eq!(s("http_auth_pass", &[], &t), Some(b"pass".to_vec()));
        assert_eq!(s("src", &[], &t), Some(b"127.0.0.1".to_vec()));
        assert_eq!(s("path", &[], &t), Some(b"/p".to_vec()));
        let mut all = Vec::new();
        Fetch::compile("req.hdr", &[a("x")])
            .unwrap()
            .each(&t, true, &mut |v| {
                all.push(v.to_text().into_owned());
                false
            });
        assert_eq!(all, vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
    }

    #[test]
    fn absolute_uri_address_and_uuid() {
        let r = Req::new("GET", "http://10.1.2.3:8080/x", &[]);
        let mut v = Vars::default();
        let t = txn(&r, &mut v);
        assert_eq!(s("url_ip", &[], &t), Some(b"10.1.2.3".to_vec()));
        assert_eq!(s("url_port", &[], &t), Some(b"8080".to_vec()));
        let u = s("uuid", &[], &t).unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(u[14], b'4');
        assert!(matches!(u[19], b'8' | b'9' | b'a' | b'b'));
    }

    #[test]
    fn hdrs_bin_encoding() {
        let long = "v".repeat(300);
        let r = Req::new("GET", "/", &[("host", "a"), ("x", &long)]);
        let mut v = Vars::default();
        let t = txn(&r, &mut v);
        let b = s("req.hdrs_bin", &[], &t).unwrap();
        let mut want = vec![4];
        want.extend_from_slice(b"host");
        want.push(1);
        want.extend_from_slice(b"a");
        want.push(1);
        want.extend_from_slice(b"x");
        want.extend_from_slice(&[0xfc, 0x03]);
        want.extend_from_slice(long.as_bytes());
        want.extend_from_slice(&[0, 0]);
        assert_eq!(b, want);
        let mut x = Vec::new();
        encode_varint(&mut x, 239);
        encode_varint(&mut x, 240);
        encode_varint(&mut x, 2287);
        encode_varint(&mut x, 2288);
        assert_eq!(x, [239, 0xf0, 0, 0xff, 0x7f, 0xf0, 0x80, 0]);
    }

    #[test]
    fn stream_facts_and_l6_outside_inspection() {
        let r = Req::new("GET", "/", &[]);
        let mut v = Vars::default();
        let mut t = txn(&r, &mut v);
        let a = |n: &str| ArgValue::Str(n.into());
        // HTTP: no payload, so no RDP cookie, a count of 0, no TLS version.
        assert_eq!(s("req.rdp_cookie", &[a("")], &t), None);
        assert_eq!(s("req.rdp_cookie_cnt", &[a("")], &t), Some(b"0".to_vec()));
        assert_eq!(s("req.ssl_ver", &[], &t), None);
        assert_eq!(s("proc", &[], &t), Some(b"1".to_vec()));
        assert_eq!(s("prio_class", &[], &t), Some(b"0".to_vec()));
        assert_eq!(s("fc_http_major", &[], &t), None);
        assert_eq!(s("bc_http_major", &[], &t), None);
        assert_eq!(s("bc_err", &[], &t), None);
        assert_eq!(s("fc_err", &[], &t), Some(b"0".to_vec()));
        assert_eq!(s("fc_err_str", &[], &t), Some(b"Success".to_vec()));
        assert_eq!(s("last_rule_line", &[], &t), None);
        assert_eq!(s("dst_conn", &[], &t), None);
        t.s.last_rule = Some(("/etc/h.cfg", 12));
        t.s.dst_conn = Some(3);
        assert_eq!(s("last_rule_line", &[], &t), Some(b"12".to_vec()));
        assert_eq!(s("last_rule_file", &[], &t), Some(b"/etc/h.cfg".to_vec()));
        assert_eq!(s("dst_conn", &[], &t), Some(b"3".to_vec()));
        t.s.fc_http = true;
        t.s.prio = (5, -300);
        t.s.cur_timeout = (5000, 0);
        struct Bc;
        impl ServerConn for Bc {
            fn src(&self) -> Option<SocketAddr> {
                Some("127.0.0.2:4242".parse().unwrap())
            }
            fn dst(&self) -> Option<SocketAddr> {
                Some("127.0.0.3:0".parse().unwrap())
            }
            fn http(&self) -> bool {
                true
            }
        }
        t.s.bc = Some(&Bc);
        assert_eq!(s("fc_http_major", &[], &t), Some(b"1".to_vec()));
        assert_eq!(s("bc_http_major", &[], &t), Some(b"1".to_vec()));
        assert_eq!(s("bc_err", &[], &t), Some(b"0".to_vec()));
        assert_eq!(s("prio_offset", &[], &t), Some(b"-300".to_vec()));
        assert_eq!(s("cur_server_timeout", &[], &t), Some(b"5000".to_vec()));
        assert_eq!(s("bc_src", &[], &t), Some(b"127.0.0.2".to_vec()));
        assert_eq!(s("bc_src_port", &[], &t), Some(b"4242".to_vec()));
        assert_eq!(s("bc_dst", &[], &t), Some(b"127.0.0.3".to_vec()));
        assert_eq!(s("bc_dst_port", &[], &t), None);
        // Without a proxy behind, the proxy-state fetches have no value.
        assert_eq!(s("srv_iweight", &[a("s1")], &t), None);
        assert_eq!(s("be_sess_rate", &[ArgValue::Be(String::new())], &t), None);
        assert!(Fetch::compile("fe_req_rate", &[]).is_err());
        assert_eq!(s("fc_rtt", &[], &t), None);
        assert_eq!(s("src_is_local", &[], &t), None);
        // `fc_src` is the stream's source until set-src gave it another one.
        assert_eq!(s("fc_src", &[], &t), Some(b"127.0.0.1".to_vec()));
        t.s.fc_src = t.s.src;
        t.s.src = Some("10.0.0.1:1".parse().unwrap());
        assert_eq!(s("fc_src", &[], &t), Some(b"127.0.0.1".to_vec()));
        assert_eq!(s("fc_src_port", &[], &t), Some(b"4000".to_vec()));
        assert_eq!(s("src", &[], &t), Some(b"10.0.0.1".to_vec()));
    }

    /// `fix_is_valid` settles on a complete message even though the payload may still
    /// grow, so a content rule rejects an invalid one at once; an incomplete one stays a
    /// miss (the rules wait for more).
    #[test]
    fn fix_is_valid_settles_a_complete_message() {
        let r = Req::new("GET", "/", &[]);
        let mut v = Vars::default();
        let mut t = txn(&r, &mut v);
        t.req = None;
        let p = crate::config::expr::sample::parse_expr(
            &["req.payload(0,0),fix_is_valid"],
            0,
            false,
            Default::default(),
        )
        .unwrap();
        let e = crate::sample::expr::Expr::compile(&p.expr, &mut Default::default()).unwrap();
        let bad = b"8=FIX.4.4\x019=5\x0135=A\x0110=000\x01";
        t.payload = Some((bad, true));
        let got = e.eval(&mut t).map(|s| s.into_owned());
        assert!(
            matches!(got, Some(crate::sample::Smp::Bool(false))),
            "{got:?}"
        );
        assert!(!t.missed.get());
        t.payload = Some((&bad[..8], true));
        assert!(e.eval(&mut t).is_none());
        assert!(t.missed.get());
    }

    #[test]
    fn l6_payload_fetches() {
        let r = Req::new("GET", "/", &[]);
        let mut v = Vars::default();
        let mut t = txn(&r, &mut v);
        t.req = None;
        let a = |n: &str| ArgValue::Str(n.into());
        let mut rdp = vec![3, 0, 0, 0x2f, 0x2a, 0xe0, 0, 0, 0, 0, 0];
        rdp.extend_from_slice(b"Cookie: mstshash=bob\r\n");
        t.payload = Some((&rdp, true));
        assert_eq!(s("rdp_cookie", &[a("mstshash")], &t), Some(b"bob".to_vec()));
        assert_eq!(s("rdp_cookie_cnt", &[a("x")], &t), Some(b"0".to_vec()));
        assert!(!t.missed.get());
        t.payload = Some((&rdp[..15], true));
        assert_eq!(s("rdp_cookie_cnt", &[a("")], &t), None);
        assert!(t.missed.get());
        let d = b"DIST00000001ARGV00000003gcc";
        t.payload = Some((d, false));
        assert_eq!(s("distcc_param", &[a("DIST")], &t), Some(b"1".to_vec()));
        assert_eq!(
            s("distcc_body", &[a("ARGV"), ArgValue::Sint(1)], &t),
            Some(b"gcc".to_vec())
        );
    }
}
