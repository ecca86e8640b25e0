//! Replays the fuzzer's seed corpus (`fuzz/corpus/config_parse/`: the shared real-world
//! configurations plus edge cases, and any crash reproducers added there) through the
//! parser in-process, so a parser panic or hang fails `cargo test` without a fuzzing run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

use haproxy_rs::config::{self, Diag, ParseEnv};

/// Per-input budget in a debug build; the slowest real configuration takes milliseconds.
const BUDGET: Duration = Duration::from_secs(5);

#[test]
fn corpus_never_panics_or_hangs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/config_parse");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "corpus missing in {}", dir.display());
    let mut failures = Vec::new();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&data).into_owned();
        let start = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| {
            config::load_str("fuzz.cfg", &text, Diag::new(), ParseEnv::offline())
        }));
        let took = start.elapsed();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        match r {
            Err(_) => failures.push(format!("{name}: panicked")),
            Ok(_) if took > BUDGET => failures.push(format!("{name}: took {took:?}")),
            Ok(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} input(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{} corpus inputs replayed", files.len());
}

/// The message-layer seeds (`fuzz/corpus/h1_message/`) and any reproducers added there.
#[test]
fn h1_message_corpus_holds_invariants() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/h1_message");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(e.unwrap().path()).unwrap();
        haproxy_rs::http::check::check_message(&data);
        n += 1;
    }
    assert!(n >= 4);
}
