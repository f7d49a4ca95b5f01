//! A chat as a Markdown file a person reads anywhere: its title, event and dates, then each
//! message under its author and time, an answer's note (interrupted, cut at the length
//! limit, ...) under it, and its sources.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use domain::{ChatMessage, Event, Role, SessionWithMessages};

use crate::chat_sessions::dto::SaidDto;

/// Minutes are enough for a person; the JSON export keeps the exact times.
pub fn when(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn author(role: Role) -> &'static str {
    match role {
        Role::User => "You",
        Role::Assistant => "Assistant",
    }
}

/// What a person reads under a message: why it stopped, or why it may not be all they
/// expect (the app's own words); `None` for the rest.
pub fn note(message: &ChatMessage) -> Option<String> {
    let said = SaidDto::from(message);
    let reason = said.status_reason()?;
    Some(match message.status.interruption() {
        Some(_) => format!("Interrupted: {reason}"),
        None => format!("Note: {reason}"),
    })
}

/// The lines of a message's sources, when it has any.
pub fn sources(message: &ChatMessage) -> Vec<String> {
    let Some(serde_json::Value::Array(items)) = &message.sources else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| match item {
            serde_json::Value::Object(fields) => ["title", "name", "url", "snippet"]
                .iter()
                .find_map(|key| fields.get(*key).and_then(|v| v.as_str()))
                .map_or_else(|| item.to_string(), str::to_owned),
            other => other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned),
        })
        .collect()
}

pub fn render(chat: &SessionWithMessages, event: Option<&Event>) -> String {
    let s = &chat.session;
    let mut out = format!("# {}\n\n", s.title);
    if let Some(event) = event {
        let _ = writeln!(out, "- Event: {}", event.fields.name);
    }
    let _ = writeln!(out, "- Started: {}", when(s.created_at));
    let _ = writeln!(out, "- Last message: {}", when(s.updated_at));
    if !s.tags.is_empty() {
        let _ = writeln!(out, "- Tags: {}", s.tags.join(", "));
    }
    for message in &chat.messages {
        let _ = write!(
            out,
            "\n---\n\n### {} · {}\n\n{}\n",
            author(message.role),
            when(message.created_at),
            message.content.trim_end()
        );
        if let Some(note) = note(message) {
            let _ = write!(out, "\n> {note}\n");
        }
        let sources = sources(message);
        if !sources.is_empty() {
            out.push_str("\nSources:\n\n");
            for source in sources {
                let _ = writeln!(out, "- {source}");
            }
        }
    }
    out
}
