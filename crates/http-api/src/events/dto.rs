use chrono::{DateTime, Utc};
use domain::{Event, EventFields, EventPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::openapi::{name_schema, optional_datetime_schema, optional_name_schema};
use crate::serde_util::{WholeNumber, double_option, double_option_datetime, optional_datetime};

/// The original planner's event JSON. `distance` is a number or null, never a string: its
/// frontend calls `.toFixed` on it.
#[derive(Serialize, ToSchema)]
#[schema(as = Event)]
pub struct EventDto {
    pub id: Uuid,
    pub name: String,
    #[serde(serialize_with = "crate::timestamp::serialize_option")]
    pub planned_date: Option<DateTime<Utc>>,
    pub distance: Option<f64>,
    pub target_duration_minutes: Option<i32>,
    pub elevation_gain_adjustment_percent: Option<f64>,
    pub elevation_descent_adjustment_percent: Option<f64>,
    pub fatigue_slowdown_percent: Option<f64>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<Event> for EventDto {
    fn from(e: Event) -> Self {
        let f = e.fields;
        Self {
            id: e.id,
            name: f.name,
            planned_date: f.planned_date,
            distance: f.distance,
            target_duration_minutes: f.target_duration_minutes,
            elevation_gain_adjustment_percent: f.elevation_gain_adjustment_percent,
            elevation_descent_adjustment_percent: f.elevation_descent_adjustment_percent,
            fatigue_slowdown_percent: f.fatigue_slowdown_percent,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[schema(as = NewEvent)]
pub struct CreateEventRequest {
    #[schema(schema_with = name_schema)]
    pub name: String,
    /// RFC 3339, or an ISO date-time without offset taken as UTC; "" is none.
    #[serde(default, deserialize_with = "optional_datetime")]
    #[schema(schema_with = optional_datetime_schema)]
    pub planned_date: Option<DateTime<Utc>>,
    /// Miles.
    #[schema(minimum = 0, maximum = 10000)]
    pub distance: Option<f64>,
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 10080)]
    pub target_duration_minutes: Option<WholeNumber>,
    #[schema(minimum = -100, maximum = 1000)]
    pub elevation_gain_adjustment_percent: Option<f64>,
    #[schema(minimum = -100, maximum = 1000)]
    pub elevation_descent_adjustment_percent: Option<f64>,
    #[schema(minimum = -100, maximum = 1000)]
    pub fatigue_slowdown_percent: Option<f64>,
}

impl CreateEventRequest {
    pub fn into_domain(self) -> EventFields {
        EventFields {
            name: self.name,
            planned_date: self.planned_date,
            distance: self.distance,
            target_duration_minutes: self.target_duration_minutes.map(|n| n.0),
            elevation_gain_adjustment_percent: self.elevation_gain_adjustment_percent,
            elevation_descent_adjustment_percent: self.elevation_descent_adjustment_percent,
            fatigue_slowdown_percent: self.fatigue_slowdown_percent,
        }
    }
}

/// A partial update: fields left out keep their value, `null` clears a nullable one. Extra
/// fields (a client echoing `id` or `created_at` back) are ignored.
#[derive(Deserialize, ToSchema)]
#[schema(as = EventChanges)]
pub struct UpdateEventRequest {
    /// `null` or absent keeps the name.
    #[schema(schema_with = optional_name_schema)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option_datetime")]
    #[schema(schema_with = optional_datetime_schema)]
    pub planned_date: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 10000)]
    pub distance: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 10080)]
    pub target_duration_minutes: Option<Option<WholeNumber>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>, minimum = -100, maximum = 1000)]
    pub elevation_gain_adjustment_percent: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>, minimum = -100, maximum = 1000)]
    pub elevation_descent_adjustment_percent: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>, minimum = -100, maximum = 1000)]
    pub fatigue_slowdown_percent: Option<Option<f64>>,
}

impl UpdateEventRequest {
    pub fn into_domain(self) -> EventPatch {
        EventPatch {
            name: self.name,
            planned_date: self.planned_date,
            distance: self.distance,
            target_duration_minutes: self.target_duration_minutes.map(|n| n.map(|n| n.0)),
            elevation_gain_adjustment_percent: self.elevation_gain_adjustment_percent,
            elevation_descent_adjustment_percent: self.elevation_descent_adjustment_percent,
            fatigue_slowdown_percent: self.fatigue_slowdown_percent,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Deleted)]
pub struct DeletedDto {
    pub success: bool,
    pub id: Uuid,
}
