//! `help` and the "Unknown command" replies: HAProxy 2.6's `cli_gen_usage_msg()`, with its
//! fuzzy matching of the words that did not match any command (`update_word_fingerprint()`
//! and `word_fingerprint_distance()`), so a mistyped command gets the same suggestions.

#[path = "usage_table.rs"]
mod table;

use table::USAGE;

/// HAProxy's `CLI_MAX_MATCHES`.
const MAX_MATCHES: usize = 5;
/// HAProxy's `CLI_PREFIX_KW_NB`: at most this many words name a command.
const PREFIX_KW_NB: usize = 5;

const TAIL: &str = "  help [<command>]                        : list matching or all commands\n  prompt                                  : toggle interactive mode with prompt\n  quit                                    : disconnect\n";

/// The keyword words of every command HAProxy 2.6 knows, for "is this a command" checks.
pub fn known(args: &[&str]) -> bool {
    USAGE
        .iter()
        .any(|(kw, _)| kw.len() <= args.len() && kw.iter().zip(args).all(|(k, a)| k == a))
}

/// Transition counts between character classes (1..26 letters, 27 digits, 28 other or
/// word boundary), indexed `32 * from + to`; row 0 marks the classes present.
fn fingerprint(fp: &mut [u8; 1024], word: &str) {
    let mut from = 28usize;
    for c in word.bytes() {
        let to = match c.to_ascii_lowercase() {
            c @ b'a'..=b'z' => (c - b'a' + 1) as usize,
            b'0'..=b'9' => 27,
            _ => 28,
        };
        fp[to] = 1;
        fp[32 * from + to] = fp[32 * from + to].wrapping_add(1);
        from = to;
    }
    fp[32 * from + 28] = fp[32 * from + 28].wrapping_add(1);
}

fn distance(a: &[u8; 1024], b: &[u8; 1024]) -> i32 {
    a.iter()
        .zip(b.iter())
        .map(|(&x, &y)| (i32::from(x) - i32::from(y)).abs())
        .sum()
}

/// How many leading words of `kw` equal `args` (stopping at the end of either).
fn prefix_len(kw: &[&str], args: &[&str], max: usize) -> usize {
    let mut i = 0;
    while i < max && i < kw.len() && i < args.len() && !args[i].is_empty() && kw[i] == args[i] {
        i += 1;
    }
    i
}

/// The reply to `help [words]` (`args[0] == "help"`) or to an unknown command `args`.
pub fn usage_msg(args: &[&str]) -> String {
    usage_msg_in(USAGE, args)
}

/// [`usage_msg`] over another command table (the master CLI's), same matching.
pub fn usage_msg_in(usage: &[(&[&str], &str)], args: &[&str]) -> String {
    let (args, ishelp) = match args.first() {
        Some(&"help") => (&args[1..], true),
        _ => (args, false),
    };
    let length = usage
        .iter()
        .map(|(kw, _)| prefix_len(kw, args, PREFIX_KW_NB))
        .max()
        .unwrap_or(0);
    let mut out = String::with_capacity(8192);
    if ishelp {
        out.push_str("The following commands are valid at this level:\n");
    } else if length == 0 && args.first().is_none_or(|a| a.is_empty()) {
        out.push_str("Unknown command. Please enter one of the following commands only:\n");
    } else {
        out.push_str("Unknown command, but maybe one of the following ones is a better match:\n");
    }
    let mut matches: Vec<(usize, i32)> = Vec::new();
    if args.get(length).is_some_and(|a| !a.is_empty()) {
        for (n, (kw, _)) in usage.iter().enumerate() {
            if prefix_len(kw, args, length) != length {
                continue;
            }
            let mut word = [0u8; 1024];
            let mut list = [0u8; 1024];
            let mut totlen = 0usize;
            for a in args[length..]
                .iter()
                .take(PREFIX_KW_NB - length)
                .take_while(|a| !a.is_empty())
            {
                fingerprint(&mut word, a);
                totlen += a.len();
            }
            for k in kw.iter().skip(length).take(PREFIX_KW_NB - length) {
                fingerprint(&mut list, k);
                totlen += k.len();
            }
            let dist = distance(&word, &list);
            let worst = if matches.len() < MAX_MATCHES {
                i32::MAX
            } else {
                matches[MAX_MATCHES - 1].1
            };
            if dist < (5 * totlen as i32) / 2 && dist < worst {
                // Stable: an equal distance keeps the earlier command first.
                let pos = matches
                    .iter()
                    .position(|m| m.1 > dist)
                    .unwrap_or(matches.len());
                matches.insert(pos, (n, dist));
                matches.truncate(MAX_MATCHES);
            }
        }
    }
    let mut entries: Vec<&str> = Vec::new();
    if let Some(&(_, best)) = matches.first() {
        for &(n, d) in &matches {
            if d > 5 * best / 2 {
                break;
            }
            entries.push(usage[n].1);
        }
    } else {
        for (kw, u) in usage {
            if prefix_len(kw, args, length) == length {
                entries.push(u);
            }
        }
    }
    entries.sort_unstable();
    for e in entries {
        out.push_str("  ");
        out.push_str(e);
        out.push('\n');
    }
    out.push_str(TAIL);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The replies of /usr/sbin/haproxy 2.6.12 to these mistyped commands.
    #[test]
    fn suggestions_are_haproxys() {
        assert_eq!(
            usage_msg(&["sho", "stat"]),
            format!("Unknown command, but maybe one of the following ones is a better match:\n  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server\n{TAIL}")
        );
        assert_eq!(
            usage_msg(&["show", "inf"]),
            format!("Unknown command, but maybe one of the following ones is a better match:\n  show fd [num]                           : dump list of file descriptors in use or a specific one\n  show info [desc|json|typed|float]*      : report information about the running process\n{TAIL}")
        );
        // Not reproduced yet: for a single unknown word ("foo") haproxy 2.6.12 proposes
        // only `add acl` and `show fd`, this port also `show info`, `trace` and `user`
        // (cause not found: 2.6.12's list or distances differ from v2.6.0's source).
        let all = usage_msg(&[""]);
        assert!(all.starts_with("Unknown command. Please enter one of the following commands only:\n  abort ssl ca-file"));
        assert_eq!(all.lines().count(), 1 + USAGE.len() + 3);
        let help = usage_msg(&["help"]);
        assert!(help.starts_with("The following commands are valid at this level:\n"));
    }
}
