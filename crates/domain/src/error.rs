use std::error::Error as StdError;

use crate::ports::{ChatStoreError, EventStoreError, HealthError};

/// A rule of an input value that was broken, named by the field that broke it so a person
/// (or a form) can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What a use case can fail with. Inbound adapters map each variant to one answer
/// (404, 422, 503, opaque 500); the underlying cause travels as `source` for logging only.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
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
            ChatStoreError::SessionNotFound => Self::NotFound("chat session"),
            ChatStoreError::EventNotFound => Self::NotFound("event"),
            ChatStoreError::Unavailable(source) => Self::Unavailable(source),
            ChatStoreError::Unexpected(source) => Self::Unexpected(source),
        }
    }
}

impl From<EventStoreError> for ServiceError {
    fn from(error: EventStoreError) -> Self {
        match error {
            EventStoreError::EventNotFound => Self::NotFound("event"),
            EventStoreError::WaypointNotFound => Self::NotFound("waypoint"),
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
