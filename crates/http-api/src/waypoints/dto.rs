use chrono::{DateTime, Utc};
use domain::{FieldError, NewWaypoint, Waypoint, WaypointPatch, WaypointType};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::parse_optional_id;
use crate::serde_util::double_option;

#[derive(Serialize)]
pub struct WaypointDto {
    pub id: Uuid,
    pub event_id: Uuid,
    pub name: String,
    pub waypoint_type: &'static str,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub elevation: Option<f64>,
    pub stop_time_minutes: Option<i32>,
    pub comments: Option<String>,
    pub order_index: i32,
    pub distance_from_start: Option<f64>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    pub created_at: DateTime<Utc>,
}

impl From<Waypoint> for WaypointDto {
    fn from(w: Waypoint) -> Self {
        let f = w.fields;
        Self {
            id: w.id,
            event_id: w.event_id,
            name: f.name,
            waypoint_type: f.waypoint_type.as_str(),
            latitude: f.latitude,
            longitude: f.longitude,
            elevation: f.elevation,
            stop_time_minutes: f.stop_time_minutes,
            comments: f.comments,
            order_index: f.order_index,
            distance_from_start: f.distance_from_start,
            created_at: w.created_at,
        }
    }
}

fn parse_type(text: &str) -> Result<WaypointType, ApiError> {
    WaypointType::parse(text).ok_or_else(|| {
        ApiError::Invalid(vec![FieldError::new(
            "waypoint_type",
            "must be one of checkpoint, food, water, rest",
        )])
    })
}

#[derive(Deserialize)]
pub struct CreateWaypointRequest {
    pub event_id: Option<String>,
    pub name: String,
    pub waypoint_type: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub elevation: Option<f64>,
    pub stop_time_minutes: Option<i32>,
    pub comments: Option<String>,
    pub order_index: Option<i32>,
    pub distance_from_start: Option<f64>,
}

impl CreateWaypointRequest {
    pub fn try_into_domain(self) -> Result<NewWaypoint, ApiError> {
        let event_id = parse_optional_id("event_id", self.event_id.as_deref())?
            .ok_or_else(|| ApiError::Invalid(vec![FieldError::new("event_id", "is required")]))?;
        Ok(NewWaypoint {
            event_id,
            name: self.name,
            // The planner's default kind of stop.
            waypoint_type: self
                .waypoint_type
                .as_deref()
                .map_or(Ok(WaypointType::Checkpoint), parse_type)?,
            latitude: self.latitude,
            longitude: self.longitude,
            elevation: self.elevation,
            stop_time_minutes: self.stop_time_minutes,
            comments: self.comments,
            order_index: self.order_index,
            distance_from_start: self.distance_from_start,
        })
    }
}

/// Same partial-update convention as events. A waypoint cannot move to another event.
#[derive(Deserialize)]
pub struct UpdateWaypointRequest {
    pub name: Option<String>,
    pub waypoint_type: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub longitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub elevation: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub stop_time_minutes: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    pub comments: Option<Option<String>>,
    pub order_index: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    pub distance_from_start: Option<Option<f64>>,
}

impl UpdateWaypointRequest {
    pub fn try_into_domain(self) -> Result<WaypointPatch, ApiError> {
        Ok(WaypointPatch {
            name: self.name,
            waypoint_type: self.waypoint_type.as_deref().map(parse_type).transpose()?,
            latitude: self.latitude,
            longitude: self.longitude,
            elevation: self.elevation,
            stop_time_minutes: self.stop_time_minutes,
            comments: self.comments,
            order_index: self.order_index,
            distance_from_start: self.distance_from_start,
        })
    }
}
