//! `tcp-request` and `tcp-response` (HAProxy's `tcp_rules.c`).

use super::super::diag::Level;
use super::super::expr::cond::{cond_conflict_warning, parse_cond_info};
use super::super::values::{parse_time, TimeError, TimeUnit};
use super::super::{Line, State};
use super::actions::{self, proxy_cap_str, Ctx, Ruleset};
use super::{after_warning, rule_list, used_path};
use crate::model::rules::{Action, Rule};

fn px_desc(st: &State, px: usize) -> (String, String) {
    let p = &st.model.proxies[px];
    (proxy_cap_str(p.cap).to_string(), p.name.clone())
}

fn anon_defaults(st: &State, px: usize) -> bool {
    let p = &st.model.proxies[px];
    p.cap.is_defaults() && p.name.is_empty()
}

/// `tcp-request|tcp-response inspect-delay <time>`; `Ok(Some(ms))` or the message.
fn inspect_delay(st: &State, line: &Line, px: usize) -> Result<u32, String> {
    let (t, n) = px_desc(st, px);
    let head = format!(
        "'{} {}' expects a positive delay in milliseconds, in {t} '{n}'",
        line.arg(0),
        line.arg(1)
    );
    let v = line.arg(2);
    if v.is_empty() {
        return Err(head);
    }
    match parse_time(v, TimeUnit::Ms) {
        Ok(x) => Ok(x.value),
        Err(TimeError::Over) => Err(format!(
            "{head} (timer overflow in '{v}', maximum value is 2147483647 ms or ~24.8 days)"
        )),
        Err(TimeError::Under) => Err(format!(
            "{head} (timer underflow in '{v}', minimum non-null value is 1 ms)"
        )),
        Err(TimeError::BadChar(p)) => Err(format!(
            "{head} (unexpected character '{}')",
            v[p..].chars().next().unwrap_or(' ')
        )),
    }
}

fn alert(st: &mut State, line: &Line, msg: &str) -> u32 {
    st.alert(line, msg)
}

pub fn parse_tcp_request(st: &mut State, line: &Line, px: usize) -> u32 {
    let (t, n) = px_desc(st, px);
    let defaults = st.model.proxies[px].cap.is_defaults();
    if line.arg(1).is_empty() {
        let m = if defaults {
            "missing argument for 'tcp-request' in defaults section".to_string()
        } else {
            format!("missing argument for 'tcp-request' in {t} '{n}'")
        };
        return alert(st, line, &m);
    }
    if line.arg(1) == "inspect-delay" {
        if anon_defaults(st, px) {
            return alert(
                st,
                line,
                "tcp-request inspect-delay is not allowed in anonymous 'defaults' sections",
            );
        }
        return match inspect_delay(st, line, px) {
            Err(m) => alert(st, line, &m),
            Ok(v) => {
                if st.model.proxies[px]
                    .rules
                    .tcp_request_inspect_delay
                    .is_some_and(|d| d != 0)
                {
                    return st.warn(
                        line,
                        format!(
                            "ignoring tcp-request inspect-delay (was already defined) in {t} '{n}'"
                        ),
                    );
                }
                st.model.proxies[px].rules.tcp_request_inspect_delay = Some(v);
                st.used(line, "tcp-request inspect-delay");
                0
            }
        };
    }
    let rs = match line.arg(1) {
        "content" => Ruleset::TcpCnt,
        "connection" | "session" => {
            if !crate::config::rules::actions::has_fe(st.model.proxies[px].cap) {
                return alert(
                    st,
                    line,
                    &format!(
                        "tcp-request {} is not allowed because {t} {n} is not a frontend",
                        line.arg(1)
                    ),
                );
            }
            if line.arg(1) == "connection" {
                Ruleset::TcpCon
            } else {
                Ruleset::TcpSes
            }
        }
        other => {
            let m = if defaults {
                format!("'tcp-request' expects 'inspect-delay', 'connection', or 'content' in defaults section (got '{other}')")
            } else {
                format!("'tcp-request' expects 'inspect-delay', 'connection', or 'content' in {t} '{n}' (got '{other}')")
            };
            return alert(st, line, &m);
        }
    };
    parse_rule(st, line, px, rs)
}

pub fn parse_tcp_response(st: &mut State, line: &Line, px: usize) -> u32 {
    let (t, n) = px_desc(st, px);
    if line.arg(1).is_empty() {
        return alert(
            st,
            line,
            &format!("missing argument for 'tcp-response' in {t} '{n}'"),
        );
    }
    let bad_place =
        anon_defaults(st, px) || !crate::config::rules::actions::has_be(st.model.proxies[px].cap);
    if line.arg(1) == "inspect-delay" {
        if bad_place {
            return alert(st, line, "tcp-response inspect-delay is only allowed in 'backend' sections or 'defaults' section with a name");
        }
        return match inspect_delay(st, line, px) {
            Err(m) => alert(st, line, &m),
            Ok(v) => {
                if st.model.proxies[px]
                    .rules
                    .tcp_response_inspect_delay
                    .is_some_and(|d| d != 0)
                {
                    return st.warn(line, format!("ignoring tcp-response inspect-delay (was already defined) in {t} '{n}'"));
                }
                st.model.proxies[px].rules.tcp_response_inspect_delay = Some(v);
                st.used(line, "tcp-response inspect-delay");
                0
            }
        };
    }
    if line.arg(1) != "content" {
        return alert(
            st,
            line,
            &format!(
                "'tcp-response' expects 'inspect-delay' or 'content' in {t} '{n}' (got '{}')",
                line.arg(1)
            ),
        );
    }
    if bad_place {
        return alert(st, line, "tcp-response content is only allowed in 'backend' sections or 'defaults' section with a name");
    }
    parse_rule(st, line, px, Ruleset::TcpRes)
}

/// `tcp_parse_request_rule()` / `tcp_parse_response_rule()` from the action word on.
fn parse_rule(st: &mut State, line: &Line, px: usize, rs: Ruleset) -> u32 {
    let (t, n) = px_desc(st, px);
    let (a0, a1) = (line.arg(0).to_string(), line.arg(1).to_string());
    if rs != Ruleset::TcpRes && anon_defaults(st, px) {
        return alert(
            st,
            line,
            &format!("{a0} {a1} is not allowed in anonymous 'defaults' sections"),
        );
    }
    let words = line.argv();
    let mut cur = 2;
    let aw = line.arg(2).to_string();
    let st_ro: &State = st;
    let warns = std::cell::RefCell::new(Vec::new());
    let ctx = Ctx {
        st: st_ro,
        px,
        rs,
        args: &words,
        warns: &warns,
    };
    let where_ = ctx.where_();
    let res: Result<Action, String> = match aw.as_str() {
        "accept" => {
            cur += 1;
            Ok(Action::Allow)
        }
        "reject" => {
            cur += 1;
            Ok(Action::Reject)
        }
        "close" if rs == Ruleset::TcpRes => {
            cur += 1;
            Ok(Action::Other)
        }
        "capture" if rs != Ruleset::TcpRes => parse_capture(&ctx, &mut cur),
        w if w.starts_with("track-sc") && rs != Ruleset::TcpRes => parse_track(&ctx, &mut cur),
        "expect-proxy" | "expect-netscaler-cip" if rs != Ruleset::TcpRes => {
            if line.arg(3) != "layer4" {
                Err(format!(
                    "'{a0} {a1} {aw}' only supports 'layer4' in {t} '{n}' (got '{}')",
                    line.arg(3)
                ))
            } else if rs != Ruleset::TcpCon {
                Err(format!(
                    "'{aw} {}' is not allowed in '{a0} {a1}' rules in {t} '{n}'",
                    line.arg(3)
                ))
            } else {
                cur += 2;
                Ok(Action::Other)
            }
        }
        w if w
            .strip_prefix("lua.")
            .is_some_and(|n| actions::lua_registers(&st_ro.model.global, "action", n)) =>
        {
            cur += 1;
            actions::skip_to_cond(&ctx, &mut cur);
            Ok(Action::Other)
        }
        w => match actions::lookup(rs, w) {
            Some(k) => {
                cur += 1;
                (k.parse)(&ctx, &mut cur)
            }
            None => {
                let mut names = actions::names(rs);
                let extra: &[&str] = if rs == Ruleset::TcpRes {
                    &["accept", "reject", "close"]
                } else {
                    &[
                        "accept",
                        "reject",
                        "capture",
                        "track-sc",
                        "expect-proxy",
                        "expect-netscaler-cip",
                    ]
                };
                names.extend_from_slice(extra);
                let best = super::super::suggest::best_match(w, &names)
                    .map(|b| format!(" Did you mean '{b}' maybe ?"))
                    .unwrap_or_default();
                if rs == Ruleset::TcpRes {
                    Err(format!("'{a0} {a1}' expects 'accept', 'close', 'reject', {} in {t} '{n}' (got '{w}').{best}", actions::expects_list(rs)))
                } else {
                    Err(format!("'{a0} {a1}' expects 'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', 'track-sc0' ... 'track-sc2', {} in {t} '{n}' (got '{w}').{best}\n", actions::expects_list(rs)))
                }
            }
        },
    };
    let kind = match res {
        Ok(k) => k,
        Err(m) => return alert(st, line, &m),
    };
    let cur = cur.min(words.len());
    let mut e = 0;
    let mut cond = None;
    let mut conflict = None;
    let next = words.get(cur).copied().unwrap_or("");
    if next == "if" || next == "unless" {
        match parse_cond_info(st, px, &words[cur..]) {
            Ok(info) => {
                for w in &info.warnings {
                    st.diag.warning(w.clone());
                }
                // Tcp rules phrase it with the rule name; it is printed after the
                // placement warning.
                conflict = cond_conflict_warning(&info, where_).map(|w| {
                    w.replacen(
                        " will never match because",
                        &format!(" will never match in '{a0} {a1}' because"),
                        1,
                    )
                    .replacen("involves keywords '", "involves keyword '", 1)
                });
                cond = Some(info.cond);
            }
            Err(m) => {
                return alert(st, line, &format!("'{a0} {a1} {aw}' : error detected in {t} '{n}' while parsing '{next}' condition : {m}"));
            }
        }
    } else if !next.is_empty() {
        return alert(
            st,
            line,
            &format!("'{a0} {a1} {aw}' only accepts 'if' or 'unless', in {t} '{n}' (got '{next}')"),
        );
    }
    match rs {
        Ruleset::TcpCnt => {
            e |= after_warning(
                st,
                line,
                px,
                &a0,
                &["http-request", "redirect", "use_backend", "use-server"],
            )
        }
        Ruleset::TcpSes => {
            e |= after_warning(
                st,
                line,
                px,
                &a0,
                &[
                    "tcp-request content",
                    "http-request",
                    "redirect",
                    "use_backend",
                    "use-server",
                ],
            )
        }
        Ruleset::TcpCon => {
            e |= after_warning(
                st,
                line,
                px,
                &a0,
                &[
                    "tcp-request session",
                    "tcp-request content",
                    "http-request",
                    "redirect",
                    "use_backend",
                    "use-server",
                ],
            )
        }
        _ => {}
    }
    if let Some(w) = conflict {
        e |= st.warn(line, w);
    }
    let rule = Rule {
        loc: line.loc.clone(),
        action: aw.clone(),
        args: words[3.min(cur)..cur]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        cond,
        kind,
    };
    rule_list(st, px, rs).push(rule);
    st.used(line, &used_path(&format!("{a0} {a1}"), &aw));
    let _ = Level::Alert;
    e
}

fn parse_capture(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let (a0, a1, kw) = (c.args[0], c.args[1], c.args[*cur]);
    let p = &c.st.model.proxies[c.px];
    if !crate::config::rules::actions::has_fe(p.cap) {
        return Err(format!(
            "'{a0} {a1} {kw}' : proxy '{}' has no frontend capability",
            p.name
        ));
    }
    let w = c.where_();
    if w & super::super::expr::kw::val::FE_REQ_CNT == 0 {
        return Err(format!(
            "'{kw} {}' is not allowed in '{a0} {a1}' rules in {} '{}'",
            c.args.get(*cur + 1).copied().unwrap_or(""),
            proxy_cap_str(p.cap),
            p.name
        ));
    }
    *cur += 1;
    let e = super::super::expr::sample::parse_expr(
        c.args,
        *cur,
        false,
        super::super::expr::sample::ExprEnv::from_state(c.st),
    )
    .map_err(|m| format!("'{a0} {a1} {kw}' : {m}"))?;
    *cur = e.next;
    if e.fetch.val & w == 0 {
        return Err(format!("'{a0} {a1} {kw}' : fetch method '{}' extracts information from '{}', none of which is available here", c.args[*cur - 1], super::super::expr::kw::src_names(e.fetch.use_)));
    }
    let mut len = 0;
    if c.args.get(*cur) == Some(&"len") {
        *cur += 1;
        len = super::super::values::atoi(c.args.get(*cur).copied().unwrap_or(""));
        if len <= 0 {
            return Err(format!("'{a0} {a1} {kw}' : length must be > 0"));
        }
        *cur += 1;
    }
    if len == 0 {
        return Err(format!(
            "'{a0} {a1} {kw}' : a positive 'len' argument is mandatory"
        ));
    }
    Ok(Action::Capture {
        expr: e.expr,
        len: Some(len as u32),
        id: None,
    })
}

fn parse_track(c: &Ctx, cur: &mut usize) -> Result<Action, String> {
    let (a0, a1, kw) = (c.args[0], c.args[1], c.args[*cur]);
    let n = actions::track_sc_num(&kw["track-sc".len()..])
        .map_err(|m| format!("'{a0} {a1} {kw}' : {m}"))?;
    *cur += 1;
    let e = super::super::expr::sample::parse_expr(
        c.args,
        *cur,
        false,
        super::super::expr::sample::ExprEnv::from_state(c.st),
    )
    .map_err(|m| format!("'{a0} {a1} {kw}' : {m}"))?;
    *cur = e.next;
    if e.fetch.val & c.where_() == 0 {
        return Err(format!("'{a0} {a1} {kw}' : fetch method '{}' extracts information from '{}', none of which is available here", c.args[*cur - 1], super::super::expr::kw::src_names(e.fetch.use_)));
    }
    let mut table = None;
    if c.args.get(*cur) == Some(&"table") {
        *cur += 1;
        table = c.args.get(*cur).map(|s| s.to_string());
        *cur += 1;
    }
    Ok(Action::TrackSc {
        n,
        key: e.expr,
        table,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{run, state};
    use crate::config::err;
    use crate::model::{Mode, ProxyCap};

    #[test]
    fn tcp_rules() {
        let mut st = state(ProxyCap::FE, Mode::Tcp);
        for l in [
            "tcp-request inspect-delay 5s",
            "tcp-request content accept if { req.ssl_hello_type 1 }",
            "tcp-request content reject if { req.len 0 }",
            "tcp-request connection track-sc0 src",
            "tcp-request connection reject if { src_conn_rate gt 10 }",
            "tcp-request content set-var(sess.x) req.len",
            "tcp-request session accept",
            "tcp-request content capture req.payload(0,10) len 10",
        ] {
            let (e, m) = run(&mut st, l);
            assert_eq!(e & err::ALERT, 0, "{l}: {m}");
        }
        let (_, m) = run(&mut st, "tcp-request content foo");
        assert!(
            m.contains("'tcp-request content' expects 'accept', 'reject', 'capture'"),
            "{m}"
        );
        let (_, m) = run(&mut st, "tcp-request foo");
        assert!(m.contains("'tcp-request' expects 'inspect-delay', 'connection', or 'content' in frontend 'fe' (got 'foo')"), "{m}");
        let (_, m) = run(&mut st, "tcp-request content accept bar");
        assert!(m.contains("'tcp-request content accept' only accepts 'if' or 'unless', in frontend 'fe' (got 'bar')"), "{m}");
        let (_, m) = run(&mut st, "tcp-response content accept");
        assert!(
            m.contains("tcp-response content is only allowed in 'backend' sections"),
            "{m}"
        );
        let (_, m) = run(&mut st, "tcp-request inspect-delay 5x");
        assert!(m.contains("(unexpected character 'x')"), "{m}");
        let mut be = state(ProxyCap::BE, Mode::Tcp);
        let (_, m) = run(&mut be, "tcp-request connection accept");
        assert!(
            m.contains(
                "tcp-request connection is not allowed because backend fe is not a frontend"
            ),
            "{m}"
        );
        let (e, m) = run(&mut be, "tcp-response content close if { res.len 0 }");
        assert_eq!(e & err::ALERT, 0, "{m}");
    }
}
