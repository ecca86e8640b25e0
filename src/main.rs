//! The `haproxy-rs` binary: HAProxy's command line.

fn main() {
    std::process::exit(haproxy_rs::cli::main(std::env::args().collect()));
}
