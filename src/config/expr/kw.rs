//! Keyword table types and lookups for fetches, converters and ACL aliases, plus HAProxy's
//! "usable in" bit sets (`SMP_VAL_*`) and sample sources (`SMP_USE_*`).

pub use crate::model::expr::SmpType;

/// Argument types (`ARGT_*`), named in messages by [`ArgType::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    Sint,
    Str,
    Ipv4,
    Msk4,
    Ipv6,
    Msk6,
    Time,
    Size,
    Fe,
    Be,
    Tab,
    Srv,
    Usr,
    Map,
    Reg,
    Var,
    PbufFnum,
}

impl ArgType {
    /// HAProxy's `arg_type_names[]`.
    pub fn name(self) -> &'static str {
        match self {
            ArgType::Sint => "integer",
            ArgType::Str => "string",
            ArgType::Ipv4 => "IPv4 address",
            ArgType::Msk4 => "IPv4 mask",
            ArgType::Ipv6 => "IPv6 address",
            ArgType::Msk6 => "IPv6 mask",
            ArgType::Time => "delay",
            ArgType::Size => "size",
            ArgType::Fe => "frontend",
            ArgType::Be => "backend",
            ArgType::Tab => "table",
            ArgType::Srv => "server",
            ArgType::Usr => "user list",
            ArgType::Map => "map",
            ArgType::Reg => "regex",
            ArgType::Var => "variable",
            ArgType::PbufFnum => "Protocol buffers field number",
        }
    }
}

/// The `val_args` validator a keyword declares in HAProxy (named after the C function).
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgCheck {
    None,
    CheckAesGcm,
    CheckCryptoDigest,
    CheckCryptoHmac,
    CheckOperator,
    ConvCheckVar,
    SampleCheckJsonQuery,
    SampleConvBe2decCheck,
    SampleConvBe2hexCheck,
    SampleConvFieldCheck,
    SampleConvFixValueCheck,
    SampleConvJsonCheck,
    SampleConvJwtQueryCheck,
    SampleConvJwtVerifyCheck,
    SampleConvMqttFieldValueCheck,
    SampleConvProtobufCheck,
    SampleConvRegsubCheck,
    SampleConvUrlEncCheck,
    SampleLoadMap,
    SmpCheckAddItem,
    SmpCheckConcat,
    SmpCheckConstBin,
    SmpCheckConstBool,
    SmpCheckConstMeth,
    SmpCheckDateUnit,
    SmpCheckDebug,
    SmpCheckHttpDateUnit,
    SmpCheckSecureMemcmp,
    SmpCheckSha2,
    SmpCheckStrcmp,
    SmpCheckUuid,
    SmpCheckVar,
    ValBlkArg,
    ValDistcc,
    ValDnfmt,
    ValFcTimeValue,
    ValHdr,
    ValPayloadLv,
    VarFcCounter,
}

/// A sample fetch keyword.
#[derive(Debug)]
pub struct FetchKw {
    pub name: &'static str,
    pub args: &'static [ArgType],
    pub min_args: u8,
    pub out: SmpType,
    /// Where it may be used: `1 << SMP_CKP_*` bits (the `-dK smp` columns).
    pub val: u32,
    /// Which sources it reads: `1 << SMP_SRC_*` bits.
    pub use_: u32,
    pub check: ArgCheck,
}

/// A converter keyword.
#[derive(Debug)]
pub struct ConvKw {
    pub name: &'static str,
    pub args: &'static [ArgType],
    pub min_args: u8,
    pub input: SmpType,
    pub out: SmpType,
    pub check: ArgCheck,
}

/// An ACL keyword: an alias for a fetch with a default match method.
#[derive(Debug)]
pub struct AclKw {
    pub name: &'static str,
    pub fetch: &'static str,
    pub method: &'static str,
}

/// Check points (`SMP_CKP_*` bit values, i.e. `SMP_VAL_*`).
pub mod val {
    pub const FE_CON_ACC: u32 = 1 << 0;
    pub const FE_SES_ACC: u32 = 1 << 1;
    pub const FE_REQ_CNT: u32 = 1 << 2;
    pub const FE_HRQ_HDR: u32 = 1 << 3;
    pub const FE_HRQ_BDY: u32 = 1 << 4;
    pub const FE_SET_BCK: u32 = 1 << 5;
    pub const BE_REQ_CNT: u32 = 1 << 6;
    pub const BE_HRQ_HDR: u32 = 1 << 7;
    pub const BE_HRQ_BDY: u32 = 1 << 8;
    pub const BE_SET_SRV: u32 = 1 << 9;
    pub const BE_SRV_CON: u32 = 1 << 10;
    pub const BE_RES_CNT: u32 = 1 << 11;
    pub const BE_HRS_HDR: u32 = 1 << 12;
    pub const BE_HRS_BDY: u32 = 1 << 13;
    pub const BE_STO_RUL: u32 = 1 << 14;
    pub const FE_RES_CNT: u32 = 1 << 15;
    pub const FE_HRS_HDR: u32 = 1 << 16;
    pub const FE_HRS_BDY: u32 = 1 << 17;
    pub const FE_LOG_END: u32 = 1 << 18;
    pub const BE_CHK_RUL: u32 = 1 << 19;
    pub const CFG_PARSER: u32 = 1 << 20;
    pub const CLI_PARSER: u32 = 1 << 21;
    /// `SMP_VAL_REQUEST`: every request-side check point.
    pub const REQUEST: u32 = FE_CON_ACC
        | FE_SES_ACC
        | FE_REQ_CNT
        | FE_HRQ_HDR
        | FE_HRQ_BDY
        | FE_SET_BCK
        | BE_REQ_CNT
        | BE_HRQ_HDR
        | BE_HRQ_BDY
        | BE_SET_SRV
        | BE_CHK_RUL;
    /// `SMP_VAL_RESPONSE`.
    pub const RESPONSE: u32 = BE_SRV_CON
        | BE_RES_CNT
        | BE_HRS_HDR
        | BE_HRS_BDY
        | BE_STO_RUL
        | FE_RES_CNT
        | FE_HRS_HDR
        | FE_HRS_BDY
        | BE_CHK_RUL;
}

/// `fetch_ckp_names[]`: the check point named in "incompatible with" warnings.
pub const CKP_NAMES: [&str; 22] = [
    "frontend tcp-request connection rule",
    "frontend tcp-request session rule",
    "frontend tcp-request content rule",
    "frontend http-request header rule",
    "frontend http-request body rule",
    "frontend use-backend rule",
    "backend tcp-request content rule",
    "backend http-request header rule",
    "backend http-request body rule",
    "backend use-server, balance or stick-match rule",
    "server source selection",
    "backend tcp-response content rule",
    "backend http-response header rule",
    "backend http-response body rule",
    "backend stick-store rule",
    "frontend tcp-response content rule",
    "frontend http-response header rule",
    "frontend http-response body rule",
    "logs",
    "backend tcp-check rule",
    "configuration parser",
    "CLI parser",
];

/// `fetch_src_names[]`, indexed by `SMP_SRC_*`.
const SRC_NAMES: [&str; 23] = [
    "",
    "internal state",
    "listener",
    "frontend",
    "client address",
    "client-side connection",
    "track counters",
    "request buffer",
    "HTTP request headers",
    "HTTP request",
    "HTTP request body",
    "backend",
    "server",
    "server address",
    "server-side connection",
    "response buffer",
    "HTTP response headers",
    "HTTP response",
    "HTTP response body",
    "request buffer statistics",
    "response buffer statistics",
    "transaction statistics",
    "session statistics",
];

/// `SMP_USE_*` bits of the HTTP sources (`SMP_USE_HTTP_ANY`).
pub const USE_HTTP_ANY: u32 = (1 << 8) | (1 << 9) | (1 << 10) | (1 << 16) | (1 << 17) | (1 << 18);
/// `SMP_USE_L6REQ | SMP_USE_L6RES`.
pub const USE_L6: u32 = (1 << 7) | (1 << 15);

/// `sample_src_names()`: comma-separated source names of a `use` bit set.
pub fn src_names(use_: u32) -> String {
    let mut out = String::new();
    for (bit, name) in SRC_NAMES.iter().enumerate() {
        if use_ & (1 << bit) != 0 {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(name);
        }
    }
    out
}

/// `sample_ckp_names()`: the name of the lowest check point set.
pub fn ckp_name(where_: u32) -> &'static str {
    (0..22)
        .find(|b| where_ & (1 << b) != 0)
        .map(|b| CKP_NAMES[b])
        .unwrap_or("unknown sample check place, please report this bug")
}

pub fn find_fetch(name: &str) -> Option<&'static FetchKw> {
    super::tables::FETCHES.iter().find(|f| f.name == name)
}

pub fn find_conv(name: &str) -> Option<&'static ConvKw> {
    super::tables::CONVERTERS.iter().find(|c| c.name == name)
}

pub fn find_acl_kw(name: &str) -> Option<&'static AclKw> {
    super::tables::ACL_KWS.iter().find(|a| a.name == name)
}

/// `is_idchar()`: characters of fetch and converter names.
pub fn is_idchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'+' | b':')
}

/// `(a,b[,c])` as HAProxy's keyword dumps print argument signatures.
fn dump_args(out: &mut String, args: &[ArgType], min: u8) {
    if args.is_empty() {
        return;
    }
    out.push('(');
    for (i, a) in args.iter().enumerate() {
        if i == min as usize {
            out.push('[');
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(a.name());
    }
    if args.len() > min as usize {
        out.push(']');
    }
    out.push(')');
}

/// `haproxy -dKsmp`: every fetch with the check points it may be used at.
pub fn dump_smp() -> String {
    let mut out = String::from("# List of registered sample fetch functions:\n");
    let n = CKP_NAMES.len();
    #[allow(clippy::needless_range_loop)] // the index drives the drawing, as in HAProxy
    for bit in 0..=n + 1 {
        out.push('#');
        for _ in 0..(n + 1).saturating_sub(bit) {
            out.push(' ');
        }
        for _ in 0..bit.min(n) {
            out.push_str(if bit <= n { "/ " } else { " |" });
        }
        if bit < n {
            for index in bit..n + 2 {
                out.push(if index == bit {
                    '_'
                } else if index == bit + 1 {
                    '.'
                } else {
                    '-'
                });
            }
        }
        out.push(' ');
        if bit < n {
            out.push_str(CKP_NAMES[bit]);
        }
        out.push('\n');
    }
    for f in super::tables::FETCHES {
        out.push_str("[ ");
        for bit in 0..n {
            out.push_str(if f.val & (1 << bit) != 0 { "Y " } else { ". " });
        }
        out.push_str("] ");
        out.push_str(f.name);
        dump_args(&mut out, f.args, f.min_args);
        out.push_str(": ");
        out.push_str(f.out.name());
        out.push('\n');
    }
    out
}

/// `haproxy -dKcnv`.
pub fn dump_cnv() -> String {
    let mut out = String::from("# List of registered sample converter functions:\n");
    for c in super::tables::CONVERTERS {
        out.push_str(c.name);
        dump_args(&mut out, c.args, c.min_args);
        // HAProxy prints the output type first (sic).
        out.push_str(&format!(": {} => {}\n", c.out.name(), c.input.name()));
    }
    out
}

/// `haproxy -dKacl`.
pub fn dump_acl() -> String {
    let mut out = String::from("# List of registered ACL keywords:\n");
    for a in super::tables::ACL_KWS {
        out.push_str(&format!("{} = {} -m {}\n", a.name, a.fetch, a.method));
    }
    out
}

#[cfg(test)]
mod tests {
    /// The dumps reproduce HAProxy's own output (the committed reference dumps).
    #[test]
    fn dumps_match_reference() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/compat/keywords/reference");
        for (f, text) in [
            ("smp.txt", super::dump_smp()),
            ("cnv.txt", super::dump_cnv()),
            ("acl.txt", super::dump_acl()),
        ] {
            let r = std::fs::read_to_string(format!("{dir}/{f}")).expect("reference dump");
            let (a, b): (Vec<&str>, Vec<&str>) = (r.lines().collect(), text.lines().collect());
            for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
                assert_eq!(x, y, "{f}:{}", i + 1);
            }
            assert_eq!(a.len(), b.len(), "{f}");
        }
    }

    use super::*;

    #[test]
    fn tables_have_known_entries() {
        let src = find_fetch("src").unwrap();
        assert_eq!(src.out, SmpType::Ipv4);
        assert!(src.val & val::FE_CON_ACC != 0);
        let hdr = find_fetch("req.hdr").unwrap();
        assert_eq!(hdr.args, &[ArgType::Str, ArgType::Sint]);
        assert_eq!(hdr.min_args, 0);
        assert_eq!(find_conv("ipmask").unwrap().min_args, 1);
        assert_eq!(find_acl_kw("path_beg").unwrap().fetch, "path");
        assert_eq!(
            src_names(find_fetch("res.hdr").unwrap().use_),
            "HTTP response headers"
        );
        assert!(find_fetch("nope").is_none());
    }
}
