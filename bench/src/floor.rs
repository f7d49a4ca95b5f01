//! The floor: pgbench running, on the same cluster and at the same client counts, the SQL
//! statements that one request of each kind issues. An app row at 100 % of its floor would
//! cost nothing beyond its database work.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::env::Database;

#[derive(Debug, Clone, Serialize)]
pub struct FloorResult {
    pub tps: f64,
    pub latency_avg_ms: f64,
}

/// The statements of `GET /api/chat/sessions?event_id=`.
pub const LIST: &str = "SELECT id, event_id, title, created_at, updated_at, pinned, tags FROM chat_sessions \
WHERE event_id = :event ORDER BY pinned DESC, updated_at DESC, id DESC;\n";

/// A session's row: the first of the two statements the app pipelines on one connection to
/// read a session with its messages (`:session`).
const SESSION_ROW: &str = "SELECT s.id, s.event_id, s.title, s.created_at, s.updated_at, s.pinned, s.tags \
FROM chat_sessions s WHERE s.id = :session LIMIT 1;\n";

/// The statements of `GET /api/chat/sessions/{id}`: the session, and its messages.
pub fn get() -> String {
    format!(
        "\\startpipeline\n{SESSION_ROW}SELECT m.id, m.session_id, m.role, m.content, m.sources, m.status, \
m.status_code, m.note, m.finish_reason, m.model, m.prompt_tokens, m.completion_tokens, m.total_tokens, m.created_at, \
m.owner_id FROM chat_messages m WHERE m.session_id = :session ORDER BY m.created_at, m.seq;\n\\endpipeline\n"
    )
}

/// The event and its waypoints, and with `also` (the recall) pipelined after them: what the
/// app sends on one connection in one round trip.
fn event_and_waypoints(also: &str) -> String {
    format!(
        "\\startpipeline
SELECT e.id, e.name, e.planned_date, e.distance, e.target_duration_minutes, \
e.elevation_gain_adjustment_percent, e.elevation_descent_adjustment_percent, e.fatigue_slowdown_percent, e.created_at, \
e.updated_at FROM events e WHERE e.id = :event LIMIT 1;
SELECT w.id, w.event_id, w.name, w.waypoint_type, w.latitude, w.longitude, w.elevation, w.stop_time_minutes, \
w.comments, w.order_index, w.distance_from_start, w.created_at FROM waypoints w WHERE w.event_id = :event \
ORDER BY w.order_index, w.created_at, w.id;
{also}\\endpipeline
"
    )
}

/// Finishing the answer's row (written as `generating` with the question), fenced by its
/// owner, with the session's `updated_at` bump, in one statement. `:answer` is the text the
/// bench's model answers (the search vector is made of it).
const ANSWER: &str = "WITH session AS (UPDATE chat_sessions SET updated_at = GREATEST(updated_at, now()) \
WHERE id = md5(:r || 's')::uuid RETURNING id, event_id, title, created_at, updated_at, pinned, tags), \
finished AS (UPDATE chat_messages m SET content = :answer, status = 'complete', status_code = NULL, \
note = NULL, finish_reason = 'stop', model = 'fake-gpt', prompt_tokens = 42, completion_tokens = 20, total_tokens = 62 \
FROM session WHERE m.id = md5(:r || 'a')::uuid AND m.session_id = session.id \
AND m.owner_id = '00000000-0000-0000-0000-00000000000a' AND (m.status = 'generating' OR m.status_code = 'process_died') \
RETURNING m.id) SELECT session.*, EXISTS (SELECT 1 FROM finished) AS finished FROM session;\n";

/// The question and the empty `generating` row of its answer, owned, with the event of the
/// statement's `session`, in their order.
const QUESTION_AND_ANSWER_ROWS: &str = "INSERT INTO chat_messages (id, session_id, role, content, sources, status, \
status_code, note, finish_reason, model, prompt_tokens, completion_tokens, total_tokens, created_at, owner_id, event_id) \
SELECT v.id, v.session_id, v.role, v.content, v.sources, v.status, v.status_code, v.note, v.finish_reason, v.model, \
v.prompt_tokens, v.completion_tokens, v.total_tokens, v.created_at, v.owner_id, session.event_id \
FROM session CROSS JOIN (VALUES \
(md5(:r || 'u')::uuid, md5(:r || 's')::uuid, 'user', 'How should I pace the first 30 miles?', NULL::jsonb, 'complete', \
NULL::text, NULL::text, NULL::text, NULL::text, NULL::int, NULL::int, NULL::int, now(), NULL::uuid, 0), \
(md5(:r || 'a')::uuid, md5(:r || 's')::uuid, 'assistant', '', NULL, 'generating', \
NULL, NULL, NULL, NULL, NULL, NULL, NULL, now(), '00000000-0000-0000-0000-00000000000a'::uuid, 1)) \
AS v(id, session_id, role, content, sources, status, status_code, note, finish_reason, model, prompt_tokens, \
completion_tokens, total_tokens, created_at, owner_id, ord) ORDER BY v.ord";

/// What the event's other chats said about `question`: the memory's statement, as the app
/// plans it for its words, on the bench's event (`:event`).
fn recall(question: &str) -> String {
    let statement = store_postgres::recall_statement(&domain::Recall {
        event_id: Default::default(),
        exclude_session: None,
        question,
        limit: 12,
    });
    format!(
        "{};\n",
        statement.replace("'00000000-0000-0000-0000-000000000000'", ":event")
    )
}

/// A new chat: the event and its waypoints for the prompt with what the event's other chats
/// said (one round trip), the session with its question and answer row in one statement,
/// then the finished answer with the session's `updated_at` in another.
pub fn new_chat() -> String {
    format!(
        "\\set r random(1, 9000000000000000)
{}WITH session AS (INSERT INTO chat_sessions (id, event_id, title, created_at, updated_at, \
pinned, tags) VALUES (md5(:r || 's')::uuid, :event, 'How should I pace the first 30 miles?', now(), now(), false, '{{}}') \
RETURNING id, event_id, title, created_at, updated_at, pinned, tags) {QUESTION_AND_ANSWER_ROWS};
{ANSWER}",
        event_and_waypoints(&recall("How should I pace the first 30 miles?"))
    )
}

/// The statements of a continued chat's history, pipelined: the session, and only its newest
/// messages that fit the prompt's budget (48,000 characters by default), as much of each as a
/// prompt uses.
fn recent_history() -> String {
    format!(
        "\\startpipeline\n{SESSION_ROW}SELECT m.id, m.session_id, m.role, m.content, m.status, m.status_code, \
m.created_at FROM chat_messages m WHERE m.session_id = :session AND (m.created_at, m.seq) >= (SELECT created_at, seq \
FROM (SELECT created_at, seq, sum(char_length(content)) OVER (ORDER BY created_at DESC, seq DESC) AS from_here \
FROM chat_messages WHERE session_id = :session) newest WHERE from_here <= 48000 \
ORDER BY from_here DESC, created_at, seq LIMIT 1) ORDER BY m.created_at, m.seq;\n\\endpipeline\n"
    )
}

/// A continued chat: the session with its recent history, the event and waypoints, then the
/// question with its answer row, and the finished answer, each with the `updated_at` bump.
/// Each client has its own session.
pub fn continued_chat() -> String {
    let session = "md5('continued' || :client_id)::uuid";
    format!(
        "\\set r random(1, 9000000000000000)
{}{}WITH session AS (UPDATE chat_sessions SET updated_at = GREATEST(updated_at, now()) \
WHERE id = {session} RETURNING id, event_id, title, created_at, updated_at, pinned, tags), added AS ({}) \
SELECT id, event_id, title, created_at, updated_at, pinned, tags FROM session;
{}",
        recent_history().replace(":session", session),
        event_and_waypoints(&recall("And what about nutrition?")),
        QUESTION_AND_ANSWER_ROWS.replace("md5(:r || 's')::uuid", session),
        ANSWER.replace("md5(:r || 's')::uuid", session)
    )
}

/// Sessions for the continued-chat floor, one per pgbench client.
pub fn seed_continued(db: &Database, event: &str, clients: usize) -> anyhow::Result<()> {
    db.psql(&format!(
        "INSERT INTO chat_sessions (id, event_id, title, created_at, updated_at) \
         SELECT md5('continued' || i)::uuid, '{event}', 'Continued', now(), now() FROM generate_series(0, {clients}) AS i \
         ON CONFLICT DO NOTHING"
    ))?;
    Ok(())
}

pub fn run(
    db: &Database,
    script: &str,
    clients: usize,
    duration: Duration,
    vars: &[(&str, &str)],
) -> anyhow::Result<FloorResult> {
    let file = tempfile::Builder::new().suffix(".sql").tempfile()?;
    std::fs::write(file.path(), script)?;
    let mut command = Command::new(db.program("pgbench"));
    command.args(["-h", &db.host(), "-U", "postgres", "-n", "-M", "prepared"]);
    // As the app's connections: no JIT, which compiles for the planner's guess of the rows.
    command.env("PGOPTIONS", "-c jit=off");
    command.args([
        "-c",
        &clients.to_string(),
        "-j",
        &clients.min(4).to_string(),
    ]);
    command.args(["-T", &duration.as_secs().max(1).to_string()]);
    for (name, value) in vars {
        command.args(["-D", &format!("{name}={value}")]);
    }
    command.arg("-f").arg(file.path()).arg(&db.name);
    let output = command.output().context("running pgbench")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {}{}",
            String::from_utf8_lossy(&output.stderr),
            text
        );
    }
    let number = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
    };
    Ok(FloorResult {
        tps: number("tps = ").context("no tps in pgbench output")?,
        latency_avg_ms: number("latency average = ").unwrap_or_default(),
    })
}
