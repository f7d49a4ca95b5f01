//! Recalling what an event's other chats said, with the search vectors and indexes: the
//! question's words any of which may match (a question is phrased, not typed as a query:
//! "what did I put in my Foresthill drop bag?" should find "the Foresthill bag holds the
//! spare headlamp"), CJK runs as their pairs of characters like search does.
//!
//! Only the event's newest 200 matching messages are ranked, so a question made of common
//! words walks the event's messages newest first and stops, rather than ranking thousands;
//! a long message's passage is the message cut around its matches by `ts_headline` (it
//! would otherwise take the whole budget), a short one comes whole.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{Passage, Recall};
use uuid::Uuid;

use crate::error::DbError;
use crate::prepared::{Prepared, Value};
use crate::search::{literal, terms, unmark, written_in};

/// Any of the question's words (`$1`) or CJK pairs (`$2`), by `aidstation_recall_query`
/// (migration `recall_query`): worked out once per call while the statement is planned, so
/// that it is prepared once per connection and still planned for its words each time.
/// Ranked by `ts_rank` (how often the words occur): proximity (`ts_rank_cd`) cost half as
/// much again for a question's loose words.
///
/// One ranking level, the chat's title read by key for each passage kept: PostgreSQL plans
/// this on every call, and the join and second level it replaced took a third more planning
/// (medians of 50 plans on the bench's data: 0.170 and 0.177 ms against 0.114 and 0.125), for
/// the same plan and rows.
const RECALL: &str = "WITH candidates AS (
    SELECT m.id, m.session_id, m.created_at, m.content, m.search
    FROM chat_messages m
    WHERE m.search @@ aidstation_recall_query($1, $2) AND m.event_id = $3
        AND ($4::uuid IS NULL OR m.session_id <> $4)
    ORDER BY m.created_at DESC
    LIMIT 200
)
SELECT c.id AS message_id, c.session_id,
    (SELECT s.title FROM chat_sessions s WHERE s.id = c.session_id) AS title, c.created_at,
    CASE WHEN char_length(c.content) <= 600 THEN c.content
    ELSE ts_headline('aidstation_search', c.content, aidstation_recall_query($1, $2),
        'StartSel=\u{E000}, StopSel=\u{E001}, MaxWords=60, MinWords=25, MaxFragments=2, FragmentDelimiter=\" … \"') END AS text
FROM candidates c
ORDER BY ts_rank(c.search, aidstation_recall_query($1, $2), 1) DESC, c.created_at DESC
LIMIT $5";

#[derive(QueryableByName)]
struct PassageRow {
    #[diesel(sql_type = SqlUuid)]
    message_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    session_id: Uuid,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    text: String,
}

/// The statement [`recall`] issues, its values written in: what the benchmark's pgbench
/// floor runs.
pub fn recall_statement(recall: &Recall<'_>) -> String {
    let terms = terms(recall.question);
    let values = [
        literal(&terms.words),
        literal(&terms.pairs),
        literal(&recall.event_id.to_string()),
        recall
            .exclude_session
            .map_or_else(|| "NULL".to_owned(), |id| literal(&id.to_string())),
        recall.limit.to_string(),
    ];
    written_in(RECALL, &values)
}

/// Takes the connection shared (`&AsyncPgConnection`), so that it can be pipelined with the
/// reads of the event it is about.
pub async fn recall(
    conn: &mut &AsyncPgConnection,
    recall: &Recall<'_>,
) -> Result<Vec<Passage>, DbError> {
    let terms = terms(recall.question);
    let values = vec![
        Value::Text(&terms.words),
        Value::Text(&terms.pairs),
        Value::Uuid(recall.event_id),
        Value::OptUuid(recall.exclude_session),
        Value::BigInt(i64::try_from(recall.limit).unwrap_or(i64::MAX)),
    ];
    let rows: Vec<PassageRow> = Prepared::new(RECALL, values).load(conn).await?;
    Ok(rows
        .into_iter()
        .map(|row| Passage {
            session_id: row.session_id,
            message_id: row.message_id,
            title: row.title,
            text: unmark(&row.text).0,
            created_at: row.created_at,
        })
        .collect())
}
