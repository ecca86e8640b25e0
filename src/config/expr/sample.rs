//! `sample_parse_expr()` from HAProxy's `sample.c`: `fetch[(args)][,conv[(args)]]…`, with
//! the keyword validators (`val_args`) that matter at configuration time.

use super::args::{make_arg_list, read_int64};
use super::kw::{self, ArgCheck, FetchKw};
use crate::model::expr::{ArgValue, ConvExpr, SampleExpr, SmpType};

/// Facts the validators need from outside (pattern files for `map*` converters).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExprEnv<'a> {
    pub check_files: bool,
    /// The global section when Lua files are loaded: `lua.*` fetches and converters exist
    /// if a script registers them.
    pub lua: Option<&'a crate::model::Global>,
    /// The configuration read so far, for pattern files already loaded with another
    /// number of columns.
    pub model: Option<&'a crate::model::Config>,
}

impl<'a> ExprEnv<'a> {
    pub fn from_state(st: &'a crate::config::State) -> Self {
        ExprEnv {
            check_files: st.env.check_files,
            lua: crate::config::rules::actions::lua_global(st),
            model: Some(&st.model),
        }
    }

    /// Whether a Lua script registers `lua.<name>` as a `what` (`fetches`, `converters`).
    fn lua_has(&self, what: &str, kw: &str) -> bool {
        match (self.lua, kw.strip_prefix("lua.")) {
            (Some(g), Some(n)) => crate::config::rules::actions::lua_registers(g, what, n),
            _ => false,
        }
    }
}

/// Fetch used for `lua.*` keywords registered by Lua scripts (`core.register_fetches`):
/// string output, up to five optional string arguments, usable everywhere but the CLI.
static LUA_FETCH: FetchKw = FetchKw {
    name: "lua",
    args: &[
        kw::ArgType::Str,
        kw::ArgType::Str,
        kw::ArgType::Str,
        kw::ArgType::Str,
        kw::ArgType::Str,
    ],
    min_args: 0,
    out: SmpType::Str,
    val: 0x0f_ffff,
    use_: 1 << 1,
    check: ArgCheck::None,
};

static LUA_CONV: kw::ConvKw = kw::ConvKw {
    name: "lua",
    args: &[
        kw::ArgType::Str,
        kw::ArgType::Str,
        kw::ArgType::Str,
        kw::ArgType::Str,
        kw::ArgType::Str,
    ],
    min_args: 0,
    input: SmpType::Str,
    out: SmpType::Str,
    check: ArgCheck::None,
};

/// A parsed expression and where it stopped: the word index and byte offset in that word
/// (the `endptr` of HAProxy, used by log-format strings).
#[derive(Debug, Clone)]
pub struct Parsed {
    pub expr: SampleExpr,
    pub fetch: &'static FetchKw,
    /// Index of the first word not consumed (HAProxy's updated `*idx`).
    pub next: usize,
    /// Byte offset where parsing stopped in the word being read (`endptr` mode).
    pub end: usize,
}

fn idchar_len(s: &str) -> usize {
    s.bytes().take_while(|&c| kw::is_idchar(c)).count()
}

/// Parses a sample expression starting at `words[idx]`. With `endptr`, parsing stops at the
/// first character that cannot continue the expression instead of failing on it, and
/// following words are not consumed as converters unless the word ended on a comma.
pub fn parse_expr(
    words: &[&str],
    idx: usize,
    endptr: bool,
    env: ExprEnv<'_>,
) -> Result<Parsed, String> {
    let mut idx = idx;
    let first = words.get(idx).copied().unwrap_or("");
    let n = idchar_len(first);
    if n == 0 {
        return Err("missing fetch method".into());
    }
    let fkw = &first[..n];
    let fetch = kw::find_fetch(fkw)
        .or_else(|| env.lua_has("fetches", fkw).then_some(&LUA_FETCH))
        .ok_or_else(|| format!("unknown fetch method '{fkw}'"))?;
    let mut prev = fetch.out;
    let args = make_arg_list(&first[n..], fetch.args, fetch.min_args as usize)
        .map_err(|e| format!("fetch method '{fkw}' : {}", e.msg))?;
    let mut fargs = args.values;
    check_fetch_args(fetch.check, &mut fargs)
        .map_err(|e| format!("invalid args in fetch method '{fkw}' : {e}"))?;
    let mut word = first;
    let mut pos = n + args.end;
    let mut convs = Vec::new();
    let mut ckw: Option<String> = None;
    loop {
        let rest = &word.as_bytes()[pos..];
        if !rest.is_empty() && rest[0] != b',' {
            if endptr {
                break;
            }
            return Err(match &ckw {
                Some(c) => format!("missing comma after converter '{c}'"),
                None => format!("missing comma after fetch keyword '{fkw}'"),
            });
        }
        while pos < word.len() && word.as_bytes()[pos] == b',' {
            pos += 1;
        }
        let mut at_word_start = false;
        if pos >= word.len() {
            idx += 1;
            match words.get(idx) {
                Some(w) if !w.is_empty() => {
                    word = w;
                    pos = 0;
                    at_word_start = true;
                }
                _ => {
                    pos = word.len();
                    break;
                }
            }
        }
        let cw = &word[pos..];
        let cn = idchar_len(cw);
        let cname = &cw[..cn];
        ckw = Some(cname.to_string());
        let conv =
            kw::find_conv(cname).or_else(|| env.lua_has("converters", cname).then_some(&LUA_CONV));
        let Some(conv) = conv else {
            if at_word_start {
                // An isolated unknown word is not ours: the caller's next keyword.
                pos = 0;
                break;
            }
            return Err(format!("unknown converter '{cname}'"));
        };
        if !prev.casts_to(conv.input) {
            return Err(format!("converter '{cname}' cannot be applied"));
        }
        prev = conv.out;
        let a = make_arg_list(&cw[cn..], conv.args, conv.min_args as usize).map_err(|e| {
            format!(
                "invalid arg {} in converter '{cname}' : {}",
                e.pos + 1,
                e.msg
            )
        })?;
        let mut cargs = a.values;
        check_conv_args(conv.check, cname, &mut cargs, env)
            .map_err(|e| format!("invalid args in converter '{cname}' : {e}"))?;
        convs.push(ConvExpr {
            name: cname.to_string(),
            args: cargs,
        });
        pos += cn + a.end;
    }
    Ok(Parsed {
        expr: SampleExpr {
            fetch: fkw.to_string(),
            args: fargs,
            convs,
            out: prev,
        },
        fetch,
        next: idx,
        end: pos,
    })
}

fn str_arg(args: &[ArgValue], i: usize) -> Option<&str> {
    match args.get(i) {
        Some(ArgValue::Str(s)) => Some(s),
        _ => None,
    }
}

/// `vars_hash_name()`: a variable name must carry a scope and use `[A-Za-z0-9_.]`.
pub fn check_var_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Empty variable name cannot be accepted".into());
    }
    let scopes = ["proc.", "sess.", "txn.", "req.", "res.", "check."];
    let Some(rest) = scopes
        .iter()
        .find(|s| name.len() > s.len() && name.starts_with(*s))
        .map(|s| &name[s.len()..])
    else {
        return Err(format!(
            "invalid variable name '{name}'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'"
        ));
    };
    if let Some(p) = rest
        .bytes()
        .position(|c| !c.is_ascii_alphanumeric() && c != b'_' && c != b'.')
    {
        return Err(format!("invalid syntax at char '{}'", &rest[p..]));
    }
    Ok(())
}

/// `vars_parse_cond_param()`: `ifexists`, `ifnotexists`, `ifempty`… conditions.
pub fn check_var_cond(c: &str) -> Result<(), String> {
    const CONDS: [&str; 8] = [
        "ifexists",
        "ifnotexists",
        "ifempty",
        "ifnotempty",
        "ifset",
        "ifnotset",
        "ifgt",
        "iflt",
    ];
    if CONDS.contains(&c) {
        Ok(())
    } else {
        Err(format!("unknown condition \"{c}\""))
    }
}

fn to_var(args: &mut [ArgValue], i: usize) -> Result<(), String> {
    if let Some(ArgValue::Str(s)) = args.get(i) {
        check_var_name(s)?;
        let s = s.clone();
        args[i] = ArgValue::Var(s);
        Ok(())
    } else {
        Err("unexpected argument type".into())
    }
}

fn check_fetch_args(check: ArgCheck, args: &mut [ArgValue]) -> Result<(), String> {
    match check {
        ArgCheck::ValHdr => {
            if let Some(ArgValue::Sint(v)) = args.get(1) {
                if *v < -10 {
                    return Err("header occurrence must be >= -10".into());
                }
            }
            Ok(())
        }
        ArgCheck::SmpCheckVar => to_var(args, 0),
        ArgCheck::SmpCheckConstBool => {
            let s = str_arg(args, 0).unwrap_or("").to_ascii_lowercase();
            match s.as_str() {
                "true" | "1" => args[0] = ArgValue::Sint(1),
                "false" | "0" => args[0] = ArgValue::Sint(0),
                _ => return Err("Expects 'true', 'false', '0' or '1'".into()),
            }
            Ok(())
        }
        ArgCheck::SmpCheckConstMeth => {
            let s = str_arg(args, 0).unwrap_or("");
            if s.bytes().all(is_token_char) {
                Ok(())
            } else {
                Err("expects valid method.".into())
            }
        }
        ArgCheck::ValDistcc => {
            if str_arg(args, 0).map(|s| s.len()) != Some(4) {
                return Err("token name must be exactly 4 characters".into());
            }
            Ok(())
        }
        ArgCheck::ValBlkArg => match str_arg(args, 0) {
            None | Some("") => Err(
                "a block position is expected (> 0) or a special block name (head, tail, first)"
                    .into(),
            ),
            Some("head" | "tail" | "first") => Ok(()),
            Some(p) if p.bytes().all(|c| c.is_ascii_digit()) => Ok(()),
            Some(_) => Err("invalid block position".into()),
        },
        ArgCheck::ValPayloadLv => {
            if matches!(args.first(), Some(ArgValue::Sint(v)) if *v < 0) {
                return Err("payload offset1 must be positive".into());
            }
            if matches!(args.get(1), Some(ArgValue::Sint(0)) | None) {
                return Err("payload length must be > 0".into());
            }
            if let Some(o2) = str_arg(args, 2).filter(|s| !s.is_empty()) {
                let (v, n) = read_int64(o2.as_bytes());
                if n != o2.len() {
                    return Err("payload offset2 is not a number".into());
                }
                let (a, b) = match (args.first(), args.get(1)) {
                    (Some(ArgValue::Sint(a)), Some(ArgValue::Sint(b))) => (*a, *b),
                    _ => (0, 0),
                };
                if a.saturating_add(b).saturating_add(v) < 0 {
                    return Err("payload offset2 too negative".into());
                }
            }
            Ok(())
        }
        ArgCheck::SmpCheckDateUnit => match str_arg(args, 1) {
            None | Some("s" | "ms" | "us") => Ok(()),
            Some(u) => Err(format!("expects 's', 'ms' or 'us', got '{u}'")),
        },
        ArgCheck::SmpCheckUuid => match args.first() {
            None | Some(ArgValue::Sint(4)) => Ok(()),
            Some(ArgValue::Sint(v)) => Err(format!("Unsupported UUID version: '{v}'")),
            _ => Ok(()),
        },
        ArgCheck::ValFcTimeValue => match str_arg(args, 0) {
            None | Some("us" | "ms") => Ok(()),
            Some(u) => Err(format!("expects 'us' or 'ms', got '{u}'")),
        },
        ArgCheck::ValDnfmt => match str_arg(args, 2) {
            Some(f) if !f.is_empty() && f != "rfc2253" => Err(
                "only rfc2253 or a blank value are currently supported as the format argument."
                    .into(),
            ),
            _ => Ok(()),
        },
        ArgCheck::SmpCheckConstBin => {
            let s = str_arg(args, 0).unwrap_or("").to_string();
            // Checked here, decoded by the runtime (the bytes need not be UTF-8).
            parse_binary(&s)?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// RFC 7230 `tchar`.
pub fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// `parse_binary()`: an even number of hexadecimal digits. An empty string fails without
/// a message in HAProxy, which then prints "(null)".
pub fn parse_binary(s: &str) -> Result<Vec<u8>, String> {
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return Err("an even number of hex digit is expected".into());
    }
    if b.is_empty() {
        return Err("(null)".into());
    }
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks(2) {
        for &c in pair {
            if hex(c).is_none() {
                return Err(format!("an hex digit is expected (found '{}')", c as char));
            }
        }
        out.push((hex(pair[0]).unwrap_or(0) * 16 + hex(pair[1]).unwrap_or(0)) as u8);
    }
    Ok(out)
}

/// `sample_check_arg_base64()`: empty, a variable name, or base64 text.
fn check_base64_arg(a: &str) -> Result<(), String> {
    let msg = "argument needs to be base64 encoded, and can either be a string or a variable";
    if a.is_empty() || check_var_name(a).is_ok() {
        return Ok(());
    }
    let body = a.trim_end_matches('=');
    let valid = a.len() % 4 == 0
        && a.len() - body.len() <= 2
        && body
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/');
    if valid {
        Ok(())
    } else {
        Err(msg.into())
    }
}

fn check_conv_args(
    check: ArgCheck,
    conv_name: &str,
    args: &mut [ArgValue],
    env: ExprEnv<'_>,
) -> Result<(), String> {
    match check {
        ArgCheck::ConvCheckVar => {
            to_var(args, 0)?;
            for a in args.iter().skip(1) {
                if let ArgValue::Str(c) = a {
                    check_var_cond(c)?;
                }
            }
            Ok(())
        }
        ArgCheck::CheckOperator => {
            let s = str_arg(args, 0).unwrap_or("").to_string();
            if check_var_name(&s).is_ok() {
                args[0] = ArgValue::Var(s);
                return Ok(());
            }
            let (v, n) = read_int64(s.as_bytes());
            if n != s.len() {
                return Err("expects an integer or a variable name".into());
            }
            args[0] = ArgValue::Sint(v);
            Ok(())
        }
        ArgCheck::SmpCheckConcat | ArgCheck::SmpCheckAddItem => {
            if let Some(s) = str_arg(args, 1) {
                if !s.is_empty() {
                    if check_var_name(s).is_err() {
                        return Err(format!("failed to register variable name '{s}'"));
                    }
                    let s = s.to_string();
                    args[1] = ArgValue::Var(s);
                }
            }
            Ok(())
        }
        ArgCheck::SmpCheckStrcmp | ArgCheck::SmpCheckSecureMemcmp => {
            let s = str_arg(args, 0).unwrap_or("").to_string();
            if s.is_empty() {
                return Err("missing variable name".into());
            }
            if check_var_name(&s).is_err() {
                return Err(format!("failed to register variable name '{s}'"));
            }
            args[0] = ArgValue::Var(s);
            Ok(())
        }
        ArgCheck::SampleConvFieldCheck => {
            if !matches!(args.first(), Some(ArgValue::Sint(_))) {
                return Err("Unexpected arg type".into());
            }
            if args.first() == Some(&ArgValue::Sint(0)) {
                return Err("Unexpected value 0 for index".into());
            }
            match args.get(1) {
                Some(ArgValue::Str(s)) if s.is_empty() => Err("Empty separators list".into()),
                Some(ArgValue::Str(_)) => Ok(()),
                _ => Err("Unexpected arg type".into()),
            }
        }
        ArgCheck::SampleConvRegsubCheck => {
            if let Some(f) = str_arg(args, 2) {
                if let Some(c) = f.chars().find(|c| *c != 'i' && *c != 'g') {
                    return Err(format!(
                        "invalid regex flag '{c}', only 'i' and 'g' are supported"
                    ));
                }
            }
            Ok(())
        }
        ArgCheck::SampleConvJsonCheck => match str_arg(args, 0).unwrap_or("") {
            "" | "ascii" | "utf8" | "utf8s" | "utf8p" | "utf8ps" => Ok(()),
            _ => Err("Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and 'utf8ps'".into()),
        },
        ArgCheck::SampleConvBe2decCheck => {
            let cs = match args.get(1) {
                Some(ArgValue::Sint(v)) => *v,
                _ => 0,
            };
            if cs <= 0 || cs > 8 {
                return Err(format!("chunk_size out of [1..8] range ({cs})"));
            }
            match args.get(2) {
                Some(ArgValue::Sint(t)) if *t != 0 && *t != 1 => {
                    Err(format!("Unsupported truncate value ({t})"))
                }
                _ => Ok(()),
            }
        }
        ArgCheck::SampleConvBe2hexCheck => {
            let sep_len = str_arg(args, 0).map(|s| s.len()).unwrap_or(0);
            let cs = match args.get(1) {
                Some(ArgValue::Sint(v)) => *v,
                _ => 0,
            };
            let tr = match args.get(2) {
                Some(ArgValue::Sint(v)) => *v,
                _ => 0,
            };
            if cs <= 0 && (sep_len > 0 || tr != 0) {
                return Err(format!("chunk_size needs to be positive ({cs})"));
            }
            if tr != 0 && tr != 1 {
                return Err(format!("Unsupported truncate value ({tr})"));
            }
            Ok(())
        }
        ArgCheck::CheckAesGcm => {
            if !matches!(args.first(), Some(ArgValue::Sint(128 | 192 | 256))) {
                return Err("key size must be 128, 192 or 256 (bits).".into());
            }
            for (i, what) in [(1, "nonce"), (2, "key"), (3, "aead_tag")] {
                check_base64_arg(str_arg(args, i).unwrap_or(""))
                    .map_err(|e| format!("failed to parse {what} : {e}"))?;
            }
            Ok(())
        }
        ArgCheck::SampleConvMqttFieldValueCheck => {
            const TYPES: [&str; 15] = [
                "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
                "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP",
                "DISCONNECT", "AUTH",
            ];
            let t = str_arg(args, 0).unwrap_or("");
            let n: u32 = t.parse().unwrap_or(0);
            if (1..=15).contains(&n) || TYPES.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                Ok(())
            } else {
                Err(format!("Unknown MQTT type '{t}'"))
            }
        }
        ArgCheck::SmpCheckDebug => {
            let sink = str_arg(args, 1).unwrap_or("buf0");
            let known = matches!(sink, "buf0" | "stdout" | "stderr")
                || env
                    .model
                    .is_some_and(|m| m.rings.iter().any(|r| r.name == sink));
            if known || env.model.is_none() {
                Ok(())
            } else {
                Err(format!("No such sink '{sink}'"))
            }
        }
        ArgCheck::CheckCryptoDigest | ArgCheck::CheckCryptoHmac => {
            let d = str_arg(args, 0).unwrap_or("").to_ascii_lowercase();
            const DIGESTS: [&str; 22] = [
                "md4", "md5", "md5-sha1", "sha1", "sha224", "sha256", "sha384", "sha512",
                "sha512-224", "sha512-256", "sha3-224", "sha3-256", "sha3-384", "sha3-512",
                "shake128", "shake256", "blake2b512", "blake2s256", "sm3", "ripemd160",
                "ripemd", "whirlpool",
            ];
            let base = d.strip_prefix("rsa-").unwrap_or(&d);
            if !DIGESTS.contains(&base) && !DIGESTS.contains(&base.replace('_', "-").as_str()) {
                return Err("algorithm must be a valid OpenSSL message digest name.".into());
            }
            if check == ArgCheck::CheckCryptoHmac {
                check_base64_arg(str_arg(args, 1).unwrap_or(""))
                    .map_err(|e| format!("failed to parse key : {e}"))?;
            }
            Ok(())
        }
        ArgCheck::SampleCheckJsonQuery | ArgCheck::SampleConvJwtQueryCheck => {
            if check == ArgCheck::SampleCheckJsonQuery && str_arg(args, 0) == Some("") {
                return Err("json_path must not be empty".into());
            }
            match str_arg(args, 1) {
                Some(t) if !t.is_empty() && t != "int" => {
                    Err("output_type only supports \"int\" as argument".into())
                }
                _ => Ok(()),
            }
        }
        ArgCheck::SmpCheckDateUnit | ArgCheck::SmpCheckHttpDateUnit => match str_arg(args, 1) {
            None | Some("s" | "ms" | "us") => Ok(()),
            Some(u) => Err(format!("expects 's', 'ms' or 'us', got '{u}'")),
        },
        ArgCheck::SmpCheckSha2 => match args.first() {
            None | Some(ArgValue::Sint(224 | 256 | 384 | 512)) => Ok(()),
            Some(ArgValue::Sint(b)) => Err(format!("Unsupported number of bits: '{b}'")),
            _ => Ok(()),
        },
        ArgCheck::SmpCheckUuid => match args.first() {
            None | Some(ArgValue::Sint(4)) => Ok(()),
            Some(ArgValue::Sint(v)) => Err(format!("Unsupported UUID version: '{v}'")),
            _ => Ok(()),
        },
        ArgCheck::SampleConvUrlEncCheck => match str_arg(args, 0).unwrap_or("") {
            "" | "query" => Ok(()),
            _ => Err("Unexpected encode type. Allowed value is 'query'".into()),
        },
        ArgCheck::SampleConvFixValueCheck => {
            // `fix_tagid()`: a non-zero number or one of the named header tags.
            let t = str_arg(args, 0).unwrap_or("");
            const NAMES: [&str; 6] = [
                "MsgType",
                "CheckSum",
                "BodyLength",
                "TargetCompID",
                "BeginString",
                "SenderCompID",
            ];
            let numeric = !t.is_empty()
                && t.bytes().all(|c| c.is_ascii_digit())
                && !t.trim_start_matches('0').is_empty();
            if numeric || NAMES.iter().any(|n| n.eq_ignore_ascii_case(t)) {
                Ok(())
            } else {
                Err(format!("Unknown FIX tag name '{t}'"))
            }
        }
        ArgCheck::SampleConvProtobufCheck => match str_arg(args, 1) {
            None => Ok(()),
            Some(
                "int32" | "uint32" | "sint32" | "int64" | "uint64" | "sint64" | "bool" | "enum"
                | "fixed32" | "sfixed32" | "float" | "fixed64" | "sfixed64" | "double",
            ) => Ok(()),
            Some(t) => Err(format!("Wrong protocol buffer type '{t}'")),
        },
        ArgCheck::SampleConvJwtVerifyCheck => {
            // A variable name is resolved at run time; a literal must be a known algorithm.
            let alg = str_arg(args, 0).unwrap_or("");
            if check_var_name(alg).is_ok() {
                return Ok(());
            }
            const ALGS: [&str; 10] = [
                "none", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384",
                "ES512",
            ];
            if ["PS256", "PS384", "PS512"].contains(&alg) {
                return Err("RSASSA-PSS JWS signing not managed yet".into());
            }
            if ALGS.contains(&alg) {
                Ok(())
            } else {
                Err(format!("unknown JWT algorithm: {alg}"))
            }
        }
        ArgCheck::SampleLoadMap => {
            let f = str_arg(args, 0).unwrap_or("").to_string();
            if env.check_files {
                let m = super::acl::map_key_method(conv_name);
                let aenv = super::acl::AclEnv {
                    check_files: true,
                    resolve: false,
                    lua: env.lua,
                    model: env.model,
                };
                super::acl::check_pattern_file(&f, true, m, aenv, true)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `SmpType` of a fetch by name (for callers that only need the output type).
pub fn fetch_out(name: &str) -> Option<SmpType> {
    kw::find_fetch(name).map(|f| f.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Parsed, String> {
        let w: Vec<&str> = s.split(' ').collect();
        parse_expr(&w, 0, false, ExprEnv::default())
    }

    #[test]
    fn fetches_and_converters() {
        let e = p("req.hdr(host),lower,map_str(/x)").unwrap().expr;
        assert_eq!(e.fetch, "req.hdr");
        assert_eq!(e.convs.len(), 2);
        assert_eq!(e.out, SmpType::Str);
        assert_eq!(p("nope").unwrap_err(), "unknown fetch method 'nope'");
        assert_eq!(p("src,blah").unwrap_err(), "unknown converter 'blah'");
        assert_eq!(
            p("hdr(arg))").unwrap_err(),
            "missing comma after fetch keyword 'hdr'"
        );
        assert_eq!(
            p("wait_end,ipmask(2)").unwrap_err(),
            "converter 'ipmask' cannot be applied"
        );
        assert_eq!(
            p("hdr(arg),ipmask(a)").unwrap_err(),
            "invalid arg 1 in converter 'ipmask' : failed to parse 'a' as type 'IPv4 mask' at position 1"
        );
        assert_eq!(
            p("hdr(arg),ipmask").unwrap_err(),
            "invalid arg 1 in converter 'ipmask' : expected type 'IPv4 mask' at position 1, but got nothing"
        );
        assert_eq!(
            p("var(foo)").unwrap_err(),
            "invalid args in fetch method 'var' : invalid variable name 'foo'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'"
        );
        assert!(p("var(txn.foo)").is_ok());
        assert!(p("src lower").is_ok());
        assert_eq!(p("src if").unwrap().next, 1);
        assert_eq!(p("src lower if").unwrap().next, 2);
        assert_eq!(p("src").unwrap().next, 1);
    }

    #[test]
    fn endptr_mode() {
        let r = parse_expr(&["hdr(arg))x"], 0, true, ExprEnv::default()).unwrap();
        assert_eq!(r.end, 8);
        let r = parse_expr(&["src,lower]rest"], 0, true, ExprEnv::default()).unwrap();
        assert_eq!(&"src,lower]rest"[r.end..], "]rest");
    }

    #[test]
    fn operators_and_binaries() {
        assert!(p("int(1),add(txn.x)").is_ok());
        assert!(p("int(1),add(3)").is_ok());
        assert_eq!(
            p("int(1),add(x)").unwrap_err(),
            "invalid args in converter 'add' : expects an integer or a variable name"
        );
        assert_eq!(parse_binary("0a1B").unwrap(), vec![10, 27]);
        assert!(parse_binary("abc").is_err());
    }
}
