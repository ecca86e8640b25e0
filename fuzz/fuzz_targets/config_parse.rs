//! Arbitrary bytes as a configuration file: the parser must never panic, hang or abort,
//! whatever it is fed (it reads untrusted files, and the C API hands it caller text).
#![no_main]

use haproxy_rs::config::{self, Diag, ParseEnv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Offline: no DNS, no file checks, fixed CPU count, so runs are reproducible.
    let _ = config::load_str("fuzz.cfg", &text, Diag::new(), ParseEnv::offline());
});
