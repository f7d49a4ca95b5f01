use chrono::{DateTime, Utc};
use domain::{FieldError, NewWaypoint, Waypoint, WaypointEdit, WaypointFields, WaypointType};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::parse_optional_id;
use crate::schema;
use std::convert::identity as same;

use crate::serde_util::{Change, WholeNumber, set};

#[derive(Serialize, ToSchema)]
#[schema(as = Waypoint)]
pub struct WaypointDto {
    id: Uuid,
    event_id: Uuid,
    name: String,
    #[schema(schema_with = schema::waypoint_type)]
    waypoint_type: &'static str,
    latitude: Option<f64>,
    longitude: Option<f64>,
    elevation: Option<f64>,
    stop_time_minutes: Option<i32>,
    comments: Option<String>,
    order_index: i32,
    distance_from_start: Option<f64>,
    #[serde(serialize_with = "crate::timestamp::serialize")]
    created_at: DateTime<Utc>,
}

impl From<Waypoint> for WaypointDto {
    fn from(waypoint: Waypoint) -> Self {
        let fields = waypoint.fields;
        Self {
            id: waypoint.id,
            event_id: waypoint.event_id,
            name: fields.name,
            waypoint_type: fields.waypoint_type.as_str(),
            latitude: fields.latitude,
            longitude: fields.longitude,
            elevation: fields.elevation,
            stop_time_minutes: fields.stop_time_minutes,
            comments: fields.comments,
            order_index: waypoint.order_index,
            distance_from_start: fields.distance_from_start,
            created_at: waypoint.created_at,
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
    event_id: Option<String>,
    #[schema(schema_with = schema::name)]
    name: String,
    /// `checkpoint` when absent.
    #[schema(schema_with = schema::optional_waypoint_type)]
    waypoint_type: Option<String>,
    #[schema(schema_with = schema::latitude)]
    latitude: Option<f64>,
    #[schema(schema_with = schema::longitude)]
    longitude: Option<f64>,
    /// Feet.
    #[schema(schema_with = schema::elevation_feet)]
    elevation: Option<f64>,
    #[schema(schema_with = schema::stop_minutes)]
    stop_time_minutes: Option<WholeNumber>,
    #[schema(schema_with = schema::comments)]
    comments: Option<String>,
    /// After the event's last waypoint when absent.
    #[schema(schema_with = schema::order_index)]
    order_index: Option<WholeNumber>,
    /// Miles.
    #[schema(schema_with = schema::miles)]
    distance_from_start: Option<f64>,
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
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
#[schema(as = WaypointChanges)]
pub struct UpdateWaypointRequest {
    #[schema(schema_with = schema::optional_name)]
    name: Option<String>,
    #[schema(schema_with = schema::optional_waypoint_type)]
    waypoint_type: Option<String>,
    #[schema(schema_with = schema::latitude)]
    latitude: Change<f64>,
    #[schema(schema_with = schema::longitude)]
    longitude: Change<f64>,
    #[schema(schema_with = schema::elevation_feet)]
    elevation: Change<f64>,
    #[schema(schema_with = schema::stop_minutes)]
    stop_time_minutes: Change<WholeNumber>,
    #[schema(schema_with = schema::comments)]
    comments: Change<String>,
    #[schema(schema_with = schema::order_index)]
    order_index: Option<WholeNumber>,
    #[schema(schema_with = schema::miles)]
    distance_from_start: Change<f64>,
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
            self.latitude.apply(&mut f.latitude, same);
            self.longitude.apply(&mut f.longitude, same);
            self.elevation.apply(&mut f.elevation, same);
            self.stop_time_minutes
                .apply(&mut f.stop_time_minutes, WholeNumber::get);
            self.comments.apply(&mut f.comments, same);
            self.distance_from_start
                .apply(&mut f.distance_from_start, same);
            set(to.order_index, self.order_index.map(WholeNumber::get));
        })
    }
}
