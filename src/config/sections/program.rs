//! `program` sections (HAProxy's `cfg_parse_program()`): external processes the master
//! starts in master-worker mode.

use super::{alert_tight, too_many_args, words};
use crate::config::{err, Kwm, Line, State};
use crate::model::sections::Program;

pub fn parse(st: &mut State, line: &Line) -> u32 {
    if line.arg(0) == "program" {
        return parse_section(st, line);
    }
    // After an error HAProxy frees the program being parsed (and would crash on its next
    // line); here the following lines of that section are ignored.
    let Some(i) = st.cur_other.filter(|&i| i < st.model.programs.len()) else {
        return 0;
    };
    let r = match line.arg(0) {
        "command" => parse_command(st, line, i),
        "option" => parse_option(st, line, i),
        "user" | "group" => parse_identity(st, line, i),
        kw => Err(st.alert(line, format!("unknown keyword '{kw}' in 'program' section"))),
    };
    match r {
        Ok(e) => e,
        Err(e) => {
            st.model.programs.remove(i);
            st.cur_other = None;
            e
        }
    }
}

fn parse_section(st: &mut State, line: &Line) -> u32 {
    st.cur_other = None;
    if too_many_args(st, line, 1, 0) {
        return err::ALERT_FATAL | err::ABORT;
    }
    let name = line.arg(1);
    if name.is_empty() {
        st.alert(line, "'program' expects an <id> argument");
        return err::ALERT | err::ABORT;
    }
    if st.model.programs.iter().any(|p| p.name == name) {
        alert_tight(
            st,
            line,
            format!("'{name}' program section already exists in the configuration."),
        );
        return err::ALERT | err::ABORT;
    }
    st.used(line, "program");
    st.model.programs.push(Program {
        name: name.to_string(),
        loc: line.loc.clone(),
        start_on_reload: true,
        ..Default::default()
    });
    st.cur_other = Some(st.model.programs.len() - 1);
    0
}

fn parse_command(st: &mut State, line: &Line, i: usize) -> Result<u32, u32> {
    if line.arg(1).is_empty() {
        return Err(alert_tight(
            st,
            line,
            "'command' expects a command with optional arguments separated in words.",
        ));
    }
    st.used(line, "program command");
    st.model.programs[i].command = Some(words(line)[1..].to_vec());
    Ok(0)
}

fn parse_option(st: &mut State, line: &Line, i: usize) -> Result<u32, u32> {
    if line.arg(1).is_empty() {
        return Err(alert_tight(st, line, "'option' expects an option name."));
    }
    if line.arg(1) != "start-on-reload" {
        return Err(st.alert(line, format!("unknown option '{}'.", line.arg(1))));
    }
    if too_many_args(st, line, 0, 1) {
        return Err(err::ALERT_FATAL);
    }
    st.used(line, "program option start-on-reload");
    match line.kwm {
        Kwm::Std => st.model.programs[i].start_on_reload = true,
        Kwm::No => st.model.programs[i].start_on_reload = false,
        Kwm::Default => {}
    }
    Ok(0)
}

/// `user <name>` / `group <name>`, looked up in the system databases as HAProxy does.
fn parse_identity(st: &mut State, line: &Line, i: usize) -> Result<u32, u32> {
    let is_user = line.arg(0) == "user";
    let what = if is_user { "user" } else { "group" };
    if line.arg(1).is_empty() {
        return Err(alert_tight(
            st,
            line,
            format!("'{what}' expects a {what} name."),
        ));
    }
    if too_many_args(st, line, 1, 0) {
        return Err(err::ALERT_FATAL);
    }
    let p = &st.model.programs[i];
    let already = if is_user {
        p.user.is_some()
    } else {
        p.group.is_some()
    };
    if already {
        let id = if is_user { "user/uid" } else { "group/gid" };
        st.alert(line, format!("{id} already specified. Continuing."));
        return Ok(err::ALERT);
    }
    let name = line.arg(1);
    let db = if is_user { "/etc/passwd" } else { "/etc/group" };
    if !name_in_db(db, name) {
        return Ok(st.alert(
            line,
            format!("cannot find {what} id for '{name}' (0:Success)"),
        ));
    }
    st.used(line, &format!("program {what}"));
    let p = &mut st.model.programs[i];
    if is_user {
        p.user = Some(name.to_string());
    } else {
        p.group = Some(name.to_string());
    }
    Ok(0)
}

/// Whether `name` is an entry of a `name:...` database file (passwd or group).
fn name_in_db(path: &str, name: &str) -> bool {
    std::fs::read_to_string(path)
        .map(|s| s.lines().any(|l| l.split(':').next() == Some(name)))
        .unwrap_or(false)
}

/// `cfg_program_postparser()`: each program needs a command, and programs need the
/// master-worker mode.
pub fn check(st: &mut State) -> u32 {
    let mut e = 0;
    let missing: Vec<String> = st
        .model
        .programs
        .iter()
        .filter(|p| p.command.is_none())
        .map(|p| p.name.clone())
        .collect();
    for name in missing {
        st.diag.alert(format!(
            "The program section '{name}' lacks a command to launch."
        ));
        e |= err::ALERT_FATAL;
    }
    if !st.model.programs.is_empty() && !st.model.global.master_worker && !st.env.master_worker {
        st.diag
            .alert("Can't use a 'program' section without master worker mode.");
        e |= err::ALERT_FATAL;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{load, msgs};

    #[test]
    fn program_messages() {
        let l = load("program\n");
        assert!(msgs(&l)[0].ends_with("parsing [t.cfg:1] : 'program' expects an <id> argument"));
        let l = load("program a b\n");
        assert!(msgs(&l)[0].ends_with("'program' cannot handle unexpected argument 'b'."));
        let l = load("program p1\n  command\n");
        assert!(msgs(&l)[0].ends_with(
            "parsing [t.cfg:2]: 'command' expects a command with optional arguments separated in words."
        ));
        let l = load("program p1\n  option foo\n");
        assert!(msgs(&l)[0].ends_with("parsing [t.cfg:2] : unknown option 'foo'."));
        let l = load("program p1\n  option start-on-reload x\n");
        assert!(msgs(&l)[0]
            .ends_with("'option start-on-reload' cannot handle unexpected argument 'x'."));
        let l =
            load("program p1\n  user nosuchuser\n  user root\n  user root\n  group nosuchgroup\n");
        let m = msgs(&l);
        assert!(m[0].ends_with("cannot find user id for 'nosuchuser' (0:Success)"));
        assert!(m[1].ends_with("parsing [t.cfg:4] : user/uid already specified. Continuing."));
        assert!(m[2].ends_with("cannot find group id for 'nosuchgroup' (0:Success)"));
        let l = load("program p1\n  user root\nprogram p1\n");
        assert!(msgs(&l)[0].ends_with(
            "parsing [t.cfg:3]: 'p1' program section already exists in the configuration."
        ));
    }

    #[test]
    fn program_checks() {
        let l = load("program p1\nprogram p2\n");
        let m = msgs(&l);
        assert!(m[0].ends_with("config : The program section 'p1' lacks a command to launch."));
        assert!(m[1].ends_with("config : The program section 'p2' lacks a command to launch."));
        assert!(m[2].ends_with("Can't use a 'program' section without master worker mode."));
        let l = load("program p1\n  command /bin/true x\n  no option start-on-reload\n");
        assert!(!msgs(&l)[0].contains("lacks a command"));
    }
}
