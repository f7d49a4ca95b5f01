use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::AsyncPgConnection;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::ports::{ChatStore, ChatStoreError};
use domain::{ChatMessage, ChatSession, Interruption, MessageStatus, SessionWithMessages};
use uuid::Uuid;

use crate::error::DbError;
use crate::rows::{MessageRow, SessionRow};
use crate::schema::{chat_messages, chat_sessions};
use crate::{PgStore, one_with_many};

diesel::define_sql_function! {
    /// PostgreSQL's GREATEST: `updated_at` only ever moves forward.
    fn greatest(a: diesel::sql_types::Timestamptz, b: diesel::sql_types::Timestamptz) -> diesel::sql_types::Timestamptz;
}

const SESSION_EVENT_FK: &str = "chat_sessions_event_id_fkey";

#[derive(QueryableByName)]
struct DeletedCounts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sessions: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    messages: i64,
}

/// A session left-joined with `$messages` (its messages, or a join of the table that keeps
/// only some), ordered: one round trip and one snapshot, the session's columns repeating on
/// each message row. A macro because the two joins are of different Diesel types.
macro_rules! load_session {
    ($conn:ident, $id:expr, $messages:expr) => {
        chat_sessions::table
            .left_join($messages)
            .filter(chat_sessions::id.eq($id))
            .order((chat_messages::created_at.asc(), chat_messages::seq.asc()))
            .select((SessionRow::as_select(), Option::<MessageRow>::as_select()))
            .load::<(SessionRow, Option<MessageRow>)>(&mut $conn)
            .await
            .map_err(DbError::from)
    };
}

/// Rows of a session left-joined with its messages: the session, and its messages in order.
fn session_with_messages(
    rows: Vec<(SessionRow, Option<MessageRow>)>,
) -> Result<SessionWithMessages, ChatStoreError> {
    let (session, messages) = one_with_many(rows).ok_or(ChatStoreError::SessionNotFound)?;
    let messages = messages
        .into_iter()
        .map(ChatMessage::try_from)
        .collect::<Result<Vec<_>, _>>()
        .map_err(DbError::from)?;
    Ok(SessionWithMessages {
        session: session.into(),
        messages,
    })
}

#[async_trait]
impl ChatStore for PgStore {
    async fn list_sessions(
        &self,
        event_id: Option<Uuid>,
    ) -> Result<Vec<ChatSession>, ChatStoreError> {
        let mut conn = self.conn().await?;
        let newest_first = (chat_sessions::updated_at.desc(), chat_sessions::id.desc());
        let all = chat_sessions::table
            .order(newest_first)
            .select(SessionRow::as_select());
        // Two fixed queries rather than one boxed query: only fixed queries go through
        // Diesel's prepared-statement cache.
        let rows = match event_id {
            Some(event_id) => {
                all.filter(chat_sessions::event_id.eq(event_id))
                    .load(&mut conn)
                    .await
            }
            None => all.load(&mut conn).await,
        }
        .map_err(DbError::from)?;
        Ok(rows.into_iter().map(ChatSession::from).collect())
    }

    async fn get_session(&self, id: Uuid) -> Result<SessionWithMessages, ChatStoreError> {
        let mut conn = self.conn().await?;
        session_with_messages(load_session!(conn, id, chat_messages::table)?)
    }

    async fn get_recent_history(
        &self,
        id: Uuid,
        max_chars: usize,
    ) -> Result<SessionWithMessages, ChatStoreError> {
        let mut conn = self.conn().await?;
        let max_chars = i64::try_from(max_chars).unwrap_or(i64::MAX);
        // Keep a message while the characters of it and of every later message fit: the
        // running sum is PostgreSQL's work (one window pass), and only kept rows travel.
        let recent = diesel::dsl::sql::<diesel::sql_types::Bool>(
            "chat_messages.id IN (SELECT id FROM (SELECT id, sum(char_length(content)) \
             OVER (ORDER BY created_at DESC, seq DESC) AS from_here FROM chat_messages WHERE session_id = ",
        )
        .bind::<diesel::sql_types::Uuid, _>(id)
        .sql(") newest WHERE from_here <= ")
        .bind::<diesel::sql_types::BigInt, _>(max_chars)
        .sql(")");
        let messages =
            chat_messages::table.on(chat_messages::session_id.eq(chat_sessions::id).and(recent));
        session_with_messages(load_session!(conn, id, messages)?)
    }

    async fn delete_session(&self, id: Uuid) -> Result<u64, ChatStoreError> {
        let mut conn = self.conn().await?;
        // Both parts of the statement see the same snapshot, so the count is of the messages
        // that the cascade removes, in one round trip.
        let counts: DeletedCounts = diesel::sql_query(
            "WITH gone AS (DELETE FROM chat_sessions WHERE id = $1 RETURNING id) \
             SELECT (SELECT count(*) FROM gone) AS sessions, \
                    (SELECT count(*) FROM chat_messages WHERE session_id = $1) AS messages",
        )
        .bind::<diesel::sql_types::Uuid, _>(id)
        .get_result(&mut conn)
        .await
        .map_err(DbError::from)?;
        if counts.sessions == 0 {
            return Err(ChatStoreError::SessionNotFound);
        }
        Ok(counts.messages.unsigned_abs())
    }

    async fn create_session(
        &self,
        session: &ChatSession,
        messages: &[ChatMessage],
    ) -> Result<(), ChatStoreError> {
        let session_row = SessionRow::from(session);
        let message_rows: Vec<MessageRow> = messages.iter().map(MessageRow::from).collect();
        let mut conn = self.conn().await?;
        let result = conn
            .transaction::<_, DbError, _>(async |conn| {
                diesel::insert_into(chat_sessions::table)
                    .values(&session_row)
                    .execute(conn)
                    .await?;
                // One statement for all rows; `seq` follows their order.
                diesel::insert_into(chat_messages::table)
                    .values(&message_rows)
                    .execute(conn)
                    .await?;
                Ok(())
            })
            .await;
        match result {
            Err(error) if error.foreign_key() == Some(SESSION_EVENT_FK) => {
                Err(ChatStoreError::EventNotFound)
            }
            other => Ok(other?),
        }
    }

    async fn append_messages(
        &self,
        messages: &[ChatMessage],
    ) -> Result<ChatSession, ChatStoreError> {
        let (Some(first), Some(newest)) = (
            messages.first(),
            messages.iter().map(|m| m.created_at).max(),
        ) else {
            return Err(ChatStoreError::Unexpected(
                "append_messages needs at least one message".into(),
            ));
        };
        let session_id = first.session_id;
        let message_rows: Vec<MessageRow> = messages.iter().map(MessageRow::from).collect();
        let mut conn = self.conn().await?;
        let session = conn
            .transaction::<_, DbError, _>(async |conn| {
                let session = touch_session(conn, session_id, newest).await?;
                if session.is_some() {
                    diesel::insert_into(chat_messages::table)
                        .values(&message_rows)
                        .execute(conn)
                        .await?;
                }
                Ok(session)
            })
            .await?;
        session
            .map(ChatSession::from)
            .ok_or(ChatStoreError::SessionNotFound)
    }

    async fn save_progress(&self, message_id: Uuid, content: &str) -> Result<(), ChatStoreError> {
        let mut conn = self.conn().await?;
        let updated = diesel::update(generating(message_id))
            .set(chat_messages::content.eq(content))
            .execute(&mut conn)
            .await
            .map_err(DbError::from)?;
        if updated == 0 {
            return Err(ChatStoreError::NotGenerating);
        }
        Ok(())
    }

    async fn finish_message(
        &self,
        message: &ChatMessage,
        at: DateTime<Utc>,
    ) -> Result<ChatSession, ChatStoreError> {
        let row = MessageRow::from(message);
        let mut waits = FINISH_RETRY_WAITS.iter();
        loop {
            match self.finish(&row, at).await {
                Err(ChatStoreError::Unavailable(cause)) => match waits.next() {
                    Some(wait) => {
                        tracing::warn!(%cause, ?wait, "database unavailable for an answer's last write; retrying");
                        tokio::time::sleep(*wait).await;
                    }
                    None => return Err(ChatStoreError::Unavailable(cause)),
                },
                other => return other,
            }
        }
    }

    async fn interrupt_generating(&self, reason: &Interruption) -> Result<u64, ChatStoreError> {
        let mut conn = self.conn().await?;
        let updated = diesel::update(
            chat_messages::table
                .filter(chat_messages::status.eq(MessageStatus::Generating.as_str())),
        )
        .set((
            chat_messages::status.eq(MessageStatus::Interrupted(reason.clone()).as_str()),
            chat_messages::status_code.eq(reason.code()),
            chat_messages::status_detail.eq(reason.detail()),
        ))
        .execute(&mut conn)
        .await
        .map_err(DbError::from)?;
        Ok(updated as u64)
    }
}

/// Waits between attempts at an answer's last write while the database is unreachable: it
/// is the write that must not be lost, and a database restart takes about a second.
const FINISH_RETRY_WAITS: [Duration; 4] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

impl PgStore {
    async fn finish(
        &self,
        row: &MessageRow,
        at: DateTime<Utc>,
    ) -> Result<ChatSession, ChatStoreError> {
        let mut conn = self.conn().await?;
        conn.transaction::<_, DbError, _>(async |conn| {
            let Some(session) = touch_session(conn, row.session_id, at).await? else {
                return Ok(Err(ChatStoreError::SessionNotFound));
            };
            let updated = diesel::update(generating(row.id))
                .set(row)
                .execute(conn)
                .await?;
            Ok(if updated == 1 {
                Ok(ChatSession::from(session))
            } else {
                Err(ChatStoreError::NotGenerating)
            })
        })
        .await?
    }
}

/// The row of an answer, as long as it is still being written: a finished or recovered
/// answer is never overwritten.
fn generating(
    id: Uuid,
) -> diesel::dsl::Filter<
    diesel::dsl::Find<chat_messages::table, Uuid>,
    diesel::dsl::Eq<chat_messages::status, &'static str>,
> {
    chat_messages::table
        .find(id)
        .filter(chat_messages::status.eq(MessageStatus::Generating.as_str()))
}

/// Moves the session's `updated_at` forward to `at` (never back) and returns it; `None` when
/// the session is gone. Updating it first locks its row: a concurrent delete waits, so no
/// message lands in a session that is being removed.
async fn touch_session(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<SessionRow>, DbError> {
    Ok(diesel::update(chat_sessions::table.find(id))
        .set(chat_sessions::updated_at.eq(greatest(chat_sessions::updated_at, at)))
        .returning(SessionRow::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}
