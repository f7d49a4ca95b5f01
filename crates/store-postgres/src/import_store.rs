//! Storing an imported chat: the chat, its messages and where it came from, in one
//! transaction, or nothing when that conversation is here already.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::ImportedChat;

use crate::error::DbError;
use crate::rows::{MessageRow, SessionRow};
use crate::schema::{chat_imports, chat_messages, chat_sessions};

/// Messages per INSERT: 16 columns each stays far below PostgreSQL's 65,535 parameters.
const MESSAGES_PER_INSERT: usize = 1_000;

/// Whether the rows were written: `false` when a chat with that id, or the same
/// conversation from the same source, exists (and nothing was written).
pub async fn import_chat(
    conn: &mut AsyncPgConnection,
    chat: &ImportedChat,
) -> Result<bool, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let session = SessionRow::from(&chat.session);
        let stored = diesel::insert_into(chat_sessions::table)
            .values(&session)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        let recorded = diesel::insert_into(chat_imports::table)
            .values((
                chat_imports::source.eq(chat.kind.code()),
                chat_imports::external_id.eq(&chat.external_id),
                chat_imports::session_id.eq(chat.session.id),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if stored == 0 || recorded == 0 {
            // Here already: the rollback takes back whichever of the two was written.
            return Err(DbError::AlreadyThere);
        }
        let rows: Vec<MessageRow> = chat
            .messages
            .iter()
            .map(|m| MessageRow {
                event_id: chat.session.event_id,
                ..MessageRow::from(m)
            })
            .collect();
        for batch in rows.chunks(MESSAGES_PER_INSERT) {
            diesel::insert_into(chat_messages::table)
                .values(batch)
                .execute(conn)
                .await?;
        }
        crate::usage::mark_imported(conn, chat.session.id).await?;
        Ok(true)
    })
    .await
    .or_else(|error| match error {
        DbError::AlreadyThere => Ok(false),
        other => Err(other),
    })
}
