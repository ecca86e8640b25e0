//! "did you mean '…' maybe ?" suggestions, with HAProxy's word fingerprint distance
//! (`make_word_fingerprint()` / `word_fingerprint_distance()` in `tools.c`).
//!
//! The suggestion must be the one HAProxy prints, so the algorithm is HAProxy's and not a
//! textbook edit distance: a word's fingerprint counts transitions between character
//! classes (each letter, digit, other, begin, end), the distance is the sum of the absolute
//! differences, the first candidate with the smallest distance wins, and a winner farther
//! than twice the length of either word is dropped. Callers pass candidates in HAProxy's
//! order (its keyword registration order, then its `extra` list) since ties go to the first.

/// A word fingerprint: 1024 counters indexed `32 * from + to`.
pub type Fingerprint = [u8; 1024];

/// Character class of `c`: 1..=26 letters (case-insensitive), 27 digits, 28 anything else.
fn class(c: u8) -> usize {
    match c.to_ascii_lowercase() {
        c @ b'a'..=b'z' => (c - b'a' + 1) as usize,
        b'0'..=b'9' => 27,
        _ => 28,
    }
}

/// HAProxy's `update_word_fingerprint()`: adds `word`'s transitions to `fp`.
pub fn update_fingerprint(fp: &mut Fingerprint, word: &str) {
    let mut from = 28; // begin
    for &c in word.as_bytes() {
        let to = class(c);
        fp[to] = 1;
        fp[32 * from + to] = fp[32 * from + to].wrapping_add(1);
        from = to;
    }
    fp[32 * from + 28] = fp[32 * from + 28].wrapping_add(1); // end
}

/// HAProxy's `make_word_fingerprint()`.
pub fn fingerprint(word: &str) -> Fingerprint {
    let mut fp = [0u8; 1024];
    update_fingerprint(&mut fp, word);
    fp
}

/// HAProxy's `word_fingerprint_distance()`.
pub fn distance(a: &Fingerprint, b: &Fingerprint) -> usize {
    a.iter()
        .zip(b.iter())
        .map(|(&x, &y)| (x as i32 - y as i32).unsigned_abs() as usize)
        .sum()
}

/// Best match of `word` among `candidates`, if close enough to suggest, as HAProxy's
/// `cfg_find_best_match()`, `proxy_find_best_option()`, `bind_find_best_kw()` and
/// `srv_find_best_kw()` choose it.
pub fn best_match<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    best_match_weighted(word, candidates.iter().map(|c| (*c, 2)))
}

/// Like [`best_match`], but each candidate carries its own tolerance factor (HAProxy's
/// `action_suggest()` allows 3× the length for prefix-matched action keywords such as
/// `set-var*`, 2× for the others).
pub fn best_match_weighted<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = (&'a str, usize)>,
) -> Option<&'a str> {
    let wfp = fingerprint(word);
    let mut best: Option<(&'a str, usize, usize)> = None;
    for (cand, factor) in candidates {
        let d = distance(&wfp, &fingerprint(cand));
        if best.is_none_or(|(_, bd, _)| d < bd) {
            best = Some((cand, d, factor));
        }
    }
    let (cand, d, factor) = best?;
    if d > factor * word.len() || d > factor * cand.len() {
        return None;
    }
    Some(cand)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_transitions() {
        let a = fingerprint("maxconn");
        assert_eq!(distance(&a, &a), 0);
        // "maxconnn" adds one n->n transition, and moves the end from n->end: +1 only.
        assert_eq!(distance(&a, &fingerprint("maxconnn")), 1);
        assert_eq!(fingerprint("MaxConn"), a);
    }

    #[test]
    fn picks_first_closest_and_applies_threshold() {
        let c = ["daemon", "maxconn", "maxconnrate", "nbthread"];
        assert_eq!(best_match("maxconnn", &c), Some("maxconn"));
        assert_eq!(best_match("demon", &c), Some("daemon"));
        assert_eq!(best_match("zzzzzzzzzzzzzz", &c), None);
        assert_eq!(best_match("x", &[]), None);
        // A short word cannot pull a long candidate: distance > 2 * len(word).
        assert_eq!(best_match("a", &["abcdefgh"]), None);
    }

    #[test]
    fn tolerance_factor() {
        // distance("set-va", "set-var") = 3 (one transition changes, one added);
        // both allowed; check factor use with a far word.
        let far = "qqqq";
        assert_eq!(best_match_weighted(far, [("set-var", 2)]), None);
        assert_eq!(
            best_match_weighted("set-va", [("set-var", 3)]),
            Some("set-var")
        );
    }

    /// The first alert of `haproxy -c` (2.6.12) for typos in each kind of list, through the
    /// section parsers that own the candidate lists.
    #[test]
    fn typos_like_haproxy() {
        let first_alert = |text: &str| {
            let l = crate::config::load_str(
                "t.cfg",
                text,
                crate::config::Diag::new(),
                crate::config::ParseEnv::offline(),
            );
            l.diag
                .first_alert()
                .map(|m| m.text.clone())
                .unwrap_or_default()
        };
        let cases = [
            ("global\n  maxconnn 1\n", "did you mean 'maxconn' maybe ?"),
            ("global\n  nbthreads 2\n", "did you mean 'nbthread' maybe ?"),
            (
                "backend b\n  balanc roundrobin\n",
                "did you mean 'balance' maybe ?",
            ),
            (
                "backend b\n  use-backend x\n",
                "did you mean 'use_backend' maybe ?",
            ),
            (
                "frontend f\n  bind :8000 acept-proxy\n",
                "did you mean 'accept-proxy' maybe ?",
            ),
            (
                "backend b\n  server s 127.0.0.1:80 chek\n",
                "did you mean 'check' maybe ?",
            ),
        ];
        for (text, want) in cases {
            let got = first_alert(text);
            assert!(got.contains(want), "{text:?}: {got}");
        }
    }
}
