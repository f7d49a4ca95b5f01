use chrono::{DateTime, Utc};
use domain::{ChatShare, ShareToken, SharedChat};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::chat_sessions::dto::SaidDto;

/// A link as listed: its token is not kept, so it is shown only once, when made.
#[derive(Serialize, ToSchema)]
#[schema(as = ChatShare)]
pub struct ShareDto {
    id: Uuid,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    created_at: DateTime<Utc>,
}

impl From<ChatShare> for ShareDto {
    fn from(share: ChatShare) -> Self {
        Self {
            id: share.id,
            created_at: share.created_at,
        }
    }
}

/// A link just made, with its token: the only time the token is shown.
#[derive(Serialize, ToSchema)]
#[schema(as = NewChatShare)]
pub struct NewShareDto {
    id: Uuid,
    /// The secret of the link (256 random bits); only its digest is stored.
    token: String,
    /// The read-only page of the copy: `{origin}/s/{token}`.
    url: String,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    created_at: DateTime<Utc>,
}

impl NewShareDto {
    pub fn new(share: &ChatShare, token: &ShareToken, origin: &str) -> Self {
        Self {
            id: share.id,
            token: token.as_str().to_owned(),
            url: format!("{origin}/s/{}", token.as_str()),
            created_at: share.created_at,
        }
    }
}

/// What a link shows: a copy of the chat when the link was made. Nothing else of the app
/// (no ids, no event, no model details).
#[derive(Serialize, ToSchema)]
#[schema(as = SharedChat)]
pub struct SharedChatDto {
    title: String,
    /// When the link was made: the copy is of the chat at that moment.
    #[serde(serialize_with = "crate::timestamp::serialize")]
    shared_at: DateTime<Utc>,
    /// The finished messages, in order (answers still being written then are not in it).
    messages: Vec<SaidDto>,
}

impl From<SharedChat> for SharedChatDto {
    fn from(chat: SharedChat) -> Self {
        Self {
            title: chat.title,
            shared_at: chat.shared_at,
            messages: chat.messages.iter().map(SaidDto::from).collect(),
        }
    }
}
