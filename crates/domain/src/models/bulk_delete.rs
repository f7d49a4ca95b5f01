//! Deleting many chats at once: some by id, or every chat of an event.

use uuid::Uuid;

use crate::models::rules::FieldError;

/// Most chats one request deletes by id.
pub const MAX_BULK_IDS: usize = 500;

/// Which chats go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatSelection {
    Ids(Vec<Uuid>),
    Event(Uuid),
}

impl ChatSelection {
    /// The chats named by `ids`: at most [`MAX_BULK_IDS`].
    pub fn ids(ids: Vec<Uuid>) -> Result<Self, Vec<FieldError>> {
        if ids.len() > MAX_BULK_IDS {
            return Err(vec![FieldError::new(
                "ids",
                format!("must be at most {MAX_BULK_IDS} ids"),
            )]);
        }
        Ok(Self::Ids(ids))
    }
}

/// What a bulk delete removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkDeleted {
    pub deleted: u64,
    pub deleted_messages: u64,
    /// Ids asked for that were not there (already gone, or never were).
    pub not_found: Vec<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_five_hundred_ids() {
        let id = Uuid::from_u128(1);
        assert_eq!(
            ChatSelection::ids(vec![id]),
            Ok(ChatSelection::Ids(vec![id]))
        );
        assert!(ChatSelection::ids(vec![id; MAX_BULK_IDS]).is_ok());
        let many = vec![id; MAX_BULK_IDS + 1];
        assert_eq!(ChatSelection::ids(many).unwrap_err()[0].field, "ids");
    }
}
