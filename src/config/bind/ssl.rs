//! TLS bind options (`cfgparse-ssl.c`) and the certificate file checks HAProxy makes while
//! parsing (`ssl_sock_load_cert()`, `crtlist_parse_file()`, CA/CRL store loading).
//!
//! Certificates are not decoded: a PEM file is accepted when it holds a certificate block
//! and a private key block (in the file or in its `.key` side file), which is what decides
//! HAProxy's parse-time errors for files that are not broken in subtler ways.

use super::{bare_alert, fail, OptResult};
use crate::config::{err, Line, State};
use crate::model::bind::{Bind, TlsVersions};
use std::path::Path;

/// TLS versions as `ssl-min-ver`/`ssl-max-ver` spell them.
pub const TLS_VERSIONS: &[&str] = &["SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

/// The C library's `strerror()` text of an I/O error.
pub fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(p) => s[..p].to_string(),
        None => s,
    }
}

/// `ca-base` / `crt-base` from the global section.
pub fn global_base(st: &State, kw: &str) -> Option<String> {
    let ssl = &st.model.global.ssl;
    match kw {
        "ca-base" => ssl.ca_base.clone(),
        "crt-base" => ssl.crt_base.clone(),
        _ => None,
    }
}

/// Joins `arg` to the `base` directory unless it is absolute, as HAProxy does.
pub fn with_base(st: &State, base_kw: &str, arg: &str) -> String {
    match global_base(st, base_kw) {
        Some(b) if !arg.starts_with('/') => format!("{b}/{arg}"),
        _ => arg.to_string(),
    }
}

/// `ssl_store_load_locations_file()` for a missing file: HAProxy first prints a bare
/// alert, then the caller's "unable to load". Returns false when the file is missing.
pub fn check_ca_file(st: &mut State, path: &str) -> bool {
    if !st.env.check_files {
        return true;
    }
    match ca_file_error(path) {
        None => true,
        Some(why) => {
            bare_alert(st, format!("Couldn't open the ca-file '{path}' ({why})."));
            false
        }
    }
}

/// Why HAProxy's CA/CRL store would not load `path`: missing, or a file without any
/// certificate or CRL. Directories are loaded as hashed CA directories.
pub fn ca_file_error(path: &str) -> Option<String> {
    match std::fs::metadata(path) {
        Err(e) => Some(strerror(&e)),
        Ok(m) if m.is_dir() => None,
        Ok(_) => {
            let text = std::fs::read(path)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let found = has_cert(&text) || text.contains("-----BEGIN X509 CRL-----");
            (!found).then(|| "no certificate or crl found".to_string())
        }
    }
}

fn has_cert(pem: &str) -> bool {
    pem.contains("-----BEGIN CERTIFICATE-----")
        || pem.contains("-----BEGIN TRUSTED CERTIFICATE-----")
        || pem.contains("-----BEGIN X509 CERTIFICATE-----")
}

fn has_key(pem: &str) -> bool {
    pem.lines()
        .any(|l| l.starts_with("-----BEGIN ") && l.ends_with("PRIVATE KEY-----"))
}

/// The global `ssl-load-extra-files` / `ssl-load-extra-del-ext` settings that decide which
/// side files HAProxy looks for next to a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtraFiles {
    /// `bundle`: a missing `<path>` may be a `.rsa`/`.dsa`/`.ecdsa` bundle.
    pub bundle: bool,
    /// `key`: a certificate without a key takes it from `<path>.key`.
    pub key: bool,
    /// `ssl-load-extra-del-ext`: the `.crt` extension is removed before adding `.key`.
    pub del_ext: bool,
}

impl Default for ExtraFiles {
    /// HAProxy's default is `SSL_GF_ALL` and the extension kept.
    fn default() -> Self {
        ExtraFiles {
            bundle: true,
            key: true,
            del_ext: false,
        }
    }
}

/// The settings of the global lines parsed so far: like HAProxy, which applies them while
/// parsing, a later `global` section does not change an earlier `bind`. The last
/// `ssl-load-extra-files` line wins, as each one resets the flags.
pub fn extra_files(st: &State) -> ExtraFiles {
    extra_files_of(&st.model.global)
}

/// [`extra_files`] from a whole global section (the runtime, once parsing is over).
pub fn extra_files_of(g: &crate::model::Global) -> ExtraFiles {
    let mut x = ExtraFiles::default();
    for (kw, args, _) in &g.other {
        match kw.as_str() {
            "ssl-load-extra-del-ext" => x.del_ext = true,
            "ssl-load-extra-files" => {
                let all = args.iter().any(|a| a == "all");
                let has = |n: &str| all || args.iter().any(|a| a == n);
                x.bundle = has("bundle");
                x.key = has("key");
            }
            _ => {}
        }
    }
    x
}

/// `ckchs_load_cert_file()` with HAProxy's default side-file settings.
pub fn load_cert_file(path: &str) -> Result<(), String> {
    load_cert_file_with(path, ExtraFiles::default()).map(|_| ())
}

/// `ssl_sock_load_files_into_ckch()`: a PEM with a certificate and a key, or a key taken
/// from the `.key` side file (`<path>.key`, or `<path without .crt>.key` with
/// `ssl-load-extra-del-ext`) when `ssl-load-extra-files` allows it. Returns the side key
/// file used, if any. The files are decoded (`crate::tls::pem`), so a certificate that
/// does not parse or a key that does not match fails here as it does in HAProxy.
pub fn load_cert_file_with(path: &str, extra: ExtraFiles) -> Result<Option<String>, String> {
    let key = find_key_file(path, extra)?;
    crate::tls::pem::load(path, key.as_deref())?;
    Ok(key)
}

fn find_key_file(path: &str, extra: ExtraFiles) -> Result<Option<String>, String> {
    let bytes = std::fs::read(path).map_err(|_| format!("cannot open the file '{path}'.\n"))?;
    let pem = String::from_utf8_lossy(&bytes);
    if !has_cert(&pem) {
        return Err(format!("unable to load certificate from file '{path}'.\n"));
    }
    if has_key(&pem) {
        return Ok(None);
    }
    let stem = match path.rfind('.') {
        Some(p) if extra.del_ext && &path[p..] == ".crt" => &path[..p],
        _ => path,
    };
    if !extra.key {
        return Err(format!("No Private Key found in '{stem}'.\n"));
    }
    let key = format!("{stem}.key");
    if Path::new(&key).exists() {
        let k = std::fs::read(&key).map(|b| String::from_utf8_lossy(&b).into_owned());
        if !k.map(|k| has_key(&k)).unwrap_or(false) {
            return Err(format!(
                "unable to load private key from file '{key}'.\n '{key}' is present but cannot be read or parsed'.\n"
            ));
        }
        return Ok(Some(key));
    }
    Err(format!("No Private Key found in '{key}'.\n"))
}

/// `ssl_sock_load_cert()`: a file, a directory of certificates, or a `.rsa/.dsa/.ecdsa`
/// bundle (when `ssl-load-extra-files` allows bundles). Returns how many were loaded.
pub fn load_cert(path: &str, extra: ExtraFiles) -> Result<usize, String> {
    cert_files(path, extra).map(|v| v.len())
}

/// The certificate files a `crt` argument names, in HAProxy's loading order, each with
/// its side key file when the key is not in the certificate's own file.
pub fn cert_files(path: &str, extra: ExtraFiles) -> Result<Vec<(String, Option<String>)>, String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => load_cert_dir(path, extra),
        Ok(_) => Ok(vec![(path.to_string(), load_cert_file_with(path, extra)?)]),
        Err(e) => {
            let mut found = Vec::new();
            if extra.bundle {
                for ext in ["rsa", "dsa", "ecdsa"] {
                    let fp = format!("{path}.{ext}");
                    if Path::new(&fp).exists() {
                        let k = load_cert_file_with(&fp, extra)?;
                        found.push((fp, k));
                    }
                }
            }
            if !found.is_empty() {
                Ok(found)
            } else {
                Err(format!(
                    "unable to stat SSL certificate from file '{path}' : {}.\n",
                    strerror(&e)
                ))
            }
        }
    }
}

/// `crtlist_load_cert_dir()`: every regular file except dot files and the side files.
fn load_cert_dir(path: &str, extra: ExtraFiles) -> Result<Vec<(String, Option<String>)>, String> {
    let rd = std::fs::read_dir(path)
        .map_err(|e| format!("unable to scan directory '{path}' : {}.\n", strerror(&e)))?;
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for n in names {
        if let Some(p) = n.rfind('.') {
            let ext = &n[p..];
            if n.starts_with('.') || matches!(ext, ".issuer" | ".ocsp" | ".sctl" | ".key") {
                continue;
            }
        }
        let fp = format!("{path}/{n}");
        match std::fs::metadata(&fp) {
            Err(e) => {
                return Err(format!(
                    "unable to stat SSL certificate from file '{fp}' : {}.\n",
                    strerror(&e)
                ))
            }
            Ok(m) if !m.is_file() => continue,
            Ok(_) => {
                let k = load_cert_file_with(&fp, extra)?;
                out.push((fp, k));
            }
        }
    }
    Ok(out)
}

/// `crtlist_parse_file()`: each non-comment line names a certificate (relative to
/// `crt-base`), optionally followed by `[ssl options]` and SNI filters.
pub fn load_crt_list(st: &State, file: &str) -> Result<Vec<String>, String> {
    let bytes =
        std::fs::read(file).map_err(|e| format!("cannot open file '{file}' : {}", strerror(&e)))?;
    if std::fs::metadata(file).map(|m| m.is_dir()).unwrap_or(false) {
        let n = load_cert_dir(file, extra_files(st))?.len();
        return Ok(vec![file.to_string(); n]);
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut certs = Vec::new();
    let nlines = text.split_inclusive('\n').count();
    for (n, raw) in text.split_inclusive('\n').enumerate() {
        let linenum = n + 1;
        if raw.starts_with('#') || raw.starts_with('\n') || raw.starts_with('\r') {
            continue;
        }
        if !raw.ends_with('\n') && linenum == nlines {
            return Err(format!(
                "parsing [{file}:{linenum}]: Missing LF on last line, file might have been truncated at position {}.\n",
                raw.len() + 1
            ));
        }
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let Some(crt) = crt_list_line(file, linenum, line)? else {
            continue;
        };
        let path = with_base(st, "crt-base", &crt);
        if st.env.check_files {
            load_cert(&path, extra_files(st))?;
        }
        certs.push(path);
    }
    Ok(certs)
}

/// `ssl_bind_kws`: the options allowed between `[` and `]` in a crt-list line.
pub const CRT_LIST_KWS: &[(&str, usize)] = &[
    ("allow-0rtt", 0),
    ("alpn", 1),
    ("ca-file", 1),
    ("ca-verify-file", 1),
    ("ciphers", 1),
    ("ciphersuites", 1),
    ("crl-file", 1),
    ("curves", 1),
    ("ecdhe", 1),
    ("no-ca-names", 0),
    ("npn", 1),
    ("ssl-min-ver", 1),
    ("ssl-max-ver", 1),
    ("verify", 1),
];

/// `crtlist_parse_line()`: `<crt> [[<ssl options>]] [<sni filters>]`; returns the
/// certificate path, or `None` for an empty line.
fn crt_list_line(file: &str, linenum: usize, line: &str) -> Result<Option<String>, String> {
    let here = format!("parsing [{file}:{linenum}]:");
    let mut args: Vec<String> = Vec::new();
    let (mut ssl_b, mut ssl_e) = (0, 0);
    let mut newarg = true;
    for c in line.chars() {
        if c.is_ascii_whitespace() {
            newarg = true;
        } else if c == '[' {
            if ssl_b != 0 {
                return Err(format!("{here} too many '['"));
            }
            if args.is_empty() {
                return Err(format!("{here} file must start with a cert"));
            }
            ssl_b = args.len();
            newarg = true;
        } else if c == ']' {
            if ssl_e != 0 {
                return Err(format!("{here} too many ']'"));
            }
            if ssl_b == 0 {
                return Err(format!("{here} missing '['"));
            }
            ssl_e = args.len();
            newarg = true;
        } else if newarg {
            args.push(c.to_string());
            newarg = false;
        } else if let Some(a) = args.last_mut() {
            a.push(c);
        }
    }
    let Some(crt) = args.first().cloned() else {
        return Ok(None);
    };
    let mut cur = if ssl_b != 0 { ssl_b } else { 1 };
    while cur < ssl_e {
        let Some(&(kw, skip)) = CRT_LIST_KWS.iter().find(|(k, _)| *k == args[cur]) else {
            return Err(format!("{here} unknown ssl keyword {}", args[cur]));
        };
        if cur + 1 + skip > ssl_e {
            return Err(format!("{here} ssl args out of '[]' for {kw}"));
        }
        cur += 1 + skip;
    }
    Ok(Some(crt))
}

/// `ssl_sock_parse_alpn()` / NPN: comma-separated names of at most 255 bytes.
pub fn check_proto_list(list: &str) -> Result<(), String> {
    match list.split(',').find(|p| p.len() > 255) {
        Some(p) => Err(p.to_string()),
        None => Ok(()),
    }
}

/// `parse_tls_method_options()` for `no-…` / `force-…`.
pub fn tls_method_option(kw: &str, tls: &mut TlsVersions) -> Result<(), String> {
    let v = match kw.split_once('-').map(|(_, v)| v) {
        Some(v @ ("sslv3" | "tlsv10" | "tlsv11" | "tlsv12" | "tlsv13")) => v,
        _ => return Err(format!("'{kw}' : option not implemented")),
    };
    let name = match v {
        "sslv3" => "SSLv3",
        "tlsv10" => "TLSv1.0",
        "tlsv11" => "TLSv1.1",
        "tlsv12" => "TLSv1.2",
        _ => "TLSv1.3",
    };
    if kw.starts_with("no-") {
        tls.disabled.push(v.to_string());
    } else {
        tls.min = Some(name.to_string());
        tls.max = Some(name.to_string());
    }
    Ok(())
}

/// `parse_tls_method_minmax()`.
pub fn tls_minmax(kw: &str, arg: &str, tls: &mut TlsVersions) -> Result<(), String> {
    if arg.is_empty() {
        return Err(format!("'{kw}' : missing the ssl/tls version"));
    }
    if !TLS_VERSIONS.contains(&arg) {
        return Err(format!("'{arg}' : unknown ssl/tls version"));
    }
    if kw == "ssl-min-ver" {
        tls.min = Some(arg.to_string());
    } else {
        tls.max = Some(arg.to_string());
    }
    Ok(())
}

/// The TLS options of `bind` (HAProxy's "SSL" keyword list).
pub fn bind_ssl_option(st: &mut State, line: &Line, i: usize, b: &mut Bind) -> OptResult {
    let kw = line.arg(i);
    let arg = line.arg(i + 1);
    match kw {
        "ssl" => b.options.ssl = true,
        "generate-certificates" => b.options.generate_certificates = true,
        "allow-0rtt" | "no-ca-names" | "no-tls-tickets" | "prefer-client-ciphers" => {
            b.options.other.push((kw.to_string(), Vec::new()))
        }
        "strict-sni" => b.options.strict_sni = true,
        "alpn" | "npn" => {
            let up = kw.to_uppercase();
            if arg.is_empty() {
                return fail(format!(
                    "'{kw}' : missing the comma-delimited {up} protocol suite"
                ));
            }
            if let Err(p) = check_proto_list(arg) {
                return fail(format!("'{kw}' : {up} protocol name too long : '{p}'"));
            }
            if kw == "alpn" {
                b.options.alpn = Some(arg.to_string());
            } else {
                b.options.npn = Some(arg.to_string());
            }
        }
        "ca-file" | "ca-verify-file" | "crl-file" => {
            if arg.is_empty() {
                let what = if kw == "crl-file" {
                    "CRLfile"
                } else {
                    "CAfile"
                };
                return fail(format!("'{kw}' : missing {what} path"));
            }
            let path = with_base(st, "ca-base", arg);
            if !check_ca_file(st, &path) {
                return fail(format!("'{kw}' : unable to load {path}"));
            }
            match kw {
                "ca-file" => b.options.ca_file = Some(path),
                "crl-file" => b.options.crl_file = Some(path),
                _ => b.options.other.push((kw.to_string(), vec![path])),
            }
        }
        "ca-sign-file" if !arg.is_empty() => {
            b.options.ca_sign_file = Some(with_base(st, "ca-base", arg));
        }
        "ca-sign-file" | "ca-sign-pass" => {
            if arg.is_empty() {
                let what = if kw == "ca-sign-file" {
                    "CAfile path"
                } else {
                    "CAkey password"
                };
                return fail(format!("'{kw}' : missing {what}"));
            }
            b.options
                .other
                .push((kw.to_string(), vec![arg.to_string()]));
        }
        "ciphers" | "ciphersuites" | "curves" | "ecdhe" => {
            if arg.is_empty() {
                let what = match kw {
                    "curves" => "curve suite",
                    "ecdhe" => "named curve",
                    _ => "cipher suite",
                };
                return fail(format!("'{kw}' : missing {what}"));
            }
            let v = Some(arg.to_string());
            match kw {
                "ciphers" => b.options.ciphers = v,
                "ciphersuites" => b.options.ciphersuites = v,
                "curves" => b.options.curves = v,
                _ => b
                    .options
                    .other
                    .push((kw.to_string(), vec![arg.to_string()])),
            }
        }
        "crt" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing certificate location"));
            }
            let path = with_base(st, "crt-base", arg);
            if st.env.check_files {
                match load_cert(&path, extra_files(st)) {
                    Ok(n) => b.options.cert_count += n,
                    Err(e) => return fail(e),
                }
            } else {
                b.options.cert_count += 1;
            }
            b.options.crt.push(path);
        }
        "crt-list" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing certificate location"));
            }
            if st.env.check_files {
                match load_crt_list(st, arg) {
                    Ok(v) => b.options.cert_count += v.len(),
                    Err(e) => return fail(format!("'{kw}' : {e}")),
                }
            } else {
                b.options.cert_count += 1;
            }
            b.options.crt_list.push(arg.to_string());
        }
        "ca-ignore-err" | "crt-ignore-err" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing error IDs list"));
            }
            if arg != "all" {
                for item in arg.split(',') {
                    let code = super::super::values::atoi(item);
                    if !(1..=94).contains(&code) {
                        return fail(format!(
                            "'{kw}' : ID '{code}' out of range (1..94) in error IDs list '{arg}'"
                        ));
                    }
                }
            }
            b.options
                .other
                .push((kw.to_string(), vec![arg.to_string()]));
        }
        "ssl-min-ver" | "ssl-max-ver" => {
            if let Err(e) = tls_minmax(kw, arg, &mut b.options.tls) {
                return fail(e);
            }
        }
        "tls-ticket-keys" => return tls_ticket_keys(st, kw, arg, b),
        "verify" => {
            if arg.is_empty() {
                return fail(format!("'{kw}' : missing verify method"));
            }
            if !matches!(arg, "none" | "optional" | "required") {
                return fail(format!(
                    "'{kw}' : unknown verify method '{arg}', only 'none', 'optional', and 'required' are supported\n"
                ));
            }
            b.options.verify = Some(arg.to_string());
        }
        _ if kw.starts_with("no-") || kw.starts_with("force-") => {
            if let Err(e) = tls_method_option(kw, &mut b.options.tls) {
                return fail(e);
            }
        }
        _ => return (err::ALERT_FATAL, None),
    }
    (0, None)
}

/// `tls-ticket-keys <file>`: at least 3 base64 keys, one per line.
fn tls_ticket_keys(st: &State, kw: &str, arg: &str, b: &mut Bind) -> OptResult {
    if arg.is_empty() {
        return fail(format!("'{kw}' : missing TLS ticket keys file path"));
    }
    if st.env.check_files {
        let Ok(text) = std::fs::read_to_string(arg) else {
            return fail(format!("'{arg}' : unable to load ssl tickets keys file"));
        };
        if text.lines().count() < 3 {
            return fail(format!(
                "'{arg}' : please supply at least 3 keys in the tls-tickets-file"
            ));
        }
    }
    b.options
        .other
        .push((kw.to_string(), vec![arg.to_string()]));
    (0, None)
}

#[cfg(test)]
mod tests {
    use super::{load_cert, ExtraFiles};
    use crate::config::{load_str, Diag, Level, ParseEnv};

    /// The first alert of a frontend binding `crt` after the global lines `global`.
    fn bind_alert(global: &str, crt: &str) -> Option<String> {
        let mut env = ParseEnv::offline();
        env.check_files = true;
        let text = format!("global\n{global}\nfrontend f\n bind :8443 ssl crt {crt}\n");
        load_str("t.cfg", &text, Diag::new(), env)
            .diag
            .messages
            .iter()
            .find(|m| m.level == Level::Alert)
            .map(|m| m.text.clone())
    }

    #[test]
    fn side_key_file_follows_extra_files_settings() {
        let dir = std::env::temp_dir().join(format!("fix1-ssl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.display().to_string();
        let (cert, key) = crate::tls::test_pems("t");
        std::fs::write(dir.join("common.crt"), &cert).unwrap();
        std::fs::write(dir.join("common.key"), &key).unwrap();
        std::fs::write(dir.join("noext"), &cert).unwrap();
        std::fs::write(dir.join("noext.key"), &key).unwrap();
        std::fs::write(dir.join("bun.rsa"), format!("{cert}{key}")).unwrap();
        let crt = format!("{d}/common.crt");
        let noext = format!("{d}/noext");
        let no_key_at = |l: u32, p: &str| {
            Some(format!(
                "parsing [t.cfg:{l}] : 'bind :8443' in section 'frontend' : No Private Key found in '{p}'."
            ))
        };
        // By default the key is looked for in `<crt>.key`, keeping the extension.
        let no_key = |p: &str| no_key_at(4, p);
        assert_eq!(bind_alert("", &crt), no_key(&format!("{crt}.key")));
        assert_eq!(bind_alert("", &noext), None);
        // `ssl-load-extra-del-ext` removes `.crt` first (reg-test ssl/set_ssl_cert_noext).
        assert_eq!(bind_alert(" ssl-load-extra-del-ext", &crt), None);
        assert_eq!(bind_alert(" ssl-load-extra-del-ext", &noext), None);
        // Without `key` in `ssl-load-extra-files`, no side file is read.
        let none = " ssl-load-extra-files none\n ssl-load-extra-del-ext";
        assert_eq!(bind_alert(none, &crt), no_key_at(5, &format!("{d}/common")));
        assert_eq!(
            bind_alert(" ssl-load-extra-files sctl", &noext),
            no_key(&noext)
        );
        // Bundles are only searched with `bundle`.
        let bun = format!("{d}/bun");
        assert_eq!(bind_alert("", &bun), None);
        let stat = format!(
            "unable to stat SSL certificate from file '{bun}' : No such file or directory."
        );
        let got = bind_alert(" ssl-load-extra-files key", &bun).unwrap();
        assert!(got.ends_with(&stat), "{got}");
        let no_bundle = ExtraFiles {
            bundle: false,
            ..ExtraFiles::default()
        };
        assert!(load_cert(&bun, no_bundle).is_err());
        assert_eq!(load_cert(&bun, ExtraFiles::default()), Ok(1));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
