use domain::TurnRequest;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::parse_optional_id;
use crate::schema;

/// `{message, event_id?, session_id?, memory?}`; ids as text so a bad one is a 400 in our words.
#[derive(Deserialize, ToSchema)]
pub struct ChatRequest {
    /// The question; not blank. The longest accepted is MAX_MESSAGE_CHARS characters (the
    /// served document gives the configured figure).
    #[schema(schema_with = schema::message)]
    message: String,
    /// A new chat about this event; ignored when `session_id` is given.
    #[schema(schema_with = schema::optional_uuid)]
    event_id: Option<String>,
    /// Continue this chat (it keeps its own event).
    #[schema(schema_with = schema::optional_uuid)]
    session_id: Option<String>,
    /// `false`: recall nothing of the event's other chats for this question (by default
    /// they are recalled when the server's memory is on).
    #[serde(default)]
    memory: Option<bool>,
}

impl ChatRequest {
    pub fn try_into_domain(self) -> Result<TurnRequest, ApiError> {
        Ok(TurnRequest {
            event_id: parse_optional_id("event_id", self.event_id.as_deref())?,
            session_id: parse_optional_id("session_id", self.session_id.as_deref())?,
            message: self.message,
            memory: self.memory.unwrap_or(true),
        })
    }
}
