//! HAProxy's period-based frequency counters (`freq_ctr.h` / `freq_ctr.c`, 2.6): two
//! consecutive periods of events, the current one weighted fully and the previous one by
//! the share of the period still to run. Users compare these rates against thresholds
//! (`sc_http_req_rate(0) gt 10`), so the arithmetic is HAProxy's to the last rounding,
//! including the tick alignment on even milliseconds and the low-rate flapping correction.

/// `struct freq_ctr`: the start of the current period (a millisecond tick, always even),
/// the events counted in it and in the previous one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FreqCtr {
    pub curr_tick: u32,
    pub curr_ctr: u32,
    pub prev_ctr: u32,
}

impl FreqCtr {
    /// `update_freq_ctr_period()`: adds `inc` events at tick `now`; returns the current
    /// period's count.
    pub fn update(&mut self, period: u32, inc: u32, now: u32) -> u32 {
        if now.wrapping_sub(self.curr_tick) < period {
            self.curr_ctr = self.curr_ctr.wrapping_add(inc);
            return self.curr_ctr;
        }
        self.prev_ctr = self.curr_ctr;
        self.curr_ctr = inc;
        let mut tick = self.curr_tick.wrapping_add(period);
        if now.wrapping_sub(tick) >= period {
            // At least two periods were missed.
            self.prev_ctr = 0;
            tick = now;
        }
        self.curr_tick = tick & !1;
        inc
    }

    /// `freq_ctr_total()`: events over the last `period`, multiplied by `period`; `pend`
    /// events are counted as pending (negative: none, with the flapping correction).
    pub fn total(&self, period: u32, pend: i32, now: u32) -> u64 {
        let mut curr = u64::from(self.curr_ctr);
        let mut past = u64::from(self.prev_ctr);
        let mut remain = self.curr_tick.wrapping_add(period).wrapping_sub(now) as i32;
        if remain < 0 {
            // Past the first period: part of the last one may still count.
            remain = remain.wrapping_add(period as i32);
            past = if remain >= 0 { curr } else { 0 };
            curr = 0;
        }
        let mut pend = pend;
        if pend < 0 {
            pend = 0;
            if curr == 0 && past <= 1 {
                return past.wrapping_mul(u64::from(period));
            }
        }
        past.wrapping_mul(remain as i64 as u64)
            .wrapping_add((curr + pend as u64).wrapping_mul(u64::from(period)))
    }

    /// `read_freq_ctr_period()`: the event rate over `period`.
    pub fn read(&self, period: u32, now: u32) -> u32 {
        if period == 0 {
            return 0;
        }
        (self.total(period, -1, now) / u64::from(period)) as u32
    }

    /// Packs into two words (the stick-table entries' compact storage).
    pub fn pack(&self) -> [u64; 2] {
        [
            u64::from(self.curr_tick) | (u64::from(self.curr_ctr) << 32),
            u64::from(self.prev_ctr),
        ]
    }

    pub fn unpack(w: [u64; 2]) -> FreqCtr {
        FreqCtr {
            curr_tick: w[0] as u32,
            curr_ctr: (w[0] >> 32) as u32,
            prev_ctr: w[1] as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FreqCtr;

    /// HAProxy's formulas worked by hand: a fresh counter rotates at once and aligns its
    /// tick on an even millisecond.
    #[test]
    fn first_update_starts_a_period_at_now() {
        let mut f = FreqCtr::default();
        assert_eq!(f.update(10_000, 1, 1_000_001), 1);
        assert_eq!(f.curr_tick, 1_000_000);
        assert_eq!((f.curr_ctr, f.prev_ctr), (1, 0));
        // Within the period every event counts fully.
        for _ in 0..4 {
            f.update(10_000, 1, 1_000_500);
        }
        assert_eq!(f.read(10_000, 1_000_500), 5);
        assert_eq!(f.read(10_000, 1_009_999), 5);
    }

    #[test]
    fn previous_period_is_weighted_by_what_remains() {
        let mut f = FreqCtr::default();
        for _ in 0..10 {
            f.update(1000, 1, 100_000);
        }
        // 250 ms into the next period, without new events: 10 * 750 / 1000.
        assert_eq!(f.read(1000, 101_250), 7);
        f.update(1000, 1, 101_250);
        assert_eq!(f.curr_tick, 101_000);
        assert_eq!((f.curr_ctr, f.prev_ctr), (1, 10));
        // 10 * 750 + 1 * 1000 = 8500 → 8.
        assert_eq!(f.read(1000, 101_250), 8);
        // Two periods later only the flapping correction's single event is left, then
        // nothing.
        assert_eq!(f.read(1000, 103_000), 1);
        assert_eq!(f.read(1000, 103_001), 0);
    }

    #[test]
    fn missed_periods_reset_the_past() {
        let mut f = FreqCtr::default();
        f.update(1000, 5, 10_000);
        f.update(1000, 1, 13_501);
        assert_eq!(f.curr_tick, 13_500);
        assert_eq!((f.curr_ctr, f.prev_ctr), (1, 0));
    }

    /// At very low rates a single past event reads as a full one (no flapping 1 → 0).
    #[test]
    fn flapping_correction() {
        let mut f = FreqCtr::default();
        f.update(1000, 1, 50_000);
        assert_eq!(f.read(1000, 50_900), 1);
        assert_eq!(f.read(1000, 51_900), 1);
        assert_eq!(f.read(1000, 52_001), 0);
    }

    #[test]
    fn ticks_wrap() {
        let mut f = FreqCtr::default();
        f.update(1000, 3, u32::MAX - 100);
        f.update(1000, 1, 200);
        assert_eq!(f.curr_ctr, 4);
        let p = FreqCtr::unpack(f.pack());
        assert_eq!(p, f);
    }
}
