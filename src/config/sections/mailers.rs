//! `mailers` sections (HAProxy's `cfg_parse_mailers()`): SMTP servers for `email-alert`.

use super::{alert_capital, invalid_char, parse_timer, unknown_keyword};
use crate::config::addr::{str2sa_range, SaOpts};
use crate::config::{err, Line, State};
use crate::model::sections::{Mailer, Mailers};

pub fn parse(st: &mut State, line: &Line) -> u32 {
    match line.arg(0) {
        "mailers" => parse_section(st, line),
        "mailer" => parse_mailer(st, line),
        "timeout" => parse_timeout(st, line),
        _ => unknown_keyword(st, line, "mailers"),
    }
}

fn parse_section(st: &mut State, line: &Line) -> u32 {
    let name = line.arg(1);
    if name.is_empty() {
        st.alert(line, "missing name for mailers section.");
        return err::ALERT | err::ABORT;
    }
    if let Some(c) = invalid_char(name) {
        st.alert(
            line,
            format!("character '{c}' is not permitted in 'mailers' name '{name}'."),
        );
        return err::ALERT | err::ABORT;
    }
    let mut e = 0;
    let dups: Vec<String> = st
        .model
        .mailers
        .iter()
        .filter(|m| m.name == name)
        .map(|m| m.loc.to_string())
        .collect();
    for at in dups.iter().rev() {
        e |= alert_capital(
            st,
            line,
            format!("mailers section '{name}' has the same name as another mailers section declared at {at}."),
        );
    }
    st.used(line, "mailers");
    st.model.mailers.push(Mailers {
        name: name.to_string(),
        loc: line.loc.clone(),
        ..Default::default()
    });
    e
}

fn parse_mailer(st: &mut State, line: &Line) -> u32 {
    if line.arg(2).is_empty() {
        return st.alert(
            line,
            "'mailer' expects <name> and <addr>[:<port>] as arguments.",
        );
    }
    let name = line.arg(1);
    if let Some(c) = invalid_char(name) {
        return st.alert(
            line,
            format!("character '{c}' is not permitted in server name '{name}'."),
        );
    }
    let Some(cur) = st.model.mailers.len().checked_sub(1) else {
        return 0;
    };
    // HAProxy links the mailer before parsing its address.
    st.model.mailers[cur].mailers.push(Mailer {
        name: name.to_string(),
        loc: line.loc.clone(),
        addr_text: line.arg(2).to_string(),
        addr: None,
    });
    let opts = SaOpts {
        port_mandatory: true,
        connect: true,
        ..SaOpts::resolving(&st.env)
    };
    match str2sa_range(line.arg(2), &opts) {
        Ok(sa) => {
            if let Some(m) = st.model.mailers[cur].mailers.last_mut() {
                m.addr = Some(sa);
            }
            st.used(line, "mailers mailer");
            0
        }
        Err(msg) => st.alert(line, super::blank_after(format!("'mailer {name}' : {msg}"))),
    }
}

fn parse_timeout(st: &mut State, line: &Line) -> u32 {
    if line.arg(1).is_empty() {
        return st.alert(line, "'timeout' expects 'mail' and <time> as arguments.");
    }
    if line.arg(1) != "mail" {
        return st.alert(
            line,
            format!(
                "'timeout' expects 'mail' and <time> as arguments got '{}'.",
                line.arg(1)
            ),
        );
    }
    let v = line.arg(2);
    if v.is_empty() {
        return st.alert(line, "'timeout mail' expects <time> as argument.");
    }
    match parse_timer(st, line, v, v, "timeout mail") {
        Ok(ms) => {
            if let Some(m) = st.model.mailers.last_mut() {
                m.timeout_mail = Some(ms);
            }
            st.used(line, "mailers timeout mail");
            0
        }
        Err(e) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{load, msgs};

    #[test]
    fn mailers_messages() {
        let l = load("mailers\n");
        let m = msgs(&l);
        assert!(m[0].ends_with("parsing [t.cfg:1] : missing name for mailers section."));
        let l = load(
            "mailers m1\nmailers m1\n  mailer x\n  mailer x/y 1.2.3.4:25\n  timeout\n  timeout mail\n  timeout mail 10x\n  timeout mail 30d\n  timeout foo 1\n  foo\n  timeout mail 5s\n",
        );
        let m = msgs(&l);
        assert!(m[0].ends_with("Parsing [t.cfg:2]: mailers section 'm1' has the same name as another mailers section declared at t.cfg:1."));
        assert!(m[1].ends_with(
            "parsing [t.cfg:3] : 'mailer' expects <name> and <addr>[:<port>] as arguments."
        ));
        assert!(m[2].ends_with("character '/' is not permitted in server name 'x/y'."));
        assert!(m[3].ends_with("'timeout' expects 'mail' and <time> as arguments."));
        assert!(m[4].ends_with("'timeout mail' expects <time> as argument."));
        assert!(m[5].ends_with(
            "parsing [t.cfg:7]: unexpected character 'x' in argument to <timeout mail>."
        ));
        assert!(m[6].contains("timer overflow in argument <30d> to <timeout mail>"));
        assert!(m[7].ends_with("'timeout' expects 'mail' and <time> as arguments got 'foo'."));
        assert!(m[8].ends_with("parsing [t.cfg:10] : unknown keyword 'foo' in 'mailers' section"));
        assert_eq!(m.len(), 11);
    }
}
