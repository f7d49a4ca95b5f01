//! Usage figures as rows per hour and model, added up by the domain ([`Usage::of_hours`]).
//! One event's are read from its messages. Across every event there are too many messages
//! to read on each call (a million take over a second), so settled hours are rolled up
//! once into `usage_hours` and only the rest is read from the messages: see the
//! `usage_rollups` migration for what settled means and how deletes mark hours to redo.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Bool, Bytea, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::{AnswerCounts, HourCounts, Usage, UsageHour, UsageQuery};
use uuid::Uuid;

use crate::error::DbError;
use crate::prepared::{Prepared, Value};
use crate::search::{literal, written_in};

/// At most this many hours are rolled up per call, so that the first call on a large
/// history stays well within the statement deadline; the hours left are read from the
/// messages until later calls roll them up.
const HOURS_PER_ROLL_UP: u32 = 72;

/// The advisory lock one roll-up holds at a time, so that each reads what the last wrote.
const ROLL_UP_LOCK: i64 = 0x5553_4147_4548_5253;
/// Takes [`ROLL_UP_LOCK`] (`$1`) for the transaction, if no other holds it.
const TRY_LOCK: &str = "SELECT pg_try_advisory_xact_lock($1) AS locked";

/// A row per hour and model of the messages `source` names `m`, kept by `filter`; the
/// answers' timings packed as big-endian int4s (an array would cost a length per value).
fn message_hours(source: &str, filter: &str) -> String {
    format!(
        "SELECT date_trunc('hour', m.created_at, 'UTC') AS hour, m.model, 0::bigint AS chats,
    count(*) FILTER (WHERE m.role = 'user') AS questions,
    count(*) FILTER (WHERE m.role = 'assistant' AND m.status = 'complete') AS complete,
    count(*) FILTER (WHERE m.role = 'assistant' AND m.status = 'interrupted') AS interrupted,
    count(*) FILTER (WHERE m.role = 'assistant' AND m.status = 'generating') AS generating,
    coalesce(sum(m.prompt_tokens), 0)::bigint AS prompt_tokens,
    coalesce(sum(m.completion_tokens), 0)::bigint AS completion_tokens,
    coalesce(string_agg(int4send(m.first_token_ms), ''::bytea), ''::bytea) AS first_token_ms,
    coalesce(string_agg(int4send(m.duration_ms), ''::bytea), ''::bytea) AS duration_ms
FROM {source} WHERE {filter} GROUP BY 1, 2"
    )
}

/// A row per hour of the chats started (as `s` of `source`, kept by `filter`).
fn session_hours(source: &str, filter: &str) -> String {
    format!(
        "SELECT date_trunc('hour', s.created_at, 'UTC'), NULL::text, count(*), 0::bigint,
    0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, ''::bytea, ''::bytea
FROM {source} WHERE {filter} GROUP BY 1"
    )
}

/// `column` from `$from` (a midnight) to before `$to` (the midnight after the last day);
/// open ends NULL.
fn within(column: &str, from: u8, to: u8) -> String {
    format!(
        "(${from}::timestamptz IS NULL OR {column} >= ${from}) \
         AND (${to}::timestamptz IS NULL OR {column} < ${to})"
    )
}

/// The rows of `table` (as `alias`) within the roll-up's windows (`windows w`).
fn in_windows(table: &str, alias: &str) -> String {
    format!(
        "windows w JOIN {table} {alias} \
         ON {alias}.created_at >= w.start AND {alias}.created_at < w.stop"
    )
}

/// The `columns` (of `t`) of `table`'s rows not rolled up, as `alias`: from `$4` on (all
/// when NULL) and within the dirty hours `$3`. Two ranges of the `created_at` index whose
/// bounds are values, so that the plan is made for them: a few hours read from the
/// messages, not the third of them a bound read in the same statement is guessed at.
fn not_rolled_up(table: &str, alias: &str, columns: &str) -> String {
    format!(
        "(SELECT {columns} FROM {table} t WHERE t.created_at >= coalesce($4::timestamptz, '-infinity')
 UNION ALL
 SELECT {columns} FROM unnest($3::timestamptz[]) AS d(hour)
 JOIN {table} t ON t.created_at >= d.hour AND t.created_at < d.hour + interval '1 hour') {alias}"
    )
}

/// One event's hours: `$1` the event, `$2`..`$3` the range.
static EVENT_HOURS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{}\nUNION ALL\n{}",
        message_hours(
            "chat_messages m",
            &format!("m.event_id = $1 AND {}", within("m.created_at", 2, 3))
        ),
        session_hours(
            "chat_sessions s",
            &format!("s.event_id = $1 AND {}", within("s.created_at", 2, 3))
        ),
    )
});

/// Every event's hours, `$1`..`$2` the range: the rolled-up hours before `$4` but the
/// dirty ones `$3`, and the rest from the messages.
static ALL_HOURS: LazyLock<String> = LazyLock::new(|| {
    let messages = not_rolled_up(
        "chat_messages",
        "m",
        "t.created_at, t.role, t.status, t.model, t.prompt_tokens, t.completion_tokens, \
         t.first_token_ms, t.duration_ms",
    );
    format!(
        "SELECT u.hour, u.model, u.chats, u.questions, u.complete, u.interrupted, u.generating,
    u.prompt_tokens, u.completion_tokens, u.first_token_ms, u.duration_ms
FROM usage_hours u
WHERE u.hour < $4 AND u.hour <> ALL ($3) AND {}
UNION ALL
{}
UNION ALL
{}",
        within("u.hour", 1, 2),
        message_hours(&messages, &within("m.created_at", 1, 2)),
        session_hours(
            &not_rolled_up("chat_sessions", "s", "t.created_at"),
            &within("s.created_at", 1, 2)
        ),
    )
});

/// Rolls up the dirty hours and the next settled ones, in one statement (one snapshot):
/// marks are removed only if this statement saw them, so a delete that commits meanwhile
/// leaves its mark for the next roll-up. An hour is settled once it ended over an hour ago
/// and no answer asked in it still generates (a reaped answer its owner finishes late is
/// the one change this does not see).
static ROLL_UP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH r AS (SELECT rolled_until AS since FROM usage_rollup),
b AS (
    SELECT r.since, least(
        date_trunc('hour', now() - interval '1 hour', 'UTC'),
        (SELECT date_trunc('hour', min(created_at), 'UTC') FROM chat_messages
         WHERE status = 'generating'),
        greatest(r.since, coalesce(least(
            (SELECT date_trunc('hour', min(created_at), 'UTC') FROM chat_messages),
            (SELECT date_trunc('hour', min(created_at), 'UTC') FROM chat_sessions)
        ), 'infinity')) + interval '{HOURS_PER_ROLL_UP} hours'
    ) AS upto
    FROM r
),
marked AS (SELECT d.id, d.hour FROM usage_dirty d, b WHERE d.hour < b.upto),
windows AS (SELECT DISTINCT marked.hour AS start, marked.hour + interval '1 hour' AS stop
      FROM marked, b WHERE marked.hour < b.since
      UNION ALL SELECT since, upto FROM b WHERE since < upto),
cleared AS (
    DELETE FROM usage_hours u USING windows w WHERE u.hour >= w.start AND u.hour < w.stop
),
rolled AS (
    INSERT INTO usage_hours (hour, model, chats, questions, complete, interrupted, generating,
        prompt_tokens, completion_tokens, first_token_ms, duration_ms)
    {}
    UNION ALL
    {}
),
unmarked AS (DELETE FROM usage_dirty WHERE id IN (SELECT id FROM marked)),
moved AS (UPDATE usage_rollup SET rolled_until = b.upto FROM b WHERE b.since < b.upto),
now_until AS (SELECT CASE WHEN since < upto THEN upto ELSE since END AS until FROM b)
SELECT nullif(n.until, '-infinity') AS rolled_until, array(
    SELECT DISTINCT d.hour FROM usage_dirty d
    WHERE d.hour < n.until AND d.id NOT IN (SELECT id FROM marked)) AS dirty
FROM now_until n",
        message_hours(&in_windows("chat_messages", "m"), "true"),
        session_hours(&in_windows("chat_sessions", "s"), "true"),
    )
});

#[derive(QueryableByName)]
struct HourRow {
    #[diesel(sql_type = Timestamptz)]
    hour: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    model: Option<String>,
    #[diesel(sql_type = BigInt)]
    chats: i64,
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
    #[diesel(sql_type = Bytea)]
    first_token_ms: Vec<u8>,
    #[diesel(sql_type = Bytea)]
    duration_ms: Vec<u8>,
}

/// A count as the domain holds it (the database never gives a negative one).
fn count(n: i64) -> u64 {
    n.unsigned_abs()
}

/// Timings packed by `int4send` (never negative: they are durations).
fn timings(packed: &[u8]) -> Vec<u32> {
    packed
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

impl From<HourRow> for UsageHour {
    fn from(row: HourRow) -> Self {
        let counts = HourCounts {
            chats: count(row.chats),
            questions: count(row.questions),
            answers: AnswerCounts {
                complete: count(row.complete),
                interrupted: count(row.interrupted),
                generating: count(row.generating),
            },
            prompt_tokens: count(row.prompt_tokens),
            completion_tokens: count(row.completion_tokens),
        };
        Self {
            start: row.hour,
            model: row.model,
            counts,
            first_token_ms: timings(&row.first_token_ms),
            duration_ms: timings(&row.duration_ms),
        }
    }
}

/// The midnights that bound the query's days: from its first, to after its last.
fn bounds(query: &UsageQuery) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let midnight = |day: NaiveDate| day.and_time(NaiveTime::MIN).and_utc();
    (
        query.from().map(midnight),
        query.to().and_then(|day| day.succ_opt()).map(midnight),
    )
}

/// The statements [`usage`] runs, values written in, for the benchmark's pgbench floor:
/// across every event, rolling up (nothing, once all that settled is rolled up) and reading
/// with `rolled_until` and `dirty` as [`USAGE_ROLLED`] gives them.
pub fn usage_statement(
    query: &UsageQuery,
    rolled_until: Option<DateTime<Utc>>,
    dirty: &[DateTime<Utc>],
) -> String {
    let time = |at: Option<DateTime<Utc>>| {
        at.map_or_else(|| "NULL".to_owned(), |t| literal(&t.to_rfc3339()))
    };
    let (from, to) = bounds(query);
    match query.event_id() {
        Some(event) => written_in(
            &EVENT_HOURS,
            &[literal(&event.to_string()), time(from), time(to)],
        ),
        None => {
            let dirty: Vec<String> = dirty.iter().map(|&hour| time(Some(hour))).collect();
            let dirty = format!("ARRAY[{}]::timestamptz[]", dirty.join(", "));
            let values = [time(from), time(to), dirty, time(rolled_until)];
            format!(
                "BEGIN;\n{};\n{};\nCOMMIT;\n{}",
                written_in(TRY_LOCK, &[ROLL_UP_LOCK.to_string()]),
                *ROLL_UP,
                written_in(&ALL_HOURS, &values)
            )
        }
    }
}

/// What is rolled up: every hour before `rolled_until` (none when `None`) but `dirty`.
#[derive(QueryableByName)]
struct Rolled {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    rolled_until: Option<DateTime<Utc>>,
    #[diesel(sql_type = Array<Timestamptz>)]
    dirty: Vec<DateTime<Utc>>,
}

/// What is rolled up, when another call is rolling up (or the benchmark asks).
pub const USAGE_ROLLED: &str = "
SELECT nullif(r.rolled_until, '-infinity') AS rolled_until, array(
    SELECT DISTINCT d.hour FROM usage_dirty d WHERE d.hour < r.rolled_until) AS dirty
FROM usage_rollup r";

/// Rolls up what settled since the last call (at most [`HOURS_PER_ROLL_UP`] hours), unless
/// another call is doing it; either way, what is rolled up now.
async fn roll_up(conn: &mut AsyncPgConnection) -> Result<Rolled, DbError> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    conn.transaction::<_, DbError, _>(async |conn| {
        let lock = Prepared::new(TRY_LOCK, vec![Value::BigInt(ROLL_UP_LOCK)]);
        let locked: Locked = lock.get_result(conn).await?;
        let statement = if locked.locked {
            &**ROLL_UP
        } else {
            USAGE_ROLLED
        };
        Ok(Prepared::new(statement, Vec::new())
            .get_result(conn)
            .await?)
    })
    .await
}

/// Marks the rolled-up hours an imported chat (`$1`) brought messages to, in the import's
/// transaction: deletes mark theirs by trigger, but a trigger on inserts would cost every
/// chat turn.
const MARK_IMPORTED: &str = "
INSERT INTO usage_dirty (hour)
SELECT DISTINCT date_trunc('hour', t.created_at, 'UTC')
FROM (SELECT created_at FROM chat_messages WHERE session_id = $1
      UNION ALL SELECT created_at FROM chat_sessions WHERE id = $1) t, usage_rollup r
WHERE t.created_at < r.rolled_until";

pub async fn mark_imported(conn: &mut AsyncPgConnection, session: Uuid) -> Result<(), DbError> {
    Prepared::new(MARK_IMPORTED, vec![Value::Uuid(session)])
        .execute(conn)
        .await?;
    Ok(())
}

/// One event's figures from its messages; every event's by rolling up what settled, then
/// reading with what is rolled up (a delete that commits between the two statements shows
/// from the next call on).
pub async fn usage(conn: &mut AsyncPgConnection, query: &UsageQuery) -> Result<Usage, DbError> {
    let (from, to) = bounds(query);
    let rows: Vec<HourRow> = match query.event_id() {
        Some(event) => {
            let values = vec![Value::Uuid(event), Value::OptTime(from), Value::OptTime(to)];
            Prepared::new(&**EVENT_HOURS, values).load(conn).await?
        }
        None => {
            let rolled = roll_up(conn).await?;
            let values = vec![
                Value::OptTime(from),
                Value::OptTime(to),
                Value::Times(&rolled.dirty),
                Value::OptTime(rolled.rolled_until),
            ];
            Prepared::planned_each_time(&**ALL_HOURS, values)
                .load(conn)
                .await?
        }
    };
    Ok(Usage::of_hours(
        query.bucket(),
        rows.into_iter().map(UsageHour::from).collect(),
    ))
}
