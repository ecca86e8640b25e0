//! System lookups the `global` section needs (`getpwnam()`, `getgrnam()`),
//! done by reading the system files so that no `unsafe` FFI is needed.

/// Id of `name` in a colon-separated database (`/etc/passwd`, `/etc/group`).
fn lookup(path: &str, name: &str) -> Option<u32> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[0] == name && !name.is_empty())
        .and_then(|f| f[2].parse().ok())
}

/// `getpwnam(name)->pw_uid`.
pub fn user_id(name: &str) -> Option<u32> {
    lookup("/etc/passwd", name)
}

/// `getgrnam(name)->gr_gid`.
pub fn group_id(name: &str) -> Option<u32> {
    lookup("/etc/group", name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn root_is_zero() {
        assert_eq!(super::user_id("root"), Some(0));
        assert_eq!(super::group_id("root"), Some(0));
        assert_eq!(super::user_id("no-such-user-xyz"), None);
        assert_eq!(super::user_id(""), None);
    }
}
