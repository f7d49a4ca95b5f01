use std::collections::HashMap;
use std::sync::Arc;

use uuid::Uuid;

use crate::error::ServiceError;
use crate::models::chat::{ChatSession, SessionWithMessages};
use crate::models::event::Event;
use crate::models::import::{ChatDraft, ImportSummary, Skipped};
use crate::models::session_list::SessionFilter;
use crate::ports::{ChatStore, ChatStoreError, EventStore, EventStoreError, Stamps};

/// Chats carried out (export) and brought in (import). Each imported conversation is
/// stored whole in one transaction or not at all, and one already imported is not stored
/// again.
pub struct TransferService<S: ?Sized, E: ?Sized> {
    store: Arc<S>,
    events: Arc<E>,
    stamps: Stamps,
}

impl<S, E> TransferService<S, E>
where
    S: ChatStore + ?Sized,
    E: EventStore + ?Sized,
{
    pub fn new(store: Arc<S>, events: Arc<E>, stamps: Stamps) -> Self {
        Self {
            store,
            events,
            stamps,
        }
    }

    /// The time an export is stamped with.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.stamps.clock.now()
    }

    /// The event, or `None` when there is none (any more).
    async fn event(&self, id: Uuid) -> Result<Option<Event>, ServiceError> {
        match self.events.get_event(id).await {
            Ok(event) => Ok(Some(event)),
            Err(EventStoreError::EventNotFound) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// A chat with all its messages, and its event (if it has one still).
    pub async fn export_chat(
        &self,
        id: Uuid,
    ) -> Result<(SessionWithMessages, Option<Event>), ServiceError> {
        let chat = self.store.get_session(id).await?;
        let event = match chat.session.event_id {
            Some(event_id) => self.event(event_id).await?,
            None => None,
        };
        Ok((chat, event))
    }

    /// The event (when one is named) and the chats to export, without their messages (which
    /// [`Self::export_chat`] reads one chat at a time), newest first; `NotFound(Event)` for an
    /// unknown event.
    pub async fn chats_to_export(
        &self,
        event_id: Option<Uuid>,
    ) -> Result<(Option<Event>, Vec<ChatSession>), ServiceError> {
        let event = match event_id {
            Some(id) => Some(self.events.get_event(id).await?),
            None => None,
        };
        let filter = SessionFilter {
            event_id,
            ..SessionFilter::default()
        };
        Ok((event, self.store.list_sessions(&filter).await?))
    }

    /// Stores each readable conversation of a file in its own transaction; `drafts` holds
    /// them in file order, with what could not be read already turned into a [`Skipped`].
    /// `event_id` attaches every chat to that event (`NotFound(Event)` before anything is
    /// stored when there is none); without it, a chat of an aidstation file keeps its event
    /// when that event is here.
    pub async fn import(
        &self,
        drafts: Vec<Result<ChatDraft, Skipped>>,
        event_id: Option<Uuid>,
    ) -> Result<ImportSummary, ServiceError> {
        if let Some(id) = event_id {
            self.events.get_event(id).await?;
        }
        let mut summary = ImportSummary::default();
        let mut known_events: HashMap<Uuid, bool> = HashMap::new();
        let mut new_id = || self.stamps.ids.new_id();
        for (index, draft) in drafts.into_iter().enumerate() {
            let draft = match draft {
                Ok(draft) => draft,
                Err(skipped) => {
                    summary.skipped.push(skipped);
                    continue;
                }
            };
            let title = Some(draft.title.clone()).filter(|t| !t.trim().is_empty());
            let own_event = draft.session.as_ref().and_then(|s| s.event_id);
            let event_exists = match own_event.filter(|_| event_id.is_none()) {
                Some(id) => match known_events.get(&id) {
                    Some(&exists) => exists,
                    None => {
                        let exists = self.event(id).await?.is_some();
                        known_events.insert(id, exists);
                        exists
                    }
                },
                None => false,
            };
            let Some(chat) = draft.into_chat(&mut new_id, event_id, event_exists) else {
                summary.skipped.push(Skipped {
                    index,
                    title,
                    reason: "it has no messages to import".into(),
                });
                continue;
            };
            match self.store.import_chat(&chat).await {
                Ok(true) => summary.imported += 1,
                Ok(false) => summary.duplicates += 1,
                Err(ChatStoreError::EventNotFound) => summary.skipped.push(Skipped {
                    index,
                    title,
                    reason: "its event was deleted during the import".into(),
                }),
                Err(error) => return Err(error.into()),
            }
        }
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::models::chat::ChatMessage;
    use crate::models::event::EventFields;
    use crate::models::import::ImportKind;
    use crate::ports::{MockChatStore, MockClock, MockEventStore, MockIdSource};

    fn at(minute: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 6, minute, 0).unwrap()
    }

    fn service(
        store: MockChatStore,
        events: MockEventStore,
    ) -> TransferService<MockChatStore, MockEventStore> {
        let mut ids = MockIdSource::new();
        let mut next = 100;
        ids.expect_new_id().returning(move || {
            next += 1;
            Uuid::from_u128(next)
        });
        let stamps = Stamps {
            clock: Arc::new(MockClock::new()),
            ids: Arc::new(ids),
            instance: Uuid::nil(),
        };
        TransferService::new(Arc::new(store), Arc::new(events), stamps)
    }

    fn draft(external_id: &str, own_event: Option<Uuid>, messages: &[&str]) -> ChatDraft {
        ChatDraft {
            kind: ImportKind::Aidstation,
            external_id: external_id.into(),
            session: own_event.map(|event| ChatSession {
                id: Uuid::from_u128(9),
                event_id: Some(event),
                title: "Kept".into(),
                pinned: true,
                tags: vec!["Heat".into()],
                created_at: at(0),
                updated_at: at(5),
            }),
            title: format!("chat {external_id}"),
            created_at: None,
            messages: messages
                .iter()
                .map(|text| ChatMessage::from_user(Uuid::nil(), Uuid::nil(), (*text).into(), at(1)))
                .collect(),
        }
    }

    fn event(id: Uuid) -> Event {
        Event {
            id,
            fields: EventFields {
                name: "Western States".into(),
                planned_date: None,
                distance: None,
                target_duration_minutes: None,
                elevation_gain_adjustment_percent: None,
                elevation_descent_adjustment_percent: None,
                fatigue_slowdown_percent: None,
            },
            created_at: at(0),
            updated_at: at(0),
        }
    }

    #[tokio::test]
    async fn each_conversation_is_stored_or_counted_or_skipped_in_file_order() {
        let (here, gone) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut events = MockEventStore::new();
        events.expect_get_event().returning(move |id| {
            if id == here {
                Ok(event(here))
            } else {
                Err(EventStoreError::EventNotFound)
            }
        });
        let mut store = MockChatStore::new();
        store
            .expect_import_chat()
            .withf(move |chat| {
                chat.external_id == "a"
                    && chat.session.event_id == Some(here)
                    && chat.session.pinned
            })
            .times(1)
            .returning(|_| Ok(true));
        store
            .expect_import_chat()
            .withf(move |chat| {
                chat.external_id == "b"
                    && chat.session.event_id.is_none()
                    && chat.messages[0].id == Uuid::from_u128(102)
            })
            .times(1)
            .returning(|_| Ok(false));
        let unreadable = Skipped {
            index: 2,
            title: None,
            reason: "not a conversation".into(),
        };
        let drafts = vec![
            Ok(draft("a", Some(here), &["Salt?"])),
            Ok(draft("b", Some(gone), &["Poles?"])),
            Err(unreadable.clone()),
            Ok(draft("d", None, &[])),
        ];
        let summary = service(store, events).import(drafts, None).await.unwrap();
        assert_eq!((summary.imported, summary.duplicates), (1, 1));
        assert_eq!(summary.skipped[0], unreadable);
        assert_eq!(
            summary.skipped[1],
            Skipped {
                index: 3,
                title: Some("chat d".into()),
                reason: "it has no messages to import".into()
            }
        );
    }

    #[tokio::test]
    async fn an_unknown_event_to_attach_to_stores_nothing() {
        let mut events = MockEventStore::new();
        // Asked once, before anything else; the store is never asked.
        events
            .expect_get_event()
            .withf(|id| *id == Uuid::from_u128(5))
            .times(1)
            .returning(|_| Err(EventStoreError::EventNotFound));
        let store = MockChatStore::new();
        let result = service(store, events)
            .import(
                vec![Ok(draft("a", None, &["Salt?"]))],
                Some(Uuid::from_u128(5)),
            )
            .await;
        assert!(matches!(
            result,
            Err(ServiceError::NotFound(crate::Missing::Event))
        ));
    }
}
