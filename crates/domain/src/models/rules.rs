//! The rules input values obey, written once: validation reads them, and so does the HTTP
//! layer's OpenAPI document, so the two cannot drift apart. A leaf module: it imports no
//! other module of the crate.

/// A rule of an input value that was broken, named by the field that broke it so a person
/// (or a form) can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Whether text may be blank (nothing but whitespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blank {
    Allowed,
    Refused,
}

/// Free text a person types (names, comments, chat messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// Unicode scalar values, as a person counts them, not bytes.
    pub max_chars: usize,
    pub blank: Blank,
}

impl TextRule {
    /// Text that must not be blank.
    pub const fn required(max_chars: usize) -> Self {
        Self {
            max_chars,
            blank: Blank::Refused,
        }
    }

    /// At most `max_chars` characters, no NUL character (PostgreSQL text cannot hold one: it
    /// would fail as a server error), and not blank when refused. The first rule broken is
    /// reported.
    pub fn check(self, field: &str, text: &str) -> Option<FieldError> {
        let problem = if self.blank == Blank::Refused && text.trim().is_empty() {
            "must not be blank".to_owned()
        } else if text.contains('\0') {
            "must not contain the NUL character".to_owned()
        } else if text.chars().count() > self.max_chars {
            format!("must be at most {} characters", self.max_chars)
        } else {
            return None;
        };
        Some(FieldError::new(field, problem))
    }
}

/// A number with inclusive bounds; `whole` numbers are said so in the error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumberRule {
    pub min: f64,
    pub max: f64,
    pub whole: bool,
}

impl NumberRule {
    const fn real(min: f64, max: f64) -> Self {
        Self {
            min,
            max,
            whole: false,
        }
    }

    const fn whole(min: i32, max: i32) -> Self {
        Self {
            min: min as f64,
            max: max as f64,
            whole: true,
        }
    }

    pub fn check(self, field: &str, value: Option<f64>) -> Option<FieldError> {
        let value = value?;
        if value.is_finite() && value >= self.min && value <= self.max {
            return None;
        }
        let kind = if self.whole {
            "a whole number"
        } else {
            "a number"
        };
        Some(FieldError::new(
            field,
            format!("must be {kind} from {} to {}", self.min, self.max),
        ))
    }

    pub fn check_whole(self, field: &str, value: Option<i32>) -> Option<FieldError> {
        self.check(field, value.map(f64::from))
    }
}

/// Event and waypoint names.
pub const NAME: TextRule = TextRule::required(200);
/// A waypoint's comments.
pub const COMMENTS: TextRule = TextRule {
    max_chars: 10_000,
    blank: Blank::Allowed,
};
/// Longer than any foot race on record, small enough that pace arithmetic stays sane.
pub const MILES: NumberRule = NumberRule::real(0.0, 10_000.0);
/// A week; no race target or aid-station stop is longer, and it keeps sums far from overflow.
const WEEK_MINUTES: i32 = 7 * 24 * 60;
pub const TARGET_MINUTES: NumberRule = NumberRule::whole(1, WEEK_MINUTES);
pub const STOP_MINUTES: NumberRule = NumberRule::whole(0, WEEK_MINUTES);
/// The planner's pace adjustments, in percent.
pub const PERCENT: NumberRule = NumberRule::real(-100.0, 1000.0);
pub const LATITUDE: NumberRule = NumberRule::real(-90.0, 90.0);
pub const LONGITUDE: NumberRule = NumberRule::real(-180.0, 180.0);
/// From the Dead Sea shore to above Everest's summit, in feet.
pub const ELEVATION_FEET: NumberRule = NumberRule::real(-1_500.0, 30_000.0);
pub const ORDER_INDEX: NumberRule = NumberRule::whole(0, i32::MAX);
/// What a person types into the search box.
pub const SEARCH_TEXT: TextRule = TextRule::required(500);
/// A chat's title as a person edits it (whitespace runs collapsed first).
pub const EDITED_TITLE: TextRule = TextRule::required(100);
/// One tag of a chat (trimmed first).
pub const TAG: TextRule = TextRule::required(32);
/// A tag a list is filtered by: an empty one filters nothing.
pub const TAG_FILTER: TextRule = TextRule {
    max_chars: 32,
    blank: Blank::Allowed,
};
/// Most tags a chat has.
pub const MAX_TAGS: usize = 10;
/// Hits per page of search results.
pub const SEARCH_LIMIT: NumberRule = NumberRule::whole(1, 100);
/// Chats per page of a chat list.
pub const SESSION_LIMIT: NumberRule = NumberRule::whole(1, 1000);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_nul_and_length_are_checked_in_characters() {
        let check = |text: &str, blank| {
            TextRule {
                max_chars: 3,
                blank,
            }
            .check("f", text)
            .map(|e| e.message)
        };
        assert_eq!(
            check(" \t\u{3000}", Blank::Refused).as_deref(),
            Some("must not be blank")
        );
        assert_eq!(check("", Blank::Allowed), None);
        assert_eq!(
            check("a\0", Blank::Allowed).as_deref(),
            Some("must not contain the NUL character")
        );
        assert_eq!(check("ééé", Blank::Refused), None);
        assert_eq!(
            check("éééé", Blank::Refused).as_deref(),
            Some("must be at most 3 characters")
        );
    }

    #[test]
    fn numbers_are_checked_inclusively_and_whole_ones_say_so() {
        assert_eq!(MILES.check("d", Some(10_000.0)), None);
        assert_eq!(MILES.check("d", None), None);
        assert!(MILES.check("d", Some(f64::NAN)).is_some());
        assert_eq!(
            STOP_MINUTES
                .check_whole("s", Some(-1))
                .map(|e| e.message)
                .as_deref(),
            Some("must be a whole number from 0 to 10080")
        );
    }
}
