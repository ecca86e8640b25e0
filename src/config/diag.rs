//! Diagnostics in HAProxy's format.
//!
//! HAProxy users grep for these lines and tools parse them, so the shape is kept byte for
//! byte: `[ALERT]    (pid) : config : parsing [file:line] : message`. Messages are collected
//! rather than printed at once so that library users (the C ABI) can receive them as text,
//! while the binary streams them to stderr in order.

use std::fmt::Write as _;
use std::io::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// `.diag` and `-dD` diagnostics: only shown with `-dD`.
    Diag,
    Notice,
    Warning,
    Alert,
}

impl Level {
    fn tag(self) -> &'static str {
        match self {
            Level::Alert => "[ALERT]    ",
            Level::Warning => "[WARNING]  ",
            Level::Notice => "[NOTICE]   ",
            Level::Diag => "[DIAG]     ",
        }
    }
}

/// One message. `context` is HAProxy's stage prefix ("config" while loading).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub level: Level,
    pub context: Option<&'static str>,
    pub text: String,
    /// `(file, line)` when the message is about a configuration line.
    pub at: Option<(String, usize)>,
}

impl Message {
    /// Renders the message as HAProxy prints it (one or more lines, ending with LF).
    pub fn render(&self, pid: u32) -> String {
        let mut s = String::new();
        let _ = write!(s, "{}({}) : ", self.level.tag(), pid);
        if let Some(c) = self.context {
            let _ = write!(s, "{c} : ");
        }
        s.push_str(&self.text);
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s
    }
}

/// Collects every message produced while loading a configuration.
#[derive(Debug, Default)]
pub struct Diag {
    pub messages: Vec<Message>,
    /// Quiet (`-q`): suppress notices and warnings on output, as HAProxy does.
    pub quiet: bool,
    /// Stream messages to stderr as they arrive (the binary) instead of only collecting them.
    pub echo: bool,
    /// Show `.diag` messages (`-dD`).
    pub show_diag: bool,
    version_banner_done: bool,
    pub alerts: usize,
    pub warnings: usize,
}

impl Diag {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, m: Message) {
        match m.level {
            Level::Alert => self.alerts += 1,
            Level::Warning => self.warnings += 1,
            _ => {}
        }
        if self.echo {
            let show = match m.level {
                Level::Alert => true,
                Level::Warning | Level::Notice => !self.quiet,
                Level::Diag => self.show_diag && !self.quiet,
            };
            if show {
                // HAProxy prints its version banner once, before the first warning or alert.
                if matches!(m.level, Level::Alert | Level::Warning) && !self.version_banner_done {
                    self.version_banner_done = true;
                    let exe = std::env::current_exe()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|_| "haproxy-rs".into());
                    let banner = [
                        format!("haproxy version is {}", crate::version::VERSION_STRING),
                        format!("path to executable is {exe}"),
                    ];
                    for b in banner {
                        let n = Message {
                            level: Level::Notice,
                            context: None,
                            text: b,
                            at: None,
                        };
                        let _ =
                            std::io::stderr().write_all(n.render(std::process::id()).as_bytes());
                    }
                }
                let _ = std::io::stderr().write_all(m.render(std::process::id()).as_bytes());
            }
        }
        self.messages.push(m);
    }

    /// An alert about a config line: `parsing [file:line] : text`.
    pub fn alert_at(&mut self, file: &str, line: usize, text: impl AsRef<str>) {
        self.push(Message {
            level: Level::Alert,
            context: Some("config"),
            text: format!("parsing [{file}:{line}] : {}", text.as_ref()),
            at: Some((file.to_string(), line)),
        });
    }

    pub fn warn_at(&mut self, file: &str, line: usize, text: impl AsRef<str>) {
        self.push(Message {
            level: Level::Warning,
            context: Some("config"),
            text: format!("parsing [{file}:{line}] : {}", text.as_ref()),
            at: Some((file.to_string(), line)),
        });
    }

    /// A message whose text is given whole (HAProxy has several prefix spellings, e.g.
    /// `parsing [f:l]: ` without the space, or `[f:l] : ` for post-parse checks).
    pub fn raw(&mut self, level: Level, at: Option<(&str, usize)>, text: impl Into<String>) {
        self.push(Message {
            level,
            context: Some("config"),
            text: text.into(),
            at: at.map(|(f, l)| (f.to_string(), l)),
        });
    }

    /// An alert not tied to a line.
    pub fn alert(&mut self, text: impl Into<String>) {
        self.raw(Level::Alert, None, text);
    }

    pub fn warning(&mut self, text: impl Into<String>) {
        self.raw(Level::Warning, None, text);
    }

    pub fn first_alert(&self) -> Option<&Message> {
        self.messages.iter().find(|m| m.level == Level::Alert)
    }

    /// Every message rendered as the binary prints it (used by the C ABI error buffers).
    pub fn render_all(&self, pid: u32) -> String {
        self.messages.iter().map(|m| m.render(pid)).collect()
    }
}
