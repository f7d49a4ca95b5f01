//! Timestamps written as RFC 3339 in UTC, exactly as chrono writes them (fraction of 0, 3,
//! 6 or 9 digits, `Z`), but formatted straight into a stack buffer. chrono's own `Serialize`
//! goes through `collect_str`, which escapes each formatted piece one character at a time:
//! the bench found that to be a third of the CPU of listing 1,000 sessions.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde::Serializer;

fn digits(buf: &mut [u8], mut value: u32) {
    for slot in buf.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Writes `time` into `buf`, returning the length; `None` outside years 0000–9999, which
/// chrono writes differently.
fn format(time: &DateTime<Utc>, buf: &mut [u8; 30]) -> Option<usize> {
    let year = u32::try_from(time.year()).ok().filter(|y| *y <= 9999)?;
    *buf = *b"0000-00-00T00:00:00.000000000Z";
    digits(&mut buf[0..4], year);
    digits(&mut buf[5..7], time.month());
    digits(&mut buf[8..10], time.day());
    digits(&mut buf[11..13], time.hour());
    digits(&mut buf[14..16], time.minute());
    digits(&mut buf[17..19], time.second());
    let nanos = time.nanosecond();
    // A leap second (nanos >= 1e9) is rare enough to leave to chrono.
    if nanos >= 1_000_000_000 {
        return None;
    }
    let fraction_digits = match nanos {
        0 => 0,
        n if n % 1_000_000 == 0 => 3,
        n if n % 1_000 == 0 => 6,
        _ => 9,
    };
    if fraction_digits == 0 {
        buf[19] = b'Z';
        return Some(20);
    }
    digits(&mut buf[20..29], nanos);
    buf[20 + fraction_digits] = b'Z';
    Some(21 + fraction_digits)
}

pub fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 30];
    match format(time, &mut buf).and_then(|len| std::str::from_utf8(&buf[..len]).ok()) {
        Some(text) => serializer.serialize_str(text),
        None => serializer.serialize_str(&time.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    }
}

pub fn serialize_option<S: Serializer>(
    time: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serialize(time, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn ours(time: &DateTime<Utc>) -> String {
        let mut out = Vec::new();
        serialize(time, &mut serde_json::Serializer::new(&mut out)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn matches_chrono_for_every_fraction_width_and_edge_dates() {
        let base = Utc.with_ymd_and_hms(2026, 11, 24, 22, 6, 5).unwrap();
        let mut times = vec![
            base,
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2024, 2, 29, 12, 0, 0).unwrap(),
        ];
        for nanos in [
            1,
            10,
            999,
            1_000,
            686_299_000,
            123_000_000,
            999_999_999,
            500_000,
            7_000_001,
        ] {
            times.push(base + chrono::Duration::nanoseconds(nanos));
        }
        times.push(Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap());
        for time in times {
            assert_eq!(
                ours(&time),
                serde_json::to_string(&time).unwrap(),
                "{time:?}"
            );
        }
    }
}
