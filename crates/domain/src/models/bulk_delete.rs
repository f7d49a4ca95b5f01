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
    /// The chats named by `ids` (at most [`MAX_BULK_IDS`]) or every chat of `event_id`:
    /// exactly one of the two.
    pub fn new(ids: Option<Vec<Uuid>>, event_id: Option<Uuid>) -> Result<Self, Vec<FieldError>> {
        match (ids, event_id) {
            (Some(ids), None) if ids.len() > MAX_BULK_IDS => Err(vec![FieldError::new(
                "ids",
                format!("must be at most {MAX_BULK_IDS} ids"),
            )]),
            (Some(ids), None) => Ok(Self::Ids(ids)),
            (None, Some(event_id)) => Ok(Self::Event(event_id)),
            _ => Err(vec![FieldError::new(
                "ids",
                "give either ids or event_id, not both nor neither",
            )]),
        }
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
    fn ids_or_an_event_but_not_both_nor_neither_nor_too_many() {
        let event = Uuid::from_u128(1);
        assert_eq!(
            ChatSelection::new(None, Some(event)),
            Ok(ChatSelection::Event(event))
        );
        assert_eq!(
            ChatSelection::new(Some(vec![event]), None),
            Ok(ChatSelection::Ids(vec![event]))
        );
        assert!(ChatSelection::new(Some(vec![]), Some(event)).is_err());
        assert!(ChatSelection::new(None, None).is_err());
        let many = vec![event; MAX_BULK_IDS + 1];
        assert_eq!(
            ChatSelection::new(Some(many), None).unwrap_err()[0].field,
            "ids"
        );
        assert!(ChatSelection::new(Some(vec![event; MAX_BULK_IDS]), None).is_ok());
    }
}
