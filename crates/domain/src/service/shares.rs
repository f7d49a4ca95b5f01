use std::sync::Arc;

use uuid::Uuid;

use crate::error::{Missing, ServiceError};
use crate::models::share::{ChatShare, ShareToken, SharedChat};
use crate::ports::{ShareStore, Stamps, TokenSource};

/// Read-only links to chats: a fresh secret for each, and one answer for every token that
/// opens nothing, whatever the reason.
pub struct ShareService<S: ?Sized> {
    store: Arc<S>,
    stamps: Stamps,
    tokens: Arc<dyn TokenSource>,
}

impl<S: ShareStore + ?Sized> ShareService<S> {
    pub fn new(store: Arc<S>, stamps: Stamps, tokens: Arc<dyn TokenSource>) -> Self {
        Self {
            store,
            stamps,
            tokens,
        }
    }

    /// Makes a link to the chat as it is now; the token is returned this once and never
    /// again.
    pub async fn create(&self, session_id: Uuid) -> Result<(ChatShare, ShareToken), ServiceError> {
        let share = ChatShare {
            id: self.stamps.ids.new_id(),
            session_id,
            created_at: self.stamps.clock.now(),
        };
        let token = self
            .tokens
            .new_token()
            .map_err(|error| ServiceError::Unexpected(Box::new(error)))?;
        self.store.create_share(&share, &token).await?;
        Ok((share, token))
    }

    pub async fn list(&self, session_id: Uuid) -> Result<Vec<ChatShare>, ServiceError> {
        Ok(self.store.list_shares(session_id).await?)
    }

    pub async fn revoke(&self, session_id: Uuid, share_id: Uuid) -> Result<(), ServiceError> {
        Ok(self.store.revoke_share(session_id, share_id).await?)
    }

    /// What the token opens. A token that cannot be one is `NotFound(Share)` like an unknown
    /// or revoked one, so the answer tells a guesser nothing.
    pub async fn read(&self, token: &str) -> Result<SharedChat, ServiceError> {
        let token = ShareToken::parse(token).ok_or(ServiceError::NotFound(Missing::Share))?;
        Ok(self.store.shared_chat(&token).await?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::ports::{MockClock, MockIdSource, MockShareStore, MockTokenSource, ShareStoreError};

    const TOKEN: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";

    fn service(store: MockShareStore) -> ShareService<MockShareStore> {
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .return_const(Utc.with_ymd_and_hms(2026, 6, 27, 5, 0, 0).unwrap());
        let mut ids = MockIdSource::new();
        ids.expect_new_id().return_const(Uuid::from_u128(7));
        let mut tokens = MockTokenSource::new();
        tokens
            .expect_new_token()
            .returning(|| Ok(ShareToken::parse(TOKEN).expect("a token")));
        let stamps = Stamps {
            clock: Arc::new(clock),
            ids: Arc::new(ids),
            instance: Uuid::nil(),
        };
        ShareService::new(Arc::new(store), stamps, Arc::new(tokens))
    }

    #[tokio::test]
    async fn a_link_gets_a_fresh_id_time_and_token_and_the_store_gets_the_same() {
        let mut store = MockShareStore::new();
        store
            .expect_create_share()
            .withf(|share, token| {
                share.id == Uuid::from_u128(7)
                    && share.session_id == Uuid::from_u128(1)
                    && token.as_str() == TOKEN
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let (share, token) = service(store).create(Uuid::from_u128(1)).await.unwrap();
        assert_eq!(share.id, Uuid::from_u128(7));
        assert_eq!(
            share.created_at,
            Utc.with_ymd_and_hms(2026, 6, 27, 5, 0, 0).unwrap()
        );
        assert_eq!(token.as_str(), TOKEN);
    }

    #[tokio::test]
    async fn a_missing_chat_and_every_token_that_opens_nothing_are_not_found() {
        let mut store = MockShareStore::new();
        // Asked once: a malformed token never reaches the store.
        store
            .expect_shared_chat()
            .withf(|token| token.as_str() == TOKEN)
            .times(1)
            .returning(|_| Err(ShareStoreError::ShareNotFound));
        store
            .expect_create_share()
            .returning(|_, _| Err(ShareStoreError::SessionNotFound));
        let shares = service(store);
        let missing = [
            shares.create(Uuid::from_u128(1)).await.unwrap_err(),
            shares.read(TOKEN).await.unwrap_err(),
            shares.read("not-a-token").await.unwrap_err(),
        ];
        assert!(
            matches!(
                missing,
                [
                    ServiceError::NotFound(Missing::ChatSession),
                    ServiceError::NotFound(Missing::Share),
                    ServiceError::NotFound(Missing::Share),
                ]
            ),
            "{missing:?}"
        );
    }
}
