//! Row structs: the shape of each table as Diesel reads and writes it, and the mapping to
//! and from the domain's entities. They never leave this crate.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use domain::{
    ChatMessage, ChatSession, Event, EventFields, MessageStatus, NewWaypoint, Role, TokenUsage,
    Waypoint, WaypointFields, WaypointType,
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

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub struct EventRow {
    pub id: Uuid,
    pub name: String,
    pub planned_date: Option<DateTime<Utc>>,
    pub distance: Option<f64>,
    pub target_duration_minutes: Option<i32>,
    pub elevation_gain_adjustment_percent: Option<f64>,
    pub elevation_descent_adjustment_percent: Option<f64>,
    pub fatigue_slowdown_percent: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Event> for EventRow {
    fn from(event: &Event) -> Self {
        let f = &event.fields;
        Self {
            id: event.id,
            name: f.name.clone(),
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

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = waypoints, check_for_backend(diesel::pg::Pg))]
pub struct WaypointRow {
    pub id: Uuid,
    pub event_id: Uuid,
    pub name: String,
    pub waypoint_type: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub elevation: Option<f64>,
    pub stop_time_minutes: Option<i32>,
    pub comments: Option<String>,
    pub order_index: i32,
    pub distance_from_start: Option<f64>,
    pub created_at: DateTime<Utc>,
}

/// The columns a waypoint update may change: never its event or creation time.
#[derive(AsChangeset)]
#[diesel(table_name = waypoints, treat_none_as_null = true)]
pub struct WaypointChanges<'a> {
    pub name: &'a str,
    pub waypoint_type: &'a str,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub elevation: Option<f64>,
    pub stop_time_minutes: Option<i32>,
    pub comments: Option<&'a str>,
    pub order_index: i32,
    pub distance_from_start: Option<f64>,
}

impl<'a> From<&'a WaypointFields> for WaypointChanges<'a> {
    fn from(f: &'a WaypointFields) -> Self {
        Self {
            name: &f.name,
            waypoint_type: f.waypoint_type.as_str(),
            latitude: f.latitude,
            longitude: f.longitude,
            elevation: f.elevation,
            stop_time_minutes: f.stop_time_minutes,
            comments: f.comments.as_deref(),
            order_index: f.order_index,
            distance_from_start: f.distance_from_start,
        }
    }
}

impl WaypointRow {
    pub fn new(id: Uuid, w: &NewWaypoint, order_index: i32, created_at: DateTime<Utc>) -> Self {
        Self {
            id,
            event_id: w.event_id,
            name: w.name.clone(),
            waypoint_type: w.waypoint_type.as_str().to_owned(),
            latitude: w.latitude,
            longitude: w.longitude,
            elevation: w.elevation,
            stop_time_minutes: w.stop_time_minutes,
            comments: w.comments.clone(),
            order_index,
            distance_from_start: w.distance_from_start,
            created_at,
        }
    }
}

impl TryFrom<WaypointRow> for Waypoint {
    type Error = UnknownValue;

    fn try_from(row: WaypointRow) -> Result<Self, UnknownValue> {
        let waypoint_type = WaypointType::parse(&row.waypoint_type).ok_or(UnknownValue {
            column: "waypoints.waypoint_type",
            value: row.waypoint_type,
        })?;
        Ok(Self {
            id: row.id,
            event_id: row.event_id,
            fields: WaypointFields {
                name: row.name,
                waypoint_type,
                latitude: row.latitude,
                longitude: row.longitude,
                elevation: row.elevation,
                stop_time_minutes: row.stop_time_minutes,
                comments: row.comments,
                order_index: row.order_index,
                distance_from_start: row.distance_from_start,
            },
            created_at: row.created_at,
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = chat_sessions, check_for_backend(diesel::pg::Pg))]
pub struct SessionRow {
    pub id: Uuid,
    pub event_id: Option<Uuid>,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&ChatSession> for SessionRow {
    fn from(s: &ChatSession) -> Self {
        Self {
            id: s.id,
            event_id: s.event_id,
            title: s.title.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

impl From<SessionRow> for ChatSession {
    fn from(r: SessionRow) -> Self {
        Self {
            id: r.id,
            event_id: r.event_id,
            title: r.title,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `seq` is left to the database: it is the insertion order that breaks timestamp ties.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = chat_messages, check_for_backend(diesel::pg::Pg))]
pub struct MessageRow {
    pub id: Uuid,
    pub session_id: Uuid,
    pub role: String,
    pub content: String,
    pub sources: Option<serde_json::Value>,
    pub status: String,
    pub status_reason: Option<String>,
    pub finish_reason: Option<String>,
    pub model: Option<String>,
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub total_tokens: Option<i32>,
    pub created_at: DateTime<Utc>,
}

impl From<&ChatMessage> for MessageRow {
    fn from(m: &ChatMessage) -> Self {
        Self {
            id: m.id,
            session_id: m.session_id,
            role: m.role.as_str().to_owned(),
            content: m.content.clone(),
            sources: m.sources.clone(),
            status: m.status.as_str().to_owned(),
            status_reason: m.status.reason().map(str::to_owned),
            finish_reason: m.finish_reason.clone(),
            model: m.model.clone(),
            prompt_tokens: m.usage.and_then(|u| u.prompt_tokens),
            completion_tokens: m.usage.and_then(|u| u.completion_tokens),
            total_tokens: m.usage.and_then(|u| u.total_tokens),
            created_at: m.created_at,
        }
    }
}

/// What finishing an answer writes: everything but its identity, role and creation time.
#[derive(AsChangeset)]
#[diesel(table_name = chat_messages, treat_none_as_null = true)]
pub struct AnswerChanges<'a> {
    pub content: &'a str,
    pub sources: Option<&'a serde_json::Value>,
    pub status: &'a str,
    pub status_reason: Option<&'a str>,
    pub finish_reason: Option<&'a str>,
    pub model: Option<&'a str>,
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub total_tokens: Option<i32>,
}

impl<'a> From<&'a MessageRow> for AnswerChanges<'a> {
    fn from(row: &'a MessageRow) -> Self {
        Self {
            content: &row.content,
            sources: row.sources.as_ref(),
            status: &row.status,
            status_reason: row.status_reason.as_deref(),
            finish_reason: row.finish_reason.as_deref(),
            model: row.model.as_deref(),
            prompt_tokens: row.prompt_tokens,
            completion_tokens: row.completion_tokens,
            total_tokens: row.total_tokens,
        }
    }
}

impl TryFrom<MessageRow> for ChatMessage {
    type Error = UnknownValue;

    fn try_from(r: MessageRow) -> Result<Self, UnknownValue> {
        let role = match r.role.as_str() {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            _ => {
                return Err(UnknownValue {
                    column: "chat_messages.role",
                    value: r.role,
                });
            }
        };
        let status = match (r.status.as_str(), r.status_reason) {
            ("complete", _) => MessageStatus::Complete,
            ("generating", _) => MessageStatus::Generating,
            ("interrupted", reason) => MessageStatus::Interrupted {
                reason: reason.unwrap_or_default(),
            },
            _ => {
                return Err(UnknownValue {
                    column: "chat_messages.status",
                    value: r.status,
                });
            }
        };
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
            finish_reason: r.finish_reason,
            model: r.model,
            usage,
            created_at: r.created_at,
        })
    }
}
