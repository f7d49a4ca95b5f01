//! The writes of a chat turn, each one statement (one round trip, atomic without a
//! transaction around it): the question with its answer's row, in a new session or an
//! existing one, and the finished answer with its session's `updated_at`. As separate
//! statements in a transaction they took four round trips each, most of a turn's database
//! time on the app's side.
//!
//! The session's row is written first in each: the messages' part reads the session's CTE,
//! so it runs after the session row is locked, and a concurrent delete of the session
//! either waits for the turn or leaves it nothing to write to.

use std::fmt::Write;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use diesel::sql_types::Bool;
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::ports::Lease;
use domain::{ChatMessage, ChatSession, MessageStatus};
use uuid::Uuid;

use crate::error::DbError;
use crate::prepared::{Prepared, Value};
use crate::rows::{MessageRow, SessionRow};

/// What a session statement returns (a CTE named `session`).
const SESSION_COLUMNS: &str = "id, event_id, title, created_at, updated_at, pinned, tags";
/// The columns of a message row as a turn writes it (`seq` and `renewed_at` are the
/// database's: insertion order, and the lease's start in its clock).
const MESSAGE_COLUMNS: &str = "id, session_id, role, sources, content, status, status_code, note, \
     finish_reason, model, prompt_tokens, completion_tokens, total_tokens, first_token_ms, duration_ms, \
     created_at, owner_id";
/// [`MESSAGE_COLUMNS`] of the `VALUES` list `v`, made once rather than every turn.
static SELECTED: LazyLock<String> = LazyLock::new(|| {
    MESSAGE_COLUMNS
        .split(", ")
        .map(|column| format!("v.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
});
/// Values of [`MESSAGE_COLUMNS`] per message.
const PER_MESSAGE: usize = 17;

/// Moves a session's `updated_at` forward to `$1` (never back); the session is `$2`.
const TOUCH_SESSION: &str =
    "UPDATE chat_sessions SET updated_at = GREATEST(updated_at, $1) WHERE id = $2";

/// Finishes an answer (its own, still generating, or reaped while its owner was away) in
/// the session the first statement of the CTE touched. Its `sources` are left as the
/// question's write stored them: what the prompt used is known before the model answers,
/// and writing the same JSON again cost a parse and a compression of it (with memory on,
/// a few KiB of recalled passages: the statement took 0.54 ms on average at 8 clients with
/// them, 0.34 ms without).
static FINISH: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH session AS ({TOUCH_SESSION} RETURNING {SESSION_COLUMNS}), finished AS (
    UPDATE chat_messages m SET content = $3, status = $4, status_code = $5, note = $6,
        finish_reason = $7, model = $8, prompt_tokens = $9, completion_tokens = $10,
        total_tokens = $11, first_token_ms = $12, duration_ms = $13
    FROM session
    WHERE m.id = $14 AND m.session_id = session.id AND m.owner_id = $15
      AND (m.status = 'generating' OR m.status_code = $16)
    RETURNING m.id
)
SELECT session.*, EXISTS (SELECT 1 FROM finished) AS finished FROM session"
    )
});

/// A session with whether the answer was finished.
#[derive(QueryableByName)]
struct Finished {
    #[diesel(embed)]
    session: SessionRow,
    #[diesel(sql_type = Bool)]
    finished: bool,
}

/// Stores a new session with its first messages.
pub async fn create_session(
    conn: &mut AsyncPgConnection,
    session: &ChatSession,
    messages: &[ChatMessage],
    lease: &Lease,
) -> Result<(), DbError> {
    let sql = format!(
        "WITH session AS (INSERT INTO chat_sessions ({SESSION_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {SESSION_COLUMNS}) {}",
        insert_messages_sql(8, messages.len())
    );
    let mut values = vec![
        Value::Uuid(session.id),
        Value::OptUuid(session.event_id),
        Value::Text(&session.title),
        Value::Time(session.created_at),
        Value::Time(session.updated_at),
        Value::Bool(session.pinned),
        Value::Texts(&session.tags),
    ];
    let rows = message_rows(messages, lease);
    push_messages(&mut values, &rows);
    Prepared::new(sql, values).execute(conn).await?;
    Ok(())
}

/// Adds messages to a session, moving its `updated_at` to the newest of them; `None` when
/// the session is not there.
pub async fn append_messages(
    conn: &mut AsyncPgConnection,
    session_id: Uuid,
    newest: DateTime<Utc>,
    messages: &[ChatMessage],
    lease: &Lease,
) -> Result<Option<SessionRow>, DbError> {
    let sql = format!(
        "WITH session AS ({TOUCH_SESSION} RETURNING {SESSION_COLUMNS}), \
         added AS ({}) SELECT {SESSION_COLUMNS} FROM session",
        insert_messages_sql(3, messages.len())
    );
    let mut values = vec![Value::Time(newest), Value::Uuid(session_id)];
    let rows = message_rows(messages, lease);
    push_messages(&mut values, &rows);
    let session: Option<SessionRow> = Prepared::new(sql, values)
        .get_result(conn)
        .await
        .optional()?;
    Ok(session)
}

/// Writes an answer's final state, if `owner` still writes it (or it was reaped while its
/// owner was away: the owner's whole text is better than the part that was saved), and
/// moves its session's `updated_at` to `at`. `None` when the session is gone; `false` when
/// the answer was not there to finish.
pub async fn finish_message(
    conn: &mut AsyncPgConnection,
    message: &ChatMessage,
    owner: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<(SessionRow, bool)>, DbError> {
    let row = MessageRow::without_sources(message);
    let reaped = domain::Interruption::ProcessDied.code();
    let mut values = vec![Value::Time(at), Value::Uuid(row.session_id)];
    values.extend(outcome(&row));
    values.extend([Value::Uuid(row.id), Value::Uuid(owner), Value::Text(reaped)]);
    let finished: Option<Finished> = Prepared::new(FINISH.as_str(), values)
        .get_result(conn)
        .await
        .optional()?;
    Ok(finished.map(|f| (f.session, f.finished)))
}

/// The rows of messages as inserted: an answer being written is owned by `lease.owner`.
fn message_rows(messages: &[ChatMessage], lease: &Lease) -> Vec<MessageRow> {
    messages
        .iter()
        .map(|m| MessageRow {
            owner_id: (m.status == MessageStatus::Generating).then_some(lease.owner),
            ..MessageRow::from(m)
        })
        .collect()
}

fn push_messages<'a>(values: &mut Vec<Value<'a>>, rows: &'a [MessageRow]) {
    for row in rows {
        values.extend([
            Value::Uuid(row.id),
            Value::Uuid(row.session_id),
            Value::Text(&row.role),
            Value::OptJson(row.sources.as_ref()),
        ]);
        values.extend(outcome(row));
        values.extend([Value::Time(row.created_at), Value::OptUuid(row.owner_id)]);
    }
}

/// What a message says and how it ended, from `content` to `duration_ms` in the order of
/// [`MESSAGE_COLUMNS`]: what inserting and finishing a message both write.
fn outcome(row: &MessageRow) -> [Value<'_>; 11] {
    [
        Value::Text(&row.content),
        Value::Text(&row.status),
        Value::OptText(row.status_code.as_deref()),
        Value::OptText(row.note.as_deref()),
        Value::OptText(row.finish_reason.as_deref()),
        Value::OptText(row.model.as_deref()),
        Value::OptInt(row.prompt_tokens),
        Value::OptInt(row.completion_tokens),
        Value::OptInt(row.total_tokens),
        Value::OptInt(row.first_token_ms),
        Value::OptInt(row.duration_ms),
    ]
}

/// Inserts `count` messages whose values start at `$first`, each with the event of the
/// CTE `session`, in their order (`seq` follows it).
fn insert_messages_sql(first: usize, count: usize) -> String {
    let mut sql = format!(
        "INSERT INTO chat_messages ({MESSAGE_COLUMNS}, event_id) \
         SELECT {}, session.event_id FROM session CROSS JOIN (VALUES ",
        *SELECTED
    );
    for message in 0..count {
        sql.push_str(if message == 0 { "(" } else { ", (" });
        for column in 0..PER_MESSAGE {
            let n = first + message * PER_MESSAGE + column;
            let _ = write!(sql, "{}${n}", if column == 0 { "" } else { ", " });
        }
        let _ = write!(sql, ", {message})");
    }
    let _ = write!(sql, ") AS v({MESSAGE_COLUMNS}, ord) ORDER BY v.ord");
    sql
}
