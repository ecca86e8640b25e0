use super::*;
use crate::config::bind::tests::{mini_load, mini_load_env, texts};
use crate::config::ParseEnv;

fn one(text: &str) -> Vec<String> {
    texts(&mini_load(text))
}

#[test]
fn section_and_argument_checks() {
    let cases = [
        ("defaults\n  server a 1.2.3.4:80\n", "A [t.cfg:2] : 'server' not allowed in 'defaults' section."),
        ("frontend f\n  server a 1.2.3.4:80\n", "A [t.cfg:2] : parsing [t.cfg:2] : 'server' not allowed because frontend 'f' has no backend capability."),
        ("backend b\n  server a\n", "A [t.cfg:2] : 'server' expects <name> and <addr>[:<port>] as arguments."),
        ("backend b\n  server a/b 1.1.1.1:80\n", "A [t.cfg:2] : character '/' is not permitted in server name 'a/b'."),
        ("backend b\n  server-template a 0 1.1.1.1:80\n", "A [t.cfg:2] : Wrong server-template number or range arg '0'."),
        ("backend b\n  server-template a 3\n", "A [t.cfg:2] : 'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments."),
        ("backend b\n  server a 1.1.1.1:80-90\n", "A [t.cfg:2] : 'server b/a' : port range not permitted here in '1.1.1.1:80-90'"),
        ("backend b\n  server a udp@1.1.1.1:53\n", "A [t.cfg:2] : 'server b/a' : dgram-type address not acceptable in 'udp@1.1.1.1:53'\n\n"),
        ("backend b\n  server h a..b:80\n", "A [t.cfg:2] : 'server b/h' : Can't create DNS resolution for server 'h'"),
        ("backend b\n  server a 1.1.1.1:80 foo\n", "A [t.cfg:2] : 'server b/a' : unknown keyword 'foo'; did you mean 'tfo' maybe ?"),
        ("backend b\n  default-server chek\n", "A [t.cfg:2] : unknown keyword 'chek'; did you mean 'check' maybe ? Hint: no address was expected for this server."),
        ("backend b\n  server-template x 2 1.1.1.1:80 foo\n", "A [t.cfg:2] : 'server b/(null)' : unknown keyword 'foo'; did you mean 'tfo' maybe ?"),
    ];
    for (cfg, want) in cases {
        assert_eq!(one(cfg), [want], "{cfg}");
    }
}

#[test]
fn option_errors() {
    let cases = [
        ("inter 0", "invalid value 0 for argument 'inter' of server a.."),
        ("inter 10x", "unexpected character 'x' in 'agent-inter' argument of server a.."),
        ("inter 30d", "timer overflow in argument <30d> to <inter> of server a, maximum value is 2147483647 ms (~24.8 days).."),
        ("rise 0", "'rise' has to be > 0.."),
        ("slowstart 10x", "unexpected character 'x' in 'slowstart' argument of server a.."),
        ("cookie", "'cookie' expects <value> as argument.."),
        ("init-addr foo", "'init-addr' : unknown init-addr method 'foo', supported methods are 'libc', 'last', 'none'.."),
        ("source", "'source' expects <addr>[:<port>[-<port>]], and optionally 'usesrc' <addr>, and 'interface' <name> as argument.."),
        ("usesrc client", "'usesrc' only allowed after a 'source' statement.."),
        ("ws", "'ws' has to be 'auto', 'h1' or 'h2'."),
        ("log-proto", "'log-proto' expects one of 'legacy' or 'octet-count' but got ''."),
        ("addr", "'addr' expects <ipv4|ipv6> as argument.."),
        ("resolve-net 1.2.3.0/99", "'resolve-net' invalid network '1.2.3.0/99'.."),
        ("proxy-v2-options ssl,foo", "'foo' : proxy v2 option not implemented."),
        ("verify maybe", "'verify' : unknown verify method 'maybe', only 'none' and 'required' are supported."),
        ("ssl-max-ver x", "'x' : unknown ssl/tls version."),
        ("pool-purge-delay 5x", "unexpected character 'x' in argument to <pool-purge-delay>.."),
        ("agent-addr foo!bar", "parsing agent-addr failed. Check if 'foo!bar' is correct address.."),
        ("socks4 1.2.3.4", "'socks4 1.2.3.4' : missing port specification in '1.2.3.4'."),
        ("error-limit 0", "error-limit has to be > 0.."),
        ("pool-max-conn -2", "'pool-max-conn' must be >= -1."),
        ("resolve-prefer ipv5", "'resolve-prefer' expects either ipv4 or ipv6 as argument.."),
        ("proto h3", "'proto' :  unknown MUX protocol 'h3'."),
        ("sni", "'sni' : missing sni expression."),
        ("weight 300", "weight of server a is not within 0 and 256 (300).."),
        ("check track b/x", "unable to enable checks and tracking at the same time!"),
        ("agent-check", "server a does not have agent port. Agent check has been disabled."),
    ];
    for (opts, want) in cases {
        let got = one(&format!("backend b\n  server a 1.1.1.1:80 {opts}\n"));
        assert_eq!(
            got,
            [format!("A [t.cfg:2] : 'server b/a' : {want}")],
            "{opts}"
        );
    }
}

#[test]
fn source_usesrc_errors_drop_the_context() {
    assert_eq!(
        one("backend b\n  server a 1.1.1.1:80 source 1.2.3.4 usesrc\n"),
        [
            "A [t.cfg:2] : 'server b/a' : 'usesrc' expects <addr>[:<port>], 'client', 'clientip', or 'hdr_ip(name,#)' as argument.",
            "A error encountered while processing 'usesrc'.",
        ]
    );
}

#[test]
fn default_server_rules() {
    assert_eq!(
        one("backend b\n  default-server inter 10x\n"),
        ["A [t.cfg:2] : unexpected character 'x' in 'agent-inter' argument of server default-server.."]
    );
    // Not accepted in default-server: a non-fatal alert, parsing goes on.
    let st =
        mini_load("backend b\n  default-server id 4 no-sslv3 weight 7\n  server a 1.1.1.1:80\n");
    assert_eq!(
        texts(&st),
        [
            "A [t.cfg:2] : 'id' option is not accepted in default-server sections",
            "A 'no-sslv3' option is not accepted in default-server sections",
        ]
    );
    assert_eq!(st.model.proxies[0].servers[0].weight, 7);
}

#[test]
fn inheritance_from_defaults_and_default_server() {
    let st = mini_load(
        "defaults\n  default-server inter 3s check maxconn 50\nbackend b\n  default-server weight 20\n  server a 10.0.0.1:8080\n  server b 10.0.0.2 no-check weight 5 backup cookie c1 id 9\n",
    );
    assert!(texts(&st).is_empty(), "{:?}", texts(&st));
    let sv = &st.model.proxies[1].servers;
    assert_eq!(sv[0].health.inter, 3000);
    assert!(sv[0].check);
    assert_eq!(sv[0].maxconn, 50);
    assert_eq!(sv[0].weight, 20);
    assert_eq!(sv[0].addr, Some("10.0.0.1:8080".parse().unwrap()));
    assert_eq!(sv[0].port, Some(8080));
    assert!(!sv[1].check);
    assert_eq!(sv[1].weight, 5);
    assert!(sv[1].backup);
    assert_eq!(sv[1].cookie.as_deref(), Some("c1"));
    assert_eq!(sv[1].id, Some(9));
    assert_eq!(sv[1].port, None);
    assert_eq!(sv[1].port_offset, Some(0));
    let st = mini_load("backend b\n  server z 10.0.0.3:0\n  server m 10.0.0.3:-2\n");
    let sv = &st.model.proxies[0].servers;
    assert_eq!((sv[0].port, sv[0].port_offset), (None, Some(0)));
    assert_eq!((sv[1].port, sv[1].port_offset), (None, Some(-2)));
}

#[test]
fn typed_fields_and_templates() {
    let st = mini_load(
        "backend b\n  server-template web 1-3 app.local:80 check\n  server s [::1]:+5 ssl verify none sni str(x) alpn h2 send-proxy-v2 source 1.2.3.4 usesrc client interface eth0 slowstart 1500\n",
    );
    assert!(texts(&st).is_empty(), "{:?}", texts(&st));
    let sv = &st.model.proxies[0].servers;
    let names: Vec<&str> = sv.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web1", "web2", "web3", "s"]);
    assert_eq!(sv[0].hostname.as_deref(), Some("app.local"));
    assert_eq!(sv[0].template, Some(("web".to_string(), 1, 3)));
    let s = &sv[3];
    assert_eq!(s.port_offset, Some(5));
    assert!(s.ssl.enabled);
    assert_eq!(s.ssl.verify.as_deref(), Some("none"));
    assert!(s.send_proxy_v2);
    assert_eq!(
        s.source.as_deref(),
        Some("1.2.3.4 usesrc client interface eth0")
    );
    assert_eq!(s.slowstart, 2);
}

#[test]
fn duplicate_ids_and_names() {
    let st = mini_load("backend b\n  server a 1.1.1.1:80 id 3\n  server b 1.1.1.1:80 id 3\n");
    assert_eq!(
        texts(&st),
        ["A [t.cfg:3] : 'server b/b' : 'id' : custom id 3 already used at t.cfg:2 ('server a')."]
    );
    let mut st = mini_load(
        "backend c\n  server a 1.1.1.1:80\n  server a 1.1.1.2:80\n  server a 1.1.1.3:80 id 5\n",
    );
    assert_eq!(check_duplicate_names(&mut st), err::ALERT_FATAL);
    assert_eq!(
        texts(&st),
        ["A parsing [t.cfg:3] : backend 'c', another server named 'a' was already defined at line 2, please use distinct names."]
    );
}

#[test]
fn ca_file_missing_for_server() {
    assert_eq!(
        one("backend b\n  server ssl 127.0.0.1:443 ssl verify required ca-file /nonexistent/rsa2048.pem\n"),
        [
            "A [t.cfg:2] : 'server b/ssl' : Couldn't open the ca-file '/nonexistent/rsa2048.pem' (No such file or directory).",
            "A 'ca-file' : unable to load /nonexistent/rsa2048.pem.",
        ]
    );
}

#[test]
fn observe_layer7_needs_http() {
    let st = mini_load("backend b\n  server a 1.1.1.1:80 observe layer7 weight 2\nbackend h\n  mode http\n  server a 1.1.1.1:80 observe layer7\n");
    assert_eq!(
        texts(&st),
        ["A [t.cfg:2] : 'server b/a' : 'layer7' can only be used in http proxies.."]
    );
    assert_eq!(st.model.proxies[0].servers[0].weight, 2);
}

#[test]
fn start_time_resolution() {
    let mut st = mini_load_env(
        "backend b1\n  server a foo.invalid:80\n  server b bar.invalid:80\nbackend b2\n  server d qux.invalid:80 init-addr libc,none\n  server e q2.invalid:80 init-addr none\n  server f q3.invalid:80 init-addr libc,1.2.3.4\n  server g 127.0.0.1:80\n",
        ParseEnv {
            resolve_hosts: true,
            check_files: true,
            ncpus: 1,
            ..Default::default()
        },
    );
    assert!(texts(&st).is_empty());
    let c = resolve_addresses(&mut st);
    assert_eq!(c & err::FATAL, err::FATAL);
    assert_eq!(
        texts(&st),
        [
            "A [t.cfg:2] : 'server b1/a' : could not resolve address 'foo.invalid'.",
            "A [t.cfg:3] : 'server b1/b' : could not resolve address 'bar.invalid'.",
            "W [t.cfg:5] : 'server b2/d' : could not resolve address 'qux.invalid', disabling server.",
            "W [t.cfg:7] : 'server b2/f' : could not resolve address 'q3.invalid', falling back to configured address.",
            "A Failed to initialize server(s) addr.",
        ]
    );
    assert_eq!(
        st.model.proxies[1].servers[2].addr,
        Some("1.2.3.4:80".parse().unwrap())
    );
}

#[test]
fn resolvers_references() {
    let mut st = mini_load("backend b\n  server x foo.local:80 resolvers nodns\n  server y foo.local:80 resolvers default\n");
    assert_eq!(check_resolvers(&mut st), err::ALERT | err::ABORT);
    assert_eq!(
        texts(&st),
        ["A backend 'b', server 'x': unable to find required resolvers 'nodns'"]
    );
}

#[test]
fn post_checks_in_haproxy_order() {
    let pem = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/configs/files/test.pem"
    );
    assert!(
        std::path::Path::new(pem).exists(),
        "{pem}: the shared corpus files are needed"
    );
    let cfg = format!(
        "frontend f1\n  bind :443 ssl\nfrontend f2\n  bind :445 ssl crt {pem} verify required\n  bind :447 proto fcgi\n  bind :448 ssl crt {pem} ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.2\nbackend b\n  mode http\n  server s 1.1.1.1:80 ssl verify required\n  server u 1.1.1.1:80 track b/zz\n  server v 1.1.1.1:80 track nob/s\n  server w 1.1.1.1:80 track s\n  server x 1.1.1.1:80 minconn 10 maxconn 5 tfo\n"
    );
    let mut st = mini_load(&cfg);
    assert!(texts(&st).is_empty(), "{:?}", texts(&st));
    assert_eq!(check_all(&mut st) & err::FATAL, err::FATAL);
    let v = "verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.";
    let verify445 =
        "Proxy 'f2': verify is enabled but no CA file specified for bind ':445' at [t.cfg:4].";
    assert_eq!(
        texts(&st),
        [
            "A frontend 'f2' : MUX protocol 'fcgi' is not usable for 'bind :447' at [t.cfg:5].".to_string(),
            format!("A [t.cfg:9] : 'server b/s' : {v}"),
            "A [t.cfg:10] : 'server b/u' : unable to find required server 'zz' for tracking.".to_string(),
            "A [t.cfg:11] : 'server b/v' : unable to find required proxy 'nob' for tracking.".to_string(),
            "A [t.cfg:12] : 'server b/w' : unable to use b/s for tracking as it does not have any check nor agent enabled.".to_string(),
            "W [t.cfg:13] : 'server b/x' : server has tfo activated, the backend should be configured with at least 'conn-failure', 'empty-response' and 'response-timeout' or we wouldn't be able to retry the connection on failure.".to_string(),
            "A Proxy 'f1': no SSL certificate specified for bind ':443' at [t.cfg:2] (use 'crt').".to_string(),
            format!("A {verify445}\n{verify445}"),
            "A Proxy 'f2': all SSL/TLS versions are disabled for bind ':448' at [t.cfg:6].".to_string(),
        ]
    );
    let x = &st.model.proxies[2].servers[4];
    assert_eq!((x.minconn, x.maxconn), (10, 10));
}

#[test]
fn tls_version_warnings() {
    let pem = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/configs/files/test.pem"
    );
    assert!(
        std::path::Path::new(pem).exists(),
        "{pem}: the shared corpus files are needed"
    );
    let mut st = mini_load(&format!(
        "frontend f\n  bind :1 ssl crt {pem} no-tlsv10 ssl-min-ver TLSv1.2\n  bind :2 ssl crt {pem} ssl-max-ver TLSv1.1\n  bind :3 ssl crt {pem} no-tlsv12\n"
    ));
    assert_eq!(check_all(&mut st), 0);
    assert_eq!(
        texts(&st),
        [
            "W Proxy 'f': no-sslv3/no-tlsv1x are ignored for bind ':1' at [t.cfg:2]. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.",
            "W Proxy 'f': Ambiguous configuration for bind ':2' at [t.cfg:3]: the ssl-min-ver value is not configured and the ssl-max-ver value is lower than the default ssl-min-ver value (TLSv1.2). Setting the ssl-min-ver to TLSv1.1. Use 'ssl-min-ver' to fix this.",
        ]
    );
}

#[test]
fn server_tls_preparation() {
    let mut st = mini_load(
        "backend b\n  server t 1.1.1.1:443 ssl verify none no-tlsv10 no-tlsv11 no-tlsv12 no-tlsv13 no-sslv3\n  server u 1.1.1.1:443 ssl verify none no-tlsv11\n  server c 1.1.1.1:443 ssl verify none crt /nonexistent/c.pem no-tlsv10 ssl-min-ver TLSv1.2\n  server n 1.1.1.1:443 namespace surely-not-a-netns\n",
    );
    assert_eq!(
        texts(&st),
        ["A [t.cfg:5] : 'server b/n' : Cannot open namespace 'surely-not-a-netns'."]
    );
    st.diag.messages.clear();
    assert_eq!(check_all(&mut st) & err::FATAL, err::FATAL);
    assert_eq!(
        texts(&st),
        [
            "A [t.cfg:2] : 'server b/t' : backend 'b': all SSL/TLS versions are disabled for server 't'.",
            "W [t.cfg:3] : 'server b/u' : backend 'b': SSL/TLS versions range not contiguous for server 'u'. Hole find for TLSv1.1. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.",
            "A [t.cfg:4] : 'server b/c' : unable to stat SSL certificate from file '/nonexistent/c.pem' : No such file or directory.",
            "W no-sslv3/no-tlsv1x are ignored for this server. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.",
        ]
    );
}

#[test]
fn multi_line_messages_and_empty_timer() {
    assert_eq!(
        one("backend b\n  server d 1.2.3.4:80 source 1.2.3.4:x\n  server x 1.2.3.4:80 slowstart\n"),
        [
            "A [t.cfg:2] : 'server b/d' : \n  'source 1.2.3.4:x' : invalid character 'x' in port number 'x' in '1.2.3.4:x'\n  \n.",
            "A [t.cfg:3] : 'server b/x' : unexpected character '.",
        ]
    );
}

#[test]
fn health_check_ports() {
    use crate::model::proxy::{CheckKind, CheckRule};
    let mut st = mini_load(
        "backend b\n  server a 1.1.1.1 check\n  server d /tmp/x.sock check\n  server e foo.local check\n  server f 1.1.1.1:+1 check\n  server g 1.1.1.1 check port 80\n  server h 1.1.1.1 check addr 1.1.1.2:81\nbackend u\n  server a 1.1.1.1 check\nbackend w\n  server a 1.1.1.1 check check-proto none\n",
    );
    let rule = |verb: &str, args: &[&str]| CheckRule {
        verb: verb.into(),
        args: args.iter().map(|s| s.to_string()).collect(),
        loc: Default::default(),
    };
    st.model.proxies[1].settings.check = Some(CheckKind::Tcp);
    st.model.proxies[1].settings.tcp_check_rules =
        vec![rule("connect", &["port", "80"]), rule("connect", &[])];
    st.model.proxies[2].settings.check = Some(CheckKind::Http {
        method: None,
        uri: None,
        version: None,
    });
    let mut code = 0;
    for px in 0..3 {
        code |= checks::check_post_server(&mut st, px);
    }
    assert_eq!(code & err::ALERT_FATAL, err::ALERT_FATAL);
    assert_eq!(
        texts(&st),
        [
            "A config: backend 'b': server 'a' has neither service port nor check port.",
            "A config: backend 'b': server 'f' has neither service port nor check port.",
            "A config: backend 'u': server 'a' has neither service port nor check port, and a tcp_check rule 'connect' with no port information.",
            "A config: backend 'w': server 'a' uses an incompatible MUX protocol for the selected check type",
        ]
    );
}

#[test]
fn global_tls_settings_apply() {
    let pem = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/configs/files/test.pem"
    );
    assert!(
        std::path::Path::new(pem).exists(),
        "{pem}: the shared corpus files are needed"
    );
    let mut st = crate::config::State::new(crate::config::Diag::new(), ParseEnv::default());
    st.model.global.ssl.crt_base =
        Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/configs/files").into());
    st.model.global.ssl.bind_options = vec!["ssl-min-ver TLSv1.2".into()];
    st.model.global.ssl.server_verify_required = Some(false);
    st.model.proxies.push(crate::model::Proxy {
        name: "f".into(),
        cap: crate::model::ProxyCap::LISTEN,
        ..Default::default()
    });
    let line = |n: usize, t: &str| crate::config::Line {
        loc: crate::config::Loc {
            file: "t.cfg".into(),
            line: n,
        },
        words: crate::config::lexer::split_words(
            t,
            &crate::config::lexer::ProcessEnv {
                file: "t.cfg",
                line: n,
                section: "listen",
            },
        )
        .unwrap(),
        kwm: crate::config::Kwm::Std,
        raw: t.to_string(),
    };
    assert_eq!(
        crate::config::bind::parse_bind(&mut st, &line(2, "bind :1 ssl crt test.pem no-tlsv10"), 0),
        0
    );
    assert_eq!(
        parse_server(&mut st, &line(3, "server s 1.1.1.1:443 ssl"), 0),
        0
    );
    assert_eq!(check_all(&mut st), 0);
    assert_eq!(
        texts(&st),
        ["W Proxy 'f': no-sslv3/no-tlsv1x are ignored for bind ':1' at [t.cfg:2]. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix."]
    );
    assert_eq!(
        st.model.proxies[0].binds[0].options.crt,
        [concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/configs/files/test.pem"
        )]
    );
}

#[test]
fn check_port_wording_after_an_unchecked_backend() {
    let alerts = |text: &str| -> Vec<String> {
        let l = crate::config::load_str(
            "q.cfg",
            text,
            crate::config::Diag::new(),
            ParseEnv::offline(),
        );
        l.diag
            .messages
            .iter()
            .filter(|m| m.text.contains("neither service port"))
            .map(|m| m.text.clone())
            .collect()
    };
    let fe = "frontend f\n  bind :1\n  default_backend waf\n";
    let waf = "backend waf\n  server waf 127.0.0.1:0 check\n";
    // Alone: the short form.
    assert_eq!(
        alerts(&format!("{fe}{waf}")),
        ["config: backend 'waf': server 'waf' has neither service port nor check port."]
    );
    // After a backend without health checks (as haproxy 2.6.12 prints it).
    assert_eq!(
        alerts(&format!("backend b1\n{waf}{fe}")),
        ["config: backend 'waf': server 'waf' has neither service port nor check port nor tcp_check rule 'connect' with port information."]
    );
    // An earlier backend with `option tcp-check` keeps its ruleset: short form again.
    assert_eq!(
        alerts(&format!("backend b1\n  option tcp-check\n{waf}{fe}")),
        ["config: backend 'waf': server 'waf' has neither service port nor check port."]
    );
}
