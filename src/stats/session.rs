//! One CLI connection's request framing, as `cli_io_handler()` + `cli_parse_request()`:
//! a command ends at a line feed or an unescaped `;`, a trailing `\r` is dropped, words
//! are split on spaces and tabs with `\` escapes, and a line ending in `<<` gathers the
//! lines that follow (up to an empty one) as the command's payload. Each reply is followed
//! by a line feed, or by "\n> " in interactive (`prompt`) mode. Without `prompt`, the
//! connection closes once a command is answered and nothing more is buffered, which still
//! lets a client pipeline several commands in one write.

use super::{cmd, usage, Level, Proc};

/// `MAX_CLI_ARGS`.
const MAX_ARGS: usize = 64;

pub struct Session {
    pub level: Level,
    pub prompt: bool,
    /// Bytes received and not yet a complete command.
    pending: Vec<u8>,
    /// The command line of a payload being gathered, and the payload so far.
    payload: Option<(String, String)>,
    /// `quit` was received, or the connection ends after this batch.
    pub closing: bool,
}

impl Session {
    pub fn new(level: Level) -> Session {
        Session {
            level,
            prompt: false,
            pending: Vec::new(),
            payload: None,
            closing: false,
        }
    }

    /// Appends received bytes; runs every complete command, appending the replies to
    /// `out`. Returns true when the connection must close once `out` is written.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>, p: &dyn Proc) -> bool {
        self.pending.extend_from_slice(input);
        loop {
            if self.closing {
                return true;
            }
            let Some((line, used)) = self.next_line() else {
                return false;
            };
            self.pending.drain(..used);
            self.line(&line, out, p);
            if !self.prompt && self.payload.is_none() && self.pending.is_empty() {
                self.closing = true;
            }
        }
    }

    /// The next command line: up to a line feed, or (outside payloads) an unescaped `;`.
    fn next_line(&self) -> Option<(String, usize)> {
        let b = &self.pending;
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\\' if self.payload.is_none() => i += 1,
                b'\n' => break,
                b';' if self.payload.is_none() => break,
                _ => {}
            }
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let mut end = i;
        if b[i] == b'\n' && end > 0 && b[end - 1] == b'\r' {
            end -= 1;
        }
        Some((String::from_utf8_lossy(&b[..end]).into_owned(), i + 1))
    }

    fn line(&mut self, line: &str, out: &mut Vec<u8>, p: &dyn Proc) {
        if let Some((cmdline, mut payload)) = self.payload.take() {
            if !line.is_empty() {
                payload.push_str(line);
                payload.push('\n');
                self.payload = Some((cmdline, payload));
                if self.prompt {
                    out.extend_from_slice(b"+ ");
                }
                return;
            }
            payload.pop();
            self.run(&cmdline, Some(&payload), out, p);
            return;
        }
        if let Some(cmdline) = line.strip_suffix("<<") {
            self.payload = Some((cmdline.to_string(), String::new()));
            if self.prompt {
                out.extend_from_slice(b"+ ");
            }
            return;
        }
        self.run(line, None, out, p);
    }

    fn run(&mut self, line: &str, payload: Option<&str>, out: &mut Vec<u8>, p: &dyn Proc) {
        let words = split_words(line);
        let args: Vec<&str> = words.iter().map(|s| s.as_str()).collect();
        let mut reply = String::new();
        let mut nolf = false;
        match args.as_slice() {
            ["prompt", ..] => self.prompt = !self.prompt,
            ["quit", ..] => {
                self.closing = true;
                return;
            }
            ["help", ..] => reply = usage::usage_msg(&args),
            ["operator", ..] => {
                if self.level > Level::Operator {
                    self.level = Level::Operator;
                }
            }
            ["user", ..] => self.level = Level::User,
            ["show", "cli", "level", ..] => {
                reply = format!("{}\n", self.level.name());
            }
            _ => match cmd::exec(&args, payload, self.level, p) {
                Some(r) => {
                    nolf = r.nolf;
                    reply = r.text;
                }
                None => reply = usage::usage_msg(&args),
            },
        }
        out.extend_from_slice(reply.as_bytes());
        if self.prompt {
            out.extend_from_slice(b"\n> ");
        } else if !nolf {
            out.push(b'\n');
        }
    }
}

/// `cli_parse_request()`'s word splitting: spaces and tabs separate, `\x` keeps `x`
/// (`\\` a backslash).
pub fn split_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while out.len() < MAX_ARGS {
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let mut w = Vec::new();
        while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
            if b[i] == b'\\' {
                i += 1;
                if i >= b.len() {
                    break;
                }
            }
            w.push(b[i]);
            i += 1;
        }
        out.push(String::from_utf8_lossy(&w).into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_escapes() {
        assert_eq!(
            split_words("  add map  m a\\ b\tc"),
            ["add", "map", "m", "a b", "c"]
        );
        assert_eq!(split_words("x\\\\y\\;z"), ["x\\y;z"]);
    }
}
