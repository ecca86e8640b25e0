//! Post-parse checks on `bind` lines that HAProxy makes in `check_config_validity()`:
//! multiplexer compatibility and TLS context preparation (`ssl_sock_prepare_bind_conf()`).

use crate::config::{err, State};
use crate::model::bind::{Bind, TlsVersions};
use crate::model::Mode;

/// TLS version names by HAProxy's index (`CONF_SSLV3` = 1 … `CONF_TLSV13` = 5).
const VERSIONS: [&str; 6] = ["NONE", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
/// `CONF_TLSV12`: the default minimum since HAProxy 2.2.
const DEFAULT_MIN: usize = 4;

fn version_index(name: &str) -> usize {
    VERSIONS.iter().position(|v| *v == name).unwrap_or(0)
}

fn disabled_index(flag: &str) -> usize {
    match flag {
        "sslv3" => 1,
        "tlsv10" => 2,
        "tlsv11" => 3,
        "tlsv12" => 4,
        "tlsv13" => 5,
        _ => 0,
    }
}

/// `ssl-default-bind-options` / `ssl-default-server-options` as version settings.
pub fn global_tls_defaults(st: &State, kw: &str) -> TlsVersions {
    let ssl = &st.model.global.ssl;
    let opts = if kw == "ssl-default-bind-options" {
        &ssl.bind_options
    } else {
        &ssl.server_options
    };
    let mut t = TlsVersions::default();
    for o in opts {
        let w: Vec<&str> = o.split_whitespace().collect();
        match w.as_slice() {
            [k @ ("ssl-min-ver" | "ssl-max-ver"), v] => {
                let _ = super::ssl::tls_minmax(k, v, &mut t);
            }
            [o] if o.starts_with("no-") || o.starts_with("force-") => {
                let _ = super::ssl::tls_method_option(o, &mut t);
            }
            _ => {}
        }
    }
    t
}

/// Multiplexer compatibility of `proto` on binds: h1/h2 need HTTP mode, `none` TCP mode,
/// `fcgi` is backend-only. Returns error bits.
pub fn check_bind_muxes(st: &mut State, px: usize) -> u32 {
    let p = &st.model.proxies[px];
    let http = p.mode == Mode::Http;
    let mut msgs = Vec::new();
    for b in &p.binds {
        let Some(proto) = &b.options.proto else {
            continue;
        };
        let usable = match proto.as_str() {
            "h1" | "h2" => http,
            "none" => !http,
            _ => false,
        };
        if !usable {
            msgs.push(format!(
                "{} '{}' : MUX protocol '{proto}' is not usable for 'bind {}' at [{}:{}].",
                p.cap.type_name(),
                p.name,
                b.text,
                b.loc.file,
                b.loc.line
            ));
        }
    }
    report(st, msgs)
}

fn report(st: &mut State, msgs: Vec<String>) -> u32 {
    let bad = !msgs.is_empty();
    for m in msgs {
        st.diag.alert(m);
    }
    if bad {
        err::ALERT_FATAL
    } else {
        0
    }
}

/// `ssl_sock_prepare_bind_conf()` for every `ssl` bind of proxy `px`: a certificate is
/// needed, some TLS version must remain, `verify` needs a CA file, certificate generation
/// needs `ca-sign-file`. Returns error bits.
pub fn check_bind_ssl(st: &mut State, px: usize) -> u32 {
    let defaults = global_tls_defaults(st, "ssl-default-bind-options");
    let p = &st.model.proxies[px];
    let pname = p.name.clone();
    let binds: Vec<Bind> = p.binds.iter().filter(|b| b.options.ssl).cloned().collect();
    let mut code = 0;
    for b in &binds {
        code |= check_one_bind(st, &pname, b, &defaults);
    }
    code
}

fn check_one_bind(st: &mut State, pname: &str, b: &Bind, defaults: &TlsVersions) -> u32 {
    let o = &b.options;
    let at = format!("'{}' at [{}:{}]", b.text, b.loc.file, b.loc.line);
    if o.cert_count == 0 {
        if o.strict_sni && !o.generate_certificates {
            st.diag.warning(format!(
                "Proxy '{pname}': no SSL certificate specified for bind {at}, ssl connections will fail (use 'crt')."
            ));
        } else {
            st.diag.alert(format!(
                "Proxy '{pname}': no SSL certificate specified for bind {at} (use 'crt')."
            ));
            return err::ALERT_FATAL;
        }
    }
    let mut code = tls_versions(st, pname, &at, &o.tls, defaults);
    if matches!(o.verify.as_deref(), Some("optional" | "required")) && o.ca_file.is_none() {
        let one =
            format!("Proxy '{pname}': verify is enabled but no CA file specified for bind {at}.");
        st.diag.alert(vec![one; o.cert_count + 1].join("\n"));
        code |= err::ALERT_FATAL;
    }
    if o.generate_certificates && o.ca_sign_file.is_none() {
        st.diag.alert(format!(
            "Proxy '{pname}': cannot enable certificate generation, no CA certificate File configured at [{}:{}].",
            b.loc.file, b.loc.line
        ));
        code |= err::ALERT_FATAL;
    }
    code
}

/// `ssl_sock_initial_ctx()`: the enabled TLS version range and its warnings.
fn tls_versions(
    st: &mut State,
    pname: &str,
    at: &str,
    tls: &TlsVersions,
    defaults: &TlsVersions,
) -> u32 {
    let mut disabled = [false; 6];
    for d in tls.disabled.iter().chain(defaults.disabled.iter()) {
        disabled[disabled_index(d)] = true;
    }
    let mut min = tls.min.as_deref().map_or(0, version_index);
    let mut max = tls.max.as_deref().map_or(0, version_index);
    if min == 0 {
        min = defaults.min.as_deref().map_or(0, version_index);
    }
    if max == 0 {
        max = defaults.max.as_deref().map_or(0, version_index);
    }
    if disabled[1..].iter().any(|d| *d) && (min != 0 || max != 0) {
        st.diag.warning(format!(
            "Proxy '{pname}': no-sslv3/no-tlsv1x are ignored for bind {at}. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix."
        ));
        disabled = [false; 6];
    }
    if min == 0 {
        if max == 0 || max >= DEFAULT_MIN {
            min = DEFAULT_MIN;
        } else {
            st.diag.warning(format!(
                "Proxy '{pname}': Ambiguous configuration for bind {at}: the ssl-min-ver value is not configured and the ssl-max-ver value is lower than the default ssl-min-ver value ({}). Setting the ssl-min-ver to {}. Use 'ssl-min-ver' to fix this.",
                VERSIONS[DEFAULT_MIN], VERSIONS[max]
            ));
            min = max;
        }
    }
    let (lo, hi) = (min, if max == 0 { 5 } else { max });
    let mut first = 0;
    let mut hole = 0;
    for (i, off) in disabled.iter().enumerate().skip(1) {
        if !off && i >= lo && i <= hi {
            if first != 0 && hole != 0 {
                st.diag.warning(format!(
                    "Proxy '{pname}': SSL/TLS versions range not contiguous for bind {at}. Hole find for {}. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.",
                    VERSIONS[hole]
                ));
                hole = 0;
            }
            if first == 0 {
                first = i;
            }
        } else if first != 0 {
            hole = i;
        }
    }
    if first == 0 {
        st.diag.alert(format!(
            "Proxy '{pname}': all SSL/TLS versions are disabled for bind {at}."
        ));
        return err::ALERT_FATAL;
    }
    0
}
