//! The corpus test: every real-world configuration in the shared corpus must get the same
//! `-c` verdict from haproxy-rs as from HAProxy 2.6 (same exit class, and when both reject,
//! the first alert on the same file:line).
//!
//! Run: `cargo test --test corpus -- --nocapture` (see compat/README.md for the variables).

mod common;

use common::{check, corpus_dir, corpus_files, jobs, oracle, par_map, rs_bin, Tally};
use std::time::Instant;

#[test]
fn corpus_agrees_with_haproxy() {
    let start = Instant::now();
    let haproxy = oracle();
    let rs = rs_bin();
    let dir = corpus_dir();
    let files = corpus_files(&dir);
    assert!(!files.is_empty(), "no .cfg files in {}", dir.display());

    let results = par_map(&files, jobs(), |name| {
        (check(&haproxy, &dir, name), check(&rs, &dir, name))
    });

    let mut tally = Tally::default();
    for (name, (ora, got)) in files.iter().zip(&results) {
        tally.record(name, ora, got);
    }
    println!("{}", tally.text_summary("corpus"));
    println!("corpus: took {:.1}s", start.elapsed().as_secs_f64());
    println!("{}", tally.summary("corpus"));
    assert_eq!(
        tally.disagree,
        0,
        "{} (see the DISAGREE lines above)",
        tally.summary("corpus")
    );
}

/// The shared helpers' own tests, here once rather than in every test binary that
/// includes `common`.
mod common_helpers {
    use super::common::*;
    use std::time::Duration;

    #[test]
    fn first_alert_strips_tag_and_pid() {
        let text = "[NOTICE]   (1) : hello\n\
                    [ALERT]    (4242) : config : parsing [a.cfg:7] : unknown keyword 'x'\n\
                    [ALERT]    (4242) : config : Fatal errors found in configuration.\n";
        assert_eq!(
            first_alert(text).as_deref(),
            Some("config : parsing [a.cfg:7] : unknown keyword 'x'")
        );
        assert_eq!(first_alert("[WARNING] (1) : x\n"), None);
    }

    #[test]
    fn alert_loc_reads_every_form() {
        assert_eq!(
            alert_loc("config : parsing [a.cfg:7] : x").as_deref(),
            Some("a.cfg:7")
        );
        assert_eq!(
            alert_loc("config : parsing [a.cfg:56]: Missing LF on last line").as_deref(),
            Some("a.cfg:56")
        );
        assert_eq!(
            alert_loc("config : [dir/a b.cfg:23] : 'server x/y' : could not resolve").as_deref(),
            Some("dir/a b.cfg:23")
        );
        assert_eq!(
            alert_loc("config : Fatal errors found in configuration."),
            None
        );
        assert_eq!(alert_loc("config : Proxy 'x': [no:loc]"), None);
    }

    fn outcome(class: Class, loc: Option<&str>) -> Outcome {
        Outcome {
            class,
            first_alert: loc.map(|l| format!("config : parsing [{l}] : x")),
            loc: loc.map(str::to_string),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn agreement_needs_class_and_location() {
        let a = outcome(Class::Invalid, Some("a.cfg:3"));
        let b = outcome(Class::Invalid, Some("a.cfg:4"));
        assert!(agree(&a, &a.clone()));
        assert!(!agree(&a, &b));
        assert!(!agree(&a, &outcome(Class::Valid, None)));
        assert!(agree(
            &outcome(Class::Valid, None),
            &outcome(Class::Valid, Some("a.cfg:9"))
        ));
    }

    #[test]
    fn par_map_keeps_order() {
        let v: Vec<usize> = (0..50).collect();
        assert_eq!(
            par_map(&v, 3, |x| x * 2),
            (0..50).map(|x| x * 2).collect::<Vec<_>>()
        );
    }
}
