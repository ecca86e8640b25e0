//! `userlist` sections (HAProxy's `cfg_parse_users()`), and the group/user cross-references
//! HAProxy resolves at check time (`userlist_postinit()`).

use super::{alert_tight, invalid_char, too_many_args, warn_tight};
use crate::config::{err, Line, State};
use crate::model::sections::{User, Userlist};

pub fn parse(st: &mut State, line: &Line) -> u32 {
    match line.arg(0) {
        "userlist" => parse_userlist(st, line),
        "group" => parse_group(st, line),
        "user" => parse_user(st, line),
        kw => alert_tight(
            st,
            line,
            format!("unknown keyword '{kw}' in 'users' section"),
        ),
    }
}

fn parse_userlist(st: &mut State, line: &Line) -> u32 {
    let name = line.arg(1);
    if name.is_empty() {
        return alert_tight(st, line, "'userlist' expects <name> as arguments.");
    }
    if too_many_args(st, line, 1, 0) {
        return err::ALERT_FATAL;
    }
    if let Some(c) = invalid_char(name) {
        return alert_tight(
            st,
            line,
            format!("character '{c}' is not permitted in 'userlist' name '{name}'."),
        );
    }
    if st.model.userlists.iter().any(|u| u.name == name) {
        // HAProxy keeps filling the previously declared list in this case.
        return warn_tight(st, line, format!("ignoring duplicated userlist '{name}'."));
    }
    st.used(line, "userlist");
    st.model.userlists.push(Userlist {
        name: name.to_string(),
        loc: line.loc.clone(),
        ..Default::default()
    });
    0
}

fn parse_group(st: &mut State, line: &Line) -> u32 {
    let name = line.arg(1);
    if name.is_empty() {
        return alert_tight(st, line, "'group' expects <name> as arguments.");
    }
    if let Some(c) = invalid_char(name) {
        return alert_tight(
            st,
            line,
            format!("character '{c}' is not permitted in 'group' name '{name}'."),
        );
    }
    let Some(ul) = st.model.userlists.last() else {
        return 0;
    };
    if ul.groups.iter().any(|(g, _)| g == name) {
        let ulname = ul.name.clone();
        warn_tight(
            st,
            line,
            format!("ignoring duplicated group '{name}' in userlist '{ulname}'."),
        );
        return err::ALERT;
    }
    let mut users = Vec::new();
    let mut i = 2;
    while !line.arg(i).is_empty() {
        if line.arg(i) != "users" {
            return alert_tight(st, line, "'group' only supports 'users' option.");
        }
        // Like HAProxy, a later `users` replaces an earlier one.
        users = split_list(line.arg(i + 1));
        i += 2;
    }
    if let Some(ul) = st.model.userlists.last_mut() {
        ul.groups.push((name.to_string(), users));
    }
    st.used(line, "userlist group");
    0
}

fn parse_user(st: &mut State, line: &Line) -> u32 {
    let name = line.arg(1);
    if name.is_empty() {
        return alert_tight(st, line, "'user' expects <name> as arguments.");
    }
    let Some(ul) = st.model.userlists.last() else {
        return 0;
    };
    if ul.users.iter().any(|u| u.name == name) {
        let ulname = ul.name.clone();
        warn_tight(
            st,
            line,
            format!("ignoring duplicated user '{name}' in userlist '{ulname}'."),
        );
        return err::ALERT;
    }
    // HAProxy links the user before parsing its options, so it exists even on error.
    let mut user = User {
        name: name.to_string(),
        ..Default::default()
    };
    let mut i = 2;
    let mut e = 0;
    while !line.arg(i).is_empty() {
        let v = line.arg(i + 1);
        match line.arg(i) {
            "password" => {
                user.password = v.to_string();
                user.insecure = false;
            }
            "insecure-password" => {
                user.password = v.to_string();
                user.insecure = true;
            }
            "groups" => user.groups = split_list(v),
            _ => {
                e = alert_tight(
                    st,
                    line,
                    "'user' only supports 'password', 'insecure-password' and 'groups' options.",
                );
                break;
            }
        }
        i += 2;
    }
    if let Some(ul) = st.model.userlists.last_mut() {
        ul.users.push(user);
    }
    if e == 0 {
        st.used(line, "userlist user");
    }
    e
}

/// `strtok(s, ",")`: empty items are skipped.
fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// `userlist_postinit()`: every group named by a user and every user named by a group must
/// exist. HAProxy walks lists newest first and stops at the first error.
pub fn check(st: &mut State) -> u32 {
    let mut msg = None;
    'outer: for ul in st.model.userlists.iter().rev() {
        for u in ul.users.iter().rev() {
            for g in &u.groups {
                if !ul.groups.iter().any(|(n, _)| n == g) {
                    msg = Some(format!(
                        "userlist '{}': no such group '{g}' specified in user '{}'",
                        ul.name, u.name
                    ));
                    break 'outer;
                }
            }
        }
        for (g, users) in ul.groups.iter().rev() {
            for u in users {
                if !ul.users.iter().any(|x| &x.name == u) {
                    msg = Some(format!(
                        "userlist '{}': no such user '{u}' specified in group '{g}'",
                        ul.name
                    ));
                    break 'outer;
                }
            }
        }
    }
    match msg {
        Some(m) => {
            st.diag.alert(m);
            err::ALERT_FATAL
        }
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{has, load, msgs};

    #[test]
    fn userlist_parse_errors() {
        let l = load(
            "userlist\nuserlist L1 x\nuserlist L/1\nuserlist L1\n  group g1 users a,b\n  group g1\n  group g2 foo\n  user a insecure-password x groups g1,g3\n  user a\n  foo\n",
        );
        let m = msgs(&l);
        assert!(m[0].ends_with("parsing [t.cfg:1]: 'userlist' expects <name> as arguments."));
        assert!(
            m[1].ends_with("parsing [t.cfg:2] : 'userlist' cannot handle unexpected argument 'x'.")
        );
        assert!(m[2].ends_with("character '/' is not permitted in 'userlist' name 'L/1'."));
        assert!(m[3].contains("[WARNING]"));
        assert!(
            m[3].ends_with("parsing [t.cfg:6]: ignoring duplicated group 'g1' in userlist 'L1'.")
        );
        assert!(m[4].ends_with("parsing [t.cfg:7]: 'group' only supports 'users' option."));
        assert!(m[5].ends_with("ignoring duplicated user 'a' in userlist 'L1'."));
        assert!(m[6].ends_with("parsing [t.cfg:10]: unknown keyword 'foo' in 'users' section"));
        assert!(l.config.is_none());
    }

    #[test]
    fn userlist_check_order() {
        let l = load(
            "userlist L1\n  group g1 users a,,b\n  user a insecure-password x groups g1,,g3\n  user b password $6$abc$def\nuserlist L2\n  user z groups q\n",
        );
        let m = msgs(&l);
        assert!(m[0].ends_with("config : userlist 'L2': no such group 'q' specified in user 'z'"));
        assert!(m[1].ends_with("Fatal errors found in configuration."));
        let l = load("userlist L1\n  group g1 users a,x\n  user a\n");
        assert!(has(
            &l,
            "userlist 'L1': no such user 'x' specified in group 'g1'"
        ));
        let l = load("userlist L1\n  group g1 users a\n  user a groups g1\n");
        assert!(l.config.is_some());
        assert_eq!(l.config.unwrap().userlists[0].users[0].groups, vec!["g1"]);
    }
}
