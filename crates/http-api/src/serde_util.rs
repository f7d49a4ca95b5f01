//! Deserialization rules the original planner's clients rely on.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};

/// RFC 3339, or a naive ISO date-time (or a bare date) taken as UTC: the original backend
/// accepted all three, and its frontend sends `new Date(..).toISOString()`.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .ok()
                .map(|t| t.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
        // PostgreSQL keeps microseconds; drop the rest so a value reads back as written.
        .and_then(|t| DateTime::from_timestamp_micros(t.timestamp_micros()))
}

/// A nullable date-time: absent, null or "" (an empty date field) is `None`, anything
/// unreadable is an error.
pub fn optional_datetime<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    text.filter(|text| !text.is_empty())
        .map(|text| {
            parse_datetime(&text).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "{text:?} is not a date-time (expected e.g. 2026-06-27T05:00:00Z)"
                ))
            })
        })
        .transpose()
}

/// For partial updates: absent stays `None` (through `#[serde(default)]`), `null` becomes
/// `Some(None)`, a value becomes `Some(Some(v))`.
pub fn update<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    serde_with::rust::double_option::deserialize(d)
}

/// [`update`] for date-times, which are read by [`optional_datetime`] (serde_with reads a
/// value with its own `Deserialize`, and `DateTime`'s takes RFC 3339 only).
pub fn update_datetime<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<DateTime<Utc>>>, D::Error> {
    optional_datetime(d).map(Some)
}

/// Stores a partial update's value, if it has one.
pub fn set<T>(slot: &mut T, change: Option<T>) {
    if let Some(value) = change {
        *slot = value;
    }
}

/// An integer field that also takes a number written with a zero fraction (`713.0`): JSON,
/// JavaScript and JSON Schema see no difference between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholeNumber(pub i32);

impl WholeNumber {
    pub const fn get(self) -> i32 {
        self.0
    }
}

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let number = serde_json::Number::deserialize(d)?;
        let whole = number.as_i64().or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= f64::from(i32::MAX))
                // Exact: a whole number within i32's range.
                .map(|f| f as i64)
        });
        whole
            .and_then(|n| i32::try_from(n).ok())
            .map(Self)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "{number} is not a whole number from {} to {}",
                    i32::MIN,
                    i32::MAX
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_form_reads_as_utc() {
        let expected = "2026-06-27T05:00:00Z";
        for text in [
            "2026-06-27T05:00:00Z",
            "2026-06-27T07:00:00+02:00",
            "2026-06-27T05:00:00",
            "2026-06-27T05:00:00.000",
        ] {
            let parsed =
                parse_datetime(text).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            assert_eq!(parsed.as_deref(), Some(expected), "{text}");
        }
        assert_eq!(
            parse_datetime("2026-06-27").map(|t| t.timestamp()),
            parse_datetime("2026-06-27T00:00:00Z").map(|t| t.timestamp())
        );
        assert_eq!(parse_datetime("next saturday"), None);
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction_but_not_a_real_one() {
        let read = |json: &str| serde_json::from_str::<WholeNumber>(json).map(|n| n.0).ok();
        assert_eq!(read("713"), Some(713));
        assert_eq!(read("713.0"), Some(713));
        assert_eq!(read("-2.0e1"), Some(-20));
        assert_eq!(read("713.5"), None);
        assert_eq!(read("1e300"), None);
        assert_eq!(read("2147483648"), None);
        assert_eq!(read("\"7\""), None);
    }
}
