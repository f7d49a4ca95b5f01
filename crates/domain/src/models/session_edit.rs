//! What a person may change of a chat: its title, whether it is pinned, and its tags.

use crate::models::chat::ChatSession;
use crate::models::rules::{EDITED_TITLE, FieldError, MAX_TAGS, TAG};

/// A checked edit: only what is `Some` changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionEdit {
    title: Option<String>,
    pinned: Option<bool>,
    tags: Option<Vec<String>>,
}

impl SessionEdit {
    /// Checks an edit as asked: the title with its whitespace collapsed, tags trimmed, and a
    /// tag given twice in different cases kept once, as first given. Every broken rule is
    /// reported.
    pub fn new(
        title: Option<&str>,
        pinned: Option<bool>,
        tags: Option<&[String]>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut broken = Vec::new();
        // Too long as sent is too long, whatever collapsing would leave: the limit the API
        // documents is on what is sent.
        let sent = title.filter(|title| title.chars().count() > EDITED_TITLE.max_chars);
        let title = title.map(|title| title.split_whitespace().collect::<Vec<_>>().join(" "));
        if let Some(title) = sent.or(title.as_deref()) {
            broken.extend(EDITED_TITLE.check("title", title));
        }
        let given = tags;
        let tags = tags.map(|tags| {
            let mut kept: Vec<String> = Vec::new();
            for (i, tag) in tags.iter().enumerate() {
                let field = format!("tags[{i}]");
                // A tag is a short label shown as a chip: no tabs, line breaks or other
                // control characters, anywhere in what was given.
                if tag.chars().any(char::is_control) {
                    broken.push(FieldError::new(
                        field,
                        "must not contain control characters",
                    ));
                    continue;
                }
                let tag = tag.trim();
                if let Some(error) = TAG.check(&field, tag) {
                    broken.push(error);
                } else if !kept.iter().any(|k| same_tag(k, tag)) {
                    kept.push(tag.to_owned());
                }
            }
            kept
        });
        // Counted as given, before the same tag in two cases is kept once.
        if given.is_some_and(|given| given.len() > MAX_TAGS) {
            broken.push(FieldError::new(
                "tags",
                format!("must be at most {MAX_TAGS} tags"),
            ));
        }
        if broken.is_empty() {
            Ok(Self {
                title,
                pinned,
                tags,
            })
        } else {
            Err(broken)
        }
    }

    /// Applies the edit. A tag the chat already has, in another case, keeps the chat's
    /// spelling: tags are stored as given the first time.
    pub fn apply_to(&self, session: &mut ChatSession) {
        if let Some(title) = &self.title {
            session.title.clone_from(title);
        }
        if let Some(pinned) = self.pinned {
            session.pinned = pinned;
        }
        if let Some(tags) = &self.tags {
            session.tags = tags
                .iter()
                .map(|tag| {
                    session
                        .tags
                        .iter()
                        .find(|had| same_tag(had, tag))
                        .unwrap_or(tag)
                        .clone()
                })
                .collect();
        }
    }
}

fn same_tag(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;

    fn chat(tags: &[&str]) -> ChatSession {
        ChatSession {
            id: Uuid::nil(),
            event_id: None,
            title: "Pacing?".into(),
            pinned: false,
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn a_title_too_long_as_sent_is_refused_even_if_collapsing_would_shorten_it() {
        let sent = format!("\t{}  ", "x".repeat(99));
        let broken = SessionEdit::new(Some(&sent), None, None)
            .err()
            .unwrap_or_default();
        assert_eq!(broken.len(), 1);
        assert!(SessionEdit::new(Some(&format!(" {} ", "x".repeat(98))), None, None).is_ok());
    }

    #[test]
    fn the_title_is_collapsed_and_tags_are_trimmed_and_kept_once_as_first_given() {
        let edit = SessionEdit::new(
            Some("  Canyon \n heat  "),
            Some(true),
            Some(&tags([" Heat ", "heat", "Crew", "HEAT"].as_slice())),
        )
        .unwrap();
        let mut session = chat(&[]);
        edit.apply_to(&mut session);
        assert_eq!(session.title, "Canyon heat");
        assert!(session.pinned);
        assert_eq!(session.tags, ["Heat", "Crew"]);
    }

    #[test]
    fn a_tag_the_chat_has_keeps_its_spelling_and_what_is_absent_is_left_alone() {
        let mut session = chat(&["Western States", "heat"]);
        SessionEdit::new(None, None, Some(&tags(&["western states", "Night"])))
            .unwrap()
            .apply_to(&mut session);
        assert_eq!(session.tags, ["Western States", "Night"]);
        assert_eq!(session.title, "Pacing?");
        assert!(!session.pinned);
    }

    #[test]
    fn every_broken_rule_is_reported_by_its_field() {
        let long_tag = "t".repeat(33);
        let eleven: Vec<String> = (0..11).map(|i| format!("tag {i}")).collect();
        let given = tags(&["ok", " ", &long_tag, "bell\u{7}", "\theat"]);
        let errors = SessionEdit::new(Some(" \t "), None, Some(&given)).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["title", "tags[1]", "tags[2]", "tags[3]", "tags[4]"]
        );
        let errors = SessionEdit::new(Some(&"x".repeat(101)), None, Some(&eleven)).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "tags"]);
        assert!(SessionEdit::new(Some(&"x".repeat(100)), None, Some(&eleven[..10])).is_ok());
    }
}
