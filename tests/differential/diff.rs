//! A readable line diff of two transcripts: `-` HAProxy only, `+` haproxy-rs only, two
//! lines of context around each change.

/// Longest-common-subsequence edit script; transcripts are short (tens of lines).
fn script<'a>(a: &'a [String], b: &'a [String]) -> Vec<(char, &'a str)> {
    let (n, m) = (a.len(), b.len());
    let mut t = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i][j] = if a[i] == b[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push((' ', a[i].as_str()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || t[i + 1][j] >= t[i][j + 1]) {
            out.push(('-', a[i].as_str()));
            i += 1;
        } else {
            out.push(('+', b[j].as_str()));
            j += 1;
        }
    }
    out
}

pub fn render(haproxy: &[String], rs: &[String]) -> String {
    let s = script(haproxy, rs);
    let near = |k: usize| {
        let lo = k.saturating_sub(2);
        let hi = (k + 3).min(s.len());
        s[lo..hi].iter().any(|(c, _)| *c != ' ')
    };
    let mut out = String::from("  --- haproxy\n  +++ haproxy-rs\n");
    let mut skipped = false;
    for (k, (c, l)) in s.iter().enumerate() {
        if near(k) {
            if skipped {
                out.push_str("  ...\n");
                skipped = false;
            }
            out.push_str(&format!("  {c} {l}\n"));
        } else {
            skipped = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn shows_changes_with_context() {
        let a = v(&["1", "2", "3", "4", "5", "6", "7"]);
        let b = v(&["1", "2", "3", "X", "5", "6", "7"]);
        let d = render(&a, &b);
        assert!(d.contains("  - 4\n  + X\n"), "{d}");
        assert!(d.contains("  ...\n"), "{d}");
        assert!(!d.contains("  1\n"), "{d}");
    }
}
