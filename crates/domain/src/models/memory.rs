//! What the assistant remembers of an event's other chats, and how an answer cites what its
//! prompt held.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::models::event::Event;

/// A question looking for what the event's other chats said about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recall<'a> {
    pub event_id: Uuid,
    /// The chat the question is asked in, whose own messages the prompt has already.
    pub exclude_session: Option<Uuid>,
    pub question: &'a str,
    /// At most this many passages come back, best first.
    pub limit: usize,
}

/// A piece of an earlier chat: a message, or the part of a long one around what matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    pub session_id: Uuid,
    pub message_id: Uuid,
    pub title: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// The passages that fit `max_chars` (counted in characters, best first; one that does not
/// fit is skipped and a shorter one after it may still fit), leaving out those whose text
/// the chat's own history already holds, or an earlier passage said word for word.
pub fn fitting(passages: Vec<Passage>, history: &[&str], max_chars: usize) -> Vec<Passage> {
    let mut used = 0;
    let mut said = std::collections::HashSet::new();
    passages
        .into_iter()
        .filter(|p| !history.iter().any(|h| h.contains(p.text.trim())))
        .filter(|p| said.insert(p.text.trim().to_owned()))
        .filter(|p| {
            let length = p.text.chars().count();
            let fits = used + length <= max_chars;
            if fits {
                used += length;
            }
            fits
        })
        .collect()
}

/// The prompt's section for `passages`: delimited, each passage under its chat's title and
/// date, so the model can tell recalled notes from the conversation and say where a fact
/// came from.
pub fn section(passages: &[Passage]) -> Option<String> {
    if passages.is_empty() {
        return None;
    }
    let mut text = String::from(
        "Notes from the runner's earlier chats about this event (what was said then; use them when \
         they help, and say which chat a fact came from):\n<<<earlier chats",
    );
    for passage in passages {
        text.push_str(&format!(
            "\n--- chat \"{}\", {}:\n{}",
            passage.title.replace('"', "'"),
            passage.created_at.format("%-d %B %Y"),
            passage.text.trim()
        ));
    }
    text.push_str("\nearlier chats>>>");
    Some(text)
}

/// What an answer's prompt used, as the answer's `sources`: the event's details when the
/// chat is about one, and each recalled passage. `None` when the prompt used neither.
pub fn sources(event: Option<&Event>, passages: &[Passage]) -> Option<Value> {
    let mut items: Vec<Value> = event
        .map(|e| json!({"type": "event", "event_id": e.id, "name": e.fields.name}))
        .into_iter()
        .collect();
    items.extend(passages.iter().map(|p| {
        json!({
            "type": "chat",
            "session_id": p.session_id,
            "message_id": p.message_id,
            "title": p.title,
            "snippet": p.text,
            "created_at": p.created_at,
        })
    }));
    (!items.is_empty()).then_some(Value::Array(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(text: &str) -> Passage {
        Passage {
            session_id: Uuid::from_u128(1),
            message_id: Uuid::from_u128(2),
            title: "Drop \"bags\"".to_owned(),
            text: text.to_owned(),
            created_at: DateTime::from_timestamp(1_773_000_000, 0).unwrap_or_default(),
        }
    }

    #[test]
    fn passages_fit_the_budget_in_characters_and_skip_what_the_chat_holds() {
        let kept = fitting(
            vec![
                passage("héadlamp in the Foresthill bag"),
                passage(&"x".repeat(20)),
                passage("salt"),
                passage(" salt "),
                passage("already said"),
            ],
            &["we have already said this"],
            35,
        );
        let texts: Vec<&str> = kept.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["héadlamp in the Foresthill bag", "salt"]);
    }

    #[test]
    fn the_section_names_each_chat_and_date_between_delimiters() {
        assert_eq!(section(&[]), None);
        let text = section(&[passage(" spare headlamp ")]).unwrap_or_default();
        assert!(text.contains("<<<earlier chats\n--- chat \"Drop 'bags'\", 8 March 2026:\nspare headlamp\nearlier chats>>>"), "{text}");
    }

    #[test]
    fn sources_list_the_passages_with_their_chat_and_message() {
        assert_eq!(sources(None, &[]), None);
        let Some(Value::Array(items)) = sources(None, &[passage("salt")]) else {
            panic!("no sources");
        };
        assert_eq!(items[0]["type"], "chat");
        assert_eq!(items[0]["message_id"], Uuid::from_u128(2).to_string());
        assert_eq!(items[0]["snippet"], "salt");
        assert_eq!(items[0]["title"], "Drop \"bags\"");
    }
}
