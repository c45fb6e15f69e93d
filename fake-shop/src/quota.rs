//! Request limits: an hourly and a daily quota in fixed windows, the hour drawn down first,
//! reported in the `X-Rate-Limit-*` headers; exhausted means 429 until the next full hour.

use http::HeaderMap;
use http::HeaderValue;
use time::OffsetDateTime;

use crate::dates::SHOP_OFFSET;

/// The limits when none were set: generous, so tests and the demo never hit them.
pub(crate) const DEFAULT_LIMIT: u32 = 100_000;

#[derive(Debug)]
pub(crate) struct Quota {
    hour_limit: u32,
    day_limit: u32,
    hour_used: u32,
    day_used: u32,
    hour_window: Option<i64>,
    day_window: Option<i64>,
}

impl Quota {
    pub(crate) fn new(hour_limit: u32, day_limit: u32) -> Self {
        Self {
            hour_limit,
            day_limit,
            hour_used: 0,
            day_used: 0,
            hour_window: None,
            day_window: None,
        }
    }

    /// Starts a fresh hour / day when the clock has moved into one.
    fn roll(&mut self, now: OffsetDateTime) {
        let hour = now.unix_timestamp().div_euclid(3600);
        if self.hour_window != Some(hour) {
            self.hour_window = Some(hour);
            self.hour_used = 0;
        }
        let local = now.to_offset(SHOP_OFFSET);
        let day = local.date().to_julian_day().into();
        if self.day_window != Some(day) {
            self.day_window = Some(day);
            self.day_used = 0;
        }
    }

    /// Counts one request: from the hourly quota, then the daily one. `false` when both are spent.
    pub(crate) fn take(&mut self, now: OffsetDateTime) -> bool {
        self.roll(now);
        if self.hour_used < self.hour_limit {
            self.hour_used += 1;
            true
        } else if self.day_used < self.day_limit {
            self.day_used += 1;
            true
        } else {
            false
        }
    }

    /// Adds the five `X-Rate-Limit-*` headers.
    pub(crate) fn add_headers(&mut self, now: OffsetDateTime, headers: &mut HeaderMap) {
        self.roll(now);
        let hour_left = self.hour_limit.saturating_sub(self.hour_used);
        let day_left = self.day_limit.saturating_sub(self.day_used);
        let values = [
            ("x-rate-limit-hour", u64::from(self.hour_limit)),
            ("x-rate-limit-day", u64::from(self.day_limit)),
            ("x-rate-limit-hour-remaining", u64::from(hour_left)),
            ("x-rate-limit-day-remaining", u64::from(day_left)),
            (
                "x-rate-limit-total-remaining",
                u64::from(hour_left) + u64::from(day_left),
            ),
        ];
        for (name, value) in values {
            headers.insert(name, HeaderValue::from(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn hour_first_then_day_then_refuse_and_reset_next_hour() {
        let mut q = Quota::new(2, 1);
        let t = datetime!(2026-11-28 10:15:00 +01:00);
        assert!(q.take(t) && q.take(t) && q.take(t));
        assert!(!q.take(t));
        let next_hour = datetime!(2026-11-28 11:00:00 +01:00);
        assert!(q.take(next_hour) && q.take(next_hour));
        assert!(
            !q.take(next_hour),
            "the day's quota is spent; only the hour's is back"
        );
        let next_day = datetime!(2026-11-29 00:00:00 +01:00);
        assert!(q.take(next_day) && q.take(next_day) && q.take(next_day));
    }
}
