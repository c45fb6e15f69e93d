//! Calendar arithmetic for Upgates' date filters, in UTC, without a date crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whole seconds since 1970-01-01 (0 for an earlier time).
pub(crate) fn unix_secs(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) fn start_of_minute(at: SystemTime) -> SystemTime {
    let secs = unix_secs(at);
    UNIX_EPOCH + Duration::from_secs(secs - secs % 60)
}

/// ISO 8601 in UTC with an explicit offset, as Upgates' date filters take it:
/// `2026-11-28T17:00:00+00:00`.
pub(crate) fn iso8601(at: SystemTime) -> String {
    let secs = unix_secs(at);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
/// Ten lines here spare the component a date crate.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_periods_start_on_the_minute() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_884_000);
        for offset in [0, 1, 59] {
            let start = start_of_minute(at + Duration::from_millis(offset * 1000 + 999));
            assert_eq!(iso8601(start), "2026-11-28T16:40:00+00:00");
        }
        assert_eq!(
            iso8601(start_of_minute(at + Duration::from_secs(60))),
            "2026-11-28T16:41:00+00:00"
        );
    }

    #[test]
    fn iso8601_has_explicit_offset() {
        let at = UNIX_EPOCH + Duration::from_secs(1_795_884_000);
        assert_eq!(iso8601(at), "2026-11-28T16:40:00+00:00");
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00+00:00");
        // A leap day and the turn of a century.
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00+00:00"
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(4_107_542_399)),
            "2100-02-28T23:59:59+00:00"
        );
    }
}
