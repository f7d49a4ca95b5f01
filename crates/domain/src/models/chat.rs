use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::models::answer::{CompletionNote, Interruption};

/// A conversation, optionally about one event. `updated_at` moves with every stored message
/// so that lists can show the most recently used chat first.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatSession {
    pub id: Uuid,
    pub event_id: Option<Uuid>,
    pub title: String,
    /// Listed before the others.
    pub pinned: bool,
    /// As the person spelled them first; compared without regard to case.
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

/// Whether a message's text is the whole of it. An assistant answer cut short keeps the text
/// that arrived and says why, rather than passing for a finished answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageStatus {
    Complete,
    Interrupted(Interruption),
    Generating,
}

impl MessageStatus {
    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Interrupted(_) => "interrupted",
            Self::Generating => "generating",
        }
    }

    /// Why an interrupted answer stopped; `None` for the other states.
    pub const fn interruption(&self) -> Option<&Interruption> {
        match self {
            Self::Interrupted(why) => Some(why),
            Self::Complete | Self::Generating => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenUsage {
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub total_tokens: Option<i32>,
}

/// How long an answer took from the moment the model was asked: to its first piece of text
/// (`None` when none came) and to its end, in milliseconds. What usage figures are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerTiming {
    pub total_ms: u32,
    pub first_text_ms: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub id: Uuid,
    pub session_id: Uuid,
    pub role: Role,
    pub content: String,
    pub sources: Option<Value>,
    pub status: MessageStatus,
    /// Why a complete answer may still not be all the person expects (cut at the model's
    /// length limit, ...); `None` for every other message.
    pub note: Option<CompletionNote>,
    pub finish_reason: Option<String>,
    pub model: Option<String>,
    pub usage: Option<TokenUsage>,
    /// For an answer that ended; `None` for questions, answers being written, and answers
    /// stored before timings were kept.
    pub timing: Option<AnswerTiming>,
    pub created_at: DateTime<Utc>,
}

impl ChatMessage {
    /// A message a person wrote: complete by definition, with nothing of a model about it.
    pub fn from_user(
        id: Uuid,
        session_id: Uuid,
        content: String,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            session_id,
            role: Role::User,
            content,
            sources: None,
            status: MessageStatus::Complete,
            note: None,
            finish_reason: None,
            model: None,
            usage: None,
            timing: None,
            created_at,
        }
    }

    /// The row an answer fills while it streams: written with the question, so a crash
    /// leaves a visible, interrupted answer rather than a question without one.
    pub fn generating(id: Uuid, session_id: Uuid, created_at: DateTime<Utc>) -> Self {
        Self {
            role: Role::Assistant,
            status: MessageStatus::Generating,
            ..Self::from_user(id, session_id, String::new(), created_at)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionWithMessages {
    pub session: ChatSession,
    /// In their one stable chronological order.
    pub messages: Vec<ChatMessage>,
}
