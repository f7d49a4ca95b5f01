//! Searching every chat, down to the message: what is asked and what is found.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::models::chat::Role;
use crate::models::rules::{FieldError, SEARCH_LIMIT, SEARCH_TEXT};

/// A checked search: words as a person types them (all must match, `"a phrase"`, `or`,
/// `-left out`), within one event or all, one page of hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    text: String,
    event_id: Option<Uuid>,
    limit: usize,
    offset: usize,
}

impl SearchQuery {
    pub const DEFAULT_LIMIT: usize = 20;

    /// Refuses blank text, text over the length limit and a limit out of range, each
    /// reported by the field that broke it.
    pub fn new(
        text: &str,
        event_id: Option<Uuid>,
        limit: Option<i32>,
        offset: usize,
    ) -> Result<Self, Vec<FieldError>> {
        let problems: Vec<FieldError> = [
            SEARCH_TEXT.check("q", text),
            SEARCH_LIMIT.check_whole("limit", limit),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            text: text.trim().to_owned(),
            event_id,
            limit: limit
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(Self::DEFAULT_LIMIT),
            offset,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn event_id(&self) -> Option<Uuid> {
        self.event_id
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How many hits earlier pages held.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// A message (or, when only its title matched, a chat) that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub session_id: Uuid,
    pub session_title: String,
    pub event_id: Option<Uuid>,
    /// `None` when only the chat's title matched.
    pub message_id: Option<Uuid>,
    pub role: Option<Role>,
    pub created_at: DateTime<Utc>,
    /// Plain text around the match: the message's (or the title's) own words.
    pub snippet: String,
    /// The matched terms within `snippet`, as `[start, end)` in characters (Unicode scalar
    /// values), in order and not overlapping.
    pub highlights: Vec<(usize, usize)>,
}

/// One page of hits, best first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    /// Whether more hits follow this page.
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_long_or_nul_text_and_a_limit_out_of_range_are_refused_by_field() {
        let fields = |text: &str, limit| {
            SearchQuery::new(text, None, limit, 0)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields("", None), ["q"]);
        assert_eq!(fields(" \t\u{3000}", None), ["q"]);
        assert_eq!(fields("salt\0", None), ["q"]);
        assert_eq!(fields(&"x".repeat(501), None), ["q"]);
        assert_eq!(fields("salt", Some(0)), ["limit"]);
        assert_eq!(fields("", Some(101)), ["q", "limit"]);
        assert!(fields(&"é".repeat(500), Some(100)).is_empty());
    }

    #[test]
    fn text_is_trimmed_and_the_limit_defaults_to_twenty() {
        let query = SearchQuery::new("  salt tablets ", None, None, 40).unwrap();
        assert_eq!(
            (query.text(), query.limit(), query.offset()),
            ("salt tablets", 20, 40)
        );
    }
}
