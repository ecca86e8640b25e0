//! Health checks without sockets: HAProxy 2.6's `check.c` and `tcpcheck.c` as data and
//! pure functions, so every rule is unit-tested without a network.
//!
//! - [`Status`]: HAProxy's check statuses (`L4OK`, `L7STS`…) with their descriptions and
//!   results, which its messages quote.
//! - [`Health`]: `check->health` with `rise`/`fall` (`set_server_check_status()`), and the
//!   interval choice (`srv_getinter()`).
//! - [`rules`]: the rule sets (`tcp-check`, `http-check`, `option httpchk`, the built-in
//!   protocol checks, the agent) compiled from the model once.
//! - [`eval`]: a step machine that runs one check: it asks its driver to connect, send or
//!   receive and is fed the bytes; it ends with an [`Outcome`].
//! - [`agent`]: the agent's one-line replies.
//! - [`msg`]: the state-change messages, worded as `srv_append_status()` words them.
//!
//! The socket side is `runtime::check`.

pub mod agent;
pub mod eval;
pub mod msg;
pub mod rules;

/// `enum healthcheck_status` (the order matters: HAProxy compares with `L57DATA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Unknown,
    Ini,
    Checked,
    Hana,
    SockErr,
    L4Ok,
    L4Tout,
    L4Con,
    L6Ok,
    L6Tout,
    L6Rsp,
    L7Tout,
    L7Rsp,
    /// Marker: statuses from here on carry a `code`.
    L57Data,
    L7Okd,
    L7Okcd,
    L7Sts,
}

/// `CHK_RES_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckResult {
    Unknown,
    Neutral,
    Failed,
    Passed,
    CondPass,
}

impl Status {
    /// `get_check_status_description()`.
    pub fn desc(self) -> &'static str {
        match self {
            Status::Unknown | Status::L57Data => "Unknown",
            Status::Ini => "Initializing",
            Status::Checked => "No status change",
            Status::Hana => "Health analyze",
            Status::SockErr => "Socket error",
            Status::L4Ok => "Layer4 check passed",
            Status::L4Tout => "Layer4 timeout",
            Status::L4Con => "Layer4 connection problem",
            Status::L6Ok => "Layer6 check passed",
            Status::L6Tout => "Layer6 timeout",
            Status::L6Rsp => "Layer6 invalid response",
            Status::L7Tout => "Layer7 timeout",
            Status::L7Rsp => "Layer7 invalid response",
            Status::L7Okd => "Layer7 check passed",
            Status::L7Okcd => "Layer7 check conditionally passed",
            Status::L7Sts => "Layer7 wrong status",
        }
    }

    /// `get_check_status_info()`: the short names rule options (`ok-status L7OK`) use.
    pub fn info(self) -> &'static str {
        match self {
            Status::Unknown | Status::L57Data => "UNK",
            Status::Ini => "INI",
            Status::Checked => "CHECKED",
            Status::Hana => "HANA",
            Status::SockErr => "SOCKERR",
            Status::L4Ok => "L4OK",
            Status::L4Tout => "L4TOUT",
            Status::L4Con => "L4CON",
            Status::L6Ok => "L6OK",
            Status::L6Tout => "L6TOUT",
            Status::L6Rsp => "L6RSP",
            Status::L7Tout => "L7TOUT",
            Status::L7Rsp => "L7RSP",
            Status::L7Okd => "L7OK",
            Status::L7Okcd => "L7OKC",
            Status::L7Sts => "L7STS",
        }
    }

    /// The status a rule option names (`ok-status`, `error-status`, `tout-status`).
    pub fn from_info(s: &str) -> Option<Status> {
        Some(match s {
            "L7OK" => Status::L7Okd,
            "L7OKC" => Status::L7Okcd,
            "L6OK" => Status::L6Ok,
            "L4OK" => Status::L4Ok,
            "L7RSP" => Status::L7Rsp,
            "L7STS" => Status::L7Sts,
            "L6RSP" => Status::L6Rsp,
            "L4CON" => Status::L4Con,
            "L7TOUT" => Status::L7Tout,
            "L6TOUT" => Status::L6Tout,
            "L4TOUT" => Status::L4Tout,
            _ => return None,
        })
    }

    pub fn result(self) -> CheckResult {
        match self {
            Status::Unknown | Status::Ini | Status::L57Data => CheckResult::Unknown,
            Status::Checked => CheckResult::Neutral,
            Status::L4Ok | Status::L6Ok | Status::L7Okd => CheckResult::Passed,
            Status::L7Okcd => CheckResult::CondPass,
            _ => CheckResult::Failed,
        }
    }

    /// Statuses from layer 7 data: their messages carry `code: N`.
    pub fn has_code(self) -> bool {
        self >= Status::L57Data
    }
}

/// What one check run concluded: HAProxy's `check->status`, `code` and `desc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub code: i32,
    pub desc: String,
    /// What an agent reply asks of the server besides its health.
    pub agent: Option<agent::Reply>,
}

impl Outcome {
    pub fn new(status: Status, desc: impl Into<String>) -> Outcome {
        Outcome {
            status,
            code: 0,
            desc: desc.into(),
            agent: None,
        }
    }
}

/// `check->health` with its thresholds. A check is "up" from `rise` on; a passing check
/// climbs to `rise + fall - 1` at once once it is up, a failure below `rise` drops to 0:
/// `fall` failures take an up server down, `rise` successes bring a down one up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub health: u32,
    pub rise: u32,
    pub fall: u32,
}

impl Health {
    /// A configured check starts at `rise` ("up, but will fall down at first failure").
    pub fn new(rise: u32, fall: u32) -> Health {
        let rise = rise.max(1);
        let fall = fall.max(1);
        Health {
            health: rise,
            rise,
            fall,
        }
    }

    pub fn is_up(&self) -> bool {
        self.health >= self.rise
    }

    /// Fully up: the normal interval applies.
    pub fn is_full(&self) -> bool {
        self.health == self.rise + self.fall - 1
    }

    /// Applies a result as `set_server_check_status()` does; `true` if health moved.
    /// `counts` is false for an agent whose failure is not a layer-7 answer (an agent that
    /// cannot be reached does not take its server down).
    pub fn apply(&mut self, result: CheckResult, counts: bool) -> bool {
        match result {
            CheckResult::Failed if counts && self.health > 0 => {
                self.health -= 1;
                if self.health < self.rise {
                    self.health = 0;
                }
                true
            }
            CheckResult::Passed | CheckResult::CondPass
                if self.health < self.rise + self.fall - 1 =>
            {
                self.health += 1;
                if self.health >= self.rise {
                    self.health = self.rise + self.fall - 1;
                }
                true
            }
            _ => false,
        }
    }

    /// The `N/M UP|DOWN` pair HAProxy's status lines show.
    pub fn fraction(&self) -> (u32, u32) {
        if self.is_up() {
            (self.health - self.rise + 1, self.fall)
        } else {
            (self.health, self.rise)
        }
    }
}

/// `inter`, `fastinter`, `downinter` in milliseconds (0 = unset for the last two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub inter: u64,
    pub fastinter: u64,
    pub downinter: u64,
}

impl Intervals {
    /// `srv_getinter()`: `inter` when fully up, `downinter` when down with no success
    /// yet, `fastinter` while changing.
    pub fn pick(&self, h: &Health, server_down: bool) -> u64 {
        let or_inter = |v: u64| if v > 0 { v } else { self.inter };
        if h.is_full() {
            self.inter
        } else if server_down && h.health == 0 {
            or_inter(self.downinter)
        } else {
            or_inter(self.fastinter)
        }
    }
}

/// HAProxy's `SRV_CHK_INTER_THRES`: checks with shorter intervals do not set the spread.
pub const INTER_THRES: u64 = 1000;

/// `start_check_task()`: the first check of check number `pos` (of `count`) starts this
/// long after start-up, so that checks are spread over the smallest interval.
pub fn first_delay(mininter: u64, own: u64, max_spread: u64, pos: u64, count: u64) -> u64 {
    let mut m = mininter.max(own);
    if max_spread > 0 && m > max_spread {
        m = max_spread;
    }
    (m * pos).checked_div(count).unwrap_or(0)
}

/// `spread-checks <pct>`: each interval varies by up to ±pct% (`rand` in [0, 1]).
pub fn spread(inter: u64, pct: u32, rand: f64) -> u64 {
    if pct == 0 {
        return inter;
    }
    let rv = (inter * u64::from(pct) / 100) as i64;
    let rv = rv - (2.0 * rv as f64 * rand) as i64;
    (inter as i64 + rv).max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_starts_up_and_drops_at_first_failure() {
        let mut h = Health::new(2, 3);
        assert!(h.is_up());
        assert!(h.apply(CheckResult::Failed, true));
        assert_eq!(h.health, 0);
        assert!(!h.is_up());
        assert!(h.apply(CheckResult::Passed, true));
        assert!(!h.is_up());
        assert_eq!(h.fraction(), (1, 2));
        assert!(h.apply(CheckResult::Passed, true));
        assert!(h.is_up() && h.is_full());
        assert_eq!(h.health, 4);
        // Now fall failures are needed.
        h.apply(CheckResult::Failed, true);
        h.apply(CheckResult::Failed, true);
        assert!(h.is_up());
        assert_eq!(h.fraction(), (1, 3));
        h.apply(CheckResult::Failed, true);
        assert!(!h.is_up());
        assert!(!h.apply(CheckResult::Failed, true));
        // An unreachable agent does not count.
        let mut a = Health::new(1, 1);
        assert!(!a.apply(CheckResult::Failed, false));
        assert!(a.is_up());
    }

    #[test]
    fn intervals_follow_srv_getinter() {
        let iv = Intervals {
            inter: 2000,
            fastinter: 500,
            downinter: 5000,
        };
        let mut h = Health::new(2, 3);
        assert_eq!(iv.pick(&h, false), 500);
        h.health = 4;
        assert_eq!(iv.pick(&h, false), 2000);
        h.health = 0;
        assert_eq!(iv.pick(&h, true), 5000);
        h.health = 1;
        assert_eq!(iv.pick(&h, true), 500);
        let plain = Intervals {
            inter: 2000,
            fastinter: 0,
            downinter: 0,
        };
        assert_eq!(plain.pick(&Health::new(2, 3), true), 2000);
    }

    #[test]
    fn first_checks_are_spread() {
        assert_eq!(first_delay(2000, 2000, 0, 0, 4), 0);
        assert_eq!(first_delay(2000, 2000, 0, 1, 4), 500);
        assert_eq!(first_delay(2000, 5000, 0, 3, 4), 3750);
        assert_eq!(first_delay(2000, 5000, 1000, 3, 4), 750);
        assert_eq!(spread(1000, 0, 0.3), 1000);
        assert_eq!(spread(1000, 10, 0.0), 1100);
        assert_eq!(spread(1000, 10, 1.0), 900);
    }
}
