//! Deterministic mutations of valid configurations: each one introduces one typical
//! mistake (unknown keyword, bad number, bad time unit, unknown backend, duplicate server,
//! bad port, missing argument), so that the mutation test checks that haproxy-rs rejects
//! broken configurations where and as HAProxy 2.6 does, not only that it accepts good ones.
//!
//! Lines are handled as plain words; lines with quotes or backslashes are never mutated
//! (rewriting them faithfully would need HAProxy's full lexer, and they are rare).

/// The kind of mistake a mutant carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    UnknownKeyword,
    BadNumber,
    BadTimeUnit,
    UnknownBackend,
    DuplicateServer,
    BadPort,
    MissingArgument,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::UnknownKeyword,
        Kind::BadNumber,
        Kind::BadTimeUnit,
        Kind::UnknownBackend,
        Kind::DuplicateServer,
        Kind::BadPort,
        Kind::MissingArgument,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::UnknownKeyword => "unknown-keyword",
            Kind::BadNumber => "bad-number",
            Kind::BadTimeUnit => "bad-time-unit",
            Kind::UnknownBackend => "unknown-backend",
            Kind::DuplicateServer => "duplicate-server",
            Kind::BadPort => "bad-port",
            Kind::MissingArgument => "missing-argument",
        }
    }
}

/// One mutated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    pub kind: Kind,
    /// 1-based line number of the changed (or inserted) line in the mutated text.
    pub line: usize,
    /// What was done, for reports (`line 12: 'maxconn 100' -> 'maxconn 12x'`).
    pub desc: String,
    pub text: String,
}

const SECTIONS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "peers",
    "resolvers",
    "userlist",
    "mailers",
    "program",
    "http-errors",
    "ring",
    "cache",
    "fcgi-app",
    "dynamic-update",
];

const PROXY_SECTIONS: &[&str] = &["defaults", "frontend", "backend", "listen"];

/// Numeric server settings whose value a bad-number mutant replaces.
const SERVER_NUMBERS: &[&str] = &["weight", "rise", "fall", "inter", "maxconn"];

const BAD_NUMBERS: &[&str] = &["12x", "-5", "abc"];
const BAD_PORTS: &[&str] = &["99999", "0", "abc"];

/// A configuration line split for mutation.
struct Src<'a> {
    /// 0-based index in the file.
    idx: usize,
    indent: &'a str,
    /// Words before any comment; empty when the line must not be rewritten.
    words: Vec<&'a str>,
    /// Section the line belongs to (the header line belongs to its own section).
    section: &'a str,
}

fn split_lines(text: &str) -> Vec<Src<'_>> {
    let mut section = "";
    let mut out = Vec::new();
    for (idx, raw) in text.split('\n').enumerate() {
        let code = raw.split('#').next().unwrap_or("");
        let first = code.split_whitespace().next().unwrap_or("");
        if SECTIONS.contains(&first) {
            section = first;
        }
        let rewritable = !raw.contains(['"', '\'', '\\']);
        let indent_len = raw.len() - raw.trim_start().len();
        out.push(Src {
            idx,
            indent: &raw[..indent_len],
            words: if rewritable {
                code.split_whitespace().collect()
            } else {
                Vec::new()
            },
            section,
        });
    }
    out
}

/// Text with line `idx` replaced by `new` (or with `new` inserted after it).
fn edit(text: &str, idx: usize, new: &str, insert_after: bool) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    if insert_after {
        lines.insert(idx + 1, new);
    } else {
        lines[idx] = new;
    }
    lines.join("\n")
}

fn rewrite(l: &Src<'_>, words: &[&str]) -> String {
    format!("{}{}", l.indent, words.join(" "))
}

fn replaced(l: &Src<'_>, i: usize, by: &str) -> String {
    let mut w = l.words.clone();
    w[i] = by;
    rewrite(l, &w)
}

fn is_int(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Every mutant of `text`, in a stable order (by line, then kind, then variant).
pub fn all_mutants(text: &str) -> Vec<Mutant> {
    let mut out = Vec::new();
    for l in &split_lines(text) {
        mutants_of_line(text, l, &mut out);
    }
    out
}

fn mutants_of_line(text: &str, l: &Src<'_>, out: &mut Vec<Mutant>) {
    let Some(&kw) = l.words.first() else { return };
    let w = &l.words;
    let in_proxy = PROXY_SECTIONS.contains(&l.section);
    let old = rewrite(l, w);
    let mut push = |kind: Kind, new: String, insert: bool| {
        let line = l.idx + 1 + usize::from(insert);
        let desc = if insert {
            format!("line {line}: inserted '{}'", new.trim())
        } else {
            format!("line {line}: '{}' -> '{}'", old.trim(), new.trim())
        };
        out.push(Mutant {
            kind,
            line,
            desc,
            text: edit(text, l.idx, &new, insert),
        });
    };

    if SECTIONS.contains(&kw) && (kw == "global" || PROXY_SECTIONS.contains(&kw)) {
        push(Kind::UnknownKeyword, "    frobnicate 1".to_string(), true);
    }
    if (kw == "maxconn" || kw == "retries") && w.len() == 2 && is_int(w[1]) {
        for bad in BAD_NUMBERS {
            push(Kind::BadNumber, replaced(l, 1, bad), false);
        }
    }
    if in_proxy && (kw == "server" || kw == "default-server") {
        let first_opt = if kw == "server" { 3 } else { 1 };
        for i in first_opt..w.len().saturating_sub(1) {
            if SERVER_NUMBERS.contains(&w[i]) && w[i + 1].starts_with(|c: char| c.is_ascii_digit())
            {
                for bad in BAD_NUMBERS {
                    push(Kind::BadNumber, replaced(l, i + 1, bad), false);
                }
            }
        }
    }
    if kw == "timeout" && w.len() == 3 {
        push(Kind::BadTimeUnit, replaced(l, 2, "10q"), false);
        push(Kind::MissingArgument, rewrite(l, &w[..2]), false);
    }
    if in_proxy && (kw == "default_backend" || kw == "use_backend") && w.len() >= 2 {
        push(
            Kind::UnknownBackend,
            replaced(l, 1, "no_such_backend"),
            false,
        );
    }
    if in_proxy && l.section != "defaults" && kw == "server" && w.len() >= 3 {
        push(Kind::DuplicateServer, rewrite(l, w), true);
    }
    let addr_at = match kw {
        "bind" if in_proxy => Some(1),
        "server" if in_proxy => Some(2),
        _ => None,
    };
    if let Some(i) = addr_at.filter(|&i| i < w.len()) {
        if let Some((host, port)) = w[i].rsplit_once(':') {
            if is_int(port) && !w[i].contains(',') {
                for bad in BAD_PORTS {
                    push(
                        Kind::BadPort,
                        replaced(l, i, &format!("{host}:{bad}")),
                        false,
                    );
                }
            }
        }
    }
    if (kw == "maxconn" || kw == "balance") && w.len() == 2 {
        push(Kind::MissingArgument, rewrite(l, &w[..1]), false);
    }
    if in_proxy && kw == "server" && w.len() >= 3 {
        push(Kind::MissingArgument, rewrite(l, &w[..2]), false);
    }
}

/// FNV-1a, to pick mutation sites from the file name: stable across runs and platforms.
pub fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Picks at most `max` mutants of config `name`, of distinct kinds where possible: kinds are
/// visited in a rotation that starts at a name-dependent kind, and within a kind one site is
/// chosen by hash. Deterministic, so a failure reproduces by name.
pub fn select(name: &str, mutants: Vec<Mutant>, max: usize) -> Vec<Mutant> {
    let start = (fnv(name) % Kind::ALL.len() as u64) as usize;
    let mut picked = Vec::new();
    for k in 0..Kind::ALL.len() {
        if picked.len() >= max {
            break;
        }
        let kind = Kind::ALL[(start + k) % Kind::ALL.len()];
        let of_kind: Vec<&Mutant> = mutants.iter().filter(|m| m.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let i = (fnv(&format!("{name}/{}", kind.name())) % of_kind.len() as u64) as usize;
        picked.push(of_kind[i].clone());
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = "global\n    maxconn 100 # max\n\ndefaults\n    timeout connect 5s\n\
                       frontend fe\n    bind :80\n    default_backend be\n\
                       backend be\n    balance roundrobin\n    server s1 127.0.0.1:8080 check weight 10\n";

    fn of_kind(k: Kind) -> Vec<Mutant> {
        all_mutants(CFG)
            .into_iter()
            .filter(|m| m.kind == k)
            .collect()
    }

    #[test]
    fn unknown_keyword_is_inserted_after_headers() {
        let m = of_kind(Kind::UnknownKeyword);
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].line, 2);
        assert!(m[0]
            .text
            .starts_with("global\n    frobnicate 1\n    maxconn 100"));
    }

    #[test]
    fn bad_numbers_cover_global_and_server_settings() {
        let m = of_kind(Kind::BadNumber);
        assert_eq!(m.len(), 6);
        assert!(m[0].text.contains("\n    maxconn 12x\n"), "{}", m[0].text);
        assert!(m[5].text.contains("check weight abc\n"));
        assert_eq!(m[5].line, 11);
    }

    #[test]
    fn other_kinds() {
        assert!(of_kind(Kind::BadTimeUnit)[0]
            .text
            .contains("timeout connect 10q\n"));
        assert!(of_kind(Kind::UnknownBackend)[0]
            .text
            .contains("default_backend no_such_backend\n"));
        let dup = &of_kind(Kind::DuplicateServer)[0];
        assert_eq!(dup.line, 12);
        assert_eq!(dup.text.matches("server s1 ").count(), 2);
        let ports: Vec<usize> = of_kind(Kind::BadPort).iter().map(|m| m.line).collect();
        assert_eq!(ports, vec![7, 7, 7, 11, 11, 11]);
        assert!(of_kind(Kind::BadPort)[4]
            .text
            .contains("server s1 127.0.0.1:0 check"));
        let missing: Vec<String> = of_kind(Kind::MissingArgument)
            .iter()
            .map(|m| m.desc.clone())
            .collect();
        assert_eq!(
            missing,
            vec![
                "line 2: 'maxconn 100' -> 'maxconn'",
                "line 5: 'timeout connect 5s' -> 'timeout connect'",
                "line 10: 'balance roundrobin' -> 'balance'",
                "line 11: 'server s1 127.0.0.1:8080 check weight 10' -> 'server s1'",
            ]
        );
    }

    #[test]
    fn quoted_lines_are_left_alone() {
        let m = all_mutants("global\n    maxconn \"100\"\n");
        assert!(m.iter().all(|m| m.kind == Kind::UnknownKeyword));
    }

    #[test]
    fn selection_is_deterministic_and_varied() {
        let a = select("x.cfg", all_mutants(CFG), 4);
        let b = select("x.cfg", all_mutants(CFG), 4);
        assert_eq!(a, b);
        assert_eq!(a.len(), 4);
        let mut kinds: Vec<Kind> = a.iter().map(|m| m.kind).collect();
        kinds.dedup();
        assert_eq!(kinds.len(), 4);
    }
}
