//! Arbitrary bytes from a client, in arbitrary slices: the HTTP/1 layer of the runtime must
//! never panic, whatever a peer sends, and must not grow its buffers without bound.
#![no_main]

use std::sync::OnceLock;

use haproxy_rs::config::{self, Diag, ParseEnv};
use haproxy_rs::runtime::h1::{H1, MAX_HEAD};
use haproxy_rs::runtime::proxy::ProxyRt;
use libfuzzer_sys::fuzz_target;

const CFG: &str = r#"
defaults
    mode http
    timeout client 5s
    timeout connect 5s
    timeout server 5s
listen l
    bind 127.0.0.1:1
    acl api path_beg /api
    http-request deny deny_status 429 if { hdr(x-deny) -m found }
    http-request return status 200 content-type text/plain lf-string "p=%[path] h=%[req.hdr(host)]" if api
    http-request return status 204 if METH_POST
"#;

fn proxy() -> &'static ProxyRt {
    static P: OnceLock<ProxyRt> = OnceLock::new();
    P.get_or_init(|| {
        let cfg = config::load_str("h1.cfg", CFG, Diag::new(), ParseEnv::offline())
            .config
            .expect("fuzz config is valid");
        let px = cfg
            .proxies
            .iter()
            .find(|p| p.name == "l")
            .expect("listen l");
        ProxyRt::compile(&cfg, px, &mut Vec::new())
    })
}

fuzz_target!(|data: &[u8]| {
    let px = proxy();
    let mut h = H1::new();
    // The first byte chooses how the input is cut into reads, as TCP may deliver it.
    let (step, rest) = match data.split_first() {
        Some((s, r)) => (usize::from(*s).max(1), r),
        None => (1, data),
    };
    for chunk in rest.chunks(step) {
        h.inbuf.extend_from_slice(chunk);
        h.process(px);
        assert!(h.inbuf.len() <= MAX_HEAD + step + 64 * 1024 || h.close);
        // The client reads everything we send.
        h.outbuf.clear();
        if h.close {
            break;
        }
    }
});
