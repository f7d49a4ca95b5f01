use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bytea, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::RunQueryDsl;
use domain::ports::{ShareStore, ShareStoreError};
use domain::{ChatMessage, ChatShare, ShareToken, SharedChat};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::DbError;
use crate::rows::MessageRow;
use crate::schema::{chat_sessions, chat_shares};
use crate::{PgStore, one_with_many};

/// The copy a link keeps, in one statement: the chat's title and its finished messages in
/// their one order, each as the columns [`MessageRow`] reads (an answer still being written
/// is left out).
const CREATE_SHARE: &str = "\
INSERT INTO chat_shares (id, session_id, token_sha256, title, messages, created_at) \
SELECT $1, s.id, $2, s.title, COALESCE(( \
    SELECT jsonb_agg(jsonb_build_object( \
        'id', m.id, 'session_id', m.session_id, 'role', m.role, 'content', m.content, \
        'sources', m.sources, 'status', m.status, 'status_code', m.status_code, 'note', m.note, \
        'finish_reason', m.finish_reason, 'model', m.model, 'prompt_tokens', m.prompt_tokens, \
        'completion_tokens', m.completion_tokens, 'total_tokens', m.total_tokens, \
        'created_at', m.created_at) ORDER BY m.created_at, m.seq) \
    FROM chat_messages m WHERE m.session_id = s.id AND m.status <> 'generating'), '[]'), $4 \
FROM chat_sessions s WHERE s.id = $3";

/// What is kept of a token: its SHA-256. The token has 256 random bits, so a plain fast
/// hash is enough (nothing to stretch), and lookups stay one index probe.
fn digest(token: &ShareToken) -> Vec<u8> {
    Sha256::digest(token.as_str().as_bytes()).to_vec()
}

/// `Ok` when a statement wrote a row, else `missing`.
fn touched(rows: usize, missing: ShareStoreError) -> Result<(), ShareStoreError> {
    if rows == 0 { Err(missing) } else { Ok(()) }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = chat_shares, check_for_backend(diesel::pg::Pg))]
struct ShareRow {
    id: Uuid,
    session_id: Uuid,
    created_at: DateTime<Utc>,
}

impl From<ShareRow> for ChatShare {
    fn from(row: ShareRow) -> Self {
        Self {
            id: row.id,
            session_id: row.session_id,
            created_at: row.created_at,
        }
    }
}

/// A share's copy as read: its messages as the JSON text PostgreSQL writes, parsed straight
/// into rows (no `serde_json::Value` tree in between: a 200-message copy is read per visit).
#[derive(Queryable)]
struct SnapshotRow {
    title: String,
    messages: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<SnapshotRow> for SharedChat {
    type Error = DbError;

    fn try_from(row: SnapshotRow) -> Result<Self, DbError> {
        let rows: Vec<MessageRow> = serde_json::from_str(&row.messages).map_err(|error| {
            DbError::Query(diesel::result::Error::DeserializationError(error.into()))
        })?;
        Ok(Self {
            title: row.title,
            shared_at: row.created_at,
            messages: rows
                .into_iter()
                .map(ChatMessage::try_from)
                .collect::<Result<_, _>>()?,
        })
    }
}

#[async_trait]
impl ShareStore for PgStore {
    async fn create_share(
        &self,
        share: &ChatShare,
        token: &ShareToken,
    ) -> Result<(), ShareStoreError> {
        let stored = self
            .run(async |conn| {
                Ok(diesel::sql_query(CREATE_SHARE)
                    .bind::<SqlUuid, _>(share.id)
                    .bind::<Bytea, _>(digest(token))
                    .bind::<SqlUuid, _>(share.session_id)
                    .bind::<Timestamptz, _>(share.created_at)
                    .execute(conn)
                    .await?)
            })
            .await?;
        // No row inserted: there was no such chat to copy.
        touched(stored, ShareStoreError::SessionNotFound)
    }

    async fn list_shares(&self, session_id: Uuid) -> Result<Vec<ChatShare>, ShareStoreError> {
        // The chat with its links, in one statement: no row at all means no chat.
        let rows: Vec<(Uuid, Option<ShareRow>)> = self
            .run(async |conn| {
                Ok(chat_sessions::table
                    .left_join(chat_shares::table)
                    .filter(chat_sessions::id.eq(session_id))
                    .order((chat_shares::created_at, chat_shares::id))
                    .select((chat_sessions::id, Option::<ShareRow>::as_select()))
                    .load(conn)
                    .await?)
            })
            .await?;
        let (_, shares) = one_with_many(rows).ok_or(ShareStoreError::SessionNotFound)?;
        Ok(shares.into_iter().map(ChatShare::from).collect())
    }

    async fn revoke_share(&self, session_id: Uuid, share_id: Uuid) -> Result<(), ShareStoreError> {
        let deleted = self
            .run(async |conn| {
                Ok(diesel::delete(
                    chat_shares::table
                        .filter(chat_shares::id.eq(share_id))
                        .filter(chat_shares::session_id.eq(session_id)),
                )
                .execute(conn)
                .await?)
            })
            .await?;
        touched(deleted, ShareStoreError::ShareNotFound)
    }

    async fn shared_chat(&self, token: &ShareToken) -> Result<SharedChat, ShareStoreError> {
        let hash = digest(token);
        let query = chat_shares::table
            .filter(chat_shares::token_sha256.eq(hash))
            .select((
                chat_shares::title,
                sql::<Text>("chat_shares.messages::text"),
                chat_shares::created_at,
            ));
        let row = self
            .run(async |conn| Ok(query.first::<SnapshotRow>(conn).await.optional()?))
            .await?
            .ok_or(ShareStoreError::ShareNotFound)?;
        Ok(SharedChat::try_from(row)?)
    }
}
