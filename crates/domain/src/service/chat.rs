use std::sync::Arc;

use uuid::Uuid;

use crate::error::{FieldError, ServiceError};
use crate::models::chat::{ChatMessage, ChatSession, SessionWithMessages};
use crate::models::title::session_title;
use crate::ports::{ChatStore, Clock, IdSource};

/// Bounds on what a person may send, set by configuration.
#[derive(Debug, Clone, Copy)]
pub struct ChatLimits {
    /// Longest accepted message, in Unicode scalar values.
    pub max_message_chars: usize,
}

impl Default for ChatLimits {
    fn default() -> Self {
        Self {
            max_message_chars: 32_000,
        }
    }
}

/// The chat use cases. Generic over the store so tests use its mock and the app can pass
/// `dyn ChatStore`.
pub struct ChatService<S: ?Sized> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdSource>,
    limits: ChatLimits,
}

impl<S: ChatStore + ?Sized> ChatService<S> {
    pub fn new(
        store: Arc<S>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        limits: ChatLimits,
    ) -> Self {
        Self {
            store,
            clock,
            ids,
            limits,
        }
    }

    pub async fn list_sessions(
        &self,
        event_id: Option<Uuid>,
    ) -> Result<Vec<ChatSession>, ServiceError> {
        Ok(self.store.list_sessions(event_id).await?)
    }

    pub async fn get_session(&self, id: Uuid) -> Result<SessionWithMessages, ServiceError> {
        Ok(self.store.get_session(id).await?)
    }

    /// Returns how many messages were deleted with the session.
    pub async fn delete_session(&self, id: Uuid) -> Result<u64, ServiceError> {
        Ok(self.store.delete_session(id).await?)
    }

    /// Opens a session titled after its first message and stores both at once.
    pub async fn start_session(
        &self,
        event_id: Option<Uuid>,
        message: String,
    ) -> Result<(ChatSession, ChatMessage), ServiceError> {
        self.check_message(&message)?;
        let now = self.clock.now();
        let session = ChatSession {
            id: self.ids.new_id(),
            event_id,
            title: session_title(&message),
            created_at: now,
            updated_at: now,
        };
        let first = ChatMessage::from_user(self.ids.new_id(), session.id, message, now);
        self.store.create_session(&session, &first).await?;
        Ok((session, first))
    }

    /// Adds a person's message to an existing session.
    pub async fn append_user_message(
        &self,
        session_id: Uuid,
        message: String,
    ) -> Result<(ChatSession, ChatMessage), ServiceError> {
        self.check_message(&message)?;
        let stored =
            ChatMessage::from_user(self.ids.new_id(), session_id, message, self.clock.now());
        let session = self.store.append_message(&stored).await?;
        Ok((session, stored))
    }

    fn check_message(&self, message: &str) -> Result<(), ServiceError> {
        let max = self.limits.max_message_chars;
        let mut errors = Vec::new();
        if message.trim().is_empty() {
            errors.push(FieldError::new("message", "must not be blank"));
        } else if message.chars().count() > max {
            errors.push(FieldError::new(
                "message",
                format!("must be at most {max} characters"),
            ));
        }
        ServiceError::invalid_if_any(errors)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use mockall::Sequence;
    use mockall::predicate::eq;

    use super::*;
    use crate::models::chat::{MessageStatus, Role};
    use crate::ports::{ChatStoreError, MockChatStore, MockClock, MockIdSource};

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 27, 5, 0, 0).unwrap()
    }

    fn service(store: MockChatStore) -> ChatService<MockChatStore> {
        let mut clock = MockClock::new();
        clock.expect_now().returning(at);
        let mut ids = MockIdSource::new();
        let mut n = 0u128;
        ids.expect_new_id().returning(move || {
            n += 1;
            Uuid::from_u128(n)
        });
        ChatService::new(
            Arc::new(store),
            Arc::new(clock),
            Arc::new(ids),
            ChatLimits {
                max_message_chars: 100,
            },
        )
    }

    fn session(id: u128, event_id: Option<Uuid>) -> ChatSession {
        ChatSession {
            id: Uuid::from_u128(id),
            event_id,
            title: "t".into(),
            created_at: at(),
            updated_at: at(),
        }
    }

    #[tokio::test]
    async fn starting_a_session_stores_it_with_its_first_message_titled_after_it() {
        let event = Uuid::from_u128(99);
        let mut store = MockChatStore::new();
        store
            .expect_create_session()
            .withf(move |session, first| {
                session.id == Uuid::from_u128(1)
                    && session.event_id == Some(event)
                    && session.title == "Pacing for the first 30 miles?"
                    && session.created_at == at()
                    && session.updated_at == at()
                    && first.id == Uuid::from_u128(2)
                    && first.session_id == session.id
                    && first.role == Role::User
                    && first.status == MessageStatus::Complete
                    && first.content == "  Pacing for the\n first 30 miles? "
            })
            .times(1)
            .returning(|_, _| Ok(()));

        let (session, first) = service(store)
            .start_session(Some(event), "  Pacing for the\n first 30 miles? ".into())
            .await
            .unwrap();

        assert_eq!(session.title, "Pacing for the first 30 miles?");
        assert_eq!(first.session_id, session.id);
    }

    #[tokio::test]
    async fn a_blank_message_is_rejected_before_anything_is_stored() {
        let store = MockChatStore::new(); // any call would panic: no expectations
        let result = service(store).start_session(None, " \n\t ".into()).await;
        assert!(
            matches!(result, Err(ServiceError::Invalid(errors)) if errors[0].field == "message")
        );
    }

    #[tokio::test]
    async fn a_message_over_the_limit_is_rejected_before_anything_is_stored() {
        let store = MockChatStore::new();
        let result = service(store)
            .append_user_message(Uuid::from_u128(5), "x".repeat(101))
            .await;
        assert!(matches!(result, Err(ServiceError::Invalid(_))));
    }

    #[tokio::test]
    async fn a_message_at_the_limit_counts_characters_not_bytes() {
        let mut store = MockChatStore::new();
        store
            .expect_append_message()
            .times(1)
            .returning(|m| Ok(session(m.session_id.as_u128(), None)));
        let result = service(store)
            .append_user_message(Uuid::from_u128(5), "é".repeat(100))
            .await;
        assert!(result.is_ok());
    }

    #[tokio::test]
    async fn starting_a_session_for_an_unknown_event_is_not_found() {
        let mut store = MockChatStore::new();
        store
            .expect_create_session()
            .returning(|_, _| Err(ChatStoreError::EventNotFound));
        let result = service(store)
            .start_session(Some(Uuid::from_u128(7)), "hi".into())
            .await;
        assert!(matches!(result, Err(ServiceError::NotFound("event"))));
    }

    #[tokio::test]
    async fn appending_stores_a_user_message_in_the_named_session() {
        let target = Uuid::from_u128(42);
        let mut store = MockChatStore::new();
        store
            .expect_append_message()
            .withf(move |m| {
                m.session_id == target && m.role == Role::User && m.content == "and nutrition?"
            })
            .times(1)
            .returning(move |_| Ok(session(42, None)));
        let (updated, stored) = service(store)
            .append_user_message(target, "and nutrition?".into())
            .await
            .unwrap();
        assert_eq!(updated.id, target);
        assert_eq!(stored.created_at, at());
    }

    #[tokio::test]
    async fn appending_to_a_missing_session_is_not_found() {
        let mut store = MockChatStore::new();
        store
            .expect_append_message()
            .returning(|_| Err(ChatStoreError::SessionNotFound));
        let result = service(store)
            .append_user_message(Uuid::from_u128(1), "hi".into())
            .await;
        assert!(matches!(
            result,
            Err(ServiceError::NotFound("chat session"))
        ));
    }

    #[tokio::test]
    async fn list_get_and_delete_pass_through_to_the_store_in_order() {
        let id = Uuid::from_u128(3);
        let mut seq = Sequence::new();
        let mut store = MockChatStore::new();
        store
            .expect_list_sessions()
            .with(eq(Some(id)))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(vec![session(2, None), session(1, None)]));
        store
            .expect_get_session()
            .with(eq(id))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|id| {
                Ok(SessionWithMessages {
                    session: session(id.as_u128(), None),
                    messages: vec![],
                })
            });
        store
            .expect_delete_session()
            .with(eq(id))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(4));

        let chat = service(store);
        let listed = chat.list_sessions(Some(id)).await.unwrap_or_default();
        assert_eq!(
            listed.iter().map(|s| s.id.as_u128()).collect::<Vec<_>>(),
            [2, 1]
        );
        assert!(chat.get_session(id).await.is_ok());
        assert_eq!(chat.delete_session(id).await.ok(), Some(4));
    }

    #[tokio::test]
    async fn an_unreachable_store_is_reported_as_unavailable() {
        let mut store = MockChatStore::new();
        store
            .expect_get_session()
            .returning(|_| Err(ChatStoreError::Unavailable("down".into())));
        let result = service(store).get_session(Uuid::from_u128(1)).await;
        assert!(matches!(result, Err(ServiceError::Unavailable(_))));
    }
}
