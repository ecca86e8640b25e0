#!/usr/bin/env bash
# Builds and installs the haproxy-rs C library: header, static and shared library and a
# pkg-config file. Usage: scripts/install-lib.sh [PREFIX] (default /usr/local).
#   PREFIX=/opt/hap scripts/install-lib.sh && \
#   PKG_CONFIG_PATH=/opt/hap/lib/pkgconfig cc app.c $(pkg-config --cflags --libs haproxy-rs)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-${PREFIX:-/usr/local}}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
cargo build --release --lib
install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 644 include/haproxy_rs.h "$prefix/include/"
install -m 644 target/release/libhaproxy_rs.a "$prefix/lib/"
install -m 755 target/release/libhaproxy_rs.so "$prefix/lib/"
sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBDIR@|\${prefix}/lib|" \
    -e "s|@INCLUDEDIR@|\${prefix}/include|" -e "s|@VERSION@|$version|" \
    haproxy-rs.pc.in > "$prefix/lib/pkgconfig/haproxy-rs.pc"
echo "installed haproxy-rs $version C library under $prefix"
