//! Recalling what an event's other chats said, with the search vectors and indexes: the
//! question's words any of which may match (a question is phrased, not typed as a query:
//! "what did I put in my Foresthill drop bag?" should find "the Foresthill bag holds the
//! spare headlamp"), CJK runs as their pairs of characters like search does.
//!
//! Only the event's newest 200 matching messages are ranked, so a question made of common
//! words walks the event's messages newest first and stops, rather than ranking thousands;
//! a long message's passage is the message cut around its matches by `ts_headline` (it
//! would otherwise take the whole budget), a short one comes whole.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{Passage, Recall};
use uuid::Uuid;

use crate::error::DbError;
use crate::prepared::{Prepared, Value};
use crate::search::{literal, terms, unmark, written_in};

/// Any of the question's words (`$1`, English-stemmed and accent-folded like the vectors).
const ANY_WORD: &str =
    "replace(plainto_tsquery('aidstation_search', $1)::text, ' & ', ' | ')::tsquery";
/// Any of the CJK pairs (`$2`): only for a question that has some, as an empty query makes
/// PostgreSQL send a notice.
const ANY_PAIR: &str = "replace(plainto_tsquery('simple', $2)::text, ' & ', ' | ')::tsquery";

/// With the query (`{query}`) written where it is used, so that the planner sees the words
/// and works the query out once, when it plans. Ranked by `ts_rank` (how often the words
/// occur): proximity (`ts_rank_cd`) cost half as much again for a question's loose words.
const RECALL_TEMPLATE: &str = "WITH candidates AS (
    SELECT m.id, m.session_id, m.created_at, m.content, m.search
    FROM chat_messages m
    WHERE m.search @@ {query} AND m.event_id = $3 AND ($4::uuid IS NULL OR m.session_id <> $4)
    ORDER BY m.created_at DESC
    LIMIT 200
), best AS (
    SELECT c.id, c.session_id, c.created_at, c.content, ts_rank(c.search, {query}, 1) AS rank
    FROM candidates c
    ORDER BY rank DESC, c.created_at DESC
    LIMIT $5
)
SELECT best.id AS message_id, best.session_id, s.title, best.created_at,
    CASE WHEN char_length(best.content) <= 600 THEN best.content
    ELSE ts_headline('aidstation_search', best.content, {query},
        'StartSel=\u{E000}, StopSel=\u{E001}, MaxWords=60, MinWords=25, MaxFragments=2, FragmentDelimiter=\" … \"') END AS text
FROM best JOIN chat_sessions s ON s.id = best.session_id
ORDER BY best.rank DESC, best.created_at DESC";

static RECALL_WORDS: LazyLock<String> =
    LazyLock::new(|| RECALL_TEMPLATE.replace("{query}", ANY_WORD));
static RECALL_WORDS_OR_PAIRS: LazyLock<String> =
    LazyLock::new(|| RECALL_TEMPLATE.replace("{query}", &format!("({ANY_WORD} || {ANY_PAIR})")));

/// The statement for a question whose CJK pairs are `pairs`.
fn statement(pairs: &str) -> &'static str {
    if pairs.is_empty() {
        &RECALL_WORDS
    } else {
        &RECALL_WORDS_OR_PAIRS
    }
}

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
    written_in(statement(&terms.pairs), &values)
}

pub async fn recall(
    conn: &mut AsyncPgConnection,
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
    // Planned for its words each time: a cached generic plan would work the query out
    // for every row it looks at (and PostgreSQL would send a notice each time for text
    // without CJK pairs), and could not tell a rare word from a common one.
    let rows: Vec<PassageRow> = Prepared::planned_each_time(statement(&terms.pairs), values)
        .load(conn)
        .await?;
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
