//! Usage figures in one statement: the messages of the range read once, grouped three ways
//! at the same time (per bucket for the series, per model for tokens, all for the totals).

use chrono::{NaiveDate, NaiveTime};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Date, Double, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{AnswerCounts, Medians, ModelTokens, Usage, UsagePoint, UsageQuery, UsageTotals};

use crate::error::DbError;
use crate::prepared::{Prepared, Value};
use crate::search::{literal, written_in};

/// `$1` the event (every chat when NULL), `$2`..`$3` the range (open ends NULL, the end
/// excluded), `$4` the bucket (`day` or `week`, cut in UTC).
const USAGE_SQL: &str = "
WITH m AS (
    SELECT m.role, m.status, m.model, m.prompt_tokens, m.completion_tokens, m.first_token_ms,
           m.duration_ms, date_trunc($4, m.created_at, 'UTC')::date AS bucket
    FROM chat_messages m
    WHERE ($1::uuid IS NULL OR m.event_id = $1)
      AND ($2::timestamptz IS NULL OR m.created_at >= $2)
      AND ($3::timestamptz IS NULL OR m.created_at < $3)
)
SELECT GROUPING(m.bucket) = 0 AS is_point, GROUPING(m.model) = 0 AS is_model, m.bucket, m.model,
    count(*) FILTER (WHERE m.role = 'user') AS questions,
    count(*) FILTER (WHERE m.role = 'assistant' AND m.status = 'complete') AS complete,
    count(*) FILTER (WHERE m.role = 'assistant' AND m.status = 'interrupted') AS interrupted,
    count(*) FILTER (WHERE m.role = 'assistant' AND m.status = 'generating') AS generating,
    coalesce(sum(m.prompt_tokens), 0)::bigint AS prompt_tokens,
    coalesce(sum(m.completion_tokens), 0)::bigint AS completion_tokens,
    CASE WHEN GROUPING(m.bucket, m.model) = 3 THEN
        percentile_cont(0.5) WITHIN GROUP (ORDER BY m.first_token_ms) END AS median_first_token_ms,
    CASE WHEN GROUPING(m.bucket, m.model) = 3 THEN
        percentile_cont(0.5) WITHIN GROUP (ORDER BY m.duration_ms) END AS median_duration_ms,
    CASE WHEN GROUPING(m.bucket, m.model) = 3 THEN (
        SELECT count(*) FROM chat_sessions s
        WHERE ($1::uuid IS NULL OR s.event_id = $1)
          AND ($2::timestamptz IS NULL OR s.created_at >= $2)
          AND ($3::timestamptz IS NULL OR s.created_at < $3)) END AS chats
FROM m
GROUP BY GROUPING SETS ((m.bucket), (m.model), ())";

#[derive(QueryableByName)]
struct UsageRow {
    #[diesel(sql_type = Bool)]
    is_point: bool,
    #[diesel(sql_type = Bool)]
    is_model: bool,
    #[diesel(sql_type = Nullable<Date>)]
    bucket: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    model: Option<String>,
    #[diesel(sql_type = BigInt)]
    questions: i64,
    #[diesel(sql_type = BigInt)]
    complete: i64,
    #[diesel(sql_type = BigInt)]
    interrupted: i64,
    #[diesel(sql_type = BigInt)]
    generating: i64,
    #[diesel(sql_type = BigInt)]
    prompt_tokens: i64,
    #[diesel(sql_type = BigInt)]
    completion_tokens: i64,
    #[diesel(sql_type = Nullable<Double>)]
    median_first_token_ms: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    median_duration_ms: Option<f64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    chats: Option<i64>,
}

/// A count as the domain holds it (the database never gives a negative one).
fn count(n: i64) -> u64 {
    n.unsigned_abs()
}

/// The statement [`usage`] issues, its values written in: what the benchmark's pgbench
/// floor runs.
pub fn usage_statement(query: &UsageQuery) -> String {
    let day =
        |day: Option<NaiveDate>| day.map_or_else(|| "NULL".to_owned(), |d| literal(&d.to_string()));
    let values = [
        query
            .event_id()
            .map_or_else(|| "NULL".to_owned(), |id| literal(&id.to_string())),
        day(query.from()),
        day(query.to().and_then(|d| d.succ_opt())),
        literal(query.bucket().as_str()),
    ];
    written_in(USAGE_SQL, &values)
}

pub async fn usage(conn: &mut AsyncPgConnection, query: &UsageQuery) -> Result<Usage, DbError> {
    let midnight = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
    let values = vec![
        Value::OptUuid(query.event_id()),
        Value::OptTime(query.from().map(midnight)),
        Value::OptTime(query.to().and_then(|day| day.succ_opt()).map(midnight)),
        Value::Text(query.bucket().as_str()),
    ];
    let rows: Vec<UsageRow> = Prepared::new(USAGE_SQL, values).load(conn).await?;
    let mut usage = Usage::default();
    for row in rows {
        let answers = AnswerCounts {
            complete: count(row.complete),
            interrupted: count(row.interrupted),
            generating: count(row.generating),
        };
        let answered = answers.complete + answers.interrupted + answers.generating;
        match (row.is_point, row.is_model, row.bucket) {
            (true, _, Some(start)) => usage.series.push(UsagePoint {
                start,
                questions: count(row.questions),
                answers: answered,
                interrupted: answers.interrupted,
                prompt_tokens: count(row.prompt_tokens),
                completion_tokens: count(row.completion_tokens),
            }),
            (_, true, _) if answered > 0 => usage.totals.tokens.push(ModelTokens {
                model: row.model,
                answers: answered,
                prompt_tokens: count(row.prompt_tokens),
                completion_tokens: count(row.completion_tokens),
            }),
            (false, false, _) => {
                usage.totals = UsageTotals {
                    chats: count(row.chats.unwrap_or(0)),
                    questions: count(row.questions),
                    answers,
                    tokens: std::mem::take(&mut usage.totals.tokens),
                    medians: Medians {
                        first_token_ms: row.median_first_token_ms,
                        duration_ms: row.median_duration_ms,
                    },
                };
            }
            _ => {}
        }
    }
    usage.totals.tokens.sort_by(|a, b| {
        (b.prompt_tokens + b.completion_tokens)
            .cmp(&(a.prompt_tokens + a.completion_tokens))
            .then_with(|| a.model.cmp(&b.model))
    });
    Ok(usage)
}
