//! Parse-time benchmark: a generated configuration with 10,000 backends (and a frontend
//! routing to all of them) loaded by haproxy-rs in-process and by `haproxy -c` /
//! `haproxy-rs -c` as processes, so the two can be compared in one run.
//!
//! Run: `cargo bench --bench config_parse`. Target (issue 2): under 1 s for haproxy-rs.

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

fn generate(backends: usize) -> String {
    let mut s = String::with_capacity(backends * 200);
    s.push_str("global\n    maxconn 100000\n\ndefaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\n");
    s.push_str("frontend fe\n    bind 127.0.0.1:18080\n");
    for i in 0..backends {
        let _ = writeln!(s, "    acl is_b{i} hdr(host) -i b{i}.example.com");
        let _ = writeln!(s, "    use_backend b{i} if is_b{i}");
    }
    s.push_str("    default_backend b0\n\n");
    for i in 0..backends {
        let _ = writeln!(
            s,
            "backend b{i}\n    balance roundrobin\n    option httpchk GET /health\n    server s1 127.0.0.{}:{} check inter 2s rise 2 fall 3 maxconn 100 weight 10\n    server s2 127.0.1.{}:{} check backup\n",
            1 + i % 250,
            1024 + i % 60000,
            1 + i % 250,
            1024 + i % 60000
        );
    }
    s
}

fn time_process(program: &str, path: &str) -> Option<Duration> {
    let t = Instant::now();
    let st = Command::new(program)
        .args(["-c", "-q", "-f", path])
        .output()
        .ok()?;
    let d = t.elapsed();
    if !st.status.success() {
        eprintln!(
            "{program} -c failed: {}",
            String::from_utf8_lossy(&st.stderr)
                .lines()
                .next()
                .unwrap_or("")
        );
        return None;
    }
    Some(d)
}

fn main() {
    let n = 10_000;
    let text = generate(n);
    let dir = std::env::temp_dir().join(format!("haproxy-rs-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("10k.cfg");
    std::fs::write(&path, &text).unwrap();
    let path = path.to_str().unwrap().to_string();

    let mut best = Duration::MAX;
    for _ in 0..3 {
        let mut diag = haproxy_rs::config::Diag::new();
        diag.quiet = true;
        let env = haproxy_rs::config::ParseEnv::offline();
        let t = Instant::now();
        let loaded = haproxy_rs::config::load_str("10k.cfg", &text, diag, env);
        best = best.min(t.elapsed());
        assert!(
            loaded.config.is_some(),
            "generated config must load: {:?}",
            loaded.diag.first_alert()
        );
    }
    println!(
        "config_parse: {n} backends, {} lines, in-process load: {:.3} s (best of 3)",
        text.lines().count(),
        best.as_secs_f64()
    );

    let ours = std::env::var("HAPROXY_RS_BIN").unwrap_or_else(|_| {
        let exe = std::env::current_exe().unwrap();
        // target/release/deps/config_parse-xxxx → target/release/haproxy-rs
        exe.parent()
            .and_then(|p| p.parent())
            .unwrap()
            .join("haproxy-rs")
            .display()
            .to_string()
    });
    let rs = time_process(&ours, &path);
    let hap = time_process("/usr/sbin/haproxy", &path);
    match (rs, hap) {
        (Some(a), Some(b)) => println!(
            "config_parse: -c as a process: haproxy-rs {:.3} s, haproxy {:.3} s, ratio {:.2}",
            a.as_secs_f64(),
            b.as_secs_f64(),
            a.as_secs_f64() / b.as_secs_f64()
        ),
        (a, b) => println!(
            "config_parse: -c as a process: haproxy-rs {a:?}, haproxy {b:?} (one side unavailable)"
        ),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
