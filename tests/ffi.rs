//! The C face, tested from C: `tests/c/*.c` are compiled with `cc` against the committed
//! header and the static library, then run (and run under valgrind when it is installed).
//! Also checks that `include/haproxy_rs.h` is what the pinned cbindgen generates today.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The cbindgen version the committed header is generated with (see cbindgen.toml).
const CBINDGEN_VERSION: &str = "0.29.0";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `target/debug` (or wherever Cargo put this build).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_haproxy-rs"))
        .parent()
        .expect("binary has a directory")
        .to_path_buf()
}

/// Where `libhaproxy_rs.a` / `.so` of this very build are: `target/debug/deps`. Cargo
/// compiles the library with all its crate types (rlib, cdylib, staticlib) into `deps/`
/// as a dependency of this test, so a bare `cargo test --test ffi` on a fresh tree has
/// them, up to date; only `cargo build` copies them up to `target/debug/`, and that copy
/// can be stale (or missing) when the tests were built without it.
fn lib_dir() -> PathBuf {
    let deps = target_dir().join("deps");
    for lib in ["libhaproxy_rs.a", "libhaproxy_rs.so"] {
        assert!(
            deps.join(lib).exists(),
            "{} not built (is crate-type still rlib + cdylib + staticlib?)",
            deps.join(lib).display()
        );
    }
    deps
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hap-rs-ffi-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// A required tool is missing: fail under CI (scripts/test.sh installs it), skip locally.
fn missing(tool: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{tool} is required under CI (scripts/test.sh installs it)"
    );
    eprintln!("{tool} not installed: skipped");
}

fn build_c(src: &str) -> PathBuf {
    // One directory per program: tests run in parallel and each removes its own.
    let stem = src.trim_end_matches(".c");
    let out = scratch(&format!("c-{stem}")).join(stem);
    let lib = lib_dir().join("libhaproxy_rs.a");
    let st = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-I"])
        .arg(root().join("include"))
        .arg(root().join("tests/c").join(src))
        .arg(&lib)
        .args(["-lssl", "-lcrypto", "-lpthread", "-ldl", "-lm", "-o"])
        .arg(&out)
        .status()
        .expect("run cc");
    assert!(st.success(), "cc failed for {src}");
    out
}

fn run_c(exe: &Path) {
    run_c_env(exe, &[], &[]);
}

/// Runs `exe` with `env`, then under valgrind (when installed) with `valgrind_env`
/// (e.g. fewer operations: valgrind serializes threads and is ~50x slower).
fn run_c_env(exe: &Path, env: &[(&str, &str)], valgrind_env: &[(&str, &str)]) {
    let out = Command::new(exe)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} failed:\n{}{}",
        exe.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if have("valgrind") {
        let out = Command::new("valgrind")
            .args(["-q", "--error-exitcode=1", "--leak-check=full"])
            .arg(exe)
            .envs(valgrind_env.iter().copied())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "valgrind found errors in {}:\n{}",
            exe.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        eprintln!("valgrind not installed: memory checks skipped");
    }
}

#[test]
fn c_check_config_program() {
    if !have("cc") {
        return missing("cc");
    }
    let exe = build_c("check_config.c");
    run_c(&exe);
    let _ = std::fs::remove_dir_all(exe.parent().unwrap());
}

/// The deterministic queue scenarios (D1-D8, D10, D12, D13; slowstart, maxqueue setter,
/// persistence flags, server deletion, accessors) and bad input.
#[test]
fn c_queue_basic_program() {
    if !have("cc") {
        return missing("cc");
    }
    let exe = build_c("queue_basic.c");
    run_c(&exe);
    let _ = std::fs::remove_dir_all(exe.parent().unwrap());
}

/// 8 threads, 2 servers with maxconn 1: no stranded stream, no overshoot, counters back
/// to zero. Three runs natively, one shorter run under valgrind (when installed).
#[test]
fn c_queue_stress_program() {
    if !have("cc") {
        return missing("cc");
    }
    let exe = build_c("queue_stress.c");
    for _ in 0..2 {
        run_c_env(&exe, &[], &[]);
    }
    run_c_env(
        &exe,
        &[("HAP_STRESS_OPS", "20000")],
        &[
            ("HAP_STRESS_OPS", "2000"),
            ("HAP_STRESS_WATCHDOG_MS", "30000"),
        ],
    );
    let _ = std::fs::remove_dir_all(exe.parent().unwrap());
}

/// S6: servers deleted (and churned) under load from 8 threads: no stranded stream, no
/// slot on a server already deleted, counters back to zero. 50000 operations natively,
/// 4000 under valgrind (when installed).
#[test]
fn c_queue_delete_stress_program() {
    if !have("cc") {
        return missing("cc");
    }
    let exe = build_c("queue_delete_stress.c");
    run_c_env(
        &exe,
        &[("HAP_STRESS_OPS", "50000")],
        &[
            ("HAP_STRESS_OPS", "4000"),
            ("HAP_STRESS_WATCHDOG_MS", "30000"),
        ],
    );
    let _ = std::fs::remove_dir_all(exe.parent().unwrap());
}

/// The embedding API: a C program loads a configuration directory, starts the proxy, sends
/// it HTTP requests answered by its own server thread, reads and changes the live backend
/// (a queued request seen through `hap_backend_totpend`), stops gracefully with a request
/// in flight; a bind conflict, free while running, the CLI's reply, bad input.
#[test]
fn c_embed_program() {
    if !have("cc") {
        return missing("cc");
    }
    let exe = build_c("embed.c");
    run_c(&exe);
    let _ = std::fs::remove_dir_all(exe.parent().unwrap());
}

/// The pkg-config template, filled in for this build tree, gives flags that build and
/// link the C program against the shared library.
#[test]
fn c_program_via_pkg_config_and_shared_library() {
    if !have("cc") {
        return missing("cc");
    }
    if !have("pkg-config") {
        return missing("pkg-config");
    }
    let dir = scratch("pc");
    let tpl = std::fs::read_to_string(root().join("haproxy-rs.pc.in")).unwrap();
    let pc = tpl
        .replace("@PREFIX@", &root().display().to_string())
        .replace("@LIBDIR@", &lib_dir().display().to_string())
        .replace("@INCLUDEDIR@", "${prefix}/include")
        .replace("@VERSION@", env!("CARGO_PKG_VERSION"));
    std::fs::write(dir.join("haproxy-rs.pc"), pc).unwrap();
    let flags = Command::new("pkg-config")
        .env("PKG_CONFIG_PATH", &dir)
        .args(["--cflags", "--libs", "haproxy-rs"])
        .output()
        .unwrap();
    assert!(
        flags.status.success(),
        "{}",
        String::from_utf8_lossy(&flags.stderr)
    );
    let flags = String::from_utf8(flags.stdout).unwrap();
    assert!(flags.contains("-lhaproxy_rs"), "{flags}");
    let exe = dir.join("check_config_shared");
    let st = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror"])
        .arg(root().join("tests/c/check_config.c"))
        .args(flags.split_whitespace())
        .arg(format!("-Wl,-rpath,{}", lib_dir().display()))
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap();
    assert!(st.success(), "cc with pkg-config flags failed");
    let out = Command::new(&exe).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn header_is_current() {
    let ok = Command::new("cbindgen")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(CBINDGEN_VERSION))
        .unwrap_or(false);
    if !ok {
        return missing(&format!("cbindgen {CBINDGEN_VERSION}"));
    }
    let dir = scratch("hdr");
    let fresh = dir.join("haproxy_rs.h");
    let out = Command::new("cbindgen")
        .current_dir(root())
        .args([
            "--quiet",
            "--config",
            "cbindgen.toml",
            "--crate",
            "haproxy-rs",
            "--output",
        ])
        .arg(&fresh)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cbindgen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = std::fs::read_to_string(&fresh).unwrap();
    let have = std::fs::read_to_string(root().join("include/haproxy_rs.h")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        want == have,
        "include/haproxy_rs.h is stale: run `cbindgen --config cbindgen.toml --crate haproxy-rs --output include/haproxy_rs.h`"
    );
}

#[test]
fn header_declares_the_contract_names() {
    let h = std::fs::read_to_string(root().join("include/haproxy_rs.h")).unwrap();
    for name in [
        "HAP_OK = 0",
        "HAP_ERR_NULL",
        "HAP_ERR_INVALID",
        "HAP_ERR_PANIC",
        "const char *hap_version(void);",
        "hap_result_message(hap_result result, char *buf, size_t len)",
        "hap_result hap_config_check(const char *cfg_text, size_t len, char *err, size_t errlen);",
        "HAP_QUEUED",
        "HAP_FULL",
        "HAP_NOSRV",
        "HAP_ERR_STATE",
        "typedef struct hap_backend hap_backend;",
        "typedef struct hap_server hap_server;",
        "typedef struct hap_stream hap_stream;",
        "HAP_SERVER_UP",
        "HAP_SERVER_DRAIN",
        "HAP_STREAM_NEW",
        "HAP_STREAM_QUEUED",
        "HAP_STREAM_ASSIGNED",
        "HAP_STREAM_EXPIRED",
        "HAP_STREAM_REDISPATCHED",
        "HAP_STREAM_RELEASED",
        "hap_backend_from_config(const char *cfg_text,",
        "void hap_backend_free(hap_backend *be);",
        "hap_server *hap_backend_server(hap_backend *be, const char *name);",
        "size_t hap_backend_expire(hap_backend *be, uint64_t now_ms);",
        "uint32_t hap_backend_totpend(const hap_backend *be);",
        "hap_result hap_server_set_state(hap_server *sv, hap_server_state st);",
        "hap_result hap_stream_new(hap_backend *be, hap_stream **out);",
        "void hap_stream_set_priority(hap_stream *s, int32_t klass, int32_t offset_ms);",
        "hap_result hap_stream_assign(hap_stream *s, uint64_t now_ms, hap_server **out);",
        "hap_stream_state hap_stream_get_state(const hap_stream *s, hap_server **out);",
        "void hap_stream_free(hap_stream *s);",
        "HAP_SERVER_STARTING",
        "HAP_PERSIST_NONE",
        "HAP_PERSIST_DIRECT",
        "HAP_PERSIST_FORCE",
        "size_t hap_backend_tick(hap_backend *be, uint64_t now_ms);",
        "size_t hap_backend_server_count(const hap_backend *be);",
        "hap_server *hap_backend_server_at(hap_backend *be, size_t i);",
        "hap_result hap_server_set_state_at(hap_server *sv, hap_server_state st, uint64_t now_ms);",
        "hap_result hap_server_get_state(const hap_server *sv, hap_server_state *out);",
        "hap_result hap_server_set_maxqueue(hap_server *sv, uint32_t maxqueue);",
        "hap_result hap_server_delete(hap_server *sv);",
        "bool hap_server_is_deleted(const hap_server *sv);",
        "uint32_t hap_server_maxconn(const hap_server *sv);",
        "uint32_t hap_server_dyn_maxconn(const hap_server *sv);",
        "hap_result hap_server_name(const hap_server *sv, char *buf, size_t len, size_t *n);",
        "hap_result hap_stream_set_server_ex(hap_stream *s, hap_server *sv, uint32_t flags);",
        "typedef struct hap_instance hap_instance;",
        "HAP_ERR_UNSUPPORTED",
        "hap_result hap_instance_new(const char *const *cfg_paths, size_t n, hap_instance **out, char *err, size_t errlen);",
        "hap_result hap_instance_start(hap_instance *h);",
        "hap_result hap_instance_cli(hap_instance *h, const char *cmd, char *out, size_t outlen, size_t *n);",
        "hap_backend *hap_instance_backend(hap_instance *h, const char *name);",
        "hap_result hap_instance_stop(hap_instance *h, bool graceful);",
        "void hap_instance_free(hap_instance *h);",
        "uint16_t hap_instance_local_port(const hap_instance *h, size_t idx);",
        "hap_result hap_instance_message(const hap_instance *h, char *buf, size_t len, size_t *n);",
    ] {
        assert!(h.contains(name), "header lacks {name}");
    }
}
