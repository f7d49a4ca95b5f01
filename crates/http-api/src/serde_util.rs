//! Deserialization rules the original planner's clients rely on.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};

/// RFC 3339, or a naive ISO date-time (or a bare date) taken as UTC: the original backend
/// accepted all three, and its frontend sends `new Date(..).toISOString()`.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    const NAIVE: [&str; 3] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ];
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            let naive = NAIVE
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
                .or_else(|| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .ok()?
                        .and_hms_opt(0, 0, 0)
                });
            naive.map(|t| t.and_utc())
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

/// A nullable field of a partial update: left out keeps the stored value, `null` clears
/// it, a value replaces it. (A type of its own rather than serde_with's `double_option`
/// on an `Option<Option<T>>`: the three cases read as what they mean, and no field needs an
/// attribute.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Change<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Self::Clear, Self::Set))
    }
}

impl<T> Change<T> {
    /// Writes the change over `slot`, reading a set value with `into`.
    pub fn apply<U>(self, slot: &mut Option<U>, into: impl FnOnce(T) -> U) {
        match self {
            Self::Keep => {}
            Self::Clear => *slot = None,
            Self::Set(value) => *slot = Some(into(value)),
        }
    }
}

/// A nullable date-time in a partial update, read as [`optional_datetime`] reads it (""
/// clears it too).
pub fn change_datetime<'de, D: Deserializer<'de>>(d: D) -> Result<Change<DateTime<Utc>>, D::Error> {
    Ok(optional_datetime(d)?.map_or(Change::Clear, Change::Set))
}

/// Stores a partial update's value of a field that cannot be cleared, if it has one.
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
