//! Loads configuration files and serves them with the quickstart runtime, without the rest
//! of the command line. Accepts the `haproxy -d -f <file>…` form (other flags ignored), so
//! the integration tests can drive it like the binary:
//! `cargo run --example run -- -d -f examples/quickstart.cfg`.

use haproxy_rs::config::{self, Diag, ParseEnv};
use haproxy_rs::runtime::{self, RunOpts};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-f" => files.extend(it.next().cloned()),
            s if !s.starts_with('-') => files.push(s.to_string()),
            _ => {}
        }
    }
    let mut diag = Diag::new();
    diag.echo = true;
    let loaded = config::load_files(&files, diag, ParseEnv::default());
    let Some(cfg) = loaded.config else {
        std::process::exit(1);
    };
    let opts = RunOpts {
        foreground: true,
        ..RunOpts::default()
    };
    std::process::exit(runtime::run(cfg, &opts));
}
