//! `stick-table` (HAProxy's `parse_stick_table()`) and `stick on|match|store-*` rules.

use super::super::expr::cond::parse_cond_info;
use super::super::expr::kw::{self, val};
use super::super::expr::sample::{parse_expr, ExprEnv};
use super::super::values::{atoi, atol, parse_size, parse_time, TimeError, TimeUnit};
use super::super::{err, Line, State};
use super::cond_warnings;
use crate::model::rules::{StickKind, StickRule, StickTable};

/// Stored data types: (name, takes a period, is an array).
const DATA_TYPES: &[(&str, bool, bool)] = &[
    ("server_id", false, false),
    ("gpt0", false, false),
    ("gpc0", false, false),
    ("gpc0_rate", true, false),
    ("conn_cnt", false, false),
    ("conn_rate", true, false),
    ("conn_cur", false, false),
    ("sess_cnt", false, false),
    ("sess_rate", true, false),
    ("http_req_cnt", false, false),
    ("http_req_rate", true, false),
    ("http_err_cnt", false, false),
    ("http_err_rate", true, false),
    ("bytes_in_cnt", false, false),
    ("bytes_in_rate", true, false),
    ("bytes_out_cnt", false, false),
    ("bytes_out_rate", true, false),
    ("gpc1", false, false),
    ("gpc1_rate", true, false),
    ("server_key", false, false),
    ("http_fail_cnt", false, false),
    ("http_fail_rate", true, false),
    ("gpt", false, true),
    ("gpc", false, true),
    ("gpc_rate", true, true),
];

/// Parses one `store` option list (`gpc0,http_req_rate(10s)`), adding to `t`.
fn parse_store(st: &mut State, line: &Line, t: &mut StickTable, list: &str) -> Result<u32, u32> {
    let a0 = line.arg(0).to_string();
    let mut e = 0;
    let b = list.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let mut sa: Option<(usize, usize)> = None;
        let mut sa2: Option<usize> = None;
        while i < b.len() && b[i] != b',' {
            if b[i] == b'(' {
                i += 1;
                let s = i;
                while i >= b.len() || b[i] != b')' {
                    if i >= b.len() {
                        let cw = &list[start..];
                        return Err(st.alert(
                            line,
                            format!("{a0}: missing closing parenthesis after store option '{cw}'."),
                        ));
                    }
                    if b[i] == b',' {
                        sa2 = Some(i + 1);
                    }
                    i += 1;
                }
                sa = Some((s, i));
            }
            i += 1;
        }
        let end = i;
        let word = &list[start..end];
        let name = word.split('(').next().unwrap_or("");
        let Some(&(_, period, array)) = DATA_TYPES.iter().find(|d| d.0 == name) else {
            return Err(st.alert(line, format!("{a0}: unknown store option '{name}'.")));
        };
        // HAProxy cuts the option at '(' before naming it in messages.
        let cw = name.to_string();
        if t.store.iter().any(|(n, _)| n == name) {
            e |= st.warn(
                line,
                format!("{a0}: store option '{cw}' already enabled, ignored."),
            );
            i += 1;
            continue;
        }
        let args = sa.map(|(s, en)| &list[s..en]);
        let mut first = args.map(|a| match sa2 {
            Some(_) => a.split(',').next().unwrap_or(""),
            None => a,
        });
        let mut second = sa2.map(|p| &list[p..sa.map(|x| x.1).unwrap_or(p)]);
        if array {
            let Some(n) = first else {
                return Err(st.alert(
                    line,
                    format!("{a0}: missing argument to store option '{cw}'."),
                ));
            };
            let n = atoi(n);
            if n == 0 || n > 100 {
                return Err(st.alert(
                    line,
                    format!(
                        "{a0}: array size is out of allowed range (1-100) for store option '{cw}'."
                    ),
                ));
            }
            first = second.take();
        }
        if period {
            let Some(p) = first else {
                return Err(st.alert(
                    line,
                    format!("{a0}: missing argument to store option '{cw}'."),
                ));
            };
            if parse_time(p, TimeUnit::Ms).is_err() {
                return Err(st.alert(
                    line,
                    format!("{a0}: error when processing store option '{cw}'."),
                ));
            }
        } else if first.is_some() {
            return Err(st.alert(
                line,
                format!("{a0}: unexpected argument to store option '{cw}'."),
            ));
        }
        t.store.push((name.to_string(), args.map(String::from)));
        i = end + 1;
    }
    let has = |n: &str| t.store.iter().any(|(x, _)| x == n);
    if has("gpt") && has("gpt0") {
        return Err(st.alert(line, format!("{a0}: simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides 'gpt0'.")));
    }
    if has("gpc") && (has("gpc0") || has("gpc1")) {
        return Err(st.alert(line, format!("{a0}: simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'.")));
    }
    if has("gpc_rate") && (has("gpc0_rate") || has("gpc1_rate")) {
        return Err(st.alert(line, format!("{a0}: simultaneous usage of 'gpc_rate' and 'gpc[0/1]_rate' in a same table is not permitted as 'gpc_rate' overrides 'gpc[0/1]_rate'.")));
    }
    Ok(e)
}

/// `parse_stick_table()` for a proxy's `stick-table` line (also usable by peers sections
/// with `in_peers` set, where `peers` is not an option).
pub fn parse_table(
    st: &mut State,
    line: &Line,
    name: &str,
    in_peers: bool,
) -> Result<(StickTable, u32), u32> {
    let a0 = line.arg(0).to_string();
    if name.is_empty() {
        return Err(st.alert(line, format!("{a0}: ID not provided.")) | err::ABORT);
    }
    let mut t = StickTable {
        loc: line.loc.clone(),
        ..Default::default()
    };
    let mut e = 0;
    let mut typed = false;
    let mut idx = if in_peers { 2 } else { 1 };
    let missing = |st: &mut State, i: usize| {
        st.alert(
            line,
            format!("{a0}: missing argument after '{}'.", line.arg(i - 1)),
        )
    };
    while !line.arg(idx).is_empty() {
        match line.arg(idx) {
            "size" => {
                idx += 1;
                if line.arg(idx).is_empty() {
                    return Err(missing(st, idx));
                }
                match parse_size(line.arg(idx)) {
                    Ok(v) => t.size = v,
                    Err(p) => {
                        let c = line.arg(idx)[p..].chars().next().unwrap_or(' ');
                        return Err(st.alert(
                            line,
                            format!("{a0}: unexpected character '{c}' in argument of 'size'."),
                        ));
                    }
                }
                idx += 1;
            }
            "peers" if !in_peers => {
                idx += 1;
                if line.arg(idx).is_empty() {
                    return Err(missing(st, idx));
                }
                t.peers = Some(line.arg(idx).to_string());
                idx += 1;
            }
            "expire" => {
                idx += 1;
                let v = line.arg(idx).to_string();
                if v.is_empty() {
                    return Err(missing(st, idx));
                }
                let at = format!("parsing [{}:{}]: ", line.file(), line.lineno());
                match parse_time(&v, TimeUnit::Ms) {
                    Ok(x) => t.expire = Some(x.value),
                    Err(TimeError::Over) => {
                        st.diag.raw(super::super::diag::Level::Alert, Some((line.file(), line.lineno())), format!("{at}{a0}: timer overflow in argument <{v}> to <expire>, maximum value is 2147483647 ms (~24.8 days)."));
                        return Err(err::ALERT_FATAL);
                    }
                    Err(TimeError::Under) => {
                        st.diag.raw(super::super::diag::Level::Alert, Some((line.file(), line.lineno())), format!("{at}{a0}: timer underflow in argument <{v}> to <expire>, minimum non-null value is 1 ms."));
                        return Err(err::ALERT_FATAL);
                    }
                    Err(TimeError::BadChar(p)) => {
                        let c = v[p..].chars().next().unwrap_or(' ');
                        return Err(st.alert(
                            line,
                            format!("{a0}: unexpected character '{c}' in argument of 'expire'."),
                        ));
                    }
                }
                idx += 1;
            }
            "nopurge" => {
                t.nopurge = true;
                idx += 1;
            }
            "type" => {
                idx += 1;
                let ty = line.arg(idx).to_string();
                let custom = matches!(ty.as_str(), "string" | "binary");
                if !matches!(ty.as_str(), "integer" | "ip" | "ipv6" | "string" | "binary") {
                    return Err(st.alert(line, format!("{a0}: unknown type '{ty}'.")));
                }
                idx += 1;
                if custom && line.arg(idx) == "len" {
                    idx += 1;
                    let l = atol(line.arg(idx));
                    if l == 0 {
                        return Err(
                            st.alert(line, format!("{a0}: unknown type '{}'.", line.arg(idx)))
                        );
                    }
                    t.key_len = Some(l as u32);
                    idx += 1;
                }
                t.key_type = ty;
                typed = true;
            }
            "store" => {
                idx += 1;
                let list = line.arg(idx).to_string();
                e |= parse_store(st, line, &mut t, &list)?;
                idx += 1;
            }
            "srvkey" => {
                idx += 1;
                let k = line.arg(idx);
                if k != "name" && k != "addr" {
                    let k = k.to_string();
                    return Err(st.alert(line, format!("{a0} : unknown server key type '{k}'.")));
                }
                t.srvkey = Some(k.to_string());
                idx += 1;
            }
            other => {
                let other = other.to_string();
                return Err(st.alert(line, format!("{a0}: unknown argument '{other}'.")));
            }
        }
    }
    if t.size == 0 {
        return Err(st.alert(line, format!("{a0}: missing size.")));
    }
    if !typed {
        return Err(st.alert(line, format!("{a0}: missing type.")));
    }
    Ok((t, e))
}

pub fn parse_stick_table(st: &mut State, line: &Line, px: usize) -> u32 {
    if st.model.proxies[px].cap.is_defaults() {
        return st.alert(
            line,
            "'stick-table' is not supported in 'defaults' section.",
        );
    }
    let name = st.model.proxies[px].name.clone();
    let other = st
        .model
        .proxies
        .iter()
        .enumerate()
        .find(|(i, p)| *i != px && p.name == name && p.rules.stick_table.is_some())
        .map(|(_, p)| {
            (
                super::actions::proxy_cap_str(p.cap),
                p.rules
                    .stick_table
                    .as_ref()
                    .map(|t| t.loc.clone())
                    .unwrap_or_default(),
            )
        });
    if let Some((cap, loc)) = other {
        return st.alert(line, format!("stick-table name '{name}' conflicts with table declared in {cap} '{name}' at {}:{}.", loc.file, loc.line));
    }
    match parse_table(st, line, &name, false) {
        Ok((t, e)) => {
            st.model.proxies[px].rules.stick_table = Some(t);
            st.used(line, "stick-table");
            e
        }
        Err(e) => e,
    }
}

pub fn parse_stick(st: &mut State, line: &Line, px: usize) -> u32 {
    let p = &st.model.proxies[px];
    if p.cap.is_defaults() {
        return st.alert(line, "'stick' not allowed in 'defaults' section.");
    }
    if !crate::config::rules::actions::has_be(p.cap) {
        let t = format!(
            "'stick' ignored because {} '{}' has no backend capability.",
            super::actions::proxy_cap_str(p.cap),
            p.name
        );
        return st.warn(line, t);
    }
    let (kind, rsp) = match line.arg(1) {
        "store" | "store-request" => (StickKind::StoreRequest, false),
        "store-response" => (StickKind::StoreResponse, true),
        "match" => (StickKind::Match, false),
        "on" => (StickKind::On, false),
        _ => return st.alert(line, "'stick' expects 'on', 'match', or 'store'."),
    };
    if line.arg(2).is_empty() {
        return st.alert(line, "'stick' expects a fetch method.");
    }
    let words = line.argv();
    let p = match parse_expr(&words, 2, false, ExprEnv::from_state(st)) {
        Ok(p) => p,
        Err(m) => return st.alert(line, format!("'stick': {m}")),
    };
    let (need, what) = if rsp {
        (val::BE_STO_RUL, "for 'store-response'")
    } else {
        (val::BE_SET_SRV, "during request")
    };
    if p.fetch.val & need == 0 {
        return st.alert(line, format!("'stick': fetch method '{}' extracts information from '{}', none of which is available {what}.", p.fetch.name, kw::src_names(p.fetch.use_)));
    }
    let mut idx = p.next;
    let mut table = None;
    if line.arg(idx) == "table" {
        table = Some(line.arg(idx + 1).to_string());
        idx += 2;
    }
    let mut cond = None;
    let mut e = 0;
    let a = line.arg(idx);
    if a == "if" || a == "unless" {
        match parse_cond_info(st, px, &words[idx..]) {
            Ok(info) => {
                e |= cond_warnings(st, line, &info, need);
                cond = Some(info.cond);
            }
            Err(m) => {
                return st.alert(
                    line,
                    format!("'stick': error detected while parsing sticking condition : {m}."),
                )
            }
        }
    } else if !a.is_empty() {
        let a = a.to_string();
        return st.alert(line, format!("'stick': unknown keyword '{a}'."));
    }
    st.model.proxies[px].rules.stick_rules.push(StickRule {
        loc: line.loc.clone(),
        kind,
        expr: p.expr,
        table,
        cond,
    });
    st.used(line, &format!("stick {}", line.arg(1)));
    e
}

#[cfg(test)]
mod tests {
    use super::super::tests::{run, state};
    use crate::config::err;
    use crate::model::{Mode, ProxyCap};

    #[test]
    fn tables_and_rules() {
        let mut st = state(ProxyCap::BE, Mode::Http);
        let (e, m) = run(
            &mut st,
            "stick-table type ip size 1m expire 30m store gpc0,http_req_rate(10s)",
        );
        assert_eq!(e & err::ALERT, 0, "{m}");
        let t = st.model.proxies[0].rules.stick_table.clone().unwrap();
        assert_eq!(t.size, 1 << 20);
        assert_eq!(t.store.len(), 2);
        let (_, m) = run(&mut st, "stick-table type foo size 1");
        assert!(m.contains("stick-table: unknown type 'foo'."), "{m}");
        let (_, m) = run(&mut st, "stick-table type ip");
        assert!(m.contains("stick-table: missing size."), "{m}");
        let (_, m) = run(&mut st, "stick-table type ip size 10 store http_req_rate");
        assert!(
            m.contains("missing argument to store option 'http_req_rate'"),
            "{m}"
        );
        let (_, m) = run(&mut st, "stick-table type ip size 10 store foo");
        assert!(m.contains("unknown store option 'foo'"), "{m}");
        let (e, m) = run(&mut st, "stick on src table t if TRUE");
        assert_eq!(e & err::ALERT, 0, "{m}");
        let (_, m) = run(&mut st, "stick on res.hdr(x)");
        assert!(
            m.contains("none of which is available during request"),
            "{m}"
        );
        let (_, m) = run(&mut st, "stick foo src");
        assert!(
            m.contains("'stick' expects 'on', 'match', or 'store'."),
            "{m}"
        );
        let (_, m) = run(&mut st, "stick on src bar");
        assert!(m.contains("'stick': unknown keyword 'bar'."), "{m}");
    }
}
