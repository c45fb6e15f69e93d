//! Calendar arithmetic, in UTC, without a date crate: Upgates' date filters and the HTTP dates
//! of `Retry-After`.

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

/// An HTTP-date (RFC 9110, 5.6.7) in any of the three forms a recipient must accept:
/// `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete `Sunday, 06-Nov-94 08:49:37 GMT` (years
/// 70-99 are 19xx, the rest 20xx) and `Sun Nov  6 08:49:37 1994`. The weekday is not checked.
/// By hand, to spare the component a date crate.
pub fn http_date(value: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = value
        .split([' ', ',', '-'])
        .filter(|p| !p.is_empty())
        .collect();
    let (day, month, year, time) = match parts[..] {
        [_, day, month, year, time, "GMT"] => (day, month, year, time),
        [_, month, day, time, year] => (day, month, year, time),
        _ => return None,
    };
    let number = |text: &str, digits: std::ops::RangeInclusive<usize>| {
        (digits.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u64>().ok())
            .flatten()
    };
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let day = number(day, 1..=2).filter(|d| (1..=31).contains(d))?;
    let year = match (year.len(), number(year, 2..=4)?) {
        (2, y @ 70..) => 1900 + y,
        (2, y) => 2000 + y,
        (4, y @ 1970..) => y,
        _ => return None,
    };
    let mut clock = time.split(':').map(|part| number(part, 2..=2));
    let (Some(Some(hour)), Some(Some(minute)), Some(Some(second)), None) =
        (clock.next(), clock.next(), clock.next(), clock.next())
    else {
        return None;
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days since 1970-01-01 (Howard Hinnant's `days_from_civil`; the year is 1970 or later).
    let y = if month <= 2 { year - 1 } else { year };
    let (era, yoe) = (y / 400, y % 400);
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(std::time::UNIX_EPOCH + Duration::from_secs(seconds))
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

    #[test]
    fn http_dates_in_all_three_forms() {
        // RFC 9110's example, 1994-11-06T08:49:37Z.
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(http_date(text), Some(at), "{text}");
        }
        assert_eq!(
            http_date("Sat, 28 Nov 2026 17:00:00 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(1_795_884_000 + 1200))
        );
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(UNIX_EPOCH));
        assert_eq!(
            http_date("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(253_402_300_799))
        );
        // Two-digit years: 70-99 are 19xx, the rest 20xx.
        assert_eq!(
            http_date("Thursday, 01-Jan-70 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            http_date("Saturday, 28-Nov-26 17:00:00 GMT"),
            http_date("Sat, 28 Nov 2026 17:00:00 GMT")
        );
        for bad in [
            "",
            "120",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37:00 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 19945 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
        ] {
            assert_eq!(http_date(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        /// The `httpdate` crate, which this replaced, reads every date it writes, in each of
        /// the three forms, as `http_date` does.
        #[test]
        fn http_dates_as_httpdate_reads_them(secs in 0u64..253_402_300_800) {
            let at = UNIX_EPOCH + Duration::from_secs(secs);
            let imf = httpdate::fmt_http_date(at);
            proptest::prop_assert_eq!(http_date(&imf), Some(at), "{}", imf);
            proptest::prop_assert_eq!(httpdate::parse_http_date(&imf).ok(), Some(at));
            // `Sun, 06 Nov 1994 08:49:37 GMT` as asctime: `Sun Nov  6 08:49:37 1994`.
            let (weekday, day, month, year, time) =
                (&imf[..3], &imf[5..7], &imf[8..11], &imf[12..16], &imf[17..25]);
            let asctime = format!("{weekday} {month} {:>2} {time} {year}", day.trim_start_matches('0'));
            proptest::prop_assert_eq!(http_date(&asctime), Some(at), "{}", asctime);
            proptest::prop_assert_eq!(httpdate::parse_http_date(&asctime).ok(), Some(at));
            // RFC 850's two-digit years reach 1970-2069 only.
            if (1970..2070).contains(&year.parse::<u32>().unwrap_or(0)) {
                let full = match weekday {
                    "Tue" => "Tuesday",
                    "Wed" => "Wednesday",
                    "Thu" => "Thursday",
                    "Sat" => "Saturday",
                    _ => &format!("{weekday}day"),
                };
                let rfc850 = format!("{full}, {day}-{month}-{} {time} GMT", &year[2..]);
                proptest::prop_assert_eq!(http_date(&rfc850), Some(at), "{}", rfc850);
                proptest::prop_assert_eq!(httpdate::parse_http_date(&rfc850).ok(), Some(at));
            }
        }
    }
}
