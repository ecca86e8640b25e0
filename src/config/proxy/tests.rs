//! Tests of the proxy sections: messages as HAProxy 2.6 prints them, and the model.

use crate::config::{load_str, Diag, Level, Loaded, ParseEnv};
use crate::model::proxy::{Balance, CheckKind, HashFunction, HttpConnMode, HttpReuse, LogFormat};
use crate::model::{Mode, Proxy, ProxyCap};

fn load(text: &str) -> Loaded {
    load_str("t.cfg", text, Diag::new(), ParseEnv::offline())
}

fn msgs(l: &Loaded, lvl: Level) -> Vec<String> {
    l.diag
        .messages
        .iter()
        .filter(|m| m.level == lvl && !m.text.contains("not active yet"))
        .map(|m| m.text.clone())
        .collect()
}

fn alerts(text: &str) -> Vec<String> {
    msgs(&load(text), Level::Alert)
}

fn warnings(text: &str) -> Vec<String> {
    msgs(&load(text), Level::Warning)
}

/// The first alert of `text`, which must exist.
fn first_alert(text: &str) -> String {
    alerts(text).into_iter().next().expect("an alert")
}

fn proxy<'a>(l: &'a Loaded, name: &str, cap: ProxyCap) -> &'a Proxy {
    l.config
        .as_ref()
        .expect("valid config")
        .proxies
        .iter()
        .find(|p| p.name == name && p.cap == cap)
        .expect("proxy")
}

#[test]
fn section_line_errors() {
    assert_eq!(
        first_alert("frontend fo/o\n"),
        "parsing [t.cfg:1] : character '/' is not permitted in 'frontend' name 'fo/o'."
    );
    assert_eq!(
        first_alert("frontend\n"),
        "parsing [t.cfg:1] : 'frontend' expects an <id> argument"
    );
    assert_eq!(
        first_alert("frontend f 1.2.3.4:80\n mode http\n"),
        "parsing [t.cfg:1] : please use the 'bind' keyword for listening addresses."
    );
    // The proxy is not created: the next line has no section to go to.
    assert_eq!(
        alerts("backend b x\n mode http\n")[0],
        "parsing [t.cfg:2] : 'listen' or 'defaults' expected."
    );
    assert_eq!(
        first_alert("backend q from a b\n"),
        "parsing [t.cfg:1] : 'backend' cannot handle unexpected argument 'b'."
    );
}

#[test]
fn duplicate_names() {
    assert_eq!(
        first_alert("backend foo\nlisten foo\nfrontend foo\n"),
        "Parsing [t.cfg:3]: frontend 'foo' has the same name as proxy 'foo' declared at t.cfg:2."
    );
    // A frontend and a backend may share a name.
    assert!(alerts("frontend a\nbackend a\n").is_empty());
}

#[test]
fn named_defaults_references() {
    assert_eq!(
        first_alert("defaults a\ndefaults a\nfrontend x from a\n"),
        "parsing [t.cfg:3] : ambiguous defaults section name 'a' referenced by frontend 'x' exists at least at t.cfg:1 and t.cfg:2."
    );
    assert_eq!(
        first_alert("backend c from zz\n"),
        "parsing [t.cfg:1] : defaults section 'zz' not found for backend 'c'."
    );
    let a = alerts("defaults a\n mode http\nfrontend f from a\nbackend b\n");
    assert_eq!(a[0], "parsing [t.cfg:4] : defaults section 'a' (declared at t.cfg:1) is explicitly referenced by another proxy and implicitly used here. To avoid any ambiguity don't mix both usage. Add a last defaults section not explicitly used or always use explicit references.");
}

#[test]
fn inheritance_by_side() {
    let l = load(
        "defaults\n mode http\n timeout client 5s\n timeout server 7s\n maxconn 100\n fullconn 50\n balance leastconn\n option dontlognull\n option httplog\n default_backend be\nfrontend f\nbackend be\n",
    );
    let f = proxy(&l, "f", ProxyCap::FE);
    assert_eq!(f.mode, Mode::Http);
    assert_eq!(f.settings.timeouts.client, Some(5000));
    assert_eq!(f.settings.timeouts.server, None);
    assert_eq!(f.settings.maxconn, Some(100));
    assert_eq!(f.settings.fullconn, None);
    assert_eq!(f.settings.balance, None);
    assert_eq!(f.settings.option("dontlognull"), Some(true));
    assert!(matches!(f.settings.log_format, Some((LogFormat::Http, _))));
    assert_eq!(f.default_backend.as_ref().map(|d| d.0.as_str()), Some("be"));
    assert_eq!(f.defaults_from.as_deref(), Some(""));
    let b = proxy(&l, "be", ProxyCap::BE);
    assert_eq!(b.settings.timeouts.client, None);
    assert_eq!(b.settings.timeouts.server, Some(7000));
    assert_eq!(b.settings.maxconn, None);
    assert_eq!(b.settings.fullconn, Some(50));
    assert_eq!(b.settings.balance, Some(Balance::LeastConn));
    assert!(b.settings.log_format.is_none());
    assert!(b.default_backend.is_none());
}

#[test]
fn named_defaults_and_no_option() {
    let l = load(
        "defaults base\n mode http\n option forwardfor\n option http-server-close\n timeout connect 1s\ndefaults other\n mode tcp\nbackend b from base\n no option http-server-close\n no option dontlognull\nfrontend f\n",
    );
    let b = proxy(&l, "b", ProxyCap::BE);
    assert_eq!(b.mode, Mode::Http);
    assert_eq!(b.defaults_from.as_deref(), Some("base"));
    assert!(b.settings.forwardfor.is_some());
    assert_eq!(b.settings.http_conn_mode, None);
    assert_eq!(b.settings.option("dontlognull"), None);
    assert_eq!(b.settings.timeouts.connect, Some(1000));
    // The frontend takes the last defaults section, "other".
    let f = proxy(&l, "f", ProxyCap::FE);
    assert_eq!(f.mode, Mode::Tcp);
    assert_eq!(f.defaults_from.as_deref(), Some("other"));
    assert!(f.settings.forwardfor.is_none());
    // A new defaults section does not inherit from the previous one without `from`.
    let l = load("defaults a\n mode http\ndefaults b\nfrontend f\n");
    assert_eq!(proxy(&l, "f", ProxyCap::FE).mode, Mode::Tcp);
    let l = load("defaults a\n mode http\ndefaults b from a\nfrontend f\n");
    assert_eq!(proxy(&l, "f", ProxyCap::FE).mode, Mode::Http);
}

#[test]
fn option_modifiers_and_caps() {
    let l = load("defaults\n option dontlognull\nfrontend f\n no option dontlognull\n");
    assert_eq!(
        proxy(&l, "f", ProxyCap::FE).settings.option("dontlognull"),
        Some(false)
    );
    let l = load("defaults\n option dontlognull\nfrontend f\n");
    assert_eq!(
        proxy(&l, "f", ProxyCap::FE).settings.option("dontlognull"),
        Some(true)
    );
    assert_eq!(
        warnings("backend b\n option dontlognull\n")[0],
        "parsing [t.cfg:2] : 'dontlognull' ignored because backend 'b' has no frontend capability."
    );
    assert_eq!(
        first_alert("defaults\n default option dontlognull\n"),
        "parsing [t.cfg:2] : 'option dontlognull' cannot handle unexpected argument 'dontlognull'."
    );
    assert_eq!(
        first_alert("defaults\n no option httplog\n"),
        "parsing [t.cfg:2]: negation/default is not supported for option 'httplog'."
    );
    assert_eq!(
        first_alert("defaults\n option foo\n"),
        "parsing [t.cfg:2] : unknown option 'foo'."
    );
    let l = load("backend b\n option http-keep-alive\n option redispatch 2\n");
    let b = proxy(&l, "b", ProxyCap::BE);
    assert_eq!(b.settings.http_conn_mode, Some(HttpConnMode::KeepAlive));
    assert_eq!(b.settings.redispatch, Some(2));
}

#[test]
fn option_forwardfor_and_logs() {
    let l = load("frontend f\n option forwardfor except 10.0.0.0/8 header X-Real if-none\n");
    let ff = proxy(&l, "f", ProxyCap::FE)
        .settings
        .forwardfor
        .clone()
        .unwrap();
    assert_eq!(ff.header, "X-Real");
    assert_eq!(ff.except.as_deref(), Some("10.0.0.0/8"));
    assert!(ff.if_none);
    assert_eq!(
        first_alert("frontend f\n option forwardfor except foo\n"),
        "parsing [t.cfg:2] : 'option forwardfor except' expects <address>[/mask] as argument."
    );
    assert_eq!(
        warnings("defaults\n option httplog\n option tcplog\n")[0],
        "parsing [t.cfg:3]: 'option tcplog' overrides previous 'option httplog' in 'defaults' section."
    );
    assert_eq!(
        warnings("backend b\n option httplog\n")[0],
        "parsing [t.cfg:2] : backend 'b' : 'option httplog' directive is ignored in backends."
    );
    assert_eq!(
        first_alert("defaults\n option httplog foo\n"),
        "parsing [t.cfg:2] : keyword 'httplog' only supports option 'clf'."
    );
}

#[test]
fn timeouts() {
    assert_eq!(
        first_alert("defaults\n timeout connect 5H\n"),
        "parsing [t.cfg:2] : unexpected character 'H' in 'timeout connect'"
    );
    assert_eq!(
        first_alert("defaults\n contimeout 5s\n"),
        "parsing [t.cfg:2] : the 'contimeout' directive is not supported anymore since HAProxy 2.1. Use 'timeout connect'."
    );
    assert_eq!(
        first_alert("defaults\n timeout client 1s 2s\n"),
        "parsing [t.cfg:2] : 'timeout client' : unexpected extra argument '2s' after value '1s'."
    );
    assert_eq!(
        warnings("frontend f\n timeout server 1s\n")[0],
        "parsing [t.cfg:2] : 'timeout server' will be ignored because frontend 'f' has no backend capability"
    );
    assert_eq!(
        warnings(
            "defaults\n timeout connect 1s\nbackend b\n timeout connect 2s\n timeout connect 3s\n"
        )[0],
        "parsing [t.cfg:5] : overwriting 'timeout connect' which was already specified"
    );
    let l = load("backend b\n timeout queue 1m\n timeout tunnel 1h\n");
    let t = &proxy(&l, "b", ProxyCap::BE).settings.timeouts;
    assert_eq!(t.queue, Some(60_000));
    assert_eq!(t.tunnel, Some(3_600_000));
}

#[test]
fn mode_and_limits() {
    assert_eq!(
        first_alert("defaults\n mode health\n"),
        "parsing [t.cfg:2] : 'mode health' doesn't exist anymore. Please use 'http-request return status 200' instead."
    );
    assert_eq!(
        first_alert("defaults\n mode foo\n"),
        "parsing [t.cfg:2] : unknown proxy mode 'foo'."
    );
    assert_eq!(
        warnings("backend b\n maxconn 10\n")[0],
        "parsing [t.cfg:2] : 'maxconn' ignored because backend 'b' has no frontend capability. Maybe you want 'fullconn' instead ?"
    );
    let l = load("frontend f\n maxconn 10x\n backlog 7\n");
    let f = proxy(&l, "f", ProxyCap::FE);
    assert_eq!(f.settings.maxconn, Some(10));
    assert_eq!(f.settings.backlog, Some(7));
    assert_eq!(
        first_alert("backend b\n retries\n"),
        "parsing [t.cfg:2] : 'retries' expects an integer argument (dispatch counts for one)."
    );
}

#[test]
fn balance_algorithms() {
    let l = load("backend b\n balance uri whole depth 3 len 10\nbackend c\n balance random(3)\nbackend d\n balance hdr(Host) use_domain_only\nbackend e\n balance rdp-cookie\n hash-type consistent djb2\n");
    assert_eq!(
        proxy(&l, "b", ProxyCap::BE).settings.balance,
        Some(Balance::Uri {
            whole: true,
            path_only: false,
            len: 10,
            depth: 3
        })
    );
    assert_eq!(
        proxy(&l, "c", ProxyCap::BE).settings.balance,
        Some(Balance::Random { draws: 3 })
    );
    assert_eq!(
        proxy(&l, "d", ProxyCap::BE).settings.balance,
        Some(Balance::Hdr {
            name: "Host".into(),
            use_domain_only: true
        })
    );
    let e = proxy(&l, "e", ProxyCap::BE);
    assert_eq!(
        e.settings.balance,
        Some(Balance::RdpCookie {
            name: "mstshash".into()
        })
    );
    let ht = e.settings.hash_type.unwrap();
    assert!(ht.consistent && !ht.avalanche && ht.function == HashFunction::Djb2);
    assert_eq!(
        first_alert("backend b\n balance foo\n"),
        "parsing [t.cfg:2] : balance only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'hdr(name)' and 'rdp-cookie(name)' options."
    );
    assert_eq!(
        first_alert("backend b\n balance random(0)\n"),
        "parsing [t.cfg:2] : balance random : number of draws must be at least 1."
    );
    assert_eq!(
        first_alert("backend b\n balance uri len 0\n"),
        "parsing [t.cfg:2] : balance uri : 'len' expects a positive integer (got '0')."
    );
    assert_eq!(
        first_alert("backend b\n hash-balance-factor 50\n"),
        "parsing [t.cfg:2] : 'hash-balance-factor' must be 0 or greater than 100."
    );
}

#[test]
fn cookie_capture_stats() {
    assert_eq!(
        first_alert("backend b\n cookie SRV rewrite indirect\n"),
        "parsing [t.cfg:2] : cookie 'rewrite' and 'indirect' modes are incompatible."
    );
    assert_eq!(
        first_alert("backend b\n cookie SRV preserve\n"),
        "parsing [t.cfg:2] : cookie 'preserve' requires at least 'insert' or 'indirect'."
    );
    let l = load("backend b\n cookie SRV insert indirect nocache domain .a.b maxidle 1h\n");
    let ck = proxy(&l, "b", ProxyCap::BE)
        .settings
        .cookie
        .clone()
        .unwrap();
    assert!(ck.insert && ck.indirect && ck.nocache);
    assert_eq!(ck.maxidle, 3600);
    assert_eq!(ck.domains, vec![".a.b".to_string()]);
    assert_eq!(
        first_alert("defaults\n capture request header Host len 10\n"),
        "parsing [t.cfg:2] : 'capture request' not allowed in 'defaults' section."
    );
    assert_eq!(
        first_alert("defaults\n declare capture request len 10\n"),
        "parsing [t.cfg:2] : 'declare' not available in default section"
    );
    let l = load("listen l\n stats enable\n stats uri /s\n stats auth a:b\n stats refresh 10s\n");
    let s = proxy(&l, "l", ProxyCap::LISTEN)
        .settings
        .stats
        .clone()
        .unwrap();
    assert!(s.enabled);
    assert_eq!(s.uri.as_deref(), Some("/s"));
    assert_eq!(s.refresh, Some(10));
    assert_eq!(
        first_alert("listen l\n stats foo\n"),
        "parsing [t.cfg:2]: unknown stats parameter 'foo', expects 'admin', 'uri', 'realm', 'auth', 'scope', 'enable', 'hide-version', 'show-node', 'show-desc' or 'show-legends'."
    );
}

#[test]
fn errors_and_compression() {
    assert_eq!(
        first_alert("defaults\n errorfile 999 /x\n"),
        "parsing [t.cfg:2] : errorfile : status code '999' not handled."
    );
    assert_eq!(
        first_alert("defaults\n errorfile 503\n"),
        "parsing [t.cfg:2] : errorfile : expects <status_code> and <file> as arguments.\n\n"
    );
    assert_eq!(
        first_alert("defaults\n http-error status 503 foo\n"),
        "parsing [t.cfg:2] : http-error : unknown keyword 'foo'."
    );
    assert_eq!(
        first_alert("defaults\n compression algo foo\n"),
        "parsing [t.cfg:2] : 'compression' : 'foo' is not a supported algorithm."
    );
    let l = load(
        "backend b\n compression algo gzip\n compression type text/html\n http-reuse always\n",
    );
    let b = proxy(&l, "b", ProxyCap::BE);
    let c = b.settings.compression.clone().unwrap();
    assert_eq!(c.algos, vec!["gzip".to_string()]);
    assert_eq!(b.settings.http_reuse, Some(HttpReuse::Always));
}

#[test]
fn health_checks() {
    let l = load("backend b\n option httpchk GET /health\n http-check expect status 200\n");
    let b = proxy(&l, "b", ProxyCap::BE);
    assert_eq!(
        b.settings.check,
        Some(CheckKind::Http {
            method: Some("GET".into()),
            uri: Some("/health".into()),
            version: None
        })
    );
    assert_eq!(b.settings.http_check_rules.len(), 1);
    assert_eq!(
        first_alert("backend b\n http-check expect\n"),
        "parsing [t.cfg:2] : 'http-check expect' : expects at least a matching pattern as arguments."
    );
    assert_eq!(
        first_alert("backend b\n tcp-check foo\n"),
        "parsing [t.cfg:2] : 'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got 'foo'"
    );
    assert_eq!(
        first_alert("backend b\n option pgsql-check\n"),
        "parsing [t.cfg:2] : 'option pgsql-check' expects 'user <username>' as argument."
    );
}

#[test]
fn removed_and_unknown_keywords() {
    assert_eq!(
        first_alert("defaults\n reqadd X-Foo:\\ bar\n"),
        "parsing [t.cfg:2] : The 'reqadd' directive is not supported anymore since HAProxy 2.1. Use 'http-request add-header' instead."
    );
    assert_eq!(
        first_alert("defaults\n redispatch\n"),
        "parsing [t.cfg:2] : keyword 'redispatch' directive is not supported anymore since HAProxy 2.1. Use 'option redispatch'."
    );
    assert!(first_alert("backend b\n foo\n")
        .starts_with("parsing [t.cfg:2] : unknown keyword 'foo' in 'backend' section"));
    assert_eq!(
        first_alert("defaults\n id 3\n"),
        "parsing [t.cfg:2]: 'id' not allowed in 'defaults' section."
    );
    assert_eq!(
        first_alert("frontend a\n id 5\nfrontend b\n id 5\n"),
        "parsing [t.cfg:4]: frontend b reuses same custom id as frontend a (declared at t.cfg:1)."
    );
}

#[test]
fn filters_and_registered_keywords() {
    assert_eq!(
        first_alert("defaults\n filter compression\n"),
        "parsing [t.cfg:2] : parsing [t.cfg:2] : filter is not allowed in a 'default' section."
    );
    assert_eq!(
        first_alert("frontend f\n filter cache\n"),
        "parsing [t.cfg:2] : 'filter' : 'cache : expects a <name> argument'"
    );
    assert_eq!(
        first_alert("frontend f\n filter compression x\n"),
        "parsing [t.cfg:2] : 'filter compression' : unknown keyword 'x'."
    );
    assert_eq!(
        first_alert("frontend f\n filter spoe\n"),
        "parsing [t.cfg:2] : 'filter' : ''spoe' : missing config file'"
    );
    let l = load("frontend f\n filter trace name t quiet\n");
    assert_eq!(proxy(&l, "f", ProxyCap::FE).settings.filters.len(), 1);
    assert_eq!(
        warnings("backend b\n rate-limit sessions 10\n")[0],
        "parsing [t.cfg:2] : rate-limit sessions will be ignored because backend 'b' has no frontend capability"
    );
    assert_eq!(
        first_alert("backend b\n rate-limit sessions 1x\n"),
        "parsing [t.cfg:2] : 'rate-limit sessions' : unexpected character 'x' in integer value '1x'"
    );
    assert_eq!(
        first_alert("frontend f\n retry-on 503\n"),
        "parsing [t.cfg:2] : 'retry-on' only available in backend or listen section"
    );
    assert_eq!(
        first_alert("backend b\n retry-on none 503\n"),
        "parsing [t.cfg:2] : 'retry-on' 'none' keyworld only usable alone"
    );
    assert_eq!(
        first_alert("defaults\n http-error status 204 content-type text/plain string x\n"),
        "parsing [t.cfg:2] : http-error : No body expected for 204 responses"
    );
}

#[test]
fn empty_from_and_listen_conflicts() {
    // `from` with nothing after designates HAProxy's built-in defaults, whose empty name
    // fails the character check (HAProxy prints a NUL there).
    assert_eq!(
        first_alert("defaults a from\n"),
        "parsing [t.cfg:1] : character '"
    );
    assert_eq!(
        first_alert("frontend x\nlisten x\n"),
        "Parsing [t.cfg:2]: proxy 'x' has the same name as frontend 'x' declared at t.cfg:1."
    );
    let l = load("defaults d\n mode http\ndefaults e from d\nbackend b\n");
    let b = proxy(&l, "b", ProxyCap::BE);
    assert_eq!(b.mode, Mode::Http);
    assert_eq!(b.defaults_from.as_deref(), Some("e"));
}
