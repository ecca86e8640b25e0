//! Keyword coverage report: compares what `haproxy-rs -dKall` lists with what HAProxy 2.6
//! lists (`compat/keywords/reference/*.txt`, dumped with `haproxy -dK<class>`), and keeps
//! `compat/keywords/coverage.md` in step with the code.
//!
//! The test regenerates the report and fails when the committed one differs, so coverage
//! numbers in the repository cannot drift from the implementation.
//! `HAPROXY_RS_BLESS=1 cargo test --test coverage` rewrites it.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Keyword classes in HAProxy's `-dK` order, with the header line that opens each.
const CLASSES: &[(&str, &str, &str)] = &[
    ("acl", "# List of registered ACL keywords:", "ACL keywords"),
    (
        "cfg",
        "# List of registered configuration keywords:",
        "configuration keywords registered in tables",
    ),
    ("cli", "# List of registered CLI keywords:", "CLI commands"),
    (
        "cnv",
        "# List of registered sample converter functions:",
        "sample converters",
    ),
    ("flt", "# List of registered filter names:", "filters"),
    (
        "smp",
        "# List of registered sample fetch functions:",
        "sample fetches",
    ),
    ("svc", "# List of registered service names:", "services"),
    (
        "core",
        "# List of core configuration keywords:",
        "core configuration keywords (not in HAProxy's dump, see below)",
    ),
];

type Keywords = BTreeMap<&'static str, BTreeSet<String>>;

/// Parses a `-dK` dump (any subset of classes, in any order) into keyword names per class.
/// Annotations (`+1` argument counts, `[ FE HTTP ]`, `[WORKER]`, signatures) are dropped so
/// that only the keyword itself is compared.
fn parse_dump(text: &str) -> Keywords {
    let mut out = Keywords::new();
    let mut class: Option<&'static str> = None;
    let mut section = String::new();
    for line in text.lines() {
        if let Some(&(c, _, _)) = CLASSES.iter().find(|(_, h, _)| line.trim_end() == *h) {
            class = Some(c);
            out.entry(c).or_default();
            continue;
        }
        let Some(c) = class else { continue };
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let key = match c {
            "cfg" | "core" if !line.starts_with('\t') => {
                section = line.trim().to_string();
                Some(section.clone())
            }
            "cfg" | "core" => strip_annotations(line).map(|k| format!("{section} {}", cfg_key(&k))),
            "cli" => strip_annotations(line),
            "acl" => line.split(" = ").next().map(|s| s.trim().to_string()),
            "cnv" => Some(fn_name(line)),
            "smp" => line.split_once(']').map(|(_, rest)| fn_name(rest)),
            _ => line.split_whitespace().next().map(str::to_string),
        };
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            out.entry(c).or_default().insert(k);
        }
    }
    out
}

/// `option http-no-delay [ FE BE HTTP ]` → `option http-no-delay`;
/// `bind <addr> ssl crt +1` → `bind <addr> ssl crt`; `help [MASTER] [WORKER]` → `help`.
fn strip_annotations(line: &str) -> Option<String> {
    let words: Vec<&str> = line
        .split_whitespace()
        .take_while(|w| !w.starts_with('['))
        .filter(|w| !matches!(*w, "+1" | "+-1"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// HAProxy 2.6 prints the SSL bind keywords as `bind <addr> ssl crt` and prefix actions as
/// `set-var*`; haproxy-rs may print `bind <addr> crt` / `set-var`: both mean the same keyword.
fn cfg_key(k: &str) -> String {
    let k = k.trim_end_matches('*');
    match k.strip_prefix("bind <addr> ssl ") {
        Some(rest) => format!("bind <addr> {rest}"),
        None => k.to_string(),
    }
}

/// `add(string): sint => sint` → `add`; `always_true: bool` → `always_true`.
fn fn_name(s: &str) -> String {
    let s = s.trim();
    let end = s.find(['(', ':']).unwrap_or(s.len());
    s[..end].trim().to_string()
}

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat/keywords/reference")
}

fn report_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compat/keywords/coverage.md")
}

fn reference() -> Keywords {
    let mut text = String::new();
    for (c, _, _) in CLASSES {
        let p = reference_dir().join(format!("{c}.txt"));
        text += &std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
        text.push('\n');
    }
    parse_dump(&text)
}

/// The `-dK` dump of `bin`. HAProxy only dumps once it has a configuration to load, so it
/// is run as `-dKall -q -c -f /dev/null`; only stdout is read, the exit status is not judged.
fn dump_of(bin: &Path) -> String {
    let out = Command::new(bin)
        .args(["-dKall", "-q", "-c", "-f", "/dev/null"])
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {} -dKall: {e}", bin.display()));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What haproxy-rs lists.
fn implemented() -> Keywords {
    parse_dump(&dump_of(&common::rs_bin()))
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        return "-".into();
    }
    format!("{:.1}%", 100.0 * n as f64 / d as f64)
}

fn code_list(items: &[&String]) -> String {
    items
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Missing (or extra) cfg keywords, one bullet per section so the list stays readable.
fn cfg_list(items: &[&String]) -> String {
    let mut by_section: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for k in items {
        let (s, kw) = k.split_once(' ').unwrap_or((k.as_str(), "(section)"));
        by_section.entry(s).or_default().push(kw);
    }
    by_section
        .iter()
        .map(|(s, kws)| {
            let list: Vec<String> = kws.iter().map(|k| format!("`{k}`")).collect();
            format!("- **{s}** ({}): {}\n", kws.len(), list.join(", "))
        })
        .collect()
}

/// For class `c`: (implemented, missing, extra) keywords. The `core` list is matched against
/// haproxy-rs's `cfg` class, and `cfg` extras exclude core keywords.
fn class_sets<'a>(
    c: &str,
    reference: &'a Keywords,
    got: &'a Keywords,
) -> (Vec<&'a String>, Vec<&'a String>, Vec<&'a String>) {
    static EMPTY: BTreeSet<String> = BTreeSet::new();
    let r = reference.get(c).unwrap_or(&EMPTY);
    let g = got
        .get(if c == "core" { "cfg" } else { c })
        .unwrap_or(&EMPTY);
    let core = reference.get("core").unwrap_or(&EMPTY);
    let implemented = r.intersection(g).collect();
    let missing = r.difference(g).collect();
    let extra = match c {
        "core" => Vec::new(),
        "cfg" => g.difference(r).filter(|k| !core.contains(*k)).collect(),
        _ => g.difference(r).collect(),
    };
    (implemented, missing, extra)
}

fn list_for(c: &str, items: &[&String]) -> String {
    if c == "cfg" || c == "core" {
        cfg_list(items) + "\n"
    } else {
        code_list(items) + "\n\n"
    }
}

fn render(reference: &Keywords, got: &Keywords) -> String {
    let mut s = String::new();
    s += "# Keyword coverage: haproxy-rs against HAProxy 2.6\n\n";
    s += "Generated by `tests/coverage.rs` from `haproxy-rs -dKall` and the lists in\n";
    s += "`compat/keywords/reference/`. Do not edit: regenerate with\n";
    s += "`HAPROXY_RS_BLESS=1 cargo test --test coverage`.\n\n";
    s += "A keyword counts as implemented when haproxy-rs lists it; that means it parses and\n";
    s += "validates, not that it has a runtime (see \"Parsed but not active yet\" in\n";
    s += "`compat/README.md`).\n\n";
    s += "| class | what | implemented | total | coverage | extra |\n";
    s += "|---|---|---:|---:|---:|---:|\n";
    let (mut ti, mut tt, mut te) = (0, 0, 0);
    for (c, _, what) in CLASSES {
        let (i, m, e) = class_sets(c, reference, got);
        let total = i.len() + m.len();
        s += &format!(
            "| {c} | {what} | {} | {total} | {} | {} |\n",
            i.len(),
            pct(i.len(), total),
            e.len()
        );
        (ti, tt, te) = (ti + i.len(), tt + total, te + e.len());
    }
    s += &format!(
        "| **all** | | **{ti}** | **{tt}** | **{}** | {te} |\n\n",
        pct(ti, tt)
    );
    s += "`acl` … `svc` are HAProxy 2.6's own `-dK` dumps. HAProxy's `cfg` dump only shows\n";
    s +=
        "keywords registered in keyword tables, so `core` adds the keywords `cfg_parse_global()`\n";
    s += "and `cfg_parse_listen()` parse directly (`maxconn`, `bind`, `server`, `mode`, `balance`,\n";
    s += "`option httplog`…), taken from the 2.6.0 source; they are matched against haproxy-rs's\n";
    s += "`cfg` list. Matching ignores annotations (`+1`, `[ FE ]`, `[WORKER]`, signatures), a\n";
    s += "trailing `*`, and the `ssl` scope word of `bind <addr> ssl <kw>`. Sub-keywords\n";
    s += "(`timeout client`, `stats uri`, rule actions such as `tcp-request content accept`) are\n";
    s += "not counted separately. \"extra\" counts what haproxy-rs lists beyond these lists.\n\n";
    s += "## Evaluated at run time (sample engine)\n\n";
    s += "Of the keywords above, those the runtime evaluates (`src/sample`); the others parse\n";
    s += "and a rule using one warns `… parsed but not active yet` and never matches.\n\n";
    s += "| class | runs | total | coverage |\n|---|---:|---:|---:|\n";
    type Runs = fn(&str) -> bool;
    let runs: [(&str, Runs); 3] = [
        ("acl", haproxy_rs::sample::coverage::acl_runs),
        ("smp", haproxy_rs::sample::coverage::fetch_runs),
        ("cnv", haproxy_rs::sample::coverage::conv_runs),
    ];
    let mut not_run = Vec::new();
    for (c, f) in runs {
        static EMPTY: BTreeSet<String> = BTreeSet::new();
        let all = reference.get(c).unwrap_or(&EMPTY);
        let ok: Vec<&String> = all.iter().filter(|k| f(k)).collect();
        let no: Vec<&String> = all.iter().filter(|k| !f(k)).collect();
        s += &format!(
            "| {c} | {} | {} | {} |\n",
            ok.len(),
            all.len(),
            pct(ok.len(), all.len())
        );
        not_run.push((c, no));
    }
    s += "\n";
    for (c, no) in not_run {
        s += &format!("### {c}: not evaluated yet ({})\n\n", no.len());
        s += &list_for(c, &no);
    }
    s += "## Missing\n\n";
    for (c, _, what) in CLASSES {
        let (_, missing, _) = class_sets(c, reference, got);
        s += &format!("### {c}: {what} ({} missing)\n\n", missing.len());
        if missing.is_empty() {
            s += "None.\n\n";
        } else {
            s += &list_for(c, &missing);
        }
    }
    s += "## Extra (listed by haproxy-rs, in none of the lists)\n\n";
    for (c, _, _) in CLASSES {
        let (_, _, extra) = class_sets(c, reference, got);
        if !extra.is_empty() {
            s += &format!("### {c} ({})\n\n", extra.len());
            s += &list_for(c, &extra);
        }
    }
    s
}

#[test]
fn coverage_report_is_up_to_date() {
    let reference = reference();
    let got = implemented();
    let report = render(&reference, &got);
    let fresh = std::env::temp_dir().join(format!("haproxy-rs-coverage-{}.md", std::process::id()));
    std::fs::write(&fresh, &report).expect("write regenerated report");
    let path = report_path();
    if std::env::var("HAPROXY_RS_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, &report).expect("write coverage.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let same = committed == report;
    if same {
        let _ = std::fs::remove_file(&fresh);
    }
    assert!(
        same,
        "{} is out of date (regenerated: {}); run `HAPROXY_RS_BLESS=1 cargo test --test coverage`",
        path.display(),
        fresh.display()
    );
}

/// The committed dumps are exactly what the oracle prints, so they can be refreshed from it.
#[test]
fn reference_lists_are_the_oracle_dump() {
    let oracle = common::oracle();
    let mut committed = String::new();
    for (c, _, _) in CLASSES.iter().filter(|(c, _, _)| *c != "core") {
        let p = reference_dir().join(format!("{c}.txt"));
        committed += &std::fs::read_to_string(&p).expect("read reference");
    }
    assert!(
        dump_of(&oracle) == committed,
        "compat/keywords/reference/*.txt differ from `{} -dKall -q -c -f /dev/null`",
        oracle.display()
    );
}

#[test]
fn reference_lists_parse_completely() {
    let r = reference();
    let count = |c: &str| r.get(c).map_or(0, BTreeSet::len);
    // Line counts of the dumps minus headers (and, for smp, its comment banner); cli keywords
    // listed for both master and worker appear once.
    assert_eq!(count("acl"), 77);
    assert_eq!(count("flt"), 6);
    assert_eq!(count("svc"), 1);
    assert_eq!(count("cnv"), 135);
    assert_eq!(count("cli"), 130);
    assert_eq!(count("smp"), 453);
    // 488 keyword lines under 6 section headers.
    assert_eq!(count("cfg"), 492);
    // 73 global + 52 listen keywords + 22 options, under 2 section headers.
    assert_eq!(count("core"), 149);
    assert!(r["core"].contains("listen option httplog"));
    assert!(r["core"].contains("global maxconn"));
    let cfg_kws: BTreeSet<String> = r["cfg"]
        .iter()
        .filter(|k| k.contains(' '))
        .cloned()
        .collect();
    assert!(r["core"].is_disjoint(&cfg_kws));
    assert!(r["cfg"].contains("listen bind <addr> crt"));
    assert!(r["cfg"].contains("listen http-request set-var"));
    assert!(r["cfg"].contains("listen option http-no-delay"));
    assert!(r["cfg"].contains("userlist"));
    assert!(r["cli"].contains("debug dev bug"));
    assert!(r["smp"].contains("avg_queue"));
    assert!(r["cnv"].contains("add_item"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_class_shape() {
        let dump = "# List of registered ACL keywords:\nbase_beg = base -m beg\n\
                    # List of registered configuration keywords:\nglobal\n\tmaxsslconn\n\
                    listen\n\tbind <addr> backlog +1\n\toption abortonclose [ BE ]\n\
                    # List of registered CLI keywords:\nhelp [MASTER] [WORKER] \n\
                    # List of registered sample converter functions:\nbool: bool => sint\n\
                    # List of registered sample fetch functions:\n# banner\n\
                    [ Y . ] be_conn(backend): sint\n\
                    # List of registered filter names:\ncache [CACHE]\n";
        let k = parse_dump(dump);
        let v = |c: &str| k[c].iter().cloned().collect::<Vec<_>>();
        assert_eq!(v("acl"), ["base_beg"]);
        assert_eq!(
            v("cfg"),
            [
                "global",
                "global maxsslconn",
                "listen",
                "listen bind <addr> backlog",
                "listen option abortonclose"
            ]
        );
        assert_eq!(v("cli"), ["help"]);
        assert_eq!(v("cnv"), ["bool"]);
        assert_eq!(v("smp"), ["be_conn"]);
        assert_eq!(v("flt"), ["cache"]);
        assert!(!k.contains_key("svc"));
    }

    #[test]
    fn render_counts_and_lists() {
        let r = parse_dump("# List of registered filter names:\ncache [X]\nspoe [Y]\n");
        let g = parse_dump("# List of registered filter names:\ncache\nzzz\n");
        let md = render(&r, &g);
        assert!(md.contains("| flt | filters | 1 | 2 | 50.0% | 1 |"), "{md}");
        assert!(md.contains("### flt: filters (1 missing)\n\n`spoe`"));
        assert!(md.contains("### flt (1)\n\n`zzz`"));
    }
}
