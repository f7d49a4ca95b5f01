//! Which chats a list shows, and where a page of it starts: pinned chats first, then the
//! most recently updated, ties broken by id, which is also the key a page resumes after.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::models::chat::ChatSession;

/// A chat's place in the list order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionKey {
    pub pinned: bool,
    pub updated_at: DateTime<Utc>,
    pub id: Uuid,
}

impl SessionKey {
    pub fn of(session: &ChatSession) -> Self {
        Self {
            pinned: session.pinned,
            updated_at: session.updated_at,
            id: session.id,
        }
    }
}

/// What to list. Everything that is `None` or empty lets every chat through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    pub event_id: Option<Uuid>,
    /// Each must be among the chat's tags (compared without regard to case).
    pub tags: Vec<String>,
    pub pinned: Option<bool>,
    /// One page of them; all when `None`.
    pub page: Option<Page>,
}

/// At most `limit` chats, after `after` in the list order (from the first when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub after: Option<SessionKey>,
    pub limit: usize,
}
