#!/usr/bin/env bash
# Fuzzes the configuration parser, or another target of fuzz/:
#   scripts/fuzz.sh [seconds] [target]   (defaults: 600, config_parse; also: h1_message)
# cargo-fuzz needs nightly features; on a stable toolchain RUSTC_BOOTSTRAP=1 enables them.
# New inputs go to a scratch corpus (the committed seed corpus stays read-only); crashes
# land in fuzz/artifacts/<target>/ — add a reproducer to fuzz/corpus/<target>/
# once fixed, so tests/fuzz_corpus.rs keeps replaying it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-600}
target=${2:-config_parse}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "artifacts/$target"
# No sanitizer: the parser is safe Rust, where AddressSanitizer finds nothing the language
# does not already check, and it costs 3-4x the executions (measured: ~120 vs ~400 exec/s).
# Inputs are capped at 16 KiB: long enough for long-line handling, short enough to keep
# the rate up.
RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none "$target" "$work" "corpus/$target" -- \
    -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="artifacts/$target/"
