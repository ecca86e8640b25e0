//! The mutation test: take every corpus configuration HAProxy 2.6 accepts, break it in one
//! typical way (see compat/mutate.rs) and check that haproxy-rs reaches the same verdict —
//! in particular that it rejects with the first alert on the same line.
//!
//! By default a few mutants per configuration are picked deterministically (to stay around two
//! minutes on two cores); `HAPROXY_RS_MUTATIONS=all` runs every mutant,
//! `HAPROXY_RS_MUTATIONS=<n>` picks up to n per configuration.
//!
//! Run: `cargo test --test mutations -- --nocapture`.

mod common;
#[path = "../compat/mutate.rs"]
mod mutate;

use common::{check, corpus_dir, corpus_files, jobs, oracle, par_map, rs_bin, Class, Tally};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Mutants per configuration when `HAPROXY_RS_MUTATIONS` is not set.
const DEFAULT_PER_CONFIG: usize = 4;

/// A scratch copy of the corpus layout: everything but the configurations is symlinked, so
/// that relative paths (`files/…`) in mutated configurations resolve as in the corpus.
struct Scratch(PathBuf);

impl Scratch {
    fn new(corpus: &Path) -> Scratch {
        let dir = std::env::temp_dir().join(format!("haproxy-rs-mutations-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        let corpus = corpus.canonicalize().expect("corpus path");
        for entry in std::fs::read_dir(&corpus).expect("list corpus").flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().ends_with(".cfg") {
                std::os::unix::fs::symlink(entry.path(), dir.join(&name)).expect("symlink");
            }
        }
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn per_config() -> Option<usize> {
    match std::env::var("HAPROXY_RS_MUTATIONS").as_deref() {
        Ok("all") => None,
        Ok(n) => Some(n.parse().expect("HAPROXY_RS_MUTATIONS: 'all' or a number")),
        Err(_) => Some(DEFAULT_PER_CONFIG),
    }
}

/// One mutated file to check.
struct Job {
    file: String,
    kind: mutate::Kind,
    desc: String,
}

#[test]
fn mutations_agree_with_haproxy() {
    let start = Instant::now();
    let haproxy = oracle();
    let rs = rs_bin();
    let corpus = corpus_dir();
    let files = corpus_files(&corpus);

    // Only configurations HAProxy accepts: a mutant of a rejected one tests nothing new.
    let verdicts = par_map(&files, jobs(), |name| check(&haproxy, &corpus, name).class);
    let accepted: Vec<&String> = files
        .iter()
        .zip(&verdicts)
        .filter(|(_, c)| matches!(c, Class::Valid | Class::NoListener))
        .map(|(f, _)| f)
        .collect();
    assert!(
        !accepted.is_empty(),
        "HAProxy accepts no corpus configuration?"
    );

    let scratch = Scratch::new(&corpus);
    let mut jobs_list = Vec::new();
    let mut candidates = 0;
    for name in &accepted {
        let text = std::fs::read_to_string(corpus.join(name)).expect("read config");
        let all = mutate::all_mutants(&text);
        candidates += all.len();
        let chosen = match per_config() {
            Some(n) => mutate::select(name, all, n),
            None => all,
        };
        let stem = name.trim_end_matches(".cfg");
        for (i, m) in chosen.into_iter().enumerate() {
            let file = format!("{stem}.mut{i}-{}.cfg", m.kind.name());
            std::fs::write(scratch.0.join(&file), &m.text).expect("write mutant");
            jobs_list.push(Job {
                file,
                kind: m.kind,
                desc: m.desc,
            });
        }
    }

    let results = par_map(&jobs_list, jobs(), |j| {
        (
            check(&haproxy, &scratch.0, &j.file),
            check(&rs, &scratch.0, &j.file),
        )
    });

    let mut tally = Tally::default();
    // Per kind: agree, disagree, and how many of the mutants HAProxy rejects.
    let mut by_kind: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for (j, (ora, got)) in jobs_list.iter().zip(&results) {
        let before = tally.disagree;
        tally.record(&format!("{} ({})", j.file, j.desc), ora, got);
        let e = by_kind.entry(j.kind.name()).or_default();
        if tally.disagree == before {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
        e.2 += usize::from(ora.class == Class::Invalid);
    }
    for (kind, (a, d, rejected)) in &by_kind {
        println!(
            "mutations[{kind}]: {a} agree, {d} disagree ({rejected} of {} rejected by HAProxy)",
            a + d
        );
    }
    println!(
        "mutations: {} mutants (of {candidates} possible) of {} accepted configs, took {:.1}s",
        jobs_list.len(),
        accepted.len(),
        start.elapsed().as_secs_f64()
    );
    println!("{}", tally.text_summary("mutations"));
    println!("{}", tally.summary("mutations"));
    assert_eq!(
        tally.disagree,
        0,
        "{} (see the DISAGREE lines above)",
        tally.summary("mutations")
    );
}
