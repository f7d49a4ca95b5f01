//! Chats brought in from elsewhere (another aidstation, ChatGPT, Open WebUI): what an
//! import file's reader makes of each conversation, before it is stored.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::models::answer::Interruption;
use crate::models::chat::{ChatMessage, ChatSession, MessageStatus};
use crate::models::rules::EDITED_TITLE;
use crate::models::title::title_within;

/// Who made the file: with the conversation's id there, it names the conversation for good,
/// so a second import of the same file creates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Aidstation,
    ChatGpt,
    OpenWebUi,
}

impl ImportKind {
    pub const fn code(self) -> &'static str {
        match self {
            Self::Aidstation => "aidstation",
            Self::ChatGpt => "chatgpt",
            Self::OpenWebUi => "open-webui",
        }
    }
}

/// One conversation as a file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatDraft {
    pub kind: ImportKind,
    /// The conversation's id in the file.
    pub external_id: String,
    /// Kept from an aidstation file, with its event, pin and tags.
    pub session: Option<ChatSession>,
    pub title: String,
    pub created_at: Option<DateTime<Utc>>,
    /// In order. Ids and the session id are made here, unless the file's are kept (a round
    /// trip keeps them): a nil id is made anew. An answer that was still being written when
    /// the file was made is stored interrupted: nothing will finish it here.
    pub messages: Vec<ChatMessage>,
}

/// Why a conversation of a file was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its place in the file, from 0.
    pub index: usize,
    pub title: Option<String>,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub imported: usize,
    /// Conversations stored by an earlier import (or that exist already).
    pub duplicates: usize,
    pub skipped: Vec<Skipped>,
}

/// A conversation ready to store: its session and messages, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedChat {
    pub kind: ImportKind,
    pub external_id: String,
    pub session: ChatSession,
    pub messages: Vec<ChatMessage>,
}

/// Text PostgreSQL can hold: NUL characters become U+FFFD.
fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

impl ChatDraft {
    /// The chat to store: ids made where the file has none, the title by the rule of an
    /// edited title (whitespace collapsed, at most 100 characters, cut with `…`; the first
    /// question when blank), `event_id` when given (else an aidstation chat's own, if
    /// `event_exists` says so), and messages in order with answers that were still being
    /// written stored interrupted. `None` when there is no message to keep.
    pub fn into_chat(
        self,
        new_id: &mut dyn FnMut() -> Uuid,
        event_id: Option<Uuid>,
        event_exists: bool,
    ) -> Option<ImportedChat> {
        let first = self.messages.first()?;
        let title = match title_within(&storable(&self.title), EDITED_TITLE.max_chars) {
            blank if blank.is_empty() => {
                title_within(&storable(&first.content), EDITED_TITLE.max_chars)
            }
            title => title,
        };
        let created_at = self.created_at.unwrap_or(first.created_at);
        let last = self.messages.iter().map(|m| m.created_at).max();
        let kept = self.session.as_ref();
        let updated_at = last
            .into_iter()
            .chain(kept.map(|s| s.updated_at))
            .fold(created_at, DateTime::max);
        let session_id = kept.map_or_else(&mut *new_id, |s| s.id);
        let session = ChatSession {
            id: session_id,
            event_id: event_id.or(kept.and_then(|s| s.event_id).filter(|_| event_exists)),
            title: if title.is_empty() {
                "Imported chat".to_owned()
            } else {
                title
            },
            pinned: kept.is_some_and(|s| s.pinned),
            tags: kept.map(|s| s.tags.clone()).unwrap_or_default(),
            created_at,
            updated_at,
        };
        let messages = self
            .messages
            .into_iter()
            .map(|m| ChatMessage {
                id: if m.id.is_nil() { new_id() } else { m.id },
                session_id,
                content: storable(&m.content),
                status: match m.status {
                    MessageStatus::Generating => {
                        MessageStatus::Interrupted(Interruption::ProcessDied)
                    }
                    status => status,
                },
                ..m
            })
            .collect();
        Some(ImportedChat {
            kind: self.kind,
            external_id: self.external_id,
            session,
            messages,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::models::chat::Role;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 6, minute, 0).unwrap()
    }

    fn message(role: Role, text: &str, minute: u32, status: MessageStatus) -> ChatMessage {
        ChatMessage {
            role,
            status,
            ..ChatMessage::from_user(Uuid::nil(), Uuid::nil(), text.into(), at(minute))
        }
    }

    #[test]
    fn a_draft_gets_ids_a_title_by_the_rule_and_no_answer_left_generating() {
        let mut next = 0;
        let mut new_id = || {
            next += 1;
            Uuid::from_u128(next)
        };
        let draft = ChatDraft {
            kind: ImportKind::ChatGpt,
            external_id: "conv-1".into(),
            session: None,
            title: format!("  Pacing\n{}", "x".repeat(200)),
            created_at: None,
            messages: vec![
                message(Role::User, "How fast?\0", 1, MessageStatus::Complete),
                message(Role::Assistant, "Slow", 3, MessageStatus::Generating),
            ],
        };
        let chat = draft.into_chat(&mut new_id, None, false).unwrap();
        assert_eq!(chat.session.id, Uuid::from_u128(1));
        assert_eq!(chat.session.title.chars().count(), 100);
        assert!(chat.session.title.starts_with("Pacing xxx") && chat.session.title.ends_with('…'));
        assert_eq!(
            (chat.session.created_at, chat.session.updated_at),
            (at(1), at(3))
        );
        let ids: Vec<Uuid> = chat.messages.iter().map(|m| m.id).collect();
        assert_eq!(ids, [Uuid::from_u128(2), Uuid::from_u128(3)]);
        assert!(
            chat.messages
                .iter()
                .all(|m| m.session_id == chat.session.id)
        );
        assert_eq!(chat.messages[0].content, "How fast?\u{FFFD}");
        assert_eq!(
            chat.messages[1].status,
            MessageStatus::Interrupted(Interruption::ProcessDied)
        );
    }

    #[test]
    fn a_blank_title_is_the_first_question_and_a_draft_without_messages_is_nothing() {
        let draft = ChatDraft {
            kind: ImportKind::OpenWebUi,
            external_id: "x".into(),
            session: None,
            title: " ".into(),
            created_at: Some(at(0)),
            messages: vec![message(
                Role::User,
                "Crew  plan",
                2,
                MessageStatus::Complete,
            )],
        };
        let mut new_id = Uuid::new_v4;
        let chat = draft.clone().into_chat(&mut new_id, None, false).unwrap();
        assert_eq!(chat.session.title, "Crew plan");
        assert_eq!(chat.session.created_at, at(0));
        let empty = ChatDraft {
            messages: Vec::new(),
            ..draft
        };
        assert!(empty.into_chat(&mut new_id, None, false).is_none());
    }
}
