//! Arbitrary bytes as a client's request and as a server's response, cut into arbitrary
//! reads: the HTTP/1 message layer (`haproxy_rs::http`) must never panic, must decide the
//! same whatever the cuts, and must forward heads that parse back to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    haproxy_rs::http::check::check_message(data);
});
