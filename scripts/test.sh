#!/usr/bin/env bash
# Runs every check of haproxy-rs, as CI does: formatting, lints, build, and all tests
# (unit, integration, the C programs against the C API, the fuzz corpus replay, the
# quickstart end to end, the differential traffic suite against HAProxy). Installs what the tests need when it is missing.
#
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CBINDGEN_VERSION=0.29.0   # keep in sync with cbindgen.toml and tests/ffi.rs
start=$(date +%s)

step() { printf '\n== %s\n' "$*"; }

install_system_packages() {
    local missing=()
    command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
    command -v curl >/dev/null 2>&1 || missing+=(curl)
    command -v socat >/dev/null 2>&1 || missing+=(socat)
    command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
    command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
    command -v pkg-config >/dev/null 2>&1 || missing+=(pkgconf)
    # openssl-sys (sha1/sha2/digest/hmac converters, TLS later) links the system OpenSSL.
    [ -e /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        step "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "warning: missing ${missing[*]} (not root or no apt-get): related checks are skipped"
    fi
}

install_cbindgen() {
    if ! cbindgen --version 2>/dev/null | grep -qF "$CBINDGEN_VERSION"; then
        step "installing cbindgen $CBINDGEN_VERSION"
        cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
    fi
}

# HAProxy 2.6's own reg-tests (their haproxy configurations are replayed by
# tests/vtest_contract.rs). They come from Debian's haproxy source package, the same upstream
# release as the oracle binary, downloaded into target/ and never committed.
fetch_regtests() {
    local dir=target/haproxy-src
    if [ -n "${HAPROXY_RS_REGTESTS:-}" ] && [ -d "$HAPROXY_RS_REGTESTS" ]; then return 0; fi
    if [ ! -d "$dir/reg-tests" ]; then
        step "fetching HAProxy 2.6 reg-tests (Debian source package)"
        local tmp; tmp=$(mktemp -d)
        mkdir -p "$tmp/lists/partial" "$tmp/parts"
        cat > "$tmp/parts/src.sources" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        local aptopts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$tmp/parts"
                       -o "Dir::State::Lists=$tmp/lists" -o APT::Sandbox::User=root)
        apt-get "${aptopts[@]}" update -qq >/dev/null
        (cd "$tmp" && apt-get "${aptopts[@]}" source --download-only -qq haproxy >/dev/null)
        mkdir -p "$dir"
        tar -xzf "$tmp"/haproxy_2.6*.orig.tar.gz -C "$dir" --strip-components=1 --wildcards '*/reg-tests'
        rm -rf "$tmp"
    fi
    export HAPROXY_RS_REGTESTS="$PWD/$dir/reg-tests"
}

install_system_packages
install_cbindgen
fetch_regtests

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

step "cargo build"
cargo build

step "cargo test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The queue's hand-off under loom: every interleaving of the modelled threads (its own
# target directory, since --cfg loom rebuilds the crate and its dependencies).
step "loom models of the queue hand-off"
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test --release --lib queue::loom 2>&1 | tee -a "$log"
loom_status=${PIPESTATUS[0]}
[ "$status" -ne 0 ] || status=$loom_status
set -e

# One closing line for the whole run, summed over every test binary.
read -r passed failed ignored < <(awk '
    /^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed;?/) p += $i
            if ($(i+1) ~ /^failed;?/) f += $i
            if ($(i+1) ~ /^ignored;?/) g += $i
        }
    }
    END { print p+0, f+0, g+0 }' "$log")
echo
echo "(took $(( $(date +%s) - start )) s)"
echo "summary: ${passed} passed, ${failed} failed, ${ignored} skipped"
exit "$status"
