use chrono::{DateTime, Utc};
use domain::{ChatMessage, ChatSession, Interruption, SessionWithMessages};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{schema, words};

/// `?event_id=`: kept as text so a bad id is a 400 in our words, and an empty one means
/// "all sessions".
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionsQuery {
    /// Only this event's sessions; all when absent or empty.
    #[param(schema_with = schema::uuid_or_empty)]
    pub event_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ChatSession)]
pub struct SessionDto {
    pub id: Uuid,
    pub event_id: Option<Uuid>,
    pub title: String,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
    /// `null` in lists, the whole conversation when one session is fetched.
    pub messages: Option<Vec<MessageDto>>,
}

impl From<ChatSession> for SessionDto {
    fn from(s: ChatSession) -> Self {
        Self {
            id: s.id,
            event_id: s.event_id,
            title: s.title,
            created_at: s.created_at,
            updated_at: s.updated_at,
            messages: None,
        }
    }
}

impl From<SessionWithMessages> for SessionDto {
    fn from(full: SessionWithMessages) -> Self {
        Self {
            messages: Some(full.messages.iter().map(MessageDto::from).collect()),
            ..Self::from(full.session)
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = TokenUsage)]
pub struct UsageDto {
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub total_tokens: Option<i32>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ChatMessage)]
pub struct MessageDto {
    pub id: Uuid,
    pub session_id: Uuid,
    #[schema(schema_with = schema::role)]
    pub role: &'static str,
    pub content: String,
    /// Retrieval sources; `null` until retrieval exists.
    #[schema(value_type = Option<Vec<Object>>)]
    pub sources: Option<serde_json::Value>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    /// `complete`, `interrupted` (the text is what arrived before the failure) or `generating`.
    #[schema(schema_with = schema::message_status)]
    pub status: &'static str,
    /// Why an interrupted answer stopped, for a person; `null` otherwise.
    pub status_reason: Option<String>,
    /// The same reason as a stable code (`model_unavailable`, `cut_off`, `server_shutdown`,
    /// ...); `null` unless interrupted.
    pub status_code: Option<&'static str>,
    pub finish_reason: Option<String>,
    pub model: Option<String>,
    pub usage: Option<UsageDto>,
}

impl From<&ChatMessage> for MessageDto {
    fn from(m: &ChatMessage) -> Self {
        Self {
            id: m.id,
            session_id: m.session_id,
            role: m.role.as_str(),
            content: m.content.clone(),
            sources: m.sources.clone(),
            created_at: m.created_at,
            status: m.status.as_str(),
            status_reason: m.status.interruption().map(words::interruption),
            status_code: m.status.interruption().map(Interruption::code),
            finish_reason: m.finish_reason.clone(),
            model: m.model.clone(),
            usage: m.usage.map(|u| UsageDto {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
                total_tokens: u.total_tokens,
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = DeletedChatSession)]
pub struct DeletedSessionDto {
    pub success: bool,
    pub id: Uuid,
    pub deleted_messages: u64,
}
