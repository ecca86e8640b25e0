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
