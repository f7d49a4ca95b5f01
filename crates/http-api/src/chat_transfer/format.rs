//! `aidstation.chat.v1`: the JSON an export writes and an import reads back, chat for chat.
//!
//! ```text
//! { "format": "aidstation.chat.v1", "exported_at": time,
//!   "chats": [ { "id", "title", "event": {"id", "name"} | null, "pinned", "tags": [..],
//!                "created_at", "updated_at",
//!                "messages": [ { "id", "role": "user" | "assistant", "content",
//!                                "created_at", "status": "complete" | "interrupted" |
//!                                "generating", "status_code", "finish_reason", "model",
//!                                "usage": {"prompt_tokens", "completion_tokens",
//!                                          "total_tokens"} | null,
//!                                "first_token_ms", "duration_ms", "sources" } ] } ] }
//! ```
//!
//! Times are RFC 3339 in UTC. `status_code` is why an interrupted answer stopped (or, on a
//! complete one, why it may not be all one expects: `length`, `content_filter`,
//! `history_shortened`). Everything a chat is made of is here, so an import of an export
//! gives back the same chat: its ids, times, pin, tags and messages. What an import makes
//! new: `exported_at`; an answer exported while it was still being written comes back
//! `interrupted` (`process_died`); a chat whose event is not on the importing server
//! comes back without one.

use chrono::{DateTime, Utc};
use domain::{
    AnswerTiming, ChatDraft, ChatMessage, ChatSession, CompletionNote, Event, ImportKind,
    Interruption, MessageStatus, Role, SessionWithMessages, TokenUsage,
};
use serde::{Deserialize, Serialize};

use crate::chat_sessions::dto::UsageDto;
use uuid::Uuid;

pub const FORMAT: &str = "aidstation.chat.v1";

/// What a file says before its chats.
#[derive(Serialize)]
pub struct FileHead {
    pub format: &'static str,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub exported_at: DateTime<Utc>,
}

/// A whole file (one chat's export holds one chat).
#[derive(Serialize)]
pub struct ExportFile {
    #[serde(flatten)]
    pub head: FileHead,
    pub chats: Vec<ChatV1>,
}

#[derive(Serialize, Deserialize)]
pub struct EventRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize, Deserialize)]
pub struct ChatV1 {
    pub id: Uuid,
    pub title: String,
    #[serde(default)]
    pub event: Option<EventRef>,
    #[serde(default)]
    pub pinned: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
    pub messages: Vec<MessageV1>,
}

impl ChatV1 {
    pub fn new(chat: &SessionWithMessages, event: Option<&Event>) -> Self {
        let s = &chat.session;
        Self {
            id: s.id,
            title: s.title.clone(),
            event: event.map(|e| EventRef {
                id: e.id,
                name: e.fields.name.clone(),
            }),
            pinned: s.pinned,
            tags: s.tags.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            messages: chat.messages.iter().map(MessageV1::from).collect(),
        }
    }

    /// The chat as an import stores it; `Err` names what is wrong with it.
    pub fn into_draft(self) -> Result<ChatDraft, String> {
        let messages = self
            .messages
            .into_iter()
            .map(|m| m.into_message(self.id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ChatDraft {
            kind: ImportKind::Aidstation,
            external_id: self.id.to_string(),
            session: Some(ChatSession {
                id: self.id,
                event_id: self.event.map(|e| e.id),
                title: self.title.clone(),
                pinned: self.pinned,
                tags: self.tags,
                created_at: self.created_at,
                updated_at: self.updated_at,
            }),
            title: self.title,
            created_at: Some(self.created_at),
            messages,
        })
    }
}

#[derive(Serialize, Deserialize)]
pub struct MessageV1 {
    pub id: Uuid,
    pub role: String,
    pub content: String,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    pub status: String,
    // What a message may lack.
    #[serde(default)]
    pub status_code: Option<String>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub usage: Option<UsageDto>,
    /// How long the answer took to its first text and to its end (usage figures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u32>,
    #[serde(default)]
    pub sources: Option<serde_json::Value>,
}

impl From<&ChatMessage> for MessageV1 {
    fn from(m: &ChatMessage) -> Self {
        Self {
            id: m.id,
            role: m.role.as_str().to_owned(),
            content: m.content.clone(),
            created_at: m.created_at,
            status: m.status.as_str().to_owned(),
            status_code: m
                .status
                .interruption()
                .map(|why| why.code().to_owned())
                .or_else(|| m.note.map(|note| note.code().to_owned())),
            finish_reason: m.finish_reason.clone(),
            model: m.model.clone(),
            usage: m.usage.map(UsageDto::from),
            first_token_ms: m.timing.and_then(|t| t.first_text_ms),
            duration_ms: m.timing.map(|t| t.total_ms),
            sources: m.sources.clone(),
        }
    }
}

impl MessageV1 {
    fn into_message(self, session_id: Uuid) -> Result<ChatMessage, String> {
        let role = match self.role.as_str() {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            other => return Err(format!("a message has the role {other:?}")),
        };
        let code = self.status_code.as_deref();
        let (status, note) = match (self.status.as_str(), code) {
            ("complete", None) => (MessageStatus::Complete, None),
            ("complete", Some(code)) => (
                MessageStatus::Complete,
                Some(
                    CompletionNote::from_code(code)
                        .ok_or_else(|| format!("a message has the status code {code:?}"))?,
                ),
            ),
            ("interrupted", code) => (
                MessageStatus::Interrupted(
                    Interruption::from_code(code.unwrap_or_default())
                        .ok_or_else(|| format!("a message has the status code {code:?}"))?,
                ),
                None,
            ),
            ("generating", _) => (MessageStatus::Generating, None),
            (other, _) => return Err(format!("a message has the status {other:?}")),
        };
        Ok(ChatMessage {
            id: self.id,
            session_id,
            role,
            content: self.content,
            sources: self.sources,
            status,
            note,
            finish_reason: self.finish_reason,
            model: self.model,
            usage: self.usage.map(TokenUsage::from),
            timing: self.duration_ms.map(|total_ms| AnswerTiming {
                first_text_ms: self.first_token_ms,
                total_ms,
            }),
            created_at: self.created_at,
        })
    }
}
