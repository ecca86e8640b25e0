//! "did you mean '…' maybe ?" suggestions, HAProxy's word fingerprint distance.

/// Best match of `word` among `candidates`, if close enough to suggest.
pub fn best_match<'a>(_word: &str, _candidates: &[&'a str]) -> Option<&'a str> {
    None
}
