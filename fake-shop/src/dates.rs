//! Time: the shop's clock, ISO 8601 as Upgates writes it, and the dates its filters accept.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::{Iso8601, Rfc3339};
use time::macros::{format_description, offset};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The shop's UTC offset (Europe/Prague, winter time), used for every date the fake writes.
pub(crate) const SHOP_OFFSET: UtcOffset = offset!(+1);

/// A wall clock that starts at a chosen instant and then runs at real speed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    base: OffsetDateTime,
    started: Instant,
}

impl Clock {
    pub(crate) fn starting_at(now: SystemTime) -> Self {
        Self {
            base: from_system_time(now),
            started: Instant::now(),
        }
    }

    /// The current time in the shop's offset.
    pub(crate) fn now(&self) -> OffsetDateTime {
        let elapsed = Duration::try_from(self.started.elapsed()).unwrap_or(Duration::ZERO);
        self.base.checked_add(elapsed).unwrap_or(self.base)
    }
}

/// `SystemTime` in the shop's offset, clamped to the Unix epoch when out of range.
pub(crate) fn from_system_time(t: SystemTime) -> OffsetDateTime {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(0),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(0),
    };
    OffsetDateTime::from_unix_timestamp(secs)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(SHOP_OFFSET)
}

/// `2025-05-27T09:19:01+01:00`: ISO 8601 with offset and no fraction, as Upgates answers.
pub(crate) fn iso(t: OffsetDateTime) -> String {
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    t.to_offset(SHOP_OFFSET).format(&format).unwrap_or_default()
}

/// `2025-05-27`, the shop-local date (as in `paid_date`).
pub(crate) fn ymd(t: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]");
    t.to_offset(SHOP_OFFSET).format(&format).unwrap_or_default()
}

/// An IMF-fixdate in GMT (`Sat, 28 Nov 2026 18:00:00 GMT`), as in `Retry-After`.
pub(crate) fn http_date(t: OffsetDateTime) -> String {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// The start of the next full hour after `t`.
pub(crate) fn next_full_hour(t: OffsetDateTime) -> OffsetDateTime {
    let next = t
        .unix_timestamp()
        .div_euclid(3600)
        .saturating_add(1)
        .saturating_mul(3600);
    OffsetDateTime::from_unix_timestamp(next).unwrap_or(t)
}

/// A date given in a query: an instant, or a whole shop-local day (`YYYY-MM-DD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueryTime {
    At(OffsetDateTime),
    Day(Date),
}

impl QueryTime {
    /// The first instant covered.
    pub(crate) fn start(self) -> OffsetDateTime {
        match self {
            Self::At(t) => t,
            Self::Day(d) => d.midnight().assume_offset(SHOP_OFFSET),
        }
    }

    /// Whether `t` is at or before this bound, a whole day counting as included.
    pub(crate) fn includes_up_to(self, t: OffsetDateTime) -> bool {
        match self {
            Self::At(bound) => t <= bound,
            Self::Day(d) => match d.next_day() {
                Some(next) => t < next.midnight().assume_offset(SHOP_OFFSET),
                None => true,
            },
        }
    }
}

/// Parses an ISO 8601 date or date-time as the API accepts it: with an offset
/// (`2026-11-01T10:00:00+01:00`, `...Z`, fractions allowed), without one (shop time), or a
/// bare `YYYY-MM-DD`.
pub(crate) fn parse(s: &str) -> Option<QueryTime> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(QueryTime::At(t));
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Iso8601::DEFAULT) {
        return Some(QueryTime::At(t));
    }
    let local = [
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    ];
    for format in local {
        if let Ok(t) = PrimitiveDateTime::parse(s, &format) {
            return Some(QueryTime::At(t.assume_offset(SHOP_OFFSET)));
        }
    }
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .ok()
        .map(QueryTime::Day)
}

/// A stored date (`creation_time`, `last_update_time`, ...) as an instant.
pub(crate) fn parse_stored(s: &str) -> Option<OffsetDateTime> {
    parse(s).map(QueryTime::start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_like_upgates() {
        let t = datetime!(2026-11-28 17:05:09 UTC);
        assert_eq!(iso(t), "2026-11-28T18:05:09+01:00");
        assert_eq!(ymd(datetime!(2026-11-28 23:30:00 UTC)), "2026-11-29");
        assert_eq!(http_date(t), "Sat, 28 Nov 2026 17:05:09 GMT");
        assert_eq!(
            http_date(next_full_hour(t)),
            "Sat, 28 Nov 2026 18:00:00 GMT"
        );
    }

    #[test]
    fn parses_query_dates() {
        let at = |s| parse(s).map(QueryTime::start);
        assert_eq!(
            at("2026-11-01T10:00:00+01:00"),
            Some(datetime!(2026-11-01 09:00:00 UTC))
        );
        assert_eq!(
            at("2026-11-01T09:00:00Z"),
            Some(datetime!(2026-11-01 09:00:00 UTC))
        );
        assert_eq!(
            at("2026-11-01T10:00:00.5+01:00"),
            Some(datetime!(2026-11-01 09:00:00.5 UTC))
        );
        assert_eq!(
            at("2026-11-01 10:00:00"),
            Some(datetime!(2026-11-01 09:00:00 UTC))
        );
        assert_eq!(at("2026-11-01"), Some(datetime!(2026-10-31 23:00:00 UTC)));
        for bad in [
            "",
            "yesterday",
            "2026-13-01",
            "2026-11-01T10:00:00 01:00",
            "01.11.2026",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_whole_day_bound_is_inclusive() {
        let day = parse("2026-11-01").unwrap();
        assert!(day.includes_up_to(datetime!(2026-11-01 23:59:59 +01:00)));
        assert!(!day.includes_up_to(datetime!(2026-11-02 00:00:00 +01:00)));
        let at = parse("2026-11-01T10:00:00+01:00").unwrap();
        assert!(at.includes_up_to(datetime!(2026-11-01 10:00:00 +01:00)));
        assert!(!at.includes_up_to(datetime!(2026-11-01 10:00:01 +01:00)));
    }
}
