use chrono::{DateTime, Utc};
use domain::{FieldError, NewWaypoint, Waypoint, WaypointPatch, WaypointType};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::parse_optional_id;
use crate::openapi::{
    comments_schema, name_schema, optional_name_schema, optional_waypoint_type_schema,
    waypoint_type_schema,
};
use crate::serde_util::{WholeNumber, double_option};

#[derive(Serialize, ToSchema)]
#[schema(as = Waypoint)]
pub struct WaypointDto {
    pub id: Uuid,
    pub event_id: Uuid,
    pub name: String,
    #[schema(schema_with = waypoint_type_schema)]
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

#[derive(Deserialize, ToSchema)]
#[schema(as = NewWaypoint)]
pub struct CreateWaypointRequest {
    #[schema(value_type = Uuid, required = true)]
    pub event_id: Option<String>,
    #[schema(schema_with = name_schema)]
    pub name: String,
    /// `checkpoint` when absent.
    #[schema(schema_with = optional_waypoint_type_schema)]
    pub waypoint_type: Option<String>,
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// Feet.
    #[schema(minimum = -1500, maximum = 30000)]
    pub elevation: Option<f64>,
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 10080)]
    pub stop_time_minutes: Option<WholeNumber>,
    #[schema(schema_with = comments_schema)]
    pub comments: Option<String>,
    /// After the event's last waypoint when absent.
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 2147483647)]
    pub order_index: Option<WholeNumber>,
    /// Miles.
    #[schema(minimum = 0, maximum = 10000)]
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
            stop_time_minutes: self.stop_time_minutes.map(|n| n.0),
            comments: self.comments,
            order_index: self.order_index.map(|n| n.0),
            distance_from_start: self.distance_from_start,
        })
    }
}

/// Same partial-update convention as events. A waypoint cannot move to another event.
#[derive(Deserialize, ToSchema)]
#[schema(as = WaypointChanges)]
pub struct UpdateWaypointRequest {
    #[schema(schema_with = optional_name_schema)]
    pub name: Option<String>,
    #[schema(schema_with = optional_waypoint_type_schema)]
    pub waypoint_type: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>, minimum = -90, maximum = 90)]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>, minimum = -180, maximum = 180)]
    pub longitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>, minimum = -1500, maximum = 30000)]
    pub elevation: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 10080)]
    pub stop_time_minutes: Option<Option<WholeNumber>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(schema_with = comments_schema)]
    pub comments: Option<Option<String>>,
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 2147483647)]
    pub order_index: Option<WholeNumber>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 10000)]
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
            stop_time_minutes: self.stop_time_minutes.map(|n| n.map(|n| n.0)),
            comments: self.comments,
            order_index: self.order_index.map(|n| n.0),
            distance_from_start: self.distance_from_start,
        })
    }
}
