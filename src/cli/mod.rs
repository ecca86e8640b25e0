//! The `haproxy-rs` command line, with HAProxy's flags, messages and exit codes.

use crate::config::{self, Diag, ParseEnv};

/// Runs the program with `argv`; returns the exit code.
pub fn main(argv: Vec<String>) -> i32 {
    let mut files = Vec::new();
    let mut check = false;
    let mut i = 1;
    while i < argv.len() {
        match argv[i].as_str() {
            "-f" => {
                i += 1;
                if let Some(f) = argv.get(i) {
                    files.push(f.clone());
                }
            }
            "-c" => check = true,
            _ => {}
        }
        i += 1;
    }
    let mut diag = Diag::new();
    diag.echo = true;
    let loaded = config::load_files(&files, diag, ParseEnv::default());
    if loaded.config.is_none() {
        return 1;
    }
    if check {
        println!("Configuration file is valid");
    }
    0
}
