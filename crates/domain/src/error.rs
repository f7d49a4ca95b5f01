use std::error::Error as StdError;

use uuid::Uuid;

use crate::models::rules::FieldError;
use crate::ports::{ChatStoreError, EventStoreError, HealthError, ShareStoreError};

/// What a request named that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Event,
    Waypoint,
    ChatSession,
    Answer,
    Share,
}

impl Missing {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Waypoint => "waypoint",
            Self::ChatSession => "chat session",
            Self::Answer => "answer",
            Self::Share => "share link",
        }
    }
}

/// What a use case can fail with. Inbound adapters map each variant to one answer
/// (404, 422, 503, opaque 500); the underlying cause travels as `source` for logging only.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{} not found", .0.as_str())]
    NotFound(Missing),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// One answer at a time per chat: this one (its id) is still being written.
    #[error("an answer of this chat is still being written")]
    AnswerInProgress(Uuid),
    #[error("storage is unavailable")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
    #[error("unexpected failure")]
    Unexpected(#[source] Box<dyn StdError + Send + Sync>),
}

impl ServiceError {
    pub(crate) fn invalid_if_any(errors: Vec<FieldError>) -> Result<(), Self> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self::Invalid(errors))
        }
    }
}

impl From<ChatStoreError> for ServiceError {
    fn from(error: ChatStoreError) -> Self {
        match error {
            ChatStoreError::SessionNotFound => Self::NotFound(Missing::ChatSession),
            ChatStoreError::EventNotFound => Self::NotFound(Missing::Event),
            ChatStoreError::AnswerNotFound => Self::NotFound(Missing::Answer),
            ChatStoreError::AnswerInProgress(id) => Self::AnswerInProgress(id),
            ChatStoreError::Unavailable(source) => Self::Unavailable(source),
            // Only the answer's own writes meet a row that stopped generating; a request
            // reaching it means the store broke its contract.
            error @ ChatStoreError::NotGenerating => Self::Unexpected(Box::new(error)),
            ChatStoreError::Unexpected(source) => Self::Unexpected(source),
        }
    }
}

impl From<ShareStoreError> for ServiceError {
    fn from(error: ShareStoreError) -> Self {
        match error {
            ShareStoreError::SessionNotFound => Self::NotFound(Missing::ChatSession),
            ShareStoreError::ShareNotFound => Self::NotFound(Missing::Share),
            ShareStoreError::Unavailable(source) => Self::Unavailable(source),
            ShareStoreError::Unexpected(source) => Self::Unexpected(source),
        }
    }
}

impl From<EventStoreError> for ServiceError {
    fn from(error: EventStoreError) -> Self {
        match error {
            EventStoreError::EventNotFound => Self::NotFound(Missing::Event),
            EventStoreError::WaypointNotFound => Self::NotFound(Missing::Waypoint),
            EventStoreError::Unavailable(source) => Self::Unavailable(source),
            EventStoreError::Unexpected(source) => Self::Unexpected(source),
        }
    }
}

impl From<HealthError> for ServiceError {
    fn from(error: HealthError) -> Self {
        match error {
            HealthError::Unavailable(source) => Self::Unavailable(source),
        }
    }
}
