//! `.if` / `-cc` condition expressions (HAProxy's `cfgcond.c`).

/// A condition that failed to parse: HAProxy's message and the 0-based offset it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondError {
    pub msg: String,
    pub pos: usize,
}

/// Evaluates a condition expression; `Ok(true)` if it holds.
pub fn eval(expr: &str) -> Result<bool, CondError> {
    let t = expr.trim();
    match t {
        "" | "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(CondError {
            msg: "unparsable conditional expression".into(),
            pos: 0,
        }),
    }
}
