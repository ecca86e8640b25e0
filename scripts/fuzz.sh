#!/usr/bin/env bash
# Fuzzes the configuration parser: scripts/fuzz.sh [seconds] (default 600).
# cargo-fuzz needs nightly features; on a stable toolchain RUSTC_BOOTSTRAP=1 enables them.
# New inputs go to a scratch corpus (the committed seed corpus stays read-only); crashes
# land in fuzz/artifacts/config_parse/ — add a reproducer to fuzz/corpus/config_parse/
# once fixed, so tests/fuzz_corpus.rs keeps replaying it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-600}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p artifacts/config_parse
RUSTC_BOOTSTRAP=1 cargo fuzz run config_parse "$work" corpus/config_parse -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=artifacts/config_parse/
