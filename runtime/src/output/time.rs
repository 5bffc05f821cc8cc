//! Timestamps for prefixed lines, formatted without a date library: UTC
//! only, so the calendar is plain arithmetic.

use std::io::Write as _;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::Timestamps;

/// When the graph's output began: what `SinceStart` counts from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    start: Instant,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        Clock {
            start: Instant::now(),
        }
    }

    /// Appends the current time in the form `kind` names, then a space.
    pub(crate) fn stamp(&self, kind: Timestamps, out: &mut Vec<u8>) {
        match kind {
            Timestamps::Rfc3339 => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                rfc3339(now.as_secs(), now.subsec_micros(), out);
            }
            Timestamps::SinceStart => {
                let since = self.start.elapsed();
                let _ = write!(out, "+{}.{:06}", since.as_secs(), since.subsec_micros());
            }
        }
        out.push(b' ');
    }
}

/// `secs` after the epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn rfc3339(secs: u64, micros: u32, out: &mut Vec<u8>) {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    );
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, <https://howardhinnant.github.io/date_algorithms.html>).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(secs: u64, micros: u32) -> String {
        let mut out = Vec::new();
        rfc3339(secs, micros, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rfc3339_matches_known_instants() {
        assert_eq!(format(0, 0), "1970-01-01T00:00:00.000000Z");
        // date -u -d @951782400: the leap day of a century leap year.
        assert_eq!(format(951_782_400, 5), "2000-02-29T00:00:00.000005Z");
        // date -u -d @1796319599
        assert_eq!(
            format(1_796_319_599, 999_999),
            "2026-12-03T17:39:59.999999Z"
        );
        assert_eq!(format(4_107_542_400, 0), "2100-03-01T00:00:00.000000Z");
    }

    #[test]
    fn since_start_counts_from_the_clock() {
        let clock = Clock::new();
        let mut out = Vec::new();
        clock.stamp(Timestamps::SinceStart, &mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("+0.") && text.ends_with(' '), "{text}");
    }
}
