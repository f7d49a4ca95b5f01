//! Row structs: the shape of each table as Diesel reads and writes it (one struct per table,
//! its column list written once and used to select, insert and update), and the mapping to
//! and from the domain's entities. They never leave this crate.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::{
    AnswerTiming, ChatMessage, ChatSession, CompletionNote, Event, EventFields, Interruption,
    MessageStatus, NewWaypoint, Role, TokenUsage, Waypoint, WaypointFields, WaypointType,
};
use uuid::Uuid;

use crate::schema::{chat_messages, chat_sessions, events, waypoints};

/// A stored value this code does not know: only possible if the database was written by
/// something else, and then worth a loud error rather than a guess.
#[derive(Debug, thiserror::Error)]
#[error("column {column} holds an unknown value {value:?}")]
pub struct UnknownValue {
    column: &'static str,
    value: String,
}

impl UnknownValue {
    fn new(column: &'static str, value: impl Into<String>) -> Self {
        Self {
            column,
            value: value.into(),
        }
    }
}

/// As a changeset it writes every column but the key: an update stores the whole event it
/// was given, whose creation time is the stored one.
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub struct EventRow {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) planned_date: Option<DateTime<Utc>>,
    pub(crate) distance: Option<f64>,
    pub(crate) target_duration_minutes: Option<i32>,
    pub(crate) elevation_gain_adjustment_percent: Option<f64>,
    pub(crate) elevation_descent_adjustment_percent: Option<f64>,
    pub(crate) fatigue_slowdown_percent: Option<f64>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl From<&Event> for EventRow {
    fn from(event: &Event) -> Self {
        let f = event.fields.clone();
        Self {
            id: event.id,
            name: f.name,
            planned_date: f.planned_date,
            distance: f.distance,
            target_duration_minutes: f.target_duration_minutes,
            elevation_gain_adjustment_percent: f.elevation_gain_adjustment_percent,
            elevation_descent_adjustment_percent: f.elevation_descent_adjustment_percent,
            fatigue_slowdown_percent: f.fatigue_slowdown_percent,
            created_at: event.created_at,
            updated_at: event.updated_at,
        }
    }
}

impl From<EventRow> for Event {
    fn from(row: EventRow) -> Self {
        Self {
            id: row.id,
            fields: EventFields {
                name: row.name,
                planned_date: row.planned_date,
                distance: row.distance,
                target_duration_minutes: row.target_duration_minutes,
                elevation_gain_adjustment_percent: row.elevation_gain_adjustment_percent,
                elevation_descent_adjustment_percent: row.elevation_descent_adjustment_percent,
                fatigue_slowdown_percent: row.fatigue_slowdown_percent,
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// As a changeset: see [`EventRow`]; an update never moves a waypoint to another event, as
/// the domain hands back the stored one.
#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = waypoints, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub struct WaypointRow {
    pub(crate) id: Uuid,
    pub(crate) event_id: Uuid,
    pub(crate) name: String,
    pub(crate) waypoint_type: String,
    pub(crate) latitude: Option<f64>,
    pub(crate) longitude: Option<f64>,
    pub(crate) elevation: Option<f64>,
    pub(crate) stop_time_minutes: Option<i32>,
    pub(crate) comments: Option<String>,
    pub(crate) order_index: i32,
    pub(crate) distance_from_start: Option<f64>,
    pub(crate) created_at: DateTime<Utc>,
}

impl WaypointRow {
    pub fn new(id: Uuid, new: &NewWaypoint, order_index: i32, created_at: DateTime<Utc>) -> Self {
        Self::from(&Waypoint {
            id,
            event_id: new.event_id,
            order_index,
            fields: new.fields.clone(),
            created_at,
        })
    }
}

impl From<&Waypoint> for WaypointRow {
    fn from(w: &Waypoint) -> Self {
        let f = w.fields.clone();
        Self {
            id: w.id,
            event_id: w.event_id,
            name: f.name,
            waypoint_type: f.waypoint_type.as_str().to_owned(),
            latitude: f.latitude,
            longitude: f.longitude,
            elevation: f.elevation,
            stop_time_minutes: f.stop_time_minutes,
            comments: f.comments,
            order_index: w.order_index,
            distance_from_start: f.distance_from_start,
            created_at: w.created_at,
        }
    }
}

impl TryFrom<WaypointRow> for Waypoint {
    type Error = UnknownValue;

    fn try_from(row: WaypointRow) -> Result<Self, UnknownValue> {
        let waypoint_type = WaypointType::parse(&row.waypoint_type)
            .ok_or_else(|| UnknownValue::new("waypoints.waypoint_type", row.waypoint_type))?;
        Ok(Self {
            id: row.id,
            event_id: row.event_id,
            order_index: row.order_index,
            fields: WaypointFields {
                name: row.name,
                waypoint_type,
                latitude: row.latitude,
                longitude: row.longitude,
                elevation: row.elevation,
                stop_time_minutes: row.stop_time_minutes,
                comments: row.comments,
                distance_from_start: row.distance_from_start,
            },
            created_at: row.created_at,
        })
    }
}

#[derive(Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = chat_sessions, check_for_backend(diesel::pg::Pg))]
pub struct SessionRow {
    pub(crate) id: Uuid,
    pub(crate) event_id: Option<Uuid>,
    pub(crate) title: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) pinned: bool,
    pub(crate) tags: Vec<String>,
}

impl From<&ChatSession> for SessionRow {
    fn from(s: &ChatSession) -> Self {
        Self {
            id: s.id,
            event_id: s.event_id,
            title: s.title.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            pinned: s.pinned,
            tags: s.tags.clone(),
        }
    }
}

impl From<SessionRow> for ChatSession {
    fn from(r: SessionRow) -> Self {
        Self {
            id: r.id,
            event_id: r.event_id,
            title: r.title,
            pinned: r.pinned,
            tags: r.tags,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `seq` is left to the database: it is the insertion order that breaks timestamp ties. As
/// JSON it is a message in a share's copy.
#[derive(Queryable, Selectable, Insertable, serde::Deserialize)]
#[diesel(table_name = chat_messages, check_for_backend(diesel::pg::Pg))]
pub struct MessageRow {
    pub(crate) id: Uuid,
    pub(crate) session_id: Uuid,
    pub(crate) role: String,
    pub(crate) content: String,
    pub(crate) sources: Option<serde_json::Value>,
    pub(crate) status: String,
    pub(crate) status_code: Option<String>,
    pub(crate) note: Option<String>,
    pub(crate) finish_reason: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) prompt_tokens: Option<i32>,
    pub(crate) completion_tokens: Option<i32>,
    pub(crate) total_tokens: Option<i32>,
    /// Milliseconds from asking the model to its first piece of text, and to the answer's end.
    #[serde(default)]
    pub(crate) first_token_ms: Option<i32>,
    #[serde(default)]
    pub(crate) duration_ms: Option<i32>,
    pub(crate) created_at: DateTime<Utc>,
    /// The instance writing an answer; set when the answer's row is inserted, and never
    /// changed by finishing it.
    pub(crate) owner_id: Option<Uuid>,
    /// The session's event, kept with each message for search; set when the row is
    /// inserted (a chat never changes event).
    pub(crate) event_id: Option<Uuid>,
}

/// A message as a prompt uses it: what it says, who said it and whether it is done. An
/// answer that recalled earlier chats carries them as its sources (up to a few KiB of JSON
/// each), which a continued chat's history would otherwise read and parse on every turn.
#[derive(Queryable, Selectable)]
#[diesel(table_name = chat_messages, check_for_backend(diesel::pg::Pg))]
pub struct PromptMessageRow {
    id: Uuid,
    session_id: Uuid,
    role: String,
    content: String,
    status: String,
    status_code: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<PromptMessageRow> for MessageRow {
    fn from(r: PromptMessageRow) -> Self {
        Self {
            id: r.id,
            session_id: r.session_id,
            role: r.role,
            content: r.content,
            sources: None,
            status: r.status,
            status_code: r.status_code,
            note: None,
            finish_reason: None,
            model: None,
            prompt_tokens: None,
            completion_tokens: None,
            total_tokens: None,
            first_token_ms: None,
            duration_ms: None,
            created_at: r.created_at,
            owner_id: None,
            event_id: None,
        }
    }
}

impl From<&ChatMessage> for MessageRow {
    fn from(m: &ChatMessage) -> Self {
        Self {
            sources: m.sources.clone(),
            ..Self::without_sources(m)
        }
    }
}

impl MessageRow {
    /// The row of `m` but its sources: what an answer's final write stores (the sources
    /// were written with the question), without copying what it would not send.
    pub(crate) fn without_sources(m: &ChatMessage) -> Self {
        let why = m.status.interruption();
        Self {
            id: m.id,
            session_id: m.session_id,
            role: m.role.as_str().to_owned(),
            content: m.content.clone(),
            sources: None,
            status: m.status.as_str().to_owned(),
            status_code: why.map(|why| why.code().to_owned()),
            note: m.note.map(|note| note.code().to_owned()),
            finish_reason: m.finish_reason.clone(),
            model: m.model.clone(),
            prompt_tokens: m.usage.and_then(|u| u.prompt_tokens),
            completion_tokens: m.usage.and_then(|u| u.completion_tokens),
            total_tokens: m.usage.and_then(|u| u.total_tokens),
            first_token_ms: m.timing.and_then(|t| t.first_text_ms).map(clamp_ms),
            duration_ms: m.timing.map(|t| clamp_ms(t.total_ms)),
            created_at: m.created_at,
            owner_id: None,
            event_id: None,
        }
    }
}

/// Milliseconds as a column holds them (an answer of 24 days and more is stored as that).
fn clamp_ms(ms: u32) -> i32 {
    i32::try_from(ms).unwrap_or(i32::MAX)
}

/// A stored `chat_messages.role`.
pub fn role(stored: String) -> Result<Role, UnknownValue> {
    match stored.as_str() {
        "user" => Ok(Role::User),
        "assistant" => Ok(Role::Assistant),
        _ => Err(UnknownValue::new("chat_messages.role", stored)),
    }
}

impl TryFrom<MessageRow> for ChatMessage {
    type Error = UnknownValue;

    fn try_from(r: MessageRow) -> Result<Self, UnknownValue> {
        let role = role(r.role)?;
        let status = match r.status.as_str() {
            "complete" => MessageStatus::Complete,
            "generating" => MessageStatus::Generating,
            "interrupted" => {
                let code = r.status_code.unwrap_or_default();
                MessageStatus::Interrupted(
                    Interruption::from_code(&code)
                        .ok_or_else(|| UnknownValue::new("chat_messages.status_code", code))?,
                )
            }
            _ => return Err(UnknownValue::new("chat_messages.status", r.status)),
        };
        let note = r
            .note
            .map(|code| {
                CompletionNote::from_code(&code)
                    .ok_or_else(|| UnknownValue::new("chat_messages.note", code))
            })
            .transpose()?;
        let usage = (r.prompt_tokens.is_some()
            || r.completion_tokens.is_some()
            || r.total_tokens.is_some())
        .then_some(TokenUsage {
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            total_tokens: r.total_tokens,
        });
        Ok(Self {
            id: r.id,
            session_id: r.session_id,
            role,
            content: r.content,
            sources: r.sources,
            status,
            note,
            finish_reason: r.finish_reason,
            model: r.model,
            usage,
            timing: r.duration_ms.map(|total| AnswerTiming {
                first_text_ms: r.first_token_ms.map(i32::unsigned_abs),
                total_ms: total.unsigned_abs(),
            }),
            created_at: r.created_at,
        })
    }
}

/// The id of each row a statement written in SQL returns.
#[derive(QueryableByName)]
pub struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
}
