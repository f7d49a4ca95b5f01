use chrono::{DateTime, Utc};
use domain::{FieldError, NewWaypoint, Waypoint, WaypointEdit, WaypointFields, WaypointType};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::parse_optional_id;
use crate::schema;
use crate::serde_util::{WholeNumber, set, update};

#[derive(Serialize, ToSchema)]
#[schema(as = Waypoint)]
pub struct WaypointDto {
    pub id: Uuid,
    pub event_id: Uuid,
    pub name: String,
    #[schema(schema_with = schema::waypoint_type)]
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
        let WaypointFields {
            name,
            waypoint_type,
            latitude,
            longitude,
            elevation,
            stop_time_minutes,
            comments,
            distance_from_start,
        } = w.fields;
        Self {
            id: w.id,
            event_id: w.event_id,
            name,
            waypoint_type: waypoint_type.as_str(),
            latitude,
            longitude,
            elevation,
            stop_time_minutes,
            comments,
            order_index: w.order_index,
            distance_from_start,
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
    #[schema(schema_with = schema::name)]
    pub name: String,
    /// `checkpoint` when absent.
    #[schema(schema_with = schema::optional_waypoint_type)]
    pub waypoint_type: Option<String>,
    #[schema(schema_with = schema::latitude)]
    pub latitude: Option<f64>,
    #[schema(schema_with = schema::longitude)]
    pub longitude: Option<f64>,
    /// Feet.
    #[schema(schema_with = schema::elevation_feet)]
    pub elevation: Option<f64>,
    #[schema(schema_with = schema::stop_minutes)]
    pub stop_time_minutes: Option<WholeNumber>,
    #[schema(schema_with = schema::comments)]
    pub comments: Option<String>,
    /// After the event's last waypoint when absent.
    #[schema(schema_with = schema::order_index)]
    pub order_index: Option<WholeNumber>,
    /// Miles.
    #[schema(schema_with = schema::miles)]
    pub distance_from_start: Option<f64>,
}

impl CreateWaypointRequest {
    pub fn try_into_domain(self) -> Result<NewWaypoint, ApiError> {
        let event_id = parse_optional_id("event_id", self.event_id.as_deref())?
            .ok_or_else(|| ApiError::Invalid(vec![FieldError::new("event_id", "is required")]))?;
        Ok(NewWaypoint {
            event_id,
            order_index: self.order_index.map(WholeNumber::get),
            fields: WaypointFields {
                name: self.name,
                // The planner's default kind of stop.
                waypoint_type: self
                    .waypoint_type
                    .as_deref()
                    .map_or(Ok(WaypointType::Checkpoint), parse_type)?,
                latitude: self.latitude,
                longitude: self.longitude,
                elevation: self.elevation,
                stop_time_minutes: self.stop_time_minutes.map(WholeNumber::get),
                comments: self.comments,
                distance_from_start: self.distance_from_start,
            },
        })
    }
}

/// Same partial-update convention as events. A waypoint cannot move to another event.
#[derive(Deserialize, ToSchema)]
#[schema(as = WaypointChanges)]
pub struct UpdateWaypointRequest {
    #[schema(schema_with = schema::optional_name)]
    pub name: Option<String>,
    #[schema(schema_with = schema::optional_waypoint_type)]
    pub waypoint_type: Option<String>,
    #[serde(default, deserialize_with = "update")]
    #[schema(schema_with = schema::latitude)]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "update")]
    #[schema(schema_with = schema::longitude)]
    pub longitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "update")]
    #[schema(schema_with = schema::elevation_feet)]
    pub elevation: Option<Option<f64>>,
    #[serde(default, deserialize_with = "update")]
    #[schema(schema_with = schema::stop_minutes)]
    pub stop_time_minutes: Option<Option<WholeNumber>>,
    #[serde(default, deserialize_with = "update")]
    #[schema(schema_with = schema::comments)]
    pub comments: Option<Option<String>>,
    #[schema(schema_with = schema::order_index)]
    pub order_index: Option<WholeNumber>,
    #[serde(default, deserialize_with = "update")]
    #[schema(schema_with = schema::miles)]
    pub distance_from_start: Option<Option<f64>>,
}

impl UpdateWaypointRequest {
    /// Checks what can be checked before the stored waypoint is read (the type's name), and
    /// returns the edit that writes the request's changes over it.
    pub fn try_into_edit(self) -> Result<impl FnOnce(&mut WaypointEdit<'_>), ApiError> {
        let waypoint_type = self.waypoint_type.as_deref().map(parse_type).transpose()?;
        Ok(move |to: &mut WaypointEdit<'_>| {
            let f = &mut *to.fields;
            set(&mut f.name, self.name);
            set(&mut f.waypoint_type, waypoint_type);
            set(&mut f.latitude, self.latitude);
            set(&mut f.longitude, self.longitude);
            set(&mut f.elevation, self.elevation);
            let stop = self.stop_time_minutes;
            set(
                &mut f.stop_time_minutes,
                stop.map(|n| n.map(WholeNumber::get)),
            );
            set(&mut f.comments, self.comments);
            set(&mut f.distance_from_start, self.distance_from_start);
            set(to.order_index, self.order_index.map(WholeNumber::get));
        })
    }
}
