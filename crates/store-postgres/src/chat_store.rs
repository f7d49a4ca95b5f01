use std::time::Duration;

use crate::checkpoints::Failed;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::expression::{AppearsOnTable, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sql_types::{Array, Bool, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::ports::{ChatStore, ChatStoreError, Lease, StopRequest};
use domain::{
    ChatMessage, ChatSelection, ChatSession, ImportedChat, Interruption, MessageStatus, Role,
    SearchPage, SearchQuery, SessionEdit, SessionFilter, SessionWithMessages, Usage, UsageQuery,
};
use uuid::Uuid;

use crate::error::DbError;
use crate::prepared::{Prepared, Value};
use crate::rows::{IdRow, MessageRow, PromptMessageRow, SessionRow};
use crate::schema::{chat_messages, chat_sessions};
use crate::{PgStore, import_store, turns};

diesel::define_sql_function! {
    /// A moment `ms` milliseconds from now (negative: ago), in the database's clock (a
    /// function of the migrations).
    fn aidstation_from_now(ms: diesel::sql_types::BigInt) -> diesel::sql_types::Timestamptz;
}

const SESSION_EVENT_FK: &str = "chat_sessions_event_id_fkey";
/// The unique index that allows one generating answer per session.
const ONE_GENERATING: &str = "chat_messages_generating_idx";

/// The statement of a list: a boxed query, since which filters apply varies.
fn listed(
    filter: &SessionFilter,
) -> chat_sessions::BoxedQuery<'static, diesel::pg::Pg, SessionColumns> {
    let mut query = chat_sessions::table
        .order((
            chat_sessions::pinned.desc(),
            chat_sessions::updated_at.desc(),
            chat_sessions::id.desc(),
        ))
        .select(SessionRow::as_select())
        .into_boxed();
    if let Some(event_id) = filter.event_id {
        query = query.filter(chat_sessions::event_id.eq(event_id));
    }
    if let Some(pinned) = filter.pinned {
        query = query.filter(chat_sessions::pinned.eq(pinned));
    }
    for tag in &filter.tags {
        query = query.filter(
            sql::<Bool>(
                "EXISTS (SELECT 1 FROM unnest(chat_sessions.tags) AS t WHERE lower(t) = lower(",
            )
            .bind::<Text, _>(tag.clone())
            .sql("))"),
        );
    }
    if let Some(page) = filter.page {
        if let Some(after) = page.after {
            // The list order is descending in every part: "after" is a smaller row.
            query = query.filter(
                sql::<Bool>(
                    "(chat_sessions.pinned, chat_sessions.updated_at, chat_sessions.id) < (",
                )
                .bind::<Bool, _>(after.pinned)
                .sql(", ")
                .bind::<Timestamptz, _>(after.updated_at)
                .sql(", ")
                .bind::<SqlUuid, _>(after.id)
                .sql(")"),
            );
        }
        query = query.limit(i64::try_from(page.limit).unwrap_or(i64::MAX));
    }
    query
}

/// What a list selects.
type SessionColumns = diesel::dsl::AsSelect<SessionRow, diesel::pg::Pg>;

/// One tag with how many chats have it.
#[derive(QueryableByName)]
struct TagRow {
    #[diesel(sql_type = Text)]
    tag: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    chats: i64,
}

/// One session a bulk delete removed, with the messages the whole delete removed.
#[derive(QueryableByName)]
struct DeletedRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    messages: i64,
}

#[derive(QueryableByName)]
struct DeletedCounts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    sessions: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    messages: i64,
}

/// A session (`None` when there is none) and the messages `$filter` keeps of it as `$row`s,
/// in order: two statements pipelined on one connection, one round trip. The session's
/// columns, its tags among them, come once rather than again on each message's row as a join
/// had them (a continued chat's prompt holds up to hundreds of messages, an export
/// thousands). A macro because the filters are of different Diesel types.
macro_rules! load_session {
    ($conn:ident, $id:expr, $filter:expr, $row:ty) => {{
        let mut conn = &*$conn;
        let session = chat_sessions::table
            .find($id)
            .select(SessionRow::as_select())
            .first::<SessionRow>(&mut conn);
        let messages = chat_messages::table
            .filter($filter)
            .order((chat_messages::created_at.asc(), chat_messages::seq.asc()))
            .select(<$row>::as_select())
            .load::<$row>(&mut conn);
        let (session, messages) = futures_util::join!(session, messages);
        Ok((session.optional()?, messages?))
    }};
}

/// A session with its messages' rows, in order; `SessionNotFound` when there is no session.
fn session_with_messages(
    session: Option<SessionRow>,
    messages: impl IntoIterator<Item = MessageRow>,
) -> Result<SessionWithMessages, ChatStoreError> {
    let session = session.ok_or(ChatStoreError::SessionNotFound)?;
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

/// The messages of a session that fit `max_chars`, newest first: a message is kept while the
/// characters of it and of every later message fit. The running sum is PostgreSQL's work (one
/// window pass), and only kept rows travel. The pass finds where the kept messages start, in a
/// subquery that runs once (an init plan) whatever the planner thinks of the table; the
/// messages from there on are then read by the session's index. Written as `id IN (the kept
/// ids)`, a planner without statistics yet (a new database, a table that grew since its last
/// ANALYZE) ran the pass again for every message of the session: 22 ms for an 80-message chat,
/// a continued turn's whole time. Diesel's DSL has no window functions, and its `sql()`
/// fragments make a statement that is prepared anew each time; this expression keeps the
/// history's statement prepared once per connection.
#[derive(Debug, Clone, Copy)]
struct RecentMessages {
    session_id: Uuid,
    max_chars: i64,
}

impl Expression for RecentMessages {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for RecentMessages {}

impl ValidGrouping<()> for RecentMessages {
    type IsAggregate = diesel::expression::is_aggregate::Never;
}

impl diesel::query_builder::QueryId for RecentMessages {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<Pg> for RecentMessages {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(
            "(chat_messages.created_at, chat_messages.seq) >= (SELECT created_at, seq FROM \
             (SELECT created_at, seq, sum(char_length(content)) OVER (ORDER BY created_at DESC, \
             seq DESC) AS from_here FROM chat_messages WHERE session_id = ",
        );
        out.push_bind_param::<SqlUuid, _>(&self.session_id)?;
        out.push_sql(") newest WHERE from_here <= ");
        out.push_bind_param::<diesel::sql_types::BigInt, _>(&self.max_chars)?;
        // The oldest that fits; of messages with nothing in them, the oldest too.
        out.push_sql(" ORDER BY from_here DESC, created_at, seq LIMIT 1)");
        Ok(())
    }
}

#[async_trait]
impl ChatStore for PgStore {
    async fn list_sessions(
        &self,
        filter: &SessionFilter,
    ) -> Result<Vec<ChatSession>, ChatStoreError> {
        let rows = self
            .run(async |conn| Ok(listed(filter).load(conn).await?))
            .await?;
        Ok(rows.into_iter().map(ChatSession::from).collect())
    }

    async fn list_tags(
        &self,
        event_id: Option<Uuid>,
    ) -> Result<Vec<(String, u64)>, ChatStoreError> {
        let rows: Vec<TagRow> = self
            .run(async |conn| {
                Ok(diesel::sql_query(
                    "SELECT (array_agg(t.tag ORDER BY s.created_at, s.id))[1] AS tag, count(*) AS chats \
                     FROM chat_sessions s CROSS JOIN LATERAL unnest(s.tags) AS t(tag) \
                     WHERE $1::uuid IS NULL OR s.event_id = $1 \
                     GROUP BY lower(t.tag) ORDER BY count(*) DESC, lower(t.tag)",
                )
                .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(event_id)
                .load(conn)
                .await?)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.tag, row.chats.unsigned_abs()))
            .collect())
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchPage, ChatStoreError> {
        Ok(self
            .run(async |conn| crate::search::search(conn, query).await)
            .await?)
    }

    async fn usage(&self, query: &UsageQuery) -> Result<Usage, ChatStoreError> {
        Ok(self
            .run(async |conn| crate::usage::usage(conn, query).await)
            .await?)
    }

    async fn get_session(&self, id: Uuid) -> Result<SessionWithMessages, ChatStoreError> {
        let (session, messages) = self
            .run(async |conn| load_session!(conn, id, chat_messages::session_id.eq(id), MessageRow))
            .await?;
        session_with_messages(session, messages)
    }

    async fn get_recent_history(
        &self,
        id: Uuid,
        max_chars: usize,
    ) -> Result<SessionWithMessages, ChatStoreError> {
        let recent = RecentMessages {
            session_id: id,
            max_chars: i64::try_from(max_chars).unwrap_or(i64::MAX),
        };
        let kept = chat_messages::session_id.eq(id).and(recent);
        let (session, messages) = self
            .run(async |conn| load_session!(conn, id, kept, PromptMessageRow))
            .await?;
        session_with_messages(session, messages.into_iter().map(MessageRow::from))
    }

    async fn delete_session(&self, id: Uuid) -> Result<u64, ChatStoreError> {
        // Both parts of the statement see the same snapshot, so the count is of the messages
        // that the cascade removes, in one round trip.
        let counts: DeletedCounts = self
            .run(async |conn| {
                Ok(diesel::sql_query(
                    "WITH gone AS (DELETE FROM chat_sessions WHERE id = $1 RETURNING id) \
                     SELECT (SELECT count(*) FROM gone) AS sessions, \
                            (SELECT count(*) FROM chat_messages WHERE session_id = $1) AS messages",
                )
                .bind::<diesel::sql_types::Uuid, _>(id)
                .get_result(conn)
                .await?)
            })
            .await?;
        if counts.sessions == 0 {
            return Err(ChatStoreError::SessionNotFound);
        }
        Ok(counts.messages.unsigned_abs())
    }

    async fn delete_sessions(
        &self,
        which: &ChatSelection,
    ) -> Result<(Vec<Uuid>, u64), ChatStoreError> {
        // One statement: one transaction, and the count is of the messages the cascade
        // removes (both parts see the same snapshot).
        const COUNTED: &str = "SELECT gone.id, (SELECT count(*) FROM chat_messages m \
             WHERE m.session_id IN (SELECT id FROM gone)) AS messages FROM gone";
        let rows: Vec<DeletedRow> = self
            .run(async |conn| {
                Ok(match which {
                    ChatSelection::Ids(ids) => {
                        diesel::sql_query(format!(
                            "WITH gone AS (DELETE FROM chat_sessions WHERE id = ANY($1) RETURNING id) {COUNTED}"
                        ))
                        .bind::<Array<SqlUuid>, _>(ids)
                        .load(conn)
                        .await?
                    }
                    ChatSelection::Event(event_id) => {
                        diesel::sql_query(format!(
                            "WITH gone AS (DELETE FROM chat_sessions WHERE event_id = $1 RETURNING id) {COUNTED}"
                        ))
                        .bind::<SqlUuid, _>(event_id)
                        .load(conn)
                        .await?
                    }
                })
            })
            .await?;
        let messages = rows
            .as_slice()
            .first()
            .map_or(0, |row| row.messages.unsigned_abs());
        Ok((rows.into_iter().map(|row| row.id).collect(), messages))
    }

    async fn edit_session(
        &self,
        id: Uuid,
        edit: &SessionEdit,
    ) -> Result<ChatSession, ChatStoreError> {
        let edited = self
            .run(async |conn| {
                conn.transaction::<_, DbError, _>(async |conn| {
                    let Some(row) = chat_sessions::table
                        .find(id)
                        .select(SessionRow::as_select())
                        .for_update()
                        .get_result(conn)
                        .await
                        .optional()?
                    else {
                        return Ok(None);
                    };
                    let mut session = ChatSession::from(row);
                    edit.apply_to(&mut session);
                    diesel::update(chat_sessions::table.find(id))
                        .set((
                            chat_sessions::title.eq(&session.title),
                            chat_sessions::pinned.eq(session.pinned),
                            chat_sessions::tags.eq(&session.tags),
                        ))
                        .execute(conn)
                        .await?;
                    Ok(Some(session))
                })
                .await
            })
            .await?;
        edited.ok_or(ChatStoreError::SessionNotFound)
    }

    async fn create_session(
        &self,
        session: &ChatSession,
        messages: &[ChatMessage],
        lease: &Lease,
    ) -> Result<(), ChatStoreError> {
        let result = self
            .run(async |conn| turns::create_session(conn, session, messages, lease).await)
            .await;
        unless_event_gone(result)
    }

    async fn import_chat(&self, chat: &ImportedChat) -> Result<bool, ChatStoreError> {
        let result = self
            .run(async |conn| import_store::import_chat(conn, chat).await)
            .await;
        unless_event_gone(result)
    }

    async fn append_messages(
        &self,
        messages: &[ChatMessage],
        lease: &Lease,
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
        let result = self
            .run(async |conn| {
                turns::append_messages(conn, session_id, newest, messages, lease).await
            })
            .await;
        match result {
            Err(error) if error.violated() == Some(ONE_GENERATING) => Err(
                ChatStoreError::AnswerInProgress(self.generating_in(session_id).await?),
            ),
            other => other?
                .map(ChatSession::from)
                .ok_or(ChatStoreError::SessionNotFound),
        }
    }

    async fn save_progress(
        &self,
        message_id: Uuid,
        owner: Uuid,
        content: &str,
    ) -> Result<(), ChatStoreError> {
        // Saved together with every other answer's checkpoint of the moment.
        match self
            .checkpoints
            .save(&self.calls, message_id, owner, content)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(ChatStoreError::NotGenerating),
            Err(Failed::Unavailable(cause)) => {
                Err(ChatStoreError::Unavailable(cause.to_string().into()))
            }
            Err(Failed::Unexpected(cause)) => {
                Err(ChatStoreError::Unexpected(cause.to_string().into()))
            }
        }
    }

    async fn finish_message(
        &self,
        message: &ChatMessage,
        owner: Uuid,
        at: DateTime<Utc>,
    ) -> Result<ChatSession, ChatStoreError> {
        let finished = self
            .run(async |conn| turns::finish_message(conn, message, owner, at).await)
            .await?;
        match finished {
            None => Err(ChatStoreError::SessionNotFound),
            Some((session, true)) => Ok(ChatSession::from(session)),
            Some((_, false)) => Err(ChatStoreError::NotGenerating),
        }
    }

    async fn renew_leases(&self, lease: &Lease, live: &[Uuid]) -> Result<u64, ChatStoreError> {
        // Joined, not `id = ANY($2)`: a cached generic plan would search the array row by
        // row, and there may be 50,000 of each.
        const RENEW: &str = "UPDATE chat_messages m SET renewed_at = now()
FROM unnest($2::uuid[]) AS live(id)
WHERE m.id = live.id AND m.owner_id = $1 AND m.status = 'generating'
    AND m.renewed_at < aidstation_from_now($3)";
        let recent = -millis(lease.duration / 6);
        let renewed = self
            .run(async |conn| {
                let values = vec![
                    Value::Uuid(lease.owner),
                    Value::Uuids(live),
                    Value::BigInt(recent),
                ];
                Ok(Prepared::new(RENEW, values).execute(conn).await?)
            })
            .await?;
        Ok(renewed as u64)
    }

    async fn reap_expired(&self, lease: Duration) -> Result<Vec<Uuid>, ChatStoreError> {
        let reaped = Interruption::ProcessDied;
        let lapsed = chat_messages::renewed_at.lt(aidstation_from_now(-millis(lease)));
        Ok(self
            .run(async |conn| {
                Ok(diesel::update(
                    chat_messages::table
                        .filter(chat_messages::status.eq(MessageStatus::Generating.as_str()))
                        .filter(lapsed),
                )
                .set((
                    chat_messages::status.eq(MessageStatus::Interrupted(reaped.clone()).as_str()),
                    chat_messages::status_code.eq(reaped.code()),
                ))
                .returning(chat_messages::id)
                .get_results(conn)
                .await?)
            })
            .await?)
    }

    async fn request_stop(&self, answer_id: Uuid) -> Result<StopRequest, ChatStoreError> {
        let asked: Option<Uuid> = self
            .run(async |conn| {
                Ok(diesel::update(generating(answer_id))
                    .set(chat_messages::stop_requested.eq(true))
                    .returning(chat_messages::id)
                    .get_result(conn)
                    .await
                    .optional()?)
            })
            .await?;
        if asked.is_some() {
            return Ok(StopRequest::Requested);
        }
        self.get_answer(answer_id).await?;
        Ok(StopRequest::AlreadyEnded)
    }

    async fn stops_requested(&self, owner: Uuid) -> Result<Vec<Uuid>, ChatStoreError> {
        // The status written in, not bound: only then does every plan, a cached generic one
        // included, see that the index of answers asked to stop covers the statement (bound,
        // a generic plan reads the whole table, twice a second).
        const ASKED: &str = "SELECT id FROM chat_messages \
             WHERE status = 'generating' AND stop_requested AND owner_id = $1";
        let asked: Vec<IdRow> = self
            .run(async |conn| {
                Ok(Prepared::new(ASKED, vec![Value::Uuid(owner)])
                    .load(conn)
                    .await?)
            })
            .await?;
        Ok(asked.into_iter().map(|row| row.id).collect())
    }

    async fn get_answer(&self, answer_id: Uuid) -> Result<ChatMessage, ChatStoreError> {
        let row: Option<MessageRow> = self
            .run(async |conn| {
                Ok(chat_messages::table
                    .find(answer_id)
                    .filter(chat_messages::role.eq(Role::Assistant.as_str()))
                    .select(MessageRow::as_select())
                    .first(conn)
                    .await
                    .optional()?)
            })
            .await?;
        let row = row.ok_or(ChatStoreError::AnswerNotFound)?;
        Ok(ChatMessage::try_from(row).map_err(DbError::from)?)
    }
}

impl PgStore {
    /// The answer of the session being written, for a question that came while it is.
    async fn generating_in(&self, session_id: Uuid) -> Result<Uuid, ChatStoreError> {
        let id: Option<Uuid> = self
            .run(async |conn| {
                Ok(chat_messages::table
                    .filter(chat_messages::session_id.eq(session_id))
                    .filter(chat_messages::status.eq(MessageStatus::Generating.as_str()))
                    .select(chat_messages::id)
                    .first(conn)
                    .await
                    .optional()?)
            })
            .await?;
        // It may have finished in between: then the question can simply be asked again.
        id.ok_or(ChatStoreError::Unavailable(
            "the answer being written finished meanwhile".into(),
        ))
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// `EventNotFound` when a chat's event is not there (its foreign key refused the write).
fn unless_event_gone<T>(result: Result<T, DbError>) -> Result<T, ChatStoreError> {
    match result {
        Err(error) if error.violated() == Some(SESSION_EVENT_FK) => {
            Err(ChatStoreError::EventNotFound)
        }
        other => Ok(other?),
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
