//! The one rule for free text a person types (names, comments, chat messages).

use crate::error::FieldError;

/// Whether text may be blank (nothing but whitespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blank {
    Allowed,
    Refused,
}

/// At most `max` characters (Unicode scalar values, as a person counts them, not bytes), no
/// NUL character (PostgreSQL text cannot hold one: it would fail as a server error), and not
/// blank when refused. The first rule broken is reported.
pub fn check_text(field: &str, text: &str, max: usize, blank: Blank) -> Option<FieldError> {
    let problem = if blank == Blank::Refused && text.trim().is_empty() {
        "must not be blank".to_owned()
    } else if text.contains('\0') {
        "must not contain the NUL character".to_owned()
    } else if text.chars().count() > max {
        format!("must be at most {max} characters")
    } else {
        return None;
    };
    Some(FieldError::new(field, problem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_nul_and_length_are_checked_in_characters() {
        let check = |text: &str, blank| check_text("f", text, 3, blank).map(|e| e.message);
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
}
